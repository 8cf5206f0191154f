package ui

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"bricstown/internal/customs"
	"bricstown/internal/identity"
	"bricstown/internal/money"
	"bricstown/internal/problem"
)

// ---------------------------------------------------------------------------
// The one-stop trade service centre: a trader's declarations (customs.go),
// the declaration form (customs_form.go), and the officers' console and the
// quarantine queue (customs_officer.go). Customs and quarantine work on the
// same declaration page; what each sees and may do there follows the
// customs service's rules, which the page only reflects.

// customsListLimit bounds how many declarations one list or queue shows.
const customsListLimit = customs.MaxListLimit

// Domain values the pages translate; CustomsKeys lists the keys built from
// them so that a test can prove each exists.
var (
	customsEventActions = []customs.Action{customs.ActCreate, customs.ActAmend, customs.ActAttach, customs.ActSubmit,
		customs.ActCancel, customs.ActPay, customs.ActGuarantee, customs.ActPresent, customs.ActDecide, customs.ActRelease,
		customs.ActRefuse, customs.ActSPSInspect, customs.ActSPSHold, customs.ActSPSRelease, customs.ActSPSRefuse,
		customs.ActAssess, customs.ActAssignLane, customs.ActAutoRelease, customs.ActPaymentLate}
	customsSPSStatuses = []customs.SPSStatus{customs.SPSNotEvaluated, customs.SPSNotRequired, customs.SPSAwaitingInspection,
		customs.SPSAwaitingLab, customs.SPSHeld, customs.SPSCleared}
	customsBases      = []string{"ad_valorem", "specific_kg", "specific_unit", "sum", "none", "preference"}
	customsAuthorites = []customs.Authority{customs.ByDeclarant, customs.ByCustoms, customs.ByQuarantine, customs.BySystem}
	customsSteps      = []string{"prepared", "lodged", "assessed", "checked", "released", "refused", "cancelled"}
	// customsErrFields are the form fields with a catalogue message
	// (customs.err.*), named by their path with the indexes taken out.
	customsErrFields = []string{"functional_reference_id", "procedure", "trade_terms_condition_code", "arrival_expected_at",
		"exporter.name", "exporter.id", "exporter.country_code", "importer.name", "importer.id", "importer.country_code",
		"declarant.name", "declarant.id", "declarant.country_code", "declarant.org_id", "carrier.name", "carrier.id", "carrier.country_code",
		"transport.mode_code", "transport.corridor", "transport.border_transport_means_id", "transport.transport_equipment_ids",
		"transport.border_post", "goods_items", "goods_items.description", "goods_items.classification_id",
		"goods_items.origin_country_code", "goods_items.tariff_quantity", "goods_items.tariff_quantity_unit_code",
		"goods_items.net_net_weight_measure", "goods_items.gross_mass_measure", "goods_items.customs_value_amount",
		"goods_items.customs_value_currency_id", "documents", "kind", "reference", "filename", "media_type", "content", "file",
		"note", "reason", "lane", "from_account_id", "amount_kzt", "sps", "payment", "result", "lab_outcome", "notes", "org_id"}
	customsDone = []string{"saved", "submitted", "attached", "paid", "guaranteed", "cancelled", "presented", "decided",
		"released", "refused", "inspected", "held", "hold_released", "sps_refused"}
)

// CustomsKeys lists the catalogue keys the customs pages build from domain
// values, so that a test can prove each exists in every language.
func CustomsKeys() []string {
	var keys []string
	for _, s := range customs.Statuses {
		keys = append(keys, "customs.status."+string(s))
	}
	for _, l := range customs.Lanes {
		keys = append(keys, "customs.lane."+string(l))
	}
	keys = append(keys, "customs.lane.none")
	for _, s := range customsSPSStatuses {
		keys = append(keys, spsKey(s))
	}
	for _, pr := range customs.Procedures {
		keys = append(keys, "customs.procedure."+string(pr))
	}
	for _, m := range customs.TransportModes {
		keys = append(keys, "customs.mode."+string(m))
	}
	for _, k := range customs.DocumentKinds {
		keys = append(keys, "customs.doc."+string(k))
	}
	for _, u := range customs.Units {
		keys = append(keys, "customs.unit."+strings.ToLower(u.Code))
	}
	for _, a := range customsEventActions {
		keys = append(keys, "customs.action."+string(a))
	}
	for _, b := range customsBases {
		keys = append(keys, "customs.basis."+b)
	}
	for _, a := range customsAuthorites {
		keys = append(keys, "customs.by."+string(a))
	}
	for _, s := range customsSteps {
		keys = append(keys, "customs.step."+s)
	}
	for _, f := range customsErrFields {
		keys = append(keys, "customs.err."+f)
	}
	for _, d := range customsDone {
		keys = append(keys, "customs.done."+d)
	}
	keys = append(keys, refundKeys...)
	for _, role := range customsPartyRoles {
		keys = append(keys, "customs.party."+role)
	}
	for _, t := range customsConsoleTabs {
		keys = append(keys, "customs.tab."+t)
		if t != "dashboard" && t != "aeo" {
			keys = append(keys, "customs.tab_help."+t)
		}
	}
	for _, r := range []customs.InspectionResult{customs.InspectionPass, customs.InspectionFail} {
		keys = append(keys, "customs.result."+string(r))
	}
	for _, o := range []customs.LabOutcome{customs.LabNone, customs.LabPending, customs.LabPass, customs.LabFail} {
		keys = append(keys, labKey(o))
	}
	return keys
}

func spsKey(s customs.SPSStatus) string {
	if s == customs.SPSNotEvaluated {
		return "customs.sps.none"
	}
	return "customs.sps." + string(s)
}

func labKey(o customs.LabOutcome) string {
	if o == customs.LabNone {
		return "customs.lab.none"
	}
	return "customs.lab." + string(o)
}

// badge is a status shown as a coloured label; the text always says what
// the colour means.
type badge struct{ Text, Class string }

func statusBadge(v *View, s customs.Status) badge {
	class := ""
	switch s {
	case customs.StatusSubmitted, customs.StatusAssessed:
		class = "blue"
	case customs.StatusDocumentaryCheck:
		class = "yellow"
	case customs.StatusPhysicalInspection, customs.StatusRefused:
		class = "red"
	case customs.StatusReleased:
		class = "green"
	}
	return badge{v.T("customs.status." + string(s)), class}
}

