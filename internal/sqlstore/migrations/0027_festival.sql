-- The art zone's festivals (issue 12): festivals and the exhibition hall's
-- shows, their performances and ticket categories, and tickets. Each
-- category is a booking resource of the booking engine (capacity = quota),
-- so places are taken, paid and refunded by the engine; a ticket is the
-- entry pass of one confirmed booking: an unguessable token for the door
-- and the one admission, guarded by admitted_at = 0 in one statement.
-- Times are UTC microseconds; titles are JSON by language.

CREATE TABLE festivals (
    id           TEXT PRIMARY KEY,
    org_id       TEXT NOT NULL REFERENCES orgs (id),
    name         TEXT NOT NULL,
    kind         TEXT NOT NULL,
    description  TEXT NOT NULL,
    account      TEXT NOT NULL,
    refund_hours INTEGER NOT NULL,
    created_at   BIGINT NOT NULL,
    CHECK (kind IN ('music', 'dance', 'drama', 'exhibition')),
    CHECK (refund_hours >= 0)
);
CREATE INDEX festivals_org ON festivals (org_id, id);

CREATE TABLE festival_performances (
    id           TEXT PRIMARY KEY,
    festival_id  TEXT NOT NULL REFERENCES festivals (id),
    org_id       TEXT NOT NULL,
    titles       TEXT NOT NULL,
    venue        TEXT NOT NULL,
    start_at     BIGINT NOT NULL,
    end_at       BIGINT NOT NULL,
    created_at   BIGINT NOT NULL,
    CHECK (end_at > start_at)
);
CREATE INDEX festival_performances_festival ON festival_performances (festival_id, start_at);

CREATE TABLE festival_categories (
    id             TEXT PRIMARY KEY,
    performance_id TEXT NOT NULL REFERENCES festival_performances (id),
    position       INTEGER NOT NULL,
    name           TEXT NOT NULL,
    quota          INTEGER NOT NULL,
    price          BIGINT NOT NULL,
    resource_id    TEXT NOT NULL REFERENCES booking_resources (id),
    CHECK (quota >= 1),
    CHECK (price >= 0)
);
CREATE INDEX festival_categories_performance ON festival_categories (performance_id, position);
CREATE UNIQUE INDEX festival_categories_resource ON festival_categories (resource_id);

CREATE TABLE festival_tickets (
    id             TEXT PRIMARY KEY,
    booking_id     TEXT NOT NULL REFERENCES bookings (id),
    category_id    TEXT NOT NULL REFERENCES festival_categories (id),
    performance_id TEXT NOT NULL,
    org_id         TEXT NOT NULL,
    buyer_org      TEXT NOT NULL,
    buyer_user     TEXT NOT NULL,
    party          TEXT NOT NULL,
    token          TEXT NOT NULL,
    status         TEXT NOT NULL,
    admitted_at    BIGINT NOT NULL,
    admitted_by    TEXT NOT NULL,
    created_at     BIGINT NOT NULL,
    CHECK (status IN ('valid', 'cancelled'))
);
CREATE UNIQUE INDEX festival_tickets_booking ON festival_tickets (booking_id);
CREATE UNIQUE INDEX festival_tickets_token ON festival_tickets (token);
CREATE INDEX festival_tickets_party ON festival_tickets (party, created_at);
CREATE INDEX festival_tickets_performance ON festival_tickets (performance_id, category_id);
