package sqlstore

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"

	"bricstown/internal/audit"
	"bricstown/internal/expo"
	"bricstown/internal/identity"
	"bricstown/internal/problem"
)

// expoWorld is the booking world (an event organiser with a KZT account,
// companies with 1 000 KZT each) with an expo service and one expo of
// two days, one hall and three booths.
type expoWorld struct {
	*bookingWorld
	svc    *expo.Service
	e      expo.Expo
	hall   expo.Hall
	booths []expo.Booth
}

func newExpoWorld(t *testing.T, db *DB) *expoWorld {
	t.Helper()
	ctx := context.Background()
	w := &expoWorld{bookingWorld: newBookingWorld(t, db)}
	w.svc = expo.NewService(db, expo.Config{Ledger: w.led, Now: w.clock})
	var err error
	w.e, err = w.svc.CreateExpo(ctx, w.owner, expo.ExpoInput{Name: "Test Expo", Venue: "Hall", StartsOn: "2030-02-04", EndsOn: "2030-02-05",
		MeetingFrom: "10:00", MeetingTo: "12:00", SlotMinutes: 30, Tables: 2, AccountID: w.ownerAcc.String()})
	if err != nil {
		t.Fatal(err)
	}
	if w.hall, err = w.svc.AddHall(ctx, w.owner, w.e.ID, expo.HallInput{Name: "Hall A", Rows: 2, Cols: 3}); err != nil {
		t.Fatal(err)
	}
	for i, code := range []string{"A1", "A2", "A3"} {
		b, err := w.svc.AddBooth(ctx, w.owner, w.e.ID, expo.BoothInput{HallID: w.hall.ID, Code: code, SizeM2: 9 + 3*i, PriceKZT: 500_00, Row: 1, Col: i + 1})
		if err != nil {
			t.Fatal(err)
		}
		w.booths = append(w.booths, b)
	}
	return w
}

func TestExpoSetupRefusals(t *testing.T) {
	engines(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		w := newExpoWorld(t, db)
		// A company creates no expo; bad figures are all named at once.
		if _, err := w.svc.CreateExpo(ctx, w.acme, expo.ExpoInput{Name: "x", StartsOn: "2030-01-01", EndsOn: "2030-01-01", AccountID: w.acmeAcc.String()}); !problem.Is(err, problem.Forbidden) {
			t.Fatalf("company creates an expo: %v", err)
		}
		_, err := w.svc.CreateExpo(ctx, w.owner, expo.ExpoInput{Name: "", StartsOn: "2030-02-10", EndsOn: "2030-02-01", MeetingFrom: "12:00", MeetingTo: "10:00",
			Tables: -1, AccountID: w.acmeAcc.String()})
		pe, _ := err.(*problem.Error)
		for _, f := range []string{"name", "ends_on", "meeting_hours", "tables", "account_id"} {
			if pe == nil || pe.Fields[f] == "" {
				t.Errorf("field %s not refused: %v", f, err)
			}
		}
		// A booth outside its hall, a code taken, a position taken.
		if _, err := w.svc.AddBooth(ctx, w.owner, w.e.ID, expo.BoothInput{HallID: w.hall.ID, Code: "B1", SizeM2: 9, Row: 3, Col: 1}); !problem.Is(err, problem.Invalid) {
			t.Errorf("booth outside the hall: %v", err)
		}
		if _, err := w.svc.AddBooth(ctx, w.owner, w.e.ID, expo.BoothInput{HallID: w.hall.ID, Code: "a1", SizeM2: 9, Row: 2, Col: 1}); !problem.Is(err, problem.Conflict) {
			t.Errorf("code taken: %v", err)
		}
		if _, err := w.svc.AddBooth(ctx, w.owner, w.e.ID, expo.BoothInput{HallID: w.hall.ID, Code: "B9", SizeM2: 9, Row: 1, Col: 1}); !problem.Is(err, problem.Conflict) {
			t.Errorf("position taken: %v", err)
		}
		// Another organiser's staff of another org cannot add halls.
		stranger := &identity.Principal{UserID: "u-x", OrgID: "b-other", OrgKind: identity.KindEventOrganiser, Roles: []identity.Role{identity.Organiser}}
		if _, err := w.svc.AddHall(ctx, stranger, w.e.ID, expo.HallInput{Name: "Mine", Rows: 1, Cols: 1}); !problem.Is(err, problem.Forbidden) {
			t.Errorf("another organiser adds a hall: %v", err)
		}
		if n := len(w.e.Slots()); n != 8 {
			t.Errorf("slots: %d, want 2 days × 4", n)
		}
	})
}

