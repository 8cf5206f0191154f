package settlement

import (
	"math"
	"math/big"
	"math/rand/v2"
	"strings"
	"testing"
)

// testModel is small and round so that each expected figure can be worked
// out by hand.
func testModel() *CostModel {
	p := func(lo, v, hi int64) CostParam { return CostParam{Low: lo, Value: v, High: hi, Assumed: true} }
	return &CostModel{Version: "t", Reporting: "KZT",
		SendFeeBps: p(10, 20, 30), SendFeeMinUSDCents: p(1000, 1000, 1000), SendFeeMaxUSDCents: p(10000, 10000, 10000),
		IntermediaryFeeUSDCents: p(1000, 2000, 3000), TownTransferFee: p(100, 200, 300),
		Margins:       map[string]CostParam{"USD": p(0, 0, 0), "KZT": p(10, 50, 100), "*": p(20, 100, 200)},
		DirectMargins: map[string]CostParam{"CNY/KZT": p(5, 60, 150)}}
}

func TestSendFeeClamps(t *testing.T) {
	m := testModel()
	for _, tc := range []struct {
		name                   string
		s                      Scenario
		amount, min, max, want int64
	}{
		{"percentage", ScenarioDefault, 1_000_000, 100, 10_000, 2_000},
		{"minimum", ScenarioDefault, 1_000, 100, 10_000, 100},
		{"maximum", ScenarioDefault, 100_000_000, 100, 10_000, 10_000},
		{"low scenario", ScenarioLow, 1_000_000, 100, 10_000, 1_000},
		{"high scenario", ScenarioHigh, 1_000_000, 100, 10_000, 3_000},
		{"huge amount does not overflow", ScenarioHigh, 1<<63 - 1, 0, 1 << 62, 27_670_116_110_564_327},
	} {
		if got := m.SendFee(tc.s, tc.amount, tc.min, tc.max); got != tc.want {
			t.Errorf("%s: SendFee = %d, want %d", tc.name, got, tc.want)
		}
	}
}

func TestEstimate(t *testing.T) {
	m := testModel()
	usd := func(c int64) (int64, bool) { return c * 5, true } // 500 KZT per USD: 1 cent = 5 tiyn
	for _, tc := range []struct {
		name                string
		in                  CostInput
		wantUSD, wantLocal  int64
		wantSaving, wantBps int64
		wantRange           CostRange
	}{{
		// One KZT->INR flow of 10 payments worth 1,000,000.00 KZT in all,
		// sending fees 2,000.00 KZT; net residual 100,000.00 KZT; 3 transfers.
		name: "cross-currency via USD vs one residual",
		in: CostInput{Flows: []CostFlow{{Currency: "KZT", PayeeCurrency: "INR", Count: 10, Value: 100_000_000,
			SendFees: [3]int64{100_000, 200_000, 300_000}}},
			Residuals: []CostResidual{{A: "INR", B: "KZT", Value: 10_000_000}}, Transfers: 3, USDCents: usd},
		// default: fees 200,000 + 10×2000 cents×5 = 100,000 + margins (50+100) bps of 100,000,000 = 1,500,000
		wantUSD: 1_800_000,
		// default: residual 10,000,000 × 150 bps = 150,000 + 3×200 = 600
		wantLocal: 150_600, wantSaving: 1_649_400, wantBps: 9163,
		wantRange: CostRange{USDRoute: [2]int64{100_000 + 50_000 + 300_000, 300_000 + 150_000 + 3_000_000},
			Local: [2]int64{30_000 + 300, 300_000 + 900}, Saving: [2]int64{420_000 - 300, 3_450_000 - 300_900},
			SavingBps: [2]int64{9127, 9326}}, // 3,149,100/3,450,000 and 419,700/450,000
	}, {
		name: "same currency: no conversion on either route",
		in: CostInput{Flows: []CostFlow{{Currency: "KZT", PayeeCurrency: "KZT", Count: 2, Value: 1_000_000, SendFees: [3]int64{5_000, 5_000, 5_000}}},
			Transfers: 2, USDCents: usd},
		wantUSD: 5_000 + 2*10_000, wantLocal: 400, wantSaving: 24_600, wantBps: 9840,
		wantRange: CostRange{USDRoute: [2]int64{15_000, 35_000}, Local: [2]int64{200, 600}, Saving: [2]int64{14_800, 34_400}, SavingBps: [2]int64{9828, 9866}},
	}, {
		name:    "a direct market prices the residual instead of two USD legs",
		in:      CostInput{Residuals: []CostResidual{{A: "CNY", B: "KZT", Value: 1_000_000}}, USDCents: usd},
		wantUSD: 0, wantLocal: 6_000, wantSaving: -6_000, wantBps: 0,
		wantRange: CostRange{Local: [2]int64{500, 15_000}, Saving: [2]int64{-15_000, -500}},
	}, {
		name: "no USD price: the intermediary fee is left out, not guessed",
		in: CostInput{Flows: []CostFlow{{Currency: "KZT", PayeeCurrency: "KZT", Count: 1, Value: 1_000, SendFees: [3]int64{10, 10, 10}}},
			USDCents: func(int64) (int64, bool) { return 0, false }},
		wantUSD: 10, wantLocal: 0, wantSaving: 10, wantBps: 10000,
		wantRange: CostRange{USDRoute: [2]int64{10, 10}, Saving: [2]int64{10, 10}, SavingBps: [2]int64{10000, 10000}},
	}} {
		got := m.Estimate(tc.in)
		if got.USDRoute != tc.wantUSD || got.Local != tc.wantLocal || got.Saving != tc.wantSaving || got.SavingBps != tc.wantBps {
			t.Errorf("%s: got usd %d local %d saving %d (%d bps), want %d %d %d (%d)", tc.name, got.USDRoute, got.Local, got.Saving, got.SavingBps,
				tc.wantUSD, tc.wantLocal, tc.wantSaving, tc.wantBps)
		}
		if got.Range == nil || *got.Range != tc.wantRange {
			t.Errorf("%s: range %+v, want %+v", tc.name, got.Range, tc.wantRange)
		}
		if got.Currency != "KZT" || got.Model != "t" {
			t.Errorf("%s: currency %q model %q", tc.name, got.Currency, got.Model)
		}
	}
}

