package ledger

import (
	"context"
	"time"

	"bricstown/internal/audit"
)

// BatchOptions carry the caller's context into a batch.
type BatchOptions struct {
	Now       time.Time
	System    bool
	Authorise func(debit, credit *Account) bool
	// Audit describes who submitted the batch; the store appends one audit
	// entry per committed batch (the transfers themselves are the detail).
	Audit audit.Record
}

// Store is the ledger's storage. CreateTransfers must load the batch's
// state, run Apply and write the outcome in one serializable transaction.
type Store interface {
	CreateAccounts(ctx context.Context, accounts []Account, rec audit.Record) error
	GetAccount(ctx context.Context, id ID) (Account, error)
	ListAccounts(ctx context.Context, orgID string, afterRow int64, limit int) ([]Account, error)
	CloseAccount(ctx context.Context, id ID, rec audit.Record) error

	CreateTransfers(ctx context.Context, reqs []Transfer, opts BatchOptions) ([]Result, error)
	GetTransfer(ctx context.Context, id ID) (Transfer, error)
	// History returns an account's transfers newest first, starting at
	// sequence number from (0: the newest).
	History(ctx context.Context, account ID, from int64, limit int) ([]Transfer, error)
	// BalanceAt returns the account's posted balance (credits minus debits)
	// as of t.
	BalanceAt(ctx context.Context, account ID, t time.Time) (int64, error)
	// ExpiredPendings lists open pending transfers whose timeout passed.
	ExpiredPendings(ctx context.Context, now time.Time, limit int) ([]ID, error)
	// Verify recomputes every balance from the transfers.
	Verify(ctx context.Context) (VerifyReport, error)
}

// VerifyReport is what `bricstown ledger verify` prints.
type VerifyReport struct {
	Accounts  int
	Transfers int64
	Problems  []string
	// Totals per currency: debits and credits posted (must be equal).
	Totals map[string][2]int64
}
