package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"
	"time"

	"bricstown/internal/audit"
	"bricstown/internal/notify"
	"bricstown/internal/problem"
)

var _ notify.Store = (*DB)(nil)

// CreateWebhook implements notify.Store. The count and the insert share a
// serializable transaction, so two administrators adding endpoints at once
// cannot pass the limit together.
func (db *DB) CreateWebhook(ctx context.Context, w notify.Webhook, max int, rec audit.Record) error {
	return db.Tx(ctx, func(tx *sql.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM notify_webhooks WHERE org_id = $1 AND deleted_at = 0`, w.OrgID).Scan(&n); err != nil {
			return err
		}
		if n >= max {
			return problem.New(problem.Conflict, "an organisation can have at most %d webhooks; delete one first", max)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO notify_webhooks (id, org_id, url, description, secret, created_at, created_by, deleted_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, 0)`, w.ID, w.OrgID, w.URL, w.Description, w.Secret, micros(w.CreatedAt), w.CreatedBy); err != nil {
			return fmt.Errorf("sqlstore: create webhook: %w", err)
		}
		return appendAudit(ctx, tx, w.CreatedAt, rec)
	})
}

// ListWebhooks implements notify.Store.
func (db *DB) ListWebhooks(ctx context.Context, orgID string) ([]notify.Webhook, error) {
	rows, err := db.SQL.QueryContext(ctx, `SELECT id, org_id, url, description, secret, created_at, created_by
		FROM notify_webhooks WHERE org_id = $1 AND deleted_at = 0 ORDER BY id`, orgID)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: list webhooks: %w", err)
	}
	return collect(rows, func(sc interface{ Scan(...any) error }) (notify.Webhook, error) {
		var w notify.Webhook
		var at int64
		err := sc.Scan(&w.ID, &w.OrgID, &w.URL, &w.Description, &w.Secret, &at, &w.CreatedBy)
		w.CreatedAt = fromMicros(at)
		return w, err
	})
}

