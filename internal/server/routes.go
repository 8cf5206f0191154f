package server

import (
	"net/http"

	"bricstown/internal/identity"
)

// Access says who may call a route. Exactly one of Public, AnyUser or Roles
// applies; the route-table test proves for every non-public route that an
// anonymous call and a call by a role outside Roles are refused.
type Access struct {
	Public  bool
	AnyUser bool
	Roles   []identity.Role
}

var (
	public  = Access{Public: true}
	anyUser = Access{AnyUser: true}
)

func roles(rs ...identity.Role) Access { return Access{Roles: rs} }

// Route is one entry of the route table.
type Route struct {
	Method  string
	Pattern string // net/http pattern path, e.g. /api/v1/orgs/{org}
	Access  Access
	Handler http.HandlerFunc
	// Page routes answer with HTML (and redirect anonymous users to the
	// login page); the others answer with JSON and problem+json.
	Page bool
	// BodyLimit caps the request body; 0 means the default.
	BodyLimit int64
}

// DefaultBodyLimit caps every request body unless a route says otherwise.
const DefaultBodyLimit = 1 << 20

const (
	admin    = identity.PlatformAdmin
	orgAdmin = identity.OrgAdmin
)

// routes is the whole HTTP surface of the platform, with who may call what.
func (s *Server) routes() []Route {
	api := func(method, pattern string, a Access, h http.HandlerFunc) Route {
		return Route{Method: method, Pattern: pattern, Access: a, Handler: h}
	}
	page := func(method, pattern string, a Access, h http.HandlerFunc) Route {
		return Route{Method: method, Pattern: pattern, Access: a, Handler: h, Page: true}
	}
	return []Route{
		// Operations.
		api("GET", "/healthz", public, s.healthz),
		api("GET", "/readyz", public, s.readyz),
		api("GET", "/metrics", public, s.metricsHandler),
		api("GET", "/api/v1/openapi.json", public, s.openapi),

		// Identity and access.
		api("GET", "/api/v1/me", anyUser, s.me),
		api("GET", "/api/v1/orgs", anyUser, s.listOrgs),
		api("POST", "/api/v1/orgs", roles(admin), s.createOrg),
		api("GET", "/api/v1/orgs/{org}", anyUser, s.getOrg),
		api("GET", "/api/v1/orgs/{org}/users", roles(admin, orgAdmin), s.listUsers),
		api("POST", "/api/v1/orgs/{org}/users", roles(admin, orgAdmin), s.createUser),
		api("POST", "/api/v1/orgs/{org}/users/{user}/disable", roles(admin, orgAdmin), s.disableUser),
		api("POST", "/api/v1/orgs/{org}/users/{user}/enable", roles(admin, orgAdmin), s.enableUser),
		api("GET", "/api/v1/orgs/{org}/tokens", roles(admin, orgAdmin), s.listTokens),
		api("POST", "/api/v1/orgs/{org}/tokens", roles(admin, orgAdmin), s.createToken),
		api("DELETE", "/api/v1/orgs/{org}/tokens/{token}", roles(admin, orgAdmin), s.revokeToken),
		api("GET", "/api/v1/audit", roles(admin, orgAdmin), s.listAudit),

		// Reference data.
		api("GET", "/api/v1/ref/currencies", public, s.refCurrencies),
		api("GET", "/api/v1/ref/currencies/{code}", public, s.refCurrency),
		api("GET", "/api/v1/ref/countries", public, s.refCountries),
		api("GET", "/api/v1/ref/countries/{code}", public, s.refCountry),
		api("GET", "/api/v1/ref/hs", public, s.refHSSearch),
		api("GET", "/api/v1/ref/hs/{code}", public, s.refHS),
		api("GET", "/api/v1/ref/locations", public, s.refLocations),
		api("GET", "/api/v1/ref/locations/{code}", public, s.refLocation),

		// Web pages.
		page("GET", "/static/", public, s.static),
		page("GET", "/login", public, s.ui.LoginPage),
		page("POST", "/login", public, s.ui.Login),
		page("POST", "/logout", anyUser, s.ui.Logout),
		page("GET", "/{$}", anyUser, s.ui.Overview),
		page("GET", "/ref", anyUser, s.ui.RefPage),
		page("GET", "/ref/hs", anyUser, s.ui.RefHSPartial),
		page("GET", "/org", roles(admin, orgAdmin), s.ui.MyOrg),
		page("POST", "/org/users", roles(admin, orgAdmin), s.ui.CreateUser),
		page("POST", "/org/tokens", roles(admin, orgAdmin), s.ui.CreateToken),
		page("POST", "/org/tokens/{token}/revoke", roles(admin, orgAdmin), s.ui.RevokeToken),
		page("GET", "/admin/orgs", roles(admin), s.ui.Orgs),
		page("POST", "/admin/orgs", roles(admin), s.ui.CreateOrg),
		page("GET", "/audit", roles(admin, orgAdmin), s.ui.AuditLog),
	}
}
