package obligations_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"bricstown/internal/audit"
	"bricstown/internal/clearing"
	"bricstown/internal/identity"
	"bricstown/internal/obligations"
	"bricstown/internal/problem"
	"bricstown/internal/sqlstore"

	"github.com/google/uuid"
)

func exponent(c string) (int, bool) {
	switch c {
	case "KZT", "CNY", "RUB", "BRL":
		return 2, true
	}
	return 0, false
}

type town struct {
	db    *sqlstore.DB
	svc   *obligations.Service
	orgs  []identity.Org
	staff []*identity.Principal
	admin *identity.Principal
}

func newTown(t *testing.T, firms int, cfg obligations.Config) *town {
	t.Helper()
	ctx := context.Background()
	db, err := sqlstore.Open(ctx, filepath.Join(t.TempDir(), "t.db"), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	cfg.Exponent = exponent
	cfg.Now = func() time.Time { return time.Date(2026, 3, 16, 10, 0, 0, 0, time.UTC) }
	tw := &town{db: db, svc: obligations.NewService(db, cfg), admin: &identity.Principal{UserID: "admin", OrgID: "town", Roles: []identity.Role{identity.PlatformAdmin}}}
	for i := 0; i < firms; i++ {
		o := identity.Org{ID: uuid.Must(uuid.NewV7()).String(), Name: fmt.Sprint("Firm ", i), Kind: identity.KindCompany, Country: "KZ",
			RegScheme: "KZ-BIN", RegID: fmt.Sprintf("%012d", 1000+i), CreatedAt: time.Now()}
		if err := db.CreateOrg(ctx, o, audit.Record{ActorUser: "test", Action: "org.create"}); err != nil {
			t.Fatal(err)
		}
		tw.orgs = append(tw.orgs, o)
		tw.staff = append(tw.staff, &identity.Principal{UserID: "u" + o.ID, OrgID: o.ID, Roles: []identity.Role{identity.Trader}})
	}
	return tw
}

// seed records n random invoices among the town's firms in two
// currencies, in one batch per creditor, and confirms about four in five.
func (tw *town) seed(t *testing.T, rng *rand.Rand, n int) {
	t.Helper()
	ctx := context.Background()
	batches := map[int][]obligations.NewInvoice{}
	for i := 0; i < n; i++ {
		d := rng.IntN(len(tw.orgs))
		c := rng.IntN(len(tw.orgs) - 1)
		if c >= d {
			c++
		}
		ccy := []string{"KZT", "CNY"}[rng.IntN(2)]
		amount := fmt.Sprintf("%d.%02d", 1+rng.IntN(5000), rng.IntN(100))
		batches[c] = append(batches[c], obligations.NewInvoice{Number: fmt.Sprint("INV-", i), Debtor: tw.orgs[d].RegID, Amount: amount,
			Currency: ccy, DueDate: "2026-06-30"})
	}
	for c, b := range batches {
		out, err := tw.svc.CreateInvoices(ctx, tw.staff[c], b, obligations.SourceAPI)
		if err != nil {
			t.Fatal(err)
		}
		for _, x := range out {
			if rng.IntN(5) == 0 {
				continue
			}
			debtor := -1
			for j, o := range tw.orgs {
				if o.ID == x.Invoice.DebtorOrg {
					debtor = j
				}
			}
			if _, _, err := tw.svc.Confirm(ctx, tw.staff[debtor], x.Invoice.ID); err != nil {
				t.Fatal(err)
			}
		}
	}
}

func (tw *town) all(t *testing.T) map[string]obligations.Invoice {
	t.Helper()
	out := map[string]obligations.Invoice{}
	before := ""
	for {
		page, err := tw.db.ListInvoices(context.Background(), obligations.Filter{Before: before, Limit: 1000})
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range page {
			out[v.ID] = v
		}
		if len(page) < 1000 {
			return out
		}
		before = page[len(page)-1].ID
	}
}

// netPositions is receivables minus payables per currency and firm.
func netPositions(invs map[string]obligations.Invoice) map[string]int64 {
	net := map[string]int64{}
	for _, v := range invs {
		net[v.Currency+"/"+v.CreditorOrg] += v.Outstanding
		net[v.Currency+"/"+v.DebtorOrg] -= v.Outstanding
	}
	return net
}

// network builds a currency's confirmed network with its own firm
// numbering (by org id, not the service's order of appearance).
func network(invs map[string]obligations.Invoice, ccy string) (n int, ids []string, obs []clearing.Obligation) {
	firm := map[string]int32{}
	idx := func(org string) int32 {
		if f, ok := firm[org]; ok {
			return f
		}
		firm[org] = int32(len(firm))
		return firm[org]
	}
	for id, v := range invs {
		if v.Currency != ccy || !v.Confirmed() || v.Outstanding == 0 {
			continue
		}
		ids = append(ids, id)
		obs = append(obs, clearing.Obligation{Debtor: idx(v.DebtorOrg), Creditor: idx(v.CreditorOrg), Amount: v.Outstanding})
	}
	return len(firm), ids, obs
}

// TestObligationRunPreservesNetPositionsAndIsOptimal proves on random towns that a
// run (1) leaves every firm's net position in every currency unchanged,
// (2) sets off exactly the solver's optimum, recomputed independently,
// (3) leaves a residual that Bellman-Ford potentials certify optimal
// without trusting the solver's prices, (4) never touches unconfirmed
// invoices, and (5) reports set-offs, totals and firm lines that agree.
func TestObligationRunPreservesNetPositionsAndIsOptimal(t *testing.T) {
	ctx := context.Background()
	for seed := uint64(1); seed <= 4; seed++ {
		t.Run(fmt.Sprint("seed", seed), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(seed, 7))
			tw := newTown(t, 6+int(seed)*3, obligations.Config{})
			tw.seed(t, rng, 150*int(seed))
			before := tw.all(t)
			optimum := map[string]int64{}
			for _, ccy := range []string{"CNY", "KZT"} {
				n, _, obs := network(before, ccy)
				res, err := clearing.Solve(n, obs)
				if err != nil {
					t.Fatal(err)
				}
				optimum[ccy] = res.Cleared
			}

			run, err := tw.svc.Run(ctx, tw.admin)
			if err != nil {
				t.Fatal(err)
			}
			after := tw.all(t)

			netBefore, netAfter := netPositions(before), netPositions(after)
			for k, v := range netBefore {
				if netAfter[k] != v {
					t.Errorf("net position %s moved: %d -> %d", k, v, netAfter[k])
				}
			}
			cleared := map[string]int64{}
			perFirm := map[string]int64{} // ccy/org -> set off on its payables
			perFirmRecv := map[string]int64{}
			touched := 0
			for id, b := range before {
				a := after[id]
				x := b.Outstanding - a.Outstanding
				switch {
				case x < 0:
					t.Fatalf("invoice %s grew", id)
				case x > 0 && !b.Confirmed():
					t.Fatalf("unconfirmed invoice %s was cleared", id)
				case x > 0:
					touched++
					if a.LastRun != run.Number {
						t.Errorf("invoice %s: last run %d", id, a.LastRun)
					}
				}
				cleared[b.Currency] += x
				perFirm[b.Currency+"/"+b.DebtorOrg] += x
				perFirmRecv[b.Currency+"/"+b.CreditorOrg] += x
			}
			if touched != run.InvoicesTouched {
				t.Errorf("touched %d, run says %d", touched, run.InvoicesTouched)
			}
			if len(run.Currencies) != 2 {
				t.Fatalf("currencies %+v", run.Currencies)
			}
			for _, c := range run.Currencies {
				if c.Cleared != optimum[c.Currency] || cleared[c.Currency] != c.Cleared {
					t.Errorf("%s: run cleared %d, invoices show %d, the optimum is %d", c.Currency, c.Cleared, cleared[c.Currency], optimum[c.Currency])
				}
				if c.Remaining != c.TotalDebt-c.Cleared || c.Remaining < c.NetDebit || !c.Certificate.Certified {
					t.Errorf("%s figures %+v", c.Currency, c)
				}
				if optimum[c.Currency] == 0 {
					t.Errorf("%s: the random network cleared nothing; the test proves little", c.Currency)
				}
				// Independent certificate of the residual: the remaining
				// amounts with prices derived by Bellman-Ford.
				n, ids, obs := network(before, c.Currency)
				res := clearing.Result{TotalDebt: c.TotalDebt, Cleared: c.Cleared, Remaining: make([]int64, len(obs))}
				for i, id := range ids {
					res.Remaining[i] = after[id].Outstanding
				}
				if err := clearing.Certify(n, obs, res); err != nil {
					t.Errorf("%s residual not optimal: %v", c.Currency, err)
				}
			}
			for _, f := range run.Firms {
				k := f.Currency + "/" + f.OrgID
				if f.Cleared != perFirm[k] || f.Cleared != perFirmRecv[k] {
					t.Errorf("firm %s: line %d, payables set off %d, receivables set off %d", k, f.Cleared, perFirm[k], perFirmRecv[k])
				}
			}
			// Optimal means a second run has nothing left to clear.
			again, err := tw.svc.Run(ctx, tw.admin)
			if err != nil || again.InvoicesTouched != 0 {
				t.Fatalf("second run: %+v %v", again.Currencies, err)
			}
		})
	}
}

