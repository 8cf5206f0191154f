package sqlstore

import (
	"context"
	"log/slog"
	"path/filepath"
	"sync"
	"testing"

	"bricstown/internal/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m, pgtest.Fast()) }

// engines runs fn once on a fresh, migrated SQLite database and once on a
// fresh, migrated PostgreSQL database: every store test proves the same
// behaviour on both engines.
func engines(t *testing.T, fn func(t *testing.T, db *DB)) {
	t.Helper()
	for _, engine := range []Engine{SQLite, Postgres} {
		t.Run(string(engine), func(t *testing.T) {
			db := OpenTest(t, engine)
			fn(t, db)
		})
	}
}

// OpenTest opens a fresh migrated database of the given engine for a test.
func OpenTest(t testing.TB, engine Engine) *DB {
	t.Helper()
	ctx := context.Background()
	dsn := filepath.Join(t.TempDir(), "test.db")
	if engine == Postgres {
		dsn = pgtest.URL(t)
	}
	db, err := Open(ctx, dsn, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	testDSN.Store(db, dsn)
	t.Cleanup(func() { db.Close() })
	if _, err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	return db
}

var testDSN sync.Map

// dsnForTest is the DSN a test database was opened with, for tests that
// open a second handle on it.
func (db *DB) dsnForTest(t *testing.T) string {
	v, ok := testDSN.Load(db)
	if !ok {
		t.Fatal("not a test database")
	}
	return v.(string)
}
