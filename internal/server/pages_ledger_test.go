package server

import (
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"bricstown/internal/identity"
)

// browser is a signed-in web session.
type browser struct {
	f            *fixture
	cookie, csrf string
}

func (f *fixture) browser(t *testing.T, email string) *browser {
	t.Helper()
	c, k := f.session(t, email)
	// English whatever the user's profile says, unless a test asks with ?lang=.
	return &browser{f: f, cookie: c + "; bricstown_lang=en", csrf: k}
}

func (b *browser) get(t *testing.T, path string, hdr ...string) response {
	t.Helper()
	return b.f.call(t, "GET", path, "", nil, append([]string{"Cookie", b.cookie, "Accept-Language", "en"}, hdr...)...)
}

func (b *browser) post(t *testing.T, path string, v url.Values, hdr ...string) response {
	t.Helper()
	v.Set("csrf_token", b.csrf)
	return b.f.call(t, "POST", path, "", []byte(v.Encode()),
		append([]string{"Content-Type", "application/x-www-form-urlencoded", "Cookie", b.cookie, "Accept-Language", "en"}, hdr...)...)
}

// follow GETs a redirect's target.
func (b *browser) follow(t *testing.T, r response) response {
	t.Helper()
	if r.status != 303 {
		t.Fatalf("want a redirect, got %d: %s", r.status, excerpt(r.body))
	}
	return b.get(t, r.header.Get("Location"))
}

func excerpt(b []byte) string {
	s := string(b)
	if i := strings.Index(s, "<main>"); i >= 0 {
		s = s[i:]
	}
	if len(s) > 1500 {
		s = s[:1500]
	}
	return s
}

func wantIn(t *testing.T, r response, status int, subs ...string) {
	t.Helper()
	if r.status != status {
		t.Fatalf("status %d, want %d: %s", r.status, status, excerpt(r.body))
	}
	for _, s := range subs {
		if !strings.Contains(string(r.body), s) {
			t.Errorf("page lacks %q: %s", s, excerpt(r.body))
		}
	}
}

var fieldError = regexp.MustCompile(`class="field-error"`)

