package problem

import (
	"fmt"
	"slices"
	"testing"
)

func TestFieldCode(t *testing.T) {
	cases := []struct {
		msg, code string
		args      []string
	}{
		{"required", "required", []string{}},
		{fmt.Sprintf("at most %d characters", 500), "too_long_n", []string{"500"}},
		{fmt.Sprintf("unknown ISO 3166 country %q", "XX"), "unknown_country", []string{"XX"}},
		{fmt.Sprintf("check digit is wrong: %s should end in %c", "CSQU305438", '3'), "container_check", []string{"CSQU305438", "3"}},
		{fmt.Sprintf("duties of %s KZT are neither paid nor guaranteed", "1250.00"), "unpaid", []string{"1250.00"}},
		// Two formats match; the one with more literal text is meant,
		// wherever it stands in the list.
		{"must be one of your organisation's declarations", "own_declaration", []string{}},
		{fmt.Sprintf("must be one of %s", "rail, road"), "one_of", []string{"rail, road"}},
	}
	for _, c := range cases {
		code, args, ok := FieldCode(c.msg)
		if !ok || code != c.code || !slices.Equal(args, c.args) {
			t.Errorf("FieldCode(%q) = %q %q %v, want %q %q", c.msg, code, args, ok, c.code, c.args)
		}
	}
	for _, msg := range []string{"required: something new", "at most many characters please", ""} {
		if code, _, ok := FieldCode(msg); ok && code != "too_long_n" {
			t.Errorf("FieldCode(%q) = %q", msg, code)
		}
	}
	if _, _, ok := FieldCode("required: something new"); ok {
		t.Error("an unlisted message has no code")
	}
	seen := map[string]bool{}
	for _, c := range FieldCodes() {
		if seen[c] {
			t.Errorf("code %s twice", c)
		}
		seen[c] = true
	}
	formats := map[string]string{}
	for _, f := range fieldFormats {
		if c, dup := formats[f.format]; dup {
			t.Errorf("format %q has two codes, %s and %s: only one can ever be found", f.format, c, f.code)
		}
		formats[f.format] = f.code
	}
	e := &Error{Code: Invalid, Fields: map[string]string{"a": "required", "b": "something else"}}
	if got := FieldCodesOf(e); len(got) != 1 || got["a"] != "required" {
		t.Errorf("FieldCodesOf = %v", got)
	}
}
