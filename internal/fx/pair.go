package fx

import (
	"strings"

	"bricstown/internal/problem"
	"bricstown/internal/refdata"
)

// Pair is a currency pair in the listing a price is written in: a price on
// KZT/CNY is the price of one KZT in CNY. The listing matters for reading
// bid and ask; Market gives the listing-free identity of the pair.
type Pair struct {
	Base  string
	Quote string
}

// ParsePair reads "KZT/CNY" (also "kzt/cny", "KZT-CNY" or "KZTCNY"),
// because banks and spreadsheets write pairs all of these ways. Both codes
// must be active ISO 4217 currencies that carry amounts, and different.
// The error message names neither the field nor the input, like money's.
func ParsePair(s string) (Pair, error) {
	t := strings.ToUpper(strings.TrimSpace(s))
	var p Pair
	if i := strings.IndexAny(t, "/-"); i >= 0 {
		p = Pair{Base: t[:i], Quote: t[i+1:]}
	} else if len(t) == 6 {
		p = Pair{Base: t[:3], Quote: t[3:]}
	} else {
		return Pair{}, problem.New(problem.Invalid, "pair must be written BASE/QUOTE, as in KZT/CNY")
	}
	for _, c := range []string{p.Base, p.Quote} {
		if _, err := lookupMoney(c); err != nil {
			return Pair{}, err
		}
	}
	if p.Base == p.Quote {
		return Pair{}, problem.New(problem.Invalid, "pair needs two different currencies")
	}
	return p, nil
}

// lookupMoney finds a currency that amounts can be booked in.
func lookupMoney(code string) (refdata.Currency, error) {
	c, err := refdata.Default().LookupCurrency(code)
	if err != nil {
		return c, problem.New(problem.Invalid, "%s is not an active ISO 4217 currency", code)
	}
	if !c.IsMoney() {
		return c, problem.New(problem.Invalid, "%s has no minor unit and cannot be converted", c.Code)
	}
	return c, nil
}

// exponent is the minor-unit exponent of a money currency; ok is false for
// codes that are unknown or carry no amounts.
func exponent(code string) (int, bool) {
	c, ok := refdata.Default().Currency(code)
	if !ok || !c.IsMoney() {
		return 0, false
	}
	return c.MinorUnits, true
}

// String is the listing as people write it, "KZT/CNY".
func (p Pair) String() string { return p.Base + "/" + p.Quote }

// Market is the pair with its codes in alphabetical order. KZT/CNY and
// CNY/KZT are one market: a provider has one current price per market,
// whichever way it lists it, and history is kept per market.
func (p Pair) Market() Pair {
	if p.Quote < p.Base {
		return p.Inverse()
	}
	return p
}

// Inverse is the other listing of the same market.
func (p Pair) Inverse() Pair { return Pair{Base: p.Quote, Quote: p.Base} }

// Has reports whether code is one side of the pair.
func (p Pair) Has(code string) bool { return p.Base == code || p.Quote == code }

// MarshalText writes "KZT/CNY", so JSON and storage use the familiar form.
func (p Pair) MarshalText() ([]byte, error) { return []byte(p.String()), nil }

// UnmarshalText applies ParsePair, so a pair from JSON is checked like any other.
func (p *Pair) UnmarshalText(b []byte) error {
	v, err := ParsePair(string(b))
	if err != nil {
		return err
	}
	*p = v
	return nil
}
