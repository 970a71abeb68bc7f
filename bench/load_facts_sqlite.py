"""Loads case facts exported by `redress bench dashboard` (or drawn by bench/gen_facts.py) into a
SQLite database that redress has migrated, replacing the facts there, and rebuilds the rollups
set-based as the migrations' backfills do, with the triggers set aside meanwhile and put back
after — for the 10-million-case dashboard benchmark. The counterpart of bench/load_facts_pg.sh.
Usage: python3 bench/load_facts_sqlite.py FACTS.csv DATABASE.db
"""
import csv
import os
import re
import sqlite3
import sys
import time

path, db = sys.argv[1], sys.argv[2]
migrations = os.path.join(os.path.dirname(__file__), "..", "crates", "store-sqlite", "migrations")
con = sqlite3.connect(db, isolation_level=None)
con.execute("PRAGMA journal_mode = WAL")
t = time.perf_counter()
con.execute("BEGIN")
triggers = con.execute("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'case_facts'").fetchall()
for name, _ in triggers:
    con.execute(f"DROP TRIGGER {name}")
for table in ("case_facts", "case_rollup", "case_rollup_dim"):
    con.execute(f"DELETE FROM {table}")
cols = "case_id, month, category, status, unit_id, town_id, channel, demo, timed, on_time, rated, satisfied, handling_days, due_at"
with open(path, newline="") as f:
    rows = csv.reader(f)
    next(rows)
    con.executemany(f"INSERT INTO case_facts ({cols}) VALUES ({','.join('?' * 14)})",
                    ([int(r[0]), int(r[1]), r[2], r[3], int(r[4]), int(r[5]), r[6]] + [int(x) for x in r[7:12]]
                     + [int(r[12]) if r[12] else None, r[13] or None] for r in rows))
loaded = time.perf_counter() - t
con.execute("""INSERT INTO case_rollup
SELECT month, category, status, unit_id, town_id, channel, demo, COUNT(*), SUM(timed), SUM(on_time), SUM(rated),
       SUM(satisfied), COUNT(handling_days), COALESCE(SUM(handling_days), 0)
FROM case_facts GROUP BY month, category, status, unit_id, town_id, channel, demo""")
for m in ("0008_rollup_dims.sql", "0013_rollup_scopes.sql"):
    sql = open(os.path.join(migrations, m)).read()
    for stmt in re.findall(r"^INSERT INTO case_rollup_dim .*?;$", sql, re.S | re.M):
        con.execute(stmt)
for _, sql in triggers:
    con.execute(sql)
con.execute("COMMIT")
n, cases, dims = con.execute("SELECT (SELECT COUNT(*) FROM case_facts), (SELECT SUM(cases) FROM case_rollup), (SELECT COUNT(*) FROM case_rollup_dim)").fetchone()
print(f"{n} facts loaded in {loaded:.1f} s, rollups rebuilt, {time.perf_counter() - t:.1f} s in all; rollup cases {cases}, per-dimension rows {dims}; triggers put back: {len(triggers)}")
