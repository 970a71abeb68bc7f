-- Routine duties (issue 6): 零报告 filings (append-only: the newest row per unit, frequency and
-- period is the report), reminders about missing ones, 矛盾纠纷排查 campaigns, each unit's
-- return, and the campaigns' history.
CREATE TABLE IF NOT EXISTS nil_reports (
    id        INTEGER PRIMARY KEY,
    unit_id   INTEGER NOT NULL,
    frequency TEXT    NOT NULL,
    period    TEXT    NOT NULL,
    status    TEXT    NOT NULL,
    details   TEXT    NOT NULL,
    filed_by  TEXT    NOT NULL,
    filed_at  TEXT    NOT NULL,
    late      INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS nil_reports_period ON nil_reports (period, unit_id, id);
CREATE INDEX IF NOT EXISTS nil_reports_unit ON nil_reports (unit_id, period, id);

CREATE TABLE IF NOT EXISTS duty_reminders (
    unit_id    INTEGER NOT NULL,
    kind       TEXT    NOT NULL,
    period     TEXT    NOT NULL,
    created_at TEXT    NOT NULL,
    job        TEXT    NOT NULL,
    slot       INTEGER NOT NULL,
    PRIMARY KEY (unit_id, kind, period)
);
CREATE INDEX IF NOT EXISTS duty_reminders_created ON duty_reminders (created_at);

CREATE TABLE IF NOT EXISTS campaigns (
    id         INTEGER PRIMARY KEY,
    version    INTEGER NOT NULL,
    status     TEXT    NOT NULL,
    created_at TEXT    NOT NULL,
    data       TEXT    NOT NULL
);

CREATE TABLE IF NOT EXISTS campaign_returns (
    campaign_id INTEGER NOT NULL REFERENCES campaigns (id),
    unit_id     INTEGER NOT NULL,
    version     INTEGER NOT NULL,
    updated_at  TEXT    NOT NULL,
    data        TEXT    NOT NULL,
    PRIMARY KEY (campaign_id, unit_id)
);

CREATE TABLE IF NOT EXISTS campaign_history (
    id          INTEGER PRIMARY KEY,
    campaign_id INTEGER NOT NULL REFERENCES campaigns (id),
    at          TEXT    NOT NULL,
    actor       TEXT    NOT NULL,
    what        TEXT    NOT NULL
);
CREATE INDEX IF NOT EXISTS campaign_history_campaign ON campaign_history (campaign_id, id);
