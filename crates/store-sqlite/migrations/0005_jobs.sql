-- Background jobs run exactly once across instances (issue 8): a fencing epoch on the lease,
-- one row per run slot, the reminders the deadline scan records, and rate-limit windows
-- shared by all instances.
ALTER TABLE leases ADD COLUMN epoch INTEGER NOT NULL DEFAULT 0;

CREATE TABLE job_runs (
    job          TEXT NOT NULL,
    slot         INTEGER NOT NULL,
    slot_at      TEXT NOT NULL,
    holder       TEXT NOT NULL,
    epoch        INTEGER NOT NULL,
    attempts     INTEGER NOT NULL DEFAULT 1,
    started_at   TEXT NOT NULL,
    finished_at  TEXT,
    outcome      TEXT,
    PRIMARY KEY (job, slot)
);

CREATE TABLE reminders (
    case_id     INTEGER NOT NULL REFERENCES cases (id),
    kind        TEXT NOT NULL,
    due_at      TEXT NOT NULL,
    unit_id     INTEGER,
    created_at  TEXT NOT NULL,
    job         TEXT NOT NULL,
    slot        INTEGER NOT NULL,
    PRIMARY KEY (case_id, kind, due_at)
);
CREATE INDEX reminders_created ON reminders (created_at);

CREATE TABLE rate_windows (
    key           TEXT NOT NULL,
    window_start  TEXT NOT NULL,
    hits          INTEGER NOT NULL,
    PRIMARY KEY (key, window_start)
);
CREATE INDEX rate_windows_start ON rate_windows (window_start);
