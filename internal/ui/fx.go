package ui

import (
	"errors"
	"maps"
	"math/big"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"bricstown/internal/chart"
	"bricstown/internal/fx"
	"bricstown/internal/identity"
	"bricstown/internal/ledger"
	"bricstown/internal/money"
	"bricstown/internal/problem"
)

// rateText shows a decimal rate with the page language's decimal mark.
func rateText(lang string, r money.Rate) string {
	if r.IsZero() {
		return "—"
	}
	dec, _ := numberStyle(lang)
	return strings.Replace(r.String(), ".", dec, 1)
}

// bpsPercent shows basis points as a percentage with two decimals.
func bpsPercent(lang string, bps int64) string { return amountText(lang, bps, 2) + "%" }

func ratOfRate(r money.Rate) *big.Rat {
	x, ok := new(big.Rat).SetString(r.String())
	if !ok {
		return new(big.Rat)
	}
	return x
}

// spreadBps is (ask − bid) / mid in basis points, rounded half up: the cost
// of a round trip through one bank, which is what makes banks comparable.
func spreadBps(bid, ask money.Rate) int64 {
	b, a := ratOfRate(bid), ratOfRate(ask)
	mid := new(big.Rat).Add(a, b)
	if mid.Sign() == 0 {
		return 0
	}
	// (a-b) / ((a+b)/2) × 10000 = (a-b) × 20000 / (a+b)
	x := new(big.Rat).Sub(a, b)
	x.Mul(x, big.NewRat(20000, 1))
	x.Quo(x, mid)
	num, den := x.Num(), x.Denom()
	q := new(big.Int).Mul(num, big.NewInt(2))
	q.Add(q, den)
	q.Quo(q, new(big.Int).Mul(den, big.NewInt(2)))
	return q.Int64()
}

// ---------------------------------------------------------------------------
// The board, quotes and conversions.

type boardRow struct {
	Pair, Provider, Bid, Ask, Spread string
	Published, ValidUntil            time.Time
	BestBid, BestAsk, Own            bool
	Unchecked                        bool // published with no reference rate to check it against
}

func (p *Pages) boardRows(v *View, rates []fx.Rate, names *identity.OrgNames) ([]boardRow, time.Time) {
	type best struct{ bid, ask *big.Rat }
	bests := map[fx.Pair]*best{}
	for _, r := range rates {
		b, a := ratOfRate(r.Bid), ratOfRate(r.Ask)
		x, ok := bests[r.Pair]
		if !ok {
			bests[r.Pair] = &best{b, a}
			continue
		}
		if b.Cmp(x.bid) > 0 {
			x.bid = b
		}
		if a.Cmp(x.ask) < 0 {
			x.ask = a
		}
	}
	var latest time.Time
	rows := make([]boardRow, len(rates))
	for i, r := range rates {
		x := bests[r.Pair]
		many := 0
		for _, o := range rates {
			if o.Pair == r.Pair {
				many++
			}
		}
		rows[i] = boardRow{Pair: r.Pair.String(), Provider: names.Name(r.Provider), Bid: rateText(v.Lang, r.Bid), Ask: rateText(v.Lang, r.Ask), Unchecked: r.Flag == fx.FlagNoReference,
			Spread: bpsPercent(v.Lang, spreadBps(r.Bid, r.Ask)), Published: r.PublishedAt, ValidUntil: r.ValidUntil,
			BestBid: many > 1 && ratOfRate(r.Bid).Cmp(x.bid) == 0, BestAsk: many > 1 && ratOfRate(r.Ask).Cmp(x.ask) == 0,
			Own: v.Principal != nil && r.Provider == v.Principal.OrgID}
		if r.PublishedAt.After(latest) {
			latest = r.PublishedAt
		}
	}
	return rows, latest
}

// quoteForm is what the quote form held.
type quoteForm struct{ Sell, Buy, SellAmount, BuyAmount string }

type legView struct {
	N                                                                 int
	Provider, Pair, Side, Rate, In, Fee, Out, InCurrency, OutCurrency string
}

type feeView struct{ Provider, Amount, Currency string }

type quoteView struct {
	ID, Sell, Buy, SellAmount, BuyAmount, Rate string
	Fixed                                      string
	Legs                                       []legView
	Fees                                       []feeView
	ExpiresAt                                  time.Time
	Seconds                                    int
	Expired, Used                              bool
	USD                                        bool
	USDAmount, USDBuy, Saving, SavingPct       string
	Better                                     bool
	From, To                                   []accountRow
	// ReSellAmount and ReBuyAmount ask again for the same conversion once
	// the quote has expired (the fixed side only, in the API's grammar).
	ReSellAmount, ReBuyAmount string
}

