package ui

import (
	"strings"

	"bricstown/internal/customs"
)

// eventText says what a history event records in the viewer's language,
// from its kind and typed parameters (customs.Event.Structured, which also
// reads events stored before kinds existed). Words a person typed (a
// reason, a note) are shown as typed; a stored line that matches no known
// form is shown as stored.
func (p *Pages) eventText(v *View, e customs.Event) string {
	k, x := e.Structured()
	lane := func(l customs.Lane) string {
		if l == "" {
			return v.T("customs.lane.none")
		}
		return v.T("customs.lane." + string(l))
	}
	join := func(parts ...string) string {
		var out []string
		for _, s := range parts {
			if s = strings.TrimSpace(s); s != "" {
				out = append(out, s)
			}
		}
		return strings.Join(out, "; ")
	}
	late := ""
	if x.Late {
		late = v.T("ev.late")
	}
	switch k {
	case customs.EvCreated:
		return v.TN("ev.created", x.Items, v.T("customs.procedure."+string(x.Procedure)), p.borderPostText(x.BorderPost))
	case customs.EvAttached:
		return v.T("ev.attached", v.T("customs.doc."+string(x.DocumentKind)), x.Filename, sizeText(v, x.Size))
	case customs.EvAmended:
		if len(x.Fields) == 0 {
			return x.Note // stored before kinds: the English field summary
		}
		return v.TN("ev.amended", len(x.Fields), strings.Join(x.Fields, ", "))
	case customs.EvLodged:
		return v.T("ev.lodged")
	case customs.EvPreLodged:
		return v.T("ev.prelodged", when(x.ExpectedAt))
	case customs.EvPresented:
		return v.T("ev.presented", p.borderPostText(x.BorderPost))
	case customs.EvBorderExited:
		return v.T("ev.border_exited", p.borderPostText(x.BorderPost))
	case customs.EvAssessed:
		return v.T("ev.assessed", kzt(v.Lang, x.DutyKZT), kzt(v.Lang, x.VATKZT), kzt(v.Lang, x.FeeKZT), kzt(v.Lang, x.TotalKZT))
	case customs.EvLaneAssigned:
		return v.T("ev.lane_assigned", lane(x.Lane))
	case customs.EvAutoReleased:
		if x.PostAudit {
			return join(v.T("ev.auto_released", lane(x.Lane)), v.T("ev.post_audit"))
		}
		return v.T("ev.auto_released", lane(x.Lane))
	case customs.EvPaid:
		return join(v.T("ev.paid", kzt(v.Lang, x.AmountKZT), x.Reference), late)
	case customs.EvGuaranteeDrawn:
		return join(v.T("ev.guarantee_drawn", kzt(v.Lang, x.AmountKZT), x.Guarantee), late)
	case customs.EvLaneChanged:
		return v.T("ev.lane_changed", lane(x.FromLane), lane(x.Lane))
	case customs.EvCancelled:
		if x.Refund {
			return join(x.Note, v.T("ev.refund_due"))
		}
		return x.Note
	case customs.EvInspected:
		s := v.T("ev.inspected", v.T("customs.result."+string(x.Result)))
		lab, held := "", ""
		if x.Samples {
			lab = v.T("ev.laboratory", v.T(labKey(x.Lab)))
		}
		switch {
		case x.Held:
			held = v.T("ev.held")
		case x.HoldStays:
			held = v.T("ev.hold_stays")
		}
		return join(s, lab, held)
	case customs.EvSPSReleased:
		return join(v.T("ev.sps_released", v.T("customs.sps."+string(x.SPSStatus))), x.Note)
	case customs.EvRefunded:
		return v.T("ev.refunded", kzt(v.Lang, x.AmountKZT), x.Reference)
	}
	return x.Note // released, refused, quarantine hold: the person's words
}

// findingText says a risk finding in the viewer's language from its rule
// and figures. The demo's targeting profiles have catalogue names
// (risk.rule.ID); a profile an analyst added without one shows its own
// description, and a finding recorded before findings had figures shows the
// English description it was stored with.
func (p *Pages) findingText(v *View, r customs.RiskReason) string {
	x := r.Params
	if x == nil {
		return r.Description
	}
	switch r.RuleID {
	case customs.RuleUndervalueRed, customs.RuleUndervalueYellow:
		return v.T("risk."+r.RuleID, x.Item, kzt(v.Lang, x.PerKgKZT), x.RatioPct, kzt(v.Lang, x.RefPerKgKZT), x.RefPrefix)
	case customs.RuleHistory:
		return v.TN("risk.R-HIST", x.Refusals)
	case customs.RuleOriginMismatch:
		return v.T("risk.R-ORIGIN-EAEU", x.Item, p.countryName(x.Origin, v.Lang), p.countryName(x.Exporter, v.Lang))
	case customs.RuleOfficer:
		return v.T("risk.R-OFFICER", x.Note)
	case customs.RuleAEO:
		if x.Deferred {
			return v.T("risk.R-AEO-deferred")
		}
		return v.T("risk.R-AEO")
	case customs.RuleMissingInvoice, customs.RuleRandomRed, customs.RuleRandomYellow, customs.RuleRandomBlue:
		return v.T("risk." + r.RuleID)
	}
	name := r.Description
	if key := "risk.rule." + r.RuleID; p.has(key) {
		name = v.T(key)
	} else if i := strings.LastIndex(name, " ("); i > 0 {
		name = name[:i] // the engine's "(goods item N)", said below in lang
	}
	if x.Item > 0 {
		return v.T("risk.item", name, x.Item)
	}
	return name
}

// spsRuleName is a quarantine rule's name in the viewer's language: the
// demo rules have catalogue names (sps.rule.PREFIX); another rule shows
// the description it was configured with.
func (p *Pages) spsRuleName(v *View, prefix, desc string) string {
	if key := "sps.rule." + prefix; p.has(key) {
		return v.T(key)
	}
	return desc
}
