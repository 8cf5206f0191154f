package main

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"bricstown/internal/audit"
	"bricstown/internal/sqlstore"
)

// auditCmd dispatches the audit subcommands. The signing key of checkpoints
// lives only in files given on the command line, never in the database: a
// checkpoint is worth something only if whoever can rewrite the database
// cannot also sign.
func auditCmd(ctx context.Context, e *env, args []string) error {
	sub := ""
	if len(args) > 0 {
		sub = args[0]
	}
	switch sub {
	case "verify":
		return auditVerifyCmd(ctx, e, args[1:])
	case "keygen":
		return auditKeygenCmd(ctx, e, args[1:])
	case "checkpoint":
		return auditCheckpointCmd(ctx, e, args[1:])
	}
	fmt.Fprintln(e.stderr, `Usage:
  bricstown audit verify [--db …] [--checkpoint FILE|DIR … --pubkey FILE]
  bricstown audit keygen --out FILE
  bricstown audit checkpoint [--db …] --key FILE --out FILE|DIR [--checkpoint FILE|DIR]`)
	return usageError{"audit: expected 'verify', 'keygen' or 'checkpoint'"}
}

// pathList is a repeatable flag.
type pathList []string

func (p *pathList) String() string { return strings.Join(*p, ",") }
func (p *pathList) Set(s string) error {
	*p = append(*p, s)
	return nil
}

// checkpointFlag registers the repeatable --checkpoint flag; its
// environment variable gives one more path.
func checkpointFlag(f *flags, usage string) *pathList {
	var ps pathList
	if v := f.getenv("BRICSTOWN_AUDIT_CHECKPOINT"); v != "" {
		ps = append(ps, v)
	}
	f.Var(&ps, "checkpoint", usage+"; repeatable (env BRICSTOWN_AUDIT_CHECKPOINT)")
	return &ps
}

// loadCheckpoints reads checkpoint files; a directory stands for every
// *.json file in it. An empty directory is an error, so that a mistyped
// path never turns an anchored check into an unanchored one.
func loadCheckpoints(paths []string) ([]audit.Checkpoint, error) {
	var out []audit.Checkpoint
	for _, p := range paths {
		files := []string{p}
		if st, err := os.Stat(p); err != nil {
			return nil, err
		} else if st.IsDir() {
			files, err = filepath.Glob(filepath.Join(p, "*.json"))
			if err != nil {
				return nil, err
			}
			if len(files) == 0 {
				return nil, fmt.Errorf("%s: no checkpoint files (*.json)", p)
			}
			sort.Strings(files)
		}
		for _, name := range files {
			data, err := os.ReadFile(name)
			if err != nil {
				return nil, err
			}
			c, err := audit.ParseCheckpoint(data)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", name, err)
			}
			out = append(out, c)
		}
	}
	return out, nil
}

// progress prints a line to stderr at most every two seconds while a long
// log is verified.
func progress(e *env, total int64) func(*audit.Verifier) {
	last := time.Now()
	return func(v *audit.Verifier) {
		if v.Count()%1024 != 0 || time.Since(last) < 2*time.Second {
			return
		}
		last = time.Now()
		if total > 0 {
			fmt.Fprintf(e.stderr, "audit: %d of %d entries verified (%d%%)\n", v.Count(), total, v.Count()*100/total)
		} else {
			fmt.Fprintf(e.stderr, "audit: %d entries verified\n", v.Count())
		}
	}
}

func openAuditDB(ctx context.Context, e *env, dsn string) (*sqlstore.DB, int64, error) {
	log, _ := newLogger(e.stderr, "warn", "text")
	db, err := sqlstore.Open(ctx, dsn, log)
	if err != nil {
		return nil, 0, err
	}
	total, _, err := db.AuditHead(ctx)
	if err != nil {
		db.Close()
		return nil, 0, err
	}
	return db, total, nil
}

