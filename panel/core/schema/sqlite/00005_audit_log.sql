-- +goose Up
CREATE TABLE audit_log (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    at               DATETIME NOT NULL,
    actor_user_id    INTEGER NULL,
    actor_api_key_id INTEGER NULL,
    actor_tenant_id  INTEGER NULL,
    actor_label      TEXT NOT NULL,
    tenant_id        INTEGER NULL,
    tenant_path      TEXT NOT NULL,
    action           TEXT NOT NULL,
    object_type      TEXT NOT NULL DEFAULT '',
    object_id        TEXT NOT NULL DEFAULT '',
    summary          TEXT NOT NULL,
    ip               TEXT NOT NULL DEFAULT ''
);
CREATE INDEX audit_log_path ON audit_log (tenant_path, id);
CREATE INDEX audit_log_action ON audit_log (action, id);
CREATE INDEX audit_log_at ON audit_log (at);

-- +goose StatementBegin
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;
-- +goose StatementEnd
