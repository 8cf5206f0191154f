package fx

import (
	"math/big"
	"sort"
	"time"

	"bricstown/internal/money"
	"bricstown/internal/problem"
)

// Home is the currency exposure is reported in: the town is in Kazakhstan,
// its regulator and its banks' books are in tenge.
const Home = "KZT"

// Valuation is one position valued in Home.
type Valuation struct {
	Currency string       `json:"currency"`
	Amount   money.Amount `json:"amount"` // the position, minor units, signed
	Value    money.Amount `json:"value"`  // in Home minor units, RoundHalfEven
	// Via is the intermediate currency when no market to Home exists; ""
	// for a direct market (or for Home itself).
	Via string `json:"via,omitempty"`
}

// Unvalued is a position that could not be valued, kept in the report
// rather than dropped, because a silently missing currency understates risk.
type Unvalued struct {
	Currency string       `json:"currency"`
	Amount   money.Amount `json:"amount"`
	Reason   string       `json:"reason"`
}

// Exposure is a set of positions valued in Home.
type Exposure struct {
	Home     string       `json:"home"`
	Valued   []Valuation  `json:"valued"`
	Total    money.Amount `json:"total"` // sum of the valued positions only
	Unvalued []Unvalued   `json:"unvalued"`
}

// quoteBook is the inside market of one pair in its Market listing: the
// best bid and best ask over every provider, exactly.
type quoteBook struct{ bid, ask *big.Rat }

func (b quoteBook) mid() *big.Rat {
	m := new(big.Rat).Add(b.bid, b.ask)
	return m.Quo(m, big.NewRat(2, 1))
}

// spread is (ask-bid)/mid, the cost of crossing the market relative to its
// price, used to prefer the most liquid intermediate.
func (b quoteBook) spread() *big.Rat {
	s := new(big.Rat).Sub(b.ask, b.bid)
	return s.Quo(s, b.mid())
}

// ValueExposure values each position in Home at the mid of the inside
// market, (best bid + best ask) / 2 over all providers, in the listing most
// of them use (prices in the other listing are inverted exactly). It uses a
// market to Home directly or, failing that, through one intermediate
// currency: the one with the tightest combined relative spread, then the
// first alphabetically. The value is computed exactly and rounded once,
// half-even, because this is reporting: directed rounding would bias a
// total over many positions. Rates not live at now are ignored, and
// positions that cannot be valued are listed, not dropped.
func ValueExposure(positions map[string]money.Amount, rates []Rate, now time.Time) (Exposure, error) {
	// The mid of a listing is not the inverse of the other listing's mid,
	// so each market is read in the listing most of its prices use (ties:
	// the Market listing). In the usual case, every bank listing a market
	// the same way, the mid is exactly (bid+ask)/2 of published prices.
	live := make([]Rate, 0, len(rates))
	votes := map[Pair]int{} // keyed by Market(): + for that listing, - for its inverse
	for _, r := range rates {
		if !r.Live(now) || r.Bid.IsZero() || r.Ask.IsZero() {
			continue
		}
		live = append(live, r)
		if r.Pair.Market() == r.Pair {
			votes[r.Pair]++
		} else {
			votes[r.Pair.Market()]--
		}
	}
	books := map[Pair]quoteBook{} // keyed by the listing chosen
	listing := map[Pair]Pair{}    // Market() → listing chosen
	for mk, v := range votes {
		if v >= 0 {
			listing[mk] = mk
		} else {
			listing[mk] = mk.Inverse()
		}
	}
	for _, r := range live {
		bid, ask := ratOf(r.Bid), ratOf(r.Ask)
		lst := listing[r.Pair.Market()]
		if lst != r.Pair { // the other listing: its ask is our bid inverted
			bid, ask = new(big.Rat).Inv(ask), new(big.Rat).Inv(bid)
		}
		b, ok := books[lst]
		if !ok {
			books[lst] = quoteBook{bid: bid, ask: ask}
			continue
		}
		if bid.Cmp(b.bid) > 0 {
			b.bid = bid
		}
		if ask.Cmp(b.ask) < 0 {
			b.ask = ask
		}
		books[lst] = b
	}
	// mid of from→to: the price of one `from` in `to`.
	mid := func(from, to string) (*big.Rat, *big.Rat, bool) {
		p := Pair{Base: from, Quote: to}
		lst, ok := listing[p.Market()]
		if !ok {
			return nil, nil, false
		}
		b := books[lst]
		m := b.mid()
		if lst != p {
			m.Inv(m)
		}
		return m, b.spread(), true
	}
	var others []string // every currency with a market, sorted, as candidates
	seen := map[string]bool{}
	for mk := range listing {
		for _, c := range []string{mk.Base, mk.Quote} {
			if !seen[c] {
				seen[c] = true
				others = append(others, c)
			}
		}
	}
	sort.Strings(others)

	codes := make([]string, 0, len(positions))
	for c := range positions {
		codes = append(codes, c)
	}
	sort.Strings(codes)
	homeExp, _ := exponent(Home)
	out := Exposure{Home: Home, Valued: []Valuation{}, Unvalued: []Unvalued{}}
	values := make([]money.Amount, 0, len(codes))
	for _, c := range codes {
		amt := positions[c]
		exp, ok := exponent(c)
		if !ok {
			out.Unvalued = append(out.Unvalued, Unvalued{Currency: c, Amount: amt, Reason: "not a currency with a minor unit"})
			continue
		}
		if c == Home {
			out.Valued = append(out.Valued, Valuation{Currency: c, Amount: amt, Value: amt})
			values = append(values, amt)
			continue
		}
		price, _, ok := mid(c, Home)
		via := ""
		if !ok {
			var bestScore *big.Rat
			for _, m := range others {
				if m == c || m == Home {
					continue
				}
				p1, s1, ok1 := mid(c, m)
				p2, s2, ok2 := mid(m, Home)
				if !ok1 || !ok2 {
					continue
				}
				score := new(big.Rat).Add(s1, s2)
				if bestScore == nil || score.Cmp(bestScore) < 0 {
					bestScore, via, price = score, m, p1.Mul(p1, p2)
				}
			}
		}
		if price == nil {
			out.Unvalued = append(out.Unvalued, Unvalued{Currency: c, Amount: amt,
				Reason: "no market to " + Home + " directly or through one other currency"})
			continue
		}
		// amt/10^exp × price × 10^homeExp, rounded once.
		v := new(big.Rat).Mul(ratOfInts(amt, homeExp, 1, exp), price)
		value, ok := toInt64(roundRat(v, money.RoundHalfEven))
		if !ok {
			return Exposure{}, overflowErr(c + " position value")
		}
		out.Valued = append(out.Valued, Valuation{Currency: c, Amount: amt, Value: value, Via: via})
		values = append(values, value)
	}
	total, ok := money.Sum(values...)
	if !ok {
		return Exposure{}, problem.Wrap(problem.Invalid, money.ErrOverflow, "total exposure is too large")
	}
	out.Total = total
	return out, nil
}
