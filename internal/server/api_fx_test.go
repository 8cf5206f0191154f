package server

import (
	"testing"

	"bricstown/internal/identity"
	"bricstown/internal/money"
)

// decimal reads a decimal string from a response in minor units.
func decimal(t *testing.T, v any, exp int) int64 {
	t.Helper()
	s, _ := v.(string)
	a, err := money.ParseSignedAmount(s, exp)
	if err != nil {
		t.Fatalf("amount %v: %v", v, err)
	}
	return a
}

func (f *fixture) balanceOf(t *testing.T, tok, id string, exp int) int64 {
	t.Helper()
	r := f.call(t, "GET", "/api/v1/ledger/accounts/"+id, tok, nil)
	if r.status != 200 {
		t.Fatalf("account %s: %d %s", id, r.status, r.body)
	}
	return decimal(t, r.json(t)["balance"], exp)
}

// fxInventory returns the bank's FX inventory account in ccy, the one a
// conversion uses (its oldest open "fx" account), opening one if needed,
// and tops it up from another account of the bank.
func (f *fixture) fxInventory(t *testing.T, bankName, ccy, amount string) string {
	t.Helper()
	tok := f.token(t, bankName, identity.BankOperator)
	id, cursor := "", ""
	for id == "" {
		list := f.call(t, "GET", "/api/v1/ledger/accounts?limit=200&cursor="+cursor, tok, nil).json(t)
		for _, x := range list["items"].([]any) {
			a := x.(map[string]any)
			if a["code"] == "fx" && a["currency"] == ccy && a["closed"] == false {
				id = a["id"].(string)
				break
			}
		}
		if cursor, _ = list["next_cursor"].(string); cursor == "" {
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
	treasury := f.openAccount(t, tok, ccy, false)
	fund := map[string]any{"transfers": []map[string]any{{"id": v7(), "debit_account_id": treasury, "credit_account_id": id, "amount": amount, "currency": ccy}}}
	if got := results(t, f.call(t, "POST", "/api/v1/ledger/transfers", tok, fund)); got[0] != "ok" {
		t.Fatalf("funding the %s inventory: %v", ccy, got)
	}
	return id
}

func TestFXAPI(t *testing.T) {
	f := getFixture(t)
	grain := f.token(t, "Kazakh Grain Export", identity.Trader)
	shenzhen := f.token(t, "Shenzhen Smart Devices", identity.Trader)
	steppe := f.token(t, "Steppe Commercial Bank", identity.BankOperator)
	rate := map[string]any{"pair": "KZT/CNY", "bid": "0.0150", "ask": "0.0152"}

	// Pricing is a bank's: the route table refuses a trader outright.
	if r := f.call(t, "POST", "/api/v1/fx/rates", grain, rate); r.status != 403 {
		t.Fatalf("trader published a rate: %d %s", r.status, r.body)
	}
	bad := f.call(t, "POST", "/api/v1/fx/rates", steppe, map[string]any{"pair": "KZT/XAU", "bid": "abc", "ask": "0.01", "valid_until": "tomorrow"})
	if bad.status != 400 {
		t.Fatalf("bad rate: %d %s", bad.status, bad.body)
	}
	errs := bad.json(t)["errors"].(map[string]any)
	for _, field := range []string{"pair", "bid", "valid_until"} {
		if _, ok := errs[field]; !ok {
			t.Errorf("no message for %s in %v", field, errs)
		}
	}
	r := f.call(t, "POST", "/api/v1/fx/rates", steppe, rate)
	if r.status != 201 {
		t.Fatalf("publish: %d %s", r.status, r.body)
	}
	pub := r.json(t)
	if pub["bid"] != "0.015" || pub["ask"] != "0.0152" || pub["pair"] != "KZT/CNY" || pub["provider_name"] != "Steppe Commercial Bank" {
		t.Fatalf("published %v", pub)
	}

	// Everyone signed in sees the board and the history.
	board := f.call(t, "GET", "/api/v1/fx/rates", shenzhen, nil).json(t)
	found := false
	for _, x := range board["items"].([]any) {
		found = found || x.(map[string]any)["id"] == pub["id"]
	}
	if !found {
		t.Fatalf("the board lacks the new rate: %v", board)
	}
	hist := f.call(t, "GET", "/api/v1/fx/rates/history?pair=CNY/KZT&limit=5&provider="+f.orgs["Steppe Commercial Bank"].ID, grain, nil)
	if items := hist.json(t)["items"].([]any); hist.status != 200 || len(items) == 0 || items[0].(map[string]any)["id"] != pub["id"] {
		t.Fatalf("history: %d %s", hist.status, hist.body)
	}
	if r := f.call(t, "GET", "/api/v1/fx/rates/history?limit=0", grain, nil); r.status != 400 || len(r.json(t)["errors"].(map[string]any)) != 2 {
		t.Fatalf("bad history query: %d %s", r.status, r.body)
	}

	// Fees: decimal strings per currency, refused whole when wrong.
	if r := f.call(t, "POST", "/api/v1/fx/fees", steppe, map[string]any{"bps": 5000, "fixed": map[string]any{"KZT": "1.005"}}); r.status != 400 ||
		len(r.json(t)["errors"].(map[string]any)) != 2 {
		t.Fatalf("bad fee: %d %s", r.status, r.body)
	}
	if r := f.call(t, "POST", "/api/v1/fx/fees", grain, map[string]any{"bps": 1}); r.status != 403 {
		t.Fatalf("trader set a fee: %d", r.status)
	}
	r = f.call(t, "POST", "/api/v1/fx/fees", steppe, map[string]any{"bps": 10, "fixed": map[string]any{"KZT": "100.00"}})
	if fee := r.json(t); r.status != 200 || fee["bps"] != float64(10) || fee["fixed"].(map[string]any)["KZT"] != "100.00" {
		t.Fatalf("fee: %d %s", r.status, r.body)
	}

	// Quotes.
	bad = f.call(t, "POST", "/api/v1/fx/quotes", grain, map[string]any{"sell": "KZT", "buy": "XAU", "sell_amount": "1.005"})
	if errs := bad.json(t)["errors"].(map[string]any); bad.status != 400 || errs["buy"] == nil || errs["sell_amount"] == nil {
		t.Fatalf("bad quote: %d %s", bad.status, bad.body)
	}
	if r := f.call(t, "POST", "/api/v1/fx/quotes", grain, map[string]any{"sell": "KZT", "buy": "CNY", "sell_amount": "1.00", "buy_amount": "1.00"}); r.status != 400 {
		t.Fatalf("two amounts: %d %s", r.status, r.body)
	}
	r = f.call(t, "POST", "/api/v1/fx/quotes", grain, map[string]any{"sell": "KZT", "buy": "CNY", "sell_amount": "100000.00"})
	if r.status != 201 {
		t.Fatalf("quote: %d %s", r.status, r.body)
	}
	q := r.json(t)
	qid := q["id"].(string)
	sellAmt, buyAmt := decimal(t, q["sell_amount"], 2), decimal(t, q["buy_amount"], 2)
	usd := q["usd_comparison"].(map[string]any)
	if sellAmt != 100_000_00 || buyAmt <= 0 || q["status"] != "open" || q["effective_rate"] == nil || usd["available"] != true || usd["via_usd_amount"] == nil {
		t.Fatalf("quote %v", q)
	}
	if got := f.call(t, "GET", "/api/v1/fx/quotes/"+qid, grain, nil); got.status != 200 || got.json(t)["buy_amount"] != q["buy_amount"] {
		t.Fatalf("get quote: %d %s", got.status, got.body)
	}
	if got := f.call(t, "GET", "/api/v1/fx/quotes/"+qid, shenzhen, nil); got.status != 404 {
		t.Fatalf("another org read the quote: %d", got.status)
	}

	// The providers on the route hold funded inventory; the payer has KZT.
	for _, x := range q["legs"].([]any) {
		l := x.(map[string]any)
		f.fxInventory(t, l["provider_name"].(string), l["in_currency"].(string), "1.00")
		f.fxInventory(t, l["provider_name"].(string), l["out_currency"].(string), "1000000.00")
	}
	kzt, cny := f.openAccount(t, grain, "KZT", true), f.openAccount(t, grain, "CNY", true)
	vault := f.openAccount(t, steppe, "KZT", false)
	if got := results(t, f.call(t, "POST", "/api/v1/ledger/transfers", steppe, map[string]any{"transfers": []map[string]any{
		{"id": v7(), "debit_account_id": vault, "credit_account_id": kzt, "amount": "250000.00", "currency": "KZT"}}})); got[0] != "ok" {
		t.Fatalf("funding the payer: %v", got)
	}

	conv := map[string]any{"quote_id": qid, "from_account_id": kzt, "to_account_id": cny}
	if r := f.call(t, "POST", "/api/v1/fx/conversions", shenzhen, conv); r.status != 404 {
		t.Fatalf("another org executed the quote: %d %s", r.status, r.body)
	}
	if r := f.call(t, "POST", "/api/v1/fx/conversions", grain, map[string]any{"quote_id": qid, "from_account_id": cny, "to_account_id": kzt}); r.status != 400 {
		t.Fatalf("swapped accounts: %d %s", r.status, r.body)
	}
	if r := f.call(t, "POST", "/api/v1/fx/conversions", grain, map[string]any{"quote_id": qid, "from": kzt}); r.status != 400 {
		t.Fatalf("unknown field: %d %s", r.status, r.body)
	}
	r = f.call(t, "POST", "/api/v1/fx/conversions", grain, conv)
	if r.status != 201 {
		t.Fatalf("convert: %d %s", r.status, r.body)
	}
	c := r.json(t)
	if c["status"] != "completed" || c["sell_amount"] != q["sell_amount"] || c["buy_amount"] != q["buy_amount"] {
		t.Fatalf("conversion %v", c)
	}
	transfers := c["transfers"].([]any)
	if len(transfers) < 2 {
		t.Fatalf("transfers %v", transfers)
	}
	first, last := transfers[0].(map[string]any), transfers[len(transfers)-1].(map[string]any)
	if first["debit_account_id"] != kzt || first["amount"] != q["sell_amount"] || last["credit_account_id"] != cny || last["amount"] != q["buy_amount"] ||
		first["result"] != "ok" || first["reference"] != qid {
		t.Fatalf("transfers %v", transfers)
	}
	if got, want := f.balanceOf(t, grain, kzt, 2), int64(250_000_00)-sellAmt; got != want {
		t.Fatalf("KZT balance %d, want %d", got, want)
	}
	if got := f.balanceOf(t, grain, cny, 2); got != buyAmt {
		t.Fatalf("CNY balance %d, want %d", got, buyAmt)
	}

	// The quote is spent: a repeat is refused and moves nothing.
	r = f.call(t, "POST", "/api/v1/fx/conversions", grain, conv)
	if r.status != 409 || r.json(t)["errors"].(map[string]any)["quote_id"] != "quote_used" {
		t.Fatalf("repeat: %d %s", r.status, r.body)
	}
	if got := f.balanceOf(t, grain, kzt, 2); got != 250_000_00-sellAmt {
		t.Fatalf("the repeat moved money: %d", got)
	}
	if got := f.call(t, "GET", "/api/v1/fx/quotes/"+qid, grain, nil).json(t); got["status"] != "used" {
		t.Fatalf("quote after use: %v", got)
	}

	// Exposure lists the org's currencies, valued in tenge.
	r = f.call(t, "GET", "/api/v1/fx/exposure", grain, nil)
	if r.status != 200 {
		t.Fatalf("exposure: %d %s", r.status, r.body)
	}
	e := r.json(t)
	ccys := map[string]bool{}
	for _, x := range e["valued"].([]any) {
		ccys[x.(map[string]any)["currency"].(string)] = true
	}
	if e["home"] != "KZT" || !ccys["KZT"] || !ccys["CNY"] || e["total"] == nil {
		t.Fatalf("exposure %v", e)
	}
}
