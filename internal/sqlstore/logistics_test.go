package sqlstore

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"bricstown/internal/audit"
	"bricstown/internal/identity"
	"bricstown/internal/logistics"
	"bricstown/internal/problem"
)

// fakeCustoms answers for declarations by a table: whose each is and
// whether customs holds it. It stands for the customs service, not for the
// database.
type fakeCustoms struct {
	mu    sync.Mutex
	owner map[string]string
	held  map[string]bool
	// declared is what each declaration says of its goods (beyond its owner).
	declared map[string]logistics.Declared
	// reports are the carriers' border reports customs was told of:
	// "presented DECL POST ORG" and "exited DECL POST ORG".
	reports []string
}

func (c *fakeCustoms) Presented(_ context.Context, p *identity.Principal, id, post string, _ time.Time) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.reports = append(c.reports, "presented "+id+" "+post+" "+p.OrgID)
	return nil
}

func (c *fakeCustoms) Exited(_ context.Context, p *identity.Principal, id, post string, _ time.Time) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.held[id] {
		return problem.New(problem.Conflict, "held")
	}
	c.reports = append(c.reports, "exited "+id+" "+post+" "+p.OrgID)
	return nil
}

func (c *fakeCustoms) Declared(ctx context.Context, p *identity.Principal, id string) (logistics.Declared, error) {
	org, err := c.Declarant(ctx, p, id)
	if err != nil {
		return logistics.Declared{}, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	d := c.declared[id]
	d.DeclarantOrg = org
	return d, nil
}

func (c *fakeCustoms) Declarant(_ context.Context, p *identity.Principal, id string) (string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	org, ok := c.owner[id]
	if !ok || !p.CanSeeOrg(org) {
		return "", problem.New(problem.NotFound, "no such declaration")
	}
	return org, nil
}

func (c *fakeCustoms) Held(_ context.Context, id string) (bool, string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.held[id] {
		return true, "physical_inspection", nil
	}
	return false, "", nil
}

type logisticsWorld struct {
	db                  *DB
	svc                 *logistics.Service
	customs             *fakeCustoms
	now                 time.Time
	carrier, rival      *identity.Principal
	acme, other, admin  *identity.Principal
	declAcme, declOther string
}

func newLogisticsWorld(t *testing.T, db *DB) *logisticsWorld {
	ctx := context.Background()
	w := &logisticsWorld{db: db, now: time.Now().UTC().Truncate(time.Second), declAcme: "0190f000-0000-7000-8000-00000000a001",
		declOther: "0190f000-0000-7000-8000-00000000a002"}
	kinds := map[string]identity.OrgKind{"l-carrier": identity.KindLogisticsOperator, "l-rival": identity.KindLogisticsOperator,
		"l-acme": identity.KindCompany, "l-other": identity.KindCompany, "l-town": identity.KindTownAdministration}
	for id, k := range kinds {
		o := identity.Org{ID: id, Name: id, Kind: k, Country: "KZ", RegScheme: "REG", RegID: id, CreatedAt: w.now}
		if err := db.CreateOrg(ctx, o, audit.Record{ActorUser: "test", Action: "org.create"}); err != nil {
			t.Fatal(err)
		}
	}
	w.customs = &fakeCustoms{owner: map[string]string{w.declAcme: "l-acme", w.declOther: "l-other"}, held: map[string]bool{}}
	svc, err := logistics.NewService(db, logistics.Config{Customs: w.customs, Now: func() time.Time { return w.now }})
	if err != nil {
		t.Fatal(err)
	}
	w.svc = svc
	pr := func(org string, kind identity.OrgKind, r identity.Role) *identity.Principal {
		return &identity.Principal{UserID: "u-" + org, OrgID: org, OrgKind: kind, Roles: []identity.Role{r}}
	}
	w.carrier, w.rival = pr("l-carrier", identity.KindLogisticsOperator, identity.Carrier), pr("l-rival", identity.KindLogisticsOperator, identity.Carrier)
	w.acme, w.other = pr("l-acme", identity.KindCompany, identity.Trader), pr("l-other", identity.KindCompany, identity.Trader)
	w.admin = pr("l-town", identity.KindTownAdministration, identity.PlatformAdmin)
	return w
}

func (w *logisticsWorld) at(h int) string {
	return w.now.Add(time.Duration(h) * time.Hour).Format(time.RFC3339)
}

func (w *logisticsWorld) departure(t *testing.T, by *identity.Principal, in logistics.DepartureInput) logistics.Departure {
	t.Helper()
	if in.Mode == "" {
		in.Mode = "rail"
	}
	if in.Currency == "" {
		in.Currency = "USD"
	}
	d, err := w.svc.PublishDeparture(context.Background(), by, in)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func (w *logisticsWorld) shipment(t *testing.T, by *identity.Principal, in logistics.ShipmentInput) logistics.Shipment {
	t.Helper()
	s, err := w.svc.CreateShipment(context.Background(), by, in)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func wantLogCode(t *testing.T, err error, code problem.Code, field string) {
	t.Helper()
	if !problem.Is(err, code) {
		t.Fatalf("got %v, want %s", err, code)
	}
	if field != "" {
		pe, _ := err.(*problem.Error)
		if pe == nil || pe.Fields[field] == "" {
			t.Fatalf("%v: no message for field %s", err, field)
		}
	}
}

// N traders book the last TEU of a departure at once: exactly as many as
// the capacity holds get it, every other one gets a conflict naming the
// departure, and the departure's books agree with the bookings.
func TestLogisticsConcurrentBookingsNeverOverbook(t *testing.T) {
	engines(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		w := newLogisticsWorld(t, db)
		const capacity, n = 3, 12
		d := w.departure(t, w.carrier, logistics.DepartureInput{From: "KZHOR", To: "KZALA", DepartAt: w.at(24), ArriveAt: w.at(40),
			CapacityTEU: capacity, PricePerTEU: 1500_00})
		ships := make([]logistics.Shipment, n)
		for i := range ships {
			ships[i] = w.shipment(t, w.acme, logistics.ShipmentInput{Origin: "KZHOR", Destination: "KZALA", ReadyAt: w.at(0), Deadline: w.at(72), TEU: 1})
		}
		var wg sync.WaitGroup
		errs := make([]error, n)
		start := make(chan struct{})
		for i := range ships {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				<-start
				_, errs[i] = w.svc.Book(ctx, w.acme, ships[i].ID, logistics.BookInput{DepartureIDs: []string{d.ID}})
			}(i)
		}
		close(start)
		wg.Wait()
		ok := 0
		for _, err := range errs {
			switch {
			case err == nil:
				ok++
			case problem.Is(err, problem.Conflict):
				wantLogCode(t, err, problem.Conflict, "departure_ids[0]")
			default:
				t.Fatalf("booking failed otherwise: %v", err)
			}
		}
		if ok != capacity {
			t.Fatalf("%d bookings succeeded on a departure of %d TEU", ok, capacity)
		}
		got, err := db.GetDeparture(ctx, d.ID)
		if err != nil || got.BookedTEU != capacity {
			t.Fatalf("booked %d TEU (%v), want %d", got.BookedTEU, err, capacity)
		}
		booked, err := db.ListShipments(ctx, logistics.ShipmentQuery{Status: logistics.Booked})
		if err != nil || len(booked) != capacity {
			t.Fatalf("%d shipments booked (%v)", len(booked), err)
		}
		// Cancelling gives the room back; the next booking gets it.
		if _, err := w.svc.CancelBooking(ctx, w.acme, booked[0].ID); err != nil {
			t.Fatal(err)
		}
		if got, _ := db.GetDeparture(ctx, d.ID); got.BookedTEU != capacity-1 {
			t.Fatalf("after a cancel %d TEU booked", got.BookedTEU)
		}
		var free string
		for i, err := range errs {
			if err != nil {
				free = ships[i].ID
				break
			}
		}
		if _, err := w.svc.Book(ctx, w.acme, free, logistics.BookInput{DepartureIDs: []string{d.ID}}); err != nil {
			t.Fatal(err)
		}
		// A carrier cannot lower the capacity below what is booked.
		_, err = w.svc.UpdateDeparture(ctx, w.carrier, d.ID, logistics.DepartureInput{Mode: "rail", From: "KZHOR", To: "KZALA",
			DepartAt: w.at(24), ArriveAt: w.at(40), CapacityTEU: capacity - 1, Currency: "USD", PricePerTEU: 1500_00})
		wantLogCode(t, err, problem.Conflict, "capacity_teu")
		if got, _ := db.GetDeparture(ctx, d.ID); got.CapacityTEU != capacity || got.Version != 1 {
			t.Fatalf("refused change written: %+v", got)
		}
	})
}

func TestLogisticsDepartureRules(t *testing.T) {
	engines(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		w := newLogisticsWorld(t, db)
		in := logistics.DepartureInput{Mode: "rail", From: "CNURC", To: "KZHOR", BorderPost: "KZHOR", DepartAt: w.at(10), ArriveAt: w.at(30),
			CapacityTEU: 40, CapacityKg: 900_000, Currency: "USD", PricePerTEU: 900_00, PricePerKg: 2, Reefer: true}
		d := w.departure(t, w.carrier, in)
		before, _ := db.ListAudit(ctx, audit.Filter{Limit: 1000, SubjectType: "departure"})
		if len(before) != 1 || before[0].Action != "logistics.departure.publish" {
			t.Fatalf("audit: %+v", before)
		}

		// Another carrier: not found, exactly like an unknown id; a trader
		// cannot publish at all.
		_, err := w.svc.UpdateDeparture(ctx, w.rival, d.ID, in)
		wantLogCode(t, err, problem.NotFound, "")
		_, err = w.svc.UpdateDeparture(ctx, w.rival, "0190f000-0000-7000-8000-000000000000", in)
		wantLogCode(t, err, problem.NotFound, "")
		_, err = w.svc.PublishDeparture(ctx, w.acme, in)
		wantLogCode(t, err, problem.Forbidden, "")

		// Unknown places, a departure in the past, a border leg without its
		// post, a currency that holds no money: field messages with codes.
		bad := in
		bad.From, bad.DepartAt, bad.BorderPost, bad.Currency = "ZZZZZ", w.at(-1), "", "XAU"
		_, err = w.svc.PublishDeparture(ctx, w.carrier, bad)
		wantLogCode(t, err, problem.Invalid, "from")
		pe := err.(*problem.Error)
		for field, code := range map[string]string{"from": "unknown_locode", "depart_at": "must_be_future", "currency": "money_currency"} {
			if got := problem.FieldCodesOf(pe)[field]; got != code {
				t.Errorf("%s: code %q (%q), want %s", field, got, pe.Fields[field], code)
			}
		}
		bad = in
		bad.BorderPost = ""
		_, err = w.svc.PublishDeparture(ctx, w.carrier, bad)
		wantLogCode(t, err, problem.Invalid, "border_post")

		// The owner changes it; a stale version is refused.
		in.CapacityTEU = 50
		d2, err := w.svc.UpdateDeparture(ctx, w.carrier, d.ID, in)
		if err != nil || d2.CapacityTEU != 50 || d2.Version != 2 {
			t.Fatalf("update: %+v %v", d2, err)
		}
		in.Version = 1
		_, err = w.svc.UpdateDeparture(ctx, w.carrier, d.ID, in)
		wantLogCode(t, err, problem.Conflict, "")
		in.Version = 0

		// Once booked, its route and times stay.
		s := w.shipment(t, w.acme, logistics.ShipmentInput{Origin: "CNURC", Destination: "KZHOR", ReadyAt: w.at(0), Deadline: w.at(48), TEU: 2, Kg: 30_000})
		if _, err := w.svc.Book(ctx, w.acme, s.ID, logistics.BookInput{}); err != nil {
			t.Fatal(err)
		}
		in.DepartAt = w.at(12)
		_, err = w.svc.UpdateDeparture(ctx, w.carrier, d.ID, in)
		wantLogCode(t, err, problem.Conflict, "")
		if got, _ := db.GetDeparture(ctx, d.ID); !got.DepartAt.Equal(d.DepartAt) || got.BookedTEU != 2 || got.BookedKg != 30_000 {
			t.Fatalf("departure after refused change: %+v", got)
		}
	})
}

