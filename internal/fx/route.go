package fx

import (
	"errors"
	"slices"
	"time"

	"bricstown/internal/money"
	"bricstown/internal/problem"
)

// DefaultQuoteTTL is how long a quote holds when the policy says nothing:
// long enough for a person to read and confirm it, short enough that the
// providers behind it are not exposed to a stale price for long.
const DefaultQuoteTTL = 30 * time.Second

// ErrNoRoute is the cause of the error Price returns when no provider, alone
// or with one other, converts between the two currencies.
var ErrNoRoute = errors.New("fx: no route")

// Market is the state a price is computed from, read once per quote, so the
// pricing itself is pure and can be tested and benchmarked without storage.
type Market struct {
	Rates []Rate         // the current publications; expired ones are skipped
	Fees  map[string]Fee // by provider; a provider without an entry charges nothing
}

// Policy is the operator's quoting configuration.
type Policy struct {
	TTL time.Duration // zero means DefaultQuoteTTL
	USD USDConfig
	// NoIntermediate lists currencies a route may not pass through. The
	// town exists to settle BRICS currencies against each other without the
	// dollar, so nil means {USD}; an empty non-nil slice allows any.
	NoIntermediate []string
	// BandBps is how far from the official reference mid a published bid
	// or ask may be (zero means DefaultBandBps); settlement uses the same
	// band to discard outlier quotes.
	BandBps int64
}

func (p Policy) withDefaults() Policy {
	if p.TTL <= 0 {
		p.TTL = DefaultQuoteTTL
	}
	if p.BandBps <= 0 {
		p.BandBps = DefaultBandBps
	}
	if p.NoIntermediate == nil {
		p.NoIntermediate = []string{USD}
	}
	return p
}

// edge is one way of dealing on one publication: handing over `from` and
// receiving `to`.
type edge struct {
	r              *Rate
	from, to       string
	fromExp, toExp int
	side           Side
	price          money.Rate
	fee            Fee
}

// edgeFrom is the deal on r that takes `from` from the payer, if r's pair
// has that currency.
func edgeFrom(r *Rate, from string) (edge, bool) {
	switch from {
	case r.Pair.Base:
		return edge{r: r, from: from, to: r.Pair.Quote, side: SellBase, price: r.Bid}, true
	case r.Pair.Quote:
		return edge{r: r, from: from, to: r.Pair.Base, side: BuyBase, price: r.Ask}, true
	}
	return edge{}, false
}

// edgeTo is the deal on r that delivers `to` to the payer.
func edgeTo(r *Rate, to string) (edge, bool) {
	switch to {
	case r.Pair.Quote:
		return edge{r: r, from: r.Pair.Base, to: to, side: SellBase, price: r.Bid}, true
	case r.Pair.Base:
		return edge{r: r, from: r.Pair.Quote, to: to, side: BuyBase, price: r.Ask}, true
	}
	return edge{}, false
}

// convert applies the edge's price to a net amount: × bid when selling the
// base, ÷ ask when buying it.
func (e *edge) convert(net money.Amount, mode money.Rounding) (money.Amount, error) {
	if e.side == SellBase {
		return money.Convert(net, e.fromExp, e.price, e.toExp, mode)
	}
	return divRate(net, e.fromExp, decOf(e.price), e.toExp, mode)
}

// convertBack is the net amount of `from` the edge needs to deliver out:
// ÷ bid when selling the base, × ask when buying it. It rounds up, because
// it is what the payer pays, so converting it forward gives at least out.
func (e *edge) convertBack(out money.Amount) (money.Amount, error) {
	if e.side == SellBase {
		return divRate(out, e.toExp, decOf(e.price), e.fromExp, money.RoundUp)
	}
	return money.Convert(out, e.toExp, e.price, e.fromExp, money.RoundUp)
}

// leg is an edge with amounts.
type leg struct {
	e            edge
	in, fee, out money.Amount
}

// forward fills the leg for a gross amount handed over. The payer receives
// the result, so it rounds down.
func (e *edge) forward(in money.Amount) (leg, error) {
	fee, err := e.fee.charge(e.from, in)
	if err != nil {
		return leg{}, err
	}
	l := leg{e: *e, in: in, fee: fee}
	if fee >= in {
		return l, nil // the fee eats the amount: out stays 0
	}
	l.out, err = e.convert(in-fee, money.RoundDown)
	return l, err
}

