package server

import (
	"encoding/json"
	"net/url"
	"strings"
	"testing"

	"bricstown/internal/identity"
)

// The probe-visible part of a refusal: status, code, title and field
// messages (the request id and instance differ per call).
func refusal(t *testing.T, r response) string {
	t.Helper()
	var p Problem
	if err := json.Unmarshal(r.body, &p); err != nil {
		t.Fatalf("not a problem (%d): %s", r.status, r.body)
	}
	p.RequestID, p.Instance = "", ""
	b, _ := json.Marshal(p)
	return string(b)
}

func TestSavedCounterpartiesAPI(t *testing.T) {
	f := getFixture(t)
	grain := f.token(t, "Kazakh Grain Export", identity.Trader)
	energy := f.token(t, "Siberian Energy Trading", identity.Trader)
	theirs := f.openAccount(t, energy, "KZT", true)
	closed := f.openAccount(t, energy, "KZT", true)
	if r := f.call(t, "POST", "/api/v1/ledger/accounts/"+closed+"/close", energy, nil); r.status != 200 {
		t.Fatalf("close: %d %s", r.status, r.body)
	}
	const path = "/api/v1/ledger/counterparties"
	save := func(tok, acct, ccy, label string) response {
		return f.call(t, "POST", path, tok, map[string]any{"account_id": acct, "currency": ccy, "label": label})
	}

	// Probing: an unknown id, another org's account in another currency
	// and a closed account all get one answer, and nothing is written.
	before := f.auditCount(t)
	unknown := save(grain, v7(), "KZT", "probe 1")
	if unknown.status != 404 {
		t.Fatalf("unknown account: %d %s", unknown.status, unknown.body)
	}
	for name, r := range map[string]response{
		"wrong currency": save(grain, theirs, "CNY", "probe 2"),
		"closed":         save(grain, closed, "KZT", "probe 3"),
	} {
		want := strings.Replace(refusal(t, unknown), "KZT", "CNY", -1)
		if name == "closed" {
			want = refusal(t, unknown)
		}
		if got := refusal(t, r); got != want {
			t.Errorf("%s answers differently from an unknown id:\n%s\n%s", name, got, want)
		}
	}
	if r := save(grain, "not-a-uuid", "KZT", ""); r.status != 400 || !strings.Contains(string(r.body), `"account_id"`) || !strings.Contains(string(r.body), `"label"`) {
		t.Errorf("bad input: %d %s", r.status, r.body)
	}
	if f.auditCount(t) != before {
		t.Fatal("a refused save wrote something")
	}

	// Saving tells "it can receive" and nothing about the owner.
	r := save(grain, theirs, "KZT", "Energy supplier")
	if r.status != 201 {
		t.Fatalf("save: %d %s", r.status, r.body)
	}
	saved := r.json(t)
	for _, leak := range []string{"Siberian", f.orgs["Siberian Energy Trading"].ID, "operating", "balance"} {
		if strings.Contains(string(r.body), leak) {
			t.Errorf("the save answer tells %q: %s", leak, r.body)
		}
	}
	if r := save(grain, theirs, "KZT", "Again"); r.status != 409 {
		t.Errorf("second save of one account: %d", r.status)
	}
	if r := save(grain, v7(), "KZT", "Energy supplier"); r.status != 404 {
		// The label is checked only once the account can receive.
		t.Errorf("unknown account under a used label: %d", r.status)
	}

	// Org A's list is invisible to org B, and B cannot remove A's entry.
	id := saved["id"].(string)
	has := func(tok, q string) bool {
		t.Helper()
		for _, it := range f.call(t, "GET", path+q, tok, nil).json(t)["items"].([]any) {
			if m := it.(map[string]any); m["id"] == id {
				if m["account_id"] != theirs || m["label"] != "Energy supplier" || m["currency"] != "KZT" {
					t.Fatalf("saved counterparty read back as %v", m)
				}
				return true
			}
		}
		return false
	}
	if !has(grain, "?currency=KZT") || has(grain, "?currency=CNY") {
		t.Fatal("grain's list by currency")
	}
	if has(energy, "") {
		t.Fatal("energy sees grain's counterparty")
	}
	if r := f.call(t, "DELETE", path+"/"+id, energy, nil); r.status != 404 || !has(grain, "") {
		t.Fatalf("another org removed a saved counterparty: %d", r.status)
	}
	if r := f.call(t, "DELETE", path+"/"+v7(), grain, nil); r.status != 404 {
		t.Fatalf("unknown id: %d", r.status)
	}
	if r := f.call(t, "DELETE", path+"/"+id, grain, nil); r.status != 204 {
		t.Fatalf("delete: %d %s", r.status, r.body)
	}
	if has(grain, "") {
		t.Fatal("still listed after delete")
	}
}

