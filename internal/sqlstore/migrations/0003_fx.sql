-- FX: banks' published prices (with history), their fee schedules, and the
-- quotes priced from them. Rates are TEXT canonical decimals (exact; see
-- internal/money), amounts BIGINT minor units, times Unix microseconds.

-- Every publication is kept. market is the pair with its codes in
-- alphabetical order, so that KZT/CNY and CNY/KZT are one market; base_ccy
-- and quote_ccy are the listing the bank used, and bid/ask are in it.
-- replaced_at is 0 for the provider's current publication on the market.
CREATE TABLE fx_rates (
    id            TEXT PRIMARY KEY,
    provider_org  TEXT NOT NULL REFERENCES orgs (id),
    market        TEXT NOT NULL,
    base_ccy      TEXT NOT NULL,
    quote_ccy     TEXT NOT NULL,
    bid           TEXT NOT NULL,
    ask           TEXT NOT NULL,
    published_at  BIGINT NOT NULL,
    valid_until   BIGINT NOT NULL,
    replaced_at   BIGINT NOT NULL
);
-- At most one current publication per provider and market, whatever races.
CREATE UNIQUE INDEX fx_rates_current ON fx_rates (provider_org, market) WHERE replaced_at = 0;
CREATE INDEX fx_rates_board ON fx_rates (replaced_at, market, provider_org);
CREATE INDEX fx_rates_history ON fx_rates (market, published_at);

CREATE TABLE fx_fees (
    provider_org  TEXT PRIMARY KEY REFERENCES orgs (id),
    bps           BIGINT NOT NULL,
    updated_at    BIGINT NOT NULL
);

-- Flat fees per sell currency of a leg.
CREATE TABLE fx_fee_fixed (
    provider_org  TEXT NOT NULL REFERENCES fx_fees (provider_org),
    currency      TEXT NOT NULL,
    amount        BIGINT NOT NULL,
    PRIMARY KEY (provider_org, currency)
);

-- used_at is 0 until the ledger claims the quote; the claim is one
-- conditional UPDATE on (id, payer_org, used_at = 0, expires_at > now).
CREATE TABLE fx_quotes (
    id              TEXT PRIMARY KEY,
    payer_org       TEXT NOT NULL REFERENCES orgs (id),
    sell_ccy        TEXT NOT NULL,
    buy_ccy         TEXT NOT NULL,
    fixed_side      TEXT NOT NULL,
    sell_amount     BIGINT NOT NULL,
    buy_amount      BIGINT NOT NULL,
    effective_rate  TEXT NOT NULL,
    usd_available   BOOLEAN NOT NULL,
    usd_amount      BIGINT NOT NULL,
    usd_buy_amount  BIGINT NOT NULL,
    usd_saving      BIGINT NOT NULL,
    usd_saving_bps  BIGINT NOT NULL,
    created_at      BIGINT NOT NULL,
    expires_at      BIGINT NOT NULL,
    used_at         BIGINT NOT NULL
);
CREATE INDEX fx_quotes_payer ON fx_quotes (payer_org, id);

CREATE TABLE fx_quote_legs (
    quote_id      TEXT NOT NULL REFERENCES fx_quotes (id),
    seq           BIGINT NOT NULL,
    provider_org  TEXT NOT NULL REFERENCES orgs (id),
    rate_id       TEXT NOT NULL REFERENCES fx_rates (id),
    base_ccy      TEXT NOT NULL,
    quote_ccy     TEXT NOT NULL,
    side          TEXT NOT NULL,
    rate          TEXT NOT NULL,
    in_ccy        TEXT NOT NULL,
    in_amount     BIGINT NOT NULL,
    fee           BIGINT NOT NULL,
    out_ccy       TEXT NOT NULL,
    out_amount    BIGINT NOT NULL,
    PRIMARY KEY (quote_id, seq)
);
