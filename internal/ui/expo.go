package ui

import (
	"context"
	"fmt"
	"html/template"
	"net/http"
	"strconv"
	"strings"

	"bricstown/internal/expo"
	"bricstown/internal/identity"
	"bricstown/internal/money"
	"bricstown/internal/problem"
)

// The expo pages (issue 11): the list of expos and, for an organiser, the
// form that creates one; an expo's floor plan (an SVG grid per hall,
// booths coloured by status), its exhibitors and their products, and a
// company's application, booth fee, showcase and buyer registration; the
// organiser's queue (halls, booths, decisions, allocation, the scheduler
// with its result against the greedy baseline and the timetable); and a
// company's meeting requests and agenda. Every action calls the same
// service method as the API.

func (p *Pages) expoOff(w http.ResponseWriter, r *http.Request) bool {
	if p.Expo == nil {
		p.Error(w, r, http.StatusServiceUnavailable, problem.New(problem.Unavailable, "expos are not available"))
		return true
	}
	return false
}

// expoFail words a refused expo form: field messages from the catalogue
// (expo_field.<field>), the summary by the error's code.
func (p *Pages) expoFail(v *View, err error) int {
	return p.formFail(v, err, "expo_field.", nil)
}

type expoRow struct {
	ID, Name, Venue, Dates, Organiser string
}

func expoDates(e *expo.Expo) string { return e.StartsOn + " – " + e.EndsOn }

// ExpoPage lists the expos; organisers get the form that creates one.
func (p *Pages) ExpoPage(w http.ResponseWriter, r *http.Request) {
	if p.expoOff(w, r) {
		return
	}
	p.renderExpos(w, r, p.view(w, r, "expo_title", nil), http.StatusOK, nil)
}

func (p *Pages) renderExpos(w http.ResponseWriter, r *http.Request, v *View, status int, formErr error) {
	pr := identity.FromContext(r.Context())
	if formErr != nil {
		status = p.expoFail(v, formErr)
	}
	list, err := p.Expo.Expos(r.Context(), pr)
	if err != nil {
		p.Error(w, r, statusOfErr(err), err)
		return
	}
	names := p.orgNames(r)
	rows := make([]expoRow, 0, len(list))
	for i := range list {
		e := &list[i]
		rows = append(rows, expoRow{ID: e.ID, Name: e.Name, Venue: e.Venue, Dates: expoDates(e), Organiser: names.Name(e.OrganiserOrg)})
	}
	data := map[string]any{"Rows": rows, "Organiser": pr.Has(identity.Organiser)}
	if pr.Has(identity.Organiser) {
		data["Accounts"] = p.bookingAccounts(r, pr, v.Lang, false)
	}
	v.Data = data
	p.render(w, r, status, "expo", v)
}

func atoi(bad problem.Fields, field, s string) int {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		bad.Add(field, "must be a positive whole number")
	}
	return n
}

// ExpoCreate creates an expo from the organiser's form.
func (p *Pages) ExpoCreate(w http.ResponseWriter, r *http.Request) {
	if p.expoOff(w, r) {
		return
	}
	pr := identity.FromContext(r.Context())
	v := p.view(w, r, "expo_title", nil)
	bad := problem.Fields{}
	in := expo.ExpoInput{Name: r.PostFormValue("name"), Venue: r.PostFormValue("venue"), StartsOn: r.PostFormValue("starts_on"), EndsOn: r.PostFormValue("ends_on"),
		TimeZone: expo.DefaultTimeZone, MeetingFrom: r.PostFormValue("meeting_from"), MeetingTo: r.PostFormValue("meeting_to"),
		SlotMinutes: atoi(bad, "slot_minutes", r.PostFormValue("slot_minutes")), Tables: atoi(bad, "tables", r.PostFormValue("tables")), AccountID: r.PostFormValue("account_id")}
	if err := bad.Err("the expo is not valid"); err != nil {
		p.renderExpos(w, r, v, 0, err)
		return
	}
	e, err := p.Expo.CreateExpo(r.Context(), pr, in)
	if err != nil {
		p.renderExpos(w, r, v, 0, err)
		return
	}
	p.redirectDone(w, r, "/expo/"+e.ID+"/manage", "done.expo_created")
}

