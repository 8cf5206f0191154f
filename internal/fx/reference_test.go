package fx

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"bricstown/internal/identity"
	"bricstown/internal/problem"
)

func admin() *identity.Principal {
	return &identity.Principal{UserID: "u-admin", OrgID: "town", OrgKind: identity.KindTownAdministration, Roles: []identity.Role{identity.PlatformAdmin}}
}

// newRefService is a service whose settlement centre is the org "centre".
func newRefService(t *testing.T) (*Service, *memStore, *clock) {
	t.Helper()
	st, c := newMemStore(), &clock{now: t0}
	s, err := NewService(st, Config{Now: c.Now, CentreOrg: func(context.Context) (string, error) { return "centre", nil }})
	if err != nil {
		t.Fatal(err)
	}
	return s, st, c
}

func publishCNY(t *testing.T, s *Service, date, kzt string) {
	t.Helper()
	if _, err := s.PublishReference(context.Background(), admin(), NewReferenceTable{Date: date, Source: "National Bank of Kazakhstan (test)",
		Rates: []NewReferenceRate{{Currency: "CNY", Units: 1, Rate: kzt}, {Currency: "RUB", Units: 100, Rate: "550.5"}}}); err != nil {
		t.Fatal(err)
	}
}

// The attack of issue 8: a bank that never quoted CNY/KZT publishes a bid
// of 0.000001 tenge per yuan. With a reference of 70 KZT it is refused on
// the field, with the band in the message, and nothing is stored.
func TestPublishFarFromReferenceIsRefused(t *testing.T) {
	s, st, _ := newRefService(t)
	ctx := context.Background()
	publishCNY(t, s, "2026-03-02", "70")
	n := len(st.rates)
	_, err := s.PublishRate(ctx, bankOp("rogue"), NewRate{Pair: "CNY/KZT", Bid: "0.000001", Ask: "70.5"})
	pe := wantCode(t, err, problem.Invalid)
	if !strings.Contains(pe.Fields["bid"], "10%") || !strings.Contains(pe.Fields["bid"], "63") || !strings.Contains(pe.Fields["bid"], "77") {
		t.Fatalf("bid message does not explain the band: %q", pe.Fields["bid"])
	}
	if _, bad := pe.Fields["ask"]; bad {
		t.Fatalf("ask 70.5 is within the band: %v", pe.Fields)
	}
	// The same attack in the other listing (KZT per CNY inverted).
	_, err = s.PublishRate(ctx, bankOp("rogue"), NewRate{Pair: "KZT/CNY", Bid: "0.0142", Ask: "1000000"})
	pe = wantCode(t, err, problem.Invalid)
	if pe.Fields["ask"] == "" || pe.Fields["bid"] != "" {
		t.Fatalf("fields %v", pe.Fields)
	}
	// A crossed quote is refused whatever the reference.
	_, err = s.PublishRate(ctx, bankOp("rogue"), NewRate{Pair: "CNY/KZT", Bid: "71", Ask: "69"})
	if pe = wantCode(t, err, problem.Invalid); pe.Fields["ask"] == "" {
		t.Fatalf("crossed: %v", pe.Fields)
	}
	if len(st.rates) != n {
		t.Fatal("a refused price was stored")
	}
	// A cross pair is checked through both tenge prices: RUB/CNY mid is
	// 5.505/70 = 0.0786.
	if _, err := s.PublishRate(ctx, bankOp("rogue"), NewRate{Pair: "RUB/CNY", Bid: "0.05", Ask: "0.079"}); err == nil {
		t.Fatal("RUB/CNY bid 0.05 accepted against a 0.0786 reference")
	}
	// Honest prices pass and are not flagged.
	r, err := s.PublishRate(ctx, bankOp("bankA"), NewRate{Pair: "CNY/KZT", Bid: "69.5", Ask: "70.5"})
	if err != nil || r.Flag != "" {
		t.Fatalf("honest price: %+v %v", r, err)
	}
	// The band edge is inclusive: 63 and 77 are exactly 10% away.
	if _, err := s.PublishRate(ctx, bankOp("bankB"), NewRate{Pair: "CNY/KZT", Bid: "63", Ask: "77"}); err != nil {
		t.Fatalf("band edge: %v", err)
	}
}