// DeleteWebhook implements notify.Store. The webhook row stays (deactivated)
// so that the delivery log keeps naming it.
func (db *DB) DeleteWebhook(ctx context.Context, orgID, id string, at time.Time, rec audit.Record) error {
	return db.Tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE notify_webhooks SET deleted_at = $1 WHERE id = $2 AND org_id = $3 AND deleted_at = 0`,
			micros(at), id, orgID)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return problem.New(problem.NotFound, "no such webhook")
		}
		if _, err := tx.ExecContext(ctx, `UPDATE notify_deliveries SET status = 'cancelled', last_error = $1
			WHERE webhook_id = $2 AND status = 'pending'`, "the webhook was deleted", id); err != nil {
			return err
		}
		return appendAudit(ctx, tx, at, rec)
	})
}

// EnqueueDeliveries implements notify.Store. A delivery is only queued for a
// webhook that is still active, in the same statement, so a webhook deleted
// meanwhile gets nothing; a repeat of the same event for the same webhook
// is ignored.
func (db *DB) EnqueueDeliveries(ctx context.Context, ds []notify.Delivery) error {
	if len(ds) == 0 {
		return nil
	}
	return db.Tx(ctx, func(tx *sql.Tx) error {
		for _, d := range ds {
			if _, err := tx.ExecContext(ctx, `INSERT INTO notify_deliveries (id, webhook_id, org_id, event_id, event_type, payload,
				status, attempts, next_attempt_at, last_attempt_at, last_status_code, last_error, created_at, delivered_at)
				SELECT $1, $2, $3, $4, $5, $6, 'pending', 0, CAST($7 AS BIGINT), 0, 0, '', CAST($8 AS BIGINT), 0
				WHERE EXISTS (SELECT 1 FROM notify_webhooks WHERE id = $9 AND deleted_at = 0)
				ON CONFLICT (webhook_id, event_id) DO NOTHING`,
				d.ID, d.WebhookID, d.OrgID, d.EventID, d.EventType, string(d.Payload), micros(d.NextAttemptAt), micros(d.CreatedAt), d.WebhookID); err != nil {
				return fmt.Errorf("sqlstore: enqueue delivery: %w", err)
			}
		}
		return nil
	})
}

const deliveryCols = `d.id, d.webhook_id, d.org_id, d.event_id, d.event_type, d.payload, d.status, d.attempts, d.next_attempt_at,
	d.last_attempt_at, d.last_status_code, d.last_error, d.created_at, d.delivered_at`

func scanDelivery(sc interface{ Scan(...any) error }, extra ...any) (notify.Delivery, error) {
	var d notify.Delivery
	var payload, status string
	var next, last, created, delivered int64
	dest := append([]any{&d.ID, &d.WebhookID, &d.OrgID, &d.EventID, &d.EventType, &payload, &status, &d.Attempts, &next,
		&last, &d.LastStatusCode, &d.LastError, &created, &delivered}, extra...)
	if err := sc.Scan(dest...); err != nil {
		return d, err
	}
	d.Payload, d.Status = []byte(payload), notify.DeliveryStatus(status)
	d.NextAttemptAt, d.LastAttemptAt, d.CreatedAt, d.DeliveredAt = fromMicros(next), fromMicros(last), fromMicros(created), fromMicros(delivered)
	if d.Status != notify.Pending {
		d.NextAttemptAt = time.Time{}
	}
	return d, nil
}

// ClaimDeliveries implements notify.Store: the due deliveries are read and
// leased in one serializable transaction, so two workers (in any processes)
// never claim the same delivery for the same lease.
func (db *DB) ClaimDeliveries(ctx context.Context, now, leaseUntil time.Time, limit int) ([]notify.Delivery, error) {
	var out []notify.Delivery
	err := db.Tx(ctx, func(tx *sql.Tx) error {
		out = out[:0]
		rows, err := tx.QueryContext(ctx, `SELECT `+deliveryCols+`, w.url, w.secret
			FROM notify_deliveries d JOIN notify_webhooks w ON w.id = d.webhook_id
			WHERE d.status = 'pending' AND d.next_attempt_at <= $1
			ORDER BY d.next_attempt_at, d.id LIMIT $2`, micros(now), limit)
		if err != nil {
			return err
		}
		for rows.Next() {
			var url, secret string
			d, err := scanDelivery(rows, &url, &secret)
			if err != nil {
				rows.Close()
				return err
			}
			d.URL, d.Secret = url, secret
			out = append(out, d)
		}
		if err := rows.Close(); err != nil {
			return err
		}
		if err := rows.Err(); err != nil {
			return err
		}
		for i := range out {
			out[i].Attempts++
			if _, err := tx.ExecContext(ctx, `UPDATE notify_deliveries SET attempts = $1, next_attempt_at = $2
				WHERE id = $3 AND status = 'pending'`, out[i].Attempts, micros(leaseUntil), out[i].ID); err != nil {
				return err
			}
			out[i].NextAttemptAt = leaseUntil
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("sqlstore: claim deliveries: %w", err)
	}
	return out, nil
}

// FinishDelivery implements notify.Store. Only a pending delivery is
// updated: one cancelled while its attempt was in flight stays cancelled.
func (db *DB) FinishDelivery(ctx context.Context, o notify.Outcome) error {
	var next, delivered int64
	switch o.Status {
	case notify.Pending:
		next = micros(o.NextAttemptAt)
	case notify.Delivered:
		delivered = micros(o.At)
	case notify.Failed:
	default:
		return fmt.Errorf("sqlstore: finish delivery %s with status %q", o.DeliveryID, o.Status)
	}
	return db.Tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE notify_deliveries SET status = $1, next_attempt_at = $2, last_attempt_at = $3,
			last_status_code = $4, last_error = $5, delivered_at = $6 WHERE id = $7 AND status = 'pending'`,
			string(o.Status), next, micros(o.At), o.StatusCode, o.Error, delivered, o.DeliveryID)
		return err
	})
}

// ListDeliveries implements notify.Store.
func (db *DB) ListDeliveries(ctx context.Context, orgID, webhookID, before string, limit int) ([]notify.Delivery, error) {
	where := []string{"d.org_id = $1"}
	args := []any{orgID}
	if webhookID != "" {
		args = append(args, webhookID)
		where = append(where, "d.webhook_id = $"+strconv.Itoa(len(args)))
	}
	if before != "" {
		args = append(args, before)
		where = append(where, "d.id < $"+strconv.Itoa(len(args)))
	}
	if limit <= 0 {
		limit = 50
	}
	args = append(args, limit)
	rows, err := db.SQL.QueryContext(ctx, `SELECT `+deliveryCols+` FROM notify_deliveries d WHERE `+strings.Join(where, " AND ")+
		` ORDER BY d.id DESC LIMIT $`+strconv.Itoa(len(args)), args...)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: list deliveries: %w", err)
	}
	return collect(rows, func(sc interface{ Scan(...any) error }) (notify.Delivery, error) { return scanDelivery(sc) })
}

// NextDeliveryDue implements notify.Store, from the partial index of pending
// deliveries.
func (db *DB) NextDeliveryDue(ctx context.Context) (time.Time, bool, error) {
	var v sql.NullInt64
	if err := db.SQL.QueryRowContext(ctx, `SELECT MIN(next_attempt_at) FROM notify_deliveries WHERE status = 'pending'`).Scan(&v); err != nil {
		return time.Time{}, false, fmt.Errorf("sqlstore: next delivery: %w", err)
	}
	if !v.Valid {
		return time.Time{}, false, nil
	}
	return fromMicros(v.Int64), true, nil
}
