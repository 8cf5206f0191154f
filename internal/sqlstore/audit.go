package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"bricstown/internal/audit"
)

// appendAudit chains rec onto the log inside tx. Every append first
// advances the audit_head row: a concurrent appender at READ COMMITTED (a
// ledger batch) waits for that row lock and continues from the newest
// sequence number, one at SERIALIZABLE gets a serialization failure and
// retries from the top of its transaction, so the chain never forks.
func appendAudit(ctx context.Context, tx *sql.Tx, at time.Time, rec audit.Record) error {
	return appendAudits(ctx, tx, Postgres, at, []audit.Record{rec})
}

// appendAudits chains several records with one claim of the head, one
// read of the previous hash and one multi-row insert (a ledger batch
// carries one record per request).
// The engine picks the placeholder style: positional on SQLite, whose
// driver binds named parameters in quadratic time.
func appendAudits(ctx context.Context, tx *sql.Tx, engine Engine, at time.Time, recs []audit.Record) error {
	if len(recs) == 0 {
		return nil
	}
	var seq int64
	if err := tx.QueryRowContext(ctx, `UPDATE audit_head SET seq = seq + $1 WHERE id = 1 RETURNING seq`, len(recs)).Scan(&seq); err != nil {
		return fmt.Errorf("audit head: %w", err)
	}
	seq -= int64(len(recs)) // the newest entry before this append
	prev := audit.GenesisHash
	if seq > 0 {
		if err := tx.QueryRowContext(ctx, `SELECT hash FROM audit_log WHERE seq = $1`, seq).Scan(&prev); err != nil {
			return fmt.Errorf("audit head %d: %w", seq, err)
		}
	}
	return insertAudits(ctx, tx, engine, at, recs, seq, prev)
}

// insertAudits writes recs as the entries after seq, whose hash is prev;
// the caller has claimed audit_head for them.
func insertAudits(ctx context.Context, tx *sql.Tx, engine Engine, at time.Time, recs []audit.Record, seq int64, prev []byte) error {
	for _, st := range auditInserts(engine, at, recs, seq, prev) {
		if _, err := tx.ExecContext(ctx, st.sql, st.args...); err != nil {
			return fmt.Errorf("audit append: %w", err)
		}
	}
	return nil
}

type statement struct {
	sql  string
	args []any
}

// auditInserts builds the multi-row inserts that chain recs after seq,
// whose hash is prev.
func auditInserts(engine Engine, at time.Time, recs []audit.Record, seq int64, prev []byte) []statement {
	at = at.UTC().Truncate(time.Microsecond)
	const cols = 13
	var out []statement
	for start := 0; start < len(recs); start += 500 {
		chunk := recs[start:min(start+500, len(recs))]
		var q strings.Builder
		q.WriteString(`INSERT INTO audit_log (seq, at, actor_user, actor_org, action, subject_type, subject_id, org_id,
		before_ref, after_ref, detail, prev_hash, hash) VALUES `)
		args := make([]any, 0, len(chunk)*cols)
		for i, rec := range chunk {
			seq++
			h := audit.ComputeHash(prev, seq, at, rec)
			if i > 0 {
				q.WriteByte(',')
			}
			q.WriteByte('(')
			for c := 0; c < cols; c++ {
				if c > 0 {
					q.WriteByte(',')
				}
				if engine == SQLite {
					q.WriteByte('?')
				} else {
					fmt.Fprintf(&q, "$%d", i*cols+c+1)
				}
			}
			q.WriteByte(')')
			args = append(args, seq, at.UnixMicro(), rec.ActorUser, rec.ActorOrg, rec.Action, rec.SubjectType, rec.SubjectID, rec.OrgID,
				rec.Before, rec.After, rec.Detail, prev, h)
			prev = h
		}
		out = append(out, statement{q.String(), args})
	}
	return out
}

// AppendAudit records rec in its own transaction, for events that change no
// other table (for example an export).
func (db *DB) AppendAudit(ctx context.Context, rec audit.Record) error {
	return db.Tx(ctx, func(tx *sql.Tx) error { return appendAudit(ctx, tx, time.Now(), rec) })
}

