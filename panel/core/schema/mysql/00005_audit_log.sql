-- +goose Up
CREATE TABLE audit_log (
    id               BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
    at               DATETIME(3)  NOT NULL,
    actor_user_id    BIGINT UNSIGNED NULL,
    actor_api_key_id BIGINT UNSIGNED NULL,
    actor_tenant_id  BIGINT UNSIGNED NULL,
    actor_label      VARCHAR(300) NOT NULL,
    tenant_id        BIGINT UNSIGNED NULL,
    tenant_path      VARCHAR(255) NOT NULL,
    action           VARCHAR(100) NOT NULL,
    object_type      VARCHAR(50)  NOT NULL DEFAULT '',
    object_id        VARCHAR(64)  NOT NULL DEFAULT '',
    summary          MEDIUMTEXT   NOT NULL,
    ip               VARCHAR(64)  NOT NULL DEFAULT '',
    KEY audit_log_path (tenant_path, id),
    KEY audit_log_action (action, id),
    KEY audit_log_at (at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- +goose StatementBegin
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log FOR EACH ROW
    SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'audit_log is append-only';
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log FOR EACH ROW
    SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'audit_log is append-only';
-- +goose StatementEnd
