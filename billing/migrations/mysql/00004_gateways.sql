-- +goose Up
-- A seller's payment gateways: which it enabled, its settings, and its
-- credentials sealed with the secret key (never stored in the clear).
CREATE TABLE payment_gateways (
    seller_id  BIGINT UNSIGNED NOT NULL,
    gateway    VARCHAR(32)  NOT NULL,
    enabled    BOOLEAN      NOT NULL,
    settings   TEXT         NOT NULL,
    secrets    TEXT         NOT NULL,
    updated_at DATETIME(3)  NOT NULL,
    PRIMARY KEY (seller_id, gateway),
    CONSTRAINT payment_gateways_seller_fk FOREIGN KEY (seller_id) REFERENCES tenants (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- A customer's try to pay an invoice through a gateway: recorded and
-- committed before the gateway is called, with the key the call carries.
CREATE TABLE payment_attempts (
    id            BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
    seller_id     BIGINT UNSIGNED NOT NULL,
    customer_id   BIGINT UNSIGNED NOT NULL,
    customer_path VARCHAR(255) NOT NULL,
    invoice_id    BIGINT UNSIGNED NOT NULL,
    gateway       VARCHAR(32)  NOT NULL,
    amount_minor  BIGINT       NOT NULL,
    currency      CHAR(3)      NOT NULL,
    status        VARCHAR(20)  NOT NULL,
    checkout_ref  VARCHAR(200) NULL,
    redirect_url  TEXT         NULL,
    last_error    VARCHAR(2000) NOT NULL DEFAULT '',
    created_at    DATETIME(3)  NOT NULL,
    updated_at    DATETIME(3)  NOT NULL,
    UNIQUE KEY payment_attempts_checkout (gateway, checkout_ref),
    KEY payment_attempts_invoice (invoice_id),
    CONSTRAINT payment_attempts_invoice_fk FOREIGN KEY (invoice_id) REFERENCES invoices (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Provider notifications, stored once per provider event id after their
-- signature is verified, then worked off as a queue: the events of one
-- provider payment (line) one at a time, in order of arrival.
CREATE TABLE payment_events (
    id              BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
    gateway         VARCHAR(32)  NOT NULL,
    seller_id       BIGINT UNSIGNED NOT NULL,
    event_id        VARCHAR(200) NOT NULL,
    line            VARCHAR(200) NOT NULL,
    kind            VARCHAR(20)  NOT NULL,
    payload         TEXT         NOT NULL,
    status          VARCHAR(20)  NOT NULL,
    attempts        INT          NOT NULL DEFAULT 0,
    next_attempt_at DATETIME(3)  NOT NULL,
    locked_by       VARCHAR(160) NULL,
    last_error      TEXT         NOT NULL,
    received_at     DATETIME(3)  NOT NULL,
    processed_at    DATETIME(3)  NULL,
    UNIQUE KEY payment_events_once (gateway, seller_id, event_id),
    KEY payment_events_due (status, next_attempt_at),
    KEY payment_events_line (line, id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

ALTER TABLE payments ADD COLUMN attempt_id BIGINT UNSIGNED NULL;
ALTER TABLE payment_refunds ADD COLUMN booked BOOLEAN NOT NULL DEFAULT TRUE;
CREATE UNIQUE INDEX payment_refunds_provider ON payment_refunds (payment_id, provider_ref);
