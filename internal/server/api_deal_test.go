package server

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"testing"

	"bricstown/internal/deal"
	"bricstown/internal/identity"
)

// dealKey registers a fresh key pair for tok's organisation and returns its id and private key.
func (f *fixture) dealKey(t *testing.T, tok string) (string, ed25519.PrivateKey) {
	t.Helper()
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	r := f.call(t, "POST", "/api/v1/deal/keys", tok, map[string]any{"label": "test", "public_key": deal.EncodePublicKey(pub)})
	if r.status != 201 {
		t.Fatalf("register key: %d %s", r.status, r.body)
	}
	return r.json(t)["id"].(string), priv
}

// Investment agreements over HTTP, the forbidden cases first: an outsider neither sees nor signs,
// a trader does not sign, a party cannot sign with another's key or over another document, a
// party signs once; then both parties sign, and the public check accepts the document and
// refuses a tampered one.
func TestAPIDealForbiddenThenSigned(t *testing.T) {
	f := getFixture(t)
	kgeAdmin := f.token(t, apiKGE, identity.OrgAdmin)
	kgeTrader := f.token(t, apiKGE, identity.Trader)
	szdAdmin := f.token(t, apiSZD, identity.OrgAdmin)
	outsider := f.token(t, "Volga Trade Bank", identity.OrgAdmin)
	kgeKey, kgePriv := f.dealKey(t, kgeAdmin)
	szdKey, szdPriv := f.dealKey(t, szdAdmin)
	outKey, outPriv := f.dealKey(t, outsider)

	if r := f.call(t, "POST", "/api/v1/deal/keys", kgeTrader, map[string]any{"label": "x", "public_key": "AAAA"}); r.status != 403 {
		t.Fatalf("trader registers a key: %d", r.status)
	}
	doc := []byte("Share purchase agreement: Shenzhen Smart Devices invests USD 2,000,000 in Kazakh Grain Export.\n")
	r := f.call(t, "POST", "/api/v1/deal/agreements", kgeTrader, map[string]any{"title": "SZD stake in KGE", "parties": []string{f.orgs[apiSZD].ID},
		"document_name": "spa.txt", "document_base64": base64.StdEncoding.EncodeToString(doc)})
	if r.status != 201 {
		t.Fatalf("draft: %d %s", r.status, r.body)
	}
	id := r.json(t)["id"].(string)
	if r.json(t)["document_sha256"] != deal.DigestHex(doc) {
		t.Fatalf("digest %v", r.json(t)["document_sha256"])
	}
	sign := func(tok, key string, sig string) response {
		return f.call(t, "POST", "/api/v1/deal/agreements/"+id+"/signatures", tok, map[string]any{"key_id": key, "signature": sig})
	}

	// Outsiders: the agreement does not exist for them, anonymous callers are refused.
	for _, path := range []string{"", "/document", "/bundle"} {
		if r := f.call(t, "GET", "/api/v1/deal/agreements/"+id+path, outsider, nil); r.status != 404 {
			t.Fatalf("outsider GET %s: %d", path, r.status)
		}
		if r := f.call(t, "GET", "/api/v1/deal/agreements/"+id+path, "", nil); r.status != 401 {
			t.Fatalf("anonymous GET %s: %d", path, r.status)
		}
	}
	if r := sign(outsider, outKey, deal.Sign(outPriv, doc)); r.status != 404 {
		t.Fatalf("outsider signs: %d %s", r.status, r.body)
	}
	for _, it := range f.call(t, "GET", "/api/v1/deal/agreements", outsider, nil).json(t)["items"].([]any) {
		if it.(map[string]any)["id"] == id {
			t.Fatal("the outsider's list shows the agreement")
		}
	}
	// A trader of a party does not bind it.
	if r := sign(kgeTrader, kgeKey, deal.Sign(kgePriv, doc)); r.status != 403 {
		t.Fatalf("trader signs: %d", r.status)
	}
	// Refused signatures: another org's key (named or used), another document.
	for name, r := range map[string]response{
		"another party's key id": sign(kgeAdmin, szdKey, deal.Sign(szdPriv, doc)),
		"another party's key":    sign(kgeAdmin, kgeKey, deal.Sign(szdPriv, doc)),
		"an outsider's key":      sign(kgeAdmin, outKey, deal.Sign(outPriv, doc)),
		"another document":       sign(kgeAdmin, kgeKey, deal.Sign(kgePriv, []byte("Share purchase agreement: USD 20."))),
	} {
		if r.status < 400 || r.status >= 500 || r.json(t)["code"] != "invalid" {
			t.Fatalf("%s: %d %s", name, r.status, r.body)
		}
	}
	got := f.call(t, "GET", "/api/v1/deal/agreements/"+id, szdAdmin, nil).json(t)
	for _, p := range got["parties"].([]any) {
		if p.(map[string]any)["signature"] != nil {
			t.Fatalf("a refused signature was stored: %v", got)
		}
	}

	// Kazakh Grain Export signs, once.
	if r := sign(kgeAdmin, kgeKey, deal.Sign(kgePriv, doc)); r.status != 200 || r.json(t)["status"] != "open" {
		t.Fatalf("first signature: %d %s", r.status, r.body)
	}
	if r := sign(kgeAdmin, kgeKey, deal.Sign(kgePriv, doc)); r.status != 409 {
		t.Fatalf("second signature of the same party: %d", r.status)
	}
	// Shenzhen Smart Devices signs: the agreement is signed.
	if r := sign(szdAdmin, szdKey, deal.Sign(szdPriv, doc)); r.status != 200 || r.json(t)["status"] != "signed" {
		t.Fatalf("last signature: %d %s", r.status, r.body)
	}
	d := f.call(t, "GET", "/api/v1/deal/agreements/"+id+"/document", szdAdmin, nil)
	if d.status != 200 || string(d.body) != string(doc) || d.header.Get("X-Content-SHA256") != deal.DigestHex(doc) {
		t.Fatalf("document: %d %q", d.status, d.body)
	}
	b := f.call(t, "GET", "/api/v1/deal/agreements/"+id+"/bundle", kgeTrader, nil)
	if b.status != 200 {
		t.Fatalf("bundle: %d %s", b.status, b.body)
	}
	sigs := b.json(t)["signatures"]
	check := func(document []byte) map[string]any {
		r := f.call(t, "POST", "/api/v1/deal/verify", "", map[string]any{"document_base64": base64.StdEncoding.EncodeToString(document),
			"document_sha256": b.json(t)["document_sha256"], "signatures": sigs})
		if r.status != 200 {
			t.Fatalf("verify: %d %s", r.status, r.body)
		}
		return r.json(t)
	}
	if c := check(doc); c["valid"] != true {
		t.Fatalf("signed document does not verify: %v", c)
	}
	tampered := append([]byte(nil), doc...)
	tampered[len(tampered)-3] = '1'
	if c := check(tampered); c["valid"] != false || c["digest_matches"] != false {
		t.Fatalf("tampered document verifies: %v", c)
	}
	if r := f.call(t, "POST", "/api/v1/deal/verify", "", map[string]any{"signatures": sigs}); r.status < 400 || r.status >= 500 {
		t.Fatalf("verify without a document: %d", r.status)
	}
}
