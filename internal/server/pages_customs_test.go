package server

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"mime/multipart"
	"net/textproto"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"bricstown/internal/identity"
)

// cpSessions caches the customs tests' signed-in browsers. They sign in
// through the identity service rather than the login form: the form's
// per-address rate limit is shared by every test of the package.
var cpSessions sync.Map

func (f *fixture) cpBrowser(t *testing.T, email string) *browser {
	t.Helper()
	if b, ok := cpSessions.Load(email); ok {
		return b.(*browser)
	}
	secret, sess, _, err := f.ids.Login(context.Background(), email, "bricstown-demo", "192.0.2.1")
	if err != nil {
		t.Fatalf("sign in %s: %v", email, err)
	}
	b := &browser{f: f, cookie: SessionCookie + "=" + secret + "; bricstown_lang=en", csrf: sess.CSRFToken}
	cpSessions.Store(email, b)
	return b
}

// cpUpload is one file of a multipart form.
type cpUpload struct {
	field, name, contentType string
	body                     []byte
}

// cpMultipart posts a form with files as a browser does.
func (b *browser) cpMultipart(t *testing.T, path string, fields url.Values, files ...cpUpload) response {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	_ = mw.WriteField("csrf_token", b.csrf)
	for k, vs := range fields {
		for _, v := range vs {
			_ = mw.WriteField(k, v)
		}
	}
	for _, f := range files {
		h := textproto.MIMEHeader{}
		h.Set("Content-Disposition", fmt.Sprintf(`form-data; name="%s"; filename="%s"`, f.field, f.name))
		h.Set("Content-Type", f.contentType)
		w, _ := mw.CreatePart(h)
		w.Write(f.body)
	}
	mw.Close()
	return b.f.call(t, "POST", path, "", buf.Bytes(), "Content-Type", mw.FormDataContentType(), "Cookie", b.cookie, "Accept-Language", "en")
}

func cpPDF(title string) []byte {
	return []byte("%PDF-1.7\n% " + title + "\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n")
}

// cpForm is a complete declaration form for one goods item.
func cpForm(ref, procedure, hs, origin, desc string, extra ...string) url.Values {
	v := url.Values{
		"functional_reference_id": {ref}, "procedure": {procedure}, "trade_terms_condition_code": {"FCA"},
		"exporter.name": {"Kazakh Grain Export"}, "exporter.id": {"170440000054"}, "exporter.country_code": {"KZ"},
		"importer.name": {"Xinjiang Grain Trading"}, "importer.country_code": {"CN"},
		"declarant.name": {"Kazakh Grain Export"}, "declarant.country_code": {"KZ"},
		"transport.mode_code": {"road"}, "transport.border_post": {"KZHOR"}, "transport.border_transport_means_id": {"KZ 123 ABC 02"},
		"item_count":                 {"1"},
		"goods_items[0].description": {desc}, "goods_items[0].classification_id": {hs}, "goods_items[0].origin_country_code": {origin},
		"goods_items[0].tariff_quantity": {"25000"}, "goods_items[0].tariff_quantity_unit_code": {"KGM"},
		"goods_items[0].net_net_weight_measure": {"25000"}, "goods_items[0].gross_mass_measure": {"25100.5"},
		"goods_items[0].customs_value_amount": {"6250.00"}, "goods_items[0].customs_value_currency_id": {"USD"},
	}
	for i := 0; i+1 < len(extra); i += 2 {
		v.Set(extra[i], extra[i+1])
	}
	return v
}

var cpLocation = regexp.MustCompile(`^/customs/([0-9a-f-]{36})\?done=(\w+)$`)

// cpLodged posts a form and returns the new declaration's id from the redirect.
func cpLodged(t *testing.T, r response, done string) string {
	t.Helper()
	if r.status != 303 {
		t.Fatalf("want a redirect, got %d: %s", r.status, excerpt(r.body))
	}
	m := cpLocation.FindStringSubmatch(r.header.Get("Location"))
	if m == nil || m[2] != done {
		t.Fatalf("redirect to %q, want /customs/{id}?done=%s", r.header.Get("Location"), done)
	}
	return m[1]
}

