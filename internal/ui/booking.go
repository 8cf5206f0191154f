package ui

import (
	"context"
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"bricstown/internal/booking"
	"bricstown/internal/chart"
	"bricstown/internal/identity"
	"bricstown/internal/ledger"
	"bricstown/internal/money"
	"bricstown/internal/problem"

	"github.com/google/uuid"
)

// The booking pages (issue 12): residents and organisations browse the
// town's bookable resources, see a day's or a week's free places, hold,
// confirm and cancel their bookings, queue for full slots and take their
// calendar away as iCalendar; owners create resources and see each one's
// utilisation. Every action calls the same service method as the API.

type bookingResourceRow struct {
	ID, Name, Kind, Owner, Price, Capacity, Zone string
	Public                                       bool
}

type bookingRow struct {
	ID, Resource, ResourceID, Start, Status, StatusClass, Price, Refund, HoldUntil string
	CanConfirm, CanCancel                                                          bool
}

type bookingSlotRow struct {
	Start, Label, Free string
	Open, Full         bool
}

type bookingDay struct {
	Date  string
	Slots []bookingSlotRow
}

func (p *Pages) bookingOff(w http.ResponseWriter, r *http.Request) bool {
	if p.Booking == nil {
		p.Error(w, r, http.StatusServiceUnavailable, problem.New(problem.Unavailable, "bookings are not available"))
		return true
	}
	return false
}

// localTime shows t in the resource's zone, numerically (no month or day
// names that would need translating).
func localTime(t time.Time, zone string) string {
	loc, ok := booking.Location(zone)
	if !ok {
		loc = time.UTC
	}
	return t.In(loc).Format("2006-01-02 15:04")
}

func (p *Pages) bookingRows(r *http.Request, v *View, pr *identity.Principal, list []booking.Booking) []bookingRow {
	now := time.Now()
	names := map[string]booking.Resource{}
	out := make([]bookingRow, 0, len(list))
	for _, b := range list {
		res, ok := names[b.ResourceID]
		if !ok {
			res, _ = p.Booking.Resource(r.Context(), pr, b.ResourceID)
			names[b.ResourceID] = res
		}
		name := res.Name
		if name == "" {
			name = shortID(b.ResourceID)
		}
		row := bookingRow{ID: b.ID, Resource: name, ResourceID: b.ResourceID, Start: localTime(b.Start, res.TimeZone) + "–" + localTime(b.End, res.TimeZone)[11:],
			Status: v.T("booking.status." + string(b.Status)), StatusClass: string(b.Status), Price: v.T("booking.free_of_charge")}
		if b.PriceKZT > 0 {
			row.Price = kzt(v.Lang, b.PriceKZT) + " KZT"
		}
		if b.RefundKZT > 0 {
			row.Refund = kzt(v.Lang, b.RefundKZT) + " KZT"
		}
		if b.Status == booking.Held {
			row.HoldUntil = localTime(b.HoldUntil, res.TimeZone)
		}
		mine := b.Party == "" || b.BookerOrg == pr.OrgID
		row.CanConfirm = mine && (b.Status == booking.Held || b.Status == booking.Confirming) && b.HoldUntil.After(now)
		row.CanCancel = b.Status == booking.Held || b.Status == booking.Confirmed || b.Status == booking.Confirming || b.Status == booking.Cancelled && b.RefundDue
		out = append(out, row)
	}
	return out
}

func (p *Pages) resourceRow(v *View, names *identity.OrgNames, res booking.Resource) bookingResourceRow {
	row := bookingResourceRow{ID: res.ID, Name: res.Name, Kind: v.T("booking.kind." + res.Kind), Owner: names.Name(res.OwnerOrg),
		Capacity: strconv.Itoa(res.Capacity), Zone: res.TimeZone, Public: res.Public, Price: v.T("booking.free_of_charge")}
	if res.PriceKZT > 0 {
		row.Price = kzt(v.Lang, res.PriceKZT) + " KZT"
	}
	return row
}

// BookingPage lists the resources the user may book, the user's bookings
// and places in queues.
func (p *Pages) BookingPage(w http.ResponseWriter, r *http.Request) {
	if p.bookingOff(w, r) {
		return
	}
	ctx := r.Context()
	pr := identity.FromContext(ctx)
	v := p.view(w, r, "booking.title", nil)
	p.renderBooking(w, r, v, http.StatusOK, pr)
	_ = ctx
}

