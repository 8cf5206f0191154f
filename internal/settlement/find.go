package settlement

import (
	"context"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"bricstown/internal/identity"
	"bricstown/internal/problem"
)

// InstructionQuery narrows a list of instructions, newest first: what the
// bank's and the centre's pages and the API's listings search by
// (docs/UI.md, "Lists that scale").
type InstructionQuery struct {
	// Search is found case-insensitively inside the end-to-end id, the
	// remittance information or either bank's name (at most MaxSearch
	// characters).
	Search string
	// Currency is the payer's currency (ISO 4217).
	Currency string
	// From and To bound the time the instruction was received, [From, To);
	// zero is open.
	From, To time.Time
	// Unsettled keeps the queue: queued, held, deferred and excluded
	// instructions, not cancelled or settled ones.
	Unsettled bool
	// Before is the cursor: sequence numbers below it (0: from the newest).
	Before int64
	Limit  int
	// OrgID is set by the service: the bank whose instructions (paid or
	// received) are listed, "" for every bank's.
	OrgID string
}

// MaxSearch bounds a search's text, in characters.
const MaxSearch = 100

// check refuses a query no list can answer, with the API's field names.
func (q *InstructionQuery) check() error {
	f := problem.Fields{}
	q.Search = strings.TrimSpace(q.Search)
	if utf8.RuneCountInString(q.Search) > MaxSearch {
		f.Add("q", fmt.Sprintf("at most %d characters", MaxSearch))
	}
	q.Currency = strings.ToUpper(strings.TrimSpace(q.Currency))
	if q.Currency != "" && !currencyShape(q.Currency) {
		f.Add("currency", fmt.Sprintf("unknown ISO 4217 currency %q", q.Currency))
	}
	if !q.From.IsZero() && !q.To.IsZero() && !q.From.Before(q.To) {
		f.Add("to", "must be after from")
	}
	if q.Before < 0 {
		f.Add("cursor", "not a cursor from this listing")
	}
	if q.Limit <= 0 || q.Limit > QueueLimit {
		q.Limit = QueueLimit
	}
	return f.Err("bad instruction query")
}

func currencyShape(c string) bool {
	if len(c) != 3 {
		return false
	}
	for _, r := range c {
		if r < 'A' || r > 'Z' {
			return false
		}
	}
	return true
}

// SearchInstructions lists the caller's bank's instructions (paid or
// received) that match q; the settlement centre sees every bank's. It is
// Instructions with a search, read by the page and the API alike.
func (s *Service) SearchInstructions(ctx context.Context, p *identity.Principal, q InstructionQuery) ([]Instruction, error) {
	q.OrgID = p.OrgID
	if s.IsCentre(ctx, p) {
		q.OrgID = ""
	}
	if err := q.check(); err != nil {
		return nil, err
	}
	return s.store.FindInstructions(ctx, q)
}

// SearchQueue is the centre's whole queue (Queue) narrowed by q.
func (s *Service) SearchQueue(ctx context.Context, p *identity.Principal, q InstructionQuery) ([]Instruction, error) {
	if err := s.mustBeCentre(ctx, p, "see the whole queue"); err != nil {
		return nil, err
	}
	q.OrgID, q.Unsettled = "", true
	if err := q.check(); err != nil {
		return nil, err
	}
	return s.store.FindInstructions(ctx, q)
}

// CycleQuery narrows the list of cycles, newest first, by when they
// settled.
type CycleQuery struct {
	// From and To bound the settlement time, [From, To); zero is open.
	From, To time.Time
	// Before is the cursor: cycle numbers below it (0: from the newest).
	Before int64
	Limit  int
}

// SearchCycles lists the cycles that settled in q's period: Cycles with
// a filter, read by the page and the API alike.
func (s *Service) SearchCycles(ctx context.Context, q CycleQuery) ([]Cycle, error) {
	f := problem.Fields{}
	if !q.From.IsZero() && !q.To.IsZero() && !q.From.Before(q.To) {
		f.Add("to", "must be after from")
	}
	if q.Before < 0 {
		f.Add("cursor", "not a cursor from this listing")
	}
	if err := f.Err("bad cycle query"); err != nil {
		return nil, err
	}
	if q.Limit <= 0 || q.Limit > QueueLimit {
		q.Limit = QueueLimit
	}
	cs, err := s.store.FindCycles(ctx, q)
	for i := range cs {
		cs[i].Report.Deferrals, cs[i].Report.Exclusions = nil, nil
	}
	return cs, err
}
