-- +goose Up
CREATE TABLE settings (
    level      TEXT NOT NULL CHECK (level IN ('panel', 'seller', 'plan', 'customer', 'contract')),
    scope_id   TEXT NOT NULL DEFAULT '',
    name       TEXT NOT NULL,
    value      TEXT NOT NULL,
    updated_at DATETIME NOT NULL,
    PRIMARY KEY (level, scope_id, name)
);
