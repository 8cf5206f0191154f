package fx

import (
	"math/big"
	"testing"
	"time"

	"bricstown/internal/money"
)

func TestValueExposure(t *testing.T) {
	rates := []Rate{
		// KZT/CNY from two banks: inside market bid 0.0150 (A), ask 0.0152 (B).
		pub(t, "bankA", "KZT/CNY", "0.0150", "0.0153"),
		pub(t, "bankB", "KZT/CNY", "0.0149", "0.0152"),
		// CNY/RUB: no RUB/KZT market, so RUB goes through CNY.
		pub(t, "bankA", "CNY/RUB", "12.00", "12.50"),
		// INR/AED: neither reaches KZT within one intermediate.
		pub(t, "bankA", "INR/AED", "0.044", "0.045"),
		// BRL listed against KZT the other way round: KZT/BRL.
		pub(t, "bankC", "BRL/KZT", "90", "92"),
	}
	expired := pub(t, "bankD", "ZAR/KZT", "27", "28")
	expired.ValidUntil = t0.Add(-time.Second)
	rates = append(rates, expired)

	pos := map[string]money.Amount{
		"KZT": -500_00,
		"CNY": 100_00,
		"RUB": 1000_00,
		"BRL": 10_00,
		"AED": 5_00,
		"ZAR": 7_00,
	}
	e, err := ValueExposure(pos, rates, t0)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]Valuation{
		"KZT": {Currency: "KZT", Amount: -500_00, Value: -500_00},
		// 100 / 0.0151 = 6622.51655… KZT → 662252 tiyn
		"CNY": {Currency: "CNY", Amount: 100_00, Value: 662252},
		// 1000 / 12.25 / 0.0151 = 1000 / 0.184975 = 5406.135964… → 540614
		"RUB": {Currency: "RUB", Amount: 1000_00, Value: 540614, Via: "CNY"},
		// 10 × 91 = 910.00 KZT
		"BRL": {Currency: "BRL", Amount: 10_00, Value: 910_00},
	}
	if len(e.Valued) != len(want) {
		t.Fatalf("valued %+v", e.Valued)
	}
	var total money.Amount
	for _, v := range e.Valued {
		if want[v.Currency] != v {
			t.Errorf("%s: %+v; want %+v", v.Currency, v, want[v.Currency])
		}
		total += v.Value
	}
	if e.Total != total || e.Home != "KZT" {
		t.Fatalf("total %d; want %d", e.Total, total)
	}
	if len(e.Unvalued) != 2 || e.Unvalued[0].Currency != "AED" || e.Unvalued[1].Currency != "ZAR" || e.Unvalued[1].Amount != 7_00 {
		t.Fatalf("unvalued %+v; want AED and ZAR (expired market)", e.Unvalued)
	}
}

func TestValueExposureHalfEvenAndIntermediateChoice(t *testing.T) {
	// 1 INR at mid 2.5 KZT per… rather: INR/KZT mid 0.5, 0.05 INR → 0.025 KZT
	// → 2.5 tiyn → 2 (ties to even); 0.07 INR → 3.5 → 4.
	rates := []Rate{pub(t, "bankA", "INR/KZT", "0.4", "0.6")}
	e, err := ValueExposure(map[string]money.Amount{"INR": 5}, rates, t0)
	if err != nil || e.Valued[0].Value != 2 {
		t.Fatalf("%+v %v", e, err)
	}
	e, _ = ValueExposure(map[string]money.Amount{"INR": 7}, rates, t0)
	if e.Valued[0].Value != 4 {
		t.Fatalf("%+v", e)
	}
	// Two intermediates for ZAR: through CNY (wide spreads) and RUB (tight):
	// RUB is chosen even though CNY sorts first.
	rates = []Rate{
		pub(t, "b", "ZAR/CNY", "0.30", "0.50"), pub(t, "b", "CNY/KZT", "60", "80"),
		pub(t, "b", "ZAR/RUB", "4.9", "5.1"), pub(t, "b", "RUB/KZT", "5.45", "5.55"),
	}
	e, _ = ValueExposure(map[string]money.Amount{"ZAR": 100_00}, rates, t0)
	// 100 × 5 × 5.5 = 2750.00 KZT
	if v := e.Valued[0]; v.Via != "RUB" || v.Value != 2750_00 {
		t.Fatalf("%+v", v)
	}
}

// When banks list one market both ways, the book is read in the listing
// most of them use, so the common listing's mid stays exactly (bid+ask)/2.
func TestValueExposureMixedListings(t *testing.T) {
	rates := []Rate{
		pub(t, "bankA", "KZT/CNY", "0.0150", "0.0153"),
		pub(t, "bankB", "KZT/CNY", "0.0149", "0.0152"),
		pub(t, "bankC", "CNY/KZT", "66.5", "67"), // as KZT/CNY: bid 1/67, ask 1/66.5
	}
	e, err := ValueExposure(map[string]money.Amount{"CNY": 100_00}, rates, t0)
	if err != nil {
		t.Fatal(err)
	}
	// Inside market in KZT/CNY: bid max(0.0150, 0.0149, 1/67) = 0.0150,
	// ask min(0.0153, 0.0152, 1/66.5) = 1/66.5. Mid = (0.015 + 1/66.5)/2.
	mid := new(big.Rat).Add(big.NewRat(15, 1000), big.NewRat(2, 133))
	mid.Quo(mid, big.NewRat(2, 1))
	want := roundRat(new(big.Rat).Quo(big.NewRat(100_00, 1), mid), money.RoundHalfEven).Int64()
	if e.Valued[0].Value != want {
		t.Fatalf("CNY valued %d; want %d", e.Valued[0].Value, want)
	}
}
