package ui

import (
	"context"
	"html/template"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"bricstown/internal/audit"
	"bricstown/internal/chart"
	"bricstown/internal/customs"
	"bricstown/internal/identity"
	"bricstown/internal/problem"
)

// ---------------------------------------------------------------------------
// The customs officers' console (queues per lane, the lane dashboard and
// trusted traders) and the quarantine inspectors' queue. Decisions are
// taken on the declaration page, or from a queue row, which is the same
// form posting to the same handler.

// customsConsoleTabs are the console's tabs, in order.
var customsConsoleTabs = []string{"all", "prelodged", "green", "yellow", "red", "blue", "dashboard", "aeo"}

// laneColours are the dashboard's colours per lane, in customs.Lanes order.
var laneColours = []string{chart.Green, chart.Yellow, chart.Red, chart.Palette()[0]}

type tabLink struct {
	Key, Text, Href string
	Count           int
	Counted, More   bool
	Current         bool
}

// CustomsConsole is the customs officers' work place.
func (p *Pages) CustomsConsole(w http.ResponseWriter, r *http.Request) {
	if p.customsOff(w, r) {
		return
	}
	ctx := r.Context()
	pr := identity.FromContext(ctx)
	v := p.view(w, r, "customs.console_title", nil)
	if customs.AuthorityOf(pr) != customs.ByCustoms {
		p.Error(w, r, http.StatusForbidden, problem.New(problem.Forbidden, "only customs officers"))
		return
	}
	q := r.URL.Query()
	tab := q.Get("tab")
	if !slices.Contains(customsConsoleTabs, tab) {
		tab = "all"
	}
	names := p.orgNames(r)

	// Every queue, for the tab counts; the open tab's rows.
	queues := map[string][]customs.Summary{}
	all, err := p.Customs.CustomsQueue(ctx, pr, customs.LaneNone, "", customsListLimit)
	if err != nil {
		p.Error(w, r, statusOfErr(err), err)
		return
	}
	queues["all"] = all
	for _, l := range customs.Lanes {
		list, err := p.Customs.CustomsQueue(ctx, pr, l, "", customsListLimit)
		if err != nil {
			p.Error(w, r, statusOfErr(err), err)
			return
		}
		queues[string(l)] = list
	}
	pre, err := p.Customs.List(ctx, pr, customs.Query{Statuses: []customs.Status{customs.StatusSubmitted}, Limit: customsListLimit})
	if err != nil {
		p.Error(w, r, statusOfErr(err), err)
		return
	}
	queues["prelodged"] = pre
	var tabs []tabLink
	for _, t := range customsConsoleTabs {
		tl := tabLink{Key: t, Text: v.T("customs.tab." + t), Href: "/customs/console?tab=" + t, Current: t == tab}
		if list, ok := queues[t]; ok {
			tl.Count, tl.Counted, tl.More = len(list), true, len(list) >= customsListLimit
		}
		tabs = append(tabs, tl)
	}
	data := map[string]any{"Tab": tab, "Tabs": tabs, "Lanes": p.laneOptions(v), "Return": "/customs/console?tab=" + tab,
		"TabTitle": v.T("customs.tab." + tab), "TabHelp": v.T("customs.tab_help." + tab)}
	status := http.StatusOK
	if _, ok := queues[tab]; ok {
		// The tab's rows, searched and paged; the counts above are the
		// whole queues' (the home's figures).
		find, query, bad := readDeclFind(v, r, "tab")
		var list []customs.Summary
		if bad {
			status = http.StatusBadRequest
		} else {
			var err error
			if tab == "prelodged" {
				query.Statuses = []customs.Status{customs.StatusSubmitted}
				list, err = p.Customs.List(ctx, pr, query)
			} else {
				lane := customs.LaneNone
				if tab != "all" {
					lane = customs.Lane(tab)
				}
				list, err = p.Customs.SearchCustomsQueue(ctx, pr, lane, query)
			}
			if err != nil {
				var ok bool
				if status, ok = p.declListFail(w, r, v, err); !ok {
					return
				}
			}
		}
		list, pager := pageDecls("/customs/console", find, list)
		data["Find"], data["Pager"], data["ListPath"], data["Procedures"] = find, pager, "/customs/console", procedureOptions(v)
		data["Searching"] = find.Filtered()
		var rows []customsRow
		// The quick-decide panel starts at the lane the declaration is
		// in, so deciding only the reason does not move it to green.
		rowLanes := map[string]string{}
		for _, s := range list {
			rows = append(rows, p.customsRow(v, s, names))
			rowLanes[s.ID] = string(s.Lane)
		}
		data["Rows"] = rows
		data["RowLanes"] = rowLanes
	}
	switch tab {
	case "dashboard":
		days, _ := strconv.Atoi(q.Get("days"))
		if !slices.Contains([]int{7, 30, 90, 365}, days) {
			days = 30
		}
		if err := p.laneDashboard(ctx, v, pr, days, data); err != nil {
			p.Error(w, r, statusOfErr(err), err)
			return
		}
	case "aeo":
		orgs, err := p.aeoOrgs(ctx, v)
		if err != nil {
			p.Error(w, r, statusOfErr(err), err)
			return
		}
		data["Orgs"] = orgs
	}
	p.consoleDone(v, r, data)
	v.Data = data
	p.render(w, r, status, "customsconsole", v)
}