func TestAuditAPIFilters(t *testing.T) {
	f := getFixture(t)
	admin := f.token(t, "Siberian Energy Trading", identity.OrgAdmin)
	trader := f.token(t, "Siberian Energy Trading", identity.Trader)
	f.openAccount(t, trader, "KZT", true)
	get := func(q url.Values) response { return f.call(t, "GET", "/api/v1/audit?"+q.Encode(), admin, nil) }
	items := func(r response) []map[string]any {
		t.Helper()
		if r.status != 200 {
			t.Fatalf("audit: %d %s", r.status, r.body)
		}
		var out []map[string]any
		for _, it := range r.json(t)["items"].([]any) {
			out = append(out, it.(map[string]any))
		}
		return out
	}
	own := f.orgs["Siberian Energy Trading"].ID
	got := items(get(url.Values{"action": {"ledger.account.create"}}))
	if len(got) == 0 {
		t.Fatal("no account creation found")
	}
	for _, e := range got {
		if e["action"] != "ledger.account.create" || e["org_id"] != own {
			t.Fatalf("filtered entry %v", e)
		}
	}
	for _, e := range items(get(url.Values{"action": {"ledger."}, "subject_type": {"ledger_account"}})) {
		if !strings.HasPrefix(e["action"].(string), "ledger.") || e["subject_type"] != "ledger_account" {
			t.Fatalf("prefix filter let through %v", e)
		}
	}
	if got := items(get(url.Values{"from": {"2999-01-01"}})); len(got) != 0 {
		t.Fatalf("future window: %d entries", len(got))
	}
	// An org administrator asking for another org's log still gets only
	// their own organisation's entries.
	other := f.orgs["Kazakh Grain Export"].ID
	for _, e := range items(get(url.Values{"org": {other}})) {
		if e["org_id"] != own {
			t.Fatalf("org admin saw another org's entry: %v", e)
		}
	}
	for q, field := range map[string]string{"action=DROP%20TABLE": "action", "from=yesterday": "from", "from=2026-02-01&to=2026-01-01": "to"} {
		r := f.call(t, "GET", "/api/v1/audit?"+q, admin, nil)
		if r.status != 400 || !strings.Contains(string(r.body), `"`+field+`"`) {
			t.Errorf("%s: %d %s", q, r.status, r.body)
		}
	}
}

func TestAccountSearchAPI(t *testing.T) {
	f := getFixture(t)
	tok := f.token(t, "Cape Fruit Exporters", identity.Trader)
	for _, body := range []map[string]any{
		{"currency": "ZAR", "kind": "liability", "code": "citrus", "name": "Citrus season"},
		{"currency": "KZT", "kind": "liability", "code": "citrus_kz", "name": "Citrus in Kazakhstan"},
		{"currency": "KZT", "kind": "asset", "code": "grapes", "name": "Grapes"},
	} {
		if r := f.call(t, "POST", "/api/v1/ledger/accounts", tok, body); r.status != 201 {
			t.Fatalf("open: %d %s", r.status, r.body)
		}
	}
	codes := func(q string) []string {
		t.Helper()
		r := f.call(t, "GET", "/api/v1/ledger/accounts?"+q, tok, nil)
		if r.status != 200 {
			t.Fatalf("%s: %d %s", q, r.status, r.body)
		}
		var out []string
		for _, it := range r.json(t)["items"].([]any) {
			out = append(out, it.(map[string]any)["code"].(string))
		}
		return out
	}
	if got := codes("q=CITRUS"); strings.Join(got, ",") != "citrus,citrus_kz" {
		t.Errorf("q=CITRUS: %v", got)
	}
	if got := codes("q=citrus&currency=KZT"); strings.Join(got, ",") != "citrus_kz" {
		t.Errorf("citrus in KZT: %v", got)
	}
	if got := codes("kind=asset"); strings.Join(got, ",") != "grapes" {
		t.Errorf("assets: %v", got)
	}
	if r := f.call(t, "GET", "/api/v1/ledger/accounts?kind=cash", tok, nil); r.status != 400 {
		t.Errorf("bad kind: %d", r.status)
	}
}

