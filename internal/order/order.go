// Package order is the buying side of the cross-border marketplace (issue
// 11, "Buying"): requests for quotation and sellers' quotes, direct orders
// from the catalogue, and the integrated order that follows either one —
// payment into escrow through the ledger, the seller's confirmation that
// drafts the export declaration and a shipment from the order, delivery,
// release of the escrow to the seller minus the platform fee, cancellation
// and disputes that void it, and reviews of sellers.
//
// It is its own package, not part of internal/market, because the order
// depends on the ledger, customs and logistics while the catalogue depends
// on none of them: the catalogue stays a read-mostly search domain that the
// benchmark loads with a million products, and the order reads products
// through a port (Config.Product) instead of reaching into its store.
package order

import (
	"fmt"
	"time"

	"github.com/google/uuid"
)

// RFQStatus is the life of a request for quotation.
type RFQStatus string

// RFQ statuses: open until the buyer accepts a quote (awarded) or
// withdraws it (closed); quotes are taken while it is open and before its
// deadline.
const (
	RFQOpen    RFQStatus = "open"
	RFQAwarded RFQStatus = "awarded"
	RFQClosed  RFQStatus = "closed"
)

// RFQ is a buyer company's request for quotation.
type RFQ struct {
	ID        string `json:"id"`
	BuyerOrg  string `json:"buyer_org"`
	ProductID string `json:"product_id,omitempty"` // when asked about a catalogue product
	// Goods is what is wanted, in the buyer's words (or the product's name).
	Goods       string    `json:"goods"`
	HS          string    `json:"hs"` // HS 2022 subheading
	Quantity    int64     `json:"quantity"`
	Unit        string    `json:"unit"`
	Destination string    `json:"destination"` // UN/LOCODE
	Incoterm    string    `json:"incoterm"`
	Deadline    time.Time `json:"deadline"`
	Status      RFQStatus `json:"status"`
	OrderID     string    `json:"order_id,omitempty"`
	Quotes      int       `json:"quotes"`
	CreatedAt   time.Time `json:"created_at"`
	CreatedBy   string    `json:"created_by"`
}

// Quote is a seller's answer to an RFQ: a unit price in the seller's
// currency (minor units), a minimum quantity, the Incoterm it is priced
// on, and until when it holds.
type Quote struct {
	ID         string    `json:"id"`
	RFQID      string    `json:"rfq_id"`
	SellerOrg  string    `json:"seller_org"`
	BuyerOrg   string    `json:"buyer_org"`
	UnitPrice  int64     `json:"unit_price"`
	Currency   string    `json:"currency"`
	MOQ        int64     `json:"moq"`
	Incoterm   string    `json:"incoterm"`
	Origin     string    `json:"origin"` // ISO 3166 country the goods come from
	ValidUntil time.Time `json:"valid_until"`
	Note       string    `json:"note,omitempty"`
	Amount     int64     `json:"amount"` // unit price × the RFQ's quantity
	CreatedAt  time.Time `json:"created_at"`
	CreatedBy  string    `json:"created_by"`
}

// Status is the life of an order.
//
//	accepted ─pay→ paying → paid ─confirm→ confirming → confirmed ─ship→ shipped
//	shipped ─confirm delivery / window ends→ releasing → released
//	shipped ─dispute→ disputed ─rule→ releasing | voiding
//	accepted ─cancel→ cancelled;  paid … shipped ─cancel→ voiding → cancelled
//
// The -ing states are taken by one guarded write before the ledger is
// asked (so of two racing requests exactly one goes on), and left when the
// ledger has answered; a request that finds one finishes it, with the same
// derived transfer ids, so a crash in between is healed by any retry.
type Status string

// Order statuses.
const (
	Accepted   Status = "accepted"
	Paying     Status = "paying"
	Paid       Status = "paid"
	Confirming Status = "confirming"
	Confirmed  Status = "confirmed"
	Shipped    Status = "shipped"
	Disputed   Status = "disputed"
	Releasing  Status = "releasing"
	Released   Status = "released"
	Voiding    Status = "voiding"
	Cancelled  Status = "cancelled"
)

// Event is one step of an order's timeline.
type Event struct {
	At     time.Time `json:"at"`
	Kind   string    `json:"kind"` // created, paid, confirmed, shipped, delivered, released, disputed, ruled, cancelled
	Org    string    `json:"org"`
	User   string    `json:"user"`
	Detail string    `json:"detail,omitempty"`
}

// Dispute is a buyer's complaint about a shipped order and the ruling.
type Dispute struct {
	Reason   string    `json:"reason"`
	OpenedAt time.Time `json:"opened_at"`
	OpenedBy string    `json:"opened_by"`
	Ruling   string    `json:"ruling,omitempty"` // buyer or seller
	Note     string    `json:"note,omitempty"`
	RuledAt  time.Time `json:"ruled_at,omitzero"`
	RuledBy  string    `json:"ruled_by,omitempty"`
}

