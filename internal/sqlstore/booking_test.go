package sqlstore

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"bricstown/internal/audit"
	"bricstown/internal/booking"
	"bricstown/internal/identity"
	"bricstown/internal/ledger"
	"bricstown/internal/problem"

	"github.com/google/uuid"
)

// bookingWorld is a conference centre (the owner) with a KZT account, two
// booking companies with 1 000 KZT each, a company with nothing and a
// resident, on one ledger and one clock.
type bookingWorld struct {
	db                       *DB
	svc                      *booking.Service
	led                      *ledger.Service
	mu                       sync.Mutex
	now                      time.Time
	owner, acme, other, poor *identity.Principal
	resident, ownerTrader    *identity.Principal
	ownerAcc, acmeAcc        ledger.ID
	otherAcc, poorAcc        ledger.ID
	issuer                   ledger.ID
}

func (w *bookingWorld) clock() time.Time {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.now
}

func (w *bookingWorld) advance(d time.Duration) {
	w.mu.Lock()
	w.now = w.now.Add(d)
	w.mu.Unlock()
}

func newBookingWorld(t testing.TB, db *DB) *bookingWorld {
	ctx := context.Background()
	// Monday 2030-01-07 08:00 in Almaty (03:00 UTC).
	w := &bookingWorld{db: db, now: time.Date(2030, 1, 7, 3, 0, 0, 0, time.UTC)}
	for id, k := range map[string]identity.OrgKind{"b-expo": identity.KindEventOrganiser, "b-acme": identity.KindCompany,
		"b-other": identity.KindCompany, "b-poor": identity.KindCompany, "b-residents": identity.KindResidents, "b-centre": identity.KindBank} {
		o := identity.Org{ID: id, Name: id, Kind: k, Country: "KZ", RegScheme: "REG", RegID: id, CreatedAt: w.now}
		if err := db.CreateOrg(ctx, o, audit.Record{ActorUser: "test", Action: "org.create"}); err != nil {
			t.Fatal(err)
		}
	}
	w.led = ledger.NewService(db, ledger.Config{Exponent: exp, Now: w.clock, SweepEvery: time.Hour})
	lctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	go w.led.Run(lctx)
	w.issuer, w.ownerAcc, w.acmeAcc, w.otherAcc, w.poorAcc = newID(), newID(), newID(), newID(), newID()
	funds := func(id ledger.ID, org string) ledger.Account {
		return ledger.Account{ID: id, OrgID: org, Currency: "KZT", Kind: ledger.Liability, Code: "funds", Flags: ledger.DebitsMustNotExceedCredits}
	}
	if err := db.CreateAccounts(ctx, []ledger.Account{
		{ID: w.issuer, OrgID: "b-centre", Currency: "KZT", Kind: ledger.Asset, Code: "issuance", Flags: ledger.Issuer | ledger.System, Limit: ledger.Unlimited},
		funds(w.ownerAcc, "b-expo"), funds(w.acmeAcc, "b-acme"), funds(w.otherAcc, "b-other"), funds(w.poorAcc, "b-poor"),
	}, audit.Record{ActorUser: "test"}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.CreateTransfers(ctx, []ledger.Transfer{
		{ID: newID(), DebitAccount: w.issuer, CreditAccount: w.acmeAcc, Amount: 1_000_00, Currency: "KZT"},
		{ID: newID(), DebitAccount: w.issuer, CreditAccount: w.otherAcc, Amount: 1_000_00, Currency: "KZT"},
	}, ledger.BatchOptions{Now: w.now}); err != nil {
		t.Fatal(err)
	}
	w.svc = booking.NewService(db, booking.Config{Ledger: w.led, Now: w.clock})
	pr := func(org string, kind identity.OrgKind, r ...identity.Role) *identity.Principal {
		return &identity.Principal{UserID: "u-" + org, OrgID: org, OrgKind: kind, Roles: r}
	}
	w.owner = pr("b-expo", identity.KindEventOrganiser, identity.OrgAdmin, identity.Organiser)
	w.ownerTrader = &identity.Principal{UserID: "u-expo-2", OrgID: "b-expo", OrgKind: identity.KindEventOrganiser, Roles: []identity.Role{identity.Organiser}}
	w.acme, w.other = pr("b-acme", identity.KindCompany, identity.Trader), pr("b-other", identity.KindCompany, identity.Trader)
	w.poor = pr("b-poor", identity.KindCompany, identity.Trader)
	w.resident = pr("b-residents", identity.KindResidents, identity.Resident)
	return w
}

// room is a resource of the owner: weekdays 09:00-18:00 Almaty, one-hour
// slots, the given capacity and price, refunds up to 24 hours before.
func (w *bookingWorld) room(t testing.TB, capacity int, price int64, public bool) booking.Resource {
	t.Helper()
	in := booking.ResourceInput{Name: "Hall A", Kind: "hall", Capacity: capacity, SlotMinutes: 60, HorizonDays: 60, HoldMinutes: 10,
		RefundHours: 24, PriceKZT: price, Public: public, MinNoticeMin: 30}
	for d := 1; d <= 5; d++ {
		in.Hours = append(in.Hours, booking.Hours{Day: d, From: "09:00", To: "18:00"})
	}
	if price > 0 {
		in.AccountID = w.ownerAcc.String()
	}
	r, err := w.svc.CreateResource(context.Background(), w.owner, in)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// slot is 10:00 Almaty on the Wednesday after the world's Monday.
func slotAt(hour int) string {
	return time.Date(2030, 1, 9, hour, 0, 0, 0, time.FixedZone("ALMT", 5*3600)).Format(time.RFC3339)
}

func (w *bookingWorld) balance(t *testing.T, id ledger.ID) (posted, pendingOut int64) {
	t.Helper()
	a, err := w.db.GetAccount(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return a.Balance(), a.DebitsPending
}

func TestBookingRefusals(t *testing.T) {
	engines(t, func(t *testing.T, db *DB) {
		w := newBookingWorld(t, db)
		ctx := context.Background()
		// Only an organisation's administrator makes resources.
		_, err := w.svc.CreateResource(ctx, w.ownerTrader, booking.ResourceInput{Name: "X", Kind: "room", Capacity: 1})
		mustProblem(t, err, problem.Forbidden, "")
		_, err = w.svc.CreateResource(ctx, w.acme, booking.ResourceInput{Name: "X", Kind: "room", Capacity: 1})
		mustProblem(t, err, problem.Forbidden, "")
		bad := booking.ResourceInput{Name: "X", Kind: "room", Capacity: 1, Hours: []booking.Hours{{Day: 1, From: "09:00", To: "18:00"}}}
		for field, mod := range map[string]func(*booking.ResourceInput){
			"time_zone":    func(in *booking.ResourceInput) { in.TimeZone = "Mars/Olympus" },
			"capacity":     func(in *booking.ResourceInput) { in.Capacity = -3 },
			"price_kzt":    func(in *booking.ResourceInput) { in.PriceKZT = -1 },
			"hours[0]":     func(in *booking.ResourceInput) { in.Hours = []booking.Hours{{Day: 1, From: "18:00", To: "09:00"}} },
			"hours":        func(in *booking.ResourceInput) { in.Hours = nil },
			"account_id":   func(in *booking.ResourceInput) { in.PriceKZT = 100; in.AccountID = w.acmeAcc.String() }, // another org's account
			"slot_minutes": func(in *booking.ResourceInput) { in.SlotMinutes = -5 },
		} {
			in := bad
			in.Hours = append([]booking.Hours(nil), bad.Hours...)
			mod(&in)
			_, err := w.svc.CreateResource(ctx, w.owner, in)
			mustProblem(t, err, problem.Invalid, field)
		}
		over := bad
		over.PriceKZT = 1 << 62
		over.AccountID = w.ownerAcc.String()
		_, err = w.svc.CreateResource(ctx, w.owner, over)
		mustProblem(t, err, problem.Invalid, "price_kzt")

		r := w.room(t, 2, 100_00, false)
		book := func(p *identity.Principal, start, from string) (booking.Booking, error) {
			b, _, err := w.svc.Book(ctx, p, booking.BookInput{ResourceID: r.ID, Start: start, Key: uuid.NewString(), PayFrom: from})
			return b, err
		}
		// Paying from another organisation's account looks like an unknown one.
		_, err = book(w.acme, slotAt(10), w.otherAcc.String())
		mustProblem(t, err, problem.Invalid, "pay_from")
		_, err = book(w.acme, slotAt(10), w.ownerAcc.String())
		mustProblem(t, err, problem.Invalid, "pay_from")
		// No funds: refused, nothing kept.
		_, err = book(w.poor, slotAt(10), w.poorAcc.String())
		mustProblem(t, err, problem.Conflict, "pay_from")
		// In the past, without notice, beyond the horizon, off the grid,
		// in closed hours (19:00, a Sunday), a bad time.
		for _, start := range []string{
			time.Date(2030, 1, 6, 10, 0, 0, 0, time.UTC).Format(time.RFC3339),
			time.Date(2030, 1, 7, 3, 10, 0, 0, time.UTC).Format(time.RFC3339),
			time.Date(2030, 6, 5, 5, 0, 0, 0, time.UTC).Format(time.RFC3339),
			time.Date(2030, 1, 9, 10, 30, 0, 0, time.FixedZone("ALMT", 5*3600)).Format(time.RFC3339),
			slotAt(19), time.Date(2030, 1, 13, 10, 0, 0, 0, time.FixedZone("ALMT", 5*3600)).Format(time.RFC3339),
			"tomorrow at ten",
		} {
			_, err = book(w.acme, start, w.acmeAcc.String())
			mustProblem(t, err, problem.Invalid, "start")
		}
		// A resident may not book a resource that is not public; it does
		// not even see it.
		_, err = book(w.resident, slotAt(10), "")
		mustProblem(t, err, problem.NotFound, "resource_id")
		// Nothing was taken and nothing moved.
		if l, _ := w.svc.OnResource(ctx, w.owner, r.ID, time.Time{}, time.Time{}); len(l) != 0 {
			t.Fatalf("bookings %v", l)
		}
		if b, p := w.balance(t, w.acmeAcc); b != 1_000_00 || p != 0 {
			t.Fatalf("acme %d pending %d", b, p)
		}
		if b, p := w.balance(t, w.poorAcc); b != 0 || p != 0 {
			t.Fatalf("poor %d pending %d", b, p)
		}

		// A real hold; others cannot see, confirm or cancel it.
		b, err := book(w.acme, slotAt(10), w.acmeAcc.String())
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range []*identity.Principal{w.other, w.resident, w.ownerTrader} {
			_, err = w.svc.Get(ctx, p, b.ID)
			mustProblem(t, err, problem.NotFound, "")
			_, err = w.svc.Confirm(ctx, p, b.ID)
			mustProblem(t, err, problem.NotFound, "")
			_, err = w.svc.Cancel(ctx, p, b.ID)
			mustProblem(t, err, problem.NotFound, "")
		}
		// The owner sees it but cannot confirm someone else's hold.
		_, err = w.svc.Confirm(ctx, w.owner, b.ID)
		mustProblem(t, err, problem.Forbidden, "")
		// None of those attempts moved money or the hold: the price is
		// still only reserved from acme, nothing reached the owner.
		if bal, p := w.balance(t, w.acmeAcc); bal != 1_000_00 || p != 100_00 {
			t.Fatalf("acme after the refusals: balance %d pending %d", bal, p)
		}
		if bal, _ := w.balance(t, w.ownerAcc); bal != 0 {
			t.Fatalf("the owner received %d from refused confirmations", bal)
		}
		if got, err := w.svc.Get(ctx, w.acme, b.ID); err != nil || got.Status != booking.Held {
			t.Fatalf("after the refusals: %+v %v", got, err)
		}
		// Another org's trader cannot touch the owner's resource.
		_, err = w.svc.UpdateResource(ctx, w.acme, r.ID, booking.ResourceInput{Name: "Mine", Kind: "room", Capacity: 9})
		mustProblem(t, err, problem.Forbidden, "")
		if _, _, err := w.svc.Utilisation(ctx, w.acme, r.ID, "", 7); !problem.Is(err, problem.Forbidden) {
			t.Fatalf("utilisation by a booker: %v", err)
		}
	})
}

func TestBookingPaidLife(t *testing.T) {
	engines(t, func(t *testing.T, db *DB) {
		w := newBookingWorld(t, db)
		ctx := context.Background()
		r := w.room(t, 1, 300_00, false)
		key := uuid.NewString()
		in := booking.BookInput{ResourceID: r.ID, Start: slotAt(11), Key: key, PayFrom: w.acmeAcc.String()}
		b, created, err := w.svc.Book(ctx, w.acme, in)
		if err != nil || !created || b.Status != booking.Held {
			t.Fatalf("book: %+v %v %v", b, created, err)
		}
		// The retry after a lost answer: the same booking, no second hold.
		again, created, err := w.svc.Book(ctx, w.acme, in)
		if err != nil || created || again.ID != b.ID {
			t.Fatalf("retry: %+v %v %v", again, created, err)
		}
		// The same key from another organisation is another booking: it
		// finds the slot full.
		in2 := in
		in2.PayFrom = w.otherAcc.String()
		_, _, err = w.svc.Book(ctx, w.other, in2)
		mustProblem(t, err, problem.Conflict, "start")
		// The key reused for another slot.
		in3 := in
		in3.Start = slotAt(12)
		_, _, err = w.svc.Book(ctx, w.acme, in3)
		mustProblem(t, err, problem.IdempotencyReuse, "key")
		if bal, p := w.balance(t, w.acmeAcc); bal != 1_000_00 || p != 300_00 {
			t.Fatalf("held: balance %d pending %d", bal, p)
		}
		c, err := w.svc.Confirm(ctx, w.acme, b.ID)
		if err != nil || c.Status != booking.Confirmed {
			t.Fatalf("confirm %+v %v", c, err)
		}
		if c, err = w.svc.Confirm(ctx, w.acme, b.ID); err != nil || c.Status != booking.Confirmed {
			t.Fatalf("confirm again %+v %v", c, err)
		}
		if bal, p := w.balance(t, w.acmeAcc); bal != 700_00 || p != 0 {
			t.Fatalf("confirmed: balance %d pending %d", bal, p)
		}
		if bal, _ := w.balance(t, w.ownerAcc); bal != 300_00 {
			t.Fatalf("owner %d", bal)
		}
		// Cancelled 2 days ahead: full refund, once, whatever is retried.
		var wg sync.WaitGroup
		var ok atomic.Int32
		for range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if _, err := w.svc.Cancel(ctx, w.acme, b.ID); err == nil {
					ok.Add(1)
				} else if !problem.Is(err, problem.Conflict) {
					t.Error(err)
				}
			}()
		}
		wg.Wait()
		// Every answer is the one cancellation (or a conflict); the money
		// moves back once.
		if ok.Load() < 1 {
			t.Fatalf("%d cancellations succeeded", ok.Load())
		}
		if bal, _ := w.balance(t, w.acmeAcc); bal != 1_000_00 {
			t.Fatalf("refunded: %d", bal)
		}
		if bal, _ := w.balance(t, w.ownerAcc); bal != 0 {
			t.Fatalf("owner after refund %d", bal)
		}

		// Late cancellation: no refund.
		b2, _, err := w.svc.Book(ctx, w.acme, booking.BookInput{ResourceID: r.ID, Start: slotAt(11), Key: uuid.NewString(), PayFrom: w.acmeAcc.String()})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.svc.Confirm(ctx, w.acme, b2.ID); err != nil {
			t.Fatal(err)
		}
		w.advance(47 * time.Hour) // 3 hours before the start
		c, err = w.svc.Cancel(ctx, w.acme, b2.ID)
		if err != nil || c.RefundKZT != 0 || c.Status != booking.Cancelled {
			t.Fatalf("late cancel %+v %v", c, err)
		}
		if bal, _ := w.balance(t, w.acmeAcc); bal != 700_00 {
			t.Fatalf("late: %d", bal)
		}
		_, err = w.svc.Cancel(ctx, w.acme, b2.ID)
		mustProblem(t, err, problem.Conflict, "status")
		verifyLedger(t, db)
	})
}

// verifyLedger runs the ledger's own verification (no account below
// zero, double entry, history chains).
func verifyLedger(t *testing.T, db *DB) {
	t.Helper()
	if rep, err := db.Verify(context.Background()); err != nil || len(rep.Problems) > 0 {
		t.Fatalf("ledger verify: %v %v", rep.Problems, err)
	}
}

func TestBookingHoldExpiresAndWaitingList(t *testing.T) {
	engines(t, func(t *testing.T, db *DB) {
		w := newBookingWorld(t, db)
		ctx := context.Background()
		r := w.room(t, 1, 0, true)
		b, _, err := w.svc.Book(ctx, w.acme, booking.BookInput{ResourceID: r.ID, Start: slotAt(14), Key: uuid.NewString()})
		if err != nil {
			t.Fatal(err)
		}
		// Full: the other company queues, the resident queues after it.
		_, _, err = w.svc.Book(ctx, w.other, booking.BookInput{ResourceID: r.ID, Start: slotAt(14), Key: uuid.NewString()})
		mustProblem(t, err, problem.Conflict, "start")
		if _, err := w.svc.JoinWait(ctx, w.other, booking.WaitInput{ResourceID: r.ID, Start: slotAt(14)}); err != nil {
			t.Fatal(err)
		}
		if _, err := w.svc.JoinWait(ctx, w.resident, booking.WaitInput{ResourceID: r.ID, Start: slotAt(14)}); err != nil {
			t.Fatal(err)
		}
		// A free slot has no queue.
		_, err = w.svc.JoinWait(ctx, w.other, booking.WaitInput{ResourceID: r.ID, Start: slotAt(15)})
		mustProblem(t, err, problem.Conflict, "start")
		// The hold ends unconfirmed: confirming is refused...
		w.advance(11 * time.Minute)
		_, err = w.svc.Confirm(ctx, w.acme, b.ID)
		mustProblem(t, err, problem.Conflict, "status")
		// ...and after the grace the place goes to the first in the queue,
		// not to whoever asks first.
		w.advance(booking.Grace)
		_, _, err = w.svc.Book(ctx, w.resident, booking.BookInput{ResourceID: r.ID, Start: slotAt(14), Key: uuid.NewString()})
		mustProblem(t, err, problem.Conflict, "start")
		waits, err := w.svc.Waits(ctx, w.other)
		if err != nil || len(waits) != 1 || waits[0].Status != booking.Offered {
			t.Fatalf("waits %+v %v", waits, err)
		}
		got, _, err := w.svc.Book(ctx, w.other, booking.BookInput{ResourceID: r.ID, Start: slotAt(14), Key: uuid.NewString()})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.svc.Confirm(ctx, w.other, got.ID); err != nil {
			t.Fatal(err)
		}
		// The other company cancels: the resident is offered the place.
		if _, err := w.svc.Cancel(ctx, w.other, got.ID); err != nil {
			t.Fatal(err)
		}
		waits, _ = w.svc.Waits(ctx, w.resident)
		if len(waits) != 1 || waits[0].Status != booking.Offered {
			t.Fatalf("resident waits %+v", waits)
		}
		// The offer lapses: the place is free for anyone.
		w.advance(11 * time.Minute)
		if _, _, err := w.svc.Book(ctx, w.acme, booking.BookInput{ResourceID: r.ID, Start: slotAt(14), Key: uuid.NewString()}); err != nil {
			t.Fatal(err)
		}
	})
}

func TestBookingBuffersAndAvailability(t *testing.T) {
	engines(t, func(t *testing.T, db *DB) {
		w := newBookingWorld(t, db)
		ctx := context.Background()
		in := booking.ResourceInput{Name: "Room 1", Kind: "room", Capacity: 1, SlotMinutes: 60, BufferAfter: 30,
			Hours: []booking.Hours{{Day: 3, From: "09:00", To: "13:00"}}}
		r, err := w.svc.CreateResource(ctx, w.owner, in)
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := w.svc.Book(ctx, w.acme, booking.BookInput{ResourceID: r.ID, Start: slotAt(10), Key: uuid.NewString()}); err != nil {
			t.Fatal(err)
		}
		// 11:00 is within 10:00's cleaning buffer; 9:00's buffer runs into 10:00.
		for _, h := range []int{9, 11} {
			_, _, err = w.svc.Book(ctx, w.other, booking.BookInput{ResourceID: r.ID, Start: slotAt(h), Key: uuid.NewString()})
			mustProblem(t, err, problem.Conflict, "start")
		}
		if _, _, err := w.svc.Book(ctx, w.other, booking.BookInput{ResourceID: r.ID, Start: slotAt(12), Key: uuid.NewString()}); err != nil {
			t.Fatal(err)
		}
		days, err := w.svc.Availability(ctx, w.acme, r.ID, "2030-01-09", 1)
		if err != nil {
			t.Fatal(err)
		}
		var free []int
		for _, s := range days[0].Slots {
			free = append(free, s.Free)
		}
		if len(free) != 4 || free[0] != 0 || free[1] != 0 || free[2] != 0 || free[3] != 0 {
			t.Fatalf("free %v", free)
		}
	})
}

// TestBookingNeverOversold fires 200 concurrent attempts, each with its own
// key and party's money, at one slot of capacity 5: exactly 5 succeed, the
// rest are refused with 409 "full", and the ledger holds exactly 5
// reservations.
func TestBookingNeverOversold(t *testing.T) {
	engines(t, func(t *testing.T, db *DB) {
		w := newBookingWorld(t, db)
		ctx := context.Background()
		const capacity, attempts = 5, 200
		r := w.room(t, capacity, 10_00, false)
		var wg sync.WaitGroup
		var won, full atomic.Int32
		start := make(chan struct{})
		for i := range attempts {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				p, acc := w.acme, w.acmeAcc
				if i%2 == 1 {
					p, acc = w.other, w.otherAcc
				}
				_, _, err := w.svc.Book(ctx, p, booking.BookInput{ResourceID: r.ID, Start: slotAt(16), Key: uuid.NewString(), PayFrom: acc.String()})
				switch {
				case err == nil:
					won.Add(1)
				case problem.Is(err, problem.Conflict):
					full.Add(1)
				default:
					t.Error(err)
				}
			}()
		}
		close(start)
		wg.Wait()
		if won.Load() != capacity || full.Load() != attempts-capacity {
			t.Fatalf("%d won, %d refused; want %d and %d", won.Load(), full.Load(), capacity, attempts-capacity)
		}
		list, err := w.svc.OnResource(ctx, w.owner, r.ID, time.Time{}, time.Time{})
		if err != nil || len(list) != capacity {
			t.Fatalf("bookings %d %v", len(list), err)
		}
		_, pa := w.balance(t, w.acmeAcc)
		_, po := w.balance(t, w.otherAcc)
		if pa+po != capacity*10_00 {
			t.Fatalf("reserved %d", pa+po)
		}
		verifyLedger(t, db)
	})
}

