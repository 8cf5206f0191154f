package customs

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"bricstown/internal/money"
	"bricstown/internal/problem"
	"bricstown/internal/refdata"
)

func TestContainerNumbers(t *testing.T) {
	for _, tc := range []struct {
		in    string
		valid bool
	}{
		{"CSQU3054383", true}, // the ISO 6346 worked example
		{"CSQU 305438 3", true},
		{"csqu-305438-3", true},
		{"MSKU9070323", true},
		{"TEMU4873256", true},
		{"TOLU4734787", true},
		{"APZU4812090", true},
		{"BICU1234565", true},
		{"CSQU3054384", false}, // wrong check digit
		{"CSQU305438", false},  // too short
		{"CSQX3054383", false}, // category must be U, J or Z
		{"C5QU3054383", false}, // digit in the owner code
		{"CSQUA054383", false}, // letter in the serial
		{"", false},
	} {
		if got := ValidContainerNumber(NormalizeContainerNumber(tc.in)); got != tc.valid {
			t.Errorf("%q: valid %v, want %v", tc.in, got, tc.valid)
		}
	}
	// Check digit 10 is written 0.
	for serial := 0; serial < 1000; serial++ {
		s := fmt.Sprintf("ABCU%06d", serial)
		d, ok := ContainerCheckDigit(s)
		if !ok || d < '0' || d > '9' {
			t.Fatalf("%s: %c %v", s, d, ok)
		}
	}
}

func TestDemoTablesCoverRealCodes(t *testing.T) {
	ref := refdata.Default()
	for _, l := range DemoTariff().Lines() {
		if l.Prefix == "*" {
			continue
		}
		if _, ok := ref.HS(l.Prefix[:min(len(l.Prefix), 6)]); !ok {
			t.Errorf("tariff line %d: %s is not an HS 2022 code", l.SourceLine, l.Prefix)
		}
	}
	for p := range DemoReferencePrices().rows {
		if _, ok := ref.HS(p[:min(len(p), 6)]); !ok {
			t.Errorf("reference price %s is not an HS 2022 code", p)
		}
	}
	for _, r := range DemoSPSRules {
		if _, ok := ref.HS(r.Prefix); !ok {
			t.Errorf("SPS rule %s is not an HS 2022 code", r.Prefix)
		}
	}
	for _, r := range DemoRiskRules {
		if _, ok := ref.HS(r.HSPrefix); !ok {
			t.Errorf("risk rule %s: %s is not an HS 2022 code", r.ID, r.HSPrefix)
		}
	}
	// Every good of the demo has its own row, not the default.
	for _, code := range []string{"100199", "151219", "740311", "270112", "851713", "870323", "020130", "090230",
		"090121", "520100", "151110", "080410", "080510", "091020", "720839", "310520", "610910", "620342"} {
		if l, _ := DemoTariff().Lookup(code); l.Prefix == "*" {
			t.Errorf("%s falls to the default row", code)
		}
	}
}

func TestTariffLongestPrefix(t *testing.T) {
	tr := DemoTariff()
	for _, tc := range []struct{ code, prefix string }{
		{"091020", "091020"},     // saffron's own row beats 0910
		{"091011", "0910"},       // ginger: heading row
		{"0910200000", "091020"}, // national code, longest match
		{"870323", "8703"},
		{"8703801000", "870380"},
		{"610910", "61"},
		{"310520", "31"},
		{"847130", "*"}, // laptops: not in the demo table
	} {
		l, ok := tr.Lookup(tc.code)
		if !ok || l.Prefix != tc.prefix {
			t.Errorf("%s: got %q (%v), want %q", tc.code, l.Prefix, ok, tc.prefix)
		}
	}
	// Without a default row an uncovered code has no line.
	strict, err := ParseTariffCSV(strings.NewReader("prefix,ad_valorem_bps,specific_kzt_per_kg,specific_kzt_per_unit,rule,description\n1001,500,0,0,,Wheat\n"))
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := strict.Lookup("847130"); ok {
		t.Error("strict tariff covered an unlisted code")
	}
}

