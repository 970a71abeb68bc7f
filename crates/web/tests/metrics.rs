//! `GET /metrics` (Prometheus text format 0.0.4) and request ids (`X-Request-Id`).

#[macro_use]
mod common;

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use common::{harness_with, Backend, H};

/// One sample line: metric name, labels, value.
#[derive(Debug, Clone)]
struct Sample {
    name: String,
    labels: BTreeMap<String, String>,
    value: f64,
}

/// Parses the exposition line by line: `# HELP name text`, `# TYPE name kind`, samples
/// `name{l="v",…} value`. Every sample must belong to a family whose TYPE came before it
/// (histogram samples by their `_bucket`, `_sum`, `_count` suffixes), and every family has
/// exactly one HELP and one TYPE.
fn parse(text: &str) -> (HashMap<String, String>, Vec<Sample>) {
    let mut types: HashMap<String, String> = HashMap::new();
    let mut helps: HashMap<String, String> = HashMap::new();
    let mut samples = vec![];
    for (n, line) in text.lines().enumerate() {
        let at = || format!("line {}: {line:?}", n + 1);
        assert!(!line.is_empty(), "empty line at {}", at());
        if let Some(rest) = line.strip_prefix("# HELP ") {
            let (name, help) = rest.split_once(' ').unwrap_or_else(|| panic!("HELP without text, {}", at()));
            assert!(valid_name(name), "bad name, {}", at());
            assert!(!help.is_empty(), "empty HELP, {}", at());
            assert!(helps.insert(name.into(), help.into()).is_none(), "second HELP, {}", at());
        } else if let Some(rest) = line.strip_prefix("# TYPE ") {
            let (name, kind) = rest.split_once(' ').unwrap_or_else(|| panic!("TYPE without kind, {}", at()));
            assert!(["counter", "gauge", "histogram", "summary", "untyped"].contains(&kind), "bad kind, {}", at());
            assert!(helps.contains_key(name), "TYPE before HELP, {}", at());
            assert!(types.insert(name.into(), kind.into()).is_none(), "second TYPE, {}", at());
        } else {
            assert!(!line.starts_with('#'), "unknown comment, {}", at());
            let s = parse_sample(line).unwrap_or_else(|e| panic!("{e}, {}", at()));
            let family = ["_bucket", "_sum", "_count"]
                .iter()
                .find_map(|suf| s.name.strip_suffix(suf).filter(|f| types.get(*f).is_some_and(|k| k == "histogram")))
                .unwrap_or(&s.name)
                .to_string();
            assert!(types.contains_key(&family), "sample before its TYPE, {}", at());
            samples.push(s);
        }
    }
    assert_eq!(helps.len(), types.len(), "every HELP has a TYPE");
    (types, samples)
}

fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && !name.starts_with(|c: char| c.is_ascii_digit())
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':')
}

fn parse_sample(line: &str) -> Result<Sample, String> {
    let name_end = line.find(['{', ' ']).ok_or("no value")?;
    let name = &line[..name_end];
    if !valid_name(name) {
        return Err(format!("bad metric name {name:?}"));
    }
    let mut labels = BTreeMap::new();
    let mut rest = &line[name_end..];
    if let Some(mut r) = rest.strip_prefix('{') {
        loop {
            let (key, after) = r.split_once("=\"").ok_or("label without =\"")?;
            if !valid_name(key) {
                return Err(format!("bad label name {key:?}"));
            }
            // The value, with \\, \" and \n escapes, up to the closing quote.
            let mut value = String::new();
            let mut it = after.char_indices();
            let end = loop {
                match it.next().ok_or("unterminated label value")? {
                    (i, '"') => break i,
                    (_, '\\') => match it.next().ok_or("dangling escape")?.1 {
                        '\\' => value.push('\\'),
                        '"' => value.push('"'),
                        'n' => value.push('\n'),
                        c => return Err(format!("bad escape \\{c}")),
                    },
                    (_, c) => value.push(c),
                }
            };
            labels.insert(key.to_string(), value);
            let tail = &after[end + 1..];
            if let Some(t) = tail.strip_prefix(',') {
                r = t;
            } else if let Some(t) = tail.strip_prefix('}') {
                rest = t;
                break;
            } else {
                return Err("expected , or } after a label".into());
            }
        }
    }
    let value = rest.strip_prefix(' ').ok_or("no space before the value")?;
    let value: f64 = match value {
        "+Inf" => f64::INFINITY,
        "-Inf" => f64::NEG_INFINITY,
        v => v.parse().map_err(|_| format!("bad value {v:?}"))?,
    };
    Ok(Sample { name: name.into(), labels, value })
}

async fn scrape(h: &H) -> (HashMap<String, String>, Vec<Sample>) {
    let (st, headers, body) = h.raw(Request::get("/metrics").body(Body::empty()).unwrap()).await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(headers[header::CONTENT_TYPE], "text/plain; version=0.0.4; charset=utf-8");
    parse(std::str::from_utf8(&body).expect("UTF-8"))
}

