package ui

import (
	"strings"
	"testing"

	"bricstown/internal/customs"
	"bricstown/internal/problem"
	"bricstown/internal/refdata"
)

// History lines, findings and quarantine rule names come out in the page's
// language, for events with kinds and for lines stored in English before
// kinds existed.
func TestHistoryInLanguage(t *testing.T) {
	p, err := New(Deps{Ref: refdata.Default()})
	if err != nil {
		t.Fatal(err)
	}
	ru := &View{Lang: "ru", cat: p.cat}
	cases := []struct {
		e    customs.Event
		want string
	}{
		{customs.Event{Action: customs.ActCreate, Kind: customs.EvCreated,
			Params: &customs.EventParams{Procedure: customs.Export, Items: 2, BorderPost: "KZHOR"}}, "Экспорт, 2 товара, пункт пропуска KZHOR"},
		{customs.Event{Action: customs.ActCreate, Detail: "export, 5 goods item(s), KZHOR"}, "Экспорт, 5 товаров, пункт пропуска KZHOR"},
		{customs.Event{Action: customs.ActAssignLane, Detail: "lane green"}, "Оценка риска: " + p.cat.Text("ru", "customs.lane.green")},
		{customs.Event{Action: customs.ActAssess, Detail: "duty 0.00, VAT 1250.00, fee 0.00, total 1250.00 KZT"}, "Пошлина 0,00, НДС 1\u202f250,00"},
		{customs.Event{Action: customs.ActRelease, Detail: "checked on site"}, "checked on site"},
		{customs.Event{Action: customs.ActAssess, Detail: "an unknown old line"}, "an unknown old line"},
	}
	for _, c := range cases {
		if got := p.eventText(ru, c.e); !strings.HasPrefix(got, c.want) {
			t.Errorf("%+v: %q, want it to start with %q", c.e, got, c.want)
		}
	}
	f := customs.RiskReason{RuleID: "R-TGT-8517", Description: "Smartphones: undervaluation-prone electronics (goods item 3)",
		Params: &customs.FindingParams{Item: 3}}
	if got := p.findingText(ru, f); got != "Смартфоны: электроника, склонная к занижению стоимости (товар № 3)" {
		t.Errorf("finding: %q", got)
	}
	f.Params = nil // recorded before findings had figures
	if got := p.findingText(ru, f); got != f.Description {
		t.Errorf("old finding: %q", got)
	}
	if got := p.spsRuleName(ru, "0701", "Potatoes"); got != "Potatoes" {
		t.Errorf("unknown rule: %q", got)
	}
	if got := p.spsRuleName(ru, "07", "Vegetables"); got != "Овощи" {
		t.Errorf("demo rule: %q", got)
	}
	// Every demo rule has a name in the catalogue.
	for _, r := range customs.DemoSPSRules {
		if !p.has("sps.rule." + r.Prefix) {
			t.Errorf("no catalogue name for SPS rule %s", r.Prefix)
		}
	}
	for _, r := range customs.DemoRiskRules {
		if !p.has("risk.rule." + r.ID) {
			t.Errorf("no catalogue name for risk rule %s", r.ID)
		}
	}
}

// Every coded field message has a text in the catalogues, quoting as many
// values as the English message does, and a page in another language shows
// it in that language.
func TestFieldMessagesInLanguage(t *testing.T) {
	p, err := New(Deps{Ref: refdata.Default()})
	if err != nil {
		t.Fatal(err)
	}
	for _, code := range problem.FieldCodes() {
		if !p.has("field.msg." + code) {
			t.Errorf("no catalogue text for field message %s", code)
		}
	}
	kk := &View{Lang: "kk", cat: p.cat}
	if got, ok := p.fieldMessage(kk, "at most 500 characters"); !ok || got != "500 таңбадан аспауы керек" {
		t.Errorf("kk: %q %v", got, ok)
	}
	if got, ok := p.fieldMessage(kk, "something no code covers"); ok || got != "something no code covers" {
		t.Errorf("uncoded: %q %v", got, ok)
	}
	errs := p.customsFieldErrs(kk, &problem.Error{Code: problem.Invalid, Fields: map[string]string{"goods_items[0].origin_country_code": `unknown ISO 3166 country "XX"`}})
	if fe := errs["goods_items[0].origin_country_code"]; strings.Contains(fe.String(), "unknown") {
		t.Errorf("kk field error keeps English: %q", fe.String())
	}
}
