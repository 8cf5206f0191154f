package money

import (
	"errors"
	"math"
	"strings"
	"testing"
)

// TestParseLocal reads amounts as each UI language writes them, and refuses
// what is hostile or could be read two ways.
func TestParseLocal(t *testing.T) {
	en, ru, pt, zh, kk := LocaleOf("en"), LocaleOf("ru"), LocaleOf("pt"), LocaleOf("zh"), LocaleOf("kk")
	ok := []struct {
		loc  Locale
		in   string
		exp  int
		want int64
	}{
		{en, "12,500,000.00", 2, 1_250_000_000},
		{en, "12500000.00", 2, 1_250_000_000},
		{en, "12,500,000", 2, 1_250_000_000},
		{en, "  1,234.5 ", 2, 123_450},
		{en, "12 500 000.00", 2, 1_250_000_000},
		{en, "0.05", 2, 5},
		{en, "0", 2, 0},
		{zh, "12,500,000.00", 2, 1_250_000_000},
		{ru, "12 500 000,00", 2, 1_250_000_000},
		{ru, "12\u00a0500\u00a0000,00", 2, 1_250_000_000},
		{ru, "12\u202f500\u202f000,00", 2, 1_250_000_000},
		{ru, "12500000,00", 2, 1_250_000_000},
		{ru, "12500000.5", 2, 1_250_000_050},
		{ru, "1,5", 3, 1500},
		{kk, "12 500 000,00", 2, 1_250_000_000},
		{pt, "12.500.000,00", 2, 1_250_000_000},
		{pt, "12 500 000,00", 2, 1_250_000_000},
		{pt, "1.234", 2, 123_400},
		{pt, "0,5", 2, 50},
		{en, "1,234", 0, 1234},
		{en, "92,233,720,368,547,758.07", 2, math.MaxInt64},
	}
	for _, c := range ok {
		got, err := ParseLocal(c.in, c.loc, c.exp)
		if err != nil || got != c.want {
			t.Errorf("ParseLocal(%q, %c%c, %d) = %d, %v; want %d", c.in, c.loc.Group, c.loc.Decimal, c.exp, got, err, c.want)
		}
	}
	bad := []struct {
		loc    Locale
		in     string
		exp    int
		reason LocalReason
	}{
		{en, "", 2, ReasonEmpty},
		{en, "   ", 2, ReasonEmpty},
		{en, "12,50", 2, ReasonAmbiguous},
		{en, "1.234.567", 2, ReasonAmbiguous},
		{en, "1.234,56", 2, ReasonAmbiguous},
		{en, "1,2345", 2, ReasonAmbiguous},
		{ru, "1,234.56", 2, ReasonAmbiguous},
		{ru, "12.500", 2, ReasonAmbiguous},
		{ru, "1.234.567", 2, ReasonAmbiguous},
		{pt, "12.50", 2, ReasonAmbiguous},
		{pt, "1,234.56", 2, ReasonAmbiguous},
		{pt, "1,2,3", 2, ReasonAmbiguous},
		{en, "12,5000,000", 2, ReasonGrouping},
		{en, "1,23,456", 2, ReasonGrouping},
		{en, ",123", 2, ReasonGrouping},
		{en, "1 234,567", 2, ReasonGrouping},
		{ru, "1 23 456", 2, ReasonGrouping},
		{ru, "1  234", 2, ReasonGrouping},
		{ru, "1,234 5", 4, ReasonGrouping},
		{en, "-5", 2, ReasonSign},
		{en, "+5", 2, ReasonSign},
		{ru, "\u22125", 2, ReasonSign},
		{en, "5-", 2, ReasonSign},
		{en, "1e3", 2, ReasonChars},
		{en, "١٢", 2, ReasonChars},
		{en, "１２", 2, ReasonChars},
		{en, "NaN", 2, ReasonChars},
		{en, "$12", 2, ReasonChars},
		{en, "12_000", 2, ReasonChars},
		{en, "12'000", 2, ReasonChars},
		{en, "1\x00", 2, ReasonChars},
		{en, "\xff", 2, ReasonChars},
		{en, "1\t000", 2, ReasonChars},
		{en, ".5", 2, ReasonForm},
		{ru, ",5", 2, ReasonForm},
		{en, "5.", 2, ReasonForm},
		{en, "007", 2, ReasonForm},
		{en, "0,500", 2, ReasonForm},
		{en, "1.234", 2, ReasonDecimals},
		{en, "1.5", 0, ReasonDecimals},
		{ru, "0,001", 2, ReasonDecimals},
		{en, "92,233,720,368,547,758.08", 2, ReasonTooLarge},
		{en, strings.Repeat("9", 40), 0, ReasonTooLarge},
	}
	for _, c := range bad {
		got, err := ParseLocal(c.in, c.loc, c.exp)
		mustBeInvalid(t, err)
		le, ok := ReasonOf(err)
		if !ok || le.Reason != c.reason {
			t.Errorf("ParseLocal(%q, %c%c, %d) = %d, %v; want reason %s", c.in, c.loc.Group, c.loc.Decimal, c.exp, got, err, c.reason)
		}
	}
	if _, err := ParseLocal(strings.Repeat("9", 40), en, 0); !errors.Is(err, ErrOverflow) {
		t.Errorf("overflow is not ErrOverflow: %v", err)
	}
	if le, _ := ReasonOf(func() error { _, err := ParseLocal("1.234", en, 2); return err }()); le == nil || le.Max != 2 {
		t.Errorf("decimals reason lacks the exponent: %+v", le)
	}
	if _, err := ParseLocalPositive("0,00", ru, 2); err == nil {
		t.Error("zero accepted as positive")
	} else if le, _ := ReasonOf(err); le == nil || le.Reason != ReasonZero {
		t.Errorf("zero: %v", err)
	}
	if _, err := ParseLocal("1", en, 19); err == nil {
		t.Error("exponent 19 accepted")
	}
}

