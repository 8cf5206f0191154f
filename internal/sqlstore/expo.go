package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"bricstown/internal/audit"
	"bricstown/internal/expo"
	"bricstown/internal/problem"
)

const expoCols = `id, organiser_org, name, venue, starts_on, ends_on, time_zone, meeting_from, meeting_to, slot_minutes, tables_count, account, created_at`

func scanExpo(sc interface{ Scan(...any) error }) (expo.Expo, error) {
	var e expo.Expo
	var created int64
	err := sc.Scan(&e.ID, &e.OrganiserOrg, &e.Name, &e.Venue, &e.StartsOn, &e.EndsOn, &e.TimeZone, &e.MeetingFrom, &e.MeetingTo, &e.SlotMinutes,
		&e.Tables, &e.Account, &created)
	e.CreatedAt = fromMicros(created)
	return e, err
}

// taken turns a unique violation into the conflict the caller reports.
func taken(err error, field, msg string) error {
	if err != nil && IsUniqueViolation(err) {
		return &problem.Error{Code: problem.Conflict, Message: msg, Fields: map[string]string{field: "already taken"}}
	}
	return err
}

// CreateExpo implements expo.Store.
func (db *DB) CreateExpo(ctx context.Context, e expo.Expo, rec audit.Record) error {
	return db.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO expos (`+expoCols+`) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13)`,
			e.ID, e.OrganiserOrg, e.Name, e.Venue, e.StartsOn, e.EndsOn, e.TimeZone, e.MeetingFrom, e.MeetingTo, e.SlotMinutes, e.Tables, e.Account,
			micros(e.CreatedAt)); err != nil {
			return fmt.Errorf("sqlstore: create expo: %w", err)
		}
		return appendAudit(ctx, tx, e.CreatedAt, rec)
	})
}

// GetExpo implements expo.Store.
func (db *DB) GetExpo(ctx context.Context, id string) (expo.Expo, error) {
	e, err := scanExpo(db.SQL.QueryRowContext(ctx, `SELECT `+expoCols+` FROM expos WHERE id = $1`, id))
	return e, notFound(err, "expo")
}

// ListExpos implements expo.Store: soonest first.
func (db *DB) ListExpos(ctx context.Context, limit int) ([]expo.Expo, error) {
	rows, err := db.SQL.QueryContext(ctx, `SELECT `+expoCols+` FROM expos ORDER BY starts_on, id LIMIT $1`, limit)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: list expos: %w", err)
	}
	return collect(rows, scanExpo)
}

// CreateHall implements expo.Store.
func (db *DB) CreateExpoHall(ctx context.Context, h expo.Hall, at time.Time, rec audit.Record) error {
	err := db.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO expo_halls (id, expo_id, name, rows_count, cols_count, created_at) VALUES ($1,$2,$3,$4,$5,$6)`,
			h.ID, h.ExpoID, h.Name, h.Rows, h.Cols, micros(at)); err != nil {
			return err
		}
		return appendAudit(ctx, tx, at, rec)
	})
	return taken(err, "name", "the expo already has a hall of this name")
}

// ListHalls implements expo.Store.
func (db *DB) ListExpoHalls(ctx context.Context, expoID string) ([]expo.Hall, error) {
	rows, err := db.SQL.QueryContext(ctx, `SELECT id, expo_id, name, rows_count, cols_count FROM expo_halls WHERE expo_id = $1 ORDER BY name, id`, expoID)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: list halls: %w", err)
	}
	return collect(rows, func(sc interface{ Scan(...any) error }) (expo.Hall, error) {
		var h expo.Hall
		err := sc.Scan(&h.ID, &h.ExpoID, &h.Name, &h.Rows, &h.Cols)
		return h, err
	})
}

