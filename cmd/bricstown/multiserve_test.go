package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"bricstown/internal/audit"
	"bricstown/internal/ledger"
	"bricstown/internal/pgtest"

	"github.com/google/uuid"
)

// TestFourServersQueueOnTheLedgerHead is issue 13's first case: several
// `serve` processes on one PostgreSQL, every client hammering the same
// few accounts through all of them. Ledger batches from the processes
// overlap all the time; they must queue on the head row instead of
// failing, so no client gets a 5xx, nobody waits a second or more, exactly
// the drains the money allows succeed, and the ledger verifies. Meanwhile
// this process opens accounts (another writer of the ledger tables, and one
// that empties every server's account cache).
func TestFourServersQueueOnTheLedgerHead(t *testing.T) {
	const servers, workers, perWorker, nFunded = 4, 32, 25, 16
	dsn := pgtest.URL(t)
	town := openLedgerTown(t, dsn)
	ctx, db := town.ctx, town.db
	org, token := town.trader("Four Servers", "FOURSRV1")
	// nFunded accounts of 30.00 each, funded by an issuer, draining into
	// one sink in steps of 1.00: 480 drains possible, 800 attempted.
	sink := town.accounts(org, 1, 0)[0]
	funded := town.accounts(org, nFunded, 30_00)
	urls := make([]string, servers)
	for i := range urls {
		_, urls[i], _ = startChild(t, dsn)
	}

	var ok, refused, fiveXX atomic.Int64
	var maxLat atomic.Int64
	var wg sync.WaitGroup
	client := &http.Client{Timeout: 20 * time.Second}
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			url := urls[w%servers]
			for i := 0; i < perWorker; i++ {
				from := funded[(w+i)%len(funded)]
				body := fmt.Sprintf(`{"transfers":[{"id":%q,"debit_account_id":%q,"credit_account_id":%q,"amount":"1.00","currency":"KZT"}]}`,
					uuid.Must(uuid.NewV7()), from, sink)
				t0 := time.Now()
				code, reply, err := postTransfers(client, url, token, body)
				if err != nil {
					t.Error(err)
					return
				}
				if d := int64(time.Since(t0)); d > maxLat.Load() {
					for cur := maxLat.Load(); d > cur && !maxLat.CompareAndSwap(cur, d); cur = maxLat.Load() {
					}
				}
				switch {
				case code >= 500:
					fiveXX.Add(1)
					t.Errorf("server %d answered %d: %s", w%servers, code, reply)
				case strings.Contains(string(reply), `"result":"ok"`):
					ok.Add(1)
				case strings.Contains(string(reply), `"result":"exceeds_credits"`):
					refused.Add(1)
				default:
					t.Errorf("unexpected answer %d: %s", code, reply)
				}
			}
		}(w)
	}
	// Another writer, in this process, while the load runs.
	stop := make(chan struct{})
	opened := make(chan int)
	go func() {
		n := 0
		defer func() { opened <- n }()
		for {
			select {
			case <-stop:
				return
			default:
			}
			a := ledger.Account{ID: uuid.Must(uuid.NewV7()), OrgID: org, Currency: "KZT", Kind: ledger.Liability, Code: "late"}
			if err := db.CreateAccounts(ctx, []ledger.Account{a}, audit.Record{ActorUser: "test"}); err != nil {
				t.Errorf("open an account during the load: %v", err)
				return
			}
			n++
		}
	}()
	wg.Wait()
	close(stop)
	n := <-opened
	t.Logf("%d servers: %d drains ok, %d refused, %d 5xx, slowest answer %v; %d accounts opened meanwhile",
		servers, ok.Load(), refused.Load(), fiveXX.Load(), time.Duration(maxLat.Load()), n)
	if fiveXX.Load() != 0 {
		t.Fatalf("%d answers were 5xx", fiveXX.Load())
	}
	if want := int64(nFunded * 30); ok.Load() != want || refused.Load() != workers*perWorker-want {
		t.Fatalf("%d drains succeeded, %d refused; want %d and %d", ok.Load(), refused.Load(), want, workers*perWorker-want)
	}
	if d := time.Duration(maxLat.Load()); d >= time.Second {
		t.Fatalf("a client waited %v (a stall)", d)
	}
	if n == 0 {
		t.Fatal("no account was opened while the servers wrote")
	}
	rep, err := db.Verify(ctx)
	if err != nil || len(rep.Problems) > 0 {
		t.Fatalf("ledger verify: %v %v", rep.Problems, err)
	}
	if err := db.EachAudit(ctx, audit.NewVerifier().Check); err != nil {
		t.Fatalf("audit chain: %v", err)
	}
	for _, id := range funded {
		if a, _ := db.GetAccount(ctx, id); a.Balance() != 0 {
			t.Fatalf("account %s ends at %d", id, a.Balance())
		}
	}
	if a, _ := db.GetAccount(ctx, sink); a.Balance() != nFunded*30_00 {
		t.Fatalf("the sink holds %d, want %d", a.Balance(), nFunded*30_00)
	}
}

// TestBenchLedgerProcesses runs `bench ledger --scenario http --processes 2`
// (the children are this test binary acting as `serve`) and checks the
// JSON it reports.
func TestBenchLedgerProcesses(t *testing.T) {
	dsn := pgtest.URL(t)
	var out, errOut bytes.Buffer
	err := run(context.Background(), []string{"bricstown", "bench", "ledger", "--scenario", "http", "--processes", "2", "--db", dsn,
		"--accounts", "50", "--transfers", "600", "--concurrency", "8", "--json"}, func(string) string { return "" }, strings.NewReader(""), &out, &errOut)
	if err != nil {
		t.Fatalf("%v\n%s", err, errOut.String())
	}
	var r map[string]any
	if err := json.Unmarshal(out.Bytes(), &r); err != nil {
		t.Fatalf("%v: %s", err, out.String())
	}
	t.Logf("%s", out.String())
	if r["processes"] != 2.0 || r["errors_5xx"] != 0.0 || r["verified"] != true {
		t.Fatalf("report: %s", out.String())
	}
	if tps, _ := r["transfers_per_second"].(float64); tps <= 0 {
		t.Fatalf("no throughput reported: %s", out.String())
	}
	if p99, _ := r["p99_ms"].(float64); p99 <= 0 {
		t.Fatalf("no p99 reported: %s", out.String())
	}
	per, _ := r["ok_per_process"].([]any)
	if len(per) != 2 || per[0].(float64)+per[1].(float64) != 600 || per[0].(float64) == 0 || per[1].(float64) == 0 {
		t.Fatalf("ok per process: %v", per)
	}
}
