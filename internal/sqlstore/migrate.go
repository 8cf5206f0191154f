package sqlstore

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io/fs"
	"sort"
	"strconv"
	"strings"
	"time"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// Migration is one numbered schema step. The same file serves both engines;
// the only dialect differences it may use are the type name BLOB, which
// PostgreSQL spells BYTEA, and INTEGER PRIMARY KEY (SQLite's rowid alias),
// which becomes a 64-bit BIGINT PRIMARY KEY on PostgreSQL.
type Migration struct {
	Version int
	Name    string
	SQL     string
}

// Migrations lists the embedded migrations in order.
func Migrations() ([]Migration, error) {
	entries, err := fs.ReadDir(migrationFiles, "migrations")
	if err != nil {
		return nil, err
	}
	var out []Migration
	for _, e := range entries {
		name := e.Name()
		num, rest, ok := strings.Cut(name, "_")
		if !ok || !strings.HasSuffix(name, ".sql") {
			return nil, fmt.Errorf("sqlstore: migration %q is not NNNN_name.sql", name)
		}
		v, err := strconv.Atoi(num)
		if err != nil {
			return nil, fmt.Errorf("sqlstore: migration %q: %w", name, err)
		}
		body, err := migrationFiles.ReadFile("migrations/" + name)
		if err != nil {
			return nil, err
		}
		out = append(out, Migration{Version: v, Name: strings.TrimSuffix(rest, ".sql"), SQL: string(body)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Version < out[j].Version })
	for i := 1; i < len(out); i++ {
		if out[i].Version == out[i-1].Version {
			return nil, fmt.Errorf("sqlstore: two migrations numbered %d", out[i].Version)
		}
	}
	return out, nil
}

func (db *DB) dialect(stmt string) string {
	if db.Engine == Postgres {
		stmt = strings.ReplaceAll(stmt, " BLOB", " BYTEA")
		stmt = strings.ReplaceAll(stmt, "INTEGER PRIMARY KEY", "BIGINT PRIMARY KEY")
	}
	return stmt
}

// Migrate applies every migration not yet recorded in schema_migrations and
// returns the schema version reached. Each migration runs in its own
// transaction together with its version row, so a crash leaves the schema at
// a recorded version, and two processes migrating at once cannot both apply
// the same step (the second fails on the version's primary key and retries
// to find it done).
func (db *DB) Migrate(ctx context.Context) (int, error) {
	ms, err := Migrations()
	if err != nil {
		return 0, err
	}
	if _, err := db.SQL.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version BIGINT PRIMARY KEY,
		name TEXT NOT NULL,
		applied_at BIGINT NOT NULL)`); err != nil {
		// Two processes racing on CREATE TABLE IF NOT EXISTS: PostgreSQL
		// lets one win and tells the other a duplicate key or type. What
		// counts is that the table is there now.
		if _, qerr := db.SQL.ExecContext(ctx, `SELECT version FROM schema_migrations WHERE version = 0`); qerr != nil {
			return 0, fmt.Errorf("sqlstore: create schema_migrations: %w", err)
		}
	}
	version := 0
	for _, m := range ms {
		applied := false
		err := db.Tx(ctx, func(tx *sql.Tx) error {
			var n int
			if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM schema_migrations WHERE version = $1`, m.Version).Scan(&n); err != nil {
				return err
			}
			if n > 0 {
				return nil
			}
			// Claim the version first: a concurrent migrator's insert of
			// the same key waits for this transaction and then fails as a
			// duplicate (taken below as "applied by the other"), before it
			// runs any DDL of its own.
			if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)`,
				m.Version, m.Name, time.Now().UnixMicro()); err != nil {
				return err
			}
			for _, stmt := range splitStatements(m.SQL) {
				if _, err := tx.ExecContext(ctx, db.dialect(stmt)); err != nil {
					return fmt.Errorf("%.60q: %w", stmt, err)
				}
			}
			applied = true
			return nil
		})
		if err != nil && IsUniqueViolation(err) {
			err = nil // another process applied it first
		}
		if err != nil {
			return version, fmt.Errorf("sqlstore: migration %04d_%s: %w", m.Version, m.Name, err)
		}
		if applied {
			db.log.Info("applied migration", "version", m.Version, "name", m.Name)
		}
		version = m.Version
	}
	return version, nil
}

// SchemaVersion returns the highest applied migration, 0 for an empty database.
func (db *DB) SchemaVersion(ctx context.Context) (int, error) {
	var v sql.NullInt64
	err := db.SQL.QueryRowContext(ctx, `SELECT MAX(version) FROM schema_migrations`).Scan(&v)
	if err != nil {
		return 0, fmt.Errorf("sqlstore: schema version: %w", err)
	}
	return int(v.Int64), nil
}

// splitStatements cuts a migration at semicolons that end a line. Migrations
// keep to that convention (no semicolons inside strings at line end), which
// keeps this free of an SQL parser.
func splitStatements(s string) []string {
	var out []string
	var cur strings.Builder
	for _, line := range strings.Split(s, "\n") {
		trim := strings.TrimSpace(line)
		if strings.HasPrefix(trim, "--") || trim == "" {
			continue
		}
		cur.WriteString(line)
		cur.WriteString("\n")
		if strings.HasSuffix(trim, ";") {
			out = append(out, strings.TrimSuffix(strings.TrimSpace(cur.String()), ";"))
			cur.Reset()
		}
	}
	if strings.TrimSpace(cur.String()) != "" {
		out = append(out, strings.TrimSpace(cur.String()))
	}
	return out
}
