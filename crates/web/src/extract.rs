//! Extractors: JSON bodies with field-named errors, and the signed-in person.

use axum::async_trait;
use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{header, Method};
use redress_app::{AppError, Principal};
use serde::de::DeserializeOwned;

use crate::error::ApiError;
use crate::AppState;

pub const SESSION_COOKIE: &str = "redress_session";
pub const CSRF_HEADER: &str = "x-csrf-token";

/// Like `axum::Json`, but a bad body is answered with the field and a Chinese message.
pub struct ApiJson<T>(pub T);

#[async_trait]
impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let is_json = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("application/json"));
        if !is_json {
            return Err(ApiError::invalid("body", "请求体须为 JSON（Content-Type: application/json）"));
        }
        let bytes = read_body(Bytes::from_request(req, state).await, crate::BODY_LIMIT)?;
        parse_json(&bytes).map(ApiJson)
    }
}

/// The body, or a 413 in our error format when it is over `limit`.
pub fn read_body(r: Result<Bytes, axum::extract::rejection::BytesRejection>, limit: usize) -> Result<Bytes, ApiError> {
    r.map_err(|e| {
        if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
            ApiError(AppError::TooLarge(format!("请求体超过{}MB上限", limit / 1024 / 1024)))
        } else {
            ApiError::invalid("body", "请求体无法读取")
        }
    })
}

pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let de = &mut serde_json::Deserializer::from_slice(bytes);
    serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        let msg = inner.to_string();
        let (field, message) = if let Some(name) = msg.strip_prefix("missing field `").and_then(|r| r.split('`').next()) {
            let field = if path == "." { name.to_string() } else { format!("{path}.{name}") };
            (field.clone(), format!("缺少必填字段“{field}”"))
        } else if msg.contains("unknown variant") {
            (path.clone(), format!("字段“{path}”的取值无效：{}", msg.split(" at line").next().unwrap_or(&msg)))
        } else if inner.is_syntax() || inner.is_eof() {
            ("body".to_string(), "请求体不是有效的 JSON".to_string())
        } else {
            (path.clone(), format!("字段“{path}”格式不正确：{}", msg.split(" at line").next().unwrap_or(&msg)))
        };
        ApiError(AppError::invalid(&field, message))
    })
}

/// A signed-in staff member: by bearer token (API clients) or session cookie (browsers;
/// unsafe methods then need the session's CSRF token in `X-CSRF-Token`).
pub struct Auth(pub Principal);

#[async_trait]
impl FromRequestParts<AppState> for Auth {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let app = &state.app;
        if let Some(token) = bearer(&parts.headers) {
            if let Ok(p) = app.token_principal(token).await {
                return Ok(Auth(p));
            }
            // A session secret works as a bearer token too (CLI tools that logged in).
            let (p, _) = app.session_principal(token).await.map_err(ApiError)?;
            return Ok(Auth(p));
        }
        let token = cookie(&parts.headers, SESSION_COOKIE).ok_or(ApiError(AppError::Unauthenticated))?;
        let (p, session) = app.session_principal(&token).await.map_err(ApiError)?;
        let safe = matches!(parts.method, Method::GET | Method::HEAD | Method::OPTIONS);
        if !safe {
            let sent = parts.headers.get(CSRF_HEADER).and_then(|v| v.to_str().ok()).unwrap_or("");
            if !constant_time_eq(sent.as_bytes(), session.csrf_token.as_bytes()) {
                return Err(ApiError(AppError::forbidden("页面已过期或来源不明（CSRF 校验失败），请刷新后重试")));
            }
        }
        Ok(Auth(p))
    }
}

pub fn bearer(headers: &axum::http::HeaderMap) -> Option<&str> {
    headers.get(header::AUTHORIZATION)?.to_str().ok()?.strip_prefix("Bearer ").map(str::trim)
}

pub fn cookie(headers: &axum::http::HeaderMap, name: &str) -> Option<String> {
    headers.get_all(header::COOKIE).iter().filter_map(|v| v.to_str().ok()).flat_map(|v| v.split(';')).find_map(|kv| {
        let (k, v) = kv.trim().split_once('=')?;
        (k == name).then(|| v.to_string())
    })
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// `Set-Cookie` value: HttpOnly, SameSite=Strict, Secure unless told otherwise.
pub fn cookie_header(name: &str, value: &str, max_age: i64, secure: bool) -> String {
    format!("{name}={value}; Path=/; Max-Age={max_age}; HttpOnly; SameSite=Strict{}", if secure { "; Secure" } else { "" })
}
