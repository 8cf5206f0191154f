package notify

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"bricstown/internal/audit"
	"bricstown/internal/identity"
	"bricstown/internal/problem"
)

// memStore is an in-memory Store with the same rules as the SQL one.
type memStore struct {
	mu     sync.Mutex
	hooks  []Webhook
	gone   map[string]bool
	ds     []Delivery
	audits []audit.Record
}

func (m *memStore) CreateWebhook(_ context.Context, w Webhook, max int, rec audit.Record) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	n := 0
	for _, h := range m.hooks {
		if h.OrgID == w.OrgID && !m.gone[h.ID] {
			n++
		}
	}
	if n >= max {
		return problem.New(problem.Conflict, "too many")
	}
	m.hooks = append(m.hooks, w)
	m.audits = append(m.audits, rec)
	return nil
}

func (m *memStore) ListWebhooks(_ context.Context, org string) ([]Webhook, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []Webhook
	for _, h := range m.hooks {
		if h.OrgID == org && !m.gone[h.ID] {
			out = append(out, h)
		}
	}
	return out, nil
}

func (m *memStore) DeleteWebhook(_ context.Context, org, id string, _ time.Time, rec audit.Record) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	i := slices.IndexFunc(m.hooks, func(h Webhook) bool { return h.ID == id && h.OrgID == org && !m.gone[h.ID] })
	if i < 0 {
		return problem.New(problem.NotFound, "no such webhook")
	}
	if m.gone == nil {
		m.gone = map[string]bool{}
	}
	m.gone[id] = true
	for i := range m.ds {
		if m.ds[i].WebhookID == id && m.ds[i].Status == Pending {
			m.ds[i].Status = Cancelled
		}
	}
	m.audits = append(m.audits, rec)
	return nil
}

func (m *memStore) EnqueueDeliveries(_ context.Context, ds []Delivery) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, d := range ds {
		if m.gone[d.WebhookID] || slices.ContainsFunc(m.ds, func(x Delivery) bool { return x.WebhookID == d.WebhookID && x.EventID == d.EventID }) {
			continue
		}
		m.ds = append(m.ds, d)
	}
	return nil
}

func (m *memStore) ClaimDeliveries(_ context.Context, now, lease time.Time, limit int) ([]Delivery, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []Delivery
	for i := range m.ds {
		d := &m.ds[i]
		if d.Status != Pending || d.NextAttemptAt.After(now) || len(out) == limit {
			continue
		}
		d.Attempts++
		d.NextAttemptAt = lease
		c := *d
		for _, h := range m.hooks {
			if h.ID == d.WebhookID {
				c.URL, c.Secret = h.URL, h.Secret
			}
		}
		out = append(out, c)
	}
	return out, nil
}

func (m *memStore) FinishDelivery(_ context.Context, o Outcome) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	for i := range m.ds {
		d := &m.ds[i]
		if d.ID == o.DeliveryID && d.Status == Pending {
			d.Status, d.LastAttemptAt, d.LastStatusCode, d.LastError, d.NextAttemptAt = o.Status, o.At, o.StatusCode, o.Error, o.NextAttemptAt
			if o.Status == Delivered {
				d.DeliveredAt = o.At
			}
		}
	}
	return nil
}

func (m *memStore) ListDeliveries(_ context.Context, org, hook, before string, limit int) ([]Delivery, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []Delivery
	for _, d := range m.ds {
		if d.OrgID == org && (hook == "" || d.WebhookID == hook) && (before == "" || d.ID < before) {
			out = append(out, d)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID > out[j].ID })
	return out[:min(len(out), limit)], nil
}

func (m *memStore) NextDeliveryDue(context.Context) (time.Time, bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var next time.Time
	ok := false
	for _, d := range m.ds {
		if d.Status == Pending && (!ok || d.NextAttemptAt.Before(next)) {
			next, ok = d.NextAttemptAt, true
		}
	}
	return next, ok, nil
}

