package demo

import (
	"context"
	"errors"
	"fmt"
	"time"

	"bricstown/internal/audit"
	"bricstown/internal/fx"
	"bricstown/internal/identity"
	"bricstown/internal/ledger"
	"bricstown/internal/money"
	"bricstown/internal/problem"

	"github.com/google/uuid"
)

// The demo's ledger: the settlement centre issues local currencies into the
// banks' FX inventories and the companies' operating accounts, and a month
// of trade payments gives every account a history worth a chart. Account
// and transfer ids are derived from names, so seeding twice finds them.
var demoNS = uuid.MustParse("6f1c1d0e-8b7a-4c57-9d5e-2a61b0c0b7a1")

func demoID(parts ...any) ledger.ID { return uuid.NewSHA1(demoNS, []byte(fmt.Sprint(parts...))) }

// bankBooks lists, per bank, the currencies it trades (an "fx" account
// each) and the pairs it quotes with its spread in basis points.
var bankBooks = []struct {
	Bank      string
	FeeBps    int64
	Pairs     []string
	SpreadBps int64
}{
	{"Steppe Commercial Bank", 8, []string{"KZT/CNY", "KZT/RUB", "KZT/INR", "KZT/AED"}, 35},
	{"Volga Trade Bank", 10, []string{"RUB/CNY", "RUB/INR", "KZT/RUB"}, 40},
	{"Yangtze Settlement Bank", 6, []string{"CNY/BRL", "CNY/KZT", "CNY/INR", "CNY/ZAR"}, 30},
	{"Banco Cerrado", 12, []string{"BRL/CNY", "BRL/INR"}, 45},
	{"Deccan Commerce Bank", 10, []string{"INR/RUB", "INR/KZT", "INR/AED"}, 40},
}

// companyAccounts opens each company's operating account in its home
// currency (and in KZT for the Kazakh ones), with an opening balance.
var companyAccounts = []struct {
	Company string
	Ccy     string
	Opening int64 // major units
}{
	{"Kazakh Grain Export", "KZT", 250_000_000},
	{"Kazakh Grain Export", "CNY", 0},
	{"Siberian Energy Trading", "RUB", 180_000_000},
	{"Siberian Energy Trading", "KZT", 20_000_000},
	{"Shenzhen Smart Devices", "CNY", 9_000_000},
	{"Shenzhen Smart Devices", "KZT", 0},
	{"Cerrado Agro Exportadora", "BRL", 6_500_000},
	{"Gujarat Textile Mills", "INR", 95_000_000},
	{"Cape Fruit Exporters", "ZAR", 12_000_000},
	{"Gulf Dates Trading", "AED", 4_000_000},
	{"Khorgos Gateway Logistics", "KZT", 60_000_000},
}