fn value(samples: &[Sample], name: &str, labels: &[(&str, &str)]) -> Option<f64> {
    samples
        .iter()
        .find(|s| s.name == name && labels.iter().all(|(k, v)| s.labels.get(*k).map(String::as_str) == Some(*v)))
        .map(|s| s.value)
}

const SHOW: [(&str, &str); 3] = [("route", "/api/v1/cases/:id"), ("method", "GET"), ("status", "2xx")];

async fn metrics_count_requests_by_route_and_status(b: Backend) {
    let h = harness_with(b, false).await;
    let id = h.register().await["id"].as_i64().unwrap();
    for _ in 0..3 {
        let (st, _) = h.as_user("handler", Method::GET, &format!("/api/v1/cases/{id}"), None).await;
        assert!(st == StatusCode::OK || st == StatusCode::NOT_FOUND, "{st}");
        let (st, _) = h.as_user("clerk", Method::GET, &format!("/api/v1/cases/{id}"), None).await;
        assert_eq!(st, StatusCode::OK);
    }
    let (st, _) = h.call(Method::GET, "/no/such/page", None, None).await;
    assert_eq!(st, StatusCode::NOT_FOUND);

    let (types, s1) = scrape(&h).await;
    assert_eq!(types["redress_http_requests_total"], "counter");
    assert_eq!(types["redress_http_request_duration_seconds"], "histogram");
    assert_eq!(types["redress_http_requests_in_flight"], "gauge");
    let shown = value(&s1, "redress_http_requests_total", &SHOW).expect("GET /api/v1/cases/:id counted by its template");
    assert!(shown >= 3.0, "{shown}");
    assert_eq!(value(&s1, "redress_http_requests_total", &[("route", "/api/v1/cases"), ("method", "POST"), ("status", "2xx")]), Some(1.0));
    assert_eq!(value(&s1, "redress_http_requests_total", &[("route", "unmatched"), ("status", "4xx")]), Some(1.0));
    assert!(s1.iter().all(|s| !s.labels.get("route").is_some_and(|r| r.contains("/no/such"))), "raw paths never become labels");
    // The scrape itself is in flight while it is answered.
    assert!(value(&s1, "redress_http_requests_in_flight", &[]).unwrap() >= 1.0);
    assert_eq!(value(&s1, "redress_store_info", &[("backend", h.app.store.backend())]), Some(1.0));
    assert_eq!(value(&s1, "redress_store_up", &[]), Some(1.0));
    assert_eq!(value(&s1, "redress_store_write_queue_depth", &[]), Some(0.0), "nothing queued between requests");
    assert!(value(&s1, "redress_store_write_requests_total", &[]).unwrap() >= 1.0, "the registration went through the writer");
    if matches!(b, Backend::Postgres) {
        assert!(value(&s1, "redress_store_pool_connections", &[]).unwrap() >= 1.0);
        assert!(value(&s1, "redress_store_pool_max_connections", &[]).unwrap() >= 2.0);
    }
    let head = h.app.store.chain_head().await.unwrap().0 as f64;
    assert_eq!(value(&s1, "redress_event_log_head_seq", &[]), Some(head));
    assert_eq!(value(&s1, "redress_cases_open", &[]), Some(1.0), "the one registered case is open");
    assert_eq!(value(&s1, "redress_cases_overdue", &[]), Some(0.0));
    assert!(value(&s1, "process_resident_memory_bytes", &[]).unwrap() > 1e6);

    // Counters only grow: two more reads, one more scrape.
    for _ in 0..2 {
        h.as_user("clerk", Method::GET, &format!("/api/v1/cases/{id}"), None).await;
    }
    let (_, s2) = scrape(&h).await;
    assert_eq!(value(&s2, "redress_http_requests_total", &SHOW), Some(shown + 2.0));
    assert_eq!(value(&s2, "redress_http_requests_total", &[("route", "/metrics"), ("method", "GET")]), Some(1.0), "the first scrape is counted");
    for a in s1.iter().filter(|s| s.name == "redress_http_requests_total") {
        let b = value(&s2, &a.name, &a.labels.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect::<Vec<_>>()).expect("series kept");
        assert!(b >= a.value, "{a:?} went down to {b}");
    }
    // The open and overdue counts are cached: a second case does not show before 30 s.
    h.register().await;
    let (_, s3) = scrape(&h).await;
    assert_eq!(value(&s3, "redress_cases_open", &[]), Some(1.0));
    assert!(value(&s3, "redress_event_log_head_seq", &[]).unwrap() > head, "the head is read on every scrape");
}

