-- Names instead of ids (issue 10).
--
-- Saved counterparties: an organisation keeps the accounts it pays under
-- its own labels, so sending a transfer is picking a name, not pasting a
-- UUID. The row records only what the org typed and what the check told it
-- (the account can receive in this currency); the owner of the account is
-- not stored, so the list can never show more than that. Not a ledger_
-- table: it is written at SERIALIZABLE like any other record, without the
-- ledger's head row.
CREATE TABLE saved_counterparties (
    id          TEXT PRIMARY KEY,
    org_id      TEXT NOT NULL,
    account_id  BLOB NOT NULL,
    currency    TEXT NOT NULL,
    label       TEXT NOT NULL,
    created_by  TEXT NOT NULL,
    created_at  BIGINT NOT NULL
);
CREATE UNIQUE INDEX saved_counterparties_account ON saved_counterparties (org_id, account_id);
CREATE UNIQUE INDEX saved_counterparties_label ON saved_counterparties (org_id, label);

-- The audit log's filters (who, which record) page newest first.
CREATE INDEX audit_log_actor ON audit_log (actor_user, seq);
CREATE INDEX audit_log_subject ON audit_log (subject_type, subject_id, seq);
