package customs

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"bricstown/internal/audit"
	"bricstown/internal/problem"
)

func attach(t *testing.T, s *Service, org, id string, kinds ...DocumentKind) {
	t.Helper()
	for _, k := range kinds {
		if _, err := s.AttachDocument(context.Background(), trader(org), id, NewDocument{Kind: k, Filename: string(k) + ".pdf",
			MediaType: "application/pdf", Content: pdf}); err != nil {
			t.Fatal(err)
		}
	}
}

func actions(evs []Event) []Action {
	out := []Action{}
	for _, e := range evs {
		out = append(out, e.Action)
	}
	return out
}

func TestGreenLaneReleasedOnPayment(t *testing.T) {
	s, st, clk, pay := newService(t, quietRules(t))
	ctx := context.Background()
	p := trader("acme")
	d, err := s.Create(ctx, p, smartphones())
	if err != nil {
		t.Fatal(err)
	}
	if d.Status != StatusDraft || d.Version != 1 || d.DeclarantOrg != "acme" || d.Declarant.OrgID != "acme" ||
		d.Items[0].ClassificationID != "8517130000" || d.Items[0].SequenceNumeric != 1 {
		t.Fatalf("created %+v", d)
	}
	attach(t, s, "acme", d.ID, DocCommercialInvoice)
	clk.now = clk.now.Add(time.Hour)
	d, err = s.Submit(ctx, p, d.ID)
	if err != nil {
		t.Fatal(err)
	}
	if d.Status != StatusAssessed || d.Lane != LaneGreen || d.Assessment.TotalKZT != 9_020_000_00 || d.SPS.Status != SPSNotRequired {
		t.Fatalf("submitted %s %s %+v", d.Status, d.Lane, d.Assessment)
	}
	if d.RiskReasons != nil {
		t.Fatal("the trader sees the risk engine's reasons")
	}
	if od, _ := s.Get(ctx, officer, d.ID); len(od.RiskReasons) != 1 || od.RiskReasons[0].RuleID != "R-TGT-8517" {
		t.Fatalf("officer sees reasons %+v", od.RiskReasons)
	}
	// Release waits for the money.
	_, err = s.Release(ctx, officer, d.ID, "")
	mustCode(t, err, problem.Conflict)
	if fieldsOf(err)["payment"] == "" {
		t.Fatalf("release before payment: %v", err)
	}
	clk.now = clk.now.Add(10 * time.Minute)
	d, err = s.Pay(ctx, p, d.ID, "acct-acme-kzt")
	if err != nil {
		t.Fatal(err)
	}
	if d.Status != StatusReleased || d.Payment == nil || d.Payment.AmountKZT != 9_020_000_00 || pay.paid[d.ID] != 9_020_000_00 {
		t.Fatalf("paid: %s %+v", d.Status, d.Payment)
	}
	if !d.ReleasedAt.Equal(clk.now) {
		t.Fatalf("released at %v", d.ReleasedAt)
	}
	h, err := s.History(ctx, p, d.ID)
	if err != nil {
		t.Fatal(err)
	}
	want := []Action{ActCreate, ActAttach, ActSubmit, ActAssess, ActAssignLane, ActPay, ActAutoRelease}
	if got := actions(h.Events); !slices.Equal(got, want) {
		t.Fatalf("history %v, want %v", got, want)
	}
	for i, e := range h.Events {
		if e.Seq != int64(i+1) {
			t.Fatalf("event %d has seq %d", i, e.Seq)
		}
	}
	if h.Events[6].ActorUser != "system" || h.Events[5].ActorUser != "u-acme" {
		t.Fatalf("actors %+v", h.Events)
	}
	// Every committed change is audited once, under the declarant org,
	// with the steps it took: create, attach, submit (assess, lane) and
	// pay (automatic release).
	last := st.audit[len(st.audit)-1]
	if len(st.audit) != 4 || last.Action != "customs.pay" || last.After != "released@v4" || !strings.Contains(last.Detail, "auto_release") || last.OrgID != "acme" {
		t.Fatalf("audit %+v", st.audit)
	}
	for _, rec := range st.audit {
		if strings.Contains(rec.Detail, "R-TGT") || strings.Contains(rec.Detail, "Smartphones: undervaluation") {
			t.Fatalf("audit detail leaks selectivity: %q", rec.Detail)
		}
	}
	// Paying twice is refused.
	_, err = s.Pay(ctx, p, d.ID, "acct-acme-kzt")
	mustCode(t, err, problem.Conflict)
}

