// Package server is the HTTP adapter: the route table (routes.go) with the
// roles each route allows, the middleware that authenticates, authorises and
// measures every request, the JSON API handlers, and the mapping of domain
// errors to RFC 9457 problem responses. Handlers stay thin: decode, call a
// domain service, encode.
package server

import (
	"time"

	"context"
	"database/sql"
	"log/slog"
	"net/http"
	"strings"

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
	"bricstown/internal/metrics"
	"bricstown/internal/notify"
	"bricstown/internal/obligations"
	"bricstown/internal/order"
	"bricstown/internal/platform"
	"bricstown/internal/problem"
	"bricstown/internal/refdata"
	"bricstown/internal/settlement"
	"bricstown/internal/ui"
)

// SessionCookie is the web session's cookie name.
const SessionCookie = ui.SessionCookie

// Deps are the services the HTTP layer exposes.
type Deps struct {
	Log        *slog.Logger
	Version    string
	DB         Pinger
	DBStats    func() sql.DBStats
	Identity   *identity.Service
	Audit      audit.Store
	Ref        *refdata.Data
	Stats      ui.TownStats
	Metrics    *metrics.Registry
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
	// Notify pushes status changes to streams and webhooks. Without one, New
	// makes a hub on DB (when DB is a notify.Store) whose webhook worker is
	// not started: deliveries queue until a worker runs (Hub.Start).
	Notify *notify.Hub
	// Home gathers each user's home ("what needs me now"), built with the
	// rest of the platform (internal/platform).
	Home *home.Service
}

// PlatformDeps is the platform as the server serves it: every service of
// the one assembly (internal/platform). Callers add what is theirs: the
// version, the metrics registry, the notification hub.
func PlatformDeps(p *platform.Platform) Deps {
	return Deps{Log: p.Log, DB: p.DB, DBStats: p.DB.SQL.Stats, Identity: p.Identity, Audit: p.DB, Ref: p.Ref, Stats: p.DB,
		Ledger: p.Ledger, FX: p.FX, Settlement: p.Settlement, Obligations: p.Obligations, Customs: p.Customs, Guarantees: p.Guarantees, Home: p.Home,
		Logistics: p.Logistics,
		Market:    p.Market,
		Booking:   p.Booking,
		Deal:      p.Deal,
		Festival:  p.Festival,
		Clinic:    p.Clinic,
		Education: p.Education,
		Expo:      p.Expo,
		Order:     p.Order,
	}
}

// Pinger is what /readyz asks.
type Pinger interface {
	Ping(ctx context.Context) error
}

// Server serves the platform over HTTP.
type Server struct {
	Deps
	log          *slog.Logger
	identity     *identity.Service
	ui           *ui.Pages
	static       http.HandlerFunc
	table        []Route
	mux          *http.ServeMux
	root         http.Handler
	httpRequests *metrics.CounterVec
	httpLatency  *metrics.HistogramVec
	inFlight     *metrics.Gauge
	// ledgerResults counts transfer outcomes by result code.
	ledgerResults *metrics.CounterVec
}

