package server

import (
	"context"
	"testing"
	"time"

	"bricstown/internal/audit"
	"bricstown/internal/booking"
	"bricstown/internal/ledger"

	"github.com/google/uuid"
)

// TestBookingSweeperFinishesCrashedConfirmations leaves two paid bookings
// as a process that stopped mid-confirmation would: one moved to
// confirming before the ledger was asked to post, one after the post. The
// sweeper confirms both, charges each exactly once, and a second sweep
// finds nothing to do.
func TestBookingSweeperFinishesCrashedConfirmations(t *testing.T) {
	f := getFixture(t)
	ctx := context.Background()
	kge := f.token(t, apiKGE, "trader")
	room := f.bookingResource(t, kge, "Meeting Room Shanghai")
	id := room["id"].(string)
	price := int64(room["price_kzt"].(float64))
	acc := f.kztOperating(t, apiKGE)
	before := f.ledgerAccount(t, acc.ID.String())

	hold := func(skip int) string {
		r := f.call(t, "POST", "/api/v1/booking/bookings", kge, map[string]any{"resource_id": id, "start": f.freeSlot(t, kge, id, skip),
			"key": uuid.NewString(), "pay_from": acc.ID.String()})
		if r.status != 201 {
			t.Fatalf("hold: %d %s", r.status, r.body)
		}
		bid := r.json(t)["id"].(string)
		// The crash: the booking is confirming, nobody finishes it.
		if _, err := f.db.MoveBooking(ctx, booking.Move{ID: bid, From: []booking.Status{booking.Held}, To: booking.Confirming, At: time.Now()},
			audit.Record{ActorUser: "test", Action: "booking.confirm"}); err != nil {
			t.Fatal(err)
		}
		return bid
	}
	beforePost := hold(8)
	afterPost := hold(9)
	res, err := f.srv.Ledger.SubmitSystem(ctx, []ledger.Transfer{{ID: booking.PostID(afterPost), PendingID: booking.HoldID(afterPost), Amount: price,
		Currency: "KZT", Flags: ledger.PostPending, Code: booking.CodeHold, Reference: afterPost}}, audit.Record{ActorUser: "test", Action: "booking.pay"})
	if err != nil || !res[0].Code.Created() {
		t.Fatalf("post before the crash: %v %v", res, err)
	}

	n, err := f.srv.Booking.FinishConfirmations(ctx, 0)
	if err != nil || n < 2 {
		t.Fatalf("sweep: %d finished, %v; want both", n, err)
	}
	for _, bid := range []string{beforePost, afterPost} {
		if b, err := f.db.GetBooking(ctx, bid); err != nil || b.Status != booking.Confirmed {
			t.Fatalf("booking %s after the sweep: %s %v, want confirmed", bid, b.Status, err)
		}
	}
	after := f.ledgerAccount(t, acc.ID.String())
	if after.Balance() != before.Balance()-2*price || after.DebitsPending != before.DebitsPending {
		t.Fatalf("balance %d pending %d, want %d and %d (each booking charged once)", after.Balance(), after.DebitsPending,
			before.Balance()-2*price, before.DebitsPending)
	}
	if n, err := f.srv.Booking.FinishConfirmations(ctx, 0); err != nil || n != 0 {
		t.Fatalf("second sweep: %d %v, want nothing left", n, err)
	}
}
