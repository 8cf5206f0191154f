package demo

import (
	"context"
	"fmt"
	"time"

	"bricstown/internal/audit"
	"bricstown/internal/booking"
	"bricstown/internal/clinic"
	"bricstown/internal/identity"
	"bricstown/internal/ledger"
	"bricstown/internal/problem"
)

// clinicOrg is the demo town's medical centre.
const clinicOrg = "BRICS Town Medical Centre"

// demoPackages are the centre's wellness packages; prices are KZT in tiyn
// per place, of the order of Kazakhstan's sanatoria (Zharkent's hot
// springs lie 160 km from Khorgos).
var demoPackages = []clinic.PackageInput{
	{Name: "Zharkent hot springs day", Kind: "hot_springs", Capacity: 12, SlotMinutes: 240, HorizonDays: 60, RefundHours: 24, PriceKZT: 25_000_00,
		Description: "Transfer from the town, four hours in the thermal pools (mineral water at 40 °C), a doctor's check before and after."},
	{Name: "Traditional medicine: acupuncture and herbal therapy", Kind: "traditional_medicine", Capacity: 4, SlotMinutes: 90, HorizonDays: 60, RefundHours: 24,
		Description: "A session of acupuncture and a herbal prescription by Dr. Zhang Wei, in Chinese, Russian or English."},
}

// userPrincipal signs a demo user in as the system would, by email.
func userPrincipal(ctx context.Context, ids *identity.Service, org identity.Org, email string) (*identity.Principal, error) {
	u, err := ids.UserByEmail(ctx, email)
	if err != nil {
		return nil, fmt.Errorf("demo: %s: %w", email, err)
	}
	return &identity.Principal{UserID: u.ID, OrgID: org.ID, OrgKind: org.Kind, Roles: u.Roles, Via: "session"}, nil
}

