package audit

import (
	"crypto/rand"
	"errors"
	"strings"
	"testing"
	"time"
)

// chain builds n correctly chained entries.
func chain(n int) []Entry {
	prev := GenesisHash
	at := time.Date(2026, 12, 6, 10, 0, 0, 0, time.UTC)
	var out []Entry
	for i := 1; i <= n; i++ {
		r := Record{ActorUser: "u", Action: "x", Detail: strings.Repeat("d", i)}
		h := ComputeHash(prev, int64(i), at, r)
		out = append(out, Entry{Seq: int64(i), At: at, Record: r, PrevHash: prev, Hash: h})
		prev = h
	}
	return out
}

func TestKeyFilesRoundTrip(t *testing.T) {
	privPEM, pubPEM, err := GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	priv, err := ParsePrivateKey(privPEM)
	if err != nil {
		t.Fatal(err)
	}
	pub, err := ParsePublicKey(pubPEM)
	if err != nil {
		t.Fatal(err)
	}
	if !pub.Equal(priv.Public()) {
		t.Fatal("public key file does not match the private key")
	}
	if _, err := ParsePrivateKey(pubPEM); err == nil {
		t.Fatal("a public key file was accepted as a private key")
	}
	if _, err := ParsePublicKey(privPEM); err == nil {
		t.Fatal("a private key file was accepted as a public key")
	}
}

func TestCheckpointSignature(t *testing.T) {
	privPEM, pubPEM, _ := GenerateKey(rand.Reader)
	priv, _ := ParsePrivateKey(privPEM)
	pub, _ := ParsePublicKey(pubPEM)
	es := chain(3)
	cp := SignCheckpoint(priv, 3, es[2].Hash, time.Now())
	data, err := cp.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	back, err := ParseCheckpoint(data)
	if err != nil {
		t.Fatal(err)
	}
	if err := back.Verify(pub); err != nil {
		t.Fatalf("honest checkpoint: %v", err)
	}
	// Every signed field is covered by the signature.
	for name, change := range map[string]func(*Checkpoint){
		"seq":  func(c *Checkpoint) { c.Seq++ },
		"head": func(c *Checkpoint) { c.Head = es[1].Hash },
		"at":   func(c *Checkpoint) { c.At = c.At.Add(time.Second) },
		"key":  func(c *Checkpoint) { c.KeyID = "ed25519:0000000000000000" },
	} {
		c := back
		change(&c)
		if err := c.Verify(pub); !errors.Is(err, ErrBadSignature) {
			t.Errorf("changed %s: %v, want a bad signature", name, err)
		}
	}
	_, otherPEM, _ := GenerateKey(rand.Reader)
	other, _ := ParsePublicKey(otherPEM)
	if err := back.Verify(other); !errors.Is(err, ErrBadSignature) || !strings.Contains(err.Error(), KeyID(other)) {
		t.Fatalf("another key: %v, want a bad signature naming both keys", err)
	}
	for _, bad := range []string{
		`{}`,
		strings.Replace(string(data), CheckpointFormat, "something-else/1", 1),
		strings.Replace(string(data), `"seq": 3`, `"seq": 0`, 1),
		strings.Replace(string(data), `"format"`, `"extra": 1, "format"`, 1),
	} {
		if _, err := ParseCheckpoint([]byte(bad)); err == nil {
			t.Errorf("accepted a malformed checkpoint:\n%s", bad)
		}
	}
}

func TestVerifierAnchors(t *testing.T) {
	es := chain(6)
	run := func(entries []Entry, anchors ...Checkpoint) (*Verifier, error) {
		v := NewVerifier()
		v.Anchor(anchors...)
		for _, e := range entries {
			if err := v.Check(e); err != nil {
				return v, err
			}
		}
		return v, v.Finish()
	}
	at4 := Checkpoint{Seq: 4, Head: es[3].Hash}
	if v, err := run(es, at4); err != nil || v.Anchored() != 1 {
		t.Fatalf("honest: %v (anchored %d)", err, v.Anchored())
	}
	var p *Problem
	if _, err := run(es[:3], at4); !errors.As(err, &p) || p.Seq != 4 {
		t.Fatalf("truncated below the anchor: %v", err)
	}
	wrong := Checkpoint{Seq: 4, Head: es[2].Hash}
	if _, err := run(es, wrong); !errors.As(err, &p) || p.Seq != 4 {
		t.Fatalf("anchor disagrees with entry 4: %v", err)
	}
	// Two signed checkpoints disagreeing about one entry: neither wins.
	if _, err := run(es, at4, wrong); !errors.As(err, &p) || p.Seq != 4 {
		t.Fatalf("contradicting anchors: %v", err)
	}
}
