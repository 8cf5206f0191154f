// Package logistics is the dispatch service of the one-stop centre: carriers
// publish departures on the legs they run (a mode, two UN/LOCODE nodes, a
// schedule, capacity in TEU and kg, prices), traders enter shipments and
// book them on chains of departures, the town's dispatcher assigns the
// unbooked ones with the optimiser (internal/dispatch), and carriers report
// the shipments' journey as tracking events from which the ETA follows.
//
// Capacity is taken in the same transaction that records a booking, so
// concurrent bookings can never overbook a departure; a customs hold on a
// shipment's declaration blocks its border crossing.
package logistics

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// Mode is how a leg is run.
type Mode string

// Modes.
const (
	Rail Mode = "rail"
	Road Mode = "road"
	Sea  Mode = "sea"
	Air  Mode = "air"
)

// Modes lists the modes in a stable order.
var Modes = []Mode{Rail, Road, Sea, Air}

// Limits of one departure and one shipment: far above any real train,
// ship or consignment, far below where sums of them could overflow.
const (
	MaxCapacityTEU = 100_000
	MaxCapacityKg  = 10_000_000_000
	MaxShipmentTEU = 1_000
	MaxShipmentKg  = 1_000_000
	// Prices and penalties are bounded by what the optimiser holds
	// exactly (see rules.go): about 1.8 million units of the network's
	// currency per TEU, 1 800 per kg (a departure's own prices are checked
	// in its currency when published, and left out of a run with a reason
	// if they exceed this once converted), 10 million per shipment left
	// unassigned.
	// MaxLegs bounds a booking's chain of departures.
	MaxLegs = 8
	// MaxSchedule is how far ahead a departure may be published.
	MaxSchedule = 400 * 24 * time.Hour
)

// Departure is one scheduled run of a leg by a carrier, with its capacity,
// what is booked on it and its prices.
type Departure struct {
	ID         string    `json:"id"`
	CarrierOrg string    `json:"carrier_org"`
	Mode       Mode      `json:"mode"`
	From       string    `json:"from"`
	To         string    `json:"to"`
	DepartAt   time.Time `json:"depart_at"`
	ArriveAt   time.Time `json:"arrive_at"`
	// BorderPost is the UN/LOCODE of the border crossing of a leg between
	// two countries ("" for a domestic leg).
	BorderPost  string `json:"border_post,omitempty"`
	CapacityTEU int64  `json:"capacity_teu"`
	CapacityKg  int64  `json:"capacity_kg"`
	BookedTEU   int64  `json:"booked_teu"`
	BookedKg    int64  `json:"booked_kg"`
	// Prices are minor units of Currency (the carrier's, any ISO 4217
	// currency that holds money) per whole TEU and per kg.
	Currency    string `json:"currency"`
	PricePerTEU int64  `json:"price_per_teu"`
	PricePerKg  int64  `json:"price_per_kg"`
	// Handling the departure accepts: reefer plugs, dangerous goods.
	Reefer         bool `json:"reefer"`
	DangerousGoods bool `json:"dangerous_goods"`
	// Version counts the carrier's changes; a booking checks it so that it
	// never rides a schedule its chain was not checked against.
	Version   int64     `json:"version"`
	CreatedAt time.Time `json:"created_at"`
	CreatedBy string    `json:"created_by"`
	UpdatedAt time.Time `json:"updated_at"`
}

// LeftTEU and LeftKg are the capacity not booked.
func (d *Departure) LeftTEU() int64 { return d.CapacityTEU - d.BookedTEU }
func (d *Departure) LeftKg() int64  { return d.CapacityKg - d.BookedKg }

// Accepts reports whether the departure takes the shipment's handling.
func (d *Departure) Accepts(s *Shipment) bool {
	return (!s.Reefer || d.Reefer) && (!s.DangerousGoods || d.DangerousGoods)
}

// ShipmentStatus is where a shipment stands.
type ShipmentStatus string

// Shipment statuses.
const (
	Open      ShipmentStatus = "open"       // no active booking
	Booked    ShipmentStatus = "booked"     // booked, not departed
	InTransit ShipmentStatus = "in_transit" // its first departure left
	Delivered ShipmentStatus = "delivered"
)

// Shipment is a consignment a trader wants moved.
type Shipment struct {
	ID          string    `json:"id"`
	OwnerOrg    string    `json:"owner_org"`
	Reference   string    `json:"reference,omitempty"`
	Origin      string    `json:"origin"`
	Destination string    `json:"destination"`
	ReadyAt     time.Time `json:"ready_at"`
	Deadline    time.Time `json:"deadline"`
	// TEU and Kg are the size: whole TEU and kilograms.
	TEU            int64 `json:"teu"`
	Kg             int64 `json:"kg"`
	Reefer         bool  `json:"reefer"`
	DangerousGoods bool  `json:"dangerous_goods"`
	// DeclarationID is the owner's customs declaration for the goods;
	// while customs holds it, the shipment cannot cross a border.
	DeclarationID string `json:"declaration_id,omitempty"`
	// PenaltyMinor is what leaving the shipment unassigned costs the
	// dispatcher, in minor units of the network's currency (the largest
	// allowed when the trader names none).
	PenaltyMinor int64          `json:"penalty"`
	Status       ShipmentStatus `json:"status"`
	// UnassignedReason is why the last dispatch run left it unbooked
	// (dispatch.Reason), "" otherwise.
	UnassignedReason string    `json:"unassigned_reason,omitempty"`
	EventCount       int64     `json:"event_count"`
	CreatedAt        time.Time `json:"created_at"`
	CreatedBy        string    `json:"created_by"`
	UpdatedAt        time.Time `json:"updated_at"`
	// SearchText is what the shipments list's search looks in, lower-cased
	// (SearchText builds it when the shipment is entered); not shown.
	SearchText string `json:"-"`
}

