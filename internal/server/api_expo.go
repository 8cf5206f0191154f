package server

import (
	"net/http"

	"bricstown/internal/expo"
	"bricstown/internal/identity"
	"bricstown/internal/problem"
)

// Expos (issue 11): organisers set up expos, halls and booths, decide
// applications, allocate booths and run the meeting scheduler; companies
// apply, pay their booth fee, show products, register as buyers, ask for
// and answer meetings and take their agenda away. Amounts are KZT in tiyn.

func (s *Server) expoReady(w http.ResponseWriter, r *http.Request) bool {
	if s.Expo == nil {
		writeProblem(w, r, s.log, problem.New(problem.Unavailable, "expos are not available"))
		return false
	}
	return true
}

// expoCall decodes in (when not nil), calls one service method and
// answers its result with status.
func expoCall[T any](s *Server, w http.ResponseWriter, r *http.Request, in any, status int, call func(p *identity.Principal) (T, error)) {
	if !s.expoReady(w, r) {
		return
	}
	if in != nil {
		if err := decodeJSON(r, in); err != nil {
			writeProblem(w, r, s.log, err)
			return
		}
	}
	out, err := call(principal(r))
	if err != nil {
		writeProblem(w, r, s.log, err)
		return
	}
	writeJSON(w, status, out)
}

type expoItems[T any] struct {
	Items []T `json:"items"`
}

// itemsOf wraps a list; an empty one is [] in JSON, never null.
func itemsOf[T any](l []T) expoItems[T] {
	if l == nil {
		l = []T{}
	}
	return expoItems[T]{l}
}

func (s *Server) listExpos(w http.ResponseWriter, r *http.Request) {
	expoCall(s, w, r, nil, http.StatusOK, func(p *identity.Principal) (expoItems[expo.Expo], error) {
		l, err := s.Expo.Expos(r.Context(), p)
		return itemsOf(l), err
	})
}

func (s *Server) createExpo(w http.ResponseWriter, r *http.Request) {
	var in expo.ExpoInput
	expoCall(s, w, r, &in, http.StatusCreated, func(p *identity.Principal) (expo.Expo, error) { return s.Expo.CreateExpo(r.Context(), p, in) })
}

func (s *Server) getExpo(w http.ResponseWriter, r *http.Request) {
	expoCall(s, w, r, nil, http.StatusOK, func(p *identity.Principal) (expo.Detail, error) { return s.Expo.Get(r.Context(), p, r.PathValue("id")) })
}

func (s *Server) addExpoHall(w http.ResponseWriter, r *http.Request) {
	var in expo.HallInput
	expoCall(s, w, r, &in, http.StatusCreated, func(p *identity.Principal) (expo.Hall, error) {
		return s.Expo.AddHall(r.Context(), p, r.PathValue("id"), in)
	})
}

func (s *Server) addExpoBooth(w http.ResponseWriter, r *http.Request) {
	var in expo.BoothInput
	expoCall(s, w, r, &in, http.StatusCreated, func(p *identity.Principal) (expo.Booth, error) {
		return s.Expo.AddBooth(r.Context(), p, r.PathValue("id"), in)
	})
}

func (s *Server) listExpoApplications(w http.ResponseWriter, r *http.Request) {
	expoCall(s, w, r, nil, http.StatusOK, func(p *identity.Principal) (expoItems[expo.Application], error) {
		l, err := s.Expo.Applications(r.Context(), p, r.PathValue("id"))
		return itemsOf(l), err
	})
}

func (s *Server) applyExpo(w http.ResponseWriter, r *http.Request) {
	var in expo.ApplyInput
	expoCall(s, w, r, &in, http.StatusCreated, func(p *identity.Principal) (expo.Application, error) {
		return s.Expo.Apply(r.Context(), p, r.PathValue("id"), in)
	})
}

func (s *Server) approveExpoApplication(w http.ResponseWriter, r *http.Request) {
	expoCall(s, w, r, nil, http.StatusOK, func(p *identity.Principal) (expo.Application, error) {
		return s.Expo.Decide(r.Context(), p, r.PathValue("id"), r.PathValue("app"), true)
	})
}

func (s *Server) rejectExpoApplication(w http.ResponseWriter, r *http.Request) {
	expoCall(s, w, r, nil, http.StatusOK, func(p *identity.Principal) (expo.Application, error) {
		return s.Expo.Decide(r.Context(), p, r.PathValue("id"), r.PathValue("app"), false)
	})
}

