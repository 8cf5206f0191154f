package ui

import (
	"strings"
	"testing"

	"bricstown/internal/chart"
	"bricstown/internal/ledger"
	"bricstown/internal/money"
)

// The ledger and FX pages build some catalogue keys from domain values in
// Go (the template test cannot see those); every one of them must exist.
func TestLedgerAndFXKeysExist(t *testing.T) {
	cs, err := LoadCatalogs()
	if err != nil {
		t.Fatal(err)
	}
	en := cs["en"]
	var keys []string
	for _, k := range ledger.Kinds {
		keys = append(keys, "ledger.kind."+string(k))
	}
	for _, c := range translatedResults {
		keys = append(keys, "ledger.result."+string(c))
	}
	for _, f := range []string{"pending", "posted", "voided", "expired", "linked", "booked"} {
		keys = append(keys, "ledger.flag."+f)
	}
	for _, r := range []string{"pay_in", "hand_over", "pay_out"} {
		keys = append(keys, "fx.role."+r)
	}
	for _, r := range []string{"quote_expired", "quote_used", "quote_not_found"} {
		keys = append(keys, "fx.reason."+r)
	}
	for _, f := range []string{"currency", "kind", "code", "name", "no_overdraft"} {
		keys = append(keys, "accounts.field."+f)
	}
	for _, f := range []string{"to_account", "amount", "reference", "at"} {
		keys = append(keys, "account.field."+f)
	}
	for _, f := range []string{"sell", "buy", "sell_amount", "buy_amount", "from_account", "to_account", "quote_id"} {
		keys = append(keys, "fx.field."+f)
	}
	for _, f := range []string{"pair", "bid", "ask", "valid_until", "bps", "fixed", "fixed_amount"} {
		keys = append(keys, "fxpub.field."+f)
	}
	for _, k := range keys {
		if _, ok := en[k]; !ok {
			t.Errorf("missing key %q", k)
		}
	}
	// The codes the brief names for the transfer form are all translated.
	for _, c := range []ledger.Code{ledger.OK, ledger.ExceedsCredits, ledger.NotAuthorised, ledger.CreditAccountNotFound,
		ledger.CurrencyMismatch, ledger.CreditAccountClosed, ledger.DebitAccountClosed, ledger.Exists} {
		if _, ok := en["ledger.result."+string(c)]; !ok {
			t.Errorf("result %s is not translated", c)
		}
	}
}

func TestAmountText(t *testing.T) {
	for _, c := range []struct {
		lang  string
		minor int64
		exp   int
		want  string
	}{
		{"en", 123456789, 2, "1,234,567.89"},
		{"zh", -5, 2, "−0.05"},
		{"ru", 100000000, 2, "1\u202f000\u202f000,00"},
		{"kk", 999, 2, "9,99"},
		{"pt", 123456700, 2, "1.234.567,00"},
		{"en", 1500, 0, "1,500"},
		{"en", 1000, 3, "1.000"},
	} {
		if got := amountText(c.lang, c.minor, c.exp); got != c.want {
			t.Errorf("amountText(%s, %d, %d) = %q, want %q", c.lang, c.minor, c.exp, got, c.want)
		}
	}
	for _, c := range []struct{ lang, in, want string }{
		{"ru", "1 000,50", "1000.50"},
		{"pt", "12,5", "12.5"},
		{"en", "1,000", "1000"}, // a grouping comma, as the pages print it
		{"en", "12,500,000.00", "12500000.00"},
		{"pt", "12.500.000,00", "12500000.00"},
		{"ru", "12 500 000,00", "12500000.00"},
		{"en", "12,50", "12,50"}, // a decimal comma or a badly grouped 1250: left as typed for the service to refuse
		{"en", " 1\u202f000.25 ", "1000.25"},
	} {
		if got := amountInput(c.lang, c.in); got != c.want {
			t.Errorf("amountInput(%s, %q) = %q, want %q", c.lang, c.in, got, c.want)
		}
	}
}

func TestSpreadBps(t *testing.T) {
	r := func(s string) money.Rate {
		x, err := money.ParseRate(s)
		if err != nil {
			t.Fatal(err)
		}
		return x
	}
	if got := spreadBps(r("0.0150"), r("0.0152")); got != 132 { // 0.0002 / 0.0151 = 132.45 bp
		t.Errorf("spread %d", got)
	}
	if got := spreadBps(r("99"), r("101")); got != 200 {
		t.Errorf("spread %d", got)
	}
}

// The stylesheet carries the chart package's CSS (hidden data tables and
// fluid charts depend on it) and the narrow/wide chart switch.
func TestStylesheetHasChartCSS(t *testing.T) {
	b, err := staticFiles.ReadFile("static/style.css")
	if err != nil {
		t.Fatal(err)
	}
	css := string(b)
	if !strings.Contains(css, chart.CSS) {
		t.Error("static/style.css lacks chart.CSS")
	}
	for _, want := range []string{"svg.chart-narrow", "svg.chart-wide"} {
		if !strings.Contains(css, want) {
			t.Errorf("static/style.css lacks %s", want)
		}
	}
}
