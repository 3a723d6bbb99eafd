-- +goose Up
-- Where each server's usage collection stands: the driver's cursor (log
-- positions), written with the readings it produced, and the last failure.
CREATE TABLE usage_collections (
    server_id    BIGINT UNSIGNED NOT NULL PRIMARY KEY,
    log_cursor   MEDIUMTEXT   NOT NULL,
    last_ok_at   DATETIME(3)  NULL,
    failed_at    DATETIME(3)  NULL,
    last_error   VARCHAR(500) NOT NULL DEFAULT '',
    updated_at   DATETIME(3)  NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
