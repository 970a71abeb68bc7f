-- Open statistics count follow-ups by satisfaction: an index on the value inside the case
-- document, only for statuses a follow-up can have reached (redress_store::FOLLOWED_UP_STATUSES;
-- the query in cases.rs repeats this expression and predicate exactly).
CREATE INDEX IF NOT EXISTS cases_satisfaction_idx ON cases (json_extract(data, '$.follow_up.satisfaction'))
    WHERE status IN ('followed_up', 'closed', 'archived', 'under_review', 'reviewed', 'under_recheck', 'final');
