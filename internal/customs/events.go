package customs

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"bricstown/internal/money"
)

// EventKind says what a history event records. With its EventParams it is
// what pages and clients render in the reader's language; Event.Detail is
// the same in English, kept for the audit trail and for API clients that
// only want a line of text. Kinds are stable API values.
type EventKind string

// Event kinds.
const (
	EvCreated        EventKind = "created"         // Procedure, Items, BorderPost
	EvAttached       EventKind = "attached"        // DocumentKind, Filename, Size, SHA256
	EvAmended        EventKind = "amended"         // Fields (the changed paths)
	EvLodged         EventKind = "lodged"          // -
	EvPreLodged      EventKind = "prelodged"       // ExpectedAt
	EvPresented      EventKind = "presented"       // BorderPost
	EvAssessed       EventKind = "assessed"        // DutyKZT, VATKZT, FeeKZT, TotalKZT
	EvLaneAssigned   EventKind = "lane_assigned"   // Lane
	EvAutoReleased   EventKind = "auto_released"   // Lane, PostAudit
	EvPaid           EventKind = "paid"            // AmountKZT, Reference, Late
	EvGuaranteeDrawn EventKind = "guarantee_drawn" // AmountKZT, Guarantee, Transfer, Late
	EvLaneChanged    EventKind = "lane_changed"    // FromLane, Lane
	EvReleased       EventKind = "released"        // Note
	EvRefused        EventKind = "refused"         // Note
	EvCancelled      EventKind = "cancelled"       // Note, Refund
	EvInspected      EventKind = "inspected"       // Result, Lab, Samples, Held, HoldStays
	EvSPSHeld        EventKind = "sps_held"        // Note
	EvSPSReleased    EventKind = "sps_released"    // SPSStatus, Note
	EvRefunded       EventKind = "refunded"        // AmountKZT, Reference (the first refund transfer), Guarantee (when a draw went back to its bank)
	EvBorderExited   EventKind = "border_exited"   // BorderPost: a carrier took the released goods across it
	// EvText is an event whose stored English text could not be read back
	// into a kind (a line written before kinds existed that matches no known
	// form); Note holds the text as stored.
	EvText EventKind = "text"
)

// EventParams are an event's typed parameters; which are set depends on
// the kind (see the constants). Amounts are KZT minor units. Note is text a
// person typed (a reason, a release note) and is shown as typed.
type EventParams struct {
	Procedure    Procedure        `json:"procedure,omitempty"`
	Items        int              `json:"items,omitempty"`
	BorderPost   string           `json:"border_post,omitempty"`
	DocumentKind DocumentKind     `json:"document_kind,omitempty"`
	Filename     string           `json:"filename,omitempty"`
	Size         int64            `json:"size,omitempty"`
	SHA256       string           `json:"sha256,omitempty"`
	Fields       []string         `json:"fields,omitempty"`
	ExpectedAt   time.Time        `json:"expected_at,omitzero"`
	DutyKZT      int64            `json:"duty_kzt,omitempty"`
	VATKZT       int64            `json:"vat_kzt,omitempty"`
	FeeKZT       int64            `json:"fee_kzt,omitempty"`
	TotalKZT     int64            `json:"total_kzt,omitempty"`
	AmountKZT    int64            `json:"amount_kzt,omitempty"`
	Reference    string           `json:"reference,omitempty"`
	Guarantee    string           `json:"guarantee,omitempty"`
	Transfer     string           `json:"transfer,omitempty"`
	Late         bool             `json:"late,omitempty"`
	FromLane     Lane             `json:"from_lane,omitempty"`
	Lane         Lane             `json:"lane,omitempty"`
	PostAudit    bool             `json:"post_audit,omitempty"`
	Refund       bool             `json:"refund,omitempty"`
	Result       InspectionResult `json:"result,omitempty"`
	Samples      bool             `json:"samples,omitempty"`
	Lab          LabOutcome       `json:"lab,omitempty"`
	Held         bool             `json:"held,omitempty"`
	HoldStays    bool             `json:"hold_stays,omitempty"`
	SPSStatus    SPSStatus        `json:"sps_status,omitempty"`
	Note         string           `json:"note,omitempty"`
}

