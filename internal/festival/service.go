package festival

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"bricstown/internal/audit"
	"bricstown/internal/booking"
	"bricstown/internal/identity"
	"bricstown/internal/ledger"
	"bricstown/internal/problem"

	"github.com/google/uuid"
)

// Config wires the service to the platform.
type Config struct {
	Log     *slog.Logger
	Ledger  *ledger.Service
	Booking *booking.Service
	Now     func() time.Time
}

// Service applies the art zone's rules: an event organiser's
// administrators (the venue administrators) make festivals and their
// programmes; everyone signed in reads the programme; residents and
// company users buy tickets, each party seeing only its own; the
// organiser's door staff (its users with the organiser role) admit the
// tickets of its performances.
type Service struct {
	store Store
	cfg   Config
	loc   *time.Location
}

// NewService returns a service on store.
func NewService(store Store, cfg Config) *Service {
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Booking != nil {
		// The categories' resources are the festival's: the generic
		// booking API neither lists nor books them.
		cfg.Booking = cfg.Booking.For("festival")
	}
	loc, ok := booking.Location(booking.DefaultTimeZone)
	if !ok {
		loc = time.FixedZone("ALMT", 5*3600)
	}
	return &Service{store: store, cfg: cfg, loc: loc}
}

// Location is the town's time zone, in which the programme is shown.
func (s *Service) Location() *time.Location { return s.loc }

func (s *Service) now() time.Time { return s.cfg.Now().UTC().Truncate(time.Microsecond) }

func notFound() error {
	return problem.New(problem.NotFound, "no such festival, performance or ticket")
}

// PerformanceCancelled is the refusal of anything on a performance its
// organiser cancelled, with the field it is about.
func PerformanceCancelled(field string) error {
	return &problem.Error{Code: problem.Conflict, Message: "the performance is cancelled", Fields: map[string]string{field: "the performance is cancelled"}}
}

func (s *Service) record(p *identity.Principal, action, subject, id, org, detail string) audit.Record {
	u, o := p.Actor()
	return audit.Record{ActorUser: u, ActorOrg: o, Action: action, SubjectType: subject, SubjectID: id, OrgID: org, Detail: detail}
}

// IsVenueAdmin: an event organiser's administrators run its festivals.
func IsVenueAdmin(p *identity.Principal) bool {
	return p != nil && p.Has(identity.OrgAdmin) && p.OrgKind == identity.KindEventOrganiser
}

// isDoorStaff: the organiser's own staff (its users with the organiser
// role) admit tickets and read sales.
func isDoorStaff(p *identity.Principal, org string) bool {
	return p != nil && p.OrgID == org && p.Has(identity.Organiser)
}

// MayBuy: residents and the users of organisations who may book.
func MayBuy(p *identity.Principal) bool {
	return p != nil && p.HasAny(identity.Resident, identity.Trader, identity.OrgAdmin)
}

// WalletCode is the code of a resident's own KZT account (ledger.WalletCode).
func WalletCode(userID string) string { return ledger.WalletCode(userID) }

// CreateFestival makes a festival of the caller's organiser.
func (s *Service) CreateFestival(ctx context.Context, p *identity.Principal, in FestivalInput) (Festival, error) {
	if !IsVenueAdmin(p) {
		return Festival{}, problem.New(problem.Forbidden, "only an event organiser's administrators make festivals")
	}
	f := problem.Fields{}
	in.check(f)
	acc := s.payee(ctx, p.OrgID, in.AccountID, f)
	if err := f.Err("the festival is not valid"); err != nil {
		return Festival{}, err
	}
	fest := Festival{ID: uuid.Must(uuid.NewV7()).String(), OrgID: p.OrgID, Name: in.Name, Kind: in.Kind, Description: in.Description,
		Account: acc, RefundHours: in.RefundHours, CreatedAt: s.now()}
	if err := s.store.CreateFestival(ctx, fest, s.record(p, "festival.create", "festival", fest.ID, p.OrgID, fest.Name)); err != nil {
		return Festival{}, err
	}
	return fest, nil
}

