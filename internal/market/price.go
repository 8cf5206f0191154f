package market

import (
	"math"
	"math/big"
	"sort"

	"bricstown/internal/fx"
)

// Indicative prices: a buyer sees every price in its own currency at the
// town's official reference rates (fx.ReferenceSet: the National Bank of
// Kazakhstan's tenge rates, crossed through KZT), never at a bank's quote.
// The conversion is exact: the reference gives each currency's tenge price
// as an exact fraction, the cross rate is the quotient of two of them
// (fx.ReferenceSet.Mid), and the amount in minor units is multiplied by
// that fraction and rounded once, half to even, to the buyer currency's
// minor unit (the rule for valuation in money.ROUNDING.md). Nothing is
// charged at this price: an order converts through the ledger when it is
// paid.

// Converter turns amounts of the town's currencies into one buyer
// currency at one reference set.
type Converter struct {
	To      string
	toExp   int
	factors map[string]*big.Rat // currency → minor units of To per minor unit
	Date    string              // the oldest reference date used
}

// NewConverter prepares conversions into currency to (exponent toExp);
// exponent gives the other currencies' exponents.
func NewConverter(refs fx.ReferenceSet, to string, toExp int, exponent func(string) (int, bool)) *Converter {
	c := &Converter{To: to, toExp: toExp, factors: map[string]*big.Rat{}}
	ccys := []string{fx.KZT, to}
	for k := range refs {
		ccys = append(ccys, k)
	}
	sort.Strings(ccys)
	for _, ccy := range ccys {
		if _, done := c.factors[ccy]; done {
			continue
		}
		exp, ok := exponent(ccy)
		if !ok {
			continue
		}
		if ccy == to {
			c.factors[ccy] = big.NewRat(1, 1)
			continue
		}
		mid, date, ok := refs.Mid(fx.Pair{Base: ccy, Quote: to})
		if !ok {
			continue
		}
		if date != "" && (c.Date == "" || date < c.Date) {
			c.Date = date
		}
		f := new(big.Rat).Set(mid)
		f.Mul(f, pow10Rat(toExp-exp))
		c.factors[ccy] = f
	}
	return c
}

func pow10Rat(n int) *big.Rat {
	p := new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(abs(n))), nil)
	if n >= 0 {
		return new(big.Rat).SetInt(p)
	}
	return new(big.Rat).SetFrac(big.NewInt(1), p)
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}

// Convert is amount (minor units of ccy) in minor units of c.To, rounded
// half to even; ok is false without a reference rate for ccy or when the
// result does not fit an int64.
func (c *Converter) Convert(amount int64, ccy string) (int64, bool) {
	f, ok := c.factors[ccy]
	if !ok || amount < 0 {
		return 0, false
	}
	num := new(big.Int).Mul(big.NewInt(amount), f.Num())
	q, r := new(big.Int).QuoRem(num, f.Denom(), new(big.Int))
	switch r.Lsh(r, 1).Cmp(f.Denom()) {
	case 1:
		q.Add(q, big.NewInt(1))
	case 0:
		if q.Bit(0) == 1 {
			q.Add(q, big.NewInt(1))
		}
	}
	if !q.IsInt64() {
		return 0, false
	}
	return q.Int64(), true
}

// Threshold is the smallest amount of ccy (minor units) whose conversion
// is at least target minor units of c.To; ok is false without a rate.
// Conversion is monotone, so "converted price ≥ target" is "price ≥
// Threshold" and a filter or facet in the buyer's currency becomes a
// plain comparison per currency in SQL, with exactly the rounding the
// buyer sees.
func (c *Converter) Threshold(target int64, ccy string) (int64, bool) {
	f, ok := c.factors[ccy]
	if !ok {
		return 0, false
	}
	if target <= 0 {
		return 0, true
	}
	// round(p·a/b) ≥ B  ⇔  2pa > (2B−1)b, or 2pa = (2B−1)b with B even
	// (a tie rounds to the even neighbour).
	a, b := f.Num(), f.Denom()
	n := new(big.Int).Mul(big.NewInt(2*target-1), b)
	d := new(big.Int).Lsh(a, 1)
	q, r := new(big.Int).QuoRem(n, d, new(big.Int))
	if r.Sign() != 0 || target%2 != 0 {
		q.Add(q, big.NewInt(1))
	}
	if !q.IsInt64() {
		return math.MaxInt64, true
	}
	return q.Int64(), true
}

// Currencies lists the currencies c converts from, sorted.
func (c *Converter) Currencies() []string {
	out := make([]string, 0, len(c.factors))
	for k := range c.factors {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// BucketBounds are, per currency of ccys that c converts from, the lower
// bounds (in that currency's minor units) of price buckets
// 1..PriceBuckets-1.
func (c *Converter) BucketBounds(ccys []string) map[string][PriceBuckets - 1]int64 {
	out := map[string][PriceBuckets - 1]int64{}
	unit := int64(1)
	for range c.toExp {
		unit *= 10
	}
	for _, ccy := range ccys {
		if _, ok := c.factors[ccy]; !ok {
			continue
		}
		var bs [PriceBuckets - 1]int64
		for i, whole := range priceBounds {
			bs[i], _ = c.Threshold(whole*unit, ccy)
		}
		out[ccy] = bs
	}
	return out
}

// BucketBound is the lower bound of price bucket i (1..PriceBuckets-1) in
// whole units of the buyer's currency.
func BucketBound(i int) int64 { return priceBounds[i-1] }
