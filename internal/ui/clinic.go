package ui

import (
	"context"
	"net/http"
	"net/url"
	"time"

	"bricstown/internal/booking"
	"bricstown/internal/clinic"
	"bricstown/internal/identity"
	"bricstown/internal/problem"

	"github.com/google/uuid"
)

// The clinic pages (issue 12, medical and wellness zone): clinics with
// their doctors and wellness packages, booking a consultation from the
// engine's availability, the patient's consultations, the doctor's day,
// the medical record and the consultation room (a WebRTC call set up by
// static/room.js through the platform's own signalling API). Every action
// calls the same service method as the API.

type clinicDoctorRow struct {
	ID, Name, Specialty, Clinic, Modes, Price string
}

type clinicConsultRow struct {
	ID, When, Doctor, Patient, Clinic, Mode, Status, StatusClass string
	// Room: the room is open now (a link); RoomOpens: when it will open.
	Room, Cancelled bool
	RoomOpens       string
}

type clinicPackageRow struct {
	ID, Name, Kind, Clinic, Description, Price, Capacity string
	Sessions                                             []optionView
	Key                                                  string
}

func (p *Pages) clinicOff(w http.ResponseWriter, r *http.Request) bool {
	if p.Clinic == nil {
		p.Error(w, r, http.StatusServiceUnavailable, problem.New(problem.Unavailable, "the clinics are not available"))
		return true
	}
	return false
}

// userName is a person's name for a page, never an id.
func (p *Pages) userName(ctx context.Context, id string, cache map[string]string) string {
	if n, ok := cache[id]; ok {
		return n
	}
	n := "—"
	if p.Identity != nil {
		if u, err := p.Identity.UserByID(ctx, id); err == nil && u.Name != "" {
			n = u.Name
		}
	}
	cache[id] = n
	return n
}

func (p *Pages) doctorRow(v *View, names *identity.OrgNames, d clinic.DoctorView) clinicDoctorRow {
	row := clinicDoctorRow{ID: d.ID, Name: d.Name, Specialty: v.T("clinic.specialty." + d.Specialty), Clinic: names.Name(d.ClinicOrg), Price: v.T("booking.free_of_charge")}
	switch {
	case d.Telemedicine && d.InPerson:
		row.Modes = v.T("clinic.mode.telemedicine") + ", " + v.T("clinic.mode.in_person")
	case d.Telemedicine:
		row.Modes = v.T("clinic.mode.telemedicine")
	default:
		row.Modes = v.T("clinic.mode.in_person")
	}
	if d.Resource.PriceKZT > 0 {
		row.Price = kzt(v.Lang, d.Resource.PriceKZT) + " KZT"
	}
	return row
}

func (p *Pages) consultRows(ctx context.Context, v *View, list []clinic.Consultation) []clinicConsultRow {
	names := map[string]string{}
	orgs := p.Identity.OrgNames(ctx, shortID)
	out := make([]clinicConsultRow, 0, len(list))
	now := time.Now()
	for _, c := range list {
		tele := c.Mode == clinic.Telemedicine && c.Status == clinic.Booked
		opens := ""
		if tele && c.RoomState(now) == "not yet open" {
			opens = localTime(c.Start.Add(-clinic.RoomOpensBefore), booking.DefaultTimeZone)
		}
		out = append(out, clinicConsultRow{RoomOpens: opens, ID: c.ID, When: localTime(c.Start, booking.DefaultTimeZone) + "–" + localTime(c.End, booking.DefaultTimeZone)[11:],
			Doctor: p.userName(ctx, c.DoctorUser, names), Patient: p.userName(ctx, c.PatientUser, names), Clinic: orgs.Name(c.ClinicOrg),
			Mode: v.T("clinic.mode." + c.Mode), Status: v.T("clinic.status." + c.Status), StatusClass: c.Status,
			Room: tele && c.RoomState(now) == "", Cancelled: c.Status == clinic.Cancelled})
	}
	return out
}

// ClinicPage lists the clinics' doctors and wellness packages and the
// user's own consultations.
func (p *Pages) ClinicPage(w http.ResponseWriter, r *http.Request) {
	if p.clinicOff(w, r) {
		return
	}
	v := p.view(w, r, "clinic.title", nil)
	p.renderClinic(w, r, v, http.StatusOK)
}