// A paid hold nobody confirms: its place is free again after the grace and
// the ledger's own timeout releases the money; confirming it then is
// refused and takes nothing.
func TestBookingPaidHoldExpires(t *testing.T) {
	engines(t, func(t *testing.T, db *DB) {
		w := newBookingWorld(t, db)
		ctx := context.Background()
		r := w.room(t, 1, 250_00, false)
		b, _, err := w.svc.Book(ctx, w.acme, booking.BookInput{ResourceID: r.ID, Start: slotAt(9), Key: uuid.NewString(), PayFrom: w.acmeAcc.String()})
		if err != nil {
			t.Fatal(err)
		}
		if _, p := w.balance(t, w.acmeAcc); p != 250_00 {
			t.Fatalf("reserved %d", p)
		}
		w.advance(10*time.Minute + booking.Grace + time.Second)
		if _, err := w.led.ExpirePending(ctx); err != nil {
			t.Fatal(err)
		}
		if bal, p := w.balance(t, w.acmeAcc); bal != 1_000_00 || p != 0 {
			t.Fatalf("after expiry: balance %d pending %d", bal, p)
		}
		_, err = w.svc.Confirm(ctx, w.acme, b.ID)
		mustProblem(t, err, problem.Conflict, "status")
		if got, _ := w.svc.Get(ctx, w.acme, b.ID); got.Status != booking.Expired {
			t.Fatalf("status %s", got.Status)
		}
		// The place is free for the other company, paid from its own money.
		if _, _, err := w.svc.Book(ctx, w.other, booking.BookInput{ResourceID: r.ID, Start: slotAt(9), Key: uuid.NewString(), PayFrom: w.otherAcc.String()}); err != nil {
			t.Fatal(err)
		}
		if bal, _ := w.balance(t, w.ownerAcc); bal != 0 {
			t.Fatalf("owner paid %d for an expired hold", bal)
		}
		verifyLedger(t, db)
	})
}

