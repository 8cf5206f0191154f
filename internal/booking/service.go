package booking

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"bricstown/internal/audit"
	"bricstown/internal/identity"
	"bricstown/internal/ledger"
	"bricstown/internal/money"
	"bricstown/internal/problem"

	"github.com/google/uuid"
)

// Config wires the service to the rest of the platform.
type Config struct {
	Log    *slog.Logger
	Ledger *ledger.Service
	Now    func() time.Time
}

// Service applies the booking rules: owners (an organisation's
// administrators) manage their resources; traders and administrators of
// any organisation book, residents book public resources; each party sees
// and moves only its own bookings, and pays only from its own accounts.
type Service struct {
	store Store
	cfg   Config
	// via is the service this handle books for (see For); empty for the
	// generic booking API.
	via string
	// resources is shared by every handle (see resourceCache).
	resources *resourceCache
}

// NewService returns a service on store.
func NewService(store Store, cfg Config) *Service {
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Service{store: store, cfg: cfg, resources: newResourceCache()}
}

func (s *Service) now() time.Time { return s.cfg.Now().UTC().Truncate(time.Microsecond) }

// For is the engine as the named service (festival, clinic) uses it: the
// resources it creates are managed by that service, and only through it
// are they listed, booked, confirmed, cancelled or changed. The generic
// handle (the booking API and pages) refuses them, so a festival place is
// never taken without its ticket nor a doctor's slot without its
// consultation.
func (s *Service) For(service string) *Service {
	c := *s
	c.via = service
	return &c
}

// managed refuses a resource another service manages (or, for a
// service's handle, one it does not).
func (s *Service) managed(r *Resource) error {
	if r.ManagedBy == s.via {
		return nil
	}
	return &problem.Error{Code: problem.Conflict, Message: "this resource is booked through its own service, not the booking API",
		Fields: map[string]string{"resource_id": "booked through its own service"}}
}

// withdrawn refuses a resource withdrawn for good.
func withdrawn(r *Resource) error {
	if r.WithdrawnAt.IsZero() {
		return nil
	}
	return &problem.Error{Code: problem.Conflict, Message: "the resource is withdrawn", Fields: map[string]string{"resource_id": "withdrawn"}}
}

// Ledger codes of a booking's transfers.
const (
	CodeHold   = "booking"
	CodeRefund = "booking_refund"
)

func notFound() error { return problem.New(problem.NotFound, "no such resource or booking") }

// isOwner: an organisation's administrators manage its resources.
func isOwner(p *identity.Principal, r *Resource) bool {
	return p != nil && p.OrgID == r.OwnerOrg && p.Has(identity.OrgAdmin)
}

// canBook: traders and administrators of any organisation book any
// resource; residents book public ones.
func canBook(p *identity.Principal, r *Resource) bool {
	if p == nil {
		return false
	}
	if p.HasAny(identity.Trader, identity.OrgAdmin) {
		return true
	}
	return r.Public && p.Has(identity.Resident)
}

func canSee(p *identity.Principal, r *Resource) bool {
	return isOwner(p, r) || canBook(p, r) || p.Has(identity.PlatformAdmin)
}

// Party is who a caller's bookings belong to: its organisation, or, for a
// resident (residents share one organisation), the resident alone.
func Party(p *identity.Principal) string {
	if p.Has(identity.Resident) && !p.HasAny(identity.Trader, identity.OrgAdmin) {
		return p.OrgID + "/" + p.UserID
	}
	return p.OrgID
}

func (s *Service) record(p *identity.Principal, action, subject, id, org, detail string) audit.Record {
	u, o := p.Actor()
	return audit.Record{ActorUser: u, ActorOrg: o, Action: action, SubjectType: subject, SubjectID: id, OrgID: org, Detail: detail}
}

// ResourceInput is what an owner fills in.
type ResourceInput struct {
	Name         string    `json:"name"`
	Kind         string    `json:"kind"`
	Capacity     int       `json:"capacity"`
	TimeZone     string    `json:"time_zone"`
	Hours        []Hours   `json:"hours"`
	Closures     []Closure `json:"closures"`
	SlotMinutes  int       `json:"slot_minutes"`
	BufferBefore int       `json:"buffer_before_minutes"`
	BufferAfter  int       `json:"buffer_after_minutes"`
	MinNoticeMin int       `json:"min_notice_minutes"`
	HorizonDays  int       `json:"horizon_days"`
	HoldMinutes  int       `json:"hold_minutes"`
	RefundHours  int       `json:"refund_hours"`
	PriceKZT     int64     `json:"price_kzt"`
	AccountID    string    `json:"account_id"`
	Public       bool      `json:"public"`
}

func (in ResourceInput) resource() Resource {
	return Resource{Name: in.Name, Kind: in.Kind, Capacity: in.Capacity, TimeZone: strings.TrimSpace(in.TimeZone), Hours: in.Hours,
		Closures: in.Closures, SlotMinutes: in.SlotMinutes, BufferBefore: in.BufferBefore, BufferAfter: in.BufferAfter,
		MinNoticeMin: in.MinNoticeMin, HorizonDays: in.HorizonDays, HoldMinutes: in.HoldMinutes, RefundHours: in.RefundHours,
		PriceKZT: in.PriceKZT, Account: strings.TrimSpace(in.AccountID), Public: in.Public}
}