// boothMap draws a hall as an SVG grid: one cell per position, booths
// coloured by status with their code, empty positions dashed. Colours
// are told apart by the legend and by each cell's title, not by colour
// alone.
func boothMap(v *View, h expo.Hall, booths []expo.Booth, names *identity.OrgNames) template.HTML {
	const cw, ch, pad = 64, 44, 4
	width, height := h.Cols*cw+2*pad, h.Rows*ch+2*pad
	at := map[[2]int]expo.Booth{}
	for _, b := range booths {
		if b.HallID == h.ID {
			at[[2]int{b.Row, b.Col}] = b
		}
	}
	esc := template.HTMLEscapeString
	var sb strings.Builder
	fmt.Fprintf(&sb, `<svg class="chart booth-map" id="map-%s" role="img" aria-label="%s" viewBox="0 0 %d %d" width="%d" height="%d" xmlns="http://www.w3.org/2000/svg">`,
		esc(h.ID), esc(v.T("expo_map_of")+" "+h.Name), width, height, width, height)
	fill := map[expo.BoothStatus]string{expo.BoothFree: "#d7f0dd", expo.BoothAllocated: "#ffe6a6", expo.BoothPaid: "#a9c8f5"}
	for r := 1; r <= h.Rows; r++ {
		for c := 1; c <= h.Cols; c++ {
			x, y := pad+(c-1)*cw, pad+(r-1)*ch
			b, ok := at[[2]int{r, c}]
			if !ok {
				fmt.Fprintf(&sb, `<rect x="%d" y="%d" width="%d" height="%d" fill="#f6f6f6" stroke="#bbb" stroke-dasharray="3 3"/>`, x+1, y+1, cw-2, ch-2)
				continue
			}
			title := b.Code + " · " + strconv.Itoa(b.SizeM2) + " m² · " + v.T("expo_booth."+string(b.Status))
			if b.ExhibitorOrg != "" {
				title += " · " + names.Name(b.ExhibitorOrg)
			}
			fmt.Fprintf(&sb, `<g class="booth %s" data-code="%s"><title>%s</title><rect x="%d" y="%d" width="%d" height="%d" rx="3" fill="%s" stroke="#555"/>`,
				esc(string(b.Status)), esc(b.Code), esc(title), x+1, y+1, cw-2, ch-2, fill[b.Status])
			fmt.Fprintf(&sb, `<text x="%d" y="%d" text-anchor="middle" font-size="11" fill="#111">%s</text>`, x+cw/2, y+ch/2-2, esc(b.Code))
			fmt.Fprintf(&sb, `<text x="%d" y="%d" text-anchor="middle" font-size="9" fill="#333">%d m²</text></g>`, x+cw/2, y+ch/2+11, b.SizeM2)
		}
	}
	sb.WriteString(`</svg>`)
	return template.HTML(sb.String())
}

type hallView struct {
	Name, Size string
	Map        template.HTML
}

type exhibitorRow struct {
	Org, Booth, Hall string
	Products         []showcaseRow
}

type showcaseRow struct{ ID, Name, HS, Origin string }

// ExpoDetail shows an expo: dates, floor plans, exhibitors and their
// products; a company's application, fee, showcase and registration.
func (p *Pages) ExpoDetail(w http.ResponseWriter, r *http.Request) {
	if p.expoOff(w, r) {
		return
	}
	p.renderDetail(w, r, p.view(w, r, "expo_detail_title", nil), http.StatusOK, nil)
}

