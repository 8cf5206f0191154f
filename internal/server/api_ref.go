package server

import (
	"net/http"
	"strconv"
	"strings"

	"bricstown/internal/problem"
	"bricstown/internal/refdata"
)

// searchLimit reads ?limit= for search endpoints, which return one ranked
// page (a cursor over a relevance ranking would not be stable).
func searchLimit(r *http.Request, def, max int) (int, error) {
	s := r.URL.Query().Get("limit")
	if s == "" {
		return def, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > max {
		return 0, &problem.Error{Code: problem.Invalid, Message: "bad limit", Fields: map[string]string{"limit": "must be an integer from 1 to " + strconv.Itoa(max)}}
	}
	return n, nil
}

func (s *Server) refCurrencies(w http.ResponseWriter, r *http.Request) {
	limit, cursor, err := pageParams(r)
	if err != nil {
		writeProblem(w, r, s.log, err)
		return
	}
	var out []refdata.Currency
	for _, c := range s.Ref.Currencies() {
		if c.Code > cursor && len(out) <= limit {
			out = append(out, c)
		}
	}
	writeJSON(w, http.StatusOK, pageOf(out, limit, func(c refdata.Currency) string { return c.Code }))
}

func (s *Server) refCurrency(w http.ResponseWriter, r *http.Request) {
	c, err := s.Ref.LookupCurrency(r.PathValue("code"))
	if err != nil {
		writeProblem(w, r, s.log, err)
		return
	}
	writeJSON(w, http.StatusOK, c)
}

type countryOut struct {
	refdata.Country
	Memberships []refdata.Membership `json:"memberships"`
}

// refCountries lists countries; ?bloc=brics or ?bloc=eaeu narrows to a bloc's
// members and partners.
func (s *Server) refCountries(w http.ResponseWriter, r *http.Request) {
	limit, cursor, err := pageParams(r)
	if err != nil {
		writeProblem(w, r, s.log, err)
		return
	}
	var bloc refdata.Bloc
	if b := r.URL.Query().Get("bloc"); b != "" {
		var ok bool
		if bloc, ok = refdata.ParseBloc(b); !ok {
			writeProblem(w, r, s.log, &problem.Error{Code: problem.Invalid, Message: "unknown bloc", Fields: map[string]string{"bloc": "must be brics or eaeu"}})
			return
		}
	}
	inBloc := func(code string) bool {
		for _, m := range s.Ref.Membership(code) {
			if m.Bloc == bloc {
				return true
			}
		}
		return false
	}
	var out []countryOut
	for _, c := range s.Ref.Countries() {
		if c.Alpha2 <= cursor || len(out) > limit || bloc != "" && !inBloc(c.Alpha2) {
			continue
		}
		out = append(out, countryOut{c, nonNil(s.Ref.Membership(c.Alpha2))})
	}
	writeJSON(w, http.StatusOK, pageOf(out, limit, func(c countryOut) string { return c.Alpha2 }))
}

func nonNil[T any](xs []T) []T {
	if xs == nil {
		return []T{}
	}
	return xs
}

func (s *Server) refCountry(w http.ResponseWriter, r *http.Request) {
	c, err := s.Ref.LookupCountry(r.PathValue("code"))
	if err != nil {
		writeProblem(w, r, s.log, err)
		return
	}
	writeJSON(w, http.StatusOK, countryOut{c, nonNil(s.Ref.Membership(c.Alpha2))})
}

type hsOut struct {
	refdata.HSCode
	Text string `json:"text"` // description in the requested language
}

func (s *Server) refHSSearch(w http.ResponseWriter, r *http.Request) {
	limit, err := searchLimit(r, 20, 100)
	if err != nil {
		writeProblem(w, r, s.log, err)
		return
	}
	q := strings.TrimSpace(r.URL.Query().Get("q"))
	lang := r.URL.Query().Get("lang")
	if lang == "" {
		lang = "en"
	}
	if !refdata.ValidLanguage(lang) {
		writeProblem(w, r, s.log, &problem.Error{Code: problem.Invalid, Message: "unknown language", Fields: map[string]string{"lang": "must be en, ru, zh, kk or pt"}})
		return
	}
	if q == "" || len(q) > 200 {
		writeProblem(w, r, s.log, &problem.Error{Code: problem.Invalid, Message: "search text required", Fields: map[string]string{"q": "must be 1 to 200 characters"}})
		return
	}
	var out []hsOut
	for _, h := range s.Ref.SearchHS(q, lang, limit) {
		out = append(out, hsOut{h, h.Text(lang)})
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": nonNil(out)})
}

func (s *Server) refHS(w http.ResponseWriter, r *http.Request) {
	lang := r.URL.Query().Get("lang")
	if lang == "" {
		lang = "en"
	}
	h, err := s.Ref.LookupHS(r.PathValue("code"))
	if err != nil {
		writeProblem(w, r, s.log, err)
		return
	}
	kids, err := s.Ref.HSChildren(h.Code)
	if err != nil {
		writeProblem(w, r, s.log, err)
		return
	}
	children := make([]hsOut, len(kids))
	for i, k := range kids {
		children[i] = hsOut{k, k.Text(lang)}
	}
	writeJSON(w, http.StatusOK, map[string]any{"code": hsOut{h, h.Text(lang)}, "children": children})
}

func (s *Server) refLocations(w http.ResponseWriter, r *http.Request) {
	limit, err := searchLimit(r, 20, 100)
	if err != nil {
		writeProblem(w, r, s.log, err)
		return
	}
	q := r.URL.Query()
	ls, err := s.Ref.SearchLocations(strings.ToUpper(q.Get("country")), q.Get("q"), limit)
	if err != nil {
		writeProblem(w, r, s.log, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": nonNil(ls)})
}

func (s *Server) refLocation(w http.ResponseWriter, r *http.Request) {
	l, err := s.Ref.LookupLocation(r.PathValue("code"))
	if err != nil {
		writeProblem(w, r, s.log, err)
		return
	}
	writeJSON(w, http.StatusOK, l)
}
