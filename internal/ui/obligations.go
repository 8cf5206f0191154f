package ui

import (
	"bytes"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"bricstown/internal/chart"
	"bricstown/internal/identity"
	"bricstown/internal/obligations"
	"bricstown/internal/problem"
)

// ---------------------------------------------------------------------------
// Obligation clearing (MTCS): the invoice register and clearing runs.

// Limits of what one page shows; the API pages through everything.
const (
	obligListLimit   = 100
	obligPage        = 50 // invoices per page of the register's list
	obligRunsShown   = 20
	obligChartRuns   = 12
	obligChartFirms  = 12
	obligSetOffShown = 500
	obligCSVMaxBytes = 4 << 20
)

// invoiceForm is what the add-invoice form held.
type invoiceForm struct {
	Debtor, Number, Amount, Currency, IssueDate, DueDate string
}

type obligState struct {
	status  int
	formErr error // the add-invoice form's refusal
	form    invoiceForm
	csvErr  error // the upload's refusal
	csvText string
}

type obligRow struct {
	ID, Number, Counterparty, Creditor, Debtor    string
	Side, SideText, Currency, Amount, Outstanding string
	Issue, Due, StatusText, StatusClass           string
	Confirmed, Overdue                            bool
}

type obligTotal struct {
	Currency                                              string
	Receivable, ReceivableOpen, Payable, PayableOpen, Net string
	Confirmed, Unconfirmed                                string // platform-wide summary
	Count                                                 int
	NetNegative                                           bool
}

type runCcyView struct {
	Currency, Debt, Cleared, Remaining, Saving, NetDebit string
	Invoices, Firms, Touched                             int
	Certified                                            bool
	Digest, DigestShort                                  string
	Components, FlowNodes                                int
	Chart                                                template.HTML
}

type runRowView struct {
	ID      string
	Number  int64
	At      time.Time
	Trigger string
	Touched int
	Lines   []runCcyView
}

type orgOption struct{ ID, Name string }

type csvFault struct {
	Line        int
	Where, Text string
}

// percentText renders basis points as a percentage with one decimal, in
// the language's decimal mark.
func percentText(lang string, bps int64) string {
	// Rounded half up to tenths, as the donuts round their shares (see
	// chart.Shares), so a table and its chart show the same figure.
	return permilleText(lang, (bps+5)/10)
}

// permilleText writes tenths of a percent in the language's style; the
// donuts use it for their shares.
func permilleText(lang string, pm int64) string {
	dec, _ := numberStyle(lang)
	return fmt.Sprintf("%d%s%d %%", pm/10, dec, pm%10)
}

func (p *Pages) statusView(v *View, inv *obligations.Invoice) (string, string) {
	st := inv.Status()
	class := ""
	switch st {
	case obligations.PartlyCleared:
		class = "blue"
	case obligations.Cleared:
		class = "green"
	}
	return v.T("oblig.status." + string(st)), class
}

func (p *Pages) obligRow(v *View, inv *obligations.Invoice, today time.Time) obligRow {
	org := v.Principal.OrgID
	side := inv.SideFor(org)
	row := obligRow{ID: inv.ID, Number: inv.Number, Creditor: inv.CreditorName, Debtor: inv.DebtorName, Side: string(side), Currency: inv.Currency,
		Amount: p.amount(v.Lang, inv.Currency, inv.Amount), Outstanding: p.amount(v.Lang, inv.Currency, inv.Outstanding),
		Issue: inv.IssueDate.Format(obligations.DateLayout), Due: inv.DueDate.Format(obligations.DateLayout), Confirmed: inv.Confirmed(),
		Overdue: inv.Outstanding > 0 && inv.DueDate.Before(today)}
	switch side {
	case obligations.Receivable:
		row.Counterparty, row.SideText = inv.DebtorName, v.T("oblig.receivable")
	case obligations.Payable:
		row.Counterparty, row.SideText = inv.CreditorName, v.T("oblig.payable")
	}
	row.StatusText, row.StatusClass = p.statusView(v, inv)
	return row
}

