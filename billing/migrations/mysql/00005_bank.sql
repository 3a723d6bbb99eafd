-- +goose Up
-- A seller's bank account, printed on its invoices for bank transfers
-- (with a structured creditor reference and an EPC QR code).
ALTER TABLE billing_profiles ADD COLUMN iban VARCHAR(34) NOT NULL DEFAULT '', ADD COLUMN bic VARCHAR(11) NOT NULL DEFAULT '';
