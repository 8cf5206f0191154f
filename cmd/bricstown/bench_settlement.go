package main

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"time"

	"bricstown/internal/audit"
	"bricstown/internal/identity"
	"bricstown/internal/ledger"
	"bricstown/internal/platform"
	"bricstown/internal/settlement"

	"github.com/google/uuid"
)

// benchSettlement queues instructions among participants in several
// currencies and times one settlement cycle over all of them: reading the
// queue, netting, posting through the ledger and recording the cycle.
func benchSettlement(ctx context.Context, e *env, args []string) error {
	f := newFlags(e, "bench settlement", "bench settlement [flags]")
	dsn := f.string("db", "BRICSTOWN_BENCH_DB", "", "database (default: a fresh SQLite file); a postgres:// URL must name an empty database")
	nIns := f.int("instructions", "BRICSTOWN_BENCH_INSTRUCTIONS", 1000000, "queued instructions")
	nPart := f.int("participants", "BRICSTOWN_BENCH_PARTICIPANTS", 200, "participant banks")
	nCcy := f.int("currencies", "BRICSTOWN_BENCH_CURRENCIES", 10, "currencies (at most 10)")
	asJSON := f.bool("json", "BRICSTOWN_BENCH_JSON", false, "print one JSON object")
	cpuProfile := cpuProfileFlag(f)
	if err := f.parse(args); err != nil {
		return err
	}
	all := []string{"KZT", "CNY", "RUB", "INR", "BRL", "ZAR", "AED", "EGP", "IDR", "MYR"}
	if *nCcy < 1 || *nCcy > len(all) {
		return usageError{"--currencies must be 1 to 10"}
	}
	ccys := all[:*nCcy]
	// The platform as serve assembles it (internal/platform), over a fresh
	// database; the bench adds its own town of banks.
	p, cleanup, err := benchPlatform(ctx, *dsn, "Bench Settlement Centre")
	if err != nil {
		return err
	}
	defer cleanup()
	db, ids, svc := p.DB, p.Identity, p.Settlement
	centre, err := ids.CreateOrg(ctx, nil, identity.NewOrg{Name: "Bench Settlement Centre", Kind: identity.KindBank, Country: "AE", RegID: "BENCHCENTRE"})
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stderr, "bench settlement: %d participants, %d currencies…\n", *nPart, len(ccys))
	issuance := map[string]ledger.ID{}
	var accts []ledger.Account
	for _, c := range ccys {
		issuance[c] = uuid.Must(uuid.NewV7())
		accts = append(accts, ledger.Account{ID: issuance[c], OrgID: centre.ID, Currency: c, Kind: ledger.Asset, Code: "issuance",
			Flags: ledger.Issuer | ledger.System, Limit: ledger.Unlimited})
	}
	rows := make([]int64, *nPart)
	var funding []ledger.Transfer
	for i := 0; i < *nPart; i++ {
		org, err := ids.CreateOrg(ctx, nil, identity.NewOrg{Name: fmt.Sprintf("Bench Bank %d", i), Kind: identity.KindBank, Country: "AE", RegID: fmt.Sprintf("BENCHBANK%04d", i)})
		if err != nil {
			return err
		}
		lines := map[string]string{}
		for _, c := range ccys {
			lines[c] = "1000000.00"
			id := uuid.Must(uuid.NewV7())
			accts = append(accts, ledger.Account{ID: id, OrgID: org.ID, Currency: c, Kind: ledger.Liability, Code: settlement.SettlementCode})
			funding = append(funding, ledger.Transfer{ID: uuid.Must(uuid.NewV7()), DebitAccount: issuance[c], CreditAccount: id, Amount: 20_000_000_00})
		}
		bic := fmt.Sprintf("BK%c%cAE22", 'A'+i/26%26, 'A'+i%26)
		p, err := svc.RegisterParticipant(ctx, nil, settlement.ParticipantInput{OrgID: org.ID, BIC: bic, CreditLines: lines})
		if err != nil {
			return err
		}
		rows[i] = p.Row
	}
	if err := db.CreateAccounts(ctx, accts, audit.Record{ActorUser: "bench"}); err != nil {
		return err
	}
	if _, err := db.CreateTransfers(ctx, funding, ledger.BatchOptions{}); err != nil {
		return err
	}
	// The queue: mostly same-currency trade payments, one in ten credited
	// in another currency.
	rng := rand.New(rand.NewPCG(3, 5))
	start := time.Now()
	today := time.Now().UTC().Truncate(24 * time.Hour)
	batch := make([]settlement.Instruction, 0, 8000)
	for done := 0; done < *nIns; {
		batch = batch[:0]
		for len(batch) < 8000 && done+len(batch) < *nIns {
			p, q := rng.IntN(*nPart), rng.IntN(*nPart-1)
			if q >= p {
				q++
			}
			c := ccys[rng.IntN(len(ccys))]
			pc := c
			if rng.IntN(10) == 0 {
				pc = ccys[rng.IntN(len(ccys))]
			}
			batch = append(batch, settlement.Instruction{EndToEndID: fmt.Sprintf("B%08d", done+len(batch)), PayerRow: rows[p], PayeeRow: rows[q],
				Amount: int64(100 + rng.IntN(10_000_000)), Currency: c, PayeeCurrency: pc, ValueDate: today, Source: "bench", CreatedAt: start})
		}
		if _, err := db.SubmitInstructions(ctx, batch, audit.Record{ActorUser: "bench", Action: "settlement.instructions"}); err != nil {
			return err
		}
		done += len(batch)
		if done%200000 == 0 || done == *nIns {
			fmt.Fprintf(e.stderr, "\rbench settlement: queued %d/%d instructions (%.0f/s)   ", done, *nIns, float64(done)/time.Since(start).Seconds())
		}
	}
	queued := time.Since(start)
	fmt.Fprintf(e.stderr, "\nbench settlement: running the cycle…\n")
	// The profile, when asked for, covers the cycle alone.
	stopProfile, err := startCPUProfile(*cpuProfile)
	if err != nil {
		return err
	}
	t0 := time.Now()
	c, err := svc.RunCycle(ctx, audit.Record{ActorUser: "bench"})
	stopProfile()
	if err != nil {
		return err
	}
	cycle := time.Since(t0)
	rep, err := db.Verify(ctx)
	if err != nil {
		return err
	}
	if len(rep.Problems) > 0 {
		return fmt.Errorf("ledger verify after the cycle: %v", rep.Problems)
	}
	out := map[string]any{"scenario": "settlement", "engine": string(db.Engine), "instructions": *nIns, "participants": *nPart, "currencies": len(ccys),
		"cycle_seconds": round3(cycle.Seconds()), "netting_ms": c.Report.NettingMillis, "liquidity_saving_pct": float64(c.Report.LiquiditySavingBps) / 100,
		"settled": c.Report.Settled, "deferred": c.Report.Deferred, "settlement_transfers": c.Report.SettlementTransfers,
		"queue_seconds": round3(queued.Seconds()), "cost_saving_pct": float64(c.Report.Cost.SavingBps) / 100, "ledger_verified": true}
	if *asJSON {
		return json.NewEncoder(e.stdout).Encode(out)
	}
	fmt.Fprintf(e.stdout, "settlement %s: %d instructions, %d participants, %d currencies: cycle %.2fs (netting %.0f ms), %d settlement transfers, liquidity saving %.2f%%, deferred %d\n",
		db.Engine, *nIns, *nPart, len(ccys), cycle.Seconds(), c.Report.NettingMillis, c.Report.SettlementTransfers, float64(c.Report.LiquiditySavingBps)/100, c.Report.Deferred)
	return nil
}

// benchPlatform assembles the platform over dsn (a fresh SQLite file when
// empty), which must hold no ledger transfers yet.
func benchPlatform(ctx context.Context, dsn, centreOrg string) (*platform.Platform, func(), error) {
	cleanup := func() {}
	if dsn == "" {
		dir, err := os.MkdirTemp("", "bricstown-bench-*")
		if err != nil {
			return nil, nil, err
		}
		dsn = filepath.Join(dir, "bench.db")
		cleanup = func() { os.RemoveAll(dir) }
	}
	p, err := platform.Open(ctx, platform.Config{DSN: dsn, CentreOrg: centreOrg})
	if err != nil {
		cleanup()
		return nil, nil, err
	}
	if empty, err := p.Ledger.Empty(ctx); err != nil || !empty {
		p.Close()
		cleanup()
		return nil, nil, fmt.Errorf("bench: the database must be empty (%v)", err)
	}
	return p, func() { p.Close(); cleanup() }, nil
}