// One key sent by many at once (a client retrying after lost answers) is
// one booking, and its retries get that booking even once the slot is
// full, while new keys are refused: on PostgreSQL the batch's takes run as
// one pipeline whose statements must leave these cases to the step-by-step
// path, and this proves they do.
func TestBookingSameKeyRaceAndFullSlot(t *testing.T) {
	engines(t, func(t *testing.T, db *DB) {
		w := newBookingWorld(t, db)
		ctx := context.Background()
		r := w.room(t, 2, 0, false)
		key := uuid.NewString()
		in := booking.BookInput{ResourceID: r.ID, Start: slotAt(11), Key: key}
		race := func(n int, f func(i int) error) {
			t.Helper()
			var wg sync.WaitGroup
			start := make(chan struct{})
			for i := range n {
				wg.Add(1)
				go func() {
					defer wg.Done()
					<-start
					if err := f(i); err != nil {
						t.Error(err)
					}
				}()
			}
			close(start)
			wg.Wait()
		}
		var mu sync.Mutex
		ids, created := map[string]bool{}, 0
		race(20, func(int) error {
			b, c, err := w.svc.Book(ctx, w.acme, in)
			mu.Lock()
			defer mu.Unlock()
			ids[b.ID] = true
			if c {
				created++
			}
			return err
		})
		if len(ids) != 1 || created != 1 {
			t.Fatalf("20 sends of one key: %d bookings, %d created; want 1 and 1", len(ids), created)
		}
		if _, _, err := w.svc.Book(ctx, w.other, booking.BookInput{ResourceID: r.ID, Start: slotAt(11), Key: uuid.NewString()}); err != nil {
			t.Fatal(err)
		}
		var again, full atomic.Int32
		race(20, func(i int) error {
			if i%2 == 0 {
				b, c, err := w.svc.Book(ctx, w.acme, in)
				if err != nil || c || !ids[b.ID] {
					return fmt.Errorf("retry of the key: %v created %v id %s", err, c, b.ID)
				}
				again.Add(1)
				return nil
			}
			_, _, err := w.svc.Book(ctx, w.other, booking.BookInput{ResourceID: r.ID, Start: slotAt(11), Key: uuid.NewString()})
			if !problem.Is(err, problem.Conflict) {
				return fmt.Errorf("a new key on a full slot: %v", err)
			}
			full.Add(1)
			return nil
		})
		if again.Load() != 10 || full.Load() != 10 {
			t.Fatalf("%d retries answered, %d refused", again.Load(), full.Load())
		}
		var id string
		for id = range ids {
		}
		var confirmed atomic.Int32
		race(10, func(int) error {
			_, err := w.svc.Confirm(ctx, w.acme, id)
			switch {
			case err == nil:
				confirmed.Add(1)
			case !problem.Is(err, problem.Conflict):
				return err
			}
			return nil
		})
		b, err := w.svc.Get(ctx, w.acme, id)
		if err != nil || b.Status != booking.Confirmed || confirmed.Load() < 1 {
			t.Fatalf("after 10 confirmations: %v %v, %d answered ok", b.Status, err, confirmed.Load())
		}
		list, err := w.svc.OnResource(ctx, w.owner, r.ID, time.Time{}, time.Time{})
		if err != nil || len(list) != 2 {
			t.Fatalf("bookings on the slot: %d %v", len(list), err)
		}
	})
}