// ownAccount checks an account of the caller's organisation that money
// may be paid into (field account_id) or out of (pay_from: it must also be
// one that cannot go below zero). Another organisation's account answers
// exactly like an unknown one.
//
// Residents share one organisation, so for a resident the organisation is
// not the owner: a resident pays only from the wallet that carries the
// resident's own id (ledger.WalletCode), never from a neighbour's.
func (s *Service) ownAccount(ctx context.Context, p *identity.Principal, org, id, field string, payer bool, f problem.Fields) ledger.Account {
	u, err := uuid.Parse(strings.TrimSpace(id))
	if err != nil {
		f.Add(field, "must be the id of one of your KZT accounts")
		return ledger.Account{}
	}
	a, err := s.cfg.Ledger.AccountByID(ctx, u)
	switch {
	case err != nil || a.OrgID != org || a.Flags&ledger.System != 0:
		f.Add(field, "must be the id of one of your KZT accounts")
	case a.Currency != "KZT":
		f.Add(field, "must be a KZT account")
	case payer && p != nil && p.OrgKind == identity.KindResidents && a.Code != ledger.WalletCode(p.UserID):
		f.Add(field, "must be the id of one of your KZT accounts")
	case a.Closed:
		f.Add(field, "the account is closed")
	case payer && (a.Flags&ledger.DebitsMustNotExceedCredits == 0 || a.Kind.DebitNormal()):
		f.Add(field, "must be a funds account that cannot go below zero")
	}
	return a
}

// CreateResource makes a resource of the caller's organisation.
func (s *Service) CreateResource(ctx context.Context, p *identity.Principal, in ResourceInput) (Resource, error) {
	if p == nil || !p.Has(identity.OrgAdmin) {
		return Resource{}, problem.New(problem.Forbidden, "only an organisation's administrators manage its resources")
	}
	now := s.now()
	r := in.resource()
	r.ID, r.OwnerOrg, r.CreatedAt, r.UpdatedAt = uuid.Must(uuid.NewV7()).String(), p.OrgID, now, now
	r.ManagedBy = s.via
	if err := s.checkResource(ctx, &r); err != nil {
		return Resource{}, err
	}
	if err := s.store.CreateResource(ctx, r, s.record(p, "booking.resource.create", "booking_resource", r.ID, r.OwnerOrg, r.Name)); err != nil {
		return Resource{}, err
	}
	// Its first booking needs no read (see resourceCache); the copy's
	// slices are its own, whatever the caller does with r.
	c := r
	c.Hours, c.Closures = slices.Clone(r.Hours), slices.Clone(r.Closures)
	s.resources.put(c)
	return r, nil
}

func (s *Service) checkResource(ctx context.Context, r *Resource) error {
	f := problem.Fields{}
	r.Check(f)
	if r.PriceKZT > 0 || r.Account != "" {
		s.ownAccount(ctx, nil, r.OwnerOrg, r.Account, "account_id", false, f)
	}
	return f.Err("the resource is not valid")
}

// UpdateResource replaces the settings of a resource the caller's
// organisation owns. Bookings already made stand.
func (s *Service) UpdateResource(ctx context.Context, p *identity.Principal, id string, in ResourceInput) (Resource, error) {
	old, err := s.loadResource(ctx, p, id)
	if err != nil {
		return Resource{}, err
	}
	if !isOwner(p, &old) {
		return Resource{}, problem.New(problem.Forbidden, "only the owner's administrators manage a resource")
	}
	if err := s.managed(&old); err != nil {
		return Resource{}, err
	}
	if err := withdrawn(&old); err != nil {
		return Resource{}, err
	}
	r := in.resource()
	// UpdatedAt only moves forward, even within one microsecond: a take
	// decided on the old settings is refused by it (see Take.ResourceAt).
	r.ID, r.OwnerOrg, r.CreatedAt, r.UpdatedAt = old.ID, old.OwnerOrg, old.CreatedAt, s.now()
	if !r.UpdatedAt.After(old.UpdatedAt) {
		r.UpdatedAt = old.UpdatedAt.Add(time.Microsecond)
	}
	r.ManagedBy = old.ManagedBy
	if err := s.checkResource(ctx, &r); err != nil {
		return Resource{}, err
	}
	err = s.store.UpdateResource(ctx, r, s.record(p, "booking.resource.update", "booking_resource", r.ID, r.OwnerOrg, r.Name))
	s.resources.drop(r.ID)
	if err != nil {
		return Resource{}, err
	}
	return r, nil
}

func (s *Service) loadResource(ctx context.Context, p *identity.Principal, id string) (Resource, error) {
	if _, err := uuid.Parse(id); err != nil {
		return Resource{}, notFound()
	}
	r, err := s.store.GetResource(ctx, id)
	if err == nil {
		s.resources.put(r) // the newest copy for Book (see resourceCache)
	}
	if problem.Is(err, problem.NotFound) || err == nil && !canSee(p, &r) {
		return Resource{}, notFound()
	}
	return r, err
}

// cachedResource is loadResource from the cache when it holds the
// resource (see resourceCache for why a stale copy does no harm where it
// is used: Book, which the store checks). fresh reads it from the store in
// any case.
func (s *Service) cachedResource(ctx context.Context, p *identity.Principal, id string, fresh bool) (Resource, error) {
	if r, ok := s.resources.get(id); ok && !fresh {
		if !canSee(p, &r) {
			return Resource{}, notFound()
		}
		return r, nil
	}
	return s.loadResource(ctx, p, id)
}

// Resource returns a resource the caller may see.
func (s *Service) Resource(ctx context.Context, p *identity.Principal, id string) (Resource, error) {
	return s.loadResource(ctx, p, id)
}