// Every default parameter is either cited or marked assumed, and every
// cited source has a URL: the page must never show an unexplained figure.
func TestDefaultCostModelIsSourced(t *testing.T) {
	m := DefaultCostModel()
	if m.Reporting != "KZT" || m.Version == "" {
		t.Fatalf("model %q %q", m.Reporting, m.Version)
	}
	for _, c := range []string{"KZT", "CNY", "RUB", "INR", "BRL", "ZAR"} {
		p, ok := m.Margins[c]
		if !ok {
			t.Errorf("no margin for %s", c)
		}
		if p.Note == "" || (len(p.Sources) == 0 && !p.Assumed) {
			t.Errorf("%s margin unexplained: %+v", c, p)
		}
		if p.Assumed && !strings.Contains(p.Note, "No public source") {
			t.Errorf("%s is assumed but its note does not say so: %q", c, p.Note)
		}
	}
	for _, s := range m.Sources {
		if !strings.HasPrefix(s.URL, "https://") {
			t.Errorf("source %s url %q", s.ID, s.URL)
		}
	}
}

func TestParseCostModelRefuses(t *testing.T) {
	good := string(defaultCostModelJSON)
	for _, tc := range []struct{ name, from, to, want string }{
		{"unknown field", `"version"`, `"versoin"`, "unknown field"},
		{"value above high", `"send_fee_bps": {"value": 20, "low": 15, "high": 20`, `"send_fee_bps": {"value": 25, "low": 15, "high": 20`, "low <= value <= high"},
		{"uncited, not assumed", `"sources": ["kicb-2026", "btakg-tariffs"],`, ``, "no source"},
		{"unknown source", `"sources": ["kkb-2015"]`, `"sources": ["nowhere"]`, "unknown source"},
		{"margin above 100%", `"CNY": {"value": 50, "low": 10, "high": 150`, `"CNY": {"value": 50, "low": 10, "high": 15000`, "above"},
		{"direct pair out of order", `"KZT/RUB"`, `"RUB/KZT"`, "alphabetical"},
	} {
		b := strings.Replace(good, tc.from, tc.to, 1)
		if b == good {
			t.Fatalf("%s: the replacement did not apply", tc.name)
		}
		if _, err := ParseCostModel([]byte(b)); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err %v, want %q", tc.name, err, tc.want)
		}
	}
}

// TestSendFeeMatchesExactArithmetic: the fast path without math/big gives
// the truncated percentage, clamped, exactly as the big-integer rule does,
// up to the largest amounts.
func TestSendFeeMatchesExactArithmetic(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 5))
	amounts := []int64{0, 1, 9999, 10000, 10001, math.MaxInt64, math.MaxInt64 - 1, 1 << 62}
	for range 2000 {
		amounts = append(amounts, rng.Int64N(math.MaxInt64))
	}
	for _, b := range []int64{0, 1, 15, 20, 9999, 10000} {
		m := &CostModel{SendFeeBps: CostParam{Value: b, Low: b, High: b}}
		for _, a := range amounts {
			want := new(big.Int).Mul(big.NewInt(a), big.NewInt(b))
			want.Quo(want, big.NewInt(10000))
			for _, lim := range [][2]int64{{0, math.MaxInt64}, {3500, 30000}, {0, 0}} {
				w := want.Int64()
				if want.Cmp(big.NewInt(lim[0])) < 0 {
					w = lim[0]
				} else if want.Cmp(big.NewInt(lim[1])) > 0 {
					w = lim[1]
				}
				if got := m.SendFee(ScenarioDefault, a, lim[0], lim[1]); got != w {
					t.Fatalf("SendFee(%d bps of %d, %v) = %d, want %d", b, a, lim, got, w)
				}
			}
		}
	}
}
