package sqlstore

import (
	"context"
	"testing"
	"time"

	"bricstown/internal/fx"
	"bricstown/internal/logistics"
	"bricstown/internal/money"
	"bricstown/internal/problem"
)

// A network priced in tenge with carriers pricing in roubles, dollars and
// yuan: each departure is compared at the reference rate of the day, a
// currency without a reference is left out with its reason (never
// silently), a price that overflows once converted likewise, and a booking
// keeps each leg's cost in the carrier's currency and its total in tenge,
// rounded once, half to even.
func TestLogisticsDeparturesInCarriersCurrencies(t *testing.T) {
	engines(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		w := newLogisticsWorld(t, db)
		rate := func(s string) money.Rate {
			r, err := money.ParseRate(s)
			if err != nil {
				t.Fatal(err)
			}
			return r
		}
		refDate := w.now.AddDate(0, 0, -3).Format(time.DateOnly)
		set := fx.ReferenceSet{
			// 100 roubles cost 545 tenge: 5.45 a rouble.
			"RUB": {Date: refDate, Currency: "RUB", Units: 100, KZT: rate("545")},
			"USD": {Date: refDate, Currency: "USD", Units: 1, KZT: rate("505.2")},
		}
		var asked time.Time
		svc, err := logistics.NewService(db, logistics.Config{Currency: "KZT", Customs: w.customs, Now: func() time.Time { return w.now },
			References: func(_ context.Context, at time.Time) (fx.ReferenceSet, error) { asked = at; return set, nil }})
		if err != nil {
			t.Fatal(err)
		}
		w.svc = svc
		leg := func(ccy string, teu, kg int64) logistics.DepartureInput {
			return logistics.DepartureInput{From: "KZHOR", To: "KZALA", DepartAt: w.at(24), ArriveAt: w.at(40), CapacityTEU: 10,
				CapacityKg: 100_000, Currency: ccy, PricePerTEU: teu, PricePerKg: kg}
		}
		// Per TEU: 95,000.00 RUB = 517,750 KZT; 1,100.00 USD = 555,720 KZT;
		// 520,000 KZT; and yuan, which has no reference.
		rub := w.departure(t, w.carrier, leg("RUB", 95_000_00, 1))
		usd := w.departure(t, w.rival, leg("USD", 1_100_00, 0))
		kzt := w.departure(t, w.rival, leg("KZT", 520_000_00, 0))
		cny := w.departure(t, w.carrier, leg("CNY", 1_00, 0))
		// 1,000,000.00 USD per TEU is a valid price in dollars, but far
		// beyond what the optimiser holds once in tenge.
		huge := w.departure(t, w.rival, leg("USD", 1_000_000_00, 0))

		// Explicitly on the yuan departure: refused, naming the leg and why.
		s1 := w.shipment(t, w.acme, logistics.ShipmentInput{Origin: "KZHOR", Destination: "KZALA", ReadyAt: w.at(0), Deadline: w.at(72), TEU: 1, Kg: 50})
		_, err = w.svc.Book(ctx, w.acme, s1.ID, logistics.BookInput{DepartureIDs: []string{cny.ID}})
		wantLogCode(t, err, problem.Conflict, "departure_ids[0]")
		if c := problem.FieldCodesOf(err.(*problem.Error))["departure_ids[0]"]; c != "no_reference_rate_on" {
			t.Fatalf("code %q: %v", c, err)
		}
		if got, _ := db.GetDeparture(ctx, cny.ID); got.BookedTEU != 0 {
			t.Fatal("a refused booking took capacity")
		}

		// The best route is the cheapest in tenge: the rouble departure
		// (the yuan one, nominally 1 CNY, is not a candidate).
		b, err := w.svc.Book(ctx, w.acme, s1.ID, logistics.BookInput{})
		if err != nil {
			t.Fatal(err)
		}
		if asked.Format(time.DateOnly) != w.now.Format(time.DateOnly) {
			t.Fatalf("rates of %v asked, want the booking day", asked)
		}
		if len(b.Legs) != 1 || b.Legs[0].DepartureID != rub.ID {
			t.Fatalf("best route %+v, want the rouble departure %s", b.Legs, rub.ID)
		}
		// 1 TEU × 95,000.00 + 50 kg × 0.01 = 95,000.50 RUB; at 5.45 that is
		// 517,752.725 KZT: 51,775,272.5 tiyn, half to even 51,775,272.
		l := b.Legs[0]
		if l.CostMinor != 95_000_50 || l.Currency != "RUB" || l.Rate != "5.45" || l.RateDate != refDate {
			t.Fatalf("leg %+v", l)
		}
		if b.CostMinor != 51_775_272 || b.Currency != "KZT" {
			t.Fatalf("total %d %s, want 51775272 KZT", b.CostMinor, b.Currency)
		}
		// What is stored reads back the same, on both engines.
		v, err := w.svc.Shipment(ctx, w.acme, s1.ID)
		if err != nil {
			t.Fatal(err)
		}
		if v.Booking == nil || v.Booking.CostMinor != b.CostMinor || len(v.Booking.Legs) != 1 || v.Booking.Legs[0] != l {
			t.Fatalf("stored booking %+v, want %+v", v.Booking, b)
		}

		// The dispatcher: three more shipments; the yuan and the huge
		// dollar departure are reported as excluded, with their reasons.
		for range 3 {
			w.shipment(t, w.other, logistics.ShipmentInput{Origin: "KZHOR", Destination: "KZALA", ReadyAt: w.at(0), Deadline: w.at(72), TEU: 4})
		}
		res, err := w.svc.Plan(ctx, w.admin)
		if err != nil {
			t.Fatal(err)
		}
		reasons := map[string]string{}
		for _, e := range res.Excluded {
			reasons[e.DepartureID] = e.Reason
		}
		if len(reasons) != 2 || reasons[cny.ID] != logistics.ExcludedNoRate || reasons[huge.ID] != logistics.ExcludedPriceTooLarge {
			t.Fatalf("excluded %+v", res.Excluded)
		}
		if res.Departures != 3 || res.Currency != "KZT" || res.RateDate != w.now.Format(time.DateOnly) {
			t.Fatalf("plan %+v", res)
		}
		// 9 TEU of rouble room left and 10 in dollars and tenge: 4 + 4 on
		// the rouble departure, 4 on the tenge one (cheaper than dollars).
		if res.Assigned != 3 {
			t.Fatalf("assigned %d: %+v", res.Assigned, res.Unassigned)
		}
		on := map[string]int{}
		for _, b := range res.Bookings {
			on[b.Legs[0].DepartureID]++
			if b.Currency != "KZT" || b.Legs[0].Currency == "" {
				t.Fatalf("plan booking %+v", b)
			}
		}
		if on[rub.ID] != 2 || on[kzt.ID] != 1 || on[usd.ID] != 0 {
			t.Fatalf("plan placed %v (rub %s, kzt %s, usd %s)", on, rub.ID, kzt.ID, usd.ID)
		}
		// The run's cost is in tenge at the optimiser's scale: 2 × 4 ×
		// 517,750 + 4 × 520,000 (s1 was booked before the run).
		if res.Cost != "6222000" {
			t.Fatalf("plan cost %s KZT, want 6222000", res.Cost)
		}

		// Without any reference source, only tenge departures can be booked.
		bare, err := logistics.NewService(db, logistics.Config{Currency: "KZT", Customs: w.customs, Now: func() time.Time { return w.now }})
		if err != nil {
			t.Fatal(err)
		}
		s2 := w.shipment(t, w.acme, logistics.ShipmentInput{Origin: "KZHOR", Destination: "KZALA", ReadyAt: w.at(0), Deadline: w.at(72), TEU: 1})
		_, err = bare.Book(ctx, w.acme, s2.ID, logistics.BookInput{DepartureIDs: []string{usd.ID}})
		wantLogCode(t, err, problem.Conflict, "departure_ids[0]")
	})
}
