-- +goose Up
-- A seller's bank account, printed on its invoices for bank transfers
-- (with a structured creditor reference and an EPC QR code).
ALTER TABLE billing_profiles ADD COLUMN iban TEXT NOT NULL DEFAULT '';
ALTER TABLE billing_profiles ADD COLUMN bic TEXT NOT NULL DEFAULT '';
