//! SQLite storage faults seen through the API (issue 8): a full disk (simulated with
//! `PRAGMA max_page_count`) answers 507 and a read-only database (simulated with
//! `PRAGMA query_only`, since tests may run as root, for whom chmod changes nothing) answers
//! 503 with `Retry-After`, each with a Chinese error in the usual JSON shape. Reads go on,
//! nothing is half-written and the hash chain verifies. Writes work again in the same process
//! once there is space, and after a restart once the file is writable.

use std::sync::Arc;

use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use http_body_util::BodyExt;
use redress_app::App;
use redress_store::Store;
use redress_store_sqlite::SqliteStore;
use serde_json::{json, Value};
use tower::ServiceExt;

struct Fixture {
    store: Arc<SqliteStore>,
    router: axum::Router,
    token: String,
    path: std::path::PathBuf,
}

/// Deletes the database files at the end of a test.
struct Cleanup(std::path::PathBuf);

impl Drop for Cleanup {
    fn drop(&mut self) {
        for ext in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{ext}", self.0.display()));
        }
    }
}

async fn fixture(name: &str) -> (Fixture, Cleanup) {
    let path = std::env::temp_dir().join(format!("redress-faults-{name}-{}.db", std::process::id()));
    (fixture_at(&path).await, Cleanup(path))
}

/// Opens (a restart: the same file again) and serves the database at `path`.
async fn fixture_at(path: &std::path::Path) -> Fixture {
    let path = path.to_path_buf();
    let store = Arc::new(SqliteStore::open(&path).expect("open"));
    store.migrate().await.unwrap();
    let app = Arc::new(App::new(store.clone() as Arc<dyn Store>));
    app.seed_demo_if_empty(0).await.unwrap();
    let clerk = app.store.get_user_by_name("clerk").await.unwrap().unwrap();
    let token = app.issue_token("faults", Some(clerk.id), "api").await.unwrap();
    let router = redress_web::router(app);
    Fixture { store, router, token, path }
}

impl Fixture {
    async fn call(&self, method: Method, path: &str, body: Option<Value>) -> (StatusCode, axum::http::HeaderMap, Value) {
        let req = Request::builder()
            .method(method)
            .uri(path)
            .header("authorization", format!("Bearer {}", self.token))
            .header("content-type", "application/json")
            .body(body.map_or(Body::empty(), |b| Body::from(b.to_string())))
            .unwrap();
        let resp = self.router.clone().oneshot(req).await.unwrap();
        let (parts, body) = resp.into_parts();
        let bytes = body.collect().await.unwrap().to_bytes();
        (parts.status, parts.headers, serde_json::from_slice(&bytes).unwrap_or(Value::Null))
    }

    async fn register(&self, content: &str) -> (StatusCode, axum::http::HeaderMap, Value) {
        let body = json!({
            "channel": "letter",
            "matter_type": "claim",
            "category": "01.02",
            "subject": "路灯不亮",
            "content": content,
            "location": { "address": "城关镇人民路" },
            "people_count": 1,
            "channel_details": {},
            "intake_org": 0,
            "petitioner": { "name": "李四", "phone": "13900001111" }
        });
        self.call(Method::POST, "/api/v1/cases", Some(body)).await
    }

    async fn verify(&self) {
        let report = redress_app::verify::verify(self.store.as_ref(), &|_, _, _| {}).await.unwrap();
        assert!(report.ok(), "verify: {report:?}");
    }
}

fn has_chinese(s: &str) -> bool {
    s.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn full_disk_answers_507_keeps_the_database_intact_and_recovers() {
    let (f, _cleanup) = fixture("full").await;
    let (st, _, first) = f.register("第一件").await;
    assert_eq!(st, StatusCode::CREATED, "{first}");
    let before = redress_store::conformance::snapshot(f.store.as_ref()).await;
    let pages: i64 = rusqlite::Connection::open(&f.path).unwrap().query_row("PRAGMA page_count", [], |r| r.get(0)).unwrap();
    f.store.execute_on_writer(&format!("PRAGMA max_page_count = {pages}")).await.unwrap();

    let (st, _, body) = f.register(&"很长的内容。".repeat(3000)).await;
    assert_eq!(st, StatusCode::INSUFFICIENT_STORAGE, "{body}");
    assert_eq!(body["error"]["code"], "storage");
    let msg = body["error"]["message"].as_str().unwrap();
    assert!(msg.contains("磁盘空间已满") && has_chinese(msg), "{msg}");
    // Reads go on; nothing was half-written.
    let (st, _, shown) = f.call(Method::GET, &format!("/api/v1/cases/{}", first["id"]), None).await;
    assert_eq!(st, StatusCode::OK, "{shown}");
    assert_eq!(redress_store::conformance::snapshot(f.store.as_ref()).await, before);
    f.verify().await;

    // Space again: the same process takes cases.
    f.store.execute_on_writer("PRAGMA max_page_count = 1073741823").await.unwrap();
    let (st, _, body) = f.register(&"很长的内容。".repeat(3000)).await;
    assert_eq!(st, StatusCode::CREATED, "{body}");
    f.verify().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn read_only_database_answers_503_with_retry_after_and_recovers() {
    let (f, _cleanup) = fixture("readonly").await;
    let (st, _, first) = f.register("第一件").await;
    assert_eq!(st, StatusCode::CREATED, "{first}");
    let before = redress_store::conformance::snapshot(f.store.as_ref()).await;
    f.store.execute_on_writer("PRAGMA query_only = 1").await.unwrap();

    let (st, headers, body) = f.register("第二件").await;
    assert_eq!(st, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert!(headers.get("retry-after").is_some(), "{headers:?}");
    assert_eq!(body["error"]["code"], "read_only");
    let msg = body["error"]["message"].as_str().unwrap();
    assert!(msg.contains("只读") && has_chinese(msg), "{msg}");
    let (st, _, _) = f.call(Method::GET, &format!("/api/v1/cases/{}", first["id"]), None).await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(redress_store::conformance::snapshot(f.store.as_ref()).await, before);
    f.verify().await;

    // A connection stays read-only until it is opened again: once the file is writable, the
    // restarted server takes cases.
    let path = f.path.clone();
    drop(f);
    let f = fixture_at(&path).await;
    let (st, _, body) = f.register("第三件").await;
    assert_eq!(st, StatusCode::CREATED, "{body}");
    f.verify().await;
}
