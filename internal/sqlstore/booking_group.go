package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"time"

	"bricstown/internal/audit"
	"bricstown/internal/groupcommit"
	"bricstown/internal/problem"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
)

// bookingOp is one caller's booking change (a take or a move) in the
// booking group commit, and its outcome once written.
//
// Why group them: a booking is a take and a confirmation, each a
// serializable transaction with an fsync; alone, they capped the engine at
// about 400 confirmed bookings a second (docs/PERFORMANCE.md, session 4).
// Grouped, one transaction and one fsync serve every change that arrived
// while the previous batch was written. The changes of a batch run one
// after another in its transaction, so each sees what the ones before it
// wrote: the capacity count stays exact.
type bookingOp struct {
	// run does the change in tx. It reports whether it wrote anything
	// before it failed: a refusal before any write (the slot is full, the
	// booking moved meanwhile) is the caller's answer and the batch goes
	// on; a failure after a write rolls the batch back and writes it
	// again without this change. recs are its audit entries.
	run func(ctx context.Context, tx *sql.Tx) (wrote bool, recs []audit.Record, err error)
	// fast, when set, is the change as one PostgreSQL statement, which
	// either makes the change, or refuses it (a full slot), or leaves it
	// to run (the key already used, a waiting list, a withdrawn
	// resource, a booking that moved). See writeBookingFast.
	fast *bookingFast
	// lock is a take's resource, whose row the batch locks before any
	// change runs (see writeBookingBatch).
	lock string
	at   time.Time // the change's time, for the batch's audit stamp
	err  error
}

// bookingFast is a change's single statement and how to read its answer.
type bookingFast struct {
	sql  string
	args []any
	// answer reads the statement's row: made (with the change's audit
	// entries), or refused (the caller's answer, nothing written), or
	// neither (run must look). No row at all also means run must look.
	answer func(row interface{ Scan(...any) error }) (made bool, recs []audit.Record, refused error, err error)
}

// bookingMaxBatch bounds one group commit, like customsMaxBatch.
const bookingMaxBatch = 256

func (db *DB) bookingQueue() *groupcommit.Queue[*bookingOp] {
	db.bookingOnce.Do(func() {
		// Two batches at once on PostgreSQL: one runs its statements while
		// the other waits for its commit's flush; batches on the same
		// resource queue on its row lock (see writeBookingBatch). SQLite
		// has one writer at a time anyway.
		writers := 1
		if db.Engine == Postgres {
			writers = 2
		}
		db.bookings = groupcommit.New(db.writeBookingBatch, groupcommit.Options[*bookingOp]{Max: bookingMaxBatch, Writers: writers})
	})
	return db.bookings
}

// bookingChange queues op and returns its outcome.
func (db *DB) bookingChange(ctx context.Context, op *bookingOp) error {
	if err := db.bookingQueue().Do(ctx, op); err != nil {
		return err
	}
	return op.err
}

// errBookingDrop rolls a booking batch back to write it again without one change.
var errBookingDrop = errors.New("sqlstore: drop one change from the booking batch")

