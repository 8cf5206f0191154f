package ui

import (
	"html/template"
	"net/http"
	"strconv"
	"strings"
	"time"

	"bricstown/internal/chart"
	"bricstown/internal/festival"
	"bricstown/internal/identity"
	"bricstown/internal/problem"

	"github.com/google/uuid"
)

// The art zone's pages (issue 12): the festivals' programme (public within
// the platform), a performance with its categories and the places left,
// the purchase, the buyer's tickets with their QR codes, the door's
// check-in (one input and a verdict in big letters, made for a phone) and
// the organiser's sales per performance. Each action calls the same
// service method as the API.

func (p *Pages) festivalOff(w http.ResponseWriter, r *http.Request) bool {
	if p.Festival == nil {
		p.Error(w, r, http.StatusServiceUnavailable, problem.New(problem.Unavailable, "festivals are not available"))
		return true
	}
	return false
}

type festRow struct {
	ID, Name, Kind, Organiser, Description string
	// Next are the coming performances, for the list.
	Next []perfRow
}

// comingPerformances are up to n performances of f that have not ended,
// soonest first.
func (p *Pages) comingPerformances(r *http.Request, v *View, pr *identity.Principal, id string, n int) []perfRow {
	_, list, err := p.Festival.Festival(r.Context(), pr, id)
	if err != nil {
		return nil
	}
	var out []perfRow
	for _, perf := range list {
		if perf.End.After(time.Now()) && len(out) < n {
			out = append(out, p.perfRow(v, perf))
		}
	}
	return out
}

type perfRow struct {
	ID, Title, Venue, When, From string
	Categories                   []catRow
	Past                         bool
	Cancelled                    bool
}

type catRow struct {
	ID, Name, Price, Left, Quota string
	SoldOut                      bool
}

func (p *Pages) festTime(t time.Time) string {
	return t.In(p.Festival.Location()).Format("2006-01-02 15:04")
}

func (p *Pages) festPrice(v *View, tiyn int64) string {
	if tiyn == 0 {
		return v.T("fest_free")
	}
	return kzt(v.Lang, tiyn) + " KZT"
}

func (p *Pages) perfRow(v *View, perf festival.Performance) perfRow {
	row := perfRow{ID: perf.ID, Title: perf.Title(v.Lang), Venue: perf.Venue, When: p.festTime(perf.Start) + "–" + p.festTime(perf.End)[11:],
		Past: !perf.Start.After(time.Now()), Cancelled: !perf.CancelledAt.IsZero()}
	for _, c := range perf.Categories {
		cr := catRow{ID: c.ID, Name: c.Name, Price: p.festPrice(v, c.PriceKZT), Quota: strconv.Itoa(c.Quota)}
		if c.Left >= 0 {
			cr.Left, cr.SoldOut = v.TN("fest_places_left", c.Left), c.Left == 0
		}
		row.Categories = append(row.Categories, cr)
	}
	return row
}

// FestivalsPage lists the festivals; a venue administrator also gets the
// form to make one.
func (p *Pages) FestivalsPage(w http.ResponseWriter, r *http.Request) {
	if p.festivalOff(w, r) {
		return
	}
	v := p.view(w, r, "fest_title", nil)
	p.renderFestivals(w, r, v, http.StatusOK)
}

func (p *Pages) renderFestivals(w http.ResponseWriter, r *http.Request, v *View, status int) {
	pr := identity.FromContext(r.Context())
	list, err := p.Festival.Festivals(r.Context(), pr)
	if err != nil {
		p.Error(w, r, statusOfErr(err), err)
		return
	}
	names := p.orgNames(r)
	rows := make([]festRow, 0, len(list))
	for _, f := range list {
		rows = append(rows, festRow{ID: f.ID, Name: f.Name, Kind: v.T("fest_kind_" + f.Kind), Organiser: names.Name(f.OrgID), Description: f.Description,
			Next: p.comingPerformances(r, v, pr, f.ID, 3)})
	}
	var kinds []optionView
	for _, k := range festival.Kinds {
		kinds = append(kinds, optionView{ID: k, Text: v.T("fest_kind_" + k)})
	}
	data := map[string]any{"Festivals": rows, "Venue": festival.IsVenueAdmin(pr), "Kinds": kinds,
		"Tickets": p.CanVisit == nil || p.CanVisit(pr, "/festival/tickets")}
	if festival.IsVenueAdmin(pr) {
		data["Accounts"] = p.bookingAccounts(r, pr, v.Lang, false)
	}
	v.Data = data
	p.render(w, r, status, "festivals", v)
}

