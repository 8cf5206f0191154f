// Package sqlstore is the storage adapter: it implements the domain Store
// interfaces on SQLite (embedded default) and PostgreSQL (production) with one
// set of SQL statements and migrations.
//
// Both engines get the same behaviour: every write runs in a serializable
// transaction that is retried on serialization failure (SQLSTATE 40001, or
// SQLITE_BUSY), so the code stays correct on PostgreSQL-compatible
// distributed engines that rely on optimistic concurrency. Nothing here uses
// advisory locks, sequences shared across rows, or other single-node tricks.
package sqlstore

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"bricstown/internal/groupcommit"
	"bricstown/internal/problem"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" database/sql driver
	sqlite "modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// Engine names the database engine behind a DB; SQL differences between the
// two are kept to the few places that switch on it.
type Engine string

const (
	SQLite   Engine = "sqlite"
	Postgres Engine = "postgres"
)

// DB is the platform's database handle. It is safe for concurrent use.
type DB struct {
	SQL    *sql.DB
	Engine Engine
	// Where is a human-readable location (file path or host/dbname without
	// password) for logs and the version command.
	Where string
	log   *slog.Logger

	ledgerOnce sync.Once
	ledger     *ledgerCache
	// The one statement cache (stmt.go): bulk statements warmed in their
	// sizes, and statements a transaction once ran unprepared.
	stmtMu sync.Mutex
	warmMu sync.Mutex // serialises warmBulk, which prepares without stmtMu
	stmts  map[string]*sql.Stmt
	wanted map[string]bool
	warmed bool

	customsOnce sync.Once
	customs     *groupcommit.Queue[*customsPending]
	bookingOnce sync.Once
	bookings    *groupcommit.Queue[*bookingOp]
}

// DefaultSQLitePath is where `serve` keeps its data when no --db is given.
const DefaultSQLitePath = "./bricstown-data/bricstown.db"

// Open connects to the database named by dsn: a postgres:// or postgresql://
// URL selects PostgreSQL; anything else is a SQLite file path, optionally
// prefixed with "sqlite:" or "file:". The directory of a SQLite file is
// created if missing so that a fresh checkout runs with no setup.
func Open(ctx context.Context, dsn string, log *slog.Logger) (*DB, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		return openPostgres(ctx, dsn, log)
	}
	path := strings.TrimPrefix(strings.TrimPrefix(dsn, "sqlite:"), "file:")
	if path == "" {
		path = DefaultSQLitePath
	}
	return openSQLite(ctx, path, log)
}

func openSQLite(ctx context.Context, path string, log *slog.Logger) (*DB, error) {
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o750); err != nil {
			return nil, fmt.Errorf("sqlstore: create data directory: %w", err)
		}
	}
	// WAL lets readers run beside the single writer; synchronous=FULL fsyncs
	// the WAL on every commit so that an acknowledged write survives a power
	// cut; _txlock=immediate takes the write lock at BEGIN, so two writers
	// never deadlock upgrading read locks and busy_timeout can queue them.
	q := url.Values{}
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "synchronous(FULL)")
	q.Add("_pragma", "foreign_keys(1)")
	q.Add("_pragma", "busy_timeout(10000)")
	q.Add("_pragma", "cache_size(-65536)")
	q.Add("_txlock", "immediate")
	db, err := sql.Open("sqlite", "file:"+path+"?"+q.Encode())
	if err != nil {
		return nil, fmt.Errorf("sqlstore: open sqlite %s: %w", path, err)
	}
	db.SetMaxOpenConns(8)
	db.SetMaxIdleConns(8)
	db.SetConnMaxIdleTime(0)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("sqlstore: open sqlite %s: %w", path, err)
	}
	return &DB{SQL: db, Engine: SQLite, Where: path, log: log}, nil
}

func openPostgres(ctx context.Context, dsn string, log *slog.Logger) (*DB, error) {
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: open postgres: %w", err)
	}
	db.SetMaxOpenConns(16)
	db.SetMaxIdleConns(16)
	where := "postgres" // never the DSN itself: it may hold a password
	if u, err := url.Parse(dsn); err == nil {
		u.User = nil
		u.RawQuery = ""
		where = u.String()
	}
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("sqlstore: open postgres %s: %w", where, err)
	}
	return &DB{SQL: db, Engine: Postgres, Where: where, log: log}, nil
}

