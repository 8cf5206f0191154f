package server

import (
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"bricstown/internal/fx"
	"bricstown/internal/identity"
	"bricstown/internal/money"
	"bricstown/internal/problem"
)

// Who may call the FX routes beyond ledgerRoles and anyUser: prices are a
// bank treasury's (the service also checks that the org is a bank), fees
// are set by a bank for itself or by the platform administrator for any.
var (
	fxPublish = roles(identity.BankOperator)
	fxFees    = roles(admin, identity.BankOperator)
)

// The FX JSON shapes: amounts are decimal strings in the currency's units
// and prices are decimal strings exactly as published, never floats.

type rateIn struct {
	Pair       string `json:"pair"`
	Bid        string `json:"bid"`
	Ask        string `json:"ask"`
	ValidUntil string `json:"valid_until,omitempty"`
}

type rateOut struct {
	ID           string     `json:"id"`
	Provider     string     `json:"provider"`
	ProviderName string     `json:"provider_name,omitempty"`
	Pair         string     `json:"pair"`
	Bid          string     `json:"bid"`
	Ask          string     `json:"ask"`
	PublishedAt  time.Time  `json:"published_at"`
	ValidUntil   *time.Time `json:"valid_until,omitempty"`
	Flag         string     `json:"flag,omitempty"` // no_reference: published with no official rate to check it against
}

// orgNames looks organisation names up once per request.
func (s *Server) orgNames(r *http.Request) *identity.OrgNames {
	return s.identity.OrgNames(r.Context(), nil)
}

// writeRates answers a list of rates with their providers' names.
func (s *Server) writeRates(w http.ResponseWriter, r *http.Request, rates []fx.Rate) {
	names := s.orgNames(r)
	out := make([]rateOut, len(rates))
	for i, x := range rates {
		out[i] = rateJSON(x, names)
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": out})
}

func rateJSON(r fx.Rate, names *identity.OrgNames) rateOut {
	out := rateOut{ID: r.ID, Provider: r.Provider, ProviderName: names.Name(r.Provider), Pair: r.Pair.String(), Bid: r.Bid.String(),
		Ask: r.Ask.String(), PublishedAt: r.PublishedAt, Flag: r.Flag}
	if !r.ValidUntil.IsZero() {
		v := r.ValidUntil
		out.ValidUntil = &v
	}
	return out
}

func (s *Server) publishRate(w http.ResponseWriter, r *http.Request) {
	var in rateIn
	if err := decodeJSON(r, &in); err != nil {
		writeProblem(w, r, s.log, err)
		return
	}
	nr := fx.NewRate{Pair: in.Pair, Bid: in.Bid, Ask: in.Ask}
	if in.ValidUntil != "" {
		t, err := time.Parse(time.RFC3339Nano, in.ValidUntil)
		if err != nil {
			// Report the time with whatever else is wrong, all at once.
			f := problem.Fields{"valid_until": "must be an RFC 3339 time, e.g. 2026-03-14T09:00:00Z"}
			if _, err := nr.Validate(time.Now()); err != nil {
				if pe, ok := err.(*problem.Error); ok {
					for k, v := range pe.Fields {
						f.Add(k, v)
					}
				}
			}
			writeProblem(w, r, s.log, f.Err("the rate is not valid"))
			return
		}
		nr.ValidUntil = t
	}
	rate, err := s.FX.PublishRate(r.Context(), principal(r), nr)
	if err != nil {
		writeProblem(w, r, s.log, err)
		return
	}
	writeJSON(w, http.StatusCreated, rateJSON(rate, s.orgNames(r)))
}

// fxBoard is every live price of every provider: prices are public within
// the town, which is what tightens spreads.
func (s *Server) fxBoard(w http.ResponseWriter, r *http.Request) {
	rates, err := s.FX.Board(r.Context(), principal(r))
	if err != nil {
		writeProblem(w, r, s.log, err)
		return
	}
	s.writeRates(w, r, rates)
}

func (s *Server) fxHistory(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	f := problem.Fields{}
	limit := 100
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > fx.MaxHistory {
			f.Addf("limit", "must be an integer from 1 to %d", fx.MaxHistory)
		}
		limit = n
	}
	if q.Get("pair") == "" {
		f.Add("pair", "required: the market, e.g. KZT/CNY (either listing)")
	}
	if err := f.Err("bad history query"); err != nil {
		writeProblem(w, r, s.log, err)
		return
	}
	rates, err := s.FX.History(r.Context(), principal(r), q.Get("pair"), q.Get("provider"), limit)
	if err != nil {
		writeProblem(w, r, s.log, err)
		return
	}
	s.writeRates(w, r, rates)
}

