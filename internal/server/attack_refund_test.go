package server

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"bricstown/internal/customs"
	"bricstown/internal/dutyledger"
	"bricstown/internal/identity"
	"bricstown/internal/ledger"
	"bricstown/internal/platform"
	"bricstown/internal/problem"

	"github.com/google/uuid"
)

// TestAttackRefunds: refunds customs owes (issue 14) are paid back through
// the ledger exactly once, only by customs officers (or the platform right
// after the change that made them due), only to the account the money
// came from, on both engines; a crash between the ledger transfer and the
// declaration's record is healed by the officer's retry.
func TestAttackRefunds(t *testing.T) {
	onBothEngines(t, func(t *testing.T, f *fixture) {
		w := newAttackWorld(t, f)
		r := &refundWorld{f: f, w: w, officer: f.token(t, apiCustomsPO, identity.CustomsOfficer)}
		t.Run("automatic_after_cancel", r.automatic)
		t.Run("nothing_due", r.nothingDue)
		t.Run("only_customs_officers", r.onlyOfficers)
		t.Run("no_other_account", r.noOtherAccount)
		t.Run("crash_healed_by_retry", r.crashHealed)
		t.Run("twenty_at_once", r.concurrent)
		t.Run("payer_account_closed", r.accountClosed)
		t.Run("guarantee_back_to_its_bank", r.guaranteeBack)
		r.invariants(t)
	})
}

type refundWorld struct {
	f       *fixture
	w       *attackWorld
	officer string
}

func (r *refundWorld) balance(t *testing.T, id string) int64 {
	t.Helper()
	a, err := r.f.db.GetAccount(context.Background(), uuid.MustParse(id))
	if err != nil {
		t.Fatal(err)
	}
	return a.Balance()
}

// paidUnderCheck lodges a green declaration, has the officer order a
// documentary check (so payment does not release the goods) and pays its
// duties from a new account of the trader funded with exactly the duties.
// It answers the declaration's id, the amount paid and the account.
func (r *refundWorld) paidUnderCheck(t *testing.T, tok, org string) (string, int64, string) {
	t.Helper()
	f := r.f
	d := f.apiGreenDeclaration(t, tok, org)
	id := d["id"].(string)
	total := int64(d["assessment"].(map[string]any)["total_kzt"].(float64))
	acct := r.w.ownAccount(t, tok, "KZT", "duties")
	r.w.issue(t, r.w.banks[0].tok, acct, "KZT", fmt.Sprintf("%d.%02d", total/100, total%100))
	f.apiPost(t, apiDecls+"/"+id+"/checks", r.officer, map[string]any{"lane": "yellow", "reason": "check the invoice"}, 200)
	paid := f.apiPost(t, apiDecls+"/"+id+"/pay", tok, map[string]any{"from_account_id": acct}, 200)
	if paid["status"] != "documentary_check" || paid["payment"] == nil {
		t.Fatalf("paid declaration: %v", paid)
	}
	return id, total, acct
}

// cancelWithoutRefund cancels a paid declaration through a customs service
// that has no refund port, leaving the refund due and unpaid: what a
// process that stopped right after the cancellation committed leaves.
func (r *refundWorld) cancelWithoutRefund(t *testing.T, id string) {
	t.Helper()
	ctx := context.Background()
	bare, err := customs.NewService(r.f.db, customs.Config{Rules: r.f.srv.Customs.Rules()})
	if err != nil {
		t.Fatal(err)
	}
	d, err := bare.Cancel(ctx, r.traderPrincipal(t, attacker), id, "contract rescinded")
	if err != nil || !d.RefundDue || d.Refund != nil {
		t.Fatalf("cancel without refund: %+v %v", d.Refund, err)
	}
}

func (r *refundWorld) traderPrincipal(t *testing.T, org string) *identity.Principal {
	t.Helper()
	o := r.f.orgs[org]
	return &identity.Principal{UserID: "trader-of-" + o.ID, OrgID: o.ID, OrgKind: o.Kind, Roles: []identity.Role{identity.Trader}, Via: "token"}
}

func (r *refundWorld) payments() dutyledger.Payments {
	return dutyledger.Payments{Ledger: r.f.srv.Ledger, Authority: platform.OrgOfKind(r.f.ids, identity.KindCustomsAuthority)}
}

