package demo

import (
	"context"
	"errors"
	"fmt"
	"time"

	"bricstown/internal/audit"
	"bricstown/internal/identity"
	"bricstown/internal/ledger"
	"bricstown/internal/problem"
	"bricstown/internal/settlement"
)

// The demo's settlement: the five banks are participants of the town's
// settlement centre, hold a "settlement" account in each BRICS currency the
// demo trades, and have sent a day of payment instructions. Trade runs in
// circles (grain west, energy east, electronics and soybeans both ways), so
// multilateral netting leaves little to move; some payments are credited in
// another currency, so only each pair's net residual is converted; and one
// payment is larger than its bank can fund, so it waits.

// settlementCentreName is the demo org that runs settlement.
const settlementCentreName = "BRICS Town Settlement Centre"

// settlementCurrencies are the currencies every demo participant settles in.
var settlementCurrencies = []string{"KZT", "CNY", "RUB", "INR", "BRL"}

// settlementBanks are the participants: BIC, the KZT credit line (major
// units) and the opening balance of each settlement account (major units).
var settlementBanks = []struct {
	Bank      string
	BIC       string
	CreditKZT int64
	Funding   map[string]int64
}{
	{"Steppe Commercial Bank", "STPBKZKA", 50_000_000, map[string]int64{"KZT": 3_000_000_000, "CNY": 5_000_000, "RUB": 60_000_000, "INR": 50_000_000, "BRL": 3_000_000}},
	{"Volga Trade Bank", "VOLGRUMM", 50_000_000, map[string]int64{"KZT": 400_000_000, "CNY": 5_000_000, "RUB": 600_000_000, "INR": 50_000_000, "BRL": 3_000_000}},
	{"Yangtze Settlement Bank", "YNGZCNSH", 50_000_000, map[string]int64{"KZT": 400_000_000, "CNY": 60_000_000, "RUB": 60_000_000, "INR": 50_000_000, "BRL": 3_000_000}},
	// Banco Cerrado holds little tenge and has no tenge credit line: its
	// large tenge payment is deferred.
	{"Banco Cerrado", "CERRBRSP", 0, map[string]int64{"KZT": 20_000_000, "CNY": 5_000_000, "RUB": 60_000_000, "INR": 50_000_000, "BRL": 40_000_000}},
	{"Deccan Commerce Bank", "DECCINBB", 50_000_000, map[string]int64{"KZT": 300_000_000, "CNY": 5_000_000, "RUB": 60_000_000, "INR": 500_000_000, "BRL": 3_000_000}},
}

// demoPayment is one instruction: payer and payee BIC, amount in major
// units of Ccy, the currency the payee is credited in ("" = Ccy), and what
// it pays for.
type demoPayment struct {
	From, To string
	Amount   int64
	Ccy, To2 string
	Ref      string
	Later    bool // value-dated tomorrow
}

