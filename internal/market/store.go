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
	// another one of the same product and buyer (or group) overlaps its
	// period; problem.NotFound with field buyer_group when the group is not
	// (any more) the seller's.
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
	// BuyerContractPrices are the contract prices in force at a time that
	// apply to a buyer: its own and those of the groups it is a member of
	// (of the group's own seller only), never another organisation's; of
	// one product when productID is set, else of all.
	BuyerContractPrices(ctx context.Context, buyer, productID string, at time.Time) ([]AppliedPrice, error)
	// CreateBuyerGroup stores a group; problem.Conflict with field name
	// when the seller has a group of that name, problem.Invalid when it
	// has max groups already (counted in the same transaction).
	CreateBuyerGroup(ctx context.Context, g BuyerGroup, max int, rec audit.Record) error
	// GetBuyerGroup reads a group of seller with its members; another
	// seller's group is problem.NotFound.
	GetBuyerGroup(ctx context.Context, seller, id string) (BuyerGroup, error)
	// BuyerGroups lists seller's groups by name, with their members.
	BuyerGroups(ctx context.Context, seller string) ([]BuyerGroup, error)
	// RenameBuyerGroup renames a group of seller (problem.NotFound,
	// problem.Conflict as CreateBuyerGroup).
	RenameBuyerGroup(ctx context.Context, seller, id, name string, at time.Time, rec audit.Record) error
	// DeleteBuyerGroup deletes a group of seller with its memberships and
	// its contract prices.
	DeleteBuyerGroup(ctx context.Context, seller, id string, at time.Time, rec audit.Record) error
	// AddGroupMember adds buyer to a group of seller; problem.Conflict when
	// it is a member already, problem.Invalid when the group has max
	// members.
	AddGroupMember(ctx context.Context, seller, id, buyer string, at time.Time, by string, max int, rec audit.Record) error
	// RemoveGroupMember takes buyer out of a group of seller;
	// problem.NotFound when it is not a member.
	RemoveGroupMember(ctx context.Context, seller, id, buyer string, at time.Time, rec audit.Record) error
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
