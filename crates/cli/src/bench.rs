//! `redress bench`: measures durable intake against a running release server, beside the
//! raw ceilings of the same machine (a bare fsync loop on the same disk, pgbench inserts at
//! the same concurrency). See bench/RESULTS.md for results and how to read them.

mod ceiling;
mod dashboard;
mod gen;
mod http;
mod instances;
mod load;
mod pages;
mod payload;
mod search;
mod server;
mod similar;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use serde::Serialize;

use ceiling::{FsyncCeiling, PgCounters, PgbenchCeiling, ThrowawayDb};
use load::{Requests, Stats};
use server::Server;

#[derive(clap::Args, Debug)]
pub struct BenchArgs {
    #[command(subcommand)]
    pub command: BenchCommand,
}

#[derive(clap::Subcommand, Debug)]
pub enum BenchCommand {
    /// Concurrent HTTP clients on loopback create cases against a release server started for
    /// the run; only 201s (sent after the case is durable) count. Prints cases/s and latency
    /// beside the raw fsync and pgbench ceilings measured in the same run.
    Intake(IntakeArgs),
    /// Only the raw ceilings: a bare fsync loop in DIR and pgbench inserts.
    Ceiling(CeilingArgs),
    /// Synthetic cases straight through the store (text from ../shared/data), for `bench search`.
    Gen(gen::GenArgs),
    /// Full-text index: build rate, query latency with filters, memory, beside SQLite FTS5.
    Search(search::SearchArgs),
    /// Similar-case index in memory: build time, memory, lookup p50/p99, beside a brute-force scan.
    Similar(similar::SimilarArgs),
    /// Console pages (workbench, case page, list) rendered on a large database, beside the JSON API.
    Pages(pages::PagesArgs),
    /// Intake with 1, 2, 3 server instances on one PostgreSQL, and the take-over time of the
    /// background jobs after the holder is killed with SIGKILL.
    Instances(instances::InstancesArgs),
    /// The dashboard's queries (指挥中心) on a large database, beside DuckDB on the same data.
    Dashboard(dashboard::DashboardArgs),
}

#[derive(clap::ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum BackendChoice {
    Sqlite,
    Postgres,
    Both,
}

#[derive(clap::ValueEnum, Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AuthChoice {
    Session,
    Token,
}

#[derive(clap::Args, Debug)]
pub struct IntakeArgs {
    /// Which database(s) to measure.
    #[arg(long, value_enum, default_value = "both")]
    pub backend: BackendChoice,
    /// Closed-loop client counts, comma-separated (each client has one keep-alive connection).
    #[arg(long, value_delimiter = ',', default_value = "32")]
    pub clients: Vec<usize>,
    /// Measured seconds of each closed-loop phase (after a warm-up).
    #[arg(long, default_value_t = 10)]
    pub seconds: u64,
    /// Warm-up seconds before each phase, not counted.
    #[arg(long, default_value_t = 2)]
    pub warmup: u64,
    /// Open-loop fixed rate (requests/s) for the latency phase; 0 skips it.
    #[arg(long, default_value_t = 2000.0)]
    pub rate: f64,
    /// Measured seconds of the open-loop phase.
    #[arg(long, default_value_t = 10)]
    pub rate_seconds: u64,
    /// Connections available to the open-loop phase.
    #[arg(long, default_value_t = 128)]
    pub rate_connections: usize,
    /// Cases stored before measuring (written in-process through `App::register`, with the
    /// same group-commit store), so memory is measured with a realistic database.
    #[arg(long, default_value_t = 0)]
    pub preload: u64,
    /// The `redress` binary to start as the server (default: this executable).
    #[arg(long)]
    pub server_bin: Option<PathBuf>,
    /// Extra arguments for `redress serve` (repeatable).
    #[arg(long = "server-arg", allow_hyphen_values = true)]
    pub server_args: Vec<String>,
    /// Where the summary JSON and server logs go; the SQLite database and the fsync probe
    /// file are created here too (so on the same disk).
    #[arg(long, default_value = "bench/out")]
    pub out: PathBuf,
    /// A PostgreSQL URL with rights to create databases; throw-away databases are made beside it.
    #[arg(long, env = "REDRESS_BENCH_PG_URL", default_value = "postgres://postgres@127.0.0.1:5432/test")]
    pub pg_url: String,
    /// Skip the fsync loop and pgbench.
    #[arg(long)]
    pub no_ceilings: bool,
    /// Skip counting the server's fsync calls (perf or strace) under load.
    #[arg(long)]
    pub no_sync_count: bool,
    /// How the load authenticates: `session` signs in as the demo clerk through
    /// POST /api/v1/auth/login and sends the session token as a bearer token; `token` uses an
    /// API token (as `redress token` issues), which the server checks with one read fewer.
    #[arg(long, value_enum, default_value = "session")]
    pub auth: AuthChoice,
    /// Before measuring, wait (up to this many seconds) until the server is idle: a fresh
    /// server may first build its search index or train models from the stored cases.
    #[arg(long, default_value_t = 900)]
    pub settle_timeout: u64,
    /// Keep the databases afterwards.
    #[arg(long)]
    pub keep: bool,
}

