package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"

	"bricstown/internal/audit"
	"bricstown/internal/order"
	"bricstown/internal/problem"
)

// The marketplace's orders (internal/order): each row keeps its record as
// JSON next to the columns that are searched or guarded.

func docOf(v any) (string, error) {
	b, err := json.Marshal(v)
	return string(b), err
}

// CreateRFQ implements order.Store.
func (db *DB) CreateRFQ(ctx context.Context, r order.RFQ, rec audit.Record) error {
	doc, err := docOf(r)
	if err != nil {
		return err
	}
	return db.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO market_rfqs (id, buyer_org, status, deadline, order_id, created_at, doc)
			VALUES ($1, $2, $3, $4, '', $5, $6)`, r.ID, r.BuyerOrg, string(r.Status), micros(r.Deadline), micros(r.CreatedAt), doc); err != nil {
			return fmt.Errorf("sqlstore: create rfq: %w", err)
		}
		return appendAudit(ctx, tx, r.CreatedAt, rec)
	})
}

const rfqCols = `r.doc, r.status, r.order_id, (SELECT COUNT(*) FROM market_quotes q WHERE q.rfq_id = r.id)`

func scanRFQ(sc interface{ Scan(...any) error }) (order.RFQ, error) {
	var r order.RFQ
	var doc, status, orderID string
	if err := sc.Scan(&doc, &status, &orderID, &r.Quotes); err != nil {
		return r, err
	}
	n := r.Quotes
	if err := json.Unmarshal([]byte(doc), &r); err != nil {
		return r, fmt.Errorf("sqlstore: rfq: %w", err)
	}
	r.Status, r.OrderID, r.Quotes = order.RFQStatus(status), orderID, n
	return r, nil
}

// GetRFQ implements order.Store.
func (db *DB) GetRFQ(ctx context.Context, id string) (order.RFQ, error) {
	r, err := scanRFQ(db.SQL.QueryRowContext(ctx, `SELECT `+rfqCols+` FROM market_rfqs r WHERE r.id = $1`, id))
	return r, notFound(err, "request for quotation")
}

// ListRFQs implements order.Store.
func (db *DB) ListRFQs(ctx context.Context, q order.RFQQuery) ([]order.RFQ, error) {
	stmt, args := `SELECT `+rfqCols+` FROM market_rfqs r WHERE r.buyer_org = $1 ORDER BY r.id DESC LIMIT $2`, []any{q.Buyer, q.Limit}
	if q.Buyer == "" {
		stmt, args = `SELECT `+rfqCols+` FROM market_rfqs r WHERE r.status = 'open' AND r.deadline > $1 ORDER BY r.id DESC LIMIT $2`,
			[]any{micros(q.OpenAt), q.Limit}
	}
	return queryList(ctx, db, stmt, args, scanRFQ)
}

func queryList[T any](ctx context.Context, db *DB, stmt string, args []any, scan func(interface{ Scan(...any) error }) (T, error)) ([]T, error) {
	rows, err := db.SQL.QueryContext(ctx, stmt, args...)
	if err != nil {
		return nil, Classify(err)
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, Classify(rows.Err())
}

// CreateRFQQuote implements order.Store.
func (db *DB) CreateRFQQuote(ctx context.Context, q order.Quote, rec audit.Record) error {
	doc, err := docOf(q)
	if err != nil {
		return err
	}
	return db.Tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO market_quotes (id, rfq_id, seller_org, created_at, doc)
			SELECT $1, id, $3, $4, $5 FROM market_rfqs WHERE id = $2 AND status = 'open' AND deadline > $4`,
			q.ID, q.RFQID, q.SellerOrg, micros(q.CreatedAt), doc)
		if err != nil {
			return fmt.Errorf("sqlstore: create quote: %w", err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return &problem.Error{Code: problem.Conflict, Message: "the request no longer takes quotes", Fields: map[string]string{"rfq_id": "no longer takes quotes"}}
		}
		return appendAudit(ctx, tx, q.CreatedAt, rec)
	})
}

