package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"bricstown/internal/audit"
	"bricstown/internal/clinic"
	"bricstown/internal/problem"
)

// The medical and wellness zone's storage (internal/clinic). Bookings
// themselves stay in the booking engine's tables; these rows add the
// medical side and refer to them.

const clinicDoctorCols = `id, clinic_org, user_id, name, specialty, telemedicine, in_person, created_at`

func scanClinicDoctor(sc interface{ Scan(...any) error }) (clinic.Doctor, error) {
	var d clinic.Doctor
	var at int64
	err := sc.Scan(&d.ID, &d.ClinicOrg, &d.UserID, &d.Name, &d.Specialty, &d.Telemedicine, &d.InPerson, &at)
	d.CreatedAt = fromMicros(at)
	return d, err
}

// CreateDoctor implements clinic.Store.
func (db *DB) CreateDoctor(ctx context.Context, d clinic.Doctor, rec audit.Record) error {
	return db.Tx(ctx, func(tx *sql.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM clinic_doctors WHERE clinic_org = $1 AND user_id = $2`, d.ClinicOrg, d.UserID).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return &problem.Error{Code: problem.Conflict, Message: "the clinician is already listed as a doctor", Fields: map[string]string{"user_id": "already listed"}}
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO clinic_doctors (`+clinicDoctorCols+`) VALUES ($1,$2,$3,$4,$5,$6,$7,$8)`,
			d.ID, d.ClinicOrg, d.UserID, d.Name, d.Specialty, d.Telemedicine, d.InPerson, micros(d.CreatedAt)); err != nil {
			return fmt.Errorf("sqlstore: create doctor: %w", err)
		}
		return appendAudit(ctx, tx, d.CreatedAt, rec)
	})
}

// GetDoctor implements clinic.Store.
func (db *DB) GetDoctor(ctx context.Context, id string) (clinic.Doctor, error) {
	d, err := scanClinicDoctor(db.SQL.QueryRowContext(ctx, `SELECT `+clinicDoctorCols+` FROM clinic_doctors WHERE id = $1`, id))
	return d, notFound(err, "doctor")
}

// ListDoctors implements clinic.Store.
func (db *DB) ListDoctors(ctx context.Context, clinicOrg string) ([]clinic.Doctor, error) {
	stmt, args := `SELECT `+clinicDoctorCols+` FROM clinic_doctors`, []any{}
	if clinicOrg != "" {
		stmt, args = stmt+` WHERE clinic_org = $1`, append(args, clinicOrg)
	}
	rows, err := db.SQL.QueryContext(ctx, stmt+` ORDER BY clinic_org, name, id LIMIT 1000`, args...)
	if err != nil {
		return nil, err
	}
	return collect(rows, scanClinicDoctor)
}

const clinicPackageCols = `id, clinic_org, kind, description, created_at`

func scanClinicPackage(sc interface{ Scan(...any) error }) (clinic.Package, error) {
	var p clinic.Package
	var at int64
	err := sc.Scan(&p.ID, &p.ClinicOrg, &p.Kind, &p.Description, &at)
	p.CreatedAt = fromMicros(at)
	return p, err
}

// CreatePackage implements clinic.Store.
func (db *DB) CreatePackage(ctx context.Context, p clinic.Package, rec audit.Record) error {
	return db.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO clinic_packages (`+clinicPackageCols+`) VALUES ($1,$2,$3,$4,$5)`,
			p.ID, p.ClinicOrg, p.Kind, p.Description, micros(p.CreatedAt)); err != nil {
			return fmt.Errorf("sqlstore: create package: %w", err)
		}
		return appendAudit(ctx, tx, p.CreatedAt, rec)
	})
}

// GetPackage implements clinic.Store.
func (db *DB) GetPackage(ctx context.Context, id string) (clinic.Package, error) {
	p, err := scanClinicPackage(db.SQL.QueryRowContext(ctx, `SELECT `+clinicPackageCols+` FROM clinic_packages WHERE id = $1`, id))
	return p, notFound(err, "package")
}

// ListPackages implements clinic.Store.
func (db *DB) ListPackages(ctx context.Context, clinicOrg string) ([]clinic.Package, error) {
	stmt, args := `SELECT `+clinicPackageCols+` FROM clinic_packages`, []any{}
	if clinicOrg != "" {
		stmt, args = stmt+` WHERE clinic_org = $1`, append(args, clinicOrg)
	}
	rows, err := db.SQL.QueryContext(ctx, stmt+` ORDER BY clinic_org, id LIMIT 1000`, args...)
	if err != nil {
		return nil, err
	}
	return collect(rows, scanClinicPackage)
}

const clinicConsultationCols = `id, clinic_org, doctor_id, doctor_user, patient_org, patient_user, mode, start_at, end_at, status, created_at, updated_at`

func scanClinicConsultation(sc interface{ Scan(...any) error }) (clinic.Consultation, error) {
	var c clinic.Consultation
	var start, end, created, updated int64
	err := sc.Scan(&c.ID, &c.ClinicOrg, &c.DoctorID, &c.DoctorUser, &c.PatientOrg, &c.PatientUser, &c.Mode, &start, &end, &c.Status, &created, &updated)
	c.Start, c.End, c.CreatedAt, c.UpdatedAt = fromMicros(start), fromMicros(end), fromMicros(created), fromMicros(updated)
	return c, err
}

// CreateConsultation implements clinic.Store.
func (db *DB) CreateConsultation(ctx context.Context, c clinic.Consultation, rec audit.Record) (clinic.Consultation, error) {
	var out clinic.Consultation
	err := db.Tx(ctx, func(tx *sql.Tx) error {
		prev, err := scanClinicConsultation(tx.QueryRowContext(ctx, `SELECT `+clinicConsultationCols+` FROM clinic_consultations WHERE id = $1`, c.ID))
		if err == nil {
			out = prev
			return nil
		}
		if err != sql.ErrNoRows {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO clinic_consultations (`+clinicConsultationCols+`) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12)`,
			c.ID, c.ClinicOrg, c.DoctorID, c.DoctorUser, c.PatientOrg, c.PatientUser, c.Mode, micros(c.Start), micros(c.End), c.Status,
			micros(c.CreatedAt), micros(c.UpdatedAt)); err != nil {
			return fmt.Errorf("sqlstore: create consultation: %w", err)
		}
		out = c
		return appendAudit(ctx, tx, c.CreatedAt, rec)
	})
	return out, err
}

