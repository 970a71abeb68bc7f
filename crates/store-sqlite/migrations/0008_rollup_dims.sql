-- Dashboard statistics, one dimension at a time (issue 6): the sums per month × status for
-- each unit, town, category and channel, kept by triggers on case_facts like case_rollup. The
-- whole county's dashboard reads these few thousand rows; case_rollup (every dimension at once)
-- serves filtered views. Filled from case_rollup for databases that already have facts.
CREATE TABLE IF NOT EXISTS case_rollup_dim (
    month         INTEGER NOT NULL,
    dim           TEXT    NOT NULL,
    value         TEXT    NOT NULL,
    status        TEXT    NOT NULL,
    demo          INTEGER NOT NULL,
    cases         INTEGER NOT NULL,
    timed         INTEGER NOT NULL,
    on_time       INTEGER NOT NULL,
    rated         INTEGER NOT NULL,
    satisfied     INTEGER NOT NULL,
    handled       INTEGER NOT NULL,
    handling_days INTEGER NOT NULL,
    PRIMARY KEY (month, dim, value, status, demo)
) WITHOUT ROWID;

INSERT INTO case_rollup_dim (month, dim, value, status, demo, cases, timed, on_time, rated, satisfied, handled, handling_days)
SELECT month, 'unit', CAST(unit_id AS TEXT), status, demo, SUM(cases), SUM(timed), SUM(on_time), SUM(rated), SUM(satisfied), SUM(handled), SUM(handling_days)
FROM case_rollup GROUP BY month, CAST(unit_id AS TEXT), status, demo;
INSERT INTO case_rollup_dim (month, dim, value, status, demo, cases, timed, on_time, rated, satisfied, handled, handling_days)
SELECT month, 'town', CAST(town_id AS TEXT), status, demo, SUM(cases), SUM(timed), SUM(on_time), SUM(rated), SUM(satisfied), SUM(handled), SUM(handling_days)
FROM case_rollup GROUP BY month, CAST(town_id AS TEXT), status, demo;
INSERT INTO case_rollup_dim (month, dim, value, status, demo, cases, timed, on_time, rated, satisfied, handled, handling_days)
SELECT month, 'category', category, status, demo, SUM(cases), SUM(timed), SUM(on_time), SUM(rated), SUM(satisfied), SUM(handled), SUM(handling_days)
FROM case_rollup GROUP BY month, category, status, demo;
INSERT INTO case_rollup_dim (month, dim, value, status, demo, cases, timed, on_time, rated, satisfied, handled, handling_days)
SELECT month, 'channel', channel, status, demo, SUM(cases), SUM(timed), SUM(on_time), SUM(rated), SUM(satisfied), SUM(handled), SUM(handling_days)
FROM case_rollup GROUP BY month, channel, status, demo;

