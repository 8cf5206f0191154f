package identity

import (
	"context"
	"errors"
	"math"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"bricstown/internal/problem"
)

// Sign-in limits. Each account (email) and each client address has
// LoginBurst attempts, refilled at one per LoginInterval. Per account, so
// that guessing one password from many addresses is slow; per address, so
// that one client spraying many accounts is slow too.
const (
	LoginBurst    = 20
	LoginInterval = 3 * time.Second
	// maxLoginKeys bounds the limiter's memory under a spray of addresses
	// and emails; buckets that have refilled completely are dropped first.
	maxLoginKeys = 100_000
)

// attempts is a token bucket per key. An attempt is reserved BEFORE the
// password is checked, for the account and the address at once, so that
// fifty parallel guesses against a limit of twenty evaluate at most twenty
// passwords. A successful sign-in gives its reservation back: only failures
// cost anything.
type attempts struct {
	mu       sync.Mutex
	burst    float64
	interval time.Duration
	max      int
	seen     map[string]*bucket
}

type bucket struct {
	tokens float64
	at     time.Time
}

func newAttempts() *attempts {
	return &attempts{burst: LoginBurst, interval: LoginInterval, max: maxLoginKeys, seen: map[string]*bucket{}}
}

// level brings key's bucket up to date without creating it.
func (l *attempts) level(key string, now time.Time) float64 {
	b := l.seen[key]
	if b == nil {
		return l.burst
	}
	return min(l.burst, b.tokens+now.Sub(b.at).Seconds()/l.interval.Seconds())
}

// reserve takes one attempt from every key, or from none; when it refuses
// it says how long until one attempt is available for all of them.
func (l *attempts) reserve(now time.Time, keys ...string) (ok bool, retry time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, k := range keys {
		if lv := l.level(k, now); lv < 1 {
			retry = max(retry, time.Duration(math.Ceil((1-lv)*float64(l.interval))))
		}
	}
	if retry > 0 {
		return false, retry
	}
	if len(l.seen)+len(keys) > l.max {
		for k := range l.seen {
			if l.level(k, now) >= l.burst {
				delete(l.seen, k)
			}
		}
		if len(l.seen)+len(keys) > l.max {
			// Every remembered key is mid-attack; forgetting one would
			// hand it a fresh burst, so new keys wait instead.
			return false, l.interval
		}
	}
	for _, k := range keys {
		lv := l.level(k, now)
		l.seen[k] = &bucket{tokens: lv - 1, at: now}
	}
	return true, 0
}

// refund gives back an attempt reserved by reserve.
func (l *attempts) refund(now time.Time, keys ...string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, k := range keys {
		if b := l.seen[k]; b != nil {
			b.tokens, b.at = min(l.burst, l.level(k, now)+1), now
		}
	}
}

// addrKey is the limiter's key for a client address. IPv6 clients are
// limited per /64, the block one subscriber usually gets, or rotating
// addresses inside it would escape the limit.
func addrKey(addr string) string {
	a, err := netip.ParseAddr(addr)
	if err != nil {
		return "addr:" + addr
	}
	a = a.Unmap()
	if a.Is6() {
		p, _ := a.Prefix(64)
		return "addr:" + p.String()
	}
	return "addr:" + a.String()
}

// hashGate bounds how many argon2id computations (19 MiB each) run at once
// in this process, for sign-in, user creation and any password change
// alike, so a burst of requests cannot grow memory without bound. A request
// that cannot get a slot within wait is refused rather than queued.
type hashGate struct {
	slots       chan struct{}
	wait        time.Duration
	evaluations atomic.Int64
	inFlight    atomic.Int64
	peak        atomic.Int64
}

func newHashGate(n int, wait time.Duration) *hashGate {
	return &hashGate{slots: make(chan struct{}, n), wait: wait}
}

// errHashBusy is the answer when every hashing slot stayed busy for the
// configured wait.
func errHashBusy() error {
	return &RetryError{Err: problem.New(problem.Unavailable, "the server is busy; try again in a moment"), After: time.Second}
}

// run calls fn in a hashing slot.
func (g *hashGate) run(ctx context.Context, fn func()) error {
	t := time.NewTimer(g.wait)
	defer t.Stop()
	select {
	case g.slots <- struct{}{}:
	case <-t.C:
		return errHashBusy()
	case <-ctx.Done():
		return errHashBusy()
	}
	defer func() { <-g.slots }()
	n := g.inFlight.Add(1)
	defer g.inFlight.Add(-1)
	for {
		p := g.peak.Load()
		if n <= p || g.peak.CompareAndSwap(p, n) {
			break
		}
	}
	g.evaluations.Add(1)
	fn()
	return nil
}

// PasswordStats counts argon2id computations since the service started.
type PasswordStats struct {
	Evaluations    int64 // hashes and checks, including the unknown-email decoy
	PeakConcurrent int64 // the most that ran at once
}

// PasswordStats reports the hashing gate's counters (for tests and metrics).
func (s *Service) PasswordStats() PasswordStats {
	return PasswordStats{Evaluations: s.hashes.evaluations.Load(), PeakConcurrent: s.hashes.peak.Load()}
}

// hashPassword hashes in a hashing slot.
func (s *Service) hashPassword(ctx context.Context, password string) (string, error) {
	var h string
	var herr error
	if err := s.hashes.run(ctx, func() { h, herr = HashPassword(password) }); err != nil {
		return "", err
	}
	if herr != nil {
		return "", problem.Wrap(problem.Internal, herr, "hash password")
	}
	return h, nil
}

// checkPassword checks in a hashing slot.
func (s *Service) checkPassword(ctx context.Context, hash, password string) (bool, error) {
	var ok bool
	err := s.hashes.run(ctx, func() { ok = CheckPassword(hash, password) })
	return ok, err
}

// RetryError is a refusal (rate_limited or unavailable) that tells the
// caller when to come back; adapters send it as Retry-After.
type RetryError struct {
	Err   *problem.Error
	After time.Duration
}

func (e *RetryError) Error() string { return e.Err.Error() }
func (e *RetryError) Unwrap() error { return e.Err }

// RetryAfter returns the whole seconds a caller should wait before trying
// again, when err says so.
func RetryAfter(err error) (seconds int, ok bool) {
	var re *RetryError
	if !errors.As(err, &re) {
		return 0, false
	}
	return max(1, int(math.Ceil(re.After.Seconds()))), true
}
