// Package deal is the signing of investment agreements: the parties of a deal (organisations)
// sign one agreement document electronically, each with an Ed25519 signature over the
// document's SHA-256 digest, so anyone holding the document and the parties' public keys can
// check the signatures without asking the platform.
//
// Keys: each organisation registers Ed25519 public keys; the private keys never reach the
// platform. A signatory signs offline (`bricstown deal sign --key FILE --doc FILE`, or any tool
// that makes a raw Ed25519 signature, such as OpenSSL) and submits the signature; the server
// verifies it against the document it holds and a key of the signatory's own organisation before
// accepting it. Generating keys in the browser would need a JavaScript build step and would
// tempt keeping the private key beside the session; generating them on the server would put
// every organisation's private key, if only for a moment, in the platform's hands.
//
// The message signed is the 32-byte SHA-256 digest of the document, nothing else: the same
// document signed by the same key gives the same check anywhere, with no platform framing to
// reproduce.
package deal

import (
	"crypto/ed25519"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"strings"
	"time"
)

// Status is an agreement's life: open until every party has signed.
type Status string

// Statuses.
const (
	Open   Status = "open"
	Signed Status = "signed"
)

// Limits.
const (
	MaxDocument = 2 << 20 // bytes of an agreement document
	MaxParties  = 10
	MaxTitle    = 200
	MaxKeys     = 20 // keys an organisation may hold
)

// Key is an organisation's registered Ed25519 public key.
type Key struct {
	ID        string    `json:"id"`
	OrgID     string    `json:"org_id"`
	Label     string    `json:"label"`
	PublicKey string    `json:"public_key"` // standard base64 of the 32 raw bytes
	CreatedBy string    `json:"created_by"`
	CreatedAt time.Time `json:"created_at"`
}

// Agreement is one document and its parties' signatures.
type Agreement struct {
	ID         string    `json:"id"`
	Title      string    `json:"title"`
	CreatorOrg string    `json:"creator_org"`
	CreatedBy  string    `json:"created_by"`
	DocName    string    `json:"document_name"`
	DocSHA256  string    `json:"document_sha256"` // lower-case hex
	DocSize    int       `json:"document_size"`
	Status     Status    `json:"status"`
	CreatedAt  time.Time `json:"created_at"`
	SignedAt   time.Time `json:"signed_at,omitzero"`
	Parties    []Party   `json:"parties"`
}

// Party is one organisation of an agreement and, once it signed, its signature.
type Party struct {
	OrgID     string    `json:"org_id"`
	Signature string    `json:"signature,omitempty"` // standard base64 of the 64-byte signature
	KeyID     string    `json:"key_id,omitempty"`
	PublicKey string    `json:"public_key,omitempty"`
	SignedBy  string    `json:"signed_by,omitempty"`
	SignedAt  time.Time `json:"signed_at,omitzero"`
}

// Signed reports whether the party has signed.
func (p Party) Signed() bool { return p.Signature != "" }

// Digest is the SHA-256 of a document: the message every party signs.
func Digest(doc []byte) []byte {
	h := sha256.Sum256(doc)
	return h[:]
}

// DigestHex is Digest in lower-case hex, as agreements show it.
func DigestHex(doc []byte) string { return hex.EncodeToString(Digest(doc)) }

// Sign signs a document's digest.
func Sign(priv ed25519.PrivateKey, doc []byte) string {
	return base64.StdEncoding.EncodeToString(ed25519.Sign(priv, Digest(doc)))
}

// VerifyDigest checks a base64 signature over a hex digest with a base64 public key; any
// malformed input simply does not verify.
func VerifyDigest(publicKey, digestHex, signature string) bool {
	pub, err := ParsePublicKey(publicKey)
	if err != nil {
		return false
	}
	d, err := hex.DecodeString(strings.TrimSpace(digestHex))
	if err != nil || len(d) != sha256.Size {
		return false
	}
	sig, err := base64.StdEncoding.DecodeString(strings.TrimSpace(signature))
	if err != nil || len(sig) != ed25519.SignatureSize {
		return false
	}
	return ed25519.Verify(pub, d, sig)
}

var errKey = errors.New("not an Ed25519 public key (base64 of 32 bytes, or PEM)")

