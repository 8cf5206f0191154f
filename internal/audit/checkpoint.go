package audit

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"strconv"
	"time"
)

// The hash chain alone proves only that the stored entries agree with each
// other: whoever can write the database can change an old entry and
// recompute every later hash, and the chain verifies again. A checkpoint
// closes that gap. It is the head of the chain (sequence number and hash)
// signed with an Ed25519 key that lives outside the database, so rewriting
// any entry at or below a checkpoint's sequence number, or truncating the
// log below it, is detected by whoever holds the matching public key.
// Entries appended after the newest checkpoint are protected only by the
// chain until the next checkpoint is signed.

// CheckpointFormat names the checkpoint file format and is the first line of
// the signed message, so that a signature over anything else never verifies
// as a checkpoint.
const CheckpointFormat = "bricstown-audit-checkpoint/1"

// Checkpoint is a signed statement "entry Seq of the audit log has hash
// Head", made at time At by the key KeyID.
type Checkpoint struct {
	Seq       int64
	Head      []byte
	At        time.Time
	KeyID     string
	Signature []byte
}

// KeyID names a public key in checkpoints and messages: "ed25519:" and the
// first 8 bytes of the SHA-256 of the key, in hex. It is informative only;
// verification always uses the public key the verifier was given.
func KeyID(pub ed25519.PublicKey) string {
	sum := sha256.Sum256(pub)
	return "ed25519:" + hex.EncodeToString(sum[:8])
}

// message is the exact byte string that is signed: one field per line, in a
// fixed order, so that no JSON canonicalisation is needed.
func (c Checkpoint) message() []byte {
	var b bytes.Buffer
	b.WriteString(CheckpointFormat + "\n")
	b.WriteString("seq " + strconv.FormatInt(c.Seq, 10) + "\n")
	b.WriteString("head " + hex.EncodeToString(c.Head) + "\n")
	b.WriteString("at " + c.At.UTC().Format(time.RFC3339Nano) + "\n")
	b.WriteString("key " + c.KeyID + "\n")
	return b.Bytes()
}

// SignCheckpoint signs the statement that entry seq has hash head. The
// caller must have verified the chain up to seq first: a checkpoint vouches
// for whatever it is given.
func SignCheckpoint(priv ed25519.PrivateKey, seq int64, head []byte, at time.Time) Checkpoint {
	c := Checkpoint{
		Seq:   seq,
		Head:  append([]byte(nil), head...),
		At:    at.UTC().Truncate(time.Microsecond),
		KeyID: KeyID(priv.Public().(ed25519.PublicKey)),
	}
	c.Signature = ed25519.Sign(priv, c.message())
	return c
}

// ErrBadSignature means a checkpoint was not signed by the given key, or was
// changed after signing.
var ErrBadSignature = errors.New("audit: checkpoint signature does not verify with the given public key")

// Verify checks the signature against pub.
func (c Checkpoint) Verify(pub ed25519.PublicKey) error {
	if len(pub) != ed25519.PublicKeySize {
		return fmt.Errorf("audit: public key has %d bytes, want %d", len(pub), ed25519.PublicKeySize)
	}
	if !ed25519.Verify(pub, c.message(), c.Signature) {
		if c.KeyID != KeyID(pub) {
			return fmt.Errorf("%w (checkpoint names key %s, the given key is %s)", ErrBadSignature, c.KeyID, KeyID(pub))
		}
		return ErrBadSignature
	}
	return nil
}

// checkpointJSON is the file form: small, line-oriented JSON that a person
// can read and any tool can parse.
type checkpointJSON struct {
	Format    string `json:"format"`
	Seq       int64  `json:"seq"`
	Head      string `json:"head"`
	At        string `json:"at"`
	Key       string `json:"key"`
	Signature string `json:"signature"`
}

// MarshalJSON writes the checkpoint file form.
func (c Checkpoint) MarshalJSON() ([]byte, error) {
	return json.MarshalIndent(checkpointJSON{
		Format:    CheckpointFormat,
		Seq:       c.Seq,
		Head:      hex.EncodeToString(c.Head),
		At:        c.At.UTC().Format(time.RFC3339Nano),
		Key:       c.KeyID,
		Signature: base64.StdEncoding.EncodeToString(c.Signature),
	}, "", "  ")
}

// UnmarshalJSON reads the checkpoint file form. It checks the shape only;
// Verify checks the signature.
func (c *Checkpoint) UnmarshalJSON(data []byte) error {
	var j checkpointJSON
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&j); err != nil {
		return fmt.Errorf("audit: checkpoint: %w", err)
	}
	if j.Format != CheckpointFormat {
		return fmt.Errorf("audit: checkpoint: format %q, want %q", j.Format, CheckpointFormat)
	}
	if j.Seq < 1 {
		return fmt.Errorf("audit: checkpoint: seq %d, want at least 1", j.Seq)
	}
	head, err := hex.DecodeString(j.Head)
	if err != nil || len(head) != sha256.Size {
		return fmt.Errorf("audit: checkpoint: head is not a hex SHA-256")
	}
	at, err := time.Parse(time.RFC3339Nano, j.At)
	if err != nil {
		return fmt.Errorf("audit: checkpoint: at: %w", err)
	}
	sig, err := base64.StdEncoding.DecodeString(j.Signature)
	if err != nil || len(sig) != ed25519.SignatureSize {
		return fmt.Errorf("audit: checkpoint: signature is not a base64 Ed25519 signature")
	}
	*c = Checkpoint{Seq: j.Seq, Head: head, At: at.UTC(), KeyID: j.Key, Signature: sig}
	return nil
}

