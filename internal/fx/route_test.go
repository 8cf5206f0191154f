package fx

import (
	"errors"
	"math/big"
	"math/rand/v2"
	"testing"
	"time"

	"bricstown/internal/money"
	"bricstown/internal/problem"
)

// The worked example of the package documentation, both listings of the
// market, both directions.
func TestBidAskSides(t *testing.T) {
	m := Market{Rates: []Rate{pub(t, "bankA", "KZT/CNY", "0.0150", "0.0152")}}

	// Selling KZT, the base: the bank buys KZT at its bid.
	q := price(t, m, Policy{}, QuoteRequest{Sell: "KZT", Buy: "CNY", SellAmount: 100_000_00})
	if l := q.Legs[0]; l.Side != SellBase || l.Rate != rate(t, "0.015") || q.BuyAmount != 1_500_00 {
		t.Fatalf("sell KZT: leg %+v buy %d; want sell_base at 0.015 giving 1500.00 CNY", l, q.BuyAmount)
	}
	// Selling CNY, i.e. buying KZT, the base: the bank sells KZT at its ask.
	q = price(t, m, Policy{}, QuoteRequest{Sell: "CNY", Buy: "KZT", SellAmount: 1_520_00})
	if l := q.Legs[0]; l.Side != BuyBase || l.Rate != rate(t, "0.0152") || q.BuyAmount != 100_000_00 {
		t.Fatalf("sell CNY: leg %+v buy %d; want buy_base at 0.0152 giving 100000.00 KZT", l, q.BuyAmount)
	}
	// The round trip loses the spread: 1500.00 CNY back buys 98684.21 KZT.
	q = price(t, m, Policy{}, QuoteRequest{Sell: "CNY", Buy: "KZT", SellAmount: 1_500_00})
	if q.BuyAmount != 98_684_21 {
		t.Fatalf("round trip: %d; want 9868421", q.BuyAmount)
	}

	// The same market listed CNY/KZT: now KZT is the quote currency, so a
	// payer selling KZT buys the base (CNY) at the ask.
	m = Market{Rates: []Rate{pub(t, "bankB", "CNY/KZT", "65.5", "66")}}
	q = price(t, m, Policy{}, QuoteRequest{Sell: "KZT", Buy: "CNY", SellAmount: 100_000_00})
	// 100000 / 66 = 1515.1515… → 1515.15 (received: RoundDown)
	if l := q.Legs[0]; l.Side != BuyBase || l.Rate != rate(t, "66") || q.BuyAmount != 1_515_15 {
		t.Fatalf("CNY/KZT sell KZT: leg %+v buy %d", l, q.BuyAmount)
	}
	q = price(t, m, Policy{}, QuoteRequest{Sell: "CNY", Buy: "KZT", SellAmount: 1_000_00})
	if l := q.Legs[0]; l.Side != SellBase || l.Rate != rate(t, "65.5") || q.BuyAmount != 65_500_00 {
		t.Fatalf("CNY/KZT sell CNY: leg %+v buy %d", l, q.BuyAmount)
	}
}

