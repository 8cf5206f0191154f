package sqlstore

import (
	"context"
	"testing"
	"time"

	"bricstown/internal/logistics"
	"bricstown/internal/problem"
)

// A shipment entered from a declaration alone takes its crossing, size,
// reference and dates from it; whatever the trader states wins; another
// organisation's declaration fills nothing and is refused.
func TestLogisticsShipmentFromDeclaration(t *testing.T) {
	engines(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		w := newLogisticsWorld(t, db)
		arrival := w.now.Add(5 * 24 * time.Hour)
		w.customs.declared = map[string]logistics.Declared{
			w.declAcme: {Reference: "ACME-IMP-7", BorderPost: "KZHOR", ExporterCountry: "CN", ImporterCountry: "KZ",
				GrossMassGrams: 40_200_001, Containers: 3, ArrivalExpectedAt: arrival},
			w.declOther: {BorderPost: "KZHOR", ExporterCountry: "CN", ImporterCountry: "KZ", GrossMassGrams: 1000},
		}
		leg := func(from, to string, h int) {
			w.departure(t, w.carrier, logistics.DepartureInput{From: from, To: to, BorderPost: "KZHOR", DepartAt: w.at(h), ArriveAt: w.at(h + 48),
				CapacityTEU: 100, CapacityKg: 1_000_000, PricePerTEU: 100_00})
		}
		// Urumqi–Khorgos runs twice, Xi'an–Khorgos once: the usual crossing
		// is Urumqi's.
		leg("CNURC", "KZHOR", 10)
		leg("CNURC", "KZHOR", 34)
		leg("CNXIA", "KZHOR", 20)

		s, err := w.svc.CreateShipment(ctx, w.acme, logistics.ShipmentInput{DeclarationID: w.declAcme})
		if err != nil {
			t.Fatal(err)
		}
		if s.Origin != "CNURC" || s.Destination != "KZHOR" || s.TEU != 6 || s.Kg != 40_201 || s.Reference != "ACME-IMP-7" ||
			!s.ReadyAt.Equal(w.now) || !s.Deadline.Equal(arrival) || s.DeclarationID != w.declAcme {
			t.Fatalf("prefilled %+v", s)
		}
		got, err := db.GetShipment(ctx, s.ID)
		if err != nil || got.Origin != "CNURC" || got.TEU != 6 || got.Kg != 40_201 {
			t.Fatalf("stored %+v %v", got, err)
		}
		// Stated fields win; a size stated in TEU alone takes no kg from it.
		s, err = w.svc.CreateShipment(ctx, w.acme, logistics.ShipmentInput{DeclarationID: w.declAcme, Origin: "CNXIA", TEU: 2,
			Deadline: w.at(200), Reference: "mine"})
		if err != nil {
			t.Fatal(err)
		}
		if s.Origin != "CNXIA" || s.Destination != "KZHOR" || s.TEU != 2 || s.Kg != 0 || s.Reference != "mine" || !s.Deadline.Equal(w.now.Add(200*time.Hour)) {
			t.Fatalf("overridden %+v", s)
		}
		// Another organisation's declaration: refused on its field, nothing
		// filled from it, nothing written.
		n, _ := db.ListShipments(ctx, logistics.ShipmentQuery{Limit: 100})
		_, err = w.svc.CreateShipment(ctx, w.acme, logistics.ShipmentInput{DeclarationID: w.declOther})
		wantLogCode(t, err, problem.Invalid, "declaration_id")
		pe := err.(*problem.Error)
		if pe.Fields["origin"] == "" || pe.Fields["teu"] == "" {
			t.Fatalf("a foreign declaration filled the shipment: %v", pe.Fields)
		}
		if m, _ := db.ListShipments(ctx, logistics.ShipmentQuery{Limit: 100}); len(m) != len(n) {
			t.Fatal("a refused shipment was written")
		}
		// No leg crosses at the post: the post is the destination (it is in
		// the importer's country) and the origin must be stated.
		w.customs.mu.Lock()
		w.customs.declared[w.declAcme] = logistics.Declared{BorderPost: "KZDOS", ExporterCountry: "CN", ImporterCountry: "KZ", GrossMassGrams: 5000}
		w.customs.mu.Unlock()
		_, err = w.svc.CreateShipment(ctx, w.acme, logistics.ShipmentInput{DeclarationID: w.declAcme})
		wantLogCode(t, err, problem.Invalid, "origin")
		if pe := err.(*problem.Error); pe.Fields["destination"] != "" {
			t.Fatalf("destination not taken from the post: %v", pe.Fields)
		}
		s, err = w.svc.CreateShipment(ctx, w.acme, logistics.ShipmentInput{DeclarationID: w.declAcme, Origin: "CNURC"})
		if err != nil || s.Destination != "KZDOS" || s.Kg != 5 || s.TEU != 0 || !s.Deadline.Equal(w.now.Add(logistics.DefaultShipWindow)) {
			t.Fatalf("from the post: %+v %v", s, err)
		}
	})
}
