package ui

import (
	"context"
	"errors"
	"fmt"
	"html/template"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"bricstown/internal/chart"
	"bricstown/internal/fx"
	"bricstown/internal/identity"
	"bricstown/internal/money"
	"bricstown/internal/period"
	"bricstown/internal/problem"
	"bricstown/internal/settlement"

	"github.com/google/uuid"
)

// The settlement pages: a dashboard of cycles for banks and the settlement
// centre (the platform administrator), and one page per cycle report.

// settleReasons and settleStatuses are the domain values the pages
// translate (settle.reason.*, settle.status.*).
var (
	settleReasons = []string{"payer_shortfall", "cascade_shortfall", "no_rate", "future_value_date", "participant_inactive", "no_settlement_account",
		settlement.ReasonSelfPayment, settlement.ReasonNoCentreAccount, settlement.ReasonAmountOverflow, settlement.ReasonAccountAtLimit, settlement.ReasonInvalidAmount,
		settlement.ReasonHeld}
	settleStatuses = []string{string(settlement.Queued), string(settlement.Deferred), string(settlement.Settled), string(settlement.Cancelled),
		string(settlement.Held), string(settlement.Excluded)}
	// settleFields are the form fields with a catalogue message (settle.field.*).
	settleFields = []string{"end_to_end_id", "payee_bic", "amount", "currency", "payee_currency", "value_date", "remittance",
		"org_id", "bic", "credit_amount", "file", "reason"}
)

// SettlementKeys lists the catalogue keys the settlement pages build from
// domain values (deferral reasons, statuses, form fields), so a test can
// prove each exists in every language.
func SettlementKeys() []string {
	var keys []string
	for _, r := range settleReasons {
		keys = append(keys, "settle.reason."+r)
	}
	for _, st := range settleStatuses {
		keys = append(keys, "settle.status."+st)
	}
	for _, f := range settleFields {
		keys = append(keys, "settle.field."+f)
	}
	return keys
}

// settleChartCycles is how many cycles the dashboard's charts show.
const settleChartCycles = 12

type settleInstructionForm struct {
	EndToEndID, PayeeBIC, Amount, Currency, PayeeCurrency, ValueDate, Remittance string
	Urgent                                                                       bool
}

type settleAdmitForm struct {
	OrgID, BIC, CreditCurrency, CreditAmount string
	Active                                   bool
}

type settleState struct {
	status  int
	formErr error
	which   string // the form the error belongs to: submit, upload, admit, run, cancel, queue
	form    settleInstructionForm
	admit   settleAdmitForm
}

type settleInstructionRow struct {
	Seq                                      int64
	EndToEndID, Direction, Counterparty, BIC string
	CancelPath                               string
	Amount, Currency, PayeeCurrency          string
	ValueDate                                string
	Status, StatusClass, Reason, HoldReason  string
	Urgent, CanCancel, Outgoing              bool
	// The settlement centre's controls on any bank's instruction.
	CentrePath          string // /settlement/queue/{seq}
	CanHold, CanRelease bool
}

type settleCycleRow struct {
	Number                                     int64
	SettledAt                                  time.Time
	Instructions, Settled, Deferred, Transfers int
	Saving, CostSaving, CostCurrency           string
}

type settleParticipantRow struct {
	OrgID, Name, BIC, CreditLines string
	Active                        bool
	CreatedAt                     time.Time
}

type settleOption struct {
	Value, Text string
	Selected    bool
}

// settleRates prices the pages' valuations in the reporting currency from
// the FX board (the cycle's own pricing; crosses through the indicative
// USD mids where no bank quotes a pair).
func (p *Pages) settleRates(ctx context.Context) func(a, b string) (money.Rate, bool) {
	var board []fx.Rate
	if p.FX != nil {
		if b, err := p.FX.CurrentRates(ctx, time.Now()); err == nil {
			board = b
		}
	}
	return settlement.CycleRates(board, fx.DefaultUSDConfig())
}

// valueIn converts minor units of ccy into minor units of to, ok=false when
// there is no price.
func (p *Pages) valueIn(rate func(a, b string) (money.Rate, bool), ccy, to string, v int64) (int64, bool) {
	if ccy == to {
		return v, true
	}
	r, ok := rate(ccy, to)
	if !ok {
		return 0, false
	}
	out, err := money.Convert(v, p.exponent(ccy), r, p.exponent(to), money.RoundHalfEven)
	return out, err == nil
}

func (p *Pages) settleReason(v *View, reason string) string {
	if reason == "" {
		return ""
	}
	if key := "settle.reason." + reason; p.has(key) {
		return v.T(key)
	}
	return reason
}

// settleFail translates a failed form's messages; service fields about the
// first (only) instruction are the form's fields.
func (p *Pages) settleFail(v *View, err error) int {
	var pe *problem.Error
	if errors.As(err, &pe) && len(pe.Fields) > 0 {
		cp := *pe
		cp.Fields = map[string]string{}
		for k, msg := range pe.Fields {
			k = strings.TrimPrefix(k, "instructions[0].")
			if strings.HasPrefix(k, "credit_lines.") {
				k = "credit_amount"
			}
			cp.Fields[k] = msg
		}
		err = &cp
	}
	taken := false
	if pe != nil && pe.Fields["instructions[0].end_to_end_id"] == "exists_with_different_fields" || pe != nil && pe.Fields["end_to_end_id"] == "exists_with_different_fields" {
		taken = true
	}
	status := p.formFail(v, err, "settle.field.", nil)
	if taken {
		v.Fields["end_to_end_id"] = v.T("settle.e2e_taken")
	}
	if problem.CodeOf(err) == problem.Forbidden {
		v.Error = v.T("settle.not_participant")
	}
	return status
}

