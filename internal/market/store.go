package market

import (
	"context"
	"time"

	"bricstown/internal/audit"
)

// Store is the catalogue's storage. Lookups answer problem.NotFound when
// nothing matches; every write appends its audit record in the same
// transaction.
type Store interface {
	// CreateProduct stores a product with the next change sequence number.
	CreateProduct(ctx context.Context, p Product, rec audit.Record) error
	// ImportProducts stores many products in one transaction, each with
	// its audit record and its own change sequence number.
	ImportProducts(ctx context.Context, ps []Product, recs []audit.Record) error
	// UpdateProduct replaces a product of p.SellerOrg with the next change
	// sequence number; problem.NotFound when the product is not that
	// seller's.
	UpdateProduct(ctx context.Context, p Product, rec audit.Record) error
	GetProduct(ctx context.Context, id string) (Product, error)
	// SellerProducts lists a seller's products, newest first, after the id
	// cursor.
	SellerProducts(ctx context.Context, seller, after string, limit int) ([]Product, error)
	// CreateContractPrice stores a contract price; problem.Conflict when
	// another one of the same product and buyer overlaps its period.
	CreateContractPrice(ctx context.Context, c ContractPrice, rec audit.Record) error
	// ContractPrices lists a product's contract prices, newest first.
	ContractPrices(ctx context.Context, productID string) ([]ContractPrice, error)
	// ProductChanges hands every product written with a change sequence
	// number above after to fn with that number: in id order when byID (an
	// index build reads the whole catalogue so), else in sequence order.
	// It reads one snapshot, so the numbers seen are a gapless prefix of
	// every committed change above after.
	ProductChanges(ctx context.Context, after int64, byID bool, fn func(p Product, seq int64) error) error
	// ProductsByID reads the listed products (a page of search results);
	// ids not found are left out, order is not kept.
	ProductsByID(ctx context.Context, ids []string) ([]Product, error)
	// BuyerContractPrices are a buyer's contract prices in force at a time,
	// by product id: only that buyer's, never another organisation's.
	BuyerContractPrices(ctx context.Context, buyer string, at time.Time) (map[string]int64, error)
}
