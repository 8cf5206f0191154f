package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
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
	currency, list_price, tiers, incoterms, stock, created_at, created_by, updated_at, change_seq)
	VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17,$18,$19)`

// nextChangeSeqs takes n change sequence numbers and returns the last. The
// counter row stays locked until the transaction ends, so products commit
// in the order of their numbers (see migration 0029 and
// market.Service's index).
func nextChangeSeqs(ctx context.Context, tx *sql.Tx, n int) (int64, error) {
	var seq int64
	if err := tx.QueryRowContext(ctx, `UPDATE market_change_seq SET seq = seq + $1 WHERE id = 1 RETURNING seq`, n).Scan(&seq); err != nil {
		return 0, fmt.Errorf("sqlstore: market change sequence: %w", err)
	}
	return seq, nil
}

// CreateProduct implements market.Store.
func (db *DB) CreateProduct(ctx context.Context, p market.Product, rec audit.Record) error {
	return db.Tx(ctx, func(tx *sql.Tx) error {
		seq, err := nextChangeSeqs(ctx, tx, 1)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, productInsert, append(productArgs(&p), seq)...); err != nil {
			if IsUniqueViolation(err) {
				return problem.New(problem.Conflict, "the product exists")
			}
			return fmt.Errorf("sqlstore: create product: %w", err)
		}
		return appendAudit(ctx, tx, p.UpdatedAt, rec)
	})
}

// productBulk writes products in multi-row statements of up to 100 rows
// (1,900 parameters, far below both engines' limits).
var productBulk = bulkSpec{"market_products", productInsert[:strings.Index(productInsert, "VALUES")+len("VALUES ")], "", 19, []int{100, 25, 5, 1}}

// ImportProducts implements market.Store.
func (db *DB) ImportProducts(ctx context.Context, ps []market.Product, recs []audit.Record) error {
	if len(ps) == 0 {
		return nil
	}
	return db.Tx(ctx, func(tx *sql.Tx) error {
		last, err := nextChangeSeqs(ctx, tx, len(ps))
		if err != nil {
			return err
		}
		seq := last - int64(len(ps))
		if err := bulkWrite(ctx, db, tx, productBulk, ps, func(args []any, p market.Product) []any {
			seq++
			return append(append(args, productArgs(&p)...), seq)
		}); err != nil {
			if IsUniqueViolation(err) {
				return problem.New(problem.Conflict, "a product exists")
			}
			return fmt.Errorf("sqlstore: import products: %w", err)
		}
		return appendAudits(ctx, tx, db.Engine, time.Now().UTC(), recs)
	})
}

// UpdateProduct implements market.Store: the row is replaced only when it
// belongs to the seller, and its terms with it.
func (db *DB) UpdateProduct(ctx context.Context, p market.Product, rec audit.Record) error {
	return db.Tx(ctx, func(tx *sql.Tx) error {
		seq, err := nextChangeSeqs(ctx, tx, 1)
		if err != nil {
			return err
		}
		a := productArgs(&p)
		res, err := tx.ExecContext(ctx, `UPDATE market_products SET names = $3, descriptions = $4, hs = $5, section = $6, origin = $7, unit = $8,
			moq = $9, moq_bucket = $10, currency = $11, list_price = $12, tiers = $13, incoterms = $14, stock = $15, updated_at = $16,
			change_seq = $17 WHERE id = $1 AND seller_org = $2`, a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7], a[8], a[9], a[10], a[11], a[12], a[13], a[14], a[17], seq)
		if err != nil {
			return fmt.Errorf("sqlstore: update product: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return problem.New(problem.NotFound, "no such product")
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

func scanContract(sc interface{ Scan(...any) error }) (market.ContractPrice, error) {
	var c market.ContractPrice
	var from, to, at int64
	err := sc.Scan(&c.ID, &c.ProductID, &c.SellerOrg, &c.BuyerOrg, &c.BuyerGroup, &c.UnitPrice, &c.Currency, &from, &to, &at, &c.CreatedBy)
	c.ValidFrom, c.ValidTo, c.CreatedAt = fromMicros(from), fromMicros(to), fromMicros(at)
	return c, err
}

// CreateContractPrice implements market.Store. The overlap check and the
// insert are one serializable transaction, so two overlapping prices
// written at once cannot both commit. A group price goes to
// market_group_prices, after checking in the same transaction that the
// group is still the seller's.
func (db *DB) CreateContractPrice(ctx context.Context, c market.ContractPrice, rec audit.Record) error {
	return db.Tx(ctx, func(tx *sql.Tx) error {
		table, col, who, what := "market_contract_prices", "buyer_org", c.BuyerOrg, "buyer"
		if c.BuyerGroup != "" {
			table, col, who, what = "market_group_prices", "group_id", c.BuyerGroup, "buyer group"
			var n int
			if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM market_buyer_groups WHERE id = $1 AND seller_org = $2`, c.BuyerGroup, c.SellerOrg).Scan(&n); err != nil {
				return fmt.Errorf("sqlstore: buyer group: %w", err)
			}
			if n == 0 {
				return &problem.Error{Code: problem.NotFound, Message: "no such buyer group", Fields: problem.Fields{"buyer_group": "no such buyer group"}}
			}
		}
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM `+table+` WHERE `+col+` = $1 AND product_id = $2
			AND valid_from < $3 AND valid_to > $4`, who, c.ProductID, micros(c.ValidTo), micros(c.ValidFrom)).Scan(&n); err != nil {
			return fmt.Errorf("sqlstore: contract prices: %w", err)
		}
		if n > 0 {
			return &problem.Error{Code: problem.Conflict, Message: "another contract price for this " + what + " covers part of the period",
				Fields: problem.Fields{"valid_from": "overlaps another contract price for this " + what}}
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO `+table+` (id, product_id, seller_org, `+col+`, unit_price, currency, valid_from, valid_to, created_at, created_by)
			VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10)`,
			c.ID, c.ProductID, c.SellerOrg, who, c.UnitPrice, c.Currency, micros(c.ValidFrom), micros(c.ValidTo), micros(c.CreatedAt), c.CreatedBy); err != nil {
			return fmt.Errorf("sqlstore: create contract price: %w", err)
		}
		return appendAudit(ctx, tx, c.CreatedAt, rec)
	})
}

