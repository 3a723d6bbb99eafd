-- +goose Up
-- A product's prices for usage above what a period includes, per meter
-- and currency (the model, tiers and package in the row).
CREATE TABLE product_usage_prices (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    product_id    INTEGER NOT NULL REFERENCES products (id),
    meter         TEXT    NOT NULL,
    currency      TEXT    NOT NULL,
    model         TEXT    NOT NULL,
    included      INTEGER NOT NULL DEFAULT 0,
    per           INTEGER NOT NULL DEFAULT 1,
    unit_name     TEXT    NOT NULL DEFAULT '',
    unit_price    TEXT    NOT NULL DEFAULT '',
    tiers         TEXT    NOT NULL DEFAULT '[]',
    package       INTEGER NOT NULL DEFAULT 0,
    package_price TEXT    NOT NULL DEFAULT '',
    created_at    DATETIME NOT NULL
);
CREATE UNIQUE INDEX product_usage_prices_key ON product_usage_prices (product_id, meter, currency);

-- A (contract, meter, period) is rated once: its row is written in the
-- transaction that adds the overage charges.
CREATE TABLE usage_ratings (
    contract_id  INTEGER NOT NULL,
    meter        TEXT    NOT NULL,
    period_start TEXT    NOT NULL,
    period_end   TEXT    NOT NULL,
    quantity     INTEGER NOT NULL,
    included     INTEGER NOT NULL,
    amount_minor INTEGER NOT NULL,
    created_at   DATETIME NOT NULL,
    PRIMARY KEY (contract_id, meter, period_start)
);

-- A charge may carry its own quantity and unit price (usage lines).
ALTER TABLE contract_charges ADD COLUMN quantity TEXT NOT NULL DEFAULT '';
ALTER TABLE contract_charges ADD COLUMN unit_price TEXT NOT NULL DEFAULT '';