type transferView struct {
	Role, Amount, Currency, From, To string
	Result                           *resultView
}

type conversionView struct {
	Sell, Buy, SellAmount, BuyAmount, From, To string
	Transfers                                  []transferView
	At                                         time.Time
}

type fxState struct {
	status     int
	formErr    error
	form       quoteForm
	quote      *fx.Quote
	conversion *fx.Conversion
	convert    struct{ From, To string }
}

// FXBoard is the exchange page: the rates board, the quote form and, for
// organisations that hold accounts, conversion and currency exposure.
func (p *Pages) FXBoard(w http.ResponseWriter, r *http.Request) {
	p.renderFX(w, r, fxState{status: http.StatusOK, form: quoteForm{Sell: "KZT", Buy: "CNY"}})
}

// canHoldAccounts says whether the route table lets p use accounts, which
// is what converting and exposure need.
func (p *Pages) canHoldAccounts(pr *identity.Principal) bool {
	return p.CanVisit == nil || p.CanVisit(pr, "/accounts")
}

func (p *Pages) quoteView(v *View, r *http.Request, q *fx.Quote, names *identity.OrgNames) *quoteView {
	pr := v.Principal
	qv := &quoteView{ID: q.ID, Sell: q.Sell, Buy: q.Buy, SellAmount: p.amount(v.Lang, q.Sell, q.SellAmount),
		BuyAmount: p.amount(v.Lang, q.Buy, q.BuyAmount), Rate: rateText(v.Lang, q.EffectiveRate), Fixed: string(q.Fixed),
		ExpiresAt: q.ExpiresAt, Used: !q.UsedAt.IsZero()}
	if q.Fixed == fx.FixedBuy {
		qv.ReBuyAmount = money.FormatAmount(q.BuyAmount, p.exponent(q.Buy))
	} else {
		qv.ReSellAmount = money.FormatAmount(q.SellAmount, p.exponent(q.Sell))
	}
	if err := p.FX.Usable(*q); err != nil && !qv.Used {
		qv.Expired = true
	}
	if left := time.Until(q.ExpiresAt); left > 0 {
		qv.Seconds = int(left.Round(time.Second) / time.Second)
	}
	for _, l := range q.Legs {
		side := v.T("fx.side.sell_base")
		if l.Side == fx.BuyBase {
			side = v.T("fx.side.buy_base")
		}
		qv.Legs = append(qv.Legs, legView{N: len(qv.Legs) + 1, Provider: names.Name(l.Provider), Pair: l.Pair.String(), Side: side, Rate: rateText(v.Lang, l.Rate),
			In: p.amount(v.Lang, l.InCurrency, l.In), Fee: p.amount(v.Lang, l.InCurrency, l.Fee), Out: p.amount(v.Lang, l.OutCurrency, l.Out),
			InCurrency: l.InCurrency, OutCurrency: l.OutCurrency})
	}
	for _, f := range fx.FeesOf(q.Legs) {
		qv.Fees = append(qv.Fees, feeView{Provider: names.Name(f.Provider), Amount: p.amount(v.Lang, f.Currency, f.Amount), Currency: f.Currency})
	}
	if u := q.USD; u.Available {
		qv.USD = true
		qv.USDAmount = p.amount(v.Lang, fx.USD, u.USDAmount)
		qv.USDBuy = p.amount(v.Lang, q.Buy, u.BuyAmount)
		qv.Saving = p.amount(v.Lang, q.Buy, u.Saving)
		qv.SavingPct = bpsPercent(v.Lang, u.SavingBps)
		qv.Better = u.Saving >= 0
		// No chart: two bars of what each route delivers looked equal for
		// a 1% difference; the difference itself is the figure above.
	}
	if p.canHoldAccounts(pr) {
		if accts, err := p.listAccounts(r, pr, pr.OrgID); err == nil {
			for i := range accts {
				a := &accts[i]
				if a.Closed {
					continue
				}
				if a.Currency == q.Sell {
					qv.From = append(qv.From, p.accountRow(v, a))
				}
				if a.Currency == q.Buy {
					qv.To = append(qv.To, p.accountRow(v, a))
				}
			}
		}
	}
	return qv
}