// Close releases the connections.
func (db *DB) Close() error { return db.SQL.Close() }

// Tx runs fn in a serializable transaction and commits it, retrying the
// whole of fn when the engine reports a serialization conflict. fn must
// therefore have no effects outside the transaction (no sends, no metrics
// that must not double count) and must not keep the *sql.Tx.
//
// A failure to reach the database comes back as problem.Unavailable (nothing
// was applied) and a COMMIT whose answer was lost as problem.OutcomeUnknown
// (see Classify and finish).
func (db *DB) Tx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	return Classify(db.retry(ctx, func() error {
		tx, err := db.SQL.BeginTx(ctx, db.txOptions())
		if err != nil {
			return err
		}
		return finish(tx, fn(tx))
	}))
}

// TxConn is Tx for work that also needs the transaction's own connection,
// such as PostgreSQL's COPY: fn gets the *sql.Conn the transaction runs on.
func (db *DB) TxConn(ctx context.Context, fn func(tx *sql.Tx, conn *sql.Conn) error) error {
	return db.txConn(ctx, db.txOptions(), fn)
}

// txConn is TxConn at the isolation opts asks for: a writer that queues
// on row locks it takes first (see writeBookingBatch) runs at READ
// COMMITTED on PostgreSQL.
func (db *DB) txConn(ctx context.Context, opts *sql.TxOptions, fn func(tx *sql.Tx, conn *sql.Conn) error) error {
	return Classify(db.retry(ctx, func() error { return db.attemptTx(ctx, opts, fn) }))
}

// attemptTx runs fn once in a transaction at opts on a connection of its
// own, committing it unless fn failed (finish).
func (db *DB) attemptTx(ctx context.Context, opts *sql.TxOptions, fn func(tx *sql.Tx, conn *sql.Conn) error) error {
	conn, err := db.SQL.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	tx, err := conn.BeginTx(ctx, opts)
	if err != nil {
		return err
	}
	return finish(tx, fn(tx, conn))
}

func (db *DB) txOptions() *sql.TxOptions {
	if db.Engine == Postgres {
		return &sql.TxOptions{Isolation: sql.LevelSerializable}
	}
	return nil // SQLite: BEGIN IMMEDIATE from the DSN, serializable by nature
}

// finish commits tx, or rolls it back when fn failed. A COMMIT that fails
// without a definite answer from the server is OutcomeUnknown: the server
// may have committed and lost only the reply (the connection dropped, the
// primary died while the synchronous standby was confirming, the context
// ended while waiting), so neither "failed" nor "done" would be true.
func finish(tx *sql.Tx, err error) error {
	if err != nil {
		_ = tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		if commitNotSent(err) {
			return err // Classify makes it Unavailable: nothing was applied
		}
		return commitUnknown(err)
	}
	return nil
}

// commitUnknown is the answer when a COMMIT was sent and its answer was
// lost: the change may or may not be applied.
func commitUnknown(err error) error {
	return &problem.Error{Code: problem.OutcomeUnknown, Err: err, RetryAfter: RetryAfter,
		Message: "the database did not confirm the commit: the change may or may not be applied; retry with the same ids"}
}

// commitNotSent reports a COMMIT failure that certainly applied nothing:
// the server refused it with an ERROR (serialization failure, deferred
// constraint; a FATAL such as 57P01 can come after the commit took effect),
// the transaction had already been rolled back, or database/sql found the
// context ended before it sent anything. pgconn.SafeToRetry is no proof
// here: when the connection drops while pgx waits for COMMIT's answer it
// can report "conn closed", which claims nothing was sent (TestOutageCodes
// catches exactly that).
func commitNotSent(err error) bool {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Severity == "ERROR"
	}
	switch {
	case err == context.Canceled || err == context.DeadlineExceeded: // database/sql checks ctx before sending
		return true
	case errors.Is(err, sql.ErrTxDone), errors.Is(err, pgx.ErrTxCommitRollback):
		return true
	}
	var se *sqlite.Error
	return errors.As(err, &se) // SQLite commits in process: its error is the answer
}

// RetryAfter is how long a client is told to wait after the database was
// unavailable: a restart or a promotion of a standby takes seconds.
const RetryAfter = time.Second

