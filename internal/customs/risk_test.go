package customs

import (
	"fmt"
	"slices"
	"testing"
)

func ruleIDs(rs []RiskReason) []string {
	out := []string{}
	for _, r := range rs {
		out = append(out, r.RuleID)
	}
	return out
}

func TestRiskLanes(t *testing.T) {
	r := quietRules(t)
	invoice := []Document{{Kind: DocCommercialInvoice}}
	// The reference for smartphones is 250 000 KZT/kg; 200 kg declared.
	// usd sets the declared value in USD (500 KZT each).
	phones := func(usd int64) Content {
		c := smartphones()
		c.Items[0].CustomsValueAmount = usd * 100
		return c
	}
	for _, tc := range []struct {
		name    string
		content Content
		docs    []Document
		trader  TraderProfile
		lane    Lane
		reasons []string
	}{
		{"targeted but clean", phones(150_000), invoice, TraderProfile{}, LaneGreen, []string{"R-TGT-8517"}},
		{"no invoice", phones(150_000), nil, TraderProfile{}, LaneYellow, []string{"R-TGT-8517", RuleMissingInvoice}},
		{"at 80% of reference", phones(80_000), invoice, TraderProfile{}, LaneGreen, []string{"R-TGT-8517"}},
		{"at 70% of reference", phones(70_000), invoice, TraderProfile{}, LaneYellow, []string{"R-TGT-8517", RuleUndervalueYellow}},
		{"at 59% of reference", phones(59_000), invoice, TraderProfile{}, LaneRed, []string{"R-TGT-8517", RuleUndervalueRed}},
		{"one prior refusal", phones(150_000), invoice, TraderProfile{Refusals: 1}, LaneYellow, []string{"R-TGT-8517", RuleHistory}},
		{"two prior refusals", phones(150_000), invoice, TraderProfile{Refusals: 2}, LaneRed, []string{"R-TGT-8517", RuleHistory}},
		{"AEO, clean", phones(150_000), invoice, TraderProfile{AEO: true}, LaneGreen, []string{"R-TGT-8517", RuleAEO}},
		{"AEO, documentary findings", phones(70_000), invoice, TraderProfile{AEO: true}, LaneBlue, []string{"R-TGT-8517", RuleUndervalueYellow, RuleAEO}},
		{"AEO, red flags", phones(50_000), invoice, TraderProfile{AEO: true}, LaneRed, []string{"R-TGT-8517", RuleUndervalueRed}},
		{"beef, clean", beef(), invoice, TraderProfile{}, LaneGreen, []string{}},
		{"EAEU origin from China", func() Content {
			c := beef()
			c.Exporter.CountryCode = "CN"
			c.Items[0].OriginCountryCode = "KZ"
			return c
		}(), invoice, TraderProfile{}, LaneYellow, []string{RuleOriginMismatch}},
		{"transit has no valuation or invoice rule", func() Content {
			c := phones(10_000)
			c.Procedure = Transit
			return c
		}(), nil, TraderProfile{}, LaneGreen, []string{"R-TGT-8517"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := tc.content
			if err := r.Validate(&c, t0); err != nil {
				t.Fatal(err)
			}
			ev, err := r.Evaluate("0190a0b0-0000-7000-8000-000000000001", &c, tc.docs, tc.trader, t0, rateFunc(nil))
			if err != nil {
				t.Fatal(err)
			}
			if got := ruleIDs(ev.Risk.Reasons); ev.Risk.Lane != tc.lane || !slices.Equal(got, tc.reasons) {
				t.Fatalf("lane %s reasons %v (score %d), want %s %v", ev.Risk.Lane, got, ev.Risk.Score, tc.lane, tc.reasons)
			}
			for _, rr := range ev.Risk.Reasons {
				if rr.Description == "" {
					t.Errorf("reason %s has no description", rr.RuleID)
				}
			}
		})
	}
}

func TestRiskRandomSelection(t *testing.T) {
	r := quietRules(t)
	r.Risk = DefaultRiskConfig()
	c := beef()
	if err := r.Validate(&c, t0); err != nil {
		t.Fatal(err)
	}
	lines := make([]AssessmentLine, 1)
	lines[0].ValueKZT = 60_000_000_00
	counts := map[Lane]int{}
	const n = 20_000
	for i := range n {
		in := RiskInput{DeclarationID: fmt.Sprintf("0190a0b0-0000-7000-8000-%012d", i), Content: &c, Lines: lines,
			Documents: []Document{{Kind: DocCommercialInvoice}}}
		res := r.Risk.AssessRisk(r.Ref, in)
		if again := r.Risk.AssessRisk(r.Ref, in); again.Lane != res.Lane {
			t.Fatal("random selection is not reproducible")
		}
		counts[res.Lane]++
	}
	// 1% red, 15% yellow, 2% blue, the rest green, within sampling noise.
	for lane, want := range map[Lane]int{LaneRed: n / 100, LaneYellow: n * 15 / 100, LaneBlue: n * 2 / 100} {
		if got := counts[lane]; got < want*8/10 || got > want*12/10 {
			t.Errorf("%s: %d of %d, want about %d", lane, got, n, want)
		}
	}
	// A different salt draws differently.
	r2 := r.Risk
	r2.Salt = "secret"
	diff := 0
	for i := range 1000 {
		id := fmt.Sprintf("id-%d", i)
		if draw(r.Risk.Salt, "lane", id) != draw(r2.Salt, "lane", id) {
			diff++
		}
	}
	if diff < 990 {
		t.Errorf("salt changed only %d draws of 1000", diff)
	}
}

func TestValueRatio(t *testing.T) {
	for _, tc := range []struct {
		value, grams, ref, want int64
		ok                      bool
	}{
		{100_00, 1000, 100_00, 10_000, true},                               // exactly the reference
		{59_99, 1000, 100_00, 5999, true},                                  // just under 60%
		{1, 1_000_000_000_000, 1, 0, true},                                 // a speck of value on a mountain
		{1 << 60, 1, 1, 0, false},                                          // absurdly high: not undervalued
		{100, 0, 100, 0, false},                                            // no mass
		{1_000_000_000_000_000, 10_000_000_000_000, 100_000_00, 100, true}, // huge on both sides: 1 000 KZT/kg against 100 000
	} {
		got, ok := valueRatioBps(tc.value, tc.grams, tc.ref)
		if got != tc.want || ok != tc.ok {
			t.Errorf("ratio(%d, %d g, %d) = %d %v, want %d %v", tc.value, tc.grams, tc.ref, got, ok, tc.want, tc.ok)
		}
	}
}
