package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"bricstown/internal/audit"
	"bricstown/internal/festival"
	"bricstown/internal/problem"
)

// The art zone's programme and tickets (festival.Store). Places and money
// are the booking engine's; here a ticket's one admission is a guarded
// UPDATE (admitted_at = 0), so concurrent scans of one ticket admit once.

const festivalCols = `id, org_id, name, kind, description, account, refund_hours, created_at`

func scanFestival(sc interface{ Scan(...any) error }) (festival.Festival, error) {
	var f festival.Festival
	var created int64
	err := sc.Scan(&f.ID, &f.OrgID, &f.Name, &f.Kind, &f.Description, &f.Account, &f.RefundHours, &created)
	f.CreatedAt = fromMicros(created)
	return f, err
}

// CreateFestival implements festival.Store.
func (db *DB) CreateFestival(ctx context.Context, f festival.Festival, rec audit.Record) error {
	return db.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO festivals (`+festivalCols+`) VALUES ($1,$2,$3,$4,$5,$6,$7,$8)`,
			f.ID, f.OrgID, f.Name, f.Kind, f.Description, f.Account, f.RefundHours, micros(f.CreatedAt)); err != nil {
			return fmt.Errorf("sqlstore: create festival: %w", err)
		}
		return appendAudit(ctx, tx, f.CreatedAt, rec)
	})
}

// GetFestival implements festival.Store.
func (db *DB) GetFestival(ctx context.Context, id string) (festival.Festival, error) {
	f, err := scanFestival(db.SQL.QueryRowContext(ctx, `SELECT `+festivalCols+` FROM festivals WHERE id = $1`, id))
	return f, notFound(err, "festival")
}

// ListFestivals implements festival.Store: newest first.
func (db *DB) ListFestivals(ctx context.Context, limit int) ([]festival.Festival, error) {
	rows, err := db.SQL.QueryContext(ctx, `SELECT `+festivalCols+` FROM festivals ORDER BY created_at DESC, id LIMIT $1`, limit)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: list festivals: %w", err)
	}
	return collect(rows, scanFestival)
}

const performanceCols = `id, festival_id, org_id, titles, venue, start_at, end_at, created_at, cancelled_at`

func scanPerformance(sc interface{ Scan(...any) error }) (festival.Performance, error) {
	var p festival.Performance
	var titles string
	var start, end, created, cancelled int64
	if err := sc.Scan(&p.ID, &p.FestivalID, &p.OrgID, &titles, &p.Venue, &start, &end, &created, &cancelled); err != nil {
		return p, err
	}
	p.Start, p.End, p.CreatedAt = fromMicros(start), fromMicros(end), fromMicros(created)
	if cancelled > 0 {
		p.CancelledAt = fromMicros(cancelled)
	}
	if err := json.Unmarshal([]byte(titles), &p.Titles); err != nil {
		return p, fmt.Errorf("sqlstore: performance %s titles: %w", p.ID, err)
	}
	return p, nil
}

// CreatePerformance implements festival.Store.
func (db *DB) CreatePerformance(ctx context.Context, p festival.Performance, rec audit.Record) error {
	titles, err := json.Marshal(p.Titles)
	if err != nil {
		return err
	}
	return db.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO festival_performances (`+performanceCols+`) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9)`,
			p.ID, p.FestivalID, p.OrgID, string(titles), p.Venue, micros(p.Start), micros(p.End), micros(p.CreatedAt), micros(p.CancelledAt)); err != nil {
			return fmt.Errorf("sqlstore: create performance: %w", err)
		}
		for i, c := range p.Categories {
			if _, err := tx.ExecContext(ctx, `INSERT INTO festival_categories (id, performance_id, position, name, quota, price, resource_id)
				VALUES ($1,$2,$3,$4,$5,$6,$7)`, c.ID, p.ID, i, c.Name, c.Quota, c.PriceKZT, c.ResourceID); err != nil {
				return fmt.Errorf("sqlstore: create category: %w", err)
			}
		}
		return appendAudit(ctx, tx, p.CreatedAt, rec)
	})
}

