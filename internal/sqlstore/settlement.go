package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"bricstown/internal/audit"
	"bricstown/internal/ledger"
	"bricstown/internal/problem"
	"bricstown/internal/settlement"
)

// UpsertParticipant implements settlement.Store.
func (db *DB) UpsertParticipant(ctx context.Context, p settlement.Participant, rec audit.Record) (settlement.Participant, error) {
	lines, _ := json.Marshal(p.CreditLines)
	err := db.Tx(ctx, func(tx *sql.Tx) error {
		var row int64
		err := tx.QueryRowContext(ctx, `SELECT row_id FROM settlement_participants WHERE org_id = $1`, p.OrgID).Scan(&row)
		switch {
		case err == sql.ErrNoRows:
			if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(row_id), 0) + 1 FROM settlement_participants`).Scan(&row); err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO settlement_participants (row_id, org_id, bic, credit_lines, active, created_at) VALUES ($1,$2,$3,$4,$5,$6)`,
				row, p.OrgID, p.BIC, string(lines), p.Active, micros(p.CreatedAt)); err != nil {
				if IsUniqueViolation(err) {
					return &problem.Error{Code: problem.Conflict, Message: "this BIC belongs to another participant", Fields: map[string]string{"bic": "already registered"}}
				}
				return err
			}
		case err != nil:
			return err
		default:
			if _, err := tx.ExecContext(ctx, `UPDATE settlement_participants SET bic = $1, credit_lines = $2, active = $3 WHERE row_id = $4`,
				p.BIC, string(lines), p.Active, row); err != nil {
				if IsUniqueViolation(err) {
					return &problem.Error{Code: problem.Conflict, Message: "this BIC belongs to another participant", Fields: map[string]string{"bic": "already registered"}}
				}
				return err
			}
		}
		p.Row = row
		return appendAudit(ctx, tx, time.Now(), rec)
	})
	return p, err
}

// Participants implements settlement.Store.
func (db *DB) Participants(ctx context.Context) ([]settlement.Participant, error) {
	rows, err := db.SQL.QueryContext(ctx, `SELECT row_id, org_id, bic, credit_lines, active, created_at FROM settlement_participants ORDER BY row_id`)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: participants: %w", err)
	}
	return collect(rows, func(sc interface{ Scan(...any) error }) (settlement.Participant, error) {
		var p settlement.Participant
		var lines string
		var at int64
		err := sc.Scan(&p.Row, &p.OrgID, &p.BIC, &lines, &p.Active, &at)
		p.CreatedAt = fromMicros(at)
		if err == nil {
			err = json.Unmarshal([]byte(lines), &p.CreditLines)
		}
		return p, err
	})
}