func TestCustomsPagesDeclarationForm(t *testing.T) {
	f := getFixture(t)
	trader := f.cpBrowser(t, "trader@kazgrain.kz")
	stamp := fmt.Sprint(time.Now().UnixNano() % 1e9)

	// The list and the empty form, with the own organisation filled in.
	r := trader.get(t, "/customs")
	wantIn(t, r, 200, "My customs declarations", `href="/customs/new"`, `href="/customs" aria-current="page"`)
	r = trader.get(t, "/customs/new")
	wantIn(t, r, 200, "New customs declaration", `name="goods_items[0].classification_id"`, `value="Kazakh Grain Export"`,
		`enctype="multipart/form-data"`, `name="csrf_token" value="`+trader.csrf+`"`, `<option value="KZHOR"`[:0], `value="KZHOR"`,
		"up to 10.0 MB per file", `hx-get="/customs/hs?row=0"`)

	// Bad input: messages beside the fields and in the summary; the form
	// keeps what was typed; nothing is stored.
	before := f.auditCount(t)
	bad := cpForm("KGE-BAD-"+stamp, "export", "999999", "", "Wheat that will not pass",
		"goods_items[0].net_net_weight_measure", "abc", "transport.border_post", "ZZZZZ", "op", "save")
	r = trader.post(t, "/customs/new", bad)
	wantIn(t, r, 400, `class="field-error"`, `aria-invalid="true"`, `id="error-summary"`, "Goods item 1:",
		"Enter an HS 2022 code of 6 to 10 digits.", "Choose the country of origin.", "Enter the net mass in kilograms",
		"Enter the UN/LOCODE of a border post", `value="Wheat that will not pass"`, `href="#f-goods_items-0-classification_id"`)
	if f.auditCount(t) != before {
		t.Fatal("a refused form stored something")
	}

	// Adding a goods row and removing it again keeps the form, saving nothing.
	r = trader.post(t, "/customs/new", cpForm("KGE-ROWS-"+stamp, "export", "100199", "KZ", "Milling wheat", "op", "add_item"))
	wantIn(t, r, 200, `name="goods_items[1].description"`, `value="Milling wheat"`, `name="item_count" value="2"`)
	two := cpForm("KGE-ROWS-"+stamp, "export", "100199", "KZ", "Milling wheat", "op", "remove:0", "item_count", "2",
		"goods_items[1].description", "Barley")
	r = trader.post(t, "/customs/new", two)
	wantIn(t, r, 200, `value="Barley"`, `name="item_count" value="1"`)
	if strings.Contains(string(r.body), `value="Milling wheat"`) {
		t.Error("the removed row is still there")
	}

	// The HS look-up without JavaScript: a row's search lists pickable
	// codes, and picking one fills the row in.
	r = trader.post(t, "/customs/new", cpForm("KGE-HS-"+stamp, "export", "", "KZ", "Milling wheat", "op", "hs:0", "goods_items[0].hs_q", "wheat"))
	wantIn(t, r, 200, `value="pick:0:100199"`, "Wheat and meslin")
	r = trader.post(t, "/customs/new", cpForm("KGE-HS-"+stamp, "export", "", "KZ", "Milling wheat", "op", "pick:0:100199"))
	wantIn(t, r, 200, `name="goods_items[0].classification_id" id="f-goods_items-0-classification_id" value="100199"`, "Cereals")

	// The estimate, with the duty-free export paying the fee only.
	r = trader.post(t, "/customs/new", cpForm("KGE-EST-"+stamp, "export", "100199", "KZ", "Milling wheat", "op", "estimate"))
	wantIn(t, r, 200, `id="estimate-table"`, `id="estimate-total">20,000.00 KZT`, "Phytosanitary certificate")
	r = trader.post(t, "/customs/estimate", cpForm("KGE-EST-"+stamp, "import", "100199", "CN", "Milling wheat",
		"importer.name", "Kazakh Grain Export", "importer.country_code", "KZ", "exporter.name", "Xinjiang Grain Trading", "exporter.country_code", "CN"),
		"HX-Request", "true")
	wantIn(t, r, 200, `id="estimate-table"`, "ad valorem", "VAT")
	if strings.Contains(string(r.body), "<html") {
		t.Error("the htmx estimate answered a whole page")
	}
	if f.auditCount(t) != before {
		t.Fatal("the form's helper buttons stored something")
	}

	// Submitting once: the form with its documents lodges the declaration.
	invoice, phyto := cpPDF("invoice "+stamp), cpPDF("phytosanitary "+stamp)
	good := cpForm("KGE-WHEAT-"+stamp, "export", "100199", "KZ", "Milling wheat, class 3", "op", "submit",
		"doc_kind_0", "commercial_invoice", "doc_ref_0", "INV-"+stamp, "doc_kind_1", "phytosanitary_certificate", "doc_ref_1", "PC-"+stamp)
	r = trader.cpMultipart(t, "/customs/new", good,
		cpUpload{"doc_file_0", "invoice.pdf", "application/pdf", invoice}, cpUpload{"doc_file_1", "phyto.pdf", "application/octet-stream", phyto})
	id := cpLodged(t, r, "submitted")
	sum := sha256.Sum256(phyto)
	r = trader.get(t, "/customs/"+id+"?done=submitted")
	wantIn(t, r, 200, "The declaration has been submitted to customs.", "KGE-WHEAT-"+stamp, "Submitted", "Duties assessed",
		hex.EncodeToString(sum[:]), "Phytosanitary certificate", "Milling wheat, class 3", `sse-connect="/api/v1/customs/declarations/`+id+`/events"`,
		`hx-get="/customs/`+id+`/live?v=`, "/static/vendor/sse.js", "20,000.00 KZT", `id="guarantee-form"`)
	if strings.Contains(string(r.body), `id="risk"`) {
		t.Error("a trader sees the risk findings")
	}
	// The list shows it with its timeline; copying reuses its goods.
	r = trader.get(t, "/customs")
	wantIn(t, r, 200, `id="decl-`+id+`"`, "KGE-WHEAT-"+stamp, `class="steps mini"`, `href="/customs/new?from=`+id+`"`)
	r = trader.get(t, "/customs/new?from="+id)
	wantIn(t, r, 200, "Copied from declaration", `value="Milling wheat, class 3"`, `value="100199"`, `name="functional_reference_id" id="f-functional_reference_id" value=""`)
	// The documents download with their bytes.
	r = trader.get(t, "/customs/"+id)
	docLink := regexp.MustCompile(`href="(/customs/` + id + `/documents/[0-9a-f-]+)" download>phyto.pdf`).FindStringSubmatch(string(r.body))
	if docLink == nil {
		t.Fatal("no document link")
	}
	r = trader.get(t, docLink[1])
	if r.status != 200 || !bytes.Equal(r.body, phyto) || !strings.HasPrefix(r.header.Get("Content-Disposition"), "attachment") {
		t.Fatalf("document download: %d %q", r.status, r.header.Get("Content-Disposition"))
	}
	// The live block: nothing new for the version shown; the block otherwise.
	r = trader.get(t, "/customs/"+id)
	ver := regexp.MustCompile(`/live\?v=(\d+)`).FindStringSubmatch(string(r.body))
	if ver == nil {
		t.Fatal("no live block")
	}
	if rr := trader.get(t, "/customs/"+id+"/live?v="+ver[1], "HX-Request", "true"); rr.status != 204 {
		t.Errorf("unchanged live block: %d", rr.status)
	}
	// A version other than the current one (the lodged filing is version 1)
	// answers the block, marked stale.
	shown, _ := strconv.Atoi(ver[1])
	wantIn(t, trader.get(t, "/customs/"+id+"/live?v="+strconv.Itoa(shown+1), "HX-Request", "true"), 200, `id="status-badge"`, `id="stale"`)

	// Another company cannot see it, nor act on it; an officer's pages are
	// closed to traders.
	energy := f.cpBrowser(t, "trader@sibenergy.ru")
	for _, p := range []string{"/customs/" + id, "/customs/" + id + "/edit", "/customs/new?from=" + id, docLink[1], "/customs/" + id + "/live"} {
		if r := energy.get(t, p); r.status != 404 {
			t.Errorf("another company opened %s: %d", p, r.status)
		}
	}
	if r := energy.post(t, "/customs/"+id+"/cancel", url.Values{}); r.status != 404 {
		t.Errorf("another company cancelled: %d", r.status)
	}
	if r := trader.get(t, "/customs/console"); r.status != 403 {
		t.Errorf("a trader opened the console: %d", r.status)
	}
	if r := trader.get(t, "/customs/quarantine"); r.status != 403 {
		t.Errorf("a trader opened the quarantine queue: %d", r.status)
	}
	if r := trader.post(t, "/customs/"+id+"/release", url.Values{}); r.status != 403 {
		t.Errorf("a trader released: %d", r.status)
	}
	// The organisation's administrator acts as its declarant.
	admin := f.cpBrowser(t, "admin@kazgrain.kz")
	wantIn(t, admin.get(t, "/customs"), 200, "KGE-WHEAT-"+stamp)
}

