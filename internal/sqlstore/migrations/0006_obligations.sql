-- Obligation clearing (MTCS): the trade-credit register and its clearing
-- runs. An invoice's outstanding amount is the only figure a run changes;
-- each run keeps its per-currency figures, per-firm lines and per-invoice
-- set-offs, so every reduction of an invoice is explained by a run.

CREATE TABLE obligation_invoices (
    id            TEXT PRIMARY KEY,
    creditor_org  TEXT NOT NULL REFERENCES orgs (id),
    debtor_org    TEXT NOT NULL REFERENCES orgs (id),
    number        TEXT NOT NULL,
    currency      TEXT NOT NULL,
    amount        BIGINT NOT NULL,
    outstanding   BIGINT NOT NULL,
    issue_date    BIGINT NOT NULL,
    due_date      BIGINT NOT NULL,
    source        TEXT NOT NULL,
    created_by    TEXT NOT NULL,
    created_at    BIGINT NOT NULL,
    confirmed_by  TEXT NOT NULL,
    confirmed_at  BIGINT NOT NULL,
    last_run      BIGINT NOT NULL,
    CHECK (amount > 0),
    CHECK (outstanding >= 0 AND outstanding <= amount),
    CHECK (creditor_org <> debtor_org)
);
CREATE UNIQUE INDEX obligation_invoices_number ON obligation_invoices (creditor_org, number);
CREATE INDEX obligation_invoices_creditor ON obligation_invoices (creditor_org, id);
CREATE INDEX obligation_invoices_debtor ON obligation_invoices (debtor_org, id);
CREATE INDEX obligation_invoices_clearable ON obligation_invoices (id) WHERE confirmed_at > 0 AND outstanding > 0;

CREATE TABLE obligation_runs (
    number            BIGINT PRIMARY KEY,
    id                TEXT NOT NULL,
    trigger_kind      TEXT NOT NULL,
    run_by            TEXT NOT NULL,
    started_at        BIGINT NOT NULL,
    finished_at       BIGINT NOT NULL,
    invoices_touched  BIGINT NOT NULL
);
CREATE UNIQUE INDEX obligation_runs_id ON obligation_runs (id);

CREATE TABLE obligation_run_currencies (
    run_number        BIGINT NOT NULL,
    currency          TEXT NOT NULL,
    invoices          BIGINT NOT NULL,
    firms             BIGINT NOT NULL,
    total_debt        BIGINT NOT NULL,
    cleared           BIGINT NOT NULL,
    invoices_touched  BIGINT NOT NULL,
    net_debit         BIGINT NOT NULL,
    certificate       TEXT NOT NULL,
    PRIMARY KEY (run_number, currency)
);

CREATE TABLE obligation_run_firms (
    run_number         BIGINT NOT NULL,
    org_id             TEXT NOT NULL,
    currency           TEXT NOT NULL,
    payable_before     BIGINT NOT NULL,
    receivable_before  BIGINT NOT NULL,
    cleared            BIGINT NOT NULL,
    potential          BIGINT NOT NULL,
    PRIMARY KEY (run_number, org_id, currency)
);
CREATE INDEX obligation_run_firms_org ON obligation_run_firms (org_id, run_number);

CREATE TABLE obligation_setoffs (
    run_number          BIGINT NOT NULL,
    invoice_id          TEXT NOT NULL,
    outstanding_before  BIGINT NOT NULL,
    amount              BIGINT NOT NULL,
    PRIMARY KEY (run_number, invoice_id)
);
CREATE INDEX obligation_setoffs_invoice ON obligation_setoffs (invoice_id, run_number);
