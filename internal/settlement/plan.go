package settlement

import (
	"fmt"
	"math/big"
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
	// Cost configures the comparison with USD correspondent banking.
	Cost  CostConfig
	Today time.Time
}

// CostConfig prices the two ways of settling for the report.
type CostConfig struct {
	Reporting        string // KZT
	USDFixedFeeCents int64  // per payment through a correspondent
	USDFeeBps        int64  // per payment, on its value
	USDSpreadBps     int64  // each conversion leg into or out of USD
	LocalSpreadBps   int64  // on each pair's net residual
	LocalTransferFee int64  // reporting minor units per settlement transfer
}

// DefaultCost is a conservative public-tariff estimate: correspondent
// banks charge a fixed fee and a percentage per payment and an FX margin on
// each leg through USD; the town charges a spread on the net residual only
// and a small fee per settlement transfer.
var DefaultCost = CostConfig{Reporting: "KZT", USDFixedFeeCents: 1500, USDFeeBps: 10, USDSpreadBps: 75, LocalSpreadBps: 30, LocalTransferFee: 50_00}

// Plan is a cycle computed but not yet written.
type Plan struct {
	Commit  Commit
	Result  *netting.Result
	Netting time.Duration
}

// ns derives the cycle's transfer ids: the same cycle always produces the
// same ids, so committing it twice cannot post it twice.
var ns = uuid.MustParse("2b0f5d0e-7a35-4d8e-9c41-5b8a7f1c3d21")

// MakePlan nets the queue and builds the cycle's ledger transfers and
// report. It does no I/O.
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
	var ins []netting.Instruction
	var src []*Instruction
	today := books.Today.UTC().Truncate(24 * time.Hour)
	for _, in := range queue {
		pi, okP := pidx[in.PayerRow]
		qi, okQ := pidx[in.PayeeRow]
		_, accP := books.Accounts[in.PayerRow][in.Currency]
		_, accQ := books.Accounts[in.PayeeRow][in.PayeeCurrency]
		switch {
		case in.ValueDate.After(today):
			carried = append(carried, Carry{Seq: in.Seq, Reason: "future_value_date"})
			continue
		case !okP || !okQ:
			carried = append(carried, Carry{Seq: in.Seq, Reason: "participant_inactive"})
			continue
		case !accP || !accQ:
			carried = append(carried, Carry{Seq: in.Seq, Reason: "no_settlement_account"})
			continue
		}
		if in.Currency != in.PayeeCurrency {
			if r, ok := books.Rate(in.Currency, in.PayeeCurrency); !ok || r.IsZero() {
				carried = append(carried, Carry{Seq: in.Seq, Reason: "no_rate"})
				continue
			}
		}
		prio := in.Seq
		if !in.Urgent {
			prio |= 1 << 50 // normal payments wait before urgent ones
		}
		ins = append(ins, netting.Instruction{ID: int64(len(ins)), Payer: pi, Payee: qi, Currency: cur(in.Currency),
			PayeeCurrency: cur(in.PayeeCurrency), Amount: in.Amount, Priority: prio})
		src = append(src, in)
	}
	C := len(ccys)
	P := len(byIdx)
	rates, err := rateTable(ccys, books)
	if err != nil {
		return nil, err
	}
	cfg := netting.Config{Participants: P, Currencies: C, Rates: rates, Available: make([]int64, P*C), CreditLine: make([]int64, P*C)}
	for i, p := range byIdx {
		for c, code := range ccys {
			if a, ok := books.Accounts[p.Row][code]; ok {
				cfg.Available[i*C+c] = a.Available()
			}
			cfg.CreditLine[i*C+c] = p.CreditLines[code]
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
		transfers = append(transfers, ledger.Transfer{ID: uuid.NewSHA1(ns, []byte(fmt.Sprintf("cycle-%d-%s", number, key))),
			DebitAccount: from, CreditAccount: to, Amount: amount, Currency: ccy, Code: code, Reference: fmt.Sprintf("cycle %d", number), Flags: ledger.Linked})
	}
	for i, p := range byIdx {
		for c, code := range ccys {
			pos := res.Position[i*C+c]
			if pos == 0 {
				continue
			}
			acct := books.Accounts[p.Row][code].ID
			key := fmt.Sprintf("p%d-%s", p.Row, code)
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

	rep := report(res, byIdx, ccys, queue, carried, books)
	rep.Instructions = len(queue)
	rep.Settled = len(src) - len(res.Deferred)
	rep.Deferred = len(carried)
	rep.SettlementTransfers = len(transfers)
	rep.NettingMillis = float64(nettingTook.Microseconds()) / 1000
	rep.CycleMillis = float64(time.Since(start).Microseconds()) / 1000
	sort.Slice(carried, func(i, j int) bool { return carried[i].Seq < carried[j].Seq })
	return &Plan{Commit: Commit{Cycle: Cycle{ID: uuid.NewSHA1(ns, []byte(fmt.Sprint("cycle-", number))).String(), Number: number,
		FromSeq: q.FromSeq, ToSeq: q.LastSeq, StartedAt: start, Report: rep},
		Transfers: transfers, Carried: carried, SettledCarried: settledCarried, Version: q.Version}, Result: res, Netting: nettingTook}, nil
}

// rateTable fills netting's fractions from the cycle's decimal rates: one
// minor unit of a is worth rate × 10^(exp b − exp a) minor units of b.
func rateTable(ccys []string, books Books) (netting.RateTable, error) {
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
			if err != nil {
				return t, fmt.Errorf("settlement: rate %s/%s: %w", ccys[a], ccys[b], err)
			}
			t.Table[a*C+b] = netting.Rate{Num: num, Den: den}
		}
	}
	return t, nil
}

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
		rep.Deferrals = append(rep.Deferrals, d)
		if len(rep.Deferrals) >= 1000 {
			break // the report lists the first thousand; the count is in Deferred
		}
	}
	rep.Cost = cost(res, ccys, books)
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

// cost estimates both routes in the reporting currency: every payment
// through USD (fixed and percentage fee, a spread on each leg into and out
// of USD unless already USD) against the town's route (a spread on each
// pair's net residual only, a fee per settlement transfer).
func cost(res *netting.Result, ccys []string, books Books) CostFigures {
	cf := books.Cost
	out := CostFigures{Currency: cf.Reporting}
	var usd, local big.Int
	for c, code := range ccys {
		vol := res.Volume[c]
		if vol == 0 {
			continue
		}
		v, ok := valueIn(books, code, cf.Reporting, vol)
		if !ok {
			continue
		}
		legs := int64(2)
		if code == "USD" {
			legs = 1
		}
		usd.Add(&usd, bps(v, cf.USDFeeBps+cf.USDSpreadBps*legs))
	}
	if fee, ok := valueIn(books, "USD", cf.Reporting, cf.USDFixedFeeCents); ok {
		usd.Add(&usd, big.NewInt(fee*int64(res.Settled)))
	}
	for _, p := range res.Pairs {
		if p.SellAmount == 0 {
			continue
		}
		if v, ok := valueIn(books, ccys[p.Sell], cf.Reporting, p.SellAmount); ok {
			local.Add(&local, bps(v, cf.LocalSpreadBps))
		}
	}
	local.Add(&local, big.NewInt(cf.LocalTransferFee*int64(res.Transfers)))
	out.USDRoute, out.Local = usd.Int64(), local.Int64()
	out.Saving = out.USDRoute - out.Local
	if out.USDRoute > 0 {
		out.SavingBps = out.Saving * 10000 / out.USDRoute
	}
	return out
}
