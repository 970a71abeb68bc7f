//! The register of projects under social stability risk assessment (稳评) in the API: read by
//! anyone signed in, replaced by administrators; each project's linked grievances.

use axum::extract::{Path, State};
use axum::response::IntoResponse;
use axum::Json;
use redress_domain::assessment::Project;

use crate::error::ApiResult;
use crate::extract::{ApiJson, Auth};
use crate::AppState;

pub async fn projects(State(s): State<AppState>, Auth(_p): Auth) -> ApiResult<impl IntoResponse> {
    Ok(Json(s.app.assessment_projects().await?))
}

pub async fn set_projects(State(s): State<AppState>, Auth(p): Auth, ApiJson(list): ApiJson<Vec<Project>>) -> ApiResult<impl IntoResponse> {
    s.app.set_assessment_projects(&p, list).await?;
    Ok(Json(s.app.assessment_projects().await?))
}

pub async fn cases(State(s): State<AppState>, Auth(p): Auth, Path(id): Path<String>) -> ApiResult<impl IntoResponse> {
    Ok(Json(s.app.assessment_project_cases(&p, &id).await?))
}

// ----- the six-step workflow (issue 7) -----

use axum::extract::{ConnectInfo, Query};
use axum::http::StatusCode;
use redress_app::assessment_flow::{AssessmentAction, ResponseInput};
use serde::Deserialize;

use crate::error::ApiError;

#[derive(Debug, Deserialize)]
pub struct StartInput {
    project: String,
}

pub async fn list(State(s): State<AppState>, Auth(p): Auth) -> ApiResult<impl IntoResponse> {
    Ok(Json(s.app.assessments(&p).await?))
}

/// `POST /api/v1/assessments` `{project}`: starts the assessment of a register entry.
pub async fn start(State(s): State<AppState>, Auth(p): Auth, ApiJson(i): ApiJson<StartInput>) -> ApiResult<impl IntoResponse> {
    Ok((StatusCode::CREATED, Json(s.app.start_assessment(&p, &i.project).await?)))
}

pub async fn show(State(s): State<AppState>, Auth(p): Auth, Path(id): Path<i64>) -> ApiResult<impl IntoResponse> {
    Ok(Json(s.app.assessment(&p, id).await?))
}

pub async fn act(State(s): State<AppState>, Auth(p): Auth, Path(id): Path<i64>, ApiJson(a): ApiJson<AssessmentAction>) -> ApiResult<impl IntoResponse> {
    Ok(Json(s.app.act_on_assessment(&p, id, &a).await?))
}

#[derive(Debug, Default, Deserialize)]
pub struct FormatParams {
    format: Option<String>,
}

/// `GET /api/v1/assessments/{id}/report?format=html|docx`: the 评估报告.
pub async fn report(State(s): State<AppState>, Auth(p): Auth, Path(id): Path<i64>, Query(q): Query<FormatParams>) -> ApiResult<axum::response::Response> {
    let format = q.format.as_deref().map(str::trim).filter(|f| !f.is_empty()).unwrap_or("html");
    if !matches!(format, "html" | "docx") {
        return Err(ApiError::invalid("format", format!("文书格式“{format}”无效，可用 html 或 docx")));
    }
    let doc = s.app.assessment_report(&p, id).await?;
    Ok(super::documents::respond(&doc, format, &format!("risk-assessment-{id}")))
}

pub async fn stats(State(s): State<AppState>, Auth(p): Auth) -> ApiResult<impl IntoResponse> {
    Ok(Json(s.app.assessment_stats(&p).await?))
}

/// Consultations open on the portal (no sign-in).
pub async fn consultations(State(s): State<AppState>) -> ApiResult<impl IntoResponse> {
    Ok(Json(s.app.public_consultations().await?))
}

/// A resident's questionnaire answer (no sign-in; limited per client like submissions).
pub async fn respond(
    State(s): State<AppState>,
    connect: Option<ConnectInfo<std::net::SocketAddr>>,
    Path(id): Path<i64>,
    ApiJson(r): ApiJson<ResponseInput>,
) -> ApiResult<impl IntoResponse> {
    if let Err(secs) = s.submit_limiter.check(&s.app, &crate::ui::client_of(&connect)).await {
        return Err(ApiError(redress_app::AppError::RateLimited { retry_after_secs: secs }));
    }
    s.app.submit_response(id, &r).await?;
    Ok((StatusCode::CREATED, Json(serde_json::json!({ "message": "感谢您参与意见征集。" }))))
}