// payee checks the organiser's own KZT account sales are paid into.
func (s *Service) payee(ctx context.Context, org, id string, f problem.Fields) string {
	u, err := uuid.Parse(strings.TrimSpace(id))
	if err != nil || s.cfg.Ledger == nil {
		f.Add("account_id", "must be the id of one of your KZT accounts")
		return ""
	}
	a, err := s.cfg.Ledger.AccountByID(ctx, u)
	switch {
	case err != nil || a.OrgID != org || a.Flags&ledger.System != 0:
		f.Add("account_id", "must be the id of one of your KZT accounts")
	case a.Currency != "KZT":
		f.Add("account_id", "must be a KZT account")
	case a.Closed:
		f.Add("account_id", "the account is closed")
	}
	return u.String()
}

// Festivals lists the festivals (the programme is public within the
// platform).
func (s *Service) Festivals(ctx context.Context, p *identity.Principal) ([]Festival, error) {
	if p == nil {
		return nil, problem.New(problem.Unauthenticated, "sign in")
	}
	return s.store.ListFestivals(ctx, 500)
}

// Festival returns a festival with its performances, soonest first.
func (s *Service) Festival(ctx context.Context, p *identity.Principal, id string) (Festival, []Performance, error) {
	if p == nil {
		return Festival{}, nil, problem.New(problem.Unauthenticated, "sign in")
	}
	if _, err := uuid.Parse(id); err != nil {
		return Festival{}, nil, notFound()
	}
	f, err := s.store.GetFestival(ctx, id)
	if err != nil {
		return Festival{}, nil, err
	}
	list, err := s.store.ListPerformances(ctx, f.ID)
	return f, list, err
}

// AddPerformance adds a date to a festival of the caller's organiser:
// each ticket category becomes a booking resource of the organiser whose
// capacity is the quota, whose one open slot is the performance (weekly
// hours on its weekday, closed before and after) and whose price is the
// category's, paid into the festival's account.
func (s *Service) AddPerformance(ctx context.Context, p *identity.Principal, festivalID string, in PerformanceInput) (Performance, error) {
	if p == nil {
		return Performance{}, problem.New(problem.Unauthenticated, "sign in")
	}
	if _, err := uuid.Parse(festivalID); err != nil {
		return Performance{}, notFound()
	}
	fest, err := s.store.GetFestival(ctx, festivalID)
	if err != nil {
		return Performance{}, err
	}
	if !IsVenueAdmin(p) || p.OrgID != fest.OrgID {
		return Performance{}, problem.New(problem.Forbidden, "only the organiser's administrators change its programme")
	}
	now := s.now()
	f := problem.Fields{}
	start, end := in.check(f, s.loc, now)
	if err := f.Err("the performance is not valid"); err != nil {
		return Performance{}, err
	}
	if have, err := s.store.ListPerformances(ctx, fest.ID); err != nil {
		return Performance{}, err
	} else if len(have) >= MaxPerformances {
		return Performance{}, problem.New(problem.Conflict, "a festival has at most %d performances", MaxPerformances)
	}
	perf := Performance{ID: uuid.Must(uuid.NewV7()).String(), FestivalID: fest.ID, OrgID: fest.OrgID, Titles: in.Titles, Venue: in.Venue,
		Start: start, End: end, CreatedAt: now}
	ls, le := start.In(s.loc), end.In(s.loc)
	to := le.Format("15:04")
	if le.Day() != ls.Day() {
		to = "24:00"
	}
	for i, c := range in.Categories {
		name := fmt.Sprintf("%s · %s · %s", in.Titles["en"], ls.Format("2006-01-02 15:04"), c.Name)
		if r := []rune(name); len(r) > 120 {
			name = string(r[:119]) + "…"
		}
		res, err := s.cfg.Booking.CreateResource(ctx, p, booking.ResourceInput{Name: name, Kind: "venue", Capacity: c.Quota,
			TimeZone: booking.DefaultTimeZone, Hours: []booking.Hours{{Day: int(ls.Weekday()), From: ls.Format("15:04"), To: to}},
			Closures:    []booking.Closure{{From: start.AddDate(-1, 0, -2), To: start, Reason: "festival"}, {From: end, To: end.AddDate(1, 0, 2), Reason: "festival"}},
			SlotMinutes: int(end.Sub(start) / time.Minute), HorizonDays: booking.MaxHorizonDays, HoldMinutes: 15, RefundHours: fest.RefundHours,
			PriceKZT: c.PriceKZT, AccountID: fest.Account, Public: true})
		if err != nil {
			if pe, ok := err.(*problem.Error); ok && len(pe.Fields) > 0 {
				fields := problem.Fields{}
				for k, v := range pe.Fields {
					fields.Add(fmt.Sprintf("categories[%d].%s", i, k), v)
				}
				return Performance{}, fields.Err("the performance is not valid")
			}
			return Performance{}, err
		}
		perf.Categories = append(perf.Categories, Category{ID: uuid.Must(uuid.NewV7()).String(), Name: c.Name, Quota: c.Quota, PriceKZT: c.PriceKZT, ResourceID: res.ID})
	}
	if err := s.store.CreatePerformance(ctx, perf, s.record(p, "festival.performance.create", "festival_performance", perf.ID, fest.OrgID,
		perf.Titles["en"]+" "+start.Format(time.RFC3339))); err != nil {
		return Performance{}, err
	}
	return perf, nil
}

