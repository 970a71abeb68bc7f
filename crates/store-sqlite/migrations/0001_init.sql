-- redress schema, version 1.
-- Timestamps are TEXT in UTC with exactly six fractional digits ("2024-03-01T08:00:00.000000Z"),
-- so they sort as text and round-trip to the microsecond.

CREATE TABLE cases (
    id            INTEGER PRIMARY KEY,
    tracking_code TEXT    NOT NULL UNIQUE,
    version       INTEGER NOT NULL,
    status        TEXT    NOT NULL,
    channel       TEXT    NOT NULL,
    matter_type   TEXT    NOT NULL,
    category      TEXT,
    subject       TEXT    NOT NULL,
    unit_id       INTEGER,
    intake_org_id INTEGER NOT NULL,
    registered_at TEXT    NOT NULL,
    updated_at    TEXT    NOT NULL,
    due_at        TEXT,
    demo          INTEGER NOT NULL DEFAULT 0,
    -- serde_json of the whole Case: the columns above are copies for filtering and sorting.
    data          TEXT    NOT NULL
);
CREATE INDEX cases_status_due ON cases (status, due_at);
CREATE INDEX cases_unit_due ON cases (unit_id, due_at);
CREATE INDEX cases_registered ON cases (registered_at);
CREATE INDEX cases_updated ON cases (updated_at);
CREATE INDEX cases_due ON cases (due_at);

-- Organisations that may see a case (Derived.orgs), rewritten on every write of the case.
CREATE TABLE case_orgs (
    case_id INTEGER NOT NULL REFERENCES cases (id),
    org_id  INTEGER NOT NULL,
    PRIMARY KEY (org_id, case_id)
) WITHOUT ROWID;
CREATE INDEX case_orgs_case ON case_orgs (case_id, org_id);

-- The hash-chained event log. seq is global and contiguous from 1.
CREATE TABLE events (
    seq          INTEGER PRIMARY KEY,
    case_id      INTEGER NOT NULL REFERENCES cases (id),
    case_version INTEGER NOT NULL,
    at           TEXT    NOT NULL,
    kind         TEXT    NOT NULL,
    payload      TEXT    NOT NULL,
    prev_hash    TEXT    NOT NULL,
    hash         TEXT    NOT NULL,
    UNIQUE (case_id, case_version)
);

CREATE TABLE chain_head (
    id   INTEGER PRIMARY KEY CHECK (id = 1),
    seq  INTEGER NOT NULL,
    hash TEXT    NOT NULL
);
INSERT INTO chain_head (id, seq, hash)
VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');

-- Kept outside the log so it can be purged without breaking the chain.
CREATE TABLE personal_data (
    case_id INTEGER PRIMARY KEY REFERENCES cases (id),
    data    TEXT NOT NULL
);

-- Who looked at personal data. No foreign keys: the audit trail must never be refused.
CREATE TABLE pii_access (
    id       INTEGER PRIMARY KEY,
    at       TEXT    NOT NULL,
    user_id  INTEGER NOT NULL,
    username TEXT    NOT NULL,
    case_id  INTEGER NOT NULL,
    fields   TEXT    NOT NULL,
    purpose  TEXT    NOT NULL
);
CREATE INDEX pii_access_case ON pii_access (case_id, id);

CREATE TABLE orgs (
    id            INTEGER PRIMARY KEY,
    parent_id     INTEGER,
    name          TEXT NOT NULL,
    kind          TEXT NOT NULL,
    division_code TEXT
);

CREATE TABLE users (
    id            INTEGER PRIMARY KEY,
    username      TEXT    NOT NULL UNIQUE,
    display_name  TEXT    NOT NULL,
    org_id        INTEGER NOT NULL,
    roles         TEXT    NOT NULL,
    password_hash TEXT    NOT NULL,
    disabled      INTEGER NOT NULL DEFAULT 0,
    created_at    TEXT    NOT NULL
);

CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES users (id),
    created_at TEXT    NOT NULL,
    expires_at TEXT    NOT NULL,
    csrf_token TEXT    NOT NULL
);
CREATE INDEX sessions_expires ON sessions (expires_at);

CREATE TABLE api_tokens (
    token_hash TEXT PRIMARY KEY,
    name       TEXT    NOT NULL,
    user_id    INTEGER REFERENCES users (id),
    scope      TEXT    NOT NULL,
    created_at TEXT    NOT NULL,
    revoked    INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE blobs (
    sha256 TEXT PRIMARY KEY,
    mime   TEXT NOT NULL,
    bytes  BLOB NOT NULL
);

CREATE TABLE leases (
    job        TEXT PRIMARY KEY,
    holder     TEXT NOT NULL,
    expires_at TEXT NOT NULL
);
