//! PostgreSQL going away under load (issue 8). The shared PostgreSQL of the test machine
//! cannot be restarted, so the test puts a TCP proxy between `redress serve` and PostgreSQL
//! and cuts it: every open connection is closed and new ones are dropped at once, which is
//! what the server sees when PostgreSQL restarts (connections closed, then refused). While
//! it is cut, requests must be answered 503 with `Retry-After` and the usual Chinese JSON
//! error within a bound (never a 500, never a hang), and `/ready` says not ready; once it is
//! restored, the same server process serves again by itself. Every case acknowledged with
//! 201 is stored and `redress verify` passes.

mod common;

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{bail, ensure, Context};
use tokio::net::{TcpListener, TcpStream};

use common::http::{build_request, Conn};
use common::{id_and_code, payload, scratch_dir, Ack};

/// A TCP proxy to PostgreSQL that the test can cut (closing every connection) and restore.
struct Proxy {
    addr: SocketAddr,
    cut: Arc<AtomicBool>,
    links: Arc<Mutex<Vec<tokio::task::JoinHandle<()>>>>,
}

impl Proxy {
    async fn start(upstream: String) -> anyhow::Result<Proxy> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let cut = Arc::new(AtomicBool::new(false));
        let links: Arc<Mutex<Vec<tokio::task::JoinHandle<()>>>> = Default::default();
        let (cut2, links2) = (cut.clone(), links.clone());
        tokio::spawn(async move {
            while let Ok((mut client, _)) = listener.accept().await {
                if cut2.load(Ordering::SeqCst) {
                    drop(client); // refused, as by a server that is down
                    continue;
                }
                let upstream = upstream.clone();
                let link = tokio::spawn(async move {
                    if let Ok(mut server) = TcpStream::connect(&upstream).await {
                        let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
                    }
                });
                links2.lock().unwrap().push(link);
            }
        });
        Ok(Proxy { addr, cut, links })
    }

    /// Closes every proxied connection and drops new ones until [`Proxy::restore`].
    fn cut(&self) {
        self.cut.store(true, Ordering::SeqCst);
        for l in self.links.lock().unwrap().drain(..) {
            l.abort();
        }
    }

    fn restore(&self) {
        self.cut.store(false, Ordering::SeqCst);
    }
}

/// `postgres://user@host:port/db` → (`host:port`, the URL with `host:port` replaced by `via`).
fn reroute(url: &str, via: SocketAddr) -> anyhow::Result<(String, String)> {
    let at = url.find('@').context("URL with user@")? + 1;
    let slash = at + url[at..].find('/').context("URL with /db")?;
    let mut hostport = url[at..slash].to_string();
    if !hostport.contains(':') {
        hostport.push_str(":5432");
    }
    Ok((hostport, format!("{}{via}{}", &url[..at], &url[slash..])))
}

#[derive(Default)]
struct Tally {
    acks: Mutex<Vec<Ack>>,
    unavailable: AtomicUsize,
    /// 201s after the proxy was restored.
    recovered: AtomicUsize,
    bad: Mutex<Option<String>>,
}

/// How long any request may take while PostgreSQL is away (pool wait 10 s + connect 5 s).
const BOUND: Duration = Duration::from_secs(20);

