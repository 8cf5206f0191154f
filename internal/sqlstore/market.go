package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"bricstown/internal/audit"
	"bricstown/internal/market"
	"bricstown/internal/problem"
)

const productCols = `p.id, p.seller_org, p.names, p.descriptions, p.hs, p.section, p.origin, p.unit, p.moq, p.currency, p.tiers, p.incoterms,
	p.stock, p.created_at, p.created_by, p.updated_at`

func scanProduct(sc interface{ Scan(...any) error }, extra ...any) (market.Product, error) {
	var p market.Product
	var names, descs, tiers string
	var mask, created, updated int64
	err := sc.Scan(append([]any{&p.ID, &p.SellerOrg, &names, &descs, &p.HS, &p.Section, &p.Origin, &p.Unit, &p.MOQ, &p.Currency, &tiers, &mask,
		&p.Stock, &created, &p.CreatedBy, &updated}, extra...)...)
	if err != nil {
		return p, err
	}
	if err := json.Unmarshal([]byte(names), &p.Names); err != nil {
		return p, fmt.Errorf("sqlstore: product %s names: %w", p.ID, err)
	}
	if descs != "" && descs != "{}" {
		if err := json.Unmarshal([]byte(descs), &p.Descriptions); err != nil {
			return p, fmt.Errorf("sqlstore: product %s descriptions: %w", p.ID, err)
		}
	}
	if err := json.Unmarshal([]byte(tiers), &p.Tiers); err != nil {
		return p, fmt.Errorf("sqlstore: product %s tiers: %w", p.ID, err)
	}
	p.Incoterms, p.CreatedAt, p.UpdatedAt = market.IncotermsOf(mask), fromMicros(created), fromMicros(updated)
	return p, nil
}

func productArgs(p *market.Product) []any {
	names, _ := json.Marshal(p.Names)
	descs := []byte("{}")
	if len(p.Descriptions) > 0 {
		descs, _ = json.Marshal(p.Descriptions)
	}
	tiers, _ := json.Marshal(p.Tiers)
	return []any{p.ID, p.SellerOrg, string(names), string(descs), p.HS, p.Section, p.Origin, p.Unit, p.MOQ, market.MOQBucket(p.MOQ),
		p.Currency, p.ListPrice(), string(tiers), p.IncotermMask(), p.Stock, micros(p.CreatedAt), p.CreatedBy, micros(p.UpdatedAt)}
}

const productInsert = `INSERT INTO market_products (id, seller_org, names, descriptions, hs, section, origin, unit, moq, moq_bucket,
	currency, list_price, tiers, incoterms, stock, created_at, created_by, updated_at)
	VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17,$18)`

// insertTerms writes a product's terms, a few hundred rows per statement.
func insertTerms(ctx context.Context, tx *sql.Tx, id string, terms []string) error {
	const per = 200
	for len(terms) > 0 {
		n := min(per, len(terms))
		var b strings.Builder
		b.WriteString(`INSERT INTO market_terms (term, product_id) VALUES `)
		args := make([]any, 0, 2*n)
		for i, t := range terms[:n] {
			if i > 0 {
				b.WriteByte(',')
			}
			fmt.Fprintf(&b, "($%d,$%d)", 2*i+1, 2*i+2)
			args = append(args, t, id)
		}
		if _, err := tx.ExecContext(ctx, b.String(), args...); err != nil {
			return fmt.Errorf("sqlstore: product terms: %w", err)
		}
		terms = terms[n:]
	}
	return nil
}

// CreateProduct implements market.Store.
func (db *DB) CreateProduct(ctx context.Context, p market.Product, terms []string, rec audit.Record) error {
	return db.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, productInsert, productArgs(&p)...); err != nil {
			if IsUniqueViolation(err) {
				return problem.New(problem.Conflict, "the product exists")
			}
			return fmt.Errorf("sqlstore: create product: %w", err)
		}
		if err := insertTerms(ctx, tx, p.ID, terms); err != nil {
			return err
		}
		if err := noteCurrency(ctx, tx, p.Currency); err != nil {
			return err
		}
		return appendAudit(ctx, tx, p.UpdatedAt, rec)
	})
}

// noteCurrency records that a product is priced in ccy.
func noteCurrency(ctx context.Context, tx *sql.Tx, ccy string) error {
	if _, err := tx.ExecContext(ctx, `INSERT INTO market_currencies (currency) VALUES ($1) ON CONFLICT (currency) DO NOTHING`, ccy); err != nil {
		return fmt.Errorf("sqlstore: market currency: %w", err)
	}
	return nil
}

