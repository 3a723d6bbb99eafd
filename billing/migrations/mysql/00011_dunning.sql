-- +goose Up
-- Collections: each dunning step done on an invoice (once: the unique key
-- is what keeps two runs, a re-run or a run after a crash from sending a
-- reminder twice), holds that pause dunning for a customer or an invoice,
-- and the accounts and resellers suspended for non-payment with the
-- invoices that caused it.
CREATE TABLE dunning_steps (
    id              BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
    invoice_id      BIGINT UNSIGNED NOT NULL,
    step_key        VARCHAR(40)  NOT NULL,
    seller_id       BIGINT UNSIGNED NOT NULL,
    customer_id     BIGINT UNSIGNED NOT NULL,
    customer_path   VARCHAR(255) NOT NULL,
    action          VARCHAR(16)  NOT NULL,
    day_offset      INT          NOT NULL,
    run_day         CHAR(10)     NOT NULL,
    outcome         VARCHAR(16)  NOT NULL,
    fee_minor       BIGINT       NOT NULL DEFAULT 0,
    fee_invoice_id  BIGINT UNSIGNED NULL,
    detail          TEXT         NOT NULL,
    claim           VARCHAR(40)  NOT NULL DEFAULT '',
    created_at      DATETIME(3)  NOT NULL,
    UNIQUE KEY dunning_steps_once (invoice_id, step_key),
    KEY dunning_steps_customer (seller_id, customer_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
CREATE TABLE dunning_holds (
    id              BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
    seller_id       BIGINT UNSIGNED NOT NULL,
    customer_id     BIGINT UNSIGNED NOT NULL,
    customer_path   VARCHAR(255) NOT NULL,
    invoice_id      BIGINT UNSIGNED NOT NULL DEFAULT 0,
    reason          VARCHAR(500) NOT NULL,
    until_day       CHAR(10)     NOT NULL,
    created_by      VARCHAR(100) NOT NULL,
    created_at      DATETIME(3)  NOT NULL,
    released_at     DATETIME(3)  NULL,
    released_by     VARCHAR(100) NOT NULL DEFAULT '',
    KEY dunning_holds_customer (seller_id, customer_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
CREATE TABLE dunning_suspensions (
    id              BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
    seller_id       BIGINT UNSIGNED NOT NULL,
    customer_id     BIGINT UNSIGNED NOT NULL,
    customer_path   VARCHAR(255) NOT NULL,
    subject_kind    VARCHAR(16)  NOT NULL,
    subject_id      BIGINT UNSIGNED NOT NULL,
    subject_name    VARCHAR(255) NOT NULL DEFAULT '',
    invoices        VARCHAR(1000) NOT NULL,
    suspended_day   CHAR(10)     NOT NULL,
    state           VARCHAR(16)  NOT NULL,
    open_key        VARCHAR(64)  NULL,
    ended_day       CHAR(10)     NOT NULL DEFAULT '',
    created_at      DATETIME(3)  NOT NULL,
    updated_at      DATETIME(3)  NOT NULL,
    UNIQUE KEY dunning_suspensions_open (open_key),
    KEY dunning_suspensions_customer (seller_id, customer_id, state)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
