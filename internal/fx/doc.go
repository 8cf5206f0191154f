// Package fx is the town's foreign-exchange market: banks of the town
// publish two-way prices between local currencies of BRICS countries, and
// payers convert at the best of them instead of going through USD.
//
// # Prices: listing, bid and ask
//
// A price is published on a pair in a listing, BASE/QUOTE, and states the
// price of one unit of BASE in QUOTE: KZT/CNY 0.0152 means 1 KZT costs
// 0.0152 CNY. A bank may list a market either way round (KZT/CNY or
// CNY/KZT); both are the same market (Pair.Market, codes in alphabetical
// order), and a bank has one current price per market: a new publication
// replaces the previous one, which stays in the history. The bid and ask
// are stored exactly as the bank wrote them, in its listing, because
// turning a price into the other listing divides, and a divided decimal is
// no longer the bank's price digit for digit.
//
// The bank is the market maker, so its two prices are named from its side:
//
//   - BID: the bank BUYS one BASE and pays bid QUOTE for it. A payer
//     SELLING BASE (handing over BASE, receiving QUOTE) gets the bid:
//     out = in × bid.
//   - ASK: the bank SELLS one BASE and charges ask QUOTE for it. A payer
//     BUYING BASE (handing over QUOTE, receiving BASE) pays the ask:
//     out = in ÷ ask.
//
// bid < ask always, and the difference is the bank's margin: whichever way
// the payer goes, it gets the worse of the two prices. Worked example on
// KZT/CNY with bid 0.0150 and ask 0.0152: selling 100 000.00 KZT gives
// 100 000 × 0.0150 = 1 500.00 CNY; selling 1 520.00 CNY gives
// 1 520 ÷ 0.0152 = 100 000.00 KZT, and selling those 1 500.00 CNY back
// would give only 98 684.21 KZT (the spread).
//
// # Routing
//
// A quote goes directly (one bank's price on the sell/buy market, either
// listing, dealing on the side above) or through exactly one intermediate
// currency (two legs, possibly with two different banks). Never through
// Policy.NoIntermediate (USD by default): avoiding the dollar is the point.
// The payer's own prices are never used for its quotes.
//
// The best route is the one that, for the payer's sell amount, delivers the
// most buy currency, or, for the payer's buy amount, needs the least sell
// currency; fees are included because they are deducted on each leg before
// the rate applies. Ties go to fewer legs, then to the lowest provider and
// rate ids, so equal prices always produce the same quote. Each leg's output
// grows with its input, so for every intermediate only its best first leg
// (sell fixed) or best last leg (buy fixed) matters: pricing is one pass
// over the rates per leg, with no search over combinations.
//
// # Rounding
//
// Each leg is a separate trade with its own counterparty that settles in
// whole minor units, so each leg is rounded once at its end, by
// internal/money's rule: what the payer receives is rounded down, what it
// pays is rounded up, fees included (money.ApplyBps with RoundUp). When the
// payer fixes the sell amount the route is computed forward and every output
// rounds down; when it fixes the buy amount the route is computed backward
// and every input rounds up, to the smallest amount that still delivers.
// Either way the providers and the platform can gain under one minor unit
// per leg and never lose. (money advises converting once with a cross rate;
// that holds for one counterparty. Two banks settle the middle currency
// between them in whole units, so rounding there is real, not an artefact.)
//
// Valuation (ValueExposure) and the effective rate are reports: computed
// exactly and rounded once, half-even. Nothing in this package uses binary
// floating point; a test scans the sources to keep it so.
//
// # Quotes
//
// A quote is stored, expires after Policy.TTL (30 s by default, earlier if
// a rate behind it expires sooner) and is executed once: the ledger claims
// it with Store.ClaimQuote, a single conditional update that lets exactly
// one of any number of concurrent claims win.
package fx
