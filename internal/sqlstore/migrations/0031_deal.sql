-- Investment agreements signed electronically (issue 11): organisations'
-- Ed25519 public keys, agreements with their document (base64 text, so the
-- same column type serves both engines) and its SHA-256, and one row per
-- party holding its signature once given. Times are UTC microseconds.

CREATE TABLE deal_keys (
    id          TEXT PRIMARY KEY,
    org_id      TEXT NOT NULL REFERENCES orgs (id),
    label       TEXT NOT NULL,
    public_key  TEXT NOT NULL,
    created_by  TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    UNIQUE (org_id, public_key)
);

CREATE TABLE agreements (
    id           TEXT PRIMARY KEY,
    title        TEXT NOT NULL,
    creator_org  TEXT NOT NULL REFERENCES orgs (id),
    created_by   TEXT NOT NULL,
    doc_name     TEXT NOT NULL,
    doc_sha256   TEXT NOT NULL,
    doc_size     INTEGER NOT NULL,
    document     TEXT NOT NULL,
    status       TEXT NOT NULL,
    created_at   BIGINT NOT NULL,
    signed_at    BIGINT NOT NULL,
    CHECK (status IN ('open', 'signed'))
);

CREATE TABLE agreement_parties (
    agreement_id TEXT NOT NULL REFERENCES agreements (id),
    org_id       TEXT NOT NULL REFERENCES orgs (id),
    position     INTEGER NOT NULL,
    signature    TEXT NOT NULL,
    key_id       TEXT NOT NULL,
    public_key   TEXT NOT NULL,
    signed_by    TEXT NOT NULL,
    signed_at    BIGINT NOT NULL,
    PRIMARY KEY (agreement_id, org_id)
);
CREATE INDEX agreement_parties_org ON agreement_parties (org_id, agreement_id);
