-- Logistics dispatch (issue 14): carriers' departures with their capacity
-- and what is booked on them, traders' shipments, bookings on chains of
-- departures, and the carriers' tracking events. booked_teu/booked_kg are
-- changed only by the statement that books or cancels, guarded by the
-- capacity in the same row, so concurrent bookings cannot overbook.

CREATE TABLE logistics_departures (
    id               TEXT PRIMARY KEY,
    carrier_org      TEXT NOT NULL REFERENCES orgs (id),
    mode             TEXT NOT NULL,
    from_node        TEXT NOT NULL,
    to_node          TEXT NOT NULL,
    depart_at        BIGINT NOT NULL,
    arrive_at        BIGINT NOT NULL,
    border_post      TEXT NOT NULL,
    capacity_teu     BIGINT NOT NULL,
    capacity_kg      BIGINT NOT NULL,
    booked_teu       BIGINT NOT NULL,
    booked_kg        BIGINT NOT NULL,
    currency         TEXT NOT NULL,
    price_per_teu    BIGINT NOT NULL,
    price_per_kg     BIGINT NOT NULL,
    reefer           BOOLEAN NOT NULL,
    dangerous_goods  BOOLEAN NOT NULL,
    version          BIGINT NOT NULL,
    created_at       BIGINT NOT NULL,
    created_by       TEXT NOT NULL,
    updated_at       BIGINT NOT NULL,
    CHECK (mode IN ('rail', 'road', 'sea', 'air')),
    CHECK (arrive_at > depart_at),
    CHECK (booked_teu >= 0 AND booked_teu <= capacity_teu),
    CHECK (booked_kg >= 0 AND booked_kg <= capacity_kg),
    CHECK (price_per_teu >= 0 AND price_per_kg >= 0)
);
CREATE INDEX logistics_departures_time ON logistics_departures (depart_at, id);
CREATE INDEX logistics_departures_carrier ON logistics_departures (carrier_org, depart_at);

CREATE TABLE logistics_shipments (
    id                 TEXT PRIMARY KEY,
    owner_org          TEXT NOT NULL REFERENCES orgs (id),
    reference          TEXT NOT NULL,
    origin             TEXT NOT NULL,
    destination        TEXT NOT NULL,
    ready_at           BIGINT NOT NULL,
    deadline           BIGINT NOT NULL,
    teu                BIGINT NOT NULL,
    kg                 BIGINT NOT NULL,
    reefer             BOOLEAN NOT NULL,
    dangerous_goods    BOOLEAN NOT NULL,
    declaration_id     TEXT NOT NULL,
    penalty            BIGINT NOT NULL,
    status             TEXT NOT NULL,
    unassigned_reason  TEXT NOT NULL,
    event_count        BIGINT NOT NULL,
    created_at         BIGINT NOT NULL,
    created_by         TEXT NOT NULL,
    updated_at         BIGINT NOT NULL,
    CHECK (status IN ('open', 'booked', 'in_transit', 'delivered')),
    CHECK (teu >= 0 AND kg >= 0 AND teu + kg > 0)
);
CREATE INDEX logistics_shipments_owner ON logistics_shipments (owner_org, id);
CREATE INDEX logistics_shipments_status ON logistics_shipments (status, id);

CREATE TABLE logistics_bookings (
    id            TEXT PRIMARY KEY,
    shipment_id   TEXT NOT NULL REFERENCES logistics_shipments (id),
    teu           BIGINT NOT NULL,
    kg            BIGINT NOT NULL,
    cost          BIGINT NOT NULL,
    currency      TEXT NOT NULL,
    status        TEXT NOT NULL,
    source        TEXT NOT NULL,
    booked_at     BIGINT NOT NULL,
    booked_by     TEXT NOT NULL,
    cancelled_at  BIGINT NOT NULL,
    CHECK (status IN ('active', 'cancelled'))
);
-- One active booking per shipment.
CREATE UNIQUE INDEX logistics_bookings_active ON logistics_bookings (shipment_id) WHERE status = 'active';

CREATE TABLE logistics_booking_legs (
    booking_id    TEXT NOT NULL REFERENCES logistics_bookings (id),
    leg           BIGINT NOT NULL,
    departure_id  TEXT NOT NULL REFERENCES logistics_departures (id),
    PRIMARY KEY (booking_id, leg)
);
CREATE INDEX logistics_booking_legs_departure ON logistics_booking_legs (departure_id, booking_id);

CREATE TABLE logistics_events (
    shipment_id   TEXT NOT NULL REFERENCES logistics_shipments (id),
    seq           BIGINT NOT NULL,
    booking_id    TEXT NOT NULL REFERENCES logistics_bookings (id),
    leg           BIGINT NOT NULL,
    departure_id  TEXT NOT NULL,
    kind          TEXT NOT NULL,
    at            BIGINT NOT NULL,
    recorded_at   BIGINT NOT NULL,
    actor_user    TEXT NOT NULL,
    actor_org     TEXT NOT NULL,
    note          TEXT NOT NULL,
    PRIMARY KEY (shipment_id, seq)
);
