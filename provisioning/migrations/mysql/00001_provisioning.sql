-- +goose Up
CREATE TABLE servers (
    id             BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
    name           VARCHAR(100) NOT NULL,
    driver         VARCHAR(50)  NOT NULL,
    settings       TEXT         NOT NULL,
    capacity       INT          NOT NULL DEFAULT 0,
    enabled        TINYINT(1)   NOT NULL DEFAULT 1,
    health         VARCHAR(20)  NOT NULL DEFAULT 'unknown',
    health_message VARCHAR(2000) NOT NULL DEFAULT '',
    health_at      DATETIME(3)  NULL,
    created_at     DATETIME(3)  NOT NULL,
    updated_at     DATETIME(3)  NOT NULL,
    UNIQUE KEY servers_name (name)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE packages (
    id                BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
    tenant_id         BIGINT UNSIGNED NOT NULL,
    code              VARCHAR(50)  NOT NULL,
    name              VARCHAR(200) NOT NULL,
    disk_mb           BIGINT       NOT NULL,
    traffic_mb        BIGINT       NOT NULL,
    max_domains       INT          NOT NULL,
    max_subdomains    INT          NOT NULL,
    client_subdomains TINYINT(1)   NOT NULL DEFAULT 0,
    created_at        DATETIME(3)  NOT NULL,
    updated_at        DATETIME(3)  NOT NULL,
    UNIQUE KEY packages_code (tenant_id, code),
    CONSTRAINT packages_tenant_fk FOREIGN KEY (tenant_id) REFERENCES tenants (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE reseller_accounts (
    id             BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
    tenant_id      BIGINT UNSIGNED NOT NULL,
    tenant_path    VARCHAR(255) NOT NULL,
    package        VARCHAR(50)  NOT NULL,
    max_clients    INT          NOT NULL,
    disk_mb        BIGINT       NOT NULL,
    traffic_mb     BIGINT       NOT NULL,
    state          VARCHAR(20)  NOT NULL,
    suspend_reason VARCHAR(30)  NOT NULL DEFAULT '',
    created_at     DATETIME(3)  NOT NULL,
    updated_at     DATETIME(3)  NOT NULL,
    UNIQUE KEY reseller_accounts_tenant (tenant_id),
    CONSTRAINT reseller_accounts_tenant_fk FOREIGN KEY (tenant_id) REFERENCES tenants (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE accounts (
    id             BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
    tenant_id      BIGINT UNSIGNED NOT NULL,
    tenant_path    VARCHAR(255) NOT NULL,
    seller_id      BIGINT UNSIGNED NOT NULL,
    package_id     BIGINT UNSIGNED NOT NULL,
    server_id      BIGINT UNSIGNED NOT NULL,
    username       VARCHAR(32)  NOT NULL,
    username_key   VARCHAR(32)  NULL,
    disk_mb        BIGINT       NOT NULL,
    traffic_mb     BIGINT       NOT NULL,
    state          VARCHAR(20)  NOT NULL,
    target         VARCHAR(20)  NOT NULL,
    suspend_reason VARCHAR(30)  NOT NULL DEFAULT '',
    failure        VARCHAR(2000) NOT NULL DEFAULT '',
    last_error     VARCHAR(2000) NOT NULL DEFAULT '',
    created_at     DATETIME(3)  NOT NULL,
    updated_at     DATETIME(3)  NOT NULL,
    terminated_at  DATETIME(3)  NULL,
    UNIQUE KEY accounts_username (username_key),
    KEY accounts_tenant (tenant_id, id),
    KEY accounts_path (tenant_path),
    KEY accounts_server (server_id, target),
    CONSTRAINT accounts_tenant_fk FOREIGN KEY (tenant_id) REFERENCES tenants (id),
    CONSTRAINT accounts_seller_fk FOREIGN KEY (seller_id) REFERENCES tenants (id),
    CONSTRAINT accounts_package_fk FOREIGN KEY (package_id) REFERENCES packages (id),
    CONSTRAINT accounts_server_fk FOREIGN KEY (server_id) REFERENCES servers (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE domains (
    id            BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
    account_id    BIGINT UNSIGNED NOT NULL,
    parent_id     BIGINT UNSIGNED NULL,
    tenant_id     BIGINT UNSIGNED NOT NULL,
    tenant_path   VARCHAR(255) NOT NULL,
    name          VARCHAR(253) NOT NULL,
    display_name  VARCHAR(253) NOT NULL,
    name_key      VARCHAR(253) NULL,
    state         VARCHAR(20)  NOT NULL,
    target        VARCHAR(20)  NOT NULL,
    last_error    VARCHAR(2000) NOT NULL DEFAULT '',
    created_at    DATETIME(3)  NOT NULL,
    updated_at    DATETIME(3)  NOT NULL,
    removed_at    DATETIME(3)  NULL,
    UNIQUE KEY domains_name (name_key),
    KEY domains_account (account_id, id),
    KEY domains_path (tenant_path),
    CONSTRAINT domains_account_fk FOREIGN KEY (account_id) REFERENCES accounts (id),
    CONSTRAINT domains_parent_fk FOREIGN KEY (parent_id) REFERENCES domains (id),
    CONSTRAINT domains_tenant_fk FOREIGN KEY (tenant_id) REFERENCES tenants (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE provisioning_jobs (
    id              BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
    account_id      BIGINT UNSIGNED NOT NULL,
    domain_id       BIGINT UNSIGNED NULL,
    server_id       BIGINT UNSIGNED NOT NULL,
    action          VARCHAR(30)  NOT NULL,
    params          TEXT         NOT NULL,
    actor           VARCHAR(255) NOT NULL,
    status          VARCHAR(20)  NOT NULL,
    attempts        INT          NOT NULL DEFAULT 0,
    next_attempt_at DATETIME(3)  NOT NULL,
    locked_by       VARCHAR(255) NULL,
    last_error      VARCHAR(2000) NOT NULL DEFAULT '',
    created_at      DATETIME(3)  NOT NULL,
    done_at         DATETIME(3)  NULL,
    KEY provisioning_jobs_due (status, next_attempt_at),
    KEY provisioning_jobs_account (account_id, status, id),
    CONSTRAINT provisioning_jobs_account_fk FOREIGN KEY (account_id) REFERENCES accounts (id),
    CONSTRAINT provisioning_jobs_domain_fk FOREIGN KEY (domain_id) REFERENCES domains (id),
    CONSTRAINT provisioning_jobs_server_fk FOREIGN KEY (server_id) REFERENCES servers (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
