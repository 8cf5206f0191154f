package pgtest

import (
	"bufio"
	"context"
	"database/sql"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	_ "github.com/jackc/pgx/v5/stdlib" // database/sql driver "pgx"
)

// childEnv makes TestMain run the tests of a child process (see
// TestWithoutMain) without pgtest.Main.
const childEnv = "PGTEST_INTERNAL_CHILD"

func TestMain(m *testing.M) {
	if os.Getenv(childEnv) != "" {
		os.Exit(m.Run())
	}
	Main(m)
}

func TestAvailable(t *testing.T) {
	reason, ok := Available()
	t.Logf("Available() = %q, %v", reason, ok)
	if reason == "" {
		t.Error("Available gave no reason")
	}
}

func connect(t *testing.T, u string) *pgx.Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, u)
	if err != nil {
		t.Fatalf("connecting to %s: %v", redact(u), err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}

// TestIsolation creates two databases and checks that what one holds the
// other does not see. It uses pgx for one and database/sql for the other.
func TestIsolation(t *testing.T) {
	ctx := context.Background()
	u1, u2 := URL(t), URL(t)
	if u1 == u2 {
		t.Fatalf("URL gave the same URL twice: %s", u1)
	}

	c1 := connect(t, u1)
	db2, err := sql.Open("pgx", u2)
	if err != nil {
		t.Fatal(err)
	}
	defer db2.Close()

	var name1, name2 string
	if err := c1.QueryRow(ctx, "SELECT current_database()").Scan(&name1); err != nil {
		t.Fatal(err)
	}
	if err := db2.QueryRowContext(ctx, "SELECT current_database()").Scan(&name2); err != nil {
		t.Fatal(err)
	}
	if name1 == name2 {
		t.Fatalf("both URLs lead to database %s", name1)
	}

	// Fresh: no user tables.
	var n int
	if err := c1.QueryRow(ctx,
		"SELECT count(*) FROM pg_class c JOIN pg_namespace s ON s.oid = c.relnamespace WHERE s.nspname = 'public'").Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Fatalf("new database %s has %d relations in public", name1, n)
	}

	// Settings of the cluster that tests may rely on.
	var enc, tz string
	if err := c1.QueryRow(ctx, "SELECT current_setting('server_encoding'), current_setting('TimeZone')").Scan(&enc, &tz); err != nil {
		t.Fatal(err)
	}
	if enc != "UTF8" {
		t.Errorf("server_encoding = %s, want UTF8", enc)
	}
	t.Logf("server_encoding=%s TimeZone=%s", enc, tz)
	if srv.cluster != nil {
		var fsync, syncCommit string
		if err := c1.QueryRow(ctx, "SELECT current_setting('fsync'), current_setting('synchronous_commit')").Scan(&fsync, &syncCommit); err != nil {
			t.Fatal(err)
		}
		want := "on"
		if srv.cluster.fast {
			want = "off"
		}
		if fsync != want || syncCommit != want {
			t.Errorf("fast=%v, but fsync=%s synchronous_commit=%s", srv.cluster.fast, fsync, syncCommit)
		}
		if tz != "UTC" {
			t.Errorf("TimeZone = %s, want UTC", tz)
		}
	}

	if _, err := c1.Exec(ctx, "CREATE TABLE things (id int PRIMARY KEY, name text NOT NULL)"); err != nil {
		t.Fatal(err)
	}
	if _, err := c1.Exec(ctx, "INSERT INTO things VALUES (1, 'one'), (2, 'two')"); err != nil {
		t.Fatal(err)
	}
	var got string
	if err := c1.QueryRow(ctx, "SELECT name FROM things WHERE id = $1", 2).Scan(&got); err != nil || got != "two" {
		t.Fatalf("SELECT name = %q, %v; want two", got, err)
	}

	var reg sql.NullString
	if err := db2.QueryRowContext(ctx, "SELECT to_regclass('public.things')::text").Scan(&reg); err != nil {
		t.Fatal(err)
	}
	if reg.Valid {
		t.Fatalf("database %s sees the table of %s: %s", name2, name1, reg.String)
	}
	if _, err := db2.ExecContext(ctx, "SELECT * FROM things"); err == nil {
		t.Fatalf("database %s can query the table of %s", name2, name1)
	}

	// The same name in the other database is a different table.
	if _, err := db2.ExecContext(ctx, "CREATE TABLE things (id int PRIMARY KEY)"); err != nil {
		t.Fatal(err)
	}
	if err := db2.QueryRowContext(ctx, "SELECT count(*) FROM things").Scan(&n); err != nil || n != 0 {
		t.Fatalf("count in %s = %d, %v; want 0", name2, n, err)
	}
}

// TestDroppedAtCleanup checks that the database of a subtest is gone after
// it, even though a connection to it is still open.
func TestDroppedAtCleanup(t *testing.T) {
	ctx := context.Background()
	outer := connect(t, URL(t))

	var inner string
	var open *pgx.Conn
	t.Run("sub", func(t *testing.T) {
		u := URL(t)
		c, err := pgx.Connect(ctx, u) // no cleanup: left open on purpose
		if err != nil {
			t.Fatal(err)
		}
		open = c
		if err := c.QueryRow(ctx, "SELECT current_database()").Scan(&inner); err != nil {
			t.Fatal(err)
		}
	})
	if open != nil {
		defer open.Close(ctx)
	}
	if inner == "" {
		t.Fatal("the subtest got no database")
	}

	var exists bool
	if err := outer.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)", inner).Scan(&exists); err != nil {
		t.Fatal(err)
	}
	if exists {
		t.Fatalf("database %s still exists after its test", inner)
	}
	if err := open.Ping(ctx); err == nil {
		t.Error("the connection to the dropped database still works")
	}
}

