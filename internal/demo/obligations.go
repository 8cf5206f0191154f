package demo

import (
	"context"
	"fmt"
	"time"

	"bricstown/internal/identity"
	"bricstown/internal/obligations"
	"bricstown/internal/problem"
)

// demoInvoice is one trade-credit invoice of the demo: Debtor owes
// Creditor Amount (major units); the comments say what for.
type demoInvoice struct {
	Number, Creditor, Debtor string
	Amount, Currency         string
	IssuedDaysAgo, DueInDays int
	Unconfirmed              bool // left for the debtor to confirm in the demo
}

// Company names, shortened for the table below.
const (
	grain     = "Kazakh Grain Export"
	energy    = "Siberian Energy Trading"
	devices   = "Shenzhen Smart Devices"
	agro      = "Cerrado Agro Exportadora"
	textile   = "Gujarat Textile Mills"
	fruit     = "Cape Fruit Exporters"
	cotton    = "Nile Cotton Company"
	coffee    = "Sidamo Coffee Union"
	saffron   = "Khorasan Saffron"
	dates     = "Gulf Dates Trading"
	palm      = "Nusantara Palm Industries"
	logistics = "Khorgos Gateway Logistics"
)

// demoInvoices is a month of trade credit in the town: freight, fuel,
// grain, cotton and devices bought on 30–60 day terms. Debts run in
// circles (grain → freight → fuel → grain, cotton → textiles → sacks →
// grain …), which is exactly what multilateral set-off clears. Four
// invoices await their debtor's confirmation, two of them owed by Kazakh
// Grain Export so its trader has something to confirm.
var demoInvoices = []demoInvoice{
	// KZT: the town's own currency carries most of the local trade.
	{"KGL-2611", logistics, grain, "18500000.00", "KZT", 38, 22, false},  // rail freight for wheat
	{"SET-7730", energy, logistics, "12000000.00", "KZT", 35, 25, false}, // diesel for the terminal
	{"KGE-0917", grain, energy, "9800000.00", "KZT", 33, 27, false},      // wheat
	{"KGL-2624", logistics, devices, "6400000.00", "KZT", 30, 30, false}, // container handling
	{"SSD-4410", devices, logistics, "3900000.00", "KZT", 29, 31, false}, // GPS trackers for the fleet
	{"SSD-4415", devices, grain, "4750000.00", "KZT", 28, 32, false},     // grain moisture sensors
	{"SET-7741", energy, devices, "5200000.00", "KZT", 27, 33, false},    // power for the assembly line
	{"KGL-2630", logistics, energy, "4100000.00", "KZT", 26, 34, false},  // rail slots
	{"KGL-2633", logistics, textile, "2300000.00", "KZT", 25, 35, false}, // freight
	{"GTM-1182", textile, logistics, "1150000.00", "KZT", 24, 36, false}, // uniforms
	{"NCC-0301", cotton, textile, "8600000.00", "KZT", 23, 37, false},    // raw cotton
	{"KGL-2641", logistics, cotton, "3300000.00", "KZT", 22, 38, false},  // freight
	{"GTM-1190", textile, grain, "2750000.00", "KZT", 21, 39, false},     // jute sacks
	{"KGE-0925", grain, cotton, "1900000.00", "KZT", 20, 40, false},      // seed grain
	{"KGL-2650", logistics, dates, "1800000.00", "KZT", 19, 41, false},   // cold-chain freight
	{"GDT-0088", dates, grain, "1250000.00", "KZT", 18, 42, false},       // dates for the holiday baskets
	{"KGL-2652", logistics, saffron, "950000.00", "KZT", 17, 43, false},  // air freight
	{"KGL-2655", logistics, fruit, "2100000.00", "KZT", 16, 44, false},   // reefer containers
	{"CFE-5120", fruit, logistics, "600000.00", "KZT", 15, 45, false},    // fruit for the terminal canteen
	{"NPI-0712", palm, grain, "3400000.00", "KZT", 14, 46, true},         // palm oil (awaiting confirmation)
	{"KGL-2660", logistics, palm, "2900000.00", "KZT", 13, 47, false},    // freight
	{"KGE-0931", grain, palm, "1600000.00", "KZT", 12, 48, false},        // flour
	{"SCU-0045", coffee, grain, "700000.00", "KZT", 10, 50, true},        // coffee (awaiting confirmation)
	{"KGL-2668", logistics, coffee, "1200000.00", "KZT", 9, 51, false},   // freight
	{"KSF-0207", saffron, agro, "450000.00", "KZT", 8, 52, true},         // saffron samples (awaiting confirmation)
	// CNY: trade with the Chinese side of Khorgos.
	{"SSD-C-881", devices, grain, "480000.00", "CNY", 30, 30, false}, // weighing stations
	{"KGE-C-112", grain, devices, "350000.00", "CNY", 25, 35, false}, // wheat
	{"KGL-C-301", logistics, devices, "210000.00", "CNY", 20, 40, false},
	{"SSD-C-890", devices, logistics, "160000.00", "CNY", 15, 45, false},
	// RUB: trade with the Russian side.
	{"SET-R-5501", energy, grain, "14000000.00", "RUB", 34, 26, false},    // fuel oil
	{"KGL-R-0420", logistics, energy, "9500000.00", "RUB", 28, 32, false}, // transit freight
	{"KGE-R-0077", grain, logistics, "6000000.00", "RUB", 21, 39, false},  // grain for the rail workers' canteen
	{"KSF-R-0019", saffron, energy, "1800000.00", "RUB", 7, 53, true},     // saffron (awaiting confirmation)
}