func (p *Pages) renderFX(w http.ResponseWriter, r *http.Request, st fxState) {
	pr := identity.FromContext(r.Context())
	ctx := r.Context()
	v := p.view(w, r, "fx.title", nil)
	status := st.status
	if st.formErr != nil {
		status = p.formFail(v, st.formErr, "fx.field.", map[string]string{"from_account_id": "from_account", "to_account_id": "to_account"})
		if errors.Is(st.formErr, fx.ErrNoRoute) {
			v.Error = v.T("fx.no_route", strings.ToUpper(st.form.Sell), strings.ToUpper(st.form.Buy))
		}
	}
	names := p.orgNames(r)
	data := map[string]any{"Form": st.form, "Currencies": p.townCurrencies(), "Convert": st.convert,
		"CanConvert": p.canHoldAccounts(pr), "CanPublish": p.CanVisit == nil || p.CanVisit(pr, "/fx/publish")}
	if st.quote != nil {
		data["Quote"] = p.quoteView(v, r, st.quote, names)
	}
	if c := st.conversion; c != nil {
		cv := &conversionView{Sell: c.Sell, Buy: c.Buy, SellAmount: p.amount(v.Lang, c.Sell, c.SellAmount),
			BuyAmount: p.amount(v.Lang, c.Buy, c.BuyAmount), From: c.FromAccountID, To: c.ToAccountID, At: c.ExecutedAt}
		legs := make([]ledger.Transfer, len(c.Transfers))
		for i, t := range c.Transfers {
			legs[i] = t.Transfer
		}
		parties, _ := p.Ledger.Parties(ctx, pr, legs) // without names the legs show their ids' tails
		for _, t := range c.Transfers {
			dr, cr := t.Transfer.DebitAccount, t.Transfer.CreditAccount
			cv.Transfers = append(cv.Transfers, transferView{Role: v.T("fx.role." + t.Role), Amount: p.amount(v.Lang, t.Transfer.Currency, t.Transfer.Amount),
				Currency: t.Transfer.Currency, From: p.partyName(v, names, parties[dr], dr), To: p.partyName(v, names, parties[cr], cr),
				Result: p.result(v, t.Result)})
		}
		data["Conversion"] = cv
	}
	if r.Header.Get("HX-Request") == "true" {
		// htmx swaps only successful answers, so the card (with its field
		// messages) always comes back as 200.
		data["Partial"] = true
		v.Data = data
		p.renderPartial(w, r, "fx", "quotecard", v)
		return
	}
	rates, err := p.FX.Board(ctx, pr)
	if err != nil {
		p.Error(w, r, statusOfErr(err), err)
		return
	}
	rows, latest := p.boardRows(v, rates, names)
	data["Board"], data["Latest"] = rows, latest
	if p.canHoldAccounts(pr) {
		if e, err := p.FX.OrgExposure(ctx, pr); err == nil {
			data["Exposure"] = p.exposureView(v, e)
		} else {
			p.Log.WarnContext(ctx, "fx exposure", "err", err)
		}
	}
	v.Data = data
	p.render(w, r, status, "fx", v)
}

type exposureRow struct {
	Currency, Amount, Value, Via string
}

func (p *Pages) exposureView(v *View, e fx.Exposure) map[string]any {
	var rows, unvalued []exposureRow
	var slices_ []chart.Slice
	for _, x := range e.Valued {
		rows = append(rows, exposureRow{Currency: x.Currency, Amount: p.amount(v.Lang, x.Currency, x.Amount), Value: p.amount(v.Lang, e.Home, x.Value), Via: x.Via})
		if x.Value > 0 {
			slices_ = append(slices_, chart.Slice{Label: x.Currency, Value: x.Value})
		}
	}
	for _, x := range e.Unvalued {
		unvalued = append(unvalued, exposureRow{Currency: x.Currency, Amount: p.amount(v.Lang, x.Currency, x.Amount)})
	}
	out := map[string]any{"Home": e.Home, "Rows": rows, "Unvalued": unvalued, "Total": p.amount(v.Lang, e.Home, e.Total)}
	if len(slices_) > 0 {
		homeExp := p.exponent(e.Home)
		out["Chart"] = chart.Donut{
			Options: chart.Options{Width: 420, Height: 240, Title: v.T("fx.exposure_chart", e.Home), HideTitle: true, ID: "exposure",
				NoData: v.T("chart.no_data"), Table: &chart.TableText{Key: v.T("ref.currency"), Value: e.Home, Share: "%"}},
			Slices:      slices_,
			FormatValue: func(x int64) string { return amountText(v.Lang, x, homeExp) },
			CenterLabel: e.Home,
		}.HTML()
	}
	return out
}

