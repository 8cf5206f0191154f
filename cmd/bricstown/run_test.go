package main

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"bricstown/internal/pgtest"
	"bricstown/internal/sqlstore"

	_ "github.com/jackc/pgx/v5/stdlib"
	_ "modernc.org/sqlite"
)

func TestMain(m *testing.M) {
	// The crash tests run this binary as a child: a server (crash_test.go)
	// or a settlement cycle (crash_cycle_test.go).
	if dsn := os.Getenv(cycleChildEnv); dsn != "" {
		if err := cycleChild(dsn); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	serveCommand = serveChildCommand
	if os.Getenv(crashChildEnv) != "" {
		args := strings.Split(os.Getenv(crashChildEnv), "\x1f")
		if err := run(context.Background(), args, os.Getenv, os.Stdin, os.Stdout, os.Stderr); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	pgtest.Main(m, pgtest.Fast())
}

func getenvFrom(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

// running is a `bricstown serve` started in-process through run.
type running struct {
	url  string
	log  *lockedBuffer
	stop func() error
}

// startServer runs `bricstown serve` through run on port 0, waits until it
// listens, and stops it (gracefully) at the end of the test.
func startServer(t *testing.T, dsn string, extra ...string) *running {
	t.Helper()
	addrFile := filepath.Join(t.TempDir(), "addr")
	ctx, cancel := context.WithCancel(context.Background())
	out := &lockedBuffer{}
	args := append([]string{"bricstown", "serve", "--addr", "127.0.0.1:0", "--addr-file", addrFile, "--db", dsn}, extra...)
	done := make(chan error, 1)
	go func() { done <- run(ctx, args, getenvFrom(nil), strings.NewReader(""), out, out) }()
	deadline := time.Now().Add(60 * time.Second)
	for {
		if b, err := os.ReadFile(addrFile); err == nil && len(b) > 0 {
			r := &running{url: "http://" + string(b), log: out}
			var once sync.Once
			var stopErr error
			r.stop = func() error {
				once.Do(func() {
					cancel()
					select {
					case stopErr = <-done:
					case <-time.After(30 * time.Second):
						stopErr = fmt.Errorf("server did not stop")
					}
				})
				return stopErr
			}
			t.Cleanup(func() {
				if err := r.stop(); err != nil {
					t.Errorf("stop: %v\n%s", err, out)
				}
			})
			return r
		}
		select {
		case err := <-done:
			cancel()
			t.Fatalf("serve exited early: %v\n%s", err, out)
		default:
		}
		if time.Now().After(deadline) {
			cancel()
			t.Fatalf("server did not start\n%s", out)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// The whole platform runs on either engine from the same command.
func TestServeOnBothEngines(t *testing.T) {
	for _, engine := range []string{"sqlite", "postgres"} {
		t.Run(engine, func(t *testing.T) {
			dsn := filepath.Join(t.TempDir(), "data", "bricstown.db")
			if engine == "postgres" {
				dsn = pgtest.URL(t)
			}
			srv := startServer(t, dsn, "--demo")
			if code, body := get(t, srv.url+"/healthz"); code != 200 || !strings.Contains(body, `"ok"`) {
				t.Fatalf("healthz %d %s", code, body)
			}
			if code, _ := get(t, srv.url+"/readyz"); code != 200 {
				t.Fatalf("readyz %d", code)
			}
			if code, body := get(t, srv.url+"/login?lang=kk"); code != 200 || !strings.Contains(body, `lang="kk"`) {
				t.Fatalf("login page %d", code)
			}
			if code, body := get(t, srv.url+"/api/v1/ref/locations/KZHOR"); code != 200 || !strings.Contains(body, "KZHOR") {
				t.Fatalf("locations %d %s", code, body)
			}
			if !strings.Contains(srv.log.String(), "engine="+engine) {
				t.Fatalf("log does not name engine %s:\n%s", engine, srv.log)
			}
			if err := srv.stop(); err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(srv.log.String(), "stopped") {
				t.Fatalf("no graceful stop in the log:\n%s", srv.log)
			}
			// Seeding again adds nothing: the demo is idempotent.
			srv2 := startServer(t, dsn, "--demo")
			if !strings.Contains(srv2.log.String(), "orgs_added=0 users_added=0") {
				t.Fatalf("second demo seeding added data:\n%s", srv2.log)
			}
		})
	}
}

// Shutdown lets a request that is already being served finish.
func TestGracefulShutdownFinishesInFlightRequests(t *testing.T) {
	srv := startServer(t, filepath.Join(t.TempDir(), "db"))
	// A slow client: the sign-in form's body is still arriving when
	// shutdown begins (the handler is reading it); it must still be
	// answered.
	type result struct {
		code int
		err  error
	}
	res := make(chan result, 1)
	pr, pw := io.Pipe()
	go func() {
		req, _ := http.NewRequest("POST", srv.url+"/login", pr)
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Origin", srv.url)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			res <- result{0, err}
			return
		}
		resp.Body.Close()
		res <- result{resp.StatusCode, nil}
	}()
	pw.Write([]byte(`email=a%40b.kz&password=`))
	// Wait until the server is serving it (the scrape counts itself too),
	// then until shutdown has begun, and only then finish the body.
	waitFor(t, "the request in flight", func() bool {
		_, body := get(t, srv.url+"/metrics")
		return strings.Contains(body, "bricstown_http_requests_in_flight 2")
	})
	stopped := make(chan error, 1)
	go func() { stopped <- srv.stop() }()
	waitFor(t, "shutdown to begin", func() bool { return strings.Contains(srv.log.String(), "shutting down") })
	pw.Write([]byte(`wrong`))
	pw.Close()
	r := <-res
	if r.err != nil || r.code != http.StatusForbidden { // no CSRF token: refused, but answered
		t.Fatalf("in-flight request: %d %v", r.code, r.err)
	}
	if err := <-stopped; err != nil {
		t.Fatal(err)
	}
}

func runCmd(t *testing.T, args ...string) (string, error) {
	var out lockedBuffer
	err := run(context.Background(), append([]string{"bricstown"}, args...), getenvFrom(nil), strings.NewReader(""), &out, &out)
	return out.String(), err
}

func TestMigrateVersionHelpAndEnv(t *testing.T) {
	dsn := filepath.Join(t.TempDir(), "m.db")
	ms, _ := sqlstore.Migrations()
	want := fmt.Sprintf("schema version %d ", ms[len(ms)-1].Version)
	out, err := runCmd(t, "migrate", "--db", dsn)
	if err != nil || !strings.Contains(out, want) {
		t.Fatalf("migrate: %v %s", err, out)
	}
	if out, err = runCmd(t, "migrate", "--db", dsn); err != nil || !strings.Contains(out, want) {
		t.Fatalf("second migrate: %v %s", err, out)
	}
	if out, _ = runCmd(t, "version"); !strings.HasPrefix(out, "bricstown ") {
		t.Fatalf("version: %s", out)
	}
	for _, c := range []string{"serve", "migrate", "version"} {
		out, err := runCmd(t, c, "--help")
		if err != nil || !strings.Contains(out, "Usage: bricstown "+c) {
			t.Fatalf("%s --help: %v %s", c, err, out)
		}
	}
	if out, _ := runCmd(t, "serve", "--help"); !strings.Contains(out, "BRICSTOWN_DB") || !strings.Contains(out, "BRICSTOWN_ADDR") {
		t.Fatalf("serve --help does not name env vars: %s", out)
	}
	if _, err := runCmd(t, "frobnicate"); err == nil || exitCode(err) != 2 {
		t.Fatalf("unknown command: %v", err)
	}
	// The environment variable stands in for the flag.
	dsn2 := filepath.Join(t.TempDir(), "env.db")
	var buf lockedBuffer
	if err := run(context.Background(), []string{"bricstown", "migrate"}, getenvFrom(map[string]string{"BRICSTOWN_DB": dsn2}), nil, &buf, &buf); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(dsn2); err != nil {
		t.Fatalf("BRICSTOWN_DB not used: %v", err)
	}
}

func TestAuditVerifyDetectsTampering(t *testing.T) {
	dsn := filepath.Join(t.TempDir(), "a.db")
	srv := startServer(t, dsn, "--demo")
	srv.stop()
	out, err := runCmd(t, "audit", "verify", "--db", dsn)
	if err != nil || !strings.Contains(out, "audit chain intact") {
		t.Fatalf("intact: %v %s", err, out)
	}
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`UPDATE audit_log SET actor_user = 'someone-else' WHERE seq = 7`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	out, err = runCmd(t, "audit", "verify", "--db", dsn)
	if err == nil || !strings.Contains(out, "BROKEN") || !strings.Contains(out, "entry 7") {
		t.Fatalf("tampered chain not detected: %v %s", err, out)
	}
}

// An official tariff replaces the demo one at start; a broken file stops
// the server instead of being half applied.
func TestServeWithATariffFile(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.csv")
	os.WriteFile(bad, []byte("prefix,ad_valorem_bps,specific_kzt_per_kg,specific_kzt_per_unit,rule,description\n1001,x,0,0,sum,wheat\n"), 0o644)
	out, err := runCmd(t, "serve", "--db", filepath.Join(dir, "a.db"), "--addr", "127.0.0.1:0", "--tariff", bad)
	if err == nil || !strings.Contains(err.Error(), "line 2") {
		t.Fatalf("a bad tariff did not stop the server: %v\n%s", err, out)
	}
	good := filepath.Join(dir, "good.csv")
	os.WriteFile(good, []byte("prefix,ad_valorem_bps,specific_kzt_per_kg,specific_kzt_per_unit,rule,description\n*,500,0,0,sum,everything 5%\n"), 0o644)
	if out, err := runCmd(t, "import", "tariff", "--csv", good); err != nil || !strings.Contains(out, "serve --tariff") {
		t.Fatalf("import tariff: %v\n%s", err, out)
	}
	srv := startServer(t, filepath.Join(dir, "b.db"), "--tariff", good)
	if code, _ := get(t, srv.url+"/healthz"); code != 200 {
		t.Fatalf("server with a valid tariff: %d", code)
	}
}

// waitFor polls cond (a state another goroutine or process changes) until
// it holds, for at most 10 s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !cond(); time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}
