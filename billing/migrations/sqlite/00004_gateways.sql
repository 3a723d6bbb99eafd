-- +goose Up
-- A seller's payment gateways: which it enabled, its settings, and its
-- credentials sealed with the secret key (never stored in the clear).
CREATE TABLE payment_gateways (
    seller_id  INTEGER NOT NULL REFERENCES tenants (id),
    gateway    TEXT    NOT NULL,
    enabled    BOOLEAN NOT NULL,
    settings   TEXT    NOT NULL,
    secrets    TEXT    NOT NULL,
    updated_at DATETIME NOT NULL,
    PRIMARY KEY (seller_id, gateway)
);

-- A customer's try to pay an invoice through a gateway: recorded and
-- committed before the gateway is called, with the key the call carries.
CREATE TABLE payment_attempts (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    seller_id     INTEGER NOT NULL,
    customer_id   INTEGER NOT NULL,
    customer_path TEXT    NOT NULL,
    invoice_id    INTEGER NOT NULL REFERENCES invoices (id),
    gateway       TEXT    NOT NULL,
    amount_minor  INTEGER NOT NULL,
    currency      TEXT    NOT NULL,
    status        TEXT    NOT NULL,
    checkout_ref  TEXT    NULL,
    redirect_url  TEXT    NULL,
    last_error    TEXT    NOT NULL DEFAULT '',
    created_at    DATETIME NOT NULL,
    updated_at    DATETIME NOT NULL
);
CREATE UNIQUE INDEX payment_attempts_checkout ON payment_attempts (gateway, checkout_ref);
CREATE INDEX payment_attempts_invoice ON payment_attempts (invoice_id);

-- Provider notifications, stored once per provider event id after their
-- signature is verified, then worked off as a queue: the events of one
-- provider payment (line) one at a time, in order of arrival.
CREATE TABLE payment_events (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    gateway         TEXT    NOT NULL,
    seller_id       INTEGER NOT NULL,
    event_id        TEXT    NOT NULL,
    line            TEXT    NOT NULL,
    kind            TEXT    NOT NULL,
    payload         TEXT    NOT NULL,
    status          TEXT    NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at DATETIME NOT NULL,
    locked_by       TEXT    NULL,
    last_error      TEXT    NOT NULL DEFAULT '',
    received_at     DATETIME NOT NULL,
    processed_at    DATETIME NULL
);
CREATE UNIQUE INDEX payment_events_once ON payment_events (gateway, seller_id, event_id);
CREATE INDEX payment_events_due ON payment_events (status, next_attempt_at);
CREATE INDEX payment_events_line ON payment_events (line, id);

ALTER TABLE payments ADD COLUMN attempt_id INTEGER NULL;
ALTER TABLE payment_refunds ADD COLUMN booked BOOLEAN NOT NULL DEFAULT TRUE;
CREATE UNIQUE INDEX payment_refunds_provider ON payment_refunds (payment_id, provider_ref);