// FXQuote prices a conversion and shows the quote (as a partial for htmx).
func (p *Pages) FXQuote(w http.ResponseWriter, r *http.Request) {
	pr := identity.FromContext(r.Context())
	if err := r.ParseForm(); err != nil {
		p.Error(w, r, http.StatusBadRequest, problem.New(problem.Malformed, "bad form"))
		return
	}
	lang := p.view(w, r, "fx.title", nil).Lang
	form := quoteForm{Sell: strings.ToUpper(strings.TrimSpace(r.PostFormValue("sell"))), Buy: strings.ToUpper(strings.TrimSpace(r.PostFormValue("buy"))),
		SellAmount: strings.TrimSpace(r.PostFormValue("sell_amount")), BuyAmount: strings.TrimSpace(r.PostFormValue("buy_amount"))}
	req := fx.QuoteRequest{Sell: form.Sell, Buy: form.Buy}
	f := problem.Fields{}
	parse := func(field, ccy, s string) int64 {
		if s == "" {
			return 0
		}
		c, ok := p.Ref.Currency(ccy)
		if !ok || !c.IsMoney() {
			return 0 // the currency's own error says it
		}
		v, err := money.ParsePositive(amountInput(lang, s), c.MinorUnits)
		if err != nil {
			f.Add(field, problem.MessageOf(err))
		}
		return v
	}
	req.SellAmount = parse("sell_amount", form.Sell, form.SellAmount)
	req.BuyAmount = parse("buy_amount", form.Buy, form.BuyAmount)
	for field, ccy := range map[string]string{"sell": form.Sell, "buy": form.Buy} {
		if c, ok := p.Ref.Currency(ccy); !ok || !c.IsMoney() {
			f.Add(field, "choose a currency")
		}
	}
	if form.SellAmount != "" && form.BuyAmount != "" {
		f.Add("sell_amount", "give exactly one of sell_amount and buy_amount")
	}
	if err := f.Err("the quote request is not valid"); err != nil {
		p.renderFX(w, r, fxState{formErr: err, form: form})
		return
	}
	q, err := p.FX.Quote(r.Context(), pr, req)
	if err != nil {
		p.renderFX(w, r, fxState{formErr: err, form: form})
		return
	}
	p.renderFX(w, r, fxState{status: http.StatusOK, form: form, quote: &q})
}

// FXConvert executes a quote between two of the organisation's accounts.
func (p *Pages) FXConvert(w http.ResponseWriter, r *http.Request) {
	pr := identity.FromContext(r.Context())
	ctx := r.Context()
	if err := r.ParseForm(); err != nil {
		p.Error(w, r, http.StatusBadRequest, problem.New(problem.Malformed, "bad form"))
		return
	}
	req := fx.ConvertRequest{QuoteID: strings.TrimSpace(r.PostFormValue("quote_id")),
		FromAccountID: strings.TrimSpace(r.PostFormValue("from_account")), ToAccountID: strings.TrimSpace(r.PostFormValue("to_account"))}
	q, err := p.FX.GetQuote(ctx, pr, req.QuoteID)
	if err != nil {
		p.renderFX(w, r, fxState{formErr: &problem.Error{Code: problem.NotFound, Message: "no such quote", Err: err,
			Fields: map[string]string{"quote_id": "quote_not_found"}}})
		return
	}
	st := fxState{form: quoteForm{Sell: q.Sell, Buy: q.Buy}, quote: &q}
	st.convert.From, st.convert.To = req.FromAccountID, req.ToAccountID
	if q.Fixed == fx.FixedBuy {
		st.form.BuyAmount = money.FormatAmount(q.BuyAmount, p.exponent(q.Buy))
	} else {
		st.form.SellAmount = money.FormatAmount(q.SellAmount, p.exponent(q.Sell))
	}
	c, err := p.FX.Convert(ctx, pr, req)
	if err != nil {
		if problem.CodeOf(err) == problem.Internal {
			p.Log.ErrorContext(ctx, "fx convert", "err", err)
		}
		st.formErr = err
		if q2, err := p.FX.GetQuote(ctx, pr, q.ID); err == nil {
			st.quote = &q2
		}
		p.renderFX(w, r, st)
		return
	}
	if q2, err := p.FX.GetQuote(ctx, pr, q.ID); err == nil {
		st.quote = &q2
	}
	st.status, st.conversion = http.StatusOK, &c
	p.renderFX(w, r, st)
}