// TestBookingResourceChangedElsewhere: a service that has the resource in
// memory (from an earlier booking) books on the settings as they are now
// after another process changed them: the lower capacity holds and the
// new price is what is reserved.
func TestBookingResourceChangedElsewhere(t *testing.T) {
	engines(t, func(t *testing.T, db *DB) {
		w := newBookingWorld(t, db)
		ctx := context.Background()
		r := w.room(t, 2, 300_00, false)
		first, _, err := w.svc.Book(ctx, w.acme, booking.BookInput{ResourceID: r.ID, Start: slotAt(10), Key: uuid.NewString(), PayFrom: w.acmeAcc.String()})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.svc.Confirm(ctx, w.acme, first.ID); err != nil {
			t.Fatal(err)
		}
		// Another process: its own service on the same database.
		elsewhere := booking.NewService(db, booking.Config{Ledger: w.led, Now: w.clock})
		in := booking.ResourceInput{Name: "Hall A", Kind: "hall", Capacity: 1, SlotMinutes: 60, HorizonDays: 60, HoldMinutes: 10,
			RefundHours: 24, PriceKZT: 500_00, MinNoticeMin: 30, AccountID: w.ownerAcc.String()}
		for d := 1; d <= 5; d++ {
			in.Hours = append(in.Hours, booking.Hours{Day: d, From: "09:00", To: "18:00"})
		}
		if _, err := elsewhere.UpdateResource(ctx, w.owner, r.ID, in); err != nil {
			t.Fatal(err)
		}
		// Capacity 1 now: the 10:00 slot is full.
		_, _, err = w.svc.Book(ctx, w.other, booking.BookInput{ResourceID: r.ID, Start: slotAt(10), Key: uuid.NewString(), PayFrom: w.otherAcc.String()})
		mustProblem(t, err, problem.Conflict, "start")
		// The price is 500 now.
		b, _, err := w.svc.Book(ctx, w.other, booking.BookInput{ResourceID: r.ID, Start: slotAt(11), Key: uuid.NewString(), PayFrom: w.otherAcc.String()})
		if err != nil || b.PriceKZT != 500_00 {
			t.Fatalf("booked at %d: %v", b.PriceKZT, err)
		}
		if _, pending := w.balance(t, w.otherAcc); pending != 500_00 {
			t.Fatalf("reserved %d, want the new price", pending)
		}
	})
}

