package sqlstore

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"bricstown/internal/booking"
	"bricstown/internal/festival"
	"bricstown/internal/identity"
	"bricstown/internal/ledger"
	"bricstown/internal/problem"

	"github.com/google/uuid"
)

// festWorld is the booking world with the art zone on it: the expo is the
// organiser (its administrator the venue administrator, its organiser the
// door staff).
type festWorld struct {
	*bookingWorld
	fs   *festival.Service
	door *identity.Principal
}

func newFestWorld(t testing.TB, db *DB) *festWorld {
	w := &festWorld{bookingWorld: newBookingWorld(t, db)}
	w.fs = festival.NewService(db, festival.Config{Ledger: w.led, Booking: w.svc, Now: w.clock})
	w.door = &identity.Principal{UserID: "u-door", OrgID: "b-expo", OrgKind: identity.KindEventOrganiser, Roles: []identity.Role{identity.Organiser}}
	return w
}

// concert is a festival of the expo with one performance on Wednesday
// 2030-01-09 19:00–21:30 Almaty: categories "Stalls" (quota stalls, 100
// KZT) and "Balcony" (quota 50, free).
func (w *festWorld) concert(t testing.TB, stalls int) festival.Performance {
	t.Helper()
	ctx := context.Background()
	f, err := w.fs.CreateFestival(ctx, w.owner, festival.FestivalInput{Name: "Astana–Shanghai–São Paulo Music Festival", Kind: "music",
		AccountID: w.ownerAcc.String(), RefundHours: 48})
	if err != nil {
		t.Fatal(err)
	}
	p, err := w.fs.AddPerformance(ctx, w.owner, f.ID, festival.PerformanceInput{
		Titles: map[string]string{"en": "Opening night", "ru": "Вечер открытия", "zh": "开幕之夜", "kk": "Ашылу кеші", "pt": "Noite de abertura"},
		Venue:  "Art Zone Amphitheatre", Start: "2030-01-09T19:00", End: "2030-01-09T21:30",
		Categories: []festival.CategoryInput{{Name: "Stalls", Quota: stalls, PriceKZT: 100_00}, {Name: "Balcony", Quota: 50}}})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestFestivalProgrammeRefusals(t *testing.T) {
	engines(t, func(t *testing.T, db *DB) {
		w := newFestWorld(t, db)
		ctx := context.Background()
		// Only an event organiser's administrator makes festivals.
		for _, p := range []*identity.Principal{w.door, w.acme, w.resident} {
			_, err := w.fs.CreateFestival(ctx, p, festival.FestivalInput{Name: "X", Kind: "music", AccountID: w.ownerAcc.String()})
			mustProblem(t, err, problem.Forbidden, "")
		}
		// Another organisation's account, a bad kind.
		_, err := w.fs.CreateFestival(ctx, w.owner, festival.FestivalInput{Name: "X", Kind: "opera", AccountID: w.acmeAcc.String()})
		mustProblem(t, err, problem.Invalid, "account_id")
		mustProblem(t, err, problem.Invalid, "kind")
		perf := w.concert(t, 3)
		if len(perf.Categories) != 2 || perf.Categories[0].ResourceID == "" {
			t.Fatalf("categories %+v", perf.Categories)
		}
		// The category is a booking resource of the organiser whose only
		// open slot is the performance: capacity = quota.
		r, err := w.svc.Resource(ctx, w.owner, perf.Categories[0].ResourceID)
		if err != nil || r.Capacity != 3 || r.PriceKZT != 100_00 || r.SlotMinutes != 150 {
			t.Fatalf("resource %+v %v", r, err)
		}
		if _, err := r.Bookable(perf.Start, w.clock()); err != nil {
			t.Fatalf("the performance is not bookable: %v", err)
		}
		if _, err := r.Bookable(perf.Start.AddDate(0, 0, 7), w.clock()); err == nil {
			t.Fatal("the same hour a week later is bookable")
		}
		// Another organiser cannot add to the programme: a company
		// administrator, the expo's own door staff.
		other := &identity.Principal{UserID: "u-o", OrgID: "b-other", OrgKind: identity.KindEventOrganiser, Roles: []identity.Role{identity.OrgAdmin}}
		in := festival.PerformanceInput{Titles: perf.Titles, Venue: "X", Start: "2030-01-10T19:00", End: "2030-01-10T20:00",
			Categories: []festival.CategoryInput{{Name: "A", Quota: 1}}}
		for _, p := range []*identity.Principal{other, w.door, w.acme} {
			_, err = w.fs.AddPerformance(ctx, p, perf.FestivalID, in)
			mustProblem(t, err, problem.Forbidden, "")
		}
		// Bad programme input: every field at once, nothing written.
		bad := festival.PerformanceInput{Titles: map[string]string{"en": "Only English"}, Start: "2029-01-01T10:00", End: "soon",
			Categories: []festival.CategoryInput{{Name: "A", Quota: 0, PriceKZT: -1}, {Name: "a", Quota: 1}}}
		_, err = w.fs.AddPerformance(ctx, w.owner, perf.FestivalID, bad)
		for _, field := range []string{"titles.ru", "venue", "start", "end", "categories[0].quota", "categories[0].price_kzt", "categories[1].name"} {
			mustProblem(t, err, problem.Invalid, field)
		}
		if _, list, err := w.fs.Festival(ctx, w.acme, perf.FestivalID); err != nil || len(list) != 1 {
			t.Fatalf("programme %d %v", len(list), err)
		}
		// Sales are the organiser's.
		_, err = w.fs.Sales(ctx, w.acme, perf.ID)
		mustProblem(t, err, problem.Forbidden, "")
	})
}

func TestFestivalTicketLife(t *testing.T) {
	engines(t, func(t *testing.T, db *DB) {
		w := newFestWorld(t, db)
		ctx := context.Background()
		perf := w.concert(t, 2)
		stalls := perf.Categories[0]
		in := festival.BuyInput{PerformanceID: perf.ID, CategoryID: stalls.ID, Key: uuid.NewString(), PayFrom: w.acmeAcc.String()}
		tk, created, err := w.fs.Buy(ctx, w.acme, in)
		if err != nil || !created || tk.Status != festival.Valid || len(tk.Token) < 32 {
			t.Fatalf("buy %+v %v %v", tk, created, err)
		}
		// The retry after a lost answer: the same ticket, paid once.
		again, created, err := w.fs.Buy(ctx, w.acme, in)
		if err != nil || created || again.ID != tk.ID || again.Token != tk.Token {
			t.Fatalf("retry %+v %v %v", again, created, err)
		}
		if bal, p := w.balance(t, w.acmeAcc); bal != 900_00 || p != 0 {
			t.Fatalf("acme %d pending %d", bal, p)
		}
		// Nobody else sees it, by id or in a list.
		for _, p := range []*identity.Principal{w.other, w.resident, w.owner, w.door} {
			_, err := w.fs.Ticket(ctx, p, tk.ID)
			mustProblem(t, err, problem.NotFound, "")
			_, err = w.fs.Cancel(ctx, p, tk.ID)
			mustProblem(t, err, problem.NotFound, "")
		}
		// Check-in: only the organiser's door staff; others are told the
		// token does not exist.
		for _, p := range []*identity.Principal{w.acme, w.other, w.resident, {UserID: "x", OrgID: "b-other", OrgKind: identity.KindEventOrganiser, Roles: []identity.Role{identity.Organiser}}} {
			_, err := w.fs.CheckIn(ctx, p, tk.Token)
			mustProblem(t, err, problem.NotFound, "token")
		}
		_, err = w.fs.CheckIn(ctx, w.door, "NOSUCHTOKEN")
		mustProblem(t, err, problem.NotFound, "token")
		w.advance(59 * time.Hour) // 2030-01-09 19:00 Almaty: the doors
		var wg sync.WaitGroup
		var admitted atomic.Int32
		for range 20 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				a, err := w.fs.CheckIn(ctx, w.door, tk.Token)
				if err != nil {
					t.Error(err)
					return
				}
				if a.Admitted {
					admitted.Add(1)
				} else if a.AdmittedAt.IsZero() {
					t.Error("a second scan without the time of the first")
				}
			}()
		}
		wg.Wait()
		if admitted.Load() != 1 {
			t.Fatalf("%d admissions", admitted.Load())
		}
		// A used ticket is not refunded.
		_, err = w.fs.Cancel(ctx, w.acme, tk.ID)
		mustProblem(t, err, problem.Conflict, "status")
		s, err := w.fs.Sales(ctx, w.door, perf.ID)
		if err != nil || s.Categories[0].Sold != 1 || s.Categories[0].Admitted != 1 || s.Categories[0].Revenue != 100_00 {
			t.Fatalf("sales %+v %v", s, err)
		}
		verifyLedger(t, db)
	})
}

