// Package notify pushes status changes to the people and systems waiting for
// them, so that nobody has to poll a declaration to learn it was released.
//
// Two channels, one event:
//
//   - Server-sent events: the Hub is an in-process publish/subscribe bus.
//     A client streaming a declaration's events subscribes to its topic (the
//     declaration id) and gets every change published in this process.
//     Subscribers that cannot keep up are cut off (Lagged) rather than
//     slowing publishers down; they reconnect and start from the current
//     state. Streams in other processes learn of changes by re-reading the
//     record at each heartbeat (see internal/server), so a change made
//     through another server is seen within one heartbeat.
//   - Webhooks: an organisation's administrator registers HTTPS (or HTTP)
//     endpoints. Every event of the organisation becomes one delivery row
//     per endpoint in the database, and the delivery worker (Hub.Run) posts
//     it, signed with the endpoint's secret (HMAC-SHA256 over the timestamp
//     and the body, header X-Bricstown-Signature: t=<unix>,v1=<hex>), and
//     retries failures with exponential backoff and jitter up to
//     Policy.MaxAttempts. Deliveries are claimed with a lease, so several
//     processes can run workers against one database: a delivery is posted
//     at least once, and receivers deduplicate by the event id.
//
// Delivery is at least once from the moment Publish returns. The event is
// published after the change it reports has committed, in a separate step,
// so a crash between the two loses that one notification (the record itself
// is intact and readable); closing that gap needs the domain store to write
// the delivery rows in the change's own transaction (an outbox).
package notify

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"bricstown/internal/audit"

	"github.com/google/uuid"
)

// Event is one thing that happened, as subscribers and webhooks receive it.
type Event struct {
	// ID identifies the event (UUIDv7); receivers deduplicate by it, because
	// a webhook may be delivered more than once.
	ID string `json:"id"`
	// Type names what happened, e.g. "customs.declaration.status".
	Type string `json:"type"`
	// OrgID is the organisation the event belongs to: its webhooks receive
	// it. Empty for events no organisation subscribes to by webhook.
	OrgID string `json:"org_id,omitempty"`
	// Subject is the topic streams subscribe to, e.g. a declaration id.
	Subject string    `json:"subject"`
	At      time.Time `json:"created_at"`
	// Seq orders the events of one subject (a declaration's version); server-
	// sent event streams use it as the event id for Last-Event-ID.
	Seq  int64           `json:"seq,omitempty"`
	Data json.RawMessage `json:"data"`
}

// Webhook is an endpoint an organisation registered for its events. The
// secret is shown once, when the webhook is created.
type Webhook struct {
	ID          string    `json:"id"`
	OrgID       string    `json:"org_id"`
	URL         string    `json:"url"`
	Description string    `json:"description,omitempty"`
	Secret      string    `json:"-"`
	CreatedAt   time.Time `json:"created_at"`
	CreatedBy   string    `json:"created_by"`
}

// DeliveryStatus is where a delivery stands.
type DeliveryStatus string

// Delivery statuses.
const (
	Pending   DeliveryStatus = "pending"   // waiting for its next attempt
	Delivered DeliveryStatus = "delivered" // the endpoint answered 2xx
	Failed    DeliveryStatus = "failed"    // every attempt failed
	Cancelled DeliveryStatus = "cancelled" // the webhook was deleted first
)

