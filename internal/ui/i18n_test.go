package ui

import (
	"io/fs"
	"maps"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"testing"

	"bricstown/internal/identity"
)

var verb = regexp.MustCompile(`%[-+# 0]*[0-9]*(\.[0-9]+)?[a-zA-Z%]`)

// Every language has every key the English catalogue has, none extra, none
// empty, and the same formatting verbs in the same order.
func TestCatalogsAreComplete(t *testing.T) {
	cs, err := LoadCatalogs()
	if err != nil {
		t.Fatal(err)
	}
	en := cs["en"]
	if len(en) < 100 {
		t.Fatalf("English catalogue has only %d keys", len(en))
	}
	for _, l := range Languages {
		c := cs[l.Code]
		for k, v := range en {
			if strings.Contains(k, pluralSep) {
				continue // TestPluralCatalogues checks plural forms
			}
			tr, ok := c[k]
			switch {
			case !ok:
				t.Errorf("%s: missing key %q", l.Code, k)
			case strings.TrimSpace(tr) == "":
				t.Errorf("%s: empty text for %q", l.Code, k)
			case strings.Join(verb.FindAllString(tr, -1), " ") != strings.Join(verb.FindAllString(v, -1), " "):
				t.Errorf("%s: %q has verbs %v, English has %v", l.Code, k, verb.FindAllString(tr, -1), verb.FindAllString(v, -1))
			}
		}
		for k := range c {
			if _, ok := en[k]; !ok && !strings.Contains(k, pluralSep) {
				t.Errorf("%s: key %q is not in the English catalogue", l.Code, k)
			}
		}
		if l.Code != "en" {
			same := 0
			for k, v := range en {
				if c[k] == v && len(v) > 12 {
					same++
				}
			}
			if same > len(en)/10 {
				t.Errorf("%s: %d long texts identical to English: untranslated?", l.Code, same)
			}
		}
	}
}

// neededForms are the plural forms a language's CLDR rules give whole
// numbers (the only counts the UI shows), plus "other", which every
// plural message has as the fallback.
func neededForms(lang string) []string {
	need := map[string]bool{"other": true}
	for n := range 1000 {
		need[pluralForm(lang, n)] = true
	}
	return slices.Sorted(maps.Keys(need))
}

// pluralKeys are the plural messages of a catalogue, each with its forms.
func pluralKeys(c Catalog) map[string][]string {
	out := map[string][]string{}
	for k := range c {
		if base, form, ok := strings.Cut(k, pluralSep); ok {
			out[base] = append(out[base], form)
		}
	}
	for _, fs := range out {
		slices.Sort(fs)
	}
	return out
}

// Every plural message is plural in every language, has exactly the forms
// that language's rules need (Russian one/few/many, Chinese only other),
// each non-empty and with the verbs of the English "other" form; and no
// key is a plain message in one language and a plural in another.
func TestPluralCatalogues(t *testing.T) {
	cs, err := LoadCatalogs()
	if err != nil {
		t.Fatal(err)
	}
	enPlurals := pluralKeys(cs["en"])
	if len(enPlurals) < 10 {
		t.Fatalf("only %d plural messages in English", len(enPlurals))
	}
	want := map[string][]string{"en": {"one", "other"}, "ru": {"few", "many", "one", "other"}, "zh": {"other"},
		"kk": {"one", "other"}, "pt": {"one", "other"}}
	for _, l := range Languages {
		if got := neededForms(l.Code); !slices.Equal(got, want[l.Code]) {
			t.Errorf("%s: CLDR needs forms %v, expected %v", l.Code, got, want[l.Code])
		}
		c := cs[l.Code]
		plurals := pluralKeys(c)
		for k, forms := range plurals {
			if _, ok := enPlurals[k]; !ok {
				t.Errorf("%s: plural %q is not a plural in English", l.Code, k)
			}
			if _, plain := c[k]; plain {
				t.Errorf("%s: %q is both a plain and a plural message", l.Code, k)
			}
			if !slices.Equal(forms, neededForms(l.Code)) {
				t.Errorf("%s: plural %q has forms %v, the language needs %v", l.Code, k, forms, neededForms(l.Code))
			}
			enVerbs := verb.FindAllString(cs["en"][k+pluralSep+"other"], -1)
			for _, f := range forms {
				s := c[k+pluralSep+f]
				if strings.TrimSpace(s) == "" {
					t.Errorf("%s: empty form %s of %q", l.Code, f, k)
				}
				if got := verb.FindAllString(s, -1); !slices.Equal(got, enVerbs) {
					t.Errorf("%s: %q form %s has verbs %v, English has %v", l.Code, k, f, got, enVerbs)
				}
			}
		}
		for k := range enPlurals {
			if _, ok := plurals[k]; !ok {
				t.Errorf("%s: %q is a plural in English but not here", l.Code, k)
			}
		}
	}
}