func (p *Pages) renderClinic(w http.ResponseWriter, r *http.Request, v *View, status int) {
	ctx := r.Context()
	pr := identity.FromContext(ctx)
	names := p.orgNames(r)
	data := map[string]any{}
	if pr.HasAny(identity.Resident, identity.Trader, identity.OrgAdmin) {
		docs, err := p.Clinic.Doctors(ctx, pr, "")
		if err != nil {
			p.Error(w, r, statusOfErr(err), err)
			return
		}
		rows := make([]clinicDoctorRow, 0, len(docs))
		for _, d := range docs {
			rows = append(rows, p.doctorRow(v, names, d))
		}
		data["Doctors"] = rows
		pkgs, err := p.Clinic.Packages(ctx, pr, "")
		if err != nil {
			p.Error(w, r, statusOfErr(err), err)
			return
		}
		var prow []clinicPackageRow
		for _, pk := range pkgs {
			row := clinicPackageRow{ID: pk.ID, Name: pk.Resource.Name, Kind: v.T("clinic.package." + pk.Kind), Clinic: names.Name(pk.ClinicOrg),
				Description: pk.Description, Price: v.T("booking.free_of_charge"), Capacity: v.TN("clinic.places", pk.Resource.Capacity),
				Key: uuid.Must(uuid.NewV7()).String()}
			if pk.Resource.PriceKZT > 0 {
				row.Price = kzt(v.Lang, pk.Resource.PriceKZT) + " KZT"
			}
			days, _ := p.Clinic.Availability(ctx, pr, pk.ID, "", 7)
			for _, d := range days {
				for _, s := range d.Slots {
					if s.Bookable && s.Free > 0 && len(row.Sessions) < 12 {
						row.Sessions = append(row.Sessions, optionView{ID: s.Start.Format(time.RFC3339),
							Text: localTime(s.Start, pk.Resource.TimeZone) + " · " + v.TN("booking.places_free", s.Free)})
					}
				}
			}
			prow = append(prow, row)
		}
		data["Packages"] = prow
		data["CanBook"] = true
	}
	mine, err := p.Clinic.Mine(ctx, pr)
	if err != nil {
		p.Error(w, r, statusOfErr(err), err)
		return
	}
	data["Mine"] = p.consultRows(ctx, v, mine)
	data["Doctor"] = pr.Has(identity.Clinician)
	v.Data = data
	p.render(w, r, status, "clinic", v)
}

// ClinicDoctorPage shows a doctor and the week's free slots to book.
func (p *Pages) ClinicDoctorPage(w http.ResponseWriter, r *http.Request) {
	if p.clinicOff(w, r) {
		return
	}
	v := p.view(w, r, "clinic.book_title", nil)
	p.renderDoctor(w, r, v, http.StatusOK, nil)
}

func (p *Pages) renderDoctor(w http.ResponseWriter, r *http.Request, v *View, status int, formErr error) {
	ctx := r.Context()
	pr := identity.FromContext(ctx)
	d, err := p.Clinic.DoctorOf(ctx, pr, r.PathValue("id"))
	if err != nil {
		p.Error(w, r, statusOfErr(err), err)
		return
	}
	if formErr != nil {
		status = p.formFail(v, formErr, "clinic.field.", nil)
		if pe, ok := formErr.(*problem.Error); ok && pe.Fields["start"] == "full" {
			v.Error = v.T("booking.why.full")
			v.Fields["start"] = v.T("booking.why.full")
		}
	}
	days, err := p.Clinic.Availability(ctx, pr, d.ID, r.URL.Query().Get("from"), 7)
	if err != nil {
		days, _ = p.Clinic.Availability(ctx, pr, d.ID, "", 7)
	}
	var out []bookingDay
	anyOpen := false
	for _, day := range days {
		bd := bookingDay{Date: day.Date}
		for _, s := range day.Slots {
			row := bookingSlotRow{Start: s.Start.Format(time.RFC3339), Label: localTime(s.Start, d.Resource.TimeZone)[11:] + "–" + localTime(s.End, d.Resource.TimeZone)[11:],
				Open: s.Bookable && s.Free > 0}
			anyOpen = anyOpen || row.Open
			bd.Slots = append(bd.Slots, row)
		}
		out = append(out, bd)
	}
	data := map[string]any{"D": p.doctorRow(v, p.orgNames(r), d), "Days": out, "AnyOpen": anyOpen, "Key": uuid.Must(uuid.NewV7()).String(),
		"Tele": d.Telemedicine, "InPerson": d.InPerson, "Paid": d.Resource.PriceKZT > 0}
	if d.Resource.PriceKZT > 0 {
		data["Accounts"] = p.bookingAccounts(r, pr, v.Lang, true)
	}
	v.Data = data
	p.render(w, r, status, "clinicdoctor", v)
}

