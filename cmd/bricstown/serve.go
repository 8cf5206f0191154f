package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"sort"
	"sync"
	"time"

	"bricstown/internal/customs"
	"bricstown/internal/demo"
	"bricstown/internal/dutyledger"
	"bricstown/internal/fx"
	"bricstown/internal/identity"
	"bricstown/internal/ledger"
	"bricstown/internal/metrics"
	"bricstown/internal/money"
	"bricstown/internal/notify"
	"bricstown/internal/obligations"
	"bricstown/internal/problem"
	"bricstown/internal/refdata"
	"bricstown/internal/server"
	"bricstown/internal/settlement"
	"bricstown/internal/sqlstore"
)

// platform is the assembled application: storage, reference data and the
// domain services, shared by serve and the maintenance commands.
type platform struct {
	log      *slog.Logger
	db       *sqlstore.DB
	ref      *refdata.Data
	identity *identity.Service
	ledger   *ledger.Service
	fx       *fx.Service

	// obligations is the invoice register and its MTCS clearing runs.
	obligations *obligations.Service

	// settlement nets banks' payment instructions in cycles and settles
	// them through the ledger.
	settlement *settlement.Service
	// customs is the one-stop trade service centre.
	customs *customs.Service
}

// openPlatform assembles the platform; centreOrg names the organisation
// that runs settlement (it holds the clearing, FX and rounding accounts).
func openPlatform(ctx context.Context, log *slog.Logger, dsn, usdConfig, centreOrg, tariff string) (*platform, error) {
	ref, err := refdata.Load()
	if err != nil {
		return nil, fmt.Errorf("load reference data: %w", err)
	}
	db, err := sqlstore.Open(ctx, dsn, log)
	if err != nil {
		return nil, err
	}
	v, err := db.Migrate(ctx)
	if err != nil {
		db.Close()
		return nil, err
	}
	log.Info("database ready", "engine", db.Engine, "where", db.Where, "schema_version", v)
	idsvc := identity.NewService(db, identity.Config{KnownCountry: func(c string) bool { _, ok := ref.Country(c); return ok && len(c) == 2 }})
	led := ledger.NewService(db, ledger.Config{Log: log, Exponent: ref.MoneyExponent})
	usd := fx.DefaultUSDConfig()
	if usdConfig != "" {
		b, err := os.ReadFile(usdConfig)
		if err != nil {
			db.Close()
			return nil, fmt.Errorf("read --fx-usd-config: %w", err)
		}
		if usd, err = fx.ParseUSDConfig(b); err != nil {
			db.Close()
			return nil, err
		}
	}
	fxs, err := fx.NewService(db, fx.Config{Policy: fx.Policy{USD: usd}})
	if err != nil {
		db.Close()
		return nil, err
	}
	fxs.UseLedger(fx.LedgerOf(led))
	settle := settlement.NewService(db, settlement.Config{Log: log, Ledger: led, Exponent: ref.MoneyExponent,
		CentreOrg: orgNamed(idsvc, centreOrg),
		Rates: func(ctx context.Context) (func(a, b string) (money.Rate, bool), error) {
			board, err := fxs.Store().CurrentRates(ctx, time.Now())
			if err != nil {
				return nil, err
			}
			return settlement.CycleRates(board, usd), nil
		}})
	obl := obligations.NewService(db, obligations.Config{Exponent: ref.MoneyExponent, Log: log})
	cust, err := newCustoms(db, ref, idsvc, led, fxs, usd, tariff)
	if err != nil {
		db.Close()
		return nil, err
	}
	return &platform{log: log, db: db, ref: ref, identity: idsvc, ledger: led, fx: fxs, obligations: obl, settlement: settle, customs: cust}, nil
}

