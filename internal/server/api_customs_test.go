package server

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/textproto"
	"strings"
	"sync"
	"testing"
	"time"

	"bricstown/internal/dutyledger"
	"bricstown/internal/identity"
	"bricstown/internal/notify"
)

const (
	apiKGE       = "Kazakh Grain Export"
	apiSZD       = "Shenzhen Smart Devices"
	apiCustomsPO = "Khorgos Customs Post"
	apiSPSPO     = "Khorgos Veterinary and Phytosanitary Inspection"
	apiDecls     = "/api/v1/customs/declarations"
)

var apiPDF = []byte("%PDF-1.7\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n")

// apiSteelImport is an import of hot-rolled steel from China by rail through
// Dostyk: 5% duty, VAT, no SPS control.
func apiSteelImport(ref, importer string) map[string]any {
	return map[string]any{
		"functional_reference_id":    ref,
		"procedure":                  "import",
		"exporter":                   map[string]any{"name": "Baotou Steel Trading", "country_code": "CN"},
		"importer":                   map[string]any{"name": importer, "country_code": "KZ"},
		"trade_terms_condition_code": "FCA",
		"transport": map[string]any{"mode_code": "rail", "border_transport_means_id": "DST 4420",
			"transport_equipment_ids": []string{"CSQU3054383"}, "border_post": "KZDOS"},
		"goods_items": []map[string]any{{
			"description": "Flat-rolled steel, hot-rolled", "classification_id": "720851", "origin_country_code": "CN",
			"tariff_quantity": 40, "tariff_quantity_unit_code": "TNE", "net_net_weight_measure": 40_000_000, "gross_mass_measure": 40_200_000,
			"customs_value_amount": 40 * 800_00, "customs_value_currency_id": "USD"}},
	}
}

// apiBeefImport needs a veterinary certificate and an inspection every time.
func apiBeefImport(ref string) map[string]any {
	c := apiSteelImport(ref, "Astana Fresh Foods")
	c["exporter"] = map[string]any{"name": "Cerrado Agro Exportadora", "country_code": "BR"}
	c["transport"] = map[string]any{"mode_code": "air", "border_transport_means_id": "KC 9402", "border_post": "KZALA"}
	c["goods_items"] = []map[string]any{{
		"description": "Beef, boneless, chilled", "classification_id": "020130", "origin_country_code": "BR",
		"tariff_quantity": 2000, "tariff_quantity_unit_code": "KGM", "net_net_weight_measure": 2_000_000, "gross_mass_measure": 2_150_000,
		"customs_value_amount": 14_000_00, "customs_value_currency_id": "USD"}}
	return c
}

func apiInlineDoc(kind string) map[string]any {
	return map[string]any{"kind": kind, "filename": kind + ".pdf", "media_type": "application/pdf", "content_base64": base64.StdEncoding.EncodeToString(apiPDF)}
}

