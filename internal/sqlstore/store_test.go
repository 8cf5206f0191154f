package sqlstore

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"bricstown/internal/audit"
	"bricstown/internal/identity"
	"bricstown/internal/pgtest"
	"bricstown/internal/problem"
)

func rec(action, subject, org string) audit.Record {
	return audit.Record{ActorUser: "system", Action: action, SubjectType: "test", SubjectID: subject, OrgID: org}
}

func mkOrg(t *testing.T, db *DB, name, reg string) identity.Org {
	t.Helper()
	o := identity.Org{ID: "org-" + name, Name: name, Kind: identity.KindCompany, Country: "KZ", RegScheme: "REG", RegID: reg, CreatedAt: time.Now().UTC().Truncate(time.Microsecond)}
	if err := db.CreateOrg(context.Background(), o, rec("org.create", o.ID, o.ID)); err != nil {
		t.Fatal(err)
	}
	return o
}

func TestMigrateIsIdempotentAndRecordsVersion(t *testing.T) {
	for _, engine := range []Engine{SQLite, Postgres} {
		t.Run(string(engine), func(t *testing.T) {
			ctx := context.Background()
			// An empty database, and four processes (four handles, each
			// with its own pool) starting on it at once: all must end at
			// the same version with every migration applied exactly once.
			dsn := filepath.Join(t.TempDir(), "race.db")
			if engine == Postgres {
				dsn = pgtest.URL(t)
			}
			ms, _ := Migrations()
			want := ms[len(ms)-1].Version
			handles := make([]*DB, 4)
			for i := range handles {
				db, err := Open(ctx, dsn, slog.New(slog.DiscardHandler))
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { db.Close() })
				handles[i] = db
			}
			if v, err := handles[0].SchemaVersion(ctx); err == nil && v != 0 {
				t.Fatalf("the database is not empty: version %d", v)
			}
			var wg sync.WaitGroup
			start := make(chan struct{})
			errs := make([]error, len(handles))
			for i, db := range handles {
				wg.Add(1)
				go func() { defer wg.Done(); <-start; _, errs[i] = db.Migrate(ctx) }()
			}
			close(start)
			wg.Wait()
			for _, err := range errs {
				if err != nil {
					t.Fatal(err)
				}
			}
			for _, db := range handles {
				v, err := db.SchemaVersion(ctx)
				if err != nil || v != want {
					t.Fatalf("schema version %d, %v; want %d", v, err, want)
				}
			}
			var n int
			handles[0].SQL.QueryRow(`SELECT COUNT(*) FROM schema_migrations`).Scan(&n)
			if n != len(ms) {
				t.Fatalf("%d migration rows, want %d", n, len(ms))
			}
			// And once more on the migrated database: nothing to do.
			if v, err := handles[1].Migrate(ctx); err != nil || v != want {
				t.Fatalf("second migrate: %d %v", v, err)
			}
		})
	}
}

func TestOrgsUsersAndUniqueness(t *testing.T) {
	engines(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		a := mkOrg(t, db, "alpha", "111")
		mkOrg(t, db, "beta", "222")
		got, err := db.GetOrg(ctx, a.ID)
		if err != nil || got != a {
			t.Fatalf("GetOrg = %+v, %v; want %+v", got, err, a)
		}
		if _, err := db.GetOrg(ctx, "nope"); !problem.Is(err, problem.NotFound) {
			t.Fatalf("missing org: %v", err)
		}
		dup := a
		dup.ID = "org-dup"
		if err := db.CreateOrg(ctx, dup, rec("org.create", dup.ID, dup.ID)); !problem.Is(err, problem.Conflict) {
			t.Fatalf("duplicate registration: %v", err)
		}
		page, err := db.ListOrgs(ctx, identity.Page{Limit: 1})
		if err != nil || len(page) != 1 || page[0].ID != "org-alpha" {
			t.Fatalf("page 1: %+v %v", page, err)
		}
		page, _ = db.ListOrgs(ctx, identity.Page{After: page[0].ID, Limit: 5})
		if len(page) != 1 || page[0].ID != "org-beta" {
			t.Fatalf("page 2: %+v", page)
		}
		u := identity.User{ID: "u1", OrgID: a.ID, Email: "a@x.kz", Name: "A", Roles: []identity.Role{identity.Trader, identity.OrgAdmin},
			Lang: "kk", PasswordHash: "h", CreatedAt: time.Now().UTC().Truncate(time.Microsecond)}
		if err := db.CreateUser(ctx, u, rec("user.create", "u1", a.ID)); err != nil {
			t.Fatal(err)
		}
		u2 := u
		u2.ID = "u2"
		if err := db.CreateUser(ctx, u2, rec("user.create", "u2", a.ID)); !problem.Is(err, problem.Conflict) {
			t.Fatalf("duplicate email: %v", err)
		}
		got2, err := db.GetUserByEmail(ctx, "a@x.kz")
		if err != nil || got2.ID != "u1" || len(got2.Roles) != 2 || got2.Lang != "kk" {
			t.Fatalf("GetUserByEmail = %+v, %v", got2, err)
		}
		if users, _ := db.ListUsers(ctx, "org-beta", identity.Page{Limit: 10}); len(users) != 0 {
			t.Fatalf("beta sees alpha's users: %+v", users)
		}
	})
}

