//! Schema migrations: SQL files applied in order, recorded in `schema_migrations`, under a
//! transaction-scoped advisory lock so that several instances starting at once take turns.

use redress_store::Result;

use crate::error::pg;

/// `(version, name, sql)`, in order. Append only; never edit an applied file.
pub(crate) const MIGRATIONS: &[(i32, &str, &str)] = &[
    (1, "0001_init", include_str!("../migrations/0001_init.sql")),
    (2, "0002_commit_marks", include_str!("../migrations/0002_commit_marks.sql")),
    (3, "0003_supervised", include_str!("../migrations/0003_supervised.sql")),
    (4, "0004_unit_status", include_str!("../migrations/0004_unit_status.sql")),
    (5, "0005_jobs", include_str!("../migrations/0005_jobs.sql")),
    (6, "0006_case_facts", include_str!("../migrations/0006_case_facts.sql")),
    (7, "0007_warnings", include_str!("../migrations/0007_warnings.sql")),
    (8, "0008_rollup_dims", include_str!("../migrations/0008_rollup_dims.sql")),
    // Mediation and risk-assessment records, issue 7.
    (9, "0009_dossiers", include_str!("../migrations/0009_dossiers.sql")),
    // Routine duties (零报告, 矛盾纠纷排查), issue 6.
    (11, "0011_duties", include_str!("../migrations/0011_duties.sql")),
    (13, "0013_rollup_scopes", include_str!("../migrations/0013_rollup_scopes.sql")),
];

/// Arbitrary constant: "redress" in ASCII, for `pg_advisory_xact_lock`.
const LOCK_KEY: i64 = 0x0072_6564_7265_7373;

pub(crate) async fn migrate(client: &mut tokio_postgres::Client) -> Result<()> {
    let tx = client.transaction().await.map_err(pg)?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&LOCK_KEY]).await.map_err(pg)?;
    tx.batch_execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations (
            version     INT PRIMARY KEY,
            name        TEXT NOT NULL,
            applied_at  TIMESTAMPTZ NOT NULL DEFAULT now()
        )",
    )
    .await
    .map_err(pg)?;
    let applied: Vec<i32> =
        tx.query("SELECT version FROM schema_migrations", &[]).await.map_err(pg)?.iter().map(|r| r.get(0)).collect();
    for (version, name, sql) in MIGRATIONS {
        if applied.contains(version) {
            continue;
        }
        tracing::info!(version, name, "applying PostgreSQL migration");
        tx.batch_execute(sql).await.map_err(pg)?;
        tx.execute("INSERT INTO schema_migrations (version, name) VALUES ($1, $2)", &[version, name])
            .await
            .map_err(pg)?;
    }
    // Housekeeping: marks of backends that are gone (one row per writer connection ever).
    tx.execute("DELETE FROM commit_marks WHERE pid NOT IN (SELECT pid FROM pg_stat_activity)", &[])
        .await
        .map_err(pg)?;
    tx.commit().await.map_err(pg)
}
