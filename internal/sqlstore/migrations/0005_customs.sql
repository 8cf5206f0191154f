-- Customs: goods declarations worked on by customs and quarantine together.
-- The declaration itself is one JSON document (doc, the customs.Declaration
-- as the service computed it); the columns beside it are copies of the
-- fields that queues, lists and statistics filter on. Times are Unix
-- microseconds, 0 for "not yet"; amounts are KZT minor units.

CREATE TABLE customs_declarations (
    id                TEXT PRIMARY KEY,
    declarant_org     TEXT NOT NULL REFERENCES orgs (id),
    version           BIGINT NOT NULL,
    reference         TEXT NOT NULL,
    procedure         TEXT NOT NULL,
    status            TEXT NOT NULL,
    lane              TEXT NOT NULL,
    border_post       TEXT NOT NULL,
    sps_required      BOOLEAN NOT NULL,
    sps_status        TEXT NOT NULL,
    total_kzt         BIGINT NOT NULL,
    created_at        BIGINT NOT NULL,
    updated_at        BIGINT NOT NULL,
    submitted_at      BIGINT NOT NULL,
    lane_assigned_at  BIGINT NOT NULL,
    released_at       BIGINT NOT NULL,
    refused_at        BIGINT NOT NULL,
    doc               TEXT NOT NULL
);
CREATE INDEX customs_decl_org ON customs_declarations (declarant_org, id);
CREATE INDEX customs_decl_org_status ON customs_declarations (declarant_org, status, refused_at);
CREATE INDEX customs_decl_queue ON customs_declarations (status, lane, id);
CREATE INDEX customs_decl_sps ON customs_declarations (sps_required, sps_status, id);
CREATE INDEX customs_decl_border ON customs_declarations (border_post, status, id);
CREATE INDEX customs_decl_lane_time ON customs_declarations (lane_assigned_at);
CREATE INDEX customs_decl_released ON customs_declarations (released_at);
CREATE INDEX customs_decl_submitted ON customs_declarations (submitted_at);

-- The status history: one row per step, numbered per declaration.
CREATE TABLE customs_events (
    declaration_id  TEXT NOT NULL REFERENCES customs_declarations (id),
    seq             BIGINT NOT NULL,
    at              BIGINT NOT NULL,
    actor_user      TEXT NOT NULL,
    actor_org       TEXT NOT NULL,
    action          TEXT NOT NULL,
    from_status     TEXT NOT NULL,
    to_status       TEXT NOT NULL,
    detail          TEXT NOT NULL,
    PRIMARY KEY (declaration_id, seq)
);

-- Each amendment keeps the content it replaced and the field diff.
CREATE TABLE customs_amendments (
    declaration_id  TEXT NOT NULL REFERENCES customs_declarations (id),
    version         BIGINT NOT NULL,
    at              BIGINT NOT NULL,
    actor_user      TEXT NOT NULL,
    actor_org       TEXT NOT NULL,
    note            TEXT NOT NULL,
    summary         TEXT NOT NULL,
    changes         TEXT NOT NULL,
    content_before  TEXT NOT NULL,
    PRIMARY KEY (declaration_id, version)
);

CREATE TABLE customs_inspections (
    id              TEXT PRIMARY KEY,
    declaration_id  TEXT NOT NULL REFERENCES customs_declarations (id),
    at              BIGINT NOT NULL,
    inspector_user  TEXT NOT NULL,
    inspector_org   TEXT NOT NULL,
    result          TEXT NOT NULL,
    samples_taken   BOOLEAN NOT NULL,
    lab_outcome     TEXT NOT NULL,
    notes           TEXT NOT NULL
);
CREATE INDEX customs_inspections_decl ON customs_inspections (declaration_id, at);

-- Attachments: metadata with the SHA-256 the service computed, and the bytes.
CREATE TABLE customs_documents (
    id              TEXT PRIMARY KEY,
    declaration_id  TEXT NOT NULL REFERENCES customs_declarations (id),
    kind            TEXT NOT NULL,
    reference       TEXT NOT NULL,
    filename        TEXT NOT NULL,
    media_type      TEXT NOT NULL,
    size            BIGINT NOT NULL,
    sha256          TEXT NOT NULL,
    uploaded_at     BIGINT NOT NULL,
    uploaded_by     TEXT NOT NULL,
    content         BLOB NOT NULL
);
CREATE INDEX customs_documents_decl ON customs_documents (declaration_id, id);

-- Every reason the risk engine or an officer gave for a lane.
CREATE TABLE customs_risk_reasons (
    declaration_id  TEXT NOT NULL REFERENCES customs_declarations (id),
    seq             BIGINT NOT NULL,
    rule_id         TEXT NOT NULL,
    description     TEXT NOT NULL,
    weight          BIGINT NOT NULL,
    at              BIGINT NOT NULL,
    actor_user      TEXT NOT NULL,
    PRIMARY KEY (declaration_id, seq)
);
CREATE INDEX customs_risk_reasons_rule ON customs_risk_reasons (rule_id, at);

-- Authorised economic operators (trusted traders).
CREATE TABLE customs_trusted_traders (
    org_id      TEXT PRIMARY KEY REFERENCES orgs (id),
    aeo         BOOLEAN NOT NULL,
    note        TEXT NOT NULL,
    updated_at  BIGINT NOT NULL,
    updated_by  TEXT NOT NULL
);