func TestParseTariffCSVErrors(t *testing.T) {
	const header = "prefix,ad_valorem_bps,specific_kzt_per_kg,specific_kzt_per_unit,rule,description\n"
	for _, tc := range []struct{ name, csv, want string }{
		{"header", "code,rate\n", "line 1:"},
		{"empty", "", "no header row"},
		{"no rows", header, "no rows"},
		{"prefix", header + "10x1,500,0,0,,Wheat\n", "line 2: prefix"},
		{"short prefix", header + "1,500,0,0,,x\n", "line 2: prefix"},
		{"negative", header + "# comment\n1001,-5,0,0,,Wheat\n", "line 3: ad_valorem_bps"},
		{"too high", header + "1001,1000001,0,0,,Wheat\n", "line 2: ad_valorem_bps"},
		{"rule", header + "1001,500,10,0,max,Wheat\n", "line 2: rule"},
		{"higher alone", header + "1001,500,0,0,higher,Wheat\n", "line 2: rule higher"},
		{"duplicate", header + "1001,500,0,0,,Wheat\n1002,0,0,0,,Rye\n1001,0,0,0,,Again\n", "line 4: prefix 1001 repeats line 2"},
		{"fields", header + "1001,500,0,0,Wheat\n", "line 2: want 6 fields"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseTariffCSV(strings.NewReader(tc.csv))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want %q", err, tc.want)
			}
		})
	}
	// Several bad rows are all reported.
	_, err := ParseTariffCSV(strings.NewReader(header + "x,1,0,0,,a\n1001,y,0,0,,b\n1002,1,0,0,z,c\n"))
	for _, want := range []string{"line 2", "line 3", "line 4"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("missing %s in %v", want, err)
		}
	}
}

func TestDuty(t *testing.T) {
	for _, tc := range []struct {
		name              string
		line              TariffLine
		value, grams, qty int64
		want              int64
		basis             string
	}{
		{"ad valorem", TariffLine{AdValoremBps: 500}, 1_000_000_00, 1, 1, 5_000_000, "ad_valorem"},
		{"ad valorem tie rounds to even (down)", TariffLine{AdValoremBps: 500}, 10, 1, 1, 0, "ad_valorem"},   // 0.5 → 0
		{"ad valorem tie rounds to even (up)", TariffLine{AdValoremBps: 500}, 30, 1, 1, 2, "ad_valorem"},     // 1.5 → 2
		{"ad valorem above half", TariffLine{AdValoremBps: 1500}, 7, 1, 1, 1, "ad_valorem"},                  // 1.05 → 1
		{"specific per kg", TariffLine{SpecificPerKg: 10000}, 0, 20_500, 1, 205_000, "specific_kg"},          // 100 KZT × 20.5 kg
		{"specific per kg, fraction of a tiyn", TariffLine{SpecificPerKg: 3}, 0, 1_500, 1, 4, "specific_kg"}, // 4.5 → 4
		{"specific per kg, 2.5 → 2", TariffLine{SpecificPerKg: 5}, 0, 500, 1, 2, "specific_kg"},
		{"specific per unit", TariffLine{SpecificPerUnit: 15_000_000}, 0, 1, 3, 45_000_000, "specific_unit"},
		{"higher: ad valorem wins", TariffLine{AdValoremBps: 1500, SpecificPerKg: 10000, Rule: RuleHigher}, 60_000_000_00, 20_000_000, 1, 9_000_000_00, "ad_valorem"},
		{"higher: specific wins", TariffLine{AdValoremBps: 1500, SpecificPerKg: 10000, Rule: RuleHigher}, 1_000_000_00, 20_000_000, 1, 2_000_000_00, "specific_kg"},
		{"sum", TariffLine{AdValoremBps: 1000, SpecificPerUnit: 100_00, Rule: RuleSum}, 1_000_00, 1, 2, 100_00 + 200_00, "sum"},
		{"duty-free", TariffLine{}, 1_000_00, 1, 1, 0, "none"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, basis, err := tc.line.Duty(tc.value, tc.grams, tc.qty)
			if err != nil || got != tc.want || basis != tc.basis {
				t.Fatalf("got %d %s %v, want %d %s", got, basis, err, tc.want, tc.basis)
			}
		})
	}
	if _, _, err := (TariffLine{SpecificPerUnit: 1 << 40}).Duty(0, 1, 1<<40); err == nil {
		t.Error("overflow not reported")
	}
}