// EnglishEvent is the English line of an event, as Event.Detail and the
// audit trail carry it (the same wording the history used before events
// had kinds, so audit entries read alike across the change).
func EnglishEvent(k EventKind, p EventParams) string {
	amt := func(v int64) string { return money.FormatAmount(v, 2) }
	switch k {
	case EvCreated:
		return fmt.Sprintf("%s, %d goods item(s), %s", p.Procedure, p.Items, p.BorderPost)
	case EvAttached:
		return fmt.Sprintf("%s %s (%d bytes, sha256 %s)", p.DocumentKind, p.Filename, p.Size, p.SHA256)
	case EvAmended:
		return p.Note
	case EvLodged:
		return "lodged"
	case EvPreLodged:
		return "pre-lodged, goods expected " + p.ExpectedAt.UTC().Format(time.RFC3339)
	case EvPresented:
		return "goods presented at " + p.BorderPost
	case EvBorderExited:
		return "goods crossed the border at " + p.BorderPost
	case EvAssessed:
		return fmt.Sprintf("duty %s, VAT %s, fee %s, total %s KZT", amt(p.DutyKZT), amt(p.VATKZT), amt(p.FeeKZT), amt(p.TotalKZT))
	case EvLaneAssigned:
		return "lane " + string(p.Lane)
	case EvAutoReleased:
		s := "released automatically, lane " + string(p.Lane)
		if p.PostAudit {
			s += "; post-clearance audit to follow"
		}
		return s
	case EvPaid, EvGuaranteeDrawn:
		s := fmt.Sprintf("%s KZT paid, reference %s", amt(p.AmountKZT), p.Reference)
		if k == EvGuaranteeDrawn {
			s = fmt.Sprintf("%s KZT drawn from guarantee %s, transfer %s", amt(p.AmountKZT), p.Guarantee, p.Transfer)
		}
		if p.Late {
			s += lateSuffix
		}
		return s
	case EvLaneChanged:
		return fmt.Sprintf("lane %s → %s", p.FromLane, p.Lane)
	case EvCancelled:
		if p.Refund {
			return strings.TrimSpace(p.Note + refundSuffix)
		}
		return p.Note
	case EvInspected:
		s := "inspection " + string(p.Result)
		if p.Samples {
			s += ", laboratory " + string(p.Lab)
		}
		switch {
		case p.Held:
			s += "; goods held"
		case p.HoldStays:
			s += "; the hold stays until released"
		}
		return s
	case EvSPSReleased:
		return strings.TrimSpace("hold lifted (" + string(p.SPSStatus) + ") " + p.Note)
	case EvRefunded:
		return fmt.Sprintf("%s KZT refunded, transfer %s", amt(p.AmountKZT), p.Reference)
	}
	return p.Note // released, refused, sps_held, text
}

const (
	lateSuffix   = "; the duties were already settled or the declaration had ended, refund due"
	refundSuffix = "; duties paid, refund due"
)

var (
	reCreated   = regexp.MustCompile(`^(export|import|transit), (\d+) goods item\(s\), (.*)$`)
	reAttached  = regexp.MustCompile(`^([a-z_]+) (.*) \((\d+) bytes, sha256 ([0-9a-f]*)\)$`)
	reAssessed  = regexp.MustCompile(`^duty ([-0-9.,]+), VAT ([-0-9.,]+), fee ([-0-9.,]+), total ([-0-9.,]+) KZT$`)
	rePaid      = regexp.MustCompile(`^([-0-9.,]+) KZT paid, reference (.*?)(` + regexp.QuoteMeta(lateSuffix) + `)?$`)
	reDrawn     = regexp.MustCompile(`^([-0-9.,]+) KZT drawn from guarantee (.*), transfer (.*?)(` + regexp.QuoteMeta(lateSuffix) + `)?$`)
	reLaneMove  = regexp.MustCompile(`^lane ([a-z]*) → ([a-z]+)$`)
	reAuto      = regexp.MustCompile(`^released automatically, lane ([a-z]+)(; post-clearance audit to follow)?$`)
	reInspected = regexp.MustCompile(`^inspection (pass|fail)(, laboratory ([a-z]*))?(; goods held|; the hold stays until released)?$`)
	reSPSLift   = regexp.MustCompile(`^hold lifted \(([a-z_]+)\) ?(.*)$`)
	reRefunded  = regexp.MustCompile(`^([-0-9.,]+) KZT refunded, transfer (\S+)$`)
)

