package sqlstore

import (
	"context"
	"fmt"
	"testing"
	"time"

	"bricstown/internal/audit"
	"bricstown/internal/identity"
	"bricstown/internal/ledger"
	"bricstown/internal/money"
	"bricstown/internal/problem"
	"bricstown/internal/settlement"
)

type settlementWorld struct {
	db      *DB
	svc     *settlement.Service
	led     *ledger.Service
	banks   []identity.Org
	centre  identity.Org
	acct    map[string]ledger.ID // "bank/ccy"
	cancel  context.CancelFunc
	clockAt time.Time
}

func exp(c string) (int, bool) {
	switch c {
	case "KZT", "CNY", "RUB", "USD":
		return 2, true
	}
	return 0, false
}

func newSettlementWorld(t *testing.T, db *DB) *settlementWorld {
	ctx := context.Background()
	w := &settlementWorld{db: db, acct: map[string]ledger.ID{}, clockAt: time.Date(2026, 3, 16, 10, 0, 0, 0, time.UTC)}
	mkOrg := func(name, reg string) identity.Org {
		o := identity.Org{ID: "org-" + name, Name: name, Kind: identity.KindBank, Country: "KZ", RegScheme: "REG", RegID: reg, CreatedAt: time.Now()}
		if err := db.CreateOrg(ctx, o, audit.Record{ActorUser: "test", Action: "org.create"}); err != nil {
			t.Fatal(err)
		}
		return o
	}
	w.centre = mkOrg("centre", "C1")
	for i, n := range []string{"alpha", "beta", "gamma"} {
		w.banks = append(w.banks, mkOrg(n, fmt.Sprint("B", i)))
	}
	lctx, cancel := context.WithCancel(context.Background())
	w.cancel = cancel
	t.Cleanup(cancel)
	w.led = ledger.NewService(db, ledger.Config{Exponent: exp, CentreOrg: func(context.Context) (string, error) { return w.centre.ID, nil }})
	go w.led.Run(lctx)
	usd := map[string]money.Rate{}
	_ = usd
	w.svc = settlement.NewService(db, settlement.Config{Ledger: w.led, Exponent: exp, Now: func() time.Time { return w.clockAt },
		CentreOrg: func(context.Context) (string, error) { return w.centre.ID, nil },
		Rates: func(context.Context) (func(a, b string) (money.Rate, bool), error) {
			return func(a, b string) (money.Rate, bool) {
				// 1 CNY = 70 KZT, fixed for the test.
				switch a + b {
				case "CNYKZT":
					r, _ := money.ParseRate("70")
					return r, true
				case "KZTCNY":
					r, _ := money.ParseRate("0.014285714286")
					return r, true
				case "KZTUSD", "CNYUSD", "USDKZT", "USDCNY":
					r, _ := money.ParseRate(map[string]string{"KZTUSD": "0.002", "CNYUSD": "0.14", "USDKZT": "500", "USDCNY": "7"}[a+b])
					return r, true
				}
				return money.Rate{}, false
			}, nil
		}})
	// Settlement accounts in KZT and CNY, funded from an issuer.
	issuer := map[string]ledger.ID{}
	var accts []ledger.Account
	for _, ccy := range []string{"KZT", "CNY"} {
		issuer[ccy] = newID()
		accts = append(accts, ledger.Account{ID: issuer[ccy], OrgID: w.centre.ID, Currency: ccy, Kind: ledger.Asset, Code: "issuance",
			Flags: ledger.Issuer | ledger.System, Limit: ledger.Unlimited})
		for _, b := range w.banks {
			id := newID()
			w.acct[b.Name+"/"+ccy] = id
			accts = append(accts, ledger.Account{ID: id, OrgID: b.ID, Currency: ccy, Kind: ledger.Liability, Code: settlement.SettlementCode})
		}
	}
	if err := db.CreateAccounts(ctx, accts, audit.Record{ActorUser: "test"}); err != nil {
		t.Fatal(err)
	}
	var funding []ledger.Transfer
	for _, b := range w.banks {
		funding = append(funding, ledger.Transfer{ID: newID(), DebitAccount: issuer["KZT"], CreditAccount: w.acct[b.Name+"/KZT"], Amount: 1000_00},
			ledger.Transfer{ID: newID(), DebitAccount: issuer["CNY"], CreditAccount: w.acct[b.Name+"/CNY"], Amount: 100_00})
	}
	if res, err := db.CreateTransfers(ctx, funding, ledger.BatchOptions{}); err != nil || res[0].Code != ledger.OK {
		t.Fatalf("funding %v %v", res, err)
	}
	for i, b := range w.banks {
		if _, err := w.svc.RegisterParticipant(ctx, nil, settlement.ParticipantInput{BIC: fmt.Sprintf("BANK%cKZK", 'A'+i),
			CreditLines: map[string]string{"KZT": "100.00"}}, b); err != nil {
			t.Fatal(err)
		}
	}
	return w
}