func TestAssess(t *testing.T) {
	r := quietRules(t)
	calls := 0
	rates := rateFunc(&calls)

	// Smartphones: 150 000 USD × 500 = 75 000 000 KZT, duty-free (ITA);
	// VAT 12% = 9 000 000; fee 20 000.
	c := smartphones()
	if err := r.Validate(&c, t0); err != nil {
		t.Fatal(err)
	}
	a, err := r.Assess(&c, t0, rates)
	if err != nil {
		t.Fatal(err)
	}
	if a.Lines[0].ValueKZT != 75_000_000_00 || a.DutyKZT != 0 || a.VATKZT != 9_000_000_00 || a.FeeKZT != 20_000_00 ||
		a.TotalKZT != 9_020_000_00 || a.Lines[0].TariffPrefix != "8517" {
		t.Fatalf("smartphones: %+v", a)
	}

	// Beef from Brazil: 15% of 60 000 000 KZT beats 100 KZT/kg × 20 000 kg;
	// VAT is on value plus duty.
	b := beef()
	if err := r.Validate(&b, t0); err != nil {
		t.Fatal(err)
	}
	a, err = r.Assess(&b, t0, rates)
	if err != nil {
		t.Fatal(err)
	}
	if l := a.Lines[0]; l.DutyKZT != 9_000_000_00 || l.Basis != "ad_valorem" || l.VATKZT != 8_280_000_00 {
		t.Fatalf("beef: %+v", l)
	}

	// The same beef of Russian (EAEU) origin: no duty, VAT on the value alone.
	b.Items[0].OriginCountryCode = "RU"
	a, _ = r.Assess(&b, t0, rates)
	if l := a.Lines[0]; l.DutyKZT != 0 || l.Preference != "EAEU" || l.VATKZT != 7_200_000_00 {
		t.Fatalf("EAEU beef: %+v", l)
	}

	// Several items in one currency ask for its rate once; conversion is
	// half-even: 0.05 CNY × 69.87 = 3.4935 KZT → 3.49; 0.15 CNY → 10.4805 → 10.48.
	calls = 0
	m := smartphones()
	m.Items = append(m.Items, m.Items[0], m.Items[0])
	m.Items[0].CustomsValueCurrencyID, m.Items[0].CustomsValueAmount = "CNY", 5
	m.Items[1].CustomsValueCurrencyID, m.Items[1].CustomsValueAmount = "CNY", 15
	m.Items[2].CustomsValueCurrencyID, m.Items[2].CustomsValueAmount = "KZT", 123_45
	if err := r.Validate(&m, t0); err != nil {
		t.Fatal(err)
	}
	a, err = r.Assess(&m, t0, rates)
	if err != nil {
		t.Fatal(err)
	}
	if calls != 1 || len(a.Rates) != 1 || a.Rates[0].Rate.String() != "69.87" {
		t.Fatalf("rates asked %d times: %+v", calls, a.Rates)
	}
	if a.Lines[0].ValueKZT != 349 || a.Lines[1].ValueKZT != 1048 || a.Lines[2].ValueKZT != 123_45 {
		t.Fatalf("values %d %d %d", a.Lines[0].ValueKZT, a.Lines[1].ValueKZT, a.Lines[2].ValueKZT)
	}
	if a.VATKZT != a.Lines[0].VATKZT+a.Lines[1].VATKZT+a.Lines[2].VATKZT || a.TotalKZT != a.DutyKZT+a.VATKZT+a.FeeKZT {
		t.Fatalf("totals %+v", a)
	}

	// Exports and transit pay the fee only.
	for _, proc := range []Procedure{Export, Transit} {
		e := beef()
		e.Procedure = proc
		e.Exporter, e.Importer = e.Importer, e.Exporter
		if err := r.Validate(&e, t0); err != nil {
			t.Fatal(proc, err)
		}
		a, err := r.Assess(&e, t0, rates)
		if err != nil || a.TotalKZT != a.FeeKZT || a.DutyKZT != 0 || a.VATKZT != 0 || a.VATBps != 0 {
			t.Fatalf("%s: %+v %v", proc, a, err)
		}
	}

	// A per-vehicle duty needs the quantity in articles.
	car := smartphones()
	car.Items[0] = Item{Description: "Passenger car, 2.0 l petrol", ClassificationID: "870323", OriginCountryCode: "CN",
		TariffQuantity: 2, TariffQuantityUnitCode: "NAR", NetNetWeightMeasure: 2_800_000, GrossMassMeasure: 2_900_000,
		CustomsValueAmount: 1_000_000_00, CustomsValueCurrencyID: "KZT"} // 500 000 KZT each: 15% < 150 000 per car
	if err := r.Validate(&car, t0); err != nil {
		t.Fatal(err)
	}
	a, err = r.Assess(&car, t0, rates)
	if err != nil || a.Lines[0].DutyKZT != 300_000_00 || a.Lines[0].Basis != "specific_unit" {
		t.Fatalf("cars: %+v %v", a.Lines, err)
	}
	car.Items[0].TariffQuantityUnitCode = "KGM"
	_, err = r.Assess(&car, t0, rates)
	if fieldsOf(err)["goods_items[0].tariff_quantity_unit_code"] == "" {
		t.Fatalf("per-unit duty on kg: %v", err)
	}

	// A currency without a rate is the field's fault; a rate source that is
	// down is not the trader's.
	m.Items[0].CustomsValueCurrencyID = "INR"
	_, err = r.Assess(&m, t0, rates)
	mustCode(t, err, problem.Invalid)
	if !strings.Contains(fieldsOf(err)["goods_items[0].customs_value_currency_id"], "no rate for INR") {
		t.Fatalf("no INR rate: %v", err)
	}
	_, err = r.Assess(&m, t0, func(string, time.Time) (money.Rate, error) { return money.Rate{}, fmt.Errorf("connection refused") })
	mustCode(t, err, problem.Unavailable)
}