// settlementOff answers 503 when the server runs without settlement.
func (p *Pages) settlementOff(w http.ResponseWriter, r *http.Request) bool {
	if p.Settlement == nil {
		p.Error(w, r, http.StatusServiceUnavailable, problem.New(problem.Unavailable, "settlement is not enabled"))
		return true
	}
	return false
}

// SettlementPage is the settlement dashboard.
func (p *Pages) SettlementPage(w http.ResponseWriter, r *http.Request) {
	p.renderSettlement(w, r, settleState{status: http.StatusOK})
}

func (p *Pages) renderSettlement(w http.ResponseWriter, r *http.Request, st settleState) {
	pr := identity.FromContext(r.Context())
	ctx := r.Context()
	v := p.view(w, r, "settle.title", nil)
	if p.settlementOff(w, r) {
		return
	}
	status := st.status
	var uploadErrors []string
	if st.formErr != nil {
		if st.which == "upload" {
			status = p.formError(v, st.formErr)
			var pe *problem.Error
			if errors.As(st.formErr, &pe) {
				for k, msg := range pe.Fields {
					if k == "file" {
						msg = v.T("settle.field.file")
					}
					uploadErrors = append(uploadErrors, k+": "+msg)
				}
				slices.Sort(uploadErrors)
			}
			switch problem.CodeOf(st.formErr) {
			case problem.Forbidden:
				v.Error = v.T("settle.not_participant")
			case problem.TooLarge:
				v.Error, status = v.T("settle.upload_too_large"), http.StatusRequestEntityTooLarge
			case problem.Internal:
				v.Error = v.T("error.generic")
			default:
				v.Error = v.T("settle.upload_refused")
			}
		} else {
			status = p.settleFail(v, st.formErr)
			if errors.Is(st.formErr, settlement.ErrNothingToSettle) {
				v.Error = v.T("settle.nothing_queued")
			}
			if problem.CodeOf(st.formErr) == problem.Forbidden && (st.which == "run" || st.which == "queue") {
				v.Error = v.T("settle.not_centre")
			}
		}
	}
	isAdmin, isBank := pr.Has(identity.PlatformAdmin), pr.Has(identity.BankOperator)
	isCentre := p.Settlement.IsCentre(ctx, pr)
	names := p.orgNames(r)
	parts, err := p.Settlement.Participants(ctx)
	if err != nil {
		p.Error(w, r, statusOfErr(err), err)
		return
	}
	bic := map[string]string{}
	var own *settlement.Participant
	for i := range parts {
		bic[parts[i].OrgID] = parts[i].BIC
		if parts[i].OrgID == pr.OrgID {
			own = &parts[i]
		}
	}
	data := map[string]any{"IsAdmin": isAdmin, "IsBank": isBank, "IsCentre": isCentre, "Which": st.which, "UploadErrors": uploadErrors,
		"Currencies": p.townCurrencies(), "Bank": names.Name(pr.OrgID), "Participant": own != nil && own.Active}
	if own != nil {
		data["BIC"] = own.BIC
	}

	// Cycles: the history, its charts and the latest summary.
	// Paged by number ("cycles_before", a cursor like the API's) and
	// filtered by settlement date; the latest cycle's headline is on the
	// unfiltered first page only.
	cq := r.URL.Query()
	cycleFind := map[string]string{"cycles_from": strings.TrimSpace(cq.Get("cycles_from")), "cycles_to": strings.TrimSpace(cq.Get("cycles_to"))}
	cyclesBefore, _ := strconv.ParseInt(cq.Get("cycles_before"), 10, 64)
	cyclesBefore = max(cyclesBefore, 0)
	cf := problem.Fields{}
	cycleQuery := settlement.CycleQuery{Before: cyclesBefore, Limit: listPage + 1,
		From: period.Bound(cf, "cycles_from", cycleFind["cycles_from"], false, time.Time{}),
		To:   period.Bound(cf, "cycles_to", cycleFind["cycles_to"], true, time.Time{})}
	var cycles []settlement.Cycle
	if len(cf) > 0 {
		for k := range cf {
			fieldFail(v, k, "lists.field.date")
		}
		status = http.StatusBadRequest
	} else if cycles, err = p.Settlement.SearchCycles(ctx, cycleQuery); err != nil {
		if problem.CodeOf(err) != problem.Invalid {
			p.Error(w, r, statusOfErr(err), err)
			return
		}
		status = p.formFail(v, err, "lists.field.", map[string]string{"to": "cycles_to", "cursor": "cycles_before"})
	}
	cycleLink := func(before int64) string {
		vals := url.Values{}
		for k, x := range cycleFind {
			if x != "" {
				vals.Set(k, x)
			}
		}
		if before > 0 {
			vals.Set("cycles_before", strconv.FormatInt(before, 10))
		}
		if len(vals) == 0 {
			return "/settlement#cycles-h"
		}
		return "/settlement?" + vals.Encode() + "#cycles-h"
	}
	cyclePager := declPager{Clear: "/settlement#cycles-h"}
	if len(cycles) > listPage {
		cycles = cycles[:listPage]
		cyclePager.Next = cycleLink(cycles[listPage-1].Number)
	}
	if cyclesBefore > 0 {
		cyclePager.Paged, cyclePager.First = true, cycleLink(0)
	}
	cyclesFiltered := cycleFind["cycles_from"] != "" || cycleFind["cycles_to"] != ""
	data["CycleFind"], data["CyclesFiltered"] = cycleFind, cyclesFiltered
	data["CyclePager"] = cyclePager
	rows := make([]settleCycleRow, len(cycles))
	for i, c := range cycles {
		rows[i] = settleCycleRow{Number: c.Number, SettledAt: c.SettledAt, Instructions: c.Report.Instructions, Settled: c.Report.Settled,
			Deferred: c.Report.Deferred, Transfers: c.Report.SettlementTransfers, Saving: bpsPercent(v.Lang, c.Report.LiquiditySavingBps),
			CostSaving: p.amount(v.Lang, c.Report.Cost.Currency, c.Report.Cost.Saving), CostCurrency: c.Report.Cost.Currency}
	}
	data["Cycles"] = rows
	if len(cycles) > 0 && cyclesBefore == 0 && !cyclesFiltered {
		data["Latest"] = p.cycleHeadline(v, cycles[0])
	}
	if len(cycles) > 0 {
		data["GrossNetChart"], data["SavingChart"] = p.cycleHistoryCharts(v, ctx, cycles)
	}

	// The queue: the bank's own unsettled instructions; the centre sees
	// every bank's, with its hold, release and cancel controls. Searched
	// and paged by sequence number (docs/UI.md, "Lists that scale").
	find, query, bad := readInstructionFind(v, r)
	query.Unsettled = true
	var list []settlement.Instruction
	if bad {
		status = http.StatusBadRequest
	} else {
		if isCentre {
			list, err = p.Settlement.SearchQueue(ctx, pr, query)
		} else {
			list, err = p.Settlement.SearchInstructions(ctx, pr, query)
		}
		if err != nil {
			if problem.CodeOf(err) != problem.Invalid {
				p.Error(w, r, statusOfErr(err), err)
				return
			}
			status = p.formFail(v, err, "lists.field.", nil)
		}
	}
	list, pager := pageInstructions("/settlement", find, list)
	var queue []settleInstructionRow
	for _, in := range list {
		row := p.instructionRow(v, in, pr, bic, names)
		if isCentre {
			row.CentrePath = "/settlement/queue/" + strconv.FormatInt(in.Seq, 10)
			row.CanHold, row.CanRelease = !in.Held, in.Held
		}
		queue = append(queue, row)
	}
	data["Queue"], data["Find"], data["Pager"], data["ListPath"] = queue, find, pager, "/settlement"
	data["Searching"] = find.Filtered()
	if isCentre {
		// What a cycle would take: the whole queue, not this page of it.
		work, err := p.Settlement.WorkOf(ctx, pr)
		if err != nil {
			p.Error(w, r, statusOfErr(err), err)
			return
		}
		data["Queued"] = work.Queued + work.Held + work.Deferred + work.Excluded
	}

	// The forms.
	form := st.form
	if form.EndToEndID == "" {
		prefix := "E2E"
		if own != nil && len(own.BIC) >= 4 {
			prefix = own.BIC[:4]
		}
		id := strings.ReplaceAll(uuid.Must(uuid.NewV7()).String(), "-", "")
		form.EndToEndID = prefix + "-" + strings.ToUpper(id[len(id)-12:])
	}
	if form.Currency == "" {
		form.Currency = "KZT"
	}
	data["Form"] = form
	var payees []settleOption
	for _, pt := range parts {
		if pt.Active && pt.OrgID != pr.OrgID {
			payees = append(payees, settleOption{Value: pt.BIC, Text: pt.BIC + " — " + names.Name(pt.OrgID), Selected: pt.BIC == form.PayeeBIC})
		}
	}
	data["Payees"] = payees
	data["Today"] = time.Now().UTC().Format("2006-01-02")
	if isBank {
		var ccys []string
		if own != nil {
			if accts, err := p.listAccounts(r, pr, pr.OrgID); err == nil {
				for _, a := range accts {
					if a.Code == settlement.SettlementCode && !a.Closed && !slices.Contains(ccys, a.Currency) {
						ccys = append(ccys, a.Currency)
					}
				}
			}
		}
		slices.Sort(ccys)
		data["StatementCurrencies"] = ccys
	}
	if isAdmin {
		var prow []settleParticipantRow
		for _, pt := range parts {
			var lines []string
			for _, c := range slices.Sorted(maps.Keys(pt.CreditLines)) {
				if pt.CreditLines[c] != 0 {
					lines = append(lines, p.amount(v.Lang, c, pt.CreditLines[c])+" "+c)
				}
			}
			prow = append(prow, settleParticipantRow{OrgID: pt.OrgID, Name: names.Name(pt.OrgID), BIC: pt.BIC, CreditLines: strings.Join(lines, ", "),
				Active: pt.Active, CreatedAt: pt.CreatedAt})
		}
		data["Participants"] = prow
		admit := st.admit
		if st.which != "admit" {
			admit = settleAdmitForm{CreditCurrency: "KZT", Active: true}
		}
		data["Admit"] = admit
		var banks []settleOption
		var after string
		for {
			orgs, err := p.Identity.Orgs(ctx, identity.Page{After: after, Limit: 500})
			if err != nil {
				p.Error(w, r, statusOfErr(err), err)
				return
			}
			for _, o := range orgs {
				if o.Kind == identity.KindBank {
					text := o.Name
					if b := bic[o.ID]; b != "" {
						text += " (" + b + ")"
					}
					banks = append(banks, settleOption{Value: o.ID, Text: text, Selected: o.ID == admit.OrgID})
				}
			}
			if len(orgs) < 500 {
				break
			}
			after = orgs[len(orgs)-1].ID
		}
		sortByName(v.Lang, banks, func(o settleOption) string { return o.Text })
		data["Banks"] = banks
	}
	q := r.URL.Query()
	switch q.Get("done") {
	case "submitted":
		// Read back, so a crafted link cannot fake a success.
		if in, err := p.Settlement.Instruction(ctx, pr, q.Get("e2e")); err == nil {
			key := "settle.done_submitted"
			if q.Get("result") == "exists" {
				key = "settle.done_exists"
			}
			data["Done"] = v.T(key, in.EndToEndID)
		}
	case "imported":
		n, _ := strconv.Atoi(q.Get("n"))
		dup, _ := strconv.Atoi(q.Get("dup"))
		data["Done"] = v.TN("settle.done_imported", n, dup)
	case "cancelled":
		if in, err := p.Settlement.Instruction(ctx, pr, q.Get("e2e")); err == nil && in.Status == settlement.Cancelled {
			data["Done"] = v.T("settle.done_cancelled", in.EndToEndID)
		}
	case "admitted":
		data["Done"] = v.T("settle.done_admitted")
	case "held", "released", "centre_cancelled":
		// Read back, so a crafted link cannot fake a decision.
		seq, _ := strconv.ParseInt(q.Get("seq"), 10, 64)
		if in, err := p.Settlement.QueuedInstruction(ctx, pr, seq); err == nil {
			switch {
			case q.Get("done") == "held" && in.Status == settlement.Held:
				data["Done"] = v.T("settle.done_held", in.EndToEndID)
			case q.Get("done") == "released" && in.Status != settlement.Held:
				data["Done"] = v.T("settle.done_released", in.EndToEndID)
			case q.Get("done") == "centre_cancelled" && in.Status == settlement.Cancelled:
				data["Done"] = v.T("settle.done_cancelled", in.EndToEndID)
			}
		}
	}
	v.Data = data
	p.render(w, r, status, "settlement", v)
}

