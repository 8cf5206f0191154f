// Package settlement is the town's local-currency settlement: banks submit
// payment instructions on behalf of their customers, and cycles net them
// multilaterally per currency, convert only each currency pair's net
// residual, and post the result through the ledger in one transaction.
//
// The cost of settlement is the point. A cycle reports how much liquidity,
// how many transfers and how much FX it saved against settling every
// payment gross, and against routing every payment through USD
// correspondent banking.
//
// Storage is designed so that a cycle over a million instructions writes a
// few thousand rows, not a million: a cycle covers a range of instruction
// sequence numbers, an instruction's status follows from the range it falls
// in, and only the exceptions (deferred or future-dated instructions,
// cancellations) are written.
package settlement

import (
	"context"
	"time"

	"bricstown/internal/audit"
	"bricstown/internal/ledger"
)

// Participant is a bank that settles at the town's settlement centre. It
// holds a "settlement" ledger account per currency; CreditLines lets its
// net debit exceed its balance by that much (minor units per currency).
type Participant struct {
	Row         int64            `json:"-"`
	OrgID       string           `json:"org_id"`
	BIC         string           `json:"bic"`
	CreditLines map[string]int64 `json:"-"`
	Active      bool             `json:"active"`
	CreatedAt   time.Time        `json:"created_at"`
}

// Status of an instruction.
type Status string

const (
	Queued    Status = "queued"    // waits for the next cycle
	Deferred  Status = "deferred"  // a cycle carried it over (reason says why); still queued
	Settled   Status = "settled"   // settled by Cycle
	Cancelled Status = "cancelled" // withdrawn before a cycle took it
	Held      Status = "held"      // the settlement centre holds it: cycles skip it until released
	Excluded  Status = "excluded"  // the last cycle excluded it (reason says why); still queued
)

// Reasons a cycle leaves an instruction out. A deferral is the normal
// course of settlement (the payer is short, the value date is ahead); an
// exclusion marks an instruction that cannot take part as it stands. Either
// way the instruction is carried (it stays in the queue, visible with its
// reason, and every cycle looks at it again) instead of failing the cycle
// for everyone else.
const (
	ReasonFutureValueDate     = "future_value_date"
	ReasonSelfPayment         = "self_payment"          // payer and payee are one bank in one currency
	ReasonParticipantInactive = "participant_inactive"  // payer or payee is no (longer an) active participant
	ReasonNoSettlementAccount = "no_settlement_account" // payer or payee has no settlement account in the currency
	ReasonNoCentreAccount     = "no_centre_account"     // the centre has no clearing/FX/rounding account in the currency
	ReasonNoRate              = "no_rate"               // the pair has no usable cycle rate
	ReasonAmountOverflow      = "amount_overflow"       // the amount (or its sum with the cycle's others) is beyond exact int64 settlement
	ReasonAccountAtLimit      = "account_at_limit"      // the payer's or payee's settlement account has no room left under the ledger's largest amount
	ReasonInvalidAmount       = "invalid_amount"        // not a positive amount
	ReasonHeld                = "held"                  // held by the settlement centre
)

// IsExclusion reports whether a carry reason is an exclusion rather than a
// deferral (see the reasons above).
func IsExclusion(reason string) bool {
	switch reason {
	case ReasonSelfPayment, ReasonParticipantInactive, ReasonNoSettlementAccount, ReasonNoCentreAccount, ReasonNoRate,
		ReasonAmountOverflow, ReasonAccountAtLimit, ReasonInvalidAmount, ReasonHeld:
		return true
	}
	return false
}

// Instruction is a payment order from one participant to another on behalf
// of customers. EndToEndID is the payer's idempotency key.
type Instruction struct {
	Seq           int64
	EndToEndID    string
	Payer, Payee  string // participant org ids
	PayerRow      int64
	PayeeRow      int64
	Amount        int64 // minor units of Currency
	Currency      string
	PayeeCurrency string    // what the payee is credited in; may differ
	ValueDate     time.Time // a date (UTC midnight)
	Urgent        bool      // deferred last when liquidity is short
	Remittance    string
	Source        string // "api", "pacs.008"
	CreatedAt     time.Time
	Status        Status
	CycleNumber   int64  // the cycle that settled or last deferred it
	Reason        string // why it was deferred or excluded
	// Held is set while the settlement centre holds the instruction;
	// HoldReason says why. Cycles carry a held instruction untouched.
	Held       bool
	HoldReason string
	// CancelReason says why the centre cancelled it (empty when the payer did).
	CancelReason string
}

