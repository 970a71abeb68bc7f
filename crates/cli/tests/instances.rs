//! Several `redress serve` processes on one PostgreSQL database (issue 8): three instances
//! share sessions and cases, take concurrent writes while one of them is killed with SIGKILL,
//! and run their background jobs exactly once between them, with a surviving instance taking
//! the dead one's jobs over within 10 s. Afterwards every acknowledged case is stored once,
//! `redress verify` passes (one hash chain: no fork, gap or duplicate), and every job run slot
//! was run by one instance only (from the `job_runs` table and, independently, from the
//! three servers' JSON logs).

mod common;

use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{bail, ensure, Context};
use chrono::Utc;

use common::http::{build_request, json_str_field, Conn};
use common::{id_and_code, payload, scratch_dir, Ack, Server};

const WRITERS: usize = 12;
const JOB_INTERVAL_MS: &str = "400";

fn start(url: &str, dir: &Path, name: &str) -> anyhow::Result<Server> {
    common::start_server(url, &dir.join(format!("{name}.log")), &["--log-json", "--job-interval-ms", JOB_INTERVAL_MS, "--instance-id", name])
}

/// The demo county with a few dozen demo cases in every state (some overdue, some under
/// overdue supervision), so the deadline scan and the escalation have work.
async fn prepare(url: &str) -> anyhow::Result<String> {
    let store = redress_app::open_and_migrate(url).await?;
    let app = redress_app::App::new(store);
    app.seed_demo_if_empty(60).await?;
    let clerk = app.store.get_user_by_name("clerk").await?.context("demo clerk")?;
    Ok(app.issue_token("instances-test", Some(clerk.id), "api").await?)
}

async fn call(addr: SocketAddr, method: &str, path: &str, token: Option<&str>, body: Option<&[u8]>) -> anyhow::Result<common::http::Response> {
    let mut c = Conn::connect(addr).await?;
    Ok(c.send(&build_request(method, &addr.to_string(), path, token, body)).await?)
}

/// A session made through one instance works on the others, and ends on all at logout.
async fn sessions_are_shared(addrs: &[SocketAddr]) -> anyhow::Result<()> {
    let body = br#"{"username":"clerk","password":"redress-demo"}"#;
    let r = call(addrs[0], "POST", "/api/v1/auth/login", None, Some(body)).await?;
    ensure!(r.status == 200, "login on instance a: HTTP {} {}", r.status, r.text());
    let token = json_str_field(&r.body, "token").context("login answer without token")?;
    for (i, a) in addrs.iter().enumerate() {
        let r = call(*a, "GET", "/api/v1/me", Some(&token), None).await?;
        ensure!(r.status == 200 && r.text().contains("\"clerk\""), "session from a on instance {i}: HTTP {} {}", r.status, r.text());
    }
    let r = call(addrs[1], "POST", "/api/v1/auth/logout", Some(&token), None).await?;
    ensure!(r.status == 204, "logout on b: HTTP {}", r.status);
    let r = call(addrs[2], "GET", "/api/v1/me", Some(&token), None).await?;
    ensure!(r.status == 401, "session ended on b still works on c: HTTP {}", r.status);
    Ok(())
}

/// A case created on one instance is seen, and changed, through the others at once.
async fn cases_are_shared(addrs: &[SocketAddr], token: &str) -> anyhow::Result<()> {
    let body = payload::bodies(1, 11).remove(0);
    let r = call(addrs[0], "POST", "/api/v1/cases", Some(token), Some(&body)).await?;
    ensure!(r.status == 201, "create on a: HTTP {} {}", r.status, r.text());
    let (id, code) = id_and_code(&r.body).context("201 without id")?;
    let r = call(addrs[1], "GET", &format!("/api/v1/cases/{id}"), Some(token), None).await?;
    ensure!(r.status == 200 && id_and_code(&r.body).is_some_and(|(_, c)| c == code), "case from a on b: HTTP {} {}", r.status, r.text());
    let accept = br#"{"action":"accept"}"#;
    let r = call(addrs[1], "POST", &format!("/api/v1/cases/{id}/actions"), Some(token), Some(accept)).await?;
    ensure!(r.status == 200, "accept on b: HTTP {} {}", r.status, r.text());
    let r = call(addrs[2], "GET", &format!("/api/v1/cases/{id}"), Some(token), None).await?;
    ensure!(json_str_field(&r.body, "status").as_deref() == Some("accepted"), "change on b not seen on c: {}", r.text());
    Ok(())
}

