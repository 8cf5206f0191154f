package sqlstore

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"bricstown/internal/audit"
	"bricstown/internal/booking"
	"bricstown/internal/education"
	"bricstown/internal/identity"
	"bricstown/internal/ledger"
	"bricstown/internal/problem"

	"github.com/google/uuid"
)

// eduWorld is the booking world with the education zone on it: a
// university (the provider, its dean the administrator, a lecturer the
// educator) with a KZT account, a second university (an exchange's host),
// and residents with wallets of 1 000 KZT.
type eduWorld struct {
	*bookingWorld
	es                  *education.Service
	dean, lecturer      *identity.Principal
	hostDean            *identity.Principal
	uniAcc              ledger.ID
	wallets             []ledger.ID // student i's KZT wallet
	students            []*identity.Principal
	orgs                map[string]identity.Org
	partnerA, partnerB  education.Partner
	programme           education.Programme
	acmeAdmin, platform *identity.Principal
}

func (w *eduWorld) student(t testing.TB, i int) *identity.Principal {
	return &identity.Principal{UserID: fmt.Sprintf("stu-%d", i), OrgID: "b-residents", OrgKind: identity.KindResidents, Name: fmt.Sprintf("Student %d", i),
		Roles: []identity.Role{identity.Resident}}
}

func newEduWorld(t testing.TB, db *DB, wallets int) *eduWorld {
	ctx := context.Background()
	w := &eduWorld{bookingWorld: newBookingWorld(t, db), orgs: map[string]identity.Org{}}
	for id, k := range map[string]identity.OrgKind{"b-uni": identity.KindSchool, "b-host": identity.KindSchool} {
		o := identity.Org{ID: id, Name: id, Kind: k, Country: "KZ", RegScheme: "REG", RegID: id, CreatedAt: w.now}
		if err := db.CreateOrg(ctx, o, audit.Record{ActorUser: "test", Action: "org.create"}); err != nil {
			t.Fatal(err)
		}
		w.orgs[id] = o
	}
	w.uniAcc = newID()
	accs := []ledger.Account{{ID: w.uniAcc, OrgID: "b-uni", Currency: "KZT", Kind: ledger.Liability, Code: "fees", Flags: ledger.DebitsMustNotExceedCredits}}
	var funds []ledger.Transfer
	for i := range wallets {
		id := newID()
		w.wallets = append(w.wallets, id)
		accs = append(accs, ledger.Account{ID: id, OrgID: "b-residents", Currency: "KZT", Kind: ledger.Liability, Code: ledger.WalletCode(fmt.Sprintf("stu-%d", i)),
			Flags: ledger.DebitsMustNotExceedCredits})
		funds = append(funds, ledger.Transfer{ID: newID(), DebitAccount: w.issuer, CreditAccount: id, Amount: 1_000_00, Currency: "KZT"})
	}
	if err := db.CreateAccounts(ctx, accs, audit.Record{ActorUser: "test"}); err != nil {
		t.Fatal(err)
	}
	if len(funds) > 0 {
		if _, err := db.CreateTransfers(ctx, funds, ledger.BatchOptions{Now: w.now}); err != nil {
			t.Fatal(err)
		}
	}
	w.es = education.NewService(db, education.Config{Ledger: w.led, Booking: w.svc, Now: w.clock,
		Org: func(ctx context.Context, id string) (identity.Org, error) {
			if o, ok := w.orgs[id]; ok {
				return o, nil
			}
			return identity.Org{}, problem.New(problem.NotFound, "no such organisation")
		},
		Country: func(c string) bool { return c == "KZ" || c == "RU" || c == "CN" }})
	pr := func(user, org string, r ...identity.Role) *identity.Principal {
		return &identity.Principal{UserID: user, OrgID: org, OrgKind: identity.KindSchool, Roles: r}
	}
	w.dean, w.lecturer = pr("u-dean", "b-uni", identity.OrgAdmin, identity.Educator), pr("u-lect", "b-uni", identity.Educator)
	w.hostDean = pr("u-host", "b-host", identity.OrgAdmin, identity.Educator)
	w.acmeAdmin = &identity.Principal{UserID: "u-acme-admin", OrgID: "b-acme", OrgKind: identity.KindCompany, Roles: []identity.Role{identity.OrgAdmin}}
	w.platform = &identity.Principal{UserID: "u-admin", OrgID: "b-centre", OrgKind: identity.KindTownAdministration, Roles: []identity.Role{identity.PlatformAdmin}}
	var err error
	if w.partnerA, err = w.es.AddPartner(ctx, w.dean, education.PartnerInput{Name: "Siberian Technical University", Country: "ru", City: "Novosibirsk"}); err != nil {
		t.Fatal(err)
	}
	if w.partnerB, err = w.es.AddPartner(ctx, w.dean, education.PartnerInput{Name: "Ili Valley University", Country: "CN", City: "Yining", Institution: "b-host"}); err != nil {
		t.Fatal(err)
	}
	if w.programme, err = w.es.AddProgramme(ctx, w.dean, education.ProgrammeInput{Titles: map[string]string{"en": "Master in Eurasian Logistics", "ru": "Магистратура по евразийской логистике"},
		Languages: []string{"ru", "ZH"}, Degree: "master", DurationMonths: 24, Partners: []string{w.partnerA.ID, w.partnerB.ID}}); err != nil {
		t.Fatal(err)
	}
	return w
}