// SubmitInstructions implements settlement.Store. Instructions are appended
// with multi-row inserts; an end-to-end id the payer used before is answered
// from the stored instruction.
func (db *DB) SubmitInstructions(ctx context.Context, ins []settlement.Instruction, rec audit.Record) ([]settlement.SubmitResult, error) {
	if err := db.warmBulk(ctx); err != nil {
		return nil, err
	}
	var out []settlement.SubmitResult
	err := db.Tx(ctx, func(tx *sql.Tx) error {
		out = make([]settlement.SubmitResult, len(ins))
		var next int64
		if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(seq), 0) FROM settlement_instructions`).Scan(&next); err != nil {
			return err
		}
		// Existing end-to-end ids: one look-up per payer for the whole call.
		type prevKey struct {
			payer int64
			e2e   string
		}
		byPayer := map[int64][]string{}
		for i := range ins {
			byPayer[ins[i].PayerRow] = append(byPayer[ins[i].PayerRow], ins[i].EndToEndID)
		}
		stored := map[prevKey]settlement.Instruction{}
		for payer, ids := range byPayer {
			clause, arg := db.textList(ids, 2)
			rows, err := tx.QueryContext(ctx, `SELECT seq, e2e_id, payee_row, amount, currency, payee_currency, value_date FROM settlement_instructions
				WHERE payer_row = $1 AND e2e_id `+clause, payer, arg)
			if err != nil {
				return err
			}
			for rows.Next() {
				var prev settlement.Instruction
				var vd int64
				if err := rows.Scan(&prev.Seq, &prev.EndToEndID, &prev.PayeeRow, &prev.Amount, &prev.Currency, &prev.PayeeCurrency, &vd); err != nil {
					rows.Close()
					return err
				}
				prev.PayerRow, prev.ValueDate = payer, fromMicros(vd)
				stored[prevKey{payer, prev.EndToEndID}] = prev
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				return err
			}
		}
		seen := map[prevKey]int{}
		var fresh []*settlement.Instruction
		for i := range ins {
			in := &ins[i]
			key := prevKey{in.PayerRow, in.EndToEndID}
			if j, dup := seen[key]; dup {
				out[i] = sameOrConflict(in, &ins[j], out[j].Seq)
				continue
			}
			seen[key] = i
			if prev, ok := stored[key]; ok {
				out[i] = sameOrConflict(in, &prev, prev.Seq)
				continue
			}
			next++
			in.Seq = next
			out[i] = settlement.SubmitResult{Seq: next, Result: "ok"}
			fresh = append(fresh, in)
		}
		if err := bulkWrite(ctx, db, tx, instructionBulk, fresh, func(args []any, in *settlement.Instruction) []any {
			return append(args, in.Seq, in.PayerRow, in.EndToEndID, in.PayeeRow, in.Amount, in.Currency, in.PayeeCurrency,
				micros(in.ValueDate), in.Urgent, in.Remittance, in.Source, micros(in.CreatedAt), int64(0))
		}); err != nil {
			return err
		}
		if len(fresh) == 0 {
			return nil
		}
		rec.After = fmt.Sprintf("%d new", len(fresh))
		return appendAudit(ctx, tx, time.Now(), rec)
	})
	return out, err
}

func sameOrConflict(in, prev *settlement.Instruction, seq int64) settlement.SubmitResult {
	if in.PayeeRow == prev.PayeeRow && in.Amount == prev.Amount && in.Currency == prev.Currency && in.PayeeCurrency == prev.PayeeCurrency &&
		in.ValueDate.Equal(prev.ValueDate) {
		return settlement.SubmitResult{Seq: seq, Result: "exists"}
	}
	return settlement.SubmitResult{Seq: seq, Result: "exists_with_different_fields"}
}

// claimSettlement bumps the state's version first thing in a write that
// changes what a cycle may settle (cancellation, cycle commit), so those
// writes conflict with each other on one row.
func claimSettlement(ctx context.Context, tx *sql.Tx) (version, lastSeq, lastCycle int64, err error) {
	if _, err = tx.ExecContext(ctx, `UPDATE settlement_state SET version = version + 1 WHERE id = 1`); err != nil {
		return
	}
	err = tx.QueryRowContext(ctx, `SELECT version, last_seq, last_cycle FROM settlement_state WHERE id = 1`).Scan(&version, &lastSeq, &lastCycle)
	return
}

// CancelInstruction implements settlement.Store: only what no cycle has
// settled can be cancelled.
func (db *DB) CancelInstruction(ctx context.Context, payerOrg, e2e string, rec audit.Record) error {
	return db.Tx(ctx, func(tx *sql.Tx) error {
		_, lastSeq, _, err := claimSettlement(ctx, tx)
		if err != nil {
			return err
		}
		var seq int64
		err = tx.QueryRowContext(ctx, `SELECT i.seq FROM settlement_instructions i JOIN settlement_participants p ON p.row_id = i.payer_row
			WHERE p.org_id = $1 AND i.e2e_id = $2`, payerOrg, e2e).Scan(&seq)
		if err == sql.ErrNoRows {
			return problem.New(problem.NotFound, "no such instruction")
		}
		if err != nil {
			return err
		}
		return cancelSeq(ctx, tx, seq, lastSeq, "", rec)
	})
}

// CancelInstructionBySeq implements settlement.Store (the centre's cancellation).
func (db *DB) CancelInstructionBySeq(ctx context.Context, seq int64, reason string, rec audit.Record) error {
	return db.Tx(ctx, func(tx *sql.Tx) error {
		_, lastSeq, _, err := claimSettlement(ctx, tx)
		if err != nil {
			return err
		}
		return cancelSeq(ctx, tx, seq, lastSeq, reason, rec)
	})
}

// unsettled refuses an instruction that does not exist, is cancelled, or
// that a cycle has settled: it falls in a cycle's range and is not carried.
func unsettled(ctx context.Context, tx *sql.Tx, seq, lastSeq int64) error {
	var cancelled int64
	err := tx.QueryRowContext(ctx, `SELECT cancelled_at FROM settlement_instructions WHERE seq = $1`, seq).Scan(&cancelled)
	if err == sql.ErrNoRows {
		return problem.New(problem.NotFound, "no such instruction")
	}
	if err != nil {
		return err
	}
	var carried int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM settlement_carry WHERE seq = $1`, seq).Scan(&carried); err != nil {
		return err
	}
	switch {
	case cancelled > 0:
		return problem.New(problem.Conflict, "the instruction is cancelled already")
	case seq <= lastSeq && carried == 0:
		return problem.New(problem.Conflict, "a cycle has settled the instruction")
	}
	return nil
}

