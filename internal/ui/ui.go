// Package ui is the web interface: server-rendered html/template pages with
// htmx for partial updates, every string from the five-language catalogue,
// and all assets embedded so the binary serves the UI with no build step.
//
// Page handlers are thin: they call the same domain services as the JSON
// API, so a rule enforced for the API is enforced for the UI too. Which
// roles may open a page is decided by the server's route table, not here.
package ui

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"bricstown/internal/audit"
	"bricstown/internal/customs"
	"bricstown/internal/fx"
	"bricstown/internal/guarantee"
	"bricstown/internal/identity"
	"bricstown/internal/ledger"
	"bricstown/internal/obligations"
	"bricstown/internal/problem"
	"bricstown/internal/refdata"
	"bricstown/internal/settlement"
)

//go:embed templates/*.html
var templateFiles embed.FS

//go:embed static
var staticFiles embed.FS

// Static serves the embedded stylesheet, scripts and images.
func Static() http.Handler {
	sub, _ := fs.Sub(staticFiles, "static")
	fsrv := http.StripPrefix("/static/", http.FileServer(http.FS(sub)))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=3600")
		fsrv.ServeHTTP(w, r)
	})
}

// SessionCookie carries the session secret.
const SessionCookie = "bricstown_session"

// Deps are what the pages need.
type Deps struct {
	Log        *slog.Logger
	Identity   *identity.Service
	Audit      audit.Store
	Ref        *refdata.Data
	Stats      TownStats
	Ledger     *ledger.Service
	FX         *fx.Service
	Settlement *settlement.Service

	// Obligations is the invoice register and its MTCS clearing runs.
	Obligations *obligations.Service
	// Customs is the one-stop trade service centre.
	Customs *customs.Service
	// Guarantees are banks' guarantees for customs duties.
	Guarantees *guarantee.Service

	// CanVisit tells whether p may open the page at path, from the route
	// table, so navigation shows exactly the pages a user may open.
	CanVisit func(p *identity.Principal, path string) bool

	// Classify, when set, gives a code to a storage error that reached a
	// page unclassified (sqlstore.Classify), so that a database outage
	// shows "unavailable, try again" with 503 instead of an internal error.
	Classify func(error) error
}

// Pages renders and serves the web pages.
type Pages struct {
	Deps
	cat   Catalogs
	pages map[string]*template.Template
}