func (p *Pages) renderBooking(w http.ResponseWriter, r *http.Request, v *View, status int, pr *identity.Principal) {
	ctx := r.Context()
	res, err := p.Booking.Resources(ctx, pr, false, "", 500)
	if err != nil {
		p.Error(w, r, statusOfErr(err), err)
		return
	}
	names := p.orgNames(r)
	rows := make([]bookingResourceRow, 0, len(res))
	for _, x := range res {
		rows = append(rows, p.resourceRow(v, names, x))
	}
	mine, err := p.Booking.Mine(ctx, pr, time.Time{}, time.Time{})
	if err != nil {
		p.Error(w, r, statusOfErr(err), err)
		return
	}
	waits, _ := p.Booking.Waits(ctx, pr)
	type waitRow struct{ Resource, Start, Status string }
	var wr []waitRow
	for _, wt := range waits {
		x, _ := p.Booking.Resource(ctx, pr, wt.ResourceID)
		wr = append(wr, waitRow{Resource: x.Name, Start: localTime(wt.Start, x.TimeZone), Status: v.T("booking.wait." + string(wt.Status))})
	}
	v.Data = map[string]any{"Resources": rows, "Mine": p.bookingRows(r, v, pr, mine), "Waits": wr,
		"Owner": pr.Has(identity.OrgAdmin) && p.CanVisit != nil && p.CanVisit(pr, "/booking/manage")}
	p.render(w, r, status, "booking", v)
}

// bookingAccounts are the user's own KZT accounts that can pay.
func (p *Pages) bookingAccounts(r *http.Request, pr *identity.Principal, lang string, payer bool) []optionView {
	if p.Ledger == nil {
		return nil
	}
	list, err := p.listAccounts(r, pr, "")
	if err != nil {
		return nil
	}
	var out []optionView
	for i := range list {
		a := &list[i]
		if a.Currency != "KZT" || a.Closed || a.OrgID != pr.OrgID || a.Flags&ledger.System != 0 {
			continue
		}
		if payer && (a.Flags&ledger.DebitsMustNotExceedCredits == 0 || a.Kind.DebitNormal()) {
			continue
		}
		text := a.Code
		if a.Name != "" {
			text = a.Name
		}
		out = append(out, optionView{ID: a.ID.String(), Text: text + " — " + kzt(lang, a.Available()) + " KZT"})
	}
	return out
}

// BookingResourcePage shows a resource and its free places for a day or
// a week, with the forms to hold a slot or queue for a full one.
func (p *Pages) BookingResourcePage(w http.ResponseWriter, r *http.Request) {
	if p.bookingOff(w, r) {
		return
	}
	pr := identity.FromContext(r.Context())
	v := p.view(w, r, "booking.resource_title", nil)
	p.renderResource(w, r, v, http.StatusOK, pr, "", nil)
}

func (p *Pages) renderResource(w http.ResponseWriter, r *http.Request, v *View, status int, pr *identity.Principal, which string, formErr error) {
	ctx := r.Context()
	id := r.PathValue("id")
	res, err := p.Booking.Resource(ctx, pr, id)
	if err != nil {
		p.Error(w, r, statusOfErr(err), err)
		return
	}
	if formErr != nil {
		status = p.bookingFail(v, formErr)
	}
	q := r.URL.Query()
	days := 1
	if q.Get("view") == "week" {
		days = 7
	}
	from := q.Get("from")
	avail, err := p.Booking.Availability(ctx, pr, res.ID, from, days)
	if err != nil {
		// A bad date in the address: show today instead, saying so.
		from, avail = "", nil
		if avail, err = p.Booking.Availability(ctx, pr, res.ID, "", days); err != nil {
			p.Error(w, r, statusOfErr(err), err)
			return
		}
	}
	var out []bookingDay
	var anyOpen, anyFull bool
	for _, d := range avail {
		day := bookingDay{Date: d.Date}
		for _, s := range d.Slots {
			row := bookingSlotRow{Start: s.Start.Format(time.RFC3339), Label: localTime(s.Start, res.TimeZone)[11:] + "–" + localTime(s.End, res.TimeZone)[11:],
				Free: v.TN("booking.places_free", s.Free), Open: s.Bookable && s.Free > 0, Full: s.Bookable && s.Free == 0}
			anyOpen, anyFull = anyOpen || row.Open, anyFull || row.Full
			day.Slots = append(day.Slots, row)
		}
		out = append(out, day)
	}
	first := time.Now()
	if len(avail) > 0 {
		first, _ = time.Parse(time.DateOnly, avail[0].Date)
	}
	link := func(view string, day time.Time) template.URL {
		vals := url.Values{"from": {day.Format(time.DateOnly)}}
		if view == "week" {
			vals.Set("view", "week")
		}
		return template.URL("/booking/resources/" + url.PathEscape(res.ID) + "?" + vals.Encode())
	}
	step := 1
	view := "day"
	if days == 7 {
		step, view = 7, "week"
	}
	names := p.orgNames(r)
	data := map[string]any{"R": p.resourceRow(v, names, res), "Days": out, "AnyOpen": anyOpen, "AnyFull": anyFull, "Week": days == 7,
		"Prev": link(view, first.AddDate(0, 0, -step)), "Next": link(view, first.AddDate(0, 0, step)),
		"DayLink": link("day", first), "WeekLink": link("week", first), "Which": which,
		"Key": uuid.Must(uuid.NewV7()).String(), "Paid": res.PriceKZT > 0, "Hold": strconv.Itoa(res.HoldMinutes), "RefundHours": strconv.Itoa(res.RefundHours)}
	if res.PriceKZT > 0 {
		data["Accounts"] = p.bookingAccounts(r, pr, v.Lang, true)
	}
	v.Data = data
	p.render(w, r, status, "bookingresource", v)
}

