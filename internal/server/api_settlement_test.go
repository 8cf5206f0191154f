package server

import (
	"bytes"
	"cmp"
	"encoding/xml"
	"fmt"
	"mime/multipart"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"bricstown/internal/identity"
	"bricstown/internal/iso20022"
	"bricstown/internal/money"
	"bricstown/internal/testenv"
	"bricstown/internal/ui"
)

// demoCentre is the demo town's settlement centre organisation.
const demoCentre = "BRICS Town Settlement Centre"

// settleBank is a demo bank taking part in the tests' settlement.
type testBank struct {
	name, bic, tok string
	acct           map[string]string // settlement account per currency
}

var (
	settleMu  sync.Mutex
	testBanks []*testBank
)

// settlementWorld admits three demo banks, opens and funds their
// settlement accounts in KZT and CNY, once per test binary.
func (f *fixture) settlementWorld(t *testing.T) []*testBank {
	t.Helper()
	settleMu.Lock()
	defer settleMu.Unlock()
	if testBanks != nil {
		return testBanks
	}
	admin := f.token(t, townAdmin, identity.PlatformAdmin)
	var banks []*testBank
	for _, b := range []struct{ name, bic string }{{"Steppe Commercial Bank", "STPBKZKA"}, {"Volga Trade Bank", "VOLGRUMM"}, {"Yangtze Settlement Bank", "YNGZCNSH"}} {
		sb := &testBank{name: b.name, bic: b.bic, tok: f.token(t, b.name, identity.BankOperator), acct: map[string]string{}}
		r := f.call(t, "POST", "/api/v1/settlement/participants", admin, map[string]any{"org_id": f.orgs[b.name].ID, "bic": b.bic,
			"credit_lines": map[string]string{"KZT": "100000.00"}})
		if r.status != 201 {
			t.Fatalf("admit %s: %d %s", b.name, r.status, r.body)
		}
		for _, c := range []struct{ ccy, amount string }{{"KZT", "1000000.00"}, {"CNY", "10000.00"}} {
			vault := f.openAccount(t, sb.tok, c.ccy, false)
			r := f.call(t, "POST", "/api/v1/ledger/accounts", sb.tok, map[string]any{"currency": c.ccy, "kind": "liability", "code": "settlement", "name": "Settlement " + c.ccy})
			if r.status != 201 {
				t.Fatalf("settlement account: %d %s", r.status, r.body)
			}
			sb.acct[c.ccy] = r.json(t)["id"].(string)
			fund := map[string]any{"transfers": []map[string]any{{"id": v7(), "debit_account_id": vault, "credit_account_id": sb.acct[c.ccy],
				"amount": c.amount, "currency": c.ccy, "reference": "settlement funding"}}}
			if got := results(t, f.call(t, "POST", "/api/v1/ledger/transfers", sb.tok, fund)); got[0] != "ok" {
				t.Fatalf("funding: %v", got)
			}
		}
		banks = append(banks, sb)
	}
	testBanks = banks
	return banks
}

// drainSettlement leaves nothing queued: a cycle settles what it can and
// the payers cancel the rest, so a test's cycle holds only its own.
func (f *fixture) drainSettlement(t *testing.T) {
	t.Helper()
	admin := f.token(t, townAdmin, identity.PlatformAdmin)
	if r := f.call(t, "POST", "/api/v1/settlement/cycles", admin, nil); r.status != 201 && r.status != 409 {
		t.Fatalf("drain cycle: %d %s", r.status, r.body)
	}
	byID := map[string]string{}
	for name, o := range f.orgs {
		byID[o.ID] = name
	}
	r := f.call(t, "GET", "/api/v1/settlement/instructions?limit=200", admin, nil)
	for _, x := range r.json(t)["items"].([]any) {
		in := x.(map[string]any)
		if s := in["status"]; s == "queued" || s == "deferred" || s == "excluded" || s == "held" {
			tok := f.token(t, byID[in["payer"].(string)], identity.BankOperator)
			if c := f.call(t, "POST", "/api/v1/settlement/instructions/"+url.PathEscape(in["end_to_end_id"].(string))+"/cancel", tok, nil); c.status != 200 {
				t.Fatalf("drain cancel: %d %s", c.status, c.body)
			}
		}
	}
}

// minorOf reads a decimal amount string of a 2-decimal currency.
func minorOf(t *testing.T, s string) int64 {
	t.Helper()
	neg := strings.HasPrefix(s, "-")
	v, err := money.ParseAmount(strings.TrimPrefix(s, "-"), 2)
	if err != nil {
		t.Fatalf("amount %q: %v", s, err)
	}
	if neg {
		return -v
	}
	return v
}

func (f *fixture) balanceMinor(t *testing.T, b *testBank, ccy string) int64 {
	t.Helper()
	return minorOf(t, f.balanceOfUI(t, b.tok, b.acct[ccy]))
}

func submitOne(e2e, payee, amount, ccy string, extra ...any) map[string]any {
	in := map[string]any{"end_to_end_id": e2e, "payee_bic": payee, "amount": amount, "currency": ccy}
	for i := 0; i+1 < len(extra); i += 2 {
		in[extra[i].(string)] = extra[i+1]
	}
	return in
}

func submitResults(t *testing.T, r response) []string {
	t.Helper()
	if r.status != 200 {
		t.Fatalf("submit: %d %s", r.status, r.body)
	}
	var out []string
	for _, x := range r.json(t)["results"].([]any) {
		out = append(out, x.(map[string]any)["result"].(string))
	}
	return out
}