// The form follows each language's rules, and the count is formatted
// into it along with the other arguments.
func TestTextN(t *testing.T) {
	cs, err := LoadCatalogs()
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		lang string
		n    int
		want string
	}{
		{"en", 1, "1 deferred instruction of another bank is not shown."},
		{"en", 2, "2 deferred instructions of other banks are not shown."},
		{"en", 0, "0 deferred instructions of other banks are not shown."},
		{"ru", 1, "1 отложенное поручение других банков не показано."},
		{"ru", 21, "21 отложенное поручение других банков не показано."},
		{"ru", 3, "3 отложенных поручения других банков не показаны."},
		{"ru", 11, "11 отложенных поручений других банков не показаны."},
		{"ru", 25, "25 отложенных поручений других банков не показаны."},
		{"pt", 0, "0 ordem adiada de outros bancos não é mostrada."},
		{"pt", 1, "1 ordem adiada de outros bancos não é mostrada."},
		{"pt", 2, "2 ordens adiadas de outros bancos não são mostradas."},
		{"zh", 1, "其他银行的 1 笔延迟指令未显示。"},
		{"xx", 1, "1 deferred instruction of another bank is not shown."},
	}
	for _, c := range cases {
		if got := cs.TextN(c.lang, "settle.deferrals_hidden", c.n); got != c.want {
			t.Errorf("%s %d: %q, want %q", c.lang, c.n, got, c.want)
		}
	}
	if got := cs.TextN("en", "settle.done_imported", 1, 0); got != "Imported 1 new instruction; 0 already known." {
		t.Errorf("two counts: %q", got)
	}
	if got := cs.TextN("en", "no.such.key", 3); got != "no.such.key" {
		t.Errorf("unknown key: %q", got)
	}
}

// Accept-Language is read as RFC 9110 says: by q-value, with regional
// and script variants matched to the catalogue of their language.
func TestAcceptLanguage(t *testing.T) {
	for header, want := range map[string]string{
		"ru;q=0.1, pt;q=0.9":        "pt",
		"zh-Hant-TW":                "zh",
		"zh-CN,zh;q=0.9":            "zh",
		"kk-KZ,ru;q=0.8":            "kk",
		"ru-KZ":                     "ru",
		"pt-BR,en;q=0.5":            "pt",
		"de-DE, fr;q=0.8, ru;q=0.2": "ru",
		"en;q=0.2, ru;q=0.5":        "ru",
		"ru;q=0, kk":                "kk",
		"de":                        "en",
		"":                          "en",
		"garbage;;q=x,,;":           "en",
		"\x00\xff":                  "en",
		"*;q=0.5":                   "en",
	} {
		if got := acceptLanguage(header); got != want {
			t.Errorf("%q: %s, want %s", header, got, want)
		}
	}
}

// An explicit choice beats the browser: ?lang=, then the cookie, then the
// profile; Accept-Language decides only when none is there.
func TestLangOfPrecedence(t *testing.T) {
	req := func(target, cookie string) *http.Request {
		r := httptest.NewRequest("GET", target, nil)
		r.Header.Set("Accept-Language", "pt-BR,pt;q=0.9")
		if cookie != "" {
			r.AddCookie(&http.Cookie{Name: LangCookie, Value: cookie})
		}
		return r
	}
	for _, c := range []struct{ target, cookie, profile, want string }{
		{"/", "", "", "pt"},
		{"/", "", "ru", "ru"},
		{"/", "kk", "ru", "kk"},
		{"/?lang=zh", "kk", "ru", "zh"},
		{"/?lang=xx", "", "", "pt"},
		{"/", "xx", "", "pt"},
	} {
		if got := langOf(httptest.NewRecorder(), req(c.target, c.cookie), c.profile, false); got != c.want {
			t.Errorf("%+v: %s", c, got)
		}
	}
}

