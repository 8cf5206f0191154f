package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"bricstown/internal/audit"
	"bricstown/internal/education"
	"bricstown/internal/problem"
)

// The education zone (education.Store). Seats and money are the booking
// engine's; here one live enrolment per student and course is a partial
// unique index, a certificate is written only while its enrolment is
// completed (checked in the same transaction), and every workflow step of
// an enrolment or exchange application is a guarded UPDATE on its status.

type scanner = interface{ Scan(...any) error }

const partnerCols = `id, org_id, name, country, city, institution, created_at`

func scanPartner(sc scanner) (education.Partner, error) {
	var p education.Partner
	var created int64
	err := sc.Scan(&p.ID, &p.OrgID, &p.Name, &p.Country, &p.City, &p.Institution, &created)
	p.CreatedAt = fromMicros(created)
	return p, err
}

// CreatePartner implements education.Store.
func (db *DB) CreatePartner(ctx context.Context, p education.Partner, rec audit.Record) error {
	return db.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO education_partners (`+partnerCols+`) VALUES ($1,$2,$3,$4,$5,$6,$7)`,
			p.ID, p.OrgID, p.Name, p.Country, p.City, p.Institution, micros(p.CreatedAt)); err != nil {
			return fmt.Errorf("sqlstore: create partner: %w", err)
		}
		return appendAudit(ctx, tx, p.CreatedAt, rec)
	})
}

// ListPartners implements education.Store.
func (db *DB) ListPartners(ctx context.Context, org string) ([]education.Partner, error) {
	rows, err := db.SQL.QueryContext(ctx, `SELECT `+partnerCols+` FROM education_partners WHERE org_id = $1 ORDER BY name, id LIMIT 1000`, org)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: list partners: %w", err)
	}
	return collect(rows, scanPartner)
}

const programmeCols = `id, org_id, titles, languages, degree, duration_months, partners, created_at`

func scanProgramme(sc scanner) (education.Programme, error) {
	var p education.Programme
	var titles, langs, partners string
	var created int64
	if err := sc.Scan(&p.ID, &p.OrgID, &titles, &langs, &p.Degree, &p.DurationMonths, &partners, &created); err != nil {
		return p, err
	}
	p.CreatedAt = fromMicros(created)
	if err := errors.Join(json.Unmarshal([]byte(titles), &p.Titles), json.Unmarshal([]byte(langs), &p.Languages),
		json.Unmarshal([]byte(partners), &p.Partners)); err != nil {
		return p, fmt.Errorf("sqlstore: programme %s: %w", p.ID, err)
	}
	return p, nil
}

// CreateProgramme implements education.Store.
func (db *DB) CreateProgramme(ctx context.Context, p education.Programme, rec audit.Record) error {
	titles, _ := json.Marshal(p.Titles)
	langs, _ := json.Marshal(p.Languages)
	partners, _ := json.Marshal(p.Partners)
	return db.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO education_programmes (`+programmeCols+`) VALUES ($1,$2,$3,$4,$5,$6,$7,$8)`,
			p.ID, p.OrgID, string(titles), string(langs), p.Degree, p.DurationMonths, string(partners), micros(p.CreatedAt)); err != nil {
			return fmt.Errorf("sqlstore: create programme: %w", err)
		}
		return appendAudit(ctx, tx, p.CreatedAt, rec)
	})
}

// GetProgramme implements education.Store.
func (db *DB) GetProgramme(ctx context.Context, id string) (education.Programme, error) {
	p, err := scanProgramme(db.SQL.QueryRowContext(ctx, `SELECT `+programmeCols+` FROM education_programmes WHERE id = $1`, id))
	return p, notFound(err, "programme")
}

// ListProgrammes implements education.Store: newest first.
func (db *DB) ListProgrammes(ctx context.Context, org string, limit int) ([]education.Programme, error) {
	rows, err := db.SQL.QueryContext(ctx, `SELECT `+programmeCols+` FROM education_programmes WHERE ($1 = '' OR org_id = $1)
		ORDER BY created_at DESC, id LIMIT $2`, org, limit)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: list programmes: %w", err)
	}
	return collect(rows, scanProgramme)
}