func scanQuote(sc interface{ Scan(...any) error }) (order.Quote, error) {
	var q order.Quote
	var doc string
	if err := sc.Scan(&doc); err != nil {
		return q, err
	}
	return q, json.Unmarshal([]byte(doc), &q)
}

// GetRFQQuote implements order.Store.
func (db *DB) GetRFQQuote(ctx context.Context, id string) (order.Quote, error) {
	q, err := scanQuote(db.SQL.QueryRowContext(ctx, `SELECT doc FROM market_quotes WHERE id = $1`, id))
	return q, notFound(err, "quote")
}

// Quotes implements order.Store.
func (db *DB) RFQQuotes(ctx context.Context, rfqID, seller string) ([]order.Quote, error) {
	if seller == "" {
		return queryList(ctx, db, `SELECT doc FROM market_quotes WHERE rfq_id = $1 ORDER BY id`, []any{rfqID}, scanQuote)
	}
	return queryList(ctx, db, `SELECT doc FROM market_quotes WHERE rfq_id = $1 AND seller_org = $2 ORDER BY id`, []any{rfqID, seller}, scanQuote)
}

// SellerQuotes implements order.Store.
func (db *DB) SellerRFQQuotes(ctx context.Context, seller string, limit int) ([]order.Quote, error) {
	return queryList(ctx, db, `SELECT doc FROM market_quotes WHERE seller_org = $1 ORDER BY id DESC LIMIT $2`, []any{seller, limit}, scanQuote)
}

func insertOrder(ctx context.Context, tx *sql.Tx, o order.Order) error {
	o.Version = 1
	doc, err := docOf(o)
	if err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO market_orders (id, buyer_org, seller_org, rfq_id, status, version, created_at, updated_at, doc)
		VALUES ($1, $2, $3, $4, $5, 1, $6, $7, $8)`, o.ID, o.BuyerOrg, o.SellerOrg, o.RFQID, string(o.Status), micros(o.CreatedAt), micros(o.UpdatedAt), doc)
	if err != nil {
		return fmt.Errorf("sqlstore: create order: %w", err)
	}
	return nil
}

// AwardRFQ implements order.Store.
func (db *DB) AwardRFQ(ctx context.Context, o order.Order, rec audit.Record) error {
	return db.Tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE market_rfqs SET status = 'awarded', order_id = $2 WHERE id = $1 AND status = 'open'`, o.RFQID, o.ID)
		if err != nil {
			return fmt.Errorf("sqlstore: award rfq: %w", err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return &problem.Error{Code: problem.Conflict, Message: "the request is already awarded", Fields: map[string]string{"status": "awarded"}}
		}
		if err := insertOrder(ctx, tx, o); err != nil {
			return err
		}
		return appendAudit(ctx, tx, o.CreatedAt, rec)
	})
}

// CreateOrder implements order.Store.
func (db *DB) CreateOrder(ctx context.Context, o order.Order, rec audit.Record) error {
	return db.Tx(ctx, func(tx *sql.Tx) error {
		if err := insertOrder(ctx, tx, o); err != nil {
			return err
		}
		return appendAudit(ctx, tx, o.CreatedAt, rec)
	})
}

const orderCols = `o.doc, o.version, (SELECT COUNT(*) FROM market_reviews v WHERE v.order_id = o.id)`

func scanOrder(sc interface{ Scan(...any) error }) (order.Order, error) {
	var o order.Order
	var doc string
	var version int64
	var reviews int
	if err := sc.Scan(&doc, &version, &reviews); err != nil {
		return o, err
	}
	if err := json.Unmarshal([]byte(doc), &o); err != nil {
		return o, fmt.Errorf("sqlstore: order: %w", err)
	}
	o.Version, o.Reviewed = version, reviews > 0
	return o, nil
}

