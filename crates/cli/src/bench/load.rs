//! The load: closed-loop clients (each sends its next case as soon as the last one is
//! answered) for throughput, and an open-loop schedule at a fixed rate for latency.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;
use tokio::time::Instant;

use super::http::{build_request, Conn};

/// Prepared `POST /api/v1/cases` requests, cycled through.
pub struct Requests {
    pub addr: SocketAddr,
    pub reqs: Vec<Vec<u8>>,
}

impl Requests {
    pub fn new(addr: SocketAddr, token: &str, bodies: &[Vec<u8>]) -> Requests {
        let host = addr.to_string();
        let reqs = bodies.iter().map(|b| build_request("POST", &host, "/api/v1/cases", Some(token), Some(b))).collect();
        Requests { addr, reqs }
    }
}

/// What one phase measured. Latencies are microseconds of requests that completed inside
/// the measured window.
#[derive(Debug, Default)]
pub struct Raw {
    pub created: u64,
    /// 201s over the whole phase, warm-up included.
    pub created_all: u64,
    pub errors: u64,
    pub statuses: BTreeMap<String, u64>,
    pub latencies: Vec<u32>,
    pub window: Duration,
    /// Open loop only: sends that started more than 1 ms after their scheduled time.
    pub late_starts: u64,
    pub first_error: Option<String>,
    /// Open loop only: (ms from the window start, latency µs) of each counted request.
    pub timeline: Vec<(u32, u32)>,
}