func (f *fixture) apiCount(t *testing.T, table string) int {
	t.Helper()
	var n int
	if err := f.db.SQL.QueryRow(`SELECT COUNT(*) FROM ` + table).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func (f *fixture) apiDecl(t *testing.T, tok, id string) map[string]any {
	t.Helper()
	r := f.call(t, "GET", apiDecls+"/"+id, tok, nil)
	if r.status != 200 {
		t.Fatalf("get %s: %d %s", id, r.status, r.body)
	}
	return r.json(t)
}

func (f *fixture) apiPost(t *testing.T, path, tok string, body any, want int) map[string]any {
	t.Helper()
	r := f.call(t, "POST", path, tok, body)
	if r.status != want {
		t.Fatalf("POST %s: %d, want %d: %s", path, r.status, want, r.body)
	}
	if len(r.body) == 0 {
		return nil
	}
	return r.json(t)
}

// upload attaches a document as multipart/form-data.
func (f *fixture) apiUpload(t *testing.T, tok, id, kind, filename, contentType string, data []byte) response {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	mw.WriteField("kind", kind)
	mw.WriteField("reference", "INV-2026-0042")
	h := textproto.MIMEHeader{}
	h.Set("Content-Disposition", fmt.Sprintf(`form-data; name="file"; filename=%q`, filename))
	h.Set("Content-Type", contentType)
	w, _ := mw.CreatePart(h)
	w.Write(data)
	mw.Close()
	return f.call(t, "POST", apiDecls+"/"+id+"/documents", tok, buf.Bytes(), "Content-Type", mw.FormDataContentType())
}

// greenDeclaration lodges steel imports until the risk engine puts one on
// the green lane (random selection sends about one in six elsewhere).
func (f *fixture) apiGreenDeclaration(t *testing.T, tok, importer string) map[string]any {
	t.Helper()
	for i := 0; i < 20; i++ {
		d := f.apiPost(t, apiDecls+"?submit=true", tok, map[string]any{"functional_reference_id": fmt.Sprintf("GRN-%d-%d", time.Now().UnixNano()%1e6, i),
			"procedure": "import", "exporter": apiSteelImport("", "")["exporter"], "importer": map[string]any{"name": importer, "country_code": "KZ"},
			"trade_terms_condition_code": "FCA", "transport": apiSteelImport("", "")["transport"], "goods_items": apiSteelImport("", "")["goods_items"],
			"documents": []any{apiInlineDoc("commercial_invoice")}}, 201)
		if d["lane"] == "green" {
			return d
		}
	}
	t.Fatal("no green lane in 20 declarations")
	return nil
}

func (f *fixture) apiRevenueBalance(t *testing.T) int64 {
	t.Helper()
	a, err := f.db.AccountByCode(context.Background(), f.orgs[apiCustomsPO].ID, "KZT", dutyledger.RevenueCode)
	if err != nil {
		t.Fatal(err)
	}
	return a.Balance()
}

func TestAPICustomsGreenLaneFlow(t *testing.T) {
	f := getFixture(t)
	trader := f.token(t, apiKGE, identity.Trader)
	officer := f.token(t, apiCustomsPO, identity.CustomsOfficer)
	bank := f.token(t, "Steppe Commercial Bank", identity.BankOperator)
	vault := f.openAccount(t, bank, "KZT", false)
	acct := f.openAccount(t, trader, "KZT", true)
	got := results(t, f.call(t, "POST", "/api/v1/ledger/transfers", bank, map[string]any{"transfers": []map[string]any{{"id": v7(),
		"debit_account_id": vault, "credit_account_id": acct, "amount": "50000000.00", "currency": "KZT", "reference": "deposit"}}}))
	if got[0] != "ok" {
		t.Fatalf("funding: %v", got)
	}

	// A draft, amended with its version, then the invoice uploaded.
	draft := f.apiPost(t, apiDecls, trader, apiSteelImport("KGE-IMP-001", "Kazakh Grain Export"), 201)
	id := draft["id"].(string)
	if draft["status"] != "draft" || draft["version"] != float64(1) {
		t.Fatalf("draft %v", draft)
	}
	amended := apiSteelImport("KGE-IMP-001", "Kazakh Grain Export")
	amended["base_version"] = 1
	amended["goods_items"].([]map[string]any)[0]["customs_value_amount"] = 40 * 820_00
	if r := f.call(t, "PUT", apiDecls+"/"+id, trader, amended); r.status != 200 || r.header.Get("ETag") != `"2"` {
		t.Fatalf("amend: %d %s", r.status, r.body)
	}
	if r := f.call(t, "PUT", apiDecls+"/"+id, trader, amended); r.status != 409 {
		t.Fatalf("stale amend: %d %s", r.status, r.body)
	}
	delete(amended, "base_version")
	if r := f.call(t, "PUT", apiDecls+"/"+id, trader, amended); r.status != 400 || !strings.Contains(string(r.body), "base_version") {
		t.Fatalf("amend without a version: %d %s", r.status, r.body)
	}
	if r := f.call(t, "PUT", apiDecls+"/"+id, trader, amended, "If-Match", `"2"`); r.status != 200 {
		t.Fatalf("amend with If-Match: %d %s", r.status, r.body)
	}
	up := f.apiUpload(t, trader, id, "commercial_invoice", "invoice.pdf", "application/pdf", apiPDF)
	if up.status != 201 {
		t.Fatalf("upload: %d %s", up.status, up.body)
	}
	doc := up.json(t)
	sum := sha256.Sum256(apiPDF)
	if doc["sha256"] != hex.EncodeToString(sum[:]) || doc["size"] != float64(len(apiPDF)) {
		t.Fatalf("document %v", doc)
	}
	dl := f.call(t, "GET", up.header.Get("Location"), trader, nil)
	if dl.status != 200 || !bytes.Equal(dl.body, apiPDF) || dl.header.Get("Content-Type") != "application/pdf" ||
		!strings.Contains(dl.header.Get("Content-Disposition"), "invoice.pdf") || dl.header.Get("Repr-Digest") == "" {
		t.Fatalf("download: %d %v", dl.status, dl.header)
	}

	// Submitted: assessed at once (the goods are here). Until one lands on
	// the green lane, the rest are cancelled.
	d := f.apiPost(t, apiDecls+"/"+id+"/submit", trader, nil, 200)
	for d["lane"] != "green" {
		f.apiPost(t, apiDecls+"/"+id+"/cancel", trader, map[string]any{"reason": "test: not green"}, 200)
		d = f.apiGreenDeclaration(t, trader, "Kazakh Grain Export")
		id = d["id"].(string)
	}
	if d["status"] != "assessed" || d["risk_reasons"] != nil {
		t.Fatalf("submitted: %v", d)
	}
	total := int64(d["assessment"].(map[string]any)["total_kzt"].(float64))
	if total <= 0 {
		t.Fatalf("assessment %v", d["assessment"])
	}
	// The officer sees the risk engine's reasons; the trader does not.
	if od := f.apiDecl(t, officer, id); od["risk_reasons"] == nil && od["lane"] != "green" {
		t.Fatalf("officer view %v", od)
	}
	before := f.apiRevenueBalance(t)
	// Payment from an account that is not the trader's is refused.
	if r := f.call(t, "POST", apiDecls+"/"+id+"/pay", trader, map[string]any{"from_account_id": vault}); r.status != 400 || !strings.Contains(string(r.body), "from_account_id") {
		t.Fatalf("paying from the bank's account: %d %s", r.status, r.body)
	}
	d = f.apiPost(t, apiDecls+"/"+id+"/pay", trader, map[string]any{"from_account_id": acct}, 200)
	if d["status"] != "released" || d["payment"] == nil {
		t.Fatalf("after payment: %v", d)
	}
	if after := f.apiRevenueBalance(t); after-before != total {
		t.Fatalf("revenue grew by %d, want %d", after-before, total)
	}
	a := f.call(t, "GET", "/api/v1/ledger/accounts/"+acct, trader, nil).json(t)
	if want := fmt.Sprintf("%d.%02d", (50_000_000_00-total)/100, (50_000_000_00-total)%100); a["balance"] != want {
		t.Fatalf("trader balance %v, want %s", a["balance"], want)
	}
	// Paying again is refused; the history tells the story.
	if r := f.call(t, "POST", apiDecls+"/"+id+"/pay", trader, map[string]any{"from_account_id": acct}); r.status != 409 {
		t.Fatalf("second payment: %d", r.status)
	}
	h := f.call(t, "GET", apiDecls+"/"+id+"/history", trader, nil).json(t)
	var actions []string
	for _, e := range h["events"].([]any) {
		actions = append(actions, e.(map[string]any)["action"].(string))
	}
	if got := strings.Join(actions, " "); !strings.HasSuffix(got, "submit assess assign_lane pay auto_release") {
		t.Fatalf("history %s", got)
	}
	// The trader's list shows it; the administrator of the trader's company
	// (who acts like its traders) too.
	list := f.call(t, "GET", apiDecls+"?status=released&limit=200", f.token(t, apiKGE, identity.OrgAdmin), nil)
	if list.status != 200 || !strings.Contains(string(list.body), id) {
		t.Fatalf("list: %d", list.status)
	}
	// Estimates store nothing.
	n := f.apiCount(t, "customs_declarations")
	est := f.apiPost(t, "/api/v1/customs/estimate", trader, apiSteelImport("EST-1", "Kazakh Grain Export"), 200)
	if est["total_kzt"].(float64) <= 0 || f.apiCount(t, "customs_declarations") != n {
		t.Fatalf("estimate %v", est)
	}
}

// Officers decide the lanes: a documentary check ends in release once the
// duties are guaranteed, a physical inspection in refusal.
func TestAPICustomsYellowAndRedLanes(t *testing.T) {
	f := getFixture(t)
	trader := f.token(t, apiSZD, identity.Trader)
	officer := f.token(t, apiCustomsPO, identity.CustomsOfficer)
	lodge := func(ref string) string {
		c := apiSteelImport(ref, "Almaty Metals")
		c["documents"] = []any{apiInlineDoc("commercial_invoice")}
		return f.apiPost(t, apiDecls+"?submit=true", trader, c, 201)["id"].(string)
	}
	y := lodge("SZD-Y-1")
	d := f.apiPost(t, apiDecls+"/"+y+"/checks", officer, map[string]any{"lane": "yellow", "reason": "Check the mill certificate"}, 200)
	if d["status"] != "documentary_check" || d["lane"] != "yellow" {
		t.Fatalf("yellow: %v", d)
	}
	q := f.call(t, "GET", "/api/v1/customs/queue?lane=yellow&limit=200", officer, nil)
	if q.status != 200 || !strings.Contains(string(q.body), y) {
		t.Fatalf("yellow queue: %d", q.status)
	}
	// Not paid yet: release is refused with the reason.
	if r := f.call(t, "POST", apiDecls+"/"+y+"/release", officer, nil); r.status != 409 || !strings.Contains(string(r.body), `"payment"`) {
		t.Fatalf("release unpaid: %d %s", r.status, r.body)
	}
	due := int64(d["assessment"].(map[string]any)["total_kzt"].(float64))
	if r := f.call(t, "POST", apiDecls+"/"+y+"/guarantee", trader, map[string]any{"reference": "BG-1", "amount_kzt": due}); r.status != 400 {
		t.Fatalf("made-up guarantee: %d", r.status)
	}
	f.apiPost(t, apiDecls+"/"+y+"/guarantee", trader, map[string]any{"guarantee_id": f.heldGuarantee(t, trader)}, 200)
	if d := f.apiPost(t, apiDecls+"/"+y+"/release", officer, map[string]any{"note": "mill certificate matches"}, 200); d["status"] != "released" {
		t.Fatalf("released: %v", d)
	}
	// The trader sees the lane and the status but never the reasons.
	if td := f.apiDecl(t, trader, y); td["lane"] != "yellow" || td["risk_reasons"] != nil {
		t.Fatalf("trader view %v", td)
	}
	if od := f.apiDecl(t, officer, y); !strings.Contains(fmt.Sprint(od["risk_reasons"]), "R-OFFICER") {
		t.Fatalf("officer view lacks the decision: %v", od["risk_reasons"])
	}
	r := lodge("SZD-R-1")
	if d := f.apiPost(t, apiDecls+"/"+r+"/checks", officer, map[string]any{"lane": "red", "reason": "Weight discrepancy"}, 200); d["status"] != "physical_inspection" {
		t.Fatalf("red: %v", d)
	}
	if resp := f.call(t, "POST", apiDecls+"/"+r+"/checks", officer, map[string]any{"lane": "purple", "reason": "x"}); resp.status != 400 {
		t.Fatalf("bad lane: %d", resp.status)
	}
	if d := f.apiPost(t, apiDecls+"/"+r+"/refuse", officer, map[string]any{"reason": "Goods do not match the declaration"}, 200); d["status"] != "refused" {
		t.Fatalf("refused: %v", d)
	}
	// The stats count the lanes.
	st := f.call(t, "GET", "/api/v1/customs/stats?from=2020-01-01", officer, nil)
	if st.status != 200 || !strings.Contains(string(st.body), `"lane":"yellow"`) {
		t.Fatalf("stats: %d %s", st.status, st.body)
	}
	if bad := f.call(t, "GET", "/api/v1/customs/stats?from=yesterday", officer, nil); bad.status != 400 {
		t.Fatalf("bad stats period: %d", bad.status)
	}
	// AEO decisions.
	if resp := f.call(t, "POST", "/api/v1/customs/trusted-traders", officer, map[string]any{"org_id": f.orgs[apiSZD].ID}); resp.status != 400 {
		t.Fatalf("aeo without decision: %d", resp.status)
	}
	if resp := f.call(t, "POST", "/api/v1/customs/trusted-traders", officer, map[string]any{"org_id": v7(), "aeo": true}); resp.status != 400 {
		t.Fatalf("aeo for an unknown org: %d %s", resp.status, resp.body)
	}
	if tt := f.apiPost(t, "/api/v1/customs/trusted-traders", officer, map[string]any{"org_id": f.orgs[apiSZD].ID, "aeo": false, "note": "review"}, 200); tt["aeo"] != false {
		t.Fatalf("aeo %v", tt)
	}
}

// Quarantine's hold stops customs' release until quarantine lifts it.
func TestAPICustomsQuarantineHoldBlocksRelease(t *testing.T) {
	f := getFixture(t)
	trader := f.token(t, apiKGE, identity.Trader)
	officer := f.token(t, apiCustomsPO, identity.CustomsOfficer)
	inspector := f.token(t, apiSPSPO, identity.QuarantineOfficer)
	c := apiBeefImport("KGE-BEEF-1")
	c["documents"] = []any{apiInlineDoc("commercial_invoice")}
	n := f.apiCount(t, "customs_declarations")
	// Beef needs a veterinary certificate: lodging without it stores nothing.
	if r := f.call(t, "POST", apiDecls+"?submit=true", trader, c); r.status != 400 || !strings.Contains(string(r.body), "veterinary certificate") {
		t.Fatalf("without certificate: %d %s", r.status, r.body)
	}
	if f.apiCount(t, "customs_declarations") != n {
		t.Fatal("a refused lodgement stored a declaration")
	}
	c["documents"] = []any{apiInlineDoc("commercial_invoice"), apiInlineDoc("veterinary_certificate")}
	d := f.apiPost(t, apiDecls+"?submit=true", trader, c, 201)
	id := d["id"].(string)
	if sps := d["sps"].(map[string]any); sps["status"] != "awaiting_inspection" || sps["required"] != true {
		t.Fatalf("sps %v", sps)
	}
	q := f.call(t, "GET", "/api/v1/customs/quarantine/queue?limit=200", inspector, nil)
	if q.status != 200 || !strings.Contains(string(q.body), id) {
		t.Fatalf("quarantine queue: %d", q.status)
	}
	f.apiPost(t, apiDecls+"/"+id+"/sps-hold", inspector, map[string]any{"reason": "FMD status of the region under review"}, 200)
	if r := f.call(t, "POST", apiDecls+"/"+id+"/sps-hold", inspector, map[string]any{"reason": "again"}); r.status != 409 {
		t.Fatalf("double hold: %d", r.status)
	}
	due := int64(d["assessment"].(map[string]any)["total_kzt"].(float64))
	d = f.apiPost(t, apiDecls+"/"+id+"/guarantee", trader, map[string]any{"guarantee_id": f.heldGuarantee(t, trader)}, 200)
	if g := d["guarantee"].(map[string]any); g["amount_kzt"] != float64(due) || g["draw_transfer_id"] == "" {
		t.Fatalf("guarantee %v", g)
	}
	if d["status"] == "released" {
		t.Fatal("released while quarantine holds the goods")
	}
	if r := f.call(t, "POST", apiDecls+"/"+id+"/release", officer, nil); r.status != 409 || !strings.Contains(string(r.body), "quarantine holds") {
		t.Fatalf("release under hold: %d %s", r.status, r.body)
	}
	// A passing inspection does not lift the hold.
	f.apiPost(t, apiDecls+"/"+id+"/inspections", inspector, map[string]any{"result": "pass", "notes": "no findings"}, 200)
	if r := f.call(t, "POST", apiDecls+"/"+id+"/release", officer, nil); r.status != 409 {
		t.Fatalf("release after inspection, still held: %d", r.status)
	}
	if r := f.call(t, "POST", apiDecls+"/"+id+"/inspections", inspector, map[string]any{"result": "maybe"}); r.status != 400 {
		t.Fatalf("bad inspection: %d", r.status)
	}
	d = f.apiPost(t, apiDecls+"/"+id+"/sps-release", inspector, map[string]any{"note": "region confirmed FMD-free"}, 200)
	if d["sps"].(map[string]any)["status"] != "cleared" {
		t.Fatalf("after lifting: %v", d["sps"])
	}
	if d["status"] != "released" { // green or blue released themselves; others need the officer
		d = f.apiPost(t, apiDecls+"/"+id+"/release", officer, nil, 200)
	}
	if d["status"] != "released" {
		t.Fatalf("final %v", d["status"])
	}
}

// Pre-lodged declarations wait, amendable, until customs records the goods.
func TestAPICustomsPreLodgement(t *testing.T) {
	f := getFixture(t)
	trader := f.token(t, apiKGE, identity.Trader)
	officer := f.token(t, apiCustomsPO, identity.CustomsOfficer)
	c := apiSteelImport("KGE-PRE-1", "Kazakh Grain Export")
	c["arrival_expected_at"] = time.Now().Add(36 * time.Hour).UTC().Format(time.RFC3339)
	c["documents"] = []any{apiInlineDoc("commercial_invoice")}
	d := f.apiPost(t, apiDecls+"?submit=true", trader, c, 201)
	id := d["id"].(string)
	if d["status"] != "submitted" || d["assessment"] != nil {
		t.Fatalf("pre-lodged: %v", d)
	}
	delete(c, "documents")
	c["base_version"] = d["version"]
	c["goods_items"].([]map[string]any)[0]["tariff_quantity"] = 41
	if r := f.call(t, "PUT", apiDecls+"/"+id, trader, c); r.status != 200 {
		t.Fatalf("amend pre-lodged: %d %s", r.status, r.body)
	}
	if r := f.call(t, "POST", apiDecls+"/"+id+"/arrive", trader, nil); r.status != 403 {
		t.Fatalf("trader records arrival: %d", r.status)
	}
	if d := f.apiPost(t, apiDecls+"/"+id+"/arrive", officer, nil, 200); d["assessment"] == nil || d["status"] == "submitted" {
		t.Fatalf("after arrival: %v", d)
	}
	if r := f.call(t, "GET", apiDecls+"/"+id, trader, nil, "If-None-Match", `"`+fmt.Sprint(f.apiDecl(t, trader, id)["version"])+`"`); r.status != 304 {
		t.Fatalf("conditional get: %d", r.status)
	}
}

// Another organisation gets 404 for everything about a declaration;
// quarantine does not see declarations without SPS goods.
func TestAPICustomsOrgIsolation(t *testing.T) {
	f := getFixture(t)
	owner := f.token(t, apiSZD, identity.Trader)
	other := f.token(t, apiKGE, identity.Trader)
	inspector := f.token(t, apiSPSPO, identity.QuarantineOfficer)
	c := apiSteelImport("SZD-ISO-1", "Almaty Metals")
	c["documents"] = []any{apiInlineDoc("commercial_invoice")}
	d := f.apiPost(t, apiDecls+"?submit=true", owner, c, 201)
	id := d["id"].(string)
	docID := d["documents"].([]any)[0].(map[string]any)["id"].(string)
	for _, rq := range []struct{ method, path string }{
		{"GET", apiDecls + "/" + id}, {"GET", apiDecls + "/" + id + "/history"}, {"GET", apiDecls + "/" + id + "/events"},
		{"GET", apiDecls + "/" + id + "/documents/" + docID}, {"POST", apiDecls + "/" + id + "/cancel"},
		{"POST", apiDecls + "/" + id + "/guarantee"},
	} {
		var body any
		if rq.path == apiDecls+"/"+id+"/guarantee" {
			body = map[string]any{"guarantee_id": f.heldGuarantee(t, other)}
		}
		if r := f.call(t, rq.method, rq.path, other, body); r.status != 404 {
			t.Errorf("%s %s by another org: %d", rq.method, rq.path, r.status)
		}
	}
	amend := apiSteelImport("SZD-ISO-1", "Almaty Metals")
	amend["base_version"] = 1
	if r := f.call(t, "PUT", apiDecls+"/"+id, other, amend); r.status != 404 {
		t.Errorf("amend by another org: %d", r.status)
	}
	if r := f.call(t, "GET", apiDecls+"/"+id, inspector, nil); r.status != 404 {
		t.Errorf("quarantine sees non-SPS goods: %d", r.status)
	}
	if r := f.call(t, "GET", apiDecls+"?limit=200", other, nil); strings.Contains(string(r.body), id) {
		t.Error("another org lists the declaration")
	}
	if r := f.call(t, "GET", apiDecls+"/not-an-id", owner, nil); r.status != 404 {
		t.Errorf("malformed id: %d", r.status)
	}
}

// Bad input answers 400 with a message for the field at fault, and stores
// nothing.
func TestAPICustomsBadInputStoresNothing(t *testing.T) {
	f := getFixture(t)
	trader := f.token(t, apiKGE, identity.Trader)
	item := func(k string, v any) map[string]any {
		c := apiSteelImport("BAD-1", "Kazakh Grain Export")
		c["goods_items"].([]map[string]any)[0][k] = v
		return c
	}
	with := func(k string, v any) map[string]any {
		c := apiSteelImport("BAD-1", "Kazakh Grain Export")
		c[k] = v
		return c
	}
	transport := apiSteelImport("", "")["transport"].(map[string]any)
	badPost := map[string]any{}
	for k, v := range transport {
		badPost[k] = v
	}
	badPost["border_post"] = "KZXXX"
	cases := []struct {
		name  string
		body  any
		query string
		field string
	}{
		{"unknown HS code", item("classification_id", "999999"), "", "goods_items[0].classification_id"},
		{"unknown origin country", item("origin_country_code", "XX"), "", "goods_items[0].origin_country_code"},
		{"unknown party country", with("exporter", map[string]any{"name": "X", "country_code": "QQ"}), "", "exporter.country_code"},
		{"unknown location", with("transport", badPost), "", "transport.border_post"},
		{"inconsistent masses", item("gross_mass_measure", 1_000), "", "goods_items[0].gross_mass_measure"},
		{"unknown currency", item("customs_value_currency_id", "XYZ"), "", "goods_items[0].customs_value_currency_id"},
		{"unknown field", with("colour", "red"), "", "colour"},
		{"wrong type", item("tariff_quantity", "forty"), "", "goods_items.tariff_quantity"},
		{"malformed time", with("arrival_expected_at", "tomorrow"), "", "arrival_expected_at"},
		{"bad container", with("transport", map[string]any{"mode_code": "rail", "border_post": "KZDOS", "transport_equipment_ids": []string{"CSQU3054384"}}), "", "transport.transport_equipment_ids[0]"},
		{"bad submit flag", apiSteelImport("BAD-1", "Kazakh Grain Export"), "?submit=maybe", "submit"},
		{"bad inline document", with("documents", []any{map[string]any{"kind": "commercial_invoice", "filename": "a.pdf", "media_type": "application/pdf", "content_base64": "***"}}), "", "documents[0].content_base64"},
		{"inline document of the wrong type", with("documents", []any{map[string]any{"kind": "commercial_invoice", "filename": "a.pdf", "media_type": "application/pdf",
			"content_base64": base64.StdEncoding.EncodeToString([]byte("\x89PNG\r\n\x1a\nxxxx"))}}), "", "documents[0].content"},
		{"valid content, bad document, submit", with("documents", []any{map[string]any{"kind": "selfie", "filename": "a.pdf", "media_type": "application/pdf",
			"content_base64": base64.StdEncoding.EncodeToString(apiPDF)}}), "?submit=true", "documents[0].kind"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			n, docs, log := f.apiCount(t, "customs_declarations"), f.apiCount(t, "customs_documents"), f.auditCount(t)
			r := f.call(t, "POST", apiDecls+c.query, trader, c.body)
			if r.status != 400 || r.header.Get("Content-Type") != "application/problem+json" {
				t.Fatalf("%d %s", r.status, r.body)
			}
			errs, _ := r.json(t)["errors"].(map[string]any)
			if _, ok := errs[c.field]; !ok {
				t.Fatalf("no message for %s: %s", c.field, r.body)
			}
			if f.apiCount(t, "customs_declarations") != n || f.apiCount(t, "customs_documents") != docs || f.auditCount(t) != log {
				t.Fatal("bad input stored something")
			}
		})
	}
	// Documents: oversized, of the wrong type, of an unknown type.
	id := f.apiPost(t, apiDecls, trader, apiSteelImport("DOCS-1", "Kazakh Grain Export"), 201)["id"].(string)
	docs := f.apiCount(t, "customs_documents")
	big := append(append([]byte{}, apiPDF...), make([]byte, 10<<20)...)
	if r := f.apiUpload(t, trader, id, "commercial_invoice", "big.pdf", "application/pdf", big); r.status != 413 {
		t.Fatalf("oversized: %d %s", r.status, r.body)
	}
	if r := f.apiUpload(t, trader, id, "commercial_invoice", "photo.pdf", "application/pdf", []byte("\x89PNG\r\n\x1a\nrest")); r.status != 400 || !strings.Contains(string(r.body), `"content"`) {
		t.Fatalf("wrong type: %d %s", r.status, r.body)
	}
	if r := f.apiUpload(t, trader, id, "commercial_invoice", "tool.exe", "application/x-msdownload", []byte("MZ\x90\x00")); r.status != 400 || !strings.Contains(string(r.body), "media_type") {
		t.Fatalf("unknown type: %d %s", r.status, r.body)
	}
	if r := f.call(t, "POST", apiDecls+"/"+id+"/documents", trader, "plain", "Content-Type", "text/plain"); r.status != 400 {
		t.Fatalf("text body: %d", r.status)
	}
	if r := f.call(t, "POST", apiDecls+"/"+id+"/documents", trader, map[string]any{"kind": "packing_list", "filename": "p.xml",
		"media_type": "application/xml", "content_base64": base64.StdEncoding.EncodeToString([]byte("<packing/>"))}); r.status != 201 {
		t.Fatalf("JSON upload: %d %s", r.status, r.body)
	}
	if f.apiCount(t, "customs_documents") != docs+1 {
		t.Fatal("refused documents were stored")
	}
}