struct Load {
    acks: Arc<Mutex<Vec<Ack>>>,
    stop: Arc<AtomicBool>,
    killed: Arc<Mutex<Option<usize>>>,
    bad: Arc<Mutex<Option<String>>>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

/// `WRITERS` clients, spread over the instances, create cases until told to stop. Clients of
/// a killed instance stop at their first failure; any other failure is an error.
fn start_load(addrs: &[SocketAddr], token: &str) -> Load {
    let bodies = Arc::new(payload::bodies(256, 42));
    let load = Load {
        acks: Default::default(),
        stop: Default::default(),
        killed: Default::default(),
        bad: Default::default(),
        tasks: vec![],
    };
    let mut tasks = vec![];
    for w in 0..WRITERS {
        let inst = w % addrs.len();
        let addr = addrs[inst];
        let (bodies, token) = (bodies.clone(), token.to_string());
        let (acks, stop, killed, bad) = (load.acks.clone(), load.stop.clone(), load.killed.clone(), load.bad.clone());
        tasks.push(tokio::spawn(async move {
            let Ok(mut conn) = Conn::connect(addr).await else { return };
            let mut i = w;
            while !stop.load(Ordering::Relaxed) {
                let req = build_request("POST", &addr.to_string(), "/api/v1/cases", Some(&token), Some(&bodies[i % bodies.len()]));
                let r = conn.send(&req).await;
                let mine_dead = *killed.lock().unwrap() == Some(inst);
                match r {
                    Ok(r) if r.status == 201 => match id_and_code(&r.body) {
                        Some((id, code)) => acks.lock().unwrap().push(Ack { id, code }),
                        None => *bad.lock().unwrap() = Some(format!("201 without id: {}", r.text())),
                    },
                    _ if mine_dead => return,
                    Ok(r) => {
                        *bad.lock().unwrap() = Some(format!("instance {inst}: HTTP {} {}", r.status, r.text()));
                        return;
                    }
                    Err(e) => {
                        *bad.lock().unwrap() = Some(format!("instance {inst}: {e}"));
                        return;
                    }
                }
                i += WRITERS;
            }
        }));
    }
    Load { tasks, ..load }
}

/// `job run finished` lines of a server's JSON log: (job, slot) → count.
fn finished_runs_in_log(log: &Path, into: &mut HashMap<(String, i64), Vec<String>>, who: &str) {
    let text = std::fs::read_to_string(log).unwrap_or_default();
    for line in text.lines() {
        let Ok(v) = serde_json::from_str::<serde_json::Value>(line) else { continue };
        let f = &v["fields"];
        if f["message"] == "job run finished" {
            if let (Some(job), Some(slot)) = (f["job"].as_str(), f["slot"].as_i64()) {
                into.entry((job.to_string(), slot)).or_default().push(who.to_string());
            }
        }
    }
}

async fn three_instances(url: &str, dir: &Path) -> anyhow::Result<()> {
    let token = prepare(url).await?;
    let names = ["a", "b", "c"];
    let mut servers = vec![];
    for n in names {
        servers.push(start(url, dir, n)?);
    }
    let addrs: Vec<SocketAddr> = servers.iter().map(|s| s.addr).collect();
    sessions_are_shared(&addrs).await?;
    cases_are_shared(&addrs, &token).await?;

    let store = redress_app::open_store(url).await?;
    // Wait until every job has a holder.
    let t0 = Instant::now();
    loop {
        let leases = store.leases().await?;
        if leases.len() >= 4 && leases.iter().all(|l| l.expires_at > Utc::now()) {
            break;
        }
        ensure!(t0.elapsed() < Duration::from_secs(30), "jobs not leased within 30 s: {leases:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    let load = start_load(&addrs, &token);
    let t0 = Instant::now();
    while load.acks.lock().unwrap().len() < 300 && t0.elapsed() < Duration::from_secs(60) && load.bad.lock().unwrap().is_none() {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    if let Some(b) = load.bad.lock().unwrap().take() {
        bail!("before the kill: {b}");
    }
    // Kill the instance holding the deadline scan, mid-load.
    let leases = store.leases().await?;
    let holder = leases.iter().find(|l| l.job == "deadline_scan").context("deadline_scan lease")?.holder.clone();
    let victim = names.iter().position(|n| *n == holder).context("holder is one of ours")?;
    let victim_jobs: Vec<String> = leases.iter().filter(|l| l.holder == holder).map(|l| l.job.clone()).collect();
    *load.killed.lock().unwrap() = Some(victim);
    let killed_at = Utc::now();
    servers[victim].kill();
    eprintln!("killed instance {holder} holding {victim_jobs:?} with {} cases acknowledged", load.acks.lock().unwrap().len());

    // Load goes on through the survivors while their runners take the jobs' leases over.
    let mut lease_taken: HashMap<String, Duration> = HashMap::new();
    let t_kill = Instant::now();
    while t_kill.elapsed() < Duration::from_secs(12) {
        for l in store.leases().await? {
            if victim_jobs.contains(&l.job) && l.holder != holder && l.expires_at > Utc::now() {
                lease_taken.entry(l.job.clone()).or_insert_with(|| t_kill.elapsed());
            }
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    load.stop.store(true, Ordering::Relaxed);
    for t in load.tasks {
        t.await?;
    }
    if let Some(b) = load.bad.lock().unwrap().take() {
        bail!("{b}");
    }
    let acks = load.acks.lock().unwrap().clone();
    let after_kill = acks.len();

    // Take-over: a survivor holds each job the dead instance held within 10 s, and runs each
    // interval job within 10 s (the daily retraining already ran today: it must not run again).
    for job in &victim_jobs {
        let took = lease_taken.get(job).with_context(|| format!("no survivor took the lease of {job}"))?;
        eprintln!("{job}: lease taken over after {took:?}");
        ensure!(*took < Duration::from_secs(10), "{job}: lease taken over only after {took:?}");
    }
    let runs = store.job_runs(None, 10_000).await?;
    for job in victim_jobs.iter().filter(|j| *j != "routing_retrain") {
        let first = runs
            .iter()
            .filter(|r| &r.job == job && r.holder != holder && r.started_at > killed_at)
            .map(|r| r.started_at)
            .min()
            .with_context(|| format!("no survivor ran {job} after the kill"))?;
        let took = (first - killed_at).to_std()?;
        eprintln!("{job}: first run by a survivor after {took:?}");
        ensure!(took < Duration::from_secs(10), "{job} was taken over only after {took:?}");
    }
    let leases = store.leases().await?;
    ensure!(leases.iter().all(|l| l.holder != holder || l.expires_at < Utc::now()), "the dead instance still holds a live lease: {leases:?}");

    // Each slot ran once: every recorded run but each job's newest finished, and the servers'
    // logs report each finished slot once, by the instance recorded for it.
    let mut logged = HashMap::new();
    for (i, n) in names.iter().enumerate() {
        finished_runs_in_log(&servers[i].log, &mut logged, n);
    }
    let mut per_job: BTreeMap<&str, usize> = BTreeMap::new();
    for r in &runs {
        *per_job.entry(r.job.as_str()).or_default() += 1;
        let newest = runs.iter().filter(|x| x.job == r.job).map(|x| x.slot).max() == Some(r.slot);
        ensure!(r.finished_at.is_some() || newest || r.holder == holder, "run {} slot {} never finished: {r:?}", r.job, r.slot);
        if r.finished_at.is_some() {
            let by = logged.get(&(r.job.clone(), r.slot)).cloned().unwrap_or_default();
            // (The killed instance may have died between recording a run and logging it.)
            let as_recorded = by == vec![r.holder.clone()] || (by.is_empty() && r.holder == holder);
            ensure!(as_recorded, "{} slot {} finished by {:?} per the logs, recorded for {}", r.job, r.slot, by, r.holder);
        }
    }
    for ((job, slot), by) in &logged {
        ensure!(by.len() == 1, "{job} slot {slot} ran {} times: {by:?}", by.len());
        ensure!(runs.iter().any(|r| &r.job == job && r.slot == *slot), "{job} slot {slot} ran without a record");
    }
    ensure!(per_job.get("deadline_scan").copied().unwrap_or(0) >= 10, "too few deadline scans: {per_job:?}");
    ensure!(per_job.get("routing_retrain").copied() == Some(1), "routing retrained once a day, not {per_job:?}");

    // The scan reminded once per case, kind and deadline, in runs that are recorded.
    let reminders = store.reminders(None, 100_000).await?;
    ensure!(!reminders.is_empty(), "the demo's overdue cases got no reminder");
    for r in &reminders {
        ensure!(runs.iter().any(|x| x.job == r.job && x.slot == r.slot), "reminder from an unrecorded run: {r:?}");
    }

    // A survivor's /metrics shows the jobs: which leases it holds, how long ago each ran.
    let survivor = (victim + 1) % names.len();
    let r = call(addrs[survivor], "GET", "/metrics", None, None).await?;
    let metrics = r.text();
    for job in ["deadline_scan", "supervision_escalation", "housekeeping"] {
        let line = format!("redress_job_last_run_age_seconds{{job=\"{job}\"}} ");
        let age: f64 = metrics.lines().find_map(|l| l.strip_prefix(&line)).with_context(|| format!("no {line} in /metrics"))?.parse()?;
        ensure!(age < 5.0, "{job} last ran {age} s ago");
    }
    ensure!(metrics.contains("redress_job_lease_held{job=\"deadline_scan\"}"), "no lease gauge in /metrics");

    // `redress jobs list` names the survivors as the holders.
    let out = std::process::Command::new(common::BIN).args(["--database", url, "jobs", "list", "--json"]).output()?;
    ensure!(out.status.success(), "jobs list failed: {}", String::from_utf8_lossy(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout)?;
    let jobs = v["jobs"].as_array().context("jobs")?;
    ensure!(jobs.len() == redress_app::jobs::JobOptions::default().specs().len(), "jobs list: {v}");
    for j in jobs {
        let h = j["lease"]["holder"].as_str().unwrap_or_default();
        ensure!(j["lease_live"] == true && h != holder && names.contains(&h), "jobs list: {j}");
    }

    // Every acknowledged case is stored once; the chain verifies.
    let stored = common::check_acknowledged(url, &acks).await?;
    eprintln!("{after_kill} cases acknowledged ({stored} stored), runs per job {per_job:?}, {} reminders", reminders.len());
    drop(store);
    for s in servers.iter_mut() {
        s.stop(Duration::from_secs(20));
    }
    common::verify(url)?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn three_instances_share_sessions_and_cases_and_run_each_job_once_across_a_sigkill() {
    let (admin, url, name) = common::create_pg_database().await;
    let dir = scratch_dir("instances");
    let result = three_instances(&url, &dir).await;
    common::drop_pg_database(&admin, &name).await;
    if let Err(e) = result {
        panic!("{e:#}\nserver logs in {}", dir.display());
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// Waits until at least `room` seconds remain of the current fixed window of `secs`, so a
/// test's requests all land in one window.
async fn wait_for_window_room(secs: i64, room: i64) {
    while secs - Utc::now().timestamp().rem_euclid(secs) < room {
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

async fn limits_are_shared(url: &str, dir: &Path) -> anyhow::Result<()> {
    prepare(url).await?;
    let a = common::start_server(url, &dir.join("a.log"), &[])?;
    let b = common::start_server(url, &dir.join("b.log"), &[])?;
    let addrs = [a.addr, b.addr];

    // Public lookup: 10 per 20 s per client address, counted across both instances.
    wait_for_window_room(20, 8).await;
    for i in 0..10 {
        let r = call(addrs[i % 2], "GET", "/api/v1/public/lookup/ABCDEFGHJKLM", None, None).await?;
        ensure!(r.status != 429, "lookup {} refused early: {}", i + 1, r.text());
    }
    for (i, addr) in addrs.iter().enumerate() {
        let r = call(*addr, "GET", "/api/v1/public/lookup/ABCDEFGHJKLM", None, None).await?;
        ensure!(r.status == 429 && r.retry_after.is_some(), "lookup 11 on instance {i}: HTTP {} {}", r.status, r.text());
    }

    // Login throttle: 5 failures for one account through either instance lock it on both.
    wait_for_window_room(900, 10).await;
    let wrong = br#"{"username":"handler","password":"wrong-password"}"#;
    for i in 0..5 {
        let r = call(addrs[i % 2], "POST", "/api/v1/auth/login", None, Some(wrong)).await?;
        ensure!(r.status == 422 || r.status == 400, "failure {} answered HTTP {} {}", i + 1, r.status, r.text());
    }
    let right = br#"{"username":"handler","password":"redress-demo"}"#;
    for (i, addr) in addrs.iter().enumerate() {
        let r = call(*addr, "POST", "/api/v1/auth/login", None, Some(right)).await?;
        ensure!(r.status == 429 && r.retry_after.is_some(), "login after 5 failures on instance {i}: HTTP {} {}", r.status, r.text());
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_instances_share_the_public_rate_limits_and_the_login_throttle() {
    let (admin, url, name) = common::create_pg_database().await;
    let dir = scratch_dir("limits");
    let result = limits_are_shared(&url, &dir).await;
    common::drop_pg_database(&admin, &name).await;
    if let Err(e) = result {
        panic!("{e:#}\nserver logs in {}", dir.display());
    }
    let _ = std::fs::remove_dir_all(&dir);
}
