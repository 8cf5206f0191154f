package server

import (
	"strings"
	"testing"

	"bricstown/internal/identity"

	"github.com/google/uuid"
)

func v7() string { return uuid.Must(uuid.NewV7()).String() }

// openAccount opens an account for tok's org. noOverdraft false asks for a
// funding source: only a bank has one, its issuance account, granted by
// the settlement centre (docs/MONEY.md); the fixture grants a line.
func (f *fixture) openAccount(t *testing.T, tok, ccy string, noOverdraft bool) string {
	t.Helper()
	if !noOverdraft {
		me := f.call(t, "GET", "/api/v1/me", tok, nil)
		org := me.json(t)["org_id"].(string)
		centre := f.token(t, demoCentre, identity.BankOperator)
		resp := f.call(t, "PUT", "/api/v1/ledger/issuance", centre, map[string]any{"org_id": org, "currency": ccy, "limit": "1000000000000"})
		if resp.status != 200 {
			t.Fatalf("issuance: %d %s", resp.status, resp.body)
		}
		return resp.json(t)["id"].(string)
	}
	resp := f.call(t, "POST", "/api/v1/ledger/accounts", tok, map[string]any{"currency": ccy, "kind": "liability", "code": "operating",
		"name": "test " + ccy, "debits_must_not_exceed_credits": noOverdraft})
	if resp.status != 201 {
		t.Fatalf("open account: %d %s", resp.status, resp.body)
	}
	return resp.json(t)["id"].(string)
}

func results(t *testing.T, r response) []string {
	t.Helper()
	if r.status != 200 {
		t.Fatalf("transfers: %d %s", r.status, r.body)
	}
	var out []string
	for _, x := range r.json(t)["results"].([]any) {
		out = append(out, x.(map[string]any)["result"].(string))
	}
	return out
}