func auditVerifyCmd(ctx context.Context, e *env, args []string) error {
	f := newFlags(e, "audit verify", "audit verify [flags]")
	dsn := dbFlag(f)
	cpPaths := checkpointFlag(f, "signed checkpoint file, or a directory of them, that the log must still match")
	pubPath := f.string("pubkey", "BRICSTOWN_AUDIT_PUBKEY", "", "public key file (from 'audit keygen') that signed the checkpoints")
	if err := f.parse(args); err != nil {
		return err
	}
	if (len(*cpPaths) > 0) != (*pubPath != "") {
		return usageError{"audit verify: --checkpoint and --pubkey go together"}
	}
	var pub ed25519.PublicKey
	var cps []audit.Checkpoint
	if *pubPath != "" {
		data, err := os.ReadFile(*pubPath)
		if err != nil {
			return fmt.Errorf("audit verify: %w", err)
		}
		if pub, err = audit.ParsePublicKey(data); err != nil {
			return fmt.Errorf("audit verify: %s: %w", *pubPath, err)
		}
		if cps, err = loadCheckpoints(*cpPaths); err != nil {
			return fmt.Errorf("audit verify: %w", err)
		}
	}
	db, total, err := openAuditDB(ctx, e, *dsn)
	if err != nil {
		return err
	}
	defer db.Close()
	v, err := audit.VerifyAnchored(ctx, db, pub, cps, progress(e, total))
	if err != nil {
		fmt.Fprintf(e.stdout, "audit chain BROKEN after %d good entries: %v\n", v.Count(), err)
		return fmt.Errorf("audit verify: %w", err)
	}
	fmt.Fprintf(e.stdout, "audit chain intact: %d entries, head %s\n", v.Count(), v.Head())
	if len(cps) > 0 {
		newest := cps[0]
		for _, c := range cps {
			if c.Seq > newest.Seq {
				newest = c
			}
		}
		fmt.Fprintf(e.stdout, "anchored: %d signed checkpoints by %s match the log; entries 1–%d cannot have been rewritten (newest checkpoint %s)\n",
			v.Anchored(), audit.KeyID(pub), newest.Seq, newest.At.Format(time.RFC3339))
	}
	return nil
}

func auditKeygenCmd(ctx context.Context, e *env, args []string) error {
	f := newFlags(e, "audit keygen", "audit keygen --out FILE")
	out := f.string("out", "BRICSTOWN_AUDIT_KEY", "", "where to write the private key (mode 0600); the public key goes to FILE.pub")
	if err := f.parse(args); err != nil {
		return err
	}
	if *out == "" {
		return usageError{"audit keygen: --out is required"}
	}
	privPEM, pubPEM, err := audit.GenerateKey(rand.Reader)
	if err != nil {
		return err
	}
	// O_EXCL: never overwrite a key that may already have signed checkpoints.
	if err := writeNew(*out, privPEM, 0o600); err != nil {
		return fmt.Errorf("audit keygen: %w", err)
	}
	if err := writeNew(*out+".pub", pubPEM, 0o644); err != nil {
		os.Remove(*out)
		return fmt.Errorf("audit keygen: %w", err)
	}
	pub, _ := audit.ParsePublicKey(pubPEM)
	fmt.Fprintf(e.stdout, "private key %s (keep it outside the database host's reach), public key %s.pub, key %s\n%s", *out, *out, audit.KeyID(pub), pubPEM)
	return nil
}

func writeNew(name string, data []byte, mode os.FileMode) error {
	fh, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode)
	if err != nil {
		return err
	}
	if _, err := fh.Write(data); err != nil {
		fh.Close()
		os.Remove(name)
		return err
	}
	return fh.Close()
}

// readPrivateKey loads a signing key and warns when others may read it.
func readPrivateKey(e *env, name string) (ed25519.PrivateKey, error) {
	if st, err := os.Stat(name); err == nil && st.Mode().Perm()&0o077 != 0 {
		fmt.Fprintf(e.stderr, "audit: warning: %s is readable by others (mode %v); chmod 600 it\n", name, st.Mode().Perm())
	}
	data, err := os.ReadFile(name)
	if err != nil {
		return nil, err
	}
	return audit.ParsePrivateKey(data)
}