// newCustoms assembles the one-stop trade service centre: the demo tariff
// and risk rules, customs values converted to KZT at the board's mid (or
// the USD cross where no bank quotes the pair), duties paid through the
// ledger into the customs authority's revenue account.
func newCustoms(db *sqlstore.DB, ref *refdata.Data, ids *identity.Service, led *ledger.Service, fxs *fx.Service, usd fx.USDConfig, tariffPath string) (*customs.Service, error) {
	rules, err := customs.DemoRules(ref)
	if err != nil {
		return nil, err
	}
	if tariffPath != "" {
		// An official tariff in the demo table's CSV format replaces it;
		// any error stops the server (check a file with `import tariff`).
		f, err := os.Open(tariffPath)
		if err != nil {
			return nil, fmt.Errorf("--tariff: %w", err)
		}
		defer f.Close()
		if rules.Tariff, err = customs.ParseTariffCSV(f); err != nil {
			return nil, fmt.Errorf("--tariff %s: %w", tariffPath, err)
		}
		if err := rules.Check(); err != nil {
			return nil, err
		}
	}
	return customs.NewService(db, customs.Config{Rules: rules,
		Rates: func(ccy string, date time.Time) (money.Rate, error) {
			ctx := context.Background()
			board, err := fxs.Store().CurrentRates(ctx, time.Now())
			if err != nil {
				return money.Rate{}, err
			}
			r, ok := settlement.CycleRates(board, usd)(ccy, "KZT")
			if !ok {
				return money.Rate{}, problem.New(problem.Invalid, "no KZT rate for %s", ccy)
			}
			return r, nil
		},
		Payments: dutyledger.Payments{Ledger: led, Authority: orgOfKind(ids, identity.KindCustomsAuthority)}})
}

// orgOfKind finds the first organisation of a kind (the customs authority).
func orgOfKind(ids *identity.Service, kind identity.OrgKind) func(ctx context.Context) (string, error) {
	return func(ctx context.Context) (string, error) {
		after := ""
		for {
			orgs, err := ids.Store().ListOrgs(ctx, identity.Page{After: after, Limit: 500})
			if err != nil {
				return "", err
			}
			for _, o := range orgs {
				if o.Kind == kind {
					return o.ID, nil
				}
			}
			if len(orgs) < 500 {
				return "", problem.New(problem.Unavailable, "no organisation of kind %s is registered", kind)
			}
			after = orgs[len(orgs)-1].ID
		}
	}
}

