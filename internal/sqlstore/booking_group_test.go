package sqlstore

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"testing"
	"time"

	"bricstown/internal/audit"
	"bricstown/internal/booking"
	"bricstown/internal/problem"

	"github.com/google/uuid"
)

// TestBookingGroupsAcrossResourcesAndProcesses fires takes and
// confirmations at many slots at once through two processes' handles on
// one database, so that PostgreSQL's batches write them in groups (see
// fastGroups): several takes of one slot in a batch, one key sent through
// both handles at the same moment (for two resources, so that no
// resource's lock orders them: the group whose insert meets the other
// process's row fails and is written again change by change: one send
// books, the other is refused as the key's reuse), and every booking
// confirmed twice at once, once through each handle. Every slot ends
// exactly full, every key is one booking, every confirmation answers the
// confirmed booking, and the audit chain holds.
func TestBookingGroupsAcrossResourcesAndProcesses(t *testing.T) {
	engines(t, func(t *testing.T, db *DB) {
		w := newBookingWorld(t, db)
		ctx := context.Background()
		db2, err := Open(ctx, db.dsnForTest(t), slog.New(slog.DiscardHandler))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db2.Close() })
		svcs := []*booking.Service{w.svc, booking.NewService(db2, booking.Config{Ledger: w.led, Now: w.clock})}

		const rooms, hours, capacity, attempts = 6, 3, 2, 144
		var small []booking.Resource
		for range rooms {
			small = append(small, w.room(t, capacity, 0, false))
		}
		big := []booking.Resource{w.room(t, 100, 0, false), w.room(t, 100, 0, false)}
		// Keys sent through both handles at once, for two different
		// resources, so that no resource's lock orders the two.
		const shared = 40

		type result struct {
			b       booking.Booking
			created bool
			err     error
			key     string
		}
		var mu sync.Mutex
		var results []result
		var wg sync.WaitGroup
		start := make(chan struct{})
		book := func(svc *booking.Service, in booking.BookInput, who int) {
			defer wg.Done()
			<-start
			p := w.acme
			if who%2 == 1 {
				p = w.other
			}
			if in.ResourceID == big[0].ID || in.ResourceID == big[1].ID {
				p = w.acme // one key, one party
			}
			b, c, err := svc.Book(ctx, p, in)
			mu.Lock()
			results = append(results, result{b, c, err, in.Key})
			mu.Unlock()
		}
		for i := range attempts {
			wg.Add(1)
			in := booking.BookInput{ResourceID: small[i%rooms].ID, Start: slotAt(10 + (i/rooms)%hours), Key: uuid.NewString()}
			go book(svcs[i%2], in, i)
		}
		for i := range shared {
			in := booking.BookInput{ResourceID: big[0].ID, Start: slotAt(10 + i%hours), Key: uuid.NewString()}
			in2 := in
			in2.ResourceID = big[1].ID
			wg.Add(2)
			go book(svcs[0], in, 0)
			go book(svcs[1], in2, 0)
		}
		close(start)
		wg.Wait()

		perSlot := map[string]int{}
		byKey := map[string][]result{}
		refused, reused := 0, 0
		for _, r := range results {
			switch {
			case problem.Is(r.err, problem.IdempotencyReuse):
				reused++ // the key's other send, for the other resource
			case r.err == nil:
				byKey[r.key] = append(byKey[r.key], r)
				if r.created && r.b.ResourceID != big[0].ID && r.b.ResourceID != big[1].ID {
					perSlot[r.b.ResourceID+r.b.Start.String()]++
				}
			case problem.Is(r.err, problem.Conflict) && r.b.ID == "":
				refused++
			default:
				t.Fatalf("key %s: %v", r.key, r.err)
			}
		}
		if len(perSlot) != rooms*hours {
			t.Fatalf("%d slots booked, want %d", len(perSlot), rooms*hours)
		}
		for s, n := range perSlot {
			if n != capacity {
				t.Fatalf("slot %s: %d created, want %d", s, n, capacity)
			}
		}
		if refused != attempts-rooms*hours*capacity {
			t.Fatalf("%d refused, want %d", refused, attempts-rooms*hours*capacity)
		}
		if reused != shared {
			t.Fatalf("%d sends of a used key refused, want %d", reused, shared)
		}
		var live []booking.Booking
		for k, rs := range byKey {
			if len(rs) != 1 {
				t.Fatalf("key %s answered %d times, want once (the other is refused)", k, len(rs))
			}
			created := 0
			for _, r := range rs {
				if r.b.ID != rs[0].b.ID {
					t.Fatalf("key %s answered two bookings: %s and %s", k, rs[0].b.ID, r.b.ID)
				}
				if r.created {
					created++
				}
			}
			if created != 1 {
				t.Fatalf("key %s: %d answers say created, want 1", k, created)
			}
			live = append(live, rs[0].b)
		}
		if want := rooms*hours*capacity + shared; len(live) != want {
			t.Fatalf("%d bookings, want %d", len(live), want)
		}
		for _, r := range small {
			list, err := w.svc.OnResource(ctx, w.owner, r.ID, time.Time{}, time.Time{})
			if err != nil || len(list) != hours*capacity {
				t.Fatalf("room %s: %d bookings (%v), want %d", r.ID, len(list), err, hours*capacity)
			}
		}

		// Every booking confirmed twice at once, once through each handle.
		start = make(chan struct{})
		errs := make(chan error, 2*len(live))
		for _, b := range live {
			p := w.acme
			if b.Party != booking.Party(w.acme) {
				p = w.other
			}
			for _, svc := range svcs {
				wg.Add(1)
				go func() {
					defer wg.Done()
					<-start
					got, err := svc.Confirm(ctx, p, b.ID)
					if err == nil && got.Status != booking.Confirmed {
						err = fmt.Errorf("booking %s confirmed as %s", b.ID, got.Status)
					}
					errs <- err
				}()
			}
		}
		close(start)
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
		for _, b := range live {
			got, err := db.GetBooking(ctx, b.ID)
			if err != nil || got.Status != booking.Confirmed {
				t.Fatalf("booking %s: %s %v", b.ID, got.Status, err)
			}
		}
		if _, err := audit.Verify(ctx, db); err != nil {
			t.Fatalf("audit chain: %v", err)
		}
	})
}
