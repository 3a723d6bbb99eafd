-- +goose Up
CREATE TABLE automation_runs (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    run_date    TEXT NOT NULL,
    triggered_by TEXT NOT NULL CHECK (triggered_by IN ('schedule', 'cli')),
    node        TEXT NOT NULL,
    started_at  DATETIME NOT NULL,
    finished_at DATETIME,
    status      TEXT NOT NULL CHECK (status IN ('running', 'ok', 'failed')),
    summary     TEXT NOT NULL DEFAULT ''
);
CREATE INDEX automation_runs_date ON automation_runs (run_date, status);