// What the payer receives rounds down, what it pays rounds up, and the
// amount paid is the smallest that still delivers (ROUNDING.md's example).
func TestRoundingDirection(t *testing.T) {
	m := Market{Rates: []Rate{pub(t, "bankA", "KZT/CNY", "0.01523", "0.01530")}}
	q := price(t, m, Policy{}, QuoteRequest{Sell: "KZT", Buy: "CNY", SellAmount: 123456})
	if q.BuyAmount != 1880 { // 18.8023488 → 18.80
		t.Fatalf("sell fixed: buy %d; want 1880 (RoundDown)", q.BuyAmount)
	}
	q = price(t, m, Policy{}, QuoteRequest{Sell: "KZT", Buy: "CNY", BuyAmount: 1881})
	// 18.81 / 0.01523 = 1235.0623… KZT → 1235.07 (RoundUp)
	if q.SellAmount != 123507 || q.BuyAmount != 1881 || q.Fixed != FixedBuy {
		t.Fatalf("buy fixed: %+v; want sell 123507 for 1881", q)
	}
	// Minimal: one tiyn less would not deliver 18.81.
	if q2 := price(t, m, Policy{}, QuoteRequest{Sell: "KZT", Buy: "CNY", SellAmount: 123506}); q2.BuyAmount >= 1881 {
		t.Fatalf("123506 already buys %d", q2.BuyAmount)
	}
	// Buy fixed on the ask side: 1000.00 KZT at 0.01530 CNY each = 15.30 CNY exactly,
	// and 1000.01 KZT needs 15.3001530 → 15.31 CNY (RoundUp).
	q = price(t, m, Policy{}, QuoteRequest{Sell: "CNY", Buy: "KZT", BuyAmount: 100001})
	if q.SellAmount != 1531 {
		t.Fatalf("buy 1000.01 KZT: pay %d; want 1531", q.SellAmount)
	}
}

func TestRoutingPrefersIntermediateOnlyWhenBetter(t *testing.T) {
	direct := pub(t, "bankA", "KZT/BRL", "0.0100", "0.0110")
	viaRUB := []Rate{pub(t, "bankB", "KZT/RUB", "0.1800", "0.1810"), pub(t, "bankC", "RUB/BRL", "0.0600", "0.0610")}
	// Via RUB: 0.18 × 0.06 = 0.0108 BRL per KZT, better than 0.0100.
	m := Market{Rates: append([]Rate{direct}, viaRUB...)}
	q := price(t, m, Policy{}, QuoteRequest{Sell: "KZT", Buy: "BRL", SellAmount: 1_000_000_00})
	if len(q.Legs) != 2 || q.Legs[0].Provider != "bankB" || q.Legs[1].Provider != "bankC" {
		t.Fatalf("want KZT→RUB→BRL through bankB and bankC, got %+v", q.Legs)
	}
	// 1 000 000 KZT × 0.18 = 180 000.00 RUB × 0.06 = 10 800.00 BRL
	if q.Legs[0].Out != 180_000_00 || q.BuyAmount != 10_800_00 {
		t.Fatalf("amounts %+v", q.Legs)
	}
	// With a better direct price the direct route wins.
	m.Rates[0] = pub(t, "bankA", "KZT/BRL", "0.0109", "0.0110")
	q = price(t, m, Policy{}, QuoteRequest{Sell: "KZT", Buy: "BRL", SellAmount: 1_000_000_00})
	if len(q.Legs) != 1 || q.BuyAmount != 10_900_00 {
		t.Fatalf("want direct 10900.00 BRL, got %+v", q.Legs)
	}
	// Equal prices: fewer legs wins.
	m.Rates[0] = pub(t, "bankA", "KZT/BRL", "0.0108", "0.0110")
	q = price(t, m, Policy{}, QuoteRequest{Sell: "KZT", Buy: "BRL", SellAmount: 1_000_000_00})
	if len(q.Legs) != 1 {
		t.Fatalf("tie should go to the direct route, got %+v", q.Legs)
	}
	// Buy fixed: least paid. Via RUB 10800.00 BRL needs 1 000 000.00 KZT;
	// direct at 0.0100 needs 1 080 000.00.
	m.Rates[0] = direct
	q = price(t, m, Policy{}, QuoteRequest{Sell: "KZT", Buy: "BRL", BuyAmount: 10_800_00})
	if len(q.Legs) != 2 || q.SellAmount != 1_000_000_00 {
		t.Fatalf("buy fixed: %+v", q)
	}
}

