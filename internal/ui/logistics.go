package ui

import (
	"context"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"bricstown/internal/chart"
	"bricstown/internal/customs"
	"bricstown/internal/home"
	"bricstown/internal/identity"
	"bricstown/internal/logistics"
	"bricstown/internal/money"
	"bricstown/internal/problem"
)

// The logistics pages: a carrier's departures (filtered, paged, published
// and edited, with a utilisation chart per departure) and the shipments on
// them with the form that reports their journey; a trader's shipments
// (entered, optionally from one of its declarations, booked on the best
// route or a chosen chain, cancelled) and each shipment's page with its
// timeline, its route on a map of the corridor and a customs hold banner
// that follows the declaration live; the dispatcher's run for the platform
// administrator. Every page calls the same service methods as the API, and
// the counts of the work on the homes come from internal/home's reads,
// which these pages use too.

type departureRow struct {
	ID, Mode, Route, RouteTitle, Border, Depart, Arrive, TEU, Kg, PriceTEU, PriceKg, Handling, Carrier string
	Utilisation                                                                                        int // percent of the TEU (else kg) capacity booked
	Soon                                                                                               bool
}

type shipmentRow struct {
	ID, Reference, Route, RouteTitle, Size, Status, ETA, Reason, Hold, Owner string
	CanBook, CanCancel, Awaiting                                             bool
}

func (p *Pages) logisticsOff(w http.ResponseWriter, r *http.Request) bool {
	if p.Logistics == nil {
		p.Error(w, r, http.StatusServiceUnavailable, problem.New(problem.Unavailable, "logistics is not available"))
		return true
	}
	return false
}

func isCarrier(pr *identity.Principal) bool {
	return pr != nil && pr.OrgKind == identity.KindLogisticsOperator && pr.Has(identity.Carrier)
}

// placeName is a UN/LOCODE place as people read it: its published name.
func (p *Pages) placeName(code string) string {
	if l, ok := p.Ref.Location(code); ok && l.Name != "" {
		return l.Name
	}
	return code
}

// placeFull is a place's name with its country's name in lang.
func (p *Pages) placeFull(code, lang string) string {
	if l, ok := p.Ref.Location(code); ok && l.Name != "" {
		return l.Name + ", " + p.countryName(l.Country, lang)
	}
	return code
}

func (p *Pages) routeText(from, to string) string {
	return p.placeName(from) + " → " + p.placeName(to)
}

func utilisation(booked, capacity int64) int {
	if capacity <= 0 {
		return 0
	}
	return int((booked*100 + capacity/2) / capacity) // half up, as the chart
}

func (p *Pages) departureRow(v *View, d *logistics.Departure, names *identity.OrgNames, now time.Time) departureRow {
	exp, _ := p.Ref.MoneyExponent(d.Currency)
	row := departureRow{ID: d.ID, Mode: v.T("logistics.mode." + string(d.Mode)), Route: p.routeText(d.From, d.To),
		RouteTitle: d.From + " → " + d.To, Depart: when(d.DepartAt), Arrive: when(d.ArriveAt),
		TEU: fmt.Sprintf("%d / %d", d.BookedTEU, d.CapacityTEU), Kg: fmt.Sprintf("%s / %s", amountText(v.Lang, d.BookedKg, 0), amountText(v.Lang, d.CapacityKg, 0)),
		PriceTEU: amountText(v.Lang, d.PricePerTEU, exp) + " " + d.Currency, PriceKg: amountText(v.Lang, d.PricePerKg, exp) + " " + d.Currency,
		Soon: d.DepartAt.After(now) && d.DepartAt.Before(now.Add(home.Soon))}
	if d.BorderPost != "" {
		row.Border = p.placeFull(d.BorderPost, v.Lang)
	}
	if names != nil {
		row.Carrier = names.Name(d.CarrierOrg)
	}
	if d.CapacityTEU > 0 {
		row.Utilisation = utilisation(d.BookedTEU, d.CapacityTEU)
	} else {
		row.Utilisation = utilisation(d.BookedKg, d.CapacityKg)
	}
	var h []string
	if d.Reefer {
		h = append(h, v.T("logistics.reefer"))
	}
	if d.DangerousGoods {
		h = append(h, v.T("logistics.dangerous_goods"))
	}
	row.Handling = strings.Join(h, ", ")
	return row
}

// holdText says why customs holds a shipment's goods, from the reason
// logistics reports (customs' SPS status or the declaration's status).
func (p *Pages) holdText(v *View, reason string) string {
	if reason == string(customs.SPSHeld) {
		return v.T("logistics.hold.sps")
	}
	st := reason
	if p.has("customs.status." + reason) {
		st = v.T("customs.status." + reason)
	}
	return v.T("logistics.hold.status", st)
}

// shipFind is the shipments list's filters: the status and the search
// text (the service's filters), or one of the work lists the homes count
// (held at the border, awaiting the carrier's event), and the cursor.
type shipFind struct {
	Q, Status, View, After string
}

func (f shipFind) Filtered() bool { return f.Q != "" || f.Status != "" || f.View != "" }

func (f shipFind) link(after string) string {
	q := url.Values{}
	for k, x := range map[string]string{"q": f.Q, "status": f.Status, "view": f.View, "after": after} {
		if x != "" {
			q.Set(k, x)
		}
	}
	return q.Encode()
}

// depFind is the departures list's filters.
type depFind struct {
	From, To, After string
	All, Soon       bool // Soon: only those leaving within home.Soon
}

func (f depFind) Filtered() bool { return f.From != "" || f.To != "" || f.All || f.Soon }

