// Package dispatch assigns shipments to chains of scheduled departures
// along the corridors through the town, minimising transport cost plus the
// penalties of shipments left behind, under the TEU and kg capacity of every
// departure, and proves how far from optimal its answer can be with a
// Lagrangian lower bound.
//
// The optimiser is pure: no I/O, no clock, no randomness. The same input
// gives the same answer; the context only stops a run early (the answer is
// then still feasible and its bound still true, only weaker).
//
// Numbers are exact integers at fixed scales so that the cost reported is
// exactly the cost of the answer: quantities (TEU and kg) in thousandths,
// prices per TEU and per kg in ten-thousandths of the currency unit, and so
// costs and penalties in 10^-7 of the currency unit (QtyExp+PriceExp).
package dispatch

import (
	"fmt"
	"strings"
	"time"
)

// Scales of the fixed-point numbers (decimal exponents).
const (
	QtyExp   = 3                 // TEU and kg are held in thousandths
	PriceExp = 4                 // prices per TEU / per kg in 10^-4 currency units
	CostExp  = QtyExp + PriceExp // costs and penalties in 10^-7 currency units
)

// DefaultMinConnection applies at a node the nodes file does not list.
const DefaultMinConnection = 360 * time.Minute

// Node is a UN/LOCODE location where shipments may change departures.
type Node struct {
	Locode string
	// MinConnection is the least time between arriving on one departure
	// and leaving on the next at this node (transhipment, gauge change).
	MinConnection time.Duration
}

// Departure is one scheduled leg with its capacity and prices.
type Departure struct {
	ID                 string
	From, To           string
	DepartAt, ArriveAt time.Time
	CapacityTEU        int64 // thousandths of a TEU
	CapacityKg         int64 // grams
	PricePerTEU        int64 // 10^-4 currency units per whole TEU
	PricePerKg         int64 // 10^-4 currency units per whole kg
	// Handling is what the departure can carry beyond ordinary goods
	// (refrigerated, dangerous goods); zero takes ordinary goods only.
	Handling Handling
}

// Shipment is a consignment to move from Origin to Destination.
type Shipment struct {
	ID                  string
	Origin, Destination string
	ReadyAt, Deadline   time.Time
	TEU                 int64 // thousandths of a TEU
	Kg                  int64 // grams
	Penalty             int64 // 10^-7 currency units: the cost of leaving it unassigned
	// Handling is what the shipment needs: it may only travel on
	// departures whose Handling has every one of these bits.
	Handling Handling
}

// Handling is a set of handling capabilities (on a departure) or needs (on
// a shipment), one bit each. A bit set rather than a predicate so that the
// optimiser's eligibility test is one AND, and so that departures can be
// filtered once per kind of shipment instead of once per path search.
type Handling uint32

// The handling bits the CSV files and the logistics service name.
const (
	Reefer         Handling = 1 << iota // refrigerated (temperature-controlled) goods
	DangerousGoods                      // dangerous goods (ADR/RID/IMDG classes)
)

// handlingNames are the CSV spellings, in bit order (the first is the one
// written); "dangerous_goods" is also read for DangerousGoods.
var handlingNames = []struct {
	h    Handling
	name string
}{{Reefer, "reefer"}, {DangerousGoods, "dg"}, {DangerousGoods, "dangerous_goods"}}

// Takes reports whether a departure with handling d may carry a shipment
// needing s.
func (d Handling) Takes(s Handling) bool { return s&^d == 0 }

// String is the CSV spelling: names joined by ';', "" for none.
func (h Handling) String() string {
	var parts []string
	for _, n := range handlingNames[:2] {
		if h&n.h != 0 {
			parts = append(parts, n.name)
		}
	}
	return strings.Join(parts, ";")
}

// ParseHandling reads the CSV spelling: names separated by ';' (or
// spaces), case-insensitive; "" and "none" are no handling.
func ParseHandling(s string) (Handling, error) {
	var h Handling
	for _, f := range strings.FieldsFunc(s, func(r rune) bool { return r == ';' || r == ' ' || r == '|' }) {
		if strings.EqualFold(f, "none") {
			continue
		}
		found := false
		for _, n := range handlingNames {
			if strings.EqualFold(f, n.name) {
				h |= n.h
				found = true
			}
		}
		if !found {
			return 0, fmt.Errorf("%q is not a handling (reefer, dg)", f)
		}
	}
	return h, nil
}