func TestSettlementAPI(t *testing.T) {
	f := getFixture(t)
	banks := f.settlementWorld(t)
	a, b, c := banks[0], banks[1], banks[2]
	admin := f.token(t, townAdmin, identity.PlatformAdmin)
	f.drainSettlement(t)
	stamp := fmt.Sprint(time.Now().UnixNano() % 1e9)
	e2e := func(s string) string { return "API-" + stamp + "-" + s }

	// Admission: bad input is refused whole and writes nothing.
	before := f.auditCount(t)
	r := f.call(t, "POST", "/api/v1/settlement/participants", admin, map[string]any{"org_id": f.orgs["Kazakh Grain Export"].ID, "bic": "nope",
		"credit_lines": map[string]string{"KZT": "1.001", "XAU": "1"}})
	if r.status != 400 {
		t.Fatalf("bad participant: %d %s", r.status, r.body)
	}
	errs := r.json(t)["errors"].(map[string]any)
	for _, k := range []string{"org_id", "bic", "credit_lines.KZT", "credit_lines.XAU"} {
		if _, ok := errs[k]; !ok {
			t.Errorf("no message for %s in %v", k, errs)
		}
	}
	if r := f.call(t, "POST", "/api/v1/settlement/participants", admin, map[string]any{"org_id": "no-such-org", "bic": "ABCDKZKA"}); r.status != 400 ||
		!strings.Contains(string(r.body), "no such organisation") {
		t.Fatalf("unknown org: %d %s", r.status, r.body)
	}
	if r := f.call(t, "POST", "/api/v1/settlement/participants", admin, map[string]any{"org_id": f.orgs["Banco Cerrado"].ID, "bic": a.bic}); r.status != 409 {
		t.Fatalf("a BIC taken by another participant: %d %s", r.status, r.body)
	}
	if r := f.call(t, "POST", "/api/v1/settlement/participants", admin, map[string]any{"org_id": f.orgs["Banco Cerrado"].ID, "bic": "CERRBRSP", "color": "red"}); r.status != 400 {
		t.Fatalf("unknown field: %d", r.status)
	}
	if f.auditCount(t) != before {
		t.Fatal("a refused admission wrote something")
	}
	if r := f.call(t, "POST", "/api/v1/settlement/participants", a.tok, map[string]any{"org_id": f.orgs["Banco Cerrado"].ID, "bic": "CERRBRSP"}); r.status != 403 {
		t.Fatalf("a bank admitted a bank: %d", r.status)
	}
	parts := f.call(t, "GET", "/api/v1/settlement/participants", a.tok, nil)
	if parts.status != 200 || !strings.Contains(string(parts.body), `"bic":"VOLGRUMM"`) || !strings.Contains(string(parts.body), `"KZT":"100000.00"`) {
		t.Fatalf("participants: %d %s", parts.status, parts.body)
	}

	// Submission: only banks, only participants, nothing written on bad input.
	grain := f.token(t, "Kazakh Grain Export", identity.Trader)
	if r := f.call(t, "POST", "/api/v1/settlement/instructions", grain, map[string]any{"instructions": []any{submitOne(e2e("X"), b.bic, "1.00", "KZT")}}); r.status != 403 {
		t.Fatalf("a trader submitted: %d", r.status)
	}
	centre := f.token(t, demoCentre, identity.BankOperator)
	if r := f.call(t, "POST", "/api/v1/settlement/instructions", centre, map[string]any{"instructions": []any{submitOne(e2e("X"), b.bic, "1.00", "KZT")}}); r.status != 403 {
		t.Fatalf("a non-participant bank submitted: %d %s", r.status, r.body)
	}
	before = f.auditCount(t)
	past := time.Now().UTC().AddDate(0, 0, -2).Format("2006-01-02")
	bad := f.call(t, "POST", "/api/v1/settlement/instructions", a.tok, map[string]any{"instructions": []any{
		submitOne(e2e("B1"), b.bic, "1.001", "KZT"),
		submitOne(e2e("B2"), "NOBANKXX", "5.00", "KZT"),
		submitOne(e2e("B3"), b.bic, "5.00", "XAU"),
		submitOne(strings.Repeat("x", 36), b.bic, "5.00", "KZT"),
		submitOne(e2e("B5"), b.bic, "-5", "KZT", "value_date", past),
		submitOne(e2e("B6"), b.bic, "5.00", "KZT", "payee_currency", "ZZZ"),
	}})
	if bad.status != 400 {
		t.Fatalf("bad batch: %d %s", bad.status, bad.body)
	}
	errs = bad.json(t)["errors"].(map[string]any)
	for _, k := range []string{"instructions[0].amount", "instructions[1].payee_bic", "instructions[2].currency", "instructions[3].end_to_end_id",
		"instructions[4].amount", "instructions[4].value_date", "instructions[5].payee_currency"} {
		if _, ok := errs[k]; !ok {
			t.Errorf("no message for %s in %v", k, errs)
		}
	}
	for _, body := range []string{`{"instructions":[]}`, `{"instructions":[{"end_to_end_id":"x","payee_bic":"VOLGRUMM","amount":5,"currency":"KZT"}]}`, `{"instructions":`} {
		if r := f.call(t, "POST", "/api/v1/settlement/instructions", a.tok, body); r.status != 400 {
			t.Errorf("%s: %d %s", body, r.status, r.body)
		}
	}
	if f.auditCount(t) != before {
		t.Fatal("a refused batch wrote something")
	}

	// A circle of KZT payments, one paid in KZT and credited in CNY, and
	// one the payer cannot fund.
	pay := func(from *testBank, ins ...any) []string {
		t.Helper()
		return submitResults(t, f.call(t, "POST", "/api/v1/settlement/instructions", from.tok, map[string]any{"instructions": ins}))
	}
	if got := pay(a, submitOne(e2e("1"), b.bic, "500000.00", "KZT", "remittance", "Contract 2026/17"), submitOne(e2e("4"), b.bic, "70000.00", "KZT", "payee_currency", "CNY")); strings.Join(got, ",") != "ok,ok" {
		t.Fatalf("a: %v", got)
	}
	pay(b, submitOne(e2e("2"), c.bic, "450000.00", "KZT"))
	pay(c, submitOne(e2e("3"), a.bic, "400000.00", "KZT"), submitOne(e2e("5"), b.bic, "5000000.00", "KZT", "urgent", true))
	if got := pay(a, submitOne(e2e("1"), b.bic, "500000.00", "KZT", "remittance", "Contract 2026/17")); got[0] != "exists" {
		t.Fatalf("repeat: %v", got)
	}
	if got := pay(a, submitOne(e2e("1"), b.bic, "500001.00", "KZT")); got[0] != "exists_with_different_fields" {
		t.Fatalf("changed repeat: %v", got)
	}
	// Org isolation: a bank sees what it pays or receives, nothing else.
	list := string(f.call(t, "GET", "/api/v1/settlement/instructions?limit=200", a.tok, nil).body)
	if !strings.Contains(list, e2e("1")) || !strings.Contains(list, e2e("3")) || strings.Contains(list, e2e("2")) || strings.Contains(list, e2e("5")) {
		t.Fatalf("a's listing shows the wrong instructions: %s", list)
	}
	if !strings.Contains(list, `"direction":"in"`) || !strings.Contains(list, `"status":"queued"`) {
		t.Fatalf("listing: %s", list)
	}
	if r := f.call(t, "GET", "/api/v1/settlement/instructions/"+e2e("2"), a.tok, nil); r.status != 404 {
		t.Fatalf("a read b's instruction: %d", r.status)
	}
	if r := f.call(t, "GET", "/api/v1/settlement/instructions/"+e2e("2"), admin, nil); r.status != 400 {
		t.Fatalf("admin without payer: %d", r.status)
	}
	if r := f.call(t, "GET", "/api/v1/settlement/instructions/"+e2e("2")+"?payer="+f.orgs[b.name].ID, admin, nil); r.status != 200 ||
		!strings.Contains(string(r.body), `"amount":"450000.00"`) {
		t.Fatalf("admin with payer: %d %s", r.status, r.body)
	}
	// Another bank cannot cancel.
	if r := f.call(t, "POST", "/api/v1/settlement/instructions/"+e2e("3")+"/cancel", a.tok, nil); r.status != 404 {
		t.Fatalf("a cancelled c's instruction: %d %s", r.status, r.body)
	}
	if r := f.call(t, "POST", "/api/v1/settlement/instructions/"+e2e("3")+"/cancel", grain, nil); r.status != 403 {
		t.Fatalf("a trader cancelled: %d", r.status)
	}

	// The cycle.
	bal := map[string]int64{}
	for _, x := range banks {
		for _, ccy := range []string{"KZT", "CNY"} {
			bal[x.bic+ccy] = f.balanceMinor(t, x, ccy)
		}
	}
	if r := f.call(t, "POST", "/api/v1/settlement/cycles", a.tok, nil); r.status != 403 {
		t.Fatalf("a bank ran a cycle: %d", r.status)
	}
	run := f.call(t, "POST", "/api/v1/settlement/cycles", admin, nil)
	if run.status != 201 || !strings.HasPrefix(run.header.Get("Location"), "/api/v1/settlement/cycles/") {
		t.Fatalf("cycle: %d %s", run.status, run.body)
	}
	cyc := run.json(t)
	number := int64(cyc["number"].(float64))
	rep := cyc["report"].(map[string]any)
	if rep["instructions"].(float64) != 5 || rep["settled"].(float64) != 4 || rep["deferred"].(float64) != 1 {
		t.Fatalf("report counts: %v", rep)
	}
	if rep["liquidity_saving_bps"].(float64) < 7000 {
		t.Fatalf("a circle should save most liquidity: %v", rep["liquidity_saving_bps"])
	}
	var kzt map[string]any
	for _, x := range rep["currencies"].([]any) {
		if m := x.(map[string]any); m["currency"] == "KZT" {
			kzt = m
		}
	}
	if kzt == nil || kzt["gross"] != "1420000.00" || kzt["net"] != "170000.00" || kzt["saving_bps"].(float64) < 8500 {
		t.Fatalf("KZT figures: %v", kzt)
	}
	pairs := rep["pairs"].([]any)
	if len(pairs) != 1 || pairs[0].(map[string]any)["net_sold_currency"] != "KZT" || pairs[0].(map[string]any)["net_sold"] != "70000.00" {
		t.Fatalf("pairs: %v", pairs)
	}
	cost := rep["cost"].(map[string]any)
	if cost["currency"] != "KZT" || minorOf(t, cost["saving"].(string)) <= 0 || cost["model"] != "2026-12" {
		t.Fatalf("cost: %v", cost)
	}
	// The saving comes with its low-high range around the estimate.
	rg, _ := cost["range"].(map[string]any)
	if rg == nil {
		t.Fatalf("cost without a range: %v", cost)
	}
	sv := rg["saving"].([]any)
	lo, hi, mid := minorOf(t, sv[0].(string)), minorOf(t, sv[1].(string)), minorOf(t, cost["saving"].(string))
	if lo > mid || mid > hi || lo == hi {
		t.Fatalf("saving %d outside its range [%d, %d]", mid, lo, hi)
	}
	// The model behind it, with its sources, for banks and the centre only.
	cm := f.call(t, "GET", "/api/v1/settlement/cost-model", a.tok, nil)
	if cm.status != 200 {
		t.Fatalf("cost model: %d %s", cm.status, cm.body)
	}
	model := cm.json(t)
	if model["version"] != "2026-12" || len(model["sources"].([]any)) == 0 || model["margins"].(map[string]any)["CNY"].(map[string]any)["assumed"] != true {
		t.Fatalf("cost model: %v", model)
	}
	if r := f.call(t, "GET", "/api/v1/settlement/cost-model", grain, nil); r.status != 403 {
		t.Fatalf("a trader read the cost model: %d", r.status)
	}
	// Every position moved the bank's settlement account by exactly that.
	pos := map[string]int64{}
	for _, x := range rep["positions"].([]any) {
		m := x.(map[string]any)
		pos[m["bic"].(string)+m["currency"].(string)] = minorOf(t, m["net"].(string))
	}
	want := map[string]int64{a.bic + "KZT": -170_000_00, b.bic + "KZT": 50_000_00, c.bic + "KZT": 50_000_00}
	for k, v := range want {
		if pos[k] != v {
			t.Errorf("position %s = %d, want %d (all: %v)", k, pos[k], v, pos)
		}
	}
	if pos[b.bic+"CNY"] <= 0 {
		t.Errorf("b is credited CNY for the KZT payment: %v", pos)
	}
	for _, x := range banks {
		for _, ccy := range []string{"KZT", "CNY"} {
			if got := f.balanceMinor(t, x, ccy) - bal[x.bic+ccy]; got != pos[x.bic+ccy] {
				t.Errorf("%s %s moved %d, position %d", x.bic, ccy, got, pos[x.bic+ccy])
			}
		}
	}
	// The admin sees the deferral; its payer sees it; another bank sees the
	// count only.
	if d := rep["deferrals"].([]any); len(d) != 1 || d[0].(map[string]any)["reason"] != "payer_shortfall" || d[0].(map[string]any)["end_to_end_id"] != e2e("5") {
		t.Fatalf("admin's deferrals: %v", d)
	}
	path := fmt.Sprintf("/api/v1/settlement/cycles/%d", number)
	ra := f.call(t, "GET", path, a.tok, nil).json(t)["report"].(map[string]any)
	rc := f.call(t, "GET", path, c.tok, nil).json(t)["report"].(map[string]any)
	if len(ra["deferrals"].([]any)) != 0 || ra["deferred"].(float64) != 1 || len(ra["positions"].([]any)) != len(rep["positions"].([]any)) {
		t.Fatalf("a's view of the report: %v", ra)
	}
	if d := rc["deferrals"].([]any); len(d) != 1 || d[0].(map[string]any)["shortfall"] == "0.00" {
		t.Fatalf("c's deferrals: %v", d)
	}
	if r := f.call(t, "GET", path, grain, nil); r.status != 403 {
		t.Fatalf("a trader read a cycle: %d", r.status)
	}
	for _, p := range []string{"/api/v1/settlement/cycles/999999", "/api/v1/settlement/cycles/abc", "/api/v1/settlement/cycles/0/report.csv"} {
		if r := f.call(t, "GET", p, a.tok, nil); r.status != 404 {
			t.Errorf("%s: %d", p, r.status)
		}
	}
	cycles := f.call(t, "GET", "/api/v1/settlement/cycles?limit=1", a.tok, nil).json(t)
	if items := cycles["items"].([]any); len(items) != 1 || int64(items[0].(map[string]any)["number"].(float64)) != number {
		t.Fatalf("cycles: %v", cycles)
	}
	if r := f.call(t, "GET", "/api/v1/settlement/cycles?cursor=x", a.tok, nil); r.status != 400 {
		t.Fatalf("bad cursor: %d", r.status)
	}
	// Instructions page newest first by sequence: following next_cursor
	// one at a time gives the whole list, each once, in order.
	seqs := func(items []any) (out []int64) {
		for _, x := range items {
			out = append(out, int64(x.(map[string]any)["seq"].(float64)))
		}
		return out
	}
	all := seqs(f.call(t, "GET", "/api/v1/settlement/instructions?limit=200", a.tok, nil).json(t)["items"].([]any))
	var paged []int64
	for cursor := ""; ; {
		pg := f.call(t, "GET", "/api/v1/settlement/instructions?limit=2&cursor="+cursor, a.tok, nil).json(t)
		paged = append(paged, seqs(pg["items"].([]any))...)
		next, _ := pg["next_cursor"].(string)
		if next == "" || len(paged) > len(all) {
			break
		}
		cursor = next
	}
	if len(all) < 3 || !slices.Equal(paged, all) || !slices.IsSortedFunc(all, func(x, y int64) int { return cmp.Compare(y, x) }) {
		t.Fatalf("paged %v, whole %v", paged, all)
	}
	for _, q := range []string{"cursor=0", "cursor=-3", "cursor=x", "limit=0", "limit=100000"} {
		if r := f.call(t, "GET", "/api/v1/settlement/instructions?"+q, a.tok, nil); r.status != 400 {
			t.Errorf("instructions?%s: %d", q, r.status)
		}
	}

	// Statuses after the cycle; cancelling.
	in := f.call(t, "GET", "/api/v1/settlement/instructions/"+e2e("1"), a.tok, nil).json(t)
	if in["status"] != "settled" || int64(in["cycle"].(float64)) != number || in["remittance"] != "Contract 2026/17" {
		t.Fatalf("settled instruction: %v", in)
	}
	in = f.call(t, "GET", "/api/v1/settlement/instructions/"+e2e("5"), c.tok, nil).json(t)
	if in["status"] != "deferred" || in["reason"] != "payer_shortfall" {
		t.Fatalf("deferred instruction: %v", in)
	}
	if r := f.call(t, "POST", "/api/v1/settlement/instructions/"+e2e("1")+"/cancel", a.tok, nil); r.status != 409 {
		t.Fatalf("cancelling a settled instruction: %d", r.status)
	}
	if r := f.call(t, "POST", "/api/v1/settlement/instructions/"+e2e("5")+"/cancel", c.tok, nil); r.status != 200 || r.json(t)["status"] != "cancelled" {
		t.Fatalf("cancel: %d %s", r.status, r.body)
	}
	if r := f.call(t, "POST", "/api/v1/settlement/cycles", admin, nil); r.status != 409 {
		t.Fatalf("empty cycle: %d %s", r.status, r.body)
	}

	// The CSV report.
	csvr := f.call(t, "GET", path+"/report.csv", b.tok, nil)
	if csvr.status != 200 || !strings.HasPrefix(csvr.header.Get("Content-Type"), "text/csv") {
		t.Fatalf("csv: %d %s", csvr.status, csvr.body)
	}
	for _, s := range []string{"section,cycle", "section,currencies", "KZT,1420000.00,170000.00,", "section,pairs", "section,positions",
		a.bic + ",", "-170000.00", "section,deferrals", "section,cost"} {
		if !strings.Contains(string(csvr.body), s) {
			t.Errorf("csv lacks %q:\n%s", s, csvr.body)
		}
	}
	if strings.Contains(string(csvr.body), e2e("5")) {
		t.Error("b's CSV shows c's deferral")
	}
}

