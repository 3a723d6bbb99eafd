-- +goose Up
CREATE TABLE outbox_events (
    id              BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
    event_id        VARCHAR(36)  NOT NULL,
    name            VARCHAR(100) NOT NULL,
    aggregate       VARCHAR(150) NOT NULL,
    payload         MEDIUMTEXT   NOT NULL,
    actor           VARCHAR(200) NOT NULL DEFAULT '',
    occurred_at     DATETIME(3)  NOT NULL,
    status          VARCHAR(10)  NOT NULL DEFAULT 'pending',
    attempts        INT          NOT NULL DEFAULT 0,
    next_attempt_at DATETIME(3)  NOT NULL,
    locked_by       VARCHAR(64)  NULL,
    last_error      TEXT         NOT NULL,
    created_at      DATETIME(3)  NOT NULL,
    done_at         DATETIME(3)  NULL,
    UNIQUE KEY outbox_events_event_id (event_id),
    KEY outbox_events_claim (status, next_attempt_at, id),
    KEY outbox_events_aggregate (aggregate, status, id),
    CONSTRAINT outbox_events_status CHECK (status IN ('pending', 'done', 'parked'))
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE outbox_handled (
    handler    VARCHAR(100) NOT NULL,
    event_id   VARCHAR(36)  NOT NULL,
    handled_at DATETIME(3)  NOT NULL,
    PRIMARY KEY (handler, event_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