// consoleDone confirms an action taken from a queue row, read back from the
// declaration so a crafted link cannot fake it.
func (p *Pages) consoleDone(v *View, r *http.Request, data map[string]any) {
	q := r.URL.Query()
	done, id := q.Get("done"), q.Get("id")
	if done == "" || id == "" || !slices.Contains(customsDone, done) {
		if done == "aeo" {
			data["Done"] = v.T("customs.done_aeo")
		}
		return
	}
	pr := identity.FromContext(r.Context())
	d, err := p.Customs.Get(r.Context(), pr, id)
	if err != nil {
		return
	}
	h, err := p.Customs.History(r.Context(), pr, id)
	if err != nil || !doneHolds(done, &d, &h) {
		return
	}
	ref := d.FunctionalReferenceID
	if ref == "" {
		ref = shortID(d.ID)
	}
	data["Done"] = v.T("customs.done."+done) + " — " + ref
	data["DoneID"] = d.ID
}

func (p *Pages) laneOptions(v *View) []option {
	out := make([]option, len(customs.Lanes))
	for i, l := range customs.Lanes {
		out[i] = option{string(l), v.T("customs.lane." + string(l))}
	}
	return out
}

// laneDashboard fills the dashboard: lane shares as a donut and the
// average time from lane assignment to release per lane as bars.
func (p *Pages) laneDashboard(ctx context.Context, v *View, pr *identity.Principal, days int, data map[string]any) error {
	to := time.Now().UTC().Add(time.Minute)
	from := to.Add(-time.Duration(days) * 24 * time.Hour)
	st, err := p.Customs.LaneStats(ctx, pr, from, to)
	if err != nil {
		return err
	}
	type statRow struct {
		Lane                badge
		Count, Released     int64
		Share, AvgToRelease string
	}
	var rows []statRow
	var slices_ []chart.Slice
	var cats []string
	var avg []int64
	releasedLanes := 0
	// One rounding for the table and the donut: both show the donut's
	// shares (largest remainder, tenths of a percent, adding up to 100%).
	counts := make([]int64, len(st.Lanes))
	for i, ls := range st.Lanes {
		counts[i] = ls.Count
	}
	shares := chart.Shares(counts)
	share := func(pm int64) string { return amountText(v.Lang, pm, 1) + "%" }
	for i, ls := range st.Lanes {
		name := v.T("customs.lane." + string(ls.Lane))
		row := statRow{Lane: laneBadge(v, ls.Lane), Count: ls.Count, Released: ls.Released, Share: share(0),
			AvgToRelease: durationText(v, ls.AvgTimeToRelease)}
		if shares != nil {
			row.Share = share(shares[i])
		}
		rows = append(rows, row)
		slices_ = append(slices_, chart.Slice{Label: name, Value: ls.Count})
		cats = append(cats, name)
		avg = append(avg, int64(ls.AvgTimeToRelease/time.Second))
		if ls.Released > 0 {
			releasedLanes++
		}
	}
	data["Stats"] = rows
	data["Total"] = st.Total
	data["Days"] = days
	data["Periods"] = []int{7, 30, 90, 365}
	data["From"], data["To"] = when(st.From), when(st.To)
	data["Donut"] = chart.Donut{
		Options: chart.Options{Width: 420, Height: 260, Title: v.T("customs.chart_lanes"), HideTitle: true, Desc: v.TN("customs.chart_lanes_desc", days),
			NoData: v.T("chart.no_data"), ID: "lane-shares", Class: "lanes", Colors: laneColours,
			Table: &chart.TableText{Key: v.T("customs.lane"), Value: v.T("customs.declarations"), Share: v.T("customs.share")}},
		Slices:      slices_,
		CenterLabel: v.T("customs.declarations"),
		FormatValue: func(x int64) string { return amountText(v.Lang, x, 0) },
		FormatShare: share,
	}.HTML()
	longest := int64(0)
	for _, a := range avg {
		longest = max(longest, a)
	}
	if releasedLanes < 2 || longest < 60 {
		// Releases in one lane or none, or all within the minute the
		// times are shown in: bars would compare nothing (the table has
		// the times); the template says why there is no chart.
		data["Bars"] = template.HTML("")
		data["NoReleaseChart"] = v.T("customs.no_releases_in_period")
		switch {
		case releasedLanes == 1:
			data["NoReleaseChart"] = v.T("customs.release_chart_one_lane")
		case releasedLanes > 1:
			// Every average reads "< 1 min": the bars would be flat.
			data["NoReleaseChart"] = v.T("customs.release_chart_under_minute")
		}
		return nil
	}
	var barChart template.HTML
	barChart = chart.Bar{
		Options: chart.Options{Width: 520, Height: 260, Title: v.T("customs.chart_release"), HideTitle: true, Desc: v.T("customs.chart_release_desc"),
			NoData: v.T("chart.no_data"), ID: "lane-release", Colors: []string{chart.Palette()[0]},
			Table: &chart.TableText{Key: v.T("customs.lane")}},
		Categories:  cats,
		Series:      []chart.BarSeries{{Name: v.T("customs.avg_release_min"), Values: avg}},
		ShowValues:  true,
		FormatValue: func(x int64) string { return durationText(v, time.Duration(x)*time.Second) },
	}.HTML()
	data["Bars"] = barChart
	return nil
}

