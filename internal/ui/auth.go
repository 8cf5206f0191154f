package ui

import (
	"crypto/subtle"
	"net/http"
	"strconv"
	"strings"

	"bricstown/internal/identity"
	"bricstown/internal/problem"
)

// loginCSRFCookie protects the login form itself (there is no session yet
// to bind a token to): the form must echo the cookie's random value, which a
// cross-site page cannot read.
const loginCSRFCookie = "bricstown_login_csrf"

// LoginPage shows the sign-in form.
func (p *Pages) LoginPage(w http.ResponseWriter, r *http.Request) {
	if identity.FromContext(r.Context()) != nil {
		http.Redirect(w, r, safeNext(r.URL.Query().Get("next")), http.StatusSeeOther)
		return
	}
	p.renderLogin(w, r, http.StatusOK, "")
}

func (p *Pages) renderLogin(w http.ResponseWriter, r *http.Request, status int, errKey string) {
	tok := identity.NewSecret()
	http.SetCookie(w, &http.Cookie{Name: loginCSRFCookie, Value: tok, Path: "/login", MaxAge: 3600, HttpOnly: true, Secure: p.secure(r), SameSite: http.SameSiteStrictMode})
	v := p.view(w, r, "login.title", map[string]string{"CSRF": tok, "Next": safeNext(r.FormValue("next")), "Email": r.PostFormValue("email")})
	if errKey != "" {
		v.Error = v.T(errKey)
	}
	p.render(w, r, status, "login", v)
}

// Login checks the credentials and starts a session.
func (p *Pages) Login(w http.ResponseWriter, r *http.Request) {
	c, err := r.Cookie(loginCSRFCookie)
	if err != nil || subtle.ConstantTimeCompare([]byte(c.Value), []byte(r.PostFormValue("csrf_token"))) != 1 {
		p.renderLogin(w, r, http.StatusForbidden, "error.csrf")
		return
	}
	// Limits per account and per client address, and the bound on password
	// hashing, are the identity service's: every sign-in path shares them.
	secret, sess, _, err := p.Identity.Login(r.Context(), r.PostFormValue("email"), r.PostFormValue("password"), p.Identity.ClientAddr(r))
	if err != nil {
		if secs, ok := identity.RetryAfter(err); ok {
			w.Header().Set("Retry-After", strconv.Itoa(secs))
		}
		switch problem.CodeOf(err) {
		case problem.Unauthenticated:
			p.renderLogin(w, r, http.StatusUnauthorized, "login.failed")
		case problem.RateLimited:
			p.renderLogin(w, r, http.StatusTooManyRequests, "login.too_many")
		case problem.Unavailable:
			p.renderLogin(w, r, http.StatusServiceUnavailable, "login.too_many")
		default:
			p.Error(w, r, http.StatusInternalServerError, err)
		}
		return
	}
	http.SetCookie(w, &http.Cookie{Name: SessionCookie, Value: secret, Path: "/", Expires: sess.ExpiresAt,
		HttpOnly: true, Secure: p.secure(r), SameSite: http.SameSiteLaxMode})
	http.SetCookie(w, &http.Cookie{Name: loginCSRFCookie, Value: "", Path: "/login", MaxAge: -1, HttpOnly: true, Secure: p.secure(r), SameSite: http.SameSiteStrictMode})
	http.Redirect(w, r, safeNext(r.PostFormValue("next")), http.StatusSeeOther)
}

// Logout ends the session and clears the cookie.
func (p *Pages) Logout(w http.ResponseWriter, r *http.Request) {
	pr := identity.FromContext(r.Context())
	if c, err := r.Cookie(SessionCookie); err == nil && pr != nil {
		if err := p.Identity.Logout(r.Context(), pr, c.Value); err != nil {
			p.Error(w, r, http.StatusInternalServerError, err)
			return
		}
	}
	http.SetCookie(w, &http.Cookie{Name: SessionCookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true, Secure: p.secure(r), SameSite: http.SameSiteLaxMode})
	p.redirectDone(w, r, "/login", "done.signed_out")
}

// safeNext only follows local paths after login, never another site.
func safeNext(next string) string {
	if next == "" || !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.HasPrefix(next, "/\\") || strings.ContainsAny(next, "\r\n") {
		return "/"
	}
	return next
}