// ClinicBook books the chosen slot of a doctor.
func (p *Pages) ClinicBook(w http.ResponseWriter, r *http.Request) {
	if p.clinicOff(w, r) {
		return
	}
	v := p.view(w, r, "clinic.book_title", nil)
	in := clinic.BookInput{DoctorID: r.PathValue("id"), Start: r.PostFormValue("start"), Mode: r.PostFormValue("mode"), Key: r.PostFormValue("key"), PayFrom: r.PostFormValue("pay_from")}
	if in.Start == "" {
		p.renderDoctor(w, r, v, 0, &problem.Error{Code: problem.Invalid, Message: "choose a slot", Fields: map[string]string{"start": "required"}})
		return
	}
	if _, _, err := p.Clinic.Book(r.Context(), identity.FromContext(r.Context()), in); err != nil {
		p.renderDoctor(w, r, v, 0, err)
		return
	}
	p.redirectDone(w, r, "/clinic", "done.clinic.booked")
}

// ClinicBookPackage books a place in a wellness package's session.
func (p *Pages) ClinicBookPackage(w http.ResponseWriter, r *http.Request) {
	if p.clinicOff(w, r) {
		return
	}
	in := clinic.PackageBookInput{PackageID: r.PathValue("id"), Start: r.PostFormValue("start"), Key: r.PostFormValue("key"), PayFrom: r.PostFormValue("pay_from")}
	if _, err := p.Clinic.BookPackage(r.Context(), identity.FromContext(r.Context()), in); err != nil {
		v := p.view(w, r, "clinic.title", nil)
		status := p.formFail(v, err, "clinic.field.", nil)
		p.renderClinic(w, r, v, status)
		return
	}
	p.redirectDone(w, r, "/booking", "done.clinic.package_booked")
}

// ClinicDayPage is a doctor's consultations of one day.
func (p *Pages) ClinicDayPage(w http.ResponseWriter, r *http.Request) {
	if p.clinicOff(w, r) {
		return
	}
	ctx := r.Context()
	pr := identity.FromContext(ctx)
	v := p.view(w, r, "clinic.day_title", nil)
	day, list, err := p.Clinic.DoctorDay(ctx, pr, r.URL.Query().Get("date"))
	if problem.Is(err, problem.Invalid) {
		day, list, err = p.Clinic.DoctorDay(ctx, pr, "")
	}
	if err != nil {
		p.Error(w, r, statusOfErr(err), err)
		return
	}
	d, _ := time.Parse(time.DateOnly, day)
	link := func(t time.Time) string {
		return "/clinic/day?" + url.Values{"date": {t.Format(time.DateOnly)}}.Encode()
	}
	v.Data = map[string]any{"Date": day, "Rows": p.consultRows(ctx, v, list), "Prev": link(d.AddDate(0, 0, -1)), "Next": link(d.AddDate(0, 0, 1))}
	p.render(w, r, http.StatusOK, "clinicday", v)
}

// ClinicRecordsPage lists the consultations whose records the user may
// read.
func (p *Pages) ClinicRecordsPage(w http.ResponseWriter, r *http.Request) {
	if p.clinicOff(w, r) {
		return
	}
	ctx := r.Context()
	v := p.view(w, r, "clinic.records_title", nil)
	list, err := p.Clinic.Consultations(ctx, identity.FromContext(ctx), time.Time{}, time.Time{})
	if err != nil {
		p.Error(w, r, statusOfErr(err), err)
		return
	}
	v.Data = map[string]any{"Rows": p.consultRows(ctx, v, list)}
	p.render(w, r, http.StatusOK, "clinicrecords", v)
}

// ClinicRecordPage is one consultation's record: notes, prescriptions,
// the doctor's forms, the room link and cancellation.
func (p *Pages) ClinicRecordPage(w http.ResponseWriter, r *http.Request) {
	if p.clinicOff(w, r) {
		return
	}
	v := p.view(w, r, "clinic.record_title", nil)
	p.renderRecord(w, r, v, http.StatusOK)
}

