-- Early warnings (三级预警, issue 6): one row per warning, the whole record as JSON in data.
CREATE TABLE IF NOT EXISTS warnings (
    id        INTEGER PRIMARY KEY,
    rule_id   TEXT    NOT NULL,
    key       TEXT    NOT NULL,
    recipient INTEGER NOT NULL,
    status    TEXT    NOT NULL,
    raised_at TEXT    NOT NULL,
    data      TEXT    NOT NULL
);
CREATE INDEX IF NOT EXISTS warnings_recipient ON warnings (recipient, status, id);
CREATE INDEX IF NOT EXISTS warnings_rule_key ON warnings (rule_id, key, id);
-- At most one warning per rule and key that is not yet disposed: scans are idempotent.
CREATE UNIQUE INDEX IF NOT EXISTS warnings_live_key ON warnings (rule_id, key) WHERE status <> 'disposed';