type feeIn struct {
	Provider string            `json:"provider,omitempty"`
	Bps      int64             `json:"bps"`
	Fixed    map[string]string `json:"fixed,omitempty"`
}

type feeOut struct {
	Provider     string            `json:"provider"`
	ProviderName string            `json:"provider_name,omitempty"`
	Bps          int64             `json:"bps"`
	Fixed        map[string]string `json:"fixed"`
	UpdatedAt    time.Time         `json:"updated_at,omitzero"`
}

// moneyExponent is the exponent of a currency that holds amounts.
func (s *Server) moneyExponent(code string) (string, int, bool) {
	code = strings.ToUpper(strings.TrimSpace(code))
	if c, ok := s.Ref.Currency(code); ok && c.IsMoney() {
		return code, c.MinorUnits, true
	}
	return code, 0, false
}

func (s *Server) setFee(w http.ResponseWriter, r *http.Request) {
	var in feeIn
	if err := decodeJSON(r, &in); err != nil {
		writeProblem(w, r, s.log, err)
		return
	}
	f := problem.Fields{}
	nf := fx.NewFee{Provider: in.Provider, Bps: in.Bps, Fixed: map[string]money.Amount{}}
	for _, c := range slices.Sorted(maps.Keys(in.Fixed)) {
		code, exp, ok := s.moneyExponent(c)
		if !ok {
			f.Add("fixed."+c, "must be keyed by an ISO 4217 currency that holds money")
			continue
		}
		// Zero is allowed: it removes the currency's flat fee.
		v, err := money.ParseAmount(in.Fixed[c], exp)
		if err != nil {
			f.Addf("fixed."+c, "%s (%s has %d decimals)", problem.MessageOf(err), code, exp)
			continue
		}
		nf.Fixed[code] = v
	}
	if len(f) > 0 && (in.Bps < 0 || in.Bps > fx.MaxFeeBps) {
		f.Addf("bps", "must be between 0 and %d", fx.MaxFeeBps)
	}
	if err := f.Err("the fee is not valid"); err != nil {
		writeProblem(w, r, s.log, err)
		return
	}
	fee, err := s.FX.SetFee(r.Context(), principal(r), nf)
	if err != nil {
		writeProblem(w, r, s.log, err)
		return
	}
	out := feeOut{Provider: fee.Provider, ProviderName: s.orgNames(r).Name(fee.Provider), Bps: fee.Bps, Fixed: map[string]string{}, UpdatedAt: fee.UpdatedAt}
	for c, v := range fee.Fixed {
		out.Fixed[c] = s.amount(v, c)
	}
	writeJSON(w, http.StatusOK, out)
}

type quoteIn struct {
	Sell       string `json:"sell"`
	Buy        string `json:"buy"`
	SellAmount string `json:"sell_amount,omitempty"`
	BuyAmount  string `json:"buy_amount,omitempty"`
}

type legOut struct {
	Provider     string `json:"provider"`
	ProviderName string `json:"provider_name,omitempty"`
	RateID       string `json:"rate_id"`
	Pair         string `json:"pair"`
	Side         string `json:"side"`
	Rate         string `json:"rate"`
	InCurrency   string `json:"in_currency"`
	In           string `json:"in"`
	Fee          string `json:"fee"`
	OutCurrency  string `json:"out_currency"`
	Out          string `json:"out"`
}

type feeChargeOut struct {
	Provider string `json:"provider"`
	Currency string `json:"currency"`
	Amount   string `json:"amount"`
}

// usdOut compares the quote with the conventional route through USD.
type usdOut struct {
	Available bool `json:"available"`
	// USDAmount is the dollars the sell amount fetches on the first leg;
	// ViaUSDAmount what they fetch in the buy currency.
	USDAmount    string `json:"usd_amount,omitempty"`
	ViaUSDAmount string `json:"via_usd_amount,omitempty"`
	Saving       string `json:"saving,omitempty"`
	SavingBps    int64  `json:"saving_bps"`
}

