package money

import (
	"errors"
	"math/big"
	"math/rand/v2"
	"strings"
	"testing"

	"bricstown/internal/problem"
)

// wantInvalid fails unless err is a *problem.Error with code Invalid whose
// message contains msg.
func wantInvalid(t *testing.T, err error, msg string) {
	t.Helper()
	if err == nil {
		t.Fatalf("got no error, want one containing %q", msg)
	}
	var pe *problem.Error
	if !errors.As(err, &pe) {
		t.Fatalf("error %v is %T, want *problem.Error", err, err)
	}
	if pe.Code != problem.Invalid {
		t.Fatalf("code %q, want %q (%v)", pe.Code, problem.Invalid, err)
	}
	if !strings.Contains(pe.Message, msg) {
		t.Fatalf("message %q does not contain %q", pe.Message, msg)
	}
}

func mustRate(t testing.TB, s string) Rate {
	t.Helper()
	r, err := ParseRate(s)
	if err != nil {
		t.Fatalf("ParseRate(%q): %v", s, err)
	}
	return r
}

// ratOf is the exact value of a Rate, for reference computations.
func ratOf(r Rate) *big.Rat {
	return new(big.Rat).SetFrac(
		new(big.Int).SetUint64(r.mant),
		new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(r.scale)), nil))
}

// roundRat is the slow, obviously correct reference for every rounding in
// the package.
func roundRat(x *big.Rat, mode Rounding) *big.Int {
	num, den := x.Num(), x.Denom() // den > 0
	q, r := new(big.Int).QuoRem(num, den, new(big.Int))
	if r.Sign() == 0 {
		return q
	}
	step := big.NewInt(int64(num.Sign()))
	switch mode {
	case RoundDown:
		return q
	case RoundUp:
		return q.Add(q, step)
	case RoundHalfEven:
		twice := new(big.Int).Abs(r)
		twice.Lsh(twice, 1)
		switch twice.Cmp(den) {
		case 1:
			return q.Add(q, step)
		case 0:
			if q.Bit(0) == 1 {
				return q.Add(q, step)
			}
		}
		return q
	}
	panic("bad mode")
}

func pow10Rat(n int) *big.Rat {
	return new(big.Rat).SetInt(new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(n)), nil))
}

// exactConvert is amount / 10^from × rate × 10^to as an exact fraction.
func exactConvert(amount int64, from int, r Rate, to int) *big.Rat {
	x := new(big.Rat).SetInt64(amount)
	x.Mul(x, ratOf(r))
	x.Mul(x, pow10Rat(to))
	return x.Quo(x, pow10Rat(from))
}

var modes = []Rounding{RoundDown, RoundUp, RoundHalfEven}

// randAmount favours the edges: small values, values near the int64 limits
// and round numbers, where bugs live.
func randAmount(rng *rand.Rand) int64 {
	var v int64
	switch rng.IntN(6) {
	case 0:
		v = rng.Int64N(1000)
	case 1:
		v = rng.Int64N(1_000_000_000)
	case 2:
		v = rng.Int64()
	case 3:
		v = 1<<63 - 1 - rng.Int64N(1000)
	case 4:
		v = int64(pow10[rng.IntN(19)]) * rng.Int64N(10)
	default:
		v = rng.Int64() >> uint(rng.IntN(63)) // every magnitude class
	}
	if rng.IntN(3) == 0 {
		v = -v
		if rng.IntN(50) == 0 {
			v = -1 << 63
		}
	}
	return v
}

// randRate builds a valid Rate of random length and scale.
func randRate(rng *rand.Rand) Rate {
	for {
		digits := 1 + rng.IntN(MaxRateDigits)
		var m uint64
		if rng.IntN(4) == 0 {
			m = pow10[rng.IntN(digits)] // 1, 10, 100…: exact-path cases
		} else {
			m = pow10[digits-1] + rng.Uint64N(pow10[digits]-pow10[digits-1])
		}
		scale := rng.IntN(MaxRateScale + 1)
		r, err := rateFrom(u128{0, m}, scale, "rate")
		if err == nil {
			return r
		}
	}
}

func newRand(t testing.TB) *rand.Rand {
	seed := rand.Uint64()
	t.Logf("seed %d", seed)
	return rand.New(rand.NewPCG(seed, 0x6d6f6e6579))
}