// The first cycle: circles in each currency, cross-currency payments both
// ways in four pairs, and one payment Banco Cerrado cannot fund.
var settlementCycle1 = []demoPayment{
	{"STPBKZKA", "VOLGRUMM", 180_000_000, "KZT", "", "Wheat, contract KGE-RU 2026/114", false},
	{"VOLGRUMM", "YNGZCNSH", 165_000_000, "KZT", "", "Fertiliser transit, invoice VT-2291", false},
	{"YNGZCNSH", "STPBKZKA", 172_500_000, "KZT", "", "Rail freight Khorgos-Almaty, March", false},
	{"STPBKZKA", "DECCINBB", 64_000_000, "KZT", "", "Cotton yarn, PO 7781", false},
	{"DECCINBB", "STPBKZKA", 58_750_000, "KZT", "", "Pharmaceuticals, invoice GTM-0412", false},
	{"YNGZCNSH", "VOLGRUMM", 41_200_000, "KZT", "", "Warehouse services, Q1", false},
	{"VOLGRUMM", "STPBKZKA", 37_800_000, "KZT", "", "Sunflower oil, contract SE-55", false},
	{"VOLGRUMM", "STPBKZKA", 42_000_000, "RUB", "", "Natural gas, March deliveries", false},
	{"STPBKZKA", "DECCINBB", 18_500_000, "RUB", "", "Tea, invoice 2026-118", false},
	{"DECCINBB", "VOLGRUMM", 21_300_000, "RUB", "", "Machine parts, PO 3310", false},
	{"STPBKZKA", "VOLGRUMM", 22_000_000, "RUB", "", "Barley, contract KGE-RU 2026/121", false},
	{"YNGZCNSH", "STPBKZKA", 12_600_000, "CNY", "", "Grain, contract KGE-CN 2026/08", false},
	{"STPBKZKA", "YNGZCNSH", 11_900_000, "CNY", "", "Smart devices, PO SZD-455", false},
	{"YNGZCNSH", "CERRBRSP", 4_800_000, "CNY", "", "Electronics, invoice 88-2026", false},
	{"CERRBRSP", "YNGZCNSH", 5_150_000, "CNY", "", "Soybeans, contract CA-CN 19", false},
	{"DECCINBB", "STPBKZKA", 95_000_000, "INR", "", "Textiles, invoice GTM-0419", false},
	{"STPBKZKA", "DECCINBB", 88_400_000, "INR", "", "Lentils, contract KGE-IN 2026/03", false},
	{"CERRBRSP", "DECCINBB", 2_400_000, "BRL", "", "Coffee, contract CA-IN 7", false},
	{"DECCINBB", "CERRBRSP", 2_150_000, "BRL", "", "Generic medicines, PO 2201", false},
	{"STPBKZKA", "YNGZCNSH", 85_000_000, "KZT", "CNY", "Solar panels, PO SZD-460", false},
	{"YNGZCNSH", "STPBKZKA", 1_150_000, "CNY", "KZT", "Flour, contract KGE-CN 2026/11", false},
	{"VOLGRUMM", "DECCINBB", 30_000_000, "RUB", "INR", "Rice, invoice GTM-0425", false},
	{"DECCINBB", "VOLGRUMM", 28_000_000, "INR", "RUB", "Fertiliser, contract SE-IN 4", false},
	{"CERRBRSP", "YNGZCNSH", 1_200_000, "BRL", "CNY", "Iron ore freight, BL 5531", false},
	{"CERRBRSP", "STPBKZKA", 95_000_000, "KZT", "", "Grain elevator equipment, PO 1007", false},
}

// The second cycle: the day's afternoon, netting again; Banco Cerrado's
// tenge payment is still short.
var settlementCycle2 = []demoPayment{
	{"STPBKZKA", "VOLGRUMM", 96_000_000, "KZT", "", "Wheat, contract KGE-RU 2026/115", false},
	{"VOLGRUMM", "STPBKZKA", 91_500_000, "KZT", "", "Diesel, contract SE-58", false},
	{"YNGZCNSH", "DECCINBB", 3_200_000, "CNY", "", "Cotton, invoice GTM-0431", false},
	{"DECCINBB", "YNGZCNSH", 2_950_000, "CNY", "", "Solar inverters, PO 3321", false},
	{"VOLGRUMM", "YNGZCNSH", 14_000_000, "RUB", "", "Timber, contract SE-CN 12", false},
	{"YNGZCNSH", "VOLGRUMM", 1_050_000, "CNY", "RUB", "Textile machinery, PO SZD-471", false},
	{"DECCINBB", "CERRBRSP", 1_600_000, "BRL", "", "Jute bags, invoice GTM-0433", false},
	{"CERRBRSP", "DECCINBB", 1_480_000, "BRL", "", "Sugar, contract CA-IN 9", false},
	{"STPBKZKA", "CERRBRSP", 12_000_000, "KZT", "", "Beef, contract CA-KZ 2", false},
	{"YNGZCNSH", "STPBKZKA", 6_400_000, "CNY", "", "Oilseeds, contract KGE-CN 2026/14", false},
	{"STPBKZKA", "YNGZCNSH", 6_100_000, "CNY", "", "Telecom equipment, PO SZD-480", false},
	{"DECCINBB", "STPBKZKA", 40_000_000, "INR", "", "Spices, invoice GTM-0440", false},
	{"STPBKZKA", "DECCINBB", 37_500_000, "INR", "", "Chickpeas, contract KGE-IN 2026/05", false},
}