func TestFestivalRefundOnce(t *testing.T) {
	engines(t, func(t *testing.T, db *DB) {
		w := newFestWorld(t, db)
		ctx := context.Background()
		perf := w.concert(t, 1)
		tk, _, err := w.fs.Buy(ctx, w.acme, festival.BuyInput{PerformanceID: perf.ID, CategoryID: perf.Categories[0].ID, Key: uuid.NewString(), PayFrom: w.acmeAcc.String()})
		if err != nil {
			t.Fatal(err)
		}
		// Sold out: the other company is refused, nothing taken from it.
		_, _, err = w.fs.Buy(ctx, w.other, festival.BuyInput{PerformanceID: perf.ID, CategoryID: perf.Categories[0].ID, Key: uuid.NewString(), PayFrom: w.otherAcc.String()})
		mustProblem(t, err, problem.Conflict, "start")
		var wg sync.WaitGroup
		var ok atomic.Int32
		for range 20 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if _, err := w.fs.Cancel(ctx, w.acme, tk.ID); err == nil {
					ok.Add(1)
				} else if !problem.Is(err, problem.Conflict) {
					t.Error(err)
				}
			}()
		}
		wg.Wait()
		if ok.Load() < 1 {
			t.Fatal("no cancellation succeeded")
		}
		if bal, _ := w.balance(t, w.acmeAcc); bal != 1_000_00 {
			t.Fatalf("refunded %d", bal)
		}
		if bal, _ := w.balance(t, w.ownerAcc); bal != 0 {
			t.Fatalf("owner %d", bal)
		}
		// The cancelled ticket does not open the door; the freed place
		// sells again.
		_, err = w.fs.CheckIn(ctx, w.door, tk.Token)
		mustProblem(t, err, problem.Conflict, "token")
		if _, _, err := w.fs.Buy(ctx, w.other, festival.BuyInput{PerformanceID: perf.ID, CategoryID: perf.Categories[0].ID, Key: uuid.NewString(), PayFrom: w.otherAcc.String()}); err != nil {
			t.Fatal(err)
		}
		verifyLedger(t, db)
	})
}

