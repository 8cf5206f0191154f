package dispatch

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"bricstown/internal/problem"
)

var t0 = time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)

func h(n float64) time.Time { return t0.Add(time.Duration(n * float64(time.Hour))) }

// dep is a departure with whole TEU capacity and whole-currency prices.
func dep(id, from, to string, at, arrive float64, capTEU int64, priceTEU int64) Departure {
	return Departure{ID: id, From: from, To: to, DepartAt: h(at), ArriveAt: h(arrive),
		CapacityTEU: capTEU * 1000, CapacityKg: capTEU * 30_000_000, PricePerTEU: priceTEU * 10_000}
}

// shp is a shipment of whole TEU with a whole-currency penalty.
func shp(id, o, d string, ready, deadline float64, teu, penalty int64) Shipment {
	return Shipment{ID: id, Origin: o, Destination: d, ReadyAt: h(ready), Deadline: h(deadline),
		TEU: teu * 1000, Kg: teu * 10_000_000, Penalty: penalty * 10_000_000}
}

func cur(v int64) int64 { return v * 10_000_000 } // whole currency units in cost units

func solve(t *testing.T, p *Problem) Result {
	t.Helper()
	res, err := Solve(context.Background(), p, Options{TargetGap: -1})
	if err != nil {
		t.Fatal(err)
	}
	if err := Check(p, res); err != nil {
		t.Fatalf("answer fails its check: %v", err)
	}
	return res
}

func routeOf(res Result, id string) string {
	for _, a := range res.Assignments {
		if a.ShipmentID == id {
			return strings.Join(a.DepartureIDs, ";")
		}
	}
	return "?"
}

var nodes3 = []Node{{"KZHOR", 2 * time.Hour}, {"KZALA", 2 * time.Hour}, {"UZTAS", time.Hour}}

// A transfer route is cheaper than the direct one, but only a connection
// that respects the minimum connection time may be used.
func TestConnectionTimeAndCheapestChain(t *testing.T) {
	p := &Problem{Nodes: nodes3,
		Departures: []Departure{
			dep("direct", "KZHOR", "UZTAS", 0, 30, 10, 500),
			dep("leg1", "KZHOR", "KZALA", 0, 8, 10, 100),
			dep("tight", "KZALA", "UZTAS", 9, 29, 10, 100), // leaves 1 h after leg1 arrives: too tight (2 h)
			dep("ok", "KZALA", "UZTAS", 10, 30, 10, 250),   // exactly 2 h: allowed
		},
		Shipments: []Shipment{shp("s1", "KZHOR", "UZTAS", 0, 40, 1, 1000)},
	}
	res := solve(t, p)
	if got := routeOf(res, "s1"); got != "leg1;ok" {
		t.Fatalf("route %q, want leg1;ok (tight breaks the 2 h connection)", got)
	}
	if res.Cost != cur(350) || res.LowerBound != cur(350) {
		t.Fatalf("cost %d bound %d, want both 350", res.Cost, res.LowerBound)
	}
	// The deadline rules out the chain: the direct train is the answer.
	p.Shipments[0].Deadline = h(30)
	p.Departures[3].ArriveAt = h(31)
	res = solve(t, p)
	if got := routeOf(res, "s1"); got != "direct" || res.Cost != cur(500) {
		t.Fatalf("route %q cost %d, want direct at 500", got, res.Cost)
	}
	// Ready after the cheap first leg leaves: direct as well.
	p.Shipments[0].ReadyAt = h(0.5)
	p.Departures[0].DepartAt = h(1)
	res = solve(t, p)
	if got := routeOf(res, "s1"); got != "direct" {
		t.Fatalf("route %q, want direct (leg1 leaves before ready_at)", got)
	}
}

