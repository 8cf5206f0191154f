package dutyledger

import (
	"context"
	"errors"
	"path/filepath"
	"testing"

	"bricstown/internal/audit"
	"bricstown/internal/customs"
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

func TestRefundDuties(t *testing.T) {
	ctx := context.Background()
	db, err := sqlstore.Open(ctx, filepath.Join(t.TempDir(), "r.db"), nil)
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
	issuer, trader, spare, thief := uuid.Must(uuid.NewV7()), uuid.Must(uuid.NewV7()), uuid.Must(uuid.NewV7()), uuid.Must(uuid.NewV7())
	if err := db.CreateAccounts(ctx, []ledger.Account{
		{ID: issuer, OrgID: "bank", Currency: "KZT", Kind: ledger.Liability, Code: "issuance", Flags: ledger.Issuer | ledger.System, Limit: ledger.Unlimited},
		{ID: trader, OrgID: "firm", Currency: "KZT", Kind: ledger.Liability, Code: "operating", Flags: ledger.DebitsMustNotExceedCredits},
		{ID: spare, OrgID: "firm", Currency: "KZT", Kind: ledger.Liability, Code: "spare", Flags: ledger.DebitsMustNotExceedCredits},
		{ID: thief, OrgID: "firm", Currency: "KZT", Kind: ledger.Liability, Code: "elsewhere", Flags: ledger.DebitsMustNotExceedCredits},
	}, audit.Record{ActorUser: "test"}); err != nil {
		t.Fatal(err)
	}
	for _, a := range []uuid.UUID{trader, spare} {
		if res, err := db.CreateTransfers(ctx, []ledger.Transfer{{ID: uuid.Must(uuid.NewV7()), DebitAccount: issuer, CreditAccount: a, Amount: 1_000_00}}, ledger.BatchOptions{}); err != nil || res[0].Code != ledger.OK {
			t.Fatal(res, err)
		}
	}
	pay := Payments{Ledger: led, Authority: func(context.Context) (string, error) { return "customs", nil }}
	p := &identity.Principal{UserID: "u", OrgID: "firm", Roles: []identity.Role{identity.Trader}}
	ref, err := pay.PayDuties(ctx, p, "decl-1", 400_00, trader.String())
	if err != nil {
		t.Fatal(err)
	}
	bal := func(id uuid.UUID) int64 {
		a, err := db.GetAccount(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		return a.Balance()
	}
	leg := customs.RefundLeg{Source: customs.RefundOfPayment, Reference: ref, FromAccountID: trader.String(), AmountKZT: 400_00}
	// A record that names another account or amount than the ledger's
	// transfer is refused: the ledger's record decides.
	for _, bad := range []customs.RefundLeg{
		{Source: customs.RefundOfPayment, Reference: ref, FromAccountID: thief.String(), AmountKZT: 400_00},
		{Source: customs.RefundOfPayment, Reference: ref, FromAccountID: trader.String(), AmountKZT: 900_00},
		{Source: customs.RefundOfPayment, Reference: uuid.NewString(), FromAccountID: trader.String(), AmountKZT: 400_00},
		{Source: customs.RefundOfPayment, Reference: "not-an-id", FromAccountID: trader.String(), AmountKZT: 400_00},
	} {
		if _, err := pay.RefundDuties(ctx, "decl-1", "firm", []customs.RefundLeg{bad}); !problem.Is(err, problem.Conflict) {
			t.Errorf("refund of %+v: %v", bad, err)
		}
	}
	// A payment by another org's id space is not found either.
	if _, err := pay.RefundDuties(ctx, "decl-1", "stranger", []customs.RefundLeg{leg}); !problem.Is(err, problem.Conflict) {
		t.Errorf("refund scoped to another org: %v", err)
	}
	if bal(thief) != 0 || bal(trader) != 600_00 {
		t.Fatalf("refused refunds moved money: thief %d trader %d", bal(thief), bal(trader))
	}
	for range 3 {
		trs, err := pay.RefundDuties(ctx, "decl-1", "firm", []customs.RefundLeg{leg})
		if err != nil || len(trs) != 1 || trs[0].TransferID != RefundID("decl-1", customs.RefundOfPayment).String() || trs[0].ToAccountID != trader.String() {
			t.Fatalf("refund: %+v %v", trs, err)
		}
	}
	rev, _ := pay.Revenue(ctx)
	if bal(trader) != 1_000_00 || rev.Balance() != 0 {
		t.Fatalf("after three refunds: trader %d revenue %d: paid back once expected", bal(trader), rev.Balance())
	}
	if RefundID("decl-1", customs.RefundOfPayment).Version() != 5 || RefundID("decl-1", customs.RefundOfGuarantee) == RefundID("decl-1", customs.RefundOfPayment) {
		t.Fatal("refund ids must be distinct version-5 UUIDs")
	}
	// The payer closed the account: refused with the ledger's code, nothing moves.
	ref2, err := pay.PayDuties(ctx, p, "decl-2", 1_000_00, spare.String())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := led.CloseAccount(ctx, p, spare.String()); err != nil {
		t.Fatal(err)
	}
	_, err = pay.RefundDuties(ctx, "decl-2", "firm", []customs.RefundLeg{{Source: customs.RefundOfPayment, Reference: ref2, FromAccountID: spare.String(), AmountKZT: 1_000_00}})
	var pe *problem.Error
	if !errors.As(err, &pe) || pe.Code != problem.Conflict || pe.Fields["refund"] != string(ledger.CreditAccountClosed) {
		t.Fatalf("refund to a closed account: %v", err)
	}
	if rev, _ := pay.Revenue(ctx); rev.Balance() != 1_000_00 {
		t.Fatalf("revenue %d after a refused refund", rev.Balance())
	}
}
