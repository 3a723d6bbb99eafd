-- +goose Up
-- Every billed period of a subject (a seller's resource, or a manual
-- contract), whichever contract billed it: a contract closed and opened
-- again for the same resource can never bill a period twice. A period is
-- released when its line is deleted from a draft or a credit note credits
-- it in full. The run writes these before its documents.
CREATE TABLE billed_periods (
    subject_key  TEXT     NOT NULL,
    period_start TEXT     NOT NULL,
    period_end   TEXT     NOT NULL,
    contract_id  INTEGER  NOT NULL,
    created_at   DATETIME NOT NULL,
    PRIMARY KEY (subject_key, period_start)
) WITHOUT ROWID;

INSERT OR IGNORE INTO billed_periods (subject_key, period_start, period_end, contract_id, created_at)
SELECT c.seller_id || ':' || c.subject_kind || ':' || c.subject_id, l.period_start, l.period_end, c.id, l.created_at
FROM invoice_lines l
JOIN contracts c ON c.id = l.contract_id
JOIN invoices i ON i.id = l.invoice_id
WHERE l.kind = 'recurring' AND i.kind = 'invoice' AND i.status <> 'cancelled'
ORDER BY l.id;

-- The contract-level key is superseded by billed_periods.
DROP INDEX invoice_lines_billing;
ALTER TABLE invoice_lines DROP COLUMN billing_key;

-- The invoice run's work claims: which process works on which bucket of
-- a day's units, renewed by a heartbeat; advisory only (correctness rests
-- on the unique keys), so processes rarely do the same work.
CREATE TABLE billing_run_claims (
    run_day      TEXT     NOT NULL,
    bucket       TEXT     NOT NULL,
    holder       TEXT     NOT NULL,
    claimed_at   DATETIME NOT NULL,
    heartbeat_at DATETIME NOT NULL,
    done_at      DATETIME NULL,
    PRIMARY KEY (run_day, bucket)
) WITHOUT ROWID;

-- Closing an account finds its contracts by subproject.
CREATE INDEX contracts_subproject ON contracts (subproject, status);
