package sqlstore

import (
	"context"
	"fmt"
	"math"
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
	w.svc = settlement.NewService(db, settlement.Config{Ledger: w.led, Exponent: exp, Orgs: settlement.OrgsFunc(db.GetOrg), Now: func() time.Time { return w.clockAt },
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
			CreditLines: map[string]string{"KZT": "100.00"}, OrgID: b.ID}); err != nil {
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

// The attacker's test: a hostile bank gets instructions into the queue that
// netting cannot take (a payment to itself that slipped past submission,
// amounts beyond exact int64 settlement alone and together, a conversion
// that overflows). Before exclusions any one of them refused the whole
// cycle for everyone; now the cycle settles everybody else and its report
// lists each exclusion with its reason, and the instructions stay visible.
func TestSettlementCycleExcludesHostileInstructions(t *testing.T) {
	engines(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		w := newSettlementWorld(t, db)
		ps, err := db.Participants(ctx)
		if err != nil {
			t.Fatal(err)
		}
		row := map[string]int64{}
		for _, p := range ps {
			row[p.OrgID] = p.Row
		}
		honest := []settlement.InstructionInput{{EndToEndID: "H1", PayeeBIC: "BANKBKZK", Amount: "100.00", Currency: "KZT"}}
		if _, err := w.svc.Submit(ctx, w.bank(0), honest, "api"); err != nil {
			t.Fatal(err)
		}
		// Submission refuses a payment to oneself in the same currency...
		_, err = w.svc.Submit(ctx, w.bank(2), []settlement.InstructionInput{{EndToEndID: "S0", PayeeBIC: "BANKCKZK", Amount: "1.00", Currency: "KZT"}}, "api")
		if pe, ok := err.(*problem.Error); !ok || pe.Code != problem.Invalid || pe.Fields["instructions[0].payee_bic"] == "" {
			t.Fatalf("self-payment at submission: %v", err)
		}
		// ...but one stored before the rule (or by any other path) must not
		// block the cycle.
		gamma := w.banks[2].ID
		bad := []settlement.Instruction{
			{EndToEndID: "SELF", PayerRow: row[gamma], PayeeRow: row[gamma], Amount: 1_00, Currency: "KZT", PayeeCurrency: "KZT"},
			{EndToEndID: "HUGE1", PayerRow: row[gamma], PayeeRow: row[w.banks[0].ID], Amount: math.MaxInt64/2 + 1, Currency: "KZT", PayeeCurrency: "KZT"},
			{EndToEndID: "HUGE2", PayerRow: row[gamma], PayeeRow: row[w.banks[0].ID], Amount: math.MaxInt64/2 + 1, Currency: "KZT", PayeeCurrency: "KZT"},
			{EndToEndID: "FXBIG", PayerRow: row[gamma], PayeeRow: row[w.banks[1].ID], Amount: math.MaxInt64 / 10, Currency: "CNY", PayeeCurrency: "KZT"},
			{EndToEndID: "SUM", PayerRow: row[gamma], PayeeRow: row[w.banks[1].ID], Amount: math.MaxInt64 / 6, Currency: "CNY", PayeeCurrency: "CNY"},
		}
		for i := range bad {
			bad[i].ValueDate, bad[i].Source, bad[i].CreatedAt = w.clockAt.UTC().Truncate(24*time.Hour), "api", w.clockAt
		}
		if _, err := db.SubmitInstructions(ctx, bad, audit.Record{ActorUser: "hostile"}); err != nil {
			t.Fatal(err)
		}
		if _, err := w.svc.Submit(ctx, w.bank(1), []settlement.InstructionInput{{EndToEndID: "H2", PayeeBIC: "BANKCKZK", Amount: "30.00", Currency: "KZT"}}, "api"); err != nil {
			t.Fatal(err)
		}
		c, err := w.svc.RunCycle(ctx, audit.Record{ActorUser: "test"})
		if err != nil {
			t.Fatalf("one hostile bank refused the cycle for everyone: %v", err)
		}
		r := c.Report
		if r.Settled != 2 || r.Excluded != 5 || r.Instructions != 7 {
			t.Fatalf("report: settled %d excluded %d of %d: %+v", r.Settled, r.Excluded, r.Instructions, r.Exclusions)
		}
		want := map[string]string{"SELF": "self_payment", "HUGE1": "amount_overflow", "HUGE2": "amount_overflow", "FXBIG": "amount_overflow", "SUM": "amount_overflow"}
		for _, x := range r.Exclusions {
			if want[x.EndToEndID] != x.Reason || x.Payer != gamma {
				t.Errorf("exclusion %+v, want reason %q and payer gamma", x, want[x.EndToEndID])
			}
			delete(want, x.EndToEndID)
		}
		if len(want) > 0 {
			t.Fatalf("exclusions missing from the report: %v", want)
		}
		if a, b, g := w.balance(t, "alpha", "KZT"), w.balance(t, "beta", "KZT"), w.balance(t, "gamma", "KZT"); a != 900_00 || b != 1070_00 || g != 1030_00 {
			t.Fatalf("balances %d %d %d", a, b, g)
		}
		in, err := w.svc.Instruction(ctx, w.bank(2), "SELF")
		if err != nil || in.Status != settlement.Excluded || in.Reason != "self_payment" || in.CycleNumber != 1 {
			t.Fatalf("excluded instruction: %+v %v", in, err)
		}
		// It stays queued and visible: the payer (or the centre) cancels it.
		if err := w.svc.Cancel(ctx, w.bank(2), "SELF"); err != nil {
			t.Fatal(err)
		}
		mustVerify(t, db)
	})
}

// The centre's hold: a held instruction is carried by every cycle until
// released; a hold (or a release) landing while a cycle computes makes its
// commit refuse, as a cancellation does; the centre cancels with a reason.
func TestSettlementHoldReleaseAndCentreCancel(t *testing.T) {
	engines(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		w := newSettlementWorld(t, db)
		var seqs []int64
		for i, e2e := range []string{"Q1", "Q2", "Q3"} {
			res, err := w.svc.Submit(ctx, w.bank(i), []settlement.InstructionInput{{EndToEndID: e2e, PayeeBIC: fmt.Sprintf("BANK%cKZK", 'A'+(i+1)%3), Amount: "10.00", Currency: "KZT"}}, "api")
			if err != nil {
				t.Fatal(err)
			}
			seqs = append(seqs, res[0].Seq)
		}
		plan := func() settlement.Commit {
			var queue []*settlement.Instruction
			q, err := db.ReadQueue(ctx, func(in *settlement.Instruction) error { queue = append(queue, in); return nil })
			if err != nil {
				t.Fatal(err)
			}
			p, err := settlement.MakePlan(q.NextCycle, q, settlementBooks(t, w, queue), queue)
			if err != nil {
				t.Fatal(err)
			}
			return p.Commit
		}
		rec := audit.Record{ActorUser: "centre-op", Action: "settlement.instruction.hold"}
		stale := plan()
		if err := db.HoldInstruction(ctx, seqs[0], "sanctions screening", rec); err != nil {
			t.Fatal(err)
		}
		if err := db.HoldInstruction(ctx, seqs[0], "again", rec); !problem.Is(err, problem.Conflict) {
			t.Fatalf("second hold: %v", err)
		}
		if err := db.HoldInstruction(ctx, 999, "none", rec); !problem.Is(err, problem.NotFound) {
			t.Fatalf("hold of an unknown instruction: %v", err)
		}
		if _, err := db.CommitCycle(ctx, stale); !problem.Is(err, problem.Conflict) {
			t.Fatalf("a cycle computed before the hold committed: %v", err)
		}
		q, err := db.ListQueue(ctx, 0, 10)
		if err != nil || len(q) != 3 || q[2].Seq != seqs[0] || q[2].Status != settlement.Held || q[2].HoldReason != "sanctions screening" {
			t.Fatalf("queue %+v %v", q, err)
		}
		c1, err := db.CommitCycle(ctx, plan())
		if err != nil {
			t.Fatal(err)
		}
		if c1.Report.Settled != 2 || c1.Report.Excluded != 1 || c1.Report.Exclusions[0].Reason != "held" {
			t.Fatalf("cycle with a hold: %+v", c1.Report)
		}
		if a := w.balance(t, "alpha", "KZT"); a != 1000_00+10_00 {
			t.Fatalf("alpha %d: the held payment moved", a)
		}
		in, _ := db.GetInstructionBySeq(ctx, seqs[0])
		if in.Status != settlement.Held {
			t.Fatalf("held after the cycle: %+v", in)
		}
		// The next cycle still carries it: nothing to settle.
		if _, err := w.svc.RunCycle(ctx, audit.Record{ActorUser: "test"}); err != settlement.ErrNothingToSettle {
			t.Fatalf("cycle over a held queue: %v", err)
		}
		stale = plan()
		if err := db.ReleaseInstruction(ctx, seqs[0], rec); err != nil {
			t.Fatal(err)
		}
		if err := db.ReleaseInstruction(ctx, seqs[0], rec); !problem.Is(err, problem.Conflict) {
			t.Fatalf("second release: %v", err)
		}
		if _, err := db.CommitCycle(ctx, stale); !problem.Is(err, problem.Conflict) {
			t.Fatalf("a cycle computed before the release committed: %v", err)
		}
		if in, _ := db.GetInstructionBySeq(ctx, seqs[0]); in.Status != settlement.Queued {
			t.Fatalf("released: %+v", in)
		}
		c2, err := w.svc.RunCycle(ctx, audit.Record{ActorUser: "test"})
		if err != nil || c2.Report.Settled != 1 {
			t.Fatalf("after release: %+v %v", c2.Report, err)
		}
		if in, _ := db.GetInstructionBySeq(ctx, seqs[0]); in.Status != settlement.Settled || in.CycleNumber != c2.Number {
			t.Fatalf("settled after release: %+v", in)
		}
		// The centre cancels a queued instruction with its reason; a settled
		// one is refused.
		res, err := w.svc.Submit(ctx, w.bank(1), []settlement.InstructionInput{{EndToEndID: "Q4", PayeeBIC: "BANKAKZK", Amount: "5.00", Currency: "KZT"}}, "api")
		if err != nil {
			t.Fatal(err)
		}
		if err := db.HoldInstruction(ctx, res[0].Seq, "check", rec); err != nil {
			t.Fatal(err)
		}
		if err := db.CancelInstructionBySeq(ctx, res[0].Seq, "duplicate of Q2", rec); err != nil {
			t.Fatal(err)
		}
		if in, _ := db.GetInstructionBySeq(ctx, res[0].Seq); in.Status != settlement.Cancelled || in.CancelReason != "duplicate of Q2" || in.Held {
			t.Fatalf("cancelled by the centre: %+v", in)
		}
		if err := db.CancelInstructionBySeq(ctx, seqs[1], "late", rec); !problem.Is(err, problem.Conflict) {
			t.Fatalf("cancel of a settled instruction: %v", err)
		}
		if q, _ := db.ListQueue(ctx, 0, 10); len(q) != 0 {
			t.Fatalf("queue after all: %+v", q)
		}
		mustVerify(t, db)
	})
}