func auditCheckpointCmd(ctx context.Context, e *env, args []string) error {
	f := newFlags(e, "audit checkpoint", "audit checkpoint [flags]")
	dsn := dbFlag(f)
	keyPath := f.string("key", "BRICSTOWN_AUDIT_KEY", "", "private key file from 'audit keygen'")
	out := f.string("out", "BRICSTOWN_AUDIT_CHECKPOINT_OUT", "", "checkpoint file to write, or a directory to write checkpoint-<seq>.json into")
	cpPaths := checkpointFlag(f, "earlier checkpoint file or directory, signed by the same key, that the log must still match before a new one is signed")
	if err := f.parse(args); err != nil {
		return err
	}
	if *keyPath == "" || *out == "" {
		return usageError{"audit checkpoint: --key and --out are required"}
	}
	priv, err := readPrivateKey(e, *keyPath)
	if err != nil {
		return fmt.Errorf("audit checkpoint: %s: %w", *keyPath, err)
	}
	cps, err := loadCheckpoints(*cpPaths)
	if err != nil {
		return fmt.Errorf("audit checkpoint: %w", err)
	}
	db, total, err := openAuditDB(ctx, e, *dsn)
	if err != nil {
		return err
	}
	defer db.Close()
	// Sign only a chain that verifies (and still matches earlier
	// checkpoints): a checkpoint of a rewritten log would launder it.
	v, err := audit.VerifyAnchored(ctx, db, priv.Public().(ed25519.PublicKey), cps, progress(e, total))
	if err != nil {
		fmt.Fprintf(e.stdout, "audit chain BROKEN after %d good entries: %v\n", v.Count(), err)
		return fmt.Errorf("audit checkpoint: refusing to sign: %w", err)
	}
	if v.Seq() == 0 {
		return errors.New("audit checkpoint: the audit log is empty; nothing to sign")
	}
	c := audit.SignCheckpoint(priv, v.Seq(), v.HeadHash(), time.Now())
	data, err := c.MarshalJSON()
	if err != nil {
		return err
	}
	name := *out
	if st, err := os.Stat(name); err == nil && st.IsDir() {
		name = filepath.Join(name, fmt.Sprintf("checkpoint-%012d.json", c.Seq))
	}
	if err := writeNew(name, append(data, '\n'), 0o644); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return fmt.Errorf("audit checkpoint: %s exists; checkpoints are never overwritten", name)
		}
		return fmt.Errorf("audit checkpoint: %w", err)
	}
	fmt.Fprintf(e.stdout, "checkpoint %s: entry %d, head %s, signed by %s\n", name, c.Seq, v.Head(), c.KeyID)
	return nil
}

// checkpointFlags are serve's flags for signing checkpoints as it runs.
type checkpointFlags struct {
	key, dir, every *string
}

func auditCheckpointFlags(f *flags) *checkpointFlags {
	return &checkpointFlags{
		key:   f.string("audit-key", "BRICSTOWN_AUDIT_KEY", "", "private key file from 'audit keygen': sign a checkpoint of the audit chain's head periodically (never stored in the database)"),
		dir:   f.string("audit-checkpoint-dir", "BRICSTOWN_AUDIT_CHECKPOINT_DIR", "", "directory for the signed checkpoints (required with --audit-key); keep it off the database host"),
		every: f.string("audit-checkpoint-every", "BRICSTOWN_AUDIT_CHECKPOINT_EVERY", "1h", "how often to sign a checkpoint when there are new audit entries"),
	}
}

