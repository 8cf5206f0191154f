package customs

import "slices"

// Action is something that happens to a declaration. Every action belongs
// to one authority and is allowed from a fixed set of statuses; the tables
// below are the whole state machine, so it can be read and tested in one
// place.
type Action string

// Actions. The last four of the system's own are recorded in the history
// but never requested: they follow from the others.
const (
	ActCreate      Action = "create"
	ActAmend       Action = "amend"
	ActAttach      Action = "attach_document"
	ActSubmit      Action = "submit"
	ActCancel      Action = "cancel"
	ActPay         Action = "pay"
	ActGuarantee   Action = "guarantee"
	ActPresent     Action = "present_goods"
	ActDecide      Action = "decide_checks"
	ActRelease     Action = "release"
	ActRefuse      Action = "refuse"
	ActSPSInspect  Action = "sps_inspect"
	ActSPSHold     Action = "sps_hold"
	ActSPSRelease  Action = "sps_release_hold"
	ActSPSRefuse   Action = "sps_refuse"
	ActAssess      Action = "assess"       // system: duties computed
	ActAssignLane  Action = "assign_lane"  // system: risk engine's lane
	ActAutoRelease Action = "auto_release" // system: green or blue lane, paid, SPS clear
	ActPaymentLate Action = "payment_late" // system: a payment arrived after the declaration ended
	// ActRefund pays back duties the declaration no longer owes: by the
	// platform right after the change that made them due, or by a customs
	// officer completing a refund left unpaid. Its status does not change.
	ActRefund Action = "refund"
)

// Actions lists the requested actions, for tests and documentation.
var Actions = []Action{ActCreate, ActAmend, ActAttach, ActSubmit, ActCancel, ActPay, ActGuarantee, ActPresent,
	ActDecide, ActRelease, ActRefuse, ActSPSInspect, ActSPSHold, ActSPSRelease, ActSPSRefuse}

// underControl are the statuses after assessment and before a decision.
var underControl = []Status{StatusAssessed, StatusDocumentaryCheck, StatusPhysicalInspection}

var (
	beforeAssessment = []Status{StatusDraft, StatusSubmitted}
	open             = []Status{StatusDraft, StatusSubmitted, StatusAssessed, StatusDocumentaryCheck, StatusPhysicalInspection}
	lodged           = []Status{StatusSubmitted, StatusAssessed, StatusDocumentaryCheck, StatusPhysicalInspection}
)

// transitions says from which statuses each action is allowed. ActCreate
// has no "from": it makes the declaration.
var transitions = map[Action][]Status{
	ActAmend:      beforeAssessment,
	ActAttach:     open,
	ActSubmit:     {StatusDraft},
	ActCancel:     open,
	ActPay:        underControl,
	ActGuarantee:  underControl,
	ActPresent:    {StatusSubmitted},
	ActDecide:     underControl,
	ActRelease:    underControl,
	ActRefuse:     lodged,
	ActSPSInspect: underControl,
	ActSPSHold:    lodged,
	ActSPSRelease: lodged,
	ActSPSRefuse:  lodged,
}

// authorities says who may request each action: the trader or broker of the
// declarant org, a customs officer, or a quarantine officer.
var authorities = map[Action]Authority{
	ActCreate:     ByDeclarant,
	ActAmend:      ByDeclarant,
	ActAttach:     ByDeclarant,
	ActSubmit:     ByDeclarant,
	ActCancel:     ByDeclarant,
	ActPay:        ByDeclarant,
	ActGuarantee:  ByDeclarant,
	ActPresent:    ByCustoms,
	ActDecide:     ByCustoms,
	ActRelease:    ByCustoms,
	ActRefuse:     ByCustoms,
	ActSPSInspect: ByQuarantine,
	ActSPSHold:    ByQuarantine,
	ActSPSRelease: ByQuarantine,
	ActSPSRefuse:  ByQuarantine,
}

// AllowedFrom reports whether action a may be taken on a declaration in
// status s (who takes it is checked separately, by AuthorityFor).
func AllowedFrom(a Action, s Status) bool { return slices.Contains(transitions[a], s) }

// AuthorityFor names who may request action a; "" for the system's own.
func AuthorityFor(a Action) Authority { return authorities[a] }
