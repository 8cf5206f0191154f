package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"bricstown/internal/audit"
	"bricstown/internal/logistics"
	"bricstown/internal/problem"
)

const departureCols = `id, carrier_org, mode, from_node, to_node, depart_at, arrive_at, border_post, capacity_teu, capacity_kg,
	booked_teu, booked_kg, currency, price_per_teu, price_per_kg, reefer, dangerous_goods, version, created_at, created_by, updated_at`

func scanDeparture(sc interface{ Scan(...any) error }) (logistics.Departure, error) {
	var d logistics.Departure
	var mode string
	var dep, arr, created, updated int64
	err := sc.Scan(&d.ID, &d.CarrierOrg, &mode, &d.From, &d.To, &dep, &arr, &d.BorderPost, &d.CapacityTEU, &d.CapacityKg,
		&d.BookedTEU, &d.BookedKg, &d.Currency, &d.PricePerTEU, &d.PricePerKg, &d.Reefer, &d.DangerousGoods, &d.Version,
		&created, &d.CreatedBy, &updated)
	d.Mode, d.DepartAt, d.ArriveAt, d.CreatedAt, d.UpdatedAt = logistics.Mode(mode), fromMicros(dep), fromMicros(arr), fromMicros(created), fromMicros(updated)
	return d, err
}

const shipmentCols = `id, owner_org, reference, origin, destination, ready_at, deadline, teu, kg, reefer, dangerous_goods,
	declaration_id, penalty, status, unassigned_reason, event_count, created_at, created_by, updated_at`

func scanShipment(sc interface{ Scan(...any) error }) (logistics.Shipment, error) {
	var s logistics.Shipment
	var status string
	var ready, deadline, created, updated int64
	err := sc.Scan(&s.ID, &s.OwnerOrg, &s.Reference, &s.Origin, &s.Destination, &ready, &deadline, &s.TEU, &s.Kg, &s.Reefer,
		&s.DangerousGoods, &s.DeclarationID, &s.PenaltyMinor, &status, &s.UnassignedReason, &s.EventCount, &created, &s.CreatedBy, &updated)
	s.Status, s.ReadyAt, s.Deadline, s.CreatedAt, s.UpdatedAt = logistics.ShipmentStatus(status), fromMicros(ready), fromMicros(deadline),
		fromMicros(created), fromMicros(updated)
	return s, err
}

const bookingCols = `id, shipment_id, teu, kg, cost, currency, status, source, booked_at, booked_by, cancelled_at`

func scanBooking(sc interface{ Scan(...any) error }) (logistics.Booking, error) {
	var b logistics.Booking
	var status string
	var at, cancelled int64
	err := sc.Scan(&b.ID, &b.ShipmentID, &b.TEU, &b.Kg, &b.CostMinor, &b.Currency, &status, &b.Source, &at, &b.BookedBy, &cancelled)
	b.Status, b.BookedAt, b.CancelledAt = logistics.BookingStatus(status), fromMicros(at), fromMicros(cancelled)
	return b, err
}

const eventCols = `shipment_id, seq, booking_id, leg, departure_id, kind, at, recorded_at, actor_user, actor_org, note`

func scanEvent(sc interface{ Scan(...any) error }) (logistics.Event, error) {
	var e logistics.Event
	var kind string
	var at, rec int64
	var leg int64
	err := sc.Scan(&e.ShipmentID, &e.Seq, &e.BookingID, &leg, &e.DepartureID, &kind, &at, &rec, &e.ActorUser, &e.ActorOrg, &e.Note)
	e.Leg, e.Kind, e.At, e.RecordedAt = int(leg), logistics.EventKind(kind), fromMicros(at), fromMicros(rec)
	return e, err
}

