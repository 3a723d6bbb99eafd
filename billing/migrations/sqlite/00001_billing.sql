-- +goose Up
CREATE TABLE billing_profiles (
    tenant_id         INTEGER NOT NULL PRIMARY KEY REFERENCES tenants (id),
    tenant_path       TEXT NOT NULL,
    legal_name        TEXT NOT NULL DEFAULT '',
    address1          TEXT NOT NULL DEFAULT '',
    address2          TEXT NOT NULL DEFAULT '',
    postal_code       TEXT  NOT NULL DEFAULT '',
    city              TEXT NOT NULL DEFAULT '',
    region            TEXT NOT NULL DEFAULT '',
    country           TEXT      NOT NULL DEFAULT '',
    email             TEXT NOT NULL DEFAULT '',
    vat_id            TEXT  NOT NULL DEFAULT '',
    vat_status        TEXT  NOT NULL DEFAULT '',
    vat_checked_at    DATETIME  NULL,
    vat_valid_at      DATETIME  NULL,
    vat_message       TEXT NOT NULL DEFAULT '',
    vat_request_id    TEXT NOT NULL DEFAULT '',
    registration_id   TEXT NOT NULL DEFAULT '',
    currency          TEXT      NOT NULL DEFAULT '',
    language          TEXT   NOT NULL DEFAULT '',
    invoice_grouping  TEXT  NOT NULL DEFAULT '',
    tax_exempt        INTEGER   NOT NULL DEFAULT 0,
    tax_exempt_reason TEXT NOT NULL DEFAULT '',
    timezone          TEXT  NOT NULL DEFAULT '',
    invoice_prefix    TEXT  NOT NULL DEFAULT '',
    credit_prefix     TEXT  NOT NULL DEFAULT '',
    created_at        DATETIME  NOT NULL,
    updated_at        DATETIME  NOT NULL
);
CREATE INDEX billing_profiles_path ON billing_profiles (tenant_path);
CREATE INDEX billing_profiles_vat ON billing_profiles (vat_status, vat_checked_at);

CREATE TABLE products (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    seller_id    INTEGER NOT NULL REFERENCES tenants (id),
    code         TEXT  NOT NULL,
    name         TEXT NOT NULL,
    kind         TEXT  NOT NULL,
    match_code   TEXT  NOT NULL DEFAULT '',
    included     INTEGER          NOT NULL DEFAULT 0,
    trial_days   INTEGER          NOT NULL DEFAULT 0,
    active       INTEGER   NOT NULL DEFAULT 1,
    created_at   DATETIME  NOT NULL,
    updated_at   DATETIME  NOT NULL,
    CONSTRAINT products_kind CHECK (kind IN ('hosting', 'domain', 'subdomain', 'reseller', 'oneoff'))
);
CREATE UNIQUE INDEX products_code ON products (seller_id, code);
CREATE INDEX products_match ON products (seller_id, kind, match_code);

CREATE TABLE prices (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    product_id   INTEGER NOT NULL REFERENCES products (id),
    currency     TEXT      NOT NULL,
    cycle        TEXT  NOT NULL,
    amount_minor INTEGER       NOT NULL,
    setup_minor  INTEGER       NOT NULL DEFAULT 0,
    CONSTRAINT prices_amount CHECK (amount_minor >= 0 AND setup_minor >= 0)
);
CREATE UNIQUE INDEX prices_key ON prices (product_id, currency, cycle);

CREATE TABLE coupons (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    seller_id    INTEGER NOT NULL REFERENCES tenants (id),
    code         TEXT  NOT NULL,
    name         TEXT NOT NULL DEFAULT '',
    kind         TEXT  NOT NULL,
    percent      TEXT  NOT NULL DEFAULT '0',
    amount_minor INTEGER       NOT NULL DEFAULT 0,
    currency     TEXT      NOT NULL DEFAULT '',
    cycles       INTEGER          NOT NULL DEFAULT 0,
    product_ids  TEXT NOT NULL DEFAULT '',
    automatic    INTEGER   NOT NULL DEFAULT 0,
    valid_from   TEXT     NOT NULL DEFAULT '',
    valid_to     TEXT     NOT NULL DEFAULT '',
    active       INTEGER   NOT NULL DEFAULT 1,
    created_at   DATETIME  NOT NULL
);
CREATE UNIQUE INDEX coupons_code ON coupons (seller_id, code);