// Delivery is one event on its way to one webhook, with the outcome of its
// latest attempt. The payload is stored so that every retry sends the same
// bytes.
type Delivery struct {
	ID             string          `json:"id"`
	WebhookID      string          `json:"webhook_id"`
	OrgID          string          `json:"org_id"`
	EventID        string          `json:"event_id"`
	EventType      string          `json:"event_type"`
	Payload        json.RawMessage `json:"payload"`
	Status         DeliveryStatus  `json:"status"`
	Attempts       int             `json:"attempts"`
	NextAttemptAt  time.Time       `json:"next_attempt_at,omitzero"`
	LastAttemptAt  time.Time       `json:"last_attempt_at,omitzero"`
	LastStatusCode int             `json:"last_status_code,omitempty"`
	LastError      string          `json:"last_error,omitempty"`
	CreatedAt      time.Time       `json:"created_at"`
	DeliveredAt    time.Time       `json:"delivered_at,omitzero"`

	// URL and Secret are the webhook's, filled in by ClaimDeliveries for the
	// worker; they are never listed.
	URL    string `json:"-"`
	Secret string `json:"-"`
}

// Outcome is the result of one delivery attempt, as the worker records it.
type Outcome struct {
	DeliveryID string
	At         time.Time
	StatusCode int
	Error      string
	// Status is Delivered, Failed (no attempts left) or Pending (retry at
	// NextAttemptAt).
	Status        DeliveryStatus
	NextAttemptAt time.Time
}

// Store keeps webhooks and their deliveries. Lookups answer
// problem.NotFound when nothing matches.
type Store interface {
	// CreateWebhook stores an endpoint; Conflict if the organisation already
	// has max active webhooks.
	CreateWebhook(ctx context.Context, w Webhook, max int, rec audit.Record) error
	// ListWebhooks returns an organisation's active webhooks, secrets
	// included, oldest first.
	ListWebhooks(ctx context.Context, orgID string) ([]Webhook, error)
	// DeleteWebhook deactivates an organisation's webhook and cancels its
	// pending deliveries; NotFound for another organisation's.
	DeleteWebhook(ctx context.Context, orgID, id string, at time.Time, rec audit.Record) error
	// EnqueueDeliveries stores new pending deliveries; a delivery of an
	// event already queued for the same webhook is ignored.
	EnqueueDeliveries(ctx context.Context, ds []Delivery) error
	// ClaimDeliveries leases up to limit pending deliveries due at now: each
	// claimed one has its attempt counted and is hidden from other workers
	// until leaseUntil. Claimed deliveries carry their webhook's URL and
	// secret.
	ClaimDeliveries(ctx context.Context, now, leaseUntil time.Time, limit int) ([]Delivery, error)
	// FinishDelivery records an attempt's outcome.
	FinishDelivery(ctx context.Context, o Outcome) error
	// ListDeliveries returns an organisation's deliveries, newest first,
	// optionally of one webhook, continuing before the id cursor.
	ListDeliveries(ctx context.Context, orgID, webhookID, before string, limit int) ([]Delivery, error)
	// NextDeliveryDue is the earliest next attempt of any pending delivery.
	NextDeliveryDue(ctx context.Context) (time.Time, bool, error)
}

// Config assembles a Hub.
type Config struct {
	// Store keeps webhooks and deliveries; nil runs the hub for streams only
	// (webhook calls then answer Unavailable).
	Store  Store
	Log    *slog.Logger
	Policy Policy
	// Now is the clock; nil is time.Now.
	Now func() time.Time
}

// Policy is how webhooks are delivered. Zero fields take the defaults.
type Policy struct {
	// MaxAttempts is how many times a delivery is tried before it fails.
	MaxAttempts int
	// BaseBackoff is the wait after the first failure; each further failure
	// doubles it (with ±20% jitter, so that endpoints coming back up are not
	// hit by every retry at once), up to MaxBackoff.
	BaseBackoff time.Duration
	MaxBackoff  time.Duration
	// Timeout bounds one attempt, connection to last byte.
	Timeout time.Duration
	// AllowPrivateNetworks lets webhooks reach loopback, private and
	// link-local addresses. Off in production, so that a webhook cannot be
	// used to probe the platform's own network (SSRF); tests and
	// single-machine demos turn it on.
	AllowPrivateNetworks bool
	// MaxWebhooksPerOrg bounds the endpoints of one organisation.
	MaxWebhooksPerOrg int
	// Workers is how many deliveries are posted at once.
	Workers int
}