// Without a reference for the pair the price is accepted but flagged.
func TestPublishWithoutReferenceIsFlagged(t *testing.T) {
	s, _, _ := newRefService(t)
	publishCNY(t, s, "2026-03-02", "70")
	r, err := s.PublishRate(context.Background(), bankOp("bankA"), NewRate{Pair: "INR/KZT", Bid: "5.8", Ask: "6"})
	if err != nil || r.Flag != FlagNoReference {
		t.Fatalf("%+v %v", r, err)
	}
}

// The band is configurable.
func TestBandIsConfigurable(t *testing.T) {
	st := newMemStore()
	s, err := NewService(st, Config{Now: func() time.Time { return t0 }, Policy: Policy{BandBps: 100}})
	if err != nil {
		t.Fatal(err)
	}
	publishCNY(t, s, "2026-03-01", "70")
	if _, err := s.PublishRate(context.Background(), bankOp("bankA"), NewRate{Pair: "CNY/KZT", Bid: "69.5", Ask: "70.5"}); err != nil {
		t.Fatalf("within 1%%: %v", err)
	}
	if _, err := s.PublishRate(context.Background(), bankOp("bankA"), NewRate{Pair: "CNY/KZT", Bid: "68", Ask: "70.5"}); err == nil {
		t.Fatal("2% away accepted with a 1% band")
	}
}

func TestWhoPublishesReference(t *testing.T) {
	s, st, _ := newRefService(t)
	ctx := context.Background()
	in := NewReferenceTable{Date: "2026-03-02", Source: "NBK", Rates: []NewReferenceRate{{Currency: "CNY", Units: 1, Rate: "70"}}}
	centreOp := &identity.Principal{UserID: "u-c", OrgID: "centre", OrgKind: identity.KindBank, Roles: []identity.Role{identity.BankOperator}}
	centreAdmin := &identity.Principal{UserID: "u-ca", OrgID: "centre", OrgKind: identity.KindBank, Roles: []identity.Role{identity.OrgAdmin}}
	for name, p := range map[string]*identity.Principal{"bank": bankOp("bankA"), "trader": trader("acme"), "centre org admin": centreAdmin} {
		if _, err := s.PublishReference(ctx, p, in); !problem.Is(err, problem.Forbidden) {
			t.Fatalf("%s: %v", name, err)
		}
	}
	if _, err := s.PublishReference(ctx, nil, in); !problem.Is(err, problem.Unauthenticated) {
		t.Fatalf("anonymous: %v", err)
	}
	if len(st.refs) != 0 {
		t.Fatal("a refused publication was stored")
	}
	rows, err := s.PublishReference(ctx, centreOp, in)
	if err != nil || len(rows) != 1 || rows[0].Publisher != "centre" || rows[0].Source != "NBK" {
		t.Fatalf("%+v %v", rows, err)
	}
	if len(st.audit) != 1 || st.audit[0].Action != "fx.reference.publish" {
		t.Fatalf("audit %+v", st.audit)
	}
	// Without a configured centre, only the administrator.
	plain, _, _ := newTestService(t)
	if _, err := plain.PublishReference(ctx, centreOp, in); !problem.Is(err, problem.Forbidden) {
		t.Fatalf("no centre configured: %v", err)
	}
}

func TestReferenceValidation(t *testing.T) {
	s, _, _ := newRefService(t)
	_, err := s.PublishReference(context.Background(), admin(), NewReferenceTable{Date: "2026-02-30", Source: " ",
		Rates: []NewReferenceRate{{Currency: "KZT", Units: 1, Rate: "1"}, {Currency: "CNY", Units: 3, Rate: "-2"}, {Currency: "XXX", Units: 1, Rate: "1"},
			{Currency: "RUB", Units: 100, Rate: "5.5"}, {Currency: "rub", Units: 1, Rate: "5.5"}}})
	pe := wantCode(t, err, problem.Invalid)
	for _, f := range []string{"date", "source", "rates[0].currency", "rates[1].units", "rates[1].rate", "rates[2].currency", "rates[4].currency"} {
		if pe.Fields[f] == "" {
			t.Errorf("no message for %s: %v", f, pe.Fields)
		}
	}
}

