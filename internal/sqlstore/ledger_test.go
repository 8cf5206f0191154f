package sqlstore

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"bricstown/internal/audit"
	"bricstown/internal/ledger"

	"github.com/google/uuid"
)

func newID() ledger.ID { return uuid.Must(uuid.NewV7()) }

func mkAccounts(t *testing.T, db *DB, ccy string, flags ...ledger.AccountFlags) []ledger.ID {
	t.Helper()
	var accts []ledger.Account
	for _, f := range flags {
		a := ledger.Account{ID: newID(), OrgID: "org-a", Currency: ccy, Kind: ledger.Liability, Code: "operating", Flags: f, CreatedAt: time.Now()}
		if f == 0 {
			// No limit flag: a funding source, which the ledger allows
			// only to an issuer.
			a.Flags, a.Limit = ledger.Issuer|ledger.System, ledger.Unlimited
		}
		accts = append(accts, a)
	}
	if err := db.CreateAccounts(context.Background(), accts, audit.Record{ActorUser: "system", Action: "ledger.account.create"}); err != nil {
		t.Fatal(err)
	}
	ids := make([]ledger.ID, len(accts))
	for i, a := range accts {
		ids[i] = a.ID
	}
	return ids
}

func mustBatch(t *testing.T, db *DB, reqs ...ledger.Transfer) []ledger.Code {
	t.Helper()
	res, err := db.CreateTransfers(context.Background(), reqs, ledger.BatchOptions{})
	if err != nil {
		t.Fatal(err)
	}
	codes := make([]ledger.Code, len(res))
	for i, r := range res {
		codes[i] = r.Code
	}
	return codes
}

func mustVerify(t *testing.T, db *DB) ledger.VerifyReport {
	t.Helper()
	r, err := db.Verify(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Problems) > 0 {
		t.Fatalf("ledger verify: %v", r.Problems)
	}
	return r
}

func TestLedgerBatchesHistoryAndVerify(t *testing.T) {
	engines(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		ids := mkAccounts(t, db, "KZT", 0, ledger.DebitsMustNotExceedCredits, 0)
		issuer, alice, bob := ids[0], ids[1], ids[2]
		fund := newID()
		codes := mustBatch(t, db,
			ledger.Transfer{ID: fund, DebitAccount: issuer, CreditAccount: alice, Amount: 10_000, Currency: "KZT"},
			ledger.Transfer{ID: newID(), DebitAccount: alice, CreditAccount: bob, Amount: 2_500},
			ledger.Transfer{ID: newID(), DebitAccount: alice, CreditAccount: bob, Amount: 9_000}, // exceeds
		)
		if codes[0] != ledger.OK || codes[1] != ledger.OK || codes[2] != ledger.ExceedsCredits {
			t.Fatalf("codes %v", codes)
		}
		// Repeating the funding transfer is answered from the stored one,
		// even though its id is not above the stored maximum any more.
		codes = mustBatch(t, db, ledger.Transfer{ID: fund, DebitAccount: issuer, CreditAccount: alice, Amount: 10_000, Currency: "KZT"},
			ledger.Transfer{ID: fund, DebitAccount: issuer, CreditAccount: alice, Amount: 10_001, Currency: "KZT"})
		if codes[0] != ledger.Exists || codes[1] != ledger.ExistsWithDifferentAmount {
			t.Fatalf("idempotency %v", codes)
		}
		mid := time.Now()
		time.Sleep(2 * time.Millisecond)
		for i := 0; i < 5; i++ {
			mustBatch(t, db, ledger.Transfer{ID: newID(), DebitAccount: alice, CreditAccount: bob, Amount: 100})
		}
		a, _ := db.GetAccount(ctx, alice)
		if a.Balance() != 10_000-2_500-500 {
			t.Fatalf("alice balance %d", a.Balance())
		}
		h, err := db.History(ctx, alice, 0, 4)
		if err != nil || len(h) != 4 || h[0].Seq <= h[1].Seq {
			t.Fatalf("history %+v %v", h, err)
		}
		if h[0].DebitBalanceAfter != a.Balance() {
			t.Fatalf("running balance at head %d, account %d", h[0].DebitBalanceAfter, a.Balance())
		}
		rest, _ := db.History(ctx, alice, h[3].DebitPrev, 10)
		if len(rest) != 3 || rest[len(rest)-1].ID != fund {
			t.Fatalf("second page %d entries", len(rest))
		}
		bal, err := db.BalanceAt(ctx, alice, mid)
		if err != nil || bal != 7_500 {
			t.Fatalf("balance at %v: %d %v", mid, bal, err)
		}
		if bal, _ := db.BalanceAt(ctx, alice, mid.Add(-time.Hour)); bal != 0 {
			t.Fatalf("balance before any transfer: %d", bal)
		}
		r := mustVerify(t, db)
		if r.Transfers != 7 || r.Totals["KZT"][0] != r.Totals["KZT"][1] {
			t.Fatalf("report %+v", r)
		}
		// Verify catches a tampered balance.
		db.SQL.Exec(`UPDATE ledger_balances SET credits_posted = credits_posted + 1 WHERE row_id = (SELECT row_id FROM ledger_accounts WHERE id = $1)`, bob[:])
		if r, _ := db.Verify(ctx); len(r.Problems) == 0 {
			t.Fatal("verify missed a tampered balance")
		}
	})
}

