package logistics

import (
	"context"
	"time"

	"bricstown/internal/audit"
)

// DepartureQuery selects departures; zero fields do not filter. Results
// are ordered by departure time, then id.
type DepartureQuery struct {
	CarrierOrg string
	From, To   string
	// DepartFrom keeps departures leaving at or after this time.
	DepartFrom time.Time
	// After is a cursor: the id of the last departure of the previous page.
	After string
	Limit int
}

// ShipmentQuery selects shipments; zero fields do not filter. Results are
// ordered by id (UUIDv7: entry order), newest first.
type ShipmentQuery struct {
	OwnerOrg string
	// CarrierOrg keeps shipments with an active booking on a departure of
	// this carrier.
	CarrierOrg string
	// Status keeps shipments in one status.
	Status ShipmentStatus
	// Search keeps shipments whose SearchText holds it (any case).
	Search string
	After  string // id cursor: continue after (older than) this id
	Limit  int
}

// Unassigned is a shipment a dispatch run left without a route, and why.
type Unassigned struct {
	ShipmentID string `json:"shipment_id"`
	Reason     string `json:"reason"`
}

// Store is the logistics storage. Lookups answer problem.NotFound when
// nothing matches; every write appends its audit record in the same
// transaction, and every write that takes capacity checks it in that
// transaction, so concurrent bookings can never overbook.
type Store interface {
	CreateDeparture(ctx context.Context, d Departure, rec audit.Record) error
	// UpdateDeparture replaces a departure's schedule, capacity and prices
	// if its version is still base (problem.Conflict otherwise). It answers
	// problem.Conflict, writing nothing, when the new capacity is below what
	// is booked, or when a departure with bookings would change its route
	// or times.
	UpdateDeparture(ctx context.Context, d Departure, base int64, rec audit.Record) error
	GetDeparture(ctx context.Context, id string) (Departure, error)
	ListDepartures(ctx context.Context, q DepartureQuery) ([]Departure, error)

	CreateShipment(ctx context.Context, s Shipment, rec audit.Record) error
	GetShipment(ctx context.Context, id string) (Shipment, error)
	ListShipments(ctx context.Context, q ShipmentQuery) ([]Shipment, error)

	// Book records b as the shipment's active booking and takes its size
	// from every departure of the chain. It answers problem.Conflict,
	// writing nothing, when a departure has not enough capacity left (field
	// "departure_ids"), when a departure changed since version
	// b.Legs[i].Version, or when the shipment already has an active booking.
	Book(ctx context.Context, b Booking, rec audit.Record) error
	// BookPlan books every plan booking and records the reasons of the
	// shipments left unassigned, all in one transaction: if any booking
	// conflicts, nothing is written.
	BookPlan(ctx context.Context, bookings []Booking, unassigned []Unassigned, at time.Time, rec audit.Record) error
	// ActiveBooking is the shipment's active booking (problem.NotFound when none).
	ActiveBooking(ctx context.Context, shipmentID string) (Booking, error)
	// CancelBooking cancels the active booking bookingID and gives its
	// capacity back (problem.Conflict when it is not active any more or a
	// tracking event was recorded since eventCount).
	CancelBooking(ctx context.Context, shipmentID, bookingID string, eventCount int64, at time.Time, rec audit.Record) error

	// AppendEvent records e as the shipment's event number e.Seq (which
	// must be the next one: problem.Conflict when another event took it) and
	// sets the shipment's status.
	AppendEvent(ctx context.Context, e Event, status ShipmentStatus, rec audit.Record) error
	// Events lists a shipment's events, oldest first.
	Events(ctx context.Context, shipmentID string) ([]Event, error)
}
