package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"bricstown/internal/audit"
	"bricstown/internal/ledger"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
)

// pipelineMax is the largest batch whose transfers go through
// pipelineWrites; bigger ones use COPY, which is faster per row.
const pipelineMax = 1000

// pipelineWrites sends a PostgreSQL batch's writes as one pipeline: one
// round trip instead of one per statement. While a batch holds the ledger
// head every other writer, in every process, waits, so round trips in the
// hold are what several processes on one database queue for (issue 13).
// It writes the transfers, the balances and the head, claims audit_head
// for nAudit entries and reads the hash they chain onto; it returns the
// sequence number before them and that hash.
//
// The statements run in order on the transaction's connection, each with
// a fresh READ COMMITTED snapshot, so the hash is read after audit_head's
// lock was granted and sees every entry committed before.
//
// With ac (audit_head claimed with the ledger head) the entries are
// inserted in the same pipeline and nothing is left to the caller.
func pipelineWrites(ctx context.Context, conn *sql.Conn, out *ledger.Outcome, h ledgerHead, ac *auditClaim, entries []audit.Record) (seq int64, prev []byte, err error) {
	nAudit := len(entries)
	ts := out.Created
	var (
		seqs, drRow, crRow, amount, timeout, flags, at, drPrev, crPrev, drBal, crBal []int64
		ids, pend                                                                    [][]byte
		ccy, code, ref                                                               []string
	)
	for _, t := range ts {
		var p []byte // NULL unless the transfer resolves a pending one
		if t.PendingID != ledger.Zero {
			p = t.PendingID[:]
		}
		seqs, ids, drRow, crRow = append(seqs, t.Seq), append(ids, t.ID[:]), append(drRow, t.DebitAccountRow), append(crRow, t.CreditAccountRow)
		amount, ccy, pend, timeout = append(amount, t.Amount), append(ccy, t.Currency), append(pend, p), append(timeout, t.Timeout)
		code, ref, flags, at = append(code, t.Code), append(ref, t.Reference), append(flags, int64(t.Flags)), append(at, micros(t.Timestamp))
		drPrev, crPrev, drBal, crBal = append(drPrev, t.DebitPrev), append(crPrev, t.CreditPrev), append(drBal, t.DebitBalanceAfter), append(crBal, t.CreditBalanceAfter)
	}
	bal := make([][]int64, 6)
	for _, a := range out.Accounts {
		for i, v := range []int64{a.Row, a.DebitsPending, a.DebitsPosted, a.CreditsPending, a.CreditsPosted, a.LastSeq} {
			bal[i] = append(bal[i], v)
		}
	}
	b := &pgx.Batch{}
	b.Queue(`INSERT INTO ledger_transfers (`+transferInsertCols+`)
		SELECT * FROM unnest($1::bigint[], $2::bytea[], $3::bigint[], $4::bigint[], $5::bigint[], $6::text[], $7::bytea[], $8::bigint[],
			$9::text[], $10::text[], $11::bigint[], $12::bigint[], $13::bigint[], $14::bigint[], $15::bigint[], $16::bigint[])`,
		seqs, ids, drRow, crRow, amount, ccy, pend, timeout, code, ref, flags, at, drPrev, crPrev, drBal, crBal)
	b.Queue(`UPDATE ledger_balances SET debits_pending = v.dp, debits_posted = v.dpo, credits_pending = v.cp,
			credits_posted = v.cpo, last_seq = v.ls
		FROM unnest($1::bigint[], $2::bigint[], $3::bigint[], $4::bigint[], $5::bigint[], $6::bigint[]) AS v(r, dp, dpo, cp, cpo, ls)
		WHERE row_id = v.r`, bal[0], bal[1], bal[2], bal[3], bal[4], bal[5])
	b.Queue(`UPDATE ledger_head SET version = $1, last_seq = $2, last_ts = $3, last_account = $4, max_transfer_id = $5 WHERE id = 1`,
		h.version, h.lastSeq, h.lastTS, h.lastAccount, h.maxID)
	if ac != nil {
		for _, st := range auditInserts(Postgres, out.LastTimestamp, entries, ac.seq, ac.prev) {
			b.Queue(st.sql, st.args...)
		}
		b.Queue(`UPDATE audit_head SET seq = $1 WHERE id = 1`, ac.seq+int64(nAudit))
	} else if nAudit > 0 {
		b.Queue(`UPDATE audit_head SET seq = seq + $1 WHERE id = 1 RETURNING seq`, nAudit)
		b.Queue(`SELECT hash FROM audit_log WHERE seq = (SELECT seq FROM audit_head WHERE id = 1) - $1`, nAudit)
	}
	prev = audit.GenesisHash
	err = conn.Raw(func(dc any) error {
		br := dc.(*stdlib.Conn).Conn().SendBatch(ctx, b)
		err := func() error {
			tag, err := br.Exec()
			if err != nil {
				return fmt.Errorf("write transfers: %w", err)
			}
			if tag.RowsAffected() != int64(len(ts)) {
				return fmt.Errorf("write transfers: wrote %d of %d", tag.RowsAffected(), len(ts))
			}
			if tag, err = br.Exec(); err != nil {
				return fmt.Errorf("write accounts: %w", err)
			}
			if tag.RowsAffected() != int64(len(out.Accounts)) {
				return fmt.Errorf("write accounts: updated %d of %d", tag.RowsAffected(), len(out.Accounts))
			}
			if _, err := br.Exec(); err != nil {
				return fmt.Errorf("ledger head: %w", err)
			}
			if ac != nil {
				for range auditInserts(Postgres, out.LastTimestamp, entries, ac.seq, ac.prev) {
					if _, err := br.Exec(); err != nil {
						return fmt.Errorf("audit append: %w", err)
					}
				}
				if _, err := br.Exec(); err != nil {
					return fmt.Errorf("audit head: %w", err)
				}
				return nil
			}
			if nAudit == 0 {
				return nil
			}
			if err := br.QueryRow().Scan(&seq); err != nil {
				return fmt.Errorf("audit head: %w", err)
			}
			seq -= int64(nAudit)
			err = br.QueryRow().Scan(&prev)
			if errors.Is(err, pgx.ErrNoRows) && seq == 0 {
				prev, err = audit.GenesisHash, nil // the first entry of the log
			}
			if err != nil {
				return fmt.Errorf("audit head %d: %w", seq, err)
			}
			return nil
		}()
		if cerr := br.Close(); err == nil {
			err = cerr
		}
		return err
	})
	return seq, prev, err
}

