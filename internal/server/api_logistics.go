package server

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"bricstown/internal/identity"
	"bricstown/internal/logistics"
	"bricstown/internal/notify"
	"bricstown/internal/problem"
)

// Logistics dispatch: departures, shipments, bookings, tracking events and
// the dispatcher's run. Prices and costs are minor units of the network's
// currency; sizes are whole TEU and kilograms.

func (s *Server) logisticsReady(w http.ResponseWriter, r *http.Request) bool {
	if s.Logistics == nil {
		writeProblem(w, r, s.log, problem.New(problem.Unavailable, "logistics is not available"))
		return false
	}
	return true
}

func (s *Server) publishDeparture(w http.ResponseWriter, r *http.Request) {
	if !s.logisticsReady(w, r) {
		return
	}
	var in logistics.DepartureInput
	if err := decodeJSON(r, &in); err != nil {
		writeProblem(w, r, s.log, err)
		return
	}
	d, err := s.Logistics.PublishDeparture(r.Context(), principal(r), in)
	if err != nil {
		writeProblem(w, r, s.log, err)
		return
	}
	w.Header().Set("Location", "/api/v1/logistics/departures/"+d.ID)
	writeJSON(w, http.StatusCreated, d)
}

func (s *Server) updateDeparture(w http.ResponseWriter, r *http.Request) {
	if !s.logisticsReady(w, r) {
		return
	}
	var in logistics.DepartureInput
	if err := decodeJSON(r, &in); err != nil {
		writeProblem(w, r, s.log, err)
		return
	}
	d, err := s.Logistics.UpdateDeparture(r.Context(), principal(r), r.PathValue("id"), in)
	if err != nil {
		writeProblem(w, r, s.log, err)
		return
	}
	writeJSON(w, http.StatusOK, d)
}

func (s *Server) getDeparture(w http.ResponseWriter, r *http.Request) {
	if !s.logisticsReady(w, r) {
		return
	}
	d, err := s.Logistics.Departure(r.Context(), principal(r), r.PathValue("id"))
	if err != nil {
		writeProblem(w, r, s.log, err)
		return
	}
	writeJSON(w, http.StatusOK, d)
}

func (s *Server) listDepartures(w http.ResponseWriter, r *http.Request) {
	if !s.logisticsReady(w, r) {
		return
	}
	limit, cursor, err := pageParams(r)
	if err != nil {
		writeProblem(w, r, s.log, err)
		return
	}
	q := r.URL.Query()
	list, err := s.Logistics.Departures(r.Context(), principal(r), logistics.DepartureFilter{CarrierOrg: q.Get("carrier_org"),
		From: q.Get("from"), To: q.Get("to"), All: q.Get("all") == "true", After: cursor, Limit: limit + 1})
	if err != nil {
		writeProblem(w, r, s.log, err)
		return
	}
	writeJSON(w, http.StatusOK, pageOf(list, limit, func(d logistics.Departure) string { return d.ID }))
}

func (s *Server) createShipment(w http.ResponseWriter, r *http.Request) {
	if !s.logisticsReady(w, r) {
		return
	}
	var in logistics.ShipmentInput
	if err := decodeJSON(r, &in); err != nil {
		writeProblem(w, r, s.log, err)
		return
	}
	sh, err := s.Logistics.CreateShipment(r.Context(), principal(r), in)
	if err != nil {
		writeProblem(w, r, s.log, err)
		return
	}
	w.Header().Set("Location", "/api/v1/logistics/shipments/"+sh.ID)
	writeJSON(w, http.StatusCreated, sh)
}

func (s *Server) listShipments(w http.ResponseWriter, r *http.Request) {
	if !s.logisticsReady(w, r) {
		return
	}
	limit, cursor, err := pageParams(r)
	if err != nil {
		writeProblem(w, r, s.log, err)
		return
	}
	q := r.URL.Query()
	list, err := s.Logistics.SearchShipments(r.Context(), principal(r), logistics.ShipmentFind{Status: logistics.ShipmentStatus(q.Get("status")),
		Q: q.Get("q"), After: cursor, Limit: limit + 1})
	if err != nil {
		writeProblem(w, r, s.log, err)
		return
	}
	writeJSON(w, http.StatusOK, pageOf(list, limit, func(sh logistics.Shipment) string { return sh.ID }))
}

