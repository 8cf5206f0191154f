package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"bricstown/internal/audit"
	"bricstown/internal/guarantee"
	"bricstown/internal/problem"
)

const guaranteeCols = `id, reference, bank_org, principal_org, beneficiary_org, backing_account, revenue_account, amount, remaining,
	valid_until, status, hold_seq, created_at, created_by, updated_at`

func scanGuarantee(sc interface{ Scan(...any) error }) (guarantee.Guarantee, error) {
	var g guarantee.Guarantee
	var until, created, updated int64
	var status string
	err := sc.Scan(&g.ID, &g.Reference, &g.BankOrg, &g.PrincipalOrg, &g.BeneficiaryOrg, &g.BackingAccount, &g.RevenueAccount,
		&g.AmountKZT, &g.RemainingKZT, &until, &status, &g.HoldSeq, &created, &g.CreatedBy, &updated)
	g.ValidUntil, g.CreatedAt, g.UpdatedAt, g.Status = fromMicros(until), fromMicros(created), fromMicros(updated), guarantee.Status(status)
	return g, err
}

const guaranteeMoveCols = `guarantee_id, seq, kind, declaration_id, amount, transfer_id, done, at, by_user`

func scanGuaranteeMove(sc interface{ Scan(...any) error }) (guarantee.Move, error) {
	var m guarantee.Move
	var kind string
	var decl sql.NullString
	var at int64
	err := sc.Scan(&m.GuaranteeID, &m.Seq, &kind, &decl, &m.AmountKZT, &m.TransferID, &m.Done, &at, &m.By)
	m.Kind, m.DeclarationID, m.At = guarantee.MoveKind(kind), decl.String, fromMicros(at)
	return m, err
}

// CreateGuarantee implements guarantee.Store.
func (db *DB) CreateGuarantee(ctx context.Context, g guarantee.Guarantee, rec audit.Record) error {
	return db.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO guarantees (`+guaranteeCols+`) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15)`,
			g.ID, g.Reference, g.BankOrg, g.PrincipalOrg, g.BeneficiaryOrg, g.BackingAccount, g.RevenueAccount, g.AmountKZT, g.RemainingKZT,
			micros(g.ValidUntil), string(g.Status), g.HoldSeq, micros(g.CreatedAt), g.CreatedBy, micros(g.UpdatedAt)); err != nil {
			if IsUniqueViolation(err) {
				return problem.New(problem.Conflict, "the guarantee exists")
			}
			return fmt.Errorf("sqlstore: create guarantee: %w", err)
		}
		return appendAudit(ctx, tx, g.CreatedAt, rec)
	})
}

// GetGuarantee implements guarantee.Store.
func (db *DB) GetGuarantee(ctx context.Context, id string) (guarantee.Guarantee, error) {
	g, err := scanGuarantee(db.SQL.QueryRowContext(ctx, `SELECT `+guaranteeCols+` FROM guarantees WHERE id = $1`, id))
	return g, notFound(err, "guarantee")
}

// ListGuarantees implements guarantee.Store.
func (db *DB) ListGuarantees(ctx context.Context, q guarantee.Query) ([]guarantee.Guarantee, error) {
	var where []string
	var args []any
	add := func(cond string, v any) {
		args = append(args, v)
		where = append(where, fmt.Sprintf(cond, len(args)))
	}
	if q.BankOrg != "" {
		add("bank_org = $%d", q.BankOrg)
	}
	if q.PrincipalOrg != "" {
		add("principal_org = $%d", q.PrincipalOrg)
	}
	if q.BeneficiaryOrg != "" {
		add("beneficiary_org = $%d", q.BeneficiaryOrg)
	}
	if q.After != "" {
		add("id < $%d", q.After)
	}
	stmt := `SELECT ` + guaranteeCols + ` FROM guarantees`
	if len(where) > 0 {
		stmt += ` WHERE ` + strings.Join(where, " AND ")
	}
	limit := q.Limit
	if limit <= 0 {
		limit = 100
	}
	args = append(args, limit)
	stmt += fmt.Sprintf(` ORDER BY id DESC LIMIT $%d`, len(args))
	rows, err := db.SQL.QueryContext(ctx, stmt, args...)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: list guarantees: %w", err)
	}
	return collect(rows, scanGuarantee)
}

// GuaranteeMoves implements guarantee.Store.
func (db *DB) GuaranteeMoves(ctx context.Context, guaranteeID string) ([]guarantee.Move, error) {
	rows, err := db.SQL.QueryContext(ctx, `SELECT `+guaranteeMoveCols+` FROM guarantee_moves WHERE guarantee_id = $1 ORDER BY seq`, guaranteeID)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: guarantee moves: %w", err)
	}
	return collect(rows, scanGuaranteeMove)
}

// GuaranteeDrawFor implements guarantee.Store.
func (db *DB) GuaranteeDrawFor(ctx context.Context, declarationID string) (guarantee.Move, error) {
	m, err := scanGuaranteeMove(db.SQL.QueryRowContext(ctx, `SELECT `+guaranteeMoveCols+` FROM guarantee_moves WHERE declaration_id = $1`, declarationID))
	return m, notFound(err, "draw")
}

// OpenGuaranteeMove implements guarantee.Store. The guarantee's row is
// read (and so, under serializable isolation, guarded) in the same
// transaction; the primary key (guarantee, seq) and the unique declaration
// make a second move on one reservation, or a second draw for one
// declaration, fail.
func (db *DB) OpenGuaranteeMove(ctx context.Context, m guarantee.Move, rec audit.Record) error {
	return db.Tx(ctx, func(tx *sql.Tx) error {
		var status string
		var seq int64
		err := tx.QueryRowContext(ctx, `SELECT status, hold_seq FROM guarantees WHERE id = $1`, m.GuaranteeID).Scan(&status, &seq)
		if err != nil {
			return notFound(err, "guarantee")
		}
		if status != string(guarantee.Active) || seq != m.Seq {
			return problem.New(problem.Conflict, "the guarantee changed meanwhile")
		}
		var decl any
		if m.DeclarationID != "" {
			decl = m.DeclarationID
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO guarantee_moves (`+guaranteeMoveCols+`) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9)`,
			m.GuaranteeID, m.Seq, string(m.Kind), decl, m.AmountKZT, m.TransferID, false, micros(m.At), m.By); err != nil {
			if IsUniqueViolation(err) {
				return problem.New(problem.Conflict, "the guarantee or the declaration is being drawn on")
			}
			return fmt.Errorf("sqlstore: open guarantee move: %w", err)
		}
		return appendAudit(ctx, tx, m.At, rec)
	})
}

