package ui

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"bricstown/internal/problem"
	"bricstown/internal/sqlstore"

	"github.com/jackc/pgx/v5/pgconn"
)

// TestOutagePages: a page whose read found the database down shows "try
// again" with 503, a lost commit says the change may be saved, and a bug
// stays a generic 500; the classification is the storage's (Deps.Classify).
func TestOutagePages(t *testing.T) {
	p, err := New(Deps{Log: slog.New(slog.DiscardHandler), Classify: sqlstore.Classify})
	if err != nil {
		t.Fatal(err)
	}
	cs, _ := LoadCatalogs()
	for _, tc := range []struct {
		err    error
		status int
		key    string
	}{
		{fmt.Errorf("ledger: account: %w", &pgconn.PgError{Severity: "FATAL", Code: "57P03", Message: "the database system is starting up"}),
			503, "error.unavailable"},
		{&problem.Error{Code: problem.OutcomeUnknown, RetryAfter: sqlstore.RetryAfter}, 503, "error.outcome_unknown"},
		{errors.New("a bug"), 500, "error.generic"},
	} {
		r := httptest.NewRequest("GET", "/accounts/x", nil)
		r.Header.Set("Accept-Language", "en")
		w := httptest.NewRecorder()
		p.Error(w, r, statusOfErr(tc.err), tc.err)
		if w.Code != tc.status {
			t.Errorf("%v: status %d, want %d", tc.err, w.Code, tc.status)
		}
		if want := cs["en"][tc.key]; !strings.Contains(w.Body.String(), htmlEscape(want)) {
			t.Errorf("%v: page lacks %s (%q)", tc.err, tc.key, want)
		}
		// A form that failed the same way answers the same status.
		v := &View{Lang: "en", cat: cs}
		if st := p.formError(v, tc.err); st != tc.status && !(tc.status == 500 && st == http.StatusInternalServerError) {
			t.Errorf("form %v: status %d, want %d", tc.err, st, tc.status)
		}
		if v.Error != cs["en"][tc.key] {
			t.Errorf("form %v: message %q, want %s", tc.err, v.Error, tc.key)
		}
	}
}

func htmlEscape(s string) string {
	return strings.NewReplacer("&", "&amp;", "'", "&#39;", "<", "&lt;", ">", "&gt;", `"`, "&#34;").Replace(s)
}