// ContractPrices implements market.Store: the product's prices per buyer
// and per group, newest first.
func (db *DB) ContractPrices(ctx context.Context, productID string) ([]market.ContractPrice, error) {
	rows, err := db.SQL.QueryContext(ctx, `SELECT id, product_id, seller_org, buyer_org, '', unit_price, currency, valid_from, valid_to, created_at, created_by
		FROM market_contract_prices WHERE product_id = $1
		UNION ALL SELECT id, product_id, seller_org, '', group_id, unit_price, currency, valid_from, valid_to, created_at, created_by
		FROM market_group_prices WHERE product_id = $1 ORDER BY 1 DESC`, productID)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: contract prices: %w", err)
	}
	return collect(rows, scanContract)
}

// ProductChanges implements market.Store: one statement, so one snapshot
// on both engines (SQLite's WAL read transaction, PostgreSQL's statement
// snapshot).
func (db *DB) ProductChanges(ctx context.Context, after int64, byID bool, fn func(e *market.IndexEntry) error) error {
	order := "change_seq"
	if byID {
		order = "id"
	}
	rows, err := db.SQL.QueryContext(ctx, `SELECT id, names, descriptions, hs, section, origin, moq, currency, list_price, incoterms, change_seq
		FROM market_products WHERE change_seq > $1 ORDER BY `+order, after)
	if err != nil {
		return fmt.Errorf("sqlstore: product changes: %w", err)
	}
	defer rows.Close()
	var names, descs []byte
	for rows.Next() {
		var e market.IndexEntry
		if err := rows.Scan(&e.ID, &names, &descs, &e.HS, &e.Section, &e.Origin, &e.MOQ, &e.Currency, &e.ListPrice, &e.Incoterms, &e.Seq); err != nil {
			return fmt.Errorf("sqlstore: product changes: %w", err)
		}
		if err := json.Unmarshal(names, &e.Names); err != nil {
			return fmt.Errorf("sqlstore: product %s names: %w", e.ID, err)
		}
		if len(descs) > 2 {
			if err := json.Unmarshal(descs, &e.Descriptions); err != nil {
				return fmt.Errorf("sqlstore: product %s descriptions: %w", e.ID, err)
			}
		}
		if err := fn(&e); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("sqlstore: product changes: %w", err)
	}
	return nil
}

