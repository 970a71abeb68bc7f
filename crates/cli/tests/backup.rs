//! Online backup under load: a real `redress serve` takes concurrent case creation through the
//! HTTP API while `redress backup` copies the database (SQLite: the online backup API;
//! PostgreSQL: pg_dump). The copy is restored with `redress restore` into a new database,
//! `redress verify` passes on it, and it holds at least the cases committed before the backup
//! began and at most those committed by its end. The PostgreSQL test needs a reachable server
//! (`REDRESS_TEST_PG_URL`) and pg_dump/pg_restore; it fails, never skips, without them.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{bail, ensure};

use common::http::{build_request, Conn};
use common::{payload, prepare, BIN};

const WRITERS: usize = 8;

fn scratch_dir() -> PathBuf {
    common::scratch_dir("backup")
}

async fn count_cases(url: &str) -> anyhow::Result<i64> {
    if let Some(path) = url.strip_prefix("sqlite://") {
        // A read-only connection: no second writer on the live file.
        let conn = rusqlite::Connection::open_with_flags(path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)?;
        conn.busy_timeout(Duration::from_secs(5))?;
        return Ok(conn.query_row("SELECT count(*) FROM cases", [], |r| r.get(0))?);
    }
    let store = redress_app::open_store(url).await?;
    Ok(store.count_cases().await?)
}

fn redress(database: &str, args: &[&str]) -> anyhow::Result<Output> {
    Ok(Command::new(BIN).arg("--database").arg(database).args(args).output()?)
}

