package server

import (
	"context"
	"fmt"
	"testing"
	"time"

	"bricstown/internal/identity"
	"bricstown/internal/order"
)

const (
	orderSeller = "Siberian Energy Trading"  // RU, an EAEU exporter
	orderBuyer  = apiKGE                     // Kazakh Grain Export, KZ, holds KZT
	orderOther  = "Cerrado Agro Exportadora" // BR, a third company
)

// orderRFQ posts an RFQ of the buyer (40 t of urea to Nur-Sultan) and the
// seller's quote at 95.00 KZT a tonne (a sample lot); it answers their ids.
func (f *fixture) orderRFQ(t *testing.T, buyer, seller string) (rfq, quote string) {
	t.Helper()
	r := f.call(t, "POST", "/api/v1/market/rfqs", buyer, map[string]any{"goods": "Urea (carbamide), granular", "hs": "3102.10", "quantity": 40, "unit": "t",
		"destination": "KZAST", "incoterm": "FCA", "deadline": time.Now().Add(72 * time.Hour).UTC().Format(time.RFC3339)})
	if r.status != 201 {
		t.Fatalf("post rfq: %d %s", r.status, r.body)
	}
	rfq = r.json(t)["id"].(string)
	q := f.call(t, "POST", "/api/v1/market/rfqs/"+rfq+"/quotes", seller, map[string]any{"unit_price": "95.00", "currency": "KZT", "moq": 20,
		"incoterm": "FCA", "origin": "RU", "valid_until": time.Now().Add(48 * time.Hour).UTC().Format(time.RFC3339)})
	if q.status != 201 {
		t.Fatalf("quote: %d %s", q.status, q.body)
	}
	return rfq, q.json(t)["id"].(string)
}