const auditCols = `seq, at, actor_user, actor_org, action, subject_type, subject_id, org_id, before_ref, after_ref, detail, prev_hash, hash`

func scanAudit(sc interface{ Scan(...any) error }) (audit.Entry, error) {
	var e audit.Entry
	var at int64
	err := sc.Scan(&e.Seq, &at, &e.ActorUser, &e.ActorOrg, &e.Action, &e.SubjectType, &e.SubjectID, &e.OrgID,
		&e.Before, &e.After, &e.Detail, &e.PrevHash, &e.Hash)
	e.At = time.UnixMicro(at).UTC()
	return e, err
}

// ListAudit implements audit.Store.
func (db *DB) ListAudit(ctx context.Context, f audit.Filter) ([]audit.Entry, error) {
	before := f.After
	if before <= 0 {
		before = 1 << 62
	}
	// An action prefix ("ledger.") matches with LIKE (actions are lower
	// case, so SQLite's case-blind LIKE and PostgreSQL's agree); byte-range
	// comparisons would depend on PostgreSQL's collation.
	act, actPrefix := f.Action, ""
	if strings.HasSuffix(f.Action, ".") {
		act, actPrefix = "", strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(f.Action)+"%"
	}
	var from, to int64 = 0, 1 << 62
	if !f.From.IsZero() {
		from = f.From.UnixMicro()
	}
	if !f.To.IsZero() {
		to = f.To.UnixMicro()
	}
	q := `SELECT ` + auditCols + ` FROM audit_log WHERE seq < $1 AND ($2 = '' OR org_id = $2)
		AND ($4 = '' OR actor_user = $4) AND ($5 = '' OR subject_type = $5) AND ($6 = '' OR subject_id = $6)
		AND ($7 = '' OR action = $7) AND ($8 = '' OR action LIKE $8 ESCAPE '\')
		AND at >= $9 AND at < $10
		ORDER BY seq DESC LIMIT $3`
	rows, err := db.SQL.QueryContext(ctx, q, before, f.OrgID, f.Limit, f.ActorUser, f.SubjectType, f.SubjectID, act, actPrefix, from, to)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: list audit: %w", err)
	}
	defer rows.Close()
	var out []audit.Entry
	for rows.Next() {
		e, err := scanAudit(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// EachAudit implements audit.Store, reading in chunks so that verifying a
// long log neither holds one huge result set nor a long read transaction.
func (db *DB) EachAudit(ctx context.Context, fn func(audit.Entry) error) error {
	return db.EachAuditAfter(ctx, 0, fn)
}

// EachAuditAfter streams the entries after sequence number after, in
// order: what a periodic checkpoint reads since the previous one.
func (db *DB) EachAuditAfter(ctx context.Context, after int64, fn func(audit.Entry) error) error {
	for {
		rows, err := db.SQL.QueryContext(ctx, `SELECT `+auditCols+` FROM audit_log WHERE seq > $1 ORDER BY seq LIMIT 5000`, after)
		if err != nil {
			return fmt.Errorf("sqlstore: read audit: %w", err)
		}
		n := 0
		for rows.Next() {
			e, err := scanAudit(rows)
			if err != nil {
				rows.Close()
				return err
			}
			n++
			after = e.Seq
			if err := fn(e); err != nil {
				rows.Close()
				return err
			}
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return err
		}
		if n == 0 {
			return nil
		}
	}
}

// AuditHead is the newest entry's sequence number and hash (0 and the
// genesis hash for an empty log): what a progress line counts towards.
func (db *DB) AuditHead(ctx context.Context) (int64, []byte, error) {
	var seq int64
	head := audit.GenesisHash
	err := db.SQL.QueryRowContext(ctx, `SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1`).Scan(&seq, &head)
	if err == sql.ErrNoRows {
		return 0, audit.GenesisHash, nil
	}
	if err != nil {
		return 0, nil, fmt.Errorf("sqlstore: audit head: %w", err)
	}
	return seq, head, nil
}
