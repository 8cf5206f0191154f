package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"runtime/pprof"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"bricstown/internal/audit"
	"bricstown/internal/ledger"
	"bricstown/internal/platform"
	"bricstown/internal/server"
	"bricstown/internal/sqlstore"

	"github.com/google/uuid"
)

func benchCmd(ctx context.Context, e *env, args []string) error {
	if len(args) == 0 {
		fmt.Fprintln(e.stderr, "Usage: bricstown bench <ledger|settlement|clearing|customs|dispatch|market|booking> [flags]")
		return usageError{"bench: name a benchmark"}
	}
	switch args[0] {
	case "ledger":
		return benchLedger(ctx, e, args[1:])
	case "clearing":
		return benchClearing(ctx, e, args[1:])
	case "settlement":
		return benchSettlement(ctx, e, args[1:])
	case "customs":
		return benchCustoms(ctx, e, args[1:])
	case "dispatch":
		return benchDispatch(ctx, e, args[1:])
	case "market":
		return benchMarket(ctx, e, args[1:])
	case "booking":
		return benchBooking(ctx, e, args[1:])
	}
	return usageError{fmt.Sprintf("bench: unknown benchmark %q", args[0])}
}

// benchResult is one line of --json output.
type benchResult struct {
	Scenario        string  `json:"scenario"`
	Engine          string  `json:"engine"`
	IDs             string  `json:"ids"`
	Accounts        int     `json:"accounts"`
	Transfers       int     `json:"transfers"`
	Batch           int     `json:"batch,omitempty"`
	Concurrency     int     `json:"concurrency,omitempty"`
	Seconds         float64 `json:"seconds"`
	TransfersPerSec float64 `json:"transfers_per_second"`
	P50ms           float64 `json:"p50_ms,omitempty"`
	P99ms           float64 `json:"p99_ms,omitempty"`
	SlowestBatchMs  float64 `json:"slowest_batch_ms,omitempty"`
	LastTenthPerSec float64 `json:"last_tenth_transfers_per_second,omitempty"`
	Verified        bool    `json:"verified"`
	// Set by the http scenario with --processes (bench_multi.go).
	Processes  int     `json:"processes,omitempty"`
	Errors5xx  *int    `json:"errors_5xx,omitempty"`
	MaxMs      float64 `json:"max_ms,omitempty"`
	PerProcess []int   `json:"ok_per_process,omitempty"`
}

func benchLedger(ctx context.Context, e *env, args []string) error {
	f := newFlags(e, "bench ledger", "bench ledger [flags]")
	dsn := f.string("db", "BRICSTOWN_BENCH_DB", "", "database (default: a fresh SQLite file in a temp dir); a postgres:// URL must name an empty database")
	accounts := f.int("accounts", "BRICSTOWN_BENCH_ACCOUNTS", 10000, "accounts to spread transfers over")
	transfers := f.int("transfers", "BRICSTOWN_BENCH_TRANSFERS", 1000000, "transfers to create")
	batch := f.int("batch", "BRICSTOWN_BENCH_BATCH", ledger.MaxBatch, "transfers per batch (batch scenario)")
	concurrency := f.int("concurrency", "BRICSTOWN_BENCH_CONCURRENCY", 64, "concurrent clients (http scenario)")
	scenario := f.string("scenario", "BRICSTOWN_BENCH_SCENARIO", "batch", "batch, http or all")
	ids := f.string("ids", "BRICSTOWN_BENCH_IDS", "v7", "transfer ids: v7 (time-ordered, recommended) or random")
	processes := f.int("processes", "BRICSTOWN_BENCH_PROCESSES", 0, "http scenario: run N `serve` child processes on --db and spread the clients over them (0: one server inside the benchmark)")
	asJSON := f.bool("json", "BRICSTOWN_BENCH_JSON", false, "print one JSON object per scenario")
	cpuProfile := cpuProfileFlag(f)
	if err := f.parse(args); err != nil {
		return err
	}
	stop, err := startCPUProfile(*cpuProfile)
	if err != nil {
		return err
	}
	defer stop()
	if *ids != "v7" && *ids != "random" {
		return usageError{"--ids must be v7 or random"}
	}
	run := func(sc string) error {
		p, cleanup, err := benchPlatform(ctx, *dsn, "")
		if err != nil {
			return err
		}
		defer cleanup()
		var r benchResult
		switch sc {
		case "batch":
			r, err = benchLedgerBatch(ctx, e.stderr, p.DB, *accounts, *transfers, *batch, *ids)
		case "http":
			if *processes > 0 {
				r, err = benchLedgerProcesses(ctx, e, p, *dsn, *processes, *accounts, *transfers, *concurrency, *ids)
				break
			}
			r, err = benchLedgerHTTP(ctx, e, p, *accounts, *transfers, *concurrency, *ids)
		default:
			return usageError{fmt.Sprintf("unknown scenario %q", sc)}
		}
		if err != nil {
			return err
		}
		rep, err := p.DB.Verify(ctx)
		if err != nil {
			return err
		}
		r.Verified = len(rep.Problems) == 0
		if !r.Verified {
			return fmt.Errorf("ledger verify after the benchmark: %v", rep.Problems)
		}
		if *asJSON {
			return json.NewEncoder(e.stdout).Encode(r)
		}
		fmt.Fprintf(e.stdout, "%-6s %-8s ids=%-6s %d transfers over %d accounts in %.2fs: %.0f transfers/s", r.Scenario, r.Engine, r.IDs,
			r.Transfers, r.Accounts, r.Seconds, r.TransfersPerSec)
		if r.P99ms > 0 {
			fmt.Fprintf(e.stdout, ", p50 %.2f ms, p99 %.2f ms", r.P50ms, r.P99ms)
		}
		if r.Errors5xx != nil {
			fmt.Fprintf(e.stdout, ", %d processes (ok per process %v), %d 5xx, slowest %.0f ms", r.Processes, r.PerProcess, *r.Errors5xx, r.MaxMs)
		}
		fmt.Fprintf(e.stdout, " (ledger verified)\n")
		return nil
	}
	if *scenario == "all" {
		for _, sc := range []string{"batch", "http"} {
			if err := run(sc); err != nil {
				return err
			}
		}
		return nil
	}
	return run(*scenario)
}

