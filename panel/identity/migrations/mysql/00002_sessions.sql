-- +goose Up
CREATE TABLE sessions (
    id           CHAR(64)        NOT NULL PRIMARY KEY,
    user_id      BIGINT UNSIGNED NOT NULL,
    mfa_pending  BOOLEAN         NOT NULL,
    created_at   DATETIME(3)     NOT NULL,
    last_seen_at DATETIME(3)     NOT NULL,
    expires_at   DATETIME(3)     NOT NULL,
    ip           VARCHAR(64)     NOT NULL DEFAULT '',
    user_agent   VARCHAR(300)    NOT NULL DEFAULT '',
    KEY sessions_user (user_id),
    KEY sessions_expires (expires_at),
    CONSTRAINT sessions_user_fk FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE login_failures (
    id     BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
    bucket VARCHAR(300) NOT NULL,
    at     DATETIME(3)  NOT NULL,
    KEY login_failures_bucket (bucket, at),
    KEY login_failures_at (at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
