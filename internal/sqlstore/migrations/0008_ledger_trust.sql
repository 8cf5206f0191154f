-- The trust model of money (docs/MONEY.md): an issuer account's debits may
-- exceed its credits by up to debit_limit (a bank's credit line from the
-- settlement centre; the centre's own books have no ceiling). Every other
-- account's limit is 0 and the ledger ignores the column for it.
ALTER TABLE ledger_accounts ADD COLUMN debit_limit BIGINT NOT NULL DEFAULT 0;

-- System accounts are found by (org, currency, purpose).
CREATE INDEX ledger_accounts_purpose ON ledger_accounts (org_id, currency, code);
