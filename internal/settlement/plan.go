package settlement

import (
	"fmt"
	"math"
	"math/big"
	"math/bits"
	"sort"
	"strings"
	"time"

	"bricstown/internal/ledger"
	"bricstown/internal/money"
	"bricstown/internal/netting"

	"github.com/google/uuid"
)

// Books is what a cycle needs to know besides the queue: who takes part,
// their settlement accounts and balances, the centre's own accounts, and
// the prices of the cycle.
type Books struct {
	Participants []Participant
	// Accounts maps participant row and currency to its settlement account.
	Accounts map[int64]map[string]ledger.Account
	// Centre's accounts per currency: the clearing account every net
	// position settles against, the FX account that takes the pairs' net
	// residuals, and the account that keeps per-payment FX rounding.
	Clearing, FX, Rounding map[string]ledger.ID
	// Rate prices one unit of a in b for the cycle; ok is false when the
	// pair has no price (its instructions wait).
	Rate func(a, b string) (money.Rate, bool)
	// RateBook, when the cycle was priced by one, says where each rate
	// came from, for the report (see Config.RateBook).
	RateBook *RateBook
	// Exponent gives each currency's minor units.
	Exponent func(string) (int, bool)
	// Cost prices the comparison with USD correspondent banking.
	Cost  *CostModel
	Today time.Time
}

// Plan is a cycle computed but not yet written.
type Plan struct {
	Commit  Commit
	Result  *netting.Result
	Netting time.Duration
}

// ns derives the cycle's transfer ids: the same cycle always produces the
// same ids, so committing it twice cannot post it twice.
var ns = uuid.MustParse("2b0f5d0e-7a35-4d8e-9c41-5b8a7f1c3d21")

// cycleTransferID is the id of cycle number's transfer key. The statement
// finds which cycle moved a participant's money by these ids (positionKey),
// never by reading the transfer's reference text.
func cycleTransferID(number int64, key string) ledger.ID {
	return uuid.NewSHA1(ns, []byte(fmt.Sprintf("cycle-%d-%s", number, key)))
}

// positionKey names the transfer that settles participant row's net
// position in currency ccy.
func positionKey(row int64, ccy string) string { return fmt.Sprintf("p%d-%s", row, ccy) }