#[derive(clap::Args, Debug)]
pub struct CeilingArgs {
    /// Directory on the disk to measure.
    #[arg(long, default_value = ".")]
    pub dir: PathBuf,
    #[arg(long, value_delimiter = ',', default_value = "32")]
    pub clients: Vec<usize>,
    #[arg(long, default_value_t = 10)]
    pub seconds: u64,
    #[arg(long, env = "REDRESS_BENCH_PG_URL", default_value = "postgres://postgres@127.0.0.1:5432/test")]
    pub pg_url: String,
}

pub async fn run(args: BenchArgs) -> anyhow::Result<()> {
    match args.command {
        BenchCommand::Intake(a) => intake(a).await,
        BenchCommand::Gen(a) => gen::run(a).await,
        BenchCommand::Search(a) => search::run(a).await,
        BenchCommand::Pages(a) => pages::run(a).await,
        BenchCommand::Instances(a) => instances::run(a).await,
        BenchCommand::Dashboard(a) => dashboard::run(a).await,
        BenchCommand::Similar(a) => tokio::task::spawn_blocking(move || similar::run(a)).await?,
        BenchCommand::Ceiling(a) => {
            let c = ceilings(&a.dir, &a.clients, a.seconds, Some(&a.pg_url)).await;
            print_ceilings(&c);
            println!("{}", serde_json::to_string_pretty(&c)?);
            Ok(())
        }
    }
}

// ----- the report -----

#[derive(Debug, Serialize)]
struct Summary {
    started_at: String,
    machine: Machine,
    command: String,
    server_bin: String,
    ceilings: Ceilings,
    backends: Vec<BackendResult>,
}

#[derive(Debug, Serialize)]
struct Machine {
    cpus: usize,
    mem_total_gib: f64,
    kernel: String,
    disk: String,
    /// /proc/loadavg when the run started: other work on the machine skews the numbers.
    loadavg_at_start: String,
    /// Busy CPU (in cores) over 2 s before the run, while the bench itself did nothing: what
    /// other work took from the machine.
    background_busy_cores: Option<f64>,
}

#[derive(Debug, Default, Serialize)]
struct Ceilings {
    fsync: Vec<FsyncCeiling>,
    pgbench: Vec<PgbenchCeiling>,
    errors: Vec<String>,
}

#[derive(Debug, Serialize)]
struct BackendResult {
    backend: &'static str,
    database: String,
    auth: AuthChoice,
    durability: Vec<(String, String)>,
    preloaded: u64,
    preload_s: f64,
    closed_loop: Vec<Phase>,
    open_loop: Option<Phase>,
    syncs: Option<SyncProbe>,
    cases_stored: Option<u64>,
    rss_mib: Option<f64>,
    peak_rss_mib: Option<f64>,
}

#[derive(Debug, Serialize)]
struct Phase {
    clients: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    rate: Option<f64>,
    #[serde(flatten)]
    stats: Stats,
    /// Server CPU use during the phase, in cores (2.0 = both cores of a 2-core machine).
    server_cpu_cores: Option<f64>,
    /// CPU use of this load generator during the phase, in cores (it shares the machine).
    client_cpu_cores: Option<f64>,
    /// Busy CPU of the whole machine (server, load generator, PostgreSQL, anything else).
    machine_busy_cores: Option<f64>,
    /// CPU of the SQLite store's single writer thread, in cores: near 1.0 it is the limit.
    #[serde(skip_serializing_if = "Option::is_none")]
    writer_thread_cores: Option<f64>,
    /// Server CPU time per created case, in microseconds (PostgreSQL's own backends not
    /// included): what a case costs, however busy the machine was.
    server_cpu_us_per_case: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pg: Option<PgDelta>,
}