// FestivalCreate makes a festival.
func (p *Pages) FestivalCreate(w http.ResponseWriter, r *http.Request) {
	if p.festivalOff(w, r) {
		return
	}
	pr := identity.FromContext(r.Context())
	v := p.view(w, r, "fest_title", nil)
	hours, _ := strconv.Atoi(strings.TrimSpace(r.PostFormValue("refund_hours")))
	f, err := p.Festival.CreateFestival(r.Context(), pr, festival.FestivalInput{Name: r.PostFormValue("name"), Kind: r.PostFormValue("kind"),
		Description: r.PostFormValue("description"), AccountID: r.PostFormValue("account_id"), RefundHours: hours})
	if err != nil {
		status := p.formFail(v, err, "fest_field_", nil)
		p.renderFestivals(w, r, v, status)
		return
	}
	p.redirectDone(w, r, "/festivals/"+f.ID, "done.fest_created")
}

// FestivalPage is a festival's programme; its organiser's administrators
// also get the form to add a performance.
func (p *Pages) FestivalPage(w http.ResponseWriter, r *http.Request) {
	if p.festivalOff(w, r) {
		return
	}
	v := p.view(w, r, "fest_programme", nil)
	p.renderFestival(w, r, v, http.StatusOK)
}

func (p *Pages) renderFestival(w http.ResponseWriter, r *http.Request, v *View, status int) {
	pr := identity.FromContext(r.Context())
	f, list, err := p.Festival.Festival(r.Context(), pr, r.PathValue("id"))
	if err != nil {
		p.Error(w, r, statusOfErr(err), err)
		return
	}
	rows := make([]perfRow, 0, len(list))
	for _, perf := range list {
		rows = append(rows, p.perfRow(v, perf))
	}
	organiser := festival.IsVenueAdmin(pr) && pr.OrgID == f.OrgID
	staff := pr != nil && pr.OrgID == f.OrgID && pr.Has(identity.Organiser)
	v.Data = map[string]any{"F": festRow{ID: f.ID, Name: f.Name, Kind: v.T("fest_kind_" + f.Kind), Organiser: p.orgNames(r).Name(f.OrgID),
		Description: f.Description}, "Performances": rows, "Organiser": organiser, "Staff": staff, "Titles": titleInputs(v), "CatSlots": catSlots(v),
		"RefundHours": strconv.Itoa(f.RefundHours)}
	p.render(w, r, status, "festival", v)
}

// FestivalAddPerformance adds a performance with up to three categories
// from the form.
func (p *Pages) FestivalAddPerformance(w http.ResponseWriter, r *http.Request) {
	if p.festivalOff(w, r) {
		return
	}
	pr := identity.FromContext(r.Context())
	v := p.view(w, r, "fest_programme", nil)
	in := festival.PerformanceInput{Titles: map[string]string{}, Venue: r.PostFormValue("venue"), Start: r.PostFormValue("start"), End: r.PostFormValue("end")}
	for _, l := range festival.Languages {
		in.Titles[l] = r.PostFormValue("title_" + l)
	}
	for i := range 3 {
		n := strconv.Itoa(i)
		name := strings.TrimSpace(r.PostFormValue("cat_name_" + n))
		if name == "" && i > 0 {
			continue
		}
		quota, _ := strconv.Atoi(strings.TrimSpace(r.PostFormValue("cat_quota_" + n)))
		price, ok := parseKZT(r.PostFormValue("cat_price_" + n))
		if !ok {
			price = -1
		}
		in.Categories = append(in.Categories, festival.CategoryInput{Name: name, Quota: quota, PriceKZT: price})
	}
	if _, err := p.Festival.AddPerformance(r.Context(), pr, r.PathValue("id"), in); err != nil {
		status := p.formFail(v, err, "fest_field_", nil)
		p.renderFestival(w, r, v, status)
		return
	}
	p.redirectDone(w, r, "/festivals/"+r.PathValue("id"), "done.fest_performance_added")
}