func refundOf(t *testing.T, d map[string]any) map[string]any {
	t.Helper()
	rf, _ := d["refund"].(map[string]any)
	if rf == nil {
		t.Fatalf("no refund on %v", d["id"])
	}
	return rf
}

// The trader cancels a paid declaration: the duties come back at once,
// to the account they were paid from, with the deterministic transfer id.
func (r *refundWorld) automatic(t *testing.T) {
	f, w := r.f, r.w
	id, amount, acct := r.paidUnderCheck(t, w.trader, attacker)
	before, rev := r.balance(t, acct), f.apiRevenueBalance(t)
	d := f.apiPost(t, apiDecls+"/"+id+"/cancel", w.trader, map[string]any{"reason": "buyer withdrew"}, 200)
	if d["refund_due"] == true {
		t.Fatalf("refund still due after cancel: %v", d)
	}
	rf := refundOf(t, d)
	if rf["reference"] != dutyledger.RefundID(id, customs.RefundOfPayment).String() || int64(rf["amount_kzt"].(float64)) != amount || rf["by"] != "system" {
		t.Errorf("refund %v, want %d by system with the derived id", rf, amount)
	}
	if got := r.balance(t, acct); got != before+amount {
		t.Errorf("trader's account %d, want %d", got, before+amount)
	}
	if got := f.apiRevenueBalance(t); got != rev-amount {
		t.Errorf("revenue %d, want %d", got, rev-amount)
	}
	// Sequentially again: nothing is due, nothing moves.
	state := f.state(t)
	if res := f.call(t, "POST", apiDecls+"/"+id+"/refund", r.officer, nil); res.status != 409 {
		t.Errorf("second refund: %d %s", res.status, res.body)
	}
	f.unchanged(t, "a second refund", state)
	h := f.call(t, "GET", apiDecls+"/"+id+"/history", w.trader, nil).json(t)
	found := false
	for _, e := range h["events"].([]any) {
		if ev := e.(map[string]any); ev["kind"] == string(customs.EvRefunded) {
			found = true
		}
	}
	if !found {
		t.Errorf("no refunded event in the history: %v", h["events"])
	}
}

// Released after payment, or never paid: nothing is due, refused.
func (r *refundWorld) nothingDue(t *testing.T) {
	f, w := r.f, r.w
	d := f.apiGreenDeclaration(t, w.trader, attacker)
	id := d["id"].(string)
	total := int64(d["assessment"].(map[string]any)["total_kzt"].(float64))
	acct := w.ownAccount(t, w.trader, "KZT", "duties")
	w.issue(t, w.banks[0].tok, acct, "KZT", fmt.Sprintf("%d.%02d", total/100, total%100))
	state := f.state(t)
	if res := f.call(t, "POST", apiDecls+"/"+id+"/refund", r.officer, nil); res.status != 409 {
		t.Errorf("refund of an unpaid declaration: %d %s", res.status, res.body)
	}
	f.unchanged(t, "refund of an unpaid declaration", state)
	if got := f.apiPost(t, apiDecls+"/"+id+"/pay", w.trader, map[string]any{"from_account_id": acct}, 200); got["status"] != "released" {
		t.Fatalf("green paid: %v", got["status"])
	}
	state = f.state(t)
	if res := f.call(t, "POST", apiDecls+"/"+id+"/refund", r.officer, nil); res.status != 409 {
		t.Errorf("refund of a released declaration: %d %s", res.status, res.body)
	}
	f.unchanged(t, "refund of a released declaration", state)
}