// Order is one purchase between a buyer and a seller company.
type Order struct {
	ID        string `json:"id"`
	BuyerOrg  string `json:"buyer_org"`
	SellerOrg string `json:"seller_org"`
	RFQID     string `json:"rfq_id,omitempty"`
	QuoteID   string `json:"quote_id,omitempty"`
	ProductID string `json:"product_id,omitempty"`

	Goods       string `json:"goods"`
	HS          string `json:"hs"`
	Origin      string `json:"origin"`
	Quantity    int64  `json:"quantity"`
	Unit        string `json:"unit"`
	UnitPrice   int64  `json:"unit_price"`
	Currency    string `json:"currency"`
	Amount      int64  `json:"amount"` // unit price × quantity, minor units
	Fee         int64  `json:"fee"`    // the platform's fee, taken at release
	Incoterm    string `json:"incoterm"`
	Destination string `json:"destination"`

	Status  Status `json:"status"`
	Version int64  `json:"version"`

	// PayFrom is the buyer's account the escrow was taken from, PayTo the
	// seller's account it is released to, Escrow the platform's escrow
	// account in the order's currency, FeeAccount the platform's fees.
	PayFrom    string `json:"pay_from,omitempty"`
	PayTo      string `json:"pay_to,omitempty"`
	Escrow     string `json:"escrow_account,omitempty"`
	FeeAccount string `json:"fee_account,omitempty"`
	// FX is set when the buyer paid from an account in another currency:
	// the quote that priced the conversion and the pending chain that
	// carries it into the escrow (see Service.Pay).
	FX *Conversion `json:"fx,omitempty"`

	DeclarationID string    `json:"declaration_id,omitempty"`
	ShipmentID    string    `json:"shipment_id,omitempty"`
	ShippedAt     time.Time `json:"shipped_at,omitzero"`
	DisputeUntil  time.Time `json:"dispute_until,omitzero"`
	Dispute       *Dispute  `json:"dispute,omitempty"`
	Reviewed      bool      `json:"reviewed,omitempty"`

	Events    []Event   `json:"events"`
	CreatedAt time.Time `json:"created_at"`
	CreatedBy string    `json:"created_by"`
	UpdatedAt time.Time `json:"updated_at"`
}

// Conversion is how an order paid from an account in another currency
// reaches the escrow: the FX quote (claimed, so it is filled once) and its
// legs as pending ledger transfers, from the buyer's account through the
// providers' FX inventories; the last leg, the provider's inventory in the
// order's currency to the escrow account, is the hold (HoldID). Release
// posts every leg, voiding voids every leg: the buyer gets back exactly
// what left its account, in its currency, and the providers' inventories
// are untouched.
type Conversion struct {
	QuoteID    string     `json:"quote_id"`
	Sell       string     `json:"sell"`        // the buyer's account's currency
	SellAmount int64      `json:"sell_amount"` // what leaves the buyer's account
	Rate       string     `json:"rate"`        // effective, order currency per sell unit (a report)
	Legs       []ChainLeg `json:"legs"`
	HoldFrom   string     `json:"hold_from"` // the last provider\'s inventory in the order\'s currency
}

// ChainLeg is one pending transfer of a conversion before the hold.
type ChainLeg struct {
	Debit    string `json:"debit"`
	Credit   string `json:"credit"`
	Amount   int64  `json:"amount"`
	Currency string `json:"currency"`
}

// Review is a buyer's review of the seller of a released order: one per
// order.
type Review struct {
	OrderID   string    `json:"order_id"`
	SellerOrg string    `json:"seller_org"`
	BuyerOrg  string    `json:"buyer_org"`
	Stars     int       `json:"stars"`
	Text      string    `json:"text,omitempty"`
	CreatedAt time.Time `json:"created_at"`
	CreatedBy string    `json:"created_by"`
}

// Ledger ids of an order's escrow: version-5 UUIDs of the order id, so no
// client id can occupy them (client ids are scoped, version 8) and every
// retry or racing request meets the same transfer.
var ns = uuid.MustParse("9a3c55e1-2f4d-4b8e-a0c7-6d1e8b2f4c19")

// HoldID is the pending transfer that puts the amount in escrow.
func HoldID(id string) uuid.UUID { return uuid.NewSHA1(ns, []byte(id+"/hold")) }

// PostID posts the hold into the escrow account at release.
func PostID(id string) uuid.UUID { return uuid.NewSHA1(ns, []byte(id+"/post")) }

// PayoutID moves the amount less the fee from escrow to the seller.
func PayoutID(id string) uuid.UUID { return uuid.NewSHA1(ns, []byte(id+"/payout")) }

// FeeID moves the fee from escrow to the platform's fee account.
func FeeID(id string) uuid.UUID { return uuid.NewSHA1(ns, []byte(id+"/fee")) }

// VoidID releases the hold back to the buyer.
func VoidID(id string) uuid.UUID { return uuid.NewSHA1(ns, []byte(id+"/void")) }

// LegID is the i-th pending leg of a conversion (0-based); LegPostID and
// LegVoidID resolve it at release and cancellation.
func LegID(id string, i int) uuid.UUID {
	return uuid.NewSHA1(ns, []byte(fmt.Sprintf("%s/fx-%d", id, i)))
}

// LegPostID posts the i-th leg at release.
func LegPostID(id string, i int) uuid.UUID {
	return uuid.NewSHA1(ns, []byte(fmt.Sprintf("%s/fx-%d/post", id, i)))
}

// LegVoidID voids the i-th leg at cancellation.
func LegVoidID(id string, i int) uuid.UUID {
	return uuid.NewSHA1(ns, []byte(fmt.Sprintf("%s/fx-%d/void", id, i)))
}
