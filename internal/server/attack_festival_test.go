package server

import (
	"context"
	"sync"
	"testing"

	"bricstown/internal/identity"

	"github.com/google/uuid"
)

// What an attacker tries on festival tickets, after the forbidden cases of
// TestAPIFestivalForbidden: fire one purchase twenty times at once to get
// two tickets or be charged twice, reuse another organisation's key to be
// handed its ticket, and race cancellations to be refunded twice.
func TestAttackFestivalMoney(t *testing.T) {
	f := getFixture(t)
	kge := f.token(t, apiKGE, identity.Trader)
	szd := f.token(t, "Khorgos Gateway Logistics", identity.Trader)
	const price = 2_500_00
	perf := f.festivalPerformance(t, "Attack festival", 50, price)
	kgeAcc, szdAcc := f.kztOperating(t, apiKGE), f.kztOperating(t, "Khorgos Gateway Logistics")
	kgeBefore, szdBefore := f.ledgerAccount(t, kgeAcc.ID.String()), f.ledgerAccount(t, szdAcc.ID.String())
	key := uuid.NewString()
	in := map[string]any{"performance_id": perf["id"], "category_id": categoryID(perf, 0), "key": key, "pay_from": kgeAcc.ID.String()}

	// Twenty purchases with one key at once: one ticket, charged once.
	var mu sync.Mutex
	ids := map[string]int{}
	codes := map[int]int{}
	var wg sync.WaitGroup
	for range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := f.call(t, "POST", "/api/v1/festival/tickets", kge, in)
			mu.Lock()
			defer mu.Unlock()
			codes[r.status]++
			if r.status == 200 || r.status == 201 {
				ids[r.json(t)["id"].(string)]++
			}
		}()
	}
	wg.Wait()
	if len(ids) != 1 || codes[500] > 0 || codes[200]+codes[201] == 0 {
		t.Fatalf("one key, twenty purchases: tickets %v, codes %v", ids, codes)
	}
	var tid string
	for id := range ids {
		tid = id
	}
	if a := f.ledgerAccount(t, kgeAcc.ID.String()); a.Balance() != kgeBefore.Balance()-price || a.DebitsPending != kgeBefore.DebitsPending {
		t.Fatalf("after 20 purchases: balance %d pending %d, want %d", a.Balance(), a.DebitsPending, kgeBefore.Balance()-price)
	}
	// The same key from another organisation is its own purchase: its own
	// ticket, paid by itself, never KGE's.
	in2 := map[string]any{"performance_id": perf["id"], "category_id": categoryID(perf, 0), "key": key, "pay_from": szdAcc.ID.String()}
	r := f.call(t, "POST", "/api/v1/festival/tickets", szd, in2)
	if r.status != 201 || r.json(t)["id"] == tid {
		t.Fatalf("another org's key: %d %s", r.status, r.body)
	}
	if a := f.ledgerAccount(t, szdAcc.ID.String()); a.Balance() != szdBefore.Balance()-price {
		t.Fatalf("the other org paid %d", szdBefore.Balance()-a.Balance())
	}
	// Twenty cancellations at once: refunded once (three days ahead, the
	// policy refunds in full).
	codes = map[int]int{}
	for range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			st := f.call(t, "POST", "/api/v1/festival/tickets/"+tid+"/cancel", kge, nil).status
			mu.Lock()
			codes[st]++
			mu.Unlock()
		}()
	}
	wg.Wait()
	if codes[200] == 0 || codes[500] > 0 {
		t.Fatalf("concurrent cancels: %v", codes)
	}
	if a := f.ledgerAccount(t, kgeAcc.ID.String()); a.Balance() != kgeBefore.Balance() || a.DebitsPending != kgeBefore.DebitsPending {
		t.Fatalf("after 20 cancels: balance %d pending %d, want %d", a.Balance(), a.DebitsPending, kgeBefore.Balance())
	}
	// The retry of the cancelled purchase is still that one ticket.
	if r := f.call(t, "POST", "/api/v1/festival/tickets", kge, in); r.status != 200 || r.json(t)["id"] != tid || r.json(t)["status"] != "cancelled" {
		t.Fatalf("retry after cancel: %d %s", r.status, r.body)
	}
	if rep, err := f.db.Verify(context.Background()); err != nil || len(rep.Problems) > 0 {
		t.Fatalf("ledger verify: %v %v", rep.Problems, err)
	}
}
