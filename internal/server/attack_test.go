package server

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"bricstown/internal/dutyledger"
	"bricstown/internal/identity"
	"bricstown/internal/iso20022"
	"bricstown/internal/ledger"

	"github.com/google/uuid"
)

// The platform's own id namespaces, copied from the code that derives ids
// (ledger.systemNS, settlement.ns): an attacker who reads the source knows
// them too, and the tests use them the same way.
var (
	attackSystemNS = uuid.MustParse("6f1d7c52-3b0e-4f53-9a4e-0c1d5b7e2a90")
	attackCycleNS  = uuid.MustParse("2b0f5d0e-7a35-4d8e-9c41-5b8a7f1c3d21")
)

// TestAttacks runs the attacks of issue 8 (and variants: other currencies,
// other roles, sessions instead of tokens) against a fresh demo town on
// each engine and checks both the refusal and that nothing changed.
func TestAttacks(t *testing.T) {
	onBothEngines(t, func(t *testing.T, f *fixture) {
		w := newAttackWorld(t, f)
		t.Run("1_money_from_nothing", func(t *testing.T) { attackMoneyFromNothing(t, w) })
		t.Run("2_squat_centre_accounts", func(t *testing.T) { attackSquatCentre(t, w) })
		t.Run("3_halt_settlement_with_cycle_ids", func(t *testing.T) { attackCycleIDs(t, w) })
		t.Run("4_released_without_paying", func(t *testing.T) { attackFakeGuarantee(t, w) })
		t.Run("5_one_bank_sets_the_rate", func(t *testing.T) { attackOneBankRate(t, w) })
		t.Run("6_lock_foreign_account", func(t *testing.T) { attackLockForeign(t, w) })
		t.Run("7_freeze_reserved_funds", func(t *testing.T) { attackFreezeReserved(t, w) })
		t.Run("8_instruction_blocks_cycle", func(t *testing.T) { attackBlockCycle(t, w) })
		t.Run("9_privilege_escalation", func(t *testing.T) { attackEscalation(t, w) })
		t.Run("10_login_cost", func(t *testing.T) { attackLoginCost(t, w) })
		t.Run("11_abandoned_requests_block_nobody", func(t *testing.T) { attackAbandonedRequests(t, w) })
	})
}

// Attack 1: an account opened by a client never creates money, whatever
// the flags asked for, in any currency, for any role, by token or session;
// FX conversions and duty payments from it fail like transfers.
func attackMoneyFromNothing(t *testing.T, w *attackWorld) {
	f := w.f
	ctx := context.Background()
	// Flags the platform alone sets are unknown fields to a client.
	for _, extra := range []string{"issuer", "system", "limit"} {
		body := map[string]any{"currency": "KZT", "kind": "liability", "code": "operating", "name": "x", extra: true}
		if r := f.call(t, "POST", "/api/v1/ledger/accounts", w.trader, body); r.status != 400 {
			t.Errorf("account with %q: %d %s", extra, r.status, r.body)
		}
	}
	cookie, csrf := f.session(t, "trader@kazgrain.kz")
	bankAdmin := f.token(t, attackerBank, identity.OrgAdmin)
	type who struct {
		name string
		open func(ccy string) response
		move func(body any) response
	}
	viaToken := func(tok string) who {
		return who{"token", func(ccy string) response {
			return f.call(t, "POST", "/api/v1/ledger/accounts", tok, map[string]any{"currency": ccy, "kind": "asset", "code": "operating",
				"name": "no limit", "debits_must_not_exceed_credits": false})
		}, func(body any) response { return f.call(t, "POST", "/api/v1/ledger/transfers", tok, body) }}
	}
	session := who{"session", func(ccy string) response {
		return f.call(t, "POST", "/api/v1/ledger/accounts", "", map[string]any{"currency": ccy, "kind": "liability", "code": "operating",
			"name": "no limit"}, "Cookie", cookie, "X-CSRF-Token", csrf)
	}, func(body any) response {
		return f.call(t, "POST", "/api/v1/ledger/transfers", "", body, "Cookie", cookie, "X-CSRF-Token", csrf)
	}}
	cases := []struct {
		role string
		w    who
		to   string // the attacker's own funded account in that currency
		ccy  string
	}{
		{"trader token", viaToken(w.trader), w.traderAcct, "KZT"},
		{"trader token", viaToken(w.trader), w.traderCNY, "CNY"},
		{"trader org_admin token", viaToken(f.token(t, attacker, identity.OrgAdmin)), w.traderAcct, "KZT"},
		{"trader session", session, w.traderAcct, "KZT"},
		{"bank org_admin token", viaToken(bankAdmin), w.banks[0].acct["KZT"], "KZT"},
		{"bank operator token", viaToken(w.banks[0].tok), w.banks[0].acct["CNY"], "CNY"},
	}
	for _, c := range cases {
		r := c.w.open(c.ccy)
		if r.status != 201 {
			t.Fatalf("%s: open: %d %s", c.role, r.status, r.body)
		}
		a := r.json(t)
		if a["debits_must_not_exceed_credits"] != true || a["issuer"] != false || a["system"] != false {
			t.Errorf("%s: a client account without the balance limit: %v", c.role, a)
		}
		empty := a["id"].(string)
		before := f.state(t)
		batch := []map[string]any{
			{"id": v7(), "debit_account_id": empty, "credit_account_id": c.to, "amount": "1000000000.00", "currency": c.ccy},
			{"id": v7(), "debit_account_id": empty, "credit_account_id": c.to, "amount": "0.01", "currency": c.ccy},
			{"id": v7(), "debit_account_id": empty, "credit_account_id": c.to, "amount": "92233720368547758.07", "currency": c.ccy, "pending": true, "timeout_seconds": 60},
			// A chain that credits the empty account and pays out more.
			{"id": v7(), "debit_account_id": c.to, "credit_account_id": empty, "amount": "1.00", "currency": c.ccy, "linked": true},
			{"id": v7(), "debit_account_id": empty, "credit_account_id": c.to, "amount": "2.00", "currency": c.ccy},
		}
		got := resultsOf(t, c.w.move(map[string]any{"transfers": batch}))
		// The largest amount overflows the credited account's totals
		// before the balance rule is asked: refused either way.
		if got[2] == "overflows_credits" || got[2] == "overflows_debits" {
			got[2] = "exceeds_credits"
		}
		want := []string{"exceeds_credits", "exceeds_credits", "exceeds_credits", "linked_event_failed", "exceeds_credits"}
		if !slices.Equal(got, want) {
			t.Errorf("%s %s: results %v, want %v", c.role, c.ccy, got, want)
		}
		f.unchanged(t, c.role+" "+c.ccy+" transfers", before)
	}

	// The same through an FX conversion: the sell leg is refused, nothing moves.
	steppe := w.banks[0].tok
	if r := f.call(t, "POST", "/api/v1/fx/rates", steppe, map[string]any{"pair": "KZT/CNY", "bid": "0.0150", "ask": "0.0152"}); r.status != 201 {
		t.Fatalf("rate: %d %s", r.status, r.body)
	}
	f.fxInventory(t, attackerBank, "CNY", "500000.00")
	f.fxInventory(t, attackerBank, "KZT", "50000000.00")
	empty := w.ownAccount(t, w.trader, "KZT", "operating")
	q := f.call(t, "POST", "/api/v1/fx/quotes", w.trader, map[string]any{"sell": "KZT", "buy": "CNY", "sell_amount": "5000000.00"})
	if q.status != 201 {
		t.Fatalf("quote: %d %s", q.status, q.body)
	}
	before := f.state(t)
	r := f.call(t, "POST", "/api/v1/fx/conversions", w.trader, map[string]any{"quote_id": q.json(t)["id"], "from_account_id": empty, "to_account_id": w.traderCNY})
	if r.status != 409 || !strings.Contains(string(r.body), "exceeds_credits") {
		t.Errorf("conversion from an empty account: %d %s", r.status, r.body)
	}
	f.unchanged(t, "conversion", before)

	// And through a duty payment: refused, the declaration stays assessed.
	d := f.apiGreenDeclaration(t, w.trader, attacker)
	before = f.state(t)
	r = f.call(t, "POST", apiDecls+"/"+d["id"].(string)+"/pay", w.trader, map[string]any{"from_account_id": empty})
	if r.status != 409 || !strings.Contains(string(r.body), "exceeds_credits") {
		t.Errorf("duties from an empty account: %d %s", r.status, r.body)
	}
	f.unchanged(t, "duty payment", before)

	// A bank creates money only within the limit the centre granted, and
	// cannot grant itself one.
	vault := f.openAccount(t, steppe, "KZT", false)
	if r := f.call(t, "PUT", "/api/v1/ledger/issuance", steppe, map[string]any{"org_id": f.orgs[attackerBank].ID, "currency": "KZT", "limit": "99999999999999"}); r.status != 403 {
		t.Errorf("a bank raised its own issuance limit: %d %s", r.status, r.body)
	}
	if r := f.call(t, "PUT", "/api/v1/ledger/issuance", w.centre, map[string]any{"org_id": f.orgs[attacker].ID, "currency": "KZT", "limit": "1.00"}); r.status != 400 {
		t.Errorf("the centre granted a trader an issuance limit: %d %s", r.status, r.body)
	}
	a, err := f.db.GetAccount(ctx, uuid.MustParse(vault))
	if err != nil {
		t.Fatal(err)
	}
	room := a.Limit - (a.DebitsPosted + a.DebitsPending - a.CreditsPosted)
	before = f.state(t)
	if got := w.transfer(t, steppe, map[string]any{"debit_account_id": vault, "credit_account_id": w.banks[0].acct["KZT"],
		"amount": fmt.Sprintf("%d.%02d", (room+1)/100, (room+1)%100), "currency": "KZT"}); got != "exceeds_issuance_limit" {
		t.Errorf("issuing beyond the limit: %s", got)
	}
	f.unchanged(t, "issuance beyond the limit", before)
}

