package server

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"testing"

	"bricstown/internal/customs"
	"bricstown/internal/identity"
)

// The demo town's cancelled paid declaration shows its refund paid to the
// declarant, in every language.
func TestPagesDemoRefund(t *testing.T) {
	f := getFixture(t)
	var id string
	if err := f.db.SQL.QueryRow(`SELECT id FROM customs_declarations WHERE reference = 'DEMO-KGL-0307'`).Scan(&id); err != nil {
		t.Fatal(err)
	}
	kgl := f.token(t, "Khorgos Gateway Logistics", identity.OrgAdmin)
	d := f.apiDecl(t, kgl, id)
	if d["status"] != "cancelled" || d["refund_due"] == true || d["refund"] == nil {
		t.Fatalf("demo refund: %v %v %v", d["status"], d["refund_due"], d["refund"])
	}
	b := f.browser(t, "dispatch@khorgosgw.kz")
	for lang, want := range map[string]string{"en": "Refund paid:", "ru": "Возврат выплачен:", "zh": "退款已支付", "kk": "Қайтарым төленді:", "pt": "Reembolso pago:"} {
		wantIn(t, b.get(t, "/customs/"+id+"?lang="+lang), 200, `id="refund"`, want)
	}
	officer := f.browser(t, "officer@customs.kz")
	if r := officer.get(t, "/customs/"+id); strings.Contains(string(r.body), `id="pay-refund"`) {
		t.Error("the officer is offered to pay a refund already paid")
	}
}

// A refund left due: the officer's page offers "pay refund", the trader's
// does not; the officer pays it; a closed payer account is said on the
// page and nothing is written.
func TestPagesOfficerPaysRefund(t *testing.T) {
	f := getFixture(t)
	ctx := context.Background()
	trader := f.token(t, apiKGE, identity.Trader)
	officerTok := f.token(t, apiCustomsPO, identity.CustomsOfficer)
	vault := f.openAccount(t, f.token(t, "Steppe Commercial Bank", identity.BankOperator), "KZT", false)
	bank := f.token(t, "Steppe Commercial Bank", identity.BankOperator)
	o := f.orgs[apiKGE]
	bare, err := customs.NewService(f.db, customs.Config{Rules: f.srv.Customs.Rules()})
	if err != nil {
		t.Fatal(err)
	}
	due := func(closeIt bool) (string, string) {
		d := f.apiGreenDeclaration(t, trader, apiKGE)
		id := d["id"].(string)
		total := int64(d["assessment"].(map[string]any)["total_kzt"].(float64))
		acct := f.openAccount(t, trader, "KZT", true)
		r := f.call(t, "POST", "/api/v1/ledger/transfers", bank, map[string]any{"transfers": []map[string]any{{"id": v7(), "debit_account_id": vault,
			"credit_account_id": acct, "amount": fmt.Sprintf("%d.%02d", total/100, total%100), "currency": "KZT"}}})
		if got := results(t, r); got[0] != "ok" {
			t.Fatalf("fund: %v", got)
		}
		f.apiPost(t, apiDecls+"/"+id+"/checks", officerTok, map[string]any{"lane": "yellow", "reason": "check"}, 200)
		f.apiPost(t, apiDecls+"/"+id+"/pay", trader, map[string]any{"from_account_id": acct}, 200)
		if closeIt {
			f.apiPost(t, "/api/v1/ledger/accounts/"+acct+"/close", trader, nil, 200)
		}
		if _, err := bare.Cancel(ctx, &identity.Principal{UserID: "u", OrgID: o.ID, OrgKind: o.Kind, Roles: []identity.Role{identity.Trader}}, id, "withdrawn"); err != nil {
			t.Fatal(err)
		}
		return id, acct
	}
	id, _ := due(false)
	tb := f.browser(t, "trader@kazgrain.kz")
	if r := tb.get(t, "/customs/"+id); r.status != 200 || strings.Contains(string(r.body), `id="pay-refund"`) {
		t.Errorf("the trader's page: %d, offers the refund: %v", r.status, strings.Contains(string(r.body), `id="pay-refund"`))
	}
	if r := tb.post(t, "/customs/"+id+"/refund", url.Values{}); r.status != 403 {
		t.Errorf("the trader posts the refund: %d", r.status)
	}
	ob := f.browser(t, "officer@customs.kz")
	wantIn(t, ob.get(t, "/customs/"+id), 200, `id="pay-refund"`)
	page := ob.follow(t, ob.post(t, "/customs/"+id+"/refund", url.Values{}))
	wantIn(t, page, 200, `id="refund"`, "Refund paid:", "Refund paid.")
	if strings.Contains(string(page.body), `id="pay-refund"`) {
		t.Error("the button stays after the refund")
	}
	if d := f.apiDecl(t, trader, id); d["refund_due"] == true || d["refund"] == nil {
		t.Errorf("after the page's refund: %v %v", d["refund_due"], d["refund"])
	}

	closed, _ := due(true)
	r := ob.post(t, "/customs/"+closed+"/refund", url.Values{})
	wantIn(t, r, 409, "The receiving account is closed.", `id="pay-refund"`)
	if d := f.apiDecl(t, trader, closed); d["refund_due"] != true || d["refund"] != nil {
		t.Errorf("a refused refund was recorded: %v", d["refund"])
	}
}