func TestSPSRules(t *testing.T) {
	sps, err := NewSPSTable(DemoSPSRules)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		code    string
		cert    DocumentKind
		inspect Inspect
	}{
		{"010221", DocVeterinary, InspectAlways},  // live cattle
		{"020130", DocVeterinary, InspectAlways},  // beef
		{"030214", DocVeterinary, InspectRisk},    // salmon
		{"040120", DocVeterinary, InspectRisk},    // milk
		{"050400", DocVeterinary, InspectRisk},    // guts
		{"060210", DocPhytosanitary, InspectRisk}, // cuttings
		{"070200", DocPhytosanitary, InspectRisk}, // tomatoes
		{"080410", DocPhytosanitary, InspectRisk}, // dates
		{"080510", DocPhytosanitary, InspectRisk}, // oranges
		{"090230", DocPhytosanitary, InspectRisk}, // tea
		{"091020", DocPhytosanitary, InspectRisk}, // saffron
		{"100199", DocPhytosanitary, InspectRisk}, // wheat
		{"120600", DocPhytosanitary, InspectRisk}, // sunflower seeds
		{"160250", DocVeterinary, InspectRisk},    // prepared beef
		{"230990", DocVeterinary, InspectRisk},    // animal feed
		{"230400", DocPhytosanitary, InspectRisk}, // soya oil-cake
		{"440311", DocPhytosanitary, InspectRisk}, // logs
		{"520100", DocPhytosanitary, InspectRisk}, // raw cotton
	} {
		r, ok := sps.Lookup(tc.code)
		if !ok || r.Certificate != tc.cert || r.Inspection != tc.inspect {
			t.Errorf("%s: %+v %v, want %s %s", tc.code, r, ok, tc.cert, tc.inspect)
		}
	}
	for _, code := range []string{"851713", "870323", "740311", "270112", "151219", "151110", "310520", "610910", "720839"} {
		if r, ok := sps.Lookup(code); ok {
			t.Errorf("%s needs no SPS control, got %+v", code, r)
		}
	}

	// A declaration's requirement: every certificate its items need; meat
	// is always inspected; nothing at all for smartphones.
	mixed := []Item{{SequenceNumeric: 1, ClassificationID: "020130"}, {SequenceNumeric: 2, ClassificationID: "080410"}, {SequenceNumeric: 3, ClassificationID: "851713"}}
	st := sps.Evaluate("id", "", mixed)
	if !st.Required || !st.InspectionRequired || st.Status != SPSAwaitingInspection ||
		!slices.Equal(st.Certificates, []DocumentKind{DocPhytosanitary, DocVeterinary}) || len(st.Items) != 2 {
		t.Fatalf("mixed: %+v", st)
	}
	if st := sps.Evaluate("id", "", mixed[2:]); st.Required || st.Status != SPSNotRequired {
		t.Fatalf("smartphones: %+v", st)
	}

	// Risk-based inspection is a reproducible draw at the items' rate.
	always, _ := NewSPSTable([]SPSRule{{Prefix: "08", Certificate: DocPhytosanitary, Inspection: InspectRisk, RateBps: 10_000}})
	never, _ := NewSPSTable([]SPSRule{{Prefix: "08", Certificate: DocPhytosanitary, Inspection: InspectRisk, RateBps: 0}})
	fruit := mixed[1:2]
	if st := always.Evaluate("x", "", fruit); !st.InspectionRequired || st.Items[0].Inspection != InspectSelected {
		t.Fatalf("rate 100%%: %+v", st)
	}
	if st := never.Evaluate("x", "", fruit); st.InspectionRequired || st.Status != SPSCleared {
		t.Fatalf("rate 0: %+v", st)
	}
	selected := 0
	for i := range 10_000 {
		id := fmt.Sprintf("decl-%d", i)
		a := sps.Evaluate(id, "", fruit)
		if a.InspectionRequired != sps.Evaluate(id, "", fruit).InspectionRequired {
			t.Fatal("draw is not reproducible")
		}
		if a.InspectionRequired {
			selected++
		}
	}
	if selected < 900 || selected > 1100 { // fruit: 10%
		t.Errorf("fruit inspected %d of 10 000 times, want about 1 000", selected)
	}
}
