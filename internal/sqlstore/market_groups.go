package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"bricstown/internal/audit"
	"bricstown/internal/market"
	"bricstown/internal/problem"
)

// Buyer groups of the catalogue (market.Store). Every statement names the
// seller, so one seller's group is never read or changed through
// another's request.

func groupNameTaken() error {
	return &problem.Error{Code: problem.Conflict, Message: "a buyer group of that name exists",
		Fields: problem.Fields{"name": "you have a buyer group of that name"}}
}

// CreateBuyerGroup implements market.Store; the count and the insert are
// one transaction.
func (db *DB) CreateBuyerGroup(ctx context.Context, g market.BuyerGroup, max int, rec audit.Record) error {
	return db.Tx(ctx, func(tx *sql.Tx) error {
		var n, same int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*), COUNT(CASE WHEN name = $2 THEN 1 END) FROM market_buyer_groups WHERE seller_org = $1`,
			g.SellerOrg, g.Name).Scan(&n, &same); err != nil {
			return fmt.Errorf("sqlstore: buyer groups: %w", err)
		}
		if same > 0 {
			return groupNameTaken()
		}
		if n >= max {
			return &problem.Error{Code: problem.Invalid, Message: "too many buyer groups",
				Fields: problem.Fields{"name": fmt.Sprintf("at most %d buyer groups", max)}}
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO market_buyer_groups (id, seller_org, name, created_at, created_by) VALUES ($1,$2,$3,$4,$5)`,
			g.ID, g.SellerOrg, g.Name, micros(g.CreatedAt), g.CreatedBy); err != nil {
			if IsUniqueViolation(err) {
				return groupNameTaken()
			}
			return fmt.Errorf("sqlstore: create buyer group: %w", err)
		}
		return appendAudit(ctx, tx, g.CreatedAt, rec)
	})
}

// groupsOf reads seller's groups (one when id is set) with their members.
func (db *DB) groupsOf(ctx context.Context, seller, id string) ([]market.BuyerGroup, error) {
	rows, err := db.SQL.QueryContext(ctx, `SELECT g.id, g.seller_org, g.name, g.created_at, g.created_by, COALESCE(m.buyer_org, '')
		FROM market_buyer_groups g LEFT JOIN market_buyer_group_members m ON m.group_id = g.id
		WHERE g.seller_org = $1 AND ($2 = '' OR g.id = $2) ORDER BY g.name, g.id, m.added_at, m.buyer_org`, seller, id)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: buyer groups: %w", err)
	}
	defer rows.Close()
	var out []market.BuyerGroup
	for rows.Next() {
		var g market.BuyerGroup
		var at int64
		var member string
		if err := rows.Scan(&g.ID, &g.SellerOrg, &g.Name, &at, &g.CreatedBy, &member); err != nil {
			return nil, fmt.Errorf("sqlstore: buyer groups: %w", err)
		}
		if len(out) == 0 || out[len(out)-1].ID != g.ID {
			g.CreatedAt, g.Members = fromMicros(at), []string{}
			out = append(out, g)
		}
		if member != "" {
			last := &out[len(out)-1]
			last.Members = append(last.Members, member)
		}
	}
	return out, rows.Err()
}

// GetBuyerGroup implements market.Store.
func (db *DB) GetBuyerGroup(ctx context.Context, seller, id string) (market.BuyerGroup, error) {
	if id == "" {
		return market.BuyerGroup{}, problem.New(problem.NotFound, "no such buyer group")
	}
	gs, err := db.groupsOf(ctx, seller, id)
	if err != nil {
		return market.BuyerGroup{}, err
	}
	if len(gs) == 0 {
		return market.BuyerGroup{}, problem.New(problem.NotFound, "no such buyer group")
	}
	return gs[0], nil
}

// BuyerGroups implements market.Store.
func (db *DB) BuyerGroups(ctx context.Context, seller string) ([]market.BuyerGroup, error) {
	return db.groupsOf(ctx, seller, "")
}

