package server

import (
	"net/http"

	"bricstown/internal/booking"
	"bricstown/internal/education"
	"bricstown/internal/identity"
	"bricstown/internal/problem"
)

// The education zone (issue 12): partner universities, joint programmes,
// vocational courses on the booking engine with enrolment, waiting list
// and certificates, and student exchange applications.

// eduAdmin publishes the catalogue: organisations' administrators; the
// service admits only an education provider's (403 for other kinds).
var eduAdmin = roles(orgAdmin)

// eduStaff works enrolments, certificates and exchange decisions: the
// educators (only a school's users hold the role); the service checks the
// course or application is its institution's.
var eduStaff = roles(identity.Educator)

// eduStudent enrols and applies: residents.
var eduStudent = roles(identity.Resident)

// eduPeople reads enrolments, certificates and applications: students see
// their own, educators their institution's; everyone else is answered
// not_found by the service.
var eduPeople = roles(identity.Resident, identity.Educator)

// eduDo calls one service method and encodes its answer with status.
func eduDo[T any](s *Server, w http.ResponseWriter, r *http.Request, status int, call func() (T, error)) {
	if s.Education == nil {
		writeProblem(w, r, s.log, problem.New(problem.Unavailable, "the education zone is not available"))
		return
	}
	out, err := call()
	if err != nil {
		writeProblem(w, r, s.log, err)
		return
	}
	writeJSON(w, status, out)
}

// eduIn decodes the body into in, then calls like eduDo.
func eduIn[I, T any](s *Server, w http.ResponseWriter, r *http.Request, status int, call func(in I) (T, error)) {
	var in I
	if err := decodeJSON(r, &in); err != nil {
		writeProblem(w, r, s.log, err)
		return
	}
	eduDo(s, w, r, status, func() (T, error) { return call(in) })
}

func eduItems[T any](list []T, err error) (map[string]any, error) {
	if list == nil {
		list = []T{}
	}
	return map[string]any{"items": list}, err
}

func (s *Server) listEduPartners(w http.ResponseWriter, r *http.Request) {
	eduDo(s, w, r, http.StatusOK, func() (map[string]any, error) {
		return eduItems(s.Education.Partners(r.Context(), principal(r), r.URL.Query().Get("org")))
	})
}

func (s *Server) addEduPartner(w http.ResponseWriter, r *http.Request) {
	eduIn(s, w, r, http.StatusCreated, func(in education.PartnerInput) (education.Partner, error) {
		return s.Education.AddPartner(r.Context(), principal(r), in)
	})
}

func (s *Server) listEduProgrammes(w http.ResponseWriter, r *http.Request) {
	eduDo(s, w, r, http.StatusOK, func() (map[string]any, error) {
		return eduItems(s.Education.Programmes(r.Context(), principal(r), r.URL.Query().Get("org")))
	})
}

func (s *Server) addEduProgramme(w http.ResponseWriter, r *http.Request) {
	eduIn(s, w, r, http.StatusCreated, func(in education.ProgrammeInput) (education.Programme, error) {
		return s.Education.AddProgramme(r.Context(), principal(r), in)
	})
}

func (s *Server) getEduProgramme(w http.ResponseWriter, r *http.Request) {
	eduDo(s, w, r, http.StatusOK, func() (map[string]any, error) {
		p, partners, err := s.Education.Programme(r.Context(), principal(r), r.PathValue("id"))
		if partners == nil {
			partners = []education.Partner{}
		}
		return map[string]any{"programme": p, "partners": partners}, err
	})
}

func (s *Server) listEduCourses(w http.ResponseWriter, r *http.Request) {
	eduDo(s, w, r, http.StatusOK, func() (map[string]any, error) {
		return eduItems(s.Education.Courses(r.Context(), principal(r), r.URL.Query().Get("org")))
	})
}

func (s *Server) addEduCourse(w http.ResponseWriter, r *http.Request) {
	eduIn(s, w, r, http.StatusCreated, func(in education.CourseInput) (education.Course, error) {
		return s.Education.AddCourse(r.Context(), principal(r), in)
	})
}

func (s *Server) getEduCourse(w http.ResponseWriter, r *http.Request) {
	eduDo(s, w, r, http.StatusOK, func() (education.Course, error) {
		return s.Education.Course(r.Context(), principal(r), r.PathValue("id"))
	})
}

func (s *Server) eduCourseEnrolments(w http.ResponseWriter, r *http.Request) {
	eduDo(s, w, r, http.StatusOK, func() (map[string]any, error) {
		c, list, err := s.Education.CourseEnrolments(r.Context(), principal(r), r.PathValue("id"))
		if list == nil {
			list = []education.Enrolment{}
		}
		return map[string]any{"course": c, "items": list}, err
	})
}

