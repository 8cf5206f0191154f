package ui

import (
	"crypto/subtle"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

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
	http.SetCookie(w, &http.Cookie{Name: loginCSRFCookie, Value: tok, Path: "/login", MaxAge: 3600, HttpOnly: true, Secure: true, SameSite: http.SameSiteStrictMode})
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
	ip := clientIP(r)
	if p.logins.blocked(ip, time.Now()) {
		p.renderLogin(w, r, http.StatusTooManyRequests, "login.too_many")
		return
	}
	secret, sess, _, err := p.Identity.Login(r.Context(), r.PostFormValue("email"), r.PostFormValue("password"))
	if err != nil {
		if problem.Is(err, problem.Unauthenticated) {
			p.logins.fail(ip, time.Now())
			p.renderLogin(w, r, http.StatusUnauthorized, "login.failed")
			return
		}
		p.Error(w, r, http.StatusInternalServerError, err)
		return
	}
	http.SetCookie(w, &http.Cookie{Name: SessionCookie, Value: secret, Path: "/", Expires: sess.ExpiresAt,
		HttpOnly: true, Secure: true, SameSite: http.SameSiteLaxMode})
	http.SetCookie(w, &http.Cookie{Name: loginCSRFCookie, Value: "", Path: "/login", MaxAge: -1})
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
	http.SetCookie(w, &http.Cookie{Name: SessionCookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true, Secure: true, SameSite: http.SameSiteLaxMode})
	http.Redirect(w, r, "/login", http.StatusSeeOther)
}

// safeNext only follows local paths after login, never another site.
func safeNext(next string) string {
	if next == "" || !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.HasPrefix(next, "/\\") || strings.ContainsAny(next, "\r\n") {
		return "/"
	}
	return next
}

func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// limiter allows a burst of failed attempts per key and then one per
// interval, so that password guessing is slow while a user who mistypes
// twice is not locked out. Only failures count: signing in successfully
// costs nothing.
type limiter struct {
	mu       sync.Mutex
	burst    int
	interval time.Duration
	seen     map[string]*bucket
}

type bucket struct {
	tokens float64
	at     time.Time
}

func newLimiter() *limiter {
	return &limiter{burst: 20, interval: 3 * time.Second, seen: map[string]*bucket{}}
}

// refill brings key's bucket up to date.
func (l *limiter) refill(key string, now time.Time) *bucket {
	if len(l.seen) > 100_000 { // bound memory under a spray of addresses
		l.seen = map[string]*bucket{}
	}
	b := l.seen[key]
	if b == nil {
		b = &bucket{tokens: float64(l.burst), at: now}
		l.seen[key] = b
	}
	b.tokens += now.Sub(b.at).Seconds() / l.interval.Seconds()
	if b.tokens > float64(l.burst) {
		b.tokens = float64(l.burst)
	}
	b.at = now
	return b
}

// blocked reports whether key has used up its failed attempts.
func (l *limiter) blocked(key string, now time.Time) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.refill(key, now).tokens < 1
}

// fail spends one attempt of key's.
func (l *limiter) fail(key string, now time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if b := l.refill(key, now); b.tokens >= 1 {
		b.tokens--
	}
}
