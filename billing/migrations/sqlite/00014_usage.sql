-- +goose Up
-- Meters: what a seller measures (traffic, disk, counts, or its own), in
-- an integral unit, with how a period's values combine.
CREATE TABLE usage_meters (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    seller_id   INTEGER NOT NULL REFERENCES tenants (id),
    code        TEXT    NOT NULL,
    name        TEXT    NOT NULL,
    unit        TEXT    NOT NULL,
    aggregation TEXT    NOT NULL,
    built_in    INTEGER NOT NULL DEFAULT 0,
    created_at  DATETIME NOT NULL,
    updated_at  DATETIME NOT NULL
);
CREATE UNIQUE INDEX usage_meters_code ON usage_meters (seller_id, code);

-- Usage events, from the servers' collection or the ingest API: each once
-- per (seller, source, event id), whatever is replayed.
CREATE TABLE usage_events (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    seller_id     INTEGER NOT NULL,
    customer_id   INTEGER NOT NULL,
    customer_path TEXT    NOT NULL,
    meter_id      INTEGER NOT NULL REFERENCES usage_meters (id),
    subject_kind  TEXT    NOT NULL,
    subject_id    INTEGER NOT NULL,
    source        TEXT    NOT NULL,
    event_id      TEXT    NOT NULL,
    quantity      INTEGER NOT NULL CHECK (quantity >= 0),
    occurred_at   DATETIME NOT NULL,
    created_at    DATETIME NOT NULL
);
CREATE UNIQUE INDEX usage_events_key ON usage_events (seller_id, source, event_id);
CREATE INDEX usage_events_subject ON usage_events (meter_id, subject_kind, subject_id, occurred_at);
CREATE INDEX usage_events_path ON usage_events (customer_path);