// CreateDeparture implements logistics.Store.
func (db *DB) CreateDeparture(ctx context.Context, d logistics.Departure, rec audit.Record) error {
	return db.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO logistics_departures (`+departureCols+`)
			VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17,$18,$19,$20,$21)`,
			d.ID, d.CarrierOrg, string(d.Mode), d.From, d.To, micros(d.DepartAt), micros(d.ArriveAt), d.BorderPost, d.CapacityTEU, d.CapacityKg,
			int64(0), int64(0), d.Currency, d.PricePerTEU, d.PricePerKg, d.Reefer, d.DangerousGoods, d.Version,
			micros(d.CreatedAt), d.CreatedBy, micros(d.UpdatedAt)); err != nil {
			if IsUniqueViolation(err) {
				return problem.New(problem.Conflict, "the departure exists")
			}
			return fmt.Errorf("sqlstore: create departure: %w", err)
		}
		return appendAudit(ctx, tx, d.CreatedAt, rec)
	})
}

// UpdateDeparture implements logistics.Store. The guards sit in the
// UPDATE itself: the version, capacity not below what is booked, and the
// route and times unchanged while anything is booked.
func (db *DB) UpdateDeparture(ctx context.Context, d logistics.Departure, base int64, rec audit.Record) error {
	return db.Tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE logistics_departures SET mode = $1, from_node = $2, to_node = $3, depart_at = $4, arrive_at = $5,
			border_post = $6, capacity_teu = $7, capacity_kg = $8, currency = $9, price_per_teu = $10, price_per_kg = $11, reefer = $12,
			dangerous_goods = $13, version = $14, updated_at = $15
			WHERE id = $16 AND version = $17 AND booked_teu <= $7 AND booked_kg <= $8
			AND ((booked_teu = 0 AND booked_kg = 0) OR (from_node = $2 AND to_node = $3 AND depart_at = $4 AND arrive_at = $5))`,
			string(d.Mode), d.From, d.To, micros(d.DepartAt), micros(d.ArriveAt), d.BorderPost, d.CapacityTEU, d.CapacityKg, d.Currency,
			d.PricePerTEU, d.PricePerKg, d.Reefer, d.DangerousGoods, d.Version, micros(d.UpdatedAt), d.ID, base)
		if err != nil {
			return fmt.Errorf("sqlstore: update departure: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			cur, err := scanDeparture(tx.QueryRowContext(ctx, `SELECT `+departureCols+` FROM logistics_departures WHERE id = $1`, d.ID))
			if err != nil {
				return notFound(err, "departure")
			}
			switch {
			case cur.Version != base:
				return problem.New(problem.Conflict, "the departure changed meanwhile (version %d): reload it", cur.Version)
			case cur.BookedTEU > d.CapacityTEU || cur.BookedKg > d.CapacityKg:
				return &problem.Error{Code: problem.Conflict, Message: "the capacity is below what is booked",
					Fields: map[string]string{"capacity_teu": fmt.Sprintf("must not be below the %d already booked", cur.BookedTEU)}}
			default:
				return problem.New(problem.Conflict, "the departure has bookings: its route and times cannot change")
			}
		}
		return appendAudit(ctx, tx, d.UpdatedAt, rec)
	})
}

// GetDeparture implements logistics.Store.
func (db *DB) GetDeparture(ctx context.Context, id string) (logistics.Departure, error) {
	d, err := scanDeparture(db.SQL.QueryRowContext(ctx, `SELECT `+departureCols+` FROM logistics_departures WHERE id = $1`, id))
	return d, notFound(err, "departure")
}

// ListDepartures implements logistics.Store.
func (db *DB) ListDepartures(ctx context.Context, q logistics.DepartureQuery) ([]logistics.Departure, error) {
	var where []string
	var args []any
	add := func(cond string, v any) {
		args = append(args, v)
		where = append(where, strings.ReplaceAll(cond, "$n", fmt.Sprintf("$%d", len(args))))
	}
	if q.CarrierOrg != "" {
		add("carrier_org = $n", q.CarrierOrg)
	}
	if q.From != "" {
		add("from_node = $n", q.From)
	}
	if q.To != "" {
		add("to_node = $n", q.To)
	}
	if !q.DepartFrom.IsZero() {
		add("depart_at >= $n", micros(q.DepartFrom))
	}
	if q.After != "" {
		add(`(depart_at, id) > (SELECT depart_at, id FROM logistics_departures WHERE id = $n)`, q.After)
	}
	stmt := `SELECT ` + departureCols + ` FROM logistics_departures`
	if len(where) > 0 {
		stmt += ` WHERE ` + strings.Join(where, " AND ")
	}
	limit := q.Limit
	if limit <= 0 {
		limit = 100
	}
	args = append(args, limit)
	stmt += fmt.Sprintf(` ORDER BY depart_at, id LIMIT $%d`, len(args))
	rows, err := db.SQL.QueryContext(ctx, stmt, args...)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: list departures: %w", err)
	}
	return collect(rows, scanDeparture)
}

