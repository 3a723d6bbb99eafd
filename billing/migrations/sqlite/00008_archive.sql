-- +goose Up
-- The archive of issued documents: the files rendered when a document is
-- finalized (the Factur-X PDF, the EN 16931 XML), each with its SHA-256,
-- written once and never changed; and the queue of documents to render.
CREATE TABLE document_files (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    invoice_id   INTEGER  NOT NULL,
    kind         TEXT     NOT NULL,
    file_name    TEXT     NOT NULL,
    content_type TEXT     NOT NULL,
    size         INTEGER  NOT NULL,
    sha256       TEXT     NOT NULL,
    storage      TEXT     NOT NULL,
    body         BLOB     NULL,
    path         TEXT     NOT NULL DEFAULT '',
    created_at   DATETIME NOT NULL
);
CREATE UNIQUE INDEX document_files_once ON document_files (invoice_id, kind);

CREATE TABLE document_jobs (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    invoice_id      INTEGER  NOT NULL,
    line            TEXT     NOT NULL,
    status          TEXT     NOT NULL,
    attempts        INTEGER  NOT NULL DEFAULT 0,
    next_attempt_at DATETIME NOT NULL,
    locked_by       TEXT     NULL,
    last_error      TEXT     NOT NULL DEFAULT '',
    created_at      DATETIME NOT NULL,
    done_at         DATETIME NULL
);
CREATE UNIQUE INDEX document_jobs_once ON document_jobs (invoice_id);
CREATE INDEX document_jobs_due ON document_jobs (status, next_attempt_at);
CREATE INDEX document_jobs_line ON document_jobs (line, id);
