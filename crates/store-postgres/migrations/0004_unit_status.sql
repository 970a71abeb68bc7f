-- A unit's workbench counts and lists its cases by status and deadline: covered by one index.
CREATE INDEX IF NOT EXISTS cases_unit_status_due ON cases (unit_id, status, due_at);
