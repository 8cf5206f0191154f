package sqlstore

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"bricstown/internal/audit"
	"bricstown/internal/booking"
	"bricstown/internal/clinic"
	"bricstown/internal/identity"
	"bricstown/internal/problem"

	"github.com/google/uuid"
)

// clinicWorld is a clinic with its administrator and two doctors, a second
// clinic, residents as patients and one user of every other kind, on the
// booking world's ledger and clock.
type clinicWorld struct {
	*bookingWorld
	svc                                 *clinic.Service
	admin, docA, docB, admin2           *identity.Principal
	pat1, pat2, platform, customs, bank *identity.Principal
	trader, token                       *identity.Principal
	users                               map[string]identity.User
}

func newClinicWorld(t testing.TB, db *DB) *clinicWorld {
	ctx := context.Background()
	w := &clinicWorld{bookingWorld: newBookingWorld(t, db), users: map[string]identity.User{}}
	for id, k := range map[string]identity.OrgKind{"c-clinic": identity.KindClinic, "c-clinic2": identity.KindClinic,
		"c-customs": identity.KindCustomsAuthority, "c-town": identity.KindTownAdministration} {
		o := identity.Org{ID: id, Name: id, Kind: k, Country: "KZ", RegScheme: "REG", RegID: id, CreatedAt: w.now}
		if err := db.CreateOrg(ctx, o, audit.Record{ActorUser: "test", Action: "org.create"}); err != nil {
			t.Fatal(err)
		}
	}
	pr := func(user, org string, kind identity.OrgKind, r ...identity.Role) *identity.Principal {
		w.users[user] = identity.User{ID: user, OrgID: org, Name: "Dr " + user, Roles: r}
		return &identity.Principal{UserID: user, OrgID: org, OrgKind: kind, Roles: r, Via: "session"}
	}
	w.admin = pr("u-cadmin", "c-clinic", identity.KindClinic, identity.OrgAdmin)
	w.docA = pr("u-docA", "c-clinic", identity.KindClinic, identity.Clinician)
	w.docB = pr("u-docB", "c-clinic", identity.KindClinic, identity.Clinician)
	w.admin2 = pr("u-cadmin2", "c-clinic2", identity.KindClinic, identity.OrgAdmin, identity.Clinician)
	w.pat1 = pr("u-pat1", "b-residents", identity.KindResidents, identity.Resident)
	w.pat2 = pr("u-pat2", "b-residents", identity.KindResidents, identity.Resident)
	w.platform = pr("u-platform", "c-town", identity.KindTownAdministration, identity.PlatformAdmin, identity.OrgAdmin)
	w.customs = pr("u-customs", "c-customs", identity.KindCustomsAuthority, identity.CustomsOfficer, identity.OrgAdmin)
	w.bank = pr("u-bank", "b-centre", identity.KindBank, identity.BankOperator, identity.OrgAdmin)
	w.trader = pr("u-trader", "b-acme", identity.KindCompany, identity.Trader)
	w.token = &identity.Principal{UserID: "u-pat1", OrgID: "b-acme", OrgKind: identity.KindCompany, Roles: []identity.Role{identity.Trader}, Via: "token"}
	w.svc = clinic.NewService(db, clinic.Config{Booking: w.bookingWorld.svc, Now: w.clock, User: func(_ context.Context, id string) (identity.User, error) {
		if u, ok := w.users[id]; ok {
			return u, nil
		}
		return identity.User{}, problem.New(problem.NotFound, "no such user")
	}})
	return w
}

func weekdays(from, to string) []booking.Hours {
	var h []booking.Hours
	for d := 1; d <= 5; d++ {
		h = append(h, booking.Hours{Day: d, From: from, To: to})
	}
	return h
}