// Resources lists the resources the caller may book (mine: only its own
// organisation's).
func (s *Service) Resources(ctx context.Context, p *identity.Principal, mine bool, after string, limit int) ([]Resource, error) {
	if p == nil {
		return nil, problem.New(problem.Unauthenticated, "sign in")
	}
	q := ResourceQuery{After: after, Limit: limit, ManagedBy: s.via}
	if q.Limit <= 0 || q.Limit > 500 {
		q.Limit = 100
	}
	switch {
	case mine:
		q.OwnerOrg = p.OrgID
	case p.HasAny(identity.Trader, identity.OrgAdmin, identity.PlatformAdmin):
	case p.Has(identity.Resident):
		q.PublicOnly = true
	default:
		return nil, nil
	}
	return s.store.ListResources(ctx, q)
}

// DaySlots is one local day of a resource's availability.
type DaySlots struct {
	Date  string      `json:"date"` // YYYY-MM-DD in the resource's zone
	Slots []SlotState `json:"slots"`
}

// SlotState is a slot with its free places at the moment asked.
type SlotState struct {
	Slot
	Free     int  `json:"free"`
	Bookable bool `json:"bookable"` // within notice and horizon
}

// MaxDays is the longest availability or utilisation view.
const MaxDays = 31

// Availability lists a resource's slots for days local days from the date
// from (YYYY-MM-DD in the resource's zone; empty: today), with the places
// left on each.
func (s *Service) Availability(ctx context.Context, p *identity.Principal, id, from string, days int) ([]DaySlots, error) {
	r, err := s.loadResource(ctx, p, id)
	if err != nil {
		return nil, err
	}
	now := s.now()
	first, err := dayOf(&r, from, days, now)
	if err != nil {
		return nil, err
	}
	if days <= 0 {
		days = 7
	}
	list, err := s.store.ListBookings(ctx, BookingQuery{ResourceID: r.ID, From: first.Add(-48 * time.Hour), To: first.AddDate(0, 0, days+2), Limit: 100_000})
	if err != nil {
		return nil, err
	}
	out := make([]DaySlots, 0, days)
	for d := range days {
		day := first.AddDate(0, 0, d)
		slots := r.DaySlots(day.Year(), day.Month(), day.Day())
		ds := DaySlots{Date: day.Format(time.DateOnly), Slots: make([]SlotState, len(slots))}
		free := r.DayFree(slots, func(sl Slot) int {
			n := 0
			for i := range list {
				if list[i].LiveAt(now) && r.Overlaps(&list[i], sl) {
					n++
				}
			}
			return n
		})
		for i, sl := range slots {
			_, berr := r.Bookable(sl.Start, now)
			ds.Slots[i] = SlotState{Slot: sl, Free: free[i], Bookable: berr == nil}
		}
		out = append(out, ds)
	}
	return out, nil
}

// dayOf reads the first local day of a view.
func dayOf(r *Resource, from string, days int, now time.Time) (time.Time, error) {
	loc, ok := Location(r.TimeZone)
	if !ok {
		loc = time.UTC
	}
	f := problem.Fields{}
	if days < 0 || days > MaxDays {
		f.Addf("days", "must be a whole number from %d to %d", 1, MaxDays)
	}
	day := now.In(loc)
	day = time.Date(day.Year(), day.Month(), day.Day(), 0, 0, 0, 0, loc)
	if from = strings.TrimSpace(from); from != "" {
		d, err := time.ParseInLocation(time.DateOnly, from, loc)
		if err != nil {
			f.Add("from", "must be a date (YYYY-MM-DD)")
		}
		day = d
	}
	return day, f.Err("the period is not valid")
}

// BookInput is a booking request.
type BookInput struct {
	ResourceID string `json:"resource_id"`
	// Start is the slot's start, RFC 3339 (any offset).
	Start string `json:"start"`
	// Key is the client's idempotency key (a UUID): a retry with the same
	// key answers the same booking, never a second one.
	Key string `json:"key"`
	// PayFrom is one of the caller's KZT accounts, for paid resources.
	PayFrom string `json:"pay_from"`
}

