package platform

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"bricstown/internal/audit"
	"bricstown/internal/customs"
	"bricstown/internal/demo"
	"bricstown/internal/identity"
	"bricstown/internal/logistics"
	"bricstown/internal/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m, pgtest.Fast()) }

// The demo town's logistics part, on both engines: the corridor network
// published from the seeding day by the carriers the file names, the
// traders' shipments (one delivered with its whole journey, one held at
// the border by customs, one in transit, the rest dispatched or explained),
// the border crossing on the declaration's history; a second seeding adds
// nothing.
func TestDemoLogistics(t *testing.T) {
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
			parts := DemoAll &^ DemoSettlement &^ DemoObligations
			if _, _, err := p.SeedDemoParts(ctx, now, parts); err != nil {
				t.Fatal(err)
			}
			admin := principal(t, p, "BRICS Town Administration", identity.PlatformAdmin)
			deps := departures(t, p, admin)
			legs, err := demo.CorridorLegs()
			if err != nil {
				t.Fatal(err)
			}
			perLeg := map[string]int{}
			for _, d := range deps {
				perLeg[d.From+"-"+d.To]++
			}
			for _, l := range legs {
				want := int((demo.DemoWindow - time.Hour*30) / l.Every) // at least, whatever the seeding hour
				if perLeg[l.From+"-"+l.To] < want {
					t.Errorf("%s-%s: %d departures, want at least %d", l.From, l.To, perLeg[l.From+"-"+l.To], want)
				}
			}
			ships, err := p.Logistics.Shipments(ctx, admin, "", "", 500)
			if err != nil {
				t.Fatal(err)
			}
			byRef := map[string]logistics.Shipment{}
			for _, s := range ships {
				byRef[s.Reference] = s
			}
			view := func(ref string) logistics.ShipmentView {
				t.Helper()
				s, ok := byRef[ref]
				if !ok {
					t.Fatalf("no demo shipment %s among %d", ref, len(ships))
				}
				v, err := p.Logistics.Shipment(ctx, admin, s.ID)
				if err != nil {
					t.Fatal(err)
				}
				return v
			}
			delivered := view("DEMO-SZD-0042")
			if delivered.Status != logistics.Delivered || len(delivered.Events) != 5 || !delivered.Tracking.Delivered || delivered.CustomsHold {
				t.Fatalf("delivered shipment: %s, %d events", delivered.Status, len(delivered.Events))
			}
			if delivered.Booking.Currency != "KZT" || delivered.Booking.CostMinor <= 0 || delivered.Booking.Legs[0].Currency != "KZT" {
				t.Fatalf("delivered booking %+v", delivered.Booking)
			}
			held := view("DEMO-KGL-0303")
			if held.Status != logistics.InTransit || !held.CustomsHold || held.Events[len(held.Events)-1].Kind != logistics.EvCustomsHold {
				t.Fatalf("held shipment: %s hold %v", held.Status, held.CustomsHold)
			}
			transit := view("DEMO-KGL-0302")
			if transit.Status != logistics.InTransit || len(transit.Booking.Legs) < 4 || transit.Booking.Legs[1].Currency != "RUB" ||
				transit.Booking.Legs[1].Rate == "" || transit.TEU != 8 || transit.Kg != 41_000 {
				t.Fatalf("in transit: %s %+v", transit.Status, transit.Booking)
			}
			// The crossings are on the declarations' histories.
			officer := principal(t, p, "Khorgos Customs Post", identity.CustomsOfficer)
			for _, s := range []logistics.ShipmentView{delivered, transit} {
				h, err := p.Customs.History(ctx, officer, s.DeclarationID)
				if err != nil {
					t.Fatal(err)
				}
				if k, _ := h.Events[len(h.Events)-1].Structured(); k != customs.EvBorderExited {
					t.Errorf("%s: last declaration event %s", s.Reference, k)
				}
			}
			// The dispatcher booked the open ones it could and explained
			// the one it could not.
			for _, ref := range []string{"DEMO-SHP-KGE-1", "DEMO-SHP-KGE-2", "DEMO-SHP-SZD-1", "DEMO-SHP-SZD-2"} {
				if v := view(ref); v.Status != logistics.Booked || v.Booking.Source != "dispatch" {
					t.Errorf("%s: %s (%s)", ref, v.Status, v.UnassignedReason)
				}
			}
			if v := view("DEMO-SHP-KGE-3"); v.Status != logistics.Open || v.UnassignedReason == "" {
				t.Errorf("unroutable shipment: %s %q", v.Status, v.UnassignedReason)
			}

			// Again: nothing added.
			newest := func() int64 {
				e, err := p.DB.ListAudit(ctx, audit.Filter{Action: "logistics.", Limit: 1})
				if err != nil || len(e) != 1 {
					t.Fatalf("audit: %v", err)
				}
				return e[0].Seq
			}
			before := newest()
			if _, _, err := p.SeedDemoParts(ctx, now.Add(time.Minute), parts); err != nil {
				t.Fatal(err)
			}
			if again := departures(t, p, admin); len(again) != len(deps) {
				t.Fatalf("second seeding: %d departures, had %d", len(again), len(deps))
			}
			if again, _ := p.Logistics.Shipments(ctx, admin, "", "", 500); len(again) != len(ships) {
				t.Fatalf("second seeding: %d shipments, had %d", len(again), len(ships))
			}
			if newest() != before {
				t.Fatal("second seeding wrote logistics audit entries")
			}
		})
	}
}

func principal(t *testing.T, p *Platform, org string, role identity.Role) *identity.Principal {
	t.Helper()
	id, err := FindOrg(context.Background(), p.Identity, func(o identity.Org) bool { return o.Name == org })
	if err != nil || id == "" {
		t.Fatalf("org %s: %v", org, err)
	}
	o, err := p.Identity.Org(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return &identity.Principal{UserID: "test", OrgID: o.ID, OrgKind: o.Kind, Roles: []identity.Role{role}}
}

func departures(t *testing.T, p *Platform, admin *identity.Principal) []logistics.Departure {
	t.Helper()
	var out []logistics.Departure
	after := ""
	for {
		page, err := p.Logistics.Departures(context.Background(), admin, logistics.DepartureFilter{All: true, After: after, Limit: 500})
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, page...)
		if len(page) < 500 {
			return out
		}
		after = page[len(page)-1].ID
	}
}
