package server

import (
	"context"
	"strings"
	"testing"
	"time"

	"bricstown/internal/identity"
	"bricstown/internal/ledger"

	"github.com/google/uuid"
)

const apiBank = "Steppe Commercial Bank"

// heldGuarantee is the id of the active guarantee with the most left that
// tok's organisation holds (the demo bank issued one to every declarant).
func (f *fixture) heldGuarantee(t *testing.T, tok string) string {
	t.Helper()
	r := f.call(t, "GET", "/api/v1/guarantees?limit=200", tok, nil)
	if r.status != 200 {
		t.Fatalf("guarantees: %d %s", r.status, r.body)
	}
	best, left := "", -1.0
	for _, it := range r.json(t)["items"].([]any) {
		g := it.(map[string]any)
		if g["status"] == "active" && g["remaining_kzt"].(float64) > left {
			best, left = g["id"].(string), g["remaining_kzt"].(float64)
		}
	}
	if best == "" {
		t.Fatalf("no active guarantee held: %s", r.body)
	}
	return best
}

func (f *fixture) guaranteeRemaining(t *testing.T, tok, id string) int64 {
	t.Helper()
	r := f.call(t, "GET", "/api/v1/guarantees/"+id, tok, nil)
	if r.status != 200 {
		t.Fatalf("guarantee %s: %d %s", id, r.status, r.body)
	}
	return int64(r.json(t)["remaining_kzt"].(float64))
}