#[derive(Debug, Serialize)]
struct PgDelta {
    /// WAL flushes of the whole cluster during the phase (warm-up included).
    wal_syncs: i64,
    /// Checkpoints of the whole cluster that started during the phase.
    checkpoints: i64,
    /// Cases created in the same span.
    cases: u64,
    cases_per_wal_sync: f64,
    /// CPU of the PostgreSQL backends serving this database, in cores.
    backend_cpu_cores: Option<f64>,
}

#[derive(Debug, Serialize)]
struct SyncProbe {
    tool: &'static str,
    seconds: f64,
    fsync_calls: u64,
    cases: u64,
    cases_per_fsync: f64,
}

/// PostgreSQL counters and backend CPU around one phase.
struct PgProbe {
    url: String,
    name: String,
    counters: Option<PgCounters>,
    backends: Option<Vec<(u32, Duration)>>,
}

impl PgProbe {
    fn start(url: &str, name: &str) -> PgProbe {
        PgProbe {
            url: url.into(),
            name: name.into(),
            counters: ceiling::pg_counters(url, name).ok(),
            backends: ceiling::pg_backend_cpu(url, name).ok(),
        }
    }

    fn finish(self, cases: u64, since: Instant) -> Option<PgDelta> {
        let wall = since.elapsed().as_secs_f64();
        let after = ceiling::pg_counters(&self.url, &self.name).ok()?;
        let before = self.counters?;
        let backend_cpu_cores = self
            .backends
            .and_then(|b0| Some(ceiling::cpu_delta(&b0, &ceiling::pg_backend_cpu(&self.url, &self.name).ok()?).as_secs_f64() / wall));
        let wal_syncs = after.wal_sync - before.wal_sync;
        Some(PgDelta {
            wal_syncs,
            checkpoints: after.checkpoints - before.checkpoints,
            cases,
            cases_per_wal_sync: cases as f64 / wal_syncs.max(1) as f64,
            backend_cpu_cores,
        })
    }
}

// ----- ceilings -----

async fn ceilings(dir: &Path, clients: &[usize], secs: u64, pg: Option<&str>) -> Ceilings {
    let mut c = Ceilings::default();
    for append in [false, true] {
        let d = dir.to_path_buf();
        match tokio::task::spawn_blocking(move || ceiling::fsync_loop(&d, 3.0, append)).await {
            Ok(Ok(f)) => c.fsync.push(f),
            Ok(Err(e)) => c.errors.push(format!("fsync loop: {e:#}")),
            Err(e) => c.errors.push(format!("fsync loop: {e}")),
        }
    }
    if let Some(url) = pg {
        for &n in clients {
            let (u, d) = (url.to_string(), dir.to_path_buf());
            eprintln!("ceiling: pgbench single-row inserts, {n} clients, {secs} s");
            match tokio::task::spawn_blocking(move || ceiling::pgbench(&u, n, secs, &d)).await {
                Ok(Ok(p)) => c.pgbench.push(p),
                Ok(Err(e)) => c.errors.push(format!("pgbench: {e:#}")),
                Err(e) => c.errors.push(format!("pgbench: {e}")),
            }
        }
    }
    c
}

fn print_ceilings(c: &Ceilings) {
    println!("\nRaw ceilings (same run, same disk)");
    for f in &c.fsync {
        println!("  fsync loop, 4 KiB {:<20} {:>9.0} syncs/s   mean {:.3} ms   p99 {:.3} ms", f.mode, f.ops_per_s, f.mean_ms, f.p99_ms);
    }
    for p in &c.pgbench {
        println!("  pgbench single-row INSERT, {:>3} clients  {:>9.0} tx/s   mean {:.3} ms", p.clients, p.tps, p.latency_avg_ms.unwrap_or(f64::NAN));
    }
    for e in &c.errors {
        println!("  (not measured: {e})");
    }
}

// ----- one backend -----

struct Prepared {
    clerk_token: String,
}

