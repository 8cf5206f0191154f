-- Buyer groups of the marketplace catalogue (issue 11): a seller's named
-- set of buyer organisations, and contract prices for a whole group. A
-- group price is kept apart from the per-buyer prices (whose buyer_org is
-- NOT NULL, and SQLite cannot relax that in place); the price a buyer pays
-- is resolved over both in market.EffectivePrices.
CREATE TABLE market_buyer_groups (
    id          TEXT PRIMARY KEY,
    seller_org  TEXT NOT NULL REFERENCES orgs (id),
    name        TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    created_by  TEXT NOT NULL,
    UNIQUE (seller_org, name)
);

CREATE TABLE market_buyer_group_members (
    group_id    TEXT NOT NULL REFERENCES market_buyer_groups (id),
    buyer_org   TEXT NOT NULL REFERENCES orgs (id),
    added_at    BIGINT NOT NULL,
    added_by    TEXT NOT NULL,
    PRIMARY KEY (group_id, buyer_org)
);
CREATE INDEX market_buyer_group_members_buyer ON market_buyer_group_members (buyer_org, group_id);

CREATE TABLE market_group_prices (
    id          TEXT PRIMARY KEY,
    product_id  TEXT NOT NULL REFERENCES market_products (id),
    seller_org  TEXT NOT NULL REFERENCES orgs (id),
    group_id    TEXT NOT NULL REFERENCES market_buyer_groups (id),
    unit_price  BIGINT NOT NULL,
    currency    TEXT NOT NULL,
    valid_from  BIGINT NOT NULL,
    valid_to    BIGINT NOT NULL,
    created_at  BIGINT NOT NULL,
    created_by  TEXT NOT NULL,
    CHECK (unit_price > 0),
    CHECK (valid_to > valid_from)
);
CREATE INDEX market_group_prices_group ON market_group_prices (group_id, product_id, valid_from);
CREATE INDEX market_group_prices_product ON market_group_prices (product_id, id);