// e2eID is a fresh end-to-end id (at most 35 characters).
func e2eID(prefix string) string { return prefix + strings.ReplaceAll(uuid.NewString(), "-", "")[:24] }

// resultsOf is results for a response of any caller.
func resultsOf(t *testing.T, r response) []string { t.Helper(); return results(t, r) }

// Attack 2: the centre's accounts are system accounts with ids no client
// can reach; a trader who opens accounts with their ids (and codes) in a
// currency no cycle has used gets accounts of its own, the next cycle pays
// into the centre's, and nobody closes a centre account through the API.
func attackSquatCentre(t *testing.T, w *attackWorld) {
	f := w.f
	ctx := context.Background()
	const ccy = "INR"
	targets := map[string]uuid.UUID{}
	for _, code := range []string{ledger.CentreClearing, ledger.CentreFX, ledger.CentreRounding, ledger.CentreFunding} {
		targets[code] = uuid.NewSHA1(attackSystemNS, []byte(w.centreOrg+"/"+ccy+"/"+code))
	}
	var squats []string
	for _, tok := range []string{w.trader, w.banks[1].tok} {
		for code, id := range targets {
			r := f.call(t, "POST", "/api/v1/ledger/accounts", tok, map[string]any{"id": id.String(), "currency": ccy, "kind": "liability", "code": code, "name": "squat"})
			if r.status != 201 {
				t.Fatalf("squat %s: %d %s", code, r.status, r.body)
			}
			got := r.json(t)
			if got["id"] == id.String() || got["system"] != false {
				t.Fatalf("a client occupied the centre's %s account id %s: %v", code, id, got)
			}
			squats = append(squats, got["id"].(string))
		}
	}
	// The platform administrator opening an account for the centre gets a
	// plain account too, never a system one.
	if r := f.call(t, "POST", "/api/v1/ledger/accounts", w.admin, map[string]any{"org_id": w.centreOrg, "id": targets[ledger.CentreClearing].String(),
		"currency": ccy, "kind": "liability", "code": ledger.CentreClearing, "name": "squat"}); r.status != 201 || r.json(t)["id"] == targets[ledger.CentreClearing].String() ||
		r.json(t)["system"] != false {
		t.Fatalf("admin for the centre: %d %s", r.status, r.body)
	}
	// Two banks settle in INR; a cycle pays through the centre's own books.
	volga, yangtze := w.banks[1], w.banks[2]
	for _, b := range []*testBank{volga, yangtze} {
		b.acct[ccy] = w.ownAccount(t, b.tok, ccy, "settlement")
		w.issue(t, b.tok, b.acct[ccy], ccy, "1000.00")
	}
	f.drainAttack(t, w)
	e2e := e2eID("SQUAT-")
	if r := submitResults(t, f.call(t, "POST", "/api/v1/settlement/instructions", volga.tok, map[string]any{"instructions": []any{submitOne(e2e, yangtze.bic, "250.00", ccy)}})); r[0] != "ok" {
		t.Fatalf("instruction: %v", r)
	}
	c := f.call(t, "POST", "/api/v1/settlement/cycles", w.centre, nil)
	if c.status != 201 {
		t.Fatalf("cycle in a new currency after squatting: %d %s", c.status, c.body)
	}
	if rep := c.json(t)["report"].(map[string]any); rep["settled"] != float64(1) || rep["excluded"] != float64(0) {
		t.Fatalf("cycle report %v", rep)
	}
	for _, id := range squats {
		a, err := f.db.GetAccount(ctx, uuid.MustParse(id))
		if err != nil || a.DebitsPosted+a.CreditsPosted+a.DebitsPending+a.CreditsPending != 0 {
			t.Errorf("a squatted account took part in the cycle: %+v %v", a, err)
		}
	}
	clearing, err := f.db.GetAccount(ctx, targets[ledger.CentreClearing])
	if err != nil || clearing.Flags&ledger.System == 0 || clearing.OrgID != w.centreOrg || clearing.DebitsPosted != 250_00 || clearing.CreditsPosted != 250_00 {
		t.Fatalf("the centre's INR clearing account: %+v %v", clearing, err)
	}
	// Only the cycles move the cycle books, not even the centre's own
	// operator: the largest amount from clearing to FX (which once left
	// both at the counters' limit, so that every later cycle failed), or
	// funding into clearing, is refused and moves nothing.
	fxBefore, err := f.db.GetAccount(ctx, targets[ledger.CentreFX])
	if err != nil {
		t.Fatal(err)
	}
	for _, tr := range []map[string]any{
		{"id": v7(), "debit_account_id": targets[ledger.CentreClearing].String(), "credit_account_id": targets[ledger.CentreFX].String(), "amount": "92233720368547758.07", "currency": ccy},
		{"id": v7(), "debit_account_id": targets[ledger.CentreFunding].String(), "credit_account_id": targets[ledger.CentreClearing].String(), "amount": "1.00", "currency": ccy},
		{"id": v7(), "debit_account_id": targets[ledger.CentreFunding].String(), "credit_account_id": targets[ledger.CentreRounding].String(), "amount": "1.00", "currency": ccy},
	} {
		if got := results(t, f.call(t, "POST", "/api/v1/ledger/transfers", w.centre, map[string]any{"transfers": []any{tr}})); got[0] != "not_authorised" {
			t.Fatalf("the centre's operator moved its cycle books (%v → %v): %v", tr["debit_account_id"], tr["credit_account_id"], got)
		}
	}
	if again, err := f.db.GetAccount(ctx, targets[ledger.CentreClearing]); err != nil || again.DebitsPosted != 250_00 || again.CreditsPosted != 250_00 {
		t.Fatalf("the clearing account moved: %+v %v", again, err)
	}
	if fx, err := f.db.GetAccount(ctx, targets[ledger.CentreFX]); err != nil || fx.DebitsPosted != fxBefore.DebitsPosted || fx.CreditsPosted != fxBefore.CreditsPosted {
		t.Fatalf("the fx account moved: %+v %v", fx, err)
	}
	e2e2 := e2eID("SQUAT-")
	if r := submitResults(t, f.call(t, "POST", "/api/v1/settlement/instructions", yangtze.tok, map[string]any{"instructions": []any{submitOne(e2e2, volga.bic, "10.00", ccy)}})); r[0] != "ok" {
		t.Fatalf("instruction: %v", r)
	}
	if c := f.call(t, "POST", "/api/v1/settlement/cycles", w.centre, nil); c.status != 201 {
		t.Fatalf("a cycle after the attempts on the cycle books: %d %s", c.status, c.body)
	}
	// Nobody closes it: an outsider does not even see it, the centre's
	// own operator and the platform administrator are refused.
	before := f.state(t)
	for _, tok := range []string{w.trader, w.banks[0].tok} {
		if r := f.call(t, "POST", "/api/v1/ledger/accounts/"+clearing.ID.String()+"/close", tok, nil); r.status != 404 {
			t.Errorf("outsider closing the centre's account: %d %s", r.status, r.body)
		}
	}
	for _, tok := range []string{w.centre, w.admin} {
		if r := f.call(t, "POST", "/api/v1/ledger/accounts/"+clearing.ID.String()+"/close", tok, nil); r.status != 409 {
			t.Errorf("closing the centre's account: %d %s", r.status, r.body)
		}
	}
	// An outsider cannot tell the centre's account from an unknown id.
	known := f.call(t, "GET", "/api/v1/ledger/accounts/"+clearing.ID.String(), w.trader, nil)
	unknown := f.call(t, "GET", "/api/v1/ledger/accounts/"+uuid.NewString(), w.trader, nil)
	if known.status != 404 || unknown.status != 404 || problemCode(t, known) != problemCode(t, unknown) {
		t.Errorf("probing accounts: %d %s vs %d %s", known.status, known.body, unknown.status, unknown.body)
	}
	f.unchanged(t, "closing the centre's account", before)
	// The next cycle in the same currency still runs.
	if r := submitResults(t, f.call(t, "POST", "/api/v1/settlement/instructions", yangtze.tok, map[string]any{"instructions": []any{submitOne(e2eID("SQUAT-"), volga.bic, "10.00", ccy)}})); r[0] != "ok" {
		t.Fatalf("instruction: %v", r)
	}
	if c := f.call(t, "POST", "/api/v1/settlement/cycles", w.centre, nil); c.status != 201 {
		t.Fatalf("the cycle after: %d %s", c.status, c.body)
	}
}

