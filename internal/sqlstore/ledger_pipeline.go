package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"bricstown/internal/audit"
	"bricstown/internal/ledger"
	"bricstown/internal/problem"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
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
// With ac (audit_head claimed with the ledger head: the batcher's batch,
// in the transaction claimPipeline began on conn) the entries and the
// pending records are written in the same pipeline and it ends with
// COMMIT, so the head is released as soon as the writes are done instead
// of one more round trip later; it then returns errCommitted, and an
// answer lost after the pipeline was sent is problem.OutcomeUnknown (the
// COMMIT may have run).
//
// With flushAs too, that COMMIT was asynchronous (synchronous_commit off,
// set by claimPipeline), so the head row's lock was released without
// waiting for an fsync: the next writer, in any process, starts while
// this batch's WAL is being flushed, instead of every batch's fsync
// adding to the queue (the holder was in WALSync in 40% of samples
// before, with four processes). The same pipeline then commits one more
// transaction synchronously, which updates flushAs's own row in
// ledger_flush: its commit record comes after the batch's, so when it is
// confirmed the batch is on disk, and only then are its requests
// answered. The row is this process's own, so the flush waits for no
// lock, and PostgreSQL's group commit merges the flushes of concurrent
// processes. A batch that reads another's effects before they are
// flushed commits after it in the WAL, so a crash cannot keep the later
// batch and lose the earlier one. When the batch committed but the flush
// failed, the batch may not survive a crash: problem.OutcomeUnknown.
func pipelineWrites(ctx context.Context, conn *sql.Conn, out *ledger.Outcome, h ledgerHead, ac *auditClaim, flushAs string, entries []audit.Record) (seq int64, prev []byte, err error) {
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
	nIns := 0
	if ac != nil {
		nIns = queueAudits(b, out.LastTimestamp, entries, ac)
		queuePendings(b, out)
		queueCommitFlush(b, flushAs)
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
				if err := readAudits(br, nIns); err != nil {
					return err
				}
				for range pendingStatements(out) {
					if _, err := br.Exec(); err != nil {
						return fmt.Errorf("pending transfers: %w", err)
					}
				}
				return readCommitFlush(br, flushAs)
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
	if ac != nil {
		err = commitOutcome(err)
	}
	return seq, prev, err
}

// queueAudits queues the statements that write entries after ac's claim
// of audit_head and move the head past them; it returns how many inserts
// it queued, for readAudits.
func queueAudits(b *pgx.Batch, at time.Time, entries []audit.Record, ac *auditClaim) int {
	ins := auditInserts(Postgres, at, entries, ac.seq, ac.prev)
	for _, st := range ins {
		b.Queue(st.sql, st.args...)
	}
	b.Queue(`UPDATE audit_head SET seq = $1 WHERE id = 1`, ac.seq+int64(len(entries)))
	return len(ins)
}

// readAudits reads the answers to queueAudits' statements.
func readAudits(br pgx.BatchResults, inserts int) error {
	for range inserts {
		if _, err := br.Exec(); err != nil {
			return fmt.Errorf("audit append: %w", err)
		}
	}
	if _, err := br.Exec(); err != nil {
		return fmt.Errorf("audit head: %w", err)
	}
	return nil
}

// queueCommit ends a pipeline in a database/sql Tx with COMMIT, then
// opens an empty transaction for the Tx to roll back: a ROLLBACK outside
// one makes PostgreSQL log a warning, one per batch.
func queueCommit(b *pgx.Batch) {
	b.Queue(`COMMIT`)
	b.Queue(`BEGIN`)
}

// readCommit reads the COMMIT's answer (and, when reopened, queueCommit's
// BEGIN after it): errCommitted when the transaction committed.
func readCommit(br pgx.BatchResults, reopened bool) error {
	tag, err := br.Exec()
	if err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	if tag.String() != "COMMIT" {
		return fmt.Errorf("commit: the server answered %q", tag.String())
	}
	if reopened {
		_, _ = br.Exec() // the BEGIN: committed whatever it answers
	}
	return errCommitted
}

// queueCommitFlush ends the batcher's pipeline: the batch's COMMIT and,
// when flushAs is not empty, the durability flush after it (see
// pipelineWrites).
func queueCommitFlush(b *pgx.Batch, flushAs string) {
	b.Queue(`COMMIT`)
	if flushAs != "" {
		b.Queue(`BEGIN`)
		b.Queue(`INSERT INTO ledger_flush (writer, n) VALUES ($1, 1)
			ON CONFLICT (writer) DO UPDATE SET n = ledger_flush.n + 1`, flushAs)
		b.Queue(`COMMIT`)
	}
}

// readCommitFlush reads queueCommitFlush's answers: errCommitted when the
// batch committed and, with flushAs, is on disk. A batch that committed
// and whose flush failed may not survive a crash: problem.OutcomeUnknown.
func readCommitFlush(br pgx.BatchResults, flushAs string) error {
	if err := readCommit(br, false); !errors.Is(err, errCommitted) || flushAs == "" {
		return err
	}
	for _, what := range []string{"begin", "row", "commit"} {
		if _, err := br.Exec(); err != nil {
			return &problem.Error{Code: problem.OutcomeUnknown, Err: fmt.Errorf("durability flush: %s: %w", what, err), RetryAfter: RetryAfter,
				Message: "the database committed the change but did not confirm it is on disk; retry with the same ids"}
		}
	}
	return errCommitted
}

// commitPipeline ends a batcher's batch that created nothing (every
// transfer a repeat or refused) the way pipelineWrites ends the others,
// flush included: its answers were read from batches that may not be on
// disk yet, and a client must not be told "exists" about a transfer a
// crash can still lose.
func commitPipeline(ctx context.Context, conn *sql.Conn, flushAs string) error {
	b := &pgx.Batch{}
	queueCommitFlush(b, flushAs)
	err := conn.Raw(func(dc any) error {
		br := dc.(*stdlib.Conn).Conn().SendBatch(ctx, b)
		err := readCommitFlush(br, flushAs)
		if cerr := br.Close(); err == nil {
			err = cerr
		}
		return err
	})
	return commitOutcome(err)
}

// commitOutcome is the error of a pipeline that ended in COMMIT: a
// failure after it was sent, other than the server's refusal of one of
// its statements (which skips the rest, COMMIT included), leaves the
// outcome unknown.
func commitOutcome(err error) error {
	if err != nil && !errors.Is(err, errCommitted) && !definitelyRefused(err) {
		return commitUnknown(err)
	}
	return err
}

// errCommitted is how a pipeline that ended in COMMIT (pipelineWrites,
// commitPipeline, the booking batch's commitBookingAudits) says that it
// committed the transaction: the caller must not commit again.
var errCommitted = errors.New("ledger: committed in the write pipeline")

// definitelyRefused reports an error after which a pipeline that ended in
// COMMIT certainly applied nothing: the server answered one of its
// statements with an ERROR, which makes it skip the rest, COMMIT included.
// Anything else (the connection dropped, the context ended while waiting
// for answers) leaves the outcome unknown.
func definitelyRefused(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Severity == "ERROR"
}

// pendingStatements are the writes of the pending records a batch created
// or resolved: one statement for each kind that is there.
func pendingStatements(out *ledger.Outcome) []statement {
	var st []statement
	isNew := map[ledger.ID]bool{}
	if len(out.NewPendings) > 0 {
		var ids [][]byte
		var seqs, exp []int64
		var state []string
		for _, p := range out.NewPendings {
			isNew[p.Transfer.ID] = true
			ids, seqs = append(ids, p.Transfer.ID[:]), append(seqs, p.Transfer.Seq)
			state, exp = append(state, string(p.State)), append(exp, micros(p.ExpiresAt))
		}
		st = append(st, statement{`INSERT INTO ledger_pending (id, seq, state, expires_at)
			SELECT * FROM unnest($1::bytea[], $2::bigint[], $3::text[], $4::bigint[])`, []any{ids, seqs, state, exp}})
	}
	var ids [][]byte
	var state []string
	for _, p := range out.Resolved {
		if !isNew[p.Transfer.ID] {
			ids, state = append(ids, p.Transfer.ID[:]), append(state, string(p.State))
		}
	}
	if len(ids) > 0 {
		st = append(st, statement{`UPDATE ledger_pending SET state = v.s FROM unnest($1::bytea[], $2::text[]) AS v(id, s)
			WHERE ledger_pending.id = v.id`, []any{ids, state}})
	}
	return st
}

func queuePendings(b *pgx.Batch, out *ledger.Outcome) {
	for _, st := range pendingStatements(out) {
		b.Queue(st.sql, st.args...)
	}
}

// auditClaim is audit_head claimed at the start of a ledger batch: the
// sequence number and hash its audit entries chain onto.
type auditClaim struct {
	seq  int64
	prev []byte
}

// claimPipeline begins the batcher's transaction (READ COMMITTED, see
// ledgerTx; with asynchronous commit when async, see pipelineWrites),
// claims the ledger head and then audit_head (always in that order) and
// reads the newest audit hash, in one round trip: with the audit entries
// then written in the write pipeline, a batch holds the head for one
// round trip less. Holding audit_head for the whole batch costs other
// audit appenders nothing they did not pay already: they conflicted with
// every ledger batch's audit append before too.
func claimPipeline(ctx context.Context, conn *sql.Conn, async bool) (h ledgerHead, ac *auditClaim, err error) {
	b := &pgx.Batch{}
	b.Queue(`BEGIN ISOLATION LEVEL READ COMMITTED`)
	if async {
		b.Queue(`SET LOCAL synchronous_commit = off`)
	}
	b.Queue(`UPDATE ledger_head SET version = version + 1 WHERE id = 1
		RETURNING version, last_seq, last_ts, last_account, max_transfer_id`)
	b.Queue(`UPDATE audit_head SET seq = seq WHERE id = 1 RETURNING seq`)
	b.Queue(`SELECT hash FROM audit_log WHERE seq = (SELECT seq FROM audit_head WHERE id = 1)`)
	ac = &auditClaim{prev: audit.GenesisHash}
	err = conn.Raw(func(dc any) error {
		br := dc.(*stdlib.Conn).Conn().SendBatch(ctx, b)
		err := func() error {
			if _, err := br.Exec(); err != nil {
				return fmt.Errorf("begin: %w", err)
			}
			if async {
				if _, err := br.Exec(); err != nil {
					return fmt.Errorf("asynchronous commit: %w", err)
				}
			}
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

// readPipeline is readBatch for the batcher's batch on PostgreSQL: the id
// probe, the pending transfers and the accounts (with the accounts of
// those pending transfers, found by a join instead of a second query) go
// out as one pipeline, so the head is held for one round trip of reads
// instead of up to three. Each statement runs after the head was claimed,
// with a fresh READ COMMITTED snapshot, so it sees every batch committed
// before this one and none can commit during it.
func readPipeline(ctx context.Context, conn *sql.Conn, c *ledgerCache, b *ledger.Batch, reqs []ledger.Transfer, probe, pendIDs [][]byte) error {
	b.Accounts = make(map[ledger.ID]*ledger.Account, 2*len(reqs))
	var missing [][]byte
	need := func(id ledger.ID) {
		if id == ledger.Zero {
			return
		}
		if _, ok := b.Accounts[id]; ok {
			return
		}
		if a, ok := c.accounts[id]; ok {
			b.Accounts[id] = a
			return
		}
		b.Accounts[id] = nil
		missing = append(missing, append([]byte(nil), id[:]...))
	}
	for i := range reqs {
		need(reqs[i].DebitAccount)
		need(reqs[i].CreditAccount)
	}
	pb := &pgx.Batch{}
	if len(probe) > 0 {
		pb.Queue(transferSelect+` WHERE t.id = ANY($1)`, probe)
	}
	if len(pendIDs) > 0 {
		pb.Queue(`SELECT p.state, p.expires_at, `+strings.TrimPrefix(transferSelect, "SELECT ")+
			` JOIN ledger_pending p ON p.seq = t.seq WHERE p.id = ANY($1)`, pendIDs)
		pb.Queue(`SELECT `+accountCols+accountFrom+` WHERE a.row_id IN (
			SELECT t.debit_row FROM ledger_pending p JOIN ledger_transfers t ON t.seq = p.seq WHERE p.id = ANY($1)
			UNION SELECT t.credit_row FROM ledger_pending p JOIN ledger_transfers t ON t.seq = p.seq WHERE p.id = ANY($1))`, pendIDs)
	}
	if len(missing) > 0 {
		pb.Queue(`SELECT `+accountCols+accountFrom+` WHERE a.id = ANY($1)`, missing)
	}
	if pb.Len() == 0 {
		dropMissing(b)
		return nil
	}
	accounts := func(rows pgx.Rows) error {
		defer rows.Close()
		for rows.Next() {
			a, err := scanAccount(rows)
			if err != nil {
				return err
			}
			if old, ok := b.Accounts[a.ID]; ok && old != nil {
				continue // from the cache, which is current
			}
			b.Accounts[a.ID] = &a
			c.accounts[a.ID] = &a
		}
		return rows.Err()
	}
	err := conn.Raw(func(dc any) error {
		br := dc.(*stdlib.Conn).Conn().SendBatch(ctx, pb)
		err := func() error {
			if len(probe) > 0 {
				rows, err := br.Query()
				if err != nil {
					return fmt.Errorf("existing transfers: %w", err)
				}
				for rows.Next() {
					t, err := scanTransfer(rows)
					if err != nil {
						rows.Close()
						return fmt.Errorf("existing transfers: %w", err)
					}
					b.Existing[t.ID] = &t
				}
				rows.Close()
				if err := rows.Err(); err != nil {
					return fmt.Errorf("existing transfers: %w", err)
				}
			}
			if len(pendIDs) > 0 {
				rows, err := br.Query()
				if err != nil {
					return fmt.Errorf("pending transfers: %w", err)
				}
				for rows.Next() {
					p, err := scanPending(rows)
					if err != nil {
						rows.Close()
						return fmt.Errorf("pending transfers: %w", err)
					}
					b.Pendings[p.Transfer.ID] = p
				}
				rows.Close()
				if err := rows.Err(); err != nil {
					return fmt.Errorf("pending transfers: %w", err)
				}
				rows, err = br.Query()
				if err != nil {
					return fmt.Errorf("accounts of pending transfers: %w", err)
				}
				if err := accounts(rows); err != nil {
					return fmt.Errorf("accounts of pending transfers: %w", err)
				}
			}
			if len(missing) > 0 {
				rows, err := br.Query()
				if err != nil {
					return fmt.Errorf("accounts: %w", err)
				}
				if err := accounts(rows); err != nil {
					return fmt.Errorf("accounts: %w", err)
				}
			}
			return nil
		}()
		if cerr := br.Close(); err == nil {
			err = cerr
		}
		return err
	})
	dropMissing(b)
	return err
}

// dropMissing forgets the accounts that were asked for and do not exist,
// so that Apply answers for them.
func dropMissing(b *ledger.Batch) {
	for id, a := range b.Accounts {
		if a == nil {
			delete(b.Accounts, id)
		}
	}
}
