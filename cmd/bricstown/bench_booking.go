package main

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"bricstown/internal/audit"
	"bricstown/internal/booking"
	"bricstown/internal/identity"
	"bricstown/internal/platform"
	"bricstown/internal/problem"

	"github.com/google/uuid"
)

// bookingResult is one line of bench booking --json.
type bookingResult struct {
	Scenario          string  `json:"scenario"`
	Engine            string  `json:"engine"`
	Clients           int     `json:"clients"`
	Resources         int     `json:"resources"`
	Attempts          int     `json:"attempts"`
	Confirmed         int     `json:"confirmed"`
	Refused           int     `json:"refused"`
	Capacity          int     `json:"capacity"`
	Oversold          int     `json:"oversold"`
	Seconds           float64 `json:"seconds"`
	BookingsPerSecond float64 `json:"bookings_per_second"`
	P99ms             float64 `json:"p99_ms"`
	P50ms             float64 `json:"p50_ms"`
}

// benchBooking measures the booking engine: concurrent clients hold and
// confirm places, on one hot slot ("hot": everyone at once, far beyond its
// capacity) or spread over many resources ("spread"). Each line counts
// what was confirmed and proves from the database that no slot holds more
// live bookings than its capacity (oversold must be 0).
func benchBooking(ctx context.Context, e *env, args []string) error {
	f := newFlags(e, "bench booking", "bench booking [flags]")
	dsn := f.string("db", "BRICSTOWN_BENCH_DB", "", "database (default: a fresh SQLite file); a postgres:// URL must name an empty database")
	scenario := f.string("scenario", "BRICSTOWN_BENCH_SCENARIO", "all", "hot, spread or all")
	clients := f.int("clients", "BRICSTOWN_BENCH_CLIENTS", 64, "concurrent clients")
	resources := f.int("resources", "BRICSTOWN_BENCH_RESOURCES", 10000, "resources of the spread scenario")
	attempts := f.int("attempts", "BRICSTOWN_BENCH_ATTEMPTS", 20000, "booking attempts per scenario")
	capacity := f.int("capacity", "BRICSTOWN_BENCH_CAPACITY", 1000, "places on the hot slot")
	asJSON := f.bool("json", "BRICSTOWN_BENCH_JSON", false, "print one JSON line per scenario")
	profile := cpuProfileFlag(f)
	if err := f.parse(args); err != nil {
		return err
	}
	if *clients < 1 || *resources < 1 || *attempts < 1 || *capacity < 1 || *capacity > booking.MaxCapacity {
		return usageError{"bench booking: clients, resources, attempts and capacity must be positive (capacity at most 100000)"}
	}
	var runs []string
	switch *scenario {
	case "hot", "spread":
		runs = []string{*scenario}
	case "all":
		runs = []string{"hot", "spread"}
	default:
		return usageError{fmt.Sprintf("bench booking: unknown scenario %q", *scenario)}
	}
	p, cleanup, err := benchPlatform(ctx, *dsn, "Bench Booking Centre")
	if err != nil {
		return err
	}
	defer cleanup()
	w, err := newBookingBench(ctx, p, *clients)
	if err != nil {
		return err
	}
	stop, err := startCPUProfile(*profile)
	if err != nil {
		return err
	}
	defer stop()
	for _, sc := range runs {
		var res bookingResult
		if sc == "hot" {
			res, err = w.run(ctx, e, sc, 1, *capacity, *attempts)
		} else {
			res, err = w.run(ctx, e, sc, *resources, 1, *attempts)
		}
		if err != nil {
			return err
		}
		if *asJSON {
			if err := json.NewEncoder(e.stdout).Encode(res); err != nil {
				return err
			}
			continue
		}
		fmt.Fprintf(e.stdout, "%s on %s: %d clients, %d attempts, %d confirmed of %d places, oversold %d, %.0f bookings/s, p99 %.1f ms\n",
			res.Scenario, res.Engine, res.Clients, res.Attempts, res.Confirmed, res.Capacity, res.Oversold, res.BookingsPerSecond, res.P99ms)
	}
	return nil
}

type bookingBench struct {
	p       *platform.Platform
	owner   *identity.Principal
	bookers []*identity.Principal
	start   time.Time // the first slot clients aim at
}

func newBookingBench(ctx context.Context, p *platform.Platform, clients int) (*bookingBench, error) {
	now := time.Now().UTC()
	mk := func(id string, kind identity.OrgKind) error {
		return p.DB.CreateOrg(ctx, identity.Org{ID: id, Name: id, Kind: kind, Country: "KZ", RegScheme: "BENCH", RegID: id, CreatedAt: now},
			audit.Record{ActorUser: "bench", Action: "org.create"})
	}
	w := &bookingBench{p: p, owner: &identity.Principal{UserID: "bench-owner", OrgID: "bench-venue", OrgKind: identity.KindEventOrganiser,
		Roles: []identity.Role{identity.OrgAdmin}}}
	if err := mk("bench-venue", identity.KindEventOrganiser); err != nil {
		return nil, err
	}
	for i := range clients {
		id := fmt.Sprintf("bench-booker-%03d", i)
		if err := mk(id, identity.KindCompany); err != nil {
			return nil, err
		}
		w.bookers = append(w.bookers, &identity.Principal{UserID: id + "-user", OrgID: id, OrgKind: identity.KindCompany, Roles: []identity.Role{identity.Trader}})
	}
	w.start = now.Truncate(time.Hour).Add(2 * time.Hour)
	return w, nil
}