func TestLedgerAPI(t *testing.T) {
	f := getFixture(t)
	grain := f.token(t, "Kazakh Grain Export", identity.Trader)
	energy := f.token(t, "Siberian Energy Trading", identity.Trader)
	bank := f.token(t, "Steppe Commercial Bank", identity.BankOperator)
	// The bank funds the trader's customer account from its own books.
	vault := f.openAccount(t, bank, "KZT", false)
	mine := f.openAccount(t, grain, "KZT", true)
	theirs := f.openAccount(t, energy, "KZT", true)
	fund := v7()
	fundBody := map[string]any{"transfers": []map[string]any{{"id": fund, "debit_account_id": vault, "credit_account_id": mine, "amount": "1000.00", "currency": "KZT", "reference": "deposit"}}}
	if got := results(t, f.call(t, "POST", "/api/v1/ledger/transfers", bank, fundBody)); got[0] != "ok" {
		t.Fatalf("funding: %v", got)
	}
	// Replaying the same request is idempotent.
	if got := results(t, f.call(t, "POST", "/api/v1/ledger/transfers", bank, fundBody)); got[0] != "exists" {
		t.Fatalf("replay: %v", got)
	}
	pay := func(tok, from, to, amount string, extra ...string) map[string]any {
		m := map[string]any{"id": v7(), "debit_account_id": from, "credit_account_id": to, "amount": amount, "currency": "KZT"}
		for i := 0; i+1 < len(extra); i += 2 {
			m[extra[i]] = extra[i+1]
		}
		return m
	}
	got := results(t, f.call(t, "POST", "/api/v1/ledger/transfers", grain, map[string]any{"transfers": []any{
		pay(grain, mine, theirs, "250.50"),
		pay(grain, mine, theirs, "800.00"), // exceeds what is left
		pay(grain, theirs, mine, "1.00"),   // not grain's money
		map[string]any{"id": v7(), "debit_account_id": mine, "credit_account_id": theirs, "amount": "1", "currency": "KZT", "linked": true},
	}}))
	want := []string{"ok", "exceeds_credits", "debit_account_not_found", "linked_event_chain_open"}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("results %v, want %v", got, want)
	}
	acct := f.call(t, "GET", "/api/v1/ledger/accounts/"+mine, grain, nil).json(t)
	if acct["balance"] != "749.50" || acct["available"] != "749.50" {
		t.Fatalf("balance %v", acct)
	}
	// Another org cannot see the account or its history.
	for _, path := range []string{"/api/v1/ledger/accounts/" + mine, "/api/v1/ledger/accounts/" + mine + "/history", "/api/v1/ledger/accounts/" + mine + "/balance"} {
		if r := f.call(t, "GET", path, energy, nil); r.status != 404 {
			t.Errorf("%s seen by another org: %d", path, r.status)
		}
	}
	h := f.call(t, "GET", "/api/v1/ledger/accounts/"+mine+"/history?limit=1", grain, nil).json(t)
	items := h["items"].([]any)
	if len(items) != 1 || items[0].(map[string]any)["balance_after"] != "749.50" || h["next_cursor"] == "" {
		t.Fatalf("history page: %v", h)
	}
	h = f.call(t, "GET", "/api/v1/ledger/accounts/"+mine+"/history?cursor="+h["next_cursor"].(string), grain, nil).json(t)
	if items := h["items"].([]any); len(items) != 1 || items[0].(map[string]any)["balance_after"] != "1000.00" {
		t.Fatalf("history page 2: %v", h)
	}
	// Bad input is refused whole, with a message per field and index.
	bad := f.call(t, "POST", "/api/v1/ledger/transfers", grain, map[string]any{"transfers": []any{
		pay(grain, mine, theirs, "1.005"),
		map[string]any{"id": "not-a-uuid", "debit_account_id": mine, "credit_account_id": theirs, "amount": "1.00", "currency": "XAU"},
		pay(grain, mine, theirs, "-5"),
		map[string]any{"id": v7(), "debit_account_id": mine, "credit_account_id": theirs, "amount": "1.00"},
	}})
	if bad.status != 400 {
		t.Fatalf("bad batch: %d %s", bad.status, bad.body)
	}
	errs := bad.json(t)["errors"].(map[string]any)
	for _, field := range []string{"transfers[0].amount", "transfers[1].id", "transfers[1].currency", "transfers[2].amount", "transfers[3].currency"} {
		if _, ok := errs[field]; !ok {
			t.Errorf("no message for %s in %v", field, errs)
		}
	}
	if acct := f.call(t, "GET", "/api/v1/ledger/accounts/"+mine, grain, nil).json(t); acct["balance"] != "749.50" {
		t.Fatalf("a refused batch moved money: %v", acct)
	}
	var many []any
	for i := 0; i < 8001; i++ {
		many = append(many, pay(grain, mine, theirs, "0.01"))
	}
	if r := f.call(t, "POST", "/api/v1/ledger/transfers", grain, map[string]any{"transfers": many}); r.status != 413 {
		t.Fatalf("8001 transfers: %d", r.status)
	}
	// Two-phase through the API: reserve, then post part of it.
	hold := v7()
	got = results(t, f.call(t, "POST", "/api/v1/ledger/transfers", grain, map[string]any{"transfers": []any{
		map[string]any{"id": hold, "debit_account_id": mine, "credit_account_id": theirs, "amount": "500.00", "currency": "KZT", "pending": true, "timeout_seconds": 3600},
	}}))
	if got[0] != "ok" {
		t.Fatal(got)
	}
	if a := f.call(t, "GET", "/api/v1/ledger/accounts/"+mine, grain, nil).json(t); a["available"] != "249.50" || a["balance"] != "749.50" {
		t.Fatalf("after the hold: %v", a)
	}
	got = results(t, f.call(t, "POST", "/api/v1/ledger/transfers", energy, map[string]any{"transfers": []any{
		map[string]any{"id": v7(), "pending_id": hold, "post_pending": true, "amount": "100.00", "currency": "KZT"},
	}}))
	if got[0] != "pending_transfer_not_found" {
		t.Fatalf("the payee posted the payer's hold: %v", got)
	}
	got = results(t, f.call(t, "POST", "/api/v1/ledger/transfers", grain, map[string]any{"transfers": []any{
		map[string]any{"id": v7(), "pending_id": hold, "post_pending": true, "amount": "100.00", "currency": "KZT"},
	}}))
	if a := f.call(t, "GET", "/api/v1/ledger/accounts/"+mine, grain, nil).json(t); got[0] != "ok" || a["balance"] != "649.50" || a["available"] != "649.50" {
		t.Fatalf("after posting 100 of 500: %v %v", got, a)
	}
	// The bank finds the transfer by the id it sent; the payee by the
	// ledger's id, which its statement shows; a stranger by neither.
	byKey := f.call(t, "GET", "/api/v1/ledger/transfers/"+fund, bank, nil)
	if byKey.status != 200 {
		t.Fatalf("the submitter reads its transfer by its own id: %d %s", byKey.status, byKey.body)
	}
	ledgerID := byKey.json(t)["id"].(string)
	if ledgerID == fund {
		t.Fatal("the ledger id is the client's id: client ids are not scoped")
	}
	for _, id := range []string{fund, ledgerID} {
		if r := f.call(t, "GET", "/api/v1/ledger/transfers/"+id, energy, nil); r.status != 404 {
			t.Fatalf("a stranger read the funding transfer: %d", r.status)
		}
	}
	if r := f.call(t, "GET", "/api/v1/ledger/transfers/"+ledgerID, grain, nil); r.status != 200 || !strings.Contains(string(r.body), `"amount":"1000.00"`) {
		t.Fatalf("payee reads its transfer: %d %s", r.status, r.body)
	}
	if r := f.call(t, "POST", "/api/v1/ledger/accounts", grain, map[string]any{"currency": "KZT", "kind": "liability", "code": "x", "org_id": f.orgs["Siberian Energy Trading"].ID}); r.status != 400 {
		t.Fatalf("opening an account for another org: %d %s", r.status, r.body)
	}
}