// apiSSEEvent is one parsed server-sent event.
type apiSSEEvent struct {
	id, event string
	data      map[string]any
}

// apiReadSSE parses events and comments from a stream into channels.
func apiReadSSE(body io.Reader, events chan<- apiSSEEvent, comments chan<- string) {
	sc := bufio.NewScanner(body)
	var ev apiSSEEvent
	for sc.Scan() {
		line := sc.Text()
		switch {
		case line == "":
			if ev.event != "" {
				events <- ev
			}
			ev = apiSSEEvent{}
		case strings.HasPrefix(line, ":"):
			select {
			case comments <- line:
			default:
			}
		case strings.HasPrefix(line, "id: "):
			ev.id = strings.TrimPrefix(line, "id: ")
		case strings.HasPrefix(line, "event: "):
			ev.event = strings.TrimPrefix(line, "event: ")
		case strings.HasPrefix(line, "data: "):
			json.Unmarshal([]byte(strings.TrimPrefix(line, "data: ")), &ev.data)
		}
	}
	close(events)
}

func TestAPICustomsEventStream(t *testing.T) {
	f := getFixture(t)
	old := sseHeartbeat.Load()
	sseHeartbeat.Store(int64(100 * time.Millisecond))
	defer sseHeartbeat.Store(old)
	trader := f.token(t, apiKGE, identity.Trader)
	c := apiSteelImport("KGE-SSE-1", "Kazakh Grain Export")
	c["documents"] = []any{apiInlineDoc("commercial_invoice")}
	id := f.apiPost(t, apiDecls, trader, c, 201)["id"].(string)

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", f.ts.URL+apiDecls+"/"+id+"/events", nil)
	req.Header.Set("Authorization", "Bearer "+trader)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/event-stream" {
		t.Fatalf("stream: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	events, comments := make(chan apiSSEEvent, 16), make(chan string, 16)
	go apiReadSSE(resp.Body, events, comments)
	next := func() apiSSEEvent {
		t.Helper()
		select {
		case ev, ok := <-events:
			if !ok {
				t.Fatal("stream ended")
			}
			return ev
		case <-time.After(5 * time.Second):
			t.Fatal("no event")
		}
		return apiSSEEvent{}
	}
	first := next()
	// The draft and its inline document are one change: version 1.
	if first.event != "status" || first.data["status"] != "draft" || first.data["action"] != "snapshot" || first.id != "1" {
		t.Fatalf("snapshot %+v", first)
	}
	f.apiPost(t, apiDecls+"/"+id+"/submit", trader, nil, 200)
	ev := next()
	if ev.data["action"] != "submit" || ev.data["declaration_id"] != id || ev.data["lane"] == nil || ev.data["risk_reasons"] != nil {
		t.Fatalf("status event %+v", ev)
	}
	if ev.data["status"] != "assessed" && ev.data["status"] != "documentary_check" && ev.data["status"] != "physical_inspection" {
		t.Fatalf("status %v", ev.data["status"])
	}
	select {
	case c := <-comments:
		if c != ": heartbeat" {
			t.Fatalf("comment %q", c)
		}
	case <-time.After(3 * time.Second):
		t.Fatal("no heartbeat")
	}
	// Leaving closes the subscription on the server.
	cancel()
	deadline := time.Now().Add(3 * time.Second)
	for f.srv.Notify.Subscribers() != 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := f.srv.Notify.Subscribers(); n != 0 {
		t.Fatalf("%d subscriptions left after the client left", n)
	}
	// A reconnecting client that has seen the current version gets no
	// snapshot again.
	d := f.apiDecl(t, trader, id)
	ctx2, cancel2 := context.WithTimeout(context.Background(), 400*time.Millisecond)
	defer cancel2()
	req, _ = http.NewRequestWithContext(ctx2, "GET", f.ts.URL+apiDecls+"/"+id+"/events", nil)
	req.Header.Set("Authorization", "Bearer "+trader)
	req.Header.Set("Last-Event-ID", fmt.Sprint(d["version"]))
	resp2, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp2.Body)
	resp2.Body.Close()
	if strings.Contains(string(b), "event: status") || !strings.Contains(string(b), ": heartbeat") {
		t.Fatalf("resumed stream: %q", b)
	}
}

