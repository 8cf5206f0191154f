package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"bricstown/internal/audit"
	"bricstown/internal/pgtest"
	"bricstown/internal/sqlstore"
)

// TestAuditCheckpointCommands drives keygen, checkpoint and anchored verify
// the way an operator would, on both engines: an honest log passes, a
// rewrite with recomputed hashes that plain verify accepts is refused, and
// so is a wrong public key.
func TestAuditCheckpointCommands(t *testing.T) {
	for _, engine := range []string{"sqlite", "postgres"} {
		t.Run(engine, func(t *testing.T) {
			ctx := context.Background()
			dir := t.TempDir()
			dsn := filepath.Join(dir, "a.db")
			if engine == "postgres" {
				dsn = pgtest.URL(t)
			}
			db, err := sqlstore.Open(ctx, dsn, slog.New(slog.DiscardHandler))
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			if _, err := db.Migrate(ctx); err != nil {
				t.Fatal(err)
			}
			add := func(from, n int) {
				for i := from; i < from+n; i++ {
					if err := db.AppendAudit(ctx, audit.Record{ActorUser: "u", Action: "test.event", Detail: fmt.Sprint(i)}); err != nil {
						t.Fatal(err)
					}
				}
			}
			add(1, 8)

			key := filepath.Join(dir, "audit.key")
			out, err := runCmd(t, "audit", "keygen", "--out", key)
			if err != nil || !strings.Contains(out, "BEGIN PUBLIC KEY") {
				t.Fatalf("keygen: %v %s", err, out)
			}
			if st, err := os.Stat(key); err != nil || st.Mode().Perm() != 0o600 {
				t.Fatalf("private key file: %v %v, want mode 0600", err, st.Mode())
			}
			if _, err := runCmd(t, "audit", "keygen", "--out", key); err == nil {
				t.Fatal("keygen overwrote an existing key")
			}
			cpDir := filepath.Join(dir, "checkpoints")
			if err := os.Mkdir(cpDir, 0o755); err != nil {
				t.Fatal(err)
			}
			out, err = runCmd(t, "audit", "checkpoint", "--db", dsn, "--key", key, "--out", cpDir)
			if err != nil || !strings.Contains(out, "entry 8") {
				t.Fatalf("checkpoint: %v %s", err, out)
			}
			add(9, 3)
			verify := func(extra ...string) (string, error) {
				return runCmd(t, append([]string{"audit", "verify", "--db", dsn, "--checkpoint", cpDir}, extra...)...)
			}
			out, err = verify("--pubkey", key+".pub")
			if err != nil || !strings.Contains(out, "audit chain intact: 11 entries") || !strings.Contains(out, "entries 1–8 cannot have been rewritten") {
				t.Fatalf("honest verify: %v %s", err, out)
			}
			// A second checkpoint must still match the first.
			if out, err = runCmd(t, "audit", "checkpoint", "--db", dsn, "--key", key, "--out", cpDir, "--checkpoint", cpDir); err != nil || !strings.Contains(out, "entry 11") {
				t.Fatalf("second checkpoint: %v %s", err, out)
			}

			other := filepath.Join(dir, "other.key")
			if _, err := runCmd(t, "audit", "keygen", "--out", other); err != nil {
				t.Fatal(err)
			}
			if out, err = verify("--pubkey", other+".pub"); err == nil || !strings.Contains(out, "signature does not verify") {
				t.Fatalf("verify with another key: %v %s", err, out)
			}
			if _, err = runCmd(t, "audit", "verify", "--db", dsn, "--checkpoint", cpDir); err == nil {
				t.Fatal("--checkpoint without --pubkey accepted")
			}

			// Rewrite entry 3 and recompute every later hash.
			if _, err := db.SQL.ExecContext(ctx, `UPDATE audit_log SET detail = 'rewritten' WHERE seq = 3`); err != nil {
				t.Fatal(err)
			}
			prev := audit.GenesisHash
			err = db.EachAudit(ctx, func(e audit.Entry) error {
				h := audit.ComputeHash(prev, e.Seq, e.At, e.Record)
				_, err := db.SQL.ExecContext(ctx, `UPDATE audit_log SET prev_hash = $1, hash = $2 WHERE seq = $3`, prev, h, e.Seq)
				prev = h
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			if out, err = runCmd(t, "audit", "verify", "--db", dsn); err != nil {
				t.Fatalf("plain verify after the rewrite should pass (that is the attack): %v %s", err, out)
			}
			if out, err = verify("--pubkey", key+".pub"); err == nil || !strings.Contains(out, "BROKEN") || !strings.Contains(out, "rewritten") {
				t.Fatalf("anchored verify after the rewrite: %v %s", err, out)
			}
			// Nor will the key sign the rewritten log once it knows the
			// earlier checkpoints.
			if out, err = runCmd(t, "audit", "checkpoint", "--db", dsn, "--key", key, "--out", filepath.Join(dir, "laundered.json"), "--checkpoint", cpDir); err == nil {
				t.Fatalf("checkpoint signed a rewritten log: %s", out)
			}
		})
	}
}
