package platform

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"bricstown/internal/audit"
	"bricstown/internal/demo"
	"bricstown/internal/expo"
	"bricstown/internal/identity"
	"bricstown/internal/pgtest"
)

// TestDemoExpo: the demo town's commodity expo has its halls and booths,
// six exhibitors with booths (those with enough tenge paid), products on the
// stands, buyers and a timetable that places every accepted request; a
// second seeding writes nothing.
func TestDemoExpo(t *testing.T) {
	for _, engine := range []string{"sqlite", "postgres"} {
		t.Run(engine, func(t *testing.T) {
			dsn := filepath.Join(t.TempDir(), "demo.db")
			if engine == "postgres" {
				dsn = pgtest.URL(t)
			}
			ctx := context.Background()
			p, err := Open(ctx, Config{DSN: dsn})
			if err != nil {
				t.Fatal(err)
			}
			defer p.Close()
			run, stop := context.WithCancel(ctx)
			defer stop()
			go p.Ledger.Run(run)
			now := time.Now()
			parts := DemoFinance | DemoMarket | DemoExpo
			if _, _, err := p.SeedDemoParts(ctx, now, parts); err != nil {
				t.Fatal(err)
			}
			org := principal(t, p, "BRICS Town Expo Centre", identity.Organiser)
			list, err := p.Expo.Expos(ctx, org)
			if err != nil || len(list) != 1 || list[0].Name != demo.DemoExpoName {
				t.Fatalf("expos %+v %v", list, err)
			}
			d, err := p.Expo.Get(ctx, org, list[0].ID)
			if err != nil {
				t.Fatal(err)
			}
			given, paid := 0, 0
			for _, b := range d.Booths {
				if b.Status != expo.BoothFree {
					given++
				}
				if b.Status == expo.BoothPaid {
					paid++
				}
			}
			if len(d.Halls) != 3 || len(d.Booths) != 33 || given != 6 || paid < 1 {
				t.Fatalf("%d halls, %d booths, %d given, %d paid", len(d.Halls), len(d.Booths), given, paid)
			}
			if sc, _ := p.Expo.Showcase(ctx, org, d.ID); len(sc) == 0 {
				t.Error("no products on the stands")
			}
			r, err := p.Expo.LastRun(ctx, org, d.ID)
			if err != nil || r.Requests != 9 || r.Placed != 9 || r.Greedy > r.Placed {
				t.Fatalf("run %+v %v", r, err)
			}
			newest := func() int64 {
				e, err := p.DB.ListAudit(ctx, audit.Filter{Limit: 1})
				if err != nil || len(e) != 1 {
					t.Fatalf("audit: %v", err)
				}
				return e[0].Seq
			}
			before := newest()
			if err := demo.SeedExpo(ctx, p.Identity, p.Ledger, p.Market, p.Expo, now.Add(time.Minute)); err != nil {
				t.Fatal(err)
			}
			if newest() != before {
				t.Fatal("second seeding wrote audit entries")
			}
		})
	}
}
