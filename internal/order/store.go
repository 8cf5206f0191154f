package order

import (
	"context"
	"time"

	"bricstown/internal/audit"
)

// RFQQuery selects RFQs, newest first; zero fields do not filter.
type RFQQuery struct {
	Buyer string
	// OpenAt lists only open RFQs whose deadline is after it (what sellers
	// browse).
	OpenAt time.Time
	Limit  int
}

// OrderQuery selects orders of one organisation, newest first.
type OrderQuery struct {
	Buyer  string
	Seller string
	Status Status
	Limit  int
}

// Store is the order's storage. Lookups answer problem.NotFound when
// nothing matches; every write appends its audit record in the same
// transaction.
type Store interface {
	CreateRFQ(ctx context.Context, r RFQ, rec audit.Record) error
	GetRFQ(ctx context.Context, id string) (RFQ, error)
	ListRFQs(ctx context.Context, q RFQQuery) ([]RFQ, error)
	// CreateRFQQuote stores a quote if its RFQ is still open and before its
	// deadline at q.CreatedAt, in the same transaction: problem.Conflict
	// (field rfq_id) otherwise.
	CreateRFQQuote(ctx context.Context, q Quote, rec audit.Record) error
	GetRFQQuote(ctx context.Context, id string) (Quote, error)
	// Quotes lists an RFQ's quotes (seller "" : all), oldest first.
	RFQQuotes(ctx context.Context, rfqID, seller string) ([]Quote, error)
	// SellerQuotes lists a seller's quotes, newest first.
	SellerRFQQuotes(ctx context.Context, seller string, limit int) ([]Quote, error)
	// AwardRFQ turns an open RFQ into o in one transaction: the RFQ moves
	// from open to awarded (problem.Conflict, field status, when it is no
	// longer open: another acceptance came first) and o is written.
	AwardRFQ(ctx context.Context, o Order, rec audit.Record) error
	// CreateOrder stores a direct order.
	CreateOrder(ctx context.Context, o Order, rec audit.Record) error
	GetOrder(ctx context.Context, id string) (Order, error)
	// UpdateOrder replaces an order whose version is still version, and
	// moves the version on: problem.Conflict when someone moved it first.
	UpdateOrder(ctx context.Context, o Order, version int64, rec audit.Record) (Order, error)
	ListOrders(ctx context.Context, q OrderQuery) ([]Order, error)
	// AddReview stores the review of a released order and marks the
	// order reviewed; problem.Conflict when it already has one.
	AddReview(ctx context.Context, r Review, rec audit.Record) error
	// SellerReviews lists a seller's reviews, newest first.
	SellerReviews(ctx context.Context, seller string, limit int) ([]Review, error)
}
