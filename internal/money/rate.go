package money

import "strconv"

// Limits on a Rate. Twelve decimals is more than any published FX rate
// needs, even for pairs like KZT/KWD. Eighteen digits keep the mantissa
// below 10^18, so an int64 amount times a mantissa always fits in 128 bits
// and Convert never needs math/big.
const (
	MaxRateScale  = 12
	MaxRateDigits = 18
)

// Rate is an exact FX rate: the price of one major unit of the base
// currency in major units of the quote currency (KZT→CNY 0.01523 means
// 1 KZT costs 0.01523 CNY). It is a decimal, not a float, so the rate
// a customer was quoted is the rate applied, digit for digit.
//
// A Rate is always stored in its shortest form (trailing zeros dropped), so
// == compares values: ParseRate("1.50") == ParseRate("1.5"). The zero value
// means "no rate". Convert refuses it, and it marshals to an error, not to
// a value that cannot be read back.
type Rate struct {
	mant  uint64 // 0 < mant < 10^MaxRateDigits for every valid Rate
	scale uint8  // value = mant / 10^scale, 0 <= scale <= MaxRateScale
}

// ParseRate reads a rate such as "0.01523" or "458.72". It uses the same
// strict grammar as ParseAmount, so a rate is written the same way
// everywhere. It refuses zero and negatives (neither is a price), more than
// MaxRateScale decimals, and more than MaxRateDigits significant digits.
// Significant digits are counted from the first non-zero digit to the last
// non-zero decimal, or to the units digit if that comes later.
func ParseRate(s string) (Rate, error) {
	d, err := scanDecimal(s, "rate", false)
	if err != nil {
		return Rate{}, err
	}
	if len(d.frac) > MaxRateScale {
		return Rate{}, invalid("rate allows at most %d decimal places", MaxRateScale)
	}
	frac := d.frac
	for len(frac) > 0 && frac[len(frac)-1] == '0' {
		frac = frac[:len(frac)-1]
	}
	var mant uint64
	digits := 0
	for _, part := range [2]string{d.intPart, frac} {
		for i := 0; i < len(part); i++ {
			if mant == 0 && part[i] == '0' {
				continue // leading zeros of "0.00153" are not significant
			}
			digits++
			if digits > MaxRateDigits {
				return Rate{}, overflow("rate has more than %d significant digits", MaxRateDigits)
			}
			mant = mant*10 + uint64(part[i]-'0')
		}
	}
	if mant == 0 {
		return Rate{}, invalid("rate must be greater than zero")
	}
	return Rate{mant: mant, scale: uint8(len(frac))}, nil
}

// IsZero reports whether r is the unset zero value. It lets encoders skip
// an absent rate (json "omitzero") instead of failing on it.
func (r Rate) IsZero() bool { return r.mant == 0 }

// String gives the canonical spelling of r: no trailing zeros, no exponent,
// and at least one digit before the point ("0.01523", "458.72", "2"). This
// is the form for storage, logs and the API, and ParseRate reads it back to
// an equal Rate. The zero Rate prints as "0", which ParseRate refuses, as
// it should.
func (r Rate) String() string {
	var buf [32]byte
	return string(r.appendTo(buf[:0]))
}

func (r Rate) appendTo(out []byte) []byte {
	var digits [20]byte
	ds := strconv.AppendUint(digits[:0], r.mant, 10)
	scale := int(r.scale)
	if scale == 0 {
		return append(out, ds...)
	}
	if len(ds) <= scale {
		out = append(out, '0', '.')
		for i := len(ds); i < scale; i++ {
			out = append(out, '0')
		}
		return append(out, ds...)
	}
	cut := len(ds) - scale
	out = append(out, ds[:cut]...)
	out = append(out, '.')
	return append(out, ds[cut:]...)
}

// MarshalText writes the canonical string. It sends rates as JSON strings,
// never as JSON numbers, which many decoders would turn into floats.
func (r Rate) MarshalText() ([]byte, error) {
	if r.mant == 0 {
		return nil, invalid("rate is not set")
	}
	return r.appendTo(nil), nil
}

// UnmarshalText applies ParseRate, so a rate from JSON or a config file is
// held to the same rules as any other.
func (r *Rate) UnmarshalText(text []byte) error {
	v, err := ParseRate(string(text))
	if err != nil {
		return err
	}
	*r = v
	return nil
}

func checkRateScale(scale int) error {
	if scale < 0 || scale > MaxRateScale {
		return invalid("rate scale %d is out of range 0..%d", scale, MaxRateScale)
	}
	return nil
}

// Inverse returns 1/r rounded to scale decimals. It turns a quoted KZT→CNY
// rate into CNY→KZT without a second price source. Round the inverse the
// same way as the conversion it feeds (RoundDown for a payout, RoundUp for
// a charge), so that the rate's rounding never works against that side.
//
// Unlike a plain value method it returns an error: the inverse of a very
// small rate can exceed MaxRateDigits, and the inverse of a large one can
// round to zero at a small scale.
func (r Rate) Inverse(scale int, mode Rounding) (Rate, error) {
	if err := r.checkUsable(scale, mode); err != nil {
		return Rate{}, err
	}
	// 1/(m/10^s) = 10^s/m, so at the target scale t the mantissa is
	// 10^(s+t)/m, at most 10^24, which fits in 128 bits.
	q, ok := divRound(pow10u128(int(r.scale)+scale), r.mant, false, mode)
	if !ok {
		return Rate{}, overflow("inverse rate is too large")
	}
	return rateFrom(q, scale, "inverse rate")
}

// Mul returns r×other rounded to scale decimals: the cross rate for a pair
// with no direct quote (KZT→CNY = KZT→RUB × RUB→CNY). Converting once with
// the cross rate rounds once; converting twice through the middle currency
// rounds twice and also loses everything below the middle currency's minor
// unit. As with Inverse, round in the direction of the conversion's side.
func (r Rate) Mul(other Rate, scale int, mode Rounding) (Rate, error) {
	if err := r.checkUsable(scale, mode); err != nil {
		return Rate{}, err
	}
	if other.mant == 0 {
		return Rate{}, invalid("rate is not set")
	}
	p := mul64(r.mant, other.mant) // < 10^36
	ps := int(r.scale) + int(other.scale)
	if ps > scale {
		var ok bool
		if p, ok = divPow10Round(p, ps-scale, mode); !ok {
			return Rate{}, overflow("cross rate is too large")
		}
		ps = scale
	}
	return rateFrom(p, ps, "cross rate")
}

func (r Rate) checkUsable(scale int, mode Rounding) error {
	if r.mant == 0 {
		return invalid("rate is not set")
	}
	if err := checkRateScale(scale); err != nil {
		return err
	}
	return mode.check()
}

// rateFrom brings a computed mantissa to the shortest form and enforces the
// Rate invariants. The errors name the scale, because picking a different
// scale is the caller's fix.
func rateFrom(m u128, scale int, what string) (Rate, error) {
	if m.isZero() {
		return Rate{}, invalid("%s rounds to zero at %d decimal places", what, scale)
	}
	for scale > 0 {
		q, r := m.divmod(10)
		if r != 0 {
			break
		}
		m, scale = q, scale-1
	}
	if m.hi != 0 || m.lo >= pow10[MaxRateDigits] {
		return Rate{}, overflow("%s needs more than %d significant digits at %d decimal places", what, MaxRateDigits, scale)
	}
	return Rate{mant: m.lo, scale: uint8(scale)}, nil
}