func cancelSeq(ctx context.Context, tx *sql.Tx, seq, lastSeq int64, reason string, rec audit.Record) error {
	if err := unsettled(ctx, tx, seq, lastSeq); err != nil {
		return err
	}
	now := time.Now()
	if _, err := tx.ExecContext(ctx, `UPDATE settlement_instructions SET cancelled_at = $1, cancel_reason = $2 WHERE seq = $3`, micros(now), reason, seq); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM settlement_carry WHERE seq = $1`, seq); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM settlement_holds WHERE seq = $1`, seq); err != nil {
		return err
	}
	rec.SubjectID = fmt.Sprint(seq)
	return appendAudit(ctx, tx, now, rec)
}

// HoldInstruction implements settlement.Store. It claims the settlement
// state like a cancellation, so a cycle computed without the hold refuses
// to commit and is computed again with it.
func (db *DB) HoldInstruction(ctx context.Context, seq int64, reason string, rec audit.Record) error {
	return db.Tx(ctx, func(tx *sql.Tx) error {
		_, lastSeq, _, err := claimSettlement(ctx, tx)
		if err != nil {
			return err
		}
		if err := unsettled(ctx, tx, seq, lastSeq); err != nil {
			return err
		}
		now := time.Now()
		if _, err := tx.ExecContext(ctx, `INSERT INTO settlement_holds (seq, reason, held_by, held_at) VALUES ($1, $2, $3, $4)`,
			seq, reason, rec.ActorUser, micros(now)); err != nil {
			if IsUniqueViolation(err) {
				return problem.New(problem.Conflict, "the instruction is held already")
			}
			return err
		}
		rec.SubjectID = fmt.Sprint(seq)
		return appendAudit(ctx, tx, now, rec)
	})
}