CREATE TABLE contracts (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    seller_id      INTEGER NOT NULL REFERENCES tenants (id),
    customer_id    INTEGER NOT NULL REFERENCES tenants (id),
    customer_path  TEXT NOT NULL,
    subproject     TEXT  NOT NULL,
    subproject_name TEXT NOT NULL DEFAULT '',
    subject_kind   TEXT  NOT NULL,
    subject_id     INTEGER       NOT NULL,
    subject_name   TEXT NOT NULL DEFAULT '',
    product_id     INTEGER NOT NULL REFERENCES products (id),
    currency       TEXT      NOT NULL,
    cycle          TEXT  NOT NULL,
    unit_minor     INTEGER       NOT NULL,
    setup_minor    INTEGER       NOT NULL DEFAULT 0,
    included       INTEGER   NOT NULL DEFAULT 0,
    anchor_day     INTEGER          NOT NULL,
    start_date     TEXT     NOT NULL,
    next_due       TEXT     NOT NULL,
    status         TEXT  NOT NULL,
    coupon_id      INTEGER NULL REFERENCES coupons (id),
    discount_left  INTEGER          NOT NULL DEFAULT 0,
    open_key       TEXT  NULL,
    source_event   TEXT  NOT NULL DEFAULT '',
    ended_on       TEXT     NOT NULL DEFAULT '',
    created_at     DATETIME  NOT NULL,
    updated_at     DATETIME  NOT NULL
);
CREATE UNIQUE INDEX contracts_open ON contracts (open_key);
CREATE INDEX contracts_due ON contracts (status, next_due, id);
CREATE INDEX contracts_customer ON contracts (customer_id, id);
CREATE INDEX contracts_path ON contracts (customer_path);
CREATE INDEX contracts_subject ON contracts (subject_kind, subject_id);

CREATE TABLE contract_charges (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    contract_id  INTEGER NOT NULL REFERENCES contracts (id),
    kind         TEXT  NOT NULL,
    description  TEXT NOT NULL,
    amount_minor INTEGER       NOT NULL,
    currency     TEXT      NOT NULL,
    period_start TEXT     NOT NULL DEFAULT '',
    period_end   TEXT     NOT NULL DEFAULT '',
    charge_key   TEXT NOT NULL,
    invoice_id   INTEGER NULL,
    created_at   DATETIME  NOT NULL
);
CREATE UNIQUE INDEX contract_charges_key ON contract_charges (charge_key);
CREATE INDEX contract_charges_open ON contract_charges (contract_id, invoice_id);

CREATE TABLE number_series (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    seller_id  INTEGER NOT NULL REFERENCES tenants (id),
    kind       TEXT  NOT NULL,
    year       INTEGER          NOT NULL,
    prefix     TEXT  NOT NULL,
    next_seq   INTEGER       NOT NULL
);
CREATE UNIQUE INDEX number_series_key ON number_series (seller_id, kind, year);

CREATE TABLE invoices (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    seller_id       INTEGER NOT NULL REFERENCES tenants (id),
    customer_id     INTEGER NOT NULL REFERENCES tenants (id),
    customer_path   TEXT NOT NULL,
    kind            TEXT  NOT NULL,
    credits_id      INTEGER NULL REFERENCES invoices (id),
    subproject      TEXT  NOT NULL DEFAULT '',
    status          TEXT  NOT NULL,
    number          TEXT  NULL,
    seq             INTEGER       NULL,
    currency        TEXT      NOT NULL,
    language        TEXT   NOT NULL,
    issue_date      TEXT     NOT NULL,
    due_date        TEXT     NOT NULL,
    period_start    TEXT     NOT NULL DEFAULT '',
    period_end      TEXT     NOT NULL DEFAULT '',
    net_minor       INTEGER       NOT NULL,
    tax_minor       INTEGER       NOT NULL,
    total_minor     INTEGER       NOT NULL,
    paid_minor      INTEGER       NOT NULL DEFAULT 0,
    credited_minor  INTEGER       NOT NULL DEFAULT 0,
    taxes           TEXT         NOT NULL,
    seller          TEXT         NOT NULL,
    buyer           TEXT         NOT NULL,
    flags           TEXT NOT NULL DEFAULT '',
    hold_reason     TEXT NOT NULL DEFAULT '',
    reason          TEXT NOT NULL DEFAULT '',
    created_by      TEXT NOT NULL,
    approved_by     TEXT NOT NULL DEFAULT '',
    finalized_at    DATETIME  NULL,
    created_at      DATETIME  NOT NULL,
    updated_at      DATETIME  NOT NULL
);
CREATE UNIQUE INDEX invoices_number ON invoices (seller_id, kind, number);
CREATE INDEX invoices_customer ON invoices (customer_id, id);
CREATE INDEX invoices_path ON invoices (customer_path, id);
CREATE INDEX invoices_status ON invoices (status, due_date);
CREATE INDEX invoices_credits ON invoices (credits_id);

