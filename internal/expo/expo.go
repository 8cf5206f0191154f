// Package expo runs the town's commodity expos: an organiser sets up an
// expo with its dates, halls and booths; companies apply to exhibit, the
// organiser approves and allocates booths, exhibitors pay their booth fee
// through the ledger and show products of the catalogue; buyers register;
// buyers and exhibitors ask each other for B2B meetings, and the organiser
// runs the scheduler (internal/matchmaking) over the expo's meeting slots
// and tables, which gives each party its agenda.
//
// A booth is never given twice: the store allocates it with one guarded
// UPDATE (the booth must still be free, the application still approved and
// without a booth) in one serializable transaction, and unique indexes on
// both sides hold even if a guard were wrong. A booth fee moves once: its
// ledger transfer id is derived from the application (FeeID), so any number
// of concurrent or repeated payments meet the same id.
//
// The date and slot arithmetic in this file is pure.
package expo

import (
	"fmt"
	"strings"
	"time"

	"bricstown/internal/problem"

	"github.com/google/uuid"
)

// DefaultTimeZone is the town's: Asia/Almaty (UTC+5).
const DefaultTimeZone = "Asia/Almaty"

// Limits that keep an expo's figures far from overflow and absurdity.
const (
	MaxDays        = 14
	MaxTables      = 500
	MaxHallSide    = 50
	MaxBoothM2     = 10_000
	MaxPriceKZT    = 1_000_000_000_000 // 10 billion KZT in tiyn
	MaxNameChars   = 120
	MaxNoteChars   = 500
	MinSlotMinutes = 10
)

// Expo is one exhibition.
type Expo struct {
	ID           string `json:"id"`
	OrganiserOrg string `json:"organiser_org"`
	Name         string `json:"name"`
	Venue        string `json:"venue"`
	// StartsOn and EndsOn are local dates (YYYY-MM-DD) in TimeZone, both
	// included.
	StartsOn string `json:"starts_on"`
	EndsOn   string `json:"ends_on"`
	TimeZone string `json:"time_zone"`
	// MeetingFrom and MeetingTo ("HH:MM", local) bound each day's B2B
	// meeting slots of SlotMinutes; Tables meetings fit in one slot.
	MeetingFrom string `json:"meeting_from"`
	MeetingTo   string `json:"meeting_to"`
	SlotMinutes int    `json:"slot_minutes"`
	Tables      int    `json:"tables"`
	// Account is the organiser's KZT account booth fees are paid into.
	Account   string    `json:"account_id"`
	CreatedAt time.Time `json:"created_at"`
}

// Hall is a hall of an expo: a grid of Rows by Cols booth positions.
type Hall struct {
	ID     string `json:"id"`
	ExpoID string `json:"expo_id"`
	Name   string `json:"name"`
	Rows   int    `json:"rows"`
	Cols   int    `json:"cols"`
}

// BoothStatus is derived from the application a booth is given to.
type BoothStatus string

// Booth statuses.
const (
	BoothFree      BoothStatus = "free"
	BoothAllocated BoothStatus = "allocated" // given, fee not paid yet
	BoothPaid      BoothStatus = "paid"
)

// Booth is a stand in a hall.
type Booth struct {
	ID            string      `json:"id"`
	ExpoID        string      `json:"expo_id"`
	HallID        string      `json:"hall_id"`
	Code          string      `json:"code"`
	SizeM2        int         `json:"size_m2"`
	PriceKZT      int64       `json:"price_kzt"` // tiyn
	Row           int         `json:"row"`
	Col           int         `json:"col"`
	ApplicationID string      `json:"application_id,omitempty"`
	ExhibitorOrg  string      `json:"exhibitor_org,omitempty"`
	Status        BoothStatus `json:"status"`
}

// AppStatus is an exhibitor application's decision.
type AppStatus string

// Application statuses.
const (
	Pending  AppStatus = "pending"
	Approved AppStatus = "approved"
	Rejected AppStatus = "rejected"
)

// Application is a company's request to exhibit.
type Application struct {
	ID      string    `json:"id"`
	ExpoID  string    `json:"expo_id"`
	Org     string    `json:"org"`
	SizeM2  int       `json:"size_m2,omitempty"` // wished booth size; 0: any
	Note    string    `json:"note,omitempty"`
	Status  AppStatus `json:"status"`
	BoothID string    `json:"booth_id,omitempty"`
	FeeKZT  int64     `json:"fee_kzt"`
	Paid    bool      `json:"paid"`
	PayFrom string    `json:"pay_from,omitempty"`
	// FeeTransfer is the ledger id of the booth fee once paid.
	FeeTransfer string    `json:"fee_transfer,omitempty"`
	CreatedAt   time.Time `json:"created_at"`
	UpdatedAt   time.Time `json:"updated_at"`
}

