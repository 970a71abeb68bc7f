//! Raw ceilings measured in the same run: a bare fsync loop on the same disk, and
//! `pgbench` single-row inserts at the same concurrency. Also the PostgreSQL helpers the
//! bench uses (throw-away databases, settings, WAL counters) through `psql`.

use std::io::Write;
use std::os::unix::fs::FileExt;
use std::path::Path;
use std::process::Command;
use std::time::Instant;

use anyhow::{bail, Context};
use serde::Serialize;

#[derive(Debug, Clone, Serialize)]
pub struct FsyncCeiling {
    /// "overwrite+fdatasync" (a preallocated log, like PostgreSQL's WAL segments) or
    /// "append+fsync" (a growing file, like a SQLite WAL after a restart).
    pub mode: &'static str,
    pub ops_per_s: f64,
    pub mean_ms: f64,
    pub p99_ms: f64,
}

/// Writes 4 KiB and syncs, repeatedly, for `secs`, on a temp file in `dir`.
pub fn fsync_loop(dir: &Path, secs: f64, append: bool) -> anyhow::Result<FsyncCeiling> {
    let path = dir.join(format!(".fsync-probe-{}", std::process::id()));
    let file = std::fs::OpenOptions::new().create(true).truncate(true).read(true).write(true).open(&path).with_context(|| format!("cannot create {}", path.display()))?;
    let block = [0x5au8; 4096];
    const SLOTS: u64 = 256;
    if !append {
        for i in 0..SLOTS {
            file.write_all_at(&block, i * 4096)?;
        }
        file.sync_all()?;
    }
    let mut lat = Vec::new();
    let start = Instant::now();
    let mut i = 0u64;
    while start.elapsed().as_secs_f64() < secs {
        let t = Instant::now();
        if append {
            file.write_all_at(&block, i * 4096)?;
            file.sync_all()?;
        } else {
            file.write_all_at(&block, (i % SLOTS) * 4096)?;
            file.sync_data()?;
        }
        lat.push(t.elapsed());
        i += 1;
    }
    let total = start.elapsed();
    drop(file);
    let _ = std::fs::remove_file(&path);
    lat.sort_unstable();
    let p99 = lat.get((lat.len() * 99 / 100).min(lat.len().saturating_sub(1))).copied().unwrap_or_default();
    Ok(FsyncCeiling {
        mode: if append { "append+fsync" } else { "overwrite+fdatasync" },
        ops_per_s: lat.len() as f64 / total.as_secs_f64(),
        mean_ms: total.as_secs_f64() * 1000.0 / lat.len().max(1) as f64,
        p99_ms: p99.as_secs_f64() * 1000.0,
    })
}

/// Replaces the database of a `postgres://user@host:port/db?params` URL.
pub fn url_with_database(url: &str, db: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let scheme_end = base.find("://").map(|i| i + 3).unwrap_or(0);
    let host_end = base[scheme_end..].find('/').map(|i| scheme_end + i).unwrap_or(base.len());
    let mut out = format!("{}/{}", &base[..host_end], db);
    if let Some(q) = query {
        out.push('?');
        out.push_str(q);
    }
    out
}

/// Runs SQL through `psql` on `url`; returns the unaligned, tuples-only output.
pub fn psql(url: &str, sql: &str) -> anyhow::Result<String> {
    let out = Command::new("psql")
        .args([url, "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-c", sql])
        .output()
        .context("cannot run psql (is the PostgreSQL client installed?)")?;
    if !out.status.success() {
        bail!("psql failed on {url}: {}", String::from_utf8_lossy(&out.stderr).trim());
    }
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
}

/// A database that is dropped (with its connections) when this is dropped.
pub struct ThrowawayDb {
    pub admin_url: String,
    pub name: String,
    pub url: String,
    pub keep: bool,
}

impl ThrowawayDb {
    pub fn create(admin_url: &str, prefix: &str) -> anyhow::Result<ThrowawayDb> {
        let secs = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
        let name = format!("{prefix}_{secs}_{}_{}", std::process::id(), rand::random::<u32>());
        psql(admin_url, &format!("CREATE DATABASE \"{name}\""))?;
        Ok(ThrowawayDb { admin_url: admin_url.into(), url: url_with_database(admin_url, &name), name, keep: false })
    }
}

