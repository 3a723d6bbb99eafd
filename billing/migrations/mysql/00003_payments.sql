-- +goose Up
-- Money received from a customer for a seller: by hand (bank transfer,
-- cash, cheque) or through a gateway. A gateway's own id is unique per
-- seller and gateway, so a payment confirmed twice (the return page and
-- the webhook) is recorded once.
CREATE TABLE payments (
    id             BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
    seller_id      BIGINT UNSIGNED NOT NULL,
    customer_id    BIGINT UNSIGNED NOT NULL,
    customer_path  VARCHAR(255) NOT NULL,
    gateway        VARCHAR(32)  NOT NULL,
    method         VARCHAR(32)  NOT NULL,
    reference      VARCHAR(200) NOT NULL DEFAULT '',
    provider_ref   VARCHAR(200) NULL,
    amount_minor   BIGINT       NOT NULL,
    refunded_minor BIGINT       NOT NULL DEFAULT 0,
    currency       CHAR(3)      NOT NULL,
    status         VARCHAR(20)  NOT NULL,
    received_on    CHAR(10)     NOT NULL,
    note           VARCHAR(500) NOT NULL DEFAULT '',
    created_by     VARCHAR(200) NOT NULL,
    created_at     DATETIME(3)  NOT NULL,
    updated_at     DATETIME(3)  NOT NULL,
    UNIQUE KEY payments_provider (seller_id, gateway, provider_ref),
    KEY payments_customer (seller_id, customer_id, currency),
    KEY payments_path (customer_path),
    CONSTRAINT payments_seller_fk FOREIGN KEY (seller_id) REFERENCES tenants (id),
    CONSTRAINT payments_customer_fk FOREIGN KEY (customer_id) REFERENCES tenants (id),
    CONSTRAINT payments_amount CHECK (amount_minor > 0 AND refunded_minor >= 0 AND refunded_minor <= amount_minor)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- What part of a payment pays which invoice; the rest of a succeeded
-- payment (less refunds) is the customer's credit with the seller.
CREATE TABLE payment_allocations (
    id           BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
    payment_id   BIGINT UNSIGNED NOT NULL,
    invoice_id   BIGINT UNSIGNED NOT NULL,
    amount_minor BIGINT       NOT NULL,
    created_at   DATETIME(3)  NOT NULL,
    updated_at   DATETIME(3)  NOT NULL,
    UNIQUE KEY payment_allocations_pair (payment_id, invoice_id),
    KEY payment_allocations_invoice (invoice_id),
    CONSTRAINT payment_allocations_payment_fk FOREIGN KEY (payment_id) REFERENCES payments (id),
    CONSTRAINT payment_allocations_invoice_fk FOREIGN KEY (invoice_id) REFERENCES invoices (id),
    CONSTRAINT payment_allocations_amount CHECK (amount_minor > 0)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- A customer's credit with a seller in one currency: the unallocated rest
-- of its payments. Kept as a row (locked while it changes) and checked
-- against the payments and allocations by the tests' invariants.
CREATE TABLE credit_balances (
    seller_id     BIGINT UNSIGNED NOT NULL,
    customer_id   BIGINT UNSIGNED NOT NULL,
    currency      CHAR(3)      NOT NULL,
    customer_path VARCHAR(255) NOT NULL,
    balance_minor BIGINT       NOT NULL,
    updated_at    DATETIME(3)  NOT NULL,
    PRIMARY KEY (seller_id, customer_id, currency),
    CONSTRAINT credit_balances_positive CHECK (balance_minor >= 0)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Money given back from a payment.
CREATE TABLE payment_refunds (
    id           BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
    payment_id   BIGINT UNSIGNED NOT NULL,
    amount_minor BIGINT       NOT NULL,
    reason       VARCHAR(500) NOT NULL,
    provider_ref VARCHAR(200) NULL,
    created_by   VARCHAR(200) NOT NULL,
    created_at   DATETIME(3)  NOT NULL,
    KEY payment_refunds_payment (payment_id),
    CONSTRAINT payment_refunds_payment_fk FOREIGN KEY (payment_id) REFERENCES payments (id),
    CONSTRAINT payment_refunds_amount CHECK (amount_minor > 0)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
