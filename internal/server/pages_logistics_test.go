package server

import (
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"
)

// A carrier publishes a departure from its page and sees how full it is; a
// trader enters a shipment and books it on the best route from its page;
// a bank cannot open the page.
func TestLogisticsPages(t *testing.T) {
	f := getFixture(t)
	carrier := f.cpBrowser(t, "dispatch@khorgosgw.kz")
	trader := f.cpBrowser(t, "trader@kazgrain.kz")
	bank := f.cpBrowser(t, "treasury@steppebank.kz")
	wantIn(t, bank.get(t, "/logistics"), 403)

	local := func(d time.Duration) string { return time.Now().Add(d).UTC().Format("2006-01-02T15:04") }
	dep := url.Values{"mode": {"rail"}, "from": {"KZDOS"}, "to": {"KZALA"}, "depart_at": {local(-time.Hour)}, "arrive_at": {local(30 * time.Hour)},
		"capacity_teu": {"4"}, "price_per_teu": {"1,250.00"}}
	n := f.apiCount(t, "logistics_departures")
	r := carrier.post(t, "/logistics/departures", dep)
	wantIn(t, r, 400, `id="departure-error"`, `value="KZDOS"`)
	if f.apiCount(t, "logistics_departures") != n {
		t.Fatal("a refused departure was written")
	}
	dep.Set("depart_at", local(6*time.Hour))
	r = carrier.followDone(t, carrier.post(t, "/logistics/departures", dep))
	wantIn(t, r, 200, "The departure has been published.", "KZDOS → KZALA", "0 / 4", "1,250.00")

	ship := url.Values{"reference": {"KGE-PAGE-1"}, "origin": {"KZDOS"}, "destination": {"KZALA"}, "ready_at": {local(0)},
		"deadline": {local(48 * time.Hour)}, "teu": {"1"}}
	r = trader.followDone(t, trader.post(t, "/logistics/shipments", ship))
	wantIn(t, r, 200, "The shipment has been entered.", "KGE-PAGE-1")
	m := regexp.MustCompile(`<tr id="s-([0-9a-f-]{36})"><th scope="row">KGE-PAGE-1`).FindStringSubmatch(string(r.body))
	if m == nil {
		t.Fatalf("no row: %s", excerpt(r.body))
	}
	if strings.Contains(string(r.body), `id="departure-form"`) {
		t.Fatal("a trader is offered the carrier's form")
	}
	r = trader.followDone(t, trader.post(t, "/logistics/shipments/"+m[1]+"/book", url.Values{}))
	wantIn(t, r, 200, "The shipment has been booked.")
	wantIn(t, carrier.get(t, "/logistics"), 200, "1 / 4", "25%")
	wantIn(t, trader.post(t, "/logistics/departures", dep), 403)
}
