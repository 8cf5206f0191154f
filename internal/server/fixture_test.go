package server

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"bricstown/internal/customs"
	"bricstown/internal/demo"
	"bricstown/internal/dutyledger"
	"bricstown/internal/fx"
	"bricstown/internal/guarantee"
	"bricstown/internal/identity"
	"bricstown/internal/ledger"
	"bricstown/internal/metrics"
	"bricstown/internal/money"
	"bricstown/internal/obligations"
	"bricstown/internal/refdata"
	"bricstown/internal/settlement"
	"bricstown/internal/sqlstore"
)

// fixture is one server over a demo town, shared by the package's tests
// because seeding hashes a few dozen passwords with argon2id.
type fixture struct {
	srv    *Server
	ts     *httptest.Server
	db     *sqlstore.DB
	ids    *identity.Service
	orgs   map[string]identity.Org // by demo org name
	tokens sync.Map                // cache of role tokens
	stop   context.CancelFunc      // ends the ledger's batcher and sweeper
}

var (
	fixOnce sync.Once
	fix     *fixture
	fixErr  error
)

func getFixture(t *testing.T) *fixture {
	t.Helper()
	fixOnce.Do(func() { fix, fixErr = newFixture(filepath.Join(fixtureDir, "server.db")) })
	if fixErr != nil {
		t.Fatal(fixErr)
	}
	return fix
}

var fixtureDir string

// newFixture builds a server over a demo town in the database dsn (a
// SQLite file or a PostgreSQL URL), so a suite can run on both engines.
func newFixture(dsn string) (*fixture, error) {
	ctx := context.Background()
	log := slog.New(slog.DiscardHandler)
	db, err := sqlstore.Open(ctx, dsn, log)
	if err != nil {
		return nil, err
	}
	if _, err := db.Migrate(ctx); err != nil {
		return nil, err
	}
	ref := refdata.Default()
	ids := identity.NewService(db, identity.Config{KnownCountry: func(c string) bool { _, ok := ref.Country(c); return ok && len(c) == 2 }})
	if _, _, err := demo.Seed(ctx, ids); err != nil {
		return nil, err
	}
	led := ledger.NewService(db, ledger.Config{Log: log, Exponent: ref.MoneyExponent,
		CentreOrg: func(ctx context.Context) (string, error) { return orgIDByName(ctx, ids, demoCentre) },
		OrgKind: func(ctx context.Context, id string) (identity.OrgKind, error) {
			o, err := db.GetOrg(ctx, id)
			return o.Kind, err
		}})
	runCtx, stop := context.WithCancel(context.Background())
	built := false
	defer func() {
		if !built {
			stop()
		}
	}()
	go led.Run(runCtx)
	fxs, err := fx.NewService(db, fx.Config{Policy: fx.Policy{USD: fx.DefaultUSDConfig()},
		CentreOrg: func(ctx context.Context) (string, error) { return orgIDByName(ctx, ids, demoCentre) }})
	if err != nil {
		return nil, err
	}
	fxs.UseLedger(fx.LedgerOf(led))
	settle := settlement.NewService(db, settlement.Config{Log: log, Ledger: led, Exponent: ref.MoneyExponent,
		CentreOrg: func(ctx context.Context) (string, error) { return orgIDByName(ctx, ids, demoCentre) },
		Rates: func(ctx context.Context) (func(a, b string) (money.Rate, bool), error) {
			board, err := fxs.Store().CurrentRates(ctx, time.Now())
			if err != nil {
				return nil, err
			}
			return settlement.CycleRates(board, fx.DefaultUSDConfig()), nil
		}})
	obl := obligations.NewService(db, obligations.Config{Exponent: ref.MoneyExponent, Log: log})
	rules, err := customs.DemoRules(ref)
	if err != nil {
		return nil, err
	}
	authority := func(ctx context.Context) (string, error) {
		orgs, err := db.ListOrgs(ctx, identity.Page{Limit: 1000})
		for _, o := range orgs {
			if o.Kind == identity.KindCustomsAuthority {
				return o.ID, nil
			}
		}
		return "", fmt.Errorf("no customs authority: %v", err)
	}
	gsvc := guarantee.NewService(db, guarantee.Config{Log: log, Ledger: led, Revenue: dutyledger.Payments{Ledger: led, Authority: authority}.Revenue,
		OrgKind: func(ctx context.Context, org string) (identity.OrgKind, error) {
			o, err := db.GetOrg(ctx, org)
			return o.Kind, err
		}})
	cust, err := customs.NewService(db, customs.Config{Rules: rules, Guarantees: gsvc,
		Rates: func(ccy string, _ time.Time) (money.Rate, error) {
			r, ok := settlement.CycleRates(nil, fx.DefaultUSDConfig())(ccy, "KZT")
			if !ok {
				return money.Rate{}, fmt.Errorf("no KZT rate for %s", ccy)
			}
			return r, nil
		},
		Payments: dutyledger.Payments{Ledger: led, Authority: func(ctx context.Context) (string, error) {
			orgs, err := db.ListOrgs(ctx, identity.Page{Limit: 1000})
			for _, o := range orgs {
				if o.Kind == identity.KindCustomsAuthority {
					return o.ID, nil
				}
			}
			return "", fmt.Errorf("no customs authority: %v", err)
		}}})
	if err != nil {
		return nil, err
	}
	if err := demo.SeedObligations(ctx, ids, obl, time.Now()); err != nil {
		return nil, err
	}
	if err := demo.SeedGuarantees(ctx, ids, led, gsvc, time.Now()); err != nil {
		return nil, err
	}
	if err := demo.SeedCustoms(ctx, ids, led, cust, gsvc, time.Now()); err != nil {
		return nil, err
	}
	srv, err := New(Deps{Log: log, Version: "test", DB: db, DBStats: db.SQL.Stats, Identity: ids, Audit: db, Ref: ref, Stats: db,
		Metrics: metrics.NewRegistry(), Ledger: led, FX: fxs, Settlement: settle, Obligations: obl, Customs: cust, Guarantees: gsvc})
	if err != nil {
		return nil, err
	}
	f := &fixture{srv: srv, ts: httptest.NewServer(srv.Handler()), db: db, ids: ids, orgs: map[string]identity.Org{}, stop: stop}
	orgs, err := db.ListOrgs(ctx, identity.Page{Limit: 1000})
	if err != nil {
		return nil, err
	}
	for _, o := range orgs {
		f.orgs[o.Name] = o
	}
	built = true
	return f, nil
}