func (p *Pages) instructionRow(v *View, in settlement.Instruction, pr *identity.Principal, bic map[string]string, names *identity.OrgNames) settleInstructionRow {
	row := settleInstructionRow{Seq: in.Seq, EndToEndID: in.EndToEndID, Amount: p.amount(v.Lang, in.Currency, in.Amount), Currency: in.Currency,
		PayeeCurrency: in.PayeeCurrency, ValueDate: in.ValueDate.UTC().Format("2006-01-02"), Status: v.T("settle.status." + string(in.Status)),
		Reason: p.settleReason(v, in.Reason), Urgent: in.Urgent}
	if in.Held {
		row.HoldReason = v.T("settle.held_because", in.HoldReason)
	}
	switch in.Status {
	case settlement.Held, settlement.Excluded:
		row.StatusClass = "red"
	case settlement.Deferred:
		row.StatusClass = "yellow"
	case settlement.Settled:
		row.StatusClass = "green"
	case settlement.Queued:
		row.StatusClass = "blue"
	}
	counter := in.Payee
	row.Direction, row.Outgoing = v.T("settle.dir_out"), true
	if pr.OrgID == in.Payee {
		counter, row.Direction, row.Outgoing = in.Payer, v.T("settle.dir_in"), false
	}
	if pr.Has(identity.PlatformAdmin) || pr.OrgID != in.Payer && pr.OrgID != in.Payee {
		// The centre's view of another bank's payment.
		row.Direction, row.Outgoing = bic[in.Payer]+" → "+bic[in.Payee], false
	}
	row.Counterparty, row.BIC = names.Name(counter), bic[counter]
	row.CancelPath = "/settlement/instructions/" + url.PathEscape(in.EndToEndID) + "/cancel"
	row.CanCancel = pr.OrgID == in.Payer && pr.Has(identity.BankOperator) && unsettled(in.Status)
	return row
}

