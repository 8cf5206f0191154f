package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"time"

	"bricstown/internal/audit"
	"bricstown/internal/booking"
	"bricstown/internal/problem"
)

const bookingResourceCols = `id, owner_org, name, kind, capacity, time_zone, hours, closures, slot_minutes, buffer_before, buffer_after,
	min_notice, horizon_days, hold_minutes, refund_hours, price, account, public, created_at, updated_at, managed_by, withdrawn_at`

func scanBookingResource(sc interface{ Scan(...any) error }) (booking.Resource, error) {
	var r booking.Resource
	var hours, closures string
	var created, updated, withdrawn int64
	err := sc.Scan(&r.ID, &r.OwnerOrg, &r.Name, &r.Kind, &r.Capacity, &r.TimeZone, &hours, &closures, &r.SlotMinutes, &r.BufferBefore,
		&r.BufferAfter, &r.MinNoticeMin, &r.HorizonDays, &r.HoldMinutes, &r.RefundHours, &r.PriceKZT, &r.Account, &r.Public, &created, &updated,
		&r.ManagedBy, &withdrawn)
	if err != nil {
		return r, err
	}
	r.CreatedAt, r.UpdatedAt = fromMicros(created), fromMicros(updated)
	if withdrawn > 0 {
		r.WithdrawnAt = fromMicros(withdrawn)
	}
	if err := json.Unmarshal([]byte(hours), &r.Hours); err != nil {
		return r, fmt.Errorf("sqlstore: resource %s hours: %w", r.ID, err)
	}
	if err := json.Unmarshal([]byte(closures), &r.Closures); err != nil {
		return r, fmt.Errorf("sqlstore: resource %s closures: %w", r.ID, err)
	}
	return r, nil
}

func resourceArgs(r booking.Resource) ([]any, error) {
	hours, err := json.Marshal(r.Hours)
	if err != nil {
		return nil, err
	}
	if r.Closures == nil {
		r.Closures = []booking.Closure{}
	}
	closures, err := json.Marshal(r.Closures)
	if err != nil {
		return nil, err
	}
	return []any{r.ID, r.OwnerOrg, r.Name, r.Kind, r.Capacity, r.TimeZone, string(hours), string(closures), r.SlotMinutes, r.BufferBefore,
		r.BufferAfter, r.MinNoticeMin, r.HorizonDays, r.HoldMinutes, r.RefundHours, r.PriceKZT, r.Account, r.Public,
		micros(r.CreatedAt), micros(r.UpdatedAt), r.ManagedBy, micros(r.WithdrawnAt)}, nil
}

// CreateResource implements booking.Store.
func (db *DB) CreateResource(ctx context.Context, r booking.Resource, rec audit.Record) error {
	args, err := resourceArgs(r)
	if err != nil {
		return err
	}
	return db.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO booking_resources (`+bookingResourceCols+`, version)
			VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17,$18,$19,$20,$21,$22, 0)`, args...); err != nil {
			return fmt.Errorf("sqlstore: create resource: %w", err)
		}
		return appendAudit(ctx, tx, r.CreatedAt, rec)
	})
}

// UpdateResource implements booking.Store. The version moves, so a
// booking that counted under the old settings retries under the new.
func (db *DB) UpdateResource(ctx context.Context, r booking.Resource, rec audit.Record) error {
	args, err := resourceArgs(r)
	if err != nil {
		return err
	}
	return db.Tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE booking_resources SET name = $3, kind = $4, capacity = $5, time_zone = $6, hours = $7,
			closures = $8, slot_minutes = $9, buffer_before = $10, buffer_after = $11, min_notice = $12, horizon_days = $13,
			hold_minutes = $14, refund_hours = $15, price = $16, account = $17, public = $18, updated_at = $20, version = version + 1
			WHERE id = $1 AND owner_org = $2 AND created_at = $19 AND withdrawn_at = 0 AND updated_at < $20`, args[:20]...)
		if err != nil {
			return fmt.Errorf("sqlstore: update resource: %w", err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return problem.New(problem.NotFound, "no such resource")
		}
		return appendAudit(ctx, tx, r.UpdatedAt, rec)
	})
}

// GetResource implements booking.Store.
func (db *DB) GetResource(ctx context.Context, id string) (booking.Resource, error) {
	r, err := scanBookingResource(db.queryRow(ctx, `SELECT `+bookingResourceCols+` FROM booking_resources WHERE id = $1`, id))
	return r, notFound(err, "resource")
}

// ListResources implements booking.Store.
func (db *DB) ListResources(ctx context.Context, q booking.ResourceQuery) ([]booking.Resource, error) {
	var where []string
	var args []any
	add := func(cond string, v any) {
		args = append(args, v)
		where = append(where, fmt.Sprintf(cond, len(args)))
	}
	if q.OwnerOrg != "" {
		add("owner_org = $%d", q.OwnerOrg)
	}
	if q.PublicOnly {
		add("public = $%d", true)
	}
	if q.Kind != "" {
		add("kind = $%d", q.Kind)
	}
	if q.After != "" {
		add("id > $%d", q.After)
	}
	add("managed_by = $%d", q.ManagedBy)
	where = append(where, "withdrawn_at = 0")
	stmt := `SELECT ` + bookingResourceCols + ` FROM booking_resources`
	if len(where) > 0 {
		stmt += ` WHERE ` + strings.Join(where, " AND ")
	}
	limit := q.Limit
	if limit <= 0 {
		limit = 100
	}
	args = append(args, limit)
	stmt += fmt.Sprintf(` ORDER BY id LIMIT $%d`, len(args))
	rows, err := db.SQL.QueryContext(ctx, stmt, args...)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: list resources: %w", err)
	}
	return collect(rows, scanBookingResource)
}