/// Migrates, seeds the demo county and its accounts (no demo cases), issues an API token
/// for the intake clerk, and stores `preload` cases, all in-process.
async fn prepare(url: &str, preload: u64) -> anyhow::Result<(Prepared, f64)> {
    let store = redress_app::open_and_migrate(url).await.map_err(|e| anyhow::anyhow!("{e}"))?;
    let app = Arc::new(redress_app::App::new(store));
    app.seed_demo_if_empty(0).await.map_err(|e| anyhow::anyhow!("seeding: {e}"))?;
    let clerk = app.store.get_user_by_name("clerk").await?.context("demo clerk missing")?;
    let token = app.issue_token("bench", Some(clerk.id), "api").await.map_err(|e| anyhow::anyhow!("{e}"))?;
    let t0 = Instant::now();
    if preload > 0 {
        let bodies = Arc::new(payload::bodies(4096, 7));
        let next = Arc::new(AtomicU64::new(0));
        let org = clerk.org_id;
        let actor = redress_domain::event::Actor::User { id: clerk.id, name: clerk.display_name.clone() };
        let mut tasks = vec![];
        for _ in 0..64 {
            let (app, bodies, next, actor) = (app.clone(), bodies.clone(), next.clone(), actor.clone());
            tasks.push(tokio::spawn(async move {
                loop {
                    let k = next.fetch_add(1, Ordering::Relaxed);
                    if k >= preload {
                        return Ok::<_, anyhow::Error>(());
                    }
                    let mut intake: redress_app::cases::Intake = serde_json::from_slice(&bodies[k as usize % bodies.len()])?;
                    intake.matter.intake_org = org;
                    app.register(None, actor.clone(), intake).await.map_err(|e| anyhow::anyhow!("preload: {e}"))?;
                }
            }));
        }
        let progress = {
            let next = next.clone();
            tokio::spawn(async move {
                loop {
                    tokio::time::sleep(Duration::from_secs(10)).await;
                    let n = next.load(Ordering::Relaxed).min(preload);
                    eprintln!("  preload: {n}/{preload} cases ({:.0}/s)", n as f64 / t0.elapsed().as_secs_f64());
                }
            })
        };
        for t in tasks {
            t.await??;
        }
        progress.abort();
    }
    let secs = t0.elapsed().as_secs_f64();
    drop(app);
    // Let the store's writer finish and close before the server opens the same database.
    tokio::time::sleep(Duration::from_millis(200)).await;
    Ok((Prepared { clerk_token: token }, secs))
}

/// Signs in as the demo clerk over HTTP; the session token is used as a bearer token.
/// Falls back to the API token issued in `prepare` if the login route differs.
async fn login(addr: SocketAddr, fallback: &str) -> String {
    let body = serde_json::json!({ "username": "clerk", "password": redress_app::demo::DEMO_PASSWORD }).to_string();
    let req = http::build_request("POST", &addr.to_string(), "/api/v1/auth/login", None, Some(body.as_bytes()));
    match http::Conn::connect(addr).await {
        Ok(mut c) => match c.send(&req).await {
            Ok(r) if r.status == 200 => {
                if let Some(t) = http::json_str_field(&r.body, "token") {
                    return t;
                }
                eprintln!("  login answered without a token; using an API token");
            }
            Ok(r) => eprintln!("  login: HTTP {} {}; using an API token", r.status, r.text()),
            Err(e) => eprintln!("  login: {e}; using an API token"),
        },
        Err(e) => eprintln!("  login: {e}; using an API token"),
    }
    fallback.to_string()
}

/// Waits until the server uses less than a tenth of a core over a second (its start-up work
/// done), or `timeout`.
async fn settle(srv: &Server, timeout: Duration) {
    let t0 = Instant::now();
    let mut said = false;
    let mut last_said = t0;
    loop {
        let Some(c0) = srv.cpu_time() else { return };
        tokio::time::sleep(Duration::from_secs(1)).await;
        let Some(c1) = srv.cpu_time() else { return };
        let busy = c1.saturating_sub(c0).as_secs_f64();
        if busy < 0.1 {
            if said {
                eprintln!("  server idle after {:.0} s", t0.elapsed().as_secs_f64());
            }
            return;
        }
        if t0.elapsed() > timeout {
            eprintln!("  server still busy ({busy:.2} cores) after {} s; measuring anyway", timeout.as_secs());
            return;
        }
        if !said || last_said.elapsed() >= Duration::from_secs(30) {
            let rss = srv.rss_kib().map_or(String::new(), |(r, _)| format!(", RSS {} MiB", r / 1024));
            eprintln!("  server busy with start-up work ({busy:.2} cores{rss}); waiting");
            said = true;
            last_said = Instant::now();
        }
    }
}

fn per_case(cores: Option<f64>, s: &Stats) -> Option<f64> {
    cores.filter(|_| s.cases_per_s > 0.0).map(|c| c * 1e6 / s.cases_per_s)
}

