package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"bricstown/internal/audit"
	"bricstown/internal/identity"
	"bricstown/internal/ledger"
	"bricstown/internal/pgtest"
	"bricstown/internal/sqlstore"

	"github.com/google/uuid"
)

// TestTwoServersOnOnePostgres runs two `bricstown serve` processes on one
// PostgreSQL database and drains the same accounts through both at once:
// no account with a no-overdraft limit goes below zero, exactly as many
// drains succeed as the money allows, and the ledger verifies.
func TestTwoServersOnOnePostgres(t *testing.T) {
	dsn := pgtest.URL(t)
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
	org, _ := ids.CreateOrg(ctx, nil, identity.NewOrg{Name: "Two Servers", Kind: identity.KindCompany, Country: "AE", RegID: "TWOSRV01"})
	u, _ := ids.CreateUser(ctx, nil, org.ID, identity.NewUser{Email: "two@servers.ae", Name: "T", Password: "two-servers-pw", Roles: []identity.Role{identity.Trader, identity.OrgAdmin}})
	_, token, err := ids.CreateToken(ctx, &identity.Principal{UserID: u.ID, OrgID: org.ID, Roles: u.Roles, Via: "session"}, org.ID, identity.NewToken{Name: "t", Roles: []identity.Role{identity.Trader}})
	if err != nil {
		t.Fatal(err)
	}
	// Ten funded accounts of 50.00 each draining into one sink.
	sink := uuid.Must(uuid.NewV7())
	issuer := uuid.Must(uuid.NewV7())
	accts := []ledger.Account{{ID: sink, OrgID: org.ID, Currency: "KZT", Kind: ledger.Liability, Code: "sink"}, {ID: issuer, OrgID: "bank", Currency: "KZT", Kind: ledger.Asset, Code: "issuer", Flags: ledger.Issuer | ledger.System, Limit: ledger.Unlimited}}
	var funded []ledger.ID
	var funding []ledger.Transfer
	for i := 0; i < 10; i++ {
		id := uuid.Must(uuid.NewV7())
		funded = append(funded, id)
		accts = append(accts, ledger.Account{ID: id, OrgID: org.ID, Currency: "KZT", Kind: ledger.Liability, Code: "ops", Flags: ledger.DebitsMustNotExceedCredits})
		funding = append(funding, ledger.Transfer{ID: uuid.Must(uuid.NewV7()), DebitAccount: issuer, CreditAccount: id, Amount: 50_00})
	}
	if err := db.CreateAccounts(ctx, accts, audit.Record{ActorUser: "test"}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.CreateTransfers(ctx, funding, ledger.BatchOptions{}); err != nil {
		t.Fatal(err)
	}
	_, url1, _ := startChild(t, dsn)
	_, url2, _ := startChild(t, dsn)
	var ok, refused atomic.Int64
	var wg sync.WaitGroup
	client := &http.Client{Timeout: 20 * time.Second}
	for w := 0; w < 16; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			url := url1
			if w%2 == 1 {
				url = url2
			}
			for i := 0; i < 40; i++ {
				from := funded[(w+i)%len(funded)]
				body := fmt.Sprintf(`{"transfers":[{"id":%q,"debit_account_id":%q,"credit_account_id":%q,"amount":"1.00","currency":"KZT"}]}`,
					uuid.Must(uuid.NewV7()), from, sink)
				req, _ := http.NewRequest("POST", url+"/api/v1/ledger/transfers", strings.NewReader(body))
				req.Header.Set("Authorization", "Bearer "+token)
				req.Header.Set("Content-Type", "application/json")
				resp, err := client.Do(req)
				if err != nil {
					t.Error(err)
					return
				}
				b, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				switch {
				case strings.Contains(string(b), `"result":"ok"`):
					ok.Add(1)
				case strings.Contains(string(b), `"result":"exceeds_credits"`):
					refused.Add(1)
				default:
					t.Errorf("unexpected answer %d: %s", resp.StatusCode, b)
					return
				}
			}
		}(w)
	}
	wg.Wait()
	// 10 accounts × 50.00 = 500 drains of 1.00 possible, 640 attempted.
	if ok.Load() != 500 || refused.Load() != 140 {
		t.Fatalf("%d drains succeeded, %d refused; want 500 and 140", ok.Load(), refused.Load())
	}
	rep, err := db.Verify(ctx)
	if err != nil || len(rep.Problems) > 0 {
		t.Fatalf("ledger verify: %v %v", rep.Problems, err)
	}
	for _, id := range funded {
		if a, _ := db.GetAccount(ctx, id); a.Balance() != 0 {
			t.Fatalf("account %s ends at %d", id, a.Balance())
		}
	}
}
