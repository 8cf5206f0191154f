package fx

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math/big"
	"strconv"
	"strings"
	"time"

	"bricstown/internal/money"
	"bricstown/internal/problem"
)

// KZT is the currency every reference rate is written against: the town's
// official rates are the National Bank of Kazakhstan's, which lists each
// currency in tenge.
const KZT = "KZT"

// DefaultBandBps is how far (in basis points of the reference mid) a bank's
// bid or ask may sit from the official rate: 10%. Wide enough for any real
// spread in the town's currencies, narrow enough that a price of 0.000001
// for a currency worth 70 tenge is refused.
const DefaultBandBps = 1000

// ReferenceRate is the official rate of one currency on one date: Units of
// Currency cost KZT tenge (the NBK lists, for example, 100 units of RUB or
// 1 unit of CNY). The platform, not a bank, publishes it, so no single bank
// can set the rate at which customs values goods or a settlement cycle
// checks prices.
type ReferenceRate struct {
	Date     string     `json:"date"` // YYYY-MM-DD
	Currency string     `json:"currency"`
	Units    int64      `json:"units"` // 1, 10, 100, ... units of Currency
	KZT      money.Rate `json:"rate"`  // tenge for Units of Currency
	// Source says where the figure comes from ("National Bank of
	// Kazakhstan, official rates", or a demo table's label), so that a
	// reader can check it.
	Source      string    `json:"source"`
	Publisher   string    `json:"publisher_org"`
	PublishedBy string    `json:"published_by"`
	PublishedAt time.Time `json:"published_at"`
}

// PerUnit is the exact tenge price of one unit of the currency.
func (r ReferenceRate) PerUnit() *big.Rat {
	x := ratOf(r.KZT)
	return x.Quo(x, new(big.Rat).SetInt64(r.Units))
}

// PerUnitRate is PerUnit as a decimal rate (exact: Units is a power of ten).
func (r ReferenceRate) PerUnitRate() (money.Rate, error) {
	if x := RateOfRat(r.PerUnit()); !x.IsZero() {
		return x, nil
	}
	return money.Rate{}, fmt.Errorf("fx: reference %s %s is too small per unit", r.Currency, r.Date)
}

// NewReferenceTable is one publication: a date's rates from one source.
type NewReferenceTable struct {
	Date   string             `json:"date"`
	Source string             `json:"source"`
	Rates  []NewReferenceRate `json:"rates"`
}

// NewReferenceRate is one line of a publication; the rate is a string so
// that a bad one is reported against its own field.
type NewReferenceRate struct {
	Currency string `json:"currency"`
	Units    int64  `json:"units"`
	Rate     string `json:"rate"`
}

// MaxReferenceRows bounds one publication (the NBK lists about 40
// currencies a day; a CSV file may carry a few years of them).
const MaxReferenceRows = 20000

// Validate checks a publication and returns its rows, without publisher.
// Every bad field is reported at once, named like "rates[2].rate".
func (in NewReferenceTable) Validate() ([]ReferenceRate, error) {
	f := problem.Fields{}
	date, err := parseDate(in.Date)
	if err != nil {
		f.Add("date", err.Error())
	}
	source := strings.TrimSpace(in.Source)
	switch {
	case source == "":
		f.Add("source", "say where the rates come from, e.g. National Bank of Kazakhstan, official rates")
	case len(source) > 200:
		f.Add("source", "at most 200 characters")
	}
	switch {
	case len(in.Rates) == 0:
		f.Add("rates", "list at least one currency")
	case len(in.Rates) > MaxReferenceRows:
		f.Addf("rates", "at most %d rates in one publication", MaxReferenceRows)
	}
	seen := map[string]bool{}
	out := make([]ReferenceRate, 0, len(in.Rates))
	for i, nr := range in.Rates {
		r, errs := nr.check()
		for field, msg := range errs {
			f.Add(fmt.Sprintf("rates[%d].%s", i, field), msg)
		}
		if errs == nil {
			if seen[r.Currency] {
				f.Add(fmt.Sprintf("rates[%d].currency", i), r.Currency+" is listed twice")
			}
			seen[r.Currency] = true
		}
		r.Date, r.Source = date, source
		out = append(out, r)
	}
	if err := f.Err("the reference rates are not valid"); err != nil {
		return nil, err
	}
	return out, nil
}

func (nr NewReferenceRate) check() (ReferenceRate, map[string]string) {
	errs := map[string]string{}
	r := ReferenceRate{Currency: strings.ToUpper(strings.TrimSpace(nr.Currency)), Units: nr.Units}
	if r.Currency == KZT {
		errs["currency"] = "reference rates are prices in KZT; KZT itself needs none"
	} else if _, err := lookupMoney(r.Currency); err != nil {
		errs["currency"] = messageOf(err)
	}
	if !powerOfTen(r.Units) {
		errs["units"] = "must be 1, 10, 100, 1000, 10000, 100000 or 1000000"
	}
	var err error
	if r.KZT, err = money.ParseRate(strings.TrimSpace(nr.Rate)); err != nil {
		errs["rate"] = messageOf(err)
	}
	if len(errs) == 0 {
		return r, nil
	}
	return r, errs
}

func powerOfTen(n int64) bool {
	for p := int64(1); p <= 1_000_000; p *= 10 {
		if n == p {
			return true
		}
	}
	return false
}

