-- +goose Up
-- The double-entry journal: one entry per billing event that moves money
-- (a document finalized, a payment received, credit applied or released,
-- a refund, a write-off), written in that event's transaction. Lines
-- carry their account's role and tax key; the account number is resolved
-- from the seller's chart, and frozen into the line when its month closes.
CREATE TABLE journal_entries (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    seller_id     INTEGER NOT NULL REFERENCES tenants(id),
    journal       TEXT    NOT NULL,
    kind          TEXT    NOT NULL,
    source_key    TEXT    NULL,
    doc_number    TEXT    NOT NULL DEFAULT '',
    doc_date      TEXT    NOT NULL,
    entry_date    TEXT    NOT NULL,
    period        TEXT    NOT NULL,
    currency      TEXT    NOT NULL,
    customer_id   INTEGER NOT NULL DEFAULT 0,
    customer_name TEXT    NOT NULL DEFAULT '',
    buyer_country TEXT    NOT NULL DEFAULT '',
    buyer_vat_id  TEXT    NOT NULL DEFAULT '',
    cost_centre   TEXT    NOT NULL DEFAULT '',
    text          TEXT    NOT NULL DEFAULT '',
    num           INTEGER NULL,
    created_at    DATETIME NOT NULL
);
CREATE UNIQUE INDEX journal_entries_source ON journal_entries (seller_id, source_key);
CREATE INDEX journal_entries_period ON journal_entries (seller_id, period, journal, entry_date, id);

CREATE TABLE journal_lines (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    entry_id     INTEGER NOT NULL REFERENCES journal_entries(id),
    position     INTEGER NOT NULL,
    role         TEXT    NOT NULL,
    tax_key      TEXT    NOT NULL DEFAULT '',
    product_id   INTEGER NULL,
    gateway      TEXT    NOT NULL DEFAULT '',
    ref          TEXT    NOT NULL DEFAULT '',
    debit_minor  INTEGER NOT NULL DEFAULT 0,
    credit_minor INTEGER NOT NULL DEFAULT 0,
    account      TEXT    NOT NULL DEFAULT '',
    account_name TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX journal_lines_entry ON journal_lines (entry_id);

-- Entries are append-only: a line's account (number and name) is
-- written once, when its month closes, and an entry's number likewise; nothing is deleted.
-- +goose StatementBegin
CREATE TRIGGER journal_entries_append_only BEFORE UPDATE ON journal_entries
WHEN NEW.num IS NOT OLD.num AND OLD.num IS NOT NULL OR NEW.seller_id IS NOT OLD.seller_id OR NEW.journal IS NOT OLD.journal
    OR NEW.kind IS NOT OLD.kind OR NEW.source_key IS NOT OLD.source_key OR NEW.doc_number IS NOT OLD.doc_number
    OR NEW.doc_date IS NOT OLD.doc_date OR NEW.entry_date IS NOT OLD.entry_date OR NEW.period IS NOT OLD.period
    OR NEW.currency IS NOT OLD.currency OR NEW.customer_id IS NOT OLD.customer_id OR NEW.text IS NOT OLD.text
    OR NEW.cost_centre IS NOT OLD.cost_centre
BEGIN
    SELECT RAISE(ABORT, 'journal entries are append-only: correct by a new entry');
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER journal_entries_no_delete BEFORE DELETE ON journal_entries
BEGIN
    SELECT RAISE(ABORT, 'journal entries are append-only: correct by a new entry');
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER journal_lines_append_only BEFORE UPDATE ON journal_lines
WHEN (NEW.account IS NOT OLD.account OR NEW.account_name IS NOT OLD.account_name) AND OLD.account <> '' OR NEW.entry_id IS NOT OLD.entry_id OR NEW.role IS NOT OLD.role
    OR NEW.tax_key IS NOT OLD.tax_key OR NEW.debit_minor IS NOT OLD.debit_minor OR NEW.credit_minor IS NOT OLD.credit_minor
    OR NEW.product_id IS NOT OLD.product_id OR NEW.gateway IS NOT OLD.gateway OR NEW.ref IS NOT OLD.ref
BEGIN
    SELECT RAISE(ABORT, 'journal entries are append-only: correct by a new entry');
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER journal_lines_no_delete BEFORE DELETE ON journal_lines
BEGIN
    SELECT RAISE(ABORT, 'journal entries are append-only: correct by a new entry');
END;
-- +goose StatementEnd

-- A seller's books: its chart of accounts and the last closed month.
-- Posting reads the row (share-locked on MariaDB), closing locks it, so
-- no entry lands in a month while it closes.
CREATE TABLE ledger_books (
    seller_id      INTEGER PRIMARY KEY REFERENCES tenants(id),
    chart          TEXT    NOT NULL DEFAULT '',
    options        TEXT    NOT NULL DEFAULT '{}',
    closed_through TEXT    NOT NULL DEFAULT '',
    closed_at      DATETIME NULL,
    updated_at     DATETIME NOT NULL
);

-- A seller's own account numbers, over its chart's: per role and key (a
-- tax key, a product, a gateway).
CREATE TABLE ledger_accounts (
    seller_id  INTEGER NOT NULL REFERENCES tenants(id),
    role       TEXT    NOT NULL,
    match_key  TEXT    NOT NULL,
    account    TEXT    NOT NULL,
    updated_at DATETIME NOT NULL,
    PRIMARY KEY (seller_id, role, match_key)
);

-- Each export made, with its file's hash: a closed period exports the
-- same bytes every time.
CREATE TABLE ledger_exports (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    seller_id   INTEGER NOT NULL REFERENCES tenants(id),
    format      TEXT    NOT NULL,
    period_from TEXT    NOT NULL,
    period_to   TEXT    NOT NULL,
    currency    TEXT    NOT NULL,
    closed      INTEGER NOT NULL DEFAULT 0,
    entries     INTEGER NOT NULL,
    sha256      TEXT    NOT NULL,
    created_by  TEXT    NOT NULL DEFAULT '',
    created_at  DATETIME NOT NULL
);
CREATE INDEX ledger_exports_seller ON ledger_exports (seller_id, format, period_from, period_to);

-- What was written off an invoice as uncollectible.
ALTER TABLE invoices ADD COLUMN written_off_minor INTEGER NOT NULL DEFAULT 0;
