package market

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Full-text search: why the catalogue keeps its own word index.
//
// The catalogue is searched in five languages on two engines, and both
// must answer the same (facet counts are tested equal on SQLite and
// PostgreSQL). The engines' own full text does not give that:
//
//   - Chinese is written without spaces. FTS5's unicode61 tokenizer makes
//     a whole run of Han characters one token, so "咖啡" would not find
//     "阿拉比卡咖啡豆"; PostgreSQL's to_tsvector('simple', …) does the same.
//     FTS5's trigram tokenizer (in the modernc build) segments anything, but
//     it cannot match one- or two-character words (most Chinese words are
//     two characters) and PostgreSQL's counterpart, pg_trgm, is an
//     extension the town's database is not guaranteed to have.
//   - Migrations are one SQL text for both engines (sqlstore.Migration): an
//     FTS5 virtual table and a tsvector GIN index cannot both be written in
//     it, and two indexes with two tokenizers would rank and match
//     differently (stemming of 'english' vs none, Kazakh letters).
//
// So the words are cut here, in Go, once, and stored in a plain table of
// (term, product) rows with a B-tree primary key on both engines: letters
// and digits of any script form words (lower-cased, ё as е; Kazakh ә ғ қ ң
// ө ұ ү һ і are letters like any other), and runs of CJK characters
// (Han, kana, Hangul) are indexed as every single character and every pair
// of neighbouring characters (character bigrams). A query is cut the same
// way, except that a CJK run of two or more characters is looked up by its
// bigrams only, and a product matches when it has every term of the query.
// "咖啡豆" is then 咖啡 AND 啡豆, which finds 阿拉比卡咖啡豆 and not 咖啡
// alone. Matching is by whole word (no stemming in any language): "wheat"
// finds "Wheat", "пшеница" finds "Пшеница" but not "пшеницы".

// MaxQueryTerms bounds the terms of one query (each is one index lookup).
const MaxQueryTerms = 8

// maxTermBytes truncates very long words; no real word is that long.
const maxTermBytes = 64

// IsCJK reports whether r is written without spaces between words.
func IsCJK(r rune) bool {
	return unicode.In(r, unicode.Han, unicode.Hiragana, unicode.Katakana, unicode.Hangul)
}

// IndexTerms are the distinct terms a product is found by: the words of
// its names and descriptions in every language, and its HS subheading,
// heading and chapter (so "0901" finds coffee).
func IndexTerms(p *Product) []string {
	seen := map[string]bool{}
	var out []string
	add := func(t string) {
		if t != "" && !seen[t] {
			seen[t] = true
			out = append(out, t)
		}
	}
	for _, l := range Languages {
		for _, s := range []string{p.Names[l], p.Descriptions[l]} {
			cut(s, true, add)
		}
	}
	if len(p.HS) == 6 {
		add(p.HS)
		add(p.HS[:4])
		add(p.HS[:2])
	}
	return out
}

// QueryTerms are the distinct terms of a search text, at most
// MaxQueryTerms (the rest are dropped).
func QueryTerms(q string) []string {
	seen := map[string]bool{}
	var out []string
	cut(q, false, func(t string) {
		if !seen[t] && len(out) < MaxQueryTerms {
			seen[t] = true
			out = append(out, t)
		}
	})
	return out
}

// cut splits s into terms and hands each to add. For indexing (index true)
// a CJK run yields its characters and its bigrams; for a query only its
// bigrams, or the character itself when the run has one.
func cut(s string, index bool, add func(string)) {
	s = normText(s)
	var word strings.Builder
	var run []rune
	flushWord := func() {
		if word.Len() > 0 {
			w := word.String()
			for len(w) > maxTermBytes {
				_, n := utf8.DecodeLastRuneInString(w)
				w = w[:len(w)-n]
			}
			add(w)
			word.Reset()
		}
	}
	flushRun := func() {
		if len(run) == 0 {
			return
		}
		if index || len(run) == 1 {
			for _, r := range run {
				add(string(r))
			}
		}
		for i := 0; i+1 < len(run); i++ {
			add(string(run[i : i+2]))
		}
		run = run[:0]
	}
	for _, r := range s {
		switch {
		case IsCJK(r):
			flushWord()
			run = append(run, r)
		case unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.Is(unicode.Mn, r):
			flushRun()
			word.WriteRune(r)
		default:
			flushWord()
			flushRun()
		}
	}
	flushWord()
	flushRun()
}