type quoteOut struct {
	ID            string         `json:"id"`
	PayerOrg      string         `json:"payer_org"`
	Status        string         `json:"status"`
	Sell          string         `json:"sell"`
	Buy           string         `json:"buy"`
	Fixed         string         `json:"fixed"`
	SellAmount    string         `json:"sell_amount"`
	BuyAmount     string         `json:"buy_amount"`
	EffectiveRate string         `json:"effective_rate,omitempty"`
	Legs          []legOut       `json:"legs"`
	Fees          []feeChargeOut `json:"fees"`
	USD           usdOut         `json:"usd_comparison"`
	CreatedAt     time.Time      `json:"created_at"`
	ExpiresAt     time.Time      `json:"expires_at"`
	UsedAt        *time.Time     `json:"used_at,omitempty"`
}

func (s *Server) legsJSON(legs []fx.Leg, names *identity.OrgNames) []legOut {
	out := make([]legOut, len(legs))
	for i, l := range legs {
		out[i] = legOut{Provider: l.Provider, ProviderName: names.Name(l.Provider), RateID: l.RateID, Pair: l.Pair.String(), Side: string(l.Side),
			Rate: l.Rate.String(), InCurrency: l.InCurrency, In: s.amount(l.In, l.InCurrency), Fee: s.amount(l.Fee, l.InCurrency),
			OutCurrency: l.OutCurrency, Out: s.amount(l.Out, l.OutCurrency)}
	}
	return out
}

func (s *Server) quoteJSON(q fx.Quote, names *identity.OrgNames) quoteOut {
	out := quoteOut{ID: q.ID, PayerOrg: q.PayerOrg, Status: "open", Sell: q.Sell, Buy: q.Buy, Fixed: string(q.Fixed),
		SellAmount: s.amount(q.SellAmount, q.Sell), BuyAmount: s.amount(q.BuyAmount, q.Buy), Legs: s.legsJSON(q.Legs, names),
		Fees: []feeChargeOut{}, USD: usdOut{Available: q.USD.Available}, CreatedAt: q.CreatedAt, ExpiresAt: q.ExpiresAt}
	switch err := s.FX.Usable(q); {
	case err == nil:
	case !q.UsedAt.IsZero():
		out.Status = "used"
		v := q.UsedAt
		out.UsedAt = &v
	default:
		out.Status = "expired"
	}
	if !q.EffectiveRate.IsZero() {
		out.EffectiveRate = q.EffectiveRate.String()
	}
	for _, fc := range q.Fees {
		out.Fees = append(out.Fees, feeChargeOut{Provider: fc.Provider, Currency: fc.Currency, Amount: s.amount(fc.Amount, fc.Currency)})
	}
	if q.USD.Available {
		out.USD.USDAmount = s.amount(q.USD.USDAmount, fx.USD)
		out.USD.ViaUSDAmount = s.amount(q.USD.BuyAmount, q.Buy)
		out.USD.Saving = s.amount(q.USD.Saving, q.Buy)
		out.USD.SavingBps = q.USD.SavingBps
	}
	return out
}

func (s *Server) createQuote(w http.ResponseWriter, r *http.Request) {
	var in quoteIn
	if err := decodeJSON(r, &in); err != nil {
		writeProblem(w, r, s.log, err)
		return
	}
	// Amounts are read in their currency's units, so the currencies are
	// checked here too; every bad field is reported at once.
	f := problem.Fields{}
	req := fx.QuoteRequest{}
	amount := func(field, ccyField, ccy, v string) money.Amount {
		code, exp, ok := s.moneyExponent(ccy)
		if !ok {
			f.Add(ccyField, "must be an ISO 4217 currency that holds money")
			return 0
		}
		if v == "" {
			return 0
		}
		a, err := money.ParsePositive(v, exp)
		if err != nil {
			f.Addf(field, "%s (%s has %d decimals)", problem.MessageOf(err), code, exp)
		}
		return a
	}
	req.Sell, req.Buy = strings.ToUpper(strings.TrimSpace(in.Sell)), strings.ToUpper(strings.TrimSpace(in.Buy))
	req.SellAmount = amount("sell_amount", "sell", in.Sell, in.SellAmount)
	req.BuyAmount = amount("buy_amount", "buy", in.Buy, in.BuyAmount)
	if (in.SellAmount == "") == (in.BuyAmount == "") {
		f.Add("sell_amount", "give exactly one of sell_amount and buy_amount")
	}
	if err := f.Err("the quote request is not valid"); err != nil {
		writeProblem(w, r, s.log, err)
		return
	}
	q, err := s.FX.Quote(r.Context(), principal(r), req)
	if err != nil {
		writeProblem(w, r, s.log, err)
		return
	}
	w.Header().Set("Location", "/api/v1/fx/quotes/"+q.ID)
	writeJSON(w, http.StatusCreated, s.quoteJSON(q, s.orgNames(r)))
}

