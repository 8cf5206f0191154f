package sqlstore

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"bricstown/internal/audit"
	"bricstown/internal/guarantee"
	"bricstown/internal/identity"
	"bricstown/internal/ledger"
	"bricstown/internal/problem"

	"github.com/google/uuid"
)

// guaranteeWorld is a bank with 1 000 000 KZT, a bank with nothing, two
// declarants and the customs authority, on one ledger, with one clock for
// the ledger and the guarantees.
type guaranteeWorld struct {
	db                         *DB
	store                      *faultyGuarantees
	svc                        *guarantee.Service
	led                        *ledger.Service
	mu                         sync.Mutex
	now                        time.Time
	funds, poorFunds, open     ledger.ID
	rivalFunds, revenue, asset ledger.ID
	bank, poor, rival          *identity.Principal
	acme, other                *identity.Principal
}

// faultyGuarantees is the real store with one injected failure: the
// process "stops" after the ledger moved and before the move is recorded.
type faultyGuarantees struct {
	*DB
	failComplete int
}

func (f *faultyGuarantees) CompleteGuaranteeMove(ctx context.Context, m guarantee.Move, at time.Time, rec audit.Record) error {
	if f.failComplete > 0 {
		f.failComplete--
		return errors.New("crash")
	}
	return f.DB.CompleteGuaranteeMove(ctx, m, at, rec)
}

func (w *guaranteeWorld) clock() time.Time {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.now
}

func (w *guaranteeWorld) advance(d time.Duration) {
	w.mu.Lock()
	w.now = w.now.Add(d)
	w.mu.Unlock()
}