func (f depFind) link(after string) string {
	q := url.Values{}
	for k, x := range map[string]string{"dfrom": f.From, "dto": f.To, "dafter": after} {
		if x != "" {
			q.Set(k, x)
		}
	}
	if f.All {
		q.Set("dall", "1")
	}
	return q.Encode()
}

// logisticsPage is a list's paging links.
type logisticsPager struct {
	Next, First template.URL
	Paged       bool
}

const logisticsPageSize = 50

type declOption struct{ ID, Text string }

// LogisticsPage shows a carrier's departures and the shipments on them, a
// trader's shipments, each with its filters, paging and forms.
func (p *Pages) LogisticsPage(w http.ResponseWriter, r *http.Request) {
	p.renderLogistics(w, r, http.StatusOK, "", nil)
}

func (p *Pages) renderLogistics(w http.ResponseWriter, r *http.Request, status int, which string, formErr error) {
	if p.logisticsOff(w, r) {
		return
	}
	ctx := r.Context()
	pr := identity.FromContext(ctx)
	v := p.view(w, r, "logistics.title", nil)
	if formErr != nil {
		status = p.formFail(v, formErr, "logistics.field.", nil)
		v.Here = "/logistics"
	}
	carrier, trader := isCarrier(pr), pr.Has(identity.Trader)
	names := p.orgNames(r)
	now := time.Now()
	q := r.URL.Query()
	data := map[string]any{"Carrier": carrier, "Trader": trader, "Which": which, "Currency": p.Logistics.Currency(),
		"Modes": logistics.Modes, "Statuses": []logistics.ShipmentStatus{logistics.Open, logistics.Booked, logistics.InTransit, logistics.Delivered}}
	sf := shipFind{Q: strings.TrimSpace(q.Get("q")), Status: q.Get("status"), View: q.Get("view"), After: q.Get("after")}
	if !slices.Contains([]string{"", "open", "booked", "in_transit", "delivered"}, sf.Status) {
		sf.Status = ""
	}
	if !slices.Contains([]string{"", "held", "awaiting"}, sf.View) {
		sf.View = ""
	}
	data["ShipFind"] = sf
	var only []string // the ids of a work list
	if carrier {
		work, err := home.CarrierWork(ctx, p.Logistics, pr, now)
		if err != nil {
			p.Error(w, r, statusOfErr(err), err)
			return
		}
		data["Work"] = p.carrierCounts(v, &work)
		df := depFind{From: strings.ToUpper(strings.TrimSpace(q.Get("dfrom"))), To: strings.ToUpper(strings.TrimSpace(q.Get("dto"))), All: q.Get("dall") == "1", After: q.Get("dafter")}
		data["DepFind"] = df
		deps, err := p.Logistics.Departures(ctx, pr, logistics.DepartureFilter{CarrierOrg: pr.OrgID, From: df.From, To: df.To, All: df.All,
			After: df.After, Limit: logisticsPageSize + 1})
		if err != nil {
			p.Error(w, r, statusOfErr(err), err)
			return
		}
		if q.Get("dview") == "soon" {
			// The home's "leaving soon": exactly the departures it counted.
			df.Soon = true
			data["DepFind"] = df
			deps = deps[:0]
			for _, id := range work.LeavingSoon {
				if d, err := p.Logistics.Departure(ctx, pr, id); err == nil {
					deps = append(deps, d)
				}
			}
		}
		var pg logisticsPager
		if len(deps) > logisticsPageSize {
			deps = deps[:logisticsPageSize]
			pg.Next = template.URL("/logistics?" + df.link(deps[len(deps)-1].ID))
		}
		if df.After != "" {
			pg.Paged, pg.First = true, template.URL("/logistics?"+df.link(""))
		}
		rows := make([]departureRow, 0, len(deps))
		for i := range deps {
			rows = append(rows, p.departureRow(v, &deps[i], nil, now))
		}
		data["Departures"], data["DepPager"] = rows, pg
		if sf.View == "awaiting" {
			only = work.Awaiting
		}
	}
	if trader {
		work, err := home.ShipmentsWork(ctx, p.Logistics, pr)
		if err != nil {
			p.Error(w, r, statusOfErr(err), err)
			return
		}
		data["Shipping"] = p.shippingCounts(v, &work)
		if sf.View == "held" {
			only = work.Held
		}
		decls, err := p.declOptions(ctx, pr)
		if err != nil {
			p.Error(w, r, statusOfErr(err), err)
			return
		}
		data["Decls"] = decls
	}
	if carrier || trader {
		var list []logistics.Shipment
		var pg logisticsPager
		if sf.View != "" {
			for _, id := range only {
				if v, err := p.Logistics.Shipment(ctx, pr, id); err == nil {
					list = append(list, v.Shipment)
				}
			}
		} else {
			var err error
			list, err = p.Logistics.SearchShipments(ctx, pr, logistics.ShipmentFind{Status: logistics.ShipmentStatus(sf.Status), Q: sf.Q,
				After: sf.After, Limit: logisticsPageSize + 1})
			switch {
			case problem.CodeOf(err) == problem.Invalid:
				// A search the service refuses is the reader's to correct,
				// beside its box; the rest of the page stands.
				status = p.formFail(v, err, "logistics.field.", nil)
			case err != nil:
				p.Error(w, r, statusOfErr(err), err)
				return
			}
			if len(list) > logisticsPageSize {
				list = list[:logisticsPageSize]
				pg.Next = template.URL("/logistics?" + sf.link(list[len(list)-1].ID))
			}
			if sf.After != "" {
				pg.Paged, pg.First = true, template.URL("/logistics?"+sf.link(""))
			}
		}
		rows := make([]shipmentRow, 0, len(list))
		for _, s := range list {
			rows = append(rows, p.shipmentRow(ctx, v, pr, &s, names))
		}
		data["Shipments"], data["ShipPager"] = rows, pg
	}
	v.Data = data
	p.render(w, r, status, "logistics", v)
}