// drainAttack settles or cancels whatever an earlier attack left queued,
// so a test's cycle holds only its own instructions.
func (f *fixture) drainAttack(t *testing.T, w *attackWorld) {
	t.Helper()
	if r := f.call(t, "POST", "/api/v1/settlement/cycles", w.centre, nil); r.status != 201 && r.status != 409 {
		t.Fatalf("drain cycle: %d %s", r.status, r.body)
	}
	byOrg := map[string]*testBank{}
	for _, b := range w.banks {
		byOrg[f.orgs[b.name].ID] = b
	}
	r := f.call(t, "GET", "/api/v1/settlement/instructions?limit=200", w.admin, nil)
	for _, x := range r.json(t)["items"].([]any) {
		in := x.(map[string]any)
		if s := in["status"]; s == "queued" || s == "deferred" || s == "excluded" || s == "held" {
			b := byOrg[in["payer"].(string)]
			if c := f.call(t, "POST", "/api/v1/settlement/instructions/"+in["end_to_end_id"].(string)+"/cancel", b.tok, nil); c.status != 200 {
				t.Fatalf("drain cancel: %d %s", c.status, c.body)
			}
		}
	}
}

// cycleTransferIDs are the ids the next few cycles would give their
// transfers (as settlement.MakePlan derives them), for every participant
// row and currency.
func cycleTransferIDs(from int64, rows []int64, ccys []string) []uuid.UUID {
	var out []uuid.UUID
	for n := from; n < from+3; n++ {
		out = append(out, uuid.NewSHA1(attackCycleNS, []byte(fmt.Sprint("cycle-", n))))
		for _, c := range ccys {
			for _, r := range rows {
				out = append(out, uuid.NewSHA1(attackCycleNS, []byte(fmt.Sprintf("cycle-%d-p%d-%s", n, r, c))))
			}
			out = append(out, uuid.NewSHA1(attackCycleNS, []byte(fmt.Sprintf("cycle-%d-fx-%s", n, c))),
				uuid.NewSHA1(attackCycleNS, []byte(fmt.Sprintf("cycle-%d-rounding-%s", n, c))))
		}
	}
	return out
}

