package money

import (
	"errors"
	"math"
	"strconv"
	"strings"

	"bricstown/internal/problem"
)

// Amount is a count of a currency's minor units (ISO 4217 exponent). It is
// an alias, not a new type, so values from storage and the wire can be used
// as they are, and the name still shows what the int64 means.
type Amount = int64

// MaxExponent is the largest currency exponent accepted. 10^18 is the
// largest power of ten an int64 holds, so with a bigger exponent even one
// major unit would not fit. Real ISO 4217 exponents are 0 to 4.
const MaxExponent = 18

// ErrOverflow is the cause inside the *problem.Error returned when a result
// would not fit in an int64 (or a rate in MaxRateDigits digits). Callers can
// then tell "too large" from "malformed" with errors.Is, without matching
// on message text.
var ErrOverflow = errors.New("money: overflow")

func invalid(format string, args ...any) error {
	return problem.New(problem.Invalid, format, args...)
}

func overflow(format string, args ...any) error {
	return problem.Wrap(problem.Invalid, ErrOverflow, format, args...)
}

func checkExponent(exp int) error {
	if exp < 0 || exp > MaxExponent {
		return invalid("currency exponent %d is out of range 0..%d", exp, MaxExponent)
	}
	return nil
}

// ParseAmount reads an amount in major units as the API receives it, for
// example "1250.50", and returns it in minor units.
//
// The grammar is kept narrow on purpose: the JSON number grammar without the
// sign and the exponent, so that one spelling cannot mean two things to two
// parsers. That is digits, optionally followed by "." and more digits. It
// allows ASCII digits only, no whitespace or grouping, and no leading zeros
// ("0.5" is fine, "00.5" is not). "1." and ".5" are refused because they
// are usually a truncated or hand-edited value.
//
// More decimals than the currency has is refused, not rounded, even when the
// extra digits are zeros ("1.230" for a 2-decimal currency). Rounding a
// client's amount silently would charge or pay something the client did not
// ask for, and three decimals sent for KZT usually mean the client has the
// currency wrong. Fewer decimals are fine ("1250.5", "1250").
//
// A sign is refused because amounts in the API are positive and the
// direction comes from the operation. Zero is accepted. Use ParsePositive
// where zero makes no sense and ParseSignedAmount for balances.
func ParseAmount(s string, exponent int) (Amount, error) {
	return parseAmount(s, exponent, false)
}

// ParsePositive is ParseAmount for values where zero is a client mistake,
// such as a payment or a transfer: it refuses zero with its own message, so
// the check cannot be forgotten at the call site.
func ParsePositive(s string, exponent int) (Amount, error) {
	v, err := parseAmount(s, exponent, false)
	if err == nil && v == 0 {
		return 0, invalid("amount must be greater than zero")
	}
	return v, err
}

// ParseSignedAmount is ParseAmount for balances and adjustments, which may
// be negative. It accepts one leading '-' only. '+' is still refused, and so
// is negative zero ("-0", "-0.00"), which usually comes from a buggy
// formatter and would not round-trip through FormatAmount.
func ParseSignedAmount(s string, exponent int) (Amount, error) {
	return parseAmount(s, exponent, true)
}

func parseAmount(s string, exp int, signed bool) (int64, error) {
	if err := checkExponent(exp); err != nil {
		return 0, err
	}
	d, err := scanDecimal(s, "amount", signed)
	if err != nil {
		return 0, err
	}
	if len(d.frac) > exp {
		return 0, decimalsError(exp)
	}
	limit := uint64(math.MaxInt64)
	if d.neg {
		limit++
	}
	var v uint64
	for i := 0; i < len(d.intPart); i++ {
		c := uint64(d.intPart[i] - '0')
		if v > (limit-c)/10 {
			return 0, amountRangeError(d.neg, exp)
		}
		v = v*10 + c
	}
	for i := 0; i < len(d.frac); i++ {
		c := uint64(d.frac[i] - '0')
		if v > (limit-c)/10 {
			return 0, amountRangeError(d.neg, exp)
		}
		v = v*10 + c
	}
	for i := len(d.frac); i < exp; i++ {
		if v > limit/10 {
			return 0, amountRangeError(d.neg, exp)
		}
		v *= 10
	}
	if d.neg {
		if v == 0 {
			return 0, invalid("amount must not be negative zero")
		}
		return int64(-v), nil // -v of 1<<63 is MinInt64, as wanted
	}
	return int64(v), nil
}

// decimalsError names the exponent, not the currency; the caller prefixes
// the currency code.
func decimalsError(exp int) error {
	switch exp {
	case 0:
		return invalid("no decimal places allowed (whole units only)")
	case 1:
		return invalid("at most 1 decimal place allowed")
	default:
		return invalid("at most %d decimal places allowed", exp)
	}
}

func amountRangeError(neg bool, exp int) error {
	if neg {
		return overflow("amount is too far below zero; the minimum is %s", FormatAmount(math.MinInt64, exp))
	}
	return overflow("amount is too large; the maximum is %s", FormatAmount(math.MaxInt64, exp))
}

// decimal is the syntactic result of scanDecimal: digit strings, not yet
// a value, so that amounts and rates can apply their own limits.
type decimal struct {
	neg     bool
	intPart string // no leading zeros unless exactly "0"
	frac    string // may be empty; never present-but-empty
}

