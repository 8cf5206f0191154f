package refdata

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Languages the platform's interface is offered in. Indexes into per-language
// arrays follow this order.
const (
	langEN = iota
	langRU
	langZH
	langKK
	langPT
	numLangs
)

var langCodes = [numLangs]string{"en", "ru", "zh", "kk", "pt"}

// Languages lists the language codes Name and Text understand, so the UI and
// API can offer exactly these and reject others up front.
func Languages() []string { return append([]string(nil), langCodes[:]...) }

// langIndex maps a language tag to its index, tolerating region and script
// subtags ("pt-BR", "zh_Hans") because browsers send those. Anything unknown
// is English, the language every entry has.
func langIndex(lang string) int {
	if i := strings.IndexAny(lang, "-_"); i >= 0 {
		lang = lang[:i]
	}
	for i, c := range langCodes {
		if strings.EqualFold(lang, c) {
			return i
		}
	}
	return langEN
}

// ValidLanguage reports whether lang (or its base, "pt-BR" -> "pt") is one of
// Languages. The lookups themselves fall back to English silently; this is
// for API handlers that prefer to reject a typo.
func ValidLanguage(lang string) bool {
	if i := strings.IndexAny(lang, "-_"); i >= 0 {
		lang = lang[:i]
	}
	for _, c := range langCodes {
		if strings.EqualFold(lang, c) {
			return true
		}
	}
	return false
}

// foldTable maps the Latin letters with diacritics that occur in place names
// and in what people type to plain ASCII, so "São Paulo" finds "Sao Paulo".
// Built from three Unicode blocks whose letters are in a fixed order.
var foldTable = func() map[rune]string {
	m := map[rune]string{}
	// add assigns the space-separated replacements to consecutive code points
	// from first on; "_" stands for "treat as a word break".
	add := func(first rune, bases ...string) {
		r := first
		for _, b := range bases {
			for _, c := range strings.Fields(b) {
				if c == "_" {
					c = " "
				}
				m[r] = c
				r++
			}
		}
	}
	// Latin-1 Supplement, U+00C0..U+00FF (× and ÷ are word breaks).
	add(0xC0,
		"a a a a a a ae c e e e e i i i i d n o o o o o _ o u u u u y th ss",
		"a a a a a a ae c e e e e i i i i d n o o o o o _ o u u u u y th y")
	// Latin Extended-A, U+0100..U+017F.
	add(0x100,
		"a a a a a a c c c c c c c c d d d d e e e e e e e e e e",
		"g g g g g g g g h h h h i i i i i i i i i i ij ij j j k k k",
		"l l l l l l l l l l n n n n n n n n n o o o o o o oe oe",
		"r r r r r r s s s s s s s s t t t t t t u u u u u u u u u u u u",
		"w w y y y z z z z z z s")
	// Vietnamese letters in Latin Extended Additional, U+1EA0..U+1EF9.
	add(0x1EA0, strings.Repeat("a ", 24), strings.Repeat("e ", 16), strings.Repeat("i ", 4),
		strings.Repeat("o ", 24), strings.Repeat("u ", 14), strings.Repeat("y ", 8))
	for r, f := range map[rune]string{'ơ': "o", 'Ơ': "o", 'ư': "u", 'Ư': "u", 'ș': "s", 'Ș': "s",
		'ț': "t", 'Ț': "t", 'ə': "a", 'Ə': "a", 'ё': "е", 'Ё': "е"} {
		m[r] = f
	}
	return m
}()

// normalize lower-cases s, folds diacritics and turns everything that is not
// a letter or digit into single spaces, so that both the indexed text and
// the query are compared in one canonical form.
func normalize(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	space := true
	for _, r := range s {
		if r < utf8.RuneSelf {
			switch {
			case 'A' <= r && r <= 'Z':
				r += 'a' - 'A'
			case 'a' <= r && r <= 'z', '0' <= r && r <= '9':
			default:
				if !space {
					b.WriteByte(' ')
					space = true
				}
				continue
			}
			b.WriteRune(r)
			space = false
			continue
		}
		r = unicode.ToLower(r)
		if f, ok := foldTable[r]; ok {
			if f == " " {
				if !space {
					b.WriteByte(' ')
					space = true
				}
				continue
			}
			b.WriteString(f)
			space = false
			continue
		}
		if unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.Is(unicode.Mn, r) {
			b.WriteRune(r)
			space = false
		} else if !space {
			b.WriteByte(' ')
			space = true
		}
	}
	return strings.TrimSuffix(b.String(), " ")
}

// englishStopWords are ignored in HS queries: nomenclature text is full of
// "of", "and", "or", "other", and a user typing "articles of leather" means
// the nouns.
var englishStopWords = map[string]bool{
	"a": true, "an": true, "and": true, "as": true, "at": true, "by": true, "for": true,
	"from": true, "in": true, "of": true, "on": true, "or": true, "the": true, "to": true,
	"with": true, "whether": true, "not": true,
}

// stemEN is a deliberately small plural-stripping stemmer (after Harman's
// "S" stemmer). With prefix matching on top it lets "horse" find "horses"
// and "batteries" find "battery" without the surprises of a full stemmer on
// technical vocabulary.
func stemEN(w string) string {
	if len(w) <= 3 {
		return w
	}
	switch {
	case strings.HasSuffix(w, "ies") && !strings.HasSuffix(w, "eies") && !strings.HasSuffix(w, "aies"):
		return w[:len(w)-3] + "y"
	case strings.HasSuffix(w, "es") && !strings.HasSuffix(w, "aes") && !strings.HasSuffix(w, "ees") && !strings.HasSuffix(w, "oes"):
		return w[:len(w)-1]
	case strings.HasSuffix(w, "s") && !strings.HasSuffix(w, "us") && !strings.HasSuffix(w, "ss"):
		return w[:len(w)-1]
	}
	return w
}

// Inflection endings stripped before comparing words of the translated
// chapter titles, longest first. Russian and Kazakh inflect heavily, and
// matching "лошади" against "лошадей" or "жануарлар" against "жануарлары"
// matters more than linguistic precision on 97 titles.
var endings = [numLangs][]string{
	langRU: {"ями", "ами", "ого", "его", "ому", "ему", "ыми", "ими", "иях", "ях", "ах", "ых", "их", "ые", "ие", "ая", "яя", "ое", "ее", "ой", "ей", "ий", "ый", "ам", "ям", "ов", "ев", "ом", "ем", "а", "я", "о", "е", "ы", "и", "у", "ю", "ь", "й"},
	langKK: {"лардың", "лердің", "дардың", "дердің", "тардың", "тердің", "лары", "лері", "дары", "дері", "тары", "тері", "ларды", "лерді", "лар", "лер", "дар", "дер", "тар", "тер", "ның", "нің", "дың", "дің", "тың", "тің", "ы", "і"},
	langPT: {"ções", "ção", "ões", "ães", "ais", "eis", "ois", "al", "el", "es", "as", "os", "s", "a", "o", "e"},
}

// stemFor strips one inflection ending of lang from w, keeping at least three
// letters so short words are not reduced to noise.
func stemFor(lang int, w string) string {
	if lang == langEN {
		return stemEN(w)
	}
	n := utf8.RuneCountInString(w)
	for _, e := range endings[lang] {
		if strings.HasSuffix(w, e) && n-utf8.RuneCountInString(e) >= 3 {
			return w[:len(w)-len(e)]
		}
	}
	return w
}
