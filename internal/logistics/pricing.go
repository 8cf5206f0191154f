package logistics

import (
	"context"
	"fmt"
	"math/big"
	"time"

	"bricstown/internal/dispatch"
	"bricstown/internal/fx"
	"bricstown/internal/money"
	"bricstown/internal/problem"
)

// References gives the official reference rates in force on the date of
// at (fx.Service.ReferenceSet): the rates customs values goods at, which
// the platform or the settlement centre publishes and no bank sets.
type References func(ctx context.Context, at time.Time) (fx.ReferenceSet, error)

// Why a departure is left out of the optimiser's network.
const (
	// ExcludedNoRate: its currency has no official reference rate on the
	// day, so its prices cannot be compared with the others.
	ExcludedNoRate = "no_reference_rate"
	// ExcludedPriceTooLarge: converted into the network's currency, a
	// price is beyond what the optimiser holds exactly.
	ExcludedPriceTooLarge = "price_too_large"
)

// Excluded is a departure a run could not price, and why.
type Excluded struct {
	DepartureID string `json:"departure_id"`
	Currency    string `json:"currency"`
	Reason      string `json:"reason"`
}

// quote is a departure's prices in the network's currency at the
// optimiser's scale (10^-dispatch.PriceExp units per TEU, and per kg
// times qtyScale, see rules.go).
type quote struct{ teu, kg int64 }

// pricing converts departures into the network's currency at the reference
// rates of one day. The conversion is exact (big rationals) up to the one
// rounding stated where it happens: half to even, the valuation mode of
// internal/money/ROUNDING.md (no money moves at these figures).
type pricing struct {
	net   network
	exp   func(string) (int, bool)
	set   fx.ReferenceSet
	err   error // the reference could not be read (no rate for anyone but the network's own currency)
	date  string
	rates map[string]*big.Rat
}

// pricing reads the day's reference set. A currency without a reference
// rate is not an error here: each departure in it is excluded with its
// reason, and only departures in the network's currency are priced.
func (s *Service) pricing(ctx context.Context, now time.Time) (*pricing, error) {
	pr := &pricing{net: s.net, exp: s.cfg.Ref.MoneyExponent, date: now.UTC().Format(time.DateOnly), rates: map[string]*big.Rat{}}
	if s.cfg.References == nil {
		return pr, nil
	}
	set, err := s.cfg.References(ctx, now)
	if err != nil {
		return nil, err
	}
	pr.set = set
	return pr, nil
}

// rate is the value of one unit of ccy in the network's currency, and the
// date of the older publication it rests on ("" for the network's own).
func (pr *pricing) rate(ccy string) (*big.Rat, string, bool) {
	if ccy == pr.net.currency {
		return big.NewRat(1, 1), "", true
	}
	if pr.set == nil {
		return nil, "", false
	}
	mid, date, ok := pr.set.Mid(fx.Pair{Base: ccy, Quote: pr.net.currency})
	return mid, date, ok
}

// noRate is the error a booking gets for a departure it cannot price.
func (pr *pricing) noRate(field, ccy string) error {
	msg := fmt.Sprintf("no official reference rate for %s in %s on or before %s", ccy, pr.net.currency, pr.date)
	return &problem.Error{Code: problem.Conflict, Message: msg, Fields: map[string]string{field: msg}}
}

// convert is x minor units of ccy (exponent fromExp) times rate, expressed
// in units of 10^-toExp of the network's currency, rounded half to even;
// ok is false when it does not fit in int64.
func convert(x int64, fromExp int, rate *big.Rat, toExp int) (int64, bool) {
	v := new(big.Rat).Mul(new(big.Rat).SetInt64(x), rate)
	v.Mul(v, new(big.Rat).SetFrac(pow10Big(toExp), pow10Big(fromExp)))
	n := roundHalfEven(v)
	if !n.IsInt64() {
		return 0, false
	}
	return n.Int64(), true
}

func pow10Big(n int) *big.Int { return new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(n)), nil) }

// roundHalfEven rounds a non-negative or negative rational to the nearest
// integer, ties to even.
func roundHalfEven(x *big.Rat) *big.Int {
	num, den := new(big.Int).Set(x.Num()), x.Denom()
	neg := num.Sign() < 0
	num.Abs(num)
	q, r := new(big.Int).QuoRem(num, den, new(big.Int))
	switch c := new(big.Int).Lsh(r, 1).Cmp(den); {
	case c > 0, c == 0 && q.Bit(0) == 1:
		q.Add(q, big.NewInt(1))
	}
	if neg {
		q.Neg(q)
	}
	return q
}

// quote prices a departure for the optimiser, or says why it cannot.
func (pr *pricing) quote(d *Departure) (quote, string) {
	rate, _, ok := pr.rate(d.Currency)
	if !ok {
		return quote{}, ExcludedNoRate
	}
	exp, ok := pr.exp(d.Currency)
	if !ok || exp > dispatch.PriceExp {
		return quote{}, ExcludedNoRate
	}
	teu, ok1 := convert(d.PricePerTEU, exp, rate, dispatch.PriceExp)
	kg, ok2 := convert(d.PricePerKg, exp, rate, dispatch.PriceExp)
	kg, ok3 := money.Mul(kg, qtyScale)
	if !ok1 || !ok2 || !ok3 || teu > solverPriceCap || kg > solverPriceCap {
		return quote{}, ExcludedPriceTooLarge
	}
	return quote{teu: teu, kg: kg}, ""
}

// split prices the departures: those it can, and the others with reasons.
func (pr *pricing) split(deps []Departure) ([]Departure, map[string]quote, []Excluded) {
	quotes := make(map[string]quote, len(deps))
	var kept []Departure
	var out []Excluded
	for i := range deps {
		d := &deps[i]
		q, why := pr.quote(d)
		if why != "" {
			out = append(out, Excluded{DepartureID: d.ID, Currency: d.Currency, Reason: why})
			continue
		}
		quotes[d.ID] = q
		kept = append(kept, *d)
	}
	return kept, quotes, out
}

// legCost prices one leg of a booking: its cost in the departure's own
// currency (exact), that cost in the network's currency (rounded once, half
// to even, to the network's minor unit) and the rate used.
func (pr *pricing) legCost(sh *Shipment, d *Departure, field string) (Leg, int64, error) {
	l := Leg{DepartureID: d.ID, Version: d.Version, Currency: d.Currency}
	t, ok1 := money.Mul(sh.TEU, d.PricePerTEU)
	k, ok2 := money.Mul(sh.Kg, d.PricePerKg)
	cost, ok3 := money.Add(t, k)
	if !ok1 || !ok2 || !ok3 {
		return Leg{}, 0, problem.New(problem.Invalid, "the cost of the route overflows")
	}
	l.CostMinor = cost
	rate, date, ok := pr.rate(d.Currency)
	exp, okExp := pr.exp(d.Currency)
	if !ok || !okExp {
		return Leg{}, 0, pr.noRate(field, d.Currency)
	}
	if d.Currency != pr.net.currency {
		l.Rate, l.RateDate = fx.RateOfRat(rate).String(), date
	}
	net, ok := convert(cost, exp, rate, pr.net.exp)
	if !ok {
		return Leg{}, 0, problem.New(problem.Invalid, "the cost of the route overflows")
	}
	return l, net, nil
}