func (w *settlementWorld) bank(i int) *identity.Principal {
	return &identity.Principal{UserID: "u", OrgID: w.banks[i].ID, OrgKind: identity.KindBank, Roles: []identity.Role{identity.BankOperator}}
}

func (w *settlementWorld) balance(t *testing.T, bank, ccy string) int64 {
	a, err := w.db.GetAccount(context.Background(), w.acct[bank+"/"+ccy])
	if err != nil {
		t.Fatal(err)
	}
	return a.Balance()
}

func TestSettlementCycleNetsAndSettlesThroughTheLedger(t *testing.T) {
	engines(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		w := newSettlementWorld(t, db)
		pay := func(from, to int, e2e, amount, ccy, payeeCcy string) {
			t.Helper()
			res, err := w.svc.Submit(ctx, w.bank(from), []settlement.InstructionInput{{EndToEndID: e2e, PayeeBIC: fmt.Sprintf("BANK%cKZK", 'A'+to),
				Amount: amount, Currency: ccy, PayeeCurrency: payeeCcy}}, "api")
			if err != nil || res[0].Result != "ok" {
				t.Fatalf("submit %s: %v %v", e2e, res, err)
			}
		}
		// A circle of KZT payments nets to almost nothing.
		pay(0, 1, "E1", "500.00", "KZT", "")
		pay(1, 2, "E2", "450.00", "KZT", "")
		pay(2, 0, "E3", "400.00", "KZT", "")
		// Alpha pays beta 70 KZT, credited in CNY at the cycle rate (1.00 CNY).
		pay(0, 1, "E4", "70.00", "KZT", "CNY")
		// Gamma cannot afford this one even with its credit line: deferred.
		pay(2, 1, "E5", "5000.00", "KZT", "")
		// Repeating an end-to-end id is answered, not queued twice.
		if res, _ := w.svc.Submit(ctx, w.bank(0), []settlement.InstructionInput{{EndToEndID: "E1", PayeeBIC: "BANKBKZK", Amount: "500.00", Currency: "KZT"}}, "api"); res[0].Result != "exists" {
			t.Fatalf("repeat: %v", res)
		}
		if res, _ := w.svc.Submit(ctx, w.bank(0), []settlement.InstructionInput{{EndToEndID: "E1", PayeeBIC: "BANKBKZK", Amount: "501.00", Currency: "KZT"}}, "api"); res[0].Result != "exists_with_different_fields" {
			t.Fatalf("changed repeat: %v", res)
		}
		c, err := w.svc.RunCycle(ctx, audit.Record{ActorUser: "test"})
		if err != nil {
			t.Fatal(err)
		}
		r := c.Report
		if r.Instructions != 5 || r.Settled != 4 || r.Deferred != 1 || len(r.Deferrals) != 1 || r.Deferrals[0].Reason != "payer_shortfall" {
			t.Fatalf("report %+v", r)
		}
		// Net: alpha -500-70+400 = -170 KZT; beta +500-450 = +50 KZT, +1.00 CNY; gamma +450-400 = +50 KZT.
		if a, b, g := w.balance(t, "alpha", "KZT"), w.balance(t, "beta", "KZT"), w.balance(t, "gamma", "KZT"); a != 1000_00-170_00 || b != 1000_00+50_00 || g != 1000_00+50_00 {
			t.Fatalf("KZT balances %d %d %d", a, b, g)
		}
		if b := w.balance(t, "beta", "CNY"); b != 100_00+1_00 {
			t.Fatalf("beta CNY %d", b)
		}
		kzt := r.Currencies[0]
		for _, cf := range r.Currencies {
			if cf.Currency == "KZT" {
				kzt = cf
			}
		}
		if kzt.Gross != 1420_00 || kzt.SavingBps < 8000 {
			t.Fatalf("KZT figures %+v: a circle should save most liquidity", kzt)
		}
		if r.Cost.Saving <= 0 {
			t.Fatalf("cost %+v", r.Cost)
		}
		in, _ := w.svc.Instruction(ctx, w.bank(0), "E1")
		if in.Status != settlement.Settled || in.CycleNumber != 1 {
			t.Fatalf("E1 %+v", in)
		}
		in, _ = w.svc.Instruction(ctx, w.bank(2), "E5")
		if in.Status != settlement.Deferred || in.Reason != "payer_shortfall" {
			t.Fatalf("E5 %+v", in)
		}
		mustVerify(t, db)

		// Gamma receives funds; the deferred payment settles in cycle 2.
		pay(0, 2, "E6", "800.00", "KZT", "")
		pay(1, 2, "E7", "4000.00", "KZT", "")
		pay(0, 1, "E8", "1.00", "KZT", "")
		if err := w.svc.Cancel(ctx, w.bank(0), "E8"); err != nil {
			t.Fatal(err)
		}
		c2, err := w.svc.RunCycle(ctx, audit.Record{ActorUser: "test"})
		if err != nil {
			t.Fatal(err)
		}
		if c2.Number != 2 || c2.Report.Instructions != 3 {
			t.Fatalf("cycle 2 %+v", c2.Report)
		}
		in, _ = w.svc.Instruction(ctx, w.bank(2), "E5")
		if in.Status != settlement.Settled || in.CycleNumber != 2 {
			t.Fatalf("E5 after cycle 2 %+v", in)
		}
		if in, _ := w.svc.Instruction(ctx, w.bank(0), "E8"); in.Status != settlement.Cancelled {
			t.Fatalf("E8 %+v", in)
		}
		if err := w.svc.Cancel(ctx, w.bank(0), "E6"); !problem.Is(err, problem.Conflict) {
			t.Fatalf("cancelling a settled instruction: %v", err)
		}
		if _, err := w.svc.RunCycle(ctx, audit.Record{}); err != settlement.ErrNothingToSettle {
			t.Fatalf("empty cycle: %v", err)
		}
		mustVerify(t, db)
		cycles, _ := db.Cycles(ctx, 0, 10)
		if len(cycles) != 2 || cycles[0].Number != 2 {
			t.Fatalf("cycles %+v", cycles)
		}
	})
}