func (f *fixture) ledgerAccount(t *testing.T, id string) ledger.Account {
	t.Helper()
	a, err := f.db.GetAccount(context.Background(), uuid.MustParse(id))
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// The attacks of issue 8, item 4: a declarant records a "guarantee" of its
// own making, or another organisation's, or an absurd amount; a trader or
// a bank without funds issues one. None may cover duties, and no money may
// move.
func TestAPIGuaranteeAttacks(t *testing.T) {
	f := getFixture(t)
	ctx := context.Background()
	trader := f.token(t, apiKGE, identity.Trader)
	rivalTrader := f.token(t, apiSZD, identity.Trader)
	bank := f.token(t, apiBank, identity.BankOperator)
	poorBank := f.token(t, "Volga Trade Bank", identity.BankOperator)
	kge := f.orgs[apiKGE].ID
	cover, err := f.db.AccountByCode(ctx, f.orgs[apiBank].ID, "KZT", "guarantee_cover")
	if err != nil {
		t.Fatal(err)
	}
	count := func() int { return f.apiCount(t, "guarantees") }
	n := count()
	issue := func(tok string, body map[string]any) response {
		return f.call(t, "POST", "/api/v1/guarantees", tok, body)
	}
	valid := time.Now().Add(90 * 24 * time.Hour).Format(time.DateOnly)
	body := func(acct string, amount any) map[string]any {
		return map[string]any{"reference": "STB-T-1", "principal_org": kge, "backing_account_id": acct, "amount_kzt": amount, "valid_until": valid}
	}

	// A trader cannot issue a guarantee, even naming the bank's account.
	if r := issue(trader, body(cover.ID.String(), 1_000_00)); r.status != 403 {
		t.Fatalf("trader issues: %d %s", r.status, r.body)
	}
	// The largest int64 is refused with the field named.
	if r := issue(bank, body(cover.ID.String(), int64(9223372036854775807))); r.status != 400 || !strings.Contains(string(r.body), "amount_kzt") {
		t.Fatalf("max int64: %d %s", r.status, r.body)
	}
	// A bank without the funds cannot issue.
	empty := f.openAccount(t, poorBank, "KZT", true)
	if r := issue(poorBank, body(empty, 1_000_00)); r.status != 409 || !strings.Contains(string(r.body), "backing_account_id") {
		t.Fatalf("bank without funds: %d %s", r.status, r.body)
	}
	// Nor from an account that can go below zero (money out of thin air).
	overdraft := f.openAccount(t, poorBank, "KZT", false)
	if r := issue(poorBank, body(overdraft, 1_000_00)); r.status != 400 || !strings.Contains(string(r.body), "backing_account_id") {
		t.Fatalf("overdraft account: %d %s", r.status, r.body)
	}
	// Nor from another bank's account.
	if r := issue(poorBank, body(cover.ID.String(), 1_000_00)); r.status != 400 {
		t.Fatalf("another bank's account: %d %s", r.status, r.body)
	}
	if count() != n {
		t.Fatal("a refused guarantee was recorded")
	}
	if a := f.ledgerAccount(t, empty); a.DebitsPending != 0 || a.DebitsPosted != 0 {
		t.Fatalf("the poor bank's account moved: %+v", a)
	}
	if a := f.ledgerAccount(t, cover.ID.String()); a.DebitsPending != cover.DebitsPending || a.Balance() != cover.Balance() {
		t.Fatalf("the cover moved: %+v", a)
	}

	// A declaration on the green lane stays unreleased until a real draw.
	d := f.apiGreenDeclaration(t, trader, "Kazakh Grain Export")
	id := d["id"].(string)
	due := int64(d["assessment"].(map[string]any)["total_kzt"].(float64))
	if d["status"] != "assessed" || due <= 0 {
		t.Fatalf("green: %v", d)
	}
	revenue := f.apiRevenueBalance(t)
	// The old body (a made-up reference and amount) is refused outright.
	if r := f.call(t, "POST", apiDecls+"/"+id+"/guarantee", trader, map[string]any{"reference": "BG-FAKE", "amount_kzt": int64(9223372036854775807)}); r.status != 400 {
		t.Fatalf("made-up guarantee: %d %s", r.status, r.body)
	}
	// A made-up id, and another organisation's real guarantee, are unknown.
	rival := f.heldGuarantee(t, rivalTrader)
	rivalLeft := f.guaranteeRemaining(t, rivalTrader, rival)
	for _, g := range []string{v7(), rival, "BG-1"} {
		if r := f.call(t, "POST", apiDecls+"/"+id+"/guarantee", trader, map[string]any{"guarantee_id": g}); r.status != 404 || !strings.Contains(string(r.body), "guarantee_id") {
			t.Fatalf("guarantee %s: %d %s", g, r.status, r.body)
		}
	}
	if r := f.call(t, "GET", "/api/v1/guarantees/"+rival, trader, nil); r.status != 404 {
		t.Fatalf("another org's guarantee is visible: %d", r.status)
	}
	if got := f.apiDecl(t, trader, id); got["status"] != "assessed" || got["guarantee"] != nil {
		t.Fatalf("after refused guarantees: %v", got)
	}
	if f.apiRevenueBalance(t) != revenue || f.guaranteeRemaining(t, rivalTrader, rival) != rivalLeft {
		t.Fatal("money moved on a refused guarantee")
	}

	// The bank issues a real one; the money is reserved, not moved.
	r := issue(bank, body(cover.ID.String(), due+1_00))
	if r.status != 201 {
		t.Fatalf("issue: %d %s", r.status, r.body)
	}
	g := r.json(t)
	gid := g["id"].(string)
	if g["status"] != "active" || g["remaining_kzt"] != float64(due+1_00) || g["hold_transfer_id"] == "" {
		t.Fatalf("issued %v", g)
	}
	if a := f.ledgerAccount(t, cover.ID.String()); a.DebitsPending != cover.DebitsPending+due+1_00 || a.Balance() != cover.Balance() {
		t.Fatalf("reserve: %+v", a)
	}
	// Another declarant cannot use it, even knowing the id.
	dr := f.apiGreenDeclaration(t, rivalTrader, "Almaty Metals")
	if r := f.call(t, "POST", apiDecls+"/"+dr["id"].(string)+"/guarantee", rivalTrader, map[string]any{"guarantee_id": gid}); r.status != 404 {
		t.Fatalf("a stranger draws: %d %s", r.status, r.body)
	}
	// The principal draws: released, the revenue grows by the duties, the
	// guarantee shrinks by them, the bank's balance pays them.
	got := f.apiPost(t, apiDecls+"/"+id+"/guarantee", trader, map[string]any{"guarantee_id": gid}, 200)
	gt := got["guarantee"].(map[string]any)
	if got["status"] != "released" || gt["guarantee_id"] != gid || gt["draw_transfer_id"] == "" || gt["amount_kzt"] != float64(due) {
		t.Fatalf("after the draw: %v", got)
	}
	if f.apiRevenueBalance(t) != revenue+due || f.guaranteeRemaining(t, bank, gid) != 1_00 {
		t.Fatal("the draw did not move the duties")
	}
	if a := f.ledgerAccount(t, cover.ID.String()); a.Balance() != cover.Balance()-due || a.DebitsPending != cover.DebitsPending+1_00 {
		t.Fatalf("cover after the draw: %+v", a)
	}
	// Drawing again for the same declaration is refused (already covered).
	if r := f.call(t, "POST", apiDecls+"/"+id+"/guarantee", trader, map[string]any{"guarantee_id": gid}); r.status != 409 {
		t.Fatalf("second draw: %d", r.status)
	}

	// Only the issuing bank releases the remainder.
	if r := f.call(t, "POST", "/api/v1/guarantees/"+gid+"/cancel", trader, nil); r.status != 403 {
		t.Fatalf("trader cancels: %d", r.status)
	}
	if r := f.call(t, "POST", "/api/v1/guarantees/"+gid+"/cancel", poorBank, nil); r.status != 404 {
		t.Fatalf("another bank cancels: %d", r.status)
	}
	c := f.apiPost(t, "/api/v1/guarantees/"+gid+"/cancel", bank, nil, 200)
	if c["status"] != "cancelled" || c["remaining_kzt"] != float64(0) {
		t.Fatalf("cancelled %v", c)
	}
	if a := f.ledgerAccount(t, cover.ID.String()); a.DebitsPending != cover.DebitsPending || a.Balance() != cover.Balance()-due {
		t.Fatalf("cover after release: %+v", a)
	}
	full := f.call(t, "GET", "/api/v1/guarantees/"+gid, bank, nil).json(t)
	if moves := full["moves"].([]any); len(moves) != 2 || moves[0].(map[string]any)["kind"] != "draw" || moves[1].(map[string]any)["kind"] != "void" {
		t.Fatalf("moves %v", full["moves"])
	}
	// The bank lists what it issued; the poor bank lists nothing of it.
	if r := f.call(t, "GET", "/api/v1/guarantees?limit=200", poorBank, nil); strings.Contains(string(r.body), gid) {
		t.Fatal("another bank lists the guarantee")
	}
	if r := f.call(t, "GET", "/api/v1/guarantees?limit=200", bank, nil); !strings.Contains(string(r.body), gid) {
		t.Fatal("the bank does not list its guarantee")
	}
}
