package netting

import (
	"fmt"
	"math"

	"bricstown/internal/problem"
)

// Size limits keep the eagerly allocated flat arrays bounded: P*C entries
// per participant array and C*C per pair array.
const (
	maxCurrencies = 256
	maxCells      = 1 << 24 // participants * currencies
	maxInstrs     = math.MaxInt32
)

// netState accumulates a cycle. Debits and credits are kept as separate
// non-negative sums rather than one signed position: adding a positive
// amount to a non-negative int64 overflows exactly when the result turns
// negative, so the hot loop's overflow check is one sign test, and the final
// difference of two non-negative int64 can never overflow.
type netState struct {
	p, c  int
	rates Rates

	debit  []int64 // [p*C+c] payer legs of active instructions
	credit []int64 // [p*C+c] payee legs of active instructions

	pairG []int64 // [from*C+to] sum of Amount converted from -> to, in from
	pairK []int64 // [from*C+to] sum of payee credits for those, in to

	// Cycle rate per ordered pair as a multiplier/divisor; for base < quote
	// mul/div = Num/Den and the reverse direction holds Den/Num. Zero until
	// the pair is first seen.
	mul, div []uint64
}

func validateConfig(cfg *Config) error {
	if cfg.Participants < 1 {
		return invalidField("participants", "must be at least 1, got %d", cfg.Participants)
	}
	if cfg.Currencies < 1 || cfg.Currencies > maxCurrencies {
		return invalidField("currencies", "must be in 1..%d, got %d", maxCurrencies, cfg.Currencies)
	}
	if cfg.Participants > maxCells/cfg.Currencies {
		return invalidField("participants", "participants*currencies must not exceed %d", maxCells)
	}
	return nil
}

func newNetState(cfg *Config) (*netState, error) {
	if err := validateConfig(cfg); err != nil {
		return nil, err
	}
	p, c := cfg.Participants, cfg.Currencies
	cells := make([]int64, 2*p*c)
	pairs := make([]int64, 2*c*c)
	rates := make([]uint64, 2*c*c)
	return &netState{
		p: p, c: c, rates: cfg.Rates,
		debit: cells[: p*c : p*c], credit: cells[p*c:],
		pairG: pairs[: c*c : c*c], pairK: pairs[c*c:],
		mul: rates[: c*c : c*c], div: rates[c*c:],
	}, nil
}

// loadRate fetches the price of the unordered pair {a, b} once.
func (s *netState) loadRate(a, b int) error {
	if s.rates == nil {
		return invalidField("rates", "cross-currency instruction %d->%d but no Rates configured", a, b)
	}
	lo, hi := min(a, b), max(a, b)
	r, err := s.rates.Rate(lo, hi)
	if err != nil {
		return fmt.Errorf("netting: rate %d/%d: %w", lo, hi, err)
	}
	if r.Num <= 0 || r.Den <= 0 {
		return badRate(lo, hi, r)
	}
	s.mul[lo*s.c+hi], s.div[lo*s.c+hi] = uint64(r.Num), uint64(r.Den)
	s.mul[hi*s.c+lo], s.div[hi*s.c+lo] = uint64(r.Den), uint64(r.Num)
	return nil
}

// payeeCredit is what the payee of in receives, in PayeeCurrency: the
// amount itself, or the amount at the pair's cycle rate rounded down. Only
// valid for instructions already accepted by add (the rate is loaded and
// the conversion is known to fit).
func (s *netState) payeeCredit(in *Instruction) int64 {
	if in.Currency == in.PayeeCurrency {
		return in.Amount
	}
	pr := int(in.Currency)*s.c + int(in.PayeeCurrency)
	k, _ := mulDivFloor(uint64(in.Amount), s.mul[pr], s.div[pr])
	return k
}