async fn histogram_buckets_are_cumulative(b: Backend) {
    let h = harness_with(b, false).await;
    let id = h.register().await["id"].as_i64().unwrap();
    for _ in 0..5 {
        h.as_user("clerk", Method::GET, &format!("/api/v1/cases/{id}"), None).await;
        h.as_user("clerk", Method::GET, "/api/v1/cases", None).await;
    }
    let (_, samples) = scrape(&h).await;
    // Group buckets by their series (labels without `le`).
    type Labels = Vec<(String, String)>;
    let mut series: BTreeMap<Labels, Vec<(f64, f64)>> = BTreeMap::new();
    for s in samples.iter().filter(|s| s.name == "redress_http_request_duration_seconds_bucket") {
        let le = s.labels.get("le").expect("bucket with le");
        let bound = if le == "+Inf" { f64::INFINITY } else { le.parse().expect("numeric le") };
        let key = s.labels.iter().filter(|(k, _)| *k != "le").map(|(k, v)| (k.clone(), v.clone())).collect();
        series.entry(key).or_default().push((bound, s.value));
    }
    assert!(series.len() >= 3, "{series:?}");
    for (key, buckets) in &series {
        let labels: Vec<(&str, &str)> = key.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        assert!(buckets.windows(2).all(|w| w[0].0 < w[1].0), "bounds ascend: {key:?} {buckets:?}");
        assert!(buckets.windows(2).all(|w| w[0].1 <= w[1].1), "buckets are cumulative: {key:?} {buckets:?}");
        let (last_bound, last) = *buckets.last().unwrap();
        assert_eq!(last_bound, f64::INFINITY, "{key:?} ends with +Inf");
        let count = value(&samples, "redress_http_request_duration_seconds_count", &labels).expect("_count");
        assert_eq!(last, count, "+Inf equals _count for {key:?}");
        assert_eq!(value(&samples, "redress_http_requests_total", &labels), Some(count), "total equals _count for {key:?}");
        let sum = value(&samples, "redress_http_request_duration_seconds_sum", &labels).expect("_sum");
        assert!(sum >= 0.0 && sum < count * 60.0, "{key:?} sum {sum}");
    }
    let show: Vec<(&str, &str)> = SHOW.to_vec();
    assert_eq!(value(&samples, "redress_http_request_duration_seconds_count", &show), Some(5.0));
}

async fn request_ids_are_echoed_or_generated(b: Backend) {
    let h = harness_with(b, false).await;
    let get = |id: Option<&str>| {
        let mut r = Request::get("/health");
        if let Some(id) = id {
            r = r.header("x-request-id", id);
        }
        r.body(Body::empty()).unwrap()
    };
    let (st, headers, _) = h.raw(get(Some("lb-7f3a.2"))).await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(headers["x-request-id"], "lb-7f3a.2", "a sane client id is echoed");

    let mut seen = vec![];
    for bad in [None, Some("has spaces in it"), Some(&*"x".repeat(100)), Some("quote\"d")] {
        let (_, headers, _) = h.raw(get(bad)).await;
        let id = headers["x-request-id"].to_str().unwrap().to_string();
        assert_eq!(id.len(), 16, "{bad:?} → {id}");
        assert!(id.bytes().all(|c| c.is_ascii_hexdigit()), "{bad:?} → {id}");
        assert!(!seen.contains(&id), "a fresh id each time");
        seen.push(id);
    }
    // Error responses carry it too.
    let (st, headers, _) = h.raw(Request::get("/api/v1/cases").header("x-request-id", "abc").body(Body::empty()).unwrap()).await;
    assert_eq!(st, StatusCode::UNAUTHORIZED);
    assert_eq!(headers["x-request-id"], "abc");
}

on_both_backends!(metrics_count_requests_by_route_and_status, histogram_buckets_are_cumulative, request_ids_are_echoed_or_generated);

/// Collects what the subscriber writes.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// The JSON log lines written while a request is handled carry its id in their span, as
/// `serve --log-json` writes them.
#[tokio::test(flavor = "current_thread")]
async fn json_logs_carry_the_request_id() {
    let h = harness_with(Backend::Sqlite, false).await;
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .json()
        .with_env_filter(tracing_subscriber::EnvFilter::new("redress_web=debug"))
        .with_writer(move || writer.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);
    let (st, _, _) = h.raw(Request::get("/health").header("x-request-id", "trace-me-42").body(Body::empty()).unwrap()).await;
    assert_eq!(st, StatusCode::OK);
    let text = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    let lines: Vec<serde_json::Value> = text.lines().map(|l| serde_json::from_str(l).expect("one JSON object a line")).collect();
    let line = lines
        .iter()
        .find(|l| l["span"]["request_id"] == "trace-me-42")
        .unwrap_or_else(|| panic!("no log line with the request id in its span: {text}"));
    assert_eq!(line["span"]["route"], "/health");
    assert_eq!(line["fields"]["status"], 200);
}
