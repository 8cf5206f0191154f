package server

import (
	"context"
	"sync"
	"testing"

	"bricstown/internal/identity"
)

// What an attacker tries on an order paid across currencies: paying from
// another company's account in the other currency, twenty payments at
// once to be converted (and charged) twice, and a retry after success.
func TestAttackOrderConversion(t *testing.T) {
	f := getFixture(t)
	buyer, seller := f.token(t, orderBuyer, identity.Trader), f.token(t, orderSeller, identity.Trader)
	other := f.token(t, orderOther, identity.Trader)
	steppe := f.token(t, "Steppe Commercial Bank", identity.BankOperator)
	if r := f.call(t, "POST", "/api/v1/fx/rates", steppe, map[string]any{"pair": "KZT/CNY", "bid": "0.0150", "ask": "0.0152"}); r.status != 201 {
		t.Fatalf("publish: %d %s", r.status, r.body)
	}
	f.fxInventory(t, "Steppe Commercial Bank", "KZT", "1000000.00")
	f.fxInventory(t, "Steppe Commercial Bank", "CNY", "1.00")
	treasury := f.openAccount(t, steppe, "CNY", false)
	cnyFunds := func(tok string) string {
		acc := f.openAccount(t, tok, "CNY", true)
		fund := map[string]any{"transfers": []map[string]any{{"id": v7(), "debit_account_id": treasury, "credit_account_id": acc, "amount": "10000.00", "currency": "CNY"}}}
		if got := results(t, f.call(t, "POST", "/api/v1/ledger/transfers", steppe, fund)); got[0] != "ok" {
			t.Fatalf("funding CNY: %v", got)
		}
		return acc
	}
	mine, theirs := cnyFunds(buyer), cnyFunds(other)
	_, quote := f.orderRFQ(t, buyer, seller)
	r := f.call(t, "POST", "/api/v1/market/quotes/"+quote+"/accept", buyer, nil)
	if r.status != 201 {
		t.Fatalf("accept: %d %s", r.status, r.body)
	}
	id := r.json(t)["id"].(string)
	pay := "/api/v1/market/orders/" + id + "/pay"

	// Another company's CNY account: refused like an unknown one, nothing held.
	theirsBefore := f.ledgerAccount(t, theirs)
	if r := f.call(t, "POST", pay, buyer, map[string]any{"pay_from": theirs}); r.status != 400 || field(t, r, "pay_from") == "" {
		t.Fatalf("paid from another company's account: %d %s", r.status, r.body)
	}
	if a := f.ledgerAccount(t, theirs); a.DebitsPending != theirsBefore.DebitsPending || a.Balance() != theirsBefore.Balance() {
		t.Fatal("the other company's account moved")
	}

	// Twenty payments at once: converted and charged once.
	before := f.ledgerAccount(t, mine)
	var mu sync.Mutex
	codes := map[int]int{}
	var wg sync.WaitGroup
	for range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			st := f.call(t, "POST", pay, buyer, map[string]any{"pay_from": mine}).status
			mu.Lock()
			codes[st]++
			mu.Unlock()
		}()
	}
	wg.Wait()
	if codes[200] == 0 || codes[500] > 0 {
		t.Fatalf("concurrent pays: %v", codes)
	}
	o := f.call(t, "GET", "/api/v1/market/orders/"+id, buyer, nil).json(t)
	conv, _ := o["fx"].(map[string]any)
	if o["status"] != "paid" || conv == nil || conv["sell"] != "CNY" {
		t.Fatalf("after pay: %v %v", o["status"], conv)
	}
	sell := int64(conv["sell_amount"].(float64))
	// 3 800.00 KZT at the best executable price of the board (the demo's
	// banks or ours at 0.0152 CNY per KZT): some CNY, never more than 57.76.
	if sell <= 0 || sell > 57_76 {
		t.Fatalf("sell amount %d", sell)
	}
	after := f.ledgerAccount(t, mine)
	if after.DebitsPending != before.DebitsPending+sell || after.Balance() != before.Balance() {
		t.Fatalf("after 20 pays: pending %d (want %d)", after.DebitsPending, before.DebitsPending+sell)
	}
	// A retry after success converts nothing more.
	if r := f.call(t, "POST", pay, buyer, map[string]any{"pay_from": mine}); r.status != 409 {
		t.Fatalf("retry: %d %s", r.status, r.body)
	}
	if a := f.ledgerAccount(t, mine); a.DebitsPending != after.DebitsPending {
		t.Fatalf("retry moved money: pending %d", a.DebitsPending)
	}
	// Cancelled: the buyer's CNY is whole again.
	if r := f.call(t, "POST", "/api/v1/market/orders/"+id+"/cancel", buyer, map[string]any{"reason": "changed plans"}); r.status != 200 {
		t.Fatalf("cancel: %d %s", r.status, r.body)
	}
	if a := f.ledgerAccount(t, mine); a.DebitsPending != before.DebitsPending || a.Balance() != before.Balance() {
		t.Fatalf("after cancel: balance %d pending %d", a.Balance(), a.DebitsPending)
	}
	if rep, err := f.db.Verify(context.Background()); err != nil || len(rep.Problems) > 0 {
		t.Fatalf("ledger verify: %v %v", rep.Problems, err)
	}
}