// MakePlan nets the queue and builds the cycle's ledger transfers and
// report. It does no I/O.
//
// No single instruction can make the cycle fail: everything netting would
// refuse (a payment to oneself in one currency, a payer or payee that is no
// longer an active participant or lacks a settlement account, a pair with
// no usable rate, an amount that does not fit exact int64 settlement alone
// or together with the rest of its currency, a held instruction) is
// excluded with a reason code and carried, so it stays in the queue,
// visible, and the rest of the cycle settles. What remains an error
// depends on no one instruction (the ledger batch limit, a broken
// invariant).
func MakePlan(number int64, q Queue, books Books, queue []*Instruction) (*Plan, error) {
	start := time.Now()
	pidx := map[int64]int32{}
	byIdx := make([]Participant, 0, len(books.Participants))
	for _, p := range books.Participants {
		if p.Active {
			pidx[p.Row] = int32(len(byIdx))
			byIdx = append(byIdx, p)
		}
	}
	cidx := map[string]int32{}
	var ccys []string
	cur := func(c string) int32 {
		if i, ok := cidx[c]; ok {
			return i
		}
		cidx[c] = int32(len(ccys))
		ccys = append(ccys, c)
		return cidx[c]
	}
	cur(books.Cost.Reporting)
	cur("USD")

	var carried []Carry
	carry := func(in *Instruction, reason string) { carried = append(carried, Carry{Seq: in.Seq, Reason: reason}) }
	centreHas := func(ccy string, cross bool) bool {
		if books.Clearing[ccy] == ledger.Zero {
			return false
		}
		return !cross || books.FX[ccy] != ledger.Zero && books.Rounding[ccy] != ledger.Zero
	}
	// First pass: what can be known of each instruction on its own.
	var cand []*Instruction
	today := books.Today.UTC().Truncate(24 * time.Hour)
	for _, in := range queue {
		_, okP := pidx[in.PayerRow]
		_, okQ := pidx[in.PayeeRow]
		_, accP := books.Accounts[in.PayerRow][in.Currency]
		_, accQ := books.Accounts[in.PayeeRow][in.PayeeCurrency]
		cross := in.Currency != in.PayeeCurrency
		_, expP := books.Exponent(in.Currency)
		_, expQ := books.Exponent(in.PayeeCurrency)
		newCcys := 0
		for _, c := range []string{in.Currency, in.PayeeCurrency} {
			if _, ok := cidx[c]; !ok {
				newCcys++
			}
		}
		switch {
		case in.Held:
			carry(in, ReasonHeld)
		case in.ValueDate.After(today):
			carry(in, ReasonFutureValueDate)
		case in.Amount <= 0:
			carry(in, ReasonInvalidAmount)
		case in.PayerRow == in.PayeeRow && !cross:
			carry(in, ReasonSelfPayment)
		case !okP || !okQ:
			carry(in, ReasonParticipantInactive)
		case !accP || !accQ:
			carry(in, ReasonNoSettlementAccount)
		case !roomFor(books.Accounts[in.PayerRow][in.Currency]) || !roomFor(books.Accounts[in.PayeeRow][in.PayeeCurrency]):
			carry(in, ReasonAccountAtLimit)
		case !expP || !expQ || len(ccys)+newCcys > maxCycleCurrencies:
			carry(in, ReasonNoRate)
		case !centreHas(in.Currency, cross) || !centreHas(in.PayeeCurrency, cross):
			carry(in, ReasonNoCentreAccount)
		default:
			cur(in.Currency)
			cur(in.PayeeCurrency)
			cand = append(cand, in)
		}
	}
	C := len(ccys)
	rates := rateTable(ccys, books)

	// Second pass: the payee's credit at the cycle rate, and how much each
	// currency would carry in the cycle (debits plus credits, in 128 bits).
	credit := make([]int64, len(cand))
	out := make([]bool, len(cand))
	hi, lo := make([]uint64, C), make([]uint64, C)
	addTo := func(c int32, v int64) {
		var carry uint64
		lo[c], carry = bits.Add64(lo[c], uint64(v), 0)
		hi[c] += carry
	}
	sub := func(c int32, v int64) {
		var borrow uint64
		lo[c], borrow = bits.Sub64(lo[c], uint64(v), 0)
		hi[c] -= borrow
	}
	for i, in := range cand {
		a, b := cidx[in.Currency], cidx[in.PayeeCurrency]
		k, ok := rates.Credit(int(a), int(b), in.Amount)
		switch {
		case !ok && a != b && (rates.Table[min(a, b)*int32(C)+max(a, b)] == netting.Rate{}):
			carry(in, ReasonNoRate)
			out[i] = true
		case !ok || in.Amount > cycleBudget || k > cycleBudget:
			carry(in, ReasonAmountOverflow)
			out[i] = true
		default:
			credit[i] = k
			addTo(a, in.Amount)
			addTo(b, k)
		}
	}
	// A currency whose flows exceed the budget would overflow netting's
	// sums: its largest payments are left out until it fits, so an
	// outsized amount excludes itself rather than the ordinary payments.
	over := func(c int32) bool { return hi[c] > 0 || lo[c] > uint64(cycleBudget) }
	for c := int32(0); c < int32(C); c++ {
		if !over(c) {
			continue
		}
		part := func(i int) int64 {
			v := int64(0)
			if cidx[cand[i].Currency] == c {
				v += cand[i].Amount
			}
			if cidx[cand[i].PayeeCurrency] == c {
				v = max(v, credit[i]) // each term is within the budget; the larger orders well enough
			}
			return v
		}
		var touch []int
		for i := range cand {
			if !out[i] && part(i) > 0 {
				touch = append(touch, i)
			}
		}
		sort.SliceStable(touch, func(x, y int) bool { return part(touch[x]) > part(touch[y]) })
		for _, i := range touch {
			if !over(c) {
				break
			}
			out[i] = true
			carry(cand[i], ReasonAmountOverflow)
			sub(cidx[cand[i].Currency], cand[i].Amount)
			sub(cidx[cand[i].PayeeCurrency], credit[i])
		}
	}

	var ins []netting.Instruction
	var src []*Instruction
	for i, in := range cand {
		if out[i] {
			continue
		}
		prio := in.Seq
		if !in.Urgent {
			prio |= 1 << 50 // normal payments wait before urgent ones
		}
		ins = append(ins, netting.Instruction{ID: int64(len(ins)), Payer: pidx[in.PayerRow], Payee: pidx[in.PayeeRow], Currency: cidx[in.Currency],
			PayeeCurrency: cidx[in.PayeeCurrency], Amount: in.Amount, Priority: prio})
		src = append(src, in)
	}
	P := max(len(byIdx), 1) // netting needs one participant even when no bank is active
	cfg := netting.Config{Participants: P, Currencies: C, Rates: rates, Available: make([]int64, P*C), CreditLine: make([]int64, P*C)}
	for i, p := range byIdx {
		for c, code := range ccys {
			if a, ok := books.Accounts[p.Row][code]; ok {
				cfg.Available[i*C+c] = max(a.Available(), 0) // an overdrawn account funds nothing; it must not fail the cycle
			}
			cfg.CreditLine[i*C+c] = max(p.CreditLines[code], 0)
		}
	}
	nstart := time.Now()
	res, err := netting.Settle(cfg, ins)
	if err != nil {
		return nil, fmt.Errorf("settlement: netting: %w", err)
	}
	nettingTook := time.Since(nstart)

	for _, d := range res.Deferred {
		in := src[d.ID]
		carried = append(carried, Carry{Seq: in.Seq, Reason: string(d.Reason.Code), Shortfall: d.Reason.Shortfall})
	}
	deferredSeq := map[int64]bool{}
	for _, c := range carried {
		deferredSeq[c.Seq] = true
	}
	var settledCarried []int64
	for _, in := range src {
		if in.Seq <= q.FromSeq && !deferredSeq[in.Seq] {
			settledCarried = append(settledCarried, in.Seq)
		}
	}

	// The ledger transfers: each non-zero position against the centre's
	// clearing account, then the FX residuals and the rounding. One linked
	// chain, so the ledger posts all of them or none.
	var transfers []ledger.Transfer
	add := func(key string, from, to ledger.ID, ccy string, amount int64, code string) {
		transfers = append(transfers, ledger.Transfer{ID: cycleTransferID(number, key),
			DebitAccount: from, CreditAccount: to, Amount: amount, Currency: ccy, Code: code, Reference: fmt.Sprintf("cycle %d", number), Flags: ledger.Linked})
	}
	for i, p := range byIdx {
		for c, code := range ccys {
			pos := res.Position[i*C+c]
			if pos == 0 {
				continue
			}
			acct := books.Accounts[p.Row][code].ID
			key := positionKey(p.Row, code)
			if pos < 0 {
				add(key, acct, books.Clearing[code], code, -pos, "settlement")
			} else {
				add(key, books.Clearing[code], acct, code, pos, "settlement")
			}
		}
	}
	for c, code := range ccys {
		if v := res.FXProvider[c]; v != 0 {
			if books.FX[code] == ledger.Zero {
				return nil, fmt.Errorf("settlement: the centre has no fx account in %s", code)
			}
			if v > 0 {
				add("fx-"+code, books.Clearing[code], books.FX[code], code, v, "settlement_fx")
			} else {
				add("fx-"+code, books.FX[code], books.Clearing[code], code, -v, "settlement_fx")
			}
		}
		if v := res.Rounding[c]; v > 0 {
			add("rounding-"+code, books.Clearing[code], books.Rounding[code], code, v, "settlement_rounding")
		}
	}
	if n := len(transfers); n > 0 {
		transfers[n-1].Flags = 0 // the chain ends here
	}
	if len(transfers) > ledger.MaxBatch {
		return nil, fmt.Errorf("settlement: %d settlement transfers exceed one ledger batch", len(transfers))
	}

	var settled []*Instruction
	for _, in := range src {
		if !deferredSeq[in.Seq] {
			settled = append(settled, in)
		}
	}
	rep := report(res, byIdx, ccys, queue, carried, books)
	rep.Cost = cost(res, ccys, settled, books)
	rep.Instructions = len(queue)
	rep.Settled = len(src) - len(res.Deferred)
	for _, c := range carried {
		if IsExclusion(c.Reason) {
			rep.Excluded++
		} else {
			rep.Deferred++
		}
	}
	rep.SettlementTransfers = len(transfers)
	rep.NettingMillis = float64(nettingTook.Microseconds()) / 1000
	rep.CycleMillis = float64(time.Since(start).Microseconds()) / 1000
	sort.Slice(carried, func(i, j int) bool { return carried[i].Seq < carried[j].Seq })
	return &Plan{Commit: Commit{Cycle: Cycle{ID: uuid.NewSHA1(ns, []byte(fmt.Sprint("cycle-", number))).String(), Number: number,
		FromSeq: q.FromSeq, ToSeq: q.LastSeq, StartedAt: start, Report: rep},
		Transfers: transfers, Carried: carried, SettledCarried: settledCarried, Version: q.Version}, Result: res, Netting: nettingTook}, nil
}

