package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"bricstown/internal/audit"
	"bricstown/internal/identity"
	"bricstown/internal/problem"
)

func micros(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMicro()
}

func fromMicros(v int64) time.Time {
	if v == 0 {
		return time.Time{}
	}
	return time.UnixMicro(v).UTC()
}

func notFound(err error, what string) error {
	if errors.Is(err, sql.ErrNoRows) {
		return problem.New(problem.NotFound, "no such %s", what)
	}
	return err
}

// CreateOrg implements identity.Store.
func (db *DB) CreateOrg(ctx context.Context, o identity.Org, rec audit.Record) error {
	err := db.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO orgs (id, name, kind, country, reg_scheme, reg_id, created_at)
			VALUES ($1,$2,$3,$4,$5,$6,$7)`, o.ID, o.Name, o.Kind, o.Country, o.RegScheme, o.RegID, micros(o.CreatedAt)); err != nil {
			return err
		}
		return appendAudit(ctx, tx, o.CreatedAt, rec)
	})
	if IsUniqueViolation(err) {
		return &problem.Error{Code: problem.Conflict, Message: "an organisation with this registration number exists",
			Fields: map[string]string{"reg_id": "already registered"}, Err: err}
	}
	return err
}

const orgCols = `id, name, kind, country, reg_scheme, reg_id, created_at`

func scanOrg(sc interface{ Scan(...any) error }) (identity.Org, error) {
	var o identity.Org
	var at int64
	err := sc.Scan(&o.ID, &o.Name, &o.Kind, &o.Country, &o.RegScheme, &o.RegID, &at)
	o.CreatedAt = fromMicros(at)
	return o, err
}

// GetOrg implements identity.Store.
func (db *DB) GetOrg(ctx context.Context, id string) (identity.Org, error) {
	o, err := scanOrg(db.SQL.QueryRowContext(ctx, `SELECT `+orgCols+` FROM orgs WHERE id = $1`, id))
	return o, notFound(err, "organisation")
}

// ListOrgs implements identity.Store.
func (db *DB) ListOrgs(ctx context.Context, p identity.Page) ([]identity.Org, error) {
	rows, err := db.SQL.QueryContext(ctx, `SELECT `+orgCols+` FROM orgs WHERE id > $1 ORDER BY id LIMIT $2`, p.After, p.Limit)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: list orgs: %w", err)
	}
	return collect(rows, scanOrg)
}

func collect[T any](rows *sql.Rows, scan func(interface{ Scan(...any) error }) (T, error)) ([]T, error) {
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// CreateUser implements identity.Store.
func (db *DB) CreateUser(ctx context.Context, u identity.User, rec audit.Record) error {
	err := db.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO users (id, org_id, email, name, password_hash, roles, lang, disabled, created_at)
			VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9)`, u.ID, u.OrgID, u.Email, u.Name, u.PasswordHash, identity.RolesString(u.Roles),
			u.Lang, u.Disabled, micros(u.CreatedAt)); err != nil {
			return err
		}
		return appendAudit(ctx, tx, u.CreatedAt, rec)
	})
	if IsUniqueViolation(err) {
		return problem.Wrap(problem.Conflict, err, "a user with this email exists")
	}
	return err
}

const userCols = `id, org_id, email, name, password_hash, roles, lang, disabled, created_at`

func scanUser(sc interface{ Scan(...any) error }) (identity.User, error) {
	var u identity.User
	var roles string
	var at int64
	err := sc.Scan(&u.ID, &u.OrgID, &u.Email, &u.Name, &u.PasswordHash, &roles, &u.Lang, &u.Disabled, &at)
	u.Roles = identity.ParseRoles(roles)
	u.CreatedAt = fromMicros(at)
	return u, err
}

// GetUser implements identity.Store.
func (db *DB) GetUser(ctx context.Context, id string) (identity.User, error) {
	u, err := scanUser(db.SQL.QueryRowContext(ctx, `SELECT `+userCols+` FROM users WHERE id = $1`, id))
	return u, notFound(err, "user")
}

// GetUserByEmail implements identity.Store.
func (db *DB) GetUserByEmail(ctx context.Context, email string) (identity.User, error) {
	u, err := scanUser(db.SQL.QueryRowContext(ctx, `SELECT `+userCols+` FROM users WHERE email = $1`, email))
	return u, notFound(err, "user")
}

// ListUsers implements identity.Store.
func (db *DB) ListUsers(ctx context.Context, orgID string, p identity.Page) ([]identity.User, error) {
	rows, err := db.SQL.QueryContext(ctx, `SELECT `+userCols+` FROM users WHERE org_id = $1 AND id > $2 ORDER BY id LIMIT $3`, orgID, p.After, p.Limit)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: list users: %w", err)
	}
	return collect(rows, scanUser)
}

// SetUserDisabled implements identity.Store; disabling also ends the user's sessions.
func (db *DB) SetUserDisabled(ctx context.Context, id string, disabled bool, rec audit.Record) error {
	return db.Tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE users SET disabled = $1 WHERE id = $2`, disabled, id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return problem.New(problem.NotFound, "no such user")
		}
		if disabled {
			if _, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE user_id = $1`, id); err != nil {
				return err
			}
		}
		return appendAudit(ctx, tx, time.Now(), rec)
	})
}

