package sqlstore

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"bricstown/internal/audit"
)

// appendN records n audit entries, each in its own transaction.
func appendN(t *testing.T, db *DB, from, n int) {
	t.Helper()
	for i := from; i < from+n; i++ {
		rec := audit.Record{ActorUser: "u1", ActorOrg: "o1", Action: "test.event", SubjectType: "thing",
			SubjectID: fmt.Sprintf("t%d", i), OrgID: "o1", After: "v1", Detail: fmt.Sprintf("event %d", i)}
		if err := db.AppendAudit(context.Background(), rec); err != nil {
			t.Fatal(err)
		}
	}
}

// checkpointNow verifies the chain and signs its head, as `audit
// checkpoint` does.
func checkpointNow(t *testing.T, db *DB, priv ed25519.PrivateKey) audit.Checkpoint {
	t.Helper()
	v, err := audit.Verify(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	return audit.SignCheckpoint(priv, v.Seq(), v.HeadHash(), time.Now())
}

// rewriteChain recomputes every stored hash from the stored contents, as an
// attacker with write access to the database would after editing rows, so
// that the chain on its own verifies again.
func rewriteChain(t *testing.T, db *DB) {
	t.Helper()
	ctx := context.Background()
	var all []audit.Entry
	if err := db.EachAudit(ctx, func(e audit.Entry) error { all = append(all, e); return nil }); err != nil {
		t.Fatal(err)
	}
	prev := audit.GenesisHash
	for _, e := range all {
		h := audit.ComputeHash(prev, e.Seq, e.At, e.Record)
		if _, err := db.SQL.ExecContext(ctx, `UPDATE audit_log SET prev_hash = $1, hash = $2 WHERE seq = $3`, prev, h, e.Seq); err != nil {
			t.Fatal(err)
		}
		prev = h
	}
}

func TestAuditCheckpoint(t *testing.T) {
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	engines(t, func(t *testing.T, db *DB) {
		appendN(t, db, 1, 12)
		cp := checkpointNow(t, db, priv)
		if cp.Seq != 12 {
			t.Fatalf("checkpoint at seq %d, want 12", cp.Seq)
		}
		// The checkpoint survives its file form.
		data, err := cp.MarshalJSON()
		if err != nil {
			t.Fatal(err)
		}
		if cp, err = audit.ParseCheckpoint(data); err != nil {
			t.Fatal(err)
		}
		cps := []audit.Checkpoint{cp}

		t.Run("honest log passes, also after later appends", func(t *testing.T) {
			v, err := audit.VerifyAnchored(ctx, db, pub, cps, nil)
			if err != nil || v.Count() != 12 || v.Anchored() != 1 {
				t.Fatalf("verify: %v (count %d, anchored %d)", err, v.Count(), v.Anchored())
			}
			appendN(t, db, 13, 5)
			v, err = audit.VerifyAnchored(ctx, db, pub, cps, nil)
			if err != nil || v.Count() != 17 || v.Anchored() != 1 {
				t.Fatalf("verify after appends: %v (count %d, anchored %d)", err, v.Count(), v.Anchored())
			}
		})

		t.Run("wrong public key fails", func(t *testing.T) {
			other, _, err := ed25519.GenerateKey(rand.Reader)
			if err != nil {
				t.Fatal(err)
			}
			_, err = audit.VerifyAnchored(ctx, db, other, cps, nil)
			if !errors.Is(err, audit.ErrBadSignature) {
				t.Fatalf("verify with another key: %v, want a bad signature", err)
			}
		})

		t.Run("a changed checkpoint fails", func(t *testing.T) {
			forged := cp
			forged.Seq = 3 // point the signature at an entry it did not sign
			if _, err := audit.VerifyAnchored(ctx, db, pub, []audit.Checkpoint{forged}, nil); !errors.Is(err, audit.ErrBadSignature) {
				t.Fatalf("verify a changed checkpoint: %v, want a bad signature", err)
			}
		})

		t.Run("rewrite with recomputed hashes fails", func(t *testing.T) {
			// A rewrite needs a copy of the log to restore for the next
			// subtest; it runs last on a fresh database instead.
			fresh := OpenTest(t, db.Engine)
			appendN(t, fresh, 1, 12)
			fcp := checkpointNow(t, fresh, priv)
			appendN(t, fresh, 13, 3)
			if _, err := fresh.SQL.ExecContext(ctx, `UPDATE audit_log SET detail = 'nothing to see', actor_user = 'someone-else' WHERE seq = 5`); err != nil {
				t.Fatal(err)
			}
			if _, err := audit.Verify(ctx, fresh); err == nil {
				t.Fatal("plain verify passes an edited row before the rewrite; the test proves nothing")
			}
			rewriteChain(t, fresh)
			if v, err := audit.Verify(ctx, fresh); err != nil || v.Count() != 15 {
				t.Fatalf("plain verify after the rewrite: %v (count %d); want it to pass, as the attacker intends", err, v.Count())
			}
			_, err := audit.VerifyAnchored(ctx, fresh, pub, []audit.Checkpoint{fcp}, nil)
			var p *audit.Problem
			if !errors.As(err, &p) || p.Seq != 12 || !strings.Contains(p.Reason, "rewritten") {
				t.Fatalf("verify with the checkpoint after a rewrite: %v, want entry 12 reported as rewritten", err)
			}
		})

		t.Run("truncation below the checkpoint fails", func(t *testing.T) {
			if _, err := db.SQL.ExecContext(ctx, `DELETE FROM audit_log WHERE seq > 9`); err != nil {
				t.Fatal(err)
			}
			if v, err := audit.Verify(ctx, db); err != nil || v.Count() != 9 {
				t.Fatalf("plain verify after truncation: %v (count %d); want it to pass, the chain alone cannot see this", err, v.Count())
			}
			_, err := audit.VerifyAnchored(ctx, db, pub, cps, nil)
			var p *audit.Problem
			if !errors.As(err, &p) || p.Seq != 10 || !strings.Contains(p.Reason, "truncated") {
				t.Fatalf("verify with the checkpoint after truncation: %v, want entry 10 missing", err)
			}
		})
	})
}
