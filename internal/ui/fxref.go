package ui

import (
	"bytes"
	"net/http"
	"strconv"
	"strings"
	"time"

	"bricstown/internal/fx"
	"bricstown/internal/identity"
	"bricstown/internal/problem"
)

// fxRefCSVMaxBytes bounds an uploaded reference file (the route's body
// limit is a little larger, for the multipart envelope).
const fxRefCSVMaxBytes = 4 << 20

type refForm struct{ Date, Source, Currency, Units, Rate string }

type refState struct {
	status  int
	formErr error
	which   string // "one" or "csv"
	form    refForm
	csvText string
}

type refRow struct {
	Date, Currency, Units, Rate, PerUnit, Source, Publisher string
	Published                                               time.Time
}

// FXReference shows the official reference rates in force on a date (any
// signed-in user) and, to the platform administrator and the settlement
// centre's operators, the forms to publish them.
func (p *Pages) FXReference(w http.ResponseWriter, r *http.Request) {
	p.renderReference(w, r, refState{status: http.StatusOK})
}

func (p *Pages) renderReference(w http.ResponseWriter, r *http.Request, st refState) {
	pr := identity.FromContext(r.Context())
	ctx := r.Context()
	v := p.view(w, r, "fxref.title", nil)
	status := st.status
	if st.formErr != nil {
		status = p.formFail(v, st.formErr, "fxref.field.", nil)
	}
	date := strings.TrimSpace(r.URL.Query().Get("date"))
	rows, err := p.FX.Reference(ctx, pr, date)
	if err != nil {
		if !problem.Is(err, problem.Invalid) {
			p.Error(w, r, statusOfErr(err), err)
			return
		}
		date, rows = "", nil
		v.Error = v.T("fxref.bad_date")
		status = http.StatusBadRequest
	}
	if date == "" {
		date = time.Now().UTC().Format(time.DateOnly)
	}
	names := p.orgNames(r)
	out := make([]refRow, len(rows))
	for i, x := range rows {
		per, _ := x.PerUnitRate()
		out[i] = refRow{Date: x.Date, Currency: x.Currency, Units: strconv.FormatInt(x.Units, 10), Rate: rateText(v.Lang, x.KZT),
			PerUnit: rateText(v.Lang, per), Source: x.Source, Publisher: names.Name(x.Publisher), Published: x.PublishedAt}
	}
	form := st.form
	if form.Date == "" {
		form = refForm{Date: time.Now().UTC().Format(time.DateOnly), Units: "1", Currency: "CNY", Source: form.Source}
	}
	var done string
	if n := r.URL.Query().Get("done"); n != "" {
		done = v.T("fxref.published", n)
	}
	v.Data = map[string]any{"Rows": out, "Date": date, "CanPublish": p.FX.CanPublishReference(ctx, pr), "Form": form, "Which": st.which,
		"CSVText": st.csvText, "Currencies": p.townCurrencies(), "Done": done, "BandPercent": bpsPercent(v.Lang, p.FX.BandBps())}
	p.render(w, r, status, "fxreference", v)
}

// FXReferencePublish publishes one currency's rate for a date (a
// correction, or a currency the daily file missed).
func (p *Pages) FXReferencePublish(w http.ResponseWriter, r *http.Request) {
	pr := identity.FromContext(r.Context())
	if err := r.ParseForm(); err != nil {
		p.Error(w, r, http.StatusBadRequest, problem.New(problem.Malformed, "bad form"))
		return
	}
	lang := p.view(w, r, "fxref.title", nil).Lang
	form := refForm{Date: strings.TrimSpace(r.PostFormValue("date")), Source: strings.TrimSpace(r.PostFormValue("source")),
		Currency: strings.ToUpper(strings.TrimSpace(r.PostFormValue("currency"))), Units: strings.TrimSpace(r.PostFormValue("units")),
		Rate: strings.TrimSpace(r.PostFormValue("rate"))}
	units, err := strconv.ParseInt(form.Units, 10, 64)
	if err != nil {
		units = 0 // reported by the service as not a power of ten
	}
	in := fx.NewReferenceTable{Date: form.Date, Source: form.Source, Rates: []fx.NewReferenceRate{{Currency: form.Currency, Units: units, Rate: amountInput(lang, form.Rate)}}}
	rows, err := p.FX.PublishReference(r.Context(), pr, in)
	if err != nil {
		p.renderReference(w, r, refState{which: "one", form: form, formErr: renameRefFields(err)})
		return
	}
	http.Redirect(w, r, "/fx/reference?date="+form.Date+"&done="+strconv.Itoa(len(rows)), http.StatusSeeOther)
}

// renameRefFields maps the service's "rates[0].rate" to the form's "rate".
func renameRefFields(err error) error {
	pe, ok := err.(*problem.Error)
	if !ok || len(pe.Fields) == 0 {
		return err
	}
	out := *pe
	out.Fields = map[string]string{}
	for k, msg := range pe.Fields {
		out.Fields[strings.TrimPrefix(k, "rates[0].")] = msg
	}
	return &out
}

// FXReferenceImport publishes an uploaded (or pasted) CSV file of reference
// rates, all or none.
func (p *Pages) FXReferenceImport(w http.ResponseWriter, r *http.Request) {
	pr := identity.FromContext(r.Context())
	body, text, err := csvUpload(r, fxRefCSVMaxBytes)
	if err != nil {
		p.renderReference(w, r, refState{which: "csv", formErr: err})
		return
	}
	rows, err := p.FX.ImportReferenceCSV(r.Context(), pr, bytes.NewReader(body))
	if err != nil {
		p.renderReference(w, r, refState{which: "csv", formErr: err, csvText: text})
		return
	}
	http.Redirect(w, r, "/fx/reference?date="+rows[len(rows)-1].Date+"&done="+strconv.Itoa(len(rows)), http.StatusSeeOther)
}