// Book holds a place on a slot for the caller's party for the resource's
// hold time; a paid resource's price is reserved in the ledger from the
// caller's own account to the owner's. created is false when the key
// found an earlier booking.
func (s *Service) Book(ctx context.Context, p *identity.Principal, in BookInput) (Booking, bool, error) {
	if p == nil {
		return Booking{}, false, problem.New(problem.Unauthenticated, "sign in")
	}
	f := problem.Fields{}
	key, kerr := uuid.Parse(strings.TrimSpace(in.Key))
	if kerr != nil || key == uuid.Nil {
		f.Add("key", "must be a UUID the client chose for this booking")
	}
	start, serr := time.Parse(time.RFC3339, strings.TrimSpace(in.Start))
	if serr != nil {
		f.Add("start", "must be a date and time (RFC 3339)")
	}
	if err := f.Err("the booking is not valid"); err != nil {
		return Booking{}, false, err
	}
	scoped := ledger.ScopedID(p.OrgID, key).String()
	resourceID := strings.TrimSpace(in.ResourceID)
	// A retry after a lost answer gets the first booking, whatever else
	// changed since. The key is looked up only where this attempt would
	// not take a place (every refusal below), and by the store's take,
	// which reads it anyway: a booking that goes through costs no extra
	// read (a round trip per booking on PostgreSQL).
	refuse := func(err error) (Booking, bool, error) {
		prev, kerr := s.store.BookingByKey(ctx, scoped)
		switch {
		case kerr == nil:
			return s.retried(p, prev, resourceID, start)
		case !problem.Is(kerr, problem.NotFound):
			return Booking{}, false, kerr
		}
		return Booking{}, false, err
	}
	var r Resource
	var from ledger.Account
	var got Booking
	var created bool
	var err error
	for fresh := false; ; fresh = true {
		r, err = s.cachedResource(ctx, p, resourceID, fresh)
		if err != nil {
			return refuse(&problem.Error{Code: problem.NotFound, Message: "no such resource", Fields: map[string]string{"resource_id": "no such resource"}})
		}
		if !canBook(p, &r) {
			return refuse(problem.New(problem.Forbidden, "you may not book this resource"))
		}
		if err := s.managed(&r); err != nil {
			return refuse(err)
		}
		if err := withdrawn(&r); err != nil {
			return refuse(err)
		}
		now := s.now()
		slot, serr := r.Bookable(start.UTC(), now)
		if serr != nil {
			return refuse(serr)
		}
		b := Booking{ID: uuid.Must(uuid.NewV7()).String(), ResourceID: r.ID, OwnerOrg: r.OwnerOrg, BookerOrg: p.OrgID, BookerUser: p.UserID,
			Party: Party(p), Start: slot.Start, End: slot.End, Status: Held, HoldUntil: now.Add(time.Duration(r.HoldMinutes) * time.Minute),
			PriceKZT: r.PriceKZT, Key: scoped, CreatedAt: now, UpdatedAt: now}
		if r.PriceKZT > 0 {
			from = s.ownAccount(ctx, p, p.OrgID, in.PayFrom, "pay_from", true, f)
			if err := f.Err("the booking is not valid"); err != nil {
				return refuse(err)
			}
			if r.Account == "" {
				return refuse(problem.New(problem.Conflict, "the owner has no account to be paid into"))
			}
			b.PayFrom, b.PayTo = from.ID.String(), r.Account
		}
		wf, wt := r.Window(slot)
		got, created, err = s.store.BookSlot(ctx, Take{Booking: b, Capacity: r.Capacity, WindowFrom: wf, WindowTo: wt, OfferMinutes: r.HoldMinutes, Now: now,
			ResourceAt: r.UpdatedAt}, s.record(p, "booking.hold", "booking", b.ID, r.OwnerOrg, fmt.Sprintf("%s %s", r.Name, slot.Start.Format(time.RFC3339))))
		if errors.Is(err, ErrResourceChanged) {
			// Decided on a copy the owner has changed since: decide again on
			// the resource as it is now, once; a second change in between is
			// the caller's to retry.
			s.resources.drop(resourceID)
			if !fresh {
				continue
			}
			return Booking{}, false, &problem.Error{Code: problem.Conflict, Message: "the resource changed meanwhile: try again",
				Fields: map[string]string{"resource_id": "changed meanwhile"}}
		}
		break
	}
	if err == nil && !created {
		return s.retried(p, got, resourceID, start) // the store found the key
	}
	if err != nil {
		return Booking{}, false, err // a refusal carries no booking
	}
	if got.PriceKZT == 0 {
		return s.shown(got), created, nil
	}
	// The place is ours: reserve the price until the hold (and its grace)
	// ends; the ledger releases it by itself if nobody confirms.
	timeout := int64((time.Duration(r.HoldMinutes)*time.Minute + Grace) / time.Second)
	res, err := s.cfg.Ledger.SubmitSystem(ctx, []ledger.Transfer{{ID: HoldID(got.ID), DebitAccount: from.ID, CreditAccount: uuid.MustParse(got.PayTo),
		Amount: got.PriceKZT, Currency: "KZT", Timeout: timeout, Code: CodeHold, Reference: got.ID, Flags: ledger.Pending}},
		s.record(p, "booking.reserve", "booking", got.ID, got.OwnerOrg, money.FormatAmount(got.PriceKZT, 2)+" KZT"))
	if err == nil && !res[0].Code.Created() {
		err = refusal(res[0].Code, "pay_from")
	}
	if err != nil {
		// Nothing half done: give the place back.
		if derr := s.store.DropBooking(context.WithoutCancel(ctx), got.ID, s.record(p, "booking.drop", "booking", got.ID, got.OwnerOrg, problem.MessageOf(err))); derr != nil {
			s.cfg.Log.Warn("booking left to expire", "booking", got.ID, "err", derr)
		}
		return Booking{}, false, err
	}
	return s.shown(got), true, nil
}

// retried answers a booking request whose key an earlier request of the
// same organisation used: that booking when the request is the same, else
// the key's reuse is refused.
func (s *Service) retried(p *identity.Principal, prev Booking, resourceID string, start time.Time) (Booking, bool, error) {
	if prev.ResourceID != resourceID || !prev.Start.Equal(start.UTC()) || prev.Party != Party(p) {
		return Booking{}, false, &problem.Error{Code: problem.IdempotencyReuse, Message: "this key was used for another booking",
			Fields: map[string]string{"key": "already used for another booking"}}
	}
	return s.shown(prev), false, nil
}

// refusal explains a ledger result code.
func refusal(c ledger.Code, field string) error {
	switch c {
	case ledger.ExceedsCredits:
		return &problem.Error{Code: problem.Conflict, Message: "the account does not hold enough funds", Fields: map[string]string{field: "not enough funds"}}
	case ledger.PendingTransferExpired:
		return &problem.Error{Code: problem.Conflict, Message: "the hold has expired", Fields: map[string]string{"status": "expired"}}
	case ledger.DebitAccountClosed, ledger.CreditAccountClosed:
		return &problem.Error{Code: problem.Conflict, Message: "an account of the booking is closed", Fields: map[string]string{field: "the account is closed"}}
	default:
		return &problem.Error{Code: problem.Conflict, Message: "the ledger refused: " + string(c), Fields: map[string]string{field: string(c)}}
	}
}

