package netting

import (
	"math/big"
	"math/rand/v2"
	"slices"
	"testing"
)

// genSpec describes a random cycle.
type genSpec struct {
	P, C, N   int
	CrossPct  int   // percentage of instructions with PayeeCurrency != Currency
	MaxAmount int64 // amounts are uniform in 1..MaxAmount
	MaxRate   int64 // rate numerators and denominators are uniform in 1..MaxRate
	Prios     int64 // priorities uniform in 0..Prios-1 (0: priority = index)
}

func genRates(rng *rand.Rand, c int, maxRate int64) RateTable {
	t := RateTable{Currencies: c, Table: make([]Rate, c*c)}
	for a := 0; a < c; a++ {
		for b := a + 1; b < c; b++ {
			t.Table[a*c+b] = Rate{Num: 1 + rng.Int64N(maxRate), Den: 1 + rng.Int64N(maxRate)}
		}
	}
	return t
}

func genInstructions(rng *rand.Rand, s genSpec) []Instruction {
	ins := make([]Instruction, s.N)
	for i := range ins {
		p := int32(rng.IntN(s.P))
		q := int32(rng.IntN(s.P))
		a := int32(rng.IntN(s.C))
		b := a
		if s.C > 1 && rng.IntN(100) < s.CrossPct {
			b = int32((int(a) + 1 + rng.IntN(s.C-1)) % s.C)
		}
		if p == q && a == b {
			q = (p + 1) % int32(s.P)
			if p == q { // single participant: force a conversion instead
				if s.C == 1 {
					panic("cannot generate a non-trivial instruction")
				}
				b = (a + 1) % int32(s.C)
			}
		}
		prio := int64(i)
		if s.Prios > 0 {
			prio = rng.Int64N(s.Prios)
		}
		ins[i] = Instruction{
			ID: int64(i), Payer: p, Payee: q, Currency: a, PayeeCurrency: b,
			Amount: 1 + rng.Int64N(s.MaxAmount), Priority: prio,
		}
	}
	// Shuffle IDs so that ID order, slice order and priority order differ.
	perm := rng.Perm(s.N)
	for i := range ins {
		ins[i].ID = int64(perm[i])
	}
	return ins
}

func genCycle(rng *rand.Rand, s genSpec) (Config, []Instruction) {
	cfg := Config{Participants: s.P, Currencies: s.C, Rates: genRates(rng, s.C, s.MaxRate)}
	return cfg, genInstructions(rng, s)
}

// withCapacity fills Available/CreditLine so that each cell can fund
// roughly pct percent of its net debit in the full netting.
func withCapacity(t testing.TB, rng *rand.Rand, cfg Config, ins []Instruction, pct int64) Config {
	t.Helper()
	r, err := Net(cfg, ins)
	if err != nil {
		t.Fatal(err)
	}
	cells := cfg.Participants * cfg.Currencies
	cfg.Available = make([]int64, cells)
	cfg.CreditLine = make([]int64, cells)
	for k, pos := range r.Position {
		if pos >= 0 {
			continue
		}
		total := -pos * pct / 100
		line := rng.Int64N(total/2 + 1)
		cfg.Available[k], cfg.CreditLine[k] = total-line, line
	}
	return cfg
}

func shuffled(rng *rand.Rand, ins []Instruction) []Instruction {
	out := slices.Clone(ins)
	rng.Shuffle(len(out), func(i, j int) { out[i], out[j] = out[j], out[i] })
	return out
}

// ratOf returns the cycle price of from->to as used by the engine.
func ratOf(rt Rates, from, to int) *big.Rat {
	lo, hi := min(from, to), max(from, to)
	r, err := rt.Rate(lo, hi)
	if err != nil {
		panic(err)
	}
	q := big.NewRat(r.Num, r.Den)
	if from > to {
		q.Inv(q)
	}
	return q
}

func floorRat(x *big.Rat) *big.Int {
	q := new(big.Int)
	q.Div(x.Num(), x.Denom()) // Euclidean division: floor for positive denominators
	return q
}

