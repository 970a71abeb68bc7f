"""DuckDB on the dashboard's data, for `redress bench dashboard`.

Loads the case facts the run exported (CSV) into an in-memory DuckDB table and times the
dashboard's two questions over the raw rows: the sums grouped by month, category, status,
unit, town and channel for a month range, and the overdue count by category, unit, town and
channel; and the same sums within one town and within one unit's subtree over twelve months (the
filtered views). Prints one JSON object.
Usage: duckdb_dashboard.py FACTS.csv MONTH_FROM MONTH_TO NOW_ISO RUNS [MONTH_FROM_12 TOWN_ID UNIT_IDS]
"""
import json
import sys
import time

import duckdb

path, month_from, month_to, now, runs = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], int(sys.argv[5])
filtered = len(sys.argv) > 8
if filtered:
    month_12, town, units = int(sys.argv[6]), int(sys.argv[7]), sys.argv[8]
con = duckdb.connect()
t = time.perf_counter()
con.execute(f"CREATE TABLE case_facts AS SELECT * FROM read_csv('{path}', header = true, auto_detect = true)")
load_s = time.perf_counter() - t
rows = con.execute("SELECT count(*) FROM case_facts").fetchone()[0]

GROUPS = f"""SELECT month, category, status, unit_id, town_id, channel, count(*), sum(timed), sum(on_time), sum(rated),
  sum(satisfied), count(handling_days), sum(handling_days)
FROM case_facts WHERE month BETWEEN {month_from} AND {month_to}
GROUP BY month, category, status, unit_id, town_id, channel"""
# The same sums one dimension at a time (what the county's unfiltered dashboard reads).
DIMS = [f"""SELECT month, status, {d}, count(*), sum(timed), sum(on_time), sum(rated), sum(satisfied), count(handling_days),
  sum(handling_days) FROM case_facts WHERE month BETWEEN {month_from} AND {month_to} GROUP BY month, status, {d}"""
        for d in ("unit_id", "town_id", "category", "channel")]
# The guide's reference query: category, status and month.
SIMPLE = f"""SELECT category, status, month, count(*) FROM case_facts GROUP BY category, status, month"""
OVERDUE = f"""SELECT category, unit_id, town_id, channel, count(*) FROM case_facts
WHERE due_at IS NOT NULL AND due_at < TIMESTAMPTZ '{now}' GROUP BY category, unit_id, town_id, channel"""


# A filtered view: the four per-dimension sums and the overdue count within one town or unit.
def view(where):
    dims = [f"""SELECT month, status, {d}, count(*), sum(timed), sum(on_time), sum(rated), sum(satisfied),
  count(handling_days), sum(handling_days) FROM case_facts WHERE month BETWEEN {month_12} AND {month_to} AND {where}
  GROUP BY month, status, {d}""" for d in ("unit_id", "town_id", "category", "channel")]
    return dims + [f"""SELECT category, unit_id, town_id, channel, count(*) FROM case_facts
WHERE due_at IS NOT NULL AND due_at < TIMESTAMPTZ '{now}' AND {where} GROUP BY category, unit_id, town_id, channel"""]


def timed(sql):
    out = []
    n = 0
    sqls = sql if isinstance(sql, list) else [sql]
    for _ in range(runs):
        t = time.perf_counter()
        n = sum(len(con.execute(q).fetchall()) for q in sqls)
        out.append((time.perf_counter() - t) * 1000)
    out.sort()
    return {"p50_ms": out[len(out) // 2], "min_ms": out[0], "max_ms": out[-1], "groups": n}


print(json.dumps({
    "duckdb": duckdb.__version__,
    "rows": rows,
    "load_s": load_s,
    "threads": con.execute("SELECT current_setting('threads')").fetchone()[0],
    "groups": timed(GROUPS),
    "overdue": timed(OVERDUE),
    "dims": timed(DIMS),
    "simple": timed(SIMPLE),
    **({"town": timed(view(f"town_id = {town}")), "unit": timed(view(f"unit_id IN ({units})"))} if filtered else {}),
}))