// TestExpoBoothOnce: twenty approved exhibitors race for one booth; exactly
// one gets it, and the others keep no booth.
func TestExpoBoothOnce(t *testing.T) {
	engines(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		w := newExpoWorld(t, db)
		var apps []expo.Application
		for i := range 20 {
			org := fmt.Sprintf("b-exh-%02d", i)
			if err := db.CreateOrg(ctx, identity.Org{ID: org, Name: org, Kind: identity.KindCompany, Country: "KZ", RegScheme: "REG", RegID: org, CreatedAt: w.now},
				audit.Record{ActorUser: "test", Action: "org.create"}); err != nil {
				t.Fatal(err)
			}
			p := &identity.Principal{UserID: "u-" + org, OrgID: org, OrgKind: identity.KindCompany, Roles: []identity.Role{identity.Trader}}
			a, err := w.svc.Apply(ctx, p, w.e.ID, expo.ApplyInput{SizeM2: 9})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := w.svc.Decide(ctx, w.owner, w.e.ID, a.ID, true); err != nil {
				t.Fatal(err)
			}
			apps = append(apps, a)
		}
		var wg sync.WaitGroup
		var mu sync.Mutex
		won, conflicts := 0, 0
		for _, a := range apps {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, err := w.svc.Allocate(ctx, w.owner, w.e.ID, a.ID, expo.AllocateInput{BoothID: w.booths[0].ID})
				mu.Lock()
				defer mu.Unlock()
				switch {
				case err == nil:
					won++
				case problem.Is(err, problem.Conflict):
					conflicts++
				default:
					t.Errorf("allocate: %v", err)
				}
			}()
		}
		wg.Wait()
		if won != 1 || conflicts != 19 {
			t.Fatalf("won %d, conflicts %d", won, conflicts)
		}
		list, _ := w.svc.Applications(ctx, w.owner, w.e.ID)
		with := 0
		for _, a := range list {
			if a.BoothID != "" {
				with++
			}
		}
		if with != 1 {
			t.Fatalf("%d applications hold a booth", with)
		}
		d, _ := w.svc.Get(ctx, w.owner, w.e.ID)
		if d.Booths[0].Status != expo.BoothAllocated || d.Booths[1].Status != expo.BoothFree {
			t.Fatalf("booth statuses %s %s", d.Booths[0].Status, d.Booths[1].Status)
		}
	})
}