CREATE TRIGGER IF NOT EXISTS case_facts_dim_in AFTER INSERT ON case_facts BEGIN
    INSERT INTO case_rollup_dim (month, dim, value, status, demo, cases, timed, on_time, rated, satisfied, handled, handling_days) VALUES (NEW.month, 'unit', CAST(NEW.unit_id AS TEXT), NEW.status, NEW.demo,
        1, NEW.timed, NEW.on_time, NEW.rated, NEW.satisfied, NEW.handling_days IS NOT NULL, COALESCE(NEW.handling_days, 0))
    ON CONFLICT (month, dim, value, status, demo) DO UPDATE SET cases = cases + excluded.cases, timed = timed + excluded.timed, on_time = on_time + excluded.on_time,
        rated = rated + excluded.rated, satisfied = satisfied + excluded.satisfied, handled = handled + excluded.handled,
        handling_days = handling_days + excluded.handling_days;
    INSERT INTO case_rollup_dim (month, dim, value, status, demo, cases, timed, on_time, rated, satisfied, handled, handling_days) VALUES (NEW.month, 'town', CAST(NEW.town_id AS TEXT), NEW.status, NEW.demo,
        1, NEW.timed, NEW.on_time, NEW.rated, NEW.satisfied, NEW.handling_days IS NOT NULL, COALESCE(NEW.handling_days, 0))
    ON CONFLICT (month, dim, value, status, demo) DO UPDATE SET cases = cases + excluded.cases, timed = timed + excluded.timed, on_time = on_time + excluded.on_time,
        rated = rated + excluded.rated, satisfied = satisfied + excluded.satisfied, handled = handled + excluded.handled,
        handling_days = handling_days + excluded.handling_days;
    INSERT INTO case_rollup_dim (month, dim, value, status, demo, cases, timed, on_time, rated, satisfied, handled, handling_days) VALUES (NEW.month, 'category', NEW.category, NEW.status, NEW.demo,
        1, NEW.timed, NEW.on_time, NEW.rated, NEW.satisfied, NEW.handling_days IS NOT NULL, COALESCE(NEW.handling_days, 0))
    ON CONFLICT (month, dim, value, status, demo) DO UPDATE SET cases = cases + excluded.cases, timed = timed + excluded.timed, on_time = on_time + excluded.on_time,
        rated = rated + excluded.rated, satisfied = satisfied + excluded.satisfied, handled = handled + excluded.handled,
        handling_days = handling_days + excluded.handling_days;
    INSERT INTO case_rollup_dim (month, dim, value, status, demo, cases, timed, on_time, rated, satisfied, handled, handling_days) VALUES (NEW.month, 'channel', NEW.channel, NEW.status, NEW.demo,
        1, NEW.timed, NEW.on_time, NEW.rated, NEW.satisfied, NEW.handling_days IS NOT NULL, COALESCE(NEW.handling_days, 0))
    ON CONFLICT (month, dim, value, status, demo) DO UPDATE SET cases = cases + excluded.cases, timed = timed + excluded.timed, on_time = on_time + excluded.on_time,
        rated = rated + excluded.rated, satisfied = satisfied + excluded.satisfied, handled = handled + excluded.handled,
        handling_days = handling_days + excluded.handling_days;
END;

CREATE TRIGGER IF NOT EXISTS case_facts_dim_up AFTER UPDATE ON case_facts
WHEN OLD.month IS NOT NEW.month OR OLD.category IS NOT NEW.category OR OLD.status IS NOT NEW.status
  OR OLD.unit_id IS NOT NEW.unit_id OR OLD.town_id IS NOT NEW.town_id OR OLD.channel IS NOT NEW.channel
  OR OLD.demo IS NOT NEW.demo OR OLD.timed IS NOT NEW.timed OR OLD.on_time IS NOT NEW.on_time
  OR OLD.rated IS NOT NEW.rated OR OLD.satisfied IS NOT NEW.satisfied OR OLD.handling_days IS NOT NEW.handling_days
