package fx_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"bricstown/internal/audit"
	"bricstown/internal/fx"
	"bricstown/internal/identity"
	"bricstown/internal/ledger"
	"bricstown/internal/money"
	"bricstown/internal/problem"
	"bricstown/internal/refdata"
	"bricstown/internal/sqlstore"

	"github.com/google/uuid"
)

// town is a real store with a running ledger and an FX service on a
// settable clock: two banks that make markets and two companies.
type town struct {
	t   *testing.T
	ctx context.Context
	db  *sqlstore.DB
	led *ledger.Service
	fx  *fx.Service
	now atomic.Pointer[time.Time]
	// vault is each bank's own account per currency, which funds its
	// inventory and its customers' accounts.
	vault map[string]string
}

func newTown(t *testing.T) *town {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	log := slog.New(slog.DiscardHandler)
	db, err := sqlstore.Open(ctx, filepath.Join(t.TempDir(), "fx.db"), log)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	w := &town{t: t, ctx: ctx, db: db, vault: map[string]string{}}
	start := time.Now().UTC().Truncate(time.Second)
	w.now.Store(&start)
	for i, o := range []struct {
		id   string
		kind identity.OrgKind
	}{{"bankA", identity.KindBank}, {"bankB", identity.KindBank}, {"acme", identity.KindCompany}, {"zeta", identity.KindCompany}} {
		org := identity.Org{ID: o.id, Name: o.id, Kind: o.kind, Country: "KZ", RegScheme: "KZ-BIN", RegID: fmt.Sprintf("1000000000%02d", i), CreatedAt: start}
		if err := db.CreateOrg(ctx, org, audit.Record{ActorUser: "system", Action: "org.create", SubjectType: "org", SubjectID: o.id, OrgID: o.id}); err != nil {
			t.Fatal(err)
		}
	}
	ref := refdata.Default()
	w.led = ledger.NewService(db, ledger.Config{Log: log, Exponent: func(c string) (int, bool) {
		cur, ok := ref.Currency(c)
		return cur.MinorUnits, ok && cur.IsMoney()
	}})
	go w.led.Run(ctx)
	w.fx, err = fx.NewService(db, fx.Config{Policy: fx.Policy{USD: fx.DefaultUSDConfig()}, Now: func() time.Time { return *w.now.Load() }})
	if err != nil {
		t.Fatal(err)
	}
	w.fx.UseLedger(fx.LedgerOf(w.led))
	return w
}

func (w *town) advance(d time.Duration) {
	n := w.now.Load().Add(d)
	w.now.Store(&n)
}

func bank(org string) *identity.Principal {
	return &identity.Principal{UserID: "u-" + org, OrgID: org, OrgKind: identity.KindBank, Roles: []identity.Role{identity.BankOperator}}
}

func company(org string) *identity.Principal {
	return &identity.Principal{UserID: "u-" + org, OrgID: org, OrgKind: identity.KindCompany, Roles: []identity.Role{identity.Trader}}
}

func (w *town) open(p *identity.Principal, ccy, code string) string {
	w.t.Helper()
	a, err := w.led.CreateAccount(w.ctx, p, ledger.NewAccount{Currency: ccy, Kind: ledger.Liability, Code: code, Name: code + " " + ccy,
		DebitsMustNotExceedCredits: code != "vault"})
	if err != nil {
		w.t.Fatal(err)
	}
	return a.ID.String()
}

// fund moves amount (minor units) from bank's vault into an account.
func (w *town) fund(bankOrg, account, ccy string, amount money.Amount) {
	w.t.Helper()
	key := bankOrg + "|" + ccy
	if w.vault[key] == "" {
		// The bank's issuance account: the only kind that creates money.
		a, err := w.led.OpenSystemAccount(w.ctx, ledger.SystemAccountSpec{OrgID: bank(bankOrg).OrgID, Currency: ccy, Code: ledger.BankIssuance,
			Issuer: true, Limit: ledger.Unlimited})
		if err != nil {
			w.t.Fatal(err)
		}
		w.vault[key] = a.ID.String()
	}
	res, err := w.led.Submit(w.ctx, bank(bankOrg), []ledger.Transfer{{ID: uuid.Must(uuid.NewV7()), DebitAccount: uuid.MustParse(w.vault[key]),
		CreditAccount: uuid.MustParse(account), Amount: amount, Currency: ccy, Code: "deposit"}})
	if err != nil || res[0].Code != ledger.OK {
		w.t.Fatalf("fund %s %s: %v %v", account, ccy, res, err)
	}
}

