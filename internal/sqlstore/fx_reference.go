package sqlstore

import (
	"context"
	"database/sql"
	"fmt"

	"bricstown/internal/audit"
	"bricstown/internal/fx"
	"bricstown/internal/money"
)

// PublishReference implements fx.Store: every row in one transaction with
// its audit entry. A date and currency published before is replaced (the
// delete and insert keep one SQL text for both engines, no upsert dialect).
func (db *DB) PublishReference(ctx context.Context, rates []fx.ReferenceRate, rec audit.Record) error {
	if len(rates) == 0 {
		return nil
	}
	return db.Tx(ctx, func(tx *sql.Tx) error {
		del, err := tx.PrepareContext(ctx, `DELETE FROM fx_reference_rates WHERE currency = $1 AND rate_date = $2`)
		if err != nil {
			return err
		}
		defer del.Close()
		ins, err := tx.PrepareContext(ctx, `INSERT INTO fx_reference_rates (rate_date, currency, units, rate, source,
			publisher_org, published_by, published_at) VALUES ($1,$2,$3,$4,$5,$6,$7,$8)`)
		if err != nil {
			return err
		}
		defer ins.Close()
		for _, r := range rates {
			if _, err := del.ExecContext(ctx, r.Currency, r.Date); err != nil {
				return err
			}
			if _, err := ins.ExecContext(ctx, r.Date, r.Currency, r.Units, r.KZT.String(), r.Source,
				r.Publisher, r.PublishedBy, micros(r.PublishedAt)); err != nil {
				return err
			}
		}
		return appendAudit(ctx, tx, rates[0].PublishedAt, rec)
	})
}

// ReferenceRates implements fx.Store: per currency, the row with the
// greatest date not after the given one.
func (db *DB) ReferenceRates(ctx context.Context, date string) ([]fx.ReferenceRate, error) {
	rows, err := db.SQL.QueryContext(ctx, `SELECT r.rate_date, r.currency, r.units, r.rate, r.source, r.publisher_org,
		r.published_by, r.published_at FROM fx_reference_rates r
		WHERE r.rate_date = (SELECT MAX(x.rate_date) FROM fx_reference_rates x WHERE x.currency = r.currency AND x.rate_date <= $1)
		ORDER BY r.currency`, date)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: reference rates: %w", err)
	}
	return collect(rows, func(sc interface{ Scan(...any) error }) (fx.ReferenceRate, error) {
		var r fx.ReferenceRate
		var rate string
		var at int64
		if err := sc.Scan(&r.Date, &r.Currency, &r.Units, &rate, &r.Source, &r.Publisher, &r.PublishedBy, &at); err != nil {
			return r, err
		}
		var err error
		if r.KZT, err = money.ParseRate(rate); err != nil {
			return r, fmt.Errorf("sqlstore: reference %s %s: stored rate %q: %w", r.Currency, r.Date, rate, err)
		}
		r.PublishedAt = fromMicros(at)
		return r, nil
	})
}
