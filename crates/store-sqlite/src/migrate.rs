//! Schema migrations: numbered SQL files, each applied once and recorded in `schema_migrations`.

use rusqlite::Connection;

use redress_store::{Result, StoreError};

use crate::codec::{map_err, ts};

const MIGRATIONS: &[(i64, &str)] = &[
    (1, include_str!("../migrations/0001_init.sql")),
    (2, include_str!("../migrations/0002_supervised.sql")),
    (3, include_str!("../migrations/0003_unit_status.sql")),
    (4, include_str!("../migrations/0004_satisfaction.sql")),
    (5, include_str!("../migrations/0005_jobs.sql")),
    (6, include_str!("../migrations/0006_case_facts.sql")),
    (7, include_str!("../migrations/0007_warnings.sql")),
    (8, include_str!("../migrations/0008_rollup_dims.sql")),
    // Mediation and risk-assessment records, issue 7.
    (9, include_str!("../migrations/0009_dossiers.sql")),
    // Routine duties (零报告, 矛盾纠纷排查), issue 6.
    (11, include_str!("../migrations/0011_duties.sql")),
    (13, include_str!("../migrations/0013_rollup_scopes.sql")),
];

/// Applies the migrations not yet recorded. Runs inside the writer's transaction, so a
/// failing migration leaves the schema as it was.
pub(crate) fn apply(conn: &Connection) -> Result<()> {
    conn.execute_batch(
        "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)",
    )
    .map_err(map_err)?;
    let applied: Vec<i64> = conn
        .prepare("SELECT version FROM schema_migrations")
        .and_then(|mut s| s.query_map([], |r| r.get(0))?.collect())
        .map_err(map_err)?;
    let current = applied.iter().copied().max().unwrap_or(0);
    if current > latest() {
        return Err(StoreError::Other(format!("数据库结构版本 {current} 比本程序支持的 {} 新，请升级程序", latest())));
    }
    // By set rather than "above the newest": a branch's migration numbered below one already
    // applied (merged later) still runs.
    for &(version, sql) in MIGRATIONS.iter().filter(|(v, _)| !applied.contains(v)) {
        conn.execute_batch(sql).map_err(map_err)?;
        conn.execute(
            "INSERT INTO schema_migrations (version, applied_at) VALUES (?1, ?2)",
            rusqlite::params![version, ts(chrono::Utc::now())],
        )
        .map_err(map_err)?;
        tracing::info!(version, "applied SQLite migration");
    }
    Ok(())
}

/// The newest schema version this build knows.
fn latest() -> i64 {
    MIGRATIONS.last().map_or(0, |m| m.0)
}
