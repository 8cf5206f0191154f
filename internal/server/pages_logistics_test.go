package server

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"bricstown/internal/home"
	"bricstown/internal/identity"
)

func pageLocal(d time.Duration) string { return time.Now().Add(d).UTC().Format("2006-01-02T15:04") }

// formAs posts a page form with a bearer token (no cookie, so no CSRF), as
// a carrier's integration might.
func (f *fixture) formAs(t *testing.T, tok, path string, v url.Values) response {
	t.Helper()
	return f.call(t, "POST", path, tok, []byte(v.Encode()), "Content-Type", "application/x-www-form-urlencoded", "Accept-Language", "en")
}

// logisticsWorld is a cross-border shipment of Kazakh Grain Export from
// Urumqi to Almaty via Khorgos, on a departure of Khorgos Gateway
// Logistics, tied to a declaration that customs has not released.
type logisticsWorld struct {
	dep, ship, decl string
	kgl, terf, kge  string // tokens
}

func (f *fixture) logisticsWorld(t *testing.T, book bool) logisticsWorld {
	t.Helper()
	w := logisticsWorld{kgl: f.token(t, apiKGL, identity.Carrier), terf: f.token(t, apiTERF, identity.Carrier), kge: f.token(t, apiKGE, identity.Trader)}
	c := apiBeefImport(fmt.Sprintf("KGE-LOG-%d", time.Now().UnixNano()%1e9))
	c["documents"] = []any{apiInlineDoc("commercial_invoice"), apiInlineDoc("veterinary_certificate")}
	w.decl = f.apiPost(t, apiDecls+"?submit=true", w.kge, c, 201)["id"].(string)
	w.dep = f.apiDeparture(t, w.kgl, map[string]any{"from": "CNURC", "to": "KZALA", "border_post": "KZHOR"})
	w.ship = f.apiShipment(t, w.kge, map[string]any{"origin": "CNURC", "destination": "KZALA", "reference": "KGE-ROUTE-" + w.dep[len(w.dep)-6:],
		"declaration_id": w.decl})
	if book {
		f.apiPost(t, apiLogistic+"/shipments/"+w.ship+"/book", w.kge, map[string]any{"departure_ids": []string{w.dep}}, 201)
	}
	return w
}