// A failed statement inside a transaction leaves nothing behind: neither
// the row nor its audit entry.
func TestFailedWriteLeavesNothing(t *testing.T) {
	engines(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		before := countAudit(t, db)
		u := identity.User{ID: "u1", OrgID: "no-such-org", Email: "a@x.kz", Name: "A", Roles: []identity.Role{identity.Trader}, Lang: "en", PasswordHash: "h"}
		if err := db.CreateUser(ctx, u, rec("user.create", "u1", "")); err == nil {
			t.Fatal("user in a missing org was accepted")
		}
		if n := countAudit(t, db); n != before {
			t.Fatalf("audit grew from %d to %d after a failed write", before, n)
		}
		if _, err := db.GetUser(ctx, "u1"); !problem.Is(err, problem.NotFound) {
			t.Fatalf("half-written user: %v", err)
		}
	})
}

func countAudit(t *testing.T, db *DB) int {
	var n int
	if err := db.SQL.QueryRow(`SELECT COUNT(*) FROM audit_log`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestSessionsAndTokens(t *testing.T) {
	engines(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		a := mkOrg(t, db, "alpha", "111")
		b := mkOrg(t, db, "beta", "222")
		for _, o := range []identity.Org{a, b} {
			u := identity.User{ID: "u-" + o.ID, OrgID: o.ID, Email: o.ID + "@x.kz", Name: "n", Roles: []identity.Role{identity.OrgAdmin}, Lang: "en", PasswordHash: "h"}
			if err := db.CreateUser(ctx, u, rec("user.create", u.ID, o.ID)); err != nil {
				t.Fatal(err)
			}
		}
		now := time.Now().UTC().Truncate(time.Microsecond)
		s := identity.Session{TokenHash: identity.HashSecret("s1"), UserID: "u-" + a.ID, CSRFToken: "c", CreatedAt: now, LastSeenAt: now, ExpiresAt: now.Add(time.Hour)}
		if err := db.CreateSession(ctx, s, rec("session.create", s.UserID, a.ID)); err != nil {
			t.Fatal(err)
		}
		if err := db.TouchSession(ctx, s.TokenHash, now.Add(time.Minute)); err != nil {
			t.Fatal(err)
		}
		got, err := db.GetSession(ctx, s.TokenHash)
		if err != nil || !got.LastSeenAt.Equal(now.Add(time.Minute)) || got.CSRFToken != "c" {
			t.Fatalf("session %+v %v", got, err)
		}
		if n, err := db.DeleteExpiredSessions(ctx, now.Add(2*time.Hour)); err != nil || n != 1 {
			t.Fatalf("expired sweep removed %d, %v", n, err)
		}
		tok := identity.APIToken{ID: "t1", OrgID: a.ID, CreatedBy: "u-" + a.ID, Name: "erp", Roles: []identity.Role{identity.OrgAdmin}, CreatedAt: now, Hash: identity.HashSecret("bt_secret")}
		if err := db.CreateAPIToken(ctx, tok, rec("api_token.create", "t1", a.ID)); err != nil {
			t.Fatal(err)
		}
		// Beta cannot revoke alpha's token even knowing its id.
		if err := db.RevokeAPIToken(ctx, b.ID, "t1", now, rec("api_token.revoke", "t1", b.ID)); !problem.Is(err, problem.NotFound) {
			t.Fatalf("cross-org revoke: %v", err)
		}
		if err := db.RevokeAPIToken(ctx, a.ID, "t1", now, rec("api_token.revoke", "t1", a.ID)); err != nil {
			t.Fatal(err)
		}
		if err := db.RevokeAPIToken(ctx, a.ID, "t1", now, rec("api_token.revoke", "t1", a.ID)); !problem.Is(err, problem.NotFound) {
			t.Fatalf("second revoke: %v", err)
		}
		got2, err := db.GetAPITokenByHash(ctx, identity.HashSecret("bt_secret"))
		if err != nil || got2.RevokedAt.IsZero() {
			t.Fatalf("token %+v %v", got2, err)
		}
	})
}

// Concurrent writers all append to one audit chain; serializable
// transactions with retry keep it linear with no gaps.
func TestConcurrentAuditAppendsStayChained(t *testing.T) {
	engines(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		var wg sync.WaitGroup
		errs := make(chan error, 40)
		for i := 0; i < 40; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				o := identity.Org{ID: fmt.Sprintf("o%02d", i), Name: "n", Kind: identity.KindCompany, Country: "KZ", RegScheme: "REG", RegID: fmt.Sprint(1000 + i)}
				if err := db.CreateOrg(ctx, o, rec("org.create", o.ID, o.ID)); err != nil {
					errs <- err
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		v, err := audit.Verify(ctx, db)
		if err != nil || v.Count() != 40 {
			t.Fatalf("verify: %d entries, %v", v.Count(), err)
		}
	})
}

// Tampering with a stored entry, or removing one, is detected at that entry.
func TestAuditTamperingIsDetected(t *testing.T) {
	engines(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		for i := 0; i < 5; i++ {
			mkOrg(t, db, fmt.Sprint("o", i), fmt.Sprint(100+i))
		}
		if _, err := audit.Verify(ctx, db); err != nil {
			t.Fatalf("intact chain: %v", err)
		}
		if _, err := db.SQL.Exec(`UPDATE audit_log SET detail = 'forged' WHERE seq = 3`); err != nil {
			t.Fatal(err)
		}
		_, err := audit.Verify(ctx, db)
		if err == nil || !strings.Contains(err.Error(), "entry 3") || !strings.Contains(err.Error(), "altered") {
			t.Fatalf("altered entry: %v", err)
		}
		if _, err := db.SQL.Exec(`UPDATE audit_log SET detail = '' WHERE seq = 3`); err != nil {
			t.Fatal(err)
		}
		if _, err := audit.Verify(ctx, db); err != nil {
			t.Fatalf("restored chain: %v", err)
		}
		if _, err := db.SQL.Exec(`DELETE FROM audit_log WHERE seq = 2`); err != nil {
			t.Fatal(err)
		}
		_, err = audit.Verify(ctx, db)
		if err == nil || !strings.Contains(err.Error(), "entry 2") || !strings.Contains(err.Error(), "missing") {
			t.Fatalf("removed entry: %v", err)
		}
	})
}

func TestAuditListingIsScopedToOrg(t *testing.T) {
	engines(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		mkOrg(t, db, "a", "1001")
		mkOrg(t, db, "b", "1002")
		es, err := db.ListAudit(ctx, audit.Filter{OrgID: "org-a", Limit: 10})
		if err != nil || len(es) != 1 || es[0].OrgID != "org-a" {
			t.Fatalf("org a's log: %+v %v", es, err)
		}
		all, _ := db.ListAudit(ctx, audit.Filter{Limit: 10})
		if len(all) != 2 || all[0].Seq != 2 {
			t.Fatalf("whole log newest first: %+v", all)
		}
		older, _ := db.ListAudit(ctx, audit.Filter{After: 2, Limit: 10})
		if len(older) != 1 || older[0].Seq != 1 {
			t.Fatalf("cursor: %+v", older)
		}
	})
}
