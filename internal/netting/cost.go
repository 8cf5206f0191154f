package netting

import (
	"fmt"
	"math/bits"
)

// Fees prices the two ways a cycle's payments could travel, so that the
// institution can show participants what settling locally saved them.
//
// The USD correspondent route charges every payment a fee (fixed and/or a
// percentage of its value) and converts each cross-currency payment twice,
// local->USD and USD->local, paying the spread on both legs except where a
// side already is USD. The local route converts only each pair's net
// residual once and may charge a fee per settlement transfer.
type Fees struct {
	Reporting int // currency index the estimate is expressed in
	USD       int // currency index of the US dollar

	USDFixedFee  int64 // USD minor units per payment
	USDFeeBps    int64 // per payment, on its value in the payer's currency
	USDSpreadBps int64 // on each conversion leg

	LocalSpreadBps   int64 // on each pair's net residual
	LocalTransferFee int64 // reporting-currency minor units per settlement transfer
}

// Cost is the estimate for one cycle in minor units of the reporting
// currency. Each component is first computed per currency on the cycle's
// aggregate value (rounded half up, once) and then converted at the cycle
// rate (rounded half up, once): aggregating first keeps the estimate's
// rounding error to at most two minor units per component and currency
// instead of one per payment.
type Cost struct {
	Reporting int

	USDFees   int64 // fixed plus percentage fees
	USDSpread int64
	USDTotal  int64

	LocalSpread int64
	LocalFees   int64
	LocalTotal  int64

	// Saving is USDTotal - LocalTotal and may be negative; SavingBps is it
	// relative to USDTotal, truncated toward zero, 0 when USDTotal is 0.
	Saving    int64
	SavingBps int64
}

// EstimateCost prices the settled part of r both ways. It needs rates for
// every currency with a non-zero cost component against the reporting
// currency (and USD against reporting when there is a fixed fee); they
// should be the rates the cycle used.
func EstimateCost(r *Result, f Fees, rates Rates) (Cost, error) {
	c := r.Currencies
	if c < 1 || len(r.Volume) != c {
		return Cost{}, invalidField("result", "result has %d currencies but %d volumes", c, len(r.Volume))
	}
	if err := f.validate(c); err != nil {
		return Cost{}, err
	}
	out := Cost{Reporting: f.Reporting}

	// Per-currency aggregates from the pair reports.
	crossPaid := make([]int64, c)     // payer legs that need conversion
	crossCredited := make([]int64, c) // payee legs delivered by conversion
	sold := make([]int64, c)          // net residual sold by the institution
	var ok bool
	for _, p := range r.Pairs {
		steps := [...]struct {
			dst *int64
			v   int64
		}{
			{&crossPaid[p.A], p.GrossAB}, {&crossPaid[p.B], p.GrossBA},
			{&crossCredited[p.B], p.CreditAB}, {&crossCredited[p.A], p.CreditBA},
		}
		for _, st := range steps {
			if *st.dst, ok = addInt64(*st.dst, st.v); !ok {
				return Cost{}, overflowf("cost estimate: FX volume exceeds int64")
			}
		}
		if p.Sell >= 0 {
			if sold[p.Sell], ok = addInt64(sold[p.Sell], p.SellAmount); !ok {
				return Cost{}, overflowf("cost estimate: net FX exceeds int64")
			}
		}
	}

	conv := reporter{rates: rates, to: f.Reporting, md: make([][2]uint64, c)}
	add := func(dst *int64, amount int64, cur int, bps int64) error {
		v := amount
		if bps >= 0 {
			var ok bool
			if v, ok = mulDivHalfUp(uint64(amount), uint64(bps), bpsDenom); !ok {
				return overflowf("cost estimate: fee exceeds int64")
			}
		}
		rv, err := conv.convert(v, cur)
		if err != nil {
			return err
		}
		var ok bool
		if *dst, ok = addInt64(*dst, rv); !ok {
			return overflowf("cost estimate: total exceeds int64")
		}
		return nil
	}

	hi, fixed := bits.Mul64(uint64(r.Settled), uint64(f.USDFixedFee))
	if hi != 0 || fixed > 1<<63-1 {
		return Cost{}, overflowf("cost estimate: fixed fees exceed int64")
	}
	if err := add(&out.USDFees, int64(fixed), f.USD, -1); err != nil {
		return Cost{}, err
	}
	for cur := 0; cur < c; cur++ {
		if err := add(&out.USDFees, r.Volume[cur], cur, f.USDFeeBps); err != nil {
			return Cost{}, err
		}
		if cur != f.USD {
			if err := add(&out.USDSpread, crossPaid[cur], cur, f.USDSpreadBps); err != nil {
				return Cost{}, err
			}
			if err := add(&out.USDSpread, crossCredited[cur], cur, f.USDSpreadBps); err != nil {
				return Cost{}, err
			}
		}
		if err := add(&out.LocalSpread, sold[cur], cur, f.LocalSpreadBps); err != nil {
			return Cost{}, err
		}
	}
	hi, local := bits.Mul64(uint64(r.Transfers), uint64(f.LocalTransferFee))
	if hi != 0 || local > 1<<63-1 {
		return Cost{}, overflowf("cost estimate: transfer fees exceed int64")
	}
	out.LocalFees = int64(local)

	if out.USDTotal, ok = addInt64(out.USDFees, out.USDSpread); !ok {
		return Cost{}, overflowf("cost estimate: total exceeds int64")
	}
	if out.LocalTotal, ok = addInt64(out.LocalSpread, out.LocalFees); !ok {
		return Cost{}, overflowf("cost estimate: total exceeds int64")
	}
	out.Saving = out.USDTotal - out.LocalTotal // both non-negative: no overflow
	if out.USDTotal > 0 {
		mag := out.Saving
		if mag < 0 {
			mag = -mag
		}
		q, ok := mulDivFloor(uint64(mag), bpsDenom, uint64(out.USDTotal))
		if !ok { // only when the local route costs vastly more
			q = 1<<63 - 1
		}
		out.SavingBps = q
		if out.Saving < 0 {
			out.SavingBps = -q
		}
	}
	return out, nil
}