// ParsePublicKey reads a public key given as standard base64 of the 32 raw bytes or as a PEM
// "PUBLIC KEY" block (what `openssl pkey -pubout` writes).
func ParsePublicKey(s string) (ed25519.PublicKey, error) {
	s = strings.TrimSpace(s)
	if strings.HasPrefix(s, "-----BEGIN") {
		b, _ := pem.Decode([]byte(s))
		if b == nil {
			return nil, errKey
		}
		k, err := x509.ParsePKIXPublicKey(b.Bytes)
		if err != nil {
			return nil, errKey
		}
		if pub, ok := k.(ed25519.PublicKey); ok {
			return pub, nil
		}
		return nil, errKey
	}
	raw, err := base64.StdEncoding.DecodeString(s)
	if err != nil || len(raw) != ed25519.PublicKeySize {
		return nil, errKey
	}
	return ed25519.PublicKey(raw), nil
}

// EncodePublicKey is the platform's form of a public key.
func EncodePublicKey(pub ed25519.PublicKey) string { return base64.StdEncoding.EncodeToString(pub) }

// ParsePrivateKey reads a PEM "PRIVATE KEY" (PKCS #8, what `openssl genpkey -algorithm ed25519`
// and `bricstown deal keygen` write).
func ParsePrivateKey(pemText []byte) (ed25519.PrivateKey, error) {
	b, _ := pem.Decode(pemText)
	if b == nil {
		return nil, errors.New("no PEM block in the key file")
	}
	k, err := x509.ParsePKCS8PrivateKey(b.Bytes)
	if err != nil {
		return nil, err
	}
	priv, ok := k.(ed25519.PrivateKey)
	if !ok {
		return nil, errors.New("the key file holds no Ed25519 private key")
	}
	return priv, nil
}

// EncodePrivateKey writes a private key as PEM PKCS #8.
func EncodePrivateKey(priv ed25519.PrivateKey) ([]byte, error) {
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), nil
}

// Bundle is everything an outsider needs to check an agreement offline, with the document:
// the digest and, per party, its public key and signature.
type Bundle struct {
	AgreementID string        `json:"agreement_id"`
	Title       string        `json:"title"`
	DocSHA256   string        `json:"document_sha256"`
	Status      Status        `json:"status"`
	Signatures  []BundleEntry `json:"signatures"`
}

// BundleEntry is one party in a bundle.
type BundleEntry struct {
	OrgID     string    `json:"org_id"`
	OrgName   string    `json:"org_name,omitempty"`
	PublicKey string    `json:"public_key,omitempty"`
	Signature string    `json:"signature,omitempty"`
	SignedAt  time.Time `json:"signed_at,omitzero"`
}

// Check is the verdict on a document and a set of signatures.
type Check struct {
	DocSHA256 string `json:"document_sha256"`
	// DigestMatches is false when a bundle's digest is not the document's (the document changed).
	DigestMatches bool         `json:"digest_matches"`
	Results       []CheckEntry `json:"results"`
	// Valid is true when the digest matches and every signature verifies (and there is one).
	Valid bool `json:"valid"`
}

// CheckEntry is one signature's verdict.
type CheckEntry struct {
	OrgID     string `json:"org_id,omitempty"`
	PublicKey string `json:"public_key"`
	Valid     bool   `json:"valid"`
}

// VerifyBundle checks a document against a bundle with no platform involved: the document's
// digest must equal the bundle's, and each signature must verify under its public key. An
// unsigned party makes the bundle invalid.
func VerifyBundle(doc []byte, b Bundle) Check {
	c := Check{DocSHA256: DigestHex(doc)}
	c.DigestMatches = b.DocSHA256 == "" || strings.EqualFold(strings.TrimSpace(b.DocSHA256), c.DocSHA256)
	c.Valid = c.DigestMatches && len(b.Signatures) > 0
	for _, e := range b.Signatures {
		ok := VerifyDigest(e.PublicKey, c.DocSHA256, e.Signature)
		c.Results = append(c.Results, CheckEntry{OrgID: e.OrgID, PublicKey: e.PublicKey, Valid: ok})
		c.Valid = c.Valid && ok
	}
	return c
}
