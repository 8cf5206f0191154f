package sqlstore

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"sync"
	"testing"
	"time"

	"bricstown/internal/audit"
	"bricstown/internal/fx"
	"bricstown/internal/identity"
	"bricstown/internal/money"
	"bricstown/internal/problem"
)

var fxT0 = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

func fxOrg(t *testing.T, db *DB, id string, kind identity.OrgKind, reg string) {
	t.Helper()
	o := identity.Org{ID: id, Name: id, Kind: kind, Country: "KZ", RegScheme: "KZ-BIN", RegID: reg, CreatedAt: fxT0}
	if err := db.CreateOrg(context.Background(), o, audit.Record{ActorUser: "system", Action: "org.create", SubjectType: "org", SubjectID: id, OrgID: id}); err != nil {
		t.Fatal(err)
	}
}

// fxTown is two banks and a trading company.
func fxTown(t *testing.T, db *DB) {
	fxOrg(t, db, "bankA", identity.KindBank, "100000000001")
	fxOrg(t, db, "bankB", identity.KindBank, "100000000002")
	fxOrg(t, db, "acme", identity.KindCompany, "100000000003")
}

func fxRate(t *testing.T, id, provider, pair, bid, ask string, at time.Time) fx.Rate {
	t.Helper()
	r, err := (fx.NewRate{Pair: pair, Bid: bid, Ask: ask}).Validate(at)
	if err != nil {
		t.Fatal(err)
	}
	r.ID, r.Provider = id, provider
	return r
}

func fxMustRate(t *testing.T, s string) money.Rate {
	t.Helper()
	r, err := money.ParseRate(s)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func fxRec(action, subject, org string) audit.Record {
	return audit.Record{ActorUser: "u", ActorOrg: org, Action: action, SubjectType: "fx", SubjectID: subject, OrgID: org}
}

func fxPublish(t *testing.T, db *DB, r fx.Rate) {
	t.Helper()
	if err := db.PublishRate(context.Background(), r, fxRec("fx.rate.publish", r.ID, r.Provider)); err != nil {
		t.Fatal(err)
	}
}

func fxAuditCount(t *testing.T, db *DB, action string) int {
	t.Helper()
	var n int
	if err := db.SQL.QueryRow(`SELECT COUNT(*) FROM audit_log WHERE action = $1`, action).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func rateIDs(rs []fx.Rate) []string {
	out := []string{}
	for _, r := range rs {
		out = append(out, r.ID)
	}
	return out
}

func TestFXRatePublishReplaceAndHistory(t *testing.T) {
	engines(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		fxTown(t, db)
		fxPublish(t, db, fxRate(t, "r1", "bankA", "KZT/CNY", "0.015000", "0.0152", fxT0))
		// The other listing is the same market: it replaces r1.
		fxPublish(t, db, fxRate(t, "r2", "bankA", "CNY/KZT", "65.5", "66", fxT0.Add(time.Second)))
		fxPublish(t, db, fxRate(t, "r3", "bankB", "KZT/CNY", "0.0149", "0.0153", fxT0.Add(2*time.Second)))
		short := fxRate(t, "r4", "bankB", "KZT/RUB", "0.18", "0.181", fxT0.Add(3*time.Second))
		short.ValidUntil = fxT0.Add(time.Minute)
		fxPublish(t, db, short)

		cur, err := db.CurrentRates(ctx, fxT0.Add(30*time.Second))
		if err != nil {
			t.Fatal(err)
		}
		if got := rateIDs(cur); !reflect.DeepEqual(got, []string{"r2", "r3", "r4"}) {
			t.Fatalf("current %v", got)
		}
		// Stored exactly, in the bank's listing, canonical spelling.
		if r := cur[0]; r.Pair != (fx.Pair{Base: "CNY", Quote: "KZT"}) || r.Bid.String() != "65.5" || r.Ask.String() != "66" ||
			!r.PublishedAt.Equal(fxT0.Add(time.Second)) || !r.ValidUntil.IsZero() {
			t.Fatalf("r2 read back as %+v", r)
		}
		if !reflect.DeepEqual(cur[2], short) {
			t.Fatalf("r4 read back as %+v; want %+v", cur[2], short)
		}
		// At its expiry r4 leaves the board; a replaced rate never comes back.
		cur, _ = db.CurrentRates(ctx, short.ValidUntil)
		if got := rateIDs(cur); !reflect.DeepEqual(got, []string{"r2", "r3"}) {
			t.Fatalf("current after expiry %v", got)
		}

		hist, err := db.RateHistory(ctx, fx.Pair{Base: "KZT", Quote: "CNY"}, "", 10)
		if err != nil || !reflect.DeepEqual(rateIDs(hist), []string{"r3", "r2", "r1"}) {
			t.Fatalf("history %v %v", rateIDs(hist), err)
		}
		if hist[2].Bid.String() != "0.015" {
			t.Fatalf("r1 bid %s", hist[2].Bid)
		}
		hist, _ = db.RateHistory(ctx, fx.Pair{Base: "CNY", Quote: "KZT"}, "bankA", 1)
		if !reflect.DeepEqual(rateIDs(hist), []string{"r2"}) {
			t.Fatalf("bankA history %v", rateIDs(hist))
		}
		if n := fxAuditCount(t, db, "fx.rate.publish"); n != 4 {
			t.Fatalf("%d publish audit entries", n)
		}
	})
}

// Concurrent publications by one bank on one market leave exactly one
// current price and lose none of the history.
func TestFXRateConcurrentPublishKeepsOneCurrent(t *testing.T) {
	engines(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		fxTown(t, db)
		var wg sync.WaitGroup
		errs := make([]error, 8)
		for i := range errs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				pair := "KZT/CNY"
				if i%2 == 1 {
					pair = "CNY/KZT"
				}
				r := fxRate(t, fmt.Sprintf("c%d", i), "bankA", pair, "1.5", "1.6", fxT0.Add(time.Duration(i)*time.Millisecond))
				errs[i] = db.PublishRate(ctx, r, fxRec("fx.rate.publish", r.ID, "bankA"))
			}()
		}
		wg.Wait()
		for _, err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
		cur, _ := db.CurrentRates(ctx, fxT0)
		hist, _ := db.RateHistory(ctx, fx.Pair{Base: "CNY", Quote: "KZT"}, "bankA", 100)
		if len(cur) != 1 || len(hist) != len(errs) {
			t.Fatalf("%d current, %d history", len(cur), len(hist))
		}
	})
}

