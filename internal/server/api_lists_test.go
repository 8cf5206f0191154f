package server

import (
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"bricstown/internal/identity"
)

// listItems returns a listing's items and next cursor.
func listItems(t *testing.T, r response) ([]map[string]any, string) {
	t.Helper()
	if r.status != 200 {
		t.Fatalf("listing: %d %s", r.status, r.body)
	}
	m := r.json(t)
	var out []map[string]any
	for _, x := range m["items"].([]any) {
		out = append(out, x.(map[string]any))
	}
	next, _ := m["next_cursor"].(string)
	return out, next
}

func refsOf(items []map[string]any) []string {
	var out []string
	for _, x := range items {
		s, _ := x["functional_reference_id"].(string)
		out = append(out, s)
	}
	return out
}

// A declaration list's search finds a trader's own records and never
// another organisation's, whoever asks; officers search their queues.
func TestAPIDeclarationSearch(t *testing.T) {
	f := getFixture(t)
	kge := f.token(t, apiKGE, identity.Trader)
	szd := f.token(t, apiSZD, identity.Trader)
	officer := f.token(t, apiCustomsPO, identity.CustomsOfficer)
	sps := f.token(t, apiSPSPO, identity.QuarantineOfficer)

	items, _ := listItems(t, f.call(t, "GET", apiDecls+"?q=demo-kge-0101", kge, nil))
	if refs := refsOf(items); len(refs) != 1 || refs[0] != "DEMO-KGE-0101" {
		t.Fatalf("own search: %v", refs)
	}
	for _, q := range []string{"DEMO-KGE-0101", "Kazakh Grain", "DEMO-KGE"} {
		items, _ = listItems(t, f.call(t, "GET", apiDecls+"?q="+url.QueryEscape(q), szd, nil))
		if len(items) != 0 {
			t.Errorf("another org's search for %q found %v", q, refsOf(items))
		}
	}
	items, _ = listItems(t, f.call(t, "GET", apiDecls+"?q=DEMO-SZD", szd, nil))
	if len(items) == 0 {
		t.Error("a trader finds none of its own declarations")
	}
	for _, ref := range refsOf(items) {
		if !strings.HasPrefix(ref, "DEMO-SZD") {
			t.Errorf("search for DEMO-SZD found %s", ref)
		}
	}

	// The officer searches by declarant name; the drafts stay hidden.
	items, _ = listItems(t, f.call(t, "GET", apiDecls+"?q=kazakh+grain", officer, nil))
	if len(items) == 0 {
		t.Fatal("the officer finds no declaration of Kazakh Grain Export")
	}
	for _, x := range items {
		if x["status"] == "draft" {
			t.Errorf("the officer's search shows a draft: %v", x["functional_reference_id"])
		}
	}
	// Paging keeps the search: two pages of one, different, both matching.
	p1, next := listItems(t, f.call(t, "GET", "/api/v1/customs/queue?limit=1&q=demo", officer, nil))
	if len(p1) != 1 || next == "" {
		t.Fatalf("first page: %d items, next %q", len(p1), next)
	}
	p2, _ := listItems(t, f.call(t, "GET", "/api/v1/customs/queue?limit=1&q=demo&cursor="+next, officer, nil))
	if len(p2) != 1 || p2[0]["id"] == p1[0]["id"] {
		t.Fatalf("second page: %v after %v", p2, p1)
	}
	items, _ = listItems(t, f.call(t, "GET", "/api/v1/customs/queue?q=no-such-thing-anywhere", officer, nil))
	if len(items) != 0 {
		t.Errorf("a search for nothing found %v", refsOf(items))
	}
	items, _ = listItems(t, f.call(t, "GET", "/api/v1/customs/quarantine/queue?q=demo&from=2020-01-01", sps, nil))
	if len(items) == 0 {
		t.Error("the inspector's search finds nothing in the demo's quarantine queue")
	}
	for _, x := range items {
		if x["sps_required"] != true {
			t.Errorf("the quarantine search shows %v, not under SPS control", x["functional_reference_id"])
		}
	}

	// Who may not: a trader has no queue, an officer no quarantine queue.
	for _, c := range []struct{ path, tok string }{
		{"/api/v1/customs/queue?q=demo", kge},
		{"/api/v1/customs/quarantine/queue?q=demo", officer},
		{"/api/v1/customs/queue?q=demo", sps},
	} {
		if r := f.call(t, "GET", c.path, c.tok, nil); r.status != 403 {
			t.Errorf("%s: %d, want 403", c.path, r.status)
		}
	}
	if r := f.call(t, "GET", apiDecls+"?q=demo", "", nil); r.status != 401 {
		t.Errorf("anonymous search: %d", r.status)
	}
}

