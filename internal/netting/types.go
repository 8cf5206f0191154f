package netting

import "sort"

// Instruction is one payment order submitted to the cycle. Participants and
// currencies are dense indices rather than codes so that every
// per-(participant, currency) quantity lives in a flat array at
// Payer*Currencies+Currency and the hot loop never hashes anything.
type Instruction struct {
	// ID names the instruction in results. A cycle of n instructions must use
	// each of 0..n-1 exactly once: density lets duplicates be caught with a
	// bitset, and a duplicate would otherwise settle the same money twice.
	ID int64

	Payer, Payee int32

	// Currency is what the payer is debited in and PayeeCurrency what the
	// payee wants to be credited in. They differ when the payee wants its
	// own currency; the credit is then priced at the cycle rate of the pair
	// and only the pair's net residual is traded with the FX provider.
	Currency, PayeeCurrency int32

	// Amount is in minor units of Currency and must be positive.
	Amount int64

	// Priority decides who waits when liquidity is short: lower values are
	// more important and are deferred last. Callers fold priority class and
	// submission sequence into one number (for example class<<40 | seq) so
	// gridlock resolution needs a single comparison; ties fall back to ID.
	Priority int64
}

// Rate is a price fixed for the whole cycle: Num minor units of the quote
// currency per Den minor units of the base currency. It is a fraction, not
// a decimal, so every conversion is exact integer arithmetic with one
// explicit rounding step.
type Rate struct {
	Num, Den int64
}

// Rates is where a cycle gets its prices. The engine asks only for
// Rate(base, quote) with base < quote and uses the reciprocal for the other
// direction, because the two directions of a pair can only cancel when they
// are valued at one price; a bid/ask spread belongs in the cost estimate
// (Fees), not in the settlement amounts. A pair's rate is requested at most
// once per call, so implementations need not cache.
type Rates interface {
	Rate(base, quote int) (Rate, error)
}

// RateTable is a ready-made Rates for callers that fix all prices before the
// cycle opens. Entries are indexed [base*Currencies+quote]; only base < quote
// is ever read. A zero entry means "no price", which fails the cycle rather
// than silently crediting nothing.
type RateTable struct {
	Currencies int
	Table      []Rate
}

// Rate implements Rates.
func (t RateTable) Rate(base, quote int) (Rate, error) {
	if base < 0 || quote < 0 || base >= t.Currencies || quote >= t.Currencies ||
		base*t.Currencies+quote >= len(t.Table) {
		return Rate{}, errRateMissing(base, quote)
	}
	r := t.Table[base*t.Currencies+quote]
	if r.Num == 0 && r.Den == 0 {
		return Rate{}, errRateMissing(base, quote)
	}
	return r, nil
}

// Config describes the cycle's participants. Balances and credit lines are
// flat [participant*Currencies+currency] arrays for the same reason
// instructions use indices: the liquidity check is a linear scan.
type Config struct {
	Participants int
	Currencies   int

	// Rates prices cross-currency instructions and the cost report. It may
	// be nil when every instruction is single-currency.
	Rates Rates

	// Available is each participant's balance at the settlement institution
	// entering the cycle, >= 0. Settle and Shortfalls need it; Net ignores it.
	Available []int64

	// CreditLine is intraday credit the institution grants on top of
	// Available, >= 0; nil means none anywhere.
	CreditLine []int64
}