// scanDecimal checks the grammar shared by amounts and rates and explains
// the first problem in terms a client can act on.
func scanDecimal(s, what string, allowMinus bool) (decimal, error) {
	var d decimal
	if s == "" {
		return d, invalid("%s is empty", what)
	}
	body := s
	if allowMinus && s[0] == '-' {
		d.neg = true
		body = s[1:]
		if body == "" {
			return d, invalid("%s has a sign but no digits", what)
		}
	}
	point := -1
	for i := 0; i < len(body); i++ {
		c := body[i]
		if c >= '0' && c <= '9' {
			continue
		}
		if c == '.' && point < 0 {
			point = i
			continue
		}
		return d, badChar(c, i == 0 && !d.neg, what)
	}
	if point < 0 {
		d.intPart = body
	} else {
		d.intPart, d.frac = body[:point], body[point+1:]
		if d.intPart == "" {
			return d, invalid("%s needs a digit before the decimal point (write 0.5, not .5)", what)
		}
		if d.frac == "" {
			return d, invalid("%s needs a digit after the decimal point (write 1, not 1.)", what)
		}
	}
	if len(d.intPart) > 1 && d.intPart[0] == '0' {
		return d, invalid("%s must not have leading zeros", what)
	}
	return d, nil
}

func badChar(c byte, first bool, what string) error {
	switch {
	case first && c == '-':
		return invalid("%s must not be negative or carry a sign", what)
	case first && c == '+':
		return invalid("%s must not have a leading '+'", what)
	case c == '+' || c == '-':
		return invalid("%s has a sign in the wrong place", what)
	case c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f':
		return invalid("%s must not contain whitespace", what)
	case c == ',' || c == '_' || c == '\'':
		return invalid("%s must not contain digit grouping or a decimal comma; use '.' as the decimal point, as in 1250.50", what)
	case c == 'e' || c == 'E':
		return invalid("%s must not use exponent notation", what)
	case c == '.':
		return invalid("%s has more than one decimal point", what)
	case c >= 0x80:
		return invalid("%s must use ASCII digits 0-9 only", what)
	default:
		return invalid("%s must contain only digits 0-9 and an optional decimal point", what)
	}
}

// FormatAmount renders minor units as the API and ledger exports show them:
// exactly exponent decimals, so that equal amounts are always the same
// string ("1250.50", "-0.05", "1250" for exponent 0), and ParseAmount or
// ParseSignedAmount reads the result back unchanged.
//
// It panics if exponent is outside 0..MaxExponent, as strconv.FormatInt
// does for a bad base: the exponent comes from the currency table, not
// from a client, so a bad one is a programming error.
func FormatAmount(minor Amount, exponent int) string {
	if exponent < 0 || exponent > MaxExponent {
		panic("money: FormatAmount: exponent " + strconv.Itoa(exponent) + " out of range")
	}
	var digits [20]byte
	neg := minor < 0
	mag := uint64(minor)
	if neg {
		mag = -mag
	}
	ds := strconv.AppendUint(digits[:0], mag, 10)

	// Longest output: sign + 19 digits + point, or sign + "0." + 18 digits.
	var buf [24]byte
	out := buf[:0]
	if neg {
		out = append(out, '-')
	}
	if exponent == 0 {
		return string(append(out, ds...))
	}
	if len(ds) <= exponent {
		out = append(out, '0', '.')
		for i := len(ds); i < exponent; i++ {
			out = append(out, '0')
		}
		return string(append(out, ds...))
	}
	cut := len(ds) - exponent
	out = append(out, ds[:cut]...)
	out = append(out, '.')
	out = append(out, ds[cut:]...)
	return string(out)
}

// Add returns a+b and ok=false if the true sum does not fit in an int64. It
// reports the overflow instead of wrapping, because a wrapped balance is a
// plausible-looking wrong number.
func Add(a, b Amount) (Amount, bool) {
	c := a + b
	if (c > a) != (b > 0) {
		return 0, false
	}
	return c, true
}

// Sub returns a-b and ok=false on overflow, for the same reason as Add.
func Sub(a, b Amount) (Amount, bool) {
	c := a - b
	if (c < a) != (b > 0) {
		return 0, false
	}
	return c, true
}

// Mul returns a*b and ok=false on overflow. It is meant for quantity × unit
// price, where both are integers. Multiplying by a fractional factor is
// Convert or ApplyBps, which round explicitly.
func Mul(a, b int64) (int64, bool) {
	if a == 0 || b == 0 {
		return 0, true
	}
	if (a == -1 && b == math.MinInt64) || (b == -1 && a == math.MinInt64) {
		return 0, false
	}
	c := a * b
	if c/b != a {
		return 0, false
	}
	return c, true
}

// Sum adds all xs and reports ok=false only if the true total does not fit
// in an int64. It keeps a 128-bit running total, so the answer does not
// depend on the order of the terms: [max, 1, -1] sums to max.
func Sum(xs ...Amount) (Amount, bool) {
	var hi, lo uint64
	for _, x := range xs {
		var carry uint64
		lo, carry = addCarry(lo, uint64(x))
		hi += uint64(x>>63) + carry // sign-extend x into the high word
	}
	if hi != uint64(int64(lo)>>63) {
		return 0, false
	}
	return int64(lo), true
}

// FieldPrice reads a positive price of a form or request field with at most
// exp decimals (the currency's minor unit) and records what is wrong with it
// in f under field: "required", the decimals allowed (a price with one digit
// too many is refused, never rounded), or ParsePositive's message. The
// catalogue and the order read prices through it, so both refuse alike.
func FieldPrice(f problem.Fields, field, s string, exp int) int64 {
	s = strings.TrimSpace(s)
	if s == "" {
		f.Add(field, "required")
		return 0
	}
	v, err := ParsePositive(s, exp)
	if err != nil {
		if _, frac, ok := strings.Cut(s, "."); ok && len(frac) > exp && strings.Trim(s, "0123456789.") == "" {
			if exp == 0 {
				f.Add(field, "no decimal places allowed (whole units only)")
			} else {
				f.Addf(field, "at most %d decimal places allowed", exp)
			}
		} else {
			f.Add(field, problem.MessageOf(err))
		}
	}
	return v
}