// CreateShipment implements logistics.Store. The search text is the
// shipment's SearchText; a shipment written without one is still found by
// its reference, id and locodes.
func (db *DB) CreateShipment(ctx context.Context, s logistics.Shipment, rec audit.Record) error {
	search := s.SearchText
	if search == "" {
		search = strings.ToLower(strings.Join([]string{s.Reference, s.ID, s.Origin, s.Destination}, "\n"))
	}
	return db.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO logistics_shipments (`+shipmentCols+`, search_text)
			VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17,$18,$19,$20)`,
			s.ID, s.OwnerOrg, s.Reference, s.Origin, s.Destination, micros(s.ReadyAt), micros(s.Deadline), s.TEU, s.Kg, s.Reefer,
			s.DangerousGoods, s.DeclarationID, s.PenaltyMinor, string(s.Status), s.UnassignedReason, s.EventCount,
			micros(s.CreatedAt), s.CreatedBy, micros(s.UpdatedAt), search); err != nil {
			if IsUniqueViolation(err) {
				return problem.New(problem.Conflict, "the shipment exists")
			}
			return fmt.Errorf("sqlstore: create shipment: %w", err)
		}
		return appendAudit(ctx, tx, s.CreatedAt, rec)
	})
}

// GetShipment implements logistics.Store.
func (db *DB) GetShipment(ctx context.Context, id string) (logistics.Shipment, error) {
	s, err := scanShipment(db.SQL.QueryRowContext(ctx, `SELECT `+shipmentCols+` FROM logistics_shipments WHERE id = $1`, id))
	return s, notFound(err, "shipment")
}

// ListShipments implements logistics.Store.
func (db *DB) ListShipments(ctx context.Context, q logistics.ShipmentQuery) ([]logistics.Shipment, error) {
	var where []string
	var args []any
	add := func(cond string, v any) {
		args = append(args, v)
		where = append(where, strings.ReplaceAll(cond, "$n", fmt.Sprintf("$%d", len(args))))
	}
	if q.OwnerOrg != "" {
		add("owner_org = $n", q.OwnerOrg)
	}
	if q.CarrierOrg != "" {
		add(`id IN (SELECT b.shipment_id FROM logistics_bookings b
			JOIN logistics_booking_legs l ON l.booking_id = b.id
			JOIN logistics_departures d ON d.id = l.departure_id
			WHERE b.status = 'active' AND d.carrier_org = $n)`, q.CarrierOrg)
	}
	if q.Status != "" {
		add("status = $n", string(q.Status))
	}
	if q.Search != "" {
		add(`search_text LIKE $n ESCAPE '\'`, likePattern(q.Search))
	}
	if q.After != "" {
		add("id < $n", q.After)
	}
	stmt := `SELECT ` + shipmentCols + ` FROM logistics_shipments`
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
		return nil, fmt.Errorf("sqlstore: list shipments: %w", err)
	}
	return collect(rows, scanShipment)
}