// Result is the outcome of a cycle. Positions are "credits received minus
// debits paid", so a negative value is what the participant must fund. The
// FX provider and the rounding account are kept apart from participants
// because they are not subject to the liquidity check, but they are real
// ledger accounts: for every currency c,
//
//	sum over p of Position[p*C+c] + FXProvider[c] + Rounding[c] == 0
//
// which is what makes the books balance.
type Result struct {
	Participants, Currencies int

	// Position is the net position per [participant*Currencies+currency].
	Position []int64

	// FXProvider is the FX provider's net position per currency across all
	// pair trades: positive where it receives the institution's surplus,
	// negative where it delivers.
	FXProvider []int64

	// Rounding is what per-payment rounding of FX credits leaves with the
	// institution per currency. It is never negative (see package doc) and
	// is worth less than one minor unit of the credited currency per
	// cross-currency instruction.
	Rounding []int64

	// Volume is the value paid per currency: the sum of the payer legs.
	Volume []int64

	// Gross is the liquidity gross settlement would move per currency:
	// payer legs plus the FX credits delivered in that currency.
	Gross []int64

	// NetValue is the liquidity netting moves per currency: the sum of
	// positive positions over participants, FX provider and rounding account.
	NetValue []int64

	// SavingBps is (Gross-NetValue)/Gross in basis points, rounded down;
	// 0 for a currency with no flows.
	SavingBps []int64

	// Pairs holds one entry per currency pair with any cross-currency flow,
	// ordered by (A, B).
	Pairs []PairFX

	// Transfer counts. Each non-zero participant position is one transfer,
	// each pair trade is two FX legs (institution pays the provider, the
	// provider pays the institution), and each non-zero rounding balance is
	// one sweep to the institution's own account.
	ParticipantTransfers int
	FXLegs               int
	RoundingTransfers    int
	Transfers            int

	// Settled counts instructions in the cycle; Deferred lists the others
	// in ID order, each with the reason it waits for the next cycle.
	Settled  int
	Deferred []Deferral
}

// IsDeferred reports whether the instruction with this ID was held back.
// It is a binary search because Deferred is kept in ID order.
func (r *Result) IsDeferred(id int64) bool {
	i := sort.Search(len(r.Deferred), func(i int) bool { return r.Deferred[i].ID >= id })
	return i < len(r.Deferred) && r.Deferred[i].ID == id
}

// Pos is a convenience accessor for Position.
func (r *Result) Pos(participant, currency int) int64 {
	return r.Position[participant*r.Currencies+currency]
}

// PairFX shows what netting did to one currency pair's FX: how much was
// converted in each direction at the cycle rate, and the single net trade
// with the provider that replaced them.
type PairFX struct {
	A, B int32 // A < B

	GrossAB  int64 // minor units of A paid by payers who want B credited
	CreditAB int64 // minor units of B credited to those payees
	GrossBA  int64 // minor units of B paid by payers who want A credited
	CreditBA int64 // minor units of A credited to those payees

	// Sell is the currency the institution sells to the FX provider (A or
	// B), or -1 when the two directions already cover each other.
	Sell       int32
	SellAmount int64 // in Sell
	BuyAmount  int64 // in the other currency, SellAmount at the cycle rate rounded down

	RoundingA, RoundingB int64 // what stays with the institution from this pair

	// SavingBps compares the FX volume valued in A (GrossAB+CreditBA) with
	// the traded net valued in A, rounded down.
	SavingBps int64
}

// Deferral is an instruction that waits for the next cycle and why.
type Deferral struct {
	ID     int64
	Reason Reason
}

// ReasonCode separates payments held back because their payer could not
// fund the cycle from payments held back only because someone else's
// deferred payment no longer reached their payer. Operators chase the first
// kind; the second resolves itself when the first does.
type ReasonCode string

const (
	// ReasonShortfall: the payer was short in this currency in the full
	// netting of the cycle.
	ReasonShortfall ReasonCode = "payer_shortfall"
	// ReasonCascade: the payer fitted in the full netting and became short
	// only because incoming payments were deferred.
	ReasonCascade ReasonCode = "cascade_shortfall"
)

// Reason records the shortfall that a deferral covered, as seen when the
// participant was picked, so that the decision can be explained and
// replayed.
type Reason struct {
	Code        ReasonCode
	Participant int32
	Currency    int32
	Shortfall   int64 // amount by which the position exceeded balance + credit line
	Step        int   // 1-based number of the pick, counting picks that deferred something
}

// Shortfall is a (participant, currency) whose net debit exceeds what it can
// fund.
type Shortfall struct {
	Participant, Currency int32
	Amount                int64
}
