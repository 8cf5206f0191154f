package ui

import (
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"net/http"
	"slices"
	"strings"
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

// Catalog maps message keys to text in one language.
type Catalog map[string]string

// Catalogs holds every language's messages, loaded from the embedded JSON.
type Catalogs map[string]Catalog

// LoadCatalogs reads the embedded message files: i18n/<lang>.json and any
// i18n/<lang>.<area>.json fragments (one per product area, so that areas
// are translated and reviewed apart). A missing or malformed file, or a key
// defined twice, is an error at start, never a blank label at run time.
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
			part := Catalog{}
			if err := json.Unmarshal(b, &part); err != nil {
				return nil, fmt.Errorf("ui: catalog %s: %w", f, err)
			}
			for k, v := range part {
				if _, dup := c[k]; dup {
					return nil, fmt.Errorf("ui: catalog %s: key %q defined twice", f, k)
				}
				c[k] = v
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

// LangCookie remembers the chosen language.
const LangCookie = "bricstown_lang"

func validLang(l string) bool {
	return slices.ContainsFunc(Languages, func(x Language) bool { return x.Code == l })
}

// langOf picks the request's language: an explicit ?lang= (which also sets
// the cookie), then the cookie, then the user's profile, then
// Accept-Language, then English.
func langOf(w http.ResponseWriter, r *http.Request, profile string) string {
	if l := r.URL.Query().Get("lang"); validLang(l) {
		http.SetCookie(w, &http.Cookie{Name: LangCookie, Value: l, Path: "/", MaxAge: 365 * 24 * 3600,
			HttpOnly: true, Secure: true, SameSite: http.SameSiteLaxMode})
		return l
	}
	if c, err := r.Cookie(LangCookie); err == nil && validLang(c.Value) {
		return c.Value
	}
	if validLang(profile) && profile != "" {
		return profile
	}
	for _, part := range strings.Split(r.Header.Get("Accept-Language"), ",") {
		tag, _, _ := strings.Cut(strings.TrimSpace(part), ";")
		base, _, _ := strings.Cut(strings.ToLower(tag), "-")
		if validLang(base) {
			return base
		}
	}
	return "en"
}
