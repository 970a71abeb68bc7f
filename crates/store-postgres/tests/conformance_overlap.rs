//! The shared conformance suite again, with the writer overlapping commits (two batches in
//! flight, each waiting for its WAL flush after releasing the chain lock).

mod common;

use redress_store_postgres::PgOptions;

redress_store::conformance_tests!(async {
    let opts = PgOptions { in_flight: 2, overlap_commits: true, min_overlap_batch: 2, ..PgOptions::default() };
    std::sync::Arc::new(common::fresh_pg_with(opts).await) as std::sync::Arc<dyn redress_store::Store>
});
