//! What the tests that run the real `redress serve` share: starting it and waiting for its
//! address, a fresh database (SQLite file or throw-away PostgreSQL database), an API token of
//! the demo clerk, acknowledged cases, and `redress verify`.

#![allow(dead_code)]

#[path = "../../src/bench/http.rs"]
pub mod http;
#[path = "../../src/bench/payload.rs"]
pub mod payload;
#[path = "../../src/bench/server.rs"]
pub mod server;

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{ensure, Context};
use redress_domain::TrackingCode;

pub use server::{serve_args, Server};

pub const BIN: &str = env!("CARGO_BIN_EXE_redress");

/// A fresh directory under the system's temp dir.
pub fn scratch_dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("redress-{name}-{}-{}", std::process::id(), rand::random::<u32>()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// Migrates, creates the demo county and accounts (no cases) and returns an API token of
/// the intake clerk.
pub async fn prepare(url: &str) -> anyhow::Result<String> {
    let store = redress_app::open_and_migrate(url).await?;
    let app = redress_app::App::new(store);
    app.seed_demo_if_empty(0).await?;
    let clerk = app.store.get_user_by_name("clerk").await?.context("demo clerk")?;
    let token = app.issue_token("test", Some(clerk.id), "api").await?;
    drop(app);
    tokio::time::sleep(Duration::from_millis(200)).await;
    Ok(token)
}

/// Starts `redress serve` on `url` (loopback, any port, no demo data) with `extra` arguments;
/// its output goes to `log`, and it runs in the log's directory.
pub fn start_server(url: &str, log: &Path, extra: &[&str]) -> anyhow::Result<Server> {
    let dir = log.parent().expect("log in a directory");
    let mut args = serve_args(url);
    args.extend(extra.iter().map(|s| s.to_string()));
    Server::start(Path::new(BIN), &args, dir, log, Duration::from_secs(120))
}

/// A case the server acknowledged with 201.
#[derive(Debug, Clone)]
pub struct Ack {
    pub id: i64,
    pub code: String,
}

/// The case id and its tracking code (normalised) from a case's JSON.
pub fn id_and_code(body: &[u8]) -> Option<(i64, String)> {
    let v: serde_json::Value = serde_json::from_slice(body).ok()?;
    let id = v.get("id")?.as_i64()?;
    let code = TrackingCode::parse(v.get("tracking_code")?.as_str()?).ok()?;
    Some((id, code.display()))
}

/// Every acknowledged case is stored exactly once under its code and id.
pub async fn check_acknowledged(url: &str, acks: &[Ack]) -> anyhow::Result<i64> {
    let store = redress_app::open_store(url).await?;
    let mut missing = vec![];
    let mut seen = std::collections::HashSet::new();
    for a in acks {
        ensure!(seen.insert(a.id), "case id {} was acknowledged twice", a.id);
        let code = TrackingCode::parse(&a.code).map_err(|e| anyhow::anyhow!("bad code {}: {e:?}", a.code))?;
        match store.get_case_by_code(&code).await? {
            Some(c) if c.id.0 == a.id => {}
            Some(c) => anyhow::bail!("code {} belongs to case {} in the store but was acknowledged as case {}", a.code, c.id, a.id),
            None => missing.push(a.code.clone()),
        }
    }
    ensure!(missing.is_empty(), "{} acknowledged cases are missing, e.g. {:?}", missing.len(), &missing[..missing.len().min(5)]);
    let stored = store.count_cases().await?;
    ensure!(stored as usize >= acks.len(), "{stored} cases stored, {} acknowledged", acks.len());
    Ok(stored)
}

/// `redress verify` exits 0: the hash chain and every case's state are intact.
pub fn verify(url: &str) -> anyhow::Result<()> {
    let out = std::process::Command::new(BIN).args(["--database", url, "verify"]).output()?;
    ensure!(
        out.status.success(),
        "redress verify failed ({}):\n{}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    Ok(())
}

pub fn pg_admin_url() -> String {
    std::env::var("REDRESS_TEST_PG_URL").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into())
}

/// A throw-away PostgreSQL database: `(admin url, url, name)`. Panics (never skips) when
/// PostgreSQL is unreachable, like every PostgreSQL test of the workspace.
pub async fn create_pg_database() -> (String, String, String) {
    use redress_store_postgres::testing;
    let admin = pg_admin_url();
    let _ = testing::cleanup_stale_test_databases(&admin, 3600).await;
    let (url, name) = testing::create_test_database(&admin).await.unwrap_or_else(|e| {
        panic!(
            "PostgreSQL is not reachable at {admin} ({e}); start it or set REDRESS_TEST_PG_URL{}",
            if std::env::var("CI").as_deref() == Ok("true") { " (CI=true: PostgreSQL tests must not be skipped)" } else { "" }
        )
    });
    (admin, url, name)
}

pub async fn drop_pg_database(admin: &str, name: &str) {
    let _ = redress_store_postgres::testing::drop_database(admin, name).await;
}