// ObligationsPage is the register page: totals, invoices to confirm, the
// company's invoices, the forms to add them and the clearing runs.
func (p *Pages) ObligationsPage(w http.ResponseWriter, r *http.Request) {
	today := time.Now().UTC()
	p.renderObligations(w, r, obligState{status: http.StatusOK, form: invoiceForm{Currency: "KZT",
		IssueDate: today.Format(obligations.DateLayout), DueDate: today.AddDate(0, 0, 30).Format(obligations.DateLayout)}})
}

func (p *Pages) renderObligations(w http.ResponseWriter, r *http.Request, st obligState) {
	ctx := r.Context()
	pr := identity.FromContext(ctx)
	admin := pr.Has(identity.PlatformAdmin)
	v := p.view(w, r, "oblig.title", nil)
	status := st.status
	if st.formErr != nil {
		status = p.formFail(v, st.formErr, "oblig.field.", map[string]string{
			"invoices[0].number": "number", "invoices[0].debtor": "debtor", "invoices[0].amount": "amount",
			"invoices[0].currency": "currency", "invoices[0].issue_date": "issue_date", "invoices[0].due_date": "due_date"})
	}
	var faults []csvFault
	if st.csvErr != nil {
		status = p.formError(v, st.csvErr)
		v.Fields = nil
		v.Error = v.T("oblig.csv_refused")
		var pe *problem.Error
		if errors.As(st.csvErr, &pe) && pe.Code != problem.Internal {
			for k, msg := range pe.Fields {
				f := csvFault{Where: k, Text: p.fieldWords(v, msg)}
				if n, err := fmt.Sscanf(k, "line %d", &f.Line); n == 1 && err == nil {
					f.Where = strings.TrimSpace(strings.TrimPrefix(strings.TrimPrefix(k, "line "+strconv.Itoa(f.Line)), ":"))
				}
				faults = append(faults, f)
			}
			if len(faults) == 0 {
				faults = append(faults, csvFault{Text: pe.Message})
			}
			slices.SortFunc(faults, func(a, b csvFault) int {
				if a.Line != b.Line {
					return a.Line - b.Line
				}
				return strings.Compare(a.Where, b.Where)
			})
		}
	}
	switch q := r.URL.Query(); q.Get("done") {
	case "created":
		n, _ := strconv.Atoi(q.Get("n"))
		e, _ := strconv.Atoi(q.Get("e"))
		v.Flash = v.TN("oblig.done.created", n, e)
	case "confirmed":
		v.Flash = v.T("oblig.done.confirmed")
	}
	today := time.Now().UTC().Truncate(24 * time.Hour)

	// Totals by currency.
	sum, err := p.Obligations.Summary(ctx, pr, "")
	if err != nil {
		p.Error(w, r, statusOfErr(err), err)
		return
	}
	var totals []obligTotal
	byCcy := map[string]*[6]int64{} // recv conf, recv open, pay conf, pay open, confirmed (town), unconfirmed (town)
	counts := map[string]int{}
	var ccys []string
	for _, s := range sum {
		t, ok := byCcy[s.Currency]
		if !ok {
			t = &[6]int64{}
			byCcy[s.Currency] = t
			ccys = append(ccys, s.Currency)
		}
		counts[s.Currency] += s.Count
		switch {
		case s.Side == obligations.Receivable && s.Confirmed:
			t[0] += s.Outstanding
		case s.Side == obligations.Receivable:
			t[1] += s.Outstanding
		case s.Side == obligations.Payable && s.Confirmed:
			t[2] += s.Outstanding
		case s.Side == obligations.Payable:
			t[3] += s.Outstanding
		case s.Confirmed:
			t[4] += s.Outstanding
		default:
			t[5] += s.Outstanding
		}
	}
	slices.Sort(ccys)
	for _, c := range ccys {
		t := byCcy[c]
		am := func(x int64) string { return p.amount(v.Lang, c, x) }
		net := t[0] + t[1] - t[2] - t[3]
		totals = append(totals, obligTotal{Currency: c, Receivable: am(t[0]), ReceivableOpen: am(t[1]), Payable: am(t[2]), PayableOpen: am(t[3]),
			Net: am(net), NetNegative: net < 0, Confirmed: am(t[4]), Unconfirmed: am(t[5]), Count: counts[c]})
	}

	// Invoices waiting for this company's confirmation, and the newest.
	var toConfirm []obligRow
	if obligations.CanEnter(pr) {
		no := false
		pending, err := p.Obligations.Invoices(ctx, pr, obligations.Filter{OrgID: pr.OrgID, Side: obligations.Payable, Confirmed: &no, Limit: obligListLimit})
		if err != nil {
			p.Error(w, r, statusOfErr(err), err)
			return
		}
		for i := range pending {
			toConfirm = append(toConfirm, p.obligRow(v, &pending[i], today))
		}
	}
	// The list: a GET form's filters are the state, paged by cursor.
	q := r.URL.Query()
	filter := map[string]string{"q": strings.TrimSpace(q.Get("q")), "side": q.Get("side"), "status": q.Get("status"), "currency": q.Get("currency")}
	f := obligations.Filter{Search: filter["q"], Side: obligations.Side(filter["side"]), Status: obligations.Status(filter["status"]),
		Currency: filter["currency"], Before: q.Get("before"), Limit: obligPage + 1}
	invs, err := p.Obligations.Invoices(ctx, pr, f)
	if err != nil {
		if problem.CodeOf(err) != problem.Invalid || st.formErr != nil || st.csvErr != nil {
			p.Error(w, r, statusOfErr(err), err)
			return
		}
		status = p.formFail(v, err, "oblig.filter.", nil)
		invs = nil
	}
	var next template.URL // built from url.Values, so already escaped
	if len(invs) > obligPage {
		invs = invs[:obligPage]
		vals := url.Values{}
		for k, x := range filter {
			if x != "" {
				vals.Set(k, x)
			}
		}
		vals.Set("before", invs[len(invs)-1].ID)
		next = template.URL("/obligations?" + vals.Encode() + "#list-h")
	}
	filtered := false
	first := url.Values{}
	for k, x := range filter {
		filtered = filtered || x != ""
		if x != "" {
			first.Set(k, x)
		}
	}
	side := filter["side"]
	rows := make([]obligRow, len(invs))
	for i := range invs {
		rows[i] = p.obligRow(v, &invs[i], today)
	}
	var statuses []filterOption
	for _, s := range obligations.Statuses {
		statuses = append(statuses, filterOption{string(s), v.T("oblig.status." + string(s))})
	}

	// Clearing runs and their history chart.
	runs, err := p.Obligations.Runs(ctx, pr, 0, obligRunsShown)
	if err != nil {
		p.Error(w, r, statusOfErr(err), err)
		return
	}
	runRows := make([]runRowView, len(runs))
	for i := range runs {
		runRows[i] = p.runRow(v, &runs[i])
	}
	var charts []map[string]any
	if len(runs) > 0 {
		charts = p.historyCharts(v, runs)
	}

	// Debtors the company may name: every other organisation but the
	// residents' community.
	var debtors []orgOption
	if obligations.CanEnter(pr) {
		orgs, err := p.Identity.Orgs(ctx, identity.Page{Limit: 1000})
		if err != nil {
			p.Error(w, r, statusOfErr(err), err)
			return
		}
		for _, o := range orgs {
			if o.ID != pr.OrgID && o.Kind != identity.KindResidents {
				debtors = append(debtors, orgOption{o.ID, o.Name + " (" + o.Country + ")"})
			}
		}
		sortByName(v.Lang, debtors, func(o orgOption) string { return o.Name })
	}
	names := p.orgNames(r)
	v.Data = map[string]any{"Admin": admin, "CanEnter": obligations.CanEnter(pr), "OrgName": names.Name(pr.OrgID), "Totals": totals,
		"ToConfirm": toConfirm, "Rows": rows, "Next": next, "Paged": f.Before != "", "First": template.URL("/obligations?" + first.Encode()), "Filter": filter, "Filtered": filtered, "Statuses": statuses,
		"Side": side, "Runs": runRows, "Charts": charts,
		"Debtors": debtors, "Currencies": p.townCurrencies(), "Form": st.form, "CSVFaults": faults, "CSVText": st.csvText,
		"CSVHeader": strings.Join(obligations.CSVColumns, ",")}
	p.render(w, r, status, "obligations", v)
}