// unsettled is true for the statuses a cycle may still settle (and a bank
// or the centre may still cancel).
func unsettled(st settlement.Status) bool {
	switch st {
	case settlement.Queued, settlement.Deferred, settlement.Excluded, settlement.Held:
		return true
	}
	return false
}

type cycleHeadline struct {
	Number                                     int64
	SettledAt                                  time.Time
	Instructions, Settled, Deferred, Transfers int
	Saving, CostUSD, CostLocal, CostSaving     string
	CostSavingPct, CostCurrency                string
	TransfersPct                               string
	// Reduction is true when netting needed fewer settlement transfers
	// than the payments it settled (only then is "a → b" shown).
	Reduction bool
	// The cost figures' ranges over the model's scenarios ("" for reports
	// priced before the model was sourced; Unsourced is then true).
	CostUSDRange, CostLocalRange, CostSavingRange, CostSavingPctRange string
	CostModel                                                         string
	Unsourced                                                         bool
}

func (p *Pages) cycleHeadline(v *View, c settlement.Cycle) cycleHeadline {
	rep := c.Report
	h := cycleHeadline{Number: c.Number, SettledAt: c.SettledAt, Instructions: rep.Instructions, Settled: rep.Settled, Deferred: rep.Deferred,
		Transfers: rep.SettlementTransfers, Saving: bpsPercent(v.Lang, rep.LiquiditySavingBps),
		CostUSD: p.amount(v.Lang, rep.Cost.Currency, rep.Cost.USDRoute), CostLocal: p.amount(v.Lang, rep.Cost.Currency, rep.Cost.Local),
		CostSaving: p.amount(v.Lang, rep.Cost.Currency, rep.Cost.Saving), CostSavingPct: bpsPercent(v.Lang, rep.Cost.SavingBps),
		CostCurrency: rep.Cost.Currency}
	if rep.Settled > 0 && rep.SettlementTransfers < rep.Settled {
		// Settlement transfers as a share of the payments they settled.
		h.Reduction = true
		h.TransfersPct = bpsPercent(v.Lang, int64(rep.SettlementTransfers)*10000/int64(rep.Settled))
	}
	if rg := rep.Cost.Range; rg != nil {
		money := func(x [2]int64) string {
			return v.T("settle.range", p.amount(v.Lang, rep.Cost.Currency, x[0]), p.amount(v.Lang, rep.Cost.Currency, x[1]))
		}
		h.CostUSDRange, h.CostLocalRange, h.CostSavingRange = money(rg.USDRoute), money(rg.Local), money(rg.Saving)
		h.CostSavingPctRange = v.T("settle.range", bpsPercent(v.Lang, rg.SavingBps[0]), bpsPercent(v.Lang, rg.SavingBps[1]))
		h.CostModel = rep.Cost.Model
	} else {
		h.Unsourced = true
	}
	return h
}

