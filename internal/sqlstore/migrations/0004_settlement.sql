-- Local-currency settlement. A cycle covers the instructions with sequence
-- numbers in (from_seq, to_seq] plus those carried from earlier cycles; an
-- instruction's status follows from that, so settling a million
-- instructions writes only the exceptions: carried (deferred, future-dated)
-- instructions and carried ones settled later.

CREATE TABLE settlement_participants (
    row_id        INTEGER PRIMARY KEY,
    org_id        TEXT NOT NULL REFERENCES orgs (id),
    bic           TEXT NOT NULL,
    credit_lines  TEXT NOT NULL,
    active        BOOLEAN NOT NULL,
    created_at    BIGINT NOT NULL
);
CREATE UNIQUE INDEX settlement_participants_org ON settlement_participants (org_id);
CREATE UNIQUE INDEX settlement_participants_bic ON settlement_participants (bic);

CREATE TABLE settlement_instructions (
    seq             INTEGER PRIMARY KEY,
    payer_row       BIGINT NOT NULL,
    e2e_id          TEXT NOT NULL,
    payee_row       BIGINT NOT NULL,
    amount          BIGINT NOT NULL,
    currency        TEXT NOT NULL,
    payee_currency  TEXT NOT NULL,
    value_date      BIGINT NOT NULL,
    urgent          BOOLEAN NOT NULL,
    remittance      TEXT NOT NULL,
    source          TEXT NOT NULL,
    created_at      BIGINT NOT NULL,
    cancelled_at    BIGINT NOT NULL
);
CREATE UNIQUE INDEX settlement_instructions_e2e ON settlement_instructions (payer_row, e2e_id);
CREATE INDEX settlement_instructions_payee ON settlement_instructions (payee_row, seq);

CREATE TABLE settlement_carry (
    seq           BIGINT PRIMARY KEY,
    cycle_number  BIGINT NOT NULL,
    reason        TEXT NOT NULL,
    shortfall     BIGINT NOT NULL
);

CREATE TABLE settlement_late (
    seq           BIGINT PRIMARY KEY,
    cycle_number  BIGINT NOT NULL
);

CREATE TABLE settlement_cycles (
    number      BIGINT PRIMARY KEY,
    id          TEXT NOT NULL,
    from_seq    BIGINT NOT NULL,
    to_seq      BIGINT NOT NULL,
    started_at  BIGINT NOT NULL,
    settled_at  BIGINT NOT NULL,
    report      TEXT NOT NULL
);

CREATE TABLE settlement_state (
    id          INTEGER PRIMARY KEY,
    version     BIGINT NOT NULL,
    last_seq    BIGINT NOT NULL,
    last_cycle  BIGINT NOT NULL
);
INSERT INTO settlement_state (id, version, last_seq, last_cycle) VALUES (1, 0, 0, 0);
