-- +goose Up
-- A seller's tax scheme (standard or a national small-business
-- exemption) and how it taxes supplies to consumers in other member
-- states (Art. 59c threshold, or destination by option).
ALTER TABLE billing_profiles ADD COLUMN tax_scheme TEXT NOT NULL DEFAULT 'standard';
ALTER TABLE billing_profiles ADD COLUMN oss_mode TEXT NOT NULL DEFAULT 'threshold';

-- Each document's tax basis, which the Art. 59c tally sums by seller and
-- year; taken from the decision the document already stores.
ALTER TABLE invoices ADD COLUMN tax_basis TEXT NOT NULL DEFAULT '';
UPDATE invoices SET tax_basis = 'oss' WHERE taxes LIKE '%"basis":"oss"%';
UPDATE invoices SET tax_basis = 'domestic' WHERE taxes LIKE '%"basis":"domestic"%';
UPDATE invoices SET tax_basis = 'reverse_charge' WHERE taxes LIKE '%"basis":"reverse_charge"%';
UPDATE invoices SET tax_basis = 'outside_eu' WHERE taxes LIKE '%"basis":"outside_eu"%';
UPDATE invoices SET tax_basis = 'exempt' WHERE taxes LIKE '%"basis":"exempt"%';
UPDATE invoices SET tax_basis = 'damages' WHERE taxes LIKE '%"basis":"damages"%';
CREATE INDEX invoices_tax_basis ON invoices (seller_id, tax_basis, issue_date);

-- The basis is part of the frozen document.
DROP TRIGGER invoices_frozen;
-- +goose StatementBegin
CREATE TRIGGER invoices_frozen BEFORE UPDATE ON invoices
WHEN OLD.finalized_at IS NOT NULL AND (
    NEW.number IS NOT OLD.number OR NEW.seq IS NOT OLD.seq OR NEW.finalized_at IS NOT OLD.finalized_at
    OR NEW.kind IS NOT OLD.kind OR NEW.seller_id IS NOT OLD.seller_id OR NEW.customer_id IS NOT OLD.customer_id
    OR NEW.credits_id IS NOT OLD.credits_id OR NEW.currency IS NOT OLD.currency OR NEW.language IS NOT OLD.language
    OR NEW.issue_date IS NOT OLD.issue_date OR NEW.due_date IS NOT OLD.due_date
    OR NEW.period_start IS NOT OLD.period_start OR NEW.period_end IS NOT OLD.period_end
    OR NEW.net_minor IS NOT OLD.net_minor OR NEW.tax_minor IS NOT OLD.tax_minor OR NEW.total_minor IS NOT OLD.total_minor
    OR NEW.taxes IS NOT OLD.taxes OR NEW.tax_basis IS NOT OLD.tax_basis OR NEW.seller IS NOT OLD.seller OR NEW.buyer IS NOT OLD.buyer)
BEGIN
    SELECT RAISE(ABORT, 'invoice is finalized: corrections only by credit note');
END;
-- +goose StatementEnd