// BookingStatus is a booking's life.
type BookingStatus string

// Booking statuses.
const (
	Active    BookingStatus = "active"
	Cancelled BookingStatus = "cancelled"
)

// Leg is one departure of a booking's chain, with the version of the
// departure the chain was checked against and what the leg costs in the
// departure's own currency. Rate (with RateDate, the reference's date) is
// the value of one unit of Currency in the booking's currency the total
// was converted at; both are empty when the two currencies are the same.
type Leg struct {
	DepartureID string `json:"departure_id"`
	Version     int64  `json:"-"`
	CostMinor   int64  `json:"cost"`
	Currency    string `json:"currency"`
	Rate        string `json:"rate,omitempty"`
	RateDate    string `json:"rate_date,omitempty"`
}

// Booking is a shipment's place on a chain of departures. CostMinor is
// the total in Currency, the network's currency: each leg's cost converted
// at the reference rate of the booking day and rounded once, half to even.
type Booking struct {
	ID         string        `json:"id"`
	ShipmentID string        `json:"shipment_id"`
	Legs       []Leg         `json:"legs"`
	TEU        int64         `json:"teu"`
	Kg         int64         `json:"kg"`
	CostMinor  int64         `json:"cost"`
	Currency   string        `json:"currency"`
	Status     BookingStatus `json:"status"`
	// Source says who chose the chain: "trader" (explicit or best route)
	// or "dispatch" (a dispatcher's run).
	Source      string    `json:"source"`
	BookedAt    time.Time `json:"booked_at"`
	BookedBy    string    `json:"booked_by"`
	CancelledAt time.Time `json:"cancelled_at,omitzero"`
}

// DepartureIDs lists the chain's departures in travel order.
func (b *Booking) DepartureIDs() []string {
	out := make([]string, len(b.Legs))
	for i, l := range b.Legs {
		out[i] = l.DepartureID
	}
	return out
}

// EventKind is what a tracking event reports.
type EventKind string

// Event kinds a carrier reports, in the order a leg goes through them. A
// booking is itself the "booked" step; at_border, customs_hold,
// customs_released and border_crossed belong to a leg with a border post;
// delivered ends the last leg.
const (
	EvBooked          EventKind = "booked"
	EvDeparted        EventKind = "departed"
	EvAtBorder        EventKind = "at_border"
	EvCustomsHold     EventKind = "customs_hold"
	EvCustomsReleased EventKind = "customs_released"
	EvBorderCrossed   EventKind = "border_crossed"
	EvArrived         EventKind = "arrived"
	EvDelivered       EventKind = "delivered"
)

// EventKinds are the kinds a carrier may report.
var EventKinds = []EventKind{EvDeparted, EvAtBorder, EvCustomsHold, EvCustomsReleased, EvBorderCrossed, EvArrived, EvDelivered}

// Event is one step of a shipment's journey on one leg of its booking.
type Event struct {
	ShipmentID  string    `json:"shipment_id"`
	Seq         int64     `json:"seq"`
	BookingID   string    `json:"booking_id"`
	Leg         int       `json:"leg"` // index into the booking's legs
	DepartureID string    `json:"departure_id"`
	Kind        EventKind `json:"kind"`
	// At is when it happened; RecordedAt when the carrier reported it.
	At         time.Time `json:"at"`
	RecordedAt time.Time `json:"recorded_at"`
	ActorUser  string    `json:"actor_user"`
	ActorOrg   string    `json:"actor_org"`
	Note       string    `json:"note,omitempty"`
}

// legState is what a leg's events say about it.
type legState struct {
	departed, atBorder, held, crossed, arrived, delivered bool
	departedAt, arrivedAt                                 time.Time
}

// states replays the events of one booking.
func states(n int, events []Event) []legState {
	st := make([]legState, n)
	for _, e := range events {
		if e.Leg < 0 || e.Leg >= n {
			continue
		}
		s := &st[e.Leg]
		switch e.Kind {
		case EvDeparted:
			s.departed, s.departedAt = true, e.At
		case EvAtBorder:
			s.atBorder = true
		case EvCustomsHold:
			s.held = true
		case EvCustomsReleased:
			s.held = false
		case EvBorderCrossed:
			s.crossed = true
		case EvArrived:
			s.arrived, s.arrivedAt = true, e.At
		case EvDelivered:
			s.delivered = true
		}
	}
	return st
}

