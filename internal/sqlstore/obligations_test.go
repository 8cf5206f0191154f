package sqlstore

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"bricstown/internal/audit"
	"bricstown/internal/identity"
	"bricstown/internal/obligations"
	"bricstown/internal/problem"

	"github.com/google/uuid"
)

func obligExp(c string) (int, bool) {
	switch c {
	case "KZT", "CNY", "RUB":
		return 2, true
	case "JPY":
		return 0, true
	}
	return 0, false
}

type obligWorld struct {
	db    *DB
	svc   *obligations.Service
	orgs  []identity.Org
	staff []*identity.Principal
	admin *identity.Principal
}

func newObligWorld(t *testing.T, db *DB, n int) *obligWorld {
	t.Helper()
	ctx := context.Background()
	w := &obligWorld{db: db, svc: obligations.NewService(db, obligations.Config{Exponent: obligExp,
		Now: func() time.Time { return time.Date(2026, 3, 16, 10, 0, 0, 0, time.UTC) }})}
	for i := 0; i < n; i++ {
		o := identity.Org{ID: uuid.Must(uuid.NewV7()).String(), Name: fmt.Sprintf("Firm %c", 'A'+i), Kind: identity.KindCompany,
			Country: "KZ", RegScheme: "KZ-BIN", RegID: fmt.Sprintf("R%03d", i), CreatedAt: time.Now()}
		if err := db.CreateOrg(ctx, o, audit.Record{ActorUser: "test", Action: "org.create"}); err != nil {
			t.Fatal(err)
		}
		w.orgs = append(w.orgs, o)
		w.staff = append(w.staff, &identity.Principal{UserID: "user-" + o.ID, OrgID: o.ID, OrgKind: o.Kind, Roles: []identity.Role{identity.Trader}})
	}
	w.admin = &identity.Principal{UserID: "admin", OrgID: "town", Roles: []identity.Role{identity.PlatformAdmin}}
	return w
}

// invoice records (and optionally confirms) an invoice from creditor c to debtor d.
func (w *obligWorld) invoice(t *testing.T, c, d int, number, amount, ccy string, confirm bool) obligations.Invoice {
	t.Helper()
	ctx := context.Background()
	out, err := w.svc.CreateInvoices(ctx, w.staff[c], []obligations.NewInvoice{{Number: number, Debtor: w.orgs[d].RegID, Amount: amount,
		Currency: ccy, IssueDate: "2026-03-01", DueDate: "2026-04-30"}}, obligations.SourceAPI)
	if err != nil {
		t.Fatal(err)
	}
	inv := out[0].Invoice
	if confirm {
		if inv, _, err = w.svc.Confirm(ctx, w.staff[d], inv.ID); err != nil {
			t.Fatal(err)
		}
	}
	return inv
}