// parseDate reads YYYY-MM-DD and returns it canonical.
func parseDate(s string) (string, error) {
	d, err := time.Parse(time.DateOnly, strings.TrimSpace(s))
	if err != nil {
		return "", errors.New("must be a date written YYYY-MM-DD")
	}
	return d.Format(time.DateOnly), nil
}

// ParseReferenceCSV reads a file of reference rates with the header
// date,currency,units,rate,source (the NBK's daily table saved as CSV, one
// line per currency and date). It returns one publication per date, in
// file order, or an Invalid error naming each bad line ("line 7.rate").
func ParseReferenceCSV(r io.Reader) ([]NewReferenceTable, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = 5
	cr.TrimLeadingSpace = true
	head, err := cr.Read()
	if err != nil {
		return nil, &problem.Error{Code: problem.Invalid, Message: "the file is not a reference rate CSV",
			Fields: map[string]string{"file": "expected the header date,currency,units,rate,source"}}
	}
	want := []string{"date", "currency", "units", "rate", "source"}
	for i, h := range head {
		if strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff"))) != want[i] {
			return nil, &problem.Error{Code: problem.Invalid, Message: "the file is not a reference rate CSV",
				Fields: map[string]string{"file": "expected the header date,currency,units,rate,source"}}
		}
	}
	f := problem.Fields{}
	var tables []NewReferenceTable
	at := map[string]int{} // date|source → index in tables
	rows := 0
	for line := 2; ; line++ {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			f.Addf(fmt.Sprintf("line %d", line), "not valid CSV: %v", err)
			break
		}
		if rows++; rows > MaxReferenceRows {
			f.Addf("file", "at most %d rates in one file", MaxReferenceRows)
			break
		}
		date, err := parseDate(rec[0])
		if err != nil {
			f.Add(fmt.Sprintf("line %d.date", line), err.Error())
			continue
		}
		units, err := strconv.ParseInt(strings.TrimSpace(rec[2]), 10, 64)
		if err != nil {
			f.Add(fmt.Sprintf("line %d.units", line), "must be a whole number")
			continue
		}
		nr := NewReferenceRate{Currency: rec[1], Units: units, Rate: rec[3]}
		if _, errs := nr.check(); errs != nil {
			for field, msg := range errs {
				f.Add(fmt.Sprintf("line %d.%s", line, field), msg)
			}
			continue
		}
		key := date + "|" + strings.TrimSpace(rec[4])
		i, ok := at[key]
		if !ok {
			i = len(tables)
			at[key] = i
			tables = append(tables, NewReferenceTable{Date: date, Source: strings.TrimSpace(rec[4])})
		}
		tables[i].Rates = append(tables[i].Rates, nr)
	}
	if len(tables) == 0 {
		f.Add("file", "no rates in the file")
	}
	if err := f.Err("the reference rate file is not valid"); err != nil {
		return nil, err
	}
	return tables, nil
}

// ReferenceSet is the reference rate of each currency that a date uses:
// for each currency, the newest publication on or before the date.
type ReferenceSet map[string]ReferenceRate

// Mid is the reference price of one pair.Base in pair.Quote, from the two
// currencies' tenge prices; ok is false when either has no reference.
// Date is the older of the two publications used.
func (s ReferenceSet) Mid(p Pair) (mid *big.Rat, date string, ok bool) {
	perUnit := func(c string) (*big.Rat, string, bool) {
		if c == KZT {
			return big.NewRat(1, 1), "", true
		}
		r, ok := s[c]
		if !ok {
			return nil, "", false
		}
		return r.PerUnit(), r.Date, true
	}
	b, db, okB := perUnit(p.Base)
	q, dq, okQ := perUnit(p.Quote)
	if !okB || !okQ {
		return nil, "", false
	}
	date = db
	if date == "" || (dq != "" && dq < date) {
		date = dq
	}
	return new(big.Rat).Quo(b, q), date, true
}

// WithinBand reports whether x lies within bandBps basis points of mid.
func WithinBand(x, mid *big.Rat, bandBps int64) bool {
	d := new(big.Rat).Sub(x, mid)
	d.Abs(d)
	lim := new(big.Rat).Mul(mid, big.NewRat(bandBps, 10000))
	return d.Cmp(lim) <= 0
}

// Band is the interval [mid − band, mid + band].
func Band(mid *big.Rat, bandBps int64) (lo, hi *big.Rat) {
	w := new(big.Rat).Mul(mid, big.NewRat(bandBps, 10000))
	return new(big.Rat).Sub(mid, w), new(big.Rat).Add(mid, w)
}

// RatOf is a rate as an exact fraction.
func RatOf(r money.Rate) *big.Rat { return ratOf(r) }

// RateOfRat is the money.Rate nearest to a positive exact value (half
// even, at most 12 decimals and 18 digits); the zero Rate if x rounds to
// zero.
func RateOfRat(x *big.Rat) money.Rate { return rateFromRat(x, money.RoundHalfEven) }

// percentOfBps writes basis points as a percentage, "10" or "2.5".
func percentOfBps(bps int64) string {
	s := fmt.Sprintf("%d.%02d", bps/100, bps%100)
	s = strings.TrimRight(s, "0")
	return strings.TrimSuffix(s, ".")
}
