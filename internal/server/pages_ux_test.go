package server

import (
	"context"
	"fmt"
	"html"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"bricstown/internal/audit"
	"bricstown/internal/identity"
	"bricstown/internal/problem"
	"bricstown/internal/ui"
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

// The register's list finds invoices by number or counterparty, filters by
// status and currency, and pages by cursor with links that keep the
// filters; another company finds none of them.
func TestInvoiceListSearchAndPaging(t *testing.T) {
	f := getFixture(t)
	grainTok := f.token(t, "Kazakh Grain Export", identity.Trader)
	energyOrg := f.orgs["Siberian Energy Trading"]
	ccy := f.freshCurrency(t)
	due := time.Now().UTC().AddDate(0, 1, 0).Format("2006-01-02")
	var batch []any
	for i := range 53 {
		batch = append(batch, map[string]any{"number": fmt.Sprintf("UXS-%s-%02d", ccy, i), "debtor": energyOrg.ID, "amount": "10.00", "currency": ccy, "due_date": due})
	}
	if r := f.call(t, "POST", "/api/v1/obligations/invoices", grainTok, map[string]any{"invoices": batch}); r.status != 201 {
		t.Fatalf("batch: %d %s", r.status, r.body)
	}
	prefix := "UXS-" + ccy

	// Forbidden first: a company that is no party finds nothing, by
	// number or by the parties' names, on the page or through the API.
	stranger := f.browser(t, "trader@capefruit.za")
	for _, q := range []string{prefix, "Siberian Energy", "Kazakh Grain"} {
		r := stranger.get(t, "/obligations?q="+url.QueryEscape(q)+"&currency="+ccy)
		wantIn(t, r, 200, `id="no-match"`)
		if strings.Contains(string(r.body), prefix) && !strings.Contains(string(r.body), `value="`+prefix+`"`) {
			t.Errorf("a stranger finds %q", q)
		}
	}
	strangerTok := f.token(t, "Nile Cotton Company", identity.Trader)
	if l := items(t, f.call(t, "GET", "/api/v1/obligations/invoices?q="+prefix, strangerTok, nil)); len(l) != 0 {
		t.Fatalf("a stranger's API search: %v", l)
	}

	// The creditor pages through its 53 invoices, 50 and 3, filters kept.
	grain := f.browser(t, "trader@kazgrain.kz")
	r := grain.get(t, "/obligations?q="+strings.ToLower(prefix)+"&currency="+ccy+"&status=open")
	wantIn(t, r, 200, `role="search"`, `id="filter-clear"`, `id="invoices-next"`)
	if n := strings.Count(string(r.body), `<tr id="inv-`); n != 50 {
		t.Fatalf("first page: %d rows", n)
	}
	m := regexp.MustCompile(`href="/obligations\?([^"#]+)#list-h" rel="next"`).FindStringSubmatch(string(r.body))
	if m == nil {
		t.Fatal("no next link")
	}
	next, _ := url.ParseQuery(strings.ReplaceAll(m[1], "&amp;", "&"))
	if next.Get("q") != strings.ToLower(prefix) || next.Get("currency") != ccy || next.Get("status") != "open" || next.Get("before") == "" {
		t.Fatalf("the next link drops a filter: %v", next)
	}
	r = grain.get(t, "/obligations?"+next.Encode())
	wantIn(t, r, 200, `id="invoices-first"`)
	if n := strings.Count(string(r.body), `<tr id="inv-`); n != 3 || strings.Contains(string(r.body), `id="invoices-next"`) {
		t.Fatalf("second page: %d rows", n)
	}
	// By the counterparty's name; the debtor finds them by the creditor's.
	r = grain.get(t, "/obligations?q=siberian+energy&currency="+ccy)
	if n := strings.Count(string(r.body), `<tr id="inv-`); n != 50 {
		t.Fatalf("by counterparty: %d rows", n)
	}
	energyTok := f.token(t, "Siberian Energy Trading", identity.Trader)
	if l := items(t, f.call(t, "GET", "/api/v1/obligations/invoices?limit=100&q=kazakh+grain&currency="+ccy, energyTok, nil)); len(l) != 53 {
		t.Fatalf("the debtor's API search: %d", len(l))
	}
	// Nothing cleared yet; a bad filter is refused beside its field, in
	// the page's language.
	wantIn(t, grain.get(t, "/obligations?currency="+ccy+"&status=cleared"), 200, `id="no-match"`)
	r = grain.get(t, "/obligations?status=paid&lang=ru")
	wantIn(t, r, 400, "Выберите статус из списка.", `aria-invalid`)
}

var reAuditDetail = regexp.MustCompile(`(?s)<td class="audit-detail">(.*?)</td>`)

// The audit log's details are said in the reader's language: every entry
// the services write is read back into a kind and arguments, so a page in
// ru, zh, kk or pt marks nothing as English, and the amounts are written
// as the language writes numbers.
func TestAuditDetailsSpeakTheirLanguage(t *testing.T) {
	f := getFixture(t)
	admin := f.browser(t, "admin@town.kz")
	// Forbidden first: a trader has no audit log, an org admin only its own.
	if r := f.browser(t, "trader@kazgrain.kz").get(t, "/audit"); r.status != 403 {
		t.Fatalf("a trader opens the audit log: %d", r.status)
	}
	englishMark := map[string]string{"ru": "(на английском)", "zh": "（英文）", "kk": "(ағылшынша)", "pt": "(em inglês)"}
	for _, lang := range []string{"ru", "zh", "kk", "pt"} {
		english := 0
		details := 0
		for _, q := range []string{"", "&action=ledger.", "&action=settlement.", "&action=fx.", "&action=obligations.", "&action=customs.", "&action=guarantee.", "&action=user."} {
			r := admin.get(t, "/audit?lang="+lang+q)
			wantIn(t, r, 200)
			for _, m := range reAuditDetail.FindAllStringSubmatch(string(r.body), -1) {
				if strings.TrimSpace(m[1]) == "" {
					continue
				}
				details++
				if strings.Contains(m[1], `lang="en"`) {
					english++
					t.Logf("%s: English detail %s", lang, m[1])
				}
			}
		}
		if details < 20 {
			t.Fatalf("%s: only %d details: the test reads too little", lang, details)
		}
		if english > 0 {
			t.Errorf("%s: %d details only in English", lang, english)
		}
	}
	// The older-entries link keeps the filters as a query string.
	r := admin.get(t, "/audit?action=ledger.")
	m := regexp.MustCompile(`href="([^"]*)" rel="next" id="audit-older"`).FindStringSubmatch(string(r.body))
	if m == nil {
		t.Fatal("no link to older entries")
	}
	u, err := url.Parse(strings.ReplaceAll(m[1], "&amp;", "&"))
	if err != nil || u.Path != "/audit" || u.Query().Get("action") != "ledger." || u.Query().Get("before") == "" {
		t.Fatalf("the older-entries link %q drops its filters", m[1])
	}
	// An entry no form reads back is shown as stored, marked as English.
	if err := f.db.AppendAudit(context.Background(), audit.Record{ActorUser: "system", Action: "ledger.account.create", SubjectType: "ledger_account",
		SubjectID: v7(), After: "mystery", Detail: "a line no form reads"}); err != nil {
		t.Fatal(err)
	}
	for lang, mark := range englishMark {
		r := admin.get(t, "/audit?lang="+lang+"&action=ledger.account.create")
		wantIn(t, r, 200, `<span lang="en">a line no form reads</span> <span class="muted small">`+mark+`</span>`)
	}
}

var (
	reFieldErrorText = regexp.MustCompile(`(?s)<span class="field-error" role="alert">(.*?)</span>`)
	reCSVFaultText   = regexp.MustCompile(`(?s)<li>(?:[^<]*<code>[^<]*</code>)?:? ?([^<]*)</li>`)
	reLatinWord      = regexp.MustCompile(`[A-Za-z]{4,}`)
	reOtherLetter    = regexp.MustCompile(`[^\x00-\x7F]`)
)

// A refused form's field messages are never the services' English on a
// ru, zh, kk or pt page: the add-invoice form, the CSV upload (whose
// faults are listed line by line) and the user form, each made to fail.
func TestFieldErrorsSpeakTheirLanguage(t *testing.T) {
	f := getFixture(t)
	cats, err := ui.LoadCatalogs()
	if err != nil {
		t.Fatal(err)
	}
	enText := map[string]bool{}
	for _, s := range cats["en"] {
		enText[s] = true
	}
	english := func(lang, s string) bool {
		s = strings.TrimSpace(html.UnescapeString(s))
		if s == "" {
			return false
		}
		if _, _, coded := problem.FieldCode(s); coded || enText[s] {
			return true
		}
		// Cyrillic and Chinese pages: a sentence in Latin letters alone.
		return lang != "pt" && reLatinWord.MatchString(s) && !reOtherLetter.MatchString(s)
	}
	trader := f.browser(t, "trader@kazgrain.kz")
	grain := f.orgs["Kazakh Grain Export"]
	orgAdmin := f.browser(t, "admin@kazgrain.kz")
	for _, lang := range []string{"ru", "zh", "kk", "pt"} {
		var texts []string
		r := trader.post(t, "/obligations/invoices?lang="+lang, url.Values{"debtor": {grain.ID}, "number": {strings.Repeat("N", 65)},
			"amount": {"1"}, "currency": {"KZT"}, "issue_date": {"2026-01-10"}, "due_date": {"2025-01-01"}})
		wantIn(t, r, 400, `class="field-error"`)
		for _, m := range reFieldErrorText.FindAllStringSubmatch(string(r.body), -1) {
			texts = append(texts, m[1])
		}
		r = trader.post(t, "/obligations/invoices/csv?lang="+lang, url.Values{"csv_text": {"debtor,creditor,amount,currency,due_date,number\n" +
			"nobody,,1.00,KZT,2026-13-01,X\n" + grain.RegID + ",,abc,XAU,2026-01-01,Y\n"}})
		wantIn(t, r, 400, `id="csv-faults"`)
		faults := string(r.body)[strings.Index(string(r.body), `id="csv-faults"`):]
		faults = faults[:strings.Index(faults, "</ul>")]
		n := 0
		for _, m := range reCSVFaultText.FindAllStringSubmatch(faults, -1) {
			texts = append(texts, m[1])
			n++
		}
		if n < 3 {
			t.Fatalf("%s: only %d CSV faults listed: %s", lang, n, faults)
		}
		r = orgAdmin.post(t, "/org/users?lang="+lang, url.Values{"name": {"Dup"}, "email": {"trader@kazgrain.kz"}, "password": {"long enough password"},
			"roles": {"trader"}})
		for _, m := range reFieldErrorText.FindAllStringSubmatch(string(r.body), -1) {
			texts = append(texts, m[1])
		}
		if len(texts) < 6 {
			t.Fatalf("%s: only %d field messages: the test reads too little", lang, len(texts))
		}
		for _, s := range texts {
			if english(lang, s) {
				t.Errorf("%s: field message in English: %q", lang, s)
			}
		}
	}
}