func TestVisibility(t *testing.T) {
	s, _, _, _ := newService(t, quietRules(t))
	ctx := context.Background()
	phones, err := s.Create(ctx, trader("acme"), smartphones())
	if err != nil {
		t.Fatal(err)
	}
	meat := reach(t, s, "acme", StatusAssessed)

	// Another org never sees it, nor do the authorities see a draft.
	for _, tc := range []struct {
		name string
		call func() error
	}{
		{"other org get", func() error { _, err := s.Get(ctx, trader("rival"), phones.ID); return err }},
		{"other org amend", func() error { _, err := s.Amend(ctx, trader("rival"), phones.ID, 0, smartphones(), ""); return err }},
		{"other org submit", func() error { _, err := s.Submit(ctx, trader("rival"), phones.ID); return err }},
		{"other org cancel", func() error { _, err := s.Cancel(ctx, trader("rival"), meat, ""); return err }},
		{"other org docs", func() error { _, _, err := s.Document(ctx, trader("rival"), meat, "x"); return err }},
		{"customs, draft", func() error { _, err := s.Get(ctx, officer, phones.ID); return err }},
		{"quarantine, no SPS", func() error {
			_, err := s.Submit(ctx, trader("acme"), phones.ID) // no invoice: yellow lane
			if err != nil {
				return err
			}
			_, err = s.Get(ctx, inspector, phones.ID)
			return err
		}},
		{"platform admin", func() error { _, err := s.Get(ctx, admin, meat); return err }},
		{"unknown id", func() error { _, err := s.Get(ctx, officer, "0190a0b0-0000-7000-8000-000000000000"); return err }},
		{"malformed id", func() error { _, err := s.Get(ctx, officer, "../etc"); return err }},
	} {
		if err := tc.call(); !problem.Is(err, problem.NotFound) {
			t.Errorf("%s: %v", tc.name, err)
		}
	}
	_, err = s.Get(ctx, nil, meat)
	mustCode(t, err, problem.Unauthenticated)

	if _, err := s.Get(ctx, officer, phones.ID); err != nil {
		t.Fatalf("customs after submission: %v", err)
	}
	if _, err := s.Get(ctx, inspector, meat); err != nil {
		t.Fatalf("quarantine on SPS goods: %v", err)
	}

	// Lists apply the same rule.
	mine, _ := s.List(ctx, trader("acme"), Query{DeclarantOrg: "rival"})
	theirs, _ := s.List(ctx, trader("rival"), Query{})
	sps, _ := s.List(ctx, inspector, Query{})
	all, _ := s.List(ctx, officer, Query{})
	if len(mine) != 2 || len(theirs) != 0 || len(sps) != 1 || sps[0].ID != meat || len(all) != 2 {
		t.Fatalf("lists: mine %d theirs %d sps %d all %d", len(mine), len(theirs), len(sps), len(all))
	}
	_, err = s.List(ctx, admin, Query{})
	mustCode(t, err, problem.Forbidden)

	// Queues.
	q, err := s.QuarantineQueue(ctx, inspector, "", 0)
	if err != nil || len(q) != 1 || q[0].SPSStatus != SPSAwaitingInspection {
		t.Fatalf("quarantine queue %+v %v", q, err)
	}
	green, err := s.CustomsQueue(ctx, officer, LaneGreen, "", 0)
	if err != nil || len(green) != 1 || green[0].ID != meat {
		t.Fatalf("green queue %+v %v", green, err)
	}
	yellow, _ := s.CustomsQueue(ctx, officer, LaneYellow, "", 0)
	red, _ := s.CustomsQueue(ctx, officer, LaneRed, "", 0)
	if len(yellow) != 1 || yellow[0].ID != phones.ID || yellow[0].Status != StatusDocumentaryCheck || len(red) != 0 {
		t.Fatalf("yellow queue %+v, red queue %+v", yellow, red)
	}
	_, err = s.CustomsQueue(ctx, trader("acme"), LaneRed, "", 0)
	mustCode(t, err, problem.Forbidden)
}