func (f *Fees) validate(c int) error {
	if f.Reporting < 0 || f.Reporting >= c {
		return invalidField("fees.reporting", "currency %d outside 0..%d", f.Reporting, c-1)
	}
	if f.USD < 0 || f.USD >= c {
		return invalidField("fees.usd", "currency %d outside 0..%d", f.USD, c-1)
	}
	for _, b := range [...]struct {
		name string
		bps  int64
	}{
		{"fees.usd_fee_bps", f.USDFeeBps}, {"fees.usd_spread_bps", f.USDSpreadBps},
		{"fees.local_spread_bps", f.LocalSpreadBps},
	} {
		if b.bps < 0 || b.bps > bpsDenom {
			return invalidField(b.name, "must be in 0..%d, got %d", bpsDenom, b.bps)
		}
	}
	if f.USDFixedFee < 0 {
		return invalidField("fees.usd_fixed_fee", "must not be negative, got %d", f.USDFixedFee)
	}
	if f.LocalTransferFee < 0 {
		return invalidField("fees.local_transfer_fee", "must not be negative, got %d", f.LocalTransferFee)
	}
	return nil
}

// reporter converts into the reporting currency at cycle rates, fetching
// each pair's rate once.
type reporter struct {
	rates Rates
	to    int
	md    [][2]uint64 // [from] multiplier, divisor; zero until fetched
}

func (r *reporter) convert(amount int64, from int) (int64, error) {
	if amount == 0 || from == r.to {
		return amount, nil
	}
	md := r.md[from]
	if md[1] == 0 {
		if r.rates == nil {
			return 0, invalidField("rates", "cost estimate needs a rate %d/%d but no Rates given", from, r.to)
		}
		lo, hi := min(from, r.to), max(from, r.to)
		rt, err := r.rates.Rate(lo, hi)
		if err != nil {
			return 0, fmt.Errorf("netting: rate %d/%d: %w", lo, hi, err)
		}
		if rt.Num <= 0 || rt.Den <= 0 {
			return 0, badRate(lo, hi, rt)
		}
		md = [2]uint64{uint64(rt.Num), uint64(rt.Den)}
		if from > r.to {
			md[0], md[1] = md[1], md[0]
		}
		r.md[from] = md
	}
	v, ok := mulDivHalfUp(uint64(amount), md[0], md[1])
	if !ok {
		return 0, overflowf("cost estimate: converted amount exceeds int64")
	}
	return v, nil
}
