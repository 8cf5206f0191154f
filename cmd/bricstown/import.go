package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"

	"bricstown/internal/customs"
	"bricstown/internal/refdata"
)

// importCmd loads reference tables from files. Today: the customs tariff.
func importCmd(ctx context.Context, e *env, args []string) error {
	if len(args) > 0 && args[0] == "reference-rates" {
		return importReferenceRates(ctx, e, args[1:])
	}
	if len(args) == 0 || args[0] != "tariff" {
		fmt.Fprintln(e.stderr, "Usage: bricstown import tariff --csv FILE [--json]")
		fmt.Fprintln(e.stderr, "       bricstown import reference-rates --csv FILE [--db …]")
		return usageError{"import: expected 'tariff' or 'reference-rates'"}
	}
	return importTariff(ctx, e, args[1:])
}

// tariffReport is what `import tariff` finds in a file.
type tariffReport struct {
	File  string `json:"file"`
	Valid bool   `json:"valid"`
	// Lines counts the file's lines; Rows the tariff rows parsed from them
	// (comments, the header and blank lines are not rows).
	Lines int      `json:"lines"`
	Rows  int      `json:"rows"`
	Errs  []string `json:"errors,omitempty"`
	// Warnings are rows that parse but look wrong: prefixes that match no
	// HS 2022 code.
	Warnings    []string       `json:"warnings,omitempty"`
	DefaultRow  bool           `json:"default_row"`
	ByBasis     map[string]int `json:"rows_by_basis,omitempty"`
	ByPrefixLen map[int]int    `json:"rows_by_prefix_digits,omitempty"`
	ChangedRows int            `json:"rows_differing_from_demo"`
	NewPrefixes int            `json:"prefixes_not_in_demo"`
	DroppedDemo int            `json:"demo_prefixes_missing"`
	Stored      bool           `json:"stored"`
}

// importTariff validates a tariff CSV in the format of the embedded demo
// table with customs.ParseTariffCSV and prints a summary: rows, every error
// with its line number, rows whose prefix matches no HS 2022 code, the
// kinds of duty, and how the file differs from the demo tariff. It exits
// non-zero on a file with errors. A valid file is put in force with
// `bricstown serve --tariff FILE` (tariffs are configuration, loaded and
// checked at start, like the USD comparison table).
func importTariff(ctx context.Context, e *env, args []string) error {
	f := newFlags(e, "import tariff", "import tariff --csv FILE [--json]")
	path := f.string("csv", "BRICSTOWN_IMPORT_CSV", "", "tariff CSV: prefix,ad_valorem_bps,specific_kzt_per_kg,specific_kzt_per_unit,rule,description ('#' comments)")
	asJSON := f.bool("json", "BRICSTOWN_IMPORT_JSON", false, "print one JSON object")
	if err := f.parse(args); err != nil {
		return err
	}
	if *path == "" {
		return usageError{"import tariff: --csv is required"}
	}
	var data []byte
	var err error
	if *path == "-" {
		data, err = io.ReadAll(io.LimitReader(e.stdin, 64<<20))
	} else {
		data, err = os.ReadFile(*path)
	}
	if err != nil {
		return err
	}
	rep := checkTariff(*path, data, refdata.Default())
	if *asJSON {
		if err := json.NewEncoder(e.stdout).Encode(rep); err != nil {
			return err
		}
	} else {
		printTariffReport(e.stdout, rep)
	}
	if !rep.Valid {
		return fmt.Errorf("import tariff: %s has %d error(s)", *path, len(rep.Errs))
	}
	if !*asJSON {
		fmt.Fprintf(e.stdout, "\nThe tariff is valid. Put it in force with: bricstown serve --tariff %s\n", *path)
	}
	return nil
}

