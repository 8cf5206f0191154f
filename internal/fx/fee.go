package fx

import (
	"sort"
	"time"

	"bricstown/internal/money"
	"bricstown/internal/problem"
)

// MaxFeeBps caps a provider's percentage fee at 10%. Nothing in FX
// liquidity costs more; a bigger number is a typo (bps entered as percent
// hundredths twice) and would silently make the provider's prices useless.
const MaxFeeBps = 1000

// Fee is what a provider charges on top of its spread for each leg it
// fills. It is charged in the currency the payer hands over on that leg and
// deducted before conversion, so it is part of the price comparison: a
// tighter spread with a higher fee loses to a wider one without.
type Fee struct {
	Provider string `json:"provider"`
	// Bps is charged on the leg's sell amount, rounded up (the payer pays).
	Bps int64 `json:"bps"`
	// Fixed is a flat charge in minor units, keyed by the leg's sell
	// currency. A flat fee is only meaningful in a currency; a leg in a
	// currency without an entry carries no flat fee.
	Fixed     map[string]money.Amount `json:"fixed,omitempty"`
	UpdatedAt time.Time               `json:"updated_at,omitzero"`
}

// charge is the fee on a leg selling amount of currency.
func (f Fee) charge(currency string, amount money.Amount) (money.Amount, error) {
	fee, err := money.ApplyBps(amount, f.Bps, money.RoundUp)
	if err != nil {
		return 0, err
	}
	fee, ok := money.Add(fee, f.Fixed[currency])
	if !ok {
		return 0, overflowErr("fee")
	}
	return fee, nil
}

// NewFee sets a provider's fee schedule. Provider is needed only when the
// platform administrator sets it for a bank; a bank sets its own.
type NewFee struct {
	Provider string                  `json:"provider,omitempty"`
	Bps      int64                   `json:"bps"`
	Fixed    map[string]money.Amount `json:"fixed,omitempty"`
}

// Validate returns the schedule for provider, reporting every bad field.
func (in NewFee) Validate(provider string, now time.Time) (Fee, error) {
	f := problem.Fields{}
	if in.Bps < 0 || in.Bps > MaxFeeBps {
		f.Addf("bps", "must be between 0 and %d", MaxFeeBps)
	}
	fixed := map[string]money.Amount{}
	codes := make([]string, 0, len(in.Fixed))
	for c := range in.Fixed {
		codes = append(codes, c)
	}
	sort.Strings(codes)
	for _, c := range codes {
		cur, err := lookupMoney(c)
		if err != nil {
			f.Add("fixed."+c, messageOf(err))
			continue
		}
		v := in.Fixed[c]
		if v < 0 {
			f.Add("fixed."+c, "must not be negative")
			continue
		}
		if v > 0 {
			fixed[cur.Code] = v
		}
	}
	if err := f.Err("the fee is not valid"); err != nil {
		return Fee{}, err
	}
	if len(fixed) == 0 {
		fixed = nil
	}
	return Fee{Provider: provider, Bps: in.Bps, Fixed: fixed, UpdatedAt: now}, nil
}
