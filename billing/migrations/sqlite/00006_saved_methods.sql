-- +goose Up
-- A payment method a customer saved with a seller's gateway, with its
-- consent to be charged automatically when an invoice falls due.
CREATE TABLE payment_methods (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    seller_id         INTEGER NOT NULL,
    customer_id       INTEGER NOT NULL,
    customer_path     TEXT    NOT NULL,
    gateway           TEXT    NOT NULL,
    provider_customer TEXT    NOT NULL,
    provider_method   TEXT    NOT NULL,
    label             TEXT    NOT NULL DEFAULT '',
    auto_charge       BOOLEAN NOT NULL,
    created_at        DATETIME NOT NULL,
    updated_at        DATETIME NOT NULL
);
CREATE UNIQUE INDEX payment_methods_one ON payment_methods (seller_id, customer_id, gateway);
CREATE INDEX payment_methods_path ON payment_methods (customer_path);

-- An attempt that saves the payer's method, and an automatic charge's
-- day (one per invoice and day, so a re-run charges nothing twice).
ALTER TABLE payment_attempts ADD COLUMN save_method BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE payment_attempts ADD COLUMN charge_day TEXT NULL;
CREATE UNIQUE INDEX payment_attempts_charge ON payment_attempts (invoice_id, charge_day);