func (s *Server) getShipment(w http.ResponseWriter, r *http.Request) {
	if !s.logisticsReady(w, r) {
		return
	}
	v, err := s.Logistics.Shipment(r.Context(), principal(r), r.PathValue("id"))
	if err != nil {
		writeProblem(w, r, s.log, err)
		return
	}
	writeJSON(w, http.StatusOK, v)
}

func (s *Server) bookShipment(w http.ResponseWriter, r *http.Request) {
	if !s.logisticsReady(w, r) {
		return
	}
	var in logistics.BookInput
	if err := decodeOptionalJSON(r, &in); err != nil {
		writeProblem(w, r, s.log, err)
		return
	}
	b, err := s.Logistics.Book(r.Context(), principal(r), r.PathValue("id"), in)
	if err != nil {
		writeProblem(w, r, s.log, err)
		return
	}
	s.publishShipment(r.Context(), principal(r), "booked", b.ShipmentID)
	writeJSON(w, http.StatusCreated, b)
}

func (s *Server) cancelShipmentBooking(w http.ResponseWriter, r *http.Request) {
	if !s.logisticsReady(w, r) {
		return
	}
	if err := decodeOptionalJSON(r, &struct{}{}); err != nil {
		writeProblem(w, r, s.log, err)
		return
	}
	sh, err := s.Logistics.CancelBooking(r.Context(), principal(r), r.PathValue("id"))
	if err != nil {
		writeProblem(w, r, s.log, err)
		return
	}
	s.publishShipment(r.Context(), principal(r), "cancelled", sh.ID)
	writeJSON(w, http.StatusOK, sh)
}

func (s *Server) recordShipmentEvent(w http.ResponseWriter, r *http.Request) {
	if !s.logisticsReady(w, r) {
		return
	}
	var in logistics.EventInput
	if err := decodeJSON(r, &in); err != nil {
		writeProblem(w, r, s.log, err)
		return
	}
	e, err := s.Logistics.RecordEvent(r.Context(), principal(r), r.PathValue("id"), in)
	if err != nil {
		writeProblem(w, r, s.log, err)
		return
	}
	s.publishShipment(r.Context(), principal(r), "event", e.ShipmentID)
	writeJSON(w, http.StatusCreated, e)
}

func (s *Server) planDispatch(w http.ResponseWriter, r *http.Request) {
	if !s.logisticsReady(w, r) {
		return
	}
	if err := decodeOptionalJSON(r, &struct{}{}); err != nil {
		writeProblem(w, r, s.log, err)
		return
	}
	res, err := s.Logistics.Plan(r.Context(), principal(r))
	if err != nil {
		writeProblem(w, r, s.log, err)
		return
	}
	for _, b := range res.Bookings {
		s.publishShipment(r.Context(), principal(r), "booked", b.ShipmentID)
	}
	writeJSON(w, http.StatusOK, res)
}

// EventTypeShipment is the type of the event published after a shipment
// is booked, its booking cancelled or a tracking event recorded.
const EventTypeShipment = "logistics.shipment.status"

// shipmentEvent is what a shipment's streams and its owner's webhooks
// receive: where it stands and whether customs holds its goods.
type shipmentEvent struct {
	ShipmentID  string                   `json:"shipment_id"`
	OwnerOrg    string                   `json:"owner_org"`
	Action      string                   `json:"action"`
	Status      logistics.ShipmentStatus `json:"status"`
	EventCount  int64                    `json:"event_count"`
	CustomsHold bool                     `json:"customs_hold"`
	HoldReason  string                   `json:"customs_hold_reason,omitempty"`
	ETA         *time.Time               `json:"eta,omitempty"`
	UpdatedAt   time.Time                `json:"updated_at"`
}

func shipmentEventOf(action string, v *logistics.ShipmentView) shipmentEvent {
	ev := shipmentEvent{ShipmentID: v.ID, OwnerOrg: v.OwnerOrg, Action: action, Status: v.Status, EventCount: v.EventCount,
		CustomsHold: v.CustomsHold, HoldReason: v.HoldReason, UpdatedAt: v.UpdatedAt}
	if v.Tracking != nil {
		eta := v.Tracking.ETA
		ev.ETA = &eta
	}
	return ev
}