// add accumulates every instruction, validating as it goes. It is the hot
// loop of the package: one pass, flat arrays, no allocation beyond the
// duplicate-ID bitset.
func (s *netState) add(ins []Instruction) error {
	n := len(ins)
	if n > maxInstrs {
		return invalidField("instructions", "at most %d per cycle", maxInstrs)
	}
	seen := make([]uint64, (n+63)/64)
	np, nc := uint32(s.p), uint32(s.c)
	c := s.c
	debit, credit := s.debit, s.credit
	for i := range ins {
		in := &ins[i]
		id := uint64(in.ID)
		if uint32(in.Payer) >= np || uint32(in.Payee) >= np ||
			uint32(in.Currency) >= nc || uint32(in.PayeeCurrency) >= nc ||
			in.Amount <= 0 || id >= uint64(n) || seen[id>>6]&(1<<(id&63)) != 0 ||
			(in.Payer == in.Payee && in.Currency == in.PayeeCurrency) {
			return diagnose(ins, i, s.p, s.c)
		}
		seen[id>>6] |= 1 << (id & 63)
		amt := in.Amount

		kd := int(in.Payer)*c + int(in.Currency)
		d := debit[kd] + amt
		if d < 0 {
			return overflowField(fmt.Sprintf("instructions[%d]", i),
				"payer %d's debits in currency %d exceed int64", in.Payer, in.Currency)
		}
		debit[kd] = d

		k := amt
		if in.Currency != in.PayeeCurrency {
			pr := int(in.Currency)*c + int(in.PayeeCurrency)
			if s.mul[pr] == 0 {
				if err := s.loadRate(int(in.Currency), int(in.PayeeCurrency)); err != nil {
					return err
				}
			}
			var ok bool
			if k, ok = mulDivFloor(uint64(amt), s.mul[pr], s.div[pr]); !ok {
				return overflowField(fmt.Sprintf("instructions[%d].amount", i),
					"converted amount exceeds int64")
			}
			g, kk := s.pairG[pr]+amt, s.pairK[pr]+k
			if g < 0 || kk < 0 {
				return overflowField(fmt.Sprintf("instructions[%d]", i),
					"FX volume %d->%d exceeds int64", in.Currency, in.PayeeCurrency)
			}
			s.pairG[pr], s.pairK[pr] = g, kk
		}

		kc := int(in.Payee)*c + int(in.PayeeCurrency)
		cr := credit[kc] + k
		if cr < 0 {
			return overflowField(fmt.Sprintf("instructions[%d]", i),
				"payee %d's credits in currency %d exceed int64", in.Payee, in.PayeeCurrency)
		}
		credit[kc] = cr
	}
	return nil
}

// diagnose explains why instruction i failed the hot loop's combined check;
// kept out of the loop so the common path is a single branch.
func diagnose(ins []Instruction, i, p, c int) error {
	in := &ins[i]
	f := func(name string) string { return fmt.Sprintf("instructions[%d].%s", i, name) }
	switch {
	case in.Payer < 0 || int(in.Payer) >= p:
		return invalidField(f("payer"), "participant %d outside 0..%d", in.Payer, p-1)
	case in.Payee < 0 || int(in.Payee) >= p:
		return invalidField(f("payee"), "participant %d outside 0..%d", in.Payee, p-1)
	case in.Currency < 0 || int(in.Currency) >= c:
		return invalidField(f("currency"), "currency %d outside 0..%d", in.Currency, c-1)
	case in.PayeeCurrency < 0 || int(in.PayeeCurrency) >= c:
		return invalidField(f("payee_currency"), "currency %d outside 0..%d", in.PayeeCurrency, c-1)
	case in.Amount <= 0:
		return invalidField(f("amount"), "must be positive, got %d", in.Amount)
	case in.ID < 0 || in.ID >= int64(len(ins)):
		return invalidField(f("id"), "IDs must be dense in 0..%d, got %d", len(ins)-1, in.ID)
	case in.Payer == in.Payee && in.Currency == in.PayeeCurrency:
		return invalidField(f("payee"), "payment to self in the same currency moves nothing")
	default:
		return invalidField(f("id"), "duplicate ID %d", in.ID)
	}
}

// Net nets the instructions with no liquidity constraint: every instruction
// settles. It is the "what would the cycle look like" view, and the
// building block Settle starts from.
func Net(cfg Config, ins []Instruction) (*Result, error) {
	s, err := newNetState(&cfg)
	if err != nil {
		return nil, err
	}
	if err := s.add(ins); err != nil {
		return nil, err
	}
	r, err := s.finalize()
	if err != nil {
		return nil, err
	}
	r.Settled = len(ins)
	return r, nil
}

