-- +goose Up
-- A running daily run renews heartbeat_at; the next run marks a run
-- abandoned whose process is gone or whose heartbeat stopped.
ALTER TABLE automation_runs
    ADD COLUMN heartbeat_at DATETIME(3) NULL,
    DROP CONSTRAINT automation_runs_status,
    ADD CONSTRAINT automation_runs_status CHECK (status IN ('running', 'ok', 'failed', 'abandoned'));
