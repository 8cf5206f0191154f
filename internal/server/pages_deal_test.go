package server

import (
	"crypto/ed25519"
	"crypto/sha256"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"bricstown/internal/deal"
)

// demoKey is the demo's signing key of org (internal/demo derives it from the name).
func demoKey(org string) ed25519.PrivateKey {
	seed := sha256.Sum256([]byte("bricstown demo signing key/" + org))
	return ed25519.NewKeyFromSeed(seed[:])
}

// The agreements pages: a party sees the demo agreement, an outsider does not; a trader drafts
// one, its administrator's wrong signature is refused on the page and the right one recorded;
// the public page verifies the bundle against the document, and a changed document fails.
func TestDealPages(t *testing.T) {
	f := getFixture(t)
	kgeAdmin := f.cpBrowser(t, "admin@kazgrain.kz")
	kgeTrader := f.cpBrowser(t, "trader@kazgrain.kz")
	outsider := f.cpBrowser(t, "trader@szdevices.cn")

	r := kgeAdmin.get(t, "/deal")
	wantIn(t, r, 200, "Investment agreements", "Khorgos grain drying plant", "Signed by all parties", "Cerrado soybean crushing line", "Awaiting signatures", `id="key-form"`)
	m := regexp.MustCompile(`<a href="/deal/agreements/([0-9a-f-]{36})">Khorgos grain`).FindStringSubmatch(string(r.body))
	if m == nil {
		t.Fatalf("no demo agreement: %s", excerpt(r.body))
	}
	demoID := m[1]
	wantIn(t, outsider.get(t, "/deal/agreements/"+demoID), 404)
	wantIn(t, outsider.get(t, "/deal/agreements/"+demoID+"/document"), 404)
	if strings.Contains(string(outsider.get(t, "/deal").body), "Khorgos grain") {
		t.Fatal("an outsider's list shows another organisation's agreement")
	}
	wantIn(t, kgeAdmin.get(t, "/deal/agreements/"+demoID), 200, "Siberian Energy Trading", "Kazakh Grain Export", `id="doc-sha"`, `id="bundle-link"`)
	// The trader drafts (no key form for a trader), and cannot sign.
	r = kgeTrader.get(t, "/deal")
	if strings.Contains(string(r.body), `id="key-form"`) {
		t.Fatal("a trader is offered the key form")
	}
	text := "Memorandum: Kazakh Grain Export and Shenzhen Smart Devices study a grain-sorting line with optical sensors.\n"
	r = kgeTrader.cpMultipart(t, "/deal/agreements", url.Values{"title": {"Optical sorting memorandum"}, "parties": {f.orgs[apiSZD].ID}},
		cpUpload{"document", "memo.txt", "text/plain", []byte(text)})
	r = kgeTrader.followDone(t, r)
	wantIn(t, r, 200, "Optical sorting memorandum", "The agreement is drafted.", deal.DigestHex([]byte(text)), "memo.txt")
	id := regexp.MustCompile(`/deal/agreements/([0-9a-f-]{36})/document`).FindStringSubmatch(string(r.body))[1]
	wantIn(t, kgeTrader.post(t, "/deal/agreements/"+id+"/sign", url.Values{"signature": {"x"}}), 403)
	// The administrator: a signature over another text is refused, the right one recorded.
	page := kgeAdmin.get(t, "/deal/agreements/"+id)
	wantIn(t, page, 200, `id="sign-form"`)
	keyID := regexp.MustCompile(`<option value="([0-9a-f-]{36})">`).FindStringSubmatch(string(page.body))[1]
	priv := demoKey("Kazakh Grain Export")
	wantIn(t, kgeAdmin.post(t, "/deal/agreements/"+id+"/sign", url.Values{"key_id": {keyID}, "signature": {deal.Sign(priv, []byte("another text"))}}),
		400, `id="sign-error"`, "does not verify")
	r = kgeAdmin.followDone(t, kgeAdmin.post(t, "/deal/agreements/"+id+"/sign", url.Values{"key_id": {keyID}, "signature": {deal.Sign(priv, []byte(text))}}))
	wantIn(t, r, 200, "Your signature is verified and recorded.", "Awaiting signatures")

	// The public check of the demo agreement, by someone not signed in.
	bundle := kgeAdmin.get(t, "/deal/agreements/"+demoID+"/bundle")
	doc := kgeAdmin.get(t, "/deal/agreements/"+demoID+"/document")
	if bundle.status != 200 || doc.status != 200 {
		t.Fatalf("bundle %d, document %d", bundle.status, doc.status)
	}
	anon := &browser{f: f, cookie: "bricstown_lang=en"}
	wantIn(t, anon.get(t, "/deal/verify"), 200, `id="verify-form"`)
	wantIn(t, anon.cpMultipart(t, "/deal/verify", url.Values{"bundle": {string(bundle.body)}}, cpUpload{"document", "a.txt", "text/plain", doc.body}),
		200, `id="verdict" class="badge signed"`, "Siberian Energy Trading")
	changed := strings.Replace(string(doc.body), "35%", "53%", 1)
	wantIn(t, anon.cpMultipart(t, "/deal/verify", url.Values{"bundle": {string(bundle.body)}}, cpUpload{"document", "a.txt", "text/plain", []byte(changed)}),
		200, `id="verdict" class="badge refused"`, `id="digest-mismatch"`)
}