// Cycle is one settlement run.
type Cycle struct {
	ID        string    `json:"id"`
	Number    int64     `json:"number"`
	FromSeq   int64     `json:"from_seq"` // instructions (FromSeq, ToSeq] plus carried ones
	ToSeq     int64     `json:"to_seq"`
	StartedAt time.Time `json:"started_at"`
	SettledAt time.Time `json:"settled_at"`
	Report    Report    `json:"report"`
}

// Report is what a cycle achieved, in numbers people can check.
type Report struct {
	Instructions        int               `json:"instructions"`
	Settled             int               `json:"settled"`
	Deferred            int               `json:"deferred"`
	Excluded            int               `json:"excluded"` // carried because they cannot take part as they stand (see IsExclusion)
	SettlementTransfers int               `json:"settlement_transfers"`
	LiquiditySavingBps  int64             `json:"liquidity_saving_bps"` // (gross − net) / gross over all currencies valued in the reporting currency
	Currencies          []CurrencyFigures `json:"currencies"`
	Pairs               []PairFigures     `json:"pairs"`
	Rates               []RateSource      `json:"rates,omitempty"` // where each pair's cycle rate came from
	Positions           []Position        `json:"positions"`
	Deferrals           []Deferral        `json:"deferrals"`
	Exclusions          []Deferral        `json:"exclusions,omitempty"`
	Cost                CostFigures       `json:"cost"`
	NettingMillis       float64           `json:"netting_ms"`
	CycleMillis         float64           `json:"cycle_ms"`
}

// CurrencyFigures compares gross and net settlement in one currency.
type CurrencyFigures struct {
	Currency  string `json:"currency"`
	Gross     int64  `json:"gross"` // the sum of all settled payments (and FX credits) in the currency
	Net       int64  `json:"net"`   // the sum of positive net positions: the liquidity actually needed
	SavingBps int64  `json:"saving_bps"`
}

// PairFigures compares converting every payment with converting the pair's
// net residual once.
type PairFigures struct {
	A          string `json:"a"`
	B          string `json:"b"`
	GrossAB    int64  `json:"gross_a_to_b"` // in A
	GrossBA    int64  `json:"gross_b_to_a"` // in B
	Sell       string `json:"net_sold_currency"`
	SellAmount int64  `json:"net_sold"`
	BuyAmount  int64  `json:"net_bought"`
	SavingBps  int64  `json:"saving_bps"`
}

// Position is a participant's net result in one currency: negative pays.
type Position struct {
	OrgID    string `json:"org_id"`
	BIC      string `json:"bic"`
	Currency string `json:"currency"`
	Net      int64  `json:"net"`
}

// Deferral explains why an instruction waits for a later cycle.
type Deferral struct {
	Seq        int64  `json:"seq"`
	EndToEndID string `json:"end_to_end_id"`
	Payer      string `json:"payer"`
	Currency   string `json:"currency"`
	Reason     string `json:"reason"`    // payer_shortfall, cascade_shortfall, future_value_date, or an exclusion reason
	Shortfall  int64  `json:"shortfall"` // minor units of Currency
}

// CostFigures estimate what the cycle cost against routing each payment
// through USD correspondent banking, in the reporting currency (KZT).
type CostFigures struct {
	Currency  string `json:"currency"`
	USDRoute  int64  `json:"usd_route"`
	Local     int64  `json:"local"`
	Saving    int64  `json:"saving"`
	SavingBps int64  `json:"saving_bps"`
	// Model names the cost model version the figures came from; Range
	// holds each figure's lowest and highest value over the model's low,
	// default and high scenarios. Both are empty in reports written
	// before the model was sourced.
	Model string     `json:"model,omitempty"`
	Range *CostRange `json:"range,omitempty"`
}

