-- Official reference rates (issue 8): the platform or the settlement centre
-- publishes, per date, the tenge price of Units of each currency with its
-- source (the National Bank of Kazakhstan's official rates). Customs values
-- goods at them and settlement checks banks' quotes against them, so that
-- no single bank sets the town's rate. rate_date is YYYY-MM-DD text, which
-- sorts like the date on both engines; rate is an exact decimal (TEXT).
CREATE TABLE fx_reference_rates (
    rate_date     TEXT NOT NULL,
    currency      TEXT NOT NULL,
    units         BIGINT NOT NULL,
    rate          TEXT NOT NULL,
    source        TEXT NOT NULL,
    publisher_org TEXT NOT NULL REFERENCES orgs (id),
    published_by  TEXT NOT NULL,
    published_at  BIGINT NOT NULL,
    PRIMARY KEY (currency, rate_date)
);

-- A bank's price published while no reference existed for its pair is
-- flagged 'no_reference'; '' means it was checked against the band.
ALTER TABLE fx_rates ADD COLUMN flag TEXT NOT NULL DEFAULT '';