// SeedFinance gives the demo town its ledger and FX market; it is
// idempotent like Seed.
func SeedFinance(ctx context.Context, ids *identity.Service, led *ledger.Service, fxs *fx.Service, exponent func(string) (int, bool), now time.Time) error {
	orgs := map[string]identity.Org{}
	list, err := ids.Orgs(ctx, identity.Page{Limit: 1000})
	if err != nil {
		return err
	}
	for _, o := range list {
		orgs[o.Name] = o
	}
	centre, ok := orgs["BRICS Town Settlement Centre"]
	if !ok {
		return errors.New("demo: run Seed first")
	}
	var accounts []ledger.Account
	want := func(org identity.Org, ccy string, kind ledger.Kind, code, name string, flags ledger.AccountFlags) ledger.ID {
		id := demoID("account", org.Name, ccy, code)
		accounts = append(accounts, ledger.Account{ID: id, OrgID: org.ID, Currency: ccy, Kind: kind, Code: code, Name: name, Flags: flags, CreatedAt: now.AddDate(0, 0, -31)})
		return id
	}
	_ = centre
	// Money is created only by banks, from issuance accounts the platform
	// opens with a credit line (docs/MONEY.md): each bank funds its own FX
	// inventory, and each company's opening balance is credited by the
	// town bank of that currency.
	issuance := map[string]ledger.ID{} // bank/currency -> issuance account
	var issueErr error
	issue := func(bank, ccy string) ledger.ID {
		key := bank + "/" + ccy
		if id, ok := issuance[key]; ok {
			return id
		}
		a, err := led.OpenSystemAccount(ctx, ledger.SystemAccountSpec{OrgID: orgs[bank].ID, Currency: ccy, Code: ledger.BankIssuance,
			Name: "Issuance " + ccy, Kind: ledger.Liability, Issuer: true, Limit: demoCreditLine(ccy, exponent)})
		if err != nil && issueErr == nil {
			issueErr = fmt.Errorf("demo: issuance account %s: %w", key, err)
		}
		issuance[key] = a.ID
		return a.ID
	}
	fxAcct := map[string]ledger.ID{}
	for _, b := range bankBooks {
		seen := map[string]bool{}
		for _, pair := range b.Pairs {
			p, _ := fx.ParsePair(pair)
			for _, ccy := range []string{p.Base, p.Quote} {
				if !seen[ccy] {
					seen[ccy] = true
					fxAcct[b.Bank+"/"+ccy] = want(orgs[b.Bank], ccy, ledger.Liability, "fx", "FX inventory "+ccy, ledger.DebitsMustNotExceedCredits)
				}
			}
		}
	}
	ops := map[string]ledger.ID{}
	for _, c := range companyAccounts {
		ops[c.Company+"/"+c.Ccy] = want(orgs[c.Company], c.Ccy, ledger.Liability, "operating", "Operating "+c.Ccy, ledger.DebitsMustNotExceedCredits)
	}
	var missing []ledger.Account
	for _, a := range accounts {
		if _, err := led.AccountByID(ctx, a.ID); problem.Is(err, problem.NotFound) {
			missing = append(missing, a)
		} else if err != nil {
			return err
		}
	}
	if len(missing) > 0 {
		if err := led.OpenAccounts(ctx, missing, audit.Record{ActorUser: "system", Action: "ledger.account.create", Detail: "demo town"}); err != nil {
			return fmt.Errorf("demo: accounts: %w", err)
		}
	}

	// History: funding 31 days ago, then a payment or two a day. The
	// ledger only accepts timestamps after its newest, so past-dated demo
	// history is written only into an empty ledger.
	if t, err := led.TransferByID(ctx, demoID("transfer", "funding", 0)); err == nil || !problem.Is(err, problem.NotFound) {
		_ = t
	} else if empty, err := led.Empty(ctx); err != nil {
		return err
	} else if empty {
		minor := func(ccy string, major int64) int64 {
			exp, _ := exponent(ccy)
			for i := 0; i < exp; i++ {
				major *= 10
			}
			return major
		}
		var day0 []ledger.Transfer
		n := 0
		add := func(list *[]ledger.Transfer, dr, cr ledger.ID, ccy string, amount int64, ref string) {
			*list = append(*list, ledger.Transfer{ID: demoID("transfer", "funding", n), DebitAccount: dr, CreditAccount: cr, Amount: amount, Currency: ccy, Code: "demo", Reference: ref})
			n++
		}
		for key, id := range fxAcct {
			bank, ccy := key[:len(key)-4], key[len(key)-3:]
			add(&day0, issue(bank, ccy), id, ccy, minor(ccy, map[string]int64{"KZT": 5_000_000_000, "RUB": 900_000_000, "INR": 800_000_000}[ccy]+50_000_000), "inventory")
		}
		for _, c := range companyAccounts {
			if c.Opening > 0 {
				add(&day0, issue(townBank(c.Ccy), c.Ccy), ops[c.Company+"/"+c.Ccy], c.Ccy, minor(c.Ccy, c.Opening), "opening balance")
			}
		}
		if issueErr != nil {
			return issueErr
		}
		start := now.AddDate(0, 0, -30).Truncate(24 * time.Hour).Add(9 * time.Hour)
		if _, err := led.SeedHistory(ctx, day0, start.Add(-24*time.Hour)); err != nil {
			return fmt.Errorf("demo: funding: %w", err)
		}
		// Daily trade: the grain exporter is paid by the logistics firm and
		// by the energy trader's KZT account, and pays freight.
		for d := 0; d < 30; d++ {
			at := start.Add(time.Duration(d) * 24 * time.Hour)
			var day []ledger.Transfer
			pay := func(from, to string, ccy string, major int64, ref string) {
				day = append(day, ledger.Transfer{ID: demoID("transfer", "day", d, ref), DebitAccount: ops[from+"/"+ccy], CreditAccount: ops[to+"/"+ccy],
					Amount: minor(ccy, major), Currency: ccy, Code: "trade", Reference: ref})
			}
			pay("Siberian Energy Trading", "Kazakh Grain Export", "KZT", int64(400_000+(d*37_000)%900_000), fmt.Sprintf("INV-KGE-%03d", d+1))
			if d%3 == 0 {
				pay("Kazakh Grain Export", "Khorgos Gateway Logistics", "KZT", int64(1_200_000+(d*53_000)%700_000), fmt.Sprintf("FRT-%03d", d+1))
			}
			if d%4 == 1 {
				pay("Khorgos Gateway Logistics", "Kazakh Grain Export", "KZT", int64(150_000+d*11_000), fmt.Sprintf("REFUND-%03d", d+1))
			}
			if d%5 == 2 {
				pay("Shenzhen Smart Devices", "Kazakh Grain Export", "CNY", int64(20_000+d*900), fmt.Sprintf("PO-SZD-%03d", d+1))
			}
			if _, err := led.SeedHistory(ctx, day, at); err != nil {
				return fmt.Errorf("demo: day %d: %w", d, err)
			}
		}
	}

	// The official reference table comes first, so that the banks' quotes
	// below are checked against it.
	if err := SeedReference(ctx, fxs, orgs["BRICS Town Administration"].ID, now); err != nil {
		return fmt.Errorf("demo: reference rates: %w", err)
	}
	// The FX market: every bank quotes its pairs around the indicative
	// mids, and charges a small fee.
	board, err := fxs.CurrentRates(ctx, now)
	if err != nil {
		return err
	}
	quoted := map[string]bool{}
	for _, r := range board {
		quoted[r.Provider] = true
	}
	usd := fx.DefaultUSDConfig()
	for _, b := range bankBooks {
		org := orgs[b.Bank]
		if quoted[org.ID] {
			continue
		}
		p := &identity.Principal{UserID: "system", OrgID: org.ID, OrgKind: identity.KindBank, Roles: []identity.Role{identity.BankOperator}, Via: "session"}
		for _, pair := range b.Pairs {
			pp, _ := fx.ParsePair(pair)
			bid, ask, err := aroundMid(usd, pp, b.SpreadBps)
			if err != nil {
				return fmt.Errorf("demo: %s %s: %w", b.Bank, pair, err)
			}
			if _, err := fxs.PublishRate(ctx, p, fx.NewRate{Pair: pair, Bid: bid, Ask: ask}); err != nil {
				return fmt.Errorf("demo: publish %s %s: %w", b.Bank, pair, err)
			}
		}
		if _, err := fxs.SetFee(ctx, p, fx.NewFee{Bps: b.FeeBps}); err != nil {
			return fmt.Errorf("demo: fee %s: %w", b.Bank, err)
		}
	}
	if err := seedCounterparties(ctx, orgs, led, ops); err != nil {
		return err
	}
	if err := seedConversion(ctx, orgs, led, fxs, ops); err != nil {
		return err
	}
	return seedPending(ctx, orgs, led, ops)
}