// course is a course of the university starting on Monday 2030-01-14.
func (w *eduWorld) course(t testing.TB, capacity int, fee int64) education.Course {
	t.Helper()
	in := education.CourseInput{Title: "Solar plant maintenance", Industry: "renewable_energy", Language: "ru", StartDate: "2030-01-14", EndDate: "2030-03-08",
		Capacity: capacity, FeeKZT: fee, RefundDays: 3}
	if fee > 0 {
		in.AccountID = w.uniAcc.String()
	}
	c, err := w.es.AddCourse(context.Background(), w.dean, in)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestEducationCatalogueRefusals(t *testing.T) {
	engines(t, func(t *testing.T, db *DB) {
		w := newEduWorld(t, db, 0)
		ctx := context.Background()
		if w.programme.Languages[1] != "zh" || len(w.programme.Partners) != 2 {
			t.Fatalf("programme %+v", w.programme)
		}
		// Only a provider's administrators publish: not its educators,
		// not another kind's administrators, not residents.
		for _, p := range []*identity.Principal{w.lecturer, w.acmeAdmin, w.resident, w.owner, w.platform} {
			_, err := w.es.AddPartner(ctx, p, education.PartnerInput{Name: "X", Country: "KZ", City: "Y"})
			mustProblem(t, err, problem.Forbidden, "")
			_, err = w.es.AddCourse(ctx, p, education.CourseInput{Title: "X"})
			mustProblem(t, err, problem.Forbidden, "")
		}
		// Bad input: every field at once, with its code, nothing written.
		_, err := w.es.AddPartner(ctx, w.dean, education.PartnerInput{Name: "", Country: "XX", City: "A", Institution: "b-acme"})
		for f, code := range map[string]string{"name": "required", "country": "unknown_country", "institution_org": "edu_institution"} {
			mustField(t, err, f, code)
		}
		// Another provider's partner answers like an unknown one.
		other, err := w.es.AddPartner(ctx, w.hostDean, education.PartnerInput{Name: "Volga Institute", Country: "RU", City: "Kazan"})
		if err != nil {
			t.Fatal(err)
		}
		_, err = w.es.AddProgramme(ctx, w.dean, education.ProgrammeInput{Titles: map[string]string{"ru": "Только русский", "fr": "X"},
			Languages: []string{"russian", "ru"}, Degree: "phd", DurationMonths: 0, Partners: []string{other.ID, "nope"}})
		for f, code := range map[string]string{"titles.en": "required", "titles.fr": "fest_language", "languages[0]": "edu_language", "degree": "one_of",
			"duration_months": "whole_from_to", "partner_ids[0]": "edu_no_partner", "partner_ids[1]": "edu_no_partner"} {
			mustField(t, err, f, code)
		}
		_, err = w.es.AddCourse(ctx, w.dean, education.CourseInput{Title: "T", Industry: "alchemy", Language: "xx", StartDate: "2030-01-07",
			EndDate: "2029-12-01", Capacity: 0, FeeKZT: -1, RefundDays: 99})
		for f, code := range map[string]string{"industry": "one_of", "language": "edu_language", "start_date": "slot_in_past", "capacity": "whole_from_to",
			"fee_kzt": "whole_from_to", "refund_days": "whole_from_to"} {
			mustField(t, err, f, code)
		}
		_, err = w.es.AddCourse(ctx, w.dean, education.CourseInput{Title: "T", Industry: "agritech", Language: "kk", StartDate: "2030-02-01",
			EndDate: "2030-01-31", Capacity: 5, FeeKZT: 100, AccountID: w.acmeAcc.String()})
		mustField(t, err, "end_date", "edu_end_before_start")
		mustProblem(t, err, problem.Invalid, "account_id")
		_, err = w.es.AddCourse(ctx, w.dean, education.CourseInput{Title: "T", Industry: "agritech", Language: "kk", StartDate: "14.01.2030", EndDate: "2032-13-01", Capacity: 5})
		mustField(t, err, "start_date", "date_format")
		mustField(t, err, "end_date", "date_format")
		if list, err := w.es.Courses(ctx, w.resident, ""); err != nil || len(list) != 0 {
			t.Fatalf("courses %d %v", len(list), err)
		}
		// The course is a booking resource whose only slot is its first day.
		c := w.course(t, 3, 0)
		r, err := w.svc.Resource(ctx, w.dean, c.ResourceID)
		if err != nil || r.Capacity != 3 || r.Kind != "course" || r.OwnerOrg != "b-uni" {
			t.Fatalf("resource %+v %v", r, err)
		}
		if _, err := r.Bookable(w.es.Start(c), w.clock()); err != nil {
			t.Fatalf("the first day is not bookable: %v", err)
		}
		if _, err := r.Bookable(w.es.Start(c).AddDate(0, 0, 7), w.clock()); err == nil {
			t.Fatal("a week later is bookable")
		}
		got, partners, err := w.es.Programme(ctx, w.resident, w.programme.ID)
		if err != nil || got.Title("ru") != "Магистратура по евразийской логистике" || got.Title("zh") != "Master in Eurasian Logistics" || len(partners) != 2 {
			t.Fatalf("programme %+v %v %v", got, partners, err)
		}
	})
}

// mustField checks that err carries field with the message of code.
func mustField(t *testing.T, err error, field, code string) {
	t.Helper()
	mustProblem(t, err, problem.Invalid, field)
	pe := err.(*problem.Error)
	if got, _, _ := problem.FieldCode(pe.Fields[field]); got != code {
		t.Fatalf("%s: %q is %q, want %q", field, pe.Fields[field], got, code)
	}
}

// TestEducationNeverOversold fires 200 concurrent enrolments of 200
// different students at one course of capacity 5: exactly 5 are
// enrolled, the other 195 are refused with 409 "full" (they may then join
// the waiting list), and the engine holds exactly 5 bookings.
func TestEducationNeverOversold(t *testing.T) {
	engines(t, func(t *testing.T, db *DB) {
		w := newEduWorld(t, db, 0)
		ctx := context.Background()
		const capacity, attempts = 5, 200
		c := w.course(t, capacity, 0)
		var wg sync.WaitGroup
		var enrolled, full atomic.Int32
		start := make(chan struct{})
		for i := range attempts {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				e, _, err := w.es.Enrol(ctx, w.student(t, i), education.EnrolInput{CourseID: c.ID, Key: uuid.NewString()})
				switch {
				case err == nil && e.Status == education.Enrolled:
					enrolled.Add(1)
				case problem.Is(err, problem.Conflict) && err.(*problem.Error).Fields["course_id"] == "full":
					full.Add(1)
				default:
					t.Errorf("%+v %v", e, err)
				}
			}()
		}
		close(start)
		wg.Wait()
		if enrolled.Load() != capacity || full.Load() != attempts-capacity {
			t.Fatalf("%d enrolled, %d refused; want %d and %d", enrolled.Load(), full.Load(), capacity, attempts-capacity)
		}
		_, list, err := w.es.CourseEnrolments(ctx, w.lecturer, c.ID)
		if err != nil || len(list) != capacity {
			t.Fatalf("enrolments %d %v", len(list), err)
		}
		bookings, err := w.svc.For("education").OnResource(ctx, w.dean, c.ResourceID, time.Time{}, time.Time{})
		if err != nil || len(bookings) != capacity {
			t.Fatalf("bookings %d %v", len(bookings), err)
		}
		// The generic booking handle (the booking API) takes no seat of a
		// course: a seat comes with its enrolment or not at all.
		_, _, err = w.svc.Book(ctx, w.student(t, 0), booking.BookInput{ResourceID: c.ResourceID, Start: w.es.Start(c).Format(time.RFC3339), Key: uuid.NewString()})
		if e, ok := err.(*problem.Error); !ok || e.Code != problem.Conflict || e.Fields["resource_id"] != "booked through its own service" {
			t.Fatalf("a course seat through the generic booking handle: %v", err)
		}
		if mine, err := w.svc.Resources(ctx, w.dean, true, "", 100); err != nil || len(mine) != 0 {
			t.Fatalf("the generic list shows the dean %d resources (%v); want none", len(mine), err)
		}
		if got, _ := w.es.Course(ctx, w.resident, c.ID); got.Enrolled != capacity {
			t.Fatalf("enrolled count %d", got.Enrolled)
		}
	})
}