// parseKZT reads a price in tenge with up to two decimals ("4500",
// "4 500,50") as tiyn.
func parseKZT(s string) (int64, bool) {
	s = strings.NewReplacer(" ", "", "\u00a0", "", ",", ".").Replace(strings.TrimSpace(s))
	if s == "" {
		return 0, true
	}
	whole, frac, _ := strings.Cut(s, ".")
	if len(frac) > 2 || len(whole) > 12 {
		return 0, false
	}
	for len(frac) < 2 {
		frac += "0"
	}
	n, err := strconv.ParseInt(whole+frac, 10, 64)
	return n, err == nil && n >= 0
}

// PerformancePage shows a performance, its categories with the places
// left, and the purchase form.
func (p *Pages) PerformancePage(w http.ResponseWriter, r *http.Request) {
	if p.festivalOff(w, r) {
		return
	}
	v := p.view(w, r, "fest_performance", nil)
	p.renderPerformance(w, r, v, http.StatusOK)
}

func (p *Pages) renderPerformance(w http.ResponseWriter, r *http.Request, v *View, status int) {
	pr := identity.FromContext(r.Context())
	f, perf, err := p.Festival.Performance(r.Context(), pr, r.PathValue("id"))
	if err != nil {
		p.Error(w, r, statusOfErr(err), err)
		return
	}
	row := p.perfRow(v, perf)
	paid := false
	for _, c := range perf.Categories {
		paid = paid || c.PriceKZT > 0
	}
	resident := pr.Has(identity.Resident) && !pr.HasAny(identity.Trader, identity.OrgAdmin)
	data := map[string]any{"P": row, "Festival": festRow{ID: f.ID, Name: f.Name}, "MayBuy": festival.MayBuy(pr) && !row.Past && !row.Cancelled,
		"MayCancel": festival.IsVenueAdmin(pr) && pr.OrgID == perf.OrgID && !row.Cancelled && perf.End.After(time.Now()),
		"Key":       uuid.Must(uuid.NewV7()).String(), "Paid": paid, "Resident": resident, "RefundHours": strconv.Itoa(f.RefundHours),
		"Staff": pr.OrgID == perf.OrgID && pr.Has(identity.Organiser)}
	if paid && !resident {
		data["Accounts"] = p.bookingAccounts(r, pr, v.Lang, true)
	}
	v.Data = data
	p.render(w, r, status, "fperformance", v)
}

// FestivalBuy buys a ticket and shows it.
func (p *Pages) FestivalBuy(w http.ResponseWriter, r *http.Request) {
	if p.festivalOff(w, r) {
		return
	}
	pr := identity.FromContext(r.Context())
	v := p.view(w, r, "fest_performance", nil)
	t, _, err := p.Festival.Buy(r.Context(), pr, festival.BuyInput{PerformanceID: r.PathValue("id"), CategoryID: r.PostFormValue("category_id"),
		Key: r.PostFormValue("key"), PayFrom: r.PostFormValue("pay_from")})
	if err != nil {
		status := p.formFail(v, err, "fest_field_", nil)
		if pe, ok := err.(*problem.Error); ok && pe.Fields["start"] == "full" {
			v.Error = v.T("fest_sold_out")
		}
		p.renderPerformance(w, r, v, status)
		return
	}
	p.redirectDone(w, r, "/festival/tickets/"+t.ID, "done.fest_bought")
}

type ticketRow struct {
	ID, Title, Festival, When, Venue, Category, Status, StatusClass, Admitted, Price, Refund string
	CanCancel                                                                                bool
}

