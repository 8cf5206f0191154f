package customs

import (
	_ "embed"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math/bits"
	"strconv"
	"strings"
	"sync"

	"bricstown/internal/money"
)

// Combine says how a tariff row's duty components add up.
type Combine string

// Combination rules. RuleSum is the default: every component is charged.
// RuleHigher charges the largest component, the "X% but not less than Y per
// kg" form of mixed duties.
const (
	RuleSum    Combine = "sum"
	RuleHigher Combine = "higher"
)

// TariffLine is one row of a tariff.
type TariffLine struct {
	Prefix          string  `json:"prefix"` // digits, or "*" for the default row
	AdValoremBps    int64   `json:"ad_valorem_bps"`
	SpecificPerKg   int64   `json:"specific_kzt_per_kg"`   // tiyn per kg of net mass
	SpecificPerUnit int64   `json:"specific_kzt_per_unit"` // tiyn per unit of tariff quantity
	Rule            Combine `json:"rule"`
	Description     string  `json:"description"`
	SourceLine      int     `json:"source_line"`
}

// Tariff maps classification prefixes to duty rates. It is immutable once
// parsed, so one Tariff serves every request concurrently.
type Tariff struct {
	lines []TariffLine
	idx   map[string]int32
	def   int32 // index of the "*" row, -1 without one
}

// Tariff limits: no sane duty exceeds 1000% of value, and specific rates
// are bounded so that rate × quantity stays far inside int64.
const (
	maxAdValoremBps = 100 * money.BpsPerUnit
	maxSpecific     = 1_000_000_000_00 // 1 billion KZT in tiyn
	maxTariffErrors = 20
)

var tariffHeader = []string{"prefix", "ad_valorem_bps", "specific_kzt_per_kg", "specific_kzt_per_unit", "rule", "description"}

// ParseTariffCSV reads a tariff in the format of the embedded demo table
// (tariff_demo.csv): a header row prefix,ad_valorem_bps,specific_kzt_per_kg,
// specific_kzt_per_unit,rule,description, then one row per prefix; lines
// starting with '#' are comments. Every bad row is reported with its line
// number (up to 20), so that a tariff officer fixes a file in one pass.
func ParseTariffCSV(r io.Reader) (*Tariff, error) {
	t := &Tariff{idx: map[string]int32{}, def: -1}
	var errs []error
	fail := func(line int, format string, args ...any) {
		if len(errs) < maxTariffErrors {
			errs = append(errs, fmt.Errorf("line %d: %s", line, fmt.Sprintf(format, args...)))
		}
	}
	err := readCSV(r, tariffHeader, func(line int, f []string) {
		l := TariffLine{Prefix: strings.TrimSpace(f[0]), Description: strings.TrimSpace(f[5]), SourceLine: line}
		bad := false
		if l.Prefix != "*" && !validPrefix(l.Prefix) {
			fail(line, "prefix %q must be 2 to 10 digits or *", f[0])
			bad = true
		}
		num := func(col int, max int64) int64 {
			s := strings.TrimSpace(f[col])
			if s == "" {
				return 0
			}
			v, err := strconv.ParseInt(s, 10, 64)
			if err != nil || v < 0 || v > max {
				fail(line, "%s %q must be a whole number from 0 to %d", tariffHeader[col], f[col], max)
				bad = true
				return 0
			}
			return v
		}
		l.AdValoremBps = num(1, maxAdValoremBps)
		l.SpecificPerKg = num(2, maxSpecific)
		l.SpecificPerUnit = num(3, maxSpecific)
		switch rule := Combine(strings.ToLower(strings.TrimSpace(f[4]))); rule {
		case "", RuleSum:
			l.Rule = RuleSum
		case RuleHigher:
			l.Rule = RuleHigher
			if l.components() < 2 && !bad {
				fail(line, "rule higher needs at least two non-zero components")
				bad = true
			}
		default:
			fail(line, "rule %q must be sum, higher or empty", f[4])
			bad = true
		}
		if bad {
			return
		}
		if prev, dup := t.idx[l.Prefix]; dup {
			fail(line, "prefix %s repeats line %d", l.Prefix, t.lines[prev].SourceLine)
			return
		}
		if l.Prefix == "*" {
			t.def = int32(len(t.lines))
		}
		t.idx[l.Prefix] = int32(len(t.lines))
		t.lines = append(t.lines, l)
	})
	if err != nil {
		errs = append(errs, err)
	}
	if len(errs) == 0 && len(t.lines) == 0 {
		errs = append(errs, errors.New("tariff has no rows"))
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("customs: tariff: %w", errors.Join(errs...))
	}
	return t, nil
}

