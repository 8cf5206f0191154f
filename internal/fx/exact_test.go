package fx

import (
	"math/big"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"bricstown/internal/money"
)

// FX code must never pass through binary floating point. This scans the
// package's non-test sources and the SQL adapter for this package.
func TestNoFloatsInFXSources(t *testing.T) {
	floaty := regexp.MustCompile(`float32|float64|big\.Float|ParseFloat|FormatFloat|AppendFloat|math\.Float|\.Float64\(|FloatString`)
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	files = append(files, filepath.Join("..", "sqlstore", "fx.go"))
	checked := 0
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		src, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		checked++
		for i, line := range strings.Split(string(src), "\n") {
			if loc := floaty.FindString(line); loc != "" {
				t.Errorf("%s:%d uses %s: FX code must not use floating point", name, i+1, loc)
			}
		}
	}
	if checked < 5 {
		t.Fatalf("only %d sources checked; is the test running in the package directory?", checked)
	}
}

// divRate's 128-bit fast path and its big fallback must agree with exact
// rational arithmetic in every mode.
func TestDivRateExact(t *testing.T) {
	rnd := rand.New(rand.NewPCG(1, 2))
	modes := []money.Rounding{money.RoundDown, money.RoundUp, money.RoundHalfEven}
	for i := 0; i < 20000; i++ {
		amount := rnd.Int64N(1 << uint(1+rnd.IntN(62)))
		d := dec{mant: 1 + rnd.Uint64N(uint64(1)<<uint(1+rnd.IntN(59))), scale: rnd.IntN(13)}
		fromExp, toExp := rnd.IntN(5), rnd.IntN(5)
		mode := modes[rnd.IntN(3)]
		got, err := divRate(amount, fromExp, d, toExp, mode)
		exact := new(big.Rat).SetFrac(
			new(big.Int).Mul(big.NewInt(amount), pow10Big(toExp+d.scale)),
			new(big.Int).Mul(new(big.Int).SetUint64(d.mant), pow10Big(fromExp)))
		want := roundRat(exact, mode)
		if !want.IsInt64() {
			if err == nil {
				t.Fatalf("%d/%v: want overflow, got %d", amount, d, got)
			}
			continue
		}
		if err != nil || got != want.Int64() {
			t.Fatalf("divRate(%d, %d, %+v, %d, %v) = %d, %v; want %s", amount, fromExp, d, toExp, mode, got, err, want)
		}
	}
}

func TestRoundBig(t *testing.T) {
	for _, tc := range []struct {
		num, den int64
		mode     money.Rounding
		want     int64
	}{
		{5, 2, money.RoundHalfEven, 2}, {7, 2, money.RoundHalfEven, 4}, {-5, 2, money.RoundHalfEven, -2},
		{-7, 2, money.RoundHalfEven, -4}, {7, 3, money.RoundHalfEven, 2}, {8, 3, money.RoundHalfEven, 3},
		{7, 3, money.RoundDown, 2}, {-7, 3, money.RoundDown, -2}, {7, 3, money.RoundUp, 3}, {-7, 3, money.RoundUp, -3},
		{6, 3, money.RoundUp, 2},
	} {
		if got := roundBig(big.NewInt(tc.num), big.NewInt(tc.den), tc.mode).Int64(); got != tc.want {
			t.Errorf("%d/%d %v = %d; want %d", tc.num, tc.den, tc.mode, got, tc.want)
		}
	}
}

func TestGrossForIsMinimal(t *testing.T) {
	rnd := rand.New(rand.NewPCG(3, 4))
	for i := 0; i < 20000; i++ {
		net := 1 + rnd.Int64N(1<<uint(1+rnd.IntN(50)))
		bps := rnd.Int64N(MaxFeeBps + 1)
		g, err := grossFor(net, bps)
		if err != nil {
			t.Fatal(err)
		}
		netOf := func(g int64) int64 { f, _ := money.ApplyBps(g, bps, money.RoundUp); return g - f }
		if netOf(g) < net || netOf(g-1) >= net {
			t.Fatalf("grossFor(%d, %d) = %d: nets %d and %d", net, bps, g, netOf(g), netOf(g-1))
		}
	}
}

func TestCmpRateAndPair(t *testing.T) {
	if cmpRate(rate(t, "1.5"), rate(t, "1.50")) != 0 || cmpRate(rate(t, "0.0152"), rate(t, "0.015")) != 1 ||
		cmpRate(rate(t, "999999999999999999"), rate(t, "0.000000000001")) != 1 {
		t.Fatal("cmpRate")
	}
	for _, s := range []string{"KZT/CNY", "kzt/cny", " KZT-CNY ", "KZTCNY"} {
		p, err := ParsePair(s)
		if err != nil || p != (Pair{"KZT", "CNY"}) || p.Market() != (Pair{"CNY", "KZT"}) || p.Inverse().Market() != p.Market() {
			t.Fatalf("%q: %+v %v", s, p, err)
		}
	}
}
