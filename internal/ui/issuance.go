package ui

import (
	"net/http"
	"strings"

	"bricstown/internal/identity"
	"bricstown/internal/ledger"
	"bricstown/internal/problem"
)

// issuanceRow is one issuer account as the page shows it.
type issuanceRow struct {
	Org, Currency, Code, Issued, Limit, Position string
	// Used is the share of the limit issued, in whole percent (-1: no
	// limit to compare with).
	Used    int
	HasPos  bool
	Centre  bool // one of the centre's own books
	Account string
}

type issuanceForm struct{ OrgID, Currency, Limit string }

// Issuance shows who has created how much money against what the centre
// allows (docs/MONEY.md): every issuer to the centre's operators and the
// platform administrator, a bank its own lines; the centre also grants or
// changes a bank's limit here.
func (p *Pages) Issuance(w http.ResponseWriter, r *http.Request) {
	p.renderIssuance(w, r, http.StatusOK, issuanceForm{Currency: "KZT"}, nil)
}

func (p *Pages) renderIssuance(w http.ResponseWriter, r *http.Request, status int, form issuanceForm, formErr error) {
	pr := identity.FromContext(r.Context())
	v := p.view(w, r, "issuance.title", nil)
	if formErr != nil {
		status = p.formFail(v, formErr, "issuance.field.", nil)
	}
	lines, err := p.Ledger.Issuance(r.Context(), pr)
	if err != nil {
		p.Error(w, r, statusOfErr(err), err)
		return
	}
	names := p.orgNames(r)
	rows := make([]issuanceRow, 0, len(lines))
	for _, l := range lines {
		exp := p.exponent(l.Account.Currency)
		row := issuanceRow{Org: names.Name(l.Account.OrgID), Currency: l.Account.Currency, Code: l.Account.Code, Issued: amountText(v.Lang, l.Issued, exp),
			Used: -1, HasPos: l.HasPos, Centre: l.Account.Code != ledger.BankIssuance, Account: l.Account.ID.String()}
		if l.Account.Limit == ledger.Unlimited {
			row.Limit = v.T("issuance.unlimited")
		} else {
			row.Limit = amountText(v.Lang, l.Account.Limit, exp)
			if l.Account.Limit > 0 {
				// Whole percent, rounded down: the page never shows a line
				// as fuller than it is.
				row.Used = int(float64(l.Issued) / float64(l.Account.Limit) * 100)
			}
		}
		if l.HasPos {
			row.Position = amountText(v.Lang, l.Position, exp)
		}
		rows = append(rows, row)
	}
	centre := p.Ledger.IsCentreOperator(r.Context(), pr)
	var banks []map[string]string
	if centre {
		orgs, err := p.Identity.Orgs(r.Context(), identity.Page{Limit: 1000})
		if err != nil {
			p.Error(w, r, http.StatusInternalServerError, err)
			return
		}
		for _, o := range orgs {
			if o.Kind == identity.KindBank {
				banks = append(banks, map[string]string{"ID": o.ID, "Name": o.Name})
			}
		}
	}
	var done string
	if r.URL.Query().Get("done") != "" {
		done = v.T("issuance.saved")
	}
	v.Data = map[string]any{"Rows": rows, "Centre": centre, "Banks": banks, "Form": form, "Currencies": p.townCurrencies(), "Done": done}
	p.render(w, r, status, "ledgerissuance", v)
}

// IssuanceSet grants a bank an issuance limit (the centre's operators).
func (p *Pages) IssuanceSet(w http.ResponseWriter, r *http.Request) {
	pr := identity.FromContext(r.Context())
	if err := r.ParseForm(); err != nil {
		p.Error(w, r, http.StatusBadRequest, problem.New(problem.Malformed, "bad form"))
		return
	}
	lang := p.view(w, r, "issuance.title", nil).Lang
	form := issuanceForm{OrgID: r.PostFormValue("org_id"), Currency: strings.ToUpper(strings.TrimSpace(r.PostFormValue("currency"))),
		Limit: strings.TrimSpace(r.PostFormValue("limit"))}
	if _, err := p.Ledger.SetIssuance(r.Context(), pr, ledger.IssuanceInput{OrgID: form.OrgID, Currency: form.Currency, Limit: amountInput(lang, form.Limit)}); err != nil {
		p.renderIssuance(w, r, statusOfErr(err), form, err)
		return
	}
	http.Redirect(w, r, "/ledger/issuance?done=1", http.StatusSeeOther)
}