// readCSV walks a comma-separated table with a fixed header; fn gets the
// 1-based line number of each data row.
func readCSV(r io.Reader, header []string, fn func(line int, f []string)) error {
	cr := csv.NewReader(r)
	cr.Comment = '#'
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	first := true
	for {
		f, err := cr.Read()
		if err == io.EOF {
			if first {
				return errors.New("no header row")
			}
			return nil
		}
		if err != nil {
			return err // csv.ParseError carries the line
		}
		line, _ := cr.FieldPos(0)
		if first {
			first = false
			if len(f) != len(header) {
				return fmt.Errorf("line %d: header must be %s", line, strings.Join(header, ","))
			}
			for i := range header {
				if strings.TrimSpace(strings.TrimPrefix(f[i], "\ufeff")) != header[i] {
					return fmt.Errorf("line %d: column %d is %q, want %q", line, i+1, f[i], header[i])
				}
			}
			continue
		}
		if len(f) != len(header) {
			return fmt.Errorf("line %d: want %d fields, got %d", line, len(header), len(f))
		}
		fn(line, f)
	}
}

func validPrefix(p string) bool {
	if len(p) < 2 || len(p) > 10 {
		return false
	}
	for i := 0; i < len(p); i++ {
		if p[i] < '0' || p[i] > '9' {
			return false
		}
	}
	return true
}

func (l TariffLine) components() int {
	n := 0
	for _, v := range []int64{l.AdValoremBps, l.SpecificPerKg, l.SpecificPerUnit} {
		if v != 0 {
			n++
		}
	}
	return n
}

// Lookup finds the row for a classification code (digits): the longest
// prefix, else the "*" row. ok is false when neither exists.
func (t *Tariff) Lookup(code string) (TariffLine, bool) {
	for n := min(len(code), 10); n >= 2; n-- {
		if i, ok := t.idx[code[:n]]; ok {
			return t.lines[i], true
		}
	}
	if t.def >= 0 {
		return t.lines[t.def], true
	}
	return TariffLine{}, false
}

// Lines returns the rows in file order, as a copy.
func (t *Tariff) Lines() []TariffLine { return append([]TariffLine(nil), t.lines...) }

// Duty computes the line's duty in tiyn for a customs value in tiyn, a net
// mass in grams and a quantity in the tariff unit. Each component is
// computed exactly and rounded half-even to the tiyn once; RuleHigher takes
// the largest rounded component, RuleSum adds them. basis names what was
// charged.
func (l TariffLine) Duty(valueKZT, netGrams, quantity int64) (duty int64, basis string, err error) {
	type comp struct {
		name string
		v    int64
	}
	var cs [3]comp
	n := 0
	if l.AdValoremBps != 0 {
		v, err := money.ApplyBps(valueKZT, l.AdValoremBps, money.RoundHalfEven)
		if err != nil {
			return 0, "", err
		}
		cs[n] = comp{"ad_valorem", v}
		n++
	}
	if l.SpecificPerKg != 0 {
		v, ok := mulDivHalfEven(l.SpecificPerKg, netGrams, 1000)
		if !ok {
			return 0, "", money.ErrOverflow
		}
		cs[n] = comp{"specific_kg", v}
		n++
	}
	if l.SpecificPerUnit != 0 {
		v, ok := money.Mul(l.SpecificPerUnit, quantity)
		if !ok {
			return 0, "", money.ErrOverflow
		}
		cs[n] = comp{"specific_unit", v}
		n++
	}
	switch {
	case n == 0:
		return 0, "none", nil
	case n == 1:
		return cs[0].v, cs[0].name, nil
	case l.Rule == RuleHigher:
		best := cs[0]
		for _, c := range cs[1:n] {
			if c.v > best.v {
				best = c
			}
		}
		return best.v, best.name, nil
	}
	var sum int64
	for _, c := range cs[:n] {
		var ok bool
		if sum, ok = money.Add(sum, c.v); !ok {
			return 0, "", money.ErrOverflow
		}
	}
	return sum, "sum", nil
}