// Structured returns the event's kind and parameters. Events written since
// kinds exist carry them; an older event's stored English line is read back
// into them (the forms above are the only ones the service ever wrote), so
// a database kept across the change still renders in every language. A line
// that matches no form becomes EvText with the line as its note.
func (e Event) Structured() (EventKind, EventParams) {
	if e.Kind != "" {
		if e.Params == nil {
			return e.Kind, EventParams{}
		}
		return e.Kind, *e.Params
	}
	d := e.Detail
	minor := func(s string) int64 {
		v, err := money.ParseSignedAmount(strings.ReplaceAll(s, ",", ""), 2)
		if err != nil {
			return 0
		}
		return v
	}
	var p EventParams
	switch e.Action {
	case ActCreate:
		if m := reCreated.FindStringSubmatch(d); m != nil {
			n, _ := strconv.Atoi(m[2])
			return EvCreated, EventParams{Procedure: Procedure(m[1]), Items: n, BorderPost: m[3]}
		}
	case ActAttach:
		if m := reAttached.FindStringSubmatch(d); m != nil {
			n, _ := strconv.ParseInt(m[3], 10, 64)
			return EvAttached, EventParams{DocumentKind: DocumentKind(m[1]), Filename: m[2], Size: n, SHA256: m[4]}
		}
	case ActAmend:
		return EvAmended, EventParams{Note: d}
	case ActSubmit:
		if d == "lodged" {
			return EvLodged, p
		}
		if at, ok := strings.CutPrefix(d, "pre-lodged, goods expected "); ok {
			if t, err := time.Parse(time.RFC3339, at); err == nil {
				return EvPreLodged, EventParams{ExpectedAt: t}
			}
		}
	case ActPresent:
		if bp, ok := strings.CutPrefix(d, "goods presented at "); ok {
			return EvPresented, EventParams{BorderPost: bp}
		}
	case ActAssess:
		if m := reAssessed.FindStringSubmatch(d); m != nil {
			return EvAssessed, EventParams{DutyKZT: minor(m[1]), VATKZT: minor(m[2]), FeeKZT: minor(m[3]), TotalKZT: minor(m[4])}
		}
	case ActAssignLane:
		if l, ok := strings.CutPrefix(d, "lane "); ok && !strings.Contains(l, " ") {
			return EvLaneAssigned, EventParams{Lane: Lane(l)}
		}
	case ActAutoRelease:
		if m := reAuto.FindStringSubmatch(d); m != nil {
			return EvAutoReleased, EventParams{Lane: Lane(m[1]), PostAudit: m[2] != ""}
		}
	case ActPay, ActGuarantee, ActPaymentLate:
		if m := rePaid.FindStringSubmatch(d); m != nil {
			return EvPaid, EventParams{AmountKZT: minor(m[1]), Reference: m[2], Late: m[3] != ""}
		}
		if m := reDrawn.FindStringSubmatch(d); m != nil {
			return EvGuaranteeDrawn, EventParams{AmountKZT: minor(m[1]), Guarantee: m[2], Transfer: m[3], Late: m[4] != ""}
		}
	case ActDecide:
		if m := reLaneMove.FindStringSubmatch(d); m != nil {
			return EvLaneChanged, EventParams{FromLane: Lane(m[1]), Lane: Lane(m[2])}
		}
	case ActRelease:
		return EvReleased, EventParams{Note: d}
	case ActRefuse, ActSPSRefuse:
		return EvRefused, EventParams{Note: d}
	case ActCancel:
		note, refund := strings.CutSuffix(d, refundSuffix)
		return EvCancelled, EventParams{Note: note, Refund: refund}
	case ActSPSInspect:
		if m := reInspected.FindStringSubmatch(d); m != nil {
			return EvInspected, EventParams{Result: InspectionResult(m[1]), Samples: m[2] != "", Lab: LabOutcome(m[3]),
				Held: m[4] == "; goods held", HoldStays: m[4] == "; the hold stays until released"}
		}
	case ActBorderExit:
		if bp, ok := strings.CutPrefix(d, "goods crossed the border at "); ok {
			return EvBorderExited, EventParams{BorderPost: bp}
		}
	case ActRefund:
		if m := reRefunded.FindStringSubmatch(d); m != nil {
			return EvRefunded, EventParams{AmountKZT: minor(m[1]), Reference: m[2]}
		}
	case ActSPSHold:
		return EvSPSHeld, EventParams{Note: d}
	case ActSPSRelease:
		if m := reSPSLift.FindStringSubmatch(d); m != nil {
			return EvSPSReleased, EventParams{SPSStatus: SPSStatus(m[1]), Note: m[2]}
		}
	}
	return EvText, EventParams{Note: d}
}
