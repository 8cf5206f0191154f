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
	"time"

	"bricstown/internal/demo"
	"bricstown/internal/identity"
	"bricstown/internal/metrics"
	"bricstown/internal/notify"
	"bricstown/internal/platform"
	"bricstown/internal/server"
	"bricstown/internal/sqlstore"
)

func serveCmd(ctx context.Context, e *env, args []string) error {
	f := newFlags(e, "serve", "serve [flags]")
	addr := f.string("addr", "BRICSTOWN_ADDR", "localhost:8080", "address to listen on (port 0 picks a free port)")
	dsn := dbFlag(f)
	withDemo := f.bool("demo", "BRICSTOWN_DEMO", false, "seed the demo town (idempotent)")
	logLevel := f.string("log-level", "BRICSTOWN_LOG_LEVEL", "info", "log level: debug, info, warn, error")
	logFormat := f.string("log-format", "BRICSTOWN_LOG_FORMAT", "text", "log format: text or json")
	tariff := f.string("tariff", "BRICSTOWN_TARIFF", "", "customs tariff CSV in the demo table's format to apply instead of the embedded demo tariff (check it first with 'bricstown import tariff')")
	usdConfig := f.string("fx-usd-config", "BRICSTOWN_FX_USD_CONFIG", "", "JSON table of USD mid rates and spreads for the FX saving comparison (default: the embedded indicative table)")
	costModel := f.string("cost-model", "BRICSTOWN_COST_MODEL", "", "JSON file with the settlement cost model's parameters and sources (default: the embedded cited values; see docs/COSTMODEL.md)")
	addrFile := f.string("addr-file", "BRICSTOWN_ADDR_FILE", "", "write the listening address to this file once ready (for scripts and tests)")
	clearingHours := f.int("clearing-hours", "BRICSTOWN_CLEARING_HOURS", 0, "run obligation clearing (MTCS) every N hours; 0 runs it only on demand")
	centreOrg := f.string("settlement-centre-org", "BRICSTOWN_SETTLEMENT_CENTRE_ORG", platform.DefaultCentreOrg, "name of the organisation that runs settlement (holds the clearing, FX and rounding accounts)")
	settleEvery := f.string("settlement-every", "BRICSTOWN_SETTLEMENT_EVERY", "0", "run a settlement cycle at this interval, e.g. 15m; 0 runs cycles only on demand")
	shutdownWait := f.int("shutdown-seconds", "BRICSTOWN_SHUTDOWN_SECONDS", 20, "how long to let in-flight requests finish on shutdown")
	trustedProxies := f.string("trusted-proxies", "BRICSTOWN_TRUSTED_PROXIES", "", "comma-separated CIDR blocks of reverse proxies whose X-Forwarded-For/Forwarded headers name the client and whose X-Forwarded-Proto says whether it came over TLS (cookies are Secure only then; default none: the peer address is the client)")
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
	proxies, err := identity.ParseTrustedProxies(*trustedProxies)
	if err != nil {
		return usageError{"bad --trusted-proxies: " + err.Error()}
	}
	p, err := platform.Open(ctx, platform.Config{Log: log, DSN: *dsn, USDConfig: *usdConfig, CostModel: *costModel, CentreOrg: *centreOrg, Tariff: *tariff, TrustedProxies: proxies})
	if err != nil {
		return err
	}
	defer p.Close()
	// The ledger's writer and expiry sweeper stop only after the HTTP
	// server has drained, so in-flight transfers still commit.
	ledgerCtx, stopLedger := context.WithCancel(context.Background())
	defer stopLedger()
	go p.Ledger.Run(ledgerCtx)
	go p.Booking.Run(ledgerCtx) // finishes confirmations a stopped process left half done
	go p.Order.Run(ledgerCtx)   // releases escrows whose dispute window ended without a dispute
	if *withDemo {
		start := time.Now()
		orgs, users, err := p.SeedDemo(ctx, time.Now())
		if err != nil {
			return err
		}
		log.Info("demo town ready", "orgs_added", orgs, "users_added", users, "password", demo.Password, "ms", time.Since(start).Milliseconds())
	}
	// Status push: streams in this process, webhooks from the database. The
	// delivery worker stops with the ledger, after the HTTP server drained.
	hub := notify.NewHub(notify.Config{Store: p.DB, Log: log, Policy: notify.Policy{AllowPrivateNetworks: *hooksPrivate}})
	go hub.Run(ledgerCtx)
	reg := metrics.NewRegistry()
	deps := server.PlatformDeps(p)
	deps.Version, deps.Metrics, deps.Notify = versionString(), reg, hub
	srv, err := server.New(deps)
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
	go sweep(ctx, log, p)
	// The catalogue's search index is built now rather than by the first
	// search (which would wait for it); a failure is retried by that search.
	go func() {
		if err := p.Market.BuildSearchIndex(ctx); err != nil {
			log.Warn("market search index not built at start", "err", err)
		}
	}()
	go p.Settlement.Schedule(ctx, every)
	go p.Obligations.RunEvery(ctx, time.Duration(*clearingHours)*time.Hour)
	if checkpoints != nil {
		go checkpoints.run(ctx, log, p.DB)
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

// sweep deletes, hourly, what nobody can use any more: expired sessions
// (so the table stays small) and the signalling messages of closed
// consultation rooms (clinic.Service.SweepSignals says why).
func sweep(ctx context.Context, log *slog.Logger, p *platform.Platform) {
	t := time.NewTicker(time.Hour)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			if n, err := p.Identity.SweepSessions(ctx, now); err != nil {
				log.Warn("session sweep", "err", err)
			} else if n > 0 {
				log.Info("expired sessions removed", "count", n)
			}
			if n, err := p.Clinic.SweepSignals(ctx); err != nil {
				log.Warn("signal sweep", "err", err)
			} else if n > 0 {
				log.Info("signals of closed consultation rooms removed", "count", n)
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
