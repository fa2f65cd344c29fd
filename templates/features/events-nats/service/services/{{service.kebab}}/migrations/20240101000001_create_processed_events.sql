-- Events this service consumed, one row per event id: the primary key makes processing
-- idempotent (a redelivered event inserts nothing and has no second effect).
CREATE TABLE processed_events (
    event_id     TEXT PRIMARY KEY,
    event_type   TEXT NOT NULL,
    version      INTEGER NOT NULL,
    source       TEXT NOT NULL,
    occurred_at  TIMESTAMPTZ NOT NULL,
    processed_at TIMESTAMPTZ NOT NULL DEFAULT clock_timestamp()
);