type aeoOrg struct {
	ID, Name, Kind, Country, Status, StatusClass, Since, Note string
}

// aeoOrgs lists the organisations that can be trusted traders with their
// last AEO decision as the audit log records it: the customs service
// grants and withdraws the status but offers no way to read it back.
func (p *Pages) aeoOrgs(ctx context.Context, v *View) ([]aeoOrg, error) {
	var out []aeoOrg
	after := ""
	for {
		orgs, err := p.Identity.Orgs(ctx, identity.Page{After: after, Limit: 500})
		if err != nil {
			return nil, err
		}
		for _, o := range orgs {
			if o.Kind != identity.KindCompany && o.Kind != identity.KindLogisticsOperator {
				continue
			}
			row := aeoOrg{ID: o.ID, Name: o.Name, Kind: v.T("kind." + string(o.Kind)), Country: p.countryName(o.Country, v.Lang),
				Status: v.T("customs.aeo_none")}
			if p.Audit != nil {
				entries, err := p.Audit.ListAudit(ctx, audit.Filter{OrgID: o.ID, Limit: 500})
				if err == nil {
					for _, e := range entries {
						if e.Action == "customs.aeo.grant" || e.Action == "customs.aeo.withdraw" {
							row.Since, row.Note = when(e.At), e.Detail
							if e.Action == "customs.aeo.grant" {
								row.Status, row.StatusClass = v.T("customs.aeo_granted"), "green"
							} else {
								row.Status = v.T("customs.aeo_withdrawn")
							}
							break
						}
					}
				}
			}
			out = append(out, row)
		}
		if len(orgs) < 500 {
			break
		}
		after = orgs[len(orgs)-1].ID
	}
	sortByName(v.Lang, out, func(o aeoOrg) string { return o.Name })
	return out, nil
}