func TestExpoApplicationsAndFees(t *testing.T) {
	engines(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		w := newExpoWorld(t, db)
		a, err := w.svc.Apply(ctx, w.acme, w.e.ID, expo.ApplyInput{SizeM2: 12, Note: "grain"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.svc.Apply(ctx, w.acme, w.e.ID, expo.ApplyInput{}); !problem.Is(err, problem.Conflict) {
			t.Fatalf("second application: %v", err)
		}
		// Nobody but the organiser decides; another company does not even see it.
		if _, err := w.svc.Decide(ctx, w.other, w.e.ID, a.ID, true); !problem.Is(err, problem.NotFound) {
			t.Fatalf("another company approves: %v", err)
		}
		if _, err := w.svc.Decide(ctx, w.acme, w.e.ID, a.ID, true); !problem.Is(err, problem.Forbidden) {
			t.Fatalf("the applicant approves itself: %v", err)
		}
		// Paying before a booth is allocated is refused.
		if _, err := w.svc.PayFee(ctx, w.acme, w.e.ID, a.ID, expo.PayInput{PayFrom: w.acmeAcc.String()}); !problem.Is(err, problem.Conflict) {
			t.Fatalf("pay before allocation: %v", err)
		}
		if _, err := w.svc.Decide(ctx, w.owner, w.e.ID, a.ID, true); err != nil {
			t.Fatal(err)
		}
		if _, err := w.svc.Decide(ctx, w.owner, w.e.ID, a.ID, false); !problem.Is(err, problem.Conflict) {
			t.Fatalf("decided twice: %v", err)
		}
		if _, err := w.svc.Allocate(ctx, w.owner, w.e.ID, a.ID, expo.AllocateInput{BoothID: w.booths[1].ID}); err != nil {
			t.Fatal(err)
		}
		// A second booth for the same application is refused.
		if _, err := w.svc.Allocate(ctx, w.owner, w.e.ID, a.ID, expo.AllocateInput{BoothID: w.booths[2].ID}); !problem.Is(err, problem.Conflict) {
			t.Fatalf("second booth: %v", err)
		}
		// Another company cannot pay acme's fee, nor acme from another's account.
		if _, err := w.svc.PayFee(ctx, w.other, w.e.ID, a.ID, expo.PayInput{PayFrom: w.otherAcc.String()}); !problem.Is(err, problem.NotFound) {
			t.Fatalf("another company pays: %v", err)
		}
		if _, err := w.svc.PayFee(ctx, w.acme, w.e.ID, a.ID, expo.PayInput{PayFrom: w.otherAcc.String()}); !problem.Is(err, problem.Invalid) {
			t.Fatalf("paid from another's account: %v", err)
		}
		before, _ := w.led.AccountByID(ctx, w.acmeAcc)
		var wg sync.WaitGroup
		for range 20 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if _, err := w.svc.PayFee(ctx, w.acme, w.e.ID, a.ID, expo.PayInput{PayFrom: w.acmeAcc.String()}); err != nil {
					t.Errorf("pay: %v", err)
				}
			}()
		}
		wg.Wait()
		after, _ := w.led.AccountByID(ctx, w.acmeAcc)
		if before.Balance()-after.Balance() != 500_00 {
			t.Fatalf("charged %d, want 500.00 once", before.Balance()-after.Balance())
		}
		got, _ := w.svc.Applications(ctx, w.acme, w.e.ID)
		if len(got) != 1 || !got[0].Paid || got[0].FeeTransfer != expo.FeeID(a.ID).String() {
			t.Fatalf("after paying: %+v", got)
		}
		d, _ := w.svc.Get(ctx, w.acme, w.e.ID)
		if d.Booths[1].Status != expo.BoothPaid {
			t.Fatalf("booth status %s", d.Booths[1].Status)
		}
		if rep, err := db.Verify(ctx); err != nil || len(rep.Problems) > 0 {
			t.Fatalf("ledger verify: %v %v", rep.Problems, err)
		}
	})
}