// cycleHistoryCharts draws gross against net value per cycle in the
// reporting currency and the liquidity saving per cycle, oldest first.
func (p *Pages) cycleHistoryCharts(v *View, ctx context.Context, cycles []settlement.Cycle) (template.HTML, template.HTML) {
	n := min(len(cycles), settleChartCycles)
	rate := p.settleRates(ctx)
	rep := p.Settlement.CostModel().Reporting
	var cats []string
	var gross, net, saving []int64
	for i := n - 1; i >= 0; i-- {
		c := cycles[i]
		cats = append(cats, "#"+strconv.FormatInt(c.Number, 10))
		var g, nt int64
		for _, cf := range c.Report.Currencies {
			if gv, ok := p.valueIn(rate, cf.Currency, rep, cf.Gross); ok {
				nv, _ := p.valueIn(rate, cf.Currency, rep, cf.Net)
				g, nt = g+gv, nt+nv
			}
		}
		gross, net, saving = append(gross, g), append(net, nt), append(saving, c.Report.LiquiditySavingBps)
	}
	exp := p.exponent(rep)
	gn := chart.Bar{
		Options: chart.Options{Width: 640, Height: 280, Title: v.T("settle.chart_gross_net", rep), HideTitle: true, Desc: v.T("settle.chart_gross_net_desc", rep),
			NoData: v.T("chart.no_data"), ID: "cycles-gross-net", Table: &chart.TableText{Key: v.T("settle.cycle")}},
		Categories:  cats,
		Series:      []chart.BarSeries{{Name: v.T("settle.gross") + " (" + rep + ")", Values: gross}, {Name: v.T("settle.net") + " (" + rep + ")", Values: net}},
		FormatValue: func(x int64) string { return amountText(v.Lang, x/pow10(exp), 0) },
	}.HTML()
	sv := chart.Bar{
		Options: chart.Options{Width: 640, Height: 240, Title: v.T("settle.chart_saving"), HideTitle: true, Desc: v.T("settle.chart_saving_desc"),
			NoData: v.T("chart.no_data"), ID: "cycles-saving", Colors: []string{chart.Palette()[2]}, Table: &chart.TableText{Key: v.T("settle.cycle")}},
		Categories:  cats,
		Series:      []chart.BarSeries{{Name: v.T("settle.liquidity_saving"), Values: saving}},
		ShowValues:  true,
		FormatValue: func(x int64) string { return bpsPercent(v.Lang, x) },
	}.HTML()
	return gn, sv
}

func pow10(e int) int64 {
	x := int64(1)
	for i := 0; i < e; i++ {
		x *= 10
	}
	return x
}

// SettlementSubmit queues one payment instruction from the form.
func (p *Pages) SettlementSubmit(w http.ResponseWriter, r *http.Request) {
	if p.settlementOff(w, r) {
		return
	}
	pr := identity.FromContext(r.Context())
	if err := r.ParseForm(); err != nil {
		p.Error(w, r, http.StatusBadRequest, problem.New(problem.Malformed, "bad form"))
		return
	}
	lang := p.view(w, r, "settle.title", nil).Lang
	form := settleInstructionForm{EndToEndID: strings.TrimSpace(r.PostFormValue("end_to_end_id")), PayeeBIC: strings.TrimSpace(r.PostFormValue("payee_bic")),
		Amount: strings.TrimSpace(r.PostFormValue("amount")), Currency: strings.ToUpper(strings.TrimSpace(r.PostFormValue("currency"))),
		PayeeCurrency: strings.ToUpper(strings.TrimSpace(r.PostFormValue("payee_currency"))), ValueDate: strings.TrimSpace(r.PostFormValue("value_date")),
		Remittance: strings.TrimSpace(r.PostFormValue("remittance")), Urgent: r.PostFormValue("urgent") != ""}
	in := settlement.InstructionInput{EndToEndID: form.EndToEndID, PayeeBIC: form.PayeeBIC, Amount: amountInput(lang, form.Amount), Currency: form.Currency,
		PayeeCurrency: form.PayeeCurrency, ValueDate: form.ValueDate, Urgent: form.Urgent, Remittance: form.Remittance}
	if in.PayeeCurrency == in.Currency {
		in.PayeeCurrency = ""
	}
	res, err := p.Settlement.Submit(r.Context(), pr, []settlement.InstructionInput{in}, "web")
	if err == nil && len(res) == 1 && res[0].Result == "exists_with_different_fields" {
		err = &problem.Error{Code: problem.Conflict, Message: "the end-to-end id is taken",
			Fields: map[string]string{"end_to_end_id": "exists_with_different_fields"}}
	}
	if err != nil {
		p.renderSettlement(w, r, settleState{which: "submit", form: form, formErr: err})
		return
	}
	http.Redirect(w, r, "/settlement?"+url.Values{"done": {"submitted"}, "e2e": {form.EndToEndID}, "result": {res[0].Result}}.Encode(), http.StatusSeeOther)
}

