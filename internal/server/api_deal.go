package server

import (
	"mime"
	"net/http"
	"strconv"

	"bricstown/internal/deal"
	"bricstown/internal/problem"
)

// Investment agreements signed with Ed25519 (internal/deal): the parties' traders and
// administrators draft and read, administrators register keys and sign; anyone verifies.

// dealBodyLimit holds a 2 MiB document in base64 inside JSON.
const dealBodyLimit = 3 << 20

func (s *Server) dealReady(w http.ResponseWriter, r *http.Request) bool {
	if s.Deal == nil {
		writeProblem(w, r, s.log, problem.New(problem.Unavailable, "agreements are not available"))
		return false
	}
	return true
}

func (s *Server) registerDealKey(w http.ResponseWriter, r *http.Request) {
	if !s.dealReady(w, r) {
		return
	}
	var in deal.NewKey
	if err := decodeJSON(r, &in); err != nil {
		writeProblem(w, r, s.log, err)
		return
	}
	k, err := s.Deal.RegisterKey(r.Context(), principal(r), in)
	if err != nil {
		writeProblem(w, r, s.log, err)
		return
	}
	writeJSON(w, http.StatusCreated, k)
}

func (s *Server) listDealKeys(w http.ResponseWriter, r *http.Request) {
	if !s.dealReady(w, r) {
		return
	}
	ks, err := s.Deal.Keys(r.Context(), principal(r))
	if err != nil {
		writeProblem(w, r, s.log, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": orEmpty(ks)})
}

func (s *Server) createAgreement(w http.ResponseWriter, r *http.Request) {
	if !s.dealReady(w, r) {
		return
	}
	var in deal.NewAgreement
	if err := decodeJSON(r, &in); err != nil {
		writeProblem(w, r, s.log, err)
		return
	}
	a, err := s.Deal.Create(r.Context(), principal(r), in)
	if err != nil {
		writeProblem(w, r, s.log, err)
		return
	}
	w.Header().Set("Location", "/api/v1/deal/agreements/"+a.ID)
	writeJSON(w, http.StatusCreated, a)
}

func (s *Server) listAgreements(w http.ResponseWriter, r *http.Request) {
	if !s.dealReady(w, r) {
		return
	}
	list, err := s.Deal.List(r.Context(), principal(r), 0)
	if err != nil {
		writeProblem(w, r, s.log, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": orEmpty(list)})
}

func (s *Server) getAgreement(w http.ResponseWriter, r *http.Request) {
	if !s.dealReady(w, r) {
		return
	}
	a, err := s.Deal.Get(r.Context(), principal(r), r.PathValue("id"))
	if err != nil {
		writeProblem(w, r, s.log, err)
		return
	}
	writeJSON(w, http.StatusOK, a)
}

func (s *Server) agreementDocument(w http.ResponseWriter, r *http.Request) {
	if !s.dealReady(w, r) {
		return
	}
	a, doc, err := s.Deal.Document(r.Context(), principal(r), r.PathValue("id"))
	if err != nil {
		writeProblem(w, r, s.log, err)
		return
	}
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": a.DocName}))
	w.Header().Set("Content-Length", strconv.Itoa(len(doc)))
	w.Header().Set("X-Content-SHA256", a.DocSHA256)
	_, _ = w.Write(doc)
}

func (s *Server) agreementBundle(w http.ResponseWriter, r *http.Request) {
	if !s.dealReady(w, r) {
		return
	}
	names := s.identity.OrgNames(r.Context(), nil)
	b, err := s.Deal.Bundle(r.Context(), principal(r), r.PathValue("id"), names.Name)
	if err != nil {
		writeProblem(w, r, s.log, err)
		return
	}
	writeJSON(w, http.StatusOK, b)
}

func (s *Server) signAgreement(w http.ResponseWriter, r *http.Request) {
	if !s.dealReady(w, r) {
		return
	}
	var in deal.SignIn
	if err := decodeJSON(r, &in); err != nil {
		writeProblem(w, r, s.log, err)
		return
	}
	a, err := s.Deal.Sign(r.Context(), principal(r), r.PathValue("id"), in)
	if err != nil {
		writeProblem(w, r, s.log, err)
		return
	}
	writeJSON(w, http.StatusOK, a)
}

func (s *Server) verifyAgreement(w http.ResponseWriter, r *http.Request) {
	if !s.dealReady(w, r) {
		return
	}
	var in deal.VerifyIn
	if err := decodeJSON(r, &in); err != nil {
		writeProblem(w, r, s.log, err)
		return
	}
	c, err := s.Deal.Verify(in)
	if err != nil {
		writeProblem(w, r, s.log, err)
		return
	}
	writeJSON(w, http.StatusOK, c)
}
