package server

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"bricstown/internal/audit"
	"bricstown/internal/identity"

	"github.com/prometheus/client_golang/prometheus/testutil/promlint"
)

const townAdmin = "BRICS Town Administration"

func (f *fixture) orgCount(t *testing.T) int {
	var n int
	if err := f.db.SQL.QueryRow(`SELECT COUNT(*) FROM orgs`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func (f *fixture) auditCount(t *testing.T) int {
	var n int
	if err := f.db.SQL.QueryRow(`SELECT COUNT(*) FROM audit_log`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// Every kind of bad body is refused with 4xx problem+json naming what is
// wrong, and nothing is written.
func TestBadBodiesAreRefusedAndWriteNothing(t *testing.T) {
	f := getFixture(t)
	admin := f.token(t, townAdmin, identity.PlatformAdmin)
	good := `{"name":"Aral Salt","kind":"company","country":"KZ","reg_id":"%s"}`
	bin := validBIN(t, fmt.Sprintf("2601%07d", time.Now().UnixNano()%10_000_000))
	badBIN := bin[:11] + string('0'+(bin[11]-'0'+1)%10)
	cases := []struct {
		name, body string
		status     int
		code       string
		field      string
	}{
		{"malformed", `{"name":`, 400, "malformed", ""},
		{"not an object", `[1,2]`, 400, "invalid", "(body)"},
		{"empty", ``, 400, "malformed", ""},
		{"unknown field", `{"name":"A","kind":"company","country":"KZ","reg_id":"1","owner":"x"}`, 400, "invalid", "owner"},
		{"wrong type", `{"name":12,"kind":"company","country":"KZ","reg_id":"1"}`, 400, "invalid", "name"},
		{"trailing data", `{"name":"A","kind":"company","country":"KZ","reg_id":"1"} {}`, 400, "malformed", ""},
		{"oversized", `{"name":"` + strings.Repeat("a", 2<<20) + `"}`, 413, "too_large", ""},
		{"unknown country", fmt.Sprintf(strings.Replace(good, `"KZ"`, `"XX"`, 1), "123"), 400, "invalid", "country"},
		{"bad BIN check digit", fmt.Sprintf(good, badBIN), 400, "invalid", "reg_id"},
		{"bad kind", `{"name":"A","kind":"pirate","country":"KZ","reg_id":"250340000120"}`, 400, "invalid", "kind"},
		{"empty name", fmt.Sprintf(strings.Replace(good, "Aral Salt", " ", 1), "250340000120"), 400, "invalid", "name"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			orgs, log := f.orgCount(t), f.auditCount(t)
			resp := f.call(t, "POST", "/api/v1/orgs", admin, c.body)
			if resp.status != c.status {
				t.Fatalf("status %d, want %d: %s", resp.status, c.status, resp.body)
			}
			if ct := resp.header.Get("Content-Type"); ct != "application/problem+json" {
				t.Fatalf("content type %q", ct)
			}
			p := resp.json(t)
			if p["code"] != c.code {
				t.Errorf("code %v, want %s", p["code"], c.code)
			}
			if c.field != "" {
				errs, _ := p["errors"].(map[string]any)
				if _, ok := errs[c.field]; !ok {
					t.Errorf("no message for field %q in %s", c.field, resp.body)
				}
			}
			if p["request_id"] == "" || p["type"] == "" || p["status"] != float64(c.status) {
				t.Errorf("incomplete problem: %s", resp.body)
			}
			if f.orgCount(t) != orgs || f.auditCount(t) != log {
				t.Fatal("a refused request wrote something")
			}
		})
	}
	// A valid registration is accepted, and then refused as a duplicate.
	resp := f.call(t, "POST", "/api/v1/orgs", admin, fmt.Sprintf(good, bin))
	if resp.status != 201 {
		t.Fatalf("valid org: %d %s", resp.status, resp.body)
	}
	if resp = f.call(t, "POST", "/api/v1/orgs", admin, fmt.Sprintf(good, bin)); resp.status != 409 {
		t.Fatalf("duplicate org: %d %s", resp.status, resp.body)
	}
}

// validBIN completes base (11 digits) with its check digit, stepping to the
// next base for the few that have none.
func validBIN(t *testing.T, base string) string {
	for n := 0; n < 20; n++ {
		b := fmt.Sprintf("%011d", mustAtoi(t, base)+n)
		for c := '0'; c <= '9'; c++ {
			if _, err := identity.CheckRegID("KZ", b+string(c)); err == nil {
				return b + string(c)
			}
		}
	}
	t.Fatalf("no check digit near %s", base)
	return ""
}

func mustAtoi(t *testing.T, s string) int {
	n, err := strconv.Atoi(s)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// An organisation never reads or changes another organisation's private
// records, whatever ids it guesses.
func TestOrgsCannotReachEachOther(t *testing.T) {
	f := getFixture(t)
	grain, energy := f.orgs["Kazakh Grain Export"], f.orgs["Siberian Energy Trading"]
	a := f.token(t, "Kazakh Grain Export", identity.OrgAdmin)
	b := f.token(t, "Siberian Energy Trading", identity.OrgAdmin)

	resp := f.call(t, "POST", "/api/v1/orgs/"+energy.ID+"/tokens", b, `{"name":"erp","roles":["org_admin"]}`)
	if resp.status != 403 { // tokens cannot mint tokens: sign in for that
		t.Fatalf("token minting token: %d %s", resp.status, resp.body)
	}
	// Get one of B's tokens through the service, as B's admin would.
	bTokens, _ := f.db.ListAPITokens(context.Background(), energy.ID, identity.Page{Limit: 10})
	if len(bTokens) == 0 {
		t.Fatal("B has no tokens")
	}
	forbidden := []struct{ method, path, body string }{
		{"GET", "/api/v1/orgs/" + energy.ID + "/users", ""},
		{"POST", "/api/v1/orgs/" + energy.ID + "/users", `{"email":"mole@sibenergy.ru","name":"Mole","password":"0123456789ab","roles":["trader"]}`},
		{"GET", "/api/v1/orgs/" + energy.ID + "/tokens", ""},
		{"DELETE", "/api/v1/orgs/" + energy.ID + "/tokens/" + bTokens[0].ID, ""},
		{"DELETE", "/api/v1/orgs/" + grain.ID + "/tokens/" + bTokens[0].ID, ""}, // B's token under A's org
	}
	for _, c := range forbidden {
		var body any
		if c.body != "" {
			body = c.body
		}
		if resp := f.call(t, c.method, c.path, a, body); resp.status != 404 {
			t.Errorf("A: %s %s = %d %s, want 404", c.method, c.path, resp.status, resp.body)
		}
	}
	if resp := f.call(t, "GET", "/api/v1/orgs/"+energy.ID+"/tokens", b, nil); resp.status != 200 {
		t.Fatalf("B's own tokens: %d", resp.status)
	}
	if tok, _ := f.db.GetAPITokenByHash(context.Background(), bTokens[0].Hash); !tok.RevokedAt.IsZero() {
		t.Fatal("A revoked B's token")
	}
	// The audit listing shows an org admin only their own org's entries.
	resp = f.call(t, "GET", "/api/v1/audit?limit=200", a, nil)
	for _, it := range resp.json(t)["items"].([]any) {
		if org := it.(map[string]any)["org_id"]; org != grain.ID {
			t.Fatalf("A sees audit entry of org %v", org)
		}
	}
	// The platform administrator sees B's users.
	admin := f.token(t, townAdmin, identity.PlatformAdmin)
	if resp := f.call(t, "GET", "/api/v1/orgs/"+energy.ID+"/users", admin, nil); resp.status != 200 {
		t.Fatalf("admin listing B's users: %d", resp.status)
	}
}

func TestPaginationIsCappedAndCursored(t *testing.T) {
	f := getFixture(t)
	tok := f.token(t, "Kazakh Grain Export", identity.Trader)
	if resp := f.call(t, "GET", "/api/v1/orgs?limit=201", tok, nil); resp.status != 400 || !strings.Contains(string(resp.body), `"limit"`) {
		t.Fatalf("limit over the cap: %d %s", resp.status, resp.body)
	}
	seen := map[string]bool{}
	cursor := ""
	pages := 0
	for {
		resp := f.call(t, "GET", "/api/v1/orgs?limit=7&cursor="+url.QueryEscape(cursor), tok, nil)
		m := resp.json(t)
		items := m["items"].([]any)
		if len(items) > 7 {
			t.Fatalf("page of %d", len(items))
		}
		for _, it := range items {
			id := it.(map[string]any)["id"].(string)
			if seen[id] {
				t.Fatalf("%s on two pages", id)
			}
			seen[id] = true
		}
		pages++
		cursor = m["next_cursor"].(string)
		if cursor == "" {
			break
		}
	}
	if len(seen) != f.orgCount(t) || pages < 4 {
		t.Fatalf("saw %d orgs in %d pages, want %d", len(seen), pages, f.orgCount(t))
	}
}

func TestRequestIDsAndMetrics(t *testing.T) {
	f := getFixture(t)
	resp := f.call(t, "GET", "/healthz", "", nil, "X-Request-Id", "abc-123")
	if resp.header.Get("X-Request-Id") != "abc-123" {
		t.Fatalf("request id not echoed: %q", resp.header.Get("X-Request-Id"))
	}
	resp = f.call(t, "GET", "/healthz", "", nil, "X-Request-Id", "bad id\twith spaces")
	if id := resp.header.Get("X-Request-Id"); id == "" || strings.Contains(id, " ") {
		t.Fatalf("unsafe request id echoed: %q", id)
	}
	f.call(t, "GET", "/api/v1/nothing-here", "", nil)
	// A ledger commit, so the commit histograms have a sample.
	bank := f.token(t, "Steppe Commercial Bank", identity.BankOperator)
	src := f.openAccount(t, bank, "KZT", false)
	dst := f.openAccount(t, bank, "KZT", true)
	results(t, f.call(t, "POST", "/api/v1/ledger/transfers", bank, map[string]any{"transfers": []any{map[string]any{
		"id": v7(), "debit_account_id": src, "credit_account_id": dst, "amount": "1.00", "currency": "KZT"}}}))
	m := string(f.call(t, "GET", "/metrics", "", nil).body)
	for _, want := range []string{
		`bricstown_http_requests_total{code="200",route="GET /healthz"}`,
		`bricstown_http_requests_total{code="404",route="unmatched"}`,
		`bricstown_http_request_seconds_bucket{route="GET /healthz",le="+Inf"}`,
		`bricstown_db_connections{state="open"}`,
		`bricstown_ledger_commit_seconds_count`,
		"# TYPE bricstown_db_wait_seconds_total counter",
		"go_goroutines", "process_cpu_seconds_total",
	} {
		if !strings.Contains(m, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
	// The whole scrape passes promlint, the checker behind `promtool
	// check metrics`.
	problems, err := promlint.New(strings.NewReader(m)).Lint()
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Errorf("promlint: %s: %s", p.Metric, p.Text)
	}
	if resp := f.call(t, "GET", "/readyz", "", nil); resp.status != 200 {
		t.Fatalf("readyz %d", resp.status)
	}
}

func TestUnknownPathsAndMethodsAnswerProblems(t *testing.T) {
	f := getFixture(t)
	resp := f.call(t, "GET", "/api/v1/nope", "", nil)
	if resp.status != 404 || resp.json(t)["code"] != "not_found" {
		t.Fatalf("unknown path: %d %s", resp.status, resp.body)
	}
	resp = f.call(t, "PUT", "/api/v1/orgs", "", `{}`)
	if resp.status != 405 || resp.json(t)["code"] != "method_not_allowed" || !strings.Contains(resp.header.Get("Allow"), "POST") {
		t.Fatalf("wrong method: %d %v %s", resp.status, resp.header, resp.body)
	}
}

// session signs in through the login form and returns the cookie header and
// the session's CSRF token as the pages embed it.
func (f *fixture) session(t *testing.T, email string) (cookie, csrf string) {
	t.Helper()
	resp := f.call(t, "GET", "/login", "", nil)
	loginCSRF := regexp.MustCompile(`name="csrf_token" value="([^"]+)"`).FindStringSubmatch(string(resp.body))
	var loginCookie string
	for _, c := range (&http.Response{Header: resp.header}).Cookies() {
		if c.Name == "bricstown_login_csrf" {
			loginCookie = c.Name + "=" + c.Value
		}
	}
	form := url.Values{"csrf_token": {loginCSRF[1]}, "email": {email}, "password": {"bricstown-demo"}, "next": {"/org"}}
	resp = f.call(t, "POST", "/login", "", []byte(form.Encode()), "Content-Type", "application/x-www-form-urlencoded", "Cookie", loginCookie)
	if resp.status != http.StatusSeeOther || resp.header.Get("Location") != "/org" {
		t.Fatalf("login: %d %s", resp.status, resp.body)
	}
	for _, c := range (&http.Response{Header: resp.header}).Cookies() {
		if c.Name == SessionCookie {
			// Plain HTTP: Secure would stop a browser from sending it back
			// (pages_forms_test.go covers TLS and trusted proxies).
			if !c.HttpOnly || c.Secure || c.SameSite != http.SameSiteLaxMode {
				t.Fatalf("session cookie over plain HTTP: want HttpOnly, SameSite=Lax, not Secure: %+v", c)
			}
			cookie = c.Name + "=" + c.Value
		}
	}
	page := f.call(t, "GET", "/org", "", nil, "Cookie", cookie)
	m := regexp.MustCompile(`"X-CSRF-Token": "([^"]+)"`).FindStringSubmatch(string(page.body))
	if m == nil {
		t.Fatalf("no CSRF token on the page: %d", page.status)
	}
	return cookie, m[1]
}

func TestWebFormsNeedCSRFAndSameOrigin(t *testing.T) {
	f := getFixture(t)
	cookie, csrf := f.session(t, "admin@kazgrain.kz")
	form := func(extra url.Values) []byte {
		v := url.Values{"name": {"ERP link"}, "roles": {"org_admin"}, "expires_in_days": {"30"}}
		for k, x := range extra {
			v[k] = x
		}
		return []byte(v.Encode())
	}
	ct := "application/x-www-form-urlencoded"
	before := f.auditCount(t)
	if resp := f.call(t, "POST", "/org/tokens", "", form(nil), "Content-Type", ct, "Cookie", cookie); resp.status != 403 {
		t.Fatalf("no CSRF token: %d", resp.status)
	}
	if resp := f.call(t, "POST", "/org/tokens", "", form(url.Values{"csrf_token": {"forged"}}), "Content-Type", ct, "Cookie", cookie); resp.status != 403 {
		t.Fatalf("wrong CSRF token: %d", resp.status)
	}
	if resp := f.call(t, "POST", "/org/tokens", "", form(url.Values{"csrf_token": {csrf}}), "Content-Type", ct, "Cookie", cookie, "Origin", "https://evil.example"); resp.status != 403 {
		t.Fatalf("cross-origin: %d", resp.status)
	}
	if f.auditCount(t) != before {
		t.Fatal("a refused form wrote something")
	}
	resp := f.call(t, "POST", "/org/tokens", "", form(url.Values{"csrf_token": {csrf}}), "Content-Type", ct, "Cookie", cookie)
	if resp.status != 201 || !strings.Contains(string(resp.body), `id="new-token">bt_`) {
		t.Fatalf("token form: %d", resp.status)
	}
	secret := regexp.MustCompile(`id="new-token">(bt_[A-Za-z0-9_-]+)<`).FindStringSubmatch(string(resp.body))[1]
	if me := f.call(t, "GET", "/api/v1/me", secret, nil); me.status != 200 || me.json(t)["via"] != "token" {
		t.Fatalf("new token does not work: %d %s", me.status, me.body)
	}
	// The same session may call the JSON API with the header form of the token.
	if resp := f.call(t, "POST", "/api/v1/orgs/"+f.orgs["Kazakh Grain Export"].ID+"/users", "", fmt.Sprintf(`{"email":"x%d@kazgrain.kz","name":"X","password":"0123456789ab","roles":["trader"]}`, time.Now().UnixNano()),
		"Cookie", cookie, "X-CSRF-Token", csrf); resp.status != 201 {
		t.Fatalf("session API call with CSRF header: %d %s", resp.status, resp.body)
	}
	// Logout ends the session for good.
	if resp := f.call(t, "POST", "/logout", "", []byte("csrf_token="+csrf), "Content-Type", ct, "Cookie", cookie); resp.status != http.StatusSeeOther {
		t.Fatalf("logout: %d", resp.status)
	}
	if resp := f.call(t, "GET", "/org", "", nil, "Cookie", cookie); resp.status != http.StatusSeeOther {
		t.Fatalf("session still alive after logout: %d", resp.status)
	}
}

func TestLoginRefusals(t *testing.T) {
	f := getFixture(t)
	resp := f.call(t, "POST", "/login", "", []byte("email=admin%40town.kz&password=bricstown-demo"), "Content-Type", "application/x-www-form-urlencoded")
	if resp.status != 403 {
		t.Fatalf("login without its CSRF cookie: %d", resp.status)
	}
	page := f.call(t, "GET", "/login", "", nil)
	tok := regexp.MustCompile(`name="csrf_token" value="([^"]+)"`).FindStringSubmatch(string(page.body))[1]
	body := []byte(url.Values{"csrf_token": {tok}, "email": {"admin@town.kz"}, "password": {"wrong password"}}.Encode())
	resp = f.call(t, "POST", "/login", "", body, "Content-Type", "application/x-www-form-urlencoded", "Cookie", "bricstown_login_csrf="+tok)
	if resp.status != 401 || !strings.Contains(string(resp.body), "Email or password is wrong") {
		t.Fatalf("wrong password: %d", resp.status)
	}
	for _, c := range (&http.Response{Header: resp.header}).Cookies() {
		if c.Name == SessionCookie && c.Value != "" {
			t.Fatal("session issued for a wrong password")
		}
	}
	if resp := f.call(t, "GET", "/api/v1/me", "bt_not-a-real-token-at-all-000000000", nil); resp.status != 401 {
		t.Fatalf("bogus token: %d", resp.status)
	}
}

func TestRevokedTokenStopsWorking(t *testing.T) {
	f := getFixture(t)
	ctx := context.Background()
	org := f.orgs["Cape Fruit Exporters"]
	users, _ := f.db.ListUsers(ctx, org.ID, identity.Page{Limit: 1})
	p := &identity.Principal{UserID: users[0].ID, OrgID: org.ID, Roles: users[0].Roles, Via: "session"}
	tk, secret, err := f.ids.CreateToken(ctx, p, org.ID, identity.NewToken{Name: "short-lived", Roles: []identity.Role{identity.OrgAdmin}})
	if err != nil {
		t.Fatal(err)
	}
	if resp := f.call(t, "GET", "/api/v1/me", secret, nil); resp.status != 200 {
		t.Fatalf("fresh token: %d", resp.status)
	}
	if resp := f.call(t, "DELETE", "/api/v1/orgs/"+org.ID+"/tokens/"+tk.ID, secret, nil); resp.status != 204 {
		t.Fatalf("revoke: %d %s", resp.status, resp.body)
	}
	if resp := f.call(t, "GET", "/api/v1/me", secret, nil); resp.status != 401 {
		t.Fatalf("revoked token still works: %d", resp.status)
	}
	// Only the hash is stored.
	var n int
	f.db.SQL.QueryRow(`SELECT COUNT(*) FROM api_tokens WHERE token_hash = $1`, []byte(secret)).Scan(&n)
	if n != 0 {
		t.Fatal("token stored in clear")
	}
	es, _ := f.db.ListAudit(ctx, audit.Filter{OrgID: org.ID, Limit: 5})
	if len(es) == 0 || es[0].Action != "api_token.revoke" {
		t.Fatalf("revocation not audited: %+v", es)
	}
}

func TestReferenceDataAPI(t *testing.T) {
	f := getFixture(t)
	resp := f.call(t, "GET", "/api/v1/ref/countries?bloc=brics&limit=200", "", nil)
	codes := map[string]bool{}
	for _, it := range resp.json(t)["items"].([]any) {
		codes[it.(map[string]any)["alpha2"].(string)] = true
	}
	for _, c := range []string{"BR", "RU", "IN", "CN", "ZA", "EG", "ET", "IR", "AE", "ID", "KZ", "BY", "BO", "CU", "MY", "TH", "UG", "UZ", "NG", "VN"} {
		if !codes[c] {
			t.Errorf("bloc=brics lacks %s", c)
		}
	}
	if len(codes) != 20 {
		t.Errorf("bloc=brics has %d countries, want 20", len(codes))
	}
	// Names come from CLDR in every UI language: Kazakh and Portuguese beyond
	// the bloc, Russian in the nominative and without UNTERM footnote marks.
	for code, want := range map[string]map[string]string{
		"KZ": {"name_kk": "Қазақстан", "name_pt": "Cazaquistão", "name_zh": "哈萨克斯坦"},
		"DE": {"name_kk": "Германия", "name_pt": "Alemanha"},
		"AX": {"name_ru": "Аландские о-ва"},
		"PS": {"name_ru": "Палестинские территории"},
		"RU": {"name_en": "Russia", "iso_name": "Russian Federation"},
	} {
		got := f.call(t, "GET", "/api/v1/ref/countries/"+code, "", nil).json(t)
		for k, v := range want {
			if got[k] != v {
				t.Errorf("%s %s = %v, want %q", code, k, got[k], v)
			}
		}
	}
	if resp := f.call(t, "GET", "/api/v1/ref/currencies/KWD", "", nil); resp.json(t)["minor_units"] != float64(3) {
		t.Errorf("KWD: %s", resp.body)
	}
	if resp := f.call(t, "GET", "/api/v1/ref/hs/100199?lang=ru", "", nil); resp.status != 200 {
		t.Errorf("HS 100199: %d", resp.status)
	}
	if resp := f.call(t, "GET", "/api/v1/ref/hs/999999", "", nil); resp.status != 404 {
		t.Errorf("unknown HS: %d", resp.status)
	}
	if resp := f.call(t, "GET", "/api/v1/ref/hs?q=", "", nil); resp.status != 400 {
		t.Errorf("empty HS query: %d", resp.status)
	}
	resp = f.call(t, "GET", "/api/v1/ref/locations?country=KZ&q=dostyk", "", nil)
	if !strings.Contains(string(resp.body), "KZDOS") {
		t.Errorf("Dostyk not found: %s", resp.body)
	}
}
