// Package pgtest gives tests a fresh, empty PostgreSQL database.
//
// # Usage
//
// A package whose tests need PostgreSQL calls [Main] from its TestMain, and
// each test calls [URL]:
//
//	func TestMain(m *testing.M) { pgtest.Main(m, pgtest.Fast()) }
//
//	func TestSomething(t *testing.T) {
//		dbURL := pgtest.URL(t) // postgres://..., a new empty database
//		...
//	}
//
// Every call of URL creates a new database with a unique name (made from the
// test name and random digits), from template0 and in UTF8, and drops it
// (WITH (FORCE), which also ends its open sessions) when the test and its
// subtests end. Tests can therefore run in parallel and never see each
// other's data. The URL connects as the superuser, who owns the database.
//
// # Where the server comes from
//
// If the environment variable BRICSTOWN_TEST_POSTGRES_URL holds a URL
// (postgres://user:pass@host:port/db), pgtest uses that server. The role of
// the URL must be allowed to create and drop databases (a superuser or a role
// with CREATEDB), and the server must be PostgreSQL 13 or later for
// DROP DATABASE ... WITH (FORCE) (older servers get a pg_terminate_backend
// fallback).
//
// Otherwise pgtest starts a throwaway cluster, once per test process, the
// first time a test calls URL. It looks for initdb and postgres in the
// directory BRICSTOWN_TEST_POSTGRES_BINDIR, then through initdb in PATH
// (following symbolic links, so /usr/local/bin/initdb ->
// /usr/lib/postgresql/15/bin/initdb works), then in
// /usr/lib/postgresql/*/bin (highest version first). The cluster:
//
//   - lives in a new directory bricstown-pgtest-* under the temporary
//     directory (or /tmp when the temporary directory is not reachable by
//     the server user);
//   - is made with initdb --auth=trust -E UTF8 --locale=C -N (no sync), with
//     the superuser "postgres" and the time zone UTC;
//   - listens on 127.0.0.1 on a free port and on a unix socket in its
//     directory, never on any other address; with trust authentication,
//     any local user can connect to it over TCP while it runs;
//   - allows 200 connections;
//   - runs as the user "postgres" (or "nobody" when there is no such user)
//     when the tests run as root, because initdb and postgres refuse to run
//     as root; otherwise as the current user.
//
// [Main] stops the cluster (fast shutdown) and removes its directory after
// the tests. When a package does not use Main, URL still works: the server is
// started with a parent-death signal, so the kernel stops it when the test
// process exits, and the next test process that starts a cluster removes the
// directory that it left. Use Main anyway: it shuts down cleanly and at once.
//
// # Durable and fast mode
//
// By default the cluster keeps the durable settings of PostgreSQL. [Fast]
// (or BRICSTOWN_TEST_POSTGRES_FAST=1) adds fsync=off,
// synchronous_commit=off and full_page_writes=off. Fast mode loses data only
// when the machine or the PostgreSQL server crashes, so it is also fine for
// tests that kill the application (not PostgreSQL) and check that committed
// data survived. BRICSTOWN_TEST_POSTGRES_FAST=0 turns fast mode off even when
// Main asks for it.
//
// # When PostgreSQL is missing
//
// When no URL is set and no binaries are found, URL skips the test with a
// message that says what is missing. When the environment variable CI is
// true (1, true or yes: [testenv.CI]), URL fails the test instead, so that a CI job cannot pass without
// running its PostgreSQL tests. [Available] reports the same reason without
// starting anything.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"bricstown/internal/testenv"
)

// Environment variables that pgtest reads.
const (
	// EnvURL names a PostgreSQL server to use instead of a local cluster.
	EnvURL = "BRICSTOWN_TEST_POSTGRES_URL"
	// EnvBinDir names a directory that holds initdb and postgres.
	EnvBinDir = "BRICSTOWN_TEST_POSTGRES_BINDIR"
	// EnvFast turns fast mode on (1, true) or off (0, false) for a local
	// cluster, whatever the options of Main say.
	EnvFast = "BRICSTOWN_TEST_POSTGRES_FAST"
	// EnvCI, when true (see testenv.CI), turns a skip for missing
	// PostgreSQL into a failure.
	EnvCI = testenv.EnvCI
)

