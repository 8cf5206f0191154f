package identity_test

import (
	"context"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"bricstown/internal/identity"
	"bricstown/internal/problem"
	"bricstown/internal/sqlstore"
)

func TestRegistrationNumbers(t *testing.T) {
	cases := []struct {
		country, id string
		ok          bool
	}{
		{"KZ", "180340021791", true},  // BIN with a first-pass check digit
		{"KZ", "180340021792", false}, // check digit off by one
		{"KZ", "18034002179", false},  // too short
		{"KZ", "18034002179A", false},
		{"RU", "7707083893", true}, // INN of a well-known bank, published
		{"RU", "7707083894", false},
		{"BR", "11222333000181", true}, // the CNPJ used in documentation examples
		{"BR", "11222333000182", false},
		{"CN", "91350100M000100Y43", true},
		{"CN", "91350100M000100Y44", false},
		{"CN", "91350100M000100YI3", false}, // I is not in the alphabet
		{"IN", "U72200MH2009PLC123456", true},
		{"IN", "X72200MH2009PLC123456", false},
		{"ZA", "2019/123456/07", false}, // slashes are for humans: normalise first
		{"ZA", "201912345607", true},
		{"ZA", "A!", false},
	}
	for _, c := range cases {
		_, err := identity.CheckRegID(c.country, c.id)
		if (err == nil) != c.ok {
			t.Errorf("%s %s: err=%v, want ok=%v", c.country, c.id, err, c.ok)
		}
	}
	if got := identity.NormaliseRegID(" 2019/123456-07 "); got != "201912345607" {
		t.Errorf("normalise: %q", got)
	}
}

func TestPasswordHashing(t *testing.T) {
	h, err := identity.HashPassword("correct horse battery")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Fatalf("hash format %q", h)
	}
	if !identity.CheckPassword(h, "correct horse battery") || identity.CheckPassword(h, "correct horse batterx") {
		t.Fatal("password check wrong")
	}
	h2, _ := identity.HashPassword("correct horse battery")
	if h == h2 {
		t.Fatal("no salt")
	}
	for _, bad := range []string{"", "$argon2id$", "$bcrypt$x$y$z$w", strings.Replace(h, "m=19456", "m=0", 1)} {
		if identity.CheckPassword(bad, "correct horse battery") {
			t.Errorf("malformed hash %q accepted", bad)
		}
	}
}

type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

