package iso20022

import (
	"math/big"
	"strconv"
	"strings"
)

// maxExponent is the largest currency exponent an ISO 20022 amount can carry
// (ActiveCurrencyAndAmount has fractionDigits 5).
const maxExponent = 5

// maxTotalDigits is the totalDigits facet shared by amounts and control sums.
const maxTotalDigits = 18

// decimalText is an xs:decimal lexical value taken apart, so that amounts can
// be checked and converted exactly.
type decimalText struct {
	neg     bool
	intPart string // integer digits without leading zeros; "" for zero
	frac    string // fraction digits exactly as written, trailing zeros kept
}

// parseDecimal accepts the xs:decimal lexical space: an optional sign, then
// digits with an optional fraction ("1", "1.", ".5", "+0.50"). No exponent,
// no grouping, no surrounding whitespace (callers trim first).
func parseDecimal(s string) (decimalText, bool) {
	var d decimalText
	if s == "" {
		return d, false
	}
	switch s[0] {
	case '+':
		s = s[1:]
	case '-':
		d.neg = true
		s = s[1:]
	}
	ip, fp := s, ""
	if i := strings.IndexByte(s, '.'); i >= 0 {
		ip, fp = s[:i], s[i+1:]
	}
	if ip == "" && fp == "" {
		return d, false
	}
	if !allDigits(ip) || !allDigits(fp) {
		return d, false
	}
	d.intPart = strings.TrimLeft(ip, "0")
	d.frac = fp
	return d, true
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func (d decimalText) isZero() bool {
	return d.intPart == "" && strings.Trim(d.frac, "0") == ""
}

// totalDigits counts significant digits the way the XSD totalDigits facet
// does: on the value, so leading and trailing zeros are free.
func (d decimalText) totalDigits() int {
	n := len(d.intPart) + len(strings.TrimRight(d.frac, "0"))
	if n == 0 {
		n = 1
	}
	return n
}

// unscaled returns the value multiplied by 10^scale. scale must be at least
// len(frac).
func (d decimalText) unscaled(scale int) *big.Int {
	digits := d.intPart + d.frac + strings.Repeat("0", scale-len(d.frac))
	v := new(big.Int)
	if digits != "" {
		v.SetString(digits, 10)
	}
	if d.neg {
		v.Neg(v)
	}
	return v
}

// minorUnits converts a non-negative value to minor units of a currency with
// exponent exp. ok is false when the value has more than exp decimals or does
// not fit an int64.
func (d decimalText) minorUnits(exp int) (int64, bool) {
	if len(d.frac) > exp {
		return 0, false
	}
	digits := strings.TrimLeft(d.intPart+d.frac+strings.Repeat("0", exp-len(d.frac)), "0")
	if digits == "" {
		return 0, true
	}
	v, err := strconv.ParseInt(digits, 10, 64)
	if err != nil {
		return 0, false
	}
	if d.neg {
		v = -v
	}
	return v, true
}

// formatMinor renders minor units as the decimal text ISO 20022 expects,
// with exactly exp fraction digits ("150050", 2 -> "1500.50").
func formatMinor(minor int64, exp int) string {
	return formatScaled(big.NewInt(minor), exp)
}

// formatScaled renders v / 10^scale exactly.
func formatScaled(v *big.Int, scale int) string {
	neg := v.Sign() < 0
	s := new(big.Int).Abs(v).String()
	if scale > 0 {
		if len(s) <= scale {
			s = strings.Repeat("0", scale-len(s)+1) + s
		}
		s = s[:len(s)-scale] + "." + s[len(s)-scale:]
	}
	if neg {
		s = "-" + s
	}
	return s
}

// scaleUp multiplies v by 10^n (n >= 0) into a new big.Int.
func scaleUp(v *big.Int, n int) *big.Int {
	if n == 0 {
		return new(big.Int).Set(v)
	}
	return new(big.Int).Mul(v, new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(n)), nil))
}

// scaledTotalDigits is totalDigits for v / 10^scale.
func scaledTotalDigits(v *big.Int, scale int) int {
	d, _ := parseDecimal(formatScaled(v, scale))
	return d.totalDigits()
}

// amountSum adds amounts of possibly different currencies as plain decimal
// numbers, which is what ISO 20022 control sums mean ("irrespective of
// currencies"). It returns the sum and the scale it is expressed at.
type amountSum struct {
	parts []scaledInt
}

type scaledInt struct {
	v     int64
	scale int
}

func (s *amountSum) add(minor int64, exp int) { s.parts = append(s.parts, scaledInt{minor, exp}) }

func (s *amountSum) total() (*big.Int, int) {
	scale := 0
	for _, p := range s.parts {
		scale = max(scale, p.scale)
	}
	sum := new(big.Int)
	for _, p := range s.parts {
		sum.Add(sum, scaleUp(big.NewInt(p.v), scale-p.scale))
	}
	return sum, scale
}

// equalScaled compares a/10^sa with b/10^sb exactly.
func equalScaled(a *big.Int, sa int, b *big.Int, sb int) bool {
	s := max(sa, sb)
	return scaleUp(a, s-sa).Cmp(scaleUp(b, s-sb)) == 0
}