// SeedObligations records the demo's invoices (each by its creditor's
// staff), has the debtors confirm all but four, and runs one clearing run
// so the reports have something to show. It is idempotent: invoices are
// keyed by number per creditor, so a second seeding finds them (a batch
// whose numbers are on record with other dates, as after a restart on a
// later day, is left as it is); confirming twice changes nothing; and the
// run happens only while no run exists.
func SeedObligations(ctx context.Context, ids *identity.Service, svc *obligations.Service, now time.Time) error {
	orgs := map[string]identity.Org{}
	list, err := ids.Orgs(ctx, identity.Page{Limit: 1000})
	if err != nil {
		return err
	}
	for _, o := range list {
		orgs[o.Name] = o
	}
	staff := map[string]*identity.Principal{}
	principal := func(name string) (*identity.Principal, error) {
		if p, ok := staff[name]; ok {
			return p, nil
		}
		o, ok := orgs[name]
		if !ok {
			return nil, fmt.Errorf("demo: no organisation %q; run Seed first", name)
		}
		users, err := ids.OrgUsers(ctx, o.ID, identity.Page{Limit: 20})
		if err != nil {
			return nil, err
		}
		for _, u := range users {
			p := &identity.Principal{UserID: u.ID, OrgID: o.ID, OrgKind: o.Kind, Name: u.Name, Email: u.Email, Roles: u.Roles}
			if obligations.CanEnter(p) {
				staff[name] = p
				return p, nil
			}
		}
		return nil, fmt.Errorf("demo: %s has no trader or administrator", name)
	}
	today := now.UTC().Truncate(24 * time.Hour)
	day := func(offset int) string { return today.AddDate(0, 0, offset).Format(obligations.DateLayout) }

	// One batch per creditor, in the table's order.
	var creditors []string
	batches := map[string][]obligations.NewInvoice{}
	confirm := map[string]bool{} // creditor/number -> debtor confirms
	for _, x := range demoInvoices {
		if _, ok := batches[x.Creditor]; !ok {
			creditors = append(creditors, x.Creditor)
		}
		d, ok := orgs[x.Debtor]
		if !ok {
			return fmt.Errorf("demo: no organisation %q; run Seed first", x.Debtor)
		}
		batches[x.Creditor] = append(batches[x.Creditor], obligations.NewInvoice{Number: x.Number, Debtor: d.ID, Amount: x.Amount,
			Currency: x.Currency, IssueDate: day(-x.IssuedDaysAgo), DueDate: day(x.DueInDays - x.IssuedDaysAgo)})
		confirm[x.Creditor+"/"+x.Number] = !x.Unconfirmed
	}
	for _, c := range creditors {
		p, err := principal(c)
		if err != nil {
			return err
		}
		out, err := svc.CreateInvoices(ctx, p, batches[c], obligations.SourceDemo)
		if problem.Is(err, problem.Conflict) {
			continue // seeded on an earlier day
		}
		if err != nil {
			return fmt.Errorf("demo: invoices of %s: %w", c, err)
		}
		for _, x := range out {
			if !confirm[c+"/"+x.Invoice.Number] || x.Invoice.Confirmed() {
				continue
			}
			var debtor string
			for name, o := range orgs {
				if o.ID == x.Invoice.DebtorOrg {
					debtor = name
				}
			}
			dp, err := principal(debtor)
			if err != nil {
				return err
			}
			if _, _, err := svc.Confirm(ctx, dp, x.Invoice.ID); err != nil {
				return fmt.Errorf("demo: confirm %s: %w", x.Invoice.Number, err)
			}
		}
	}
	ran, err := svc.AnyRun(ctx)
	if err != nil {
		return err
	}
	if !ran {
		if _, err := svc.Run(ctx, nil); err != nil {
			return fmt.Errorf("demo: clearing run: %w", err)
		}
	}
	return nil
}