// inventory opens and funds a bank's FX inventory account in ccy.
func (w *town) inventory(bankOrg, ccy string, amount money.Amount) string {
	w.t.Helper()
	id := w.open(bank(bankOrg), ccy, fx.InventoryCode)
	w.fund(bankOrg, id, ccy, amount)
	return id
}

func (w *town) balance(id string) money.Amount {
	w.t.Helper()
	a, err := w.db.GetAccount(w.ctx, uuid.MustParse(id))
	if err != nil {
		w.t.Fatal(err)
	}
	return a.Balance()
}

// balances snapshots accounts, to compare before and after.
func (w *town) balances(ids ...string) []money.Amount {
	out := make([]money.Amount, len(ids))
	for i, id := range ids {
		out[i] = w.balance(id)
	}
	return out
}

func (w *town) publish(bankOrg, pair, bid, ask string) {
	w.t.Helper()
	if _, err := w.fx.PublishRate(w.ctx, bank(bankOrg), fx.NewRate{Pair: pair, Bid: bid, Ask: ask}); err != nil {
		w.t.Fatal(err)
	}
}

func (w *town) quote(payer, sell, buy string, sellAmount money.Amount) fx.Quote {
	w.t.Helper()
	q, err := w.fx.Quote(w.ctx, company(payer), fx.QuoteRequest{Sell: sell, Buy: buy, SellAmount: sellAmount})
	if err != nil {
		w.t.Fatal(err)
	}
	return q
}

func (w *town) verify() {
	w.t.Helper()
	r, err := w.db.Verify(w.ctx)
	if err != nil {
		w.t.Fatal(err)
	}
	if len(r.Problems) > 0 {
		w.t.Fatalf("ledger verify: %v", r.Problems)
	}
}

func wantProblem(t *testing.T, err error, code problem.Code, field string) *problem.Error {
	t.Helper()
	var pe *problem.Error
	if !errors.As(err, &pe) || pe.Code != code {
		t.Fatalf("err = %v; want %s", err, code)
	}
	if field != "" {
		if _, ok := pe.Fields[field]; !ok {
			t.Fatalf("err = %v; want a message for %s", err, field)
		}
	}
	return pe
}

func TestConvertDirect(t *testing.T) {
	w := newTown(t)
	w.publish("bankA", "KZT/CNY", "0.0150", "0.0152")
	if _, err := w.fx.SetFee(w.ctx, bank("bankA"), fx.NewFee{Bps: 10, Fixed: map[string]money.Amount{"KZT": 10000}}); err != nil {
		t.Fatal(err)
	}
	invKZT := w.inventory("bankA", "KZT", 1)
	invCNY := w.inventory("bankA", "CNY", 1_000_000_00)
	kzt, cny := w.open(company("acme"), "KZT", "operating"), w.open(company("acme"), "CNY", "operating")
	w.fund("bankA", kzt, "KZT", 500_000_00)

	q := w.quote("acme", "KZT", "CNY", 100_000_00)
	// 100 000.00 KZT less 10 bps and 100.00 fixed = 99 800.00 × 0.0150.
	if q.SellAmount != 100_000_00 || q.BuyAmount != 1_497_00 || len(q.Legs) != 1 || q.Legs[0].Fee != 200_00 {
		t.Fatalf("quote %+v", q)
	}
	before := w.balances(kzt, cny, invKZT, invCNY)
	c, err := w.fx.Convert(w.ctx, company("acme"), fx.ConvertRequest{QuoteID: q.ID, FromAccountID: kzt, ToAccountID: cny})
	if err != nil {
		t.Fatal(err)
	}
	after := w.balances(kzt, cny, invKZT, invCNY)
	want := []money.Amount{before[0] - q.SellAmount, before[1] + q.BuyAmount, before[2] + q.SellAmount, before[3] - q.BuyAmount}
	if fmt.Sprint(after) != fmt.Sprint(want) {
		t.Fatalf("balances %v, want %v", after, want)
	}
	if c.Status != fx.ConversionCompleted || c.SellAmount != q.SellAmount || c.BuyAmount != q.BuyAmount || len(c.Transfers) != 2 {
		t.Fatalf("conversion %+v", c)
	}
	quoteID := uuid.MustParse(q.ID)
	for i, tr := range c.Transfers {
		if tr.Result != ledger.OK || tr.Transfer.ID != fx.TransferID(quoteID, i) || tr.Transfer.Code != fx.ConversionCode || tr.Transfer.Reference != q.ID {
			t.Errorf("transfer %d: %+v", i, tr)
		}
		if linked := tr.Transfer.Flags&ledger.Linked != 0; linked != (i == 0) {
			t.Errorf("transfer %d linked=%v", i, linked)
		}
	}
	if got, _ := w.fx.GetQuote(w.ctx, company("acme"), q.ID); got.UsedAt.IsZero() {
		t.Fatal("the quote was not claimed")
	}
	w.verify()
}