// Two shipments compete for one cheap slot; the one that would lose more
// gets it, and the optimum is known by hand.
func TestCapacityGoesWhereItSavesMost(t *testing.T) {
	p := &Problem{Nodes: nodes3,
		Departures: []Departure{
			dep("cheap", "KZHOR", "KZALA", 0, 8, 1, 100),
			dep("dear", "KZHOR", "KZALA", 1, 9, 5, 400),
		},
		Shipments: []Shipment{
			shp("a", "KZHOR", "KZALA", 0, 24, 1, 450), // dear saves only 50 over the penalty
			shp("b", "KZHOR", "KZALA", 0, 24, 1, 900), // dear saves 500
			shp("c", "KZHOR", "KZALA", 0, 24, 1, 300), // dear is dearer than its penalty
		},
	}
	// Optimum: b on cheap (100), a on dear (400), c unassigned (300) = 800.
	// (a on cheap, b on dear = 100+400+300 as well: ties are fine; the cost is the test.)
	res := solve(t, p)
	if res.Cost != cur(800) {
		t.Fatalf("cost %s, want 800", FormatCost(res.Cost))
	}
	if res.LowerBound > res.Cost {
		t.Fatalf("bound above cost")
	}
	// c could gain from the cheap slot (100 < 300), but it went to b.
	if res.Reasons["c"] != CapacityTaken {
		t.Fatalf("c: reason %q, want %q", res.Reasons["c"], CapacityTaken)
	}
	// With room on the dear train for one only and c's penalty below any
	// price, c is left for being dearer than its penalty.
	p.Departures[1].CapacityTEU = 1000
	p.Shipments[2].Penalty = cur(90)
	res = solve(t, p)
	if res.Reasons["c"] != PenaltyCheaper {
		t.Fatalf("c: reason %q, want %q (%v)", res.Reasons["c"], PenaltyCheaper, res.Assignments)
	}
	if res.Cost != cur(100+400+90) {
		t.Fatalf("cost %s, want 590", FormatCost(res.Cost))
	}
}

func TestReasons(t *testing.T) {
	p := &Problem{Nodes: append(slices.Clone(nodes3), Node{"AZBAK", time.Hour}),
		Departures: []Departure{dep("d1", "KZHOR", "KZALA", 10, 20, 5, 100)},
		Shipments: []Shipment{
			shp("noroute", "KZALA", "KZHOR", 0, 100, 1, 1000),
			shp("late", "KZHOR", "KZALA", 0, 15, 1, 1000),
			shp("afterlast", "KZHOR", "KZALA", 11, 100, 1, 1000),
			shp("cheaper", "KZHOR", "KZALA", 0, 100, 1, 50),
			shp("big", "KZHOR", "KZALA", 0, 100, 6, 100000),
			shp("fine", "KZHOR", "KZALA", 0, 100, 1, 1000),
		},
	}
	res := solve(t, p)
	want := map[string]Reason{"noroute": NoRoute, "late": NoRouteInTime, "afterlast": NoRoute, "cheaper": PenaltyCheaper, "big": CapacityTaken}
	if !reflect.DeepEqual(res.Reasons, want) {
		t.Fatalf("reasons %v, want %v", res.Reasons, want)
	}
	if res.Assigned != 1 || routeOf(res, "fine") != "d1" {
		t.Fatalf("assigned %d, fine on %q", res.Assigned, routeOf(res, "fine"))
	}
}

// Confirmed bookings stay as they are and their capacity is not offered
// again; bookings that overbook or are not a feasible chain are refused.
func TestConfirmedBookingsAreKept(t *testing.T) {
	p := &Problem{Nodes: nodes3,
		Departures: []Departure{
			dep("cheap", "KZHOR", "KZALA", 0, 8, 1, 100),
			dep("dear", "KZHOR", "KZALA", 1, 9, 5, 300),
		},
		Shipments: []Shipment{
			shp("old", "KZHOR", "KZALA", 0, 24, 1, 150),
			shp("new", "KZHOR", "KZALA", 0, 24, 1, 5000),
		},
		Confirmed: []Assignment{{ShipmentID: "old", DepartureIDs: []string{"cheap"}}},
	}
	res := solve(t, p)
	if routeOf(res, "old") != "cheap" || routeOf(res, "new") != "dear" || res.Cost != cur(400) {
		t.Fatalf("old on %q, new on %q, cost %d: want cheap, dear, 400", routeOf(res, "old"), routeOf(res, "new"), res.Cost)
	}
	p.Confirmed = append(p.Confirmed, Assignment{ShipmentID: "new", DepartureIDs: []string{"cheap"}})
	if _, err := Solve(context.Background(), p, Options{}); err == nil || !strings.Contains(err.Error(), "overbook") {
		t.Fatalf("overbooking confirmed bookings: err %v", err)
	}
	p.Confirmed = []Assignment{{ShipmentID: "old", DepartureIDs: []string{"cheap", "dear"}}}
	if _, err := Solve(context.Background(), p, Options{}); err == nil || !problem.Is(err, problem.Invalid) {
		t.Fatalf("a broken chain: err %v", err)
	}
}