func (p *Pages) renderDetail(w http.ResponseWriter, r *http.Request, v *View, status int, formErr error) {
	ctx := r.Context()
	pr := identity.FromContext(ctx)
	if formErr != nil {
		status = p.expoFail(v, formErr)
	}
	d, err := p.Expo.Get(ctx, pr, r.PathValue("id"))
	if err != nil {
		p.Error(w, r, statusOfErr(err), err)
		return
	}
	names := p.orgNames(r)
	hallName := map[string]string{}
	var halls []hallView
	for _, h := range d.Halls {
		hallName[h.ID] = h.Name
		halls = append(halls, hallView{Name: h.Name, Size: fmt.Sprintf("%d × %d", h.Rows, h.Cols), Map: boothMap(v, h, d.Booths, names)})
	}
	show, err := p.Expo.Showcase(ctx, pr, d.ID)
	if err != nil {
		p.Error(w, r, statusOfErr(err), err)
		return
	}
	ps, err := p.Expo.Participants(ctx, pr, d.ID)
	if err != nil {
		p.Error(w, r, statusOfErr(err), err)
		return
	}
	var exhibitors []exhibitorRow
	for org := range ps.Exhibitors {
		row := exhibitorRow{Org: names.Name(org)}
		for _, b := range d.Booths {
			if b.ExhibitorOrg == org {
				row.Booth, row.Hall = b.Code, hallName[b.HallID]
			}
		}
		for _, s := range show {
			if s.Org == org {
				row.Products = append(row.Products, showcaseRow{ID: s.ProductID, Name: s.Name, HS: s.HS, Origin: s.Origin})
			}
		}
		exhibitors = append(exhibitors, row)
	}
	sortByName(v.Lang, exhibitors, func(x exhibitorRow) string { return x.Org })
	data := map[string]any{"E": d, "Dates": expoDates(&d.Expo), "Organiser": names.Name(d.OrganiserOrg), "Halls": halls, "Exhibitors": exhibitors,
		"Buyers": len(ps.Buyers), "Manage": expo.IsOrganiser(pr, &d.Expo), "Company": expo.IsCompany(pr)}
	if expo.IsCompany(pr) {
		apps, err := p.Expo.Applications(ctx, pr, d.ID)
		if err != nil {
			p.Error(w, r, statusOfErr(err), err)
			return
		}
		if len(apps) > 0 {
			a := apps[0]
			mine := map[string]any{"ID": a.ID, "Status": v.T("expo_app." + string(a.Status)), "StatusClass": string(a.Status), "Paid": a.Paid,
				"Fee": kzt(v.Lang, a.FeeKZT) + " KZT", "Approved": a.Status == expo.Approved}
			for _, b := range d.Booths {
				if b.ID == a.BoothID {
					mine["Booth"] = b.Code + " · " + hallName[b.HallID] + " · " + strconv.Itoa(b.SizeM2) + " m²"
				}
			}
			if a.BoothID != "" && !a.Paid {
				data["Accounts"] = p.bookingAccounts(r, pr, v.Lang, true)
			}
			if a.Status == expo.Approved && p.Market != nil {
				if prods, err := p.Market.Mine(ctx, pr, "", 200); err == nil {
					var opts []optionView
					for _, x := range prods {
						n := x.Names[v.Lang]
						if n == "" {
							n = x.Names["en"]
						}
						opts = append(opts, optionView{ID: x.ID, Text: n + " · HS " + x.HS})
					}
					data["Products"] = opts
				}
			}
			data["Mine"] = mine
		}
		data["Registered"] = ps.Buyers[pr.OrgID]
		data["Participant"] = ps.Has(pr.OrgID)
	}
	v.Data = data
	p.render(w, r, status, "expodetail", v)
}

// expoAct runs one company action from the detail page and goes back to it.
func (p *Pages) expoAct(w http.ResponseWriter, r *http.Request, done string, act func(ctx context.Context, pr *identity.Principal, id string) error) {
	if p.expoOff(w, r) {
		return
	}
	pr := identity.FromContext(r.Context())
	id := r.PathValue("id")
	if err := act(r.Context(), pr, id); err != nil {
		v := p.view(w, r, "expo_detail_title", nil)
		v.Here = "/expo/" + id
		p.renderDetail(w, r, v, 0, err)
		return
	}
	p.redirectDone(w, r, "/expo/"+id, done)
}

// ExpoApply files the company's application.
func (p *Pages) ExpoApply(w http.ResponseWriter, r *http.Request) {
	p.expoAct(w, r, "done.expo_applied", func(ctx context.Context, pr *identity.Principal, id string) error {
		bad := problem.Fields{}
		in := expo.ApplyInput{SizeM2: atoi(bad, "size_m2", r.PostFormValue("size_m2")), Note: r.PostFormValue("note")}
		if err := bad.Err("the application is not valid"); err != nil {
			return err
		}
		_, err := p.Expo.Apply(ctx, pr, id, in)
		return err
	})
}

// ExpoRegister registers the company as a buyer.
func (p *Pages) ExpoRegister(w http.ResponseWriter, r *http.Request) {
	p.expoAct(w, r, "done.expo_registered", func(ctx context.Context, pr *identity.Principal, id string) error {
		_, err := p.Expo.RegisterBuyer(ctx, pr, id)
		return err
	})
}