func (p *Pages) runRow(v *View, r *obligations.Run) runRowView {
	row := runRowView{ID: r.ID, Number: r.Number, At: r.FinishedAt, Trigger: v.T("oblig.trigger." + r.Trigger), Touched: r.InvoicesTouched}
	for i := range r.Currencies {
		row.Lines = append(row.Lines, p.runCcy(v, &r.Currencies[i]))
	}
	return row
}

func (p *Pages) runCcy(v *View, c *obligations.CurrencyResult) runCcyView {
	am := func(x int64) string { return p.amount(v.Lang, c.Currency, x) }
	d := c.Certificate.Digest
	short := d
	if len(short) > 12 {
		short = short[:12] + "…"
	}
	return runCcyView{Currency: c.Currency, Debt: am(c.TotalDebt), Cleared: am(c.Cleared), Remaining: am(c.Remaining),
		Saving: percentText(v.Lang, c.SavingBps()), NetDebit: am(c.NetDebit), Invoices: c.Invoices, Firms: c.Firms, Touched: c.InvoicesTouched,
		Certified: c.Certificate.Certified, Digest: d, DigestShort: short, Components: c.Certificate.Components, FlowNodes: c.Certificate.FlowNodes}
}

// historyCharts draws, per currency of the recent runs, the debt and the
// amount cleared in each run (oldest left). Currencies do not add up, so
// each has its own chart.
func (p *Pages) historyCharts(v *View, runs []obligations.Run) []map[string]any {
	recent := runs[:min(len(runs), obligChartRuns)]
	seen := map[string]bool{}
	var ccys []string
	for _, r := range recent {
		for _, c := range r.Currencies {
			if !seen[c.Currency] {
				seen[c.Currency] = true
				ccys = append(ccys, c.Currency)
			}
		}
	}
	slices.Sort(ccys)
	var out []map[string]any
	for _, ccy := range ccys {
		var cats []string
		var debt, cleared []int64
		for i := len(recent) - 1; i >= 0; i-- {
			var d, c int64
			for _, x := range recent[i].Currencies {
				if x.Currency == ccy {
					d, c = x.TotalDebt, x.Cleared
				}
			}
			cats = append(cats, "#"+strconv.FormatInt(recent[i].Number, 10))
			debt = append(debt, d)
			cleared = append(cleared, c)
		}
		exp := p.exponent(ccy)
		html := chart.Bar{
			Options: chart.Options{Width: 480, Height: 240, Title: v.T("oblig.chart_history", ccy), HideTitle: true,
				Desc: v.TN("oblig.chart_history_desc", len(cats), ccy), NoData: v.T("chart.no_data"), ID: "oblig-history-" + ccy,
				Table: &chart.TableText{Key: v.T("oblig.run")}},
			Categories:  cats,
			Series:      []chart.BarSeries{{Name: v.T("oblig.total_debt"), Values: debt}, {Name: v.T("oblig.cleared"), Values: cleared}},
			FormatValue: func(x int64) string { return amountText(v.Lang, x, exp) },
		}.HTML()
		out = append(out, map[string]any{"Currency": ccy, "Chart": html})
	}
	return out
}