// opTimeout bounds each administrative operation, such as CREATE DATABASE.
const opTimeout = 60 * time.Second

// An Option changes how [Main] sets up the cluster.
type Option func(*config)

type config struct {
	fast bool
}

// Fast makes a local cluster run with fsync=off, synchronous_commit=off and
// full_page_writes=off. It has no effect on a server given by
// BRICSTOWN_TEST_POSTGRES_URL.
func Fast() Option {
	return func(c *config) { c.fast = true }
}

var (
	mu       sync.Mutex
	cfg      config
	mainUsed bool

	startOnce sync.Once
	srv       *server
	srvErr    error  // the server failed to start: fail the test
	missing   string // no server can be had: skip (or fail in CI)

	warnNoMainOnce sync.Once
)

// Main runs the tests of m and then stops the cluster that [URL] started, if
// any, and removes its directory. Call it from TestMain:
//
//	func TestMain(m *testing.M) { pgtest.Main(m) }
//
// Main does not return: it exits with the result of m.Run.
func Main(m *testing.M, opts ...Option) {
	os.Exit(Run(m, opts...))
}

// Run is Main for a TestMain that has cleaning of its own to do after the
// tests: it returns m.Run's code once the cluster has stopped.
func Run(m *testing.M, opts ...Option) int {
	mu.Lock()
	for _, o := range opts {
		o(&cfg)
	}
	mainUsed = true
	mu.Unlock()

	code := m.Run()
	if err := shutdown(); err != nil {
		fmt.Fprintf(os.Stderr, "pgtest: stopping the PostgreSQL cluster: %v\n", err)
	}
	return code
}

// shutdown stops the local cluster, if one started.
func shutdown() error {
	mu.Lock()
	s := srv
	mu.Unlock()
	if s == nil || s.cluster == nil {
		return nil
	}
	return s.cluster.stop()
}

// Available reports whether URL can give a database, without starting
// anything. When ok is true, reason says which server URL uses; when it is
// false, reason says what is missing or what went wrong.
func Available() (reason string, ok bool) {
	mu.Lock()
	s, err, miss := srv, srvErr, missing
	mu.Unlock()
	switch {
	case s != nil:
		return s.desc, true
	case err != nil:
		return err.Error(), false
	case miss != "":
		return miss, false
	}

	if raw := os.Getenv(EnvURL); raw != "" {
		u, err := parseServerURL(raw)
		if err != nil {
			return err.Error(), false
		}
		return fmt.Sprintf("server from %s (%s)", EnvURL, u.Redacted()), true
	}
	bins, err := findBinaries()
	if err != nil {
		return err.Error(), false
	}
	run, err := serverUser()
	if err != nil {
		return err.Error(), false
	}
	return fmt.Sprintf("local cluster with %s as user %s", bins.dir(), run.name), true
}

// URL returns the connection URL of a new, empty database, and drops the
// database when t and its subtests end. The URL connects as a superuser (or
// as the role of BRICSTOWN_TEST_POSTGRES_URL).
//
// The first call in a test process starts the server (see the package
// documentation). URL skips t when PostgreSQL is not available, or fails it
// when CI is true; it fails t when the server does not start.
//
// URL is safe to call from parallel tests.
func URL(t testing.TB) string {
	t.Helper()
	s := get(t)

	name := dbName(t.Name())
	ctx, cancel := context.WithTimeout(context.Background(), opTimeout)
	defer cancel()
	start := time.Now()
	if err := s.createDB(ctx, name); err != nil {
		t.Fatalf("pgtest: creating database %s on %s: %v", name, s.desc, err)
	}
	took := time.Since(start)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), opTimeout)
		defer cancel()
		if err := s.dropDB(ctx, name); err != nil {
			t.Errorf("pgtest: dropping database %s on %s: %v", name, s.desc, err)
		}
	})
	u := s.dbURL(name)
	t.Logf("pgtest: database %s created in %v on %s; URL %s",
		name, took.Round(time.Millisecond), s.desc, redact(u))
	return u
}

