package refdata

import (
	"fmt"
	"strings"

	"bricstown/internal/problem"
)

// Country is an ISO 3166-1 country with its names in the platform's
// languages. Names are plain fields rather than a map so that a Country is a
// self-contained value: copying it out of Data can never expose shared state.
//
// The Name* fields are CLDR display names (the short, nominative names people
// use: "Russia", "Аландские о-ва"), taken from golang.org/x/text's CLDR tables
// at load time; they are never empty, because a region CLDR does not name in
// a language gets the English name (NameFallbacks lists those). ISOName is the
// ISO 3166 English short name ("Russian Federation"), kept apart because
// customs paperwork quotes the official form.
type Country struct {
	Alpha2  string `json:"alpha2"`  // e.g. "KZ"
	Alpha3  string `json:"alpha3"`  // e.g. "KAZ"
	Numeric string `json:"numeric"` // three digits with leading zeros, e.g. "398"

	ISOName string `json:"iso_name"` // ISO 3166 English short name, e.g. "Russian Federation"

	NameEN string `json:"name_en"` // CLDR English, e.g. "Russia"
	NameRU string `json:"name_ru"` // CLDR Russian
	NameZH string `json:"name_zh"` // CLDR Chinese (simplified)
	NameKK string `json:"name_kk"` // CLDR Kazakh
	NamePT string `json:"name_pt"` // CLDR Portuguese (Brazilian usage)

	// Currencies are the ISO 4217 codes in use in the country as listed by
	// the source (for example "INR BTN" for Bhutan). It can be empty: the
	// source lists none for Antarctica, South Georgia and, as of the embedded
	// version, Türkiye. The slice is the caller's own copy.
	Currencies []string `json:"currencies"`
}

// Name returns the country name in lang (en, ru, zh, kk, pt; "pt-BR" and the
// like are accepted); an unknown language gets English, so a UI can always
// print something.
func (c Country) Name(lang string) string {
	switch langIndex(lang) {
	case langRU:
		return c.NameRU
	case langZH:
		return c.NameZH
	case langKK:
		return c.NameKK
	case langPT:
		return c.NamePT
	}
	return c.NameEN
}

func (c *Country) setNames(n [numLangs]string) {
	c.NameEN, c.NameRU, c.NameZH, c.NameKK, c.NamePT = n[langEN], n[langRU], n[langZH], n[langKK], n[langPT]
}

// NameFallbacks lists the names CLDR lacks, as "lang:alpha2" ("kk:XK"), which
// show in English instead (or, without an English CLDR name, as the ISO
// name). data/NOTICE states the list, and a test keeps the two in step.
func (d *Data) NameFallbacks() []string { return append([]string(nil), d.nameFallbacks...) }

func (d *Data) loadCountries() error {
	d.countryIdx = make(map[string]int32, 3*250)
	namers := regionNamers()
	return eachRow("countries.tsv", countriesTSV, []string{"alpha2", "alpha3", "numeric", "en", "currencies"}, func(f []string) error {
		if !isUpperAlpha(f[0], 2) || !isUpperAlpha(f[1], 3) || !isDigits(f[2], 3) || f[3] == "" {
			return fmt.Errorf("bad country row %q", f)
		}
		c := Country{Alpha2: f[0], Alpha3: f[1], Numeric: f[2], ISOName: f[3]}
		names := cldrRegionNames(namers, c.Alpha2)
		if names[langEN] == "" {
			names[langEN] = c.ISOName
			d.nameFallbacks = append(d.nameFallbacks, "en:"+c.Alpha2)
		}
		for i := range names {
			if names[i] == "" {
				names[i] = names[langEN]
				d.nameFallbacks = append(d.nameFallbacks, langCodes[i]+":"+c.Alpha2)
			}
		}
		c.setNames(names)
		if f[4] != "" {
			c.Currencies = strings.Fields(f[4])
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
