package fx

import (
	"context"
	"sort"
	"sync"
	"testing"
	"time"

	"bricstown/internal/audit"
	"bricstown/internal/money"
	"bricstown/internal/problem"
)

var t0 = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

func rate(t testing.TB, s string) money.Rate {
	t.Helper()
	r, err := money.ParseRate(s)
	if err != nil {
		t.Fatalf("rate %q: %v", s, err)
	}
	return r
}

// pub builds a live publication; ids are derived so that tests are stable.
func pub(t testing.TB, provider, pair, bid, ask string) Rate {
	t.Helper()
	p, err := ParsePair(pair)
	if err != nil {
		t.Fatal(err)
	}
	return Rate{ID: "rate-" + provider + "-" + p.Base + p.Quote, Provider: provider, Pair: p,
		Bid: rate(t, bid), Ask: rate(t, ask), PublishedAt: t0}
}

func price(t *testing.T, m Market, pol Policy, req QuoteRequest) Quote {
	t.Helper()
	q, err := Price(m, pol, "payer", req, t0)
	if err != nil {
		t.Fatalf("Price(%+v): %v", req, err)
	}
	checkChained(t, q)
	return q
}

// checkChained asserts the invariants every quote must keep, whatever the
// route: legs connect, amounts match the ends, fees are listed.
func checkChained(t *testing.T, q Quote) {
	t.Helper()
	if len(q.Legs) == 0 || len(q.Legs) > 2 {
		t.Fatalf("%d legs", len(q.Legs))
	}
	if q.Legs[0].InCurrency != q.Sell || q.Legs[len(q.Legs)-1].OutCurrency != q.Buy {
		t.Fatalf("legs do not run %s→%s: %+v", q.Sell, q.Buy, q.Legs)
	}
	if q.Legs[0].In != q.SellAmount || q.Legs[len(q.Legs)-1].Out != q.BuyAmount {
		t.Fatalf("amounts %d→%d do not match legs %+v", q.SellAmount, q.BuyAmount, q.Legs)
	}
	if len(q.Legs) == 2 {
		if q.Legs[0].OutCurrency != q.Legs[1].InCurrency || q.Legs[0].Out != q.Legs[1].In {
			t.Fatalf("legs do not chain: %+v", q.Legs)
		}
	}
	for _, l := range q.Legs {
		want := l.Pair.Base
		if l.Side == SellBase {
			want = l.Pair.Quote
		}
		if l.OutCurrency != want {
			t.Fatalf("leg %+v: side %s delivers %s, not %s", l, l.Side, want, l.OutCurrency)
		}
	}
}

func wantCode(t *testing.T, err error, code problem.Code) *problem.Error {
	t.Helper()
	pe, ok := err.(*problem.Error)
	if !ok || pe.Code != code {
		t.Fatalf("err = %v; want code %s", err, code)
	}
	return pe
}

// memStore is an in-memory Store with the same semantics as sqlstore's,
// for service tests that need no database.
type memStore struct {
	mu     sync.Mutex
	rates  []Rate
	cur    map[string]int // provider|market → index in rates
	fees   map[string]Fee
	quotes map[string]Quote
	audit  []audit.Record
	refs   map[string]ReferenceRate // date|currency
}

func newMemStore() *memStore {
	return &memStore{cur: map[string]int{}, fees: map[string]Fee{}, quotes: map[string]Quote{}, refs: map[string]ReferenceRate{}}
}

func (m *memStore) PublishRate(_ context.Context, r Rate, rec audit.Record) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.rates = append(m.rates, r)
	m.cur[r.Provider+"|"+r.Pair.Market().String()] = len(m.rates) - 1
	m.audit = append(m.audit, rec)
	return nil
}

func (m *memStore) CurrentRates(_ context.Context, now time.Time) ([]Rate, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []Rate
	for _, i := range m.cur {
		if m.rates[i].Live(now) {
			out = append(out, m.rates[i])
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}

func (m *memStore) RateHistory(_ context.Context, market Pair, provider string, limit int) ([]Rate, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []Rate
	for i := len(m.rates) - 1; i >= 0 && len(out) < limit; i-- {
		r := m.rates[i]
		if r.Pair.Market() == market && (provider == "" || r.Provider == provider) {
			out = append(out, r)
		}
	}
	return out, nil
}

func (m *memStore) ProviderFee(_ context.Context, provider string) (Fee, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if f, ok := m.fees[provider]; ok {
		return f, nil
	}
	return Fee{Provider: provider}, nil
}

func (m *memStore) ProviderFees(context.Context) ([]Fee, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []Fee
	for _, f := range m.fees {
		out = append(out, f)
	}
	return out, nil
}

func (m *memStore) SetProviderFee(_ context.Context, f Fee, rec audit.Record) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.fees[f.Provider] = f
	m.audit = append(m.audit, rec)
	return nil
}

func (m *memStore) SaveQuote(_ context.Context, q Quote, rec audit.Record) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.quotes[q.ID] = q
	m.audit = append(m.audit, rec)
	return nil
}

func (m *memStore) GetQuote(_ context.Context, id string) (Quote, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	q, ok := m.quotes[id]
	if !ok {
		return Quote{}, QuoteNotFound()
	}
	return q, nil
}

func (m *memStore) ClaimQuote(_ context.Context, id, payer string, now time.Time) (Quote, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	q, ok := m.quotes[id]
	switch {
	case !ok || q.PayerOrg != payer:
		return Quote{}, QuoteNotFound()
	case !q.UsedAt.IsZero():
		return Quote{}, QuoteUsed()
	case !now.Before(q.ExpiresAt):
		return Quote{}, QuoteExpired(q.ExpiresAt)
	}
	q.UsedAt = now
	m.quotes[id] = q
	return q, nil
}

func (m *memStore) PublishReference(_ context.Context, rates []ReferenceRate, rec audit.Record) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, r := range rates {
		m.refs[r.Date+"|"+r.Currency] = r
	}
	m.audit = append(m.audit, rec)
	return nil
}

func (m *memStore) ReferenceRates(_ context.Context, date string) ([]ReferenceRate, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	best := map[string]ReferenceRate{}
	for _, r := range m.refs {
		if r.Date <= date && r.Date >= best[r.Currency].Date {
			best[r.Currency] = r
		}
	}
	var out []ReferenceRate
	for _, r := range best {
		out = append(out, r)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Currency < out[j].Currency })
	return out, nil
}

var _ Store = (*memStore)(nil)
