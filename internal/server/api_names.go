package server

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"bricstown/internal/audit"
	"bricstown/internal/ledger"
	"bricstown/internal/problem"
)

// counterpartyOut is a saved counterparty as the API shows it: the label the
// org chose, the account id it typed and the currency it can receive in.
type counterpartyOut struct {
	ID        string `json:"id"`
	AccountID string `json:"account_id"`
	Currency  string `json:"currency"`
	Label     string `json:"label"`
	CreatedAt string `json:"created_at"`
}

func counterpartyJSON(c ledger.SavedCounterparty) counterpartyOut {
	return counterpartyOut{c.ID, c.Account.String(), c.Currency, c.Label, c.CreatedAt.Format(time.RFC3339)}
}

func (s *Server) saveCounterparty(w http.ResponseWriter, r *http.Request) {
	var in ledger.NewCounterparty
	if err := decodeJSON(r, &in); err != nil {
		writeProblem(w, r, s.log, err)
		return
	}
	c, err := s.Ledger.SaveCounterparty(r.Context(), principal(r), in)
	if err != nil {
		writeProblem(w, r, s.log, err)
		return
	}
	writeJSON(w, http.StatusCreated, counterpartyJSON(c))
}

func (s *Server) listCounterparties(w http.ResponseWriter, r *http.Request) {
	cs, err := s.Ledger.Counterparties(r.Context(), principal(r), r.URL.Query().Get("currency"))
	if err != nil {
		writeProblem(w, r, s.log, err)
		return
	}
	out := make([]counterpartyOut, len(cs))
	for i, c := range cs {
		out[i] = counterpartyJSON(c)
	}
	writeJSON(w, http.StatusOK, PageOf[counterpartyOut]{Items: out})
}

func (s *Server) deleteCounterparty(w http.ResponseWriter, r *http.Request) {
	if err := s.Ledger.DeleteCounterparty(r.Context(), principal(r), r.PathValue("id")); err != nil {
		writeProblem(w, r, s.log, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// auditFilter reads the audit listing's query: actor, action (or a prefix
// ending in a dot), subject_type, subject_id, from and to (RFC 3339 times
// or dates; to is exclusive), org (the platform administrator's), and the
// page. The service checks them; this only parses.
func auditFilter(r *http.Request, limit int, cursor string) (audit.Filter, error) {
	q := r.URL.Query()
	f := audit.Filter{OrgID: q.Get("org"), Limit: limit + 1, ActorUser: strings.TrimSpace(q.Get("actor")),
		Action: strings.TrimSpace(q.Get("action")), SubjectType: strings.TrimSpace(q.Get("subject_type")),
		SubjectID: strings.TrimSpace(q.Get("subject_id"))}
	fs := problem.Fields{}
	if cursor != "" {
		n, err := strconv.ParseInt(cursor, 10, 64)
		if err != nil || n <= 0 {
			fs.Add("cursor", "not a cursor from this listing")
		}
		f.After = n
	}
	for _, b := range []struct {
		name string
		dst  *time.Time
	}{{"from", &f.From}, {"to", &f.To}} {
		v := strings.TrimSpace(q.Get(b.name))
		if v == "" {
			continue
		}
		t, ok := parseTimeOrDate(v)
		if !ok {
			fs.Add(b.name, "an RFC 3339 time or a date (2006-01-02)")
		}
		*b.dst = t
	}
	return f, fs.Err("bad audit filter")
}

func parseTimeOrDate(s string) (time.Time, bool) {
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t.UTC(), true
	}
	if t, err := time.ParseInLocation("2006-01-02", s, time.UTC); err == nil {
		return t, true
	}
	return time.Time{}, false
}