// checkLedger verifies r against an independent math/big recomputation of
// ins (the instructions that settled): positions, per-pair trade, and that
// every currency's accounts sum to zero.
func checkLedger(t *testing.T, cfg Config, ins []Instruction, r *Result) {
	t.Helper()
	p, c := cfg.Participants, cfg.Currencies
	pos := make([]*big.Int, p*c)
	for k := range pos {
		pos[k] = new(big.Int)
	}
	g := make([]*big.Int, c*c)
	k := make([]*big.Int, c*c)
	for i := range g {
		g[i], k[i] = new(big.Int), new(big.Int)
	}
	for _, in := range ins {
		amt := big.NewInt(in.Amount)
		credit := amt
		if in.Currency != in.PayeeCurrency {
			x := new(big.Rat).Mul(new(big.Rat).SetInt(amt), ratOf(cfg.Rates, int(in.Currency), int(in.PayeeCurrency)))
			credit = floorRat(x)
			pr := int(in.Currency)*c + int(in.PayeeCurrency)
			g[pr].Add(g[pr], amt)
			k[pr].Add(k[pr], credit)
		}
		pd := int(in.Payer)*c + int(in.Currency)
		pc := int(in.Payee)*c + int(in.PayeeCurrency)
		pos[pd].Sub(pos[pd], amt)
		pos[pc].Add(pos[pc], credit)
	}
	for i := range pos {
		if pos[i].Cmp(big.NewInt(r.Position[i])) != 0 {
			t.Fatalf("position[%d] = %d, want %s", i, r.Position[i], pos[i])
		}
	}
	// Per pair: the trade is the whole surplus of the long side at the cycle
	// rate rounded down, and it covers the short side.
	seen := 0
	for _, pf := range r.Pairs {
		a, b := int(pf.A), int(pf.B)
		ab, ba := a*c+b, b*c+a
		if pf.GrossAB != g[ab].Int64() || pf.CreditAB != k[ab].Int64() ||
			pf.GrossBA != g[ba].Int64() || pf.CreditBA != k[ba].Int64() {
			t.Fatalf("pair %d/%d aggregates %+v, want G=%s,%s K=%s,%s", a, b, pf, g[ab], g[ba], k[ab], k[ba])
		}
		sA, sB := pf.GrossAB-pf.CreditBA, pf.GrossBA-pf.CreditAB
		switch {
		case sA >= 0 && sB >= 0:
			if pf.Sell != -1 || pf.RoundingA != sA || pf.RoundingB != sB {
				t.Fatalf("pair %d/%d: no trade expected: %+v", a, b, pf)
			}
		case sB < 0:
			want := floorRat(new(big.Rat).Mul(big.NewRat(sA, 1), ratOf(cfg.Rates, a, b)))
			if pf.Sell != pf.A || pf.SellAmount != sA || want.Cmp(big.NewInt(pf.BuyAmount)) != 0 || pf.BuyAmount < -sB {
				t.Fatalf("pair %d/%d: trade %+v, want sell %d A buy %s B", a, b, pf, sA, want)
			}
		default:
			want := floorRat(new(big.Rat).Mul(big.NewRat(sB, 1), ratOf(cfg.Rates, b, a)))
			if pf.Sell != pf.B || pf.SellAmount != sB || want.Cmp(big.NewInt(pf.BuyAmount)) != 0 || pf.BuyAmount < -sA {
				t.Fatalf("pair %d/%d: trade %+v, want sell %d B buy %s A", a, b, pf, sB, want)
			}
		}
		if pf.RoundingA < 0 || pf.RoundingB < 0 {
			t.Fatalf("pair %d/%d: negative rounding %+v", a, b, pf)
		}
		seen++
	}
	pairs := 0
	for a := 0; a < c; a++ {
		for b := a + 1; b < c; b++ {
			if g[a*c+b].Sign() != 0 || g[b*c+a].Sign() != 0 {
				pairs++
			}
		}
	}
	if seen != pairs {
		t.Fatalf("%d pairs reported, %d have flows", seen, pairs)
	}
	// Books balance per currency including the FX provider and rounding.
	for cur := 0; cur < c; cur++ {
		sum := new(big.Int)
		for q := 0; q < p; q++ {
			sum.Add(sum, big.NewInt(r.Position[q*c+cur]))
		}
		sum.Add(sum, big.NewInt(r.FXProvider[cur]))
		sum.Add(sum, big.NewInt(r.Rounding[cur]))
		if sum.Sign() != 0 {
			t.Fatalf("currency %d: accounts sum to %s, want 0", cur, sum)
		}
		if r.Rounding[cur] < 0 {
			t.Fatalf("currency %d: negative rounding %d", cur, r.Rounding[cur])
		}
	}
}

// settledOf returns the instructions of ins that r did not defer.
func settledOf(ins []Instruction, r *Result) []Instruction {
	var out []Instruction
	for _, in := range ins {
		if !r.IsDeferred(in.ID) {
			out = append(out, in)
		}
	}
	// Net needs dense IDs; renumber preserving order.
	ids := make([]int64, len(out))
	for i := range out {
		ids[i] = out[i].ID
	}
	slices.Sort(ids)
	for i := range out {
		j, _ := slices.BinarySearch(ids, out[i].ID)
		out[i].ID = int64(j)
	}
	return out
}