// MarketCurrencies implements market.Store.
func (db *DB) MarketCurrencies(ctx context.Context) ([]string, error) {
	rows, err := db.SQL.QueryContext(ctx, `SELECT currency FROM market_currencies ORDER BY currency`)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: market currencies: %w", err)
	}
	return collect(rows, func(sc interface{ Scan(...any) error }) (string, error) {
		var c string
		return c, sc.Scan(&c)
	})
}

// ImportProducts writes many products in one transaction, each with its
// terms and its audit record: the demo and the benchmark load catalogues
// this way. Rows go in multi-row statements (100 products, 1,000 terms),
// far below both engines' parameter limits.
func (db *DB) ImportProducts(ctx context.Context, ps []market.Product, recs []audit.Record) error {
	return db.Tx(ctx, func(tx *sql.Tx) error {
		const perProducts, perTerms = 100, 1000
		head, _, _ := strings.Cut(productInsert, "VALUES")
		for start := 0; start < len(ps); start += perProducts {
			chunk := ps[start:min(start+perProducts, len(ps))]
			var b strings.Builder
			b.WriteString(head + "VALUES ")
			var args []any
			for i := range chunk {
				if i > 0 {
					b.WriteByte(',')
				}
				b.WriteByte('(')
				for j, a := range productArgs(&chunk[i]) {
					if j > 0 {
						b.WriteByte(',')
					}
					args = append(args, a)
					fmt.Fprintf(&b, "$%d", len(args))
				}
				b.WriteByte(')')
			}
			if _, err := tx.ExecContext(ctx, b.String(), args...); err != nil {
				return fmt.Errorf("sqlstore: import products: %w", err)
			}
		}
		var terms []any
		flush := func() error {
			if len(terms) == 0 {
				return nil
			}
			var b strings.Builder
			b.WriteString(`INSERT INTO market_terms (term, product_id) VALUES `)
			for i := 0; i < len(terms); i += 2 {
				if i > 0 {
					b.WriteByte(',')
				}
				fmt.Fprintf(&b, "($%d,$%d)", i+1, i+2)
			}
			_, err := tx.ExecContext(ctx, b.String(), terms...)
			terms = terms[:0]
			if err != nil {
				return fmt.Errorf("sqlstore: import product terms: %w", err)
			}
			return nil
		}
		for i := range ps {
			for _, t := range market.IndexTerms(&ps[i]) {
				terms = append(terms, t, ps[i].ID)
				if len(terms) == 2*perTerms {
					if err := flush(); err != nil {
						return err
					}
				}
			}
		}
		if err := flush(); err != nil {
			return err
		}
		seen := map[string]bool{}
		for i := range ps {
			if !seen[ps[i].Currency] {
				seen[ps[i].Currency] = true
				if err := noteCurrency(ctx, tx, ps[i].Currency); err != nil {
					return err
				}
			}
		}
		return appendAudits(ctx, tx, db.Engine, time.Now().UTC(), recs)
	})
}