// TestBookingConfirmOnlyByBooker: a free hold, which the booker's
// confirmation moves without reading it first, cannot be confirmed by
// anyone else, nor through a handle other than the one its resource is
// managed by; nothing moves on a refusal.
func TestBookingConfirmOnlyByBooker(t *testing.T) {
	engines(t, func(t *testing.T, db *DB) {
		w := newBookingWorld(t, db)
		ctx := context.Background()
		r := w.room(t, 3, 0, true)
		b, _, err := w.svc.Book(ctx, w.acme, booking.BookInput{ResourceID: r.ID, Start: slotAt(10), Key: uuid.NewString()})
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range []*identity.Principal{w.other, w.resident, w.ownerTrader} {
			_, err = w.svc.Confirm(ctx, p, b.ID)
			mustProblem(t, err, problem.NotFound, "")
		}
		_, err = w.svc.Confirm(ctx, w.owner, b.ID)
		mustProblem(t, err, problem.Forbidden, "")
		// Through another service's handle: refused as not its resource.
		_, err = w.svc.For("festival").Confirm(ctx, w.acme, b.ID)
		mustProblem(t, err, problem.Conflict, "resource_id")
		if got, err := w.svc.Get(ctx, w.acme, b.ID); err != nil || got.Status != booking.Held {
			t.Fatalf("after the refusals: %+v %v", got, err)
		}
		// A festival's place: the generic handle cannot confirm it either.
		fest := w.svc.For("festival")
		in := booking.ResourceInput{Name: "Stalls", Kind: "venue", Capacity: 5, SlotMinutes: 60, HorizonDays: 60, HoldMinutes: 10, Public: true}
		for d := 1; d <= 5; d++ {
			in.Hours = append(in.Hours, booking.Hours{Day: d, From: "09:00", To: "18:00"})
		}
		fr, err := fest.CreateResource(ctx, w.owner, in)
		if err != nil {
			t.Fatal(err)
		}
		fb, _, err := fest.Book(ctx, w.acme, booking.BookInput{ResourceID: fr.ID, Start: slotAt(11), Key: uuid.NewString()})
		if err != nil {
			t.Fatal(err)
		}
		_, err = w.svc.Confirm(ctx, w.acme, fb.ID)
		mustProblem(t, err, problem.Conflict, "resource_id")
		// The booker, through the right handles, confirms.
		if c, err := w.svc.Confirm(ctx, w.acme, b.ID); err != nil || c.Status != booking.Confirmed {
			t.Fatalf("confirm: %+v %v", c, err)
		}
		if c, err := fest.Confirm(ctx, w.acme, fb.ID); err != nil || c.Status != booking.Confirmed {
			t.Fatalf("festival confirm: %+v %v", c, err)
		}
	})
}
