package server

import (
	"net/http"

	"bricstown/internal/market"
)

// Buyer groups (issue 11): a seller's private named sets of buyer
// organisations, each of which a contract price may name instead of one
// buyer. Only the seller ever lists or changes its groups; another
// organisation's group id answers 404 like an unknown one.

func (s *Server) listBuyerGroups(w http.ResponseWriter, r *http.Request) {
	if !s.marketReady(w, r) {
		return
	}
	list, err := s.Market.BuyerGroups(r.Context(), principal(r))
	if err != nil {
		writeProblem(w, r, s.log, err)
		return
	}
	if list == nil {
		list = []market.BuyerGroup{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": list})
}

func (s *Server) createBuyerGroup(w http.ResponseWriter, r *http.Request) {
	if !s.marketReady(w, r) {
		return
	}
	var in market.NewBuyerGroup
	if err := decodeJSON(r, &in); err != nil {
		writeProblem(w, r, s.log, err)
		return
	}
	g, err := s.Market.CreateBuyerGroup(r.Context(), principal(r), in)
	if err != nil {
		writeProblem(w, r, s.log, err)
		return
	}
	writeJSON(w, http.StatusCreated, g)
}

func (s *Server) getBuyerGroup(w http.ResponseWriter, r *http.Request) {
	if !s.marketReady(w, r) {
		return
	}
	g, err := s.Market.BuyerGroup(r.Context(), principal(r), r.PathValue("id"))
	if err != nil {
		writeProblem(w, r, s.log, err)
		return
	}
	writeJSON(w, http.StatusOK, g)
}

func (s *Server) renameBuyerGroup(w http.ResponseWriter, r *http.Request) {
	if !s.marketReady(w, r) {
		return
	}
	var in market.NewBuyerGroup
	if err := decodeJSON(r, &in); err != nil {
		writeProblem(w, r, s.log, err)
		return
	}
	g, err := s.Market.RenameBuyerGroup(r.Context(), principal(r), r.PathValue("id"), in)
	if err != nil {
		writeProblem(w, r, s.log, err)
		return
	}
	writeJSON(w, http.StatusOK, g)
}

func (s *Server) deleteBuyerGroup(w http.ResponseWriter, r *http.Request) {
	if !s.marketReady(w, r) {
		return
	}
	if err := s.Market.DeleteBuyerGroup(r.Context(), principal(r), r.PathValue("id")); err != nil {
		writeProblem(w, r, s.log, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) addBuyerGroupMember(w http.ResponseWriter, r *http.Request) {
	if !s.marketReady(w, r) {
		return
	}
	var in market.NewGroupMember
	if err := decodeJSON(r, &in); err != nil {
		writeProblem(w, r, s.log, err)
		return
	}
	g, err := s.Market.AddGroupMember(r.Context(), principal(r), r.PathValue("id"), in)
	if err != nil {
		writeProblem(w, r, s.log, err)
		return
	}
	writeJSON(w, http.StatusCreated, g)
}

func (s *Server) removeBuyerGroupMember(w http.ResponseWriter, r *http.Request) {
	if !s.marketReady(w, r) {
		return
	}
	if err := s.Market.RemoveGroupMember(r.Context(), principal(r), r.PathValue("id"), r.PathValue("org")); err != nil {
		writeProblem(w, r, s.log, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
