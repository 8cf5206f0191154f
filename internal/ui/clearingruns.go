package ui

import (
	"net/http"
	"slices"
	"strconv"

	"bricstown/internal/identity"
)

// clearingRunsPage is how many runs one page of the run list shows.
const clearingRunsPage = 50

// ClearingRunsPage is the platform administrator's clearing control: what
// the next run would work on (town-wide totals per currency, no company's
// invoices), the button that runs clearing now, and every run with its
// figures, paged by run number. Companies read runs from their own
// register page, which shows their share.
func (p *Pages) ClearingRunsPage(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	pr := identity.FromContext(ctx)
	v := p.view(w, r, "oblig.runs", nil)
	before, _ := strconv.ParseInt(r.URL.Query().Get("before"), 10, 64)
	if before < 0 {
		before = 0
	}
	sum, err := p.Obligations.Summary(ctx, pr, "")
	if err != nil {
		p.Error(w, r, statusOfErr(err), err)
		return
	}
	byCcy := map[string]*obligTotal{}
	var ccys []string
	confirmed := map[string][2]int64{}
	for _, s := range sum {
		t, ok := byCcy[s.Currency]
		if !ok {
			t = &obligTotal{Currency: s.Currency}
			byCcy[s.Currency] = t
			ccys = append(ccys, s.Currency)
		}
		t.Count += s.Count
		c := confirmed[s.Currency]
		if s.Confirmed {
			c[0] += s.Outstanding
		} else {
			c[1] += s.Outstanding
		}
		confirmed[s.Currency] = c
	}
	slices.Sort(ccys)
	totals := make([]obligTotal, 0, len(ccys))
	for _, c := range ccys {
		t := byCcy[c]
		t.Confirmed, t.Unconfirmed = p.amount(v.Lang, c, confirmed[c][0]), p.amount(v.Lang, c, confirmed[c][1])
		totals = append(totals, *t)
	}
	runs, err := p.Obligations.Runs(ctx, pr, before, clearingRunsPage+1)
	if err != nil {
		p.Error(w, r, statusOfErr(err), err)
		return
	}
	next := ""
	if len(runs) > clearingRunsPage {
		runs = runs[:clearingRunsPage]
		next = strconv.FormatInt(runs[len(runs)-1].Number, 10)
	}
	rows := make([]runRowView, len(runs))
	for i := range runs {
		rows[i] = p.runRow(v, &runs[i])
	}
	var charts []map[string]any
	if len(runs) > 0 && before == 0 {
		charts = p.historyCharts(v, runs)
	}
	v.Data = map[string]any{"Totals": totals, "Runs": rows, "Charts": charts, "Next": next, "Paged": before > 0}
	p.render(w, r, http.StatusOK, "clearingruns", v)
}
