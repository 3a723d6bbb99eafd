-- +goose Up
CREATE TABLE settings (
    level      VARCHAR(20)  NOT NULL,
    scope_id   VARCHAR(64)  NOT NULL DEFAULT '',
    name       VARCHAR(100) NOT NULL,
    value      TEXT         NOT NULL,
    updated_at DATETIME(3)  NOT NULL,
    PRIMARY KEY (level, scope_id, name),
    CONSTRAINT settings_level CHECK (level IN ('panel', 'seller', 'plan', 'customer', 'contract'))
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
