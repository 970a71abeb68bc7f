//! Routine duties in the API (issue 6): 零报告 (filing, coverage, history, missing reports,
//! frequencies) and 矛盾纠纷排查 campaigns (start, returns, findings' dispositions, close,
//! report in HTML, DOCX or JSON).

use std::collections::BTreeMap;

use axum::extract::{Path, Query, State};
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::{Json, Router};
use redress_app::campaigns::{DisposeInput, NewCampaign, ReturnInput};
use redress_app::nil_reports::{parse_date, Filing, Frequency};
use redress_domain::{local_date, OrgId};
use serde::Deserialize;
use serde_json::json;

use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiJson, Auth};
use crate::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/nil-reports", get(coverage).post(file))
        .route("/api/v1/nil-reports/history", get(history))
        .route("/api/v1/nil-reports/missing", get(missing))
        .route("/api/v1/settings/nil-report-frequency", get(settings).put(set_settings))
        .route("/api/v1/campaigns", get(campaigns).post(create_campaign))
        .route("/api/v1/campaigns/:id", get(campaign))
        .route("/api/v1/campaigns/:id/returns", post(file_return))
        .route("/api/v1/campaigns/:id/findings/:unit/:no/dispose", post(dispose))
        .route("/api/v1/campaigns/:id/status", post(set_status))
        .route("/api/v1/campaigns/:id/report", get(report))
        .route("/api/v1/reports/annual", get(annual))
}

#[derive(Debug, Default, Deserialize)]
pub struct AnnualParams {
    year: Option<String>,
    format: Option<String>,
}

/// `GET /api/v1/reports/annual?year=yyyy&format=html|docx|json`: the annual report (Art. 41).
async fn annual(State(s): State<AppState>, Auth(p): Auth, Query(q): Query<AnnualParams>) -> ApiResult<axum::response::Response> {
    let format = q.format.as_deref().map(str::trim).filter(|f| !f.is_empty()).unwrap_or("html");
    if !matches!(format, "html" | "docx" | "json") {
        return Err(ApiError::invalid("format", format!("报告格式“{format}”无效，可用 html、docx 或 json")));
    }
    let r = s.app.annual_report(&p, q.year.as_deref().unwrap_or("")).await?;
    if format == "json" {
        return Ok(Json(r).into_response());
    }
    Ok(super::documents::respond(&r.document, format, &format!("annual-report-{}", r.facts.year)))
}

#[derive(Debug, Default, Deserialize)]
pub struct DateParams {
    date: Option<String>,
}

/// `GET /api/v1/nil-reports?date=yyyy-mm-dd`: every reporting unit's state for the period
/// holding the date (default today).
async fn coverage(State(s): State<AppState>, Auth(p): Auth, Query(q): Query<DateParams>) -> ApiResult<impl IntoResponse> {
    let date = match q.date.as_deref().filter(|d| !d.trim().is_empty()) {
        Some(d) => parse_date("date", d)?,
        None => local_date(s.app.now()),
    };
    Ok(Json(s.app.nil_report_coverage(&p, date).await?))
}

async fn file(State(s): State<AppState>, Auth(p): Auth, ApiJson(f): ApiJson<Filing>) -> ApiResult<impl IntoResponse> {
    Ok((axum::http::StatusCode::CREATED, Json(s.app.file_nil_report(&p, &f).await?)))
}

#[derive(Debug, Default, Deserialize)]
pub struct HistoryParams {
    unit: Option<i64>,
    from: Option<String>,
    to: Option<String>,
}

/// `GET /api/v1/nil-reports/history?unit=&from=&to=`: filings (corrections included), newest
/// first; default the last 30 days.
async fn history(State(s): State<AppState>, Auth(p): Auth, Query(q): Query<HistoryParams>) -> ApiResult<impl IntoResponse> {
    let today = local_date(s.app.now());
    let to = match q.to.as_deref().filter(|d| !d.trim().is_empty()) {
        Some(d) => parse_date("to", d)?,
        None => today,
    };
    let from = match q.from.as_deref().filter(|d| !d.trim().is_empty()) {
        Some(d) => parse_date("from", d)?,
        None => to - chrono::Duration::days(30),
    };
    if to < from {
        return Err(ApiError::invalid("to", "结束日期不能早于开始日期"));
    }
    let items = s.app.nil_report_history(&p, q.unit.map(OrgId), from, to).await?;
    Ok(Json(json!({ "from": from, "to": to, "items": items })))
}

