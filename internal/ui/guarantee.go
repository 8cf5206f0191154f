package ui

import (
	"net/http"
	"strings"

	"bricstown/internal/guarantee"
	"bricstown/internal/identity"
	"bricstown/internal/ledger"
	"bricstown/internal/money"
	"bricstown/internal/problem"
)

// The guarantees page: a bank issues guarantees for customs duties and
// releases what is unused; a declarant sees the guarantees it holds (and
// draws on them from a declaration's page).

type guaranteeRow struct {
	ID, Reference, Bank, Principal, Amount, Remaining, Status string
	ValidUntil                                                string
	CanCancel                                                 bool
	Moves                                                     []guaranteeMoveRow
}

type guaranteeMoveRow struct {
	Kind, Declaration, Amount, At, Transfer string
}

type guaranteeForm struct {
	Reference, PrincipalOrg, BackingAccountID, Amount, ValidUntil string
}

type optionView struct{ ID, Text string }

func (p *Pages) guaranteesOff(w http.ResponseWriter, r *http.Request) bool {
	if p.Guarantees == nil {
		p.Error(w, r, http.StatusServiceUnavailable, problem.New(problem.Unavailable, "guarantees are not available"))
		return true
	}
	return false
}

// GuaranteesPage lists the guarantees the organisation issued or holds,
// with the issue form for banks.
func (p *Pages) GuaranteesPage(w http.ResponseWriter, r *http.Request) {
	p.renderGuarantees(w, r, http.StatusOK, "", guaranteeForm{}, nil)
}

func (p *Pages) renderGuarantees(w http.ResponseWriter, r *http.Request, status int, which string, form guaranteeForm, formErr error) {
	if p.guaranteesOff(w, r) {
		return
	}
	ctx := r.Context()
	pr := identity.FromContext(ctx)
	v := p.view(w, r, "guarantee.title", nil)
	if formErr != nil {
		status = p.formFail(v, formErr, "guarantee.field.", nil)
	}
	list, err := p.Guarantees.List(ctx, pr, "", 200)
	if err != nil {
		p.Error(w, r, statusOfErr(err), err)
		return
	}
	names := p.orgNames(r)
	bank := pr.OrgKind == identity.KindBank && pr.Has(identity.BankOperator)
	rows := make([]guaranteeRow, 0, len(list))
	for _, g := range list {
		row := guaranteeRow{ID: g.ID, Reference: g.Reference, Bank: names.Name(g.BankOrg), Principal: names.Name(g.PrincipalOrg),
			Amount: kzt(v.Lang, g.AmountKZT), Remaining: kzt(v.Lang, g.RemainingKZT), Status: v.T("guarantee.status." + string(g.Status)),
			ValidUntil: when(g.ValidUntil), CanCancel: bank && g.BankOrg == pr.OrgID && g.Status == guarantee.Active}
		if _, moves, err := p.Guarantees.Get(ctx, pr, g.ID); err == nil {
			for _, m := range moves {
				if !m.Done {
					continue
				}
				row.Moves = append(row.Moves, guaranteeMoveRow{Kind: v.T("guarantee.move." + string(m.Kind)), Declaration: m.DeclarationID,
					Amount: kzt(v.Lang, m.AmountKZT), At: when(m.At), Transfer: m.TransferID})
			}
		}
		rows = append(rows, row)
	}
	data := map[string]any{"Rows": rows, "Bank": bank, "Form": form, "Which": which}
	if bank {
		data["Accounts"] = p.backingOptions(r, pr, v.Lang)
		data["Principals"] = p.declarantOptions(r)
	}
	switch r.URL.Query().Get("done") {
	case "issued":
		data["Done"] = v.T("guarantee.done.issued")
	case "cancelled":
		data["Done"] = v.T("guarantee.done.cancelled")
	}
	v.Data = data
	p.render(w, r, status, "guarantees", v)
}

