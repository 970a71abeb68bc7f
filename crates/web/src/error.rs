//! One error type for the HTTP layer: every failure becomes a status code and a JSON body
//! `{"error": {"code", "message", "field"?, "current_status"?, "allowed"?}}` in Chinese.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use redress_app::AppError;
use redress_domain::DomainError;
use redress_store::StoreError;
use serde_json::json;

#[derive(Debug)]
pub struct ApiError(pub AppError);

impl From<AppError> for ApiError {
    fn from(e: AppError) -> Self {
        ApiError(e)
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        ApiError(AppError::Store(e))
    }
}

impl ApiError {
    pub fn invalid(field: &str, message: impl Into<String>) -> ApiError {
        ApiError(AppError::invalid(field, message))
    }

    pub fn status(&self) -> StatusCode {
        match &self.0 {
            AppError::Domain(DomainError::Invalid { .. }) | AppError::Invalid { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            AppError::Domain(DomainError::WindowClosed { .. }) | AppError::Domain(DomainError::Rule(_)) => {
                StatusCode::UNPROCESSABLE_ENTITY
            }
            AppError::Domain(DomainError::IllegalTransition { .. }) => StatusCode::CONFLICT,
            AppError::Store(StoreError::Conflict { .. }) | AppError::Store(StoreError::Duplicate { .. }) => StatusCode::CONFLICT,
            AppError::Store(StoreError::NotFound) | AppError::NotFound(_) => StatusCode::NOT_FOUND,
            AppError::Store(StoreError::Unavailable(_)) => StatusCode::SERVICE_UNAVAILABLE,
            AppError::Store(StoreError::Storage(_)) => StatusCode::INSUFFICIENT_STORAGE,
            AppError::Store(StoreError::ReadOnly(_)) => StatusCode::SERVICE_UNAVAILABLE,
            AppError::Store(_) => StatusCode::INTERNAL_SERVER_ERROR,
            AppError::Unauthenticated => StatusCode::UNAUTHORIZED,
            AppError::Forbidden(_) => StatusCode::FORBIDDEN,
            AppError::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            AppError::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            AppError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        let e = &self.0;
        if status.is_server_error() {
            tracing::error!(error = %e, "request failed");
        }
        let mut body = json!({ "code": e.code(), "message": e.to_string() });
        if let Some(f) = e.field() {
            body["field"] = json!(f);
        }
        if let Some(t) = e.transition_details() {
            body["current_status"] = json!(t.current_status);
            body["current_status_label"] = json!(t.current_status_label);
            body["allowed"] = json!(t.allowed);
        }
        if let AppError::Domain(DomainError::WindowClosed { closed_on, .. }) = e {
            body["closed_on"] = json!(closed_on);
        }
        let mut resp = (status, Json(json!({ "error": body }))).into_response();
        let retry = match e {
            AppError::RateLimited { retry_after_secs } => Some(*retry_after_secs),
            AppError::Store(StoreError::Unavailable(_)) => Some(2),
            AppError::Unavailable(_) => Some(5),
            AppError::Store(StoreError::ReadOnly(_)) => Some(30),
            _ => None,
        };
        if let Some(s) = retry {
            resp.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(s));
        }
        resp
    }
}

pub type ApiResult<T> = Result<T, ApiError>;