func TestAccountPages(t *testing.T) {
	f := getFixture(t)
	bankTok := f.token(t, "Steppe Commercial Bank", identity.BankOperator)
	grainTok := f.token(t, "Kazakh Grain Export", identity.Trader)
	energyTok := f.token(t, "Siberian Energy Trading", identity.Trader)
	vault := f.openAccount(t, bankTok, "KZT", false)
	mine := f.openAccount(t, grainTok, "KZT", true)
	theirs := f.openAccount(t, energyTok, "KZT", true)
	fund := map[string]any{"transfers": []map[string]any{{"id": v7(), "debit_account_id": vault, "credit_account_id": mine,
		"amount": "1000.00", "currency": "KZT", "reference": "opening deposit"}}}
	if got := results(t, f.call(t, "POST", "/api/v1/ledger/transfers", bankTok, fund)); got[0] != "ok" {
		t.Fatalf("funding: %v", got)
	}

	trader := f.browser(t, "trader@kazgrain.kz")
	// The list: balances, totals and a chart per currency.
	r := trader.get(t, "/accounts")
	wantIn(t, r, 200, `href="/accounts/`+mine+`"`, "1,000.00", "<svg", "chart--bar", `name="csrf_token" value="`+trader.csrf+`"`,
		`<option value="KZT"`, `<option value="CNY"`, `<option value="USD"`, `href="/accounts" aria-current="page"`)

	// Opening an account: a bad code is refused beside its field, and
	// nothing is written.
	before := f.auditCount(t)
	r = trader.post(t, "/accounts", url.Values{"currency": {"CNY"}, "kind": {"liability"}, "code": {"has a space"}, "name": {"CNY ops"}})
	wantIn(t, r, 400, "Please correct the marked fields", "1 to 40 characters without spaces")
	if !fieldError.Match(r.body) || f.auditCount(t) != before {
		t.Fatalf("bad account form: field error shown %v, audit %d → %d", fieldError.Match(r.body), before, f.auditCount(t))
	}
	r = trader.post(t, "/accounts", url.Values{"currency": {"XAU"}, "kind": {"cash"}, "code": {"gold"}})
	wantIn(t, r, 400, "Choose a currency that holds money", "Choose one of the account kinds.")
	r = trader.post(t, "/accounts", url.Values{"currency": {"CNY"}, "kind": {"liability"}, "code": {"settlement"}, "name": {"CNY settlement"}, "no_overdraft": {"1"}})
	wantIn(t, trader.follow(t, r), 200, "CNY settlement", "no overdraft", "No transfers on this account yet.")

	// One account: balances, the running balance chart, the statement.
	r = trader.get(t, "/accounts/"+mine)
	wantIn(t, r, 200, `id="balance">1,000.00`, "chart--line", "opening deposit", "Statement", "Steppe Commercial Bank account")

	// The balance as of a moment, and a refused moment.
	r = trader.get(t, "/accounts/"+mine+"?at="+url.QueryEscape(time.Now().UTC().Add(time.Hour).Format("2006-01-02T15:04")))
	wantIn(t, r, 200, `id="as-of-result"`, "<strong>1,000.00 KZT</strong>")
	r = trader.get(t, "/accounts/"+mine+"?at=2000-01-01T00:00")
	wantIn(t, r, 200, "<strong>0.00 KZT</strong>")
	r = trader.get(t, "/accounts/"+mine+"?at=yesterday")
	wantIn(t, r, 400, "Enter a date and time")

	// Transfers: bad input is refused before anything is written.
	before = f.auditCount(t)
	for _, bad := range []url.Values{
		{"to_account": {theirs}, "amount": {"abc"}},
		{"to_account": {theirs}, "amount": {"1.001"}},
		{"to_account": {"not-an-id"}, "amount": {"5"}},
		{"to_account": {theirs}, "amount": {"0"}},
	} {
		bad.Set("id", v7())
		r = trader.post(t, "/accounts/"+mine+"/transfers", bad)
		if r.status != 400 || !fieldError.Match(r.body) {
			t.Errorf("bad transfer %v: %d %s", bad, r.status, excerpt(r.body))
		}
	}
	if f.auditCount(t) != before || f.balanceOfUI(t, grainTok, mine) != "1000.00" {
		t.Fatal("a refused transfer form wrote something")
	}
	// A good one, sent twice with the same id (a double click): one transfer.
	id := v7()
	send := url.Values{"id": {id}, "to_account": {theirs}, "amount": {"100.50"}, "reference": {"invoice 7"}}
	r = trader.post(t, "/accounts/"+mine+"/transfers", send)
	wantIn(t, trader.follow(t, r), 200, "The transfer has been booked.", `id="balance">899.50`, "invoice 7")
	r = trader.post(t, "/accounts/"+mine+"/transfers", send)
	wantIn(t, trader.follow(t, r), 200, "had already been booked", `id="balance">899.50`)
	// The ledger's refusals come back translated.
	r = trader.post(t, "/accounts/"+mine+"/transfers", url.Values{"id": {v7()}, "to_account": {theirs}, "amount": {"5000"}})
	wantIn(t, r, 422, "Transfer refused.", "Insufficient funds")
	r = trader.post(t, "/accounts/"+mine+"/transfers", url.Values{"id": {v7()}, "to_account": {v7()}, "amount": {"1"}})
	wantIn(t, r, 422, "The receiving account does not exist.")
	// In Russian, with a decimal comma.
	r = trader.post(t, "/accounts/"+mine+"/transfers?lang=ru", url.Values{"id": {v7()}, "to_account": {theirs}, "amount": {"0,50"}})
	if r.status != 303 {
		t.Fatalf("transfer in Russian: %d %s", r.status, excerpt(r.body))
	}
	wantIn(t, trader.get(t, r.header.Get("Location")+"&lang=ru"), 200, "Перевод проведён.", "899,00")

	// Another organisation sees none of it.
	energy := f.browser(t, "trader@sibenergy.ru")
	for _, path := range []string{"/accounts/" + mine, "/accounts/" + mine + "?at=2030-01-01T00:00", "/accounts/not-a-uuid"} {
		if r := energy.get(t, path); r.status != 404 {
			t.Errorf("%s opened by another org: %d", path, r.status)
		}
	}
	before = f.auditCount(t)
	if r := energy.post(t, "/accounts/"+mine+"/transfers", url.Values{"id": {v7()}, "to_account": {theirs}, "amount": {"1"}}); r.status != 404 {
		t.Errorf("transfer from another org's account: %d", r.status)
	}
	if r := energy.get(t, "/accounts"); r.status != 200 || strings.Contains(string(r.body), mine) {
		t.Errorf("another org's list shows the account: %d", r.status)
	}
	if f.auditCount(t) != before {
		t.Fatal("a foreign transfer wrote something")
	}

	// The platform administrator sees any organisation's accounts.
	admin := f.browser(t, "admin@town.kz")
	wantIn(t, admin.get(t, "/accounts/"+mine), 200, "Kazakh Grain Export", `id="balance">`)
	wantIn(t, admin.get(t, "/accounts?org="+f.orgs["Kazakh Grain Export"].ID), 200, `href="/accounts/`+mine+`"`)
	wantIn(t, admin.get(t, "/accounts"), 200, "BRICS Town Administration")

	// A long statement pages with the sequence cursor.
	var batch []map[string]any
	for i := 0; i < 60; i++ {
		batch = append(batch, map[string]any{"id": v7(), "debit_account_id": mine, "credit_account_id": theirs, "amount": "1.00", "currency": "KZT", "reference": "batch"})
	}
	for _, got := range results(t, f.call(t, "POST", "/api/v1/ledger/transfers", grainTok, map[string]any{"transfers": batch})) {
		if got != "ok" {
			t.Fatalf("batch: %s", got)
		}
	}
	r = trader.get(t, "/accounts/"+mine)
	m := regexp.MustCompile(`href="/accounts/` + mine + `\?from=(\d+)" rel="next"`).FindSubmatch(r.body)
	if m == nil {
		t.Fatalf("no older link: %s", excerpt(r.body))
	}
	r = trader.get(t, "/accounts/"+mine+"?from="+string(m[1]))
	wantIn(t, r, 200, "opening deposit", "← Newest")

	// Every language renders.
	for _, l := range []string{"ru", "zh", "kk", "pt"} {
		if r := trader.get(t, "/accounts/"+mine+"?lang="+l); r.status != 200 || !strings.Contains(string(r.body), `lang="`+l+`"`) {
			t.Errorf("%s: %d", l, r.status)
		}
	}
}