// seedConversion shows a settled local-currency conversion: the grain
// exporter turns 2,000,000 KZT into CNY at the best quote of the town's
// banks. It runs once: the quote's transfers carry the demo reference.
func seedConversion(ctx context.Context, orgs map[string]identity.Org, led *ledger.Service, fxs *fx.Service, ops map[string]ledger.ID) error {
	org := orgs["Kazakh Grain Export"]
	p := &identity.Principal{UserID: "system", OrgID: org.ID, OrgKind: org.Kind, Roles: []identity.Role{identity.Trader}, Via: "session"}
	history, err := led.HistoryOf(ctx, ops["Kazakh Grain Export/CNY"], 0, 500)
	if err != nil {
		return err
	}
	for _, t := range history {
		if t.Code == "fx_conversion" {
			return nil // converted already
		}
	}
	q, err := fxs.Quote(ctx, p, fx.QuoteRequest{Sell: "KZT", Buy: "CNY", SellAmount: 2_000_000_00})
	if err != nil {
		return fmt.Errorf("demo: quote: %w", err)
	}
	if _, err := fxs.Convert(ctx, p, fx.ConvertRequest{QuoteID: q.ID, FromAccountID: ops["Kazakh Grain Export/KZT"].String(),
		ToAccountID: ops["Kazakh Grain Export/CNY"].String()}); err != nil {
		return fmt.Errorf("demo: conversion: %w", err)
	}
	return nil
}

// aroundMid prices BASE/QUOTE from the USD mids (QUOTE per USD divided by
// BASE per USD) and puts bid and ask spreadBps/2 either side of it.
func aroundMid(usd fx.USDConfig, p fx.Pair, spreadBps int64) (bid, ask string, err error) {
	b, q := usd[p.Base], usd[p.Quote]
	inv, err := b.Mid.Inverse(12, money.RoundHalfEven)
	if err != nil {
		return "", "", err
	}
	mid, err := q.Mid.Mul(inv, 8, money.RoundHalfEven)
	if err != nil {
		return "", "", err
	}
	half := spreadBps / 2
	lo, _ := money.ParseRate(fmt.Sprintf("0.%04d", 10000-half))
	hi, _ := money.ParseRate(fmt.Sprintf("1.%04d", half))
	bidR, err := mid.Mul(lo, 6, money.RoundDown)
	if err != nil {
		return "", "", err
	}
	askR, err := mid.Mul(hi, 6, money.RoundUp)
	if err != nil {
		return "", "", err
	}
	if mid.String() != "" && bidR.IsZero() {
		return "", "", fmt.Errorf("rate too small to quote at 6 decimals")
	}
	return bidR.String(), askR.String(), nil
}

// townBank is the demo bank that keeps companies' accounts in a currency.
func townBank(ccy string) string {
	switch ccy {
	case "RUB":
		return "Volga Trade Bank"
	case "CNY":
		return "Yangtze Settlement Bank"
	case "BRL":
		return "Banco Cerrado"
	case "INR":
		return "Deccan Commerce Bank"
	}
	return "Steppe Commercial Bank"
}

// demoCreditLine is the issuance limit the demo centre grants each bank in
// a currency: 20 billion units, ample for the demo town's balances.
func demoCreditLine(ccy string, exponent func(string) (int, bool)) int64 {
	v := int64(20_000_000_000)
	exp, _ := exponent(ccy)
	for i := 0; i < exp; i++ {
		v *= 10
	}
	return v
}
