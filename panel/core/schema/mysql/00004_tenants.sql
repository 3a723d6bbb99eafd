-- +goose Up
CREATE TABLE tenants (
    id             BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
    kind           VARCHAR(10)  NOT NULL,
    parent_id      BIGINT UNSIGNED NULL,
    path           VARCHAR(255) NOT NULL DEFAULT '',
    name           VARCHAR(200) NOT NULL,
    email          VARCHAR(254) NOT NULL DEFAULT '',
    country        CHAR(2)      NOT NULL DEFAULT '',
    language       VARCHAR(5)   NOT NULL DEFAULT 'en',
    status         VARCHAR(10)  NOT NULL DEFAULT 'active',
    brand_name     VARCHAR(200) NOT NULL DEFAULT '',
    brand_logo_url VARCHAR(500) NOT NULL DEFAULT '',
    brand_primary  CHAR(7)      NOT NULL DEFAULT '',
    brand_accent   CHAR(7)      NOT NULL DEFAULT '',
    created_at     DATETIME(3)  NOT NULL,
    updated_at     DATETIME(3)  NOT NULL,
    KEY tenants_path (path),
    KEY tenants_parent (parent_id, kind, id),
    CONSTRAINT tenants_parent_fk FOREIGN KEY (parent_id) REFERENCES tenants (id),
    CONSTRAINT tenants_kind CHECK (kind IN ('operator', 'reseller', 'client')),
    CONSTRAINT tenants_status CHECK (status IN ('active', 'suspended', 'closed'))
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

INSERT INTO tenants (id, kind, parent_id, path, name, created_at, updated_at)
VALUES (1, 'operator', NULL, '/1/', 'Operator', UTC_TIMESTAMP(3), UTC_TIMESTAMP(3));
