-- +goose Up
-- A running daily run renews heartbeat_at; the next run marks a run
-- abandoned whose process is gone or whose heartbeat stopped. SQLite
-- cannot change a CHECK constraint in place: the table is rebuilt.
CREATE TABLE automation_runs_new (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    run_date     TEXT NOT NULL,
    triggered_by TEXT NOT NULL CHECK (triggered_by IN ('schedule', 'cli')),
    node         TEXT NOT NULL,
    started_at   DATETIME NOT NULL,
    finished_at  DATETIME,
    status       TEXT NOT NULL CHECK (status IN ('running', 'ok', 'failed', 'abandoned')),
    summary      TEXT NOT NULL DEFAULT '',
    heartbeat_at DATETIME
);
INSERT INTO automation_runs_new (id, run_date, triggered_by, node, started_at, finished_at, status, summary)
SELECT id, run_date, triggered_by, node, started_at, finished_at, status, summary FROM automation_runs;
DROP TABLE automation_runs;
ALTER TABLE automation_runs_new RENAME TO automation_runs;
CREATE INDEX automation_runs_date ON automation_runs (run_date, status);
