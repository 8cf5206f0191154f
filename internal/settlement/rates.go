package settlement

import (
	"context"
	"math/big"
	"sort"
	"sync"

	"bricstown/internal/fx"
	"bricstown/internal/money"
)

// How a cycle rate was chosen (RateSource.Method).
const (
	RateMedian      = "median"       // median of the mids of N quoting banks within the band
	RateSingleQuote = "single_quote" // one bank's mid, within the band of the reference
	RateReference   = "reference"    // the official reference: no quote within its band
	RateUnchecked   = "unchecked"    // quotes with nothing to check them against (no reference, no USD table)
	RateUSDCross    = "usd_cross"    // no usable quote and no reference: the configured USD mids
)

// RateSource says where a cycle's rate for a pair came from, for the cycle
// report: the rate, how it was chosen, which banks' quotes it used and which
// it set aside, and the reference date it was checked against.
type RateSource struct {
	A             string     `json:"a"`
	B             string     `json:"b"`
	Rate          money.Rate `json:"rate"` // price of one A in B
	Method        string     `json:"method"`
	Quotes        int        `json:"quotes"`                   // quotes the rate is the median of
	Banks         []string   `json:"banks,omitempty"`          // providers of those quotes
	Outliers      []string   `json:"outliers,omitempty"`       // providers whose mid lay outside the band
	ReferenceDate string     `json:"reference_date,omitempty"` // the reference the band was drawn around
	ReferenceMid  money.Rate `json:"reference_mid,omitzero"`
	BandBps       int64      `json:"band_bps,omitempty"`

	exact *big.Rat // the chosen value before rounding, so both listings round from it
}

// RateBook is a cycle's prices, one per pair, and where each came from.
type RateBook struct {
	mu       sync.Mutex              // guards byMarket: pages and valuations share one book
	byMarket map[fx.Pair]*RateSource // keyed by the market (alphabetical) listing
	ref      fx.ReferenceSet
	usd      fx.USDConfig
	band     int64
	quotes   map[fx.Pair][]quoteMid
}

type quoteMid struct {
	bank string
	mid  *big.Rat // in the market listing
}

// NewRateBook prices a cycle so that no single bank can set a rate: for
// each pair, the mids of the banks' current quotes are compared with the
// official reference mid (ref, per currency against KZT) and only those
// within bandBps of it count; the rate is their median. With no quote in
// the band, the reference itself is used. Without a reference for the
// pair, the configured USD cross is the yardstick; without either, the
// banks' mids are checked against their own median (a lone quote, or two
// that disagree, cannot be checked and is used as is, flagged "unchecked",
// which only arises where the operator published no reference at all).
// One price per pair for the whole cycle, because the two directions of a
// pair can only net against each other at one price.
func NewRateBook(board []fx.Rate, ref fx.ReferenceSet, usd fx.USDConfig, bandBps int64) *RateBook {
	if bandBps <= 0 {
		bandBps = fx.DefaultBandBps
	}
	b := &RateBook{byMarket: map[fx.Pair]*RateSource{}, ref: ref, usd: usd, band: bandBps, quotes: map[fx.Pair][]quoteMid{}}
	for _, r := range board {
		mid := new(big.Rat).Add(fx.RatOf(r.Bid), fx.RatOf(r.Ask))
		mid.Quo(mid, big.NewRat(2, 1))
		m := r.Pair.Market()
		if m != r.Pair {
			mid.Inv(mid)
		}
		b.quotes[m] = append(b.quotes[m], quoteMid{bank: r.Provider, mid: mid})
	}
	return b
}

// CycleRates prices a cycle from the board and the USD table alone (no
// reference table): kept for callers with no reference, it applies the
// same outlier rules.
func CycleRates(board []fx.Rate, usd fx.USDConfig) func(a, b string) (money.Rate, bool) {
	return NewRateBook(board, nil, usd, 0).Rate
}

// Rate prices one unit of a in b; ok is false when the pair has no price.
func (b *RateBook) Rate(x, y string) (money.Rate, bool) {
	p := fx.Pair{Base: x, Quote: y}
	m := p.Market()
	src := b.source(m)
	if src == nil {
		return money.Rate{}, false
	}
	if m == p {
		return src.Rate, true
	}
	inv := fx.RateOfRat(new(big.Rat).Inv(src.exact))
	return inv, !inv.IsZero()
}

// Source is where the rate of a in b came from (in a/b listing of the market).
func (b *RateBook) Source(x, y string) (RateSource, bool) {
	m := fx.Pair{Base: x, Quote: y}.Market()
	src := b.source(m)
	if src == nil {
		return RateSource{}, false
	}
	out := *src
	out.Banks = append([]string(nil), src.Banks...)
	out.Outliers = append([]string(nil), src.Outliers...)
	return out, true
}

// Sources lists the sources of the pairs given (each once, market order).
func (b *RateBook) Sources(pairs [][2]string) []RateSource {
	seen := map[fx.Pair]bool{}
	var out []RateSource
	for _, p := range pairs {
		m := fx.Pair{Base: p[0], Quote: p[1]}.Market()
		if seen[m] {
			continue
		}
		seen[m] = true
		if s, ok := b.Source(m.Base, m.Quote); ok {
			out = append(out, s)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].A+out[i].B < out[j].A+out[j].B })
	return out
}

