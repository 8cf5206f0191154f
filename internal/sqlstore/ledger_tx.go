package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"math/rand/v2"
	"time"

	"github.com/jackc/pgx/v5/stdlib"
)

// ledgerTx runs a ledger write: fn's first statement must be claimHead.
//
// Why READ COMMITTED on PostgreSQL, when every other write here is
// SERIALIZABLE: all writers of the ledger tables (every process on the
// database) update the one head row first. Under SERIALIZABLE or REPEATABLE
// READ a transaction takes its snapshot before it waits for that row lock,
// so when the holder commits the waiter can only fail (40001) and start
// again; with several processes most batches did, and a group of requests
// ran out of retries (issue 13). Under READ COMMITTED the head UPDATE waits
// for the lock and then proceeds on the newest version of the row, and
// every later statement takes a fresh snapshot that already holds every
// ledger write committed before the lock was granted. Since nobody else
// can write the ledger tables while this transaction holds the head row,
// what it reads after claimHead stays true until it commits: the head row
// is the cross-process queue (an ordinary row lock, no advisory lock), and
// the batch is as serial as under SERIALIZABLE without the aborts.
//
// SQLite keeps BEGIN IMMEDIATE, which queues writers the same way.
//
// Conflicts are still retried as a safety net (a writer that does not
// claim the head first, a deadlock, an engine that maps READ COMMITTED to
// something stricter): without an attempt limit, with jittered backoff
// capped at 50 ms, for as long as ctx lasts, so that contention delays a
// batch instead of failing it.
func (db *DB) ledgerTx(ctx context.Context, fn func(tx *sql.Tx, conn *sql.Conn) error) error {
	opts := db.txOptions()
	if db.Engine == Postgres {
		opts = &sql.TxOptions{Isolation: sql.LevelReadCommitted}
	}
	return db.retryConflicts(ctx, func() error { return db.attemptTx(ctx, opts, fn) })
}

// ledgerPipelineTx is ledgerTx for the batcher's batch on PostgreSQL,
// whose statements all go out as pipelines on conn: fn's first pipeline
// begins the transaction (claimPipeline) and its last one commits it
// (pipelineWrites or commitPipeline), and fn then returns errCommitted.
// database/sql's Tx is not used because its BEGIN and its closing
// ROLLBACK are a round trip each, and with one writer at a time every
// round trip of a batch is time nobody's batch runs (issue 13). When fn
// fails, database/sql does not know a transaction is open, so it is
// rolled back here (abandon): a connection returned to the pool with it
// would hold the head row, and every writer in every process would wait
// until that connection happened to be used again.
func (db *DB) ledgerPipelineTx(ctx context.Context, fn func(conn *sql.Conn) error) error {
	return db.retryConflicts(ctx, func() error {
		conn, err := db.SQL.Conn(ctx)
		if err != nil {
			return err
		}
		defer conn.Close()
		err = fn(conn)
		if errors.Is(err, errCommitted) {
			return nil
		}
		if err == nil {
			err = errors.New("ledger: the batch ended without committing")
		}
		abandon(conn)
		return err
	})
}

// abandon ends whatever transaction conn still has open: with ROLLBACK,
// or, when that cannot be done (the connection broke, the server does not
// answer), by closing the connection, which makes PostgreSQL roll back
// and the pool discard it. It runs on a context of its own, so that the
// caller's ended context cannot leave a transaction open.
func abandon(conn *sql.Conn) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = conn.Raw(func(dc any) error {
		pc := dc.(*stdlib.Conn).Conn().PgConn()
		if pc.IsClosed() || pc.TxStatus() == 'I' {
			return nil
		}
		if _, err := pc.Exec(ctx, `ROLLBACK`).ReadAll(); err != nil || pc.TxStatus() != 'I' {
			_ = pc.Close(ctx)
		}
		return nil
	})
}

// retryConflicts runs attempt until it succeeds, fails with an error that
// is not a conflict, or ctx ends.
func (db *DB) retryConflicts(ctx context.Context, attempt func() error) error {
	backoff := time.Millisecond
	for n := 1; ; n++ {
		err := attempt()
		if err == nil || !db.retryable(err) {
			return err
		}
		db.log.Debug("ledger write conflict, retrying", "attempt", n, "err", err)
		sleep := backoff/2 + time.Duration(rand.Int64N(int64(backoff)))
		t := time.NewTimer(sleep)
		select {
		case <-ctx.Done():
			t.Stop()
			return err // the conflict, not the deadline: nothing was written
		case <-t.C:
		}
		if backoff < 50*time.Millisecond {
			backoff *= 2
		}
	}
}

// asyncCommit reports whether ledger batches commit asynchronously: on
// PostgreSQL, unless the engine refuses synchronous_commit (a
// PostgreSQL-compatible engine may), which is probed once, in a transaction of its
// own that is rolled back. Called with c.mu held.
func (db *DB) asyncCommit(ctx context.Context, c *ledgerCache) bool {
	if db.Engine != Postgres {
		return false
	}
	if c.async == 0 {
		tx, err := db.SQL.BeginTx(ctx, nil)
		if err != nil {
			return false // probe again next time
		}
		c.async = -1
		if _, err := tx.ExecContext(ctx, `SET LOCAL synchronous_commit = off`); err == nil {
			c.async = 1
		} else {
			db.log.Info("ledger: the engine refuses synchronous_commit; batches commit synchronously", "err", err)
		}
		_ = tx.Rollback() // SET LOCAL ends with the transaction
	}
	return c.async == 1
}
