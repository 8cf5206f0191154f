package fx

import (
	"context"
	"errors"
	"testing"
	"time"

	"bricstown/internal/identity"
	"bricstown/internal/problem"
)

type clock struct{ now time.Time }

func (c *clock) Now() time.Time { return c.now }

func bankOp(org string) *identity.Principal {
	return &identity.Principal{UserID: "u-" + org, OrgID: org, OrgKind: identity.KindBank, Roles: []identity.Role{identity.BankOperator}}
}

func trader(org string) *identity.Principal {
	return &identity.Principal{UserID: "u-" + org, OrgID: org, OrgKind: identity.KindCompany, Roles: []identity.Role{identity.Trader}}
}

func newTestService(t *testing.T) (*Service, *memStore, *clock) {
	t.Helper()
	st, c := newMemStore(), &clock{now: t0}
	s, err := NewService(st, Config{Now: c.Now})
	if err != nil {
		t.Fatal(err)
	}
	return s, st, c
}

func TestPublishRules(t *testing.T) {
	s, st, _ := newTestService(t)
	ctx := context.Background()
	in := NewRate{Pair: "kzt/cny", Bid: "0.0150", Ask: "0.0152"}

	if _, err := s.PublishRate(ctx, nil, in); !problem.Is(err, problem.Unauthenticated) {
		t.Fatalf("anonymous: %v", err)
	}
	if _, err := s.PublishRate(ctx, trader("acme"), in); !problem.Is(err, problem.Forbidden) {
		t.Fatalf("company: %v", err)
	}
	// A bank's org admin is not its treasury.
	admin := &identity.Principal{OrgID: "bankA", OrgKind: identity.KindBank, Roles: []identity.Role{identity.OrgAdmin}}
	if _, err := s.PublishRate(ctx, admin, in); !problem.Is(err, problem.Forbidden) {
		t.Fatalf("bank admin: %v", err)
	}
	// The role alone, outside a bank, is not enough either.
	fake := &identity.Principal{OrgID: "acme", OrgKind: identity.KindCompany, Roles: []identity.Role{identity.BankOperator}}
	if _, err := s.PublishRate(ctx, fake, in); !problem.Is(err, problem.Forbidden) {
		t.Fatalf("non-bank operator: %v", err)
	}

	r, err := s.PublishRate(ctx, bankOp("bankA"), in)
	if err != nil {
		t.Fatal(err)
	}
	if r.Provider != "bankA" || r.Pair != (Pair{"KZT", "CNY"}) || r.ID == "" || !r.PublishedAt.Equal(t0) {
		t.Fatalf("%+v", r)
	}
	if len(st.audit) != 1 || st.audit[0].Action != "fx.rate.publish" || st.audit[0].ActorOrg != "bankA" {
		t.Fatalf("audit %+v", st.audit)
	}
	// The other listing is the same market: it replaces the first.
	if _, err := s.PublishRate(ctx, bankOp("bankA"), NewRate{Pair: "CNY/KZT", Bid: "65", Ask: "66"}); err != nil {
		t.Fatal(err)
	}
	board, _ := s.Board(ctx, trader("acme"))
	if len(board) != 1 || board[0].Pair.Base != "CNY" {
		t.Fatalf("board %+v", board)
	}
	hist, err := s.History(ctx, trader("acme"), "KZT/CNY", "", 10)
	if err != nil || len(hist) != 2 || hist[0].Pair.Base != "CNY" {
		t.Fatalf("history %+v %v", hist, err)
	}
}

func TestRateValidation(t *testing.T) {
	for _, tc := range []struct {
		in     NewRate
		fields []string
	}{
		{NewRate{Pair: "KZT/CNY", Bid: "0.0152", Ask: "0.0152"}, []string{"ask"}},
		{NewRate{Pair: "KZT/CNY", Bid: "0.0153", Ask: "0.0152"}, []string{"ask"}},
		{NewRate{Pair: "KZT/KZT", Bid: "1", Ask: "2"}, []string{"pair"}},
		{NewRate{Pair: "KZT", Bid: "0", Ask: "-1"}, []string{"pair", "bid", "ask"}},
		{NewRate{Pair: "XAU/KZT", Bid: "1", Ask: "2"}, []string{"pair"}},
		{NewRate{Pair: "KZT/CNY", Bid: "1.5e-2", Ask: "0.0152"}, []string{"bid"}},
		{NewRate{Pair: "KZT/CNY", Bid: "0.015", Ask: "0.0152", ValidUntil: t0}, []string{"valid_until"}},
	} {
		_, err := tc.in.Validate(t0)
		pe := wantCode(t, err, problem.Invalid)
		if len(pe.Fields) != len(tc.fields) {
			t.Errorf("%+v: fields %v; want %v", tc.in, pe.Fields, tc.fields)
		}
		for _, f := range tc.fields {
			if pe.Fields[f] == "" {
				t.Errorf("%+v: no message for %s in %v", tc.in, f, pe.Fields)
			}
		}
	}
	// "1.50" and "1.5" are the same price; bid < ask compares values.
	if _, err := (NewRate{Pair: "CNYKZT", Bid: "65.90", Ask: "66.1"}).Validate(t0); err != nil {
		t.Fatal(err)
	}
}

