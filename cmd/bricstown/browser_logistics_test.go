package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"path/filepath"
	"testing"
	"time"

	"bricstown/internal/browsertest"
	"bricstown/internal/identity"
	"bricstown/internal/sqlstore"

	"github.com/chromedp/chromedp"
)

// logisticsSeed is a cross-border shipment of the demo's grain exporter,
// Urumqi → Almaty via Khorgos on a departure of Khorgos Gateway Logistics,
// tied to its pre-lodged declaration DEMO-KGE-0103, booked, departed and
// at the border post. It is made through the API (the demo's own network
// comes with the logistics demo data), so the pages have something to show.
type logisticsSeed struct {
	ship, dep, decl string
	quarantine      string // a quarantine officer's token
}

func seedLogistics(t *testing.T, srv *running, dsn string) logisticsSeed {
	t.Helper()
	bg := context.Background()
	db, err := sqlstore.Open(bg, dsn, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ids := identity.NewService(db, identity.Config{})
	token := func(email string, kind identity.OrgKind, role identity.Role) string {
		t.Helper()
		u, err := ids.UserByEmail(bg, email)
		if err != nil {
			t.Fatal(err)
		}
		_, tok, err := ids.CreateToken(bg, &identity.Principal{UserID: u.ID, OrgID: u.OrgID, OrgKind: kind,
			Roles: []identity.Role{role, identity.OrgAdmin}, Via: "session"}, u.OrgID, identity.NewToken{Name: "logistics seed", Roles: []identity.Role{role}})
		if err != nil {
			t.Fatalf("token for %s: %v", email, err)
		}
		return tok
	}
	var s logisticsSeed
	if err := db.SQL.QueryRow(`SELECT id FROM customs_declarations WHERE reference = 'DEMO-KGE-0103'`).Scan(&s.decl); err != nil {
		t.Fatalf("the demo's pre-lodged declaration: %v", err)
	}
	carrier := token("dispatch@khorgosgw.kz", identity.KindLogisticsOperator, identity.Carrier)
	trader := token("trader@kazgrain.kz", identity.KindCompany, identity.Trader)
	s.quarantine = token("inspector@sps.kz", identity.KindQuarantineAuthority, identity.QuarantineOfficer)
	call := func(tok, path string, body any, want int) map[string]any {
		t.Helper()
		b, _ := json.Marshal(body)
		req, _ := http.NewRequest("POST", srv.url+path, bytes.NewReader(b))
		req.Header.Set("Authorization", "Bearer "+tok)
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out map[string]any
		_ = json.NewDecoder(resp.Body).Decode(&out)
		if resp.StatusCode != want {
			t.Fatalf("POST %s: %d %v", path, resp.StatusCode, out)
		}
		return out
	}
	at := func(d time.Duration) string { return time.Now().Add(d).UTC().Format(time.RFC3339) }
	s.dep = call(carrier, "/api/v1/logistics/departures", map[string]any{"mode": "rail", "from": "CNURC", "to": "KZALA", "border_post": "KZHOR",
		"depart_at": at(20 * time.Hour), "arrive_at": at(60 * time.Hour), "capacity_teu": 40, "capacity_kg": 1_000_000, "currency": "USD",
		"price_per_teu": 95000, "price_per_kg": 2}, 201)["id"].(string)
	s.ship = call(trader, "/api/v1/logistics/shipments", map[string]any{"reference": "KGE-BARLEY-7", "origin": "CNURC", "destination": "KZALA",
		"ready_at": at(0), "deadline": at(120 * time.Hour), "teu": 2, "kg": 52_000, "declaration_id": s.decl}, 201)["id"].(string)
	call(trader, "/api/v1/logistics/shipments/"+s.ship+"/book", map[string]any{"departure_ids": []string{s.dep}}, 201)
	for _, k := range []string{"departed", "at_border"} {
		call(carrier, "/api/v1/logistics/shipments/"+s.ship+"/events", map[string]any{"departure_id": s.dep, "kind": k}, 201)
	}
	return s
}

// TestBrowserShipmentHoldIsLive: a trader has its shipment's page open in
// Chromium; quarantine puts the goods of its declaration on hold through
// the API, then lifts the hold; the page's customs banner shows each
// within seconds without a reload (its fallback poll runs only every
// 60 s, so only the server-sent events of the shipment's stream, which
// listens to the declaration, can make it in time).
func TestBrowserShipmentHoldIsLive(t *testing.T) {
	ctx := browsertest.New(t)
	dsn := filepath.Join(t.TempDir(), "logistics.db")
	srv := startServer(t, dsn, "--demo")
	s := seedLogistics(t, srv, dsn)

	step := func(what string, steps ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(ctx, steps...); err != nil {
			browsertest.Screenshot(ctx, t, "failed "+what)
			t.Fatalf("%s: %v\n%s", what, err, srv.log)
		}
	}
	step("sign in as the trader and open the shipment",
		chromedp.Navigate(srv.url+"/login"),
		chromedp.WaitVisible(chromedp.CSS(`#email`)),
		chromedp.SendKeys(chromedp.CSS(`#email`), "trader@kazgrain.kz"),
		chromedp.SendKeys(chromedp.CSS(`#password`), "bricstown-demo"),
		chromedp.Click(chromedp.CSS(`#login`)),
		chromedp.WaitVisible(chromedp.CSS(`#home-title`)),
		chromedp.Navigate(srv.url+"/logistics/shipments/"+s.ship+"?lang=en"),
		chromedp.WaitVisible(chromedp.CSS(`#hold-banner`)),
		chromedp.WaitVisible(chromedp.CSS(`#route-map`)),
	)
	if n, _ := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll('#hold-banner[data-reason="held"]').length`)); n != 0 {
		t.Fatal("a quarantine hold before quarantine held anything")
	}
	step("the event stream to connect", chromedp.Poll[chromedp.Void](
		`(() => { const d = document.querySelector('#live-wrap')?.['htmx-internal-data']; return d?.sseEventSource?.readyState === 1; })()`,
		chromedp.WithPollingTimeout(10*time.Second)))

	post := func(path string, body string) {
		t.Helper()
		req, _ := http.NewRequest("POST", srv.url+path, bytes.NewReader([]byte(body)))
		req.Header.Set("Authorization", "Bearer "+s.quarantine)
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("POST %s: %d", path, resp.StatusCode)
		}
	}
	wait := func(what, sel string) time.Duration {
		t.Helper()
		start := time.Now()
		live, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		if err := chromedp.Do(live, chromedp.WaitVisible(chromedp.CSS(sel))); err != nil {
			browsertest.Screenshot(ctx, t, "not live: "+what)
			t.Fatalf("the shipment page did not show %s within 10 s: %v", what, err)
		}
		return time.Since(start)
	}
	post("/api/v1/customs/declarations/"+s.decl+"/sps-hold", `{"reason":"pests found in a sample"}`)
	held := wait("the quarantine hold", `#hold-banner[data-reason="held"]`)
	text, _ := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(`#hold-banner`)))
	post("/api/v1/customs/declarations/"+s.decl+"/sps-release", `{"note":"re-inspected"}`)
	released := wait("the release", `#hold-banner:not([data-reason="held"])`)
	t.Logf("hold shown after %v (%q), release after %v", held, text, released)
}