// GetOrder implements order.Store.
func (db *DB) GetOrder(ctx context.Context, id string) (order.Order, error) {
	o, err := scanOrder(db.SQL.QueryRowContext(ctx, `SELECT `+orderCols+` FROM market_orders o WHERE o.id = $1`, id))
	return o, notFound(err, "order")
}

// UpdateOrder implements order.Store.
func (db *DB) UpdateOrder(ctx context.Context, o order.Order, version int64, rec audit.Record) (order.Order, error) {
	o.Version = version + 1
	doc, err := docOf(o)
	if err != nil {
		return order.Order{}, err
	}
	err = db.Tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE market_orders SET status = $3, version = $4, updated_at = $5, doc = $6 WHERE id = $1 AND version = $2`,
			o.ID, version, string(o.Status), o.Version, micros(o.UpdatedAt), doc)
		if err != nil {
			return fmt.Errorf("sqlstore: update order: %w", err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return &problem.Error{Code: problem.Conflict, Message: "the order changed meanwhile", Fields: map[string]string{"version": "changed meanwhile"}}
		}
		return appendAudit(ctx, tx, o.UpdatedAt, rec)
	})
	if err != nil {
		return order.Order{}, err
	}
	return o, nil
}

// ListOrders implements order.Store.
func (db *DB) ListOrders(ctx context.Context, q order.OrderQuery) ([]order.Order, error) {
	switch {
	case q.Buyer != "":
		return queryList(ctx, db, `SELECT `+orderCols+` FROM market_orders o WHERE o.buyer_org = $1 ORDER BY o.id DESC LIMIT $2`, []any{q.Buyer, q.Limit}, scanOrder)
	case q.Seller != "":
		return queryList(ctx, db, `SELECT `+orderCols+` FROM market_orders o WHERE o.seller_org = $1 ORDER BY o.id DESC LIMIT $2`, []any{q.Seller, q.Limit}, scanOrder)
	default:
		return queryList(ctx, db, `SELECT `+orderCols+` FROM market_orders o WHERE o.status = $1 ORDER BY o.id DESC LIMIT $2`, []any{string(q.Status), q.Limit}, scanOrder)
	}
}

// AddReview implements order.Store.
func (db *DB) AddReview(ctx context.Context, r order.Review, rec audit.Record) error {
	doc, err := docOf(r)
	if err != nil {
		return err
	}
	return db.Tx(ctx, func(tx *sql.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM market_reviews WHERE order_id = $1`, r.OrderID).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return &problem.Error{Code: problem.Conflict, Message: "the order is already reviewed", Fields: map[string]string{"order_id": "already reviewed"}}
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO market_reviews (order_id, seller_org, buyer_org, stars, created_at, doc) VALUES ($1, $2, $3, $4, $5, $6)`,
			r.OrderID, r.SellerOrg, r.BuyerOrg, r.Stars, micros(r.CreatedAt), doc); err != nil {
			if IsUniqueViolation(err) {
				return &problem.Error{Code: problem.Conflict, Message: "the order is already reviewed", Fields: map[string]string{"order_id": "already reviewed"}}
			}
			return fmt.Errorf("sqlstore: add review: %w", err)
		}
		return appendAudit(ctx, tx, r.CreatedAt, rec)
	})
}

// SellerReviews implements order.Store.
func (db *DB) SellerReviews(ctx context.Context, seller string, limit int) ([]order.Review, error) {
	return queryList(ctx, db, `SELECT doc FROM market_reviews WHERE seller_org = $1 ORDER BY created_at DESC LIMIT $2`, []any{seller, limit},
		func(sc interface{ Scan(...any) error }) (order.Review, error) {
			var r order.Review
			var doc string
			if err := sc.Scan(&doc); err != nil {
				return r, err
			}
			return r, json.Unmarshal([]byte(doc), &r)
		})
}

var _ order.Store = (*DB)(nil)