// ExpoPay pays the company's booth fee.
func (p *Pages) ExpoPay(w http.ResponseWriter, r *http.Request) {
	p.expoAct(w, r, "done.expo_paid", func(ctx context.Context, pr *identity.Principal, id string) error {
		_, err := p.Expo.PayFee(ctx, pr, id, r.PostFormValue("application"), expo.PayInput{PayFrom: r.PostFormValue("pay_from")})
		return err
	})
}

// ExpoShowcase shows one of the company's products on its stand.
func (p *Pages) ExpoShowcase(w http.ResponseWriter, r *http.Request) {
	p.expoAct(w, r, "done.expo_showcased", func(ctx context.Context, pr *identity.Principal, id string) error {
		_, err := p.Expo.AddShowcase(ctx, pr, id, expo.ShowcaseInput{ProductID: r.PostFormValue("product_id")})
		return err
	})
}

type appRow struct {
	ID, Org, Size, Note, Status, StatusClass, Booth, Fee string
	Pending, NeedsBooth, Paid                            bool
}

type meetingRow struct {
	When, Table, A, B, With string
}

// ExpoManage is the organiser's page: halls and booths, the applications
// queue with decisions and allocation, the scheduler and the timetable.
func (p *Pages) ExpoManage(w http.ResponseWriter, r *http.Request) {
	if p.expoOff(w, r) {
		return
	}
	p.renderManageExpo(w, r, p.view(w, r, "expo_manage_title", nil), http.StatusOK, nil)
}

func (p *Pages) renderManageExpo(w http.ResponseWriter, r *http.Request, v *View, status int, formErr error) {
	ctx := r.Context()
	pr := identity.FromContext(ctx)
	if formErr != nil {
		status = p.expoFail(v, formErr)
	}
	d, err := p.Expo.Get(ctx, pr, r.PathValue("id"))
	if err == nil && !expo.IsOrganiser(pr, &d.Expo) {
		err = problem.New(problem.Forbidden, "only the expo's organisers")
	}
	if err != nil {
		p.Error(w, r, statusOfErr(err), err)
		return
	}
	apps, err := p.Expo.Applications(ctx, pr, d.ID)
	if err != nil {
		p.Error(w, r, statusOfErr(err), err)
		return
	}
	names := p.orgNames(r)
	boothOf := map[string]expo.Booth{}
	var free []optionView
	hallName := map[string]string{}
	var hallOpts []optionView
	for _, h := range d.Halls {
		hallName[h.ID] = h.Name
		hallOpts = append(hallOpts, optionView{ID: h.ID, Text: h.Name})
	}
	for _, b := range d.Booths {
		boothOf[b.ID] = b
		if b.Status == expo.BoothFree {
			free = append(free, optionView{ID: b.ID, Text: fmt.Sprintf("%s · %s · %d m² · %s KZT", b.Code, hallName[b.HallID], b.SizeM2, kzt(v.Lang, b.PriceKZT))})
		}
	}
	var rows []appRow
	pending := 0
	for _, a := range apps {
		row := appRow{ID: a.ID, Org: names.Name(a.Org), Note: a.Note, Status: v.T("expo_app." + string(a.Status)), StatusClass: string(a.Status),
			Pending: a.Status == expo.Pending, NeedsBooth: a.Status == expo.Approved && a.BoothID == "", Paid: a.Paid, Size: v.T("expo_any_size")}
		if a.SizeM2 > 0 {
			row.Size = strconv.Itoa(a.SizeM2) + " m²"
		}
		if b, ok := boothOf[a.BoothID]; ok {
			row.Booth = b.Code
			row.Fee = kzt(v.Lang, a.FeeKZT) + " KZT"
		}
		if row.Pending {
			pending++
		}
		rows = append(rows, row)
	}
	data := map[string]any{"E": d, "Dates": expoDates(&d.Expo), "Apps": rows, "Pending": pending, "Free": free, "Halls": hallOpts}
	if run, err := p.Expo.LastRun(ctx, pr, d.ID); err == nil {
		data["Run"] = map[string]any{"Requests": run.Requests, "Placed": run.Placed, "Greedy": run.Greedy, "Slots": run.Slots, "Tables": run.Tables,
			"At": localTime(run.At, d.TimeZone)}
		ms, err := p.Expo.Timetable(ctx, pr, d.ID)
		if err != nil {
			p.Error(w, r, statusOfErr(err), err)
			return
		}
		var mr []meetingRow
		for _, m := range ms {
			mr = append(mr, meetingRow{When: localTime(m.Start, d.TimeZone) + "–" + localTime(m.End, d.TimeZone)[11:], Table: strconv.Itoa(m.Table),
				A: names.Name(m.OrgA), B: names.Name(m.OrgB)})
		}
		data["Timetable"] = mr
	}
	v.Data = data
	p.render(w, r, status, "expomanage", v)
}

