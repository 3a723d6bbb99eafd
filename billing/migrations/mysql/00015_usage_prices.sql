-- +goose Up
-- A product's prices for usage above what a period includes, per meter
-- and currency (the model, tiers and package in the row).
CREATE TABLE product_usage_prices (
    id            BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
    product_id    BIGINT UNSIGNED NOT NULL,
    meter         VARCHAR(40)  NOT NULL,
    currency      CHAR(3)      NOT NULL,
    model         VARCHAR(20)  NOT NULL,
    included      BIGINT       NOT NULL DEFAULT 0,
    per           BIGINT       NOT NULL DEFAULT 1,
    unit_name     VARCHAR(20)  NOT NULL DEFAULT '',
    unit_price    VARCHAR(40)  NOT NULL DEFAULT '',
    tiers         TEXT         NOT NULL,
    package       BIGINT       NOT NULL DEFAULT 0,
    package_price VARCHAR(40)  NOT NULL DEFAULT '',
    created_at    DATETIME(3)  NOT NULL,
    UNIQUE KEY product_usage_prices_key (product_id, meter, currency),
    CONSTRAINT product_usage_prices_product FOREIGN KEY (product_id) REFERENCES products (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- A (contract, meter, period) is rated once: its row is written in the
-- transaction that adds the overage charges.
CREATE TABLE usage_ratings (
    contract_id  BIGINT UNSIGNED NOT NULL,
    meter        VARCHAR(40)  NOT NULL,
    period_start CHAR(10)     NOT NULL,
    period_end   CHAR(10)     NOT NULL,
    quantity     BIGINT       NOT NULL,
    included     BIGINT       NOT NULL,
    amount_minor BIGINT       NOT NULL,
    created_at   DATETIME(3)  NOT NULL,
    PRIMARY KEY (contract_id, meter, period_start)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- A charge may carry its own quantity and unit price (usage lines).
ALTER TABLE contract_charges ADD COLUMN quantity VARCHAR(40) NOT NULL DEFAULT '',
    ADD COLUMN unit_price VARCHAR(40) NOT NULL DEFAULT '';
