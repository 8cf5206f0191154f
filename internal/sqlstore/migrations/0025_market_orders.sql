-- Buying on the marketplace (issue 11): requests for quotation, quotes,
-- orders and reviews of sellers. Each row keeps the whole record as JSON
-- (doc) next to the columns that are searched or guarded: an order moves
-- by one UPDATE guarded by its version, so of two racing requests one
-- wins; an RFQ is awarded by one UPDATE guarded by its status, so it
-- becomes at most one order. Times are UTC microseconds.

CREATE TABLE market_rfqs (
    id          TEXT PRIMARY KEY,
    buyer_org   TEXT NOT NULL REFERENCES orgs (id),
    status      TEXT NOT NULL,
    deadline    BIGINT NOT NULL,
    order_id    TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    doc         TEXT NOT NULL,
    CHECK (status IN ('open', 'awarded', 'closed'))
);
CREATE INDEX market_rfqs_buyer ON market_rfqs (buyer_org, id);
CREATE INDEX market_rfqs_open ON market_rfqs (status, deadline);

CREATE TABLE market_quotes (
    id          TEXT PRIMARY KEY,
    rfq_id      TEXT NOT NULL REFERENCES market_rfqs (id),
    seller_org  TEXT NOT NULL REFERENCES orgs (id),
    created_at  BIGINT NOT NULL,
    doc         TEXT NOT NULL
);
CREATE INDEX market_quotes_rfq ON market_quotes (rfq_id, id);
CREATE INDEX market_quotes_seller ON market_quotes (seller_org, id);

CREATE TABLE market_orders (
    id          TEXT PRIMARY KEY,
    buyer_org   TEXT NOT NULL REFERENCES orgs (id),
    seller_org  TEXT NOT NULL REFERENCES orgs (id),
    rfq_id      TEXT NOT NULL,
    status      TEXT NOT NULL,
    version     BIGINT NOT NULL,
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL,
    doc         TEXT NOT NULL,
    CHECK (buyer_org <> seller_org)
);
CREATE INDEX market_orders_buyer ON market_orders (buyer_org, id);
CREATE INDEX market_orders_seller ON market_orders (seller_org, id);
CREATE INDEX market_orders_status ON market_orders (status, id);

CREATE TABLE market_reviews (
    order_id    TEXT PRIMARY KEY REFERENCES market_orders (id),
    seller_org  TEXT NOT NULL REFERENCES orgs (id),
    buyer_org   TEXT NOT NULL REFERENCES orgs (id),
    stars       INTEGER NOT NULL,
    created_at  BIGINT NOT NULL,
    doc         TEXT NOT NULL,
    CHECK (stars BETWEEN 1 AND 5)
);
CREATE INDEX market_reviews_seller ON market_reviews (seller_org, created_at);
