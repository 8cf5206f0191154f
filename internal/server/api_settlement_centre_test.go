package server

import (
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"bricstown/internal/identity"
	"bricstown/internal/iso20022"
)

// The settlement centre's own operators run cycles and hold, release and
// cancel any bank's queued instruction; an ordinary bank, an org
// administrator elsewhere and a trader cannot; a payment to oneself is
// refused at submission (JSON and pacs.008).
func TestSettlementCentreOperators(t *testing.T) {
	f := getFixture(t)
	banks := f.settlementWorld(t)
	a, b := banks[0], banks[1]
	f.drainSettlement(t)
	stamp := fmt.Sprint(time.Now().UnixNano() % 1e9)
	e2e := func(s string) string { return "CTR-" + stamp + "-" + s }
	centreOp := f.token(t, demoCentre, identity.BankOperator)
	centreAdmin := f.token(t, demoCentre, identity.OrgAdmin)
	otherAdmin := f.token(t, "Kazakh Grain Export", identity.OrgAdmin)
	trader := f.token(t, "Siberian Energy Trading", identity.Trader)

	// Submission refuses a payment to oneself in the same currency, with
	// the field; in another currency it is a conversion and allowed.
	before := f.auditCount(t)
	r := f.call(t, "POST", "/api/v1/settlement/instructions", a.tok, map[string]any{"instructions": []any{submitOne(e2e("SELF"), a.bic, "1.00", "KZT")}})
	if r.status != 400 || !strings.Contains(string(r.body), `"instructions[0].payee_bic"`) {
		t.Fatalf("self-payment: %d %s", r.status, r.body)
	}
	doc := pacs008For(t, "MSG-S"+stamp, a.bic, iso20022.PaymentInstruction{EndToEndID: e2e("P8SELF"), Amount: kzt(100), CreditorAgentBIC: a.bic})
	if r := f.postXML(t, a.tok, doc); r.status != 400 || !strings.Contains(string(r.body), "payee_bic") {
		t.Fatalf("self-payment in pacs.008: %d %s", r.status, r.body)
	}
	if f.auditCount(t) != before {
		t.Fatal("a refused self-payment wrote something")
	}

	submitResults(t, f.call(t, "POST", "/api/v1/settlement/instructions", a.tok, map[string]any{"instructions": []any{
		submitOne(e2e("H"), b.bic, "10.00", "KZT"), submitOne(e2e("S"), b.bic, "20.00", "KZT"), submitOne(e2e("C"), b.bic, "30.00", "KZT")}}))
	seqOf := map[string]string{}
	q := f.call(t, "GET", "/api/v1/settlement/queue", centreOp, nil)
	if q.status != 200 {
		t.Fatalf("centre queue: %d %s", q.status, q.body)
	}
	for _, x := range q.json(t)["items"].([]any) {
		in := x.(map[string]any)
		seqOf[in["end_to_end_id"].(string)] = fmt.Sprint(in["seq"])
	}
	if len(seqOf) != 3 || seqOf[e2e("H")] == "" {
		t.Fatalf("centre queue: %s", q.body)
	}
	hold := "/api/v1/settlement/queue/" + seqOf[e2e("H")] + "/hold"
	reason := map[string]any{"reason": "sanctions screening"}

	// Forbidden: another bank (403 before any look-up, so foreign and
	// unknown ids answer alike), an org administrator elsewhere, a trader.
	for name, tok := range map[string]string{"bank": b.tok, "other org admin": otherAdmin, "trader": trader} {
		for _, c := range []struct{ method, path string }{{"GET", "/api/v1/settlement/queue"}, {"POST", hold},
			{"POST", "/api/v1/settlement/queue/" + seqOf[e2e("C")] + "/cancel"}, {"POST", "/api/v1/settlement/queue/99999999/hold"},
			{"POST", "/api/v1/settlement/queue/" + seqOf[e2e("H")] + "/release"}, {"POST", "/api/v1/settlement/cycles"}} {
			var body any
			if strings.HasSuffix(c.path, "/hold") || strings.HasSuffix(c.path, "/cancel") {
				body = reason
			}
			if r := f.call(t, c.method, c.path, tok, body); r.status != 403 {
				t.Errorf("%s %s %s: %d %s", name, c.method, c.path, r.status, r.body)
			}
		}
	}
	if r := f.call(t, "POST", "/settlement/queue/"+seqOf[e2e("C")]+"/cancel", b.tok, nil); r.status != 403 {
		t.Errorf("bank cancelled another bank's instruction through the page: %d", r.status)
	}

	// The centre: a hold needs a reason; unknown ids answer 404.
	if r := f.call(t, "POST", hold, centreOp, map[string]any{"reason": " "}); r.status != 400 || !strings.Contains(string(r.body), `"reason"`) {
		t.Fatalf("hold without a reason: %d %s", r.status, r.body)
	}
	for _, p := range []string{"/api/v1/settlement/queue/99999999/hold", "/api/v1/settlement/queue/abc/hold"} {
		if r := f.call(t, "POST", p, centreOp, reason); r.status != 404 {
			t.Errorf("%s: %d %s", p, r.status, r.body)
		}
	}
	r = f.call(t, "POST", hold, centreOp, reason)
	if r.status != 200 || r.json(t)["status"] != "held" || r.json(t)["hold_reason"] != "sanctions screening" {
		t.Fatalf("hold: %d %s", r.status, r.body)
	}
	if r := f.call(t, "POST", hold, centreOp, reason); r.status != 409 {
		t.Fatalf("second hold: %d", r.status)
	}
	// The payer sees the hold and its reason.
	if r := f.call(t, "GET", "/api/v1/settlement/instructions/"+url.PathEscape(e2e("H")), a.tok, nil); r.json(t)["status"] != "held" || r.json(t)["hold_reason"] != "sanctions screening" {
		t.Fatalf("payer's view of the hold: %s", r.body)
	}
	// The centre's org administrator cancels another with a reason.
	r = f.call(t, "POST", "/api/v1/settlement/queue/"+seqOf[e2e("C")]+"/cancel", centreAdmin, map[string]any{"reason": "duplicate payment"})
	if r.status != 200 || r.json(t)["status"] != "cancelled" || r.json(t)["cancel_reason"] != "duplicate payment" {
		t.Fatalf("centre cancel: %d %s", r.status, r.body)
	}

	// The centre's operator runs the cycle: S settles, H is excluded as held.
	balBefore := f.balanceMinor(t, b, "KZT")
	r = f.call(t, "POST", "/api/v1/settlement/cycles", centreOp, nil)
	if r.status != 201 {
		t.Fatalf("centre cycle: %d %s", r.status, r.body)
	}
	rep := r.json(t)["report"].(map[string]any)
	if rep["settled"] != 1.0 || rep["excluded"] != 1.0 || !strings.Contains(string(r.body), `"reason":"held"`) {
		t.Fatalf("cycle report: %s", r.body)
	}
	if got := f.balanceMinor(t, b, "KZT") - balBefore; got != 20_00 {
		t.Fatalf("beta received %d, want only S", got)
	}
	// The payee sees the exclusion count but not another bank's exclusion.
	number := fmt.Sprint(r.json(t)["number"])
	if r := f.call(t, "GET", "/api/v1/settlement/cycles/"+number, b.tok, nil); strings.Contains(string(r.body), e2e("H")) {
		t.Fatalf("the payee saw the payer's exclusion: %s", r.body)
	}
	if r := f.call(t, "GET", "/api/v1/settlement/cycles/"+number, a.tok, nil); !strings.Contains(string(r.body), e2e("H")) {
		t.Fatalf("the payer does not see its exclusion: %s", r.body)
	}
	// Released, it settles in the next cycle.
	if r := f.call(t, "POST", "/api/v1/settlement/queue/"+seqOf[e2e("H")]+"/release", centreOp, nil); r.status != 200 || r.json(t)["status"] != "deferred" && r.json(t)["status"] != "queued" {
		t.Fatalf("release: %d %s", r.status, r.body)
	}
	if r := f.call(t, "POST", "/api/v1/settlement/cycles", centreAdmin, nil); r.status != 201 || r.json(t)["report"].(map[string]any)["settled"] != 1.0 {
		t.Fatalf("cycle after release: %d %s", r.status, r.body)
	}
	if r := f.call(t, "GET", "/api/v1/settlement/instructions/"+url.PathEscape(e2e("H")), a.tok, nil); r.json(t)["status"] != "settled" {
		t.Fatalf("released instruction: %s", r.body)
	}

	// The centre's page has the cycle control and the queue controls.
	submitResults(t, f.call(t, "POST", "/api/v1/settlement/instructions", a.tok, map[string]any{"instructions": []any{submitOne(e2e("W"), b.bic, "1.00", "KZT")}}))
	page := f.call(t, "GET", "/settlement", centreOp, nil)
	for _, want := range []string{`id="run-form"`, `/hold"`, `/cancel"`, e2e("W")} {
		if !strings.Contains(string(page.body), want) {
			t.Errorf("centre page lacks %s", want)
		}
	}
	if strings.Contains(string(page.body), `id="not-participant"`) {
		t.Error("the centre's operator is told its bank is not a participant")
	}
	if page := f.call(t, "GET", "/settlement", b.tok, nil); strings.Contains(string(page.body), `id="run-form"`) || strings.Contains(string(page.body), `/hold"`) {
		t.Error("an ordinary bank sees the centre's controls")
	}
	f.drainSettlement(t)
}