// backingOptions are the bank's own KZT funds accounts.
func (p *Pages) backingOptions(r *http.Request, pr *identity.Principal, lang string) []optionView {
	var out []optionView
	if p.Ledger == nil {
		return nil
	}
	list, err := p.listAccounts(r, pr, "")
	if err != nil {
		return nil
	}
	for i := range list {
		a := &list[i]
		if a.Currency != "KZT" || a.Closed || a.OrgID != pr.OrgID || a.Flags&ledger.DebitsMustNotExceedCredits == 0 || a.Kind.DebitNormal() {
			continue
		}
		text := a.Code
		if a.Name != "" {
			text += " · " + a.Name
		}
		out = append(out, optionView{ID: a.ID.String(), Text: text + " — " + kzt(lang, a.Available()) + " KZT"})
	}
	return out
}

// declarantOptions are the organisations that declare goods.
func (p *Pages) declarantOptions(r *http.Request) []optionView {
	orgs, err := p.Identity.Orgs(r.Context(), identity.Page{Limit: 1000})
	if err != nil {
		return nil
	}
	var out []optionView
	for _, o := range orgs {
		if o.Kind == identity.KindCompany || o.Kind == identity.KindLogisticsOperator {
			out = append(out, optionView{ID: o.ID, Text: o.Name + " (" + o.Country + ")"})
		}
	}
	return out
}

// GuaranteeIssue issues a guarantee from the form.
func (p *Pages) GuaranteeIssue(w http.ResponseWriter, r *http.Request) {
	if p.guaranteesOff(w, r) {
		return
	}
	if err := r.ParseForm(); err != nil {
		p.Error(w, r, http.StatusBadRequest, problem.New(problem.Malformed, "bad form"))
		return
	}
	pr := identity.FromContext(r.Context())
	lang := p.view(w, r, "guarantee.title", nil).Lang
	form := guaranteeForm{Reference: r.PostFormValue("reference"), PrincipalOrg: r.PostFormValue("principal_org"),
		BackingAccountID: r.PostFormValue("backing_account_id"), Amount: strings.TrimSpace(r.PostFormValue("amount")), ValidUntil: strings.TrimSpace(r.PostFormValue("valid_until"))}
	amount, err := money.ParsePositive(amountInput(lang, form.Amount), 2)
	if err != nil {
		p.renderGuarantees(w, r, 0, "issue", form, &problem.Error{Code: problem.Invalid, Message: "the guarantee is not valid",
			Fields: map[string]string{"amount": problem.MessageOf(err)}})
		return
	}
	if _, err := p.Guarantees.Issue(r.Context(), pr, guarantee.NewGuarantee{Reference: form.Reference, PrincipalOrg: form.PrincipalOrg,
		BackingAccountID: form.BackingAccountID, AmountKZT: int64(amount), ValidUntil: form.ValidUntil}); err != nil {
		if pe, ok := err.(*problem.Error); ok && pe.Fields["amount_kzt"] != "" {
			pe.Fields["amount"] = pe.Fields["amount_kzt"]
			delete(pe.Fields, "amount_kzt")
		}
		p.renderGuarantees(w, r, 0, "issue", form, err)
		return
	}
	http.Redirect(w, r, "/guarantees?done=issued", http.StatusSeeOther)
}

// GuaranteeCancel releases the unused remainder of a guarantee.
func (p *Pages) GuaranteeCancel(w http.ResponseWriter, r *http.Request) {
	if p.guaranteesOff(w, r) {
		return
	}
	pr := identity.FromContext(r.Context())
	if _, err := p.Guarantees.Cancel(r.Context(), pr, r.PathValue("id")); err != nil {
		p.renderGuarantees(w, r, 0, "cancel", guaranteeForm{}, err)
		return
	}
	http.Redirect(w, r, "/guarantees?done=cancelled", http.StatusSeeOther)
}

// guaranteeOptions are the declarant's guarantees that can cover due now.
func (p *Pages) guaranteeOptions(r *http.Request, pr *identity.Principal, lang string, due int64) []optionView {
	if p.Guarantees == nil {
		return nil
	}
	list, err := p.Guarantees.List(r.Context(), pr, "", 200)
	if err != nil {
		return nil
	}
	names := p.orgNames(r)
	var out []optionView
	for _, g := range list {
		if g.PrincipalOrg == pr.OrgID && g.Status == guarantee.Active && g.RemainingKZT >= due {
			out = append(out, optionView{ID: g.ID, Text: g.Reference + " · " + names.Name(g.BankOrg) + " — " + kzt(lang, g.RemainingKZT) + " KZT"})
		}
	}
	return out
}