func TestRoutingNeverThroughUSDByDefault(t *testing.T) {
	m := Market{Rates: []Rate{
		pub(t, "bankA", "USD/KZT", "500", "501"),
		pub(t, "bankA", "USD/CNY", "7.2", "7.21"),
	}}
	_, err := Price(m, Policy{}, "payer", QuoteRequest{Sell: "KZT", Buy: "CNY", SellAmount: 100}, t0)
	if pe := wantCode(t, err, problem.NotFound); !errors.Is(pe, ErrNoRoute) {
		t.Fatalf("want ErrNoRoute, got %v", err)
	}
	q, err := Price(m, Policy{NoIntermediate: []string{}}, "payer", QuoteRequest{Sell: "KZT", Buy: "CNY", SellAmount: 501_00}, t0)
	if err != nil || len(q.Legs) != 2 || q.Legs[0].OutCurrency != "USD" {
		t.Fatalf("with USD allowed: %+v %v", q, err)
	}
}

func TestFeesChangeTheChoice(t *testing.T) {
	// bankA has the better price but charges 50 bps; bankB is 20 bps worse
	// on price and free, so bankB wins.
	m := Market{
		Rates: []Rate{pub(t, "bankA", "KZT/CNY", "0.0150", "0.0152"), pub(t, "bankB", "KZT/CNY", "0.01497", "0.0153")},
		Fees:  map[string]Fee{"bankA": {Provider: "bankA", Bps: 50}},
	}
	q := price(t, m, Policy{}, QuoteRequest{Sell: "KZT", Buy: "CNY", SellAmount: 1_000_000_00})
	if q.Legs[0].Provider != "bankB" || q.BuyAmount != 14_970_00 || len(q.Fees) != 0 {
		t.Fatalf("want bankB without fee: %+v", q)
	}
	// At 10 bps bankA wins, and the fee is shown: 0.10% of 1 000 000.00 KZT.
	m.Fees["bankA"] = Fee{Provider: "bankA", Bps: 10}
	q = price(t, m, Policy{}, QuoteRequest{Sell: "KZT", Buy: "CNY", SellAmount: 1_000_000_00})
	if q.Legs[0].Provider != "bankA" || q.Legs[0].Fee != 1_000_00 {
		t.Fatalf("want bankA with a 1000.00 KZT fee: %+v", q.Legs)
	}
	// (1 000 000 - 1 000) × 0.015 = 14 985.00 CNY
	if q.BuyAmount != 14_985_00 || len(q.Fees) != 1 || q.Fees[0] != (FeeCharge{"bankA", "KZT", 1_000_00}) {
		t.Fatalf("fee not applied or not listed: %+v", q)
	}
	// The fee rounds up: 10 bps of 0.01 KZT is 0.00001, charged as 0.01.
	if f, _ := m.Fees["bankA"].charge("KZT", 1); f != 1 {
		t.Fatalf("fee on 1 tiyn = %d; want 1", f)
	}
	// A fixed fee dominates small amounts: bankA charges 500.00 KZT flat.
	m.Fees["bankA"] = Fee{Provider: "bankA", Fixed: map[string]money.Amount{"KZT": 500_00}}
	q = price(t, m, Policy{}, QuoteRequest{Sell: "KZT", Buy: "CNY", SellAmount: 10_000_00})
	if q.Legs[0].Provider != "bankB" {
		t.Fatalf("small amount should avoid the flat fee: %+v", q.Legs)
	}
	q = price(t, m, Policy{}, QuoteRequest{Sell: "KZT", Buy: "CNY", SellAmount: 10_000_000_00})
	if q.Legs[0].Provider != "bankA" || q.Legs[0].Fee != 500_00 {
		t.Fatalf("large amount should take bankA: %+v", q.Legs)
	}
	// Buy fixed with a fee: the gross is the least that still delivers.
	m.Fees["bankA"] = Fee{Provider: "bankA", Bps: 10, Fixed: map[string]money.Amount{"KZT": 1_00}}
	m.Rates = m.Rates[:1]
	q = price(t, m, Policy{}, QuoteRequest{Sell: "KZT", Buy: "CNY", BuyAmount: 15_000_00})
	l := q.Legs[0]
	fwd, err := (&edge{r: &m.Rates[0], from: "KZT", to: "CNY", fromExp: 2, toExp: 2, side: SellBase, price: m.Rates[0].Bid, fee: m.Fees["bankA"]}).forward(l.In)
	if err != nil || fwd.out < 15_000_00 || fwd.fee != l.Fee {
		t.Fatalf("gross %d does not deliver: %+v %v", l.In, fwd, err)
	}
	less, _ := (&edge{r: &m.Rates[0], from: "KZT", to: "CNY", fromExp: 2, toExp: 2, side: SellBase, price: m.Rates[0].Bid, fee: m.Fees["bankA"]}).forward(l.In - 1)
	if less.out >= 15_000_00 {
		t.Fatalf("gross %d is not minimal", l.In)
	}
}

