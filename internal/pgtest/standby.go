package pgtest

import (
	"context"
	"fmt"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"bricstown/internal/testenv"

	"github.com/jackc/pgx/v5"
)

// StandbyName is the application_name of the standby of a [Pair], the name
// the primary's synchronous_standby_names waits for.
const StandbyName = "standby1"

// PairDB is the database a [Pair] makes for the test.
const PairDB = "bricstown"

// Pair is a PostgreSQL primary with a synchronous streaming-replication
// standby, two throwaway clusters of this test alone:
//
//   - the primary runs with synchronous_commit=on and
//     synchronous_standby_names='standby1', so a COMMIT is answered only
//     once the standby has the commit's WAL: what a client was told is
//     committed survives the loss of the primary;
//   - a role "replicator" (REPLICATION LOGIN) streams to the standby through
//     the replication entry for 127.0.0.1 that initdb writes to pg_hba.conf
//     (trust, like everything in these clusters);
//   - the standby is made with pg_basebackup -R (standby.signal and a
//     primary_conninfo with application_name=standby1) and runs as a hot
//     standby; it has no synchronous_standby_names, so once promoted it
//     commits alone;
//   - both run with fsync=off: tests kill processes, not the machine, and
//     what a process wrote survives it in the page cache.
//
// Cleanup stops both and removes their directories.
type Pair struct {
	Primary, Standby *Node
}

// Node is one server of a Pair.
type Node struct {
	c *cluster
}

// Port is the TCP port of the node on 127.0.0.1.
func (n *Node) Port() int { return n.c.port }

// URL connects to the node's PairDB as the superuser.
func (n *Node) URL() string {
	return fmt.Sprintf("postgres://%s@127.0.0.1:%d/%s?sslmode=disable", superuser, n.c.port, PairDB)
}

// Kill ends the node as a lost machine would: SIGKILL to the postmaster
// and every backend (its process group) at once, so no backend lingers to
// answer anything; it returns once the postmaster is gone.
func (n *Node) Kill() {
	syscall.Kill(-n.c.cmd.Process.Pid, syscall.SIGKILL)
	<-n.c.exited
}

// Promote makes a standby the primary (pg_promote, which is what
// pg_ctl promote asks for) and waits until it accepts writes.
func (n *Node) Promote(ctx context.Context) error {
	conn, err := pgx.Connect(ctx, n.c.adminURL())
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	var ok bool
	if err := conn.QueryRow(ctx, `SELECT pg_promote(true, 60)`).Scan(&ok); err != nil {
		return fmt.Errorf("pg_promote: %w", err)
	}
	if !ok {
		return fmt.Errorf("pg_promote: the standby was not promoted within 60 s")
	}
	return nil
}

// URL is the multi-host connection string an application uses to follow
// the primary: libpq and pgx try the hosts in order and keep the first that
// accepts writes (target_session_attrs=read-write), so after a promotion the
// same string reaches the new primary.
func (p *Pair) URL() string {
	return fmt.Sprintf("postgres://%s@127.0.0.1:%d,127.0.0.1:%d/%s?sslmode=disable&target_session_attrs=read-write&connect_timeout=5",
		superuser, p.Primary.c.port, p.Standby.c.port, PairDB)
}

// StartPair starts a primary and its synchronous standby and waits until the
// primary reports the standby as sync in pg_stat_replication. It needs the
// PostgreSQL server binaries (BRICSTOWN_TEST_POSTGRES_URL cannot give a
// standby): without them it skips t, or fails it when CI is true.
func StartPair(t testing.TB) *Pair {
	t.Helper()
	bins, err := findBinaries()
	if err == nil {
		_, err = exec.LookPath(filepath.Join(bins.dir(), "pg_basebackup"))
	}
	if err != nil {
		if testenv.CI() {
			t.Fatalf("pgtest: a primary and standby need the PostgreSQL binaries: %v", err)
		}
		t.Skipf("pgtest: a primary and standby need the PostgreSQL binaries: %v", err)
	}
	run, err := serverUser()
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	primary, err := startClusterWith(bins, run, false, []string{
		"-c", "fsync=off",
		"-c", "wal_level=replica",
		"-c", "max_wal_senders=4",
		"-c", "synchronous_commit=on",
		"-c", "synchronous_standby_names=" + StandbyName,
	}, nil)
	if err != nil {
		t.Fatalf("pgtest: starting the primary: %v", err)
	}
	t.Cleanup(func() { primary.stop() })
	ctx, cancel := context.WithTimeout(context.Background(), opTimeout)
	defer cancel()
	admin, err := pgx.Connect(ctx, primary.adminURL())
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close(ctx)
	// Before the standby exists, a commit on the primary would wait for it:
	// these two do not (CREATE DATABASE and CREATE ROLE write WAL, but
	// synchronous_commit is turned off for this session alone).
	for _, q := range []string{`SET synchronous_commit = local`, `CREATE ROLE replicator WITH REPLICATION LOGIN`, `CREATE DATABASE ` + PairDB} {
		if _, err := admin.Exec(ctx, q); err != nil {
			t.Fatalf("pgtest: primary: %s: %v", q, err)
		}
	}

	conninfo := fmt.Sprintf("host=127.0.0.1 port=%d user=replicator application_name=%s", primary.port, StandbyName)
	standby, err := startClusterWith(bins, run, false, []string{
		"-c", "fsync=off",
		"-c", "hot_standby=on",
		"-c", "primary_conninfo=" + conninfo,
	}, func(c *cluster) error {
		cmd := exec.Command(filepath.Join(bins.dir(), "pg_basebackup"),
			"-D", c.data, "-d", conninfo, "-R", "-X", "stream", "-c", "fast", "--no-sync")
		cmd.Dir = c.root
		cmd.Env = c.env()
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: run.cred, Pdeathsig: syscall.SIGKILL}
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("pg_basebackup as user %s: %w\n%s", run.name, err, tail(out))
		}
		return nil
	})
	if err != nil {
		t.Fatalf("pgtest: starting the standby: %v", err)
	}
	t.Cleanup(func() { standby.stop() })

	for {
		var state string
		err := admin.QueryRow(ctx, `SELECT sync_state FROM pg_stat_replication WHERE application_name = $1`, StandbyName).Scan(&state)
		if err == nil && state == "sync" {
			break
		}
		if ctx.Err() != nil {
			t.Fatalf("pgtest: the standby did not become synchronous: %q %v", state, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Logf("pgtest: primary 127.0.0.1:%d with synchronous standby 127.0.0.1:%d in %v (%s as user %s)",
		primary.port, standby.port, time.Since(start).Round(time.Millisecond), bins.dir(), run.name)
	return &Pair{Primary: &Node{primary}, Standby: &Node{standby}}
}
