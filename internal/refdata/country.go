package refdata

import (
	"fmt"
	"strings"

	"bricstown/internal/problem"
)

// Country is an ISO 3166-1 country with its names in the platform's
// languages. Names are plain fields rather than a map so that a Country is a
// self-contained value: copying it out of Data can never expose shared state.
type Country struct {
	Alpha2  string `json:"alpha2"`  // e.g. "KZ"
	Alpha3  string `json:"alpha3"`  // e.g. "KAZ"
	Numeric string `json:"numeric"` // three digits with leading zeros, e.g. "398"

	NameEN string `json:"name_en"` // ISO short name, e.g. "Russian Federation"
	NameRU string `json:"name_ru"` // UNTERM Russian short name
	NameZH string `json:"name_zh"` // UNTERM Chinese short name
	NameKK string `json:"name_kk"` // hand-written; empty where none exists (Name falls back to English)
	NamePT string `json:"name_pt"` // hand-written; empty where none exists (Name falls back to English)

	// Currencies are the ISO 4217 codes in use in the country as listed by
	// the source (for example "INR BTN" for Bhutan). It can be empty: the
	// source lists none for Antarctica, South Georgia and, as of the embedded
	// version, Türkiye. The slice is the caller's own copy.
	Currencies []string `json:"currencies"`
}

// Name returns the country name in lang (en, ru, zh, kk, pt; "pt-BR" and the
// like are accepted) and falls back to English, so a UI can always print
// something.
func (c Country) Name(lang string) string {
	var n string
	switch langIndex(lang) {
	case langRU:
		n = c.NameRU
	case langZH:
		n = c.NameZH
	case langKK:
		n = c.NameKK
	case langPT:
		n = c.NamePT
	}
	if n == "" {
		n = c.NameEN
	}
	return n
}

func (d *Data) loadCountries() error {
	d.countryIdx = make(map[string]int32, 3*250)
	err := eachRow("countries.tsv", countriesTSV, []string{"alpha2", "alpha3", "numeric", "en", "ru", "zh", "currencies"}, func(f []string) error {
		if !isUpperAlpha(f[0], 2) || !isUpperAlpha(f[1], 3) || !isDigits(f[2], 3) || f[3] == "" {
			return fmt.Errorf("bad country row %q", f)
		}
		c := Country{Alpha2: f[0], Alpha3: f[1], Numeric: f[2], NameEN: f[3], NameRU: f[4], NameZH: f[5]}
		if f[6] != "" {
			c.Currencies = strings.Fields(f[6])
			for _, cur := range c.Currencies {
				if _, ok := d.currencyIdx[cur]; !ok {
					return fmt.Errorf("%s: currency %s is not an active ISO 4217 code", c.Alpha2, cur)
				}
			}
		}
		i := int32(len(d.countries))
		for _, k := range []string{c.Alpha2, c.Alpha3, c.Numeric} {
			if _, dup := d.countryIdx[k]; dup {
				return fmt.Errorf("code %s listed twice", k)
			}
			d.countryIdx[k] = i
		}
		d.countries = append(d.countries, c)
		return nil
	})
	if err != nil {
		return err
	}
	return eachRow("country_names.tsv", countryNamesTSV, []string{"alpha2", "kk", "pt"}, func(f []string) error {
		i, ok := d.countryIdx[f[0]]
		if !ok || len(f[0]) != 2 {
			return fmt.Errorf("unknown country %q", f[0])
		}
		if f[1] == "" || f[2] == "" {
			return fmt.Errorf("%s: missing name", f[0])
		}
		d.countries[i].NameKK, d.countries[i].NamePT = f[1], f[2]
		return nil
	})
}

// countryIndex resolves alpha-2, alpha-3 or numeric codes in any case; codes
// come from forms, UN/LOCODEs and customs files that use all three.
func (d *Data) countryIndex(code string) (int32, bool) {
	code = strings.ToUpper(strings.TrimSpace(code))
	switch len(code) {
	case 2, 3:
	default:
		return 0, false
	}
	i, ok := d.countryIdx[code]
	return i, ok
}

// Country finds a country by alpha-2 ("KZ") or alpha-3 ("KAZ") code, in any
// case; the three-digit numeric code ("398") works too because customs
// declarations use it.
func (d *Data) Country(code string) (Country, bool) {
	i, ok := d.countryIndex(code)
	if !ok {
		return Country{}, false
	}
	return d.countries[i].clone(), true
}

// LookupCountry is Country for request handlers, telling a malformed code
// (problem.Invalid) from an unknown one (problem.NotFound).
func (d *Data) LookupCountry(code string) (Country, error) {
	c := strings.ToUpper(strings.TrimSpace(code))
	if !(isUpperAlpha(c, 2) || isUpperAlpha(c, 3) || isDigits(c, 3)) {
		return Country{}, problem.New(problem.Invalid, "country code must be ISO 3166-1 alpha-2, alpha-3 or numeric, got %q", code)
	}
	cty, ok := d.Country(c)
	if !ok {
		return Country{}, problem.New(problem.NotFound, "no ISO 3166-1 country %q", c)
	}
	return cty, nil
}

// Countries returns all countries sorted by alpha-2 code, as fresh copies.
func (d *Data) Countries() []Country {
	out := make([]Country, len(d.countries))
	for i := range d.countries {
		out[i] = d.countries[i].clone()
	}
	return out
}

func (c Country) clone() Country {
	if c.Currencies != nil {
		c.Currencies = append([]string(nil), c.Currencies...)
	}
	return c
}