// Policy defaults.
const (
	DefaultMaxAttempts       = 10
	DefaultBaseBackoff       = 5 * time.Second
	DefaultMaxBackoff        = 6 * time.Hour
	DefaultTimeout           = 10 * time.Second
	DefaultMaxWebhooksPerOrg = 10
	DefaultWorkers           = 8
)

func (p Policy) withDefaults() Policy {
	if p.MaxAttempts <= 0 {
		p.MaxAttempts = DefaultMaxAttempts
	}
	if p.BaseBackoff <= 0 {
		p.BaseBackoff = DefaultBaseBackoff
	}
	if p.MaxBackoff <= 0 {
		p.MaxBackoff = DefaultMaxBackoff
	}
	if p.MaxBackoff < p.BaseBackoff {
		p.MaxBackoff = p.BaseBackoff
	}
	if p.Timeout <= 0 {
		p.Timeout = DefaultTimeout
	}
	if p.MaxWebhooksPerOrg <= 0 {
		p.MaxWebhooksPerOrg = DefaultMaxWebhooksPerOrg
	}
	if p.Workers <= 0 {
		p.Workers = DefaultWorkers
	}
	return p
}

// Hub is the platform's notification centre: the in-process stream bus and
// the webhook queue. It is safe for concurrent use.
type Hub struct {
	store  Store
	log    *slog.Logger
	now    func() time.Time
	policy atomic.Pointer[Policy]

	mu     sync.Mutex
	subs   map[string]map[*Subscription]struct{}
	closed bool

	wake    chan struct{}
	started atomic.Bool
	client  *deliveryClient

	published atomic.Int64
	lagged    atomic.Int64
}

// NewHub makes a hub; call Run (or Start) to deliver webhooks.
func NewHub(cfg Config) *Hub {
	h := &Hub{store: cfg.Store, log: cfg.Log, now: cfg.Now, subs: map[string]map[*Subscription]struct{}{}, wake: make(chan struct{}, 1)}
	if h.log == nil {
		h.log = slog.New(slog.DiscardHandler)
	}
	if h.now == nil {
		h.now = time.Now
	}
	h.SetPolicy(cfg.Policy)
	h.client = newDeliveryClient(h)
	return h
}

// SetPolicy replaces the delivery policy; attempts already scheduled keep
// their time.
func (h *Hub) SetPolicy(p Policy) {
	p = p.withDefaults()
	h.policy.Store(&p)
}

// Policy is the delivery policy in force.
func (h *Hub) Policy() Policy { return *h.policy.Load() }

// Webhooks reports whether the hub can keep webhooks.
func (h *Hub) Webhooks() bool { return h.store != nil }

func (h *Hub) clock() time.Time { return h.now().UTC().Truncate(time.Microsecond) }

// SubscriptionBuffer is how many events a subscriber may fall behind before
// it is cut off.
const SubscriptionBuffer = 32

// Subscription receives the events of one topic on C until Close, or until
// it falls SubscriptionBuffer events behind, when C is closed and Lagged
// reports true.
type Subscription struct {
	C      <-chan Event
	c      chan Event
	hub    *Hub
	topic  string
	closed bool // guarded by hub.mu
	lagged atomic.Bool
}

// Subscribe starts receiving the events published on topic. After Close,
// the subscription comes back already closed.
func (h *Hub) Subscribe(topic string) *Subscription {
	c := make(chan Event, SubscriptionBuffer)
	s := &Subscription{C: c, c: c, hub: h, topic: topic}
	h.mu.Lock()
	if h.closed {
		s.closed = true
		close(c)
		h.mu.Unlock()
		return s
	}
	m := h.subs[topic]
	if m == nil {
		m = map[*Subscription]struct{}{}
		h.subs[topic] = m
	}
	m[s] = struct{}{}
	h.mu.Unlock()
	return s
}