func TestParallel(t *testing.T) {
	const n = 8
	var mu sync.Mutex
	names := map[string]bool{}
	t.Run("group", func(t *testing.T) {
		for i := range n {
			t.Run(strconv.Itoa(i), func(t *testing.T) {
				t.Parallel()
				c := connect(t, URL(t))
				var name string
				if err := c.QueryRow(context.Background(), "SELECT current_database()").Scan(&name); err != nil {
					t.Fatal(err)
				}
				mu.Lock()
				names[name] = true
				mu.Unlock()
			})
		}
	})
	if len(names) != n {
		t.Fatalf("%d parallel tests got %d distinct databases", n, len(names))
	}
}

func TestDBName(t *testing.T) {
	valid := regexp.MustCompile(`^pgtest_[a-z0-9_]*[0-9a-f]{10}$`)
	seen := map[string]bool{}
	for _, name := range []string{
		"TestX",
		"TestSomething/sub_test#01",
		strings.Repeat("VeryLongName", 20),
		"Ünïcödé/テスト",
		"",
	} {
		got := dbName(name)
		if len(got) > 63 || !valid.MatchString(got) || seen[got] {
			t.Errorf("dbName(%q) = %q", name, got)
		}
		seen[got] = true
	}
}

// TestMissing runs this test binary with no PostgreSQL to find, and checks
// that URL skips, or fails when CI=true.
func TestMissing(t *testing.T) {
	if os.Getenv(childEnv) == "missing" {
		URL(t)
		t.Fatal("URL returned without a PostgreSQL")
	}
	if os.Getenv(childEnv) != "" {
		t.Skip("child process")
	}
	for _, ci := range []string{"", "true"} {
		cmd := exec.Command(os.Args[0], "-test.run=^TestMissing$", "-test.v")
		cmd.Env = append(filteredEnv(), childEnv+"=missing", EnvBinDir+"=/nonexistent/pg/bin", "CI="+ci)
		out, err := cmd.CombinedOutput()
		t.Logf("CI=%q: err=%v\n%s", ci, err, out)
		if ci == "" && (err != nil || !strings.Contains(string(out), "--- SKIP: TestMissing")) {
			t.Errorf("without CI: want a skip")
		}
		if ci == "true" && (err == nil || !strings.Contains(string(out), "--- FAIL: TestMissing")) {
			t.Errorf("with CI=true: want a failure")
		}
		if !strings.Contains(string(out), EnvBinDir+"=/nonexistent/pg/bin has no executable initdb and postgres") {
			t.Errorf("the message does not say what is missing")
		}
	}
}

// TestWithoutMain runs this test binary without pgtest.Main, and checks that
// the cluster stops when that process exits and that sweepStale removes its
// directory.
func TestWithoutMain(t *testing.T) {
	if os.Getenv(childEnv) == "nomain" {
		URL(t)
		c := srv.cluster
		fmt.Printf("CLUSTER %s %d\n", c.root, c.cmd.Process.Pid)
		return
	}
	if os.Getenv(childEnv) != "" {
		t.Skip("child process")
	}
	if os.Getenv(EnvURL) != "" {
		t.Skip("uses a server from " + EnvURL)
	}
	if _, ok := Available(); !ok {
		URL(t) // skips or fails, as the other tests
	}

	cmd := exec.Command(os.Args[0], "-test.run=^TestWithoutMain$", "-test.v")
	cmd.Env = append(filteredEnv(), childEnv+"=nomain")
	out, err := cmd.CombinedOutput()
	t.Logf("child: err=%v\n%s", err, out)
	if err != nil {
		t.Fatal("the child failed")
	}
	var root string
	var pid int
	sc := bufio.NewScanner(strings.NewReader(string(out)))
	for sc.Scan() {
		if _, err := fmt.Sscanf(sc.Text(), "CLUSTER %s %d", &root, &pid); err == nil {
			break
		}
	}
	if root == "" || !strings.HasPrefix(filepath.Base(root), dirPrefix) {
		t.Fatal("the child did not report its cluster")
	}
	t.Cleanup(func() { os.RemoveAll(root) })

	deadline := time.Now().Add(15 * time.Second)
	for alive(pid) {
		if time.Now().After(deadline) {
			t.Fatalf("postgres (pid %d) still runs after its test process exited", pid)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if _, err := os.Stat(root); err != nil {
		t.Fatalf("want the directory left behind: %v", err)
	}
	sweepStale(filepath.Dir(root))
	if _, err := os.Stat(root); !os.IsNotExist(err) {
		t.Fatalf("sweepStale left %s: %v", root, err)
	}
}

// filteredEnv is the environment without the variables that the child
// tests set.
func filteredEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		switch k {
		case childEnv, EnvBinDir, EnvURL, "CI":
			continue
		}
		env = append(env, kv)
	}
	return env
}
