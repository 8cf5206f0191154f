-- The booking engine (issue 12): bookable resources, bookings and waiting
-- lists. Capacity is taken by one serializable transaction that counts the
-- live bookings of a slot's window and bumps the resource's version, so
-- two transactions that both saw a free place cannot both commit (see
-- sqlstore/booking.go). Times are UTC microseconds; opening hours and
-- closures are JSON in the resource's own time zone.

CREATE TABLE booking_resources (
    id             TEXT PRIMARY KEY,
    owner_org      TEXT NOT NULL REFERENCES orgs (id),
    name           TEXT NOT NULL,
    kind           TEXT NOT NULL,
    capacity       INTEGER NOT NULL,
    time_zone      TEXT NOT NULL,
    hours          TEXT NOT NULL,
    closures       TEXT NOT NULL,
    slot_minutes   INTEGER NOT NULL,
    buffer_before  INTEGER NOT NULL,
    buffer_after   INTEGER NOT NULL,
    min_notice     INTEGER NOT NULL,
    horizon_days   INTEGER NOT NULL,
    hold_minutes   INTEGER NOT NULL,
    refund_hours   INTEGER NOT NULL,
    price          BIGINT NOT NULL,
    account        TEXT NOT NULL,
    public         BOOLEAN NOT NULL,
    version        BIGINT NOT NULL,
    created_at     BIGINT NOT NULL,
    updated_at     BIGINT NOT NULL,
    CHECK (capacity >= 1),
    CHECK (slot_minutes >= 1),
    CHECK (price >= 0)
);
CREATE INDEX booking_resources_owner ON booking_resources (owner_org, id);

CREATE TABLE bookings (
    id           TEXT PRIMARY KEY,
    resource_id  TEXT NOT NULL REFERENCES booking_resources (id),
    owner_org    TEXT NOT NULL,
    booker_org   TEXT NOT NULL REFERENCES orgs (id),
    booker_user  TEXT NOT NULL,
    party        TEXT NOT NULL,
    start_at     BIGINT NOT NULL,
    end_at       BIGINT NOT NULL,
    status       TEXT NOT NULL,
    hold_until   BIGINT NOT NULL,
    price        BIGINT NOT NULL,
    pay_from     TEXT NOT NULL,
    pay_to       TEXT NOT NULL,
    idem         TEXT NOT NULL,
    refund       BIGINT NOT NULL,
    refund_due   BOOLEAN NOT NULL,
    created_at   BIGINT NOT NULL,
    updated_at   BIGINT NOT NULL,
    CHECK (end_at > start_at),
    CHECK (price >= 0),
    CHECK (refund >= 0 AND refund <= price),
    CHECK (status IN ('held', 'confirming', 'confirmed', 'cancelled'))
);
CREATE UNIQUE INDEX bookings_idem ON bookings (idem);
CREATE INDEX bookings_resource ON bookings (resource_id, start_at);
CREATE INDEX bookings_party ON bookings (party, start_at);

CREATE TABLE booking_waits (
    id           TEXT PRIMARY KEY,
    resource_id  TEXT NOT NULL REFERENCES booking_resources (id),
    start_at     BIGINT NOT NULL,
    org          TEXT NOT NULL,
    user_id      TEXT NOT NULL,
    party        TEXT NOT NULL,
    status       TEXT NOT NULL,
    offer_until  BIGINT NOT NULL,
    created_at   BIGINT NOT NULL,
    CHECK (status IN ('waiting', 'offered', 'accepted'))
);
CREATE UNIQUE INDEX booking_waits_party ON booking_waits (resource_id, start_at, party);
CREATE INDEX booking_waits_queue ON booking_waits (resource_id, start_at, status, created_at);
CREATE INDEX booking_waits_of ON booking_waits (party, start_at);
