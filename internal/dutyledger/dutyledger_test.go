package dutyledger

import (
	"context"
	"path/filepath"
	"testing"

	"bricstown/internal/audit"
	"bricstown/internal/identity"
	"bricstown/internal/ledger"
	"bricstown/internal/problem"
	"bricstown/internal/refdata"
	"bricstown/internal/sqlstore"

	"github.com/google/uuid"
)

func TestPayDuties(t *testing.T) {
	ctx := context.Background()
	db, err := sqlstore.Open(ctx, filepath.Join(t.TempDir(), "d.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	led := ledger.NewService(db, ledger.Config{Exponent: refdata.Default().MoneyExponent})
	lctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go led.Run(lctx)
	trader, rev, usd, other := uuid.Must(uuid.NewV7()), uuid.Must(uuid.NewV7()), uuid.Must(uuid.NewV7()), uuid.Must(uuid.NewV7())
	issuer := uuid.Must(uuid.NewV7())
	if err := db.CreateAccounts(ctx, []ledger.Account{
		{ID: issuer, OrgID: "bank", Currency: "KZT", Kind: ledger.Liability, Code: "issuance", Flags: ledger.Issuer | ledger.System, Limit: ledger.Unlimited},
		{ID: trader, OrgID: "firm", Currency: "KZT", Kind: ledger.Liability, Code: "operating", Flags: ledger.DebitsMustNotExceedCredits},
		{ID: usd, OrgID: "firm", Currency: "USD", Kind: ledger.Liability, Code: "operating"},
		{ID: other, OrgID: "stranger", Currency: "KZT", Kind: ledger.Liability, Code: "operating"},
		// A client account of the authority with the revenue code: the
		// payment must not land in it (only the system account counts).
		{ID: rev, OrgID: "customs", Currency: "KZT", Kind: ledger.Liability, Code: RevenueCode},
	}, audit.Record{ActorUser: "test"}); err != nil {
		t.Fatal(err)
	}
	if res, err := db.CreateTransfers(ctx, []ledger.Transfer{{ID: uuid.Must(uuid.NewV7()), DebitAccount: issuer, CreditAccount: trader, Amount: 500_000_00}}, ledger.BatchOptions{}); err != nil || res[0].Code != ledger.OK {
		t.Fatal(res, err)
	}
	pay := Payments{Ledger: led, Authority: func(context.Context) (string, error) { return "customs", nil }}
	p := &identity.Principal{UserID: "u", OrgID: "firm", Roles: []identity.Role{identity.Trader}}
	ref, err := pay.PayDuties(ctx, p, "decl-1", 123_456_78, trader.String())
	if err != nil {
		t.Fatal(err)
	}
	again, err := pay.PayDuties(ctx, p, "decl-1", 123_456_78, trader.String())
	if err != nil || again != ref {
		t.Fatalf("a retried payment: %q %v, want the first payment %q", again, err, ref)
	}
	sys, err := pay.Revenue(ctx)
	if err != nil || sys.ID == rev || sys.Flags&ledger.System == 0 {
		t.Fatalf("revenue account %+v %v: want the authority's system account", sys, err)
	}
	if sys.Balance() != 123_456_78 {
		t.Fatalf("revenue %d: paid once expected", sys.Balance())
	}
	if a, _ := db.GetAccount(ctx, rev); a.Balance() != 0 {
		t.Fatalf("a client account with the revenue code received %d", a.Balance())
	}
	if _, err := pay.PayDuties(ctx, p, "decl-2", 1_00, usd.String()); !problem.Is(err, problem.Invalid) {
		t.Fatalf("USD account: %v", err)
	}
	if _, err := pay.PayDuties(ctx, p, "decl-3", 1_00, other.String()); !problem.Is(err, problem.Invalid) {
		t.Fatalf("someone else's account: %v", err)
	}
	if _, err := pay.PayDuties(ctx, p, "decl-4", 900_000_00, trader.String()); !problem.Is(err, problem.Conflict) {
		t.Fatalf("more than the balance: %v", err)
	}
	// The platform's own batches never take a client's (org-scoped) id:
	// a domain that passed one on would let that client occupy or replay
	// a platform transfer. Refused whole, nothing written.
	before, _ := db.GetAccount(ctx, trader)
	scoped := ledger.ScopedID("firm", uuid.Must(uuid.NewV7()))
	if _, err := led.SubmitSystem(ctx, []ledger.Transfer{{ID: scoped, DebitAccount: trader, CreditAccount: sys.ID, Amount: 1_00, Currency: "KZT"}},
		audit.Record{ActorUser: "test"}); err == nil {
		t.Fatal("a system batch took a client-scoped id")
	}
	if _, err := db.GetTransfer(ctx, scoped); !problem.Is(err, problem.NotFound) {
		t.Fatalf("the refused system transfer exists: %v", err)
	}
	if after, _ := db.GetAccount(ctx, trader); after.Balance() != before.Balance() {
		t.Fatalf("a refused system batch moved money: %d -> %d", before.Balance(), after.Balance())
	}
	// Nor can a client's duty payment land in the revenue account from an
	// account the authority merely names: the payer's org must own it.
	customsOfficer := &identity.Principal{UserID: "c", OrgID: "customs", Roles: []identity.Role{identity.CustomsOfficer}}
	if _, err := pay.PayDuties(ctx, customsOfficer, "decl-5", 1_00, trader.String()); !problem.Is(err, problem.Invalid) {
		t.Fatalf("the authority drew duties from a trader's account: %v", err)
	}
	if after, _ := db.GetAccount(ctx, trader); after.Balance() != before.Balance() {
		t.Fatalf("a foreign duty payment moved money: %d -> %d", before.Balance(), after.Balance())
	}
}