func checkTariff(path string, data []byte, ref *refdata.Data) tariffReport {
	rep := tariffReport{File: path, Lines: bytes.Count(data, []byte{'\n'})}
	if len(data) > 0 && data[len(data)-1] != '\n' {
		rep.Lines++
	}
	t, err := customs.ParseTariffCSV(bufio.NewReader(bytes.NewReader(data)))
	if err != nil {
		msg := strings.TrimPrefix(err.Error(), "customs: tariff: ")
		for _, l := range strings.Split(msg, "\n") {
			if l = strings.TrimSpace(l); l != "" {
				rep.Errs = append(rep.Errs, l)
			}
		}
		return rep
	}
	rep.Valid = true
	lines := t.Lines()
	rep.Rows = len(lines)
	rep.ByBasis, rep.ByPrefixLen = map[string]int{}, map[int]int{}
	for _, l := range lines {
		if l.Prefix == "*" {
			rep.DefaultRow = true
		} else {
			rep.ByPrefixLen[len(l.Prefix)]++
			if !knownPrefix(ref, l.Prefix) {
				rep.Warnings = append(rep.Warnings, fmt.Sprintf("line %d: prefix %s matches no HS 2022 code", l.SourceLine, l.Prefix))
			}
		}
		rep.ByBasis[basisOf(l)]++
	}
	demo := map[string]customs.TariffLine{}
	for _, l := range customs.DemoTariff().Lines() {
		demo[l.Prefix] = l
	}
	seen := map[string]bool{}
	for _, l := range lines {
		seen[l.Prefix] = true
		d, ok := demo[l.Prefix]
		switch {
		case !ok:
			rep.NewPrefixes++
		case d.AdValoremBps != l.AdValoremBps || d.SpecificPerKg != l.SpecificPerKg || d.SpecificPerUnit != l.SpecificPerUnit || d.Rule != l.Rule:
			rep.ChangedRows++
		}
	}
	for p := range demo {
		if !seen[p] {
			rep.DroppedDemo++
		}
	}
	return rep
}

// knownPrefix reports whether some HS 2022 code starts with the prefix (a
// national subdivision of 7 to 10 digits is checked on its subheading).
func knownPrefix(ref *refdata.Data, p string) bool {
	switch n := len(p); {
	case n >= 6:
		_, ok := ref.HS(p[:6])
		return ok
	case n%2 == 1:
		children, err := ref.HSChildren(p[:n-1])
		if err != nil {
			return false
		}
		for _, c := range children {
			if strings.HasPrefix(c.Code, p) {
				return true
			}
		}
		return false
	default:
		_, ok := ref.HS(p)
		return ok
	}
}

func basisOf(l customs.TariffLine) string {
	var parts []string
	if l.AdValoremBps > 0 {
		parts = append(parts, "ad_valorem")
	}
	if l.SpecificPerKg > 0 {
		parts = append(parts, "per_kg")
	}
	if l.SpecificPerUnit > 0 {
		parts = append(parts, "per_unit")
	}
	switch {
	case len(parts) == 0:
		return "free"
	case len(parts) > 1:
		return string(l.Rule) + ":" + strings.Join(parts, "+")
	}
	return parts[0]
}

func printTariffReport(w io.Writer, r tariffReport) {
	if !r.Valid {
		fmt.Fprintf(w, "tariff %s: INVALID (%d lines read)\n", r.File, r.Lines)
		for _, e := range r.Errs {
			fmt.Fprintf(w, "  %s\n", e)
		}
	} else {
		fmt.Fprintf(w, "tariff %s: valid, %d rows in %d lines", r.File, r.Rows, r.Lines)
		if r.DefaultRow {
			fmt.Fprint(w, " (with a default row)")
		} else {
			fmt.Fprint(w, " (no default row: a code no row covers cannot be assessed)")
		}
		fmt.Fprintln(w)
		kinds := make([]string, 0, len(r.ByBasis))
		for k := range r.ByBasis {
			kinds = append(kinds, k)
		}
		sort.Strings(kinds)
		for _, k := range kinds {
			fmt.Fprintf(w, "  %-28s %d rows\n", k, r.ByBasis[k])
		}
		fmt.Fprintf(w, "  against the demo tariff: %d rows differ, %d new prefixes, %d demo prefixes missing\n", r.ChangedRows, r.NewPrefixes, r.DroppedDemo)
		for _, wn := range r.Warnings {
			fmt.Fprintf(w, "  warning: %s\n", wn)
		}
	}
}
