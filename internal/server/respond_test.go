package server

import (
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"bricstown/internal/problem"
)

// A malformed time is reported on the field that holds it, wherever it is.
func TestDecodeNamesTheBadTimeField(t *testing.T) {
	type leg struct {
		DepartAt time.Time `json:"depart_at"`
	}
	type in struct {
		ReadyAt time.Time `json:"ready_at"`
		Legs    []leg     `json:"legs"`
	}
	for body, field := range map[string]string{
		`{"ready_at":"tomorrow"}`: "ready_at",
		`{"ready_at":"2026-03-02T09:00:00Z","legs":[{"depart_at":"2026-03-02T09:00:00Z"},{"depart_at":"2026-13-02"}]}`: "legs[1].depart_at",
	} {
		r := httptest.NewRequest("POST", "/", strings.NewReader(body))
		var dst in
		err := decodeJSON(r, &dst)
		var pe *problem.Error
		if !problem.Is(err, problem.Invalid) || !asProblem(err, &pe) || pe.Fields[field] == "" {
			t.Fatalf("%s: %v, want a message for %s", body, err, field)
		}
	}
	r := httptest.NewRequest("POST", "/", strings.NewReader(""))
	var dst struct{ Note string }
	if err := decodeOptionalJSON(r, &dst); err != nil {
		t.Fatalf("an optional empty body: %v", err)
	}
	if err := decodeJSON(httptest.NewRequest("POST", "/", strings.NewReader("")), &dst); !problem.Is(err, problem.Malformed) {
		t.Fatalf("a required empty body: %v", err)
	}
}

func asProblem(err error, pe **problem.Error) bool {
	p, ok := err.(*problem.Error)
	*pe = p
	return ok
}
