package ui

import (
	"bytes"
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"maps"
	"net/http"
	"slices"
	"strings"

	"golang.org/x/text/feature/plural"
	"golang.org/x/text/language"
)

//go:embed i18n/*.json
var catalogFiles embed.FS

// Languages the UI speaks, in the order the switcher shows them.
var Languages = []Language{
	{"en", "English"}, {"ru", "Русский"}, {"zh", "中文"}, {"kk", "Қазақша"}, {"pt", "Português"},
}

// Language is a UI language and its name in itself.
type Language struct {
	Code, Name string
}

// languageTags are Languages as BCP 47 tags, in the same order; the first
// is what the matcher answers when nothing the browser asks for is spoken.
var languageTags = func() []language.Tag {
	ts := make([]language.Tag, len(Languages))
	for i, l := range Languages {
		ts[i] = language.MustParse(l.Code)
	}
	return ts
}()

// languageMatcher applies CLDR's language distances (zh-Hant-TW reads zh,
// pt-BR reads pt, ru-KZ reads ru), which a prefix comparison gets wrong
// as soon as a script or a macro-language is involved.
var languageMatcher = language.NewMatcher(languageTags)

// tagOf is the BCP 47 tag of a UI language code; an unknown code is English.
func tagOf(lang string) language.Tag {
	if i := slices.IndexFunc(Languages, func(x Language) bool { return x.Code == lang }); i >= 0 {
		return languageTags[i]
	}
	return language.English
}

// Catalog maps message keys to text in one language. A plural message is
// stored as one entry per CLDR plural form, key#one, key#few, key#many,
// key#other..., and is read with TextN, never Text.
type Catalog map[string]string

// pluralSep joins a plural message's key and the name of one of its forms.
const pluralSep = "#"

// pluralForms names x/text's plural forms as CLDR and the catalogues do.
var pluralForms = map[plural.Form]string{
	plural.Other: "other", plural.Zero: "zero", plural.One: "one",
	plural.Two: "two", plural.Few: "few", plural.Many: "many",
}

// Catalogs holds every language's messages, loaded from the embedded JSON.
type Catalogs map[string]Catalog

// LoadCatalogs reads the embedded message files: i18n/<lang>.json and any
// i18n/<lang>.<area>.json fragments (one per product area, so that areas
// are translated and reviewed apart). A message is a string, or, when it
// contains a count, an object of CLDR plural forms
// ({"one": "%d instruction", "other": "%d instructions"}; Russian also
// needs "few" and "many"). A missing or malformed file, an unknown plural
// form, a plural without "other", or a key defined twice is an error at
// start, never a blank label at run time.
func LoadCatalogs() (Catalogs, error) {
	out := Catalogs{}
	for _, l := range Languages {
		files, err := fs.Glob(catalogFiles, "i18n/"+l.Code+".*json")
		if err != nil {
			return nil, err
		}
		if len(files) == 0 {
			return nil, fmt.Errorf("ui: no catalog for %s", l.Code)
		}
		c := Catalog{}
		for _, f := range files {
			b, err := catalogFiles.ReadFile(f)
			if err != nil {
				return nil, fmt.Errorf("ui: catalog %s: %w", f, err)
			}
			part := map[string]json.RawMessage{}
			if err := json.Unmarshal(b, &part); err != nil {
				return nil, fmt.Errorf("ui: catalog %s: %w", f, err)
			}
			for k, raw := range part {
				if strings.Contains(k, pluralSep) {
					return nil, fmt.Errorf("ui: catalog %s: key %q contains %q", f, k, pluralSep)
				}
				if _, dup := c[k]; dup || c[k+pluralSep+"other"] != "" {
					return nil, fmt.Errorf("ui: catalog %s: key %q defined twice", f, k)
				}
				if !bytes.HasPrefix(bytes.TrimSpace(raw), []byte("{")) {
					var s string
					if err := json.Unmarshal(raw, &s); err != nil {
						return nil, fmt.Errorf("ui: catalog %s: key %q: %w", f, k, err)
					}
					c[k] = s
					continue
				}
				forms := map[string]string{}
				if err := json.Unmarshal(raw, &forms); err != nil {
					return nil, fmt.Errorf("ui: catalog %s: key %q: %w", f, k, err)
				}
				if _, ok := forms["other"]; !ok {
					return nil, fmt.Errorf("ui: catalog %s: plural %q has no \"other\" form", f, k)
				}
				for form, s := range forms {
					if !slices.Contains(slices.Collect(maps.Values(pluralForms)), form) {
						return nil, fmt.Errorf("ui: catalog %s: plural %q has unknown form %q", f, k, form)
					}
					c[k+pluralSep+form] = s
				}
			}
		}
		out[l.Code] = c
	}
	return out, nil
}

