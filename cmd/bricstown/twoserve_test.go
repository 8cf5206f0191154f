package main

import (
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"bricstown/internal/pgtest"

	"github.com/google/uuid"
)

// TestTwoServersOnOnePostgres runs two `bricstown serve` processes on one
// PostgreSQL database and drains the same accounts through both at once:
// no account with a no-overdraft limit goes below zero, exactly as many
// drains succeed as the money allows, and the ledger verifies.
func TestTwoServersOnOnePostgres(t *testing.T) {
	dsn := pgtest.URL(t)
	town := openLedgerTown(t, dsn)
	ctx, db := town.ctx, town.db
	org, token := town.trader("Two Servers", "TWOSRV01")
	// Ten funded accounts of 50.00 each draining into one sink.
	sink := town.accounts(org, 1, 0)[0]
	funded := town.accounts(org, 10, 50_00)
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
				code, reply, err := postTransfers(client, url, token, body)
				if err != nil {
					t.Error(err)
					return
				}
				switch {
				case strings.Contains(string(reply), `"result":"ok"`):
					ok.Add(1)
				case strings.Contains(string(reply), `"result":"exceeds_credits"`):
					refused.Add(1)
				default:
					t.Errorf("unexpected answer %d: %s", code, reply)
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
