package money

import (
	"errors"
	"math"
	"testing"
)

func TestParseAmountValid(t *testing.T) {
	tests := []struct {
		in   string
		exp  int
		want int64
	}{
		{"1250.50", 2, 125050},
		{"1250.5", 2, 125050},
		{"1250", 2, 125000},
		{"0", 2, 0},
		{"0.00", 2, 0},
		{"0.01", 2, 1},
		{"0.001", 3, 1},
		{"12.345", 3, 12345},
		{"1250", 0, 1250},
		{"0", 0, 0},
		{"9223372036854775807", 0, math.MaxInt64},
		{"92233720368547758.07", 2, math.MaxInt64},
		{"9223372036854775.807", 3, math.MaxInt64},
		{"9.223372036854775807", 18, math.MaxInt64},
		{"0.000000000000000001", 18, 1},
		{"0.5", 1, 5},
	}
	for _, tt := range tests {
		got, err := ParseAmount(tt.in, tt.exp)
		if err != nil || got != tt.want {
			t.Errorf("ParseAmount(%q, %d) = %d, %v; want %d", tt.in, tt.exp, got, err, tt.want)
		}
	}
}

func TestParseAmountInvalid(t *testing.T) {
	tests := []struct {
		in  string
		exp int
		msg string
	}{
		{"", 2, "amount is empty"},
		{"-1", 2, "must not be negative"},
		{"+1", 2, "leading '+'"},
		{"1-2", 2, "sign in the wrong place"},
		{"1.234", 2, "at most 2 decimal places allowed"},
		{"1.230", 2, "at most 2 decimal places allowed"},
		{"1.5", 0, "no decimal places allowed"},
		{"1.0", 0, "no decimal places allowed"},
		{"1.25", 1, "at most 1 decimal place allowed"},
		{"1.0001", 3, "at most 3 decimal places allowed"},
		{"1e3", 2, "exponent notation"},
		{"1E3", 2, "exponent notation"},
		{"1,250.50", 2, "digit grouping"},
		{"1250,50", 2, "decimal comma"},
		{"1_250", 2, "digit grouping"},
		{"1'250", 2, "digit grouping"},
		{" 1", 2, "whitespace"},
		{"1 ", 2, "whitespace"},
		{"1\t", 2, "whitespace"},
		{"1\n", 2, "whitespace"},
		{"1 250", 2, "whitespace"},
		{"1.", 2, "after the decimal point"},
		{".5", 2, "before the decimal point"},
		{".", 2, "before the decimal point"},
		{"1..2", 2, "more than one decimal point"},
		{"1.2.3", 2, "more than one decimal point"},
		{"01", 2, "leading zeros"},
		{"00.5", 2, "leading zeros"},
		{"00", 2, "leading zeros"},
		{"١٢", 2, "ASCII digits"},         // Arabic-Indic digits
		{"１２", 2, "ASCII digits"},         // fullwidth digits
		{"1\u00a0000", 2, "ASCII digits"}, // no-break space
		{"NaN", 2, "only digits"},
		{"Inf", 2, "only digits"},
		{"0x10", 2, "only digits"},
		{"1$", 2, "only digits"},
		{"9223372036854775808", 0, "too large"},
		{"92233720368547758.08", 2, "too large; the maximum is 92233720368547758.07"},
		{"92233720368547759", 2, "too large"},
		{"99999999999999999999999", 0, "too large"},
		{"10", 18, "too large"},
		{"1", -1, "exponent -1 is out of range"},
		{"1", 19, "exponent 19 is out of range"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			v, err := ParseAmount(tt.in, tt.exp)
			wantInvalid(t, err, tt.msg)
			if v != 0 {
				t.Errorf("value %d returned with error", v)
			}
		})
	}
}

func TestParseOverflowIsErrOverflow(t *testing.T) {
	_, err := ParseAmount("92233720368547758.08", 2)
	if !errors.Is(err, ErrOverflow) {
		t.Fatalf("%v is not ErrOverflow", err)
	}
	_, err = ParseAmount("1.234", 2)
	if errors.Is(err, ErrOverflow) {
		t.Fatalf("%v should not be ErrOverflow", err)
	}
}

