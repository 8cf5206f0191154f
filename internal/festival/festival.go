// Package festival is the art zone (issue 12): the international
// festivals of music, dance and drama and the exhibition hall's
// long-running shows, their programmes, tickets with a QR code, and the
// check-in at the door.
//
// It is built on the booking engine, never beside it: each ticket
// category of a performance is one booking resource whose capacity is the
// category's quota and whose only open slot is the performance, so the
// engine's serializable capacity check is what keeps a category from being
// oversold, its paid hold and confirmation are the purchase (the buyer's
// own account to the organiser's, through the ledger), its idempotency key
// makes a retried purchase the same ticket, and its cancellation policy is
// the refund. What this package adds is the programme, the ticket (the
// entry pass of one confirmed booking: an unguessable token) and the one
// admission at the door.
package festival

import (
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"bricstown/internal/problem"
)

// Languages are the catalogue's five; a performance's title is given in
// each of them.
var Languages = []string{"en", "ru", "zh", "kk", "pt"}

// Kinds of festival; "exhibition" is the exhibition hall's long-running
// show, whose performances are its days (or sessions).
var Kinds = []string{"music", "dance", "drama", "exhibition"}

// Limits.
const (
	MaxCategories   = 8
	MaxQuota        = 100_000
	MaxPriceKZT     = 100_000_000_00 // 100 million KZT per ticket, in tiyn
	MaxRefundHours  = 30 * 24
	MaxDescription  = 2000
	MaxPerformances = 500
)

// Festival is a programme of performances by one organiser.
type Festival struct {
	ID          string `json:"id"`
	OrgID       string `json:"org_id"`
	Name        string `json:"name"`
	Kind        string `json:"kind"`
	Description string `json:"description"`
	// Account is the organiser's KZT account ticket sales are paid into.
	Account string `json:"account_id"`
	// RefundHours: a ticket cancelled at least this long before the
	// performance is refunded in full, later not at all (the engine's
	// policy); a performance the organiser cancels is always refunded.
	RefundHours int       `json:"refund_hours"`
	CreatedAt   time.Time `json:"created_at"`
}

// Performance is one date of the programme.
type Performance struct {
	ID         string            `json:"id"`
	FestivalID string            `json:"festival_id"`
	OrgID      string            `json:"org_id"`
	Titles     map[string]string `json:"titles"`
	Venue      string            `json:"venue"`
	Start      time.Time         `json:"start"`
	End        time.Time         `json:"end"`
	Categories []Category        `json:"categories"`
	CreatedAt  time.Time         `json:"created_at"`
	// CancelledAt is when the organiser cancelled it (zero: it takes
	// place): no more sales, every ticket cancelled and refunded in full.
	CancelledAt time.Time `json:"cancelled_at,omitzero"`
}

// Title is the performance's title in lang, English when missing.
func (p *Performance) Title(lang string) string {
	if t := p.Titles[lang]; t != "" {
		return t
	}
	return p.Titles["en"]
}

// Category is a class of seats with its quota and price.
type Category struct {
	ID         string `json:"id"`
	Name       string `json:"name"`
	Quota      int    `json:"quota"`
	PriceKZT   int64  `json:"price_kzt"`
	ResourceID string `json:"resource_id"`
	// Left is the places still free (filled when asked for).
	Left int `json:"left"`
}

// Ticket statuses.
const (
	Valid     = "valid"
	Cancelled = "cancelled"
)

// Ticket is the entry pass of one confirmed booking.
type Ticket struct {
	ID            string    `json:"id"`
	BookingID     string    `json:"booking_id"`
	CategoryID    string    `json:"category_id"`
	PerformanceID string    `json:"performance_id"`
	OrgID         string    `json:"org_id"`
	BuyerOrg      string    `json:"buyer_org"`
	BuyerUser     string    `json:"buyer_user"`
	Party         string    `json:"-"`
	Token         string    `json:"token,omitempty"`
	Status        string    `json:"status"`
	AdmittedAt    time.Time `json:"admitted_at,omitzero"`
	AdmittedBy    string    `json:"-"`
	CreatedAt     time.Time `json:"created_at"`
	// Filled for display.
	PriceKZT  int64 `json:"price_kzt"`
	RefundKZT int64 `json:"refund_kzt"`
}

func checkText(f problem.Fields, field, s string, max int) string {
	s = strings.TrimSpace(s)
	switch n := utf8.RuneCountInString(s); {
	case n == 0:
		f.Add(field, "required")
	case n > max:
		f.Addf(field, "at most %d characters", max)
	case strings.ContainsFunc(s, func(c rune) bool { return c < 0x20 || c == 0x7f }):
		f.Add(field, "must not contain control characters")
	}
	return s
}

