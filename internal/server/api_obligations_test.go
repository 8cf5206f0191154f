package server

import (
	"context"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"bricstown/internal/demo"
	"bricstown/internal/identity"
	"bricstown/internal/obligations"
)

// freshCurrency hands out a currency in which no invoice exists yet, so a
// test's clearing figures are its own however often the tests run.
func (f *fixture) freshCurrency(t *testing.T) string {
	t.Helper()
	for _, c := range []string{"BRL", "ZAR", "INR", "AED", "EGP", "ETB", "IDR", "USD", "SAR", "TRY", "THB", "MYR"} {
		var n int
		if err := f.db.SQL.QueryRow(`SELECT COUNT(*) FROM obligation_invoices WHERE currency = $1`, c).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if _, taken := handedOut.LoadOrStore(c, true); n == 0 && !taken {
			return c
		}
	}
	t.Fatal("no fresh currency left")
	return ""
}

var handedOut sync.Map

// postInvoice posts one invoice as tok's organisation and returns it.
func (f *fixture) postInvoice(t *testing.T, tok string, inv map[string]any) map[string]any {
	t.Helper()
	r := f.call(t, "POST", "/api/v1/obligations/invoices", tok, map[string]any{"invoices": []any{inv}})
	if r.status != 201 {
		t.Fatalf("create invoice: %d %s", r.status, r.body)
	}
	return r.json(t)["items"].([]any)[0].(map[string]any)
}

