package server

import (
	"net/url"
	"strings"
	"testing"

	"bricstown/internal/identity"
)

// Who creates money, through the API and the page: the settlement centre
// grants banks issuance limits; nobody else can, nobody gets one but a
// bank, and a bank issues no more than its limit.
func TestIssuanceLimits(t *testing.T) {
	f := getFixture(t)
	centre := f.token(t, demoCentre, identity.BankOperator)
	bank := f.token(t, "Volga Trade Bank", identity.BankOperator)
	otherBank := f.token(t, "Deccan Commerce Bank", identity.BankOperator)
	trader := f.token(t, "Kazakh Grain Export", identity.Trader)
	volga := f.orgs["Volga Trade Bank"].ID
	grant := func(tok, org, ccy, limit string) response {
		return f.call(t, "PUT", "/api/v1/ledger/issuance", tok, map[string]any{"org_id": org, "currency": ccy, "limit": limit})
	}
	// Refusals first: a bank grants itself nothing, a trader reaches no
	// route, a company gets no line, bad input names its field.
	if r := grant(bank, volga, "ZAR", "1000000.00"); r.status != 403 {
		t.Fatalf("a bank granted itself a limit: %d %s", r.status, r.body)
	}
	if r := grant(trader, volga, "ZAR", "1000000.00"); r.status != 403 {
		t.Fatalf("a trader granted a limit: %d %s", r.status, r.body)
	}
	r := grant(centre, f.orgs["Kazakh Grain Export"].ID, "ZAR", "1000000.00")
	if r.status != 400 || !strings.Contains(string(r.body), `"org_id"`) {
		t.Fatalf("a company got a credit line: %d %s", r.status, r.body)
	}
	if r := grant(centre, volga, "ZAR", "1.001"); r.status != 400 || !strings.Contains(string(r.body), `"limit"`) {
		t.Fatalf("bad limit: %d %s", r.status, r.body)
	}
	if r := f.call(t, "GET", "/api/v1/ledger/issuance", bank, nil); strings.Contains(string(r.body), `"ZAR"`) {
		t.Fatalf("a refused grant opened a line: %s", r.body)
	}
	// The centre grants 100.00 ZAR; the bank issues exactly that much.
	r = grant(centre, volga, "ZAR", "100.00")
	if r.status != 200 {
		t.Fatalf("grant: %d %s", r.status, r.body)
	}
	acct := r.json(t)
	if acct["issuer"] != true || acct["system"] != true || acct["limit"] != "100.00" || acct["org_id"] != volga {
		t.Fatalf("issuance account %v", acct)
	}
	customer := f.openAccount(t, trader, "ZAR", true)
	pay := func(amount string) string {
		return results(t, f.call(t, "POST", "/api/v1/ledger/transfers", bank, map[string]any{"transfers": []any{map[string]any{
			"id": v7(), "debit_account_id": acct["id"], "credit_account_id": customer, "amount": amount, "currency": "ZAR"}}}))[0]
	}
	if got := []string{pay("60.00"), pay("40.01"), pay("40.00")}; strings.Join(got, " ") != "ok exceeds_issuance_limit ok" {
		t.Fatalf("issuing against the limit: %v", got)
	}
	// Granting the line opened the centre's books in ZAR: the centre can
	// fund banks' settlement accounts before any cycle runs.
	books := map[string]bool{}
	for _, it := range f.call(t, "GET", "/api/v1/ledger/accounts?limit=200", centre, nil).json(t)["items"].([]any) {
		a := it.(map[string]any)
		if a["currency"] == "ZAR" && a["system"] == true {
			books[a["code"].(string)] = true
		}
	}
	for _, code := range []string{"funding", "clearing", "fx", "rounding"} {
		if !books[code] {
			t.Fatalf("the centre's ZAR %s account was not opened by the first ZAR line: %v", code, books)
		}
	}
	// Another bank cannot issue from it (it answers like an unknown account).
	if got := results(t, f.call(t, "POST", "/api/v1/ledger/transfers", otherBank, map[string]any{"transfers": []any{map[string]any{
		"id": v7(), "debit_account_id": acct["id"], "credit_account_id": customer, "amount": "1.00", "currency": "ZAR"}}})); got[0] != "debit_account_not_found" {
		t.Fatalf("another bank used the issuance account: %v", got)
	}
	// Nobody closes a system account through the API.
	if r := f.call(t, "POST", "/api/v1/ledger/accounts/"+acct["id"].(string)+"/close", bank, nil); r.status != 409 {
		t.Fatalf("closing the issuance account: %d %s", r.status, r.body)
	}
	// The report: the bank sees its own lines only; the centre sees all.
	mine := f.call(t, "GET", "/api/v1/ledger/issuance", bank, nil)
	if mine.status != 200 || !strings.Contains(string(mine.body), `"issued":"100.00"`) {
		t.Fatalf("the bank's report: %d %s", mine.status, mine.body)
	}
	for _, item := range mine.json(t)["items"].([]any) {
		if org := item.(map[string]any)["org_id"]; org != volga {
			t.Fatalf("a bank sees another org's issuance: %v", item)
		}
	}
	all := f.call(t, "GET", "/api/v1/ledger/issuance", centre, nil)
	if !strings.Contains(string(all.body), volga) || !strings.Contains(string(all.body), `"limit":"unlimited"`) && !strings.Contains(string(all.body), volga) {
		t.Fatalf("the centre's report: %s", all.body)
	}

	// The page: the centre sees the form and saves a limit; a bank sees
	// only its lines and no form.
	cookie, csrf := f.session(t, "operations@settlement.town.kz")
	page := f.call(t, "GET", "/ledger/issuance", "", nil, "Cookie", cookie)
	if page.status != 200 || !strings.Contains(string(page.body), `id="issuance-form"`) || !strings.Contains(string(page.body), "Volga Trade Bank") {
		t.Fatalf("centre's page: %d", page.status)
	}
	form := url.Values{"csrf_token": {csrf}, "org_id": {volga}, "currency": {"ZAR"}, "limit": {"250000.50"}}
	res := f.call(t, "POST", "/ledger/issuance", "", []byte(form.Encode()), "Content-Type", "application/x-www-form-urlencoded", "Cookie", cookie)
	if res.status != 303 {
		t.Fatalf("saving a limit on the page: %d %s", res.status, res.body)
	}
	if r := f.call(t, "GET", "/api/v1/ledger/issuance", bank, nil); !strings.Contains(string(r.body), `"limit":"250000.50"`) {
		t.Fatalf("the page's limit did not land: %s", r.body)
	}
	form.Set("limit", "-5")
	res = f.call(t, "POST", "/ledger/issuance", "", []byte(form.Encode()), "Content-Type", "application/x-www-form-urlencoded", "Cookie", cookie)
	if res.status != 400 || !strings.Contains(string(res.body), "field-error") {
		t.Fatalf("a bad limit on the page: %d", res.status)
	}
	bcookie, _ := f.session(t, "treasury@volgabank.ru")
	bpage := f.call(t, "GET", "/ledger/issuance", "", nil, "Cookie", bcookie)
	if bpage.status != 200 || strings.Contains(string(bpage.body), `id="issuance-form"`) || strings.Contains(string(bpage.body), "Deccan Commerce Bank") {
		t.Fatalf("bank's page: %d (form or another bank shown)", bpage.status)
	}
}