func (p *Pages) shipmentRow(ctx context.Context, v *View, pr *identity.Principal, s *logistics.Shipment, names *identity.OrgNames) shipmentRow {
	row := shipmentRow{ID: s.ID, Reference: s.Reference, Route: p.routeText(s.Origin, s.Destination), RouteTitle: s.Origin + " → " + s.Destination,
		Size: v.T("logistics.size", s.TEU, s.Kg), Status: v.T("logistics.status." + string(s.Status)),
		CanBook: s.Status == logistics.Open && s.OwnerOrg == pr.OrgID && pr.Has(identity.Trader), CanCancel: s.Status == logistics.Booked && s.OwnerOrg == pr.OrgID && pr.Has(identity.Trader)}
	if row.Reference == "" {
		row.Reference = v.T("logistics.no_reference")
	}
	if s.OwnerOrg != pr.OrgID {
		row.Owner = names.Name(s.OwnerOrg)
	}
	if s.UnassignedReason != "" && s.Status == logistics.Open {
		row.Reason = p.reasonText(v, s.UnassignedReason)
	}
	if sv, err := p.Logistics.Shipment(ctx, pr, s.ID); err == nil {
		if sv.Tracking != nil && !sv.Tracking.Delivered {
			row.ETA = when(sv.Tracking.ETA)
		}
		if sv.CustomsHold && s.Status != logistics.Delivered {
			row.Hold = p.holdText(v, sv.HoldReason)
		}
		row.Awaiting = isCarrier(pr) && len(home.NextEvents(&sv, pr.OrgID)) > 0
	}
	return row
}

func (p *Pages) reasonText(v *View, reason string) string {
	if p.has("logistics.reason." + reason) {
		return v.T("logistics.reason." + reason)
	}
	return v.T("logistics.reason.other")
}

func (p *Pages) carrierCounts(v *View, c *home.Carrier) []homeCount {
	return []homeCount{
		{ID: "lw-soon", Text: v.TN("logistics.work.soon", len(c.LeavingSoon)), Href: "/logistics?dview=soon#departures-h", Attention: len(c.LeavingSoon) > 0},
		{ID: "lw-awaiting", Text: v.TN("logistics.work.awaiting", len(c.Awaiting)), Href: "/logistics?view=awaiting#shipments-h", Attention: len(c.Awaiting) > 0},
		{ID: "lw-util", Text: v.T("logistics.work.utilisation", utilisation(c.BookedTEU, c.CapacityTEU), utilisation(c.BookedKg, c.CapacityKg), c.Departures)},
	}
}

func (p *Pages) shippingCounts(v *View, s *home.Shipping) []homeCount {
	return []homeCount{
		{ID: "lw-transit", Text: v.TN("logistics.work.in_transit", len(s.InTransit)), Href: "/logistics?status=in_transit#shipments-h"},
		{ID: "lw-held", Text: v.TN("logistics.work.held", len(s.Held)), Href: "/logistics?view=held#shipments-h", Attention: len(s.Held) > 0},
	}
}

// declOptions are the trader's declarations a shipment can come from, by
// their reference (newest first), so nobody pastes an id.
func (p *Pages) declOptions(ctx context.Context, pr *identity.Principal) ([]declOption, error) {
	if p.Customs == nil || customs.AuthorityOf(pr) != customs.ByDeclarant {
		return nil, nil
	}
	list, err := p.Customs.List(ctx, pr, customs.Query{DeclarantOrg: pr.OrgID, Newest: true, Limit: 200})
	if err != nil {
		return nil, err
	}
	out := make([]declOption, 0, len(list))
	for _, d := range list {
		if d.Status == customs.StatusDraft {
			continue
		}
		ref := d.FunctionalReferenceID
		if ref == "" {
			ref = shortID(d.ID)
		}
		out = append(out, declOption{ID: d.ID, Text: ref + " · " + d.BorderPost})
	}
	return out, nil
}

// formTime reads a datetime-local field (UTC) into RFC 3339; anything
// else is passed on for the service to refuse.
func formTime(s string) string {
	s = strings.TrimSpace(s)
	if t, err := time.Parse("2006-01-02T15:04", s); err == nil {
		return t.UTC().Format(time.RFC3339)
	}
	return s
}

// formInt reads a whole number; what is not one becomes -1, which the
// service refuses with the field named.
func formInt(s string) int64 {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0
	}
	var n int64
	if _, err := fmt.Sscan(s, &n); err != nil || fmt.Sprint(n) != s {
		return -1
	}
	return n
}