/// Busy CPU time of the whole machine (all cores), from /proc/stat.
fn machine_busy() -> Option<Duration> {
    let s = std::fs::read_to_string("/proc/stat").ok()?;
    let f: Vec<u64> = s.lines().next()?.split_whitespace().skip(1).filter_map(|x| x.parse().ok()).collect();
    let total: u64 = f.iter().take(8).sum();
    let idle = f.get(3)? + f.get(4)?;
    Some(Duration::from_millis((total - idle) * 10))
}

/// The SQLite store's writer thread (names are cut to 15 bytes).
const WRITER_THREAD: &str = "redress-sqlite-";

#[derive(Clone, Copy)]
struct CpuMark {
    server: Option<Duration>,
    writer: Option<Duration>,
    me: Option<Duration>,
    machine: Option<Duration>,
    at: Instant,
}

struct CpuUse {
    server: Option<f64>,
    writer: Option<f64>,
    me: Option<f64>,
    machine: Option<f64>,
}

/// CPU cores used by the server (and its SQLite writer thread), by this process and by the
/// whole machine since `m`.
fn cpu_cores(server: &Server, m: CpuMark) -> CpuUse {
    let wall = m.at.elapsed().as_secs_f64();
    let per = |now: Option<Duration>, then: Option<Duration>| now.zip(then).map(|(a, b)| a.saturating_sub(b).as_secs_f64() / wall);
    CpuUse {
        server: per(server.cpu_time(), m.server),
        writer: per(server.thread_cpu_time(WRITER_THREAD), m.writer),
        me: per(server::process_cpu_time(std::process::id()), m.me),
        machine: per(machine_busy(), m.machine),
    }
}

fn cpu_mark(server: &Server) -> CpuMark {
    CpuMark {
        server: server.cpu_time(),
        writer: server.thread_cpu_time(WRITER_THREAD),
        me: server::process_cpu_time(std::process::id()),
        machine: machine_busy(),
        at: Instant::now(),
    }
}

