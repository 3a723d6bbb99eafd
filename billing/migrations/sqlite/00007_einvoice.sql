-- +goose Up
-- What an EN 16931 e-invoice and the country's mandatory mentions need:
-- the seller's tax number (Steuernummer, codice fiscale) and telephone,
-- the party's electronic address (Peppol endpoint, scheme:id), the
-- buyer's reference (the Leitweg-ID of a German public buyer) and the
-- e-invoice format the buyer wants.
ALTER TABLE billing_profiles ADD COLUMN tax_number TEXT NOT NULL DEFAULT '';
ALTER TABLE billing_profiles ADD COLUMN phone TEXT NOT NULL DEFAULT '';
ALTER TABLE billing_profiles ADD COLUMN endpoint_id TEXT NOT NULL DEFAULT '';
ALTER TABLE billing_profiles ADD COLUMN buyer_reference TEXT NOT NULL DEFAULT '';
ALTER TABLE billing_profiles ADD COLUMN einvoice TEXT NOT NULL DEFAULT '';
