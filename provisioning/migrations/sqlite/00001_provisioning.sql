-- +goose Up
CREATE TABLE servers (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    name           TEXT NOT NULL,
    driver         TEXT NOT NULL,
    settings       TEXT NOT NULL,
    capacity       INTEGER NOT NULL DEFAULT 0,
    enabled        INTEGER NOT NULL DEFAULT 1,
    health         TEXT NOT NULL DEFAULT 'unknown',
    health_message TEXT NOT NULL DEFAULT '',
    health_at      DATETIME NULL,
    created_at     DATETIME NOT NULL,
    updated_at     DATETIME NOT NULL
);
CREATE UNIQUE INDEX servers_name ON servers (name);

CREATE TABLE packages (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id         INTEGER NOT NULL REFERENCES tenants (id),
    code              TEXT NOT NULL,
    name              TEXT NOT NULL,
    disk_mb           INTEGER NOT NULL,
    traffic_mb        INTEGER NOT NULL,
    max_domains       INTEGER NOT NULL,
    max_subdomains    INTEGER NOT NULL,
    client_subdomains INTEGER NOT NULL DEFAULT 0,
    created_at        DATETIME NOT NULL,
    updated_at        DATETIME NOT NULL
);
CREATE UNIQUE INDEX packages_code ON packages (tenant_id, code);

CREATE TABLE reseller_accounts (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id      INTEGER NOT NULL REFERENCES tenants (id),
    tenant_path    TEXT NOT NULL,
    package        TEXT NOT NULL,
    max_clients    INTEGER NOT NULL,
    disk_mb        INTEGER NOT NULL,
    traffic_mb     INTEGER NOT NULL,
    state          TEXT NOT NULL,
    suspend_reason TEXT NOT NULL DEFAULT '',
    created_at     DATETIME NOT NULL,
    updated_at     DATETIME NOT NULL
);
CREATE UNIQUE INDEX reseller_accounts_tenant ON reseller_accounts (tenant_id);

CREATE TABLE accounts (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id      INTEGER NOT NULL REFERENCES tenants (id),
    tenant_path    TEXT NOT NULL,
    seller_id      INTEGER NOT NULL REFERENCES tenants (id),
    package_id     INTEGER NOT NULL REFERENCES packages (id),
    server_id      INTEGER NOT NULL REFERENCES servers (id),
    username       TEXT NOT NULL,
    username_key   TEXT NULL,
    disk_mb        INTEGER NOT NULL,
    traffic_mb     INTEGER NOT NULL,
    state          TEXT NOT NULL,
    target         TEXT NOT NULL,
    suspend_reason TEXT NOT NULL DEFAULT '',
    failure        TEXT NOT NULL DEFAULT '',
    last_error     TEXT NOT NULL DEFAULT '',
    created_at     DATETIME NOT NULL,
    updated_at     DATETIME NOT NULL,
    terminated_at  DATETIME NULL
);
CREATE UNIQUE INDEX accounts_username ON accounts (username_key);
CREATE INDEX accounts_tenant ON accounts (tenant_id, id);
CREATE INDEX accounts_path ON accounts (tenant_path);
CREATE INDEX accounts_server ON accounts (server_id, target);

CREATE TABLE domains (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id    INTEGER NOT NULL REFERENCES accounts (id),
    parent_id     INTEGER NULL REFERENCES domains (id),
    tenant_id     INTEGER NOT NULL REFERENCES tenants (id),
    tenant_path   TEXT NOT NULL,
    name          TEXT NOT NULL,
    display_name  TEXT NOT NULL,
    name_key      TEXT NULL,
    state         TEXT NOT NULL,
    target        TEXT NOT NULL,
    last_error    TEXT NOT NULL DEFAULT '',
    created_at    DATETIME NOT NULL,
    updated_at    DATETIME NOT NULL,
    removed_at    DATETIME NULL
);
CREATE UNIQUE INDEX domains_name ON domains (name_key);
CREATE INDEX domains_account ON domains (account_id, id);
CREATE INDEX domains_path ON domains (tenant_path);

CREATE TABLE provisioning_jobs (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id      INTEGER NOT NULL REFERENCES accounts (id),
    domain_id       INTEGER NULL REFERENCES domains (id),
    server_id       INTEGER NOT NULL REFERENCES servers (id),
    action          TEXT NOT NULL,
    params          TEXT NOT NULL,
    actor           TEXT NOT NULL,
    status          TEXT NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at DATETIME NOT NULL,
    locked_by       TEXT NULL,
    last_error      TEXT NOT NULL DEFAULT '',
    created_at      DATETIME NOT NULL,
    done_at         DATETIME NULL
);
CREATE INDEX provisioning_jobs_due ON provisioning_jobs (status, next_attempt_at);
CREATE INDEX provisioning_jobs_account ON provisioning_jobs (account_id, status, id);
