//! `redress bench instances`: intake throughput with 1, 2, 3… `redress serve` processes on one
//! PostgreSQL database (the closed-loop clients spread evenly over them), and how long it
//! takes another instance to take the background jobs over after the holder is killed with
//! SIGKILL.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use chrono::Utc;
use serde::Serialize;

use super::ceiling::ThrowawayDb;
use super::load::{closed_loop, Raw, Requests, Stats};
use super::server::{serve_args, Server};
use super::{machine_busy, payload, prepare};

#[derive(clap::Args, Debug)]
pub struct InstancesArgs {
    /// Instance counts to measure, comma-separated.
    #[arg(long, value_delimiter = ',', default_value = "1,2,3")]
    pub instances: Vec<usize>,
    /// Closed-loop clients in all, spread evenly over the instances.
    #[arg(long, default_value_t = 64)]
    pub clients: usize,
    /// Measured seconds per instance count (after the warm-up).
    #[arg(long, default_value_t = 10)]
    pub seconds: u64,
    #[arg(long, default_value_t = 2)]
    pub warmup: u64,
    /// Job take-over measurements (each: three instances, SIGKILL the holder); 0 skips them.
    #[arg(long, default_value_t = 3)]
    pub takeover_rounds: usize,
    /// The `redress` binary to start as the servers (default: this executable).
    #[arg(long)]
    pub server_bin: Option<PathBuf>,
    /// Where the summary JSON and the server logs go.
    #[arg(long, default_value = "bench/out")]
    pub out: PathBuf,
    /// A PostgreSQL URL with rights to create databases; throw-away databases are made beside it.
    #[arg(long, env = "REDRESS_BENCH_PG_URL", default_value = "postgres://postgres@127.0.0.1:5432/test")]
    pub pg_url: String,
}

#[derive(Debug, Serialize)]
struct Phase {
    instances: usize,
    clients: usize,
    stats: Stats,
    /// CPU seconds per second of each server over the measured run (warm-up included).
    server_cores: Vec<f64>,
    /// Busy cores of the whole machine meanwhile (servers, load generator, PostgreSQL, others).
    machine_cores: f64,
}

#[derive(Debug, Serialize)]
struct Takeover {
    /// From the SIGKILL until a survivor holds the lease.
    lease_ms: u128,
    /// From the SIGKILL until a survivor started a run of the job.
    first_run_ms: u128,
}

#[derive(Debug, Serialize)]
struct Summary {
    started_at: String,
    loadavg_before: String,
    phases: Vec<Phase>,
    takeovers: Vec<Takeover>,
}

