package server

import (
	"net/url"
	"strings"
	"testing"
	"time"

	"bricstown/internal/identity"
)

// The tests use VND and UZS, which no other test of the shared fixture
// prices, so the reference they publish checks no one else's quotes.

// Who may publish the town's reference rates: the administrator and the
// settlement centre's operators; never an ordinary bank, whatever its role.
func TestAPIReferenceRatesPublishAndRead(t *testing.T) {
	f := getFixture(t)
	today := time.Now().UTC().Format(time.DateOnly)
	body := map[string]any{"date": today, "source": "National Bank of Kazakhstan (test)",
		"rates": []any{map[string]any{"currency": "VND", "units": 100, "rate": "1.99"}}}
	bank := f.token(t, "Steppe Commercial Bank", identity.BankOperator)
	if r := f.call(t, "POST", "/api/v1/fx/reference", bank, body); r.status != 403 {
		t.Fatalf("ordinary bank: %d %s", r.status, r.body)
	}
	centreAdmin := f.token(t, demoCentre, identity.OrgAdmin)
	if r := f.call(t, "POST", "/api/v1/fx/reference", centreAdmin, body); r.status != 403 {
		t.Fatalf("centre org admin (not an operator): %d", r.status)
	}
	trader := f.token(t, "Kazakh Grain Export", identity.Trader)
	if r := f.call(t, "POST", "/api/v1/fx/reference", trader, body); r.status != 403 {
		t.Fatalf("trader: %d", r.status)
	}
	bad := f.call(t, "POST", "/api/v1/fx/reference", f.token(t, demoCentre, identity.BankOperator), map[string]any{"date": "yesterday", "source": "",
		"rates": []any{map[string]any{"currency": "VND", "units": 7, "rate": "0"}}})
	if bad.status != 400 {
		t.Fatalf("invalid: %d %s", bad.status, bad.body)
	}
	fields, _ := bad.json(t)["errors"].(map[string]any)
	for _, k := range []string{"date", "source", "rates[0].units", "rates[0].rate"} {
		if fields[k] == nil {
			t.Errorf("no field message for %s: %v", k, fields)
		}
	}
	created := f.apiPost(t, "/api/v1/fx/reference", f.token(t, demoCentre, identity.BankOperator), body, 201)
	items := created["items"].([]any)
	if len(items) != 1 || items[0].(map[string]any)["publisher_org"] != f.orgs[demoCentre].ID {
		t.Fatalf("%v", created)
	}
	// A CSV import by the administrator, all or nothing.
	admin := f.token(t, "BRICS Town Administration", identity.PlatformAdmin)
	csvBad := "date,currency,units,rate,source\n" + today + ",UZS,100,3.97,NBK\n" + today + ",UZS,100,3.98,NBK\n"
	if r := f.call(t, "POST", "/api/v1/fx/reference/csv", admin, csvBad, "Content-Type", "text/csv"); r.status != 400 {
		t.Fatalf("duplicate line: %d %s", r.status, r.body)
	}
	if r := f.call(t, "POST", "/api/v1/fx/reference/csv", bank, "date,currency,units,rate,source\n", "Content-Type", "text/csv"); r.status != 403 {
		t.Fatalf("bank imports: %d", r.status)
	}
	if r := f.call(t, "POST", "/api/v1/fx/reference/csv", admin, "date,currency,units,rate,source\n"+today+",UZS,100,3.97,NBK\n", "Content-Type", "text/csv"); r.status != 201 {
		t.Fatalf("import: %d %s", r.status, r.body)
	}
	list := f.call(t, "GET", "/api/v1/fx/reference?date="+today, trader, nil).json(t)["items"].([]any)
	found := map[string]map[string]any{}
	for _, it := range list {
		m := it.(map[string]any)
		found[m["currency"].(string)] = m
	}
	if found["VND"]["rate"] != "1.99" || found["VND"]["units"] != float64(100) || found["UZS"]["source"] != "NBK" {
		t.Fatalf("list %v", list)
	}
	if r := f.call(t, "GET", "/api/v1/fx/reference?date=someday", trader, nil); r.status != 400 {
		t.Fatalf("bad date: %d", r.status)
	}
}

