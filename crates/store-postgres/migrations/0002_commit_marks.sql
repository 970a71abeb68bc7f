-- One row per backend that commits case writes: after a batch committed with
-- synchronous_commit off (so the next batch may take the chain lock during the flush), the
-- writer updates its row in a synchronously committed transaction, whose commit waits for the
-- WAL flush past the batch. Kept separate from the batch so concurrent batches never wait on
-- each other's row here.
CREATE TABLE commit_marks (
    pid  INT PRIMARY KEY,
    n    BIGINT NOT NULL
);