func TestNoRouteAndBadRequests(t *testing.T) {
	m := Market{Rates: []Rate{pub(t, "bankA", "KZT/CNY", "0.0150", "0.0152")}}
	_, err := Price(m, Policy{}, "payer", QuoteRequest{Sell: "KZT", Buy: "ZAR", SellAmount: 100}, t0)
	pe := wantCode(t, err, problem.NotFound)
	if !errors.Is(err, ErrNoRoute) || pe.Message == "" {
		t.Fatalf("no route: %v", err)
	}
	for _, tc := range []struct {
		req   QuoteRequest
		field string
	}{
		{QuoteRequest{Sell: "KZT", Buy: "CNY"}, "sell_amount"},
		{QuoteRequest{Sell: "KZT", Buy: "CNY", SellAmount: 1, BuyAmount: 1}, "sell_amount"},
		{QuoteRequest{Sell: "KZT", Buy: "CNY", SellAmount: -5}, "sell_amount"},
		{QuoteRequest{Sell: "KZT", Buy: "KZT", SellAmount: 5}, "buy"},
		{QuoteRequest{Sell: "XAU", Buy: "CNY", SellAmount: 5}, "sell"},
		{QuoteRequest{Sell: "KZT", Buy: "QQQ", SellAmount: 5}, "buy"},
	} {
		_, err := Price(m, Policy{}, "payer", tc.req, t0)
		if pe := wantCode(t, err, problem.Invalid); pe.Fields[tc.field] == "" {
			t.Errorf("%+v: fields %v; want %s", tc.req, pe.Fields, tc.field)
		}
	}
	// 0.01 KZT buys less than 0.01 CNY: too small, said so on the field.
	_, err = Price(m, Policy{}, "payer", QuoteRequest{Sell: "KZT", Buy: "CNY", SellAmount: 1}, t0)
	if pe := wantCode(t, err, problem.Invalid); pe.Fields["sell_amount"] == "" {
		t.Fatalf("too small: %v", err)
	}
}

func TestExpiredOwnAndCappedRates(t *testing.T) {
	old := pub(t, "bankA", "KZT/CNY", "0.0160", "0.0161")
	old.ValidUntil = t0 // expired exactly now
	own := pub(t, "payer", "KZT/CNY", "0.0170", "0.0171")
	short := pub(t, "bankB", "KZT/CNY", "0.0150", "0.0152")
	short.ValidUntil = t0.Add(10 * time.Second)
	m := Market{Rates: []Rate{old, own, short}}
	q := price(t, m, Policy{TTL: time.Minute}, QuoteRequest{Sell: "KZT", Buy: "CNY", SellAmount: 100_00})
	if q.Legs[0].Provider != "bankB" {
		t.Fatalf("expired or own rate used: %+v", q.Legs)
	}
	if !q.ExpiresAt.Equal(short.ValidUntil) {
		t.Fatalf("quote expires %v; want the rate's %v", q.ExpiresAt, short.ValidUntil)
	}
	m.Rates[2].ValidUntil = time.Time{}
	q = price(t, m, Policy{}, QuoteRequest{Sell: "KZT", Buy: "CNY", SellAmount: 100_00})
	if !q.ExpiresAt.Equal(t0.Add(DefaultQuoteTTL)) || !q.CreatedAt.Equal(t0) {
		t.Fatalf("default TTL: %v", q.ExpiresAt)
	}
}