// The attack of issue 8 through the API: a bank publishes VND/KZT with a
// bid of 0.000001 while the reference is 0.0199 KZT per dong. Refused on
// the bid, with the band; a sane price passes; a crossed one is refused.
func TestAPIQuoteOutsideReferenceBandIsRefused(t *testing.T) {
	f := getFixture(t)
	today := time.Now().UTC().Format(time.DateOnly)
	f.apiPost(t, "/api/v1/fx/reference", f.token(t, "BRICS Town Administration", identity.PlatformAdmin), map[string]any{"date": today,
		"source": "NBK (test)", "rates": []any{map[string]any{"currency": "VND", "units": 100, "rate": "1.99"}}}, 201)
	bank := f.token(t, "Deccan Commerce Bank", identity.BankOperator)
	r := f.call(t, "POST", "/api/v1/fx/rates", bank, map[string]any{"pair": "VND/KZT", "bid": "0.000001", "ask": "0.02"})
	if r.status != 400 {
		t.Fatalf("absurd bid: %d %s", r.status, r.body)
	}
	fields, _ := r.json(t)["errors"].(map[string]any)
	if msg, _ := fields["bid"].(string); !strings.Contains(msg, "10%") || !strings.Contains(msg, "0.0199") {
		t.Fatalf("bid message %q", msg)
	}
	if r := f.call(t, "POST", "/api/v1/fx/rates", bank, map[string]any{"pair": "VND/KZT", "bid": "0.0201", "ask": "0.0199"}); r.status != 400 {
		t.Fatalf("crossed: %d", r.status)
	}
	ok := f.apiPost(t, "/api/v1/fx/rates", bank, map[string]any{"pair": "VND/KZT", "bid": "0.0197", "ask": "0.0201"}, 201)
	if ok["flag"] != nil {
		t.Fatalf("checked price flagged: %v", ok)
	}
}

// The page lists the rates in force and offers the forms to the centre's
// operators only; a band refusal on /fx/publish explains the band.
func TestPageReference(t *testing.T) {
	f := getFixture(t)
	cookie, csrf := f.session(t, "operations@settlement.town.kz")
	today := time.Now().UTC().Format(time.DateOnly)
	form := url.Values{"csrf_token": {csrf}, "date": {today}, "currency": {"UZS"}, "units": {"100"}, "rate": {"3.97"}, "source": {"NBK page"}}
	r := f.call(t, "POST", "/fx/reference", "", []byte(form.Encode()), "Content-Type", "application/x-www-form-urlencoded", "Cookie", cookie)
	if r.status != 303 {
		t.Fatalf("publish form: %d %s", r.status, r.body)
	}
	page := f.call(t, "GET", "/fx/reference?date="+today, "", nil, "Cookie", cookie)
	if page.status != 200 || !strings.Contains(string(page.body), "NBK page") || !strings.Contains(string(page.body), `id="ref-form"`) {
		t.Fatalf("page %d", page.status)
	}
	form.Set("units", "7")
	r = f.call(t, "POST", "/fx/reference", "", []byte(form.Encode()), "Content-Type", "application/x-www-form-urlencoded", "Cookie", cookie)
	if r.status != 400 || !strings.Contains(string(r.body), "1000000") {
		t.Fatalf("bad units: %d", r.status)
	}
	bankCookie, bankCSRF := f.session(t, "treasury@deccanbank.in")
	page = f.call(t, "GET", "/fx/reference", "", nil, "Cookie", bankCookie)
	if page.status != 200 || strings.Contains(string(page.body), `id="ref-form"`) {
		t.Fatalf("a bank sees the publish form: %d", page.status)
	}
	form.Set("csrf_token", bankCSRF)
	form.Set("units", "100")
	if r := f.call(t, "POST", "/fx/reference", "", []byte(form.Encode()), "Content-Type", "application/x-www-form-urlencoded", "Cookie", bankCookie); r.status != 403 {
		t.Fatalf("bank publishes via the page: %d", r.status)
	}
	pub := url.Values{"csrf_token": {bankCSRF}, "base": {"UZS"}, "quote": {"KZT"}, "bid": {"0.000001"}, "ask": {"0.0398"}}
	r = f.call(t, "POST", "/fx/publish/rate", "", []byte(pub.Encode()), "Content-Type", "application/x-www-form-urlencoded", "Cookie", bankCookie)
	if r.status != 400 || !strings.Contains(string(r.body), "0.0397") {
		t.Fatalf("band refusal on the page: %d", r.status)
	}
}
