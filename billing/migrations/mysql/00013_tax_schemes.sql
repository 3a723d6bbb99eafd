-- +goose Up
-- A seller's tax scheme (standard or a national small-business
-- exemption) and how it taxes supplies to consumers in other member
-- states (Art. 59c threshold, or destination by option).
ALTER TABLE billing_profiles ADD COLUMN tax_scheme VARCHAR(20) NOT NULL DEFAULT 'standard',
    ADD COLUMN oss_mode VARCHAR(20) NOT NULL DEFAULT 'threshold';

-- Each document's tax basis, which the Art. 59c tally sums by seller and
-- year; taken from the decision the document already stores.
ALTER TABLE invoices ADD COLUMN tax_basis VARCHAR(20) NOT NULL DEFAULT '',
    ADD INDEX invoices_tax_basis (seller_id, tax_basis, issue_date);
UPDATE invoices SET tax_basis = 'oss' WHERE taxes LIKE '%"basis":"oss"%';
UPDATE invoices SET tax_basis = 'domestic' WHERE taxes LIKE '%"basis":"domestic"%';
UPDATE invoices SET tax_basis = 'reverse_charge' WHERE taxes LIKE '%"basis":"reverse_charge"%';
UPDATE invoices SET tax_basis = 'outside_eu' WHERE taxes LIKE '%"basis":"outside_eu"%';
UPDATE invoices SET tax_basis = 'exempt' WHERE taxes LIKE '%"basis":"exempt"%';
UPDATE invoices SET tax_basis = 'damages' WHERE taxes LIKE '%"basis":"damages"%';

-- The basis is part of the frozen document.
DROP TRIGGER invoices_frozen;
-- +goose StatementBegin
CREATE TRIGGER invoices_frozen BEFORE UPDATE ON invoices FOR EACH ROW
BEGIN
    IF OLD.finalized_at IS NOT NULL AND (
        NOT (NEW.number <=> OLD.number) OR NOT (NEW.seq <=> OLD.seq) OR NOT (NEW.finalized_at <=> OLD.finalized_at)
        OR NEW.kind <> OLD.kind OR NEW.seller_id <> OLD.seller_id OR NEW.customer_id <> OLD.customer_id
        OR NOT (NEW.credits_id <=> OLD.credits_id) OR NEW.currency <> OLD.currency OR NEW.language <> OLD.language
        OR NEW.issue_date <> OLD.issue_date OR NEW.due_date <> OLD.due_date
        OR NEW.period_start <> OLD.period_start OR NEW.period_end <> OLD.period_end
        OR NEW.net_minor <> OLD.net_minor OR NEW.tax_minor <> OLD.tax_minor OR NEW.total_minor <> OLD.total_minor
        OR NEW.taxes <> OLD.taxes OR NEW.tax_basis <> OLD.tax_basis OR NEW.seller <> OLD.seller OR NEW.buyer <> OLD.buyer) THEN
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'invoice is finalized: corrections only by credit note';
    END IF;
END
-- +goose StatementEnd