// A realistic KZT→CNY conversion: a town bank's direct price against a
// correspondent route through USD, worked by hand.
func TestUSDComparisonRealistic(t *testing.T) {
	pol := Policy{USD: USDConfig{
		"KZT": {Mid: rate(t, "505"), ToUSDBps: 75, FromUSDBps: 75},
		"CNY": {Mid: rate(t, "7.1"), ToUSDBps: 50, FromUSDBps: 50},
	}}
	m := Market{Rates: []Rate{pub(t, "bankA", "KZT/CNY", "0.01400", "0.01410")}}
	q := price(t, m, pol, QuoteRequest{Sell: "KZT", Buy: "CNY", SellAmount: 1_000_000_00})
	// Direct: 1 000 000 × 0.014 = 14 000.00 CNY.
	// Via USD: 1 000 000 / 505 × 0.9925 = 1965.3465… → 1965.34 USD;
	//          1965.34 × 7.1 × 0.995 = 13884.1444… → 13884.14 CNY.
	// Saving 115.86 CNY = 11586 × 10000 / 1388414 = 83.4… → 83 bps.
	want := USDComparison{Available: true, USDAmount: 1965_34, BuyAmount: 13884_14, Saving: 115_86, SavingBps: 83}
	if q.BuyAmount != 14_000_00 || q.USD != want {
		t.Fatalf("buy %d, USD %+v; want 1400000, %+v", q.BuyAmount, q.USD, want)
	}
	if q.EffectiveRate != rate(t, "0.014") {
		t.Fatalf("effective rate %s", q.EffectiveRate)
	}
	// Exactness: recompute the via-USD figure with rationals.
	usd := new(big.Rat).SetFrac64(1_000_000_00*9925, 505*10000)
	usdCents := roundRat(usd, money.RoundDown).Int64()
	cny := new(big.Rat).SetFrac64(usdCents*71*9950, 10*10000)
	if usdCents != 1965_34 || roundRat(cny, money.RoundDown).Int64() != 13884_14 {
		t.Fatal("hand computation disagrees")
	}
	// A currency without USD configuration: no comparison, not an error.
	m.Rates = append(m.Rates, pub(t, "bankA", "KZT/RUB", "0.18", "0.181"))
	q = price(t, m, pol, QuoteRequest{Sell: "KZT", Buy: "RUB", SellAmount: 100_00})
	if q.USD.Available {
		t.Fatalf("RUB has no USD config: %+v", q.USD)
	}
}

func TestEffectiveRateIncludesFees(t *testing.T) {
	m := Market{Rates: []Rate{pub(t, "bankA", "KZT/CNY", "0.015", "0.0152")},
		Fees: map[string]Fee{"bankA": {Provider: "bankA", Bps: 100}}}
	q := price(t, m, Policy{}, QuoteRequest{Sell: "KZT", Buy: "CNY", SellAmount: 100_000_00})
	// 99 000 × 0.015 = 1485.00 CNY for 100 000 KZT: 0.01485.
	if q.BuyAmount != 1485_00 || q.EffectiveRate != rate(t, "0.01485") {
		t.Fatalf("%d at %s", q.BuyAmount, q.EffectiveRate)
	}
	// A non-terminating ratio is rounded half-even at 12 decimals.
	if r := EffectiveRate("KZT", 300, "CNY", 1); r != rate(t, "0.003333333333") {
		t.Fatalf("1/300 = %s", r)
	}
}

