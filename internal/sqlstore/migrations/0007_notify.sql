-- Status push: webhooks that organisations register for their events, and
-- the delivery log with its retry schedule. Times are Unix microseconds, 0
-- for "not yet".

CREATE TABLE notify_webhooks (
    id           TEXT PRIMARY KEY,
    org_id       TEXT NOT NULL REFERENCES orgs (id),
    url          TEXT NOT NULL,
    description  TEXT NOT NULL,
    secret       TEXT NOT NULL,
    created_at   BIGINT NOT NULL,
    created_by   TEXT NOT NULL,
    deleted_at   BIGINT NOT NULL
);
CREATE INDEX notify_webhooks_org ON notify_webhooks (org_id, deleted_at, id);

-- One row per event per webhook. A pending row's next_attempt_at is when a
-- worker may next claim it (claiming moves it forward by a lease, so a worker
-- that dies mid-attempt hands the delivery on when the lease runs out).
CREATE TABLE notify_deliveries (
    id                TEXT PRIMARY KEY,
    webhook_id        TEXT NOT NULL REFERENCES notify_webhooks (id),
    org_id            TEXT NOT NULL,
    event_id          TEXT NOT NULL,
    event_type        TEXT NOT NULL,
    payload           TEXT NOT NULL,
    status            TEXT NOT NULL,
    attempts          BIGINT NOT NULL,
    next_attempt_at   BIGINT NOT NULL,
    last_attempt_at   BIGINT NOT NULL,
    last_status_code  BIGINT NOT NULL,
    last_error        TEXT NOT NULL,
    created_at        BIGINT NOT NULL,
    delivered_at      BIGINT NOT NULL,
    CHECK (status IN ('pending', 'delivered', 'failed', 'cancelled')),
    CHECK (attempts >= 0)
);
CREATE UNIQUE INDEX notify_deliveries_event ON notify_deliveries (webhook_id, event_id);
CREATE INDEX notify_deliveries_due ON notify_deliveries (next_attempt_at) WHERE status = 'pending';
CREATE INDEX notify_deliveries_org ON notify_deliveries (org_id, id);
CREATE INDEX notify_deliveries_webhook ON notify_deliveries (webhook_id, id);
