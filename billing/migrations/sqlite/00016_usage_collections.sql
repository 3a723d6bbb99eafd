-- +goose Up
-- Where each server's usage collection stands: the driver's cursor (log
-- positions), written with the readings it produced, and the last failure.
CREATE TABLE usage_collections (
    server_id    INTEGER PRIMARY KEY,
    log_cursor   TEXT     NOT NULL DEFAULT '',
    last_ok_at   DATETIME NULL,
    failed_at    DATETIME NULL,
    last_error   TEXT     NOT NULL DEFAULT '',
    updated_at   DATETIME NOT NULL
);
