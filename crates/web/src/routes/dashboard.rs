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