// bookingFail words a refused booking form: the service's reasons for a
// slot are known codes, each with its own sentence.
func (p *Pages) bookingFail(v *View, err error) int {
	var reason string
	if pe, ok := err.(*problem.Error); ok {
		reason = pe.Fields["start"]
	}
	status := p.formFail(v, err, "booking.field.", nil)
	for _, known := range []struct{ prefix, key string }{
		{"full", "booking.why.full"}, {"is in the past", "booking.why.past"}, {"needs at least", "booking.why.notice"},
		{"at most", "booking.why.horizon"}, {"the resource is closed", "booking.why.closed"}, {"not the start", "booking.why.grid"},
		{"places are free", "booking.why.places_free"},
	} {
		if reason != "" && strings.HasPrefix(reason, known.prefix) {
			v.Fields["start"] = v.T(known.key)
			v.Error = v.T(known.key)
		}
	}
	return status
}

// BookingBook holds the chosen slot.
func (p *Pages) BookingBook(w http.ResponseWriter, r *http.Request) {
	if p.bookingOff(w, r) {
		return
	}
	pr := identity.FromContext(r.Context())
	v := p.view(w, r, "booking.resource_title", nil)
	in := booking.BookInput{ResourceID: r.PathValue("id"), Start: r.PostFormValue("start"), Key: r.PostFormValue("key"), PayFrom: r.PostFormValue("pay_from")}
	if in.Start == "" {
		p.renderResource(w, r, v, 0, pr, "book", &problem.Error{Code: problem.Invalid, Message: "choose a slot", Fields: map[string]string{"start": "required"}})
		return
	}
	if _, _, err := p.Booking.Book(r.Context(), pr, in); err != nil {
		p.renderResource(w, r, v, 0, pr, "book", err)
		return
	}
	p.redirectDone(w, r, "/booking", "done.booking.held")
}

// BookingWait queues for a full slot.
func (p *Pages) BookingWait(w http.ResponseWriter, r *http.Request) {
	if p.bookingOff(w, r) {
		return
	}
	pr := identity.FromContext(r.Context())
	v := p.view(w, r, "booking.resource_title", nil)
	if _, err := p.Booking.JoinWait(r.Context(), pr, booking.WaitInput{ResourceID: r.PathValue("id"), Start: r.PostFormValue("start")}); err != nil {
		p.renderResource(w, r, v, 0, pr, "wait", err)
		return
	}
	p.redirectDone(w, r, "/booking", "done.booking.waiting")
}

// BookingConfirm confirms a hold (and pays it).
func (p *Pages) BookingConfirm(w http.ResponseWriter, r *http.Request) {
	p.bookingAct(w, r, "done.booking.confirmed", p.Booking.Confirm)
}

// BookingCancel cancels a booking (refunded by the resource's policy).
func (p *Pages) BookingCancel(w http.ResponseWriter, r *http.Request) {
	p.bookingAct(w, r, "done.booking.cancelled", p.Booking.Cancel)
}