func (p *Pages) ticketRow(r *http.Request, v *View, pr *identity.Principal, t festival.Ticket, perfs map[string]festival.Performance) ticketRow {
	perf, ok := perfs[t.PerformanceID]
	if !ok {
		_, perf, _ = p.Festival.Performance(r.Context(), pr, t.PerformanceID)
		perfs[t.PerformanceID] = perf
	}
	row := ticketRow{ID: t.ID, Title: perf.Title(v.Lang), Venue: perf.Venue, Status: v.T("fest_status_" + t.Status), StatusClass: t.Status}
	if !perf.Start.IsZero() {
		row.When = p.festTime(perf.Start)
	}
	for _, c := range perf.Categories {
		if c.ID == t.CategoryID {
			row.Category = c.Name
		}
	}
	if !t.AdmittedAt.IsZero() {
		row.Admitted = p.festTime(t.AdmittedAt)[11:]
		row.Status, row.StatusClass = v.T("fest_status_admitted"), "admitted"
	}
	row.CanCancel = t.Status == festival.Valid && t.AdmittedAt.IsZero() && perf.Start.After(time.Now())
	if !perf.CancelledAt.IsZero() {
		row.Status, row.StatusClass = v.T("fest_status_perf_cancelled"), "cancelled"
	}
	if t.PriceKZT > 0 {
		row.Price = kzt(v.Lang, t.PriceKZT) + " KZT"
	}
	if t.RefundKZT > 0 {
		row.Refund = kzt(v.Lang, t.RefundKZT) + " KZT"
	}
	return row
}

// MyTicketsPage lists the buyer's tickets.
func (p *Pages) MyTicketsPage(w http.ResponseWriter, r *http.Request) {
	if p.festivalOff(w, r) {
		return
	}
	pr := identity.FromContext(r.Context())
	v := p.view(w, r, "fest_tickets", nil)
	list, err := p.Festival.MyTickets(r.Context(), pr)
	if err != nil {
		p.Error(w, r, statusOfErr(err), err)
		return
	}
	perfs := map[string]festival.Performance{}
	rows := make([]ticketRow, 0, len(list))
	for _, t := range list {
		rows = append(rows, p.ticketRow(r, v, pr, t, perfs))
	}
	v.Data = map[string]any{"Tickets": rows}
	p.render(w, r, http.StatusOK, "ftickets", v)
}

// TicketPage shows one ticket with its QR code and its token in letters
// (for the door when a camera fails).
func (p *Pages) TicketPage(w http.ResponseWriter, r *http.Request) {
	if p.festivalOff(w, r) {
		return
	}
	v := p.view(w, r, "fest_ticket", nil)
	p.renderTicket(w, r, v, http.StatusOK)
}

func (p *Pages) renderTicket(w http.ResponseWriter, r *http.Request, v *View, status int) {
	pr := identity.FromContext(r.Context())
	t, err := p.Festival.Ticket(r.Context(), pr, r.PathValue("id"))
	if err != nil {
		p.Error(w, r, statusOfErr(err), err)
		return
	}
	svg, err := festival.QRSVG(festival.QRText(t.Token), v.T("fest_qr_label"))
	if err != nil {
		p.Error(w, r, http.StatusInternalServerError, err)
		return
	}
	var groups []string
	for i := 0; i < len(t.Token); i += 4 {
		groups = append(groups, t.Token[i:min(i+4, len(t.Token))])
	}
	w.Header().Set("Cache-Control", "private, no-store")
	v.Data = map[string]any{"T": p.ticketRow(r, v, pr, t, map[string]festival.Performance{}), "QR": template.HTML(svg), "Token": strings.Join(groups, " ")}
	p.render(w, r, status, "fticket", v)
}

// FestivalCancel cancels a ticket (refunded by the festival's policy).
func (p *Pages) FestivalCancel(w http.ResponseWriter, r *http.Request) {
	if p.festivalOff(w, r) {
		return
	}
	pr := identity.FromContext(r.Context())
	if _, err := p.Festival.Cancel(r.Context(), pr, r.PathValue("id")); err != nil {
		v := p.view(w, r, "fest_ticket", nil)
		status := p.formFail(v, err, "fest_field_", nil)
		p.renderTicket(w, r, v, status)
		return
	}
	p.redirectDone(w, r, "/festival/tickets", "done.fest_cancelled")
}