func (m *memStore) delivery(id string) Delivery {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, d := range m.ds {
		if d.ID == id {
			return d
		}
	}
	return Delivery{}
}

var orgAdmin = &identity.Principal{UserID: "u-admin", OrgID: "org-a", OrgKind: identity.KindCompany, Roles: []identity.Role{identity.OrgAdmin}}

func TestSignVerify(t *testing.T) {
	now := time.Unix(1_772_442_000, 0)
	body := []byte(`{"id":"e1"}`)
	h := Sign("whsec_test", now, body)
	if !strings.HasPrefix(h, "t=1772442000,v1=") || len(h) != len("t=1772442000,v1=")+64 {
		t.Fatalf("header %q", h)
	}
	if err := Verify("whsec_test", h, body, now.Add(time.Minute), 5*time.Minute); err != nil {
		t.Fatal(err)
	}
	for name, err := range map[string]error{
		"other secret": Verify("whsec_other", h, body, now, time.Minute),
		"other body":   Verify("whsec_test", h, []byte(`{"id":"e2"}`), now, time.Minute),
		"replayed":     Verify("whsec_test", h, body, now.Add(time.Hour), 5*time.Minute),
		"malformed":    Verify("whsec_test", "v1=abc", body, now, time.Minute),
	} {
		if err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	// A second signature (rotation) may be the matching one.
	if err := Verify("whsec_test", "t=1772442000,v1=00ff,"+strings.Split(h, ",")[1], body, now, time.Minute); err != nil {
		t.Fatal(err)
	}
	if a, b := NewSecret(), NewSecret(); a == b || !strings.HasPrefix(a, "whsec_") || len(a) < 40 {
		t.Fatalf("secrets %q %q", a, b)
	}
}

func TestBackoff(t *testing.T) {
	p := Policy{BaseBackoff: time.Second, MaxBackoff: 10 * time.Second}
	want := []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second, 10 * time.Second, 10 * time.Second}
	for i, w := range want {
		if got := Backoff(p, i+1, 0.5); got != w {
			t.Errorf("attempt %d: %s, want %s", i+1, got, w)
		}
	}
	if lo, hi := Backoff(p, 1, 0), Backoff(p, 1, 0.999); lo != 800*time.Millisecond || hi < 1190*time.Millisecond || hi > 1200*time.Millisecond {
		t.Errorf("jitter range %s..%s", lo, hi)
	}
}

func TestSubscriptions(t *testing.T) {
	h := NewHub(Config{})
	a, b, other := h.Subscribe("decl-1"), h.Subscribe("decl-1"), h.Subscribe("decl-2")
	if err := h.Publish(context.Background(), Event{Type: "x", Subject: "decl-1", Seq: 1}); err != nil {
		t.Fatal(err)
	}
	for _, s := range []*Subscription{a, b} {
		select {
		case ev := <-s.C:
			if ev.Seq != 1 || ev.ID == "" || ev.At.IsZero() {
				t.Fatalf("event %+v", ev)
			}
		default:
			t.Fatal("no event")
		}
	}
	select {
	case ev := <-other.C:
		t.Fatalf("other topic got %+v", ev)
	default:
	}
	// A subscriber that does not read is cut off; the others are not held up.
	for i := 0; i < SubscriptionBuffer+1; i++ {
		h.Publish(context.Background(), Event{Subject: "decl-1", Seq: int64(i)})
		<-b.C
	}
	n := 0
	for range a.C {
		n++
	}
	if !a.Lagged() || n != SubscriptionBuffer || b.Lagged() {
		t.Fatalf("lagged %v after %d events; b lagged %v", a.Lagged(), n, b.Lagged())
	}
	a.Close() // safe after the cut-off
	b.Close()
	b.Close()
	other.Close()
	if h.Subscribers() != 0 {
		t.Fatalf("%d subscribers left", h.Subscribers())
	}
	// Shutting down ends every stream, and any opened later.
	live := h.Subscribe("decl-3")
	h.Close()
	if _, ok := <-live.C; ok || live.Lagged() {
		t.Fatal("subscription open after Close")
	}
	if _, ok := <-h.Subscribe("decl-4").C; ok {
		t.Fatal("new subscription open after Close")
	}
	if h.Subscribers() != 0 {
		t.Fatalf("%d subscribers after Close", h.Subscribers())
	}
}