// departureForm reads the publish and edit forms.
func (p *Pages) departureForm(r *http.Request, lang string) (logistics.DepartureInput, error) {
	cur := p.Logistics.Currency()
	exp, _ := p.Ref.MoneyExponent(cur)
	f := problem.Fields{}
	price := func(field string) int64 {
		s := strings.TrimSpace(r.PostFormValue(field))
		if s == "" {
			return 0
		}
		a, err := money.ParseAmount(amountInput(lang, s), exp)
		if err != nil {
			f.Add(field, problem.MessageOf(err))
		}
		return int64(a)
	}
	in := logistics.DepartureInput{Mode: r.PostFormValue("mode"), From: r.PostFormValue("from"), To: r.PostFormValue("to"),
		BorderPost: r.PostFormValue("border_post"), DepartAt: formTime(r.PostFormValue("depart_at")), ArriveAt: formTime(r.PostFormValue("arrive_at")),
		CapacityTEU: formInt(r.PostFormValue("capacity_teu")), CapacityKg: formInt(r.PostFormValue("capacity_kg")), Currency: cur,
		PricePerTEU: price("price_per_teu"), PricePerKg: price("price_per_kg"),
		Reefer: r.PostFormValue("reefer") != "", DangerousGoods: r.PostFormValue("dangerous_goods") != ""}
	in.Version, _ = strconv.ParseInt(r.PostFormValue("version"), 10, 64)
	return in, f.Err("the departure is not valid")
}

// LogisticsPublish publishes a departure from the carrier's form.
func (p *Pages) LogisticsPublish(w http.ResponseWriter, r *http.Request) {
	if p.logisticsOff(w, r) {
		return
	}
	if err := r.ParseForm(); err != nil {
		p.Error(w, r, http.StatusBadRequest, problem.New(problem.Malformed, "bad form"))
		return
	}
	lang := p.view(w, r, "logistics.title", nil).Lang
	in, err := p.departureForm(r, lang)
	if err == nil {
		_, err = p.Logistics.PublishDeparture(r.Context(), identity.FromContext(r.Context()), in)
	}
	if err != nil {
		p.renderLogistics(w, r, 0, "departure", err)
		return
	}
	p.redirectDone(w, r, "/logistics", "done.logistics_published")
}

// LogisticsShipment enters a shipment from the trader's form.
func (p *Pages) LogisticsShipment(w http.ResponseWriter, r *http.Request) {
	if p.logisticsOff(w, r) {
		return
	}
	if err := r.ParseForm(); err != nil {
		p.Error(w, r, http.StatusBadRequest, problem.New(problem.Malformed, "bad form"))
		return
	}
	in := logistics.ShipmentInput{Reference: r.PostFormValue("reference"), Origin: r.PostFormValue("origin"), Destination: r.PostFormValue("destination"),
		ReadyAt: formTime(r.PostFormValue("ready_at")), Deadline: formTime(r.PostFormValue("deadline")),
		TEU: formInt(r.PostFormValue("teu")), Kg: formInt(r.PostFormValue("kg")), DeclarationID: r.PostFormValue("declaration_id"),
		Reefer: r.PostFormValue("reefer") != "", DangerousGoods: r.PostFormValue("dangerous_goods") != ""}
	sh, err := p.Logistics.CreateShipment(r.Context(), identity.FromContext(r.Context()), in)
	if err != nil {
		p.renderLogistics(w, r, 0, "shipment", err)
		return
	}
	p.redirectDone(w, r, "/logistics/shipments/"+sh.ID, "done.logistics_shipment")
}

// backTo is where a shipment's action returns: its page when the form was
// on it, else the list.
func backTo(r *http.Request, id string) string {
	if r.PostFormValue("back") == "shipment" {
		return "/logistics/shipments/" + url.PathEscape(id)
	}
	return "/logistics"
}

func (p *Pages) changed(r *http.Request, action, id string) {
	if p.ShipmentChanged != nil {
		p.ShipmentChanged(r.Context(), identity.FromContext(r.Context()), action, id)
	}
}

// LogisticsBook books a shipment on the best route, or on the chain of
// departures the trader ticked (put in travel order by departure time).
func (p *Pages) LogisticsBook(w http.ResponseWriter, r *http.Request) {
	if p.logisticsOff(w, r) {
		return
	}
	_ = r.ParseForm()
	id := r.PathValue("id")
	in := logistics.BookInput{}
	if r.PostFormValue("route") == "chain" {
		ids := r.PostForm["departure_id"]
		if len(ids) == 0 {
			v := p.view(w, r, "logistics.shipment_title", nil)
			fieldFail(v, "departure_ids", "logistics.field.pick_departures")
			p.renderShipment(w, r, v, http.StatusBadRequest, "book")
			return
		}
		type dep struct {
			id string
			at time.Time
		}
		var deps []dep
		for _, d := range ids {
			at := time.Time{}
			if dd, err := p.Logistics.Departure(r.Context(), identity.FromContext(r.Context()), d); err == nil {
				at = dd.DepartAt
			}
			deps = append(deps, dep{d, at})
		}
		slices.SortStableFunc(deps, func(a, b dep) int { return a.at.Compare(b.at) })
		for _, d := range deps {
			in.DepartureIDs = append(in.DepartureIDs, d.id)
		}
	}
	if _, err := p.Logistics.Book(r.Context(), identity.FromContext(r.Context()), id, in); err != nil {
		p.actionFail(w, r, id, "book", err)
		return
	}
	p.changed(r, "booked", id)
	p.redirectDone(w, r, backTo(r, id), "done.logistics_booked")
}

// actionFail shows a refused action on the page its form was on.
func (p *Pages) actionFail(w http.ResponseWriter, r *http.Request, id, which string, err error) {
	if r.PostFormValue("back") != "shipment" {
		p.renderLogistics(w, r, 0, "book", err)
		return
	}
	v := p.view(w, r, "logistics.shipment_title", nil)
	status := p.formFail(v, err, "logistics.field.", nil)
	p.renderShipment(w, r, v, status, which)
}