func (w *obligWorld) outstanding(t *testing.T, id string) int64 {
	t.Helper()
	v, err := w.db.GetInvoice(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return v.Outstanding
}

func TestObligationInvoicesIdempotentAllOrNothingAndScoped(t *testing.T) {
	engines(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		w := newObligWorld(t, db, 3)
		a, b := w.staff[0], w.staff[1]
		batch := []obligations.NewInvoice{
			{Number: "INV-1", Debtor: w.orgs[1].ID, Amount: "100.50", Currency: "KZT", DueDate: "2026-04-01"},
			{Number: "INV-2", Debtor: "KZ:" + w.orgs[2].RegID, Amount: "7", Currency: "cny", DueDate: "2026-04-01", Creditor: w.orgs[0].RegID},
		}
		out, err := w.svc.CreateInvoices(ctx, a, batch, "")
		if err != nil {
			t.Fatal(err)
		}
		if !out[0].Created || !out[1].Created || out[0].Invoice.Amount != 10050 || out[1].Invoice.Currency != "CNY" || out[1].Invoice.Outstanding != 700 {
			t.Fatalf("created %+v", out)
		}
		if out[0].Invoice.CreditorName != "Firm A" || out[0].Invoice.DebtorName != "Firm B" {
			t.Fatalf("names %+v", out[0].Invoice)
		}
		// A replay answers from storage; nothing new is audited.
		var auditBefore int
		db.SQL.QueryRow(`SELECT COUNT(*) FROM audit_log`).Scan(&auditBefore)
		again, err := w.svc.CreateInvoices(ctx, a, batch, "")
		if err != nil || again[0].Created || again[1].Created || again[0].Invoice.ID != out[0].Invoice.ID {
			t.Fatalf("replay: %+v %v", again, err)
		}
		// The same number with other figures refuses the whole batch.
		_, err = w.svc.CreateInvoices(ctx, a, []obligations.NewInvoice{
			{Number: "INV-3", Debtor: w.orgs[1].ID, Amount: "1", Currency: "KZT", DueDate: "2026-04-01"},
			{Number: "INV-1", Debtor: w.orgs[1].ID, Amount: "100.51", Currency: "KZT", DueDate: "2026-04-01"},
		}, "")
		if !problem.Is(err, problem.Conflict) || err.(*problem.Error).Fields["invoices[1].number"] == "" {
			t.Fatalf("reused number: %v", err)
		}
		var n, auditAfter int
		db.SQL.QueryRow(`SELECT COUNT(*) FROM obligation_invoices`).Scan(&n)
		db.SQL.QueryRow(`SELECT COUNT(*) FROM audit_log`).Scan(&auditAfter)
		if n != 2 || auditAfter != auditBefore {
			t.Fatalf("after a replay and a refusal: %d invoices, audit %d -> %d", n, auditBefore, auditAfter)
		}
		// Validation lists every fault and writes nothing.
		_, err = w.svc.CreateInvoices(ctx, a, []obligations.NewInvoice{
			{Number: "", Debtor: "nobody", Amount: "1.005", Currency: "KZT", DueDate: "2026-13-01"},
			{Number: "X", Debtor: w.orgs[0].ID, Amount: "5", Currency: "XAU", DueDate: "2026-04-01", Creditor: w.orgs[1].ID},
		}, "")
		pe, _ := err.(*problem.Error)
		if pe == nil || pe.Code != problem.Invalid {
			t.Fatalf("bad batch: %v", err)
		}
		for _, f := range []string{"invoices[0].number", "invoices[0].debtor", "invoices[0].amount", "invoices[0].due_date",
			"invoices[1].debtor", "invoices[1].currency", "invoices[1].creditor"} {
			if pe.Fields[f] == "" {
				t.Errorf("no message for %s in %v", f, pe.Fields)
			}
		}

		// Each side sees its invoices; a stranger sees none.
		list := func(p *identity.Principal, f obligations.Filter) []obligations.Invoice {
			t.Helper()
			f.Limit = 100
			l, err := w.svc.Invoices(ctx, p, f)
			if err != nil {
				t.Fatal(err)
			}
			return l
		}
		if l := list(a, obligations.Filter{}); len(l) != 2 || l[0].Number != "INV-2" {
			t.Fatalf("creditor's list %+v", l)
		}
		if l := list(b, obligations.Filter{}); len(l) != 1 || l[0].SideFor(b.OrgID) != obligations.Payable {
			t.Fatalf("debtor's list %+v", l)
		}
		if l := list(b, obligations.Filter{Side: obligations.Receivable}); len(l) != 0 {
			t.Fatalf("debtor's receivables %+v", l)
		}
		if l := list(a, obligations.Filter{OrgID: w.orgs[1].ID, Currency: "CNY"}); len(l) != 1 {
			t.Fatalf("a company's org filter must be ignored: %+v", l)
		}
		// The platform administrator runs clearing but reads no company's
		// invoices, whether listing, by id or by an unknown id.
		if _, err := w.svc.Invoices(ctx, w.admin, obligations.Filter{}); !problem.Is(err, problem.Forbidden) {
			t.Fatalf("admin lists invoices: %v", err)
		}
		for _, id := range []string{out[0].Invoice.ID, "0190f0c8-0000-7000-8000-000000000000"} {
			if _, err := w.svc.Invoice(ctx, w.admin, id); !problem.Is(err, problem.Forbidden) {
				t.Fatalf("admin reads invoice %s: %v", id, err)
			}
		}
		// Search by number or by the counterparty's name, never the
		// caller's own name, and a stranger finds nothing.
		for _, c := range []struct {
			who  *identity.Principal
			q    string
			want int
		}{{a, "inv-2", 1}, {a, "INV", 2}, {a, "firm b", 1}, {a, "Firm C", 1}, {a, "firm a", 0}, {b, "firm a", 1}, {b, "firm c", 0},
			{a, "50%", 0}, {a, "inv_", 0}, {w.staff[2], "inv-1", 0}, {w.staff[2], "firm b", 0}} {
			if l := list(c.who, obligations.Filter{Search: c.q}); len(l) != c.want {
				t.Errorf("%s searches %q: %d invoices, want %d", c.who.OrgID, c.q, len(l), c.want)
			}
		}
		if _, err := w.svc.Invoices(ctx, a, obligations.Filter{Search: strings.Repeat("x", 101)}); !problem.Is(err, problem.Invalid) {
			t.Fatalf("a long search: %v", err)
		}
		f := false
		if l := list(a, obligations.Filter{Confirmed: &f, Status: obligations.Open}); len(l) != 2 {
			t.Fatalf("unconfirmed open %+v", l)
		}
		page := list(a, obligations.Filter{Limit: 1})
		if l := list(a, obligations.Filter{Before: page[0].ID}); len(l) != 1 || l[0].Number != "INV-1" {
			t.Fatalf("second page %+v", l)
		}
		if _, err := w.svc.Invoice(ctx, w.staff[2], out[0].Invoice.ID); !problem.Is(err, problem.NotFound) {
			t.Fatalf("a stranger reads an invoice: %v", err)
		}

		// Only the debtor confirms; twice is harmless.
		id := out[0].Invoice.ID
		if _, _, err := w.svc.Confirm(ctx, a, id); !problem.Is(err, problem.Forbidden) {
			t.Fatalf("creditor confirms: %v", err)
		}
		if _, _, err := w.svc.Confirm(ctx, w.staff[2], id); !problem.Is(err, problem.NotFound) {
			t.Fatalf("stranger confirms: %v", err)
		}
		inv, changed, err := w.svc.Confirm(ctx, b, id)
		if err != nil || !changed || !inv.Confirmed() || inv.ConfirmedBy != b.UserID {
			t.Fatalf("confirm: %+v %v %v", inv, changed, err)
		}
		if _, changed, err := w.svc.Confirm(ctx, b, id); err != nil || changed {
			t.Fatalf("confirm again: %v %v", changed, err)
		}
		sum, err := w.svc.Summary(ctx, a, "")
		if err != nil {
			t.Fatal(err)
		}
		if len(sum) != 2 || sum[0].Currency != "CNY" || sum[1].Currency != "KZT" || !sum[1].Confirmed || sum[1].Side != obligations.Receivable || sum[1].Outstanding != 10050 {
			t.Fatalf("summary %+v", sum)
		}
		if all, err := w.svc.Summary(ctx, w.admin, ""); err != nil || len(all) != 2 {
			t.Fatalf("town summary %+v %v", all, err)
		}
	})
}

