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
	"context"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"bricstown/internal/audit"
	"bricstown/internal/booking"
	"bricstown/internal/clinic"
	"bricstown/internal/customs"
	"bricstown/internal/deal"
	"bricstown/internal/education"
	"bricstown/internal/expo"
	"bricstown/internal/festival"
	"bricstown/internal/fx"
	"bricstown/internal/guarantee"
	"bricstown/internal/home"
	"bricstown/internal/identity"
	"bricstown/internal/ledger"
	"bricstown/internal/logistics"
	"bricstown/internal/market"
	"bricstown/internal/money"
	"bricstown/internal/obligations"
	"bricstown/internal/order"
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
	// Logistics is the dispatch of shipments along the corridors.
	Logistics *logistics.Service
	// Market is the cross-border catalogue.
	Market *market.Service
	// ShipmentChanged, when set, publishes a shipment's committed change to
	// its streams and its owner's webhooks (the server's publishShipment).
	ShipmentChanged func(ctx context.Context, p *identity.Principal, action, shipmentID string)
	// Booking is the booking engine of the town's services.
	Booking *booking.Service
	// Deal is the signing of investment agreements.
	Deal *deal.Service
	// Festival is the art zone's festivals and tickets.
	Festival *festival.Service
	// Clinic is the medical and wellness zone on the booking engine.
	Clinic *clinic.Service
	// Education is the education zone on the booking engine.
	Education *education.Service
	// Expo runs the commodity expos and their B2B meetings.
	Expo *expo.Service
	// Order is buying on the marketplace: RFQs, orders, escrow.
	Order *order.Service

	// Home gathers each user's "what needs me now" (internal/home).
	Home *home.Service

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
	{Path: "/", Key: "home.nav"},
	{Path: "/ref", Key: "nav.reference"},
	{Path: "/accounts", Key: "nav.accounts"},
	{Path: "/fx", Key: "nav.fx"},
	{Path: "/fx/publish", Key: "nav.fx_publish"},
	{Path: "/fx/reference", Key: "fxref.nav"},
	{Path: "/settlement", Key: "settle.nav"},
	{Path: "/obligations", Key: "oblig.nav"},
	{Path: "/obligations/runs", Key: "oblig.nav_runs"},
	{Path: "/customs", Key: "customs.nav"},
	{Path: "/customs/console", Key: "customs.nav_console"},
	{Path: "/customs/quarantine", Key: "customs.nav_quarantine"},
	{Path: "/guarantees", Key: "guarantee.nav"},
	{Path: "/logistics", Key: "logistics.nav"},
	{Path: "/market", Key: "market.nav"},
	{Path: "/logistics/dispatch", Key: "logistics.dispatch_nav"},
	{Path: "/booking", Key: "booking.nav"},
	{Path: "/deal", Key: "deal.nav"},
	{Path: "/festivals", Key: "fest_nav"},
	{Path: "/festival/tickets", Key: "fest_nav_tickets"},
	{Path: "/festival/door", Key: "fest_nav_door"},
	{Path: "/clinic", Key: "clinic.nav"},
	{Path: "/clinic/day", Key: "clinic.nav_day"},
	{Path: "/clinic/records", Key: "clinic.nav_records"},
	{Path: "/education", Key: "edu.nav"},
	{Path: "/education/mine", Key: "edu.nav_mine"},
	{Path: "/education/exchanges", Key: "edu.nav_exchanges"},
	{Path: "/expo", Key: "expo_nav"},
	{Path: "/market/rfqs", Key: "order_nav"},
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
	// Here is the address of the page the user is on, as a GET with its
	// query: the request's own for a GET, the form's page (its Referer on
	// this site) after a POST, so the language switcher never points at a
	// form's POST address.
	Here string
	// Notice confirms the action that led to this page (see
	// Pages.redirectDone); the layout shows it.
	Notice string
	// Posted is what a submitted form carried, so that a form shown again
	// after an error keeps what was typed (Typed, Chose).
	Posted   url.Values
	cat      Catalogs
	canVisit func(path string) bool
}

// CanOpen tells whether the user may open the page at path (the route
// table's answer), so that a page links only where its reader may go.
func (v *View) CanOpen(path string) bool { return v.canVisit == nil || v.canVisit(path) }

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

// LangURL links to the page the user is on, query kept, in another
// language. A one-off confirmation (done=) is not repeated.
func (v *View) LangURL(lang string) string {
	u, err := url.Parse(v.Here)
	if err != nil || v.Here == "" {
		u = &url.URL{Path: "/"}
	}
	q := u.Query()
	q.Del("done")
	q.Set("lang", lang)
	return (&url.URL{Path: u.Path, RawQuery: q.Encode()}).String()
}

