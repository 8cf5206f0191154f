package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"
	"time"

	"bricstown/internal/audit"
	"bricstown/internal/market"
	"bricstown/internal/problem"
)

const imageCols = `id, product_id, seq, content_type, size, sha256, width, height, created_at, created_by`

func scanImage(sc interface{ Scan(...any) error }, extra ...any) (market.Image, error) {
	var i market.Image
	var at int64
	err := sc.Scan(append([]any{&i.ID, &i.ProductID, &i.Seq, &i.ContentType, &i.Size, &i.SHA256, &i.Width, &i.Height, &at, &i.CreatedBy}, extra...)...)
	i.CreatedAt = fromMicros(at)
	return i, err
}

// AddImage implements market.Store. The count and the next seq are read
// in the transaction that inserts; two uploads at once cannot both take
// the last place (the unique (product_id, seq) index refuses the second
// on either engine, answered as a conflict to retry).
func (db *DB) AddImage(ctx context.Context, img *market.Image, content []byte, max int, rec audit.Record) error {
	return db.Tx(ctx, func(tx *sql.Tx) error {
		var n, last int64
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*), COALESCE(MAX(seq), 0) FROM market_images WHERE product_id = $1`, img.ProductID).Scan(&n, &last); err != nil {
			return fmt.Errorf("sqlstore: product images: %w", err)
		}
		if n >= int64(max) {
			return &problem.Error{Code: problem.Invalid, Message: "the product has all its images",
				Fields: problem.Fields{"file": fmt.Sprintf("at most %d images per product", max)}}
		}
		img.Seq = last + 1
		if _, err := tx.ExecContext(ctx, `INSERT INTO market_images (`+imageCols+`, content) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11)`,
			img.ID, img.ProductID, img.Seq, img.ContentType, img.Size, img.SHA256, img.Width, img.Height, micros(img.CreatedAt), img.CreatedBy, content); err != nil {
			if IsUniqueViolation(err) {
				return problem.New(problem.Conflict, "another image was added at the same time; try again")
			}
			return fmt.Errorf("sqlstore: add image: %w", err)
		}
		return appendAudit(ctx, tx, img.CreatedAt, rec)
	})
}

// DeleteImage implements market.Store.
func (db *DB) DeleteImage(ctx context.Context, productID, imageID string, at time.Time, rec audit.Record) error {
	return db.Tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM market_images WHERE id = $1 AND product_id = $2`, imageID, productID)
		if err != nil {
			return fmt.Errorf("sqlstore: delete image: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return problem.New(problem.NotFound, "no such image")
		}
		return appendAudit(ctx, tx, at, rec)
	})
}

// ProductImages implements market.Store.
func (db *DB) ProductImages(ctx context.Context, productID string) ([]market.Image, error) {
	rows, err := db.SQL.QueryContext(ctx, `SELECT `+imageCols+` FROM market_images WHERE product_id = $1 ORDER BY seq`, productID)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: product images: %w", err)
	}
	return collect(rows, func(sc interface{ Scan(...any) error }) (market.Image, error) { return scanImage(sc) })
}

// FirstImages implements market.Store.
func (db *DB) FirstImages(ctx context.Context, productIDs []string) (map[string]market.Image, error) {
	out := map[string]market.Image{}
	if len(productIDs) == 0 {
		return out, nil
	}
	var b strings.Builder
	args := make([]any, len(productIDs))
	for i, id := range productIDs {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString("$" + strconv.Itoa(i+1))
		args[i] = id
	}
	rows, err := db.SQL.QueryContext(ctx, `SELECT `+imageCols+` FROM market_images i WHERE product_id IN (`+b.String()+`)
		AND seq = (SELECT MIN(seq) FROM market_images j WHERE j.product_id = i.product_id)`, args...)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: first images: %w", err)
	}
	list, err := collect(rows, func(sc interface{ Scan(...any) error }) (market.Image, error) { return scanImage(sc) })
	for _, i := range list {
		out[i.ProductID] = i
	}
	return out, err
}

// ImageData implements market.Store.
func (db *DB) ImageData(ctx context.Context, id string) (market.Image, []byte, error) {
	var b []byte
	i, err := scanImage(db.SQL.QueryRowContext(ctx, `SELECT `+imageCols+`, content FROM market_images WHERE id = $1`, id), &b)
	return i, b, notFound(err, "image")
}
