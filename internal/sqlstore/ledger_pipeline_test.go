package sqlstore

import (
	"context"
	"testing"
	"time"

	"bricstown/internal/ledger"
	"bricstown/internal/problem"
)

// TestGatheredBatchFailureReleasesEverything: on PostgreSQL the batcher's
// transaction is begun and committed inside its pipelines, not by
// database/sql, so nothing but the connection's own state says that a
// batch which failed after its claim still has its transaction open
// (ledgerPipelineTx relies on pgx's driver closing such a connection
// instead of pooling it). With one connection in the pool, a transaction
// left open would make the next batch run inside it (BEGIN in a
// transaction is only a warning), and the head row would stay locked for
// every other process.
func TestGatheredBatchFailureReleasesEverything(t *testing.T) {
	engines(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		ids := mkAccounts(t, db, "INR", 0, ledger.DebitsMustNotExceedCredits)
		db.SQL.SetMaxOpenConns(1)
		other, err := Open(ctx, db.dsnForTest(t), nil)
		if err != nil {
			t.Fatal(err)
		}
		defer other.Close()
		var before int64
		if err := db.SQL.QueryRowContext(ctx, `SELECT version FROM ledger_head WHERE id = 1`).Scan(&before); err != nil {
			t.Fatal(err)
		}
		one := func(amount int64) []ledger.Transfer {
			return []ledger.Transfer{{ID: newID(), DebitAccount: ids[0], CreditAccount: ids[1], Amount: amount}}
		}
		// Refused after the claim: too large, and nothing to write.
		tooMany := make([]ledger.Transfer, ledger.MaxBatch+1)
		if _, err := db.CreateTransfersGathered(ctx, func() ([]ledger.Transfer, ledger.BatchOptions) {
			return tooMany, ledger.BatchOptions{}
		}); !problem.Is(err, problem.TooLarge) {
			t.Fatalf("a batch over the limit: %v, want too_large", err)
		}
		if res, err := db.CreateTransfersGathered(ctx, func() ([]ledger.Transfer, ledger.BatchOptions) {
			return nil, ledger.BatchOptions{}
		}); err != nil || res != nil {
			t.Fatalf("an empty batch: %v %v", res, err)
		}
		var after int64
		if err := db.SQL.QueryRowContext(ctx, `SELECT version FROM ledger_head WHERE id = 1`).Scan(&after); err != nil {
			t.Fatal(err)
		}
		if after != before {
			t.Fatalf("the refused batches moved the head from %d to %d: their claims were not rolled back", before, after)
		}
		// The other handle is not kept waiting for the head row.
		wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		res, err := other.CreateTransfersGathered(wctx, func() ([]ledger.Transfer, ledger.BatchOptions) {
			return one(3), ledger.BatchOptions{}
		})
		if err != nil || res[0].Code != ledger.OK {
			t.Fatalf("another process's batch after the refused ones: %v %v", res, err)
		}
		// The one connection is clean: the next batch commits for everyone.
		res, err = db.CreateTransfersGathered(ctx, func() ([]ledger.Transfer, ledger.BatchOptions) {
			return one(4), ledger.BatchOptions{}
		})
		if err != nil || res[0].Code != ledger.OK {
			t.Fatalf("the next batch: %v %v", res, err)
		}
		a, err := other.GetAccount(ctx, ids[1])
		if err != nil {
			t.Fatal(err)
		}
		if a.CreditsPosted != 7 {
			t.Fatalf("the other handle sees credits of %d, want 7", a.CreditsPosted)
		}
		mustVerify(t, other)
	})
}

// TestEveryGatheredBatchIsFlushed: on PostgreSQL a batch commits without
// waiting for its fsync and is made durable by the flush after it. A
// batch that creates nothing needs that flush too: its answers ("exists"
// for a retried id, a refusal for lack of funds) were read from batches
// of other processes that may not be on disk yet. SQLite commits every
// batch synchronously and has no flush, hence PostgreSQL only.
func TestEveryGatheredBatchIsFlushed(t *testing.T) {
	db := OpenTest(t, Postgres)
	ctx := context.Background()
	ids := mkAccounts(t, db, "INR", 0, ledger.DebitsMustNotExceedCredits)
	flushes := func() int64 {
		var n int64
		err := db.SQL.QueryRowContext(ctx, `SELECT COALESCE((SELECT n FROM ledger_flush WHERE writer = $1), 0)`, db.lcache().writer).Scan(&n)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	batch := func(reqs ...ledger.Transfer) ledger.Code {
		t.Helper()
		res, err := db.CreateTransfersGathered(ctx, func() ([]ledger.Transfer, ledger.BatchOptions) { return reqs, ledger.BatchOptions{} })
		if err != nil {
			t.Fatal(err)
		}
		return res[0].Code
	}
	tr := ledger.Transfer{ID: newID(), DebitAccount: ids[0], CreditAccount: ids[1], Amount: 5}
	for i, c := range []struct {
		req  ledger.Transfer
		want ledger.Code
	}{
		{tr, ledger.OK},
		{tr, ledger.Exists},
		{ledger.Transfer{ID: newID(), DebitAccount: ids[1], CreditAccount: ids[0], Amount: 6}, ledger.ExceedsCredits},
	} {
		before := flushes()
		if got := batch(c.req); got != c.want {
			t.Fatalf("batch %d answered %s, want %s", i, got, c.want)
		}
		if after := flushes(); after != before+1 {
			t.Fatalf("batch %d (%s) was answered after %d flushes, want 1", i, c.want, after-before)
		}
	}
}