// ParseCheckpoint reads a checkpoint file.
func ParseCheckpoint(data []byte) (Checkpoint, error) {
	var c Checkpoint
	err := c.UnmarshalJSON(data)
	return c, err
}

// GenerateKey makes a new signing key and returns the private key as a
// PKCS#8 PEM block and the public key as a PKIX PEM block, the forms that
// openssl and other tools read too.
func GenerateKey(rand io.Reader) (privPEM, pubPEM []byte, err error) {
	pub, priv, err := ed25519.GenerateKey(rand)
	if err != nil {
		return nil, nil, err
	}
	p8, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return nil, nil, err
	}
	pk, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return nil, nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: p8}),
		pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pk}), nil
}

// ParsePrivateKey reads a PKCS#8 PEM Ed25519 private key.
func ParsePrivateKey(data []byte) (ed25519.PrivateKey, error) {
	b, _ := pem.Decode(data)
	if b == nil || b.Type != "PRIVATE KEY" {
		return nil, errors.New("audit: not a PEM \"PRIVATE KEY\" file")
	}
	k, err := x509.ParsePKCS8PrivateKey(b.Bytes)
	if err != nil {
		return nil, fmt.Errorf("audit: private key: %w", err)
	}
	priv, ok := k.(ed25519.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("audit: private key is %T, want Ed25519", k)
	}
	return priv, nil
}

// ParsePublicKey reads a PKIX PEM Ed25519 public key.
func ParsePublicKey(data []byte) (ed25519.PublicKey, error) {
	b, _ := pem.Decode(data)
	if b == nil || b.Type != "PUBLIC KEY" {
		return nil, errors.New("audit: not a PEM \"PUBLIC KEY\" file")
	}
	k, err := x509.ParsePKIXPublicKey(b.Bytes)
	if err != nil {
		return nil, fmt.Errorf("audit: public key: %w", err)
	}
	pub, ok := k.(ed25519.PublicKey)
	if !ok {
		return nil, fmt.Errorf("audit: public key is %T, want Ed25519", k)
	}
	return pub, nil
}

// Anchor makes the verifier hold the chain to signed checkpoints whose
// signatures the caller has verified: the entry at each checkpoint's
// sequence number must have the signed hash, and Finish refuses a log that
// ends below a checkpoint.
func (v *Verifier) Anchor(cps ...Checkpoint) {
	if v.anchors == nil {
		v.anchors = map[int64][]byte{}
	}
	for _, c := range cps {
		if prev, ok := v.anchors[c.Seq]; ok && !equal(prev, c.Head) {
			// Two validly signed checkpoints that disagree: keep both
			// facts visible by making the entry fail either way.
			v.anchors[c.Seq] = nil
			continue
		}
		v.anchors[c.Seq] = c.Head
		v.maxAnchor = max(v.maxAnchor, c.Seq)
	}
}

// checkAnchor is called for each entry whose chain links were verified.
func (v *Verifier) checkAnchor(e Entry) error {
	want, ok := v.anchors[e.Seq]
	if !ok {
		return nil
	}
	if !equal(want, e.Hash) {
		return &Problem{Seq: e.Seq, Reason: fmt.Sprintf("hash %s differs from the signed checkpoint's %s: the log was rewritten", short(e.Hash), short(want))}
	}
	v.anchored++
	return nil
}

// Finish reports what a streamed check cannot see entry by entry: a log that
// ends below a signed checkpoint was truncated.
func (v *Verifier) Finish() error {
	if last := v.nextSeq - 1; last < v.maxAnchor {
		return &Problem{Seq: last + 1, Reason: fmt.Sprintf("missing: the log ends at entry %d but a signed checkpoint covers entry %d: the log was truncated", last, v.maxAnchor)}
	}
	return nil
}

// Anchored is how many checkpoints matched their entries.
func (v *Verifier) Anchored() int { return v.anchored }

// VerifyAnchored checks every checkpoint's signature with pub, then walks
// the whole chain holding it to the checkpoints. progress, if not nil, is
// called after each entry (for a progress line on long logs).
func VerifyAnchored(ctx context.Context, s Store, pub ed25519.PublicKey, cps []Checkpoint, progress func(*Verifier)) (*Verifier, error) {
	v := NewVerifier()
	for i, c := range cps {
		if err := c.Verify(pub); err != nil {
			return v, fmt.Errorf("checkpoint %d (seq %d): %w", i+1, c.Seq, err)
		}
	}
	v.Anchor(cps...)
	err := s.EachAudit(ctx, func(e Entry) error {
		if err := v.Check(e); err != nil {
			return err
		}
		if progress != nil {
			progress(v)
		}
		return nil
	})
	if err != nil {
		return v, err
	}
	return v, v.Finish()
}