// The forbidden cases first: roles outside buying, another company
// reaching a quote or an order, a seller accepting its own quote, a buyer
// paying from another organisation's account; then bad input.
func TestAPIOrderForbidden(t *testing.T) {
	f := getFixture(t)
	buyer, seller := f.token(t, orderBuyer, identity.Trader), f.token(t, orderSeller, identity.Trader)
	other := f.token(t, orderOther, identity.Trader)
	officer := f.token(t, "Khorgos Customs Post", identity.CustomsOfficer)
	bank := f.token(t, apiBank, identity.OrgAdmin)

	for _, tok := range []string{officer, bank} {
		if r := f.call(t, "GET", "/api/v1/market/rfqs", tok, nil); r.status != 403 {
			t.Fatalf("non-trader lists rfqs: %d", r.status)
		}
	}
	rfq, quote := f.orderRFQ(t, buyer, seller)
	// Another company sees the open RFQ but none of the quotes on it.
	r := f.call(t, "GET", "/api/v1/market/rfqs/"+rfq, other, nil)
	if r.status != 200 || len(r.json(t)["quote_list"].([]any)) != 0 {
		t.Fatalf("another company's view of the rfq: %d %s", r.status, r.body)
	}
	if r := f.call(t, "POST", "/api/v1/market/quotes/"+quote+"/accept", other, nil); r.status != 404 {
		t.Fatalf("another company accepts: %d %s", r.status, r.body)
	}
	if r := f.call(t, "POST", "/api/v1/market/quotes/"+quote+"/accept", seller, nil); r.status != 403 {
		t.Fatalf("the seller accepts its own quote: %d %s", r.status, r.body)
	}
	if r := f.call(t, "POST", "/api/v1/market/rfqs/"+rfq+"/quotes", buyer, map[string]any{"unit_price": "1", "currency": "KZT", "moq": 1,
		"incoterm": "FCA", "origin": "KZ", "valid_until": time.Now().Add(time.Hour).UTC().Format(time.RFC3339)}); r.status != 403 {
		t.Fatalf("the buyer quotes on its own rfq: %d %s", r.status, r.body)
	}
	// Bad quotes: too many decimals, MOQ above the quantity; nothing written.
	bad := f.call(t, "POST", "/api/v1/market/rfqs/"+rfq+"/quotes", other, map[string]any{"unit_price": "95.001", "currency": "KZT", "moq": 41,
		"incoterm": "FCA", "origin": "BR", "valid_until": time.Now().Add(time.Hour).UTC().Format(time.RFC3339)})
	if bad.status != 400 || field(t, bad, "unit_price") == "" || field(t, bad, "moq") == "" {
		t.Fatalf("bad quote: %d %s", bad.status, bad.body)
	}
	if codes, _ := bad.json(t)["error_codes"].(map[string]any); codes["unit_price"] != "decimals_n" || codes["moq"] != "order_moq_over_quantity" {
		t.Fatalf("field codes %v", codes)
	}
	if r := f.call(t, "GET", "/api/v1/market/rfqs/"+rfq, buyer, nil); len(r.json(t)["quote_list"].([]any)) != 1 {
		t.Fatalf("a refused quote was written: %s", r.body)
	}

	r = f.call(t, "POST", "/api/v1/market/quotes/"+quote+"/accept", buyer, nil)
	if r.status != 201 {
		t.Fatalf("accept: %d %s", r.status, r.body)
	}
	id := r.json(t)["id"].(string)
	if again := f.call(t, "POST", "/api/v1/market/quotes/"+quote+"/accept", buyer, nil); again.status != 409 || field(t, again, "status") != "awarded" {
		t.Fatalf("double acceptance: %d %s", again.status, again.body)
	}
	for _, path := range []string{"", "/pay", "/deliver", "/dispute", "/cancel", "/confirm", "/review"} {
		method := "POST"
		if path == "" {
			method = "GET"
		}
		body := map[string]any{"/pay": map[string]any{"pay_from": f.kztOperating(t, orderBuyer).ID.String()}, "/dispute": map[string]any{"reason": "x"},
			"/cancel": map[string]any{"reason": "x"}, "/review": map[string]any{"stars": 5},
			"/confirm": map[string]any{"pay_to": f.kztOperating(t, orderSeller).ID.String(), "ship_from": "RUOMS", "border_post": "KZPPK", "mode": "road", "gross_kg": 1, "net_kg": 1}}[path]
		if r := f.call(t, method, "/api/v1/market/orders/"+id+path, other, body); r.status != 404 {
			t.Fatalf("another company %s %s: %d %s", method, path, r.status, r.body)
		}
	}
	// The buyer names the seller's account: refused like an unknown one.
	r = f.call(t, "POST", "/api/v1/market/orders/"+id+"/pay", buyer, map[string]any{"pay_from": f.kztOperating(t, orderSeller).ID.String()})
	if r.status != 400 || field(t, r, "pay_from") == "" {
		t.Fatalf("pay from another org's account: %d %s", r.status, r.body)
	}
	if r := f.call(t, "POST", "/api/v1/market/orders/"+id+"/pay", seller, map[string]any{"pay_from": f.kztOperating(t, orderSeller).ID.String()}); r.status != 403 {
		t.Fatalf("the seller pays: %d %s", r.status, r.body)
	}
	if r := f.call(t, "POST", "/api/v1/market/orders/"+id+"/rule", seller, map[string]any{"for": "seller"}); r.status != 403 {
		t.Fatalf("a party rules: %d %s", r.status, r.body)
	}
	if got := f.call(t, "GET", "/api/v1/market/orders/"+id, buyer, nil).json(t)["status"]; got != "accepted" {
		t.Fatalf("status after refusals %v", got)
	}
}

