package fx

import (
	"fmt"
	"math/big"
	"testing"

	"bricstown/internal/money"
	"bricstown/internal/refdata"
)

var sinkQuote Quote

// benchMarket is 20 currencies and 60 rates from 6 banks: every currency
// priced against KZT and CNY, plus ring markets, so that a quote between
// two minor currencies has many two-leg candidates.
func benchMarket(b *testing.B) (Market, Policy) {
	codes := []string{"KZT", "CNY", "RUB", "BRL", "INR", "ZAR", "AED", "EGP", "ETB", "IRR",
		"IDR", "SAR", "KGS", "UZS", "BYN", "AMD", "TJS", "MNT", "THB", "MYR"}
	banks := []string{"b1", "b2", "b3", "b4", "b5", "b6"}
	m := Market{Fees: map[string]Fee{}}
	pol := Policy{USD: USDConfig{}}
	for i, p := range banks {
		m.Fees[p] = Fee{Provider: p, Bps: int64(i * 3), Fixed: map[string]money.Amount{"KZT": int64(i) * 100}}
	}
	add := func(a, c string, mant int64) {
		i := len(m.Rates)
		bid := formatScaled(big.NewInt(mant), 4)
		ask := formatScaled(big.NewInt(mant+mant/200+1), 4)
		r := pub(b, banks[i%len(banks)], a+"/"+c, bid, ask)
		r.ID = fmt.Sprintf("r%03d", i)
		m.Rates = append(m.Rates, r)
	}
	for i, c := range codes[1:] {
		add(c, "KZT", int64(100000+i*7919)) // ~10..25 KZT per unit
		if c != "CNY" {
			add(c, "CNY", int64(1000+i*97))
		}
	}
	for i := 2; len(m.Rates) < 60; i++ {
		add(codes[i%len(codes)], codes[(i+5)%len(codes)], int64(5000+i*31))
	}
	for i, c := range codes {
		pol.USD[c] = USDRate{Mid: rate(b, fmt.Sprintf("%d.25", 3+i*11)), ToUSDBps: 60, FromUSDBps: 60}
	}
	return m, pol
}

func BenchmarkQuote(b *testing.B) {
	refdata.Default()
	m, pol := benchMarket(b)
	if len(m.Rates) != 60 {
		b.Fatalf("%d rates", len(m.Rates))
	}
	for _, bc := range []struct {
		name string
		req  QuoteRequest
	}{
		{"sell_fixed", QuoteRequest{Sell: "ZAR", Buy: "BRL", SellAmount: 1_234_567_89}},
		{"buy_fixed", QuoteRequest{Sell: "ZAR", Buy: "BRL", BuyAmount: 1_234_567_89}},
		{"from_kzt_19_first_legs", QuoteRequest{Sell: "KZT", Buy: "INR", SellAmount: 50_000_000_00}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				q, err := Price(m, pol, "payer", bc.req, t0)
				if err != nil {
					b.Fatal(err)
				}
				sinkQuote = q
			}
		})
	}
}