impl Drop for ThrowawayDb {
    fn drop(&mut self) {
        if !self.keep {
            if let Err(e) = psql(&self.admin_url, &format!("DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)", self.name)) {
                eprintln!("warning: could not drop database {}: {e}", self.name);
            }
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct PgbenchCeiling {
    pub clients: usize,
    pub tps: f64,
    pub latency_avg_ms: Option<f64>,
    pub command: String,
}

/// `pgbench` single-row inserts into a fresh table at `clients` concurrency for `secs`.
pub fn pgbench(admin_url: &str, clients: usize, secs: u64, scratch: &Path) -> anyhow::Result<PgbenchCeiling> {
    let db = ThrowawayDb::create(admin_url, "redress_pgbench")?;
    psql(&db.url, "CREATE TABLE t (id bigserial PRIMARY KEY, v text NOT NULL)")?;
    let script = scratch.join(format!(".pgbench-insert-{}.sql", std::process::id()));
    std::fs::File::create(&script)?.write_all(b"INSERT INTO t (v) VALUES ('x');\n")?;
    let threads = clients.clamp(1, 2).to_string();
    let args = ["-n", "-c", &clients.to_string(), "-j", &threads, "-T", &secs.to_string(), "-f", script.to_str().unwrap_or_default(), &db.url];
    let out = Command::new("pgbench").args(args).output().context("cannot run pgbench (is the PostgreSQL client installed?)")?;
    let _ = std::fs::remove_file(&script);
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    if !out.status.success() {
        bail!("pgbench failed: {}\n{text}", String::from_utf8_lossy(&out.stderr).trim());
    }
    let field = |prefix: &str| -> Option<f64> {
        text.lines().find(|l| l.trim_start().starts_with(prefix))?.split('=').nth(1)?.split_whitespace().next()?.parse().ok()
    };
    let tps = field("tps").with_context(|| format!("no tps in pgbench output:\n{text}"))?;
    Ok(PgbenchCeiling {
        clients,
        tps,
        latency_avg_ms: field("latency average"),
        command: format!("pgbench -n -c {clients} -j {threads} -T {secs} -f insert.sql <db>   # insert.sql: INSERT INTO t (v) VALUES ('x');"),
    })
}

/// Settings that decide PostgreSQL durability, as a new session on `url` sees them.
pub fn pg_durability(url: &str) -> anyhow::Result<Vec<(String, String)>> {
    let mut v = vec![];
    for name in ["synchronous_commit", "fsync", "full_page_writes", "wal_sync_method", "commit_delay"] {
        v.push((name.to_string(), psql(url, &format!("SHOW {name}"))?));
    }
    Ok(v)
}

/// Cluster-wide WAL sync count and the database's committed transactions.
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct PgCounters {
    pub wal_sync: i64,
    pub xact_commit: i64,
    /// Checkpoints started (timed and requested) since the statistics were reset.
    pub checkpoints: i64,
}

pub fn pg_counters(url: &str, dbname: &str) -> anyhow::Result<PgCounters> {
    let s = psql(
        url,
        &format!(
            "SELECT (SELECT wal_sync FROM pg_stat_wal), (SELECT xact_commit FROM pg_stat_database WHERE datname = '{dbname}'), \
             (SELECT checkpoints_timed + checkpoints_req FROM pg_stat_bgwriter)"
        ),
    )?;
    let mut it = s.split('|').map(|x| x.trim().parse::<i64>().unwrap_or(0));
    Ok(PgCounters { wal_sync: it.next().unwrap_or(0), xact_commit: it.next().unwrap_or(0), checkpoints: it.next().unwrap_or(0) })
}

/// CPU time so far of each PostgreSQL backend connected to `dbname`, by pid.
pub fn pg_backend_cpu(url: &str, dbname: &str) -> anyhow::Result<Vec<(u32, std::time::Duration)>> {
    let pids = psql(url, &format!("SELECT pid FROM pg_stat_activity WHERE datname = '{dbname}' AND pid <> pg_backend_pid()"))?;
    Ok(pids.lines().filter_map(|l| l.trim().parse::<u32>().ok()).filter_map(|p| Some((p, super::server::process_cpu_time(p)?))).collect())
}

/// CPU used between two samples (a process that started in between counts whole).
pub fn cpu_delta(before: &[(u32, std::time::Duration)], after: &[(u32, std::time::Duration)]) -> std::time::Duration {
    after
        .iter()
        .map(|(p, t)| match before.iter().find(|(q, _)| q == p) {
            Some((_, t0)) => t.saturating_sub(*t0),
            None => *t,
        })
        .sum()
}

/// Counts fsync/fdatasync calls of a running process (all its threads) for `secs`: with
/// `perf stat` on the syscall tracepoints (cheap), else with strace (slows the process
/// down a lot, so the ratio is taken at a lower rate). `None` if neither works here.
pub fn count_syncs(pid: u32, secs: f64) -> Option<(u64, &'static str)> {
    let perf = Command::new("perf")
        .args(["stat", "-x", ",", "-e", "syscalls:sys_enter_fsync,syscalls:sys_enter_fdatasync", "-p", &pid.to_string(), "--", "sleep", &format!("{secs}")])
        .output();
    if let Ok(out) = perf {
        let text = String::from_utf8_lossy(&out.stderr);
        let mut n = 0;
        let mut seen = false;
        for line in text.lines().filter(|l| l.contains("syscalls:sys_enter_")) {
            let first = line.split(',').next().unwrap_or("");
            // "<not counted>" means no such call happened in the window.
            n += first.parse::<u64>().unwrap_or(0);
            seen = true;
        }
        if out.status.success() && seen {
            return Some((n, "perf"));
        }
    }
    let out = Command::new("timeout")
        .args(["-s", "INT", &format!("{secs}"), "strace", "-f", "-c", "-e", "trace=fsync,fdatasync", "-p", &pid.to_string()])
        .output()
        .ok()?;
    let text = String::from_utf8_lossy(&out.stderr);
    if !text.contains("% time") {
        return None;
    }
    let mut n = 0;
    for line in text.lines() {
        let f: Vec<&str> = line.split_whitespace().collect();
        if f.last().is_some_and(|s| *s == "fsync" || *s == "fdatasync") && f.len() >= 5 {
            n += f[3].parse::<u64>().unwrap_or(0);
        }
    }
    Some((n, "strace"))
}

/// SQLite's journal mode as stored in the file header (bytes 18–19 are 2 in WAL mode).
pub fn sqlite_is_wal(path: &Path) -> Option<bool> {
    let mut b = [0u8; 20];
    std::io::Read::read_exact(&mut std::fs::File::open(path).ok()?, &mut b).ok()?;
    Some(b[18] == 2 && b[19] == 2)
}