func laneBadge(v *View, l customs.Lane) badge {
	if l == customs.LaneNone {
		return badge{v.T("customs.lane.none"), ""}
	}
	return badge{v.T("customs.lane." + string(l)), "lane-" + string(l)}
}

func spsBadge(v *View, s customs.SPSStatus) badge {
	class := ""
	switch s {
	case customs.SPSAwaitingInspection, customs.SPSAwaitingLab:
		class = "yellow"
	case customs.SPSHeld:
		class = "red"
	case customs.SPSCleared:
		class = "green"
	}
	return badge{v.T(spsKey(s)), class}
}

// kzt renders tiyn as KZT in lang.
func kzt(lang string, tiyn int64) string { return amountText(lang, tiyn, 2) }

func when(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format("2006-01-02 15:04 UTC")
}

// customsOff answers 503 when the server runs without the customs service.
func (p *Pages) customsOff(w http.ResponseWriter, r *http.Request) bool {
	if p.Customs == nil {
		p.Error(w, r, http.StatusServiceUnavailable, problem.New(problem.Unavailable, "customs is not enabled"))
		return true
	}
	return false
}

// customsPartial executes a block without the layout, with a status, for
// htmx swaps.
func (p *Pages) customsPartial(w http.ResponseWriter, r *http.Request, page, block string, status int, v *View) {
	var buf bytes.Buffer
	if err := p.pages[page].ExecuteTemplate(&buf, block, v); err != nil {
		p.Log.ErrorContext(r.Context(), "render partial", "page", page, "block", block, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// ---------------------------------------------------------------------------
// Field messages.

var indexPart = regexp.MustCompile(`\[\d+\]`)

// fieldErr is a refused field's message in the page's language, with the
// service's own (English) detail when it says more than the catalogue.
type fieldErr struct {
	Msg, Detail string
}

func (e fieldErr) String() string {
	if e.Detail == "" {
		return e.Msg
	}
	return e.Msg + " (" + e.Detail + ")"
}

// noDetail are fields whose service message speaks of the stored unit
// (grams, minor units) rather than what the form asks for; only the
// catalogue's message is shown for them.
var noDetail = []string{"goods_items.net_net_weight_measure", "goods_items.gross_mass_measure", "goods_items.customs_value_amount"}

// customsFieldErrs translates a refusal's field messages: the catalogue's
// message for the field (by its path without indexes), and the service's
// text as detail. A field the catalogue does not know keeps the service's
// text.
func (p *Pages) customsFieldErrs(v *View, err error) map[string]fieldErr {
	var pe *problem.Error
	if !errors.As(err, &pe) || len(pe.Fields) == 0 {
		return nil
	}
	out := make(map[string]fieldErr, len(pe.Fields))
	for k, msg := range pe.Fields {
		norm := indexPart.ReplaceAllString(k, "")
		// The service's words, in the page's language when the message
		// has a code; English otherwise, which a non-English page then
		// leaves out where the catalogue already says what the field needs.
		detail, coded := p.fieldMessage(v, msg)
		fe := fieldErr{Msg: p.fieldWords(v, msg)}
		if code := ledgerCodeText(p, v, msg); code != "" {
			fe.Msg = code
		}
		if key := "customs.err." + norm; p.has(key) {
			fe = fieldErr{Msg: v.T(key), Detail: detail}
			if slices.Contains(noDetail, norm) || msg == "required" || !coded && v.Lang != "en" { // the detail is the service's English
				fe.Detail = ""
			}
			if code := ledgerCodeText(p, v, msg); code != "" {
				fe = fieldErr{Msg: code}
			}
		}
		out[k] = fe
	}
	return out
}

// fieldMessage is a service's field message in v's language when it has a
// code (problem.FieldCode) and the catalogue a text for it, with the values
// it quotes; coded is false when the English message is all there is.
func (p *Pages) fieldMessage(v *View, msg string) (text string, coded bool) {
	code, args, ok := problem.FieldCode(msg)
	if !ok || !p.has("field.msg."+code) {
		return msg, false
	}
	a := make([]any, len(args))
	for i, x := range args {
		a[i] = x
	}
	return v.T("field.msg."+code, a...), true
}

// ledgerCodeText translates a ledger result code the payment port reports
// on from_account_id.
func ledgerCodeText(p *Pages, v *View, msg string) string {
	if key := "ledger.result." + msg; p.has(key) {
		return v.T(key)
	}
	return ""
}

// customsSummary is the one-line message over a refused form.
func customsSummary(v *View, err error) (string, int) {
	switch problem.CodeOf(err) {
	case problem.Invalid, problem.Malformed:
		return v.T("form.invalid"), http.StatusBadRequest
	case problem.TooLarge:
		return v.T("customs.too_large"), http.StatusRequestEntityTooLarge
	case problem.Conflict:
		var pe *problem.Error
		if errors.As(err, &pe) && len(pe.Fields) == 0 {
			if v.Lang != "en" { // the service's sentence is English
				return v.T("error.conflict"), http.StatusConflict
			}
			return v.T("form.conflict") + " " + pe.Message, http.StatusConflict
		}
		return v.T("form.conflict"), http.StatusConflict
	case problem.Forbidden:
		return v.T("error.forbidden"), http.StatusForbidden
	case problem.NotFound:
		return v.T("error.not_found"), http.StatusNotFound
	case problem.Unavailable:
		return v.T("customs.unavailable"), http.StatusServiceUnavailable
	case problem.Unauthenticated:
		return v.T("error.unauthenticated"), http.StatusUnauthorized
	}
	return v.T("error.generic"), http.StatusInternalServerError
}

// ---------------------------------------------------------------------------
// Timelines.

// stepView is one milestone of a declaration: done, current, todo or
// failed. The state is also written out for screen readers.
type stepView struct {
	Label, State, StateText, At string
}

// customsStepsOf lays a declaration's life out as five milestones:
// prepared, lodged, assessed (goods presented, duties computed, lane
// assigned), checked and paid, released (or refused, or cancelled).
func customsStepsOf(v *View, s customs.Status, lane customs.Lane, created, submitted, assessed, ended time.Time) []stepView {
	current := 0
	switch s {
	case customs.StatusDraft:
		current = 0
	// The current milestone is the one the status names, so the bar and
	// the status badge beside it say the same thing ("Lodged" was shown
	// over a bar that highlighted "Assessed").
	case customs.StatusSubmitted:
		current = 1
	case customs.StatusAssessed:
		current = 2
	case customs.StatusDocumentaryCheck, customs.StatusPhysicalInspection:
		current = 3
	case customs.StatusReleased:
		current = 5
	}
	labels := []string{v.T("customs.step.prepared"), v.T("customs.step.lodged"), v.T("customs.step.assessed"), v.T("customs.step.checked"), v.T("customs.step.released")}
	if lane != customs.LaneNone {
		labels[3] += " · " + v.T("customs.lane."+string(lane))
	}
	times := []time.Time{created, submitted, assessed, {}, ended}
	if s == customs.StatusReleased {
		times[3] = ended
	}
	out := make([]stepView, len(labels))
	for i := range labels {
		st := stepView{Label: labels[i], At: when(times[i])}
		switch {
		case i < current:
			st.State = "done"
		case i == current:
			st.State = "current"
		default:
			st.State = "todo"
		}
		out[i] = st
	}
	if s == customs.StatusRefused || s == customs.StatusCancelled {
		// What was reached before the end is done; the end replaces the
		// release.
		reached := []bool{true, !submitted.IsZero(), !assessed.IsZero() || lane != customs.LaneNone, false}
		for i := range 4 {
			out[i].State, out[i].At = "todo", when(times[i])
			if reached[i] {
				out[i].State = "done"
			}
		}
		key := "customs.step.refused"
		if s == customs.StatusCancelled {
			key = "customs.step.cancelled"
		}
		out[4] = stepView{Label: v.T(key), State: "failed", At: when(ended)}
	}
	for i := range out {
		out[i].StateText = v.T("customs.state." + out[i].State)
	}
	return out
}

// ---------------------------------------------------------------------------
// A trader's declarations.

type customsRow struct {
	ID, Ref, ShortID, Procedure, BorderPost, Declarant string
	Status, Lane, SPS                                  badge
	Total                                              string
	HasTotal, SPSRequired                              bool
	Created, Updated, Submitted, Age                   string
	Steps                                              []stepView
	CanEdit, Final                                     bool
}

func (p *Pages) customsRow(v *View, s customs.Summary, names *identity.OrgNames) customsRow {
	row := customsRow{ID: s.ID, Ref: s.FunctionalReferenceID, ShortID: shortID(s.ID), Procedure: v.T("customs.procedure." + string(s.Procedure)),
		BorderPost: s.BorderPost, Status: statusBadge(v, s.Status), Lane: laneBadge(v, s.Lane), SPS: spsBadge(v, s.SPSStatus),
		SPSRequired: s.SPSRequired, Total: kzt(v.Lang, s.TotalKZT), HasTotal: s.TotalKZT > 0 || s.Lane != customs.LaneNone,
		Created: when(s.CreatedAt), Updated: when(s.UpdatedAt), Submitted: when(s.SubmittedAt),
		CanEdit: customs.AllowedFrom(customs.ActAmend, s.Status), Final: s.Status.Final()}
	if names != nil {
		row.Declarant = names.Name(s.DeclarantOrg)
	}
	if !s.SubmittedAt.IsZero() {
		row.Age = ageText(v, time.Since(s.SubmittedAt))
	}
	// The list has no assessment time; a lane means the goods were assessed.
	var assessed time.Time
	if s.Lane != customs.LaneNone {
		assessed = s.SubmittedAt
	}
	ended := s.ReleasedAt
	if s.Status == customs.StatusRefused || s.Status == customs.StatusCancelled {
		ended = s.UpdatedAt
	}
	row.Steps = customsStepsOf(v, s.Status, s.Lane, s.CreatedAt, s.SubmittedAt, assessed, ended)
	return row
}

// ageText says how long something has waited, in the page's language.
func ageText(v *View, d time.Duration) string {
	switch {
	case d < time.Minute:
		return v.T("customs.age_lt_min")
	case d < time.Hour:
		return v.T("customs.age_min", int(d/time.Minute))
	case d < 48*time.Hour:
		return v.T("customs.age_h", int(d/time.Hour), int(d%time.Hour/time.Minute))
	}
	return v.TN("customs.age_d", int(d/(24*time.Hour)))
}

// durationText renders an average time to release.
func durationText(v *View, d time.Duration) string {
	if d <= 0 {
		return "—"
	}
	return ageText(v, d)
}

var customsFilters = map[string][]customs.Status{
	"drafts":   {customs.StatusDraft},
	"progress": {customs.StatusSubmitted, customs.StatusAssessed, customs.StatusDocumentaryCheck, customs.StatusPhysicalInspection},
	"released": {customs.StatusReleased},
	"closed":   {customs.StatusRefused, customs.StatusCancelled},
}

// CustomsPage is a trader's declarations: status, lane, amount and a
// timeline for each, with "new" and "copy as new". Officers are sent to
// their own queues; an organisation administrator without the trader role
// is told who lodges declarations.
func (p *Pages) CustomsPage(w http.ResponseWriter, r *http.Request) {
	if p.customsOff(w, r) {
		return
	}
	pr := identity.FromContext(r.Context())
	switch customs.AuthorityOf(pr) {
	case customs.ByCustoms:
		http.Redirect(w, r, "/customs/console", http.StatusSeeOther)
		return
	case customs.ByQuarantine:
		http.Redirect(w, r, "/customs/quarantine", http.StatusSeeOther)
		return
	}
	v := p.view(w, r, "customs.title", nil)
	if customs.AuthorityOf(pr) != customs.ByDeclarant {
		key := "customs.not_trader"
		if pr.OrgKind != identity.KindCompany && pr.OrgKind != identity.KindLogisticsOperator {
			key = "customs.not_trading_org"
		}
		v.Data = map[string]any{"Notice": v.T(key)}
		p.render(w, r, http.StatusOK, "customs", v)
		return
	}
	show := r.URL.Query().Get("show")
	if _, ok := customsFilters[show]; !ok {
		show = ""
	}
	find, query, bad := readDeclFind(v, r, "show")
	find.keep.Del("show")
	if show != "" {
		find.keep.Set("show", show)
	}
	query.Newest, query.Statuses = true, customsFilters[show]
	status := http.StatusOK
	var list []customs.Summary
	if bad {
		status = http.StatusBadRequest
	} else {
		var err error
		if list, err = p.Customs.List(r.Context(), pr, query); err != nil {
			var ok bool
			if status, ok = p.declListFail(w, r, v, err); !ok {
				return
			}
		}
	}
	list, pager := pageDecls("/customs", find, list)
	var rows []customsRow
	for _, s := range list {
		rows = append(rows, p.customsRow(v, s, nil))
	}
	type filterLink struct {
		Key, Text, Href string
		Current         bool
	}
	var filters []filterLink
	for _, f := range []string{"", "drafts", "progress", "released", "closed"} {
		tab := find
		tab.After, tab.keep = "", url.Values{}
		if f != "" {
			tab.keep.Set("show", f)
		}
		href := "/customs"
		if l := tab.link(""); l != "" {
			href += "?" + l
		}
		key := "customs.filter_all"
		if f != "" {
			key = "customs.filter_" + f
		}
		filters = append(filters, filterLink{Key: f, Text: v.T(key), Href: href, Current: f == show})
	}
	v.Data = map[string]any{"Rows": rows, "Filters": filters, "Find": find, "Pager": pager, "ListPath": "/customs",
		"Procedures": procedureOptions(v), "Searching": find.Filtered() || show != "", "OrgName": p.orgNames(r).Name(pr.OrgID)}
	p.render(w, r, status, "customs", v)
}

// ---------------------------------------------------------------------------
// One declaration.

// declState is what a refused action leaves for the page to show again.
type declState struct {
	status  int
	formErr error
	which   string // the form the error belongs to
	posted  url.Values
	lead    string // said before the refusal's summary
}

type eventView struct {
	Seq                   int64
	At, Action, Detail    string
	By                    string
	From, To              badge
	StatusChanged, System bool
}

type amendView struct {
	Version int64
	At, By  string
	Note    string
	Changes []customs.FieldChange
}

type inspectionView struct {
	At, By, Result, Lab, Notes string
	Pass, Samples              bool
}

type assessLine struct {
	Seq                                    int
	HS, Prefix, Preference, Basis          string
	Value, Duty, VAT                       string
	Description, Origin, OriginCode, Chapt string
}

type assessView struct {
	Lines                  []assessLine
	Duty, VAT, Fee, Total  string
	TotalMinor             int64
	VATRate, ValuationDate string
	Rates                  []string
	Estimate               bool
}

type docView struct {
	ID, Kind, Reference, Filename, MediaType, Size, SHA256, At string
}

type accountOption struct {
	ID, Text string
}

// customsAssessView formats an assessment with the goods it was made for.
func (p *Pages) customsAssessView(v *View, a *customs.Assessment, items []customs.Item) *assessView {
	if a == nil {
		return nil
	}
	av := &assessView{Duty: kzt(v.Lang, a.DutyKZT), VAT: kzt(v.Lang, a.VATKZT), Fee: kzt(v.Lang, a.FeeKZT), Total: kzt(v.Lang, a.TotalKZT),
		TotalMinor: a.TotalKZT, VATRate: bpsPercent(v.Lang, a.VATBps), ValuationDate: a.ValuationDate.UTC().Format("2006-01-02")}
	for _, ln := range a.Lines {
		al := assessLine{Seq: ln.SequenceNumeric, HS: ln.ClassificationID, Prefix: ln.TariffPrefix, Value: kzt(v.Lang, ln.ValueKZT),
			Duty: kzt(v.Lang, ln.DutyKZT), VAT: kzt(v.Lang, ln.VATKZT), Basis: ln.Basis}
		if key := "customs.basis." + ln.Basis; p.has(key) {
			al.Basis = v.T(key)
		}
		if ln.Preference != "" {
			al.Preference = v.T("customs.preference", ln.Preference)
		}
		if i := ln.SequenceNumeric - 1; i >= 0 && i < len(items) {
			al.Description = items[i].Description
			al.OriginCode = items[i].OriginCountryCode
			al.Origin = p.countryName(items[i].OriginCountryCode, v.Lang)
		}
		av.Lines = append(av.Lines, al)
	}
	for _, ru := range a.Rates {
		av.Rates = append(av.Rates, "1 "+ru.Currency+" = "+rateText(v.Lang, ru.Rate)+" KZT")
	}
	return av
}

// nextSteps says in plain words what the declaration waits for and who
// has to act: the status a trader most wants to understand.
func (p *Pages) nextSteps(v *View, d *customs.Declaration, auth customs.Authority, names *identity.OrgNames) []string {
	var out []string
	switch d.Status {
	case customs.StatusDraft:
		out = append(out, v.T("customs.next.draft"))
		if len(d.SPS.Certificates) > 0 || len(p.requiredCertificates(v, &d.Content)) > 0 {
			out = append(out, v.T("customs.next.certificates", strings.Join(p.requiredCertificates(v, &d.Content), ", ")))
		}
	case customs.StatusSubmitted:
		if !d.ArrivalExpectedAt.IsZero() {
			out = append(out, v.T("customs.next.prelodged", d.Transport.BorderPost, when(d.ArrivalExpectedAt)))
		} else {
			out = append(out, v.T("customs.next.awaiting_goods", d.Transport.BorderPost))
		}
	case customs.StatusAssessed, customs.StatusDocumentaryCheck, customs.StatusPhysicalInspection:
		switch d.Status {
		case customs.StatusDocumentaryCheck:
			out = append(out, v.T("customs.next.documentary_check"))
		case customs.StatusPhysicalInspection:
			out = append(out, v.T("customs.next.physical_inspection"))
		}
		switch d.SPS.Status {
		case customs.SPSAwaitingInspection:
			out = append(out, v.T("customs.next.sps_inspection"))
		case customs.SPSAwaitingLab:
			out = append(out, v.T("customs.next.sps_lab"))
		case customs.SPSHeld:
			out = append(out, v.T("customs.next.sps_held"))
		}
		if !d.Paid() && d.Assessment != nil {
			out = append(out, v.T("customs.next.pay", kzt(v.Lang, d.Assessment.TotalKZT)))
		}
		if d.ReleasesAutomatically() {
			out = append(out, v.T("customs.next.auto_release"))
		} else if d.Releasable() {
			out = append(out, v.T("customs.next.officer_release"))
		}
	case customs.StatusReleased:
		out = append(out, v.T("customs.next.released", when(d.ReleasedAt)))
		if d.Lane == customs.LaneBlue {
			out = append(out, v.T("customs.next.post_audit"))
		}
	case customs.StatusRefused:
		if d.Refusal != nil {
			out = append(out, v.T("customs.next.refused", v.T("customs.by."+string(d.Refusal.By)), when(d.Refusal.At), d.Refusal.Reason))
		}
	case customs.StatusCancelled:
		out = append(out, v.T("customs.next.cancelled", when(d.CancelledAt)))
	}
	if d.RefundDue {
		out = append(out, v.T("customs.next.refund"))
	}
	return out
}

// requiredCertificates names the certificates quarantine will require of
// the goods, before anything is lodged, so the trader attaches them at once.
func (p *Pages) requiredCertificates(v *View, c *customs.Content) []string {
	sps := p.Customs.Rules().SPSFor("", c)
	var out []string
	for _, k := range sps.Certificates {
		out = append(out, v.T("customs.doc."+string(k)))
	}
	return out
}

// CustomsDeclaration is one declaration: status, timeline, lane, duties,
// quarantine, documents and the actions the viewer may take.
func (p *Pages) CustomsDeclaration(w http.ResponseWriter, r *http.Request) {
	if p.customsOff(w, r) {
		return
	}
	p.renderDecl(w, r, declState{status: http.StatusOK})
}

// declData builds everything the declaration page and its live part show.
func (p *Pages) declData(ctx context.Context, r *http.Request, v *View, pr *identity.Principal, d *customs.Declaration, h *customs.History) map[string]any {
	auth := customs.AuthorityOf(pr)
	names := p.orgNames(r)
	actorName := func(user, org string) string {
		switch {
		case user == "system" || user == "" && org == "":
			return v.T("customs.by.system")
		case org != "":
			return names.Name(org)
		}
		return shortID(user)
	}
	var events []eventView
	for _, e := range h.Events {
		ev := eventView{Seq: e.Seq, At: when(e.At), Action: string(e.Action), Detail: p.eventText(v, e), By: actorName(e.ActorUser, e.ActorOrg),
			From: statusBadge(v, e.From), To: statusBadge(v, e.To), StatusChanged: e.From != e.To && e.From != "", System: e.ActorUser == "system"}
		if key := "customs.action." + string(e.Action); p.has(key) {
			ev.Action = v.T(key)
		}
		events = append(events, ev)
	}
	ended := d.ReleasedAt
	switch d.Status {
	case customs.StatusRefused:
		ended = d.RefusedAt
	case customs.StatusCancelled:
		ended = d.CancelledAt
	}
	return map[string]any{
		"ID": d.ID, "Version": d.Version, "Ref": d.FunctionalReferenceID, "ShortID": shortID(d.ID),
		"Status": statusBadge(v, d.Status), "Lane": laneBadge(v, d.Lane), "SPS": spsBadge(v, d.SPS.Status), "SPSRequired": d.SPS.Required,
		"Final": d.Status.Final(), "PreLodged": d.PreLodged() && !d.ArrivalExpectedAt.IsZero(), "Arrival": when(d.ArrivalExpectedAt),
		"Steps": customsStepsOf(v, d.Status, d.Lane, d.CreatedAt, d.SubmittedAt, d.AssessedAt, ended),
		"Next":  p.nextSteps(v, d, auth, names), "Events": events, "Updated": when(d.UpdatedAt),
		"Total": func() string {
			if d.Assessment == nil {
				return ""
			}
			return kzt(v.Lang, d.Assessment.TotalKZT)
		}(),
		"Paid": d.Paid() && d.Assessment != nil,
	}
}

func (p *Pages) renderDecl(w http.ResponseWriter, r *http.Request, st declState) {
	ctx := r.Context()
	pr := identity.FromContext(ctx)
	id := r.PathValue("id")
	d, err := p.Customs.Get(ctx, pr, id)
	if err != nil {
		p.Error(w, r, statusOfErr(err), err)
		return
	}
	h, err := p.Customs.History(ctx, pr, id)
	if err != nil {
		p.Error(w, r, statusOfErr(err), err)
		return
	}
	v := p.view(w, r, "customs.decl_title", nil)
	v.Here = "/customs/" + url.PathEscape(id)
	status := st.status
	if st.formErr != nil {
		v.Error, status = customsSummary(v, st.formErr)
		if st.lead != "" {
			v.Error = st.lead + " " + v.Error
		}
		if fe := p.customsFieldErrs(v, st.formErr); len(fe) > 0 {
			v.Fields = map[string]string{}
			for k, e := range fe {
				v.Fields[k] = e.String()
			}
		}
		if problem.CodeOf(st.formErr) == problem.Internal {
			p.Log.ErrorContext(ctx, "customs action", "action", st.which, "err", st.formErr)
		}
	}
	auth := customs.AuthorityOf(pr)
	names := p.orgNames(r)
	data := p.declData(ctx, r, v, pr, &d, &h)
	data["Which"] = st.which
	posted := map[string]string{}
	for k, vs := range st.posted {
		if k != "csrf_token" && len(vs) > 0 {
			posted[k] = vs[0]
		}
	}
	data["P"] = posted
	data["IsTrader"], data["IsCustoms"], data["IsQuarantine"] = auth == customs.ByDeclarant, auth == customs.ByCustoms, auth == customs.ByQuarantine
	data["Procedure"] = v.T("customs.procedure." + string(d.Procedure))
	data["Declarant"] = names.Name(d.DeclarantOrg)
	data["Incoterm"] = d.TradeTermsConditionCode
	data["Mode"] = v.T("customs.mode." + string(d.Transport.ModeCode))
	data["Transport"] = d.Transport
	data["BorderPost"] = p.borderPostText(d.Transport.BorderPost)
	data["Containers"] = strings.Join(d.Transport.TransportEquipmentIDs, ", ")
	type partyRow struct{ Role, Name, ID, Country string }
	var parties []partyRow
	for _, x := range []struct {
		role string
		p    customs.Party
	}{{"exporter", d.Exporter}, {"importer", d.Importer}, {"declarant", d.Declarant}, {"carrier", d.Carrier}} {
		if x.p.IsZero() {
			continue
		}
		name := x.p.Name
		if name == "" && x.p.OrgID != "" {
			name = names.Name(x.p.OrgID)
		}
		parties = append(parties, partyRow{v.T("customs.party." + x.role), name, x.p.ID, p.countryName(x.p.CountryCode, v.Lang)})
	}
	data["Parties"] = parties
	type itemRow struct {
		Seq                                                          int
		Description, HS, HSText, Origin, Quantity, Net, Gross, Value string
	}
	var items []itemRow
	for _, it := range d.Items {
		items = append(items, itemRow{Seq: it.SequenceNumeric, Description: it.Description, HS: it.ClassificationID, HSText: p.hsText(it.ClassificationID, v.Lang),
			Origin: p.countryName(it.OriginCountryCode, v.Lang), Quantity: amountText(v.Lang, it.TariffQuantity, 0) + " " + p.unitText(v, it.TariffQuantityUnitCode),
			Net: amountText(v.Lang, it.NetNetWeightMeasure, 3), Gross: amountText(v.Lang, it.GrossMassMeasure, 3),
			Value: p.amount(v.Lang, it.CustomsValueCurrencyID, it.CustomsValueAmount) + " " + it.CustomsValueCurrencyID})
	}
	data["Items"] = items
	data["Assessment"] = p.customsAssessView(v, d.Assessment, d.Items)
	// Risk reasons: the service leaves them out for traders.
	type reasonRow struct {
		Seq                       int64
		Rule, Description, At, By string
		Weight                    int64
	}
	var reasons []reasonRow
	for _, rr := range d.RiskReasons {
		by := v.T("customs.by.system")
		if rr.ActorUser != "" {
			by = v.T("customs.by.customs")
		}
		reasons = append(reasons, reasonRow{rr.Seq, rr.RuleID, p.findingText(v, rr), when(rr.At), by, rr.Weight})
	}
	data["Reasons"] = reasons
	// Quarantine.
	var certs []string
	for _, k := range d.SPS.Certificates {
		certs = append(certs, v.T("customs.doc."+string(k)))
	}
	data["Certificates"] = certs
	data["SPSState"] = d.SPS
	type spsItem struct {
		Seq                            int
		Rule, Description, Certificate string
		Inspection                     string
	}
	var spsItems []spsItem
	for _, it := range d.SPS.Items {
		spsItems = append(spsItems, spsItem{it.SequenceNumeric, it.RulePrefix, p.spsRuleName(v, it.RulePrefix, it.Description), v.T("customs.doc." + string(it.Certificate)), v.T("customs.inspect." + string(it.Inspection))})
	}
	data["SPSItems"] = spsItems
	var insp []inspectionView
	for _, in := range h.Inspections {
		insp = append(insp, inspectionView{At: when(in.At), By: names.Name(in.InspectorOrg), Result: v.T("customs.result." + string(in.Result)),
			Lab: v.T(labKey(in.LabOutcome)), Notes: in.Notes, Pass: in.Result == customs.InspectionPass, Samples: in.SamplesTaken})
	}
	data["Inspections"] = insp
	var amends []amendView
	for _, a := range h.Amendments {
		amends = append(amends, amendView{Version: a.Version, At: when(a.At), By: names.Name(a.ActorOrg), Note: a.Note, Changes: a.Changes})
	}
	data["Amendments"] = amends
	// Documents.
	var docs []docView
	for _, doc := range d.Documents {
		docs = append(docs, docView{ID: doc.ID, Kind: v.T("customs.doc." + string(doc.Kind)), Reference: doc.Reference, Filename: doc.Filename,
			MediaType: doc.MediaType, Size: sizeText(v, doc.Size), SHA256: doc.SHA256, At: when(doc.At)})
	}
	data["Documents"] = docs
	data["DocKinds"] = p.docKindOptions(v)
	data["MaxSize"] = sizeText(v, customs.MaxDocumentSize)
	data["Accept"] = strings.Join(customs.MediaTypes, ",")
	if d.Payment != nil {
		data["Payment"] = map[string]string{"Reference": d.Payment.Reference, "Amount": kzt(v.Lang, d.Payment.AmountKZT), "At": when(d.Payment.At)}
	}
	if d.Guarantee.Drawn() {
		data["Guarantee"] = map[string]string{"Reference": d.Guarantee.Reference, "Amount": kzt(v.Lang, d.Guarantee.AmountKZT), "At": when(d.Guarantee.At)}
	}
	if d.Refusal != nil {
		data["Refusal"] = map[string]string{"By": v.T("customs.by." + string(d.Refusal.By)), "Reason": d.Refusal.Reason, "At": when(d.Refusal.At)}
	}

	// What the viewer may do now.
	can := func(a customs.Action) bool {
		return customs.AuthorityFor(a) == auth && customs.AllowedFrom(a, d.Status)
	}
	due := d.Assessment != nil && d.Assessment.TotalKZT > 0 && d.Payment == nil && !d.Guarantee.Drawn()
	data["CanEdit"], data["CanSubmit"], data["CanAttach"], data["CanCancel"] = can(customs.ActAmend), can(customs.ActSubmit), can(customs.ActAttach), can(customs.ActCancel)
	data["CanPay"] = can(customs.ActPay) && due
	data["CanPresent"], data["CanDecide"], data["CanRelease"], data["CanRefuse"] = can(customs.ActPresent), can(customs.ActDecide), can(customs.ActRelease), can(customs.ActRefuse)
	data["CanInspect"], data["CanRefuseSPS"] = can(customs.ActSPSInspect), can(customs.ActSPSRefuse)
	data["CanHold"] = can(customs.ActSPSHold) && d.SPS.Status != customs.SPSHeld
	data["CanLiftHold"] = can(customs.ActSPSRelease) && d.SPS.Status == customs.SPSHeld
	data["CanCopy"] = auth == customs.ByDeclarant
	p.refundData(v, &d, auth, data)
	if d.Assessment != nil {
		data["Due"] = money.FormatAmount(d.Assessment.TotalKZT, 2)
	}
	if data["CanPay"] == true {
		var accts []accountOption
		if p.Ledger != nil {
			if list, err := p.listAccounts(r, pr, ""); err == nil {
				for i := range list {
					a := &list[i]
					if a.Currency == "KZT" && !a.Closed && a.OrgID == pr.OrgID {
						text := a.Code
						if a.Name != "" {
							text += " · " + a.Name
						}
						accts = append(accts, accountOption{ID: a.ID.String(), Text: text + " — " + kzt(v.Lang, a.Available()) + " KZT"})
					}
				}
			}
		}
		data["Accounts"] = accts
		data["Guarantees"] = p.guaranteeOptions(r, pr, v.Lang, d.Assessment.TotalKZT)
	}
	lanes := make([]struct{ Value, Text string }, len(customs.Lanes))
	for i, l := range customs.Lanes {
		lanes[i].Value, lanes[i].Text = string(l), v.T("customs.lane."+string(l))
	}
	data["Lanes"] = lanes
	data["CurrentLane"] = string(d.Lane)
	// Live status: the customs API streams status changes; without it the
	// page polls its own status block, and without JavaScript it refreshes.
	data["Live"] = !d.Status.Final()
	data["MetaRefresh"] = !d.Status.Final() && auth == customs.ByDeclarant && !(data["CanPay"] == true) && d.Status != customs.StatusDraft
	if q := r.URL.Query().Get("done"); q != "" && doneHolds(q, &d, &h) {
		data["Done"] = v.T("customs.done." + q)
	}
	v.Data = data
	p.render(w, r, status, "customsdecl", v)
}

// doneHolds checks the declaration bears out a success message, so that a
// crafted link cannot show one.
func doneHolds(done string, d *customs.Declaration, h *customs.History) bool {
	switch done {
	case "saved":
		return true
	case "submitted":
		return !d.SubmittedAt.IsZero()
	case "attached":
		return len(d.Documents) > 0
	case "paid":
		return d.Payment != nil
	case "guaranteed":
		return d.Guarantee.Drawn()
	case "cancelled":
		return d.Status == customs.StatusCancelled
	case "presented":
		return !d.AssessedAt.IsZero()
	case "decided":
		return !d.LaneAssignedAt.IsZero()
	case "released":
		return d.Status == customs.StatusReleased
	case "refused", "sps_refused":
		return d.Status == customs.StatusRefused
	case "inspected":
		return len(h.Inspections) > 0
	case "held":
		return d.SPS.Status == customs.SPSHeld
	case "refunded":
		return d.Refund != nil
	case "hold_released":
		return d.SPS.Status != customs.SPSHeld && slices.ContainsFunc(h.Events, func(e customs.Event) bool { return e.Action == customs.ActSPSRelease })
	}
	return false
}

// CustomsLive answers the declaration page's live status block: the
// status, what comes next and the timeline. With ?v= the version the page
// shows, a newer declaration adds a prompt to reload for the latest
// actions; an unchanged one answers 204 to htmx, which then swaps nothing.
func (p *Pages) CustomsLive(w http.ResponseWriter, r *http.Request) {
	if p.customsOff(w, r) {
		return
	}
	ctx := r.Context()
	pr := identity.FromContext(ctx)
	id := r.PathValue("id")
	d, err := p.Customs.Get(ctx, pr, id)
	if err != nil {
		p.Error(w, r, statusOfErr(err), err)
		return
	}
	shown, _ := strconv.ParseInt(r.URL.Query().Get("v"), 10, 64)
	if r.Header.Get("HX-Request") == "true" && shown == d.Version {
		w.WriteHeader(http.StatusNoContent)
		return
	}
	h, err := p.Customs.History(ctx, pr, id)
	if err != nil {
		p.Error(w, r, statusOfErr(err), err)
		return
	}
	v := p.view(w, r, "customs.decl_title", nil)
	data := p.declData(ctx, r, v, pr, &d, &h)
	data["Stale"] = shown != 0 && shown != d.Version
	data["Shown"] = shown
	v.Data = data
	p.customsPartial(w, r, "customsdecl", "live", http.StatusOK, v)
}

// CustomsDocument sends an attachment's bytes to anyone who may see the
// declaration, always as a download.
func (p *Pages) CustomsDocument(w http.ResponseWriter, r *http.Request) {
	if p.customsOff(w, r) {
		return
	}
	pr := identity.FromContext(r.Context())
	doc, b, err := p.Customs.Document(r.Context(), pr, r.PathValue("id"), r.PathValue("doc"))
	if err != nil {
		p.Error(w, r, statusOfErr(err), err)
		return
	}
	w.Header().Set("Content-Type", doc.MediaType)
	w.Header().Set("Content-Disposition", fmt.Sprintf("attachment; filename*=UTF-8''%s", url.PathEscape(doc.Filename)))
	w.Header().Set("Cache-Control", "private, no-store")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	_, _ = w.Write(b)
}

func sizeText(v *View, n int64) string {
	switch {
	case n >= 1<<20:
		return v.T("customs.size_mib", amountText(v.Lang, n*10/(1<<20), 1))
	case n >= 1<<10:
		return v.T("customs.size_kib", amountText(v.Lang, n*10/(1<<10), 1))
	}
	return v.T("customs.size_b", n)
}

func (p *Pages) unitText(v *View, code string) string {
	if key := "customs.unit." + strings.ToLower(code); p.has(key) {
		return v.T(key)
	}
	return code
}

// hsText describes a classification in lang: the chapter's title (which
// exists in every language) and the subheading's (in English below the
// chapter level, marked so).
func (p *Pages) hsText(code, lang string) string {
	if len(code) < 2 {
		return ""
	}
	ch, ok := p.Ref.HS(code[:2])
	if !ok {
		return ""
	}
	out := ch.Text(lang)
	if len(code) >= 6 {
		if sub, ok := p.Ref.HS(code[:6]); ok {
			out += " › " + p.hsLabel(sub, lang)
		}
	}
	return out
}

func (p *Pages) borderPostText(code string) string {
	if loc, ok := p.Ref.Location(code); ok {
		return loc.Code + " — " + loc.Name
	}
	return code
}

type option struct{ Value, Text string }

func (p *Pages) docKindOptions(v *View) []option {
	out := make([]option, len(customs.DocumentKinds))
	for i, k := range customs.DocumentKinds {
		out[i] = option{string(k), v.T("customs.doc." + string(k))}
	}
	return out
}

// ---------------------------------------------------------------------------
// Actions on one declaration.

// safeReturn accepts only the officers' own queues as a place to go back
// to after an action, so the parameter cannot send anyone elsewhere.
func safeReturn(s string) string {
	for _, ok := range []string{"/customs/console", "/customs/quarantine"} {
		if s == ok || strings.HasPrefix(s, ok+"?") && !strings.ContainsAny(s, "\\\r\n") {
			return s
		}
	}
	return ""
}

// customsAct runs one action from the declaration page (or a queue) and
// goes back to the page with a confirmation, or shows the page again with
// the refusal beside the form.
func (p *Pages) customsAct(w http.ResponseWriter, r *http.Request, which, done string, fn func(ctx context.Context, pr *identity.Principal, id string) error) {
	if p.customsOff(w, r) {
		return
	}
	if err := r.ParseForm(); err != nil {
		p.Error(w, r, http.StatusBadRequest, problem.New(problem.Malformed, "bad form"))
		return
	}
	ctx := r.Context()
	pr := identity.FromContext(ctx)
	id := r.PathValue("id")
	if err := fn(ctx, pr, id); err != nil {
		p.renderDecl(w, r, declState{formErr: err, which: which, posted: r.PostForm})
		return
	}
	if ret := safeReturn(r.PostFormValue("return")); ret != "" {
		sep := "?"
		if strings.Contains(ret, "?") {
			sep = "&"
		}
		http.Redirect(w, r, ret+sep+url.Values{"done": {done}, "id": {id}}.Encode()+"#done", http.StatusSeeOther)
		return
	}
	http.Redirect(w, r, "/customs/"+url.PathEscape(id)+"?done="+done, http.StatusSeeOther)
}

// CustomsSubmit lodges a draft.
func (p *Pages) CustomsSubmit(w http.ResponseWriter, r *http.Request) {
	p.customsAct(w, r, "submit", "submitted", func(ctx context.Context, pr *identity.Principal, id string) error {
		_, err := p.Customs.Submit(ctx, pr, id)
		return err
	})
}

// CustomsCancel withdraws a declaration.
func (p *Pages) CustomsCancel(w http.ResponseWriter, r *http.Request) {
	p.customsAct(w, r, "cancel", "cancelled", func(ctx context.Context, pr *identity.Principal, id string) error {
		_, err := p.Customs.Cancel(ctx, pr, id, r.PostFormValue("reason"))
		return err
	})
}

// CustomsPay pays the duties from one of the organisation's KZT accounts.
func (p *Pages) CustomsPay(w http.ResponseWriter, r *http.Request) {
	p.customsAct(w, r, "pay", "paid", func(ctx context.Context, pr *identity.Principal, id string) error {
		_, err := p.Customs.Pay(ctx, pr, id, r.PostFormValue("from_account_id"))
		return err
	})
}

// CustomsGuarantee draws the duties from a guarantee a bank issued to the
// declarant.
func (p *Pages) CustomsGuarantee(w http.ResponseWriter, r *http.Request) {
	p.customsAct(w, r, "guarantee", "guaranteed", func(ctx context.Context, pr *identity.Principal, id string) error {
		_, err := p.Customs.ProvideGuarantee(ctx, pr, id, r.PostFormValue("guarantee_id"))
		return err
	})
}

// CustomsAttach uploads a document to a declaration.
func (p *Pages) CustomsAttach(w http.ResponseWriter, r *http.Request) {
	if p.customsOff(w, r) {
		return
	}
	ctx := r.Context()
	pr := identity.FromContext(ctx)
	id := r.PathValue("id")
	var in *customs.NewDocument
	err := parseAnyForm(r)
	if err == nil {
		in, err = readUpload(r, "file", r.PostFormValue("kind"), r.PostFormValue("reference"))
	}
	if err == nil && in == nil {
		err = &problem.Error{Code: problem.Invalid, Message: "no file", Fields: map[string]string{"file": "choose a file"}}
	}
	if err == nil {
		_, err = p.Customs.AttachDocument(ctx, pr, id, *in)
	}
	if err != nil {
		p.renderDecl(w, r, declState{formErr: err, which: "attach", posted: r.PostForm})
		return
	}
	http.Redirect(w, r, "/customs/"+url.PathEscape(id)+"?done=attached#documents", http.StatusSeeOther)
}

// maxUploadMemory is how much of a multipart form is kept in memory; the
// rest spills to temporary files.
const maxUploadMemory = 12 << 20

// readUpload reads the file in field (nil when none was chosen) as a new
// document. The media type is what the browser says if it is one the
// service accepts, else what the content looks like; the service checks
// the bytes against it either way.
func readUpload(r *http.Request, field, kind, reference string) (*customs.NewDocument, error) {
	if r.MultipartForm == nil {
		return nil, nil
	}
	file, hdr, err := r.FormFile(field)
	if errors.Is(err, http.ErrMissingFile) {
		return nil, nil
	}
	if err != nil {
		return nil, uploadErr(err)
	}
	defer file.Close()
	// One byte more than the limit is enough for the service to refuse it.
	b, err := io.ReadAll(io.LimitReader(file, customs.MaxDocumentSize+1))
	if err != nil {
		return nil, uploadErr(err)
	}
	if hdr.Filename == "" && len(b) == 0 {
		return nil, nil
	}
	mt := customs.DocumentMediaType(hdr.Header.Get("Content-Type"), b)
	name := hdr.Filename
	if i := strings.LastIndexAny(name, `/\`); i >= 0 {
		name = name[i+1:]
	}
	return &customs.NewDocument{Kind: customs.DocumentKind(kind), Reference: reference, Filename: name, MediaType: mt, Content: b}, nil
}

func uploadErr(err error) error {
	var mb *http.MaxBytesError
	if errors.As(err, &mb) {
		return &problem.Error{Code: problem.TooLarge, Message: "the upload is too large", Fields: map[string]string{"content": "the document is larger than 10 MiB"}}
	}
	return &problem.Error{Code: problem.Malformed, Message: "the upload could not be read", Fields: map[string]string{"file": "the upload could not be read"}}
}
