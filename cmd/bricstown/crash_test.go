package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"bricstown/internal/audit"
	"bricstown/internal/identity"
	"bricstown/internal/ledger"
	"bricstown/internal/pgtest"
	"bricstown/internal/sqlstore"

	"github.com/google/uuid"
)

const crashChildEnv = "BRICSTOWN_CRASH_CHILD_ARGS"

// startChild runs `bricstown serve` in a child process (this test binary,
// re-executed) and waits until it listens.
func startChild(t *testing.T, dsn string) (*exec.Cmd, string, *syncBuffer) {
	t.Helper()
	addrFile := filepath.Join(t.TempDir(), "addr")
	args := []string{"bricstown", "serve", "--addr", "127.0.0.1:0", "--addr-file", addrFile, "--db", dsn, "--log-level", "warn"}
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), crashChildEnv+"="+strings.Join(args, "\x1f"))
	out := &syncBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	for i := 0; i < 600; i++ {
		if b, err := os.ReadFile(addrFile); err == nil && len(b) > 0 {
			return cmd, "http://" + string(b), out
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("child server did not start:\n%s", out.String())
	return nil, "", nil
}

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
			ctx := context.Background()
			db, err := sqlstore.Open(ctx, dsn, nil)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := db.Migrate(ctx); err != nil {
				t.Fatal(err)
			}
			ids := identity.NewService(db, identity.Config{})
			org, err := ids.CreateOrg(ctx, nil, identity.NewOrg{Name: "Crash Test Trading", Kind: identity.KindCompany, Country: "AE", RegID: "CRASH001"})
			if err != nil {
				t.Fatal(err)
			}
			u, err := ids.CreateUser(ctx, nil, org.ID, identity.NewUser{Email: "crash@test.ae", Name: "C", Password: "crash-test-pw-1", Roles: []identity.Role{identity.Trader, identity.OrgAdmin}})
			if err != nil {
				t.Fatal(err)
			}
			_, token, err := ids.CreateToken(ctx, &identity.Principal{UserID: u.ID, OrgID: org.ID, Roles: u.Roles, Via: "session"}, org.ID, identity.NewToken{Name: "load", Roles: []identity.Role{identity.Trader}})
			if err != nil {
				t.Fatal(err)
			}
			const nAcct = 50
			accts := make([]ledger.Account, nAcct)
			for i := range accts {
				accts[i] = ledger.Account{ID: uuid.Must(uuid.NewV7()), OrgID: org.ID, Currency: "KZT", Kind: ledger.Liability, Code: "ops", CreatedAt: time.Now()}
				accts[i].Flags = ledger.DebitsMustNotExceedCredits
			}
			// Account 0 is funded by a bank's issuer account: only issuers
			// create money.
			issuer := ledger.Account{ID: uuid.Must(uuid.NewV7()), OrgID: "bank", Currency: "KZT", Kind: ledger.Liability, Code: "issuance",
				Flags: ledger.Issuer | ledger.System, Limit: ledger.Unlimited, CreatedAt: time.Now()}
			if err := db.CreateAccounts(ctx, append(accts, issuer), audit.Record{ActorUser: "test"}); err != nil {
				t.Fatal(err)
			}
			if res, err := db.CreateTransfers(ctx, []ledger.Transfer{{ID: uuid.Must(uuid.NewV7()), DebitAccount: issuer.ID, CreditAccount: accts[0].ID, Amount: 1e15}},
				ledger.BatchOptions{System: true}); err != nil || res[0].Code != ledger.OK {
				t.Fatal(res, err)
			}
			db.Close()

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
						// A linked pair: the issuer (account 0, no limit) pays
						// a, and a pays b the same amount at once; the second
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
							id, accts[0].ID, accts[a].ID, amt, uuid.Must(uuid.NewV7()).String(), accts[a].ID, accts[b].ID, amt)
						req, _ := http.NewRequest("POST", url+"/api/v1/ledger/transfers", strings.NewReader(body))
						req.Header.Set("Authorization", "Bearer "+token)
						req.Header.Set("Content-Type", "application/json")
						resp, err := client.Do(req)
						if err != nil {
							// The server died (or a connection was reset):
							// keep trying until the test says stop.
							time.Sleep(20 * time.Millisecond)
							continue
						}
						reply, _ := io.ReadAll(resp.Body)
						resp.Body.Close()
						if resp.StatusCode == 200 && strings.Count(string(reply), `"result":"ok"`) == 2 {
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
					child.Process.Signal(syscall.SIGQUIT)
					time.Sleep(time.Second)
					close(stop)
					t.Fatalf("the server stalled after %d acknowledged transfers; its goroutines:\n%s", n, childOut.String())
				}
			}
			if err := child.Process.Signal(syscall.SIGKILL); err != nil {
				t.Fatal(err)
			}
			child.Wait()
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
			child2.Process.Signal(syscall.SIGTERM)
			child2.Wait()

			db, err = sqlstore.Open(ctx, dsn, nil)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			for _, id := range acked {
				tid := ledger.ScopedID(org.ID, uuid.MustParse(id)) // the client's id, as the ledger scopes it
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
