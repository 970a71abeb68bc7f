//! Server-rendered pages: the staff console (工作台, /console) and the public portal (群众端, /).
//!
//! Templates are askama files under `crates/web/templates` (compiled in, escaped by default);
//! CSS, a few lines of JS and htmx are vendored under `crates/web/assets` and served from
//! /assets. Every form carries a CSRF token; every page is sent with headers that forbid
//! framing, sniffing and scripts from elsewhere. Decisions stay in redress-app: these handlers
//! only read forms, call the use case and render.

/// The value of a `Result<T, Response>`, or that response returned from the handler.
macro_rules! or_return {
    ($e:expr) => {
        match $e {
            Ok(x) => x,
            Err(r) => return r,
        }
    };
}

mod console;
mod dashboard;
mod warnings;
mod forms;
mod portal;
pub mod text;
// Routine duties of issue 6 (零报告, 矛盾纠纷排查, 考核).
mod duties;
// Social stability risk assessment (issue 7).
mod assessment;
// People's mediation (issue 7).
mod mediation;

use askama::Template;
use axum::extract::Request;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;

use crate::AppState;

pub use dashboard::DashQuery;
pub use forms::Fields;

pub fn routes() -> Router<AppState> {
    let pages = Router::new()
        .route("/", get(portal::home))
        .route("/submit", get(portal::submit_form).post(portal::submit).layer(axum::extract::DefaultBodyLimit::max(portal::SUBMIT_LIMIT)))
        .route("/lookup", get(portal::lookup))
        .route("/lookup/rate", post(portal::rate))
        .route("/lookup/review", post(portal::review))
        .route("/console", get(console::workbench))
        .route("/console/login", get(console::login_form).post(console::login))
        .route("/console/logout", post(console::logout))
        .route("/console/cases", get(console::cases))
        .route("/console/cases/new", get(console::intake_form).post(console::intake))
        .route("/console/cases/route-batch", post(console::route_batch))
        .route("/console/intake/similar", post(console::intake_similar))
        .route("/console/cases/:id", get(console::case_page))
        .route("/console/cases/:id/act", post(console::act))
        .route("/console/cases/:id/reveal", post(console::reveal))
        .route("/console/cases/:id/attachments", post(console::attach).layer(axum::extract::DefaultBodyLimit::max(crate::ATTACHMENT_LIMIT + 64 * 1024)))
        .route("/console/cases/:id/similar", get(console::case_similar))
        .route("/console/supervision", get(console::supervision))
        .route("/console/search", get(console::search))
        .route("/console/dashboard", get(dashboard::page))
        .route("/console/dashboard/cases", get(dashboard::cases))
        .route("/console/reports/monthly", get(dashboard::report))
        .route("/console/warnings", get(warnings::list))
        .route("/console/warnings/:id", get(warnings::show))
        .route("/console/warnings/:id/act", post(warnings::act))
        .route("/console/warning-rules", get(warnings::rules).post(warnings::save_rules))
        // Routine duties of issue 6 (零报告, 矛盾纠纷排查, 考核).
        .merge(duties::routes())
        .merge(mediation::routes())
        .merge(assessment::routes())
        .layer(middleware::from_fn(security_headers));
    pages
        .route("/assets/app.css", get(|| async { asset("text/css; charset=utf-8", include_bytes!("../../assets/app.css")) }))
        .route("/assets/app.js", get(|| async { asset("text/javascript; charset=utf-8", include_bytes!("../../assets/app.js")) }))
        .route("/assets/echarts.min.js", get(|| async { asset("text/javascript; charset=utf-8", include_bytes!("../../assets/echarts.min.js")) }))
        .route("/assets/dashboard.js", get(|| async { asset("text/javascript; charset=utf-8", include_bytes!("../../assets/dashboard.js")) }))
        .route("/assets/htmx.min.js", get(|| async { asset("text/javascript; charset=utf-8", include_bytes!("../../assets/htmx.min.js")) }))
        // Report charts (issue 6).
        .route("/assets/report-charts.js", get(|| async { asset("text/javascript; charset=utf-8", include_bytes!("../../assets/report-charts.js")) }))
}

fn asset(mime: &'static str, bytes: &'static [u8]) -> Response {
    ([(header::CONTENT_TYPE, mime), (header::CACHE_CONTROL, "public, max-age=3600")], bytes).into_response()
}

/// Pages may load scripts and styles only from this server, may not be framed, and are not
/// cached (they carry personal data and CSRF tokens).
async fn security_headers(req: Request, next: Next) -> Response {
    let mut res = next.run(req).await;
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; frame-ancestors 'none'; form-action 'self'; base-uri 'none'"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    h.entry(header::CACHE_CONTROL).or_insert(HeaderValue::from_static("no-store"));
    res
}

/// Renders a template, or a plain 500 page if rendering fails.
pub(crate) fn render<T: Template>(t: &T) -> Response {
    match t.render() {
        Ok(body) => Html(body).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "template failed");
            error_page(StatusCode::INTERNAL_SERVER_ERROR, "页面生成失败", "页面生成时出错，请稍后重试或联系管理员。", "/")
        }
    }
}

pub(crate) fn render_status<T: Template>(status: StatusCode, t: &T) -> Response {
    let mut r = render(t);
    if r.status() == StatusCode::OK {
        *r.status_mut() = status;
    }
    r
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    title: &'a str,
    message: &'a str,
    home: &'a str,
}

pub(crate) fn error_page(status: StatusCode, title: &str, message: &str, home: &str) -> Response {
    let body = ErrorPage { title, message, home }.render().unwrap_or_else(|_| message.to_string());
    (status, Html(body)).into_response()
}

/// A 303 to `to` (after a successful POST), with extra headers.
pub(crate) fn see_other(to: &str, headers: HeaderMap) -> Response {
    let mut r = (StatusCode::SEE_OTHER, headers).into_response();
    r.headers_mut().insert(header::LOCATION, HeaderValue::from_str(to).unwrap_or(HeaderValue::from_static("/")));
    r
}

/// The client's address for rate limits.
pub(crate) fn client_of(connect: &Option<axum::extract::ConnectInfo<std::net::SocketAddr>>) -> String {
    connect.as_ref().map(|c| c.0.ip().to_string()).unwrap_or_else(|| "local".into())
}