// benchAccounts opens n KZT accounts of org and funds each from an issuer
// account (untimed): only issuers create money (docs/MONEY.md), so the
// measured transfers move money that exists, every one checked against
// its account's balance.
func benchAccounts(ctx context.Context, db *sqlstore.DB, org string, n int) ([]ledger.ID, error) {
	issuer := ledger.Account{ID: uuid.Must(uuid.NewV7()), OrgID: "bench-bank", Currency: "KZT", Kind: ledger.Liability, Code: ledger.BankIssuance,
		Flags: ledger.Issuer | ledger.System, Limit: ledger.Unlimited, CreatedAt: time.Now()}
	if err := db.CreateAccounts(ctx, []ledger.Account{issuer}, audit.Record{ActorUser: "bench", Action: "ledger.account.create"}); err != nil {
		return nil, err
	}
	accts := make([]ledger.Account, n)
	ids := make([]ledger.ID, n)
	for i := range accts {
		ids[i] = uuid.Must(uuid.NewV7())
		accts[i] = ledger.Account{ID: ids[i], OrgID: org, Currency: "KZT", Kind: ledger.Liability, Code: "bench",
			Flags: ledger.DebitsMustNotExceedCredits, CreatedAt: time.Now()}
	}
	for start := 0; start < n; start += 2000 {
		if err := db.CreateAccounts(ctx, accts[start:min(start+2000, n)], audit.Record{ActorUser: "bench", Action: "ledger.account.create"}); err != nil {
			return nil, err
		}
	}
	for start := 0; start < n; start += ledger.MaxBatch {
		var funding []ledger.Transfer
		for _, id := range ids[start:min(start+ledger.MaxBatch, n)] {
			funding = append(funding, ledger.Transfer{ID: uuid.Must(uuid.NewV7()), DebitAccount: issuer.ID, CreditAccount: id, Amount: 1e13, Code: "funding"})
		}
		res, err := db.CreateTransfers(ctx, funding, ledger.BatchOptions{System: true})
		if err != nil {
			return nil, err
		}
		for _, r := range res {
			if r.Code != ledger.OK {
				return nil, fmt.Errorf("bench: funding refused: %s", r.Code)
			}
		}
	}
	return ids, nil
}

// benchAccountIDs is benchAccounts with the ids as the API spells them.
func benchAccountIDs(ctx context.Context, db *sqlstore.DB, org string, n int) ([]string, error) {
	accts, err := benchAccounts(ctx, db, org, n)
	if err != nil {
		return nil, err
	}
	ids := make([]string, n)
	for i, id := range accts {
		ids[i] = id.String()
	}
	return ids, nil
}

func newTransferID(kind string, rng *rand.Rand) ledger.ID {
	if kind == "random" {
		var id ledger.ID
		for i := 0; i < 16; i += 8 {
			v := rng.Uint64()
			for j := 0; j < 8; j++ {
				id[i+j] = byte(v >> (8 * j))
			}
		}
		return id
	}
	return uuid.Must(uuid.NewV7())
}

