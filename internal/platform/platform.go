// Package platform assembles the town: storage, reference data and every
// domain service, wired to each other through their services. serve, the
// benchmarks, the demo seeder and the test fixtures all build it here, so
// what the tests exercise is what runs.
package platform

import (
	"context"
	"fmt"
	"log/slog"
	"math"
	"os"
	"sync"
	"time"

	"bricstown/internal/booking"
	"bricstown/internal/clinic"
	"bricstown/internal/customs"
	"bricstown/internal/deal"
	"bricstown/internal/demo"
	"bricstown/internal/dutyledger"
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
	"bricstown/internal/obligations"
	"bricstown/internal/order"
	"bricstown/internal/problem"
	"bricstown/internal/refdata"
	"bricstown/internal/settlement"
	"bricstown/internal/sqlstore"
)

// Config is what the platform is built from.
type Config struct {
	Log *slog.Logger
	// DSN is a SQLite file path or a postgres:// URL.
	DSN string
	// USDConfig is a JSON file with the USD comparison table ("" = the
	// embedded indicative one).
	USDConfig string
	// CostModel is a JSON file with the settlement cost model's
	// parameters and their sources ("" = the embedded cited defaults;
	// see docs/COSTMODEL.md).
	CostModel string
	// CentreOrg names the organisation that runs settlement (it holds the
	// clearing, FX and funding accounts and grants banks' credit lines).
	CentreOrg string
	// Tariff is an official customs tariff CSV ("" = the embedded demo).
	Tariff string
	// TrustedProxies may name the client in X-Forwarded-For or Forwarded.
	TrustedProxies identity.TrustedProxies
}

// DefaultCentreOrg is the demo town's settlement centre.
const DefaultCentreOrg = "BRICS Town Settlement Centre"

// Platform is the assembled application.
type Platform struct {
	Log      *slog.Logger
	DB       *sqlstore.DB
	Ref      *refdata.Data
	Identity *identity.Service
	Ledger   *ledger.Service
	FX       *fx.Service
	// Obligations is the invoice register and its MTCS clearing runs.
	Obligations *obligations.Service
	// Settlement nets banks' payment instructions in cycles and settles
	// them through the ledger.
	Settlement *settlement.Service
	// Customs is the one-stop trade service centre.
	Customs *customs.Service
	// Guarantees are banks' guarantees for customs duties.
	Guarantees *guarantee.Service
	// Logistics is the dispatch of shipments along the corridors.
	Logistics *logistics.Service
	// Market is the cross-border catalogue and its search.
	Market *market.Service
	// Booking is the booking engine of the town's services (issue 12).
	Booking *booking.Service
	// Deal is the signing of investment agreements (issue 11).
	Deal *deal.Service
	// Festival is the art zone on the booking engine (issue 12).
	Festival *festival.Service
	// Clinic is the medical and wellness zone on the booking engine.
	Clinic *clinic.Service
	// Education is the education zone on the booking engine (issue 12).
	Education *education.Service
	// Expo runs the commodity expos and their B2B meetings (issue 11).
	Expo *expo.Service
	// Order is buying on the marketplace: RFQs, orders and their escrow.
	Order *order.Service
	// Home gathers each user's "what needs me now" from the services above.
	Home *home.Service
}

// Open opens the database, migrates it and assembles every service. The
// caller runs the ledger (Ledger.Run) and closes the platform.
func Open(ctx context.Context, cfg Config) (*Platform, error) {
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.CentreOrg == "" {
		cfg.CentreOrg = DefaultCentreOrg
	}
	log := cfg.Log
	ref, err := refdata.Load()
	if err != nil {
		return nil, fmt.Errorf("load reference data: %w", err)
	}
	db, err := sqlstore.Open(ctx, cfg.DSN, log)
	if err != nil {
		return nil, err
	}
	p, err := assemble(ctx, db, ref, cfg)
	if err != nil {
		db.Close()
		return nil, err
	}
	return p, nil
}