func (s *Service) shown(b Booking) Booking {
	b.Status = b.StatusAt(s.now())
	return b
}

// loadBooking finds a booking of the caller's party; the owner's
// administrators see the bookings on their resources. Everyone else is
// told it does not exist.
func (s *Service) loadBooking(ctx context.Context, p *identity.Principal, id string) (Booking, bool, error) {
	if _, err := uuid.Parse(id); err != nil || p == nil {
		return Booking{}, false, notFound()
	}
	b, err := s.store.GetBooking(ctx, id)
	if problem.Is(err, problem.NotFound) {
		return Booking{}, false, notFound()
	}
	if err != nil {
		return Booking{}, false, err
	}
	mine := b.Party == Party(p)
	owner := p.OrgID == b.OwnerOrg && p.Has(identity.OrgAdmin)
	if !mine && !owner {
		return Booking{}, false, notFound()
	}
	return b, mine, nil
}

// Get returns a booking of the caller's party (or on the caller's
// organisation's resources, for its administrators).
func (s *Service) Get(ctx context.Context, p *identity.Principal, id string) (Booking, error) {
	b, _, err := s.loadBooking(ctx, p, id)
	return s.shown(b), err
}

// Confirm confirms a held booking of the caller's party before its hold
// ends; a paid one's reservation is posted to the owner. Asked again, it
// answers the confirmed booking.
func (s *Service) Confirm(ctx context.Context, p *identity.Principal, id string) (Booking, error) {
	if _, err := uuid.Parse(id); err == nil && p != nil {
		// The usual confirmation, the caller's own free booking while
		// its hold lasts, is one guarded statement with no read first
		// (a round trip per booking on PostgreSQL); anything else moves
		// nothing and is decided below on the booking as read.
		now := s.now()
		b, err := s.store.MoveBooking(ctx, Move{ID: id, From: []Status{Held}, To: Confirmed, LiveAt: now, At: now, Own: &MoveOwn{Party: Party(p), Via: s.via}},
			s.record(p, "booking.confirm", "booking", id, "", ""))
		if !errors.Is(err, ErrNotMoved) {
			return s.shown(b), err
		}
	}
	b, mine, err := s.loadBooking(ctx, p, id)
	if err != nil {
		return Booking{}, err
	}
	if !mine {
		return Booking{}, problem.New(problem.Forbidden, "only who booked confirms")
	}
	// Only who manages the resource matters here, which never changes: a
	// copy from the cache will do (see resourceCache).
	r, ok := s.resources.get(b.ResourceID)
	if !ok {
		if r, err = s.store.GetResource(ctx, b.ResourceID); err != nil {
			return Booking{}, err
		}
		s.resources.put(r)
	}
	if err := s.managed(&r); err != nil {
		return Booking{}, err
	}
	now := s.now()
	switch b.Status {
	case Confirmed:
		return b, nil
	case Held:
		to := Confirming
		if b.PriceKZT == 0 {
			to = Confirmed
		}
		b, err = s.store.MoveBooking(ctx, Move{ID: b.ID, From: []Status{Held}, To: to, LiveAt: now, At: now},
			s.record(p, "booking.confirm", "booking", b.ID, b.OwnerOrg, ""))
		if problem.Is(err, problem.Conflict) {
			// Another request moved it first (a double click): answer
			// what it became; otherwise the hold has ended.
			cur, gerr := s.store.GetBooking(ctx, id)
			if gerr == nil && (cur.Status == Confirmed || cur.Status == Confirming) {
				if cur.Status == Confirmed {
					return s.shown(cur), nil
				}
				return s.post(ctx, p, cur)
			}
			if gerr == nil && cur.Status == Cancelled {
				// Cancelled under us (its resource withdrawn) maybe before
				// our reservation reached the ledger: release it now.
				s.release(ctx, p, cur)
				return Booking{}, &problem.Error{Code: problem.Conflict, Message: "the booking was cancelled", Fields: map[string]string{"status": "cancelled"}}
			}
			return Booking{}, &problem.Error{Code: problem.Conflict, Message: "the hold has ended", Fields: map[string]string{"status": "expired"}}
		}
		if err != nil || to == Confirmed {
			return s.shown(b), err
		}
	case Confirming:
	default:
		return Booking{}, &problem.Error{Code: problem.Conflict, Message: "the booking is " + string(b.StatusAt(now)),
			Fields: map[string]string{"status": string(b.StatusAt(now))}}
	}
	return s.post(ctx, p, b)
}

// post asks the ledger to post a confirming booking's reservation and
// records the outcome; the id is derived, so asking twice moves money once.
func (s *Service) post(ctx context.Context, p *identity.Principal, b Booking) (Booking, error) {
	now := s.now()
	res, err := s.cfg.Ledger.SubmitSystem(ctx, []ledger.Transfer{{ID: PostID(b.ID), PendingID: HoldID(b.ID), Amount: b.PriceKZT,
		Currency: "KZT", Flags: ledger.PostPending, Code: CodeHold, Reference: b.ID}},
		s.record(p, "booking.pay", "booking", b.ID, b.OwnerOrg, money.FormatAmount(b.PriceKZT, 2)+" KZT"))
	if err != nil {
		return Booking{}, err
	}
	if c := res[0].Code; !c.Created() && c != ledger.PendingTransferAlreadyPosted {
		// The reservation is gone (expired, or never made): the place goes back.
		if _, merr := s.store.MoveBooking(ctx, Move{ID: b.ID, From: []Status{Confirming}, To: Cancelled, At: now, OfferMinutes: 15},
			s.record(p, "booking.expire", "booking", b.ID, b.OwnerOrg, string(c))); merr != nil && !problem.Is(merr, problem.Conflict) {
			return Booking{}, merr
		}
		return Booking{}, refusal(c, "status")
	}
	b, err = s.store.MoveBooking(ctx, Move{ID: b.ID, From: []Status{Confirming}, To: Confirmed, At: now},
		s.record(p, "booking.confirmed", "booking", b.ID, b.OwnerOrg, PostID(b.ID).String()))
	if problem.Is(err, problem.Conflict) {
		b, err = s.store.GetBooking(ctx, b.ID)
	}
	return s.shown(b), err
}

