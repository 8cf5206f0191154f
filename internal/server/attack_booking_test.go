package server

import (
	"context"
	"sync"
	"testing"

	"bricstown/internal/identity"

	"github.com/google/uuid"
)

// What an attacker tries on paid bookings, after the forbidden cases of
// TestAPIBookingForbidden: reuse another organisation's idempotency key to
// be handed its booking, and race confirmations and cancellations to be
// charged once but refunded twice. Each must leave the money as it was.
func TestAttackBookingMoney(t *testing.T) {
	f := getFixture(t)
	kge := f.token(t, apiKGE, identity.Trader)
	szd := f.token(t, "Siberian Energy Trading", identity.Trader)
	room := f.bookingResource(t, kge, "Meeting Room Kazan")
	id := room["id"].(string)
	price := int64(room["price_kzt"].(float64))
	kgeAcc, szdAcc := f.kztOperating(t, apiKGE), f.kztOperating(t, "Siberian Energy Trading")
	kgeBefore, szdBefore := f.ledgerAccount(t, kgeAcc.ID.String()), f.ledgerAccount(t, szdAcc.ID.String())

	// KGE holds a slot under its key.
	key := uuid.NewString()
	r := f.call(t, "POST", "/api/v1/booking/bookings", kge, map[string]any{"resource_id": id, "start": f.freeSlot(t, kge, id, 6), "key": key, "pay_from": kgeAcc.ID.String()})
	if r.status != 201 {
		t.Fatalf("hold: %d %s", r.status, r.body)
	}
	bid := r.json(t)["id"].(string)

	// The same key from another organisation is that organisation's own key:
	// it makes its own booking and is never handed KGE's.
	other := f.call(t, "POST", "/api/v1/booking/bookings", szd, map[string]any{"resource_id": id, "start": f.freeSlot(t, szd, id, 7), "key": key, "pay_from": szdAcc.ID.String()})
	if other.status != 201 || other.json(t)["id"] == bid {
		t.Fatalf("another org's key: %d %s", other.status, other.body)
	}
	if got := f.call(t, "POST", "/api/v1/booking/bookings/"+other.json(t)["id"].(string)+"/cancel", szd, nil); got.status != 200 {
		t.Fatalf("cancel the other hold: %d %s", got.status, got.body)
	}

	// Twenty confirmations at once: charged once.
	race := func(path string) map[int]int {
		var mu sync.Mutex
		codes := map[int]int{}
		var wg sync.WaitGroup
		for range 20 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				st := f.call(t, "POST", path, kge, nil).status
				mu.Lock()
				codes[st]++
				mu.Unlock()
			}()
		}
		wg.Wait()
		return codes
	}
	if codes := race("/api/v1/booking/bookings/" + bid + "/confirm"); codes[200] == 0 || codes[500] > 0 {
		t.Fatalf("concurrent confirms: %v", codes)
	}
	if a := f.ledgerAccount(t, kgeAcc.ID.String()); a.Balance() != kgeBefore.Balance()-price || a.DebitsPending != kgeBefore.DebitsPending {
		t.Fatalf("after 20 confirms: balance %d pending %d, want %d and %d", a.Balance(), a.DebitsPending, kgeBefore.Balance()-price, kgeBefore.DebitsPending)
	}

	// Twenty cancellations at once: refunded once, and the booker is where
	// it started (the slot is days ahead, so the policy refunds in full).
	if codes := race("/api/v1/booking/bookings/" + bid + "/cancel"); codes[200] == 0 || codes[500] > 0 {
		t.Fatalf("concurrent cancels: %v", codes)
	}
	if a := f.ledgerAccount(t, kgeAcc.ID.String()); a.Balance() != kgeBefore.Balance() || a.DebitsPending != kgeBefore.DebitsPending {
		t.Fatalf("after 20 cancels: balance %d pending %d, want %d and %d", a.Balance(), a.DebitsPending, kgeBefore.Balance(), kgeBefore.DebitsPending)
	}
	if a := f.ledgerAccount(t, szdAcc.ID.String()); a.Balance() != szdBefore.Balance() || a.DebitsPending != szdBefore.DebitsPending {
		t.Fatalf("the other org's cancelled hold left money moved: %+v -> %+v", szdBefore, a)
	}
	if rep, err := f.db.Verify(context.Background()); err != nil || len(rep.Problems) > 0 {
		t.Fatalf("ledger verify: %v %v", rep.Problems, err)
	}
}
