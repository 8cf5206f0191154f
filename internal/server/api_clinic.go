package server

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"bricstown/internal/clinic"
	"bricstown/internal/identity"
	"bricstown/internal/problem"
)

// The medical and wellness zone (issue 12): doctors and wellness packages
// on the booking engine, consultations with their medical record, and the
// consultation room's WebRTC signalling (POST in, server-sent events out).

// clinicBook may browse doctors and packages and book them (the booking
// engine's bookers: residents book the clinics' public calendars).
var clinicBook = roles(orgAdmin, identity.Trader, identity.Resident)

// clinicRecords may list and open consultations; the service shows each
// caller only those it is the patient, the treating doctor or the clinic's
// administrator of, and answers not_found for the rest.
var clinicRecords = roles(orgAdmin, identity.Trader, identity.Resident, identity.Clinician)

// clinicDoctor is a clinic's doctors: their day, notes and prescriptions.
var clinicDoctor = roles(identity.Clinician)

// clinicAdmin is a clinic's administrators: org_admin, of a clinic (the
// service refuses other organisations' administrators with 403).
var clinicAdmin = roles(orgAdmin)

// clinicDo decodes nothing, calls the one service method and encodes its
// answer (or the problem).
func (s *Server) clinicDo(w http.ResponseWriter, r *http.Request, status int, call func() (any, error)) {
	if s.Clinic == nil {
		writeProblem(w, r, s.log, problem.New(problem.Unavailable, "the clinics are not available"))
		return
	}
	v, err := call()
	if err != nil {
		writeProblem(w, r, s.log, err)
		return
	}
	writeJSON(w, status, v)
}

func clinicDecode[T any](r *http.Request) (T, error) {
	var in T
	err := decodeJSON(r, &in)
	return in, err
}

func (s *Server) listClinicDoctors(w http.ResponseWriter, r *http.Request) {
	s.clinicDo(w, r, http.StatusOK, func() (any, error) {
		list, err := s.Clinic.Doctors(r.Context(), principal(r), r.URL.Query().Get("clinic"))
		return map[string]any{"items": list}, err
	})
}

func (s *Server) addClinicDoctor(w http.ResponseWriter, r *http.Request) {
	s.clinicDo(w, r, http.StatusCreated, func() (any, error) {
		in, err := clinicDecode[clinic.DoctorInput](r)
		if err != nil {
			return nil, err
		}
		return s.Clinic.AddDoctor(r.Context(), principal(r), in)
	})
}

func (s *Server) getClinicDoctor(w http.ResponseWriter, r *http.Request) {
	s.clinicDo(w, r, http.StatusOK, func() (any, error) { return s.Clinic.DoctorOf(r.Context(), principal(r), r.PathValue("id")) })
}

func (s *Server) clinicAvailability(w http.ResponseWriter, r *http.Request) {
	s.clinicDo(w, r, http.StatusOK, func() (any, error) {
		days, err := daysParam(r)
		if err != nil {
			return nil, err
		}
		out, err := s.Clinic.Availability(r.Context(), principal(r), r.PathValue("id"), r.URL.Query().Get("from"), days)
		return map[string]any{"days": out}, err
	})
}

func (s *Server) listClinicPackages(w http.ResponseWriter, r *http.Request) {
	s.clinicDo(w, r, http.StatusOK, func() (any, error) {
		list, err := s.Clinic.Packages(r.Context(), principal(r), r.URL.Query().Get("clinic"))
		return map[string]any{"items": list}, err
	})
}

func (s *Server) addClinicPackage(w http.ResponseWriter, r *http.Request) {
	s.clinicDo(w, r, http.StatusCreated, func() (any, error) {
		in, err := clinicDecode[clinic.PackageInput](r)
		if err != nil {
			return nil, err
		}
		return s.Clinic.AddPackage(r.Context(), principal(r), in)
	})
}

func (s *Server) bookClinicPackage(w http.ResponseWriter, r *http.Request) {
	s.clinicDo(w, r, http.StatusCreated, func() (any, error) {
		in, err := clinicDecode[clinic.PackageBookInput](r)
		if err != nil {
			return nil, err
		}
		return s.Clinic.BookPackage(r.Context(), principal(r), in)
	})
}

func (s *Server) bookConsultation(w http.ResponseWriter, r *http.Request) {
	if s.Clinic == nil {
		s.clinicDo(w, r, 0, nil)
		return
	}
	in, err := clinicDecode[clinic.BookInput](r)
	if err != nil {
		writeProblem(w, r, s.log, err)
		return
	}
	c, created, err := s.Clinic.Book(r.Context(), principal(r), in)
	if err != nil {
		writeProblem(w, r, s.log, err)
		return
	}
	status := http.StatusOK
	if created {
		status = http.StatusCreated
		w.Header().Set("Location", "/api/v1/clinic/consultations/"+c.ID)
	}
	writeJSON(w, status, c)
}