// RenameBuyerGroup implements market.Store.
func (db *DB) RenameBuyerGroup(ctx context.Context, seller, id, name string, at time.Time, rec audit.Record) error {
	return db.Tx(ctx, func(tx *sql.Tx) error {
		var same int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM market_buyer_groups WHERE seller_org = $1 AND name = $2 AND id <> $3`,
			seller, name, id).Scan(&same); err != nil {
			return fmt.Errorf("sqlstore: buyer groups: %w", err)
		}
		if same > 0 {
			return groupNameTaken()
		}
		res, err := tx.ExecContext(ctx, `UPDATE market_buyer_groups SET name = $3 WHERE id = $1 AND seller_org = $2`, id, seller, name)
		if err != nil {
			if IsUniqueViolation(err) {
				return groupNameTaken()
			}
			return fmt.Errorf("sqlstore: rename buyer group: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return problem.New(problem.NotFound, "no such buyer group")
		}
		return appendAudit(ctx, tx, at, rec)
	})
}

// DeleteBuyerGroup implements market.Store: prices, memberships and the
// group go in one transaction.
func (db *DB) DeleteBuyerGroup(ctx context.Context, seller, id string, at time.Time, rec audit.Record) error {
	return db.Tx(ctx, func(tx *sql.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM market_buyer_groups WHERE id = $1 AND seller_org = $2`, id, seller).Scan(&n); err != nil {
			return fmt.Errorf("sqlstore: buyer group: %w", err)
		}
		if n == 0 {
			return problem.New(problem.NotFound, "no such buyer group")
		}
		for _, q := range []string{`DELETE FROM market_group_prices WHERE group_id = $1`, `DELETE FROM market_buyer_group_members WHERE group_id = $1`,
			`DELETE FROM market_buyer_groups WHERE id = $1`} {
			if _, err := tx.ExecContext(ctx, q, id); err != nil {
				return fmt.Errorf("sqlstore: delete buyer group: %w", err)
			}
		}
		return appendAudit(ctx, tx, at, rec)
	})
}

// AddGroupMember implements market.Store.
func (db *DB) AddGroupMember(ctx context.Context, seller, id, buyer string, at time.Time, by string, max int, rec audit.Record) error {
	return db.Tx(ctx, func(tx *sql.Tx) error {
		var owned, n, same int
		if err := tx.QueryRowContext(ctx, `SELECT (SELECT COUNT(*) FROM market_buyer_groups WHERE id = $1 AND seller_org = $2),
			COUNT(*), COUNT(CASE WHEN buyer_org = $3 THEN 1 END) FROM market_buyer_group_members WHERE group_id = $1`, id, seller, buyer).Scan(&owned, &n, &same); err != nil {
			return fmt.Errorf("sqlstore: buyer group members: %w", err)
		}
		switch {
		case owned == 0:
			return problem.New(problem.NotFound, "no such buyer group")
		case same > 0:
			return &problem.Error{Code: problem.Conflict, Message: "already a member", Fields: problem.Fields{"buyer_org": "already in the group"}}
		case n >= max:
			return &problem.Error{Code: problem.Invalid, Message: "the group is full",
				Fields: problem.Fields{"buyer_org": fmt.Sprintf("at most %d members per group", max)}}
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO market_buyer_group_members (group_id, buyer_org, added_at, added_by) VALUES ($1,$2,$3,$4)`,
			id, buyer, micros(at), by); err != nil {
			if IsUniqueViolation(err) {
				return &problem.Error{Code: problem.Conflict, Message: "already a member", Fields: problem.Fields{"buyer_org": "already in the group"}}
			}
			return fmt.Errorf("sqlstore: add buyer group member: %w", err)
		}
		return appendAudit(ctx, tx, at, rec)
	})
}

// RemoveGroupMember implements market.Store.
func (db *DB) RemoveGroupMember(ctx context.Context, seller, id, buyer string, at time.Time, rec audit.Record) error {
	return db.Tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM market_buyer_group_members WHERE group_id = $1 AND buyer_org = $2
			AND group_id IN (SELECT id FROM market_buyer_groups WHERE seller_org = $3)`, id, buyer, seller)
		if err != nil {
			return fmt.Errorf("sqlstore: remove buyer group member: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return problem.New(problem.NotFound, "no such member")
		}
		return appendAudit(ctx, tx, at, rec)
	})
}
