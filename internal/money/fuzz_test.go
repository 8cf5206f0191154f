package money

import (
	"errors"
	"math/big"
	"regexp"
	"strings"
	"testing"

	"bricstown/internal/problem"
)

// The grammar written a second, independent way, as the fuzz oracle.
var plainDecimal = regexp.MustCompile(`^(0|[1-9][0-9]*)(\.([0-9]+))?$`)

// mustBeInvalid fails unless err is a *problem.Error with code Invalid:
// whatever the input, the caller must get an error it can show.
func mustBeInvalid(t *testing.T, err error) {
	t.Helper()
	var pe *problem.Error
	if !errors.As(err, &pe) || pe.Code != problem.Invalid || pe.Message == "" {
		t.Fatalf("error %#v is not a *problem.Error with code Invalid and a message", err)
	}
}

func FuzzParseAmount(f *testing.F) {
	for _, s := range []string{
		"1250.50", "1250.5", "1250", "0", "0.00", "0.001", "1.234", "-0.05", "-0",
		"+1", "1.", ".5", "01", "1e3", "1,250.50", " 1", "١٢", "NaN",
		"9223372036854775807", "9223372036854775808", "92233720368547758.07",
		"92233720368547758.08", "-92233720368547758.08", "-92233720368547758.09",
		"99999999999999999999999999999999",
	} {
		f.Add(s, uint8(2))
		f.Add(s, uint8(0))
		f.Add(s, uint8(3))
	}
	f.Fuzz(func(t *testing.T, s string, e uint8) {
		exp := int(e)%(MaxExponent+2) - 1 // -1..18, so bad exponents are fuzzed too
		signed, errSigned := ParseSignedAmount(s, exp)
		plain, errPlain := ParseAmount(s, exp)
		pos, errPos := ParsePositive(s, exp)
		for _, err := range []error{errSigned, errPlain, errPos} {
			if err != nil {
				mustBeInvalid(t, err)
			}
		}

		// Independent oracle: grammar, decimals, range, sign rules.
		body, neg := strings.CutPrefix(s, "-")
		m := plainDecimal.FindStringSubmatch(body)
		var want *big.Int
		if m != nil && exp >= 0 && exp <= MaxExponent && len(m[3]) <= exp {
			want, _ = new(big.Int).SetString(m[1]+m[3]+strings.Repeat("0", exp-len(m[3])), 10)
			if neg {
				want.Neg(want)
			}
		}
		okSigned := want != nil && fitsInt64(want) && !(neg && want.Sign() == 0)
		okPlain := okSigned && !neg
		okPos := okPlain && want.Sign() > 0
		if (errSigned == nil) != okSigned || (errPlain == nil) != okPlain || (errPos == nil) != okPos {
			t.Fatalf("%q exp %d: accepted signed/plain/positive = %v/%v/%v, oracle says %v/%v/%v (%v; %v; %v)",
				s, exp, errSigned == nil, errPlain == nil, errPos == nil, okSigned, okPlain, okPos, errSigned, errPlain, errPos)
		}
		if !okSigned {
			return
		}
		if signed != want.Int64() || (okPlain && plain != signed) || (okPos && pos != signed) {
			t.Fatalf("%q exp %d: got %d/%d/%d, want %s", s, exp, signed, plain, pos, want)
		}

		// Anything accepted round-trips, and formats as the input with the
		// fraction padded to the currency's decimals.
		out := FormatAmount(signed, exp)
		canon := s
		if exp > 0 {
			if !strings.Contains(canon, ".") {
				canon += "."
			}
			canon += strings.Repeat("0", exp-len(m[3]))
		}
		if out != canon {
			t.Fatalf("FormatAmount(ParseSignedAmount(%q)) = %q, want %q", s, out, canon)
		}
		if back, err := ParseSignedAmount(out, exp); err != nil || back != signed {
			t.Fatalf("ParseSignedAmount(%q) = %d, %v; want %d", out, back, err, signed)
		}
	})
}

func FuzzParseRate(f *testing.F) {
	for _, s := range []string{
		"0.01523", "458.72", "458.720", "1", "1.0", "0", "0.000", "-1", "+1",
		"0.000000000001", "0.0000000000001", "999999999999999999", "1000000000000000000",
		"123456.789012345678", "1234567.789012345678", "1e-3", ".5", "5.", "01.5", " 1",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r, err := ParseRate(s)
		if err != nil {
			mustBeInvalid(t, err)
			if !r.IsZero() {
				t.Fatalf("ParseRate(%q) returned %v with an error", s, r)
			}
		}

		// Independent oracle.
		var want *big.Rat
		ok := false
		if m := plainDecimal.FindStringSubmatch(s); m != nil && len(m[3]) <= MaxRateScale {
			want, _ = new(big.Rat).SetString(s)
			frac := strings.TrimRight(m[3], "0")
			digits := strings.TrimLeft(m[1]+frac, "0")
			ok = want.Sign() > 0 && len(digits) <= MaxRateDigits
		}
		if (err == nil) != ok {
			t.Fatalf("ParseRate(%q): accepted %v, oracle says %v (%v)", s, err == nil, ok, err)
		}
		if !ok {
			return
		}
		if ratOf(r).Cmp(want) != 0 {
			t.Fatalf("ParseRate(%q) = %v, want %s", s, r, want.RatString())
		}

		// Anything accepted round-trips, and its canonical form is the input
		// without trailing decimal zeros.
		out := r.String()
		canon := s
		if strings.Contains(canon, ".") {
			canon = strings.TrimSuffix(strings.TrimRight(canon, "0"), ".")
		}
		if out != canon {
			t.Fatalf("ParseRate(%q).String() = %q, want %q", s, out, canon)
		}
		if back, err := ParseRate(out); err != nil || back != r {
			t.Fatalf("ParseRate(%q) = %v, %v; want %v", out, back, err, r)
		}
		text, err := r.MarshalText()
		if err != nil || string(text) != out {
			t.Fatalf("MarshalText = %q, %v", text, err)
		}
	})
}
