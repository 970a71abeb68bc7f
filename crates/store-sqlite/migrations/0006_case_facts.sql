-- Dashboard statistics (issue 6). case_facts: one narrow row per case, written by the writer in
-- the same transaction as the case (redress_store::CaseFacts). case_rollup: the sums per
-- month × category × status × unit × town × channel × demo, kept by the triggers below, so the
-- dashboard reads groups instead of cases. 0 stands for "no unit"/"no town", '' for no category.
CREATE TABLE IF NOT EXISTS case_facts (
    case_id       INTEGER PRIMARY KEY,
    month         INTEGER NOT NULL,
    category      TEXT    NOT NULL,
    status        TEXT    NOT NULL,
    unit_id       INTEGER NOT NULL,
    town_id       INTEGER NOT NULL,
    channel       TEXT    NOT NULL,
    demo          INTEGER NOT NULL,
    timed         INTEGER NOT NULL,
    on_time       INTEGER NOT NULL,
    rated         INTEGER NOT NULL,
    satisfied     INTEGER NOT NULL,
    handling_days INTEGER,
    due_at        TEXT
);
-- Overdue now: open cases by deadline, covered.
CREATE INDEX IF NOT EXISTS case_facts_due ON case_facts (due_at, category, unit_id, town_id, channel, month, demo)
    WHERE due_at IS NOT NULL;

CREATE TABLE IF NOT EXISTS case_rollup (
    month         INTEGER NOT NULL,
    category      TEXT    NOT NULL,
    status        TEXT    NOT NULL,
    unit_id       INTEGER NOT NULL,
    town_id       INTEGER NOT NULL,
    channel       TEXT    NOT NULL,
    demo          INTEGER NOT NULL,
    cases         INTEGER NOT NULL,
    timed         INTEGER NOT NULL,
    on_time       INTEGER NOT NULL,
    rated         INTEGER NOT NULL,
    satisfied     INTEGER NOT NULL,
    handled       INTEGER NOT NULL,
    handling_days INTEGER NOT NULL,
    PRIMARY KEY (month, category, status, unit_id, town_id, channel, demo)
) WITHOUT ROWID;

CREATE TRIGGER IF NOT EXISTS case_facts_roll_in AFTER INSERT ON case_facts BEGIN
    INSERT INTO case_rollup VALUES (NEW.month, NEW.category, NEW.status, NEW.unit_id, NEW.town_id, NEW.channel, NEW.demo,
        1, NEW.timed, NEW.on_time, NEW.rated, NEW.satisfied, NEW.handling_days IS NOT NULL, COALESCE(NEW.handling_days, 0))
    ON CONFLICT (month, category, status, unit_id, town_id, channel, demo) DO UPDATE SET cases = cases + 1, timed = timed + excluded.timed, on_time = on_time + excluded.on_time,
        rated = rated + excluded.rated, satisfied = satisfied + excluded.satisfied, handled = handled + excluded.handled,
        handling_days = handling_days + excluded.handling_days;
END;

-- Only when something the rollup sums changed (a new deadline alone does not touch it).
CREATE TRIGGER IF NOT EXISTS case_facts_roll_up AFTER UPDATE ON case_facts
WHEN OLD.month IS NOT NEW.month OR OLD.category IS NOT NEW.category OR OLD.status IS NOT NEW.status
  OR OLD.unit_id IS NOT NEW.unit_id OR OLD.town_id IS NOT NEW.town_id OR OLD.channel IS NOT NEW.channel
  OR OLD.demo IS NOT NEW.demo OR OLD.timed IS NOT NEW.timed OR OLD.on_time IS NOT NEW.on_time
  OR OLD.rated IS NOT NEW.rated OR OLD.satisfied IS NOT NEW.satisfied OR OLD.handling_days IS NOT NEW.handling_days
BEGIN
    UPDATE case_rollup SET cases = cases - 1, timed = timed - OLD.timed, on_time = on_time - OLD.on_time,
        rated = rated - OLD.rated, satisfied = satisfied - OLD.satisfied, handled = handled - (OLD.handling_days IS NOT NULL),
        handling_days = handling_days - COALESCE(OLD.handling_days, 0)
    WHERE month = OLD.month AND category = OLD.category AND status = OLD.status AND unit_id = OLD.unit_id
      AND town_id = OLD.town_id AND channel = OLD.channel AND demo = OLD.demo;
    DELETE FROM case_rollup WHERE month = OLD.month AND category = OLD.category AND status = OLD.status
      AND unit_id = OLD.unit_id AND town_id = OLD.town_id AND channel = OLD.channel AND demo = OLD.demo AND cases = 0;
    INSERT INTO case_rollup VALUES (NEW.month, NEW.category, NEW.status, NEW.unit_id, NEW.town_id, NEW.channel, NEW.demo,
        1, NEW.timed, NEW.on_time, NEW.rated, NEW.satisfied, NEW.handling_days IS NOT NULL, COALESCE(NEW.handling_days, 0))
    ON CONFLICT (month, category, status, unit_id, town_id, channel, demo) DO UPDATE SET cases = cases + 1, timed = timed + excluded.timed, on_time = on_time + excluded.on_time,
        rated = rated + excluded.rated, satisfied = satisfied + excluded.satisfied, handled = handled + excluded.handled,
        handling_days = handling_days + excluded.handling_days;
END;

-- The cases behind a figure (drill-down), by registration month.
CREATE INDEX IF NOT EXISTS case_facts_month ON case_facts (month, unit_id, town_id, category, status, channel, demo);
