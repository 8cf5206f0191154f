package server

import (
	"context"
	"sync"
	"testing"

	"bricstown/internal/identity"
	"bricstown/internal/ledger"
)

// What an attacker tries on an expo: twenty concurrent allocations of one
// booth (to ten approved applications) and of twenty booths to one
// application, and twenty concurrent payments of one booth fee. A booth is
// given once, an application holds one booth, the fee is charged once; the
// ledger verifies and no funds account is below zero.
func TestAttackExpo(t *testing.T) {
	f := getFixture(t)
	org := f.token(t, apiExpo, identity.Organiser)
	kge := f.token(t, apiKGE, identity.Trader)
	id, booths := f.newExpo(t, 10)
	base := "/api/v1/expos/" + id
	companies := []string{apiKGE, apiSZD, "Siberian Energy Trading", "Cerrado Agro Exportadora", "Gujarat Textile Mills", "Cape Fruit Exporters",
		"Nile Cotton Company", "Sidamo Coffee Union", "Khorasan Saffron", "Gulf Dates Trading"}
	apps := make([]string, len(companies))
	for i, c := range companies {
		apps[i] = f.expoApproved(t, id, c)
	}
	race := func(n int, call func(i int) int) map[int]int {
		var mu sync.Mutex
		codes := map[int]int{}
		var wg sync.WaitGroup
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				st := call(i)
				mu.Lock()
				codes[st]++
				mu.Unlock()
			}()
		}
		wg.Wait()
		return codes
	}
	// One booth, twenty requests for ten applications: exactly one wins.
	codes := race(20, func(i int) int {
		return f.call(t, "POST", base+"/applications/"+apps[i%len(apps)]+"/allocate", org, map[string]any{"booth_id": booths[0]}).status
	})
	if codes[200] != 1 || codes[409] != 19 {
		t.Fatalf("20 allocations of one booth: %v", codes)
	}
	// One application (KGE's, if it did not win the first booth: the last
	// company's otherwise), ten booths, twenty requests: one booth.
	d := f.call(t, "GET", base, kge, nil).json(t)
	winner := d["booths"].([]any)[0].(map[string]any)["application_id"].(string)
	target := apps[0]
	if target == winner {
		target = apps[1]
	}
	codes = race(20, func(i int) int {
		return f.call(t, "POST", base+"/applications/"+target+"/allocate", org, map[string]any{"booth_id": booths[1+i%9]}).status
	})
	if codes[200] != 1 || codes[409] != 19 {
		t.Fatalf("20 allocations to one application: %v", codes)
	}
	given := map[string]int{}
	for _, b := range f.call(t, "GET", base, kge, nil).json(t)["booths"].([]any) {
		if a := b.(map[string]any)["application_id"]; a != nil && a != "" {
			given[a.(string)]++
		}
	}
	if len(given) != 2 || given[winner] != 1 || given[target] != 1 {
		t.Fatalf("booths given: %v", given)
	}
	// Twenty payments of one fee at once: charged once.
	payer, payTok := apiKGE, kge
	app := apps[0]
	if app != winner && app != target {
		t.Fatal("KGE has no booth")
	}
	acc := f.kztOperating(t, payer)
	fees, _ := f.db.AccountByCode(context.Background(), f.orgs[apiExpo].ID, "KZT", "expo_fees")
	before, feesBefore := f.ledgerAccount(t, acc.ID.String()), f.ledgerAccount(t, fees.ID.String())
	codes = race(20, func(int) int {
		return f.call(t, "POST", base+"/applications/"+app+"/pay", payTok, map[string]any{"pay_from": acc.ID.String()}).status
	})
	if codes[200] != 20 {
		t.Fatalf("20 payments: %v", codes)
	}
	after, feesAfter := f.ledgerAccount(t, acc.ID.String()), f.ledgerAccount(t, fees.ID.String())
	if before.Balance()-after.Balance() != 450_000_00 || feesAfter.Balance()-feesBefore.Balance() != 450_000_00 {
		t.Fatalf("charged %d, organiser got %d, want 450 000.00 once", before.Balance()-after.Balance(), feesAfter.Balance()-feesBefore.Balance())
	}
	ctx := context.Background()
	if rep, err := f.db.Verify(ctx); err != nil || len(rep.Problems) > 0 {
		t.Fatalf("ledger verify: %v %v", rep.Problems, err)
	}
	var row int64
	for {
		as, err := f.db.ListAccounts(ctx, "", row, 500)
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range as {
			row = a.Row
			if a.Flags&ledger.DebitsMustNotExceedCredits != 0 && a.CreditsPosted-a.DebitsPosted-a.DebitsPending < 0 {
				t.Errorf("account %s %s below zero", a.OrgID, a.Code)
			}
		}
		if len(as) < 500 {
			break
		}
	}
}
