package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"

	"bricstown/internal/fx"
	"bricstown/internal/identity"
	"bricstown/internal/platform"
	"bricstown/internal/problem"
	"bricstown/internal/sqlstore"
)

// importReferenceRates publishes a CSV file of official reference rates
// (date,currency,units,rate,source: the NBK's daily tables) into the
// database, all lines or none, on behalf of the settlement centre: the
// operator running it has the database itself, which is more than the
// platform administrator's role.
func importReferenceRates(ctx context.Context, e *env, args []string) error {
	f := newFlags(e, "import reference-rates", "import reference-rates --csv FILE [--db …]")
	path := f.string("csv", "BRICSTOWN_IMPORT_CSV", "", "reference rate CSV: date,currency,units,rate,source ('-' reads standard input)")
	dsn := dbFlag(f)
	centreOrg := f.string("settlement-centre-org", "BRICSTOWN_SETTLEMENT_CENTRE_ORG", "BRICS Town Settlement Centre", "name of the organisation recorded as the publisher")
	if err := f.parse(args); err != nil {
		return err
	}
	if *path == "" {
		return usageError{"import reference-rates: --csv is required"}
	}
	var data []byte
	var err error
	if *path == "-" {
		data, err = io.ReadAll(io.LimitReader(e.stdin, 64<<20))
	} else {
		data, err = os.ReadFile(*path)
	}
	if err != nil {
		return err
	}
	log, _ := newLogger(e.stderr, "warn", "text")
	db, err := sqlstore.Open(ctx, *dsn, log)
	if err != nil {
		return err
	}
	defer db.Close()
	if _, err := db.Migrate(ctx); err != nil {
		return err
	}
	ids := identity.NewService(db, identity.Config{})
	org, err := platform.OrgNamed(ids, *centreOrg)(ctx)
	if err != nil {
		return err
	}
	fxs, err := fx.NewService(db, fx.Config{})
	if err != nil {
		return err
	}
	p := &identity.Principal{UserID: "cli", OrgID: org, Roles: []identity.Role{identity.PlatformAdmin}, Via: "cli"}
	rows, err := fxs.ImportReferenceCSV(ctx, p, bytes.NewReader(data))
	if err != nil {
		if pe, ok := err.(*problem.Error); ok {
			for k, v := range pe.Fields {
				fmt.Fprintf(e.stderr, "%s: %s\n", k, v)
			}
		}
		return err
	}
	dates := map[string]bool{}
	for _, r := range rows {
		dates[r.Date] = true
	}
	fmt.Fprintf(e.stdout, "published %d reference rate(s) for %d date(s) (%s, %s)\n", len(rows), len(dates), db.Engine, db.Where)
	return nil
}