// CreateBooth implements expo.Store.
func (db *DB) CreateExpoBooth(ctx context.Context, b expo.Booth, at time.Time, rec audit.Record) error {
	err := db.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO expo_booths (id, expo_id, hall_id, code, size_m2, price, row_no, col_no, application_id, exhibitor_org, created_at)
			VALUES ($1,$2,$3,$4,$5,$6,$7,$8,'','',$9)`, b.ID, b.ExpoID, b.HallID, b.Code, b.SizeM2, b.PriceKZT, b.Row, b.Col, micros(at)); err != nil {
			return err
		}
		return appendAudit(ctx, tx, at, rec)
	})
	return taken(err, "code", "the code or the position is taken")
}

// The booth's status comes from its application's payment.
const boothSelect = `SELECT b.id, b.expo_id, b.hall_id, b.code, b.size_m2, b.price, b.row_no, b.col_no, b.application_id, b.exhibitor_org,
	COALESCE(a.paid, $1) FROM expo_booths b LEFT JOIN expo_applications a ON a.id = b.application_id`

func scanBooth(sc interface{ Scan(...any) error }) (expo.Booth, error) {
	var b expo.Booth
	var paid bool
	err := sc.Scan(&b.ID, &b.ExpoID, &b.HallID, &b.Code, &b.SizeM2, &b.PriceKZT, &b.Row, &b.Col, &b.ApplicationID, &b.ExhibitorOrg, &paid)
	b.Status = expo.StatusOf(&b, paid)
	return b, err
}

// GetBooth implements expo.Store.
func (db *DB) GetExpoBooth(ctx context.Context, id string) (expo.Booth, error) {
	b, err := scanBooth(db.SQL.QueryRowContext(ctx, boothSelect+` WHERE b.id = $2`, false, id))
	return b, notFound(err, "booth")
}

// ListBooths implements expo.Store.
func (db *DB) ListExpoBooths(ctx context.Context, expoID string) ([]expo.Booth, error) {
	rows, err := db.SQL.QueryContext(ctx, boothSelect+` WHERE b.expo_id = $2 ORDER BY b.code, b.id`, false, expoID)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: list booths: %w", err)
	}
	return collect(rows, scanBooth)
}

const expoAppCols = `id, expo_id, org, size_m2, note, status, booth_id, fee, paid, pay_from, fee_transfer, created_at, updated_at`

func scanApplication(sc interface{ Scan(...any) error }) (expo.Application, error) {
	var a expo.Application
	var status string
	var created, updated int64
	err := sc.Scan(&a.ID, &a.ExpoID, &a.Org, &a.SizeM2, &a.Note, &status, &a.BoothID, &a.FeeKZT, &a.Paid, &a.PayFrom, &a.FeeTransfer, &created, &updated)
	a.Status, a.CreatedAt, a.UpdatedAt = expo.AppStatus(status), fromMicros(created), fromMicros(updated)
	return a, err
}

// Apply implements expo.Store.
func (db *DB) ApplyExpo(ctx context.Context, a expo.Application, rec audit.Record) error {
	err := db.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO expo_applications (`+expoAppCols+`) VALUES ($1,$2,$3,$4,$5,$6,'',0,$7,'','',$8,$9)`,
			a.ID, a.ExpoID, a.Org, a.SizeM2, a.Note, string(a.Status), false, micros(a.CreatedAt), micros(a.UpdatedAt)); err != nil {
			return err
		}
		return appendAudit(ctx, tx, a.CreatedAt, rec)
	})
	if err != nil && IsUniqueViolation(err) {
		return &problem.Error{Code: problem.Conflict, Message: "your organisation has already applied", Fields: map[string]string{"status": "already registered"}}
	}
	return err
}

// GetApplication implements expo.Store.
func (db *DB) GetExpoApplication(ctx context.Context, id string) (expo.Application, error) {
	a, err := scanApplication(db.SQL.QueryRowContext(ctx, `SELECT `+expoAppCols+` FROM expo_applications WHERE id = $1`, id))
	return a, notFound(err, "application")
}

// ListApplications implements expo.Store.
func (db *DB) ListExpoApplications(ctx context.Context, expoID, org string) ([]expo.Application, error) {
	q, args := `SELECT `+expoAppCols+` FROM expo_applications WHERE expo_id = $1`, []any{expoID}
	if org != "" {
		q += ` AND org = $2`
		args = append(args, org)
	}
	rows, err := db.SQL.QueryContext(ctx, q+` ORDER BY created_at, id LIMIT 5000`, args...)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: list applications: %w", err)
	}
	return collect(rows, scanApplication)
}

func changed(field, now string) error {
	return &problem.Error{Code: problem.Conflict, Message: "it changed meanwhile", Fields: map[string]string{field: now}}
}