// ObligationsCreate records one invoice from the form.
func (p *Pages) ObligationsCreate(w http.ResponseWriter, r *http.Request) {
	pr := identity.FromContext(r.Context())
	if err := r.ParseForm(); err != nil {
		p.Error(w, r, http.StatusBadRequest, problem.New(problem.Malformed, "bad form"))
		return
	}
	lang := p.view(w, r, "oblig.title", nil).Lang
	form := invoiceForm{Debtor: strings.TrimSpace(r.PostFormValue("debtor")), Number: strings.TrimSpace(r.PostFormValue("number")),
		Amount: strings.TrimSpace(r.PostFormValue("amount")), Currency: strings.TrimSpace(r.PostFormValue("currency")),
		IssueDate: strings.TrimSpace(r.PostFormValue("issue_date")), DueDate: strings.TrimSpace(r.PostFormValue("due_date"))}
	res, err := p.Obligations.CreateInvoices(r.Context(), pr, []obligations.NewInvoice{{Number: form.Number, Debtor: form.Debtor,
		Amount: amountInput(lang, form.Amount), Currency: form.Currency, IssueDate: form.IssueDate, DueDate: form.DueDate}}, obligations.SourceWeb)
	if err != nil {
		p.renderObligations(w, r, obligState{formErr: err, form: form})
		return
	}
	created, existing := 0, 0
	if res[0].Created {
		created = 1
	} else {
		existing = 1
	}
	http.Redirect(w, r, fmt.Sprintf("/obligations?done=created&n=%d&e=%d", created, existing), http.StatusSeeOther)
}

