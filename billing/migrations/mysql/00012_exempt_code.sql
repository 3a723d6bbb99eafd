-- +goose Up
-- The VATEX code of a customer's VAT exemption (BT-121 on its e-invoices).
ALTER TABLE billing_profiles ADD COLUMN tax_exempt_code VARCHAR(30) NOT NULL DEFAULT '';
