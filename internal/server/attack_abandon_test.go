package server

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"sync"
	"testing"
	"time"
)

// Attack 11: a client that sends transfers and hangs up at once, many at a
// time, at every moment of the batch (before it is taken, while it waits
// for the ledger head, while it writes), blocks nobody and loses nothing:
// another organisation's transfer is answered at once, and retrying the
// abandoned ids (as docs/API.md tells clients to) applies each exactly
// once, whether its first send was applied or not. (A batch that fails
// after claiming the head, which no client can cause through the API,
// is TestGatheredBatchFailureReleasesEverything's, in sqlstore.)
func attackAbandonedRequests(t *testing.T, w *attackWorld) {
	f := w.f
	sink := w.ownAccount(t, w.trader, "KZT", "sink")
	victimOwn := w.ownAccount(t, w.victim, "KZT", "reserve")
	before := f.balanceOf(t, w.trader, w.traderAcct, 2)
	const n = 40
	ids := make([]string, n)
	body := func(id string) []byte {
		b, _ := json.Marshal(map[string]any{"transfers": []map[string]any{{"id": id, "debit_account_id": w.traderAcct,
			"credit_account_id": sink, "amount": "1.00", "currency": "KZT"}}})
		return b
	}
	var wg sync.WaitGroup
	for i := range ids {
		ids[i] = v7()
		wg.Add(1)
		go func() {
			defer wg.Done()
			// From 0.1 to 4 ms: some give up before the server reads the
			// request, some while their batch is being written.
			ctx, cancel := context.WithTimeout(context.Background(), time.Duration(100+i*100)*time.Microsecond)
			defer cancel()
			req, _ := http.NewRequestWithContext(ctx, "POST", f.ts.URL+"/api/v1/ledger/transfers", bytes.NewReader(body(ids[i])))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Authorization", "Bearer "+w.trader)
			if resp, err := http.DefaultClient.Do(req); err == nil {
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
		}()
	}
	wg.Wait()

	// The victim's transfer is not kept waiting behind them.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	vb, _ := json.Marshal(map[string]any{"transfers": []map[string]any{{"id": v7(), "debit_account_id": w.victimAcc,
		"credit_account_id": victimOwn, "amount": "2.00", "currency": "KZT"}}})
	req, _ := http.NewRequestWithContext(ctx, "POST", f.ts.URL+"/api/v1/ledger/transfers", bytes.NewReader(vb))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+w.victim)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("the victim's transfer after the abandoned ones: %v", err)
	}
	var out struct {
		Results []struct {
			Result string `json:"result"`
		} `json:"results"`
	}
	err = json.NewDecoder(resp.Body).Decode(&out)
	resp.Body.Close()
	if err != nil || resp.StatusCode != 200 || len(out.Results) != 1 || out.Results[0].Result != "ok" {
		t.Fatalf("the victim's transfer: %d %+v %v", resp.StatusCode, out, err)
	}

	// Retried with the same ids, every abandoned transfer is applied once.
	applied := 0
	for _, id := range ids {
		r := f.call(t, "POST", "/api/v1/ledger/transfers", w.trader, body(id))
		switch got := results(t, r)[0]; got {
		case "exists":
			applied++ // before its client hung up, or after
		case "ok":
		default:
			t.Fatalf("retry of %s: %s", id, got)
		}
	}
	t.Logf("%d of the %d abandoned transfers had been applied", applied, n)
	if got := before - f.balanceOf(t, w.trader, w.traderAcct, 2); got != n*100 {
		t.Errorf("the attacker's account moved by %d, want %d", got, n*100)
	}
	if got := f.balanceOf(t, w.trader, sink, 2); got != n*100 {
		t.Errorf("the sink holds %d, want %d", got, n*100)
	}
	if rep, err := f.db.Verify(context.Background()); err != nil || len(rep.Problems) > 0 {
		t.Fatalf("ledger verify: %+v %v", rep.Problems, err)
	}
}
