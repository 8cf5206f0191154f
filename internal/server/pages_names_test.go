package server

import (
	"net/url"
	"strings"
	"testing"

	"bricstown/internal/identity"
)

func TestNamesOnPages(t *testing.T) {
	f := getFixture(t)
	bankTok := f.token(t, "Steppe Commercial Bank", identity.BankOperator)
	grainTok := f.token(t, "Kazakh Grain Export", identity.Trader)
	energyTok := f.token(t, "Siberian Energy Trading", identity.Trader)
	vault := f.openAccount(t, bankTok, "KZT", false)
	r := f.call(t, "POST", "/api/v1/ledger/accounts", grainTok, map[string]any{"currency": "KZT", "kind": "liability", "code": "grainsecret",
		"name": "Grain private ledger", "debits_must_not_exceed_credits": true})
	if r.status != 201 {
		t.Fatalf("open: %d %s", r.status, r.body)
	}
	mine := r.json(t)["id"].(string)
	theirs := f.openAccount(t, energyTok, "KZT", true)
	if got := results(t, f.call(t, "POST", "/api/v1/ledger/transfers", bankTok, map[string]any{"transfers": []map[string]any{{"id": v7(),
		"debit_account_id": vault, "credit_account_id": mine, "amount": "500.00", "currency": "KZT", "reference": "deposit"}}})); got[0] != "ok" {
		t.Fatalf("funding: %v", got)
	}
	trader := f.browser(t, "trader@kazgrain.kz")
	energy := f.browser(t, "trader@sibenergy.ru")

	// A trader sees their account in their terms, the bank in its own.
	r = trader.get(t, "/accounts/"+mine)
	wantIn(t, r, 200, "Current account", "Steppe Commercial Bank account")
	if strings.Contains(string(r.body), ">Liability<") || strings.Contains(string(r.body), "Liability ·") {
		t.Error("a trader is shown the accounting kind")
	}
	wantIn(t, f.browser(t, "treasury@steppebank.kz").get(t, "/accounts/"+vault), 200, "Liability")

	// The demo town's companies start with saved counterparties.
	wantIn(t, trader.get(t, "/accounts"), 200, "Khorgos Gateway Logistics — freight")

	// Saving a counterparty from the page: an unknown id is refused beside
	// its field in the user's terms; a good one is offered in the picker.
	before := f.auditCount(t)
	r = trader.post(t, "/accounts/counterparties", url.Values{"label": {"Siberian fuel"}, "currency": {"KZT"}, "account_id": {v7()}})
	wantIn(t, r, 404, "No account with this id can receive KZT.", `value="Siberian fuel"`)
	if !fieldError.Match(r.body) || f.auditCount(t) != before {
		t.Fatal("refused save: no field error, or something written")
	}
	r = trader.post(t, "/accounts/counterparties", url.Values{"label": {"Siberian fuel"}, "currency": {"KZT"}, "account_id": {theirs}})
	wantIn(t, trader.follow(t, r), 200, "Counterparty saved.", "Siberian fuel", shortUUID(theirs))
	r = trader.get(t, "/accounts/"+mine)
	wantIn(t, r, 200, `<option value="`+theirs+`">Siberian fuel</option>`)
	// Paying through the picker, no id typed.
	r = trader.post(t, "/accounts/"+mine+"/transfers", url.Values{"id": {v7()}, "to_pick": {theirs}, "amount": {"12.00"}, "reference": {"fuel"}})
	wantIn(t, trader.follow(t, r), 200, "The transfer has been booked.", "Siberian Energy Trading account")
	// In Russian the other side is named in Russian.
	wantIn(t, trader.get(t, "/accounts/"+mine+"?lang=ru"), 200, "Счёт организации «Siberian Energy Trading»", "Текущий счёт")

	// The payee sees who paid, and nothing of the payer's account: not
	// its code, its name or a link to it.
	r = energy.get(t, "/accounts/"+theirs)
	wantIn(t, r, 200, "Kazakh Grain Export account")
	for _, leak := range []string{"grainsecret", "Grain private ledger", `href="/accounts/` + mine + `"`} {
		if strings.Contains(string(r.body), leak) {
			t.Errorf("the payee's statement shows %q", leak)
		}
	}
	// Nor the payer's saved list.
	if r := energy.get(t, "/accounts"); strings.Contains(string(r.body), "Siberian fuel") {
		t.Error("another org sees grain's saved counterparties")
	}

	// Searching the account list.
	r = trader.get(t, "/accounts?q=GRAINSECRET")
	wantIn(t, r, 200, `href="/accounts/`+mine+`"`, `value="GRAINSECRET"`)
	r = trader.get(t, "/accounts?q=no-such-account-anywhere")
	wantIn(t, r, 200, `id="no-match"`)

	// The audit log reads as sentences about people and records.
	grainAdmin := f.browser(t, "admin@kazgrain.kz")
	r = grainAdmin.get(t, "/audit?action=ledger.counterparty.save")
	wantIn(t, r, 200, "Counterparty saved", "Asel Omarova", "Kazakh Grain Export", "Siberian fuel")
	if table := tableOf(string(r.body), "audit-list"); table == "" || strings.Contains(table, "Account opened") {
		t.Error("the action filter let other actions through")
	}
	wantIn(t, grainAdmin.get(t, "/audit?lang=ru&action=ledger."), 200, "Контрагент сохранён", "Счёт открыт")
	wantIn(t, grainAdmin.get(t, "/audit?from=yesterday"), 400, "Enter a date such as 2026-03-31.")
	// From an account to its own changes: the administrator gets the link,
	// the trader (who may not read the log) does not.
	r = grainAdmin.get(t, "/accounts/"+mine)
	wantIn(t, r, 200, `href="/audit?kind=ledger_account&amp;record=`+mine+`"`)
	if strings.Contains(string(trader.get(t, "/accounts/"+mine).body), `id="account-audit"`) {
		t.Error("a trader is offered the audit log")
	}
	r = grainAdmin.get(t, "/audit?kind=ledger_account&record="+mine)
	if table := tableOf(string(r.body), "audit-list"); !strings.Contains(table, "Account opened") || strings.Contains(table, "Counterparty saved") {
		t.Errorf("one record's changes: %s", table)
	}
	// Another organisation's administrator sees none of it.
	if r := energy.get(t, "/audit?org="+f.orgs["Kazakh Grain Export"].ID); strings.Contains(string(r.body), "Siberian fuel") {
		t.Error("another org's audit page shows grain's entries")
	}
	// The centre raised the bank's issuance limit: the bank's log names the
	// centre, not the centre's operator.
	r = f.browser(t, "treasury@steppebank.kz").get(t, "/audit?action=ledger.issuance.limit")
	wantIn(t, r, 200, "Issuance limit set", "A user of", "BRICS Town Settlement Centre")
	if strings.Contains(string(r.body), "Bolat Sarsenov") {
		t.Error("the bank's audit log names a user of another organisation")
	}
}

// tableOf is the HTML of the table with this id ("" when absent), so a test
// can look at rows without matching the filter's options.
func tableOf(page, id string) string {
	i := strings.Index(page, `id="`+id+`"`)
	if i < 0 {
		return ""
	}
	j := strings.Index(page[i:], "</table>")
	if j < 0 {
		return ""
	}
	return page[i : i+j]
}