// CostRange is [lowest, highest] of each cost figure over the scenarios.
type CostRange struct {
	USDRoute  [2]int64 `json:"usd_route"`
	Local     [2]int64 `json:"local"`
	Saving    [2]int64 `json:"saving"`
	SavingBps [2]int64 `json:"saving_bps"`
}

// Commit is everything a cycle writes, in one transaction: the ledger
// transfers (a linked chain: all or nothing), the cycle row, the carried
// instructions and the new queue position.
type Commit struct {
	Cycle     Cycle
	Transfers []ledger.Transfer
	Carried   []Carry
	// Settled lists instructions settled from the carry of earlier cycles
	// (those in the new range need no row: their status follows from it).
	SettledCarried []int64
	// Version is the state version the cycle read; a cancellation since
	// then makes the commit fail with a conflict and the cycle re-runs.
	Version int64
	Audit   audit.Record
}

// Carry is an instruction a cycle did not settle.
type Carry struct {
	Seq       int64
	Reason    string
	Shortfall int64
}

// Queue is what a cycle reads: the state version, the last covered
// sequence number, and the instructions to consider.
type Queue struct {
	Version   int64
	LastSeq   int64 // the newest instruction (the new cycle's ToSeq)
	FromSeq   int64 // the previous cycle's ToSeq
	NextCycle int64
}

// Store is settlement's storage.
type Store interface {
	UpsertParticipant(ctx context.Context, p Participant, rec audit.Record) (Participant, error)
	Participants(ctx context.Context) ([]Participant, error)

	// SubmitInstructions stores new instructions; an end-to-end id the
	// payer used before answers "exists" (same body) or a conflict.
	SubmitInstructions(ctx context.Context, ins []Instruction, rec audit.Record) ([]SubmitResult, error)
	CancelInstruction(ctx context.Context, payerOrg, endToEndID string, rec audit.Record) error
	GetInstruction(ctx context.Context, payerOrg, endToEndID string) (Instruction, error)
	// GetInstructionBySeq reads any instruction (for the settlement centre).
	GetInstructionBySeq(ctx context.Context, seq int64) (Instruction, error)
	// HoldInstruction makes cycles skip a queued instruction until it is
	// released; ReleaseInstruction lifts the hold. CancelInstructionBySeq
	// withdraws any queued instruction with a reason. All three change
	// what a cycle may settle, so they bump the queue version: a cycle
	// computed before them refuses to commit and is computed again.
	HoldInstruction(ctx context.Context, seq int64, reason string, rec audit.Record) error
	ReleaseInstruction(ctx context.Context, seq int64, rec audit.Record) error
	CancelInstructionBySeq(ctx context.Context, seq int64, reason string, rec audit.Record) error
	// ListQueue lists every bank's unsettled, uncancelled instructions
	// (queued, deferred, excluded or held), newest first.
	ListQueue(ctx context.Context, beforeSeq int64, limit int) ([]Instruction, error)
	// ListInstructions lists an org's instructions (as payer or payee), newest first.
	ListInstructions(ctx context.Context, orgID string, beforeSeq int64, limit int) ([]Instruction, error)
	// FindInstructions lists the instructions matching q, newest first.
	FindInstructions(ctx context.Context, q InstructionQuery) ([]Instruction, error)
	// FindCycles lists the cycles matching q, newest first.
	FindCycles(ctx context.Context, q CycleQuery) ([]Cycle, error)

	// ReadQueue streams the instructions a new cycle should consider:
	// everything carried, and everything after the last cycle's range
	// that is not cancelled.
	ReadQueue(ctx context.Context, fn func(*Instruction) error) (Queue, error)
	// CommitCycle writes a cycle atomically with its ledger transfers.
	CommitCycle(ctx context.Context, c Commit) (Cycle, error)
	Cycles(ctx context.Context, beforeNumber int64, limit int) ([]Cycle, error)
	GetCycle(ctx context.Context, number int64) (Cycle, error)
}

// SubmitResult answers one submitted instruction.
type SubmitResult struct {
	Seq    int64  `json:"seq"`
	Result string `json:"result"` // ok, exists, exists_with_different_fields
}