func TestQuarantineBlocksRelease(t *testing.T) {
	s, _, _, _ := newService(t, quietRules(t))
	ctx := context.Background()
	p := trader("acme")
	d, err := s.Create(ctx, p, beef())
	if err != nil {
		t.Fatal(err)
	}
	attach(t, s, "acme", d.ID, DocCommercialInvoice)
	// Meat needs a veterinary certificate before it can be lodged.
	_, err = s.Submit(ctx, p, d.ID)
	mustCode(t, err, problem.Invalid)
	if msg := fieldsOf(err)["documents"]; !strings.Contains(msg, "veterinary certificate for goods item 1") {
		t.Fatalf("missing certificate: %v", err)
	}
	attach(t, s, "acme", d.ID, DocVeterinary)
	if d, err = s.Submit(ctx, p, d.ID); err != nil {
		t.Fatal(err)
	}
	if !d.SPS.Required || !d.SPS.InspectionRequired || d.SPS.Status != SPSAwaitingInspection || d.Lane != LaneGreen {
		t.Fatalf("SPS %+v lane %s", d.SPS, d.Lane)
	}
	// Paid but awaiting inspection: no release, not even automatic.
	if d, err = s.Pay(ctx, p, d.ID, "acct"); err != nil || d.Status != StatusAssessed {
		t.Fatalf("pay: %s %v", d.Status, err)
	}
	_, err = s.Release(ctx, officer, d.ID, "")
	if !problem.Is(err, problem.Conflict) || !strings.Contains(fieldsOf(err)["sps"], "await an SPS inspection") {
		t.Fatalf("release before inspection: %v", err)
	}
	// Samples go to the laboratory: still blocked.
	d, err = s.RecordInspection(ctx, inspector, d.ID, InspectionInput{Result: InspectionPass, SamplesTaken: true, LabOutcome: LabPending, Notes: "temperature 2 °C"})
	if err != nil || d.SPS.Status != SPSAwaitingLab {
		t.Fatalf("inspection: %+v %v", d.SPS, err)
	}
	_, err = s.Release(ctx, officer, d.ID, "")
	if !strings.Contains(fieldsOf(err)["sps"], "laboratory") {
		t.Fatalf("release awaiting lab: %v", err)
	}
	// A hold on top.
	if d, err = s.HoldSPS(ctx, inspector, d.ID, "outbreak alert for the region of origin"); err != nil || d.SPS.Status != SPSHeld {
		t.Fatalf("hold: %+v %v", d.SPS, err)
	}
	_, err = s.HoldSPS(ctx, inspector, d.ID, "again")
	mustCode(t, err, problem.Conflict)
	// The laboratory passes the samples, but the hold stays until lifted.
	if d, err = s.RecordInspection(ctx, inspector, d.ID, InspectionInput{Result: InspectionPass, SamplesTaken: true, LabOutcome: LabPass}); err != nil || d.SPS.Status != SPSHeld {
		t.Fatalf("lab pass under hold: %+v %v", d.SPS, err)
	}
	_, err = s.Release(ctx, officer, d.ID, "")
	if !strings.Contains(fieldsOf(err)["sps"], "holds") {
		t.Fatalf("release under hold: %v", err)
	}
	// Lifting the hold clears the goods; green and paid, they go.
	if d, err = s.ReleaseSPSHold(ctx, inspector, d.ID, "alert withdrawn"); err != nil {
		t.Fatal(err)
	}
	if d.SPS.Status != SPSCleared || d.Status != StatusReleased {
		t.Fatalf("after hold: %s %+v", d.Status, d.SPS)
	}
	h, _ := s.History(ctx, officer, d.ID)
	if len(h.Inspections) != 2 || h.Inspections[0].LabOutcome != LabPending || h.Inspections[0].Notes != "temperature 2 °C" {
		t.Fatalf("inspections %+v", h.Inspections)
	}

	// Bad inspection records are refused field by field.
	id := reach(t, s, "acme", StatusAssessed)
	_, err = s.RecordInspection(ctx, inspector, id, InspectionInput{Result: "maybe", LabOutcome: LabPass})
	if f := fieldsOf(err); f["result"] == "" || f["lab_outcome"] == "" {
		t.Fatalf("bad inspection: %v", err)
	}
	// A failed inspection holds the goods; lifting the hold without a
	// passing inspection sends them back to wait for one.
	if d, err = s.RecordInspection(ctx, inspector, id, InspectionInput{Result: InspectionFail, Notes: "broken cold chain"}); err != nil || d.SPS.Status != SPSHeld {
		t.Fatalf("fail: %+v %v", d.SPS, err)
	}
	if d, err = s.ReleaseSPSHold(ctx, inspector, id, "treated"); err != nil || d.SPS.Status != SPSAwaitingInspection {
		t.Fatalf("lift after fail: %+v %v", d.SPS, err)
	}
	if d, err = s.RefuseSPS(ctx, inspector, id, "re-inspection failed"); err != nil || d.Status != StatusRefused || d.Refusal.By != ByQuarantine {
		t.Fatalf("refuse: %+v %v", d.Refusal, err)
	}
}