// A trader (token, org_admin, session) cannot call the route, on its own
// declaration or another org's; through the service, another org's
// declaration is not_found and its own forbidden.
func (r *refundWorld) onlyOfficers(t *testing.T) {
	f, w := r.f, r.w
	own, _, ownAcct := r.paidUnderCheck(t, w.trader, attacker)
	r.cancelWithoutRefund(t, own)
	foreign, _, foreignAcct := r.paidUnderCheck(t, w.victim, victimOrg)
	bare, err := customs.NewService(f.db, customs.Config{Rules: f.srv.Customs.Rules()})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := bare.Cancel(context.Background(), r.traderPrincipal(t, victimOrg), foreign, "withdrawn"); err != nil {
		t.Fatal(err)
	}
	cookie, csrf := f.session(t, "trader@kazgrain.kz")
	callers := map[string]string{"trader": w.trader, "org_admin": f.token(t, attacker, identity.OrgAdmin),
		"quarantine": f.token(t, apiSPSPO, identity.QuarantineOfficer), "bank": w.banks[0].tok}
	state := f.state(t)
	for _, id := range []string{own, foreign} {
		for name, tok := range callers {
			if res := f.call(t, "POST", apiDecls+"/"+id+"/refund", tok, nil); res.status != 403 {
				t.Errorf("%s refunds: %d %s", name, res.status, res.body)
			}
		}
		if res := f.call(t, "POST", apiDecls+"/"+id+"/refund", "", nil, "Cookie", cookie, "X-CSRF-Token", csrf); res.status != 403 {
			t.Errorf("trader session refunds: %d %s", res.status, res.body)
		}
		if res := f.call(t, "POST", apiDecls+"/"+id+"/refund", "", nil); res.status != 401 {
			t.Errorf("anonymous refunds: %d %s", res.status, res.body)
		}
	}
	ctx := context.Background()
	if _, err := f.srv.Customs.PayRefund(ctx, r.traderPrincipal(t, attacker), foreign); !problem.Is(err, problem.NotFound) {
		t.Errorf("a trader refunds another org's declaration: %v, want not_found", err)
	}
	if _, err := f.srv.Customs.PayRefund(ctx, r.traderPrincipal(t, attacker), own); !problem.Is(err, problem.Forbidden) {
		t.Errorf("a trader refunds its own declaration: %v, want forbidden", err)
	}
	if _, err := f.srv.Customs.PayRefund(ctx, r.traderPrincipal(t, attacker), v7()); !problem.Is(err, problem.NotFound) {
		t.Errorf("unknown declaration: %v, want not_found", err)
	}
	f.unchanged(t, "refunds by non-officers", state)
	// The officer completes both, each to its own payer.
	for _, c := range []struct{ id, acct string }{{own, ownAcct}, {foreign, foreignAcct}} {
		d := f.apiPost(t, apiDecls+"/"+c.id+"/refund", r.officer, nil, 200)
		tr := refundOf(t, d)["transfers"].([]any)[0].(map[string]any)
		if tr["to_account_id"] != c.acct || d["refund_due"] == true {
			t.Errorf("refund of %s went to %v, want %s", c.id, tr["to_account_id"], c.acct)
		}
	}
}

// Nobody names the account: a body naming one is refused whole, a query
// parameter is ignored, and the money goes to the payer's account.
func (r *refundWorld) noOtherAccount(t *testing.T) {
	f, w := r.f, r.w
	id, amount, acct := r.paidUnderCheck(t, w.trader, attacker)
	r.cancelWithoutRefund(t, id)
	thief := w.ownAccount(t, f.token(t, apiCustomsPO, identity.OrgAdmin), "KZT", "refund_sink")
	state := f.state(t)
	for _, body := range []map[string]any{{"to_account_id": thief}, {"account_id": thief}, {"amount_kzt": 1}, {"from_account_id": thief}} {
		if res := f.call(t, "POST", apiDecls+"/"+id+"/refund", r.officer, body); res.status != 400 {
			t.Errorf("refund with %v: %d %s", body, res.status, res.body)
		}
	}
	f.unchanged(t, "refunds naming an account", state)
	before := r.balance(t, acct)
	d := f.apiPost(t, apiDecls+"/"+id+"/refund?to_account_id="+thief+"&credit_account_id="+thief, r.officer, nil, 200)
	if tr := refundOf(t, d)["transfers"].([]any)[0].(map[string]any); tr["to_account_id"] != acct {
		t.Errorf("refund went to %v", tr["to_account_id"])
	}
	if r.balance(t, thief) != 0 || r.balance(t, acct) != before+amount {
		t.Errorf("thief %d, trader %d (+%d expected)", r.balance(t, thief), r.balance(t, acct)-before, amount)
	}
}