const slotBookingCols = `id, resource_id, owner_org, booker_org, booker_user, party, start_at, end_at, status, hold_until, price, pay_from,
	pay_to, idem, refund, refund_due, created_at, updated_at`

func scanSlotBooking(sc interface{ Scan(...any) error }) (booking.Booking, error) {
	var b booking.Booking
	var start, end, hold, created, updated int64
	var status string
	err := sc.Scan(&b.ID, &b.ResourceID, &b.OwnerOrg, &b.BookerOrg, &b.BookerUser, &b.Party, &start, &end, &status, &hold, &b.PriceKZT,
		&b.PayFrom, &b.PayTo, &b.Key, &b.RefundKZT, &b.RefundDue, &created, &updated)
	b.Start, b.End, b.HoldUntil, b.CreatedAt, b.UpdatedAt = fromMicros(start), fromMicros(end), fromMicros(hold), fromMicros(created), fromMicros(updated)
	b.Status = booking.Status(status)
	return b, err
}

// liveCount counts the places taken in [from, to) of a resource at now:
// confirmed or confirming bookings, and holds within their grace.
func (db *DB) liveCount(ctx context.Context, tx *sql.Tx, resource string, from, to, now time.Time) (int, error) {
	var n int
	err := db.txQueryRow(ctx, tx, `SELECT COUNT(*) FROM bookings WHERE resource_id = $1 AND start_at < $2 AND end_at > $3
		AND (status = 'confirmed' OR status = 'confirming' OR (status = 'held' AND hold_until > $4))`,
		resource, micros(to), micros(from), micros(now.Add(-booking.Grace))).Scan(&n)
	return n, err
}

