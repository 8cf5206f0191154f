package sqlstore

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"bricstown/internal/audit"
	"bricstown/internal/booking"
	"bricstown/internal/clinic"
	"bricstown/internal/festival"
	"bricstown/internal/identity"
	"bricstown/internal/ledger"
	"bricstown/internal/problem"

	"github.com/google/uuid"
)

func (w *festWorld) buy(t *testing.T, p *identity.Principal, acc ledger.ID, perf festival.Performance, cat int) festival.Ticket {
	t.Helper()
	tk, _, err := w.fs.Buy(context.Background(), p, festival.BuyInput{PerformanceID: perf.ID, CategoryID: perf.Categories[cat].ID, Key: uuid.NewString(), PayFrom: acc.String()})
	if err != nil {
		t.Fatal(err)
	}
	return tk
}

// refundsOnce counts, on the organiser's account, the posted payments and
// the refunds, and checks that no refund id appears twice.
func refundsOnce(t *testing.T, db *DB, acc ledger.ID) (posted, refunds int) {
	t.Helper()
	hist, err := db.History(context.Background(), acc, 0, 10_000)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, tr := range hist {
		switch {
		case tr.Code == booking.CodeHold && tr.Flags&ledger.PostPending != 0:
			posted++
		case tr.Code == booking.CodeRefund:
			refunds++
			if seen[tr.Reference] {
				t.Fatalf("booking %s refunded twice", tr.Reference)
			}
			seen[tr.Reference] = true
		}
	}
	return posted, refunds
}

func TestFestivalPerformanceCancel(t *testing.T) {
	engines(t, func(t *testing.T, db *DB) {
		w := newFestWorld(t, db)
		ctx := context.Background()
		perf := w.concert(t, 3)
		a := w.buy(t, w.acme, w.acmeAcc, perf, 0)
		w.buy(t, w.other, w.otherAcc, perf, 0)
		w.buy(t, w.acme, w.acmeAcc, perf, 1) // a free balcony seat
		// An open hold of the third stalls place, through the festival's handle.
		hold, _, err := w.svc.For("festival").Book(ctx, w.other, booking.BookInput{ResourceID: perf.Categories[0].ResourceID,
			Start: perf.Start.Format(time.RFC3339), Key: uuid.NewString(), PayFrom: w.otherAcc.String()})
		if err != nil || hold.Status != booking.Held {
			t.Fatalf("hold %+v %v", hold, err)
		}
		// Who may not cancel: a ticket holder, the door staff, another
		// organiser's administrator (the programme is public: forbidden);
		// an unknown or malformed id: not_found.
		other := &identity.Principal{UserID: "u-o", OrgID: "b-other", OrgKind: identity.KindEventOrganiser, Roles: []identity.Role{identity.OrgAdmin}}
		for _, p := range []*identity.Principal{w.acme, w.door, other, w.resident} {
			_, err := w.fs.CancelPerformance(ctx, p, perf.ID)
			mustProblem(t, err, problem.Forbidden, "")
		}
		for _, id := range []string{uuid.NewString(), "x", a.ID} {
			_, err := w.fs.CancelPerformance(ctx, w.owner, id)
			mustProblem(t, err, problem.NotFound, "")
		}
		if bal, _ := w.balance(t, w.ownerAcc); bal != 200_00 {
			t.Fatalf("owner %d before", bal)
		}
		c, err := w.fs.CancelPerformance(ctx, w.owner, perf.ID)
		if err != nil || c.Performance.CancelledAt.IsZero() || c.Refunded != 4 || c.RefundsPending {
			t.Fatalf("cancel %+v %v", c, err)
		}
		for _, acc := range []ledger.ID{w.acmeAcc, w.otherAcc} {
			if bal, p := w.balance(t, acc); bal != 1_000_00 || p != 0 {
				t.Fatalf("buyer %d pending %d", bal, p)
			}
		}
		if bal, _ := w.balance(t, w.ownerAcc); bal != 0 {
			t.Fatalf("owner %d", bal)
		}
		// The holder sees the ticket cancelled; the door refuses it with
		// the reason; nothing more is sold, generically or not.
		got, err := w.fs.Ticket(ctx, w.acme, a.ID)
		if err != nil || got.Status != festival.Cancelled || got.RefundKZT != 100_00 {
			t.Fatalf("ticket %+v %v", got, err)
		}
		_, err = w.fs.CheckIn(ctx, w.door, a.Token)
		mustProblem(t, err, problem.Conflict, "token")
		_, _, err = w.fs.Buy(ctx, w.other, festival.BuyInput{PerformanceID: perf.ID, CategoryID: perf.Categories[1].ID, Key: uuid.NewString()})
		mustProblem(t, err, problem.Conflict, "performance_id")
		_, _, err = w.svc.For("festival").Book(ctx, w.other, booking.BookInput{ResourceID: perf.Categories[1].ResourceID,
			Start: perf.Start.Format(time.RFC3339), Key: uuid.NewString()})
		mustProblem(t, err, problem.Conflict, "resource_id")
		// Again: the same answer, no money moves.
		c, err = w.fs.CancelPerformance(ctx, w.owner, perf.ID)
		if err != nil || c.Refunded != 0 {
			t.Fatalf("second cancel %+v %v", c, err)
		}
		if posted, refunds := refundsOnce(t, db, w.ownerAcc); posted != 2 || refunds != 2 {
			t.Fatalf("%d posted, %d refunded", posted, refunds)
		}
		verifyLedger(t, db)
	})
}

