package server

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"bricstown/internal/identity"
)

// A carrier's border events reach the shipment's declaration: at_border
// presents pre-lodged goods at the post (customs assesses them), a
// border_crossed while customs holds them is refused, and once released the
// crossing is recorded on the declaration's history. Forbidden first: a
// carrier not on the route and a trader touch nothing.
func TestAPIBorderEventsFeedCustoms(t *testing.T) {
	f := getFixture(t)
	trader := f.token(t, apiKGE, identity.Trader)
	kgl := f.token(t, apiKGL, identity.Carrier)
	terf := f.token(t, apiTERF, identity.Carrier)
	officer := f.token(t, apiCustomsPO, identity.CustomsOfficer)
	bank := f.token(t, "Steppe Commercial Bank", identity.BankOperator)
	vault := f.openAccount(t, bank, "KZT", false)
	acct := f.openAccount(t, trader, "KZT", true)
	if got := results(t, f.call(t, "POST", "/api/v1/ledger/transfers", bank, map[string]any{"transfers": []map[string]any{{"id": v7(),
		"debit_account_id": vault, "credit_account_id": acct, "amount": "50000000.00", "currency": "KZT", "reference": "deposit"}}})); got[0] != "ok" {
		t.Fatalf("funding: %v", got)
	}

	// Steel from China lodged before it reaches Khorgos.
	c := apiSteelImport(fmt.Sprintf("KGE-BORDER-%d", time.Now().UnixNano()%1e6), "Kazakh Grain Export")
	c["transport"].(map[string]any)["border_post"] = "KZHOR"
	c["arrival_expected_at"] = time.Now().Add(48 * time.Hour).UTC().Format(time.RFC3339)
	c["documents"] = []any{apiInlineDoc("commercial_invoice")}
	decl := f.apiPost(t, apiDecls+"?submit=true", trader, c, 201)
	id := decl["id"].(string)
	if decl["status"] != "submitted" {
		t.Fatalf("pre-lodged: %v", decl)
	}
	dep := f.apiDeparture(t, kgl, map[string]any{"from": "CNURC", "to": "KZHOR", "border_post": "KZHOR", "currency": "KZT",
		"price_per_teu": 18_500_000, "price_per_kg": 400})
	ship := f.apiShipment(t, trader, map[string]any{"origin": "CNURC", "destination": "KZHOR", "declaration_id": id})
	f.apiPost(t, apiLogistic+"/shipments/"+ship+"/book", trader, map[string]any{"departure_ids": []string{dep}}, 201)
	event := func(tok, kind string) response {
		return f.call(t, "POST", apiLogistic+"/shipments/"+ship+"/events", tok, map[string]any{"departure_id": dep, "kind": kind})
	}
	history := func() string {
		r := f.call(t, "GET", apiDecls+"/"+id+"/history", officer, nil)
		if r.status != 200 {
			t.Fatalf("history: %d %s", r.status, r.body)
		}
		return string(r.body)
	}
	before := history()

	// Forbidden: the other carrier (not on the route) is told the shipment
	// does not exist; a trader may not post carrier events at all.
	if r := event(terf, "departed"); r.status != 404 {
		t.Fatalf("carrier not on the route: %d %s", r.status, r.body)
	}
	if r := event(trader, "at_border"); r.status != 403 {
		t.Fatalf("trader posts at_border: %d %s", r.status, r.body)
	}
	f.apiPost(t, apiLogistic+"/shipments/"+ship+"/events", kgl, map[string]any{"departure_id": dep, "kind": "departed"}, 201)
	if r := event(terf, "at_border"); r.status != 404 {
		t.Fatalf("carrier not on the route, at_border: %d %s", r.status, r.body)
	}
	if r := event(trader, "at_border"); r.status != 403 {
		t.Fatalf("trader posts at_border: %d %s", r.status, r.body)
	}
	if d := f.apiDecl(t, trader, id); d["status"] != "submitted" || history() != before {
		t.Fatalf("the declaration moved on a refused report: %v", d["status"])
	}

	// The carrier reports the goods at Khorgos: customs has them presented
	// and assessed, in the carrier's name.
	f.apiPost(t, apiLogistic+"/shipments/"+ship+"/events", kgl, map[string]any{"departure_id": dep, "kind": "at_border"}, 201)
	d := f.apiDecl(t, trader, id)
	if d["status"] == "submitted" || d["assessment"] == nil {
		t.Fatalf("after at_border: %v", d["status"])
	}
	if h := history(); !strings.Contains(h, `"kind":"presented"`) || !strings.Contains(h, f.orgs[apiKGL].ID) {
		t.Fatalf("history has no presentation by the carrier: %s", h)
	}
	// Duties unpaid: customs holds the goods; the crossing is refused and
	// the shipment shows the hold.
	r := event(kgl, "border_crossed")
	if r.status != 409 || problemFieldCode(t, r, "kind") != "customs_hold" {
		t.Fatalf("crossing while held: %d %s", r.status, r.body)
	}
	if v := f.call(t, "GET", apiLogistic+"/shipments/"+ship, trader, nil).json(t); v["customs_hold"] != true {
		t.Fatalf("shipment hides the hold: %v", v["customs_hold"])
	}
	if strings.Contains(history(), "border_exited") {
		t.Fatal("a refused crossing was recorded")
	}
	// Paid (and released by the officer if the lane needs one): it crosses.
	if d = f.apiPost(t, apiDecls+"/"+id+"/pay", trader, map[string]any{"from_account_id": acct}, 200); d["status"] != "released" {
		if d["status"] == "physical_inspection" || d["status"] == "documentary_check" || d["status"] == "assessed" {
			d = f.apiPost(t, apiDecls+"/"+id+"/release", officer, map[string]any{"note": "as declared"}, 200)
		}
	}
	if d["status"] != "released" {
		t.Fatalf("not released: %v", d["status"])
	}
	f.apiPost(t, apiLogistic+"/shipments/"+ship+"/events", kgl, map[string]any{"departure_id": dep, "kind": "border_crossed"}, 201)
	h := history()
	if strings.Count(h, `"kind":"border_exited"`) != 1 || !strings.Contains(h, `"action":"border_exit"`) {
		t.Fatalf("history has no exit: %s", h)
	}
	if d := f.apiDecl(t, trader, id); d["status"] != "released" {
		t.Fatalf("the exit changed the status: %v", d["status"])
	}
}

