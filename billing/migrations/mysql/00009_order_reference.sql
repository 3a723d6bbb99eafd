-- +goose Up
-- A buyer's standing purchase order number, printed on its invoices and
-- given as the order reference (BT-13) of its e-invoices.
ALTER TABLE billing_profiles ADD COLUMN order_reference VARCHAR(100) NOT NULL DEFAULT '';
