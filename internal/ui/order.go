package ui

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"bricstown/internal/identity"
	"bricstown/internal/ledger"
	"bricstown/internal/market"
	"bricstown/internal/order"
	"bricstown/internal/problem"
)

// The buying pages (issue 11): a buyer posts RFQs, sees the quotes and
// accepts one; a seller sees open RFQs and quotes; both parties follow one
// order page (timeline, escrow in the ledger, the declaration and the
// shipment drafted from it) and act on it. Every action calls the same
// order.Service method as the API.

type orderRFQRow struct {
	ID, Goods, HS, Qty, Dest, Incoterm, Deadline, Status, Buyer, OrderID string
	Quotes                                                               int
}

type orderQuoteRow struct {
	ID, Seller, Price, Amount, MOQ, Incoterm, Origin, Valid, Note string
	CanAccept                                                     bool
}

type orderRow struct {
	ID, Goods, Party, Amount, Status, StatusClass, Created string
}

type orderEventRow struct{ At, What, Who, Detail string }

func (p *Pages) orderOff(w http.ResponseWriter, r *http.Request) bool {
	if p.Order == nil {
		p.Error(w, r, http.StatusServiceUnavailable, problem.New(problem.Unavailable, "buying is not available"))
		return true
	}
	return false
}

func (p *Pages) money(lang string, v int64, ccy string) string {
	return amountText(lang, v, p.exponent(ccy)) + " " + ccy
}

func day(t time.Time) string { return t.UTC().Format("2006-01-02 15:04") }

func (p *Pages) rfqRow(v *View, names *identity.OrgNames, x order.RFQ) orderRFQRow {
	return orderRFQRow{ID: x.ID, Goods: x.Goods, HS: x.HS, Qty: strconv.FormatInt(x.Quantity, 10) + " " + v.T("market.unit."+x.Unit), Dest: x.Destination,
		Incoterm: x.Incoterm, Deadline: day(x.Deadline), Status: v.T("order_rfq_status_" + string(x.Status)), Buyer: names.Name(x.BuyerOrg),
		OrderID: x.OrderID, Quotes: x.Quotes}
}

func (p *Pages) orderRows(v *View, names *identity.OrgNames, list []order.Order, seller bool) []orderRow {
	out := make([]orderRow, 0, len(list))
	for _, o := range list {
		party := o.SellerOrg
		if seller {
			party = o.BuyerOrg
		}
		out = append(out, orderRow{ID: o.ID, Goods: o.Goods, Party: names.Name(party), Amount: p.money(v.Lang, o.Amount, o.Currency),
			Status: v.T("order_status_" + string(o.Status)), StatusClass: string(o.Status), Created: day(o.CreatedAt)})
	}
	return out
}

// OrderHome lists the caller's RFQs, open RFQs of others, its quotes and
// its orders as buyer and as seller, with the form to post an RFQ.
func (p *Pages) OrderHome(w http.ResponseWriter, r *http.Request) {
	if p.orderOff(w, r) {
		return
	}
	v := p.view(w, r, "order_title", nil)
	p.renderOrderHome(w, r, v, http.StatusOK)
}

func (p *Pages) renderOrderHome(w http.ResponseWriter, r *http.Request, v *View, status int) {
	ctx := r.Context()
	pr := identity.FromContext(ctx)
	mine, err := p.Order.MyRFQs(ctx, pr)
	if err != nil {
		p.Error(w, r, statusOfErr(err), err)
		return
	}
	open, _ := p.Order.OpenRFQs(ctx, pr)
	quotes, _ := p.Order.MyQuotes(ctx, pr)
	bought, _ := p.Order.Orders(ctx, pr, "buyer")
	sold, _ := p.Order.Orders(ctx, pr, "seller")
	names := p.orgNames(r)
	var mr, or []orderRFQRow
	for _, x := range mine {
		mr = append(mr, p.rfqRow(v, names, x))
	}
	for _, x := range open {
		or = append(or, p.rfqRow(v, names, x))
	}
	var qr []orderQuoteRow
	for _, q := range quotes {
		qr = append(qr, orderQuoteRow{ID: q.RFQID, Seller: names.Name(q.BuyerOrg), Price: p.money(v.Lang, q.UnitPrice, q.Currency),
			Amount: p.money(v.Lang, q.Amount, q.Currency), Valid: day(q.ValidUntil), Incoterm: q.Incoterm})
	}
	v.Data = map[string]any{"MyRFQs": mr, "OpenRFQs": or, "Quotes": qr, "Bought": p.orderRows(v, names, bought, false),
		"Sold": p.orderRows(v, names, sold, true), "Units": market.Units, "Incoterms": market.Incoterms,
		"Deadline": time.Now().UTC().AddDate(0, 0, 7).Format(time.DateOnly)}
	p.render(w, r, status, "orders", v)
}

