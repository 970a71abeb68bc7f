-- Mediation and risk-assessment records (issue 7): committees, mediators, disputes, 稳评
-- assessments, questionnaire responses. Each is a versioned JSON document of a kind with the
-- columns lists filter on; every change adds a row to dossier_history in the same transaction.
CREATE TABLE IF NOT EXISTS dossiers (
    id         INTEGER PRIMARY KEY,
    kind       TEXT    NOT NULL,
    version    INTEGER NOT NULL,
    status     TEXT    NOT NULL,
    org_id     INTEGER,
    case_id    INTEGER,
    parent_id  INTEGER,
    created_at TEXT    NOT NULL,
    updated_at TEXT    NOT NULL,
    data       TEXT    NOT NULL
);
CREATE INDEX IF NOT EXISTS dossiers_kind ON dossiers (kind, id);
CREATE INDEX IF NOT EXISTS dossiers_case ON dossiers (case_id) WHERE case_id IS NOT NULL;
CREATE INDEX IF NOT EXISTS dossiers_parent ON dossiers (parent_id, kind) WHERE parent_id IS NOT NULL;

CREATE TABLE IF NOT EXISTS dossier_history (
    id         INTEGER PRIMARY KEY,
    dossier_id INTEGER NOT NULL REFERENCES dossiers (id),
    at         TEXT    NOT NULL,
    actor      TEXT    NOT NULL,
    what       TEXT    NOT NULL
);
CREATE INDEX IF NOT EXISTS dossier_history_dossier ON dossier_history (dossier_id, id);
