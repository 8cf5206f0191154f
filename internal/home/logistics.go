package home

import (
	"context"
	"time"

	"bricstown/internal/identity"
	"bricstown/internal/logistics"
)

// Logistics work is read here once, for the home and for the logistics
// page alike (ui calls CarrierWork and ShipmentsWork too), so the counts a
// home shows are the rows the page behind them lists.

// Soon is how far ahead "leaving soon" looks on a carrier's home.
const Soon = 48 * time.Hour

// workShown bounds how many departures and shipments the work reads; the
// pages list the rest.
const workShown = 500

// Carrier is a carrier's work: its departures leaving soon, the shipments
// on its departures that wait for a tracking event from it, and how full
// its departures still to come are.
type Carrier struct {
	LeavingSoon []string `json:"leaving_soon"` // departure ids, soonest first
	Awaiting    []string `json:"awaiting"`     // shipment ids, newest first
	Departures  int      `json:"departures"`   // still to come
	BookedTEU   int64    `json:"booked_teu"`
	CapacityTEU int64    `json:"capacity_teu"`
	BookedKg    int64    `json:"booked_kg"`
	CapacityKg  int64    `json:"capacity_kg"`
}

// Shipping is a trader's shipments on the move: in transit, and (among
// those booked or in transit) held by customs at the border.
type Shipping struct {
	InTransit []string `json:"in_transit"`
	Held      []string `json:"held"`
}

// CarrierWork reads a carrier's work as of now.
func CarrierWork(ctx context.Context, l *logistics.Service, p *identity.Principal, now time.Time) (Carrier, error) {
	c := Carrier{LeavingSoon: []string{}, Awaiting: []string{}}
	deps, err := l.Departures(ctx, p, logistics.DepartureFilter{CarrierOrg: p.OrgID, Limit: workShown})
	if err != nil {
		return Carrier{}, err
	}
	for _, d := range deps {
		c.Departures++
		c.BookedTEU += d.BookedTEU
		c.CapacityTEU += d.CapacityTEU
		c.BookedKg += d.BookedKg
		c.CapacityKg += d.CapacityKg
		if d.DepartAt.Before(now.Add(Soon)) {
			c.LeavingSoon = append(c.LeavingSoon, d.ID)
		}
	}
	for _, st := range []logistics.ShipmentStatus{logistics.Booked, logistics.InTransit} {
		list, err := l.Shipments(ctx, p, st, "", workShown)
		if err != nil {
			return Carrier{}, err
		}
		for _, s := range list {
			v, err := l.Shipment(ctx, p, s.ID)
			if err != nil {
				return Carrier{}, err
			}
			if len(NextEvents(&v, p.OrgID)) > 0 {
				c.Awaiting = append(c.Awaiting, s.ID)
			}
		}
	}
	return c, nil
}

// LegNext is a leg of a shipment's booking that waits for its carrier, and
// the events that may come next on it.
type LegNext struct {
	Leg         int
	DepartureID string
	Kinds       []logistics.EventKind
}

// NextEvents lists the legs carried by org that wait for an event, with
// the events logistics.Expected allows there.
func NextEvents(v *logistics.ShipmentView, org string) []LegNext {
	if v.Booking == nil || v.Tracking == nil {
		return nil
	}
	legs := make([]logistics.Departure, len(v.Tracking.Legs))
	for i, lt := range v.Tracking.Legs {
		legs[i] = logistics.Departure{ID: lt.DepartureID, CarrierOrg: lt.CarrierOrg, From: lt.From, To: lt.To, BorderPost: lt.BorderPost}
	}
	var mine []logistics.Event
	for _, e := range v.Events {
		if e.BookingID == v.Booking.ID {
			mine = append(mine, e)
		}
	}
	var out []LegNext
	for i, d := range legs {
		if d.CarrierOrg != org {
			continue
		}
		if k := logistics.Expected(legs, mine, i); len(k) > 0 {
			out = append(out, LegNext{Leg: i, DepartureID: d.ID, Kinds: k})
		}
	}
	return out
}

// ShipmentsWork reads a trader's shipments on the move: its own, booked or
// in transit, and which of them customs holds.
func ShipmentsWork(ctx context.Context, l *logistics.Service, p *identity.Principal) (Shipping, error) {
	out := Shipping{InTransit: []string{}, Held: []string{}}
	for _, st := range []logistics.ShipmentStatus{logistics.Booked, logistics.InTransit} {
		list, err := l.Shipments(ctx, p, st, "", workShown)
		if err != nil {
			return Shipping{}, err
		}
		for _, s := range list {
			if s.OwnerOrg != p.OrgID {
				continue
			}
			if st == logistics.InTransit {
				out.InTransit = append(out.InTransit, s.ID)
			}
			if s.DeclarationID == "" {
				continue
			}
			v, err := l.Shipment(ctx, p, s.ID)
			if err != nil {
				return Shipping{}, err
			}
			if v.CustomsHold {
				out.Held = append(out.Held, s.ID)
			}
		}
	}
	return out, nil
}
