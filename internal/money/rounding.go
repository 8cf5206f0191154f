package money

import "math/bits"

// Rounding says which way an inexact result goes. It exists as an argument
// on every lossy operation because the right direction depends on who is
// on the other side of the money (see ROUNDING.md), and that is known only
// at the call site.
//
// The zero value is not a valid mode, and operations given it return an
// error. A forgotten mode is caught in tests, not settled silently in
// someone's favour.
type Rounding uint8

const (
	// RoundDown truncates toward zero. Use it for what a customer RECEIVES,
	// so that the platform never pays out more than the exact value it holds.
	RoundDown Rounding = iota + 1
	// RoundUp rounds away from zero. Use it for what a customer PAYS, so that
	// the platform never collects less than the exact value it owes onward.
	RoundUp
	// RoundHalfEven rounds to nearest, with ties to the even neighbour
	// (banker's rounding). Use it for reporting and valuation, where the two
	// directed modes would add a bias across many rows and this one does not.
	RoundHalfEven
)

// String names the mode in logs and test failures.
func (m Rounding) String() string {
	switch m {
	case RoundDown:
		return "RoundDown"
	case RoundUp:
		return "RoundUp"
	case RoundHalfEven:
		return "RoundHalfEven"
	default:
		return "Rounding(invalid)"
	}
}

func (m Rounding) check() error {
	if m < RoundDown || m > RoundHalfEven {
		return invalid("rounding mode is not set")
	}
	return nil
}

// pow10 holds every power of ten that fits in a uint64.
var pow10 = [20]uint64{
	1, 10, 100, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9,
	1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19,
}

func addCarry(a, b uint64) (sum, carry uint64) { return bits.Add64(a, b, 0) }

// u128 is an unsigned 128-bit integer: wide enough for the product of any
// two int64 magnitudes, so the hot paths need no math/big.
type u128 struct{ hi, lo uint64 }

func mul64(a, b uint64) u128 {
	hi, lo := bits.Mul64(a, b)
	return u128{hi, lo}
}

func (x u128) isZero() bool { return x.hi == 0 && x.lo == 0 }

// mul returns x*m and false if the product needs more than 128 bits.
func (x u128) mul(m uint64) (u128, bool) {
	hh, hl := bits.Mul64(x.hi, m)
	if hh != 0 {
		return u128{}, false
	}
	lh, ll := bits.Mul64(x.lo, m)
	hi, carry := bits.Add64(hl, lh, 0)
	if carry != 0 {
		return u128{}, false
	}
	return u128{hi, ll}, true
}

// divmod returns x/d and x%d; d must not be zero.
func (x u128) divmod(d uint64) (q u128, r uint64) {
	q.hi, r = x.hi/d, x.hi%d
	q.lo, r = bits.Div64(r, x.lo, d)
	return q, r
}

func (x u128) inc() (u128, bool) {
	lo, c := bits.Add64(x.lo, 1, 0)
	hi, c2 := bits.Add64(x.hi, 0, c)
	return u128{hi, lo}, c2 == 0
}

// pow10u128 returns 10^n for 0 <= n <= 38.
func pow10u128(n int) u128 {
	if n < len(pow10) {
		return u128{0, pow10[n]}
	}
	v, _ := u128{0, pow10[19]}.mul(pow10[n-19])
	return v
}

// divRound returns x/d rounded by mode, for a non-negative quotient.
// sticky says that x was itself already truncated from a larger value (a
// non-zero remainder was dropped earlier). That only matters when d >= 2
// and the true divisor was d times a power of ten. ok is false if rounding
// up overflows 128 bits.
func divRound(x u128, d uint64, sticky bool, mode Rounding) (u128, bool) {
	q, r := x.divmod(d)
	if r == 0 && !sticky {
		return q, true
	}
	up := false
	switch mode {
	case RoundUp:
		up = true
	case RoundHalfEven:
		// Compare r with d-r, not 2r with d, so that nothing can overflow.
		// A tie counts as above half when dropped digits were non-zero.
		switch rest := d - r; {
		case r > rest:
			up = true
		case r == rest:
			up = sticky || q.lo&1 == 1
		}
	}
	if !up {
		return q, true
	}
	return q.inc()
}

// divPow10Round returns x/10^k rounded by mode, for 0 <= k <= 38. A divisor
// above 10^19 does not fit in a word, so it divides in steps and remembers
// in sticky whether the dropped digits were all zero. The last step always
// divides by at least 10, which is even, so the half-way test stays exact.
func divPow10Round(x u128, k int, mode Rounding) (u128, bool) {
	if k == 0 {
		return x, true
	}
	sticky := false
	for k > 19 {
		var r uint64
		x, r = x.divmod(pow10[19])
		sticky = sticky || r != 0
		k -= 19
	}
	return divRound(x, pow10[k], sticky, mode)
}

// magnitude splits v into sign and absolute value; |MinInt64| fits in uint64.
func magnitude(v int64) (neg bool, mag uint64) {
	if v < 0 {
		return true, -uint64(v)
	}
	return false, uint64(v)
}

// toInt64 applies a sign to a 128-bit magnitude if the result fits.
func toInt64(neg bool, q u128) (int64, bool) {
	if q.hi != 0 {
		return 0, false
	}
	if neg {
		if q.lo > 1<<63 {
			return 0, false
		}
		return int64(-q.lo), true
	}
	if q.lo > 1<<63-1 {
		return 0, false
	}
	return int64(q.lo), true
}
