//! Repeat and joint matters and hotspots: similar existing cases at intake, clusters of the same
//! matter, the repeat rate, and categories, places or matters rising unusually fast.

use axum::extract::{Path, Query, State};
use axum::response::IntoResponse;
use axum::Json;
use chrono::NaiveDate;
use redress_app::similar::SimilarRequest;
use redress_domain::{local_date, CaseId, OrgId};
use serde::Deserialize;
use serde_json::json;

use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiJson, Auth};
use crate::AppState;

#[derive(Debug, Default, Deserialize)]
pub struct LocationBody {
    #[serde(default)]
    org: Option<i64>,
}

/// The matter as typed at intake so far (the same field names as the intake body; other
/// intake fields are ignored).
#[derive(Debug, Default, Deserialize)]
pub struct SimilarBody {
    #[serde(default)]
    subject: String,
    #[serde(default)]
    content: String,
    #[serde(default)]
    location: Option<LocationBody>,
    #[serde(default)]
    category: Option<String>,
    #[serde(default)]
    limit: Option<usize>,
}

/// Existing cases that may raise the same matter, with score and reasons.
pub async fn similar_for_intake(State(s): State<AppState>, Auth(p): Auth, ApiJson(b): ApiJson<SimilarBody>) -> ApiResult<impl IntoResponse> {
    let req = SimilarRequest {
        subject: b.subject,
        content: b.content,
        place: b.location.and_then(|l| l.org).map(OrgId),
        category: b.category.filter(|c| !c.trim().is_empty()),
        limit: b.limit.unwrap_or(10),
    };
    Ok(Json(json!({ "items": s.app.similar_for_intake(&p, req).await? })))
}

#[derive(Debug, Default, Deserialize)]
pub struct LimitParams {
    limit: Option<usize>,
}

pub async fn similar_to_case(State(s): State<AppState>, Auth(p): Auth, Path(id): Path<i64>, Query(q): Query<LimitParams>) -> ApiResult<impl IntoResponse> {
    Ok(Json(json!({ "items": s.app.similar_to_case(&p, CaseId(id), q.limit.unwrap_or(10)).await? })))
}

fn date(field: &str, s: &Option<String>) -> ApiResult<Option<NaiveDate>> {
    s.as_deref()
        .filter(|v| !v.is_empty())
        .map(|v| NaiveDate::parse_from_str(v, "%Y-%m-%d").map_err(|_| ApiError::invalid(field, format!("日期“{v}”应为 YYYY-MM-DD 格式"))))
        .transpose()
}

#[derive(Debug, Default, Deserialize)]
pub struct ClusterParams {
    since: Option<String>,
    min_cases: Option<usize>,
    limit: Option<usize>,
}

pub async fn clusters(State(s): State<AppState>, Auth(p): Auth, Query(q): Query<ClusterParams>) -> ApiResult<impl IntoResponse> {
    let since = date("since", &q.since)?;
    let min = q.min_cases.unwrap_or(2);
    if !(2..=10_000).contains(&min) {
        return Err(ApiError::invalid("min_cases", "最少件数应不小于2"));
    }
    let items = s.app.clusters(&p, since, min, q.limit.unwrap_or(50)).await?;
    Ok(Json(json!({ "items": items })))
}

pub async fn cluster(State(s): State<AppState>, Auth(p): Auth, Path(id): Path<i64>) -> ApiResult<impl IntoResponse> {
    Ok(Json(s.app.cluster(&p, CaseId(id)).await?))
}

#[derive(Debug, Default, Deserialize)]
pub struct SpanParams {
    from: Option<String>,
    to: Option<String>,
}

/// 重复信访率 over registration dates `from..=to` (default: the last 30 days).
pub async fn repeat_rate(State(s): State<AppState>, Auth(p): Auth, Query(q): Query<SpanParams>) -> ApiResult<impl IntoResponse> {
    let to = date("to", &q.to)?.unwrap_or_else(|| local_date(s.app.now()));
    let from = date("from", &q.from)?.unwrap_or(to - chrono::Duration::days(29));
    Ok(Json(s.app.repeat_rate(&p, from, to).await?))
}

#[derive(Debug, Default, Deserialize)]
pub struct HotspotParams {
    window_days: Option<u32>,
    history_windows: Option<u32>,
}

pub async fn hotspots(State(s): State<AppState>, Auth(p): Auth, Query(q): Query<HotspotParams>) -> ApiResult<impl IntoResponse> {
    let now = s.app.now();
    Ok(Json(s.app.hotspots(&p, now, q.window_days.unwrap_or(7), q.history_windows.unwrap_or(8)).await?))
}
