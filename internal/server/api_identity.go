package server

import (
	"net/http"
	"strconv"

	"bricstown/internal/identity"
)

func principal(r *http.Request) *identity.Principal { return identity.FromContext(r.Context()) }

type meResponse struct {
	UserID  string          `json:"user_id"`
	OrgID   string          `json:"org_id"`
	OrgKind string          `json:"org_kind"`
	Name    string          `json:"name"`
	Email   string          `json:"email"`
	Roles   []identity.Role `json:"roles"`
	Via     string          `json:"via"`
}

func (s *Server) me(w http.ResponseWriter, r *http.Request) {
	p := principal(r)
	writeJSON(w, http.StatusOK, meResponse{p.UserID, p.OrgID, string(p.OrgKind), p.Name, p.Email, p.Roles, p.Via})
}

// The town's directory of organisations is visible to every signed-in
// member: names, kinds, countries and registration numbers are public facts
// in the town, as in a company register.
func (s *Server) listOrgs(w http.ResponseWriter, r *http.Request) {
	limit, cursor, err := pageParams(r)
	if err != nil {
		writeProblem(w, r, s.log, err)
		return
	}
	orgs, err := s.identity.Orgs(r.Context(), identity.Page{After: cursor, Limit: limit + 1})
	if err != nil {
		writeProblem(w, r, s.log, err)
		return
	}
	writeJSON(w, http.StatusOK, pageOf(orgs, limit, func(o identity.Org) string { return o.ID }))
}

func (s *Server) createOrg(w http.ResponseWriter, r *http.Request) {
	var in identity.NewOrg
	if err := decodeJSON(r, &in); err != nil {
		writeProblem(w, r, s.log, err)
		return
	}
	o, err := s.identity.CreateOrg(r.Context(), principal(r), in)
	if err != nil {
		writeProblem(w, r, s.log, err)
		return
	}
	w.Header().Set("Location", "/api/v1/orgs/"+o.ID)
	writeJSON(w, http.StatusCreated, o)
}

func (s *Server) getOrg(w http.ResponseWriter, r *http.Request) {
	o, err := s.identity.Org(r.Context(), r.PathValue("org"))
	if err != nil {
		writeProblem(w, r, s.log, err)
		return
	}
	writeJSON(w, http.StatusOK, o)
}

func (s *Server) listUsers(w http.ResponseWriter, r *http.Request) {
	limit, cursor, err := pageParams(r)
	if err != nil {
		writeProblem(w, r, s.log, err)
		return
	}
	users, err := s.identity.ListUsers(r.Context(), principal(r), r.PathValue("org"), identity.Page{After: cursor, Limit: limit + 1})
	if err != nil {
		writeProblem(w, r, s.log, err)
		return
	}
	writeJSON(w, http.StatusOK, pageOf(users, limit, func(u identity.User) string { return u.ID }))
}

func (s *Server) createUser(w http.ResponseWriter, r *http.Request) {
	var in identity.NewUser
	if err := decodeJSON(r, &in); err != nil {
		writeProblem(w, r, s.log, err)
		return
	}
	u, err := s.identity.CreateUser(r.Context(), principal(r), r.PathValue("org"), in)
	if err != nil {
		writeProblem(w, r, s.log, err)
		return
	}
	writeJSON(w, http.StatusCreated, u)
}

func (s *Server) disableUser(w http.ResponseWriter, r *http.Request) { s.setDisabled(w, r, true) }
func (s *Server) enableUser(w http.ResponseWriter, r *http.Request)  { s.setDisabled(w, r, false) }

func (s *Server) setDisabled(w http.ResponseWriter, r *http.Request, disabled bool) {
	if err := s.identity.SetUserDisabled(r.Context(), principal(r), r.PathValue("org"), r.PathValue("user"), disabled); err != nil {
		writeProblem(w, r, s.log, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) listTokens(w http.ResponseWriter, r *http.Request) {
	limit, cursor, err := pageParams(r)
	if err != nil {
		writeProblem(w, r, s.log, err)
		return
	}
	ts, err := s.identity.ListTokens(r.Context(), principal(r), r.PathValue("org"), identity.Page{After: cursor, Limit: limit + 1})
	if err != nil {
		writeProblem(w, r, s.log, err)
		return
	}
	writeJSON(w, http.StatusOK, pageOf(ts, limit, func(t identity.APIToken) string { return t.ID }))
}

type createdToken struct {
	identity.APIToken
	Token string `json:"token"`
}

func (s *Server) createToken(w http.ResponseWriter, r *http.Request) {
	var in identity.NewToken
	if err := decodeJSON(r, &in); err != nil {
		writeProblem(w, r, s.log, err)
		return
	}
	t, secret, err := s.identity.CreateToken(r.Context(), principal(r), r.PathValue("org"), in)
	if err != nil {
		writeProblem(w, r, s.log, err)
		return
	}
	writeJSON(w, http.StatusCreated, createdToken{t, secret})
}

func (s *Server) revokeToken(w http.ResponseWriter, r *http.Request) {
	if err := s.identity.RevokeToken(r.Context(), principal(r), r.PathValue("org"), r.PathValue("token")); err != nil {
		writeProblem(w, r, s.log, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

type auditEntry struct {
	Seq         int64  `json:"seq"`
	At          string `json:"at"`
	ActorUser   string `json:"actor_user"`
	ActorOrg    string `json:"actor_org"`
	Action      string `json:"action"`
	SubjectType string `json:"subject_type"`
	SubjectID   string `json:"subject_id"`
	OrgID       string `json:"org_id"`
	Before      string `json:"before"`
	After       string `json:"after"`
	Detail      string `json:"detail"`
	Hash        string `json:"hash"`
}

// listAudit shows the platform administrator the whole log (optionally one
// org's) and an org administrator only their own org's entries, narrowed
// by the filters of auditFilter.
func (s *Server) listAudit(w http.ResponseWriter, r *http.Request) {
	limit, cursor, err := pageParams(r)
	if err != nil {
		writeProblem(w, r, s.log, err)
		return
	}
	f, err := auditFilter(r, limit, cursor)
	if err != nil {
		writeProblem(w, r, s.log, err)
		return
	}
	es, err := s.Identity.AuditLog(r.Context(), principal(r), f)
	if err != nil {
		writeProblem(w, r, s.log, err)
		return
	}
	out := make([]auditEntry, len(es))
	for i, e := range es {
		out[i] = auditEntry{e.Seq, e.At.Format("2006-01-02T15:04:05.000000Z07:00"), e.ActorUser, e.ActorOrg, e.Action, e.SubjectType, e.SubjectID,
			e.OrgID, e.Before, e.After, e.Detail, hexString(e.Hash)}
	}
	writeJSON(w, http.StatusOK, pageOf(out, limit, func(e auditEntry) string { return strconv.FormatInt(e.Seq, 10) }))
}

// myHome is the signed-in user's home as data: per role, what needs them
// now (the web home shows the same summary).
func (s *Server) myHome(w http.ResponseWriter, r *http.Request) {
	h, err := s.Home.For(r.Context(), principal(r))
	if err != nil {
		writeProblem(w, r, s.log, err)
		return
	}
	writeJSON(w, http.StatusOK, h)
}