func serveCmd(ctx context.Context, e *env, args []string) error {
	f := newFlags(e, "serve", "serve [flags]")
	addr := f.string("addr", "BRICSTOWN_ADDR", "localhost:8080", "address to listen on (port 0 picks a free port)")
	dsn := dbFlag(f)
	withDemo := f.bool("demo", "BRICSTOWN_DEMO", false, "seed the demo town (idempotent)")
	logLevel := f.string("log-level", "BRICSTOWN_LOG_LEVEL", "info", "log level: debug, info, warn, error")
	logFormat := f.string("log-format", "BRICSTOWN_LOG_FORMAT", "text", "log format: text or json")
	tariff := f.string("tariff", "BRICSTOWN_TARIFF", "", "customs tariff CSV in the demo table's format to apply instead of the embedded demo tariff (check it first with 'bricstown import tariff')")
	usdConfig := f.string("fx-usd-config", "BRICSTOWN_FX_USD_CONFIG", "", "JSON table of USD mid rates and spreads for the FX saving comparison (default: the embedded indicative table)")
	addrFile := f.string("addr-file", "BRICSTOWN_ADDR_FILE", "", "write the listening address to this file once ready (for scripts and tests)")
	clearingHours := f.int("clearing-hours", "BRICSTOWN_CLEARING_HOURS", 0, "run obligation clearing (MTCS) every N hours; 0 runs it only on demand")
	centreOrg := f.string("settlement-centre-org", "BRICSTOWN_SETTLEMENT_CENTRE_ORG", "BRICS Town Settlement Centre", "name of the organisation that runs settlement (holds the clearing, FX and rounding accounts)")
	settleEvery := f.string("settlement-every", "BRICSTOWN_SETTLEMENT_EVERY", "0", "run a settlement cycle at this interval, e.g. 15m; 0 runs cycles only on demand")
	shutdownWait := f.int("shutdown-seconds", "BRICSTOWN_SHUTDOWN_SECONDS", 20, "how long to let in-flight requests finish on shutdown")
	hooksPrivate := f.bool("webhooks-allow-private", "BRICSTOWN_WEBHOOKS_ALLOW_PRIVATE", false, "let webhooks reach loopback, private and link-local addresses (single-machine demos; never in production)")
	auditCP := auditCheckpointFlags(f)
	if err := f.parse(args); err != nil {
		return err
	}
	checkpoints, err := auditCP.load(e)
	if err != nil {
		return err
	}
	log, err := newLogger(e.stderr, *logLevel, *logFormat)
	if err != nil {
		return err
	}
	every, err := time.ParseDuration(*settleEvery)
	if err != nil || every < 0 {
		return usageError{fmt.Sprintf("bad --settlement-every %q: a duration such as 15m, or 0", *settleEvery)}
	}
	p, err := openPlatform(ctx, log, *dsn, *usdConfig, *centreOrg, *tariff)
	if err != nil {
		return err
	}
	defer p.db.Close()
	// The ledger's writer and expiry sweeper stop only after the HTTP
	// server has drained, so in-flight transfers still commit.
	ledgerCtx, stopLedger := context.WithCancel(context.Background())
	defer stopLedger()
	go p.ledger.Run(ledgerCtx)
	if *withDemo {
		start := time.Now()
		orgs, users, err := demo.Seed(ctx, p.identity)
		if err != nil {
			return fmt.Errorf("seed demo town: %w", err)
		}
		if err := demo.SeedFinance(ctx, p.identity, p.ledger, p.fx, p.ref.MoneyExponent, time.Now()); err != nil {
			return fmt.Errorf("seed demo finance: %w", err)
		}
		if err := demo.SeedSettlement(ctx, p.identity, p.ledger, p.settlement, p.ref.MoneyExponent, time.Now()); err != nil {
			return fmt.Errorf("seed demo settlement: %w", err)
		}
		if err := demo.SeedObligations(ctx, p.identity, p.obligations, time.Now()); err != nil {
			return fmt.Errorf("seed demo obligations: %w", err)
		}
		if err := demo.SeedCustoms(ctx, p.identity, p.ledger, p.customs, time.Now()); err != nil {
			return fmt.Errorf("seed demo customs: %w", err)
		}
		log.Info("demo town ready", "orgs_added", orgs, "users_added", users, "password", demo.Password, "ms", time.Since(start).Milliseconds())
	}
	// Status push: streams in this process, webhooks from the database. The
	// delivery worker stops with the ledger, after the HTTP server drained.
	hub := notify.NewHub(notify.Config{Store: p.db, Log: log, Policy: notify.Policy{AllowPrivateNetworks: *hooksPrivate}})
	go hub.Run(ledgerCtx)
	reg := metrics.NewRegistry()
	srv, err := server.New(server.Deps{Log: log, Version: versionString(), DB: p.db, DBStats: p.db.SQL.Stats, Identity: p.identity,
		Audit: p.db, Ref: p.ref, Stats: p.db, Metrics: reg, Ledger: p.ledger, FX: p.fx, Settlement: p.settlement, Obligations: p.obligations, Customs: p.customs, Notify: hub})
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", *addr, err)
	}
	hs := &http.Server{Handler: srv.Handler(), ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 60 * time.Second,
		IdleTimeout: 120 * time.Second, MaxHeaderBytes: 64 << 10, ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn)}
	hs.RegisterOnShutdown(hub.Close) // event streams end, so that shutdown does not wait for them
	log.Info("listening", "url", "http://"+ln.Addr().String())
	if *addrFile != "" {
		if err := os.WriteFile(*addrFile, []byte(ln.Addr().String()), 0o644); err != nil {
			return fmt.Errorf("write addr file: %w", err)
		}
	}
	go sweepSessions(ctx, log, p.identity)
	go p.settlement.Schedule(ctx, every)
	go p.obligations.RunEvery(ctx, time.Duration(*clearingHours)*time.Hour)
	if checkpoints != nil {
		go checkpoints.run(ctx, log, p.db)
	}
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	log.Info("shutting down: finishing in-flight requests", "wait_seconds", *shutdownWait)
	sctx, cancel := context.WithTimeout(context.Background(), time.Duration(*shutdownWait)*time.Second)
	defer cancel()
	if err := hs.Shutdown(sctx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	log.Info("stopped")
	return nil
}

