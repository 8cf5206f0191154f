-- Product images of the marketplace catalogue (issue 11): at most a few
-- small pictures per product, kept in the database like customs documents
-- so that a backup holds them and both engines serve them the same way.
-- seq orders a product's images (the first is the one lists show); it is
-- never reused within a product, so (product_id, seq) is unique.
CREATE TABLE market_images (
    id            TEXT PRIMARY KEY,
    product_id    TEXT NOT NULL REFERENCES market_products (id),
    seq           BIGINT NOT NULL,
    content_type  TEXT NOT NULL,
    size          BIGINT NOT NULL,
    sha256        TEXT NOT NULL,
    width         BIGINT NOT NULL,
    height        BIGINT NOT NULL,
    created_at    BIGINT NOT NULL,
    created_by    TEXT NOT NULL,
    content       BLOB NOT NULL
);
CREATE UNIQUE INDEX market_images_product ON market_images (product_id, seq);
