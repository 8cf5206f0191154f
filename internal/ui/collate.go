package ui

import (
	"slices"

	"golang.org/x/text/collate"
)

// sortByName orders xs by the name a user reads, with the Unicode
// collation of the page's language (CLDR tailorings: Ё next to Е in
// Russian, Kazakh's Ә Ғ Қ Ң Ө Ұ Ү Һ І after their base letters, Á with A
// in Portuguese, pinyin order in Chinese). strings.Compare sorts by code
// point, which puts "Émirats" after "Zambia" and every Kazakh-specific
// letter after я. The sort is stable, so equal names keep their order.
func sortByName[T any](lang string, xs []T, name func(T) string) {
	// A Collator keeps scratch buffers and is not safe for concurrent
	// use, so each sort makes its own.
	c := collate.New(tagOf(lang), collate.IgnoreCase)
	slices.SortStableFunc(xs, func(a, b T) int { return c.CompareString(name(a), name(b)) })
}

// compareNames is sortByName's comparison for callers that sort by more
// than the name (a count first, then the name).
func compareNames(lang string) func(a, b string) int {
	c := collate.New(tagOf(lang), collate.IgnoreCase)
	return c.CompareString
}
