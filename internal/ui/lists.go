package ui

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"bricstown/internal/customs"
	"bricstown/internal/period"
	"bricstown/internal/problem"
	"bricstown/internal/settlement"
)

// listPage is how many rows one page of a growing list shows (docs/UI.md,
// "Lists that scale").
const listPage = 50

// declFind is a declaration list's search and filters as the page reads
// them from its query string and writes them back into the form and the
// paging links. keep holds the page's own parameters (a console's tab, a
// trader's status group) so that they survive a search and a page turn.
type declFind struct {
	Q, From, To, Post, Procedure string
	After                        string // the cursor: the last id of the previous page
	keep                         url.Values
}

// readDeclFind reads the filters of r into a service query. A date that is
// not one is marked on its field (the service never sees it) and reported
// as bad; the rest is checked by customs.Service.List, which the API calls
// too.
func readDeclFind(v *View, r *http.Request, keep ...string) (declFind, customs.Query, bool) {
	q := r.URL.Query()
	d := declFind{Q: strings.TrimSpace(q.Get("q")), From: strings.TrimSpace(q.Get("from")), To: strings.TrimSpace(q.Get("to")),
		Post: strings.ToUpper(strings.TrimSpace(q.Get("border_post"))), Procedure: q.Get("procedure"), After: q.Get("after"), keep: url.Values{}}
	for _, k := range keep {
		if x := q.Get(k); x != "" {
			d.keep.Set(k, x)
		}
	}
	f := problem.Fields{}
	query := customs.Query{Search: d.Q, BorderPost: d.Post, Procedure: customs.Procedure(d.Procedure), After: d.After, Limit: listPage + 1,
		From: period.Bound(f, "from", d.From, false, time.Time{}), To: period.Bound(f, "to", d.To, true, time.Time{})}
	for k := range f {
		fieldFail(v, k, "lists.field.date")
	}
	return d, query, len(f) > 0
}

// Filtered reports whether any filter is set (the page then offers "Clear
// filters" and says "nothing matches" rather than "nothing yet").
func (d declFind) Filtered() bool {
	return d.Q != "" || d.From != "" || d.To != "" || d.Post != "" || d.Procedure != ""
}

// Keep is the page's own parameters, for hidden fields of the form.
func (d declFind) Keep() map[string]string {
	out := map[string]string{}
	for k := range d.keep {
		out[k] = d.keep.Get(k)
	}
	return out
}

// link is the query string of the list with the filters and after.
func (d declFind) link(after string) string {
	v := url.Values{}
	for k, x := range d.keep {
		v[k] = x
	}
	for k, x := range map[string]string{"q": d.Q, "from": d.From, "to": d.To, "border_post": d.Post, "procedure": d.Procedure, "after": after} {
		if x != "" {
			v.Set(k, x)
		}
	}
	return v.Encode()
}

// declPager is a page of a declaration list: the rows to show and the
// links to the next and the first page, filters kept.
type declPager struct {
	Next, First, Clear string
	Paged              bool
}

// pageDecls cuts the limit+1 rows read to a page and makes its links.
func pageDecls(path string, d declFind, list []customs.Summary) ([]customs.Summary, declPager) {
	pg := declPager{Clear: path}
	if len(d.keep) > 0 {
		pg.Clear += "?" + d.keep.Encode()
	}
	if len(list) > listPage {
		list = list[:listPage]
		pg.Next = path + "?" + d.link(list[listPage-1].ID)
	}
	if d.After != "" {
		pg.Paged = true
		pg.First = path
		if s := d.link(""); s != "" {
			pg.First += "?" + s
		}
	}
	return list, pg
}

// procedureOptions are the procedures a list is filtered by.
func procedureOptions(v *View) []filterOption {
	var out []filterOption
	for _, pr := range customs.Procedures {
		out = append(out, filterOption{string(pr), v.T("customs.procedure." + string(pr))})
	}
	return out
}

// declListFail puts a refused search on the page: a bad filter is the
// reader's to correct (400, beside its field); anything else is an error
// page. It reports whether the page may still be shown.
func (p *Pages) declListFail(w http.ResponseWriter, r *http.Request, v *View, err error) (int, bool) {
	if problem.CodeOf(err) != problem.Invalid {
		p.Error(w, r, statusOfErr(err), err)
		return 0, false
	}
	return p.formFail(v, err, "lists.field.", nil), true
}

// instructionFind is an instruction list's search and filters as the page
// reads and links them; Before is the cursor (a sequence number).
type instructionFind struct {
	Q, Currency, From, To string
	Before                int64
}

// readInstructionFind reads the filters of r into a service query; a date
// that is not one is marked on its field.
func readInstructionFind(v *View, r *http.Request) (instructionFind, settlement.InstructionQuery, bool) {
	q := r.URL.Query()
	d := instructionFind{Q: strings.TrimSpace(q.Get("q")), Currency: strings.ToUpper(strings.TrimSpace(q.Get("currency"))),
		From: strings.TrimSpace(q.Get("from")), To: strings.TrimSpace(q.Get("to"))}
	if b := q.Get("before"); b != "" {
		n, err := strconv.ParseInt(b, 10, 64)
		if err != nil || n <= 0 {
			n = -1 // the service refuses it
		}
		d.Before = n
	}
	f := problem.Fields{}
	query := settlement.InstructionQuery{Search: d.Q, Currency: d.Currency, Before: d.Before, Limit: listPage + 1,
		From: period.Bound(f, "from", d.From, false, time.Time{}), To: period.Bound(f, "to", d.To, true, time.Time{})}
	for k := range f {
		fieldFail(v, k, "lists.field.date")
	}
	return d, query, len(f) > 0
}

// Filtered reports whether any filter is set.
func (d instructionFind) Filtered() bool {
	return d.Q != "" || d.Currency != "" || d.From != "" || d.To != ""
}

func (d instructionFind) link(before int64) string {
	v := url.Values{}
	for k, x := range map[string]string{"q": d.Q, "currency": d.Currency, "from": d.From, "to": d.To} {
		if x != "" {
			v.Set(k, x)
		}
	}
	if before > 0 {
		v.Set("before", strconv.FormatInt(before, 10))
	}
	return v.Encode()
}

// pageInstructions cuts the limit+1 instructions read to a page and makes
// its links, filters kept.
func pageInstructions(path string, d instructionFind, list []settlement.Instruction) ([]settlement.Instruction, declPager) {
	pg := declPager{Clear: path}
	if len(list) > listPage {
		list = list[:listPage]
		pg.Next = path + "?" + d.link(list[listPage-1].Seq)
	}
	if d.Before != 0 {
		pg.Paged = true
		pg.First = path
		if s := d.link(0); s != "" {
			pg.First += "?" + s
		}
	}
	return list, pg
}
