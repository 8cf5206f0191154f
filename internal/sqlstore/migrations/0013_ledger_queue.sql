-- The audit chain's head, claimed first by every audit append (issue 13).
-- Appenders used to read the newest entry and insert the next sequence
-- number; that only stayed a chain while every writer ran SERIALIZABLE.
-- Ledger batches now run at READ COMMITTED behind the ledger head, so the
-- chain gets a head row of its own: a writer at READ COMMITTED waits for
-- its row lock and carries on from the newest value, a SERIALIZABLE one
-- gets a serialization failure (retried), and no one reuses a number.

CREATE TABLE audit_head (
    id   INTEGER PRIMARY KEY,
    seq  BIGINT NOT NULL
);

INSERT INTO audit_head (id, seq) SELECT 1, COALESCE(MAX(seq), 0) FROM audit_log;

-- One row per serving process. A ledger batch on PostgreSQL commits without
-- waiting for its WAL flush, so the head row's lock is not held through an
-- fsync; before the batch is acknowledged, the process bumps its own row
-- here in a normal (synchronous) commit, which flushes the WAL up to and
-- past the batch's commit record. Rows are per process, so these commits
-- never wait for each other, and PostgreSQL flushes concurrent ones
-- together.
CREATE TABLE ledger_flush (
    writer  TEXT PRIMARY KEY,
    n       BIGINT NOT NULL
);