async fn outage(direct_url: &str, dir: &std::path::Path) -> anyhow::Result<()> {
    let token = common::prepare(direct_url).await?;
    let (upstream, _) = reroute(direct_url, "127.0.0.1:1".parse()?)?;
    let proxy = Proxy::start(upstream).await?;
    let (_, proxied_url) = reroute(direct_url, proxy.addr)?;
    let mut srv = common::start_server(&proxied_url, &dir.join("server.log"), &[])?;
    let addr = srv.addr;

    let bodies = Arc::new(payload::bodies(128, 7));
    let tally = Arc::new(Tally::default());
    let stop = Arc::new(AtomicBool::new(false));
    let restored = Arc::new(AtomicBool::new(false));
    let mut tasks = vec![];
    for w in 0..8 {
        let (bodies, token, tally, stop, restored) = (bodies.clone(), token.clone(), tally.clone(), stop.clone(), restored.clone());
        tasks.push(tokio::spawn(async move {
            let mut conn = match Conn::connect(addr).await {
                Ok(c) => c,
                Err(e) => return *tally.bad.lock().unwrap() = Some(format!("connect: {e}")),
            };
            let mut i = w;
            while !stop.load(Ordering::Relaxed) {
                let req = build_request("POST", &addr.to_string(), "/api/v1/cases", Some(&token), Some(&bodies[i % bodies.len()]));
                let t0 = Instant::now();
                let r = match tokio::time::timeout(BOUND, conn.send(&req)).await {
                    Err(_) => return *tally.bad.lock().unwrap() = Some(format!("a request hung for more than {BOUND:?}")),
                    Ok(Err(e)) => return *tally.bad.lock().unwrap() = Some(format!("connection error: {e}")),
                    Ok(Ok(r)) => r,
                };
                match r.status {
                    201 => {
                        let (id, code) = id_and_code(&r.body).expect("201 with id and code");
                        tally.acks.lock().unwrap().push(Ack { id, code });
                        if restored.load(Ordering::Relaxed) {
                            tally.recovered.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                    503 => {
                        let v: serde_json::Value = serde_json::from_slice(&r.body).unwrap_or_default();
                        let chinese = v["error"]["message"].as_str().is_some_and(|m| m.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)));
                        if r.retry_after.is_none() || v["error"]["code"] != "unavailable" || !chinese {
                            return *tally.bad.lock().unwrap() = Some(format!("503 without Retry-After or the error JSON: {:?} {}", r.retry_after, r.text()));
                        }
                        tally.unavailable.fetch_add(1, Ordering::Relaxed);
                        // Like a client honouring Retry-After, but quicker.
                        tokio::time::sleep(Duration::from_millis(100).saturating_sub(t0.elapsed())).await;
                    }
                    s => return *tally.bad.lock().unwrap() = Some(format!("HTTP {s} (expected 201 or 503): {}", r.text())),
                }
                i += 8;
            }
        }));
    }
    let wait_for = |what: &'static str, cond: Box<dyn Fn() -> bool + Send>| {
        let tally = tally.clone();
        async move {
            let t0 = Instant::now();
            while !cond() {
                if let Some(b) = tally.bad.lock().unwrap().clone() {
                    bail!("{b}");
                }
                ensure!(t0.elapsed() < Duration::from_secs(60), "timed out waiting for {what}");
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            Ok(())
        }
    };
    let t = tally.clone();
    wait_for("100 cases before the cut", Box::new(move || t.acks.lock().unwrap().len() >= 100)).await?;

    proxy.cut();
    let cut_at = Instant::now();
    let before = tally.acks.lock().unwrap().len();
    let t = tally.clone();
    wait_for("503s while PostgreSQL is away", Box::new(move || t.unavailable.load(Ordering::Relaxed) >= 20)).await?;
    let mut c = Conn::connect(addr).await?;
    let r = c.send(&build_request("GET", &addr.to_string(), "/ready", None, None)).await?;
    ensure!(r.status == 503, "/ready while PostgreSQL is away: HTTP {} {}", r.status, r.text());
    tokio::time::sleep(Duration::from_secs(2).saturating_sub(cut_at.elapsed())).await;
    let during = tally.acks.lock().unwrap().len() - before;
    eprintln!("cut for {:?}: {} answered 503, {during} acknowledged (in flight at the cut)", cut_at.elapsed(), tally.unavailable.load(Ordering::Relaxed));

    proxy.restore();
    restored.store(true, Ordering::Relaxed);
    let back = Instant::now();
    let t = tally.clone();
    wait_for("201s after PostgreSQL is back", Box::new(move || t.recovered.load(Ordering::Relaxed) >= 50)).await?;
    eprintln!("serving again {:?} after the restore", back.elapsed());
    let r = c.send(&build_request("GET", &addr.to_string(), "/ready", None, None)).await?;
    ensure!(r.status == 200, "/ready after PostgreSQL is back: HTTP {} {}", r.status, r.text());
    stop.store(true, Ordering::Relaxed);
    for t in tasks {
        t.await?;
    }
    if let Some(b) = tally.bad.lock().unwrap().take() {
        bail!("{b}");
    }
    ensure!(srv.is_running(), "the server exited");
    srv.stop(Duration::from_secs(20));

    let acks = tally.acks.lock().unwrap().clone();
    let stored = common::check_acknowledged(direct_url, &acks).await?;
    common::verify(direct_url)?;
    eprintln!("{} acknowledged, {stored} stored, verify passed", acks.len());
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn postgres_outage_answers_503_with_retry_after_and_recovers_without_restart() {
    let (admin, url, name) = common::create_pg_database().await;
    let dir = scratch_dir("pg-outage");
    let result = outage(&url, &dir).await;
    common::drop_pg_database(&admin, &name).await;
    if let Err(e) = result {
        panic!("{e:#}\nserver log in {}", dir.display());
    }
    let _ = std::fs::remove_dir_all(&dir);
}
