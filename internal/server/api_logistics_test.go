package server

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"bricstown/internal/identity"
)

const (
	apiKGL      = "Khorgos Gateway Logistics"
	apiTERF     = "Trans-Eurasia Rail Freight"
	apiLogistic = "/api/v1/logistics"
)

func (f *fixture) apiDeparture(t *testing.T, tok string, body map[string]any) string {
	t.Helper()
	in := map[string]any{"mode": "rail", "from": "KZHOR", "to": "KZALA", "depart_at": time.Now().Add(30 * time.Hour).UTC().Format(time.RFC3339),
		"arrive_at": time.Now().Add(50 * time.Hour).UTC().Format(time.RFC3339), "capacity_teu": 20, "capacity_kg": 500000,
		"currency": "USD", "price_per_teu": 120000, "price_per_kg": 1}
	for k, v := range body {
		in[k] = v
	}
	return f.apiPost(t, apiLogistic+"/departures", tok, in, 201)["id"].(string)
}

func (f *fixture) apiShipment(t *testing.T, tok string, body map[string]any) string {
	t.Helper()
	in := map[string]any{"origin": "KZHOR", "destination": "KZALA", "ready_at": time.Now().UTC().Format(time.RFC3339),
		"deadline": time.Now().Add(100 * time.Hour).UTC().Format(time.RFC3339), "teu": 1}
	for k, v := range body {
		in[k] = v
	}
	return f.apiPost(t, apiLogistic+"/shipments", tok, in, 201)["id"].(string)
}

func problemFieldCode(t *testing.T, r response, field string) string {
	t.Helper()
	m := r.json(t)
	codes, _ := m["error_codes"].(map[string]any)
	s, _ := codes[field].(string)
	return s
}

// The forbidden cases: another carrier changing my departure, a trader
// reading or booking another trader's shipment, a trader reporting as a
// carrier, a carrier reading a shipment it does not carry, a bank calling
// anything at all.
func TestAPILogisticsForbidden(t *testing.T) {
	f := getFixture(t)
	kgl := f.token(t, apiKGL, identity.Carrier)
	terf := f.token(t, apiTERF, identity.Carrier)
	trader := f.token(t, apiKGE, identity.Trader)
	rival := f.token(t, apiSZD, identity.Trader)
	bank := f.token(t, apiBank, identity.BankOperator)

	dep := f.apiDeparture(t, kgl, nil)
	put := map[string]any{"mode": "rail", "from": "KZHOR", "to": "KZALA", "depart_at": time.Now().Add(30 * time.Hour).UTC().Format(time.RFC3339),
		"arrive_at": time.Now().Add(50 * time.Hour).UTC().Format(time.RFC3339), "capacity_teu": 1, "currency": "USD", "price_per_teu": 1}
	// Another carrier: not found, like an id that does not exist.
	r := f.call(t, "PUT", apiLogistic+"/departures/"+dep, terf, put)
	unknown := f.call(t, "PUT", apiLogistic+"/departures/0190f000-0000-7000-8000-000000000000", terf, put)
	if r.status != 404 || unknown.status != 404 || r.json(t)["detail"] != unknown.json(t)["detail"] {
		t.Fatalf("another carrier's departure: %d %s / %d %s", r.status, r.body, unknown.status, unknown.body)
	}
	if d := f.call(t, "GET", apiLogistic+"/departures/"+dep, kgl, nil).json(t); d["capacity_teu"] != float64(20) || d["version"] != float64(1) {
		t.Fatalf("the departure changed: %v", d)
	}
	// A trader cannot publish or change a departure.
	if r := f.call(t, "POST", apiLogistic+"/departures", trader, put); r.status != 403 {
		t.Fatalf("trader publishes: %d", r.status)
	}

	ship := f.apiShipment(t, trader, nil)
	for _, c := range []struct{ method, path, tok string }{
		{"GET", "/shipments/" + ship, rival},
		{"POST", "/shipments/" + ship + "/book", rival},
		{"POST", "/shipments/" + ship + "/cancel", rival},
		{"GET", "/shipments/" + ship, terf}, // carries nothing of it
	} {
		if r := f.call(t, c.method, apiLogistic+c.path, c.tok, nil); r.status != 404 {
			t.Errorf("%s %s by an outsider: %d %s", c.method, c.path, r.status, r.body)
		}
	}
	if list := f.call(t, "GET", apiLogistic+"/shipments?limit=200", rival, nil).json(t)["items"].([]any); strings.Contains(fmt.Sprint(list), ship) {
		t.Fatal("another trader lists my shipment")
	}
	f.apiPost(t, apiLogistic+"/shipments/"+ship+"/book", trader, map[string]any{"departure_ids": []string{dep}}, 201)
	// A trader posting a carrier's event is refused by the route.
	if r := f.call(t, "POST", apiLogistic+"/shipments/"+ship+"/events", trader, map[string]any{"departure_id": dep, "kind": "departed"}); r.status != 403 {
		t.Fatalf("trader posts an event: %d %s", r.status, r.body)
	}
	// The other carrier still cannot see or report on it.
	if r := f.call(t, "POST", apiLogistic+"/shipments/"+ship+"/events", terf, map[string]any{"departure_id": dep, "kind": "departed"}); r.status != 404 {
		t.Fatalf("other carrier posts an event: %d %s", r.status, r.body)
	}
	// Only the platform administrator runs the dispatcher.
	if r := f.call(t, "POST", apiLogistic+"/plan", kgl, nil); r.status != 403 {
		t.Fatalf("carrier runs the dispatcher: %d", r.status)
	}
	// A bank may call nothing of logistics.
	n := 0
	for _, rt := range f.srv.Routes() {
		if !strings.HasPrefix(rt.Pattern, apiLogistic) {
			continue
		}
		n++
		if r := f.call(t, rt.Method, strings.ReplaceAll(rt.Pattern, "{id}", ship), bank, map[string]any{}); r.status != 403 {
			t.Errorf("bank %s %s: %d", rt.Method, rt.Pattern, r.status)
		}
	}
	if n != 12 {
		t.Fatalf("%d logistics routes", n)
	}
	// The carrier of the booked departure sees the shipment.
	if r := f.call(t, "GET", apiLogistic+"/shipments/"+ship, kgl, nil); r.status != 200 {
		t.Fatalf("carrier reads a shipment it carries: %d %s", r.status, r.body)
	}
}