// CustomsAEO grants or withdraws trusted-trader status.
func (p *Pages) CustomsAEO(w http.ResponseWriter, r *http.Request) {
	if p.customsOff(w, r) {
		return
	}
	if err := r.ParseForm(); err != nil {
		p.Error(w, r, http.StatusBadRequest, problem.New(problem.Malformed, "bad form"))
		return
	}
	ctx := r.Context()
	pr := identity.FromContext(ctx)
	orgID := r.PostFormValue("org_id")
	if _, err := p.Identity.Org(ctx, orgID); err != nil {
		orgID = ""
	}
	if _, err := p.Customs.SetTrustedTrader(ctx, pr, orgID, r.PostFormValue("aeo") == "grant", r.PostFormValue("note")); err != nil {
		v := p.view(w, r, "customs.console_title", nil)
		v.Here = "/customs/console?tab=aeo"
		msg, status := customsSummary(v, err)
		v.Error = msg
		for k, e := range p.customsFieldErrs(v, err) {
			if v.Fields == nil {
				v.Fields = map[string]string{}
			}
			v.Fields[k] = e.String()
		}
		orgs, oerr := p.aeoOrgs(ctx, v)
		if oerr != nil {
			p.Error(w, r, statusOfErr(oerr), oerr)
			return
		}
		v.Data = map[string]any{"Tab": "aeo", "Orgs": orgs, "Tabs": []tabLink{}, "AEOForm": map[string]string{"OrgID": orgID, "Note": r.PostFormValue("note")}}
		p.render(w, r, status, "customsconsole", v)
		return
	}
	http.Redirect(w, r, "/customs/console?tab=aeo&done=aeo", http.StatusSeeOther)
}

// ---------------------------------------------------------------------------
// Quarantine.

type spsRow struct {
	customsRow
	Goods, Certificates string
	Inspection          bool
	CanInspect, Held    bool
}

// customsQuarantineDetail bounds how many queue rows are read in full (for
// their goods and certificates).
const customsQuarantineDetail = 100

// CustomsQuarantine is the quarantine inspectors' queue: declarations
// awaiting an inspection or a laboratory, or on hold, with the forms to
// record an inspection, hold, lift a hold or refuse.
func (p *Pages) CustomsQuarantine(w http.ResponseWriter, r *http.Request) {
	if p.customsOff(w, r) {
		return
	}
	ctx := r.Context()
	pr := identity.FromContext(ctx)
	if customs.AuthorityOf(pr) != customs.ByQuarantine {
		p.Error(w, r, http.StatusForbidden, problem.New(problem.Forbidden, "only quarantine officers"))
		return
	}
	v := p.view(w, r, "customs.quarantine_title", nil)
	find, query, bad := readDeclFind(v, r)
	status := http.StatusOK
	var list []customs.Summary
	if bad {
		status = http.StatusBadRequest
	} else {
		var err error
		if list, err = p.Customs.SearchQuarantineQueue(ctx, pr, query); err != nil {
			var ok bool
			if status, ok = p.declListFail(w, r, v, err); !ok {
				return
			}
		}
	}
	list, pager := pageDecls("/customs/quarantine", find, list)
	// The counters are the home's (one source); the cards below say the
	// same of each declaration.
	counts, err := p.Customs.QuarantineWork(ctx, pr)
	if err != nil {
		p.Error(w, r, statusOfErr(err), err)
		return
	}
	names := p.orgNames(r)
	var rows []spsRow
	for i, s := range list {
		// Inspection is outstanding while the status says so; the full
		// read below refines it (required and not yet done).
		row := spsRow{customsRow: p.customsRow(v, s, names), Held: s.SPSStatus == customs.SPSHeld,
			CanInspect: customs.AllowedFrom(customs.ActSPSInspect, s.Status), Inspection: s.SPSStatus == customs.SPSAwaitingInspection}
		if i < customsQuarantineDetail {
			if d, err := p.Customs.Get(ctx, pr, s.ID); err == nil {
				var goods, certs []string
				for _, it := range d.SPS.Items {
					desc := p.spsRuleName(v, it.RulePrefix, it.Description)
					if n := it.SequenceNumeric - 1; n >= 0 && n < len(d.Items) {
						desc = d.Items[n].Description + " (" + d.Items[n].ClassificationID + ", " + p.countryName(d.Items[n].OriginCountryCode, v.Lang) + ")"
					}
					goods = append(goods, desc)
				}
				for _, k := range d.SPS.Certificates {
					certs = append(certs, v.T("customs.doc."+string(k)))
				}
				row.Goods, row.Certificates = strings.Join(goods, "; "), strings.Join(certs, ", ")
				row.Inspection = d.SPS.InspectionRequired && !d.SPS.Inspected
			}
		}
		rows = append(rows, row)
	}
	data := map[string]any{"Rows": rows, "Return": "/customs/quarantine", "Find": find, "Pager": pager, "ListPath": "/customs/quarantine",
		"Procedures": procedureOptions(v), "Searching": find.Filtered(),
		"AwaitingInspection": counts.AwaitingInspection, "AwaitingLab": counts.AwaitingLab, "Held": counts.Held,
		"Results": []option{{string(customs.InspectionPass), v.T("customs.result.pass")}, {string(customs.InspectionFail), v.T("customs.result.fail")}},
		"LabOutcomes": []option{{"", v.T("customs.lab.none")}, {string(customs.LabPending), v.T("customs.lab.pending")},
			{string(customs.LabPass), v.T("customs.lab.pass")}, {string(customs.LabFail), v.T("customs.lab.fail")}}}
	p.consoleDone(v, r, data)
	v.Data = data
	p.render(w, r, status, "customsquarantine", v)
}