// Attack 3: a bank that sends transfers with the ids of the next cycles'
// transfers gets transfers of its own; the cycles run, and an outsider
// learns nothing about which ids exist.
func attackCycleIDs(t *testing.T, w *attackWorld) {
	f := w.f
	ctx := context.Background()
	steppe, volga := w.banks[0], w.banks[1]
	f.drainAttack(t, w)
	next := f.lastCycle(t) + 1
	ids := cycleTransferIDs(next, f.participantRows(t), []string{"KZT", "CNY", "INR"})
	spare := w.ownAccount(t, steppe.tok, "KZT", "spare")
	var batch []map[string]any
	for _, id := range ids {
		batch = append(batch, map[string]any{"id": id.String(), "debit_account_id": steppe.acct["KZT"], "credit_account_id": spare, "amount": "0.01", "currency": "KZT"})
	}
	for i, got := range results(t, f.call(t, "POST", "/api/v1/ledger/transfers", steppe.tok, map[string]any{"transfers": batch})) {
		if got != "ok" {
			t.Fatalf("occupying %s: %s", ids[i], got)
		}
	}
	for _, id := range ids {
		if _, err := f.db.GetTransfer(ctx, id); err == nil {
			t.Fatalf("a client transfer holds the platform id %s", id)
		}
	}
	// A trader does the same with a pending reservation and a chain.
	if got := w.transfer(t, w.trader, map[string]any{"id": ids[len(ids)-1].String(), "debit_account_id": w.traderAcct, "credit_account_id": w.victimAcc,
		"amount": "0.01", "currency": "KZT", "pending": true, "timeout_seconds": 3600}); got != "ok" {
		t.Fatalf("trader occupying a cycle id: %s", got)
	}
	for n := next; n < next+3; n++ {
		kzt, cny := minorOf(t, f.balanceOfUI(t, volga.tok, volga.acct["KZT"])), minorOf(t, f.balanceOfUI(t, volga.tok, volga.acct["CNY"]))
		ins := []any{submitOne(e2eID("IDS-"), volga.bic, "100.00", "KZT"), submitOne(e2eID("IDS-"), volga.bic, "1.50", "CNY")}
		if r := submitResults(t, f.call(t, "POST", "/api/v1/settlement/instructions", steppe.tok, map[string]any{"instructions": ins})); r[0] != "ok" || r[1] != "ok" {
			t.Fatalf("instructions: %v", r)
		}
		c := f.call(t, "POST", "/api/v1/settlement/cycles", w.centre, nil)
		if c.status != 201 || c.json(t)["number"] != float64(n) || c.json(t)["report"].(map[string]any)["settled"] != float64(2) {
			t.Fatalf("cycle %d with its ids occupied: %d %s", n, c.status, c.body)
		}
		if k, y := minorOf(t, f.balanceOfUI(t, volga.tok, volga.acct["KZT"])), minorOf(t, f.balanceOfUI(t, volga.tok, volga.acct["CNY"])); k-kzt != 100_00 || y-cny != 1_50 {
			t.Fatalf("cycle %d paid %d KZT and %d CNY", n, k-kzt, y-cny)
		}
	}
	// Answers tell an outsider nothing: a cycle transfer that exists, a
	// bank's transfer by its client id and a random id all answer alike.
	cycleID := uuid.NewSHA1(attackCycleNS, []byte(fmt.Sprintf("cycle-%d-p%d-KZT", next, f.participantRows(t)[1])))
	if _, err := f.db.GetTransfer(ctx, cycleID); err != nil {
		t.Fatalf("cycle transfer %s: %v", cycleID, err)
	}
	probes := []string{cycleID.String(), ids[0].String(), uuid.NewString()}
	var first response
	for i, id := range probes {
		r := f.call(t, "GET", "/api/v1/ledger/transfers/"+id, w.trader, nil)
		if r.status != 404 || (i > 0 && problemCode(t, r) != problemCode(t, first)) {
			t.Errorf("probe %s: %d %s", id, r.status, r.body)
		}
		if i == 0 {
			first = r
		}
	}
	// The bank sees its own transfer by the id it sent.
	if r := f.call(t, "GET", "/api/v1/ledger/transfers/"+ids[0].String(), steppe.tok, nil); r.status != 200 {
		t.Errorf("the bank's own transfer: %d %s", r.status, r.body)
	}
	// Another organisation reusing the bank's client id makes its own
	// transfer ("ok", not "exists" or a conflict that would reveal it).
	if got := w.transfer(t, w.victim, map[string]any{"id": ids[0].String(), "debit_account_id": w.victimAcc, "credit_account_id": w.traderAcct,
		"amount": "0.02", "currency": "KZT"}); got != "ok" {
		t.Errorf("reusing another org's id: %s", got)
	}
}

