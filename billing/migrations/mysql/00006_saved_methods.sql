-- +goose Up
-- A payment method a customer saved with a seller's gateway, with its
-- consent to be charged automatically when an invoice falls due.
CREATE TABLE payment_methods (
    id                BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
    seller_id         BIGINT UNSIGNED NOT NULL,
    customer_id       BIGINT UNSIGNED NOT NULL,
    customer_path     VARCHAR(255) NOT NULL,
    gateway           VARCHAR(32)  NOT NULL,
    provider_customer VARCHAR(200) NOT NULL,
    provider_method   VARCHAR(200) NOT NULL,
    label             VARCHAR(200) NOT NULL DEFAULT '',
    auto_charge       BOOLEAN      NOT NULL,
    created_at        DATETIME(3)  NOT NULL,
    updated_at        DATETIME(3)  NOT NULL,
    UNIQUE KEY payment_methods_one (seller_id, customer_id, gateway),
    KEY payment_methods_path (customer_path)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- An attempt that saves the payer's method, and an automatic charge's
-- day (one per invoice and day, so a re-run charges nothing twice).
ALTER TABLE payment_attempts ADD COLUMN save_method BOOLEAN NOT NULL DEFAULT FALSE, ADD COLUMN charge_day CHAR(10) NULL;
CREATE UNIQUE INDEX payment_attempts_charge ON payment_attempts (invoice_id, charge_day);