// OrderPostRFQ posts an RFQ from the form.
func (p *Pages) OrderPostRFQ(w http.ResponseWriter, r *http.Request) {
	if p.orderOff(w, r) {
		return
	}
	pr := identity.FromContext(r.Context())
	qty, _ := strconv.ParseInt(strings.TrimSpace(r.PostFormValue("quantity")), 10, 64)
	rfq, err := p.Order.PostRFQ(r.Context(), pr, order.RFQInput{ProductID: r.PostFormValue("product_id"), Goods: r.PostFormValue("goods"),
		HS: r.PostFormValue("hs"), Quantity: qty, Unit: r.PostFormValue("unit"), Destination: r.PostFormValue("destination"),
		Incoterm: r.PostFormValue("incoterm"), Deadline: r.PostFormValue("deadline")})
	if err != nil {
		v := p.view(w, r, "order_title", nil)
		status := p.formFail(v, err, "order_field_", nil)
		p.renderOrderHome(w, r, v, status)
		return
	}
	p.redirectDone(w, r, "/market/rfqs/"+rfq.ID, "order_done_rfq")
}

// OrderRFQPage shows an RFQ: the buyer its quotes with "accept", a seller
// the form to quote.
func (p *Pages) OrderRFQPage(w http.ResponseWriter, r *http.Request) {
	if p.orderOff(w, r) {
		return
	}
	v := p.view(w, r, "order_rfq_title", nil)
	p.renderRFQ(w, r, v, http.StatusOK)
}

func (p *Pages) renderRFQ(w http.ResponseWriter, r *http.Request, v *View, status int) {
	ctx := r.Context()
	pr := identity.FromContext(ctx)
	x, qs, err := p.Order.RFQ(ctx, pr, r.PathValue("id"))
	if err != nil {
		p.Error(w, r, statusOfErr(err), err)
		return
	}
	names := p.orgNames(r)
	buyer := x.BuyerOrg == pr.OrgID
	now := time.Now()
	var rows []orderQuoteRow
	for _, q := range qs {
		rows = append(rows, orderQuoteRow{ID: q.ID, Seller: names.Name(q.SellerOrg), Price: p.money(v.Lang, q.UnitPrice, q.Currency),
			Amount: p.money(v.Lang, q.Amount, q.Currency), MOQ: strconv.FormatInt(q.MOQ, 10), Incoterm: q.Incoterm, Origin: q.Origin,
			Valid: day(q.ValidUntil), Note: q.Note, CanAccept: buyer && x.Status == order.RFQOpen && now.Before(q.ValidUntil)})
	}
	v.Data = map[string]any{"R": p.rfqRow(v, names, x), "Quotes": rows, "Buyer": buyer,
		"CanQuote": !buyer && x.Status == order.RFQOpen && now.Before(x.Deadline), "Incoterms": market.Incoterms,
		"Valid": now.UTC().AddDate(0, 0, 14).Format(time.DateOnly)}
	p.render(w, r, status, "orderrfq", v)
}

// OrderQuote submits a quote on the RFQ.
func (p *Pages) OrderQuote(w http.ResponseWriter, r *http.Request) {
	if p.orderOff(w, r) {
		return
	}
	pr := identity.FromContext(r.Context())
	moq, _ := strconv.ParseInt(strings.TrimSpace(r.PostFormValue("moq")), 10, 64)
	_, err := p.Order.SubmitQuote(r.Context(), pr, r.PathValue("id"), order.QuoteInput{UnitPrice: r.PostFormValue("unit_price"),
		Currency: r.PostFormValue("currency"), MOQ: moq, Incoterm: r.PostFormValue("incoterm"), Origin: r.PostFormValue("origin"),
		ValidUntil: r.PostFormValue("valid_until"), Note: r.PostFormValue("note")})
	if err != nil {
		v := p.view(w, r, "order_rfq_title", nil)
		status := p.formFail(v, err, "order_field_", nil)
		p.renderRFQ(w, r, v, status)
		return
	}
	p.redirectDone(w, r, "/market/rfqs/"+r.PathValue("id"), "order_done_quote")
}

