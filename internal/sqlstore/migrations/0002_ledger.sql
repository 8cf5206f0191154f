-- The ledger. Designed for write throughput on both engines:
--  * transfers are appended in sequence order (INTEGER PRIMARY KEY: the
--    rowid in SQLite), so inserts touch only the right edge of the table;
--  * there is no per-account history index: each transfer row carries the
--    previous sequence number of its debit and credit accounts, and an
--    account's history is a walk along that chain from ledger_accounts.last_seq;
--  * the only secondary index on transfers is the client id, which is
--    time-ordered when clients follow the documented UUIDv7 advice;
--  * ledger_head is read and updated by every batch: it hands out sequence
--    numbers and timestamps and makes concurrent batches (even from two
--    processes) conflict on one row under serializable isolation.

CREATE TABLE ledger_head (
    id              INTEGER PRIMARY KEY,
    version         BIGINT NOT NULL,
    last_seq        BIGINT NOT NULL,
    last_ts         BIGINT NOT NULL,
    last_account    BIGINT NOT NULL,
    max_transfer_id BLOB
);
INSERT INTO ledger_head (id, version, last_seq, last_ts, last_account, max_transfer_id) VALUES (1, 0, 0, 0, 0, NULL);

CREATE TABLE ledger_accounts (
    row_id           INTEGER PRIMARY KEY,
    id               BLOB NOT NULL,
    org_id           TEXT NOT NULL,
    currency         TEXT NOT NULL,
    kind             TEXT NOT NULL,
    code             TEXT NOT NULL,
    name             TEXT NOT NULL,
    flags            BIGINT NOT NULL,
    closed           BOOLEAN NOT NULL,
    created_at       BIGINT NOT NULL
);

-- The hot counters live apart from the accounts' cold attributes: a batch
-- rewrites only these narrow rows.
CREATE TABLE ledger_balances (
    row_id           INTEGER PRIMARY KEY,
    debits_pending   BIGINT NOT NULL,
    debits_posted    BIGINT NOT NULL,
    credits_pending  BIGINT NOT NULL,
    credits_posted   BIGINT NOT NULL,
    last_seq         BIGINT NOT NULL
);
CREATE UNIQUE INDEX ledger_accounts_id ON ledger_accounts (id);
CREATE INDEX ledger_accounts_org ON ledger_accounts (org_id, row_id);

CREATE TABLE ledger_transfers (
    seq          INTEGER PRIMARY KEY,
    id           BLOB NOT NULL,
    debit_row    BIGINT NOT NULL,
    credit_row   BIGINT NOT NULL,
    amount       BIGINT NOT NULL,
    currency     TEXT NOT NULL,
    pending_id   BLOB,
    timeout      BIGINT NOT NULL,
    code         TEXT NOT NULL,
    reference    TEXT NOT NULL,
    flags        BIGINT NOT NULL,
    ts           BIGINT NOT NULL,
    debit_prev   BIGINT NOT NULL,
    credit_prev  BIGINT NOT NULL,
    dr_balance   BIGINT NOT NULL,
    cr_balance   BIGINT NOT NULL
);
CREATE UNIQUE INDEX ledger_transfers_id ON ledger_transfers (id);

CREATE TABLE ledger_pending (
    id          BLOB PRIMARY KEY,
    seq         BIGINT NOT NULL,
    state       TEXT NOT NULL,
    expires_at  BIGINT NOT NULL
);
CREATE INDEX ledger_pending_expiry ON ledger_pending (state, expires_at);
