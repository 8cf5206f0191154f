package netting

import (
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
)

// The benchmark cycle: 1,000,000 instructions among 200 participants in 10
// currencies, 30% cross-currency, amounts up to 10^9 minor units, rates
// with numerators and denominators up to 1000.
var bench struct {
	once sync.Once
	ins  []Instruction
	// ample: nothing defers.
	ample Config
	// light: every fourth participant funds 90% of its net debits.
	light Config
	// skewed: participants 0..49 pay in 40% of instructions but receive
	// in only 10%, so they are systematic net payers; they fund half of
	// what they owe, which defers about one instruction in nine.
	skewedIns []Instruction
	skewed    Config
}

const benchP, benchC = 200, 10

func benchCycle(b *testing.B) {
	bench.once.Do(func() {
		rng := rand.New(rand.NewPCG(42, 42))
		spec := genSpec{P: benchP, C: benchC, N: 1_000_000, CrossPct: 30, MaxAmount: 1e9, MaxRate: 1000}
		cfg, ins := genCycle(rng, spec)
		bench.ins = ins
		bench.ample = cfg
		bench.ample.Available = make([]int64, benchP*benchC)
		for k := range bench.ample.Available {
			bench.ample.Available[k] = 1 << 55
		}
		bench.light = withCapacity(b, rng, cfg, ins, 90)
		for k := range bench.light.Available {
			if (k/benchC)%4 != 0 {
				bench.light.Available[k] = 1 << 55
			}
		}

		sk := slices.Clone(ins)
		for i := range sk {
			x := &sk[i]
			x.Payer, x.Payee = int32(50+rng.IntN(150)), int32(50+rng.IntN(150))
			if rng.IntN(100) < 40 {
				x.Payer = int32(rng.IntN(50))
			}
			if rng.IntN(100) < 10 {
				x.Payee = int32(rng.IntN(50))
			}
			if x.Payer == x.Payee && x.Currency == x.PayeeCurrency {
				x.Payee = (x.Payee + 1) % benchP
			}
		}
		bench.skewedIns = sk
		bench.skewed = withCapacity(b, rng, cfg, sk, 50)
	})
}

// BenchmarkNet1M is the whole cycle when nothing needs deferring: netting,
// FX pairs, statistics and the liquidity check.
func BenchmarkNet1M(b *testing.B) {
	benchCycle(b)
	b.ReportAllocs()
	for b.Loop() {
		r, err := Settle(bench.ample, bench.ins)
		if err != nil {
			b.Fatal(err)
		}
		if len(r.Deferred) != 0 {
			b.Fatal("unexpected deferral")
		}
	}
}

// BenchmarkNetWithDeferral1M is the whole cycle with gridlock resolution:
// "light" is about a hundred deferrals, "skewed" over a
// hundred thousand.
func BenchmarkNetWithDeferral1M(b *testing.B) {
	benchCycle(b)
	for _, bc := range []struct {
		name string
		cfg  Config
		ins  []Instruction
	}{
		{"light", bench.light, bench.ins},
		{"skewed", bench.skewed, bench.skewedIns},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			var deferred int
			for b.Loop() {
				r, err := Settle(bc.cfg, bc.ins)
				if err != nil {
					b.Fatal(err)
				}
				deferred = len(r.Deferred)
			}
			if deferred == 0 {
				b.Fatal("nothing deferred")
			}
			b.ReportMetric(float64(deferred), "deferred")
		})
	}
}

// BenchmarkNetOnly1M is netting without the liquidity check, for
// comparison.
func BenchmarkNetOnly1M(b *testing.B) {
	benchCycle(b)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Net(bench.ample, bench.ins); err != nil {
			b.Fatal(err)
		}
	}
}
