package main

import (
	"context"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"bricstown/internal/audit"
	"bricstown/internal/identity"
	"bricstown/internal/ledger"
	"bricstown/internal/sqlstore"

	"github.com/google/uuid"
)

// The harness of the tests that run `serve` in child processes (crash,
// two and four servers, failover, the two-server attacks): a ledger town
// set up directly in the database before the children start, the
// children themselves, and one way to post transfers to them.

// ledgerTown is a migrated database with a bank's issuer account, from
// which test accounts are funded (only issuers create money).
type ledgerTown struct {
	t      *testing.T
	ctx    context.Context
	db     *sqlstore.DB
	ids    *identity.Service
	issuer ledger.ID
}

// openLedgerTown migrates dsn and opens the issuer account; the database
// is closed at the end of the test.
func openLedgerTown(t *testing.T, dsn string) *ledgerTown {
	t.Helper()
	ctx := context.Background()
	db, err := sqlstore.Open(ctx, dsn, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	lt := &ledgerTown{t: t, ctx: ctx, db: db, ids: identity.NewService(db, identity.Config{}), issuer: uuid.Must(uuid.NewV7())}
	if err := db.CreateAccounts(ctx, []ledger.Account{{ID: lt.issuer, OrgID: "bank", Currency: "KZT", Kind: ledger.Liability, Code: "issuance",
		Flags: ledger.Issuer | ledger.System, Limit: ledger.Unlimited}}, audit.Record{ActorUser: "test"}); err != nil {
		t.Fatal(err)
	}
	return lt
}

// trader registers a company with a trader and returns its id and an API
// token with the trader role.
func (lt *ledgerTown) trader(name, regID string) (orgID, token string) {
	lt.t.Helper()
	org, err := lt.ids.CreateOrg(lt.ctx, nil, identity.NewOrg{Name: name, Kind: identity.KindCompany, Country: "AE", RegID: regID})
	if err != nil {
		lt.t.Fatal(err)
	}
	u, err := lt.ids.CreateUser(lt.ctx, nil, org.ID, identity.NewUser{Email: strings.ToLower(regID) + "@test.ae", Name: name,
		Password: "harness-test-pw-1", Roles: []identity.Role{identity.Trader, identity.OrgAdmin}})
	if err != nil {
		lt.t.Fatal(err)
	}
	_, token, err = lt.ids.CreateToken(lt.ctx, &identity.Principal{UserID: u.ID, OrgID: org.ID, Roles: u.Roles, Via: "session"}, org.ID,
		identity.NewToken{Name: "test", Roles: []identity.Role{identity.Trader}})
	if err != nil {
		lt.t.Fatal(err)
	}
	return org.ID, token
}

// accounts opens n no-overdraft KZT accounts of org and funds each with
// amount minor units (none when amount is 0).
func (lt *ledgerTown) accounts(org string, n int, amount int64) []ledger.ID {
	lt.t.Helper()
	accts := make([]ledger.Account, n)
	ids := make([]ledger.ID, n)
	for i := range accts {
		ids[i] = uuid.Must(uuid.NewV7())
		accts[i] = ledger.Account{ID: ids[i], OrgID: org, Currency: "KZT", Kind: ledger.Liability, Code: "ops", Flags: ledger.DebitsMustNotExceedCredits}
	}
	if err := lt.db.CreateAccounts(lt.ctx, accts, audit.Record{ActorUser: "test"}); err != nil {
		lt.t.Fatal(err)
	}
	if amount > 0 {
		lt.fund(amount, ids...)
	}
	return ids
}

// fund pays amount from the issuer into each account.
func (lt *ledgerTown) fund(amount int64, to ...ledger.ID) {
	lt.t.Helper()
	trs := make([]ledger.Transfer, len(to))
	for i, id := range to {
		trs[i] = ledger.Transfer{ID: uuid.Must(uuid.NewV7()), DebitAccount: lt.issuer, CreditAccount: id, Amount: amount}
	}
	res, err := lt.db.CreateTransfers(lt.ctx, trs, ledger.BatchOptions{System: true})
	if err != nil {
		lt.t.Fatal(err)
	}
	for _, r := range res {
		if r.Code != ledger.OK {
			lt.t.Fatalf("funding refused: %s", r.Code)
		}
	}
}

// serveChildCommand runs this test binary as `bricstown <args>` (TestMain
// turns a child with crashChildEnv set into run).
func serveChildCommand(args []string) (*exec.Cmd, error) {
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), crashChildEnv+"="+strings.Join(append([]string{"bricstown"}, args...), "\x1f"))
	return cmd, nil
}

// startChild runs `bricstown serve` on dsn in a child process, waits until
// it listens and kills it at the end of the test. The child is waited for
// by its own goroutine: a test signals it and then waits on exited.
func startChild(t *testing.T, dsn string) (*serveChild, string, *lockedBuffer) {
	t.Helper()
	s, url, err := startServeChild(context.Background(), dsn, filepath.Join(t.TempDir(), "addr"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.cmd.Process.Kill(); <-s.exited })
	return s, url, &s.out
}

// postTransfers posts a JSON batch with the token and returns the status
// and body (err: no answer).
func postTransfers(client *http.Client, base, token, body string) (int, []byte, error) {
	return postJSON(context.Background(), client, base+"/api/v1/ledger/transfers", token, []byte(body))
}