func TestObligationRunAppliesOnceAndRefusesStalePlans(t *testing.T) {
	engines(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		w := newObligWorld(t, db, 4)
		// A owes B 100, B owes C 70, C owes A 50: 50 clears around the
		// cycle. D's invoice to A is unconfirmed and must stay whole.
		ab := w.invoice(t, 1, 0, "AB", "100.00", "KZT", true)
		bc := w.invoice(t, 2, 1, "BC", "70.00", "KZT", true)
		ca := w.invoice(t, 0, 2, "CA", "50.00", "KZT", true)
		da := w.invoice(t, 3, 0, "DA", "500.00", "KZT", false)
		ad := w.invoice(t, 0, 3, "AD", "500.00", "KZT", true)
		yen := w.invoice(t, 1, 0, "Y1", "1000", "JPY", true)
		if _, err := w.svc.Run(ctx, w.staff[0]); !problem.Is(err, problem.Forbidden) {
			t.Fatalf("a trader runs clearing: %v", err)
		}
		run, err := w.svc.Run(ctx, w.admin)
		if err != nil {
			t.Fatal(err)
		}
		if run.Number != 1 || len(run.Currencies) != 2 || run.InvoicesTouched != 3 {
			t.Fatalf("run %+v", run)
		}
		jpy, kzt := run.Currencies[0], run.Currencies[1]
		if kzt.Currency != "KZT" || kzt.TotalDebt != 72000 || kzt.Cleared != 15000 || kzt.Remaining != 57000 || kzt.Invoices != 4 ||
			kzt.InvoicesTouched != 3 || !kzt.Certificate.Certified || len(kzt.Certificate.Digest) != 64 {
			t.Fatalf("KZT figures %+v", kzt)
		}
		if jpy.Cleared != 0 || jpy.TotalDebt != 1000 {
			t.Fatalf("JPY figures %+v", jpy)
		}
		for id, want := range map[string]int64{ab.ID: 5000, bc.ID: 2000, ca.ID: 0, da.ID: 50000, ad.ID: 50000, yen.ID: 1000} {
			if got := w.outstanding(t, id); got != want {
				t.Errorf("invoice outstanding %d, want %d", got, want)
			}
		}
		// The stored report: the admin sees every firm, a company its own line.
		full, err := w.svc.GetRun(ctx, w.admin, run.ID)
		if err != nil || len(full.Firms) != 6 || len(full.Currencies) != 2 || full.Currencies[1].Remaining != 57000 {
			t.Fatalf("stored run %+v %v", full, err)
		}
		mine, err := w.svc.GetRun(ctx, w.staff[0], run.ID)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range mine.Firms {
			if f.OrgID != w.orgs[0].ID {
				t.Fatalf("a company sees another's line: %+v", f)
			}
		}
		if len(mine.Firms) != 2 {
			t.Fatalf("own lines %+v", mine.Firms)
		}
		lines, err := w.svc.RunSetOffs(ctx, w.staff[3], run, 100)
		if err != nil || len(lines) != 0 {
			t.Fatalf("D's set-offs %+v %v", lines, err)
		}
		lines, err = w.svc.RunSetOffs(ctx, w.staff[0], run, 100)
		if err != nil || len(lines) != 2 {
			t.Fatalf("A's set-offs %+v %v", lines, err)
		}
		hist, err := w.svc.InvoiceSetOffs(ctx, w.staff[1], ab.ID)
		if err != nil || len(hist) != 1 || hist[0].Amount != 5000 || hist[0].RunID != run.ID {
			t.Fatalf("invoice history %+v %v", hist, err)
		}
		// Clearing is optimal, so clearing again finds nothing.
		again, err := w.svc.Run(ctx, w.admin)
		if err != nil || again.Number != 2 || again.InvoicesTouched != 0 {
			t.Fatalf("second run %+v %v", again, err)
		}
		runs, err := w.svc.Runs(ctx, w.staff[2], 0, 10)
		if err != nil || len(runs) != 2 || runs[0].Number != 2 || len(runs[1].Currencies) != 2 {
			t.Fatalf("history %+v %v", runs, err)
		}
		if older, _ := w.svc.Runs(ctx, w.staff[2], 2, 10); len(older) != 1 || older[0].Number != 1 {
			t.Fatalf("older runs %+v", older)
		}

		// A plan computed before another run commits is refused whole.
		_, _, err = w.svc.Confirm(ctx, w.staff[0], da.ID)
		if err != nil {
			t.Fatal(err)
		}
		snap, err := db.Snapshot(ctx)
		if err != nil {
			t.Fatal(err)
		}
		stale, err := w.svc.MakePlan(snap, obligations.TriggerManual, "admin", time.Now())
		if err != nil || len(stale.SetOffs) != 2 {
			t.Fatalf("plan %+v %v", stale, err)
		}
		if _, err := w.svc.Run(ctx, w.admin); err != nil {
			t.Fatal(err)
		}
		if err := db.CommitRun(ctx, stale.Run, stale.SetOffs, audit.Record{Action: "obligations.run"}); !problem.Is(err, problem.Conflict) {
			t.Fatalf("stale run number: %v", err)
		}
		// Even with a fresh number, set-offs on changed invoices are refused.
		stale.Run.Number, stale.Run.ID = 4, uuid.Must(uuid.NewV7()).String()
		if err := db.CommitRun(ctx, stale.Run, stale.SetOffs, audit.Record{Action: "obligations.run"}); !problem.Is(err, problem.Conflict) {
			t.Fatalf("stale set-offs: %v", err)
		}
		if got := w.outstanding(t, da.ID); got != 0 {
			t.Fatalf("DA outstanding %d after the run and a refused stale plan", got)
		}
		var runCount int
		db.SQL.QueryRow(`SELECT COUNT(*) FROM obligation_runs`).Scan(&runCount)
		if runCount != 3 {
			t.Fatalf("%d runs stored", runCount)
		}
	})
}

func TestObligationConcurrentRunsApplyOnce(t *testing.T) {
	engines(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		w := newObligWorld(t, db, 3)
		var ids []string
		for i := 0; i < 30; i++ {
			ids = append(ids, w.invoice(t, (i+1)%3, i%3, fmt.Sprint("N", i), "10.00", "KZT", true).ID)
		}
		var wg sync.WaitGroup
		errs := make([]error, 4)
		for g := range errs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, errs[g] = w.svc.Run(ctx, w.admin)
			}()
		}
		wg.Wait()
		ok := 0
		for _, err := range errs {
			switch {
			case err == nil:
				ok++
			case !problem.Is(err, problem.Conflict):
				t.Fatalf("concurrent run: %v", err)
			}
		}
		if ok == 0 {
			t.Fatal("no run succeeded")
		}
		var total, setoff int64
		for _, id := range ids {
			total += w.outstanding(t, id)
		}
		db.SQL.QueryRow(`SELECT COALESCE(SUM(amount), 0) FROM obligation_setoffs`).Scan(&setoff)
		if total != 0 || setoff != 30000 {
			t.Fatalf("after concurrent runs: outstanding %d, set off %d (want 0, 30000)", total, setoff)
		}
	})
}