func (s *Server) allocateExpoBooth(w http.ResponseWriter, r *http.Request) {
	var in expo.AllocateInput
	expoCall(s, w, r, &in, http.StatusOK, func(p *identity.Principal) (expo.Application, error) {
		return s.Expo.Allocate(r.Context(), p, r.PathValue("id"), r.PathValue("app"), in)
	})
}

func (s *Server) payExpoFee(w http.ResponseWriter, r *http.Request) {
	var in expo.PayInput
	expoCall(s, w, r, &in, http.StatusOK, func(p *identity.Principal) (expo.Application, error) {
		return s.Expo.PayFee(r.Context(), p, r.PathValue("id"), r.PathValue("app"), in)
	})
}

func (s *Server) listExpoShowcase(w http.ResponseWriter, r *http.Request) {
	expoCall(s, w, r, nil, http.StatusOK, func(p *identity.Principal) (expoItems[expo.ShowcaseItem], error) {
		l, err := s.Expo.Showcase(r.Context(), p, r.PathValue("id"))
		return itemsOf(l), err
	})
}

func (s *Server) addExpoShowcase(w http.ResponseWriter, r *http.Request) {
	var in expo.ShowcaseInput
	expoCall(s, w, r, &in, http.StatusCreated, func(p *identity.Principal) (expo.ShowcaseItem, error) {
		return s.Expo.AddShowcase(r.Context(), p, r.PathValue("id"), in)
	})
}

func (s *Server) registerExpoBuyer(w http.ResponseWriter, r *http.Request) {
	expoCall(s, w, r, nil, http.StatusOK, func(p *identity.Principal) (expo.Buyer, error) {
		return s.Expo.RegisterBuyer(r.Context(), p, r.PathValue("id"))
	})
}

func (s *Server) listExpoRequests(w http.ResponseWriter, r *http.Request) {
	expoCall(s, w, r, nil, http.StatusOK, func(p *identity.Principal) (expoItems[expo.MeetingRequest], error) {
		l, err := s.Expo.Requests(r.Context(), p, r.PathValue("id"))
		return itemsOf(l), err
	})
}

func (s *Server) requestExpoMeeting(w http.ResponseWriter, r *http.Request) {
	var in expo.RequestInput
	expoCall(s, w, r, &in, http.StatusCreated, func(p *identity.Principal) (expo.MeetingRequest, error) {
		return s.Expo.RequestMeeting(r.Context(), p, r.PathValue("id"), in)
	})
}

func (s *Server) acceptExpoRequest(w http.ResponseWriter, r *http.Request) {
	expoCall(s, w, r, nil, http.StatusOK, func(p *identity.Principal) (expo.MeetingRequest, error) {
		return s.Expo.AnswerRequest(r.Context(), p, r.PathValue("id"), r.PathValue("req"), true)
	})
}

func (s *Server) declineExpoRequest(w http.ResponseWriter, r *http.Request) {
	expoCall(s, w, r, nil, http.StatusOK, func(p *identity.Principal) (expo.MeetingRequest, error) {
		return s.Expo.AnswerRequest(r.Context(), p, r.PathValue("id"), r.PathValue("req"), false)
	})
}

func (s *Server) runExpoSchedule(w http.ResponseWriter, r *http.Request) {
	expoCall(s, w, r, nil, http.StatusOK, func(p *identity.Principal) (expo.Run, error) {
		return s.Expo.Schedule(r.Context(), p, r.PathValue("id"))
	})
}

func (s *Server) getExpoSchedule(w http.ResponseWriter, r *http.Request) {
	expoCall(s, w, r, nil, http.StatusOK, func(p *identity.Principal) (expo.Run, error) {
		return s.Expo.LastRun(r.Context(), p, r.PathValue("id"))
	})
}

func (s *Server) expoAgenda(w http.ResponseWriter, r *http.Request) {
	expoCall(s, w, r, nil, http.StatusOK, func(p *identity.Principal) (expoItems[expo.Meeting], error) {
		_, l, err := s.Expo.Agenda(r.Context(), p, r.PathValue("id"))
		return itemsOf(l), err
	})
}

// expoCalendar answers the caller's agenda as text/calendar.
func (s *Server) expoCalendar(w http.ResponseWriter, r *http.Request) {
	if !s.expoReady(w, r) {
		return
	}
	names := s.identity.OrgNames(r.Context(), nil)
	cal, err := s.Expo.Calendar(r.Context(), principal(r), r.PathValue("id"), names.Name)
	if err != nil {
		writeProblem(w, r, s.log, err)
		return
	}
	w.Header().Set("Content-Type", "text/calendar; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="expo-agenda.ics"`)
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write([]byte(cal))
}
