package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"bricstown/internal/problem"
	"bricstown/internal/sqlstore"

	"github.com/jackc/pgx/v5/pgconn"
)

// TestOutageAnswers: a database outage that reaches the HTTP layer as a raw
// driver error answers 503 unavailable with Retry-After and a message that
// says to retry; a lost COMMIT answer says outcome_unknown; an error nobody
// can classify stays 500 internal with its text hidden.
func TestOutageAnswers(t *testing.T) {
	lostCommit := &problem.Error{Code: problem.OutcomeUnknown, Message: "retry with the same ids", RetryAfter: sqlstore.RetryAfter,
		Err: errors.New("unexpected EOF")}
	for _, tc := range []struct {
		err        error
		status     int
		code       problem.Code
		retryAfter string
	}{
		{fmt.Errorf("ledger: batch of 28: %w", &pgconn.PgError{Severity: "FATAL", Code: "57P01", Message: "terminating connection due to administrator command"}),
			503, problem.Unavailable, "1"},
		{fmt.Errorf("identity: %w", &pgconn.ConnectError{}), 503, problem.Unavailable, "1"},
		{fmt.Errorf("ledger: batch of 28: %w", lostCommit), 503, problem.OutcomeUnknown, "1"},
		{problem.New(problem.Unavailable, "settlement is not enabled on this server"), 503, problem.Unavailable, ""},
		{errors.New("secret bug detail"), 500, problem.Internal, ""},
	} {
		r := httptest.NewRequest("POST", "/api/v1/ledger/transfers", nil)
		r = r.WithContext(context.WithValue(r.Context(), classifierKey{}, sqlstore.Classify))
		w := httptest.NewRecorder()
		writeProblem(w, r, slog.New(slog.DiscardHandler), tc.err)
		var p Problem
		if err := json.Unmarshal(w.Body.Bytes(), &p); err != nil {
			t.Fatal(err)
		}
		if w.Code != tc.status || p.Code != tc.code || w.Header().Get("Retry-After") != tc.retryAfter {
			t.Errorf("%v: %d %s Retry-After %q, want %d %s %q", tc.err, w.Code, p.Code, w.Header().Get("Retry-After"), tc.status, tc.code, tc.retryAfter)
		}
		if tc.code == problem.Internal && p.Detail != "an unexpected error occurred; quote the request id when reporting it" {
			t.Errorf("internal error detail %q", p.Detail)
		}
		if tc.code != problem.Internal && p.Detail == "" {
			t.Errorf("%s without a detail", tc.code)
		}
	}
	// Without a classifier (no database behind the server) the raw error is
	// internal: the classification is the storage's, not a guess here.
	r := httptest.NewRequest("GET", "/x", nil)
	w := httptest.NewRecorder()
	writeProblem(w, r, slog.New(slog.DiscardHandler), &pgconn.ConnectError{})
	if w.Code != http.StatusInternalServerError {
		t.Errorf("no classifier: %d", w.Code)
	}
}