BEGIN
    UPDATE case_rollup_dim SET cases = cases - 1, timed = timed - OLD.timed, on_time = on_time - OLD.on_time,
        rated = rated - OLD.rated, satisfied = satisfied - OLD.satisfied, handled = handled - (OLD.handling_days IS NOT NULL),
        handling_days = handling_days - COALESCE(OLD.handling_days, 0)
    WHERE month = OLD.month AND dim = 'unit' AND value = CAST(OLD.unit_id AS TEXT) AND status = OLD.status AND demo = OLD.demo;
    DELETE FROM case_rollup_dim WHERE month = OLD.month AND dim = 'unit' AND value = CAST(OLD.unit_id AS TEXT) AND status = OLD.status AND demo = OLD.demo AND cases = 0;
    UPDATE case_rollup_dim SET cases = cases - 1, timed = timed - OLD.timed, on_time = on_time - OLD.on_time,
        rated = rated - OLD.rated, satisfied = satisfied - OLD.satisfied, handled = handled - (OLD.handling_days IS NOT NULL),
        handling_days = handling_days - COALESCE(OLD.handling_days, 0)
    WHERE month = OLD.month AND dim = 'town' AND value = CAST(OLD.town_id AS TEXT) AND status = OLD.status AND demo = OLD.demo;
    DELETE FROM case_rollup_dim WHERE month = OLD.month AND dim = 'town' AND value = CAST(OLD.town_id AS TEXT) AND status = OLD.status AND demo = OLD.demo AND cases = 0;
    UPDATE case_rollup_dim SET cases = cases - 1, timed = timed - OLD.timed, on_time = on_time - OLD.on_time,
        rated = rated - OLD.rated, satisfied = satisfied - OLD.satisfied, handled = handled - (OLD.handling_days IS NOT NULL),
        handling_days = handling_days - COALESCE(OLD.handling_days, 0)
    WHERE month = OLD.month AND dim = 'category' AND value = OLD.category AND status = OLD.status AND demo = OLD.demo;
    DELETE FROM case_rollup_dim WHERE month = OLD.month AND dim = 'category' AND value = OLD.category AND status = OLD.status AND demo = OLD.demo AND cases = 0;
    UPDATE case_rollup_dim SET cases = cases - 1, timed = timed - OLD.timed, on_time = on_time - OLD.on_time,
        rated = rated - OLD.rated, satisfied = satisfied - OLD.satisfied, handled = handled - (OLD.handling_days IS NOT NULL),
        handling_days = handling_days - COALESCE(OLD.handling_days, 0)
    WHERE month = OLD.month AND dim = 'channel' AND value = OLD.channel AND status = OLD.status AND demo = OLD.demo;
    DELETE FROM case_rollup_dim WHERE month = OLD.month AND dim = 'channel' AND value = OLD.channel AND status = OLD.status AND demo = OLD.demo AND cases = 0;
    INSERT INTO case_rollup_dim (month, dim, value, status, demo, cases, timed, on_time, rated, satisfied, handled, handling_days) VALUES (NEW.month, 'unit', CAST(NEW.unit_id AS TEXT), NEW.status, NEW.demo,
        1, NEW.timed, NEW.on_time, NEW.rated, NEW.satisfied, NEW.handling_days IS NOT NULL, COALESCE(NEW.handling_days, 0))
    ON CONFLICT (month, dim, value, status, demo) DO UPDATE SET cases = cases + excluded.cases, timed = timed + excluded.timed, on_time = on_time + excluded.on_time,
        rated = rated + excluded.rated, satisfied = satisfied + excluded.satisfied, handled = handled + excluded.handled,
        handling_days = handling_days + excluded.handling_days;
    INSERT INTO case_rollup_dim (month, dim, value, status, demo, cases, timed, on_time, rated, satisfied, handled, handling_days) VALUES (NEW.month, 'town', CAST(NEW.town_id AS TEXT), NEW.status, NEW.demo,
        1, NEW.timed, NEW.on_time, NEW.rated, NEW.satisfied, NEW.handling_days IS NOT NULL, COALESCE(NEW.handling_days, 0))
    ON CONFLICT (month, dim, value, status, demo) DO UPDATE SET cases = cases + excluded.cases, timed = timed + excluded.timed, on_time = on_time + excluded.on_time,
        rated = rated + excluded.rated, satisfied = satisfied + excluded.satisfied, handled = handled + excluded.handled,
        handling_days = handling_days + excluded.handling_days;
    INSERT INTO case_rollup_dim (month, dim, value, status, demo, cases, timed, on_time, rated, satisfied, handled, handling_days) VALUES (NEW.month, 'category', NEW.category, NEW.status, NEW.demo,
        1, NEW.timed, NEW.on_time, NEW.rated, NEW.satisfied, NEW.handling_days IS NOT NULL, COALESCE(NEW.handling_days, 0))
    ON CONFLICT (month, dim, value, status, demo) DO UPDATE SET cases = cases + excluded.cases, timed = timed + excluded.timed, on_time = on_time + excluded.on_time,
        rated = rated + excluded.rated, satisfied = satisfied + excluded.satisfied, handled = handled + excluded.handled,
        handling_days = handling_days + excluded.handling_days;
    INSERT INTO case_rollup_dim (month, dim, value, status, demo, cases, timed, on_time, rated, satisfied, handled, handling_days) VALUES (NEW.month, 'channel', NEW.channel, NEW.status, NEW.demo,
        1, NEW.timed, NEW.on_time, NEW.rated, NEW.satisfied, NEW.handling_days IS NOT NULL, COALESCE(NEW.handling_days, 0))
    ON CONFLICT (month, dim, value, status, demo) DO UPDATE SET cases = cases + excluded.cases, timed = timed + excluded.timed, on_time = on_time + excluded.on_time,
        rated = rated + excluded.rated, satisfied = satisfied + excluded.satisfied, handled = handled + excluded.handled,
        handling_days = handling_days + excluded.handling_days;
END;