// ShowcaseItem links a product of the catalogue to an exhibitor's stand.
type ShowcaseItem struct {
	ExpoID    string    `json:"expo_id"`
	Org       string    `json:"org"`
	ProductID string    `json:"product_id"`
	Name      string    `json:"name"` // the product's name, for lists
	HS        string    `json:"hs"`
	Origin    string    `json:"origin"`
	CreatedAt time.Time `json:"created_at"`
}

// Buyer is a buyer organisation registered for an expo.
type Buyer struct {
	ExpoID    string    `json:"expo_id"`
	Org       string    `json:"org"`
	User      string    `json:"user"`
	CreatedAt time.Time `json:"created_at"`
}

// RequestStatus is a meeting request's answer.
type RequestStatus string

// Meeting request statuses.
const (
	Requested RequestStatus = "requested"
	Accepted  RequestStatus = "accepted"
	Declined  RequestStatus = "declined"
)

// MeetingRequest asks another participant of the expo for a meeting.
type MeetingRequest struct {
	ID        string        `json:"id"`
	ExpoID    string        `json:"expo_id"`
	FromOrg   string        `json:"from_org"`
	ToOrg     string        `json:"to_org"`
	Message   string        `json:"message,omitempty"`
	Status    RequestStatus `json:"status"`
	CreatedAt time.Time     `json:"created_at"`
	UpdatedAt time.Time     `json:"updated_at"`
}

// Meeting is a placed meeting of the timetable.
type Meeting struct {
	ExpoID    string    `json:"expo_id"`
	RequestID string    `json:"request_id"`
	OrgA      string    `json:"org_a"`
	OrgB      string    `json:"org_b"`
	Slot      int       `json:"slot"`
	Table     int       `json:"table"` // 1-based, as printed on the table
	Start     time.Time `json:"start"`
	End       time.Time `json:"end"`
}

// Run is the outcome of the last scheduler run of an expo: how many
// accepted requests there were, how many the scheduler placed and how many
// the greedy baseline would have.
type Run struct {
	ExpoID   string    `json:"expo_id"`
	Requests int       `json:"requests"`
	Placed   int       `json:"placed"`
	Greedy   int       `json:"greedy"`
	Slots    int       `json:"slots"`
	Tables   int       `json:"tables"`
	At       time.Time `json:"at"`
	By       string    `json:"by"`
}

var ns = uuid.MustParse("7d1c9f40-3b8e-4c2a-9e61-5a0f2d8b4e17")

// FeeID is the ledger id of an application's booth fee: version 5, derived
// from the application, so no client id can occupy it and every payment
// attempt of the same fee meets the same id (charged once).
func FeeID(applicationID string) uuid.UUID {
	return uuid.NewSHA1(ns, []byte(applicationID+"/fee"))
}

// Location is an IANA zone (not Local).
func Location(name string) (*time.Location, bool) {
	if name == "" || name == "Local" {
		return nil, false
	}
	loc, err := time.LoadLocation(name)
	return loc, err == nil
}

