// Package booking is the town's one booking engine: bookable resources
// (a conference room, an exhibition hall, later a doctor's consultation
// slot or a course seat) with an owner organisation, a capacity, weekly
// opening hours in the resource's own time zone, closures, buffers,
// minimum notice and a horizon; holds that expire, confirmation,
// cancellation with a refund policy and a waiting list whose first party
// gets a time-limited offer when a place frees up.
//
// A place is never sold twice: the store takes capacity in one
// serializable transaction that counts what is live on the slot and
// guards the resource's row, so concurrent attempts beyond capacity are
// refused with 409 (see sqlstore.BookSlot). Paid bookings move money only
// through the ledger: a hold is a pending transfer from the booker's own
// account to the owner's, confirmation posts it, cancellation voids it or
// refunds by policy, and a hold nobody confirms is released by the
// ledger's own timeout.
//
// The slot arithmetic in this file is pure: no I/O, the clock passed in.
package booking

import (
	"fmt"
	"strings"
	"sync"
	"time"

	"bricstown/internal/problem"

	"github.com/google/uuid"
)

// DefaultTimeZone is the town's: Asia/Almaty (UTC+5).
const DefaultTimeZone = "Asia/Almaty"

// Limits that keep a resource's figures far from overflow and absurdity.
const (
	MaxCapacity     = 100_000
	MaxPriceKZT     = 1_000_000_000_000 // 10 billion KZT in tiyn per slot
	MaxSlotMinutes  = 24 * 60
	MaxBufferMin    = 24 * 60
	MaxNoticeMin    = 30 * 24 * 60
	MaxHorizonDays  = 366
	MaxHoldMinutes  = 24 * 60
	MaxRefundHours  = 30 * 24
	MaxClosures     = 200
	MaxHoursPerWeek = 7 * 4
)

// Grace is how long after a hold's end its place stays taken: confirming
// is refused from HoldUntil on, but the place is given to someone else only
// after HoldUntil+Grace, so a confirmation that passed its check while the
// hold was live can finish with the ledger before anyone else can take the
// place. The ledger's reservation lives as long, then releases itself.
const Grace = 2 * time.Minute

// Hours are one opening span on a weekday, in the resource's local time:
// Day 0 is Sunday (time.Weekday), From and To are "HH:MM", To after From
// ("24:00" closes at midnight).
type Hours struct {
	Day  int    `json:"day"`
	From string `json:"from"`
	To   string `json:"to"`
}

// Closure is a period the resource is closed (a holiday, maintenance),
// whatever its weekly hours say.
type Closure struct {
	From   time.Time `json:"from"`
	To     time.Time `json:"to"`
	Reason string    `json:"reason,omitempty"`
}

// Resource is something bookable.
type Resource struct {
	ID       string `json:"id"`
	OwnerOrg string `json:"owner_org"`
	Name     string `json:"name"`
	// Kind is what it is: room, hall, office, doctor, course...
	Kind     string    `json:"kind"`
	Capacity int       `json:"capacity"`
	TimeZone string    `json:"time_zone"`
	Hours    []Hours   `json:"hours"`
	Closures []Closure `json:"closures,omitempty"`
	// SlotMinutes is the length of one slot; slots start at the opening
	// time of each span and follow each other.
	SlotMinutes  int   `json:"slot_minutes"`
	BufferBefore int   `json:"buffer_before_minutes"`
	BufferAfter  int   `json:"buffer_after_minutes"`
	MinNoticeMin int   `json:"min_notice_minutes"`
	HorizonDays  int   `json:"horizon_days"`
	HoldMinutes  int   `json:"hold_minutes"`
	RefundHours  int   `json:"refund_hours"` // full refund when cancelled at least this long before the start; none after
	PriceKZT     int64 `json:"price_kzt"`    // per slot, tiyn; 0: free
	// Account is the owner's KZT account paid bookings are paid into.
	Account string `json:"account_id,omitempty"`
	Public  bool   `json:"public"` // residents may book it too
	// ManagedBy names the service whose rules sit on the resource
	// ("festival", "clinic"); empty for the engine's own. Only that
	// service books, confirms or cancels on it (see Service.For).
	ManagedBy string `json:"managed_by,omitempty"`
	// WithdrawnAt is when the resource was withdrawn for good: no more
	// bookings, every booking on it cancelled and refunded in full.
	WithdrawnAt time.Time `json:"withdrawn_at,omitzero"`
	CreatedAt   time.Time `json:"created_at"`
	UpdatedAt   time.Time `json:"updated_at"`
}

// Status is a booking's life.
type Status string

