package server

import (
	"net/http"

	"bricstown/internal/guarantee"
	"bricstown/internal/problem"
)

// Bank guarantees for customs duties. Amounts are KZT in tiyn, like every
// amount of a declaration.

type guaranteeOut struct {
	guarantee.Guarantee
	// HoldTransferID is the ledger's pending transfer that reserves the
	// remaining amount.
	HoldTransferID string           `json:"hold_transfer_id,omitempty"`
	Moves          []guarantee.Move `json:"moves,omitempty"`
}

func guaranteeJSON(g guarantee.Guarantee, moves []guarantee.Move) guaranteeOut {
	out := guaranteeOut{Guarantee: g, Moves: moves}
	if g.Status == guarantee.Active {
		out.HoldTransferID = g.HoldID()
	}
	return out
}

func (s *Server) guaranteesReady(w http.ResponseWriter, r *http.Request) bool {
	if s.Guarantees == nil {
		writeProblem(w, r, s.log, problem.New(problem.Unavailable, "guarantees are not available"))
		return false
	}
	return true
}

func (s *Server) issueGuarantee(w http.ResponseWriter, r *http.Request) {
	if !s.guaranteesReady(w, r) {
		return
	}
	var in guarantee.NewGuarantee
	if err := decodeJSON(r, &in); err != nil {
		writeProblem(w, r, s.log, err)
		return
	}
	g, err := s.Guarantees.Issue(r.Context(), principal(r), in)
	if err != nil {
		writeProblem(w, r, s.log, err)
		return
	}
	w.Header().Set("Location", "/api/v1/guarantees/"+g.ID)
	writeJSON(w, http.StatusCreated, guaranteeJSON(g, nil))
}

func (s *Server) listGuarantees(w http.ResponseWriter, r *http.Request) {
	if !s.guaranteesReady(w, r) {
		return
	}
	limit, cursor, err := pageParams(r)
	if err != nil {
		writeProblem(w, r, s.log, err)
		return
	}
	list, err := s.Guarantees.List(r.Context(), principal(r), cursor, limit+1)
	if err != nil {
		writeProblem(w, r, s.log, err)
		return
	}
	out := make([]guaranteeOut, len(list))
	for i, g := range list {
		out[i] = guaranteeJSON(g, nil)
	}
	writeJSON(w, http.StatusOK, pageOf(out, limit, func(g guaranteeOut) string { return g.ID }))
}

func (s *Server) getGuarantee(w http.ResponseWriter, r *http.Request) {
	if !s.guaranteesReady(w, r) {
		return
	}
	g, moves, err := s.Guarantees.Get(r.Context(), principal(r), r.PathValue("id"))
	if err != nil {
		writeProblem(w, r, s.log, err)
		return
	}
	writeJSON(w, http.StatusOK, guaranteeJSON(g, moves))
}

func (s *Server) cancelGuarantee(w http.ResponseWriter, r *http.Request) {
	if !s.guaranteesReady(w, r) {
		return
	}
	if err := decodeOptionalJSON(r, &struct{}{}); err != nil {
		writeProblem(w, r, s.log, err)
		return
	}
	g, err := s.Guarantees.Cancel(r.Context(), principal(r), r.PathValue("id"))
	if err != nil {
		writeProblem(w, r, s.log, err)
		return
	}
	writeJSON(w, http.StatusOK, guaranteeJSON(g, nil))
}