func TestFeeRules(t *testing.T) {
	s, _, _ := newTestService(t)
	ctx := context.Background()
	if _, err := s.SetFee(ctx, trader("acme"), NewFee{Bps: 5}); !problem.Is(err, problem.Forbidden) {
		t.Fatalf("company: %v", err)
	}
	if _, err := s.SetFee(ctx, bankOp("bankA"), NewFee{Provider: "bankB", Bps: 5}); !problem.Is(err, problem.Forbidden) {
		t.Fatalf("other bank: %v", err)
	}
	_, err := s.SetFee(ctx, bankOp("bankA"), NewFee{Bps: 5000, Fixed: map[string]int64{"KZT": -1, "XXX": 5}})
	if pe := wantCode(t, err, problem.Invalid); len(pe.Fields) != 3 {
		t.Fatalf("fields %v", pe.Fields)
	}
	f, err := s.SetFee(ctx, bankOp("bankA"), NewFee{Bps: 15, Fixed: map[string]int64{"kzt": 100_00}})
	if err != nil || f.Provider != "bankA" || f.Fixed["KZT"] != 100_00 {
		t.Fatalf("%+v %v", f, err)
	}
	if got, _ := s.Fee(ctx, trader("acme"), "bankA"); got.Bps != 15 {
		t.Fatalf("%+v", got)
	}
	if got, _ := s.Fee(ctx, trader("acme"), "bankZ"); got.Bps != 0 || got.Provider != "bankZ" {
		t.Fatalf("default fee %+v", got)
	}
}

func TestQuoteLifecycle(t *testing.T) {
	s, st, c := newTestService(t)
	ctx := context.Background()
	if _, err := s.PublishRate(ctx, bankOp("bankA"), NewRate{Pair: "KZT/CNY", Bid: "0.0150", Ask: "0.0152"}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.SetFee(ctx, bankOp("bankA"), NewFee{Bps: 10}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Quote(ctx, nil, QuoteRequest{Sell: "KZT", Buy: "CNY", SellAmount: 100}); !problem.Is(err, problem.Unauthenticated) {
		t.Fatalf("anonymous quote: %v", err)
	}
	q, err := s.Quote(ctx, trader("acme"), QuoteRequest{Sell: "KZT", Buy: "CNY", SellAmount: 100_000_00})
	if err != nil {
		t.Fatal(err)
	}
	if q.ID == "" || q.PayerOrg != "acme" || q.Legs[0].Fee != 100_00 || !q.ExpiresAt.Equal(t0.Add(30*time.Second)) {
		t.Fatalf("%+v", q)
	}
	if _, err := s.GetQuote(ctx, trader("other"), q.ID); !problem.Is(err, problem.NotFound) {
		t.Fatalf("foreign quote visible: %v", err)
	}
	if got, err := s.GetQuote(ctx, trader("acme"), q.ID); err != nil || got.ID != q.ID {
		t.Fatalf("%v", err)
	}

	// The ledger claims through the store.
	if _, err := st.ClaimQuote(ctx, q.ID, "other", c.now); !problem.Is(err, problem.NotFound) {
		t.Fatalf("other org claim: %v", err)
	}
	claimed, err := st.ClaimQuote(ctx, q.ID, "acme", c.now.Add(5*time.Second))
	if err != nil || claimed.UsedAt.IsZero() {
		t.Fatalf("claim: %+v %v", claimed, err)
	}
	_, err = st.ClaimQuote(ctx, q.ID, "acme", c.now.Add(6*time.Second))
	if pe := wantCode(t, err, problem.Conflict); !errors.Is(err, ErrQuoteUsed) || pe.Fields["quote_id"] != "quote_used" {
		t.Fatalf("second claim: %v", err)
	}
	if err := s.Usable(claimed); !errors.Is(err, ErrQuoteUsed) {
		t.Fatalf("Usable(used) = %v", err)
	}
}

func TestExpiredQuoteRefused(t *testing.T) {
	s, st, c := newTestService(t)
	ctx := context.Background()
	s.PublishRate(ctx, bankOp("bankA"), NewRate{Pair: "KZT/CNY", Bid: "0.0150", Ask: "0.0152"})
	q, err := s.Quote(ctx, trader("acme"), QuoteRequest{Sell: "KZT", Buy: "CNY", BuyAmount: 1_000_00})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Usable(q); err != nil {
		t.Fatalf("fresh quote: %v", err)
	}
	c.now = q.ExpiresAt // expiry is exclusive: at ExpiresAt the quote is dead
	if err := s.Usable(q); !errors.Is(err, ErrQuoteExpired) {
		t.Fatalf("Usable at expiry: %v", err)
	}
	_, err = st.ClaimQuote(ctx, q.ID, "acme", c.now)
	if pe := wantCode(t, err, problem.Conflict); !errors.Is(err, ErrQuoteExpired) || pe.Fields["quote_id"] != "quote_expired" {
		t.Fatalf("claim at expiry: %v", err)
	}
}

func TestUSDConfigValidatedAtStart(t *testing.T) {
	_, err := NewService(newMemStore(), Config{Policy: Policy{USD: USDConfig{"KZT": {ToUSDBps: 10000}}}})
	if pe := wantCode(t, err, problem.Invalid); len(pe.Fields) != 2 {
		t.Fatalf("fields %v", pe.Fields)
	}
}