fn describe(out: &Output) -> String {
    format!("{}\nstdout:\n{}\nstderr:\n{}", out.status, String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
}

/// Backs `url` up under load and restores it into `restored_url`, an empty or missing database.
async fn backup_under_load(url: &str, restored_url: &str, dir: &Path) -> anyhow::Result<()> {
    let sqlite = url.starts_with("sqlite:");
    let token = prepare(url).await?;
    let mut srv = common::start_server(url, &dir.join("server.log"), &[])?;
    let addr = srv.addr;

    let bodies = payload::bodies(128, 7);
    let reqs: Arc<Vec<Vec<u8>>> =
        Arc::new(bodies.iter().map(|b| build_request("POST", &addr.to_string(), "/api/v1/cases", Some(&token), Some(b))).collect());
    let acked = Arc::new(AtomicUsize::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let bad = Arc::new(Mutex::new(None::<String>));
    let mut tasks = vec![];
    for w in 0..WRITERS {
        let (reqs, acked, stop, bad) = (reqs.clone(), acked.clone(), stop.clone(), bad.clone());
        tasks.push(tokio::spawn(async move {
            let mut conn = match Conn::connect(addr).await {
                Ok(c) => c,
                Err(e) => {
                    *bad.lock().unwrap() = Some(format!("connect: {e}"));
                    return;
                }
            };
            let mut i = w;
            while !stop.load(Ordering::Relaxed) {
                match conn.send(&reqs[i % reqs.len()]).await {
                    Ok(r) if r.status == 201 => {
                        acked.fetch_add(1, Ordering::Relaxed);
                    }
                    Ok(r) => {
                        *bad.lock().unwrap() = Some(format!("HTTP {}: {}", r.status, r.text()));
                        return;
                    }
                    Err(e) => {
                        *bad.lock().unwrap() = Some(format!("connection error: {e}"));
                        return;
                    }
                }
                i += WRITERS;
            }
        }));
    }
    let t0 = Instant::now();
    while acked.load(Ordering::Relaxed) < 150 && t0.elapsed() < Duration::from_secs(60) && bad.lock().unwrap().is_none() {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    ensure!(acked.load(Ordering::Relaxed) >= 150, "the load did not build up: {} cases in 60 s", acked.load(Ordering::Relaxed));

    // The backup runs while the writers go on.
    let before = count_cases(url).await?;
    let acked_before = acked.load(Ordering::Relaxed);
    let backup = dir.join("copy.bak");
    let out = tokio::task::spawn_blocking({
        let (url, backup) = (url.to_string(), backup.clone());
        move || redress(&url, &["backup", "--out", backup.to_str().expect("utf-8 path")])
    })
    .await??;
    let after = count_cases(url).await?;
    let acked_during = acked.load(Ordering::Relaxed) - acked_before;
    ensure!(out.status.success(), "redress backup failed: {}", describe(&out));
    ensure!(String::from_utf8_lossy(&out.stdout).contains("备份完成"), "backup output: {}", describe(&out));

    // Some more load after the backup, then stop.
    tokio::time::sleep(Duration::from_millis(300)).await;
    stop.store(true, Ordering::Relaxed);
    for t in tasks {
        t.await?;
    }
    if let Some(b) = bad.lock().unwrap().take() {
        bail!("{b}");
    }
    srv.stop(Duration::from_secs(20));
    let total = count_cases(url).await?;
    eprintln!("{before} cases before the backup, {after} after ({acked_during} acknowledged during it), {total} at the end");

    // Restore into a new database and verify it.
    let backup_arg = backup.to_str().expect("utf-8 path");
    // PostgreSQL: restoring writes into an existing database, so it always asks for --force.
    let first: &[&str] = if sqlite { &["restore", backup_arg] } else { &["restore", "--force", backup_arg] };
    let out = redress(restored_url, first)?;
    ensure!(out.status.success(), "redress restore failed: {}", describe(&out));
    let out = redress(restored_url, &["verify"])?;
    ensure!(out.status.success(), "redress verify on the restored copy failed: {}", describe(&out));
    let n = count_cases(restored_url).await?;
    ensure!(before <= n && n <= after, "the restored copy holds {n} cases, outside [{before}, {after}]");
    ensure!(n < total, "the load went on after the backup, yet the copy holds all {total} cases");

    // A second restore onto the now non-empty database is refused without --force and leaves it intact.
    let out = redress(restored_url, &["restore", backup_arg])?;
    ensure!(!out.status.success(), "restore over a non-empty database succeeded without --force: {}", describe(&out));
    ensure!(String::from_utf8_lossy(&out.stderr).contains("--force"), "the refusal names --force: {}", describe(&out));
    ensure!(count_cases(restored_url).await? == n, "a refused restore changed the database");
    if sqlite {
        // With --force the backup replaces the file's content.
        let out = redress(restored_url, &["restore", "--force", backup_arg])?;
        ensure!(out.status.success(), "restore --force failed: {}", describe(&out));
        let out = redress(restored_url, &["verify"])?;
        ensure!(out.status.success(), "verify after restore --force failed: {}", describe(&out));
        ensure!(count_cases(restored_url).await? == n, "restore --force of the same backup changed the case count");
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sqlite_backup_under_load_restores_and_verifies() {
    let dir = scratch_dir();
    let url = format!("sqlite://{}", dir.join("live.db").display());
    let restored = format!("sqlite://{}", dir.join("restored.db").display());
    if let Err(e) = backup_under_load(&url, &restored, &dir).await {
        panic!("{e:#}\nserver log and files in {}", dir.display());
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn postgres_backup_under_load_restores_and_verifies() {
    use redress_store_postgres::testing;
    let admin = common::pg_admin_url();
    let _ = testing::cleanup_stale_test_databases(&admin, 3600).await;
    let unreachable = |e: &dyn std::fmt::Display| -> ! { panic!("PostgreSQL is not reachable at {admin} ({e}); start it or set REDRESS_TEST_PG_URL") };
    let (url, name) = testing::create_test_database(&admin).await.unwrap_or_else(|e| unreachable(&e));
    let (restored, restored_name) = testing::create_test_database(&admin).await.unwrap_or_else(|e| unreachable(&e));
    let dir = scratch_dir();
    let result = backup_under_load(&url, &restored, &dir).await;
    let _ = testing::drop_database(&admin, &name).await;
    let _ = testing::drop_database(&admin, &restored_name).await;
    if let Err(e) = result {
        panic!("{e:#}\nserver log and files in {}", dir.display());
    }
    let _ = std::fs::remove_dir_all(&dir);
}