func (p *Pages) renderRecord(w http.ResponseWriter, r *http.Request, v *View, status int) {
	ctx := r.Context()
	pr := identity.FromContext(ctx)
	rec, err := p.Clinic.RecordOf(ctx, pr, r.PathValue("id"))
	if err != nil {
		p.Error(w, r, statusOfErr(err), err)
		return
	}
	c := rec.Consultation
	patient, doctor, admin := clinic.Relation(pr, &c)
	type noteRow struct{ At, Text string }
	type rxRow struct{ At, Medicine, Dose, Duration string }
	var notes []noteRow
	for _, n := range rec.Notes {
		notes = append(notes, noteRow{At: localTime(n.CreatedAt, booking.DefaultTimeZone), Text: n.Text})
	}
	var rx []rxRow
	for _, x := range rec.Prescriptions {
		rx = append(rx, rxRow{At: localTime(x.CreatedAt, booking.DefaultTimeZone), Medicine: x.Medicine, Dose: x.Dose, Duration: x.Duration})
	}
	row := p.consultRows(ctx, v, []clinic.Consultation{c})[0]
	v.Data = map[string]any{"C": row, "Notes": notes, "Rx": rx, "Participant": patient || doctor,
		"Write": doctor && c.Status == clinic.Booked, "Room": (patient || doctor) && row.Room,
		"Cancel": (patient || admin) && c.Status == clinic.Booked && c.Start.After(time.Now())}
	p.render(w, r, status, "clinicrecord", v)
}

// ClinicAddNote records the treating doctor's note.
func (p *Pages) ClinicAddNote(w http.ResponseWriter, r *http.Request) {
	p.clinicWrite(w, r, "done.clinic.note", func(ctx context.Context, pr *identity.Principal, id string) error {
		_, err := p.Clinic.AddNote(ctx, pr, id, clinic.NoteInput{Text: r.PostFormValue("text")})
		return err
	})
}

// ClinicAddPrescription records a prescription.
func (p *Pages) ClinicAddPrescription(w http.ResponseWriter, r *http.Request) {
	p.clinicWrite(w, r, "done.clinic.prescription", func(ctx context.Context, pr *identity.Principal, id string) error {
		_, err := p.Clinic.AddPrescription(ctx, pr, id, clinic.PrescriptionInput{Medicine: r.PostFormValue("medicine"), Dose: r.PostFormValue("dose"), Duration: r.PostFormValue("duration")})
		return err
	})
}

// ClinicCancel cancels a consultation.
func (p *Pages) ClinicCancel(w http.ResponseWriter, r *http.Request) {
	p.clinicWrite(w, r, "done.clinic.cancelled", func(ctx context.Context, pr *identity.Principal, id string) error {
		_, err := p.Clinic.Cancel(ctx, pr, id)
		return err
	})
}

func (p *Pages) clinicWrite(w http.ResponseWriter, r *http.Request, done string, act func(ctx context.Context, pr *identity.Principal, id string) error) {
	if p.clinicOff(w, r) {
		return
	}
	id := r.PathValue("id")
	if err := act(r.Context(), identity.FromContext(r.Context()), id); err != nil {
		if problem.Is(err, problem.NotFound) || problem.Is(err, problem.Forbidden) {
			p.Error(w, r, statusOfErr(err), err)
			return
		}
		v := p.view(w, r, "clinic.record_title", nil)
		status := p.formFail(v, err, "clinic.field.", nil)
		p.renderRecord(w, r, v, status)
		return
	}
	p.redirectDone(w, r, "/clinic/consultations/"+url.PathEscape(id), done)
}

// ClinicRoomPage is the consultation room: the local and remote video and
// the call's status, run by static/room.js. Outside the booked slot it
// says when the room opens (409).
func (p *Pages) ClinicRoomPage(w http.ResponseWriter, r *http.Request) {
	if p.clinicOff(w, r) {
		return
	}
	ctx := r.Context()
	pr := identity.FromContext(ctx)
	v := p.view(w, r, "clinic.room_title", nil)
	rm, err := p.Clinic.RoomOf(ctx, pr, r.PathValue("id"))
	status := http.StatusOK
	closed := ""
	if err != nil {
		if !problem.Is(err, problem.Conflict) {
			p.Error(w, r, statusOfErr(err), err)
			return
		}
		status = http.StatusConflict
		closed = v.T("clinic.room_closed", localTime(rm.OpensAt, booking.DefaultTimeZone), localTime(rm.ClosesAt, booking.DefaultTimeZone)[11:])
		if pe, ok := err.(*problem.Error); ok && pe.Fields["room"] == "not yet open" {
			closed = v.T("clinic.room_not_open", localTime(rm.OpensAt, booking.DefaultTimeZone))
		}
	}
	names := map[string]string{}
	v.Data = map[string]any{"ID": rm.Consultation.ID, "Me": rm.Me, "Peer": p.userName(ctx, rm.Peer, names), "Closed": closed,
		"When": localTime(rm.Consultation.Start, booking.DefaultTimeZone) + "–" + localTime(rm.Consultation.End, booking.DefaultTimeZone)[11:]}
	p.render(w, r, status, "clinicroom", v)
}
