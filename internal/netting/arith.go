package netting

import (
	"math"
	"math/bits"
)

// bpsDenom is one whole in basis points.
const bpsDenom = 10000

// mulDivFloor returns floor(x*m/d) using a 128-bit intermediate, so a rate
// with large numerator and denominator never loses precision. ok is false
// when the quotient does not fit in int64. d must be non-zero.
func mulDivFloor(x, m, d uint64) (int64, bool) {
	hi, lo := bits.Mul64(x, m)
	if hi == 0 {
		q := lo / d
		return int64(q), q <= math.MaxInt64
	}
	if hi >= d {
		return 0, false
	}
	q, _ := bits.Div64(hi, lo, d)
	return int64(q), q <= math.MaxInt64
}

// mulDivHalfUp is mulDivFloor rounded to nearest with halves away from
// zero (all operands are non-negative), the rounding used for estimates.
func mulDivHalfUp(x, m, d uint64) (int64, bool) {
	hi, lo := bits.Mul64(x, m)
	if hi >= d {
		return 0, false
	}
	q, r := bits.Div64(hi, lo, d)
	if r >= d-r {
		q++
	}
	return int64(q), q <= math.MaxInt64
}

// bpsOf returns floor(part*10000/whole) for 0 <= part <= whole, 0 when
// whole is 0. Operands are uint64 so that sums of two int64 fit.
func bpsOf(part, whole uint64) int64 {
	if whole == 0 || part == 0 {
		return 0
	}
	hi, lo := bits.Mul64(part, bpsDenom)
	q, _ := bits.Div64(hi, lo, whole) // hi < whole because part <= whole
	return int64(q)
}

// addInt64 adds with an overflow flag.
func addInt64(a, b int64) (int64, bool) {
	s := a + b
	return s, (s > a) == (b > 0)
}

// satAddNonNeg adds two non-negative values, clamping at MaxInt64: a
// capacity beyond int64 is indistinguishable from unlimited.
func satAddNonNeg(a, b int64) int64 {
	if a > math.MaxInt64-b {
		return math.MaxInt64
	}
	return a + b
}

// Credit is what a payment of amount minor units of currency a credits its
// payee in currency b at the table's cycle rate, rounded down exactly as
// Settle credits it. ok is false when the pair has no price or the credit
// does not fit in int64, so a caller can leave such a payment out of the
// cycle instead of letting Settle refuse the whole cycle.
func (t RateTable) Credit(a, b int, amount int64) (int64, bool) {
	if amount <= 0 {
		return 0, false
	}
	if a == b {
		return amount, true
	}
	lo, hi := min(a, b), max(a, b)
	r, err := t.Rate(lo, hi)
	if err != nil || r.Num <= 0 || r.Den <= 0 {
		return 0, false
	}
	m, d := uint64(r.Num), uint64(r.Den)
	if a > b {
		m, d = d, m
	}
	return mulDivFloor(uint64(amount), m, d)
}
