-- Dashboard statistics (issue 6), as in the SQLite backend. case_facts: one narrow row per case,
-- written by the writer in the same transaction as the case (redress_store::CaseFacts).
-- case_rollup: sums per month × category × status × unit × town × channel × demo, kept by the
-- trigger below. 0 stands for "no unit"/"no town", '' for no category.
CREATE TABLE IF NOT EXISTS case_facts (
    case_id       BIGINT PRIMARY KEY,
    month         INT    NOT NULL,
    category      TEXT   NOT NULL,
    status        TEXT   NOT NULL,
    unit_id       BIGINT NOT NULL,
    town_id       BIGINT NOT NULL,
    channel       TEXT   NOT NULL,
    demo          INT    NOT NULL,
    timed         INT    NOT NULL,
    on_time       INT    NOT NULL,
    rated         INT    NOT NULL,
    satisfied     INT    NOT NULL,
    handling_days INT,
    due_at        TIMESTAMPTZ
);
CREATE INDEX IF NOT EXISTS case_facts_due ON case_facts (due_at, category, unit_id, town_id, channel, month, demo)
    WHERE due_at IS NOT NULL;

CREATE TABLE IF NOT EXISTS case_rollup (
    month         INT    NOT NULL,
    category      TEXT   NOT NULL,
    status        TEXT   NOT NULL,
    unit_id       BIGINT NOT NULL,
    town_id       BIGINT NOT NULL,
    channel       TEXT   NOT NULL,
    demo          INT    NOT NULL,
    cases         BIGINT NOT NULL,
    timed         BIGINT NOT NULL,
    on_time       BIGINT NOT NULL,
    rated         BIGINT NOT NULL,
    satisfied     BIGINT NOT NULL,
    handled       BIGINT NOT NULL,
    handling_days BIGINT NOT NULL,
    PRIMARY KEY (month, category, status, unit_id, town_id, channel, demo)
);

CREATE OR REPLACE FUNCTION case_facts_roll() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' THEN
        IF (OLD.month, OLD.category, OLD.status, OLD.unit_id, OLD.town_id, OLD.channel, OLD.demo, OLD.timed,
            OLD.on_time, OLD.rated, OLD.satisfied, OLD.handling_days)
           IS NOT DISTINCT FROM
           (NEW.month, NEW.category, NEW.status, NEW.unit_id, NEW.town_id, NEW.channel, NEW.demo, NEW.timed,
            NEW.on_time, NEW.rated, NEW.satisfied, NEW.handling_days) THEN
            RETURN NULL;
        END IF;
        UPDATE case_rollup SET cases = cases - 1, timed = timed - OLD.timed, on_time = on_time - OLD.on_time,
            rated = rated - OLD.rated, satisfied = satisfied - OLD.satisfied,
            handled = handled - (OLD.handling_days IS NOT NULL)::int, handling_days = handling_days - COALESCE(OLD.handling_days, 0)
        WHERE month = OLD.month AND category = OLD.category AND status = OLD.status AND unit_id = OLD.unit_id
          AND town_id = OLD.town_id AND channel = OLD.channel AND demo = OLD.demo;
        DELETE FROM case_rollup WHERE month = OLD.month AND category = OLD.category AND status = OLD.status
          AND unit_id = OLD.unit_id AND town_id = OLD.town_id AND channel = OLD.channel AND demo = OLD.demo AND cases = 0;
    END IF;
    INSERT INTO case_rollup VALUES (NEW.month, NEW.category, NEW.status, NEW.unit_id, NEW.town_id, NEW.channel, NEW.demo,
        1, NEW.timed, NEW.on_time, NEW.rated, NEW.satisfied, (NEW.handling_days IS NOT NULL)::int, COALESCE(NEW.handling_days, 0))
    ON CONFLICT (month, category, status, unit_id, town_id, channel, demo) DO UPDATE SET
        cases = case_rollup.cases + 1, timed = case_rollup.timed + excluded.timed,
        on_time = case_rollup.on_time + excluded.on_time, rated = case_rollup.rated + excluded.rated,
        satisfied = case_rollup.satisfied + excluded.satisfied, handled = case_rollup.handled + excluded.handled,
        handling_days = case_rollup.handling_days + excluded.handling_days;
    RETURN NULL;
END $$;

DROP TRIGGER IF EXISTS case_facts_roll ON case_facts;
CREATE TRIGGER case_facts_roll AFTER INSERT OR UPDATE ON case_facts FOR EACH ROW EXECUTE FUNCTION case_facts_roll();

-- The cases behind a figure (drill-down), by registration month.
CREATE INDEX IF NOT EXISTS case_facts_month ON case_facts (month, unit_id, town_id, category, status, channel, demo);
