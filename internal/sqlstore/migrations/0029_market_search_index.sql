-- Catalogue search moves into each serve process (internal/market/index.go):
-- an inverted index and facet arrays built from market_products at start
-- and kept fresh from a change sequence. The database stays the source of
-- truth; the word index table and the facet-covering indexes of 0022 are
-- no longer read, so they go (they were most of a product write's cost).
--
-- change_seq: every write of a product takes the next value(s) of
-- market_change_seq in its transaction. The counter row is locked until
-- commit, so products commit in change_seq order and a reader that has
-- seen every change up to N only ever needs the rows above N. Rows written
-- before this migration have 0 and are read by every index build.
ALTER TABLE market_products ADD COLUMN change_seq BIGINT NOT NULL DEFAULT 0;
CREATE INDEX market_products_change ON market_products (change_seq);
CREATE TABLE market_change_seq (
    id   INTEGER PRIMARY KEY,
    seq  BIGINT NOT NULL
);
INSERT INTO market_change_seq (id, seq) VALUES (1, 0);
DROP INDEX market_products_facets;
DROP INDEX market_products_origin;
DROP INDEX market_products_section;
DROP TABLE market_terms;
