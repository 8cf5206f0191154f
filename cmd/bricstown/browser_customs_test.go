package main

import (
	"context"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"bricstown/internal/browsertest"
	"bricstown/internal/identity"
	"bricstown/internal/sqlstore"

	"github.com/chromedp/chromedp"
)

// TestBrowserCustomsStatusIsLive: a trader has a pre-lodged declaration
// open in Chromium; a customs officer records the goods' arrival through
// the API; the trader's page shows the assessment's lane without a reload,
// within seconds (the page's fallback poll runs only every 30 s, so only
// the server-sent event can make it in time).
func TestBrowserCustomsStatusIsLive(t *testing.T) {
	ctx := browsertest.New(t)
	dsn := filepath.Join(t.TempDir(), "live.db")
	srv := startServer(t, dsn, "--demo")

	bg := context.Background()
	db, err := sqlstore.Open(bg, dsn, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var declID string
	if err := db.SQL.QueryRow(`SELECT id FROM customs_declarations WHERE reference = 'DEMO-KGE-0103' AND status = 'submitted'`).Scan(&declID); err != nil {
		t.Fatalf("the demo's pre-lodged declaration: %v", err)
	}
	ids := identity.NewService(db, identity.Config{})
	officer, err := ids.UserByEmail(bg, "officer@customs.kz")
	if err != nil {
		t.Fatal(err)
	}
	_, token, err := ids.CreateToken(bg, &identity.Principal{UserID: officer.ID, OrgID: officer.OrgID, OrgKind: identity.KindCustomsAuthority,
		Roles: []identity.Role{identity.CustomsOfficer, identity.OrgAdmin}, Via: "session"}, officer.OrgID,
		identity.NewToken{Name: "browser test", Roles: []identity.Role{identity.CustomsOfficer}})
	if err != nil {
		t.Fatal(err)
	}

	step := func(what string, steps ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(ctx, steps...); err != nil {
			browsertest.Screenshot(ctx, t, "failed "+what)
			t.Fatalf("%s: %v\n%s", what, err, srv.log)
		}
	}
	step("sign in as the trader",
		chromedp.Navigate(srv.url+"/login"),
		chromedp.WaitVisible(chromedp.CSS(`#email`)),
		chromedp.SendKeys(chromedp.CSS(`#email`), "trader@kazgrain.kz"),
		chromedp.SendKeys(chromedp.CSS(`#password`), "bricstown-demo"),
		chromedp.Click(chromedp.CSS(`#login`)),
		chromedp.WaitVisible(chromedp.CSS(`#home-title`)),
		chromedp.Navigate(srv.url+"/customs/"+declID+"?lang=en"),
		chromedp.WaitVisible(chromedp.CSS(`#status-badge`)),
	)
	before, _ := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(`#status-badge`)))
	if n, _ := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll("#lane-badge").length`)); n != 0 {
		t.Fatalf("a lane before arrival (status %q)", before)
	}
	// Wait until the page's event stream is open (htmx's SSE extension
	// keeps its EventSource in the element's internal data).
	step("the event stream to connect", chromedp.Poll[chromedp.Void](
		`(() => { const d = document.querySelector('#live-wrap')?.['htmx-internal-data']; return d?.sseEventSource?.readyState === 1; })()`,
		chromedp.WithPollingTimeout(10*time.Second)))

	req, _ := http.NewRequest("POST", srv.url+"/api/v1/customs/declarations/"+declID+"/arrive", strings.NewReader(`{}`))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("officer records arrival: %d", resp.StatusCode)
	}
	live, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := chromedp.Do(live, chromedp.WaitVisible(chromedp.CSS(`#lane-badge`))); err != nil {
		browsertest.Screenshot(ctx, t, "not live")
		t.Fatalf("the trader's page did not show the lane within 10 s of the officer's decision: %v", err)
	}
	after, _ := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(`#status-badge`)))
	if after == before {
		t.Fatalf("status still %q", after)
	}
	t.Logf("status %q → %q, live", before, after)
}
