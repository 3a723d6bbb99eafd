-- +goose Up
-- Mail goes out through a queue: each message is stored once under its
-- key (an invoice's mail is sent once however often its event comes),
-- sent by a worker outside any transaction, retried with backoff, and
-- its delivery log (queued, sent, failed with the server's answer) kept.
CREATE TABLE mail_deliveries (
    id              BIGINT AUTO_INCREMENT PRIMARY KEY,
    idem_key        VARCHAR(190) NOT NULL,
    line            VARCHAR(64)  NOT NULL,
    status          VARCHAR(16)  NOT NULL,
    attempts        INT          NOT NULL DEFAULT 0,
    next_attempt_at DATETIME(3)  NOT NULL,
    locked_by       VARCHAR(100) NULL,
    last_error      VARCHAR(2000) NOT NULL DEFAULT '',
    tenant_id       BIGINT       NOT NULL,
    tenant_path     VARCHAR(255) NOT NULL,
    invoice_id      BIGINT       NULL,
    kind            VARCHAR(32)  NOT NULL,
    to_addr         VARCHAR(254) NOT NULL,
    from_name       VARCHAR(200) NOT NULL DEFAULT '',
    reply_to        VARCHAR(254) NOT NULL DEFAULT '',
    subject         VARCHAR(500) NOT NULL,
    body_text       MEDIUMTEXT   NOT NULL,
    body_html       MEDIUMTEXT   NOT NULL,
    sealed          BOOLEAN      NOT NULL DEFAULT FALSE,
    attach          TEXT         NOT NULL,
    lang            VARCHAR(8)   NOT NULL DEFAULT '',
    message_id      VARCHAR(200) NOT NULL,
    created_at      DATETIME(3)  NOT NULL,
    sent_at         DATETIME(3)  NULL,
    UNIQUE KEY mail_deliveries_once (idem_key),
    KEY mail_deliveries_due (status, next_attempt_at),
    KEY mail_deliveries_line (line, id),
    KEY mail_deliveries_invoice (invoice_id, id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
