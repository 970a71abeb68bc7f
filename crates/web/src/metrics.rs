//! Request ids and Prometheus metrics.
//!
//! [`track`] is the outermost middleware of the router: it gives every request an id (the
//! client's `X-Request-Id` when it is a sane token, else a fresh one), runs the request inside a
//! tracing span carrying that id (so every log line of the request, JSON or not, names it),
//! returns the id in `X-Request-Id`, and counts the request by route template (axum's
//! `MatchedPath`), method and status class with its latency. [`handler`] answers `GET /metrics`
//! in the Prometheus text exposition format 0.0.4, written by hand.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::extract::{MatchedPath, Request, State};
use axum::http::{header, HeaderName, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use redress_app::App;
use redress_store::CaseQuery;
use tracing::Instrument;

use crate::AppState;

pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Upper bounds of the latency histogram, in seconds.
const BUCKETS: [f64; 12] = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0];

/// How long the open and overdue case counts are reused before they are counted again.
const COUNTS_TTL: Duration = Duration::from_secs(30);

/// Counters of one (route, method, status class).
#[derive(Debug, Clone, Default)]
struct Series {
    count: u64,
    sum_secs: f64,
    /// Per bucket (not cumulative); the cumulative sums are made when exposed.
    buckets: [u64; BUCKETS.len()],
}

#[derive(Debug, Clone, Copy)]
struct CaseCounts {
    at: Instant,
    open: i64,
    overdue: i64,
}

/// The metrics of one server process.
#[derive(Debug)]
pub struct Metrics {
    series: Mutex<BTreeMap<(String, String, &'static str), Series>>,
    in_flight: AtomicI64,
    started: Instant,
    counts: tokio::sync::Mutex<Option<CaseCounts>>,
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics { series: Mutex::default(), in_flight: AtomicI64::new(0), started: Instant::now(), counts: tokio::sync::Mutex::new(None) }
    }
}

impl Metrics {
    fn observe(&self, route: String, method: String, status: StatusCode, elapsed: Duration) {
        let secs = elapsed.as_secs_f64();
        let mut series = self.series.lock().unwrap_or_else(|p| p.into_inner());
        let s = series.entry((route, method, status_class(status))).or_default();
        s.count += 1;
        s.sum_secs += secs;
        if let Some(i) = BUCKETS.iter().position(|b| secs <= *b) {
            s.buckets[i] += 1;
        }
    }

    /// Open and overdue cases, counted at most every [`COUNTS_TTL`] (two indexed range counts).
    async fn case_counts(&self, app: &App) -> Option<(i64, i64)> {
        let mut cached = self.counts.lock().await;
        if let Some(c) = *cached {
            if c.at.elapsed() < COUNTS_TTL {
                return Some((c.open, c.overdue));
            }
        }
        let open_q = CaseQuery { statuses: redress_app::workbench::OPEN.to_vec(), limit: 1, ..Default::default() };
        let overdue_q = CaseQuery { due_before: Some(app.now()), ..open_q.clone() };
        let open = app.store.list_cases(&open_q).await.ok()?.total;
        let overdue = app.store.list_cases(&overdue_q).await.ok()?.total;
        *cached = Some(CaseCounts { at: Instant::now(), open, overdue });
        Some((open, overdue))
    }
}

fn status_class(status: StatusCode) -> &'static str {
    match status.as_u16() {
        100..=199 => "1xx",
        200..=299 => "2xx",
        300..=399 => "3xx",
        400..=499 => "4xx",
        _ => "5xx",
    }
}

/// A client's request id is kept when it is 1–64 characters of letters, digits, `-`, `_`,
/// `.` or `:`; anything else (empty, long, spaces, quotes) is replaced.
pub fn sane_request_id(v: &str) -> bool {
    (1..=64).contains(&v.len()) && v.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':'))
}

fn new_request_id() -> String {
    format!("{:016x}", rand::random::<u64>())
}

