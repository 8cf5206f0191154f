package sqlstore

import (
	"context"
	"strconv"
	"testing"

	"bricstown/internal/logistics"
)

// The dispatcher's lower bound is a bound on the one joint problem, and
// the run reaches it here: the reefer shipment could take the early reefer
// departure, but the plain shipment can only meet its deadline on that
// one, so the best plan (210.00) puts the reefer on the later reefer
// departure. Solving the handling classes one after another (reefer first,
// as the dispatcher once did) took the early departure for the reefer and
// left the plain shipment behind at its 5,000.00 penalty (5,100.00).
func TestLogisticsPlanBoundIsTrue(t *testing.T) {
	engines(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		w := newLogisticsWorld(t, db)
		early := w.departure(t, w.carrier, logistics.DepartureInput{From: "KZHOR", To: "KZALA", DepartAt: w.at(10), ArriveAt: w.at(20),
			CapacityTEU: 1, PricePerTEU: 100_00, Reefer: true})
		late := w.departure(t, w.carrier, logistics.DepartureInput{From: "KZHOR", To: "KZALA", DepartAt: w.at(10), ArriveAt: w.at(40),
			CapacityTEU: 1, PricePerTEU: 110_00, Reefer: true})
		reefer := w.shipment(t, w.acme, logistics.ShipmentInput{Origin: "KZHOR", Destination: "KZALA", ReadyAt: w.at(0), Deadline: w.at(80),
			TEU: 1, Reefer: true, Penalty: 5000_00})
		plain := w.shipment(t, w.acme, logistics.ShipmentInput{Origin: "KZHOR", Destination: "KZALA", ReadyAt: w.at(0), Deadline: w.at(30),
			TEU: 1, Penalty: 5000_00})

		res, err := w.svc.Plan(ctx, w.admin)
		if err != nil {
			t.Fatal(err)
		}
		rb, err1 := db.ActiveBooking(ctx, reefer.ID)
		pb, err2 := db.ActiveBooking(ctx, plain.ID)
		if err1 != nil || err2 != nil || rb.Legs[0].DepartureID != late.ID || pb.Legs[0].DepartureID != early.ID || len(res.Unassigned) != 0 {
			t.Fatalf("want the reefer on the late departure and the plain shipment on the early one: %+v %v %v", res, err1, err2)
		}
		cost, _ := strconv.ParseFloat(res.Cost, 64)
		bound, _ := strconv.ParseFloat(res.LowerBound, 64)
		if cost != 210.00 {
			t.Fatalf("cost %s, want 210 (110 for the reefer, 100 for the plain shipment)", res.Cost)
		}
		if bound > cost || bound <= 0 || res.Gap < 0 {
			t.Fatalf("lower bound %s not within (0, cost %s]; gap %v", res.LowerBound, res.Cost, res.Gap)
		}
	})
}

// Three kinds of goods compete for the one departure that takes both
// reefer and dangerous goods (A, the cheapest). Only A takes dangerous
// goods, so the joint plan gives it to the dangerous goods, the reefer to
// the reefer-only B and the plain shipment to the truck D: 100 + 150 + 300.
// Solving the kinds one after another, most restricted first (reefer, then
// dangerous goods, then plain), gave A to the reefer and left the dangerous
// goods at their 5,000.00 penalty: 100 + 5,000 + 150 = 5,250.00.
func TestLogisticsPlanJointBeatsHandlingClasses(t *testing.T) {
	engines(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		w := newLogisticsWorld(t, db)
		a := w.departure(t, w.carrier, logistics.DepartureInput{From: "KZHOR", To: "KZALA", DepartAt: w.at(10), ArriveAt: w.at(20),
			CapacityTEU: 1, PricePerTEU: 100_00, Reefer: true, DangerousGoods: true})
		b := w.departure(t, w.carrier, logistics.DepartureInput{From: "KZHOR", To: "KZALA", DepartAt: w.at(10), ArriveAt: w.at(25),
			CapacityTEU: 1, PricePerTEU: 150_00, Reefer: true})
		d := w.departure(t, w.carrier, logistics.DepartureInput{From: "KZHOR", To: "KZALA", DepartAt: w.at(10), ArriveAt: w.at(30),
			CapacityTEU: 1, PricePerTEU: 300_00})
		in := func(reefer, dg bool) logistics.ShipmentInput {
			return logistics.ShipmentInput{Origin: "KZHOR", Destination: "KZALA", ReadyAt: w.at(0), Deadline: w.at(80),
				TEU: 1, Reefer: reefer, DangerousGoods: dg, Penalty: 5000_00}
		}
		cold := w.shipment(t, w.acme, in(true, false))
		hazard := w.shipment(t, w.acme, in(false, true))
		plain := w.shipment(t, w.acme, in(false, false))

		res, err := w.svc.Plan(ctx, w.admin)
		if err != nil {
			t.Fatal(err)
		}
		for sh, want := range map[string]string{hazard.ID: a.ID, cold.ID: b.ID, plain.ID: d.ID} {
			bk, err := db.ActiveBooking(ctx, sh)
			if err != nil || len(bk.Legs) != 1 || bk.Legs[0].DepartureID != want {
				t.Fatalf("shipment %s: booking %+v (%v), want departure %s; run %+v", sh, bk, err, want, res)
			}
		}
		cost, _ := strconv.ParseFloat(res.Cost, 64)
		bound, _ := strconv.ParseFloat(res.LowerBound, 64)
		if cost != 550.00 || res.Assigned != 3 || bound > cost || bound <= 0 {
			t.Fatalf("cost %s (want 550, the class-by-class plan cost 5250), bound %s, %d assigned", res.Cost, res.LowerBound, res.Assigned)
		}
	})
}
