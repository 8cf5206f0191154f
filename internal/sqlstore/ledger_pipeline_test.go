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
// database/sql, so a batch that fails after its claim must end its
// transaction itself. Left open on a pooled connection, it would hold the
// head row until that connection was next used: here, with one
// connection in the pool and nothing using it, the other handle's batch
// would wait for ever.
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
		version := func() int64 {
			var v int64
			if err := other.SQL.QueryRowContext(ctx, `SELECT version FROM ledger_head WHERE id = 1`).Scan(&v); err != nil {
				t.Fatal(err)
			}
			return v
		}
		before := version()
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
		if after := version(); after != before+2 {
			t.Fatalf("the head moved from %d to %d over two batches: the refused ones' claims were not rolled back", before, after)
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