// source computes (once) the rate of a market.
func (b *RateBook) source(m fx.Pair) *RateSource {
	b.mu.Lock()
	defer b.mu.Unlock()
	if s, ok := b.byMarket[m]; ok {
		return s
	}
	s := b.choose(m)
	b.byMarket[m] = s
	return s
}

func (b *RateBook) choose(m fx.Pair) *RateSource {
	src := &RateSource{A: m.Base, B: m.Quote, BandBps: b.band}
	quotes := b.quotes[m]
	var anchor *big.Rat
	anchorMethod := ""
	if mid, date, ok := b.ref.Mid(m); ok {
		anchor, anchorMethod = mid, RateReference
		src.ReferenceDate, src.ReferenceMid = date, fx.RateOfRat(mid)
	} else if mid, ok := usdCross(b.usd, m.Base, m.Quote); ok {
		anchor, anchorMethod = mid, RateUSDCross
	}
	if anchor == nil && len(quotes) >= 2 {
		// No outside yardstick: the banks' own median is one, which a
		// single outlier among three or more cannot move; two quotes that
		// disagree beyond the band give no rate at all (the pair's
		// instructions wait) rather than the mean of a lie and the truth.
		anchor = median(mids(quotes))
	}
	var kept []quoteMid
	for _, q := range quotes {
		if anchor == nil || fx.WithinBand(q.mid, anchor, b.band) {
			kept = append(kept, q)
		} else {
			src.Outliers = append(src.Outliers, q.bank)
		}
	}
	var rate *big.Rat
	switch {
	case len(kept) > 0:
		rate = median(mids(kept))
		src.Quotes = len(kept)
		for _, q := range kept {
			src.Banks = append(src.Banks, q.bank)
		}
		switch {
		case anchor == nil:
			src.Method = RateUnchecked
		case len(kept) == 1:
			src.Method = RateSingleQuote
		default:
			src.Method = RateMedian
		}
	case anchor != nil && anchorMethod != "":
		rate, src.Method = anchor, anchorMethod
	default:
		return nil
	}
	sort.Strings(src.Banks)
	sort.Strings(src.Outliers)
	src.exact = rate
	if src.Rate = fx.RateOfRat(rate); src.Rate.IsZero() {
		return nil
	}
	return src
}

func mids(qs []quoteMid) []*big.Rat {
	out := make([]*big.Rat, len(qs))
	for i, q := range qs {
		out[i] = q.mid
	}
	return out
}

// median of a non-empty list: the middle value, or the mean of the two
// middle values of an even count.
func median(xs []*big.Rat) *big.Rat {
	s := append([]*big.Rat(nil), xs...)
	sort.Slice(s, func(i, j int) bool { return s[i].Cmp(s[j]) < 0 })
	n := len(s)
	if n%2 == 1 {
		return new(big.Rat).Set(s[n/2])
	}
	m := new(big.Rat).Add(s[n/2-1], s[n/2])
	return m.Quo(m, big.NewRat(2, 1))
}

// usdCross is the price of one a in b from the configured USD mids
// (units of each currency per USD).
func usdCross(usd fx.USDConfig, a, b string) (*big.Rat, bool) {
	ua, okA := usd[a]
	ub, okB := usd[b]
	switch {
	case a == "USD" && okB:
		return fx.RatOf(ub.Mid), true
	case b == "USD" && okA:
		return new(big.Rat).Inv(fx.RatOf(ua.Mid)), true
	case okA && okB:
		return new(big.Rat).Quo(fx.RatOf(ub.Mid), fx.RatOf(ua.Mid)), true
	}
	return nil, false
}

// rateSources fills the cycle report's rate sources from the book the
// cycle was priced with: one per pair the report lists.
func rateSources(book *RateBook, pairs []PairFigures) []RateSource {
	if book == nil {
		return nil
	}
	ps := make([][2]string, len(pairs))
	for i, p := range pairs {
		ps[i] = [2]string{p.A, p.B}
	}
	return book.Sources(ps)
}

// RateBookFunc adapts a book source to Config.Rates, for callers that
// only need prices.
func RateBookFunc(f func(ctx context.Context) (*RateBook, error)) func(ctx context.Context) (func(a, b string) (money.Rate, bool), error) {
	return func(ctx context.Context) (func(a, b string) (money.Rate, bool), error) {
		book, err := f(ctx)
		if err != nil {
			return nil, err
		}
		return book.Rate, nil
	}
}

func rat(r money.Rate) *big.Rat { return fx.RatOf(r) }

// decimal renders x with up to places decimals, trimming zeros, keeping
// at most 18 digits (big.Rat rounds halves away from zero; used for
// reporting).
func decimal(x *big.Rat, places int) string {
	for places > 0 {
		s := x.FloatString(places)
		digits := 0
		for _, c := range s {
			if c >= '0' && c <= '9' {
				digits++
			}
		}
		if digits <= 18 {
			break
		}
		places--
	}
	s := x.FloatString(places)
	if places > 0 {
		for s[len(s)-1] == '0' {
			s = s[:len(s)-1]
		}
		if s[len(s)-1] == '.' {
			s = s[:len(s)-1]
		}
	}
	return s
}
