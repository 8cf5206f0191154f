-- The education zone (issue 12): partner universities and joint
-- programmes of education providers, vocational courses whose seats are a
-- booking resource of the booking engine (capacity = enrolment capacity,
-- so seats are taken, paid, refunded and offered to the waiting list by
-- the engine), enrolments (one confirmed booking each, one live enrolment
-- per student and course), certificates of completed enrolments with a
-- public verification code, and exchange applications decided by the home
-- institution, then the host. Times are UTC microseconds; titles and
-- lists are JSON.

CREATE TABLE education_partners (
    id           TEXT PRIMARY KEY,
    org_id       TEXT NOT NULL REFERENCES orgs (id),
    name         TEXT NOT NULL,
    country      TEXT NOT NULL,
    city         TEXT NOT NULL,
    institution  TEXT NOT NULL,
    created_at   BIGINT NOT NULL
);
CREATE INDEX education_partners_org ON education_partners (org_id, name);

CREATE TABLE education_programmes (
    id              TEXT PRIMARY KEY,
    org_id          TEXT NOT NULL REFERENCES orgs (id),
    titles          TEXT NOT NULL,
    languages       TEXT NOT NULL,
    degree          TEXT NOT NULL,
    duration_months INTEGER NOT NULL,
    partners        TEXT NOT NULL,
    created_at      BIGINT NOT NULL,
    CHECK (degree IN ('bachelor', 'master', 'doctorate', 'diploma')),
    CHECK (duration_months >= 1)
);
CREATE INDEX education_programmes_org ON education_programmes (org_id, created_at);

CREATE TABLE education_courses (
    id           TEXT PRIMARY KEY,
    org_id       TEXT NOT NULL REFERENCES orgs (id),
    title        TEXT NOT NULL,
    industry     TEXT NOT NULL,
    language     TEXT NOT NULL,
    start_date   TEXT NOT NULL,
    end_date     TEXT NOT NULL,
    capacity     INTEGER NOT NULL,
    fee          BIGINT NOT NULL,
    account      TEXT NOT NULL,
    refund_days  INTEGER NOT NULL,
    resource_id  TEXT NOT NULL REFERENCES booking_resources (id),
    created_at   BIGINT NOT NULL,
    CHECK (capacity >= 1),
    CHECK (fee >= 0),
    CHECK (end_date >= start_date)
);
CREATE INDEX education_courses_org ON education_courses (org_id, start_date);
CREATE INDEX education_courses_start ON education_courses (start_date, id);
CREATE UNIQUE INDEX education_courses_resource ON education_courses (resource_id);

CREATE TABLE education_enrolments (
    id           TEXT PRIMARY KEY,
    course_id    TEXT NOT NULL REFERENCES education_courses (id),
    org_id       TEXT NOT NULL,
    booking_id   TEXT NOT NULL REFERENCES bookings (id),
    student_org  TEXT NOT NULL,
    student_user TEXT NOT NULL,
    party        TEXT NOT NULL,
    student_name TEXT NOT NULL,
    status       TEXT NOT NULL,
    completed_at BIGINT NOT NULL,
    created_at   BIGINT NOT NULL,
    updated_at   BIGINT NOT NULL,
    CHECK (status IN ('enrolled', 'completed', 'withdrawn'))
);
CREATE UNIQUE INDEX education_enrolments_booking ON education_enrolments (booking_id);
CREATE UNIQUE INDEX education_enrolments_live ON education_enrolments (course_id, party) WHERE status <> 'withdrawn';
CREATE INDEX education_enrolments_party ON education_enrolments (party, created_at);
CREATE INDEX education_enrolments_course ON education_enrolments (course_id, created_at);

CREATE TABLE education_certificates (
    id           TEXT PRIMARY KEY,
    code         TEXT NOT NULL,
    enrolment_id TEXT NOT NULL REFERENCES education_enrolments (id),
    course_id    TEXT NOT NULL,
    org_id       TEXT NOT NULL,
    party        TEXT NOT NULL,
    holder_name  TEXT NOT NULL,
    course_title TEXT NOT NULL,
    completed_at BIGINT NOT NULL,
    issued_at    BIGINT NOT NULL,
    issued_by    TEXT NOT NULL
);
CREATE UNIQUE INDEX education_certificates_code ON education_certificates (code);
CREATE UNIQUE INDEX education_certificates_enrolment ON education_certificates (enrolment_id);
CREATE INDEX education_certificates_party ON education_certificates (party, issued_at);
CREATE INDEX education_certificates_org ON education_certificates (org_id, issued_at);

CREATE TABLE education_exchanges (
    id              TEXT PRIMARY KEY,
    student_org     TEXT NOT NULL,
    student_user    TEXT NOT NULL,
    party           TEXT NOT NULL,
    student_name    TEXT NOT NULL,
    home_org        TEXT NOT NULL REFERENCES orgs (id),
    host_org        TEXT NOT NULL REFERENCES orgs (id),
    programme_id    TEXT NOT NULL,
    term            TEXT NOT NULL,
    statement       TEXT NOT NULL,
    status          TEXT NOT NULL,
    rejected_by     TEXT NOT NULL,
    reason          TEXT NOT NULL,
    home_decided_at BIGINT NOT NULL,
    host_decided_at BIGINT NOT NULL,
    created_at      BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL,
    CHECK (status IN ('submitted', 'home_approved', 'accepted', 'rejected', 'withdrawn')),
    CHECK (home_org <> host_org)
);
CREATE INDEX education_exchanges_party ON education_exchanges (party, created_at);
CREATE INDEX education_exchanges_home ON education_exchanges (home_org, created_at);
CREATE INDEX education_exchanges_host ON education_exchanges (host_org, created_at);
