package server

import (
	"net/http"
	"strconv"
	"time"

	"bricstown/internal/booking"
	"bricstown/internal/problem"
)

// The booking engine (issue 12): resources of the town's services,
// holds, confirmations, cancellations, waiting lists. Amounts are KZT in
// tiyn.

func (s *Server) bookingReady(w http.ResponseWriter, r *http.Request) bool {
	if s.Booking == nil {
		writeProblem(w, r, s.log, problem.New(problem.Unavailable, "bookings are not available"))
		return false
	}
	return true
}

// daysParam reads the optional days query parameter.
func daysParam(r *http.Request) (int, error) {
	v := r.URL.Query().Get("days")
	if v == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		return 0, &problem.Error{Code: problem.Invalid, Message: "the period is not valid", Fields: map[string]string{"days": "must be a positive whole number"}}
	}
	return n, nil
}

func (s *Server) listBookingResources(w http.ResponseWriter, r *http.Request) {
	if !s.bookingReady(w, r) {
		return
	}
	limit, cursor, err := pageParams(r)
	if err != nil {
		writeProblem(w, r, s.log, err)
		return
	}
	list, err := s.Booking.Resources(r.Context(), principal(r), r.URL.Query().Get("mine") == "true", cursor, limit+1)
	if err != nil {
		writeProblem(w, r, s.log, err)
		return
	}
	writeJSON(w, http.StatusOK, pageOf(list, limit, func(x booking.Resource) string { return x.ID }))
}

func (s *Server) createBookingResource(w http.ResponseWriter, r *http.Request) {
	if !s.bookingReady(w, r) {
		return
	}
	var in booking.ResourceInput
	if err := decodeJSON(r, &in); err != nil {
		writeProblem(w, r, s.log, err)
		return
	}
	res, err := s.Booking.CreateResource(r.Context(), principal(r), in)
	if err != nil {
		writeProblem(w, r, s.log, err)
		return
	}
	w.Header().Set("Location", "/api/v1/booking/resources/"+res.ID)
	writeJSON(w, http.StatusCreated, res)
}

func (s *Server) getBookingResource(w http.ResponseWriter, r *http.Request) {
	if !s.bookingReady(w, r) {
		return
	}
	res, err := s.Booking.Resource(r.Context(), principal(r), r.PathValue("id"))
	if err != nil {
		writeProblem(w, r, s.log, err)
		return
	}
	writeJSON(w, http.StatusOK, res)
}

func (s *Server) updateBookingResource(w http.ResponseWriter, r *http.Request) {
	if !s.bookingReady(w, r) {
		return
	}
	var in booking.ResourceInput
	if err := decodeJSON(r, &in); err != nil {
		writeProblem(w, r, s.log, err)
		return
	}
	res, err := s.Booking.UpdateResource(r.Context(), principal(r), r.PathValue("id"), in)
	if err != nil {
		writeProblem(w, r, s.log, err)
		return
	}
	writeJSON(w, http.StatusOK, res)
}

func (s *Server) bookingAvailability(w http.ResponseWriter, r *http.Request) {
	if !s.bookingReady(w, r) {
		return
	}
	days, err := daysParam(r)
	if err != nil {
		writeProblem(w, r, s.log, err)
		return
	}
	out, err := s.Booking.Availability(r.Context(), principal(r), r.PathValue("id"), r.URL.Query().Get("from"), days)
	if err != nil {
		writeProblem(w, r, s.log, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"days": out})
}

func (s *Server) bookingUtilisation(w http.ResponseWriter, r *http.Request) {
	if !s.bookingReady(w, r) {
		return
	}
	days, err := daysParam(r)
	if err != nil {
		writeProblem(w, r, s.log, err)
		return
	}
	_, out, err := s.Booking.Utilisation(r.Context(), principal(r), r.PathValue("id"), r.URL.Query().Get("from"), days)
	if err != nil {
		writeProblem(w, r, s.log, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"days": out})
}

