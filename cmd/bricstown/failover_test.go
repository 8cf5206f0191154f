package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"bricstown/internal/ledger"
	"bricstown/internal/pgtest"
	"bricstown/internal/sqlstore"

	"github.com/google/uuid"
)

// TestFailoverToSynchronousStandby runs serve on a PostgreSQL primary with a
// synchronous standby, through the multi-host connection string
// (target_session_attrs=read-write), under a load of linked transfer pairs
// from clients that do what docs/API.md tells them: retry a 5xx or a lost
// answer with the same ids. Mid-load the primary's machine dies (SIGKILL to
// every process of it) and the standby is promoted; serve keeps running and
// finds the new primary by itself. The test proves that:
//   - no client ever got 500 internal: the outage answered 503 unavailable
//     or outcome_unknown, with Retry-After, and /readyz said unready;
//   - every acknowledged transfer is on the new primary, and nothing is
//     there twice or half: the stored transfers are exactly the funding
//     transfer plus both legs of every acknowledged pair;
//   - ledger verify passes on the new primary.
func TestFailoverToSynchronousStandby(t *testing.T) {
	pair := pgtest.StartPair(t)
	dsn := pair.URL()
	ctx := context.Background()
	town := openLedgerTown(t, dsn)
	org, token := town.trader("Failover Trading", "FAILOVER1")
	accts := town.accounts(org, 20, 0)
	town.fund(1e15, accts[0])

	_, url, childOut := startChild(t, dsn)

	type outcome struct {
		status int
		code   string
	}
	var (
		mu          sync.Mutex
		acked       [][2]uuid.UUID // both client ids of each acknowledged pair
		answers     = map[outcome]int{}
		noRetry     int // 503 without Retry-After
		existsSeen  int // retries that found their pair already applied
		ackedAtKill int
	)
	stop := make(chan struct{})
	var aborted atomic.Bool
	var wg sync.WaitGroup
	// fail stops the load before failing, so no worker outlives the test.
	fail := func(format string, args ...any) {
		t.Helper()
		aborted.Store(true)
		close(stop)
		wg.Wait()
		t.Fatalf(format, args...)
	}
	client := &http.Client{Timeout: 15 * time.Second}
	const workers = 8
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				a, b := 1+(w+i)%(len(accts)-1), 1+(w*7+i*3)%(len(accts)-1)
				if a == b {
					b = 1 + b%(len(accts)-1)
				}
				ids := [2]uuid.UUID{uuid.Must(uuid.NewV7()), uuid.Must(uuid.NewV7())}
				amt := 1 + i%40
				body := fmt.Sprintf(`{"transfers":[{"id":%q,"debit_account_id":%q,"credit_account_id":%q,"amount":"%d.00","currency":"KZT","linked":true},
					{"id":%q,"debit_account_id":%q,"credit_account_id":%q,"amount":"%d.00","currency":"KZT"}]}`,
					ids[0], accts[0], accts[a], amt, ids[1], accts[a], accts[b], amt)
				// The same request, with the same ids, until it is answered:
				// a pair is finished before the worker stops, so every pair a
				// worker started is either acknowledged or was never sent.
				for attempt := 0; ; attempt++ {
					if aborted.Load() {
						return
					}
					if attempt > 200 {
						t.Errorf("worker %d: pair %s not answered after 200 attempts", w, ids[0])
						return
					}
					req, _ := http.NewRequest("POST", url+"/api/v1/ledger/transfers", strings.NewReader(body))
					req.Header.Set("Authorization", "Bearer "+token)
					req.Header.Set("Content-Type", "application/json")
					resp, err := client.Do(req)
					if err != nil {
						time.Sleep(50 * time.Millisecond) // lost answer: retry the same
						continue
					}
					reply, _ := io.ReadAll(resp.Body)
					resp.Body.Close()
					var p struct {
						Code    string `json:"code"`
						Results []struct {
							Result string `json:"result"`
						} `json:"results"`
					}
					json.Unmarshal(reply, &p)
					mu.Lock()
					answers[outcome{resp.StatusCode, p.Code}]++
					if resp.StatusCode == 503 && resp.Header.Get("Retry-After") == "" {
						noRetry++
					}
					mu.Unlock()
					if resp.StatusCode >= 500 {
						// Retry-After is whole seconds; the test waits less to
						// keep it short, which a real client need not do.
						time.Sleep(100 * time.Millisecond)
						continue
					}
					if resp.StatusCode != 200 || len(p.Results) != 2 {
						t.Errorf("worker %d: %d %s", w, resp.StatusCode, reply)
						return
					}
					for _, r := range p.Results {
						if r.Result != "ok" && r.Result != "exists" {
							t.Errorf("worker %d: pair %s answered %s", w, ids[0], reply)
							return
						}
					}
					mu.Lock()
					acked = append(acked, ids)
					if p.Results[0].Result == "exists" {
						existsSeen++
					}
					mu.Unlock()
					break
				}
			}
		}(w)
	}
	waitAcked := func(n int, what string) {
		t.Helper()
		for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(20 * time.Millisecond) {
			mu.Lock()
			got := len(acked)
			mu.Unlock()
			if got >= n {
				return
			}
			if time.Now().After(deadline) {
				fail("%s: only %d pairs acknowledged; serve said:\n%s", what, got, childOut.String())
			}
		}
	}
	waitAcked(300, "before the failover")

	pair.Primary.Kill()
	killedAt := time.Now()
	mu.Lock()
	ackedAtKill = len(acked)
	mu.Unlock()
	// The outage is seen by clients before the standby takes over.
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		mu.Lock()
		n := answers[outcome{503, "unavailable"}] + answers[outcome{503, "outcome_unknown"}]
		seen := fmt.Sprint(answers)
		mu.Unlock()
		if n > 0 {
			break
		}
		if time.Now().After(deadline) {
			fail("no client was told of the outage with 503 unavailable or outcome_unknown; answers: %s", seen)
		}
	}
	if code, body := get(t, url+"/readyz"); code != 503 {
		t.Errorf("/readyz with the primary dead and the standby not promoted: %d %s", code, body)
	}
	pctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := pair.Standby.Promote(pctx); err != nil {
		fail("promote: %v", err)
	}
	promotedAt := time.Now()
	waitAcked(ackedAtKill+300, "after the promotion")
	recovered := time.Since(promotedAt)
	if code, body := get(t, url+"/readyz"); code != 200 {
		t.Errorf("/readyz on the new primary: %d %s\n%s", code, body, childOut.String())
	}
	close(stop)
	wg.Wait()

	mu.Lock()
	defer mu.Unlock()
	for o, n := range answers {
		switch {
		case o.status == 200:
		case o.status == 503 && (o.code == "unavailable" || o.code == "outcome_unknown"):
		default:
			t.Errorf("%d answers %d %q: an outage must answer 503 unavailable or outcome_unknown", n, o.status, o.code)
		}
	}
	if noRetry > 0 {
		t.Errorf("%d answers 503 without Retry-After", noRetry)
	}

	db, err := sqlstore.Open(ctx, pair.Standby.URL(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, ids := range acked {
		for _, id := range ids {
			if _, err := db.GetTransfer(ctx, ledger.ScopedID(org, id)); err != nil {
				t.Fatalf("acknowledged transfer %s is not on the new primary: %v", id, err)
			}
		}
	}
	rep, err := db.Verify(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Problems) > 0 {
		t.Fatalf("ledger verify on the new primary: %v", rep.Problems)
	}
	if want := int64(1 + 2*len(acked)); rep.Transfers != want {
		t.Fatalf("%d transfers on the new primary, want %d (the funding transfer and both legs of %d acknowledged pairs): lost or doubled",
			rep.Transfers, want, len(acked))
	}
	out, err := runCmd(t, "ledger", "verify", "--db", pair.Standby.URL())
	if err != nil || !strings.Contains(out, "ledger verified") {
		t.Fatalf("ledger verify command: %v\n%s", err, out)
	}
	t.Logf("%d pairs acknowledged (%d before the kill), %d found applied on retry; answers %v; promotion %v after the kill, 300 more pairs %v after it",
		len(acked), ackedAtKill, existsSeen, answers, promotedAt.Sub(killedAt).Round(time.Millisecond), recovered.Round(time.Millisecond))
}