// sweepSessions deletes expired sessions hourly so the table stays small.
func sweepSessions(ctx context.Context, log *slog.Logger, svc *identity.Service) {
	t := time.NewTicker(time.Hour)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			if n, err := svc.Store().DeleteExpiredSessions(ctx, now); err != nil {
				log.Warn("session sweep", "err", err)
			} else if n > 0 {
				log.Info("expired sessions removed", "count", n)
			}
		}
	}
}

func migrateCmd(ctx context.Context, e *env, args []string) error {
	f := newFlags(e, "migrate", "migrate [flags]")
	dsn := dbFlag(f)
	if err := f.parse(args); err != nil {
		return err
	}
	log, _ := newLogger(e.stderr, "info", "text")
	db, err := sqlstore.Open(ctx, *dsn, log)
	if err != nil {
		return err
	}
	defer db.Close()
	v, err := db.Migrate(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "schema version %d (%s, %s)\n", v, db.Engine, db.Where)
	return nil
}

// openTool parses a maintenance subcommand's flags (args after its verb)
// and opens the database it names.
func openTool(ctx context.Context, e *env, name string, args []string) (*sqlstore.DB, error) {
	f := newFlags(e, name, name+" [flags]")
	dsn := dbFlag(f)
	if err := f.parse(args); err != nil {
		return nil, err
	}
	log, _ := newLogger(e.stderr, "warn", "text")
	return sqlstore.Open(ctx, *dsn, log)
}

func ledgerCmd(ctx context.Context, e *env, args []string) error {
	if len(args) == 0 || args[0] != "verify" {
		fmt.Fprintln(e.stderr, "Usage: bricstown ledger verify [--db …]")
		return usageError{"ledger: expected 'verify'"}
	}
	db, err := openTool(ctx, e, "ledger verify", args[1:])
	if err != nil {
		return err
	}
	defer db.Close()
	start := time.Now()
	r, err := db.Verify(ctx)
	if err != nil {
		return fmt.Errorf("ledger verify: %w", err)
	}
	fmt.Fprintf(e.stdout, "ledger: %d accounts, %d transfers, checked in %s\n", r.Accounts, r.Transfers, time.Since(start).Round(time.Millisecond))
	ccys := make([]string, 0, len(r.Totals))
	for c := range r.Totals {
		ccys = append(ccys, c)
	}
	sort.Strings(ccys)
	for _, c := range ccys {
		fmt.Fprintf(e.stdout, "  %s  debits %d = credits %d (minor units)\n", c, r.Totals[c][0], r.Totals[c][1])
	}
	if len(r.Problems) > 0 {
		for _, p := range r.Problems {
			fmt.Fprintln(e.stdout, "PROBLEM:", p)
		}
		return fmt.Errorf("ledger verify: %d problems", len(r.Problems))
	}
	fmt.Fprintln(e.stdout, "ledger verified: every balance matches its transfers; debits equal credits in every currency")
	return nil
}

// orgNamed finds the organisation called name once it exists (the demo
// seeds it after start) and remembers its id.
func orgNamed(ids *identity.Service, name string) func(context.Context) (string, error) {
	var mu sync.Mutex
	var found string
	return func(ctx context.Context) (string, error) {
		mu.Lock()
		defer mu.Unlock()
		if found != "" {
			return found, nil
		}
		after := ""
		for {
			orgs, err := ids.Store().ListOrgs(ctx, identity.Page{After: after, Limit: 500})
			if err != nil {
				return "", err
			}
			for _, o := range orgs {
				if o.Name == name {
					found = o.ID
					return found, nil
				}
			}
			if len(orgs) < 500 {
				return "", problem.New(problem.Unavailable, "the settlement centre organisation %q does not exist (see --settlement-centre-org)", name)
			}
			after = orgs[len(orgs)-1].ID
		}
	}
}