// The greedy route search must find what trying every direct and every
// two-leg combination finds, in both directions, on random markets.
func TestRoutingMatchesExhaustiveSearch(t *testing.T) {
	rnd := rand.New(rand.NewPCG(7, 11))
	codes := []string{"KZT", "CNY", "RUB", "BRL", "INR", "ZAR", "AED"}
	for iter := 0; iter < 300; iter++ {
		m := randomMarket(t, rnd, codes, 25)
		sell, buy := codes[rnd.IntN(len(codes))], codes[rnd.IntN(len(codes))]
		if sell == buy {
			continue
		}
		amount := 1 + rnd.Int64N(1_000_000_00)
		for _, fixed := range []Fixed{FixedSell, FixedBuy} {
			req := QuoteRequest{Sell: sell, Buy: buy, SellAmount: amount}
			if fixed == FixedBuy {
				req = QuoteRequest{Sell: sell, Buy: buy, BuyAmount: amount}
			}
			q, err := Price(m, Policy{}, "payer", req, t0)
			best, ok := exhaustive(m, sell, buy, fixed, amount)
			if !ok {
				if err == nil {
					t.Fatalf("iter %d: exhaustive found nothing, Price found %+v", iter, q)
				}
				continue
			}
			if err != nil {
				t.Fatalf("iter %d %s %s→%s: %v; exhaustive %d", iter, fixed, sell, buy, err, best)
			}
			checkChained(t, q)
			got := q.BuyAmount
			if fixed == FixedBuy {
				got = q.SellAmount
			}
			if got != best {
				t.Fatalf("iter %d %s %s→%s %d: Price %d, exhaustive %d (%+v)", iter, fixed, sell, buy, amount, got, best, q.Legs)
			}
		}
	}
}

func randomMarket(t *testing.T, rnd *rand.Rand, codes []string, n int) Market {
	m := Market{Fees: map[string]Fee{}}
	providers := []string{"b1", "b2", "b3", "b4"}
	for _, p := range providers {
		m.Fees[p] = Fee{Provider: p, Bps: rnd.Int64N(30), Fixed: map[string]money.Amount{codes[rnd.IntN(len(codes))]: rnd.Int64N(1000)}}
	}
	for i := 0; i < n; i++ {
		a, b := codes[rnd.IntN(len(codes))], codes[rnd.IntN(len(codes))]
		if a == b {
			continue
		}
		bid := 1 + rnd.Int64N(99999)
		ask := bid + 1 + rnd.Int64N(bid/50+1)
		r := pub(t, providers[rnd.IntN(len(providers))], a+"/"+b,
			formatScaled(big.NewInt(bid), 3), formatScaled(big.NewInt(ask), 3))
		r.ID = r.ID + string(rune('a'+i%26))
		m.Rates = append(m.Rates, r)
	}
	return m
}

// exhaustive tries every route; it shares only the leg arithmetic with Price.
func exhaustive(m Market, sell, buy string, fixed Fixed, amount money.Amount) (money.Amount, bool) {
	p := &pricer{m: m, pol: Policy{}.withDefaults(), payer: "payer", now: t0, exps: map[string]int{}}
	var best money.Amount
	found := false
	take := func(v money.Amount) {
		if !found || (fixed == FixedSell && v > best) || (fixed == FixedBuy && v < best) {
			best, found = v, true
		}
	}
	ok := func(l leg, err error) bool { return err == nil && l.out > 0 && l.in > 0 && l.fee < l.in }
	for i := range m.Rates {
		e1, has := edgeFrom(&m.Rates[i], sell)
		if !has || !p.ready(&e1) {
			continue
		}
		if e1.to == buy {
			if fixed == FixedSell {
				if l, err := e1.forward(amount); ok(l, err) {
					take(l.out)
				}
			} else if l, err := e1.backward(amount); ok(l, err) {
				take(l.in)
			}
			continue
		}
		if e1.to == USD {
			continue
		}
		for j := range m.Rates {
			e2, has := edgeFrom(&m.Rates[j], e1.to)
			if !has || e2.to != buy || !p.ready(&e2) {
				continue
			}
			if fixed == FixedSell {
				l1, err := e1.forward(amount)
				if !ok(l1, err) {
					continue
				}
				if l2, err := e2.forward(l1.out); ok(l2, err) {
					take(l2.out)
				}
			} else {
				l2, err := e2.backward(amount)
				if !ok(l2, err) {
					continue
				}
				if l1, err := e1.backward(l2.in); ok(l1, err) {
					take(l1.in)
				}
			}
		}
	}
	return best, found
}