// OrderAccept accepts a quote: the order page follows.
func (p *Pages) OrderAccept(w http.ResponseWriter, r *http.Request) {
	if p.orderOff(w, r) {
		return
	}
	pr := identity.FromContext(r.Context())
	o, err := p.Order.AcceptQuote(r.Context(), pr, r.PathValue("id"))
	if err != nil {
		v := p.view(w, r, "order_title", nil)
		status := p.formFail(v, err, "order_field_", nil)
		p.renderOrderHome(w, r, v, status)
		return
	}
	p.redirectDone(w, r, "/market/orders/"+o.ID, "order_done_accepted")
}

// OrderPage is the one page both parties follow an order on.
func (p *Pages) OrderPage(w http.ResponseWriter, r *http.Request) {
	if p.orderOff(w, r) {
		return
	}
	v := p.view(w, r, "order_page_title", nil)
	p.renderOrder(w, r, v, http.StatusOK)
}

// orderAccounts are the caller's own accounts in ccy (payer: those that
// cannot go below zero, the order's currency first, then the others, which
// the FX desk converts from).
func (p *Pages) orderAccounts(r *http.Request, pr *identity.Principal, lang, ccy string, payer bool) []optionView {
	if p.Ledger == nil {
		return nil
	}
	list, err := p.listAccounts(r, pr, "")
	if err != nil {
		return nil
	}
	var out, others []optionView
	for i := range list {
		a := &list[i]
		if (a.Currency != ccy && !payer) || a.Closed || a.OrgID != pr.OrgID || a.Flags&ledger.System != 0 {
			continue
		}
		if payer && (a.Flags&ledger.DebitsMustNotExceedCredits == 0 || a.Kind.DebitNormal()) {
			continue
		}
		text := a.Code
		if a.Name != "" {
			text = a.Name
		}
		opt := optionView{ID: a.ID.String(), Text: text + " — " + p.money(lang, a.Available(), a.Currency)}
		if a.Currency != ccy {
			others = append(others, opt)
			continue
		}
		out = append(out, opt)
	}
	return append(out, others...)
}

func (p *Pages) renderOrder(w http.ResponseWriter, r *http.Request, v *View, status int) {
	ctx := r.Context()
	pr := identity.FromContext(ctx)
	o, err := p.Order.Get(ctx, pr, r.PathValue("id"))
	if err != nil {
		p.Error(w, r, statusOfErr(err), err)
		return
	}
	names := p.orgNames(r)
	var events []orderEventRow
	for _, e := range o.Events {
		events = append(events, orderEventRow{At: day(e.At), What: v.T("order_ev_" + e.Kind), Who: names.Name(e.Org), Detail: e.Detail})
	}
	buyer, seller := o.Role == "buyer", o.Role == "seller"
	now := time.Now()
	data := map[string]any{"O": o, "Role": v.T("order_role_" + o.Role), "Buyer": names.Name(o.BuyerOrg), "Seller": names.Name(o.SellerOrg),
		"Status": v.T("order_status_" + string(o.Status)), "Amount": p.money(v.Lang, o.Amount, o.Currency), "Fee": p.money(v.Lang, o.Fee, o.Currency),
		"Payout": p.money(v.Lang, o.Amount-o.Fee, o.Currency), "FXPaid": fxPaid(p, v.Lang, o.FX), "UnitName": v.T("market.unit." + o.Unit), "Unit": p.money(v.Lang, o.UnitPrice, o.Currency), "Events": events,
		"Escrow": v.T("order_escrow_" + o.Escrow.State), "Modes": []string{"road", "rail", "air", "sea", "multimodal"},
		"CanPay":     buyer && o.Status == order.Accepted,
		"CanConfirm": seller && o.Status == order.Paid && pr.Has(identity.Trader),
		"CanShip":    seller && o.Status == order.Confirmed,
		"CanDeliver": buyer && o.Status == order.Shipped,
		"CanRelease": seller && o.Status == order.Shipped && now.After(o.DisputeUntil),
		"CanDispute": buyer && o.Status == order.Shipped && !now.After(o.DisputeUntil),
		"CanCancel":  buyer && (o.Status == order.Accepted || o.Status == order.Paid) || seller && (o.Status == order.Accepted || o.Status == order.Paid || o.Status == order.Confirmed || o.Status == order.Shipped),
		"CanRule":    o.Role == "operator" && order.CanRule(pr) && o.Status == order.Disputed,
		"CanReview":  buyer && o.Status == order.Released && !o.Reviewed}
	if !o.DisputeUntil.IsZero() {
		data["Window"] = day(o.DisputeUntil)
	}
	if data["CanPay"] == true {
		data["Accounts"] = p.orderAccounts(r, pr, v.Lang, o.Currency, true)
	}
	if data["CanConfirm"] == true {
		data["PayTo"] = p.orderAccounts(r, pr, v.Lang, o.Currency, false)
	}
	v.Data = data
	p.render(w, r, status, "order", v)
}

