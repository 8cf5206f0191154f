package demo

import (
	"context"
	"time"

	"bricstown/internal/fx"
	"bricstown/internal/identity"
)

// DemoReferenceSource labels the demo town's reference table wherever it is
// shown: it is not official data. A deployment publishes the National Bank
// of Kazakhstan's official rates instead (API, page or CSV import).
const DemoReferenceSource = "DEMO indicative table, not official rates: tenge prices derived from the platform's indicative USD mids (a deployment publishes the National Bank of Kazakhstan's official rates)"

// demoReference is the demo's reference table in the NBK's form: tenge for
// Units of each currency (the NBK quotes some currencies per 100 or 1000).
// The figures agree with the indicative USD table the demo banks quote
// around, so their prices fall inside the reference band.
var demoReference = []fx.NewReferenceRate{
	{Currency: "USD", Units: 1, Rate: "505.2"},
	{Currency: "CNY", Units: 1, Rate: "70.96"},
	{Currency: "RUB", Units: 1, Rate: "5.47"},
	{Currency: "BRL", Units: 1, Rate: "89.89"},
	{Currency: "INR", Units: 1, Rate: "5.87"},
	{Currency: "ZAR", Units: 1, Rate: "27.76"},
	{Currency: "AED", Units: 1, Rate: "137.56"},
	{Currency: "EGP", Units: 1, Rate: "10.19"},
	{Currency: "ETB", Units: 1, Rate: "3.84"},
	{Currency: "IRR", Units: 1000, Rate: "12.01"},
	{Currency: "IDR", Units: 100, Rate: "3.10"},
	{Currency: "BYN", Units: 1, Rate: "154.50"},
	{Currency: "BOB", Units: 1, Rate: "73.11"},
	{Currency: "MYR", Units: 1, Rate: "113.27"},
	{Currency: "THB", Units: 1, Rate: "14.60"},
	{Currency: "UGX", Units: 100, Rate: "13.64"},
	{Currency: "UZS", Units: 100, Rate: "3.97"},
	{Currency: "NGN", Units: 10, Rate: "3.26"},
	{Currency: "VND", Units: 100, Rate: "1.99"},
}

// SeedReference publishes the demo reference table, as the platform
// administrator, dated 31 days before now so that it covers the month of
// demo history; customs values goods at it and settlement and quote
// publication check banks' prices against it. It does nothing when a
// reference is already in force on now's date (idempotent).
func SeedReference(ctx context.Context, fxs *fx.Service, townAdminOrg string, now time.Time) error {
	set, err := fxs.ReferenceSet(ctx, now)
	if err != nil || len(set) > 0 {
		return err
	}
	p := &identity.Principal{UserID: "system", OrgID: townAdminOrg, OrgKind: identity.KindTownAdministration,
		Roles: []identity.Role{identity.PlatformAdmin}, Via: "session"}
	_, err = fxs.PublishReference(ctx, p, fx.NewReferenceTable{Date: now.UTC().AddDate(0, 0, -31).Format(time.DateOnly),
		Source: DemoReferenceSource, Rates: demoReference})
	return err
}
