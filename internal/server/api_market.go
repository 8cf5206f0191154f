package server

import (
	"context"
	"net/http"
	"strconv"

	"bricstown/internal/identity"
	"bricstown/internal/market"
	"bricstown/internal/problem"
)

// The catalogue (issue 11): every signed-in user searches it; companies'
// traders and administrators publish their own products and give buyers
// contract prices. Prices are integer minor units of the product's
// currency; "shown" is the caller's currency at the reference rates.

// marketSeller is who publishes: traders and administrators of companies
// (market.CanSell), so a bank's administrator sees no seller's pages.
var marketSeller = narrowed(roles(identity.Trader, orgAdmin), func(_ context.Context, p *identity.Principal) bool {
	return market.CanSell(p)
})

func (s *Server) marketReady(w http.ResponseWriter, r *http.Request) bool {
	if s.Market == nil {
		writeProblem(w, r, s.log, problem.New(problem.Unavailable, "the marketplace is not available"))
		return false
	}
	return true
}

// marketQuery reads a search from the query string.
func marketQuery(r *http.Request) (market.Query, error) {
	v := r.URL.Query()
	q := market.Query{Text: v.Get("q"), Origin: v.Get("origin"), Section: v.Get("section"), Incoterm: v.Get("incoterm"), MOQ: v.Get("moq"),
		Price: v.Get("price"), Currency: v.Get("currency"), Cursor: v.Get("cursor")}
	if l := v.Get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil {
			return q, &problem.Error{Code: problem.Invalid, Message: "bad page size", Fields: problem.Fields{"limit": "must be a positive whole number"}}
		}
		q.Limit = n
	}
	return q, nil
}

func (s *Server) searchProducts(w http.ResponseWriter, r *http.Request) {
	if !s.marketReady(w, r) {
		return
	}
	q, err := marketQuery(r)
	if err != nil {
		writeProblem(w, r, s.log, err)
		return
	}
	res, err := s.Market.Search(r.Context(), principal(r), q)
	if err != nil {
		writeProblem(w, r, s.log, err)
		return
	}
	if res.Items == nil {
		res.Items = []market.Offer{}
	}
	writeJSON(w, http.StatusOK, res)
}

func (s *Server) publishProduct(w http.ResponseWriter, r *http.Request) {
	if !s.marketReady(w, r) {
		return
	}
	var in market.NewProduct
	if err := decodeJSON(r, &in); err != nil {
		writeProblem(w, r, s.log, err)
		return
	}
	p, err := s.Market.Publish(r.Context(), principal(r), in)
	if err != nil {
		writeProblem(w, r, s.log, err)
		return
	}
	w.Header().Set("Location", "/api/v1/market/products/"+p.ID)
	writeJSON(w, http.StatusCreated, p)
}

// productOut is a product as the caller sees it, with the date of the
// reference rates its shown prices use.
type productOut struct {
	market.Offer
	RatesDate string `json:"rates_date,omitempty"`
}

func (s *Server) getProduct(w http.ResponseWriter, r *http.Request) {
	if !s.marketReady(w, r) {
		return
	}
	o, date, err := s.Market.Product(r.Context(), principal(r), r.PathValue("id"), r.URL.Query().Get("currency"))
	if err != nil {
		writeProblem(w, r, s.log, err)
		return
	}
	writeJSON(w, http.StatusOK, productOut{Offer: o, RatesDate: date})
}

func (s *Server) updateProduct(w http.ResponseWriter, r *http.Request) {
	if !s.marketReady(w, r) {
		return
	}
	var in market.NewProduct
	if err := decodeJSON(r, &in); err != nil {
		writeProblem(w, r, s.log, err)
		return
	}
	p, err := s.Market.Update(r.Context(), principal(r), r.PathValue("id"), in)
	if err != nil {
		writeProblem(w, r, s.log, err)
		return
	}
	writeJSON(w, http.StatusOK, p)
}

func (s *Server) myProducts(w http.ResponseWriter, r *http.Request) {
	if !s.marketReady(w, r) {
		return
	}
	limit, cursor, err := pageParams(r)
	if err != nil {
		writeProblem(w, r, s.log, err)
		return
	}
	list, err := s.Market.Mine(r.Context(), principal(r), cursor, limit+1)
	if err != nil {
		writeProblem(w, r, s.log, err)
		return
	}
	writeJSON(w, http.StatusOK, pageOf(list, limit, func(p market.Product) string { return p.ID }))
}

func (s *Server) setContractPrice(w http.ResponseWriter, r *http.Request) {
	if !s.marketReady(w, r) {
		return
	}
	var in market.NewContractPrice
	if err := decodeJSON(r, &in); err != nil {
		writeProblem(w, r, s.log, err)
		return
	}
	c, err := s.Market.SetContractPrice(r.Context(), principal(r), r.PathValue("id"), in)
	if err != nil {
		writeProblem(w, r, s.log, err)
		return
	}
	writeJSON(w, http.StatusCreated, c)
}

func (s *Server) listContractPrices(w http.ResponseWriter, r *http.Request) {
	if !s.marketReady(w, r) {
		return
	}
	list, err := s.Market.ContractPrices(r.Context(), principal(r), r.PathValue("id"))
	if err != nil {
		writeProblem(w, r, s.log, err)
		return
	}
	if list == nil {
		list = []market.ContractPrice{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": list})
}