// OrderAct performs one step of an order from its page.
func (p *Pages) OrderAct(w http.ResponseWriter, r *http.Request) {
	if p.orderOff(w, r) {
		return
	}
	ctx := r.Context()
	pr := identity.FromContext(ctx)
	id := r.PathValue("id")
	num := func(name string) int64 {
		n, _ := strconv.ParseInt(strings.TrimSpace(r.PostFormValue(name)), 10, 64)
		return n
	}
	var err error
	switch act := r.PathValue("act"); act {
	case "pay":
		_, err = p.Order.Pay(ctx, pr, id, order.PayInput{PayFrom: r.PostFormValue("pay_from")})
	case "confirm":
		_, err = p.Order.Confirm(ctx, pr, id, order.ConfirmInput{PayTo: r.PostFormValue("pay_to"), ShipFrom: r.PostFormValue("ship_from"),
			BorderPost: r.PostFormValue("border_post"), Mode: r.PostFormValue("mode"), GrossKg: num("gross_kg"), NetKg: num("net_kg")})
	case "ship":
		_, err = p.Order.Ship(ctx, pr, id)
	case "deliver":
		_, err = p.Order.ConfirmDelivery(ctx, pr, id)
	case "release":
		_, err = p.Order.SellerRelease(ctx, pr, id)
	case "cancel":
		_, err = p.Order.Cancel(ctx, pr, id, order.CancelInput{Reason: r.PostFormValue("reason")})
	case "dispute":
		_, err = p.Order.OpenDispute(ctx, pr, id, order.DisputeInput{Reason: r.PostFormValue("reason")})
	case "rule":
		_, err = p.Order.Rule(ctx, pr, id, order.RuleInput{For: r.PostFormValue("for"), Note: r.PostFormValue("note")})
	case "review":
		stars, _ := strconv.Atoi(strings.TrimSpace(r.PostFormValue("stars")))
		_, err = p.Order.AddReview(ctx, pr, id, order.ReviewInput{Stars: stars, Text: r.PostFormValue("text")})
	default:
		err = problem.New(problem.NotFound, "no such action")
	}
	if err != nil {
		v := p.view(w, r, "order_page_title", nil)
		status := p.formFail(v, err, "order_field_", nil)
		if problem.Is(err, problem.NotFound) {
			p.Error(w, r, statusOfErr(err), err)
			return
		}
		p.renderOrder(w, r, v, status)
		return
	}
	p.redirectDone(w, r, "/market/orders/"+id, "order_done_"+r.PathValue("act"))
}

// orderCounts are the buying and selling work on a trader's home.
func (p *Pages) orderCounts(v *View, w *order.Work) []homeCount {
	return []homeCount{
		counted(v, "h-order-pay", "order_home_to_pay", w.ToPay, false, "/market/rfqs#bought-h", w.ToPay > 0),
		counted(v, "h-order-receive", "order_home_to_receive", w.ToReceive, false, "/market/rfqs#bought-h", w.ToReceive > 0),
		counted(v, "h-order-confirm", "order_home_to_confirm", w.ToConfirm, false, "/market/rfqs#sold-h", w.ToConfirm > 0),
		counted(v, "h-order-ship", "order_home_to_ship", w.ToShip, false, "/market/rfqs#sold-h", w.ToShip > 0),
		counted(v, "h-order-rfqs", "order_home_open_rfqs", w.OpenRFQs, false, "/market/rfqs#open-h", false),
	}
}

// fxPaid is what left the buyer's account of an order paid across
// currencies ("" otherwise).
func fxPaid(p *Pages, lang string, c *order.Conversion) string {
	if c == nil {
		return ""
	}
	return p.money(lang, c.SellAmount, c.Sell)
}
