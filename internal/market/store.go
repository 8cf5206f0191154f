package market

import (
	"context"
	"time"

	"bricstown/internal/audit"
)

// Filter is a search as the store runs it: the service has turned the
// buyer's words into terms and its currency's price buckets into bounds
// per seller currency. Zero fields do not filter.
type Filter struct {
	Terms    []string // every term must match (see QueryTerms)
	Origin   string
	Section  string
	Incoterm int64 // mask bit; products offering it
	MOQ      int   // MOQ bucket + 1 (0: any)
	Price    int   // price bucket + 1 (0: any)
	// Buyer is the organisation whose contract prices apply (the caller's);
	// no other organisation's contract price is ever read.
	Buyer string
	At    time.Time
	// HasContracts says whether Buyer has any contract price in force at
	// At; without one the store need not look for them.
	HasContracts bool
	// Bounds are the lower bounds of price buckets 1.. per seller currency
	// (Converter.BucketBounds); products in a currency without bounds have
	// no price bucket.
	Bounds map[string][PriceBuckets - 1]int64
}

// Hit is a product as one buyer sees it: ContractPrice is the buyer's own
// contract price in force (0 when none).
type Hit struct {
	Product
	ContractPrice int64
}

// FacetRow is one group of matching products: the count of those sharing
// origin, section, MOQ bucket, offered terms and price bucket (-1: none).
type FacetRow struct {
	Origin, Section string
	MOQBucket       int
	Incoterms       int64
	PriceBucket     int
	Count           int
}

// Store is the catalogue's storage. Lookups answer problem.NotFound when
// nothing matches; every write appends its audit record in the same
// transaction.
type Store interface {
	// CreateProduct stores a product and its search terms.
	CreateProduct(ctx context.Context, p Product, terms []string, rec audit.Record) error
	// UpdateProduct replaces a product of p.SellerOrg and its terms;
	// problem.NotFound when the product is not that seller's.
	UpdateProduct(ctx context.Context, p Product, terms []string, rec audit.Record) error
	GetProduct(ctx context.Context, id string) (Product, error)
	// SellerProducts lists a seller's products, newest first, after the id
	// cursor.
	SellerProducts(ctx context.Context, seller, after string, limit int) ([]Product, error)
	// CreateContractPrice stores a contract price; problem.Conflict when
	// another one of the same product and buyer overlaps its period.
	CreateContractPrice(ctx context.Context, c ContractPrice, rec audit.Record) error
	// ContractPrices lists a product's contract prices, newest first.
	ContractPrices(ctx context.Context, productID string) ([]ContractPrice, error)
	// SearchProducts lists matching products, newest first, after the id
	// cursor.
	SearchProducts(ctx context.Context, f Filter, after string, limit int) ([]Hit, error)
	// ProductFacets groups every matching product (see FacetRow).
	ProductFacets(ctx context.Context, f Filter) ([]FacetRow, error)
	// BuyerHasContracts reports whether a buyer has a contract price in
	// force at a time.
	BuyerHasContracts(ctx context.Context, buyer string, at time.Time) (bool, error)
	// MarketCurrencies lists the currencies products are priced in.
	MarketCurrencies(ctx context.Context) ([]string, error)
}