// New assembles the server and its route table.
func New(d Deps) (*Server, error) {
	if d.Log == nil {
		d.Log = slog.New(slog.DiscardHandler)
	}
	if d.Metrics == nil {
		d.Metrics = metrics.NewRegistry()
	}
	if d.Notify == nil {
		store, _ := d.DB.(notify.Store)
		d.Notify = notify.NewHub(notify.Config{Store: store, Log: d.Log})
	}
	s := &Server{Deps: d, log: d.Log, identity: d.Identity, static: ui.Static().ServeHTTP, mux: http.NewServeMux()}
	s.httpRequests = d.Metrics.NewCounterVec("bricstown_http_requests_total", "HTTP requests by route and status.", "route", "code")
	s.ledgerResults = d.Metrics.NewCounterVec("bricstown_ledger_transfers_total", "Ledger transfers submitted through the API, by result code.", "result")
	s.inFlight = d.Metrics.NewGauge("bricstown_http_requests_in_flight", "HTTP requests being served.")
	s.httpLatency = d.Metrics.NewHistogramVec("bricstown_http_request_seconds", "HTTP request latency by route.", metrics.DefaultLatencyBuckets, "route")
	if d.DBStats != nil {
		d.Metrics.NewGaugeFunc("bricstown_db_connections", "Database pool connections by state.", []string{"state"}, func(emit func(float64, ...string)) {
			st := d.DBStats()
			emit(float64(st.InUse), "in_use")
			emit(float64(st.Idle), "idle")
			emit(float64(st.OpenConnections), "open")
		})
		d.Metrics.NewCounterFunc("bricstown_db_wait_seconds_total", "Time spent waiting for a database connection.", func() float64 {
			return d.DBStats().WaitDuration.Seconds()
		})
	}
	if d.Ledger != nil {
		commits := d.Metrics.NewHistogramVec("bricstown_ledger_commit_seconds", "Ledger group-commit latency: one transaction per batch.", metrics.DefaultLatencyBuckets)
		batchSize := d.Metrics.NewHistogramVec("bricstown_ledger_commit_transfers", "Transfers per ledger group commit.", []float64{1, 4, 16, 64, 256, 1024, 4096, 8000})
		d.Ledger.ObserveCommits(func(took time.Duration, transfers int) {
			commits.Observe(took.Seconds())
			batchSize.Observe(float64(transfers))
		})
	}
	s.Home = d.Home
	pages, err := ui.New(ui.Deps{Home: d.Home, Log: d.Log, Identity: d.Identity, Audit: d.Audit, Ref: d.Ref, Stats: d.Stats, CanVisit: s.CanVisit,
		Ledger: d.Ledger, FX: d.FX, Settlement: d.Settlement, Obligations: d.Obligations, Customs: d.Customs, Guarantees: d.Guarantees,
		Logistics: d.Logistics,
		Market:    d.Market,
		Booking:   d.Booking,
		Deal:      d.Deal,
		Festival:  d.Festival,
		Clinic:    d.Clinic,
		Education: d.Education,
		Expo:      d.Expo,
		Order:     d.Order,
	})
	if err != nil {
		return nil, err
	}
	if c, ok := d.DB.(Classifier); ok {
		pages.Classify = c.Classify
	}
	s.ui = pages
	pages.ShipmentChanged = s.publishShipment
	if d.Customs != nil && s.Notify != nil {
		d.Customs.OnCommit(func(ctx context.Context, action customs.Action, decl customs.Declaration) {
			s.publishDeclaration(ctx, string(action), &decl)
		})
	}
	s.table = s.routes()
	for _, rt := range s.table {
		if rt.BodyLimit == 0 {
			rt.BodyLimit = DefaultBodyLimit
		}
		name := rt.Method + " " + rt.Pattern
		s.mux.Handle(name, s.wrap(name, s.guard(rt, rt.Handler)))
	}
	s.root = s.wrap("unmatched", http.HandlerFunc(s.unmatched))
	return s, nil
}

// Handler is the server's root handler.
func (s *Server) Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, pattern := s.mux.Handler(r); pattern == "" {
			s.root.ServeHTTP(w, r)
			return
		}
		s.mux.ServeHTTP(w, r)
	})
}

// Routes returns the route table (for tests and the OpenAPI check).
func (s *Server) Routes() []Route { return append([]Route(nil), s.table...) }

// CanVisit reports whether p may GET the page at path, according to the
// route table; the UI uses it to show only reachable navigation.
//
// A route's domain rule (Access.Applies) reads facts about the caller's
// organisation that the services cache (which org is the settlement
// centre), so it is asked without the request's context.
func (s *Server) CanVisit(p *identity.Principal, path string) bool {
	ctx := context.Background()
	for _, rt := range s.table {
		if rt.Method != "GET" || !rt.Page || strings.TrimSuffix(rt.Pattern, "{$}") != path {
			continue
		}
		return rt.Access.allows(ctx, p)
	}
	return false
}

// unmatched answers requests the route table does not name, in the
// platform's own error format: 405 with Allow when the path exists for other
// methods, else 404.
func (s *Server) unmatched(w http.ResponseWriter, r *http.Request) {
	probe := &headerRecorder{h: http.Header{}}
	h, _ := s.mux.Handler(r)
	h.ServeHTTP(probe, r)
	var err error = problem.New(problem.NotFound, "no such resource: %s", r.URL.Path)
	status := http.StatusNotFound
	if probe.status == http.StatusMethodNotAllowed {
		w.Header().Set("Allow", probe.h.Get("Allow"))
		err = problem.New(problem.MethodNotAllowed, "%s is not allowed here; allowed: %s", r.Method, probe.h.Get("Allow"))
		status = http.StatusMethodNotAllowed
	}
	if strings.HasPrefix(r.URL.Path, "/api/") || r.Method != http.MethodGet {
		writeProblem(w, r, s.log, err)
		return
	}
	// The error page keeps the signed-in user's navigation and name.
	if p, aerr := s.authenticate(r); aerr == nil && p != nil {
		r = r.WithContext(identity.WithPrincipal(r.Context(), p))
	}
	s.ui.Error(w, r, status, err)
}

// headerRecorder captures what the mux's own 404/405 handler would answer.
type headerRecorder struct {
	h      http.Header
	status int
}

func (h *headerRecorder) Header() http.Header         { return h.h }
func (h *headerRecorder) Write(b []byte) (int, error) { return len(b), nil }
func (h *headerRecorder) WriteHeader(code int)        { h.status = code }
