package server

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"bricstown/internal/identity"
)

// formsBrowser is a signed-in browser that reads the pages in lang.
func (f *fixture) formsBrowser(t *testing.T, email, lang string) *browser {
	t.Helper()
	secret, sess, _, err := f.ids.Login(context.Background(), email, "bricstown-demo", "192.0.2.9")
	if err != nil {
		t.Fatalf("sign in %s: %v", email, err)
	}
	return &browser{f: f, cookie: SessionCookie + "=" + secret + "; bricstown_lang=" + lang, csrf: sess.CSRFToken}
}

// followDone GETs a redirect's target carrying the cookies the redirect
// set, as a browser does (the confirmation travels in one).
func (b *browser) followDone(t *testing.T, r response) response {
	t.Helper()
	if r.status != 303 {
		t.Fatalf("want a redirect, got %d: %s", r.status, excerpt(r.body))
	}
	cookie := b.cookie
	for _, c := range (&http.Response{Header: r.header}).Cookies() {
		if c.MaxAge >= 0 {
			cookie += "; " + c.Name + "=" + c.Value
		}
	}
	return b.f.call(t, "GET", r.header.Get("Location"), "", nil, "Cookie", cookie)
}

// signIn goes through the login form of the server at base, with the Host
// header host ("" = base's), and returns the cookies it set.
func signIn(t *testing.T, client *http.Client, base, host, email string) (loginCSRF, session *http.Cookie) {
	t.Helper()
	do := func(method, path, body, cookie string) *http.Response {
		req, err := http.NewRequest(method, base+path, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		if host != "" {
			req.Host = host
			if method == "POST" {
				req.Header.Set("Origin", "http://"+host)
			}
		}
		if body != "" {
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
		if cookie != "" {
			req.Header.Set("Cookie", cookie)
		}
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		return resp
	}
	resp := do("GET", "/login", "", "")
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	tok := regexp.MustCompile(`name="csrf_token" value="([^"]+)"`).FindSubmatch(page)
	for _, c := range resp.Cookies() {
		if c.Name == "bricstown_login_csrf" {
			loginCSRF = c
		}
	}
	if tok == nil || loginCSRF == nil {
		t.Fatalf("login page without its token: %d", resp.StatusCode)
	}
	form := url.Values{"csrf_token": {string(tok[1])}, "email": {email}, "password": {"bricstown-demo"}, "next": {"/org"}}
	resp = do("POST", "/login", form.Encode(), loginCSRF.Name+"="+loginCSRF.Value)
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign-in at %s (Host %q): %d", base, host, resp.StatusCode)
	}
	for _, c := range resp.Cookies() {
		if c.Name == SessionCookie {
			session = c
		}
	}
	if session == nil {
		t.Fatal("no session cookie")
	}
	// The session works: the page behind the sign-in opens.
	resp = do("GET", "/org", "", session.Name+"="+session.Value)
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("after sign-in /org answers %d", resp.StatusCode)
	}
	return loginCSRF, session
}

// TestFormsCookiesFollowTheTransport: over plain HTTP (localhost or a LAN
// address) the cookies are not Secure, so a browser sends them back and
// sign-in works; over TLS they are Secure. (A trusted proxy's
// X-Forwarded-Proto against an untrusted peer's is tested in internal/ui
// and internal/identity, where the proxies are configured.)
func TestFormsCookiesFollowTheTransport(t *testing.T) {
	f := getFixture(t)
	noRedirect := func(c *http.Client) *http.Client {
		c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
		return c
	}
	for _, host := range []string{"", "192.168.1.20:8080"} {
		csrf, sess := signIn(t, noRedirect(&http.Client{}), f.ts.URL, host, "admin@kazgrain.kz")
		if csrf.Secure || sess.Secure || !sess.HttpOnly || !csrf.HttpOnly || sess.SameSite != http.SameSiteLaxMode {
			t.Errorf("plain HTTP (Host %q): login %+v, session %+v", host, csrf, sess)
		}
	}
	tlsSrv := httptest.NewTLSServer(f.srv.Handler())
	defer tlsSrv.Close()
	csrf, sess := signIn(t, noRedirect(tlsSrv.Client()), tlsSrv.URL, "", "admin@kazgrain.kz")
	if !csrf.Secure || !sess.Secure || !sess.HttpOnly {
		t.Errorf("TLS: login %+v, session %+v", csrf, sess)
	}
}