// LogisticsCancel cancels a shipment's booking.
func (p *Pages) LogisticsCancel(w http.ResponseWriter, r *http.Request) {
	if p.logisticsOff(w, r) {
		return
	}
	_ = r.ParseForm()
	id := r.PathValue("id")
	if _, err := p.Logistics.CancelBooking(r.Context(), identity.FromContext(r.Context()), id); err != nil {
		p.actionFail(w, r, id, "book", err)
		return
	}
	p.changed(r, "cancelled", id)
	p.redirectDone(w, r, backTo(r, id), "done.logistics_cancelled")
}

// LogisticsEvent records a tracking event from the carrier's form on the
// shipment page. A refusal says, in the reader's words, what may come next
// or that customs holds the goods.
func (p *Pages) LogisticsEvent(w http.ResponseWriter, r *http.Request) {
	if p.logisticsOff(w, r) {
		return
	}
	_ = r.ParseForm()
	id := r.PathValue("id")
	pr := identity.FromContext(r.Context())
	in := logistics.EventInput{DepartureID: r.PostFormValue("departure_id"), Kind: r.PostFormValue("kind"), Note: r.PostFormValue("note")}
	if at := strings.TrimSpace(r.PostFormValue("at")); at != "" {
		in.At = formTime(at)
	}
	if _, err := p.Logistics.RecordEvent(r.Context(), pr, id, in); err != nil {
		v := p.view(w, r, "logistics.shipment_title", nil)
		status := p.formFail(v, err, "logistics.field.", nil)
		if problem.CodeOf(err) == problem.Conflict {
			if sv, e2 := p.Logistics.Shipment(r.Context(), pr, id); e2 == nil {
				v.Fields = map[string]string{"kind": p.refusalText(v, &sv, pr, in)}
				v.Error = v.Fields["kind"]
			}
		}
		if problem.CodeOf(err) == problem.NotFound || problem.CodeOf(err) == problem.Forbidden {
			p.Error(w, r, statusOfErr(err), err)
			return
		}
		p.renderShipment(w, r, v, status, "event")
		return
	}
	p.changed(r, "event", id)
	p.redirectDone(w, r, "/logistics/shipments/"+url.PathEscape(id), "done.logistics_event")
}

// refusalText explains a refused event: customs holds the goods, or the
// events that may come next on the leg.
func (p *Pages) refusalText(v *View, sv *logistics.ShipmentView, pr *identity.Principal, in logistics.EventInput) string {
	if logistics.EventKind(in.Kind) == logistics.EvBorderCrossed && sv.CustomsHold {
		return v.T("logistics.refused.hold", p.holdText(v, sv.HoldReason))
	}
	for _, l := range home.NextEvents(sv, pr.OrgID) {
		if l.DepartureID == in.DepartureID {
			return v.T("logistics.refused.order", p.kindList(v, l.Kinds))
		}
	}
	return v.T("logistics.refused.nothing")
}

func (p *Pages) kindList(v *View, kinds []logistics.EventKind) string {
	out := make([]string, len(kinds))
	for i, k := range kinds {
		out[i] = v.T("logistics.event." + string(k))
	}
	return strings.Join(out, v.T("logistics.or"))
}

// ---------------------------------------------------------------------------
// A departure's page.

// LogisticsDeparture shows one of the carrier's departures: its figures,
// its utilisation chart and the form that changes it.
func (p *Pages) LogisticsDeparture(w http.ResponseWriter, r *http.Request) {
	v := p.view(w, r, "logistics.departure_title", nil)
	p.renderDeparture(w, r, v, http.StatusOK)
}

func (p *Pages) renderDeparture(w http.ResponseWriter, r *http.Request, v *View, status int) {
	if p.logisticsOff(w, r) {
		return
	}
	ctx := r.Context()
	pr := identity.FromContext(ctx)
	id := r.PathValue("id")
	d, err := p.Logistics.Departure(ctx, pr, id)
	if err == nil && d.CarrierOrg != pr.OrgID {
		err = problem.New(problem.NotFound, "no such departure")
	}
	if err != nil {
		p.Error(w, r, statusOfErr(err), err)
		return
	}
	v.Here = "/logistics/departures/" + url.PathEscape(id)
	now := time.Now()
	row := p.departureRow(v, &d, nil, now)
	exp, _ := p.Ref.MoneyExponent(d.Currency)
	edit := map[string]string{"mode": string(d.Mode), "from": d.From, "to": d.To, "border_post": d.BorderPost,
		"depart_at": d.DepartAt.UTC().Format("2006-01-02T15:04"), "arrive_at": d.ArriveAt.UTC().Format("2006-01-02T15:04"),
		"capacity_teu": strconv.FormatInt(d.CapacityTEU, 10), "capacity_kg": strconv.FormatInt(d.CapacityKg, 10),
		"price_per_teu": amountText(v.Lang, d.PricePerTEU, exp), "price_per_kg": amountText(v.Lang, d.PricePerKg, exp), "reefer": "", "dangerous_goods": ""}
	if d.Reefer {
		edit["reefer"] = "1"
	}
	if d.DangerousGoods {
		edit["dangerous_goods"] = "1"
	}
	if v.Posted != nil {
		for k := range edit {
			edit[k] = v.Posted.Get(k)
		}
	}
	v.Data = map[string]any{"Dep": row, "D": d, "Edit": edit, "Modes": logistics.Modes, "Currency": d.Currency,
		"CanEdit": d.DepartAt.After(now), "Chart": p.utilisationChart(v, &d), "From": p.placeFull(d.From, v.Lang), "To": p.placeFull(d.To, v.Lang)}
	p.render(w, r, status, "logisticsdep", v)
}