// ---------------------------------------------------------------------------
// A bank's publishing page.

type rateForm struct{ Base, Quote, Bid, Ask, ValidUntil string }

type fixedRow struct{ Currency, Amount string }

// Field is the form field (and the service's field) of the row.
func (f fixedRow) Field() string { return "fixed." + f.Currency }

type feeForm struct {
	Bps                    string
	Fixed                  []fixedRow
	NewCurrency, NewAmount string
}

type pubState struct {
	status  int
	formErr error
	which   string // "rate" or "fee": the form the error belongs to
	rate    rateForm
	fee     *feeForm
}

// FXPublish is a bank's page to publish prices and set its fee.
func (p *Pages) FXPublish(w http.ResponseWriter, r *http.Request) {
	p.renderPublish(w, r, pubState{status: http.StatusOK, rate: rateForm{Base: "KZT", Quote: "CNY"}})
}

type historyRow struct {
	Pair, Bid, Ask, Spread string
	Published, ValidUntil  time.Time
}

func (p *Pages) renderPublish(w http.ResponseWriter, r *http.Request, st pubState) {
	pr := identity.FromContext(r.Context())
	ctx := r.Context()
	v := p.view(w, r, "fxpub.title", nil)
	status := st.status
	if st.formErr != nil {
		status = p.formFail(v, st.formErr, "fxpub.field.", nil)
		// A price outside the reference band: say which band, in the
		// user's language, instead of the generic field help.
		var be *fx.BandError
		if errors.As(st.formErr, &be) {
			msg := v.T("fxpub.band", bpsPercent(v.Lang, be.BandBps), rateText(v.Lang, be.Mid), be.Pair.String(), be.Date, rateText(v.Lang, be.Low), rateText(v.Lang, be.High))
			for _, k := range []string{"bid", "ask"} {
				if _, bad := v.Fields[k]; bad {
					v.Fields[k] = msg
				}
			}
		}
	}
	rates, err := p.FX.Board(ctx, pr)
	if err != nil {
		p.Error(w, r, statusOfErr(err), err)
		return
	}
	names := p.orgNames(r)
	var mine []fx.Rate
	for _, x := range rates {
		if x.Provider == pr.OrgID {
			mine = append(mine, x)
		}
	}
	rows, _ := p.boardRows(v, mine, names)
	var hist []historyRow
	for _, x := range mine {
		h, err := p.FX.History(ctx, pr, x.Pair.String(), pr.OrgID, 20)
		if err != nil {
			continue
		}
		for _, y := range h {
			hist = append(hist, historyRow{Pair: y.Pair.String(), Bid: rateText(v.Lang, y.Bid), Ask: rateText(v.Lang, y.Ask),
				Spread: bpsPercent(v.Lang, spreadBps(y.Bid, y.Ask)), Published: y.PublishedAt, ValidUntil: y.ValidUntil})
		}
	}
	slices.SortStableFunc(hist, func(a, b historyRow) int { return b.Published.Compare(a.Published) })
	if len(hist) > 50 {
		hist = hist[:50]
	}
	fee, err := p.FX.Fee(ctx, pr, pr.OrgID)
	if err != nil {
		p.Error(w, r, statusOfErr(err), err)
		return
	}
	ff := st.fee
	if ff == nil {
		ff = &feeForm{Bps: strconv.FormatInt(fee.Bps, 10)}
		for _, c := range slices.Sorted(maps.Keys(fee.Fixed)) {
			ff.Fixed = append(ff.Fixed, fixedRow{c, money.FormatAmount(fee.Fixed[c], p.exponent(c))})
		}
	}
	var fixedNow []string
	for _, c := range slices.Sorted(maps.Keys(fee.Fixed)) {
		fixedNow = append(fixedNow, p.amount(v.Lang, c, fee.Fixed[c])+" "+c)
	}
	var done string
	switch r.URL.Query().Get("done") {
	case "rate":
		done = v.T("fxpub.rate_published")
	case "fee":
		done = v.T("fxpub.fee_saved")
	}
	v.Data = map[string]any{"Rates": rows, "History": hist, "Fee": fee, "FeeBps": bpsPercent(v.Lang, fee.Bps), "FeeForm": ff,
		"RateForm": st.rate, "Which": st.which, "Currencies": p.townCurrencies(), "Done": done, "Bank": names.Name(pr.OrgID),
		"MaxBps": fx.MaxFeeBps, "FixedNow": fixedNow}
	p.render(w, r, status, "fxpublish", v)
}