// FinishConfirmations completes the confirmations a stopped process left
// half done: a booking confirming for longer than olderThan has its
// reservation posted (the post's id is derived from the booking, so a
// post that did happen is found, not repeated) and becomes confirmed, or,
// when the reservation is gone, is cancelled and its place offered again.
// Without it such a booking would hold its place until its owner asked
// again. It answers how many it finished.
func (s *Service) FinishConfirmations(ctx context.Context, olderThan time.Duration) (int, error) {
	stale, err := s.store.StaleConfirmations(ctx, s.now().Add(-olderThan), 500)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, b := range stale {
		if _, err := s.post(ctx, nil, b); err != nil && !problem.Is(err, problem.Conflict) {
			return n, fmt.Errorf("booking %s: %w", b.ID, err)
		}
		n++
	}
	return n, nil
}

// Run finishes stale confirmations every minute until ctx ends (see
// FinishConfirmations); several processes may run it, each post and move
// happens once.
func (s *Service) Run(ctx context.Context) {
	t := time.NewTicker(time.Minute)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if n, err := s.FinishConfirmations(ctx, time.Minute); err != nil {
				s.cfg.Log.Warn("booking confirmations", "err", err)
			} else if n > 0 {
				s.cfg.Log.Info("stale booking confirmations finished", "count", n)
			}
			if n, err := s.FinishWithdrawals(ctx); err != nil {
				s.cfg.Log.Warn("withdrawn resources", "err", err)
			} else if n > 0 {
				s.cfg.Log.Info("bookings on withdrawn resources finished", "count", n)
			}
		}
	}
}

// FinishWithdrawn cancels every booking left on a withdrawn resource the
// handle's service manages: holds are released, confirmed bookings
// refunded in full. Whoever withdrew it calls it right away; the sweeper
// (FinishWithdrawals) does the same for what a stopped process left.
// Every move is guarded and every transfer id derived from its booking, so
// any number of concurrent or repeated calls refund each booking once. It
// answers how many bookings it finished; the first refusal (an owner's
// account short of the refunds) is returned after the others were tried.
func (s *Service) FinishWithdrawn(ctx context.Context, p *identity.Principal, resourceID string) (int, error) {
	r, err := s.store.GetResource(ctx, resourceID)
	if problem.Is(err, problem.NotFound) || err == nil && (r.WithdrawnAt.IsZero() || s.managed(&r) != nil || p != nil && !isOwner(p, &r)) {
		return 0, notFound()
	}
	if err != nil {
		return 0, err
	}
	list, err := s.store.ListBookings(ctx, BookingQuery{ResourceID: r.ID, Limit: MaxCapacity * 2})
	if err != nil {
		return 0, err
	}
	return s.finishAll(ctx, p, list)
}

// FinishWithdrawals is the sweeper's part of FinishWithdrawn: the
// bookings still live or owing a refund on any withdrawn resource.
func (s *Service) FinishWithdrawals(ctx context.Context) (int, error) {
	list, err := s.store.WithdrawnBookings(ctx, 500)
	if err != nil {
		return 0, err
	}
	return s.finishAll(ctx, nil, list)
}

func (s *Service) finishAll(ctx context.Context, p *identity.Principal, list []Booking) (int, error) {
	n := 0
	var first error
	for _, b := range list {
		if b.Status == Cancelled && !b.RefundDue {
			continue
		}
		if err := s.finishOne(ctx, p, b.ID); err != nil {
			if first == nil {
				first = fmt.Errorf("booking %s: %w", b.ID, err)
			}
			continue
		}
		n++
	}
	return n, first
}

// finishOne cancels one booking of a withdrawn resource, reading it again
// whenever a concurrent move (the booker's confirmation, another
// finisher) got there first.
func (s *Service) finishOne(ctx context.Context, p *identity.Principal, id string) error {
	var last error
	for range 8 {
		b, err := s.store.GetBooking(ctx, id)
		if problem.Is(err, problem.NotFound) {
			// Dropped since it was listed: the ledger refused its
			// reservation (see Book), so nothing was held or paid.
			return nil
		}
		if err != nil {
			return err
		}
		if b.Status == Cancelled && !b.RefundDue {
			return nil
		}
		r, err := s.store.GetResource(ctx, b.ResourceID)
		if err != nil {
			return err
		}
		// A conflict (moved meanwhile) or a booking gone meanwhile (dropped,
		// as above) is looked at again.
		if _, last = s.cancel(ctx, p, b, &r, true); last != nil && !problem.Is(last, problem.Conflict) && !problem.Is(last, problem.NotFound) {
			return last
		}
	}
	return last
}