func assemble(ctx context.Context, db *sqlstore.DB, ref *refdata.Data, cfg Config) (*Platform, error) {
	log := cfg.Log
	v, err := db.Migrate(ctx)
	if err != nil {
		return nil, err
	}
	log.Info("database ready", "engine", db.Engine, "where", db.Where, "schema_version", v)
	idsvc := identity.NewService(db, identity.Config{KnownCountry: func(c string) bool { _, ok := ref.Country(c); return ok && len(c) == 2 },
		TrustedProxies: cfg.TrustedProxies})
	centre := OrgNamed(idsvc, cfg.CentreOrg)
	orgKind := func(ctx context.Context, id string) (identity.OrgKind, error) {
		o, err := idsvc.Org(ctx, id)
		return o.Kind, err
	}
	led := ledger.NewService(db, ledger.Config{Log: log, Exponent: ref.MoneyExponent, CentreOrg: centre, OrgKind: orgKind})
	usd, err := configFile(cfg.USDConfig, "--fx-usd-config", fx.DefaultUSDConfig(), fx.ParseUSDConfig)
	if err != nil {
		return nil, err
	}
	fxs, err := fx.NewService(db, fx.Config{Policy: fx.Policy{USD: usd}, CentreOrg: centre})
	if err != nil {
		return nil, err
	}
	fxs.UseLedger(fx.LedgerOf(led))
	costModel, err := configFile(cfg.CostModel, "--cost-model", settlement.DefaultCostModel(), settlement.ParseCostModel)
	if err != nil {
		return nil, err
	}
	settle := settlement.NewService(db, settlement.Config{Log: log, Cost: costModel, Ledger: led, Exponent: ref.MoneyExponent, CentreOrg: centre, Orgs: idsvc,
		// Each pair's cycle rate is the median of the banks' mids within
		// the band of the official reference: no single bank sets it.
		RateBook: func(ctx context.Context) (*settlement.RateBook, error) {
			now := time.Now()
			board, err := fxs.CurrentRates(ctx, now)
			if err != nil {
				return nil, err
			}
			refs, err := fxs.ReferenceSet(ctx, now)
			if err != nil {
				return nil, err
			}
			return settlement.NewRateBook(board, refs, usd, fxs.BandBps()), nil
		}})
	obl := obligations.NewService(db, obligations.Config{Exponent: ref.MoneyExponent, Log: log})
	duties := dutyledger.Payments{Ledger: led, Authority: OrgOfKind(idsvc, identity.KindCustomsAuthority)}
	gsvc := guarantee.NewService(db, guarantee.Config{Log: log, Ledger: led, Revenue: duties.Revenue, OrgKind: orgKind})
	cust, err := newCustoms(db, ref, duties, fxs, cfg.Tariff, gsvc)
	if err != nil {
		return nil, err
	}
	cust.SetLog(log)
	// The network is priced in tenge, the town's currency; carriers price
	// in theirs, converted at the official reference rates of the day
	// (the rates customs values goods at).
	lsvc, err := logistics.NewService(db, logistics.Config{Log: log, Ref: ref, Customs: customsPort{cust},
		Currency: fx.KZT, References: fxs.ReferenceSet})
	if err != nil {
		return nil, err
	}
	// The catalogue shows prices at the official reference rates.
	mkt := market.NewService(db, market.Config{Log: log, Ref: ref, Rates: fxs.ReferenceSet, Org: idsvc.Org})
	dealSvc := deal.NewService(db, deal.Config{Log: log, OrgExists: func(ctx context.Context, id string) (bool, error) {
		_, err := idsvc.Org(ctx, id)
		if problem.Is(err, problem.NotFound) {
			return false, nil
		}
		return err == nil, err
	}})
	bsvc := booking.NewService(db, booking.Config{Log: log, Ledger: led})
	fest := festival.NewService(db, festival.Config{Log: log, Ledger: led, Booking: bsvc})
	cls := clinic.NewService(db, clinic.Config{Log: log, Booking: bsvc, User: idsvc.UserByID})
	edu := education.NewService(db, education.Config{Log: log, Ledger: led, Booking: bsvc, Org: idsvc.Org, User: idsvc.UserByID,
		Orgs:    func(ctx context.Context) ([]identity.Org, error) { return idsvc.Orgs(ctx, identity.Page{Limit: 1000}) },
		Country: func(c string) bool { _, ok := ref.Country(c); return ok }})
	expos := expo.NewService(db, expo.Config{Log: log, Ledger: led, Catalogue: mkt})
	// Orders: escrow in the town administration's system accounts, the
	// declaration and the shipment drafted by customs and logistics.
	ord := order.NewService(db, order.Config{Log: log, Ref: ref, Ledger: led, Product: db.GetProduct, ContractPrice: mkt.BuyerPrice, Org: idsvc.Org,
		Operator: OrgOfKind(idsvc, identity.KindTownAdministration), Declarations: cust, Shipments: lsvc, FX: fxs})
	hs := home.Services{Identity: idsvc, Ledger: led, Settlement: settle, Customs: cust, Obligations: obl, Logistics: lsvc, Clinic: cls, Expo: expos, Order: ord}
	return &Platform{Log: log, DB: db, Ref: ref, Identity: idsvc, Ledger: led, FX: fxs, Obligations: obl, Settlement: settle, Customs: cust,
		Guarantees: gsvc,
		Logistics:  lsvc,
		Market:     mkt,
		Booking:    bsvc,
		Deal:       dealSvc,
		Festival:   fest,
		Clinic:     cls,
		Education:  edu,
		Expo:       expos,
		Order:      ord,
		Home:       home.New(hs),
	}, nil
}

