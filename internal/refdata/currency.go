package refdata

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"bricstown/internal/problem"
)

// Currency is an ISO 4217 currency in current use. Withdrawn codes are left
// out on purpose: a payment in a withdrawn currency is an input error, not a
// historical curiosity to support.
type Currency struct {
	Code    string `json:"code"`    // alphabetic code, e.g. "KZT"
	Numeric string `json:"numeric"` // three digits with leading zeros, e.g. "398"
	Name    string `json:"name"`    // English name as published by ISO
	// MinorUnits is the number of decimal places amounts are kept in (KZT 2,
	// JPY 0, KWD 3). It is -1 for codes ISO marks "N.A." (gold, SDR, test
	// codes), which have no minor unit and must not be used for money.
	MinorUnits int `json:"minor_units"`
}

// IsMoney reports whether amounts can be booked in the currency. ISO also
// codes precious metals, units of account and test codes; those have no
// minor unit, and letting one through would make every amount ambiguous.
func (c Currency) IsMoney() bool { return c.MinorUnits >= 0 }

func (d *Data) loadCurrencies() error {
	d.currencyIdx = make(map[string]int32, 200)
	err := eachRow("currencies.tsv", currenciesTSV, []string{"code", "numeric", "minor", "name"}, func(f []string) error {
		if !isUpperAlpha(f[0], 3) || !isDigits(f[1], 3) {
			return fmt.Errorf("bad currency codes %q/%q", f[0], f[1])
		}
		minor := -1
		if f[2] != "-" && f[2] != "N.A." {
			n, err := strconv.Atoi(f[2])
			if err != nil || n < 0 || n > 4 {
				return fmt.Errorf("%s: bad minor unit %q", f[0], f[2])
			}
			minor = n
		}
		if _, dup := d.currencyIdx[f[0]]; dup {
			return fmt.Errorf("%s listed twice", f[0])
		}
		d.currencyIdx[f[0]] = int32(len(d.currencies))
		d.currencies = append(d.currencies, Currency{Code: f[0], Numeric: f[1], Name: f[3], MinorUnits: minor})
		return nil
	})
	if err != nil {
		return err
	}
	if !sort.SliceIsSorted(d.currencies, func(i, j int) bool { return d.currencies[i].Code < d.currencies[j].Code }) {
		return fmt.Errorf("currencies.tsv is not sorted by code")
	}
	return nil
}

// Currency finds an active currency by its alphabetic code, in either case,
// because codes arrive from forms and files typed by people.
func (d *Data) Currency(code string) (Currency, bool) {
	i, ok := d.currencyIdx[strings.ToUpper(strings.TrimSpace(code))]
	if !ok {
		return Currency{}, false
	}
	return d.currencies[i], true
}

// LookupCurrency is Currency for request handlers: it says whether the code
// is malformed (problem.Invalid) or simply unknown or withdrawn
// (problem.NotFound), so the client gets the right message.
func (d *Data) LookupCurrency(code string) (Currency, error) {
	c := strings.ToUpper(strings.TrimSpace(code))
	if !isUpperAlpha(c, 3) {
		return Currency{}, problem.New(problem.Invalid, "currency code must be three letters, got %q", code)
	}
	cur, ok := d.Currency(c)
	if !ok {
		return Currency{}, problem.New(problem.NotFound, "no active ISO 4217 currency %q", c)
	}
	return cur, nil
}

// Currencies returns every active currency sorted by code, for pick lists.
// The slice is a fresh copy the caller may modify.
func (d *Data) Currencies() []Currency {
	return append([]Currency(nil), d.currencies...)
}

func isUpperAlpha(s string, n int) bool {
	if len(s) != n {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < 'A' || s[i] > 'Z' {
			return false
		}
	}
	return true
}

func isDigits(s string, n int) bool {
	if len(s) != n {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// MoneyExponent is the minor-unit exponent of a currency that can hold
// money, in the shape the ledger and FX services take it.
func (d *Data) MoneyExponent(code string) (int, bool) {
	c, ok := d.Currency(code)
	return c.MinorUnits, ok && c.IsMoney()
}
