//! Early warnings (三级预警) in the API: the rules (administrators edit them), the warnings a
//! person receives, acknowledging and disposing of one, and running a scan now.

use axum::extract::{Path, Query, State};
use axum::response::IntoResponse;
use axum::Json;
use redress_app::warnings::WarningRule;
use redress_domain::Role;
use serde::Deserialize;
use serde_json::json;

use crate::error::ApiResult;
use crate::extract::{ApiJson, Auth};
use crate::AppState;

pub async fn rules(State(s): State<AppState>, Auth(_p): Auth) -> ApiResult<impl IntoResponse> {
    Ok(Json(s.app.warning_rules().await?))
}

pub async fn set_rules(State(s): State<AppState>, Auth(p): Auth, ApiJson(rules): ApiJson<Vec<WarningRule>>) -> ApiResult<impl IntoResponse> {
    s.app.set_warning_rules(&p, rules).await?;
    Ok(Json(s.app.warning_rules().await?))
}

#[derive(Debug, Default, Deserialize)]
pub struct ListParams {
    /// `all` includes disposed warnings.
    status: Option<String>,
}

pub async fn list(State(s): State<AppState>, Auth(p): Auth, Query(q): Query<ListParams>) -> ApiResult<impl IntoResponse> {
    let live = q.status.as_deref() != Some("all");
    Ok(Json(json!({ "items": s.app.warnings_for(&p, live, 200).await? })))
}

pub async fn show(State(s): State<AppState>, Auth(p): Auth, Path(id): Path<i64>) -> ApiResult<impl IntoResponse> {
    Ok(Json(s.app.warning(&p, id).await?))
}

pub async fn acknowledge(State(s): State<AppState>, Auth(p): Auth, Path(id): Path<i64>) -> ApiResult<impl IntoResponse> {
    Ok(Json(s.app.acknowledge_warning(&p, id).await?))
}

#[derive(Debug, Deserialize)]
pub struct Disposal {
    disposition: String,
    #[serde(default)]
    notes: String,
}

pub async fn dispose(State(s): State<AppState>, Auth(p): Auth, Path(id): Path<i64>, ApiJson(d): ApiJson<Disposal>) -> ApiResult<impl IntoResponse> {
    Ok(Json(s.app.dispose_warning(&p, id, &d.disposition, &d.notes).await?))
}

/// Runs the scan now (administrators and supervisors); the server also runs it periodically.
pub async fn scan(State(s): State<AppState>, Auth(p): Auth) -> ApiResult<impl IntoResponse> {
    redress_app::permissions::require_any(&p, &[Role::Admin, Role::Supervisor])?;
    let now = s.app.now();
    Ok(Json(s.app.scan_warnings(now).await?))
}