// Decide implements expo.Store.
func (db *DB) DecideApplication(ctx context.Context, id string, to expo.AppStatus, at time.Time, rec audit.Record) (expo.Application, error) {
	var out expo.Application
	err := db.Tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE expo_applications SET status = $1, updated_at = $2 WHERE id = $3 AND status = $4`,
			string(to), micros(at), id, string(expo.Pending))
		if err != nil {
			return err
		}
		if out, err = scanApplication(tx.QueryRowContext(ctx, `SELECT `+expoAppCols+` FROM expo_applications WHERE id = $1`, id)); err != nil {
			return notFound(err, "application")
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return changed("status", string(out.Status))
		}
		return appendAudit(ctx, tx, at, rec)
	})
	return out, err
}

// Allocate implements expo.Store. Both rows are written by guarded
// UPDATEs: under serializable isolation two transactions that both saw
// the booth free cannot both commit (PostgreSQL refuses the second with
// 40001 and Tx retries it, when it finds the booth taken; SQLite has one
// writer at a time).
func (db *DB) AllocateBooth(ctx context.Context, expoID, applicationID, boothID string, at time.Time, rec audit.Record) (expo.Application, error) {
	var out expo.Application
	err := db.Tx(ctx, func(tx *sql.Tx) error {
		var price int64
		if err := tx.QueryRowContext(ctx, `SELECT price FROM expo_booths WHERE id = $1 AND expo_id = $2`, boothID, expoID).Scan(&price); err != nil {
			return notFound(err, "booth")
		}
		res, err := tx.ExecContext(ctx, `UPDATE expo_applications SET booth_id = $1, fee = $2, updated_at = $3
			WHERE id = $4 AND expo_id = $5 AND status = $6 AND booth_id = ''`, boothID, price, micros(at), applicationID, expoID, string(expo.Approved))
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return changed("status", "not approved or already has a booth")
		}
		if out, err = scanApplication(tx.QueryRowContext(ctx, `SELECT `+expoAppCols+` FROM expo_applications WHERE id = $1`, applicationID)); err != nil {
			return err
		}
		res, err = tx.ExecContext(ctx, `UPDATE expo_booths SET application_id = $1, exhibitor_org = $2 WHERE id = $3 AND expo_id = $4 AND application_id = ''`,
			applicationID, out.Org, boothID, expoID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return changed("booth_id", "already taken")
		}
		return appendAudit(ctx, tx, at, rec)
	})
	if err != nil && IsUniqueViolation(err) {
		return expo.Application{}, changed("booth_id", "already taken")
	}
	return out, err
}

// MarkPaid implements expo.Store.
func (db *DB) MarkFeePaid(ctx context.Context, id, payFrom, transfer string, at time.Time, rec audit.Record) (expo.Application, error) {
	var out expo.Application
	err := db.Tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE expo_applications SET paid = $1, pay_from = $2, fee_transfer = $3, updated_at = $4
			WHERE id = $5 AND paid = $6 AND booth_id <> ''`, true, payFrom, transfer, micros(at), id, false)
		if err != nil {
			return err
		}
		if out, err = scanApplication(tx.QueryRowContext(ctx, `SELECT `+expoAppCols+` FROM expo_applications WHERE id = $1`, id)); err != nil {
			return notFound(err, "application")
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return nil // paid already
		}
		return appendAudit(ctx, tx, at, rec)
	})
	return out, err
}

