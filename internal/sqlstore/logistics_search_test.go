package sqlstore

import (
	"context"
	"slices"
	"strings"
	"testing"

	"bricstown/internal/identity"
	"bricstown/internal/logistics"
	"bricstown/internal/problem"
)

// The shipments list's search finds a shipment by its reference, its
// places (code or name), its declaration's reference and goods (in any
// case and script), takes LIKE's wildcards literally, and only ever
// narrows what the caller may list: another organisation's shipment with
// the same words is never found, and a carrier finds only what it carries.
func TestLogisticsShipmentSearch(t *testing.T) {
	engines(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		w := newLogisticsWorld(t, db)
		w.customs.declared = map[string]logistics.Declared{
			w.declAcme:  {Reference: "ACME-IMP-7", Goods: []string{"Смартфоны Xiaomi Redmi", "Li-ion batteries"}},
			w.declOther: {Reference: "OTHER-IMP-1", Goods: []string{"Смартфоны Xiaomi"}},
		}
		dep := w.departure(t, w.carrier, logistics.DepartureInput{From: "CNURC", To: "KZALA", BorderPost: "KZHOR", DepartAt: w.at(10), ArriveAt: w.at(60),
			CapacityTEU: 10, CapacityKg: 100_000, PricePerTEU: 100_00})
		in := func(ref, from, to, decl string) logistics.ShipmentInput {
			return logistics.ShipmentInput{Reference: ref, Origin: from, Destination: to, ReadyAt: w.at(0), Deadline: w.at(200),
				TEU: 1, DeclarationID: decl}
		}
		phones := w.shipment(t, w.acme, in("PO 100%", "CNURC", "KZALA", w.declAcme))
		steel := w.shipment(t, w.acme, in("STEEL-9", "KZDOS", "RUMOW", ""))
		theirs := w.shipment(t, w.other, in("STEEL-10", "CNURC", "KZALA", w.declOther))
		if _, err := w.svc.Book(ctx, w.acme, phones.ID, logistics.BookInput{DepartureIDs: []string{dep.ID}}); err != nil {
			t.Fatal(err)
		}

		find := func(p *identity.Principal, q string) []string {
			t.Helper()
			list, err := w.svc.SearchShipments(ctx, p, logistics.ShipmentFind{Q: q})
			if err != nil {
				t.Fatalf("search %q: %v", q, err)
			}
			var ids []string
			for _, s := range list {
				ids = append(ids, s.ID)
			}
			slices.Sort(ids)
			return ids
		}
		one := func(ids ...string) []string { slices.Sort(ids); return ids }
		for _, c := range []struct {
			who  *identity.Principal
			q    string
			want []string
		}{
			{w.acme, "смартфоны", one(phones.ID)},        // the declaration's goods, another case, Cyrillic
			{w.acme, "XIAOMI", one(phones.ID)},           // never the other org's phones
			{w.acme, "acme-imp-7", one(phones.ID)},       // the declaration's reference
			{w.acme, "almaty", one(phones.ID)},           // the destination's place name
			{w.acme, "kzdos", one(steel.ID)},             // a locode
			{w.acme, "steel", one(steel.ID)},             // never STEEL-10
			{w.acme, "%", one(phones.ID)},                // LIKE's wildcard taken literally
			{w.acme, "_", nil},                           // likewise
			{w.acme, "  ", one(phones.ID, steel.ID)},     // blank: no search
			{w.acme, phones.ID[:23], one(phones.ID)},     // the id (past its first 13 characters, the millisecond, which two ids can share)
			{w.other, "steel", one(theirs.ID)},           // the other org: only its own
			{w.other, "acme", nil},                       //
			{w.carrier, "xiaomi", one(phones.ID)},        // the carrier of its booking
			{w.carrier, "steel", nil},                    // not booked on its departures
			{w.rival, "xiaomi", nil},                     // another carrier
			{w.admin, "steel", one(steel.ID, theirs.ID)}, // the platform administrator sees all
		} {
			if got := find(c.who, c.q); !slices.Equal(got, c.want) {
				t.Errorf("%s searching %q: got %v, want %v", c.who.OrgID, c.q, got, c.want)
			}
		}

		// The search narrows the status filter and pages with it.
		list, err := w.svc.SearchShipments(ctx, w.acme, logistics.ShipmentFind{Q: "o", Status: logistics.Open})
		if err != nil || len(list) != 1 || list[0].ID != steel.ID {
			t.Fatalf("open and 'o': %v %+v", err, list)
		}
		page, err := w.svc.SearchShipments(ctx, w.admin, logistics.ShipmentFind{Q: "steel", Limit: 1})
		if err != nil || len(page) != 1 || page[0].ID != theirs.ID {
			t.Fatalf("first page: %v %+v", err, page)
		}
		page, err = w.svc.SearchShipments(ctx, w.admin, logistics.ShipmentFind{Q: "steel", Limit: 1, After: page[0].ID})
		if err != nil || len(page) != 1 || page[0].ID != steel.ID {
			t.Fatalf("second page: %v %+v", err, page)
		}

		_, err = w.svc.SearchShipments(ctx, w.acme, logistics.ShipmentFind{Q: strings.Repeat("я", logistics.MaxSearch+1)})
		wantLogCode(t, err, problem.Invalid, "q")
		if _, err := w.svc.SearchShipments(ctx, w.acme, logistics.ShipmentFind{Q: strings.Repeat("я", logistics.MaxSearch)}); err != nil {
			t.Fatalf("a search of %d characters: %v", logistics.MaxSearch, err)
		}
	})
}
