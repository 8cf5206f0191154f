// Package obligations is the town's trade-credit register and its
// multilateral set-off (MTCS, Fleischman & Dini): companies record the
// invoices they are owed, debtors confirm them, and a clearing run sets off
// the maximum amount around cycles of confirmed debt, so that firms need
// less money to settle what is left.
//
// Rules kept here, whatever adapter calls:
//
//   - An invoice is entered by its creditor's staff (trader or org_admin),
//     identified by its number, unique per creditor: sending the same
//     invoice again answers "exists", the same number with other figures is
//     refused. Batches (JSON or CSV) are all-or-nothing.
//   - Only invoices the debtor has confirmed take part in clearing, because
//     set-off binds both parties.
//   - A clearing run works per currency on the outstanding amounts, solves
//     the network optimally (internal/clearing), certifies the result and
//     refuses to apply one that does not certify, then applies every
//     set-off, the run report and one audit record in one transaction.
//   - A company sees only invoices it owes or is owed, and in run reports
//     the totals plus its own lines; the platform administrator sees all.
//
// Parties are organisations. In the API and in CSV files a party is named
// by its organisation id (UUID) or its registration number (reg_id, as the
// organisation registered it, e.g. a KZ BIN), optionally prefixed with the
// ISO country code and a colon ("KZ:170440000549") when the same number is
// registered in two countries.
package obligations

import (
	"context"
	"time"

	"bricstown/internal/audit"
	"bricstown/internal/identity"
)

// Status is where an invoice stands; it follows from its outstanding
// amount, which clearing runs reduce.
type Status string

const (
	Open          Status = "open"           // nothing set off yet
	PartlyCleared Status = "partly_cleared" // part set off, part still owed
	Cleared       Status = "cleared"        // fully set off
)

// Statuses lists the statuses in a stable order.
var Statuses = []Status{Open, PartlyCleared, Cleared}

// Side is an invoice's direction seen from one organisation.
type Side string

const (
	Receivable Side = "receivable" // the organisation is the creditor
	Payable    Side = "payable"    // the organisation is the debtor
)

// Sources say how an invoice entered the register.
const (
	SourceAPI  = "api"
	SourceCSV  = "csv"
	SourceWeb  = "web"
	SourceDemo = "demo"
)

// Run triggers.
const (
	TriggerManual    = "manual"
	TriggerScheduled = "scheduled"
)

// MaxAmount bounds one invoice (in minor units): 10^15 is ten trillion
// units of a two-decimal currency, far beyond any trade invoice, and keeps
// the sum of a town's invoices well inside int64 for the solver.
const MaxAmount int64 = 1_000_000_000_000_000

// Invoice is one trade-credit obligation: Debtor owes Creditor Amount.
type Invoice struct {
	ID           string
	Number       string
	CreditorOrg  string
	DebtorOrg    string
	CreditorName string // filled in by reads
	DebtorName   string // filled in by reads
	Currency     string
	Amount       int64 // minor units
	Outstanding  int64 // what is still owed after set-offs
	IssueDate    time.Time
	DueDate      time.Time
	Source       string
	CreatedBy    string
	CreatedAt    time.Time
	ConfirmedBy  string
	ConfirmedAt  time.Time // zero while the debtor has not confirmed
	LastRun      int64     // number of the last run that set part of it off, 0 if none
}

// Confirmed reports whether the debtor has acknowledged the invoice.
func (i *Invoice) Confirmed() bool { return !i.ConfirmedAt.IsZero() }

// Status derives the invoice's status from its outstanding amount.
func (i *Invoice) Status() Status {
	switch {
	case i.Outstanding == 0:
		return Cleared
	case i.Outstanding < i.Amount:
		return PartlyCleared
	}
	return Open
}

// SideFor is the invoice's direction for org, "" when org is no party.
func (i *Invoice) SideFor(org string) Side {
	switch org {
	case i.CreditorOrg:
		return Receivable
	case i.DebtorOrg:
		return Payable
	}
	return ""
}

// Created is one invoice of a batch and whether this request created it
// (false: it existed with the same figures, so the request was a replay).
type Created struct {
	Invoice Invoice
	Created bool
}

// Party is an organisation as an invoice names it.
type Party struct {
	ID      string
	Name    string
	Kind    identity.OrgKind
	Country string
	RegID   string
}

// Filter selects invoices for a listing, newest first.
type Filter struct {
	// OrgID limits the list to invoices the organisation owes or is owed;
	// "" lists every invoice (platform administrator only).
	OrgID string
	// Side narrows to receivables or payables of OrgID.
	Side     Side
	Status   Status
	Currency string
	// Confirmed: nil both, else only confirmed (true) or unconfirmed.
	Confirmed *bool
	// Search finds invoices whose number or counterparty's name contains
	// it, case-insensitively (at most 100 characters).
	Search string
	Before string // id cursor: invoices with smaller ids
	Limit  int
}

// SummaryRow totals one organisation's invoices by currency, side and
// confirmation.
type SummaryRow struct {
	Currency    string
	Side        Side // "" in the platform-wide summary
	Confirmed   bool
	Count       int
	Amount      int64
	Outstanding int64
}

// Snapshot is what a clearing run reads: every confirmed invoice with
// something outstanding, in id order, and the number of the last run.
type Snapshot struct {
	LastRun  int64
	Invoices []Invoice
}

