-- Filtered dashboard views (issue 6). A town office's dashboard covers one town and a unit's
-- its subtree; reading case_rollup for them (every dimension at once, primary key led by month
-- and category) cost 200-500 ms at a million cases. case_rollup_dim now also keeps, within each
-- town and within each unit, the sums by the other dimensions: dim 't<town>.unit',
-- 't<town>.category', 't<town>.channel', 'u<unit>.town', 'u<unit>.category', 'u<unit>.channel'
-- (the town's own totals are the sum of its channel rows, and so for a unit). Six more rows kept
-- per case by the triggers below, in the case's transaction; a filtered view reads a few
-- thousand rows whatever the number of cases. Views that filter by category or channel, or by
-- town and unit together, still read case_rollup, now with indexes led by town and by unit.
CREATE INDEX IF NOT EXISTS case_rollup_town ON case_rollup (town_id, month);
CREATE INDEX IF NOT EXISTS case_rollup_unit ON case_rollup (unit_id, month);

INSERT INTO case_rollup_dim (month, dim, value, status, demo, cases, timed, on_time, rated, satisfied, handled, handling_days)
SELECT month, 't' || town_id::text || '.unit', unit_id::text, status, demo, SUM(cases), SUM(timed), SUM(on_time), SUM(rated), SUM(satisfied), SUM(handled), SUM(handling_days)
FROM case_rollup GROUP BY month, 't' || town_id::text || '.unit', unit_id::text, status, demo;
INSERT INTO case_rollup_dim (month, dim, value, status, demo, cases, timed, on_time, rated, satisfied, handled, handling_days)
SELECT month, 't' || town_id::text || '.category', category, status, demo, SUM(cases), SUM(timed), SUM(on_time), SUM(rated), SUM(satisfied), SUM(handled), SUM(handling_days)
FROM case_rollup GROUP BY month, 't' || town_id::text || '.category', category, status, demo;
INSERT INTO case_rollup_dim (month, dim, value, status, demo, cases, timed, on_time, rated, satisfied, handled, handling_days)
SELECT month, 't' || town_id::text || '.channel', channel, status, demo, SUM(cases), SUM(timed), SUM(on_time), SUM(rated), SUM(satisfied), SUM(handled), SUM(handling_days)
FROM case_rollup GROUP BY month, 't' || town_id::text || '.channel', channel, status, demo;
INSERT INTO case_rollup_dim (month, dim, value, status, demo, cases, timed, on_time, rated, satisfied, handled, handling_days)
SELECT month, 'u' || unit_id::text || '.town', town_id::text, status, demo, SUM(cases), SUM(timed), SUM(on_time), SUM(rated), SUM(satisfied), SUM(handled), SUM(handling_days)
FROM case_rollup GROUP BY month, 'u' || unit_id::text || '.town', town_id::text, status, demo;
INSERT INTO case_rollup_dim (month, dim, value, status, demo, cases, timed, on_time, rated, satisfied, handled, handling_days)
SELECT month, 'u' || unit_id::text || '.category', category, status, demo, SUM(cases), SUM(timed), SUM(on_time), SUM(rated), SUM(satisfied), SUM(handled), SUM(handling_days)
FROM case_rollup GROUP BY month, 'u' || unit_id::text || '.category', category, status, demo;
INSERT INTO case_rollup_dim (month, dim, value, status, demo, cases, timed, on_time, rated, satisfied, handled, handling_days)
SELECT month, 'u' || unit_id::text || '.channel', channel, status, demo, SUM(cases), SUM(timed), SUM(on_time), SUM(rated), SUM(satisfied), SUM(handled), SUM(handling_days)
FROM case_rollup GROUP BY month, 'u' || unit_id::text || '.channel', channel, status, demo;

CREATE OR REPLACE FUNCTION case_facts_scopes() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    d TEXT;
    v TEXT;
BEGIN
    IF TG_OP = 'UPDATE' THEN
        IF (OLD.month, OLD.category, OLD.status, OLD.unit_id, OLD.town_id, OLD.channel, OLD.demo, OLD.timed,
            OLD.on_time, OLD.rated, OLD.satisfied, OLD.handling_days)
           IS NOT DISTINCT FROM
           (NEW.month, NEW.category, NEW.status, NEW.unit_id, NEW.town_id, NEW.channel, NEW.demo, NEW.timed,
            NEW.on_time, NEW.rated, NEW.satisfied, NEW.handling_days) THEN
            RETURN NULL;
        END IF;
        FOR d, v IN SELECT * FROM (VALUES (('t' || OLD.town_id::text || '.unit'), OLD.unit_id::text), (('t' || OLD.town_id::text || '.category'), OLD.category), (('t' || OLD.town_id::text || '.channel'), OLD.channel), (('u' || OLD.unit_id::text || '.town'), OLD.town_id::text), (('u' || OLD.unit_id::text || '.category'), OLD.category), (('u' || OLD.unit_id::text || '.channel'), OLD.channel)) AS x LOOP
            UPDATE case_rollup_dim SET cases = cases - 1, timed = timed - OLD.timed, on_time = on_time - OLD.on_time,
                rated = rated - OLD.rated, satisfied = satisfied - OLD.satisfied,
                handled = handled - (OLD.handling_days IS NOT NULL)::int, handling_days = handling_days - COALESCE(OLD.handling_days, 0)
            WHERE month = OLD.month AND dim = d AND value = v AND status = OLD.status AND demo = OLD.demo;
            DELETE FROM case_rollup_dim WHERE month = OLD.month AND dim = d AND value = v AND status = OLD.status AND demo = OLD.demo AND cases = 0;
        END LOOP;
    END IF;
    FOR d, v IN SELECT * FROM (VALUES (('t' || NEW.town_id::text || '.unit'), NEW.unit_id::text), (('t' || NEW.town_id::text || '.category'), NEW.category), (('t' || NEW.town_id::text || '.channel'), NEW.channel), (('u' || NEW.unit_id::text || '.town'), NEW.town_id::text), (('u' || NEW.unit_id::text || '.category'), NEW.category), (('u' || NEW.unit_id::text || '.channel'), NEW.channel)) AS x LOOP
        INSERT INTO case_rollup_dim (month, dim, value, status, demo, cases, timed, on_time, rated, satisfied, handled, handling_days) VALUES (NEW.month, d, v, NEW.status, NEW.demo,
            1, NEW.timed, NEW.on_time, NEW.rated, NEW.satisfied, (NEW.handling_days IS NOT NULL)::int, COALESCE(NEW.handling_days, 0))
        ON CONFLICT (month, dim, value, status, demo) DO UPDATE SET cases = case_rollup_dim.cases + excluded.cases, timed = case_rollup_dim.timed + excluded.timed, on_time = case_rollup_dim.on_time + excluded.on_time,
            rated = case_rollup_dim.rated + excluded.rated, satisfied = case_rollup_dim.satisfied + excluded.satisfied, handled = case_rollup_dim.handled + excluded.handled,
            handling_days = case_rollup_dim.handling_days + excluded.handling_days;
    END LOOP;
    RETURN NULL;
END $$;

DROP TRIGGER IF EXISTS case_facts_scopes ON case_facts;
CREATE TRIGGER case_facts_scopes AFTER INSERT OR UPDATE ON case_facts FOR EACH ROW EXECUTE FUNCTION case_facts_scopes();