// Performance returns a performance with the places left in each
// category (as the engine counts them for the caller; the quota less the
// tickets sold where the engine does not show the caller the resource).
func (s *Service) Performance(ctx context.Context, p *identity.Principal, id string) (Festival, Performance, error) {
	if p == nil {
		return Festival{}, Performance{}, problem.New(problem.Unauthenticated, "sign in")
	}
	if _, err := uuid.Parse(id); err != nil {
		return Festival{}, Performance{}, notFound()
	}
	perf, err := s.store.GetPerformance(ctx, id)
	if err != nil {
		return Festival{}, Performance{}, err
	}
	fest, err := s.store.GetFestival(ctx, perf.FestivalID)
	if err != nil {
		return Festival{}, Performance{}, err
	}
	var sold map[string]int
	day := perf.Start.In(s.loc).Format(time.DateOnly)
	for i := range perf.Categories {
		c := &perf.Categories[i]
		c.Left = -1
		if avail, err := s.cfg.Booking.Availability(ctx, p, c.ResourceID, day, 1); err == nil {
			for _, d := range avail {
				for _, sl := range d.Slots {
					if sl.Start.Equal(perf.Start) {
						c.Left = sl.Free
					}
				}
			}
		}
		if c.Left < 0 {
			if sold == nil {
				if sold, err = s.soldBy(ctx, perf.ID); err != nil {
					return Festival{}, Performance{}, err
				}
			}
			c.Left = max(0, c.Quota-sold[c.ID])
		}
	}
	return fest, perf, nil
}

func (s *Service) soldBy(ctx context.Context, perfID string) (map[string]int, error) {
	list, err := s.store.ListTickets(ctx, TicketQuery{PerformanceID: perfID, Limit: MaxQuota * MaxCategories})
	out := map[string]int{}
	for _, t := range list {
		if t.Status == Valid {
			out[t.CategoryID]++
		}
	}
	return out, err
}

// BuyInput is a ticket purchase.
type BuyInput struct {
	PerformanceID string `json:"performance_id"`
	CategoryID    string `json:"category_id"`
	// Key is the client's idempotency key (a UUID): a retry after a lost
	// answer with the same key answers the same ticket, never a second.
	Key string `json:"key"`
	// PayFrom is one of the buyer's own KZT accounts (a resident's is
	// always the resident's wallet; it may be left empty).
	PayFrom string `json:"pay_from"`
}