// TestDelocalizeRates: rates go through the same reading, with no limit
// on decimals.
func TestDelocalizeRates(t *testing.T) {
	for _, c := range []struct{ lang, in, want string }{
		{"en", "0.001234567", "0.001234567"},
		{"ru", "483,25", "483.25"},
		{"pt", "5,4321", "5.4321"},
		{"kk", "1 000,5", "1000.5"},
	} {
		if got, err := Delocalize(c.in, LocaleOf(c.lang)); err != nil || got != c.want {
			t.Errorf("Delocalize(%q, %s) = %q, %v; want %q", c.in, c.lang, got, err, c.want)
		}
	}
}

// FuzzParseLocal: whatever is typed, the answer is an amount that the
// page's own formatting reads back the same, or an Invalid error with a
// reason; and what the UI displays is always accepted.
func FuzzParseLocal(f *testing.F) {
	for _, s := range []string{"12,500,000.00", "12 500 000,00", "12.500.000,00", "12,50", "1.234", "١٢", "-0", ",5", "9,223,372,036,854,775,807"} {
		f.Add(s, uint8(2), uint8(0))
		f.Add(s, uint8(0), uint8(1))
		f.Add(s, uint8(3), uint8(2))
	}
	langs := []string{"en", "ru", "pt", "zh", "kk"}
	f.Fuzz(func(t *testing.T, s string, e, l uint8) {
		exp := int(e) % 5
		lang := langs[int(l)%len(langs)]
		loc := LocaleOf(lang)
		v, err := ParseLocal(s, loc, exp)
		if err != nil {
			mustBeInvalid(t, err)
			if _, ok := ReasonOf(err); !ok {
				t.Fatalf("%q: error without a reason: %v", s, err)
			}
			return
		}
		if v < 0 {
			t.Fatalf("%q: negative %d", s, v)
		}
		// What the pages print for v reads back as v.
		shown := display(v, exp, loc)
		back, err := ParseLocal(shown, loc, exp)
		if err != nil || back != v {
			t.Fatalf("%q -> %d shown as %q reads back as %d, %v", s, v, shown, back, err)
		}
	})
}

// display groups minor units as the pages do (ui.amountText).
func display(v int64, exp int, loc Locale) string {
	s := FormatAmount(v, exp)
	intPart, frac, hasFrac := strings.Cut(s, ".")
	var b strings.Builder
	for i, c := range intPart {
		if i > 0 && (len(intPart)-i)%3 == 0 {
			b.WriteRune(loc.Group)
		}
		b.WriteRune(c)
	}
	if hasFrac {
		b.WriteRune(loc.Decimal)
		b.WriteString(frac)
	}
	return b.String()
}
