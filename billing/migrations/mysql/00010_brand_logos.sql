-- +goose Up
-- Sellers' logos as fetched from their brand's logo address, kept by
-- SHA-256 so a document's PDF names the very logo it was made with.
CREATE TABLE brand_logos (
    id           BIGINT AUTO_INCREMENT PRIMARY KEY,
    tenant_id    BIGINT       NOT NULL,
    url          VARCHAR(500) NOT NULL,
    sha256       CHAR(64)     NOT NULL,
    body         MEDIUMBLOB   NOT NULL,
    fetched_at   DATETIME(3)  NOT NULL,
    UNIQUE KEY brand_logos_once (tenant_id, sha256),
    KEY brand_logos_url (tenant_id, url(190), id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
ALTER TABLE document_files ADD COLUMN logo_sha256 CHAR(64) NOT NULL DEFAULT '';
