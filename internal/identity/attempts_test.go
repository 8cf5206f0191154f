package identity

import (
	"context"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"bricstown/internal/problem"
)

// Attempts are reserved for the account and the address together, before
// any password is checked; a refusal spends nothing, a success is refunded.
func TestAttemptsReserveBeforeCheck(t *testing.T) {
	l := newAttempts()
	now := time.Date(2026, 3, 14, 9, 0, 0, 0, time.UTC)
	var wg sync.WaitGroup
	var mu sync.Mutex
	granted := 0
	for i := 0; i < 50; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if ok, _ := l.reserve(now, "email:a@b.kz", "addr:192.0.2.1"); ok {
				mu.Lock()
				granted++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if granted != LoginBurst {
		t.Fatalf("%d of 50 parallel attempts granted, limit %d", granted, LoginBurst)
	}
	ok, retry := l.reserve(now, "email:other@b.kz", "addr:192.0.2.1")
	if ok || retry <= 0 || retry > LoginInterval {
		t.Fatalf("blocked address, other account: ok=%v retry=%v", ok, retry)
	}
	// The refused attempt above did not spend the other account's budget.
	if lv := l.level("email:other@b.kz", now); lv != LoginBurst {
		t.Fatalf("a refused attempt spent the account's budget: %v", lv)
	}
	if ok, _ := l.reserve(now, "email:c@b.kz", "addr:192.0.2.2"); !ok {
		t.Fatal("another address and account blocked")
	}
	if ok, _ := l.reserve(now.Add(LoginInterval), "email:a@b.kz", "addr:192.0.2.1"); !ok {
		t.Fatal("still blocked after one interval")
	}
	// Success gives the attempt back.
	for i := 0; i < 100; i++ {
		ok, _ := l.reserve(now, "email:d@b.kz", "addr:192.0.2.3")
		if !ok {
			t.Fatalf("successful sign-ins were limited after %d", i)
		}
		l.refund(now, "email:d@b.kz", "addr:192.0.2.3")
	}
}

// A full table forgets only buckets that have refilled; it never hands an
// attacked key a fresh burst.
func TestAttemptsMemoryBound(t *testing.T) {
	l := newAttempts()
	l.max = 4
	now := time.Date(2026, 3, 14, 9, 0, 0, 0, time.UTC)
	for i := 0; i < LoginBurst; i++ {
		l.reserve(now, "k1", "k2")
	}
	if ok, _ := l.reserve(now, "k3", "k4"); !ok {
		t.Fatal("room left but refused")
	}
	if ok, _ := l.reserve(now, "k5", "k6"); ok {
		t.Fatal("over the bound: accepted new keys")
	}
	if ok, _ := l.reserve(now, "k1", "k2"); ok {
		t.Fatal("an exhausted key got a fresh burst")
	}
	later := now.Add(LoginBurst * LoginInterval)
	if ok, _ := l.reserve(later, "k5", "k6"); !ok {
		t.Fatal("refilled buckets were not dropped")
	}
}

func TestAddrKeyGroupsIPv6By64(t *testing.T) {
	if addrKey("2001:db8:1:2::1") != addrKey("2001:db8:1:2:ffff::9") {
		t.Fatal("same /64 keyed apart")
	}
	if addrKey("2001:db8:1:2::1") == addrKey("2001:db8:1:3::1") {
		t.Fatal("different /64 keyed together")
	}
	if addrKey("::ffff:192.0.2.1") != addrKey("192.0.2.1") {
		t.Fatal("IPv4-mapped address keyed apart")
	}
}

// With every hashing slot taken, a request is refused (unavailable, with a
// retry time) after the configured wait instead of queueing.
func TestHashGateRefusesWhenBusy(t *testing.T) {
	g := newHashGate(1, 20*time.Millisecond)
	hold, release := make(chan struct{}), make(chan struct{})
	go g.run(context.Background(), func() { close(hold); <-release })
	<-hold
	err := g.run(context.Background(), func() { t.Error("ran without a slot") })
	if !problem.Is(err, problem.Unavailable) {
		t.Fatalf("busy gate: %v", err)
	}
	if s, ok := RetryAfter(err); !ok || s < 1 {
		t.Fatalf("no retry time: %v %v", s, ok)
	}
	close(release)
	ran := false
	for !ran { // the holder releases its slot asynchronously
		if err := g.run(context.Background(), func() { ran = true }); err != nil && !problem.Is(err, problem.Unavailable) {
			t.Fatal(err)
		}
	}
	if g.peak.Load() != 1 {
		t.Fatalf("peak %d with one slot", g.peak.Load())
	}
}

func TestClientAddr(t *testing.T) {
	tp, err := ParseTrustedProxies("10.0.0.0/8, 192.0.2.7 2001:db8::/32")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ParseTrustedProxies("10.0.0.0/8,bogus"); err == nil {
		t.Fatal("bogus proxy accepted")
	}
	cases := []struct {
		remote, xff, fwd, want string
	}{
		{"198.51.100.1:1234", "6.6.6.6", "", "198.51.100.1"},                            // untrusted peer: header ignored
		{"10.1.2.3:1234", "", "", "10.1.2.3"},                                           // trusted peer without header
		{"10.1.2.3:1234", "203.0.113.5", "", "203.0.113.5"},                             // one proxy
		{"10.1.2.3:1234", "6.6.6.6, 203.0.113.5, 10.9.9.9", "", "203.0.113.5"},          // two proxies, spoofed left entry
		{"10.1.2.3:1234", "garbage, 10.9.9.9", "", "10.9.9.9"},                          // malformed: stop at the last vouched address
		{"192.0.2.7:1234", "[2001:db9::1]:443", "", "2001:db9::1"},                      // bracketed IPv6 with port
		{"[2001:db8::5]:1234", "", `for="[2001:db9::2]:80";proto=https`, "2001:db9::2"}, // Forwarded
		{"10.1.2.3:1234", "", `for=unknown`, "10.1.2.3"},                                // obfuscated
		{"10.1.2.3:1234", "203.0.113.5", `for=6.6.6.6`, "203.0.113.5"},                  // X-Forwarded-For wins
	}
	for _, c := range cases {
		r := httptest.NewRequest("GET", "/", nil)
		r.RemoteAddr = c.remote
		if c.xff != "" {
			r.Header.Set("X-Forwarded-For", c.xff)
		}
		if c.fwd != "" {
			r.Header.Set("Forwarded", c.fwd)
		}
		if got := tp.ClientAddr(r); got != c.want {
			t.Errorf("%s xff=%q fwd=%q: %q, want %q", c.remote, c.xff, c.fwd, got, c.want)
		}
	}
	r := httptest.NewRequest("GET", "/", nil)
	r.RemoteAddr = "10.1.2.3:1"
	r.Header.Set("X-Forwarded-For", "203.0.113.5")
	if got := TrustedProxies(nil).ClientAddr(r); got != "10.1.2.3" {
		t.Fatalf("no trusted proxies: %q", got)
	}
}

// The grant table: roles flow downward and tokens grant nothing.
func TestGrantable(t *testing.T) {
	town := Org{ID: "town", Kind: KindTownAdministration}
	company := Org{ID: "co", Kind: KindCompany}
	has := func(rs []Role, r Role) bool {
		for _, x := range rs {
			if x == r {
				return true
			}
		}
		return false
	}
	root := &Principal{OrgID: "town", Roles: []Role{PlatformAdmin, OrgAdmin}, Via: "session"}
	deputy := &Principal{OrgID: "town", Roles: []Role{OrgAdmin}, Via: "session"}
	coAdmin := &Principal{OrgID: "co", Roles: []Role{OrgAdmin}, Via: "session"}
	trader := &Principal{OrgID: "co", Roles: []Role{Trader}, Via: "session"}
	rootToken := &Principal{OrgID: "town", Roles: []Role{PlatformAdmin, OrgAdmin}, Via: "token"}
	switch {
	case !has(grantable(root, town), PlatformAdmin), !has(grantable(root, company), Trader):
		t.Fatal("platform admin cannot grant")
	case has(grantable(deputy, town), PlatformAdmin), !has(grantable(deputy, town), OrgAdmin):
		t.Fatal("town org_admin: wrong grants")
	case has(grantable(deputy, company), Trader):
		t.Fatal("org_admin grants in another org")
	case !has(grantable(coAdmin, company), Trader):
		t.Fatal("company admin cannot name traders")
	case len(grantable(trader, company)) != 0, len(grantable(rootToken, town)) != 0:
		t.Fatal("a non-admin or a token grants")
	case mayActOn(deputy, town, User{Roles: []Role{PlatformAdmin, OrgAdmin}}):
		t.Fatal("org_admin acts on the platform admin")
	}
}