// writeBookingBatch writes a batch in one transaction (retried whole on a
// conflict), on its own context: one caller giving up must not abort the
// others' changes.
//
// On PostgreSQL the transaction is READ COMMITTED, and its first statement
// locks the rows of every resource the batch takes a place on, in id order
// (lockResourcesSQL); every later statement takes a fresh snapshot, which
// holds every booking committed before the locks were granted. Nobody else
// can take a place on those resources until the batch commits (every take
// runs in a batch), so the counts it reads stay true: the capacity check
// is as exact as under SERIALIZABLE. Why not SERIALIZABLE: its predicate
// locks on every index range a take counts, and their check at commit,
// were the largest part of PostgreSQL's work per booking, and a batch of
// another process that met the same resource failed and started again
// instead of waiting (docs/PERFORMANCE.md, session 7). The locking
// statement also moves the resources' version, so a SERIALIZABLE writer
// of the same resources (joining a waiting list, withdrawing a festival's
// categories) that counted before the batch committed fails and counts
// again. A take's resources are locked in one statement in a fixed order,
// so two batches cannot deadlock on them; a cancellation, which locks its
// resource when it frees the place (touch), may, and PostgreSQL's
// deadlock error retries the batch. SQLite's batch is BEGIN IMMEDIATE, one
// writer at a time, as before.
func (db *DB) writeBookingBatch(take func() []*bookingOp) error {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	db.prepareWanted(ctx)
	batch := take()
	errs := make([]error, len(batch))
	todo := make([]int, len(batch))
	for i := range todo {
		todo[i] = i
	}
	for len(todo) > 0 {
		failed, ferr := -1, error(nil)
		opts := db.txOptions()
		if db.Engine == Postgres {
			opts = &sql.TxOptions{Isolation: sql.LevelReadCommitted}
		}
		err := db.txConn(ctx, opts, func(tx *sql.Tx, conn *sql.Conn) error {
			failed = -1
			var recs []audit.Record
			var at time.Time
			keep := func(i int, r []audit.Record) {
				errs[i] = nil
				recs = append(recs, r...)
				if len(r) > 0 && batch[i].at.After(at) {
					at = batch[i].at
				}
			}
			slow := todo
			var ac *auditClaim
			if db.Engine == Postgres {
				var k int
				var err error
				slow, ac, k, err = db.writeBookingFast(ctx, conn, batch, todo, keep, func(i int, err error) { errs[i] = err })
				switch {
				case err != nil && (db.retryable(err) || k < 0):
					return err
				case err != nil:
					// One change broke the transaction (a key another
					// process used a moment before): write the batch
					// again without it.
					failed, ferr = k, err
					return errBookingDrop
				}
			}
			for _, i := range slow {
				errs[i] = nil
				wrote, r, err := batch[i].run(ctx, tx)
				switch {
				case err != nil && db.retryable(err):
					return err // the whole batch retries
				case err != nil && (wrote || problem.CodeOf(err) == problem.Internal):
					// After a write, or a failure of the database itself
					// (which on PostgreSQL leaves the transaction aborted).
					failed, ferr = slices.Index(todo, i), err
					return errBookingDrop
				case err != nil:
					errs[i] = err // refused before writing: the batch goes on
					continue
				}
				keep(i, r)
			}
			switch {
			case len(recs) == 0:
				return nil
			case ac != nil:
				return commitBookingAudits(ctx, conn, at, recs, ac)
			}
			return appendAudits(ctx, tx, db.Engine, at, recs)
		})
		if errors.Is(err, errCommitted) {
			err = nil
		}
		if err == errBookingDrop {
			errs[todo[failed]] = ferr
			todo = append(todo[:failed], todo[failed+1:]...)
			continue
		}
		if err != nil {
			for _, i := range todo {
				errs[i] = err
			}
		}
		break
	}
	for i, op := range batch {
		op.err = errs[i]
	}
	return nil
}

// lockResourcesSQL locks the rows of the resources $1 (sorted), in id
// order, and moves their version (see writeBookingBatch).
const lockResourcesSQL = `WITH l AS (SELECT id FROM booking_resources WHERE id = ANY($1::text[]) ORDER BY id FOR UPDATE)
UPDATE booking_resources r SET version = r.version + 1 FROM l WHERE r.id = l.id`