// TestFestivalCancelResumes stops "the process" right after the
// cancellation's transaction: the booking sweeper refunds what is left,
// once, and a later cancel finds nothing to do.
func TestFestivalCancelResumes(t *testing.T) {
	engines(t, func(t *testing.T, db *DB) {
		w := newFestWorld(t, db)
		ctx := context.Background()
		perf := w.concert(t, 3)
		w.buy(t, w.acme, w.acmeAcc, perf, 0)
		w.buy(t, w.other, w.otherAcc, perf, 0)
		if changed, err := db.CancelPerformance(ctx, perf.ID, w.clock(), audit.Record{ActorUser: "u-expo", Action: "festival.performance.cancel"}); err != nil || !changed {
			t.Fatalf("cancel %v %v", changed, err)
		}
		if bal, _ := w.balance(t, w.ownerAcc); bal != 200_00 {
			t.Fatalf("owner %d: money moved in the marking transaction", bal)
		}
		if n, err := w.svc.FinishWithdrawals(ctx); err != nil || n != 2 {
			t.Fatalf("sweep %d %v", n, err)
		}
		if n, err := w.svc.FinishWithdrawals(ctx); err != nil || n != 0 {
			t.Fatalf("second sweep %d %v", n, err)
		}
		if c, err := w.fs.CancelPerformance(ctx, w.owner, perf.ID); err != nil || c.Refunded != 0 {
			t.Fatalf("cancel after the sweep %+v %v", c, err)
		}
		if bal, _ := w.balance(t, w.ownerAcc); bal != 0 {
			t.Fatalf("owner %d", bal)
		}
		if posted, refunds := refundsOnce(t, db, w.ownerAcc); posted != 2 || refunds != 2 {
			t.Fatalf("%d posted, %d refunded", posted, refunds)
		}
		verifyLedger(t, db)
	})
}

// TestFestivalCancelUnderFire: 20 concurrent cancels while 30 purchases
// race them. Every payment that reached the organiser is refunded exactly
// once, no ticket is valid afterwards, and the ledger verifies.
func TestFestivalCancelUnderFire(t *testing.T) {
	engines(t, func(t *testing.T, db *DB) {
		w := newFestWorld(t, db)
		ctx := context.Background()
		perf := w.concert(t, 40)
		for i := range 4 {
			if i%2 == 0 {
				w.buy(t, w.acme, w.acmeAcc, perf, 0)
			} else {
				w.buy(t, w.other, w.otherAcc, perf, 0)
			}
		}
		// Buyers keep buying; the cancels start once purchases are under
		// way, so some race the cancellation's transaction.
		fire := make(chan struct{})
		var once sync.Once
		var wg sync.WaitGroup
		var cancelled, bought, refused atomic.Int32
		for range 20 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-fire
				if _, err := w.fs.CancelPerformance(ctx, w.owner, perf.ID); err != nil {
					t.Error(err)
					return
				}
				cancelled.Add(1)
			}()
		}
		for i := range 10 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				p, acc := w.acme, w.acmeAcc
				if i%2 == 1 {
					p, acc = w.other, w.otherAcc
				}
				for range 3 {
					_, _, err := w.fs.Buy(ctx, p, festival.BuyInput{PerformanceID: perf.ID, CategoryID: perf.Categories[0].ID, Key: uuid.NewString(), PayFrom: acc.String()})
					switch {
					case err == nil:
						bought.Add(1)
					case problem.Is(err, problem.Conflict):
						refused.Add(1)
					default:
						t.Error(err)
					}
					once.Do(func() { close(fire) })
				}
			}()
		}
		wg.Wait()
		if cancelled.Load() != 20 {
			t.Fatalf("%d cancels answered", cancelled.Load())
		}
		// A purchase racing the cancel may have paid after the callers
		// listed the bookings: the sweeper finishes it.
		if _, err := w.svc.FinishWithdrawals(ctx); err != nil {
			t.Fatal(err)
		}
		tickets, err := db.ListTickets(ctx, festival.TicketQuery{PerformanceID: perf.ID, Limit: 1000})
		if err != nil {
			t.Fatal(err)
		}
		for _, tk := range tickets {
			if tk.Status != festival.Cancelled {
				t.Fatalf("ticket %s is %s after the cancellation", tk.ID, tk.Status)
			}
		}
		if len(tickets) < 4 {
			t.Fatalf("%d tickets", len(tickets))
		}
		posted, refunds := refundsOnce(t, db, w.ownerAcc)
		if posted != refunds || posted < 4 {
			t.Fatalf("%d posted, %d refunded", posted, refunds)
		}
		for _, acc := range []ledger.ID{w.acmeAcc, w.otherAcc, w.ownerAcc} {
			bal, pending := w.balance(t, acc)
			if acc == w.ownerAcc && bal != 0 || acc != w.ownerAcc && bal != 1_000_00 || pending != 0 {
				t.Fatalf("balance %d pending %d", bal, pending)
			}
		}
		if refused.Load() == 0 {
			t.Fatal("no purchase met the cancellation")
		}
		t.Logf("%d tickets, %d bought during the cancel, %d refused, %d refunds", len(tickets), bought.Load(), refused.Load(), refunds)
		verifyLedger(t, db)
	})
}

