package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
)

// bulkSpec names a multi-row statement: head, then n rows of cols
// parameters, then tail. Rows are written in pieces of the listed sizes
// (45 rows = 25+5+5+5+5 with sizes 400/100/25/5/1), so that a few
// prepared statements serve any number of rows and no write prepares a
// statement of its own.
type bulkSpec struct {
	key, head, tail string
	cols            int
	sizes           []int
}

// The bulk statements prepared once per process (SQLite; PostgreSQL writes
// transfers with COPY and balances with one UPDATE from arrays).
var (
	transferBulk = bulkSpec{"transfers", `INSERT INTO ledger_transfers (` + transferInsertCols + `) VALUES `, "", 16, []int{400, 100, 25, 5, 1}}
	balanceBulk  = bulkSpec{"balances", `INSERT INTO ledger_balances (row_id, debits_pending, debits_posted, credits_pending, credits_posted, last_seq) VALUES `,
		` ON CONFLICT (row_id) DO UPDATE SET debits_pending = excluded.debits_pending, debits_posted = excluded.debits_posted,
		credits_pending = excluded.credits_pending, credits_posted = excluded.credits_posted, last_seq = excluded.last_seq`, 6, []int{1000, 250, 50, 10, 1}}
	instructionBulk = bulkSpec{"instructions", `INSERT INTO settlement_instructions (seq, payer_row, e2e_id, payee_row, amount, currency, payee_currency,
		value_date, urgent, remittance, source, created_at, cancelled_at) VALUES `, "", 13, []int{500, 100, 20, 5, 1}}
	customsEventBulk = bulkSpec{"customs_events", `INSERT INTO customs_events (declaration_id, seq, at, actor_user, actor_org,
		action, from_status, to_status, detail, kind, params) VALUES `, "", 11, []int{8, 4, 2, 1}}
	customsReasonBulk = bulkSpec{"customs_risk_reasons", `INSERT INTO customs_risk_reasons (declaration_id, seq, rule_id, description,
		weight, at, actor_user) VALUES `, "", 7, []int{8, 4, 2, 1}}
	warmed = []bulkSpec{transferBulk, balanceBulk, instructionBulk, customsEventBulk, customsReasonBulk}
)

// bulkWrite writes rows with as few statements as the spec's sizes allow;
// row appends one row's values to args.
func bulkWrite[T any](ctx context.Context, db *DB, tx *sql.Tx, spec bulkSpec, rows []T, row func(args []any, r T) []any) error {
	start := 0
	for _, n := range pieces(len(rows), spec.sizes) {
		stmt, err := db.bulkStmt(ctx, tx, spec, n)
		if err != nil {
			return err
		}
		args := make([]any, 0, n*spec.cols)
		for _, r := range rows[start : start+n] {
			args = row(args, r)
		}
		start += n
		if _, err := stmt.ExecContext(ctx, args...); err != nil {
			return fmt.Errorf("%s: %w", spec.key, err)
		}
	}
	return nil
}

// pieces splits n rows into statement sizes, largest first.
func pieces(n int, sizes []int) []int {
	var out []int
	for _, s := range sizes {
		for n >= s {
			out = append(out, s)
			n -= s
		}
	}
	return out
}

// bulkStmt returns spec's statement for n rows, bound to tx. SQLite gets
// positional "?" parameters: its driver looks up "$N" names one by one,
// which makes binding a large statement quadratic.
//
// A statement prepared earlier on the pool is reused; one that is not is
// prepared on tx's own connection and not cached. A transaction must never
// wait for a second pool connection: the other connections may belong to
// requests waiting for the write lock this transaction holds.
func (db *DB) bulkStmt(ctx context.Context, tx *sql.Tx, spec bulkSpec, n int) (*sql.Stmt, error) {
	db.stmtMu.Lock()
	s, ok := db.stmts[fmt.Sprintf("%s/%d", spec.key, n)]
	db.stmtMu.Unlock()
	if ok {
		return tx.StmtContext(ctx, s), nil
	}
	return tx.PrepareContext(ctx, db.bulkSQL(spec, n))
}

func (db *DB) bulkSQL(spec bulkSpec, n int) string {
	var b strings.Builder
	b.WriteString(spec.head)
	p := 1
	for r := 0; r < n; r++ {
		if r > 0 {
			b.WriteByte(',')
		}
		b.WriteByte('(')
		for c := 0; c < spec.cols; c++ {
			if c > 0 {
				b.WriteByte(',')
			}
			if db.Engine == SQLite {
				b.WriteByte('?')
			} else {
				fmt.Fprintf(&b, "$%d", p)
			}
			p++
		}
		b.WriteByte(')')
	}
	b.WriteString(spec.tail)
	return b.String()
}

// warmBulk prepares, outside any transaction, the statements that large
// writes use again and again. Warmers queue on warmMu, not on the cache's
// mutex: preparing waits for a pool connection, and transactions holding
// SQLite's write lock take the cache's mutex (see prepared).
func (db *DB) warmBulk(ctx context.Context) error {
	db.warmMu.Lock()
	defer db.warmMu.Unlock()
	db.stmtMu.Lock()
	warm := db.warmed
	db.stmtMu.Unlock()
	if warm {
		return nil
	}
	ready := map[string]*sql.Stmt{}
	if db.Engine == SQLite {
		for _, spec := range warmed {
			for _, n := range spec.sizes {
				s, err := db.SQL.PrepareContext(ctx, db.bulkSQL(spec, n))
				if err != nil {
					for _, s := range ready {
						_ = s.Close()
					}
					return err
				}
				ready[fmt.Sprintf("%s/%d", spec.key, n)] = s
			}
		}
	}
	db.stmtMu.Lock()
	defer db.stmtMu.Unlock()
	if db.stmts == nil {
		db.stmts = map[string]*sql.Stmt{}
	}
	for k, s := range ready {
		db.stmts[k] = s
	}
	db.warmed = true
	return nil
}
