package ui

import (
	"testing"
	"time"

	"bricstown/internal/customs"
)

// The customs pages build catalogue keys from domain values in Go (the
// template test cannot see those); every one must exist in English, and
// the completeness test then holds every language to it.
func TestCustomsKeysExist(t *testing.T) {
	cs, err := LoadCatalogs()
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range CustomsKeys() {
		if _, ok := cs["en"][k]; !ok {
			t.Errorf("missing key %q", k)
		}
	}
	for _, s := range []string{"done", "current", "todo", "failed"} {
		if _, ok := cs["en"]["customs.state."+s]; !ok {
			t.Errorf("missing key customs.state.%s", s)
		}
	}
	for _, i := range []customs.Inspect{customs.InspectNever, customs.InspectRisk, customs.InspectAlways, customs.InspectSelected} {
		if _, ok := cs["en"]["customs.inspect."+string(i)]; !ok {
			t.Errorf("missing key customs.inspect.%s", i)
		}
	}
	for _, f := range []string{"drafts", "progress", "released", "closed"} {
		if _, ok := cs["en"]["customs.filter_"+f]; !ok {
			t.Errorf("missing key customs.filter_%s", f)
		}
	}
}

func TestCustomsTemplatesParse(t *testing.T) {
	p, err := New(Deps{})
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"customs", "customsform", "customsdecl", "customsconsole", "customsquarantine"} {
		if _, ok := p.pages[name]; !ok {
			t.Errorf("no page %s", name)
		}
	}
}

func TestCustomsSteps(t *testing.T) {
	cs, _ := LoadCatalogs()
	v := &View{Lang: "en", cat: cs}
	t0 := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	states := func(st []stepView) []string {
		var out []string
		for _, s := range st {
			out = append(out, s.State)
		}
		return out
	}
	for _, c := range []struct {
		s    customs.Status
		lane customs.Lane
		sub  bool
		want []string
	}{
		{customs.StatusDraft, "", false, []string{"current", "todo", "todo", "todo", "todo"}},
		// The current step is the one the status badge names.
		{customs.StatusSubmitted, "", true, []string{"done", "current", "todo", "todo", "todo"}},
		{customs.StatusAssessed, customs.LaneGreen, true, []string{"done", "done", "current", "todo", "todo"}},
		{customs.StatusDocumentaryCheck, customs.LaneYellow, true, []string{"done", "done", "done", "current", "todo"}},
		{customs.StatusReleased, customs.LaneGreen, true, []string{"done", "done", "done", "done", "done"}},
		{customs.StatusCancelled, "", false, []string{"done", "todo", "todo", "todo", "failed"}},
		{customs.StatusRefused, customs.LaneRed, true, []string{"done", "done", "done", "todo", "failed"}},
	} {
		var sub time.Time
		if c.sub {
			sub = t0
		}
		got := states(customsStepsOf(v, c.s, c.lane, t0, sub, time.Time{}, t0))
		if len(got) != len(c.want) {
			t.Fatalf("%s: %v", c.s, got)
		}
		for i := range got {
			if got[i] != c.want[i] {
				t.Errorf("%s: steps %v, want %v", c.s, got, c.want)
				break
			}
		}
	}
}

func TestSafeReturn(t *testing.T) {
	for in, want := range map[string]string{
		"/customs/console":             "/customs/console",
		"/customs/console?tab=yellow":  "/customs/console?tab=yellow",
		"/customs/quarantine":          "/customs/quarantine",
		"//evil.example/customs":       "",
		"https://evil.example":         "",
		"/customs/consolex":            "",
		"/customs/console?x=\r\nLoc:y": "",
	} {
		if got := safeReturn(in); got != want {
			t.Errorf("safeReturn(%q) = %q, want %q", in, got, want)
		}
	}
}