func shortUUID(id string) string { return "…" + id[len(id)-8:] }

func (f *fixture) balanceOfUI(t *testing.T, tok, id string) string {
	t.Helper()
	r := f.call(t, "GET", "/api/v1/ledger/accounts/"+id, tok, nil)
	if r.status != 200 {
		t.Fatalf("account: %d %s", r.status, r.body)
	}
	return r.json(t)["balance"].(string)
}

func TestFXPages(t *testing.T) {
	f := getFixture(t)
	bank := f.browser(t, "treasury@steppebank.kz")
	trader := f.browser(t, "trader@kazgrain.kz")
	bankTok := f.token(t, "Steppe Commercial Bank", identity.BankOperator)
	grainTok := f.token(t, "Kazakh Grain Export", identity.Trader)

	// Publishing: the page, refusals that write nothing, then a price.
	wantIn(t, bank.get(t, "/fx/publish"), 200, "Publish a rate", `id="rate-form"`, `id="fee-form"`)
	before := f.auditCount(t)
	r := bank.post(t, "/fx/publish/rate", url.Values{"base": {"KZT"}, "quote": {"INR"}, "bid": {"0.19"}, "ask": {"0.18"}})
	wantIn(t, r, 400, "greater than the bid")
	r = bank.post(t, "/fx/publish/rate", url.Values{"base": {"KZT"}, "quote": {"KZT"}, "bid": {"x"}, "ask": {"1"}, "valid_until": {"2000-01-01T00:00"}})
	wantIn(t, r, 400, "Choose two different currencies", "Enter a price greater than zero", "Enter a future date")
	r = bank.post(t, "/fx/publish/fee", url.Values{"bps": {"2000"}})
	wantIn(t, r, 400, "Enter a whole number from 0 to 1000")
	r = bank.post(t, "/fx/publish/fee", url.Values{"bps": {"5"}, "fixed_currency": {"KZT"}, "fixed_amount": {"1.001"}})
	wantIn(t, r, 400, "Enter an amount of zero or more")
	if f.auditCount(t) != before {
		t.Fatal("a refused FX form wrote something")
	}
	r = bank.post(t, "/fx/publish/rate", url.Values{"base": {"KZT"}, "quote": {"INR"}, "bid": {"0.1690"}, "ask": {"0.1710"},
		"valid_until": {time.Now().UTC().Add(24 * time.Hour).Format("2006-01-02T15:04")}})
	wantIn(t, bank.follow(t, r), 200, "The rate has been published.", "KZT/INR", "0.169", "0.171")
	r = bank.post(t, "/fx/publish/fee", url.Values{"bps": {"10"}, "fixed_currency": {"KZT"}, "fixed_amount": {"50"}})
	wantIn(t, bank.follow(t, r), 200, "The fee schedule has been saved.", "0.10%", "50.00 KZT")
	if r := trader.get(t, "/fx/publish"); r.status != 403 {
		t.Errorf("a trader opened the publishing page: %d", r.status)
	}

	// The board, for anyone signed in.
	resident := f.token(t, "Town Residents", identity.Resident)
	r = f.call(t, "GET", "/fx?lang=en", resident, nil)
	wantIn(t, r, 200, `id="board"`, "Steppe Commercial Bank", "KZT/INR", "0.1710"[:5], `id="quote-roles"`)
	if strings.Contains(string(r.body), `id="quote-form"`) {
		t.Error("a resident is offered the quote form the route table refuses")
	}

	// Quotes: bad requests refused, nothing stored.
	before = f.auditCount(t)
	r = trader.post(t, "/fx/quote", url.Values{"sell": {"KZT"}, "buy": {"INR"}, "sell_amount": {"100"}, "buy_amount": {"5"}})
	wantIn(t, r, 400, "Enter one amount greater than zero")
	r = trader.post(t, "/fx/quote", url.Values{"sell": {"KZT"}, "buy": {"KZT"}, "sell_amount": {"100"}})
	wantIn(t, r, 400, "different from the one you sell")
	r = trader.post(t, "/fx/quote", url.Values{"sell": {"KZT"}, "buy": {"INR"}, "sell_amount": {"12.345"}})
	wantIn(t, r, 400, "no more decimals than the currency has")
	if f.auditCount(t) != before {
		t.Fatal("a refused quote wrote something")
	}

	// Conversion needs the bank's inventories and the trader's accounts.
	uiInventory(t, f, bankTok, "KZT", "0.00")
	uiInventory(t, f, bankTok, "INR", "500000.00")
	vault := f.openAccount(t, bankTok, "KZT", false)
	kzt := f.openAccount(t, grainTok, "KZT", true)
	inr := f.openAccount(t, grainTok, "INR", true)
	fund := map[string]any{"transfers": []map[string]any{{"id": v7(), "debit_account_id": vault, "credit_account_id": kzt, "amount": "200000.00", "currency": "KZT"}}}
	if got := results(t, f.call(t, "POST", "/api/v1/ledger/transfers", bankTok, fund)); got[0] != "ok" {
		t.Fatalf("funding: %v", got)
	}

	// A plain form post renders the whole page with the quote.
	r = trader.post(t, "/fx/quote", url.Values{"sell": {"KZT"}, "buy": {"INR"}, "sell_amount": {"100000"}})
	wantIn(t, r, 200, `id="quote"`, "100,000.00 KZT", "Via USD", `id="usd-saving"`, `id="legs"`, `id="board"`, `id="convert-form"`,
		// The validity counts down in the page; asking again is ready for when it ends.
		`id="quote-countdown" data-countdown="`, `src="/static/countdown.js"`, `id="requote"`, `name="sell_amount" value="100000.00"`)
	if strings.Contains(string(r.body), `id="usd-compare"`) {
		t.Error("the quote still draws two near-equal bars for the USD comparison")
	}
	// htmx gets the card alone, errors included, always as 200.
	r = trader.post(t, "/fx/quote", url.Values{"sell": {"KZT"}, "buy": {"INR"}, "sell_amount": {"100000"}}, "HX-Request", "true")
	wantIn(t, r, 200, `id="quote-card"`, `id="quote"`)
	if strings.Contains(string(r.body), "<html") || strings.Contains(string(r.body), `id="board"`) {
		t.Error("the htmx answer is a whole page")
	}
	r = trader.post(t, "/fx/quote", url.Values{"sell": {"KZT"}, "buy": {"INR"}}, "HX-Request", "true")
	wantIn(t, r, 200, `id="quote-card"`, "Please correct the marked fields", "field-error")

	quoteID := regexp.MustCompile(`name="quote_id" value="([^"]+)"`).FindSubmatch(r.body)
	if quoteID != nil {
		t.Fatal("a refused quote offered a conversion")
	}
	r = trader.post(t, "/fx/quote", url.Values{"sell": {"KZT"}, "buy": {"INR"}, "sell_amount": {"100000"}})
	quoteID = regexp.MustCompile(`name="quote_id" value="([^"]+)"`).FindSubmatch(r.body)
	if quoteID == nil {
		t.Fatalf("no convert form: %s", excerpt(r.body))
	}
	// Wrong accounts are refused beside their fields.
	r = trader.post(t, "/fx/convert", url.Values{"quote_id": {string(quoteID[1])}, "from_account": {inr}, "to_account": {kzt}})
	wantIn(t, r, 400, "Choose one of your open accounts in the currency you sell", "Choose one of your open accounts in the currency you buy")
	r = trader.post(t, "/fx/convert", url.Values{"quote_id": {string(quoteID[1])}, "from_account": {kzt}, "to_account": {inr}})
	// Each leg names its accounts: the trader's own by code and name, the
	// bank's by the bank's name only.
	wantIn(t, r, 200, `id="conversion"`, "Conversion executed:", "100,000.00 KZT", "your payment to the bank", "executed")
	if !regexp.MustCompile(`<td>operating · test KZT → [^<>…]+ Bank account</td>`).Match(r.body) ||
		!regexp.MustCompile(`<td>[^<>…]+ Bank account → operating · test INR</td>`).Match(r.body) {
		t.Errorf("conversion legs not named: %s", excerpt(r.body))
	}
	if b := f.balanceOfUI(t, grainTok, kzt); b != "100000.00" {
		t.Errorf("KZT after conversion: %s", b)
	}
	if b := f.balanceOfUI(t, grainTok, inr); b == "0.00" {
		t.Error("nothing arrived in INR")
	}
	// The same quote cannot be executed twice.
	r = trader.post(t, "/fx/convert", url.Values{"quote_id": {string(quoteID[1])}, "from_account": {kzt}, "to_account": {inr}})
	wantIn(t, r, 409, "This quote has already been executed.")
	// Another org cannot use it.
	energy := f.browser(t, "trader@sibenergy.ru")
	r = energy.post(t, "/fx/convert", url.Values{"quote_id": {string(quoteID[1])}, "from_account": {kzt}, "to_account": {inr}})
	wantIn(t, r, 404, "does not exist or is not yours")

	// The trader's exposure is valued in KZT.
	r = trader.get(t, "/fx")
	wantIn(t, r, 200, `id="exposure"`, "Value in KZT", `id="exposure-total"`)
	// In Chinese.
	r = trader.get(t, "/fx?lang=zh")
	wantIn(t, r, 200, "外汇兑换", "买入价", "卖出价")
}

