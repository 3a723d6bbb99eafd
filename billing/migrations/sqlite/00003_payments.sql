-- +goose Up
-- Money received from a customer for a seller: by hand (bank transfer,
-- cash, cheque) or through a gateway. A gateway's own id is unique per
-- seller and gateway, so a payment confirmed twice (the return page and
-- the webhook) is recorded once.
CREATE TABLE payments (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    seller_id      INTEGER NOT NULL REFERENCES tenants (id),
    customer_id    INTEGER NOT NULL REFERENCES tenants (id),
    customer_path  TEXT    NOT NULL,
    gateway        TEXT    NOT NULL,
    method         TEXT    NOT NULL,
    reference      TEXT    NOT NULL DEFAULT '',
    provider_ref   TEXT    NULL,
    amount_minor   INTEGER NOT NULL,
    refunded_minor INTEGER NOT NULL DEFAULT 0,
    currency       TEXT    NOT NULL,
    status         TEXT    NOT NULL,
    received_on    TEXT    NOT NULL,
    note           TEXT    NOT NULL DEFAULT '',
    created_by     TEXT    NOT NULL,
    created_at     DATETIME NOT NULL,
    updated_at     DATETIME NOT NULL,
    CHECK (amount_minor > 0 AND refunded_minor >= 0 AND refunded_minor <= amount_minor)
);
CREATE UNIQUE INDEX payments_provider ON payments (seller_id, gateway, provider_ref);
CREATE INDEX payments_customer ON payments (seller_id, customer_id, currency);
CREATE INDEX payments_path ON payments (customer_path);

-- What part of a payment pays which invoice; the rest of a succeeded
-- payment (less refunds) is the customer's credit with the seller.
CREATE TABLE payment_allocations (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    payment_id   INTEGER NOT NULL REFERENCES payments (id),
    invoice_id   INTEGER NOT NULL REFERENCES invoices (id),
    amount_minor INTEGER NOT NULL CHECK (amount_minor > 0),
    created_at   DATETIME NOT NULL,
    updated_at   DATETIME NOT NULL
);
CREATE UNIQUE INDEX payment_allocations_pair ON payment_allocations (payment_id, invoice_id);
CREATE INDEX payment_allocations_invoice ON payment_allocations (invoice_id);

-- A customer's credit with a seller in one currency: the unallocated rest
-- of its payments. Kept as a row (locked while it changes) and checked
-- against the payments and allocations by the tests' invariants.
CREATE TABLE credit_balances (
    seller_id     INTEGER NOT NULL,
    customer_id   INTEGER NOT NULL,
    currency      TEXT    NOT NULL,
    customer_path TEXT    NOT NULL,
    balance_minor INTEGER NOT NULL CHECK (balance_minor >= 0),
    updated_at    DATETIME NOT NULL,
    PRIMARY KEY (seller_id, customer_id, currency)
);

-- Money given back from a payment.
CREATE TABLE payment_refunds (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    payment_id   INTEGER NOT NULL REFERENCES payments (id),
    amount_minor INTEGER NOT NULL CHECK (amount_minor > 0),
    reason       TEXT    NOT NULL,
    provider_ref TEXT    NULL,
    created_by   TEXT    NOT NULL,
    created_at   DATETIME NOT NULL
);
CREATE INDEX payment_refunds_payment ON payment_refunds (payment_id);