// rateTable fills netting's fractions from the cycle's decimal rates: one
// minor unit of a is worth rate × 10^(exp b − exp a) minor units of b. A
// pair whose rate is missing or too precise for an int64 fraction has no
// entry: its instructions are excluded (no_rate), the cycle goes on.
func rateTable(ccys []string, books Books) netting.RateTable {
	C := len(ccys)
	t := netting.RateTable{Currencies: C, Table: make([]netting.Rate, C*C)}
	for a := 0; a < C; a++ {
		for b := a + 1; b < C; b++ {
			r, ok := books.Rate(ccys[a], ccys[b])
			if !ok || r.IsZero() {
				continue
			}
			ea, _ := books.Exponent(ccys[a])
			eb, _ := books.Exponent(ccys[b])
			num, den, err := fraction(r, ea, eb)
			if err != nil || num <= 0 || den <= 0 {
				continue
			}
			t.Table[a*C+b] = netting.Rate{Num: num, Den: den}
		}
	}
	return t
}

// cycleBudget bounds what one currency may carry in a cycle (the sum of
// its debits and credits): netting's sums of those (volume, gross, net
// value, FX and rounding positions) then stay below int64 with room to
// spare, so Settle cannot refuse the cycle for overflow.
const cycleBudget = math.MaxInt64 / 4