// ObligationsImport records the invoices of an uploaded (or pasted) CSV
// file, all or none.
func (p *Pages) ObligationsImport(w http.ResponseWriter, r *http.Request) {
	pr := identity.FromContext(r.Context())
	body, text, err := csvUpload(r, obligCSVMaxBytes)
	if err != nil {
		p.renderObligations(w, r, obligState{csvErr: err})
		return
	}
	if len(bytes.TrimSpace(body)) == 0 {
		v := p.view(w, r, "oblig.title", nil)
		p.renderObligations(w, r, obligState{csvErr: &problem.Error{Code: problem.Invalid, Message: v.T("oblig.csv_empty"),
			Fields: map[string]string{"file": v.T("oblig.csv_empty")}}})
		return
	}
	res, err := p.Obligations.ImportCSV(r.Context(), pr, bytes.NewReader(body))
	if err != nil {
		p.renderObligations(w, r, obligState{csvErr: err, csvText: text})
		return
	}
	created := 0
	for _, c := range res {
		if c.Created {
			created++
		}
	}
	http.Redirect(w, r, fmt.Sprintf("/obligations?done=created&n=%d&e=%d", created, len(res)-created), http.StatusSeeOther)
}

// ObligationsConfirm confirms an invoice the caller's company owes.
func (p *Pages) ObligationsConfirm(w http.ResponseWriter, r *http.Request) {
	pr := identity.FromContext(r.Context())
	if _, _, err := p.Obligations.Confirm(r.Context(), pr, r.PathValue("id")); err != nil {
		p.Error(w, r, statusOfErr(err), err)
		return
	}
	http.Redirect(w, r, "/obligations?done=confirmed", http.StatusSeeOther)
}

// ObligationsRun runs clearing now (platform administrator) and shows the report.
func (p *Pages) ObligationsRun(w http.ResponseWriter, r *http.Request) {
	pr := identity.FromContext(r.Context())
	run, err := p.Obligations.Run(r.Context(), pr)
	if err != nil {
		p.Error(w, r, statusOfErr(err), err)
		return
	}
	http.Redirect(w, r, "/obligations/runs/"+url.PathEscape(run.ID), http.StatusSeeOther)
}

type firmView struct {
	OrgID, Name, Currency                                          string
	PayableBefore, PayableAfter, ReceivableBefore, ReceivableAfter string
	Cleared                                                        string
	Own                                                            bool
}

type setOffView struct {
	InvoiceID, Number, Creditor, Debtor, Currency, Before, Amount, After string
}