// ---------------------------------------------------------------------------
// Officers' actions.

// CustomsPresent records that pre-lodged goods have arrived.
func (p *Pages) CustomsPresent(w http.ResponseWriter, r *http.Request) {
	p.customsAct(w, r, "present", "presented", func(ctx context.Context, pr *identity.Principal, id string) error {
		_, err := p.Customs.PresentGoods(ctx, pr, id)
		return err
	})
}

// CustomsDecide moves a declaration to another lane with the reason.
func (p *Pages) CustomsDecide(w http.ResponseWriter, r *http.Request) {
	p.customsAct(w, r, "decide", "decided", func(ctx context.Context, pr *identity.Principal, id string) error {
		_, err := p.Customs.DecideChecks(ctx, pr, id, customs.Lane(r.PostFormValue("lane")), r.PostFormValue("reason"))
		return err
	})
}

// CustomsRelease releases the goods.
func (p *Pages) CustomsRelease(w http.ResponseWriter, r *http.Request) {
	p.customsAct(w, r, "release", "released", func(ctx context.Context, pr *identity.Principal, id string) error {
		_, err := p.Customs.Release(ctx, pr, id, r.PostFormValue("note"))
		return err
	})
}

// CustomsRefuse refuses release on customs' grounds.
func (p *Pages) CustomsRefuse(w http.ResponseWriter, r *http.Request) {
	p.customsAct(w, r, "refuse", "refused", func(ctx context.Context, pr *identity.Principal, id string) error {
		_, err := p.Customs.Refuse(ctx, pr, id, r.PostFormValue("reason"))
		return err
	})
}

// CustomsInspect records a quarantine inspection or laboratory result.
func (p *Pages) CustomsInspect(w http.ResponseWriter, r *http.Request) {
	p.customsAct(w, r, "inspect", "inspected", func(ctx context.Context, pr *identity.Principal, id string) error {
		in := customs.InspectionInput{Result: customs.InspectionResult(r.PostFormValue("result")), SamplesTaken: r.PostFormValue("samples_taken") != "",
			LabOutcome: customs.LabOutcome(r.PostFormValue("lab_outcome")), Notes: r.PostFormValue("notes")}
		_, err := p.Customs.RecordInspection(ctx, pr, id, in)
		return err
	})
}

// CustomsHold puts the goods on quarantine hold.
func (p *Pages) CustomsHold(w http.ResponseWriter, r *http.Request) {
	p.customsAct(w, r, "hold", "held", func(ctx context.Context, pr *identity.Principal, id string) error {
		_, err := p.Customs.HoldSPS(ctx, pr, id, r.PostFormValue("reason"))
		return err
	})
}

// CustomsLiftHold lifts a quarantine hold.
func (p *Pages) CustomsLiftHold(w http.ResponseWriter, r *http.Request) {
	p.customsAct(w, r, "lift", "hold_released", func(ctx context.Context, pr *identity.Principal, id string) error {
		_, err := p.Customs.ReleaseSPSHold(ctx, pr, id, r.PostFormValue("note"))
		return err
	})
}

// CustomsRefuseSPS refuses entry on sanitary or phytosanitary grounds.
func (p *Pages) CustomsRefuseSPS(w http.ResponseWriter, r *http.Request) {
	p.customsAct(w, r, "spsrefuse", "sps_refused", func(ctx context.Context, pr *identity.Principal, id string) error {
		_, err := p.Customs.RefuseSPS(ctx, pr, id, r.PostFormValue("reason"))
		return err
	})
}
