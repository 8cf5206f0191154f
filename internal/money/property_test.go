package money

import (
	"errors"
	"math"
	"math/big"
	"math/rand/v2"
	"strings"
	"testing"
	"testing/quick"
)

func iterations() int {
	if testing.Short() {
		return 2_000
	}
	return 50_000
}

func randExp(rng *rand.Rand) int {
	if rng.IntN(4) == 0 {
		return rng.IntN(MaxExponent + 1)
	}
	return []int{0, 2, 3, 4}[rng.IntN(4)] // the real ISO 4217 exponents
}

var (
	minInt64Big = big.NewInt(math.MinInt64)
	maxInt64Big = big.NewInt(math.MaxInt64)
)

func fitsInt64(x *big.Int) bool { return x.Cmp(minInt64Big) >= 0 && x.Cmp(maxInt64Big) <= 0 }

// Format(Parse(x)) == x for every canonical string, and
// Parse(Format(v)) == v for every value.
func TestPropertyFormatParseRoundTrip(t *testing.T) {
	rng := newRand(t)
	for range iterations() {
		v, exp := randAmount(rng), randExp(rng)
		s := FormatAmount(v, exp)
		got, err := ParseSignedAmount(s, exp)
		if err != nil || got != v {
			t.Fatalf("ParseSignedAmount(FormatAmount(%d, %d) = %q) = %d, %v", v, exp, s, got, err)
		}
		if v >= 0 {
			if got, err := ParseAmount(s, exp); err != nil || got != v {
				t.Fatalf("ParseAmount(%q, %d) = %d, %v", s, exp, got, err)
			}
		}
		if back := FormatAmount(got, exp); back != s {
			t.Fatalf("FormatAmount(ParseSignedAmount(%q)) = %q", s, back)
		}
	}
	// testing/quick explores a different distribution for free.
	f := func(v int64, e uint8) bool {
		exp := int(e) % (MaxExponent + 1)
		got, err := ParseSignedAmount(FormatAmount(v, exp), exp)
		return err == nil && got == v
	}
	if err := quick.Check(f, &quick.Config{MaxCount: iterations()}); err != nil {
		t.Fatal(err)
	}
}

func TestPropertyRateRoundTrip(t *testing.T) {
	rng := newRand(t)
	for range iterations() {
		r := randRate(rng)
		s := r.String()
		back, err := ParseRate(s)
		if err != nil || back != r {
			t.Fatalf("ParseRate(%q) = %v, %v; want %d/10^%d", s, back, err, r.mant, r.scale)
		}
		if ratOf(back).Cmp(ratOf(r)) != 0 {
			t.Fatalf("value changed for %q", s)
		}
		// Trailing zeros up to the scale limit do not change the rate.
		padded := s
		if !strings.Contains(padded, ".") && r.scale < MaxRateScale {
			padded += "."
		}
		for i := int(r.scale); i < MaxRateScale; i++ {
			padded += "0"
		}
		if p, err := ParseRate(padded); err != nil || p != r {
			t.Fatalf("ParseRate(%q) = %v, %v; want %v", padded, p, err, r)
		}
	}
}

// Convert agrees exactly with a big.Rat reference, including which inputs
// overflow, and RoundDown <= exact <= RoundUp in magnitude.
func TestPropertyConvertMatchesReference(t *testing.T) {
	rng := newRand(t)
	for range iterations() {
		amount, rate := randAmount(rng), randRate(rng)
		from, to := randExp(rng), randExp(rng)
		exact := exactConvert(amount, from, rate, to)
		var results [3]int64
		for i, mode := range modes {
			want := roundRat(exact, mode)
			got, err := Convert(amount, from, rate, to, mode)
			if !fitsInt64(want) {
				if !errors.Is(err, ErrOverflow) {
					t.Fatalf("Convert(%d, %d, %v, %d, %v) = %d, %v; want overflow (exact %s)",
						amount, from, rate, to, mode, got, err, exact.FloatString(6))
				}
				results[i] = 0
				continue
			}
			if err != nil || got != want.Int64() {
				t.Fatalf("Convert(%d, %d, %v, %d, %v) = %d, %v; want %s (exact %s)",
					amount, from, rate, to, mode, got, err, want, exact.FloatString(6))
			}
			results[i] = got
			// |result - exact| < 1, and <= 1/2 for RoundHalfEven.
			diff := new(big.Rat).Sub(new(big.Rat).SetInt64(got), exact)
			diff.Abs(diff)
			limit := big.NewRat(1, 1)
			if mode == RoundHalfEven {
				limit = big.NewRat(1, 2)
			}
			if diff.Cmp(limit) > 0 || (mode != RoundHalfEven && diff.Cmp(limit) == 0) {
				t.Fatalf("Convert %v off by %s", mode, diff.FloatString(6))
			}
		}
		down, up := results[0], results[1]
		if _, err := Convert(amount, from, rate, to, RoundUp); err == nil {
			lo, hi := new(big.Rat).SetInt64(down), new(big.Rat).SetInt64(up)
			if amount < 0 {
				lo, hi = hi, lo // toward zero is the upper bound for negatives
			}
			if lo.Cmp(exact) > 0 || exact.Cmp(hi) > 0 {
				t.Fatalf("not %d <= %s <= %d", down, exact.FloatString(6), up)
			}
		}
	}
}