func TestCustomsPagesLookups(t *testing.T) {
	f := getFixture(t)
	trader := f.cpBrowser(t, "trader@kazgrain.kz")
	r := trader.get(t, "/customs/hs?q=wheat", "HX-Request", "true")
	wantIn(t, r, 200, "1001", "Wheat and meslin", `value="pick:0:100199"`)
	if strings.Contains(string(r.body), "<html") {
		t.Error("the partial answered a whole page")
	}
	r = trader.get(t, "/customs/hs?row=2&"+url.Values{"goods_items[2].hs_q": {"1001"}}.Encode())
	wantIn(t, r, 200, `value="pick:2:100199"`, `value="pick:2:100111"`)
	// In Russian, words find the chapter by its translated title.
	r = trader.get(t, "/customs/hs?lang=ru&"+url.Values{"q": {"злаки"}}.Encode())
	wantIn(t, r, 200, "Злаки", "<code>10</code>")
	r = trader.get(t, "/customs/hs?q=qqqqzzzz")
	wantIn(t, r, 200, "Nothing found.")
	r = trader.get(t, "/customs/locations?post_q=Horgos")
	wantIn(t, r, 200, `value="pickpost:KZHOR"`)
}

func TestCustomsPagesOfficerReleases(t *testing.T) {
	f := getFixture(t)
	trader := f.cpBrowser(t, "trader@kazgrain.kz")
	officer := f.cpBrowser(t, "officer@customs.kz")
	stamp := fmt.Sprint(time.Now().UnixNano() % 1e9)
	ref := "KGE-PHONES-" + stamp
	form := cpForm(ref, "import", "851713", "CN", "Smartphones, 5G", "op", "submit",
		"exporter.name", "Shenzhen Smart Devices", "exporter.country_code", "CN", "importer.name", "Kazakh Grain Export", "importer.country_code", "KZ",
		"trade_terms_condition_code", "CPT", "goods_items[0].tariff_quantity", "1000", "goods_items[0].tariff_quantity_unit_code", "NAR",
		"goods_items[0].net_net_weight_measure", "200", "goods_items[0].gross_mass_measure", "260", "goods_items[0].customs_value_amount", "150000.00")
	id := cpLodged(t, trader.post(t, "/customs/new", form), "submitted")

	// The console lists it under control, with the dashboard one tab away.
	r := officer.get(t, "/customs/console")
	wantIn(t, r, 200, "Customs console", `id="row-`+id+`"`, ref, `href="/customs/console" aria-current="page"`, "Under control")
	dash := officer.get(t, "/customs/console?tab=dashboard")
	wantIn(t, dash, 200, "chart--donut", `id="lane-stats"`, "Green lane")
	// Release times are drawn only when they compare something; the test
	// town releases within seconds, so the card says why there is no chart.
	if b := string(dash.body); strings.Contains(b, `id="release-empty"`) == strings.Contains(b, "chart--bar") {
		t.Errorf("the time-to-release card is neither a chart nor an explanation: %s", excerpt(dash.body))
	}
	wantIn(t, officer.get(t, "/customs/console?tab=aeo"), 200, `id="aeo-form"`, "Kazakh Grain Export")
	// Trusted-trader status: granted and withdrawn again, recorded each time.
	gujarat := f.orgs["Gujarat Textile Mills"].ID
	r = officer.post(t, "/customs/aeo", url.Values{"org_id": {gujarat}, "aeo": {"grant"}, "note": {"audited " + stamp}})
	wantIn(t, officer.follow(t, r), 200, "The trusted-trader decision has been recorded.", "audited "+stamp)
	r = officer.post(t, "/customs/aeo", url.Values{"org_id": {gujarat}, "aeo": {"withdraw"}, "note": {"lapsed " + stamp}})
	wantIn(t, officer.follow(t, r), 200, "lapsed "+stamp, "withdrawn")
	wantIn(t, officer.post(t, "/customs/aeo", url.Values{"org_id": {"nope"}, "aeo": {"grant"}}), 400, "Choose an organisation.")
	r = officer.get(t, "/customs/"+id)
	wantIn(t, r, 200, `id="risk"`, `id="decide-form"`, `id="release-form"`, ref)

	// Release is refused while the duties are not covered; the page says why.
	r = officer.post(t, "/customs/"+id+"/release", url.Values{})
	wantIn(t, r, 409, "The duties are neither paid nor guaranteed.")
	// A refusal needs a reason.
	wantIn(t, officer.post(t, "/customs/"+id+"/refuse", url.Values{}), 400, "Give the reason")

	// The officer orders a documentary check; the trader guarantees the
	// duties; the officer releases from the yellow queue.
	r = officer.post(t, "/customs/"+id+"/decide", url.Values{"lane": {"yellow"}, "reason": {"check the invoice"}})
	wantIn(t, officer.follow(t, r), 200, "The lane has been changed.", "Documentary check")
	r = trader.get(t, "/customs/"+id)
	gid := regexp.MustCompile(`<select name="guarantee_id" id="g-id" required><option value="([0-9a-f-]{36})"`).FindStringSubmatch(string(r.body))
	if gid == nil {
		t.Fatalf("no guarantee form: %s", excerpt(r.body))
	}
	// A made-up guarantee is refused and covers nothing.
	wantIn(t, trader.post(t, "/customs/"+id+"/guarantee", url.Values{"guarantee_id": {"BG-" + stamp}}), 404)
	wantIn(t, officer.post(t, "/customs/"+id+"/release", url.Values{}), 409, "The duties are neither paid nor guaranteed.")
	r = trader.post(t, "/customs/"+id+"/guarantee", url.Values{"guarantee_id": {gid[1]}})
	wantIn(t, trader.follow(t, r), 200, "The duties have been drawn from the guarantee.", "Duties drawn from guarantee STB-BG-")
	r = officer.get(t, "/customs/console?tab=yellow")
	wantIn(t, r, 200, `id="row-`+id+`"`)
	r = officer.post(t, "/customs/"+id+"/release", url.Values{"note": {"documents in order"}, "return": {"/customs/console?tab=yellow"}})
	if loc := r.header.Get("Location"); r.status != 303 || !strings.HasPrefix(loc, "/customs/console?tab=yellow&") {
		t.Fatalf("release: %d %q %s", r.status, loc, excerpt(r.body))
	}
	wantIn(t, officer.follow(t, r), 200, "The goods have been released.")
	wantIn(t, trader.get(t, "/customs/"+id), 200, "Released by customs", `class="badge big green" id="status-badge">Released`)
	// A return address elsewhere is ignored.
	if r := officer.post(t, "/customs/"+id+"/refuse", url.Values{"reason": {"late"}, "return": {"https://evil.example/"}}); r.status != 409 {
		t.Errorf("refusing a released declaration: %d", r.status)
	}
}