// SettlementUpload imports a pacs.008 file: every payment in it, or none.
func (p *Pages) SettlementUpload(w http.ResponseWriter, r *http.Request) {
	if p.settlementOff(w, r) {
		return
	}
	pr := identity.FromContext(r.Context())
	file, _, err := r.FormFile("file")
	if err != nil {
		code := problem.Invalid
		var mb *http.MaxBytesError
		if errors.As(err, &mb) {
			code = problem.TooLarge
		}
		p.renderSettlement(w, r, settleState{which: "upload", formErr: &problem.Error{Code: code, Message: "no file",
			Fields: map[string]string{"file": "choose a pacs.008 file"}}})
		return
	}
	defer file.Close()
	res, err := p.Settlement.ImportPacs008(r.Context(), pr, file)
	if err != nil {
		p.renderSettlement(w, r, settleState{which: "upload", formErr: err})
		return
	}
	ok, dup := 0, 0
	for _, x := range res {
		if x.Result == "ok" {
			ok++
		} else {
			dup++
		}
	}
	http.Redirect(w, r, "/settlement?"+url.Values{"done": {"imported"}, "n": {strconv.Itoa(ok)}, "dup": {strconv.Itoa(dup)}}.Encode(), http.StatusSeeOther)
}

// SettlementCancel withdraws one of the bank's queued instructions.
func (p *Pages) SettlementCancel(w http.ResponseWriter, r *http.Request) {
	if p.settlementOff(w, r) {
		return
	}
	pr := identity.FromContext(r.Context())
	e2e := r.PathValue("e2e")
	if err := p.Settlement.Cancel(r.Context(), pr, e2e); err != nil {
		p.renderSettlement(w, r, settleState{which: "cancel", formErr: err})
		return
	}
	http.Redirect(w, r, "/settlement?"+url.Values{"done": {"cancelled"}, "e2e": {e2e}}.Encode(), http.StatusSeeOther)
}

// SettlementRun runs a cycle now and shows its report.
func (p *Pages) SettlementRun(w http.ResponseWriter, r *http.Request) {
	if p.settlementOff(w, r) {
		return
	}
	pr := identity.FromContext(r.Context())
	c, err := p.Settlement.RunCycleAs(r.Context(), pr)
	if err != nil {
		if problem.CodeOf(err) == problem.Internal {
			p.Log.ErrorContext(r.Context(), "settlement cycle", "err", err)
		}
		p.renderSettlement(w, r, settleState{which: "run", formErr: err})
		return
	}
	http.Redirect(w, r, fmt.Sprintf("/settlement/cycles/%d?done=run", c.Number), http.StatusSeeOther)
}

// settleQueueAct applies one of the centre's decisions from the queue's
// forms and returns to the dashboard.
func (p *Pages) settleQueueAct(w http.ResponseWriter, r *http.Request, done string,
	act func(pr *identity.Principal, seq int64, reason string) (settlement.Instruction, error)) {
	if p.settlementOff(w, r) {
		return
	}
	pr := identity.FromContext(r.Context())
	if err := r.ParseForm(); err != nil {
		p.Error(w, r, http.StatusBadRequest, problem.New(problem.Malformed, "bad form"))
		return
	}
	seq, err := strconv.ParseInt(r.PathValue("seq"), 10, 64)
	if err != nil || seq <= 0 {
		seq = 0 // the service refuses a non-centre caller first, then answers not_found
	}
	in, err := act(pr, seq, r.PostFormValue("reason"))
	if err != nil {
		p.renderSettlement(w, r, settleState{which: "queue", formErr: err})
		return
	}
	http.Redirect(w, r, "/settlement?"+url.Values{"done": {done}, "seq": {strconv.FormatInt(in.Seq, 10)}}.Encode(), http.StatusSeeOther)
}

// SettlementHold holds any bank's queued instruction (the centre only).
func (p *Pages) SettlementHold(w http.ResponseWriter, r *http.Request) {
	p.settleQueueAct(w, r, "held", func(pr *identity.Principal, seq int64, reason string) (settlement.Instruction, error) {
		return p.Settlement.Hold(r.Context(), pr, seq, reason)
	})
}

// SettlementRelease lifts the centre's hold.
func (p *Pages) SettlementRelease(w http.ResponseWriter, r *http.Request) {
	p.settleQueueAct(w, r, "released", func(pr *identity.Principal, seq int64, _ string) (settlement.Instruction, error) {
		return p.Settlement.Release(r.Context(), pr, seq)
	})
}

// SettlementCentreCancel cancels any bank's queued instruction with a reason.
func (p *Pages) SettlementCentreCancel(w http.ResponseWriter, r *http.Request) {
	p.settleQueueAct(w, r, "centre_cancelled", func(pr *identity.Principal, seq int64, reason string) (settlement.Instruction, error) {
		return p.Settlement.CancelQueued(r.Context(), pr, seq, reason)
	})
}