// POST /shipments with declaration_id alone: the crossing, size and dates
// come from the declaration; another trader's declaration is refused on
// its field and fills nothing.
func TestAPIShipmentFromDeclaration(t *testing.T) {
	f := getFixture(t)
	trader := f.token(t, apiKGE, identity.Trader)
	rival := f.token(t, apiSZD, identity.Trader)
	kgl := f.token(t, apiKGL, identity.Carrier)
	c := apiSteelImport(fmt.Sprintf("KGE-SHIP-%d", time.Now().UnixNano()%1e6), "Kazakh Grain Export")
	c["transport"].(map[string]any)["border_post"] = "KZHOR"
	c["transport"].(map[string]any)["transport_equipment_ids"] = []string{"CSQU3054383", "MSKU9070323"}
	id := f.apiPost(t, apiDecls, trader, c, 201)["id"].(string)
	// The crossing is the most frequent scheduled leg into Khorgos from
	// China: Urumqi's daily train (the demo network's, and this one).
	f.apiDeparture(t, kgl, map[string]any{"from": "CNULZ", "to": "KZHOR", "border_post": "KZHOR", "currency": "KZT"})

	if r := f.call(t, "POST", apiLogistic+"/shipments", rival, map[string]any{"declaration_id": id}); r.status != 400 ||
		problemFieldCode(t, r, "declaration_id") != "own_declaration" || problemFieldCode(t, r, "origin") != "required" {
		t.Fatalf("another trader's declaration: %d %s", r.status, r.body)
	}
	s := f.apiPost(t, apiLogistic+"/shipments", trader, map[string]any{"declaration_id": id}, 201)
	if s["origin"] != "CNULZ" || s["destination"] != "KZHOR" || s["teu"] != float64(4) || s["kg"] != float64(40_200) ||
		s["declaration_id"] != id || s["reference"] != c["functional_reference_id"] {
		t.Fatalf("prefilled: %v", s)
	}
	s = f.apiPost(t, apiLogistic+"/shipments", trader, map[string]any{"declaration_id": id, "destination": "KZALA", "kg": 1000}, 201)
	if s["origin"] != "CNULZ" || s["destination"] != "KZALA" || s["teu"] != float64(0) || s["kg"] != float64(1000) {
		t.Fatalf("overridden: %v", s)
	}
}