// Handling, explicit chains, best route and the dispatcher's run.
func TestLogisticsBookingAndPlan(t *testing.T) {
	engines(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		w := newLogisticsWorld(t, db)
		// Urumqi -> Khorgos -> Almaty, a cheap and a dear second leg.
		a := w.departure(t, w.carrier, logistics.DepartureInput{From: "CNURC", To: "KZHOR", BorderPost: "KZHOR", DepartAt: w.at(10), ArriveAt: w.at(30),
			CapacityTEU: 10, PricePerTEU: 900_00})
		cheap := w.departure(t, w.rival, logistics.DepartureInput{From: "KZHOR", To: "KZALA", DepartAt: w.at(40), ArriveAt: w.at(60),
			CapacityTEU: 1, PricePerTEU: 300_00})
		dear := w.departure(t, w.rival, logistics.DepartureInput{From: "KZHOR", To: "KZALA", DepartAt: w.at(40), ArriveAt: w.at(62),
			CapacityTEU: 10, PricePerTEU: 700_00, Reefer: true})
		tight := w.departure(t, w.rival, logistics.DepartureInput{From: "KZHOR", To: "KZALA", DepartAt: w.at(32), ArriveAt: w.at(50),
			CapacityTEU: 10, PricePerTEU: 100_00})
		ship := func(by *identity.Principal, reefer bool) logistics.Shipment {
			return w.shipment(t, by, logistics.ShipmentInput{Origin: "CNURC", Destination: "KZALA", ReadyAt: w.at(0), Deadline: w.at(80), TEU: 1, Reefer: reefer})
		}
		// A connection of 2 hours at Khorgos is below the default 6: refused.
		s1 := ship(w.acme, false)
		_, err := w.svc.Book(ctx, w.acme, s1.ID, logistics.BookInput{DepartureIDs: []string{a.ID, tight.ID}})
		wantLogCode(t, err, problem.Invalid, "departure_ids")
		// Another trader's shipment is not found.
		_, err = w.svc.Book(ctx, w.other, s1.ID, logistics.BookInput{})
		wantLogCode(t, err, problem.NotFound, "")
		_, err = w.svc.Shipment(ctx, w.other, s1.ID)
		wantLogCode(t, err, problem.NotFound, "")
		// Best route: the cheap leg.
		b, err := w.svc.Book(ctx, w.acme, s1.ID, logistics.BookInput{})
		if err != nil || len(b.Legs) != 2 || b.Legs[1].DepartureID != cheap.ID || b.CostMinor != 1200_00 {
			t.Fatalf("best route: %+v %v", b, err)
		}
		// A reefer cannot ride the non-reefer first leg.
		r := ship(w.acme, true)
		_, err = w.svc.Book(ctx, w.acme, r.ID, logistics.BookInput{DepartureIDs: []string{a.ID, dear.ID}})
		wantLogCode(t, err, problem.Invalid, "departure_ids[0]")
		_, err = w.svc.Book(ctx, w.acme, r.ID, logistics.BookInput{})
		wantLogCode(t, err, problem.Conflict, "departure_ids")

		// The dispatcher books the rest over what is left: the cheap leg is
		// full, so the dear one; the reefer stays, with its reason.
		s2, s3 := ship(w.other, false), ship(w.acme, false)
		_, err = w.svc.Plan(ctx, w.acme)
		wantLogCode(t, err, problem.Forbidden, "")
		res, err := w.svc.Plan(ctx, w.admin)
		if err != nil || res.Shipments != 3 || res.Assigned != 2 || len(res.Unassigned) != 1 || res.Unassigned[0].ShipmentID != r.ID {
			t.Fatalf("plan: %+v %v", res, err)
		}
		for _, id := range []string{s2.ID, s3.ID} {
			bk, err := db.ActiveBooking(ctx, id)
			if err != nil || bk.Source != "dispatch" || bk.Legs[1].DepartureID != dear.ID {
				t.Fatalf("plan booking of %s: %+v %v", id, bk, err)
			}
		}
		if got, _ := db.GetShipment(ctx, r.ID); got.Status != logistics.Open || got.UnassignedReason == "" {
			t.Fatalf("reefer after plan: %+v", got)
		}
		if got, _ := db.GetDeparture(ctx, a.ID); got.BookedTEU != 3 {
			t.Fatalf("first leg booked %d", got.BookedTEU)
		}
		// Confirmed bookings stay: a second run books nothing new.
		res, err = w.svc.Plan(ctx, w.admin)
		if err != nil || res.Shipments != 1 || res.Assigned != 0 {
			t.Fatalf("second plan: %+v %v", res, err)
		}
		// The carriers see the shipments on their departures, and only those.
		list, err := w.svc.Shipments(ctx, w.rival, "", "", 0)
		if err != nil || len(list) != 3 {
			t.Fatalf("rival's shipments: %d %v", len(list), err)
		}
		if _, err := w.svc.Shipment(ctx, w.carrier, r.ID); !problem.Is(err, problem.NotFound) {
			t.Fatalf("carrier reads an unbooked shipment: %v", err)
		}
	})
}

