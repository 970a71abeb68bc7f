//! `GET /api/v1/dashboard`: the dashboard's figures and breakdowns as JSON (the same as the
//! console's 指挥中心), and `GET /api/v1/dashboard/cases`: the cases behind a figure.

use axum::extract::{Query, State};
use axum::response::IntoResponse;
use axum::Json;
use serde_json::json;

use crate::error::ApiResult;
use crate::extract::Auth;
use crate::ui::DashQuery;
use crate::AppState;

pub async fn dashboard(State(s): State<AppState>, Auth(p): Auth, Query(q): Query<DashQuery>) -> ApiResult<impl IntoResponse> {
    let f = q.filter()?;
    Ok(Json(s.app.dashboard(&p, &f).await?))
}

pub async fn cases(State(s): State<AppState>, Auth(p): Auth, Query(q): Query<DashQuery>) -> ApiResult<impl IntoResponse> {
    let f = q.filter()?;
    let figure = q.figure.clone().unwrap_or_else(|| "received".into());
    let (rows, total) = s.app.dashboard_cases(&p, &f, &figure, q.page()?).await?;
    Ok(Json(json!({ "figure": figure, "total": total, "items": rows })))
}

#[derive(Debug, Default, serde::Deserialize)]
pub struct MonthParams {
    month: Option<String>,
}

/// `GET /api/v1/scorecards?month=yyyy-mm`: the units' 考核 scores for a month (default: this one).
pub async fn scorecards(State(s): State<AppState>, Auth(p): Auth, Query(q): Query<MonthParams>) -> ApiResult<impl IntoResponse> {
    let month = q.month.unwrap_or_default();
    Ok(Json(s.app.scorecard(&p, &month).await?))
}

pub async fn weights(State(s): State<AppState>, Auth(_p): Auth) -> ApiResult<impl IntoResponse> {
    Ok(Json(s.app.scorecard_weights().await?))
}

pub async fn set_weights(
    State(s): State<AppState>,
    Auth(p): Auth,
    crate::extract::ApiJson(w): crate::extract::ApiJson<redress_app::scorecard::Weights>,
) -> ApiResult<impl IntoResponse> {
    s.app.set_scorecard_weights(&p, w).await?;
    Ok(Json(s.app.scorecard_weights().await?))
}