const courseCols = `id, org_id, title, industry, language, start_date, end_date, capacity, fee, account, refund_days, resource_id, created_at`

func scanCourse(sc scanner) (education.Course, error) {
	var c education.Course
	var created int64
	err := sc.Scan(&c.ID, &c.OrgID, &c.Title, &c.Industry, &c.Language, &c.StartDate, &c.EndDate, &c.Capacity, &c.FeeKZT, &c.Account,
		&c.RefundDays, &c.ResourceID, &created)
	c.CreatedAt = fromMicros(created)
	return c, err
}

// CreateCourse implements education.Store.
func (db *DB) CreateCourse(ctx context.Context, c education.Course, rec audit.Record) error {
	return db.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO education_courses (`+courseCols+`) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13)`,
			c.ID, c.OrgID, c.Title, c.Industry, c.Language, c.StartDate, c.EndDate, c.Capacity, c.FeeKZT, c.Account, c.RefundDays, c.ResourceID,
			micros(c.CreatedAt)); err != nil {
			return fmt.Errorf("sqlstore: create course: %w", err)
		}
		return appendAudit(ctx, tx, c.CreatedAt, rec)
	})
}

// GetCourse implements education.Store.
func (db *DB) GetCourse(ctx context.Context, id string) (education.Course, error) {
	c, err := scanCourse(db.SQL.QueryRowContext(ctx, `SELECT `+courseCols+` FROM education_courses WHERE id = $1`, id))
	if err != nil {
		return c, notFound(err, "course")
	}
	n, err := db.enrolledCounts(ctx, []string{c.ID})
	c.Enrolled = n[c.ID]
	return c, err
}

func (db *DB) enrolledCounts(ctx context.Context, ids []string) (map[string]int, error) {
	out := map[string]int{}
	if len(ids) == 0 {
		return out, nil
	}
	marks := make([]string, len(ids))
	args := make([]any, len(ids))
	for i, id := range ids {
		marks[i], args[i] = fmt.Sprintf("$%d", i+1), id
	}
	rows, err := db.SQL.QueryContext(ctx, `SELECT course_id, COUNT(*) FROM education_enrolments
		WHERE course_id IN (`+strings.Join(marks, ",")+`) AND status <> 'withdrawn' GROUP BY course_id`, args...)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: enrolled counts: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		var n int
		if err := rows.Scan(&id, &n); err != nil {
			return nil, err
		}
		out[id] = n
	}
	return out, rows.Err()
}

// ListCourses implements education.Store: soonest first.
func (db *DB) ListCourses(ctx context.Context, org string, limit int) ([]education.Course, error) {
	rows, err := db.SQL.QueryContext(ctx, `SELECT `+courseCols+` FROM education_courses WHERE ($1 = '' OR org_id = $1)
		ORDER BY start_date, id LIMIT $2`, org, limit)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: list courses: %w", err)
	}
	list, err := collect(rows, scanCourse)
	if err != nil {
		return nil, err
	}
	for from := 0; from < len(list); from += 500 {
		part := list[from:min(from+500, len(list))]
		ids := make([]string, len(part))
		for i := range part {
			ids[i] = part[i].ID
		}
		n, err := db.enrolledCounts(ctx, ids)
		if err != nil {
			return nil, err
		}
		for i := range part {
			part[i].Enrolled = n[part[i].ID]
		}
	}
	return list, nil
}

const enrolmentCols = `id, course_id, org_id, booking_id, student_org, student_user, party, student_name, status, completed_at, created_at, updated_at`

func scanEnrolment(sc scanner) (education.Enrolment, error) {
	var e education.Enrolment
	var completed, created, updated int64
	err := sc.Scan(&e.ID, &e.CourseID, &e.OrgID, &e.BookingID, &e.StudentOrg, &e.StudentUser, &e.Party, &e.StudentName, &e.Status,
		&completed, &created, &updated)
	e.CompletedAt, e.CreatedAt, e.UpdatedAt = fromMicros(completed), fromMicros(created), fromMicros(updated)
	return e, err
}

// CreateEnrolment implements education.Store: the booking's enrolment is
// looked up first (a retry), then the insert meets the partial unique
// index of live enrolments, so the second of two concurrent enrolments of
// one student on one course is refused.
func (db *DB) CreateEnrolment(ctx context.Context, e education.Enrolment, rec audit.Record) (education.Enrolment, bool, error) {
	var out education.Enrolment
	var created bool
	err := db.Tx(ctx, func(tx *sql.Tx) error {
		created = false
		got, err := scanEnrolment(tx.QueryRowContext(ctx, `SELECT `+enrolmentCols+` FROM education_enrolments WHERE booking_id = $1`, e.BookingID))
		if err == nil {
			out = got
			return nil
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO education_enrolments (`+enrolmentCols+`) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12)`,
			e.ID, e.CourseID, e.OrgID, e.BookingID, e.StudentOrg, e.StudentUser, e.Party, e.StudentName, e.Status, micros(e.CompletedAt),
			micros(e.CreatedAt), micros(e.UpdatedAt)); err != nil {
			if IsUniqueViolation(err) {
				return &problem.Error{Code: problem.Conflict, Message: "you are enrolled on this course already", Fields: map[string]string{"course_id": "already enrolled"}}
			}
			return fmt.Errorf("sqlstore: create enrolment: %w", err)
		}
		out, created = e, true
		return appendAudit(ctx, tx, e.CreatedAt, rec)
	})
	return out, created, err
}