// load checks the flags before the server starts; nil means checkpoints
// are off.
func (c *checkpointFlags) load(e *env) (*checkpointer, error) {
	if *c.key == "" {
		return nil, nil
	}
	every, err := time.ParseDuration(*c.every)
	if err != nil || every <= 0 {
		return nil, usageError{fmt.Sprintf("bad --audit-checkpoint-every %q: a positive duration such as 1h", *c.every)}
	}
	if *c.dir == "" {
		return nil, usageError{"--audit-key needs --audit-checkpoint-dir"}
	}
	if st, err := os.Stat(*c.dir); err != nil || !st.IsDir() {
		return nil, fmt.Errorf("--audit-checkpoint-dir %s: not a directory", *c.dir)
	}
	priv, err := readPrivateKey(e, *c.key)
	if err != nil {
		return nil, fmt.Errorf("--audit-key %s: %w", *c.key, err)
	}
	return &checkpointer{key: priv, dir: *c.dir, every: every}, nil
}

// checkpointer signs the audit chain's head into a directory. The first
// round verifies the whole chain against the checkpoints already there;
// later rounds verify only the entries added since the last checkpoint,
// chained onto its signed head, so a round costs what was appended.
type checkpointer struct {
	key   ed25519.PrivateKey
	dir   string
	every time.Duration
	last  *audit.Checkpoint // nil until the first round succeeds
}

// run signs a checkpoint at start and then every c.every until ctx ends.
func (c *checkpointer) run(ctx context.Context, log *slog.Logger, db *sqlstore.DB) {
	t := time.NewTicker(c.every)
	defer t.Stop()
	for {
		if cp, err := c.once(ctx, db); err != nil {
			if ctx.Err() != nil {
				return
			}
			log.Error("audit checkpoint not signed", "err", err)
		} else if cp != nil {
			log.Info("audit checkpoint signed", "seq", cp.Seq, "key", cp.KeyID, "dir", c.dir)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// once signs one checkpoint if the log grew; it returns nil, nil when there
// is nothing new, and refuses to sign a chain that does not verify.
func (c *checkpointer) once(ctx context.Context, db *sqlstore.DB) (*audit.Checkpoint, error) {
	var v *audit.Verifier
	if c.last == nil {
		var cps []audit.Checkpoint
		if names, _ := filepath.Glob(filepath.Join(c.dir, "*.json")); len(names) > 0 {
			var err error
			if cps, err = loadCheckpoints([]string{c.dir}); err != nil {
				return nil, err
			}
		}
		var err error
		if v, err = audit.VerifyAnchored(ctx, db, c.key.Public().(ed25519.PublicKey), cps, nil); err != nil {
			return nil, err
		}
	} else {
		v = audit.NewVerifierAt(c.last.Seq, c.last.Head)
		if err := db.EachAuditAfter(ctx, c.last.Seq, v.Check); err != nil {
			return nil, err
		}
	}
	if v.Seq() == 0 || (c.last != nil && v.Seq() == c.last.Seq) {
		return nil, nil
	}
	cp := audit.SignCheckpoint(c.key, v.Seq(), v.HeadHash(), time.Now())
	name := filepath.Join(c.dir, fmt.Sprintf("checkpoint-%012d.json", cp.Seq))
	if _, err := os.Stat(name); err == nil {
		// Signed earlier (by a previous run) and matched above.
		c.last = &cp
		return nil, nil
	}
	data, err := cp.MarshalJSON()
	if err != nil {
		return nil, err
	}
	// Write then rename, so that a crash never leaves half a checkpoint
	// that would make the next verify fail.
	tmp, err := os.CreateTemp(c.dir, ".checkpoint-*.tmp")
	if err != nil {
		return nil, err
	}
	_, werr := tmp.Write(append(data, '\n'))
	if err := errors.Join(werr, tmp.Chmod(0o644), tmp.Sync(), tmp.Close()); err != nil {
		os.Remove(tmp.Name())
		return nil, err
	}
	if err := os.Rename(tmp.Name(), name); err != nil {
		os.Remove(tmp.Name())
		return nil, err
	}
	c.last = &cp
	return &cp, nil
}
