-- +goose Up
-- Every billed period of a subject (a seller's resource, or a manual
-- contract), whichever contract billed it: a contract closed and opened
-- again for the same resource can never bill a period twice. A period is
-- released when its line is deleted from a draft or a credit note credits
-- it in full. The run writes these before its documents.
CREATE TABLE billed_periods (
    subject_key  VARCHAR(80)     NOT NULL,
    period_start CHAR(10)        NOT NULL,
    period_end   CHAR(10)        NOT NULL,
    contract_id  BIGINT UNSIGNED NOT NULL,
    created_at   DATETIME(3)     NOT NULL,
    PRIMARY KEY (subject_key, period_start)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

INSERT IGNORE INTO billed_periods (subject_key, period_start, period_end, contract_id, created_at)
SELECT CONCAT(c.seller_id, ':', c.subject_kind, ':', c.subject_id), l.period_start, l.period_end, c.id, l.created_at
FROM invoice_lines l
JOIN contracts c ON c.id = l.contract_id
JOIN invoices i ON i.id = l.invoice_id
WHERE l.kind = 'recurring' AND i.kind = 'invoice' AND i.status <> 'cancelled'
ORDER BY l.id;

-- The contract-level key is superseded by billed_periods.
ALTER TABLE invoice_lines DROP INDEX invoice_lines_billing, DROP COLUMN billing_key;

-- The invoice run's work claims: which process works on which bucket of
-- a day's units, renewed by a heartbeat; advisory only (correctness rests
-- on row locks and the unique keys), so processes and Galera nodes rarely
-- do the same work.
CREATE TABLE billing_run_claims (
    run_day      CHAR(10)     NOT NULL,
    bucket       VARCHAR(40)  NOT NULL,
    holder       VARCHAR(160) NOT NULL,
    claimed_at   DATETIME(3)  NOT NULL,
    heartbeat_at DATETIME(3)  NOT NULL,
    done_at      DATETIME(3)  NULL,
    PRIMARY KEY (run_day, bucket)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Closing an account finds its contracts by subproject.
CREATE INDEX contracts_subproject ON contracts (subproject, status);
