//! Crash safety of intake: a real `redress serve` takes concurrent case creation, is killed
//! with SIGKILL mid-load, and is started again on the same database. Every case whose 201
//! reached a client must be there, and `redress verify` must pass (the hash chain and every
//! case's state are intact). Run on SQLite and on a throw-away PostgreSQL database
//! (`REDRESS_TEST_PG_URL`, default postgres://postgres@127.0.0.1:5432/test; unreachable
//! PostgreSQL fails the test, it is never skipped).

mod common;

use std::net::SocketAddr;
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{bail, ensure};

use common::http::{build_request, Conn};
use common::{id_and_code, payload, prepare, scratch_dir, Ack, Server};

const WRITERS: usize = 16;

fn start(url: &str, log: &Path) -> anyhow::Result<Server> {
    common::start_server(url, log, &[])
}

/// `WRITERS` clients create cases until the server dies; returns the acknowledged ones
/// and how many requests were sent in all.
async fn load_until_killed(addr: SocketAddr, token: &str, server: &mut Server) -> anyhow::Result<(Vec<Ack>, usize)> {
    let bodies = payload::bodies(256, 99);
    let reqs: Arc<Vec<Vec<u8>>> =
        Arc::new(bodies.iter().map(|b| build_request("POST", &addr.to_string(), "/api/v1/cases", Some(token), Some(b))).collect());
    let acks = Arc::new(Mutex::new(Vec::<Ack>::new()));
    let sent = Arc::new(AtomicUsize::new(0));
    let dead = Arc::new(AtomicBool::new(false));
    let bad = Arc::new(Mutex::new(None::<String>));
    let mut tasks = vec![];
    for w in 0..WRITERS {
        let (reqs, acks, sent, dead, bad) = (reqs.clone(), acks.clone(), sent.clone(), dead.clone(), bad.clone());
        tasks.push(tokio::spawn(async move {
            let Ok(mut conn) = Conn::connect(addr).await else { return };
            let mut i = w;
            loop {
                sent.fetch_add(1, Ordering::Relaxed);
                match conn.send(&reqs[i % reqs.len()]).await {
                    Ok(r) if r.status == 201 => match id_and_code(&r.body) {
                        Some((id, code)) => acks.lock().unwrap().push(Ack { id, code }),
                        None => {
                            *bad.lock().unwrap() = Some(format!("201 without id/tracking_code: {}", r.text()));
                            return;
                        }
                    },
                    Ok(r) => {
                        if !dead.load(Ordering::Relaxed) {
                            *bad.lock().unwrap() = Some(format!("HTTP {} before the kill: {}", r.status, r.text()));
                        }
                        return;
                    }
                    // After the kill every request fails: this client is done.
                    Err(_) if dead.load(Ordering::Relaxed) => return,
                    Err(e) => {
                        *bad.lock().unwrap() = Some(format!("connection error before the kill: {e}"));
                        return;
                    }
                }
                i += WRITERS;
            }
        }));
    }
    // Let the load build up, then kill the server at a random moment (mid-batch, mid-fsync,
    // mid-reply) while every client has a request in flight.
    let t0 = Instant::now();
    while acks.lock().unwrap().len() < 200 && t0.elapsed() < Duration::from_secs(30) {
        if bad.lock().unwrap().is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    tokio::time::sleep(Duration::from_millis(rand::random::<u64>() % 250)).await;
    dead.store(true, Ordering::Relaxed);
    server.kill();
    for t in tasks {
        t.await?;
    }
    if let Some(b) = bad.lock().unwrap().take() {
        bail!("{b}");
    }
    let acks = acks.lock().unwrap().clone();
    Ok((acks, sent.load(Ordering::Relaxed)))
}

const ROUNDS: usize = 3;

async fn crash_and_recover(url: &str, dir: &Path) -> anyhow::Result<()> {
    let token = prepare(url).await?;
    let mut acks = vec![];
    for round in 1..=ROUNDS {
        let mut srv = start(url, &dir.join(format!("server-{round}.log")))?;
        let (got, sent) = load_until_killed(srv.addr, &token, &mut srv).await?;
        ensure!(got.len() >= 100, "round {round}: too few cases acknowledged before the kill ({}); see {}", got.len(), dir.display());
        eprintln!("{url}: round {round}: {} cases acknowledged of {sent} requests, then SIGKILL", got.len());
        acks.extend(got);
    }

    // Start again on the same database: recovery, then every acknowledged case is there.
    let mut srv = start(url, &dir.join("server-final.log"))?;
    let stored = common::check_acknowledged(url, &acks).await?;

    // The restarted server serves them and takes new ones.
    let mut conn = Conn::connect(srv.addr).await?;
    let host = srv.addr.to_string();
    for a in acks.iter().step_by((acks.len() / 20).max(1)) {
        let r = conn.send(&build_request("GET", &host, &format!("/api/v1/cases/{}", a.id), Some(&token), None)).await?;
        ensure!(r.status == 200, "GET /api/v1/cases/{} after restart: HTTP {} {}", a.id, r.status, r.text());
        ensure!(id_and_code(&r.body).is_some_and(|(_, c)| c == a.code), "case {} shows another code: {}", a.id, r.text());
    }
    let body = payload::bodies(1, 5).remove(0);
    let r = conn.send(&build_request("POST", &host, "/api/v1/cases", Some(&token), Some(&body))).await?;
    ensure!(r.status == 201, "a new case after restart: HTTP {} {}", r.status, r.text());
    srv.stop(Duration::from_secs(20));

    // The hash chain and every case's state verify.
    common::verify(url)?;
    eprintln!("{url}: all {} acknowledged cases present ({stored} stored), verify passed", acks.len());
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sqlite_sigkill_under_load_loses_no_acknowledged_case() {
    let dir = scratch_dir("crash-sqlite");
    let url = format!("sqlite://{}", dir.join("crash.db").display());
    if let Err(e) = crash_and_recover(&url, &dir).await {
        panic!("{e:#}\nserver logs in {}", dir.display());
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// Like every PostgreSQL test of the workspace, this one fails rather than skips when
/// PostgreSQL is unreachable.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn postgres_sigkill_under_load_loses_no_acknowledged_case() {
    let (admin, url, name) = common::create_pg_database().await;
    let dir = scratch_dir("crash-postgres");
    let result = crash_and_recover(&url, &dir).await;
    common::drop_pg_database(&admin, &name).await;
    if let Err(e) = result {
        panic!("{e:#}\nserver logs in {}", dir.display());
    }
    let _ = std::fs::remove_dir_all(&dir);
}