// The process stops after the ledger transfer and before the record: the
// officer's retry finds the transfer by its id and records it, paid once.
func (r *refundWorld) crashHealed(t *testing.T) {
	f, w := r.f, r.w
	ctx := context.Background()
	id, amount, acct := r.paidUnderCheck(t, w.trader, attacker)
	r.cancelWithoutRefund(t, id)
	before, rev := r.balance(t, acct), f.apiRevenueBalance(t)
	d, err := f.srv.Customs.Get(ctx, r.traderPrincipal(t, attacker), id)
	if err != nil {
		t.Fatal(err)
	}
	trs, err := r.payments().RefundDuties(ctx, id, d.DeclarantOrg, d.RefundLegs())
	if err != nil || len(trs) != 1 || trs[0].TransferID != dutyledger.RefundID(id, customs.RefundOfPayment).String() {
		t.Fatalf("the transfer step: %v %v", trs, err)
	}
	if got := f.apiDecl(t, w.trader, id); got["refund_due"] != true || got["refund"] != nil {
		t.Fatalf("after the crash the declaration says refund_due=%v refund=%v", got["refund_due"], got["refund"])
	}
	if r.balance(t, acct) != before+amount || f.apiRevenueBalance(t) != rev-amount {
		t.Fatal("the transfer step did not move the money")
	}
	got := f.apiPost(t, apiDecls+"/"+id+"/refund", r.officer, nil, 200)
	if got["refund_due"] == true || refundOf(t, got)["reference"] != trs[0].TransferID {
		t.Errorf("retry recorded %v", got["refund"])
	}
	if r.balance(t, acct) != before+amount || f.apiRevenueBalance(t) != rev-amount {
		t.Errorf("the retry paid again: trader %+d, revenue %+d", r.balance(t, acct)-before, f.apiRevenueBalance(t)-rev)
	}
}

// Twenty officers' requests at once: paid once, recorded once.
func (r *refundWorld) concurrent(t *testing.T) {
	f, w := r.f, r.w
	id, amount, acct := r.paidUnderCheck(t, w.trader, attacker)
	r.cancelWithoutRefund(t, id)
	before, rev := r.balance(t, acct), f.apiRevenueBalance(t)
	var wg sync.WaitGroup
	codes := make([]int, 20)
	for i := range codes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			codes[i] = f.call(t, "POST", apiDecls+"/"+id+"/refund", r.officer, nil).status
		}()
	}
	wg.Wait()
	ok := 0
	for _, c := range codes {
		switch c {
		case 200:
			ok++
		case 409:
		default:
			t.Errorf("a concurrent refund answered %d", c)
		}
	}
	if ok == 0 {
		t.Errorf("no refund succeeded: %v", codes)
	}
	if r.balance(t, acct) != before+amount || f.apiRevenueBalance(t) != rev-amount {
		t.Errorf("20 refunds: trader %+d, revenue %+d, want ±%d", r.balance(t, acct)-before, f.apiRevenueBalance(t)-rev, amount)
	}
	h := f.call(t, "GET", apiDecls+"/"+id+"/history", w.trader, nil).json(t)
	n := 0
	for _, e := range h["events"].([]any) {
		if e.(map[string]any)["kind"] == string(customs.EvRefunded) {
			n++
		}
	}
	if n != 1 {
		t.Errorf("%d refunded events, want 1", n)
	}
}

// The payer closed the account meanwhile: the cancellation stands, the
// refund stays due, the officer's attempt is refused with the ledger's
// code and writes nothing.
func (r *refundWorld) accountClosed(t *testing.T) {
	f, w := r.f, r.w
	id0 := f.apiGreenDeclaration(t, w.trader, attacker)
	total := int64(id0["assessment"].(map[string]any)["total_kzt"].(float64))
	acct := w.ownAccount(t, w.trader, "KZT", "duties_once")
	w.issue(t, w.banks[0].tok, acct, "KZT", fmt.Sprintf("%d.%02d", total/100, total%100))
	id := id0["id"].(string)
	f.apiPost(t, apiDecls+"/"+id+"/checks", r.officer, map[string]any{"lane": "yellow", "reason": "check the invoice"}, 200)
	f.apiPost(t, apiDecls+"/"+id+"/pay", w.trader, map[string]any{"from_account_id": acct}, 200)
	f.apiPost(t, "/api/v1/ledger/accounts/"+acct+"/close", w.trader, nil, 200)
	d := f.apiPost(t, apiDecls+"/"+id+"/cancel", w.trader, map[string]any{"reason": "withdrawn"}, 200)
	if d["status"] != "cancelled" || d["refund_due"] != true || d["refund"] != nil {
		t.Fatalf("cancel with the payer's account closed: %v %v %v", d["status"], d["refund_due"], d["refund"])
	}
	state := f.state(t)
	res := f.call(t, "POST", apiDecls+"/"+id+"/refund", r.officer, nil)
	if res.status != 409 {
		t.Fatalf("refund to a closed account: %d %s", res.status, res.body)
	}
	if fields, _ := res.json(t)["errors"].(map[string]any); fields["refund"] != string(ledger.CreditAccountClosed) {
		t.Errorf("refund to a closed account: %s", res.body)
	}
	f.unchanged(t, "refund to a closed account", state)
	if got := f.apiDecl(t, w.trader, id); got["refund_due"] != true {
		t.Errorf("refund_due after the refused refund: %v", got["refund_due"])
	}
}

