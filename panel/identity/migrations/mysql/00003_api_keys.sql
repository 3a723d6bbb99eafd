-- +goose Up
CREATE TABLE api_keys (
    id            BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
    tenant_id     BIGINT UNSIGNED NOT NULL,
    role          VARCHAR(20)  NOT NULL,
    name          VARCHAR(100) NOT NULL,
    prefix        VARCHAR(16)  NOT NULL,
    secret_hash   CHAR(64)     NOT NULL,
    created_by    BIGINT UNSIGNED NULL,
    created_at    DATETIME(3)  NOT NULL,
    last_used_at  DATETIME(3)  NULL,
    revoked_at    DATETIME(3)  NULL,
    UNIQUE KEY api_keys_secret (secret_hash),
    KEY api_keys_tenant (tenant_id, id),
    CONSTRAINT api_keys_tenant_fk FOREIGN KEY (tenant_id) REFERENCES tenants (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE idempotency_keys (
    api_key_id    BIGINT UNSIGNED NOT NULL,
    idem_key      VARCHAR(255) NOT NULL,
    request_hash  CHAR(64)     NOT NULL,
    status_code   INT          NOT NULL DEFAULT 0,
    content_type  VARCHAR(100) NOT NULL DEFAULT '',
    response_body MEDIUMTEXT   NOT NULL,
    created_at    DATETIME(3)  NOT NULL,
    PRIMARY KEY (api_key_id, idem_key),
    KEY idempotency_keys_created (created_at),
    CONSTRAINT idempotency_keys_key_fk FOREIGN KEY (api_key_id) REFERENCES api_keys (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