async fn run_backend(a: &IntakeArgs, backend: &'static str, bin: &Path, out: &Path) -> anyhow::Result<BackendResult> {
    let stamp = chrono::Utc::now().format("%Y%m%d-%H%M%S").to_string();
    // The database: a file next to the output, or a throw-away PostgreSQL database.
    let mut pgdb = None;
    let url = if backend == "sqlite" {
        let path = std::fs::canonicalize(out)?.join(format!("bench-{stamp}.db"));
        format!("sqlite://{}", path.display())
    } else {
        let db = ThrowawayDb::create(&a.pg_url, "redress_bench").context("cannot create a PostgreSQL database (is it running? see --pg-url)")?;
        let u = db.url.clone();
        pgdb = Some(db);
        u
    };
    if let Some(db) = &mut pgdb {
        db.keep = a.keep;
    }
    let sqlite_path = url.strip_prefix("sqlite://").map(PathBuf::from);
    eprintln!("\n== {backend}: {url}");
    eprintln!("  preparing (migrate, demo accounts, {} preloaded cases)", a.preload);
    let (prep, preload_s) = prepare(&url, a.preload).await?;

    let mut durability = vec![];
    match backend {
        "sqlite" => {
            // The pragmas of a write connection opened by the same code the server runs.
            let store = redress_store_sqlite::SqliteStore::open_url(&url)?;
            let p = store.pragmas().await?;
            drop(store);
            let sync = match p.synchronous {
                0 => "OFF".to_string(),
                1 => "NORMAL".to_string(),
                2 => "FULL".to_string(),
                3 => "EXTRA".to_string(),
                n => n.to_string(),
            };
            durability.push(("journal_mode (writer connection)".into(), p.journal_mode));
            durability.push(("synchronous (writer connection)".into(), sync));
            let wal = sqlite_path.as_deref().and_then(ceiling::sqlite_is_wal);
            durability.push(("journal_mode (file header)".into(), if wal == Some(true) { "wal" } else { "not wal" }.into()));
        }
        _ => durability.extend(ceiling::pg_durability(&url)?),
    }

    let log = out.join(format!("server-{backend}-{stamp}.log"));
    // The server runs in a directory of its own, so whatever it keeps beside itself goes away.
    let cwd = std::fs::canonicalize(out)?.join(format!("server-{backend}-{stamp}"));
    std::fs::create_dir_all(&cwd)?;
    let mut args = server::serve_args(&url);
    args.extend(a.server_args.iter().cloned());
    let mut srv = Server::start(bin, &args, &cwd, &log, Duration::from_secs(120))?;
    eprintln!("  server pid {} at http://{} (log {})", srv.pid(), srv.addr, log.display());
    settle(&srv, Duration::from_secs(a.settle_timeout)).await;
    let token = match a.auth {
        AuthChoice::Session => login(srv.addr, &prep.clerk_token).await,
        AuthChoice::Token => prep.clerk_token.clone(),
    };
    let reqs = Arc::new(Requests::new(srv.addr, &token, &payload::bodies(2048, 42)));

    // Does a case go through at all?
    {
        let mut c = http::Conn::connect(srv.addr).await?;
        let r = c.send(&reqs.reqs[0]).await?;
        if r.status != 201 {
            bail!("POST /api/v1/cases answered HTTP {}: {}", r.status, r.text());
        }
    }

    let pg_name = pgdb.as_ref().map(|d| d.name.clone());

    let mut closed = vec![];
    for &n in &a.clients {
        eprintln!("  closed loop: {n} clients, {} s warm-up + {} s", a.warmup, a.seconds);
        let mark = cpu_mark(&srv);
        let probe = pg_name.as_deref().map(|name| PgProbe::start(&url, name));
        let raw = load::closed_loop(reqs.clone(), n, Duration::from_secs(a.warmup), Duration::from_secs(a.seconds)).await?;
        let cpu = cpu_cores(&srv, mark);
        let pg = probe.and_then(|p| p.finish(raw.created_all, mark.at));
        let stats = Stats::from_raw(raw, false);
        eprintln!("    {:.0} cases/s, p50 {:.1} ms, p99 {:.1} ms, errors {}", stats.cases_per_s, stats.p50_ms, stats.p99_ms, stats.errors);
        if let Some(e) = &stats.first_error {
            eprintln!("    first error: {e}");
        }
        closed.push(Phase { clients: n, rate: None, server_cpu_us_per_case: per_case(cpu.server, &stats), stats, server_cpu_cores: cpu.server, writer_thread_cores: cpu.writer, client_cpu_cores: cpu.me, machine_busy_cores: cpu.machine, pg });
    }

    // How many fsyncs the server makes per case under load (proves grouping and durability).
    let syncs = if a.no_sync_count || backend != "sqlite" {
        None
    } else {
        let n = a.clients.iter().copied().max().unwrap_or(32);
        let pid = srv.pid();
        let probe_s = 3.0;
        let strace = tokio::task::spawn_blocking(move || ceiling::count_syncs(pid, probe_s));
        let raw = load::closed_loop(reqs.clone(), n, Duration::from_millis(500), Duration::from_secs_f64(probe_s - 0.5)).await?;
        match strace.await? {
            Some((calls, tool)) => {
                let cases = raw.created;
                eprintln!("  {tool}: {calls} fsync/fdatasync calls for ~{cases} cases");
                Some(SyncProbe { tool, seconds: probe_s, fsync_calls: calls, cases, cases_per_fsync: cases as f64 / calls.max(1) as f64 })
            }
            None => {
                eprintln!("  neither perf nor strace works here: fsync count skipped");
                None
            }
        }
    };

    let open = if a.rate > 0.0 {
        eprintln!("  open loop: {} req/s for {} s ({} connections)", a.rate, a.rate_seconds, a.rate_connections);
        let mark = cpu_mark(&srv);
        let probe = pg_name.as_deref().map(|name| PgProbe::start(&url, name));
        let raw = load::open_loop(reqs.clone(), a.rate, a.rate_connections, Duration::from_secs(a.warmup), Duration::from_secs(a.rate_seconds)).await?;
        let cpu = cpu_cores(&srv, mark);
        let pg = probe.and_then(|p| p.finish(raw.created_all, mark.at));
        let stats = Stats::from_raw(raw, true);
        eprintln!("    {:.0} cases/s, p50 {:.1} ms, p99 {:.1} ms, errors {}", stats.cases_per_s, stats.p50_ms, stats.p99_ms, stats.errors);
        Some(Phase { clients: a.rate_connections, rate: Some(a.rate), server_cpu_us_per_case: per_case(cpu.server, &stats), stats, server_cpu_cores: cpu.server, writer_thread_cores: cpu.writer, client_cpu_cores: cpu.me, machine_busy_cores: cpu.machine, pg })
    } else {
        None
    };

    let rss = srv.rss_kib();
    srv.stop(Duration::from_secs(20));
    let cases_stored = count_cases(&url).await.ok();
    if !a.keep {
        if let Some(p) = &sqlite_path {
            for suffix in ["", "-wal", "-shm"] {
                let _ = std::fs::remove_file(format!("{}{suffix}", p.display()));
            }
            // A search index kept beside the database file.
            let _ = std::fs::remove_dir_all(format!("{}.index", p.display()));
        }
        let _ = std::fs::remove_dir_all(&cwd);
    }
    drop(pgdb);
    Ok(BackendResult {
        backend,
        database: url,
        auth: a.auth,
        durability,
        preloaded: a.preload,
        preload_s,
        closed_loop: closed,
        open_loop: open,
        syncs,
        cases_stored,
        rss_mib: rss.map(|(r, _)| r as f64 / 1024.0),
        peak_rss_mib: rss.map(|(_, p)| p as f64 / 1024.0),
    })
}