// TestManagedResourcesNotGeneric: festival and clinic resources are
// neither listed nor booked through the generic booking handle.
func TestManagedResourcesNotGeneric(t *testing.T) {
	engines(t, func(t *testing.T, db *DB) {
		w := newFestWorld(t, db)
		ctx := context.Background()
		perf := w.concert(t, 3)
		plain := w.room(t, 2, 0, true)
		for _, mine := range []bool{false, true} {
			list, err := w.svc.Resources(ctx, w.owner, mine, "", 100)
			if err != nil || len(list) != 1 || list[0].ID != plain.ID {
				t.Fatalf("generic list (mine %v) %+v %v", mine, list, err)
			}
		}
		res := perf.Categories[1].ResourceID
		_, _, err := w.svc.Book(ctx, w.acme, booking.BookInput{ResourceID: res, Start: perf.Start.Format(time.RFC3339), Key: uuid.NewString()})
		mustProblem(t, err, problem.Conflict, "resource_id")
		_, err = w.svc.JoinWait(ctx, w.acme, booking.WaitInput{ResourceID: res, Start: perf.Start.Format(time.RFC3339)})
		mustProblem(t, err, problem.Conflict, "resource_id")
		_, err = w.svc.UpdateResource(ctx, w.owner, res, booking.ResourceInput{Name: "X", Kind: "venue", Capacity: 1})
		mustProblem(t, err, problem.Conflict, "resource_id")
		// A ticket's booking is not confirmed or cancelled generically
		// (the ticket would stay valid with its money refunded).
		tk := w.buy(t, w.acme, w.acmeAcc, perf, 0)
		_, err = w.svc.Cancel(ctx, w.acme, tk.BookingID)
		mustProblem(t, err, problem.Conflict, "resource_id")
		if bal, _ := w.balance(t, w.acmeAcc); bal != 900_00 {
			t.Fatalf("acme %d", bal)
		}
		// The service's own handle lists its resources.
		if list, err := w.svc.For("festival").Resources(ctx, w.owner, true, "", 100); err != nil || len(list) != 2 {
			t.Fatalf("festival list %d %v", len(list), err)
		}
	})
}

// TestClinicResourcesNotGeneric: a doctor's calendar is booked through the
// clinic (a consultation with its patient and doctor), never through the
// generic booking handle, and is not in its list.
func TestClinicResourcesNotGeneric(t *testing.T) {
	engines(t, func(t *testing.T, db *DB) {
		w := newClinicWorld(t, db)
		ctx := context.Background()
		d := w.doctor(t, w.admin, "u-docA")
		_, _, err := w.bookingWorld.svc.Book(ctx, w.pat1, booking.BookInput{ResourceID: d.ID, Start: slotAt(10), Key: uuid.NewString()})
		mustProblem(t, err, problem.Conflict, "resource_id")
		list, err := w.bookingWorld.svc.Resources(ctx, w.admin, true, "", 100)
		if err != nil || len(list) != 0 {
			t.Fatalf("generic list of the clinic's resources %+v %v", list, err)
		}
		// Through the clinic the slot books as before.
		if _, _, err := w.svc.Book(ctx, w.pat1, clinic.BookInput{DoctorID: d.ID, Start: slotAt(10), Mode: clinic.Telemedicine, Key: uuid.NewString()}); err != nil {
			t.Fatal(err)
		}
	})
}
