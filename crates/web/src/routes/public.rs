use std::net::SocketAddr;

use axum::extract::{ConnectInfo, Path, Query, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::Json;
use redress_app::AppError;
use serde::Deserialize;
use serde_json::json;

use crate::error::{ApiError, ApiResult};
use crate::AppState;

pub async fn health() -> Json<serde_json::Value> {
    Json(json!({ "status": "ok" }))
}

/// Ready when the database answers.
pub async fn ready(State(s): State<AppState>) -> impl IntoResponse {
    match s.app.store.chain_head().await {
        Ok((seq, _)) => (StatusCode::OK, Json(json!({ "status": "ready", "backend": s.app.store.backend(), "events": seq }))),
        Err(e) => (StatusCode::SERVICE_UNAVAILABLE, Json(json!({ "status": "unavailable", "message": e.to_string() }))),
    }
}

pub async fn openapi() -> Json<serde_json::Value> {
    Json(crate::openapi::document())
}

#[derive(Deserialize)]
pub struct LookupQuery {
    /// Last four digits of the petitioner's phone, for the subject.
    phone4: Option<String>,
}

pub async fn lookup(
    State(s): State<AppState>,
    connect: Option<ConnectInfo<SocketAddr>>,
    Path(code): Path<String>,
    Query(q): Query<LookupQuery>,
) -> ApiResult<impl IntoResponse> {
    let client = connect.map(|c| c.0.ip().to_string()).unwrap_or_else(|| "local".into());
    s.lookup_limiter.check(&s.app, &client).await.map_err(|secs| ApiError(AppError::RateLimited { retry_after_secs: secs }))?;
    let view = s.app.public_lookup(&code, q.phone4.as_deref()).await?;
    Ok(Json(view))
}
