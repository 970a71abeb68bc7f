//! Test harness: the router on a fresh store of either backend, demo organisations and one
//! account per role, signed in, with a clock the test moves.

#![allow(dead_code)]

use std::sync::Arc;

use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use axum::Router;
use chrono::{DateTime, TimeZone, Utc};
use http_body_util::BodyExt;
use redress_app::{App, ManualClock};
use redress_store::Store;
use serde_json::{json, Value};
use tower::ServiceExt;

/// One test per backend for each named `async fn(Backend)` of the calling file.
#[allow(unused_macros)]
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {
        $(
            mod $name {
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn sqlite() { super::$name(super::Backend::Sqlite).await }
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn postgres() { super::$name(super::Backend::Postgres).await }
            }
        )*
    };
}

pub const PG_ADMIN: &str = "postgres://postgres@127.0.0.1:5432/test";

#[derive(Clone, Copy, Debug)]
pub enum Backend {
    Sqlite,
    Postgres,
}

pub struct H {
    pub app: Arc<App>,
    pub router: Router,
    pub clock: Arc<ManualClock>,
    pub tokens: std::collections::HashMap<String, String>,
    _tmp: Option<TempFile>,
    /// The full-text index (in a temporary directory), following the log as a server's does.
    pub index: Option<Arc<redress_search::SearchIndex>>,
    _index_dir: Option<tempfile::TempDir>,
}

pub struct TempFile(std::path::PathBuf);

impl Drop for TempFile {
    fn drop(&mut self) {
        for ext in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{ext}", self.0.display()));
        }
    }
}

/// 2026-03-02 09:00 Beijing time, a Monday.
pub fn start() -> DateTime<Utc> {
    redress_domain::china_offset().with_ymd_and_hms(2026, 3, 2, 9, 0, 0).unwrap().with_timezone(&Utc)
}

pub async fn store(backend: Backend) -> (Arc<dyn Store>, Option<TempFile>) {
    match backend {
        Backend::Sqlite => {
            let path = std::env::temp_dir().join(format!("redress-web-{}-{}.db", std::process::id(), rand_suffix()));
            let s = redress_store_sqlite::SqliteStore::open(&path).expect("open sqlite");
            s.migrate().await.expect("migrate");
            (Arc::new(s), Some(TempFile(path)))
        }
        Backend::Postgres => {
            let (url, db) = redress_store_postgres::testing::create_test_database(PG_ADMIN)
                .await
                .expect("PostgreSQL at 127.0.0.1:5432 must be reachable for these tests");
            let s = redress_store_postgres::PgStore::connect(&url).await.expect("connect").drop_database_on_drop(PG_ADMIN, &db);
            s.migrate().await.expect("migrate");
            (Arc::new(s), None)
        }
    }
}

fn rand_suffix() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    N.fetch_add(1, Ordering::Relaxed) * 1_000_000 + (std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().subsec_nanos() as u64 % 1_000_000)
}

pub async fn harness(backend: Backend) -> H {
    harness_with(backend, true).await
}

/// The harness, with or without a full-text index.
pub async fn harness_with(backend: Backend, search: bool) -> H {
    let (store, tmp) = store(backend).await;
    let clock = Arc::new(ManualClock::new(start()));
    let app = Arc::new(App::with_clock(store, clock.clone()));
    app.seed_demo_if_empty(0).await.expect("seed").expect("fresh store");
    let (index, index_dir) = if search {
        let dir = tempfile::tempdir().expect("index dir");
        let index = redress_search::follow::start(dir.path(), app.store.clone()).await.expect("search index");
        app.set_search(index.clone());
        (Some(index), Some(dir))
    } else {
        (None, None)
    };
    let mut state = redress_web::AppState::new(app.clone());
    state.secure_cookies = false;
    let router = redress_web::router_with(state);
    let mut h = H { app, router, clock, tokens: Default::default(), _tmp: tmp, index, _index_dir: index_dir };
    for user in ["clerk", "handler", "head", "supervisor", "leader", "admin", "auditor", "town_clerk"] {
        // Sign in once through the API (sessions expire after hours; the tests move the clock
        // by days), then act with a long-lived API token as machine clients do.
        let (st, body) = h.call(Method::POST, "/api/v1/auth/login", None, Some(json!({ "username": user, "password": redress_app::demo::DEMO_PASSWORD }))).await;
        assert_eq!(st, StatusCode::OK, "{user} login: {body}");
        assert!(body["token"].as_str().is_some_and(|t| t.len() == 64));
        let id = h.app.store.get_user_by_name(user).await.unwrap().unwrap().id;
        let token = h.app.issue_token(&format!("test-{user}"), Some(id), "api").await.unwrap();
        h.tokens.insert(user.to_string(), token);
    }
    h
}

impl H {
    pub fn token(&self, user: &str) -> Option<&str> {
        self.tokens.get(user).map(String::as_str)
    }