// A webhook receives the organisation's events, signed; a receiver that
// fails first gets the delivery again after a backoff.
func TestAPICustomsWebhooks(t *testing.T) {
	f := getFixture(t)
	hub := f.srv.Notify
	hub.SetPolicy(notify.Policy{AllowPrivateNetworks: true, BaseBackoff: 100 * time.Millisecond, MaxAttempts: 5})
	defer hub.SetPolicy(notify.Policy{})
	hub.Start(context.Background())
	admin := f.token(t, apiKGE, identity.OrgAdmin)
	trader := f.token(t, apiKGE, identity.Trader)

	var mu sync.Mutex
	var secret string
	var received []notify.Event
	calls := 0
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		defer mu.Unlock()
		calls++
		if calls == 1 {
			http.Error(w, "warming up", http.StatusBadGateway)
			return
		}
		if err := notify.Verify(secret, r.Header.Get(notify.SignatureHeader), body, time.Now(), 5*time.Minute); err != nil {
			t.Errorf("signature: %v", err)
			http.Error(w, "bad signature", http.StatusUnauthorized)
			return
		}
		var ev notify.Event
		json.Unmarshal(body, &ev)
		received = append(received, ev)
		w.WriteHeader(http.StatusNoContent)
	}))
	defer recv.Close()

	if r := f.call(t, "POST", "/api/v1/notify/webhooks", admin, map[string]any{"url": "ftp://" + recv.Listener.Addr().String()}); r.status != 400 {
		t.Fatalf("ftp url: %d", r.status)
	}
	if r := f.call(t, "POST", "/api/v1/notify/webhooks", trader, map[string]any{"url": recv.URL}); r.status != 403 {
		t.Fatalf("trader creates webhook: %d", r.status)
	}
	created := f.apiPost(t, "/api/v1/notify/webhooks", admin, map[string]any{"url": recv.URL + "/bricstown", "description": "ERP"}, 201)
	hookID := created["id"].(string)
	mu.Lock()
	secret, _ = created["secret"].(string)
	mu.Unlock()
	if !strings.HasPrefix(secret, "whsec_") {
		t.Fatalf("created %v", created)
	}
	if l := f.call(t, "GET", "/api/v1/notify/webhooks", admin, nil); l.status != 200 || strings.Contains(string(l.body), secret) || !strings.Contains(string(l.body), hookID) {
		t.Fatalf("list shows the secret or misses the webhook: %s", l.body)
	}

	c := apiSteelImport("KGE-HOOK-1", "Kazakh Grain Export")
	c["documents"] = []any{apiInlineDoc("commercial_invoice")}
	id := f.apiPost(t, apiDecls+"?submit=true", trader, c, 201)["id"].(string)
	// Create, document and submit are one lodgement: one committed change,
	// one event, delivered on its second try.
	deadline := time.Now().Add(15 * time.Second)
	for {
		mu.Lock()
		n := len(received)
		mu.Unlock()
		if n >= 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d events received after %d calls", n, calls)
		}
		time.Sleep(20 * time.Millisecond)
	}
	mu.Lock()
	actions := map[string]bool{}
	for _, ev := range received {
		var data map[string]any
		json.Unmarshal(ev.Data, &data)
		if ev.Subject != id || ev.Type != EventTypeDeclaration || data["declaration_id"] != id || data["risk_reasons"] != nil {
			t.Errorf("event %+v", ev)
		}
		actions[data["action"].(string)] = true
	}
	mu.Unlock()
	if !actions["submit"] || len(actions) != 1 {
		t.Fatalf("actions %v: want the lodgement's one submit event", actions)
	}
	// The receiver has the event before the worker records the delivery:
	// wait for the record to say delivered.
	var log map[string]any
	var items []any
	for {
		log = f.call(t, "GET", "/api/v1/notify/deliveries?webhook_id="+hookID, admin, nil).json(t)
		items = log["items"].([]any)
		if len(items) == 1 && items[0].(map[string]any)["status"] == "delivered" || time.Now().After(deadline) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	retried := false
	for _, it := range items {
		d := it.(map[string]any)
		if d["status"] != "delivered" {
			t.Errorf("delivery %v", d)
		}
		if d["attempts"].(float64) >= 2 {
			retried = true
		}
	}
	if len(items) != 1 || !retried {
		t.Fatalf("delivery log %v", log)
	}
	// Another organisation neither sees nor deletes it.
	otherAdmin := f.token(t, apiSZD, identity.OrgAdmin)
	if r := f.call(t, "DELETE", "/api/v1/notify/webhooks/"+hookID, otherAdmin, nil); r.status != 404 {
		t.Fatalf("foreign delete: %d", r.status)
	}
	if r := f.call(t, "GET", "/api/v1/notify/deliveries", otherAdmin, nil); strings.Contains(string(r.body), hookID) {
		t.Fatal("another org sees the deliveries")
	}
	if r := f.call(t, "DELETE", "/api/v1/notify/webhooks/"+hookID, admin, nil); r.status != 204 {
		t.Fatalf("delete: %d", r.status)
	}
	if r := f.call(t, "DELETE", "/api/v1/notify/webhooks/"+hookID, admin, nil); r.status != 404 {
		t.Fatalf("second delete: %d", r.status)
	}
}