// expoManageAct runs one organiser action and goes back to the queue.
func (p *Pages) expoManageAct(w http.ResponseWriter, r *http.Request, done string, act func(ctx context.Context, pr *identity.Principal, id string) error) {
	if p.expoOff(w, r) {
		return
	}
	pr := identity.FromContext(r.Context())
	id := r.PathValue("id")
	if err := act(r.Context(), pr, id); err != nil {
		v := p.view(w, r, "expo_manage_title", nil)
		v.Here = "/expo/" + id + "/manage"
		p.renderManageExpo(w, r, v, 0, err)
		return
	}
	p.redirectDone(w, r, "/expo/"+id+"/manage", done)
}

// ExpoHall adds a hall.
func (p *Pages) ExpoHall(w http.ResponseWriter, r *http.Request) {
	p.expoManageAct(w, r, "done.expo_hall", func(ctx context.Context, pr *identity.Principal, id string) error {
		bad := problem.Fields{}
		in := expo.HallInput{Name: r.PostFormValue("name"), Rows: atoi(bad, "rows", r.PostFormValue("rows")), Cols: atoi(bad, "cols", r.PostFormValue("cols"))}
		if err := bad.Err("the hall is not valid"); err != nil {
			return err
		}
		_, err := p.Expo.AddHall(ctx, pr, id, in)
		return err
	})
}

// ExpoBooth adds a booth; its price is typed as the user's language writes
// amounts.
func (p *Pages) ExpoBooth(w http.ResponseWriter, r *http.Request) {
	p.expoManageAct(w, r, "done.expo_booth", func(ctx context.Context, pr *identity.Principal, id string) error {
		bad := problem.Fields{}
		v := p.view(w, r, "expo_manage_title", nil)
		in := expo.BoothInput{HallID: r.PostFormValue("hall_id"), Code: r.PostFormValue("code"), SizeM2: atoi(bad, "size_m2", r.PostFormValue("size_m2")),
			Row: atoi(bad, "row", r.PostFormValue("row")), Col: atoi(bad, "col", r.PostFormValue("col"))}
		if s := strings.TrimSpace(r.PostFormValue("price")); s != "" {
			amount, err := money.ParseAmount(amountInput(v.Lang, s), 2)
			if err != nil || amount < 0 {
				bad.Add("price_kzt", "must be an amount")
			}
			in.PriceKZT = int64(amount)
		}
		if err := bad.Err("the booth is not valid"); err != nil {
			return err
		}
		_, err := p.Expo.AddBooth(ctx, pr, id, in)
		return err
	})
}

// ExpoDecide approves or rejects an application.
func (p *Pages) ExpoDecide(w http.ResponseWriter, r *http.Request) {
	approve := r.PostFormValue("decision") == "approve"
	done := "done.expo_rejected"
	if approve {
		done = "done.expo_approved"
	}
	p.expoManageAct(w, r, done, func(ctx context.Context, pr *identity.Principal, id string) error {
		_, err := p.Expo.Decide(ctx, pr, id, r.PathValue("app"), approve)
		return err
	})
}

// ExpoAllocate gives the chosen booth to an application.
func (p *Pages) ExpoAllocate(w http.ResponseWriter, r *http.Request) {
	p.expoManageAct(w, r, "done.expo_allocated", func(ctx context.Context, pr *identity.Principal, id string) error {
		_, err := p.Expo.Allocate(ctx, pr, id, r.PathValue("app"), expo.AllocateInput{BoothID: r.PostFormValue("booth_id")})
		return err
	})
}

// ExpoSchedule runs the meeting scheduler.
func (p *Pages) ExpoSchedule(w http.ResponseWriter, r *http.Request) {
	p.expoManageAct(w, r, "done.expo_scheduled", func(ctx context.Context, pr *identity.Principal, id string) error {
		_, err := p.Expo.Schedule(ctx, pr, id)
		return err
	})
}

type requestRow struct {
	ID, Org, Message, Status, StatusClass string
	CanAnswer                             bool
}

