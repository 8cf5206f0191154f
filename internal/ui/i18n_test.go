package ui

import (
	"io/fs"
	"regexp"
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
			if _, ok := en[k]; !ok {
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

var (
	literalKey = regexp.MustCompile(`\.T "([a-z0-9_.]+)"`)
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