CREATE TABLE invoice_lines (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    invoice_id    INTEGER NOT NULL REFERENCES invoices (id),
    position      INTEGER          NOT NULL,
    contract_id   INTEGER NULL,
    credits_line  INTEGER NULL,
    section       TEXT NOT NULL DEFAULT '',
    kind          TEXT  NOT NULL,
    description   TEXT NOT NULL,
    quantity      TEXT  NOT NULL,
    unit_price    TEXT  NOT NULL,
    net_minor     INTEGER       NOT NULL,
    tax_category  TEXT   NOT NULL,
    tax_rate      TEXT  NOT NULL,
    period_start  TEXT     NOT NULL DEFAULT '',
    period_end    TEXT     NOT NULL DEFAULT '',
    billing_key   TEXT  NULL,
    created_at    DATETIME  NOT NULL
);
CREATE UNIQUE INDEX invoice_lines_billing ON invoice_lines (billing_key);
CREATE INDEX invoice_lines_invoice ON invoice_lines (invoice_id, position);
CREATE INDEX invoice_lines_contract ON invoice_lines (contract_id);

CREATE TABLE vies_checks (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    vat_id      TEXT  NOT NULL,
    status      TEXT  NOT NULL,
    name        TEXT NOT NULL DEFAULT '',
    address     TEXT NOT NULL DEFAULT '',
    request_id  TEXT NOT NULL DEFAULT '',
    message     TEXT NOT NULL DEFAULT '',
    checked_at  DATETIME  NOT NULL
);
CREATE INDEX vies_checks_vat ON vies_checks (vat_id, checked_at);


-- A finalized invoice (finalized_at set) keeps its number, parties, dates,
-- amounts and lines for ever; only its payment state may move. Corrections
-- are credit notes.
-- +goose StatementBegin
CREATE TRIGGER invoices_frozen BEFORE UPDATE ON invoices
WHEN OLD.finalized_at IS NOT NULL AND (
    NEW.number IS NOT OLD.number OR NEW.seq IS NOT OLD.seq OR NEW.finalized_at IS NOT OLD.finalized_at
    OR NEW.kind IS NOT OLD.kind OR NEW.seller_id IS NOT OLD.seller_id OR NEW.customer_id IS NOT OLD.customer_id
    OR NEW.credits_id IS NOT OLD.credits_id OR NEW.currency IS NOT OLD.currency OR NEW.language IS NOT OLD.language
    OR NEW.issue_date IS NOT OLD.issue_date OR NEW.due_date IS NOT OLD.due_date
    OR NEW.period_start IS NOT OLD.period_start OR NEW.period_end IS NOT OLD.period_end
    OR NEW.net_minor IS NOT OLD.net_minor OR NEW.tax_minor IS NOT OLD.tax_minor OR NEW.total_minor IS NOT OLD.total_minor
    OR NEW.taxes IS NOT OLD.taxes OR NEW.seller IS NOT OLD.seller OR NEW.buyer IS NOT OLD.buyer)
BEGIN
    SELECT RAISE(ABORT, 'invoice is finalized: corrections only by credit note');
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER invoices_frozen_delete BEFORE DELETE ON invoices
WHEN OLD.finalized_at IS NOT NULL
BEGIN
    SELECT RAISE(ABORT, 'invoice is finalized: corrections only by credit note');
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER invoice_lines_frozen_update BEFORE UPDATE ON invoice_lines
WHEN (SELECT finalized_at FROM invoices WHERE id = OLD.invoice_id) IS NOT NULL
BEGIN
    SELECT RAISE(ABORT, 'invoice is finalized: corrections only by credit note');
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER invoice_lines_frozen_delete BEFORE DELETE ON invoice_lines
WHEN (SELECT finalized_at FROM invoices WHERE id = OLD.invoice_id) IS NOT NULL
BEGIN
    SELECT RAISE(ABORT, 'invoice is finalized: corrections only by credit note');
END;
-- +goose StatementEnd

-- Lines are written with their invoice, in the transaction that finalizes
-- it and with the same timestamp; a line written later is refused.
-- +goose StatementBegin
CREATE TRIGGER invoice_lines_frozen_insert BEFORE INSERT ON invoice_lines
WHEN (SELECT finalized_at FROM invoices WHERE id = NEW.invoice_id) < NEW.created_at
BEGIN
    SELECT RAISE(ABORT, 'invoice is finalized: corrections only by credit note');
END;
-- +goose StatementEnd