// A paid course: the fee is held and posted through the ledger, a retry is
// the same enrolment, a second enrolment is refused, a withdrawal in time
// is refunded once and offers the seat to the first student waiting, who
// enrols on it; completion and the certificate are the provider's alone.
func TestEducationPaidEnrolmentLife(t *testing.T) {
	engines(t, func(t *testing.T, db *DB) {
		w := newEduWorld(t, db, 3)
		ctx := context.Background()
		c := w.course(t, 1, 400_00)
		s0, s1, s2 := w.student(t, 0), w.student(t, 1), w.student(t, 2)
		in := education.EnrolInput{CourseID: c.ID, Key: uuid.NewString()}
		res, created, err := w.es.Enrol(ctx, s0, in)
		if err != nil || !created || res.Status != education.Enrolled || res.FeeKZT != 400_00 {
			t.Fatalf("enrol %+v %v %v", res, created, err)
		}
		again, created, err := w.es.Enrol(ctx, s0, in)
		if err != nil || created || again.ID != res.ID {
			t.Fatalf("retry %+v %v %v", again, created, err)
		}
		_, _, err = w.es.Enrol(ctx, s0, education.EnrolInput{CourseID: c.ID, Key: uuid.NewString()})
		mustProblem(t, err, problem.Conflict, "course_id")
		if bal, _ := w.balance(t, w.uniAcc); bal != 400_00 {
			t.Fatalf("the university has %d", bal)
		}
		// Not a student's: companies, providers, the platform.
		for _, p := range []*identity.Principal{w.acme, w.dean, w.platform} {
			_, _, err := w.es.Enrol(ctx, p, education.EnrolInput{CourseID: c.ID, Key: uuid.NewString()})
			mustProblem(t, err, problem.Forbidden, "")
		}
		_, _, err = w.es.Enrol(ctx, s1, education.EnrolInput{CourseID: uuid.NewString(), Key: uuid.NewString()})
		mustProblem(t, err, problem.NotFound, "course_id")
		_, _, err = w.es.Enrol(ctx, s1, education.EnrolInput{CourseID: c.ID, Key: "again"})
		mustField(t, err, "key", "booking_key")
		// Full: the next two students are refused and join the waiting
		// list, in order; nobody waits for a course with seats free.
		for _, s := range []*identity.Principal{s1, s2} {
			_, _, err := w.es.Enrol(ctx, s, education.EnrolInput{CourseID: c.ID, Key: uuid.NewString()})
			mustField2(t, err, problem.Conflict, "course_id", "full")
			if _, err := w.es.JoinWait(ctx, s, c.ID); err != nil {
				t.Fatal(err)
			}
		}
		free := w.course(t, 5, 0)
		_, err = w.es.JoinWait(ctx, s1, free.ID)
		mustProblem(t, err, problem.Conflict, "course_id")
		_, err = w.es.JoinWait(ctx, w.acme, free.ID)
		mustProblem(t, err, problem.Forbidden, "")
		// Nobody else sees or moves the enrolment.
		for _, p := range []*identity.Principal{s1, w.hostDean, w.acmeAdmin, w.platform, w.resident} {
			_, err := w.es.Enrolment(ctx, p, res.ID)
			mustProblem(t, err, problem.NotFound, "")
			_, err = w.es.Withdraw(ctx, p, res.ID)
			mustProblem(t, err, problem.NotFound, "")
			_, err = w.es.Complete(ctx, p, res.ID)
			mustProblem(t, err, problem.NotFound, "")
		}
		_, _, err = w.es.CourseEnrolments(ctx, w.hostDean, c.ID)
		mustProblem(t, err, problem.Forbidden, "")
		// The student cannot complete itself; the provider cannot withdraw it.
		_, err = w.es.Complete(ctx, s0, res.ID)
		mustProblem(t, err, problem.Forbidden, "")
		_, err = w.es.Withdraw(ctx, w.lecturer, res.ID)
		mustProblem(t, err, problem.Forbidden, "")
		// Withdrawn three days ahead or more: refunded in full, once.
		var wg sync.WaitGroup
		var ok atomic.Int32
		for range 10 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if _, err := w.es.Withdraw(ctx, s0, res.ID); err == nil {
					ok.Add(1)
				} else if !problem.Is(err, problem.Conflict) {
					t.Error(err)
				}
			}()
		}
		wg.Wait()
		if ok.Load() < 1 {
			t.Fatal("no withdrawal succeeded")
		}
		if bal, _ := w.balance(t, w.uniAcc); bal != 0 {
			t.Fatalf("the university kept %d", bal)
		}
		// The freed seat is offered to the first student waiting only.
		_, waits, err := w.es.MyEnrolments(ctx, s1)
		if err != nil || len(waits) != 1 || waits[0].Status != "offered" {
			t.Fatalf("s1 waits %+v %v", waits, err)
		}
		_, _, err = w.es.Enrol(ctx, s2, education.EnrolInput{CourseID: c.ID, Key: uuid.NewString()})
		mustField2(t, err, problem.Conflict, "course_id", "full")
		r1, _, err := w.es.Enrol(ctx, s1, education.EnrolInput{CourseID: c.ID, Key: uuid.NewString()})
		if err != nil || r1.Status != education.Enrolled {
			t.Fatalf("s1 %+v %v", r1, err)
		}
		// No certificate before completion; then exactly one.
		_, _, err = w.es.IssueCertificate(ctx, w.lecturer, r1.ID)
		mustProblem(t, err, problem.Conflict, "status")
		_, _, err = w.es.IssueCertificate(ctx, w.lecturer, res.ID) // withdrawn
		mustProblem(t, err, problem.Conflict, "status")
		if _, err := w.es.Complete(ctx, w.lecturer, r1.ID); err != nil {
			t.Fatal(err)
		}
		_, _, err = w.es.IssueCertificate(ctx, s1, r1.ID)
		mustProblem(t, err, problem.Forbidden, "")
		_, _, err = w.es.IssueCertificate(ctx, w.hostDean, r1.ID)
		mustProblem(t, err, problem.NotFound, "")
		cert, created, err := w.es.IssueCertificate(ctx, w.lecturer, r1.ID)
		if err != nil || !created || cert.HolderName != "Student 1" {
			t.Fatalf("certificate %+v %v %v", cert, created, err)
		}
		if again, created, err := w.es.IssueCertificate(ctx, w.dean, r1.ID); err != nil || created || again.Code != cert.Code {
			t.Fatalf("second issue %+v %v %v", again, created, err)
		}
		v, err := w.es.Verify(ctx, " "+cert.Code[4:]+" ")
		if err != nil || v.HolderName != "Student 1" || v.CourseTitle != c.Title || v.Provider != "b-uni" || v.CompletedAt.IsZero() {
			t.Fatalf("verify %+v %v", v, err)
		}
		_, err = w.es.Verify(ctx, "EDU-AAAA-AAAA-AAAA-AAAA")
		mustProblem(t, err, problem.NotFound, "code")
		// A completed course is not withdrawn from.
		_, err = w.es.Withdraw(ctx, s1, r1.ID)
		mustProblem(t, err, problem.Conflict, "status")
		if list, _ := w.es.Certificates(ctx, s1); len(list) != 1 {
			t.Fatalf("s1 certificates %d", len(list))
		}
		if list, _ := w.es.Certificates(ctx, s0); len(list) != 0 {
			t.Fatalf("s0 certificates %d", len(list))
		}
		verifyLedger(t, db)
	})
}

