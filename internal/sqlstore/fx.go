package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"sort"
	"time"

	"bricstown/internal/audit"
	"bricstown/internal/fx"
	"bricstown/internal/money"
	"bricstown/internal/problem"
)

var _ fx.Store = (*DB)(nil)

// PublishRate implements fx.Store. Marking the previous publication
// replaced and inserting the new one happen in one serializable
// transaction; the partial unique index on current rows makes two racing
// publications for the same market conflict even where the engine's
// predicate tracking would not.
func (db *DB) PublishRate(ctx context.Context, r fx.Rate, rec audit.Record) error {
	market := r.Pair.Market().String()
	return db.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE fx_rates SET replaced_at = $1
			WHERE provider_org = $2 AND market = $3 AND replaced_at = 0`, micros(r.PublishedAt), r.Provider, market); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO fx_rates (id, provider_org, market, base_ccy, quote_ccy, bid, ask,
			published_at, valid_until, replaced_at, flag) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,0,$10)`,
			r.ID, r.Provider, market, r.Pair.Base, r.Pair.Quote, r.Bid.String(), r.Ask.String(),
			micros(r.PublishedAt), micros(r.ValidUntil), r.Flag); err != nil {
			return err
		}
		return appendAudit(ctx, tx, r.PublishedAt, rec)
	})
}

const fxRateCols = `id, provider_org, base_ccy, quote_ccy, bid, ask, published_at, valid_until, flag`

func scanFXRate(sc interface{ Scan(...any) error }) (fx.Rate, error) {
	var r fx.Rate
	var bid, ask string
	var pub, until int64
	if err := sc.Scan(&r.ID, &r.Provider, &r.Pair.Base, &r.Pair.Quote, &bid, &ask, &pub, &until, &r.Flag); err != nil {
		return r, err
	}
	var err error
	if r.Bid, err = money.ParseRate(bid); err != nil {
		return r, fmt.Errorf("sqlstore: fx rate %s: stored bid %q: %w", r.ID, bid, err)
	}
	if r.Ask, err = money.ParseRate(ask); err != nil {
		return r, fmt.Errorf("sqlstore: fx rate %s: stored ask %q: %w", r.ID, ask, err)
	}
	r.PublishedAt, r.ValidUntil = fromMicros(pub), fromMicros(until)
	return r, nil
}

// CurrentRates implements fx.Store.
func (db *DB) CurrentRates(ctx context.Context, now time.Time) ([]fx.Rate, error) {
	rows, err := db.SQL.QueryContext(ctx, `SELECT `+fxRateCols+` FROM fx_rates
		WHERE replaced_at = 0 AND (valid_until = 0 OR valid_until > $1)
		ORDER BY market, provider_org`, micros(now))
	if err != nil {
		return nil, fmt.Errorf("sqlstore: current rates: %w", err)
	}
	return collect(rows, scanFXRate)
}

// RateHistory implements fx.Store.
func (db *DB) RateHistory(ctx context.Context, market fx.Pair, provider string, limit int) ([]fx.Rate, error) {
	rows, err := db.SQL.QueryContext(ctx, `SELECT `+fxRateCols+` FROM fx_rates
		WHERE market = $1 AND ($2 = '' OR provider_org = $2)
		ORDER BY published_at DESC, id DESC LIMIT $3`, market.Market().String(), provider, limit)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: rate history: %w", err)
	}
	return collect(rows, scanFXRate)
}

// ProviderFee implements fx.Store.
func (db *DB) ProviderFee(ctx context.Context, provider string) (fx.Fee, error) {
	fees, err := db.fees(ctx, provider)
	if err != nil {
		return fx.Fee{}, err
	}
	if len(fees) == 0 {
		return fx.Fee{Provider: provider}, nil
	}
	return fees[0], nil
}

// ProviderFees implements fx.Store.
func (db *DB) ProviderFees(ctx context.Context) ([]fx.Fee, error) { return db.fees(ctx, "") }