// Bad input: unknown places and departures in the past answer 400 with
// field codes; nothing is written.
func TestAPILogisticsBadInput(t *testing.T) {
	f := getFixture(t)
	kgl := f.token(t, apiKGL, identity.Carrier)
	n := f.apiCount(t, "logistics_departures")
	r := f.call(t, "POST", apiLogistic+"/departures", kgl, map[string]any{"mode": "rail", "from": "QQQQQ", "to": "KZALA",
		"depart_at": time.Now().Add(-time.Hour).UTC().Format(time.RFC3339), "arrive_at": time.Now().Add(time.Hour).UTC().Format(time.RFC3339),
		"capacity_teu": 1, "currency": "USD", "price_per_teu": 1})
	if r.status != 400 || problemFieldCode(t, r, "from") != "unknown_locode" || problemFieldCode(t, r, "depart_at") != "must_be_future" {
		t.Fatalf("bad departure: %d %s", r.status, r.body)
	}
	if r := f.call(t, "POST", apiLogistic+"/departures", kgl, `{"mode":"rail","surprise":1}`); r.status != 400 {
		t.Fatalf("unknown field: %d", r.status)
	}
	if f.apiCount(t, "logistics_departures") != n {
		t.Fatal("a refused departure was written")
	}
}

// Many traders book the last TEU at once through the API: exactly the
// capacity succeeds, the rest get 409 with the field code capacity_left.
func TestAPILogisticsConcurrentLastTEU(t *testing.T) {
	f := getFixture(t)
	kgl := f.token(t, apiKGL, identity.Carrier)
	trader := f.token(t, apiKGE, identity.Trader)
	dep := f.apiDeparture(t, kgl, map[string]any{"capacity_teu": 2})
	const n = 8
	ships := make([]string, n)
	for i := range ships {
		ships[i] = f.apiShipment(t, trader, nil)
	}
	var wg sync.WaitGroup
	got := make([]response, n)
	start := make(chan struct{})
	for i := range ships {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			<-start
			got[i] = f.call(t, "POST", apiLogistic+"/shipments/"+ships[i]+"/book", trader, map[string]any{"departure_ids": []string{dep}})
		}(i)
	}
	close(start)
	wg.Wait()
	ok := 0
	for _, r := range got {
		switch {
		case r.status == 201:
			ok++
		case r.status == 409 && r.json(t)["code"] == "conflict" && problemFieldCode(t, r, "departure_ids[0]") == "capacity_left":
		default:
			t.Errorf("booking: %d %s", r.status, r.body)
		}
	}
	d := f.call(t, "GET", apiLogistic+"/departures/"+dep, kgl, nil).json(t)
	if ok != 2 || d["booked_teu"] != float64(2) {
		t.Fatalf("%d bookings, %v TEU booked on a 2-TEU departure", ok, d["booked_teu"])
	}
}

