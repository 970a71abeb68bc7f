#!/usr/bin/env bash
# Loads case facts exported by `redress bench dashboard` (its --csv file) into a PostgreSQL
# database that redress has migrated, replacing the facts there, and rebuilds the rollups the
# way the migrations' backfills do (set-based), instead of row by row through the triggers —
# for the 10-million-case dashboard benchmark, where the triggers would take over an hour on a
# shared 2-core machine. The rollups come out the same as the triggers keep them (the
# conformance suite checks the triggers against these GROUP BYs).
# Usage: bench/load_facts_pg.sh FACTS.csv postgres://postgres@127.0.0.1:5432/dash10m
set -euo pipefail
csv=$1
url=$2
psql -v ON_ERROR_STOP=1 -q "$url" <<SQL
\timing on
BEGIN;
ALTER TABLE case_facts DISABLE TRIGGER USER;
TRUNCATE case_facts, case_rollup, case_rollup_dim;
\copy case_facts (case_id, month, category, status, unit_id, town_id, channel, demo, timed, on_time, rated, satisfied, handling_days, due_at) FROM '$csv' WITH (FORMAT csv, HEADER true)
INSERT INTO case_rollup
SELECT month, category, status, unit_id, town_id, channel, demo, COUNT(*), SUM(timed), SUM(on_time), SUM(rated),
       SUM(satisfied), COUNT(handling_days), COALESCE(SUM(handling_days), 0)
FROM case_facts GROUP BY month, category, status, unit_id, town_id, channel, demo;
COMMIT;
SQL
# The per-dimension rows: the backfill parts of migrations 0008 and 0013, from case_rollup.
for m in 0008_rollup_dims 0013_rollup_scopes; do
    sed -n '/^INSERT INTO case_rollup_dim/,/;$/p' "$(dirname "$0")/../crates/store-postgres/migrations/$m.sql"
done | psql -v ON_ERROR_STOP=1 -q "$url"
psql -v ON_ERROR_STOP=1 -q "$url" -c "ALTER TABLE case_facts ENABLE TRIGGER USER" -c "VACUUM ANALYZE"
psql -At "$url" -c "SELECT (SELECT COUNT(*) FROM case_facts), (SELECT SUM(cases) FROM case_rollup), (SELECT COUNT(*) FROM case_rollup_dim)"
