package sqlstore

import (
	"context"
	"strings"
	"testing"
	"time"

	"bricstown/internal/fx"
	"bricstown/internal/identity"
	"bricstown/internal/problem"
)

// The reference table on both engines: publication with audit, the newest
// rate on or before a date per currency, replacement of a date's rate,
// all-or-nothing imports, and the band check of a bank's price through
// the real store (the CNY/KZT bid 0.000001 attack).
func TestFXReferenceRates(t *testing.T) {
	engines(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		fxTown(t, db)
		fxOrg(t, db, "centre", identity.KindBank, "100000000009")
		now := fxT0
		svc, err := fx.NewService(db, fx.Config{Now: func() time.Time { return now },
			CentreOrg: func(context.Context) (string, error) { return "centre", nil }})
		if err != nil {
			t.Fatal(err)
		}
		centre := &identity.Principal{UserID: "u-centre", OrgID: "centre", OrgKind: identity.KindBank, Roles: []identity.Role{identity.BankOperator}}
		pub := func(date string, rates ...fx.NewReferenceRate) {
			t.Helper()
			if _, err := svc.PublishReference(ctx, centre, fx.NewReferenceTable{Date: date, Source: "National Bank of Kazakhstan", Rates: rates}); err != nil {
				t.Fatal(err)
			}
		}
		pub("2026-03-01", fx.NewReferenceRate{Currency: "CNY", Units: 1, Rate: "69.8"}, fx.NewReferenceRate{Currency: "RUB", Units: 100, Rate: "551"})
		pub("2026-03-02", fx.NewReferenceRate{Currency: "CNY", Units: 1, Rate: "70"})
		pub("2026-03-02", fx.NewReferenceRate{Currency: "CNY", Units: 1, Rate: "70.1"}) // a correction replaces
		pub("2026-03-05", fx.NewReferenceRate{Currency: "CNY", Units: 1, Rate: "71"})

		got, err := db.ReferenceRates(ctx, "2026-03-03")
		if err != nil || len(got) != 2 {
			t.Fatalf("%+v %v", got, err)
		}
		if got[0].Currency != "CNY" || got[0].Date != "2026-03-02" || got[0].KZT.String() != "70.1" || got[0].Source != "National Bank of Kazakhstan" ||
			got[0].Publisher != "centre" || got[0].PublishedBy != "u-centre" || !got[0].PublishedAt.Equal(fxT0) {
			t.Fatalf("CNY %+v", got[0])
		}
		if got[1].Currency != "RUB" || got[1].Date != "2026-03-01" || got[1].Units != 100 || got[1].KZT.String() != "551" {
			t.Fatalf("RUB %+v", got[1])
		}
		if none, err := db.ReferenceRates(ctx, "2026-02-28"); err != nil || len(none) != 0 {
			t.Fatalf("before any: %+v %v", none, err)
		}
		if r, err := svc.KZTRate(ctx, "RUB", time.Date(2026, 3, 9, 0, 0, 0, 0, time.UTC)); err != nil || r.String() != "5.51" {
			t.Fatalf("RUB per unit %s %v", r, err)
		}

		// A CSV with one bad line stores nothing.
		admin := &identity.Principal{UserID: "u-admin", OrgID: "acme", Roles: []identity.Role{identity.PlatformAdmin}}
		_, err = svc.ImportReferenceCSV(ctx, admin, strings.NewReader("date,currency,units,rate,source\n2026-03-06,CNY,1,72,NBK\n2026-03-06,RUB,7,5.5,NBK\n"))
		if !problem.Is(err, problem.Invalid) {
			t.Fatalf("bad csv: %v", err)
		}
		if got, _ := db.ReferenceRates(ctx, "2026-03-06"); got[0].Date != "2026-03-05" {
			t.Fatalf("half-written import: %+v", got)
		}
		if _, err := svc.ImportReferenceCSV(ctx, admin, strings.NewReader("date,currency,units,rate,source\n2026-03-06,CNY,1,72,NBK\n2026-03-06,RUB,100,552,NBK\n")); err != nil {
			t.Fatal(err)
		}
		if got, _ := db.ReferenceRates(ctx, "2026-03-06"); got[0].KZT.String() != "72" || got[1].KZT.String() != "552" {
			t.Fatalf("import: %+v", got)
		}
		var n int
		if err := db.SQL.QueryRowContext(ctx, `SELECT COUNT(*) FROM audit_log WHERE action = 'fx.reference.publish'`).Scan(&n); err != nil || n != 5 {
			t.Fatalf("audit entries %d %v", n, err)
		}

		// The attack: a bank that never quoted CNY/KZT publishes bid 0.000001.
		now = time.Date(2026, 3, 6, 10, 0, 0, 0, time.UTC)
		bank := &identity.Principal{UserID: "u-b", OrgID: "bankB", OrgKind: identity.KindBank, Roles: []identity.Role{identity.BankOperator}}
		if _, err := svc.PublishRate(ctx, bank, fx.NewRate{Pair: "CNY/KZT", Bid: "0.000001", Ask: "72.5"}); !problem.Is(err, problem.Invalid) {
			t.Fatalf("absurd bid: %v", err)
		}
		if board, _ := db.CurrentRates(ctx, now); len(board) != 0 {
			t.Fatalf("refused price on the board: %+v", board)
		}
		if _, err := svc.PublishRate(ctx, bank, fx.NewRate{Pair: "CNY/KZT", Bid: "71.5", Ask: "72.5"}); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.PublishRate(ctx, bank, fx.NewRate{Pair: "INR/KZT", Bid: "5.9", Ask: "6.1"}); err != nil {
			t.Fatal(err)
		}
		board, err := db.CurrentRates(ctx, now)
		if err != nil || len(board) != 2 {
			t.Fatalf("%+v %v", board, err)
		}
		for _, r := range board {
			want := ""
			if r.Pair.Has("INR") {
				want = fx.FlagNoReference
			}
			if r.Flag != want {
				t.Fatalf("%s flag %q, want %q", r.Pair, r.Flag, want)
			}
		}
	})
}

