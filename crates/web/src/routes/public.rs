use std::net::SocketAddr;

use axum::extract::{ConnectInfo, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse};
use axum::Json;
use redress_app::AppError;
use serde::Deserialize;
use serde_json::json;

use crate::error::{ApiError, ApiResult};
use crate::AppState;

pub async fn home() -> Html<&'static str> {
    Html(concat!(
        "<!doctype html><html lang=\"zh-CN\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width\">",
        "<title>诉求办理与矛盾化解平台</title></head><body>",
        "<h1>诉求办理与矛盾化解平台</h1>",
        "<p>群众可凭查询码查询办理进度：<code>GET /api/v1/public/lookup/查询码</code></p>",
        "<p>接口文档：<a href=\"/api/openapi.json\">/api/openapi.json</a></p>",
        "</body></html>"
    ))
}

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
    s.lookup_limiter.take(&client).map_err(|secs| ApiError(AppError::RateLimited { retry_after_secs: secs }))?;
    let view = s.app.public_lookup(&code, q.phone4.as_deref()).await?;
    Ok(Json(view))
}
