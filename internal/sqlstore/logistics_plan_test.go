package sqlstore

import (
	"context"
	"strconv"
	"testing"

	"bricstown/internal/logistics"
)

// The dispatcher solves the handling classes one after another (reefer
// first), so a reefer can take the one departure a plain shipment could
// have used. The reported lower bound must still be a bound on the best
// joint plan: here that plan costs 210.00 (the reefer on the later reefer
// departure, the plain shipment on the early one) while the run leaves the
// plain shipment behind at its 5,000.00 penalty. A bound computed on the
// room the reefer left (100.00 + 5,000.00) would claim more than the best
// plan costs; the bound taken on the room before the run (100.00 + 100.00)
// does not.
func TestLogisticsPlanBoundIsTrue(t *testing.T) {
	engines(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		w := newLogisticsWorld(t, db)
		early := w.departure(t, w.carrier, logistics.DepartureInput{From: "KZHOR", To: "KZALA", DepartAt: w.at(10), ArriveAt: w.at(20),
			CapacityTEU: 1, PricePerTEU: 100_00, Reefer: true})
		w.departure(t, w.carrier, logistics.DepartureInput{From: "KZHOR", To: "KZALA", DepartAt: w.at(10), ArriveAt: w.at(40),
			CapacityTEU: 1, PricePerTEU: 110_00, Reefer: true})
		reefer := w.shipment(t, w.acme, logistics.ShipmentInput{Origin: "KZHOR", Destination: "KZALA", ReadyAt: w.at(0), Deadline: w.at(80),
			TEU: 1, Reefer: true, Penalty: 5000_00})
		plain := w.shipment(t, w.acme, logistics.ShipmentInput{Origin: "KZHOR", Destination: "KZALA", ReadyAt: w.at(0), Deadline: w.at(30),
			TEU: 1, Penalty: 5000_00})

		res, err := w.svc.Plan(ctx, w.admin)
		if err != nil {
			t.Fatal(err)
		}
		bk, err := db.ActiveBooking(ctx, reefer.ID)
		if err != nil || bk.Legs[0].DepartureID != early.ID || len(res.Unassigned) != 1 || res.Unassigned[0].ShipmentID != plain.ID {
			t.Fatalf("the reefer class did not take the early departure first (the case this test is about): %+v %+v %v", res, bk, err)
		}
		cost, _ := strconv.ParseFloat(res.Cost, 64)
		bound, _ := strconv.ParseFloat(res.LowerBound, 64)
		if bound > 210.00 || bound > cost || res.Gap < 0 {
			t.Fatalf("lower bound %s above the best joint plan (210.00) or the cost %s; gap %v", res.LowerBound, res.Cost, res.Gap)
		}
		if cost != 5100.00 {
			t.Fatalf("cost %s, want 5100 (100 for the reefer, the plain shipment's penalty)", res.Cost)
		}
	})
}
