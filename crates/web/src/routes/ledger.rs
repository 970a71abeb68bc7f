//! The ledger (台账) download: `GET /api/v1/ledger` for API clients and `GET /console/ledger`
//! for the console's download form. Both are reads: the only thing written is the access-log
//! entry for each unmasked name, and the console asks for the session's CSRF token before it
//! unmasks (the session cookie is SameSite=Strict as well).

use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use redress_app::ledger::{Ledger, LedgerParams};
use redress_app::{AppError, Principal};
use serde::Deserialize;
use serde_json::json;

use crate::error::{ApiError, ApiResult};
use crate::extract::{cookie, Auth, SESSION_COOKIE};
use crate::AppState;

pub const XLSX_TYPE: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

#[derive(Debug, Default, Deserialize)]
pub struct LedgerQuery {
    from: Option<String>,
    to: Option<String>,
    unit: Option<String>,
    format: Option<String>,
    names: Option<String>,
    /// The console form repeats the session's CSRF token when it asks for names.
    csrf: Option<String>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Format {
    Xlsx,
    Csv,
    Json,
}

impl LedgerQuery {
    fn params(&self) -> Result<LedgerParams, AppError> {
        let names = match self.names.as_deref().map(str::trim).unwrap_or("") {
            "" | "false" | "0" | "off" => false,
            "true" | "1" | "on" => true,
            other => return Err(AppError::invalid("names", format!("names 应为 true 或 false，收到“{other}”"))),
        };
        LedgerParams::parse(self.from.as_deref().unwrap_or(""), self.to.as_deref().unwrap_or(""), self.unit.as_deref(), names)
    }

    fn format(&self, json_allowed: bool) -> Result<Format, AppError> {
        match self.format.as_deref().map(str::trim).unwrap_or("") {
            "" | "xlsx" => Ok(Format::Xlsx),
            "csv" => Ok(Format::Csv),
            "json" if json_allowed => Ok(Format::Json),
            other => Err(AppError::invalid(
                "format",
                format!("台账格式“{other}”无效，可用 {}", if json_allowed { "xlsx、csv 或 json" } else { "xlsx 或 csv" }),
            )),
        }
    }
}

/// RFC 5987 `attr-char` percent-encoding of UTF-8.
fn rfc5987(s: &str) -> String {
    s.bytes()
        .map(|b| if b.is_ascii_alphanumeric() || b"!#$&+-.^_`|~".contains(&b) { (b as char).to_string() } else { format!("%{b:02X}") })
        .collect()
}

async fn produce(s: &AppState, p: &Principal, params: LedgerParams, format: Format) -> Result<Response, AppError> {
    let mut ledger: Ledger = s.app.ledger(p, params).await?;
    let (body, content_type, ext) = match format {
        Format::Json => {
            let mut items = vec![];
            while let Some(rows) = s.app.ledger_page(p, &mut ledger).await? {
                items.extend(rows);
            }
            let mut resp = Json(json!({ "title": ledger.title, "columns": redress_app::ledger::COLUMNS, "items": items })).into_response();
            resp.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            return Ok(resp);
        }
        Format::Csv => (s.app.ledger_csv(p, &mut ledger).await?, "text/csv; charset=utf-8", "csv"),
        Format::Xlsx => (s.app.ledger_xlsx(p, &mut ledger).await?, XLSX_TYPE, "xlsx"),
    };
    let disposition = format!(
        "attachment; filename=\"{}.{ext}\"; filename*=UTF-8''{}",
        ledger.ascii_stem,
        rfc5987(&format!("{}.{ext}", ledger.file_stem))
    );
    let mut resp = body.into_response();
    let h = resp.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    h.insert(header::CONTENT_DISPOSITION, HeaderValue::from_str(&disposition).expect("ascii header"));
    // It may name petitioners: not to be kept by caches.
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    Ok(resp)
}

/// `GET /api/v1/ledger?from=&to=[&unit=][&format=xlsx|csv|json][&names=true]`.
pub async fn api(State(s): State<AppState>, Auth(p): Auth, Query(q): Query<LedgerQuery>) -> ApiResult<Response> {
    let params = q.params()?;
    let format = q.format(true)?;
    Ok(produce(&s, &p, params, format).await?)
}

/// `GET /console/ledger`: the console's download button, signed in by the session cookie.
pub async fn console(State(s): State<AppState>, headers: HeaderMap, Query(q): Query<LedgerQuery>) -> Response {
    let Some(token) = cookie(&headers, SESSION_COOKIE) else {
        return crate::ui::see_other("/console/login?next=%2Fconsole%2Fcases", HeaderMap::new());
    };
    let (p, session) = match s.app.session_principal(&token).await {
        Ok(x) => x,
        Err(AppError::Unauthenticated) => return crate::ui::see_other("/console/login?next=%2Fconsole%2Fcases", HeaderMap::new()),
        Err(e) => return error_page(&e),
    };
    let result = async {
        let params = q.params()?;
        let format = q.format(false)?;
        if params.with_names && q.csrf.as_deref() != Some(session.csrf_token.as_str()) {
            return Err(AppError::forbidden("页面已过期或来源不明（CSRF 校验失败），请回到事项列表重新下载"));
        }
        produce(&s, &p, params, format).await
    }
    .await;
    result.unwrap_or_else(|e| error_page(&e))
}

fn error_page(e: &AppError) -> Response {
    let status = ApiError(clone(e)).status();
    let title = match status {
        StatusCode::FORBIDDEN => "无权操作",
        StatusCode::NOT_FOUND => "未找到",
        StatusCode::UNPROCESSABLE_ENTITY | StatusCode::BAD_REQUEST => "台账参数有误",
        _ => "台账未能生成",
    };
    crate::ui::error_page(status, title, &e.to_string(), "/console/cases")
}

/// The error again, for mapping to a status (AppError is not Clone).
fn clone(e: &AppError) -> AppError {
    match e {
        AppError::Forbidden(m) => AppError::Forbidden(m.clone()),
        AppError::Invalid { field, message } => AppError::Invalid { field: field.clone(), message: message.clone() },
        AppError::TooLarge(m) => AppError::TooLarge(m.clone()),
        AppError::NotFound(w) => AppError::NotFound(w),
        AppError::Unauthenticated => AppError::Unauthenticated,
        other => AppError::Unavailable(other.to_string()),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn file_names_are_encoded_per_rfc_5987() {
        assert_eq!(super::rfc5987("台账-2026-03.csv"), "%E5%8F%B0%E8%B4%A6-2026-03.csv");
    }
}
