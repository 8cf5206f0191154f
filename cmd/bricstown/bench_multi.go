package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"bricstown/internal/identity"
	"bricstown/internal/platform"
)

// serveCommand makes the command that runs `bricstown <args>` as a child
// process: this same executable. Tests replace it (TestMain), because
// their executable is the test binary.
var serveCommand = func(args []string) (*exec.Cmd, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, err
	}
	return exec.Command(exe, args...), nil
}

// benchLedgerProcesses is the http scenario across processes (issue 13):
// n `serve` processes of this executable on one database, the clients
// spread over them round robin. Unlike the one-process scenario it does
// not stop at a failed request: it counts the 5xx answers, since whether
// several writers queue or fail is what it measures. Any other answer than
// "ok" is still an error (every account holds plenty of money).
func benchLedgerProcesses(ctx context.Context, e *env, p *platform.Platform, dsn string, n, nAccounts, nTransfers, concurrency int, idKind string) (benchResult, error) {
	if dsn == "" {
		return benchResult{}, usageError{"--processes needs --db: the processes must share one database"}
	}
	token, orgID, err := benchClient(ctx, p.Identity)
	if err != nil {
		return benchResult{}, err
	}
	acctIDs, err := benchAccountIDs(ctx, p.DB, orgID, nAccounts)
	if err != nil {
		return benchResult{}, err
	}
	dir, err := os.MkdirTemp("", "bricstown-bench-serve-*")
	if err != nil {
		return benchResult{}, err
	}
	defer os.RemoveAll(dir)
	urls := make([]string, n)
	for i := range urls {
		srv, url, err := startServeChild(ctx, dsn, filepath.Join(dir, fmt.Sprintf("addr%d", i)))
		if err != nil {
			return benchResult{}, err
		}
		defer srv.stop()
		urls[i] = url + "/api/v1/ledger/transfers"
	}
	l, err := ledgerLoad(ctx, e, urls, token, acctIDs, nTransfers, concurrency, idKind, true)
	if err != nil {
		return benchResult{}, err
	}
	all, el, per, errs := l.latencies, l.seconds, l.okBy, l.fiveXX
	var slowest time.Duration
	ok := 0
	for _, d := range all {
		slowest = max(slowest, d)
	}
	for _, k := range per {
		ok += k
	}
	return benchResult{Scenario: "http", Engine: string(p.DB.Engine), IDs: idKind, Accounts: nAccounts, Transfers: nTransfers, Concurrency: concurrency,
		Seconds: round3(el), TransfersPerSec: float64(int(float64(ok) / el)), P50ms: percentile(all, 0.50), P99ms: percentile(all, 0.99),
		Processes: n, Errors5xx: &errs, MaxMs: round3(slowest.Seconds() * 1000), PerProcess: per}, nil
}

// benchClient makes the benchmark's organisation, a trader and its API
// token.
func benchClient(ctx context.Context, ids *identity.Service) (token, orgID string, err error) {
	org, err := ids.CreateOrg(ctx, nil, identity.NewOrg{Name: "Bench Trading", Kind: identity.KindCompany, Country: "AE", RegID: "BENCH0001"})
	if err != nil {
		return "", "", err
	}
	user, err := ids.CreateUser(ctx, nil, org.ID, identity.NewUser{Email: "bench@bench.ae", Name: "Bench", Password: "bench-password-1", Roles: []identity.Role{identity.Trader, identity.OrgAdmin}})
	if err != nil {
		return "", "", err
	}
	_, token, err = ids.CreateToken(ctx, &identity.Principal{UserID: user.ID, OrgID: org.ID, Roles: user.Roles, Via: "session"}, org.ID,
		identity.NewToken{Name: "bench", Roles: []identity.Role{identity.Trader}})
	return token, org.ID, err
}

// serveChild is a running `serve` child.
type serveChild struct {
	cmd    *exec.Cmd
	exited chan struct{} // closed when the child has exited
	out    lockedBuffer
}

// startServeChild starts one `serve` child on dsn and waits until it has
// written its address to addrFile (the serve command's readiness signal
// for scripts).
func startServeChild(ctx context.Context, dsn, addrFile string) (*serveChild, string, error) {
	cmd, err := serveCommand([]string{"serve", "--addr", "127.0.0.1:0", "--addr-file", addrFile, "--db", dsn, "--log-level", "warn"})
	if err != nil {
		return nil, "", err
	}
	s := &serveChild{cmd: cmd, exited: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = &s.out, &s.out
	if err := cmd.Start(); err != nil {
		return nil, "", err
	}
	go func() { cmd.Wait(); close(s.exited) }()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	deadline := time.After(60 * time.Second)
	for {
		if b, err := os.ReadFile(addrFile); err == nil && len(b) > 0 {
			return s, "http://" + strings.TrimSpace(string(b)), nil
		}
		select {
		case <-s.exited:
			return nil, "", fmt.Errorf("bench: serve child exited before it listened:\n%s", s.out.String())
		case <-deadline:
			s.stop()
			return nil, "", errors.New("bench: serve child did not listen within 60 s:\n" + s.out.String())
		case <-ctx.Done():
			s.stop()
			return nil, "", ctx.Err()
		case <-tick.C:
		}
	}
}

// stop asks the child to shut down and kills it if it is still there
// after a few seconds.
func (s *serveChild) stop() {
	_ = s.cmd.Process.Signal(os.Interrupt)
	select {
	case <-s.exited:
	case <-time.After(5 * time.Second):
		_ = s.cmd.Process.Kill()
		<-s.exited
	}
}

// lockedBuffer collects a child's output while it runs.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
