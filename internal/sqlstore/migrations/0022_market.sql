-- The marketplace catalogue (issue 11, first slice): products of
-- companies, their search terms and contract prices per buyer.
--
-- Search is a word index of our own (market_terms, cut in Go by
-- market.IndexTerms: words of any script, CJK as characters and
-- bigrams), the same plain table on both engines, so SQLite and
-- PostgreSQL match and count exactly alike; see internal/market/terms.go
-- for why not FTS5 / tsvector. The facet columns (section, moq_bucket,
-- list_price, incoterms as a bit mask) are derived from the product when
-- it is written, so a facet count is one GROUP BY over the matches.

CREATE TABLE market_products (
    id            TEXT PRIMARY KEY,
    seller_org    TEXT NOT NULL REFERENCES orgs (id),
    names         TEXT NOT NULL,
    descriptions  TEXT NOT NULL,
    hs            TEXT NOT NULL,
    section       TEXT NOT NULL,
    origin        TEXT NOT NULL,
    unit          TEXT NOT NULL,
    moq           BIGINT NOT NULL,
    moq_bucket    INTEGER NOT NULL,
    currency      TEXT NOT NULL,
    list_price    BIGINT NOT NULL,
    tiers         TEXT NOT NULL,
    incoterms     BIGINT NOT NULL,
    stock         BIGINT NOT NULL,
    created_at    BIGINT NOT NULL,
    created_by    TEXT NOT NULL,
    updated_at    BIGINT NOT NULL,
    CHECK (moq > 0),
    CHECK (list_price > 0),
    CHECK (stock >= 0),
    CHECK (incoterms > 0)
);
CREATE INDEX market_products_seller ON market_products (seller_org, id);
-- The facet columns ride along in the indexes a search walks, so counting
-- facets reads narrow index entries, not the wide rows (names, tiers).
CREATE INDEX market_products_facets ON market_products (id, origin, section, moq_bucket, incoterms, currency, list_price);
CREATE INDEX market_products_origin ON market_products (origin, id, section, moq_bucket, incoterms, currency, list_price);
CREATE INDEX market_products_section ON market_products (section, id, origin, moq_bucket, incoterms, currency, list_price);

-- The currencies products are priced in (a few dozen at most): price
-- buckets are computed for these only.
CREATE TABLE market_currencies (
    currency  TEXT PRIMARY KEY
);

CREATE TABLE market_terms (
    term        TEXT NOT NULL,
    product_id  TEXT NOT NULL REFERENCES market_products (id),
    PRIMARY KEY (term, product_id)
);
CREATE INDEX market_terms_product ON market_terms (product_id);

CREATE TABLE market_contract_prices (
    id          TEXT PRIMARY KEY,
    product_id  TEXT NOT NULL REFERENCES market_products (id),
    seller_org  TEXT NOT NULL REFERENCES orgs (id),
    buyer_org   TEXT NOT NULL REFERENCES orgs (id),
    unit_price  BIGINT NOT NULL,
    currency    TEXT NOT NULL,
    valid_from  BIGINT NOT NULL,
    valid_to    BIGINT NOT NULL,
    created_at  BIGINT NOT NULL,
    created_by  TEXT NOT NULL,
    CHECK (unit_price > 0),
    CHECK (valid_to > valid_from)
);
CREATE INDEX market_contract_prices_buyer ON market_contract_prices (buyer_org, product_id, valid_from);
CREATE INDEX market_contract_prices_product ON market_contract_prices (product_id, id);
