package fx

import (
	"math/big"

	"bricstown/internal/money"
	"bricstown/internal/problem"
)

// USD is the vehicle currency the town's routes are measured against.
const USD = "USD"

// USDRate is how a conventional correspondent route prices a currency
// against the dollar. The platform's case rests on this comparison, so it is
// configuration the operator can show and defend, not a number buried in
// code.
type USDRate struct {
	// Mid is the price of one USD in this currency (USD/XXX), as markets
	// quote most local currencies: KZT 505.2 means 1 USD = 505.2 KZT.
	Mid money.Rate `json:"mid"`
	// ToUSDBps is the spread charged when this currency is sold for USD,
	// FromUSDBps when USD is sold for it; both off the mid.
	ToUSDBps   int64 `json:"to_usd_bps"`
	FromUSDBps int64 `json:"from_usd_bps"`
}

// USDConfig maps a currency code to its USD pricing.
type USDConfig map[string]USDRate

// Validate refuses spreads outside 0..9999 bps and unset mids, naming the
// currency, so a broken configuration stops the server at start-up rather
// than producing a meaningless saving on every quote.
func (c USDConfig) Validate() error {
	f := problem.Fields{}
	for code, r := range c {
		if _, err := lookupMoney(code); err != nil {
			f.Add("usd."+code, messageOf(err))
			continue
		}
		if r.Mid.IsZero() {
			f.Add("usd."+code+".mid", "must be set")
		}
		if r.ToUSDBps < 0 || r.ToUSDBps >= money.BpsPerUnit {
			f.Add("usd."+code+".to_usd_bps", "must be between 0 and 9999")
		}
		if r.FromUSDBps < 0 || r.FromUSDBps >= money.BpsPerUnit {
			f.Add("usd."+code+".from_usd_bps", "must be between 0 and 9999")
		}
	}
	return f.Err("the USD comparison configuration is not valid")
}

// USDComparison is what the same sell amount would have bought through USD.
// The saving is the platform's reason to exist, so it is computed with the
// same care as the quote: integers, one rounding per leg, in the payer's
// disfavour exactly as the quote's own legs are.
type USDComparison struct {
	// Available is false when the configuration lacks one of the currencies;
	// the other fields are then zero.
	Available bool `json:"available"`
	// USDAmount is the USD (minor units) the sell amount fetches on the
	// first leg; BuyAmount what those USD fetch in the buy currency.
	USDAmount money.Amount `json:"usd_amount"`
	BuyAmount money.Amount `json:"buy_amount"`
	// Saving is the quote's buy amount minus BuyAmount, in buy-currency
	// minor units (negative if USD would have been better). SavingBps is
	// Saving per 10000 of BuyAmount, truncated toward zero so that the
	// platform never overstates it.
	Saving    money.Amount `json:"saving"`
	SavingBps int64        `json:"saving_bps"`
}

// CompareUSD prices selling sellAmount of sell for buy through USD, and
// compares it with the buyAmount the platform's route gives for it. Each
// leg is rounded down to the minor unit (USD cents in the middle), because
// through USD each leg is a separate settled trade, as on our own routes.
func CompareUSD(cfg USDConfig, sell string, sellAmount money.Amount, buy string, buyAmount money.Amount) (USDComparison, error) {
	var c USDComparison
	sExp, ok1 := exponent(sell)
	bExp, ok2 := exponent(buy)
	uExp, ok3 := exponent(USD)
	if !ok1 || !ok2 || !ok3 || sellAmount < 0 {
		return c, nil
	}
	usd := sellAmount
	if sell != USD {
		r, ok := cfg[sell]
		if !ok || r.Mid.IsZero() {
			return c, nil
		}
		// S/10^sExp ÷ mid × (N-spread)/N × 10^uExp, mid = m/10^s.
		d := decOf(r.Mid)
		num := new(big.Int).SetInt64(sellAmount)
		num.Mul(num, pow10Big(d.scale+uExp))
		num.Mul(num, big.NewInt(money.BpsPerUnit-r.ToUSDBps))
		den := new(big.Int).SetUint64(d.mant)
		den.Mul(den, pow10Big(sExp))
		den.Mul(den, big.NewInt(money.BpsPerUnit))
		v, ok := toInt64(roundBig(num, den, money.RoundDown))
		if !ok {
			return c, overflowErr("USD comparison amount")
		}
		usd = v
	}
	out := usd
	if buy != USD {
		r, ok := cfg[buy]
		if !ok || r.Mid.IsZero() {
			return c, nil
		}
		// U/10^uExp × mid × (N-spread)/N × 10^bExp.
		d := decOf(r.Mid)
		num := new(big.Int).SetInt64(usd)
		num.Mul(num, new(big.Int).SetUint64(d.mant))
		num.Mul(num, big.NewInt(money.BpsPerUnit-r.FromUSDBps))
		num.Mul(num, pow10Big(bExp))
		den := pow10Big(d.scale + uExp)
		den.Mul(den, big.NewInt(money.BpsPerUnit))
		v, ok := toInt64(roundBig(num, den, money.RoundDown))
		if !ok {
			return c, overflowErr("USD comparison amount")
		}
		out = v
	}
	saving, ok := money.Sub(buyAmount, out)
	if !ok {
		return c, overflowErr("USD saving")
	}
	c = USDComparison{Available: true, USDAmount: usd, BuyAmount: out, Saving: saving}
	if out > 0 {
		num := new(big.Int).Mul(big.NewInt(saving), big.NewInt(money.BpsPerUnit))
		bps, _ := toInt64(roundBig(num, big.NewInt(out), money.RoundDown))
		c.SavingBps = bps
	}
	return c, nil
}
