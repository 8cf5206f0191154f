// Package audit keeps the platform's append-only record of state changes.
//
// Every change to platform state writes one Entry in the same database
// transaction as the change itself, so the log can neither miss a change nor
// record one that did not happen. Entries form a hash chain: each carries the
// SHA-256 of its predecessor, so altering or deleting any stored entry is
// detected by Verify.
package audit

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"time"
)

// Record is what a domain operation says about itself; the store turns it
// into an Entry by giving it a sequence number and chaining it.
type Record struct {
	ActorUser   string // user id, or "system" for scheduled work
	ActorOrg    string
	Action      string // verb in the domain's words, e.g. "org.create"
	SubjectType string // e.g. "org", "user", "api_token"
	SubjectID   string
	OrgID       string // whose private record this is ("" for town-wide)
	Before      string // reference to the state before (status, version, hash)
	After       string // reference to the state after
	Detail      string // short human-readable detail, never secrets
}

// Entry is a stored, chained Record.
type Entry struct {
	Seq int64
	At  time.Time
	Record
	PrevHash []byte
	Hash     []byte
}

// GenesisHash is the predecessor hash of the first entry.
var GenesisHash = make([]byte, sha256.Size)

// ComputeHash is the chain function. Every field is length-prefixed so that
// moving bytes between adjacent fields changes the hash.
func ComputeHash(prev []byte, seq int64, at time.Time, r Record) []byte {
	h := sha256.New()
	var buf [8]byte
	writeField := func(b []byte) {
		binary.BigEndian.PutUint64(buf[:], uint64(len(b)))
		h.Write(buf[:])
		h.Write(b)
	}
	writeField(prev)
	binary.BigEndian.PutUint64(buf[:], uint64(seq))
	writeField(buf[:])
	binary.BigEndian.PutUint64(buf[:], uint64(at.UnixMicro()))
	writeField(buf[:])
	for _, s := range []string{r.ActorUser, r.ActorOrg, r.Action, r.SubjectType, r.SubjectID, r.OrgID, r.Before, r.After, r.Detail} {
		writeField([]byte(s))
	}
	return h.Sum(nil)
}

// Problem describes the first place where the stored chain is broken.
type Problem struct {
	Seq    int64
	Reason string
}

func (p *Problem) Error() string { return fmt.Sprintf("audit: entry %d: %s", p.Seq, p.Reason) }

// Verifier checks entries streamed in sequence order, so that a log of any
// length can be verified in constant memory.
type Verifier struct {
	prev    []byte
	nextSeq int64
	count   int64

	anchors   map[int64][]byte // seq → signed hash, from checkpoints
	maxAnchor int64
	anchored  int
}

// NewVerifier starts at the genesis of the chain.
func NewVerifier() *Verifier { return &Verifier{prev: GenesisHash, nextSeq: 1} }

// NewVerifierAt resumes after entry seq whose hash is head, typically a
// signed checkpoint's: the entries after it must chain onto it.
func NewVerifierAt(seq int64, head []byte) *Verifier {
	return &Verifier{prev: append([]byte(nil), head...), nextSeq: seq + 1}
}

// Check consumes the next entry; the first error is the chain's first break.
func (v *Verifier) Check(e Entry) error {
	if e.Seq != v.nextSeq {
		if e.Seq > v.nextSeq {
			return &Problem{Seq: v.nextSeq, Reason: fmt.Sprintf("missing (next stored entry is %d)", e.Seq)}
		}
		return &Problem{Seq: e.Seq, Reason: "out of order or duplicated"}
	}
	if !equal(e.PrevHash, v.prev) {
		return &Problem{Seq: e.Seq, Reason: "predecessor hash does not match the previous entry"}
	}
	want := ComputeHash(e.PrevHash, e.Seq, e.At, e.Record)
	if !equal(want, e.Hash) {
		return &Problem{Seq: e.Seq, Reason: fmt.Sprintf("contents altered (hash %s, recomputed %s)", short(e.Hash), short(want))}
	}
	if err := v.checkAnchor(e); err != nil {
		return err
	}
	v.prev = e.Hash
	v.nextSeq++
	v.count++
	return nil
}

// Count is how many entries were verified.
func (v *Verifier) Count() int64 { return v.count }

// Head is the hash of the last verified entry; a signed checkpoint of it
// (see SignCheckpoint) makes rewriting and truncation detectable too.
func (v *Verifier) Head() string { return hex.EncodeToString(v.prev) }

// HeadHash is Head as bytes.
func (v *Verifier) HeadHash() []byte { return append([]byte(nil), v.prev...) }

// Seq is the sequence number of the last verified entry (0 before any).
func (v *Verifier) Seq() int64 { return v.nextSeq - 1 }

func equal(a, b []byte) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func short(b []byte) string {
	s := hex.EncodeToString(b)
	if len(s) > 12 {
		s = s[:12]
	}
	return s
}

// Filter narrows a listing of the log.
type Filter struct {
	OrgID string // "" means every org (platform administrators only)
	After int64  // cursor: entries with Seq below this (newest first); 0 = newest
	Limit int

	// The filters a person narrows the log with; empty ones match all.
	ActorUser   string
	Action      string // an exact action, or a prefix ending in "." ("ledger.")
	SubjectType string
	SubjectID   string
	From, To    time.Time // From inclusive, To exclusive; zero = unbounded
}

// Store is the audit log's storage.
type Store interface {
	// ListAudit returns entries newest first.
	ListAudit(ctx context.Context, f Filter) ([]Entry, error)
	// EachAudit streams every entry in sequence order.
	EachAudit(ctx context.Context, fn func(Entry) error) error
}

// Verify walks the whole stored chain.
func Verify(ctx context.Context, s Store) (*Verifier, error) {
	v := NewVerifier()
	err := s.EachAudit(ctx, v.Check)
	return v, err
}