func (w *clinicWorld) doctor(t testing.TB, p *identity.Principal, user string) clinic.Doctor {
	t.Helper()
	d, err := w.svc.AddDoctor(context.Background(), p, clinic.DoctorInput{UserID: user, Specialty: "cardiology", Telemedicine: true, InPerson: true,
		Hours: weekdays("09:00", "17:00"), SlotMinutes: 30, HorizonDays: 30})
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestClinicDoctorRefusals(t *testing.T) {
	engines(t, func(t *testing.T, db *DB) {
		w := newClinicWorld(t, db)
		ctx := context.Background()
		in := clinic.DoctorInput{UserID: "u-docA", Specialty: "cardiology", Telemedicine: true, Hours: weekdays("09:00", "17:00")}
		// Only a clinic's administrators list doctors: not its doctors, not
		// another kind's administrators, not the platform's.
		for _, p := range []*identity.Principal{w.docA, w.customs, w.platform, w.bank, w.trader, w.pat1, w.token, nil} {
			_, err := w.svc.AddDoctor(ctx, p, in)
			mustProblem(t, err, problem.Forbidden, "")
		}
		// Another clinic's clinician, an administrator, an unknown user.
		for _, u := range []string{"u-cadmin2", "u-cadmin", "nobody"} {
			x := in
			x.UserID = u
			_, err := w.svc.AddDoctor(ctx, w.admin, x)
			mustProblem(t, err, problem.Invalid, "user_id")
		}
		x := in
		x.Specialty = "astrology"
		_, err := w.svc.AddDoctor(ctx, w.admin, x)
		mustProblem(t, err, problem.Invalid, "specialty")
		d := w.doctor(t, w.admin, "u-docA")
		_, err = w.svc.AddDoctor(ctx, w.admin, in)
		mustProblem(t, err, problem.Conflict, "user_id")
		list, err := w.svc.Doctors(ctx, w.pat1, "")
		if err != nil || len(list) != 1 || list[0].ID != d.ID || list[0].Resource.Capacity != 1 || list[0].Resource.Kind != "doctor" {
			t.Fatalf("doctors %+v %v", list, err)
		}
	})
}

func TestClinicRecordsOnlyToPatientDoctorAndAdmins(t *testing.T) {
	engines(t, func(t *testing.T, db *DB) {
		w := newClinicWorld(t, db)
		ctx := context.Background()
		dA := w.doctor(t, w.admin, "u-docA")
		w.doctor(t, w.admin, "u-docB")
		// A doctor offering only in-person care refuses telemedicine.
		c, created, err := w.svc.Book(ctx, w.pat1, clinic.BookInput{DoctorID: dA.ID, Start: slotAt(10), Mode: clinic.Telemedicine, Key: uuid.NewString()})
		if err != nil || !created || c.PatientUser != "u-pat1" || c.DoctorUser != "u-docA" || c.Status != clinic.Booked {
			t.Fatalf("book %+v %v", c, err)
		}
		b, err := w.bookingWorld.svc.Get(ctx, w.pat1, c.ID)
		if err != nil || b.Status != booking.Confirmed {
			t.Fatalf("booking %+v %v", b, err)
		}
		// The second patient cannot take the same slot.
		_, _, err = w.svc.Book(ctx, w.pat2, clinic.BookInput{DoctorID: dA.ID, Start: slotAt(10), Mode: clinic.InPerson, Key: uuid.NewString()})
		mustProblem(t, err, problem.Conflict, "start")
		_, _, err = w.svc.Book(ctx, w.pat2, clinic.BookInput{DoctorID: uuid.NewString(), Start: slotAt(11), Mode: clinic.InPerson, Key: uuid.NewString()})
		mustProblem(t, err, problem.NotFound, "doctor_id")
		_, _, err = w.svc.Book(ctx, w.pat2, clinic.BookInput{DoctorID: dA.ID, Start: slotAt(11), Mode: "by pigeon", Key: uuid.NewString()})
		mustProblem(t, err, problem.Invalid, "mode")

		// Writing the record: only the treating doctor.
		_, err = w.svc.AddNote(ctx, w.pat1, c.ID, clinic.NoteInput{Text: "self-diagnosis"})
		mustProblem(t, err, problem.Forbidden, "")
		_, err = w.svc.AddNote(ctx, w.admin, c.ID, clinic.NoteInput{Text: "x"})
		mustProblem(t, err, problem.Forbidden, "")
		_, err = w.svc.AddNote(ctx, w.docB, c.ID, clinic.NoteInput{Text: "x"})
		mustProblem(t, err, problem.NotFound, "")
		_, err = w.svc.AddNote(ctx, w.docA, c.ID, clinic.NoteInput{Text: "  "})
		mustProblem(t, err, problem.Invalid, "text")
		_, err = w.svc.AddPrescription(ctx, w.docA, c.ID, clinic.PrescriptionInput{Medicine: "Bisoprolol"})
		mustProblem(t, err, problem.Invalid, "dose")
		if _, err := w.svc.AddNote(ctx, w.docA, c.ID, clinic.NoteInput{Text: "BP 150/95, palpitations."}); err != nil {
			t.Fatal(err)
		}
		if _, err := w.svc.AddPrescription(ctx, w.docA, c.ID, clinic.PrescriptionInput{Medicine: "Bisoprolol", Dose: "2.5 mg once a day", Duration: "30 days"}); err != nil {
			t.Fatal(err)
		}
		// Reading it: the patient, the treating doctor, the clinic's admin.
		for _, p := range []*identity.Principal{w.pat1, w.docA, w.admin} {
			r, err := w.svc.RecordOf(ctx, p, c.ID)
			if err != nil || len(r.Notes) != 1 || len(r.Prescriptions) != 1 || r.Prescriptions[0].Dose != "2.5 mg once a day" {
				t.Fatalf("%s: record %+v %v", p.UserID, r, err)
			}
		}
		// Everyone else: as if it did not exist, and not in their lists.
		for _, p := range []*identity.Principal{w.pat2, w.docB, w.admin2, w.platform, w.customs, w.bank, w.trader, w.token, nil} {
			_, err := w.svc.RecordOf(ctx, p, c.ID)
			mustProblem(t, err, problem.NotFound, "")
			_, err = w.svc.RoomOf(ctx, p, c.ID)
			mustProblem(t, err, problem.NotFound, "")
			_, err = w.svc.Cancel(ctx, p, c.ID)
			mustProblem(t, err, problem.NotFound, "")
			if p != nil {
				list, err := w.svc.Consultations(ctx, p, time.Time{}, time.Time{})
				if err != nil || len(list) != 0 {
					t.Fatalf("%s sees %d consultations (%v)", p.UserID, len(list), err)
				}
			}
		}
		_, err = w.svc.RecordOf(ctx, w.pat1, uuid.NewString())
		mustProblem(t, err, problem.NotFound, "")
		for _, p := range []*identity.Principal{w.pat1, w.docA, w.admin} {
			list, err := w.svc.Consultations(ctx, p, time.Time{}, time.Time{})
			if err != nil || len(list) != 1 {
				t.Fatalf("%s sees %d (%v)", p.UserID, len(list), err)
			}
		}
		day, list, err := w.svc.DoctorDay(ctx, w.docA, "2030-01-09")
		if err != nil || day != "2030-01-09" || len(list) != 1 {
			t.Fatalf("day %s %d %v", day, len(list), err)
		}
		if _, list, _ := w.svc.DoctorDay(ctx, w.docB, "2030-01-09"); len(list) != 0 {
			t.Fatal("another doctor's day shows the consultation")
		}

		// The room: closed until ten minutes before, then open to the two.
		_, err = w.svc.RoomOf(ctx, w.pat1, c.ID)
		mustProblem(t, err, problem.Conflict, "room")
		_, err = w.svc.Signal(ctx, w.docA, c.ID, clinic.SignalInput{Kind: "hello", Data: "{}"})
		mustProblem(t, err, problem.Conflict, "room")
		w.advance(c.Start.Add(-5 * time.Minute).Sub(w.clock()))
		_, err = w.svc.RoomOf(ctx, w.admin, c.ID)
		mustProblem(t, err, problem.Forbidden, "")
		if rm, err := w.svc.RoomOf(ctx, w.pat1, c.ID); err != nil || rm.Me != "patient" || rm.Peer != "u-docA" {
			t.Fatalf("room %+v %v", rm, err)
		}
		if rm, err := w.svc.RoomOf(ctx, w.docA, c.ID); err != nil || rm.Me != "doctor" {
			t.Fatalf("room %+v %v", rm, err)
		}
		_, err = w.svc.Signal(ctx, w.pat1, c.ID, clinic.SignalInput{Kind: "shout", Data: "{}"})
		mustProblem(t, err, problem.Invalid, "kind")
		wake, stop := w.svc.Watch(c.ID)
		defer stop()
		if _, err := w.svc.Signal(ctx, w.pat1, c.ID, clinic.SignalInput{Kind: "hello", Data: `{"sid":"p"}`}); err != nil {
			t.Fatal(err)
		}
		select {
		case <-wake:
		default:
			t.Fatal("no wake-up for the room's stream")
		}
		if _, err := w.svc.Signal(ctx, w.docA, c.ID, clinic.SignalInput{Kind: "offer", Data: `{"sdp":"v=0"}`}); err != nil {
			t.Fatal(err)
		}
		got, err := w.svc.Signals(ctx, w.docA, c.ID, 0)
		if err != nil || len(got) != 1 || got[0].Kind != "hello" || got[0].Seq != 1 {
			t.Fatalf("doctor's signals %+v %v", got, err)
		}
		got, err = w.svc.Signals(ctx, w.pat1, c.ID, 1)
		if err != nil || len(got) != 1 || got[0].Kind != "offer" || got[0].Seq != 2 {
			t.Fatalf("patient's signals %+v %v", got, err)
		}
		// A room keeps a bounded number of signals (here 3): the one
		// over is refused and not kept.
		capped := clinic.NewService(db, clinic.Config{Booking: w.bookingWorld.svc, Now: w.clock, MaxSignalsPerRoom: 3,
			User: func(_ context.Context, id string) (identity.User, error) { return w.users[id], nil }})
		if _, err := capped.Signal(ctx, w.pat1, c.ID, clinic.SignalInput{Kind: "answer", Data: `{"sdp":"v=0"}`}); err != nil {
			t.Fatal(err)
		}
		_, err = capped.Signal(ctx, w.pat1, c.ID, clinic.SignalInput{Kind: "candidate", Data: `{}`})
		mustProblem(t, err, problem.TooLarge, "room")
		if got, err := w.svc.Signals(ctx, w.docA, c.ID, 1); err != nil || len(got) != 1 || got[0].Seq != 3 {
			t.Fatalf("after the limit: %+v %v", got, err)
		}
		_, err = w.svc.Signals(ctx, w.admin, c.ID, 0)
		mustProblem(t, err, problem.Forbidden, "")
		// Signals are kept while the room is open and swept once it has
		// closed.
		if n, err := w.svc.SweepSignals(ctx); err != nil || n != 0 {
			t.Fatalf("sweep while the room is open: %d %v, want 0", n, err)
		}
		w.advance(c.End.Sub(w.clock()))
		_, err = w.svc.Signals(ctx, w.pat1, c.ID, 0)
		mustProblem(t, err, problem.Conflict, "room")
		if n, err := w.svc.SweepSignals(ctx); err != nil || n != 3 {
			t.Fatalf("sweep after the room closed: %d %v, want 3", n, err)
		}
		var left int
		if err := db.SQL.QueryRowContext(ctx, `SELECT COUNT(*) FROM clinic_signals WHERE consultation_id = $1`, c.ID).Scan(&left); err != nil || left != 0 {
			t.Fatalf("%d signals left after the sweep (%v)", left, err)
		}

		// No medical content in the audit log.
		entries, err := db.ListAudit(ctx, audit.Filter{Limit: 1000})
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range entries {
			if s := fmt.Sprintf("%+v", e); containsAny(s, "Bisoprolol", "palpitations", "150/95") {
				t.Fatalf("medical content in the audit log: %s", s)
			}
		}
		// The patient cancels; the record stays readable, the room closed.
		if c, err := w.svc.Cancel(ctx, w.pat1, c.ID); err != nil || c.Status != clinic.Cancelled {
			t.Fatalf("cancel %+v %v", c, err)
		}
		if _, err := w.svc.RecordOf(ctx, w.docA, c.ID); err != nil {
			t.Fatal(err)
		}
	})
}

func containsAny(s string, subs ...string) bool {
	for _, x := range subs {
		if strings.Contains(s, x) {
			return true
		}
	}
	return false
}

// TestClinicNeverDoubleBooked fires 200 concurrent bookings by 200
// patients at one doctor's slot: exactly one gets it.
func TestClinicNeverDoubleBooked(t *testing.T) {
	engines(t, func(t *testing.T, db *DB) {
		w := newClinicWorld(t, db)
		ctx := context.Background()
		d := w.doctor(t, w.admin, "u-docA")
		const attempts = 200
		var wg sync.WaitGroup
		var won, full atomic.Int32
		start := make(chan struct{})
		for i := range attempts {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				p := &identity.Principal{UserID: fmt.Sprintf("u-p%03d", i), OrgID: "b-residents", OrgKind: identity.KindResidents, Roles: []identity.Role{identity.Resident}}
				_, _, err := w.svc.Book(ctx, p, clinic.BookInput{DoctorID: d.ID, Start: slotAt(14), Mode: clinic.Telemedicine, Key: uuid.NewString()})
				switch {
				case err == nil:
					won.Add(1)
				case problem.Is(err, problem.Conflict):
					full.Add(1)
				default:
					t.Error(err)
				}
			}()
		}
		close(start)
		wg.Wait()
		if won.Load() != 1 || full.Load() != attempts-1 {
			t.Fatalf("%d won, %d refused", won.Load(), full.Load())
		}
		list, err := w.svc.Consultations(ctx, w.admin, time.Time{}, time.Time{})
		if err != nil || len(list) != 1 {
			t.Fatalf("consultations %d %v", len(list), err)
		}
	})
}

