package logistics

import (
	"math"
	"math/big"
	"testing"
)

// One rounding, half to even, at the target's unit; overflow refused.
func TestConvertRoundsOnceHalfEven(t *testing.T) {
	r := func(a, b int64) *big.Rat { return big.NewRat(a, b) }
	for _, c := range []struct {
		x          int64
		from, to   int
		rate       *big.Rat
		want       int64
		wantOK     bool
		whatItSays string
	}{
		{50, 2, 2, r(545, 100), 272, true, "0.50 RUB × 5.45 = 2.725 KZT: 272.5 tiyn, to even 272"},
		{70, 2, 2, r(545, 100), 382, true, "0.70 × 5.45 = 3.815: 381.5 tiyn, to even 382"},
		{10, 2, 2, r(545, 100), 54, true, "0.10 × 5.45 = 0.545: 54.5 tiyn, to even 54"},
		{-50, 2, 2, r(545, 100), -272, true, "negative by magnitude"},
		{1, 0, 0, r(1, 3), 0, true, "a third rounds to 0"},
		{2, 0, 0, r(1, 4), 0, true, "a half rounds to even 0"},
		{6, 0, 0, r(1, 4), 2, true, "1.5 rounds to even 2"},
		{1, 2, 4, r(5052, 10), 50520, true, "0.01 USD in 10^-4 KZT"},
		{math.MaxInt64, 0, 0, r(1000, 1), 0, false, "overflow refused"},
		{math.MaxInt64, 0, 2, r(1, 1), 0, false, "scaling up overflows"},
	} {
		got, ok := convert(c.x, c.from, c.rate, c.to)
		if ok != c.wantOK || ok && got != c.want {
			t.Errorf("convert(%d, %d, %s, %d) = %d, %v; want %d, %v (%s)", c.x, c.from, c.rate, c.to, got, ok, c.want, c.wantOK, c.whatItSays)
		}
	}
}