func newGuaranteeWorld(t *testing.T, db *DB) *guaranteeWorld {
	ctx := context.Background()
	w := &guaranteeWorld{db: db, store: &faultyGuarantees{DB: db}, now: time.Now().UTC().Truncate(time.Second)}
	kinds := map[string]identity.OrgKind{"g-bank": identity.KindBank, "g-poor": identity.KindBank, "g-rivalbank": identity.KindBank,
		"g-acme": identity.KindCompany, "g-other": identity.KindCompany, "g-customs": identity.KindCustomsAuthority, "g-centre": identity.KindTownAdministration}
	n := 0
	for id, k := range kinds {
		n++
		o := identity.Org{ID: id, Name: id, Kind: k, Country: "KZ", RegScheme: "REG", RegID: id, CreatedAt: w.now}
		if err := db.CreateOrg(ctx, o, audit.Record{ActorUser: "test", Action: "org.create"}); err != nil {
			t.Fatal(err)
		}
	}
	w.led = ledger.NewService(db, ledger.Config{Exponent: exp, Now: w.clock, SweepEvery: time.Hour})
	lctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	go w.led.Run(lctx)
	issuer := newID()
	w.funds, w.poorFunds, w.rivalFunds, w.revenue, w.asset, w.open = newID(), newID(), newID(), newID(), newID(), newID()
	funds := func(id ledger.ID, org string) ledger.Account {
		return ledger.Account{ID: id, OrgID: org, Currency: "KZT", Kind: ledger.Liability, Code: "funds", Flags: ledger.DebitsMustNotExceedCredits}
	}
	if err := db.CreateAccounts(ctx, []ledger.Account{
		{ID: issuer, OrgID: "g-centre", Currency: "KZT", Kind: ledger.Asset, Code: "issuance", Flags: ledger.Issuer | ledger.System, Limit: ledger.Unlimited},
		funds(w.funds, "g-bank"), funds(w.poorFunds, "g-poor"), funds(w.rivalFunds, "g-rivalbank"),
		{ID: w.open, OrgID: "g-bank", Currency: "KZT", Kind: ledger.Liability, Code: "unlimited"},
		{ID: w.asset, OrgID: "g-bank", Currency: "KZT", Kind: ledger.Asset, Code: "vault"},
		{ID: w.revenue, OrgID: "g-customs", Currency: "KZT", Kind: ledger.Revenue, Code: "customs_revenue"},
	}, audit.Record{ActorUser: "test"}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.CreateTransfers(ctx, []ledger.Transfer{
		{ID: newID(), DebitAccount: issuer, CreditAccount: w.funds, Amount: 1_000_000_00, Currency: "KZT"},
		{ID: newID(), DebitAccount: issuer, CreditAccount: w.rivalFunds, Amount: 1_000_000_00, Currency: "KZT"},
	}, ledger.BatchOptions{Now: w.now}); err != nil {
		t.Fatal(err)
	}
	w.svc = guarantee.NewService(w.store, guarantee.Config{Ledger: w.led, Now: w.clock,
		Revenue: func(ctx context.Context) (ledger.Account, error) { return db.GetAccount(ctx, w.revenue) },
		OrgKind: func(ctx context.Context, org string) (identity.OrgKind, error) {
			o, err := db.GetOrg(ctx, org)
			return o.Kind, err
		}})
	pr := func(org string, kind identity.OrgKind, r identity.Role) *identity.Principal {
		return &identity.Principal{UserID: "u-" + org, OrgID: org, OrgKind: kind, Roles: []identity.Role{r}}
	}
	w.bank, w.poor, w.rival = pr("g-bank", identity.KindBank, identity.BankOperator), pr("g-poor", identity.KindBank, identity.BankOperator),
		pr("g-rivalbank", identity.KindBank, identity.BankOperator)
	w.acme, w.other = pr("g-acme", identity.KindCompany, identity.Trader), pr("g-other", identity.KindCompany, identity.Trader)
	return w
}

func (w *guaranteeWorld) account(t *testing.T, id ledger.ID) ledger.Account {
	t.Helper()
	a, err := w.db.GetAccount(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// books asserts the bank's posted balance and reserve, and what customs
// received.
func (w *guaranteeWorld) books(t *testing.T, balance, reserved, revenue int64) {
	t.Helper()
	f, r := w.account(t, w.funds), w.account(t, w.revenue)
	if f.Balance() != balance || f.DebitsPending != reserved || r.Balance() != revenue || r.CreditsPending != reserved {
		t.Fatalf("bank balance %d reserved %d, revenue %d pending %d; want %d, %d, %d", f.Balance(), f.DebitsPending, r.Balance(), r.CreditsPending,
			balance, reserved, revenue)
	}
}

func (w *guaranteeWorld) issue(t *testing.T, amount int64, valid time.Duration) guarantee.Guarantee {
	t.Helper()
	g, err := w.svc.Issue(context.Background(), w.bank, guarantee.NewGuarantee{Reference: "BG-1", PrincipalOrg: "g-acme",
		BackingAccountID: w.funds.String(), AmountKZT: amount, ValidUntil: w.clock().Add(valid).Format(time.RFC3339)})
	if err != nil {
		t.Fatal(err)
	}
	return g
}

func mustProblem(t *testing.T, err error, code problem.Code, field string) {
	t.Helper()
	var pe *problem.Error
	if !errors.As(err, &pe) || pe.Code != code || field != "" && pe.Fields[field] == "" {
		t.Fatalf("got %v, want %s on %q", err, code, field)
	}
}

func TestGuaranteeIssueRefusals(t *testing.T) {
	engines(t, func(t *testing.T, db *DB) {
		w := newGuaranteeWorld(t, db)
		ctx := context.Background()
		in := func(amount int64, acct ledger.ID, principal string) guarantee.NewGuarantee {
			return guarantee.NewGuarantee{Reference: "BG-X", PrincipalOrg: principal, BackingAccountID: acct.String(), AmountKZT: amount, ValidUntil: w.clock().Add(24 * time.Hour).Format(time.RFC3339)}
		}
		// A trader cannot issue, even naming the bank's account.
		_, err := w.svc.Issue(ctx, w.acme, in(100_00, w.funds, "g-acme"))
		mustProblem(t, err, problem.Forbidden, "")
		// A bank user without the operator role in a bank's name cannot either.
		_, err = w.svc.Issue(ctx, &identity.Principal{UserID: "x", OrgID: "g-bank", OrgKind: identity.KindCompany, Roles: []identity.Role{identity.BankOperator}}, in(100_00, w.funds, "g-acme"))
		mustProblem(t, err, problem.Forbidden, "")
		// Absurd amounts are refused before anything moves.
		_, err = w.svc.Issue(ctx, w.bank, in(9223372036854775807, w.funds, "g-acme"))
		mustProblem(t, err, problem.Invalid, "amount_kzt")
		_, err = w.svc.Issue(ctx, w.bank, in(-5, w.funds, "g-acme"))
		mustProblem(t, err, problem.Invalid, "amount_kzt")
		// A bank without the funds cannot issue.
		_, err = w.svc.Issue(ctx, w.poor, in(1_000_00, w.poorFunds, "g-acme"))
		mustProblem(t, err, problem.Conflict, "backing_account_id")
		// More than the bank holds.
		_, err = w.svc.Issue(ctx, w.bank, in(1_000_000_01, w.funds, "g-acme"))
		mustProblem(t, err, problem.Conflict, "backing_account_id")
		// Another bank's money, an account that can go below zero, an asset.
		for _, acct := range []ledger.ID{w.rivalFunds, w.open, w.asset, w.revenue} {
			_, err = w.svc.Issue(ctx, w.bank, in(1_00, acct, "g-acme"))
			mustProblem(t, err, problem.Invalid, "backing_account_id")
		}
		// The principal must be a declarant.
		for _, org := range []string{"g-customs", "g-rivalbank", "nobody", ""} {
			_, err = w.svc.Issue(ctx, w.bank, in(1_00, w.funds, org))
			mustProblem(t, err, problem.Invalid, "principal_org")
		}
		bad := in(1_00, w.funds, "g-acme")
		bad.ValidUntil = w.clock().Add(400 * 24 * time.Hour).Format(time.RFC3339)
		_, err = w.svc.Issue(ctx, w.bank, bad)
		mustProblem(t, err, problem.Invalid, "valid_until")
		// Nothing was recorded and nothing is reserved.
		if l, err := w.svc.List(ctx, w.bank, "", 0); err != nil || len(l) != 0 {
			t.Fatalf("guarantees %v %v", l, err)
		}
		if l, _ := w.svc.List(ctx, w.poor, "", 0); len(l) != 0 {
			t.Fatalf("poor bank's guarantees %v", l)
		}
		w.books(t, 1_000_000_00, 0, 0)
		if a := w.account(t, w.poorFunds); a.DebitsPending != 0 || a.Balance() != 0 {
			t.Fatalf("poor bank %+v", a)
		}
	})
}

func TestGuaranteeDrawsAndRelease(t *testing.T) {
	engines(t, func(t *testing.T, db *DB) {
		w := newGuaranteeWorld(t, db)
		ctx := context.Background()
		g := w.issue(t, 500_000_00, 30*24*time.Hour)
		if g.Status != guarantee.Active || g.RemainingKZT != 500_000_00 || g.BeneficiaryOrg != "g-customs" {
			t.Fatalf("issued %+v", g)
		}
		w.books(t, 1_000_000_00, 500_000_00, 0)
		// The reserved money cannot be spent elsewhere.
		if a := w.account(t, w.funds); a.Available() != 500_000_00 {
			t.Fatalf("available %d", a.Available())
		}

		// Foreign and unknown ids answer the same.
		for _, p := range []*identity.Principal{w.other, w.rival, w.poor} {
			if _, _, err := w.svc.Get(ctx, p, g.ID); !problem.Is(err, problem.NotFound) {
				t.Fatalf("%s sees the guarantee: %v", p.OrgID, err)
			}
		}
		_, _, _, err := w.svc.DrawDuties(ctx, w.other, "decl-x", 1_00, g.ID)
		mustProblem(t, err, problem.NotFound, "guarantee_id")
		_, _, _, err = w.svc.DrawDuties(ctx, w.other, "decl-x", 1_00, newID().String())
		mustProblem(t, err, problem.NotFound, "guarantee_id")
		_, _, _, err = w.svc.DrawDuties(ctx, w.acme, "decl-x", 9223372036854775807, g.ID)
		mustProblem(t, err, problem.Invalid, "amount_kzt")
		w.books(t, 1_000_000_00, 500_000_00, 0)

		// A draw moves the duties and keeps the rest reserved.
		gid, ref, tr, err := w.svc.DrawDuties(ctx, w.acme, "decl-1", 120_000_00, g.ID)
		if err != nil || gid != g.ID || ref != "BG-1" || tr == "" {
			t.Fatalf("draw: %s %s %s %v", gid, ref, tr, err)
		}
		w.books(t, 880_000_00, 380_000_00, 120_000_00)
		// Asked again, it answers the same draw and moves nothing.
		if _, _, again, err := w.svc.DrawDuties(ctx, w.acme, "decl-1", 120_000_00, g.ID); err != nil || again != tr {
			t.Fatalf("retry: %s %v", again, err)
		}
		w.books(t, 880_000_00, 380_000_00, 120_000_00)
		// More than remains is refused, and nothing moves.
		_, _, _, err = w.svc.DrawDuties(ctx, w.acme, "decl-2", 380_000_01, g.ID)
		mustProblem(t, err, problem.Conflict, "guarantee_id")
		w.books(t, 880_000_00, 380_000_00, 120_000_00)

		// The process stops after the ledger drew and before the draw was
		// recorded: the retry finds the draw in the ledger, takes no more.
		w.store.failComplete = 1
		if _, _, _, err = w.svc.DrawDuties(ctx, w.acme, "decl-3", 80_000_00, g.ID); err == nil {
			t.Fatal("the injected crash did not happen")
		}
		w.books(t, 800_000_00, 300_000_00, 200_000_00)
		if _, _, tr3, err := w.svc.DrawDuties(ctx, w.acme, "decl-3", 80_000_00, g.ID); err != nil || tr3 == "" {
			t.Fatalf("retry after crash: %v", err)
		}
		w.books(t, 800_000_00, 300_000_00, 200_000_00)
		// Another declaration's draw after a crash also completes the
		// one left open first.
		w.store.failComplete = 1
		_, _, _, _ = w.svc.DrawDuties(ctx, w.acme, "decl-4", 50_000_00, g.ID)
		if _, _, _, err := w.svc.DrawDuties(ctx, w.acme, "decl-5", 50_000_00, g.ID); err != nil {
			t.Fatal(err)
		}
		w.books(t, 700_000_00, 200_000_00, 300_000_00)
		got, moves, err := w.svc.Get(ctx, w.bank, g.ID)
		if err != nil || got.RemainingKZT != 200_000_00 || got.HoldSeq != 4 || len(moves) != 4 {
			t.Fatalf("after draws: %+v %d moves %v", got, len(moves), err)
		}
		for _, m := range moves {
			if !m.Done || m.Kind != guarantee.Draw {
				t.Fatalf("move %+v", m)
			}
		}
		// The principal sees it too; customs (the beneficiary) as well.
		if l, _ := w.svc.List(ctx, w.acme, "", 0); len(l) != 1 || l[0].RemainingKZT != 200_000_00 {
			t.Fatalf("principal's list %+v", l)
		}
		if l, _ := w.svc.List(ctx, w.other, "", 0); len(l) != 0 {
			t.Fatalf("a stranger's list %+v", l)
		}

		// Only the issuing bank's operator releases the remainder.
		_, err = w.svc.Cancel(ctx, w.rival, g.ID)
		mustProblem(t, err, problem.NotFound, "")
		_, err = w.svc.Cancel(ctx, w.acme, g.ID)
		mustProblem(t, err, problem.NotFound, "")
		w.books(t, 700_000_00, 200_000_00, 300_000_00)
		c, err := w.svc.Cancel(ctx, w.bank, g.ID)
		if err != nil || c.Status != guarantee.Cancelled || c.RemainingKZT != 0 {
			t.Fatalf("cancel: %+v %v", c, err)
		}
		w.books(t, 700_000_00, 0, 300_000_00)
		_, _, _, err = w.svc.DrawDuties(ctx, w.acme, "decl-6", 1_00, g.ID)
		mustProblem(t, err, problem.Conflict, "guarantee_id")
		_, err = w.svc.Cancel(ctx, w.bank, g.ID)
		mustProblem(t, err, problem.Conflict, "")
		w.books(t, 700_000_00, 0, 300_000_00)
	})
}

func TestGuaranteeExhaustionAndExpiry(t *testing.T) {
	engines(t, func(t *testing.T, db *DB) {
		w := newGuaranteeWorld(t, db)
		ctx := context.Background()
		g := w.issue(t, 100_000_00, 30*24*time.Hour)
		if _, _, _, err := w.svc.DrawDuties(ctx, w.acme, "d-1", 100_000_00, g.ID); err != nil {
			t.Fatal(err)
		}
		w.books(t, 900_000_00, 0, 100_000_00)
		if got, _, _ := w.svc.Get(ctx, w.acme, g.ID); got.Status != guarantee.Exhausted || got.RemainingKZT != 0 {
			t.Fatalf("exhausted: %+v", got)
		}
		_, _, _, err := w.svc.DrawDuties(ctx, w.acme, "d-2", 1_00, g.ID)
		mustProblem(t, err, problem.Conflict, "guarantee_id")

		// A guarantee of two hours: after it, the ledger releases the
		// reservation and nothing can be drawn.
		short := w.issue(t, 50_000_00, 2*time.Hour)
		if _, _, _, err := w.svc.DrawDuties(ctx, w.acme, "d-3", 10_000_00, short.ID); err != nil {
			t.Fatal(err)
		}
		w.books(t, 890_000_00, 40_000_00, 110_000_00)
		w.advance(2*time.Hour + time.Second)
		if n, err := w.led.ExpirePending(ctx); err != nil || n != 1 {
			t.Fatalf("expired %d %v", n, err)
		}
		w.books(t, 890_000_00, 0, 110_000_00)
		if got, _, _ := w.svc.Get(ctx, w.bank, short.ID); got.Status != guarantee.Expired {
			t.Fatalf("status %s", got.Status)
		}
		_, _, _, err = w.svc.DrawDuties(ctx, w.acme, "d-4", 1_00, short.ID)
		mustProblem(t, err, problem.Conflict, "guarantee_id")
		_, err = w.svc.Cancel(ctx, w.bank, short.ID)
		mustProblem(t, err, problem.Conflict, "")
		w.books(t, 890_000_00, 0, 110_000_00)
	})
}

// Two declarations drawing on one guarantee at once: each draws once, the
// sum never exceeds the guarantee.
func TestGuaranteeConcurrentDraws(t *testing.T) {
	engines(t, func(t *testing.T, db *DB) {
		w := newGuaranteeWorld(t, db)
		ctx := context.Background()
		g := w.issue(t, 100_000_00, 24*time.Hour)
		var wg sync.WaitGroup
		errs := make([]error, 6)
		for i := range errs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, _, _, errs[i] = w.svc.DrawDuties(ctx, w.acme, "c-"+string(rune('a'+i)), 30_000_00, g.ID)
			}()
		}
		wg.Wait()
		ok := 0
		for _, err := range errs {
			if err == nil {
				ok++
			} else if !problem.Is(err, problem.Conflict) {
				t.Fatalf("draw: %v", err)
			}
		}
		got, moves, _ := w.svc.Get(ctx, w.bank, g.ID)
		drawn := 100_000_00 - got.RemainingKZT
		if drawn != int64(ok)*30_000_00 || ok > 3 || ok == 0 || len(moves) != ok {
			t.Fatalf("%d draws succeeded, %d drawn, %d moves", ok, drawn, len(moves))
		}
		w.books(t, 1_000_000_00-drawn, got.RemainingKZT, drawn)
	})
}

// When the reservation was resolved outside the guarantee service (the
// platform administrator, or today the bank itself, can void a pending
// transfer through the generic ledger API), a draw is refused by the
// ledger: nothing counts as drawn and nothing is recorded.
func TestGuaranteeDrawRefusedByLedger(t *testing.T) {
	engines(t, func(t *testing.T, db *DB) {
		w := newGuaranteeWorld(t, db)
		ctx := context.Background()
		g := w.issue(t, 100_000_00, 24*time.Hour)
		hold, _ := uuid.Parse(g.HoldID())
		res, err := w.led.SubmitSystem(ctx, []ledger.Transfer{{ID: newID(), PendingID: hold, Flags: ledger.VoidPending}}, audit.Record{ActorUser: "admin"})
		if err != nil || res[0].Code != ledger.OK {
			t.Fatalf("void: %v %v", res, err)
		}
		w.books(t, 1_000_000_00, 0, 0)
		_, _, _, err = w.svc.DrawDuties(ctx, w.acme, "r-1", 10_000_00, g.ID)
		mustProblem(t, err, problem.Conflict, "guarantee_id")
		w.books(t, 1_000_000_00, 0, 0)
		if _, err := db.GuaranteeDrawFor(ctx, "r-1"); !problem.Is(err, problem.NotFound) {
			t.Fatalf("a refused draw is on record: %v", err)
		}
		if got, moves, _ := w.svc.Get(ctx, w.bank, g.ID); got.RemainingKZT != 100_000_00 || got.HoldSeq != 0 || len(moves) != 0 {
			t.Fatalf("after a refused draw: %+v %v", got, moves)
		}
	})
}