func (f *fixture) invoiceCount(t *testing.T) int {
	t.Helper()
	var n int
	if err := f.db.SQL.QueryRow(`SELECT COUNT(*) FROM obligation_invoices`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func items(t *testing.T, r response) []map[string]any {
	t.Helper()
	if r.status != 200 {
		t.Fatalf("listing: %d %s", r.status, r.body)
	}
	var out []map[string]any
	for _, x := range r.json(t)["items"].([]any) {
		out = append(out, x.(map[string]any))
	}
	return out
}

func currencyOf(t *testing.T, run map[string]any, ccy string) map[string]any {
	t.Helper()
	for _, c := range run["currencies"].([]any) {
		if m := c.(map[string]any); m["currency"] == ccy {
			return m
		}
	}
	t.Fatalf("run has no %s figures: %v", ccy, run["currencies"])
	return nil
}

func TestObligationsAPI(t *testing.T) {
	f := getFixture(t)
	grainOrg, energyOrg, devicesOrg := f.orgs["Kazakh Grain Export"], f.orgs["Siberian Energy Trading"], f.orgs["Shenzhen Smart Devices"]
	grain := f.token(t, "Kazakh Grain Export", identity.Trader)
	energy := f.token(t, "Siberian Energy Trading", identity.Trader)
	devices := f.token(t, "Shenzhen Smart Devices", identity.Trader)
	stranger := f.token(t, "Nile Cotton Company", identity.Trader)
	admin := f.token(t, "BRICS Town Administration", identity.PlatformAdmin)
	due := time.Now().UTC().AddDate(0, 1, 0).Format("2006-01-02")
	ccy, csvCcy := f.freshCurrency(t), f.freshCurrency(t)
	num := func(n int) string { return "API-" + ccy + "-" + string(rune('0'+n)) }

	// A cycle in a currency no other invoice uses: energy owes grain 100,
	// devices owes energy 80, grain owes devices 60. 60 clears around it.
	// Grain also owes energy 500, unconfirmed: it must not be cleared,
	// although with energy's debt to grain it would close a second cycle.
	eg := f.postInvoice(t, grain, map[string]any{"number": num(1), "debtor": energyOrg.RegID, "amount": "100.00", "currency": ccy, "due_date": due})
	if eg["result"] != "created" || eg["status"] != "open" || eg["confirmed"] != false || eg["side"] != "receivable" || eg["debtor_name"] != energyOrg.Name {
		t.Fatalf("created invoice %v", eg)
	}
	de := f.postInvoice(t, energy, map[string]any{"number": num(2), "debtor": devicesOrg.ID, "amount": "80", "currency": ccy, "due_date": due,
		"creditor": energyOrg.Country + ":" + energyOrg.RegID})
	gd := f.postInvoice(t, devices, map[string]any{"number": num(3), "debtor": grainOrg.RegID, "amount": "60.00", "currency": ccy, "due_date": due})
	ge := f.postInvoice(t, energy, map[string]any{"number": num(4), "debtor": grainOrg.RegID, "amount": "500.00", "currency": ccy, "due_date": due})

	// A replay answers 200 "exists"; the same number with another amount is a 409.
	replay := f.call(t, "POST", "/api/v1/obligations/invoices", grain, map[string]any{"invoices": []any{
		map[string]any{"number": num(1), "debtor": energyOrg.RegID, "amount": "100.00", "currency": ccy, "due_date": due}}})
	if replay.status != 200 || replay.json(t)["existing"] != float64(1) || !strings.Contains(string(replay.body), eg["id"].(string)) {
		t.Fatalf("replay: %d %s", replay.status, replay.body)
	}
	before := f.invoiceCount(t)
	clash := f.call(t, "POST", "/api/v1/obligations/invoices", grain, map[string]any{"invoices": []any{
		map[string]any{"number": num(9), "debtor": energyOrg.RegID, "amount": "1.00", "currency": ccy, "due_date": due},
		map[string]any{"number": num(1), "debtor": energyOrg.RegID, "amount": "100.01", "currency": ccy, "due_date": due}}})
	if clash.status != 409 || clash.json(t)["errors"].(map[string]any)["invoices[1].number"] == nil {
		t.Fatalf("reused number: %d %s", clash.status, clash.body)
	}
	// Bad input is refused whole, with a message per field.
	bad := f.call(t, "POST", "/api/v1/obligations/invoices", grain, map[string]any{"invoices": []any{
		map[string]any{"number": "API-X-1", "debtor": energyOrg.RegID, "amount": "1.005", "currency": ccy, "due_date": due},
		map[string]any{"number": "API-X-2", "debtor": "no-such-org", "amount": "-1", "currency": "XAU", "due_date": "tomorrow"},
		map[string]any{"number": "API-X-3", "debtor": grainOrg.ID, "amount": "1", "currency": ccy, "due_date": due, "creditor": energyOrg.ID}}})
	if bad.status != 400 {
		t.Fatalf("bad batch: %d %s", bad.status, bad.body)
	}
	errs := bad.json(t)["errors"].(map[string]any)
	for _, k := range []string{"invoices[0].amount", "invoices[1].debtor", "invoices[1].currency", "invoices[1].due_date", "invoices[2].debtor", "invoices[2].creditor"} {
		if errs[k] == nil {
			t.Errorf("no message for %s in %v", k, errs)
		}
	}
	if r := f.call(t, "POST", "/api/v1/obligations/invoices", grain, map[string]any{"invoices": []any{}, "extra": 1}); r.status != 400 {
		t.Fatalf("unknown field: %d", r.status)
	}
	if f.invoiceCount(t) != before {
		t.Fatal("a refused batch recorded invoices")
	}

	// Bad CSV: refused whole, faults by line; a good line in it is not recorded.
	csvHead := "debtor,creditor,amount,currency,due_date,number\n"
	badCSV := csvHead +
		energyOrg.RegID + "," + grainOrg.RegID + ",5.00," + csvCcy + "," + due + ",CSV-" + csvCcy + "-1\n" +
		energyOrg.RegID + "," + grainOrg.RegID + ",5.001," + csvCcy + "," + due + ",CSV-" + csvCcy + "-BAD-2\n" +
		energyOrg.RegID + "," + energyOrg.RegID + ",5.00," + csvCcy + "," + due + ",CSV-" + csvCcy + "-BAD-3\n" +
		energyOrg.RegID + "," + grainOrg.RegID + ",5.00," + csvCcy + "\n"
	r := f.call(t, "POST", "/api/v1/obligations/invoices/csv", grain, badCSV, "Content-Type", "text/csv")
	if r.status != 400 {
		t.Fatalf("bad csv: %d %s", r.status, r.body)
	}
	errs = r.json(t)["errors"].(map[string]any)
	for _, k := range []string{"line 3: amount", "line 4: creditor", "line 5"} {
		if errs[k] == nil {
			t.Errorf("no message for %q in %v", k, errs)
		}
	}
	if f.invoiceCount(t) != before {
		t.Fatal("a refused file recorded invoices")
	}
	if r := f.call(t, "POST", "/api/v1/obligations/invoices/csv", grain, badCSV); r.status != 400 || r.json(t)["code"] != "malformed" {
		t.Fatalf("csv sent as JSON: %d %s", r.status, r.body)
	}
	goodCSV := csvHead + energyOrg.RegID + "," + grainOrg.RegID + ",5.00," + csvCcy + "," + due + ",CSV-" + csvCcy + "-1\n" +
		devicesOrg.ID + "," + grainOrg.ID + ",7," + csvCcy + "," + due + ",CSV-" + csvCcy + "-2\n"
	r = f.call(t, "POST", "/api/v1/obligations/invoices/csv", grain, goodCSV, "Content-Type", "text/csv; charset=utf-8")
	if r.status != 201 || r.json(t)["created"] != float64(2) {
		t.Fatalf("good csv: %d %s", r.status, r.body)
	}
	if r := f.call(t, "POST", "/api/v1/obligations/invoices/csv", grain, goodCSV, "Content-Type", "text/csv"); r.status != 200 || r.json(t)["existing"] != float64(2) {
		t.Fatalf("csv replay: %d %s", r.status, r.body)
	}

	// Isolation: another company neither sees nor confirms the invoice;
	// the creditor may not confirm its own.
	id := eg["id"].(string)
	if r := f.call(t, "GET", "/api/v1/obligations/invoices/"+id, stranger, nil); r.status != 404 {
		t.Fatalf("stranger reads: %d", r.status)
	}
	if r := f.call(t, "POST", "/api/v1/obligations/invoices/"+id+"/confirm", stranger, nil); r.status != 404 {
		t.Fatalf("stranger confirms: %d", r.status)
	}
	if r := f.call(t, "POST", "/api/v1/obligations/invoices/"+id+"/confirm", grain, nil); r.status != 403 {
		t.Fatalf("creditor confirms: %d", r.status)
	}
	if r := f.call(t, "POST", "/api/v1/obligations/invoices/"+id+"/confirm", admin, nil); r.status != 403 {
		t.Fatalf("platform admin confirms: %d", r.status)
	}
	for _, inv := range items(t, f.call(t, "GET", "/api/v1/obligations/invoices?limit=200", stranger, nil)) {
		if strings.HasPrefix(inv["number"].(string), "API-"+ccy) {
			t.Fatalf("stranger lists %v", inv)
		}
	}
	mine := items(t, f.call(t, "GET", "/api/v1/obligations/invoices?currency="+ccy, grain, nil))
	if len(mine) != 3 {
		t.Fatalf("grain's invoices: %v", mine)
	}
	if recv := items(t, f.call(t, "GET", "/api/v1/obligations/invoices?currency="+ccy+"&side=receivable", grain, nil)); len(recv) != 1 || recv[0]["number"] != num(1) {
		t.Fatalf("grain's receivables: %v", recv)
	}
	if r := f.call(t, "GET", "/api/v1/obligations/invoices?status=paid", grain, nil); r.status != 400 {
		t.Fatalf("bad status filter: %d", r.status)
	}
	// An organisation's invoices are its own: the platform administrator,
	// who runs clearing, lists and reads none of them.
	for _, path := range []string{"/api/v1/obligations/invoices?currency=" + ccy + "&org=" + energyOrg.ID, "/api/v1/obligations/invoices",
		"/api/v1/obligations/invoices/" + eg["id"].(string), "/api/v1/obligations/invoices/" + v7()} {
		if r := f.call(t, "GET", path, admin, nil); r.status != 403 {
			t.Fatalf("admin GET %s: %d %s", path, r.status, r.body)
		}
	}
	if all := items(t, f.call(t, "GET", "/api/v1/obligations/invoices?currency="+ccy, energy, nil)); len(all) != 3 {
		t.Fatalf("energy's invoices: %v", all)
	}

	// Debtors confirm three of four.
	for _, c := range []struct{ tok, id string }{{energy, eg["id"].(string)}, {devices, de["id"].(string)}, {grain, gd["id"].(string)}} {
		r := f.call(t, "POST", "/api/v1/obligations/invoices/"+c.id+"/confirm", c.tok, nil)
		if r.status != 200 || r.json(t)["confirmed"] != true {
			t.Fatalf("confirm: %d %s", r.status, r.body)
		}
	}
	if r := f.call(t, "POST", "/api/v1/obligations/invoices/"+gd["id"].(string)+"/confirm", grain, nil); r.status != 200 {
		t.Fatalf("confirm twice: %d", r.status)
	}

	// Only the platform administrator runs clearing.
	if r := f.call(t, "POST", "/api/v1/obligations/runs", grain, nil); r.status != 403 {
		t.Fatalf("trader runs clearing: %d", r.status)
	}
	run := f.call(t, "POST", "/api/v1/obligations/runs", admin, nil)
	if run.status != 201 || !strings.HasPrefix(run.header.Get("Location"), "/api/v1/obligations/runs/") {
		t.Fatalf("run: %d %s", run.status, run.body)
	}
	rep := run.json(t)
	brl := currencyOf(t, rep, ccy)
	if brl["total_debt"] != "240.00" || brl["cleared"] != "180.00" || brl["remaining"] != "60.00" || brl["invoices_touched"] != float64(3) ||
		brl["liquidity_saving"] != "180.00" || brl["saving_bps"] != float64(7500) || brl["certificate"].(map[string]any)["certified"] != true {
		t.Fatalf("%s figures %v", ccy, brl)
	}
	for id, want := range map[string]string{eg["id"].(string): "40.00", de["id"].(string): "20.00", gd["id"].(string): "0.00", ge["id"].(string): "500.00"} {
		inv := f.call(t, "GET", "/api/v1/obligations/invoices/"+id, grain, nil).json(t)
		if id == de["id"] {
			inv = f.call(t, "GET", "/api/v1/obligations/invoices/"+id, energy, nil).json(t)
		}
		if inv["outstanding"] != want {
			t.Errorf("%s outstanding %v, want %s", inv["number"], inv["outstanding"], want)
		}
	}
	if inv := f.call(t, "GET", "/api/v1/obligations/invoices/"+gd["id"].(string), grain, nil).json(t); inv["status"] != "cleared" ||
		len(inv["set_offs"].([]any)) != 1 || inv["set_offs"].([]any)[0].(map[string]any)["amount"] != "60.00" {
		t.Fatalf("cleared invoice %v", inv)
	}

	// The report: totals for all; company lines only one's own.
	runID := rep["id"].(string)
	for _, c := range []struct {
		tok string
		org identity.Org
	}{{grain, grainOrg}, {stranger, f.orgs["Nile Cotton Company"]}} {
		own := f.call(t, "GET", "/api/v1/obligations/runs/"+runID, c.tok, nil).json(t)
		currencyOf(t, own, ccy)
		for _, l := range own["firms"].([]any) {
			if l.(map[string]any)["org_id"] != c.org.ID {
				t.Fatalf("%s sees another company's line: %v", c.org.Name, l)
			}
		}
		setoffs, _ := own["set_offs"].([]any)
		for _, s := range setoffs {
			if n := s.(map[string]any)["number"].(string); c.org.ID != grainOrg.ID && strings.HasPrefix(n, "API-"+ccy) {
				t.Fatalf("%s sees set-off %v", c.org.Name, s)
			}
		}
	}
	grainView := f.call(t, "GET", "/api/v1/obligations/runs/"+runID, grain, nil).json(t)
	foundLine := false
	for _, l := range grainView["firms"].([]any) {
		if m := l.(map[string]any); m["currency"] == ccy {
			foundLine = m["cleared"] == "60.00" && m["payable_before"] == "60.00" && m["payable_after"] == "0.00" && m["receivable_after"] == "40.00"
		}
	}
	if !foundLine {
		t.Fatalf("grain's line %v", grainView["firms"])
	}
	adminView := f.call(t, "GET", "/api/v1/obligations/runs/"+runID, admin, nil).json(t)
	brlFirms := 0
	for _, l := range adminView["firms"].([]any) {
		if l.(map[string]any)["currency"] == ccy {
			brlFirms++
		}
	}
	if brlFirms != 3 {
		t.Fatalf("admin sees %d %s lines", brlFirms, ccy)
	}
	list := items(t, f.call(t, "GET", "/api/v1/obligations/runs?limit=1", stranger, nil))
	if len(list) != 1 || list[0]["id"] != runID || list[0]["firms"] != nil {
		t.Fatalf("run list %v", list)
	}
	if r := f.call(t, "GET", "/api/v1/obligations/runs/"+v7(), grain, nil); r.status != 404 {
		t.Fatalf("unknown run: %d", r.status)
	}
}

// The demo seeds a circular trade-credit town whose first run clears a
// large share, and seeding again changes nothing.
func TestObligationsDemoSeedIsCircularAndIdempotent(t *testing.T) {
	f := getFixture(t)
	admin := f.token(t, "BRICS Town Administration", identity.PlatformAdmin)
	runs := items(t, f.call(t, "GET", "/api/v1/obligations/runs?limit=200", admin, nil))
	first := runs[len(runs)-1]
	if first["number"] != float64(1) || first["trigger"] != "manual" || first["run_by"] != "system" {
		t.Fatalf("first run %v", first)
	}
	kzt := currencyOf(t, first, "KZT")
	if kzt["saving_bps"].(float64) < 3000 || kzt["invoices_touched"].(float64) < 10 || kzt["invoices"].(float64) < 20 {
		t.Fatalf("the demo run clears too little: %v", kzt)
	}
	for _, c := range []string{"CNY", "RUB"} {
		if currencyOf(t, first, c)["cleared"] == "0.00" {
			t.Errorf("demo %s cleared nothing", c)
		}
	}
	n := f.invoiceCount(t)
	if err := demo.SeedObligations(context.Background(), f.ids, f.srv.Obligations, time.Now()); err != nil {
		t.Fatal(err)
	}
	if err := demo.SeedObligations(context.Background(), f.ids, f.srv.Obligations, time.Now().AddDate(0, 0, 3)); err != nil {
		t.Fatal(err)
	}
	if f.invoiceCount(t) != n || len(items(t, f.call(t, "GET", "/api/v1/obligations/runs?limit=200", admin, nil))) != len(runs) {
		t.Fatal("seeding again added invoices or runs")
	}
}

// The keys the obligation pages build in Go exist in every catalogue.
func TestObligationsDynamicKeysExist(t *testing.T) {
	f := getFixture(t)
	cs := f.srv.ui.Catalogs()
	var keys []string
	for _, s := range obligations.Statuses {
		keys = append(keys, "oblig.status."+string(s))
	}
	for _, tr := range []string{obligations.TriggerManual, obligations.TriggerScheduled} {
		keys = append(keys, "oblig.trigger."+tr)
	}
	for _, fld := range []string{"number", "debtor", "amount", "currency", "issue_date", "due_date"} {
		keys = append(keys, "oblig.field."+fld)
	}
	for lang, c := range cs {
		for _, k := range keys {
			if c[k] == "" {
				t.Errorf("%s: missing %q", lang, k)
			}
		}
	}
}

var confirmForm = regexp.MustCompile(`action="/obligations/invoices/([0-9a-f-]{36})/confirm"`)

func TestObligationPages(t *testing.T) {
	f := getFixture(t)
	trader := f.browser(t, "trader@kazgrain.kz")
	r := trader.get(t, "/obligations")
	wantIn(t, r, 200, "Obligation clearing", `href="/obligations" aria-current="page"`, "Kazakh Grain Export", "Invoices awaiting your confirmation",
		"KGE-0917", `id="add-invoice"`, `id="csv-upload"`, "chart--bar", "Debt and cleared per run, KZT", `name="csrf_token" value="`+trader.csrf+`"`)
	if strings.Contains(string(r.body), `id="run-now"`) {
		t.Fatal("a trader is offered to run clearing")
	}
	// The invoices Kazakh Grain Export owes are the ones it may confirm.
	m := confirmForm.FindAllStringSubmatch(string(r.body), -1)
	if len(m) < 1 {
		t.Fatalf("confirm buttons: %v", m)
	}

	// The add form: a bad amount is refused beside its field, nothing is written.
	due := time.Now().UTC().AddDate(0, 0, 20).Format("2006-01-02")
	energy := f.orgs["Siberian Energy Trading"]
	ccy := f.freshCurrency(t)
	n := f.invoiceCount(t)
	r = trader.post(t, "/obligations/invoices", url.Values{"debtor": {energy.ID}, "number": {"WEB-" + ccy}, "amount": {"12.345"}, "currency": {ccy}, "due_date": {due}})
	wantIn(t, r, 400, "Please correct the marked fields", "no more decimals than the currency has")
	if !fieldError.Match(r.body) || f.invoiceCount(t) != n {
		t.Fatal("bad invoice form")
	}
	r = trader.post(t, "/obligations/invoices", url.Values{"debtor": {energy.ID}, "number": {"WEB-" + ccy}, "amount": {"12.34"}, "currency": {ccy}, "due_date": {due}})
	wantIn(t, trader.follow(t, r), 200, "1 invoice recorded; 0 already on record.", "WEB-"+ccy)

	// CSV pasted into the form: a faulty file is refused with its lines.
	head := "debtor,creditor,amount,currency,due_date,number\n"
	grain := f.orgs["Kazakh Grain Export"]
	r = trader.post(t, "/obligations/invoices/csv", url.Values{"csv_text": {head + energy.RegID + "," + grain.RegID + ",1.00," + ccy + "," + due + ",WEB-CSV-" + ccy + "-1\n" +
		energy.RegID + "," + grain.RegID + ",abc," + ccy + "," + due + ",WEB-CSV-" + ccy + "-2\n"}})
	wantIn(t, r, 400, `id="csv-faults"`, "Line 3", "amount", "WEB-CSV-"+ccy+"-2")
	if f.invoiceCount(t) != n+1 {
		t.Fatal("a refused file recorded invoices")
	}
	r = trader.post(t, "/obligations/invoices/csv", url.Values{"csv_text": {head + energy.RegID + "," + grain.RegID + ",1.00," + ccy + "," + due + ",WEB-CSV-" + ccy + "-1\n"}})
	wantIn(t, trader.follow(t, r), 200, "1 invoice recorded; 0 already on record.")
	r = trader.post(t, "/obligations/invoices/csv", url.Values{"csv_text": {""}})
	wantIn(t, r, 400, "Choose a file or paste the lines.")

	// Another company cannot confirm what Kazakh Grain Export owes.
	other := f.browser(t, "trader@capefruit.za") // no party to any invoice of Kazakh Grain Export
	r = other.post(t, "/obligations/invoices/"+m[0][1]+"/confirm", url.Values{})
	if r.status != 404 {
		t.Fatalf("another company confirms: %d", r.status)
	}
	r = trader.post(t, "/obligations/invoices/"+m[0][1]+"/confirm", url.Values{})
	wantIn(t, trader.follow(t, r), 200, "Invoice confirmed")

	// The administrator runs clearing and reads the full report.
	admin := f.browser(t, "admin@town.kz")
	if r := admin.get(t, "/obligations"); r.status != 403 {
		t.Fatalf("the administrator opens the invoice register: %d", r.status)
	}
	r = admin.get(t, "/obligations/runs")
	wantIn(t, r, 200, `id="run-now"`, "Run clearing now", "What the next run works on")
	r = admin.post(t, "/obligations/runs", url.Values{})
	if r.status != 303 || !strings.HasPrefix(r.header.Get("Location"), "/obligations/runs/") {
		t.Fatalf("run: %d %s", r.status, r.header.Get("Location"))
	}
	runPath := r.header.Get("Location")
	wantIn(t, admin.get(t, runPath), 200, "certified optimal", "chart--donut", "Cleared per company, KZT", "chart--bar", "Khorasan Saffron",
		"Companies in this run")
	if strings.Contains(string(admin.get(t, runPath).body), `id="run-setoffs"`) {
		t.Error("the administrator's run report lists invoices")
	}
	// A company sees the totals and its own line only.
	r = trader.get(t, runPath)
	wantIn(t, r, 200, "certified optimal", "chart--donut", "Your company in this run", "Set-offs on your invoices")
	for _, hidden := range []string{"Khorasan Saffron", "Cleared per company", "Companies in this run"} {
		if strings.Contains(string(r.body), hidden) {
			t.Errorf("a company's report shows %q", hidden)
		}
	}
	// Who may open the pages, and the other languages.
	resident := f.browser(t, "resident@residents.town.kz")
	if r := resident.get(t, "/obligations"); r.status != 403 {
		t.Fatalf("resident opens the page: %d", r.status)
	}
	if r := trader.post(t, "/obligations/runs", url.Values{}); r.status != 403 {
		t.Fatalf("trader runs clearing from the page: %d", r.status)
	}
	for lang, want := range map[string]string{"ru": "Взаимозачёт", "zh": "多边债务抵消", "kk": "Өзара есеп айырысу", "pt": "Compensação multilateral"} {
		r := trader.get(t, "/obligations?lang="+lang)
		wantIn(t, r, 200, want)
	}
	if r := trader.get(t, "/obligations/runs/"+v7()); r.status != 404 {
		t.Fatalf("unknown run page: %d", r.status)
	}
}