func TestWebhookValidation(t *testing.T) {
	h := NewHub(Config{Store: &memStore{}})
	ctx := context.Background()
	for url, field := range map[string]string{
		"":                                 "url",
		"ftp://erp.example.kz/x":           "url",
		"/hooks":                           "url",
		"https://user:pw@erp.example.kz/x": "url",
		"https://127.0.0.1:8443/x":         "url",
		"http://localhost/x":               "url",
		"https://10.1.2.3/x":               "url",
		"https://erp.example.kz/x#frag":    "url",
	} {
		_, _, err := h.CreateWebhook(ctx, orgAdmin, NewWebhook{URL: url})
		var pe *problem.Error
		if !problem.Is(err, problem.Invalid) || !errorsAs(err, &pe) || pe.Fields[field] == "" {
			t.Errorf("%q: %v", url, err)
		}
	}
	trader := &identity.Principal{UserID: "u", OrgID: "org-a", Roles: []identity.Role{identity.Trader}}
	if _, _, err := h.CreateWebhook(ctx, trader, NewWebhook{URL: "https://erp.example.kz/x"}); !problem.Is(err, problem.Forbidden) {
		t.Fatalf("trader: %v", err)
	}
	w, secret, err := h.CreateWebhook(ctx, orgAdmin, NewWebhook{URL: "HTTPS://erp.example.kz/hooks?k=1", Description: "ERP"})
	if err != nil || secret == "" || w.OrgID != "org-a" || w.URL != "https://erp.example.kz/hooks?k=1" {
		t.Fatalf("create: %v %+v", err, w)
	}
	if rec := h.store.(*memStore).audits[0]; rec.Action != "notify.webhook.create" || strings.Contains(rec.After, "k=1") {
		t.Fatalf("audit %+v", rec)
	}
	other := &identity.Principal{UserID: "u-b", OrgID: "org-b", Roles: []identity.Role{identity.OrgAdmin}}
	if err := h.DeleteWebhook(ctx, other, w.ID); !problem.Is(err, problem.NotFound) {
		t.Fatalf("foreign delete: %v", err)
	}
	if ws, _ := h.ListWebhooks(ctx, other); len(ws) != 0 {
		t.Fatalf("foreign list %v", ws)
	}
	if _, _, err := NewHub(Config{}).CreateWebhook(ctx, orgAdmin, NewWebhook{URL: "https://erp.example.kz"}); !problem.Is(err, problem.Unavailable) {
		t.Fatalf("no store: %v", err)
	}
	h.SetPolicy(Policy{AllowPrivateNetworks: true})
	if _, _, err := h.CreateWebhook(ctx, orgAdmin, NewWebhook{URL: "http://127.0.0.1:9/x"}); err != nil {
		t.Fatalf("private allowed: %v", err)
	}
}

func errorsAs(err error, pe **problem.Error) bool {
	e, ok := err.(*problem.Error)
	*pe = e
	return ok
}