// SharedURL returns the URL of a new, empty database that outlives t: a
// fixture shared by a package's tests keeps it until the cluster stops (a
// throwaway cluster) or, on a server given by BRICSTOWN_TEST_POSTGRES_URL,
// leaves it behind under the name pgtest_shared_<name>.
func SharedURL(t testing.TB, name string) string {
	t.Helper()
	s := get(t)
	db := dbName("shared_" + name)
	ctx, cancel := context.WithTimeout(context.Background(), opTimeout)
	defer cancel()
	if err := s.createDB(ctx, db); err != nil {
		t.Fatalf("pgtest: creating database %s on %s: %v", db, s.desc, err)
	}
	return s.dbURL(db)
}

// get returns the server, starting it on the first call. It skips or fails t
// when there is none.
func get(t testing.TB) *server {
	t.Helper()
	started := false
	startOnce.Do(func() {
		mu.Lock()
		c := cfg
		mu.Unlock()
		if v, ok := os.LookupEnv(EnvFast); ok && v != "" {
			b, err := strconv.ParseBool(v)
			if err != nil {
				mu.Lock()
				srvErr = fmt.Errorf("pgtest: %s=%q is not a boolean", EnvFast, v)
				mu.Unlock()
				return
			}
			c.fast = b
		}
		s, miss, err := startServer(c)
		mu.Lock()
		srv, missing, srvErr = s, miss, err
		mu.Unlock()
		started = s != nil
	})

	mu.Lock()
	s, err, miss, usedMain := srv, srvErr, missing, mainUsed
	mu.Unlock()
	switch {
	case err != nil:
		t.Fatalf("%v", err)
	case miss != "":
		if testenv.CI() {
			t.Fatalf("pgtest: PostgreSQL is required because %s=%s, but %s", EnvCI, os.Getenv(EnvCI), miss)
		}
		t.Skipf("pgtest: skipping, PostgreSQL is not available: %s (set %s, or install the PostgreSQL server binaries)", miss, EnvURL)
	}
	if started {
		t.Logf("pgtest: %s", s.startLog)
	}
	if !usedMain && s.cluster != nil {
		warnNoMainOnce.Do(func() {
			t.Logf("pgtest: TestMain does not call pgtest.Main; the cluster in %s stops only when the test process exits, and a later run removes its directory", s.cluster.root)
		})
	}
	return s
}

// startServer connects to the server of EnvURL, or starts a local cluster.
// It returns a reason in missing when there is no way to get a server, and
// an error when there is one but it does not work.
func startServer(c config) (s *server, missing string, err error) {
	if raw := os.Getenv(EnvURL); raw != "" {
		s, err := externalServer(raw)
		return s, "", err
	}
	bins, err := findBinaries()
	if err != nil {
		return nil, err.Error(), nil
	}
	run, err := serverUser()
	if err != nil {
		return nil, err.Error(), nil
	}
	cl, err := startCluster(bins, run, c.fast)
	if err != nil {
		return nil, "", fmt.Errorf("pgtest: starting a PostgreSQL cluster with %s: %w", bins.dir(), err)
	}
	s, err = newServer(cl.adminURL(), nil)
	if err != nil {
		cl.stop()
		return nil, "", fmt.Errorf("pgtest: the new cluster does not answer: %w", err)
	}
	s.cluster = cl
	mode := "durable"
	if cl.fast {
		mode = "fast: fsync, synchronous_commit and full_page_writes off"
	}
	s.desc = fmt.Sprintf("local PostgreSQL %s cluster 127.0.0.1:%d (%s mode)", s.version, cl.port, mode)
	s.startLog = fmt.Sprintf("started %s in %v (initdb %v, server start %v) in %s as user %s",
		s.desc, cl.total.Round(time.Millisecond), cl.initdbTook.Round(time.Millisecond),
		cl.startTook.Round(time.Millisecond), cl.root, run.name)
	return s, "", nil
}

func externalServer(raw string) (*server, error) {
	u, err := parseServerURL(raw)
	if err != nil {
		return nil, err
	}
	s, err := newServer(raw, u)
	if err != nil {
		return nil, fmt.Errorf("pgtest: connecting to %s (%s): %w", EnvURL, u.Redacted(), err)
	}
	s.desc = fmt.Sprintf("PostgreSQL %s server %s from %s", s.version, u.Host, EnvURL)
	s.startLog = "using " + s.desc
	return s, nil
}