// The exchange workflow: each institution acts only on its own step, in
// order; the student withdraws; everyone else is told nothing exists.
func TestEducationExchangeWorkflow(t *testing.T) {
	engines(t, func(t *testing.T, db *DB) {
		w := newEduWorld(t, db, 0)
		ctx := context.Background()
		s := w.student(t, 0)
		in := education.ExchangeInput{HomeOrg: "b-uni", HostOrg: "b-host", ProgrammeID: w.programme.ID, Term: "2030-Autumn", Statement: "Solar logistics"}
		for _, p := range []*identity.Principal{w.dean, w.acme, w.platform} {
			_, err := w.es.Apply(ctx, p, in)
			mustProblem(t, err, problem.Forbidden, "")
		}
		_, err := w.es.Apply(ctx, s, education.ExchangeInput{HomeOrg: "b-uni", HostOrg: "b-uni", ProgrammeID: "x", Term: "2029-summer"})
		for f, code := range map[string]string{"host_org": "edu_same_institution", "term": "edu_term", "programme_id": "edu_no_programme"} {
			mustField(t, err, f, code)
		}
		_, err = w.es.Apply(ctx, s, education.ExchangeInput{HomeOrg: "b-acme", HostOrg: "b-host", Term: "2031-spring"})
		mustField(t, err, "home_org", "edu_institution")
		x, err := w.es.Apply(ctx, s, in)
		if err != nil || x.Status != education.Submitted || x.Term != "2030-autumn" {
			t.Fatalf("apply %+v %v", x, err)
		}
		// Others: not found, by id and in lists.
		outsider := &identity.Principal{UserID: "u-x", OrgID: "b-other-uni", OrgKind: identity.KindSchool, Roles: []identity.Role{identity.OrgAdmin}}
		for _, p := range []*identity.Principal{w.student(t, 1), outsider, w.acmeAdmin, w.platform} {
			_, err := w.es.Exchange(ctx, p, x.ID)
			mustProblem(t, err, problem.NotFound, "")
			_, err = w.es.Decide(ctx, p, x.ID, education.DecisionInput{Step: "home", Approve: true})
			mustProblem(t, err, problem.NotFound, "")
		}
		// The host cannot take the home step, the student no step.
		_, err = w.es.Decide(ctx, w.hostDean, x.ID, education.DecisionInput{Step: "home", Approve: true})
		mustProblem(t, err, problem.Forbidden, "")
		_, err = w.es.Decide(ctx, s, x.ID, education.DecisionInput{Step: "home", Approve: true})
		mustProblem(t, err, problem.Forbidden, "")
		// The host step before the home's: refused by status.
		_, err = w.es.Decide(ctx, w.hostDean, x.ID, education.DecisionInput{Step: "host", Approve: true})
		mustProblem(t, err, problem.Conflict, "status")
		_, err = w.es.Decide(ctx, w.lecturer, x.ID, education.DecisionInput{Step: "later", Approve: true})
		mustField(t, err, "step", "one_of")
		x, err = w.es.Decide(ctx, w.lecturer, x.ID, education.DecisionInput{Step: "home", Approve: true})
		if err != nil || x.Status != education.HomeApproved || x.HomeDecidedAt.IsZero() {
			t.Fatalf("home %+v %v", x, err)
		}
		// The home cannot take the host step, nor decide twice.
		_, err = w.es.Decide(ctx, w.dean, x.ID, education.DecisionInput{Step: "host", Approve: true})
		mustProblem(t, err, problem.Forbidden, "")
		_, err = w.es.Decide(ctx, w.dean, x.ID, education.DecisionInput{Step: "home", Approve: false})
		mustProblem(t, err, problem.Conflict, "status")
		if list, _ := w.es.Exchanges(ctx, w.hostDean); len(list) != 1 {
			t.Fatalf("host sees %d", len(list))
		}
		x, err = w.es.Decide(ctx, w.hostDean, x.ID, education.DecisionInput{Step: "host", Approve: true})
		if err != nil || x.Status != education.Accepted {
			t.Fatalf("host %+v %v", x, err)
		}
		_, err = w.es.WithdrawExchange(ctx, s, x.ID)
		mustProblem(t, err, problem.Conflict, "status")
		// A second application: rejected by the host after the home's
		// approval; a third withdrawn by the student.
		y, _ := w.es.Apply(ctx, s, in)
		if _, err := w.es.Decide(ctx, w.dean, y.ID, education.DecisionInput{Step: "home", Approve: true}); err != nil {
			t.Fatal(err)
		}
		y, err = w.es.Decide(ctx, w.hostDean, y.ID, education.DecisionInput{Step: "host", Reason: "no places this term"})
		if err != nil || y.Status != education.Rejected || y.RejectedBy != "host" {
			t.Fatalf("rejected %+v %v", y, err)
		}
		z, _ := w.es.Apply(ctx, s, in)
		_, err = w.es.WithdrawExchange(ctx, w.dean, z.ID)
		mustProblem(t, err, problem.Forbidden, "")
		if z, err = w.es.WithdrawExchange(ctx, s, z.ID); err != nil || z.Status != education.ExWithdrawn {
			t.Fatalf("withdrawn %+v %v", z, err)
		}
		if list, _ := w.es.Exchanges(ctx, s); len(list) != 3 {
			t.Fatalf("student sees %d", len(list))
		}
		if _, err := w.es.Exchanges(ctx, w.acme); !problem.Is(err, problem.Forbidden) {
			t.Fatalf("a company lists exchanges: %v", err)
		}
	})
}

