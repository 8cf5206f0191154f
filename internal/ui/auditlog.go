package ui

import (
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"bricstown/internal/audit"
	"bricstown/internal/identity"
	"bricstown/internal/problem"
)

// auditPage is how many entries one page of the audit log shows.
const auditPage = 50

// auditActions are the actions the log's filter offers, in the catalogue
// as names.action.<action> (customs actions come from the customs
// catalogue); an action not listed is still shown, as its code.
var auditActions = []string{
	"org.create", "user.create", "user.disable", "session.create", "session.delete", "api_token.create", "api_token.revoke",
	"ledger.account.create", "ledger.account.close", "ledger.transfers", "ledger.pending.expire",
	"ledger.issuance.limit", "ledger.counterparty.save", "ledger.counterparty.delete",
	"fx.rate.publish", "fx.fee.set", "fx.quote.create", "fx.quote.claim", "fx.conversion", "fx.reference.publish",
	"settlement.participant", "settlement.instructions", "settlement.instruction.cancel", "settlement.instruction.hold",
	"settlement.instruction.release", "settlement.cycle",
	"obligations.invoice.create", "obligations.invoice.confirm", "obligations.run",
	"guarantee.issue", "guarantee.cancel", "guarantee.draw", "guarantee.reserve", "guarantee.unreserve",
	"notify.webhook.create", "notify.webhook.delete", "customs.aeo.grant", "customs.aeo.withdraw",
	"logistics.departure.publish", "logistics.departure.update", "logistics.shipment.create", "logistics.book",
	"logistics.booking.cancel", "logistics.plan",
	"market.product.publish", "market.product.update", "market.contract_price.set",
	"market.group_price.set", "market.buyer_group.create", "market.buyer_group.rename", "market.buyer_group.delete", "market.buyer_group.add", "market.buyer_group.remove",
	"booking.resource.create", "booking.resource.update", "booking.hold", "booking.reserve", "booking.drop", "booking.confirm", "booking.pay",
	"booking.confirmed", "booking.expire", "booking.cancel", "booking.release", "booking.refund", "booking.refunded", "booking.wait",
	"deal.key.register", "deal.agreement.create", "deal.agreement.sign", "deal.agreement.signed",
}

// auditDomains are the prefixes the filter offers ("everything in the
// ledger"), in the catalogue as names.domain.<prefix>.
var auditDomains = []string{"org", "user", "session", "api_token", "ledger", "fx", "settlement", "obligations", "guarantee", "customs", "notify", "logistics", "market", "booking", "deal"}

// auditSubjects are the record kinds, in the catalogue as names.subject.<kind>.
var auditSubjects = []string{"org", "user", "api_token", "ledger_account", "ledger_transfers", "saved_counterparty", "fx_rate", "fx_fee",
	"fx_quote", "fx_reference", "settlement_instruction", "settlement_instructions", "settlement_cycle", "invoice", "obligation_run",
	"guarantee", "customs_declaration", "webhook", "departure", "shipment", "dispatch_run", "product", "booking", "booking_resource", "booking_wait",
	"agreement", "deal_key", "buyer_group"}

// actionText is an audit action in the reader's language, or "" when no
// catalogue names it (the page then shows the code).
func (p *Pages) actionText(v *View, action string) string {
	if p.has("names.action." + action) {
		return v.T("names.action." + action)
	}
	if rest, ok := strings.CutPrefix(action, "customs."); ok && p.has("customs.action."+rest) {
		return v.T("customs.action." + rest)
	}
	if rest, ok := strings.CutPrefix(action, "guarantee."); ok && p.has("guarantee.move."+rest) {
		return v.T("guarantee.move." + rest)
	}
	return ""
}

type auditRow struct {
	Seq                        int64
	At                         time.Time
	Who, WhoOrg, Email         string
	System                     bool
	Action, ActionText         string
	Subject, SubjectKind, Link string
	SubjectID, SubjectShort    string
	Change, Detail, OrgID      string
	// ChangeEnglish and DetailEnglish mark text that is the stored
	// English (an entry no form reads back), shown as such.
	ChangeEnglish, DetailEnglish bool
}

type filterOption struct{ Value, Text string }

