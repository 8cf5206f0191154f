package settlement

import (
	"math/big"

	"bricstown/internal/fx"
	"bricstown/internal/money"
)

// CycleRates prices a cycle from the town's FX board: the mid of a pair's
// best bid and best ask across banks (either listing of the pair), or,
// where no bank quotes the pair, the cross of the configured USD mids. One
// price per pair for the whole cycle, because the two directions of a pair
// can only net against each other at one price.
func CycleRates(board []fx.Rate, usd fx.USDConfig) func(a, b string) (money.Rate, bool) {
	type quote struct{ bid, ask *big.Rat }
	best := map[fx.Pair]*quote{}
	for _, r := range board {
		q := best[r.Pair]
		bid, ask := rat(r.Bid), rat(r.Ask)
		if q == nil {
			best[r.Pair] = &quote{bid, ask}
			continue
		}
		if bid.Cmp(q.bid) > 0 {
			q.bid = bid
		}
		if ask.Cmp(q.ask) < 0 {
			q.ask = ask
		}
	}
	mid := func(a, b string) (*big.Rat, bool) {
		if q, ok := best[fx.Pair{Base: a, Quote: b}]; ok {
			m := new(big.Rat).Add(q.bid, q.ask)
			return m.Quo(m, big.NewRat(2, 1)), true
		}
		if q, ok := best[fx.Pair{Base: b, Quote: a}]; ok {
			m := new(big.Rat).Add(q.bid, q.ask)
			m.Quo(m, big.NewRat(2, 1))
			return m.Inv(m), true
		}
		ua, okA := usd[a]
		ub, okB := usd[b]
		switch {
		case a == "USD" && okB:
			return rat(ub.Mid), true
		case b == "USD" && okA:
			return new(big.Rat).Inv(rat(ua.Mid)), true
		case okA && okB:
			return new(big.Rat).Quo(rat(ub.Mid), rat(ua.Mid)), true
		}
		return nil, false
	}
	return func(a, b string) (money.Rate, bool) {
		m, ok := mid(a, b)
		if !ok || m.Sign() <= 0 {
			return money.Rate{}, false
		}
		r, err := money.ParseRate(decimal(m, 10))
		return r, err == nil
	}
}

func rat(r money.Rate) *big.Rat {
	x, _ := new(big.Rat).SetString(r.String())
	return x
}

// decimal renders x with up to places decimals,
// trimming zeros, keeping at most 18 digits (big.Rat rounds halves away
// from zero; the cycle rate is a mid, where the direction does not favour
// anyone).
func decimal(x *big.Rat, places int) string {
	for places > 0 {
		s := x.FloatString(places)
		digits := 0
		for _, c := range s {
			if c >= '0' && c <= '9' {
				digits++
			}
		}
		if digits <= 18 {
			break
		}
		places--
	}
	s := x.FloatString(places)
	if places > 0 {
		for s[len(s)-1] == '0' {
			s = s[:len(s)-1]
		}
		if s[len(s)-1] == '.' {
			s = s[:len(s)-1]
		}
	}
	return s
}