func TestConvertTwoLegs(t *testing.T) {
	w := newTown(t)
	// No KZT/CNY market: the route goes KZT→RUB at bankA, RUB→CNY at bankB.
	w.publish("bankA", "RUB/KZT", "5.60", "5.70")
	w.publish("bankB", "CNY/RUB", "12.40", "12.60")
	if _, err := w.fx.SetFee(w.ctx, bank("bankB"), fx.NewFee{Bps: 5}); err != nil {
		t.Fatal(err)
	}
	aKZT, aRUB := w.inventory("bankA", "KZT", 1), w.inventory("bankA", "RUB", 1_000_000_00)
	bRUB, bCNY := w.inventory("bankB", "RUB", 1), w.inventory("bankB", "CNY", 1_000_000_00)
	kzt, cny := w.open(company("acme"), "KZT", "operating"), w.open(company("acme"), "CNY", "operating")
	w.fund("bankA", kzt, "KZT", 1_000_000_00)

	q := w.quote("acme", "KZT", "CNY", 250_000_00)
	if len(q.Legs) != 2 || q.Legs[0].Provider != "bankA" || q.Legs[1].Provider != "bankB" || q.Legs[0].OutCurrency != "RUB" {
		t.Fatalf("route %+v", q.Legs)
	}
	before := w.balances(kzt, cny, aKZT, aRUB, bRUB, bCNY)
	c, err := w.fx.Convert(w.ctx, company("acme"), fx.ConvertRequest{QuoteID: q.ID, FromAccountID: kzt, ToAccountID: cny})
	if err != nil {
		t.Fatal(err)
	}
	mid := q.Legs[0].Out
	want := []money.Amount{before[0] - q.SellAmount, before[1] + q.BuyAmount, before[2] + q.SellAmount, before[3] - mid,
		before[4] + mid, before[5] - q.BuyAmount}
	if after := w.balances(kzt, cny, aKZT, aRUB, bRUB, bCNY); fmt.Sprint(after) != fmt.Sprint(want) {
		t.Fatalf("balances %v, want %v", after, want)
	}
	if len(c.Transfers) != 3 || c.Transfers[1].Role != "hand_over" || c.Transfers[2].Transfer.Flags&ledger.Linked != 0 ||
		c.Transfers[0].Transfer.Flags&c.Transfers[1].Transfer.Flags&ledger.Linked == 0 {
		t.Fatalf("transfers %+v", c.Transfers)
	}
	w.verify()
}

func TestConvertTwoLegsOneBank(t *testing.T) {
	w := newTown(t)
	w.publish("bankA", "RUB/KZT", "5.60", "5.70")
	w.publish("bankA", "CNY/RUB", "12.40", "12.60")
	aKZT, aRUB, aCNY := w.inventory("bankA", "KZT", 1), w.inventory("bankA", "RUB", 1), w.inventory("bankA", "CNY", 1_000_000_00)
	kzt, cny := w.open(company("acme"), "KZT", "operating"), w.open(company("acme"), "CNY", "operating")
	w.fund("bankA", kzt, "KZT", 1_000_000_00)
	q := w.quote("acme", "KZT", "CNY", 250_000_00)
	if len(q.Legs) != 2 {
		t.Fatalf("route %+v", q.Legs)
	}
	before := w.balances(kzt, cny, aKZT, aRUB, aCNY)
	c, err := w.fx.Convert(w.ctx, company("acme"), fx.ConvertRequest{QuoteID: q.ID, FromAccountID: kzt, ToAccountID: cny})
	if err != nil {
		t.Fatal(err)
	}
	// One bank on both legs keeps the intermediate RUB: nothing to hand over.
	want := []money.Amount{before[0] - q.SellAmount, before[1] + q.BuyAmount, before[2] + q.SellAmount, before[3], before[4] - q.BuyAmount}
	if after := w.balances(kzt, cny, aKZT, aRUB, aCNY); fmt.Sprint(after) != fmt.Sprint(want) || len(c.Transfers) != 2 {
		t.Fatalf("balances %v, want %v; %d transfers", after, want, len(c.Transfers))
	}
	w.verify()
}

