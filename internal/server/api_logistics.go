package server

import (
	"net/http"

	"bricstown/internal/logistics"
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
	list, err := s.Logistics.Shipments(r.Context(), principal(r), logistics.ShipmentStatus(r.URL.Query().Get("status")), cursor, limit+1)
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
	writeJSON(w, http.StatusOK, res)
}
