package server

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"bricstown/internal/identity"
)

// townOrgAdmin creates (once) a user of the town administration who holds
// org_admin but not platform_admin: the attacker of issue 8, item 9.
func (f *fixture) townOrgAdmin(t *testing.T) string {
	t.Helper()
	const email = "deputy@town.kz"
	if _, err := f.db.GetUserByEmail(context.Background(), email); err == nil {
		return email
	}
	if _, err := f.ids.CreateUser(context.Background(), nil, f.orgs[townAdmin].ID, identity.NewUser{Email: email, Name: "Deputy",
		Password: "bricstown-demo", Roles: []identity.Role{identity.OrgAdmin}}); err != nil {
		t.Fatal(err)
	}
	return email
}

func uniqueEmail(local, domain string) string {
	return fmt.Sprintf("%s%d@%s", local, time.Now().UnixNano(), domain)
}

// userExists reports whether email was created despite a refusal.
func (f *fixture) userExists(t *testing.T, email string) bool {
	t.Helper()
	_, err := f.db.GetUserByEmail(context.Background(), email)
	return err == nil
}

// Roles flow downward: an org_admin of the town administration holds no
// platform powers and cannot hand them out, through the API or the page.
func TestTownOrgAdminCannotGrantPlatformAdmin(t *testing.T) {
	f := getFixture(t)
	town := f.orgs[townAdmin]
	cookie, csrf := f.session(t, f.townOrgAdmin(t))

	email := uniqueEmail("root", "town.kz")
	body := fmt.Sprintf(`{"email":%q,"name":"Root","password":"0123456789ab","roles":["platform_admin"]}`, email)
	resp := f.call(t, "POST", "/api/v1/orgs/"+town.ID+"/users", "", body, "Cookie", cookie, "X-CSRF-Token", csrf)
	if resp.status != 403 || resp.json(t)["code"] != "forbidden" || f.userExists(t, email) {
		t.Fatalf("API: org_admin granted platform_admin: %d %s", resp.status, resp.body)
	}
	// Mixed with a role the admin may grant, still refused as a whole.
	body = fmt.Sprintf(`{"email":%q,"name":"Root","password":"0123456789ab","roles":["org_admin","platform_admin"]}`, email)
	if resp := f.call(t, "POST", "/api/v1/orgs/"+town.ID+"/users", "", body, "Cookie", cookie, "X-CSRF-Token", csrf); resp.status != 403 || f.userExists(t, email) {
		t.Fatalf("API: mixed roles: %d %s", resp.status, resp.body)
	}

	form := url.Values{"csrf_token": {csrf}, "email": {email}, "name": {"Root"}, "password": {"0123456789ab"}, "roles": {"platform_admin"}, "lang": {"en"}}
	resp = f.call(t, "POST", "/org/users", "", []byte(form.Encode()), "Content-Type", "application/x-www-form-urlencoded", "Cookie", cookie)
	if resp.status != 403 || f.userExists(t, email) {
		t.Fatalf("page: org_admin granted platform_admin: %d", resp.status)
	}
	// The page does not even offer the role.
	if page := f.call(t, "GET", "/org", "", nil, "Cookie", cookie); strings.Contains(string(page.body), `value="platform_admin"`) {
		t.Fatal("the org page offers platform_admin to an org_admin")
	}

	// The allowed case: an org_admin adds another org_admin.
	body = fmt.Sprintf(`{"email":%q,"name":"Clerk","password":"0123456789ab","roles":["org_admin"]}`, uniqueEmail("clerk", "town.kz"))
	if resp := f.call(t, "POST", "/api/v1/orgs/"+town.ID+"/users", "", body, "Cookie", cookie, "X-CSRF-Token", csrf); resp.status != 201 {
		t.Fatalf("org_admin adding an org_admin: %d %s", resp.status, resp.body)
	}
	// The platform administrator (signed in) may grant platform_admin.
	acookie, acsrf := f.session(t, "admin@town.kz")
	body = fmt.Sprintf(`{"email":%q,"name":"Second","password":"0123456789ab","roles":["platform_admin"]}`, uniqueEmail("second", "town.kz"))
	if resp := f.call(t, "POST", "/api/v1/orgs/"+town.ID+"/users", "", body, "Cookie", acookie, "X-CSRF-Token", acsrf); resp.status != 201 {
		t.Fatalf("platform admin granting platform_admin: %d %s", resp.status, resp.body)
	}
}

