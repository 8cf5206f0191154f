package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"bricstown/internal/audit"
	"bricstown/internal/groupcommit"
	"bricstown/internal/problem"
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
	at  time.Time // the change's time, for the batch's audit stamp
	err error
}

// bookingMaxBatch bounds one group commit, like customsMaxBatch.
const bookingMaxBatch = 256

func (db *DB) bookingQueue() *groupcommit.Queue[*bookingOp] {
	db.bookingOnce.Do(func() {
		db.bookings = groupcommit.New(db.writeBookingBatch, groupcommit.Options[*bookingOp]{Max: bookingMaxBatch})
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

// writeBookingBatch writes a batch in one serializable transaction (retried
// whole on a conflict), on its own context: one caller giving up must not
// abort the others' changes.
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
		err := db.Tx(ctx, func(tx *sql.Tx) error {
			failed = -1
			var recs []audit.Record
			var at time.Time
			for k, i := range todo {
				errs[i] = nil
				wrote, r, err := batch[i].run(ctx, tx)
				switch {
				case err != nil && db.retryable(err):
					return err // the whole batch retries
				case err != nil && (wrote || problem.CodeOf(err) == problem.Internal):
					// After a write, or a failure of the database itself
					// (which on PostgreSQL leaves the transaction aborted).
					failed, ferr = k, err
					return errBookingDrop
				case err != nil:
					errs[i] = err // refused before writing: the batch goes on
					continue
				}
				recs = append(recs, r...)
				if len(r) > 0 && batch[i].at.After(at) {
					at = batch[i].at
				}
			}
			if len(recs) == 0 {
				return nil
			}
			return appendAudits(ctx, tx, db.Engine, at, recs)
		})
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
