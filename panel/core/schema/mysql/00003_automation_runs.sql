-- +goose Up
CREATE TABLE automation_runs (
    id          BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
    run_date    CHAR(10)    NOT NULL,
    triggered_by VARCHAR(10) NOT NULL,
    node        VARCHAR(64) NOT NULL,
    started_at  DATETIME(3) NOT NULL,
    finished_at DATETIME(3) NULL,
    status      VARCHAR(10) NOT NULL,
    summary     MEDIUMTEXT  NOT NULL,
    KEY automation_runs_date (run_date, status),
    CONSTRAINT automation_runs_trigger CHECK (triggered_by IN ('schedule', 'cli')),
    CONSTRAINT automation_runs_status CHECK (status IN ('running', 'ok', 'failed'))
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
