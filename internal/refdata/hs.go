package refdata

import (
	"fmt"
	"math/bits"
	"sort"
	"strings"
	"unicode/utf8"

	"bricstown/internal/problem"
)

// HSSection is one of the 21 sections that group HS chapters. Sections carry
// Roman numerals and no code digits, so they are browsing aids only; no
// declaration ever names one.
type HSSection struct {
	Section  string   `json:"section"` // Roman numeral, "I".."XXI"
	Name     string   `json:"name"`    // English
	Chapters []string `json:"chapters"`
}

// HSCode is one entry of the HS 2022 nomenclature: a chapter (2 digits), a
// heading (4) or a subheading (6). Declarations need a 6-digit subheading;
// chapters and headings exist for browsing and search.
type HSCode struct {
	Code        string `json:"code"`             // digits only, e.g. "010121"
	Level       int    `json:"level"`            // 2, 4 or 6: the number of digits
	Parent      string `json:"parent,omitempty"` // enclosing code; empty for chapters
	Section     string `json:"section"`          // Roman numeral of the section, e.g. "I"
	Description string `json:"description"`      // English, as published

	titles *chapterTitles // translations, chapters only
}

// chapterTitles holds a chapter's title per language (langEN unused) plus
// normalised forms for search.
type chapterTitles struct {
	title [numLangs]string
	norm  [numLangs]string   // normalize(title)
	stems [numLangs][]string // stemFor of each word of norm
}

// Text returns the entry's description in lang where a translation exists
// (chapter titles in ru, zh, kk, pt) and the English description otherwise,
// so a localised UI shows translated chapters and falls back gracefully
// below them.
func (h HSCode) Text(lang string) string {
	if l := langIndex(lang); h.titles != nil && l != langEN && h.titles.title[l] != "" {
		return h.titles.title[l]
	}
	return h.Description
}

// InLanguage reports whether Text(lang) is in lang itself. Below chapter
// level it is English in every language: no official nomenclature with
// headings in Russian, Chinese, Kazakh or Portuguese is embedded (see
// data/NOTICE), so a page marks those texts as English.
func (h HSCode) InLanguage(lang string) bool {
	l := langIndex(lang)
	return l == langEN || h.titles != nil && h.titles.title[l] != ""
}

func (d *Data) loadHS() error {
	err := eachRow("hs_sections.tsv", hsSectionsTSV, []string{"section", "name"}, func(f []string) error {
		if f[0] == "" || f[1] == "" {
			return fmt.Errorf("empty section row")
		}
		d.hsSections = append(d.hsSections, HSSection{Section: f[0], Name: f[1]})
		return nil
	})
	if err != nil {
		return err
	}
	secIdx := make(map[string]int, len(d.hsSections))
	for i, s := range d.hsSections {
		secIdx[s.Section] = i
	}

	d.hs = make([]HSCode, 0, 7000)
	d.hsIdx = make(map[string]int32, 7000)
	section := ""
	err = eachRow("hs.tsv", hsTSV, []string{"code", "section", "description"}, func(f []string) error {
		code := f[0]
		if !allDigits(code) || (len(code) != 2 && len(code) != 4 && len(code) != 6) || f[2] == "" {
			return fmt.Errorf("bad HS row %q", f)
		}
		if n := len(d.hs); n > 0 && d.hs[n-1].Code >= code {
			return fmt.Errorf("%s: codes not sorted", code)
		}
		h := HSCode{Code: code, Level: len(code), Description: f[2]}
		if h.Level == 2 {
			section = f[1]
			if section != "" {
				si, ok := secIdx[section]
				if !ok {
					return fmt.Errorf("%s: unknown section %q", code, section)
				}
				d.hsSections[si].Chapters = append(d.hsSections[si].Chapters, code)
			}
			d.hsChapters = append(d.hsChapters, int32(len(d.hs)))
		} else {
			h.Parent = code[:len(code)-2]
			if _, ok := d.hsIdx[h.Parent]; !ok {
				return fmt.Errorf("%s: parent %s missing", code, h.Parent)
			}
		}
		h.Section = section
		d.hsIdx[code] = int32(len(d.hs))
		d.hs = append(d.hs, h)
		return nil
	})
	if err != nil {
		return err
	}

	d.hsChildren = make([][]int32, len(d.hs))
	for i, h := range d.hs {
		if h.Parent != "" {
			p := d.hsIdx[h.Parent]
			d.hsChildren[p] = append(d.hsChildren[p], int32(i))
		}
	}

	if err := d.loadHSTranslations(); err != nil {
		return err
	}
	d.buildHSIndex()
	return nil
}

