package ui

import (
	"context"
	"net/http"
	"slices"
	"strconv"

	"bricstown/internal/identity"
	"bricstown/internal/problem"
)

// TownStats counts what the overview shows.
type TownStats interface {
	OrgCounts(ctx context.Context) (byKind map[string]int, byCountry map[string]int, err error)
}

// Zone is one functional zone of the town plan and what it offers on the
// platform. Live says whether the platform serves it yet.
type Zone struct {
	Key      string
	Services []ZoneService
}

// ZoneService is one capability of a zone; Path is empty while it is planned.
type ZoneService struct {
	Key  string
	Path string
}

// Zones follow the town plan (seed document, §6) plus the incubation park (§2).
var Zones = []Zone{
	{"trade", []ZoneService{{"svc.one_stop", "/customs"}, {"svc.commodity_centre", "/market"}, {"svc.marketplace", "/market"}, {"svc.expos", "/expo"}}},
	{"business", []ZoneService{{"svc.settlement", "/settlement"}, {"svc.fx", "/fx"}, {"svc.green_finance", ""}, {"svc.negotiations", "/deal"}}},
	{"art", []ZoneService{{"svc.exhibitions", "/festivals"}, {"svc.festivals", "/festivals"}}},
	{"education", []ZoneService{{"svc.joint_programmes", "/education"}, {"svc.vocational", "/education"}, {"svc.exchanges", "/education/exchanges"}}},
	{"medical", []ZoneService{{"svc.telemedicine", "/clinic"}, {"svc.wellness", "/clinic"}}},
	{"residential", []ZoneService{{"svc.housing", ""}, {"svc.community", ""}}},
	{"incubation", []ZoneService{{"svc.incubator", ""}}},
}

// townView is the town itself: its zones and who is in town. The home
// shows it below a user's work, and alone to roles with no work queue yet
// (carriers, organisers, schools, clinics, residents).
func (p *Pages) townView(r *http.Request, v *View) (map[string]any, error) {
	byKind, byCountry, err := p.Stats.OrgCounts(r.Context())
	if err != nil {
		return nil, err
	}
	total := 0
	for _, n := range byKind {
		total += n
	}
	type countryCount struct {
		Code, Name string
		Count      int
	}
	var countries []countryCount
	for code, n := range byCountry {
		countries = append(countries, countryCount{code, p.countryName(code, v.Lang), n})
	}
	byName := compareNames(v.Lang)
	slices.SortFunc(countries, func(a, b countryCount) int {
		if a.Count != b.Count {
			return b.Count - a.Count
		}
		return byName(a.Name, b.Name)
	})
	kinds := make([]struct {
		Kind  string
		Count int
	}, 0, len(identity.OrgKinds))
	for _, k := range identity.OrgKinds {
		if n := byKind[string(k)]; n > 0 {
			kinds = append(kinds, struct {
				Kind  string
				Count int
			}{string(k), n})
		}
	}
	return map[string]any{"Zones": Zones, "Total": total, "Countries": countries, "Kinds": kinds}, nil
}

// MyOrg shows the signed-in user's organisation: its people and API tokens.
func (p *Pages) MyOrg(w http.ResponseWriter, r *http.Request) {
	p.renderOrg(w, r, http.StatusOK, nil, "")
}

func (p *Pages) renderOrg(w http.ResponseWriter, r *http.Request, status int, formErr error, newSecret string) {
	pr := identity.FromContext(r.Context())
	ctx := r.Context()
	org, err := p.Identity.Org(ctx, pr.OrgID)
	if err != nil {
		p.Error(w, r, http.StatusInternalServerError, err)
		return
	}
	users, err := p.Identity.ListUsers(ctx, pr, pr.OrgID, identity.Page{Limit: 200})
	if err != nil {
		p.Error(w, r, http.StatusInternalServerError, err)
		return
	}
	tokens, err := p.Identity.ListTokens(ctx, pr, pr.OrgID, identity.Page{Limit: 200})
	if err != nil {
		p.Error(w, r, http.StatusInternalServerError, err)
		return
	}
	v := p.view(w, r, "org.title", nil)
	v.Here = "/org"
	if formErr != nil {
		status = p.formError(v, formErr)
	}
	v.Data = map[string]any{"Org": org, "Users": users, "Tokens": tokens, "NewSecret": newSecret,
		"Roles": identity.GrantableRoles(pr, org), "Country": p.countryName(org.Country, v.Lang)}
	p.render(w, r, status, "org", v)
}

