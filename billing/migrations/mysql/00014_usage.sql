-- +goose Up
-- Meters: what a seller measures (traffic, disk, counts, or its own), in
-- an integral unit, with how a period's values combine.
CREATE TABLE usage_meters (
    id          BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
    seller_id   BIGINT UNSIGNED NOT NULL,
    code        VARCHAR(40)  NOT NULL,
    name        VARCHAR(100) NOT NULL,
    unit        VARCHAR(20)  NOT NULL,
    aggregation VARCHAR(10)  NOT NULL,
    built_in    BOOLEAN      NOT NULL DEFAULT FALSE,
    created_at  DATETIME(3)  NOT NULL,
    updated_at  DATETIME(3)  NOT NULL,
    UNIQUE KEY usage_meters_code (seller_id, code),
    CONSTRAINT usage_meters_seller FOREIGN KEY (seller_id) REFERENCES tenants (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Usage events, from the servers' collection or the ingest API: each once
-- per (seller, source, event id), whatever is replayed.
CREATE TABLE usage_events (
    id            BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
    seller_id     BIGINT UNSIGNED NOT NULL,
    customer_id   BIGINT UNSIGNED NOT NULL,
    customer_path VARCHAR(255) NOT NULL,
    meter_id      BIGINT UNSIGNED NOT NULL,
    subject_kind  VARCHAR(20)  NOT NULL,
    subject_id    BIGINT UNSIGNED NOT NULL,
    source        VARCHAR(100) NOT NULL,
    event_id      VARCHAR(100) NOT NULL,
    quantity      BIGINT       NOT NULL,
    occurred_at   DATETIME(3)  NOT NULL,
    created_at    DATETIME(3)  NOT NULL,
    UNIQUE KEY usage_events_key (seller_id, source, event_id),
    KEY usage_events_subject (meter_id, subject_kind, subject_id, occurred_at),
    KEY usage_events_path (customer_path),
    CONSTRAINT usage_events_meter FOREIGN KEY (meter_id) REFERENCES usage_meters (id),
    CHECK (quantity >= 0)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
