package ui

import (
	"net/http"
	"strings"

	"bricstown/internal/refdata"
)

// hsLabel is an HS code's text in lang, followed by "(English)" in lang's
// words when the nomenclature has no text in lang for it (headings and
// subheadings: only chapter titles are translated).
func (p *Pages) hsLabel(h refdata.HSCode, lang string) string {
	if h.InLanguage(lang) {
		return h.Text(lang)
	}
	return h.Text(lang) + " " + p.cat.Text(lang, "hs.english")
}

func (p *Pages) countryName(code, lang string) string {
	if c, ok := p.Ref.Country(code); ok {
		return c.Name(lang)
	}
	return code
}

// CountryOption is a country in a form's select.
type CountryOption struct{ Code, Name string }

// townCountries lists BRICS members and partners first (the town's own
// community), then every other country, each group by name in lang.
func (p *Pages) townCountries(lang string) []CountryOption {
	var town, rest []CountryOption
	inTown := map[string]bool{}
	for _, m := range p.Ref.BRICSCountries() {
		inTown[m.Country] = true
	}
	for _, c := range p.Ref.Countries() {
		o := CountryOption{c.Alpha2, c.Name(lang)}
		if inTown[c.Alpha2] {
			town = append(town, o)
		} else {
			rest = append(rest, o)
		}
	}
	name := func(c CountryOption) string { return c.Name }
	sortByName(lang, town, name)
	sortByName(lang, rest, name)
	return append(town, rest...)
}

// refRow is a row of the reference pages, already in the page's language.
type hsRow struct {
	Code, Text string
	Level      int
}

func (p *Pages) hsRows(q, lang string) []hsRow {
	var rows []hsRow
	for _, h := range p.Ref.SearchHS(q, lang, 50) {
		rows = append(rows, hsRow{h.Code, p.hsLabel(h, lang), h.Level})
	}
	return rows
}

// RefPage browses the reference data: the town's countries and their
// currencies, and HS 2022 search.
func (p *Pages) RefPage(w http.ResponseWriter, r *http.Request) {
	v := p.view(w, r, "ref.title", nil)
	type countryRow struct {
		Code, Name, Status, Currency string
		Since                        int
		Minor                        int
	}
	var rows []countryRow
	for _, m := range p.Ref.BRICSCountries() {
		c, _ := p.Ref.Country(m.Country)
		row := countryRow{Code: m.Country, Name: c.Name(v.Lang), Status: string(m.Status), Since: m.Since}
		if len(c.Currencies) > 0 {
			row.Currency = c.Currencies[0]
			if cur, ok := p.Ref.Currency(row.Currency); ok {
				row.Minor = cur.MinorUnits
			}
		}
		rows = append(rows, row)
	}
	q := strings.TrimSpace(r.URL.Query().Get("q"))
	v.Data = map[string]any{"Countries": rows, "Q": q, "HS": p.hsRows(q, v.Lang), "Sections": len(p.Ref.HSSections())}
	p.render(w, r, http.StatusOK, "ref", v)
}

// RefHSPartial answers the HS search box's htmx requests with the result rows.
func (p *Pages) RefHSPartial(w http.ResponseWriter, r *http.Request) {
	v := p.view(w, r, "ref.title", nil)
	q := strings.TrimSpace(r.URL.Query().Get("q"))
	v.Data = map[string]any{"Q": q, "HS": p.hsRows(q, v.Lang)}
	p.renderPartial(w, r, "ref", "hsresults", v)
}

// currencyNamesIn puts the CLDR names of a page's currency pick list
// (v.Data["Currencies"], built by townCurrencies with ISO's English names)
// into the viewer's language. It runs once in render, so every page with a
// currency select shows "казахский тенге" or "Tenge cazaque" without each
// page builder having to pass the language down.
func (p *Pages) currencyNamesIn(v *View) {
	m, ok := v.Data.(map[string]any)
	if !ok {
		return
	}
	opts, ok := m["Currencies"].([]CurrencyOption)
	if !ok {
		return
	}
	out := make([]CurrencyOption, len(opts))
	for i, o := range opts {
		out[i] = CurrencyOption{o.Code, p.Ref.CurrencyName(o.Code, v.Lang)}
	}
	m["Currencies"] = out
}