// Bad filters are 400 problem+json with the field and its code.
func TestAPIDeclarationSearchRefused(t *testing.T) {
	f := getFixture(t)
	officer := f.token(t, apiCustomsPO, identity.CustomsOfficer)
	sps := f.token(t, apiSPSPO, identity.QuarantineOfficer)
	for _, c := range []struct{ path, tok, field, code string }{
		{apiDecls + "?q=" + strings.Repeat("x", 101), officer, "q", "too_long_n"},
		{apiDecls + "?from=yesterday", officer, "from", "date_or_time"},
		{"/api/v1/customs/queue?from=2026-03-02&to=2026-03-01", officer, "to", "after_from"},
		{"/api/v1/customs/queue?border_post=HORGOS", officer, "border_post", "unknown_locode"},
		{"/api/v1/customs/quarantine/queue?procedure=smuggling", sps, "procedure", "procedure"},
		{"/api/v1/customs/quarantine/queue?to=soon", sps, "to", "date_or_time"},
	} {
		r := f.call(t, "GET", c.path, c.tok, nil)
		if r.status != 400 || !strings.HasPrefix(r.header.Get("Content-Type"), "application/problem+json") {
			t.Errorf("%s: %d %s", c.path, r.status, r.header.Get("Content-Type"))
			continue
		}
		m := r.json(t)
		errs, _ := m["errors"].(map[string]any)
		codes, _ := m["error_codes"].(map[string]any)
		if errs[c.field] == nil || codes[c.field] != c.code {
			t.Errorf("%s: errors %v, codes %v; want %s=%s", c.path, errs, codes, c.field, c.code)
		}
	}
}

