package server

import (
	"encoding/json"
	"fmt"
	"html"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// homeUsers is one demo user per role a home is built for, and a few with
// no work queue (they see the town).
var homeUsers = []string{
	"trader@kazgrain.kz",            // trader
	"admin@kazgrain.kz",             // a trading firm's administrator (declarant)
	"treasury@steppebank.kz",        // bank treasurer
	"operations@settlement.town.kz", // settlement centre operator
	"officer@customs.kz",            // customs officer
	"chief@customs.kz",              // customs officer and org admin
	"inspector@sps.kz",              // quarantine inspector
	"admin@town.kz",                 // platform administrator
	"dispatch@khorgosgw.kz",         // carrier: no queue yet
	"resident@residents.town.kz",    // resident: no queue yet
}

var hrefRE = regexp.MustCompile(`href="([^"]+)"`)

// homeFigure reads the number a home figure with id starts with.
func homeFigure(t *testing.T, body []byte, id string) int {
	t.Helper()
	re := regexp.MustCompile(`id="` + regexp.QuoteMeta(id) + `">(?:<a href="[^"]*">)?(?:<span class="home-value">)?(\d+)`)
	m := re.FindSubmatch(body)
	if m == nil {
		t.Fatalf("no figure %s on the home: %s", id, excerpt(body))
	}
	n, _ := strconv.Atoi(string(m[1]))
	return n
}

func myHome(t *testing.T, b *browser) map[string]any {
	t.Helper()
	r := b.get(t, "/api/v1/me/home")
	if r.status != 200 {
		t.Fatalf("/api/v1/me/home: %d %s", r.status, r.body)
	}
	var m map[string]any
	if err := json.Unmarshal(r.body, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// Every link on every role's home, the navigation included, opens: no 403
// (a page the role may not open), no 404, no error.
func TestHomeLinksOpenForTheirRole(t *testing.T) {
	f := getFixture(t)
	f.settlementWorld(t)
	for _, email := range homeUsers {
		b := f.browser(t, email)
		r := b.get(t, "/")
		wantIn(t, r, 200, `id="home-title"`)
		seen := map[string]bool{}
		for _, m := range hrefRE.FindAllSubmatch(r.body, -1) {
			link := html.UnescapeString(string(m[1]))
			if i := strings.IndexByte(link, '#'); i >= 0 {
				link = link[:i]
			}
			if link == "" || strings.HasPrefix(link, "/static/") || seen[link] {
				continue
			}
			seen[link] = true
			got := b.get(t, link)
			if got.status >= 400 {
				t.Errorf("%s: the home links to %s, which answers %d", email, link, got.status)
			}
		}
		if len(seen) < 3 {
			t.Errorf("%s: only %d links on the home", email, len(seen))
		}
	}
}

// The figures on a home are the pages' own: the customs console's tab
// counts, the quarantine page's counters and the settlement queue.
func TestHomeCountsMatchThePages(t *testing.T) {
	f := getFixture(t)

	officer := f.browser(t, "officer@customs.kz")
	home := officer.get(t, "/")
	console := officer.get(t, "/customs/console")
	h := myHome(t, officer)["customs"].(map[string]any)
	for _, tab := range []string{"all", "green", "yellow", "red", "blue", "prelodged"} {
		m := regexp.MustCompile(`class="tab-` + tab + `">[^<]*<span class="count">(\d+)`).FindSubmatch(console.body)
		if m == nil {
			t.Fatalf("no %s tab count on the console: %s", tab, excerpt(console.body))
		}
		onPage, _ := strconv.Atoi(string(m[1]))
		if got := homeFigure(t, home.body, "h-customs-"+tab); got != onPage {
			t.Errorf("customs %s: home says %d, the console %d", tab, got, onPage)
		}
		var api float64
		if tab == "all" || tab == "prelodged" {
			api = h[tab].(map[string]any)["count"].(float64)
		} else {
			api = h["lanes"].(map[string]any)[tab].(map[string]any)["count"].(float64)
		}
		if int(api) != onPage {
			t.Errorf("customs %s: the API says %v, the console %d", tab, api, onPage)
		}
	}
	if homeFigure(t, home.body, "h-customs-all") == 0 {
		t.Error("the demo gives the customs officer an empty queue")
	}

	inspector := f.browser(t, "inspector@sps.kz")
	home = inspector.get(t, "/")
	page := inspector.get(t, "/customs/quarantine")
	for id, pageID := range map[string]string{"h-sps-inspection": "n-inspection", "h-sps-lab": "n-lab", "h-sps-held": "n-held"} {
		m := regexp.MustCompile(`id="` + pageID + `">(\d+)<`).FindSubmatch(page.body)
		if m == nil {
			t.Fatalf("no %s on the quarantine page", pageID)
		}
		onPage, _ := strconv.Atoi(string(m[1]))
		if got := homeFigure(t, home.body, id); got != onPage {
			t.Errorf("quarantine %s: home says %d, the page %d", id, got, onPage)
		}
	}
	if rows, got := strings.Count(string(page.body), `class="decl-card" id="row-`), homeFigure(t, home.body, "h-sps-all"); rows != got || got == 0 {
		t.Errorf("quarantine queue: home says %d, the page lists %d", got, rows)
	}

	// Settlement: a new instruction shows on the bank's and the centre's
	// home as one more unsettled instruction, as on the settlement page.
	banks := f.settlementWorld(t)
	f.drainSettlement(t)
	op := f.browser(t, "operations@settlement.town.kz")
	bank := f.browser(t, "treasury@steppebank.kz")
	queueRows := func(b *browser) int {
		p := b.get(t, "/settlement")
		q := string(p.body)
		i := strings.Index(q, `id="queue"`)
		if i < 0 {
			return 0
		}
		q = q[i:]
		return strings.Count(q[:strings.Index(q, "</table>")], "<tr><td>")
	}
	check := func(want int) {
		t.Helper()
		for name, b := range map[string]*browser{"centre": op, "bank": bank} {
			got := homeFigure(t, b.get(t, "/").body, "h-settle-unsettled")
			if rows := queueRows(b); got != rows || got != want {
				t.Errorf("%s: home says %d unsettled, the settlement page lists %d, want %d", name, got, rows, want)
			}
		}
	}
	check(0)
	e2e := fmt.Sprintf("HOME-%d", time.Now().UnixNano()%1e9)
	submitResults(t, f.call(t, "POST", "/api/v1/settlement/instructions", banks[0].tok,
		map[string]any{"instructions": []any{submitOne(e2e, banks[1].bic, "12.00", "KZT")}}))
	check(1)
	flows := myHome(t, bank)["bank"].(map[string]any)["settlement"].(map[string]any)["flows"].([]any)
	if len(flows) != 1 || flows[0].(map[string]any)["out"].(float64) != 1200 || flows[0].(map[string]any)["net"].(float64) != -1200 {
		t.Errorf("the bank's position before the cycle: %v", flows)
	}
	f.drainSettlement(t)
}

// The centre's operators run the next cycle from their home; the run is
// offered only when something can settle, with the reason when not.
func TestHomeCentreRunsTheNextCycle(t *testing.T) {
	f := getFixture(t)
	banks := f.settlementWorld(t)
	f.drainSettlement(t)
	op := f.browser(t, "operations@settlement.town.kz")
	wantIn(t, op.get(t, "/"), 200, `id="h-run-why"`, "Nothing is queued")
	if strings.Contains(string(op.get(t, "/").body), `id="h-run"`) {
		t.Error("the run form is offered with nothing queued")
	}
	e2e := fmt.Sprintf("HOMERUN-%d", time.Now().UnixNano()%1e9)
	submitResults(t, f.call(t, "POST", "/api/v1/settlement/instructions", banks[0].tok,
		map[string]any{"instructions": []any{submitOne(e2e, banks[1].bic, "5.00", "KZT")}}))
	home := op.get(t, "/")
	wantIn(t, home, 200, `<form method="post" action="/settlement/cycles" id="h-run">`)
	r := op.post(t, "/settlement/cycles", url.Values{})
	if r.status != 303 || !strings.Contains(r.header.Get("Location"), "/settlement/cycles/") {
		t.Fatalf("the centre's operator could not run a cycle from the home: %d %s", r.status, excerpt(r.body))
	}
	wantIn(t, op.follow(t, r), 200)
	wantIn(t, op.get(t, "/"), 200, "Nothing is queued")
	// A bank's treasurer has no cycle control and cannot run one.
	bank := f.browser(t, "treasury@steppebank.kz")
	if strings.Contains(string(bank.get(t, "/").body), `action="/settlement/cycles"`) {
		t.Error("a bank's home offers to run a cycle")
	}
	if r := bank.post(t, "/settlement/cycles", url.Values{}); r.status == 303 {
		t.Error("a bank ran a cycle")
	}
}

// Each role's home holds its parts and no other's.
func TestHomeAPIPartsPerRole(t *testing.T) {
	f := getFixture(t)
	f.settlementWorld(t)
	want := map[string][]string{
		"trader@kazgrain.kz":            {"trader"},
		"treasury@steppebank.kz":        {"bank"},
		"operations@settlement.town.kz": {"centre"},
		"officer@customs.kz":            {"customs"},
		"inspector@sps.kz":              {"quarantine"},
		"admin@town.kz":                 {"admin", "centre"},
		"resident@residents.town.kz":    {"clinic"}, // the demo's consultation to come
		"tcm@medcentre.town.kz":         {"clinic"},
		"director@medcentre.town.kz":    {},
	}
	for email, parts := range want {
		h := myHome(t, f.browser(t, email))
		if len(h) != len(parts) {
			t.Errorf("%s: home parts %v, want %v", email, keys(h), parts)
		}
		for _, p := range parts {
			if h[p] == nil {
				t.Errorf("%s: no %s part in %v", email, p, keys(h))
			}
		}
	}
	if r := f.call(t, "GET", "/api/v1/me/home", "", nil); r.status != 401 {
		t.Errorf("anonymous home: %d", r.status)
	}
}

func keys(m map[string]any) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

// The navigation shows a role only the pages that apply to it, and the
// route table refuses the others: a bank's administrator files no customs
// declarations, the settlement centre publishes no prices.
func TestNavigationOnlyWhatApplies(t *testing.T) {
	f := getFixture(t)
	nav := func(b *browser) string {
		s := string(b.get(t, "/").body)
		i := strings.Index(s, `<nav class="main"`)
		return s[i : i+strings.Index(s[i:], "</nav>")]
	}
	cases := []struct {
		email        string
		shown, not   []string
		refusedPages []string
	}{
		{"treasury@steppebank.kz", []string{`href="/settlement"`, `href="/fx/publish"`}, []string{`href="/customs"`}, []string{"/customs", "/customs/new"}},
		{"operations@settlement.town.kz", []string{`href="/settlement"`, `href="/ledger/issuance"`}, []string{`href="/fx/publish"`, `href="/customs"`}, []string{"/fx/publish"}},
		{"trader@kazgrain.kz", []string{`href="/customs"`, `href="/accounts"`}, []string{`href="/settlement"`, `href="/fx/publish"`, `href="/customs/console"`}, nil},
		{"officer@customs.kz", []string{`href="/customs/console"`}, []string{`href="/customs"`, `href="/accounts"`}, nil},
	}
	for _, c := range cases {
		b := f.browser(t, c.email)
		n := nav(b)
		for _, s := range c.shown {
			if !strings.Contains(n, s) {
				t.Errorf("%s: navigation lacks %s", c.email, s)
			}
		}
		for _, s := range c.not {
			if strings.Contains(n, s) {
				t.Errorf("%s: navigation shows %s", c.email, s)
			}
		}
		for _, p := range c.refusedPages {
			if r := b.get(t, p); r.status != 403 {
				t.Errorf("%s: GET %s answers %d, want 403", c.email, p, r.status)
			}
		}
	}
	// The centre sets no prices through the API either.
	centre := f.token(t, "BRICS Town Settlement Centre", "bank_operator")
	if r := f.call(t, "POST", "/api/v1/fx/rates", centre, map[string]any{"pair": "KZT/CNY", "bid": "0.0140", "ask": "0.0142"}); r.status != 403 {
		t.Errorf("the centre published a price: %d %s", r.status, r.body)
	}
}