// writeBookingFast sends the fast statements of the batch's changes todo
// (batch indices) to PostgreSQL as one pipeline: one round trip for every
// take and confirmation of the batch, where run costs several each. On one
// connection they run in order in the transaction, so each counts the
// places the ones before it took, as run does. It answers the changes
// still to be run (no fast statement, or one that found nothing to do),
// in batch order; on an error, the position in todo of the change that
// failed (-2: the resources' locks, before any change). The resources'
// locks (lockResourcesSQL) go first in the same pipeline. A change its statement refused (a full slot) is answered here
// like one run refused before writing.
//
// Why: PostgreSQL answers each statement after a network round trip, and
// a batch's statements run one after another on the single writer, so
// running every change statement by statement held the batch (and every
// client waiting for it) for hundreds of round trips: 195 confirmed
// bookings a second on PostgreSQL (docs/PERFORMANCE.md, session 6).
func (db *DB) writeBookingFast(ctx context.Context, conn *sql.Conn, batch []*bookingOp, todo []int, keep func(int, []audit.Record), refuse func(int, error)) (slow []int, ac *auditClaim, failed int, err error) {
	var fast []int
	var lock []string
	b := &pgx.Batch{}
	claim := true
	for _, i := range todo {
		if r := batch[i].lock; r != "" {
			lock = append(lock, r)
		}
		claim = claim && batch[i].fast != nil
	}
	if len(lock) > 0 {
		slices.Sort(lock)
		b.Queue(lockResourcesSQL, slices.Compact(lock))
	}
	for _, i := range todo {
		if f := batch[i].fast; f != nil {
			fast = append(fast, i)
			b.Queue(f.sql, f.args...)
		}
	}
	if len(fast) == 0 {
		claim = false
	}
	if claim {
		// Every change has its statement: claim audit_head last, after
		// them, and read the hash to chain onto (see commitBookingAudits).
		b.Queue(`UPDATE audit_head SET seq = seq WHERE id = 1 RETURNING seq`)
		b.Queue(`SELECT hash FROM audit_log WHERE seq = (SELECT seq FROM audit_head WHERE id = 1)`)
	}
	if b.Len() == 0 {
		return todo, nil, -1, nil
	}
	done := make(map[int]bool, len(fast))
	failed = -1
	err = conn.Raw(func(dc any) error {
		br := dc.(*stdlib.Conn).Conn().SendBatch(ctx, b)
		defer br.Close()
		if len(lock) > 0 {
			if _, err := br.Exec(); err != nil {
				failed = -2
				return err
			}
		}
		for _, i := range fast {
			rows, err := br.Query()
			if err != nil {
				failed = slices.Index(todo, i)
				return err
			}
			made, recs, refused := false, []audit.Record(nil), error(nil)
			if rows.Next() {
				if made, recs, refused, err = batch[i].fast.answer(rows); err != nil {
					rows.Close()
					failed = slices.Index(todo, i)
					return err
				}
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				failed = slices.Index(todo, i)
				return err
			}
			switch {
			case made:
				keep(i, recs)
				done[i] = true
			case refused != nil:
				refuse(i, refused)
				done[i] = true
			}
		}
		if claim {
			ac = &auditClaim{prev: audit.GenesisHash}
			if err := br.QueryRow().Scan(&ac.seq); err != nil {
				return fmt.Errorf("audit head: %w", err)
			}
			err := br.QueryRow().Scan(&ac.prev)
			if errors.Is(err, pgx.ErrNoRows) && ac.seq == 0 {
				ac.prev, err = audit.GenesisHash, nil // the first entry of the log
			}
			if err != nil {
				return fmt.Errorf("audit head %d: %w", ac.seq, err)
			}
		}
		return br.Close()
	})
	if err != nil {
		return nil, nil, failed, err
	}
	for _, i := range todo {
		if !done[i] {
			slow = append(slow, i)
		}
	}
	return slow, ac, -1, nil
}

// commitBookingAudits writes a PostgreSQL booking batch's audit entries
// after the claim its pipeline made, moves audit_head past them and
// commits, as one pipeline: errCommitted when it did. Why: audit_head is
// the one row every writer's batch (both of this process's booking
// writers, every other process, every ledger batch) waits for, and the
// claim, the read of the hash, the insert and the COMMIT each took a
// round trip while it was held (docs/PERFORMANCE.md, session 7). An
// answer lost after the pipeline was sent leaves the outcome unknown, as
// for the ledger's (see pipelineWrites).
func commitBookingAudits(ctx context.Context, conn *sql.Conn, at time.Time, recs []audit.Record, ac *auditClaim) error {
	b := &pgx.Batch{}
	n := queueAudits(b, at, recs, ac)
	queueCommit(b)
	err := conn.Raw(func(dc any) error {
		br := dc.(*stdlib.Conn).Conn().SendBatch(ctx, b)
		err := readAudits(br, n)
		if err == nil {
			err = readCommit(br)
		}
		if cerr := br.Close(); err == nil {
			err = cerr
		}
		return err
	})
	return commitOutcome(err)
}