// FXPublishRate publishes the bank's price on a pair.
func (p *Pages) FXPublishRate(w http.ResponseWriter, r *http.Request) {
	pr := identity.FromContext(r.Context())
	if err := r.ParseForm(); err != nil {
		p.Error(w, r, http.StatusBadRequest, problem.New(problem.Malformed, "bad form"))
		return
	}
	lang := p.view(w, r, "fxpub.title", nil).Lang
	form := rateForm{Base: strings.ToUpper(strings.TrimSpace(r.PostFormValue("base"))), Quote: strings.ToUpper(strings.TrimSpace(r.PostFormValue("quote"))),
		Bid: strings.TrimSpace(r.PostFormValue("bid")), Ask: strings.TrimSpace(r.PostFormValue("ask")), ValidUntil: strings.TrimSpace(r.PostFormValue("valid_until"))}
	in := fx.NewRate{Pair: form.Base + "/" + form.Quote, Bid: amountInput(lang, form.Bid), Ask: amountInput(lang, form.Ask)}
	if form.ValidUntil != "" {
		t, ok := parseWhen(form.ValidUntil)
		if !ok {
			p.renderPublish(w, r, pubState{which: "rate", rate: form, formErr: &problem.Error{Code: problem.Invalid, Message: "the rate is not valid",
				Fields: map[string]string{"valid_until": "not a date and time"}}})
			return
		}
		in.ValidUntil = t
	}
	if _, err := p.FX.PublishRate(r.Context(), pr, in); err != nil {
		p.renderPublish(w, r, pubState{which: "rate", rate: form, formErr: err})
		return
	}
	http.Redirect(w, r, "/fx/publish?done=rate", http.StatusSeeOther)
}

// FXSetFee sets the bank's fee schedule.
func (p *Pages) FXSetFee(w http.ResponseWriter, r *http.Request) {
	pr := identity.FromContext(r.Context())
	if err := r.ParseForm(); err != nil {
		p.Error(w, r, http.StatusBadRequest, problem.New(problem.Malformed, "bad form"))
		return
	}
	lang := p.view(w, r, "fxpub.title", nil).Lang
	form := &feeForm{Bps: strings.TrimSpace(r.PostFormValue("bps")), NewCurrency: strings.ToUpper(strings.TrimSpace(r.PostFormValue("fixed_currency"))),
		NewAmount: strings.TrimSpace(r.PostFormValue("fixed_amount"))}
	f := problem.Fields{}
	in := fx.NewFee{Fixed: map[string]money.Amount{}}
	if form.Bps != "" {
		bps, err := strconv.ParseInt(form.Bps, 10, 64)
		if err != nil {
			f.Add("bps", "must be a whole number of basis points")
		}
		in.Bps = bps
	}
	var keys []string
	for k := range r.PostForm {
		if strings.HasPrefix(k, "fixed.") {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	fixed := func(field, ccy, s string) {
		c, ok := p.Ref.Currency(ccy)
		if !ok || !c.IsMoney() {
			f.Add(field, "not a currency")
			return
		}
		amt, err := money.ParseAmount(amountInput(lang, s), c.MinorUnits)
		if err != nil {
			f.Add(field, problem.MessageOf(err))
			return
		}
		if amt > 0 {
			in.Fixed[c.Code] = amt
		} else {
			delete(in.Fixed, c.Code)
		}
	}
	for _, k := range keys {
		ccy, s := strings.TrimPrefix(k, "fixed."), strings.TrimSpace(r.PostFormValue(k))
		form.Fixed = append(form.Fixed, fixedRow{ccy, s})
		if s != "" {
			fixed(k, ccy, s)
		}
	}
	if form.NewAmount != "" {
		fixed("fixed_amount", form.NewCurrency, form.NewAmount)
	}
	if err := f.Err("the fee is not valid"); err != nil {
		p.renderPublish(w, r, pubState{which: "fee", fee: form, formErr: err, rate: rateForm{Base: "KZT", Quote: "CNY"}})
		return
	}
	if _, err := p.FX.SetFee(r.Context(), pr, in); err != nil {
		p.renderPublish(w, r, pubState{which: "fee", fee: form, formErr: err, rate: rateForm{Base: "KZT", Quote: "CNY"}})
		return
	}
	http.Redirect(w, r, "/fx/publish?done=fee", http.StatusSeeOther)
}
