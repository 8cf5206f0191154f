// Package ledger is the town's multi-currency double-entry ledger. Every
// money movement of the platform (trade payments, escrow, duties, fees,
// settlement, FX conversions) is a Transfer between two Accounts of one
// currency, so the books balance by construction.
//
// The model follows TigerBeetle's: client-supplied ids are idempotency keys,
// transfers are created in batches where each gets its own result, linked
// chains succeed or fail together, pending transfers reserve funds and are
// later posted (in full or in part) or voided, or expire. Balances are four
// counters per account (debits and credits, pending and posted), and
// balance-limit flags make overdrafts impossible rather than merely
// detectable.
//
// The batch logic (Apply) is pure: it takes the state a batch touches and
// returns the results, the new transfers and the new account states. The
// storage engines load that state, call Apply and write the outcome in one
// transaction, so SQLite and PostgreSQL share every rule.
package ledger

import (
	"crypto/sha256"
	"math"
	"time"

	"github.com/google/uuid"
)

// ID identifies accounts and transfers: a 128-bit value chosen by the
// client. UUIDv7 is recommended: time-ordered ids keep index inserts at the
// right edge of the B-tree, which is several times faster than random ids.
type ID = uuid.UUID

// Zero is the absent id.
var Zero ID

// Kind is an account's class in the chart of accounts.
type Kind string

// Account kinds. The kind decides the sign of the balance a person expects
// to see: assets and expenses are debit-normal, the others credit-normal.
const (
	Asset     Kind = "asset"
	Liability Kind = "liability"
	Equity    Kind = "equity"
	Revenue   Kind = "revenue"
	Expense   Kind = "expense"
)

// Kinds lists the account kinds.
var Kinds = []Kind{Asset, Liability, Equity, Revenue, Expense}

// DebitNormal reports whether a positive balance of this kind is debits
// minus credits.
func (k Kind) DebitNormal() bool { return k == Asset || k == Expense }

// AccountFlags are an account's invariants.
type AccountFlags uint16

const (
	// DebitsMustNotExceedCredits keeps a customer's funds account (a
	// liability of the institution) from going below zero.
	DebitsMustNotExceedCredits AccountFlags = 1 << iota
	// CreditsMustNotExceedDebits keeps an asset-like account from going
	// above what was put in.
	CreditsMustNotExceedDebits
	// Issuer marks an account the platform opened to create money: its
	// debits may exceed its credits by up to Limit. No request can set it;
	// see docs/MONEY.md for who holds one. Every other account's debits
	// (posted and pending) never exceed its posted credits, whatever its
	// flags say: that rule lives in Apply, not in the callers.
	Issuer
	// System marks an account the platform opened for a purpose (the
	// centre's clearing, FX and funding accounts, a bank's issuance
	// account, the customs revenue account). Lookups by purpose consider
	// only system accounts, so nobody can occupy one by choosing its code.
	System
)

// Unlimited is the Limit of an issuer account with no ceiling (the
// settlement centre's own books).
const Unlimited int64 = math.MaxInt64

// Account is a ledger account of one organisation in one currency.
type Account struct {
	ID       ID
	OrgID    string
	Currency string
	Kind     Kind
	Code     string // purpose, e.g. "operating", "settlement", "customs_revenue"
	Name     string
	Flags    AccountFlags
	Closed   bool
	// Limit is how far an Issuer account's debits may exceed its credits
	// (a bank's credit line from the centre); zero for every other account.
	Limit int64

	DebitsPending  int64
	DebitsPosted   int64
	CreditsPending int64
	CreditsPosted  int64

	CreatedAt time.Time

	// Row is the storage engine's compact key for the account; LastSeq is
	// the sequence number of the newest transfer that touched it, the head
	// of its history chain.
	Row     int64
	LastSeq int64
}

// Balance is the account's posted balance in its natural sign (see Kind).
func (a *Account) Balance() int64 { return a.Kind.Natural(a.CreditsPosted - a.DebitsPosted) }

// Natural turns a credits-minus-debits balance into the kind's natural
// sign. Both totals are non-negative int64s, so the difference cannot
// overflow.
func (k Kind) Natural(creditsMinusDebits int64) int64 {
	if k.DebitNormal() {
		return -creditsMinusDebits
	}
	return creditsMinusDebits
}