// Typed is what the user typed into the form field name, when the form is
// shown again because something was wrong; empty on a fresh form and
// after success.
func (v *View) Typed(name string) string {
	if v.Error == "" && len(v.Fields) == 0 {
		return ""
	}
	return v.Posted.Get(name)
}

// Chose reports whether the re-shown form had value picked in name (a
// select option, a checkbox, a radio button).
func (v *View) Chose(name, value string) bool {
	if v.Error == "" && len(v.Fields) == 0 {
		return false
	}
	for _, x := range v.Posted[name] {
		if x == value {
			return true
		}
	}
	return false
}

func (p *Pages) view(w http.ResponseWriter, r *http.Request, titleKey string, data any) *View {
	pr := identity.FromContext(r.Context())
	profile := ""
	if pr != nil {
		profile = pr.Lang
	}
	v := &View{Lang: langOf(w, r, profile, p.secure(r)), Languages: Languages, TitleKey: titleKey, Principal: pr, Path: r.URL.Path, Data: data, cat: p.cat}
	if p.CanVisit != nil {
		v.canVisit = func(path string) bool { return p.CanVisit(pr, path) }
	}
	v.Here = p.here(r, pr)
	if r.Method == http.MethodPost {
		_ = r.ParseForm() // a multipart body is the handler's to parse; then PostForm is already set
		v.Posted = r.PostForm
	}
	// The confirmation belongs to the page the redirect lands on, not to a
	// partial htmx fetches for another part of the screen.
	if c, err := r.Cookie(doneCookie); err == nil && r.Method == http.MethodGet && r.Header.Get("HX-Request") == "" {
		if strings.HasPrefix(c.Value, "done.") && p.has(c.Value) {
			v.Notice = v.T(c.Value)
		}
		http.SetCookie(w, &http.Cookie{Name: doneCookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true, Secure: p.secure(r), SameSite: http.SameSiteLaxMode})
	}
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

// here is the GET address of the page r shows (View.Here): the request's
// own path and query for a GET; after a POST the page the form was on,
// from the Referer when it is this site's, else the POST's path when that
// is a page the user may open, else the home page. A handler that shows a
// known page after a POST sets View.Here itself.
func (p *Pages) here(r *http.Request, pr *identity.Principal) string {
	if r.Method == http.MethodGet || r.Method == http.MethodHead {
		return (&url.URL{Path: r.URL.Path, RawQuery: r.URL.RawQuery}).String()
	}
	// A Referer that is this POST's own address came from a page shown in
	// answer to an earlier POST: not a page to link to.
	if ref, err := url.Parse(r.Referer()); err == nil && ref.Host == r.Host && strings.HasPrefix(ref.Path, "/") && !strings.HasPrefix(ref.Path, "//") &&
		ref.Path != r.URL.Path {
		return (&url.URL{Path: ref.Path, RawQuery: ref.RawQuery}).String()
	}
	if p.CanVisit != nil && p.CanVisit(pr, r.URL.Path) {
		return r.URL.Path
	}
	return "/"
}

// secure reports whether cookies set in answer to r may be marked Secure:
// the request came over TLS, directly or through a trusted proxy
// (identity.TrustedProxies.TLS explains the choice).
func (p *Pages) secure(r *http.Request) bool {
	if p.Identity == nil {
		return r.TLS != nil
	}
	return p.Identity.RequestTLS(r)
}

// doneCookie carries the catalogue key of a confirmation across the
// redirect that follows a successful form (post, redirect, get), so the
// page the user lands on says what was done, once.
const doneCookie = "bricstown_done"

// redirectDone answers a successful form: a redirect to the page to show
// next, which confirms the action with the message key ("done.*").
func (p *Pages) redirectDone(w http.ResponseWriter, r *http.Request, to, key string) {
	http.SetCookie(w, &http.Cookie{Name: doneCookie, Value: key, Path: "/", MaxAge: 120, HttpOnly: true, Secure: p.secure(r), SameSite: http.SameSiteLaxMode})
	http.Redirect(w, r, to, http.StatusSeeOther)
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
	case problem.Invalid, problem.Malformed:
		key = "error.invalid"
	case problem.TooLarge:
		key = "error.too_large"
	case problem.MethodNotAllowed:
		key = "error.method_not_allowed"
	case problem.Conflict, problem.IdempotencyReuse:
		key = "error.conflict"
	case problem.RateLimited:
		key = "error.rate_limited"
	}
	v.Error = v.T(key)
	if status >= 500 {
		p.Log.ErrorContext(r.Context(), "page failed", "path", r.URL.Path, "err", err)
	}
	p.render(w, r, status, "error", v)
}

