package festival

import (
	"context"
	"time"

	"bricstown/internal/audit"
)

// TicketQuery selects tickets; zero fields do not filter. Newest first.
type TicketQuery struct {
	Party         string
	PerformanceID string
	Limit         int
}

// Store is the art zone's storage. Lookups answer problem.NotFound when
// nothing matches; every write appends its audit record in the same
// transaction. Places, money and refunds are the booking engine's: this
// store keeps the programme and the entry passes.
type Store interface {
	CreateFestival(ctx context.Context, f Festival, rec audit.Record) error
	GetFestival(ctx context.Context, id string) (Festival, error)
	ListFestivals(ctx context.Context, limit int) ([]Festival, error)
	// CreatePerformance writes a performance with its categories (whose
	// booking resources exist already).
	CreatePerformance(ctx context.Context, p Performance, rec audit.Record) error
	GetPerformance(ctx context.Context, id string) (Performance, error)
	ListPerformances(ctx context.Context, festivalID string) ([]Performance, error)

	// IssueTicket writes the ticket of a confirmed booking, or, when that
	// booking has one already (a retry, a concurrent twin), answers it
	// (created false): one booking, one ticket.
	IssueTicket(ctx context.Context, t Ticket, rec audit.Record) (Ticket, bool, error)
	GetTicket(ctx context.Context, id string) (Ticket, error)
	TicketByToken(ctx context.Context, token string) (Ticket, error)
	ListTickets(ctx context.Context, q TicketQuery) ([]Ticket, error)
	// Admit admits a valid ticket once, as one guarded statement: admitted
	// is false when it had been admitted before (the answer carries when).
	// A cancelled ticket answers problem.Conflict.
	Admit(ctx context.Context, token string, at time.Time, by string, rec audit.Record) (t Ticket, admitted bool, err error)
	// CancelTicket marks a valid ticket not yet admitted cancelled, as one
	// guarded statement; problem.Conflict (field status) otherwise.
	CancelTicket(ctx context.Context, id string, at time.Time, rec audit.Record) (Ticket, error)
	// CancelPerformance marks a performance cancelled, its valid tickets
	// cancelled and its categories' booking resources withdrawn, in one
	// transaction, so from its commit on no place is taken, no ticket
	// issued and none admitted. A performance cancelled already is left
	// as it is (changed false, no audit entry). IssueTicket refuses a
	// cancelled performance's ticket (problem.Conflict).
	CancelPerformance(ctx context.Context, id string, at time.Time, rec audit.Record) (changed bool, err error)
}
