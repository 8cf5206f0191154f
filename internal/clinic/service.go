package clinic

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"bricstown/internal/audit"
	"bricstown/internal/booking"
	"bricstown/internal/identity"
	"bricstown/internal/problem"

	"github.com/google/uuid"
)

// Config wires the service to the rest of the platform.
type Config struct {
	Log *slog.Logger
	// Booking is the engine every doctor's and package's calendar lives in.
	Booking *booking.Service
	// User looks a user up by id (identity.Service.UserByID): a doctor must
	// be a clinician of the clinic that lists them.
	User func(ctx context.Context, id string) (identity.User, error)
	Now  func() time.Time
	// MaxSignalsPerRoom (0: clinic.MaxSignalsPerRoom) bounds a room's
	// signals.
	MaxSignalsPerRoom int
}

// Service applies the clinic's rules. It reaches bookings only through
// booking.Service, so the engine's guarantees (never double-booked, paid
// through the ledger, idempotent) hold for consultations too.
type Service struct {
	store Store
	cfg   Config
	rooms rooms
}

// NewService returns a service on store.
func NewService(store Store, cfg Config) *Service {
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.MaxSignalsPerRoom <= 0 {
		cfg.MaxSignalsPerRoom = MaxSignalsPerRoom
	}
	if cfg.Booking != nil {
		// Doctors' calendars and packages are the clinic's: the generic
		// booking API neither lists nor books them.
		cfg.Booking = cfg.Booking.For("clinic")
	}
	return &Service{store: store, cfg: cfg, rooms: rooms{subs: map[string]map[chan struct{}]struct{}{}}}
}

func (s *Service) now() time.Time { return s.cfg.Now().UTC().Truncate(time.Microsecond) }

func notFound() error { return problem.New(problem.NotFound, "no such consultation") }

func record(p *identity.Principal, action, subject, id, org, detail string) audit.Record {
	u, o := p.Actor()
	return audit.Record{ActorUser: u, ActorOrg: o, Action: action, SubjectType: subject, SubjectID: id, OrgID: org, Detail: detail}
}

// isAdmin: a clinic's administrators are its org_admin users.
func isAdmin(p *identity.Principal, clinicOrg string) bool {
	return p != nil && p.OrgID == clinicOrg && p.Has(identity.OrgAdmin) && p.OrgKind == identity.KindClinic
}

// Relation is how p stands to a consultation.
func Relation(p *identity.Principal, c *Consultation) (patient, doctor, admin bool) {
	if p == nil {
		return
	}
	patient = p.UserID == c.PatientUser && p.OrgID == c.PatientOrg
	doctor = p.UserID == c.DoctorUser && p.OrgID == c.ClinicOrg && p.Has(identity.Clinician)
	admin = isAdmin(p, c.ClinicOrg)
	return
}

// DoctorInput is what a clinic's administrator fills in to list a doctor.
type DoctorInput struct {
	UserID       string          `json:"user_id"`
	Specialty    string          `json:"specialty"`
	Telemedicine bool            `json:"telemedicine"`
	InPerson     bool            `json:"in_person"`
	Hours        []booking.Hours `json:"hours"`
	SlotMinutes  int             `json:"slot_minutes"`
	MinNoticeMin int             `json:"min_notice_minutes"`
	HorizonDays  int             `json:"horizon_days"`
	RefundHours  int             `json:"refund_hours"`
	PriceKZT     int64           `json:"price_kzt"`
	AccountID    string          `json:"account_id"`
}

