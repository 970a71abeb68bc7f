use axum::extract::State;
use axum::response::IntoResponse;
use axum::Json;
use redress_app::permissions::require_any;
use redress_domain::Role;
use serde::Deserialize;

use crate::error::ApiResult;
use crate::extract::{ApiJson, Auth};
use crate::AppState;

#[derive(Deserialize)]
pub struct SuggestBody {
    #[serde(default)]
    subject: String,
    #[serde(default)]
    content: String,
}

/// Top-3 categories and units for a matter being registered or routed.
pub async fn suggest(State(s): State<AppState>, Auth(p): Auth, ApiJson(b): ApiJson<SuggestBody>) -> ApiResult<impl IntoResponse> {
    require_any(&p, &[Role::IntakeClerk, Role::Admin, Role::Supervisor, Role::Leader])?;
    Ok(Json(s.app.suggest(&b.subject, &b.content).await?))
}

pub async fn stats(State(s): State<AppState>, Auth(p): Auth) -> ApiResult<impl IntoResponse> {
    require_any(&p, &[Role::Admin, Role::Auditor, Role::Supervisor, Role::Leader])?;
    Ok(Json(s.app.suggestion_stats().await?))
}

/// Retrains from the county's own cases now (it also happens daily).
pub async fn train(State(s): State<AppState>, Auth(p): Auth) -> ApiResult<impl IntoResponse> {
    require_any(&p, &[Role::Admin])?;
    Ok(Json(s.app.train_routing_models().await?))
}