// Available is the balance less what pending transfers hold.
func (a *Account) Available() int64 {
	if a.Kind.DebitNormal() {
		return a.DebitsPosted - a.CreditsPosted - a.CreditsPending
	}
	return a.CreditsPosted - a.DebitsPosted - a.DebitsPending
}

// TransferFlags say what a transfer does.
type TransferFlags uint16

const (
	// Linked chains this transfer to the next one in the batch: the chain
	// (up to the first transfer without the flag) succeeds or fails whole.
	Linked TransferFlags = 1 << iota
	// Pending reserves the amount: it counts against limits but moves
	// nothing until posted.
	Pending
	// PostPending moves (part of) a pending transfer's amount.
	PostPending
	// VoidPending releases a pending transfer.
	VoidPending
	// Expired marks the void that the ledger itself records when a pending
	// transfer's timeout passes; clients cannot set it.
	Expired
)

// Transfer moves Amount from DebitAccount to CreditAccount, both in Currency.
type Transfer struct {
	ID            ID
	DebitAccount  ID
	CreditAccount ID
	Amount        int64
	Currency      string
	PendingID     ID    // the pending transfer a post or void refers to
	Timeout       int64 // seconds a pending transfer may stay open; 0 = no limit
	Code          string
	Reference     string // the client's reference: invoice, declaration, cycle
	Flags         TransferFlags

	// Set by the ledger.
	Seq       int64
	Timestamp time.Time
	// History: the previous transfer of each account and each account's
	// posted balance after this transfer (credits minus debits), so an
	// account's statement with running balances is a walk along its chain.
	DebitPrev, CreditPrev                 int64
	DebitBalanceAfter, CreditBalanceAfter int64
	DebitAccountRow, CreditAccountRow     int64
}

// PendingState is the life of a pending transfer.
type PendingState string

const (
	PendingOpen    PendingState = "open"
	PendingPosted  PendingState = "posted"
	PendingVoided  PendingState = "voided"
	PendingExpired PendingState = "expired"
)

// PendingRecord tracks a pending transfer until it is resolved.
type PendingRecord struct {
	Transfer  Transfer
	State     PendingState
	ExpiresAt time.Time // zero: never
}

// WalletCode is the code of a resident's own KZT account. Residents share
// one organisation (the town's residents), so an account of that
// organisation is not proof that it is the caller's: the services that
// let a resident pay take the money only from the account whose code
// carries the resident's user id.
func WalletCode(userID string) string {
	c := "wallet-" + userID
	if len(c) > 40 {
		c = c[:40]
	}
	return c
}

// ScopedID is the ledger's id for the id a client of org sent. A client id
// is an idempotency key within its own organisation: two organisations may
// send the same id and get two transfers, and neither can learn of the
// other's. Every id a client sends passes through here, and the result is
// a version-8 UUID, so no client can ever name an id the platform derives
// for itself (version 5 or 7: cycle transfers, expiry voids, conversion
// legs, system accounts).
//
// The first 64 bits (a UUIDv7's millisecond timestamp and its 12-bit
// sub-millisecond sequence) are kept, so time-ordered client ids still
// insert at the right edge of the index and rarely need an idempotency
// look-up; the last 62 bits are a SHA-256 of the org and the whole client
// id. Occupying another org's id would take a second preimage of 62 bits
// for an id one cannot see.
func ScopedID(org string, client ID) ID {
	h := sha256.New()
	h.Write([]byte("bricstown/ledger/id\x00"))
	h.Write([]byte(org))
	h.Write([]byte{0})
	h.Write(client[:])
	var sum [sha256.Size]byte
	h.Sum(sum[:0])
	var out ID
	copy(out[:8], client[:8])
	copy(out[8:], sum[:8])
	out[6] = out[6]&0x0f | 0x80 // version 8
	out[8] = out[8]&0x3f | 0x80 // RFC 9562 variant
	return out
}

// IsClientScoped reports whether id came from ScopedID: platform ids never
// do, and SubmitSystem refuses them.
func IsClientScoped(id ID) bool { return id.Version() == 8 }
