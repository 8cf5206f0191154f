package server

import (
	"net/url"
	"regexp"
	"strings"
	"testing"

	"bricstown/internal/demo"
	"bricstown/internal/identity"
)

// demoExpoID is the demo town's commodity expo.
func (f *fixture) demoExpoID(t *testing.T) string {
	t.Helper()
	r := f.call(t, "GET", "/api/v1/expos", f.token(t, apiKGE, identity.Trader), nil)
	for _, it := range r.json(t)["items"].([]any) {
		if m := it.(map[string]any); m["name"] == demo.DemoExpoName {
			return m["id"].(string)
		}
	}
	t.Fatalf("no demo expo in %s", r.body)
	return ""
}

// The expo pages: roles outside refused, a company cannot reach the
// organiser's queue nor create an expo; the organiser sees the floor plan,
// the queue and the scheduler's result against the greedy baseline; an
// exhibitor sees its application, its meetings and its agenda, and
// another company does not see the exhibitor's requests; a refused form
// comes back with its fields marked; the pages speak Russian.
func TestExpoPages(t *testing.T) {
	f := getFixture(t)
	id := f.demoExpoID(t)
	officer := f.cpBrowser(t, "officer@customs.kz")
	trader := f.cpBrowser(t, "trader@kazgrain.kz")
	venue := f.cpBrowser(t, "events@expo.town.kz")
	gulf := f.cpBrowser(t, "trader@gulfdates.ae")
	resident := f.cpBrowser(t, "resident@residents.town.kz")

	wantIn(t, officer.get(t, "/expo"), 403)
	wantIn(t, resident.get(t, "/expo/"+id), 403)
	wantIn(t, trader.get(t, "/expo/"+id+"/manage"), 403)
	wantIn(t, trader.post(t, "/expo", url.Values{"name": {"Pirate expo"}}), 403)
	wantIn(t, trader.post(t, "/expo/"+id+"/schedule", url.Values{}), 403)
	wantIn(t, venue.get(t, "/expo/"+id+"/meetings"), 403)
	wantIn(t, trader.get(t, "/expo/0194c1f2-0000-7000-8000-000000000000"), 404)

	// The homes: the organiser's queue, the exhibitor's request to answer.
	wantIn(t, venue.get(t, "/"), 200, `id="h-organiser"`, `id="h-expo-pending"`, "applications waiting for a decision", "/expo/"+id+"/manage")
	wantIn(t, trader.get(t, "/"), 200, `id="h-expo-requests"`, "expo meeting request to answer", "/expo/"+id+"/meetings")

	wantIn(t, venue.get(t, "/expo"), 200, demo.DemoExpoName, `id="expo-form"`)
	wantIn(t, venue.get(t, "/expo/"+id), 200, `class="chart booth-map"`, `class="booth paid"`, `class="booth allocated"`, `class="booth free"`, "Kazakh Grain Export", `id="manage-link"`)
	wantIn(t, venue.get(t, "/expo/"+id+"/manage"), 200, `id="applications"`, `id="run-report"`, "greedy baseline", `id="timetable"`, "Sidamo Coffee Union")

	r := trader.get(t, "/expo/"+id)
	wantIn(t, r, 200, `id="my-application"`, `id="meetings-link"`, `id="showcase-form"`)
	if strings.Contains(string(r.body), `id="expo-form"`) || strings.Contains(string(r.body), `id="manage-link"`) {
		t.Fatal("a company is offered the organiser's forms")
	}
	m := trader.get(t, "/expo/"+id+"/meetings")
	wantIn(t, m, 200, `id="agenda"`, `id="ics-link"`, "Gulf Dates Trading", "Nusantara Palm Industries")
	// Gulf Dates sees its own requests, not KGE's with Nusantara.
	g := gulf.get(t, "/expo/"+id+"/meetings")
	wantIn(t, g, 200, "Kazakh Grain Export")
	if strings.Contains(string(g.body), "Barley for feed") {
		t.Fatal("another company's meeting request is shown")
	}
	// A request addressed to KGE cannot be answered by Gulf Dates.
	if req := regexp.MustCompile(`action="/expo/[0-9a-f-]+/meetings/([0-9a-f-]{36})/answer"`).FindStringSubmatch(string(m.body)); req != nil {
		wantIn(t, gulf.post(t, "/expo/"+id+"/meetings/"+req[1]+"/answer", url.Values{"answer": {"accept"}}), 404)
	} else {
		t.Fatal("KGE has no request to answer")
	}

	// A refused form keeps what was typed and marks the field.
	bad := venue.post(t, "/expo/"+id+"/halls", url.Values{"name": {"Hall 9"}, "rows": {"x"}, "cols": {"3"}})
	wantIn(t, bad, 400, `id="manage-error"`, `value="Hall 9"`, "field-error")

	wantIn(t, trader.get(t, "/expo?lang=ru"), 200, "Выставки", demo.DemoExpoName)
	wantIn(t, venue.get(t, "/expo/"+id+"/manage?lang=zh"), 200, "B2B洽谈排程")
}
