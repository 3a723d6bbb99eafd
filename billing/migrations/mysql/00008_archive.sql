-- +goose Up
-- The archive of issued documents: the files rendered when a document is
-- finalized (the Factur-X PDF, the EN 16931 XML), each with its SHA-256,
-- written once and never changed; and the queue of documents to render.
CREATE TABLE document_files (
    id           BIGINT AUTO_INCREMENT PRIMARY KEY,
    invoice_id   BIGINT       NOT NULL,
    kind         VARCHAR(16)  NOT NULL,
    file_name    VARCHAR(120) NOT NULL,
    content_type VARCHAR(60)  NOT NULL,
    size         BIGINT       NOT NULL,
    sha256       CHAR(64)     NOT NULL,
    storage      VARCHAR(8)   NOT NULL,
    body         LONGBLOB     NULL,
    path         VARCHAR(500) NOT NULL DEFAULT '',
    created_at   DATETIME(3)  NOT NULL,
    UNIQUE KEY document_files_once (invoice_id, kind)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE document_jobs (
    id              BIGINT AUTO_INCREMENT PRIMARY KEY,
    invoice_id      BIGINT       NOT NULL,
    line            VARCHAR(40)  NOT NULL,
    status          VARCHAR(16)  NOT NULL,
    attempts        INT          NOT NULL DEFAULT 0,
    next_attempt_at DATETIME(3)  NOT NULL,
    locked_by       VARCHAR(100) NULL,
    last_error      TEXT         NOT NULL,
    created_at      DATETIME(3)  NOT NULL,
    done_at         DATETIME(3)  NULL,
    UNIQUE KEY document_jobs_once (invoice_id),
    KEY document_jobs_due (status, next_attempt_at),
    KEY document_jobs_line (line, id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