func (f *fixture) postXML(t *testing.T, tok string, doc []byte) response {
	t.Helper()
	return f.call(t, "POST", "/api/v1/settlement/instructions/pacs008", tok, doc, "Content-Type", "application/xml")
}

func pacs008For(t *testing.T, msgID, debtorBIC string, txs ...iso20022.PaymentInstruction) []byte {
	t.Helper()
	today := time.Now().UTC().Truncate(24 * time.Hour)
	m := &iso20022.Pacs008Message{MsgID: msgID, CreatedAt: time.Now().UTC().Truncate(time.Second), SettlementMethod: iso20022.SettlementMethodCLRG}
	for _, x := range txs {
		x.SettlementDate, x.ChargeBearer = today, iso20022.ChargeBearerSHAR
		if x.DebtorAgentBIC == "" {
			x.DebtorAgentBIC = debtorBIC
		}
		x.Debtor = iso20022.Party{Name: "Astana Grain LLP", Account: iso20022.Account{Other: "40702810900000001234"}}
		x.Creditor = iso20022.Party{Name: "Omsk Trade LLC"}
		m.Instructions = append(m.Instructions, x)
	}
	var buf bytes.Buffer
	if err := iso20022.WritePacs008(&buf, m); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func kzt(minor int64) iso20022.Amount {
	return iso20022.Amount{Currency: "KZT", Minor: minor, Exponent: 2}
}

func TestSettlementPacs008Import(t *testing.T) {
	f := getFixture(t)
	banks := f.settlementWorld(t)
	a, b, c := banks[0], banks[1], banks[2]
	stamp := fmt.Sprint(time.Now().UnixNano() % 1e9)
	good := pacs008For(t, "MSG-"+stamp, a.bic,
		iso20022.PaymentInstruction{EndToEndID: "P8-" + stamp + "-1", Amount: kzt(1_250_000_50), CreditorAgentBIC: b.bic, RemittanceInfo: []string{"Invoice 117"}},
		iso20022.PaymentInstruction{EndToEndID: "P8-" + stamp + "-2", Amount: kzt(75_000_00), CreditorAgentBIC: c.bic,
			InstructedAmount: &iso20022.Amount{Currency: "CNY", Minor: 1000_00, Exponent: 2}, ExchangeRate: "75"})
	before := f.auditCount(t)
	// Refused files write nothing: a debtor agent that is not the sender,
	// an unknown creditor agent, broken XML, the wrong content type.
	for name, doc := range map[string][]byte{
		"not our bank": pacs008For(t, "MSG-X"+stamp, a.bic, iso20022.PaymentInstruction{EndToEndID: "P8-X", Amount: kzt(100), CreditorAgentBIC: b.bic},
			iso20022.PaymentInstruction{EndToEndID: "P8-Y", Amount: kzt(100), CreditorAgentBIC: c.bic, DebtorAgentBIC: b.bic}),
		"unknown payee": pacs008For(t, "MSG-Z"+stamp, a.bic, iso20022.PaymentInstruction{EndToEndID: "P8-Z", Amount: kzt(100), CreditorAgentBIC: "NOBKKZKA"}),
		"broken":        good[:len(good)/2],
	} {
		r := f.postXML(t, a.tok, doc)
		if r.status != 400 {
			t.Errorf("%s: %d %s", name, r.status, r.body)
			continue
		}
		if name == "not our bank" && !strings.Contains(string(r.body), `"CdtTrfTxInf[2]/DbtrAgt"`) {
			t.Errorf("%s: no element path: %s", name, r.body)
		}
		if name == "unknown payee" && !strings.Contains(string(r.body), "payee_bic") {
			t.Errorf("%s: %s", name, r.body)
		}
	}
	if r := f.call(t, "POST", "/api/v1/settlement/instructions/pacs008", a.tok, good, "Content-Type", "application/json"); r.status != 400 {
		t.Errorf("JSON content type: %d", r.status)
	}
	if r := f.postXML(t, f.token(t, "Kazakh Grain Export", identity.Trader), good); r.status != 403 {
		t.Errorf("a trader imported: %d", r.status)
	}
	if f.auditCount(t) != before {
		t.Fatal("a refused file wrote something")
	}
	r := f.postXML(t, a.tok, good)
	if got := submitResults(t, r); strings.Join(got, ",") != "ok,ok" {
		t.Fatalf("import: %v", got)
	}
	if !strings.Contains(string(r.body), `"end_to_end_id":"P8-`+stamp+`-2"`) {
		t.Fatalf("results name the transactions: %s", r.body)
	}
	if got := submitResults(t, f.postXML(t, a.tok, good)); strings.Join(got, ",") != "exists,exists" {
		t.Fatalf("the same file again: %v", got)
	}
	in := f.call(t, "GET", "/api/v1/settlement/instructions/P8-"+stamp+"-2", a.tok, nil).json(t)
	if in["source"] != "pacs.008" || in["amount"] != "75000.00" || in["payee_currency"] != "CNY" || in["payee_bic"] != c.bic {
		t.Fatalf("imported instruction: %v", in)
	}
	in = f.call(t, "GET", "/api/v1/settlement/instructions/P8-"+stamp+"-1", a.tok, nil).json(t)
	if in["amount"] != "1250000.50" || in["remittance"] != "Invoice 117" {
		t.Fatalf("imported instruction: %v", in)
	}
	f.drainSettlement(t)
}

func xsdCheck(t *testing.T, xsd string, doc []byte) {
	t.Helper()
	t.Run("xsd "+xsd, func(t *testing.T) {
		bin := "/usr/bin/xmllint"
		if _, err := os.Stat(bin); err != nil {
			if testenv.CI() {
				t.Fatalf("xmllint not found but CI is set: install it (apt-get install -y libxml2-utils)")
			}
			t.Skip("xmllint not found; skipping XSD validation")
		}
		file := filepath.Join(t.TempDir(), "doc.xml")
		if err := os.WriteFile(file, doc, 0o600); err != nil {
			t.Fatal(err)
		}
		out, err := exec.Command(bin, "--noout", "--nonet", "--schema", filepath.Join("..", "iso20022", "testdata", "xsd", xsd), file).CombinedOutput()
		if err != nil {
			t.Fatalf("xmllint rejects the document against %s: %v\n%s\n--- document ---\n%s", xsd, err, out, doc)
		}
	})
}

func TestSettlementMessages(t *testing.T) {
	f := getFixture(t)
	banks := f.settlementWorld(t)
	a, b := banks[0], banks[1]
	admin := f.token(t, townAdmin, identity.PlatformAdmin)
	f.drainSettlement(t)
	stamp := fmt.Sprint(time.Now().UnixNano() % 1e9)
	from := time.Now().UTC()
	submitResults(t, f.call(t, "POST", "/api/v1/settlement/instructions", a.tok, map[string]any{"instructions": []any{submitOne("MSG-"+stamp, b.bic, "1234.56", "KZT")}}))
	run := f.call(t, "POST", "/api/v1/settlement/cycles", admin, nil)
	if run.status != 201 {
		t.Fatalf("cycle: %d %s", run.status, run.body)
	}
	number := int64(run.json(t)["number"].(float64))

	// pacs.009: the cycle's transfers between the banks and the centre.
	p9 := f.call(t, "GET", fmt.Sprintf("/api/v1/settlement/cycles/%d/pacs009", number), b.tok, nil)
	if p9.status != 200 || !strings.HasPrefix(p9.header.Get("Content-Type"), "application/xml") {
		t.Fatalf("pacs.009: %d %s", p9.status, p9.body)
	}
	for _, s := range []string{"urn:iso:std:iso:20022:tech:xsd:pacs.009.001.09", "<BICFI>" + CentreBIC + "</BICFI>", "<BICFI>" + a.bic + "</BICFI>",
		`<IntrBkSttlmAmt Ccy="KZT">1234.56</IntrBkSttlmAmt>`} {
		if !strings.Contains(string(p9.body), s) {
			t.Errorf("pacs.009 lacks %s:\n%s", s, p9.body)
		}
	}
	xsdCheck(t, "pacs.009.001.09.xsd", p9.body)

	// camt.053: the payer's settlement account over the last moments.
	q := url.Values{"currency": {"KZT"}, "from": {from.Format(time.RFC3339Nano)}}
	st := f.call(t, "GET", "/api/v1/settlement/statement?"+q.Encode(), a.tok, nil)
	if st.status != 200 || !strings.HasPrefix(st.header.Get("Content-Type"), "application/xml") {
		t.Fatalf("camt.053: %d %s", st.status, st.body)
	}
	xsdCheck(t, "camt.053.001.08.xsd", st.body)
	var doc struct {
		Stmt struct {
			Bal []struct {
				Cd  string `xml:"Tp>CdOrPrtry>Cd"`
				Amt string `xml:"Amt"`
				Ind string `xml:"CdtDbtInd"`
			} `xml:"Bal"`
			Ntry []struct {
				Amt   string `xml:"Amt"`
				Ind   string `xml:"CdtDbtInd"`
				MsgID string `xml:"NtryDtls>TxDtls>Refs>MsgId"`
			} `xml:"Ntry"`
		} `xml:"BkToCstmrStmt>Stmt"`
	}
	if err := xml.Unmarshal(st.body, &doc); err != nil {
		t.Fatal(err)
	}
	bal := f.balanceMinor(t, a, "KZT")
	if len(doc.Stmt.Bal) != 2 || len(doc.Stmt.Ntry) != 1 {
		t.Fatalf("statement: %s", st.body)
	}
	e := doc.Stmt.Ntry[0]
	if e.Amt != "1234.56" || e.Ind != "DBIT" || e.MsgID != fmt.Sprintf("BTS-C%06d", number) {
		t.Fatalf("entry %+v", e)
	}
	op, cl := doc.Stmt.Bal[0], doc.Stmt.Bal[1]
	if op.Cd != "OPBD" || cl.Cd != "CLBD" || minorOf(t, cl.Amt) != bal || minorOf(t, op.Amt) != bal+123456 {
		t.Fatalf("balances %+v %+v, account %d", op, cl, bal)
	}
	// Today's whole statement includes the funding as a credit.
	day := f.call(t, "GET", "/api/v1/settlement/statement?currency=KZT&from="+time.Now().UTC().Format("2006-01-02")+"&to="+time.Now().UTC().Format("2006-01-02"), a.tok, nil)
	if day.status != 200 || !strings.Contains(string(day.body), "<CdtDbtInd>CRDT</CdtDbtInd>") {
		t.Fatalf("today's statement: %d %s", day.status, day.body)
	}
	xsdCheck(t, "camt.053.001.08.xsd", day.body)
	for _, bad := range []string{"", "currency=XAU", "currency=KZT&from=yesterday", "currency=KZT&from=2026-03-10&to=2026-03-01", "currency=KZT&from=2020-01-01&to=2026-01-01"} {
		if r := f.call(t, "GET", "/api/v1/settlement/statement?"+bad, a.tok, nil); r.status != 400 {
			t.Errorf("statement %q: %d %s", bad, r.status, r.body)
		}
	}
	if r := f.call(t, "GET", "/api/v1/settlement/statement?currency=INR", a.tok, nil); r.status != 404 {
		t.Errorf("no INR settlement account: %d", r.status)
	}
	if r := f.call(t, "GET", "/api/v1/settlement/statement?currency=KZT", admin, nil); r.status != 403 {
		t.Errorf("the administrator asked for a bank statement: %d", r.status)
	}
}

// multipartPost sends a file as a browser's upload form does.
func (br *browser) upload(t *testing.T, path, name string, content []byte) response {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	_ = mw.WriteField("csrf_token", br.csrf)
	fw, _ := mw.CreateFormFile("file", name)
	fw.Write(content)
	mw.Close()
	return br.f.call(t, "POST", path, "", buf.Bytes(), "Content-Type", mw.FormDataContentType(), "Cookie", br.cookie, "Accept-Language", "en")
}

func TestSettlementPages(t *testing.T) {
	f := getFixture(t)
	banks := f.settlementWorld(t)
	a, b := banks[0], banks[1]
	f.drainSettlement(t)
	bank := f.browser(t, "treasury@steppebank.kz")
	adm := f.browser(t, "admin@town.kz")
	trader := f.browser(t, "trader@kazgrain.kz")
	stamp := fmt.Sprint(time.Now().UnixNano() % 1e9)

	// The trader may not open the page or post its forms.
	if r := trader.get(t, "/settlement"); r.status != 403 {
		t.Fatalf("a trader opened /settlement: %d", r.status)
	}
	if r := trader.post(t, "/settlement/instructions", url.Values{"payee_bic": {b.bic}, "amount": {"1"}, "currency": {"KZT"}}); r.status != 403 {
		t.Fatalf("a trader submitted: %d", r.status)
	}

	// The bank's dashboard: forms and navigation.
	r := bank.get(t, "/settlement")
	wantIn(t, r, 200, "Local-currency settlement", `id="submit-form"`, `id="upload-form"`, `href="/settlement" aria-current="page"`,
		`<option value="`+b.bic+`"`, `name="csrf_token" value="`+bank.csrf+`"`)
	if strings.Contains(string(r.body), `id="run-form"`) || strings.Contains(string(r.body), `id="admit-form"`) {
		t.Fatal("a bank sees the centre's forms")
	}

	// Bad input is refused beside its fields and writes nothing.
	before := f.auditCount(t)
	for _, bad := range []url.Values{
		{"end_to_end_id": {"W-" + stamp}, "payee_bic": {b.bic}, "amount": {"abc"}, "currency": {"KZT"}},
		{"end_to_end_id": {"W-" + stamp}, "payee_bic": {"NOBANKXX"}, "amount": {"10"}, "currency": {"KZT"}},
		{"end_to_end_id": {strings.Repeat("y", 40)}, "payee_bic": {b.bic}, "amount": {"10"}, "currency": {"KZT"}},
		{"end_to_end_id": {"W-" + stamp}, "payee_bic": {b.bic}, "amount": {"10"}, "currency": {"KZT"}, "value_date": {"2001-01-01"}},
	} {
		r := bank.post(t, "/settlement/instructions", bad)
		if r.status != 400 || !fieldError.Match(r.body) || !strings.Contains(string(r.body), "Please correct the marked fields") {
			t.Errorf("bad form %v: %d %s", bad, r.status, excerpt(r.body))
		}
	}
	r = bank.post(t, "/settlement/instructions", url.Values{"end_to_end_id": {"W-" + stamp}, "payee_bic": {b.bic}, "amount": {"1.005"}, "currency": {"KZT"}})
	wantIn(t, r, 400, "Enter an amount greater than zero")
	r = bank.upload(t, "/settlement/pacs008", "broken.xml", []byte("<Document>"))
	wantIn(t, r, 400, "The file was refused and nothing was imported.", `id="upload-errors"`)
	if f.auditCount(t) != before {
		t.Fatal("a refused form wrote something")
	}

	// A good instruction (twice: queued once), in Russian with a decimal comma.
	send := url.Values{"end_to_end_id": {"W-" + stamp}, "payee_bic": {b.bic}, "amount": {"2500,75"}, "currency": {"KZT"}, "payee_currency": {"KZT"},
		"remittance": {"Invoice 42"}}
	r = bank.post(t, "/settlement/instructions?lang=ru", send)
	if r.status != 303 {
		t.Fatalf("submit: %d %s", r.status, excerpt(r.body))
	}
	wantIn(t, bank.follow(t, r), 200, "W-"+stamp, "2,500.75")
	send.Set("amount", "2500.75")
	r = bank.post(t, "/settlement/instructions", send)
	wantIn(t, bank.follow(t, r), 200, "had already been submitted", `id="queue"`, "Outgoing")
	send.Set("amount", "9")
	r = bank.post(t, "/settlement/instructions", send)
	wantIn(t, r, 409, "already used by another instruction")
	// A pacs.008 file through the upload form.
	doc := pacs008For(t, "UP/"+stamp, a.bic, iso20022.PaymentInstruction{EndToEndID: "UP/" + stamp, Amount: kzt(99_00), CreditorAgentBIC: b.bic})
	r = bank.upload(t, "/settlement/pacs008", "batch.xml", doc)
	wantIn(t, bank.follow(t, r), 200, "Imported 1 new instruction; 0 already known.", "UP/"+stamp)
	// Cancel through the page; another bank cannot.
	volga := f.browser(t, "treasury@volgabank.ru")
	r = volga.post(t, "/settlement/instructions/"+url.PathEscape("UP/"+stamp)+"/cancel", url.Values{})
	if r.status != 404 {
		t.Fatalf("another bank cancelled: %d %s", r.status, excerpt(r.body))
	}
	r = bank.post(t, "/settlement/instructions/"+url.PathEscape("UP/"+stamp)+"/cancel", url.Values{})
	wantIn(t, bank.follow(t, r), 200, "Instruction UP/"+stamp+" is cancelled.", `action="/settlement/instructions/`+url.PathEscape("W-"+stamp)+`/cancel"`)

	// The centre: participants, the admission form, running a cycle.
	r = adm.get(t, "/settlement")
	wantIn(t, r, 200, `id="run-form"`, "Run cycle now", `id="participants"`, a.bic, `id="admit-form"`, "W-"+stamp)
	before = f.auditCount(t)
	r = adm.post(t, "/settlement/participants", url.Values{"org_id": {f.orgs["Kazakh Grain Export"].ID}, "bic": {"bad"}, "credit_currency": {"KZT"}, "credit_amount": {"x"}, "active": {"1"}})
	wantIn(t, r, 400, "Choose a bank.", "Enter a BIC", "Enter zero or a positive amount")
	r = adm.post(t, "/settlement/participants", url.Values{"org_id": {""}, "bic": {"CERRBRSP"}})
	wantIn(t, r, 400, "Choose a bank.")
	// An unknown organisation answers like the API: a field error on the
	// bank (settlement.Service.RegisterParticipant looks it up for both).
	r = adm.post(t, "/settlement/participants", url.Values{"org_id": {"no-such-org"}, "bic": {"CERRBRSP"}})
	wantIn(t, r, 400, "Choose a bank.")
	if f.auditCount(t) != before {
		t.Fatal("a refused admission wrote something")
	}
	if r := bank.post(t, "/settlement/cycles", url.Values{}); r.status != 403 {
		t.Fatalf("a bank ran a cycle from the page: %d", r.status)
	}
	r = adm.post(t, "/settlement/cycles", url.Values{})
	if r.status != 303 {
		t.Fatalf("run: %d %s", r.status, excerpt(r.body))
	}
	loc := r.header.Get("Location")
	page := adm.follow(t, r)
	wantIn(t, page, 200, "has settled", "Payments settled → settlement transfers", "Liquidity saving", "chart--bar", `id="positions"`, "No payment in this cycle changed currency.",
		"report.csv", "/pacs009", "Via USD correspondents", a.bic, "−2,500.75",
		// One payment needs two transfers: shown as such, not as a reduction.
		"no fewer transfers than payments",
		// The cost saving comes with its range and its sourced assumptions.
		`id="cost-saving-range"`, `id="cost-assumptions"`, "Assumptions and sources (model 2026-12)",
		"Kyrgyz Investment and Credit Bank (KICB)", `href="https://kicb.net/en/private/documents/tarrifs_010120026/"`,
		"No public source; assumed 0.50%.", "FX margin per conversion, CNY/USD")
	if strings.Contains(string(page.body), " ms<") || strings.Contains(string(page.body), "Netting time") {
		t.Error("the cycle page shows developer timings")
	}
	wantIn(t, adm.get(t, strings.Split(loc, "?")[0]+"?lang=ru"), 200, "Допущения и источники (модель 2026-12)", "Публичного источника нет; принято 0,50%.")
	r = adm.post(t, "/settlement/cycles", url.Values{})
	wantIn(t, r, 409, "No instructions are queued")

	// The bank sees the report and the history, in every language.
	number := strings.TrimPrefix(strings.Split(loc, "?")[0], "/settlement/cycles/")
	wantIn(t, bank.get(t, "/settlement/cycles/"+number), 200, "Clearing cycle #"+number, `id="currencies"`, "No instruction of yours was deferred.")
	wantIn(t, bank.get(t, "/settlement"), 200, `id="cycles"`, `href="/settlement/cycles/`+number+`"`, "chart--bar", "camt.053 · KZT")
	wantIn(t, bank.get(t, "/settlement/cycles/"+number+"?lang=ru"), 200, "Клиринговый цикл № "+number, "Чистые позиции")
	wantIn(t, bank.get(t, "/settlement?lang=zh"), 200, "本币结算")
	wantIn(t, bank.get(t, "/settlement?lang=kk"), 200, "Ұлттық валюталардағы есеп айырысу")
	wantIn(t, bank.get(t, "/settlement?lang=pt"), 200, "Liquidação em moedas locais")
	if r := trader.get(t, "/settlement/cycles/"+number); r.status != 403 {
		t.Fatalf("a trader read a cycle page: %d", r.status)
	}
	if r := bank.get(t, "/settlement/cycles/99999"); r.status != 404 {
		t.Fatalf("missing cycle: %d", r.status)
	}
	// The zone links to the page.
	wantIn(t, bank.get(t, "/"), 200, `href="/settlement"`)
}

// Every key the settlement pages build from a domain value exists in every
// language (the template test only sees literal keys).
func TestSettlementCatalogueKeys(t *testing.T) {
	cs, err := ui.LoadCatalogs()
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range ui.Languages {
		for _, k := range ui.SettlementKeys() {
			if v := cs[l.Code][k]; strings.TrimSpace(v) == "" {
				t.Errorf("%s: missing %q", l.Code, k)
			}
		}
	}
}