// Customs values at the newest reference on or before the date, per unit,
// and never at a bank quote: no reference means an error.
func TestKZTRateUsesReferenceOnOrBefore(t *testing.T) {
	s, _, _ := newRefService(t)
	ctx := context.Background()
	publishCNY(t, s, "2026-03-02", "70")
	publishCNY(t, s, "2026-03-04", "72")
	if _, err := s.PublishRate(ctx, bankOp("bankA"), NewRate{Pair: "INR/KZT", Bid: "0.000001", Ask: "6"}); err != nil {
		t.Fatal(err) // unreferenced pair: accepted, flagged
	}
	day := func(s string) time.Time { d, _ := time.Parse(time.DateOnly, s); return d }
	for date, want := range map[string]string{"2026-03-02": "70", "2026-03-03": "70", "2026-03-04": "72", "2026-04-01": "72"} {
		r, err := s.KZTRate(ctx, "CNY", day(date))
		if err != nil || r.String() != want {
			t.Errorf("%s: %s %v; want %s", date, r, err, want)
		}
	}
	if r, err := s.KZTRate(ctx, "RUB", day("2026-03-03")); err != nil || r.String() != "5.505" {
		t.Errorf("RUB per unit: %s %v", r, err)
	}
	if _, err := s.KZTRate(ctx, "CNY", day("2026-03-01")); !problem.Is(err, problem.Invalid) || !strings.Contains(err.Error(), "reference") {
		t.Errorf("before any reference: %v", err)
	}
	if _, err := s.KZTRate(ctx, "INR", day("2026-03-03")); !problem.Is(err, problem.Invalid) {
		t.Errorf("INR has only a bank quote, no reference: %v", err)
	}
}

func TestParseReferenceCSV(t *testing.T) {
	tables, err := ParseReferenceCSV(strings.NewReader("date,currency,units,rate,source\n" +
		"2026-03-02,CNY,1,70.12,NBK\n2026-03-02,RUB,100,550.5,NBK\n2026-03-03,CNY,1,70.2,NBK\n"))
	if err != nil || len(tables) != 2 || len(tables[0].Rates) != 2 || tables[1].Date != "2026-03-03" {
		t.Fatalf("%+v %v", tables, err)
	}
	_, err = ParseReferenceCSV(strings.NewReader("date,currency,units,rate,source\n2026-03-02,CNY,1,abc,NBK\n2026-13-01,CNY,1,1,NBK\n"))
	pe := wantCode(t, err, problem.Invalid)
	if pe.Fields["line 2.rate"] == "" || pe.Fields["line 3.date"] == "" {
		t.Fatalf("%v", pe.Fields)
	}
	if _, err := ParseReferenceCSV(strings.NewReader("a,b,c,d,e\n")); err == nil {
		t.Fatal("wrong header accepted")
	}
}

func TestImportReferenceCSVIsAllOrNothing(t *testing.T) {
	s, st, _ := newRefService(t)
	_, err := s.ImportReferenceCSV(context.Background(), admin(), strings.NewReader("date,currency,units,rate,source\n2026-03-02,CNY,1,70,NBK\n2026-03-02,CNY,1,71,NBK\n"))
	if !problem.Is(err, problem.Invalid) || len(st.refs) != 0 {
		t.Fatalf("duplicate line: %v, %d stored", err, len(st.refs))
	}
	rows, err := s.ImportReferenceCSV(context.Background(), admin(), strings.NewReader("date,currency,units,rate,source\n2026-03-02,CNY,1,70,NBK\n2026-03-03,CNY,1,71,NBK\n"))
	if err != nil || len(rows) != 2 || len(st.refs) != 2 {
		t.Fatalf("%v %v", rows, err)
	}
	if _, err := s.ImportReferenceCSV(context.Background(), bankOp("bankA"), strings.NewReader("")); !problem.Is(err, problem.Forbidden) {
		t.Fatalf("bank: %v", err)
	}
}

// A page can find the band inside the refusal.
func TestBandErrorCarriesTheBand(t *testing.T) {
	s, _, _ := newRefService(t)
	publishCNY(t, s, "2026-03-02", "70")
	_, err := s.PublishRate(context.Background(), bankOp("rogue"), NewRate{Pair: "CNY/KZT", Bid: "0.000001", Ask: "70.5"})
	var be *BandError
	if !errors.As(err, &be) || be.Low.String() != "63" || be.High.String() != "77" || be.Mid.String() != "70" || be.Date != "2026-03-02" || be.BandBps != DefaultBandBps {
		t.Fatalf("%v %+v", err, be)
	}
}