func (db *DB) categories(ctx context.Context, perfIDs []string) (map[string][]festival.Category, error) {
	out := map[string][]festival.Category{}
	if len(perfIDs) == 0 {
		return out, nil
	}
	marks := make([]string, len(perfIDs))
	args := make([]any, len(perfIDs))
	for i, id := range perfIDs {
		marks[i], args[i] = fmt.Sprintf("$%d", i+1), id
	}
	rows, err := db.SQL.QueryContext(ctx, `SELECT performance_id, id, name, quota, price, resource_id FROM festival_categories
		WHERE performance_id IN (`+strings.Join(marks, ",")+`) ORDER BY performance_id, position`, args...)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: categories: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var perf string
		var c festival.Category
		if err := rows.Scan(&perf, &c.ID, &c.Name, &c.Quota, &c.PriceKZT, &c.ResourceID); err != nil {
			return nil, err
		}
		out[perf] = append(out[perf], c)
	}
	return out, rows.Err()
}

// GetPerformance implements festival.Store.
func (db *DB) GetPerformance(ctx context.Context, id string) (festival.Performance, error) {
	p, err := scanPerformance(db.SQL.QueryRowContext(ctx, `SELECT `+performanceCols+` FROM festival_performances WHERE id = $1`, id))
	if err != nil {
		return p, notFound(err, "performance")
	}
	cats, err := db.categories(ctx, []string{p.ID})
	p.Categories = cats[p.ID]
	return p, err
}

// ListPerformances implements festival.Store: soonest first.
func (db *DB) ListPerformances(ctx context.Context, festivalID string) ([]festival.Performance, error) {
	rows, err := db.SQL.QueryContext(ctx, `SELECT `+performanceCols+` FROM festival_performances WHERE festival_id = $1 ORDER BY start_at, id`, festivalID)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: list performances: %w", err)
	}
	list, err := collect(rows, scanPerformance)
	if err != nil {
		return nil, err
	}
	ids := make([]string, len(list))
	for i := range list {
		ids[i] = list[i].ID
	}
	cats, err := db.categories(ctx, ids)
	for i := range list {
		list[i].Categories = cats[list[i].ID]
	}
	return list, err
}

const ticketCols = `id, booking_id, category_id, performance_id, org_id, buyer_org, buyer_user, party, token, status, admitted_at, admitted_by, created_at`

func scanTicket(sc interface{ Scan(...any) error }) (festival.Ticket, error) {
	var t festival.Ticket
	var admitted, created int64
	err := sc.Scan(&t.ID, &t.BookingID, &t.CategoryID, &t.PerformanceID, &t.OrgID, &t.BuyerOrg, &t.BuyerUser, &t.Party, &t.Token, &t.Status,
		&admitted, &t.AdmittedBy, &created)
	t.AdmittedAt, t.CreatedAt = fromMicros(admitted), fromMicros(created)
	return t, err
}

// IssueTicket implements festival.Store: the unique booking_id makes the
// second of two concurrent issues find the first's ticket.
func (db *DB) IssueTicket(ctx context.Context, t festival.Ticket, rec audit.Record) (festival.Ticket, bool, error) {
	var out festival.Ticket
	var created bool
	err := db.Tx(ctx, func(tx *sql.Tx) error {
		// Read in the transaction that writes the ticket, so a ticket and
		// the performance's cancellation are serialised.
		var cancelled int64
		if err := tx.QueryRowContext(ctx, `SELECT cancelled_at FROM festival_performances WHERE id = $1`, t.PerformanceID).Scan(&cancelled); err != nil {
			return notFound(err, "performance")
		}
		if cancelled > 0 {
			return festival.PerformanceCancelled("performance_id")
		}
		res, err := tx.ExecContext(ctx, `INSERT INTO festival_tickets (`+ticketCols+`) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13)
			ON CONFLICT (booking_id) DO NOTHING`, t.ID, t.BookingID, t.CategoryID, t.PerformanceID, t.OrgID, t.BuyerOrg, t.BuyerUser, t.Party,
			t.Token, t.Status, micros(t.AdmittedAt), t.AdmittedBy, micros(t.CreatedAt))
		if err != nil {
			return fmt.Errorf("sqlstore: issue ticket: %w", err)
		}
		n, _ := res.RowsAffected()
		created = n == 1
		if out, err = scanTicket(tx.QueryRowContext(ctx, `SELECT `+ticketCols+` FROM festival_tickets WHERE booking_id = $1`, t.BookingID)); err != nil {
			return err
		}
		if !created {
			return nil
		}
		return appendAudit(ctx, tx, t.CreatedAt, rec)
	})
	return out, created, err
}

// GetTicket implements festival.Store.
func (db *DB) GetTicket(ctx context.Context, id string) (festival.Ticket, error) {
	t, err := scanTicket(db.SQL.QueryRowContext(ctx, `SELECT `+ticketCols+` FROM festival_tickets WHERE id = $1`, id))
	return t, notFound(err, "ticket")
}