// A receiver that fails first and then succeeds gets the event twice, each
// time correctly signed; the delivery log shows the retry.
func TestDeliveryRetriesWithBackoff(t *testing.T) {
	var calls atomic.Int32
	var mu sync.Mutex
	var got []string
	var secret string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		err := Verify(secret, r.Header.Get(SignatureHeader), body, time.Now(), time.Minute)
		got = append(got, r.Header.Get("X-Bricstown-Attempt"))
		mu.Unlock()
		if err != nil {
			t.Errorf("signature: %v", err)
		}
		if r.Header.Get("X-Bricstown-Event") != "customs.declaration.status" || r.Header.Get("Content-Type") != "application/json" {
			t.Errorf("headers %v", r.Header)
		}
		if calls.Add(1) == 1 {
			http.Error(w, "busy", http.StatusServiceUnavailable)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	defer srv.Close()
	store := &memStore{}
	h := NewHub(Config{Store: store, Policy: Policy{AllowPrivateNetworks: true, BaseBackoff: 50 * time.Millisecond, MaxAttempts: 3}})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	w, s, err := h.CreateWebhook(ctx, orgAdmin, NewWebhook{URL: srv.URL + "/hook"})
	if err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	secret = s
	mu.Unlock()
	h.Start(ctx)
	h.Start(ctx) // idempotent
	data, _ := json.Marshal(map[string]string{"status": "released"})
	if err := h.Publish(ctx, Event{Type: "customs.declaration.status", OrgID: "org-a", Subject: "d1", Data: data}); err != nil {
		t.Fatal(err)
	}
	// Another org's event is not delivered to this webhook.
	h.Publish(ctx, Event{Type: "customs.declaration.status", OrgID: "org-b", Subject: "d2"})
	deadline := time.Now().Add(5 * time.Second)
	var d Delivery
	for time.Now().Before(deadline) {
		ds, _ := h.Deliveries(ctx, orgAdmin, w.ID, "", 10)
		if len(ds) == 1 && ds[0].Status == Delivered {
			d = ds[0]
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if d.Status != Delivered || d.Attempts != 2 || d.LastStatusCode != 204 || calls.Load() != 2 {
		t.Fatalf("delivery %+v after %d calls", d, calls.Load())
	}
	mu.Lock()
	defer mu.Unlock()
	if strings.Join(got, ",") != "1,2" {
		t.Fatalf("attempt headers %v", got)
	}
	var ev Event
	if err := json.Unmarshal(d.Payload, &ev); err != nil || ev.Subject != "d1" || !strings.Contains(string(ev.Data), "released") {
		t.Fatalf("payload %s", d.Payload)
	}
}

// Deliveries to a private address are refused unless allowed, and fail
// after MaxAttempts.
func TestDeliveryRefusesPrivateAddresses(t *testing.T) {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { calls.Add(1) }))
	defer srv.Close()
	store := &memStore{}
	h := NewHub(Config{Store: store, Policy: Policy{AllowPrivateNetworks: true, MaxAttempts: 2, BaseBackoff: time.Millisecond}})
	ctx := context.Background()
	w, _, err := h.CreateWebhook(ctx, orgAdmin, NewWebhook{URL: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	h.SetPolicy(Policy{MaxAttempts: 2, BaseBackoff: time.Millisecond})
	h.Publish(ctx, Event{Type: "t", OrgID: "org-a", Subject: "s"})
	for i := 0; i < 2; i++ {
		if n, err := h.DeliverDue(ctx); err != nil || n != 1 {
			t.Fatalf("round %d: %d %v", i, n, err)
		}
		time.Sleep(5 * time.Millisecond)
	}
	ds, _ := h.Deliveries(ctx, orgAdmin, w.ID, "", 10)
	if len(ds) != 1 || ds[0].Status != Failed || ds[0].Attempts != 2 || !strings.Contains(ds[0].LastError, "not allowed") || calls.Load() != 0 {
		t.Fatalf("delivery %+v, %d calls", ds, calls.Load())
	}
	// Deleting a webhook cancels what is pending for it.
	h.SetPolicy(Policy{AllowPrivateNetworks: true})
	h.Publish(ctx, Event{Type: "t", OrgID: "org-a", Subject: "s2"})
	if err := h.DeleteWebhook(ctx, orgAdmin, w.ID); err != nil {
		t.Fatal(err)
	}
	if n, _ := h.DeliverDue(ctx); n != 0 || calls.Load() != 0 {
		t.Fatalf("delivered %d after delete", n)
	}
}
