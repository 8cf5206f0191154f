package dispatch

import (
	"bytes"
	"context"
	"errors"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"

	"bricstown/internal/problem"
)

// withHandling gives a generated network random handling: some departures
// take reefer, dangerous goods or both, some shipments need them.
func withHandling(p *Problem, seed uint64) *Problem {
	rng := rand.New(rand.NewPCG(seed, 0x4a4d))
	for i := range p.Departures {
		if rng.IntN(2) == 0 {
			p.Departures[i].Handling |= Reefer
		}
		if rng.IntN(3) == 0 {
			p.Departures[i].Handling |= DangerousGoods
		}
	}
	for i := range p.Shipments {
		switch rng.IntN(6) {
		case 0:
			p.Shipments[i].Handling = Reefer
		case 1:
			p.Shipments[i].Handling = DangerousGoods
		case 2:
			p.Shipments[i].Handling = Reefer | DangerousGoods
		}
	}
	return p
}

// A shipment needing reefer (or dangerous goods) is never routed over a
// departure that does not take it, capacity is kept and the bound stays
// below the answer, on random networks with tight capacities; Check alone
// would already refuse such a route, the loop says it in the test's words.
func TestHandlingNeverOnIneligibleDeparture(t *testing.T) {
	for seed := uint64(1); seed <= 6; seed++ {
		p := withHandling(Generate(seed, 500, 150), seed)
		for i := range p.Departures {
			if i%3 == 0 {
				p.Departures[i].CapacityTEU /= 6
				p.Departures[i].CapacityKg /= 15
			}
		}
		res, err := Solve(context.Background(), p, Options{Iterations: 30})
		if err != nil {
			t.Fatal(err)
		}
		if err := Check(p, res); err != nil {
			t.Fatalf("seed %d: %v", seed, err)
		}
		deps := map[string]Departure{}
		for _, d := range p.Departures {
			deps[d.ID] = d
		}
		special := 0
		for i, a := range res.Assignments {
			s := p.Shipments[i]
			for _, id := range a.DepartureIDs {
				if d := deps[id]; s.Handling&Reefer != 0 && d.Handling&Reefer == 0 ||
					s.Handling&DangerousGoods != 0 && d.Handling&DangerousGoods == 0 {
					t.Fatalf("seed %d: shipment %s (%s) on departure %s (%s)", seed, s.ID, s.Handling, id, d.Handling)
				}
			}
			if s.Handling != 0 && len(a.DepartureIDs) > 0 {
				special++
			}
		}
		if special == 0 {
			t.Fatalf("seed %d: no shipment with handling was routed: the test proves nothing", seed)
		}
		if res.LowerBound > res.Cost {
			t.Fatalf("seed %d: bound %d above cost %d", seed, res.LowerBound, res.Cost)
		}
	}
}

// On tiny random networks with handling the bound stays below the brute
// force optimum (which honours handling) and the answer never beats it.
func TestHandlingBoundBelowBruteForceOptimum(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 11))
	optimal := 0
	const n = 300
	for i := 0; i < n; i++ {
		p := randomTiny(rng)
		for k := range p.Departures {
			p.Departures[k].Handling = Handling(rng.IntN(4))
		}
		for k := range p.Shipments {
			p.Shipments[k].Handling = Handling(rng.IntN(4))
		}
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
	}
	if optimal < n*8/10 {
		t.Fatalf("optimal on only %d of %d tiny instances", optimal, n)
	}
}

// Handling only ever removes departures from a shipment's choice: when
// every departure takes everything, or no shipment needs anything, the
// answer is exactly the one without handling (same routes, cost, bound,
// iterations), so networks without handling solve as they always did.
func TestNoHandlingUnchanged(t *testing.T) {
	plain := Generate(4, 800, 200)
	want, err := Solve(context.Background(), plain, Options{})
	if err != nil {
		t.Fatal(err)
	}
	allTake := Generate(4, 800, 200)
	for i := range allTake.Departures {
		allTake.Departures[i].Handling = Reefer | DangerousGoods
	}
	noneNeed := withHandling(Generate(4, 800, 200), 4)
	for i := range noneNeed.Shipments {
		noneNeed.Shipments[i].Handling = 0
	}
	allNeedAllTake := withHandling(Generate(4, 800, 200), 4)
	for i := range allNeedAllTake.Departures {
		allNeedAllTake.Departures[i].Handling = Reefer | DangerousGoods
	}
	for name, p := range map[string]*Problem{"every departure takes all": allTake, "no shipment needs any": noneNeed,
		"needs met everywhere": allNeedAllTake} {
		got, err := Solve(context.Background(), p, Options{})
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("%s: cost %d bound %d assigned %d, without handling cost %d bound %d assigned %d", name,
				got.Cost, got.LowerBound, got.Assigned, want.Cost, want.LowerBound, want.Assigned)
		}
	}
}