func TestCustomsPagesPreLodgement(t *testing.T) {
	f := getFixture(t)
	trader := f.cpBrowser(t, "trader@kazgrain.kz")
	officer := f.cpBrowser(t, "officer@customs.kz")
	stamp := fmt.Sprint(time.Now().UnixNano() % 1e9)
	arrival := time.Now().UTC().Add(48 * time.Hour).Format("2006-01-02T15:04")
	form := cpForm("KGE-PRE-"+stamp, "transit", "720810", "CN", "Hot-rolled steel coils", "op", "submit", "arrival_expected_at", arrival)
	id := cpLodged(t, trader.post(t, "/customs/new", form), "submitted")
	wantIn(t, trader.get(t, "/customs/"+id), 200, `id="prelodged"`, "Lodged", `id="edit"`)
	// Still amendable: the edit form shows it; the officer records arrival.
	wantIn(t, trader.get(t, "/customs/"+id+"/edit"), 200, "Amend declaration", `value="Hot-rolled steel coils"`, "Save amendment")
	ver := regexp.MustCompile(`name="base_version" value="(\d+)"`).FindStringSubmatch(string(trader.get(t, "/customs/"+id+"/edit").body))
	amend := cpForm("KGE-PRE-"+stamp, "transit", "720810", "CN", "Hot-rolled steel coils, 2 mm", "op", "save", "arrival_expected_at", arrival,
		"base_version", ver[1], "note", "thickness added")
	r := trader.post(t, "/customs/"+id+"/edit", amend)
	wantIn(t, trader.follow(t, r), 200, "The declaration has been saved.", "Amended", `id="amendments"`, "thickness added", "Hot-rolled steel coils, 2 mm")
	// A stale version is refused rather than overwriting the newer one.
	wantIn(t, trader.post(t, "/customs/"+id+"/edit", amend), 409, "reload it and amend again")
	wantIn(t, officer.get(t, "/customs/console?tab=prelodged"), 200, `id="row-`+id+`"`, `action="/customs/`+id+`/present"`)
	r = officer.post(t, "/customs/"+id+"/present", url.Values{})
	wantIn(t, officer.follow(t, r), 200, "recorded as presented", "Goods presented", "Duties assessed")
}