// AddDoctor lists one of the clinic's clinicians as a doctor with weekly
// hours: a booking resource of capacity 1 open to residents.
func (s *Service) AddDoctor(ctx context.Context, p *identity.Principal, in DoctorInput) (Doctor, error) {
	if p == nil || p.OrgKind != identity.KindClinic || !p.Has(identity.OrgAdmin) {
		return Doctor{}, problem.New(problem.Forbidden, "only a clinic's administrators list its doctors")
	}
	f := problem.Fields{}
	var u identity.User
	var err error
	if s.cfg.User != nil {
		u, err = s.cfg.User(ctx, strings.TrimSpace(in.UserID))
	}
	if s.cfg.User == nil || err != nil || u.OrgID != p.OrgID || u.Disabled || !slices.Contains(u.Roles, identity.Clinician) {
		f.Add("user_id", "must be a clinician of your clinic")
	}
	if !slices.Contains(Specialties, in.Specialty) {
		f.Add("specialty", "must be one of "+strings.Join(Specialties, ", "))
	}
	if !in.Telemedicine && !in.InPerson {
		f.Add("telemedicine", "offer telemedicine, in-person care or both")
	}
	if err := f.Err("the doctor is not valid"); err != nil {
		return Doctor{}, err
	}
	name := u.Name
	if name == "" {
		name = u.Email
	}
	r, err := s.cfg.Booking.CreateResource(ctx, p, booking.ResourceInput{Name: name, Kind: "doctor", Capacity: 1, TimeZone: booking.DefaultTimeZone,
		Hours: in.Hours, SlotMinutes: in.SlotMinutes, MinNoticeMin: in.MinNoticeMin, HorizonDays: in.HorizonDays, HoldMinutes: 15,
		RefundHours: in.RefundHours, PriceKZT: in.PriceKZT, AccountID: in.AccountID, Public: true})
	if err != nil {
		return Doctor{}, err
	}
	d := Doctor{ID: r.ID, ClinicOrg: p.OrgID, UserID: u.ID, Name: name, Specialty: in.Specialty, Telemedicine: in.Telemedicine, InPerson: in.InPerson, CreatedAt: s.now()}
	if err := s.store.CreateDoctor(ctx, d, record(p, "clinic.doctor.add", "clinic_doctor", d.ID, d.ClinicOrg, d.Name)); err != nil {
		return Doctor{}, err
	}
	return d, nil
}

// DoctorView is a doctor with the calendar's terms.
type DoctorView struct {
	Doctor
	Resource booking.Resource `json:"resource"`
}

// Doctors lists the doctors of every clinic (clinicOrg empty) or of one,
// with their calendars' terms, for whoever may book them.
func (s *Service) Doctors(ctx context.Context, p *identity.Principal, clinicOrg string) ([]DoctorView, error) {
	list, err := s.store.ListDoctors(ctx, clinicOrg)
	if err != nil {
		return nil, err
	}
	out := make([]DoctorView, 0, len(list))
	for _, d := range list {
		r, err := s.cfg.Booking.Resource(ctx, p, d.ID)
		if problem.Is(err, problem.NotFound) {
			continue // not bookable by this caller
		}
		if err != nil {
			return nil, err
		}
		out = append(out, DoctorView{Doctor: d, Resource: r})
	}
	return out, nil
}

// DoctorOf returns one doctor the caller may book.
func (s *Service) DoctorOf(ctx context.Context, p *identity.Principal, id string) (DoctorView, error) {
	if _, err := uuid.Parse(id); err != nil {
		return DoctorView{}, problem.New(problem.NotFound, "no such doctor")
	}
	d, err := s.store.GetDoctor(ctx, id)
	if err != nil {
		return DoctorView{}, err
	}
	r, err := s.cfg.Booking.Resource(ctx, p, d.ID)
	if err != nil {
		return DoctorView{}, problem.New(problem.NotFound, "no such doctor")
	}
	return DoctorView{Doctor: d, Resource: r}, nil
}

// Availability is a doctor's or a package's free slots from the engine.
func (s *Service) Availability(ctx context.Context, p *identity.Principal, id, from string, days int) ([]booking.DaySlots, error) {
	return s.cfg.Booking.Availability(ctx, p, id, from, days)
}

// PackageInput is a wellness package as the clinic's administrator
// describes it.
type PackageInput struct {
	Name        string          `json:"name"`
	Kind        string          `json:"kind"`
	Description string          `json:"description"`
	Capacity    int             `json:"capacity"`
	Hours       []booking.Hours `json:"hours"`
	SlotMinutes int             `json:"slot_minutes"`
	HorizonDays int             `json:"horizon_days"`
	RefundHours int             `json:"refund_hours"`
	PriceKZT    int64           `json:"price_kzt"`
	AccountID   string          `json:"account_id"`
}