func benchLedgerBatch(ctx context.Context, progress io.Writer, db *sqlstore.DB, nAccounts, nTransfers, batch int, idKind string) (benchResult, error) {
	accts, err := benchAccounts(ctx, db, "bench", nAccounts)
	if err != nil {
		return benchResult{}, err
	}
	rng := rand.New(rand.NewPCG(7, 11))
	reqs := make([]ledger.Transfer, 0, batch)
	start := time.Now()
	var slowest time.Duration
	tenth := max(nTransfers/10, 1)
	var tenthStart time.Time
	done := 0
	lastReport := start
	for done < nTransfers {
		reqs = reqs[:0]
		for len(reqs) < batch && done+len(reqs) < nTransfers {
			dr := rng.IntN(len(accts))
			cr := rng.IntN(len(accts) - 1)
			if cr >= dr {
				cr++
			}
			reqs = append(reqs, ledger.Transfer{ID: newTransferID(idKind, rng), DebitAccount: accts[dr], CreditAccount: accts[cr], Amount: int64(1 + rng.IntN(100000))})
		}
		if nTransfers-done <= tenth && tenthStart.IsZero() {
			tenthStart = time.Now()
		}
		t0 := time.Now()
		res, err := db.CreateTransfers(ctx, reqs, ledger.BatchOptions{Audit: []ledger.BatchAudit{{From: 0, To: len(reqs), Record: audit.Record{ActorUser: "bench"}}}})
		if err != nil {
			return benchResult{}, err
		}
		if d := time.Since(t0); d > slowest {
			slowest = d
		}
		for _, r := range res {
			if r.Code != ledger.OK {
				return benchResult{}, fmt.Errorf("bench: transfer refused: %s", r.Code)
			}
		}
		done += len(reqs)
		if time.Since(lastReport) > time.Second {
			lastReport = time.Now()
			el := time.Since(start).Seconds()
			fmt.Fprintf(progress, "\rbench ledger batch: %d/%d transfers, %.0f/s   ", done, nTransfers, float64(done)/el)
		}
	}
	el := time.Since(start).Seconds()
	fmt.Fprintf(progress, "\r%80s\r", "")
	r := benchResult{Scenario: "batch", Engine: string(db.Engine), IDs: idKind, Accounts: nAccounts, Transfers: nTransfers, Batch: batch,
		Seconds: round3(el), TransfersPerSec: float64(int(float64(nTransfers) / el)), SlowestBatchMs: round3(slowest.Seconds() * 1000)}
	if !tenthStart.IsZero() {
		r.LastTenthPerSec = float64(int(float64(nTransfers-(nTransfers-tenth)) / time.Since(tenthStart).Seconds()))
	}
	return r, nil
}

func round3(f float64) float64 { return float64(int64(f*1000+0.5)) / 1000 }

func percentile(ds []time.Duration, p float64) float64 {
	if len(ds) == 0 {
		return 0
	}
	sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
	i := int(p * float64(len(ds)-1))
	return round3(ds[i].Seconds() * 1000)
}

func benchLedgerHTTP(ctx context.Context, e *env, p *platform.Platform, nAccounts, nTransfers, concurrency int, idKind string) (benchResult, error) {
	token, orgID, err := benchClient(ctx, p.Identity)
	if err != nil {
		return benchResult{}, err
	}
	acctIDs, err := benchAccountIDs(ctx, p.DB, orgID, nAccounts)
	if err != nil {
		return benchResult{}, err
	}
	lctx, stop := context.WithCancel(ctx)
	defer stop()
	go p.Ledger.Run(lctx)
	srv, err := server.New(server.PlatformDeps(p))
	if err != nil {
		return benchResult{}, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return benchResult{}, err
	}
	hs := &http.Server{Handler: srv.Handler()}
	go hs.Serve(ln)
	defer hs.Close()
	url := "http://" + ln.Addr().String() + "/api/v1/ledger/transfers"
	l, err := ledgerLoad(ctx, e, []string{url}, token, acctIDs, nTransfers, concurrency, idKind, false)
	if err != nil {
		return benchResult{}, err
	}
	all := l.latencies
	el := l.seconds
	return benchResult{Scenario: "http", Engine: string(p.DB.Engine), IDs: idKind, Accounts: nAccounts, Transfers: nTransfers, Concurrency: concurrency,
		Seconds: round3(el), TransfersPerSec: float64(int(float64(nTransfers) / el)), P50ms: percentile(all, 0.50), P99ms: percentile(all, 0.99)}, nil
}