// Assignment is a shipment's route: departures in travel order, or none.
type Assignment struct {
	ShipmentID   string
	DepartureIDs []string
}

// Reason says why a shipment was left unassigned.
type Reason string

const (
	// NoRoute: no chain of departures leads from origin (after ready_at)
	// to the destination at all.
	NoRoute Reason = "no_route"
	// NoRouteInTime: chains exist, but none arrives by the deadline.
	NoRouteInTime Reason = "no_route_within_deadline"
	// PenaltyCheaper: even the cheapest timely route costs at least the penalty.
	PenaltyCheaper Reason = "penalty_cheaper"
	// CapacityTaken: a timely route cheaper than the penalty exists, but
	// its capacity went to other shipments (or the shipment is larger than
	// what any such route has left).
	CapacityTaken Reason = "capacity_taken"
)

// Problem is the whole input of one optimisation.
type Problem struct {
	// Nodes lists the known locations; when empty, every locode used by
	// the departures is known, with DefaultMinConnection.
	Nodes      []Node
	Departures []Departure
	Shipments  []Shipment
	// Confirmed are bookings already promised: the solver keeps them as
	// they are, and their capacity is not available to other shipments.
	Confirmed []Assignment
}

// Options bound one run.
type Options struct {
	// Iterations of the subgradient method at most (0: 120). The answer does not
	// depend on the machine's speed as long as the context is not done.
	Iterations int
	// TargetGap stops the run once (cost-bound)/cost is at most this
	// (0: 0.01; negative: run all iterations).
	TargetGap float64
	// Workers computing shortest paths in parallel (0: GOMAXPROCS).
	Workers int
	// Progress, when set, is called after every iteration with the best
	// cost and bound so far; it must not block.
	Progress func(iteration int, cost, lowerBound int64)
}

// Result is the answer and its certificate.
type Result struct {
	// Assignments has one entry per shipment, in input order; confirmed
	// bookings are included unchanged.
	Assignments []Assignment
	// Reasons has an entry for every unassigned shipment id.
	Reasons  map[string]Reason
	Assigned int
	// Cost is the objective: transport cost of the assigned plus the
	// penalties of the unassigned, in 10^-7 currency units, exact.
	Cost int64
	// LowerBound is a proven lower bound on the optimal objective (same
	// unit); Cost-LowerBound bounds how far the answer can be from optimal.
	LowerBound int64
	Iterations int
	// Stopped is true when the context ended the run before all iterations.
	Stopped bool
}

// Gap is (Cost-LowerBound)/Cost, 0 when the cost is 0.
func (r Result) Gap() float64 {
	if r.Cost <= 0 {
		return 0
	}
	return float64(r.Cost-r.LowerBound) / float64(r.Cost)
}

// ValidLocode reports whether s has the UN/LOCODE shape: two letters of
// country, three letters or digits 2-9 of location.
func ValidLocode(s string) bool {
	if len(s) != 5 {
		return false
	}
	for i := 0; i < 5; i++ {
		c := s[i]
		upper := c >= 'A' && c <= 'Z'
		if i < 2 && !upper {
			return false
		}
		if i >= 2 && !upper && !(c >= '2' && c <= '9') {
			return false
		}
	}
	return true
}

// FormatCost writes a cost in currency units with trailing zeros of the
// fraction dropped ("1250.5", "0", "12.0000001").
func FormatCost(v int64) string {
	neg := v < 0
	u := uint64(v)
	if neg {
		u = -u
	}
	ip, fp := u/10_000_000, u%10_000_000
	var b strings.Builder
	if neg {
		b.WriteByte('-')
	}
	b.WriteString(uitoa(ip))
	if fp != 0 {
		f := uitoa(fp + 10_000_000)[1:]
		b.WriteByte('.')
		b.WriteString(strings.TrimRight(f, "0"))
	}
	return b.String()
}

func uitoa(u uint64) string {
	var buf [20]byte
	i := len(buf)
	for {
		i--
		buf[i] = byte('0' + u%10)
		u /= 10
		if u == 0 {
			break
		}
	}
	return string(buf[i:])
}