func (d *Data) loadHSTranslations() error {
	d.hsI18n = make([]chapterTitles, 0, len(d.hsChapters))
	err := eachRow("hs_chapters_i18n.tsv", hsChaptersI18nTSV, []string{"chapter", "ru", "zh", "kk", "pt"}, func(f []string) error {
		i, ok := d.hsIdx[f[0]]
		if !ok || len(f[0]) != 2 {
			return fmt.Errorf("unknown chapter %q", f[0])
		}
		if d.hs[i].titles != nil {
			return fmt.Errorf("chapter %s listed twice", f[0])
		}
		var t chapterTitles
		for k, l := range []int{langRU, langZH, langKK, langPT} {
			s := f[k+1]
			if s == "" {
				return fmt.Errorf("chapter %s: empty %s title", f[0], langCodes[l])
			}
			t.title[l] = s
			t.norm[l] = normalize(s)
			for _, w := range strings.Fields(t.norm[l]) {
				t.stems[l] = append(t.stems[l], stemFor(l, w))
			}
		}
		d.hsI18n = append(d.hsI18n, t)
		d.hs[i].titles = &d.hsI18n[len(d.hsI18n)-1]
		return nil
	})
	if err != nil {
		return err
	}
	if len(d.hsI18n) != len(d.hsChapters) {
		return fmt.Errorf("hs_chapters_i18n.tsv has %d chapters, the nomenclature %d", len(d.hsI18n), len(d.hsChapters))
	}
	return nil
}

// buildHSIndex makes the inverted index behind word search: every distinct
// stem of the English descriptions, sorted so that all stems starting with a
// query word form one contiguous range.
func (d *Data) buildHSIndex() {
	type postings struct {
		entries []int32
		pos     []uint8
	}
	post := make(map[string]*postings, 8000)
	for i := range d.hs {
		for k, w := range strings.Fields(normalize(d.hs[i].Description)) {
			s := stemEN(w)
			p := post[s]
			if p == nil {
				p = &postings{}
				post[s] = p
			}
			if n := len(p.entries); n == 0 || p.entries[n-1] != int32(i) {
				p.entries = append(p.entries, int32(i))
				p.pos = append(p.pos, uint8(min(k, 255)))
			}
		}
	}
	d.hsVocab = make([]string, 0, len(post))
	for s := range post {
		d.hsVocab = append(d.hsVocab, s)
	}
	sort.Strings(d.hsVocab)
	d.hsPosting = make([][]int32, len(d.hsVocab))
	d.hsPostPos = make([][]uint8, len(d.hsVocab))
	for i, s := range d.hsVocab {
		d.hsPosting[i], d.hsPostPos[i] = post[s].entries, post[s].pos
	}
}

