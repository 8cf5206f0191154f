package main

import (
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"bricstown/internal/audit"
	"bricstown/internal/ledger"
	"bricstown/internal/pgtest"

	"github.com/google/uuid"
)

// attackClient calls one of the two servers as an organisation's token.
type attackClient struct {
	t     *testing.T
	token string
	http  *http.Client
}

type transferResult struct {
	Result   string `json:"result"`
	Transfer *struct {
		ID string `json:"id"`
	} `json:"transfer"`
}

func (c attackClient) transfers(base string, trs ...map[string]any) []transferResult {
	c.t.Helper()
	b, _ := json.Marshal(map[string]any{"transfers": trs})
	req, _ := http.NewRequest("POST", base+"/api/v1/ledger/transfers", strings.NewReader(string(b)))
	req.Header.Set("Authorization", "Bearer "+c.token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.http.Do(req)
	if err != nil {
		c.t.Error(err)
		return nil
	}
	defer resp.Body.Close()
	var out struct {
		Results []transferResult `json:"results"`
	}
	if resp.StatusCode != 200 || json.NewDecoder(resp.Body).Decode(&out) != nil || len(out.Results) != len(trs) {
		c.t.Errorf("transfers: %d", resp.StatusCode)
		return nil
	}
	return out.Results
}

// TestTwoServersAttacks runs attacks of issue 8 against two `serve`
// processes on one PostgreSQL database at once: the same client id sent to
// both moves money once; a payee occupying the expiry voids' ids through
// one server while both servers' sweepers release the reservations leaves
// each released exactly once; an account with nothing in it pays nothing
// however many requests race through both servers. Afterwards the ledger
// verifies and no account but the issuer's is below zero.
func TestTwoServersAttacks(t *testing.T) {
	dsn := pgtest.URL(t)
	town := openLedgerTown(t, dsn)
	ctx, db := town.ctx, town.db
	payerOrg, payerTok := town.trader("Attack Payer", "ATKPAY01")
	payeeOrg, payeeTok := town.trader("Attack Payee", "ATKPEE01")
	payer, payee := town.accounts(payerOrg, 1, 1000_00)[0], town.accounts(payeeOrg, 1, 1000_00)[0]
	_, url1, _ := startChild(t, dsn)
	_, url2, _ := startChild(t, dsn)
	servers := []string{url1, url2}
	hc := &http.Client{Timeout: 30 * time.Second}
	pc, qc := attackClient{t, payerTok, hc}, attackClient{t, payeeTok, hc}

	// 1. One client id sent to both servers at once moves money once.
	var wg sync.WaitGroup
	var mu sync.Mutex
	okCount := 0
	clientIDs := make([]string, 40)
	for i := range clientIDs {
		clientIDs[i] = uuid.Must(uuid.NewV7()).String()
		for _, base := range servers {
			wg.Add(1)
			go func(id, base string) {
				defer wg.Done()
				r := pc.transfers(base, map[string]any{"id": id, "debit_account_id": payer.String(), "credit_account_id": payee.String(), "amount": "1.00", "currency": "KZT"})
				mu.Lock()
				defer mu.Unlock()
				if len(r) == 1 && r[0].Result == "ok" {
					okCount++
				} else if len(r) == 1 && r[0].Result != "exists" {
					t.Errorf("duplicate id %s: %s", id, r[0].Result)
				}
			}(clientIDs[i], base)
		}
	}
	wg.Wait()
	if okCount != len(clientIDs) {
		t.Fatalf("%d of %d ids created, each sent twice", okCount, len(clientIDs))
	}
	if a, _ := db.GetAccount(ctx, payer); a.CreditsPosted-a.DebitsPosted != 1000_00-int64(len(clientIDs))*100 {
		t.Fatalf("payer balance %d", a.CreditsPosted-a.DebitsPosted)
	}

	// 2. Reservations to the payee through server 1; the payee occupies
	// every expiry void's id through server 2; both sweepers release.
	var pend []map[string]any
	for i := 0; i < 100; i++ {
		pend = append(pend, map[string]any{"id": uuid.Must(uuid.NewV7()).String(), "debit_account_id": payer.String(), "credit_account_id": payee.String(),
			"amount": "1.00", "currency": "KZT", "pending": true, "timeout_seconds": 1})
	}
	res := pc.transfers(url1, pend...)
	var occupy []map[string]any
	var ledgerIDs []uuid.UUID
	for i, r := range res {
		if r.Result != "ok" || r.Transfer == nil {
			t.Fatalf("reservation %d: %+v", i, r)
		}
		id := uuid.MustParse(r.Transfer.ID)
		ledgerIDs = append(ledgerIDs, id)
		occupy = append(occupy, map[string]any{"id": uuid.NewSHA1(id, []byte("expire")).String(), "debit_account_id": payee.String(),
			"credit_account_id": payer.String(), "amount": "0.01", "currency": "KZT"})
	}
	for i, r := range qc.transfers(url2, occupy...) {
		if r.Result != "ok" {
			t.Fatalf("occupying void %d: %s", i, r.Result)
		}
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		a, err := db.GetAccount(ctx, payer)
		if err != nil {
			t.Fatal(err)
		}
		if a.DebitsPending == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("reservations not released: %d pending", a.DebitsPending)
		}
		time.Sleep(100 * time.Millisecond) // the sweepers signal nothing to a client
	}
	for _, id := range ledgerIDs {
		v, err := db.GetTransfer(ctx, uuid.NewSHA1(id, []byte("expire")))
		if err != nil || v.Flags&ledger.Expired == 0 || v.PendingID != id {
			t.Fatalf("expiry void of %s: %+v %v", id, v, err)
		}
	}

	// 3. An account with nothing in it, drained through both servers at once.
	empty := uuid.Must(uuid.NewV7())
	if err := db.CreateAccounts(ctx, []ledger.Account{{ID: empty, OrgID: payerOrg, Currency: "KZT", Kind: ledger.Asset, Code: "no-limit"}}, audit.Record{ActorUser: "test"}); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 20; i++ {
		wg.Add(1)
		go func(base string) {
			defer wg.Done()
			for _, r := range pc.transfers(base, map[string]any{"id": uuid.Must(uuid.NewV7()).String(), "debit_account_id": empty.String(),
				"credit_account_id": payee.String(), "amount": "1000000000.00", "currency": "KZT"}) {
				if r.Result != "exceeds_credits" {
					t.Errorf("paying out of an account with nothing in it: %s", r.Result)
				}
			}
		}(servers[i%2])
	}
	wg.Wait()

	rep, err := db.Verify(ctx)
	if err != nil || len(rep.Problems) > 0 {
		t.Fatalf("ledger verify: %v %v", rep.Problems, err)
	}
	all, err := db.ListAccounts(ctx, "", 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range all {
		if a.Flags&ledger.Issuer == 0 && a.DebitsPending+a.DebitsPosted > a.CreditsPosted {
			t.Errorf("account %s below zero: %+v", a.ID, a)
		}
	}
	if a, _ := db.GetAccount(ctx, payee); a.CreditsPosted-a.DebitsPosted != 1000_00+int64(len(clientIDs))*100-100 {
		t.Errorf("payee balance %d", a.CreditsPosted-a.DebitsPosted)
	}
}