// customsPort is the customs service as logistics asks it: whose a
// declaration is (as the caller may see it) and whether its goods are held.
type customsPort struct{ cs *customs.Service }

func (c customsPort) Declarant(ctx context.Context, p *identity.Principal, id string) (string, error) {
	d, err := c.cs.Get(ctx, p, id)
	return d.DeclarantOrg, err
}

// Declared reads the declaration as p may (not_found otherwise): its border
// crossing, gross mass and containers, for a shipment entered from it.
func (c customsPort) Declared(ctx context.Context, p *identity.Principal, id string) (logistics.Declared, error) {
	d, err := c.cs.Get(ctx, p, id)
	if err != nil {
		return logistics.Declared{}, err
	}
	out := logistics.Declared{DeclarantOrg: d.DeclarantOrg, Reference: d.FunctionalReferenceID, BorderPost: d.Transport.BorderPost,
		ExporterCountry: d.Exporter.CountryCode, ImporterCountry: d.Importer.CountryCode, Containers: len(d.Transport.TransportEquipmentIDs),
		ArrivalExpectedAt: d.ArrivalExpectedAt}
	for _, it := range d.Items {
		if out.GrossMassGrams > math.MaxInt64-it.GrossMassMeasure {
			return logistics.Declared{}, problem.New(problem.Invalid, "the declaration's gross mass is too large")
		}
		out.GrossMassGrams += it.GrossMassMeasure
		out.Goods = append(out.Goods, it.Description)
	}
	return out, nil
}

func (c customsPort) Held(ctx context.Context, id string) (bool, string, error) {
	return c.cs.BorderHold(ctx, id)
}

func (c customsPort) Presented(ctx context.Context, carrier *identity.Principal, id, post string, at time.Time) error {
	_, err := c.cs.PresentedByCarrier(ctx, carrier, id, post, at)
	return err
}

func (c customsPort) Exited(ctx context.Context, carrier *identity.Principal, id, post string, at time.Time) error {
	_, err := c.cs.ExitedByCarrier(ctx, carrier, id, post, at)
	return err
}