func TestClinicPackages(t *testing.T) {
	engines(t, func(t *testing.T, db *DB) {
		w := newClinicWorld(t, db)
		ctx := context.Background()
		in := clinic.PackageInput{Name: "Hot springs day", Kind: "hot_springs", Capacity: 2, Hours: weekdays("09:00", "17:00"), SlotMinutes: 240}
		_, err := w.svc.AddPackage(ctx, w.docA, in)
		mustProblem(t, err, problem.Forbidden, "")
		bad := in
		bad.Kind = "spa_party"
		_, err = w.svc.AddPackage(ctx, w.admin, bad)
		mustProblem(t, err, problem.Invalid, "kind")
		pk, err := w.svc.AddPackage(ctx, w.admin, in)
		if err != nil {
			t.Fatal(err)
		}
		for i, p := range []*identity.Principal{w.pat1, w.pat2} {
			if b, err := w.svc.BookPackage(ctx, p, clinic.PackageBookInput{PackageID: pk.ID, Start: slotAt(9), Key: uuid.NewString()}); err != nil || b.Status != booking.Confirmed {
				t.Fatalf("%d: %+v %v", i, b, err)
			}
		}
		_, err = w.svc.BookPackage(ctx, w.trader, clinic.PackageBookInput{PackageID: pk.ID, Start: slotAt(9), Key: uuid.NewString()})
		mustProblem(t, err, problem.Conflict, "start")
		_, err = w.svc.BookPackage(ctx, w.trader, clinic.PackageBookInput{PackageID: uuid.NewString(), Start: slotAt(9), Key: uuid.NewString()})
		mustProblem(t, err, problem.NotFound, "package_id")
	})
}
