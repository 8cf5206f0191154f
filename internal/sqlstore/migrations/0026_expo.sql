-- Expos (issue 11): halls, booths, exhibitor applications, showcases,
-- buyers, B2B meeting requests and the scheduled timetable. A booth is
-- given by guarded UPDATEs in one serializable transaction; the partial
-- unique indexes on expo_booths.application_id and
-- expo_applications.booth_id hold even if a guard were wrong. Times are
-- UTC microseconds; expo dates are local dates in the expo's time zone.

CREATE TABLE expos (
    id             TEXT PRIMARY KEY,
    organiser_org  TEXT NOT NULL REFERENCES orgs (id),
    name           TEXT NOT NULL,
    venue          TEXT NOT NULL,
    starts_on      TEXT NOT NULL,
    ends_on        TEXT NOT NULL,
    time_zone      TEXT NOT NULL,
    meeting_from   TEXT NOT NULL,
    meeting_to     TEXT NOT NULL,
    slot_minutes   INTEGER NOT NULL,
    tables_count   INTEGER NOT NULL,
    account        TEXT NOT NULL,
    created_at     BIGINT NOT NULL,
    CHECK (slot_minutes >= 1),
    CHECK (tables_count >= 1)
);
CREATE INDEX expos_start ON expos (starts_on, id);

CREATE TABLE expo_halls (
    id          TEXT PRIMARY KEY,
    expo_id     TEXT NOT NULL REFERENCES expos (id),
    name        TEXT NOT NULL,
    rows_count  INTEGER NOT NULL,
    cols_count  INTEGER NOT NULL,
    created_at  BIGINT NOT NULL,
    CHECK (rows_count >= 1 AND cols_count >= 1)
);
CREATE UNIQUE INDEX expo_halls_name ON expo_halls (expo_id, name);

CREATE TABLE expo_booths (
    id              TEXT PRIMARY KEY,
    expo_id         TEXT NOT NULL REFERENCES expos (id),
    hall_id         TEXT NOT NULL REFERENCES expo_halls (id),
    code            TEXT NOT NULL,
    size_m2         INTEGER NOT NULL,
    price           BIGINT NOT NULL,
    row_no          INTEGER NOT NULL,
    col_no          INTEGER NOT NULL,
    application_id  TEXT NOT NULL,
    exhibitor_org   TEXT NOT NULL,
    created_at      BIGINT NOT NULL,
    CHECK (price >= 0),
    CHECK (size_m2 >= 1)
);
CREATE UNIQUE INDEX expo_booths_code ON expo_booths (expo_id, code);
CREATE UNIQUE INDEX expo_booths_position ON expo_booths (hall_id, row_no, col_no);
CREATE UNIQUE INDEX expo_booths_application ON expo_booths (application_id) WHERE application_id <> '';

CREATE TABLE expo_applications (
    id            TEXT PRIMARY KEY,
    expo_id       TEXT NOT NULL REFERENCES expos (id),
    org           TEXT NOT NULL REFERENCES orgs (id),
    size_m2       INTEGER NOT NULL,
    note          TEXT NOT NULL,
    status        TEXT NOT NULL,
    booth_id      TEXT NOT NULL,
    fee           BIGINT NOT NULL,
    paid          BOOLEAN NOT NULL,
    pay_from      TEXT NOT NULL,
    fee_transfer  TEXT NOT NULL,
    created_at    BIGINT NOT NULL,
    updated_at    BIGINT NOT NULL,
    CHECK (status IN ('pending', 'approved', 'rejected')),
    CHECK (fee >= 0)
);
CREATE UNIQUE INDEX expo_applications_org ON expo_applications (expo_id, org);
CREATE UNIQUE INDEX expo_applications_booth ON expo_applications (booth_id) WHERE booth_id <> '';

CREATE TABLE expo_showcase (
    expo_id     TEXT NOT NULL REFERENCES expos (id),
    org         TEXT NOT NULL,
    product_id  TEXT NOT NULL,
    name        TEXT NOT NULL,
    hs          TEXT NOT NULL,
    origin      TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    PRIMARY KEY (expo_id, org, product_id)
);

CREATE TABLE expo_buyers (
    expo_id     TEXT NOT NULL REFERENCES expos (id),
    org         TEXT NOT NULL REFERENCES orgs (id),
    user_id     TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    PRIMARY KEY (expo_id, org)
);

CREATE TABLE expo_meeting_requests (
    id          TEXT PRIMARY KEY,
    expo_id     TEXT NOT NULL REFERENCES expos (id),
    from_org    TEXT NOT NULL,
    to_org      TEXT NOT NULL,
    pair        TEXT NOT NULL,
    message     TEXT NOT NULL,
    status      TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL,
    CHECK (from_org <> to_org),
    CHECK (status IN ('requested', 'accepted', 'declined'))
);
CREATE UNIQUE INDEX expo_meeting_requests_pair ON expo_meeting_requests (expo_id, pair);
CREATE INDEX expo_meeting_requests_from ON expo_meeting_requests (expo_id, from_org);
CREATE INDEX expo_meeting_requests_to ON expo_meeting_requests (expo_id, to_org);

CREATE TABLE expo_meetings (
    request_id  TEXT PRIMARY KEY REFERENCES expo_meeting_requests (id),
    expo_id     TEXT NOT NULL REFERENCES expos (id),
    org_a       TEXT NOT NULL,
    org_b       TEXT NOT NULL,
    slot_no     INTEGER NOT NULL,
    table_no    INTEGER NOT NULL,
    start_at    BIGINT NOT NULL,
    end_at      BIGINT NOT NULL
);
CREATE UNIQUE INDEX expo_meetings_table ON expo_meetings (expo_id, slot_no, table_no);
CREATE UNIQUE INDEX expo_meetings_a ON expo_meetings (expo_id, slot_no, org_a);
CREATE UNIQUE INDEX expo_meetings_b ON expo_meetings (expo_id, slot_no, org_b);
CREATE INDEX expo_meetings_org_a ON expo_meetings (org_a, start_at);
CREATE INDEX expo_meetings_org_b ON expo_meetings (org_b, start_at);

CREATE TABLE expo_runs (
    expo_id     TEXT PRIMARY KEY REFERENCES expos (id),
    requests    INTEGER NOT NULL,
    placed      INTEGER NOT NULL,
    greedy      INTEGER NOT NULL,
    slots       INTEGER NOT NULL,
    tables_count INTEGER NOT NULL,
    run_at      BIGINT NOT NULL,
    run_by      TEXT NOT NULL
);
