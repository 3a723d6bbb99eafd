-- +goose Up
CREATE TABLE billing_profiles (
    tenant_id         BIGINT UNSIGNED NOT NULL PRIMARY KEY,
    tenant_path       VARCHAR(255) NOT NULL,
    legal_name        VARCHAR(200) NOT NULL DEFAULT '',
    address1          VARCHAR(200) NOT NULL DEFAULT '',
    address2          VARCHAR(200) NOT NULL DEFAULT '',
    postal_code       VARCHAR(20)  NOT NULL DEFAULT '',
    city              VARCHAR(100) NOT NULL DEFAULT '',
    region            VARCHAR(100) NOT NULL DEFAULT '',
    country           CHAR(2)      NOT NULL DEFAULT '',
    email             VARCHAR(254) NOT NULL DEFAULT '',
    vat_id            VARCHAR(20)  NOT NULL DEFAULT '',
    vat_status        VARCHAR(20)  NOT NULL DEFAULT '',
    vat_checked_at    DATETIME(3)  NULL,
    vat_valid_at      DATETIME(3)  NULL,
    vat_message       VARCHAR(500) NOT NULL DEFAULT '',
    vat_request_id    VARCHAR(100) NOT NULL DEFAULT '',
    registration_id   VARCHAR(100) NOT NULL DEFAULT '',
    currency          CHAR(3)      NOT NULL DEFAULT '',
    language          VARCHAR(5)   NOT NULL DEFAULT '',
    invoice_grouping  VARCHAR(20)  NOT NULL DEFAULT '',
    tax_exempt        TINYINT(1)   NOT NULL DEFAULT 0,
    tax_exempt_reason VARCHAR(300) NOT NULL DEFAULT '',
    timezone          VARCHAR(64)  NOT NULL DEFAULT '',
    invoice_prefix    VARCHAR(20)  NOT NULL DEFAULT '',
    credit_prefix     VARCHAR(20)  NOT NULL DEFAULT '',
    created_at        DATETIME(3)  NOT NULL,
    updated_at        DATETIME(3)  NOT NULL,
    KEY billing_profiles_path (tenant_path),
    KEY billing_profiles_vat (vat_status, vat_checked_at),
    CONSTRAINT billing_profiles_tenant_fk FOREIGN KEY (tenant_id) REFERENCES tenants (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE products (
    id           BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
    seller_id    BIGINT UNSIGNED NOT NULL,
    code         VARCHAR(50)  NOT NULL,
    name         VARCHAR(200) NOT NULL,
    kind         VARCHAR(20)  NOT NULL,
    match_code   VARCHAR(63)  NOT NULL DEFAULT '',
    included     INT          NOT NULL DEFAULT 0,
    trial_days   INT          NOT NULL DEFAULT 0,
    active       TINYINT(1)   NOT NULL DEFAULT 1,
    created_at   DATETIME(3)  NOT NULL,
    updated_at   DATETIME(3)  NOT NULL,
    UNIQUE KEY products_code (seller_id, code),
    KEY products_match (seller_id, kind, match_code),
    CONSTRAINT products_seller_fk FOREIGN KEY (seller_id) REFERENCES tenants (id),
    CONSTRAINT products_kind CHECK (kind IN ('hosting', 'domain', 'subdomain', 'reseller', 'oneoff'))
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE prices (
    id           BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
    product_id   BIGINT UNSIGNED NOT NULL,
    currency     CHAR(3)      NOT NULL,
    cycle        VARCHAR(20)  NOT NULL,
    amount_minor BIGINT       NOT NULL,
    setup_minor  BIGINT       NOT NULL DEFAULT 0,
    UNIQUE KEY prices_key (product_id, currency, cycle),
    CONSTRAINT prices_product_fk FOREIGN KEY (product_id) REFERENCES products (id),
    CONSTRAINT prices_amount CHECK (amount_minor >= 0 AND setup_minor >= 0)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE coupons (
    id           BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
    seller_id    BIGINT UNSIGNED NOT NULL,
    code         VARCHAR(50)  NOT NULL,
    name         VARCHAR(200) NOT NULL DEFAULT '',
    kind         VARCHAR(10)  NOT NULL,
    percent      VARCHAR(20)  NOT NULL DEFAULT '0',
    amount_minor BIGINT       NOT NULL DEFAULT 0,
    currency     CHAR(3)      NOT NULL DEFAULT '',
    cycles       INT          NOT NULL DEFAULT 0,
    product_ids  VARCHAR(1000) NOT NULL DEFAULT '',
    automatic    TINYINT(1)   NOT NULL DEFAULT 0,
    valid_from   CHAR(10)     NOT NULL DEFAULT '',
    valid_to     CHAR(10)     NOT NULL DEFAULT '',
    active       TINYINT(1)   NOT NULL DEFAULT 1,
    created_at   DATETIME(3)  NOT NULL,
    UNIQUE KEY coupons_code (seller_id, code),
    CONSTRAINT coupons_seller_fk FOREIGN KEY (seller_id) REFERENCES tenants (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE contracts (
    id             BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
    seller_id      BIGINT UNSIGNED NOT NULL,
    customer_id    BIGINT UNSIGNED NOT NULL,
    customer_path  VARCHAR(255) NOT NULL,
    subproject     VARCHAR(40)  NOT NULL,
    subproject_name VARCHAR(300) NOT NULL DEFAULT '',
    subject_kind   VARCHAR(20)  NOT NULL,
    subject_id     BIGINT       NOT NULL,
    subject_name   VARCHAR(300) NOT NULL DEFAULT '',
    product_id     BIGINT UNSIGNED NOT NULL,
    currency       CHAR(3)      NOT NULL,
    cycle          VARCHAR(20)  NOT NULL,
    unit_minor     BIGINT       NOT NULL,
    setup_minor    BIGINT       NOT NULL DEFAULT 0,
    included       TINYINT(1)   NOT NULL DEFAULT 0,
    anchor_day     INT          NOT NULL,
    start_date     CHAR(10)     NOT NULL,
    next_due       CHAR(10)     NOT NULL,
    status         VARCHAR(20)  NOT NULL,
    coupon_id      BIGINT UNSIGNED NULL,
    discount_left  INT          NOT NULL DEFAULT 0,
    open_key       VARCHAR(80)  NULL,
    source_event   VARCHAR(64)  NOT NULL DEFAULT '',
    ended_on       CHAR(10)     NOT NULL DEFAULT '',
    created_at     DATETIME(3)  NOT NULL,
    updated_at     DATETIME(3)  NOT NULL,
    UNIQUE KEY contracts_open (open_key),
    KEY contracts_due (status, next_due, id),
    KEY contracts_customer (customer_id, id),
    KEY contracts_path (customer_path),
    KEY contracts_subject (subject_kind, subject_id),
    CONSTRAINT contracts_seller_fk FOREIGN KEY (seller_id) REFERENCES tenants (id),
    CONSTRAINT contracts_customer_fk FOREIGN KEY (customer_id) REFERENCES tenants (id),
    CONSTRAINT contracts_product_fk FOREIGN KEY (product_id) REFERENCES products (id),
    CONSTRAINT contracts_coupon_fk FOREIGN KEY (coupon_id) REFERENCES coupons (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE contract_charges (
    id           BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
    contract_id  BIGINT UNSIGNED NOT NULL,
    kind         VARCHAR(20)  NOT NULL,
    description  VARCHAR(500) NOT NULL,
    amount_minor BIGINT       NOT NULL,
    currency     CHAR(3)      NOT NULL,
    period_start CHAR(10)     NOT NULL DEFAULT '',
    period_end   CHAR(10)     NOT NULL DEFAULT '',
    charge_key   VARCHAR(120) NOT NULL,
    invoice_id   BIGINT UNSIGNED NULL,
    created_at   DATETIME(3)  NOT NULL,
    UNIQUE KEY contract_charges_key (charge_key),
    KEY contract_charges_open (contract_id, invoice_id),
    CONSTRAINT contract_charges_contract_fk FOREIGN KEY (contract_id) REFERENCES contracts (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE number_series (
    id         BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
    seller_id  BIGINT UNSIGNED NOT NULL,
    kind       VARCHAR(20)  NOT NULL,
    year       INT          NOT NULL,
    prefix     VARCHAR(20)  NOT NULL,
    next_seq   BIGINT       NOT NULL,
    UNIQUE KEY number_series_key (seller_id, kind, year),
    CONSTRAINT number_series_seller_fk FOREIGN KEY (seller_id) REFERENCES tenants (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE invoices (
    id              BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
    seller_id       BIGINT UNSIGNED NOT NULL,
    customer_id     BIGINT UNSIGNED NOT NULL,
    customer_path   VARCHAR(255) NOT NULL,
    kind            VARCHAR(20)  NOT NULL,
    credits_id      BIGINT UNSIGNED NULL,
    subproject      VARCHAR(40)  NOT NULL DEFAULT '',
    status          VARCHAR(20)  NOT NULL,
    number          VARCHAR(40)  NULL,
    seq             BIGINT       NULL,
    currency        CHAR(3)      NOT NULL,
    language        VARCHAR(5)   NOT NULL,
    issue_date      CHAR(10)     NOT NULL,
    due_date        CHAR(10)     NOT NULL,
    period_start    CHAR(10)     NOT NULL DEFAULT '',
    period_end      CHAR(10)     NOT NULL DEFAULT '',
    net_minor       BIGINT       NOT NULL,
    tax_minor       BIGINT       NOT NULL,
    total_minor     BIGINT       NOT NULL,
    paid_minor      BIGINT       NOT NULL DEFAULT 0,
    credited_minor  BIGINT       NOT NULL DEFAULT 0,
    taxes           TEXT         NOT NULL,
    seller          TEXT         NOT NULL,
    buyer           TEXT         NOT NULL,
    flags           VARCHAR(200) NOT NULL DEFAULT '',
    hold_reason     VARCHAR(200) NOT NULL DEFAULT '',
    reason          VARCHAR(500) NOT NULL DEFAULT '',
    created_by      VARCHAR(100) NOT NULL,
    approved_by     VARCHAR(100) NOT NULL DEFAULT '',
    finalized_at    DATETIME(3)  NULL,
    created_at      DATETIME(3)  NOT NULL,
    updated_at      DATETIME(3)  NOT NULL,
    UNIQUE KEY invoices_number (seller_id, kind, number),
    KEY invoices_customer (customer_id, id),
    KEY invoices_path (customer_path, id),
    KEY invoices_status (status, due_date),
    KEY invoices_credits (credits_id),
    CONSTRAINT invoices_seller_fk FOREIGN KEY (seller_id) REFERENCES tenants (id),
    CONSTRAINT invoices_customer_fk FOREIGN KEY (customer_id) REFERENCES tenants (id),
    CONSTRAINT invoices_credits_fk FOREIGN KEY (credits_id) REFERENCES invoices (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE invoice_lines (
    id            BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
    invoice_id    BIGINT UNSIGNED NOT NULL,
    position      INT          NOT NULL,
    contract_id   BIGINT UNSIGNED NULL,
    credits_line  BIGINT UNSIGNED NULL,
    section       VARCHAR(300) NOT NULL DEFAULT '',
    kind          VARCHAR(20)  NOT NULL,
    description   VARCHAR(500) NOT NULL,
    quantity      VARCHAR(40)  NOT NULL,
    unit_price    VARCHAR(40)  NOT NULL,
    net_minor     BIGINT       NOT NULL,
    tax_category  VARCHAR(2)   NOT NULL,
    tax_rate      VARCHAR(10)  NOT NULL,
    period_start  CHAR(10)     NOT NULL DEFAULT '',
    period_end    CHAR(10)     NOT NULL DEFAULT '',
    billing_key   VARCHAR(80)  NULL,
    created_at    DATETIME(3)  NOT NULL,
    UNIQUE KEY invoice_lines_billing (billing_key),
    KEY invoice_lines_invoice (invoice_id, position),
    KEY invoice_lines_contract (contract_id),
    CONSTRAINT invoice_lines_invoice_fk FOREIGN KEY (invoice_id) REFERENCES invoices (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE vies_checks (
    id          BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
    vat_id      VARCHAR(20)  NOT NULL,
    status      VARCHAR(20)  NOT NULL,
    name        VARCHAR(300) NOT NULL DEFAULT '',
    address     VARCHAR(500) NOT NULL DEFAULT '',
    request_id  VARCHAR(100) NOT NULL DEFAULT '',
    message     VARCHAR(500) NOT NULL DEFAULT '',
    checked_at  DATETIME(3)  NOT NULL,
    KEY vies_checks_vat (vat_id, checked_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- A finalized invoice (finalized_at set) keeps its number, parties, dates,
-- amounts and lines for ever; only its payment state may move. Corrections
-- are credit notes.
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
        OR NEW.taxes <> OLD.taxes OR NEW.seller <> OLD.seller OR NEW.buyer <> OLD.buyer) THEN
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'invoice is finalized: corrections only by credit note';
    END IF;
END
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER invoices_frozen_delete BEFORE DELETE ON invoices FOR EACH ROW
BEGIN
    IF OLD.finalized_at IS NOT NULL THEN
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'invoice is finalized: corrections only by credit note';
    END IF;
END
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER invoice_lines_frozen_update BEFORE UPDATE ON invoice_lines FOR EACH ROW
BEGIN
    IF (SELECT finalized_at FROM invoices WHERE id = OLD.invoice_id) IS NOT NULL THEN
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'invoice is finalized: corrections only by credit note';
    END IF;
END
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER invoice_lines_frozen_delete BEFORE DELETE ON invoice_lines FOR EACH ROW
BEGIN
    IF (SELECT finalized_at FROM invoices WHERE id = OLD.invoice_id) IS NOT NULL THEN
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'invoice is finalized: corrections only by credit note';
    END IF;
END
-- +goose StatementEnd

-- Lines are written with their invoice, in the transaction that finalizes
-- it and with the same timestamp; a line written later is refused.
-- +goose StatementBegin
CREATE TRIGGER invoice_lines_frozen_insert BEFORE INSERT ON invoice_lines FOR EACH ROW
BEGIN
    IF (SELECT finalized_at FROM invoices WHERE id = NEW.invoice_id) < NEW.created_at THEN
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'invoice is finalized: corrections only by credit note';
    END IF;
END
-- +goose StatementEnd