func (p *Pages) bookingAct(w http.ResponseWriter, r *http.Request, done string, act func(ctx context.Context, pr *identity.Principal, id string) (booking.Booking, error)) {
	if p.bookingOff(w, r) {
		return
	}
	pr := identity.FromContext(r.Context())
	if _, err := act(r.Context(), pr, r.PathValue("id")); err != nil {
		v := p.view(w, r, "booking.title", nil)
		status := p.bookingFail(v, err)
		p.renderBooking(w, r, v, status, pr)
		return
	}
	p.redirectDone(w, r, "/booking", done)
}

type bookingForm struct {
	Name, Kind, Capacity, SlotMinutes, From, To, Price, Account, Zone, Buffer, Notice, Hold, Refund string
	Days                                                                                            map[int]bool
	Public                                                                                          bool
}

// BookingManagePage lists the organisation's resources with the form
// that creates one.
func (p *Pages) BookingManagePage(w http.ResponseWriter, r *http.Request) {
	if p.bookingOff(w, r) {
		return
	}
	v := p.view(w, r, "booking.manage_title", nil)
	p.renderManage(w, r, v, http.StatusOK, bookingForm{Kind: "room", Capacity: "1", SlotMinutes: "60", From: "09:00", To: "18:00",
		Zone: booking.DefaultTimeZone, Hold: "15", Refund: "24", Days: map[int]bool{1: true, 2: true, 3: true, 4: true, 5: true}}, nil)
}

func (p *Pages) renderManage(w http.ResponseWriter, r *http.Request, v *View, status int, form bookingForm, formErr error) {
	pr := identity.FromContext(r.Context())
	if formErr != nil {
		status = p.formFail(v, formErr, "booking.field.", map[string]string{"price_kzt": "price", "account_id": "account",
			"slot_minutes": "slot_minutes", "buffer_after_minutes": "buffer", "min_notice_minutes": "notice", "hold_minutes": "hold", "refund_hours": "refund", "time_zone": "zone"})
		for k := range v.Fields {
			if strings.HasPrefix(k, "hours") {
				v.Fields["hours"] = v.T("booking.field.hours")
			}
		}
	}
	list, err := p.Booking.Resources(r.Context(), pr, true, "", 500)
	if err != nil {
		p.Error(w, r, statusOfErr(err), err)
		return
	}
	names := p.orgNames(r)
	rows := make([]bookingResourceRow, 0, len(list))
	for _, x := range list {
		rows = append(rows, p.resourceRow(v, names, x))
	}
	type dayOpt struct {
		N       int
		Label   string
		Checked bool
	}
	var days []dayOpt
	for _, d := range []int{1, 2, 3, 4, 5, 6, 0} {
		days = append(days, dayOpt{N: d, Label: v.T("booking.day." + strconv.Itoa(d)), Checked: form.Days[d]})
	}
	var kinds []optionView
	for _, k := range []string{"room", "hall", "office", "venue"} {
		kinds = append(kinds, optionView{ID: k, Text: v.T("booking.kind." + k)})
	}
	v.Data = map[string]any{"Rows": rows, "Form": form, "DayOpts": days, "Kinds": kinds, "Accounts": p.bookingAccounts(r, pr, v.Lang, false)}
	p.render(w, r, status, "bookingmanage", v)
}