// GetConsultation implements clinic.Store.
func (db *DB) GetConsultation(ctx context.Context, id string) (clinic.Consultation, error) {
	c, err := scanClinicConsultation(db.SQL.QueryRowContext(ctx, `SELECT `+clinicConsultationCols+` FROM clinic_consultations WHERE id = $1`, id))
	return c, notFound(err, "consultation")
}

// ListConsultations implements clinic.Store.
func (db *DB) ListConsultations(ctx context.Context, q clinic.ConsultationQuery) ([]clinic.Consultation, error) {
	var where []string
	var args []any
	add := func(cond string, v any) {
		args = append(args, v)
		where = append(where, fmt.Sprintf(cond, len(args)))
	}
	if q.PatientUser != "" {
		add("patient_user = $%d", q.PatientUser)
	}
	if q.PatientOrg != "" {
		add("patient_org = $%d", q.PatientOrg)
	}
	if q.DoctorUser != "" {
		add("doctor_user = $%d", q.DoctorUser)
	}
	if q.ClinicOrg != "" {
		add("clinic_org = $%d", q.ClinicOrg)
	}
	if !q.From.IsZero() {
		add("start_at >= $%d", micros(q.From))
	}
	if !q.To.IsZero() {
		add("start_at < $%d", micros(q.To))
	}
	if len(where) == 0 {
		return nil, fmt.Errorf("sqlstore: consultations: no filter")
	}
	limit := q.Limit
	if limit <= 0 {
		limit = 100
	}
	args = append(args, limit)
	rows, err := db.SQL.QueryContext(ctx, `SELECT `+clinicConsultationCols+` FROM clinic_consultations WHERE `+strings.Join(where, " AND ")+
		fmt.Sprintf(` ORDER BY start_at, id LIMIT $%d`, len(args)), args...)
	if err != nil {
		return nil, err
	}
	return collect(rows, scanClinicConsultation)
}

// CancelConsultation implements clinic.Store.
func (db *DB) CancelConsultation(ctx context.Context, id string, at time.Time, rec audit.Record) (clinic.Consultation, error) {
	var out clinic.Consultation
	err := db.Tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE clinic_consultations SET status = 'cancelled', updated_at = $2 WHERE id = $1 AND status = 'booked'`, id, micros(at))
		if err != nil {
			return err
		}
		c, err := scanClinicConsultation(tx.QueryRowContext(ctx, `SELECT `+clinicConsultationCols+` FROM clinic_consultations WHERE id = $1`, id))
		if err != nil {
			return notFound(err, "consultation")
		}
		out = c
		if n, _ := res.RowsAffected(); n != 1 {
			return &problem.Error{Code: problem.Conflict, Message: "the consultation is already cancelled", Fields: map[string]string{"status": "cancelled"}}
		}
		if rec.OrgID == "" {
			rec.OrgID = c.ClinicOrg
		}
		return appendAudit(ctx, tx, at, rec)
	})
	return out, err
}

// AddNote implements clinic.Store.
func (db *DB) AddNote(ctx context.Context, n clinic.Note, rec audit.Record) error {
	return db.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO clinic_notes (id, consultation_id, author_user, body, created_at) VALUES ($1,$2,$3,$4,$5)`,
			n.ID, n.ConsultationID, n.AuthorUser, n.Text, micros(n.CreatedAt)); err != nil {
			return fmt.Errorf("sqlstore: add note: %w", err)
		}
		return appendAudit(ctx, tx, n.CreatedAt, rec)
	})
}

