-- Dashboard statistics, one dimension at a time (issue 6): the sums per month × status for
-- each unit, town, category and channel, kept by a trigger on case_facts like case_rollup. The
-- whole county's dashboard reads these few thousand rows; case_rollup (every dimension at once)
-- serves filtered views. Filled from case_rollup for databases that already have facts.
CREATE TABLE IF NOT EXISTS case_rollup_dim (
    month         INT NOT NULL,
    dim           TEXT    NOT NULL,
    value         TEXT    NOT NULL,
    status        TEXT    NOT NULL,
    demo          INT NOT NULL,
    cases         BIGINT NOT NULL,
    timed         BIGINT NOT NULL,
    on_time       BIGINT NOT NULL,
    rated         BIGINT NOT NULL,
    satisfied     BIGINT NOT NULL,
    handled       BIGINT NOT NULL,
    handling_days BIGINT NOT NULL,
    PRIMARY KEY (month, dim, value, status, demo)
);

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

CREATE OR REPLACE FUNCTION case_facts_dims() RETURNS trigger LANGUAGE plpgsql AS $$
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
        FOR d, v IN SELECT * FROM (VALUES ('unit', OLD.unit_id::text), ('town', OLD.town_id::text), ('category', OLD.category), ('channel', OLD.channel)) AS x LOOP
            UPDATE case_rollup_dim SET cases = cases - 1, timed = timed - OLD.timed, on_time = on_time - OLD.on_time,
                rated = rated - OLD.rated, satisfied = satisfied - OLD.satisfied,
                handled = handled - (OLD.handling_days IS NOT NULL)::int, handling_days = handling_days - COALESCE(OLD.handling_days, 0)
            WHERE month = OLD.month AND dim = d AND value = v AND status = OLD.status AND demo = OLD.demo;
            DELETE FROM case_rollup_dim WHERE month = OLD.month AND dim = d AND value = v AND status = OLD.status AND demo = OLD.demo AND cases = 0;
        END LOOP;
    END IF;
    FOR d, v IN SELECT * FROM (VALUES ('unit', NEW.unit_id::text), ('town', NEW.town_id::text), ('category', NEW.category), ('channel', NEW.channel)) AS x LOOP
        INSERT INTO case_rollup_dim (month, dim, value, status, demo, cases, timed, on_time, rated, satisfied, handled, handling_days) VALUES (NEW.month, d, v, NEW.status, NEW.demo,
            1, NEW.timed, NEW.on_time, NEW.rated, NEW.satisfied, (NEW.handling_days IS NOT NULL)::int, COALESCE(NEW.handling_days, 0))
        ON CONFLICT (month, dim, value, status, demo) DO UPDATE SET cases = case_rollup_dim.cases + excluded.cases, timed = case_rollup_dim.timed + excluded.timed, on_time = case_rollup_dim.on_time + excluded.on_time,
            rated = case_rollup_dim.rated + excluded.rated, satisfied = case_rollup_dim.satisfied + excluded.satisfied, handled = case_rollup_dim.handled + excluded.handled,
            handling_days = case_rollup_dim.handling_days + excluded.handling_days;
    END LOOP;
    RETURN NULL;
END $$;

DROP TRIGGER IF EXISTS case_facts_dims ON case_facts;
CREATE TRIGGER case_facts_dims AFTER INSERT OR UPDATE ON case_facts FOR EACH ROW EXECUTE FUNCTION case_facts_dims();