// utilisationChart compares what is booked on a departure with what is
// free, in TEU and in kilograms, as shares of each capacity (a departure
// may sell only one of them; a capacity of zero is left out).
func (p *Pages) utilisationChart(v *View, d *logistics.Departure) template.HTML {
	var cats []string
	var booked, free []int64
	if d.CapacityTEU > 0 {
		u := int64(utilisation(d.BookedTEU, d.CapacityTEU))
		cats, booked, free = append(cats, v.T("logistics.chart.teu", d.BookedTEU, d.CapacityTEU)), append(booked, u), append(free, 100-u)
	}
	if d.CapacityKg > 0 {
		u := int64(utilisation(d.BookedKg, d.CapacityKg))
		cats = append(cats, v.T("logistics.chart.kg", amountText(v.Lang, d.BookedKg, 0), amountText(v.Lang, d.CapacityKg, 0)))
		booked, free = append(booked, u), append(free, 100-u)
	}
	return chart.Bar{
		Options: chart.Options{Width: 520, Height: 220, Title: v.T("logistics.chart.title"), HideTitle: true, Desc: v.T("logistics.chart.desc"),
			NoData: v.T("chart.no_data"), ID: "dep-util", Colors: []string{chart.Palette()[0], "#c9ced6"},
			Table: &chart.TableText{Key: v.T("logistics.chart.capacity")}},
		Categories:  cats,
		Series:      []chart.BarSeries{{Name: v.T("logistics.chart.booked"), Values: booked}, {Name: v.T("logistics.chart.free"), Values: free}},
		Stacked:     true,
		ShowValues:  false,
		FormatValue: func(x int64) string { return strconv.FormatInt(x, 10) + " %" },
	}.HTML()
}

// LogisticsUpdate changes a departure from its page's form.
func (p *Pages) LogisticsUpdate(w http.ResponseWriter, r *http.Request) {
	if p.logisticsOff(w, r) {
		return
	}
	if err := r.ParseForm(); err != nil {
		p.Error(w, r, http.StatusBadRequest, problem.New(problem.Malformed, "bad form"))
		return
	}
	v := p.view(w, r, "logistics.departure_title", nil)
	id := r.PathValue("id")
	in, err := p.departureForm(r, v.Lang)
	if err == nil {
		_, err = p.Logistics.UpdateDeparture(r.Context(), identity.FromContext(r.Context()), id, in)
	}
	if err != nil {
		if c := problem.CodeOf(err); c == problem.NotFound || c == problem.Forbidden {
			p.Error(w, r, statusOfErr(err), err)
			return
		}
		status := p.formFail(v, err, "logistics.field.", nil)
		p.renderDeparture(w, r, v, status)
		return
	}
	p.redirectDone(w, r, "/logistics/departures/"+url.PathEscape(id), "done.logistics_updated")
}

// ---------------------------------------------------------------------------
// A shipment's page.

type shipLegView struct {
	N                                        int
	Route, RouteTitle, Mode, Carrier, Border string
	Depart, Arrive, ExpDepart, ExpArrive     string
	Delayed, Done, Held                      bool
	Events                                   []shipEventView
}

type shipEventView struct {
	Kind, At, Note, Class string
}

type eventForm struct {
	Leg         int
	DepartureID string
	Route       string
	Kinds       []eventKindOption
}

type eventKindOption struct {
	Value, Text string
	Next        bool
}

// LogisticsShipmentPage shows one shipment: its timeline, its route on the
// corridor's map, the customs hold banner that follows the declaration
// live, and the actions its reader may take.
func (p *Pages) LogisticsShipmentPage(w http.ResponseWriter, r *http.Request) {
	v := p.view(w, r, "logistics.shipment_title", nil)
	p.renderShipment(w, r, v, http.StatusOK, "")
}

// LogisticsShipmentLive answers the shipment page's live part (hold banner,
// ETA and timeline), fetched again by htmx whenever the shipment's event
// stream says something changed.
func (p *Pages) LogisticsShipmentLive(w http.ResponseWriter, r *http.Request) {
	if p.logisticsOff(w, r) {
		return
	}
	v := p.view(w, r, "logistics.shipment_title", nil)
	data, err := p.shipmentData(r, v)
	if err != nil {
		p.Error(w, r, statusOfErr(err), err)
		return
	}
	v.Data = data
	p.customsPartial(w, r, "logisticsship", "shiplive", http.StatusOK, v)
}

func (p *Pages) renderShipment(w http.ResponseWriter, r *http.Request, v *View, status int, which string) {
	if p.logisticsOff(w, r) {
		return
	}
	data, err := p.shipmentData(r, v)
	if err != nil {
		p.Error(w, r, statusOfErr(err), err)
		return
	}
	data["Which"] = which
	v.Here = "/logistics/shipments/" + url.PathEscape(r.PathValue("id"))
	v.Data = data
	p.render(w, r, status, "logisticsship", v)
}

