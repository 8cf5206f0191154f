-- Bank guarantees for customs duties. The money is held in the ledger (a
-- pending transfer from the bank's account to the customs revenue
-- account); these rows say whose it is and how much of it remains.
-- guarantee_moves are the draws and releases of the reservation, written
-- as intents before the ledger is asked and marked done after.

CREATE TABLE guarantees (
    id               TEXT PRIMARY KEY,
    reference        TEXT NOT NULL,
    bank_org         TEXT NOT NULL REFERENCES orgs (id),
    principal_org    TEXT NOT NULL REFERENCES orgs (id),
    beneficiary_org  TEXT NOT NULL REFERENCES orgs (id),
    backing_account  TEXT NOT NULL,
    revenue_account  TEXT NOT NULL,
    amount           BIGINT NOT NULL,
    remaining        BIGINT NOT NULL,
    valid_until      BIGINT NOT NULL,
    status           TEXT NOT NULL,
    hold_seq         BIGINT NOT NULL,
    created_at       BIGINT NOT NULL,
    created_by       TEXT NOT NULL,
    updated_at       BIGINT NOT NULL,
    CHECK (amount > 0),
    CHECK (remaining >= 0 AND remaining <= amount),
    CHECK (status IN ('active', 'exhausted', 'cancelled'))
);
CREATE INDEX guarantees_bank ON guarantees (bank_org, id);
CREATE INDEX guarantees_principal ON guarantees (principal_org, id);
CREATE INDEX guarantees_beneficiary ON guarantees (beneficiary_org, id);

CREATE TABLE guarantee_moves (
    guarantee_id    TEXT NOT NULL REFERENCES guarantees (id),
    seq             BIGINT NOT NULL,
    kind            TEXT NOT NULL,
    declaration_id  TEXT,
    amount          BIGINT NOT NULL,
    transfer_id     TEXT NOT NULL,
    done            BOOLEAN NOT NULL,
    at              BIGINT NOT NULL,
    by_user         TEXT NOT NULL,
    PRIMARY KEY (guarantee_id, seq),
    CHECK (kind IN ('draw', 'void')),
    CHECK (amount >= 0)
);
CREATE UNIQUE INDEX guarantee_moves_declaration ON guarantee_moves (declaration_id);