// AddPackage offers a wellness package: a booking resource with its
// places per session.
func (s *Service) AddPackage(ctx context.Context, p *identity.Principal, in PackageInput) (PackageView, error) {
	if p == nil || p.OrgKind != identity.KindClinic || !p.Has(identity.OrgAdmin) {
		return PackageView{}, problem.New(problem.Forbidden, "only a clinic's administrators offer its packages")
	}
	f := problem.Fields{}
	if !slices.Contains(PackageKinds, in.Kind) {
		f.Add("kind", "must be hot_springs or traditional_medicine")
	}
	desc := text(f, "description", in.Description, 2000, false, true)
	if err := f.Err("the package is not valid"); err != nil {
		return PackageView{}, err
	}
	r, err := s.cfg.Booking.CreateResource(ctx, p, booking.ResourceInput{Name: in.Name, Kind: "venue", Capacity: in.Capacity, TimeZone: booking.DefaultTimeZone,
		Hours: in.Hours, SlotMinutes: in.SlotMinutes, HorizonDays: in.HorizonDays, HoldMinutes: 15, RefundHours: in.RefundHours,
		PriceKZT: in.PriceKZT, AccountID: in.AccountID, Public: true})
	if err != nil {
		return PackageView{}, err
	}
	pk := Package{ID: r.ID, ClinicOrg: p.OrgID, Kind: in.Kind, Description: desc, CreatedAt: s.now()}
	if err := s.store.CreatePackage(ctx, pk, record(p, "clinic.package.add", "clinic_package", pk.ID, pk.ClinicOrg, r.Name)); err != nil {
		return PackageView{}, err
	}
	return PackageView{Package: pk, Resource: r}, nil
}

// PackageView is a package with its calendar's terms.
type PackageView struct {
	Package
	Resource booking.Resource `json:"resource"`
}

