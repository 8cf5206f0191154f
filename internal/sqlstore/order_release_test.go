package sqlstore

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"bricstown/internal/order"
)

// shippedOrder takes a fresh RFQ to a shipped, paid order.
func (w *orderWorld) shippedOrder(t *testing.T) string {
	t.Helper()
	ctx := context.Background()
	_, q := w.rfq(t)
	o, err := w.svc.AcceptQuote(ctx, w.buyer, q.ID)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.svc.Pay(ctx, w.buyer, o.ID, order.PayInput{PayFrom: w.buyerAcc.String()}); err != nil {
		t.Fatal(err)
	}
	if _, err := w.svc.Confirm(ctx, w.seller, o.ID, order.ConfirmInput{PayTo: w.sellerAcc.String(), ShipFrom: "KZALA", BorderPost: "KZHOR",
		Mode: "road", GrossKg: 110, NetKg: 100}); err != nil {
		t.Fatal(err)
	}
	if _, err := w.svc.Ship(ctx, w.seller, o.ID); err != nil {
		t.Fatal(err)
	}
	return o.ID
}

// TestOrderReleaseDue: at the end of the dispute window the escrow is
// released without anyone asking, exactly once under two concurrent
// passes; a disputed order waits for the ruling; nothing is released
// before its window ends.
func TestOrderReleaseDue(t *testing.T) {
	engines(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		w := newOrderWorld(t, db)
		due := w.shippedOrder(t)
		disputed := w.shippedOrder(t)
		if _, err := w.svc.OpenDispute(ctx, w.buyer, disputed, order.DisputeInput{Reason: "Wet sacks"}); err != nil {
			t.Fatal(err)
		}
		if n, err := w.svc.ReleaseDue(ctx); err != nil || n != 0 {
			t.Fatalf("inside the window: %d released, %v", n, err)
		}
		w.advance(order.DisputeWindow + time.Second)
		var wg sync.WaitGroup
		var total atomic.Int64
		for range 2 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				n, err := w.svc.ReleaseDue(ctx)
				if err != nil {
					t.Error(err)
				}
				total.Add(int64(n))
			}()
		}
		wg.Wait()
		if total.Load() != 1 {
			t.Fatalf("%d releases counted, want 1", total.Load())
		}
		v, err := w.svc.Get(ctx, w.seller, due)
		if err != nil || v.Status != order.Released || v.Escrow.State != "released" {
			t.Fatalf("due order %s %s %v", v.Status, v.Escrow.State, err)
		}
		if v, _ := w.svc.Get(ctx, w.seller, disputed); v.Status != order.Disputed || v.Escrow.State != "held" {
			t.Fatalf("disputed order %s %s", v.Status, v.Escrow.State)
		}
		// Once paid out: the seller has one payout, the buyer one hold still.
		if bal, _ := w.balance(t, w.sellerAcc); bal != 1250_00-18_75 {
			t.Fatalf("seller %d", bal)
		}
		if bal, pend := w.balance(t, w.buyerAcc); bal != 8_750_00 || pend != 1250_00 {
			t.Fatalf("buyer %d pending %d", bal, pend)
		}
		// A later pass and the seller's own request find nothing left to do.
		if n, err := w.svc.ReleaseDue(ctx); err != nil || n != 0 {
			t.Fatalf("second pass: %d, %v", n, err)
		}
		if _, err := w.svc.SellerRelease(ctx, w.seller, due); err == nil {
			t.Fatal("released twice")
		}
		if rep, err := db.Verify(ctx); err != nil || len(rep.Problems) > 0 {
			t.Fatalf("ledger: %v %v", rep.Problems, err)
		}
	})
}