// Tracking through the API: out-of-order events are 409 with a code and
// leave nothing behind; the customs hold on the declaration blocks the
// border crossing and shows on the shipment; paying the duties (release)
// lifts it.
func TestAPILogisticsTrackingAndCustomsHold(t *testing.T) {
	f := getFixture(t)
	kgl := f.token(t, apiKGL, identity.Carrier)
	trader := f.token(t, apiKGE, identity.Trader)
	bank := f.token(t, apiBank, identity.BankOperator)
	vault := f.openAccount(t, bank, "KZT", false)
	acct := f.openAccount(t, trader, "KZT", true)
	if got := results(t, f.call(t, "POST", "/api/v1/ledger/transfers", bank, map[string]any{"transfers": []map[string]any{{"id": v7(),
		"debit_account_id": vault, "credit_account_id": acct, "amount": "50000000.00", "currency": "KZT", "reference": "deposit"}}})); got[0] != "ok" {
		t.Fatalf("funding: %v", got)
	}
	decl := f.apiGreenDeclaration(t, trader, apiKGE)
	declID := decl["id"].(string)

	// A departure that leaves in ten seconds, so that it can be reported as
	// departed right after booking.
	dep := f.apiDeparture(t, kgl, map[string]any{"from": "CNURC", "to": "KZHOR", "border_post": "KZHOR",
		"depart_at": time.Now().Add(10 * time.Second).UTC().Format(time.RFC3339), "arrive_at": time.Now().Add(20 * time.Hour).UTC().Format(time.RFC3339)})
	ship := f.apiShipment(t, trader, map[string]any{"origin": "CNURC", "destination": "KZHOR", "declaration_id": declID})
	f.apiPost(t, apiLogistic+"/shipments/"+ship+"/book", trader, map[string]any{"departure_ids": []string{dep}}, 201)
	ev := func(kind string) response {
		return f.call(t, "POST", apiLogistic+"/shipments/"+ship+"/events", kgl, map[string]any{"departure_id": dep, "kind": kind})
	}
	// Out of order: nothing written.
	if r := ev("arrived"); r.status != 409 || problemFieldCode(t, r, "kind") != "event_order" {
		t.Fatalf("arrived first: %d %s", r.status, r.body)
	}
	view := func() map[string]any { return f.call(t, "GET", apiLogistic+"/shipments/"+ship, trader, nil).json(t) }
	if v := view(); v["event_count"] != float64(0) || v["customs_hold"] != true {
		t.Fatalf("after a refused event: %v", v)
	}
	for _, k := range []string{"departed", "at_border"} {
		if r := ev(k); r.status != 201 {
			t.Fatalf("%s: %d %s", k, r.status, r.body)
		}
	}
	if r := ev("border_crossed"); r.status != 409 || problemFieldCode(t, r, "kind") != "customs_hold" {
		t.Fatalf("crossing under a hold: %d %s", r.status, r.body)
	}
	if d := f.apiPost(t, apiDecls+"/"+declID+"/pay", trader, map[string]any{"from_account_id": acct}, 200); d["status"] != "released" {
		t.Fatalf("pay: %v", d)
	}
	for _, k := range []string{"border_crossed", "arrived", "delivered"} {
		if r := ev(k); r.status != 201 {
			t.Fatalf("%s: %d %s", k, r.status, r.body)
		}
	}
	v := view()
	if v["status"] != "delivered" || v["customs_hold"] != false || v["tracking"].(map[string]any)["delivered"] != true {
		t.Fatalf("delivered: %v", v)
	}
}