// The same cycle committed twice settles once; a cancellation that lands
// between computing a cycle and committing it makes the commit refuse.
func TestSettlementCommitIsIdempotentAndSeesCancellations(t *testing.T) {
	engines(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		w := newSettlementWorld(t, db)
		for i, e2e := range []string{"X1", "X2"} {
			if _, err := w.svc.Submit(ctx, w.bank(i), []settlement.InstructionInput{{EndToEndID: e2e, PayeeBIC: "BANKCKZK", Amount: "10.00", Currency: "KZT"}}, "api"); err != nil {
				t.Fatal(err)
			}
		}
		plan := func() settlement.Commit {
			var queue []*settlement.Instruction
			q, err := db.ReadQueue(ctx, func(in *settlement.Instruction) error { queue = append(queue, in); return nil })
			if err != nil {
				t.Fatal(err)
			}
			books := settlementBooks(t, w, queue)
			p, err := settlement.MakePlan(q.NextCycle, q, books, queue)
			if err != nil {
				t.Fatal(err)
			}
			return p.Commit
		}
		stale := plan()
		if err := w.svc.Cancel(ctx, w.bank(1), "X2"); err != nil {
			t.Fatal(err)
		}
		if _, err := db.CommitCycle(ctx, stale); !problem.Is(err, problem.Conflict) {
			t.Fatalf("stale commit: %v", err)
		}
		fresh := plan()
		c1, err := db.CommitCycle(ctx, fresh)
		if err != nil {
			t.Fatal(err)
		}
		c2, err := db.CommitCycle(ctx, fresh)
		if err != nil || c2.Number != c1.Number {
			t.Fatalf("second commit: %+v %v", c2, err)
		}
		if g := w.balance(t, "gamma", "KZT"); g != 1000_00+10_00 {
			t.Fatalf("gamma %d: the cycle settled twice or the cancelled one", g)
		}
		mustVerify(t, db)
	})
}

func settlementBooks(t *testing.T, w *settlementWorld, queue []*settlement.Instruction) settlement.Books {
	// Reuse the service's own assembly through a cycle-less path.
	b, err := settlement.BooksFor(context.Background(), w.svc, queue)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