// Tracking: out-of-order events are refused and nothing is written; a
// customs hold blocks the border crossing until release; a late departure
// shifts the ETA of the later legs.
func TestLogisticsEventsOrderHoldAndETA(t *testing.T) {
	engines(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		w := newLogisticsWorld(t, db)
		a := w.departure(t, w.carrier, logistics.DepartureInput{From: "CNURC", To: "KZHOR", BorderPost: "KZHOR", DepartAt: w.at(10), ArriveAt: w.at(30),
			CapacityTEU: 10, PricePerTEU: 900_00})
		b := w.departure(t, w.rival, logistics.DepartureInput{From: "KZHOR", To: "KZALA", DepartAt: w.at(40), ArriveAt: w.at(60),
			CapacityTEU: 10, PricePerTEU: 300_00})
		_, err := w.svc.CreateShipment(ctx, w.acme, logistics.ShipmentInput{Origin: "CNURC", Destination: "KZALA", ReadyAt: w.at(0),
			Deadline: w.at(80), TEU: 1, DeclarationID: w.declOther})
		wantLogCode(t, err, problem.Invalid, "declaration_id")
		s := w.shipment(t, w.acme, logistics.ShipmentInput{Origin: "CNURC", Destination: "KZALA", ReadyAt: w.at(0), Deadline: w.at(80), TEU: 1,
			DeclarationID: w.declAcme})
		if _, err := w.svc.Book(ctx, w.acme, s.ID, logistics.BookInput{DepartureIDs: []string{a.ID, b.ID}}); err != nil {
			t.Fatal(err)
		}
		w.now = w.now.Add(11 * time.Hour)
		ev := func(by *identity.Principal, dep string, kind logistics.EventKind, at time.Time) error {
			_, err := w.svc.RecordEvent(ctx, by, s.ID, logistics.EventInput{DepartureID: dep, Kind: string(kind), At: at.Format(time.RFC3339)})
			return err
		}
		count := func() int64 {
			got, _ := db.GetShipment(ctx, s.ID)
			return got.EventCount
		}
		t0 := w.now.Add(-time.Hour)
		// A trader cannot report; the carrier of the other leg cannot
		// report on this one.
		_, err = w.svc.RecordEvent(ctx, w.acme, s.ID, logistics.EventInput{DepartureID: a.ID, Kind: "departed"})
		wantLogCode(t, err, problem.Forbidden, "")
		wantLogCode(t, ev(w.rival, a.ID, logistics.EvDeparted, t0), problem.Forbidden, "")
		// Out of order: arrival before departure, second leg before the first.
		wantLogCode(t, ev(w.carrier, a.ID, logistics.EvArrived, t0), problem.Conflict, "kind")
		wantLogCode(t, ev(w.rival, b.ID, logistics.EvDeparted, t0), problem.Conflict, "kind")
		if count() != 0 {
			t.Fatal("a refused event was written")
		}
		if err := ev(w.carrier, a.ID, logistics.EvDeparted, t0); err != nil {
			t.Fatal(err)
		}
		wantLogCode(t, ev(w.carrier, a.ID, logistics.EvBorderCrossed, w.now), problem.Conflict, "kind")
		w.now = w.now.Add(20 * time.Hour)
		if err := ev(w.carrier, a.ID, logistics.EvAtBorder, w.now); err != nil {
			t.Fatal(err)
		}
		// Customs holds the declaration: the crossing is refused, with a code.
		w.customs.held[w.declAcme] = true
		err = ev(w.carrier, a.ID, logistics.EvBorderCrossed, w.now)
		wantLogCode(t, err, problem.Conflict, "kind")
		if code := problem.FieldCodesOf(err.(*problem.Error))["kind"]; code != "customs_hold" {
			t.Fatalf("hold code %q", code)
		}
		v, err := w.svc.Shipment(ctx, w.acme, s.ID)
		if err != nil || !v.CustomsHold || count() != 2 {
			t.Fatalf("held shipment: hold %v, %d events, %v", v.CustomsHold, count(), err)
		}
		w.customs.held[w.declAcme] = false
		if err := ev(w.carrier, a.ID, logistics.EvBorderCrossed, w.now); err != nil {
			t.Fatal(err)
		}
		// Arrival 10 hours late (at +40 instead of +30): with the 6-hour
		// connection the second leg leaves at +46, 6 hours late, and the
		// ETA moves from +60 to +66.
		w.now = w.now.Add(9 * time.Hour)
		if err := ev(w.carrier, a.ID, logistics.EvArrived, w.now); err != nil {
			t.Fatal(err)
		}
		v, err = w.svc.Shipment(ctx, w.acme, s.ID)
		if err != nil || v.Tracking == nil {
			t.Fatal(err)
		}
		if want := b.ArriveAt.Add(6 * time.Hour); !v.Tracking.ETA.Equal(want) || v.Tracking.DelayMinutes != 360 {
			t.Fatalf("ETA %s (delay %d min), want %s", v.Tracking.ETA, v.Tracking.DelayMinutes, want)
		}
		// The rival carrier sees the shipment now; posting an event of a
		// time before the last one is refused.
		wantLogCode(t, ev(w.rival, b.ID, logistics.EvDeparted, t0), problem.Conflict, "at")
		w.now = w.now.Add(7 * time.Hour)
		for _, k := range []logistics.EventKind{logistics.EvDeparted, logistics.EvArrived, logistics.EvDelivered} {
			if err := ev(w.rival, b.ID, k, w.now); err != nil {
				t.Fatalf("%s: %v", k, err)
			}
		}
		wantLogCode(t, ev(w.rival, b.ID, logistics.EvDelivered, w.now), problem.Conflict, "kind")
		got, _ := db.GetShipment(ctx, s.ID)
		if got.Status != logistics.Delivered || got.EventCount != 7 {
			t.Fatalf("delivered shipment: %+v", got)
		}
		// Once moving, the booking cannot be cancelled.
		_, err = w.svc.CancelBooking(ctx, w.acme, s.ID)
		wantLogCode(t, err, problem.Conflict, "")
		entries, _ := db.ListAudit(ctx, audit.Filter{Limit: 100, SubjectType: "shipment", SubjectID: s.ID})
		if len(entries) != 9 { // created, booked, 7 events
			names := ""
			for _, e := range entries {
				names += fmt.Sprint(e.Action, " ")
			}
			t.Fatalf("%d audit entries: %s", len(entries), names)
		}
	})
}