// Instruction lists: a bank's search finds only what it pays or
// receives, the centre searches the whole queue, the pages and the API
// read the same, bad filters are 400 with codes.
func TestInstructionSearch(t *testing.T) {
	f := getFixture(t)
	banks := f.settlementWorld(t)
	a, b, c := banks[0], banks[1], banks[2]
	f.drainSettlement(t)
	t.Cleanup(func() { f.drainSettlement(t) })
	stamp := fmt.Sprint(time.Now().UnixNano() % 1e9)
	ab, bc := "SRCH-AB-"+stamp, "SRCH-BC-"+stamp
	submitResults(t, f.call(t, "POST", "/api/v1/settlement/instructions", a.tok,
		map[string]any{"instructions": []any{submitOne(ab, b.bic, "4.00", "KZT", "remittance", "Wheat contract 77")}}))
	submitResults(t, f.call(t, "POST", "/api/v1/settlement/instructions", b.tok,
		map[string]any{"instructions": []any{submitOne(bc, c.bic, "2.00", "CNY")}}))
	centre := f.token(t, "BRICS Town Settlement Centre", identity.BankOperator)

	e2es := func(r response) []string {
		t.Helper()
		items, _ := listItems(t, r)
		var out []string
		for _, x := range items {
			out = append(out, x["end_to_end_id"].(string))
		}
		return out
	}
	same := func(name string, got []string, want ...string) {
		t.Helper()
		if strings.Join(got, ",") != strings.Join(want, ",") {
			t.Errorf("%s: got %v, want %v", name, got, want)
		}
	}
	api := "/api/v1/settlement/instructions?q="
	same("own", e2es(f.call(t, "GET", api+"srch-ab-"+stamp, a.tok, nil)), ab)
	same("by remittance", e2es(f.call(t, "GET", api+"wheat+contract&unsettled=true", a.tok, nil)), ab)
	same("another pair's", e2es(f.call(t, "GET", api+bc, a.tok, nil)))
	same("by counterparty name", e2es(f.call(t, "GET", api+url.QueryEscape("Yangtze")+"&from=2020-01-01&unsettled=true", a.tok, nil)))
	same("payee sees it", e2es(f.call(t, "GET", api+bc+"&currency=cny", c.tok, nil)), bc)
	same("centre's queue", e2es(f.call(t, "GET", "/api/v1/settlement/queue?q="+stamp, centre, nil)), bc, ab)
	same("centre's queue by bank", e2es(f.call(t, "GET", "/api/v1/settlement/queue?q="+url.QueryEscape("Volga Trade"), centre, nil)), bc, ab)
	if r := f.call(t, "GET", "/api/v1/settlement/queue?q=srch", a.tok, nil); r.status != 403 {
		t.Errorf("a bank searched the centre's queue: %d", r.status)
	}
	for _, x := range []struct{ path, field, code string }{
		{api + strings.Repeat("z", 101), "q", "too_long_n"},
		{api + "x&currency=K1", "currency", "unknown_currency"},
		{api + "x&from=soon", "from", "date_or_time"},
		{api + "x&from=2026-03-02&to=2026-03-01", "to", "after_from"},
	} {
		r := f.call(t, "GET", x.path, a.tok, nil)
		m := r.json(t)
		codes, _ := m["error_codes"].(map[string]any)
		if r.status != 400 || codes[x.field] != x.code {
			t.Errorf("%s: %d %v, want 400 with %s=%s", x.path, r.status, m["errors"], x.field, x.code)
		}
	}

	// The pages: the bank's queue and the centre's, searched, kept, empty.
	bank := f.browser(t, "treasury@steppebank.kz")
	wantIn(t, bank.get(t, "/settlement?q=wheat"), 200, ab, `value="wheat"`, `id="f-clear"`)
	r := bank.get(t, "/settlement?q="+bc)
	wantIn(t, r, 200, "Nothing matches these filters.")
	if strings.Contains(string(r.body), "<code>"+bc+"</code>") {
		t.Error("the bank's page shows another pair's instruction")
	}
	op := f.browser(t, "operations@settlement.town.kz")
	wantIn(t, op.get(t, "/settlement?currency=CNY&q=srch"), 200, "<code>"+bc+"</code>", `<option value="CNY" selected>`)
	if strings.Contains(string(op.get(t, "/settlement?currency=CNY&q=srch").body), "<code>"+ab+"</code>") {
		t.Error("the currency filter lets a KZT instruction through")
	}
	// Cycles page by number: an older page has a way back and no
	// "latest cycle" headline.
	if r := f.call(t, "POST", "/api/v1/settlement/cycles", centre, nil); r.status != 201 {
		t.Fatalf("run a cycle: %d %s", r.status, r.body)
	}
	wantIn(t, op.get(t, "/settlement"), 200, `id="latest-h"`, `id="cycles"`)
	r = op.get(t, "/settlement?cycles_before=999999999")
	wantIn(t, r, 200, `id="cycles"`, `id="cycles-first"`)
	if strings.Contains(string(r.body), `id="latest-h"`) {
		t.Error("an older page of cycles says which is the latest")
	}
	// Cycles by settlement date: the API and the page.
	if cs, _ := listItems(t, f.call(t, "GET", "/api/v1/settlement/cycles?from=2000-01-01&to=2000-01-31", a.tok, nil)); len(cs) != 0 {
		t.Errorf("cycles settled in January 2000: %d", len(cs))
	}
	if cs, _ := listItems(t, f.call(t, "GET", "/api/v1/settlement/cycles?from="+time.Now().UTC().Format("2006-01-02"), a.tok, nil)); len(cs) == 0 {
		t.Error("no cycle settled today")
	}
	if r := f.call(t, "GET", "/api/v1/settlement/cycles?from=2026-03-02&to=2026-03-02T00:00:00Z", a.tok, nil); r.status != 400 || r.json(t)["error_codes"].(map[string]any)["to"] != "after_from" {
		t.Errorf("an empty period: %d %s", r.status, r.body)
	}
	r = op.get(t, "/settlement?cycles_from=2000-01-01&cycles_to=2000-01-31&q=srch")
	wantIn(t, r, 200, `id="cycles-none"`, `value="2000-01-31"`, `id="cycles-clear"`,
		`<input type="hidden" name="cycles_to" value="2000-01-31">`, `<input type="hidden" name="q" value="srch">`)
	if strings.Contains(string(r.body), `id="latest-h"`) {
		t.Error("a filtered list of cycles says which is the latest")
	}
	r = op.get(t, "/settlement?cycles_to=later")
	if r.status != 400 || !regexp.MustCompile(`id="f-cycles-to"[^>]*aria-invalid="true"`).Match(r.body) {
		t.Errorf("a bad cycle date: %d %s", r.status, excerpt(r.body))
	}
	r = bank.get(t, "/settlement?from=soon")
	if r.status != 400 || !regexp.MustCompile(`id="f-from"[^>]*aria-invalid="true"`).Match(r.body) {
		t.Errorf("a bad date: %d %s", r.status, excerpt(r.body))
	}
}