// roomFor reports whether a settlement account's debits and credits
// (posted and pending) can each take a cycle's largest movement
// (cycleBudget) without passing the ledger's largest amount. Why: a
// settlement transfer the ledger refuses for overflow fails the cycle's
// whole chain, and so every later cycle, for every bank; an account
// filled that far (funded with the largest amount there is) takes no
// part instead, and its instructions wait, visibly, with their reason.
func roomFor(a ledger.Account) bool {
	const most = math.MaxInt64 - cycleBudget
	fits := func(x, y int64) bool { return x >= 0 && y >= 0 && x <= most && y <= most-x }
	return fits(a.DebitsPosted, a.DebitsPending) && fits(a.CreditsPosted, a.CreditsPending)
}

// maxCycleCurrencies is netting's limit on currencies per cycle.
const maxCycleCurrencies = 256

func fraction(r money.Rate, ea, eb int) (int64, int64, error) {
	s := r.String()
	intPart, frac, _ := strings.Cut(s, ".")
	m, ok := new(big.Int).SetString(intPart+frac, 10)
	if !ok {
		return 0, 0, fmt.Errorf("bad rate %s", s)
	}
	num := new(big.Int).Mul(m, new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(eb)), nil))
	den := new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(len(frac)+ea)), nil)
	g := new(big.Int).GCD(nil, nil, num, den)
	num.Quo(num, g)
	den.Quo(den, g)
	if !num.IsInt64() || !den.IsInt64() {
		return 0, 0, fmt.Errorf("rate %s too precise for the cycle", s)
	}
	return num.Int64(), den.Int64(), nil
}

func report(res *netting.Result, byIdx []Participant, ccys []string, all []*Instruction, carried []Carry, books Books) Report {
	C := len(ccys)
	var rep Report
	var grossRep, netRep int64
	for c, code := range ccys {
		if res.Gross[c] == 0 && res.NetValue[c] == 0 {
			continue
		}
		rep.Currencies = append(rep.Currencies, CurrencyFigures{Currency: code, Gross: res.Gross[c], Net: res.NetValue[c], SavingBps: res.SavingBps[c]})
		if g, ok := valueIn(books, code, books.Cost.Reporting, res.Gross[c]); ok {
			grossRep += g
			n, _ := valueIn(books, code, books.Cost.Reporting, res.NetValue[c])
			netRep += n
		}
	}
	if grossRep > 0 {
		rep.LiquiditySavingBps = (grossRep - netRep) * 10000 / grossRep
	}
	for _, p := range res.Pairs {
		rep.Pairs = append(rep.Pairs, PairFigures{A: ccys[p.A], B: ccys[p.B], GrossAB: p.GrossAB, GrossBA: p.GrossBA,
			Sell: ccys[p.Sell], SellAmount: p.SellAmount, BuyAmount: p.BuyAmount, SavingBps: p.SavingBps})
	}
	for i, p := range byIdx {
		for c, code := range ccys {
			if v := res.Position[i*C+c]; v != 0 {
				rep.Positions = append(rep.Positions, Position{OrgID: p.OrgID, BIC: p.BIC, Currency: code, Net: v})
			}
		}
	}
	orgOf := map[int64]string{}
	for _, p := range books.Participants {
		orgOf[p.Row] = p.OrgID
	}
	seqInfo := map[int64]*Instruction{}
	for _, in := range all {
		seqInfo[in.Seq] = in
	}
	for _, c := range carried {
		d := Deferral{Seq: c.Seq, Reason: c.Reason, Shortfall: c.Shortfall}
		if in := seqInfo[c.Seq]; in != nil {
			d.EndToEndID, d.Payer, d.Currency = in.EndToEndID, orgOf[in.PayerRow], in.Currency
		}
		// The report lists the first thousand of each; the counts are in
		// Deferred and Excluded.
		if IsExclusion(c.Reason) {
			if len(rep.Exclusions) < 1000 {
				rep.Exclusions = append(rep.Exclusions, d)
			}
		} else if len(rep.Deferrals) < 1000 {
			rep.Deferrals = append(rep.Deferrals, d)
		}
	}
	return rep
}

