package dispatch

import (
	"fmt"
	"slices"
)

// Check verifies an answer independently of how it was found: one entry per
// shipment, every route a feasible chain (origin at or after ready_at,
// connections at least the minimum, destination by the deadline, every
// departure taking the shipment's handling), confirmed
// bookings unchanged, no departure over its TEU or kg capacity, the cost
// recomputed exactly, and the bound not above it. The benchmark and the
// tests run it on every answer.
func Check(p *Problem, res Result) error {
	conn := map[string]int64{}
	for _, n := range p.Nodes {
		conn[n.Locode] = int64(n.MinConnection.Seconds())
	}
	minConn := func(code string) int64 {
		if v, ok := conn[code]; ok {
			return v
		}
		return int64(DefaultMinConnection.Seconds())
	}
	deps := make(map[string]*Departure, len(p.Departures))
	usedT := map[string]int64{}
	usedK := map[string]int64{}
	for i := range p.Departures {
		deps[p.Departures[i].ID] = &p.Departures[i]
	}
	confirmed := map[string][]string{}
	for _, a := range p.Confirmed {
		confirmed[a.ShipmentID] = a.DepartureIDs
	}
	if len(res.Assignments) != len(p.Shipments) {
		return fmt.Errorf("%d assignments for %d shipments", len(res.Assignments), len(p.Shipments))
	}
	var cost int64
	assigned := 0
	for i, s := range p.Shipments {
		a := res.Assignments[i]
		if a.ShipmentID != s.ID {
			return fmt.Errorf("assignment %d is for %q, not %q", i, a.ShipmentID, s.ID)
		}
		if c, ok := confirmed[s.ID]; ok && !slices.Equal(c, a.DepartureIDs) {
			return fmt.Errorf("shipment %s: confirmed booking changed", s.ID)
		}
		if len(a.DepartureIDs) == 0 {
			cost += s.Penalty
			if _, ok := confirmed[s.ID]; !ok && res.Reasons[s.ID] == "" {
				return fmt.Errorf("shipment %s unassigned without a reason", s.ID)
			}
			continue
		}
		assigned++
		at, t := s.Origin, s.ReadyAt.Unix()
		for k, id := range a.DepartureIDs {
			d := deps[id]
			if d == nil {
				return fmt.Errorf("shipment %s: unknown departure %s", s.ID, id)
			}
			if !d.Handling.Takes(s.Handling) {
				return fmt.Errorf("shipment %s needs handling %q, departure %s takes %q", s.ID, s.Handling, id, d.Handling)
			}
			if d.From != at {
				return fmt.Errorf("shipment %s: departure %s leaves from %s, the shipment is at %s", s.ID, id, d.From, at)
			}
			need := t
			if k > 0 {
				need += minConn(at)
			}
			if d.DepartAt.Unix() < need {
				return fmt.Errorf("shipment %s: departure %s leaves too early", s.ID, id)
			}
			at, t = d.To, d.ArriveAt.Unix()
			usedT[id] += s.TEU
			usedK[id] += s.Kg
			cost += s.TEU*d.PricePerTEU + s.Kg*d.PricePerKg
		}
		if at != s.Destination || t > s.Deadline.Unix() {
			return fmt.Errorf("shipment %s: route ends at %s at %d, not at %s by the deadline", s.ID, at, t, s.Destination)
		}
	}
	for id, u := range usedT {
		if u > deps[id].CapacityTEU {
			return fmt.Errorf("departure %s carries %d thousandths of a TEU over capacity %d", id, u, deps[id].CapacityTEU)
		}
	}
	for id, u := range usedK {
		if u > deps[id].CapacityKg {
			return fmt.Errorf("departure %s carries %d g over capacity %d", id, u, deps[id].CapacityKg)
		}
	}
	if cost != res.Cost {
		return fmt.Errorf("cost is %d, the result says %d", cost, res.Cost)
	}
	if assigned != res.Assigned {
		return fmt.Errorf("%d assigned, the result says %d", assigned, res.Assigned)
	}
	if res.LowerBound > res.Cost || res.LowerBound < 0 {
		return fmt.Errorf("lower bound %d is not within [0, cost %d]", res.LowerBound, res.Cost)
	}
	return nil
}
