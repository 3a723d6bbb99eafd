-- +goose Up
-- Sellers' logos as fetched from their brand's logo address, kept by
-- SHA-256 so a document's PDF names the very logo it was made with.
CREATE TABLE brand_logos (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id    INTEGER  NOT NULL,
    url          TEXT     NOT NULL,
    sha256       TEXT     NOT NULL,
    body         BLOB     NOT NULL,
    fetched_at   DATETIME NOT NULL
);
CREATE UNIQUE INDEX brand_logos_once ON brand_logos (tenant_id, sha256);
CREATE INDEX brand_logos_url ON brand_logos (tenant_id, url, id);
ALTER TABLE document_files ADD COLUMN logo_sha256 TEXT NOT NULL DEFAULT '';
