package sqlstore

import (
	"context"
	"sync"
	"testing"

	"bricstown/internal/audit"
	"bricstown/internal/ledger"

	"github.com/google/uuid"
)

// TestLedgerBatchesAndOtherAuditWriters runs ledger batches (which queue
// on the ledger head, at READ COMMITTED on PostgreSQL) beside writers that
// append to the audit chain without touching the ledger (SERIALIZABLE, as
// every other write). Both chain onto the same audit log, so neither may
// fail for the other, and the chain must verify afterwards.
func TestLedgerBatchesAndOtherAuditWriters(t *testing.T) {
	engines(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		issuer := ledger.Account{ID: uuid.Must(uuid.NewV7()), OrgID: "bank", Currency: "KZT", Kind: ledger.Asset, Code: "issuer", Flags: ledger.Issuer | ledger.System, Limit: ledger.Unlimited}
		to := ledger.Account{ID: uuid.Must(uuid.NewV7()), OrgID: "o", Currency: "KZT", Kind: ledger.Liability, Code: "ops"}
		if err := db.CreateAccounts(ctx, []ledger.Account{issuer, to}, audit.Record{ActorUser: "t"}); err != nil {
			t.Fatal(err)
		}
		const rounds = 150
		var wg sync.WaitGroup
		errs := make(chan error, 4*rounds)
		for w := 0; w < 2; w++ {
			wg.Add(2)
			go func() {
				defer wg.Done()
				for i := 0; i < rounds; i++ {
					tr := ledger.Transfer{ID: uuid.Must(uuid.NewV7()), DebitAccount: issuer.ID, CreditAccount: to.ID, Amount: 1}
					var err error
					if w == 0 { // the batcher's path: the batch is asked for after the claim
						_, err = db.CreateTransfersGathered(ctx, func() ([]ledger.Transfer, ledger.BatchOptions) {
							return []ledger.Transfer{tr}, ledger.BatchOptions{System: true}
						})
					} else {
						_, err = db.CreateTransfers(ctx, []ledger.Transfer{tr}, ledger.BatchOptions{System: true})
					}
					if err != nil {
						errs <- err
					}
				}
			}()
			go func() {
				defer wg.Done()
				for i := 0; i < rounds; i++ {
					if err := db.AppendAudit(ctx, audit.Record{ActorUser: "t", Action: "test.other"}); err != nil {
						errs <- err
					}
				}
			}()
		}
		wg.Wait()
		close(errs)
		n := 0
		for err := range errs {
			if n++; n <= 3 {
				t.Error(err)
			}
		}
		if n > 0 {
			t.Fatalf("%d writes failed", n)
		}
		if a, _ := db.GetAccount(ctx, to.ID); a.Balance() != 2*rounds {
			t.Fatalf("balance %d, want %d", a.Balance(), 2*rounds)
		}
		if err := db.EachAudit(ctx, audit.NewVerifier().Check); err != nil {
			t.Fatalf("audit chain: %v", err)
		}
		if rep, err := db.Verify(ctx); err != nil || len(rep.Problems) > 0 {
			t.Fatalf("ledger verify: %v %v", rep.Problems, err)
		}
	})
}