// TestAPIOrderEndToEnd drives one order from RFQ to escrow release through
// the API and checks the ledger, the declaration and the shipment.
func TestAPIOrderEndToEnd(t *testing.T) {
	f := getFixture(t)
	ctx := context.Background()
	buyer, seller := f.token(t, orderBuyer, identity.Trader), f.token(t, orderSeller, identity.Trader)
	buyerAcc, sellerAcc := f.kztOperating(t, orderBuyer), f.kztOperating(t, orderSeller)
	buyerBefore, sellerBefore := f.ledgerAccount(t, buyerAcc.ID.String()), f.ledgerAccount(t, sellerAcc.ID.String())
	town := f.orgs["BRICS Town Administration"].ID
	feeBefore := int64(0)
	if a, err := f.srv.Ledger.SystemAccount(ctx, town, "KZT", order.FeeAccount); err == nil {
		feeBefore = a.Balance()
	}

	_, quote := f.orderRFQ(t, buyer, seller)
	r := f.call(t, "POST", "/api/v1/market/quotes/"+quote+"/accept", buyer, nil)
	if r.status != 201 {
		t.Fatalf("accept: %d %s", r.status, r.body)
	}
	id := r.json(t)["id"].(string)
	const amount, fee = int64(40 * 95_00), int64(40 * 95_00 * 150 / 10000)
	step := func(who, path string, body any) map[string]any {
		t.Helper()
		r := f.call(t, "POST", "/api/v1/market/orders/"+id+path, who, body)
		if r.status != 200 {
			t.Fatalf("%s: %d %s", path, r.status, r.body)
		}
		return r.json(t)
	}
	v := step(buyer, "/pay", map[string]any{"pay_from": buyerAcc.ID.String()})
	if v["status"] != "paid" || v["escrow"].(map[string]any)["state"] != "held" {
		t.Fatalf("after pay: %v", v)
	}
	if a := f.ledgerAccount(t, buyerAcc.ID.String()); a.DebitsPending != buyerBefore.DebitsPending+amount {
		t.Fatalf("escrow not held: pending %d", a.DebitsPending)
	}
	v = step(seller, "/confirm", map[string]any{"pay_to": sellerAcc.ID.String(), "ship_from": "RUOMS", "border_post": "KZPPK", "mode": "road",
		"gross_kg": 40_200, "net_kg": 40_000})
	decl, ship := v["declaration_id"].(string), v["shipment_id"].(string)
	d := f.call(t, "GET", "/api/v1/customs/declarations/"+decl, seller, nil)
	if d.status != 200 {
		t.Fatalf("declaration: %d %s", d.status, d.body)
	}
	dj := d.json(t)
	item := dj["goods_items"].([]any)[0].(map[string]any)
	if dj["status"] != "draft" || item["classification_id"] != "310210" || int64(item["customs_value_amount"].(float64)) != amount ||
		dj["trade_terms_condition_code"] != "FCA" || dj["procedure"] != "export" {
		t.Fatalf("declaration drafted: %s", d.body)
	}
	s := f.call(t, "GET", "/api/v1/logistics/shipments/"+ship, seller, nil)
	if s.status != 200 || s.json(t)["declaration_id"] != decl || s.json(t)["destination"] != "KZAST" {
		t.Fatalf("shipment: %d %s", s.status, s.body)
	}
	// The buyer sees the same order page data.
	if got := f.call(t, "GET", "/api/v1/market/orders/"+id, buyer, nil).json(t); got["declaration_id"] != decl || got["role"] != "buyer" {
		t.Fatalf("buyer's view %v", got)
	}
	step(seller, "/ship", nil)
	v = step(buyer, "/deliver", nil)
	if v["status"] != "released" || v["escrow"].(map[string]any)["state"] != "released" {
		t.Fatalf("after delivery: %v", v)
	}
	if a := f.ledgerAccount(t, buyerAcc.ID.String()); a.Balance() != buyerBefore.Balance()-amount || a.DebitsPending != buyerBefore.DebitsPending {
		t.Fatalf("buyer: %d (pending %d), want %d", a.Balance(), a.DebitsPending, buyerBefore.Balance()-amount)
	}
	if a := f.ledgerAccount(t, sellerAcc.ID.String()); a.Balance() != sellerBefore.Balance()+amount-fee {
		t.Fatalf("seller: %d, want %d", a.Balance(), sellerBefore.Balance()+amount-fee)
	}
	feeAcc, err := f.srv.Ledger.SystemAccount(ctx, town, "KZT", order.FeeAccount)
	if err != nil || feeAcc.Balance() != feeBefore+fee {
		t.Fatalf("fee account %d (%v), want %d", feeAcc.Balance(), err, feeBefore+fee)
	}
	if rep, err := f.db.Verify(ctx); err != nil || len(rep.Problems) > 0 {
		t.Fatalf("ledger verify: %v %v", rep.Problems, err)
	}
	if r := f.call(t, "POST", "/api/v1/market/orders/"+id+"/review", buyer, map[string]any{"stars": 5, "text": "Bags intact, on time"}); r.status != 201 {
		t.Fatalf("review: %d %s", r.status, r.body)
	}
	if r := f.call(t, "POST", "/api/v1/market/orders/"+id+"/review", buyer, map[string]any{"stars": 1}); r.status != 409 {
		t.Fatalf("second review: %d %s", r.status, r.body)
	}
	list := f.call(t, "GET", "/api/v1/market/orders?side=seller", seller, nil)
	if list.status != 200 || fmt.Sprint(list.json(t)["items"]) == "[]" {
		t.Fatalf("seller's orders: %d %s", list.status, list.body)
	}
}
