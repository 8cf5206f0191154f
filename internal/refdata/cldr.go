package refdata

import (
	"fmt"
	"strings"
	"sync"

	"golang.org/x/text/language"
	"golang.org/x/text/language/display"
)

// cldrTags are the CLDR locales whose names the platform shows, in langCodes
// order. Portuguese is CLDR's "pt", which is Brazilian usage (Irã, not Irão),
// matching the town's Brazilian partners; Chinese is "zh", simplified script.
var cldrTags = [numLangs]language.Tag{language.English, language.Russian, language.Chinese, language.Kazakh, language.Portuguese}

// cldrRegionOverrides holds the few names that changed in CLDR after the
// snapshot golang.org/x/text embeds (display.CLDRVersion, "32"): the values
// are those of current CLDR releases. Showing "Macedonia" or "Swaziland" to a
// trade partner would be an error, not a style choice. Only languages whose
// name changed are listed; the rest come from x/text.
var cldrRegionOverrides = map[string]map[string]string{
	"MK": {"en": "North Macedonia", "ru": "Северная Македония", "zh": "北马其顿", "kk": "Солтүстік Македония", "pt": "Macedônia do Norte"},
	"SZ": {"en": "Eswatini", "ru": "Эсватини", "kk": "Эсватини", "pt": "Essuatíni"},
	"TR": {"en": "Türkiye"},
}

// cldrRegionNames returns the CLDR display name of an ISO 3166 region in each
// of the platform's languages; an entry is empty where CLDR has none.
func cldrRegionNames(namers *[numLangs]display.Namer, alpha2 string) [numLangs]string {
	var out [numLangs]string
	r, err := language.ParseRegion(alpha2)
	for i := range out {
		if n, ok := cldrRegionOverrides[alpha2][langCodes[i]]; ok {
			out[i] = n
			continue
		}
		if err == nil {
			out[i] = namers[i].Name(r)
		}
	}
	return out
}

func regionNamers() *[numLangs]display.Namer {
	var ns [numLangs]display.Namer
	for i, t := range cldrTags {
		ns[i] = display.Regions(t)
	}
	return &ns
}

// LanguageName returns the CLDR name of the language tag (for example "kk",
// "pt-BR") in the UI language inLang, or, when inLang is empty, in the
// language itself ("қазақ тілі"), as a language switcher shows it. An
// unsupported inLang means English, like everywhere in this package; a tag
// that does not parse or that CLDR does not name is returned unchanged so a
// page still shows something.
func LanguageName(tag, inLang string) string {
	t, err := language.Parse(strings.TrimSpace(tag))
	if err != nil {
		return tag
	}
	var n string
	names, _ := cldrNames()
	if inLang == "" {
		// A language's name in itself: the table's column for it, when it
		// is one of the platform's languages.
		if row, ok := names["language:"+t.String()]; ok && langCodes[langIndex(t.String())] == t.String() {
			return row[langIndex(t.String())]
		}
		n = display.Self.Name(t)
	} else if row, ok := names["language:"+t.String()]; ok {
		return row[langIndex(inLang)]
	} else {
		n = display.Languages(cldrTags[langIndex(inLang)]).Name(t)
	}
	if n == "" {
		return tag
	}
	return n
}

// cldrNames are the CLDR 47 currency and language names of
// data/cldr_names.tsv, keyed "currency:KZT" and "language:pt-BR", parsed
// once: LanguageName is a package function called while pages render.
var cldrNames = sync.OnceValues(func() (map[string][numLangs]string, error) {
	out := make(map[string][numLangs]string, 650)
	err := eachRow("cldr_names.tsv", cldrNamesTSV, []string{"kind", "code", "en", "ru", "zh", "kk", "pt"}, func(f []string) error {
		var n [numLangs]string
		for i := range n {
			if f[2+i] == "" {
				return fmt.Errorf("%s %s: empty name", f[0], f[1])
			}
			n[i] = f[2+i]
		}
		k := f[0] + ":" + f[1]
		if _, dup := out[k]; dup {
			return fmt.Errorf("%s listed twice", k)
		}
		out[k] = n
		return nil
	})
	return out, err
})

// CurrencyName returns the CLDR name of an ISO 4217 currency in lang
// ("казахский тенге", "Tenge cazaque"); an unsupported lang means English.
// A code CLDR does not name gets the ISO English name, an unknown code is
// returned as it came, so a page always shows something.
func (d *Data) CurrencyName(code, lang string) string {
	names, _ := cldrNames()
	c := strings.ToUpper(strings.TrimSpace(code))
	if n, ok := names["currency:"+c]; ok {
		return n[langIndex(lang)]
	}
	if cur, ok := d.Currency(c); ok {
		return cur.Name
	}
	return code
}