// SettlementAdmit admits a bank to settlement (or changes its BIC, credit
// line and status).
func (p *Pages) SettlementAdmit(w http.ResponseWriter, r *http.Request) {
	if p.settlementOff(w, r) {
		return
	}
	pr := identity.FromContext(r.Context())
	ctx := r.Context()
	if err := r.ParseForm(); err != nil {
		p.Error(w, r, http.StatusBadRequest, problem.New(problem.Malformed, "bad form"))
		return
	}
	lang := p.view(w, r, "settle.title", nil).Lang
	form := settleAdmitForm{OrgID: strings.TrimSpace(r.PostFormValue("org_id")), BIC: strings.ToUpper(strings.TrimSpace(r.PostFormValue("bic"))),
		CreditCurrency: strings.ToUpper(strings.TrimSpace(r.PostFormValue("credit_currency"))), CreditAmount: strings.TrimSpace(r.PostFormValue("credit_amount")),
		Active: r.PostFormValue("active") != ""}
	in := settlement.ParticipantInput{OrgID: form.OrgID, BIC: form.BIC, Active: &form.Active}
	if form.CreditAmount != "" {
		in.CreditLines = map[string]string{form.CreditCurrency: amountInput(lang, form.CreditAmount)}
	}
	_, err := p.Settlement.RegisterParticipant(ctx, pr, in)
	if err != nil {
		p.renderSettlement(w, r, settleState{which: "admit", admit: form, formErr: err})
		return
	}
	http.Redirect(w, r, "/settlement?done=admitted", http.StatusSeeOther)
}

// ---------------------------------------------------------------------------
// One cycle.

type settleCurrencyRow struct {
	Currency, Gross, Net, Saving string
}

type settlePairRow struct {
	A, B, GrossAB, GrossBA, Sell, SellAmount, Buy, BuyAmount, Saving string
	Converted                                                        bool
}

type settlePositionRow struct {
	Name, BIC string
	Own       bool
	Cells     []settleCell
}

type settleCell struct {
	Text     string
	Negative bool
	Zero     bool
}

type settleDeferralRow struct {
	Seq                                            int64
	EndToEndID, Payer, Currency, Reason, Shortfall string
}

// SettlementCycle is one cycle's report.
func (p *Pages) SettlementCycle(w http.ResponseWriter, r *http.Request) {
	pr := identity.FromContext(r.Context())
	ctx := r.Context()
	if p.settlementOff(w, r) {
		return
	}
	n, err := strconv.ParseInt(r.PathValue("n"), 10, 64)
	if err != nil || n <= 0 {
		p.Error(w, r, http.StatusNotFound, problem.New(problem.NotFound, "no such cycle"))
		return
	}
	c, err := p.Settlement.Cycle(ctx, pr, n)
	if err != nil {
		p.Error(w, r, statusOfErr(err), err)
		return
	}
	v := p.view(w, r, "settle.cycle_title", nil)
	names := p.orgNames(r)
	rep := c.Report
	reporting := rep.Cost.Currency
	if reporting == "" {
		reporting = p.Settlement.CostModel().Reporting
	}
	rate := p.settleRates(ctx)
	data := map[string]any{"Cycle": c, "Head": p.cycleHeadline(v, c), "Reporting": reporting, "IsBank": pr.Has(identity.BankOperator)}
	if r.URL.Query().Get("done") == "run" {
		data["Done"] = v.T("settle.done_run", c.Number)
	}

	// Currencies: figures and a chart valued in the reporting currency.
	var crow []settleCurrencyRow
	var cats []string
	var gross, net []int64
	for _, cf := range rep.Currencies {
		crow = append(crow, settleCurrencyRow{Currency: cf.Currency, Gross: p.amount(v.Lang, cf.Currency, cf.Gross), Net: p.amount(v.Lang, cf.Currency, cf.Net),
			Saving: bpsPercent(v.Lang, cf.SavingBps)})
		if g, ok := p.valueIn(rate, cf.Currency, reporting, cf.Gross); ok {
			nv, _ := p.valueIn(rate, cf.Currency, reporting, cf.Net)
			cats, gross, net = append(cats, cf.Currency), append(gross, g), append(net, nv)
		}
	}
	data["Currencies"] = crow
	exp := p.exponent(reporting)
	whole := func(x int64) string { return amountText(v.Lang, x/pow10(exp), 0) }
	data["CurrencyChart"] = chart.Bar{
		Options: chart.Options{Width: 640, Height: 280, Title: v.T("settle.chart_currencies", reporting), HideTitle: true,
			Desc: v.T("settle.chart_currencies_desc", reporting), NoData: v.T("chart.no_data"), ID: "cycle-currencies",
			Table: &chart.TableText{Key: v.T("ref.currency")}},
		Categories:  cats,
		Series:      []chart.BarSeries{{Name: v.T("settle.gross") + " (" + reporting + ")", Values: gross}, {Name: v.T("settle.net") + " (" + reporting + ")", Values: net}},
		FormatValue: whole,
	}.HTML()

	// Pairs: what converting every payment would have moved against the
	// net residual converted once.
	var prow []settlePairRow
	for _, x := range rep.Pairs {
		buy := x.B
		if x.Sell == x.B {
			buy = x.A
		}
		prow = append(prow, settlePairRow{A: x.A, B: x.B, GrossAB: p.amount(v.Lang, x.A, x.GrossAB), GrossBA: p.amount(v.Lang, x.B, x.GrossBA),
			Sell: x.Sell, SellAmount: p.amount(v.Lang, x.Sell, x.SellAmount), Buy: buy, BuyAmount: p.amount(v.Lang, buy, x.BuyAmount),
			Saving: bpsPercent(v.Lang, x.SavingBps), Converted: x.SellAmount != 0})
	}
	data["Pairs"] = prow

	// Positions: a table of participants by currency, and a chart of each
	// participant's net valued in the reporting currency.
	var ccys []string
	type pkey struct{ org, ccy string }
	pos := map[pkey]int64{}
	var orgs []string
	bicOf := map[string]string{}
	for _, x := range rep.Positions {
		if !slices.Contains(ccys, x.Currency) {
			ccys = append(ccys, x.Currency)
		}
		if _, ok := bicOf[x.OrgID]; !ok {
			orgs = append(orgs, x.OrgID)
			bicOf[x.OrgID] = x.BIC
		}
		pos[pkey{x.OrgID, x.Currency}] += x.Net
	}
	slices.Sort(ccys)
	slices.SortFunc(orgs, func(a, b string) int { return strings.Compare(bicOf[a], bicOf[b]) })
	var posRows []settlePositionRow
	var pcats []string
	series := make([]chart.BarSeries, len(ccys))
	for i, ccy := range ccys {
		series[i].Name = ccy + " (" + reporting + ")"
	}
	for _, o := range orgs {
		row := settlePositionRow{Name: names.Name(o), BIC: bicOf[o], Own: o == pr.OrgID}
		pcats = append(pcats, bicOf[o])
		for i, ccy := range ccys {
			val := pos[pkey{o, ccy}]
			cell := settleCell{Text: p.amount(v.Lang, ccy, val), Negative: val < 0, Zero: val == 0}
			if val == 0 {
				cell.Text = "—"
			}
			row.Cells = append(row.Cells, cell)
			kv, _ := p.valueIn(rate, ccy, reporting, val)
			series[i].Values = append(series[i].Values, kv)
		}
		posRows = append(posRows, row)
	}
	data["PositionCurrencies"], data["Positions"] = ccys, posRows
	data["PositionChart"] = chart.Bar{
		Options: chart.Options{Width: 640, Height: 300, Title: v.T("settle.chart_positions", reporting), HideTitle: true,
			Desc: v.T("settle.chart_positions_desc", reporting), NoData: v.T("chart.no_data"), ID: "cycle-positions",
			Table: &chart.TableText{Key: v.T("settle.participant")}},
		Categories: pcats, Series: series, Stacked: true, FormatValue: whole,
	}.HTML()

	// Cost: the figures and their ranges are in the headline; the
	// assumptions behind them, with their sources, are listed here (a bar
	// of each route drew little more than the table says).
	data["CostModel"] = p.costAssumptions(v, p.Settlement.CostModel())

	// Deferrals: a bank sees its own; the centre sees all.
	// (settlement.Service.Cycle has kept only the ones pr may see.)
	rowsOf := func(ds []settlement.Deferral) ([]settleDeferralRow, error) {
		var out []settleDeferralRow
		for _, d := range ds {
			out = append(out, settleDeferralRow{Seq: d.Seq, EndToEndID: d.EndToEndID, Payer: names.Name(d.Payer), Currency: d.Currency,
				Reason: p.settleReason(v, d.Reason), Shortfall: p.amount(v.Lang, d.Currency, d.Shortfall)})
		}
		return out, nil
	}
	drows, err := rowsOf(rep.Deferrals)
	if err != nil {
		p.Error(w, r, statusOfErr(err), err)
		return
	}
	data["Deferrals"], data["DeferralsHidden"] = drows, rep.Deferred-len(drows)
	// Exclusions: instructions the cycle left out as they stand, same rule.
	xrows, err := rowsOf(rep.Exclusions)
	if err != nil {
		p.Error(w, r, statusOfErr(err), err)
		return
	}
	data["Exclusions"], data["ExclusionsHidden"] = xrows, rep.Excluded-len(xrows)
	v.Data = data
	p.render(w, r, http.StatusOK, "settlementcycle", v)
}