// TicketByToken implements festival.Store.
func (db *DB) TicketByToken(ctx context.Context, token string) (festival.Ticket, error) {
	t, err := scanTicket(db.SQL.QueryRowContext(ctx, `SELECT `+ticketCols+` FROM festival_tickets WHERE token = $1`, token))
	return t, notFound(err, "ticket")
}

// ListTickets implements festival.Store.
func (db *DB) ListTickets(ctx context.Context, q festival.TicketQuery) ([]festival.Ticket, error) {
	var where []string
	var args []any
	if q.Party != "" {
		args = append(args, q.Party)
		where = append(where, fmt.Sprintf("party = $%d", len(args)))
	}
	if q.PerformanceID != "" {
		args = append(args, q.PerformanceID)
		where = append(where, fmt.Sprintf("performance_id = $%d", len(args)))
	}
	stmt := `SELECT ` + ticketCols + ` FROM festival_tickets`
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
		return nil, fmt.Errorf("sqlstore: list tickets: %w", err)
	}
	return collect(rows, scanTicket)
}

// Admit implements festival.Store.
func (db *DB) Admit(ctx context.Context, token string, at time.Time, by string, rec audit.Record) (festival.Ticket, bool, error) {
	var out festival.Ticket
	var admitted bool
	err := db.Tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE festival_tickets SET admitted_at = $2, admitted_by = $3
			WHERE token = $1 AND status = 'valid' AND admitted_at = 0`, token, micros(at), by)
		if err != nil {
			return fmt.Errorf("sqlstore: admit: %w", err)
		}
		n, _ := res.RowsAffected()
		admitted = n == 1
		out, err = scanTicket(tx.QueryRowContext(ctx, `SELECT `+ticketCols+` FROM festival_tickets WHERE token = $1`, token))
		if err != nil {
			return notFound(err, "ticket")
		}
		if !admitted {
			if out.Status != festival.Valid {
				return &problem.Error{Code: problem.Conflict, Message: "the ticket is cancelled", Fields: map[string]string{"token": "the ticket is cancelled"}}
			}
			return nil
		}
		return appendAudit(ctx, tx, at, rec)
	})
	return out, admitted, err
}

// CancelTicket implements festival.Store.
func (db *DB) CancelTicket(ctx context.Context, id string, at time.Time, rec audit.Record) (festival.Ticket, error) {
	var out festival.Ticket
	err := db.Tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE festival_tickets SET status = 'cancelled' WHERE id = $1 AND status = 'valid' AND admitted_at = 0`, id)
		if err != nil {
			return fmt.Errorf("sqlstore: cancel ticket: %w", err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return &problem.Error{Code: problem.Conflict, Message: "the ticket cannot be cancelled", Fields: map[string]string{"status": "not valid"}}
		}
		if out, err = scanTicket(tx.QueryRowContext(ctx, `SELECT `+ticketCols+` FROM festival_tickets WHERE id = $1`, id)); err != nil {
			return err
		}
		return appendAudit(ctx, tx, at, rec)
	})
	return out, err
}

// CancelPerformance implements festival.Store. Its categories' booking
// resources are withdrawn here, in the same transaction as the
// performance and its tickets: a purchase that took its place before the
// commit is refunded by the engine (booking.Service.FinishWithdrawn, and
// its sweeper), one that comes after finds the resource withdrawn.
func (db *DB) CancelPerformance(ctx context.Context, id string, at time.Time, rec audit.Record) (bool, error) {
	var changed bool
	err := db.Tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE festival_performances SET cancelled_at = $2 WHERE id = $1 AND cancelled_at = 0`, id, micros(at))
		if err != nil {
			return fmt.Errorf("sqlstore: cancel performance: %w", err)
		}
		n, _ := res.RowsAffected()
		if changed = n == 1; !changed {
			return nil
		}
		if _, err := tx.ExecContext(ctx, `UPDATE festival_tickets SET status = 'cancelled' WHERE performance_id = $1 AND status = 'valid'`, id); err != nil {
			return fmt.Errorf("sqlstore: cancel performance tickets: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE booking_resources SET withdrawn_at = $2, version = version + 1
			WHERE id IN (SELECT resource_id FROM festival_categories WHERE performance_id = $1) AND withdrawn_at = 0`, id, micros(at)); err != nil {
			return fmt.Errorf("sqlstore: withdraw performance resources: %w", err)
		}
		return appendAudit(ctx, tx, at, rec)
	})
	return changed, err
}

var _ festival.Store = (*DB)(nil)
