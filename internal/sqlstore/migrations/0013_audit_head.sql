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