func parseServerURL(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		return nil, fmt.Errorf("pgtest: %s must be a URL like postgres://user:password@host:5432/postgres", EnvURL)
	}
	return u, nil
}

// server is a PostgreSQL server on which pgtest creates databases.
type server struct {
	adminURL   string   // a URL to connect to for CREATE and DROP DATABASE
	base       *url.URL // the URL that dbURL changes the database of
	versionNum int      // server_version_num
	version    string   // server_version
	desc       string   // for logs
	startLog   string   // for the log of the first test
	cluster    *cluster // nil for a server from EnvURL
}

// newServer checks that adminURL answers, and reads the version.
func newServer(adminURL string, base *url.URL) (*server, error) {
	if base == nil {
		var err error
		if base, err = url.Parse(adminURL); err != nil {
			return nil, err
		}
	}
	s := &server{adminURL: adminURL, base: base}
	ctx, cancel := context.WithTimeout(context.Background(), opTimeout)
	defer cancel()
	err := s.withConn(ctx, func(conn *pgx.Conn) error {
		return conn.QueryRow(ctx,
			"SELECT current_setting('server_version'), current_setting('server_version_num')::int").
			Scan(&s.version, &s.versionNum)
	})
	if err != nil {
		return nil, err
	}
	return s, nil
}

// withConn runs f with a new connection to the admin database. A connection
// per operation lets parallel tests create databases at the same time.
func (s *server) withConn(ctx context.Context, f func(*pgx.Conn) error) error {
	conn, err := pgx.Connect(ctx, s.adminURL)
	if err != nil {
		return err
	}
	defer conn.Close(context.Background())
	return f(conn)
}

func (s *server) createDB(ctx context.Context, name string) error {
	// template0 is always empty and nobody connects to it, so that parallel
	// CREATE DATABASE commands do not fail with "source database is being
	// accessed by other users".
	sql := "CREATE DATABASE " + pgx.Identifier{name}.Sanitize() + " TEMPLATE template0 ENCODING 'UTF8'"
	if s.cluster != nil {
		// A local cluster is UTF8 and C already; say so for clarity.
		sql += " LC_COLLATE 'C' LC_CTYPE 'C'"
	}
	if s.versionNum >= 150000 && s.cluster != nil && s.cluster.fast {
		// FILE_COPY copies the few files of template0 and needs two
		// checkpoints, which cost little with fsync off. WAL_LOG, the
		// default, writes the whole template to the WAL.
		sql += " STRATEGY FILE_COPY"
	}
	return s.withConn(ctx, func(conn *pgx.Conn) error {
		_, err := conn.Exec(ctx, sql)
		return err
	})
}

func (s *server) dropDB(ctx context.Context, name string) error {
	ident := pgx.Identifier{name}.Sanitize()
	return s.withConn(ctx, func(conn *pgx.Conn) error {
		if s.versionNum >= 130000 {
			_, err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+ident+" WITH (FORCE)")
			return err
		}
		// Before PostgreSQL 13: stop the sessions, and forbid new ones.
		if _, err := conn.Exec(ctx, "ALTER DATABASE "+ident+" ALLOW_CONNECTIONS false"); err != nil {
			return err
		}
		if _, err := conn.Exec(ctx,
			"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()",
			name); err != nil {
			return err
		}
		_, err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+ident)
		return err
	})
}

// dbURL returns the URL of the database name on s.
func (s *server) dbURL(name string) string {
	u := *s.base
	u.Path = "/" + name
	u.RawPath = ""
	return u.String()
}

// dbName makes a unique database name that shows which test owns it.
func dbName(testName string) string {
	var b strings.Builder
	b.WriteString("pgtest_")
	lastUnderscore := true
	for _, r := range strings.ToLower(testName) {
		if b.Len() >= 7+32 {
			break
		}
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') {
			b.WriteRune(r)
			lastUnderscore = false
		} else if !lastUnderscore {
			b.WriteByte('_')
			lastUnderscore = true
		}
	}
	if !lastUnderscore {
		b.WriteByte('_')
	}
	var rnd [5]byte
	rand.Read(rnd[:])
	b.WriteString(hex.EncodeToString(rnd[:]))
	return b.String() // at most 7+32+1+10 = 50 bytes, below the limit of 63
}

func redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparsable URL)"
	}
	return u.Redacted()
}