func TestAmendments(t *testing.T) {
	s, _, clk, _ := newService(t, quietRules(t))
	ctx := context.Background()
	p := trader("acme")
	c := smartphones()
	c.ArrivalExpectedAt = t0.Add(24 * time.Hour)
	d, err := s.Create(ctx, p, c)
	if err != nil {
		t.Fatal(err)
	}
	c2 := c
	c2.Items = slices.Clone(c.Items)
	c2.Items[0].CustomsValueAmount = 160_000_00
	c2.Transport.TransportEquipmentIDs = []string{"CSQU3054383", "MSKU9070323"}
	d, err = s.Amend(ctx, p, d.ID, 1, c2, "second container")
	if err != nil {
		t.Fatal(err)
	}
	if d.Version != 2 || d.Items[0].CustomsValueAmount != 160_000_00 {
		t.Fatalf("amended %+v", d)
	}
	// Editing a stale version is refused; an amendment that changes
	// nothing stores nothing.
	_, err = s.Amend(ctx, p, d.ID, 1, c, "")
	mustCode(t, err, problem.Conflict)
	same, err := s.Amend(ctx, p, d.ID, 2, c2, "")
	if err != nil || same.Version != 2 {
		t.Fatalf("no-op amend: v%d %v", same.Version, err)
	}
	// Invalid amendments are refused whole.
	bad := c2
	bad.Items = slices.Clone(c2.Items)
	bad.Items[0].ClassificationID = "999999"
	_, err = s.Amend(ctx, p, d.ID, 2, bad, "")
	if fieldsOf(err)["goods_items[0].classification_id"] == "" {
		t.Fatalf("bad amend: %v", err)
	}
	// Pre-lodged, it can still be amended.
	attach(t, s, "acme", d.ID, DocCommercialInvoice)
	if d, err = s.Submit(ctx, p, d.ID); err != nil || d.Status != StatusSubmitted {
		t.Fatalf("pre-lodged: %s %v", d.Status, err)
	}
	c3 := c2
	c3.Items = slices.Clone(c2.Items)
	c3.Items[0].Description = "Smartphones, 5G, 256 GB"
	if d, err = s.Amend(ctx, p, d.ID, 0, c3, ""); err != nil {
		t.Fatal(err)
	}
	// The goods arrive a day later; the valuation date stays the lodgement date.
	submitted := d.SubmittedAt
	clk.now = clk.now.Add(24 * time.Hour)
	if d, err = s.PresentGoods(ctx, officer, d.ID); err != nil || d.Status != StatusAssessed {
		t.Fatalf("presented: %s %v", d.Status, err)
	}
	if !d.Assessment.ValuationDate.Equal(submitted) || !d.AssessedAt.Equal(clk.now) {
		t.Fatalf("valuation %v submitted %v", d.Assessment.ValuationDate, submitted)
	}
	// After assessment, no more amendments.
	_, err = s.Amend(ctx, p, d.ID, 0, c2, "")
	mustCode(t, err, problem.Conflict)

	h, err := s.History(ctx, p, d.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(h.Amendments) != 2 {
		t.Fatalf("amendments %+v", h.Amendments)
	}
	a := h.Amendments[0]
	wantFields := []string{"goods_items[0].customs_value_amount", "transport.transport_equipment_ids[1]"}
	var got []string
	for _, ch := range a.Changes {
		got = append(got, ch.Field)
	}
	if a.Version != 2 || a.Note != "second container" || !slices.Equal(got, wantFields) || a.Before.Items[0].CustomsValueAmount != 150_000_00 ||
		a.Changes[0].Before != "15000000" || a.Changes[0].After != "16000000" || a.Changes[1].Before != "" || a.Changes[1].After != "MSKU9070323" {
		t.Fatalf("amendment %+v", a)
	}
	if !strings.Contains(a.Summary, "goods_items[0].customs_value_amount: 15000000 → 16000000") {
		t.Fatalf("summary %q", a.Summary)
	}
	if h.Amendments[1].Changes[0].Field != "goods_items[0].description" {
		t.Fatalf("second amendment %+v", h.Amendments[1])
	}
}

func TestValidationReportsEveryField(t *testing.T) {
	s, st, _, _ := newService(t, quietRules(t))
	c := smartphones()
	c.Procedure = "smuggle"
	c.TradeTermsConditionCode = "FOB2"
	c.Exporter.CountryCode = "XX"
	c.Declarant.OrgID = "someone-else"
	c.Transport.ModeCode = "air" // KZHOR has no airport
	c.Transport.TransportEquipmentIDs = []string{"CSQU3054384", "hello"}
	c.ArrivalExpectedAt = t0.AddDate(1, 0, 0)
	c.Items = append(c.Items, Item{
		Description: "", ClassificationID: "999999", OriginCountryCode: "ZZ", TariffQuantity: 0, TariffQuantityUnitCode: "BOX",
		NetNetWeightMeasure: -5, GrossMassMeasure: 10, CustomsValueAmount: -1, CustomsValueCurrencyID: "XXX",
	}, Item{
		Description: "Mass mix-up", ClassificationID: "85171", OriginCountryCode: "CN", TariffQuantity: 1, TariffQuantityUnitCode: "NAR",
		NetNetWeightMeasure: 2_000, GrossMassMeasure: 1_000, CustomsValueAmount: 1, CustomsValueCurrencyID: "usd",
	})
	_, err := s.Create(context.Background(), trader("acme"), c)
	mustCode(t, err, problem.Invalid)
	f := fieldsOf(err)
	for _, field := range []string{
		"procedure", "trade_terms_condition_code", "exporter.country_code", "declarant.org_id", "transport.border_post",
		"transport.transport_equipment_ids[0]", "transport.transport_equipment_ids[1]", "arrival_expected_at",
		"goods_items[1].description", "goods_items[1].classification_id", "goods_items[1].origin_country_code",
		"goods_items[1].tariff_quantity", "goods_items[1].tariff_quantity_unit_code", "goods_items[1].net_net_weight_measure",
		"goods_items[1].customs_value_amount", "goods_items[1].customs_value_currency_id",
		"goods_items[2].classification_id", "goods_items[2].gross_mass_measure",
	} {
		if f[field] == "" {
			t.Errorf("no message for %s", field)
		}
	}
	if len(f) != 18 {
		t.Errorf("%d fields: %v", len(f), f)
	}
	if !strings.Contains(f["transport.transport_equipment_ids[0]"], "should end in 3") ||
		!strings.Contains(f["goods_items[1].classification_id"], "999999") {
		t.Errorf("messages: %v", f)
	}
	if len(st.decls) != 0 || len(st.audit) != 0 {
		t.Fatal("an invalid declaration was stored")
	}
}

func TestDocuments(t *testing.T) {
	s, _, _, _ := newService(t, quietRules(t))
	ctx := context.Background()
	p := trader("acme")
	d, err := s.Create(ctx, p, smartphones())
	if err != nil {
		t.Fatal(err)
	}
	png := []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
	xml := []byte("\xEF\xBB\xBF\n  <?xml version=\"1.0\"?><Invoice/>")
	for name, tc := range map[string]struct {
		in    NewDocument
		code  problem.Code
		field string
	}{
		"too large":    {NewDocument{Kind: DocOther, Filename: "scan.pdf", MediaType: "application/pdf", Content: append([]byte("%PDF-"), make([]byte, MaxDocumentSize)...)}, problem.TooLarge, "content"},
		"empty":        {NewDocument{Kind: DocOther, Filename: "a.pdf", MediaType: "application/pdf"}, problem.Invalid, "content"},
		"wrong type":   {NewDocument{Kind: DocOther, Filename: "a.exe", MediaType: "application/x-msdownload", Content: pdf}, problem.Invalid, "media_type"},
		"not a png":    {NewDocument{Kind: DocOther, Filename: "a.png", MediaType: "image/png", Content: pdf}, problem.Invalid, "content"},
		"unknown kind": {NewDocument{Kind: "selfie", Filename: "a.pdf", MediaType: "application/pdf", Content: pdf}, problem.Invalid, "kind"},
		"path":         {NewDocument{Kind: DocOther, Filename: "../../etc/passwd", MediaType: "application/pdf", Content: pdf}, problem.Invalid, "filename"},
	} {
		_, err := s.AttachDocument(ctx, p, d.ID, tc.in)
		if !problem.Is(err, tc.code) || fieldsOf(err)[tc.field] == "" {
			t.Errorf("%s: %v", name, err)
		}
	}
	for _, in := range []NewDocument{
		{Kind: DocCommercialInvoice, Reference: "INV-77", Filename: "invoice.pdf", MediaType: "application/pdf", Content: pdf},
		{Kind: DocPackingList, Filename: "pl.png", MediaType: "image/png", Content: png},
		{Kind: DocOther, Filename: "invoice.xml", MediaType: "application/xml; charset=utf-8", Content: xml},
		{Kind: DocCertOfOrigin, Filename: "co.jpg", MediaType: "image/jpeg", Content: []byte{0xFF, 0xD8, 0xFF, 0xE0}},
	} {
		doc, err := s.AttachDocument(ctx, p, d.ID, in)
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(in.Content)
		if doc.SHA256 != hex.EncodeToString(sum[:]) || doc.Size != int64(len(in.Content)) || doc.By != "u-acme" {
			t.Fatalf("metadata %+v", doc)
		}
		got, b, err := s.Document(ctx, p, d.ID, doc.ID)
		if err != nil || got.ID != doc.ID || string(b) != string(in.Content) {
			t.Fatalf("read back: %v", err)
		}
	}
	d, _ = s.Get(ctx, p, d.ID)
	if len(d.Documents) != 4 || d.Documents[2].MediaType != "application/xml" || d.Documents[0].Reference != "INV-77" {
		t.Fatalf("documents %+v", d.Documents)
	}
	_, _, err = s.Document(ctx, p, d.ID, "nope")
	mustCode(t, err, problem.NotFound)
}

func TestGuaranteeAndCancellation(t *testing.T) {
	s, _, _, pay := newService(t, quietRules(t))
	ctx := context.Background()
	p := trader("acme")
	id := reach(t, s, "acme", StatusPhysicalInspection)
	// Another organisation's guarantee, or a made-up one, covers nothing.
	for _, g := range []string{"G-other", "BG-7", " "} {
		_, err := s.ProvideGuarantee(ctx, p, id, g)
		if err == nil {
			t.Fatalf("guarantee %q accepted", g)
		}
		if d, _ := s.Get(ctx, p, id); d.Guarantee != nil || d.Paid() {
			t.Fatalf("guarantee %q recorded: %+v", g, d.Guarantee)
		}
	}
	d, err := s.ProvideGuarantee(ctx, p, id, "G-acme")
	if err != nil || d.Status != StatusPhysicalInspection || !d.Guarantee.Drawn() || d.Guarantee.AmountKZT != d.Assessment.TotalKZT {
		t.Fatalf("guarantee: %s %+v %v", d.Status, d.Guarantee, err)
	}
	// A declaration stored with a guarantee but no ledger draw (as the old
	// endpoint made them) is not covered.
	old := d
	old.Guarantee = &Guarantee{Reference: "BG-FAKE", AmountKZT: 1 << 62}
	if old.Paid() {
		t.Fatal("a guarantee without a draw counts as paid")
	}
	if _, err = s.Pay(ctx, p, id, "acct"); !problem.Is(err, problem.Conflict) {
		t.Fatalf("pay after a draw: %v", err)
	}
	// Red lane: an officer must release, and quarantine must clear first.
	if _, err = s.RecordInspection(ctx, inspector, id, InspectionInput{Result: InspectionPass}); err != nil {
		t.Fatal(err)
	}
	if d, err = s.Release(ctx, officer, id, "inspection found the goods as declared"); err != nil || d.Status != StatusReleased {
		t.Fatalf("release: %v", err)
	}

	// Cancelling after payment leaves a refund due.
	id = reach(t, s, "acme", StatusDocumentaryCheck)
	if _, err = s.Pay(ctx, p, id, "acct"); err != nil {
		t.Fatal(err)
	}
	if d, err = s.Cancel(ctx, p, id, "buyer withdrew"); err != nil || !d.RefundDue || d.Status != StatusCancelled {
		t.Fatalf("cancel: %+v %v", d, err)
	}
	// A payment port failure leaves the declaration unpaid.
	id = reach(t, s, "acme", StatusAssessed)
	pay.fail = problem.New(problem.Conflict, "insufficient funds")
	_, err = s.Pay(ctx, p, id, "acct")
	mustCode(t, err, problem.Conflict)
	if d, _ = s.Get(ctx, p, id); d.Payment != nil {
		t.Fatal("failed payment recorded")
	}
	_, err = s.Pay(ctx, p, id, " ")
	mustCode(t, err, problem.Invalid)
}

func TestRefusalsRaiseRisk(t *testing.T) {
	s, _, clk, _ := newService(t, quietRules(t))
	ctx := context.Background()
	reach(t, s, "acme", StatusRefused)
	clk.now = clk.now.Add(time.Hour)
	id := reach(t, s, "acme", StatusDocumentaryCheck)
	d, _ := s.Get(ctx, officer, id)
	if !slices.Contains(ruleIDs(d.RiskReasons), RuleHistory) {
		t.Fatalf("reasons %v", ruleIDs(d.RiskReasons))
	}
	if last := d.RiskReasons[len(d.RiskReasons)-1]; last.RuleID != RuleOfficer || last.ActorUser != "u-officer" ||
		!strings.Contains(last.Description, "check the veterinary certificate") {
		t.Fatalf("officer's reason %+v", last)
	}
	// The trader learns the lane changed, not why.
	h, _ := s.History(ctx, trader("acme"), id)
	for _, e := range h.Events {
		if strings.Contains(e.Detail, "veterinary certificate") {
			t.Fatalf("history leaks the officer's reason: %+v", e)
		}
	}
	// AEO status turns the trader's next yellow into blue.
	if _, err := s.SetTrustedTrader(ctx, trader("acme"), "acme", true, ""); !problem.Is(err, problem.Forbidden) {
		t.Fatalf("trader grants itself AEO: %v", err)
	}
	if _, err := s.SetTrustedTrader(ctx, officer, "acme", true, "AEO certificate KZ-AEO-0042"); err != nil {
		t.Fatal(err)
	}
	c := beef()
	c.Items[0].CustomsValueAmount /= 2 // 50% of the reference: red
	d, err := s.Create(ctx, trader("acme"), c)
	if err != nil {
		t.Fatal(err)
	}
	attach(t, s, "acme", d.ID, DocCommercialInvoice, DocVeterinary)
	if d, err = s.Submit(ctx, trader("acme"), d.ID); err != nil || d.Lane != LaneRed {
		t.Fatalf("AEO with red flags: %s %v", d.Lane, err)
	}
}

// The compliance profile is cached per declarant (see ProfileCacheTTL):
// this process's own refusals and AEO decisions must reach the very next
// assessment, and another process's within the TTL.
func TestProfileCache(t *testing.T) {
	s, st, clk, _ := newService(t, quietRules(t))
	ctx := context.Background()
	reasons := func(id string) []string {
		t.Helper()
		d, err := s.Get(ctx, officer, id)
		if err != nil {
			t.Fatal(err)
		}
		return ruleIDs(d.RiskReasons)
	}
	if r := reasons(reach(t, s, "acme", StatusAssessed)); slices.Contains(r, RuleHistory) {
		t.Fatalf("clean trader flagged: %v", r)
	}
	reach(t, s, "acme", StatusRefused) // assessed on the cached clean profile, then refused
	if r := reasons(reach(t, s, "acme", StatusAssessed)); !slices.Contains(r, RuleHistory) {
		t.Fatalf("own refusal not seen at once: %v", r)
	}
	// A change written by another process (straight to the store) is not
	// seen until the cached profile is ProfileCacheTTL old...
	if err := st.SetTrustedTrader(ctx, TrustedTrader{OrgID: "acme", AEO: true}, audit.Record{}); err != nil {
		t.Fatal(err)
	}
	clk.now = clk.now.Add(ProfileCacheTTL - time.Millisecond)
	if r := reasons(reach(t, s, "acme", StatusAssessed)); slices.Contains(r, RuleAEO) {
		t.Fatalf("AEO seen before the cache expired: %v", r)
	}
	// ... and is seen after.
	clk.now = clk.now.Add(time.Millisecond)
	if r := reasons(reach(t, s, "acme", StatusAssessed)); !slices.Contains(r, RuleAEO) {
		t.Fatalf("AEO not seen after the TTL: %v", r)
	}
	// This process's own withdrawal reaches the next assessment at once,
	// and one trader's profile never answers for another's.
	if _, err := s.SetTrustedTrader(ctx, officer, "acme", false, "certificate lapsed"); err != nil {
		t.Fatal(err)
	}
	if r := reasons(reach(t, s, "acme", StatusAssessed)); slices.Contains(r, RuleAEO) {
		t.Fatalf("withdrawn AEO still applied: %v", r)
	}
	if r := reasons(reach(t, s, "globex", StatusAssessed)); slices.Contains(r, RuleHistory) {
		t.Fatalf("acme's history applied to globex: %v", r)
	}
}

// slowProfiles holds one profile read, after it has read the store, until
// the test lets it go: the window in which a refusal can commit between an
// assessment's read and its caching of the result.
type slowProfiles struct {
	*memStore
	armed         atomic.Bool
	read, release chan struct{}
}

func (m *slowProfiles) CustomsTraderProfile(ctx context.Context, org string, since time.Time) (TraderProfile, error) {
	p, err := m.memStore.CustomsTraderProfile(ctx, org, since)
	if m.armed.CompareAndSwap(true, false) {
		m.read <- struct{}{}
		<-m.release
	}
	return p, err
}

// An assessment that read the profile before a refusal committed must not
// leave that stale profile in the cache for the next one.
func TestProfileCacheRace(t *testing.T) {
	st := &slowProfiles{memStore: newMemStore(), read: make(chan struct{}), release: make(chan struct{})}
	clk := &clock{now: t0}
	s, err := NewService(st, Config{Rules: quietRules(t), Rates: rateSource(nil), Payments: &fakePayments{}, Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	toRefuse := reach(t, s, "acme", StatusAssessed) // caches a clean profile
	d, err := s.Create(ctx, trader("acme"), beef())
	if err != nil {
		t.Fatal(err)
	}
	attach(t, s, "acme", d.ID, DocCommercialInvoice, DocVeterinary)
	clk.now = clk.now.Add(ProfileCacheTTL) // the next assessment reads the store
	st.armed.Store(true)
	done := make(chan error, 1)
	go func() {
		_, err := s.Submit(ctx, trader("acme"), d.ID)
		done <- err
	}()
	<-st.read // the clean profile is read, not yet cached
	if _, err := s.Refuse(ctx, officer, toRefuse, "misdeclared"); err != nil {
		t.Fatal(err)
	}
	close(st.release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	d2, err := s.Get(ctx, officer, reach(t, s, "acme", StatusAssessed))
	if err != nil {
		t.Fatal(err)
	}
	if r := ruleIDs(d2.RiskReasons); !slices.Contains(r, RuleHistory) {
		t.Fatalf("a profile read before the refusal was served after it: %v", r)
	}
}

func TestLaneStats(t *testing.T) {
	s, _, clk, _ := newService(t, quietRules(t))
	ctx := context.Background()
	for range 3 {
		reach(t, s, "acme", StatusAssessed) // green, unreleased
	}
	id := reach(t, s, "acme", StatusAssessed)
	if _, err := s.RecordInspection(ctx, inspector, id, InspectionInput{Result: InspectionPass}); err != nil {
		t.Fatal(err)
	}
	clk.now = clk.now.Add(90 * time.Minute)
	if _, err := s.Pay(ctx, trader("acme"), id, "acct"); err != nil {
		t.Fatal(err)
	}
	reach(t, s, "acme", StatusPhysicalInspection) // counted red, where it ended
	st, err := s.LaneStats(ctx, officer, t0, t0.Add(24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if st.Total != 5 || st.Lanes[0].Lane != LaneGreen || st.Lanes[0].Count != 4 || st.Lanes[0].ShareBps != 8000 ||
		st.Lanes[0].Released != 1 || st.Lanes[0].AvgTimeToRelease != 90*time.Minute || st.Lanes[2].Count != 1 || st.Lanes[2].ShareBps != 2000 {
		t.Fatalf("stats %+v", st)
	}
	if _, err := s.LaneStats(ctx, admin, t0, t0.Add(time.Hour)); err != nil {
		t.Fatalf("admin: %v", err)
	}
	_, err = s.LaneStats(ctx, trader("acme"), t0, t0.Add(time.Hour))
	mustCode(t, err, problem.Forbidden)
}

func TestEstimateDuties(t *testing.T) {
	s, st, _, _ := newService(t, quietRules(t))
	a, err := s.EstimateDuties(context.Background(), trader("acme"), beef())
	if err != nil || a.TotalKZT != 9_000_000_00+8_280_000_00+20_000_00 {
		t.Fatalf("estimate %+v %v", a, err)
	}
	if len(st.decls) != 0 {
		t.Fatal("an estimate was stored")
	}
	_, err = s.EstimateDuties(context.Background(), officer, beef())
	mustCode(t, err, problem.Forbidden)
}

func TestNewServiceRefusesBadConfig(t *testing.T) {
	r := quietRules(t)
	r.Risk.RedAt = 10 // below YellowAt
	if _, err := NewService(newMemStore(), Config{Rules: r}); err == nil {
		t.Fatal("bad thresholds accepted")
	}
	if _, err := NewService(newMemStore(), Config{}); err == nil {
		t.Fatal("no rules accepted")
	}
	if _, err := NewService(nil, Config{Rules: quietRules(t)}); err == nil {
		t.Fatal("no store accepted")
	}
}
