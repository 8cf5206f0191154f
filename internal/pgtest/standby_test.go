package pgtest

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// TestPair: a commit acknowledged by the primary is on the standby at once
// (synchronous replication), the standby refuses writes until promoted, and
// the pair's multi-host URL reaches whichever node accepts writes.
func TestPair(t *testing.T) {
	p := StartPair(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, p.URL())
	if err != nil {
		t.Fatal(err)
	}
	if conn.PgConn().Conn().RemoteAddr().String() != "127.0.0.1:"+strconv.Itoa(p.Primary.Port()) {
		t.Fatalf("the pair's URL reached %s, not the primary", conn.PgConn().Conn().RemoteAddr())
	}
	for _, q := range []string{`CREATE TABLE t (x INT)`, `INSERT INTO t VALUES (1)`} {
		if _, err := conn.Exec(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	conn.Close(ctx)
	standby, err := pgx.Connect(ctx, p.Standby.URL())
	if err != nil {
		t.Fatal(err)
	}
	var n int
	// Synchronous commit waits for the standby to flush, not to replay:
	// wait for replay before reading.
	for {
		err := standby.QueryRow(ctx, `SELECT COUNT(*) FROM t`).Scan(&n)
		if err == nil && n == 1 {
			break
		}
		if ctx.Err() != nil {
			t.Fatalf("standby never showed the row: %d %v", n, err)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if _, err := standby.Exec(ctx, `INSERT INTO t VALUES (2)`); err == nil {
		t.Fatal("the standby accepted a write before its promotion")
	}
	standby.Close(ctx)

	p.Primary.Kill()
	if err := p.Standby.Promote(ctx); err != nil {
		t.Fatal(err)
	}
	conn, err = pgx.Connect(ctx, p.URL())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, `INSERT INTO t VALUES (2)`); err != nil {
		t.Fatalf("write through the pair's URL after the promotion: %v", err)
	}
	if err := conn.QueryRow(ctx, `SELECT COUNT(*) FROM t`).Scan(&n); err != nil || n != 2 {
		t.Fatalf("%d rows, %v", n, err)
	}
}
