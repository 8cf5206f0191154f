package ui

import (
	"strings"
	"testing"

	"bricstown/internal/problem"
	"bricstown/internal/refdata"
)

// A refused form's field messages are in the page's language: every coded
// message reads differently from its English in ru, zh, kk and pt, and a
// message no code covers is, outside English, the catalogue's line that the
// value was not accepted, never the service's English sentence.
func TestFieldErrorsNeverEnglishOutsideEnglish(t *testing.T) {
	p, err := New(Deps{Ref: refdata.Default()})
	if err != nil {
		t.Fatal(err)
	}
	en := &View{Lang: "en", cat: p.cat}
	for _, lang := range []string{"ru", "zh", "kk", "pt"} {
		v := &View{Lang: lang, cat: p.cat}
		for _, code := range problem.FieldCodes() {
			args := []any{"X1", "X2", 3}
			if strings.Count(p.cat["en"]["field.msg."+code], "%d") == 1 && strings.Contains(p.cat["en"]["field.msg."+code], "%d countries") {
				args = []any{3, "X1", "X2"}
			}
			if got, want := v.T("field.msg."+code, args...), en.T("field.msg."+code, args...); got == want {
				t.Errorf("%s: field message %s is the English %q", lang, code, got)
			}
		}
		err := &problem.Error{Code: problem.Invalid, Fields: map[string]string{
			"number": "must be at most 64 characters", "note": "a sentence no code covers", "limit": "exceeds_credits"}}
		v.Fields = nil
		p.formError(v, err)
		if got := v.Fields["note"]; got != v.T("ux.field.generic") {
			t.Errorf("%s: an uncoded message reads %q", lang, got)
		}
		if got := v.Fields["number"]; got != v.T("field.msg.max_64") || got == "must be at most 64 characters" {
			t.Errorf("%s: a coded message reads %q", lang, got)
		}
		if got := v.Fields["limit"]; got != "exceeds_credits" {
			t.Errorf("%s: a ledger code is left for formFail to word, got %q", lang, got)
		}
		csv := p.fieldWords(v, "expected the header debtor,creditor,amount")
		if strings.Contains(csv, "expected") {
			t.Errorf("%s: CSV fault in English: %q", lang, csv)
		}
	}
	en.Fields = nil
	p.formError(en, &problem.Error{Code: problem.Invalid, Fields: map[string]string{"note": "a sentence no code covers"}})
	if got := en.Fields["note"]; got != "a sentence no code covers" {
		t.Errorf("en keeps the service's words, got %q", got)
	}
}