// mulDivHalfEven is a×b/d rounded half-even, for non-negative a, b and
// positive d, exact in 128 bits; ok is false when the result overflows.
func mulDivHalfEven(a, b, d int64) (int64, bool) {
	if a < 0 || b < 0 || d <= 0 {
		return 0, false
	}
	hi, lo := bits.Mul64(uint64(a), uint64(b))
	if hi >= uint64(d) {
		return 0, false
	}
	q, r := bits.Div64(hi, lo, uint64(d))
	if twice := 2 * r; twice > uint64(d) || twice == uint64(d) && q%2 == 1 {
		q++
	}
	if q > 1<<63-1 {
		return 0, false
	}
	return int64(q), true
}

var (
	//go:embed tariff_demo.csv
	demoTariffCSV string
	//go:embed reference_prices_demo.csv
	demoPricesCSV string

	demoOnce    sync.Once
	demoTariff  *Tariff
	demoPrices  *PriceTable
	demoLoadErr error
)

func loadDemo() {
	demoOnce.Do(func() {
		demoTariff, demoLoadErr = ParseTariffCSV(strings.NewReader(demoTariffCSV))
		if demoLoadErr == nil {
			demoPrices, demoLoadErr = ParsePriceCSV(strings.NewReader(demoPricesCSV))
		}
	})
	if demoLoadErr != nil {
		panic("customs: embedded demo table is broken: " + demoLoadErr.Error())
	}
}

// DemoTariff is the embedded DEMO tariff (tariff_demo.csv): illustrative
// rates for the demo's goods, not an official schedule. It panics if the
// embedded file does not parse, which the package tests rule out.
func DemoTariff() *Tariff { loadDemo(); return demoTariff }

// DemoReferencePrices is the embedded DEMO reference price table for the
// undervaluation rule (reference_prices_demo.csv).
func DemoReferencePrices() *PriceTable { loadDemo(); return demoPrices }

// PriceTable holds reference customs values per kilogram by classification
// prefix, the yardstick for undervaluation.
type PriceTable struct {
	rows map[string]PriceRow
}

// PriceRow is one reference price.
type PriceRow struct {
	Prefix      string `json:"prefix"`
	KZTPerKg    int64  `json:"kzt_per_kg"` // tiyn per kg of net mass
	Description string `json:"description"`
}

var priceHeader = []string{"prefix", "kzt_per_kg", "description"}

// ParsePriceCSV reads a reference price table: prefix,kzt_per_kg,description
// with '#' comments, prices in tiyn per kg; errors carry line numbers.
func ParsePriceCSV(r io.Reader) (*PriceTable, error) {
	t := &PriceTable{rows: map[string]PriceRow{}}
	var errs []error
	err := readCSV(r, priceHeader, func(line int, f []string) {
		p := PriceRow{Prefix: strings.TrimSpace(f[0]), Description: strings.TrimSpace(f[2])}
		v, err := strconv.ParseInt(strings.TrimSpace(f[1]), 10, 64)
		switch {
		case !validPrefix(p.Prefix):
			errs = append(errs, fmt.Errorf("line %d: prefix %q must be 2 to 10 digits", line, f[0]))
		case err != nil || v <= 0 || v > maxSpecific*1000:
			errs = append(errs, fmt.Errorf("line %d: kzt_per_kg %q must be a positive whole number of tiyn", line, f[1]))
		default:
			if _, dup := t.rows[p.Prefix]; dup {
				errs = append(errs, fmt.Errorf("line %d: prefix %s repeats", line, p.Prefix))
				return
			}
			p.KZTPerKg = v
			t.rows[p.Prefix] = p
		}
	})
	if err != nil {
		errs = append(errs, err)
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("customs: reference prices: %w", errors.Join(errs...))
	}
	return t, nil
}

// Lookup finds the reference price by longest prefix.
func (t *PriceTable) Lookup(code string) (PriceRow, bool) {
	if t == nil {
		return PriceRow{}, false
	}
	for n := min(len(code), 10); n >= 2; n-- {
		if p, ok := t.rows[code[:n]]; ok {
			return p, true
		}
	}
	return PriceRow{}, false
}
