package server

import (
	"context"
	"testing"

	"bricstown/internal/audit"
	"bricstown/internal/identity"
	"bricstown/internal/ledger"

	"github.com/google/uuid"
)

// TestAttackResidentWallets: residents share one organisation, so "an
// account of the caller's organisation" would let a resident pay a
// booking from a neighbour's wallet. The engine takes a resident's money
// only from the wallet that carries the resident's own id: a neighbour's
// wallet is refused like an unknown account and keeps every tiyn, while
// the resident's own (empty) wallet passes the ownership check and is
// refused only for its balance.
func TestAttackResidentWallets(t *testing.T) {
	f := getFixture(t)
	ctx := context.Background()
	owner := f.token(t, "BRICS Town Expo Centre", identity.OrgAdmin)
	room := f.bookingResource(t, owner, "Meeting Room Shanghai")
	r := f.call(t, "POST", "/api/v1/booking/resources", owner, map[string]any{"name": "Residents' Sauna", "kind": "room", "capacity": 4,
		"slot_minutes": 60, "horizon_days": 30, "hold_minutes": 15, "public": true, "price_kzt": 500000, "account_id": room["account_id"],
		"hours": room["hours"]})
	if r.status != 201 {
		t.Fatalf("create the paid public resource: %d %s", r.status, r.body)
	}
	sauna := r.json(t)["id"].(string)

	residents := f.orgs["Town Residents"]
	users, err := f.db.ListUsers(ctx, residents.ID, identity.Page{Limit: 10})
	if err != nil || len(users) == 0 {
		t.Fatalf("residents: %v", err)
	}
	resident := f.token(t, "Town Residents", identity.Resident) // acts as users[0]
	wallet := func(code string) ledger.Account {
		return ledger.Account{ID: uuid.Must(uuid.NewV7()), OrgID: residents.ID, Currency: "KZT", Kind: ledger.Liability, Code: code,
			Name: code, Flags: ledger.DebitsMustNotExceedCredits}
	}
	own, neighbour := wallet(ledger.WalletCode(users[0].ID)), wallet(ledger.WalletCode(uuid.NewString()))
	if err := f.srv.Ledger.OpenAccounts(ctx, []ledger.Account{own, neighbour}, audit.Record{ActorUser: "test", Action: "ledger.accounts.open"}); err != nil {
		t.Fatal(err)
	}
	kge := f.kztOperating(t, apiKGE)
	res, err := f.srv.Ledger.SubmitSystem(ctx, []ledger.Transfer{{ID: uuid.Must(uuid.NewV7()), DebitAccount: kge.ID, CreditAccount: neighbour.ID,
		Amount: 1_000_000, Currency: "KZT"}}, audit.Record{ActorUser: "test", Action: "ledger.transfers"})
	if err != nil || !res[0].Code.Created() {
		t.Fatalf("fund the neighbour: %v %v", res, err)
	}

	book := func(from ledger.Account, skip int) response {
		return f.call(t, "POST", "/api/v1/booking/bookings", resident, map[string]any{"resource_id": sauna, "start": f.freeSlot(t, resident, sauna, skip),
			"key": uuid.NewString(), "pay_from": from.ID.String()})
	}
	got := book(neighbour, 0)
	if got.status != 400 || field(t, got, "pay_from") == "" {
		t.Fatalf("paying from a neighbour's wallet: %d %s, want 400 on pay_from", got.status, got.body)
	}
	if a := f.ledgerAccount(t, neighbour.ID.String()); a.Balance() != 1_000_000 || a.DebitsPending != 0 {
		t.Fatalf("the neighbour's wallet moved: balance %d pending %d", a.Balance(), a.DebitsPending)
	}
	// The resident's own wallet is the resident's: refused only because it is empty.
	got = book(own, 1)
	if got.status != 409 || field(t, got, "pay_from") != "not enough funds" {
		t.Fatalf("paying from the own empty wallet: %d %s, want 409 not enough funds", got.status, got.body)
	}
}