func TestConvertInsufficientFundsMovesNothing(t *testing.T) {
	w := newTown(t)
	w.publish("bankA", "KZT/CNY", "0.0150", "0.0152")
	invKZT, invCNY := w.inventory("bankA", "KZT", 1), w.inventory("bankA", "CNY", 2_000_00)
	kzt, cny := w.open(company("acme"), "KZT", "operating"), w.open(company("acme"), "CNY", "operating")
	w.fund("bankA", kzt, "KZT", 50_000_00)
	q := w.quote("acme", "KZT", "CNY", 100_000_00)
	// After the quote the bank moves half its CNY inventory elsewhere.
	other := w.open(bank("bankA"), "CNY", "treasury")
	if res, err := w.led.Submit(w.ctx, bank("bankA"), []ledger.Transfer{{ID: uuid.Must(uuid.NewV7()), DebitAccount: uuid.MustParse(invCNY),
		CreditAccount: uuid.MustParse(other), Amount: 1_000_00, Currency: "CNY"}}); err != nil || res[0].Code != ledger.OK {
		t.Fatal(res, err)
	}
	accts := []string{kzt, cny, invKZT, invCNY}
	before := w.balances(accts...)
	req := fx.ConvertRequest{QuoteID: q.ID, FromAccountID: kzt, ToAccountID: cny}

	_, err := w.fx.Convert(w.ctx, company("acme"), req)
	if pe := wantProblem(t, err, problem.Conflict, "from_account_id"); pe.Fields["from_account_id"] != string(ledger.ExceedsCredits) {
		t.Fatalf("fields %v", pe.Fields)
	}
	if after := w.balances(accts...); fmt.Sprint(after) != fmt.Sprint(before) {
		t.Fatalf("a refused conversion moved money: %v → %v", before, after)
	}
	// The payer tops up; the bank's CNY inventory (1 000.00) is now short of
	// the 1 500.00 to deliver, which is the providers' side.
	w.fund("bankA", kzt, "KZT", 50_000_00)
	_, err = w.fx.Convert(w.ctx, company("acme"), req)
	if pe := wantProblem(t, err, problem.Conflict, "quote_id"); pe.Fields["quote_id"] != string(ledger.ExceedsCredits) {
		t.Fatalf("fields %v", pe.Fields)
	}
	w.fund("bankA", invCNY, "CNY", 1_000_00)
	before = w.balances(accts...)
	// The quote was never claimed, so it still executes before it expires.
	if _, err := w.fx.Convert(w.ctx, company("acme"), req); err != nil {
		t.Fatal(err)
	}
	want := []money.Amount{before[0] - q.SellAmount, before[1] + q.BuyAmount, before[2] + q.SellAmount, before[3] - q.BuyAmount}
	if after := w.balances(accts...); fmt.Sprint(after) != fmt.Sprint(want) {
		t.Fatalf("balances %v, want %v", after, want)
	}
	w.verify()
}

func TestConvertTwiceMovesOnce(t *testing.T) {
	w := newTown(t)
	w.publish("bankA", "KZT/CNY", "0.0150", "0.0152")
	w.inventory("bankA", "KZT", 1)
	w.inventory("bankA", "CNY", 1_000_000_00)
	kzt, cny := w.open(company("acme"), "KZT", "operating"), w.open(company("acme"), "CNY", "operating")
	w.fund("bankA", kzt, "KZT", 1_000_000_00)
	q := w.quote("acme", "KZT", "CNY", 100_000_00)
	req := fx.ConvertRequest{QuoteID: q.ID, FromAccountID: kzt, ToAccountID: cny}
	if _, err := w.fx.Convert(w.ctx, company("acme"), req); err != nil {
		t.Fatal(err)
	}
	_, err := w.fx.Convert(w.ctx, company("acme"), req)
	wantProblem(t, err, problem.Conflict, "quote_id")
	if !errors.Is(err, fx.ErrQuoteUsed) {
		t.Fatalf("second conversion: %v", err)
	}
	if got := w.balances(kzt, cny); got[0] != 1_000_000_00-q.SellAmount || got[1] != q.BuyAmount {
		t.Fatalf("balances %v", got)
	}
	w.verify()
}