// Run is a clearing run and its report.
type Run struct {
	ID              string
	Number          int64
	Trigger         string
	RunBy           string // user id, "system" for the scheduler and the demo
	StartedAt       time.Time
	FinishedAt      time.Time
	InvoicesTouched int
	Currencies      []CurrencyResult
	// Firms are the per-company lines; reports shown to a company hold
	// its own lines only.
	Firms []FirmResult
}

// Totals of a run over its currencies are not summed: currencies do not add.

// CurrencyResult is a run's figures in one currency.
type CurrencyResult struct {
	Currency        string
	Invoices        int   // confirmed invoices with something outstanding
	Firms           int   // organisations in the network
	TotalDebt       int64 // outstanding before the run
	Cleared         int64 // set off: the liquidity saved
	Remaining       int64 // still to be paid with money
	InvoicesTouched int
	// NetDebit is the sum of the firms' net debit positions: what would
	// remain even if every debt could be netted freely. Set-off never goes
	// below it, because it preserves every net position.
	NetDebit    int64
	Certificate Certificate
}

// SavingBps is the cleared share of the debt in basis points.
func (c *CurrencyResult) SavingBps() int64 {
	if c.TotalDebt == 0 {
		return 0
	}
	// Cleared <= TotalDebt <= MaxInt64; split to avoid overflow in *10000.
	return c.Cleared/c.TotalDebt*10000 + c.Cleared%c.TotalDebt*10000/c.TotalDebt
}

// Certificate summarises the proof that a currency's set-off is feasible
// (every net position unchanged, 0 <= remaining <= outstanding) and
// optimal (dual prices with no improving cycle), as clearing.Certify
// checked it before anything was applied.
type Certificate struct {
	Certified   bool   `json:"certified"`
	Components  int    `json:"components"`
	FlowNodes   int    `json:"flow_nodes"`
	FlowArcs    int    `json:"flow_arcs"`
	Refines     int    `json:"refines"`
	SolveMicros int64  `json:"solve_micros"`
	Digest      string `json:"digest"` // SHA-256 of the network and the result
}

// FirmResult is one organisation's line in one currency.
type FirmResult struct {
	OrgID            string
	OrgName          string
	Currency         string
	PayableBefore    int64
	ReceivableBefore int64
	// Cleared is set off on the firm's payables, and equally on its
	// receivables: its net position does not move.
	Cleared int64
	// Potential is the firm's dual price in the optimality certificate.
	Potential int64
}

// SetOff is the part of one invoice a run clears.
type SetOff struct {
	InvoiceID string
	Before    int64 // outstanding when the run read it
	Amount    int64 // set off
}

// SetOffLine is a set-off with the invoice it applies to, for reports.
type SetOffLine struct {
	RunNumber int64
	RunID     string
	At        time.Time
	Invoice   Invoice // as it is now
	Before    int64
	Amount    int64
}

// Store is the register's storage. Mutations take the audit record to
// append in the same transaction. Lookups return a problem NotFound error
// when nothing matches.
type Store interface {
	PartyByID(ctx context.Context, id string) (Party, error)
	// PartiesByRegID finds organisations by registration number, in one
	// country or ("" ) in any.
	PartiesByRegID(ctx context.Context, country, regID string) ([]Party, error)

	// CreateInvoices stores a batch from one creditor. An invoice whose
	// (creditor, number) exists with the same debtor, currency, amount
	// and dates is answered from storage (Created false); with other
	// figures the whole batch is refused with a Conflict naming
	// invoices[i].number.
	CreateInvoices(ctx context.Context, ins []Invoice, rec audit.Record) ([]Created, error)
	GetInvoice(ctx context.Context, id string) (Invoice, error)
	ListInvoices(ctx context.Context, f Filter) ([]Invoice, error)
	Summary(ctx context.Context, orgID string) ([]SummaryRow, error)
	// ConfirmInvoice marks the invoice confirmed unless it is already; it
	// reports whether this call confirmed it.
	ConfirmInvoice(ctx context.Context, id, userID string, at time.Time, rec audit.Record) (Invoice, bool, error)

	// Snapshot reads what a clearing run works on, in one read.
	Snapshot(ctx context.Context) (Snapshot, error)
	// CommitRun stores the run and applies its set-offs in one
	// transaction. It fails with Conflict when another run committed
	// since the snapshot (run.Number is not the next number) or an
	// invoice's outstanding amount is no longer SetOff.Before.
	CommitRun(ctx context.Context, run Run, setoffs []SetOff, rec audit.Record) error
	// GetRun reads a run with the firm lines of orgID ("" for all).
	GetRun(ctx context.Context, id, orgID string) (Run, error)
	// ListRuns lists runs newest first, with currency figures but no firm
	// lines, numbered below beforeNumber (0: from the newest).
	ListRuns(ctx context.Context, beforeNumber int64, limit int) ([]Run, error)
	// RunSetOffs lists a run's set-offs on invoices orgID owes or is owed
	// ("" for all).
	RunSetOffs(ctx context.Context, runNumber int64, orgID string, limit int) ([]SetOffLine, error)
	// InvoiceSetOffs lists the set-offs applied to one invoice, oldest first.
	InvoiceSetOffs(ctx context.Context, invoiceID string) ([]SetOffLine, error)
}