// normalizeHSCode strips the separators people and tariff books put into
// codes ("0101.21", "0101 21", "01-01-21") and reports whether what is left
// is digits only.
func normalizeHSCode(code string) (string, bool) {
	code = strings.TrimSpace(code)
	if strings.ContainsAny(code, ". -") {
		code = strings.Map(func(r rune) rune {
			if r == '.' || r == ' ' || r == '-' {
				return -1
			}
			return r
		}, code)
	}
	return code, code != "" && allDigits(code)
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// HS finds a chapter, heading or subheading by its 2-, 4- or 6-digit code.
// Dots, spaces and hyphens are ignored ("0101.21" is 010121) because that is
// how codes are printed in tariffs and typed by users.
func (d *Data) HS(code string) (HSCode, bool) {
	c, ok := normalizeHSCode(code)
	if !ok {
		return HSCode{}, false
	}
	i, ok := d.hsIdx[c]
	if !ok {
		return HSCode{}, false
	}
	return d.hs[i], true
}

// LookupHS is HS for request handlers: problem.Invalid when the input cannot
// be an HS code at all, problem.NotFound when it is well-formed but not in
// the HS 2022 nomenclature (for example "9999", or a code from an older HS
// edition).
func (d *Data) LookupHS(code string) (HSCode, error) {
	c, ok := normalizeHSCode(code)
	if !ok || (len(c) != 2 && len(c) != 4 && len(c) != 6) {
		return HSCode{}, problem.New(problem.Invalid, "HS code must have 2, 4 or 6 digits, got %q", code)
	}
	h, ok := d.HS(c)
	if !ok {
		return HSCode{}, problem.New(problem.NotFound, "%s is not in the HS 2022 nomenclature", c)
	}
	return h, nil
}

// HSChildren lists the entries directly below code, in code order, so the
// UI can browse the tree one level at a time. An empty code lists the
// chapters; a subheading has no children and gets an empty list. Errors are
// as for LookupHS.
func (d *Data) HSChildren(code string) ([]HSCode, error) {
	var idx []int32
	if strings.TrimSpace(code) == "" {
		idx = d.hsChapters
	} else {
		h, err := d.LookupHS(code)
		if err != nil {
			return nil, err
		}
		idx = d.hsChildren[d.hsIdx[h.Code]]
	}
	out := make([]HSCode, len(idx))
	for i, j := range idx {
		out[i] = d.hs[j]
	}
	return out, nil
}

// HSSections returns the 21 sections with their chapter codes, the top level
// of the browsing tree. The result is the caller's own copy.
func (d *Data) HSSections() []HSSection {
	out := make([]HSSection, len(d.hsSections))
	for i, s := range d.hsSections {
		s.Chapters = append([]string(nil), s.Chapters...)
		out[i] = s
	}
	return out
}

// ValidHS6 reports whether code (separators allowed) is a subheading of HS
// 2022. Declarations must classify goods to six digits at least, and an
// outdated or invented code must be caught before it reaches customs.
func (d *Data) ValidHS6(code string) bool {
	c, ok := normalizeHSCode(code)
	if !ok || len(c) != 6 {
		return false
	}
	_, ok = d.hsIdx[c]
	return ok
}

// SplitNationalCode checks a national tariff code: a valid HS 2022
// subheading followed by up to four digits of national extension (the EAEU
// TN VED and China's tariff use 10 digits, many others 8). It returns the
// subheading and the extension, which the platform cannot check further
// because national tariffs are not embedded. Errors: problem.Invalid for a
// malformed code, problem.NotFound for an unknown subheading.
func (d *Data) SplitNationalCode(code string) (HSCode, string, error) {
	c, ok := normalizeHSCode(code)
	if !ok || len(c) < 6 || len(c) > 10 {
		return HSCode{}, "", problem.New(problem.Invalid, "tariff code must be 6 to 10 digits, got %q", code)
	}
	i, ok := d.hsIdx[c[:6]]
	if !ok {
		return HSCode{}, "", problem.New(problem.NotFound, "%s is not an HS 2022 subheading", c[:6])
	}
	return d.hs[i], c[6:], nil
}

// ValidNationalCode reports whether code is an HS 2022 subheading with an
// optional national extension of up to four digits; see SplitNationalCode.
func (d *Data) ValidNationalCode(code string) bool {
	_, _, err := d.SplitNationalCode(code)
	return err == nil
}

// maxQueryWords bounds the work one search can cause; nobody describes goods
// in more words than this, and the extra words would only narrow results.
const maxQueryWords = 12

// SearchHS finds nomenclature entries for a search box. A query of digits
// (separators allowed) is a code prefix: the exact code comes first, then
// chapters, headings and subheadings under it. Otherwise every word must
// match the start of a word in the description (case- and accent-
// insensitive, plurals folded, "of"/"and" and the like ignored); entries
// where every word matches a whole word rank before prefix-only matches,
// and within each group chapters come before headings before subheadings,
// then descriptions where a query word appears earlier, then shorter ones.
// Digit words in a text query ("87 electric") restrict the code prefix.
//
// With lang other than "en", chapter titles in that language are searched
// too, so a Russian or Chinese user finds at least the right chapter.
// limit <= 0 means DefaultResults; more than MaxResults is capped. An empty
// query gives no results.
func (d *Data) SearchHS(query, lang string, limit int) []HSCode {
	limit = clampLimit(limit)
	q := strings.TrimSpace(query)
	if q == "" {
		return nil
	}
	if c, ok := normalizeHSCode(q); ok {
		return d.searchHSCode(c, limit)
	}
	return d.searchHSWords(q, langIndex(lang), limit)
}

func (d *Data) searchHSCode(prefix string, limit int) []HSCode {
	if len(prefix) > 6 {
		prefix = prefix[:6] // a national code: search its subheading
	}
	lo := sort.Search(len(d.hs), func(i int) bool { return d.hs[i].Code >= prefix })
	hi := lo
	for hi < len(d.hs) && strings.HasPrefix(d.hs[hi].Code, prefix) {
		hi++
	}
	out := make([]HSCode, 0, min(limit, hi-lo))
	if lo < hi && d.hs[lo].Code == prefix {
		out = append(out, d.hs[lo])
		lo++
	}
	for _, level := range []int{2, 4, 6} {
		for i := lo; i < hi && len(out) < limit; i++ {
			if d.hs[i].Level == level {
				out = append(out, d.hs[i])
			}
		}
	}
	return out
}

// bitset over entry indexes; 7k entries fit in 110 words, so set algebra on
// them is cheaper than merging posting lists.
type bitset []uint64

func (b bitset) set(i int32)    { b[i>>6] |= 1 << (uint(i) & 63) }
func (b bitset) has(i int) bool { return b[i>>6]&(1<<(uint(i)&63)) != 0 }
func (b bitset) and(o bitset) {
	for i := range b {
		b[i] &= o[i]
	}
}
func (b bitset) andNot(o bitset) {
	for i := range b {
		b[i] &^= o[i]
	}
}
func (b bitset) empty() bool {
	for _, w := range b {
		if w != 0 {
			return false
		}
	}
	return true
}

func (d *Data) searchHSWords(q string, lang, limit int) []HSCode {
	words := strings.Fields(normalize(q))
	if len(words) > maxQueryWords {
		words = words[:maxQueryWords]
	}
	var terms, codes []string
	for _, w := range words {
		if allDigits(w) {
			codes = append(codes, w)
		} else if !englishStopWords[w] {
			terms = append(terms, w)
		}
	}
	if len(terms) == 0 { // only stop words: search for them after all
		for _, w := range words {
			if !allDigits(w) {
				terms = append(terms, w)
			}
		}
	}
	if len(terms) == 0 {
		return nil
	}

	n := len(d.hs)
	nw := (n + 63) / 64
	var match, exact bitset // match: every term prefixes a word; exact: every term is a word
	// firstAny[i] and firstExact[i] are the earliest word positions in entry
	// i matched by any term (prefix or whole word, respectively); a
	// description that opens with what the user typed is the better hit.
	firstAny, firstExact := make([]uint8, n), make([]uint8, n)
	for i := range firstAny {
		firstAny[i], firstExact[i] = 255, 255
	}
	english := true
	for ti, t := range terms {
		s := stemEN(t)
		lo := sort.SearchStrings(d.hsVocab, s)
		hi := lo
		for hi < len(d.hsVocab) && strings.HasPrefix(d.hsVocab[hi], s) {
			hi++
		}
		if lo == hi {
			english = false
			break
		}
		m, e := make(bitset, nw), make(bitset, nw)
		for k := lo; k < hi; k++ {
			for j, i := range d.hsPosting[k] {
				m.set(i)
				firstAny[i] = min(firstAny[i], d.hsPostPos[k][j])
			}
		}
		if d.hsVocab[lo] == s {
			for j, i := range d.hsPosting[lo] {
				e.set(i)
				firstExact[i] = min(firstExact[i], d.hsPostPos[lo][j])
			}
		}
		if ti == 0 {
			match, exact = m, e
		} else {
			match.and(m)
			exact.and(e)
		}
	}
	if !english {
		match, exact = make(bitset, nw), make(bitset, nw)
	}
	if lang != langEN {
		d.matchChapterTitles(terms, lang, exact)
		for i, w := range exact {
			match[i] |= w
		}
	}
	for _, c := range codes {
		filter := make(bitset, nw)
		lo := sort.Search(n, func(i int) bool { return d.hs[i].Code >= c })
		for i := lo; i < n && strings.HasPrefix(d.hs[i].Code, c); i++ {
			filter.set(int32(i))
		}
		match.and(filter)
		exact.and(filter)
	}
	if match.empty() {
		return nil
	}
	match.andNot(exact)

	// Within a group and level, entries where a term appears earlier come
	// first ("electric motors" puts 8501 "Electric motors and generators"
	// before 8467 "Tools ... with electric motor"), then shorter, more
	// specific descriptions, then code order.
	out := make([]HSCode, 0, limit)
	var bucket []int32
	for g, set := range []bitset{exact, match} {
		first := firstExact
		if g == 1 {
			first = firstAny
		}
		for _, level := range []int{2, 4, 6} {
			if len(out) == limit {
				return out
			}
			bucket = bucket[:0]
			for wi, w := range set {
				for w != 0 {
					i := wi*64 + bits.TrailingZeros64(w)
					w &= w - 1
					if d.hs[i].Level == level {
						bucket = append(bucket, int32(i))
					}
				}
			}
			sort.Slice(bucket, func(a, b int) bool {
				x, y := bucket[a], bucket[b]
				if first[x] != first[y] {
					return first[x] < first[y]
				}
				if dx, dy := len(d.hs[x].Description), len(d.hs[y].Description); dx != dy {
					return dx < dy
				}
				return x < y
			})
			for _, i := range bucket {
				if len(out) == limit {
					break
				}
				out = append(out, d.hs[i])
			}
		}
	}
	return out
}

// matchChapterTitles marks the chapters whose title in lang contains every
// term. Chinese has no spaces between words, so there a term only has to be
// a substring; elsewhere a term's stem must start one of the title's word
// stems, which absorbs most inflection. Short stems ("жив" from "живые")
// would prefix-match unrelated words ("животные"), so they must match a
// whole stem.
func (d *Data) matchChapterTitles(terms []string, lang int, into bitset) {
	type probe struct {
		term, stem string
		short      bool
	}
	probes := make([]probe, len(terms))
	for i, t := range terms {
		s := stemFor(lang, t)
		probes[i] = probe{t, s, utf8.RuneCountInString(s) < 4}
	}
	for _, ci := range d.hsChapters {
		t := d.hs[ci].titles
		all := true
		for _, p := range probes {
			if !titleHas(t, lang, p.term, p.stem, p.short) {
				all = false
				break
			}
		}
		if all {
			into.set(ci)
		}
	}
}

func titleHas(t *chapterTitles, lang int, term, stem string, short bool) bool {
	if lang == langZH {
		return strings.Contains(t.norm[lang], term)
	}
	for _, w := range t.stems[lang] {
		if w == stem || !short && strings.HasPrefix(w, stem) {
			return true
		}
	}
	return false
}