// CompleteGuaranteeMove implements guarantee.Store.
func (db *DB) CompleteGuaranteeMove(ctx context.Context, m guarantee.Move, at time.Time, rec audit.Record) error {
	return db.Tx(ctx, func(tx *sql.Tx) error {
		var done bool
		var amount int64
		var kind string
		err := tx.QueryRowContext(ctx, `SELECT done, amount, kind FROM guarantee_moves WHERE guarantee_id = $1 AND seq = $2`, m.GuaranteeID, m.Seq).
			Scan(&done, &amount, &kind)
		if err != nil {
			return notFound(err, "guarantee move")
		}
		if done {
			return nil
		}
		var remaining, seq, until int64
		if err := tx.QueryRowContext(ctx, `SELECT remaining, hold_seq, valid_until FROM guarantees WHERE id = $1`, m.GuaranteeID).
			Scan(&remaining, &seq, &until); err != nil {
			return notFound(err, "guarantee")
		}
		if seq != m.Seq {
			return fmt.Errorf("sqlstore: guarantee %s is at reservation %d, its open move at %d", m.GuaranteeID, seq, m.Seq)
		}
		status, next, rest := string(guarantee.Cancelled), seq, int64(0)
		if kind == string(guarantee.Draw) {
			if amount > remaining {
				return fmt.Errorf("sqlstore: guarantee %s: draw of %d exceeds the remaining %d", m.GuaranteeID, amount, remaining)
			}
			rest, next, status = remaining-amount, seq+1, string(guarantee.Active)
			if rest == 0 {
				status = string(guarantee.Exhausted)
			}
		}
		if _, err := tx.ExecContext(ctx, `UPDATE guarantee_moves SET done = $1 WHERE guarantee_id = $2 AND seq = $3`, true, m.GuaranteeID, m.Seq); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE guarantees SET remaining = $1, hold_seq = $2, status = $3, updated_at = $4 WHERE id = $5`,
			rest, next, status, micros(at), m.GuaranteeID); err != nil {
			return err
		}
		return appendAudit(ctx, tx, at, rec)
	})
}

// DropGuaranteeMove implements guarantee.Store.
func (db *DB) DropGuaranteeMove(ctx context.Context, guaranteeID string, seq int64, at time.Time, rec audit.Record) error {
	return db.Tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM guarantee_moves WHERE guarantee_id = $1 AND seq = $2 AND done = $3`, guaranteeID, seq, false)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil
		}
		return appendAudit(ctx, tx, at, rec)
	})
}

var _ guarantee.Store = (*DB)(nil)