func TestCustomsPagesQuarantineInspection(t *testing.T) {
	f := getFixture(t)
	trader := f.cpBrowser(t, "trader@kazgrain.kz")
	inspector := f.cpBrowser(t, "inspector@sps.kz")
	stamp := fmt.Sprint(time.Now().UnixNano() % 1e9)
	ref := "KGE-BEEF-" + stamp
	// Chilled beef: a veterinary certificate, and an inspection every time.
	form := cpForm(ref, "import", "020130", "BR", "Beef, boneless, chilled", "op", "submit",
		"exporter.name", "Cerrado Agro Exportadora", "exporter.country_code", "BR", "importer.name", "Kazakh Grain Export", "importer.country_code", "KZ",
		"trade_terms_condition_code", "CIF", "doc_kind_0", "veterinary_certificate", "doc_kind_1", "commercial_invoice")
	// Without the certificate the submission is refused, naming it, and
	// nothing is stored: a new declaration is lodged whole or not at all.
	before := f.auditCount(t)
	r := trader.post(t, "/customs/new", form)
	wantIn(t, r, 400, "Veterinary certificate", "Attach the certificates quarantine requires.")
	if regexp.MustCompile(`action="/customs/([0-9a-f-]{36})/`).Match(r.body) || f.auditCount(t) != before {
		t.Fatal("the refused submission stored a draft")
	}
	r = trader.cpMultipart(t, "/customs/new", form, cpUpload{"doc_file_0", "vet.pdf", "application/pdf", cpPDF("vet " + stamp)})
	id := cpLodged(t, r, "submitted")
	wantIn(t, trader.get(t, "/customs/"+id+"?done=submitted"), 200, "The declaration has been submitted to customs.", "awaiting inspection")

	// The inspector's queue has it, with its goods and certificate.
	r = inspector.get(t, "/customs/quarantine")
	wantIn(t, r, 200, "Quarantine queue", `id="row-`+id+`"`, ref, "Beef, boneless, chilled", "Veterinary certificate", `href="/customs/quarantine" aria-current="page"`)
	if r := inspector.get(t, "/customs/console"); r.status != 403 {
		t.Errorf("an inspector opened the console: %d", r.status)
	}
	// A bad record is refused beside its field; a good one clears the goods.
	r = inspector.post(t, "/customs/"+id+"/inspection", url.Values{"result": {"pass"}, "lab_outcome": {"pass"}})
	wantIn(t, r, 400, "With samples taken choose the laboratory result")
	r = inspector.post(t, "/customs/"+id+"/inspection", url.Values{"result": {"pass"}, "notes": {"seals intact, temperature 2 °C"}, "return": {"/customs/quarantine"}})
	wantIn(t, inspector.follow(t, r), 200, "The inspection has been recorded.")
	r = inspector.get(t, "/customs/"+id)
	wantIn(t, r, 200, "seals intact, temperature 2 °C", "cleared", "Quarantine inspection recorded")
	if strings.Contains(string(r.body), `id="row-`+id+`"`) {
		t.Error("unexpected")
	}
	if r := inspector.get(t, "/customs/quarantine"); strings.Contains(string(r.body), `id="row-`+id+`"`) {
		t.Error("a cleared declaration stays in the quarantine queue")
	}
	// The hold and its release.
	r = inspector.post(t, "/customs/"+id+"/hold", url.Values{"reason": {"lab recall"}})
	wantIn(t, inspector.follow(t, r), 200, "The goods are on quarantine hold.")
	r = inspector.post(t, "/customs/"+id+"/hold/release", url.Values{"note": {"recall withdrawn"}})
	wantIn(t, inspector.follow(t, r), 200, "The quarantine hold has been lifted.")
}

