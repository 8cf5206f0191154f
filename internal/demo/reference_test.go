package demo

import (
	"strings"
	"testing"

	"bricstown/internal/fx"
	"bricstown/internal/money"
)

// Every demo bank quote falls within the reference band of the demo table,
// so the demo seeds no flagged or refused price, and the table is labelled
// as not official.
func TestDemoQuotesLieWithinTheDemoReferenceBand(t *testing.T) {
	rows, err := (fx.NewReferenceTable{Date: "2026-01-01", Source: DemoReferenceSource, Rates: demoReference}).Validate()
	if err != nil {
		t.Fatal(err)
	}
	set := fx.ReferenceSet{}
	for _, r := range rows {
		set[r.Currency] = r
	}
	usd := fx.DefaultUSDConfig()
	for _, b := range bankBooks {
		for _, pair := range b.Pairs {
			p, _ := fx.ParsePair(pair)
			bid, ask, err := aroundMid(usd, p, b.SpreadBps)
			if err != nil {
				t.Fatal(err)
			}
			mid, _, ok := set.Mid(p)
			if !ok {
				t.Fatalf("%s: no demo reference", pair)
			}
			for _, s := range []string{bid, ask} {
				r, _ := money.ParseRate(s)
				if !fx.WithinBand(fx.RatOf(r), mid, fx.DefaultBandBps/4) {
					t.Errorf("%s %s: %s is not within 2.5%% of the demo reference %s", b.Bank, pair, s, fx.RateOfRat(mid))
				}
			}
		}
	}
	if !strings.Contains(DemoReferenceSource, "DEMO") || !strings.Contains(DemoReferenceSource, "not official") {
		t.Fatal("the demo table must say it is not official")
	}
}