func TestExpoMeetingsAndAgenda(t *testing.T) {
	engines(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		w := newExpoWorld(t, db)
		a, _ := w.svc.Apply(ctx, w.acme, w.e.ID, expo.ApplyInput{})
		if _, err := w.svc.Decide(ctx, w.owner, w.e.ID, a.ID, true); err != nil {
			t.Fatal(err)
		}
		// Not registered yet: no requests.
		if _, err := w.svc.RequestMeeting(ctx, w.other, w.e.ID, expo.RequestInput{ToOrg: "b-acme"}); !problem.Is(err, problem.Conflict) {
			t.Fatalf("unregistered request: %v", err)
		}
		for _, p := range []*identity.Principal{w.other, w.poor} {
			if _, err := w.svc.RegisterBuyer(ctx, p, w.e.ID); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := w.svc.RegisterBuyer(ctx, w.other, w.e.ID); err != nil {
			t.Fatalf("registering again: %v", err)
		}
		r1, err := w.svc.RequestMeeting(ctx, w.other, w.e.ID, expo.RequestInput{ToOrg: "b-acme", Message: "wheat"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.svc.RequestMeeting(ctx, w.acme, w.e.ID, expo.RequestInput{ToOrg: "b-other"}); !problem.Is(err, problem.Conflict) {
			t.Fatalf("the reverse request: %v", err)
		}
		r2, err := w.svc.RequestMeeting(ctx, w.poor, w.e.ID, expo.RequestInput{ToOrg: "b-acme"})
		if err != nil {
			t.Fatal(err)
		}
		if r3, err := w.svc.RequestMeeting(ctx, w.acme, w.e.ID, expo.RequestInput{ToOrg: "b-poor"}); !problem.Is(err, problem.Conflict) || r3.ID != "" {
			t.Fatalf("a second request between two orgs: %v", err)
		}
		// Only the organisation asked answers; a third sees nothing.
		if _, err := w.svc.AnswerRequest(ctx, w.other, w.e.ID, r1.ID, true); !problem.Is(err, problem.Forbidden) {
			t.Fatalf("the sender accepts: %v", err)
		}
		if _, err := w.svc.AnswerRequest(ctx, w.poor, w.e.ID, r1.ID, true); !problem.Is(err, problem.NotFound) {
			t.Fatalf("a third accepts: %v", err)
		}
		if rs, _ := w.svc.Requests(ctx, w.poor, w.e.ID); len(rs) != 1 || rs[0].ID != r2.ID {
			t.Fatalf("poor sees %+v", rs)
		}
		if _, err := w.svc.AnswerRequest(ctx, w.acme, w.e.ID, r1.ID, true); err != nil {
			t.Fatal(err)
		}
		if _, err := w.svc.AnswerRequest(ctx, w.acme, w.e.ID, r2.ID, true); err != nil {
			t.Fatal(err)
		}
		if _, err := w.svc.AnswerRequest(ctx, w.acme, w.e.ID, r2.ID, false); !problem.Is(err, problem.Conflict) {
			t.Fatalf("answered twice: %v", err)
		}
		if _, err := w.svc.Schedule(ctx, w.acme, w.e.ID); !problem.Is(err, problem.Forbidden) {
			t.Fatalf("a company runs the scheduler: %v", err)
		}
		run, err := w.svc.Schedule(ctx, w.owner, w.e.ID)
		if err != nil {
			t.Fatal(err)
		}
		if run.Requests != 2 || run.Placed != 2 || run.Greedy != 2 || run.Slots != 8 {
			t.Fatalf("run %+v", run)
		}
		_, ms, err := w.svc.Agenda(ctx, w.acme, w.e.ID)
		if err != nil || len(ms) != 2 || ms[0].Slot == ms[1].Slot {
			t.Fatalf("acme's agenda %+v %v", ms, err)
		}
		_, ms, _ = w.svc.Agenda(ctx, w.other, w.e.ID)
		if len(ms) != 1 || ms[0].RequestID != r1.ID {
			t.Fatalf("other's agenda %+v", ms)
		}
		cal, err := w.svc.Calendar(ctx, w.other, w.e.ID, func(org string) string { return "Org " + org })
		if err != nil || strings.Count(cal, "BEGIN:VEVENT") != 1 || !strings.Contains(cal, "Org b-acme") {
			t.Fatalf("calendar %q %v", cal, err)
		}
		// Running again replaces the timetable.
		if _, err := w.svc.Schedule(ctx, w.owner, w.e.ID); err != nil {
			t.Fatal(err)
		}
		if last, err := w.svc.LastRun(ctx, w.owner, w.e.ID); err != nil || last.Placed != 2 {
			t.Fatalf("last run %+v %v", last, err)
		}
	})
}