// Buy takes a place of the category through the booking engine, pays it
// from the buyer's own account (the engine's paid hold, then its
// confirmation, which posts it to the organiser) and issues the ticket.
// created is false when the key found an earlier purchase.
func (s *Service) Buy(ctx context.Context, p *identity.Principal, in BuyInput) (Ticket, bool, error) {
	if p == nil {
		return Ticket{}, false, problem.New(problem.Unauthenticated, "sign in")
	}
	if !MayBuy(p) {
		return Ticket{}, false, problem.New(problem.Forbidden, "residents and company users buy tickets")
	}
	f := problem.Fields{}
	perf, err := s.store.GetPerformance(ctx, strings.TrimSpace(in.PerformanceID))
	if _, perr := uuid.Parse(strings.TrimSpace(in.PerformanceID)); perr != nil || problem.Is(err, problem.NotFound) {
		return Ticket{}, false, &problem.Error{Code: problem.NotFound, Message: "no such performance", Fields: map[string]string{"performance_id": "no such performance"}}
	} else if err != nil {
		return Ticket{}, false, err
	}
	if !perf.CancelledAt.IsZero() {
		return Ticket{}, false, PerformanceCancelled("performance_id")
	}
	var cat *Category
	for i := range perf.Categories {
		if perf.Categories[i].ID == strings.TrimSpace(in.CategoryID) {
			cat = &perf.Categories[i]
		}
	}
	if cat == nil {
		f.Add("category_id", "no such category")
	}
	payFrom := strings.TrimSpace(in.PayFrom)
	if cat != nil && cat.PriceKZT > 0 && booking.Party(p) != p.OrgID {
		// A resident pays from the resident's own wallet only.
		w, werr := s.cfg.Ledger.AccountByCode(ctx, p.OrgID, "KZT", WalletCode(p.UserID))
		switch {
		case werr != nil:
			f.Add("pay_from", "you have no KZT wallet")
		case payFrom != "" && payFrom != w.ID.String():
			f.Add("pay_from", "must be the id of one of your KZT accounts")
		default:
			payFrom = w.ID.String()
		}
	}
	if err := f.Err("the purchase is not valid"); err != nil {
		return Ticket{}, false, err
	}
	b, created, err := s.cfg.Booking.Book(ctx, p, booking.BookInput{ResourceID: cat.ResourceID, Start: perf.Start.Format(time.RFC3339), Key: in.Key, PayFrom: payFrom})
	if pe, ok := err.(*problem.Error); ok && pe.Fields["resource_id"] == "withdrawn" {
		// The organiser cancelled the performance meanwhile.
		return Ticket{}, false, PerformanceCancelled("performance_id")
	}
	if err != nil {
		return Ticket{}, false, err
	}
	if !created {
		// A retry: the ticket the first attempt issued, if it got so far.
		if t, err := s.ticketOfBooking(ctx, p, b.ID); err == nil {
			return t, false, nil
		}
	}
	if b.Status != booking.Confirmed {
		if b, err = s.cfg.Booking.Confirm(ctx, p, b.ID); err != nil {
			if cur, gerr := s.store.GetPerformance(ctx, perf.ID); gerr == nil && !cur.CancelledAt.IsZero() {
				// The organiser cancelled it while we paid: the engine
				// released or refunds the place.
				return Ticket{}, false, PerformanceCancelled("performance_id")
			}
			return Ticket{}, false, err
		}
	}
	t := Ticket{ID: uuid.Must(uuid.NewV7()).String(), BookingID: b.ID, CategoryID: cat.ID, PerformanceID: perf.ID, OrgID: perf.OrgID,
		BuyerOrg: p.OrgID, BuyerUser: p.UserID, Party: booking.Party(p), Token: newToken(), Status: Valid, CreatedAt: s.now()}
	t, made, err := s.store.IssueTicket(ctx, t, s.record(p, "festival.ticket.issue", "festival_ticket", t.ID, perf.OrgID, cat.Name+" "+perf.Start.Format(time.RFC3339)))
	if err != nil {
		return Ticket{}, false, err
	}
	t.PriceKZT = b.PriceKZT
	return t, created || made, nil
}

func (s *Service) ticketOfBooking(ctx context.Context, p *identity.Principal, bookingID string) (Ticket, error) {
	list, err := s.store.ListTickets(ctx, TicketQuery{Party: booking.Party(p), Limit: 10_000})
	if err != nil {
		return Ticket{}, err
	}
	for _, t := range list {
		if t.BookingID == bookingID {
			return t, nil
		}
	}
	return Ticket{}, notFound()
}