// Mixed handling competing for one departure: the reefer shipment can
// only take the reefer train R; the ordinary one prefers R (cheaper) but
// has the truck T. Jointly, R goes to the reefer shipment and the ordinary
// one takes T; a plan that let the ordinary shipment take R first would
// leave the reefer one behind at its penalty.
func TestHandlingSharesOneDeparture(t *testing.T) {
	p := &Problem{Nodes: nodes3,
		Departures: []Departure{dep("R", "KZHOR", "KZALA", 10, 20, 1, 100), dep("T", "KZHOR", "KZALA", 10, 30, 1, 300)},
		Shipments:  []Shipment{shp("plain", "KZHOR", "KZALA", 0, 50, 1, 5000), shp("cold", "KZHOR", "KZALA", 0, 50, 1, 5000)}}
	p.Departures[0].Handling = Reefer
	p.Shipments[1].Handling = Reefer
	res := solve(t, p)
	if routeOf(res, "cold") != "R" || routeOf(res, "plain") != "T" || res.Cost != cur(400) || res.LowerBound != cur(400) {
		t.Fatalf("cold %q plain %q cost %d bound %d", routeOf(res, "cold"), routeOf(res, "plain"), res.Cost, res.LowerBound)
	}
	// Without a reefer departure the cold shipment has no route at all.
	p.Departures[0].Handling = 0
	res = solve(t, p)
	if routeOf(res, "cold") != "" || res.Reasons["cold"] != NoRoute {
		t.Fatalf("cold %q reason %q", routeOf(res, "cold"), res.Reasons["cold"])
	}
}

// A confirmed booking on a departure that does not take the shipment's
// handling is refused, not kept.
func TestConfirmedOnIneligibleDepartureRefused(t *testing.T) {
	p := &Problem{Nodes: nodes3,
		Departures: []Departure{dep("T", "KZHOR", "KZALA", 10, 30, 1, 300)},
		Shipments:  []Shipment{shp("cold", "KZHOR", "KZALA", 0, 50, 1, 5000)},
		Confirmed:  []Assignment{{ShipmentID: "cold", DepartureIDs: []string{"T"}}}}
	p.Shipments[0].Handling = Reefer
	_, err := Solve(context.Background(), p, Options{})
	if !problem.Is(err, problem.Invalid) || !strings.Contains(err.Error(), "handling") {
		t.Fatalf("got %v", err)
	}
}

// The handling column is optional in both files; when present it is read
// (names separated by ';', any case, empty for none), a wrong name names
// its line and column, and a problem with handling survives a round trip.
func TestCSVHandlingColumn(t *testing.T) {
	deps, err := ReadDepartures(strings.NewReader(strings.TrimSuffix(depHeader, "\n")+",handling\n"+
		"D1,KZHOR,RUMOW,2026-03-02T08:00:00Z,2026-03-06T08:00:00Z,82,1722000,800,0.01,reefer;DG\n"+
		"D2,KZHOR,RUMOW,2026-03-02T08:00:00Z,2026-03-06T08:00:00Z,82,1722000,800,0.01,\n"+
		"D3,KZHOR,RUMOW,2026-03-02T08:00:00Z,2026-03-06T08:00:00Z,82,1722000,800,0.01,dangerous_goods\n"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if deps[0].Handling != Reefer|DangerousGoods || deps[1].Handling != 0 || deps[2].Handling != DangerousGoods {
		t.Fatalf("handling %v %v %v", deps[0].Handling, deps[1].Handling, deps[2].Handling)
	}
	ships, err := ReadShipments(strings.NewReader(shipHeader+"S1,KZHOR,RUMOW,2026-03-01T00:00:00Z,2026-03-09T00:00:00Z,1,1000,50\n"), nil)
	if err != nil || ships[0].Handling != 0 {
		t.Fatalf("without the column: %v %+v", err, ships)
	}
	_, err = ReadShipments(strings.NewReader(strings.TrimSuffix(shipHeader, "\n")+",handling\n"+
		"S1,KZHOR,RUMOW,2026-03-01T00:00:00Z,2026-03-09T00:00:00Z,1,1000,50,reefer\n"+
		"S2,KZHOR,RUMOW,2026-03-01T00:00:00Z,2026-03-09T00:00:00Z,1,1000,50,frozen\n"), nil)
	var le *LineError
	if !errors.As(err, &le) || le.Line != 3 || le.Field != "handling" || !strings.Contains(le.Msg, "frozen") {
		t.Fatalf("bad handling: %v", err)
	}
	_, err = ReadShipments(strings.NewReader(strings.TrimSuffix(shipHeader, "\n")+",handlin\n"), nil)
	if !errors.As(err, &le) || le.Line != 1 {
		t.Fatalf("misspelt column: %v", err)
	}

	p := withHandling(Generate(5, 200, 60), 5)
	var nb, db, sb bytes.Buffer
	if err := WriteProblem(&nb, &db, &sb, p); err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(strings.SplitN(db.String(), "\n", 2)[0], ",handling") {
		t.Fatalf("departures header %q", strings.SplitN(db.String(), "\n", 2)[0])
	}
	nodes, _ := ReadNodes(&nb)
	deps, err = ReadDepartures(&db, nodes)
	if err != nil {
		t.Fatal(err)
	}
	ships, err = ReadShipments(&sb, nodes)
	if err != nil {
		t.Fatal(err)
	}
	if back := (&Problem{Nodes: nodes, Departures: deps, Shipments: ships}); !reflect.DeepEqual(back, p) {
		t.Fatalf("handling changed on the way through CSV")
	}
}