// A solver answer that does not certify is refused and nothing changes.
func TestObligationUncertifiedResultIsNotApplied(t *testing.T) {
	ctx := context.Background()
	for name, tamper := range map[string]func(*clearing.Result, []clearing.Obligation){
		// Feasible but not optimal: clear nothing at all.
		"suboptimal": func(r *clearing.Result, obs []clearing.Obligation) {
			for i := range r.Remaining {
				r.Remaining[i] = obs[i].Amount
			}
			r.Cleared = 0
			for f := range r.ClearedPerFirm {
				r.ClearedPerFirm[f] = 0
			}
		},
		// Moves a net position: one more unit off the first invoice.
		"infeasible": func(r *clearing.Result, obs []clearing.Obligation) {
			r.Remaining[0]--
			r.Cleared++
			r.ClearedPerFirm[obs[0].Debtor]++
		},
	} {
		t.Run(name, func(t *testing.T) {
			solve := func(n int, obs []clearing.Obligation) (clearing.Result, error) {
				r, err := clearing.Solve(n, obs)
				if err == nil {
					tamper(&r, obs)
				}
				return r, err
			}
			tw := newTown(t, 3, obligations.Config{Solve: solve})
			var ids []string
			for i := 0; i < 3; i++ {
				out, err := tw.svc.CreateInvoices(ctx, tw.staff[(i+1)%3], []obligations.NewInvoice{{Number: "N", Debtor: tw.orgs[i].ID,
					Amount: "10", Currency: "KZT", DueDate: "2026-06-30"}}, "")
				if err != nil {
					t.Fatal(err)
				}
				if _, _, err := tw.svc.Confirm(ctx, tw.staff[i], out[0].Invoice.ID); err != nil {
					t.Fatal(err)
				}
				ids = append(ids, out[0].Invoice.ID)
			}
			_, err := tw.svc.Run(ctx, tw.admin)
			if !errors.Is(err, obligations.ErrNotCertified) || problem.CodeOf(err) != problem.Internal {
				t.Fatalf("tampered result: %v", err)
			}
			for _, id := range ids {
				if v, _ := tw.db.GetInvoice(ctx, id); v.Outstanding != 1000 {
					t.Fatalf("an uncertified result was applied: %+v", v)
				}
			}
			if runs, _ := tw.svc.Runs(ctx, tw.admin, 0, 10); len(runs) != 0 {
				t.Fatalf("runs recorded: %+v", runs)
			}
		})
	}
}