// The forbidden cases first: another trader opening a shipment's page (or
// its live part, or its stream) gets the same 404 as an unknown id; a
// carrier reporting on a shipment it does not carry gets 404, and a
// carrier's page of another carrier's departure 404; a bank gets 403 on
// every logistics page; only the platform administrator dispatches.
func TestLogisticsPagesForbidden(t *testing.T) {
	f := getFixture(t)
	w := f.logisticsWorld(t, true)
	rival := f.cpBrowser(t, "trader@szdevices.cn")
	bank := f.cpBrowser(t, "treasury@steppebank.kz")
	carrier := f.cpBrowser(t, "dispatch@khorgosgw.kz")
	trader := f.cpBrowser(t, "trader@kazgrain.kz")
	unknown := "0190f000-0000-7000-8000-000000000000"

	for _, path := range []string{"/logistics/shipments/", "/logistics/shipments/%s/live"} {
		mine := strings.Replace(path, "%s", w.ship, 1)
		none := strings.Replace(path, "%s", unknown, 1)
		if !strings.Contains(path, "%s") {
			mine, none = path+w.ship, path+unknown
		}
		a, b := rival.get(t, mine), rival.get(t, none)
		if a.status != 404 || b.status != 404 {
			t.Fatalf("another trader opens %s: %d / unknown %d", mine, a.status, b.status)
		}
		if strings.Contains(string(a.body), "KGE-ROUTE") {
			t.Fatal("the 404 tells the shipment's reference")
		}
	}
	if r := f.call(t, "GET", apiLogistic+"/shipments/"+w.ship+"/stream", f.token(t, apiSZD, identity.Trader), nil); r.status != 404 {
		t.Fatalf("another trader streams the shipment: %d", r.status)
	}
	// A carrier that carries no leg of it: 404, nothing recorded.
	ev := url.Values{"departure_id": {w.dep}, "kind": {"departed"}}
	if r := f.formAs(t, w.terf, "/logistics/shipments/"+w.ship+"/events", ev); r.status != 404 {
		t.Fatalf("another carrier records an event: %d %s", r.status, excerpt(r.body))
	}
	// Its own departure, a shipment not booked on it: 404 too.
	other := f.apiShipment(t, w.kge, nil)
	if r := carrier.post(t, "/logistics/shipments/"+other+"/events", ev); r.status != 404 {
		t.Fatalf("carrier records on a shipment it does not carry: %d", r.status)
	}
	if v := f.call(t, "GET", apiLogistic+"/shipments/"+w.ship, w.kge, nil).json(t); v["event_count"] != float64(0) {
		t.Fatalf("an event was recorded: %v", v["event_count"])
	}
	// Another carrier's departure page: not found, like an unknown one.
	terfDep := f.apiDeparture(t, w.terf, nil)
	if a, b := carrier.get(t, "/logistics/departures/"+terfDep), carrier.get(t, "/logistics/departures/"+unknown); a.status != 404 || b.status != 404 {
		t.Fatalf("another carrier's departure page: %d / %d", a.status, b.status)
	}
	if r := f.formAs(t, w.kgl, "/logistics/departures/"+terfDep, url.Values{"mode": {"rail"}, "from": {"KZHOR"}, "to": {"KZALA"}}); r.status != 404 {
		t.Fatalf("carrier changes another's departure: %d", r.status)
	}
	// Roles: a trader has no departure pages and no event form; a carrier
	// and a trader no dispatcher; a bank nothing at all.
	wantIn(t, trader.get(t, "/logistics/departures/"+w.dep), 403)
	wantIn(t, trader.post(t, "/logistics/shipments/"+w.ship+"/events", ev), 403)
	wantIn(t, carrier.get(t, "/logistics/dispatch"), 403)
	wantIn(t, trader.post(t, "/logistics/dispatch", url.Values{}), 403)
	for _, path := range []string{"/logistics", "/logistics/shipments/" + w.ship, "/logistics/shipments/" + w.ship + "/live",
		"/logistics/departures/" + w.dep, "/logistics/dispatch"} {
		wantIn(t, bank.get(t, path), 403)
	}
	for _, path := range []string{"/logistics/departures", "/logistics/shipments", "/logistics/shipments/" + w.ship + "/book",
		"/logistics/shipments/" + w.ship + "/events", "/logistics/dispatch"} {
		wantIn(t, bank.post(t, path, url.Values{}), 403)
	}
}