func TestMain(m *testing.M) {
	dir, err := osMkdirTemp()
	if err != nil {
		panic(err)
	}
	fixtureDir = dir
	code := m.Run()
	if fix != nil {
		fix.ts.Close()
		fix.db.Close()
	}
	osRemoveAll(dir)
	osExit(code)
}

// token returns an API token of org for a principal holding exactly rs.
func (f *fixture) token(t *testing.T, orgName string, rs ...identity.Role) string {
	t.Helper()
	key := orgName + "|" + identity.RolesString(rs)
	if v, ok := f.tokens.Load(key); ok {
		return v.(string)
	}
	ctx := context.Background()
	org, ok := f.orgs[orgName]
	if !ok {
		t.Fatalf("no demo org %q", orgName)
	}
	users, err := f.db.ListUsers(ctx, org.ID, identity.Page{Limit: 10})
	if err != nil || len(users) == 0 {
		t.Fatalf("no users in %s: %v", orgName, err)
	}
	// The issuing principal is built directly: tests need tokens for role
	// sets that no demo user holds (for example a role alone).
	p := &identity.Principal{UserID: users[0].ID, OrgID: org.ID, Roles: append(rs, identity.OrgAdmin), Via: "session"}
	_, secret, err := f.ids.CreateToken(ctx, p, org.ID, identity.NewToken{Name: "test " + key, Roles: rs})
	if err != nil {
		t.Fatal(err)
	}
	f.tokens.Store(key, secret)
	return secret
}

type response struct {
	status int
	header http.Header
	body   []byte
}

func (r response) json(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.body, &m); err != nil {
		t.Fatalf("not JSON (%d): %s", r.status, r.body)
	}
	return m
}

// call sends a request with an optional bearer token and body.
func (f *fixture) call(t *testing.T, method, path, token string, body any, hdr ...string) response {
	t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		j, _ := json.Marshal(b)
		rd = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, f.ts.URL+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return response{resp.StatusCode, resp.Header, b}
}