// AddPrescription implements clinic.Store.
func (db *DB) AddPrescription(ctx context.Context, rx clinic.Prescription, rec audit.Record) error {
	return db.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO clinic_prescriptions (id, consultation_id, author_user, medicine, dose, duration, created_at)
			VALUES ($1,$2,$3,$4,$5,$6,$7)`, rx.ID, rx.ConsultationID, rx.AuthorUser, rx.Medicine, rx.Dose, rx.Duration, micros(rx.CreatedAt)); err != nil {
			return fmt.Errorf("sqlstore: add prescription: %w", err)
		}
		return appendAudit(ctx, tx, rx.CreatedAt, rec)
	})
}

// Notes implements clinic.Store.
func (db *DB) Notes(ctx context.Context, consultationID string) ([]clinic.Note, error) {
	rows, err := db.SQL.QueryContext(ctx, `SELECT id, consultation_id, author_user, body, created_at FROM clinic_notes WHERE consultation_id = $1
		ORDER BY created_at, id`, consultationID)
	if err != nil {
		return nil, err
	}
	return collect(rows, func(sc interface{ Scan(...any) error }) (clinic.Note, error) {
		var n clinic.Note
		var at int64
		err := sc.Scan(&n.ID, &n.ConsultationID, &n.AuthorUser, &n.Text, &at)
		n.CreatedAt = fromMicros(at)
		return n, err
	})
}

// Prescriptions implements clinic.Store.
func (db *DB) Prescriptions(ctx context.Context, consultationID string) ([]clinic.Prescription, error) {
	rows, err := db.SQL.QueryContext(ctx, `SELECT id, consultation_id, author_user, medicine, dose, duration, created_at FROM clinic_prescriptions
		WHERE consultation_id = $1 ORDER BY created_at, id`, consultationID)
	if err != nil {
		return nil, err
	}
	return collect(rows, func(sc interface{ Scan(...any) error }) (clinic.Prescription, error) {
		var rx clinic.Prescription
		var at int64
		err := sc.Scan(&rx.ID, &rx.ConsultationID, &rx.AuthorUser, &rx.Medicine, &rx.Dose, &rx.Duration, &at)
		rx.CreatedAt = fromMicros(at)
		return rx, err
	})
}

// AddSignal implements clinic.Store: the next number of the room, taken in
// a serializable transaction (a concurrent signal retries).
func (db *DB) AddSignal(ctx context.Context, s clinic.Signal, max int) (clinic.Signal, error) {
	err := db.Tx(ctx, func(tx *sql.Tx) error {
		var last int64
		if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(seq), 0) FROM clinic_signals WHERE consultation_id = $1`, s.ConsultationID).Scan(&last); err != nil {
			return err
		}
		if last >= int64(max) {
			return &problem.Error{Code: problem.TooLarge, Message: fmt.Sprintf("the room has relayed its %d signals", max),
				Fields: map[string]string{"room": "signal limit reached"}}
		}
		s.Seq = last + 1
		_, err := tx.ExecContext(ctx, `INSERT INTO clinic_signals (consultation_id, seq, from_user, kind, data, created_at) VALUES ($1,$2,$3,$4,$5,$6)`,
			s.ConsultationID, s.Seq, s.From, s.Kind, s.Data, micros(s.CreatedAt))
		return err
	})
	return s, err
}

// DeleteClosedRoomSignals implements clinic.Store.
func (db *DB) DeleteClosedRoomSignals(ctx context.Context, now time.Time) (int64, error) {
	var n int64
	err := db.Tx(ctx, func(tx *sql.Tx) error {
		// Driven by the signals, which the hourly sweep keeps few, each
		// finding its consultation by key: not a scan of every
		// consultation ever booked.
		res, err := tx.ExecContext(ctx, `DELETE FROM clinic_signals WHERE EXISTS (SELECT 1 FROM clinic_consultations c
			WHERE c.id = clinic_signals.consultation_id AND (c.end_at <= $1 OR c.status <> $2))`, micros(now), string(clinic.Booked))
		if err != nil {
			return err
		}
		n, _ = res.RowsAffected()
		return nil
	})
	return n, err
}

// Signals implements clinic.Store.
func (db *DB) Signals(ctx context.Context, consultationID string, after int64, notFrom string, limit int) ([]clinic.Signal, error) {
	rows, err := db.SQL.QueryContext(ctx, `SELECT consultation_id, seq, from_user, kind, data, created_at FROM clinic_signals
		WHERE consultation_id = $1 AND seq > $2 AND from_user <> $3 ORDER BY seq LIMIT $4`, consultationID, after, notFrom, limit)
	if err != nil {
		return nil, err
	}
	return collect(rows, func(sc interface{ Scan(...any) error }) (clinic.Signal, error) {
		var s clinic.Signal
		var at int64
		err := sc.Scan(&s.ConsultationID, &s.Seq, &s.From, &s.Kind, &s.Data, &at)
		s.CreatedAt = fromMicros(at)
		return s, err
	})
}