// New parses every template at start so that a template error stops the
// server from starting instead of failing a user's request.
func New(d Deps) (*Pages, error) {
	cat, err := LoadCatalogs()
	if err != nil {
		return nil, err
	}
	p := &Pages{Deps: d, cat: cat, pages: map[string]*template.Template{}}
	entries, err := fs.ReadDir(templateFiles, "templates")
	if err != nil {
		return nil, err
	}
	funcs := template.FuncMap{
		"date":      func(t time.Time) string { return t.UTC().Format("2006-01-02 15:04") },
		"datetime":  func(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05 UTC") },
		"join":      strings.Join,
		"hasPrefix": strings.HasPrefix,
		"roles":     identity.RolesString,
		"dict": func(kv ...any) map[string]any {
			m := make(map[string]any, len(kv)/2)
			for i := 0; i+1 < len(kv); i += 2 {
				k, _ := kv[i].(string)
				m[k] = kv[i+1]
			}
			return m
		},
	}
	for _, e := range entries {
		name := e.Name()
		if name == "layout.html" || strings.HasPrefix(name, "_") {
			continue
		}
		t, err := template.New(name).Funcs(funcs).ParseFS(templateFiles, "templates/layout.html", "templates/_*.html", "templates/"+name)
		if err != nil {
			return nil, fmt.Errorf("ui: parse %s: %w", name, err)
		}
		p.pages[strings.TrimSuffix(name, ".html")] = t
	}
	return p, nil
}

// Catalogs exposes the message catalogue (the server uses it for errors).
func (p *Pages) Catalogs() Catalogs { return p.cat }

// NavItem is one entry of the main navigation.
type NavItem struct {
	Path, Key string
	Active    bool
}

// navigation lists every page that may appear in the menu, in order; each
// is shown only when the route table lets the user open it.
var navigation = []NavItem{
	{Path: "/", Key: "nav.overview"},
	{Path: "/ref", Key: "nav.reference"},
	{Path: "/accounts", Key: "nav.accounts"},
	{Path: "/fx", Key: "nav.fx"},
	{Path: "/fx/publish", Key: "nav.fx_publish"},
	{Path: "/fx/reference", Key: "fxref.nav"},
	{Path: "/settlement", Key: "settle.nav"},
	{Path: "/obligations", Key: "oblig.nav"},
	{Path: "/customs", Key: "customs.nav"},
	{Path: "/customs/console", Key: "customs.nav_console"},
	{Path: "/customs/quarantine", Key: "customs.nav_quarantine"},
	{Path: "/guarantees", Key: "guarantee.nav"},
	{Path: "/ledger/issuance", Key: "issuance.nav"},
	{Path: "/org", Key: "nav.my_org"},
	{Path: "/admin/orgs", Key: "nav.orgs"},
	{Path: "/audit", Key: "nav.audit"},
}

// View is what every template receives.
type View struct {
	Lang      string
	Languages []Language
	TitleKey  string
	Principal *identity.Principal
	Nav       []NavItem
	Path      string
	Query     string
	Flash     string
	Error     string
	Fields    map[string]string
	Data      any
	cat       Catalogs
}

// T translates key into the page's language.
func (v *View) T(key string, args ...any) string { return v.cat.Text(v.Lang, key, args...) }

// TN translates a plural message: the form the language's CLDR rules pick
// for the count n, formatted with n and then args
// ({{.TN "settle.deferrals_hidden" $d.DeferralsHidden}}).
func (v *View) TN(key string, n int, args ...any) string {
	return v.cat.TextN(v.Lang, key, n, args...)
}

// CSRF is the anti-forgery token to put in every form.
func (v *View) CSRF() string {
	if v.Principal == nil {
		return ""
	}
	return v.Principal.CSRF
}

// LangURL links to the current page in another language.
func (v *View) LangURL(lang string) string { return v.Path + "?lang=" + lang }

func (p *Pages) view(w http.ResponseWriter, r *http.Request, titleKey string, data any) *View {
	pr := identity.FromContext(r.Context())
	profile := ""
	if pr != nil {
		profile = pr.Lang
	}
	v := &View{Lang: langOf(w, r, profile), Languages: Languages, TitleKey: titleKey, Principal: pr, Path: r.URL.Path, Data: data, cat: p.cat}
	if pr != nil {
		// The current entry is the longest path the page is under, so
		// /fx/publish marks "Publish rates" and not also "FX".
		best := -1
		for _, n := range navigation {
			if p.CanVisit == nil || p.CanVisit(pr, n.Path) {
				under := n.Path == r.URL.Path || n.Path != "/" && strings.HasPrefix(r.URL.Path, n.Path+"/")
				if under && (best < 0 || len(n.Path) > len(v.Nav[best].Path)) {
					best = len(v.Nav)
				}
				v.Nav = append(v.Nav, n)
			}
		}
		if best >= 0 {
			v.Nav[best].Active = true
		}
	}
	return v
}

// render executes page into a buffer first, so that a template error yields
// a clean error page instead of half a page.
func (p *Pages) render(w http.ResponseWriter, r *http.Request, status int, page string, v *View) {
	t, ok := p.pages[page]
	if !ok {
		panic("ui: no template " + page)
	}
	p.currencyNamesIn(v)
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", v); err != nil {
		p.Log.ErrorContext(r.Context(), "render", "page", page, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// renderPartial executes a named block without the layout, for htmx swaps.
func (p *Pages) renderPartial(w http.ResponseWriter, r *http.Request, page, block string, v *View) {
	var buf bytes.Buffer
	if err := p.pages[page].ExecuteTemplate(&buf, block, v); err != nil {
		p.Log.ErrorContext(r.Context(), "render partial", "page", page, "block", block, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_, _ = w.Write(buf.Bytes())
}

// Error renders an error page in the user's language.
func (p *Pages) Error(w http.ResponseWriter, r *http.Request, status int, err error) {
	err = p.classify(err)
	v := p.view(w, r, "error.title", nil)
	key := "error.generic"
	switch problem.CodeOf(err) {
	case problem.Unavailable:
		key, status = "error.unavailable", http.StatusServiceUnavailable
	case problem.OutcomeUnknown:
		key, status = "error.outcome_unknown", http.StatusServiceUnavailable
	case problem.Forbidden:
		key = "error.forbidden"
	case problem.NotFound:
		key = "error.not_found"
	case problem.CSRF:
		key = "error.csrf"
	case problem.Unauthenticated:
		key = "error.unauthenticated"
	case problem.Invalid, problem.Malformed, problem.TooLarge:
		key = "error.invalid"
	}
	v.Error = v.T(key)
	if status >= 500 {
		p.Log.ErrorContext(r.Context(), "page failed", "path", r.URL.Path, "err", err)
	}
	p.render(w, r, status, "error", v)
}

// formError puts a failed form's messages on the view: field messages for
// Invalid errors (shown beside the fields), one line for anything else.
func (p *Pages) formError(v *View, err error) int {
	err = p.classify(err)
	var pe *problem.Error
	if errors.As(err, &pe) && pe.Code != problem.Internal {
		v.Error = pe.Message
		v.Fields = pe.Fields
	} else {
		v.Error = v.T("error.generic")
	}
	code := problem.CodeOf(err)
	switch code {
	case problem.OutcomeUnknown:
		v.Error = v.T("error.outcome_unknown")
	case problem.Unavailable:
		if pe.RetryAfter > 0 { // the database, not a feature switched off
			v.Error = v.T("error.unavailable")
		}
	}
	return code.HTTPStatus()
}

// classify gives a code to an error that has none (see Deps.Classify).
func (p *Pages) classify(err error) error {
	if p.Classify != nil && problem.CodeOf(err) == problem.Internal {
		return p.Classify(err)
	}
	return err
}
