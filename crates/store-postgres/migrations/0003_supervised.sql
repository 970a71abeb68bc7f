-- Open cases under supervision (督办), for workbenches; the predicate is
-- redress_store::SUPERVISED_SQL without the due_at part, which the query adds.
CREATE INDEX IF NOT EXISTS cases_supervised_idx ON cases (id) WHERE data LIKE '%"supervisions":[{%';