// ReleaseInstruction implements settlement.Store.
func (db *DB) ReleaseInstruction(ctx context.Context, seq int64, rec audit.Record) error {
	return db.Tx(ctx, func(tx *sql.Tx) error {
		if _, _, _, err := claimSettlement(ctx, tx); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `DELETE FROM settlement_holds WHERE seq = $1`, seq)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			var exists int
			if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM settlement_instructions WHERE seq = $1`, seq).Scan(&exists); err != nil {
				return err
			}
			if exists == 0 {
				return problem.New(problem.NotFound, "no such instruction")
			}
			return problem.New(problem.Conflict, "the instruction is not held")
		}
		rec.SubjectID = fmt.Sprint(seq)
		return appendAudit(ctx, tx, time.Now(), rec)
	})
}

const instructionSelect = `SELECT i.seq, i.payer_row, i.e2e_id, i.payee_row, i.amount, i.currency, i.payee_currency, i.value_date, i.urgent,
	i.remittance, i.source, i.created_at, i.cancelled_at, i.cancel_reason, pp.org_id, pq.org_id,
	COALESCE(c.cycle_number, 0), COALESCE(c.reason, ''), COALESCE(l.cycle_number, 0),
	(SELECT number FROM settlement_cycles y WHERE y.from_seq < i.seq AND y.to_seq >= i.seq), s.last_seq,
	COALESCE(h.held_at, 0), COALESCE(h.reason, '')
	FROM settlement_instructions i
	JOIN settlement_participants pp ON pp.row_id = i.payer_row
	JOIN settlement_participants pq ON pq.row_id = i.payee_row
	LEFT JOIN settlement_carry c ON c.seq = i.seq
	LEFT JOIN settlement_late l ON l.seq = i.seq
	LEFT JOIN settlement_holds h ON h.seq = i.seq
	JOIN settlement_state s ON s.id = 1`

func scanInstruction(sc interface{ Scan(...any) error }) (settlement.Instruction, error) {
	var in settlement.Instruction
	var vd, created, cancelled, carryCycle, lateCycle, lastSeq, heldAt int64
	var rangeCycle sql.NullInt64
	err := sc.Scan(&in.Seq, &in.PayerRow, &in.EndToEndID, &in.PayeeRow, &in.Amount, &in.Currency, &in.PayeeCurrency, &vd, &in.Urgent,
		&in.Remittance, &in.Source, &created, &cancelled, &in.CancelReason, &in.Payer, &in.Payee, &carryCycle, &in.Reason, &lateCycle, &rangeCycle, &lastSeq,
		&heldAt, &in.HoldReason)
	in.ValueDate, in.CreatedAt = fromMicros(vd), fromMicros(created)
	in.Held = heldAt > 0
	switch {
	case cancelled > 0:
		in.Status = settlement.Cancelled
	case in.Held:
		in.Status, in.CycleNumber = settlement.Held, carryCycle
	case carryCycle > 0 && in.Reason == settlement.ReasonHeld:
		// Released since the last cycle carried it: it waits for the next.
		in.Status, in.CycleNumber, in.Reason = settlement.Queued, carryCycle, ""
	case carryCycle > 0 && settlement.IsExclusion(in.Reason):
		in.Status, in.CycleNumber = settlement.Excluded, carryCycle
	case carryCycle > 0:
		in.Status, in.CycleNumber = settlement.Deferred, carryCycle
	case lateCycle > 0:
		in.Status, in.CycleNumber = settlement.Settled, lateCycle
	case in.Seq <= lastSeq:
		in.Status, in.CycleNumber = settlement.Settled, rangeCycle.Int64
	default:
		in.Status = settlement.Queued
	}
	return in, err
}

// GetInstructionBySeq implements settlement.Store.
func (db *DB) GetInstructionBySeq(ctx context.Context, seq int64) (settlement.Instruction, error) {
	in, err := scanInstruction(db.SQL.QueryRowContext(ctx, instructionSelect+` WHERE i.seq = $1`, seq))
	return in, notFound(err, "instruction")
}

// ListQueue implements settlement.Store: the instructions after the last
// cycle's range, then the carried ones (all of which precede them), each
// read through an index rather than a scan of settled history.
func (db *DB) ListQueue(ctx context.Context, beforeSeq int64, limit int) ([]settlement.Instruction, error) {
	if beforeSeq <= 0 {
		beforeSeq = 1 << 62
	}
	rows, err := db.SQL.QueryContext(ctx, instructionSelect+` WHERE i.seq > s.last_seq AND i.seq < $1 AND i.cancelled_at = 0 ORDER BY i.seq DESC LIMIT $2`,
		beforeSeq, limit)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: list queue: %w", err)
	}
	out, err := collect(rows, scanInstruction)
	if err != nil || len(out) >= limit {
		return out, err
	}
	rows, err = db.SQL.QueryContext(ctx, instructionSelect+` WHERE i.seq IN (SELECT seq FROM settlement_carry WHERE seq < $1) AND i.cancelled_at = 0
		ORDER BY i.seq DESC LIMIT $2`, beforeSeq, limit-len(out))
	if err != nil {
		return nil, fmt.Errorf("sqlstore: list carried: %w", err)
	}
	more, err := collect(rows, scanInstruction)
	return append(out, more...), err
}

// GetInstruction implements settlement.Store.
func (db *DB) GetInstruction(ctx context.Context, payerOrg, e2e string) (settlement.Instruction, error) {
	in, err := scanInstruction(db.SQL.QueryRowContext(ctx, instructionSelect+` WHERE pp.org_id = $1 AND i.e2e_id = $2`, payerOrg, e2e))
	return in, notFound(err, "instruction")
}

// ListInstructions implements settlement.Store.
func (db *DB) ListInstructions(ctx context.Context, orgID string, beforeSeq int64, limit int) ([]settlement.Instruction, error) {
	if beforeSeq <= 0 {
		beforeSeq = 1 << 62
	}
	rows, err := db.SQL.QueryContext(ctx, instructionSelect+` WHERE (pp.org_id = $1 OR pq.org_id = $1 OR $1 = '') AND i.seq < $2 ORDER BY i.seq DESC LIMIT $3`,
		orgID, beforeSeq, limit)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: list instructions: %w", err)
	}
	return collect(rows, scanInstruction)
}

// FindInstructions implements settlement.Store. The queue is what
// ListQueue reads (after the last cycle, or carried), in one statement.
func (db *DB) FindInstructions(ctx context.Context, q settlement.InstructionQuery) ([]settlement.Instruction, error) {
	var where []string
	var args []any
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	if q.OrgID != "" {
		o := arg(q.OrgID)
		where = append(where, "(pp.org_id = "+o+" OR pq.org_id = "+o+")")
	}
	if q.Before > 0 {
		where = append(where, "i.seq < "+arg(q.Before))
	}
	if q.Search != "" {
		pat := arg(likePattern(q.Search))
		where = append(where, "(LOWER(i.e2e_id) LIKE "+pat+` ESCAPE '\' OR LOWER(i.remittance) LIKE `+pat+` ESCAPE '\'
			OR pp.org_id IN (SELECT id FROM orgs WHERE LOWER(name) LIKE `+pat+` ESCAPE '\')
			OR pq.org_id IN (SELECT id FROM orgs WHERE LOWER(name) LIKE `+pat+` ESCAPE '\'))`)
	}
	if q.Currency != "" {
		where = append(where, "i.currency = "+arg(q.Currency))
	}
	if !q.From.IsZero() {
		where = append(where, "i.created_at >= "+arg(micros(q.From)))
	}
	if !q.To.IsZero() {
		where = append(where, "i.created_at < "+arg(micros(q.To)))
	}
	if q.Unsettled {
		where = append(where, "i.cancelled_at = 0 AND (i.seq > s.last_seq OR i.seq IN (SELECT seq FROM settlement_carry))")
	}
	stmt := instructionSelect
	if len(where) > 0 {
		stmt += " WHERE " + strings.Join(where, " AND ")
	}
	stmt += " ORDER BY i.seq DESC LIMIT " + arg(q.Limit)
	rows, err := db.SQL.QueryContext(ctx, stmt, args...)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: find instructions: %w", err)
	}
	return collect(rows, scanInstruction)
}

// ReadQueue implements settlement.Store in one read snapshot.
func (db *DB) ReadQueue(ctx context.Context, fn func(*settlement.Instruction) error) (settlement.Queue, error) {
	var q settlement.Queue
	tx, err := db.SQL.BeginTx(ctx, &sql.TxOptions{ReadOnly: db.Engine == Postgres, Isolation: isoFor(db)})
	if err != nil {
		return q, err
	}
	defer tx.Rollback()
	var lastCycle int64
	if err := tx.QueryRowContext(ctx, `SELECT version, last_seq, last_cycle FROM settlement_state WHERE id = 1`).Scan(&q.Version, &q.FromSeq, &lastCycle); err != nil {
		return q, err
	}
	q.NextCycle = lastCycle + 1
	if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(seq), 0) FROM settlement_instructions`).Scan(&q.LastSeq); err != nil {
		return q, err
	}
	if q.LastSeq < q.FromSeq {
		q.LastSeq = q.FromSeq
	}
	read := func(query string, args ...any) error {
		rows, err := tx.QueryContext(ctx, query, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		var in settlement.Instruction
		for rows.Next() {
			var vd, heldAt int64
			if err := rows.Scan(&in.Seq, &in.PayerRow, &in.EndToEndID, &in.PayeeRow, &in.Amount, &in.Currency, &in.PayeeCurrency, &vd, &in.Urgent, &heldAt); err != nil {
				return err
			}
			in.ValueDate, in.Held = fromMicros(vd), heldAt > 0
			cp := in
			if err := fn(&cp); err != nil {
				return err
			}
		}
		return rows.Err()
	}
	// A held instruction is read like any other, marked, so the cycle
	// carries it (reason held) instead of counting it settled by range.
	cols := `i.seq, i.payer_row, i.e2e_id, i.payee_row, i.amount, i.currency, i.payee_currency, i.value_date, i.urgent, COALESCE(h.held_at, 0)`
	if err := read(`SELECT ` + cols + ` FROM settlement_carry c JOIN settlement_instructions i ON i.seq = c.seq
		LEFT JOIN settlement_holds h ON h.seq = i.seq WHERE i.cancelled_at = 0 ORDER BY i.seq`); err != nil {
		return q, fmt.Errorf("sqlstore: carried instructions: %w", err)
	}
	if err := read(`SELECT `+cols+` FROM settlement_instructions i LEFT JOIN settlement_holds h ON h.seq = i.seq
		WHERE i.seq > $1 AND i.seq <= $2 AND i.cancelled_at = 0 ORDER BY i.seq`, q.FromSeq, q.LastSeq); err != nil {
		return q, fmt.Errorf("sqlstore: queued instructions: %w", err)
	}
	return q, nil
}

// CommitCycle implements settlement.Store: the cycle's ledger transfers, its
// record, its carried instructions and the queue position commit together
// or not at all. A cycle committed before is returned as it was.
func (db *DB) CommitCycle(ctx context.Context, c settlement.Commit) (settlement.Cycle, error) {
	if err := db.warmBulk(ctx); err != nil {
		return settlement.Cycle{}, err
	}
	lc := db.lcache()
	lc.mu.Lock()
	defer lc.mu.Unlock()
	var done settlement.Cycle
	var newVersion int64
	var outcome *ledger.Outcome
	err := db.TxConn(ctx, func(tx *sql.Tx, conn *sql.Conn) error {
		version, lastSeq, lastCycle, err := claimSettlement(ctx, tx)
		if err != nil {
			return err
		}
		if lastCycle >= c.Cycle.Number {
			var e error
			done, e = getCycle(ctx, tx, c.Cycle.Number)
			return e
		}
		if version-1 != c.Version || lastSeq != c.Cycle.FromSeq || lastCycle+1 != c.Cycle.Number {
			return problem.New(problem.Conflict, "the queue changed while the cycle was computed; run it again")
		}
		if len(c.Transfers) > 0 {
			out, v, err := db.applyBatch(ctx, tx, conn, lc, c.Transfers, ledger.BatchOptions{System: true,
				Audit: []ledger.BatchAudit{{From: 0, To: len(c.Transfers), Record: c.Audit}}})
			if err != nil {
				return err
			}
			// Name the transfer that failed, not the first of its chain
			// (which answers linked_event_failed for it).
			failed := -1
			for i, r := range out.Results {
				if r.Code != ledger.OK && r.Code != ledger.Exists && (failed < 0 || out.Results[failed].Code == ledger.LinkedEventFailed) {
					failed = i
				}
			}
			if failed >= 0 {
				tr := c.Transfers[failed]
				return problem.New(problem.Conflict, "settlement transfer %d (%s, %d %s from %s to %s) refused by the ledger: %s", failed, tr.Code,
					tr.Amount, tr.Currency, tr.DebitAccount, tr.CreditAccount, out.Results[failed].Code)
			}
			outcome, newVersion = out, v
		}
		now := time.Now()
		if len(c.SettledCarried) > 0 {
			ids := make([]string, len(c.SettledCarried))
			for i, s := range c.SettledCarried {
				ids[i] = fmt.Sprint(s)
			}
			list := strings.Join(ids, ",") // integers only: safe to inline
			if _, err := tx.ExecContext(ctx, `DELETE FROM settlement_carry WHERE seq IN (`+list+`)`); err != nil {
				return err
			}
			for _, s := range c.SettledCarried {
				if _, err := tx.ExecContext(ctx, `INSERT INTO settlement_late (seq, cycle_number) VALUES ($1, $2)`, s, c.Cycle.Number); err != nil {
					return err
				}
			}
		}
		for start := 0; start < len(c.Carried); start += 500 {
			chunk := c.Carried[start:min(start+500, len(c.Carried))]
			var q strings.Builder
			q.WriteString(`INSERT INTO settlement_carry (seq, cycle_number, reason, shortfall) VALUES `)
			args := make([]any, 0, 4*len(chunk))
			for i, cr := range chunk {
				if i > 0 {
					q.WriteByte(',')
				}
				fmt.Fprintf(&q, "($%d,$%d,$%d,$%d)", 4*i+1, 4*i+2, 4*i+3, 4*i+4)
				args = append(args, cr.Seq, c.Cycle.Number, cr.Reason, cr.Shortfall)
			}
			q.WriteString(` ON CONFLICT (seq) DO UPDATE SET cycle_number = excluded.cycle_number, reason = excluded.reason, shortfall = excluded.shortfall`)
			if _, err := tx.ExecContext(ctx, q.String(), args...); err != nil {
				return err
			}
		}
		cyc := c.Cycle
		cyc.SettledAt = now
		rep, err := json.Marshal(cyc.Report)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO settlement_cycles (number, id, from_seq, to_seq, started_at, settled_at, report) VALUES ($1,$2,$3,$4,$5,$6,$7)`,
			cyc.Number, cyc.ID, cyc.FromSeq, cyc.ToSeq, micros(cyc.StartedAt), micros(now), string(rep)); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE settlement_state SET last_seq = $1, last_cycle = $2 WHERE id = 1`, cyc.ToSeq, cyc.Number); err != nil {
			return err
		}
		rec := c.Audit
		rec.Action, rec.SubjectType, rec.SubjectID = "settlement.cycle", "settlement_cycle", cyc.ID
		rec.After = fmt.Sprintf("cycle %d: %d settled, %d deferred, %d transfers", cyc.Number, cyc.Report.Settled, cyc.Report.Deferred, len(c.Transfers))
		if err := appendAudit(ctx, tx, now, rec); err != nil {
			return err
		}
		done = cyc
		return nil
	})
	if err != nil {
		lc.version = -1
		return settlement.Cycle{}, fmt.Errorf("settlement: commit cycle %d: %w", c.Cycle.Number, err)
	}
	if outcome != nil {
		for _, a := range outcome.Accounts {
			cp := *a
			lc.accounts[a.ID] = &cp
		}
		lc.version = newVersion
	}
	return done, nil
}

func getCycle(ctx context.Context, q interface {
	QueryRowContext(context.Context, string, ...any) *sql.Row
}, number int64) (settlement.Cycle, error) {
	var c settlement.Cycle
	var started, settled int64
	var rep string
	err := q.QueryRowContext(ctx, `SELECT number, id, from_seq, to_seq, started_at, settled_at, report FROM settlement_cycles WHERE number = $1`, number).
		Scan(&c.Number, &c.ID, &c.FromSeq, &c.ToSeq, &started, &settled, &rep)
	if err != nil {
		return c, notFound(err, "cycle")
	}
	c.StartedAt, c.SettledAt = fromMicros(started), fromMicros(settled)
	return c, json.Unmarshal([]byte(rep), &c.Report)
}

// GetCycle implements settlement.Store.
func (db *DB) GetCycle(ctx context.Context, number int64) (settlement.Cycle, error) {
	return getCycle(ctx, db.SQL, number)
}

// Cycles implements settlement.Store, newest first.
func (db *DB) Cycles(ctx context.Context, beforeNumber int64, limit int) ([]settlement.Cycle, error) {
	return db.FindCycles(ctx, settlement.CycleQuery{Before: beforeNumber, Limit: limit})
}

// FindCycles implements settlement.Store; an open bound is the widest.
func (db *DB) FindCycles(ctx context.Context, q settlement.CycleQuery) ([]settlement.Cycle, error) {
	before, from, to := q.Before, int64(0), int64(1<<62)
	if before <= 0 {
		before = 1 << 62
	}
	if !q.From.IsZero() {
		from = micros(q.From)
	}
	if !q.To.IsZero() {
		to = micros(q.To)
	}
	rows, err := db.SQL.QueryContext(ctx, `SELECT number FROM settlement_cycles WHERE number < $1 AND settled_at >= $2 AND settled_at < $3
		ORDER BY number DESC LIMIT $4`, before, from, to, q.Limit)
	if err != nil {
		return nil, err
	}
	var nums []int64
	for rows.Next() {
		var n int64
		if err := rows.Scan(&n); err != nil {
			rows.Close()
			return nil, err
		}
		nums = append(nums, n)
	}
	rows.Close()
	out := make([]settlement.Cycle, 0, len(nums))
	for _, n := range nums {
		c, err := db.GetCycle(ctx, n)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, nil
}

var _ settlement.Store = (*DB)(nil)
