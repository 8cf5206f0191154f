package education

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"bricstown/internal/audit"
	"bricstown/internal/booking"
	"bricstown/internal/identity"
	"bricstown/internal/ledger"
	"bricstown/internal/problem"

	"github.com/google/uuid"
)

// Config wires the service to the platform.
type Config struct {
	Log     *slog.Logger
	Ledger  *ledger.Service
	Booking *booking.Service
	// Org finds an organisation (an exchange's institutions must be
	// education providers).
	Org func(ctx context.Context, id string) (identity.Org, error)
	// User finds a user (a student's name on an enrolment and its
	// certificate); nil: the principal's own name.
	User func(ctx context.Context, id string) (identity.User, error)
	// Orgs lists the platform's organisations (the education providers
	// among them are an exchange's possible institutions).
	Orgs func(ctx context.Context) ([]identity.Org, error)
	// Country tells whether an ISO 3166 alpha-2 code is known; nil: any
	// two letters.
	Country func(code string) bool
	Now     func() time.Time
}

// Service applies the education zone's rules: an education provider's
// (a school organisation's) administrators publish partners, programmes
// and courses; its staff (educators and administrators) see the
// enrolments of its courses, mark them completed, issue certificates and
// decide their institution's step of exchange applications; residents
// enrol, withdraw and apply for exchanges, each seeing only their own;
// everyone signed in browses the catalogue; anyone verifies a certificate
// by its code.
type Service struct {
	store Store
	cfg   Config
	loc   *time.Location
}

// NewService returns a service on store.
func NewService(store Store, cfg Config) *Service {
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Booking != nil {
		// The courses' resources are the education zone's: the generic
		// booking API neither lists nor books them, so a seat is never
		// taken without its enrolment.
		cfg.Booking = cfg.Booking.For("education")
	}
	loc, ok := booking.Location(booking.DefaultTimeZone)
	if !ok {
		loc = time.FixedZone("ALMT", 5*3600)
	}
	return &Service{store: store, cfg: cfg, loc: loc}
}

// Location is the town's time zone, in which course dates are given.
func (s *Service) Location() *time.Location { return s.loc }

func (s *Service) now() time.Time { return s.cfg.Now().UTC().Truncate(time.Microsecond) }

func notFound() error {
	return problem.New(problem.NotFound, "no such programme, course, enrolment or application")
}

func (s *Service) record(p *identity.Principal, action, subject, id, org, detail string) audit.Record {
	u, o := p.Actor()
	return audit.Record{ActorUser: u, ActorOrg: o, Action: action, SubjectType: subject, SubjectID: id, OrgID: org, Detail: detail}
}

// IsProviderAdmin: an education provider's administrators publish its
// catalogue.
func IsProviderAdmin(p *identity.Principal) bool {
	return p != nil && p.OrgKind == identity.KindSchool && p.Has(identity.OrgAdmin)
}

// IsProviderStaff: an education provider's educators work its
// enrolments, certificates and exchange decisions (only a school's users
// can hold the educator role).
func IsProviderStaff(p *identity.Principal) bool {
	return p != nil && p.OrgKind == identity.KindSchool && p.Has(identity.Educator)
}

// IsStudent: residents enrol and apply for exchanges.
func IsStudent(p *identity.Principal) bool {
	return p != nil && p.OrgKind == identity.KindResidents && p.Has(identity.Resident)
}

func (s *Service) name(ctx context.Context, p *identity.Principal) string {
	if s.cfg.User != nil {
		if u, err := s.cfg.User(ctx, p.UserID); err == nil && u.Name != "" {
			return u.Name
		}
	}
	if p.Name != "" {
		return p.Name
	}
	return p.Email
}

// AddPartner adds a partner university of the caller's provider.
func (s *Service) AddPartner(ctx context.Context, p *identity.Principal, in PartnerInput) (Partner, error) {
	if !IsProviderAdmin(p) {
		return Partner{}, problem.New(problem.Forbidden, "only an education provider's administrators add partner universities")
	}
	f := problem.Fields{}
	in.check(f, s.cfg.Country)
	if in.Institution != "" {
		s.institution(ctx, in.Institution, "institution_org", f)
	}
	if err := f.Err("the partner is not valid"); err != nil {
		return Partner{}, err
	}
	pt := Partner{ID: uuid.Must(uuid.NewV7()).String(), OrgID: p.OrgID, Name: in.Name, Country: in.Country, City: in.City, Institution: in.Institution, CreatedAt: s.now()}
	if err := s.store.CreatePartner(ctx, pt, s.record(p, "education.partner.add", "education_partner", pt.ID, p.OrgID, pt.Name)); err != nil {
		return Partner{}, err
	}
	return pt, nil
}