// book writes one booking inside tx: each leg's capacity is taken by an
// UPDATE that matches only while the departure is unchanged, still to
// leave, and has room, so two transactions can never both take the last
// room (on PostgreSQL the loser's serializable transaction is retried and
// then finds no room; SQLite runs writers one at a time).
func book(ctx context.Context, tx *sql.Tx, b logistics.Booking) error {
	for i, l := range b.Legs {
		res, err := tx.ExecContext(ctx, `UPDATE logistics_departures SET booked_teu = booked_teu + $1, booked_kg = booked_kg + $2
			WHERE id = $3 AND version = $4 AND depart_at > $5 AND booked_teu + $1 <= capacity_teu AND booked_kg + $2 <= capacity_kg`,
			b.TEU, b.Kg, l.DepartureID, l.Version, micros(b.BookedAt))
		if err != nil {
			return fmt.Errorf("sqlstore: take capacity: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 1 {
			continue
		}
		cur, err := scanDeparture(tx.QueryRowContext(ctx, `SELECT `+departureCols+` FROM logistics_departures WHERE id = $1`, l.DepartureID))
		if err != nil {
			return notFound(err, "departure")
		}
		field := fmt.Sprintf("departure_ids[%d]", i)
		switch {
		case cur.Version != l.Version:
			return &problem.Error{Code: problem.Conflict, Message: "a departure changed meanwhile: book again",
				Fields: map[string]string{field: "the departure changed meanwhile"}}
		case !cur.DepartAt.After(b.BookedAt):
			return &problem.Error{Code: problem.Conflict, Message: "a departure has already left",
				Fields: map[string]string{field: "a departure has already left"}}
		default:
			msg := "not enough capacity left on departure " + cur.ID
			return &problem.Error{Code: problem.Conflict, Message: msg, Fields: map[string]string{field: msg}}
		}
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO logistics_bookings (`+bookingCols+`) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11)`,
		b.ID, b.ShipmentID, b.TEU, b.Kg, b.CostMinor, b.Currency, string(b.Status), b.Source, micros(b.BookedAt), b.BookedBy, int64(0)); err != nil {
		if IsUniqueViolation(err) {
			return alreadyBooked()
		}
		return fmt.Errorf("sqlstore: book: %w", err)
	}
	for i, l := range b.Legs {
		if _, err := tx.ExecContext(ctx, `INSERT INTO logistics_booking_legs (booking_id, leg, departure_id, cost, currency, rate, rate_date)
			VALUES ($1,$2,$3,$4,$5,$6,$7)`, b.ID, int64(i), l.DepartureID, l.CostMinor, l.Currency, l.Rate, l.RateDate); err != nil {
			return fmt.Errorf("sqlstore: booking leg: %w", err)
		}
	}
	res, err := tx.ExecContext(ctx, `UPDATE logistics_shipments SET status = $1, unassigned_reason = '', updated_at = $2 WHERE id = $3 AND status = $4`,
		string(logistics.Booked), micros(b.BookedAt), b.ShipmentID, string(logistics.Open))
	if err != nil {
		return fmt.Errorf("sqlstore: book: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return alreadyBooked()
	}
	return nil
}

func alreadyBooked() error {
	return &problem.Error{Code: problem.Conflict, Message: "the shipment already has a booking",
		Fields: map[string]string{"departure_ids": "the shipment already has a booking"}}
}

// Book implements logistics.Store.
func (db *DB) Book(ctx context.Context, b logistics.Booking, rec audit.Record) error {
	return db.Tx(ctx, func(tx *sql.Tx) error {
		if err := book(ctx, tx, b); err != nil {
			return err
		}
		return appendAudit(ctx, tx, b.BookedAt, rec)
	})
}

// BookPlan implements logistics.Store.
func (db *DB) BookPlan(ctx context.Context, bookings []logistics.Booking, unassigned []logistics.Unassigned, at time.Time, rec audit.Record) error {
	return db.Tx(ctx, func(tx *sql.Tx) error {
		for _, b := range bookings {
			if err := book(ctx, tx, b); err != nil {
				return err
			}
		}
		for _, u := range unassigned {
			if _, err := tx.ExecContext(ctx, `UPDATE logistics_shipments SET unassigned_reason = $1, updated_at = $2 WHERE id = $3 AND status = $4`,
				u.Reason, micros(at), u.ShipmentID, string(logistics.Open)); err != nil {
				return fmt.Errorf("sqlstore: unassigned: %w", err)
			}
		}
		return appendAudit(ctx, tx, at, rec)
	})
}

// ActiveBooking implements logistics.Store.
func (db *DB) ActiveBooking(ctx context.Context, shipmentID string) (logistics.Booking, error) {
	b, err := scanBooking(db.SQL.QueryRowContext(ctx, `SELECT `+bookingCols+` FROM logistics_bookings WHERE shipment_id = $1 AND status = $2`,
		shipmentID, string(logistics.Active)))
	if err != nil {
		return b, notFound(err, "booking")
	}
	rows, err := db.SQL.QueryContext(ctx, `SELECT l.departure_id, d.version, l.cost, l.currency, l.rate, l.rate_date FROM logistics_booking_legs l
		JOIN logistics_departures d ON d.id = l.departure_id WHERE l.booking_id = $1 ORDER BY l.leg`, b.ID)
	if err != nil {
		return b, fmt.Errorf("sqlstore: booking legs: %w", err)
	}
	b.Legs, err = collect(rows, func(sc interface{ Scan(...any) error }) (logistics.Leg, error) {
		var l logistics.Leg
		err := sc.Scan(&l.DepartureID, &l.Version, &l.CostMinor, &l.Currency, &l.Rate, &l.RateDate)
		return l, err
	})
	return b, err
}

// CancelBooking implements logistics.Store.
func (db *DB) CancelBooking(ctx context.Context, shipmentID, bookingID string, eventCount int64, at time.Time, rec audit.Record) error {
	return db.Tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE logistics_shipments SET status = $1, updated_at = $2
			WHERE id = $3 AND status = $4 AND event_count = $5`,
			string(logistics.Open), micros(at), shipmentID, string(logistics.Booked), eventCount)
		if err != nil {
			return fmt.Errorf("sqlstore: cancel booking: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return problem.New(problem.Conflict, "the shipment moved meanwhile: its booking cannot be cancelled")
		}
		var teu, kg int64
		if err := tx.QueryRowContext(ctx, `SELECT teu, kg FROM logistics_bookings WHERE id = $1 AND shipment_id = $2 AND status = $3`,
			bookingID, shipmentID, string(logistics.Active)).Scan(&teu, &kg); err != nil {
			if err == sql.ErrNoRows {
				return problem.New(problem.Conflict, "the booking is no longer active")
			}
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE logistics_departures SET booked_teu = booked_teu - $1, booked_kg = booked_kg - $2
			WHERE id IN (SELECT departure_id FROM logistics_booking_legs WHERE booking_id = $3)`, teu, kg, bookingID); err != nil {
			return fmt.Errorf("sqlstore: free capacity: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE logistics_bookings SET status = $1, cancelled_at = $2 WHERE id = $3`,
			string(logistics.Cancelled), micros(at), bookingID); err != nil {
			return fmt.Errorf("sqlstore: cancel booking: %w", err)
		}
		return appendAudit(ctx, tx, at, rec)
	})
}

