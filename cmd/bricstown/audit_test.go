package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

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

// TestCheckpointerSignsIncrementally runs serve's checkpointer round by
// round: nothing to sign on an empty log, one checkpoint per round that
// saw new entries, none when nothing changed, and a refusal (no new file)
// once the log was rewritten below the newest checkpoint; a restarted
// checkpointer checks the whole chain against the directory first.
func TestCheckpointerSignsIncrementally(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	dsn := filepath.Join(dir, "a.db")
	db, err := sqlstore.Open(ctx, dsn, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	key := filepath.Join(dir, "k")
	if _, err := runCmd(t, "audit", "keygen", "--out", key); err != nil {
		t.Fatal(err)
	}
	priv, err := readPrivateKey(&env{stderr: os.Stderr}, key)
	if err != nil {
		t.Fatal(err)
	}
	cpDir := filepath.Join(dir, "cp")
	if err := os.Mkdir(cpDir, 0o755); err != nil {
		t.Fatal(err)
	}
	add := func(n int) {
		for i := 0; i < n; i++ {
			if err := db.AppendAudit(ctx, audit.Record{ActorUser: "u", Action: "test.event", Detail: fmt.Sprint(i)}); err != nil {
				t.Fatal(err)
			}
		}
	}
	round := func(c *checkpointer, want int64) {
		t.Helper()
		cp, err := c.once(ctx, db)
		if err != nil {
			t.Fatalf("round: %v", err)
		}
		if want == 0 && cp != nil {
			t.Fatalf("signed entry %d, want nothing signed", cp.Seq)
		}
		if want > 0 && (cp == nil || cp.Seq != want) {
			t.Fatalf("signed %v, want entry %d", cp, want)
		}
	}
	c := &checkpointer{key: priv, dir: cpDir, every: time.Hour}
	round(c, 0)
	add(4)
	round(c, 4)
	round(c, 0)
	add(3)
	round(c, 7)
	names, _ := filepath.Glob(filepath.Join(cpDir, "*.json"))
	if len(names) != 2 {
		t.Fatalf("checkpoint files %v, want 2", names)
	}
	if out, err := runCmd(t, "audit", "verify", "--db", dsn, "--checkpoint", cpDir, "--pubkey", key+".pub"); err != nil {
		t.Fatalf("verify against the signed directory: %v %s", err, out)
	}
	// A restart re-verifies everything and signs only what is new.
	c = &checkpointer{key: priv, dir: cpDir, every: time.Hour}
	round(c, 0)
	add(1)
	round(c, 8)

	// Rewrite entry 2 with recomputed hashes: a fresh checkpointer refuses.
	if _, err := db.SQL.ExecContext(ctx, `UPDATE audit_log SET detail = 'rewritten' WHERE seq = 2`); err != nil {
		t.Fatal(err)
	}
	prev := audit.GenesisHash
	if err := db.EachAudit(ctx, func(e audit.Entry) error {
		h := audit.ComputeHash(prev, e.Seq, e.At, e.Record)
		_, err := db.SQL.ExecContext(ctx, `UPDATE audit_log SET prev_hash = $1, hash = $2 WHERE seq = $3`, prev, h, e.Seq)
		prev = h
		return err
	}); err != nil {
		t.Fatal(err)
	}
	add(1)
	c = &checkpointer{key: priv, dir: cpDir, every: time.Hour}
	if cp, err := c.once(ctx, db); err == nil || cp != nil {
		t.Fatalf("signed %v after a rewrite (err %v)", cp, err)
	}
	if names, _ := filepath.Glob(filepath.Join(cpDir, "*.json")); len(names) != 3 {
		t.Fatalf("checkpoint files %v, want still 3", names)
	}
}

// TestServeSignsCheckpoints proves serve's flags are wired: a server started
// with a key signs a checkpoint of the demo town's audit log.
func TestServeSignsCheckpoints(t *testing.T) {
	dir := t.TempDir()
	dsn := filepath.Join(dir, "s.db")
	key := filepath.Join(dir, "k")
	if _, err := runCmd(t, "audit", "keygen", "--out", key); err != nil {
		t.Fatal(err)
	}
	cpDir := filepath.Join(dir, "cp")
	if err := os.Mkdir(cpDir, 0o755); err != nil {
		t.Fatal(err)
	}
	if out, err := runCmd(t, "serve", "--db", dsn, "--audit-key", key); err == nil || !strings.Contains(err.Error(), "--audit-checkpoint-dir") {
		t.Fatalf("--audit-key without a directory: %v %s", err, out)
	}
	srv := startServer(t, dsn, "--demo", "--audit-key", key, "--audit-checkpoint-dir", cpDir, "--audit-checkpoint-every", "1h")
	deadline := time.Now().Add(60 * time.Second)
	for !strings.Contains(srv.log.String(), "audit checkpoint signed") {
		if time.Now().After(deadline) {
			t.Fatalf("no checkpoint signed\n%s", srv.log.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err := srv.stop(); err != nil {
		t.Fatal(err)
	}
	out, err := runCmd(t, "audit", "verify", "--db", dsn, "--checkpoint", cpDir, "--pubkey", key+".pub")
	if err != nil || !strings.Contains(out, "anchored: 1 signed checkpoints") {
		t.Fatalf("verify: %v %s", err, out)
	}
}
