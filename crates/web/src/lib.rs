//! The HTTP layer: a JSON API under /api/v1 (documented at /api/openapi.json), the public
//! status lookup, and health checks. Handlers only translate; decisions are in redress-app.

#![recursion_limit = "256"] // the OpenAPI document is one large json! literal

pub mod error;
pub mod extract;
pub mod metrics;
pub mod open311;
pub mod openapi;
pub mod ratelimit;
mod routes;
pub mod ui;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::DefaultBodyLimit;
use axum::Router;
use redress_app::App;

#[derive(Clone)]
pub struct AppState {
    pub app: Arc<App>,
    pub lookup_limiter: Arc<ratelimit::RateLimiter>,
    /// Portal submissions per client address.
    pub submit_limiter: Arc<ratelimit::RateLimiter>,
    /// Public Open311 reads (`/open311/v2/requests…`), per client address.
    pub open311_limiter: Arc<ratelimit::RateLimiter>,
    /// Send cookies with `Secure` (off only for plain-HTTP local tests).
    pub secure_cookies: bool,
    /// Request counts and latencies for `GET /metrics`.
    pub metrics: Arc<metrics::Metrics>,
}

impl AppState {
    pub fn new(app: Arc<App>) -> AppState {
        AppState {
            app,
            lookup_limiter: Arc::new(ratelimit::RateLimiter::named("lookup", 30, 10)),
            submit_limiter: Arc::new(ratelimit::RateLimiter::named("submit", 2, 10)),
            open311_limiter: Arc::new(ratelimit::RateLimiter::named("open311", 600, 120)),
            secure_cookies: true,
            metrics: Arc::default(),
        }
    }
}

/// JSON bodies above this are refused (attachments have their own limit).
pub const BODY_LIMIT: usize = 1024 * 1024;
pub const ATTACHMENT_LIMIT: usize = 10 * 1024 * 1024;

pub fn router(app: Arc<App>) -> Router {
    router_with(AppState::new(app))
}

pub fn router_with(state: AppState) -> Router {
    routes::routes()
        .route("/metrics", axum::routing::get(metrics::handler))
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        // Outermost: request id, tracing span and metrics for every request.
        .layer(axum::middleware::from_fn_with_state(state.clone(), metrics::track))
        .with_state(state)
}

/// Serves until `shutdown` resolves, then finishes in-flight requests.
pub async fn serve(
    app: Arc<App>,
    listener: tokio::net::TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let router = router(app);
    axum::serve(listener, router.into_make_service_with_connect_info::<SocketAddr>())
        .with_graceful_shutdown(shutdown)
        .await
}