// A token cannot create a user: a user outlives the token's revocation and
// can sign in and mint tokens, so anything a token created would survive it.
func TestTokensCannotCreateUsers(t *testing.T) {
	f := getFixture(t)
	cases := []struct {
		org   string
		roles []identity.Role
		grant string
	}{
		{townAdmin, []identity.Role{identity.OrgAdmin}, "platform_admin"},
		{townAdmin, []identity.Role{identity.OrgAdmin}, "org_admin"},
		{townAdmin, []identity.Role{identity.PlatformAdmin}, "platform_admin"},
		{"Kazakh Grain Export", []identity.Role{identity.OrgAdmin}, "trader"},
		{"Kazakh Grain Export", []identity.Role{identity.OrgAdmin}, "org_admin"},
		{"Siberian Energy Trading", []identity.Role{identity.OrgAdmin, identity.Trader}, "trader"},
	}
	for _, c := range cases {
		tok := f.token(t, c.org, c.roles...)
		email := uniqueEmail("tok", "example.kz")
		body := fmt.Sprintf(`{"email":%q,"name":"T","password":"0123456789ab","roles":[%q]}`, email, c.grant)
		resp := f.call(t, "POST", "/api/v1/orgs/"+f.orgs[c.org].ID+"/users", tok, body)
		if resp.status != 403 || f.userExists(t, email) {
			t.Errorf("%s token %v created a %s user: %d %s", c.org, c.roles, c.grant, resp.status, resp.body)
		}
	}
	// Nor another token (which would outlive it too), nor re-enable a user.
	grain := f.orgs["Kazakh Grain Export"]
	tok := f.token(t, "Kazakh Grain Export", identity.OrgAdmin)
	if resp := f.call(t, "POST", "/api/v1/orgs/"+grain.ID+"/tokens", tok, `{"name":"child","roles":["org_admin"]}`); resp.status != 403 {
		t.Fatalf("token minted a token: %d %s", resp.status, resp.body)
	}
	users, _ := f.db.ListUsers(context.Background(), grain.ID, identity.Page{Limit: 10})
	var trader identity.User
	for _, u := range users {
		if len(u.Roles) == 1 && u.Roles[0] == identity.Trader {
			trader = u
		}
	}
	if resp := f.call(t, "POST", "/api/v1/orgs/"+grain.ID+"/users/"+trader.ID+"/enable", tok, nil); resp.status != 403 {
		t.Fatalf("token re-enabled a user: %d %s", resp.status, resp.body)
	}
}

// An org_admin of the town administration may not disable the platform
// administrator either: it acts only on users below it.
func TestOrgAdminCannotActOnHigherUsers(t *testing.T) {
	f := getFixture(t)
	town := f.orgs[townAdmin]
	cookie, csrf := f.session(t, f.townOrgAdmin(t))
	root, err := f.db.GetUserByEmail(context.Background(), "admin@town.kz")
	if err != nil {
		t.Fatal(err)
	}
	resp := f.call(t, "POST", "/api/v1/orgs/"+town.ID+"/users/"+root.ID+"/disable", "", nil, "Cookie", cookie, "X-CSRF-Token", csrf)
	if resp.status != 403 {
		t.Fatalf("org_admin disabled the platform admin: %d %s", resp.status, resp.body)
	}
	if u, _ := f.db.GetUserByEmail(context.Background(), "admin@town.kz"); u.Disabled {
		t.Fatal("platform admin disabled")
	}
}

// loginServer is a server of its own over the fixture's database, with a
// fresh identity service (so its login limits and counters start at zero)
// and the given trusted proxies. Its clock stands still, so no attempt is
// refilled while the test runs, however slow the machine.
func loginServer(t *testing.T, f *fixture, proxies string, hashSlots int) (*httptest.Server, *identity.Service) {
	t.Helper()
	tp, err := identity.ParseTrustedProxies(proxies)
	if err != nil {
		t.Fatal(err)
	}
	frozen := time.Now()
	ids := identity.NewService(f.db, identity.Config{TrustedProxies: tp, HashConcurrency: hashSlots, HashWait: time.Minute,
		Now: func() time.Time { return frozen }})
	d := f.srv.Deps
	d.Identity = ids
	srv, err := New(d)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(ts.Close)
	return ts, ids
}

