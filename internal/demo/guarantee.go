package demo

import (
	"context"
	"fmt"
	"time"

	"bricstown/internal/audit"
	"bricstown/internal/guarantee"
	"bricstown/internal/identity"
	"bricstown/internal/ledger"
	"bricstown/internal/problem"
)

// guaranteeBank is the demo bank that guarantees declarants' duties.
const guaranteeBank = "Steppe Commercial Bank"

// demoGuaranteeKZT is each demo guarantee, in tiyn (200 000 000 KZT).
const demoGuaranteeKZT int64 = 200_000_000_00

// SeedGuarantees has the demo bank set aside KZT in a guarantee cover
// account (funded by the settlement centre's issuance) and issue a
// guarantee to every demo declarant, so that declarants without KZT of
// their own can have their duties drawn. Run it after SeedFinance (whose
// history goes only into an empty ledger) and before SeedCustoms. It is
// idempotent: a declarant that holds an active guarantee of the bank gets
// no other.
func SeedGuarantees(ctx context.Context, ids *identity.Service, led *ledger.Service, gs *guarantee.Service, now time.Time) error {
	orgs := map[string]identity.Org{}
	list, err := ids.Orgs(ctx, identity.Page{Limit: 1000})
	if err != nil {
		return err
	}
	for _, o := range list {
		orgs[o.Name] = o
	}
	bank, ok := orgs[guaranteeBank]
	_, ok2 := orgs["BRICS Town Settlement Centre"]
	authority, ok3 := orgs["Khorgos Customs Post"]
	if !ok || !ok2 || !ok3 {
		return fmt.Errorf("demo: run Seed first")
	}
	if err := revenueAccount(ctx, led, authority, now); err != nil {
		return err
	}
	// The bank covers its guarantees with money it issues within the
	// centre's credit line (docs/MONEY.md).
	iss, err := led.OpenSystemAccount(ctx, ledger.SystemAccountSpec{OrgID: bank.ID, Currency: "KZT", Code: ledger.BankIssuance,
		Name: "Issuance KZT", Kind: ledger.Liability, Issuer: true, Limit: demoCreditLine("KZT", func(string) (int, bool) { return 2, true })})
	if err != nil {
		return fmt.Errorf("demo: issuance account: %w", err)
	}
	issuance := iss.ID
	cover := demoID("account", bank.Name, "KZT", "guarantee_cover")
	var missing []ledger.Account
	for _, a := range []ledger.Account{
		{ID: cover, OrgID: bank.ID, Currency: "KZT", Kind: ledger.Liability, Code: "guarantee_cover", Name: "Guarantee cover (KZT)",
			Flags: ledger.DebitsMustNotExceedCredits, CreatedAt: now},
	} {
		if _, err := led.AccountByID(ctx, a.ID); problem.Is(err, problem.NotFound) {
			missing = append(missing, a)
		} else if err != nil {
			return err
		}
	}
	if len(missing) > 0 {
		if err := led.OpenAccounts(ctx, missing, audit.Record{ActorUser: "system", Action: "ledger.account.create", Detail: "demo town: guarantee cover"}); err != nil {
			return fmt.Errorf("demo: guarantee cover account: %w", err)
		}
	}
	res, err := led.SubmitSystem(ctx, []ledger.Transfer{{ID: demoID("transfer", "guarantee-cover", 0), DebitAccount: issuance, CreditAccount: cover,
		Amount: 2_000_000_000_00, Currency: "KZT", Code: "demo", Reference: "guarantee cover"}},
		audit.Record{ActorUser: "system", Action: "ledger.transfer", Detail: "demo town: guarantee cover"})
	if err != nil {
		return err
	}
	if !res[0].Code.Created() {
		return fmt.Errorf("demo: fund the guarantee cover: %s", res[0].Code)
	}
	operator, err := demoPrincipal(ctx, ids, bank, identity.BankOperator)
	if err != nil {
		return err
	}
	issued, err := gs.List(ctx, operator, "", 500)
	if err != nil {
		return err
	}
	holds := map[string]bool{}
	for _, g := range issued {
		if g.Status == guarantee.Active {
			holds[g.PrincipalOrg] = true
		}
	}
	seen := map[string]bool{}
	n := len(issued)
	for _, d := range demoDeclarations(now) {
		org, ok := orgs[d.declarant]
		if !ok || seen[org.ID] || holds[org.ID] {
			continue
		}
		seen[org.ID] = true
		n++
		if _, err := gs.Issue(ctx, operator, guarantee.NewGuarantee{Reference: fmt.Sprintf("STB-BG-%d-%04d", now.Year(), n), PrincipalOrg: org.ID,
			BackingAccountID: cover.String(), AmountKZT: demoGuaranteeKZT, ValidUntil: now.Add(180 * 24 * time.Hour).Format(time.RFC3339)}); err != nil {
			return fmt.Errorf("demo: guarantee for %s: %w", org.Name, err)
		}
	}
	return nil
}