func (p *Pages) shipmentData(r *http.Request, v *View) (map[string]any, error) {
	ctx := r.Context()
	pr := identity.FromContext(ctx)
	sv, err := p.Logistics.Shipment(ctx, pr, r.PathValue("id"))
	if err != nil {
		return nil, err
	}
	names := p.orgNames(r)
	owner := sv.OwnerOrg == pr.OrgID && pr.Has(identity.Trader)
	data := map[string]any{"S": sv, "Owner": owner, "Route": p.routeText(sv.Origin, sv.Destination),
		"Origin": p.placeFull(sv.Origin, v.Lang), "Destination": p.placeFull(sv.Destination, v.Lang),
		"Size": v.T("logistics.size", sv.TEU, sv.Kg), "Status": v.T("logistics.status." + string(sv.Status)),
		"Ready": when(sv.ReadyAt), "Deadline": when(sv.Deadline), "OwnerName": names.Name(sv.OwnerOrg),
		"ListLink": p.CanVisit == nil || p.CanVisit(pr, "/logistics")}
	if sv.Reference != "" {
		data["Reference"] = sv.Reference
	}
	if sv.CustomsHold && sv.Status != logistics.Delivered {
		data["Hold"] = p.holdText(v, sv.HoldReason)
		data["HoldReason"] = sv.HoldReason
	}
	if sv.DeclarationID != "" {
		data["DeclRef"] = shortID(sv.DeclarationID)
		if p.Customs != nil {
			if d, err := p.Customs.Get(ctx, pr, sv.DeclarationID); err == nil && d.FunctionalReferenceID != "" {
				data["DeclRef"] = d.FunctionalReferenceID
			}
		}
		if v.CanOpen("/customs/"+sv.DeclarationID) && owner {
			data["DeclHref"] = "/customs/" + sv.DeclarationID
		}
	}
	if sv.UnassignedReason != "" && sv.Status == logistics.Open {
		data["Reason"] = p.reasonText(v, sv.UnassignedReason)
	}
	var legs []shipLegView
	var nodes []mapNode
	var mlegs []mapLeg
	seen := map[string]bool{}
	addNode := func(code string, border bool) {
		if seen[code] {
			return
		}
		l, ok := p.Ref.Location(code)
		if !ok || !l.HasCoords {
			return
		}
		seen[code] = true
		nodes = append(nodes, mapNode{Code: code, Label: p.placeFull(code, v.Lang), Lat: l.Lat, Lon: l.Lon, Border: border})
	}
	if sv.Booking != nil && sv.Tracking != nil {
		exp, _ := p.Ref.MoneyExponent(sv.Booking.Currency)
		data["Cost"] = amountText(v.Lang, sv.Booking.CostMinor, exp) + " " + sv.Booking.Currency
		data["BookedAt"] = when(sv.Booking.BookedAt)
		data["BookedBy"] = v.T("logistics.source." + sv.Booking.Source)
		if !sv.Tracking.Delivered {
			data["ETA"] = when(sv.Tracking.ETA)
			if sv.Tracking.DelayMinutes > 0 {
				data["Delay"] = durationText(v, time.Duration(sv.Tracking.DelayMinutes)*time.Minute)
			}
		}
		for i, lt := range sv.Tracking.Legs {
			lv := shipLegView{N: i + 1, Route: p.routeText(lt.From, lt.To), RouteTitle: lt.From + " → " + lt.To, Mode: v.T("logistics.mode." + string(lt.Mode)),
				Carrier: names.Name(lt.CarrierOrg), Depart: when(lt.ScheduledDepart), Arrive: when(lt.ScheduledArrive),
				ExpDepart: when(lt.ExpectedDepart), ExpArrive: when(lt.ExpectedArrive),
				Delayed: lt.ExpectedArrive.After(lt.ScheduledArrive), Done: lt.Arrived, Held: lt.CustomsHold}
			if lt.BorderPost != "" {
				lv.Border = p.placeFull(lt.BorderPost, v.Lang)
			}
			for _, e := range sv.Events {
				if e.BookingID != sv.Booking.ID || e.Leg != i {
					continue
				}
				ev := shipEventView{Kind: v.T("logistics.event." + string(e.Kind)), At: when(e.At), Note: e.Note}
				if e.Kind == logistics.EvCustomsHold {
					ev.Class = "red"
				}
				lv.Events = append(lv.Events, ev)
			}
			legs = append(legs, lv)
			addNode(lt.From, false)
			if lt.BorderPost != "" {
				addNode(lt.BorderPost, true)
			}
			addNode(lt.To, false)
			mlegs = append(mlegs, mapLeg{From: lt.From, To: lt.To, Border: lt.BorderPost, Done: lt.Arrived,
				Title: v.T("logistics.map.leg", i+1, lv.Route, lv.Mode)})
		}
		if isCarrier(pr) {
			var forms []eventForm
			next := home.NextEvents(&sv, pr.OrgID)
			for i, lt := range sv.Tracking.Legs {
				if lt.CarrierOrg != pr.OrgID {
					continue
				}
				ef := eventForm{Leg: i + 1, DepartureID: lt.DepartureID, Route: legs[i].Route}
				var exp []logistics.EventKind
				for _, n := range next {
					if n.Leg == i {
						exp = n.Kinds
					}
				}
				for _, k := range logistics.EventKinds {
					ef.Kinds = append(ef.Kinds, eventKindOption{Value: string(k), Text: v.T("logistics.event." + string(k)), Next: slices.Contains(exp, k)})
				}
				forms = append(forms, ef)
			}
			data["EventForms"] = forms
		}
	} else {
		addNode(sv.Origin, false)
		addNode(sv.Destination, false)
		mlegs = append(mlegs, mapLeg{From: sv.Origin, To: sv.Destination, Title: data["Route"].(string)})
	}
	data["Legs"] = legs
	if len(nodes) >= 2 {
		desc := v.T("logistics.map.desc", p.placeFull(sv.Origin, v.Lang), p.placeFull(sv.Destination, v.Lang))
		data["Map"] = renderRouteMap(v.T("logistics.map.title"), desc, nodes, mlegs)
	}
	if owner && sv.Status == logistics.Open && sv.Booking == nil {
		deps, err := p.Logistics.Departures(ctx, pr, logistics.DepartureFilter{Limit: 100})
		if err != nil {
			return nil, err
		}
		var rows []departureRow
		for i := range deps {
			d := &deps[i]
			if !d.Accepts(&sv.Shipment) || d.LeftTEU() < sv.TEU || d.LeftKg() < sv.Kg || d.ArriveAt.After(sv.Deadline) {
				continue
			}
			rows = append(rows, p.departureRow(v, d, names, time.Now()))
		}
		data["Choices"] = rows
	}
	return data, nil
}

