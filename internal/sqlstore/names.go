package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"bricstown/internal/audit"
	"bricstown/internal/ledger"
	"bricstown/internal/problem"
)

// likePattern makes a LIKE pattern that finds s anywhere, with LIKE's own
// wildcards in s taken literally (ESCAPE '\' on both engines). Both sides
// are lower-cased by the query: SQLite's LIKE ignores ASCII case and
// PostgreSQL's does not, so neither engine's default is relied on.
func likePattern(s string) string {
	s = strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(strings.ToLower(s))
	return "%" + s + "%"
}

// SearchAccounts implements ledger.Store.
func (db *DB) SearchAccounts(ctx context.Context, q ledger.AccountQuery) ([]ledger.Account, error) {
	pat := ""
	if q.Search != "" {
		pat = likePattern(q.Search)
	}
	rows, err := db.SQL.QueryContext(ctx, `SELECT `+accountCols+accountFrom+` WHERE a.org_id = $1 AND a.row_id > $2
		AND ($3 = '' OR LOWER(a.code) LIKE $3 ESCAPE '\' OR LOWER(a.name) LIKE $3 ESCAPE '\')
		AND ($4 = '' OR a.currency = $4) AND ($5 = '' OR a.kind = $5)
		ORDER BY a.row_id LIMIT $6`, q.OrgID, q.AfterRow, pat, q.Currency, string(q.Kind), q.Limit)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: search accounts: %w", err)
	}
	return collect(rows, scanAccount)
}

// SeqBefore implements ledger.Store: the walk back along the account's
// chain that BalanceAt makes, to the last transfer before t.
func (db *DB) SeqBefore(ctx context.Context, account ledger.ID, t time.Time) (int64, error) {
	a, err := db.GetAccount(ctx, account)
	if err != nil {
		return 0, err
	}
	seq, err := db.lastSeqBefore(ctx, a, t, false)
	if err != nil {
		return 0, fmt.Errorf("sqlstore: seq before: %w", err)
	}
	return seq, nil
}

// SaveCounterparty implements ledger.Store.
func (db *DB) SaveCounterparty(ctx context.Context, c ledger.SavedCounterparty, rec audit.Record) error {
	return db.Tx(ctx, func(tx *sql.Tx) error {
		var label string
		err := tx.QueryRowContext(ctx, `SELECT label FROM saved_counterparties WHERE org_id = $1 AND account_id = $2`, c.OrgID, c.Account[:]).Scan(&label)
		if err == nil {
			return &problem.Error{Code: problem.Conflict, Message: "account already saved",
				Fields: problem.Fields{"account_id": "already saved as " + label}}
		}
		if err != sql.ErrNoRows {
			return err
		}
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM saved_counterparties WHERE org_id = $1 AND label = $2`, c.OrgID, c.Label).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return &problem.Error{Code: problem.Conflict, Message: "label in use", Fields: problem.Fields{"label": "already in use"}}
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO saved_counterparties (id, org_id, account_id, currency, label, created_by, created_at)
			VALUES ($1,$2,$3,$4,$5,$6,$7)`, c.ID, c.OrgID, c.Account[:], c.Currency, c.Label, c.CreatedBy, micros(c.CreatedAt)); err != nil {
			if IsUniqueViolation(err) {
				return problem.Wrap(problem.Conflict, err, "counterparty already saved")
			}
			return err
		}
		return appendAudit(ctx, tx, time.Now(), rec)
	})
}

// ListCounterparties implements ledger.Store.
func (db *DB) ListCounterparties(ctx context.Context, orgID, currency string) ([]ledger.SavedCounterparty, error) {
	rows, err := db.SQL.QueryContext(ctx, `SELECT id, org_id, account_id, currency, label, created_by, created_at FROM saved_counterparties
		WHERE org_id = $1 AND ($2 = '' OR currency = $2) ORDER BY label, id LIMIT 1000`, orgID, currency)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: list counterparties: %w", err)
	}
	return collect(rows, func(sc interface{ Scan(...any) error }) (ledger.SavedCounterparty, error) {
		var c ledger.SavedCounterparty
		var acct []byte
		var at int64
		err := sc.Scan(&c.ID, &c.OrgID, &acct, &c.Currency, &c.Label, &c.CreatedBy, &at)
		copy(c.Account[:], acct)
		c.CreatedAt = fromMicros(at)
		return c, err
	})
}

// DeleteCounterparty implements ledger.Store.
func (db *DB) DeleteCounterparty(ctx context.Context, orgID, id string, rec audit.Record) error {
	return db.Tx(ctx, func(tx *sql.Tx) error {
		var label string
		err := tx.QueryRowContext(ctx, `SELECT label FROM saved_counterparties WHERE org_id = $1 AND id = $2`, orgID, id).Scan(&label)
		if err == sql.ErrNoRows {
			return problem.New(problem.NotFound, "no such counterparty")
		}
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM saved_counterparties WHERE org_id = $1 AND id = $2`, orgID, id); err != nil {
			return err
		}
		rec.Detail = label
		return appendAudit(ctx, tx, time.Now(), rec)
	})
}
