package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"bricstown/internal/audit"
	"bricstown/internal/fx"
	"bricstown/internal/identity"
	"bricstown/internal/ledger"
	"bricstown/internal/money"
	"bricstown/internal/pgtest"
	"bricstown/internal/refdata"
	"bricstown/internal/settlement"
	"bricstown/internal/sqlstore"

	"github.com/google/uuid"
)

const cycleChildEnv = "BRICSTOWN_CYCLE_CHILD_DSN"

func cycleService(db *sqlstore.DB, centre string) *settlement.Service {
	ref := refdata.Default()
	led := ledger.NewService(db, ledger.Config{Exponent: ref.MoneyExponent, CentreOrg: func(context.Context) (string, error) { return centre, nil }})
	return settlement.NewService(db, settlement.Config{Ledger: led, Exponent: ref.MoneyExponent, Orgs: settlement.OrgsFunc(db.GetOrg),
		CentreOrg: func(context.Context) (string, error) { return centre, nil },
		Rates: func(context.Context) (func(a, b string) (money.Rate, bool), error) {
			return settlement.CycleRates(nil, fx.DefaultUSDConfig()), nil
		}})
}

// cycleChild is the child process of the cycle crash test (started by
// TestMain when cycleChildEnv is set): it runs one settlement cycle over
// the prepared queue and exits.
func cycleChild(dsn string) error {
	ctx := context.Background()
	db, err := sqlstore.Open(ctx, dsn, nil)
	if err != nil {
		return err
	}
	orgs, err := db.ListOrgs(ctx, identity.Page{Limit: 10})
	if err != nil {
		return err
	}
	fmt.Println("child: cycle starting")
	if _, err := cycleService(db, orgs[0].ID).RunCycle(ctx, audit.Record{ActorUser: "crash-test"}); err != nil {
		return err
	}
	fmt.Println("child: cycle committed")
	return nil
}