// newToken is 160 random bits in base32: unguessable, short enough to
// type at the door when a camera fails.
func newToken() string {
	var b [20]byte
	_, _ = rand.Read(b[:])
	return base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b[:])
}

// NormalToken reads a token as typed or scanned: spaces and dashes
// dropped, upper case.
func NormalToken(s string) string {
	s = strings.ToUpper(strings.TrimSpace(s))
	s = strings.TrimPrefix(s, "BRICSTOWN-TICKET:")
	return strings.Map(func(r rune) rune {
		if r == ' ' || r == '-' {
			return -1
		}
		return r
	}, s)
}

// Ticket returns a ticket of the caller's party; anyone else is told it
// does not exist.
func (s *Service) Ticket(ctx context.Context, p *identity.Principal, id string) (Ticket, error) {
	if p == nil {
		return Ticket{}, notFound()
	}
	if _, err := uuid.Parse(id); err != nil {
		return Ticket{}, notFound()
	}
	t, err := s.store.GetTicket(ctx, id)
	if problem.Is(err, problem.NotFound) || err == nil && t.Party != booking.Party(p) {
		return Ticket{}, notFound()
	}
	if err != nil {
		return Ticket{}, err
	}
	return s.withMoney(ctx, p, t), nil
}

func (s *Service) withMoney(ctx context.Context, p *identity.Principal, t Ticket) Ticket {
	if b, err := s.cfg.Booking.Get(ctx, p, t.BookingID); err == nil {
		t.PriceKZT, t.RefundKZT = b.PriceKZT, b.RefundKZT
	}
	return t
}

// MyTickets lists the caller's party's tickets, newest first.
func (s *Service) MyTickets(ctx context.Context, p *identity.Principal) ([]Ticket, error) {
	if p == nil {
		return nil, problem.New(problem.Unauthenticated, "sign in")
	}
	return s.store.ListTickets(ctx, TicketQuery{Party: booking.Party(p), Limit: 500})
}

// Admission is the door's answer for a token.
type Admission struct {
	Ticket      Ticket      `json:"ticket"`
	Performance Performance `json:"performance"`
	Category    string      `json:"category"`
	// Admitted is true for the one scan that lets the holder in; a
	// later scan answers false with the time of the first.
	Admitted   bool      `json:"admitted"`
	AdmittedAt time.Time `json:"admitted_at"`
}

// CheckIn admits a ticket of one of the caller's organiser's performances
// once. A token of another organiser's performance answers exactly like an
// unknown one.
func (s *Service) CheckIn(ctx context.Context, p *identity.Principal, token string) (Admission, error) {
	if p == nil {
		return Admission{}, problem.New(problem.Unauthenticated, "sign in")
	}
	token = NormalToken(token)
	unknown := &problem.Error{Code: problem.NotFound, Message: "no such ticket", Fields: map[string]string{"token": "no such ticket"}}
	if token == "" || len(token) > 64 {
		return Admission{}, unknown
	}
	t, err := s.store.TicketByToken(ctx, token)
	if problem.Is(err, problem.NotFound) || err == nil && !isDoorStaff(p, t.OrgID) {
		return Admission{}, unknown
	}
	if err != nil {
		return Admission{}, err
	}
	perf, err := s.store.GetPerformance(ctx, t.PerformanceID)
	if err != nil {
		return Admission{}, err
	}
	if !perf.CancelledAt.IsZero() {
		return Admission{}, PerformanceCancelled("token")
	}
	if t.Status == Cancelled {
		return Admission{}, &problem.Error{Code: problem.Conflict, Message: "the ticket is cancelled", Fields: map[string]string{"token": "the ticket is cancelled"}}
	}
	now := s.now()
	if !now.Before(perf.End) {
		return Admission{}, &problem.Error{Code: problem.Conflict, Message: "the performance is over", Fields: map[string]string{"token": "the performance is over"}}
	}
	got, admitted, err := s.store.Admit(ctx, token, now, p.UserID, s.record(p, "festival.ticket.admit", "festival_ticket", t.ID, t.OrgID, ""))
	if err != nil {
		return Admission{}, err
	}
	a := Admission{Ticket: got, Performance: perf, Admitted: admitted, AdmittedAt: got.AdmittedAt}
	for _, c := range perf.Categories {
		if c.ID == got.CategoryID {
			a.Category = c.Name
		}
	}
	a.Ticket.Token = ""
	return a, nil
}