// configFile parses the file at path, or gives def when no file is named;
// flag names the option in errors.
func configFile[T any](path, flag string, def T, parse func([]byte) (T, error)) (T, error) {
	if path == "" {
		return def, nil
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return def, fmt.Errorf("read %s: %w", flag, err)
	}
	v, err := parse(b)
	if err != nil {
		return def, fmt.Errorf("%s %s: %w", flag, path, err)
	}
	return v, nil
}

// Close closes the database.
func (p *Platform) Close() error { return p.DB.Close() }

// newCustoms assembles the one-stop trade service centre: the demo tariff
// (or an official one) and risk rules, customs values converted to KZT at
// the official reference rate of the valuation date, duties paid through
// the ledger into the customs authority's revenue account.
func newCustoms(db *sqlstore.DB, ref *refdata.Data, duties dutyledger.Payments, fxs *fx.Service, tariffPath string, gs *guarantee.Service) (*customs.Service, error) {
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
		// Customs values at the official reference rate of the valuation
		// date (the newest on or before it), never at a bank's quote.
		Rates:    fxs.KZTRate,
		Payments: duties, Guarantees: gs, Refunds: duties})
}

// DemoParts selects parts of the demo town; the organisations and users
// are always seeded.
type DemoParts uint16

// The parts of the demo town, in the order they are seeded.
const (
	DemoFinance DemoParts = 1 << iota // accounts, issuance, FX board, reference rates
	DemoSettlement
	DemoObligations
	DemoGuarantees
	DemoCustoms
	DemoMarket
	DemoLogistics // the corridor network, shipments (some from the customs part's declarations), a dispatcher run
	DemoBooking
	DemoDeal   // investment agreements: one signed by both parties, one awaiting a signature
	DemoClinic // the medical centre's doctors and packages, consultations booked and past (needs the finance part's accounts for the paid package)
	DemoExpo   // the commodity expo: halls, booths, exhibitors, showcases, meetings and a timetable
	// DemoEducation: the education park's partners, a joint programme,
	// courses, enrolments, a certificate, an exchange half approved.
	DemoEducation
	DemoAll = DemoFinance | DemoSettlement | DemoObligations | DemoGuarantees | DemoCustoms | DemoMarket | DemoLogistics | DemoBooking | DemoDeal | DemoClinic | DemoExpo | DemoEducation
)

// SeedDemo seeds the whole demo town (idempotent). The ledger must be
// running.
func (p *Platform) SeedDemo(ctx context.Context, now time.Time) (orgs, users int, err error) {
	return p.SeedDemoParts(ctx, now, DemoAll)
}

