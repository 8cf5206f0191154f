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
	Authorise func(i int, debit, credit *Account) bool
	// Audit says who submitted which transfers: one record per submitting
	// request, with the index range of its transfers in the batch. The
	// store completes each record with what was created and appends it in
	// the batch's transaction.
	Audit []BatchAudit
}

// BatchAudit attributes transfers [From, To) of a batch to a submitter.
type BatchAudit struct {
	From, To int
	Record   audit.Record
}

// Store is the ledger's storage. CreateTransfers must load the batch's
// state, run Apply and write the outcome in one serializable transaction.
type Store interface {
	CreateAccounts(ctx context.Context, accounts []Account, rec audit.Record) error
	GetAccount(ctx context.Context, id ID) (Account, error)
	ListAccounts(ctx context.Context, orgID string, afterRow int64, limit int) ([]Account, error)
	CloseAccount(ctx context.Context, id ID, rec audit.Record) error
	// AccountByCode finds an org's account of a purpose in a currency (for
	// example a bank's FX inventory), the oldest if there are several.
	AccountByCode(ctx context.Context, orgID, currency, code string) (Account, error)

	CreateTransfers(ctx context.Context, reqs []Transfer, opts BatchOptions) ([]Result, error)
	GetTransfer(ctx context.Context, id ID) (Transfer, error)
	// History returns an account's transfers newest first, starting at
	// sequence number from (0: the newest).
	History(ctx context.Context, account ID, from int64, limit int) ([]Transfer, error)
	// BalanceAt returns the account's posted balance (credits minus debits)
	// as of t.
	BalanceAt(ctx context.Context, account ID, t time.Time) (int64, error)
	// SystemAccount finds the system account (flag System) of an org, a
	// currency and a purpose.
	SystemAccount(ctx context.Context, orgID, currency, code string) (Account, error)
	// IssuerAccounts lists issuer accounts, of one org or (orgID "") all.
	IssuerAccounts(ctx context.Context, orgID string) ([]Account, error)
	// SetAccountLimit changes an issuer account's limit.
	SetAccountLimit(ctx context.Context, id ID, limit int64, rec audit.Record) error
	// ExpiredPendings lists open pending transfers whose timeout passed, in
	// (expiry, id) order after the cursor.
	ExpiredPendings(ctx context.Context, now time.Time, after ExpiryCursor, limit int) ([]ExpiryCursor, error)
	// Verify recomputes every balance from the transfers.
	Verify(ctx context.Context) (VerifyReport, error)

	// SeqBefore is the sequence number of the account's last transfer
	// before t (0 when there is none).
	SeqBefore(ctx context.Context, account ID, t time.Time) (int64, error)
	// SearchAccounts lists an org's accounts matching q, by row.
	SearchAccounts(ctx context.Context, q AccountQuery) ([]Account, error)
	// SaveCounterparty stores c and appends rec in one transaction; a
	// second save of the same account or label by the org is a conflict.
	SaveCounterparty(ctx context.Context, c SavedCounterparty, rec audit.Record) error
	// ListCounterparties lists an org's saved counterparties by label, of
	// one currency unless currency is "".
	ListCounterparties(ctx context.Context, orgID, currency string) ([]SavedCounterparty, error)
	// DeleteCounterparty removes an org's saved counterparty (not_found
	// when the org has none with that id) and appends rec.
	DeleteCounterparty(ctx context.Context, orgID, id string, rec audit.Record) error
}

// VerifyReport is what `bricstown ledger verify` prints.
type VerifyReport struct {
	Accounts  int
	Transfers int64
	Problems  []string
	// Totals per currency: debits and credits posted (must be equal).
	Totals map[string][2]int64
}

// ExpiryCursor is a pending transfer's place in the expiry sweep.
type ExpiryCursor struct {
	ExpiresAt time.Time
	ID        ID
}