// mustField2 checks err's code and one field's exact message.
func mustField2(t *testing.T, err error, code problem.Code, field, msg string) {
	t.Helper()
	mustProblem(t, err, code, field)
	if got := err.(*problem.Error).Fields[field]; got != msg {
		t.Fatalf("%s: %q, want %q", field, got, msg)
	}
}

// TestEducationFeeOnlyFromOwnWallet: the attacker's test of the course
// fee. A student naming another student's wallet (same organisation,
// the residents), the university's account or a company's account as
// pay_from is refused, nothing is enrolled and no money moves; paying
// from one's own wallet works. Two checks stand in the way, the
// education zone's and the booking engine's (ownAccount): either alone
// refuses, so the test fails only with both removed (tried).
func TestEducationFeeOnlyFromOwnWallet(t *testing.T) {
	engines(t, func(t *testing.T, db *DB) {
		w := newEduWorld(t, db, 2)
		ctx := context.Background()
		c := w.course(t, 5, 400_00)
		thief := w.student(t, 1)
		for _, from := range []ledger.ID{w.wallets[0], w.uniAcc, w.acmeAcc} {
			_, _, err := w.es.Enrol(ctx, thief, education.EnrolInput{CourseID: c.ID, Key: uuid.NewString(), PayFrom: from.String()})
			var pe *problem.Error
			if !errors.As(err, &pe) || pe.Fields["pay_from"] == "" {
				t.Fatalf("paying from %s: %v, want a pay_from refusal", from, err)
			}
		}
		for _, acc := range []ledger.ID{w.wallets[0], w.wallets[1], w.acmeAcc} {
			if bal, pending := w.balance(t, acc); bal != 1_000_00 || pending != 0 {
				t.Fatalf("account %s: balance %d, pending %d after the refusals", acc, bal, pending)
			}
		}
		if bal, _ := w.balance(t, w.uniAcc); bal != 0 {
			t.Fatalf("the university received %d", bal)
		}
		list, _, err := w.es.MyEnrolments(ctx, thief)
		if err != nil || len(list) != 0 {
			t.Fatalf("enrolments after the refusals: %v %v", list, err)
		}
		res, _, err := w.es.Enrol(ctx, thief, education.EnrolInput{CourseID: c.ID, Key: uuid.NewString(), PayFrom: w.wallets[1].String()})
		if err != nil || res.Status != education.Enrolled {
			t.Fatalf("from the own wallet: %+v %v", res, err)
		}
		if bal, _ := w.balance(t, w.wallets[1]); bal != 600_00 {
			t.Fatalf("own wallet after the fee: %d", bal)
		}
	})
}