// The demo seeds a working centre: queues with work in them, a held
// consignment, released ones paid into the revenue account or guaranteed.
func TestAPICustomsDemoSeed(t *testing.T) {
	f := getFixture(t)
	officer := f.token(t, apiCustomsPO, identity.CustomsOfficer)
	inspector := f.token(t, apiSPSPO, identity.QuarantineOfficer)
	for lane, ref := range map[string]string{"yellow": "DEMO-GDT-0015", "red": "DEMO-SZD-0043"} {
		if r := f.call(t, "GET", "/api/v1/customs/queue?limit=200&lane="+lane, officer, nil); r.status != 200 || !strings.Contains(string(r.body), ref) {
			t.Errorf("%s queue lacks %s: %d", lane, ref, r.status)
		}
	}
	if r := f.call(t, "GET", "/api/v1/customs/quarantine/queue?limit=200", inspector, nil); !strings.Contains(string(r.body), "DEMO-CAE-0007") || !strings.Contains(string(r.body), `"sps_status":"held"`) {
		t.Errorf("quarantine queue: %s", r.body)
	}
	list := f.call(t, "GET", apiDecls+"?status=released&limit=200", officer, nil)
	for _, ref := range []string{"DEMO-KGE-0101", "DEMO-KGE-0102", "DEMO-SZD-0042", "DEMO-KGL-0301", "DEMO-KGL-0302"} {
		if !strings.Contains(string(list.body), ref) {
			t.Errorf("%s not released", ref)
		}
	}
	pre := f.call(t, "GET", apiDecls+"?status=submitted&limit=200", f.token(t, apiKGE, identity.Trader), nil)
	if !strings.Contains(string(pre.body), "DEMO-KGE-0103") {
		t.Error("no pre-lodged declaration")
	}
}
