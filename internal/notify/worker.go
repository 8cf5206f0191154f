package notify

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"strconv"
	"sync"
	"syscall"
	"time"
)

// Worker tuning: how many deliveries one round claims, and how often an idle
// worker looks for deliveries queued by other processes.
const (
	claimBatch   = 32
	pollInterval = 2 * time.Second
)

// Start runs the delivery worker in the background once; later calls do
// nothing. Run is the same in the foreground.
func (h *Hub) Start(ctx context.Context) {
	if h.store == nil || !h.started.CompareAndSwap(false, true) {
		return
	}
	go h.run(ctx)
}

// Run delivers webhooks until ctx ends. Several processes may run it
// against one database: deliveries are leased, not locked.
func (h *Hub) Run(ctx context.Context) {
	if h.store == nil || !h.started.CompareAndSwap(false, true) {
		<-ctx.Done()
		return
	}
	h.run(ctx)
}

func (h *Hub) run(ctx context.Context) {
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		// A read finds out whether anything is due, so that an idle worker
		// never takes the write lock.
		wait := pollInterval
		next, ok, err := h.store.NextDeliveryDue(ctx)
		switch {
		case err != nil:
			if ctx.Err() == nil {
				h.log.Warn("webhook queue", "err", err)
			}
		case ok && !next.After(h.now()):
			n, err := h.DeliverDue(ctx)
			if err != nil && ctx.Err() == nil {
				h.log.Warn("webhook delivery round failed", "err", err)
			}
			if n > 0 && err == nil {
				wait = 0 // look again at once: more may be due
			}
		case ok:
			wait = min(wait, next.Sub(h.now()))
		}
		timer.Reset(wait)
		select {
		case <-ctx.Done():
			return
		case <-h.wake:
		case <-timer.C:
		}
	}
}

// DeliverDue makes one round: claims the deliveries due now and posts them,
// Policy.Workers at a time, recording each outcome. It returns how many it
// claimed.
func (h *Hub) DeliverDue(ctx context.Context) (int, error) {
	if h.store == nil {
		return 0, errNoStore
	}
	pol := h.Policy()
	now := h.clock()
	ds, err := h.store.ClaimDeliveries(ctx, now, now.Add(2*pol.Timeout+5*time.Second), claimBatch)
	if err != nil || len(ds) == 0 {
		return 0, err
	}
	sem := make(chan struct{}, pol.Workers)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var firstErr error
	for _, d := range ds {
		wg.Add(1)
		sem <- struct{}{}
		go func(d Delivery) {
			defer func() { <-sem; wg.Done() }()
			o := h.attempt(ctx, pol, d)
			// The outcome is recorded even when ctx is ending: the attempt
			// has happened.
			rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
			defer cancel()
			if err := h.store.FinishDelivery(rctx, o); err != nil {
				mu.Lock()
				if firstErr == nil {
					firstErr = err
				}
				mu.Unlock()
			}
		}(d)
	}
	wg.Wait()
	return len(ds), firstErr
}

// attempt posts one delivery and decides what happens next.
func (h *Hub) attempt(ctx context.Context, pol Policy, d Delivery) Outcome {
	at := h.clock()
	code, err := h.client.post(ctx, pol, d, at)
	o := Outcome{DeliveryID: d.ID, At: at, StatusCode: code}
	switch {
	case err == nil && code >= 200 && code < 300:
		o.Status = Delivered
		return o
	case err != nil:
		o.Error = clip(err.Error(), 300)
	default:
		o.Error = "the endpoint answered " + strconv.Itoa(code) + " " + http.StatusText(code)
	}
	if d.Attempts >= pol.MaxAttempts {
		o.Status = Failed
		return o
	}
	o.Status = Pending
	o.NextAttemptAt = at.Add(Backoff(pol, d.Attempts, rand.Float64()))
	h.log.Info("webhook delivery failed; will retry", "delivery", d.ID, "attempt", d.Attempts, "err", o.Error, "next", o.NextAttemptAt)
	return o
}

// Backoff is the wait after the n-th failed attempt (n ≥ 1): BaseBackoff
// doubled n-1 times, capped at MaxBackoff, scaled by 0.8 + 0.4×jitter
// (jitter in [0, 1)).
func Backoff(pol Policy, n int, jitter float64) time.Duration {
	pol = pol.withDefaults()
	d := pol.BaseBackoff
	for i := 1; i < n && d < pol.MaxBackoff; i++ {
		d *= 2
	}
	d = min(d, pol.MaxBackoff)
	return time.Duration(float64(d) * (0.8 + 0.4*jitter))
}

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// deliveryClient posts deliveries. It never follows redirects (a receiver
// that moved is a failure to fix, not a reason to post the body elsewhere),
// ignores proxy settings, and refuses to connect to non-public addresses
// unless the policy allows them: the check runs on the resolved address at
// dial time, so a host name that resolves to an internal address is refused
// too.
type deliveryClient struct {
	hub    *Hub
	client *http.Client
}

var errPrivateAddress = errors.New("the destination address is not allowed (loopback, private or link-local network)")

func newDeliveryClient(h *Hub) *deliveryClient {
	c := &deliveryClient{hub: h}
	dialer := &net.Dialer{Timeout: 5 * time.Second, Control: func(network, address string, _ syscall.RawConn) error {
		if h.Policy().AllowPrivateNetworks {
			return nil
		}
		host, _, err := net.SplitHostPort(address)
		if err != nil {
			return err
		}
		if ip := net.ParseIP(host); ip == nil || !publicIP(ip) {
			return errPrivateAddress
		}
		return nil
	}}
	c.client = &http.Client{
		Transport: &http.Transport{Proxy: nil, DialContext: dialer.DialContext, TLSHandshakeTimeout: 5 * time.Second,
			MaxIdleConns: 64, MaxIdleConnsPerHost: 4, IdleConnTimeout: 60 * time.Second, ForceAttemptHTTP2: true},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	return c
}

func (c *deliveryClient) post(ctx context.Context, pol Policy, d Delivery, at time.Time) (int, error) {
	ctx, cancel := context.WithTimeout(ctx, pol.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, d.URL, bytes.NewReader(d.Payload))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "bricstown-webhooks/1")
	req.Header.Set("X-Bricstown-Event", d.EventType)
	req.Header.Set("X-Bricstown-Event-Id", d.EventID)
	req.Header.Set("X-Bricstown-Delivery", d.ID)
	req.Header.Set("X-Bricstown-Attempt", strconv.Itoa(d.Attempts))
	req.Header.Set(SignatureHeader, Sign(d.Secret, at, d.Payload))
	resp, err := c.client.Do(req)
	if err != nil {
		if errors.Is(err, errPrivateAddress) {
			return 0, errPrivateAddress
		}
		if errors.Is(err, context.DeadlineExceeded) {
			return 0, fmt.Errorf("no answer within %s", pol.Timeout)
		}
		return 0, err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	return resp.StatusCode, nil
}

// cgnat is the carrier-grade NAT range (RFC 6598), private in practice.
var cgnat = &net.IPNet{IP: net.IPv4(100, 64, 0, 0), Mask: net.CIDRMask(10, 32)}

// publicIP reports whether ip is a globally routable unicast address.
func publicIP(ip net.IP) bool {
	return !(ip.IsLoopback() || ip.IsPrivate() || ip.IsLinkLocalUnicast() || ip.IsLinkLocalMulticast() ||
		ip.IsInterfaceLocalMulticast() || ip.IsMulticast() || ip.IsUnspecified() || cgnat.Contains(ip))
}
