package fx

import (
	"math"
	"math/big"
	"math/bits"

	"bricstown/internal/money"
	"bricstown/internal/problem"
)

// money offers multiplication by a rate (Convert) but no division by one,
// and the ask side of a pair divides. The helpers here fill that gap with
// the same discipline as money: integers only, one explicit rounding at the
// end, overflow reported. The common case fits in 128 bits; anything larger
// falls back to math/big so that no amount is ever refused for being
// awkward, only for being too large for an int64.

var pow10 = [20]uint64{
	1, 10, 100, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9,
	1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19,
}

// dec is a money.Rate opened up into mantissa and scale (value =
// mant / 10^scale), because money keeps those private and the division and
// comparison below need them.
type dec struct {
	mant  uint64
	scale int
}

// decOf reads the canonical spelling, which money guarantees to be digits
// with at most one point.
func decOf(r money.Rate) dec {
	s := r.String()
	var d dec
	frac := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '.' {
			frac = true
			continue
		}
		d.mant = d.mant*10 + uint64(c-'0')
		if frac {
			d.scale++
		}
	}
	return d
}

// cmpRate orders two rates by value (-1, 0, +1). Both scales are at most
// 12 and mantissas below 10^18, so the cross products fit in 128 bits.
func cmpRate(a, b money.Rate) int {
	x, y := decOf(a), decOf(b)
	s := max(x.scale, y.scale)
	xh, xl := bits.Mul64(x.mant, pow10[s-x.scale])
	yh, yl := bits.Mul64(y.mant, pow10[s-y.scale])
	switch {
	case xh < yh || xh == yh && xl < yl:
		return -1
	case xh == yh && xl == yl:
		return 0
	default:
		return 1
	}
}

func overflowErr(what string) error {
	return problem.Wrap(problem.Invalid, money.ErrOverflow, "%s is too large", what)
}

// roundQR applies mode to the quotient q with remainder r of a division by
// d. ok is false if rounding up leaves the int64 range.
func roundQR(q, r, d uint64, mode money.Rounding) (uint64, bool) {
	if r != 0 {
		up := false
		switch mode {
		case money.RoundUp:
			up = true
		case money.RoundHalfEven:
			rest := d - r
			up = r > rest || r == rest && q&1 == 1
		}
		if up {
			q++
		}
	}
	return q, q <= math.MaxInt64
}

// divRate returns amount / rate, moved from the fromExp minor unit to the
// toExp minor unit and rounded once by mode: the value in base currency of
// an amount of quote currency at a BASE/QUOTE price. amount must not be
// negative.
func divRate(amount money.Amount, fromExp int, rate dec, toExp int, mode money.Rounding) (money.Amount, error) {
	if amount < 0 {
		return 0, problem.New(problem.Internal, "fx: divRate of a negative amount")
	}
	// amount/10^fromExp ÷ (mant/10^scale) × 10^toExp = amount × 10^k / mant.
	k := toExp + rate.scale - fromExp
	if k >= 0 && k < len(pow10) {
		hi, lo := bits.Mul64(uint64(amount), pow10[k])
		if hi < rate.mant {
			q, r := bits.Div64(hi, lo, rate.mant)
			if v, ok := roundQR(q, r, rate.mant, mode); ok {
				return int64(v), nil
			}
			return 0, overflowErr("converted amount")
		}
	}
	num := new(big.Int).SetInt64(amount)
	den := new(big.Int).SetUint64(rate.mant)
	if k >= 0 {
		num.Mul(num, pow10Big(k))
	} else {
		den.Mul(den, pow10Big(-k))
	}
	v, ok := toInt64(roundBig(num, den, mode))
	if !ok {
		return 0, overflowErr("converted amount")
	}
	return v, nil
}

// grossFor is the smallest gross amount g whose net after a fee of
// ceil(g × bps / 10000) (the fee is charged RoundUp) is at least net.
// g - ceil(g×b/N) = floor(g×(N-b)/N), so g = ceil(net × N / (N-b)).
func grossFor(net money.Amount, bps int64) (money.Amount, error) {
	if bps == 0 {
		return net, nil
	}
	d := uint64(money.BpsPerUnit - bps)
	hi, lo := bits.Mul64(uint64(net), money.BpsPerUnit)
	if hi >= d {
		return 0, overflowErr("amount with fee")
	}
	q, r := bits.Div64(hi, lo, d)
	v, ok := roundQR(q, r, d, money.RoundUp)
	if !ok {
		return 0, overflowErr("amount with fee")
	}
	return int64(v), nil
}

func pow10Big(n int) *big.Int {
	return new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(n)), nil)
}

// roundBig returns num/den rounded by mode, acting on the magnitude as money
// does for negative amounts. den must be positive.
func roundBig(num, den *big.Int, mode money.Rounding) *big.Int {
	q, r := new(big.Int).QuoRem(num, den, new(big.Int)) // truncates toward zero
	if r.Sign() == 0 {
		return q
	}
	away := false
	switch mode {
	case money.RoundUp:
		away = true
	case money.RoundHalfEven:
		twice := new(big.Int).Abs(r)
		twice.Lsh(twice, 1)
		switch twice.Cmp(den) {
		case 1:
			away = true
		case 0:
			away = q.Bit(0) == 1
		}
	}
	if away {
		if num.Sign() < 0 {
			q.Sub(q, big.NewInt(1))
		} else {
			q.Add(q, big.NewInt(1))
		}
	}
	return q
}

// roundRat rounds an exact rational to an integer by mode.
func roundRat(x *big.Rat, mode money.Rounding) *big.Int {
	return roundBig(x.Num(), x.Denom(), mode)
}

func toInt64(b *big.Int) (int64, bool) {
	if !b.IsInt64() {
		return 0, false
	}
	return b.Int64(), true
}

// ratOf is the exact value of a rate.
func ratOf(r money.Rate) *big.Rat {
	d := decOf(r)
	return new(big.Rat).SetFrac(new(big.Int).SetUint64(d.mant), pow10Big(d.scale))
}

// rateFromRat expresses a positive exact ratio as a money.Rate with as many
// decimals as money allows (at most 12 and 18 significant digits), rounded
// by mode. It answers the zero Rate if the value rounds to zero there.
func rateFromRat(x *big.Rat, mode money.Rounding) money.Rate {
	limit := pow10Big(money.MaxRateDigits)
	for scale := money.MaxRateScale; scale >= 0; scale-- {
		m := roundBig(new(big.Int).Mul(x.Num(), pow10Big(scale)), x.Denom(), mode)
		if m.Sign() <= 0 {
			return money.Rate{}
		}
		if m.Cmp(limit) >= 0 {
			continue
		}
		r, err := money.ParseRate(formatScaled(m, scale))
		if err != nil {
			return money.Rate{}
		}
		return r
	}
	return money.Rate{}
}

// formatScaled writes m/10^scale as a plain decimal for ParseRate.
func formatScaled(m *big.Int, scale int) string {
	s := m.String()
	if scale == 0 {
		return s
	}
	for len(s) <= scale {
		s = "0" + s
	}
	return s[:len(s)-scale] + "." + s[len(s)-scale:]
}

// ratOfInts is (a × 10^aExp) / (b × 10^bExp) exactly; b must not be zero.
func ratOfInts(a money.Amount, aExp int, b money.Amount, bExp int) *big.Rat {
	num := new(big.Int).Mul(big.NewInt(a), pow10Big(aExp))
	den := new(big.Int).Mul(big.NewInt(b), pow10Big(bExp))
	return new(big.Rat).SetFrac(num, den)
}