// finalize turns the accumulators into a Result: positions, the per-pair FX
// trade, the ledger's FX-provider and rounding accounts, and the statistics.
func (s *netState) finalize() (*Result, error) {
	p, c := s.p, s.c
	r := &Result{Participants: p, Currencies: c}
	perCur := make([]int64, 6*c)
	r.FXProvider, r.Rounding, r.Volume = perCur[0:c:c], perCur[c:2*c:2*c], perCur[2*c:3*c:3*c]
	r.Gross, r.NetValue, r.SavingBps = perCur[3*c:4*c:4*c], perCur[4*c:5*c:5*c], perCur[5*c:]
	r.Position = make([]int64, p*c)

	var ok bool
	for k := range r.Position {
		d, cr := s.debit[k], s.credit[k]
		pos := cr - d // both in [0, MaxInt64]: cannot overflow
		r.Position[k] = pos
		cur := k % c
		if r.Volume[cur], ok = addInt64(r.Volume[cur], d); !ok {
			return nil, overflowf("volume in currency %d exceeds int64", cur)
		}
		if pos > 0 {
			if r.NetValue[cur], ok = addInt64(r.NetValue[cur], pos); !ok {
				return nil, overflowf("net value in currency %d exceeds int64", cur)
			}
		}
		if pos != 0 {
			r.ParticipantTransfers++
		}
	}
	copy(r.Gross, r.Volume)

	for a := 0; a < c; a++ {
		for b := a + 1; b < c; b++ {
			ab, ba := a*c+b, b*c+a
			if s.pairG[ab] == 0 && s.pairG[ba] == 0 {
				continue
			}
			pf, err := s.pair(a, b)
			if err != nil {
				return nil, err
			}
			// FX credits are gross-settlement liquidity in the credited
			// currency: the provider would fund each one separately.
			if r.Gross[b], ok = addInt64(r.Gross[b], pf.CreditAB); !ok {
				return nil, overflowf("gross value in currency %d exceeds int64", b)
			}
			if r.Gross[a], ok = addInt64(r.Gross[a], pf.CreditBA); !ok {
				return nil, overflowf("gross value in currency %d exceeds int64", a)
			}
			switch pf.Sell {
			case int32(a):
				r.FXProvider[a], ok = addInt64(r.FXProvider[a], pf.SellAmount)
				if ok {
					r.FXProvider[b], ok = addInt64(r.FXProvider[b], -pf.BuyAmount)
				}
			case int32(b):
				r.FXProvider[b], ok = addInt64(r.FXProvider[b], pf.SellAmount)
				if ok {
					r.FXProvider[a], ok = addInt64(r.FXProvider[a], -pf.BuyAmount)
				}
			}
			if !ok {
				return nil, overflowf("FX provider position exceeds int64")
			}
			if r.Rounding[a], ok = addInt64(r.Rounding[a], pf.RoundingA); ok {
				r.Rounding[b], ok = addInt64(r.Rounding[b], pf.RoundingB)
			}
			if !ok {
				return nil, overflowf("rounding balance exceeds int64")
			}
			if pf.Sell >= 0 {
				r.FXLegs += 2
			}
			r.Pairs = append(r.Pairs, pf)
		}
	}

	for cur := 0; cur < c; cur++ {
		for _, v := range [2]int64{r.FXProvider[cur], r.Rounding[cur]} {
			if v > 0 {
				if r.NetValue[cur], ok = addInt64(r.NetValue[cur], v); !ok {
					return nil, overflowf("net value in currency %d exceeds int64", cur)
				}
			}
		}
		if r.Rounding[cur] != 0 {
			r.RoundingTransfers++
		}
		if g, n := r.Gross[cur], r.NetValue[cur]; n < g {
			r.SavingBps[cur] = bpsOf(uint64(g-n), uint64(g))
		}
	}
	r.Transfers = r.ParticipantTransfers + r.FXLegs + r.RoundingTransfers
	return r, nil
}

// pair nets one currency pair. The institution collects GrossAB in A and
// owes CreditBA in A, so its surplus in A is sA = GrossAB - CreditBA;
// likewise sB in B. Because payee credits are rounded down at one rate r,
// sA*r + sB >= 0: at most one side is short, and the other side's surplus
// converted at r, rounded down, still covers it. The whole surplus of the
// long side is sold in one trade; what exceeds the short side's need is
// rounding that stays with the institution.
func (s *netState) pair(a, b int) (PairFX, error) {
	c := s.c
	ab, ba := a*c+b, b*c+a
	pf := PairFX{
		A: int32(a), B: int32(b), Sell: -1,
		GrossAB: s.pairG[ab], CreditAB: s.pairK[ab],
		GrossBA: s.pairG[ba], CreditBA: s.pairK[ba],
	}
	sA := pf.GrossAB - pf.CreditBA // differences of non-negative int64: no overflow
	sB := pf.GrossBA - pf.CreditAB
	var ok bool
	switch {
	case sA >= 0 && sB >= 0:
		pf.RoundingA, pf.RoundingB = sA, sB
	case sA < 0 && sB < 0:
		// Impossible while credits are rounded down; refuse rather than
		// trade a negative amount if that invariant is ever broken.
		return pf, problem.New(problem.Internal, "pair %d/%d short on both sides", a, b)
	case sB < 0:
		pf.Sell, pf.SellAmount = int32(a), sA
		if pf.BuyAmount, ok = mulDivFloor(uint64(sA), s.mul[ab], s.div[ab]); !ok {
			return pf, overflowf("net FX %d->%d exceeds int64", a, b)
		}
		pf.RoundingB = pf.BuyAmount + sB
	default: // sA < 0, hence sB > 0
		pf.Sell, pf.SellAmount = int32(b), sB
		if pf.BuyAmount, ok = mulDivFloor(uint64(sB), s.mul[ba], s.div[ba]); !ok {
			return pf, overflowf("net FX %d->%d exceeds int64", b, a)
		}
		pf.RoundingA = pf.BuyAmount + sA
	}
	// FX volume and net trade, both valued in A.
	grossA := uint64(pf.GrossAB) + uint64(pf.CreditBA)
	var netA uint64
	switch pf.Sell {
	case int32(a):
		netA = uint64(pf.SellAmount)
	case int32(b):
		netA = uint64(pf.BuyAmount)
	}
	if netA < grossA {
		pf.SavingBps = bpsOf(grossA-netA, grossA)
	}
	return pf, nil
}