// fees reads one provider's schedule, or all of them for provider "".
func (db *DB) fees(ctx context.Context, provider string) ([]fx.Fee, error) {
	rows, err := db.SQL.QueryContext(ctx, `SELECT f.provider_org, f.bps, f.updated_at, x.currency, x.amount
		FROM fx_fees f LEFT JOIN fx_fee_fixed x ON x.provider_org = f.provider_org
		WHERE $1 = '' OR f.provider_org = $1
		ORDER BY f.provider_org, x.currency`, provider)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: fx fees: %w", err)
	}
	defer rows.Close()
	var out []fx.Fee
	for rows.Next() {
		var f fx.Fee
		var at int64
		var cur sql.NullString
		var amt sql.NullInt64
		if err := rows.Scan(&f.Provider, &f.Bps, &at, &cur, &amt); err != nil {
			return nil, err
		}
		if n := len(out); n == 0 || out[n-1].Provider != f.Provider {
			f.UpdatedAt = fromMicros(at)
			out = append(out, f)
		}
		if cur.Valid {
			last := &out[len(out)-1]
			if last.Fixed == nil {
				last.Fixed = map[string]money.Amount{}
			}
			last.Fixed[cur.String] = amt.Int64
		}
	}
	return out, rows.Err()
}

// SetProviderFee implements fx.Store. The schedule is replaced whole, so a
// currency dropped from the fixed fees stops being charged.
func (db *DB) SetProviderFee(ctx context.Context, f fx.Fee, rec audit.Record) error {
	currencies := make([]string, 0, len(f.Fixed))
	for c := range f.Fixed {
		currencies = append(currencies, c)
	}
	sort.Strings(currencies)
	return db.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM fx_fee_fixed WHERE provider_org = $1`, f.Provider); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM fx_fees WHERE provider_org = $1`, f.Provider); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO fx_fees (provider_org, bps, updated_at) VALUES ($1,$2,$3)`,
			f.Provider, f.Bps, micros(f.UpdatedAt)); err != nil {
			return err
		}
		for _, c := range currencies {
			if _, err := tx.ExecContext(ctx, `INSERT INTO fx_fee_fixed (provider_org, currency, amount) VALUES ($1,$2,$3)`,
				f.Provider, c, f.Fixed[c]); err != nil {
				return err
			}
		}
		return appendAudit(ctx, tx, f.UpdatedAt, rec)
	})
}

// SaveQuote implements fx.Store.
func (db *DB) SaveQuote(ctx context.Context, q fx.Quote, rec audit.Record) error {
	eff := ""
	if !q.EffectiveRate.IsZero() {
		eff = q.EffectiveRate.String()
	}
	err := db.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO fx_quotes (id, payer_org, sell_ccy, buy_ccy, fixed_side, sell_amount,
			buy_amount, effective_rate, usd_available, usd_amount, usd_buy_amount, usd_saving, usd_saving_bps,
			created_at, expires_at, used_at) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16)`,
			q.ID, q.PayerOrg, q.Sell, q.Buy, string(q.Fixed), q.SellAmount, q.BuyAmount, eff,
			q.USD.Available, q.USD.USDAmount, q.USD.BuyAmount, q.USD.Saving, q.USD.SavingBps,
			micros(q.CreatedAt), micros(q.ExpiresAt), micros(q.UsedAt)); err != nil {
			return err
		}
		for i, l := range q.Legs {
			if _, err := tx.ExecContext(ctx, `INSERT INTO fx_quote_legs (quote_id, seq, provider_org, rate_id, base_ccy,
				quote_ccy, side, rate, in_ccy, in_amount, fee, out_ccy, out_amount)
				VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13)`,
				q.ID, i, l.Provider, l.RateID, l.Pair.Base, l.Pair.Quote, string(l.Side), l.Rate.String(),
				l.InCurrency, l.In, l.Fee, l.OutCurrency, l.Out); err != nil {
				return err
			}
		}
		return appendAudit(ctx, tx, q.CreatedAt, rec)
	})
	if IsUniqueViolation(err) {
		return problem.Wrap(problem.Conflict, err, "a quote with this id exists")
	}
	return err
}

const fxQuoteCols = `id, payer_org, sell_ccy, buy_ccy, fixed_side, sell_amount, buy_amount, effective_rate,
	usd_available, usd_amount, usd_buy_amount, usd_saving, usd_saving_bps, created_at, expires_at, used_at`