pub async fn run(a: InstancesArgs) -> anyhow::Result<()> {
    std::fs::create_dir_all(&a.out)?;
    let bin = match &a.server_bin {
        Some(p) => p.clone(),
        None => std::env::current_exe()?,
    };
    if bin.components().any(|c| c.as_os_str() == "debug") {
        eprintln!("warning: {} looks like a debug build; measure a release build (cargo build --release -p redress-cli)", bin.display());
    }
    let loadavg_before = std::fs::read_to_string("/proc/loadavg").unwrap_or_default().split_whitespace().take(3).collect::<Vec<_>>().join(" ");
    let mut summary = Summary { started_at: chrono::Local::now().to_rfc3339(), loadavg_before, phases: vec![], takeovers: vec![] };
    let bodies = payload::bodies(2048, 1);
    for &n in &a.instances {
        let db = ThrowawayDb::create(&a.pg_url, "redress_bench_inst")?;
        let (prepared, _) = prepare(&db.url, 0).await?;
        let dir = a.out.join(format!("instances-{n}"));
        std::fs::create_dir_all(&dir)?;
        let mut servers = vec![];
        for i in 0..n {
            let log = dir.join(format!("server-{i}.log"));
            servers.push(Server::start(&bin, &serve_args(&db.url), &dir, &log, Duration::from_secs(120))?);
        }
        let cpu0: Vec<Duration> = servers.iter().map(|s| s.cpu_time().unwrap_or_default()).collect();
        let (busy0, t0) = (machine_busy(), Instant::now());
        let per = (a.clients / n).max(1);
        let mut tasks = vec![];
        for s in &servers {
            let reqs = Arc::new(Requests::new(s.addr, &prepared.clerk_token, &bodies));
            tasks.push(tokio::spawn(closed_loop(reqs, per, Duration::from_secs(a.warmup), Duration::from_secs(a.seconds))));
        }
        let mut raw = Raw { window: Duration::from_secs(a.seconds), ..Raw::default() };
        for t in tasks {
            raw.merge(t.await??);
        }
        let wall = t0.elapsed().as_secs_f64();
        let machine_cores = match (busy0, machine_busy()) {
            (Some(b0), Some(b1)) => b1.saturating_sub(b0).as_secs_f64() / wall,
            _ => f64::NAN,
        };
        let server_cores = servers.iter().zip(&cpu0).map(|(s, c0)| (s.cpu_time().unwrap_or_default().saturating_sub(*c0)).as_secs_f64() / wall).collect();
        for s in servers.iter_mut() {
            s.stop(Duration::from_secs(20));
        }
        let stats = Stats::from_raw(raw, false);
        eprintln!(
            "{n} instance(s), {} clients: {:.0} cases/s, p50 {:.1} ms, p99 {:.1} ms, errors {}; machine {:.2} cores busy",
            per * n,
            stats.cases_per_s,
            stats.p50_ms,
            stats.p99_ms,
            stats.errors,
            machine_cores
        );
        summary.phases.push(Phase { instances: n, clients: per * n, stats, server_cores, machine_cores });
    }

    if a.takeover_rounds > 0 {
        let db = ThrowawayDb::create(&a.pg_url, "redress_bench_takeover")?;
        prepare(&db.url, 0).await?;
        let store = redress_app::open_store(&db.url).await.map_err(|e| anyhow::anyhow!("{e}"))?;
        let dir = a.out.join("takeover");
        std::fs::create_dir_all(&dir)?;
        for round in 0..a.takeover_rounds {
            let mut servers = vec![];
            let mut ids = vec![];
            for i in 0..3 {
                let id = format!("r{round}-i{i}");
                let mut args = serve_args(&db.url);
                args.extend(["--job-interval-ms".into(), "1000".into(), "--instance-id".into(), id.clone()]);
                servers.push(Server::start(&bin, &args, &dir, &dir.join(format!("{id}.log")), Duration::from_secs(120))?);
                ids.push(id);
            }
            // Wait until one of this round's instances holds the deadline scan.
            let t0 = Instant::now();
            let victim = loop {
                let leases = store.leases().await?;
                if let Some(l) = leases.iter().find(|l| l.job == "deadline_scan" && l.expires_at > Utc::now() && ids.contains(&l.holder)) {
                    break ids.iter().position(|i| *i == l.holder).expect("one of ours");
                }
                if t0.elapsed() > Duration::from_secs(30) {
                    bail!("no instance took the deadline scan within 30 s");
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            };
            // Kill it mid-lease (at a random moment of its renewal cycle).
            tokio::time::sleep(Duration::from_millis(500 + rand::random::<u64>() % 1000)).await;
            let (killed_at, killed_instant) = (Utc::now(), Instant::now());
            servers[victim].kill();
            let mut lease_ms = None;
            let first_run_ms = loop {
                if lease_ms.is_none() {
                    let leases = store.leases().await?;
                    if leases.iter().any(|l| l.job == "deadline_scan" && l.holder != ids[victim] && l.expires_at > Utc::now()) {
                        lease_ms = Some(killed_instant.elapsed().as_millis());
                    }
                }
                let runs = store.job_runs(Some("deadline_scan"), 20).await?;
                if let Some(r) = runs.iter().find(|r| r.holder != ids[victim] && r.started_at > killed_at) {
                    break (r.started_at - killed_at).num_milliseconds().max(0) as u128;
                }
                if killed_instant.elapsed() > Duration::from_secs(60) {
                    bail!("no survivor ran the deadline scan within 60 s of the kill");
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            };
            let lease_ms = lease_ms.context("lease taken over")?;
            eprintln!("take-over round {}: lease after {lease_ms} ms, first run after {first_run_ms} ms", round + 1);
            summary.takeovers.push(Takeover { lease_ms, first_run_ms });
            for s in servers.iter_mut() {
                s.stop(Duration::from_secs(20));
            }
        }
    }
    let path = a.out.join(format!("instances-{}.json", chrono::Local::now().format("%Y%m%d-%H%M%S")));
    std::fs::write(&path, serde_json::to_string_pretty(&summary)?)?;
    println!("{}", serde_json::to_string_pretty(&summary)?);
    eprintln!("summary written to {}", path.display());
    Ok(())
}
