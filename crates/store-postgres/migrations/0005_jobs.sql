-- Background jobs run exactly once across instances (issue 8): a fencing epoch on the lease,
-- one row per run slot, the reminders the deadline scan records, and rate-limit windows
-- shared by all instances.
ALTER TABLE leases ADD COLUMN epoch BIGINT NOT NULL DEFAULT 0;

CREATE TABLE job_runs (
    job          TEXT NOT NULL,
    slot         BIGINT NOT NULL,
    slot_at      TIMESTAMPTZ NOT NULL,
    holder       TEXT NOT NULL,
    epoch        BIGINT NOT NULL,
    attempts     INT NOT NULL DEFAULT 1,
    started_at   TIMESTAMPTZ NOT NULL,
    finished_at  TIMESTAMPTZ,
    outcome      TEXT,
    PRIMARY KEY (job, slot)
);

CREATE TABLE reminders (
    case_id     BIGINT NOT NULL REFERENCES cases (id),
    kind        TEXT NOT NULL,
    due_at      TIMESTAMPTZ NOT NULL,
    unit_id     BIGINT,
    created_at  TIMESTAMPTZ NOT NULL,
    job         TEXT NOT NULL,
    slot        BIGINT NOT NULL,
    PRIMARY KEY (case_id, kind, due_at)
);
CREATE INDEX reminders_created ON reminders (created_at);

CREATE TABLE rate_windows (
    key           TEXT NOT NULL,
    window_start  TIMESTAMPTZ NOT NULL,
    hits          BIGINT NOT NULL,
    PRIMARY KEY (key, window_start)
);
CREATE INDEX rate_windows_start ON rate_windows (window_start);