func clock(s string) (int, bool) {
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

func checkName(f problem.Fields, field string, s *string, required bool) {
	*s = strings.TrimSpace(*s)
	switch n := len([]rune(*s)); {
	case n == 0 && required:
		f.Add(field, "required")
	case n > MaxNameChars:
		f.Addf(field, "at most %d characters", MaxNameChars)
	case strings.ContainsFunc(*s, func(c rune) bool { return c < 0x20 || c == 0x7f }):
		f.Add(field, "must not contain control characters")
	}
}

// Check validates an expo's figures, filling defaults; every bad field at
// once.
func (e *Expo) Check(f problem.Fields) {
	checkName(f, "name", &e.Name, true)
	checkName(f, "venue", &e.Venue, false)
	if e.TimeZone == "" {
		e.TimeZone = DefaultTimeZone
	}
	loc, ok := Location(e.TimeZone)
	if !ok {
		f.Add("time_zone", "must be an IANA time zone such as Asia/Almaty")
		loc = time.UTC
	}
	from, err1 := time.ParseInLocation(time.DateOnly, strings.TrimSpace(e.StartsOn), loc)
	to, err2 := time.ParseInLocation(time.DateOnly, strings.TrimSpace(e.EndsOn), loc)
	if err1 != nil {
		f.Add("starts_on", "must be a date written YYYY-MM-DD")
	}
	if err2 != nil {
		f.Add("ends_on", "must be a date written YYYY-MM-DD")
	}
	if err1 == nil && err2 == nil {
		if to.Before(from) {
			f.Add("ends_on", "must not be before starts_on")
		} else if to.Sub(from) >= MaxDays*24*time.Hour {
			f.Addf("ends_on", "must be a whole number from %d to %d", 1, MaxDays)
		}
	}
	if e.MeetingFrom == "" {
		e.MeetingFrom, e.MeetingTo = "10:00", "17:00"
	}
	if e.SlotMinutes == 0 {
		e.SlotMinutes = 30
	}
	if e.Tables == 0 {
		e.Tables = 10
	}
	a, ok1 := clock(e.MeetingFrom)
	b, ok2 := clock(e.MeetingTo)
	switch {
	case !ok1 || !ok2:
		f.Add("meeting_hours", "from and to must be times HH:MM")
	case b <= a:
		f.Add("meeting_hours", "must close after it opens")
	}
	if e.SlotMinutes < MinSlotMinutes || e.SlotMinutes > 240 {
		f.Addf("slot_minutes", "must be a whole number from %d to %d", MinSlotMinutes, 240)
	}
	if e.Tables < 1 || e.Tables > MaxTables {
		f.Addf("tables", "must be a whole number from %d to %d", 1, MaxTables)
	}
}

// Slot is one meeting slot.
type Slot struct {
	Start time.Time `json:"start"`
	End   time.Time `json:"end"`
}

// Slots lists the expo's meeting slots in time order: each local day from
// StartsOn to EndsOn, from MeetingFrom, SlotMinutes apart, ending by
// MeetingTo.
func (e *Expo) Slots() []Slot {
	loc, ok := Location(e.TimeZone)
	a, ok1 := clock(e.MeetingFrom)
	b, ok2 := clock(e.MeetingTo)
	if !ok || !ok1 || !ok2 || e.SlotMinutes < MinSlotMinutes {
		return nil
	}
	from, err1 := time.ParseInLocation(time.DateOnly, e.StartsOn, loc)
	to, err2 := time.ParseInLocation(time.DateOnly, e.EndsOn, loc)
	if err1 != nil || err2 != nil {
		return nil
	}
	var out []Slot
	for d := 0; d < MaxDays; d++ {
		day := from.AddDate(0, 0, d)
		if day.After(to) {
			break
		}
		for m := a; m+e.SlotMinutes <= b; m += e.SlotMinutes {
			s := time.Date(day.Year(), day.Month(), day.Day(), m/60, m%60, 0, 0, loc)
			out = append(out, Slot{Start: s.UTC(), End: s.Add(time.Duration(e.SlotMinutes) * time.Minute).UTC()})
		}
	}
	return out
}

// Check validates a hall.
func (h *Hall) Check(f problem.Fields) {
	checkName(f, "name", &h.Name, true)
	if h.Rows < 1 || h.Rows > MaxHallSide {
		f.Addf("rows", "must be a whole number from %d to %d", 1, MaxHallSide)
	}
	if h.Cols < 1 || h.Cols > MaxHallSide {
		f.Addf("cols", "must be a whole number from %d to %d", 1, MaxHallSide)
	}
}

// Check validates a booth against its hall.
func (b *Booth) Check(h *Hall, f problem.Fields) {
	b.Code = strings.ToUpper(strings.TrimSpace(b.Code))
	switch {
	case b.Code == "":
		f.Add("code", "required")
	case len(b.Code) > 16 || strings.IndexFunc(b.Code, func(c rune) bool { return !(c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-') }) >= 0:
		f.Add("code", "must be 1 to 16 letters, digits or dashes")
	}
	if b.SizeM2 < 1 || b.SizeM2 > MaxBoothM2 {
		f.Addf("size_m2", "must be a whole number from %d to %d", 1, MaxBoothM2)
	}
	if b.PriceKZT < 0 || b.PriceKZT > MaxPriceKZT {
		f.Addf("price_kzt", "must be a whole number from %d to %d", 0, MaxPriceKZT)
	}
	if h != nil {
		if b.Row < 1 || b.Row > h.Rows {
			f.Addf("row", "must be a whole number from %d to %d", 1, h.Rows)
		}
		if b.Col < 1 || b.Col > h.Cols {
			f.Addf("col", "must be a whole number from %d to %d", 1, h.Cols)
		}
	}
}

// StatusOf derives a booth's status from its application.
func StatusOf(b *Booth, paid bool) BoothStatus {
	switch {
	case b.ApplicationID == "":
		return BoothFree
	case paid:
		return BoothPaid
	}
	return BoothAllocated
}