// loginForm fetches the login page's CSRF pair and posts one sign-in.
func loginOnce(t *testing.T, base, email, password string, hdr ...string) int {
	t.Helper()
	resp, err := http.Get(base + "/login")
	if err != nil {
		t.Error(err)
		return 0
	}
	var b strings.Builder
	_, _ = fmt.Fprint(&b, readAll(resp))
	m := regexp.MustCompile(`name="csrf_token" value="([^"]+)"`).FindStringSubmatch(b.String())
	if m == nil {
		t.Errorf("no login CSRF token (%d)", resp.StatusCode)
		return 0
	}
	form := url.Values{"csrf_token": {m[1]}, "email": {email}, "password": {password}}
	req, _ := http.NewRequest("POST", base+"/login", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Cookie", "bricstown_login_csrf="+m[1])
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	out, err := client.Do(req)
	if err != nil {
		t.Error(err)
		return 0
	}
	readAll(out)
	if out.StatusCode == http.StatusTooManyRequests && out.Header.Get("Retry-After") == "" {
		t.Error("429 without Retry-After")
	}
	return out.StatusCode
}

func readAll(r *http.Response) string {
	defer r.Body.Close()
	var b strings.Builder
	buf := make([]byte, 4096)
	for {
		n, err := r.Body.Read(buf)
		b.Write(buf[:n])
		if err != nil {
			return b.String()
		}
	}
}

// Fifty parallel wrong-password sign-ins for one account with a limit of
// twenty: each attempt is counted before its password is checked, so at
// most twenty passwords are evaluated, never more than the hashing slots at
// once; the rest are told to come back later.
func TestLoginBurstEvaluatesAtMostTheLimit(t *testing.T) {
	f := getFixture(t)
	ts, ids := loginServer(t, f, "", 2)
	st := wrongPasswordBurst(t, ts.URL, ids, "trader@sibenergy.ru")
	// Even the right password is now refused for this account: the attacker
	// used up its attempts (from any address).
	if s := loginOnce(t, ts.URL, "trader@sibenergy.ru", "bricstown-demo"); s != http.StatusTooManyRequests {
		t.Fatalf("right password after the burst: %d", s)
	}
	if n := ids.PasswordStats().Evaluations; n != st.Evaluations {
		t.Fatalf("a refused attempt evaluated a password (%d -> %d)", st.Evaluations, n)
	}
}

// wrongPasswordBurst sends fifty wrong-password sign-ins for email at once
// to a server with two hashing slots and checks that at most the limit's
// worth of passwords were evaluated, never more than two at once, and that
// the rest were told to come back later.
func wrongPasswordBurst(t *testing.T, base string, ids *identity.Service, email string) identity.PasswordStats {
	t.Helper()
	var wg sync.WaitGroup
	statuses := make(chan int, 50)
	for i := 0; i < 50; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			statuses <- loginOnce(t, base, email, "not the password")
		}()
	}
	wg.Wait()
	close(statuses)
	count := map[int]int{}
	for s := range statuses {
		count[s]++
	}
	st := ids.PasswordStats()
	if st.Evaluations > identity.LoginBurst || st.PeakConcurrent > 2 {
		t.Fatalf("%d evaluations (limit %d), %d at once (2 slots); statuses %v", st.Evaluations, identity.LoginBurst, st.PeakConcurrent, count)
	}
	if count[http.StatusUnauthorized] > identity.LoginBurst || count[http.StatusTooManyRequests] < 50-identity.LoginBurst {
		t.Fatalf("statuses %v", count)
	}
	return st
}

// Each client address has its own limit across accounts, and a forwarding
// header counts only when the peer is a trusted proxy.
func TestLoginLimitPerAddressAndForwardedFor(t *testing.T) {
	f := getFixture(t)
	spray := func(base string, n int, hdr ...string) map[int]int {
		count := map[int]int{}
		for i := 0; i < n; i++ {
			count[loginOnce(t, base, fmt.Sprintf("nobody%d@example.kz", i), "wrong password", hdr...)]++
		}
		return count
	}
	// Untrusted peer: X-Forwarded-For is ignored, so rotating it does not
	// escape the per-address limit.
	ts, _ := loginServer(t, f, "", 4)
	count := map[int]int{}
	for i := 0; i < identity.LoginBurst+5; i++ {
		count[loginOnce(t, ts.URL, fmt.Sprintf("spray%d@example.kz", i), "wrong password", "X-Forwarded-For", fmt.Sprintf("203.0.113.%d", i))]++
	}
	if count[http.StatusTooManyRequests] != 5 {
		t.Fatalf("untrusted X-Forwarded-For honoured: %v", count)
	}
	// Trusted peer (the test client is 127.0.0.1): each forwarded client has
	// its own limit, and an address the client put in front is not trusted.
	ts, ids := loginServer(t, f, "127.0.0.0/8, ::1/128", 4)
	if c := spray(ts.URL, identity.LoginBurst, "X-Forwarded-For", "198.51.100.7"); c[http.StatusUnauthorized] != identity.LoginBurst {
		t.Fatalf("first client: %v", c)
	}
	if c := spray(ts.URL, 1, "X-Forwarded-For", "6.6.6.6, 198.51.100.7"); c[http.StatusTooManyRequests] != 1 {
		t.Fatalf("a spoofed left-most address escaped the limit: %v", c)
	}
	if c := spray(ts.URL, 1, "X-Forwarded-For", "198.51.100.8"); c[http.StatusUnauthorized] != 1 {
		t.Fatalf("second client blocked by the first: %v", c)
	}
	if c := spray(ts.URL, 1, "Forwarded", `for="198.51.100.9"`); c[http.StatusUnauthorized] != 1 {
		t.Fatalf("Forwarded header client: %v", c)
	}
	r := httptest.NewRequest("GET", "/", nil)
	r.RemoteAddr = "127.0.0.1:5555"
	r.Header.Set("X-Forwarded-For", "198.51.100.7")
	if got := ids.ClientAddr(r); got != "198.51.100.7" {
		t.Fatalf("trusted ClientAddr = %q", got)
	}
	r.RemoteAddr = "192.0.2.1:5555"
	if got := ids.ClientAddr(r); got != "192.0.2.1" {
		t.Fatalf("untrusted ClientAddr = %q", got)
	}
}