/// `GET /api/v1/nil-reports/missing`: each unit's latest period past its deadline without a report.
async fn missing(State(s): State<AppState>, Auth(p): Auth) -> ApiResult<impl IntoResponse> {
    let now = s.app.now();
    Ok(Json(json!({ "items": s.app.missing_nil_reports(Some(&p), now).await? })))
}

async fn settings(State(s): State<AppState>, Auth(_p): Auth) -> ApiResult<impl IntoResponse> {
    Ok(Json(json!({ "units": s.app.nil_report_settings().await?, "changes": s.app.nil_report_setting_changes().await? })))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SettingsBody {
    /// Unit id → `daily`, `weekly` or `none`.
    units: BTreeMap<String, String>,
}

async fn set_settings(State(s): State<AppState>, Auth(p): Auth, ApiJson(b): ApiJson<SettingsBody>) -> ApiResult<impl IntoResponse> {
    let mut changes = BTreeMap::new();
    for (k, v) in &b.units {
        let field = format!("units.{k}");
        let id: i64 = k.trim().parse().map_err(|_| ApiError::invalid(&field, "单位编号应为数字"))?;
        let f = Frequency::parse(v.trim()).ok_or_else(|| ApiError::invalid(&field, "报送频次应为 daily（每日）、weekly（每周）或 none（不报送）"))?;
        changes.insert(id, f);
    }
    Ok(Json(json!({ "units": s.app.set_nil_report_settings(&p, &changes).await? })))
}

async fn campaigns(State(s): State<AppState>, Auth(p): Auth) -> ApiResult<impl IntoResponse> {
    Ok(Json(json!({ "items": s.app.campaigns(&p).await? })))
}

async fn create_campaign(State(s): State<AppState>, Auth(p): Auth, ApiJson(n): ApiJson<NewCampaign>) -> ApiResult<impl IntoResponse> {
    Ok((axum::http::StatusCode::CREATED, Json(s.app.create_campaign(&p, &n).await?)))
}

async fn campaign(State(s): State<AppState>, Auth(p): Auth, Path(id): Path<i64>) -> ApiResult<impl IntoResponse> {
    Ok(Json(s.app.campaign(&p, id).await?))
}

async fn file_return(State(s): State<AppState>, Auth(p): Auth, Path(id): Path<i64>, ApiJson(r): ApiJson<ReturnInput>) -> ApiResult<impl IntoResponse> {
    Ok(Json(s.app.file_campaign_return(&p, id, &r).await?))
}

async fn dispose(State(s): State<AppState>, Auth(p): Auth, Path((id, unit, no)): Path<(i64, i64, u32)>, ApiJson(d): ApiJson<DisposeInput>) -> ApiResult<impl IntoResponse> {
    Ok(Json(s.app.dispose_campaign_finding(&p, id, OrgId(unit), no, &d).await?))
}

#[derive(Debug, Deserialize)]
pub struct StatusBody {
    status: String,
}

/// `POST /api/v1/campaigns/:id/status` with `{"status": "closed"}`: ends the campaign.
async fn set_status(State(s): State<AppState>, Auth(p): Auth, Path(id): Path<i64>, ApiJson(b): ApiJson<StatusBody>) -> ApiResult<impl IntoResponse> {
    if b.status.trim() != "closed" {
        return Err(ApiError::invalid("status", "只能将排查活动设为 closed（结束）"));
    }
    Ok(Json(s.app.close_campaign(&p, id).await?))
}

#[derive(Debug, Default, Deserialize)]
pub struct FormatParams {
    format: Option<String>,
}

/// `GET /api/v1/campaigns/:id/report?format=html|docx|json`: the campaign report.
async fn report(State(s): State<AppState>, Auth(p): Auth, Path(id): Path<i64>, Query(q): Query<FormatParams>) -> ApiResult<axum::response::Response> {
    let format = q.format.as_deref().map(str::trim).filter(|f| !f.is_empty()).unwrap_or("html");
    if !matches!(format, "html" | "docx" | "json") {
        return Err(ApiError::invalid("format", format!("报告格式“{format}”无效，可用 html、docx 或 json")));
    }
    if format == "json" {
        let v = s.app.campaign(&p, id).await?;
        return Ok(Json(json!({ "campaign": v.campaign, "report": v.report, "units": v.units })).into_response());
    }
    let doc = s.app.campaign_report(&p, id).await?;
    Ok(super::documents::respond(&doc, format, &format!("campaign-report-{id}")))
}
