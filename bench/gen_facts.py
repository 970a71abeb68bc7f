"""Synthetic case facts for the 10-million-case dashboard benchmark, drawn in DuckDB.

Draws the same distribution as `redress bench dashboard --synthetic-facts` (crates/cli/src/bench/
dashboard.rs, `synthesize`: three years of registration days, open cases among the recent ones,
statuses, channels by their usual shares, categories, units and towns uniform) but in one SQL
statement instead of row by row through the triggers, and appends the rows to the facts the run
exported (FACTS.csv, whose categories, units and towns it reuses). Ids continue after the largest.
Usage: gen_facts.py FACTS.csv EXTRA OUT.csv NOW_ISO
"""
import sys
import time

import duckdb

base, extra, out, now = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
con = duckdb.connect()
con.execute(f"CREATE TABLE base AS SELECT * FROM read_csv('{base}', header = true, auto_detect = true, all_varchar = true)")
cats = [r[0] for r in con.execute("SELECT DISTINCT category FROM base WHERE category <> '' ORDER BY 1").fetchall()]
units = [r[0] for r in con.execute("SELECT DISTINCT unit_id FROM base WHERE unit_id <> '0' ORDER BY 1").fetchall()]
towns = [r[0] for r in con.execute("SELECT DISTINCT town_id FROM base ORDER BY 1").fetchall()]
first = con.execute("SELECT MAX(CAST(case_id AS BIGINT)) FROM base").fetchone()[0] + 1
lst = lambda xs: "[" + ",".join(f"'{x}'" for x in xs) + "]"
t = time.perf_counter()
con.execute("SELECT setseed(0.6)")
con.execute(f"""
CREATE TABLE drawn AS
WITH d AS (
  SELECT {first} + i AS case_id,
         CAST(floor(random() * 1095) AS INT) AS age,
         random() AS r_open, floor(random() * 5)::INT AS r_open_status,
         least(floor(random() * 5)::INT, floor(random() * 5)::INT) AS r_closed_status,
         floor(random() * 100)::INT AS r_channel, random() AS r_rated, random() AS r_on_time, random() AS r_satisfied,
         3 + floor(random() * 72)::INT AS days, -40 + floor(random() * 70)::INT AS due_days,
         {lst(cats)}[1 + floor(random() * {len(cats)})::INT] AS category,
         {lst(units)}[1 + floor(random() * {len(units)})::INT] AS unit,
         {lst(towns)}[1 + floor(random() * {len(towns)})::INT] AS town
  FROM range({extra}) t(i)
), o AS (
  SELECT *, (CAST(TIMESTAMPTZ '{now}' AT TIME ZONE 'Asia/Shanghai' AS DATE) - age) AS day,
         age < 90 AND r_open < 0.3 + 0.6 * (1.0 - age / 90.0) AS open FROM d
), s AS (
  SELECT *, CASE WHEN open THEN ['registered','accepted','routed','in_progress','replied'][1 + r_open_status]
                 ELSE ['closed','archived','followed_up','not_accepted','withdrawn'][1 + r_closed_status] END AS status
  FROM o
), c AS (
  SELECT *, status IN ('replied','followed_up','closed','archived') AS concluded,
         CASE WHEN r_channel < 45 THEN 'hotline_12345' WHEN r_channel < 65 THEN 'online' WHEN r_channel < 75 THEN 'phone'
              WHEN r_channel < 85 THEN 'visit' WHEN r_channel < 93 THEN 'letter' WHEN r_channel < 98 THEN 'grid'
              ELSE 'higher_transfer' END AS channel
  FROM s
)
SELECT CAST(case_id AS VARCHAR) AS case_id, CAST(year(day) * 100 + month(day) AS VARCHAR) AS month, category, status,
       CASE WHEN status IN ('registered','accepted','not_accepted','withdrawn') THEN '0' ELSE unit END AS unit_id,
       town AS town_id, channel, '0' AS demo, CAST(concluded::INT AS VARCHAR) AS timed,
       CAST((concluded AND r_on_time < 0.93)::INT AS VARCHAR) AS on_time,
       CAST((concluded AND status <> 'replied' AND r_rated < 0.8)::INT AS VARCHAR) AS rated,
       CAST((concluded AND status <> 'replied' AND r_rated < 0.8 AND r_satisfied < 0.9)::INT AS VARCHAR) AS satisfied,
       CASE WHEN concluded THEN CAST(days AS VARCHAR) END AS handling_days,
       CASE WHEN open THEN strftime(TIMESTAMPTZ '{now}' + to_days(due_days), '%Y-%m-%dT%H:%M:%S.%fZ') END AS due_at
FROM c
""")
con.execute(f"COPY (SELECT * FROM base UNION ALL SELECT * FROM drawn) TO '{out}' (HEADER, DELIMITER ',')")
print(f"{extra} facts drawn after id {first - 1}, written with the {con.execute('SELECT COUNT(*) FROM base').fetchone()[0]} exported ones to {out} in {time.perf_counter() - t:.1f} s")