func (s *Server) listConsultations(w http.ResponseWriter, r *http.Request) {
	s.clinicDo(w, r, http.StatusOK, func() (any, error) {
		list, err := s.Clinic.Consultations(r.Context(), principal(r), time.Time{}, time.Time{})
		if list == nil {
			list = []clinic.Consultation{}
		}
		return map[string]any{"items": list}, err
	})
}

func (s *Server) getConsultation(w http.ResponseWriter, r *http.Request) {
	s.clinicDo(w, r, http.StatusOK, func() (any, error) { return s.Clinic.RecordOf(r.Context(), principal(r), r.PathValue("id")) })
}

func (s *Server) cancelConsultation(w http.ResponseWriter, r *http.Request) {
	s.clinicDo(w, r, http.StatusOK, func() (any, error) { return s.Clinic.Cancel(r.Context(), principal(r), r.PathValue("id")) })
}

func (s *Server) addConsultationNote(w http.ResponseWriter, r *http.Request) {
	s.clinicDo(w, r, http.StatusCreated, func() (any, error) {
		in, err := clinicDecode[clinic.NoteInput](r)
		if err != nil {
			return nil, err
		}
		return s.Clinic.AddNote(r.Context(), principal(r), r.PathValue("id"), in)
	})
}

func (s *Server) addConsultationPrescription(w http.ResponseWriter, r *http.Request) {
	s.clinicDo(w, r, http.StatusCreated, func() (any, error) {
		in, err := clinicDecode[clinic.PrescriptionInput](r)
		if err != nil {
			return nil, err
		}
		return s.Clinic.AddPrescription(r.Context(), principal(r), r.PathValue("id"), in)
	})
}

func (s *Server) doctorDay(w http.ResponseWriter, r *http.Request) {
	s.clinicDo(w, r, http.StatusOK, func() (any, error) {
		day, list, err := s.Clinic.DoctorDay(r.Context(), principal(r), r.URL.Query().Get("date"))
		if list == nil {
			list = []clinic.Consultation{}
		}
		return map[string]any{"date": day, "items": list}, err
	})
}

func (s *Server) consultationRoom(w http.ResponseWriter, r *http.Request) {
	s.clinicDo(w, r, http.StatusOK, func() (any, error) { return s.Clinic.RoomOf(r.Context(), principal(r), r.PathValue("id")) })
}

func (s *Server) sendRoomSignal(w http.ResponseWriter, r *http.Request) {
	s.clinicDo(w, r, http.StatusCreated, func() (any, error) {
		in, err := clinicDecode[clinic.SignalInput](r)
		if err != nil {
			return nil, err
		}
		return s.Clinic.Signal(r.Context(), principal(r), r.PathValue("id"), in)
	})
}

// roomSignals streams the other participant's signals as server-sent
// events (event: signal, id: the signal's number; Last-Event-ID resumes).
// It wakes on a signal sent through this process and re-reads at each
// heartbeat, which carries signals sent through another process; it ends
// when the room closes (event: closed).
func (s *Server) roomSignals(w http.ResponseWriter, r *http.Request) {
	if s.Clinic == nil {
		s.clinicDo(w, r, 0, nil)
		return
	}
	ctx, p, id := r.Context(), principal(r), r.PathValue("id")
	var after int64
	if v := r.Header.Get("Last-Event-ID"); v != "" {
		after, _ = strconv.ParseInt(v, 10, 64)
	}
	wake, stop := s.Clinic.Watch(id)
	defer stop()
	// The first read answers refusals as problems, before the stream starts.
	list, err := s.Clinic.Signals(ctx, p, id, after)
	if err != nil {
		writeProblem(w, r, s.log, err)
		return
	}
	rc := http.NewResponseController(w)
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	if _, err := fmt.Fprint(w, "retry: 2000\n\n"); err != nil {
		return
	}
	send := func(list []clinic.Signal) error {
		for _, sg := range list {
			data, err := json.Marshal(sg)
			if err != nil {
				return err
			}
			if _, err := fmt.Fprintf(w, "id: %d\nevent: signal\ndata: %s\n\n", sg.Seq, data); err != nil {
				return err
			}
			after = sg.Seq
		}
		return rc.Flush()
	}
	if send(list) != nil {
		return
	}
	beat := time.Duration(sseHeartbeat.Load())
	if beat > time.Second {
		beat = time.Second // a call is set up in seconds, not minutes
	}
	tick := time.NewTicker(beat)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-wake:
		case <-tick.C:
			if _, err := fmt.Fprint(w, ": heartbeat\n\n"); err != nil {
				return
			}
		}
		list, err := s.Clinic.Signals(ctx, p, id, after)
		if err != nil {
			fmt.Fprintf(w, "event: closed\ndata: %q\n\n", problem.MessageOf(err))
			rc.Flush()
			return
		}
		if send(list) != nil {
			return
		}
	}
}