// ExpoMeetings shows a company's meeting requests (sent and received),
// the form to ask for one and its agenda.
func (p *Pages) ExpoMeetings(w http.ResponseWriter, r *http.Request) {
	if p.expoOff(w, r) {
		return
	}
	p.renderMeetings(w, r, p.view(w, r, "expo_meetings_title", nil), http.StatusOK, nil)
}

func (p *Pages) renderMeetings(w http.ResponseWriter, r *http.Request, v *View, status int, formErr error) {
	ctx := r.Context()
	pr := identity.FromContext(ctx)
	if formErr != nil {
		status = p.expoFail(v, formErr)
	}
	e, agenda, err := p.Expo.Agenda(ctx, pr, r.PathValue("id"))
	if err != nil {
		p.Error(w, r, statusOfErr(err), err)
		return
	}
	reqs, err := p.Expo.Requests(ctx, pr, e.ID)
	if err != nil {
		p.Error(w, r, statusOfErr(err), err)
		return
	}
	ps, err := p.Expo.Participants(ctx, pr, e.ID)
	if err != nil {
		p.Error(w, r, statusOfErr(err), err)
		return
	}
	names := p.orgNames(r)
	var in, out []requestRow
	asked := map[string]bool{}
	for _, m := range reqs {
		row := requestRow{ID: m.ID, Message: m.Message, Status: v.T("expo_req." + string(m.Status)), StatusClass: string(m.Status)}
		if m.ToOrg == pr.OrgID {
			row.Org, row.CanAnswer = names.Name(m.FromOrg), m.Status == expo.Requested
			in = append(in, row)
			asked[m.FromOrg] = true
		} else {
			row.Org = names.Name(m.ToOrg)
			out = append(out, row)
			asked[m.ToOrg] = true
		}
	}
	var others []optionView
	add := func(set map[string]bool, kind string) {
		for org := range set {
			if org != pr.OrgID && !asked[org] {
				others = append(others, optionView{ID: org, Text: names.Name(org) + " · " + v.T(kind)})
				asked[org] = true
			}
		}
	}
	add(ps.Exhibitors, "expo_exhibitor")
	add(ps.Buyers, "expo_buyer")
	sortByName(v.Lang, others, func(o optionView) string { return o.Text })
	var mr []meetingRow
	for _, m := range agenda {
		with := m.OrgB
		if with == pr.OrgID {
			with = m.OrgA
		}
		mr = append(mr, meetingRow{When: localTime(m.Start, e.TimeZone) + "–" + localTime(m.End, e.TimeZone)[11:], Table: strconv.Itoa(m.Table), With: names.Name(with)})
	}
	v.Data = map[string]any{"E": e, "Incoming": in, "Outgoing": out, "Others": others, "Agenda": mr, "Participant": ps.Has(pr.OrgID)}
	p.render(w, r, status, "expomeetings", v)
}

// ExpoRequest asks another participant for a meeting.
func (p *Pages) ExpoRequest(w http.ResponseWriter, r *http.Request) {
	p.meetingAct(w, r, "done.expo_requested", func(ctx context.Context, pr *identity.Principal, id string) error {
		_, err := p.Expo.RequestMeeting(ctx, pr, id, expo.RequestInput{ToOrg: r.PostFormValue("to_org"), Message: r.PostFormValue("message")})
		return err
	})
}

// ExpoAnswer accepts or declines a request addressed to the company.
func (p *Pages) ExpoAnswer(w http.ResponseWriter, r *http.Request) {
	accept := r.PostFormValue("answer") == "accept"
	done := "done.expo_declined"
	if accept {
		done = "done.expo_accepted"
	}
	p.meetingAct(w, r, done, func(ctx context.Context, pr *identity.Principal, id string) error {
		_, err := p.Expo.AnswerRequest(ctx, pr, id, r.PathValue("req"), accept)
		return err
	})
}

func (p *Pages) meetingAct(w http.ResponseWriter, r *http.Request, done string, act func(ctx context.Context, pr *identity.Principal, id string) error) {
	if p.expoOff(w, r) {
		return
	}
	pr := identity.FromContext(r.Context())
	id := r.PathValue("id")
	if err := act(r.Context(), pr, id); err != nil {
		v := p.view(w, r, "expo_meetings_title", nil)
		v.Here = "/expo/" + id + "/meetings"
		p.renderMeetings(w, r, v, 0, err)
		return
	}
	p.redirectDone(w, r, "/expo/"+id+"/meetings", done)
}