// state is what a stream compares to decide whether a reader has news.
func (e shipmentEvent) state() string {
	eta := ""
	if e.ETA != nil {
		eta = e.ETA.Format(time.RFC3339)
	}
	return fmt.Sprintf("%s|%d|%t|%s|%s", e.Status, e.EventCount, e.CustomsHold, e.HoldReason, eta)
}

// publishShipment sends a committed change of a shipment to its streams and
// to its owner organisation's webhooks. It reads the shipment back as the
// caller who changed it (who may see it), after the change committed; a
// failure to publish is logged, the change stands.
func (s *Server) publishShipment(ctx context.Context, p *identity.Principal, action, id string) {
	if s.Notify == nil || s.Logistics == nil {
		return
	}
	v, err := s.Logistics.Shipment(ctx, p, id)
	if err != nil {
		s.log.WarnContext(ctx, "read shipment to publish", "shipment", id, "err", err)
		return
	}
	data, err := json.Marshal(shipmentEventOf(action, &v))
	if err != nil {
		s.log.ErrorContext(ctx, "encode shipment event", "err", err)
		return
	}
	if err := s.Notify.Publish(ctx, notify.Event{Type: EventTypeShipment, OrgID: v.OwnerOrg, Subject: v.ID, Seq: v.UpdatedAt.UnixMicro(),
		At: v.UpdatedAt, Data: data}); err != nil {
		s.log.WarnContext(ctx, "queue shipment webhooks", "shipment", v.ID, "err", err)
	}
}

// shipmentStream streams a shipment's state as server-sent events: first
// its current state, then a new one whenever the shipment or its customs
// declaration changes (it listens on both topics: the shipment's id and the
// declaration's), so a hold or release by customs reaches an open page
// within a second. A state is sent only when it differs from the last one
// sent. At each heartbeat the shipment is read again, so changes made
// through another server process arrive too.
func (s *Server) shipmentStream(w http.ResponseWriter, r *http.Request) {
	if !s.logisticsReady(w, r) {
		return
	}
	ctx, p, id := r.Context(), principal(r), r.PathValue("id")
	// Subscribe before reading, so that no change falls between the two.
	sub := s.Notify.Subscribe(id)
	defer sub.Close()
	v, err := s.Logistics.Shipment(ctx, p, id)
	if err != nil {
		writeProblem(w, r, s.log, err)
		return
	}
	var declC <-chan notify.Event
	if v.DeclarationID != "" {
		ds := s.Notify.Subscribe(v.DeclarationID)
		defer ds.Close()
		declC = ds.C
		// The hold may have changed between the read and this subscription.
		if v, err = s.Logistics.Shipment(ctx, p, id); err != nil {
			writeProblem(w, r, s.log, err)
			return
		}
	}
	rc := http.NewResponseController(w)
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	var seq int64
	last := ""
	send := func(action string, v *logistics.ShipmentView) error {
		ev := shipmentEventOf(action, v)
		st := ev.state()
		if st == last {
			return nil
		}
		last = st
		data, err := json.Marshal(ev)
		if err != nil {
			return err
		}
		seq++
		if _, err := fmt.Fprintf(w, "id: %d\nevent: status\ndata: %s\n\n", seq, data); err != nil {
			return err
		}
		return rc.Flush()
	}
	reread := func(action string) error {
		v, err := s.Logistics.Shipment(ctx, p, id)
		if err != nil {
			return err
		}
		return send(action, &v)
	}
	if _, err := fmt.Fprint(w, "retry: 3000\n\n"); err != nil {
		return
	}
	if err := send("snapshot", &v); err != nil || rc.Flush() != nil {
		return
	}
	tick := time.NewTicker(time.Duration(sseHeartbeat.Load()))
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case _, ok := <-sub.C:
			if !ok || reread("changed") != nil {
				return
			}
		case _, ok := <-declC:
			if !ok || reread("customs") != nil {
				return
			}
		case <-tick.C:
			before := last
			if reread("sync") != nil {
				return
			}
			if last != before {
				continue
			}
			if _, err := fmt.Fprint(w, ": heartbeat\n\n"); err != nil || rc.Flush() != nil {
				return
			}
		}
	}
}