// CreateUser adds a colleague from the organisation page.
func (p *Pages) CreateUser(w http.ResponseWriter, r *http.Request) {
	pr := identity.FromContext(r.Context())
	if err := r.ParseForm(); err != nil {
		p.Error(w, r, http.StatusBadRequest, problem.New(problem.Malformed, "bad form"))
		return
	}
	var roles []identity.Role
	for _, s := range r.PostForm["roles"] {
		roles = append(roles, identity.Role(s))
	}
	_, err := p.Identity.CreateUser(r.Context(), pr, pr.OrgID, identity.NewUser{Email: r.PostFormValue("email"),
		Name: r.PostFormValue("name"), Password: r.PostFormValue("password"), Roles: roles, Lang: r.PostFormValue("lang")})
	if err != nil {
		p.renderOrg(w, r, 0, err, "")
		return
	}
	p.redirectDone(w, r, "/org", "done.user_created")
}

// CreateToken issues an API token and shows its secret this one time.
func (p *Pages) CreateToken(w http.ResponseWriter, r *http.Request) {
	pr := identity.FromContext(r.Context())
	if err := r.ParseForm(); err != nil {
		p.Error(w, r, http.StatusBadRequest, problem.New(problem.Malformed, "bad form"))
		return
	}
	var roles []identity.Role
	for _, s := range r.PostForm["roles"] {
		roles = append(roles, identity.Role(s))
	}
	days, _ := strconv.Atoi(r.PostFormValue("expires_in_days"))
	_, secret, err := p.Identity.CreateToken(r.Context(), pr, pr.OrgID, identity.NewToken{Name: r.PostFormValue("name"), Roles: roles, ExpiresIn: days})
	if err != nil {
		p.renderOrg(w, r, 0, err, "")
		return
	}
	p.renderOrg(w, r, http.StatusCreated, nil, secret)
}

// RevokeToken revokes one of the organisation's tokens.
func (p *Pages) RevokeToken(w http.ResponseWriter, r *http.Request) {
	pr := identity.FromContext(r.Context())
	if err := p.Identity.RevokeToken(r.Context(), pr, pr.OrgID, r.PathValue("token")); err != nil {
		p.renderOrg(w, r, 0, err, "")
		return
	}
	p.redirectDone(w, r, "/org", "done.token_revoked")
}

// Orgs is the platform administrator's register of organisations.
func (p *Pages) Orgs(w http.ResponseWriter, r *http.Request) { p.renderOrgs(w, r, http.StatusOK, nil) }

func (p *Pages) renderOrgs(w http.ResponseWriter, r *http.Request, status int, formErr error) {
	orgs, err := p.Identity.Orgs(r.Context(), identity.Page{After: r.URL.Query().Get("after"), Limit: 200})
	if err != nil {
		p.Error(w, r, http.StatusInternalServerError, err)
		return
	}
	v := p.view(w, r, "orgs.title", nil)
	v.Here = "/admin/orgs"
	if formErr != nil {
		status = p.formError(v, formErr)
	}
	names := map[string]string{}
	for _, o := range orgs {
		names[o.Country] = p.countryName(o.Country, v.Lang)
	}
	v.Data = map[string]any{"Orgs": orgs, "Kinds": identity.OrgKinds, "CountryNames": names, "Countries": p.townCountries(v.Lang)}
	p.render(w, r, status, "orgs", v)
}

// CreateOrg admits an organisation to the town.
func (p *Pages) CreateOrg(w http.ResponseWriter, r *http.Request) {
	pr := identity.FromContext(r.Context())
	_, err := p.Identity.CreateOrg(r.Context(), pr, identity.NewOrg{Name: r.PostFormValue("name"), Kind: identity.OrgKind(r.PostFormValue("kind")),
		Country: r.PostFormValue("country"), RegID: r.PostFormValue("reg_id")})
	if err != nil {
		p.renderOrgs(w, r, 0, err) // the form comes back as typed (View.Typed)
		return
	}
	p.redirectDone(w, r, "/admin/orgs", "done.org_created")
}