// Prices in decimals give exact costs: 3 × 0.1 is 0.3, not 0.30000000000000004.
func TestCostsAreExact(t *testing.T) {
	p := &Problem{Nodes: nodes3,
		Departures: []Departure{{ID: "d", From: "KZHOR", To: "KZALA", DepartAt: h(0), ArriveAt: h(5),
			CapacityTEU: 10_000, CapacityKg: 1_000_000_000, PricePerTEU: 1000, PricePerKg: 1}},
		Shipments: []Shipment{{ID: "s", Origin: "KZHOR", Destination: "KZALA", ReadyAt: h(0), Deadline: h(9),
			TEU: 3000, Kg: 1_234_567, Penalty: cur(1)}},
	}
	res := solve(t, p)
	// 3 TEU × 0.1 + 1234.567 kg × 0.0001 = 0.3 + 0.1234567
	if got := FormatCost(res.Cost); got != "0.4234567" {
		t.Fatalf("cost %s, want 0.4234567", got)
	}
}

// randomTiny is a small random network where brute force is possible.
func randomTiny(rng *rand.Rand) *Problem {
	codes := []string{"KZHOR", "KZALA", "UZTAS"}
	p := &Problem{Nodes: []Node{{codes[0], time.Hour}, {codes[1], 2 * time.Hour}, {codes[2], time.Hour}}}
	nd := 3 + rng.IntN(5)
	for i := 0; i < nd; i++ {
		a := rng.IntN(3)
		b := (a + 1 + rng.IntN(2)) % 3
		at := float64(rng.IntN(30))
		p.Departures = append(p.Departures, Departure{ID: fmt.Sprint("d", i), From: codes[a], To: codes[b],
			DepartAt: h(at), ArriveAt: h(at + 1 + float64(rng.IntN(8))),
			CapacityTEU: int64(rng.IntN(4)) * 1000, CapacityKg: int64(rng.IntN(40)) * 1_000_000,
			PricePerTEU: int64(rng.IntN(500)) * 10_000, PricePerKg: int64(rng.IntN(30))})
	}
	ns := 2 + rng.IntN(4)
	for i := 0; i < ns; i++ {
		a := rng.IntN(3)
		b := (a + 1 + rng.IntN(2)) % 3
		ready := float64(rng.IntN(15))
		p.Shipments = append(p.Shipments, Shipment{ID: fmt.Sprint("s", i), Origin: codes[a], Destination: codes[b],
			ReadyAt: h(ready), Deadline: h(ready + 5 + float64(rng.IntN(40))),
			TEU: int64(rng.IntN(3)) * 1000, Kg: int64(1+rng.IntN(15)) * 1_000_000, Penalty: int64(rng.IntN(1500)) * 10_000_000})
	}
	return p
}