// AddShowcase implements expo.Store (showing a product twice is one).
func (db *DB) AddExpoShowcase(ctx context.Context, s expo.ShowcaseItem, rec audit.Record) error {
	err := db.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO expo_showcase (expo_id, org, product_id, name, hs, origin, created_at) VALUES ($1,$2,$3,$4,$5,$6,$7)`,
			s.ExpoID, s.Org, s.ProductID, s.Name, s.HS, s.Origin, micros(s.CreatedAt)); err != nil {
			return err
		}
		return appendAudit(ctx, tx, s.CreatedAt, rec)
	})
	if err != nil && IsUniqueViolation(err) {
		return nil
	}
	return err
}

// ListShowcase implements expo.Store.
func (db *DB) ListExpoShowcase(ctx context.Context, expoID string) ([]expo.ShowcaseItem, error) {
	rows, err := db.SQL.QueryContext(ctx, `SELECT expo_id, org, product_id, name, hs, origin, created_at FROM expo_showcase WHERE expo_id = $1
		ORDER BY org, name, product_id LIMIT 5000`, expoID)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: list showcase: %w", err)
	}
	return collect(rows, func(sc interface{ Scan(...any) error }) (expo.ShowcaseItem, error) {
		var s expo.ShowcaseItem
		var created int64
		err := sc.Scan(&s.ExpoID, &s.Org, &s.ProductID, &s.Name, &s.HS, &s.Origin, &created)
		s.CreatedAt = fromMicros(created)
		return s, err
	})
}

func scanBuyer(sc interface{ Scan(...any) error }) (expo.Buyer, error) {
	var b expo.Buyer
	var created int64
	err := sc.Scan(&b.ExpoID, &b.Org, &b.User, &created)
	b.CreatedAt = fromMicros(created)
	return b, err
}

// RegisterBuyer implements expo.Store.
func (db *DB) RegisterExpoBuyer(ctx context.Context, b expo.Buyer, rec audit.Record) (expo.Buyer, bool, error) {
	out, created := b, false
	err := db.Tx(ctx, func(tx *sql.Tx) error {
		prev, err := scanBuyer(tx.QueryRowContext(ctx, `SELECT expo_id, org, user_id, created_at FROM expo_buyers WHERE expo_id = $1 AND org = $2`, b.ExpoID, b.Org))
		if err == nil {
			out, created = prev, false
			return nil
		}
		if err != sql.ErrNoRows {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO expo_buyers (expo_id, org, user_id, created_at) VALUES ($1,$2,$3,$4)`,
			b.ExpoID, b.Org, b.User, micros(b.CreatedAt)); err != nil {
			return err
		}
		out, created = b, true
		return appendAudit(ctx, tx, b.CreatedAt, rec)
	})
	if err != nil && IsUniqueViolation(err) {
		prev, gerr := scanBuyer(db.SQL.QueryRowContext(ctx, `SELECT expo_id, org, user_id, created_at FROM expo_buyers WHERE expo_id = $1 AND org = $2`, b.ExpoID, b.Org))
		return prev, false, gerr
	}
	return out, created, err
}

// ListBuyers implements expo.Store.
func (db *DB) ListExpoBuyers(ctx context.Context, expoID string) ([]expo.Buyer, error) {
	rows, err := db.SQL.QueryContext(ctx, `SELECT expo_id, org, user_id, created_at FROM expo_buyers WHERE expo_id = $1 ORDER BY created_at, org LIMIT 10000`, expoID)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: list buyers: %w", err)
	}
	return collect(rows, scanBuyer)
}

// pair names two organisations in either order, so one index refuses a
// second request between them whoever asks.
func pair(a, b string) string {
	if a > b {
		a, b = b, a
	}
	return a + "|" + b
}

const expoReqCols = `id, expo_id, from_org, to_org, message, status, created_at, updated_at`

func scanRequest(sc interface{ Scan(...any) error }) (expo.MeetingRequest, error) {
	var m expo.MeetingRequest
	var status string
	var created, updated int64
	err := sc.Scan(&m.ID, &m.ExpoID, &m.FromOrg, &m.ToOrg, &m.Message, &status, &created, &updated)
	m.Status, m.CreatedAt, m.UpdatedAt = expo.RequestStatus(status), fromMicros(created), fromMicros(updated)
	return m, err
}

