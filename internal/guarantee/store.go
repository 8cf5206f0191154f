package guarantee

import (
	"context"
	"time"

	"bricstown/internal/audit"
)

// Query selects guarantees; zero fields do not filter. Results are ordered
// by id (UUIDv7: issue order), newest first.
type Query struct {
	BankOrg        string
	PrincipalOrg   string
	BeneficiaryOrg string
	After          string // id cursor: continue after (older than) this id
	Limit          int
}

// Store is the guarantees' storage. Lookups answer problem.NotFound when
// nothing matches; every write appends its audit record in the same
// transaction.
type Store interface {
	// CreateGuarantee writes a guarantee whose reservation (HoldSeq 0) the
	// ledger already holds.
	CreateGuarantee(ctx context.Context, g Guarantee, rec audit.Record) error
	GetGuarantee(ctx context.Context, id string) (Guarantee, error)
	ListGuarantees(ctx context.Context, q Query) ([]Guarantee, error)
	// GuaranteeMoves lists a guarantee's moves, oldest first.
	GuaranteeMoves(ctx context.Context, guaranteeID string) ([]Move, error)
	// GuaranteeDrawFor finds the draw (done or intended) for a declaration:
	// a declaration's duties are drawn once, from one guarantee.
	GuaranteeDrawFor(ctx context.Context, declarationID string) (Move, error)
	// OpenGuaranteeMove records the intent m on reservation m.Seq. It
	// answers problem.Conflict when the guarantee is no longer active at
	// HoldSeq m.Seq, when a move on m.Seq exists, or when m draws for a
	// declaration that already has a draw.
	OpenGuaranteeMove(ctx context.Context, m Move, rec audit.Record) error
	// CompleteGuaranteeMove marks the intent done and applies it: a draw
	// lowers the remaining amount and advances HoldSeq (the guarantee is
	// exhausted at zero), a void cancels it. A move already done is left
	// as it is.
	CompleteGuaranteeMove(ctx context.Context, m Move, at time.Time, rec audit.Record) error
	// DropGuaranteeMove deletes an intent the ledger refused.
	DropGuaranteeMove(ctx context.Context, guaranteeID string, seq int64, at time.Time, rec audit.Record) error
}