// promote offers the free places of a slot to the first parties waiting
// for it, for offerMinutes. It answers the live offers after, and whether
// it made new ones. One read serves both the live offers and the queue:
// every take runs it inside the booking batch, where each statement
// counts against the single writer.
func (db *DB) promote(ctx context.Context, tx *sql.Tx, resource string, start time.Time, capacity int, from, to, now time.Time, offerMinutes int) ([]string, bool, error) {
	rows, err := db.txQuery(ctx, tx, `SELECT id, party, status, offer_until FROM booking_waits
		WHERE resource_id = $1 AND start_at = $2 AND status IN ('waiting', 'offered') ORDER BY created_at, id`, resource, micros(start))
	if err != nil {
		return nil, false, err
	}
	type waiter struct{ id, party string }
	var offers []string
	var queue []waiter
	for rows.Next() {
		var w waiter
		var status string
		var until int64
		if err := rows.Scan(&w.id, &w.party, &status, &until); err != nil {
			rows.Close()
			return nil, false, err
		}
		switch {
		case status == "waiting":
			queue = append(queue, w)
		case fromMicros(until).After(now):
			offers = append(offers, w.party)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil || len(queue) == 0 {
		return offers, false, err
	}
	live, err := db.liveCount(ctx, tx, resource, from, to, now)
	if err != nil {
		return nil, false, err
	}
	free := capacity - live - len(offers)
	made := false
	for i := 0; i < free && i < len(queue); i++ {
		if _, err := db.txExec(ctx, tx, `UPDATE booking_waits SET status = 'offered', offer_until = $1 WHERE id = $2`,
			micros(now.Add(time.Duration(offerMinutes)*time.Minute)), queue[i].id); err != nil {
			return nil, true, err
		}
		offers, made = append(offers, queue[i].party), true
	}
	return offers, made, nil
}

// touch moves a resource's version. Every transaction that changes what
// a take counts on the resource writes its row: under serializable
// isolation (joining a waiting list) two that both counted a free place
// cannot both commit: the second is refused (PostgreSQL 40001) and
// retried, and counts again; in the booking batch (READ COMMITTED, see
// writeBookingBatch) a cancellation's touch waits for the other batches
// of the resource before it offers the freed place. SQLite needs no such
// write: its transactions begin IMMEDIATE (see Open), so writers already
// run one at a time, and the update would cost the single writer a
// statement on every take.
func (db *DB) touch(ctx context.Context, tx *sql.Tx, resource string) error {
	if db.Engine == SQLite {
		return nil
	}
	res, err := db.txExec(ctx, tx, `UPDATE booking_resources SET version = version + 1 WHERE id = $1`, resource)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return problem.New(problem.NotFound, "no such resource")
	}
	return nil
}

func full() error {
	return &problem.Error{Code: problem.Conflict, Message: "no place is left on this slot", Fields: map[string]string{"start": "full"}}
}

// takeCheckSQL reads in one statement what a take must know before it
// may simply insert: whether its key was used, whether anything asks for
// the step-by-step run (somebody waits for the slot, or the resource was
// withdrawn), the places live in the window, counted as liveCount
// does, and whether the resource's settings changed since the service read
// them (see booking.Take.ResourceAt). Arguments: key, resource, start,
// window to, window from, the hold cut-off (now less the grace), the
// resource's updated_at as read.
const takeCheckSQL = `SELECT EXISTS (SELECT 1 FROM bookings WHERE idem = $1) AS used,
		EXISTS (SELECT 1 FROM booking_waits WHERE resource_id = $2 AND start_at = $3 AND status IN ('waiting', 'offered'))
			OR EXISTS (SELECT 1 FROM booking_resources WHERE id = $2 AND withdrawn_at > 0) AS stepwise,
		(SELECT COUNT(*) FROM bookings WHERE resource_id = $2 AND start_at < $4 AND end_at > $5
			AND (status = 'confirmed' OR status = 'confirming' OR (status = 'held' AND hold_until > $6))) AS live,
		COALESCE((SELECT updated_at FROM booking_resources WHERE id = $2), 0) <> $7 AS stale`

// takeFastSQL is a take as one PostgreSQL statement (see bookingFast):
// takeCheckSQL, then the insert only when the key is new, nothing asks for
// the step-by-step run, the resource is as the service read it and a place
// is free ($8 is the capacity, $9… the booking's columns). It runs after
// the batch locked the resource (see writeBookingBatch), which makes its
// count exact. It answers whether it took the place, whether the slot was
// simply full (the refusal), and whether the resource changed since the
// service read it. A used key, a waiting list or a withdrawn resource is left
// to the take's step-by-step run, which answers the earlier booking,
// deals with the list or refuses the take. It is a group of one take's
// statement (see takeSetSQL), which on one busy resource is every group:
// it costs PostgreSQL a fifth less than takeSetSQL for one take
// (docs/PERFORMANCE.md, session 8).
const takeFastSQL = `WITH c AS (` + takeCheckSQL + `),
ins AS (
	INSERT INTO bookings (` + slotBookingCols + `)
	SELECT $9::text, $2::text, $10::text, $11::text, $12::text, $13::text, $3::bigint, $14::bigint, $15::text, $16::bigint, $17::bigint,
		$18::text, $19::text, $1::text, $20::bigint, $21::boolean, $22::bigint, $23::bigint
	FROM c WHERE NOT c.used AND NOT c.stepwise AND NOT c.stale AND c.live < $8
	RETURNING resource_id)
SELECT (SELECT COUNT(*) FROM ins) > 0, NOT c.used AND NOT c.stepwise AND NOT c.stale AND c.live >= $8, NOT c.used AND c.stale FROM c`

// takeArgs are takeCheckSQL's arguments for t, then (for takeFastSQL) the
// capacity and the booking's columns other than key, resource and start.
func takeArgs(t booking.Take) []any {
	b := t.Booking
	return []any{b.Key, b.ResourceID, micros(b.Start), micros(t.WindowTo), micros(t.WindowFrom), micros(t.Now.Add(-booking.Grace)),
		micros(t.ResourceAt), t.Capacity, b.ID, b.OwnerOrg, b.BookerOrg, b.BookerUser, b.Party, micros(b.End), string(b.Status), micros(b.HoldUntil),
		b.PriceKZT, b.PayFrom, b.PayTo, b.RefundKZT, b.RefundDue, micros(b.CreatedAt), micros(b.UpdatedAt)}
}

// takeSetSQL is a group of takes as one PostgreSQL statement (see
// bookingFast): takeCheckSQL for each take of the group, then the insert
// of every take whose key is new, whom nothing sends to the step-by-step
// run, whose resource is as the service read it and whose slot has a
// place free. It runs after the batch locked the group's resources (see
// writeBookingBatch), which makes its counts exact. The takes of one
// group name different resources and different keys (see fastGroups), so
// none of them counts what another inserts. It answers, for each take in
// the order given, whether it took the place, whether the slot was simply
// full (the refusal), and whether the resource changed since the service
// read it. A used key, a waiting list or a withdrawn resource is left to
// the take's step-by-step run, which answers the earlier booking, deals
// with the list or refuses the take. The arguments are arrays, one
// element per take, in takeRows' order.
//
// (The lookups by key are scalar subqueries with LIMIT 1, not EXISTS:
// PostgreSQL may plan an EXISTS over a group as a hash of the whole
// table, read again for every group.)
//
// Why one statement for the group: each statement costs PostgreSQL its
// own parse of the messages, executor start and snapshot, which were the
// larger part of a take's cost (docs/PERFORMANCE.md, session 8).
const takeSetSQL = `WITH t AS (SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[], $4::bigint[], $5::bigint[], $6::bigint[], $7::bigint[],
		$8::bigint[], $9::text[], $10::text[], $11::text[], $12::text[], $13::text[], $14::bigint[], $15::text[], $16::bigint[], $17::bigint[],
		$18::text[], $19::text[], $20::bigint[], $21::boolean[], $22::bigint[], $23::bigint[])
	WITH ORDINALITY AS t(idem, res, start_at, wto, wfrom, cut, rat, cap, id, owner_org, booker_org, booker_user, party, end_at, status,
		hold_until, price, pay_from, pay_to, refund, refund_due, created_at, updated_at, n)),
c AS (SELECT t.*,
		COALESCE((SELECT true FROM bookings b WHERE b.idem = t.idem LIMIT 1), false) AS used,
		COALESCE((SELECT true FROM booking_waits w WHERE w.resource_id = t.res AND w.start_at = t.start_at
			AND w.status IN ('waiting', 'offered') LIMIT 1), false) OR COALESCE(r.withdrawn_at, 0) > 0 AS stepwise,
		(SELECT COUNT(*) FROM bookings b WHERE b.resource_id = t.res AND b.start_at < t.wto AND b.end_at > t.wfrom
			AND (b.status = 'confirmed' OR b.status = 'confirming' OR (b.status = 'held' AND b.hold_until > t.cut))) AS live,
		COALESCE(r.updated_at, 0) <> t.rat AS stale
	FROM t LEFT JOIN booking_resources r ON r.id = t.res),
ins AS (
	INSERT INTO bookings (` + slotBookingCols + `)
	SELECT id, res, owner_org, booker_org, booker_user, party, start_at, end_at, status, hold_until, price, pay_from, pay_to, idem,
		refund, refund_due, created_at, updated_at
	FROM c WHERE NOT used AND NOT stepwise AND NOT stale AND live < cap
	RETURNING idem)
SELECT EXISTS (SELECT 1 FROM ins WHERE ins.idem = c.idem), NOT used AND NOT stepwise AND NOT stale AND live >= cap, NOT used AND stale
FROM c ORDER BY n`

// takeRows holds takeSetSQL's arguments: one array per column.
type takeRows struct {
	key, res, id, owner, bookerOrg, bookerUser, party, status, payFrom, payTo         []string
	start, wto, wfrom, cut, rat, capacity, end, hold, price, refund, created, updated []int64
	due                                                                               []bool
}

func (r *takeRows) add(t booking.Take) {
	b := t.Booking
	r.key, r.res, r.id, r.owner = append(r.key, b.Key), append(r.res, b.ResourceID), append(r.id, b.ID), append(r.owner, b.OwnerOrg)
	r.bookerOrg, r.bookerUser, r.party = append(r.bookerOrg, b.BookerOrg), append(r.bookerUser, b.BookerUser), append(r.party, b.Party)
	r.status, r.payFrom, r.payTo = append(r.status, string(b.Status)), append(r.payFrom, b.PayFrom), append(r.payTo, b.PayTo)
	r.start, r.wto, r.wfrom = append(r.start, micros(b.Start)), append(r.wto, micros(t.WindowTo)), append(r.wfrom, micros(t.WindowFrom))
	r.cut, r.rat, r.capacity = append(r.cut, micros(t.Now.Add(-booking.Grace))), append(r.rat, micros(t.ResourceAt)), append(r.capacity, int64(t.Capacity))
	r.end, r.hold, r.price = append(r.end, micros(b.End)), append(r.hold, micros(b.HoldUntil)), append(r.price, b.PriceKZT)
	r.refund, r.due = append(r.refund, b.RefundKZT), append(r.due, b.RefundDue)
	r.created, r.updated = append(r.created, micros(b.CreatedAt)), append(r.updated, micros(b.UpdatedAt))
}

func (r *takeRows) args() []any {
	return []any{r.key, r.res, r.start, r.wto, r.wfrom, r.cut, r.rat, r.capacity, r.id, r.owner, r.bookerOrg, r.bookerUser, r.party, r.end,
		r.status, r.hold, r.price, r.payFrom, r.payTo, r.refund, r.due, r.created, r.updated}
}

// moveFastSQL is a move as one statement: moveOne's UPDATE.
const moveFastSQL = moveSQL + ` RETURNING ` + slotBookingCols

// moveOwnSQL is moveFastSQL with booking.Move.Own's condition.
// (The resource is found by its key: an IN over the resources of a
// manager had SQLite read every resource for each confirmation.)
const moveOwnSQL = moveSQL + ` AND party = $8 AND price = 0
	AND EXISTS (SELECT 1 FROM booking_resources r WHERE r.id = bookings.resource_id AND r.managed_by = $9) RETURNING ` + slotBookingCols

const moveSQL = `UPDATE bookings SET status = $1, refund = $2, refund_due = $3, updated_at = $4
	WHERE id = $5 AND status = $6 AND hold_until > $7`

// moveSetSQL is a group of moves (each naming one status, none freeing a
// place) as one PostgreSQL statement, like takeSetSQL: moveFastSQL, or
// moveOwnSQL for a move with Own, for each move of the group (which name
// different bookings, see fastGroups). It answers the bookings it moved,
// each after the move's position in the group (from 1); a move without
// an answer did not match. The arguments are arrays, in moveRows' order.
const moveSetSQL = `WITH v AS (SELECT * FROM unnest($1::text[], $2::bigint[], $3::boolean[], $4::bigint[], $5::text[], $6::text[], $7::bigint[],
		$8::boolean[], $9::text[], $10::text[])
	WITH ORDINALITY AS v(st, refund, due, at, id, from_st, live, own, party, via, n))
UPDATE bookings b SET status = v.st, refund = v.refund, refund_due = v.due, updated_at = v.at FROM v
WHERE b.id = v.id AND b.status = v.from_st AND b.hold_until > v.live
	AND (NOT v.own OR b.party = v.party AND b.price = 0
		AND EXISTS (SELECT 1 FROM booking_resources r WHERE r.id = b.resource_id AND r.managed_by = v.via))
RETURNING v.n, b.` + "id, b.resource_id, b.owner_org, b.booker_org, b.booker_user, b.party, b.start_at, b.end_at, b.status, b.hold_until, " +
	"b.price, b.pay_from, b.pay_to, b.idem, b.refund, b.refund_due, b.created_at, b.updated_at"

// moveArgs are moveFastSQL's (or moveOwnSQL's) arguments for m, which
// names one status.
func moveArgs(m booking.Move) []any {
	args := []any{string(m.To), m.Refund, m.Refund > 0, micros(m.At), m.ID, string(m.From[0]), moveLive(m)}
	if m.Own != nil {
		args = append(args, m.Own.Party, m.Own.Via)
	}
	return args
}

// moveLive is the hold a move needs live: its time, or before any time.
func moveLive(m booking.Move) int64 {
	if m.LiveAt.IsZero() {
		return math.MinInt64 // no hold to be live: every row passes
	}
	return micros(m.LiveAt)
}

// moveRows holds moveSetSQL's arguments: one array per column.
type moveRows struct {
	to, id, from, party, via []string
	refund, at, live         []int64
	due, own                 []bool
}

func (r *moveRows) add(m booking.Move) {
	r.to, r.refund, r.due, r.at = append(r.to, string(m.To)), append(r.refund, m.Refund), append(r.due, m.Refund > 0), append(r.at, micros(m.At))
	r.id, r.from, r.live = append(r.id, m.ID), append(r.from, string(m.From[0])), append(r.live, moveLive(m))
	party, via := "", ""
	if m.Own != nil {
		party, via = m.Own.Party, m.Own.Via
	}
	r.own, r.party, r.via = append(r.own, m.Own != nil), append(r.party, party), append(r.via, via)
}

func (r *moveRows) args() []any {
	return []any{r.to, r.refund, r.due, r.at, r.id, r.from, r.live, r.own, r.party, r.via}
}

// insertBooking writes a new booking in tx.
func (db *DB) insertBooking(ctx context.Context, tx *sql.Tx, b booking.Booking) error {
	_, err := db.txExec(ctx, tx, `INSERT INTO bookings (`+slotBookingCols+`) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17,$18)`,
		b.ID, b.ResourceID, b.OwnerOrg, b.BookerOrg, b.BookerUser, b.Party, micros(b.Start), micros(b.End), string(b.Status), micros(b.HoldUntil),
		b.PriceKZT, b.PayFrom, b.PayTo, b.Key, b.RefundKZT, b.RefundDue, micros(b.CreatedAt), micros(b.UpdatedAt))
	return err
}

// BookSlot implements booking.Store. Takes are group-committed with the
// other booking changes (see bookingOp): one transaction serves every
// take and move that arrived while the previous batch was written, and
// within it they run one after another, so each counts the places the
// ones before it took.
func (db *DB) BookSlot(ctx context.Context, t booking.Take, rec audit.Record) (booking.Booking, bool, error) {
	b := t.Booking
	var out booking.Booking
	created, refused := false, false
	op := &bookingOp{at: b.CreatedAt, run: func(ctx context.Context, tx *sql.Tx) (bool, []audit.Record, error) {
		// A batch whose group statement failed runs its changes again one
		// by one: nothing of the first run may remain.
		out, created, refused = booking.Booking{}, false, false
		if db.Engine == SQLite {
			// The usual take, a new key on a slot nobody waits for, is
			// one read and one insert for the batch's single writer.
			var used, stepwise, stale bool
			var live int
			if err := db.txQueryRow(ctx, tx, takeCheckSQL, takeArgs(t)[:7]...).Scan(&used, &stepwise, &live, &stale); err != nil {
				return false, nil, err
			}
			if !used && stale {
				return false, nil, booking.ErrResourceChanged
			}
			if !used && !stepwise {
				if t.Capacity-live < 1 {
					return false, nil, full()
				}
				if err := db.insertBooking(ctx, tx, b); err != nil {
					return true, nil, err
				}
				out, created = b, true
				return true, []audit.Record{rec}, nil
			}
		}
		prev, err := scanSlotBooking(db.txQueryRow(ctx, tx, `SELECT `+slotBookingCols+` FROM bookings WHERE idem = $1`, b.Key))
		if err == nil {
			out = prev
			return false, nil, nil
		}
		if err != sql.ErrNoRows {
			return false, nil, err
		}
		// The resource is as the service read it: takeCheckSQL said so
		// in this transaction (SQLite's check above, PostgreSQL's fast
		// statement, which always runs first), and under the batch's
		// write lock (SQLite) or row lock (PostgreSQL) it cannot change.
		if gone, err := db.isWithdrawn(ctx, tx, b.ResourceID); err != nil || gone {
			if err == nil {
				err = withdrawnErr()
			}
			return false, nil, err
		}
		offers, wrote, err := db.promote(ctx, tx, b.ResourceID, b.Start, t.Capacity, t.WindowFrom, t.WindowTo, t.Now, t.OfferMinutes)
		if err != nil {
			return wrote, nil, err
		}
		live, err := db.liveCount(ctx, tx, b.ResourceID, t.WindowFrom, t.WindowTo, t.Now)
		if err != nil {
			return wrote, nil, err
		}
		others, mine := 0, false
		for _, p := range offers {
			if p == b.Party && !mine {
				mine = true
			} else {
				others++
			}
		}
		if t.Capacity-live-others < 1 {
			if wrote {
				// Keep the offers this attempt made to the queue.
				refused = true
				return true, nil, db.touch(ctx, tx, b.ResourceID)
			}
			return false, nil, full()
		}
		if err := db.touch(ctx, tx, b.ResourceID); err != nil {
			return wrote, nil, err
		}
		if mine {
			if _, err := db.txExec(ctx, tx, `UPDATE booking_waits SET status = 'accepted' WHERE resource_id = $1 AND start_at = $2 AND party = $3`,
				b.ResourceID, micros(b.Start), b.Party); err != nil {
				return true, nil, err
			}
		}
		if err := db.insertBooking(ctx, tx, b); err != nil {
			return true, nil, err
		}
		out, created = b, true
		return true, []audit.Record{rec}, nil
	}}
	if db.Engine == Postgres {
		op.lock = b.ResourceID
		op.fast = &bookingFast{take: &t, took: func(took, isFull, stale bool) (bool, []audit.Record, error) {
			out, created, refused = booking.Booking{}, false, false
			switch {
			case took:
				out, created = b, true
				return true, []audit.Record{rec}, nil
			case isFull:
				return false, nil, full()
			case stale:
				return false, nil, booking.ErrResourceChanged
			}
			return false, nil, nil
		}}
	}
	err := db.bookingChange(ctx, op)
	if err != nil && IsUniqueViolation(err) {
		// The same key raced in: answer the booking that won.
		prev, gerr := db.BookingByKey(ctx, b.Key)
		return prev, false, gerr
	}
	if err == nil && refused {
		return booking.Booking{}, false, full()
	}
	return out, created, err
}

// GetBooking implements booking.Store.
func (db *DB) GetBooking(ctx context.Context, id string) (booking.Booking, error) {
	b, err := scanSlotBooking(db.queryRow(ctx, `SELECT `+slotBookingCols+` FROM bookings WHERE id = $1`, id))
	return b, notFound(err, "booking")
}

// BookingByKey implements booking.Store.
func (db *DB) BookingByKey(ctx context.Context, key string) (booking.Booking, error) {
	b, err := scanSlotBooking(db.queryRow(ctx, `SELECT `+slotBookingCols+` FROM bookings WHERE idem = $1`, key))
	return b, notFound(err, "booking")
}

// ListBookings implements booking.Store.
func (db *DB) ListBookings(ctx context.Context, q booking.BookingQuery) ([]booking.Booking, error) {
	var where []string
	var args []any
	add := func(cond string, v any) {
		args = append(args, v)
		where = append(where, fmt.Sprintf(cond, len(args)))
	}
	if q.Party != "" {
		add("party = $%d", q.Party)
	}
	if q.ResourceID != "" {
		add("resource_id = $%d", q.ResourceID)
	}
	if q.OwnerOrg != "" {
		add("owner_org = $%d", q.OwnerOrg)
	}
	if !q.To.IsZero() {
		add("start_at < $%d", micros(q.To))
	}
	if !q.From.IsZero() {
		add("end_at > $%d", micros(q.From))
	}
	stmt := `SELECT ` + slotBookingCols + ` FROM bookings`
	if len(where) > 0 {
		stmt += ` WHERE ` + strings.Join(where, " AND ")
	}
	limit := q.Limit
	if limit <= 0 {
		limit = 100
	}
	args = append(args, limit)
	stmt += fmt.Sprintf(` ORDER BY start_at, id LIMIT $%d`, len(args))
	rows, err := db.SQL.QueryContext(ctx, stmt, args...)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: list bookings: %w", err)
	}
	return collect(rows, scanSlotBooking)
}