// The centre's operator works the queue from the page: hold with a reason
// (refused without one), release, cancel, and run the cycle.
func TestSettlementCentrePage(t *testing.T) {
	f := getFixture(t)
	banks := f.settlementWorld(t)
	a, b := banks[0], banks[1]
	f.drainSettlement(t)
	stamp := fmt.Sprint(time.Now().UnixNano() % 1e9)
	e2e := "CTRP-" + stamp
	res := f.call(t, "POST", "/api/v1/settlement/instructions", a.tok, map[string]any{"instructions": []any{submitOne(e2e, b.bic, "3.00", "KZT")}})
	if res.status != 200 {
		t.Fatalf("submit: %d %s", res.status, res.body)
	}
	seq := fmt.Sprint(res.json(t)["results"].([]any)[0].(map[string]any)["seq"])
	op := f.browser(t, "operations@settlement.town.kz")
	wantIn(t, op.get(t, "/settlement"), 200, `id="run-form"`, `action="/settlement/queue/`+seq+`/hold"`, e2e)

	wantIn(t, op.post(t, "/settlement/queue/"+seq+"/hold", url.Values{"reason": {""}}), 400, "Reason (shown to the bank)")
	r := op.post(t, "/settlement/queue/"+seq+"/hold", url.Values{"reason": {"KYC check"}})
	if r.status != 303 || !strings.Contains(r.header.Get("Location"), "done=held") {
		t.Fatalf("hold: %d %s", r.status, r.header.Get("Location"))
	}
	wantIn(t, op.get(t, r.header.Get("Location")), 200, "is held", "Held: KYC check", `action="/settlement/queue/`+seq+`/release"`)
	bank := f.browser(t, "treasury@steppebank.kz")
	wantIn(t, bank.get(t, "/settlement"), 200, "Held: KYC check")
	if r := bank.post(t, "/settlement/queue/"+seq+"/release", url.Values{}); r.status != 403 {
		t.Fatalf("a bank released through the page: %d", r.status)
	}
	if r := op.post(t, "/settlement/queue/"+seq+"/release", url.Values{}); r.status != 303 {
		t.Fatalf("release: %d", r.status)
	}
	if r := op.post(t, "/settlement/queue/"+seq+"/cancel", url.Values{"reason": {"sent twice"}}); r.status != 303 || !strings.Contains(r.header.Get("Location"), "done=centre_cancelled") {
		t.Fatalf("cancel: %d %s", r.status, r.header.Get("Location"))
	}
	if r := f.call(t, "GET", "/api/v1/settlement/instructions/"+url.PathEscape(e2e), a.tok, nil); r.json(t)["cancel_reason"] != "sent twice" {
		t.Fatalf("the payer does not see why: %s", r.body)
	}
	if r := op.post(t, "/settlement/cycles", url.Values{}); r.status != 409 && r.status != 303 {
		t.Fatalf("run: %d", r.status)
	}
}