func TestParseSignedAmount(t *testing.T) {
	good := []struct {
		in   string
		exp  int
		want int64
	}{
		{"-0.05", 2, -5},
		{"-1250.50", 2, -125050},
		{"1250.50", 2, 125050},
		{"0", 2, 0},
		{"-92233720368547758.08", 2, math.MinInt64},
		{"-9223372036854775808", 0, math.MinInt64},
		{"92233720368547758.07", 2, math.MaxInt64},
	}
	for _, tt := range good {
		got, err := ParseSignedAmount(tt.in, tt.exp)
		if err != nil || got != tt.want {
			t.Errorf("ParseSignedAmount(%q, %d) = %d, %v; want %d", tt.in, tt.exp, got, err, tt.want)
		}
	}
	bad := []struct {
		in  string
		exp int
		msg string
	}{
		{"-", 2, "sign but no digits"},
		{"--1", 2, "sign in the wrong place"},
		{"-+1", 2, "sign in the wrong place"},
		{"+1", 2, "leading '+'"},
		{"-0", 2, "negative zero"},
		{"-0.00", 2, "negative zero"},
		{"- 1", 2, "whitespace"},
		{"-.5", 2, "before the decimal point"},
		{"-01", 2, "leading zeros"},
		{"-92233720368547758.09", 2, "the minimum is -92233720368547758.08"},
		{"-9223372036854775809", 0, "too far below zero"},
	}
	for _, tt := range bad {
		_, err := ParseSignedAmount(tt.in, tt.exp)
		wantInvalid(t, err, tt.msg)
	}
}

func TestParsePositive(t *testing.T) {
	for _, s := range []string{"0", "0.0", "0.00"} {
		_, err := ParsePositive(s, 2)
		wantInvalid(t, err, "greater than zero")
	}
	_, err := ParsePositive("-1", 2)
	wantInvalid(t, err, "must not be negative")
	_, err = ParsePositive("1.234", 2)
	wantInvalid(t, err, "at most 2 decimal places")
	if v, err := ParsePositive("0.01", 2); err != nil || v != 1 {
		t.Fatalf("ParsePositive(0.01) = %d, %v", v, err)
	}
}

func TestFormatAmount(t *testing.T) {
	tests := []struct {
		in   int64
		exp  int
		want string
	}{
		{125050, 2, "1250.50"},
		{-5, 2, "-0.05"},
		{1250, 0, "1250"},
		{0, 0, "0"},
		{0, 2, "0.00"},
		{0, 3, "0.000"},
		{1, 3, "0.001"},
		{-1, 0, "-1"},
		{100, 2, "1.00"},
		{99, 2, "0.99"},
		{math.MaxInt64, 0, "9223372036854775807"},
		{math.MaxInt64, 2, "92233720368547758.07"},
		{math.MinInt64, 0, "-9223372036854775808"},
		{math.MinInt64, 2, "-92233720368547758.08"},
		{math.MinInt64, 18, "-9.223372036854775808"},
		{1, 18, "0.000000000000000001"},
		{-1, 18, "-0.000000000000000001"},
		{math.MaxInt64, 19 - 1, "9.223372036854775807"},
	}
	for _, tt := range tests {
		if got := FormatAmount(tt.in, tt.exp); got != tt.want {
			t.Errorf("FormatAmount(%d, %d) = %q, want %q", tt.in, tt.exp, got, tt.want)
		}
	}
}

func TestFormatAmountPanicsOnBadExponent(t *testing.T) {
	for _, exp := range []int{-1, MaxExponent + 1} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("FormatAmount(1, %d) did not panic", exp)
				}
			}()
			FormatAmount(1, exp)
		}()
	}
}

func TestInt64BoundaryRoundTrip(t *testing.T) {
	for exp := 0; exp <= MaxExponent; exp++ {
		for _, v := range []int64{math.MaxInt64, math.MaxInt64 - 1, math.MinInt64, math.MinInt64 + 1, 0, 1, -1} {
			s := FormatAmount(v, exp)
			got, err := ParseSignedAmount(s, exp)
			if err != nil || got != v {
				t.Errorf("exp %d: ParseSignedAmount(FormatAmount(%d)=%q) = %d, %v", exp, v, s, got, err)
			}
			if v >= 0 {
				if got, err := ParseAmount(s, exp); err != nil || got != v {
					t.Errorf("exp %d: ParseAmount(%q) = %d, %v", exp, s, got, err)
				}
			}
		}
		// One minor unit beyond each end must be refused, not wrapped.
		over := bigPlus(FormatAmount(math.MaxInt64, exp))
		if _, err := ParseAmount(over, exp); !errors.Is(err, ErrOverflow) {
			t.Errorf("exp %d: ParseAmount(%q) err = %v, want overflow", exp, over, err)
		}
		under := "-" + bigPlus(FormatAmount(math.MinInt64, exp)[1:])
		if _, err := ParseSignedAmount(under, exp); !errors.Is(err, ErrOverflow) {
			t.Errorf("exp %d: ParseSignedAmount(%q) err = %v, want overflow", exp, under, err)
		}
	}
}