// StaleConfirmations implements booking.Store.
func (db *DB) StaleConfirmations(ctx context.Context, before time.Time, limit int) ([]booking.Booking, error) {
	rows, err := db.SQL.QueryContext(ctx, `SELECT `+slotBookingCols+` FROM bookings WHERE status = 'confirming' AND updated_at < $1
		ORDER BY updated_at, id LIMIT $2`, micros(before), limit)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: stale confirmations: %w", err)
	}
	return collect(rows, scanSlotBooking)
}

// WithdrawnBookings implements booking.Store.
func (db *DB) WithdrawnBookings(ctx context.Context, limit int) ([]booking.Booking, error) {
	rows, err := db.SQL.QueryContext(ctx, `SELECT `+slotBookingCols+` FROM bookings
		WHERE resource_id IN (SELECT id FROM booking_resources WHERE withdrawn_at > 0)
		AND (status IN ('held', 'confirming', 'confirmed') OR refund_due = $1) ORDER BY created_at, id LIMIT $2`, true, limit)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: withdrawn bookings: %w", err)
	}
	return collect(rows, scanSlotBooking)
}

// withdrawnErr is the refusal of a take on a withdrawn resource.
func withdrawnErr() error {
	return &problem.Error{Code: problem.Conflict, Message: "the resource is withdrawn", Fields: map[string]string{"resource_id": "withdrawn"}}
}