// GetEnrolment implements education.Store.
func (db *DB) GetEnrolment(ctx context.Context, id string) (education.Enrolment, error) {
	e, err := scanEnrolment(db.SQL.QueryRowContext(ctx, `SELECT `+enrolmentCols+` FROM education_enrolments WHERE id = $1`, id))
	return e, notFound(err, "enrolment")
}

// ListEnrolments implements education.Store.
func (db *DB) ListEnrolments(ctx context.Context, q education.EnrolmentQuery) ([]education.Enrolment, error) {
	var where []string
	var args []any
	for col, v := range map[string]string{"course_id": q.CourseID, "party": q.Party, "org_id": q.OrgID} {
		if v != "" {
			args = append(args, v)
			where = append(where, fmt.Sprintf("%s = $%d", col, len(args)))
		}
	}
	stmt := `SELECT ` + enrolmentCols + ` FROM education_enrolments`
	if len(where) > 0 {
		stmt += ` WHERE ` + strings.Join(where, " AND ")
	}
	limit := q.Limit
	if limit <= 0 {
		limit = 100
	}
	args = append(args, limit)
	stmt += fmt.Sprintf(` ORDER BY created_at DESC, id LIMIT $%d`, len(args))
	rows, err := db.SQL.QueryContext(ctx, stmt, args...)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: list enrolments: %w", err)
	}
	return collect(rows, scanEnrolment)
}

// MoveEnrolment implements education.Store.
func (db *DB) MoveEnrolment(ctx context.Context, id string, from, to education.Status, at time.Time, rec audit.Record) (education.Enrolment, error) {
	var out education.Enrolment
	err := db.Tx(ctx, func(tx *sql.Tx) error {
		completed := int64(0)
		if to == education.Completed {
			completed = micros(at)
		}
		res, err := tx.ExecContext(ctx, `UPDATE education_enrolments SET status = $3, updated_at = $4,
			completed_at = CASE WHEN CAST($5 AS BIGINT) > 0 THEN CAST($5 AS BIGINT) ELSE completed_at END WHERE id = $1 AND status = $2`, id, string(from), string(to), micros(at), completed)
		if err != nil {
			return fmt.Errorf("sqlstore: move enrolment: %w", err)
		}
		out, err = scanEnrolment(tx.QueryRowContext(ctx, `SELECT `+enrolmentCols+` FROM education_enrolments WHERE id = $1`, id))
		if err != nil {
			return notFound(err, "enrolment")
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return &problem.Error{Code: problem.Conflict, Message: "the enrolment is " + string(out.Status), Fields: map[string]string{"status": string(out.Status)}}
		}
		return appendAudit(ctx, tx, at, rec)
	})
	return out, err
}

