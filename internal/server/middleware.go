package server

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"runtime/debug"
	"strings"
	"time"

	"bricstown/internal/identity"
	"bricstown/internal/problem"
)

type ridKey struct{}

func requestID(ctx context.Context) string {
	s, _ := ctx.Value(ridKey{}).(string)
	return s
}

// validRequestID accepts a caller's id only when it is short and plain, so
// ids can be logged and echoed without escaping.
func validRequestID(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') {
			return false
		}
	}
	return true
}

func newRequestID() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

type statusRecorder struct {
	http.ResponseWriter
	status int
	bytes  int64
}

func (s *statusRecorder) WriteHeader(code int) {
	if s.status == 0 {
		s.status = code
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusRecorder) Write(b []byte) (int, error) {
	if s.status == 0 {
		s.status = http.StatusOK
	}
	n, err := s.ResponseWriter.Write(b)
	s.bytes += int64(n)
	return n, err
}

// Flush lets server-sent event streams through the recorder.
func (s *statusRecorder) Flush() {
	if f, ok := s.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

func (s *statusRecorder) Unwrap() http.ResponseWriter { return s.ResponseWriter }

// wrap is the outer middleware for every request: request id, security
// headers, panic recovery, metrics and the access log.
func (s *Server) wrap(route string, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		s.inFlight.Inc()
		defer s.inFlight.Dec()
		rid := r.Header.Get("X-Request-Id")
		if !validRequestID(rid) {
			rid = newRequestID()
		}
		ctx := context.WithValue(r.Context(), ridKey{}, rid)
		if c, ok := s.DB.(Classifier); ok {
			ctx = context.WithValue(ctx, classifierKey{}, c.Classify)
		}
		r = r.WithContext(ctx)
		h := w.Header()
		h.Set("X-Request-Id", rid)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "same-origin")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'")
		rec := &statusRecorder{ResponseWriter: w}
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				s.log.ErrorContext(ctx, "panic", "panic", fmt.Sprint(v), "stack", string(debug.Stack()))
				if rec.status == 0 {
					writeProblem(rec, r, s.log, problem.New(problem.Internal, "internal error"))
				}
			}
			d := time.Since(start)
			status := rec.status
			if status == 0 {
				status = http.StatusOK
			}
			s.httpRequests.Inc(route, fmt.Sprint(status))
			s.httpLatency.Observe(d.Seconds(), route)
			lvl := slog.LevelInfo
			if status >= 500 {
				lvl = slog.LevelError
			}
			s.log.Log(ctx, lvl, "http", "method", r.Method, "path", r.URL.Path, "route", route, "status", status,
				"bytes", rec.bytes, "ms", float64(d.Microseconds())/1000, "request_id", rid, "client", s.clientAddr(r))
		}()
		next.ServeHTTP(rec, r)
	})
}

// clientAddr is the request's client address: the peer, or what a trusted
// proxy forwarded (identity.TrustedProxies.ClientAddr is the one rule; the
// pages ask the same service).
func (s *Server) clientAddr(r *http.Request) string {
	if s.identity == nil {
		return identity.TrustedProxies(nil).ClientAddr(r)
	}
	return s.identity.ClientAddr(r)
}

// authenticate finds the caller: an API token in the Authorization header,
// or a session cookie. A bad bearer token is an error (a machine should
// learn at once that its credential is wrong); a stale cookie just makes
// the caller anonymous, so the login page can be shown.
func (s *Server) authenticate(r *http.Request) (*identity.Principal, error) {
	if auth := r.Header.Get("Authorization"); auth != "" {
		scheme, tok, ok := strings.Cut(auth, " ")
		if !ok || !strings.EqualFold(scheme, "Bearer") {
			return nil, problem.New(problem.Unauthenticated, "use Authorization: Bearer <token>")
		}
		return s.identity.AuthenticateToken(r.Context(), strings.TrimSpace(tok))
	}
	c, err := r.Cookie(SessionCookie)
	if err != nil || c.Value == "" {
		return nil, nil
	}
	p, err := s.identity.AuthenticateSession(r.Context(), c.Value)
	if problem.Is(err, problem.Unauthenticated) {
		return nil, nil
	}
	return p, err
}

// guard enforces the route's declared access. It is the only place where
// roles are checked against routes; the route-table test walks every route
// through it.
func (s *Server) guard(rt Route, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if rt.BodyLimit > 0 {
			r.Body = http.MaxBytesReader(w, r.Body, rt.BodyLimit)
		}
		p, err := s.authenticate(r)
		if err != nil {
			s.deny(w, r, rt, err)
			return
		}
		if p != nil {
			r = r.WithContext(identity.WithPrincipal(r.Context(), p))
		}
		if !rt.Access.Public {
			if p == nil {
				s.deny(w, r, rt, problem.New(problem.Unauthenticated, "sign in or send an API token"))
				return
			}
			if !rt.Access.AnyUser && !p.HasAny(rt.Access.Roles...) {
				s.deny(w, r, rt, problem.New(problem.Forbidden, "this needs one of the roles: %s", roleList(rt.Access.Roles)))
				return
			}
			if !rt.Access.allows(r.Context(), p) {
				s.deny(w, r, rt, problem.New(problem.Forbidden, "this does not apply to your organisation"))
				return
			}
		}
		if unsafeMethod(r.Method) {
			if err := checkOrigin(r); err != nil {
				s.deny(w, r, rt, err)
				return
			}
			if p != nil && p.Via == "session" && !validCSRF(r, p.CSRF) {
				s.deny(w, r, rt, problem.New(problem.CSRF, "the form has expired; reload the page and try again"))
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

func (s *Server) deny(w http.ResponseWriter, r *http.Request, rt Route, err error) {
	if rt.Page && problem.Is(err, problem.Unauthenticated) && r.Method == http.MethodGet {
		http.Redirect(w, r, "/login?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
		return
	}
	if rt.Page {
		s.ui.Error(w, r, statusOf(problem.CodeOf(err)), err)
		return
	}
	writeProblem(w, r, s.log, err)
}

func roleList(rs []identity.Role) string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = string(r)
	}
	return strings.Join(out, ", ")
}

func unsafeMethod(m string) bool {
	return m != http.MethodGet && m != http.MethodHead && m != http.MethodOptions
}

// validCSRF accepts the session's token from the X-CSRF-Token header (htmx
// and scripts) or the csrf_token form field (plain forms).
func validCSRF(r *http.Request, want string) bool {
	got := r.Header.Get("X-CSRF-Token")
	if got == "" {
		ct := r.Header.Get("Content-Type")
		if strings.HasPrefix(ct, "application/x-www-form-urlencoded") || strings.HasPrefix(ct, "multipart/form-data") {
			got = r.PostFormValue("csrf_token")
		}
	}
	return want != "" && subtle.ConstantTimeCompare([]byte(got), []byte(want)) == 1
}

// checkOrigin refuses cross-site unsafe requests that a browser marks as
// such, a second line of defence behind the CSRF token (and the only one
// for the login form, which has no session yet).
func checkOrigin(r *http.Request) error {
	if site := r.Header.Get("Sec-Fetch-Site"); site == "cross-site" {
		return problem.New(problem.CSRF, "cross-site request refused")
	}
	if o := r.Header.Get("Origin"); o != "" && o != "null" {
		u, err := url.Parse(o)
		if err != nil || u.Host != r.Host {
			return problem.New(problem.CSRF, "cross-origin request refused")
		}
	}
	return nil
}