// backward fills the leg for an amount to deliver: the smallest gross
// amount whose net, after the fee, converts to at least out.
func (e *edge) backward(out money.Amount) (leg, error) {
	net, err := e.convertBack(out)
	if err != nil {
		return leg{}, err
	}
	net, ok := money.Add(net, e.fee.Fixed[e.from])
	if !ok {
		return leg{}, overflowErr("amount with fee")
	}
	in, err := grossFor(net, e.fee.Bps)
	if err != nil {
		return leg{}, err
	}
	fee, err := e.fee.charge(e.from, in)
	if err != nil {
		return leg{}, err
	}
	return leg{e: *e, in: in, fee: fee, out: out}, nil
}

// pricer holds one quote's working state.
type pricer struct {
	m      Market
	pol    Policy
	payer  string
	now    time.Time
	exps   map[string]int
	small  bool  // some route exists but rounds the amount to nothing
	lastEr error // some route overflowed
}

// ready completes an edge with exponents and fee, or reports it unusable:
// an expired rate, the payer's own price, or a currency without amounts.
func (p *pricer) ready(e *edge) bool {
	if !e.r.Live(p.now) || e.r.Provider == p.payer {
		return false
	}
	var ok bool
	if e.fromExp, ok = p.exp(e.from); !ok {
		return false
	}
	if e.toExp, ok = p.exp(e.to); !ok {
		return false
	}
	e.fee = p.m.Fees[e.r.Provider]
	return true
}

func (p *pricer) exp(code string) (int, bool) {
	if v, ok := p.exps[code]; ok {
		return v, v >= 0
	}
	v, ok := exponent(code)
	if !ok {
		v = -1
	}
	p.exps[code] = v
	return v, ok
}

func (p *pricer) through(code string) bool { return !slices.Contains(p.pol.NoIntermediate, code) }

// usable records why a computed leg cannot be used and says whether it can.
func (p *pricer) usable(l leg, err error) bool {
	if err != nil {
		p.lastEr = err
		return false
	}
	if l.out <= 0 || l.in <= 0 || l.fee >= l.in {
		p.small = true
		return false
	}
	return true
}

// better orders candidate routes: more received (sell fixed) or less paid
// (buy fixed) first; then fewer legs, as fewer settlements; then provider
// and rate ids, so that equal prices always give the same answer.
func better(fixed Fixed, a, b []leg) bool {
	if b == nil {
		return true
	}
	if fixed == FixedSell {
		if x, y := a[len(a)-1].out, b[len(b)-1].out; x != y {
			return x > y
		}
	} else if x, y := a[0].in, b[0].in; x != y {
		return x < y
	}
	if len(a) != len(b) {
		return len(a) < len(b)
	}
	for i := range a {
		if a[i].e.r.Provider != b[i].e.r.Provider {
			return a[i].e.r.Provider < b[i].e.r.Provider
		}
		if a[i].e.r.ID != b[i].e.r.ID {
			return a[i].e.r.ID < b[i].e.r.ID
		}
	}
	return false
}

// forward finds the route giving the most of buy for amount of sell. For
// each intermediate only the best first leg matters: every leg's output
// grows with its input, so the most intermediate currency can only buy the
// most at the end.
func (p *pricer) forward(sell, buy string, amount money.Amount) []leg {
	var best []leg
	first := map[string]leg{}
	for i := range p.m.Rates {
		e, ok := edgeFrom(&p.m.Rates[i], sell)
		if !ok || !p.ready(&e) || (e.to != buy && !p.through(e.to)) {
			continue
		}
		l, err := e.forward(amount)
		if !p.usable(l, err) {
			continue
		}
		if e.to == buy {
			if r := []leg{l}; better(FixedSell, r, best) {
				best = r
			}
		} else if cur, ok := first[e.to]; !ok || better(FixedSell, []leg{l}, []leg{cur}) {
			first[e.to] = l
		}
	}
	for i := range p.m.Rates {
		e, ok := edgeTo(&p.m.Rates[i], buy)
		if !ok {
			continue
		}
		l1, ok := first[e.from]
		if !ok || !p.ready(&e) {
			continue
		}
		l2, err := e.forward(l1.out)
		if !p.usable(l2, err) {
			continue
		}
		if r := []leg{l1, l2}; better(FixedSell, r, best) {
			best = r
		}
	}
	return best
}

