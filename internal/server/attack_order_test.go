package server

import (
	"context"
	"sync"
	"testing"

	"bricstown/internal/identity"
)

// What an attacker tries on the marketplace's escrow, after the forbidden
// cases of TestAPIOrderForbidden: race acceptances to get two orders from
// one RFQ, payments to be charged twice or not at all, delivery
// confirmations to pay the seller twice, and a cancellation against a
// delivery confirmation to have the money both released and returned.
func TestAttackOrderMoney(t *testing.T) {
	f := getFixture(t)
	buyer, seller := f.token(t, orderBuyer, identity.Trader), f.token(t, orderSeller, identity.Trader)
	buyerAcc, sellerAcc := f.kztOperating(t, orderBuyer), f.kztOperating(t, orderSeller)
	race := func(n int, tok, path string, body any) map[int]int {
		var mu sync.Mutex
		codes := map[int]int{}
		var wg sync.WaitGroup
		for range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				st := f.call(t, "POST", path, tok, body).status
				mu.Lock()
				codes[st]++
				mu.Unlock()
			}()
		}
		wg.Wait()
		return codes
	}
	const amount, fee = int64(40 * 95_00), int64(40 * 95_00 * 150 / 10000)

	// Twenty acceptances at once: one order.
	rfq, quote := f.orderRFQ(t, buyer, seller)
	if codes := race(20, buyer, "/api/v1/market/quotes/"+quote+"/accept", nil); codes[201] != 1 || codes[409] != 19 {
		t.Fatalf("concurrent accepts: %v", codes)
	}
	id, _ := f.call(t, "GET", "/api/v1/market/rfqs/"+rfq, buyer, nil).json(t)["order_id"].(string)
	if id == "" {
		t.Fatal("no order on the awarded rfq")
	}

	// Twenty payments at once: charged once.
	before := f.ledgerAccount(t, buyerAcc.ID.String())
	if codes := race(20, buyer, "/api/v1/market/orders/"+id+"/pay", map[string]any{"pay_from": buyerAcc.ID.String()}); codes[200] == 0 || codes[500] > 0 {
		t.Fatalf("concurrent pays: %v", codes)
	}
	if a := f.ledgerAccount(t, buyerAcc.ID.String()); a.DebitsPending != before.DebitsPending+amount || a.Balance() != before.Balance() {
		t.Fatalf("after 20 pays: pending %d (want %d)", a.DebitsPending, before.DebitsPending+amount)
	}
	step := func(tok, path string, body any) {
		t.Helper()
		if r := f.call(t, "POST", "/api/v1/market/orders/"+id+path, tok, body); r.status != 200 {
			t.Fatalf("%s: %d %s", path, r.status, r.body)
		}
	}
	confirm := map[string]any{"pay_to": sellerAcc.ID.String(), "ship_from": "RUOMS", "border_post": "KZPPK", "mode": "road", "gross_kg": 40_200, "net_kg": 40_000}
	step(seller, "/confirm", confirm)
	step(seller, "/ship", nil)

	// Twenty delivery confirmations at once: the seller is paid once.
	sellerBefore := f.ledgerAccount(t, sellerAcc.ID.String())
	if codes := race(20, buyer, "/api/v1/market/orders/"+id+"/deliver", nil); codes[200] == 0 || codes[500] > 0 {
		t.Fatalf("concurrent deliveries: %v", codes)
	}
	if a := f.ledgerAccount(t, sellerAcc.ID.String()); a.Balance() != sellerBefore.Balance()+amount-fee {
		t.Fatalf("after 20 deliveries the seller has %d, want %d", a.Balance(), sellerBefore.Balance()+amount-fee)
	}
	if a := f.ledgerAccount(t, buyerAcc.ID.String()); a.Balance() != before.Balance()-amount || a.DebitsPending != before.DebitsPending {
		t.Fatalf("after release the buyer has %d pending %d", a.Balance(), a.DebitsPending)
	}

	// A cancellation racing a delivery confirmation: exactly one outcome,
	// and the money says the same.
	for range 3 {
		_, quote := f.orderRFQ(t, buyer, seller)
		r := f.call(t, "POST", "/api/v1/market/quotes/"+quote+"/accept", buyer, nil)
		if r.status != 201 {
			t.Fatalf("accept: %d %s", r.status, r.body)
		}
		id = r.json(t)["id"].(string)
		step(buyer, "/pay", map[string]any{"pay_from": buyerAcc.ID.String()})
		step(seller, "/confirm", confirm)
		step(seller, "/ship", nil)
		b0, s0 := f.ledgerAccount(t, buyerAcc.ID.String()), f.ledgerAccount(t, sellerAcc.ID.String())
		var wg sync.WaitGroup
		wg.Add(2)
		go func() {
			defer wg.Done()
			f.call(t, "POST", "/api/v1/market/orders/"+id+"/cancel", seller, map[string]any{"reason": "out of stock"})
		}()
		go func() { defer wg.Done(); f.call(t, "POST", "/api/v1/market/orders/"+id+"/deliver", buyer, nil) }()
		wg.Wait()
		b1, s1 := f.ledgerAccount(t, buyerAcc.ID.String()), f.ledgerAccount(t, sellerAcc.ID.String())
		switch st := f.call(t, "GET", "/api/v1/market/orders/"+id, buyer, nil).json(t)["status"]; st {
		case "released":
			if b0.Balance()-b1.Balance() != amount || s1.Balance()-s0.Balance() != amount-fee || b1.DebitsPending != b0.DebitsPending-amount {
				t.Fatalf("released, but buyer -%d seller +%d", b0.Balance()-b1.Balance(), s1.Balance()-s0.Balance())
			}
		case "cancelled":
			if b1.Balance() != b0.Balance() || s1.Balance() != s0.Balance() || b1.DebitsPending != b0.DebitsPending-amount {
				t.Fatalf("cancelled, but money moved: buyer %d→%d seller %d→%d", b0.Balance(), b1.Balance(), s0.Balance(), s1.Balance())
			}
		default:
			t.Fatalf("after the race the order is %v", st)
		}
	}
	if rep, err := f.db.Verify(context.Background()); err != nil || len(rep.Problems) > 0 {
		t.Fatalf("ledger verify: %v %v", rep.Problems, err)
	}
}