// valueIn converts minor units of a into minor units of b at the cycle rate
// (half-even), for reporting only.
func valueIn(books Books, a, b string, v int64) (int64, bool) {
	if a == b {
		return v, true
	}
	r, ok := books.Rate(a, b)
	if !ok {
		return 0, false
	}
	ea, _ := books.Exponent(a)
	eb, _ := books.Exponent(b)
	out, err := money.Convert(v, ea, r, eb, money.RoundHalfEven)
	return out, err == nil
}

// bps is v × b / 10000 without overflow (truncated).
func bps(v, b int64) *big.Int {
	x := new(big.Int).Mul(big.NewInt(v), big.NewInt(b))
	return x.Quo(x, big.NewInt(10000))
}

// cost gathers what the cost model needs of the cycle: the settled
// payments per (currency, payee currency) with the sending bank's
// commission computed per payment (its minimum and maximum converted to
// the payment's currency once), the pairs' net residuals and the number of
// settlement transfers, all valued in the reporting currency at the cycle
// rates.
func cost(res *netting.Result, ccys []string, settled []*Instruction, books Books) CostFigures {
	m := books.Cost
	if m == nil {
		m = DefaultCostModel()
	}
	rep := m.Reporting
	type flowKey struct{ a, b string }
	type flowSum struct {
		count int
		value int64
		fees  [3]int64
	}
	type limits struct {
		ok       bool
		min, max [3]int64
	}
	lim := map[string]limits{}
	limitsIn := func(ccy string) limits {
		if l, ok := lim[ccy]; ok {
			return l
		}
		l := limits{ok: true}
		for s := ScenarioLow; s <= ScenarioHigh; s++ {
			lo, ok1 := valueIn(books, "USD", ccy, m.SendFeeMinUSDCents.At(s))
			hi, ok2 := valueIn(books, "USD", ccy, m.SendFeeMaxUSDCents.At(s))
			l.ok = l.ok && ok1 && ok2
			l.min[s], l.max[s] = lo, hi
		}
		lim[ccy] = l
		return l
	}
	sums := map[flowKey]*flowSum{}
	var keys []flowKey
	for _, in := range settled {
		l := limitsIn(in.Currency)
		if !l.ok {
			continue
		}
		k := flowKey{in.Currency, in.PayeeCurrency}
		f := sums[k]
		if f == nil {
			f = &flowSum{}
			sums[k] = f
			keys = append(keys, k)
		}
		f.count++
		f.value = satAdd(f.value, in.Amount)
		for s := ScenarioLow; s <= ScenarioHigh; s++ {
			f.fees[s] = satAdd(f.fees[s], m.SendFee(s, in.Amount, l.min[s], l.max[s]))
		}
	}
	var input CostInput
	for _, k := range keys {
		f := sums[k]
		v, ok := valueIn(books, k.a, rep, f.value)
		if !ok {
			continue
		}
		flow := CostFlow{Currency: k.a, PayeeCurrency: k.b, Count: f.count, Value: v}
		for s := range 3 {
			flow.SendFees[s], _ = valueIn(books, k.a, rep, f.fees[s])
		}
		input.Flows = append(input.Flows, flow)
	}
	for _, p := range res.Pairs {
		if p.SellAmount == 0 {
			continue
		}
		if v, ok := valueIn(books, ccys[p.Sell], rep, p.SellAmount); ok {
			input.Residuals = append(input.Residuals, CostResidual{A: ccys[p.A], B: ccys[p.B], Value: v})
		}
	}
	input.Transfers = res.Transfers
	input.USDCents = func(c int64) (int64, bool) { return valueIn(books, "USD", rep, c) }
	return m.Estimate(input)
}

// satAdd adds non-negative amounts, saturating instead of overflowing (a
// report figure only).
func satAdd(a, b int64) int64 {
	if a > (1<<63-1)-b {
		return 1<<63 - 1
	}
	return a + b
}
