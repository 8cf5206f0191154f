package server

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"bricstown/internal/identity"
)

var pathParam = regexp.MustCompile(`\{([a-z_]+)\}`)

// concretePath fills a pattern's wildcards with placeholder values; the
// access check runs before any handler looks at them.
func concretePath(pattern string) string {
	p := strings.TrimSuffix(pattern, "{$}")
	if strings.HasSuffix(p, "/") && p != "/" {
		p += "style.css"
	}
	return pathParam.ReplaceAllString(p, "x0")
}

// orgFor names a demo org whose kind allows role r, so a token can hold it.
func orgFor(r identity.Role) string {
	switch r {
	case identity.PlatformAdmin:
		return "BRICS Town Administration"
	case identity.CustomsOfficer:
		return "Khorgos Customs Post"
	case identity.QuarantineOfficer:
		return "Khorgos Veterinary and Phytosanitary Inspection"
	case identity.BankOperator:
		return "Steppe Commercial Bank"
	case identity.Carrier:
		return "Khorgos Gateway Logistics"
	case identity.Organiser:
		return "BRICS Town Expo Centre"
	case identity.Educator:
		return "International Education Park"
	case identity.Clinician:
		return "Town Medical Service Centre"
	case identity.Resident:
		return "Town Residents"
	}
	return "Kazakh Grain Export"
}

// TestEveryRouteRefusesAnonymousAndWrongRoles walks the route table: for
// every route that is not public, an anonymous call is refused (401, or a
// redirect to the login page for pages), a call by every role outside the
// route's roles is refused with 403, and a call by an allowed role gets
// past the guard.
func TestEveryRouteRefusesAnonymousAndWrongRoles(t *testing.T) {
	f := getFixture(t)
	checked := 0
	for _, rt := range f.srv.Routes() {
		path := concretePath(rt.Pattern)
		name := rt.Method + " " + rt.Pattern
		if rt.Access.Public {
			if len(rt.Access.Roles) > 0 || rt.Access.AnyUser {
				t.Errorf("%s: public and restricted at once", name)
			}
			continue
		}
		if !rt.Access.AnyUser && len(rt.Access.Roles) == 0 {
			t.Errorf("%s: declares no access at all", name)
			continue
		}
		resp := f.call(t, rt.Method, path, "", nil)
		switch {
		case rt.Page && rt.Method == "GET":
			if resp.status != http.StatusSeeOther || !strings.HasPrefix(resp.header.Get("Location"), "/login?next=") {
				t.Errorf("%s anonymous: %d %s, want a redirect to /login", name, resp.status, resp.header.Get("Location"))
			}
		default:
			if resp.status != http.StatusUnauthorized {
				t.Errorf("%s anonymous: %d, want 401", name, resp.status)
			}
		}
		if !rt.Page && !strings.Contains(resp.header.Get("Content-Type"), "problem+json") {
			t.Errorf("%s anonymous: content type %q", name, resp.header.Get("Content-Type"))
		}
		checked++
		if rt.Access.AnyUser {
			continue
		}
		for _, r := range identity.AllRoles {
			tok := f.token(t, orgFor(r), r)
			if !slices.Contains(rt.Access.Roles, r) {
				if resp := f.call(t, rt.Method, path, tok, nil); resp.status != http.StatusForbidden {
					t.Errorf("%s as %s: %d, want 403", name, r, resp.status)
				}
				continue
			}
			// An allowed role must reach the handler; the guard is run on
			// its own so that the handler's own rules do not blur the test.
			reached := false
			h := f.srv.guard(rt, http.HandlerFunc(func(http.ResponseWriter, *http.Request) { reached = true }))
			req := httptest.NewRequest(rt.Method, path, nil)
			req.Header.Set("Authorization", "Bearer "+tok)
			h.ServeHTTP(httptest.NewRecorder(), req)
			if !reached {
				t.Errorf("%s: allowed role %s did not reach the handler", name, r)
			}
		}
	}
	if checked < 10 {
		t.Fatalf("only %d protected routes checked", checked)
	}
}

// TestOpenAPIMatchesRouteTable keeps the published API document and the
// route table in step both ways, including who may call each operation.
func TestOpenAPIMatchesRouteTable(t *testing.T) {
	f := getFixture(t)
	var doc struct {
		OpenAPI string                                `json:"openapi"`
		Paths   map[string]map[string]json.RawMessage `json:"paths"`
	}
	b, err := mergeOpenAPI(os.DirFS("."))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	if doc.OpenAPI != "3.1.0" {
		t.Errorf("openapi version %q", doc.OpenAPI)
	}
	documented := map[string][]string{}
	for path, ops := range doc.Paths {
		for method, raw := range ops {
			if method == "parameters" || method == "summary" || method == "description" {
				continue
			}
			var op struct {
				Roles []string `json:"x-roles"`
			}
			json.Unmarshal(raw, &op)
			sort.Strings(op.Roles)
			documented[strings.ToUpper(method)+" "+path] = op.Roles
		}
	}
	served := map[string][]string{}
	for _, rt := range f.srv.Routes() {
		if rt.Page {
			continue
		}
		var rs []string
		switch {
		case rt.Access.Public:
			rs = []string{"public"}
		case rt.Access.AnyUser:
			rs = []string{"any_user"}
		default:
			for _, r := range rt.Access.Roles {
				rs = append(rs, string(r))
			}
		}
		sort.Strings(rs)
		served[rt.Method+" "+rt.Pattern] = rs
	}
	for k, rs := range served {
		d, ok := documented[k]
		if !ok {
			t.Errorf("%s is served but not documented", k)
		} else if !slices.Equal(d, rs) {
			t.Errorf("%s: documented x-roles %v, route allows %v", k, d, rs)
		}
	}
	for k := range documented {
		if _, ok := served[k]; !ok {
			t.Errorf("%s is documented but not served", k)
		}
	}
	resp := f.call(t, "GET", "/api/v1/openapi.json", "", nil)
	if resp.status != 200 || string(resp.body) != string(b) {
		t.Errorf("served document differs from openapi.json (%d)", resp.status)
	}
}