func TestObligationCSVImportIsAllOrNothingWithLineNumbers(t *testing.T) {
	ctx := context.Background()
	tw := newTown(t, 3, obligations.Config{})
	me, b, c := tw.orgs[0], tw.orgs[1], tw.orgs[2]
	good := "\ufeffDebtor,Creditor,Amount,Currency,Due_Date,Number\r\n" +
		b.RegID + "," + me.RegID + ",1250.50,KZT,2026-04-30,INV-1\r\n" +
		"\r\n" +
		`"KZ:` + c.RegID + `",` + me.ID + `,7,cny,2026-05-01,"INV, 2"` + "\r\n"
	out, err := tw.svc.ImportCSV(ctx, tw.staff[0], strings.NewReader(good))
	if err != nil {
		t.Fatal(err)
	}
	if len(out) != 2 || out[0].Invoice.Amount != 125050 || out[1].Invoice.Number != "INV, 2" || out[1].Invoice.Source != obligations.SourceCSV ||
		out[1].Invoice.DebtorOrg != c.ID {
		t.Fatalf("imported %+v", out)
	}
	// The same file again changes nothing.
	again, err := tw.svc.ImportCSV(ctx, tw.staff[0], strings.NewReader(good))
	if err != nil || again[0].Created || again[1].Created {
		t.Fatalf("re-import: %+v %v", again, err)
	}

	count := func() int { return len(tw.all(t)) }
	for name, tc := range map[string]struct {
		body string
		want []string
	}{
		"bad lines": {"debtor,creditor,amount,currency,due_date,number\n" +
			b.RegID + "," + me.RegID + ",10.00,KZT,2026-04-30,NEW-1\n" + // fine on its own
			b.RegID + "," + me.RegID + ",12.345,KZT,2026-04-30,NEW-2\n" +
			"999999999999," + me.RegID + ",1,KZT,2026-04-30,NEW-3\n" +
			b.RegID + "," + b.RegID + ",1,KZT,30.04.2026,NEW-4\n" +
			b.RegID + "," + me.RegID + ",1,KZT,2026-04-30\n" +
			b.RegID + ",,1,KZT,2026-04-30,NEW-1\n",
			[]string{"line 3: amount", "line 4: debtor", "line 5: creditor", "line 5: due_date", "line 6", "line 7: creditor", "line 7: number"}},
		"reused number": {"debtor,creditor,amount,currency,due_date,number\n" +
			b.RegID + "," + me.RegID + ",3,KZT,2026-04-30,NEW-9\n" +
			c.RegID + "," + me.RegID + ",1250.50,KZT,2026-04-30,INV-1\n",
			[]string{"line 3: number"}},
		"bad header":  {"debtor,amount,currency,due,number\n", []string{"line 1: creditor", "line 1: due_date", "line 1"}},
		"bad quoting": {"debtor,creditor,amount,currency,due_date,number\n" + b.RegID + "," + me.RegID + `,1,KZT,2026-04-30,"unterminated` + "\n", []string{"line 2"}},
		"empty":       {"", []string{"line 1"}},
		"header only": {"debtor,creditor,amount,currency,due_date,number\n", []string{"line 2"}},
	} {
		t.Run(name, func(t *testing.T) {
			n := count()
			_, err := tw.svc.ImportCSV(ctx, tw.staff[0], strings.NewReader(tc.body))
			var pe *problem.Error
			if !errors.As(err, &pe) || (pe.Code != problem.Invalid && pe.Code != problem.Conflict) {
				t.Fatalf("want a refusal, got %v", err)
			}
			for _, f := range tc.want {
				if pe.Fields[f] == "" {
					t.Errorf("no message for %q in %v", f, pe.Fields)
				}
			}
			if count() != n {
				t.Fatalf("a refused file recorded invoices")
			}
		})
	}
}

func TestObligationCSVBulkBatchOfManyInvoices(t *testing.T) {
	ctx := context.Background()
	tw := newTown(t, 2, obligations.Config{})
	var b strings.Builder
	b.WriteString("number,debtor,creditor,amount,currency,due_date,issue_date\n")
	for i := 0; i < 1234; i++ {
		fmt.Fprintf(&b, "B-%d,%s,%s,%d.01,KZT,2026-06-30,2026-03-01\n", i, tw.orgs[1].RegID, tw.orgs[0].RegID, i+1)
	}
	out, err := tw.svc.ImportCSV(ctx, tw.staff[0], strings.NewReader(b.String()))
	if err != nil || len(out) != 1234 {
		t.Fatalf("%d %v", len(out), err)
	}
	if got := len(tw.all(t)); got != 1234 {
		t.Fatalf("%d stored", got)
	}
	if out[1233].Invoice.Amount != 123401 || out[0].Invoice.IssueDate.Format(obligations.DateLayout) != "2026-03-01" {
		t.Fatalf("last %+v", out[1233].Invoice)
	}
}
