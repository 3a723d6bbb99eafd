-- +goose Up
CREATE TABLE users (
    id                  BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
    tenant_id           BIGINT UNSIGNED NOT NULL,
    email               VARCHAR(254) NOT NULL,
    name                VARCHAR(200) NOT NULL DEFAULT '',
    role                VARCHAR(20)  NOT NULL,
    language            VARCHAR(5)   NOT NULL DEFAULT 'en',
    status              VARCHAR(10)  NOT NULL DEFAULT 'active',
    password_hash       VARCHAR(255) NOT NULL,
    password_changed_at DATETIME(3)  NOT NULL,
    totp_secret         VARCHAR(64)  NOT NULL DEFAULT '',
    totp_enabled        BOOLEAN      NOT NULL DEFAULT FALSE,
    totp_last_step      BIGINT       NOT NULL DEFAULT 0,
    created_at          DATETIME(3)  NOT NULL,
    updated_at          DATETIME(3)  NOT NULL,
    UNIQUE KEY users_email (email),
    KEY users_tenant (tenant_id, id),
    CONSTRAINT users_tenant_fk FOREIGN KEY (tenant_id) REFERENCES tenants (id),
    CONSTRAINT users_status CHECK (status IN ('active', 'disabled'))
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE recovery_codes (
    user_id   BIGINT UNSIGNED NOT NULL,
    code_hash CHAR(64)    NOT NULL,
    used_at   DATETIME(3) NULL,
    PRIMARY KEY (user_id, code_hash),
    CONSTRAINT recovery_codes_user_fk FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE password_resets (
    token_hash CHAR(64)        NOT NULL PRIMARY KEY,
    user_id    BIGINT UNSIGNED NOT NULL,
    created_at DATETIME(3)     NOT NULL,
    expires_at DATETIME(3)     NOT NULL,
    used_at    DATETIME(3)     NULL,
    KEY password_resets_user (user_id),
    CONSTRAINT password_resets_user_fk FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
