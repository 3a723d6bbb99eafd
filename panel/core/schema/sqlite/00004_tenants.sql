-- +goose Up
CREATE TABLE tenants (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    kind           TEXT NOT NULL CHECK (kind IN ('operator', 'reseller', 'client')),
    parent_id      INTEGER NULL REFERENCES tenants (id),
    path           TEXT NOT NULL DEFAULT '',
    name           TEXT NOT NULL,
    email          TEXT NOT NULL DEFAULT '',
    country        TEXT NOT NULL DEFAULT '',
    language       TEXT NOT NULL DEFAULT 'en',
    status         TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'suspended', 'closed')),
    brand_name     TEXT NOT NULL DEFAULT '',
    brand_logo_url TEXT NOT NULL DEFAULT '',
    brand_primary  TEXT NOT NULL DEFAULT '',
    brand_accent   TEXT NOT NULL DEFAULT '',
    created_at     DATETIME NOT NULL,
    updated_at     DATETIME NOT NULL
);
CREATE INDEX tenants_path ON tenants (path);
CREATE INDEX tenants_parent ON tenants (parent_id, kind, id);

INSERT INTO tenants (id, kind, parent_id, path, name, created_at, updated_at)
VALUES (1, 'operator', NULL, '/1/', 'Operator', strftime('%Y-%m-%d %H:%M:%f', 'now'), strftime('%Y-%m-%d %H:%M:%f', 'now'));