// backward finds the route needing the least sell to deliver amount of
// buy; by the same monotonicity, only the cheapest last leg per
// intermediate matters.
func (p *pricer) backward(sell, buy string, amount money.Amount) []leg {
	var best []leg
	last := map[string]leg{}
	for i := range p.m.Rates {
		e, ok := edgeTo(&p.m.Rates[i], buy)
		if !ok || !p.ready(&e) || (e.from != sell && !p.through(e.from)) {
			continue
		}
		l, err := e.backward(amount)
		if !p.usable(l, err) {
			continue
		}
		if e.from == sell {
			if r := []leg{l}; better(FixedBuy, r, best) {
				best = r
			}
		} else if cur, ok := last[e.from]; !ok || better(FixedBuy, []leg{l}, []leg{cur}) {
			last[e.from] = l
		}
	}
	for i := range p.m.Rates {
		e, ok := edgeFrom(&p.m.Rates[i], sell)
		if !ok {
			continue
		}
		l2, ok := last[e.to]
		if !ok || !p.ready(&e) {
			continue
		}
		l1, err := e.backward(l2.in)
		if !p.usable(l1, err) {
			continue
		}
		if r := []leg{l1, l2}; better(FixedBuy, r, best) {
			best = r
		}
	}
	return best
}

// Price computes the best quote for payer at now: the route, its legs,
// fees, amounts, effective rate, expiry and the USD comparison. It leaves
// the id to the caller, because an id is not a pricing decision. Errors
// are problem.Invalid with fields for a bad request and problem.NotFound
// (cause ErrNoRoute) when no route exists.
func Price(m Market, pol Policy, payer string, req QuoteRequest, now time.Time) (Quote, error) {
	pol = pol.withDefaults()
	f := problem.Fields{}
	sell, err := lookupMoney(req.Sell)
	if err != nil {
		f.Add("sell", messageOf(err))
	}
	buy, err := lookupMoney(req.Buy)
	if err != nil {
		f.Add("buy", messageOf(err))
	}
	if sell.Code != "" && sell.Code == buy.Code {
		f.Add("buy", "must differ from the sell currency")
	}
	fixed := FixedSell
	switch {
	case req.SellAmount < 0:
		f.Add("sell_amount", "must be greater than zero")
	case req.BuyAmount < 0:
		f.Add("buy_amount", "must be greater than zero")
	case (req.SellAmount > 0) == (req.BuyAmount > 0):
		f.Add("sell_amount", "give exactly one of sell_amount and buy_amount")
	case req.BuyAmount > 0:
		fixed = FixedBuy
	}
	if err := f.Err("the quote request is not valid"); err != nil {
		return Quote{}, err
	}

	p := &pricer{m: m, pol: pol, payer: payer, now: now, exps: make(map[string]int, 8)}
	var route []leg
	amountField := "sell_amount"
	if fixed == FixedSell {
		route = p.forward(sell.Code, buy.Code, req.SellAmount)
	} else {
		amountField = "buy_amount"
		route = p.backward(sell.Code, buy.Code, req.BuyAmount)
	}
	if route == nil {
		switch {
		case p.small:
			return Quote{}, &problem.Error{Code: problem.Invalid, Message: "the amount is too small to convert",
				Fields: map[string]string{amountField: "too small: after fees and rounding nothing would be delivered"}}
		case p.lastEr != nil:
			return Quote{}, &problem.Error{Code: problem.Invalid, Message: "the amount is too large to convert",
				Fields: map[string]string{amountField: messageOf(p.lastEr)}, Err: p.lastEr}
		}
		return Quote{}, &problem.Error{Code: problem.NotFound, Err: ErrNoRoute,
			Message: "no provider converts " + sell.Code + " to " + buy.Code + ", directly or through one other currency"}
	}

	q := Quote{
		PayerOrg:   payer,
		Sell:       sell.Code,
		Buy:        buy.Code,
		Fixed:      fixed,
		SellAmount: route[0].in,
		BuyAmount:  route[len(route)-1].out,
		CreatedAt:  now,
		ExpiresAt:  now.Add(pol.TTL),
		Legs:       make([]Leg, len(route)),
	}
	for i, l := range route {
		q.Legs[i] = Leg{Provider: l.e.r.Provider, RateID: l.e.r.ID, Pair: l.e.r.Pair, Side: l.e.side, Rate: l.e.price,
			InCurrency: l.e.from, In: l.in, Fee: l.fee, OutCurrency: l.e.to, Out: l.out}
		// A quote cannot promise a price longer than its provider does.
		if v := l.e.r.ValidUntil; !v.IsZero() && v.Before(q.ExpiresAt) {
			q.ExpiresAt = v
		}
	}
	q.Fees = FeesOf(q.Legs)
	q.EffectiveRate = EffectiveRate(q.Sell, q.SellAmount, q.Buy, q.BuyAmount)
	if q.USD, err = CompareUSD(pol.USD, q.Sell, q.SellAmount, q.Buy, q.BuyAmount); err != nil {
		return Quote{}, err
	}
	return q, nil
}
