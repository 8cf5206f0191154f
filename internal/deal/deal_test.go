package deal

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"testing"
)

// Keys read in both forms the platform accepts, and what is not an Ed25519 key is refused.
func TestParsePublicKey(t *testing.T) {
	pub, _, _ := ed25519.GenerateKey(rand.Reader)
	der, _ := x509.MarshalPKIXPublicKey(pub)
	pemText := string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))
	for _, s := range []string{EncodePublicKey(pub), pemText, "  " + EncodePublicKey(pub) + "\n"} {
		got, err := ParsePublicKey(s)
		if err != nil || !got.Equal(pub) {
			t.Fatalf("%q: %v", s, err)
		}
	}
	for _, s := range []string{"", "AAAA", "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n", EncodePublicKey(pub)[:40]} {
		if _, err := ParsePublicKey(s); err == nil {
			t.Fatalf("%q accepted", s)
		}
	}
}

// A signature verifies only for its document and its key; the bundle check also needs the
// document's digest to be the bundle's and every party to have signed.
func TestSignatureAndBundle(t *testing.T) {
	pubA, privA, _ := ed25519.GenerateKey(rand.Reader)
	pubB, privB, _ := ed25519.GenerateKey(rand.Reader)
	doc := []byte("terms")
	sigA, sigB := Sign(privA, doc), Sign(privB, doc)
	if !VerifyDigest(EncodePublicKey(pubA), DigestHex(doc), sigA) {
		t.Fatal("a good signature does not verify")
	}
	if VerifyDigest(EncodePublicKey(pubB), DigestHex(doc), sigA) || VerifyDigest(EncodePublicKey(pubA), DigestHex([]byte("terms!")), sigA) ||
		VerifyDigest(EncodePublicKey(pubA), "zz", sigA) || VerifyDigest(EncodePublicKey(pubA), DigestHex(doc), "!!") {
		t.Fatal("a signature verifies for another key or document, or garbage verifies")
	}
	b := Bundle{DocSHA256: DigestHex(doc), Signatures: []BundleEntry{{PublicKey: EncodePublicKey(pubA), Signature: sigA}, {PublicKey: EncodePublicKey(pubB), Signature: sigB}}}
	if c := VerifyBundle(doc, b); !c.Valid {
		t.Fatalf("good bundle: %+v", c)
	}
	if c := VerifyBundle([]byte("Terms"), b); c.Valid || c.DigestMatches {
		t.Fatalf("changed document: %+v", c)
	}
	b.Signatures[1].Signature = ""
	if c := VerifyBundle(doc, b); c.Valid || c.Results[1].Valid || !c.Results[0].Valid {
		t.Fatalf("unsigned party: %+v", c)
	}
	if c := VerifyBundle(doc, Bundle{DocSHA256: DigestHex(doc)}); c.Valid {
		t.Fatal("a bundle without signatures is valid")
	}
	// The PEM private key round-trips.
	p, err := EncodePrivateKey(privA)
	if err != nil {
		t.Fatal(err)
	}
	if back, err := ParsePrivateKey(p); err != nil || !back.Equal(privA) {
		t.Fatalf("private key round trip: %v", err)
	}
}
