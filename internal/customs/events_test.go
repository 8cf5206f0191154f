package customs

import (
	"reflect"
	"testing"
	"time"
)

// An event stored before kinds existed (only its English line) reads back
// into the kind and parameters it would carry today, for every form the
// service wrote, so an old database renders in every language.
func TestLegacyEventsReadBack(t *testing.T) {
	at := time.Date(2026, 3, 1, 9, 30, 0, 0, time.UTC)
	cases := []struct {
		a Action
		k EventKind
		p EventParams
	}{
		{ActCreate, EvCreated, EventParams{Procedure: Export, Items: 1, BorderPost: "KZHOR"}},
		{ActCreate, EvCreated, EventParams{Procedure: Import, Items: 12, BorderPost: "KZ DOS"}},
		{ActAttach, EvAttached, EventParams{DocumentKind: DocCommercialInvoice, Filename: "inv (2).pdf", Size: 2048, SHA256: "ab12"}},
		{ActSubmit, EvLodged, EventParams{}},
		{ActSubmit, EvPreLodged, EventParams{ExpectedAt: at}},
		{ActPresent, EvPresented, EventParams{BorderPost: "KZHOR"}},
		{ActAssess, EvAssessed, EventParams{DutyKZT: 0, VATKZT: 1_250_000_00, FeeKZT: 2_000_00, TotalKZT: 1_252_000_00}},
		{ActAssignLane, EvLaneAssigned, EventParams{Lane: LaneGreen}},
		{ActAutoRelease, EvAutoReleased, EventParams{Lane: LaneGreen}},
		{ActAutoRelease, EvAutoReleased, EventParams{Lane: LaneBlue, PostAudit: true}},
		{ActPay, EvPaid, EventParams{AmountKZT: 12_345_67, Reference: "PAY-1"}},
		{ActPaymentLate, EvPaid, EventParams{AmountKZT: 5, Reference: "PAY 2", Late: true}},
		{ActGuarantee, EvGuaranteeDrawn, EventParams{AmountKZT: 100_00, Guarantee: "G-7", Transfer: "0190-aa"}},
		{ActPaymentLate, EvGuaranteeDrawn, EventParams{AmountKZT: 100_00, Guarantee: "G-7", Transfer: "0190-aa", Late: true}},
		{ActDecide, EvLaneChanged, EventParams{FromLane: LaneGreen, Lane: LaneRed}},
		{ActRelease, EvReleased, EventParams{Note: "checked, all fine"}},
		{ActRefuse, EvRefused, EventParams{Note: "undeclared goods"}},
		{ActCancel, EvCancelled, EventParams{Note: "sold elsewhere"}},
		{ActCancel, EvCancelled, EventParams{Note: "sold elsewhere", Refund: true}},
		{ActSPSInspect, EvInspected, EventParams{Result: InspectionPass}},
		{ActSPSInspect, EvInspected, EventParams{Result: InspectionPass, Samples: true, Lab: LabPending}},
		{ActSPSInspect, EvInspected, EventParams{Result: InspectionFail, Held: true}},
		{ActSPSInspect, EvInspected, EventParams{Result: InspectionPass, HoldStays: true}},
		{ActSPSHold, EvSPSHeld, EventParams{Note: "pests found"}},
		{ActSPSRelease, EvSPSReleased, EventParams{SPSStatus: SPSCleared, Note: "treated"}},
		{ActSPSRelease, EvSPSReleased, EventParams{SPSStatus: SPSAwaitingLab}},
		{ActRefund, EvRefunded, EventParams{AmountKZT: 4_520_725_76, Reference: "31832fe9-cc3a-5b97-85ed-38e6512a0914"}},
		{ActBorderExit, EvBorderExited, EventParams{BorderPost: "KZHOR"}},
	}
	for _, c := range cases {
		legacy := Event{Action: c.a, Detail: EnglishEvent(c.k, c.p)}
		k, p := legacy.Structured()
		if k != c.k || !reflect.DeepEqual(p, c.p) {
			t.Errorf("%s %q read back as %s %+v, want %s %+v", c.a, legacy.Detail, k, p, c.k, c.p)
		}
		// An event with a kind is taken as it is.
		now := Event{Action: c.a, Kind: c.k, Params: &c.p, Detail: "ignored"}
		if k, p := now.Structured(); k != c.k || !reflect.DeepEqual(p, c.p) {
			t.Errorf("%s: stored kind read as %s %+v", c.k, k, p)
		}
	}
	if k, p := (Event{Action: ActAssess, Detail: "something else"}).Structured(); k != EvText || p.Note != "something else" {
		t.Errorf("unknown line: %s %+v", k, p)
	}
}

// The English line keeps the wording the history had before kinds, which
// the audit trail and API clients reading "detail" rely on.
func TestEnglishEventWording(t *testing.T) {
	for _, c := range []struct {
		k    EventKind
		p    EventParams
		want string
	}{
		{EvCreated, EventParams{Procedure: Export, Items: 1, BorderPost: "KZHOR"}, "export, 1 goods item(s), KZHOR"},
		{EvLaneAssigned, EventParams{Lane: LaneGreen}, "lane green"},
		{EvAssessed, EventParams{VATKZT: 120_00, TotalKZT: 120_00}, "duty 0.00, VAT 120.00, fee 0.00, total 120.00 KZT"},
		{EvCancelled, EventParams{Note: "x", Refund: true}, "x; duties paid, refund due"},
	} {
		if got := EnglishEvent(c.k, c.p); got != c.want {
			t.Errorf("%s: %q, want %q", c.k, got, c.want)
		}
	}
}
