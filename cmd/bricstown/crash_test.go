package main

import (
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"bricstown/internal/ledger"
	"bricstown/internal/pgtest"
	"bricstown/internal/sqlstore"

	"github.com/google/uuid"
)

const crashChildEnv = "BRICSTOWN_CRASH_CHILD_ARGS"

// TestCrashLosesNoAcknowledgedTransfer kills the server with SIGKILL in the
// middle of a concurrent load, restarts it, and proves that every transfer
// it acknowledged is there, that nothing is half applied (every balance
// equals its transfers and debits equal credits), and that the restarted
// server carries on.
func TestCrashLosesNoAcknowledgedTransfer(t *testing.T) {
	for _, engine := range []string{"sqlite", "postgres"} {
		t.Run(engine, func(t *testing.T) {
			dsn := filepath.Join(t.TempDir(), "crash.db")
			if engine == "postgres" {
				dsn = pgtest.URL(t)
			}
			town := openLedgerTown(t, dsn)
			ctx := town.ctx
			orgID, token := town.trader("Crash Test Trading", "CRASH001")
			// Account 0 holds the money every pair below starts from.
			const nAcct = 50
			accts := town.accounts(orgID, nAcct, 0)
			town.fund(1e15, accts[0])

			child, url, childOut := startChild(t, dsn)
			var mu sync.Mutex
			var acked []string
			stop := make(chan struct{})
			var wg sync.WaitGroup
			client := &http.Client{Timeout: 10 * time.Second}
			for w := 0; w < 16; w++ {
				wg.Add(1)
				go func(w int) {
					defer wg.Done()
					for i := 0; ; i++ {
						select {
						case <-stop:
							return
						default:
						}
						// A linked pair: account 0 (funded) pays a, and a
						// pays b the same amount at once; the second
						// leg is only possible through the first, so a half
						// applied pair would break a's no-overdraft limit.
						a, b := 1+(w+i)%(nAcct-1), 1+(w*7+i*3)%(nAcct-1)
						if a == b {
							b = 1 + b%(nAcct-1)
						}
						id := uuid.Must(uuid.NewV7()).String()
						amt := 1 + i%40
						body := fmt.Sprintf(`{"transfers":[{"id":%q,"debit_account_id":%q,"credit_account_id":%q,"amount":"%d.00","currency":"KZT","linked":true},
							{"id":%q,"debit_account_id":%q,"credit_account_id":%q,"amount":"%d.00","currency":"KZT"}]}`,
							id, accts[0], accts[a], amt, uuid.Must(uuid.NewV7()).String(), accts[a], accts[b], amt)
						code, reply, err := postTransfers(client, url, token, body)
						if err != nil {
							// The server died (or a connection was reset):
							// keep trying until the test says stop.
							time.Sleep(20 * time.Millisecond)
							continue
						}
						if code == 200 && strings.Count(string(reply), `"result":"ok"`) == 2 {
							mu.Lock()
							acked = append(acked, id)
							mu.Unlock()
						}
					}
				}(w)
			}
			// Kill once the load is well under way.
			for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(50 * time.Millisecond) {
				mu.Lock()
				n := len(acked)
				mu.Unlock()
				if n >= 500 {
					break
				}
				if time.Now().After(deadline) {
					child.cmd.Process.Signal(syscall.SIGQUIT)
					time.Sleep(time.Second)
					close(stop)
					t.Fatalf("the server stalled after %d acknowledged transfers; its goroutines:\n%s", n, childOut.String())
				}
			}
			if err := child.cmd.Process.Signal(syscall.SIGKILL); err != nil {
				t.Fatal(err)
			}
			<-child.exited
			close(stop)
			wg.Wait()
			if len(acked) < 500 {
				t.Fatalf("only %d transfers acknowledged before the kill: the load did not run", len(acked))
			}

			// Restart: the server comes back on the same database.
			child2, url2, _ := startChild(t, dsn)
			if code, _ := get(t, url2+"/readyz"); code != 200 {
				t.Fatalf("restarted server not ready: %d", code)
			}
			child2.cmd.Process.Signal(syscall.SIGTERM)
			<-child2.exited

			db, err := sqlstore.Open(ctx, dsn, nil)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			for _, id := range acked {
				tid := ledger.ScopedID(orgID, uuid.MustParse(id)) // the client's id, as the ledger scopes it
				if _, err := db.GetTransfer(ctx, tid); err != nil {
					t.Fatalf("acknowledged transfer %s lost after SIGKILL: %v", id, err)
				}
			}
			rep, err := db.Verify(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if len(rep.Problems) > 0 {
				t.Fatalf("ledger verify after SIGKILL: %v", rep.Problems)
			}
			// Linked pairs are whole: besides the one funding transfer, the
			// transfer count is even.
			if (rep.Transfers-1)%2 != 0 {
				t.Fatalf("%d transfers: a linked pair was half applied", rep.Transfers)
			}
			out, err := runCmd(t, "ledger", "verify", "--db", dsn)
			if err != nil || !strings.Contains(out, "ledger verified") {
				t.Fatalf("ledger verify command: %v\n%s", err, out)
			}
			t.Logf("%s: %d acknowledged before SIGKILL, %d stored, ledger verified", engine, len(acked), rep.Transfers)
		})
	}
}