func TestConvertConcurrentMovesOnce(t *testing.T) {
	w := newTown(t)
	w.publish("bankA", "KZT/CNY", "0.0150", "0.0152")
	invKZT, invCNY := w.inventory("bankA", "KZT", 1), w.inventory("bankA", "CNY", 1_000_000_00)
	kzt, cny := w.open(company("acme"), "KZT", "operating"), w.open(company("acme"), "CNY", "operating")
	w.fund("bankA", kzt, "KZT", 1_000_000_00)
	q := w.quote("acme", "KZT", "CNY", 100_000_00)
	accts := []string{kzt, cny, invKZT, invCNY}
	before := w.balances(accts...)

	const n = 8
	errs := make([]error, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			_, errs[i] = w.fx.Convert(w.ctx, company("acme"), fx.ConvertRequest{QuoteID: q.ID, FromAccountID: kzt, ToAccountID: cny})
		}()
	}
	close(start)
	wg.Wait()
	ok := 0
	for _, err := range errs {
		switch {
		case err == nil:
			ok++
		case !errors.Is(err, fx.ErrQuoteUsed):
			t.Errorf("concurrent conversion: %v", err)
		}
	}
	if ok == 0 {
		t.Fatal("no conversion succeeded")
	}
	t.Logf("%d of %d concurrent conversions answered success (the others: quote_used)", ok, n)
	want := []money.Amount{before[0] - q.SellAmount, before[1] + q.BuyAmount, before[2] + q.SellAmount, before[3] - q.BuyAmount}
	if after := w.balances(accts...); fmt.Sprint(after) != fmt.Sprint(want) {
		t.Fatalf("balances %v, want %v (money moved more than once?)", after, want)
	}
	w.verify()
}

func TestConvertRefusals(t *testing.T) {
	w := newTown(t)
	w.publish("bankA", "KZT/CNY", "0.0150", "0.0152")
	kzt, cny := w.open(company("acme"), "KZT", "operating"), w.open(company("acme"), "CNY", "operating")
	w.fund("bankA", kzt, "KZT", 1_000_000_00)
	zetaKZT := w.open(company("zeta"), "KZT", "operating")
	// No inventory at all: nobody can fill a quote.
	if _, err := w.fx.Quote(w.ctx, company("acme"), fx.QuoteRequest{Sell: "KZT", Buy: "CNY", SellAmount: 100_000_00}); !problem.Is(err, problem.Conflict) {
		t.Fatalf("a quote without inventory: %v", err)
	}
	invKZT, oldCNY := w.inventory("bankA", "KZT", 1), w.inventory("bankA", "CNY", 1_000_000_00)
	q := w.quote("acme", "KZT", "CNY", 100_000_00)
	convert := func(p *identity.Principal, req fx.ConvertRequest) error {
		_, err := w.fx.Convert(w.ctx, p, req)
		return err
	}
	good := fx.ConvertRequest{QuoteID: q.ID, FromAccountID: kzt, ToAccountID: cny}

	// The inventory closed between quote and conversion: the providers'
	// problem, named.
	if _, err := w.led.CloseAccount(w.ctx, bank("bankA"), oldCNY); err != nil {
		t.Fatal(err)
	}
	pe := wantProblem(t, convert(company("acme"), good), problem.Conflict, "quote_id")
	if want := "provider bankA has no open FX inventory account"; len(pe.Message) < len(want) || pe.Message[:len(want)] != want {
		t.Fatalf("message %q", pe.Message)
	}
	invCNY := w.inventory("bankA", "CNY", 1_000_000_00)
	before := w.balances(kzt, cny, invKZT, invCNY, zetaKZT)

	// Another org's quote does not exist for it, whatever the accounts.
	wantProblem(t, convert(company("zeta"), fx.ConvertRequest{QuoteID: q.ID, FromAccountID: zetaKZT, ToAccountID: cny}), problem.NotFound, "")
	wantProblem(t, convert(company("acme"), fx.ConvertRequest{QuoteID: uuid.NewString(), FromAccountID: kzt, ToAccountID: cny}), problem.NotFound, "")
	// Someone else's account is not found either.
	wantProblem(t, convert(company("acme"), fx.ConvertRequest{QuoteID: q.ID, FromAccountID: zetaKZT, ToAccountID: cny}), problem.NotFound, "from_account_id")
	// Accounts in the wrong currencies (here: swapped) are refused by field.
	pe = wantProblem(t, convert(company("acme"), fx.ConvertRequest{QuoteID: q.ID, FromAccountID: cny, ToAccountID: kzt}), problem.Invalid, "from_account_id")
	if _, ok := pe.Fields["to_account_id"]; !ok {
		t.Fatalf("fields %v", pe.Fields)
	}
	wantProblem(t, convert(company("acme"), fx.ConvertRequest{QuoteID: q.ID}), problem.Invalid, "to_account_id")

	// Expiry: at ExpiresAt the quote is dead.
	w.advance(q.ExpiresAt.Sub(*w.now.Load()))
	err := convert(company("acme"), good)
	wantProblem(t, err, problem.Conflict, "quote_id")
	if !errors.Is(err, fx.ErrQuoteExpired) {
		t.Fatalf("expired: %v", err)
	}
	if after := w.balances(kzt, cny, invKZT, invCNY, zetaKZT); fmt.Sprint(after) != fmt.Sprint(before) {
		t.Fatalf("a refused conversion moved money: %v → %v", before, after)
	}
	w.verify()
}