// slots is how many hourly slots a spread resource offers to clients.
const benchSlots = 24

func (w *bookingBench) run(ctx context.Context, e *env, scenario string, resources, capacity, attempts int) (bookingResult, error) {
	ids := make([]string, resources)
	hours := []booking.Hours{}
	for d := range 7 {
		hours = append(hours, booking.Hours{Day: d, From: "00:00", To: "24:00"})
	}
	fmt.Fprintf(e.stderr, "bench booking %s: opening %d resources…\n", scenario, resources)
	for i := range ids {
		r, err := w.p.Booking.CreateResource(ctx, w.owner, booking.ResourceInput{Name: fmt.Sprintf("%s room %d", scenario, i), Kind: "room",
			Capacity: capacity, SlotMinutes: 60, HorizonDays: 30, HoldMinutes: 15, Hours: hours})
		if err != nil {
			return bookingResult{}, fmt.Errorf("bench booking: resource: %w", err)
		}
		ids[i] = r.ID
	}
	var next, confirmed, refused, done atomic.Int64
	lat := make([][]time.Duration, len(w.bookers))
	var failed error
	var mu sync.Mutex
	var wg sync.WaitGroup
	began := time.Now()
	stop := make(chan struct{})
	go func() {
		t := time.NewTicker(500 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
				fmt.Fprintf(e.stderr, "\rbench booking %s: %d/%d attempts, %d confirmed", scenario, done.Load(), attempts, confirmed.Load())
			}
		}
	}()
	for c, who := range w.bookers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(c), 7))
			for next.Add(1) <= int64(attempts) {
				id, start := ids[0], w.start
				if scenario != "hot" {
					id, start = ids[rng.IntN(len(ids))], w.start.Add(time.Duration(rng.IntN(benchSlots))*time.Hour)
				}
				t0 := time.Now()
				b, _, err := w.p.Booking.Book(ctx, who, booking.BookInput{ResourceID: id, Start: start.Format(time.RFC3339), Key: uuid.Must(uuid.NewV7()).String()})
				if err == nil {
					_, err = w.p.Booking.Confirm(ctx, who, b.ID)
				}
				lat[c] = append(lat[c], time.Since(t0))
				done.Add(1)
				switch {
				case err == nil:
					confirmed.Add(1)
				case problem.Is(err, problem.Conflict):
					refused.Add(1)
				default:
					mu.Lock()
					failed = err
					mu.Unlock()
					return
				}
			}
		}()
	}
	wg.Wait()
	took := time.Since(began)
	close(stop)
	fmt.Fprintf(e.stderr, "\rbench booking %s: %d/%d attempts, %d confirmed\n", scenario, done.Load(), attempts, confirmed.Load())
	if failed != nil {
		return bookingResult{}, fmt.Errorf("bench booking %s: %w", scenario, failed)
	}
	oversold, err := w.oversold(ctx, ids)
	if err != nil {
		return bookingResult{}, err
	}
	var all []time.Duration
	for _, l := range lat {
		all = append(all, l...)
	}
	sort.Slice(all, func(i, j int) bool { return all[i] < all[j] })
	pct := func(q float64) float64 {
		if len(all) == 0 {
			return 0
		}
		return float64(all[min(len(all)-1, int(q*float64(len(all))))].Microseconds()) / 1000
	}
	places := capacity
	if scenario != "hot" {
		places = resources * benchSlots
	}
	return bookingResult{Scenario: scenario, Engine: string(w.p.DB.Engine), Clients: len(w.bookers), Resources: resources, Attempts: attempts,
		Confirmed: int(confirmed.Load()), Refused: int(refused.Load()), Capacity: places, Oversold: oversold, Seconds: took.Seconds(),
		BookingsPerSecond: float64(confirmed.Load()) / took.Seconds(), P99ms: pct(0.99), P50ms: pct(0.50)}, nil
}

// oversold counts slots of the given resources holding more live bookings
// than their capacity, read back from the database.
func (w *bookingBench) oversold(ctx context.Context, ids []string) (int, error) {
	rows, err := w.p.DB.SQL.QueryContext(ctx, `SELECT b.resource_id, b.start_at, COUNT(*), MIN(r.capacity) FROM bookings b
		JOIN booking_resources r ON r.id = b.resource_id WHERE b.status IN ('held', 'confirming', 'confirmed')
		GROUP BY b.resource_id, b.start_at HAVING COUNT(*) > MIN(r.capacity)`)
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	in := map[string]bool{}
	for _, id := range ids {
		in[id] = true
	}
	n := 0
	for rows.Next() {
		var id string
		var start, count, capacity int64
		if err := rows.Scan(&id, &start, &count, &capacity); err != nil {
			return 0, err
		}
		if in[id] {
			n += int(count - capacity)
		}
	}
	return n, rows.Err()
}