func TestFXProviderFees(t *testing.T) {
	engines(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		fxTown(t, db)
		f, err := db.ProviderFee(ctx, "bankA")
		if err != nil || !reflect.DeepEqual(f, fx.Fee{Provider: "bankA"}) {
			t.Fatalf("default fee %+v %v", f, err)
		}
		set := fx.Fee{Provider: "bankA", Bps: 15, Fixed: map[string]money.Amount{"KZT": 500_00, "CNY": 10_00}, UpdatedAt: fxT0}
		if err := db.SetProviderFee(ctx, set, fxRec("fx.fee.set", "bankA", "bankA")); err != nil {
			t.Fatal(err)
		}
		if err := db.SetProviderFee(ctx, fx.Fee{Provider: "bankB", Bps: 7, UpdatedAt: fxT0}, fxRec("fx.fee.set", "bankB", "bankB")); err != nil {
			t.Fatal(err)
		}
		if f, _ := db.ProviderFee(ctx, "bankA"); !reflect.DeepEqual(f, set) {
			t.Fatalf("read back %+v; want %+v", f, set)
		}
		// Replacing the schedule drops currencies no longer listed.
		set2 := fx.Fee{Provider: "bankA", Bps: 20, Fixed: map[string]money.Amount{"CNY": 5_00}, UpdatedAt: fxT0.Add(time.Hour)}
		if err := db.SetProviderFee(ctx, set2, fxRec("fx.fee.set", "bankA", "bankA")); err != nil {
			t.Fatal(err)
		}
		all, err := db.ProviderFees(ctx)
		if err != nil || len(all) != 2 || !reflect.DeepEqual(all[0], set2) || all[1].Bps != 7 || all[1].Fixed != nil {
			t.Fatalf("all fees %+v %v", all, err)
		}
		if n := fxAuditCount(t, db, "fx.fee.set"); n != 3 {
			t.Fatalf("%d fee audit entries", n)
		}
	})
}

// fxQuote prices a two-leg quote from stored rates, as the service does.
func fxQuote(t *testing.T, db *DB, id string, at time.Time) fx.Quote {
	t.Helper()
	ctx := context.Background()
	rates, err := db.CurrentRates(ctx, at)
	if err != nil {
		t.Fatal(err)
	}
	fees, _ := db.ProviderFees(ctx)
	m := fx.Market{Rates: rates, Fees: map[string]fx.Fee{}}
	for _, f := range fees {
		m.Fees[f.Provider] = f
	}
	pol := fx.Policy{USD: fx.USDConfig{"KZT": {Mid: fxMustRate(t, "505"), ToUSDBps: 75}, "RUB": {Mid: fxMustRate(t, "92.5"), FromUSDBps: 60}}}
	q, err := fx.Price(m, pol, "acme", fx.QuoteRequest{Sell: "KZT", Buy: "RUB", SellAmount: 1_000_000_00}, at)
	if err != nil {
		t.Fatal(err)
	}
	q.ID = id
	if err := db.SaveQuote(ctx, q, fxRec("fx.quote.create", id, "acme")); err != nil {
		t.Fatal(err)
	}
	return q
}