// TestFormsLanguageSwitcherStaysOnThePage: the switcher links to the page
// the user is on with its query, also after a form failed (never to the
// form's POST address, which answers 405 to a GET).
func TestFormsLanguageSwitcherStaysOnThePage(t *testing.T) {
	f := getFixture(t)
	officer := f.formsBrowser(t, "officer@customs.kz", "en")
	r := officer.get(t, "/customs/console?tab=yellow")
	wantIn(t, r, 200, `href="/customs/console?lang=ru&amp;tab=yellow"`)

	// A refused action posted from the console answers with the
	// declaration's page: the switcher points there, not at the POST.
	trader := f.formsBrowser(t, "trader@kazgrain.kz", "en")
	stamp := fmt.Sprint(time.Now().UnixNano() % 1e9)
	id := formsImport(t, trader, "KGE-LANG-"+stamp)
	r = officer.post(t, "/customs/"+id+"/release", url.Values{}, "Referer", f.ts.URL+"/customs/console?tab=yellow")
	wantIn(t, r, 409, `href="/customs/`+id+`?lang=kk"`)
	if strings.Contains(string(r.body), `href="/customs/`+id+`/release?lang=`) {
		t.Error("the switcher points at the POST address")
	}
	// Posted again from the page that answered the first POST (its address
	// is the POST's): the declaration's page, not the POST address.
	r = officer.post(t, "/customs/"+id+"/release", url.Values{}, "Referer", f.ts.URL+"/customs/"+id+"/release")
	wantIn(t, r, 409, `href="/customs/`+id+`?lang=ru"`)
	// Without a Referer: the page the handler shows.
	r = officer.post(t, "/customs/"+id+"/release", url.Values{})
	wantIn(t, r, 409, `href="/customs/`+id+`?lang=zh"`)
	// A form that is not the page it is shown on: the page.
	admin := f.formsBrowser(t, "admin@kazgrain.kz", "en")
	r = admin.post(t, "/org/users", url.Values{"name": {""}, "email": {"x"}}, "Referer", f.ts.URL+"/org/users")
	wantIn(t, r, 400, `href="/org?lang=pt"`)
	// A Referer from another site is not followed.
	r = officer.post(t, "/customs/"+id+"/release", url.Values{}, "Referer", "https://evil.example/customs/console?tab=red")
	wantIn(t, r, 409, `href="/customs/`+id+`?lang=pt"`)
}

// formsImport lodges an import whose duties are due, as the trader.
func formsImport(t *testing.T, trader *browser, ref string) string {
	t.Helper()
	form := cpForm(ref, "import", "851713", "CN", "Smartphones, 5G", "op", "submit",
		"exporter.name", "Shenzhen Smart Devices", "exporter.country_code", "CN", "importer.name", "Kazakh Grain Export", "importer.country_code", "KZ",
		"trade_terms_condition_code", "CPT", "goods_items[0].tariff_quantity", "1,000", "goods_items[0].tariff_quantity_unit_code", "NAR",
		"goods_items[0].net_net_weight_measure", "200", "goods_items[0].gross_mass_measure", "260", "goods_items[0].customs_value_amount", "150,000.00")
	return cpLodged(t, trader.post(t, "/customs/new", form), "submitted")
}

