-- +goose Up
-- The unit a line's quantity counts in (GB, MB; empty: pieces), for usage
-- lines, kept on the charge until it is invoiced.
ALTER TABLE invoice_lines ADD COLUMN unit VARCHAR(20) NOT NULL DEFAULT '';
ALTER TABLE contract_charges ADD COLUMN unit VARCHAR(20) NOT NULL DEFAULT '';
