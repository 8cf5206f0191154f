package refdata

import (
	"strings"
	"testing"
)

// Every money currency has a name in each language, and the names people
// see most are the languages' own, not English copies.
func TestCurrencyNamesCLDR(t *testing.T) {
	d := Default()
	for _, c := range d.Currencies() {
		if !c.IsMoney() {
			continue
		}
		for _, l := range langCodes {
			if n := d.CurrencyName(c.Code, l); n == "" || n == c.Code {
				t.Errorf("%s in %s: %q", c.Code, l, n)
			}
		}
	}
	want := map[string][numLangs]string{
		"KZT": {"Kazakhstani Tenge", "казахский тенге", "哈萨克斯坦坚戈", "Қазақстан теңгесі", "Tenge cazaque"},
		"BRL": {"Brazilian Real", "бразильский реал", "巴西雷亚尔", "Бразилия реалы", "Real brasileiro"},
	}
	for code, names := range want {
		for i, l := range langCodes {
			if got := d.CurrencyName(strings.ToLower(code), l); got != names[i] {
				t.Errorf("CurrencyName(%s, %s) = %q, want %q", code, l, got, names[i])
			}
		}
	}
	// Every currency of a BRICS member or partner is named in each
	// language in its own words; CLDR's Kazakh lacks only fund and
	// accounting units (BOV, CLF, XDR...) and a few rare codes.
	for _, m := range d.BRICSCountries() {
		cty, _ := d.Country(m.Country)
		for _, code := range cty.Currencies {
			for _, l := range []string{"ru", "zh", "kk", "pt"} {
				if d.CurrencyName(code, l) == d.CurrencyName(code, "en") {
					t.Errorf("%s (%s) in %s is the English name %q", code, cty.Alpha2, l, d.CurrencyName(code, l))
				}
			}
		}
	}
	if got := d.CurrencyName("ZZZ", "ru"); got != "ZZZ" {
		t.Errorf("unknown code: %q", got)
	}
}

func TestLanguageNamesCLDR(t *testing.T) {
	cases := []struct{ tag, in, want string }{
		{"kk", "", "қазақ тілі"},
		{"kk", "pt", "cazaque"},
		{"pt", "kk", "португал тілі"},
		{"zh", "ru", "китайский"},
		{"ru", "zh", "俄语"},
		{"en", "kk", "ағылшын тілі"},
		{"xx-invalid-", "en", "xx-invalid-"},
	}
	for _, c := range cases {
		if got := LanguageName(c.tag, c.in); got != c.want {
			t.Errorf("LanguageName(%q, %q) = %q, want %q", c.tag, c.in, got, c.want)
		}
	}
}

// Country names are nominative and carry no footnote marks (UNTERM's
// "Государство Палестина *" and "Аландских островов" must never return).
func TestCountryNamesClean(t *testing.T) {
	d := Default()
	for _, c := range d.Countries() {
		for _, l := range langCodes {
			n := c.Name(l)
			if strings.ContainsAny(n, "*†‡¹²") || strings.TrimSpace(n) != n {
				t.Errorf("%s in %s: %q", c.Alpha2, l, n)
			}
		}
	}
	ax, _ := d.Country("AX")
	if strings.Contains(ax.NameRU, "островов") || !strings.HasPrefix(ax.NameRU, "Аландские") {
		t.Errorf("AX in Russian = %q, want the nominative", ax.NameRU)
	}
	if n := len(d.Countries()); n < 249 {
		t.Errorf("%d countries", n)
	}
	if fb := d.NameFallbacks(); len(fb) != 0 {
		t.Errorf("country names falling back to English: %v", fb)
	}
	latin := 0
	for _, c := range d.Countries() {
		if !strings.ContainsFunc(c.NameKK, func(r rune) bool { return r >= 0x400 && r <= 0x4FF }) {
			latin++
		}
	}
	if latin > 0 {
		t.Errorf("%d Kazakh country names without a Cyrillic letter", latin)
	}
}