func TestOrgExposure(t *testing.T) {
	w := newTown(t)
	w.publish("bankA", "KZT/CNY", "0.0150", "0.0152")
	w.publish("bankB", "RUB/KZT", "5.60", "5.70")
	kzt, cny := w.open(company("acme"), "KZT", "operating"), w.open(company("acme"), "CNY", "operating")
	kzt2 := w.open(company("acme"), "KZT", "reserve")
	w.open(company("acme"), "RUB", "operating")
	w.fund("bankA", kzt, "KZT", 1_000_00)
	w.fund("bankA", kzt2, "KZT", 500_00)
	w.fund("bankA", cny, "CNY", 151_00)
	w.fund("bankA", w.open(company("zeta"), "KZT", "operating"), "KZT", 999_00) // not acme's

	e, err := w.fx.OrgExposure(w.ctx, company("acme"))
	if err != nil {
		t.Fatal(err)
	}
	got := map[string][2]money.Amount{}
	for _, v := range e.Valued {
		got[v.Currency] = [2]money.Amount{v.Amount, v.Value}
	}
	// CNY at the mid of 0.0150/0.0152 KZT per... 151.00 CNY ÷ 0.0151 = 10 000.00 KZT.
	want := map[string][2]money.Amount{"KZT": {1_500_00, 1_500_00}, "CNY": {151_00, 10_000_00}, "RUB": {0, 0}}
	if fmt.Sprint(got) != fmt.Sprint(want) || e.Total != 11_500_00 || e.Home != "KZT" {
		t.Fatalf("exposure %+v", e)
	}
}

// A bank that publishes the best price without the inventory to fill it
// must not block the town's conversions: the quote goes to a bank that can
// settle, and once the cheap bank has stock it wins again.
func TestQuoteSkipsProvidersThatCannotFill(t *testing.T) {
	w := newTown(t)
	w.publish("bankA", "KZT/CNY", "0.0150", "0.0152")
	w.publish("bankB", "KZT/CNY", "0.0151", "0.0153") // better for a KZT seller, but no CNY to pay out
	w.inventory("bankA", "KZT", 1)
	w.inventory("bankA", "CNY", 1_000_000_00)
	kzt, cny := w.open(company("acme"), "KZT", "operating"), w.open(company("acme"), "CNY", "operating")
	w.fund("bankA", kzt, "KZT", 500_000_00)

	q := w.quote("acme", "KZT", "CNY", 100_000_00)
	if len(q.Legs) != 1 || q.Legs[0].Provider != "bankA" {
		t.Fatalf("quote routed to %+v: a provider without inventory took it", q.Legs)
	}
	if _, err := w.fx.Convert(w.ctx, company("acme"), fx.ConvertRequest{QuoteID: q.ID, FromAccountID: kzt, ToAccountID: cny}); err != nil {
		t.Fatalf("the conversion failed: %v", err)
	}
	// A little CNY is not enough for this leg either.
	w.inventory("bankB", "KZT", 1)
	invB := w.inventory("bankB", "CNY", 10_00)
	if q := w.quote("acme", "KZT", "CNY", 100_000_00); q.Legs[0].Provider != "bankA" {
		t.Fatalf("a provider with too little inventory took the quote: %+v", q.Legs)
	}
	w.fund("bankB", invB, "CNY", 1_000_000_00)
	if q := w.quote("acme", "KZT", "CNY", 100_000_00); q.Legs[0].Provider != "bankB" {
		t.Fatalf("the best price with stock did not win: %+v", q.Legs)
	}
}