// ---------------------------------------------------------------------------
// The dispatcher.

type unassignedRow struct {
	ID, Reference, Route, Reason string
}

// LogisticsDispatch shows the dispatcher's page: the open shipments the
// last run left, with their reasons, and the button that runs it.
func (p *Pages) LogisticsDispatch(w http.ResponseWriter, r *http.Request) {
	p.renderDispatch(w, r, http.StatusOK, nil, nil)
}

// LogisticsPlan runs the dispatcher and shows what it did: assigned and
// unassigned shipments (with reasons), the cost, the proven lower bound and
// the gap between them.
func (p *Pages) LogisticsPlan(w http.ResponseWriter, r *http.Request) {
	if p.logisticsOff(w, r) {
		return
	}
	res, err := p.Logistics.Plan(r.Context(), identity.FromContext(r.Context()))
	if err != nil {
		p.renderDispatch(w, r, 0, nil, err)
		return
	}
	for _, b := range res.Bookings {
		p.changed(r, "booked", b.ShipmentID)
	}
	p.renderDispatch(w, r, http.StatusOK, &res, nil)
}

func (p *Pages) renderDispatch(w http.ResponseWriter, r *http.Request, status int, res *logistics.PlanResult, runErr error) {
	if p.logisticsOff(w, r) {
		return
	}
	ctx := r.Context()
	pr := identity.FromContext(ctx)
	v := p.view(w, r, "logistics.dispatch_title", nil)
	v.Here = "/logistics/dispatch"
	if runErr != nil {
		status = p.formFail(v, runErr, "logistics.field.", nil)
	}
	data := map[string]any{}
	row := func(id, reason string) unassignedRow {
		u := unassignedRow{ID: id, Reason: p.reasonText(v, reason)}
		if sv, err := p.Logistics.Shipment(ctx, pr, id); err == nil {
			u.Reference, u.Route = sv.Reference, p.routeText(sv.Origin, sv.Destination)
		}
		if u.Reference == "" {
			u.Reference = v.T("logistics.no_reference")
		}
		return u
	}
	if res != nil {
		exp, _ := p.Ref.MoneyExponent(res.Currency)
		data["Run"] = map[string]any{
			"Shipments": res.Shipments, "Departures": res.Departures, "Assigned": res.Assigned, "Unassigned": len(res.Unassigned),
			"Cost": decimalText(v.Lang, res.Cost, exp) + " " + res.Currency, "Bound": decimalText(v.Lang, res.LowerBound, exp) + " " + res.Currency,
			"Gap": strconv.FormatFloat(res.Gap*100, 'f', 2, 64) + " %"}
		var booked []unassignedRow
		for _, b := range res.Bookings {
			u := row(b.ShipmentID, "")
			u.Reason = amountText(v.Lang, b.CostMinor, exp) + " " + b.Currency
			booked = append(booked, u)
		}
		var left []unassignedRow
		for _, u := range res.Unassigned {
			left = append(left, row(u.ShipmentID, u.Reason))
		}
		data["Booked"], data["Left"] = booked, left
	} else {
		open, err := p.Logistics.Shipments(ctx, pr, logistics.Open, "", 200)
		if err != nil {
			p.Error(w, r, statusOfErr(err), err)
			return
		}
		var left []unassignedRow
		waiting := 0
		for _, s := range open {
			if s.UnassignedReason == "" {
				waiting++
				continue
			}
			left = append(left, row(s.ID, s.UnassignedReason))
		}
		data["Open"], data["Waiting"], data["Left"] = len(open), waiting, left
	}
	v.Data = data
	p.render(w, r, status, "logisticsdispatch", v)
}

// decimalText renders a decimal string (the optimiser's exact cost) in
// lang's number style, rounded half up to the currency's exponent.
func decimalText(lang, s string, exp int) string {
	a, err := money.ParseAmount(roundDecimal(s, exp), exp)
	if err != nil {
		return s
	}
	return amountText(lang, int64(a), exp)
}

func roundDecimal(s string, exp int) string {
	intPart, frac, _ := strings.Cut(s, ".")
	if len(frac) <= exp {
		return s
	}
	up := frac[exp] >= '5'
	frac = frac[:exp]
	out := intPart
	if exp > 0 {
		out += "." + frac
	}
	if !up {
		return out
	}
	// Add one unit in the last place.
	digits := []byte(strings.ReplaceAll(out, ".", ""))
	i := len(digits) - 1
	for ; i >= 0; i-- {
		if digits[i] == '9' {
			digits[i] = '0'
			continue
		}
		if digits[i] >= '0' && digits[i] < '9' {
			digits[i]++
			break
		}
	}
	res := string(digits)
	if i < 0 {
		res = "1" + res
	}
	if exp > 0 {
		res = res[:len(res)-exp] + "." + res[len(res)-exp:]
	}
	return res
}