async fn count_cases(url: &str) -> anyhow::Result<u64> {
    let store = redress_app::open_store(url).await.map_err(|e| anyhow::anyhow!("{e}"))?;
    Ok(store.count_cases().await?.max(0) as u64)
}

fn machine(dir: &Path) -> Machine {
    let mem = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with("MemTotal:")).and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok()))
        .unwrap_or(0.0);
    let disk = std::process::Command::new("df")
        .args(["-h", "--output=source,fstype,size,avail"])
        .arg(dir)
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).lines().nth(1).unwrap_or("").split_whitespace().collect::<Vec<_>>().join(" "))
        .unwrap_or_default();
    Machine {
        cpus: std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0),
        mem_total_gib: mem / 1024.0 / 1024.0,
        kernel: std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default().trim().to_string(),
        disk,
        loadavg_at_start: String::new(),
        background_busy_cores: None,
    }
}

fn ratio(x: f64, of: f64) -> String {
    if of > 0.0 {
        format!("{:.2}×", x / of)
    } else {
        "-".into()
    }
}

fn print_summary(s: &Summary) {
    let m = &s.machine;
    println!("\nredress bench intake — {}", s.started_at);
    println!(
        "machine: {} CPUs, {:.1} GiB, kernel {}, disk {}; load average at start {}, other work busy {} cores",
        m.cpus,
        m.mem_total_gib,
        m.kernel,
        m.disk,
        m.loadavg_at_start,
        m.background_busy_cores.map_or("?".into(), |b| format!("{b:.2}"))
    );
    print_ceilings(&s.ceilings);
    let fsync = s.ceilings.fsync.first().map_or(0.0, |f| f.ops_per_s);
    for b in &s.backends {
        println!(
            "\n{} ({} cases stored at the end; {} preloaded; auth by {:?})",
            b.backend,
            b.cases_stored.map_or("?".into(), |n| n.to_string()),
            b.preloaded,
            b.auth
        );
        for (k, v) in &b.durability {
            println!("  {k} = {v}");
        }
        println!(
            "  {:<22} {:>9} {:>8} {:>8} {:>8} {:>8} {:>7} {:>13} {:>8} {:>10} {:>10}",
            "phase", "cases/s", "p50 ms", "p95 ms", "p99 ms", "max ms", "errors", "cpu s/c/all", "µs/case", "÷ fsync", "÷ pgbench"
        );
        let rows = b.closed_loop.iter().map(|p| (format!("closed, {} clients", p.clients), p)).chain(b.open_loop.iter().map(|p| (format!("open, {:.0} req/s", p.rate.unwrap_or(0.0)), p)));
        for (name, p) in rows {
            let pgb = s.ceilings.pgbench.iter().find(|x| x.clients == p.clients).map_or(0.0, |x| x.tps);
            let st = &p.stats;
            println!(
                "  {:<22} {:>9.0} {:>8.1} {:>8.1} {:>8.1} {:>8.1} {:>7} {:>13} {:>8} {:>10} {:>10}",
                name,
                st.cases_per_s,
                st.p50_ms,
                st.p95_ms,
                st.p99_ms,
                st.max_ms,
                st.errors,
                [p.server_cpu_cores, p.client_cpu_cores, p.machine_busy_cores].iter().map(|c| c.map_or("-".into(), |c| format!("{c:.1}"))).collect::<Vec<_>>().join("/"),
                p.server_cpu_us_per_case.map_or("-".into(), |u| format!("{u:.0}")),
                ratio(st.cases_per_s, fsync),
                if p.rate.is_some() { "-".into() } else { ratio(st.cases_per_s, pgb) },
            );
            if !st.timeline.is_empty() {
                let maxes: Vec<String> = st.timeline.iter().map(|x| format!("{:.0}", x.max_ms)).collect();
                println!("  {:<22} slowest request of each second (ms): {}", "", maxes.join(" "));
            }
            if let Some(w) = p.writer_thread_cores {
                println!("  {:<22} SQLite writer thread busy {:.2} cores", "", w);
            }
            if let Some(pg) = &p.pg {
                println!(
                    "  {:<22} {} cases, {} WAL syncs (cluster-wide): {:.1} cases per sync; {} checkpoints; PostgreSQL backends used {} cores",
                    "",
                    pg.cases,
                    pg.wal_syncs,
                    pg.cases_per_wal_sync,
                    pg.checkpoints,
                    pg.backend_cpu_cores.map_or("?".into(), |c| format!("{c:.2}"))
                );
            }
        }
        if let Some(sp) = &b.syncs {
            println!("  fsync calls ({}, {:.0} s): {} for {} cases = {:.1} cases per fsync", sp.tool, sp.seconds, sp.fsync_calls, sp.cases, sp.cases_per_fsync);
        }
        if let (Some(r), Some(p)) = (b.rss_mib, b.peak_rss_mib) {
            println!("  server RSS at the end: {r:.0} MiB (peak {p:.0} MiB)");
        }
    }
}

