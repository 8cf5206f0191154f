package sqlstore

import (
	"context"
	"database/sql"
	"encoding/base64"
	"fmt"

	"bricstown/internal/audit"
	"bricstown/internal/deal"
	"bricstown/internal/problem"
)

const dealKeyCols = `id, org_id, label, public_key, created_by, created_at`

func scanDealKey(sc interface{ Scan(...any) error }) (deal.Key, error) {
	var k deal.Key
	var at int64
	err := sc.Scan(&k.ID, &k.OrgID, &k.Label, &k.PublicKey, &k.CreatedBy, &at)
	k.CreatedAt = fromMicros(at)
	return k, err
}

// CreateDealKey implements deal.Store.
func (db *DB) CreateDealKey(ctx context.Context, k deal.Key, rec audit.Record) error {
	return db.Tx(ctx, func(tx *sql.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM deal_keys WHERE org_id = $1`, k.OrgID).Scan(&n); err != nil {
			return fmt.Errorf("sqlstore: count deal keys: %w", err)
		}
		if n >= deal.MaxKeys {
			return problem.New(problem.Conflict, "the organisation holds %d signing keys already", n)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO deal_keys (`+dealKeyCols+`) VALUES ($1,$2,$3,$4,$5,$6)`,
			k.ID, k.OrgID, k.Label, k.PublicKey, k.CreatedBy, micros(k.CreatedAt)); err != nil {
			if IsUniqueViolation(err) {
				return problem.New(problem.Conflict, "the organisation has registered this key already")
			}
			return fmt.Errorf("sqlstore: create deal key: %w", err)
		}
		return appendAudit(ctx, tx, k.CreatedAt, rec)
	})
}

// GetDealKey implements deal.Store.
func (db *DB) GetDealKey(ctx context.Context, id string) (deal.Key, error) {
	k, err := scanDealKey(db.SQL.QueryRowContext(ctx, `SELECT `+dealKeyCols+` FROM deal_keys WHERE id = $1`, id))
	return k, notFound(err, "signing key")
}

// ListDealKeys implements deal.Store.
func (db *DB) ListDealKeys(ctx context.Context, orgID string) ([]deal.Key, error) {
	rows, err := db.SQL.QueryContext(ctx, `SELECT `+dealKeyCols+` FROM deal_keys WHERE org_id = $1 ORDER BY id`, orgID)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: list deal keys: %w", err)
	}
	defer rows.Close()
	var out []deal.Key
	for rows.Next() {
		k, err := scanDealKey(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, k)
	}
	return out, rows.Err()
}

const agreementCols = `id, title, creator_org, created_by, doc_name, doc_sha256, doc_size, status, created_at, signed_at`

func scanAgreement(sc interface{ Scan(...any) error }) (deal.Agreement, error) {
	var a deal.Agreement
	var status string
	var created, signed int64
	err := sc.Scan(&a.ID, &a.Title, &a.CreatorOrg, &a.CreatedBy, &a.DocName, &a.DocSHA256, &a.DocSize, &status, &created, &signed)
	a.Status, a.CreatedAt, a.SignedAt = deal.Status(status), fromMicros(created), fromMicros(signed)
	return a, err
}