// uiInventory opens the bank's FX inventory in ccy if it has none and
// funds it from a fresh treasury account.
func uiInventory(t *testing.T, f *fixture, tok, ccy, amount string) {
	t.Helper()
	list := f.call(t, "GET", "/api/v1/ledger/accounts?limit=200", tok, nil).json(t)
	id := ""
	for _, x := range list["items"].([]any) {
		a := x.(map[string]any)
		if a["code"] == "fx" && a["currency"] == ccy && a["closed"] == false {
			id = a["id"].(string)
			break
		}
	}
	if id == "" {
		r := f.call(t, "POST", "/api/v1/ledger/accounts", tok, map[string]any{"currency": ccy, "kind": "liability", "code": "fx",
			"name": "FX inventory " + ccy, "debits_must_not_exceed_credits": true})
		if r.status != 201 {
			t.Fatalf("open fx account: %d %s", r.status, r.body)
		}
		id = r.json(t)["id"].(string)
	}
	if amount == "0.00" {
		return
	}
	treasury := f.openAccount(t, tok, ccy, false)
	fund := map[string]any{"transfers": []map[string]any{{"id": v7(), "debit_account_id": treasury, "credit_account_id": id, "amount": amount, "currency": ccy}}}
	if got := results(t, f.call(t, "POST", "/api/v1/ledger/transfers", tok, fund)); got[0] != "ok" {
		t.Fatalf("fund inventory: %v", got)
	}
}