// Cancel cancels a booking of the caller's party (or, for the owner's
// administrators, one on their resource). A hold is released; a confirmed
// booking is refunded in full up to the resource's refund time before the
// start (always, when the owner cancels), nothing after. A cancelled
// booking whose refund the ledger refused (the owner's account short)
// keeps it due, and cancelling again pays it: the refund's id is derived
// from the booking, so it is paid once whatever is retried.
func (s *Service) Cancel(ctx context.Context, p *identity.Principal, id string) (Booking, error) {
	b, mine, err := s.loadBooking(ctx, p, id)
	if err != nil {
		return Booking{}, err
	}
	r, err := s.store.GetResource(ctx, b.ResourceID)
	if err != nil {
		return Booking{}, err
	}
	if err := s.managed(&r); err != nil {
		return Booking{}, err
	}
	return s.cancel(ctx, p, b, &r, !mine)
}

// cancel moves b as Cancel describes; owner (or a withdrawn resource)
// refunds in full.
func (s *Service) cancel(ctx context.Context, p *identity.Principal, b Booking, r *Resource, owner bool) (Booking, error) {
	var err error
	now := s.now()
	offer := r.HoldMinutes
	if !r.WithdrawnAt.IsZero() {
		owner = true
	}
	switch b.Status {
	case Cancelled:
		if b.RefundDue {
			return s.refund(ctx, p, b)
		}
		return Booking{}, &problem.Error{Code: problem.Conflict, Message: "the booking is already cancelled", Fields: map[string]string{"status": "cancelled"}}
	case Held, Confirming:
		if b.Status == Confirming {
			// Finish the confirmation first, then cancel what it became.
			if b, err = s.post(ctx, p, b); err != nil {
				return Booking{}, err
			}
			return s.cancel(ctx, p, b, r, owner)
		}
		b, err = s.store.MoveBooking(ctx, Move{ID: b.ID, From: []Status{Held}, To: Cancelled, At: now, OfferMinutes: offer},
			s.record(p, "booking.cancel", "booking", b.ID, b.OwnerOrg, "hold released"))
		if err != nil {
			return Booking{}, err
		}
		s.release(ctx, p, b)
		return s.shown(b), nil
	case Confirmed:
		refund := r.RefundAt(&b, now)
		if owner {
			refund = b.PriceKZT
		}
		b, err = s.store.MoveBooking(ctx, Move{ID: b.ID, From: []Status{Confirmed}, To: Cancelled, Refund: refund, At: now, OfferMinutes: offer},
			s.record(p, "booking.cancel", "booking", b.ID, b.OwnerOrg, money.FormatAmount(refund, 2)+" KZT refund"))
		if err != nil {
			return Booking{}, err
		}
		if b.RefundDue {
			return s.refund(ctx, p, b)
		}
		return s.shown(b), nil
	}
	return Booking{}, problem.New(problem.Conflict, "the booking cannot be cancelled")
}

// release voids the reservation of a hold that was cancelled (the void's
// id is derived, so releasing twice releases once). A reservation not
// made yet (its booker's request is still between the place and the
// ledger) is released by the booker's confirmation, which finds the
// booking cancelled; the ledger's timeout releases anything else.
func (s *Service) release(ctx context.Context, p *identity.Principal, b Booking) {
	if b.PriceKZT <= 0 {
		return
	}
	res, lerr := s.cfg.Ledger.SubmitSystem(ctx, []ledger.Transfer{{ID: VoidID(b.ID), PendingID: HoldID(b.ID), Flags: ledger.VoidPending,
		Code: CodeHold, Reference: b.ID}}, s.record(p, "booking.release", "booking", b.ID, b.OwnerOrg, ""))
	if lerr != nil || !res[0].Code.Created() && res[0].Code != ledger.PendingTransferExpired && res[0].Code != ledger.PendingTransferAlreadyVoided {
		s.cfg.Log.Warn("booking reservation left to expire", "booking", b.ID, "err", lerr)
	}
}

// refund pays a cancelled booking's refund back to the account it was paid
// from (the ledger's record, never a request), once.
func (s *Service) refund(ctx context.Context, p *identity.Principal, b Booking) (Booking, error) {
	res, err := s.cfg.Ledger.SubmitSystem(ctx, []ledger.Transfer{{ID: RefundID(b.ID), DebitAccount: uuid.MustParse(b.PayTo),
		CreditAccount: uuid.MustParse(b.PayFrom), Amount: b.RefundKZT, Currency: "KZT", Code: CodeRefund, Reference: b.ID}},
		s.record(p, "booking.refund", "booking", b.ID, b.OwnerOrg, money.FormatAmount(b.RefundKZT, 2)+" KZT"))
	if err != nil {
		return Booking{}, err
	}
	if !res[0].Code.Created() {
		return Booking{}, refusal(res[0].Code, "refund")
	}
	if err := s.store.RefundPaid(ctx, b.ID, s.now(), s.record(p, "booking.refunded", "booking", b.ID, b.OwnerOrg, RefundID(b.ID).String())); err != nil {
		return Booking{}, err
	}
	b.RefundDue = false
	return s.shown(b), nil
}

// Mine lists the caller's party's bookings overlapping [from, to) (zero:
// from a day ago, for 90 days), soonest first.
func (s *Service) Mine(ctx context.Context, p *identity.Principal, from, to time.Time) ([]Booking, error) {
	if p == nil {
		return nil, problem.New(problem.Unauthenticated, "sign in")
	}
	if from.IsZero() {
		from = s.now().Add(-24 * time.Hour)
	}
	if to.IsZero() {
		to = from.AddDate(0, 0, 90)
	}
	list, err := s.store.ListBookings(ctx, BookingQuery{Party: Party(p), From: from, To: to, Limit: 1000})
	for i := range list {
		list[i] = s.shown(list[i])
	}
	return list, err
}