// isWithdrawn reads inside tx whether a resource was withdrawn: a take
// reads it in the transaction that writes the resource's row, so a take
// and the withdrawal are serialised (one of the two sees the other).
func (db *DB) isWithdrawn(ctx context.Context, tx *sql.Tx, id string) (bool, error) {
	var at int64
	if err := db.txQueryRow(ctx, tx, `SELECT withdrawn_at FROM booking_resources WHERE id = $1`, id).Scan(&at); err != nil {
		return false, notFound(err, "resource")
	}
	return at > 0, nil
}

// resourceWindow reads what promote needs of a resource inside tx
// (withdrawn: it offers nothing).
func (db *DB) resourceWindow(ctx context.Context, tx *sql.Tx, id string, start time.Time) (capacity int, from, to time.Time, withdrawn bool, err error) {
	var slot, before, after int
	var at int64
	if err = db.txQueryRow(ctx, tx, `SELECT capacity, slot_minutes, buffer_before, buffer_after, withdrawn_at FROM booking_resources WHERE id = $1`, id).
		Scan(&capacity, &slot, &before, &after, &at); err != nil {
		return 0, from, to, false, notFound(err, "resource")
	}
	b := time.Duration(before+after) * time.Minute
	return capacity, start.Add(-b), start.Add(time.Duration(slot)*time.Minute + b), at > 0, nil
}