// TestCrashDuringCycleSettlesAllOrNothing kills a process in the middle of
// a settlement cycle, at several moments, and checks that the cycle either
// settled whole (its record and every one of its ledger transfers) or left
// no trace; then a new cycle settles the queue, once.
func TestCrashDuringCycleSettlesAllOrNothing(t *testing.T) {
	for _, engine := range []string{"sqlite", "postgres"} {
		t.Run(engine, func(t *testing.T) {
			dsn := filepath.Join(t.TempDir(), "cycle.db")
			if engine == "postgres" {
				dsn = pgtest.URL(t)
			}
			ctx := context.Background()
			db, err := sqlstore.Open(ctx, dsn, nil)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			if _, err := db.Migrate(ctx); err != nil {
				t.Fatal(err)
			}
			ids := identity.NewService(db, identity.Config{})
			centre, err := ids.CreateOrg(ctx, nil, identity.NewOrg{Name: "Centre", Kind: identity.KindBank, Country: "AE", RegID: "CENTRE01"})
			if err != nil {
				t.Fatal(err)
			}
			svc := cycleService(db, centre.ID)
			issuer := uuid.Must(uuid.NewV7())
			accts := []ledger.Account{{ID: issuer, OrgID: centre.ID, Currency: "KZT", Kind: ledger.Asset, Code: "issuance", Flags: ledger.Issuer | ledger.System, Limit: ledger.Unlimited}}
			var rows []int64
			var funding []ledger.Transfer
			for i := 0; i < 20; i++ {
				org, err := ids.CreateOrg(ctx, nil, identity.NewOrg{Name: fmt.Sprint("Bank ", i), Kind: identity.KindBank, Country: "AE", RegID: fmt.Sprintf("BANK%04d", i)})
				if err != nil {
					t.Fatal(err)
				}
				p, err := svc.RegisterParticipant(ctx, nil, settlement.ParticipantInput{OrgID: org.ID, BIC: fmt.Sprintf("BKA%cAE22", 'A'+i)})
				if err != nil {
					t.Fatal(err)
				}
				rows = append(rows, p.Row)
				id := uuid.Must(uuid.NewV7())
				accts = append(accts, ledger.Account{ID: id, OrgID: org.ID, Currency: "KZT", Kind: ledger.Liability, Code: settlement.SettlementCode})
				funding = append(funding, ledger.Transfer{ID: uuid.Must(uuid.NewV7()), DebitAccount: issuer, CreditAccount: id, Amount: 1_000_000_00})
			}
			if err := db.CreateAccounts(ctx, accts, audit.Record{ActorUser: "test"}); err != nil {
				t.Fatal(err)
			}
			if _, err := db.CreateTransfers(ctx, funding, ledger.BatchOptions{}); err != nil {
				t.Fatal(err)
			}
			var ins []settlement.Instruction
			for i := 0; i < 60000; i++ {
				ins = append(ins, settlement.Instruction{EndToEndID: fmt.Sprint("C", i), PayerRow: rows[i%20], PayeeRow: rows[(i*7+3)%20],
					Amount: int64(100 + i%5000), Currency: "KZT", PayeeCurrency: "KZT", ValueDate: time.Now().UTC().Truncate(24 * time.Hour), Source: "test"})
				if ins[i].PayerRow == ins[i].PayeeRow {
					ins[i].PayeeRow = rows[(i+1)%20]
				}
			}
			for start := 0; start < len(ins); start += 8000 {
				if _, err := db.SubmitInstructions(ctx, ins[start:min(start+8000, len(ins))], audit.Record{ActorUser: "test"}); err != nil {
					t.Fatal(err)
				}
			}
			// Kill the child at growing delays until one run commits.
			committed := false
			for attempt, delay := 0, 50*time.Millisecond; attempt < 12 && !committed; attempt, delay = attempt+1, delay*3/2 {
				cmd := exec.Command(os.Args[0], "-test.run=^$")
				cmd.Env = append(os.Environ(), cycleChildEnv+"="+dsn)
				out := &lockedBuffer{}
				cmd.Stdout, cmd.Stderr = out, out
				if err := cmd.Start(); err != nil {
					t.Fatal(err)
				}
				done := make(chan error, 1)
				go func() { done <- cmd.Wait() }()
				select {
				case <-done:
					committed = strings.Contains(out.String(), "child: cycle committed")
					if !committed {
						t.Fatalf("child failed:\n%s", out)
					}
				case <-time.After(delay):
					cmd.Process.Signal(syscall.SIGKILL)
					<-done
					committed = strings.Contains(out.String(), "child: cycle committed")
				}
				checkCycleAllOrNothing(t, db)
				t.Logf("%s: attempt %d killed after %v: committed=%v", engine, attempt+1, delay, committed)
			}
			if !committed {
				// The cycle still settles with the process alive.
				if _, err := svc.RunCycle(ctx, audit.Record{ActorUser: "test"}); err != nil {
					t.Fatal(err)
				}
				checkCycleAllOrNothing(t, db)
			}
			cycles, _ := db.Cycles(ctx, 0, 10)
			if len(cycles) != 1 || cycles[0].Report.Settled != len(ins) {
				t.Fatalf("%d cycles, want exactly one that settled all %d instructions", len(cycles), len(ins))
			}
			if _, err := svc.RunCycle(ctx, audit.Record{ActorUser: "test"}); err != settlement.ErrNothingToSettle {
				t.Fatalf("a second cycle found work: %v", err)
			}
		})
	}
}

// checkCycleAllOrNothing: every recorded cycle has all its ledger
// transfers, no transfer belongs to an unrecorded cycle, and the ledger
// verifies.
func checkCycleAllOrNothing(t *testing.T, db *sqlstore.DB) {
	t.Helper()
	ctx := context.Background()
	rep, err := db.Verify(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Problems) > 0 {
		t.Fatalf("ledger verify: %v", rep.Problems)
	}
	cycles, err := db.Cycles(ctx, 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]int{}
	for _, c := range cycles {
		want[fmt.Sprintf("cycle %d", c.Number)] = c.Report.SettlementTransfers
	}
	rows, err := db.SQL.QueryContext(ctx, `SELECT reference, COUNT(*) FROM ledger_transfers WHERE code LIKE 'settlement%' GROUP BY reference`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	got := map[string]int{}
	for rows.Next() {
		var ref string
		var n int
		rows.Scan(&ref, &n)
		got[ref] = n
	}
	for ref, n := range got {
		if want[ref] != n {
			t.Fatalf("%s has %d ledger transfers but its cycle record says %d (a half-settled cycle)", ref, n, want[ref])
		}
	}
	for ref, n := range want {
		if got[ref] != n {
			t.Fatalf("%s is recorded with %d transfers but the ledger has %d", ref, n, got[ref])
		}
	}
}