// FestivalCancelPerformance: the organiser cancels a performance, after
// ticking the confirmation (every ticket is refunded in full).
func (p *Pages) FestivalCancelPerformance(w http.ResponseWriter, r *http.Request) {
	if p.festivalOff(w, r) {
		return
	}
	pr := identity.FromContext(r.Context())
	v := p.view(w, r, "fest_performance", nil)
	var err error
	if r.PostFormValue("confirm") != "yes" {
		err = &problem.Error{Code: problem.Invalid, Message: "confirm the cancellation", Fields: map[string]string{"confirm": "required"}}
	} else {
		_, err = p.Festival.CancelPerformance(r.Context(), pr, r.PathValue("id"))
	}
	if err != nil {
		if problem.Is(err, problem.NotFound) {
			p.Error(w, r, statusOfErr(err), err)
			return
		}
		v.Here = "/festival/performances/" + r.PathValue("id")
		status := p.formFail(v, err, "fest_field_", nil)
		p.renderPerformance(w, r, v, status)
		return
	}
	p.redirectDone(w, r, "/festival/performances/"+r.PathValue("id"), "done.fest_perf_cancelled")
}

// DoorPage is the check-in: one input for the token (typed, or filled by
// a scanner that types), the verdict in big letters.
func (p *Pages) DoorPage(w http.ResponseWriter, r *http.Request) {
	if p.festivalOff(w, r) {
		return
	}
	v := p.view(w, r, "fest_door", nil)
	v.Data = map[string]any{"Coming": p.doorPerformances(r, v)}
	p.render(w, r, http.StatusOK, "fdoor", v)
}

// doorPerformances are the caller's organiser's coming performances, with
// their sales pages, below the door's form.
func (p *Pages) doorPerformances(r *http.Request, v *View) []perfRow {
	pr := identity.FromContext(r.Context())
	list, err := p.Festival.Festivals(r.Context(), pr)
	if err != nil {
		return nil
	}
	var out []perfRow
	for _, f := range list {
		if f.OrgID == pr.OrgID {
			out = append(out, p.comingPerformances(r, v, pr, f.ID, 3)...)
		}
	}
	return out
}

// DoorCheck admits a token once and says so.
func (p *Pages) DoorCheck(w http.ResponseWriter, r *http.Request) {
	if p.festivalOff(w, r) {
		return
	}
	pr := identity.FromContext(r.Context())
	v := p.view(w, r, "fest_door", nil)
	a, err := p.Festival.CheckIn(r.Context(), pr, r.PostFormValue("token"))
	data := map[string]any{"Coming": p.doorPerformances(r, v)}
	status := http.StatusOK
	switch {
	case err == nil && a.Admitted:
		data["Verdict"], data["Class"] = v.T("fest_door_admit"), "admit"
	case err == nil:
		data["Verdict"], data["Class"] = v.T("fest_door_already", p.festTime(a.AdmittedAt)[11:]), "refuse"
	case problem.Is(err, problem.NotFound):
		data["Verdict"], data["Class"], status = v.T("fest_door_unknown"), "refuse", http.StatusNotFound
	case problem.Is(err, problem.Conflict):
		key := "fest_door_cancelled"
		if pe, ok := err.(*problem.Error); ok && pe.Fields["token"] == "the performance is over" {
			key = "fest_door_over"
		}
		data["Verdict"], data["Class"], status = v.T(key), "refuse", http.StatusConflict
	default:
		p.Error(w, r, statusOfErr(err), err)
		return
	}
	if err == nil {
		data["Title"], data["Category"], data["When"] = a.Performance.Title(v.Lang), a.Category, p.festTime(a.Performance.Start)
	}
	v.Data = data
	p.render(w, r, status, "fdoor", v)
}