// CreateAgreement implements deal.Store.
func (db *DB) CreateAgreement(ctx context.Context, a deal.Agreement, doc []byte, rec audit.Record) error {
	return db.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO agreements (`+agreementCols+`, document) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11)`,
			a.ID, a.Title, a.CreatorOrg, a.CreatedBy, a.DocName, a.DocSHA256, a.DocSize, string(a.Status), micros(a.CreatedAt), micros(a.SignedAt),
			base64.StdEncoding.EncodeToString(doc)); err != nil {
			if IsUniqueViolation(err) {
				return problem.New(problem.Conflict, "the agreement exists")
			}
			return fmt.Errorf("sqlstore: create agreement: %w", err)
		}
		for i, p := range a.Parties {
			if _, err := tx.ExecContext(ctx, `INSERT INTO agreement_parties (agreement_id, org_id, position, signature, key_id, public_key, signed_by, signed_at)
				VALUES ($1,$2,$3,'','','','',0)`, a.ID, p.OrgID, i); err != nil {
				return fmt.Errorf("sqlstore: agreement party: %w", err)
			}
		}
		return appendAudit(ctx, tx, a.CreatedAt, rec)
	})
}

func (db *DB) agreementParties(ctx context.Context, q interface {
	QueryContext(context.Context, string, ...any) (*sql.Rows, error)
}, id string) ([]deal.Party, error) {
	rows, err := q.QueryContext(ctx, `SELECT org_id, signature, key_id, public_key, signed_by, signed_at FROM agreement_parties
		WHERE agreement_id = $1 ORDER BY position`, id)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: agreement parties: %w", err)
	}
	defer rows.Close()
	var out []deal.Party
	for rows.Next() {
		var p deal.Party
		var at int64
		if err := rows.Scan(&p.OrgID, &p.Signature, &p.KeyID, &p.PublicKey, &p.SignedBy, &at); err != nil {
			return nil, err
		}
		p.SignedAt = fromMicros(at)
		out = append(out, p)
	}
	return out, rows.Err()
}

// GetAgreement implements deal.Store.
func (db *DB) GetAgreement(ctx context.Context, id string) (deal.Agreement, error) {
	a, err := scanAgreement(db.SQL.QueryRowContext(ctx, `SELECT `+agreementCols+` FROM agreements WHERE id = $1`, id))
	if err != nil {
		return deal.Agreement{}, notFound(err, "agreement")
	}
	a.Parties, err = db.agreementParties(ctx, db.SQL, id)
	return a, err
}

// AgreementDocument implements deal.Store.
func (db *DB) AgreementDocument(ctx context.Context, id string) ([]byte, error) {
	var s string
	if err := db.SQL.QueryRowContext(ctx, `SELECT document FROM agreements WHERE id = $1`, id).Scan(&s); err != nil {
		return nil, notFound(err, "agreement")
	}
	return base64.StdEncoding.DecodeString(s)
}

// ListAgreements implements deal.Store.
func (db *DB) ListAgreements(ctx context.Context, orgID string, limit int) ([]deal.Agreement, error) {
	rows, err := db.SQL.QueryContext(ctx, `SELECT `+agreementCols+` FROM agreements WHERE id IN
		(SELECT agreement_id FROM agreement_parties WHERE org_id = $1) ORDER BY id DESC LIMIT $2`, orgID, limit)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: list agreements: %w", err)
	}
	var out []deal.Agreement
	for rows.Next() {
		a, err := scanAgreement(rows)
		if err != nil {
			rows.Close()
			return nil, err
		}
		out = append(out, a)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for i := range out {
		if out[i].Parties, err = db.agreementParties(ctx, db.SQL, out[i].ID); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// SignAgreement implements deal.Store. The party's row changes only while it holds no
// signature, so two concurrent signatures of one party cannot both land; the last signature
// turns the agreement signed in the same transaction.
func (db *DB) SignAgreement(ctx context.Context, agreementID string, p deal.Party, rec, done audit.Record) (bool, error) {
	var complete bool
	err := db.Tx(ctx, func(tx *sql.Tx) error {
		complete = false
		res, err := tx.ExecContext(ctx, `UPDATE agreement_parties SET signature = $1, key_id = $2, public_key = $3, signed_by = $4, signed_at = $5
			WHERE agreement_id = $6 AND org_id = $7 AND signature = ''`, p.Signature, p.KeyID, p.PublicKey, p.SignedBy, micros(p.SignedAt), agreementID, p.OrgID)
		if err != nil {
			return fmt.Errorf("sqlstore: sign agreement: %w", err)
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n != 1 {
			return problem.New(problem.Conflict, "this party has already signed, or is not a party")
		}
		if err := appendAudit(ctx, tx, p.SignedAt, rec); err != nil {
			return err
		}
		var left int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM agreement_parties WHERE agreement_id = $1 AND signature = ''`, agreementID).Scan(&left); err != nil {
			return err
		}
		if left > 0 {
			return nil
		}
		if _, err := tx.ExecContext(ctx, `UPDATE agreements SET status = 'signed', signed_at = $1 WHERE id = $2`, micros(p.SignedAt), agreementID); err != nil {
			return fmt.Errorf("sqlstore: agreement signed: %w", err)
		}
		complete = true
		return appendAudit(ctx, tx, p.SignedAt, done)
	})
	return complete, err
}
