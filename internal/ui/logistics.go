package ui

import (
	"fmt"
	"net/http"
	"strings"
	"time"

	"bricstown/internal/identity"
	"bricstown/internal/logistics"
	"bricstown/internal/money"
	"bricstown/internal/problem"
)

// The logistics page: a carrier publishes departures and sees how full
// each one is; a trader enters shipments, books them on the best route or
// cancels the booking, and follows their status and ETA. Both call the
// same service methods as the API.

type departureRow struct {
	ID, Mode, Route, Border, Depart, Arrive, TEU, Kg, PriceTEU, PriceKg, Handling string
	Utilisation                                                                   int // percent of the TEU (else kg) capacity booked
}

type shipmentRow struct {
	ID, Reference, Route, Size, Status, ETA, Reason, Hold string
	CanBook, CanCancel                                    bool
}

func (p *Pages) logisticsOff(w http.ResponseWriter, r *http.Request) bool {
	if p.Logistics == nil {
		p.Error(w, r, http.StatusServiceUnavailable, problem.New(problem.Unavailable, "logistics is not available"))
		return true
	}
	return false
}

// LogisticsPage shows a carrier's departures and a trader's shipments,
// each with its form.
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
	}
	carrier := pr.OrgKind == identity.KindLogisticsOperator && pr.Has(identity.Carrier)
	trader := pr.Has(identity.Trader)
	exp, _ := p.Ref.MoneyExponent(p.Logistics.Currency())
	data := map[string]any{"Carrier": carrier, "Trader": trader, "Which": which, "Currency": p.Logistics.Currency(),
		"Modes": logistics.Modes}
	if carrier {
		deps, err := p.Logistics.Departures(ctx, pr, logistics.DepartureFilter{CarrierOrg: pr.OrgID, Limit: 200})
		if err != nil {
			p.Error(w, r, statusOfErr(err), err)
			return
		}
		rows := make([]departureRow, 0, len(deps))
		for _, d := range deps {
			row := departureRow{ID: d.ID, Mode: v.T("logistics.mode." + string(d.Mode)), Route: d.From + " → " + d.To, Border: d.BorderPost,
				Depart: when(d.DepartAt), Arrive: when(d.ArriveAt),
				TEU: fmt.Sprintf("%d / %d", d.BookedTEU, d.CapacityTEU), Kg: fmt.Sprintf("%d / %d", d.BookedKg, d.CapacityKg),
				PriceTEU: amountText(v.Lang, d.PricePerTEU, exp), PriceKg: amountText(v.Lang, d.PricePerKg, exp)}
			switch {
			case d.CapacityTEU > 0:
				row.Utilisation = int(d.BookedTEU * 100 / d.CapacityTEU)
			case d.CapacityKg > 0:
				row.Utilisation = int(d.BookedKg * 100 / d.CapacityKg)
			}
			var h []string
			if d.Reefer {
				h = append(h, v.T("logistics.reefer"))
			}
			if d.DangerousGoods {
				h = append(h, v.T("logistics.dangerous_goods"))
			}
			row.Handling = strings.Join(h, ", ")
			rows = append(rows, row)
		}
		data["Departures"] = rows
	}
	if trader {
		list, err := p.Logistics.Shipments(ctx, pr, "", "", 100)
		if err != nil {
			p.Error(w, r, statusOfErr(err), err)
			return
		}
		rows := make([]shipmentRow, 0, len(list))
		for _, s := range list {
			if s.OwnerOrg != pr.OrgID {
				continue
			}
			row := shipmentRow{ID: s.ID, Reference: s.Reference, Route: s.Origin + " → " + s.Destination,
				Size: v.T("logistics.size", s.TEU, s.Kg), Status: v.T("logistics.status." + string(s.Status)),
				CanBook: s.Status == logistics.Open, CanCancel: s.Status == logistics.Booked}
			if s.UnassignedReason != "" {
				row.Reason = v.T("logistics.reason." + s.UnassignedReason)
			}
			if sv, err := p.Logistics.Shipment(ctx, pr, s.ID); err == nil {
				if sv.Tracking != nil {
					row.ETA = when(sv.Tracking.ETA)
				}
				if sv.CustomsHold {
					row.Hold = v.T("logistics.customs_hold")
				}
			}
			rows = append(rows, row)
		}
		data["Shipments"] = rows
	}
	v.Data = data
	p.render(w, r, status, "logistics", v)
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
	if err := f.Err("the departure is not valid"); err != nil {
		p.renderLogistics(w, r, 0, "departure", err)
		return
	}
	if _, err := p.Logistics.PublishDeparture(r.Context(), identity.FromContext(r.Context()), in); err != nil {
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
	if _, err := p.Logistics.CreateShipment(r.Context(), identity.FromContext(r.Context()), in); err != nil {
		p.renderLogistics(w, r, 0, "shipment", err)
		return
	}
	p.redirectDone(w, r, "/logistics", "done.logistics_shipment")
}

// LogisticsBook books a shipment on the best route.
func (p *Pages) LogisticsBook(w http.ResponseWriter, r *http.Request) {
	if p.logisticsOff(w, r) {
		return
	}
	if _, err := p.Logistics.Book(r.Context(), identity.FromContext(r.Context()), r.PathValue("id"), logistics.BookInput{}); err != nil {
		p.renderLogistics(w, r, 0, "book", err)
		return
	}
	p.redirectDone(w, r, "/logistics", "done.logistics_booked")
}

// LogisticsCancel cancels a shipment's booking.
func (p *Pages) LogisticsCancel(w http.ResponseWriter, r *http.Request) {
	if p.logisticsOff(w, r) {
		return
	}
	if _, err := p.Logistics.CancelBooking(r.Context(), identity.FromContext(r.Context()), r.PathValue("id")); err != nil {
		p.renderLogistics(w, r, 0, "book", err)
		return
	}
	p.redirectDone(w, r, "/logistics", "done.logistics_cancelled")
}
