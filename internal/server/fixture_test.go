package server

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"bricstown/internal/identity"
	"bricstown/internal/metrics"
	"bricstown/internal/pgtest"
	"bricstown/internal/platform"
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
	fixOnce.Do(func() {
		dsn := filepath.Join(fixtureDir, "server.db")
		if os.Getenv(EnvServerEngine) == "postgres" {
			dsn = pgtest.SharedURL(t, "server_fixture")
		}
		fix, fixErr = newFixture(dsn)
	})
	if fixErr != nil {
		t.Fatal(fixErr)
	}
	return fix
}

var fixtureDir string

// EnvServerEngine set to "postgres" runs the package's tests on a
// PostgreSQL fixture (CI runs the package on both engines).
const EnvServerEngine = "BRICSTOWN_TEST_SERVER_ENGINE"

// newFixture builds a server over the demo town in the database dsn (a
// SQLite file or a PostgreSQL URL), so a suite can run on both engines. The
// platform is assembled exactly as serve assembles it (internal/platform).
func newFixture(dsn string) (*fixture, error) {
	ctx := context.Background()
	p, err := platform.Open(ctx, platform.Config{Log: slog.New(slog.DiscardHandler), DSN: dsn})
	if err != nil {
		return nil, err
	}
	runCtx, stop := context.WithCancel(context.Background())
	built := false
	defer func() {
		if !built {
			stop()
			p.Close()
		}
	}()
	go p.Ledger.Run(runCtx)
	// The settlement tests count cycles and instructions from zero: the
	// demo's settlement part is left out.
	if _, _, err := p.SeedDemoParts(ctx, time.Now(), platform.DemoAll&^platform.DemoSettlement); err != nil {
		return nil, err
	}
	deps := PlatformDeps(p)
	deps.Version, deps.Metrics = "test", metrics.NewRegistry()
	srv, err := New(deps)
	if err != nil {
		return nil, err
	}
	f := &fixture{srv: srv, ts: httptest.NewServer(srv.Handler()), db: p.DB, ids: p.Identity, orgs: map[string]identity.Org{}, stop: stop}
	orgs, err := p.DB.ListOrgs(ctx, identity.Page{Limit: 1000})
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
	code := pgtest.Run(m, pgtest.Fast())
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