// moveOne changes one booking's status in tx and answers it as it was
// before. The usual move (one status it may leave, as every move of the
// service names) is one UPDATE … RETURNING: a confirmation costs the
// batch's single writer one statement, not a read and a write. Only
// when nothing matched does it read the booking, to say why (a move
// with Own says nothing: booking.ErrNotMoved).
func (db *DB) moveOne(ctx context.Context, tx *sql.Tx, m booking.Move) (booking.Booking, bool, error) {
	if len(m.From) == 1 {
		q := moveFastSQL
		if m.Own != nil {
			q = moveOwnSQL
		}
		b, err := scanSlotBooking(db.txQueryRow(ctx, tx, q, moveArgs(m)...))
		if err == nil {
			b.Status = m.From[0]
			return b, true, nil
		}
		if err != sql.ErrNoRows {
			return b, false, err
		}
		if m.Own != nil {
			return b, false, booking.ErrNotMoved
		}
	}
	b, err := scanSlotBooking(db.txQueryRow(ctx, tx, `SELECT `+slotBookingCols+` FROM bookings WHERE id = $1`, m.ID))
	if err != nil {
		return b, false, notFound(err, "booking")
	}
	ok := false
	for _, s := range m.From {
		ok = ok || b.Status == s
	}
	if !ok || !m.LiveAt.IsZero() && !b.HoldUntil.After(m.LiveAt) || len(m.From) == 1 {
		return b, false, &problem.Error{Code: problem.Conflict, Message: "the booking changed meanwhile", Fields: map[string]string{"status": string(b.Status)}}
	}
	res, err := db.txExec(ctx, tx, `UPDATE bookings SET status = $1, refund = $2, refund_due = $3, updated_at = $4 WHERE id = $5 AND status = $6`,
		string(m.To), m.Refund, m.Refund > 0, micros(m.At), b.ID, string(b.Status))
	if err != nil {
		return b, false, err
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return b, false, problem.New(problem.Conflict, "the booking changed meanwhile")
	}
	return b, true, nil
}