func (s *Server) getQuote(w http.ResponseWriter, r *http.Request) {
	q, err := s.FX.GetQuote(r.Context(), principal(r), r.PathValue("id"))
	if err != nil {
		writeProblem(w, r, s.log, err)
		return
	}
	writeJSON(w, http.StatusOK, s.quoteJSON(q, s.orgNames(r)))
}

// conversionTransferOut is a ledger transfer of a conversion, with the
// ledger's answer: ok when this request created it, exists when an
// earlier execution of the same quote had.
type conversionTransferOut struct {
	transferOut
	Result string `json:"result"`
	Leg    int    `json:"leg"`
	Role   string `json:"role"`
}

type conversionOut struct {
	QuoteID       string                  `json:"quote_id"`
	Status        string                  `json:"status"`
	Sell          string                  `json:"sell"`
	Buy           string                  `json:"buy"`
	SellAmount    string                  `json:"sell_amount"`
	BuyAmount     string                  `json:"buy_amount"`
	FromAccountID string                  `json:"from_account_id"`
	ToAccountID   string                  `json:"to_account_id"`
	Route         []legOut                `json:"route"`
	Transfers     []conversionTransferOut `json:"transfers"`
	ExecutedAt    time.Time               `json:"executed_at"`
}

func (s *Server) createConversion(w http.ResponseWriter, r *http.Request) {
	var in fx.ConvertRequest
	if err := decodeJSON(r, &in); err != nil {
		writeProblem(w, r, s.log, err)
		return
	}
	c, err := s.FX.Convert(r.Context(), principal(r), in)
	if err != nil {
		writeProblem(w, r, s.log, err)
		return
	}
	out := conversionOut{QuoteID: c.QuoteID, Status: c.Status, Sell: c.Sell, Buy: c.Buy, SellAmount: s.amount(c.SellAmount, c.Sell),
		BuyAmount: s.amount(c.BuyAmount, c.Buy), FromAccountID: c.FromAccountID, ToAccountID: c.ToAccountID,
		Route: s.legsJSON(c.Route, s.orgNames(r)), Transfers: make([]conversionTransferOut, len(c.Transfers)), ExecutedAt: c.ExecutedAt}
	for i, t := range c.Transfers {
		out.Transfers[i] = conversionTransferOut{transferOut: s.transferJSON(&t.Transfer), Result: string(t.Result), Leg: t.Leg, Role: t.Role}
		s.ledgerResults.Inc(string(t.Result))
	}
	w.Header().Set("Location", "/api/v1/fx/quotes/"+c.QuoteID)
	writeJSON(w, http.StatusCreated, out)
}

type valuationOut struct {
	Currency string `json:"currency"`
	Amount   string `json:"amount"`
	Value    string `json:"value"`
	Via      string `json:"via,omitempty"`
}

type unvaluedOut struct {
	Currency string `json:"currency"`
	Amount   string `json:"amount"`
	Reason   string `json:"reason"`
}

type exposureOut struct {
	OrgID    string         `json:"org_id"`
	Home     string         `json:"home"`
	Valued   []valuationOut `json:"valued"`
	Total    string         `json:"total"`
	Unvalued []unvaluedOut  `json:"unvalued"`
}

// fxExposure is the caller's org's currency positions from its ledger
// accounts, valued in tenge at the board's mid rates.
func (s *Server) fxExposure(w http.ResponseWriter, r *http.Request) {
	p := principal(r)
	e, err := s.FX.OrgExposure(r.Context(), p)
	if err != nil {
		writeProblem(w, r, s.log, err)
		return
	}
	out := exposureOut{OrgID: p.OrgID, Home: e.Home, Valued: []valuationOut{}, Total: s.amount(e.Total, e.Home), Unvalued: []unvaluedOut{}}
	for _, v := range e.Valued {
		out.Valued = append(out.Valued, valuationOut{Currency: v.Currency, Amount: s.amount(v.Amount, v.Currency), Value: s.amount(v.Value, e.Home), Via: v.Via})
	}
	for _, u := range e.Unvalued {
		out.Unvalued = append(out.Unvalued, unvaluedOut{Currency: u.Currency, Amount: s.amount(u.Amount, u.Currency), Reason: u.Reason})
	}
	writeJSON(w, http.StatusOK, out)
}