// Text returns the message for key in lang, formatted with args. A missing
// key falls back to English and then to the key itself, which the catalog
// test prevents from ever shipping.
func (cs Catalogs) Text(lang, key string, args ...any) string {
	s, ok := cs[lang][key]
	if !ok {
		if s, ok = cs["en"][key]; !ok {
			return key
		}
	}
	if len(args) > 0 {
		return fmt.Sprintf(s, args...)
	}
	return s
}

// pluralForm is the CLDR cardinal plural form of the integer n in lang
// ("one" for 1, 21, 31 in Russian; "one" for 0 and 1 in Portuguese; always
// "other" in Chinese).
func pluralForm(lang string, n int) string {
	if n < 0 {
		n = -n
	}
	return pluralForms[plural.Cardinal.MatchPlural(tagOf(lang), n, 0, 0, 0, 0)]
}

// TextN returns the plural message key in the form lang's rules choose for
// the count n, formatted with n followed by args (a form refers to the
// count as %d, or %[1]d when it is not the first number in the sentence).
// A form the catalogue lacks falls back to "other", then to English.
func (cs Catalogs) TextN(lang, key string, n int, args ...any) string {
	args = append([]any{n}, args...)
	for _, l := range []string{lang, "en"} {
		f := pluralForm(l, n)
		if s, ok := cs[l][key+pluralSep+f]; ok {
			return fmt.Sprintf(s, args...)
		}
		if s, ok := cs[l][key+pluralSep+"other"]; ok {
			return fmt.Sprintf(s, args...)
		}
	}
	return key
}

// LangCookie remembers the chosen language.
const LangCookie = "bricstown_lang"

func validLang(l string) bool {
	return slices.ContainsFunc(Languages, func(x Language) bool { return x.Code == l })
}

// langOf picks the request's language: an explicit ?lang= (which also sets
// the cookie), then the cookie, then the user's profile, then
// Accept-Language, then English. The cookie is Secure when secure (the
// request came over TLS).
func langOf(w http.ResponseWriter, r *http.Request, profile string, secure bool) string {
	if l := r.URL.Query().Get("lang"); validLang(l) {
		http.SetCookie(w, &http.Cookie{Name: LangCookie, Value: l, Path: "/", MaxAge: 365 * 24 * 3600,
			HttpOnly: true, Secure: secure, SameSite: http.SameSiteLaxMode})
		return l
	}
	if c, err := r.Cookie(LangCookie); err == nil && validLang(c.Value) {
		return c.Value
	}
	if validLang(profile) && profile != "" {
		return profile
	}
	return acceptLanguage(r.Header.Get("Accept-Language"))
}

// acceptLanguage picks the catalogue an Accept-Language header asks for:
// preferences in q-value order, regional variants and scripts matched to
// the language the UI has (pt-BR is pt, zh-Hant-TW is zh), English when
// nothing matches or the header does not parse.
func acceptLanguage(header string) string {
	tags, _, err := language.ParseAcceptLanguage(header)
	if err != nil || len(tags) == 0 {
		return "en"
	}
	_, i, conf := languageMatcher.Match(tags...)
	if conf == language.No {
		return "en"
	}
	return Languages[i].Code
}
