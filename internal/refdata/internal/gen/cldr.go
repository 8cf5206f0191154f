package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// cldrLangs are the platform's languages, in the column order of
// cldr_names.tsv (the same order as refdata's langCodes).
var cldrLangs = []string{"en", "ru", "zh", "kk", "pt"}

// genCLDR writes cldr_names.tsv: the CLDR display names of every active
// currency (codes from currencies.tsv, already generated) and of every
// language all five locales name, one row per code. golang.org/x/text has
// no currency names and an old CLDR (v32) for the rest, so the few names
// needed are copied here from a cldr-json checkout (the "-cldr" directory
// holds LANG/currencies.json and LANG/languages.json of cldr-numbers-full
// and cldr-localenames-full). Alternative forms ("-alt-short") are skipped:
// the standard name is the one a list shows.
func genCLDR(cldr, out string) error {
	if cldr == "" {
		return nil
	}
	type names = map[string]string
	load := func(lang, file, section string) (names, error) {
		b, err := os.ReadFile(filepath.Join(cldr, lang, file))
		if err != nil {
			return nil, err
		}
		var doc struct {
			Main map[string]struct {
				Numbers struct {
					Currencies map[string]struct {
						DisplayName string `json:"displayName"`
					} `json:"currencies"`
				} `json:"numbers"`
				LocaleDisplayNames struct {
					Languages map[string]string `json:"languages"`
				} `json:"localeDisplayNames"`
			} `json:"main"`
		}
		if err := json.Unmarshal(b, &doc); err != nil {
			return nil, fmt.Errorf("%s/%s: %w", lang, file, err)
		}
		m := doc.Main[lang]
		out := names{}
		if section == "currency" {
			for k, v := range m.Numbers.Currencies {
				out[k] = v.DisplayName
			}
		} else {
			for k, v := range m.LocaleDisplayNames.Languages {
				if !strings.Contains(k, "-alt-") {
					out[k] = v
				}
			}
		}
		return out, nil
	}
	var cur, lng [5]names
	for i, l := range cldrLangs {
		var err error
		if cur[i], err = load(l, "currencies.json", "currency"); err != nil {
			return err
		}
		if lng[i], err = load(l, "languages.json", "language"); err != nil {
			return err
		}
	}
	b, err := os.ReadFile(filepath.Join(out, "currencies.tsv"))
	if err != nil {
		return err
	}
	var rows []string
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n")[1:] {
		code := strings.SplitN(line, "\t", 2)[0]
		row := []string{"currency", code}
		for i := range cldrLangs {
			n := cur[i][code]
			if n == "" {
				n = cur[0][code] // CLDR names every ISO code in English
			}
			row = append(row, n)
		}
		if row[2] == "" {
			continue // a code CLDR does not name (test codes): the ISO name stays
		}
		rows = append(rows, strings.Join(row, "\t"))
	}
	var codes []string
	for code := range lng[0] {
		all := true
		for i := range cldrLangs {
			all = all && lng[i][code] != ""
		}
		if all {
			codes = append(codes, code)
		}
	}
	sort.Strings(codes)
	for _, code := range codes {
		row := []string{"language", code}
		for i := range cldrLangs {
			row = append(row, lng[i][code])
		}
		rows = append(rows, strings.Join(row, "\t"))
	}
	for _, r := range rows {
		if strings.ContainsAny(r, "\n\r") || strings.Count(r, "\t") != 6 {
			return fmt.Errorf("bad CLDR row %q", r)
		}
	}
	text := "kind\tcode\ten\tru\tzh\tkk\tpt\n" + strings.Join(rows, "\n") + "\n"
	return os.WriteFile(filepath.Join(out, "cldr_names.tsv"), []byte(text), 0o644)
}