// FestivalSalesPage is the organiser's sales of a performance: tickets
// sold against quota per category, and sales by day.
func (p *Pages) FestivalSalesPage(w http.ResponseWriter, r *http.Request) {
	if p.festivalOff(w, r) {
		return
	}
	pr := identity.FromContext(r.Context())
	v := p.view(w, r, "fest_sales", nil)
	s, err := p.Festival.Sales(r.Context(), pr, r.PathValue("id"))
	if err != nil {
		p.Error(w, r, statusOfErr(err), err)
		return
	}
	type row struct{ Name, Quota, Sold, Admitted, Cancelled, Left, Revenue string }
	var rows []row
	var cats []string
	var sold, left []int64
	var total int64
	for _, c := range s.Categories {
		rows = append(rows, row{Name: c.Name, Quota: strconv.Itoa(c.Quota), Sold: strconv.Itoa(c.Sold), Admitted: strconv.Itoa(c.Admitted),
			Cancelled: strconv.Itoa(c.Cancelled), Left: strconv.Itoa(c.Left), Revenue: kzt(v.Lang, c.Revenue) + " KZT"})
		cats = append(cats, c.Name)
		sold, left = append(sold, int64(c.Sold)), append(left, int64(c.Left))
		total += c.Revenue
	}
	data := map[string]any{"P": p.perfRow(v, s.Performance), "Rows": rows, "Total": kzt(v.Lang, total) + " KZT"}
	data["Chart"] = chart.Bar{
		Options: chart.Options{Width: 520, Height: 240, Title: v.T("fest_sales_chart"), HideTitle: true, Desc: v.T("fest_sales_chart_desc"),
			NoData: v.T("chart.no_data"), ID: "fest-sales", Colors: []string{chart.Palette()[0], chart.Palette()[2]}, Table: &chart.TableText{Key: v.T("fest_category")}},
		Categories: cats, Stacked: true, ShowValues: true,
		Series: []chart.BarSeries{{Name: v.T("fest_sold"), Values: sold}, {Name: v.T("fest_left"), Values: left}},
	}.HTML()
	v.Data = data
	p.render(w, r, http.StatusOK, "fsales", v)
}

type titleInput struct{ Code, Name, Input, Field, Value string }

// titleInputs are the form's five title inputs, with what was typed.
func titleInputs(v *View) []titleInput {
	out := make([]titleInput, 0, len(Languages))
	for _, l := range Languages {
		out = append(out, titleInput{Code: l.Code, Name: l.Name, Input: "title_" + l.Code, Field: "titles." + l.Code, Value: v.Typed("title_" + l.Code)})
	}
	return out
}

type catSlot struct{ I, N, Name, Quota, Price, FName, FQuota, FPrice string }

// catSlots are the form's three category rows, with what was typed.
func catSlots(v *View) []catSlot {
	out := make([]catSlot, 3)
	for i := range out {
		n := strconv.Itoa(i)
		f := "categories[" + n + "]."
		out[i] = catSlot{I: n, N: strconv.Itoa(i + 1), Name: v.Typed("cat_name_" + n), Quota: v.Typed("cat_quota_" + n), Price: v.Typed("cat_price_" + n),
			FName: f + "name", FQuota: f + "quota", FPrice: f + "price_kzt"}
	}
	return out
}

// festivalHome is the art zone's part of the home: a buyer's coming
// tickets, the organiser's door and sales. Counts are the pages' own
// reads.
func (p *Pages) festivalHome(r *http.Request, v *View, pr *identity.Principal) []homeCount {
	if p.Festival == nil || pr == nil {
		return nil
	}
	var out []homeCount
	if festival.MayBuy(pr) && pr.HasAny(identity.Resident, identity.Trader) {
		if list, err := p.Festival.MyTickets(r.Context(), pr); err == nil && len(list) > 0 {
			n := 0
			for _, t := range list {
				if t.Status == festival.Valid && t.AdmittedAt.IsZero() {
					n++
				}
			}
			out = append(out, counted(v, "h-fest-tickets", "fest_home_tickets_n", n, false, p.href(pr, "/festival/tickets", "/festival/tickets"), false))
		}
	}
	if href := p.href(pr, "/festival/door", "/festival/door"); href != "" && pr.Has(identity.Organiser) {
		out = append(out, homeCount{ID: "h-fest-door", Text: v.T("fest_home_door"), Href: href})
	}
	return out
}