// OnResource lists the bookings on a resource the caller's organisation
// owns, for its administrators.
func (s *Service) OnResource(ctx context.Context, p *identity.Principal, id string, from, to time.Time) ([]Booking, error) {
	r, err := s.loadResource(ctx, p, id)
	if err != nil {
		return nil, err
	}
	if !isOwner(p, &r) {
		return nil, problem.New(problem.Forbidden, "only the owner's administrators see a resource's bookings")
	}
	list, err := s.store.ListBookings(ctx, BookingQuery{ResourceID: r.ID, From: from, To: to, Limit: 10_000})
	for i := range list {
		list[i] = s.shown(list[i])
	}
	return list, err
}

// Usage is one day of a resource's utilisation: place-slots booked
// (confirmed) against place-slots open.
type Usage struct {
	Date   string `json:"date"`
	Booked int    `json:"booked"`
	Open   int    `json:"open"`
}

// Utilisation counts, for days local days from from, the confirmed places
// against the open ones of a resource the caller's organisation owns.
func (s *Service) Utilisation(ctx context.Context, p *identity.Principal, id, from string, days int) (Resource, []Usage, error) {
	r, err := s.loadResource(ctx, p, id)
	if err != nil {
		return Resource{}, nil, err
	}
	if !isOwner(p, &r) {
		return Resource{}, nil, problem.New(problem.Forbidden, "only the owner's administrators see a resource's utilisation")
	}
	now := s.now()
	first, err := dayOf(&r, from, days, now)
	if err != nil {
		return Resource{}, nil, err
	}
	if days <= 0 {
		days = 14
	}
	list, err := s.store.ListBookings(ctx, BookingQuery{ResourceID: r.ID, From: first, To: first.AddDate(0, 0, days), Limit: 100_000})
	if err != nil {
		return Resource{}, nil, err
	}
	out := make([]Usage, days)
	for d := range days {
		day := first.AddDate(0, 0, d)
		slots := r.DaySlots(day.Year(), day.Month(), day.Day())
		u := Usage{Date: day.Format(time.DateOnly), Open: len(slots) * r.Capacity}
		next := day.AddDate(0, 0, 1)
		for i := range list {
			if list[i].Status == Confirmed && !list[i].Start.Before(day) && list[i].Start.Before(next) {
				u.Booked++
			}
		}
		out[d] = u
	}
	return r, out, nil
}

// WaitInput asks for a place in the queue of a full slot.
type WaitInput struct {
	ResourceID string `json:"resource_id"`
	Start      string `json:"start"`
}

// JoinWait queues the caller's party for a slot that is full; when a place
// frees up the first party waiting is offered it for the resource's hold
// time (it books it as usual).
func (s *Service) JoinWait(ctx context.Context, p *identity.Principal, in WaitInput) (Wait, error) {
	if p == nil {
		return Wait{}, problem.New(problem.Unauthenticated, "sign in")
	}
	start, serr := time.Parse(time.RFC3339, strings.TrimSpace(in.Start))
	if serr != nil {
		return Wait{}, &problem.Error{Code: problem.Invalid, Message: "the request is not valid", Fields: map[string]string{"start": "must be a date and time (RFC 3339)"}}
	}
	r, err := s.loadResource(ctx, p, strings.TrimSpace(in.ResourceID))
	if err != nil {
		return Wait{}, &problem.Error{Code: problem.NotFound, Message: "no such resource", Fields: map[string]string{"resource_id": "no such resource"}}
	}
	if !canBook(p, &r) {
		return Wait{}, problem.New(problem.Forbidden, "you may not book this resource")
	}
	if err := s.managed(&r); err != nil {
		return Wait{}, err
	}
	if err := withdrawn(&r); err != nil {
		return Wait{}, err
	}
	now := s.now()
	slot, err := r.Bookable(start.UTC(), now)
	if err != nil {
		return Wait{}, err
	}
	w := Wait{ID: uuid.Must(uuid.NewV7()).String(), ResourceID: r.ID, Start: slot.Start, Org: p.OrgID, User: p.UserID, Party: Party(p), Status: Waiting, CreatedAt: now}
	wf, wt := r.Window(slot)
	w, err = s.store.JoinWait(ctx, w, Take{Capacity: r.Capacity, WindowFrom: wf, WindowTo: wt, OfferMinutes: r.HoldMinutes, Now: now}, s.record(p, "booking.wait", "booking_wait", w.ID, r.OwnerOrg, slot.Start.Format(time.RFC3339)))
	if err != nil {
		return Wait{}, err
	}
	w.Status = w.StatusAt(now)
	return w, nil
}

// Waits lists the caller's party's places in queues.
func (s *Service) Waits(ctx context.Context, p *identity.Principal) ([]Wait, error) {
	if p == nil {
		return nil, problem.New(problem.Unauthenticated, "sign in")
	}
	now := s.now()
	list, err := s.store.ListWaits(ctx, Party(p), now)
	for i := range list {
		list[i].Status = list[i].StatusAt(now)
	}
	return list, err
}

// Calendar is the caller's party's bookings of the coming year as an
// iCalendar (RFC 5545) document, for calendar applications.
func (s *Service) Calendar(ctx context.Context, p *identity.Principal) (string, error) {
	now := s.now()
	list, err := s.Mine(ctx, p, now.AddDate(0, 0, -30), now.AddDate(1, 0, 0))
	if err != nil {
		return "", err
	}
	names := map[string]string{}
	for _, b := range list {
		if _, ok := names[b.ResourceID]; !ok {
			r, err := s.store.GetResource(ctx, b.ResourceID)
			if err != nil {
				return "", err
			}
			names[b.ResourceID] = r.Name
		}
	}
	return ICalendar(list, func(id string) string { return names[id] }, now), nil
}
