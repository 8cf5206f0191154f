package server

import (
	"fmt"
	"html"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"bricstown/internal/identity"
)

var declCardID = regexp.MustCompile(`<li class="decl-card" id="decl-([0-9a-f-]{36})"`)

// The declaration pages search and filter in the query string, keep what
// was typed, mark a bad filter beside its field, and never show another
// organisation's records.
func TestDeclarationListPages(t *testing.T) {
	f := getFixture(t)
	kge := f.cpBrowser(t, "trader@kazgrain.kz")
	szd := f.cpBrowser(t, "trader@szdevices.cn")
	officer := f.cpBrowser(t, "officer@customs.kz")
	inspector := f.cpBrowser(t, "inspector@sps.kz")

	r := kge.get(t, "/customs?q=DEMO-KGE-0101")
	body := string(r.body)
	if r.status != 200 || !strings.Contains(body, "DEMO-KGE-0101") || strings.Contains(body, "DEMO-KGE-0102") {
		t.Fatalf("own search: %d %s", r.status, excerpt(r.body))
	}
	if !strings.Contains(body, `value="DEMO-KGE-0101"`) || !strings.Contains(body, `id="f-clear"`) {
		t.Errorf("the search box does not keep what was typed, or no way to clear: %s", excerpt(r.body))
	}
	// A status group and a search together; the group's links keep the search.
	r = kge.get(t, "/customs?show=drafts&q=DEMO-KGE")
	if body = string(r.body); !strings.Contains(body, "DEMO-KGE-0104") || strings.Contains(body, "DEMO-KGE-0101") {
		t.Errorf("drafts search: %s", excerpt(r.body))
	}
	if !strings.Contains(body, `href="/customs?q=DEMO-KGE&amp;show=released"`) {
		t.Errorf("the status groups drop the search: %s", excerpt(r.body))
	}

	for _, q := range []string{"DEMO-KGE-0101", "Kazakh Grain", "kge"} {
		r = szd.get(t, "/customs?q="+url.QueryEscape(q))
		body = string(r.body)
		if r.status != 200 || declCardID.MatchString(body) || !strings.Contains(body, "Nothing matches these filters.") {
			t.Errorf("another org's search for %q: %d %s", q, r.status, excerpt(r.body))
		}
	}

	for _, c := range []struct{ path, field, msg string }{
		{"/customs?from=yesterday", "f-from", "Enter a date as YYYY-MM-DD."},
		{"/customs?q=" + strings.Repeat("x", 101), "f-q", "Enter at most 100 characters."},
		{"/customs?from=2026-03-02&to=2026-03-01", "f-to", "Choose a date after the start date."},
		{"/customs/console?tab=red&border_post=HORGOS", "f-post", "Enter a border post&#39;s UN/LOCODE, e.g. KZHOR."},
	} {
		b := kge
		if strings.HasPrefix(c.path, "/customs/console") {
			b = officer
		}
		r = b.get(t, c.path)
		body = string(r.body)
		if r.status != 400 || !regexp.MustCompile(`id="`+c.field+`"[^>]*aria-invalid="true"`).MatchString(body) || !strings.Contains(body, c.msg) {
			t.Errorf("%s: %d, want 400 with %q beside %s: %s", c.path, r.status, c.msg, c.field, excerpt(r.body))
		}
	}

	// The officer: a search inside a tab keeps the tab and leaves the
	// tab counts (the whole queues', as the home says) alone.
	whole := officer.get(t, "/customs/console?tab=prelodged")
	r = officer.get(t, "/customs/console?tab=prelodged&q=kazakh+grain")
	body = string(r.body)
	if r.status != 200 || !strings.Contains(body, "DEMO-KGE-0103") || strings.Contains(body, "DEMO-SZD") {
		t.Errorf("officer's search: %d %v", r.status, regexp.MustCompile(`DEMO-[A-Z]+-\d+`).FindAllString(body, -1))
	}
	if !strings.Contains(body, `<input type="hidden" name="tab" value="prelodged">`) {
		t.Error("the console's search form drops the tab")
	}
	count := regexp.MustCompile(`class="tab-prelodged">[^<]*<span class="count">(\d+)`)
	if a, b := count.FindStringSubmatch(string(whole.body)), count.FindStringSubmatch(body); a == nil || b == nil || a[1] != b[1] {
		t.Errorf("the tab count changes with the search: %v vs %v", a, b)
	}
	r = inspector.get(t, "/customs/quarantine?q=no-such-goods")
	if r.status != 200 || !strings.Contains(string(r.body), "Nothing matches these filters.") {
		t.Errorf("inspector's empty search: %d %s", r.status, excerpt(r.body))
	}

	// Who may not open the lists at all, filters or not.
	for _, c := range []struct {
		b    *browser
		path string
	}{{kge, "/customs/console?q=demo"}, {officer, "/customs/quarantine?q=demo"}, {inspector, "/customs/console?tab=all&q=demo"}} {
		if r := c.b.get(t, c.path); r.status != 403 {
			t.Errorf("%s: %d, want 403", c.path, r.status)
		}
	}
}

// A list longer than a page is paged by cursor, with the search kept in
// the links, and shows the same rows as the API (one service method).
func TestDeclarationListPaging(t *testing.T) {
	f := getFixture(t)
	tok := f.token(t, "Cape Fruit Exporters", identity.Trader)
	for i := 1; i <= 51; i++ {
		if r := f.call(t, "POST", apiDecls, tok, apiSteelImport(fmt.Sprintf("PAGING-%03d", i), "Cape Fruit Exporters")); r.status != 201 {
			t.Fatalf("create: %d %s", r.status, r.body)
		}
	}
	trader := f.cpBrowser(t, "trader@capefruit.za")
	r := trader.get(t, "/customs?q=paging-")
	ids := declCardID.FindAllStringSubmatch(string(r.body), -1)
	if r.status != 200 || len(ids) != 50 {
		t.Fatalf("first page: %d, %d rows", r.status, len(ids))
	}
	items, _ := listItems(t, f.call(t, "GET", apiDecls+"?limit=50&q=paging-", tok, nil))
	for i := range items {
		if items[i]["id"] != ids[i][1] {
			t.Fatalf("row %d: page %s, API %v", i, ids[i][1], items[i]["id"])
		}
	}
	m := regexp.MustCompile(`<a href="([^"]+)" rel="next"`).FindStringSubmatch(string(r.body))
	if m == nil {
		t.Fatalf("no next link: %s", excerpt(r.body))
	}
	next := html.UnescapeString(m[1])
	if !strings.Contains(next, "q=paging-") || !strings.Contains(next, "after="+ids[49][1]) {
		t.Fatalf("next link %q drops the search or the cursor", next)
	}
	r = trader.get(t, next)
	body := string(r.body)
	rest := declCardID.FindAllStringSubmatch(body, -1)
	if len(rest) != 1 || rest[0][1] == ids[49][1] || !strings.Contains(body, "PAGING-001") {
		t.Fatalf("second page: %v", rest)
	}
	if !strings.Contains(body, `href="/customs?q=paging-" id="list-first"`) || strings.Contains(body, `rel="next"`) {
		t.Errorf("the last page's links: %s", excerpt(r.body))
	}
	if r := trader.get(t, "/customs?q=paging-&after=not-a-cursor"); r.status != 400 {
		t.Errorf("a bad cursor: %d", r.status)
	}
}
