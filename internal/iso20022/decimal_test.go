package iso20022

import (
	"math/big"
	"testing"
)

func TestParseDecimal(t *testing.T) {
	for _, tc := range []struct {
		in          string
		ok          bool
		neg         bool
		intPart     string
		frac        string
		totalDigits int
	}{
		{"0", true, false, "", "", 1},
		{"1500.50", true, false, "1500", "50", 5},
		{"+007.10", true, false, "7", "10", 2},
		{"-0.001", true, true, "", "001", 3}, // i×10^-n needs n <= totalDigits
		{"1.", true, false, "1", "", 1},
		{".5", true, false, "", "5", 1},
		{"", false, false, "", "", 0},
		{".", false, false, "", "", 0},
		{"+", false, false, "", "", 0},
		{"1e3", false, false, "", "", 0},
		{"1,5", false, false, "", "", 0},
		{"1.2.3", false, false, "", "", 0},
		{" 1", false, false, "", "", 0},
		{"--1", false, false, "", "", 0},
	} {
		d, ok := parseDecimal(tc.in)
		if ok != tc.ok {
			t.Errorf("parseDecimal(%q) ok = %v, want %v", tc.in, ok, tc.ok)
			continue
		}
		if !ok {
			continue
		}
		if d.neg != tc.neg || d.intPart != tc.intPart || d.frac != tc.frac || d.totalDigits() != tc.totalDigits {
			t.Errorf("parseDecimal(%q) = %+v digits %d, want neg=%v int=%q frac=%q digits %d",
				tc.in, d, d.totalDigits(), tc.neg, tc.intPart, tc.frac, tc.totalDigits)
		}
	}
}

func TestMinorUnits(t *testing.T) {
	for _, tc := range []struct {
		in    string
		exp   int
		minor int64
		ok    bool
	}{
		{"1500.50", 2, 150050, true},
		{"1500.5", 2, 150050, true},
		{"1500", 2, 150000, true},
		{"0.01", 2, 1, true},
		{"1250000", 0, 1250000, true},
		{"1.005", 3, 1005, true},
		{"1.005", 2, 0, false}, // too many decimals
		{"1.", 0, 1, true},     // legal xs:decimal
		{"92233720368547758.07", 2, 9223372036854775807, true},
		{"92233720368547758.08", 2, 0, false}, // int64 overflow
		{"999999999999999999", 2, 0, false},
	} {
		d, ok := parseDecimal(tc.in)
		if !ok {
			t.Fatalf("parseDecimal(%q) failed", tc.in)
		}
		minor, ok := d.minorUnits(tc.exp)
		if ok != tc.ok || minor != tc.minor {
			t.Errorf("minorUnits(%q, %d) = %d, %v; want %d, %v", tc.in, tc.exp, minor, ok, tc.minor, tc.ok)
		}
	}
}

func TestFormatMinor(t *testing.T) {
	for _, tc := range []struct {
		minor int64
		exp   int
		want  string
	}{
		{150050, 2, "1500.50"},
		{5, 2, "0.05"},
		{0, 2, "0.00"},
		{1250000, 0, "1250000"},
		{1005, 3, "1.005"},
		{-250, 2, "-2.50"},
		{1, 5, "0.00001"},
		{9223372036854775807, 2, "92233720368547758.07"},
	} {
		if got := formatMinor(tc.minor, tc.exp); got != tc.want {
			t.Errorf("formatMinor(%d, %d) = %q, want %q", tc.minor, tc.exp, got, tc.want)
		}
	}
}

func TestAmountSumMixesExponentsExactly(t *testing.T) {
	var s amountSum
	s.add(15000000, 2) // 150000.00 KZT
	s.add(1250000, 0)  // 1250000 JPY
	s.add(1005, 3)     // 1.005 KWD
	total, scale := s.total()
	if got := formatScaled(total, scale); got != "1400001.005" {
		t.Fatalf("sum = %s, want 1400001.005", got)
	}
	d, _ := parseDecimal("1400001.00500")
	if !equalScaled(d.unscaled(len(d.frac)), len(d.frac), total, scale) {
		t.Fatal("1400001.00500 should equal the sum")
	}
	if equalScaled(big.NewInt(1400001), 0, total, scale) {
		t.Fatal("1400001 should not equal the sum")
	}
}
