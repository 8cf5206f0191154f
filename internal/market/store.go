package market

import (
	"context"
	"time"

	"bricstown/internal/audit"
)

// IndexEntry is what the search index reads of a product: its words and
// its facet attributes, with the change sequence number of its last write.
type IndexEntry struct {
	ID                  string
	Names, Descriptions map[string]string
	HS, Section, Origin string
	MOQ                 int64
	Currency            string
	ListPrice           int64
	Incoterms           int64 // mask (see Incoterms)
	Seq                 int64
}

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
	// ProductChanges hands what the search index needs of every product
	// written with a change sequence number above after to fn: in id order
	// when byID (an index build reads the whole catalogue so), else in
	// sequence order. It reads one snapshot, so the numbers seen are a
	// gapless prefix of every committed change above after.
	ProductChanges(ctx context.Context, after int64, byID bool, fn func(e *IndexEntry) error) error
	// ProductsByID reads the listed products (a page of search results);
	// ids not found are left out, order is not kept.
	ProductsByID(ctx context.Context, ids []string) ([]Product, error)
	// BuyerContractPrices are a buyer's contract prices in force at a time,
	// by product id: only that buyer's, never another organisation's.
	BuyerContractPrices(ctx context.Context, buyer string, at time.Time) (map[string]int64, error)
	// AddImage stores an image of a product with the next seq of that
	// product (set in img); problem.Invalid with field "file" when the
	// product already has max images, counted in the same transaction.
	AddImage(ctx context.Context, img *Image, content []byte, max int, rec audit.Record) error
	// DeleteImage removes an image of a product; problem.NotFound when the
	// product has no such image.
	DeleteImage(ctx context.Context, productID, imageID string, at time.Time, rec audit.Record) error
	// ProductImages lists a product's images in seq order.
	ProductImages(ctx context.Context, productID string) ([]Image, error)
	// FirstImages is the lowest-seq image of each listed product that has
	// one.
	FirstImages(ctx context.Context, productIDs []string) (map[string]Image, error)
	// ImageData reads an image with its bytes.
	ImageData(ctx context.Context, id string) (Image, []byte, error)
}