// costParamRow is one line of the cost model's assumptions on the page.
type costParamRow struct {
	Label, Value, Range string
	Assumed             bool
	Sources             []settlement.CostSource
}

// costAssumptions lists the model's parameters with their values, ranges
// and sources, in the user's language (the document titles stay as
// published).
func (p *Pages) costAssumptions(v *View, m *settlement.CostModel) map[string]any {
	byID := map[string]settlement.CostSource{}
	for _, s := range m.Sources {
		byID[s.ID] = s
	}
	pct := func(x int64) string { return bpsPercent(v.Lang, x) }
	usd := func(x int64) string { return p.amount(v.Lang, "USD", x) + " USD" }
	rep := func(x int64) string { return p.amount(v.Lang, m.Reporting, x) + " " + m.Reporting }
	row := func(label string, prm settlement.CostParam, f func(int64) string) costParamRow {
		r := costParamRow{Label: label, Value: f(prm.Value), Assumed: prm.Assumed}
		if prm.Low != prm.High {
			r.Range = v.T("settle.range", f(prm.Low), f(prm.High))
		}
		for _, id := range prm.Sources {
			r.Sources = append(r.Sources, byID[id])
		}
		return r
	}
	rows := []costParamRow{
		row(v.T("settle.cm.send_fee"), m.SendFeeBps, pct),
		row(v.T("settle.cm.send_fee_min"), m.SendFeeMinUSDCents, usd),
		row(v.T("settle.cm.send_fee_max"), m.SendFeeMaxUSDCents, usd),
		row(v.T("settle.cm.intermediary_fee"), m.IntermediaryFeeUSDCents, usd),
	}
	for _, c := range slices.Sorted(maps.Keys(m.Margins)) {
		if c == "USD" {
			continue
		}
		label := v.T("settle.cm.margin", c)
		if c == "*" {
			label = v.T("settle.cm.margin_other")
		}
		rows = append(rows, row(label, m.Margins[c], pct))
	}
	for _, k := range slices.Sorted(maps.Keys(m.DirectMargins)) {
		rows = append(rows, row(v.T("settle.cm.direct_margin", k), m.DirectMargins[k], pct))
	}
	rows = append(rows, row(v.T("settle.cm.town_fee"), m.TownTransferFee, rep))
	return map[string]any{"Version": m.Version, "Rows": rows}
}