func TestCustomsPagesInOtherLanguages(t *testing.T) {
	f := getFixture(t)
	trader := f.cpBrowser(t, "trader@kazgrain.kz")
	r := trader.get(t, "/customs/new?lang=ru")
	wantIn(t, r, 200, "таможенн", "Экспорт")
	officer := f.cpBrowser(t, "officer@customs.kz")
	wantIn(t, officer.get(t, "/customs/console?tab=dashboard&lang=zh"), 200, "通道")
}

func TestCustomsPagesPayFromLedger(t *testing.T) {
	f := getFixture(t)
	trader := f.cpBrowser(t, "trader@kazgrain.kz")
	officer := f.cpBrowser(t, "officer@customs.kz")
	stamp := fmt.Sprint(time.Now().UnixNano() % 1e9)
	// A funded KZT account of the trader's own.
	bankTok := f.token(t, "Steppe Commercial Bank", identity.BankOperator)
	vault := f.openAccount(t, bankTok, "KZT", false)
	mine := f.openAccount(t, f.token(t, "Kazakh Grain Export", identity.Trader), "KZT", true)
	fund := map[string]any{"transfers": []map[string]any{{"id": v7(), "debit_account_id": vault, "credit_account_id": mine,
		"amount": "50000.00", "currency": "KZT", "reference": "customs float"}}}
	if got := results(t, f.call(t, "POST", "/api/v1/ledger/transfers", bankTok, fund)); got[0] != "ok" {
		t.Fatalf("funding: %v", got)
	}
	form := cpForm("KGE-PAY-"+stamp, "transit", "720810", "CN", "Steel coils in transit", "op", "submit")
	id := cpLodged(t, trader.post(t, "/customs/new", form), "submitted")
	// Held on the yellow lane, so that paying does not release by itself.
	r := officer.post(t, "/customs/"+id+"/decide", url.Values{"lane": {"yellow"}, "reason": {"sample check"}})
	if r.status != 303 {
		t.Fatalf("decide: %d %s", r.status, excerpt(r.body))
	}
	r = trader.get(t, "/customs/"+id)
	wantIn(t, r, 200, `id="pay-form"`, "20,000.00 KZT")
	if !strings.Contains(string(r.body), `<option value="`+mine+`"`) {
		t.Fatalf("the funded KZT account is not offered: %s", excerpt(r.body))
	}
	// Someone else's account is refused beside the field.
	wantIn(t, trader.post(t, "/customs/"+id+"/pay", url.Values{"from_account_id": {v7()}}), 400, `class="field-error"`)
	r = trader.post(t, "/customs/"+id+"/pay", url.Values{"from_account_id": {mine}})
	wantIn(t, trader.follow(t, r), 200, "The duties have been paid.", `id="payment"`, "Duties paid")
}