func TestPropertyConvertRateOneIsIdentity(t *testing.T) {
	rng := newRand(t)
	one := mustRate(t, "1")
	for range iterations() {
		amount, exp := randAmount(rng), randExp(rng)
		for _, mode := range modes {
			if got, err := Convert(amount, exp, one, exp, mode); err != nil || got != amount {
				t.Fatalf("Convert(%d, %d, 1, %d, %v) = %d, %v", amount, exp, exp, mode, got, err)
			}
		}
	}
}

func TestPropertyApplyBpsMatchesReference(t *testing.T) {
	rng := newRand(t)
	for range iterations() {
		amount := randAmount(rng)
		bps := rng.Int64N(20_001) - 10_000
		if rng.IntN(10) == 0 {
			bps = randAmount(rng)
		}
		exact := new(big.Rat).SetFrac(
			new(big.Int).Mul(big.NewInt(amount), big.NewInt(bps)), big.NewInt(BpsPerUnit))
		for _, mode := range modes {
			want := roundRat(exact, mode)
			got, err := ApplyBps(amount, bps, mode)
			if !fitsInt64(want) {
				if !errors.Is(err, ErrOverflow) {
					t.Fatalf("ApplyBps(%d, %d, %v) = %d, %v; want overflow", amount, bps, mode, got, err)
				}
				continue
			}
			if err != nil || got != want.Int64() {
				t.Fatalf("ApplyBps(%d, %d, %v) = %d, %v; want %s", amount, bps, mode, got, err, want)
			}
		}
	}
}

// wantRate turns an exact value into the Rate Inverse or Mul must return at
// scale, and false if they must fail.
func wantRate(exact *big.Rat, scale int, mode Rounding) (Rate, bool) {
	m := roundRat(new(big.Rat).Mul(exact, pow10Rat(scale)), mode)
	if m.Sign() == 0 {
		return Rate{}, false
	}
	ten := big.NewInt(10)
	for scale > 0 {
		q, r := new(big.Int).QuoRem(m, ten, new(big.Int))
		if r.Sign() != 0 {
			break
		}
		m, scale = q, scale-1
	}
	if m.Cmp(new(big.Int).SetUint64(pow10[MaxRateDigits])) >= 0 {
		return Rate{}, false
	}
	return Rate{mant: m.Uint64(), scale: uint8(scale)}, true
}

func TestPropertyInverseAndMulMatchReference(t *testing.T) {
	rng := newRand(t)
	for range iterations() {
		a, b := randRate(rng), randRate(rng)
		scale := rng.IntN(MaxRateScale + 1)
		inv := new(big.Rat).Inv(ratOf(a))
		prod := new(big.Rat).Mul(ratOf(a), ratOf(b))
		for _, mode := range modes {
			want, ok := wantRate(inv, scale, mode)
			got, err := a.Inverse(scale, mode)
			if ok != (err == nil) || got != want {
				t.Fatalf("%v.Inverse(%d, %v) = %v, %v; want %v (ok %v)", a, scale, mode, got, err, want, ok)
			}
			want, ok = wantRate(prod, scale, mode)
			got, err = a.Mul(b, scale, mode)
			if ok != (err == nil) || got != want {
				t.Fatalf("%v.Mul(%v, %d, %v) = %v, %v; want %v (ok %v)", a, b, scale, mode, got, err, want, ok)
			}
		}
	}
}

func TestPropertyCheckedArithmetic(t *testing.T) {
	rng := newRand(t)
	xs := make([]int64, 0, 8)
	for range iterations() {
		a, b := randAmount(rng), randAmount(rng)
		ba, bb := big.NewInt(a), big.NewInt(b)
		check := func(name string, got int64, ok bool, want *big.Int) {
			t.Helper()
			if fitsInt64(want) != ok || (ok && got != want.Int64()) || (!ok && got != 0) {
				t.Fatalf("%s(%d, %d) = %d, %v; want %s", name, a, b, got, ok, want)
			}
		}
		got, ok := Add(a, b)
		check("Add", got, ok, new(big.Int).Add(ba, bb))
		got, ok = Sub(a, b)
		check("Sub", got, ok, new(big.Int).Sub(ba, bb))
		small := b >> uint(rng.IntN(64)) // Mul needs small factors to ever succeed
		got, ok = Mul(a, small)
		b, bb = small, big.NewInt(small)
		check("Mul", got, ok, new(big.Int).Mul(ba, bb))

		xs = xs[:0]
		total := new(big.Int)
		for range rng.IntN(8) {
			x := randAmount(rng)
			xs = append(xs, x)
			total.Add(total, big.NewInt(x))
		}
		got, ok = Sum(xs...)
		if fitsInt64(total) != ok || (ok && got != total.Int64()) {
			t.Fatalf("Sum(%v) = %d, %v; want %s", xs, got, ok, total)
		}
	}
}