// FestivalInput is what an organiser fills in.
type FestivalInput struct {
	Name        string `json:"name"`
	Kind        string `json:"kind"`
	Description string `json:"description"`
	AccountID   string `json:"account_id"`
	RefundHours int    `json:"refund_hours"`
}

func (in *FestivalInput) check(f problem.Fields) {
	in.Name = checkText(f, "name", in.Name, 120)
	in.Description = strings.TrimSpace(in.Description)
	if utf8.RuneCountInString(in.Description) > MaxDescription {
		f.Addf("description", "at most %d characters", MaxDescription)
	}
	in.Kind = strings.TrimSpace(in.Kind)
	ok := false
	for _, k := range Kinds {
		ok = ok || k == in.Kind
	}
	if !ok {
		f.Add("kind", "must be music, dance, drama or exhibition")
	}
	if in.RefundHours < 0 || in.RefundHours > MaxRefundHours {
		f.Addf("refund_hours", "must be a whole number from %d to %d", 0, MaxRefundHours)
	}
}

// CategoryInput is one ticket category of a new performance.
type CategoryInput struct {
	Name     string `json:"name"`
	Quota    int    `json:"quota"`
	PriceKZT int64  `json:"price_kzt"`
}

// PerformanceInput is a date of the programme. Start and End are RFC 3339
// or local Asia/Almaty "YYYY-MM-DDTHH:MM" (what a form sends); a
// performance lies within one local day (the engine's slot).
type PerformanceInput struct {
	Titles     map[string]string `json:"titles"`
	Venue      string            `json:"venue"`
	Start      string            `json:"start"`
	End        string            `json:"end"`
	Categories []CategoryInput   `json:"categories"`
}

// ParseLocal reads a time given with an offset (RFC 3339) or as Almaty
// wall time without one.
func ParseLocal(s string, loc *time.Location) (time.Time, bool) {
	s = strings.TrimSpace(s)
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t.UTC(), true
	}
	for _, layout := range []string{"2006-01-02T15:04", "2006-01-02 15:04"} {
		if t, err := time.ParseInLocation(layout, s, loc); err == nil {
			return t.UTC(), true
		}
	}
	return time.Time{}, false
}

// check validates in and returns the performance's times.
func (in *PerformanceInput) check(f problem.Fields, loc *time.Location, now time.Time) (time.Time, time.Time) {
	titles := map[string]string{}
	for _, l := range Languages {
		titles[l] = checkText(f, "titles."+l, in.Titles[l], 200)
	}
	for l := range in.Titles {
		if _, ok := titles[l]; !ok {
			f.Add("titles."+l, "must be one of en, ru, zh, kk, pt")
		}
	}
	in.Titles = titles
	in.Venue = checkText(f, "venue", in.Venue, 120)
	start, ok1 := ParseLocal(in.Start, loc)
	end, ok2 := ParseLocal(in.End, loc)
	if !ok1 {
		f.Add("start", "must be a date and time (RFC 3339)")
	}
	if !ok2 {
		f.Add("end", "must be a date and time (RFC 3339)")
	}
	if ok1 {
		switch {
		case !start.After(now):
			f.Add("start", "is in the past")
		case start.After(now.AddDate(0, 0, 366)):
			f.Addf("start", "at most %d days ahead", 366)
		case start.In(loc).Second() != 0:
			f.Add("start", "must be a whole minute")
		}
	}
	if ok1 && ok2 {
		ls, le := start.In(loc), end.In(loc)
		switch {
		case end.Sub(start) < 5*time.Minute:
			f.Add("end", "must end after it starts")
		case ls.Format(time.DateOnly) != le.Format(time.DateOnly) && !(le.Hour() == 0 && le.Minute() == 0 && le.Sub(ls) <= 24*time.Hour):
			f.Add("end", "must end on the day it starts (local time)")
		case le.Second() != 0:
			f.Add("end", "must be a whole minute")
		}
	}
	switch n := len(in.Categories); {
	case n == 0:
		f.Add("categories", "required")
	case n > MaxCategories:
		f.Addf("categories", "at most %d categories", MaxCategories)
	}
	seen := map[string]bool{}
	for i := range in.Categories {
		c := &in.Categories[i]
		field := fmt.Sprintf("categories[%d]", i)
		c.Name = checkText(f, field+".name", c.Name, 60)
		if seen[strings.ToLower(c.Name)] {
			f.Add(field+".name", "named twice")
		}
		seen[strings.ToLower(c.Name)] = true
		if c.Quota < 1 || c.Quota > MaxQuota {
			f.Addf(field+".quota", "must be a whole number from %d to %d", 1, MaxQuota)
		}
		if c.PriceKZT < 0 || c.PriceKZT > MaxPriceKZT {
			f.Addf(field+".price_kzt", "must be a whole number from %d to %d", 0, MaxPriceKZT)
		}
	}
	return start, end
}