impl Raw {
    pub fn merge(&mut self, o: Raw) {
        self.created += o.created;
        self.created_all += o.created_all;
        self.errors += o.errors;
        for (k, v) in o.statuses {
            *self.statuses.entry(k).or_default() += v;
        }
        self.latencies.extend(o.latencies);
        self.late_starts += o.late_starts;
        if self.first_error.is_none() {
            self.first_error = o.first_error;
        }
        self.timeline.extend(o.timeline);
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Stats {
    /// 201s received inside the window, per second.
    pub cases_per_s: f64,
    pub created: u64,
    pub errors: u64,
    pub statuses: BTreeMap<String, u64>,
    pub window_s: f64,
    pub p50_ms: f64,
    pub p95_ms: f64,
    pub p99_ms: f64,
    pub p999_ms: f64,
    pub max_ms: f64,
    pub mean_ms: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub late_starts: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_error: Option<String>,
    /// Open loop only: latency second by second, to tell steady queueing from stalls.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub timeline: Vec<Second>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Second {
    pub second: u32,
    pub requests: usize,
    pub p99_ms: f64,
    pub max_ms: f64,
}

fn timeline(mut t: Vec<(u32, u32)>) -> Vec<Second> {
    t.sort_unstable();
    let mut out = vec![];
    for chunk in t.chunk_by(|a, b| a.0 / 1000 == b.0 / 1000) {
        let mut l: Vec<u32> = chunk.iter().map(|x| x.1).collect();
        l.sort_unstable();
        let p99 = l[((l.len() * 99).div_ceil(100)).clamp(1, l.len()) - 1];
        out.push(Second { second: chunk[0].0 / 1000, requests: l.len(), p99_ms: p99 as f64 / 1000.0, max_ms: *l.last().unwrap_or(&0) as f64 / 1000.0 });
    }
    out
}

impl Stats {
    pub fn from_raw(mut r: Raw, open_loop: bool) -> Stats {
        r.latencies.sort_unstable();
        let pct = |p: f64| -> f64 {
            if r.latencies.is_empty() {
                return 0.0;
            }
            let i = ((r.latencies.len() as f64 * p).ceil() as usize).clamp(1, r.latencies.len()) - 1;
            r.latencies[i] as f64 / 1000.0
        };
        let mean = if r.latencies.is_empty() { 0.0 } else { r.latencies.iter().map(|&x| x as f64).sum::<f64>() / r.latencies.len() as f64 / 1000.0 };
        Stats {
            cases_per_s: r.created as f64 / r.window.as_secs_f64().max(1e-9),
            created: r.created,
            errors: r.errors,
            statuses: r.statuses,
            window_s: r.window.as_secs_f64(),
            p50_ms: pct(0.50),
            p95_ms: pct(0.95),
            p99_ms: pct(0.99),
            p999_ms: pct(0.999),
            max_ms: r.latencies.last().map_or(0.0, |&x| x as f64 / 1000.0),
            mean_ms: mean,
            late_starts: open_loop.then_some(r.late_starts),
            first_error: r.first_error,
            timeline: timeline(std::mem::take(&mut r.timeline)),
        }
    }
}

/// One request and its accounting. Returns false when the connection failed (the caller
/// backs off briefly so a dead server does not spin the loop).
/// Closed loop counts what completed inside the window (throughput); open loop counts
/// what was scheduled inside it, however late it completed (latency).
async fn one(conn: &mut Conn, req: &[u8], started: Instant, window: (Instant, Instant), by_start: bool, out: &mut Raw) -> bool {
    let result = conn.send(req).await;
    let done = Instant::now();
    let counted = started >= window.0 && if by_start { started < window.1 } else { done <= window.1 };
    match result {
        Ok(resp) => {
            if resp.status == 201 {
                out.created_all += 1;
            }
            if counted {
                *out.statuses.entry(resp.status.to_string()).or_default() += 1;
                if resp.status == 201 {
                    out.created += 1;
                    let us = (done - started).as_micros().min(u32::MAX as u128) as u32;
                    out.latencies.push(us);
                    if by_start {
                        out.timeline.push(((started - window.0).as_millis() as u32, us));
                    }
                } else {
                    out.errors += 1;
                    if out.first_error.is_none() {
                        out.first_error = Some(format!("HTTP {}: {}", resp.status, resp.text().chars().take(300).collect::<String>()));
                    }
                }
            }
            true
        }
        Err(e) => {
            if counted {
                out.errors += 1;
                *out.statuses.entry("io_error".into()).or_default() += 1;
                if out.first_error.is_none() {
                    out.first_error = Some(format!("connection: {e}"));
                }
            }
            false
        }
    }
}

/// `clients` connections, each sending back to back for `warmup + seconds`; only the last
/// `seconds` are counted.
pub async fn closed_loop(reqs: Arc<Requests>, clients: usize, warmup: Duration, seconds: Duration) -> anyhow::Result<Raw> {
    let start = Instant::now();
    let window = (start + warmup, start + warmup + seconds);
    let mut tasks = Vec::with_capacity(clients);
    for c in 0..clients {
        let reqs = reqs.clone();
        tasks.push(tokio::spawn(async move {
            let mut out = Raw::default();
            let mut conn = match Conn::connect(reqs.addr).await {
                Ok(c) => c,
                Err(e) => {
                    out.errors += 1;
                    out.first_error = Some(format!("connect: {e}"));
                    return out;
                }
            };
            let n = reqs.reqs.len();
            let mut i = (c * 7919) % n;
            loop {
                let t0 = Instant::now();
                if t0 >= window.1 {
                    break;
                }
                if !one(&mut conn, &reqs.reqs[i], t0, window, false, &mut out).await {
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
                i = (i + 1) % n;
            }
            out
        }));
    }
    let mut raw = Raw { window: seconds, ..Raw::default() };
    for t in tasks {
        raw.merge(t.await?);
    }
    Ok(raw)
}

/// Requests sent on a fixed schedule, `rate` per second, from a pool of `connections`;
/// latency counts from the scheduled time, so a server that falls behind is charged for
/// the queueing it causes (no coordinated omission). The first `warmup` is not counted.
pub async fn open_loop(reqs: Arc<Requests>, rate: f64, connections: usize, warmup: Duration, seconds: Duration) -> anyhow::Result<Raw> {
    let start = Instant::now() + Duration::from_millis(50);
    let end = start + warmup + seconds;
    let window = (start + warmup, end);
    let interval = Duration::from_secs_f64(1.0 / rate);
    let next = Arc::new(AtomicU64::new(0));
    let mut tasks = Vec::with_capacity(connections);
    for _ in 0..connections {
        let reqs = reqs.clone();
        let next = next.clone();
        tasks.push(tokio::spawn(async move {
            let mut out = Raw::default();
            let mut conn = match Conn::connect(reqs.addr).await {
                Ok(c) => c,
                Err(e) => {
                    out.errors += 1;
                    out.first_error = Some(format!("connect: {e}"));
                    return out;
                }
            };
            loop {
                let k = next.fetch_add(1, Ordering::Relaxed);
                let scheduled = start + interval.mul_f64(k as f64);
                if scheduled >= end {
                    break;
                }
                tokio::time::sleep_until(scheduled).await;
                if scheduled >= window.0 && Instant::now() > scheduled + Duration::from_millis(1) {
                    out.late_starts += 1;
                }
                let req = &reqs.reqs[k as usize % reqs.reqs.len()];
                if !one(&mut conn, req, scheduled, window, true, &mut out).await {
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
            }
            out
        }));
    }
    let mut raw = Raw { window: seconds, ..Raw::default() };
    for t in tasks {
        raw.merge(t.await?);
    }
    Ok(raw)
}