// bruteForce is the optimum by enumerating every route of every shipment.
func bruteForce(p *Problem) int64 {
	conn := map[string]int64{}
	for _, n := range p.Nodes {
		conn[n.Locode] = int64(n.MinConnection.Seconds())
	}
	type route struct {
		deps []int
		cost int64
	}
	routes := make([][]route, len(p.Shipments))
	for si, s := range p.Shipments {
		var walk func(at string, t int64, first bool, path []int, cost int64)
		walk = func(at string, t int64, first bool, path []int, cost int64) {
			if at == s.Destination && len(path) > 0 {
				routes[si] = append(routes[si], route{slices.Clone(path), cost})
				return
			}
			for j, d := range p.Departures {
				need := t
				if !first {
					need += conn[at]
				}
				if d.From == at && d.Handling.Takes(s.Handling) && d.DepartAt.Unix() >= need && d.ArriveAt.Unix() <= s.Deadline.Unix() {
					walk(d.To, d.ArriveAt.Unix(), false, append(path, j), cost+s.TEU*d.PricePerTEU+s.Kg*d.PricePerKg)
				}
			}
		}
		walk(s.Origin, s.ReadyAt.Unix(), true, nil, 0)
	}
	// A confirmed shipment has exactly its booking.
	confirmed := map[int]bool{}
	for _, a := range p.Confirmed {
		for si, s := range p.Shipments {
			if s.ID != a.ShipmentID {
				continue
			}
			confirmed[si] = true
			var keep []route
			for _, r := range routes[si] {
				ids := make([]string, len(r.deps))
				for k, j := range r.deps {
					ids[k] = p.Departures[j].ID
				}
				if slices.Equal(ids, a.DepartureIDs) {
					keep = append(keep, r)
				}
			}
			routes[si] = keep
		}
	}
	useT := make([]int64, len(p.Departures))
	useK := make([]int64, len(p.Departures))
	best := int64(inf)
	var rec func(si int, cost int64)
	rec = func(si int, cost int64) {
		if cost >= best {
			return
		}
		if si == len(p.Shipments) {
			best = cost
			return
		}
		s := p.Shipments[si]
		if !confirmed[si] {
			rec(si+1, cost+s.Penalty)
		}
		for _, r := range routes[si] {
			ok := true
			for _, j := range r.deps {
				useT[j] += s.TEU
				useK[j] += s.Kg
				if useT[j] > p.Departures[j].CapacityTEU || useK[j] > p.Departures[j].CapacityKg {
					ok = false
				}
			}
			if ok {
				rec(si+1, cost+r.cost)
			}
			for _, j := range r.deps {
				useT[j] -= s.TEU
				useK[j] -= s.Kg
			}
		}
	}
	rec(0, 0)
	return best
}

// On tiny random networks the bound never exceeds the true optimum (so it
// is a bound) and the answer never beats it (so it is feasible); most of
// the time the answer is the optimum.
func TestBoundBelowBruteForceOptimum(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 7))
	optimal := 0
	const n = 400
	for i := 0; i < n; i++ {
		p := randomTiny(rng)
		res, err := Solve(context.Background(), p, Options{TargetGap: -1, Iterations: 60})
		if err != nil {
			t.Fatal(err)
		}
		if err := Check(p, res); err != nil {
			t.Fatalf("instance %d: %v", i, err)
		}
		opt := bruteForce(p)
		if res.LowerBound > opt || res.Cost < opt {
			t.Fatalf("instance %d: bound %d, optimum %d, cost %d", i, res.LowerBound, opt, res.Cost)
		}
		if res.Cost == opt {
			optimal++
		}
		// Re-optimise with the first routed shipment confirmed on its
		// route: the bound stays below the optimum under that booking.
		for _, a := range res.Assignments {
			if len(a.DepartureIDs) > 0 {
				p.Confirmed = []Assignment{a}
				break
			}
		}
		if p.Confirmed == nil {
			continue
		}
		res, err = Solve(context.Background(), p, Options{TargetGap: -1, Iterations: 60})
		if err != nil {
			t.Fatal(err)
		}
		if err := Check(p, res); err != nil {
			t.Fatalf("instance %d with a confirmed booking: %v", i, err)
		}
		if opt := bruteForce(p); res.LowerBound > opt || res.Cost < opt {
			t.Fatalf("instance %d with a confirmed booking: bound %d, optimum %d, cost %d", i, res.LowerBound, opt, res.Cost)
		}
	}
	if optimal < n*8/10 {
		t.Fatalf("optimal on only %d of %d tiny instances", optimal, n)
	}
	t.Logf("optimal on %d of %d", optimal, n)
}

