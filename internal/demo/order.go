package demo

import (
	"context"
	"fmt"
	"time"

	"bricstown/internal/identity"
	"bricstown/internal/ledger"
	"bricstown/internal/order"
)

// The demo's buying (issue 11): an open request for quotation with two
// quotes, one order delivered and its escrow released to the seller, and
// one paid and waiting in escrow for the seller's confirmation: a Kazakh
// grain exporter buys Russian nitrogen fertiliser for its farms.
const (
	orderBuyer  = "Kazakh Grain Export"     // pays from its KZT operating account
	orderSeller = "Siberian Energy Trading" // an EAEU exporter paid into its KZT account
	orderAsker  = "Shenzhen Smart Devices"
	orderOther  = "Cerrado Agro Exportadora"
)

// SeedOrders runs after the catalogue and the finance part (accounts). It
// is idempotent: when the buyer already has orders, it does nothing.
func SeedOrders(ctx context.Context, ids *identity.Service, led *ledger.Service, os *order.Service, now time.Time) error {
	list, err := ids.Orgs(ctx, identity.Page{Limit: 1000})
	if err != nil {
		return err
	}
	orgs := map[string]identity.Org{}
	for _, o := range list {
		orgs[o.Name] = o
	}
	who := func(name string) (*identity.Principal, error) {
		o, ok := orgs[name]
		if !ok {
			return nil, fmt.Errorf("demo: run Seed first (no %s)", name)
		}
		return demoPrincipal(ctx, ids, o, identity.Trader)
	}
	buyer, err := who(orderBuyer)
	if err != nil {
		return err
	}
	if mine, err := os.Orders(ctx, buyer, "buyer"); err != nil || len(mine) > 0 {
		return err
	}
	seller, err := who(orderSeller)
	if err != nil {
		return err
	}
	asker, err := who(orderAsker)
	if err != nil {
		return err
	}
	other, err := who(orderOther)
	if err != nil {
		return err
	}
	at := func(d time.Duration) string { return now.Add(d).UTC().Format(time.RFC3339) }
	day := 24 * time.Hour

	// An open RFQ with two quotes: Shenzhen asks for sunflower oil.
	open, err := os.PostRFQ(ctx, asker, order.RFQInput{Goods: "Refined sunflower oil, bulk", HS: "151219", Quantity: 20, Unit: "t",
		Destination: "CNURC", Incoterm: "FCA", Deadline: at(10 * day)})
	if err != nil {
		return fmt.Errorf("demo: rfq: %w", err)
	}
	if _, err := os.SubmitQuote(ctx, buyer, open.ID, order.QuoteInput{UnitPrice: "545000.00", Currency: "KZT", MOQ: 10, Incoterm: "FCA",
		Origin: "KZ", ValidUntil: at(7 * day), Note: "Loading at Almaty-1, 5 working days"}); err != nil {
		return fmt.Errorf("demo: quote: %w", err)
	}
	if _, err := os.SubmitQuote(ctx, other, open.ID, order.QuoteInput{UnitPrice: "1020.00", Currency: "USD", MOQ: 20, Incoterm: "CIF",
		Origin: "BR", ValidUntil: at(5 * day)}); err != nil {
		return fmt.Errorf("demo: quote: %w", err)
	}

	pay := buyer.OrgID
	acct, err := operatingKZT(ctx, led, pay)
	if err != nil {
		return err
	}
	sellerAcct, err := operatingKZT(ctx, led, seller.OrgID)
	if err != nil {
		return err
	}
	// One order delivered and released: granular urea.
	rfq, err := os.PostRFQ(ctx, buyer, order.RFQInput{Goods: "Urea (carbamide), granular, N 46%", HS: "310210", Quantity: 20, Unit: "t",
		Destination: "KZAST", Incoterm: "FCA", Deadline: at(5 * day)})
	if err != nil {
		return fmt.Errorf("demo: rfq: %w", err)
	}
	q, err := os.SubmitQuote(ctx, seller, rfq.ID, order.QuoteInput{UnitPrice: "165000.00", Currency: "KZT", MOQ: 10, Incoterm: "FCA", Origin: "RU",
		ValidUntil: at(3 * day)})
	if err != nil {
		return fmt.Errorf("demo: quote: %w", err)
	}
	o, err := os.AcceptQuote(ctx, buyer, q.ID)
	if err != nil {
		return fmt.Errorf("demo: accept: %w", err)
	}
	if _, err := os.Pay(ctx, buyer, o.ID, order.PayInput{PayFrom: acct}); err != nil {
		return fmt.Errorf("demo: pay: %w", err)
	}
	if _, err := os.Confirm(ctx, seller, o.ID, order.ConfirmInput{PayTo: sellerAcct, ShipFrom: "RUOMS", BorderPost: "KZPPK", Mode: "road",
		GrossKg: 20_100, NetKg: 20_000}); err != nil {
		return fmt.Errorf("demo: confirm: %w", err)
	}
	if _, err := os.Ship(ctx, seller, o.ID); err != nil {
		return fmt.Errorf("demo: ship: %w", err)
	}
	if _, err := os.ConfirmDelivery(ctx, buyer, o.ID); err != nil {
		return fmt.Errorf("demo: deliver: %w", err)
	}
	if _, err := os.AddReview(ctx, buyer, o.ID, order.ReviewInput{Stars: 5, Text: "On time, bags intact, documents in order."}); err != nil {
		return fmt.Errorf("demo: review: %w", err)
	}

	// One order in escrow: ammonium nitrate, paid, waiting for the seller.
	rfq, err = os.PostRFQ(ctx, buyer, order.RFQInput{Goods: "Ammonium nitrate, N 34.4%", HS: "310230", Quantity: 10, Unit: "t",
		Destination: "KZAST", Incoterm: "FCA", Deadline: at(6 * day)})
	if err != nil {
		return fmt.Errorf("demo: rfq: %w", err)
	}
	q, err = os.SubmitQuote(ctx, seller, rfq.ID, order.QuoteInput{UnitPrice: "140000.00", Currency: "KZT", MOQ: 5, Incoterm: "FCA", Origin: "RU",
		ValidUntil: at(4 * day)})
	if err != nil {
		return fmt.Errorf("demo: quote: %w", err)
	}
	o, err = os.AcceptQuote(ctx, buyer, q.ID)
	if err != nil {
		return fmt.Errorf("demo: accept: %w", err)
	}
	if _, err := os.Pay(ctx, buyer, o.ID, order.PayInput{PayFrom: acct}); err != nil {
		return fmt.Errorf("demo: pay: %w", err)
	}
	return nil
}

// operatingKZT is the id of an organisation's KZT operating account.
func operatingKZT(ctx context.Context, led *ledger.Service, org string) (string, error) {
	a, err := led.AccountByCode(ctx, org, "KZT", "operating")
	if err != nil {
		return "", fmt.Errorf("demo: KZT operating account of %s: %w", org, err)
	}
	return a.ID.String(), nil
}