/// The middleware: request id, tracing span, metrics.
pub async fn track(State(s): State<AppState>, mut req: Request, next: Next) -> Response {
    let id = req
        .headers()
        .get(&REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .filter(|v| sane_request_id(v))
        .map(str::to_string)
        .unwrap_or_else(new_request_id);
    let value = HeaderValue::from_str(&id).expect("a sane request id is a valid header value");
    req.headers_mut().insert(REQUEST_ID, value.clone());
    // Unmatched paths share one label, so scanners cannot grow the series without bound.
    let route = req.extensions().get::<MatchedPath>().map(|m| m.as_str().to_string()).unwrap_or_else(|| "unmatched".into());
    let method = req.method().as_str().to_string();
    let span = tracing::info_span!("request", request_id = %id, method = %method, route = %route);

    let t0 = Instant::now();
    s.metrics.in_flight.fetch_add(1, Ordering::Relaxed);
    // Decrements also when the connection drops and the future is cancelled.
    let _in_flight = InFlight(&s.metrics.in_flight);
    let mut resp = next.run(req).instrument(span.clone()).await;
    let elapsed = t0.elapsed();
    let status = resp.status();
    span.in_scope(|| {
        let ms = elapsed.as_secs_f64() * 1000.0;
        if status.is_server_error() {
            tracing::warn!(status = status.as_u16(), ms, "request failed");
        } else {
            tracing::debug!(status = status.as_u16(), ms, "request");
        }
    });
    s.metrics.observe(route, method, status, elapsed);
    resp.headers_mut().insert(REQUEST_ID, value);
    resp
}

struct InFlight<'a>(&'a AtomicI64);

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

/// `GET /metrics`.
pub async fn handler(State(s): State<AppState>) -> Response {
    let m = &s.metrics;
    let mut out = String::with_capacity(8192);
    let series = m.series.lock().unwrap_or_else(|p| p.into_inner()).clone();

    header_lines(&mut out, "redress_http_requests_total", "counter", "HTTP requests answered, by route template, method and status class.");
    for ((route, method, status), s) in &series {
        let _ = writeln!(out, "redress_http_requests_total{{{}}} {}", labels(route, method, status), s.count);
    }
    header_lines(
        &mut out,
        "redress_http_request_duration_seconds",
        "histogram",
        "Time from receiving a request to its response headers, by route template, method and status class.",
    );
    for ((route, method, status), s) in &series {
        let l = labels(route, method, status);
        let mut cumulative = 0;
        for (bound, n) in BUCKETS.iter().zip(s.buckets) {
            cumulative += n;
            let _ = writeln!(out, "redress_http_request_duration_seconds_bucket{{{l},le=\"{bound}\"}} {cumulative}");
        }
        let _ = writeln!(out, "redress_http_request_duration_seconds_bucket{{{l},le=\"+Inf\"}} {}", s.count);
        let _ = writeln!(out, "redress_http_request_duration_seconds_sum{{{l}}} {}", s.sum_secs);
        let _ = writeln!(out, "redress_http_request_duration_seconds_count{{{l}}} {}", s.count);
    }
    header_lines(&mut out, "redress_http_requests_in_flight", "gauge", "Requests being handled now (this one included).");
    let _ = writeln!(out, "redress_http_requests_in_flight {}", m.in_flight.load(Ordering::Relaxed));

    header_lines(&mut out, "redress_store_info", "gauge", "The storage backend of this instance (always 1).");
    let _ = writeln!(out, "redress_store_info{{backend=\"{}\"}} 1", escape(s.app.store.backend()));
    header_lines(&mut out, "redress_store_up", "gauge", "1 if the database answered this scrape, else 0.");
    for st in s.app.store.runtime_stats() {
        let name = format!("redress_store_{}", st.name);
        header_lines(&mut out, &name, if st.counter { "counter" } else { "gauge" }, st.help);
        let _ = writeln!(out, "{name} {}", st.value);
    }
    let head = s.app.store.chain_head().await;
    let _ = writeln!(out, "redress_store_up {}", u8::from(head.is_ok()));
    if let Ok((seq, _)) = head {
        header_lines(&mut out, "redress_event_log_head_seq", "gauge", "Sequence number of the last event in the hash-chained log.");
        let _ = writeln!(out, "redress_event_log_head_seq {seq}");
    }
    if let Some((open, overdue)) = m.case_counts(&s.app).await {
        header_lines(&mut out, "redress_cases_open", "gauge", "Cases in a status where a deadline runs (counted at most every 30 s).");
        let _ = writeln!(out, "redress_cases_open {open}");
        header_lines(&mut out, "redress_cases_overdue", "gauge", "Open cases past their deadline (counted at most every 30 s).");
        let _ = writeln!(out, "redress_cases_overdue {overdue}");
    }
    job_metrics(&mut out, &s.app).await;
    if let Some(rss) = resident_bytes() {
        header_lines(&mut out, "process_resident_memory_bytes", "gauge", "Resident memory size in bytes.");
        let _ = writeln!(out, "process_resident_memory_bytes {rss}");
    }
    header_lines(&mut out, "redress_uptime_seconds", "gauge", "Seconds since this server process started serving.");
    let _ = writeln!(out, "redress_uptime_seconds {}", m.started.elapsed().as_secs_f64());

    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8"), (header::CACHE_CONTROL, "no-store")], out).into_response()
}