// settlementQueued wait for the next cycle, which the settlement centre
// runs from the dashboard ("Run cycle now").
// The centre holds one of them (settlementHeld).
var settlementQueued = []demoPayment{
	{"STPBKZKA", "VOLGRUMM", 25_000_000, "KZT", "", "Wheat, contract KGE-RU 2026/116", false},
	{"VOLGRUMM", "STPBKZKA", 23_800_000, "KZT", "", "Lubricants, contract SE-61", false},
	{"YNGZCNSH", "STPBKZKA", 2_000_000, "CNY", "KZT", "Malt, contract KGE-CN 2026/15", false},
	{"DECCINBB", "YNGZCNSH", 18_000_000, "INR", "", settlementHeld, false},
	{"STPBKZKA", "YNGZCNSH", 50_000_000, "KZT", "", "Container lease, April (value-dated)", true},
}

// SeedSettlement admits the demo banks to settlement, opens and funds their
// settlement accounts from the centre's issuance accounts, submits the
// demo day's instructions and runs two cycles, leaving a few instructions
// queued. It is idempotent: once a cycle exists it does nothing, and a
// seeding interrupted half-way completes on the next start (accounts,
// transfers and end-to-end ids are derived from names).
func SeedSettlement(ctx context.Context, ids *identity.Service, led *ledger.Service, svc *settlement.Service, exponent func(string) (int, bool), now time.Time) error {
	if last, err := svc.LatestCycle(ctx); err != nil {
		return err
	} else if last > 0 {
		return nil
	}
	orgs := map[string]identity.Org{}
	var after string
	for {
		list, err := ids.Orgs(ctx, identity.Page{After: after, Limit: 500})
		if err != nil {
			return err
		}
		for _, o := range list {
			orgs[o.Name] = o
		}
		if len(list) < 500 {
			break
		}
		after = list[len(list)-1].ID
	}
	centre, ok := orgs[settlementCentreName]
	if !ok {
		return errors.New("demo: run Seed first")
	}
	minor := func(ccy string, major int64) int64 {
		exp, _ := exponent(ccy)
		for i := 0; i < exp; i++ {
			major *= 10
		}
		return major
	}

	// Participants.
	byBIC := map[string]identity.Org{}
	for _, b := range settlementBanks {
		org, ok := orgs[b.Bank]
		if !ok {
			return fmt.Errorf("demo: no bank %q", b.Bank)
		}
		byBIC[b.BIC] = org
		active := true
		in := settlement.ParticipantInput{OrgID: org.ID, BIC: b.BIC, Active: &active}
		if b.CreditKZT > 0 {
			in.CreditLines = map[string]string{"KZT": fmt.Sprintf("%d.00", b.CreditKZT)}
		}
		if _, err := svc.RegisterParticipant(ctx, nil, in); err != nil {
			return fmt.Errorf("demo: admit %s: %w", b.Bank, err)
		}
	}

	// Accounts: the centre's issuance account per currency (SeedFinance
	// opens most) and each bank's settlement accounts.
	var want []ledger.Account
	issuance := map[string]ledger.ID{}
	for _, ccy := range settlementCurrencies {
		cb, err := led.CentreAccounts(ctx, ccy)
		if err != nil {
			return fmt.Errorf("demo: centre accounts: %w", err)
		}
		issuance[ccy] = cb.Funding.ID
	}
	acct := map[string]ledger.ID{}
	for _, b := range settlementBanks {
		org := byBIC[b.BIC]
		for _, ccy := range settlementCurrencies {
			id := demoID("account", org.Name, ccy, settlement.SettlementCode)
			acct[b.BIC+"/"+ccy] = id
			want = append(want, ledger.Account{ID: id, OrgID: org.ID, Currency: ccy, Kind: ledger.Liability, Code: settlement.SettlementCode,
				Name: "Settlement " + ccy, CreatedAt: now})
		}
	}
	var missing []ledger.Account
	for _, a := range want {
		if _, err := led.AccountByID(ctx, a.ID); problem.Is(err, problem.NotFound) {
			missing = append(missing, a)
		} else if err != nil {
			return err
		}
	}
	if len(missing) > 0 {
		if err := led.OpenAccounts(ctx, missing, audit.Record{ActorUser: "system", Action: "ledger.account.create", Detail: "demo settlement"}); err != nil {
			return fmt.Errorf("demo: settlement accounts: %w", err)
		}
	}
	var funding []ledger.Transfer
	for _, b := range settlementBanks {
		for _, ccy := range settlementCurrencies {
			funding = append(funding, ledger.Transfer{ID: demoID("transfer", "settlement funding", b.BIC, ccy), DebitAccount: issuance[ccy],
				CreditAccount: acct[b.BIC+"/"+ccy], Amount: minor(ccy, b.Funding[ccy]), Currency: ccy, Code: "demo", Reference: "settlement funding"})
		}
	}
	res, err := led.SubmitSystem(ctx, funding, audit.Record{ActorUser: "system", Detail: "demo settlement funding"})
	if err != nil {
		return fmt.Errorf("demo: settlement funding: %w", err)
	}
	for i, r := range res {
		if r.Code != ledger.OK && r.Code != ledger.Exists {
			return fmt.Errorf("demo: settlement funding %d: %s", i, r.Code)
		}
	}

	// Instructions and cycles.
	n := 0
	submit := func(list []demoPayment) error {
		tomorrow := now.UTC().Truncate(24*time.Hour).AddDate(0, 0, 1).Format("2006-01-02")
		for _, x := range list {
			n++
			org := byBIC[x.From]
			p := &identity.Principal{UserID: "system", OrgID: org.ID, OrgKind: org.Kind, Roles: []identity.Role{identity.BankOperator}, Via: "session"}
			exp, _ := exponent(x.Ccy)
			in := settlement.InstructionInput{EndToEndID: fmt.Sprintf("%s-DEMO-%03d", x.From[:4], n), PayeeBIC: x.To,
				Amount: fmt.Sprintf("%d", x.Amount), Currency: x.Ccy, PayeeCurrency: x.To2, Remittance: x.Ref}
			if exp > 0 {
				in.Amount += "." + fmt.Sprintf("%0*d", exp, 0)
			}
			if x.Later {
				in.ValueDate = tomorrow
			}
			if _, err := svc.Submit(ctx, p, []settlement.InstructionInput{in}, "api"); err != nil {
				return fmt.Errorf("demo: instruction %s: %w", in.EndToEndID, err)
			}
		}
		return nil
	}
	run := func() error {
		_, err := svc.RunCycle(ctx, audit.Record{ActorUser: "system", Action: "settlement.cycle", Detail: "demo town"})
		if err != nil && !errors.Is(err, settlement.ErrNothingToSettle) {
			return fmt.Errorf("demo: settlement cycle: %w", err)
		}
		return nil
	}
	if err := submit(settlementCycle1); err != nil {
		return err
	}
	if err := run(); err != nil {
		return err
	}
	if err := submit(settlementCycle2); err != nil {
		return err
	}
	if err := run(); err != nil {
		return err
	}
	if err := submit(settlementQueued); err != nil {
		return err
	}
	return holdDemo(ctx, svc, centre.ID)
}

// settlementHeld is the queued payment the settlement centre holds in the
// demo, so its operators see a hold to release (or a payment to cancel).
const settlementHeld = "Electronic components, PO 3340"

// holdDemo holds one queued demo instruction as the settlement centre,
// through the service like any operator. It acts with the platform
// administrator's role, which the service counts as the centre: the demo
// need not know which organisation the server was told runs settlement.
func holdDemo(ctx context.Context, svc *settlement.Service, centreOrg string) error {
	centre := &identity.Principal{UserID: "system", OrgID: centreOrg, OrgKind: identity.KindBank, Roles: []identity.Role{identity.PlatformAdmin}, Via: "session"}
	queue, err := svc.Queue(ctx, centre, 0, 100)
	if err != nil {
		return err
	}
	for _, in := range queue {
		if in.Remittance == settlementHeld && !in.Held {
			if _, err := svc.Hold(ctx, centre, in.Seq, "Beneficiary details under review by the settlement centre"); err != nil {
				return fmt.Errorf("demo: hold %s: %w", in.EndToEndID, err)
			}
		}
	}
	return nil
}