const certificateCols = `id, code, enrolment_id, course_id, org_id, party, holder_name, course_title, completed_at, issued_at, issued_by`

func scanCertificate(sc scanner) (education.Certificate, error) {
	var c education.Certificate
	var completed, issued int64
	err := sc.Scan(&c.ID, &c.Code, &c.EnrolmentID, &c.CourseID, &c.OrgID, &c.Party, &c.HolderName, &c.CourseTitle, &completed, &issued, &c.IssuedBy)
	c.CompletedAt, c.IssuedAt = fromMicros(completed), fromMicros(issued)
	return c, err
}

// IssueCertificate implements education.Store.
func (db *DB) IssueCertificate(ctx context.Context, c education.Certificate, rec audit.Record) (education.Certificate, bool, error) {
	var out education.Certificate
	var created bool
	err := db.Tx(ctx, func(tx *sql.Tx) error {
		created = false
		got, err := scanCertificate(tx.QueryRowContext(ctx, `SELECT `+certificateCols+` FROM education_certificates WHERE enrolment_id = $1`, c.EnrolmentID))
		if err == nil {
			out = got
			return nil
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		res, err := tx.ExecContext(ctx, `INSERT INTO education_certificates (`+certificateCols+`)
			SELECT CAST($1 AS TEXT), CAST($2 AS TEXT), id, CAST($4 AS TEXT), CAST($5 AS TEXT), CAST($6 AS TEXT), CAST($7 AS TEXT), CAST($8 AS TEXT),
			completed_at, CAST($9 AS BIGINT), CAST($10 AS TEXT) FROM education_enrolments WHERE id = CAST($3 AS TEXT) AND status = 'completed'`,
			c.ID, c.Code, c.EnrolmentID, c.CourseID, c.OrgID, c.Party, c.HolderName, c.CourseTitle, micros(c.IssuedAt), c.IssuedBy)
		if err != nil {
			return fmt.Errorf("sqlstore: issue certificate: %w", err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return &problem.Error{Code: problem.Conflict, Message: "a certificate is issued for a completed course only",
				Fields: map[string]string{"status": "the enrolment is not completed"}}
		}
		if out, err = scanCertificate(tx.QueryRowContext(ctx, `SELECT `+certificateCols+` FROM education_certificates WHERE id = $1`, c.ID)); err != nil {
			return err
		}
		created = true
		return appendAudit(ctx, tx, c.IssuedAt, rec)
	})
	return out, created, err
}

// CertificateByCode implements education.Store.
func (db *DB) CertificateByCode(ctx context.Context, code string) (education.Certificate, error) {
	c, err := scanCertificate(db.SQL.QueryRowContext(ctx, `SELECT `+certificateCols+` FROM education_certificates WHERE code = $1`, code))
	return c, notFound(err, "certificate")
}

// ListCertificates implements education.Store: newest first.
func (db *DB) ListCertificates(ctx context.Context, party, org string, limit int) ([]education.Certificate, error) {
	rows, err := db.SQL.QueryContext(ctx, `SELECT `+certificateCols+` FROM education_certificates
		WHERE ($1 = '' OR party = $1) AND ($2 = '' OR org_id = $2) ORDER BY issued_at DESC, id LIMIT $3`, party, org, limit)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: list certificates: %w", err)
	}
	return collect(rows, scanCertificate)
}

const exchangeCols = `id, student_org, student_user, party, student_name, home_org, host_org, programme_id, term, statement, status, rejected_by,
	reason, home_decided_at, host_decided_at, created_at, updated_at`

func scanExchange(sc scanner) (education.Exchange, error) {
	var x education.Exchange
	var home, host, created, updated int64
	err := sc.Scan(&x.ID, &x.StudentOrg, &x.StudentUser, &x.Party, &x.StudentName, &x.HomeOrg, &x.HostOrg, &x.ProgrammeID, &x.Term, &x.Statement,
		&x.Status, &x.RejectedBy, &x.Reason, &home, &host, &created, &updated)
	x.HomeDecidedAt, x.HostDecidedAt, x.CreatedAt, x.UpdatedAt = fromMicros(home), fromMicros(host), fromMicros(created), fromMicros(updated)
	return x, err
}

// CreateExchange implements education.Store.
func (db *DB) CreateExchange(ctx context.Context, x education.Exchange, rec audit.Record) error {
	return db.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO education_exchanges (`+exchangeCols+`) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17)`,
			x.ID, x.StudentOrg, x.StudentUser, x.Party, x.StudentName, x.HomeOrg, x.HostOrg, x.ProgrammeID, x.Term, x.Statement, string(x.Status),
			x.RejectedBy, x.Reason, micros(x.HomeDecidedAt), micros(x.HostDecidedAt), micros(x.CreatedAt), micros(x.UpdatedAt)); err != nil {
			return fmt.Errorf("sqlstore: create exchange: %w", err)
		}
		return appendAudit(ctx, tx, x.CreatedAt, rec)
	})
}

// GetExchange implements education.Store.
func (db *DB) GetExchange(ctx context.Context, id string) (education.Exchange, error) {
	x, err := scanExchange(db.SQL.QueryRowContext(ctx, `SELECT `+exchangeCols+` FROM education_exchanges WHERE id = $1`, id))
	return x, notFound(err, "exchange application")
}

// ListExchanges implements education.Store.
func (db *DB) ListExchanges(ctx context.Context, q education.ExchangeQuery) ([]education.Exchange, error) {
	limit := q.Limit
	if limit <= 0 {
		limit = 100
	}
	rows, err := db.SQL.QueryContext(ctx, `SELECT `+exchangeCols+` FROM education_exchanges
		WHERE ($1 = '' OR party = $1) AND ($2 = '' OR home_org = $2 OR host_org = $2) ORDER BY created_at DESC, id LIMIT $3`,
		q.Party, q.Institution, limit)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: list exchanges: %w", err)
	}
	return collect(rows, scanExchange)
}

// MoveExchange implements education.Store.
func (db *DB) MoveExchange(ctx context.Context, m education.ExchangeMove, rec audit.Record) (education.Exchange, error) {
	var out education.Exchange
	err := db.Tx(ctx, func(tx *sql.Tx) error {
		var home, host int64
		switch m.Step {
		case education.StepHome:
			home = micros(m.At)
		case education.StepHost:
			host = micros(m.At)
		}
		res, err := tx.ExecContext(ctx, `UPDATE education_exchanges SET status = $3, rejected_by = $4, reason = $5, updated_at = $6,
			home_decided_at = CASE WHEN CAST($7 AS BIGINT) > 0 THEN CAST($7 AS BIGINT) ELSE home_decided_at END,
			host_decided_at = CASE WHEN CAST($8 AS BIGINT) > 0 THEN CAST($8 AS BIGINT) ELSE host_decided_at END
			WHERE id = $1 AND status = $2`, m.ID, string(m.From), string(m.To), m.RejectedBy, m.Reason, micros(m.At), home, host)
		if err != nil {
			return fmt.Errorf("sqlstore: move exchange: %w", err)
		}
		out, err = scanExchange(tx.QueryRowContext(ctx, `SELECT `+exchangeCols+` FROM education_exchanges WHERE id = $1`, m.ID))
		if err != nil {
			return notFound(err, "exchange application")
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return &problem.Error{Code: problem.Conflict, Message: "the application is " + string(out.Status), Fields: map[string]string{"status": string(out.Status)}}
		}
		return appendAudit(ctx, tx, m.At, rec)
	})
	return out, err
}

var _ education.Store = (*DB)(nil)