// auditClaim is audit_head claimed at the start of a ledger batch: the
// sequence number and hash its audit entries chain onto.
type auditClaim struct {
	seq  int64
	prev []byte
}

// claimPipeline claims the ledger head and then audit_head (always in
// that order) and reads the newest audit hash, in one round trip: with
// the audit entries then written in the write pipeline, a batch holds the
// head for one round trip less. Holding audit_head for the whole batch
// costs other audit appenders nothing they did not pay already: they
// conflicted with every ledger batch's audit append before too.
func claimPipeline(ctx context.Context, conn *sql.Conn) (h ledgerHead, ac *auditClaim, err error) {
	b := &pgx.Batch{}
	b.Queue(`UPDATE ledger_head SET version = version + 1 WHERE id = 1
		RETURNING version, last_seq, last_ts, last_account, max_transfer_id`)
	b.Queue(`UPDATE audit_head SET seq = seq WHERE id = 1 RETURNING seq`)
	b.Queue(`SELECT hash FROM audit_log WHERE seq = (SELECT seq FROM audit_head WHERE id = 1)`)
	ac = &auditClaim{prev: audit.GenesisHash}
	err = conn.Raw(func(dc any) error {
		br := dc.(*stdlib.Conn).Conn().SendBatch(ctx, b)
		err := func() error {
			if err := br.QueryRow().Scan(&h.version, &h.lastSeq, &h.lastTS, &h.lastAccount, &h.maxID); err != nil {
				return fmt.Errorf("ledger head: %w", err)
			}
			if err := br.QueryRow().Scan(&ac.seq); err != nil {
				return fmt.Errorf("audit head: %w", err)
			}
			err := br.QueryRow().Scan(&ac.prev)
			if errors.Is(err, pgx.ErrNoRows) && ac.seq == 0 {
				ac.prev, err = audit.GenesisHash, nil
			}
			if err != nil {
				return fmt.Errorf("audit head %d: %w", ac.seq, err)
			}
			return nil
		}()
		if cerr := br.Close(); err == nil {
			err = cerr
		}
		return err
	})
	return h, ac, err
}