// ProductsByID implements market.Store.
func (db *DB) ProductsByID(ctx context.Context, ids []string) ([]market.Product, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	var b strings.Builder
	args := make([]any, len(ids))
	for i, id := range ids {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteByte('$')
		b.WriteString(strconv.Itoa(i + 1))
		args[i] = id
	}
	rows, err := db.SQL.QueryContext(ctx, `SELECT `+productCols+` FROM market_products p WHERE p.id IN (`+b.String()+`)`, args...)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: products by id: %w", err)
	}
	return collect(rows, func(sc interface{ Scan(...any) error }) (market.Product, error) { return scanProduct(sc) })
}

// BuyerContractPrices implements market.Store: every query names the
// buyer (its own prices, and those of the groups it is a member of now),
// so no other organisation's price can be read; a group price counts only
// from its group's own seller.
//
// Every search runs this. One query with the groups' joins cost
// PostgreSQL 1.3 ms to plan (0.1 ms to run) on every search, so the
// buyer's groups are read first, by an index, and the joins run only
// for a buyer that is in a group.
func (db *DB) BuyerContractPrices(ctx context.Context, buyer, productID string, at time.Time) ([]market.AppliedPrice, error) {
	scan := func(group bool) func(sc interface{ Scan(...any) error }) (market.AppliedPrice, error) {
		return func(sc interface{ Scan(...any) error }) (market.AppliedPrice, error) {
			a := market.AppliedPrice{ViaGroup: group}
			return a, sc.Scan(&a.ProductID, &a.UnitPrice)
		}
	}
	rows, err := db.SQL.QueryContext(ctx, `SELECT product_id, unit_price FROM market_contract_prices
		WHERE buyer_org = $1 AND valid_from <= $2 AND valid_to > $2 AND ($3 = '' OR product_id = $3)`, buyer, micros(at), productID)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: buyer contract prices: %w", err)
	}
	own, err := collect(rows, scan(false))
	if err != nil {
		return nil, fmt.Errorf("sqlstore: buyer contract prices: %w", err)
	}
	var member int
	if err := db.SQL.QueryRowContext(ctx, `SELECT COUNT(*) FROM market_buyer_group_members WHERE buyer_org = $1`, buyer).Scan(&member); err != nil {
		return nil, fmt.Errorf("sqlstore: buyer groups: %w", err)
	}
	if member == 0 {
		return own, nil
	}
	rows, err = db.SQL.QueryContext(ctx, `SELECT gp.product_id, gp.unit_price FROM market_buyer_group_members m
		JOIN market_buyer_groups g ON g.id = m.group_id
		JOIN market_group_prices gp ON gp.group_id = m.group_id AND gp.seller_org = g.seller_org
		WHERE m.buyer_org = $1 AND gp.valid_from <= $2 AND gp.valid_to > $2 AND ($3 = '' OR gp.product_id = $3)`, buyer, micros(at), productID)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: buyer group prices: %w", err)
	}
	groups, err := collect(rows, scan(true))
	if err != nil {
		return nil, fmt.Errorf("sqlstore: buyer group prices: %w", err)
	}
	return append(own, groups...), nil
}