// AppendEvent implements logistics.Store. The shipment's event count is
// advanced only from e.Seq-1, so of two carriers reporting at once one
// wins and the other is told to look again.
func (db *DB) AppendEvent(ctx context.Context, e logistics.Event, status logistics.ShipmentStatus, rec audit.Record) error {
	return db.Tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE logistics_shipments SET event_count = $1, status = $2, updated_at = $3
			WHERE id = $4 AND event_count = $5`, e.Seq, string(status), micros(e.RecordedAt), e.ShipmentID, e.Seq-1)
		if err != nil {
			return fmt.Errorf("sqlstore: append event: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return problem.New(problem.Conflict, "another event was recorded meanwhile: look again")
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO logistics_events (`+eventCols+`) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11)`,
			e.ShipmentID, e.Seq, e.BookingID, int64(e.Leg), e.DepartureID, string(e.Kind), micros(e.At), micros(e.RecordedAt),
			e.ActorUser, e.ActorOrg, e.Note); err != nil {
			if IsUniqueViolation(err) {
				return problem.New(problem.Conflict, "another event was recorded meanwhile: look again")
			}
			return fmt.Errorf("sqlstore: append event: %w", err)
		}
		return appendAudit(ctx, tx, e.RecordedAt, rec)
	})
}

// Events implements logistics.Store.
func (db *DB) Events(ctx context.Context, shipmentID string) ([]logistics.Event, error) {
	rows, err := db.SQL.QueryContext(ctx, `SELECT `+eventCols+` FROM logistics_events WHERE shipment_id = $1 ORDER BY seq`, shipmentID)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: events: %w", err)
	}
	return collect(rows, scanEvent)
}

var _ logistics.Store = (*DB)(nil)
