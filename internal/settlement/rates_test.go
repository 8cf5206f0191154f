package settlement

import (
	"reflect"
	"testing"
	"time"

	"bricstown/internal/fx"
	"bricstown/internal/money"
)

func mr(t *testing.T, s string) money.Rate {
	t.Helper()
	r, err := money.ParseRate(s)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func quote(t *testing.T, bank, pair, bid, ask string) fx.Rate {
	t.Helper()
	p, err := fx.ParsePair(pair)
	if err != nil {
		t.Fatal(err)
	}
	return fx.Rate{ID: bank + pair, Provider: bank, Pair: p, Bid: mr(t, bid), Ask: mr(t, ask), PublishedAt: time.Now()}
}

func cnyRef(t *testing.T) fx.ReferenceSet {
	return fx.ReferenceSet{"CNY": {Date: "2026-03-16", Currency: "CNY", Units: 1, KZT: mr(t, "70"), Source: "NBK"},
		"RUB": {Date: "2026-03-13", Currency: "RUB", Units: 100, KZT: mr(t, "550"), Source: "NBK"}}
}

func rateOf(t *testing.T, b *RateBook, a, c string) string {
	t.Helper()
	r, ok := b.Rate(a, c)
	if !ok {
		t.Fatalf("no rate %s/%s", a, c)
	}
	return r.String()
}

// One outlier bank cannot move the cycle rate: three honest banks around
// 70 and one quoting CNY/KZT at almost nothing (in either listing) give
// the median of the honest three, with the outlier named in the report.
func TestOneOutlierCannotMoveTheCycleRate(t *testing.T) {
	honest := []fx.Rate{quote(t, "alpha", "CNY/KZT", "69.8", "70.2"), quote(t, "beta", "CNY/KZT", "69.9", "70.3"), quote(t, "gamma", "KZT/CNY", "0.01424", "0.01432")}
	for name, rogue := range map[string]fx.Rate{
		"near zero":     quote(t, "rogue", "CNY/KZT", "0.000001", "0.000002"),
		"huge inverted": quote(t, "rogue", "KZT/CNY", "0.000001", "0.000002"),
		"just too far":  quote(t, "rogue", "CNY/KZT", "78", "79"),
	} {
		board := append(append([]fx.Rate(nil), honest...), rogue)
		want := NewRateBook(honest, cnyRef(t), nil, 1000)
		for _, ref := range []fx.ReferenceSet{cnyRef(t), nil} { // with and without a reference
			b := NewRateBook(board, ref, nil, 1000)
			w := want
			if ref == nil {
				w = NewRateBook(honest, nil, nil, 1000)
			}
			if got, exp := rateOf(t, b, "CNY", "KZT"), rateOf(t, w, "CNY", "KZT"); got != exp {
				t.Errorf("%s (ref %v): rate %s, want %s as without the outlier", name, ref != nil, got, exp)
			}
			src, _ := b.Source("KZT", "CNY")
			if src.Method != RateMedian || src.Quotes != 3 || !reflect.DeepEqual(src.Outliers, []string{"rogue"}) ||
				!reflect.DeepEqual(src.Banks, []string{"alpha", "beta", "gamma"}) {
				t.Errorf("%s: source %+v", name, src)
			}
			if ref != nil && (src.ReferenceDate != "2026-03-16" || src.ReferenceMid.String() != "70") {
				t.Errorf("%s: reference in source %+v", name, src)
			}
		}
	}
	// The mids are 70, 70.1 and gamma's 1/0.01428 = 70.028...: the median
	// is gamma's (sources and rates are in the market's listing, CNY/KZT).
	if got := rateOf(t, NewRateBook(honest, cnyRef(t), nil, 1000), "CNY", "KZT"); got != "70.028011204482" {
		t.Fatalf("median %s", got)
	}
}

// The only quoter of a pair publishing an absurd price gets the reference
// rate used instead; a sane single quote is used and said to be one.
func TestSingleQuoterOutsideTheBandGetsTheReference(t *testing.T) {
	b := NewRateBook([]fx.Rate{quote(t, "rogue", "KZT/CNY", "0.000001", "0.000002")}, cnyRef(t), fx.DefaultUSDConfig(), 1000)
	if got := rateOf(t, b, "CNY", "KZT"); got != "70" {
		t.Fatalf("CNY/KZT %s, want the reference 70", got)
	}
	src, _ := b.Source("CNY", "KZT")
	if src.Method != RateReference || src.Quotes != 0 || !reflect.DeepEqual(src.Outliers, []string{"rogue"}) || src.ReferenceDate != "2026-03-16" {
		t.Fatalf("%+v", src)
	}
	b = NewRateBook([]fx.Rate{quote(t, "alpha", "CNY/KZT", "70.5", "71.5")}, cnyRef(t), nil, 1000)
	if src, _ := b.Source("CNY", "KZT"); src.Method != RateSingleQuote || src.Rate.String() != "71" || src.Banks[0] != "alpha" {
		t.Fatalf("%+v", src)
	}
	// A cross pair's reference is built from both tenge prices: RUB/CNY
	// = 5.5 / 70.
	b = NewRateBook([]fx.Rate{quote(t, "rogue", "RUB/CNY", "9", "10")}, cnyRef(t), nil, 1000)
	if src, _ := b.Source("CNY", "RUB"); src.Method != RateReference || src.Rate.String() != "12.727272727273" || src.ReferenceDate != "2026-03-13" {
		t.Fatalf("%+v", src)
	}
}

// Without a reference, the USD table is the yardstick; without that
// either, two quotes that disagree give no rate, and three give their
// median.
func TestNoReference(t *testing.T) {
	usd := fx.DefaultUSDConfig() // KZT 505.2, CNY 7.12 per USD: CNY/KZT 70.955...
	b := NewRateBook([]fx.Rate{quote(t, "rogue", "CNY/KZT", "0.000001", "0.000002")}, nil, usd, 1000)
	if src, ok := b.Source("CNY", "KZT"); !ok || src.Method != RateUSDCross || src.Outliers[0] != "rogue" {
		t.Fatalf("%+v", src)
	}
	two := []fx.Rate{quote(t, "alpha", "SGD/MXN", "13", "13.2"), quote(t, "rogue", "SGD/MXN", "0.000001", "0.000002")}
	if r, ok := NewRateBook(two, nil, usd, 1000).Rate("SGD", "MXN"); ok {
		t.Fatalf("two disagreeing unchecked quotes priced the pair at %s", r)
	}
	three := append(two, quote(t, "beta", "MXN/SGD", "0.0755", "0.0765"))
	b = NewRateBook(three, nil, usd, 1000)
	if src, ok := b.Source("SGD", "MXN"); !ok || src.Method != RateMedian || src.Quotes != 2 || src.Outliers[0] != "rogue" {
		t.Fatalf("%+v", src)
	}
	one := NewRateBook(two[:1], nil, usd, 1000)
	if src, ok := one.Source("MXN", "SGD"); !ok || src.Method != RateUnchecked || src.Rate.String() != "0.076335877863" || src.A != "MXN" {
		t.Fatalf("%+v", src)
	}
	// Both directions are one price.
	if a, b := rateOf(t, one, "SGD", "MXN"), rateOf(t, one, "MXN", "SGD"); a != "13.1" || b != "0.076335877863" {
		t.Fatalf("%s %s", a, b)
	}
}
