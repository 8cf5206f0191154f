package money

import (
	"encoding/json"
	"errors"
	"testing"
)

func TestParseRateValid(t *testing.T) {
	tests := []struct {
		in, want string
		mant     uint64
		scale    uint8
	}{
		{"0.01523", "0.01523", 1523, 5},
		{"458.72", "458.72", 45872, 2},
		{"458.720", "458.72", 45872, 2},
		{"458.720000000000", "458.72", 45872, 2},
		{"1", "1", 1, 0},
		{"1.0", "1", 1, 0},
		{"100", "100", 100, 0},
		{"100.00", "100", 100, 0},
		{"0.5", "0.5", 5, 1},
		{"0.000000000001", "0.000000000001", 1, 12},
		{"0.123456789012", "0.123456789012", 123456789012, 12},
		{"999999999999999999", "999999999999999999", 999999999999999999, 0},
		{"999999999999999999.000000000000", "999999999999999999", 999999999999999999, 0},
		{"123456.789012345678", "123456.789012345678", 123456789012345678, 12},
		{"0.000012345678", "0.000012345678", 12345678, 12},
	}
	for _, tt := range tests {
		r, err := ParseRate(tt.in)
		if err != nil {
			t.Errorf("ParseRate(%q): %v", tt.in, err)
			continue
		}
		if r.mant != tt.mant || r.scale != tt.scale {
			t.Errorf("ParseRate(%q) = %d/10^%d, want %d/10^%d", tt.in, r.mant, r.scale, tt.mant, tt.scale)
		}
		if got := r.String(); got != tt.want {
			t.Errorf("ParseRate(%q).String() = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestParseRateInvalid(t *testing.T) {
	tests := []struct{ in, msg string }{
		{"", "rate is empty"},
		{"0", "greater than zero"},
		{"0.000", "greater than zero"},
		{"0.000000000000", "greater than zero"},
		{"-1", "must not be negative"},
		{"-0.5", "must not be negative"},
		{"+1", "leading '+'"},
		{"0.0000000000001", "at most 12 decimal places"},
		{"1.0000000000000", "at most 12 decimal places"},
		{"1000000000000000000", "more than 18 significant digits"},
		{"1234567.789012345678", "more than 18 significant digits"},
		{"99999999999999999999999999", "more than 18 significant digits"},
		{"1e-3", "exponent notation"},
		{".5", "before the decimal point"},
		{"5.", "after the decimal point"},
		{"01.5", "leading zeros"},
		{" 1", "whitespace"},
		{"1,5", "decimal comma"},
		{"٣", "ASCII digits"},
		{"NaN", "only digits"},
	}
	for _, tt := range tests {
		r, err := ParseRate(tt.in)
		wantInvalid(t, err, tt.msg)
		if !r.IsZero() {
			t.Errorf("ParseRate(%q) returned %v with an error", tt.in, r)
		}
	}
	if _, err := ParseRate("1000000000000000000"); !errors.Is(err, ErrOverflow) {
		t.Errorf("too many digits should be ErrOverflow, got %v", err)
	}
}

func TestRateEqualityIsValueEquality(t *testing.T) {
	if mustRate(t, "1.50") != mustRate(t, "1.5") || mustRate(t, "2.000") != mustRate(t, "2") {
		t.Fatal("equal rates compare unequal")
	}
	if mustRate(t, "1.5") == mustRate(t, "15") {
		t.Fatal("different rates compare equal")
	}
}

func TestRateZeroValue(t *testing.T) {
	var r Rate
	if !r.IsZero() || r.String() != "0" {
		t.Fatalf("zero Rate: IsZero %v String %q", r.IsZero(), r.String())
	}
	if _, err := r.MarshalText(); err == nil {
		t.Fatal("zero Rate marshalled")
	}
	_, err := r.Inverse(6, RoundDown)
	wantInvalid(t, err, "rate is not set")
	_, err = mustRate(t, "2").Mul(r, 6, RoundDown)
	wantInvalid(t, err, "rate is not set")
	_, err = r.Mul(mustRate(t, "2"), 6, RoundDown)
	wantInvalid(t, err, "rate is not set")
}

func TestRateJSON(t *testing.T) {
	type quote struct {
		Rate Rate `json:"rate"`
	}
	b, err := json.Marshal(quote{mustRate(t, "0.015230")})
	if err != nil || string(b) != `{"rate":"0.01523"}` {
		t.Fatalf("Marshal = %s, %v", b, err)
	}
	var q quote
	if err := json.Unmarshal([]byte(`{"rate":"458.72"}`), &q); err != nil || q.Rate != mustRate(t, "458.72") {
		t.Fatalf("Unmarshal = %v, %v", q.Rate, err)
	}
	for _, bad := range []string{`{"rate":"0"}`, `{"rate":"1e3"}`, `{"rate":1.5}`} {
		if err := json.Unmarshal([]byte(bad), &q); err == nil {
			t.Errorf("Unmarshal(%s) accepted", bad)
		}
	}
}

func TestRateInverse(t *testing.T) {
	tests := []struct {
		rate  string
		scale int
		want  [3]string // RoundDown, RoundUp, RoundHalfEven
	}{
		{"458.72", 8, [3]string{"0.00217997", "0.00217998", "0.00217998"}},
		{"0.01523", 4, [3]string{"65.6598", "65.6599", "65.6599"}},
		{"0.2987", 6, [3]string{"3.34784", "3.347841", "3.347841"}},
		{"3", 12, [3]string{"0.333333333333", "0.333333333334", "0.333333333333"}},
		{"0.000603", 2, [3]string{"1658.37", "1658.38", "1658.37"}},
		{"2", 1, [3]string{"0.5", "0.5", "0.5"}},
		{"0.5", 0, [3]string{"2", "2", "2"}},
		{"1", 12, [3]string{"1", "1", "1"}},
		{"0.000000000001", 12, [3]string{"1000000000000", "1000000000000", "1000000000000"}},
		{"0.4", 0, [3]string{"2", "3", "2"}}, // 2.5: tie goes to even
		{"0.285714285714", 0, [3]string{"3", "4", "4"}},
	}
	for _, tt := range tests {
		r := mustRate(t, tt.rate)
		for i, mode := range modes {
			inv, err := r.Inverse(tt.scale, mode)
			if err != nil || inv.String() != tt.want[i] {
				t.Errorf("%s.Inverse(%d, %v) = %v, %v; want %s", tt.rate, tt.scale, mode, inv, err, tt.want[i])
			}
		}
	}
}

func TestRateInverseErrors(t *testing.T) {
	_, err := mustRate(t, "0.000000000003").Inverse(12, RoundDown)
	wantInvalid(t, err, "more than 18 significant digits at 12 decimal places")
	if !errors.Is(err, ErrOverflow) {
		t.Errorf("want ErrOverflow, got %v", err)
	}
	_, err = mustRate(t, "3").Inverse(0, RoundDown)
	wantInvalid(t, err, "inverse rate rounds to zero at 0 decimal places")
	_, err = mustRate(t, "2").Inverse(0, RoundHalfEven) // 0.5 ties to 0
	wantInvalid(t, err, "rounds to zero")
	if inv, err := mustRate(t, "3").Inverse(0, RoundUp); err != nil || inv.String() != "1" {
		t.Errorf("3.Inverse(0, RoundUp) = %v, %v; want 1", inv, err)
	}
	_, err = mustRate(t, "3").Inverse(13, RoundDown)
	wantInvalid(t, err, "rate scale 13 is out of range")
	_, err = mustRate(t, "3").Inverse(-1, RoundDown)
	wantInvalid(t, err, "rate scale -1 is out of range")
	_, err = mustRate(t, "3").Inverse(6, 0)
	wantInvalid(t, err, "rounding mode is not set")
}

func TestRateMul(t *testing.T) {
	kztRub, rubCny := mustRate(t, "0.1768"), mustRate(t, "0.08612") // product 0.015226016
	tests := []struct {
		scale int
		want  [3]string
	}{
		{12, [3]string{"0.015226016", "0.015226016", "0.015226016"}},
		{9, [3]string{"0.015226016", "0.015226016", "0.015226016"}},
		{8, [3]string{"0.01522601", "0.01522602", "0.01522602"}},
		{5, [3]string{"0.01522", "0.01523", "0.01523"}},
		{2, [3]string{"0.01", "0.02", "0.02"}},
	}
	for _, tt := range tests {
		for i, mode := range modes {
			got, err := kztRub.Mul(rubCny, tt.scale, mode)
			if err != nil || got.String() != tt.want[i] {
				t.Errorf("Mul(scale %d, %v) = %v, %v; want %s", tt.scale, mode, got, err, tt.want[i])
			}
			// Multiplication commutes, rounding included.
			if rev, _ := rubCny.Mul(kztRub, tt.scale, mode); rev != got {
				t.Errorf("Mul not commutative at scale %d %v: %v vs %v", tt.scale, mode, got, rev)
			}
		}
	}
	// The largest mantissas with the largest scales: 24 dropped digits.
	a := mustRate(t, "123456.789012345678")
	got, err := a.Mul(a, 12, RoundHalfEven) // 15241578753.238836750495351394...
	wantInvalid(t, err, "more than 18 significant digits")
	got, err = a.Mul(mustRate(t, "0.000000000001"), 12, RoundHalfEven)
	if err != nil || got.String() != "0.000000123457" {
		t.Errorf("tiny cross rate = %v, %v", got, err)
	}
	_, err = mustRate(t, "999999999999999999").Mul(mustRate(t, "10"), 0, RoundDown)
	wantInvalid(t, err, "more than 18 significant digits")
	_, err = mustRate(t, "0.000001").Mul(mustRate(t, "0.000001"), 11, RoundDown)
	wantInvalid(t, err, "cross rate rounds to zero at 11 decimal places")
	if got, err := mustRate(t, "0.000001").Mul(mustRate(t, "0.000001"), 11, RoundUp); err != nil || got.String() != "0.00000000001" {
		t.Errorf("RoundUp tiny = %v, %v", got, err)
	}
	_, err = a.Mul(a, 6, Rounding(9))
	wantInvalid(t, err, "rounding mode is not set")
}