// TestFestivalNeverOversold fires 200 concurrent purchases, each with its
// own key, at a category of quota 7: exactly 7 tickets exist and exactly 7
// payments reached the organiser in the ledger.
func TestFestivalNeverOversold(t *testing.T) {
	engines(t, func(t *testing.T, db *DB) {
		w := newFestWorld(t, db)
		ctx := context.Background()
		const quota = 7
		perf := w.concert(t, quota)
		cat := perf.Categories[0]
		var wg sync.WaitGroup
		var sold, full atomic.Int32
		for i := range 200 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				p, acc := w.acme, w.acmeAcc
				if i%2 == 1 {
					p, acc = w.other, w.otherAcc
				}
				_, _, err := w.fs.Buy(ctx, p, festival.BuyInput{PerformanceID: perf.ID, CategoryID: cat.ID, Key: uuid.NewString(), PayFrom: acc.String()})
				switch {
				case err == nil:
					sold.Add(1)
				case problem.Is(err, problem.Conflict):
					full.Add(1)
				default:
					t.Error(err)
				}
			}()
		}
		wg.Wait()
		if sold.Load() != quota || full.Load() != 200-quota {
			t.Fatalf("sold %d, refused %d", sold.Load(), full.Load())
		}
		s, err := w.fs.Sales(ctx, w.owner, perf.ID)
		if err != nil || s.Categories[0].Sold != quota {
			t.Fatalf("tickets %+v %v", s.Categories, err)
		}
		hist, err := db.History(ctx, w.ownerAcc, 0, 1000)
		if err != nil {
			t.Fatal(err)
		}
		posted := 0
		for _, tr := range hist {
			if tr.Code == booking.CodeHold && tr.Flags&ledger.PostPending != 0 {
				posted++
			}
		}
		if posted != quota {
			t.Fatalf("%d payments posted", posted)
		}
		if bal, p := w.balance(t, w.ownerAcc); bal != quota*100_00 || p != 0 {
			t.Fatalf("owner %d pending %d", bal, p)
		}
		verifyLedger(t, db)
	})
}
