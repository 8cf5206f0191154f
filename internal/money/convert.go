package money

// Convert turns an amount in one currency into another at rate: the exact
// value amountMinor / 10^fromExp × rate × 10^toExp, rounded once to the
// target's minor unit by mode.
//
// The rounding rule (ROUNDING.md):
//   - RoundDown for the amount a customer RECEIVES. A payout never exceeds
//     the exact value, so the platform never pays out more than it holds.
//   - RoundUp for the amount a customer PAYS. A charge never falls short of
//     the exact value, so the platform is never left covering a shortfall.
//   - RoundHalfEven for reporting and valuation, where directed rounding
//     would bias totals.
//
// The product is computed exactly in 128 bits. Overflow is an error, never
// a wrapped or saturated value. Negative amounts (balances) are allowed, and
// the modes act on the magnitude: RoundDown moves toward zero and RoundUp
// away from it. A positive amount may convert to zero under RoundDown.
// Callers that must not pay out zero have to check for it.
func Convert(amountMinor Amount, fromExp int, rate Rate, toExp int, mode Rounding) (Amount, error) {
	if err := checkExponent(fromExp); err != nil {
		return 0, err
	}
	if err := checkExponent(toExp); err != nil {
		return 0, err
	}
	if rate.mant == 0 {
		return 0, invalid("rate is not set")
	}
	if err := mode.check(); err != nil {
		return 0, err
	}
	neg, mag := magnitude(amountMinor)
	p := mul64(mag, rate.mant) // < 2^63 × 10^18 < 2^123
	var ok bool
	if k := fromExp + int(rate.scale) - toExp; k >= 0 {
		p, ok = divPow10Round(p, k, mode) // k <= 30
	} else {
		p, ok = p.mul(pow10[-k]) // exact; -k <= 18
	}
	if ok {
		var v int64
		if v, ok = toInt64(neg, p); ok {
			return v, nil
		}
	}
	return 0, overflow("converted amount is too large")
}

// BpsPerUnit is the number of basis points in 1 (100%).
const BpsPerUnit = 10_000

// ApplyBps returns amountMinor × bps / 10000 rounded by mode. Fees and
// spreads are quoted in basis points and must be computed without a float
// percentage. Round a fee the customer pays with RoundUp and a rebate or
// commission the platform pays out with RoundDown, by the rule in Convert.
// Negative amounts or bps are allowed; as in Convert, the mode acts on the
// magnitude of the result.
func ApplyBps(amountMinor Amount, bps int64, mode Rounding) (Amount, error) {
	if err := mode.check(); err != nil {
		return 0, err
	}
	na, ma := magnitude(amountMinor)
	nb, mb := magnitude(bps)
	q, ok := divRound(mul64(ma, mb), BpsPerUnit, false, mode)
	if ok {
		var v int64
		if v, ok = toInt64(na != nb, q); ok {
			return v, nil
		}
	}
	return 0, overflow("amount × basis points is too large")
}
