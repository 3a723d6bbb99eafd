-- +goose Up
-- Mail goes out through a queue: each message is stored once under its
-- key (an invoice's mail is sent once however often its event comes),
-- sent by a worker outside any transaction, retried with backoff, and
-- its delivery log (queued, sent, failed with the server's answer) kept.
CREATE TABLE mail_deliveries (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    idem_key        TEXT     NOT NULL,
    line            TEXT     NOT NULL,
    status          TEXT     NOT NULL,
    attempts        INTEGER  NOT NULL DEFAULT 0,
    next_attempt_at DATETIME NOT NULL,
    locked_by       TEXT     NULL,
    last_error      TEXT     NOT NULL DEFAULT '',
    tenant_id       INTEGER  NOT NULL,
    tenant_path     TEXT     NOT NULL,
    invoice_id      INTEGER  NULL,
    kind            TEXT     NOT NULL,
    to_addr         TEXT     NOT NULL,
    from_name       TEXT     NOT NULL DEFAULT '',
    reply_to        TEXT     NOT NULL DEFAULT '',
    subject         TEXT     NOT NULL,
    body_text       TEXT     NOT NULL,
    body_html       TEXT     NOT NULL DEFAULT '',
    sealed          BOOLEAN  NOT NULL DEFAULT FALSE,
    attach          TEXT     NOT NULL DEFAULT '',
    lang            TEXT     NOT NULL DEFAULT '',
    message_id      TEXT     NOT NULL,
    created_at      DATETIME NOT NULL,
    sent_at         DATETIME NULL
);
CREATE UNIQUE INDEX mail_deliveries_once ON mail_deliveries (idem_key);
CREATE INDEX mail_deliveries_due ON mail_deliveries (status, next_attempt_at);
CREATE INDEX mail_deliveries_line ON mail_deliveries (line, id);
CREATE INDEX mail_deliveries_invoice ON mail_deliveries (invoice_id, id);