// formError puts a failed form's messages on the view in the user's
// language: one summary line from the catalogue by the error's code (never
// the service's English sentence), and each field's message beside its
// field (fieldText). The form's typed values stay on the view (Posted).
func (p *Pages) formError(v *View, err error) int {
	err = p.classify(err)
	var pe *problem.Error
	errors.As(err, &pe)
	code := problem.CodeOf(err)
	switch code {
	case problem.Invalid, problem.Malformed:
		v.Error = v.T("form.invalid")
		if pe != nil && len(pe.Fields) == 0 {
			v.Error = v.T("error.invalid")
		}
	case problem.TooLarge:
		v.Error = v.T("error.too_large")
	case problem.Conflict, problem.IdempotencyReuse:
		v.Error = v.T("form.conflict")
		if pe != nil && len(pe.Fields) == 0 {
			v.Error = v.T("error.conflict")
		}
	case problem.Forbidden:
		v.Error = v.T("error.forbidden")
	case problem.NotFound:
		v.Error = v.T("error.not_found")
	case problem.CSRF:
		v.Error = v.T("error.csrf")
	case problem.RateLimited:
		v.Error = v.T("error.rate_limited")
	case problem.OutcomeUnknown:
		v.Error = v.T("error.outcome_unknown")
	case problem.Unavailable:
		v.Error = v.T("error.feature_off")
		if pe != nil && pe.RetryAfter > 0 { // the database, not a feature switched off
			v.Error = v.T("error.unavailable")
		}
	default:
		v.Error = v.T("error.generic")
	}
	if pe != nil && code != problem.Internal && len(pe.Fields) > 0 {
		v.Fields = make(map[string]string, len(pe.Fields))
		for k, msg := range pe.Fields {
			v.Fields[k] = p.fieldText(v, k, msg)
		}
	}
	return code.HTTPStatus()
}

// fieldText words a service's field message in the user's language: an
// amount the user typed that does not read as their language writes
// numbers gets the reason (money.ParseLocal's); a field the catalogue
// knows ("field.err.<field>") gets the catalogue's text, and so do the
// services' common sentences ("required", "must be greater than zero");
// anything else keeps the service's text, which says more than a generic
// line would.
func (p *Pages) fieldText(v *View, field, msg string) string {
	if typed := v.Posted.Get(field); typed != "" && amountFields[field] {
		if _, err := money.Delocalize(typed, money.LocaleOf(v.Lang)); err != nil {
			return amountReasonText(v, err)
		}
	}
	if key := "field.err." + field; p.has(key) {
		return v.T(key)
	}
	switch {
	case msg == "required" || strings.HasPrefix(msg, "required:"):
		return v.T("field.err.required")
	case msg == "must be greater than zero":
		return v.T("amount.err.zero")
	case p.has("fx.reason."+msg) || p.has("ledger.result."+msg):
		return msg // a code: formFail words it by the field it is on
	}
	return p.fieldWords(v, msg)
}

// fieldWords is a service's field message in v's language: by its code
// (problem.FieldCode) when it has one; otherwise as written on an English
// page and, on any other, a catalogue line saying the value was not
// accepted. A service's English sentence is never shown on another
// language's page.
func (p *Pages) fieldWords(v *View, msg string) string {
	if text, coded := p.fieldMessage(v, msg); coded || v.Lang == "en" {
		return text
	}
	return v.T("ux.field.generic")
}

// amountFields are the form fields that take an amount or a rate.
var amountFields = map[string]bool{"amount": true, "limit": true, "credit_amount": true, "bid": true, "ask": true, "rate": true,
	"sell_amount": true, "buy_amount": true}

// amountReasonText says in v's language why typed text is not an amount,
// with an example written as v's language writes numbers.
func amountReasonText(v *View, err error) string {
	le, ok := money.ReasonOf(err)
	if !ok {
		return v.T("amount.err.chars", amountExample(v.Lang))
	}
	switch le.Reason {
	case money.ReasonDecimals:
		return v.TN("amount.err.decimals", le.Max)
	case money.ReasonTooLarge, money.ReasonZero, money.ReasonEmpty, money.ReasonSign:
		return v.T("amount.err." + string(le.Reason))
	}
	return v.T("amount.err."+string(le.Reason), amountExample(v.Lang))
}

// amountExample is 12 500 000.50 as lang writes it.
func amountExample(lang string) string { return amountText(lang, 1_250_000_050, 2) }

// classify gives a code to an error that has none (see Deps.Classify).
func (p *Pages) classify(err error) error {
	if p.Classify != nil && problem.CodeOf(err) == problem.Internal {
		return p.Classify(err)
	}
	return err
}