// MoveBooking implements booking.Store, group-committed like BookSlot.
func (db *DB) MoveBooking(ctx context.Context, m booking.Move, rec audit.Record) (booking.Booking, error) {
	var out booking.Booking
	op := &bookingOp{at: m.At, run: func(ctx context.Context, tx *sql.Tx) (bool, []audit.Record, error) {
		out = booking.Booking{} // see BookSlot
		b, moved, err := db.moveOne(ctx, tx, m)
		if err != nil || !moved {
			return false, nil, err
		}
		wasLive := b.Status == booking.Confirmed || b.Status == booking.Confirming || b.Status == booking.Held
		if wasLive && m.To == booking.Cancelled {
			// The freed place goes to the queue first.
			if err := db.touch(ctx, tx, b.ResourceID); err != nil {
				return true, nil, err
			}
			capacity, from, to, gone, err := db.resourceWindow(ctx, tx, b.ResourceID, b.Start)
			if err != nil {
				return true, nil, err
			}
			offer := m.OfferMinutes
			if offer <= 0 {
				offer = 15
			}
			if !gone {
				if _, _, err := db.promote(ctx, tx, b.ResourceID, b.Start, capacity, from, to, m.At, offer); err != nil {
					return true, nil, err
				}
			}
		}
		b.Status, b.RefundKZT, b.RefundDue, b.UpdatedAt = m.To, m.Refund, m.Refund > 0, m.At
		out = b
		return true, []audit.Record{ownRecord(rec, b)}, nil
	}}
	if db.Engine == Postgres && len(m.From) == 1 && m.To != booking.Cancelled {
		// Moves that free no place (a confirmation) need no waiting list.
		op.fast = &bookingFast{move: &m, moved: func(b booking.Booking) []audit.Record {
			out = b
			return []audit.Record{ownRecord(rec, b)}
		}}
	}
	err := db.bookingChange(ctx, op)
	return out, err
}

