-- +goose Up
-- The double-entry journal: one entry per billing event that moves money
-- (a document finalized, a payment received, credit applied or released,
-- a refund, a write-off), written in that event's transaction. Lines
-- carry their account's role and tax key; the account number is resolved
-- from the seller's chart, and frozen into the line when its month closes.
CREATE TABLE journal_entries (
    id            BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
    seller_id     BIGINT UNSIGNED NOT NULL,
    journal       VARCHAR(4)   NOT NULL,
    kind          VARCHAR(20)  NOT NULL,
    source_key    VARCHAR(100) NULL,
    doc_number    VARCHAR(64)  NOT NULL DEFAULT '',
    doc_date      CHAR(10)     NOT NULL,
    entry_date    CHAR(10)     NOT NULL,
    period        CHAR(7)      NOT NULL,
    currency      CHAR(3)      NOT NULL,
    customer_id   BIGINT UNSIGNED NOT NULL DEFAULT 0,
    customer_name VARCHAR(200) NOT NULL DEFAULT '',
    buyer_country CHAR(2)      NOT NULL DEFAULT '',
    buyer_vat_id  VARCHAR(32)  NOT NULL DEFAULT '',
    cost_centre   VARCHAR(36)  NOT NULL DEFAULT '',
    text          VARCHAR(200) NOT NULL DEFAULT '',
    num           BIGINT       NULL,
    created_at    DATETIME(3)  NOT NULL,
    UNIQUE KEY journal_entries_source (seller_id, source_key),
    KEY journal_entries_period (seller_id, period, journal, entry_date, id),
    CONSTRAINT journal_entries_seller FOREIGN KEY (seller_id) REFERENCES tenants (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE journal_lines (
    id           BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
    entry_id     BIGINT UNSIGNED NOT NULL,
    position     INT          NOT NULL,
    role         VARCHAR(20)  NOT NULL,
    tax_key      VARCHAR(40)  NOT NULL DEFAULT '',
    product_id   BIGINT UNSIGNED NULL,
    gateway      VARCHAR(40)  NOT NULL DEFAULT '',
    ref          VARCHAR(64)  NOT NULL DEFAULT '',
    debit_minor  BIGINT       NOT NULL DEFAULT 0,
    credit_minor BIGINT       NOT NULL DEFAULT 0,
    account      VARCHAR(20)  NOT NULL DEFAULT '',
    account_name VARCHAR(200) NOT NULL DEFAULT '',
    KEY journal_lines_entry (entry_id),
    CONSTRAINT journal_lines_entry FOREIGN KEY (entry_id) REFERENCES journal_entries (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Entries are append-only: a line's account (number and name) is
-- written once, when its month closes, and an entry's number likewise; nothing is deleted.
-- +goose StatementBegin
CREATE TRIGGER journal_entries_append_only BEFORE UPDATE ON journal_entries FOR EACH ROW
BEGIN
    IF (OLD.num IS NOT NULL AND NOT (NEW.num <=> OLD.num)) OR NEW.seller_id <> OLD.seller_id OR NEW.journal <> OLD.journal
        OR NEW.kind <> OLD.kind OR NOT (NEW.source_key <=> OLD.source_key) OR NEW.doc_number <> OLD.doc_number
        OR NEW.doc_date <> OLD.doc_date OR NEW.entry_date <> OLD.entry_date OR NEW.period <> OLD.period
        OR NEW.currency <> OLD.currency OR NEW.customer_id <> OLD.customer_id OR NEW.text <> OLD.text
        OR NEW.cost_centre <> OLD.cost_centre THEN
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'journal entries are append-only: correct by a new entry';
    END IF;
END
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER journal_entries_no_delete BEFORE DELETE ON journal_entries FOR EACH ROW
BEGIN
    SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'journal entries are append-only: correct by a new entry';
END
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER journal_lines_append_only BEFORE UPDATE ON journal_lines FOR EACH ROW
BEGIN
    IF (OLD.account <> '' AND (NEW.account <> OLD.account OR NEW.account_name <> OLD.account_name)) OR NEW.entry_id <> OLD.entry_id OR NEW.role <> OLD.role
        OR NEW.tax_key <> OLD.tax_key OR NEW.debit_minor <> OLD.debit_minor OR NEW.credit_minor <> OLD.credit_minor
        OR NOT (NEW.product_id <=> OLD.product_id) OR NEW.gateway <> OLD.gateway OR NEW.ref <> OLD.ref THEN
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'journal entries are append-only: correct by a new entry';
    END IF;
END
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER journal_lines_no_delete BEFORE DELETE ON journal_lines FOR EACH ROW
BEGIN
    SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'journal entries are append-only: correct by a new entry';
END
-- +goose StatementEnd

-- A seller's books: its chart of accounts and the last closed month.
-- Posting reads the row (share-locked), closing locks it, so no entry
-- lands in a month while it closes.
CREATE TABLE ledger_books (
    seller_id      BIGINT UNSIGNED NOT NULL PRIMARY KEY,
    chart          VARCHAR(20) NOT NULL DEFAULT '',
    options        VARCHAR(4000) NOT NULL DEFAULT '{}',
    closed_through CHAR(7)     NOT NULL DEFAULT '',
    closed_at      DATETIME(3) NULL,
    updated_at     DATETIME(3) NOT NULL,
    CONSTRAINT ledger_books_seller FOREIGN KEY (seller_id) REFERENCES tenants (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- A seller's own account numbers, over its chart's: per role and key (a
-- tax key, a product, a gateway).
CREATE TABLE ledger_accounts (
    seller_id  BIGINT UNSIGNED NOT NULL,
    role       VARCHAR(20) NOT NULL,
    match_key  VARCHAR(60) NOT NULL,
    account    VARCHAR(20) NOT NULL,
    updated_at DATETIME(3) NOT NULL,
    PRIMARY KEY (seller_id, role, match_key),
    CONSTRAINT ledger_accounts_seller FOREIGN KEY (seller_id) REFERENCES tenants (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Each export made, with its file's hash: a closed period exports the
-- same bytes every time.
CREATE TABLE ledger_exports (
    id          BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
    seller_id   BIGINT UNSIGNED NOT NULL,
    format      VARCHAR(20) NOT NULL,
    period_from CHAR(7)     NOT NULL,
    period_to   CHAR(7)     NOT NULL,
    currency    CHAR(3)     NOT NULL,
    closed      BOOLEAN     NOT NULL DEFAULT FALSE,
    entries     INT         NOT NULL,
    sha256      CHAR(64)    NOT NULL,
    created_by  VARCHAR(200) NOT NULL DEFAULT '',
    created_at  DATETIME(3) NOT NULL,
    KEY ledger_exports_seller (seller_id, format, period_from, period_to),
    CONSTRAINT ledger_exports_seller FOREIGN KEY (seller_id) REFERENCES tenants (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- What was written off an invoice as uncollectible.
ALTER TABLE invoices ADD COLUMN written_off_minor BIGINT NOT NULL DEFAULT 0;