// Packages lists the wellness packages the caller may book.
func (s *Service) Packages(ctx context.Context, p *identity.Principal, clinicOrg string) ([]PackageView, error) {
	list, err := s.store.ListPackages(ctx, clinicOrg)
	if err != nil {
		return nil, err
	}
	out := make([]PackageView, 0, len(list))
	for _, pk := range list {
		r, err := s.cfg.Booking.Resource(ctx, p, pk.ID)
		if problem.Is(err, problem.NotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		out = append(out, PackageView{Package: pk, Resource: r})
	}
	return out, nil
}

// BookInput books a consultation.
type BookInput struct {
	DoctorID string `json:"doctor_id"`
	Start    string `json:"start"`
	Mode     string `json:"mode"`
	Key      string `json:"key"`
	PayFrom  string `json:"pay_from"`
}

// Book takes a doctor's slot for the caller as patient: the engine holds
// the place (never twice), the consultation is recorded, then the booking
// is confirmed (and paid, when the doctor charges). A retry with the same
// key answers the same consultation.
func (s *Service) Book(ctx context.Context, p *identity.Principal, in BookInput) (Consultation, bool, error) {
	if p == nil {
		return Consultation{}, false, problem.New(problem.Unauthenticated, "sign in")
	}
	f := problem.Fields{}
	if in.Mode != Telemedicine && in.Mode != InPerson {
		f.Add("mode", "must be telemedicine or in_person")
	}
	var d Doctor
	var err error
	if _, perr := uuid.Parse(strings.TrimSpace(in.DoctorID)); perr != nil {
		err = problem.New(problem.NotFound, "no such doctor")
	} else {
		d, err = s.store.GetDoctor(ctx, strings.TrimSpace(in.DoctorID))
	}
	switch {
	case problem.Is(err, problem.NotFound):
		f.Add("doctor_id", "no such doctor")
	case err != nil:
		return Consultation{}, false, err
	case in.Mode == Telemedicine && !d.Telemedicine, in.Mode == InPerson && !d.InPerson:
		f.Add("mode", "the doctor does not offer this")
	}
	if err := f.Err("the consultation is not valid"); err != nil {
		if pe, ok := err.(*problem.Error); ok && pe.Fields["doctor_id"] != "" {
			pe.Code = problem.NotFound
		}
		return Consultation{}, false, err
	}
	if p.UserID == d.UserID {
		return Consultation{}, false, problem.New(problem.Forbidden, "a doctor does not book their own consultation")
	}
	b, created, err := s.cfg.Booking.Book(ctx, p, booking.BookInput{ResourceID: d.ID, Start: in.Start, Key: in.Key, PayFrom: in.PayFrom})
	if err != nil {
		if pe, ok := err.(*problem.Error); ok && pe.Fields["resource_id"] != "" {
			return Consultation{}, false, &problem.Error{Code: problem.NotFound, Message: "no such doctor", Fields: map[string]string{"doctor_id": "no such doctor"}}
		}
		return Consultation{}, false, err
	}
	now := s.now()
	c := Consultation{ID: b.ID, ClinicOrg: d.ClinicOrg, DoctorID: d.ID, DoctorUser: d.UserID, PatientOrg: p.OrgID, PatientUser: p.UserID,
		Mode: in.Mode, Start: b.Start, End: b.End, Status: Booked, CreatedAt: now, UpdatedAt: now}
	c, err = s.store.CreateConsultation(ctx, c, record(p, "clinic.consultation.book", "clinic_consultation", c.ID, c.ClinicOrg, b.Start.Format(time.RFC3339)))
	if err != nil {
		if created {
			s.release(ctx, p, b.ID)
		}
		return Consultation{}, false, err
	}
	if c.PatientUser != p.UserID {
		return Consultation{}, false, &problem.Error{Code: problem.IdempotencyReuse, Message: "this key was used for another booking",
			Fields: map[string]string{"key": "already used for another booking"}}
	}
	if b.Status == booking.Held || b.Status == booking.Confirming {
		if _, err := s.cfg.Booking.Confirm(ctx, p, b.ID); err != nil {
			s.release(ctx, p, b.ID)
			return Consultation{}, false, err
		}
	}
	return c, created, nil
}

// release gives a half-made consultation's place back.
func (s *Service) release(ctx context.Context, p *identity.Principal, id string) {
	ctx = context.WithoutCancel(ctx)
	if _, err := s.cfg.Booking.Cancel(ctx, p, id); err != nil {
		s.cfg.Log.Warn("consultation booking left to expire", "booking", id, "err", err)
	}
	if _, err := s.store.CancelConsultation(ctx, id, s.now(), record(p, "clinic.consultation.cancel", "clinic_consultation", id, "", "")); err != nil && !problem.Is(err, problem.NotFound) {
		s.cfg.Log.Warn("consultation not cancelled", "consultation", id, "err", err)
	}
}

// PackageBookInput books a place in a wellness package's session.
type PackageBookInput struct {
	PackageID string `json:"package_id"`
	Start     string `json:"start"`
	Key       string `json:"key"`
	PayFrom   string `json:"pay_from"`
}

// BookPackage holds and confirms a place in a package's session through
// the engine; it is an ordinary booking (no medical record).
func (s *Service) BookPackage(ctx context.Context, p *identity.Principal, in PackageBookInput) (booking.Booking, error) {
	if _, err := uuid.Parse(strings.TrimSpace(in.PackageID)); err != nil {
		return booking.Booking{}, &problem.Error{Code: problem.NotFound, Message: "no such package", Fields: map[string]string{"package_id": "no such package"}}
	}
	if _, err := s.store.GetPackage(ctx, strings.TrimSpace(in.PackageID)); err != nil {
		if problem.Is(err, problem.NotFound) {
			return booking.Booking{}, &problem.Error{Code: problem.NotFound, Message: "no such package", Fields: map[string]string{"package_id": "no such package"}}
		}
		return booking.Booking{}, err
	}
	b, _, err := s.cfg.Booking.Book(ctx, p, booking.BookInput{ResourceID: strings.TrimSpace(in.PackageID), Start: in.Start, Key: in.Key, PayFrom: in.PayFrom})
	if err != nil {
		return booking.Booking{}, err
	}
	if b.Status == booking.Held || b.Status == booking.Confirming {
		return s.cfg.Booking.Confirm(ctx, p, b.ID)
	}
	return b, nil
}

// load finds a consultation the caller may see: its patient, its treating
// doctor or its clinic's administrators. Everyone else is told it does not
// exist.
func (s *Service) load(ctx context.Context, p *identity.Principal, id string) (Consultation, error) {
	if _, err := uuid.Parse(id); err != nil || p == nil {
		return Consultation{}, notFound()
	}
	c, err := s.store.GetConsultation(ctx, id)
	if problem.Is(err, problem.NotFound) {
		return Consultation{}, notFound()
	}
	if err != nil {
		return Consultation{}, err
	}
	if pa, do, ad := Relation(p, &c); !pa && !do && !ad {
		return Consultation{}, notFound()
	}
	return c, nil
}

// Record is a consultation with its medical record.
type Record struct {
	Consultation  Consultation   `json:"consultation"`
	Notes         []Note         `json:"notes"`
	Prescriptions []Prescription `json:"prescriptions"`
}

// RecordOf returns a consultation's record to its patient, its treating
// doctor and its clinic's administrators.
func (s *Service) RecordOf(ctx context.Context, p *identity.Principal, id string) (Record, error) {
	c, err := s.load(ctx, p, id)
	if err != nil {
		return Record{}, err
	}
	notes, err := s.store.Notes(ctx, c.ID)
	if err != nil {
		return Record{}, err
	}
	rx, err := s.store.Prescriptions(ctx, c.ID)
	if err != nil {
		return Record{}, err
	}
	if notes == nil {
		notes = []Note{}
	}
	if rx == nil {
		rx = []Prescription{}
	}
	return Record{Consultation: c, Notes: notes, Prescriptions: rx}, nil
}

// Consultations lists every consultation the caller may see whose start
// lies in [from, to) (zero: a year back to a year ahead): as patient, as
// treating doctor and, for a clinic's administrators, the clinic's.
func (s *Service) Consultations(ctx context.Context, p *identity.Principal, from, to time.Time) ([]Consultation, error) {
	if p == nil {
		return nil, problem.New(problem.Unauthenticated, "sign in")
	}
	now := s.now()
	if from.IsZero() {
		from = now.AddDate(-1, 0, 0)
	}
	if to.IsZero() {
		to = now.AddDate(1, 0, 0)
	}
	qs := []ConsultationQuery{{PatientUser: p.UserID, PatientOrg: p.OrgID}}
	if p.Has(identity.Clinician) {
		qs = append(qs, ConsultationQuery{DoctorUser: p.UserID, ClinicOrg: p.OrgID})
	}
	if isAdmin(p, p.OrgID) {
		qs = append(qs, ConsultationQuery{ClinicOrg: p.OrgID})
	}
	seen := map[string]bool{}
	var out []Consultation
	for _, q := range qs {
		q.From, q.To, q.Limit = from, to, 1000
		list, err := s.store.ListConsultations(ctx, q)
		if err != nil {
			return nil, err
		}
		for _, c := range list {
			if !seen[c.ID] {
				seen[c.ID] = true
				out = append(out, c)
			}
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Start.Before(out[j].Start) })
	return out, nil
}

// Mine lists the caller's own consultations as patient.
func (s *Service) Mine(ctx context.Context, p *identity.Principal) ([]Consultation, error) {
	if p == nil {
		return nil, problem.New(problem.Unauthenticated, "sign in")
	}
	now := s.now()
	return s.store.ListConsultations(ctx, ConsultationQuery{PatientUser: p.UserID, PatientOrg: p.OrgID, From: now.AddDate(-1, 0, 0), To: now.AddDate(1, 0, 0), Limit: 1000})
}

// DoctorDay lists the caller's consultations as treating doctor on one
// local day (YYYY-MM-DD in the town's zone; empty: today).
func (s *Service) DoctorDay(ctx context.Context, p *identity.Principal, date string) (string, []Consultation, error) {
	if p == nil || !p.Has(identity.Clinician) {
		return "", nil, problem.New(problem.Forbidden, "only doctors have a day")
	}
	loc, _ := booking.Location(booking.DefaultTimeZone)
	day := s.now().In(loc)
	day = time.Date(day.Year(), day.Month(), day.Day(), 0, 0, 0, 0, loc)
	if date = strings.TrimSpace(date); date != "" {
		d, err := time.ParseInLocation(time.DateOnly, date, loc)
		if err != nil {
			return "", nil, &problem.Error{Code: problem.Invalid, Message: "the day is not valid", Fields: map[string]string{"date": "must be a date (YYYY-MM-DD)"}}
		}
		day = d
	}
	list, err := s.store.ListConsultations(ctx, ConsultationQuery{DoctorUser: p.UserID, ClinicOrg: p.OrgID, From: day.UTC(), To: day.AddDate(0, 0, 1).UTC(), Limit: 1000})
	return day.Format(time.DateOnly), list, err
}

// Cancel cancels a booked consultation: its patient or its clinic's
// administrators; the engine refunds by the doctor's policy.
func (s *Service) Cancel(ctx context.Context, p *identity.Principal, id string) (Consultation, error) {
	c, err := s.load(ctx, p, id)
	if err != nil {
		return Consultation{}, err
	}
	pa, _, ad := Relation(p, &c)
	if !pa && !ad {
		return Consultation{}, problem.New(problem.Forbidden, "only the patient or the clinic's administrators cancel")
	}
	if c.Status != Booked {
		return Consultation{}, &problem.Error{Code: problem.Conflict, Message: "the consultation is already cancelled", Fields: map[string]string{"status": "cancelled"}}
	}
	if _, err := s.cfg.Booking.Cancel(ctx, p, c.ID); err != nil && !problem.Is(err, problem.Conflict) {
		return Consultation{}, err
	}
	return s.store.CancelConsultation(ctx, c.ID, s.now(), record(p, "clinic.consultation.cancel", "clinic_consultation", c.ID, c.ClinicOrg, ""))
}

// treating loads a consultation for its treating doctor only.
func (s *Service) treating(ctx context.Context, p *identity.Principal, id string) (Consultation, error) {
	c, err := s.load(ctx, p, id)
	if err != nil {
		return Consultation{}, err
	}
	if _, do, _ := Relation(p, &c); !do {
		return Consultation{}, problem.New(problem.Forbidden, "only the treating doctor writes the record")
	}
	if c.Status != Booked {
		return Consultation{}, &problem.Error{Code: problem.Conflict, Message: "the consultation was cancelled", Fields: map[string]string{"status": "cancelled"}}
	}
	return c, nil
}

// NoteInput is a clinical note.
type NoteInput struct {
	Text string `json:"text"`
}

// AddNote records the treating doctor's note. The audit entry names the
// note, never its text.
func (s *Service) AddNote(ctx context.Context, p *identity.Principal, id string, in NoteInput) (Note, error) {
	c, err := s.treating(ctx, p, id)
	if err != nil {
		return Note{}, err
	}
	f := problem.Fields{}
	body := text(f, "text", in.Text, MaxNote, true, true)
	if err := f.Err("the note is not valid"); err != nil {
		return Note{}, err
	}
	n := Note{ID: uuid.Must(uuid.NewV7()).String(), ConsultationID: c.ID, AuthorUser: p.UserID, Text: body, CreatedAt: s.now()}
	if err := s.store.AddNote(ctx, n, record(p, "clinic.note.add", "clinic_consultation", c.ID, c.ClinicOrg, "")); err != nil {
		return Note{}, err
	}
	return n, nil
}

// PrescriptionInput is one medicine prescribed.
type PrescriptionInput struct {
	Medicine string `json:"medicine"`
	Dose     string `json:"dose"`
	Duration string `json:"duration"`
}

// AddPrescription records a prescription of the treating doctor.
func (s *Service) AddPrescription(ctx context.Context, p *identity.Principal, id string, in PrescriptionInput) (Prescription, error) {
	c, err := s.treating(ctx, p, id)
	if err != nil {
		return Prescription{}, err
	}
	f := problem.Fields{}
	rx := Prescription{ID: uuid.Must(uuid.NewV7()).String(), ConsultationID: c.ID, AuthorUser: p.UserID,
		Medicine: text(f, "medicine", in.Medicine, MaxField, true, false), Dose: text(f, "dose", in.Dose, MaxField, true, false),
		Duration: text(f, "duration", in.Duration, MaxField, true, false), CreatedAt: s.now()}
	if err := f.Err("the prescription is not valid"); err != nil {
		return Prescription{}, err
	}
	if err := s.store.AddPrescription(ctx, rx, record(p, "clinic.prescription.add", "clinic_consultation", c.ID, c.ClinicOrg, "")); err != nil {
		return Prescription{}, err
	}
	return rx, nil
}

// Room is a consultation room as one of its two participants sees it.
type Room struct {
	Consultation Consultation `json:"consultation"`
	// Me is "patient" or "doctor".
	Me string `json:"me"`
	// Peer is the other participant's user id.
	Peer     string    `json:"peer"`
	OpensAt  time.Time `json:"opens_at"`
	ClosesAt time.Time `json:"closes_at"`
}

// RoomOf lets the patient or the treating doctor into the room while it
// is open: someone who may only read the record (the clinic's
// administrators) is forbidden, anyone else is told there is no such
// consultation, and outside the window the answer is 409 with field
// "room" = "not yet open" or "closed".
func (s *Service) RoomOf(ctx context.Context, p *identity.Principal, id string) (Room, error) {
	c, err := s.load(ctx, p, id)
	if err != nil {
		return Room{}, err
	}
	pa, do, _ := Relation(p, &c)
	if !pa && !do {
		return Room{}, problem.New(problem.Forbidden, "only the patient and the treating doctor enter the room")
	}
	rm := Room{Consultation: c, OpensAt: c.Start.Add(-RoomOpensBefore), ClosesAt: c.End}
	if do {
		rm.Me, rm.Peer = "doctor", c.PatientUser
	} else {
		rm.Me, rm.Peer = "patient", c.DoctorUser
	}
	if st := c.RoomState(s.now()); st != "" {
		return rm, &problem.Error{Code: problem.Conflict, Message: "the consultation room is " + st, Fields: map[string]string{"room": st}}
	}
	return rm, nil
}

// SignalInput is one signalling message a participant sends the other.
type SignalInput struct {
	Kind string `json:"kind"`
	Data string `json:"data"`
}

// Signal relays a WebRTC signalling message to the other participant.
func (s *Service) Signal(ctx context.Context, p *identity.Principal, id string, in SignalInput) (Signal, error) {
	rm, err := s.RoomOf(ctx, p, id)
	if err != nil {
		return Signal{}, err
	}
	f := problem.Fields{}
	if !slices.Contains(SignalKinds, in.Kind) {
		f.Add("kind", "must be hello, offer, answer, candidate or bye")
	}
	if len(in.Data) > MaxSignal {
		f.Add("data", "too long")
	}
	if err := f.Err("the signal is not valid"); err != nil {
		return Signal{}, err
	}
	sg, err := s.store.AddSignal(ctx, Signal{ConsultationID: rm.Consultation.ID, From: p.UserID, Kind: in.Kind, Data: in.Data, CreatedAt: s.now()},
		s.cfg.MaxSignalsPerRoom)
	if err != nil {
		return Signal{}, err
	}
	s.rooms.wake(rm.Consultation.ID)
	return sg, nil
}

// Signals lists the messages the other participant sent after seq, while
// the room is open.
func (s *Service) Signals(ctx context.Context, p *identity.Principal, id string, after int64) ([]Signal, error) {
	rm, err := s.RoomOf(ctx, p, id)
	if err != nil {
		return nil, err
	}
	return s.store.Signals(ctx, rm.Consultation.ID, after, p.UserID, MaxSignalsOut)
}

// SweepSignals deletes the signals of rooms that have closed. Nobody can
// read them any more (Signals answers only while the room is open), and
// they hold what the two browsers exchanged to connect, the participants'
// network addresses among it, which a closed consultation has no reason
// to keep; serve runs it hourly.
func (s *Service) SweepSignals(ctx context.Context) (int64, error) {
	n, err := s.store.DeleteClosedRoomSignals(ctx, s.now())
	if err != nil {
		return 0, fmt.Errorf("clinic: sweep signals: %w", err)
	}
	return n, nil
}

// Watch wakes the caller when a signal of the room arrives in this
// process; streams also re-read at each heartbeat, which carries signals
// sent through another server process.
func (s *Service) Watch(id string) (<-chan struct{}, func()) { return s.rooms.watch(id) }

// rooms wakes the streams of a room in this process.
type rooms struct {
	mu   sync.Mutex
	subs map[string]map[chan struct{}]struct{}
}

func (r *rooms) watch(id string) (<-chan struct{}, func()) {
	ch := make(chan struct{}, 1)
	r.mu.Lock()
	if r.subs[id] == nil {
		r.subs[id] = map[chan struct{}]struct{}{}
	}
	r.subs[id][ch] = struct{}{}
	r.mu.Unlock()
	return ch, func() {
		r.mu.Lock()
		delete(r.subs[id], ch)
		if len(r.subs[id]) == 0 {
			delete(r.subs, id)
		}
		r.mu.Unlock()
	}
}

func (r *rooms) wake(id string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for ch := range r.subs[id] {
		select {
		case ch <- struct{}{}:
		default:
		}
	}
}
