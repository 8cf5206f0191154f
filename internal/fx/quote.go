package fx

import (
	"time"

	"bricstown/internal/money"
)

// Side says which way a leg deals on its pair, and so which of the
// provider's two prices applies (see the package documentation).
type Side string

const (
	// SellBase: the payer hands over the pair's base currency and gets the
	// quote currency at the provider's BID.
	SellBase Side = "sell_base"
	// BuyBase: the payer hands over the pair's quote currency and gets the
	// base currency at the provider's ASK.
	BuyBase Side = "buy_base"
)

// Fixed says which amount the payer named; the other one is computed, and
// the rounding rule decides its direction (RoundDown for what the payer
// receives, RoundUp for what it pays).
type Fixed string

const (
	FixedSell Fixed = "sell"
	FixedBuy  Fixed = "buy"
)

// QuoteRequest asks what a conversion would cost. Exactly one of
// SellAmount and BuyAmount is set: the payer either spends a known amount or
// needs a known amount delivered, and the two lead to different roundings.
type QuoteRequest struct {
	Sell       string       `json:"sell"`
	Buy        string       `json:"buy"`
	SellAmount money.Amount `json:"sell_amount,omitempty"`
	BuyAmount  money.Amount `json:"buy_amount,omitempty"`
}

// Leg is one trade with one provider. A route settles leg by leg, each with
// its own counterparty, so each leg's amounts are whole minor units.
type Leg struct {
	Provider string     `json:"provider"`
	RateID   string     `json:"rate_id"`
	Pair     Pair       `json:"pair"` // as the provider listed it
	Side     Side       `json:"side"`
	Rate     money.Rate `json:"rate"` // the bid or the ask, as published
	// In is what the payer hands over on this leg, fee included; Fee is the
	// part of In kept by the provider; the rate applies to In - Fee.
	InCurrency  string       `json:"in_currency"`
	In          money.Amount `json:"in"`
	Fee         money.Amount `json:"fee"`
	OutCurrency string       `json:"out_currency"`
	Out         money.Amount `json:"out"`
}

// FeeCharge is one provider fee on a quote, listed apart from the legs so
// that the payer sees the all-in cost split into spread and fees.
type FeeCharge struct {
	Provider string       `json:"provider"`
	Currency string       `json:"currency"`
	Amount   money.Amount `json:"amount"`
}

// Quote is a firm price for one conversion, held for its payer until
// ExpiresAt and usable once.
type Quote struct {
	ID         string       `json:"id"`
	PayerOrg   string       `json:"payer_org"`
	Sell       string       `json:"sell"`
	Buy        string       `json:"buy"`
	Fixed      Fixed        `json:"fixed"`
	SellAmount money.Amount `json:"sell_amount"`
	BuyAmount  money.Amount `json:"buy_amount"`
	// EffectiveRate is BuyAmount per SellAmount in major units, from the
	// final rounded amounts, so it is the all-in price: spreads, fees and
	// rounding. It is a report (RoundHalfEven, 12 decimals); the amounts
	// are the contract.
	EffectiveRate money.Rate    `json:"effective_rate,omitzero"`
	Legs          []Leg         `json:"legs"`
	Fees          []FeeCharge   `json:"fees"`
	USD           USDComparison `json:"usd"`
	CreatedAt     time.Time     `json:"created_at"`
	ExpiresAt     time.Time     `json:"expires_at"`
	UsedAt        time.Time     `json:"used_at,omitzero"`
}

// FeesOf lists the non-zero fees of legs; storage keeps fees on the legs
// only, so readers rebuild the list with this.
func FeesOf(legs []Leg) []FeeCharge {
	out := []FeeCharge{}
	for _, l := range legs {
		if l.Fee != 0 {
			out = append(out, FeeCharge{Provider: l.Provider, Currency: l.InCurrency, Amount: l.Fee})
		}
	}
	return out
}

// EffectiveRate is buy per sell in major units, computed exactly from the
// two minor-unit amounts and rounded half-even to money's precision. It is
// the zero Rate when either amount is not positive.
func EffectiveRate(sell string, sellAmount money.Amount, buy string, buyAmount money.Amount) money.Rate {
	sExp, ok1 := exponent(sell)
	bExp, ok2 := exponent(buy)
	if !ok1 || !ok2 || sellAmount <= 0 || buyAmount <= 0 {
		return money.Rate{}
	}
	// (B/10^bExp) / (S/10^sExp) = B × 10^sExp / (S × 10^bExp)
	x := ratOfInts(buyAmount, sExp, sellAmount, bExp)
	return rateFromRat(x, money.RoundHalfEven)
}