async fn intake(a: IntakeArgs) -> anyhow::Result<()> {
    if a.clients.is_empty() || a.clients.contains(&0) {
        bail!("--clients needs at least one count above 0");
    }
    std::fs::create_dir_all(&a.out).with_context(|| format!("cannot create {}", a.out.display()))?;
    let bin = match &a.server_bin {
        Some(p) => p.clone(),
        None => std::env::current_exe()?,
    };
    if bin.components().any(|c| c.as_os_str() == "debug") {
        eprintln!("warning: {} looks like a debug build; measure a release build (cargo build --release -p redress-cli)", bin.display());
    }
    let started_at = chrono::Local::now().to_rfc3339();
    let loadavg = std::fs::read_to_string("/proc/loadavg").unwrap_or_default().split_whitespace().take(3).collect::<Vec<_>>().join(" ");
    let background = {
        let (b0, t0) = (machine_busy(), Instant::now());
        tokio::time::sleep(Duration::from_secs(2)).await;
        machine_busy().zip(b0).map(|(b1, b0)| b1.saturating_sub(b0).as_secs_f64() / t0.elapsed().as_secs_f64())
    };
    if let Some(b) = background.filter(|b| *b > 0.2) {
        eprintln!("warning: other work keeps {b:.1} CPU cores busy on this machine; the numbers will be lower than on a quiet one");
    }
    let backends: Vec<&'static str> = match a.backend {
        BackendChoice::Sqlite => vec!["sqlite"],
        BackendChoice::Postgres => vec!["postgres"],
        BackendChoice::Both => vec!["sqlite", "postgres"],
    };
    let ceil = if a.no_ceilings {
        Ceilings::default()
    } else {
        eprintln!("ceiling: fsync loop in {}", a.out.display());
        ceilings(&a.out, &a.clients, a.seconds, backends.contains(&"postgres").then_some(a.pg_url.as_str())).await
    };
    let mut results = vec![];
    let mut failures = vec![];
    for b in backends {
        // One backend failing (PostgreSQL down, say) still reports the other.
        match run_backend(&a, b, &bin, &a.out).await {
            Ok(r) => results.push(r),
            Err(e) => {
                eprintln!("{b} run failed: {e:#}");
                failures.push(format!("{b}: {e:#}"));
            }
        }
    }
    let summary = Summary {
        started_at,
        machine: Machine { loadavg_at_start: loadavg, background_busy_cores: background, ..machine(&a.out) },
        command: std::env::args().collect::<Vec<_>>().join(" "),
        server_bin: bin.display().to_string(),
        ceilings: ceil,
        backends: results,
    };
    print_summary(&summary);
    let file = a.out.join(format!("intake-{}.json", chrono::Utc::now().format("%Y%m%d-%H%M%S")));
    std::fs::write(&file, serde_json::to_string_pretty(&summary)?)?;
    println!("\nsummary written to {}", file.display());
    if !failures.is_empty() {
        bail!("not measured: {}", failures.join("; "));
    }
    Ok(())
}
