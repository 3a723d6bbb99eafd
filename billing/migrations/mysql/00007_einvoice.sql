-- +goose Up
-- What an EN 16931 e-invoice and the country's mandatory mentions need:
-- the seller's tax number (Steuernummer, codice fiscale) and telephone,
-- the party's electronic address (Peppol endpoint, scheme:id), the
-- buyer's reference (the Leitweg-ID of a German public buyer) and the
-- e-invoice format the buyer wants.
ALTER TABLE billing_profiles ADD COLUMN tax_number VARCHAR(40) NOT NULL DEFAULT '',
  ADD COLUMN phone VARCHAR(40) NOT NULL DEFAULT '',
  ADD COLUMN endpoint_id VARCHAR(110) NOT NULL DEFAULT '',
  ADD COLUMN buyer_reference VARCHAR(100) NOT NULL DEFAULT '',
  ADD COLUMN einvoice VARCHAR(20) NOT NULL DEFAULT '';