// A carrier publishes a departure from its page (a refused form keeps what
// was typed), changes it on the departure's page and sees its utilisation
// chart; a trader enters a shipment from one of its declarations picked by
// reference, books a chosen chain; the shipment page shows the timeline,
// the route on the corridor map and the customs hold; the carrier reports
// the journey and is refused, in words, an event out of order and the
// border crossing while customs holds the goods.
func TestLogisticsPages(t *testing.T) {
	f := getFixture(t)
	carrier := f.cpBrowser(t, "dispatch@khorgosgw.kz")
	trader := f.cpBrowser(t, "trader@kazgrain.kz")
	w := f.logisticsWorld(t, false)

	dep := url.Values{"mode": {"rail"}, "from": {"KZDOS"}, "to": {"KZALA"}, "depart_at": {pageLocal(-time.Hour)}, "arrive_at": {pageLocal(30 * time.Hour)},
		"capacity_teu": {"4"}, "price_per_teu": {"1,250.00"}}
	n := f.apiCount(t, "logistics_departures")
	r := carrier.post(t, "/logistics/departures", dep)
	wantIn(t, r, 400, `id="departure-error"`, `value="KZDOS"`, `value="1,250.00"`, `aria-invalid="true"`)
	if f.apiCount(t, "logistics_departures") != n {
		t.Fatal("a refused departure was written")
	}
	dep.Set("depart_at", pageLocal(6*time.Hour))
	r = carrier.followDone(t, carrier.post(t, "/logistics/departures", dep))
	wantIn(t, r, 200, "The departure has been published.", "Dosytk → Almaty", "0 / 4", "1,250.00")
	m := regexp.MustCompile(`<tr id="d-([0-9a-f-]{36})"><th scope="row"><a href="/logistics/departures/[0-9a-f-]{36}" title="KZDOS → KZALA">`).FindStringSubmatch(string(r.body))
	if m == nil {
		t.Fatalf("no departure row: %s", excerpt(r.body))
	}
	depID := m[1]
	// Filters: from Dostyk keeps it, from Tashkent (where no leg starts) finds nothing.
	wantIn(t, carrier.get(t, "/logistics?dfrom=KZDOS"), 200, `id="d-`+depID+`"`, `id="df-clear"`)
	if r := carrier.get(t, "/logistics?dfrom=UZTAS"); strings.Contains(string(r.body), depID) || !strings.Contains(string(r.body), "No departure matches these filters.") {
		t.Fatal("the from filter does not filter")
	}

	// The departure's page: chart with booked and free, the edit form
	// filled in; a refused change keeps the input and says why.
	r = carrier.get(t, "/logistics/departures/"+depID)
	wantIn(t, r, 200, `id="dep-chart"`, "<svg", "Capacity booked", `value="KZDOS"`, `value="4"`)
	edit := url.Values{"mode": {"rail"}, "from": {"KZDOS"}, "to": {"KZALA"}, "depart_at": {dep.Get("depart_at")}, "arrive_at": {pageLocal(-2 * time.Hour)},
		"capacity_teu": {"6"}, "price_per_teu": {"1,300.00"}}
	wantIn(t, carrier.post(t, "/logistics/departures/"+depID, edit), 400, `value="6"`, `value="1,300.00"`, `class="field-error"`)
	edit.Set("arrive_at", pageLocal(40*time.Hour))
	wantIn(t, carrier.followDone(t, carrier.post(t, "/logistics/departures/"+depID, edit)), 200, "The departure has been changed.", "0 / 6")

	// The trader enters a shipment from one of its declarations, chosen
	// from a list by reference.
	r = trader.get(t, "/logistics")
	declRef := f.call(t, "GET", apiDecls+"/"+w.decl, w.kge, nil).json(t)["functional_reference_id"].(string)
	wantIn(t, r, 200, `<option value="`+w.decl+`">`+declRef)
	ship := url.Values{"reference": {"KGE-PAGE-1"}, "origin": {"KZDOS"}, "destination": {"KZALA"}, "ready_at": {pageLocal(0)},
		"deadline": {pageLocal(-time.Hour)}, "teu": {"1"}, "declaration_id": {w.decl}}
	r = trader.post(t, "/logistics/shipments", ship)
	wantIn(t, r, 400, `id="shipment-error"`, `value="KGE-PAGE-1"`, `<option value="`+w.decl+`" selected>`)
	ship.Set("deadline", pageLocal(96*time.Hour))
	r = trader.followDone(t, trader.post(t, "/logistics/shipments", ship))
	wantIn(t, r, 200, "The shipment has been entered.", "KGE-PAGE-1", "Not booked yet.", `id="route-map"`, `id="book-chain"`, `id="hold-banner"`,
		"Customs holds the goods")
	m = regexp.MustCompile(`sse-connect="/api/v1/logistics/shipments/([0-9a-f-]{36})/stream"`).FindStringSubmatch(string(r.body))
	if m == nil {
		t.Fatal("no event stream on the shipment page")
	}
	shipID := m[1]
	// The chosen chain: the carrier's departure.
	r = trader.followDone(t, trader.post(t, "/logistics/shipments/"+shipID+"/book", url.Values{"route": {"chain"}, "departure_id": {depID}, "back": {"shipment"}}))
	wantIn(t, r, 200, "The shipment has been booked.", `id="timeline"`, "Leg 1", "Khorgos Gateway Logistics", "Expected: departs", `id="cancel-form"`)
	wantIn(t, carrier.get(t, "/logistics/departures/"+depID), 200, "1 / 6")
	// Nothing ticked: refused beside the list, nothing booked twice.
	wantIn(t, trader.post(t, "/logistics/shipments/"+w.ship+"/book", url.Values{"route": {"chain"}, "back": {"shipment"}}), 400, "choose at least one departure")

	// The carrier reports: out of order is refused in words.
	f.apiPost(t, apiLogistic+"/shipments/"+w.ship+"/book", w.kge, map[string]any{"departure_ids": []string{w.dep}}, 201)
	r = carrier.get(t, "/logistics/shipments/"+w.ship)
	wantIn(t, r, 200, `id="event-form-1"`, `<option value="departed">Departed</option>`, "Urumqi")
	// The carrier learns that customs holds the goods, not the trader's declaration.
	if wdecl := f.call(t, "GET", apiDecls+"/"+w.decl, w.kge, nil).json(t)["functional_reference_id"].(string); strings.Contains(string(r.body), wdecl) ||
		strings.Contains(string(r.body), w.decl) || !strings.Contains(string(r.body), `id="hold-banner"`) {
		t.Fatal("the carrier's page names the trader's declaration, or hides the hold")
	}
	r = carrier.post(t, "/logistics/shipments/"+w.ship+"/events", url.Values{"departure_id": {w.dep}, "kind": {"arrived"}})
	wantIn(t, r, 409, `id="event-error"`, "Next on this leg: Departed.")
	for _, k := range []string{"departed", "at_border"} {
		wantIn(t, carrier.followDone(t, carrier.post(t, "/logistics/shipments/"+w.ship+"/events", url.Values{"departure_id": {w.dep}, "kind": {k}})),
			200, "The event has been recorded.")
	}
	// Customs holds the declaration: the crossing is refused, saying why.
	r = carrier.post(t, "/logistics/shipments/"+w.ship+"/events", url.Values{"departure_id": {w.dep}, "kind": {"border_crossed"}})
	wantIn(t, r, 409, "Not recorded: the declaration is not released yet")
	// Quarantine holds the goods: the trader's page says so.
	f.apiPost(t, apiDecls+"/"+w.decl+"/sps-hold", f.token(t, apiSPSPO, identity.QuarantineOfficer), map[string]any{"reason": "FMD under review"}, 200)
	r = trader.get(t, "/logistics/shipments/"+w.ship+"/live")
	wantIn(t, r, 200, `data-reason="held"`, "quarantine (SPS) has put the goods on hold", "Departed", "At the border post")
	if strings.Contains(string(r.body), "at_border") {
		t.Fatal("a raw event code on the page")
	}
	// In Russian, the events and the hold in Russian.
	ru := f.formsBrowser(t, "trader@kazgrain.kz", "ru")
	wantIn(t, ru.get(t, "/logistics/shipments/"+w.ship), 200, "На пограничном пункте", "карантинная служба")
}

