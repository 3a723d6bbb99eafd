-- +goose Up
-- Collections: each dunning step done on an invoice (once: the unique key
-- is what keeps two runs, a re-run or a run after a crash from sending a
-- reminder twice), holds that pause dunning for a customer or an invoice,
-- and the accounts and resellers suspended for non-payment with the
-- invoices that caused it.
CREATE TABLE dunning_steps (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    invoice_id      INTEGER NOT NULL,
    step_key        TEXT  NOT NULL,
    seller_id       INTEGER NOT NULL,
    customer_id     INTEGER NOT NULL,
    customer_path   TEXT NOT NULL,
    action          TEXT  NOT NULL,
    day_offset      INT          NOT NULL,
    run_day         TEXT     NOT NULL,
    outcome         TEXT  NOT NULL,
    fee_minor       INTEGER       NOT NULL DEFAULT 0,
    fee_invoice_id  INTEGER NULL,
    detail          TEXT         NOT NULL,
    claim           TEXT NOT NULL DEFAULT '',
    created_at      DATETIME  NOT NULL
);
CREATE TABLE dunning_holds (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    seller_id       INTEGER NOT NULL,
    customer_id     INTEGER NOT NULL,
    customer_path   TEXT NOT NULL,
    invoice_id      INTEGER NOT NULL DEFAULT 0,
    reason          TEXT NOT NULL,
    until_day       TEXT     NOT NULL,
    created_by      TEXT NOT NULL,
    created_at      DATETIME  NOT NULL,
    released_at     DATETIME  NULL,
    released_by     TEXT NOT NULL DEFAULT ''
);
CREATE TABLE dunning_suspensions (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    seller_id       INTEGER NOT NULL,
    customer_id     INTEGER NOT NULL,
    customer_path   TEXT NOT NULL,
    subject_kind    TEXT  NOT NULL,
    subject_id      INTEGER NOT NULL,
    subject_name    TEXT NOT NULL DEFAULT '',
    invoices        TEXT NOT NULL,
    suspended_day   TEXT     NOT NULL,
    state           TEXT  NOT NULL,
    open_key        TEXT  NULL,
    ended_day       TEXT     NOT NULL DEFAULT '',
    created_at      DATETIME  NOT NULL,
    updated_at      DATETIME  NOT NULL
);
CREATE UNIQUE INDEX dunning_steps_once ON dunning_steps (invoice_id, step_key);
CREATE INDEX dunning_steps_customer ON dunning_steps (seller_id, customer_id);
CREATE INDEX dunning_holds_customer ON dunning_holds (seller_id, customer_id);
CREATE UNIQUE INDEX dunning_suspensions_open ON dunning_suspensions (open_key);
CREATE INDEX dunning_suspensions_customer ON dunning_suspensions (seller_id, customer_id, state);