// Duties drawn from a guarantee and the goods then refused: the draw goes
// back to the issuing bank's backing account (docs/MONEY.md), not to the
// declarant, and the declarant's accounts do not move.
func (r *refundWorld) guaranteeBack(t *testing.T) {
	f, w := r.f, r.w
	g := f.heldGuarantee(t, w.victim)
	gr := f.call(t, "GET", "/api/v1/guarantees/"+g, w.victim, nil).json(t)
	backing := gr["backing_account_id"].(string)
	d := f.apiGreenDeclaration(t, w.victim, victimOrg)
	id := d["id"].(string)
	f.apiPost(t, apiDecls+"/"+id+"/checks", r.officer, map[string]any{"lane": "yellow", "reason": "check the invoice"}, 200)
	drawn := f.apiPost(t, apiDecls+"/"+id+"/guarantee", w.victim, map[string]any{"guarantee_id": g}, 200)
	amount := int64(drawn["guarantee"].(map[string]any)["amount_kzt"].(float64))
	bank, rev, trader := r.balance(t, backing), f.apiRevenueBalance(t), r.balance(t, w.victimAcc)
	got := f.apiPost(t, apiDecls+"/"+id+"/refuse", r.officer, map[string]any{"reason": "forged invoice"}, 200)
	rf := refundOf(t, got)
	tr := rf["transfers"].([]any)[0].(map[string]any)
	if got["refund_due"] == true || tr["source"] != "guarantee" || tr["to_account_id"] != backing ||
		rf["reference"] != dutyledger.RefundID(id, customs.RefundOfGuarantee).String() {
		t.Fatalf("refund of a draw: due=%v %v", got["refund_due"], rf)
	}
	if r.balance(t, backing) != bank+amount || f.apiRevenueBalance(t) != rev-amount || r.balance(t, w.victimAcc) != trader {
		t.Errorf("bank %+d, revenue %+d, declarant %+d; want +%d, -%d, 0", r.balance(t, backing)-bank, f.apiRevenueBalance(t)-rev,
			r.balance(t, w.victimAcc)-trader, amount, amount)
	}
	state := f.state(t)
	if res := f.call(t, "POST", apiDecls+"/"+id+"/refund", r.officer, nil); res.status != 409 {
		t.Errorf("second refund of a draw: %d %s", res.status, res.body)
	}
	f.unchanged(t, "a second refund of a draw", state)
}

// After everything: the ledger verifies (double entry, chains), the
// revenue account is not negative, no client account is.
func (r *refundWorld) invariants(t *testing.T) {
	ctx := context.Background()
	rep, err := r.f.db.Verify(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Problems) > 0 {
		t.Errorf("ledger verify: %v", rep.Problems)
	}
	if rev := r.f.apiRevenueBalance(t); rev < 0 {
		t.Errorf("revenue %d", rev)
	}
	var after int64
	var sum = map[string]int64{}
	for {
		as, err := r.f.db.ListAccounts(ctx, "", after, 500)
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range as {
			after = a.Row
			sum[a.Currency] += a.CreditsPosted - a.DebitsPosted
			if a.Flags&ledger.Issuer == 0 && a.CreditsPosted-a.DebitsPosted-a.DebitsPending < 0 {
				t.Errorf("account %s %s %s below zero", a.OrgID, a.Code, a.ID)
			}
		}
		if len(as) < 500 {
			break
		}
	}
	for ccy, s := range sum {
		if s != 0 {
			t.Errorf("%s: credits minus debits over all accounts %d, want 0 (double entry)", ccy, s)
		}
	}
}