// bigPlus adds one in the last decimal place of a non-negative decimal
// string, without going through int64.
func bigPlus(s string) string {
	b := []byte(s)
	for i := len(b) - 1; i >= 0; i-- {
		if b[i] == '.' {
			continue
		}
		if b[i] < '9' {
			b[i]++
			return string(b)
		}
		b[i] = '0'
	}
	return "1" + string(b)
}

func TestAddSub(t *testing.T) {
	const max, min = math.MaxInt64, math.MinInt64
	tests := []struct {
		a, b  int64
		add   int64
		addOK bool
		sub   int64
		subOK bool
	}{
		{1, 2, 3, true, -1, true},
		{max, 0, max, true, max, true},
		{max, 1, 0, false, max - 1, true},
		{max, -1, max - 1, true, 0, false},
		{min, -1, 0, false, min + 1, true},
		{min, 1, min + 1, true, 0, false},
		{min, 0, min, true, min, true},
		{0, min, min, true, 0, false},
		{-1, min, 0, false, max, true},
		{max, min, -1, true, 0, false},
		{min, min, 0, false, 0, true},
		{max, max, 0, false, 0, true},
	}
	for _, tt := range tests {
		if got, ok := Add(tt.a, tt.b); got != tt.add || ok != tt.addOK {
			t.Errorf("Add(%d, %d) = %d, %v; want %d, %v", tt.a, tt.b, got, ok, tt.add, tt.addOK)
		}
		if got, ok := Sub(tt.a, tt.b); got != tt.sub || ok != tt.subOK {
			t.Errorf("Sub(%d, %d) = %d, %v; want %d, %v", tt.a, tt.b, got, ok, tt.sub, tt.subOK)
		}
	}
}

func TestMul(t *testing.T) {
	const max, min = math.MaxInt64, math.MinInt64
	tests := []struct {
		a, b int64
		want int64
		ok   bool
	}{
		{3, 4, 12, true},
		{0, min, 0, true},
		{min, 0, 0, true},
		{-1, max, -max, true},
		{-1, min, 0, false},
		{min, -1, 0, false},
		{min, 1, min, true},
		{1 << 62, 2, 0, false},
		{-(1 << 62), 2, min, true},
		{1 << 31, 1 << 31, 1 << 62, true},
		{1 << 32, 1 << 31, 0, false},
		{3037000499, 3037000499, 9223372030926249001, true},
		{3037000500, 3037000500, 0, false},
		{-3037000500, 3037000500, 0, false},
		{max, -1, -max, true},
	}
	for _, tt := range tests {
		if got, ok := Mul(tt.a, tt.b); got != tt.want || ok != tt.ok {
			t.Errorf("Mul(%d, %d) = %d, %v; want %d, %v", tt.a, tt.b, got, ok, tt.want, tt.ok)
		}
	}
}

func TestSum(t *testing.T) {
	const max, min = math.MaxInt64, math.MinInt64
	tests := []struct {
		xs   []int64
		want int64
		ok   bool
	}{
		{nil, 0, true},
		{[]int64{1, 2, 3}, 6, true},
		{[]int64{max, 1, -1}, max, true}, // intermediate overflow is fine
		{[]int64{max, 1}, 0, false},
		{[]int64{min, -1}, 0, false},
		{[]int64{min, -1, 1}, min, true},
		{[]int64{max, max, min, min, 1}, -1, true},
		{[]int64{max, max, max, min, min, min}, -3, true},
		{[]int64{min, min, min, min}, 0, false},
		{[]int64{max, max, -max}, max, true},
	}
	for _, tt := range tests {
		if got, ok := Sum(tt.xs...); got != tt.want || ok != tt.ok {
			t.Errorf("Sum(%v) = %d, %v; want %d, %v", tt.xs, got, ok, tt.want, tt.ok)
		}
	}
}
