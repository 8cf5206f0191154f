-- Foundation: organisations, users, sessions, API tokens, the audit chain.
-- Times are Unix microseconds (BIGINT) so that both engines sort and compare
-- them the same way; ids are UUIDv7 text, time-ordered for index locality.

CREATE TABLE orgs (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    kind        TEXT NOT NULL,
    country     TEXT NOT NULL,
    reg_scheme  TEXT NOT NULL,
    reg_id      TEXT NOT NULL,
    created_at  BIGINT NOT NULL
);
CREATE UNIQUE INDEX orgs_registration ON orgs (country, reg_scheme, reg_id);

CREATE TABLE users (
    id             TEXT PRIMARY KEY,
    org_id         TEXT NOT NULL REFERENCES orgs (id),
    email          TEXT NOT NULL,
    name           TEXT NOT NULL,
    password_hash  TEXT NOT NULL,
    roles          TEXT NOT NULL,
    lang           TEXT NOT NULL,
    disabled       BOOLEAN NOT NULL,
    created_at     BIGINT NOT NULL
);
CREATE UNIQUE INDEX users_email ON users (email);
CREATE INDEX users_org ON users (org_id, id);

CREATE TABLE sessions (
    token_hash    BLOB PRIMARY KEY,
    user_id       TEXT NOT NULL REFERENCES users (id),
    csrf_token    TEXT NOT NULL,
    created_at    BIGINT NOT NULL,
    last_seen_at  BIGINT NOT NULL,
    expires_at    BIGINT NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);

CREATE TABLE api_tokens (
    id            TEXT PRIMARY KEY,
    org_id        TEXT NOT NULL REFERENCES orgs (id),
    created_by    TEXT NOT NULL REFERENCES users (id),
    name          TEXT NOT NULL,
    token_hash    BLOB NOT NULL,
    roles         TEXT NOT NULL,
    created_at    BIGINT NOT NULL,
    expires_at    BIGINT NOT NULL,
    revoked_at    BIGINT NOT NULL,
    last_used_at  BIGINT NOT NULL
);
CREATE UNIQUE INDEX api_tokens_hash ON api_tokens (token_hash);
CREATE INDEX api_tokens_org ON api_tokens (org_id, id);

-- Append-only; each row carries the hash of its predecessor so that any
-- altered or removed row breaks the chain (see internal/audit).
CREATE TABLE audit_log (
    seq           BIGINT PRIMARY KEY,
    at            BIGINT NOT NULL,
    actor_user    TEXT NOT NULL,
    actor_org     TEXT NOT NULL,
    action        TEXT NOT NULL,
    subject_type  TEXT NOT NULL,
    subject_id    TEXT NOT NULL,
    org_id        TEXT NOT NULL,
    before_ref    TEXT NOT NULL,
    after_ref     TEXT NOT NULL,
    detail        TEXT NOT NULL,
    prev_hash     BLOB NOT NULL,
    hash          BLOB NOT NULL
);
CREATE INDEX audit_log_org ON audit_log (org_id, seq);