// On random corridor networks of moderate size, with and without
// confirmed bookings, no departure is ever over capacity, every route is
// feasible, the cost is exact and the bound is below it.
func TestRandomNetworksStayWithinCapacity(t *testing.T) {
	for seed := uint64(1); seed <= 6; seed++ {
		p := Generate(seed, 600, 150)
		// Tighten some capacities so that they bind.
		for i := range p.Departures {
			if i%3 == 0 {
				p.Departures[i].CapacityTEU /= 8
				p.Departures[i].CapacityKg /= 20
			}
		}
		res, err := Solve(context.Background(), p, Options{Iterations: 30})
		if err != nil {
			t.Fatal(err)
		}
		if err := Check(p, res); err != nil {
			t.Fatalf("seed %d: %v", seed, err)
		}
		if res.Assigned == 0 || res.Assigned == len(p.Shipments) {
			t.Logf("seed %d: %d of %d assigned", seed, res.Assigned, len(p.Shipments))
		}
		// Re-optimise keeping half of the routed shipments as confirmed.
		q := *p
		q.Confirmed = nil
		for i, a := range res.Assignments {
			if i%2 == 0 && len(a.DepartureIDs) > 0 {
				q.Confirmed = append(q.Confirmed, a)
			}
		}
		res2, err := Solve(context.Background(), &q, Options{Iterations: 30})
		if err != nil {
			t.Fatal(err)
		}
		if err := Check(&q, res2); err != nil {
			t.Fatalf("seed %d with confirmed bookings: %v", seed, err)
		}
	}
}

// The same input gives the same answer, whatever the number of workers.
func TestDeterministic(t *testing.T) {
	p := Generate(3, 800, 200)
	a, err := Solve(context.Background(), p, Options{Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	b, err := Solve(context.Background(), p, Options{Workers: 3})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(a, b) {
		t.Fatalf("different answers: cost %d/%d bound %d/%d", a.Cost, b.Cost, a.LowerBound, b.LowerBound)
	}
}

// A cancelled context still gives a feasible answer with a true bound.
func TestCancelledStillFeasible(t *testing.T) {
	p := Generate(2, 500, 120)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	res, err := Solve(ctx, p, Options{TargetGap: -1})
	if err != nil {
		t.Fatal(err)
	}
	if !res.Stopped || res.Iterations != 1 {
		t.Fatalf("stopped %v after %d iterations", res.Stopped, res.Iterations)
	}
	if err := Check(p, res); err != nil {
		t.Fatal(err)
	}
}

func TestInvalidProblems(t *testing.T) {
	base := func() *Problem {
		return &Problem{Nodes: nodes3, Departures: []Departure{dep("d", "KZHOR", "KZALA", 0, 5, 1, 1)},
			Shipments: []Shipment{shp("s", "KZHOR", "KZALA", 0, 9, 1, 1)}}
	}
	for name, mut := range map[string]func(p *Problem){
		"unknown locode":     func(p *Problem) { p.Shipments[0].Destination = "PLMAL" },
		"malformed locode":   func(p *Problem) { p.Departures[0].To = "kzala" },
		"negative capacity":  func(p *Problem) { p.Departures[0].CapacityKg = -1 },
		"arrives before":     func(p *Problem) { p.Departures[0].ArriveAt = h(-1) },
		"duplicate shipment": func(p *Problem) { p.Shipments = append(p.Shipments, p.Shipments[0]) },
		"penalties overflow": func(p *Problem) { p.Shipments[0].Penalty = inf },
		"confirmed unknown":  func(p *Problem) { p.Confirmed = []Assignment{{ShipmentID: "x"}} },
		"prices overflow":    func(p *Problem) { p.Departures[0].PricePerKg = inf / 2 },
	} {
		p := base()
		mut(p)
		_, err := Solve(context.Background(), p, Options{})
		var pe *problem.Error
		if !errors.As(err, &pe) {
			t.Errorf("%s: err %v, want a problem", name, err)
		}
	}
}
