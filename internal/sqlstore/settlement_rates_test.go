package sqlstore

import (
	"context"
	"reflect"
	"testing"
	"time"

	"bricstown/internal/audit"
	"bricstown/internal/fx"
	"bricstown/internal/settlement"
)

// Issue 8: the only quoter of CNY/KZT publishes an absurd price (here a
// price stored before the reference existed, so publication could not
// refuse it). The cycle prices the pair at the official reference, so the
// payee is credited 10.00 CNY × 70 = 700.00 KZT and not the fortune the
// quote implies; the report says where the rate came from.
func TestSettlementSingleAbsurdQuoterCannotDrainTheCentre(t *testing.T) {
	engines(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		w := newSettlementWorld(t, db)
		p, _ := fx.ParsePair("KZT/CNY")
		rogue := fx.Rate{ID: "rogue-kztcny", Provider: w.banks[2].ID, Pair: p, Bid: fxMustRate(t, "0.000001"), Ask: fxMustRate(t, "0.0000015"),
			PublishedAt: w.clockAt, Flag: fx.FlagNoReference}
		ref := fx.ReferenceSet{"CNY": {Date: "2026-03-16", Currency: "CNY", Units: 1, KZT: fxMustRate(t, "70"), Source: "National Bank of Kazakhstan"}}
		for _, withRef := range []bool{false, true} {
			rs := ref
			if !withRef {
				rs = nil
			}
			book := settlement.NewRateBook([]fx.Rate{rogue}, rs, nil, fx.DefaultBandBps)
			if r, _ := book.Rate("CNY", "KZT"); withRef && r.String() != "70" || !withRef && r.String() != "800000" {
				t.Fatalf("ref %v: CNY/KZT %s", withRef, r)
			}
		}
		w.svc = settlement.NewService(db, settlement.Config{Ledger: w.led, Exponent: exp, Orgs: settlement.OrgsFunc(db.GetOrg), Now: func() time.Time { return w.clockAt },
			CentreOrg: func(context.Context) (string, error) { return w.centre.ID, nil },
			RateBook: func(context.Context) (*settlement.RateBook, error) {
				return settlement.NewRateBook([]fx.Rate{rogue}, ref, nil, fx.DefaultBandBps), nil
			}})
		res, err := w.svc.Submit(ctx, w.bank(0), []settlement.InstructionInput{{EndToEndID: "X1", PayeeBIC: "BANKBKZK",
			Amount: "10.00", Currency: "CNY", PayeeCurrency: "KZT"}}, "api")
		if err != nil || res[0].Result != "ok" {
			t.Fatalf("submit %v %v", res, err)
		}
		c, err := w.svc.RunCycle(ctx, audit.Record{ActorUser: "test"})
		if err != nil {
			t.Fatal(err)
		}
		// The cycle nets in its first currency's listing (KZT/CNY =
		// 0.014285714286), so the credit may fall one tiyn short of 700.00;
		// at the rogue's price it would be 8,000,000.00 KZT.
		if got := w.balance(t, "beta", "KZT") - 1000_00; got < 699_99 || got > 700_00 {
			t.Fatalf("beta credited %d KZT minor units: not the reference 70 per CNY", got)
		}
		if got := w.balance(t, "alpha", "CNY"); got != 100_00-10_00 {
			t.Fatalf("alpha CNY %d", got)
		}
		want := []settlement.RateSource{{A: "CNY", B: "KZT", Rate: fxMustRate(t, "70"), Method: settlement.RateReference,
			Outliers: []string{w.banks[2].ID}, ReferenceDate: "2026-03-16", ReferenceMid: fxMustRate(t, "70"), BandBps: fx.DefaultBandBps}}
		got := c.Report.Rates
		for i := range got {
			got[i] = settlement.RateSource{A: got[i].A, B: got[i].B, Rate: got[i].Rate, Method: got[i].Method, Quotes: got[i].Quotes,
				Banks: got[i].Banks, Outliers: got[i].Outliers, ReferenceDate: got[i].ReferenceDate, ReferenceMid: got[i].ReferenceMid, BandBps: got[i].BandBps}
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("report rates %+v\nwant %+v", got, want)
		}
		// The stored report keeps the sources.
		stored, err := w.db.GetCycle(ctx, c.Number)
		if err != nil || len(stored.Report.Rates) != 1 || stored.Report.Rates[0].Method != settlement.RateReference {
			t.Fatalf("stored %+v %v", stored.Report.Rates, err)
		}
		mustVerify(t, db)
	})
}