func TestLedgerPendingExpiry(t *testing.T) {
	engines(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		ids := mkAccounts(t, db, "CNY", 0, ledger.DebitsMustNotExceedCredits)
		mustBatch(t, db, ledger.Transfer{ID: newID(), DebitAccount: ids[0], CreditAccount: ids[1], Amount: 1000})
		hold := newID()
		codes := mustBatch(t, db, ledger.Transfer{ID: hold, DebitAccount: ids[1], CreditAccount: ids[0], Amount: 800, Flags: ledger.Pending, Timeout: 1})
		if codes[0] != ledger.OK {
			t.Fatal(codes)
		}
		if codes := mustBatch(t, db, ledger.Transfer{ID: newID(), DebitAccount: ids[1], CreditAccount: ids[0], Amount: 300}); codes[0] != ledger.ExceedsCredits {
			t.Fatalf("pending hold not respected: %v", codes)
		}
		later := time.Now().Add(2 * time.Second)
		exp, err := db.ExpiredPendings(ctx, later, ledger.ExpiryCursor{}, 10)
		if err != nil || len(exp) != 1 || exp[0].ID != hold {
			t.Fatalf("expired %v %v", exp, err)
		}
		res, err := db.CreateTransfers(ctx, []ledger.Transfer{{ID: newID(), PendingID: hold, Flags: ledger.VoidPending | ledger.Expired}}, ledger.BatchOptions{Now: later, System: true})
		if err != nil || res[0].Code != ledger.OK {
			t.Fatalf("expiry %v %v", res, err)
		}
		a, _ := db.GetAccount(ctx, ids[1])
		if a.DebitsPending != 0 || a.Available() != 1000 {
			t.Fatalf("after expiry %+v", a)
		}
		h, _ := db.History(ctx, ids[1], 0, 1)
		if h[0].Flags&ledger.Expired == 0 {
			t.Fatal("the release is not in the history")
		}
		if exp, _ := db.ExpiredPendings(ctx, later, ledger.ExpiryCursor{}, 10); len(exp) != 0 {
			t.Fatalf("still listed: %v", exp)
		}
		mustVerify(t, db)
	})
}

// Many goroutines draining one account concurrently never overdraw it, and
// exactly as many succeed as the balance allows.
func TestLedgerConcurrentDrainNeverOverdraws(t *testing.T) {
	engines(t, func(t *testing.T, db *DB) {
		ids := mkAccounts(t, db, "RUB", 0, ledger.DebitsMustNotExceedCredits, 0)
		mustBatch(t, db, ledger.Transfer{ID: newID(), DebitAccount: ids[0], CreditAccount: ids[1], Amount: 50})
		var ok, refused atomic.Int64
		var wg sync.WaitGroup
		for g := 0; g < 16; g++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := 0; i < 10; i++ {
					res, err := db.CreateTransfers(context.Background(), []ledger.Transfer{{ID: newID(), DebitAccount: ids[1], CreditAccount: ids[2], Amount: 1}}, ledger.BatchOptions{})
					if err != nil {
						t.Error(err)
						return
					}
					if res[0].Code == ledger.OK {
						ok.Add(1)
					} else if res[0].Code == ledger.ExceedsCredits {
						refused.Add(1)
					}
				}
			}()
		}
		wg.Wait()
		if ok.Load() != 50 || refused.Load() != 110 {
			t.Fatalf("%d succeeded, %d refused; want 50 and 110", ok.Load(), refused.Load())
		}
		mustVerify(t, db)
	})
}

// Two handles on one database (as two processes would be) keep each other
// honest through the head row's version.
func TestLedgerTwoHandlesShareOneDatabase(t *testing.T) {
	engines(t, func(t *testing.T, db *DB) {
		other, err := Open(context.Background(), db.dsnForTest(t), nil)
		if err != nil {
			t.Fatal(err)
		}
		defer other.Close()
		ids := mkAccounts(t, db, "INR", 0, ledger.DebitsMustNotExceedCredits)
		mustBatch(t, db, ledger.Transfer{ID: newID(), DebitAccount: ids[0], CreditAccount: ids[1], Amount: 10})
		var wg sync.WaitGroup
		var ok atomic.Int64
		for _, h := range []*DB{db, other, db, other} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := 0; i < 10; i++ {
					res, err := h.CreateTransfers(context.Background(), []ledger.Transfer{{ID: newID(), DebitAccount: ids[1], CreditAccount: ids[0], Amount: 1}}, ledger.BatchOptions{})
					if err != nil {
						t.Error(err)
						return
					}
					if res[0].Code == ledger.OK {
						ok.Add(1)
					}
				}
			}()
		}
		wg.Wait()
		if ok.Load() != 10 {
			t.Fatalf("%d drains succeeded on a balance of 10", ok.Load())
		}
		mustVerify(t, db)
	})
}