// BookingCreate creates a resource from the form.
func (p *Pages) BookingCreate(w http.ResponseWriter, r *http.Request) {
	if p.bookingOff(w, r) {
		return
	}
	pr := identity.FromContext(r.Context())
	v := p.view(w, r, "booking.manage_title", nil)
	f := bookingForm{Name: r.PostFormValue("name"), Kind: r.PostFormValue("kind"), Capacity: r.PostFormValue("capacity"),
		SlotMinutes: r.PostFormValue("slot_minutes"), From: r.PostFormValue("from"), To: r.PostFormValue("to"), Price: strings.TrimSpace(r.PostFormValue("price")),
		Account: r.PostFormValue("account"), Zone: r.PostFormValue("zone"), Buffer: r.PostFormValue("buffer"), Notice: r.PostFormValue("notice"),
		Hold: r.PostFormValue("hold"), Refund: r.PostFormValue("refund"), Public: r.PostFormValue("public") == "on", Days: map[int]bool{}}
	bad := problem.Fields{}
	num := func(field, s string) int {
		if strings.TrimSpace(s) == "" {
			return 0
		}
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil {
			bad.Add(field, "must be a whole number")
		}
		return n
	}
	in := booking.ResourceInput{Name: f.Name, Kind: f.Kind, Capacity: num("capacity", f.Capacity), TimeZone: f.Zone, SlotMinutes: num("slot_minutes", f.SlotMinutes),
		BufferAfter: num("buffer", f.Buffer), MinNoticeMin: num("notice", f.Notice), HoldMinutes: num("hold", f.Hold), RefundHours: num("refund", f.Refund),
		AccountID: f.Account, Public: f.Public}
	for _, d := range r.PostForm["day"] {
		if n, err := strconv.Atoi(d); err == nil && n >= 0 && n <= 6 {
			f.Days[n] = true
			in.Hours = append(in.Hours, booking.Hours{Day: n, From: f.From, To: f.To})
		}
	}
	if f.Price != "" {
		amount, err := money.ParseAmount(amountInput(v.Lang, f.Price), 2)
		if err != nil || amount < 0 {
			bad.Add("price", "must be an amount")
		}
		in.PriceKZT = int64(amount)
	}
	if err := bad.Err("the resource is not valid"); err != nil {
		p.renderManage(w, r, v, 0, f, err)
		return
	}
	if _, err := p.Booking.CreateResource(r.Context(), pr, in); err != nil {
		p.renderManage(w, r, v, 0, f, err)
		return
	}
	p.redirectDone(w, r, "/booking/manage", "done.booking.resource_created")
}

// BookingUsagePage shows a resource's utilisation over two weeks as a
// chart and a table, and its bookings.
func (p *Pages) BookingUsagePage(w http.ResponseWriter, r *http.Request) {
	if p.bookingOff(w, r) {
		return
	}
	pr := identity.FromContext(r.Context())
	v := p.view(w, r, "booking.usage_title", nil)
	res, usage, err := p.Booking.Utilisation(r.Context(), pr, r.PathValue("id"), r.URL.Query().Get("from"), 14)
	if err != nil {
		p.Error(w, r, statusOfErr(err), err)
		return
	}
	var cats []string
	var pct []int64
	type usageRow struct{ Date, Booked, Open, Percent string }
	var rows []usageRow
	anyOpen := 0
	for _, u := range usage {
		if u.Open == 0 {
			continue
		}
		anyOpen++
		share := (int64(u.Booked)*1000/int64(u.Open) + 5) / 10 // half up, whole percent
		cats = append(cats, u.Date[5:])
		pct = append(pct, share)
		rows = append(rows, usageRow{Date: u.Date, Booked: strconv.Itoa(u.Booked), Open: strconv.Itoa(u.Open), Percent: strconv.FormatInt(share, 10) + " %"})
	}
	data := map[string]any{"R": p.resourceRow(v, p.orgNames(r), res), "Rows": rows}
	if anyOpen > 1 {
		data["Chart"] = chart.Bar{
			Options: chart.Options{Width: 520, Height: 240, Title: v.T("booking.usage_chart"), HideTitle: true, Desc: v.T("booking.usage_chart_desc"),
				NoData: v.T("chart.no_data"), ID: "booking-usage", Colors: []string{chart.Palette()[0]}, Table: &chart.TableText{Key: v.T("booking.date")}},
			Categories: cats, Series: []chart.BarSeries{{Name: v.T("booking.booked_share"), Values: pct}}, ShowValues: true,
			FormatValue: func(x int64) string { return strconv.FormatInt(x, 10) + "%" },
		}.HTML()
	}
	list, err := p.Booking.OnResource(r.Context(), pr, res.ID, time.Now().Add(-24*time.Hour), time.Now().AddDate(0, 0, 60))
	if err != nil {
		p.Error(w, r, statusOfErr(err), err)
		return
	}
	names := p.orgNames(r)
	type ownerRow struct{ Who, Start, Status, StatusClass, Price string }
	var brows []ownerRow
	for _, b := range list {
		price := v.T("booking.free_of_charge")
		if b.PriceKZT > 0 {
			price = kzt(v.Lang, b.PriceKZT) + " KZT"
		}
		brows = append(brows, ownerRow{Who: names.Name(b.BookerOrg), Start: localTime(b.Start, res.TimeZone), Status: v.T("booking.status." + string(b.Status)),
			StatusClass: string(b.Status), Price: price})
	}
	data["Bookings"] = brows
	v.Data = data
	p.render(w, r, http.StatusOK, "bookingusage", v)
}