func cpuProfileFlag(f *flags) *string {
	return f.string("cpuprofile", "BRICSTOWN_BENCH_CPUPROFILE", "", "write a CPU profile of the run to this file")
}

// startCPUProfile profiles the rest of the run into path ("" does nothing);
// the benchmarks are profiled before anything is optimised.
func startCPUProfile(path string) (stop func(), err error) {
	if path == "" {
		return func() {}, nil
	}
	pf, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(pf); err != nil {
		pf.Close()
		return nil, err
	}
	return func() { pprof.StopCPUProfile(); pf.Close() }, nil
}

// postRandomTransfer posts one transfer between two random accounts (the
// HTTP benchmarks' request, one process or several) and answers its status,
// body and latency.
func postRandomTransfer(ctx context.Context, client *http.Client, url, token string, rng *rand.Rand, acctIDs []string, idKind string,
	body *bytes.Buffer) (int, []byte, time.Duration, error) {
	n := len(acctIDs)
	dr := rng.IntN(n)
	cr := rng.IntN(n - 1)
	if cr >= dr {
		cr++
	}
	body.Reset()
	fmt.Fprintf(body, `{"transfers":[{"id":%q,"debit_account_id":%q,"credit_account_id":%q,"amount":"%d.%02d","currency":"KZT"}]}`,
		newTransferID(idKind, rng).String(), acctIDs[dr], acctIDs[cr], 1+rng.IntN(1000), rng.IntN(100))
	t0 := time.Now()
	code, b, err := postJSON(ctx, client, url, token, body.Bytes())
	return code, b, time.Since(t0), err
}

// loadResult is what ledgerLoad measured.
type loadResult struct {
	seconds   float64
	latencies []time.Duration
	okBy      []int // answers "ok" per server
	fiveXX    int
}

// ledgerLoad posts nTransfers random transfers from concurrency clients,
// spread round robin over the servers at urls, each client waiting for its
// answer before the next. A 5xx is counted when countFiveXX (several
// processes, where whether writers queue or fail is what is measured),
// else it stops the run like any answer other than "ok".
func ledgerLoad(ctx context.Context, e *env, urls []string, token string, acctIDs []string, nTransfers, concurrency int, idKind string, countFiveXX bool) (loadResult, error) {
	client := &http.Client{Timeout: 60 * time.Second, Transport: &http.Transport{MaxIdleConns: concurrency, MaxIdleConnsPerHost: concurrency, MaxConnsPerHost: concurrency}}
	n := len(urls)
	var next atomic.Int64
	lat := make([][]time.Duration, concurrency)
	okBy := make([]atomic.Int64, n)
	var fiveXX atomic.Int64
	errc := make(chan error, concurrency)
	start := time.Now()
	var wg sync.WaitGroup
	for c := 0; c < concurrency; c++ {
		wg.Add(1)
		go func(c int) {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(c), 99))
			url := urls[c%n]
			var body bytes.Buffer
			for {
				k := next.Add(1)
				if k > int64(nTransfers) {
					return
				}
				if k%20000 == 0 {
					fmt.Fprintf(e.stderr, "\rbench ledger http ×%d: %d/%d transfers, %.0f/s   ", n, k, nTransfers, float64(k)/time.Since(start).Seconds())
				}
				code, b, took, err := postRandomTransfer(ctx, client, url, token, rng, acctIDs, idKind, &body)
				if err != nil {
					errc <- err
					return
				}
				lat[c] = append(lat[c], took)
				switch {
				case code >= 500 && countFiveXX:
					fiveXX.Add(1)
				case code == 200 && bytes.Contains(b, []byte(`"result":"ok"`)):
					okBy[c%n].Add(1)
				default:
					errc <- fmt.Errorf("bench: transfer refused: %d %s", code, b)
					return
				}
			}
		}(c)
	}
	wg.Wait()
	r := loadResult{seconds: time.Since(start).Seconds(), okBy: make([]int, n), fiveXX: int(fiveXX.Load())}
	fmt.Fprintf(e.stderr, "\r%80s\r", "")
	close(errc)
	if err := <-errc; err != nil {
		return r, err
	}
	for _, l := range lat {
		r.latencies = append(r.latencies, l...)
	}
	for i := range okBy {
		r.okBy[i] = int(okBy[i].Load())
	}
	return r, nil
}

// postJSON posts a JSON body with a bearer token and returns the status and
// the answer (err: no answer). The benchmarks' and the tests' one client.
func postJSON(ctx context.Context, client *http.Client, url, token string, body []byte) (int, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, "POST", url, bytes.NewReader(body))
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, b, err
}
