package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"bricstown/internal/audit"
	"bricstown/internal/identity"
	"bricstown/internal/sqlstore"
)

func TestImportReferenceRates(t *testing.T) {
	dir := t.TempDir()
	dsn := filepath.Join(dir, "r.db")
	ctx := context.Background()
	db, err := sqlstore.Open(ctx, dsn, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	if err := db.CreateOrg(ctx, identity.Org{ID: "centre", Name: "BRICS Town Settlement Centre", Kind: identity.KindBank, Country: "KZ",
		RegScheme: "KZ-BIN", RegID: "100000000009", CreatedAt: time.Now()}, audit.Record{ActorUser: "test", Action: "org.create"}); err != nil {
		t.Fatal(err)
	}
	db.Close()
	bad := filepath.Join(dir, "bad.csv")
	os.WriteFile(bad, []byte("date,currency,units,rate,source\n2026-03-02,CNY,1,70.1,NBK\n2026-03-02,RUB,3,5.5,NBK\n"), 0o644)
	if out, err := runCmd(t, "import", "reference-rates", "--csv", bad, "--db", dsn); err == nil || !strings.Contains(out, "line 3.units") {
		t.Fatalf("bad file: %v %s", err, out)
	}
	good := filepath.Join(dir, "good.csv")
	os.WriteFile(good, []byte("date,currency,units,rate,source\n2026-03-02,CNY,1,70.1,NBK\n2026-03-03,RUB,1,5.5,NBK\n"), 0o644)
	if out, err := runCmd(t, "import", "reference-rates", "--csv", good, "--db", dsn); err != nil || !strings.Contains(out, "published 2 reference rate(s) for 2 date(s)") {
		t.Fatalf("good file: %v %s", err, out)
	}
	db, err = sqlstore.Open(ctx, dsn, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.ReferenceRates(ctx, "2026-03-09")
	if err != nil || len(rows) != 2 || rows[0].Currency != "CNY" || rows[0].Publisher != "centre" {
		t.Fatalf("%+v %v", rows, err)
	}
}