// Classify is the one place where errors of the database drivers become
// problem codes: a database that cannot be reached or is shutting down,
// starting up or read-only (a standby not yet promoted) is
// problem.Unavailable with RetryAfter; a serialization conflict or lock
// that outlived every retry is Unavailable too (the database is
// overloaded). Anything else, and errors that already carry a problem
// code, come back unchanged (a PostgreSQL ERROR is a bug until shown
// otherwise). Tx and TxConn apply it; the HTTP and web adapters apply it to
// errors of reads that reach them unclassified.
func Classify(err error) error {
	if err == nil {
		return nil
	}
	var prob *problem.Error
	if errors.As(err, &prob) {
		return err
	}
	if unavailable(err) {
		return &problem.Error{Code: problem.Unavailable, Err: err, RetryAfter: RetryAfter,
			Message: "the database is unavailable; nothing was applied, try again"}
	}
	return err
}

// Classify is the package function Classify, for adapters that hold a *DB.
func (db *DB) Classify(err error) error { return Classify(err) }

func unavailable(err error) bool {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		if strings.HasPrefix(pe.Code, "08") { // connection exception
			return true
		}
		switch pe.Code {
		case "57P01", // admin_shutdown, also pg_terminate_backend
			"57P02",          // crash_shutdown
			"57P03",          // cannot_connect_now: starting up, shutting down, in recovery
			"53300",          // too_many_connections
			"25006",          // read_only_sql_transaction: a standby
			"40001", "40P01": // conflicts that outlived the retries
			return true
		}
		return false
	}
	var ce *pgconn.ConnectError
	var ne net.Error
	var se *sqlite.Error
	switch {
	case errors.As(err, &ce), errors.As(err, &ne):
		return true
	case errors.Is(err, driver.ErrBadConn), errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF),
		errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE):
		return true
	case errors.Is(err, context.DeadlineExceeded): // waiting for a connection, or a query, past the deadline
		return true
	case pgconn.SafeToRetry(err): // "conn closed" and others before anything was sent
		return true
	case errors.As(err, &se):
		switch se.Code() & 0xff {
		case sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED:
			return true
		}
	}
	return false
}

// retry runs attempt until it succeeds, fails for a reason a retry cannot
// fix, or has failed maxAttempts times, with jittered exponential backoff
// so that colliding transactions do not collide again in lock step.
func (db *DB) retry(ctx context.Context, attempt func() error) error {
	// Conflicts are retried for a while, not a number of times: under
	// contention from several processes (or a slow machine) a dozen quick
	// attempts can all meet a writer, and the client would get a 503 for
	// what waiting a little longer resolves.
	const retryFor = 10 * time.Second
	start := time.Now()
	backoff := 2 * time.Millisecond
	for n := 1; ; n++ {
		err := attempt()
		if err == nil || !db.retryable(err) || time.Since(start) > retryFor {
			return err
		}
		db.log.Debug("retrying serialization conflict", "attempt", n, "err", err)
		sleep := backoff/2 + time.Duration(rand.Int64N(int64(backoff)))
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(sleep):
		}
		if backoff < 100*time.Millisecond {
			backoff *= 2
		}
	}
}

// retryable reports a conflict that a fresh attempt of the same transaction
// may not meet again.
func (db *DB) retryable(err error) bool {
	if problem.Is(err, problem.OutcomeUnknown) {
		return false // the first attempt may have committed
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		// 40001 serialization_failure, 40P01 deadlock_detected.
		return pe.Code == "40001" || pe.Code == "40P01"
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		switch se.Code() & 0xff {
		case sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED:
			return true
		}
	}
	return false
}

// IsUniqueViolation reports whether err is a unique or primary-key
// constraint failure, which stores turn into idempotency answers or
// Conflict errors.
func IsUniqueViolation(err error) bool {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code == "23505"
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		return se.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE || se.Code() == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY
	}
	return false
}

// Ping checks that the database answers; /readyz uses it. After a failover
// every pooled connection to the old primary is dead, and database/sql
// discards only the few it tries in one call: a probe that gave up there
// would keep a healthy instance out of the load balancer until traffic
// happened to flush the pool. So Ping goes on while the pool hands it dead
// connections, at most once per connection the pool may hold.
func (db *DB) Ping(ctx context.Context) error {
	var err error
	for i := 0; i <= db.SQL.Stats().MaxOpenConnections; i++ {
		if err = db.SQL.PingContext(ctx); !errors.Is(err, driver.ErrBadConn) {
			return err
		}
	}
	return err
}
