package server

import (
	"bytes"
	"net/http"

	"bricstown/internal/fx"
	"bricstown/internal/identity"
)

// fxReferencePublish may reach the reference publication; the service lets
// through only the platform administrator and the settlement centre's own
// bank operators, never another bank's.
var fxReferencePublish = roles(admin, identity.BankOperator)

// fxReferenceBodyLimit fits a few years of NBK daily tables as CSV.
const fxReferenceBodyLimit = 4 << 20

type referenceOut struct {
	Date          string `json:"date"`
	Currency      string `json:"currency"`
	Units         int64  `json:"units"`
	Rate          string `json:"rate"`
	Source        string `json:"source"`
	Publisher     string `json:"publisher_org"`
	PublisherName string `json:"publisher_name,omitempty"`
	PublishedAt   string `json:"published_at"`
}

func (s *Server) writeReference(w http.ResponseWriter, r *http.Request, status int, rows []fx.ReferenceRate) {
	names := s.orgNames(r)
	out := make([]referenceOut, len(rows))
	for i, x := range rows {
		out[i] = referenceOut{Date: x.Date, Currency: x.Currency, Units: x.Units, Rate: x.KZT.String(), Source: x.Source,
			Publisher: x.Publisher, PublisherName: names.Name(x.Publisher), PublishedAt: x.PublishedAt.UTC().Format("2006-01-02T15:04:05.999999Z07:00")}
	}
	writeJSON(w, status, map[string]any{"items": out})
}

// publishReference takes one date's official rates as JSON.
func (s *Server) publishReference(w http.ResponseWriter, r *http.Request) {
	var in fx.NewReferenceTable
	if err := decodeJSON(r, &in); err != nil {
		writeProblem(w, r, s.log, err)
		return
	}
	rows, err := s.FX.PublishReference(r.Context(), principal(r), in)
	if err != nil {
		writeProblem(w, r, s.log, err)
		return
	}
	s.writeReference(w, r, http.StatusCreated, rows)
}

// importReference takes a text/csv body (date,currency,units,rate,source),
// all of it or none.
func (s *Server) importReference(w http.ResponseWriter, r *http.Request) {
	body, err := readCSV(r)
	if err != nil {
		writeProblem(w, r, s.log, err)
		return
	}
	rows, err := s.FX.ImportReferenceCSV(r.Context(), principal(r), bytes.NewReader(body))
	if err != nil {
		writeProblem(w, r, s.log, err)
		return
	}
	s.writeReference(w, r, http.StatusCreated, rows)
}

// fxReference lists the rate in force on ?date= (default today) per currency.
func (s *Server) fxReference(w http.ResponseWriter, r *http.Request) {
	rows, err := s.FX.Reference(r.Context(), principal(r), r.URL.Query().Get("date"))
	if err != nil {
		writeProblem(w, r, s.log, err)
		return
	}
	s.writeReference(w, r, http.StatusOK, rows)
}
