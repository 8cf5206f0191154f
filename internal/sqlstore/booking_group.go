package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"time"

	"bricstown/internal/audit"
	"bricstown/internal/booking"
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
	// fast, when set, is the change as part of one PostgreSQL statement
	// for a group of changes, which either makes it, or refuses it (a
	// full slot), or leaves it to run (the key already used, a waiting
	// list, a withdrawn resource, a booking that moved). See
	// writeBookingFast.
	fast *bookingFast
	// lock is a take's resource, whose row the batch locks before any
	// change runs (see writeBookingBatch).
	lock string
	at   time.Time // the change's time, for the batch's audit stamp
	err  error
}

// bookingFast is a take or a move the batch may write in a group of
// its kind (takeSetSQL, moveSetSQL), and how to answer its outcome.
type bookingFast struct {
	take *booking.Take
	// took answers a take's outcome: made (with its audit entries), or
	// refused (the caller's answer, nothing written), or neither (run
	// must look).
	took func(took, full, stale bool) (made bool, recs []audit.Record, refused error)
	move *booking.Move // one status; frees no place
	// moved answers the booking a move moved (a move that matched
	// nothing is left to run).
	moved func(b booking.Booking) []audit.Record
}

// fastGroups splits the fast changes of todo (batch indices) into the
// groups written as one statement each: takes first, then moves, each
// kind in as few groups as its changes allow, in batch order. A group
// never holds two takes of one resource or one key, nor two moves of one
// booking: within one statement no change sees another's write, so
// those must run one after the other, each in a later group than the
// one before it. single puts every change in a group of its own (after a
// group's statement failed: the change to blame is found so).
//
// Why takes before moves: the moves of a batch (a confirmation of a
// hold) neither free nor take a place, so no take counts differently for
// running after them; and requests of one batch are concurrent, so any
// order is one they could have arrived in.
func fastGroups(batch []*bookingOp, todo []int, single bool) (takes, moves [][]int) {
	last := map[string]int{} // "r:" resource, "k:" key, "b:" booking → its latest group
	place := func(groups [][]int, i int, names ...string) [][]int {
		g := 0
		if single {
			g = len(groups)
		}
		for _, n := range names {
			if at, ok := last[n]; ok && at+1 > g {
				g = at + 1
			}
		}
		for _, n := range names {
			last[n] = g
		}
		if g == len(groups) {
			groups = append(groups, nil)
		}
		groups[g] = append(groups[g], i)
		return groups
	}
	for _, i := range todo {
		if f := batch[i].fast; f != nil && f.take != nil {
			takes = place(takes, i, "r:"+f.take.Booking.ResourceID, "k:"+f.take.Booking.Key)
		}
	}
	for _, i := range todo {
		if f := batch[i].fast; f != nil && f.move != nil {
			moves = place(moves, i, "b:"+f.move.ID)
		}
	}
	return takes, moves
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

// errBookingSingle rolls a booking batch back to write it again with a
// statement for each change (see writeBookingFast).
var errBookingSingle = errors.New("sqlstore: write the booking batch change by change")

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
	single := false
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
				slow, ac, k, err = db.writeBookingFast(ctx, conn, batch, todo, single, keep, func(i int, err error) { errs[i] = err })
				switch {
				case err != nil && k == -3 && !db.retryable(err):
					// A group's statement failed: write the batch again
					// with a statement for each change, to find the one.
					return errBookingSingle
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
		if err == errBookingSingle {
			single = true
			continue
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

// indexPlansSQL has the rest of a booking batch's transaction planned
// with index lookups and nested loops only. Why: the group statements
// (takeSetSQL, moveSetSQL) join a handful of changes to bookings and
// resources by key, and PostgreSQL plans a prepared statement once for
// the connection; planned while the tables were small or unanalysed (a
// new town, a benchmark's first batch), they kept scanning whole tables
// and hashing them for every batch after: 4 ms a group instead of a few
// hundred µs (docs/PERFORMANCE.md, session 8). A lookup by key is the
// right plan at any size, so the plan is made once: a group of one take
// is cheaper in a plan made for it than in the generic plan, so
// PostgreSQL planned it again for every statement, 0.37 ms each (on one
// busy resource, every take is a group of one).
const indexPlansSQL = `SELECT set_config('enable_seqscan', 'off', true), set_config('enable_hashjoin', 'off', true),
	set_config('enable_mergejoin', 'off', true), set_config('plan_cache_mode', 'force_generic_plan', true)`

// writeBookingFast sends the batch's fast changes of todo (batch
// indices) to PostgreSQL as one pipeline: one round trip, and one
// statement for each group of takes and of moves (see fastGroups), where
// run costs several statements each. On one connection they run in
// order in the transaction, so each group counts the places the ones
// before it took, as run does. The resources' locks (lockResourcesSQL)
// go first in the same pipeline. It answers the changes still to be run
// (not fast, or whose statement found nothing to do), in batch order;
// a change its statement refused (a full slot) is answered here like one
// run refused before writing. On an error, failed is the position in
// todo of the change to blame: -2 for the plans' settings or the
// resources' locks, -3 for a group of several (write the batch again
// with single, to find it).
//
// Why: PostgreSQL answers each statement after a network round trip, and
// a batch's statements run one after another on its writer, so running
// every change statement by statement held the batch (and every client
// waiting for it) for hundreds of round trips: 195 confirmed bookings a
// second on PostgreSQL (docs/PERFORMANCE.md, session 6). And each
// statement costs PostgreSQL its own executor start and snapshot, so a
// group costs less as one statement than as one each (session 8).
func (db *DB) writeBookingFast(ctx context.Context, conn *sql.Conn, batch []*bookingOp, todo []int, single bool, keep func(int, []audit.Record), refuse func(int, error)) (slow []int, ac *auditClaim, failed int, err error) {
	var lock []string
	claim := true
	for _, i := range todo {
		if r := batch[i].lock; r != "" {
			lock = append(lock, r)
		}
		claim = claim && batch[i].fast != nil
	}
	takes, moves := fastGroups(batch, todo, single)
	b := &pgx.Batch{}
	plans := len(lock)+len(takes)+len(moves) > 0
	if plans {
		b.Queue(indexPlansSQL)
	}
	if len(lock) > 0 {
		slices.Sort(lock)
		b.Queue(lockResourcesSQL, slices.Compact(lock))
	}
	for _, g := range takes {
		if len(g) == 1 {
			b.Queue(takeFastSQL, takeArgs(*batch[g[0]].fast.take)...)
			continue
		}
		var r takeRows
		for _, i := range g {
			r.add(*batch[i].fast.take)
		}
		b.Queue(takeSetSQL, r.args()...)
	}
	for _, g := range moves {
		var r moveRows
		for _, i := range g {
			r.add(*batch[i].fast.move)
		}
		b.Queue(moveSetSQL, r.args()...)
	}
	if len(takes)+len(moves) == 0 {
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
	done := make(map[int]bool, len(todo))
	failed = -1
	blame := func(g []int) int {
		if len(g) == 1 {
			return slices.Index(todo, g[0])
		}
		return -3
	}
	err = conn.Raw(func(dc any) error {
		br := dc.(*stdlib.Conn).Conn().SendBatch(ctx, b)
		defer br.Close()
		if plans {
			if _, err := br.Exec(); err != nil {
				failed = -2
				return err
			}
		}
		if len(lock) > 0 {
			if _, err := br.Exec(); err != nil {
				failed = -2
				return err
			}
		}
		for _, g := range takes {
			rows, err := br.Query()
			if err != nil {
				failed = blame(g)
				return err
			}
			k := 0
			for ; rows.Next() && k < len(g); k++ {
				var took, isFull, stale bool
				if err := rows.Scan(&took, &isFull, &stale); err != nil {
					rows.Close()
					return err
				}
				switch made, recs, refused := batch[g[k]].fast.took(took, isFull, stale); {
				case made:
					keep(g[k], recs)
					done[g[k]] = true
				case refused != nil:
					refuse(g[k], refused)
					done[g[k]] = true
				}
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				failed = blame(g)
				return err
			}
			if k != len(g) {
				return fmt.Errorf("sqlstore: %d answers to a group of %d takes", k, len(g))
			}
		}
		for _, g := range moves {
			rows, err := br.Query()
			if err != nil {
				failed = blame(g)
				return err
			}
			for rows.Next() {
				var n int64
				bk, err := scanSlotBooking(numbered{rows, &n})
				if err == nil && (n < 1 || n > int64(len(g)) || done[g[n-1]]) {
					err = fmt.Errorf("sqlstore: answer %d to a group of %d moves", n, len(g))
				}
				if err != nil {
					rows.Close()
					return err
				}
				i := g[n-1]
				keep(i, batch[i].fast.moved(bk))
				done[i] = true
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				failed = blame(g)
				return err
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

// numbered scans a row whose first column is a number into n, and the
// rest into what Scan is given.
type numbered struct {
	row interface{ Scan(...any) error }
	n   *int64
}

func (r numbered) Scan(dest ...any) error {
	return r.row.Scan(append([]any{r.n}, dest...)...)
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
			err = readCommit(br, true)
		}
		if cerr := br.Close(); err == nil {
			err = cerr
		}
		return err
	})
	return commitOutcome(err)
}