// SeedClinic lists the medical centre's two doctors (a cardiologist and a
// traditional medicine specialist) and its wellness packages, has the
// resident book a video consultation with the cardiologist on the next
// working day and see the traditional medicine doctor last week (with
// notes and a prescription), and a company book hot-springs places for
// its staff, paid through the ledger. past is the clinic service on a
// clock a week back, so the past consultation is booked as it happened.
// Idempotent: doctors and packages are found by name, bookings carry
// derived keys, notes are written once.
func SeedClinic(ctx context.Context, ids *identity.Service, led *ledger.Service, cs, past *clinic.Service, now time.Time) error {
	orgs := map[string]identity.Org{}
	list, err := ids.Orgs(ctx, identity.Page{Limit: 1000})
	if err != nil {
		return err
	}
	for _, o := range list {
		orgs[o.Name] = o
	}
	centre, ok := orgs[clinicOrg]
	if !ok {
		return fmt.Errorf("demo: run Seed first")
	}
	spec := Town[0]
	for _, s := range Town {
		if s.Name == clinicOrg {
			spec = s
		}
	}
	admin, err := userPrincipal(ctx, ids, centre, Email(spec, spec.Users[0]))
	if err != nil {
		return err
	}
	acc := ledger.Account{ID: demoID("account", centre.Name, "KZT", "services"), OrgID: centre.ID, Currency: "KZT", Kind: ledger.Liability,
		Code: "services", Name: "Medical and wellness services (KZT)", Flags: ledger.DebitsMustNotExceedCredits, CreatedAt: now}
	if _, err := led.AccountByID(ctx, acc.ID); problem.Is(err, problem.NotFound) {
		if err := led.OpenAccounts(ctx, []ledger.Account{acc}, audit.Record{ActorUser: "system", Action: "ledger.account.create", Detail: "demo town: medical services"}); err != nil {
			return fmt.Errorf("demo: clinic account: %w", err)
		}
	} else if err != nil {
		return err
	}
	days := func(from, to string, ds ...int) []booking.Hours {
		var h []booking.Hours
		for _, d := range ds {
			h = append(h, booking.Hours{Day: d, From: from, To: to})
		}
		return h
	}
	// The doctors, by their users.
	have, err := cs.Doctors(ctx, admin, centre.ID)
	if err != nil {
		return err
	}
	byUser := map[string]clinic.DoctorView{}
	for _, d := range have {
		byUser[d.UserID] = d
	}
	doctors := []struct {
		local string
		in    clinic.DoctorInput
	}{
		{"cardiology", clinic.DoctorInput{Specialty: "cardiology", Telemedicine: true, InPerson: true, Hours: days("09:00", "17:00", 1, 2, 3, 4, 5),
			SlotMinutes: 30, MinNoticeMin: 60, HorizonDays: 60, RefundHours: 24}},
		{"tcm", clinic.DoctorInput{Specialty: "traditional_medicine", Telemedicine: true, InPerson: true, Hours: days("10:00", "18:00", 1, 2, 3, 4, 5, 6),
			SlotMinutes: 60, MinNoticeMin: 60, HorizonDays: 60, RefundHours: 24}},
	}
	doc := map[string]clinic.Doctor{}
	docP := map[string]*identity.Principal{}
	for _, d := range doctors {
		var us UserSpec
		for _, u := range spec.Users {
			if u.Local == d.local {
				us = u
			}
		}
		p, err := userPrincipal(ctx, ids, centre, Email(spec, us))
		if err != nil {
			return err
		}
		docP[d.local] = p
		if v, ok := byUser[p.UserID]; ok {
			doc[d.local] = v.Doctor
			continue
		}
		d.in.UserID = p.UserID
		made, err := cs.AddDoctor(ctx, admin, d.in)
		if err != nil {
			return fmt.Errorf("demo: doctor %s: %w", d.local, err)
		}
		doc[d.local] = made
	}
	pkgs, err := cs.Packages(ctx, admin, centre.ID)
	if err != nil {
		return err
	}
	pkByName := map[string]clinic.PackageView{}
	for _, pk := range pkgs {
		pkByName[pk.Resource.Name] = pk
	}
	for _, in := range demoPackages {
		if _, ok := pkByName[in.Name]; ok {
			continue
		}
		in.Hours = days("09:00", "17:00", 1, 2, 3, 4, 5, 6)
		if in.Kind == "traditional_medicine" {
			in.Hours = days("10:00", "16:00", 1, 2, 3, 4, 5, 6)
		}
		in.AccountID = acc.ID.String()
		pk, err := cs.AddPackage(ctx, admin, in)
		if err != nil {
			return fmt.Errorf("demo: package %s: %w", in.Name, err)
		}
		pkByName[in.Name] = pk
	}
	res, ok := orgs["Town Residents"]
	if !ok {
		return nil
	}
	patient, err := demoPrincipal(ctx, ids, res, identity.Resident)
	if err != nil {
		return err
	}
	almaty, _ := booking.Location(booking.DefaultTimeZone)
	workday := func(from time.Time, d, hour int) time.Time {
		l := from.In(almaty)
		for {
			t := time.Date(l.Year(), l.Month(), l.Day()+d, hour, 0, 0, 0, almaty)
			if t.Weekday() != time.Saturday && t.Weekday() != time.Sunday {
				return t
			}
			d++
		}
	}
	book := func(svc *clinic.Service, d clinic.Doctor, start time.Time, mode string, n int) (clinic.Consultation, error) {
		c, _, err := svc.Book(ctx, patient, clinic.BookInput{DoctorID: d.ID, Start: start.Format(time.RFC3339), Mode: mode, Key: demoID("consultation", d.ID, n, start.Unix()).String()})
		return c, err
	}
	// Next working day, 10:00: a video consultation with the cardiologist.
	if _, err := book(cs, doc["cardiology"], workday(now, 1, 10), clinic.Telemedicine, 1); err != nil && !problem.Is(err, problem.Conflict) && !problem.Is(err, problem.Invalid) {
		return fmt.Errorf("demo: consultation: %w", err)
	}
	// Last week: traditional medicine, with the doctor's record.
	then := now.AddDate(0, 0, -7)
	c, err := book(past, doc["tcm"], workday(then, 1, 11), clinic.InPerson, 2)
	if problem.Is(err, problem.Conflict) || problem.Is(err, problem.Invalid) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("demo: past consultation: %w", err)
	}
	rec, err := past.RecordOf(ctx, docP["tcm"], c.ID)
	if err != nil {
		return err
	}
	if len(rec.Notes) == 0 {
		if _, err := past.AddNote(ctx, docP["tcm"], c.ID, clinic.NoteInput{Text: "Lower back pain for three weeks after long drives, worse in the morning. " +
			"Tongue pale, pulse slow. No red flags. Acupuncture session given (BL23, BL40, GV4); advised daily walks and warmth."}); err != nil {
			return err
		}
		if _, err := past.AddPrescription(ctx, docP["tcm"], c.ID, clinic.PrescriptionInput{Medicine: "Du Huo Ji Sheng Tang (herbal granules)",
			Dose: "6 g twice a day after meals", Duration: "14 days"}); err != nil {
			return err
		}
	}
	// A company sends staff to the hot springs, paid from its KZT account.
	if grain, ok := orgs["Kazakh Grain Export"]; ok {
		p, err := demoPrincipal(ctx, ids, grain, identity.Trader)
		if err != nil {
			return err
		}
		if a, err := led.AccountByCode(ctx, grain.ID, "KZT", "operating"); err == nil {
			pk := pkByName[demoPackages[0].Name]
			start := workday(now, 3, 9)
			for i := range 3 {
				if _, err := cs.BookPackage(ctx, p, clinic.PackageBookInput{PackageID: pk.ID, Start: start.Format(time.RFC3339),
					Key: demoID("package", pk.ID, i, start.Unix()).String(), PayFrom: a.ID.String()}); err != nil && !problem.Is(err, problem.Conflict) && !problem.Is(err, problem.Invalid) {
					return fmt.Errorf("demo: hot springs: %w", err)
				}
			}
		}
	}
	return nil
}
