-- +goose Up
CREATE TABLE outbox_events (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    event_id        TEXT    NOT NULL UNIQUE,
    name            TEXT    NOT NULL,
    aggregate       TEXT    NOT NULL,
    payload         TEXT    NOT NULL,
    actor           TEXT    NOT NULL DEFAULT '',
    occurred_at     DATETIME NOT NULL,
    status          TEXT    NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'done', 'parked')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at DATETIME NOT NULL,
    locked_by       TEXT,
    last_error      TEXT    NOT NULL DEFAULT '',
    created_at      DATETIME NOT NULL,
    done_at         DATETIME
);
CREATE INDEX outbox_events_claim ON outbox_events (status, next_attempt_at, id);
CREATE INDEX outbox_events_aggregate ON outbox_events (aggregate, status, id);

CREATE TABLE outbox_handled (
    handler    TEXT NOT NULL,
    event_id   TEXT NOT NULL,
    handled_at DATETIME NOT NULL,
    PRIMARY KEY (handler, event_id)
);