// Attack 6: a reservation credited to another organisation needs a
// timeout of at most 30 days and funds behind it; nobody can make every
// later credit of the customs revenue account overflow.
func attackLockForeign(t *testing.T, w *attackWorld) {
	f := w.f
	ctx := context.Background()
	rev, err := f.db.SystemAccount(ctx, f.orgs[apiCustomsPO].ID, "KZT", dutyledger.RevenueCode)
	if err != nil {
		t.Fatal(err)
	}
	revenue := rev.ID.String()
	steppe := w.banks[0]
	vault := f.openAccount(t, steppe.tok, "KZT", false)
	before := f.state(t)
	cases := []struct {
		tok, from, to, amount string
		timeout               int64
		want                  string
	}{
		{w.trader, w.traderAcct, revenue, "1.00", 0, "foreign_pending_needs_timeout"},
		{w.trader, w.traderAcct, revenue, "1.00", ledger.MaxForeignPendingTimeout + 1, "foreign_pending_needs_timeout"},
		{w.trader, w.traderAcct, w.victimAcc, "1.00", 0, "foreign_pending_needs_timeout"},
		{w.trader, w.traderAcct, revenue, "92233720368547758.07", ledger.MaxForeignPendingTimeout, "overflows_debits"},
		{w.trader, w.traderAcct, revenue, "92233720368547.00", ledger.MaxForeignPendingTimeout, "exceeds_credits"},
		{steppe.tok, vault, revenue, "92233720368547758.07", ledger.MaxForeignPendingTimeout, "overflows_debits"},
		{steppe.tok, vault, revenue, "92233720368547.00", ledger.MaxForeignPendingTimeout, "exceeds_issuance_limit"},
		{steppe.tok, vault, revenue, "1.00", 0, "foreign_pending_needs_timeout"},
		{f.token(t, attacker, identity.OrgAdmin), w.traderAcct, revenue, "1.00", 0, "foreign_pending_needs_timeout"},
	}
	for _, c := range cases {
		got := w.transfer(t, c.tok, map[string]any{"debit_account_id": c.from, "credit_account_id": c.to, "amount": c.amount, "currency": "KZT",
			"pending": true, "timeout_seconds": c.timeout})
		if got != c.want {
			t.Errorf("pending %s to %s, timeout %d: %s, want %s", c.amount, c.to, c.timeout, got, c.want)
		}
	}
	// A timeout beyond a year is malformed input: 400, nothing written.
	if r := f.call(t, "POST", "/api/v1/ledger/transfers", w.trader, map[string]any{"transfers": []map[string]any{{"id": v7(), "debit_account_id": w.traderAcct,
		"credit_account_id": revenue, "amount": "1.00", "currency": "KZT", "pending": true, "timeout_seconds": 1 << 40}}}); r.status != 400 {
		t.Errorf("timeout of 2^40 s: %d %s", r.status, r.body)
	}
	f.unchanged(t, "foreign reservations", before)

	// What is allowed (the bank's whole line for 30 days) leaves the
	// revenue account taking credits; the bank may release it.
	a, _ := f.db.GetAccount(ctx, uuid.MustParse(vault))
	room := a.Limit - (a.DebitsPosted + a.DebitsPending - a.CreditsPosted)
	hold := v7()
	if got := w.transfer(t, steppe.tok, map[string]any{"id": hold, "debit_account_id": vault, "credit_account_id": revenue,
		"amount": fmt.Sprintf("%d.%02d", room/100, room%100), "currency": "KZT", "pending": true, "timeout_seconds": ledger.MaxForeignPendingTimeout}); got != "ok" {
		t.Fatalf("the bank's whole line reserved: %s", got)
	}
	if got := w.transfer(t, w.trader, map[string]any{"debit_account_id": w.traderAcct, "credit_account_id": revenue, "amount": "1.00", "currency": "KZT"}); got != "ok" {
		t.Errorf("a credit to the revenue account under a reservation: %s", got)
	}
	// The payee cannot post or void the reservation; the bank can void it.
	customs := f.token(t, apiCustomsPO, identity.CustomsOfficer)
	for _, flag := range []string{"post_pending", "void_pending"} {
		if r := f.call(t, "POST", "/api/v1/ledger/transfers", customs, map[string]any{"transfers": []map[string]any{{"id": v7(), "pending_id": hold, flag: true}}}); r.status == 200 {
			if got := results(t, r)[0]; got == "ok" {
				t.Errorf("the payee could %s the bank's reservation", flag)
			}
		}
	}
	if got := w.transfer(t, steppe.tok, map[string]any{"pending_id": hold, "void_pending": true}); got != "ok" {
		t.Errorf("voiding the bank's own reservation: %s", got)
	}
}

// Attack 7: the payee of a reservation computes the id of its expiry void
// (as the ledger derives it) and occupies it first, many times over; the
// sweeper still releases every reservation.
func attackFreezeReserved(t *testing.T, w *attackWorld) {
	f := w.f
	const n = 200
	held := f.call(t, "GET", "/api/v1/ledger/accounts/"+w.traderAcct, w.trader, nil).json(t)["debits_pending"]
	var batch []map[string]any
	for i := 0; i < n; i++ {
		batch = append(batch, map[string]any{"id": v7(), "debit_account_id": w.traderAcct, "credit_account_id": w.victimAcc, "amount": "1.00",
			"currency": "KZT", "pending": true, "timeout_seconds": 1})
	}
	r := f.call(t, "POST", "/api/v1/ledger/transfers", w.trader, map[string]any{"transfers": batch})
	if r.status != 200 {
		t.Fatalf("reservations: %d %s", r.status, r.body)
	}
	var ledgerIDs []uuid.UUID
	for i, x := range r.json(t)["results"].([]any) {
		res := x.(map[string]any)
		if res["result"] != "ok" {
			t.Fatalf("reservation %d: %v", i, res)
		}
		ledgerIDs = append(ledgerIDs, uuid.MustParse(res["transfer"].(map[string]any)["id"].(string)))
	}
	// The payee sees the reservation (its own account is credited) ...
	if r := f.call(t, "GET", "/api/v1/ledger/transfers/"+ledgerIDs[0].String(), w.victim, nil); r.status != 200 {
		t.Fatalf("the payee's view of the reservation: %d %s", r.status, r.body)
	}
	// ... and occupies every expiry void's id, and tries to resolve them.
	var occupy []map[string]any
	for _, id := range ledgerIDs {
		occupy = append(occupy, map[string]any{"id": uuid.NewSHA1(id, []byte("expire")).String(), "debit_account_id": w.victimAcc,
			"credit_account_id": w.traderAcct, "amount": "0.01", "currency": "KZT"})
	}
	for i, got := range results(t, f.call(t, "POST", "/api/v1/ledger/transfers", w.victim, map[string]any{"transfers": occupy})) {
		if got != "ok" {
			t.Fatalf("occupying void id %d: %s", i, got)
		}
	}
	for _, flag := range []string{"void_pending", "post_pending"} {
		if got := w.transfer(t, w.victim, map[string]any{"pending_id": ledgerIDs[0].String(), flag: true}); got == "ok" {
			t.Errorf("the payee could %s the reservation", flag)
		}
	}
	// The sweeper releases all of them (its ledger runs every second).
	deadline := time.Now().Add(30 * time.Second)
	for {
		a := f.call(t, "GET", "/api/v1/ledger/accounts/"+w.traderAcct, w.trader, nil).json(t)
		if a["debits_pending"] == held {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("reservations not released: %v", a)
		}
		time.Sleep(100 * time.Millisecond) // polling the sweeper, which signals nothing to a client
	}
	for _, id := range []uuid.UUID{ledgerIDs[0], ledgerIDs[n-1]} {
		r := f.call(t, "GET", "/api/v1/ledger/transfers/"+uuid.NewSHA1(id, []byte("expire")).String(), w.trader, nil)
		if r.status != 200 || !strings.Contains(string(r.body), `"expired"`) {
			t.Errorf("the expiry void of %s: %d %s", id, r.status, r.body)
		}
	}
	if v := f.call(t, "GET", "/api/v1/ledger/accounts/"+w.victimAcc, w.victim, nil).json(t); v["credits_pending"] != held {
		t.Errorf("the payee still shows reserved credits: %v", v)
	}
}