func fxMarket(t *testing.T, db *DB) {
	t.Helper()
	fxPublish(t, db, fxRate(t, "r1", "bankA", "KZT/CNY", "0.0150", "0.0152", fxT0))
	fxPublish(t, db, fxRate(t, "r2", "bankB", "CNY/RUB", "12.5", "12.7", fxT0))
	if err := db.SetProviderFee(context.Background(), fx.Fee{Provider: "bankB", Bps: 5, UpdatedAt: fxT0}, fxRec("fx.fee.set", "bankB", "bankB")); err != nil {
		t.Fatal(err)
	}
}

func TestFXQuoteSaveGetAndClaim(t *testing.T) {
	engines(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		fxTown(t, db)
		fxMarket(t, db)
		q := fxQuote(t, db, "q1", fxT0)
		if len(q.Legs) != 2 || len(q.Fees) != 1 || !q.USD.Available {
			t.Fatalf("test quote should go through CNY with a fee and a USD comparison: %+v", q)
		}
		got, err := db.GetQuote(ctx, "q1")
		if err != nil || !reflect.DeepEqual(got, q) {
			t.Fatalf("read back\n%+v\nwant\n%+v\n%v", got, q, err)
		}
		if _, err := db.GetQuote(ctx, "nope"); !problem.Is(err, problem.NotFound) {
			t.Fatalf("unknown quote: %v", err)
		}
		if err := db.SaveQuote(ctx, q, fxRec("fx.quote.create", "q1", "acme")); !problem.Is(err, problem.Conflict) {
			t.Fatalf("duplicate id: %v", err)
		}

		at := fxT0.Add(10 * time.Second)
		if _, err := db.ClaimQuote(ctx, "nope", "acme", at); !problem.Is(err, problem.NotFound) {
			t.Fatalf("unknown: %v", err)
		}
		if _, err := db.ClaimQuote(ctx, "q1", "bankA", at); !problem.Is(err, problem.NotFound) {
			t.Fatalf("another org's quote: %v", err)
		}
		claimed, err := db.ClaimQuote(ctx, "q1", "acme", at)
		want := q
		want.UsedAt = at
		if err != nil || !reflect.DeepEqual(claimed, want) {
			t.Fatalf("claim: %+v %v", claimed, err)
		}
		_, err = db.ClaimQuote(ctx, "q1", "acme", at.Add(time.Second))
		if !problem.Is(err, problem.Conflict) || !errors.Is(err, fx.ErrQuoteUsed) {
			t.Fatalf("second claim: %v", err)
		}
		if got, _ := db.GetQuote(ctx, "q1"); !got.UsedAt.Equal(at) {
			t.Fatalf("used_at %v", got.UsedAt)
		}

		// Expiry is exclusive: at ExpiresAt the quote is refused.
		q2 := fxQuote(t, db, "q2", fxT0)
		_, err = db.ClaimQuote(ctx, "q2", "acme", q2.ExpiresAt)
		var pe *problem.Error
		if !errors.As(err, &pe) || pe.Code != problem.Conflict || !errors.Is(err, fx.ErrQuoteExpired) || pe.Fields["quote_id"] != "quote_expired" {
			t.Fatalf("expired claim: %v", err)
		}
		if got, _ := db.GetQuote(ctx, "q2"); !got.UsedAt.IsZero() {
			t.Fatal("a refused claim marked the quote used")
		}
		if n := fxAuditCount(t, db, "fx.quote.claim"); n != 1 {
			t.Fatalf("%d claim audit entries; want 1", n)
		}
		if n := fxAuditCount(t, db, "fx.quote.create"); n != 2 {
			t.Fatalf("%d quote audit entries; want 2", n)
		}
		if err := verifyChain(ctx, db); err != nil {
			t.Fatal(err)
		}
	})
}

// Ten concurrent claims of one quote: exactly one wins, every other is
// told the quote is used, and the audit log records one claim.
func TestFXClaimQuoteConcurrent(t *testing.T) {
	engines(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		fxTown(t, db)
		fxMarket(t, db)
		fxQuote(t, db, "q1", fxT0)
		const n = 10
		errs := make([]error, n)
		start := make(chan struct{})
		var wg sync.WaitGroup
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				_, errs[i] = db.ClaimQuote(ctx, "q1", "acme", fxT0.Add(time.Second))
			}()
		}
		close(start)
		wg.Wait()
		wins := 0
		for _, err := range errs {
			switch {
			case err == nil:
				wins++
			case !errors.Is(err, fx.ErrQuoteUsed):
				t.Errorf("loser got %v; want quote_used", err)
			}
		}
		if wins != 1 {
			t.Fatalf("%d claims won; want exactly 1", wins)
		}
		if c := fxAuditCount(t, db, "fx.quote.claim"); c != 1 {
			t.Fatalf("%d claim audit entries", c)
		}
		if err := verifyChain(ctx, db); err != nil {
			t.Fatal(err)
		}
	})
}

func verifyChain(ctx context.Context, db *DB) error {
	v := audit.NewVerifier()
	return db.EachAudit(ctx, v.Check)
}