// RequestMeeting implements expo.Store.
func (db *DB) RequestMeeting(ctx context.Context, m expo.MeetingRequest, rec audit.Record) error {
	err := db.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO expo_meeting_requests (id, expo_id, from_org, to_org, pair, message, status, created_at, updated_at)
			VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9)`, m.ID, m.ExpoID, m.FromOrg, m.ToOrg, pair(m.FromOrg, m.ToOrg), m.Message, string(m.Status),
			micros(m.CreatedAt), micros(m.UpdatedAt)); err != nil {
			return err
		}
		return appendAudit(ctx, tx, m.CreatedAt, rec)
	})
	if err != nil && IsUniqueViolation(err) {
		return &problem.Error{Code: problem.Conflict, Message: "you already have a request with this organisation", Fields: map[string]string{"to_org": "already registered"}}
	}
	return err
}

// GetRequest implements expo.Store.
func (db *DB) GetMeetingRequest(ctx context.Context, id string) (expo.MeetingRequest, error) {
	m, err := scanRequest(db.SQL.QueryRowContext(ctx, `SELECT `+expoReqCols+` FROM expo_meeting_requests WHERE id = $1`, id))
	return m, notFound(err, "meeting request")
}

// ListRequests implements expo.Store.
func (db *DB) ListMeetingRequests(ctx context.Context, expoID, org string) ([]expo.MeetingRequest, error) {
	q, args := `SELECT `+expoReqCols+` FROM expo_meeting_requests WHERE expo_id = $1`, []any{expoID}
	if org != "" {
		q += ` AND (from_org = $2 OR to_org = $2)`
		args = append(args, org)
	}
	rows, err := db.SQL.QueryContext(ctx, q+` ORDER BY created_at, id LIMIT 100000`, args...)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: list meeting requests: %w", err)
	}
	return collect(rows, scanRequest)
}

// Answer implements expo.Store.
func (db *DB) AnswerMeetingRequest(ctx context.Context, id string, to expo.RequestStatus, at time.Time, rec audit.Record) (expo.MeetingRequest, error) {
	var out expo.MeetingRequest
	err := db.Tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE expo_meeting_requests SET status = $1, updated_at = $2 WHERE id = $3 AND status = $4`,
			string(to), micros(at), id, string(expo.Requested))
		if err != nil {
			return err
		}
		if out, err = scanRequest(tx.QueryRowContext(ctx, `SELECT `+expoReqCols+` FROM expo_meeting_requests WHERE id = $1`, id)); err != nil {
			return notFound(err, "meeting request")
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return changed("status", string(out.Status))
		}
		return appendAudit(ctx, tx, at, rec)
	})
	return out, err
}

// SaveSchedule implements expo.Store.
func (db *DB) SaveExpoSchedule(ctx context.Context, r expo.Run, ms []expo.Meeting, rec audit.Record) error {
	return db.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM expo_meetings WHERE expo_id = $1`, r.ExpoID); err != nil {
			return err
		}
		for _, m := range ms {
			if _, err := tx.ExecContext(ctx, `INSERT INTO expo_meetings (request_id, expo_id, org_a, org_b, slot_no, table_no, start_at, end_at)
				VALUES ($1,$2,$3,$4,$5,$6,$7,$8)`, m.RequestID, m.ExpoID, m.OrgA, m.OrgB, m.Slot, m.Table, micros(m.Start), micros(m.End)); err != nil {
				return err
			}
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM expo_runs WHERE expo_id = $1`, r.ExpoID); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO expo_runs (expo_id, requests, placed, greedy, slots, tables_count, run_at, run_by) VALUES ($1,$2,$3,$4,$5,$6,$7,$8)`,
			r.ExpoID, r.Requests, r.Placed, r.Greedy, r.Slots, r.Tables, micros(r.At), r.By); err != nil {
			return err
		}
		return appendAudit(ctx, tx, r.At, rec)
	})
}

// GetRun implements expo.Store.
func (db *DB) ExpoRun(ctx context.Context, expoID string) (expo.Run, error) {
	var r expo.Run
	var at int64
	err := db.SQL.QueryRowContext(ctx, `SELECT expo_id, requests, placed, greedy, slots, tables_count, run_at, run_by FROM expo_runs WHERE expo_id = $1`, expoID).
		Scan(&r.ExpoID, &r.Requests, &r.Placed, &r.Greedy, &r.Slots, &r.Tables, &at, &r.By)
	r.At = fromMicros(at)
	return r, notFound(err, "scheduler run")
}

// ListMeetings implements expo.Store.
func (db *DB) ListExpoMeetings(ctx context.Context, expoID, org string) ([]expo.Meeting, error) {
	q, args := `SELECT request_id, expo_id, org_a, org_b, slot_no, table_no, start_at, end_at FROM expo_meetings WHERE expo_id = $1`, []any{expoID}
	if org != "" {
		q += ` AND (org_a = $2 OR org_b = $2)`
		args = append(args, org)
	}
	rows, err := db.SQL.QueryContext(ctx, q+` ORDER BY start_at, table_no LIMIT 100000`, args...)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: list meetings: %w", err)
	}
	return collect(rows, func(sc interface{ Scan(...any) error }) (expo.Meeting, error) {
		var m expo.Meeting
		var start, end int64
		err := sc.Scan(&m.RequestID, &m.ExpoID, &m.OrgA, &m.OrgB, &m.Slot, &m.Table, &start, &end)
		m.Start, m.End = fromMicros(start), fromMicros(end)
		return m, err
	})
}

var _ expo.Store = (*DB)(nil)