func TestHistoryNamesCounterparties(t *testing.T) {
	f := getFixture(t)
	bank := f.token(t, "Steppe Commercial Bank", identity.BankOperator)
	payer := f.token(t, "Shenzhen Smart Devices", identity.Trader)
	payee := f.token(t, "Gujarat Textile Mills", identity.Trader)
	vault := f.openAccount(t, bank, "KZT", false)
	r := f.call(t, "POST", "/api/v1/ledger/accounts", payer, map[string]any{"currency": "KZT", "kind": "liability", "code": "hiddencode",
		"name": "Hidden name", "debits_must_not_exceed_credits": true})
	if r.status != 201 {
		t.Fatalf("open: %d %s", r.status, r.body)
	}
	from := r.json(t)["id"].(string)
	to := f.openAccount(t, payee, "KZT", true)
	for _, tr := range []map[string]any{
		{"tok": bank, "id": v7(), "debit_account_id": vault, "credit_account_id": from, "amount": "10.00", "currency": "KZT"},
		{"tok": payer, "id": v7(), "debit_account_id": from, "credit_account_id": to, "amount": "4.00", "currency": "KZT"},
	} {
		tok := tr["tok"].(string)
		delete(tr, "tok")
		if got := results(t, f.call(t, "POST", "/api/v1/ledger/transfers", tok, map[string]any{"transfers": []any{tr}})); got[0] != "ok" {
			t.Fatalf("transfer: %v", got)
		}
	}
	h := f.call(t, "GET", "/api/v1/ledger/accounts/"+to+"/history", payee, nil)
	items := h.json(t)["items"].([]any)
	cp := items[0].(map[string]any)["counterparty"].(map[string]any)
	if cp["account_id"] != from || cp["org_name"] != "Shenzhen Smart Devices" || cp["own"] != false {
		t.Fatalf("payee's view of the payer: %v", cp)
	}
	for _, leak := range []string{"hiddencode", "Hidden name", "10.00", "6.00"} {
		if strings.Contains(string(h.body), leak) {
			t.Errorf("the payee's history tells %q: %s", leak, h.body)
		}
	}
}

func TestStatementUntil(t *testing.T) {
	f := getFixture(t)
	bank := f.token(t, "Steppe Commercial Bank", identity.BankOperator)
	tok := f.token(t, "Cerrado Agro Exportadora", identity.Trader)
	vault := f.openAccount(t, bank, "KZT", false)
	acct := f.openAccount(t, tok, "KZT", true)
	if got := results(t, f.call(t, "POST", "/api/v1/ledger/transfers", bank, map[string]any{"transfers": []any{map[string]any{"id": v7(),
		"debit_account_id": vault, "credit_account_id": acct, "amount": "3.00", "currency": "KZT"}}})); got[0] != "ok" {
		t.Fatalf("funding: %v", got)
	}
	count := func(q string) int {
		t.Helper()
		r := f.call(t, "GET", "/api/v1/ledger/accounts/"+acct+"/history?"+q, tok, nil)
		if r.status != 200 {
			t.Fatalf("%s: %d %s", q, r.status, r.body)
		}
		return len(r.json(t)["items"].([]any))
	}
	if n := count("until=2000-01-01"); n != 0 {
		t.Errorf("before the account existed: %d lines", n)
	}
	if n := count("until=2999-01-01"); n != 1 {
		t.Errorf("up to the future: %d lines", n)
	}
	if r := f.call(t, "GET", "/api/v1/ledger/accounts/"+acct+"/history?until=soon", tok, nil); r.status != 400 {
		t.Errorf("bad until: %d", r.status)
	}
	page := f.browser(t, "trader@cerradoagro.br")
	wantIn(t, page.get(t, "/accounts/"+acct+"?until=2000-01-01"), 200, "No transfers before this date.", "← Newest")
	wantIn(t, page.get(t, "/accounts/"+acct+"?until=2999-01-01"), 200, "Steppe Commercial Bank account")
	wantIn(t, page.get(t, "/accounts/"+acct+"?until=nope"), 400, "Enter a date such as 2026-03-31.")
}
