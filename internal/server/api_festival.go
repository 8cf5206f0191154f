package server

import (
	"net/http"

	"bricstown/internal/festival"
	"bricstown/internal/identity"
	"bricstown/internal/problem"
)

// The art zone (issue 12): festivals and their programmes, tickets bought
// through the booking engine, QR codes, check-in at the door.

// festivalVenue makes festivals and programmes: organisations'
// administrators; the service admits only an event organiser's (the venue
// administrators) and only for its own festivals.
var festivalVenue = roles(orgAdmin)

// festivalDoor admits tickets and reads sales: organisers (an event
// organiser's staff); the service checks it is the performance's
// organiser.
var festivalDoor = roles(identity.Organiser)

// festivalBuy buys tickets: residents and the users of organisations who
// may book.
var festivalBuy = roles(orgAdmin, identity.Trader, identity.Resident)

func (s *Server) festivalReady(w http.ResponseWriter, r *http.Request) bool {
	if s.Festival == nil {
		writeProblem(w, r, s.log, problem.New(problem.Unavailable, "festivals are not available"))
		return false
	}
	return true
}

// festivalCall decodes (when in is not nil), calls one service method and
// encodes its answer with status.
func festivalCall[T any](s *Server, w http.ResponseWriter, r *http.Request, status int, call func() (T, error)) {
	if !s.festivalReady(w, r) {
		return
	}
	out, err := call()
	if err != nil {
		writeProblem(w, r, s.log, err)
		return
	}
	writeJSON(w, status, out)
}

func (s *Server) listFestivals(w http.ResponseWriter, r *http.Request) {
	festivalCall(s, w, r, http.StatusOK, func() (map[string]any, error) {
		list, err := s.Festival.Festivals(r.Context(), principal(r))
		if list == nil {
			list = []festival.Festival{}
		}
		return map[string]any{"items": list}, err
	})
}

func (s *Server) createFestival(w http.ResponseWriter, r *http.Request) {
	var in festival.FestivalInput
	if err := decodeJSON(r, &in); err != nil {
		writeProblem(w, r, s.log, err)
		return
	}
	festivalCall(s, w, r, http.StatusCreated, func() (festival.Festival, error) {
		return s.Festival.CreateFestival(r.Context(), principal(r), in)
	})
}

func (s *Server) getFestival(w http.ResponseWriter, r *http.Request) {
	festivalCall(s, w, r, http.StatusOK, func() (map[string]any, error) {
		f, list, err := s.Festival.Festival(r.Context(), principal(r), r.PathValue("id"))
		if list == nil {
			list = []festival.Performance{}
		}
		return map[string]any{"festival": f, "performances": list}, err
	})
}

func (s *Server) addPerformance(w http.ResponseWriter, r *http.Request) {
	var in festival.PerformanceInput
	if err := decodeJSON(r, &in); err != nil {
		writeProblem(w, r, s.log, err)
		return
	}
	festivalCall(s, w, r, http.StatusCreated, func() (festival.Performance, error) {
		return s.Festival.AddPerformance(r.Context(), principal(r), r.PathValue("id"), in)
	})
}

func (s *Server) getPerformance(w http.ResponseWriter, r *http.Request) {
	festivalCall(s, w, r, http.StatusOK, func() (map[string]any, error) {
		f, p, err := s.Festival.Performance(r.Context(), principal(r), r.PathValue("id"))
		return map[string]any{"festival": f, "performance": p}, err
	})
}

func (s *Server) performanceSales(w http.ResponseWriter, r *http.Request) {
	festivalCall(s, w, r, http.StatusOK, func() (festival.Sales, error) {
		return s.Festival.Sales(r.Context(), principal(r), r.PathValue("id"))
	})
}

func (s *Server) buyTicket(w http.ResponseWriter, r *http.Request) {
	if !s.festivalReady(w, r) {
		return
	}
	var in festival.BuyInput
	if err := decodeJSON(r, &in); err != nil {
		writeProblem(w, r, s.log, err)
		return
	}
	t, created, err := s.Festival.Buy(r.Context(), principal(r), in)
	if err != nil {
		writeProblem(w, r, s.log, err)
		return
	}
	w.Header().Set("Location", "/api/v1/festival/tickets/"+t.ID)
	status := http.StatusOK
	if created {
		status = http.StatusCreated
	}
	writeJSON(w, status, t)
}

func (s *Server) myTickets(w http.ResponseWriter, r *http.Request) {
	festivalCall(s, w, r, http.StatusOK, func() (map[string]any, error) {
		list, err := s.Festival.MyTickets(r.Context(), principal(r))
		if list == nil {
			list = []festival.Ticket{}
		}
		return map[string]any{"items": list}, err
	})
}

func (s *Server) getTicket(w http.ResponseWriter, r *http.Request) {
	festivalCall(s, w, r, http.StatusOK, func() (festival.Ticket, error) {
		return s.Festival.Ticket(r.Context(), principal(r), r.PathValue("id"))
	})
}

func (s *Server) ticketQR(w http.ResponseWriter, r *http.Request) {
	if !s.festivalReady(w, r) {
		return
	}
	t, err := s.Festival.Ticket(r.Context(), principal(r), r.PathValue("id"))
	if err != nil {
		writeProblem(w, r, s.log, err)
		return
	}
	svg, err := festival.QRSVG(festival.QRText(t.Token), "ticket")
	if err != nil {
		writeProblem(w, r, s.log, err)
		return
	}
	w.Header().Set("Content-Type", "image/svg+xml")
	w.Header().Set("Cache-Control", "private, no-store")
	_, _ = w.Write(svg)
}

// cancelPerformance: the organiser cancels a performance; every ticket is
// refunded in full (see festival.Service.CancelPerformance).
func (s *Server) cancelPerformance(w http.ResponseWriter, r *http.Request) {
	festivalCall(s, w, r, http.StatusOK, func() (festival.Cancellation, error) {
		return s.Festival.CancelPerformance(r.Context(), principal(r), r.PathValue("id"))
	})
}

func (s *Server) cancelTicket(w http.ResponseWriter, r *http.Request) {
	festivalCall(s, w, r, http.StatusOK, func() (festival.Ticket, error) {
		return s.Festival.Cancel(r.Context(), principal(r), r.PathValue("id"))
	})
}

// checkInInput is what the door sends.
type checkInInput struct {
	Token string `json:"token"`
}

func (s *Server) checkInTicket(w http.ResponseWriter, r *http.Request) {
	var in checkInInput
	if err := decodeJSON(r, &in); err != nil {
		writeProblem(w, r, s.log, err)
		return
	}
	festivalCall(s, w, r, http.StatusOK, func() (festival.Admission, error) {
		return s.Festival.CheckIn(r.Context(), principal(r), in.Token)
	})
}