// institution checks that id is an education provider on the platform.
func (s *Service) institution(ctx context.Context, id, field string, f problem.Fields) identity.Org {
	if s.cfg.Org == nil {
		f.Add(field, "must be an education provider on the platform")
		return identity.Org{}
	}
	o, err := s.cfg.Org(ctx, id)
	if err != nil || o.Kind != identity.KindSchool {
		f.Add(field, "must be an education provider on the platform")
	}
	return o
}

// Partners lists a provider's partner universities (public within the
// platform: the joint programmes name them).
func (s *Service) Partners(ctx context.Context, p *identity.Principal, org string) ([]Partner, error) {
	if p == nil {
		return nil, problem.New(problem.Unauthenticated, "sign in")
	}
	if org == "" {
		org = p.OrgID
	}
	return s.store.ListPartners(ctx, org)
}

// AddProgramme publishes a joint programme of the caller's provider with
// some of its partner universities.
func (s *Service) AddProgramme(ctx context.Context, p *identity.Principal, in ProgrammeInput) (Programme, error) {
	if !IsProviderAdmin(p) {
		return Programme{}, problem.New(problem.Forbidden, "only an education provider's administrators publish programmes")
	}
	f := problem.Fields{}
	in.check(f)
	mine, err := s.store.ListPartners(ctx, p.OrgID)
	if err != nil {
		return Programme{}, err
	}
	var partners []string
	for i, id := range in.Partners {
		id = strings.TrimSpace(id)
		ok := false
		for _, pt := range mine {
			ok = ok || pt.ID == id
		}
		if !ok {
			// Another provider's partner answers like an unknown one.
			f.Add(fmt.Sprintf("partner_ids[%d]", i), "no such partner university")
		} else if !contains(partners, id) {
			partners = append(partners, id)
		}
	}
	if err := f.Err("the programme is not valid"); err != nil {
		return Programme{}, err
	}
	pr := Programme{ID: uuid.Must(uuid.NewV7()).String(), OrgID: p.OrgID, Titles: in.Titles, Languages: in.Languages, Degree: in.Degree,
		DurationMonths: in.DurationMonths, Partners: partners, CreatedAt: s.now()}
	if err := s.store.CreateProgramme(ctx, pr, s.record(p, "education.programme.create", "education_programme", pr.ID, p.OrgID, pr.Titles["en"])); err != nil {
		return Programme{}, err
	}
	return pr, nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// Programmes lists the joint programmes (of one provider when org is
// set); the catalogue is public within the platform.
func (s *Service) Programmes(ctx context.Context, p *identity.Principal, org string) ([]Programme, error) {
	if p == nil {
		return nil, problem.New(problem.Unauthenticated, "sign in")
	}
	return s.store.ListProgrammes(ctx, org, 500)
}

// Programme returns a programme with its partner universities.
func (s *Service) Programme(ctx context.Context, p *identity.Principal, id string) (Programme, []Partner, error) {
	if p == nil {
		return Programme{}, nil, problem.New(problem.Unauthenticated, "sign in")
	}
	if _, err := uuid.Parse(id); err != nil {
		return Programme{}, nil, notFound()
	}
	pr, err := s.store.GetProgramme(ctx, id)
	if err != nil {
		return Programme{}, nil, err
	}
	all, err := s.store.ListPartners(ctx, pr.OrgID)
	var out []Partner
	for _, pt := range all {
		if contains(pr.Partners, pt.ID) {
			out = append(out, pt)
		}
	}
	return pr, out, err
}

// AddCourse publishes a vocational course of the caller's provider: its
// seats become a booking resource of the provider whose capacity is the
// enrolment capacity, whose one open slot is the first day (09:00–18:00,
// closed before and after), whose price is the fee paid into the
// provider's account and whose refund policy is the course's.
func (s *Service) AddCourse(ctx context.Context, p *identity.Principal, in CourseInput) (Course, error) {
	if !IsProviderAdmin(p) {
		return Course{}, problem.New(problem.Forbidden, "only an education provider's administrators publish courses")
	}
	now := s.now()
	f := problem.Fields{}
	start := in.check(f, s.loc, now)
	in.AccountID = strings.TrimSpace(in.AccountID)
	if in.FeeKZT > 0 || in.AccountID != "" {
		s.payee(ctx, p.OrgID, in.AccountID, f)
	}
	if err := f.Err("the course is not valid"); err != nil {
		return Course{}, err
	}
	first := start.Add(9 * time.Hour)
	name := in.Title + " · " + in.StartDate
	if r := []rune(name); len(r) > 120 {
		name = string(r[:119]) + "…"
	}
	res, err := s.cfg.Booking.CreateResource(ctx, p, booking.ResourceInput{Name: name, Kind: "course", Capacity: in.Capacity,
		TimeZone: booking.DefaultTimeZone, Hours: []booking.Hours{{Day: int(first.Weekday()), From: "09:00", To: "18:00"}},
		Closures:    []booking.Closure{{From: first.AddDate(-1, 0, -2), To: first, Reason: "course"}, {From: first.Add(9 * time.Hour), To: first.AddDate(1, 0, 2), Reason: "course"}},
		SlotMinutes: 9 * 60, HorizonDays: booking.MaxHorizonDays, HoldMinutes: OfferMinutes, RefundHours: in.RefundDays * 24,
		PriceKZT: in.FeeKZT, AccountID: in.AccountID, Public: true})
	if err != nil {
		return Course{}, err
	}
	c := Course{ID: uuid.Must(uuid.NewV7()).String(), OrgID: p.OrgID, Title: in.Title, Industry: in.Industry, Language: in.Language,
		StartDate: in.StartDate, EndDate: in.EndDate, Capacity: in.Capacity, FeeKZT: in.FeeKZT, Account: in.AccountID, RefundDays: in.RefundDays,
		ResourceID: res.ID, CreatedAt: now}
	if err := s.store.CreateCourse(ctx, c, s.record(p, "education.course.create", "education_course", c.ID, p.OrgID, c.Title)); err != nil {
		return Course{}, err
	}
	return c, nil
}

// payee checks the provider's own KZT account fees are paid into.
func (s *Service) payee(ctx context.Context, org, id string, f problem.Fields) {
	u, err := uuid.Parse(id)
	if err != nil || s.cfg.Ledger == nil {
		f.Add("account_id", "must be the id of one of your KZT accounts")
		return
	}
	a, err := s.cfg.Ledger.AccountByID(ctx, u)
	switch {
	case err != nil || a.OrgID != org || a.Flags&ledger.System != 0:
		f.Add("account_id", "must be the id of one of your KZT accounts")
	case a.Currency != "KZT":
		f.Add("account_id", "must be a KZT account")
	case a.Closed:
		f.Add("account_id", "the account is closed")
	}
}

// Courses lists the courses (of one provider when org is set), soonest
// first, with their enrolled counts; the catalogue is public within the
// platform.
func (s *Service) Courses(ctx context.Context, p *identity.Principal, org string) ([]Course, error) {
	if p == nil {
		return nil, problem.New(problem.Unauthenticated, "sign in")
	}
	return s.store.ListCourses(ctx, org, 500)
}

// Course returns a course.
func (s *Service) Course(ctx context.Context, p *identity.Principal, id string) (Course, error) {
	if p == nil {
		return Course{}, problem.New(problem.Unauthenticated, "sign in")
	}
	if _, err := uuid.Parse(id); err != nil {
		return Course{}, notFound()
	}
	return s.store.GetCourse(ctx, id)
}

// Start is the booking slot of a course: its first day at 09:00 local.
func (s *Service) Start(c Course) time.Time {
	d, err := time.ParseInLocation(time.DateOnly, c.StartDate, s.loc)
	if err != nil {
		return time.Time{}
	}
	return d.Add(9 * time.Hour).UTC()
}

// EnrolInput is a student's enrolment request.
type EnrolInput struct {
	CourseID string `json:"course_id"`
	// Key is the client's idempotency key (a UUID): a retry after a lost
	// answer with the same key answers the same enrolment, never a second.
	Key string `json:"key"`
	// PayFrom is the student's own KZT wallet (it may be left empty).
	PayFrom string `json:"pay_from"`
}

// Enrol takes a seat of the course for the student through the booking
// engine and pays its fee from the student's own wallet (the engine's paid
// hold, then its confirmation, which posts it to the provider). A full
// course is refused with problem.Conflict (field course_id "full"): the
// student may then join its waiting list (JoinWait). created is false when the key found an earlier enrolment.
func (s *Service) Enrol(ctx context.Context, p *identity.Principal, in EnrolInput) (Enrolment, bool, error) {
	if p == nil {
		return Enrolment{}, false, problem.New(problem.Unauthenticated, "sign in")
	}
	if !IsStudent(p) {
		return Enrolment{}, false, problem.New(problem.Forbidden, "residents enrol on courses")
	}
	id := strings.TrimSpace(in.CourseID)
	c, err := s.store.GetCourse(ctx, id)
	if _, perr := uuid.Parse(id); perr != nil || problem.Is(err, problem.NotFound) {
		return Enrolment{}, false, &problem.Error{Code: problem.NotFound, Message: "no such course", Fields: map[string]string{"course_id": "no such course"}}
	} else if err != nil {
		return Enrolment{}, false, err
	}
	party := booking.Party(p)
	key, kerr := uuid.Parse(strings.TrimSpace(in.Key))
	if kerr != nil || key == uuid.Nil {
		return Enrolment{}, false, &problem.Error{Code: problem.Invalid, Message: "the enrolment is not valid",
			Fields: map[string]string{"key": "must be a UUID the client chose for this booking"}}
	}
	// Already enrolled: a retry of that enrolment answers it, anything else
	// is refused before a seat is touched.
	have, err := s.store.ListEnrolments(ctx, EnrolmentQuery{CourseID: c.ID, Party: party, Limit: 100})
	if err != nil {
		return Enrolment{}, false, err
	}
	for _, e := range have {
		if e.Status == Withdrawn {
			continue
		}
		if b, err := s.cfg.Booking.Get(ctx, p, e.BookingID); err == nil && b.Key == ledger.ScopedID(p.OrgID, key).String() {
			if b.Status == booking.Confirmed {
				e.FeeKZT = b.PriceKZT
				return e, false, nil
			}
			break // a retry of an enrolment left half done: finish it below
		}
		return Enrolment{}, false, &problem.Error{Code: problem.Conflict, Message: "you are enrolled on this course already",
			Fields: map[string]string{"course_id": "already enrolled"}}
	}
	payFrom := strings.TrimSpace(in.PayFrom)
	if c.FeeKZT > 0 {
		// A resident pays from the resident's own wallet only.
		w, werr := s.cfg.Ledger.AccountByCode(ctx, p.OrgID, "KZT", ledger.WalletCode(p.UserID))
		f := problem.Fields{}
		switch {
		case werr != nil:
			f.Add("pay_from", "you have no KZT wallet")
		case payFrom != "" && payFrom != w.ID.String():
			f.Add("pay_from", "must be the id of one of your KZT accounts")
		default:
			payFrom = w.ID.String()
		}
		if err := f.Err("the enrolment is not valid"); err != nil {
			return Enrolment{}, false, err
		}
	}
	start := s.Start(c).Format(time.RFC3339)
	b, created, err := s.cfg.Booking.Book(ctx, p, booking.BookInput{ResourceID: c.ResourceID, Start: start, Key: in.Key, PayFrom: payFrom})
	if err != nil {
		if pe, ok := err.(*problem.Error); ok && pe.Fields["start"] != "" {
			// The engine speaks of the slot; the student chose a course.
			msg := "the course cannot be enrolled on"
			if isFull(err) {
				msg = "the course is full: join its waiting list"
			}
			return Enrolment{}, false, &problem.Error{Code: pe.Code, Message: msg, Fields: map[string]string{"course_id": pe.Fields["start"]}}
		}
		return Enrolment{}, false, err
	}
	now := s.now()
	e := Enrolment{ID: uuid.Must(uuid.NewV7()).String(), CourseID: c.ID, OrgID: c.OrgID, BookingID: b.ID, StudentOrg: p.OrgID, StudentUser: p.UserID,
		Party: party, StudentName: s.name(ctx, p), Status: Enrolled, CreatedAt: now, UpdatedAt: now}
	e, made, err := s.store.CreateEnrolment(ctx, e, s.record(p, "education.enrol", "education_enrolment", e.ID, c.OrgID, c.Title))
	if err != nil {
		if problem.Is(err, problem.Conflict) && b.Status == booking.Held {
			// A concurrent twin with another key won: give the seat back
			// (a hold only: nothing was paid yet).
			if _, cerr := s.cfg.Booking.Cancel(context.WithoutCancel(ctx), p, b.ID); cerr != nil {
				s.cfg.Log.Warn("education: duplicate enrolment's hold left to expire", "booking", b.ID, "err", cerr)
			}
		}
		return Enrolment{}, false, err
	}
	if b.Status != booking.Confirmed {
		if b, err = s.cfg.Booking.Confirm(ctx, p, b.ID); err != nil {
			// The hold is gone (or the ledger refused): no seat, no enrolment.
			if _, merr := s.store.MoveEnrolment(context.WithoutCancel(ctx), e.ID, Enrolled, Withdrawn, s.now(),
				s.record(p, "education.withdraw", "education_enrolment", e.ID, c.OrgID, "")); merr != nil && !problem.Is(merr, problem.Conflict) {
				s.cfg.Log.Warn("education: enrolment without a seat", "enrolment", e.ID, "err", merr)
			}
			return Enrolment{}, false, err
		}
	}
	e.FeeKZT = b.PriceKZT
	return e, created || made, nil
}

// JoinWait puts the student on a full course's waiting list: when a seat
// frees up the first student waiting is offered it for OfferMinutes and
// enrols as usual. A course with seats free answers problem.Conflict
// (field course_id): enrol instead.
func (s *Service) JoinWait(ctx context.Context, p *identity.Principal, courseID string) (booking.Wait, error) {
	if p == nil {
		return booking.Wait{}, problem.New(problem.Unauthenticated, "sign in")
	}
	if !IsStudent(p) {
		return booking.Wait{}, problem.New(problem.Forbidden, "residents enrol on courses")
	}
	courseID = strings.TrimSpace(courseID)
	c, err := s.store.GetCourse(ctx, courseID)
	if _, perr := uuid.Parse(courseID); perr != nil || problem.Is(err, problem.NotFound) {
		return booking.Wait{}, &problem.Error{Code: problem.NotFound, Message: "no such course", Fields: map[string]string{"course_id": "no such course"}}
	} else if err != nil {
		return booking.Wait{}, err
	}
	w, err := s.cfg.Booking.JoinWait(ctx, p, booking.WaitInput{ResourceID: c.ResourceID, Start: s.Start(c).Format(time.RFC3339)})
	if pe, ok := err.(*problem.Error); ok && pe.Fields["start"] != "" {
		return booking.Wait{}, &problem.Error{Code: pe.Code, Message: "the course has seats free: enrol instead", Fields: map[string]string{"course_id": pe.Fields["start"]}}
	}
	return w, err
}

func isFull(err error) bool {
	pe, ok := err.(*problem.Error)
	return ok && pe.Code == problem.Conflict && pe.Fields["start"] == "full"
}

// loadEnrolment finds an enrolment the caller may see: the student's own,
// or one of the caller's provider's courses for its staff. Anyone else is
// told it does not exist.
func (s *Service) loadEnrolment(ctx context.Context, p *identity.Principal, id string) (Enrolment, bool, error) {
	if _, err := uuid.Parse(id); err != nil || p == nil {
		return Enrolment{}, false, notFound()
	}
	e, err := s.store.GetEnrolment(ctx, id)
	if problem.Is(err, problem.NotFound) {
		return Enrolment{}, false, notFound()
	}
	if err != nil {
		return Enrolment{}, false, err
	}
	mine := e.Party == booking.Party(p) && IsStudent(p)
	staff := IsProviderStaff(p) && p.OrgID == e.OrgID
	if !mine && !staff {
		return Enrolment{}, false, notFound()
	}
	return e, mine, nil
}

// Enrolment returns an enrolment of the caller (or of its provider's
// courses, for its staff).
func (s *Service) Enrolment(ctx context.Context, p *identity.Principal, id string) (Enrolment, error) {
	e, _, err := s.loadEnrolment(ctx, p, id)
	return e, err
}

// MyEnrolments lists the student's enrolments, newest first, and the
// student's places on courses' waiting lists.
func (s *Service) MyEnrolments(ctx context.Context, p *identity.Principal) ([]Enrolment, []booking.Wait, error) {
	if !IsStudent(p) {
		return nil, nil, problem.New(problem.Forbidden, "residents enrol on courses")
	}
	list, err := s.store.ListEnrolments(ctx, EnrolmentQuery{Party: booking.Party(p), Limit: 500})
	if err != nil {
		return nil, nil, err
	}
	for i := range list {
		if b, err := s.cfg.Booking.Get(ctx, p, list[i].BookingID); err == nil {
			list[i].FeeKZT, list[i].RefundKZT = b.PriceKZT, b.RefundKZT
		}
	}
	waits, err := s.cfg.Booking.Waits(ctx, p)
	if err != nil {
		return nil, nil, err
	}
	courses, err := s.store.ListCourses(ctx, "", 10_000)
	if err != nil {
		return nil, nil, err
	}
	onCourse := map[string]bool{}
	for _, c := range courses {
		onCourse[c.ResourceID] = true
	}
	var mine []booking.Wait
	for _, w := range waits {
		if onCourse[w.ResourceID] && (w.Status == booking.Waiting || w.Status == booking.Offered) {
			mine = append(mine, w)
		}
	}
	return list, mine, nil
}

// CourseEnrolments lists the enrolments of a course of the caller's
// provider, for its staff.
func (s *Service) CourseEnrolments(ctx context.Context, p *identity.Principal, courseID string) (Course, []Enrolment, error) {
	c, err := s.Course(ctx, p, courseID)
	if err != nil {
		return Course{}, nil, err
	}
	if !IsProviderStaff(p) || p.OrgID != c.OrgID {
		return Course{}, nil, problem.New(problem.Forbidden, "only the provider's staff see a course's enrolments")
	}
	list, err := s.store.ListEnrolments(ctx, EnrolmentQuery{CourseID: c.ID, Limit: MaxCapacity * 2})
	return c, list, err
}

// Withdraw withdraws the student from a course: the enrolment is closed
// first, then the seat is cancelled through the engine, which refunds the
// fee by the course's policy (once, whatever is retried) and offers the
// freed seat to the first student waiting. Asked again, it finishes a
// refund the ledger refused before.
func (s *Service) Withdraw(ctx context.Context, p *identity.Principal, id string) (Enrolment, error) {
	e, mine, err := s.loadEnrolment(ctx, p, id)
	if err != nil {
		return Enrolment{}, err
	}
	if !mine {
		return Enrolment{}, problem.New(problem.Forbidden, "only the student withdraws")
	}
	switch e.Status {
	case Completed:
		return Enrolment{}, &problem.Error{Code: problem.Conflict, Message: "the course is completed", Fields: map[string]string{"status": "completed"}}
	case Enrolled:
		got, err := s.store.MoveEnrolment(ctx, e.ID, Enrolled, Withdrawn, s.now(), s.record(p, "education.withdraw", "education_enrolment", e.ID, e.OrgID, ""))
		if err != nil {
			return Enrolment{}, err
		}
		e = got
	}
	b, err := s.cfg.Booking.Cancel(ctx, p, e.BookingID)
	if err != nil {
		if cur, gerr := s.cfg.Booking.Get(ctx, p, e.BookingID); gerr == nil && cur.Status == booking.Cancelled && !cur.RefundDue {
			e.FeeKZT, e.RefundKZT = cur.PriceKZT, cur.RefundKZT
			return e, nil
		}
		return Enrolment{}, err
	}
	e.FeeKZT, e.RefundKZT = b.PriceKZT, b.RefundKZT
	return e, nil
}

// Complete marks an enrolment of the caller's provider's course completed
// (the provider judges completion: at the course's end, or earlier on
// recognised prior learning).
func (s *Service) Complete(ctx context.Context, p *identity.Principal, id string) (Enrolment, error) {
	e, _, err := s.loadEnrolment(ctx, p, id)
	if err != nil {
		return Enrolment{}, err
	}
	if !IsProviderStaff(p) || p.OrgID != e.OrgID {
		return Enrolment{}, problem.New(problem.Forbidden, "only the provider's staff mark completion")
	}
	if e.Status == Completed {
		return e, nil
	}
	return s.store.MoveEnrolment(ctx, e.ID, Enrolled, Completed, s.now(), s.record(p, "education.complete", "education_enrolment", e.ID, e.OrgID, ""))
}

// IssueCertificate issues the certificate of a completed enrolment of the
// caller's provider's course, once: asked again it answers the same
// certificate. An enrolment not completed is refused.
func (s *Service) IssueCertificate(ctx context.Context, p *identity.Principal, enrolmentID string) (Certificate, bool, error) {
	e, _, err := s.loadEnrolment(ctx, p, enrolmentID)
	if err != nil {
		return Certificate{}, false, err
	}
	if !IsProviderStaff(p) || p.OrgID != e.OrgID {
		return Certificate{}, false, problem.New(problem.Forbidden, "only the provider's staff issue certificates")
	}
	if e.Status != Completed {
		return Certificate{}, false, &problem.Error{Code: problem.Conflict, Message: "a certificate is issued for a completed course only",
			Fields: map[string]string{"status": "the enrolment is not completed"}}
	}
	c, err := s.store.GetCourse(ctx, e.CourseID)
	if err != nil {
		return Certificate{}, false, err
	}
	now := s.now()
	cert := Certificate{ID: uuid.Must(uuid.NewV7()).String(), Code: NewCode(), EnrolmentID: e.ID, CourseID: c.ID, OrgID: c.OrgID, Party: e.Party,
		HolderName: e.StudentName, CourseTitle: c.Title, CompletedAt: e.CompletedAt, IssuedAt: now, IssuedBy: p.UserID}
	return s.store.IssueCertificate(ctx, cert, s.record(p, "education.certificate.issue", "education_certificate", cert.ID, c.OrgID, cert.Code))
}

// Verification is what anyone learns from a certificate's code.
type Verification struct {
	Code        string `json:"code"`
	HolderName  string `json:"holder_name"`
	CourseTitle string `json:"course_title"`
	Provider    string `json:"provider_org"`
	// ProviderName is the provider's registered name.
	ProviderName string    `json:"provider_name"`
	CompletedAt  time.Time `json:"completed_at"`
	IssuedAt     time.Time `json:"issued_at"`
}

// Verify answers a certificate by its code, for anyone (an employer, a
// university): holder, course, provider and dates, nothing else.
func (s *Service) Verify(ctx context.Context, code string) (Verification, error) {
	code = NormalCode(code)
	unknown := &problem.Error{Code: problem.NotFound, Message: "no such certificate", Fields: map[string]string{"code": "no such certificate"}}
	if code == "" {
		return Verification{}, unknown
	}
	c, err := s.store.CertificateByCode(ctx, code)
	if problem.Is(err, problem.NotFound) {
		return Verification{}, unknown
	}
	if err != nil {
		return Verification{}, err
	}
	v := Verification{Code: c.Code, HolderName: c.HolderName, CourseTitle: c.CourseTitle, Provider: c.OrgID, CompletedAt: c.CompletedAt, IssuedAt: c.IssuedAt}
	if s.cfg.Org != nil {
		if o, err := s.cfg.Org(ctx, c.OrgID); err == nil {
			v.ProviderName = o.Name
		}
	}
	return v, nil
}

// Certificates lists the caller's certificates (a student's own, or its
// provider's issued ones for staff).
func (s *Service) Certificates(ctx context.Context, p *identity.Principal) ([]Certificate, error) {
	switch {
	case IsStudent(p):
		return s.store.ListCertificates(ctx, booking.Party(p), "", 500)
	case IsProviderStaff(p):
		return s.store.ListCertificates(ctx, "", p.OrgID, 500)
	}
	return nil, problem.New(problem.Forbidden, "students and providers see certificates")
}

// Apply files a student's exchange application from a home institution to
// a host institution (both education providers on the platform), for a
// term and optionally one of their joint programmes.
func (s *Service) Apply(ctx context.Context, p *identity.Principal, in ExchangeInput) (Exchange, error) {
	if !IsStudent(p) {
		return Exchange{}, problem.New(problem.Forbidden, "residents apply for exchanges")
	}
	now := s.now()
	f := problem.Fields{}
	in.check(f, now.In(s.loc))
	if in.HomeOrg != "" {
		s.institution(ctx, in.HomeOrg, "home_org", f)
	}
	if in.HostOrg != "" && in.HostOrg != in.HomeOrg {
		s.institution(ctx, in.HostOrg, "host_org", f)
	}
	if in.ProgrammeID != "" {
		pr, err := s.store.GetProgramme(ctx, in.ProgrammeID)
		if _, perr := uuid.Parse(in.ProgrammeID); perr != nil || err != nil || pr.OrgID != in.HomeOrg && pr.OrgID != in.HostOrg {
			f.Add("programme_id", "no such programme")
		}
	}
	if err := f.Err("the application is not valid"); err != nil {
		return Exchange{}, err
	}
	x := Exchange{ID: uuid.Must(uuid.NewV7()).String(), StudentOrg: p.OrgID, StudentUser: p.UserID, Party: booking.Party(p), StudentName: s.name(ctx, p),
		HomeOrg: in.HomeOrg, HostOrg: in.HostOrg, ProgrammeID: in.ProgrammeID, Term: in.Term, Statement: in.Statement, Status: Submitted, CreatedAt: now, UpdatedAt: now}
	if err := s.store.CreateExchange(ctx, x, s.record(p, "education.exchange.apply", "education_exchange", x.ID, x.HomeOrg, x.Term)); err != nil {
		return Exchange{}, err
	}
	return x, nil
}

// loadExchange finds an application the caller may see: the student's
// own, or one naming the caller's institution as home or host (for its
// staff). Anyone else is told it does not exist.
func (s *Service) loadExchange(ctx context.Context, p *identity.Principal, id string) (Exchange, error) {
	if _, err := uuid.Parse(id); err != nil || p == nil {
		return Exchange{}, notFound()
	}
	x, err := s.store.GetExchange(ctx, id)
	if problem.Is(err, problem.NotFound) {
		return Exchange{}, notFound()
	}
	if err != nil {
		return Exchange{}, err
	}
	mine := IsStudent(p) && x.Party == booking.Party(p)
	staff := IsProviderStaff(p) && (p.OrgID == x.HomeOrg || p.OrgID == x.HostOrg)
	if !mine && !staff {
		return Exchange{}, notFound()
	}
	return x, nil
}

// Exchange returns an application the caller may see.
func (s *Service) Exchange(ctx context.Context, p *identity.Principal, id string) (Exchange, error) {
	return s.loadExchange(ctx, p, id)
}

// Exchanges lists the caller's applications: a student's own, or those
// naming the caller's institution, for its staff.
func (s *Service) Exchanges(ctx context.Context, p *identity.Principal) ([]Exchange, error) {
	switch {
	case IsStudent(p):
		return s.store.ListExchanges(ctx, ExchangeQuery{Party: booking.Party(p), Limit: 500})
	case IsProviderStaff(p):
		return s.store.ListExchanges(ctx, ExchangeQuery{Institution: p.OrgID, Limit: 500})
	}
	return nil, problem.New(problem.Forbidden, "students and education providers see exchange applications")
}

// Decide records one institution's decision on its own step: the home
// institution's staff decide a submitted application, then the host's
// staff decide one the home approved. Neither may take the other's step.
func (s *Service) Decide(ctx context.Context, p *identity.Principal, id string, in DecisionInput) (Exchange, error) {
	x, err := s.loadExchange(ctx, p, id)
	if err != nil {
		return Exchange{}, err
	}
	if !IsProviderStaff(p) {
		return Exchange{}, problem.New(problem.Forbidden, "only the institutions' staff decide")
	}
	in.Reason = strings.TrimSpace(in.Reason)
	f := problem.Fields{}
	in.Reason = checkText(f, "reason", in.Reason, 500, false)
	var from, to ExchangeStatus
	switch strings.TrimSpace(in.Step) {
	case StepHome:
		if p.OrgID != x.HomeOrg {
			return Exchange{}, problem.New(problem.Forbidden, "only the home institution decides the home step")
		}
		from, to = Submitted, HomeApproved
	case StepHost:
		if p.OrgID != x.HostOrg {
			return Exchange{}, problem.New(problem.Forbidden, "only the host institution decides the host step")
		}
		from, to = HomeApproved, Accepted
	default:
		f.Add("step", "must be one of home, host")
	}
	if err := f.Err("the decision is not valid"); err != nil {
		return Exchange{}, err
	}
	m := ExchangeMove{ID: x.ID, From: from, To: to, Step: in.Step, Reason: in.Reason, At: s.now()}
	action := "education.exchange." + in.Step + "_approve"
	if !in.Approve {
		m.To, m.RejectedBy, action = Rejected, in.Step, "education.exchange."+in.Step+"_reject"
	}
	return s.store.MoveExchange(ctx, m, s.record(p, action, "education_exchange", x.ID, p.OrgID, ""))
}

// WithdrawExchange withdraws the student's own application before its
// end.
func (s *Service) WithdrawExchange(ctx context.Context, p *identity.Principal, id string) (Exchange, error) {
	x, err := s.loadExchange(ctx, p, id)
	if err != nil {
		return Exchange{}, err
	}
	if !IsStudent(p) || x.Party != booking.Party(p) {
		return Exchange{}, problem.New(problem.Forbidden, "only the student withdraws an application")
	}
	from := x.Status
	if from != Submitted && from != HomeApproved {
		return Exchange{}, &problem.Error{Code: problem.Conflict, Message: "the application is " + string(from), Fields: map[string]string{"status": string(from)}}
	}
	return s.store.MoveExchange(ctx, ExchangeMove{ID: x.ID, From: from, To: ExWithdrawn, At: s.now()},
		s.record(p, "education.exchange.withdraw", "education_exchange", x.ID, x.HomeOrg, ""))
}

// Institutions lists the education providers on the platform: an
// exchange's possible home and host institutions.
func (s *Service) Institutions(ctx context.Context, p *identity.Principal) ([]identity.Org, error) {
	if p == nil {
		return nil, problem.New(problem.Unauthenticated, "sign in")
	}
	if s.cfg.Orgs == nil {
		return nil, nil
	}
	orgs, err := s.cfg.Orgs(ctx)
	var out []identity.Org
	for _, o := range orgs {
		if o.Kind == identity.KindSchool {
			out = append(out, o)
		}
	}
	return out, err
}