// Cancel cancels a ticket of the caller's party not yet admitted: the
// ticket is claimed first (so it can no longer be admitted), then the
// booking is cancelled through the engine, which refunds by the
// festival's policy, once, whatever is retried. Asked again, it finishes
// a refund the ledger refused before.
func (s *Service) Cancel(ctx context.Context, p *identity.Principal, id string) (Ticket, error) {
	t, err := s.Ticket(ctx, p, id)
	if err != nil {
		return Ticket{}, err
	}
	if t.Status == Valid {
		if !t.AdmittedAt.IsZero() {
			return Ticket{}, &problem.Error{Code: problem.Conflict, Message: "the ticket was used", Fields: map[string]string{"status": "admitted"}}
		}
		got, err := s.store.CancelTicket(ctx, t.ID, s.now(), s.record(p, "festival.ticket.cancel", "festival_ticket", t.ID, t.OrgID, ""))
		if err != nil && !problem.Is(err, problem.Conflict) {
			return Ticket{}, err
		}
		if err != nil {
			// Someone else moved it first: admitted, or cancelled.
			if cur, gerr := s.store.GetTicket(ctx, t.ID); gerr != nil || cur.Status != Cancelled {
				return Ticket{}, err
			}
		} else {
			t = got
		}
	}
	b, err := s.cfg.Booking.Cancel(ctx, p, t.BookingID)
	if err != nil {
		if cur, gerr := s.cfg.Booking.Get(ctx, p, t.BookingID); gerr == nil && cur.Status == booking.Cancelled && !cur.RefundDue {
			// Already cancelled and settled (a concurrent twin did it).
			t.Status, t.PriceKZT, t.RefundKZT = Cancelled, cur.PriceKZT, cur.RefundKZT
			return t, nil
		}
		return Ticket{}, err
	}
	t.Status, t.PriceKZT, t.RefundKZT = Cancelled, b.PriceKZT, b.RefundKZT
	return t, nil
}

// CategorySales is one category's figures for the organiser.
type CategorySales struct {
	Category
	Sold      int   `json:"sold"`
	Admitted  int   `json:"admitted"`
	Cancelled int   `json:"cancelled"`
	Revenue   int64 `json:"revenue_kzt"`
}

// DaySales is the tickets sold on one local day.
type DaySales struct {
	Date string `json:"date"`
	Sold int    `json:"sold"`
}

// Sales is a performance's sales for its organiser.
type Sales struct {
	Performance Performance     `json:"performance"`
	Categories  []CategorySales `json:"categories"`
	Days        []DaySales      `json:"days"`
}