// UpdateProduct implements market.Store: the row is replaced only when it
// belongs to the seller, and its terms with it.
func (db *DB) UpdateProduct(ctx context.Context, p market.Product, terms []string, rec audit.Record) error {
	return db.Tx(ctx, func(tx *sql.Tx) error {
		a := productArgs(&p)
		res, err := tx.ExecContext(ctx, `UPDATE market_products SET names = $3, descriptions = $4, hs = $5, section = $6, origin = $7, unit = $8,
			moq = $9, moq_bucket = $10, currency = $11, list_price = $12, tiers = $13, incoterms = $14, stock = $15, updated_at = $16
			WHERE id = $1 AND seller_org = $2`, a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7], a[8], a[9], a[10], a[11], a[12], a[13], a[14], a[17])
		if err != nil {
			return fmt.Errorf("sqlstore: update product: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return problem.New(problem.NotFound, "no such product")
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM market_terms WHERE product_id = $1`, p.ID); err != nil {
			return fmt.Errorf("sqlstore: product terms: %w", err)
		}
		if err := insertTerms(ctx, tx, p.ID, terms); err != nil {
			return err
		}
		if err := noteCurrency(ctx, tx, p.Currency); err != nil {
			return err
		}
		return appendAudit(ctx, tx, p.UpdatedAt, rec)
	})
}

// GetProduct implements market.Store.
func (db *DB) GetProduct(ctx context.Context, id string) (market.Product, error) {
	p, err := scanProduct(db.SQL.QueryRowContext(ctx, `SELECT `+productCols+` FROM market_products p WHERE p.id = $1`, id))
	return p, notFound(err, "product")
}

// SellerProducts implements market.Store.
func (db *DB) SellerProducts(ctx context.Context, seller, after string, limit int) ([]market.Product, error) {
	stmt := `SELECT ` + productCols + ` FROM market_products p WHERE p.seller_org = $1`
	args := []any{seller}
	if after != "" {
		args = append(args, after)
		stmt += ` AND p.id < $2`
	}
	args = append(args, limit)
	stmt += fmt.Sprintf(` ORDER BY p.id DESC LIMIT $%d`, len(args))
	rows, err := db.SQL.QueryContext(ctx, stmt, args...)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: seller products: %w", err)
	}
	return collect(rows, func(sc interface{ Scan(...any) error }) (market.Product, error) { return scanProduct(sc) })
}

const contractCols = `id, product_id, seller_org, buyer_org, unit_price, currency, valid_from, valid_to, created_at, created_by`

func scanContract(sc interface{ Scan(...any) error }) (market.ContractPrice, error) {
	var c market.ContractPrice
	var from, to, at int64
	err := sc.Scan(&c.ID, &c.ProductID, &c.SellerOrg, &c.BuyerOrg, &c.UnitPrice, &c.Currency, &from, &to, &at, &c.CreatedBy)
	c.ValidFrom, c.ValidTo, c.CreatedAt = fromMicros(from), fromMicros(to), fromMicros(at)
	return c, err
}

// CreateContractPrice implements market.Store. The overlap check and the
// insert are one serializable transaction, so two overlapping prices
// written at once cannot both commit.
func (db *DB) CreateContractPrice(ctx context.Context, c market.ContractPrice, rec audit.Record) error {
	return db.Tx(ctx, func(tx *sql.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM market_contract_prices WHERE buyer_org = $1 AND product_id = $2
			AND valid_from < $3 AND valid_to > $4`, c.BuyerOrg, c.ProductID, micros(c.ValidTo), micros(c.ValidFrom)).Scan(&n); err != nil {
			return fmt.Errorf("sqlstore: contract prices: %w", err)
		}
		if n > 0 {
			return &problem.Error{Code: problem.Conflict, Message: "another contract price for this buyer covers part of the period",
				Fields: problem.Fields{"valid_from": "overlaps another contract price for this buyer"}}
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO market_contract_prices (`+contractCols+`) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10)`,
			c.ID, c.ProductID, c.SellerOrg, c.BuyerOrg, c.UnitPrice, c.Currency, micros(c.ValidFrom), micros(c.ValidTo), micros(c.CreatedAt), c.CreatedBy); err != nil {
			return fmt.Errorf("sqlstore: create contract price: %w", err)
		}
		return appendAudit(ctx, tx, c.CreatedAt, rec)
	})
}

// ContractPrices implements market.Store.
func (db *DB) ContractPrices(ctx context.Context, productID string) ([]market.ContractPrice, error) {
	rows, err := db.SQL.QueryContext(ctx, `SELECT `+contractCols+` FROM market_contract_prices WHERE product_id = $1 ORDER BY id DESC`, productID)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: contract prices: %w", err)
	}
	return collect(rows, scanContract)
}

// marketFrom is the FROM clause of a search: the products, with the
// caller's own contract price in force joined ($1 buyer, $2 time) when it
// has any. No other organisation's price can appear, because the join
// names the buyer; a buyer without contract prices (most) needs no join.
func marketFrom(f market.Filter) string {
	if !f.HasContracts {
		return ` FROM market_products p`
	}
	return ` FROM market_products p LEFT JOIN market_contract_prices c
	ON c.product_id = p.id AND c.buyer_org = $1 AND c.valid_from <= $2 AND c.valid_to > $2`
}

// effectivePrice is the unit price that applies to the buyer.
func effectivePrice(f market.Filter) string {
	if !f.HasContracts {
		return "p.list_price"
	}
	return "COALESCE(c.unit_price, p.list_price)"
}

// BuyerHasContracts implements market.Store.
func (db *DB) BuyerHasContracts(ctx context.Context, buyer string, at time.Time) (bool, error) {
	var n int
	err := db.SQL.QueryRowContext(ctx, `SELECT COUNT(*) FROM (SELECT 1 FROM market_contract_prices WHERE buyer_org = $1 AND valid_from <= $2
		AND valid_to > $2 LIMIT 1) x`, buyer, micros(at)).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("sqlstore: buyer contracts: %w", err)
	}
	return n > 0, nil
}

// priceBucketExpr is the price bucket of a row in the buyer's currency:
// per seller currency, the effective price (contract, else list) compared
// with that currency's bounds; -1 for a currency without a reference
// rate. Bounds and currency codes are the service's own values (integers
// and three capital letters), written as literals so that the statement
// needs no parameters per currency.
func priceBucketExpr(f market.Filter) string {
	bounds := f.Bounds
	if len(bounds) == 0 {
		return "-1"
	}
	var b strings.Builder
	b.WriteString("CASE p.currency")
	ccys := make([]string, 0, len(bounds))
	for ccy := range bounds {
		ccys = append(ccys, ccy)
	}
	sort.Strings(ccys) // one statement text per bounds, for the statement caches
	for _, ccy := range ccys {
		bs := bounds[ccy]
		if len(ccy) != 3 || strings.Trim(ccy, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") != "" {
			continue
		}
		fmt.Fprintf(&b, " WHEN '%s' THEN CASE", ccy)
		for i, v := range bs {
			fmt.Fprintf(&b, " WHEN %s < %s THEN %d", effectivePrice(f), strconv.FormatInt(v, 10), i)
		}
		fmt.Fprintf(&b, " ELSE %d END", len(bs))
	}
	b.WriteString(" ELSE -1 END")
	return b.String()
}

// marketWhere is the WHERE clause of a filter and its arguments after $1
// and $2.
func marketWhere(f market.Filter) (string, []any) {
	var args []any
	if f.HasContracts {
		args = []any{f.Buyer, micros(f.At)}
	}
	var where []string
	add := func(cond string, v any) {
		args = append(args, v)
		where = append(where, fmt.Sprintf(cond, len(args)))
	}
	for _, t := range f.Terms {
		add("p.id IN (SELECT product_id FROM market_terms WHERE term = $%d)", t)
	}
	if f.Origin != "" {
		add("p.origin = $%d", f.Origin)
	}
	if f.Section != "" {
		add("p.section = $%d", f.Section)
	}
	if f.Incoterm != 0 {
		add("(p.incoterms & $%d) <> 0", f.Incoterm)
	}
	if f.MOQ > 0 {
		add("p.moq_bucket = $%d", f.MOQ-1)
	}
	if f.Price > 0 {
		add("("+priceBucketExpr(f)+") = $%d", f.Price-1)
	}
	if len(where) == 0 {
		return "", args
	}
	return " WHERE " + strings.Join(where, " AND "), args
}

// SearchProducts implements market.Store.
func (db *DB) SearchProducts(ctx context.Context, f market.Filter, after string, limit int) ([]market.Hit, error) {
	where, args := marketWhere(f)
	if after != "" {
		args = append(args, after)
		if where == "" {
			where = " WHERE "
		} else {
			where += " AND "
		}
		where += fmt.Sprintf("p.id < $%d", len(args))
	}
	args = append(args, limit)
	contract := "0"
	if f.HasContracts {
		contract = "COALESCE(c.unit_price, 0)"
	}
	stmt := `SELECT ` + productCols + `, ` + contract + marketFrom(f) + where + fmt.Sprintf(` ORDER BY p.id DESC LIMIT $%d`, len(args))
	rows, err := db.SQL.QueryContext(ctx, stmt, args...)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: search products: %w", err)
	}
	return collect(rows, func(sc interface{ Scan(...any) error }) (market.Hit, error) {
		var h market.Hit
		p, err := scanProduct(sc, &h.ContractPrice)
		h.Product = p
		return h, err
	})
}

// ProductFacets implements market.Store: one pass over the matches,
// grouped by every facet at once; the service adds the groups up per
// facet.
func (db *DB) ProductFacets(ctx context.Context, f market.Filter) ([]market.FacetRow, error) {
	where, args := marketWhere(f)
	stmt := `SELECT p.origin, p.section, p.moq_bucket, p.incoterms, ` + priceBucketExpr(f) + `, COUNT(*)` + marketFrom(f) + where +
		` GROUP BY 1, 2, 3, 4, 5`
	rows, err := db.SQL.QueryContext(ctx, stmt, args...)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: product facets: %w", err)
	}
	return collect(rows, func(sc interface{ Scan(...any) error }) (market.FacetRow, error) {
		var r market.FacetRow
		err := sc.Scan(&r.Origin, &r.Section, &r.MOQBucket, &r.Incoterms, &r.PriceBucket, &r.Count)
		return r, err
	})
}
