// Package refdata holds the reference data the platform checks trade
// documents against: ISO 4217 currencies, ISO 3166 countries, BRICS and EAEU
// membership, the HS 2022 goods nomenclature and UN/LOCODE locations for the
// BRICS member and partner countries.
//
// The data is compiled into the binary (go:embed) so that a deployed server
// never depends on files or network services being present, and a given
// binary always validates against the same data. Load parses it into an
// immutable *Data; the server uses Default, which parses once. All lookups
// are safe for concurrent use because nothing is mutated after Load returns.
//
// The embedded files live in data/ with their sources and licences listed in
// data/NOTICE; internal/gen regenerates the upstream-derived ones.
package refdata

//go:generate go run ./internal/gen -src /work/shared/data -out data

import (
	_ "embed"
	"fmt"
	"strings"
	"sync"
)

var (
	//go:embed data/currencies.tsv
	currenciesTSV string
	//go:embed data/countries.tsv
	countriesTSV string
	//go:embed data/membership.tsv
	membershipTSV string
	//go:embed data/hs_sections.tsv
	hsSectionsTSV string
	//go:embed data/hs.tsv
	hsTSV string
	//go:embed data/hs_chapters_i18n.tsv
	hsChaptersI18nTSV string
	//go:embed data/locodes.tsv
	locodesTSV string
	//go:embed data/locodes_alt.tsv
	locodesAltTSV string
	//go:embed data/locode_aliases.tsv
	locodeAliasesTSV string
	//go:embed data/cldr_names.tsv
	cldrNamesTSV string
	//go:embed data/LICENSE.cldr
	cldrLicenseText string
	//go:embed data/NOTICE
	noticeText string
	//go:embed data/LICENSE.unlocode
	unlocodeLicenseText string
)

// Notice returns the attribution and licence text of the embedded data sets.
// The MIT licence of the UN/LOCODE extract requires its notice to travel with
// every copy, and the binary is a copy, so the server should expose this
// (for example on an /about or /licenses page).
func Notice() string {
	return noticeText + "\n\n---- LICENSE of geoapify/un-locode (data/LICENSE.unlocode) ----\n\n" + unlocodeLicenseText +
		"\n\n---- LICENSE of unicode-org/cldr-json (data/LICENSE.cldr) ----\n\n" + cldrLicenseText
}

// Data is one parsed, immutable snapshot of all reference data. It is a value
// rather than package state so that tests and tools can hold their own copy
// and so that nothing can change underneath a running request.
type Data struct {
	currencies  []Currency
	currencyIdx map[string]int32

	countries  []Country
	countryIdx map[string]int32 // alpha-2, alpha-3 and numeric keys
	// nameFallbacks are the "lang:alpha2" names CLDR lacks (see NameFallbacks).
	nameFallbacks []string

	memberships []Membership // sorted by bloc, status, since, country

	hsSections []HSSection
	hs         []HSCode // sorted by code, so prefixes are contiguous
	hsIdx      map[string]int32
	hsChildren [][]int32
	hsChapters []int32   // indexes of the level-2 rows
	hsVocab    []string  // sorted stems of the English descriptions
	hsPosting  [][]int32 // hsVocab[i] occurs in the entries hsPosting[i]
	hsPostPos  [][]uint8 // word position of that stem in each entry, capped at 255
	hsI18n     []chapterTitles

	locations []Location // sorted by code, so a country is contiguous
	locIdx    map[string]int32
	locNames  [][]string // normalised searchable names per location
	locKeys   []nameKey  // every word start of every name, sorted
	locIATA   map[string][]int32
}

var (
	defaultOnce sync.Once
	defaultData *Data
	defaultErr  error
)

// Default returns the process-wide Data, parsing the embedded files on first
// use. It panics if they do not parse: they are compiled in and covered by
// the package tests, so a failure is a broken build, not a condition a
// caller could handle at run time.
func Default() *Data {
	defaultOnce.Do(func() { defaultData, defaultErr = Load() })
	if defaultErr != nil {
		panic("refdata: embedded data is broken: " + defaultErr.Error())
	}
	return defaultData
}

// Load parses the embedded data into a new immutable Data. Most callers want
// Default; Load exists for tests, benchmarks and tools that must not share
// state.
func Load() (*Data, error) {
	d := &Data{}
	steps := []struct {
		name string
		fn   func() error
	}{
		{"currencies", d.loadCurrencies},
		{"countries", d.loadCountries},
		{"membership", d.loadMemberships},
		{"hs", d.loadHS},
		{"locodes", d.loadLocations},
		{"cldr names", func() error { _, err := cldrNames(); return err }},
	}
	for _, s := range steps {
		if err := s.fn(); err != nil {
			return nil, fmt.Errorf("refdata: %s: %w", s.name, err)
		}
	}
	return d, nil
}

// eachRow walks a tab-separated table: '#' lines are comments, the first
// other line is the header and must match want exactly (so a regenerated
// file with moved columns fails loudly), and every row must have as many
// fields. fn gets a slice that is reused between rows.
func eachRow(name, text string, want []string, fn func(f []string) error) error {
	fields := make([]string, len(want))
	header := true
	line := 0
	for len(text) > 0 {
		var l string
		if i := strings.IndexByte(text, '\n'); i >= 0 {
			l, text = text[:i], text[i+1:]
		} else {
			l, text = text, ""
		}
		line++
		l = strings.TrimSuffix(l, "\r")
		if l == "" || l[0] == '#' {
			continue
		}
		n := 0
		for n < len(want)-1 {
			i := strings.IndexByte(l, '\t')
			if i < 0 {
				break
			}
			fields[n], l = l[:i], l[i+1:]
			n++
		}
		if strings.IndexByte(l, '\t') >= 0 || n != len(want)-1 {
			return fmt.Errorf("%s:%d: want %d tab-separated fields", name, line, len(want))
		}
		fields[n] = l
		if header {
			for i := range want {
				if fields[i] != want[i] {
					return fmt.Errorf("%s:%d: column %d is %q, want %q", name, line, i+1, fields[i], want[i])
				}
			}
			header = false
			continue
		}
		if err := fn(fields); err != nil {
			return fmt.Errorf("%s:%d: %w", name, line, err)
		}
	}
	if header {
		return fmt.Errorf("%s: no header", name)
	}
	return nil
}

// clampLimit applies the shared result-size policy of the search functions:
// a missing limit means a page of 20 and nobody gets more than MaxResults,
// so a single request cannot make the server copy the whole table.
func clampLimit(limit int) int {
	switch {
	case limit <= 0:
		return DefaultResults
	case limit > MaxResults:
		return MaxResults
	}
	return limit
}

// Result-size policy of SearchHS and SearchLocations.
const (
	// DefaultResults is used when the caller passes a limit of zero or less,
	// so that forgetting the parameter still returns a usable page.
	DefaultResults = 20
	// MaxResults caps every search, because results are copied out and a
	// broad query ("a") would otherwise return thousands of rows.
	MaxResults = 100
)
