-- The medical and wellness zone (issue 12): a clinic's doctors and
-- wellness packages are booking resources (booking_resources) with a
-- medical profile here; a consultation is one booking of a doctor's slot
-- with its patient and treating doctor; notes and prescriptions are the
-- consultation's medical record; signals carry a consultation room's
-- WebRTC offer, answer and ICE candidates between its two browsers.
-- Times are UTC microseconds.

CREATE TABLE clinic_doctors (
    id            TEXT PRIMARY KEY REFERENCES booking_resources (id),
    clinic_org    TEXT NOT NULL REFERENCES orgs (id),
    user_id       TEXT NOT NULL,
    name          TEXT NOT NULL,
    specialty     TEXT NOT NULL,
    telemedicine  BOOLEAN NOT NULL,
    in_person     BOOLEAN NOT NULL,
    created_at    BIGINT NOT NULL
);
CREATE UNIQUE INDEX clinic_doctors_user ON clinic_doctors (clinic_org, user_id);

CREATE TABLE clinic_packages (
    id           TEXT PRIMARY KEY REFERENCES booking_resources (id),
    clinic_org   TEXT NOT NULL REFERENCES orgs (id),
    kind         TEXT NOT NULL,
    description  TEXT NOT NULL,
    created_at   BIGINT NOT NULL,
    CHECK (kind IN ('hot_springs', 'traditional_medicine'))
);
CREATE INDEX clinic_packages_org ON clinic_packages (clinic_org, id);

CREATE TABLE clinic_consultations (
    id            TEXT PRIMARY KEY REFERENCES bookings (id),
    clinic_org    TEXT NOT NULL REFERENCES orgs (id),
    doctor_id     TEXT NOT NULL REFERENCES clinic_doctors (id),
    doctor_user   TEXT NOT NULL,
    patient_org   TEXT NOT NULL REFERENCES orgs (id),
    patient_user  TEXT NOT NULL,
    mode          TEXT NOT NULL,
    start_at      BIGINT NOT NULL,
    end_at        BIGINT NOT NULL,
    status        TEXT NOT NULL,
    created_at    BIGINT NOT NULL,
    updated_at    BIGINT NOT NULL,
    CHECK (mode IN ('telemedicine', 'in_person')),
    CHECK (status IN ('booked', 'cancelled')),
    CHECK (end_at > start_at)
);
CREATE INDEX clinic_consultations_patient ON clinic_consultations (patient_user, start_at);
CREATE INDEX clinic_consultations_doctor ON clinic_consultations (doctor_user, start_at);
CREATE INDEX clinic_consultations_clinic ON clinic_consultations (clinic_org, start_at);

CREATE TABLE clinic_notes (
    id               TEXT PRIMARY KEY,
    consultation_id  TEXT NOT NULL REFERENCES clinic_consultations (id),
    author_user      TEXT NOT NULL,
    body             TEXT NOT NULL,
    created_at       BIGINT NOT NULL
);
CREATE INDEX clinic_notes_of ON clinic_notes (consultation_id, created_at);

CREATE TABLE clinic_prescriptions (
    id               TEXT PRIMARY KEY,
    consultation_id  TEXT NOT NULL REFERENCES clinic_consultations (id),
    author_user      TEXT NOT NULL,
    medicine         TEXT NOT NULL,
    dose             TEXT NOT NULL,
    duration         TEXT NOT NULL,
    created_at       BIGINT NOT NULL
);
CREATE INDEX clinic_prescriptions_of ON clinic_prescriptions (consultation_id, created_at);

CREATE TABLE clinic_signals (
    consultation_id  TEXT NOT NULL REFERENCES clinic_consultations (id),
    seq              BIGINT NOT NULL,
    from_user        TEXT NOT NULL,
    kind             TEXT NOT NULL,
    data             TEXT NOT NULL,
    created_at       BIGINT NOT NULL,
    PRIMARY KEY (consultation_id, seq)
);