// Close stops the subscription; it is safe to call more than once.
func (s *Subscription) Close() {
	s.hub.mu.Lock()
	defer s.hub.mu.Unlock()
	s.hub.drop(s)
}

// Lagged reports that the subscriber fell behind and was cut off.
func (s *Subscription) Lagged() bool { return s.lagged.Load() }

// drop removes s; h.mu must be held.
func (h *Hub) drop(s *Subscription) {
	if s.closed {
		return
	}
	s.closed = true
	close(s.c)
	if m := h.subs[s.topic]; m != nil {
		delete(m, s)
		if len(m) == 0 {
			delete(h.subs, s.topic)
		}
	}
}

// Close ends every subscription, and any made later, so that streams
// finish when the server shuts down (http.Server.RegisterOnShutdown).
// Publishing and webhook delivery go on.
func (h *Hub) Close() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.closed = true
	for _, m := range h.subs {
		for s := range m {
			h.drop(s)
		}
	}
}

// Subscribers counts the open subscriptions (for metrics and tests).
func (h *Hub) Subscribers() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	n := 0
	for _, m := range h.subs {
		n += len(m)
	}
	return n
}

// Stats are the hub's counters since start.
type Stats struct {
	Published   int64 `json:"published"`
	Lagged      int64 `json:"lagged"`
	Subscribers int   `json:"subscribers"`
}

// Stats reports the hub's counters.
func (h *Hub) Stats() Stats {
	return Stats{Published: h.published.Load(), Lagged: h.lagged.Load(), Subscribers: h.Subscribers()}
}

// Publish sends ev to the topic's subscribers at once and queues one
// webhook delivery per active endpoint of ev.OrgID. It fills in ID and At
// when empty. Streams never wait: a subscriber whose buffer is full is cut
// off. The error reports only a failure to queue webhook deliveries; the
// streams have their event either way.
func (h *Hub) Publish(ctx context.Context, ev Event) error {
	if ev.ID == "" {
		ev.ID = uuid.Must(uuid.NewV7()).String()
	}
	if ev.At.IsZero() {
		ev.At = h.clock()
	}
	if len(ev.Data) == 0 {
		ev.Data = json.RawMessage("{}")
	}
	h.published.Add(1)
	h.fanOut(ev)
	if h.store == nil || ev.OrgID == "" {
		return nil
	}
	return h.enqueue(ctx, ev)
}

func (h *Hub) fanOut(ev Event) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for s := range h.subs[ev.Subject] {
		select {
		case s.c <- ev:
		default:
			s.lagged.Store(true)
			h.lagged.Add(1)
			h.drop(s)
		}
	}
}

// Payload is the JSON body a webhook receives: the event itself.
func Payload(ev Event) ([]byte, error) { return json.Marshal(ev) }

func (h *Hub) enqueue(ctx context.Context, ev Event) error {
	hooks, err := h.store.ListWebhooks(ctx, ev.OrgID)
	if err != nil || len(hooks) == 0 {
		return err
	}
	body, err := Payload(ev)
	if err != nil {
		return err
	}
	now := h.clock()
	ds := make([]Delivery, len(hooks))
	for i, w := range hooks {
		ds[i] = Delivery{ID: uuid.Must(uuid.NewV7()).String(), WebhookID: w.ID, OrgID: ev.OrgID, EventID: ev.ID, EventType: ev.Type,
			Payload: body, Status: Pending, NextAttemptAt: now, CreatedAt: now}
	}
	if err := h.store.EnqueueDeliveries(ctx, ds); err != nil {
		return err
	}
	h.Wake()
	return nil
}

// Wake makes the worker look for due deliveries now.
func (h *Hub) Wake() {
	select {
	case h.wake <- struct{}{}:
	default:
	}
}

// errNoStore answers webhook calls on a hub without storage.
var errNoStore = errors.New("notify: no webhook store")