    pub async fn raw(&self, req: Request<Body>) -> (StatusCode, axum::http::HeaderMap, Vec<u8>) {
        let resp = self.router.clone().oneshot(req).await.unwrap();
        let status = resp.status();
        let headers = resp.headers().clone();
        let bytes = resp.into_body().collect().await.unwrap().to_bytes().to_vec();
        (status, headers, bytes)
    }

    pub async fn call(&self, method: Method, path: &str, token: Option<&str>, body: Option<Value>) -> (StatusCode, Value) {
        let mut b = Request::builder().method(method).uri(path);
        if let Some(t) = token {
            b = b.header(header::AUTHORIZATION, format!("Bearer {t}"));
        }
        let req = match body {
            Some(v) => b.header(header::CONTENT_TYPE, "application/json").body(Body::from(v.to_string())).unwrap(),
            None => b.body(Body::empty()).unwrap(),
        };
        let (status, _, bytes) = self.raw(req).await;
        let v = if bytes.is_empty() { Value::Null } else { serde_json::from_slice(&bytes).unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned())) };
        (status, v)
    }

    pub async fn as_user(&self, user: &str, method: Method, path: &str, body: Option<Value>) -> (StatusCode, Value) {
        self.call(method, path, self.token(user), body).await
    }

    pub async fn org_id(&self, name: &str) -> i64 {
        let cfg = self.app.cfg().await.unwrap();
        let id = cfg.tree.all().find(|o| o.name == name).unwrap_or_else(|| panic!("org {name}")).id.0;
        id
    }

    /// Registers a letter about a broken lift in 城关镇幸福社区, with a named petitioner.
    pub async fn register(&self) -> Value {
        let place = self.org_id("幸福社区").await;
        let (st, body) = self
            .as_user(
                "clerk",
                Method::POST,
                "/api/v1/cases",
                Some(json!({
                    "channel": "letter",
                    "matter_type": "claim",
                    "category": "01.02",
                    "subject": "小区电梯停运三个月",
                    "content": "幸福社区3号楼电梯停运三个月，物业不修。",
                    "location": { "address": "城关镇幸福路8号", "org": place },
                    "petitioner": { "name": "王建国", "phone": "13912345678", "id_number": "11010519491231002X" }
                })),
            )
            .await;
        assert_eq!(st, StatusCode::CREATED, "{body}");
        body
    }

    pub async fn act(&self, user: &str, id: i64, cmd: Value) -> (StatusCode, Value) {
        self.as_user(user, Method::POST, &format!("/api/v1/cases/{id}/actions"), Some(cmd)).await
    }

    pub async fn act_ok(&self, user: &str, id: i64, cmd: Value) -> Value {
        let (st, body) = self.act(user, id, cmd.clone()).await;
        assert_eq!(st, StatusCode::OK, "{user} {cmd}: {body}");
        body
    }
}

// ----- console pages as a browser without JavaScript sees them -----

/// Signs `user` in through the API; the session token doubles as the console's cookie value.
pub async fn session(h: &H, user: &str) -> String {
    let (st, login) = h.call(Method::POST, "/api/v1/auth/login", None, Some(json!({ "username": user, "password": redress_app::demo::DEMO_PASSWORD }))).await;
    assert_eq!(st, StatusCode::OK, "{login}");
    login["token"].as_str().unwrap().to_string()
}

/// GET with the session cookie: (status, body).
pub async fn page(h: &H, session: &str, path: &str) -> (StatusCode, String) {
    let req = Request::get(path).header(header::COOKIE, format!("redress_session={session}")).body(Body::empty()).unwrap();
    let (st, _, body) = h.raw(req).await;
    (st, String::from_utf8(body).unwrap())
}

/// POSTs a form with the session cookie: (status, the redirect's location or the body).
pub async fn post_form(h: &H, session: &str, path: &str, form: &[(&str, &str)]) -> (StatusCode, String) {
    let req = Request::post(path)
        .header(header::COOKIE, format!("redress_session={session}"))
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(serde_urlencoded::to_string(form).unwrap()))
        .unwrap();
    let (st, headers, body) = h.raw(req).await;
    let loc = headers.get(header::LOCATION).map(|v| v.to_str().unwrap().to_string()).unwrap_or_default();
    (st, if st == StatusCode::SEE_OTHER { loc } else { String::from_utf8(body).unwrap() })
}

/// The value of the first hidden or text field `name` in a page.
pub fn field_value(html: &str, name: &str) -> String {
    let key = format!("name=\"{name}\" value=\"");
    let start = html.find(&key).unwrap_or_else(|| panic!("no field {name}")) + key.len();
    html[start..start + html[start..].find('"').unwrap()].to_string()
}

/// The page's CSRF token.
pub fn csrf(html: &str) -> String {
    field_value(html, "csrf")
}