// Attack 8: a bank's payment to itself in the same currency is refused at
// the door (API and pacs.008); an instruction that cannot settle is
// excluded, and the cycle settles the rest.
func attackBlockCycle(t *testing.T, w *attackWorld) {
	f := w.f
	steppe, volga := w.banks[0], w.banks[1]
	f.drainAttack(t, w)
	before := f.state(t)
	for _, ccy := range []string{"KZT", "CNY"} {
		r := f.call(t, "POST", "/api/v1/settlement/instructions", steppe.tok, map[string]any{"instructions": []any{submitOne(e2eID("SELF-"), steppe.bic, "1.00", ccy)}})
		if r.status != 400 || !strings.Contains(string(r.body), "payee_bic") {
			t.Errorf("a payment to itself in %s: %d %s", ccy, r.status, r.body)
		}
	}
	// Mixed with a good one, the request is refused whole.
	r := f.call(t, "POST", "/api/v1/settlement/instructions", steppe.tok, map[string]any{"instructions": []any{
		submitOne(e2eID("GOOD-"), volga.bic, "1.00", "KZT"), submitOne(e2eID("SELF-"), steppe.bic, "1.00", "KZT")}})
	if r.status != 400 {
		t.Errorf("a batch with a self-payment: %d %s", r.status, r.body)
	}
	doc := pacs008For(t, e2eID("SELF-")[:20], steppe.bic, iso20022.PaymentInstruction{EndToEndID: "SELF-1", Amount: kzt(100), CreditorAgentBIC: steppe.bic})
	if r := f.postXML(t, steppe.tok, doc); r.status != 400 {
		t.Errorf("a pacs.008 self-payment: %d %s", r.status, r.body)
	}
	f.unchanged(t, "self-payments", before)

	// An instruction in a currency the payee holds no settlement account
	// in is excluded; the cycle settles the rest.
	inrAcct := w.ownAccount(t, steppe.tok, "INR", "settlement")
	w.issue(t, steppe.tok, inrAcct, "INR", "100.00")
	res := submitResults(t, f.call(t, "POST", "/api/v1/settlement/instructions", steppe.tok, map[string]any{"instructions": []any{
		submitOne(e2eID("EXCL-"), volga.bic, "5.00", "INR", "payee_currency", "BRL"), submitOne(e2eID("OK-"), volga.bic, "7.00", "KZT")}}))
	if res[0] != "ok" || res[1] != "ok" {
		t.Fatalf("instructions: %v", res)
	}
	kzt := minorOf(t, f.balanceOfUI(t, volga.tok, volga.acct["KZT"]))
	c := f.call(t, "POST", "/api/v1/settlement/cycles", w.centre, nil)
	if c.status != 201 {
		t.Fatalf("cycle with an unsettleable instruction: %d %s", c.status, c.body)
	}
	rep := c.json(t)["report"].(map[string]any)
	if rep["settled"] != float64(1) || rep["excluded"] != float64(1) {
		t.Errorf("cycle report: %v", rep)
	}
	if got := minorOf(t, f.balanceOfUI(t, volga.tok, volga.acct["KZT"])) - kzt; got != 7_00 {
		t.Errorf("the payee got %d", got)
	}

	// A settlement account funded to within 1.00 of the ledger's largest
	// amount would make the ledger refuse its payout and so fail every
	// cycle, for every bank: it takes no part, its instruction is
	// excluded as account_at_limit, and the others settle.
	f.drainAttack(t, w)
	ctx := context.Background()
	yangtze := w.banks[2]
	full, err := f.db.GetAccount(ctx, uuid.MustParse(steppe.acct["KZT"]))
	if err != nil {
		t.Fatal(err)
	}
	funding := uuid.NewSHA1(attackSystemNS, []byte(w.centreOrg+"/KZT/"+ledger.CentreFunding)).String()
	fill := math.MaxInt64 - full.CreditsPosted - full.CreditsPending - 1_00
	if got := w.transfer(t, w.centre, map[string]any{"debit_account_id": funding, "credit_account_id": steppe.acct["KZT"],
		"amount": fmt.Sprintf("%d.%02d", fill/100, fill%100), "currency": "KZT"}); got != "ok" {
		t.Fatalf("funding to the brim: %s", got)
	}
	full, _ = f.db.GetAccount(ctx, full.ID)
	res = submitResults(t, f.call(t, "POST", "/api/v1/settlement/instructions", volga.tok, map[string]any{"instructions": []any{
		submitOne(e2eID("BRIM-"), steppe.bic, "5.00", "KZT"), submitOne(e2eID("OK-"), yangtze.bic, "3.00", "KZT")}}))
	if res[0] != "ok" || res[1] != "ok" {
		t.Fatalf("instructions: %v", res)
	}
	c = f.call(t, "POST", "/api/v1/settlement/cycles", w.centre, nil)
	if c.status != 201 {
		t.Fatalf("a cycle with an account at the limit: %d %s", c.status, c.body)
	}
	rep = c.json(t)["report"].(map[string]any)
	ex, _ := rep["exclusions"].([]any)
	if rep["settled"] != float64(1) || len(ex) != 1 || ex[0].(map[string]any)["reason"] != "account_at_limit" {
		t.Errorf("cycle report: %v", rep)
	}
	if after, err := f.db.GetAccount(ctx, full.ID); err != nil || after.CreditsPosted != full.CreditsPosted || after.DebitsPosted != full.DebitsPosted {
		t.Errorf("the account at the limit moved: %+v %v", after, err)
	}
}

