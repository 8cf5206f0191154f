package market

import (
	"math/rand/v2"
	"slices"
	"testing"

	"bricstown/internal/fx"
	"bricstown/internal/money"
)

func TestMarketTerms(t *testing.T) {
	p := &Product{Names: map[string]string{"zh": "阿拉比卡咖啡豆", "kk": "Қатты БИДАЙ", "ru": "Зёрна"}, HS: "090111"}
	got := IndexTerms(p)
	for _, want := range []string{"咖啡", "啡豆", "咖", "қатты", "бидай", "зерна", "090111", "0901", "09"} {
		if !slices.Contains(got, want) {
			t.Errorf("index lacks %q: %q", want, got)
		}
	}
	for q, want := range map[string][]string{"咖啡豆": {"咖啡", "啡豆"}, "茶": {"茶"}, "Coffee, BEANS!": {"coffee", "beans"}, "ёлка": {"елка"},
		"a b c d e f g h i j": {"a", "b", "c", "d", "e", "f", "g", "h"}} {
		if got := QueryTerms(q); !slices.Equal(got, want) {
			t.Errorf("QueryTerms(%q) = %q, want %q", q, got, want)
		}
	}
}

func TestMarketMOQBuckets(t *testing.T) {
	for moq, want := range map[int64]int{1: 0, 9: 0, 10: 1, 99: 1, 100: 2, 9999: 3, 10000: 4, 1 << 40: 4} {
		if got := MOQBucket(moq); got != want {
			t.Errorf("MOQBucket(%d) = %d, want %d", moq, got, want)
		}
	}
}

// Threshold is exactly the smallest amount whose conversion reaches the
// target, with the same half-even rounding as Convert, for random rates
// and targets.
func TestMarketThresholdIsExact(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	exp := func(c string) (int, bool) {
		return map[string]int{"KZT": 2, "CNY": 2, "JPY": 0, "KWD": 3, "BRL": 2}[c], true
	}
	for range 200 {
		rate, _ := money.ParseRate([]string{"70.12", "0.2817", "1666.6667", "92.5", "3.3"}[rng.IntN(5)])
		to := []string{"KZT", "CNY", "JPY", "KWD"}[rng.IntN(4)]
		refs := fx.ReferenceSet{"BRL": {Currency: "BRL", Units: 1, KZT: rate, Date: "2026-05-04"}}
		if to != "KZT" {
			r2, _ := money.ParseRate([]string{"70.12", "0.31", "800.5"}[rng.IntN(3)])
			refs[to] = fx.ReferenceRate{Currency: to, Units: 1, KZT: r2, Date: "2026-05-04"}
		}
		toExp, _ := exp(to)
		c := NewConverter(refs, to, toExp, exp)
		target := rng.Int64N(1_000_000) + 1
		p, ok := c.Threshold(target, "BRL")
		if !ok {
			t.Fatal("no threshold")
		}
		hi, _ := c.Convert(p, "BRL")
		if hi < target {
			t.Fatalf("Convert(%d)=%d below target %d (%s→%s)", p, hi, target, "BRL", to)
		}
		if p > 0 {
			if lo, _ := c.Convert(p-1, "BRL"); lo >= target {
				t.Fatalf("Convert(%d)=%d already reaches %d: threshold not the smallest", p-1, lo, target)
			}
		}
	}
	// 28.40 BRL at 92.5 KZT/BRL is exactly 2 627.00 KZT.
	c := NewConverter(fx.ReferenceSet{"BRL": {Currency: "BRL", Units: 1, KZT: mustRate("92.5")}}, "KZT", 2, exp)
	if v, _ := c.Convert(2840, "BRL"); v != 262700 {
		t.Fatalf("28.40 BRL = %d tiyn", v)
	}
}

func mustRate(s string) money.Rate {
	r, err := money.ParseRate(s)
	if err != nil {
		panic(err)
	}
	return r
}