func (s *Server) resourceBookings(w http.ResponseWriter, r *http.Request) {
	if !s.bookingReady(w, r) {
		return
	}
	list, err := s.Booking.OnResource(r.Context(), principal(r), r.PathValue("id"), time.Time{}, time.Time{})
	if err != nil {
		writeProblem(w, r, s.log, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": orEmpty(list)})
}

func orEmpty[T any](l []T) []T {
	if l == nil {
		return []T{}
	}
	return l
}

func (s *Server) createBooking(w http.ResponseWriter, r *http.Request) {
	if !s.bookingReady(w, r) {
		return
	}
	var in booking.BookInput
	if err := decodeJSON(r, &in); err != nil {
		writeProblem(w, r, s.log, err)
		return
	}
	b, created, err := s.Booking.Book(r.Context(), principal(r), in)
	if err != nil {
		writeProblem(w, r, s.log, err)
		return
	}
	w.Header().Set("Location", "/api/v1/booking/bookings/"+b.ID)
	status := http.StatusOK
	if created {
		status = http.StatusCreated
	}
	writeJSON(w, status, b)
}

func (s *Server) listMyBookings(w http.ResponseWriter, r *http.Request) {
	if !s.bookingReady(w, r) {
		return
	}
	list, err := s.Booking.Mine(r.Context(), principal(r), time.Time{}, time.Time{})
	if err != nil {
		writeProblem(w, r, s.log, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": orEmpty(list)})
}

func (s *Server) getBooking(w http.ResponseWriter, r *http.Request) {
	if !s.bookingReady(w, r) {
		return
	}
	b, err := s.Booking.Get(r.Context(), principal(r), r.PathValue("id"))
	if err != nil {
		writeProblem(w, r, s.log, err)
		return
	}
	writeJSON(w, http.StatusOK, b)
}

func (s *Server) confirmBooking(w http.ResponseWriter, r *http.Request) {
	if !s.bookingReady(w, r) {
		return
	}
	if err := decodeOptionalJSON(r, &struct{}{}); err != nil {
		writeProblem(w, r, s.log, err)
		return
	}
	b, err := s.Booking.Confirm(r.Context(), principal(r), r.PathValue("id"))
	if err != nil {
		writeProblem(w, r, s.log, err)
		return
	}
	writeJSON(w, http.StatusOK, b)
}

func (s *Server) cancelBooking(w http.ResponseWriter, r *http.Request) {
	if !s.bookingReady(w, r) {
		return
	}
	if err := decodeOptionalJSON(r, &struct{}{}); err != nil {
		writeProblem(w, r, s.log, err)
		return
	}
	b, err := s.Booking.Cancel(r.Context(), principal(r), r.PathValue("id"))
	if err != nil {
		writeProblem(w, r, s.log, err)
		return
	}
	writeJSON(w, http.StatusOK, b)
}

func (s *Server) joinBookingWait(w http.ResponseWriter, r *http.Request) {
	if !s.bookingReady(w, r) {
		return
	}
	var in booking.WaitInput
	if err := decodeJSON(r, &in); err != nil {
		writeProblem(w, r, s.log, err)
		return
	}
	wt, err := s.Booking.JoinWait(r.Context(), principal(r), in)
	if err != nil {
		writeProblem(w, r, s.log, err)
		return
	}
	writeJSON(w, http.StatusOK, wt)
}

func (s *Server) listBookingWaits(w http.ResponseWriter, r *http.Request) {
	if !s.bookingReady(w, r) {
		return
	}
	list, err := s.Booking.Waits(r.Context(), principal(r))
	if err != nil {
		writeProblem(w, r, s.log, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": orEmpty(list)})
}

// bookingCalendar answers the caller's bookings as text/calendar.
func (s *Server) bookingCalendar(w http.ResponseWriter, r *http.Request) {
	if !s.bookingReady(w, r) {
		return
	}
	cal, err := s.Booking.Calendar(r.Context(), principal(r))
	if err != nil {
		writeProblem(w, r, s.log, err)
		return
	}
	w.Header().Set("Content-Type", "text/calendar; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="bookings.ics"`)
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write([]byte(cal))
}