// Attack 9: roles flow downward on both engines: an org_admin (session or
// token) grants no platform_admin, a token creates no users and no tokens,
// a session creates no token beyond its own roles.
func attackEscalation(t *testing.T, w *attackWorld) {
	f := w.f
	town := f.orgs[townAdmin]
	before := f.state(t)
	cookie, csrf := f.session(t, f.townOrgAdmin(t))
	before = f.state(t) // the deputy exists now
	email := uniqueEmail("root", "town.kz")
	for _, roles := range []string{`["platform_admin"]`, `["org_admin","platform_admin"]`} {
		body := fmt.Sprintf(`{"email":%q,"name":"Root","password":"0123456789ab","roles":%s}`, email, roles)
		if r := f.call(t, "POST", "/api/v1/orgs/"+town.ID+"/users", "", body, "Cookie", cookie, "X-CSRF-Token", csrf); r.status != 403 {
			t.Errorf("org_admin session granting %s: %d %s", roles, r.status, r.body)
		}
	}
	for _, c := range []struct {
		org   string
		roles []identity.Role
		grant string
	}{
		{townAdmin, []identity.Role{identity.OrgAdmin}, "platform_admin"},
		{townAdmin, []identity.Role{identity.PlatformAdmin}, "trader"},
		{attacker, []identity.Role{identity.OrgAdmin}, "org_admin"},
		{attackerBank, []identity.Role{identity.BankOperator}, "bank_operator"},
	} {
		body := fmt.Sprintf(`{"email":%q,"name":"T","password":"0123456789ab","roles":[%q]}`, uniqueEmail("tok", "example.kz"), c.grant)
		if r := f.call(t, "POST", "/api/v1/orgs/"+f.orgs[c.org].ID+"/users", f.token(t, c.org, c.roles...), body); r.status != 403 {
			t.Errorf("%s token %v creating a %s user: %d %s", c.org, c.roles, c.grant, r.status, r.body)
		}
		if r := f.call(t, "POST", "/api/v1/orgs/"+f.orgs[c.org].ID+"/tokens", f.token(t, c.org, c.roles...), `{"name":"child","roles":["org_admin"]}`); r.status != 403 {
			t.Errorf("%s token %v minting a token: %d %s", c.org, c.roles, r.status, r.body)
		}
	}
	// A trader's session (trader only) mints no org_admin token, and no
	// token for another organisation.
	tc, tcsrf := f.session(t, "trader@kazgrain.kz")
	before = f.state(t) // a session row is not a user or a token
	if r := f.call(t, "POST", "/api/v1/orgs/"+f.orgs[attacker].ID+"/tokens", "", `{"name":"up","roles":["org_admin"]}`, "Cookie", tc, "X-CSRF-Token", tcsrf); r.status != 403 {
		t.Errorf("trader session minting an org_admin token: %d %s", r.status, r.body)
	}
	if r := f.call(t, "POST", "/api/v1/orgs/"+f.orgs[victimOrg].ID+"/tokens", "", `{"name":"x","roles":["trader"]}`, "Cookie", tc, "X-CSRF-Token", tcsrf); r.status != 403 && r.status != 404 {
		t.Errorf("trader session minting a token of another org: %d %s", r.status, r.body)
	}
	// Platform powers by route: a bank's org_admin admits no participant,
	// a trader publishes no rate and runs no cycle.
	if r := f.call(t, "POST", "/api/v1/settlement/participants", f.token(t, attackerBank, identity.OrgAdmin), map[string]any{"org_id": f.orgs["Banco Cerrado"].ID, "bic": "CERRBRSP"}); r.status != 403 {
		t.Errorf("bank org_admin admitting a participant: %d", r.status)
	}
	if r := f.call(t, "POST", "/api/v1/fx/rates", w.trader, map[string]any{"pair": "KZT/CNY", "bid": "0.000001", "ask": "0.000002"}); r.status != 403 {
		t.Errorf("trader publishing a rate: %d", r.status)
	}
	for _, tok := range []string{w.trader, w.banks[0].tok, f.token(t, attacker, identity.OrgAdmin)} {
		if r := f.call(t, "POST", "/api/v1/settlement/cycles", tok, nil); r.status != 403 {
			t.Errorf("a cycle run by a non-centre caller: %d %s", r.status, r.body)
		}
	}
	if f.userExists(t, email) {
		t.Error("the platform_admin user exists")
	}
	f.unchanged(t, "escalation", before)
}

// Attack 10: fifty parallel wrong-password sign-ins evaluate at most the
// limit's worth of passwords, never more than the hashing slots at once.
func attackLoginCost(t *testing.T, w *attackWorld) {
	f := w.f
	ts, ids := loginServer(t, f, "", 2)
	wrongPasswordBurst(t, ts.URL, ids, "trader@gujtextile.in")
}

