package ui

import (
	"crypto/tls"
	"log/slog"
	"net/http/httptest"
	"testing"

	"bricstown/internal/identity"
	"bricstown/internal/problem"
)

// TestCookiesSecureOnlyOverTLS: the sign-in form's cookie (and the language
// cookie) is Secure when the request came over TLS, directly or as a
// configured trusted proxy reports it, and not when an untrusted peer
// merely claims it or the request came over plain HTTP.
func TestCookiesSecureOnlyOverTLS(t *testing.T) {
	proxies, err := identity.ParseTrustedProxies("10.0.0.0/8")
	if err != nil {
		t.Fatal(err)
	}
	p, err := New(Deps{Log: slog.New(slog.DiscardHandler), Identity: identity.NewService(nil, identity.Config{TrustedProxies: proxies})})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name, remote, proto string
		direct, want        bool
	}{
		{"plain HTTP on a LAN address", "192.168.1.30:5000", "", false, false},
		{"direct TLS", "192.168.1.30:5000", "", true, true},
		{"trusted proxy, https", "10.0.0.5:5000", "https", false, true},
		{"trusted proxy, http", "10.0.0.5:5000", "http", false, false},
		{"untrusted peer claims https", "192.168.1.30:5000", "https", false, false},
	} {
		r := httptest.NewRequest("GET", "/login?lang=ru", nil)
		r.RemoteAddr = c.remote
		if c.proto != "" {
			r.Header.Set("X-Forwarded-Proto", c.proto)
		}
		if c.direct {
			r.TLS = &tls.ConnectionState{}
		}
		w := httptest.NewRecorder()
		p.LoginPage(w, r)
		cookies := w.Result().Cookies()
		if len(cookies) < 2 {
			t.Fatalf("%s: cookies %v", c.name, cookies)
		}
		for _, ck := range cookies {
			if ck.Secure != c.want || !ck.HttpOnly {
				t.Errorf("%s: cookie %s Secure=%v HttpOnly=%v, want Secure=%v", c.name, ck.Name, ck.Secure, ck.HttpOnly, c.want)
			}
		}
	}
}

// TestLangURLKeepsThePage: the switcher keeps the page and its query,
// replaces lang and drops a one-off confirmation.
func TestLangURLKeepsThePage(t *testing.T) {
	for _, c := range []struct{ here, want string }{
		{"/customs/console?tab=red", "/customs/console?lang=ru&tab=red"},
		{"/customs/x?done=saved&lang=en", "/customs/x?lang=ru"},
		{"", "/?lang=ru"},
		{"/audit?org=a%26b", "/audit?lang=ru&org=a%26b"},
	} {
		v := &View{Here: c.here}
		if got := v.LangURL("ru"); got != c.want {
			t.Errorf("LangURL(here %q) = %q, want %q", c.here, got, c.want)
		}
	}
}

// TestHereAfterAPost: after a POST the page the user is on is the form's
// page from a same-site Referer; a Referer that is the POST's own address
// or another site's is not used.
func TestHereAfterAPost(t *testing.T) {
	p := &Pages{Deps: Deps{CanVisit: func(_ *identity.Principal, path string) bool { return path == "/accounts" }}}
	for _, c := range []struct{ method, target, referer, want string }{
		{"GET", "/accounts?q=x&page=2", "", "/accounts?q=x&page=2"},
		{"POST", "/accounts/9/transfers", "http://example.com/accounts/9?tab=out", "/accounts/9?tab=out"},
		{"POST", "/accounts/9/transfers", "http://example.com/accounts/9/transfers", "/"},
		{"POST", "/accounts/9/transfers", "https://evil.example/accounts/9", "/"},
		{"POST", "/accounts", "", "/accounts"},
	} {
		r := httptest.NewRequest(c.method, "http://example.com"+c.target, nil)
		if c.referer != "" {
			r.Header.Set("Referer", c.referer)
		}
		if got := p.here(r, nil); got != c.want {
			t.Errorf("%s %s (Referer %q): here %q, want %q", c.method, c.target, c.referer, got, c.want)
		}
	}
}

// TestFormErrorSpeaksTheUsersLanguage: a refused form's summary and field
// messages come from the catalogue, not the service's English; an amount
// typed the wrong way gets the reason, with an example in the user's style.
func TestFormErrorSpeaksTheUsersLanguage(t *testing.T) {
	p, err := New(Deps{Log: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	v := &View{Lang: "ru", cat: p.cat, Posted: map[string][]string{"amount": {"1,234.56"}}}
	err = &problem.Error{Code: problem.Invalid, Message: "the transfer is not valid",
		Fields: map[string]string{"amount": "amount must contain only digits", "name": "must be 1 to 200 characters", "to": "required: the account"}}
	if st := p.formError(v, err); st != 400 {
		t.Errorf("status %d", st)
	}
	if v.Error != p.cat["ru"]["form.invalid"] {
		t.Errorf("summary %q", v.Error)
	}
	if want := p.cat.Text("ru", "amount.err.ambiguous", "12\u202f500\u202f000,50"); v.Fields["amount"] != want {
		t.Errorf("amount: %q, want %q", v.Fields["amount"], want)
	}
	if v.Fields["name"] != p.cat["ru"]["field.err.name"] || v.Fields["to"] != p.cat["ru"]["field.err.required"] {
		t.Errorf("fields %v", v.Fields)
	}
	v = &View{Lang: "pt", cat: p.cat}
	p.formError(v, problem.New(problem.Conflict, "the declaration is at version 3, not 2"))
	if v.Error != p.cat["pt"]["error.conflict"] {
		t.Errorf("conflict %q", v.Error)
	}
}