type querier interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// readQuote loads a quote and its legs through q (the pool or a tx).
func readQuote(ctx context.Context, q querier, id string) (fx.Quote, error) {
	var out fx.Quote
	var fixed, eff string
	var created, expires, used int64
	err := q.QueryRowContext(ctx, `SELECT `+fxQuoteCols+` FROM fx_quotes WHERE id = $1`, id).Scan(
		&out.ID, &out.PayerOrg, &out.Sell, &out.Buy, &fixed, &out.SellAmount, &out.BuyAmount, &eff,
		&out.USD.Available, &out.USD.USDAmount, &out.USD.BuyAmount, &out.USD.Saving, &out.USD.SavingBps,
		&created, &expires, &used)
	if err == sql.ErrNoRows {
		return fx.Quote{}, fx.QuoteNotFound()
	}
	if err != nil {
		return fx.Quote{}, fmt.Errorf("sqlstore: quote %s: %w", id, err)
	}
	out.Fixed = fx.Fixed(fixed)
	out.CreatedAt, out.ExpiresAt, out.UsedAt = fromMicros(created), fromMicros(expires), fromMicros(used)
	if eff != "" {
		if out.EffectiveRate, err = money.ParseRate(eff); err != nil {
			return fx.Quote{}, fmt.Errorf("sqlstore: quote %s: stored effective rate %q: %w", id, eff, err)
		}
	}
	rows, err := q.QueryContext(ctx, `SELECT provider_org, rate_id, base_ccy, quote_ccy, side, rate, in_ccy, in_amount,
		fee, out_ccy, out_amount FROM fx_quote_legs WHERE quote_id = $1 ORDER BY seq`, id)
	if err != nil {
		return fx.Quote{}, fmt.Errorf("sqlstore: quote %s legs: %w", id, err)
	}
	out.Legs, err = collect(rows, func(sc interface{ Scan(...any) error }) (fx.Leg, error) {
		var l fx.Leg
		var side, r string
		if err := sc.Scan(&l.Provider, &l.RateID, &l.Pair.Base, &l.Pair.Quote, &side, &r, &l.InCurrency, &l.In,
			&l.Fee, &l.OutCurrency, &l.Out); err != nil {
			return l, err
		}
		l.Side = fx.Side(side)
		var err error
		if l.Rate, err = money.ParseRate(r); err != nil {
			return l, fmt.Errorf("sqlstore: quote %s: stored leg rate %q: %w", id, r, err)
		}
		return l, nil
	})
	if err != nil {
		return fx.Quote{}, err
	}
	out.Fees = fx.FeesOf(out.Legs)
	return out, nil
}

// GetQuote implements fx.Store.
func (db *DB) GetQuote(ctx context.Context, id string) (fx.Quote, error) {
	return readQuote(ctx, db.SQL, id)
}

// ClaimQuote implements fx.Store. The claim is the single conditional
// UPDATE: the row changes only if it is the payer's, unused and unexpired,
// so two claims cannot both see it open; on PostgreSQL the loser's
// serializable transaction fails and is retried, then finds it used. Only
// when nothing changed does a read explain why, and its answer cannot
// turn a refusal into a success. The ledger calls this for the payer, so
// the audit record is made here: the payer org is the actor.
func (db *DB) ClaimQuote(ctx context.Context, quoteID, payerOrg string, now time.Time) (fx.Quote, error) {
	now = now.UTC().Truncate(time.Microsecond)
	var q fx.Quote
	err := db.Tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE fx_quotes SET used_at = $1
			WHERE id = $2 AND payer_org = $3 AND used_at = 0 AND expires_at > $1`, micros(now), quoteID, payerOrg)
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		if err != nil {
			return err
		}
		if n == 0 {
			var payer string
			var expires, used int64
			err := tx.QueryRowContext(ctx, `SELECT payer_org, expires_at, used_at FROM fx_quotes WHERE id = $1`, quoteID).
				Scan(&payer, &expires, &used)
			switch {
			case err == sql.ErrNoRows || err == nil && payer != payerOrg:
				return fx.QuoteNotFound()
			case err != nil:
				return err
			case used != 0:
				return fx.QuoteUsed()
			default:
				return fx.QuoteExpired(fromMicros(expires))
			}
		}
		if q, err = readQuote(ctx, tx, quoteID); err != nil {
			return err
		}
		return appendAudit(ctx, tx, now, audit.Record{ActorUser: "system", ActorOrg: payerOrg, Action: "fx.quote.claim",
			SubjectType: "fx_quote", SubjectID: quoteID, OrgID: payerOrg, Before: "open", After: "used",
			Detail: fmt.Sprintf("%s %d -> %s %d", q.Sell, q.SellAmount, q.Buy, q.BuyAmount)})
	})
	if err != nil {
		return fx.Quote{}, err
	}
	return q, nil
}