// The dispatcher runs the plan from its page: assigned and unassigned
// (reasons in words), cost, lower bound, gap.
func TestLogisticsDispatchPage(t *testing.T) {
	f := getFixture(t)
	admin := f.cpBrowser(t, "admin@town.kz")
	kge := f.token(t, apiKGE, identity.Trader)
	// A shipment no departure can carry: Aktau to Tashkent.
	f.apiShipment(t, kge, map[string]any{"origin": "KZAAU", "destination": "UZTAS", "reference": "KGE-NOWAY"})
	wantIn(t, admin.get(t, "/logistics/dispatch"), 200, `id="run-form"`, `id="open-count"`)
	r := admin.post(t, "/logistics/dispatch", url.Values{})
	wantIn(t, r, 200, `id="run-result"`, `id="run-gap"`, "Proven lower bound", "KGE-NOWAY", "Shipments left without a route")
	if strings.Contains(string(r.body), ">no_route<") {
		t.Fatal("a raw reason code")
	}
	// The reason stays on the page until a run routes it.
	wantIn(t, admin.get(t, "/logistics/dispatch"), 200, "KGE-NOWAY")
}

// The carrier's and the trader's homes count what their logistics pages
// list behind the links.
func TestLogisticsHomeCountsMatchThePages(t *testing.T) {
	f := getFixture(t)
	w := f.logisticsWorld(t, true)
	f.apiPost(t, apiLogistic+"/shipments/"+w.ship+"/events", w.kgl, map[string]any{"departure_id": w.dep, "kind": "departed"}, 201)
	carrier := f.cpBrowser(t, "dispatch@khorgosgw.kz")
	trader := f.cpBrowser(t, "trader@kazgrain.kz")
	num := regexp.MustCompile(`id="%s"><a href="([^"]+)">(\d+)`)
	count := func(b *browser, id string) (string, int) {
		t.Helper()
		r := b.get(t, "/")
		m := regexp.MustCompile(fmt.Sprintf(num.String(), id)).FindStringSubmatch(string(r.body))
		if m == nil {
			t.Fatalf("home lacks %s: %s", id, excerpt(r.body))
		}
		var n int
		fmt.Sscan(m[2], &n)
		return strings.ReplaceAll(m[1], "&amp;", "&"), n
	}
	f.apiDeparture(t, w.kgl, map[string]any{"depart_at": time.Now().Add(5 * time.Hour).UTC().Format(time.RFC3339)})
	rows := func(b *browser, href, row string) int {
		return strings.Count(string(b.get(t, href).body), row)
	}
	for _, c := range []struct {
		b       *browser
		id, row string
	}{{carrier, "h-awaiting", `<tr id="s-`}, {carrier, "h-soon", `<tr id="d-`}, {trader, "h-transit", `<tr id="s-`}, {trader, "h-held", `<tr id="s-`}} {
		href, n := count(c.b, c.id)
		if n == 0 {
			t.Errorf("%s counts nothing", c.id)
		}
		if got := rows(c.b, href, c.row); got != n {
			t.Errorf("%s: home says %d, %s lists %d", c.id, n, href, got)
		}
	}
	// The same read as the home service's.
	p := &identity.Principal{UserID: "x", OrgID: f.orgs[apiKGL].ID, OrgKind: identity.KindLogisticsOperator, Roles: []identity.Role{identity.Carrier}}
	work, err := home.CarrierWork(context.Background(), f.srv.Logistics, p, time.Now())
	if err != nil || len(work.Awaiting) == 0 {
		t.Fatalf("carrier work: %v %v", work, err)
	}
}