// AuditLog shows the audit trail as a person reads it: who (name and
// organisation), what (the action in the reader's language), on which
// record (a link where the record has a page), filtered and paged. The
// whole town's to the platform administrator, the own organisation's to an
// org administrator (the service decides).
func (p *Pages) AuditLog(w http.ResponseWriter, r *http.Request) {
	pr := identity.FromContext(r.Context())
	q := r.URL.Query()
	v := p.view(w, r, "audit.title", nil)
	status := http.StatusOK
	f := audit.Filter{Limit: auditPage + 1, ActorUser: q.Get("actor"), Action: q.Get("action"), SubjectType: q.Get("kind"),
		SubjectID: strings.TrimSpace(q.Get("record"))}
	if pr.Has(identity.PlatformAdmin) {
		f.OrgID = q.Get("org")
	}
	f.After, _ = strconv.ParseInt(q.Get("before"), 10, 64)
	form := map[string]string{"actor": f.ActorUser, "action": f.Action, "kind": f.SubjectType, "record": f.SubjectID, "from": q.Get("from"), "to": q.Get("to"), "org": f.OrgID}
	if s := strings.TrimSpace(q.Get("from")); s != "" {
		if t, ok := parseWhen(s); ok {
			f.From = t
		} else {
			fieldFail(v, "from", "names.audit.field.date")
		}
	}
	if s := strings.TrimSpace(q.Get("to")); s != "" {
		if t, ok := parseWhen(s); ok {
			// A date alone means the whole of that day.
			if len(s) == len("2006-01-02") {
				t = t.AddDate(0, 0, 1)
			}
			f.To = t
		} else {
			fieldFail(v, "to", "names.audit.field.date")
		}
	}
	var entries []audit.Entry
	if len(v.Fields) == 0 {
		var err error
		entries, err = p.Identity.AuditLog(r.Context(), pr, f)
		if err != nil {
			if problem.CodeOf(err) != problem.Invalid {
				p.Error(w, r, statusOfErr(err), err)
				return
			}
			status = p.formFail(v, err, "names.audit.field.", map[string]string{"subject_type": "kind", "subject_id": "record", "actor": "actor"})
		}
	} else {
		status = http.StatusBadRequest
	}
	next := int64(0)
	if len(entries) > auditPage {
		entries = entries[:auditPage]
		next = entries[auditPage-1].Seq
	}
	people := p.Identity.People(r.Context(), pr)
	// A declaration is linked only when the reader may open it (the
	// platform administrator reads the log but not traders' declarations).
	canSee := map[string]bool{}
	mayOpenDecl := func(id string) bool {
		ok, seen := canSee[id]
		if !seen {
			_, err := p.Customs.Get(r.Context(), pr, id)
			ok = err == nil
			canSee[id] = ok
		}
		return ok
	}
	rows := make([]auditRow, len(entries))
	for i, e := range entries {
		row := auditRow{Seq: e.Seq, At: e.At, Action: e.Action, ActionText: p.actionText(v, e.Action), SubjectID: e.SubjectID, SubjectShort: shortID(e.SubjectID),
			OrgID: e.OrgID}
		row.Detail, row.DetailEnglish = p.auditDetail(v, people, e)
		row.Change, row.ChangeEnglish = p.auditChange(v, e, !row.DetailEnglish)
		if e.ActorUser == "system" || e.ActorUser == "" {
			row.System = true
		} else {
			row.Who, row.Email = people.User(e.ActorUser)
			row.WhoOrg = people.Org(e.ActorOrg)
		}
		row.SubjectKind = e.SubjectType
		if p.has("names.subject." + e.SubjectType) {
			row.SubjectKind = v.T("names.subject." + e.SubjectType)
		}
		switch e.SubjectType {
		case "ledger_account":
			row.Link = "/accounts/" + e.SubjectID
		case "customs_declaration":
			if p.Customs != nil && v.CanOpen("/customs/"+e.SubjectID) && mayOpenDecl(e.SubjectID) {
				row.Link = "/customs/" + e.SubjectID
			}
		case "obligation_run":
			row.Link = "/obligations/runs/" + e.SubjectID
		case "product":
			row.Link = "/market/products/" + e.SubjectID
		case "org":
			row.Subject = people.Org(e.SubjectID)
		case "user":
			row.Subject, _ = people.User(e.SubjectID)
		}
		rows[i] = row
	}

	// The filter's choices.
	var actions []filterOption
	for _, d := range auditDomains {
		actions = append(actions, filterOption{d + ".", v.T("names.domain." + d)})
	}
	var single []filterOption
	for _, a := range auditActions {
		if t := p.actionText(v, a); t != "" {
			single = append(single, filterOption{a, t})
		}
	}
	p.sortOptions(v, single)
	var kinds []filterOption
	for _, k := range auditSubjects {
		kinds = append(kinds, filterOption{k, v.T("names.subject." + k)})
	}
	p.sortOptions(v, kinds)
	var actors []filterOption
	usersOrg := pr.OrgID
	if f.OrgID != "" {
		usersOrg = f.OrgID
	}
	if us, err := p.Identity.ListUsers(r.Context(), pr, usersOrg, identity.Page{Limit: 500}); err == nil {
		for _, u := range us {
			actors = append(actors, filterOption{u.ID, u.Name + " <" + u.Email + ">"})
		}
		p.sortOptions(v, actors)
	}
	var nextLink template.URL // built with url.Values, so already escaped

	if next > 0 {
		vals := url.Values{}
		for k, x := range form {
			if x != "" {
				vals.Set(k, x)
			}
		}
		vals.Set("before", strconv.FormatInt(next, 10))
		nextLink = template.URL("/audit?" + vals.Encode())
	}
	filtered := false
	for _, x := range form {
		filtered = filtered || x != ""
	}
	v.Data = map[string]any{"Rows": rows, "Next": nextLink, "Paged": f.After > 0, "Org": f.OrgID, "OrgName": people.Org(f.OrgID),
		"Form": form, "Domains": actions, "Actions": single, "Kinds": kinds, "Actors": actors, "Filtered": filtered}
	p.render(w, r, status, "audit", v)
}

// sortOptions orders a filter's choices by their text in the reader's
// language.
func (p *Pages) sortOptions(v *View, opts []filterOption) {
	sortByName(v.Lang, opts, func(o filterOption) string { return o.Text })
}