// TestReferenceSetCache: the reference set is kept for a second per date.
// A publication through the same service is seen at once; one through
// another service on the same database (another serve process) is seen
// once the kept set is older than that, never later.
func TestReferenceSetCache(t *testing.T) {
	engines(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		fxTown(t, db)
		fxOrg(t, db, "centre", identity.KindBank, "100000000009")
		mk := func() *fx.Service {
			svc, err := fx.NewService(db, fx.Config{CentreOrg: func(context.Context) (string, error) { return "centre", nil }})
			if err != nil {
				t.Fatal(err)
			}
			return svc
		}
		here, there := mk(), mk()
		centre := &identity.Principal{UserID: "u-centre", OrgID: "centre", OrgKind: identity.KindBank, Roles: []identity.Role{identity.BankOperator}}
		day := time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)
		pub := func(svc *fx.Service, rate string) {
			t.Helper()
			if _, err := svc.PublishReference(ctx, centre, fx.NewReferenceTable{Date: "2026-03-10", Source: "NBK",
				Rates: []fx.NewReferenceRate{{Currency: "CNY", Units: 1, Rate: rate}}}); err != nil {
				t.Fatal(err)
			}
		}
		rate := func(svc *fx.Service) string {
			t.Helper()
			r, err := svc.KZTRate(ctx, "CNY", day)
			if err != nil {
				t.Fatal(err)
			}
			return r.String()
		}
		pub(here, "70")
		if got := rate(here); got != "70" {
			t.Fatalf("first read %s", got)
		}
		pub(here, "71") // a correction through this process: seen at once
		if got := rate(here); got != "71" {
			t.Fatalf("after this process published: %s", got)
		}
		set, _ := here.ReferenceSet(ctx, day)
		delete(set, "CNY") // a caller changing its copy changes nothing kept
		if got := rate(here); got != "71" {
			t.Fatalf("the kept set was changed through a copy: %s", got)
		}
		pub(there, "72") // through another process
		deadline := time.Now().Add(3 * time.Second)
		for rate(here) != "72" {
			if time.Now().After(deadline) {
				t.Fatal("another process's publication still unseen after 3 s")
			}
			time.Sleep(50 * time.Millisecond)
		}
	})
}
