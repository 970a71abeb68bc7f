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