// TestFormsErrorPagesKeepTheUser: an error page keeps the navigation and
// the signed-in user, and speaks the user's language; an officer's
// refused release shows no English service text in Russian.
func TestFormsErrorPagesKeepTheUser(t *testing.T) {
	f := getFixture(t)
	trader := f.formsBrowser(t, "trader@kazgrain.kz", "en")
	r := trader.get(t, "/no-such-page")
	wantIn(t, r, 404, `<nav class="main"`, `id="logout"`, `href="/customs"`, "This page or record does not exist")
	r = trader.get(t, "/customs/new/x/release")
	if r.status != 404 && r.status != 405 {
		t.Fatalf("unknown customs path: %d", r.status)
	}
	stamp := fmt.Sprint(time.Now().UnixNano() % 1e9)
	id := formsImport(t, trader, "KGE-ERR-"+stamp)
	r = trader.get(t, "/customs/"+id+"/submit")
	wantIn(t, r, 405, `<nav class="main"`, `id="logout"`, "it receives a form")

	ru := f.formsBrowser(t, "officer@customs.kz", "ru")
	r = ru.post(t, "/customs/"+id+"/release", url.Values{})
	wantIn(t, r, 409, "Платежи не уплачены и не обеспечены.", `<nav class="main"`)
	for _, english := range []string{"neither paid nor guaranteed", "cannot be released", "duties of"} {
		if strings.Contains(string(r.body), english) {
			t.Errorf("Russian release refusal shows English %q", english)
		}
	}
	// A conflict without fields, in Russian: the catalogue's sentence.
	ruTrader := f.formsBrowser(t, "trader@kazgrain.kz", "ru")
	r = ruTrader.post(t, "/customs/"+id+"/submit", url.Values{})
	wantIn(t, r, 409, "Действие невозможно в текущем состоянии записи")
	if strings.Contains(string(r.body), "cannot submit") {
		t.Error("Russian conflict shows the service's English")
	}
}

// TestFormsQuickDecideStartsAtTheLane: the console's quick-decide panel
// preselects the lane the declaration is in.
func TestFormsQuickDecideStartsAtTheLane(t *testing.T) {
	f := getFixture(t)
	trader := f.formsBrowser(t, "trader@kazgrain.kz", "en")
	officer := f.formsBrowser(t, "officer@customs.kz", "en")
	id := formsImport(t, trader, "KGE-LANE-"+fmt.Sprint(time.Now().UnixNano()%1e9))
	r := officer.post(t, "/customs/"+id+"/decide", url.Values{"lane": {"red"}, "reason": {"inspect the goods"}})
	if r.status != 303 {
		t.Fatalf("decide: %d %s", r.status, excerpt(r.body))
	}
	r = officer.get(t, "/customs/console?tab=red")
	row := regexp.MustCompile(`(?s)id="row-` + id + `".*?</tr>`).Find(r.body)
	if row == nil {
		t.Fatalf("no row for %s in the red queue", id)
	}
	if !strings.Contains(string(row), `<option value="red" selected>`) || strings.Contains(string(row), `<option value="green" selected>`) {
		t.Errorf("quick-decide does not start at the red lane: %s", row)
	}
}

// TestFormsOrgRegistration: a refused registration keeps what was typed
// with the field marked in the user's language; a registration is
// confirmed on the page it lands on, once.
func TestFormsOrgRegistration(t *testing.T) {
	f := getFixture(t)
	admin := f.formsBrowser(t, "admin@town.kz", "ru")
	name := "Forms Test Trading " + fmt.Sprint(time.Now().UnixNano()%1e9)
	before := f.auditCount(t)
	r := admin.post(t, "/admin/orgs", url.Values{"name": {name}, "kind": {"logistics_operator"}, "country": {"KZ"}, "reg_id": {"123"}})
	wantIn(t, r, 400, `value="`+name+`"`, `<option value="logistics_operator" selected>`, `<option value="KZ" selected>`, `value="123"`,
		"Введите регистрационный номер", `aria-invalid="true"`, "Исправьте")
	if f.auditCount(t) != before {
		t.Fatal("a refused registration stored something")
	}
	d := make([]int, 11)
	for {
		for i := range d {
			d[i] = rand.IntN(10)
		}
		if identity.KZBINCheckDigit(d) >= 0 {
			break
		}
	}
	bin := ""
	for _, x := range append(d, identity.KZBINCheckDigit(d)) {
		bin += fmt.Sprint(x)
	}
	r = admin.post(t, "/admin/orgs", url.Values{"name": {name}, "kind": {"company"}, "country": {"KZ"}, "reg_id": {bin}})
	page := admin.followDone(t, r)
	wantIn(t, page, 200, `id="notice"`, "Организация зарегистрирована.", name)
	if strings.Contains(string(page.body), `value="`+name+`"`) {
		t.Error("the form still holds the registered organisation")
	}
	// Once: the next page has no confirmation.
	if again := admin.get(t, "/admin/orgs"); strings.Contains(string(again.body), `id="notice"`) {
		t.Error("the confirmation shows twice")
	}
}