// ownRecord is a move's audit record, whose organisation, when the
// caller did not know it (booking.Move.Own), is the booking's owner.
func ownRecord(rec audit.Record, b booking.Booking) audit.Record {
	if rec.OrgID == "" {
		rec.OrgID = b.OwnerOrg
	}
	return rec
}

// DropBooking implements booking.Store.
func (db *DB) DropBooking(ctx context.Context, id string, rec audit.Record) error {
	return db.Tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM bookings WHERE id = $1 AND status = 'held'`, id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil
		}
		return appendAudit(ctx, tx, time.Now(), rec)
	})
}

// RefundPaid implements booking.Store.
func (db *DB) RefundPaid(ctx context.Context, id string, at time.Time, rec audit.Record) error {
	return db.Tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE bookings SET refund_due = $1, updated_at = $2 WHERE id = $3 AND refund_due = $4`, false, micros(at), id, true)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil
		}
		return appendAudit(ctx, tx, at, rec)
	})
}

const bookingWaitCols = `id, resource_id, start_at, org, user_id, party, status, offer_until, created_at`

func scanWait(sc interface{ Scan(...any) error }) (booking.Wait, error) {
	var w booking.Wait
	var start, until, created int64
	var status string
	err := sc.Scan(&w.ID, &w.ResourceID, &start, &w.Org, &w.User, &w.Party, &status, &until, &created)
	w.Start, w.OfferUntil, w.CreatedAt, w.Status = fromMicros(start), fromMicros(until), fromMicros(created), booking.WaitStatus(status)
	return w, err
}

// JoinWait implements booking.Store.
func (db *DB) JoinWait(ctx context.Context, w booking.Wait, t booking.Take, rec audit.Record) (booking.Wait, error) {
	var out booking.Wait
	err := db.Tx(ctx, func(tx *sql.Tx) error {
		prev, err := scanWait(tx.QueryRowContext(ctx, `SELECT `+bookingWaitCols+` FROM booking_waits WHERE resource_id = $1 AND start_at = $2 AND party = $3`,
			w.ResourceID, micros(w.Start), w.Party))
		if err == nil {
			out = prev
			return nil
		}
		if err != sql.ErrNoRows {
			return err
		}
		if gone, err := db.isWithdrawn(ctx, tx, w.ResourceID); err != nil || gone {
			if err == nil {
				err = withdrawnErr()
			}
			return err
		}
		offers, _, err := db.promote(ctx, tx, w.ResourceID, w.Start, t.Capacity, t.WindowFrom, t.WindowTo, t.Now, t.OfferMinutes)
		if err != nil {
			return err
		}
		live, err := db.liveCount(ctx, tx, w.ResourceID, t.WindowFrom, t.WindowTo, t.Now)
		if err != nil {
			return err
		}
		if t.Capacity-live-len(offers) > 0 {
			return &problem.Error{Code: problem.Conflict, Message: "places are free on this slot: book one", Fields: map[string]string{"start": "places are free"}}
		}
		if err := db.touch(ctx, tx, w.ResourceID); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO booking_waits (`+bookingWaitCols+`) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9)`,
			w.ID, w.ResourceID, micros(w.Start), w.Org, w.User, w.Party, string(booking.Waiting), int64(0), micros(w.CreatedAt)); err != nil {
			return err
		}
		out = w
		return appendAudit(ctx, tx, w.CreatedAt, rec)
	})
	return out, err
}

// ListWaits implements booking.Store: a party's entries for slots still
// to come.
func (db *DB) ListWaits(ctx context.Context, party string, now time.Time) ([]booking.Wait, error) {
	rows, err := db.SQL.QueryContext(ctx, `SELECT `+bookingWaitCols+` FROM booking_waits WHERE party = $1 AND start_at > $2 ORDER BY start_at, id LIMIT 500`,
		party, micros(now))
	if err != nil {
		return nil, fmt.Errorf("sqlstore: list waits: %w", err)
	}
	return collect(rows, scanWait)
}

var _ booking.Store = (*DB)(nil)