// SeedDemoParts seeds the organisations and users and then the chosen
// parts, in the order of DemoParts (tests that count a domain's records
// from zero leave that domain out).
func (p *Platform) SeedDemoParts(ctx context.Context, now time.Time, parts DemoParts) (orgs, users int, err error) {
	if orgs, users, err = demo.Seed(ctx, p.Identity); err != nil {
		return 0, 0, fmt.Errorf("seed demo town: %w", err)
	}
	steps := []struct {
		part DemoParts
		name string
		run  func() error
	}{
		{DemoFinance, "finance", func() error { return demo.SeedFinance(ctx, p.Identity, p.Ledger, p.FX, p.Ref.MoneyExponent, now) }},
		{DemoSettlement, "settlement", func() error {
			return demo.SeedSettlement(ctx, p.Identity, p.Ledger, p.Settlement, p.Ref.MoneyExponent, now)
		}},
		{DemoObligations, "obligations", func() error { return demo.SeedObligations(ctx, p.Identity, p.Obligations, now) }},
		{DemoGuarantees, "guarantees", func() error { return demo.SeedGuarantees(ctx, p.Identity, p.Ledger, p.Guarantees, now) }},
		{DemoCustoms, "customs", func() error { return demo.SeedCustoms(ctx, p.Identity, p.Ledger, p.Customs, p.Guarantees, now) }},
		{DemoMarket, "market", func() error {
			// Buying (RFQs, an order released, one in escrow) follows the catalogue.
			if err := demo.SeedMarket(ctx, p.Identity, p.Market, now); err != nil {
				return err
			}
			return demo.SeedOrders(ctx, p.Identity, p.Ledger, p.Order, now)
		}},
		{DemoLogistics, "logistics", func() error {
			return demo.SeedLogistics(ctx, p.Identity, p.Logistics, p.Customs, p.Ref.MoneyExponent, now)
		}},
		{DemoBooking, "booking", func() error { return demo.SeedBooking(ctx, p.Identity, p.Ledger, p.Booking, now) }},
		{DemoDeal, "deal", func() error { return demo.SeedDeal(ctx, p.Identity, p.Deal, now) }},
		// The art zone is built on the booking engine and seeded with it.
		{DemoBooking, "festival", func() error { return demo.SeedFestival(ctx, p.Identity, p.Ledger, p.Festival, now) }},
		{DemoClinic, "clinic", func() error {
			// The past consultation is booked as it was a week ago: the
			// engine books only future slots.
			then := func() time.Time { return now.AddDate(0, 0, -7) }
			past := clinic.NewService(p.DB, clinic.Config{Log: p.Log, User: p.Identity.UserByID, Now: then,
				Booking: booking.NewService(p.DB, booking.Config{Log: p.Log, Ledger: p.Ledger, Now: then})})
			return demo.SeedClinic(ctx, p.Identity, p.Ledger, p.Clinic, past, now)
		}},
		{DemoExpo, "expo", func() error { return demo.SeedExpo(ctx, p.Identity, p.Ledger, p.Market, p.Expo, now) }},
		{DemoEducation, "education", func() error { return demo.SeedEducation(ctx, p.Identity, p.Ledger, p.Education, now) }},
	}
	for _, s := range steps {
		if parts&s.part == 0 {
			continue
		}
		if err := s.run(); err != nil {
			return orgs, users, fmt.Errorf("seed demo %s: %w", s.name, err)
		}
	}
	return orgs, users, nil
}

// OrgOfKind finds the first organisation of a kind (the customs authority).
func OrgOfKind(ids *identity.Service, kind identity.OrgKind) func(ctx context.Context) (string, error) {
	return func(ctx context.Context) (string, error) {
		id, err := FindOrg(ctx, ids, func(o identity.Org) bool { return o.Kind == kind })
		if err == nil && id == "" {
			err = problem.New(problem.Unavailable, "no organisation of kind %s is registered", kind)
		}
		return id, err
	}
}

// OrgNamed finds the organisation called name once it exists (the demo
// seeds it after start) and remembers its id.
func OrgNamed(ids *identity.Service, name string) func(context.Context) (string, error) {
	var mu sync.Mutex
	var found string
	return func(ctx context.Context) (string, error) {
		mu.Lock()
		defer mu.Unlock()
		if found != "" {
			return found, nil
		}
		id, err := FindOrg(ctx, ids, func(o identity.Org) bool { return o.Name == name })
		if err == nil && id == "" {
			err = problem.New(problem.Unavailable, "the settlement centre organisation %q does not exist (see --settlement-centre-org)", name)
		}
		found = id
		return id, err
	}
}

// FindOrg pages through the registry for the first organisation match
// accepts ("" when there is none).
func FindOrg(ctx context.Context, ids *identity.Service, match func(identity.Org) bool) (string, error) {
	after := ""
	for {
		orgs, err := ids.Orgs(ctx, identity.Page{After: after, Limit: 500})
		if err != nil {
			return "", err
		}
		for _, o := range orgs {
			if match(o) {
				return o.ID, nil
			}
		}
		if len(orgs) < 500 {
			return "", nil
		}
		after = orgs[len(orgs)-1].ID
	}
}