// TestFormsAmountsAsDisplayed: amounts typed as the pages display them are
// accepted in every language's style, and an ambiguous one is marked on
// its field in the user's language.
func TestFormsAmountsAsDisplayed(t *testing.T) {
	f := getFixture(t)
	stamp := fmt.Sprint(time.Now().UnixNano() % 1e9)
	for _, c := range []struct{ lang, value, mass string }{{"en", "1,250,000.00", "25,100.5"}, {"ru", "1 250 000,00", "25 100,5"},
		{"pt", "1.250.000,00", "25.100,5"}, {"zh", "1,250,000.00", "25100.5"}, {"kk", "1\u00a0250\u00a0000,00", "25100,5"}} {
		b := f.formsBrowser(t, "trader@kazgrain.kz", c.lang)
		form := cpForm("KGE-AMT-"+c.lang+"-"+stamp, "export", "100199", "KZ", "Milling wheat", "op", "save",
			"goods_items[0].customs_value_amount", c.value, "goods_items[0].customs_value_currency_id", "KZT",
			"goods_items[0].gross_mass_measure", c.mass)
		id := cpLodged(t, b.post(t, "/customs/new", form), "saved")
		r := b.get(t, "/customs/"+id+"/edit")
		if !strings.Contains(string(r.body), `value="1250000.00"`) {
			t.Errorf("%s: %q not stored as 1250000.00", c.lang, c.value)
		}
	}
	en := f.formsBrowser(t, "trader@kazgrain.kz", "en")
	form := cpForm("KGE-AMT-BAD-"+stamp, "export", "100199", "KZ", "Milling wheat", "op", "save", "goods_items[0].customs_value_amount", "12,50")
	r := en.post(t, "/customs/new", form)
	wantIn(t, r, 400, `value="12,50"`, `aria-invalid="true"`)
}

// TestFormsMissingCertificateIsMarked: "save and submit" without the SPS
// certificate the goods need marks the documents, on the form and on the
// declaration page, instead of an unexplained "correct the marked fields".
func TestFormsMissingCertificateIsMarked(t *testing.T) {
	f := getFixture(t)
	stamp := fmt.Sprint(time.Now().UnixNano() % 1e9)
	ru := f.formsBrowser(t, "trader@kazgrain.kz", "ru")
	form := cpForm("KGE-SPS-"+stamp, "export", "100199", "KZ", "Milling wheat", "op", "submit")
	r := ru.post(t, "/customs/new", form)
	body := string(r.body)
	docs := regexp.MustCompile(`(?s)<section class="card" aria-labelledby="sec-docs" id="documents">.*?</section>`).FindString(body)
	if r.status != 400 || !strings.Contains(docs, `class="field-error"`) || !strings.Contains(body, `href="#documents"`) {
		t.Fatalf("new form without a certificate: %d, documents section %q", r.status, excerpt([]byte(docs)))
	}
	// A saved draft submitted from its page.
	form.Set("op", "save")
	id := cpLodged(t, ru.post(t, "/customs/new", form), "saved")
	r = ru.post(t, "/customs/"+id+"/submit", url.Values{})
	wantIn(t, r, 400, `id="documents-error"`, `<a href="#documents">`)
	if strings.Contains(string(r.body), "attach a phytosanitary") {
		t.Error("the Russian page shows the service's English")
	}
}

// TestFormsConfirmations: actions without a page of their own confirm on
// the page they lead to: signing out, opening an account.
func TestFormsConfirmations(t *testing.T) {
	f := getFixture(t)
	b := f.formsBrowser(t, "trader@kazgrain.kz", "pt")
	code := fmt.Sprintf("forms-%d", time.Now().UnixNano()%1e9)
	r := b.post(t, "/accounts", url.Values{"currency": {"CNY"}, "kind": {"liability"}, "code": {code}, "name": {"CNY " + code}})
	wantIn(t, b.followDone(t, r), 200, `id="notice"`, "A conta foi aberta.", "CNY "+code)
	b2 := f.formsBrowser(t, "trader@kazgrain.kz", "kk")
	r = b2.post(t, "/logout", url.Values{})
	wantIn(t, b2.followDone(t, r), 200, `id="notice"`, "Сіз жүйеден шықтыңыз.")
}
