package sqlstore

import (
	"context"
	"database/sql"
)

// The store's one statement cache. Parsing the same SQL again for every
// write was a fifth of the customs write path on SQLite, so statements are
// prepared once per DB and reused on a transaction's connection with
// Tx.StmtContext. A statement is prepared on the pool only outside any
// transaction: a transaction must never wait for a second pool connection,
// which may belong to a request waiting for the write lock it holds (the
// pool deadlock the crash test once found). Bulk statements are warmed in
// their sizes (warmBulk); other statements a transaction ran unprepared are
// remembered and prepared before the next batch (prepareWanted).

// prepared returns query's statement, preparing it on the pool the first
// time. Call it outside transactions only.
//
// The cache's mutex is not held while preparing: preparing waits for a
// pool connection, and a transaction holding SQLite's write lock takes the
// mutex (cached) for its next statement. Holding it here let a reader
// wait for a connection held by requests queued on the write lock, while
// the lock's holder waited for the mutex, until SQLite's busy timeout
// failed the queue (TestFestivalCancelUnderFire, once in CI).
func (db *DB) prepared(ctx context.Context, query string) (*sql.Stmt, error) {
	db.stmtMu.Lock()
	st, ok := db.stmts[query]
	db.stmtMu.Unlock()
	if ok {
		return st, nil
	}
	st, err := db.SQL.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	db.stmtMu.Lock()
	defer db.stmtMu.Unlock()
	if prev, ok := db.stmts[query]; ok {
		_ = st.Close() // another caller prepared it meanwhile
		return prev, nil
	}
	if db.stmts == nil {
		db.stmts = map[string]*sql.Stmt{}
	}
	db.stmts[query] = st
	return st, nil
}

// txExec runs query inside tx: on its cached statement when there is one,
// else directly on tx's connection, remembering it for prepareWanted.
func (db *DB) txExec(ctx context.Context, tx *sql.Tx, query string, args ...any) (sql.Result, error) {
	if st := db.cached(query); st != nil {
		return tx.StmtContext(ctx, st).ExecContext(ctx, args...)
	}
	return tx.ExecContext(ctx, query, args...)
}

// prepareWanted prepares, outside any transaction, the statements that
// transactions ran unprepared since the last call.
func (db *DB) prepareWanted(ctx context.Context) {
	db.stmtMu.Lock()
	var qs []string
	for q := range db.wanted {
		qs = append(qs, q)
	}
	db.wanted = nil
	db.stmtMu.Unlock()
	for _, q := range qs {
		if _, err := db.prepared(ctx, q); err != nil {
			db.log.Warn("prepare statement", "err", err)
		}
	}
}

// txQuery is txExec for a query that returns rows.
func (db *DB) txQuery(ctx context.Context, tx *sql.Tx, query string, args ...any) (*sql.Rows, error) {
	if st := db.cached(query); st != nil {
		return tx.StmtContext(ctx, st).QueryContext(ctx, args...)
	}
	return tx.QueryContext(ctx, query, args...)
}

// txQueryRow is txExec for a query that returns one row.
func (db *DB) txQueryRow(ctx context.Context, tx *sql.Tx, query string, args ...any) *sql.Row {
	if st := db.cached(query); st != nil {
		return tx.StmtContext(ctx, st).QueryRowContext(ctx, args...)
	}
	return tx.QueryRowContext(ctx, query, args...)
}

// cached returns query's statement, or nil after remembering it for
// prepareWanted.
func (db *DB) cached(query string) *sql.Stmt {
	db.stmtMu.Lock()
	defer db.stmtMu.Unlock()
	if st, ok := db.stmts[query]; ok {
		return st
	}
	if db.wanted == nil {
		db.wanted = map[string]bool{}
	}
	db.wanted[query] = true
	return nil
}

// queryRow runs a one-row read outside any transaction on query's cached
// statement (prepared on first use); hot reads such as a booking's
// resource spent a tenth of the booking benchmark parsing SQL without it.
func (db *DB) queryRow(ctx context.Context, query string, args ...any) *sql.Row {
	st, err := db.prepared(ctx, query)
	if err != nil {
		return db.SQL.QueryRowContext(ctx, query, args...)
	}
	return st.QueryRowContext(ctx, args...)
}