func newService(t *testing.T, c *clock) (*identity.Service, identity.Org) {
	ctx := context.Background()
	db, err := sqlstore.Open(ctx, filepath.Join(t.TempDir(), "id.db"), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	svc := identity.NewService(db, identity.Config{Now: c.now, SessionIdle: 30 * time.Minute, SessionAbsolute: 8 * time.Hour})
	org, err := svc.CreateOrg(ctx, nil, identity.NewOrg{Name: "Aral Salt", Kind: identity.KindCompany, Country: "BR", RegID: "11.222.333/0001-81"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.CreateUser(ctx, nil, org.ID, identity.NewUser{Email: "Ana@Aral.br", Name: "Ana", Password: "long enough pw", Roles: []identity.Role{identity.Trader}}); err != nil {
		t.Fatal(err)
	}
	return svc, org
}

func TestSessionsExpireWhenIdleAndAbsolutely(t *testing.T) {
	ctx := context.Background()
	c := &clock{time.Date(2026, 3, 14, 9, 0, 0, 0, time.UTC)}
	svc, _ := newService(t, c)
	if _, _, _, err := svc.Login(ctx, "ana@aral.br", "wrong", "192.0.2.1"); err != identity.ErrBadLogin {
		t.Fatalf("wrong password: %v", err)
	}
	if _, _, _, err := svc.Login(ctx, "nobody@aral.br", "long enough pw", "192.0.2.1"); err != identity.ErrBadLogin {
		t.Fatalf("unknown email: %v", err)
	}
	secret, _, _, err := svc.Login(ctx, "ANA@aral.br", "long enough pw", "192.0.2.1")
	if err != nil {
		t.Fatal(err)
	}
	// Active use keeps the session alive past the idle limit...
	for i := 0; i < 10; i++ {
		c.t = c.t.Add(20 * time.Minute)
		if _, err := svc.AuthenticateSession(ctx, secret); err != nil {
			t.Fatalf("active session ended after %d steps: %v", i, err)
		}
	}
	// ...but idleness ends it.
	c.t = c.t.Add(31 * time.Minute)
	if _, err := svc.AuthenticateSession(ctx, secret); !problem.Is(err, problem.Unauthenticated) {
		t.Fatalf("idle session: %v", err)
	}
	// The absolute limit ends even an active session.
	secret, _, _, _ = svc.Login(ctx, "ana@aral.br", "long enough pw", "192.0.2.1")
	for i := 0; i < 24; i++ {
		c.t = c.t.Add(20 * time.Minute)
		svc.AuthenticateSession(ctx, secret)
	}
	if _, err := svc.AuthenticateSession(ctx, secret); !problem.Is(err, problem.Unauthenticated) {
		t.Fatalf("session past its absolute limit: %v", err)
	}
}

func TestUserRulesAndTokenScopes(t *testing.T) {
	ctx := context.Background()
	c := &clock{time.Now()}
	svc, org := newService(t, c)
	// A company cannot give its staff customs powers.
	_, err := svc.CreateUser(ctx, nil, org.ID, identity.NewUser{Email: "x@aral.br", Name: "X", Password: "long enough pw", Roles: []identity.Role{identity.CustomsOfficer}})
	var pe *problem.Error
	if !problem.Is(err, problem.Invalid) || !asProblem(err, &pe) || pe.Fields["roles[0]"] == "" {
		t.Fatalf("customs role in a company: %v", err)
	}
	// Duplicate email, any case.
	_, err = svc.CreateUser(ctx, nil, org.ID, identity.NewUser{Email: "ANA@ARAL.BR", Name: "A", Password: "long enough pw", Roles: []identity.Role{identity.Trader}})
	if !problem.Is(err, problem.Conflict) {
		t.Fatalf("duplicate email: %v", err)
	}
	_, _, p, err := svc.Login(ctx, "ana@aral.br", "long enough pw", "192.0.2.1")
	if err != nil {
		t.Fatal(err)
	}
	// Only org admins issue tokens, and never with roles they lack.
	if _, _, err := svc.CreateToken(ctx, p, org.ID, identity.NewToken{Name: "t", Roles: []identity.Role{identity.Trader}}); !problem.Is(err, problem.NotFound) {
		t.Fatalf("trader issuing a token: %v", err)
	}
	p.Roles = append(p.Roles, identity.OrgAdmin)
	if _, _, err := svc.CreateToken(ctx, p, org.ID, identity.NewToken{Name: "t", Roles: []identity.Role{identity.BankOperator}}); !problem.Is(err, problem.Forbidden) {
		t.Fatalf("token with a role the issuer lacks: %v", err)
	}
	tok, secret, err := svc.CreateToken(ctx, p, org.ID, identity.NewToken{Name: "erp", Roles: []identity.Role{identity.Trader}, ExpiresIn: 1})
	if err != nil {
		t.Fatal(err)
	}
	tp, err := svc.AuthenticateToken(ctx, secret)
	if err != nil || tp.Has(identity.OrgAdmin) || !tp.Has(identity.Trader) || tp.TokenID != tok.ID {
		t.Fatalf("token principal %+v %v", tp, err)
	}
	c.t = c.t.Add(25 * time.Hour)
	if _, err := svc.AuthenticateToken(ctx, secret); !problem.Is(err, problem.Unauthenticated) {
		t.Fatalf("expired token: %v", err)
	}
}

func asProblem(err error, pe **problem.Error) bool {
	e, ok := err.(*problem.Error)
	*pe = e
	return ok
}