// CreateSession implements identity.Store.
func (db *DB) CreateSession(ctx context.Context, s identity.Session, rec audit.Record) error {
	return db.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO sessions (token_hash, user_id, csrf_token, created_at, last_seen_at, expires_at)
			VALUES ($1,$2,$3,$4,$5,$6)`, s.TokenHash, s.UserID, s.CSRFToken, micros(s.CreatedAt), micros(s.LastSeenAt), micros(s.ExpiresAt)); err != nil {
			return err
		}
		return appendAudit(ctx, tx, s.CreatedAt, rec)
	})
}

// GetSession implements identity.Store.
func (db *DB) GetSession(ctx context.Context, h []byte) (identity.Session, error) {
	var s identity.Session
	var c, l, e int64
	err := db.SQL.QueryRowContext(ctx, `SELECT token_hash, user_id, csrf_token, created_at, last_seen_at, expires_at FROM sessions WHERE token_hash = $1`, h).
		Scan(&s.TokenHash, &s.UserID, &s.CSRFToken, &c, &l, &e)
	s.CreatedAt, s.LastSeenAt, s.ExpiresAt = fromMicros(c), fromMicros(l), fromMicros(e)
	return s, notFound(err, "session")
}

// TouchSession implements identity.Store. Session activity is not audited:
// it changes no business state.
func (db *DB) TouchSession(ctx context.Context, h []byte, at time.Time) error {
	return db.Tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE sessions SET last_seen_at = $1 WHERE token_hash = $2`, micros(at), h)
		return err
	})
}

// DeleteSession implements identity.Store.
func (db *DB) DeleteSession(ctx context.Context, h []byte, rec audit.Record) error {
	return db.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE token_hash = $1`, h); err != nil {
			return err
		}
		return appendAudit(ctx, tx, time.Now(), rec)
	})
}

// DeleteExpiredSessions implements identity.Store.
func (db *DB) DeleteExpiredSessions(ctx context.Context, now time.Time) (int64, error) {
	var n int64
	err := db.Tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE expires_at <= $1`, micros(now))
		if err != nil {
			return err
		}
		n, _ = res.RowsAffected()
		return nil
	})
	return n, err
}

// CreateAPIToken implements identity.Store.
func (db *DB) CreateAPIToken(ctx context.Context, t identity.APIToken, rec audit.Record) error {
	return db.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO api_tokens (id, org_id, created_by, name, token_hash, roles, created_at, expires_at, revoked_at, last_used_at)
			VALUES ($1,$2,$3,$4,$5,$6,$7,$8,0,0)`, t.ID, t.OrgID, t.CreatedBy, t.Name, t.Hash, identity.RolesString(t.Roles),
			micros(t.CreatedAt), micros(t.ExpiresAt)); err != nil {
			return err
		}
		return appendAudit(ctx, tx, t.CreatedAt, rec)
	})
}

const tokenCols = `id, org_id, created_by, name, token_hash, roles, created_at, expires_at, revoked_at, last_used_at`

func scanToken(sc interface{ Scan(...any) error }) (identity.APIToken, error) {
	var t identity.APIToken
	var roles string
	var c, e, r, l int64
	err := sc.Scan(&t.ID, &t.OrgID, &t.CreatedBy, &t.Name, &t.Hash, &roles, &c, &e, &r, &l)
	t.Roles = identity.ParseRoles(roles)
	t.CreatedAt, t.ExpiresAt, t.RevokedAt, t.LastUsedAt = fromMicros(c), fromMicros(e), fromMicros(r), fromMicros(l)
	return t, err
}

// GetAPITokenByHash implements identity.Store.
func (db *DB) GetAPITokenByHash(ctx context.Context, h []byte) (identity.APIToken, error) {
	t, err := scanToken(db.SQL.QueryRowContext(ctx, `SELECT `+tokenCols+` FROM api_tokens WHERE token_hash = $1`, h))
	return t, notFound(err, "API token")
}

// ListAPITokens implements identity.Store.
func (db *DB) ListAPITokens(ctx context.Context, orgID string, p identity.Page) ([]identity.APIToken, error) {
	rows, err := db.SQL.QueryContext(ctx, `SELECT `+tokenCols+` FROM api_tokens WHERE org_id = $1 AND id > $2 ORDER BY id LIMIT $3`, orgID, p.After, p.Limit)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: list tokens: %w", err)
	}
	return collect(rows, scanToken)
}

// RevokeAPIToken implements identity.Store. The org id is part of the
// WHERE clause so that one org can never revoke another's token, even with
// a guessed id.
func (db *DB) RevokeAPIToken(ctx context.Context, orgID, id string, at time.Time, rec audit.Record) error {
	return db.Tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE api_tokens SET revoked_at = $1 WHERE id = $2 AND org_id = $3 AND revoked_at = 0`, micros(at), id, orgID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return problem.New(problem.NotFound, "no such active token")
		}
		return appendAudit(ctx, tx, at, rec)
	})
}

// TouchAPIToken implements identity.Store.
func (db *DB) TouchAPIToken(ctx context.Context, id string, at time.Time) error {
	return db.Tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE api_tokens SET last_used_at = $1 WHERE id = $2`, micros(at), id)
		return err
	})
}

var (
	_ identity.Store = (*DB)(nil)
	_ audit.Store    = (*DB)(nil)
)

// OrgCounts counts organisations by kind and by country for the overview.
func (db *DB) OrgCounts(ctx context.Context) (byKind, byCountry map[string]int, err error) {
	byKind, byCountry = map[string]int{}, map[string]int{}
	rows, err := db.SQL.QueryContext(ctx, `SELECT kind, country, COUNT(*) FROM orgs GROUP BY kind, country`)
	if err != nil {
		return nil, nil, fmt.Errorf("sqlstore: org counts: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var k, c string
		var n int
		if err := rows.Scan(&k, &c, &n); err != nil {
			return nil, nil, err
		}
		byKind[k] += n
		byCountry[c] += n
	}
	return byKind, byCountry, rows.Err()
}