// Sales counts a performance's tickets by category and by day of sale,
// for the organiser's staff.
func (s *Service) Sales(ctx context.Context, p *identity.Principal, perfID string) (Sales, error) {
	if p == nil {
		return Sales{}, problem.New(problem.Unauthenticated, "sign in")
	}
	if _, err := uuid.Parse(perfID); err != nil {
		return Sales{}, notFound()
	}
	perf, err := s.store.GetPerformance(ctx, perfID)
	if err != nil {
		return Sales{}, err
	}
	if !isDoorStaff(p, perf.OrgID) {
		return Sales{}, problem.New(problem.Forbidden, "only the organiser sees its sales")
	}
	list, err := s.store.ListTickets(ctx, TicketQuery{PerformanceID: perf.ID, Limit: MaxQuota * MaxCategories})
	if err != nil {
		return Sales{}, err
	}
	out := Sales{Performance: perf}
	idx := map[string]int{}
	for i, c := range perf.Categories {
		idx[c.ID] = i
		out.Categories = append(out.Categories, CategorySales{Category: c})
	}
	days := map[string]int{}
	for _, t := range list {
		cs := &out.Categories[idx[t.CategoryID]]
		if t.Status == Cancelled {
			cs.Cancelled++
			continue
		}
		cs.Sold++
		cs.Revenue += cs.PriceKZT
		if !t.AdmittedAt.IsZero() {
			cs.Admitted++
		}
		days[t.CreatedAt.In(s.loc).Format(time.DateOnly)]++
	}
	for i := range out.Categories {
		out.Categories[i].Left = max(0, out.Categories[i].Quota-out.Categories[i].Sold)
	}
	for d, n := range days {
		out.Days = append(out.Days, DaySales{Date: d, Sold: n})
	}
	for i := 1; i < len(out.Days); i++ {
		for j := i; j > 0 && out.Days[j].Date < out.Days[j-1].Date; j-- {
			out.Days[j], out.Days[j-1] = out.Days[j-1], out.Days[j]
		}
	}
	return out, nil
}

// Cancellation is the answer to an organiser's cancellation.
type Cancellation struct {
	Performance Performance `json:"performance"`
	// Refunded is how many bookings this call cancelled or refunded
	// (another concurrent call may have done the rest).
	Refunded int `json:"refunded"`
	// RefundsPending is true when the ledger refused a refund (the
	// organiser's account short): it stays due and the booking sweeper
	// pays it once the account holds the money.
	RefundsPending bool `json:"refunds_pending"`
}

// CancelPerformance cancels a performance for its organiser: first, in one
// transaction, the performance is marked cancelled, its tickets cancelled
// and its categories withdrawn from sale (nothing is sold or admitted
// after that commit); then every booking on its categories is cancelled
// through the engine, holds released and tickets refunded in full, each
// refund under an id derived from its booking. Asked again (or
// concurrently, or after a process stopped halfway) it finishes what is
// left and refunds nothing twice; the booking sweeper does the same on
// its own. Only the organiser's administrators cancel; the programme is
// public, so anyone else who may read it is refused (forbidden), and an
// unknown id is not_found.
func (s *Service) CancelPerformance(ctx context.Context, p *identity.Principal, id string) (Cancellation, error) {
	if p == nil {
		return Cancellation{}, problem.New(problem.Unauthenticated, "sign in")
	}
	id = strings.TrimSpace(id)
	if _, err := uuid.Parse(id); err != nil {
		return Cancellation{}, notFound()
	}
	perf, err := s.store.GetPerformance(ctx, id)
	if problem.Is(err, problem.NotFound) {
		return Cancellation{}, notFound()
	}
	if err != nil {
		return Cancellation{}, err
	}
	if !IsVenueAdmin(p) || p.OrgID != perf.OrgID {
		return Cancellation{}, problem.New(problem.Forbidden, "only the organiser's administrators cancel a performance")
	}
	now := s.now()
	if perf.CancelledAt.IsZero() {
		if !now.Before(perf.End) {
			return Cancellation{}, &problem.Error{Code: problem.Conflict, Message: "the performance is over", Fields: map[string]string{"status": "the performance is over"}}
		}
		if _, err := s.store.CancelPerformance(ctx, perf.ID, now, s.record(p, "festival.performance.cancel", "festival_performance", perf.ID, perf.OrgID,
			perf.Titles["en"]+" "+perf.Start.Format(time.RFC3339))); err != nil {
			return Cancellation{}, err
		}
		if perf, err = s.store.GetPerformance(ctx, perf.ID); err != nil {
			return Cancellation{}, err
		}
	}
	out := Cancellation{Performance: perf}
	for _, c := range perf.Categories {
		n, err := s.cfg.Booking.FinishWithdrawn(ctx, p, c.ResourceID)
		out.Refunded += n
		if err != nil {
			if !problem.Is(err, problem.Conflict) {
				return Cancellation{}, err
			}
			s.cfg.Log.Warn("festival refunds left due", "performance", perf.ID, "err", err)
			out.RefundsPending = true
		}
	}
	return out, nil
}