// Expected lists the events that may come next on leg of a booking whose
// chain is legs and whose events so far are events (oldest first). It is
// the one rule of the order of tracking events.
func Expected(legs []Departure, events []Event, leg int) []EventKind {
	st := states(len(legs), events)
	if leg < 0 || leg >= len(legs) || st[len(legs)-1].delivered {
		return nil
	}
	s, border := st[leg], legs[leg].BorderPost != ""
	switch {
	case !s.departed:
		if leg == 0 || st[leg-1].arrived {
			return []EventKind{EvDeparted}
		}
		return nil
	case s.arrived:
		if leg == len(legs)-1 {
			return []EventKind{EvDelivered}
		}
		return nil
	case !border:
		return []EventKind{EvArrived}
	case !s.atBorder:
		return []EventKind{EvAtBorder}
	case s.held:
		return []EventKind{EvCustomsReleased}
	case !s.crossed:
		return []EventKind{EvCustomsHold, EvBorderCrossed}
	default:
		return []EventKind{EvArrived}
	}
}

// CheckOrder refuses an event that cannot come next, saying what could.
func CheckOrder(legs []Departure, events []Event, e Event) error {
	exp := Expected(legs, events, e.Leg)
	if slices.Contains(exp, e.Kind) {
		return nil
	}
	names := make([]string, len(exp))
	for i, k := range exp {
		names[i] = string(k)
	}
	if len(names) == 0 {
		names = []string{"nothing on this leg"}
	}
	return fmt.Errorf("out of order: expected %s", strings.Join(names, " or "))
}

// StatusAfter is the shipment's status once e is recorded.
func StatusAfter(current ShipmentStatus, e Event) ShipmentStatus {
	switch e.Kind {
	case EvDelivered:
		return Delivered
	case EvDeparted:
		return InTransit
	}
	return current
}

// LegTrack is one leg as the shipment's owner follows it.
type LegTrack struct {
	DepartureID     string    `json:"departure_id"`
	CarrierOrg      string    `json:"carrier_org"`
	Mode            Mode      `json:"mode"`
	From            string    `json:"from"`
	To              string    `json:"to"`
	BorderPost      string    `json:"border_post,omitempty"`
	ScheduledDepart time.Time `json:"scheduled_depart"`
	ScheduledArrive time.Time `json:"scheduled_arrive"`
	// ExpectedDepart and ExpectedArrive are the actual times once reported,
	// else the schedule shifted by the delay carried from earlier legs.
	ExpectedDepart time.Time `json:"expected_depart"`
	ExpectedArrive time.Time `json:"expected_arrive"`
	Departed       bool      `json:"departed"`
	Arrived        bool      `json:"arrived"`
	CustomsHold    bool      `json:"customs_hold"`
	BorderCrossed  bool      `json:"border_crossed"`
}

// Tracking is where a booked shipment is and when it will arrive.
type Tracking struct {
	Legs []LegTrack `json:"legs"`
	// ETA is the expected arrival at the destination.
	ETA time.Time `json:"eta"`
	// DelayMinutes is ETA minus the scheduled arrival (0 when on time or early).
	DelayMinutes int64 `json:"delay_minutes"`
	Delivered    bool  `json:"delivered"`
}

// Track recomputes the ETA from the events: a leg that departed late
// arrives as late (unless it reported its arrival), and a later leg leaves
// no earlier than its schedule nor before the shipment can connect to it
// (arrival plus the node's minimum connection), so a delay beyond the
// slack of a connection shifts every later leg.
func Track(legs []Departure, events []Event, minConn func(locode string) time.Duration) Tracking {
	st := states(len(legs), events)
	tr := Tracking{Legs: make([]LegTrack, len(legs))}
	var prevArrive time.Time
	for i, d := range legs {
		s := st[i]
		lt := LegTrack{DepartureID: d.ID, CarrierOrg: d.CarrierOrg, Mode: d.Mode, From: d.From, To: d.To, BorderPost: d.BorderPost,
			ScheduledDepart: d.DepartAt, ScheduledArrive: d.ArriveAt, Departed: s.departed, Arrived: s.arrived,
			CustomsHold: s.held, BorderCrossed: s.crossed}
		switch {
		case s.departed:
			lt.ExpectedDepart = s.departedAt
		case i > 0:
			lt.ExpectedDepart = later(d.DepartAt, prevArrive.Add(minConn(d.From)))
		default:
			lt.ExpectedDepart = d.DepartAt
		}
		if s.arrived {
			lt.ExpectedArrive = s.arrivedAt
		} else {
			lt.ExpectedArrive = d.ArriveAt.Add(max(0, lt.ExpectedDepart.Sub(d.DepartAt)))
		}
		prevArrive = lt.ExpectedArrive
		tr.Legs[i] = lt
	}
	if n := len(legs); n > 0 {
		tr.ETA = tr.Legs[n-1].ExpectedArrive
		tr.DelayMinutes = int64(max(0, tr.ETA.Sub(legs[n-1].ArriveAt)) / time.Minute)
		tr.Delivered = st[n-1].delivered
	}
	return tr
}

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}