// Statuses. Expired is never stored: a held booking whose hold ended is
// expired (the ledger releases its reservation by timeout).
const (
	Held       Status = "held"
	Confirming Status = "confirming" // confirmation under way: the ledger is asked to post
	Confirmed  Status = "confirmed"
	Cancelled  Status = "cancelled"
	Expired    Status = "expired"
)

// Booking is one place on one slot of one resource.
type Booking struct {
	ID         string `json:"id"`
	ResourceID string `json:"resource_id"`
	OwnerOrg   string `json:"owner_org"`
	BookerOrg  string `json:"booker_org"`
	BookerUser string `json:"booker_user"`
	// Party is who the booking belongs to: the organisation, or for a
	// resident the resident (residents share one organisation).
	Party     string    `json:"-"`
	Start     time.Time `json:"start"`
	End       time.Time `json:"end"`
	Status    Status    `json:"status"`
	HoldUntil time.Time `json:"hold_until"`
	PriceKZT  int64     `json:"price_kzt"`
	PayFrom   string    `json:"pay_from,omitempty"`
	PayTo     string    `json:"pay_to,omitempty"`
	// Key is the caller's idempotency key scoped to its organisation
	// (ledger.ScopedID), so a retry finds this booking.
	Key       string    `json:"-"`
	RefundKZT int64     `json:"refund_kzt"`
	RefundDue bool      `json:"refund_due"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// StatusAt is the status as the world sees it at now.
func (b *Booking) StatusAt(now time.Time) Status {
	if b.Status == Held && !now.Before(b.HoldUntil) {
		return Expired
	}
	return b.Status
}

// WaitStatus is a waiting-list entry's life.
type WaitStatus string

// Wait statuses. An offer past OfferUntil has lapsed (not stored).
const (
	Waiting  WaitStatus = "waiting"
	Offered  WaitStatus = "offered"
	Accepted WaitStatus = "accepted"
	Lapsed   WaitStatus = "lapsed"
)

// Wait is a party's place in the queue for a full slot.
type Wait struct {
	ID         string     `json:"id"`
	ResourceID string     `json:"resource_id"`
	Start      time.Time  `json:"start"`
	Org        string     `json:"org"`
	User       string     `json:"user"`
	Party      string     `json:"-"`
	Status     WaitStatus `json:"status"`
	OfferUntil time.Time  `json:"offer_until,omitzero"`
	CreatedAt  time.Time  `json:"created_at"`
}

// StatusAt is the entry's status at now.
func (w *Wait) StatusAt(now time.Time) WaitStatus {
	if w.Status == Offered && !now.Before(w.OfferUntil) {
		return Lapsed
	}
	return w.Status
}

var ns = uuid.MustParse("3c6f1e8a-52d4-4b8e-a1f7-9d0b2e4c6a13")

// HoldID is the ledger id of a booking's reservation; PostID of its
// confirmation, VoidID of its release, RefundID of its refund. All are
// version 5, derived from the booking: no client id can occupy them, and
// a retry meets the same ids.
func HoldID(id string) uuid.UUID   { return uuid.NewSHA1(ns, []byte(id+"/hold")) }
func PostID(id string) uuid.UUID   { return uuid.NewSHA1(ns, []byte(id+"/post")) }
func VoidID(id string) uuid.UUID   { return uuid.NewSHA1(ns, []byte(id+"/void")) }
func RefundID(id string) uuid.UUID { return uuid.NewSHA1(ns, []byte(id+"/refund")) }

// parseClock reads "HH:MM" as minutes since midnight (24:00 allowed).
func parseClock(s string) (int, bool) {
	var h, m int
	if len(s) != 5 || s[2] != ':' {
		return 0, false
	}
	if _, err := fmt.Sscanf(s, "%02d:%02d", &h, &m); err != nil {
		return 0, false
	}
	if h < 0 || m < 0 || m > 59 || h > 24 || h == 24 && m != 0 {
		return 0, false
	}
	return h*60 + m, true
}

// Location is the resource's time zone.
func Location(name string) (*time.Location, bool) {
	if name == "" || strings.ContainsAny(name, " .\\") && !strings.Contains(name, "/") {
		return nil, false
	}
	if name == "Local" {
		return nil, false
	}
	if loc, ok := locations.Load(name); ok {
		return loc.(*time.Location), true
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, false
	}
	locations.Store(name, loc)
	return loc, true
}

// locations remembers the zones Location loaded. time.LoadLocation reads
// and parses the zone file on every call (it caches only Local), which
// was a fifth of the booking service's own CPU in the booking benchmark;
// zones do not change while the process runs, and only valid names are
// kept, so the map holds at most the few hundred zones of the IANA database.
var locations sync.Map

// Check validates r's figures and fills defaults; it reports every bad
// field at once.
func (r *Resource) Check(f problem.Fields) {
	r.Name = strings.TrimSpace(r.Name)
	switch n := len([]rune(r.Name)); {
	case n == 0:
		f.Add("name", "required")
	case n > 120:
		f.Addf("name", "at most %d characters", 120)
	case strings.ContainsFunc(r.Name, func(c rune) bool { return c < 0x20 || c == 0x7f }):
		f.Add("name", "must not contain control characters")
	}
	r.Kind = strings.TrimSpace(r.Kind)
	switch r.Kind {
	case "room", "hall", "office", "doctor", "course", "venue":
	default:
		f.Add("kind", "must be room, hall, office, doctor, course or venue")
	}
	if r.Capacity < 1 || r.Capacity > MaxCapacity {
		f.Addf("capacity", "must be a whole number from 1 to %d", MaxCapacity)
	}
	if r.TimeZone == "" {
		r.TimeZone = DefaultTimeZone
	}
	if _, ok := Location(r.TimeZone); !ok {
		f.Add("time_zone", "must be an IANA time zone such as Asia/Almaty")
	}
	between := func(field string, v, lo, hi int) {
		if v < lo || v > hi {
			f.Addf(field, "must be a whole number from %d to %d", lo, hi)
		}
	}
	if r.SlotMinutes == 0 {
		r.SlotMinutes = 60
	}
	if r.HorizonDays == 0 {
		r.HorizonDays = 90
	}
	if r.HoldMinutes == 0 {
		r.HoldMinutes = 15
	}
	between("slot_minutes", r.SlotMinutes, 5, MaxSlotMinutes)
	between("buffer_before_minutes", r.BufferBefore, 0, MaxBufferMin)
	between("buffer_after_minutes", r.BufferAfter, 0, MaxBufferMin)
	between("min_notice_minutes", r.MinNoticeMin, 0, MaxNoticeMin)
	between("horizon_days", r.HorizonDays, 1, MaxHorizonDays)
	between("hold_minutes", r.HoldMinutes, 1, MaxHoldMinutes)
	between("refund_hours", r.RefundHours, 0, MaxRefundHours)
	if r.PriceKZT < 0 || r.PriceKZT > MaxPriceKZT {
		f.Addf("price_kzt", "must be a whole number from %d to %d", 0, MaxPriceKZT)
	}
	if len(r.Hours) == 0 {
		f.Add("hours", "required")
	}
	if len(r.Hours) > MaxHoursPerWeek {
		f.Addf("hours", "at most %d spans", MaxHoursPerWeek)
	}
	for i, h := range r.Hours {
		from, ok1 := parseClock(h.From)
		to, ok2 := parseClock(h.To)
		field := fmt.Sprintf("hours[%d]", i)
		switch {
		case h.Day < 0 || h.Day > 6:
			f.Add(field, "day must be 0 (Sunday) to 6 (Saturday)")
		case !ok1 || !ok2:
			f.Add(field, "from and to must be times HH:MM")
		case to <= from:
			f.Add(field, "must close after it opens")
		case r.SlotMinutes > 0 && to-from < r.SlotMinutes:
			f.Add(field, "shorter than one slot")
		}
	}
	if len(r.Closures) > MaxClosures {
		f.Addf("closures", "at most %d spans", MaxClosures)
	}
	for i, c := range r.Closures {
		if !c.To.After(c.From) {
			f.Add(fmt.Sprintf("closures[%d]", i), "must close after it opens")
		}
		r.Closures[i].From, r.Closures[i].To = c.From.UTC(), c.To.UTC()
	}
}

// Slot is one bookable interval.
type Slot struct {
	Start time.Time `json:"start"`
	End   time.Time `json:"end"`
}

// Occupied is the interval a booking of s keeps the resource from others:
// the slot with its buffers.
func (r *Resource) Occupied(s Slot) (time.Time, time.Time) {
	return s.Start.Add(-time.Duration(r.BufferBefore) * time.Minute), s.End.Add(time.Duration(r.BufferAfter) * time.Minute)
}

// Window is the interval in which another booking's slot overlaps s's
// occupied interval with its own buffers: bookings starting before the
// window's end and ending after its start compete with s for capacity.
func (r *Resource) Window(s Slot) (time.Time, time.Time) {
	b := time.Duration(r.BufferBefore+r.BufferAfter) * time.Minute
	return s.Start.Add(-b), s.End.Add(b)
}

// DaySlots lists the slots the weekly hours open on the local date of day
// (year, month, day in the resource's zone), closures removed. It does not
// apply notice or horizon: see Bookable.
func (r *Resource) DaySlots(year int, month time.Month, day int) []Slot {
	loc, ok := Location(r.TimeZone)
	if !ok || r.SlotMinutes <= 0 {
		return nil
	}
	wd := time.Date(year, month, day, 12, 0, 0, 0, loc).Weekday()
	var out []Slot
	for _, h := range r.Hours {
		if h.Day != int(wd) {
			continue
		}
		from, ok1 := parseClock(h.From)
		to, ok2 := parseClock(h.To)
		if !ok1 || !ok2 {
			continue
		}
		for m := from; m+r.SlotMinutes <= to; m += r.SlotMinutes {
			start := time.Date(year, month, day, m/60, m%60, 0, 0, loc)
			end := time.Date(year, month, day, (m+r.SlotMinutes)/60, (m+r.SlotMinutes)%60, 0, 0, loc)
			s := Slot{Start: start.UTC(), End: end.UTC()}
			// A local hour the clocks skip (daylight saving) is no slot.
			if !s.End.After(s.Start) || start.Hour()*60+start.Minute() != m {
				continue
			}
			if !r.closed(s) {
				out = append(out, s)
			}
		}
	}
	// Spans may be listed in any order.
	for i := 1; i < len(out); i++ {
		for j := i; j > 0 && out[j].Start.Before(out[j-1].Start); j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	return out
}

func (r *Resource) closed(s Slot) bool {
	for _, c := range r.Closures {
		if s.Start.Before(c.To) && s.End.After(c.From) {
			return true
		}
	}
	return false
}

// SlotAt finds the slot that starts at start, or reports why there is
// none: the field message says what is wrong with the start.
func (r *Resource) SlotAt(start time.Time) (Slot, string) {
	loc, ok := Location(r.TimeZone)
	if !ok {
		return Slot{}, "the resource's time zone is not valid"
	}
	l := start.In(loc)
	for _, s := range r.DaySlots(l.Year(), l.Month(), l.Day()) {
		if s.Start.Equal(start) {
			return s, ""
		}
	}
	// Say whether it is closed or merely off the grid.
	probe := Slot{Start: start, End: start.Add(time.Duration(r.SlotMinutes) * time.Minute)}
	if r.closed(probe) {
		return Slot{}, "the resource is closed then"
	}
	return Slot{}, "not the start of an open slot"
}

// Bookable checks that a slot starting at start may be booked at now:
// on the grid of open hours, not closed, at least the minimum notice
// ahead, within the horizon.
func (r *Resource) Bookable(start, now time.Time) (Slot, error) {
	fail := func(msg string) (Slot, error) {
		return Slot{}, &problem.Error{Code: problem.Invalid, Message: "the slot cannot be booked", Fields: map[string]string{"start": msg}}
	}
	if !start.After(now) {
		return fail("is in the past")
	}
	if start.Before(now.Add(time.Duration(r.MinNoticeMin) * time.Minute)) {
		return fail(fmt.Sprintf("needs at least %d minutes' notice", r.MinNoticeMin))
	}
	if start.After(now.Add(time.Duration(r.HorizonDays) * 24 * time.Hour)) {
		return fail(fmt.Sprintf("at most %d days ahead", r.HorizonDays))
	}
	s, why := r.SlotAt(start)
	if why != "" {
		return fail(why)
	}
	return s, nil
}

// RefundAt is what a cancellation at now gives back of a confirmed
// booking: everything up to RefundHours before the start, nothing after.
func (r *Resource) RefundAt(b *Booking, now time.Time) int64 {
	if now.Add(time.Duration(r.RefundHours) * time.Hour).After(b.Start) {
		return 0
	}
	return b.PriceKZT
}

// DayFree is the number of places left on each of a day's slots given the
// live bookings (and live offers) around it, for the availability view.
// taken(s) is how many places are held on slot s.
func (r *Resource) DayFree(slots []Slot, taken func(Slot) int) []int {
	out := make([]int, len(slots))
	for i, s := range slots {
		out[i] = max(0, r.Capacity-taken(s))
	}
	return out
}

// Overlaps reports whether booking b competes with slot s for capacity.
func (r *Resource) Overlaps(b *Booking, s Slot) bool {
	from, to := r.Window(s)
	return b.Start.Before(to) && b.End.After(from)
}

// LiveAt reports whether b holds its place at now: confirmed, being
// confirmed, or held and not yet past its hold and grace.
func (b *Booking) LiveAt(now time.Time) bool {
	switch b.Status {
	case Confirmed, Confirming:
		return true
	case Held:
		return now.Before(b.HoldUntil.Add(Grace))
	}
	return false
}