// ObligationRunPage is one run's report: figures and certificate per currency,
// the cleared share, and the company lines the caller may see.
func (p *Pages) ObligationRunPage(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	pr := identity.FromContext(ctx)
	run, err := p.Obligations.GetRun(ctx, pr, r.PathValue("id"))
	if err != nil {
		p.Error(w, r, statusOfErr(err), err)
		return
	}
	admin := pr.Has(identity.PlatformAdmin)
	v := p.view(w, r, "oblig.run_page", nil)
	var ccys []runCcyView
	for i := range run.Currencies {
		c := &run.Currencies[i]
		cv := p.runCcy(v, c)
		if sh := chart.Shares([]int64{c.Cleared, c.Remaining}); sh != nil {
			cv.Saving = permilleText(v.Lang, sh[0]) // the donut's own figure
		}
		exp := p.exponent(c.Currency)
		cv.Chart = chart.Donut{
			Options: chart.Options{Width: 400, Height: 220, Title: v.T("oblig.chart_share", c.Currency), HideTitle: true,
				Desc: v.T("oblig.chart_share_desc", cv.Debt+" "+c.Currency, cv.Cleared+" "+c.Currency), NoData: v.T("chart.no_data"),
				ID:    "oblig-share-" + c.Currency,
				Table: &chart.TableText{Key: v.T("oblig.status"), Value: v.T("oblig.amount"), Share: "%"}},
			Slices:      []chart.Slice{{Label: v.T("oblig.cleared"), Value: c.Cleared}, {Label: v.T("oblig.remaining"), Value: c.Remaining}},
			FormatValue: func(x int64) string { return amountText(v.Lang, x, exp) },
			FormatShare: func(pm int64) string { return permilleText(v.Lang, pm) },
			CenterLabel: c.Currency,
		}.HTML()
		ccys = append(ccys, cv)
	}
	var firms []firmView
	byCcy := map[string][]obligations.FirmResult{}
	for _, f := range run.Firms {
		am := func(x int64) string { return p.amount(v.Lang, f.Currency, x) }
		firms = append(firms, firmView{OrgID: f.OrgID, Name: f.OrgName, Currency: f.Currency, PayableBefore: am(f.PayableBefore),
			PayableAfter: am(f.PayableBefore - f.Cleared), ReceivableBefore: am(f.ReceivableBefore), ReceivableAfter: am(f.ReceivableBefore - f.Cleared),
			Cleared: am(f.Cleared), Own: f.OrgID == pr.OrgID})
		byCcy[f.Currency] = append(byCcy[f.Currency], f)
	}
	// Per-company charts: the administrator's view of who saved most.
	var firmCharts []map[string]any
	if admin {
		for _, c := range run.Currencies {
			fs := slices.Clone(byCcy[c.Currency])
			byName := compareNames(v.Lang)
			slices.SortStableFunc(fs, func(a, b obligations.FirmResult) int {
				switch {
				case a.Cleared > b.Cleared:
					return -1
				case a.Cleared < b.Cleared:
					return 1
				}
				return byName(a.OrgName, b.OrgName)
			})
			fs = fs[:min(len(fs), obligChartFirms)]
			var cats []string
			var before, cleared []int64
			for _, f := range fs {
				cats = append(cats, f.OrgName)
				before = append(before, f.PayableBefore)
				cleared = append(cleared, f.Cleared)
			}
			exp := p.exponent(c.Currency)
			firmCharts = append(firmCharts, map[string]any{"Currency": c.Currency, "Chart": chart.Bar{
				Options: chart.Options{Width: 640, Height: 300, Title: v.T("oblig.chart_firms", c.Currency), HideTitle: true,
					Desc: v.TN("oblig.chart_firms_desc", len(cats), c.Currency), NoData: v.T("chart.no_data"), ID: "oblig-firms-" + c.Currency,
					Table: &chart.TableText{Key: v.T("oblig.firm")}},
				Categories:  cats,
				Series:      []chart.BarSeries{{Name: v.T("oblig.payable_before"), Values: before}, {Name: v.T("oblig.cleared"), Values: cleared}},
				FormatValue: func(x int64) string { return amountText(v.Lang, x, exp) },
			}.HTML()})
		}
	}
	lines, err := p.Obligations.RunSetOffs(ctx, pr, run, obligSetOffShown)
	if err != nil {
		p.Error(w, r, statusOfErr(err), err)
		return
	}
	setoffs := make([]setOffView, len(lines))
	for i, l := range lines {
		am := func(x int64) string { return p.amount(v.Lang, l.Invoice.Currency, x) }
		setoffs[i] = setOffView{InvoiceID: l.Invoice.ID, Number: l.Invoice.Number, Creditor: l.Invoice.CreditorName, Debtor: l.Invoice.DebtorName,
			Currency: l.Invoice.Currency, Before: am(l.Before), Amount: am(l.Amount), After: am(l.Before - l.Amount)}
	}
	runBy := v.T("oblig.system")
	if run.RunBy != "system" && run.RunBy != "" {
		runBy = run.RunBy
		if u, err := p.Identity.UserByID(ctx, run.RunBy); err == nil && (admin || u.OrgID == pr.OrgID) {
			runBy = u.Name
		} else if !admin {
			runBy = v.T("oblig.platform_admin")
		}
	}
	v.Data = map[string]any{"Run": run, "RunBy": runBy, "Trigger": v.T("oblig.trigger." + run.Trigger), "Currencies": ccys, "Firms": firms,
		"FirmCharts": firmCharts, "Admin": admin, "SetOffs": setoffs, "SetOffsMore": len(lines) >= obligSetOffShown}
	p.render(w, r, http.StatusOK, "obligationsrun", v)
}