/// Background jobs: this instance's leases and runs, and from the store (all instances) how
/// long ago each job last finished and how many run slots it is behind.
async fn job_metrics(out: &mut String, app: &App) {
    let (_, jobs) = app.jobs.snapshot();
    if jobs.is_empty() {
        return;
    }
    let now = app.now();
    let runs = app.store.job_runs(None, 200).await.unwrap_or_default();
    header_lines(out, "redress_job_lease_held", "gauge", "1 while this instance holds the job's lease.");
    for (spec, c) in &jobs {
        let _ = writeln!(out, "redress_job_lease_held{{job=\"{}\"}} {}", spec.name, u8::from(c.held));
    }
    header_lines(out, "redress_job_runs_total", "counter", "Job runs this instance finished, by result.");
    for (spec, c) in &jobs {
        let _ = writeln!(out, "redress_job_runs_total{{job=\"{}\",result=\"ok\"}} {}", spec.name, c.runs - c.failures);
        let _ = writeln!(out, "redress_job_runs_total{{job=\"{}\",result=\"error\"}} {}", spec.name, c.failures);
    }
    header_lines(out, "redress_job_lease_takeovers_total", "counter", "Times this instance took a job's lease.");
    for (spec, c) in &jobs {
        let _ = writeln!(out, "redress_job_lease_takeovers_total{{job=\"{}\"}} {}", spec.name, c.takeovers);
    }
    header_lines(out, "redress_job_last_run_age_seconds", "gauge", "Seconds since the job last finished on any instance.");
    for (spec, _) in &jobs {
        if let Some(at) = runs.iter().filter(|r| r.job == spec.name).filter_map(|r| r.finished_at).max() {
            let _ = writeln!(out, "redress_job_last_run_age_seconds{{job=\"{}\"}} {}", spec.name, (now - at).num_milliseconds() as f64 / 1000.0);
        }
    }
    header_lines(out, "redress_job_slots_behind", "gauge", "Run slots due but not finished since the job's last finished slot (the job queue depth).");
    for (spec, _) in &jobs {
        let (current, _) = spec.schedule.current_slot(now);
        let last = runs.iter().filter(|r| r.job == spec.name && r.finished_at.is_some()).map(|r| r.slot).max();
        let behind = last.map_or(1, |l| (current - l).max(0));
        let _ = writeln!(out, "redress_job_slots_behind{{job=\"{}\"}} {behind}", spec.name);
    }
}

fn header_lines(out: &mut String, name: &str, kind: &str, help: &str) {
    let _ = writeln!(out, "# HELP {name} {help}");
    let _ = writeln!(out, "# TYPE {name} {kind}");
}

fn labels(route: &str, method: &str, status: &str) -> String {
    format!("route=\"{}\",method=\"{}\",status=\"{}\"", escape(route), escape(method), escape(status))
}

/// Label value escaping of the text format: backslash, double quote, line feed.
fn escape(v: &str) -> String {
    v.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n")
}

/// Resident memory: `VmRSS` of `/proc/self/status` (exact, in kB), else the resident pages of
/// `/proc/self/statm` times 4 KiB (the page size is not readable without libc).
fn resident_bytes() -> Option<u64> {
    if let Ok(status) = std::fs::read_to_string("/proc/self/status") {
        if let Some(kb) = status.lines().find_map(|l| l.strip_prefix("VmRSS:")).and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok()) {
            return Some(kb * 1024);
        }
    }
    let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
    let pages: u64 = statm.split_whitespace().nth(1)?.parse().ok()?;
    Some(pages * 4096)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_ids_from_clients_are_kept_only_when_sane() {
        assert!(sane_request_id("abc-123_x.y:z"));
        assert!(!sane_request_id(""));
        assert!(!sane_request_id(&"a".repeat(65)));
        assert!(!sane_request_id("a b"));
        assert!(!sane_request_id("a\"b"));
        assert!(sane_request_id(&new_request_id()));
    }

    #[test]
    fn label_values_are_escaped() {
        assert_eq!(escape("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
    }

    #[test]
    fn resident_memory_is_read() {
        assert!(resident_bytes().is_some_and(|b| b > 1024 * 1024), "{:?}", resident_bytes());
    }
}