// Names sort in the reader's alphabet, not by code point: accented and
// lower-case initials sit with their base letter, Kazakh's extra letters
// follow their base letters instead of trailing after я.
func TestSortByName(t *testing.T) {
	for _, c := range []struct {
		lang string
		in   []string
		want []string
	}{
		{"en", []string{"Zambia", "Émirats", "egypt", "Chad"}, []string{"Chad", "egypt", "Émirats", "Zambia"}},
		{"pt", []string{"Índia", "Zâmbia", "Brasil", "África do Sul"}, []string{"África do Sul", "Brasil", "Índia", "Zâmbia"}},
		{"ru", []string{"ель", "Жук", "Еда", "Ёж"}, []string{"Еда", "Ёж", "ель", "Жук"}},
		{"zh", []string{"中国", "巴西", "印度", "俄罗斯", "南非"}, []string{"巴西", "俄罗斯", "南非", "印度", "中国"}}, // pinyin
		{"kk", []string{"Я", "Қазақстан", "Құс", "Кітап", "Лақ"}, []string{"Кітап", "Қазақстан", "Құс", "Лақ", "Я"}},
	} {
		got := slices.Clone(c.in)
		sortByName(c.lang, got, func(s string) string { return s })
		if !slices.Equal(got, c.want) {
			t.Errorf("%s: %v, want %v", c.lang, got, c.want)
		}
	}
}

var (
	literalKey = regexp.MustCompile(`\.T "([a-z0-9_.]+)"`)
	pluralKey  = regexp.MustCompile(`\.TN "([a-z0-9_.]+)"`)
	dynamicKey = regexp.MustCompile(`printf "([a-z0-9_.]+)%s`)
)

// Every key a template names exists, and so does every key built from a
// prefix and a domain value (zones, kinds, roles, statuses).
func TestTemplatesUseOnlyKnownKeys(t *testing.T) {
	cs, _ := LoadCatalogs()
	en := cs["en"]
	prefixes := map[string]bool{}
	err := fs.WalkDir(templateFiles, "templates", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, _ := fs.ReadFile(templateFiles, path)
		for _, m := range literalKey.FindAllStringSubmatch(string(b), -1) {
			if _, ok := en[m[1]]; !ok {
				t.Errorf("%s uses unknown key %q", path, m[1])
			}
		}
		for _, m := range pluralKey.FindAllStringSubmatch(string(b), -1) {
			if _, ok := en[m[1]+pluralSep+"other"]; !ok {
				t.Errorf("%s uses %q as a plural, which it is not", path, m[1])
			}
		}
		for _, m := range dynamicKey.FindAllStringSubmatch(string(b), -1) {
			prefixes[m[1]] = true
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	values := map[string][]string{}
	for _, z := range Zones {
		values["zone."] = append(values["zone."], z.Key)
		for _, s := range z.Services {
			if _, ok := en[s.Key]; !ok {
				t.Errorf("zone %s: unknown service key %q", z.Key, s.Key)
			}
		}
		if _, ok := en["zone."+z.Key+".desc"]; !ok {
			t.Errorf("zone %s has no description", z.Key)
		}
	}
	for _, k := range identity.OrgKinds {
		values["kind."] = append(values["kind."], string(k))
	}
	for _, r := range identity.AllRoles {
		values["role."] = append(values["role."], string(r))
	}
	values["ref.status."] = []string{"member", "partner"}
	for p := range prefixes {
		vs, ok := values[p]
		if !ok {
			t.Errorf("templates build keys from %q but the test does not know its values", p)
		}
		for _, v := range vs {
			if _, ok := en[p+v]; !ok {
				t.Errorf("missing key %q", p+v)
			}
		}
	}
	for _, n := range navigation {
		if _, ok := en[n.Key]; !ok {
			t.Errorf("navigation key %q missing", n.Key)
		}
	}
}
