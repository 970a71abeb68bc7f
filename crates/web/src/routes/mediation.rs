//! People's mediation in the API (issue 7): the registry of committees and mediators, disputes
//! (registration, each step, the 协议书 in HTML or DOCX), the disputes of a case and 转人民调解
//! from a case, reminders and statistics.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::{get, post, put};
use axum::{Json, Router};
use redress_app::mediation::{self, CommitteeInput, DisputeAction, MediatorInput, NewDispute};
use redress_domain::CaseId;
use serde::Deserialize;
use serde_json::json;

use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiJson, Auth};
use crate::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/mediation/committees", get(committees).post(add_committee))
        .route("/api/v1/mediation/committees/:id", put(update_committee))
        .route("/api/v1/mediation/mediators", get(mediators).post(add_mediator))
        .route("/api/v1/mediation/mediators/:id", put(update_mediator))
        .route("/api/v1/mediation/disputes", get(disputes).post(register))
        .route("/api/v1/mediation/disputes/:id", get(dispute))
        .route("/api/v1/mediation/disputes/:id/actions", post(act))
        .route("/api/v1/mediation/disputes/:id/agreement", get(agreement))
        .route("/api/v1/mediation/disputes/:id/archive", get(archive))
        .route("/api/v1/mediation/stats", get(stats))
        .route("/api/v1/mediation/reminders", get(reminders))
        .route("/api/v1/cases/:id/mediation", get(of_case).post(refer))
}

async fn committees(State(s): State<AppState>, Auth(p): Auth) -> ApiResult<impl IntoResponse> {
    Ok(Json(s.app.committees(&p).await?))
}

async fn add_committee(State(s): State<AppState>, Auth(p): Auth, ApiJson(c): ApiJson<CommitteeInput>) -> ApiResult<impl IntoResponse> {
    Ok((StatusCode::CREATED, Json(s.app.save_committee(&p, None, &c).await?)))
}

async fn update_committee(State(s): State<AppState>, Auth(p): Auth, Path(id): Path<i64>, ApiJson(c): ApiJson<CommitteeInput>) -> ApiResult<impl IntoResponse> {
    Ok(Json(s.app.save_committee(&p, Some(id), &c).await?))
}

#[derive(Debug, Default, Deserialize)]
pub struct MediatorParams {
    committee: Option<i64>,
}

async fn mediators(State(s): State<AppState>, Auth(p): Auth, Query(q): Query<MediatorParams>) -> ApiResult<impl IntoResponse> {
    Ok(Json(s.app.mediators(&p, q.committee).await?))
}

async fn add_mediator(State(s): State<AppState>, Auth(p): Auth, ApiJson(m): ApiJson<MediatorInput>) -> ApiResult<impl IntoResponse> {
    Ok((StatusCode::CREATED, Json(s.app.save_mediator(&p, None, &m).await?)))
}

async fn update_mediator(State(s): State<AppState>, Auth(p): Auth, Path(id): Path<i64>, ApiJson(m): ApiJson<MediatorInput>) -> ApiResult<impl IntoResponse> {
    Ok(Json(s.app.save_mediator(&p, Some(id), &m).await?))
}

#[derive(Debug, Default, Deserialize)]
pub struct DisputeParams {
    status: Option<String>,
}

async fn disputes(State(s): State<AppState>, Auth(p): Auth, Query(q): Query<DisputeParams>) -> ApiResult<impl IntoResponse> {
    Ok(Json(s.app.disputes(&p, q.status.as_deref()).await?))
}

async fn register(State(s): State<AppState>, Auth(p): Auth, ApiJson(n): ApiJson<NewDispute>) -> ApiResult<impl IntoResponse> {
    Ok((StatusCode::CREATED, Json(s.app.register_dispute(&p, &n).await?)))
}

async fn dispute(State(s): State<AppState>, Auth(p): Auth, Path(id): Path<i64>) -> ApiResult<impl IntoResponse> {
    Ok(Json(s.app.dispute(&p, id).await?))
}

async fn act(State(s): State<AppState>, Auth(p): Auth, Path(id): Path<i64>, ApiJson(a): ApiJson<DisputeAction>) -> ApiResult<impl IntoResponse> {
    Ok(Json(s.app.act_on_dispute(&p, id, &a).await?))
}

#[derive(Debug, Default, Deserialize)]
pub struct FormatParams {
    format: Option<String>,
}

/// `GET /api/v1/mediation/disputes/{id}/agreement?format=html|docx`: the 人民调解协议书.
async fn agreement(State(s): State<AppState>, Auth(p): Auth, Path(id): Path<i64>, Query(q): Query<FormatParams>) -> ApiResult<axum::response::Response> {
    let format = q.format.as_deref().map(str::trim).filter(|f| !f.is_empty()).unwrap_or("html");
    if !matches!(format, "html" | "docx") {
        return Err(ApiError::invalid("format", format!("文书格式“{format}”无效，可用 html 或 docx")));
    }
    let doc = s.app.agreement_document(&p, id).await?;
    Ok(super::documents::respond(&doc, format, &format!("mediation-agreement-{id}")))
}

/// `GET /api/v1/mediation/disputes/{id}/archive?format=html|docx`: the dispute's file (卷宗).
async fn archive(State(s): State<AppState>, Auth(p): Auth, Path(id): Path<i64>, Query(q): Query<FormatParams>) -> ApiResult<axum::response::Response> {
    let format = q.format.as_deref().map(str::trim).filter(|f| !f.is_empty()).unwrap_or("html");
    if !matches!(format, "html" | "docx") {
        return Err(ApiError::invalid("format", format!("文书格式“{format}”无效，可用 html 或 docx")));
    }
    let doc = s.app.archive_file(&p, id).await?;
    Ok(super::documents::respond(&doc, format, &format!("mediation-file-{id}")))
}

async fn stats(State(s): State<AppState>, Auth(p): Auth) -> ApiResult<impl IntoResponse> {
    let stats = s.app.mediation_stats(&p).await?;
    let definitions: serde_json::Map<String, serde_json::Value> = mediation::DEFINITIONS.iter().map(|(k, v)| (k.to_string(), json!(v))).collect();
    Ok(Json(json!({ "stats": stats, "definitions": definitions })))
}

async fn reminders(State(s): State<AppState>, Auth(p): Auth) -> ApiResult<impl IntoResponse> {
    let list = s.app.mediation_reminders(&p).await?;
    let out: Vec<serde_json::Value> = list.iter().map(|r| json!({ "kind": r.kind, "period": r.period, "unit": r.unit, "created_at": r.created_at, "text": mediation::reminder_text(r) })).collect();
    Ok(Json(out))
}

async fn of_case(State(s): State<AppState>, Auth(p): Auth, Path(id): Path<i64>) -> ApiResult<impl IntoResponse> {
    Ok(Json(s.app.disputes_of_case(&p, CaseId(id)).await?))
}

#[derive(Debug, Deserialize)]
pub struct ReferInput {
    committee: i64,
    #[serde(default)]
    dispute_type: String,
}

/// 转人民调解: `POST /api/v1/cases/{id}/mediation` `{committee, dispute_type}`.
async fn refer(State(s): State<AppState>, Auth(p): Auth, Path(id): Path<i64>, ApiJson(r): ApiJson<ReferInput>) -> ApiResult<impl IntoResponse> {
    let t = if r.dispute_type.is_empty() { "other" } else { r.dispute_type.as_str() };
    Ok((StatusCode::CREATED, Json(s.app.refer_case_to_mediation(&p, CaseId(id), r.committee, t).await?)))
}