// The shipment's stream follows the declaration: a quarantine hold and its
// release reach an open stream at once, and booking, cancelling and events
// publish logistics.shipment.status on the shipment's topic, for the
// owner's organisation (its webhooks).
func TestLogisticsShipmentStream(t *testing.T) {
	f := getFixture(t)
	w := f.logisticsWorld(t, false)
	sub := f.srv.Notify.Subscribe(w.ship)
	defer sub.Close()
	f.apiPost(t, apiLogistic+"/shipments/"+w.ship+"/book", w.kge, map[string]any{"departure_ids": []string{w.dep}}, 201)
	select {
	case ev := <-sub.C:
		if ev.Type != EventTypeShipment || ev.OrgID != f.orgs[apiKGE].ID || !strings.Contains(string(ev.Data), `"status":"booked"`) {
			t.Fatalf("published %+v %s", ev, ev.Data)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("booking published nothing")
	}

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", f.ts.URL+apiLogistic+"/shipments/"+w.ship+"/stream", nil)
	req.Header.Set("Authorization", "Bearer "+w.kge)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/event-stream" {
		t.Fatalf("stream: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	lines := bufio.NewScanner(resp.Body)
	next := func() string {
		t.Helper()
		for lines.Scan() {
			if d, ok := strings.CutPrefix(lines.Text(), "data: "); ok {
				return d
			}
		}
		t.Fatalf("stream ended: %v", lines.Err())
		return ""
	}
	if d := next(); !strings.Contains(d, `"action":"snapshot"`) || !strings.Contains(d, `"customs_hold":true`) {
		t.Fatalf("snapshot %s", d)
	}
	sps := f.token(t, apiSPSPO, identity.QuarantineOfficer)
	start := time.Now()
	f.apiPost(t, apiDecls+"/"+w.decl+"/sps-hold", sps, map[string]any{"reason": "FMD under review"}, 200)
	if d := next(); !strings.Contains(d, `"customs_hold_reason":"held"`) || time.Since(start) > time.Second {
		t.Fatalf("after the hold (%v): %s", time.Since(start), d)
	}
	f.apiPost(t, apiDecls+"/"+w.decl+"/sps-release", sps, map[string]any{"note": "cleared"}, 200)
	if d := next(); strings.Contains(d, `"customs_hold_reason":"held"`) {
		t.Fatalf("after the release: %s", d)
	}
}