func (s *Server) joinEduWait(w http.ResponseWriter, r *http.Request) {
	eduDo(s, w, r, http.StatusCreated, func() (booking.Wait, error) {
		return s.Education.JoinWait(r.Context(), principal(r), r.PathValue("id"))
	})
}

func (s *Server) enrolEdu(w http.ResponseWriter, r *http.Request) {
	if s.Education == nil {
		writeProblem(w, r, s.log, problem.New(problem.Unavailable, "the education zone is not available"))
		return
	}
	var in education.EnrolInput
	if err := decodeJSON(r, &in); err != nil {
		writeProblem(w, r, s.log, err)
		return
	}
	e, created, err := s.Education.Enrol(r.Context(), principal(r), in)
	if err != nil {
		writeProblem(w, r, s.log, err)
		return
	}
	w.Header().Set("Location", "/api/v1/education/enrolments/"+e.ID)
	status := http.StatusOK
	if created {
		status = http.StatusCreated
	}
	writeJSON(w, status, e)
}

func (s *Server) myEduEnrolments(w http.ResponseWriter, r *http.Request) {
	eduDo(s, w, r, http.StatusOK, func() (map[string]any, error) {
		list, waits, err := s.Education.MyEnrolments(r.Context(), principal(r))
		if list == nil {
			list = []education.Enrolment{}
		}
		if waits == nil {
			waits = []booking.Wait{}
		}
		return map[string]any{"items": list, "waiting": waits}, err
	})
}

func (s *Server) getEduEnrolment(w http.ResponseWriter, r *http.Request) {
	eduDo(s, w, r, http.StatusOK, func() (education.Enrolment, error) {
		return s.Education.Enrolment(r.Context(), principal(r), r.PathValue("id"))
	})
}

func (s *Server) withdrawEdu(w http.ResponseWriter, r *http.Request) {
	eduDo(s, w, r, http.StatusOK, func() (education.Enrolment, error) {
		return s.Education.Withdraw(r.Context(), principal(r), r.PathValue("id"))
	})
}

func (s *Server) completeEdu(w http.ResponseWriter, r *http.Request) {
	eduDo(s, w, r, http.StatusOK, func() (education.Enrolment, error) {
		return s.Education.Complete(r.Context(), principal(r), r.PathValue("id"))
	})
}

func (s *Server) issueEduCertificate(w http.ResponseWriter, r *http.Request) {
	eduDo(s, w, r, http.StatusCreated, func() (education.Certificate, error) {
		c, _, err := s.Education.IssueCertificate(r.Context(), principal(r), r.PathValue("id"))
		return c, err
	})
}

func (s *Server) listEduCertificates(w http.ResponseWriter, r *http.Request) {
	eduDo(s, w, r, http.StatusOK, func() (map[string]any, error) {
		return eduItems(s.Education.Certificates(r.Context(), principal(r)))
	})
}

func (s *Server) verifyEduCertificate(w http.ResponseWriter, r *http.Request) {
	eduDo(s, w, r, http.StatusOK, func() (education.Verification, error) {
		return s.Education.Verify(r.Context(), r.PathValue("code"))
	})
}

func (s *Server) listEduInstitutions(w http.ResponseWriter, r *http.Request) {
	eduDo(s, w, r, http.StatusOK, func() (map[string]any, error) {
		return eduItems(s.Education.Institutions(r.Context(), principal(r)))
	})
}

func (s *Server) applyEduExchange(w http.ResponseWriter, r *http.Request) {
	eduIn(s, w, r, http.StatusCreated, func(in education.ExchangeInput) (education.Exchange, error) {
		return s.Education.Apply(r.Context(), principal(r), in)
	})
}

func (s *Server) listEduExchanges(w http.ResponseWriter, r *http.Request) {
	eduDo(s, w, r, http.StatusOK, func() (map[string]any, error) {
		return eduItems(s.Education.Exchanges(r.Context(), principal(r)))
	})
}

func (s *Server) getEduExchange(w http.ResponseWriter, r *http.Request) {
	eduDo(s, w, r, http.StatusOK, func() (education.Exchange, error) {
		return s.Education.Exchange(r.Context(), principal(r), r.PathValue("id"))
	})
}

func (s *Server) decideEduExchange(w http.ResponseWriter, r *http.Request) {
	eduIn(s, w, r, http.StatusOK, func(in education.DecisionInput) (education.Exchange, error) {
		return s.Education.Decide(r.Context(), principal(r), r.PathValue("id"), in)
	})
}

func (s *Server) withdrawEduExchange(w http.ResponseWriter, r *http.Request) {
	eduDo(s, w, r, http.StatusOK, func() (education.Exchange, error) {
		return s.Education.WithdrawExchange(r.Context(), principal(r), r.PathValue("id"))
	})
}