// Attack 4: a declarant cannot record a guarantee of its own making (any
// reference, any amount), use another organisation's, or issue one; a
// bank issues one only from its own funded account. Nothing is released,
// nothing moves.
func attackFakeGuarantee(t *testing.T, w *attackWorld) {
	f := w.f
	ctx := context.Background()
	kge := f.orgs[attacker].ID
	cover, err := f.db.AccountByCode(ctx, f.orgs[attackerBank].ID, "KZT", "guarantee_cover")
	if err != nil {
		t.Fatal(err)
	}
	valid := time.Now().Add(90 * 24 * time.Hour).Format(time.DateOnly)
	body := func(acct string, amount any) map[string]any {
		return map[string]any{"reference": "BG-" + v7()[:8], "principal_org": kge, "backing_account_id": acct, "amount_kzt": amount, "valid_until": valid}
	}
	d := f.apiGreenDeclaration(t, w.trader, attacker)
	id := d["id"].(string)
	cookie, csrf := f.session(t, "trader@kazgrain.kz")
	volga := w.banks[1].tok
	empty := w.ownAccount(t, volga, "KZT", "guarantee_cover")
	rival := f.heldGuarantee(t, w.victim)
	before := f.state(t)
	for _, c := range []struct {
		name string
		tok  string
		body map[string]any
		want int
	}{
		{"trader issues", w.trader, body(w.traderAcct, 1_000_00), 403},
		{"trader org_admin issues", f.token(t, attacker, identity.OrgAdmin), body(w.traderAcct, 1_000_00), 403},
		{"max int64", w.banks[0].tok, body(cover.ID.String(), int64(9223372036854775807)), 400},
		{"negative", w.banks[0].tok, body(cover.ID.String(), -1), 400},
		{"bank without funds", volga, body(empty, 1_000_00), 409},
		{"another bank's cover", volga, body(cover.ID.String(), 1_000_00), 400},
		{"the trader's own account", volga, body(w.traderAcct, 1_000_00), 400},
	} {
		if r := f.call(t, "POST", "/api/v1/guarantees", c.tok, c.body); r.status != c.want {
			t.Errorf("%s: %d %s", c.name, r.status, r.body)
		}
	}
	if r := f.call(t, "POST", "/api/v1/guarantees", "", body(w.traderAcct, 1_000_00), "Cookie", cookie, "X-CSRF-Token", csrf); r.status != 403 {
		t.Errorf("trader session issues: %d %s", r.status, r.body)
	}
	// The declarant's own "guarantees": any reference and amount, a
	// made-up id, another organisation's real guarantee.
	for _, g := range []map[string]any{
		{"reference": "BG-FAKE", "amount_kzt": int64(9223372036854775807)},
		{"guarantee_id": v7()},
		{"guarantee_id": rival},
		{"guarantee_id": "BG-1"},
	} {
		if r := f.call(t, "POST", apiDecls+"/"+id+"/guarantee", w.trader, g); r.status != 400 && r.status != 404 {
			t.Errorf("guarantee %v: %d %s", g, r.status, r.body)
		}
		if r := f.call(t, "POST", apiDecls+"/"+id+"/guarantee", "", g, "Cookie", cookie, "X-CSRF-Token", csrf); r.status != 400 && r.status != 404 {
			t.Errorf("guarantee by session %v: %d %s", g, r.status, r.body)
		}
	}
	if got := f.apiDecl(t, w.trader, id); got["status"] != "assessed" || got["guarantee"] != nil {
		t.Errorf("the declaration after refused guarantees: %v", got)
	}
	f.unchanged(t, "guarantees", before)
}

// Attack 5: a bank that never quoted a pair publishes an absurd or a
// crossed price: refused against the official reference, by token or
// session; where no reference exists, the cycle rate sets the outlier
// aside, so the payee is paid at a sane rate.
func attackOneBankRate(t *testing.T, w *attackWorld) {
	f := w.f
	today := time.Now().UTC().Format(time.DateOnly)
	f.apiPost(t, "/api/v1/fx/reference", w.centre, map[string]any{"date": today, "source": "NBK (attack test)",
		"rates": []any{map[string]any{"currency": "CNY", "units": 1, "rate": "70.00"}}}, 201)
	deccan := f.token(t, "Deccan Commerce Bank", identity.BankOperator)
	deccanAdmin := f.token(t, "Deccan Commerce Bank", identity.OrgAdmin)
	cookie, csrf := f.session(t, "treasury@deccanbank.in")
	before := f.state(t)
	for _, body := range []map[string]any{
		{"pair": "CNY/KZT", "bid": "0.000001", "ask": "70.50"},
		{"pair": "CNY/KZT", "bid": "69.50", "ask": "7000"},
		{"pair": "KZT/CNY", "bid": "1000", "ask": "1001"},
		{"pair": "CNY/KZT", "bid": "70.60", "ask": "69.40"}, // crossed
	} {
		if r := f.call(t, "POST", "/api/v1/fx/rates", deccan, body); r.status != 400 {
			t.Errorf("token %v: %d %s", body, r.status, r.body)
		}
		if r := f.call(t, "POST", "/api/v1/fx/rates", "", body, "Cookie", cookie, "X-CSRF-Token", csrf); r.status != 400 {
			t.Errorf("session %v: %d %s", body, r.status, r.body)
		}
	}
	// Nobody but the platform and the centre publishes the reference.
	for _, tok := range []string{deccan, deccanAdmin, w.trader} {
		if r := f.call(t, "POST", "/api/v1/fx/reference", tok, map[string]any{"date": today, "source": "mine",
			"rates": []any{map[string]any{"currency": "CNY", "units": 1, "rate": "0.000001"}}}); r.status != 403 {
			t.Errorf("reference by a non-centre caller: %d %s", r.status, r.body)
		}
	}
	f.unchanged(t, "absurd rates", before)

	// RUB has no reference: the absurd price is accepted but flagged, and a
	// cycle paying KZT into RUB does not use it.
	r := f.call(t, "POST", "/api/v1/fx/rates", deccan, map[string]any{"pair": "RUB/KZT", "bid": "0.000001", "ask": "0.000002"})
	if r.status == 201 && r.json(t)["flag"] != "no_reference" {
		t.Errorf("an unchecked price without its flag: %s", r.body)
	} else if r.status != 201 && r.status != 400 {
		t.Fatalf("RUB price: %d %s", r.status, r.body)
	}
	steppe, volga := w.banks[0], w.banks[1]
	if _, ok := volga.acct["RUB"]; !ok {
		volga.acct["RUB"] = w.ownAccount(t, volga.tok, "RUB", "settlement")
	}
	f.drainAttack(t, w)
	rub := minorOf(t, f.balanceOfUI(t, volga.tok, volga.acct["RUB"]))
	res := submitResults(t, f.call(t, "POST", "/api/v1/settlement/instructions", steppe.tok, map[string]any{"instructions": []any{
		submitOne(e2eID("RUB-"), volga.bic, "1000.00", "KZT", "payee_currency", "RUB")}}))
	if res[0] != "ok" {
		t.Fatalf("instruction: %v", res)
	}
	if c := f.call(t, "POST", "/api/v1/settlement/cycles", w.centre, nil); c.status != 201 {
		t.Fatalf("cycle: %d %s", c.status, c.body)
	}
	// A rouble is worth several tenge: 1,000 KZT is far less than 1,000 RUB
	// (at the absurd price it would be hundreds of millions).
	if got := minorOf(t, f.balanceOfUI(t, volga.tok, volga.acct["RUB"])) - rub; got <= 0 || got >= 1000_00 {
		t.Errorf("1000 KZT paid as %d minor RUB", got)
	}
}
