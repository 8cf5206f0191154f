package server

import (
	"net/url"
	"strings"
	"testing"

	"bricstown/internal/identity"
)

// The platform administrator runs clearing but sees no company's invoices:
// the invoice pages and API answer 403 (the route table refuses, and the
// service would too), the menu offers the clearing-runs page instead, and
// a run's report carries figures and firm lines but no invoice.
func TestAdminRunsClearingWithoutInvoices(t *testing.T) {
	f := getFixture(t)
	admin := f.browser(t, "admin@town.kz") // platform_admin and org_admin of the town's administration
	adminTok := f.token(t, "BRICS Town Administration", identity.PlatformAdmin)
	trader := f.browser(t, "trader@kazgrain.kz")

	// Forbidden first: every invoice page and endpoint.
	for _, path := range []string{"/obligations", "/obligations?side=payable"} {
		if r := admin.get(t, path); r.status != 403 {
			t.Errorf("admin GET %s: %d", path, r.status)
		}
	}
	for _, path := range []string{"/obligations/invoices", "/obligations/invoices/csv", "/obligations/invoices/" + v7() + "/confirm"} {
		if r := admin.post(t, path, url.Values{"csv_text": {"x"}}); r.status != 403 {
			t.Errorf("admin POST %s: %d", path, r.status)
		}
	}
	for _, c := range []struct{ method, path string }{{"GET", "/api/v1/obligations/invoices"}, {"GET", "/api/v1/obligations/invoices/" + v7()},
		{"POST", "/api/v1/obligations/invoices"}, {"POST", "/api/v1/obligations/invoices/" + v7() + "/confirm"}} {
		if r := f.call(t, c.method, c.path, adminTok, map[string]any{"invoices": []any{}}); r.status != 403 {
			t.Errorf("admin %s %s: %d", c.method, c.path, r.status)
		}
	}
	// A trader neither opens the clearing control nor runs clearing.
	if r := trader.get(t, "/obligations/runs"); r.status != 403 {
		t.Errorf("trader opens the clearing control: %d", r.status)
	}
	if r := trader.post(t, "/obligations/runs", url.Values{}); r.status != 403 {
		t.Errorf("trader runs clearing: %d", r.status)
	}

	// The administrator's menu has the runs, not the register; a trader's
	// the register, not the control.
	home := admin.get(t, "/")
	wantIn(t, home, 200, `href="/obligations/runs"`)
	if strings.Contains(string(home.body), `href="/obligations"`) {
		t.Error("the administrator's menu offers the invoice register")
	}
	th := trader.get(t, "/")
	wantIn(t, th, 200, `href="/obligations"`)
	if strings.Contains(string(th.body), `href="/obligations/runs"`) {
		t.Error("a trader's menu offers the clearing control")
	}

	// Allowed: the control page, a run, its report without invoices.
	r := admin.get(t, "/obligations/runs")
	wantIn(t, r, 200, `id="run-now"`, `id="run-list"`, "What the next run works on")
	if strings.Contains(string(r.body), `id="invoices"`) {
		t.Error("the clearing control lists invoices")
	}
	r = admin.post(t, "/obligations/runs", url.Values{})
	if r.status != 303 || !strings.HasPrefix(r.header.Get("Location"), "/obligations/runs/") {
		t.Fatalf("run: %d %s", r.status, r.header.Get("Location"))
	}
	rep := admin.follow(t, r)
	wantIn(t, rep, 200, `id="run-facts"`, `href="/obligations/runs"`)
	if strings.Contains(string(rep.body), `id="run-setoffs"`) || strings.Contains(string(rep.body), `id="setoffs-h"`) {
		t.Error("the administrator's run report lists invoices")
	}
	if api := f.call(t, "POST", "/api/v1/obligations/runs", adminTok, nil); api.status != 201 {
		t.Fatalf("API run: %d %s", api.status, api.body)
	} else if _, ok := api.json(t)["set_offs"]; ok {
		t.Error("the API's run report lists invoices to the administrator")
	}
	for _, lang := range []string{"ru", "zh", "kk", "pt"} {
		wantIn(t, admin.get(t, "/obligations/runs?lang="+lang), 200, `id="run-now"`)
	}
}
