//! The written notices of a case (受理告知书, 不予受理告知书, 处理意见书, 延期办理告知书, 督办单)
//! as print-ready HTML pages or .docx files.

use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::Json;
use redress_app::documents::{docx, html, DocKind};
use redress_domain::CaseId;
use serde::Deserialize;
use serde_json::json;

use crate::error::{ApiError, ApiResult};
use crate::extract::Auth;
use crate::AppState;

pub const DOCX_TYPE: &str = "application/vnd.openxmlformats-officedocument.wordprocessingml.document";

fn link(id: i64, kind: DocKind, format: &str, n: Option<usize>) -> String {
    let n = n.map(|n| format!("&n={n}")).unwrap_or_default();
    format!("/api/v1/cases/{id}/documents/{}?format={format}{n}", kind.key())
}

/// Which documents the case has, whether each can be produced now (and why not), with links.
pub async fn list(State(s): State<AppState>, Auth(p): Auth, Path(id): Path<i64>) -> ApiResult<impl IntoResponse> {
    let infos = s.app.available_documents(&p, CaseId(id)).await?;
    let items: Vec<_> = infos
        .into_iter()
        .map(|d| {
            let mut v = serde_json::to_value(&d).expect("document info serializes");
            if d.available {
                v["links"] = json!({ "html": link(id, d.kind, "html", None), "docx": link(id, d.kind, "docx", None) });
                if d.kind == DocKind::SupervisionSheet {
                    v["items"] = (1..=d.count)
                        .map(|n| json!({ "n": n, "html": link(id, d.kind, "html", Some(n)), "docx": link(id, d.kind, "docx", Some(n)) }))
                        .collect();
                }
            }
            v
        })
        .collect();
    Ok(Json(json!({ "items": items })))
}

#[derive(Debug, Default, Deserialize)]
pub struct DocParams {
    format: Option<String>,
    n: Option<String>,
}

/// One document: `?format=html` (default) or `docx`; `n` picks the supervision (1-based).
pub async fn show(
    State(s): State<AppState>,
    Auth(p): Auth,
    Path((id, kind)): Path<(i64, String)>,
    Query(q): Query<DocParams>,
) -> ApiResult<Response> {
    let kind = DocKind::parse(&kind).ok_or_else(|| {
        let keys: Vec<&str> = DocKind::ALL.iter().map(|k| k.key()).collect();
        ApiError::invalid("kind", format!("文书类型“{kind}”无效，可用：{}", keys.join("、")))
    })?;
    let format = q.format.as_deref().map(str::trim).filter(|f| !f.is_empty()).unwrap_or("html");
    if !matches!(format, "html" | "docx") {
        return Err(ApiError::invalid("format", format!("文书格式“{format}”无效，可用 html 或 docx")));
    }
    let n = q
        .n
        .as_deref()
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .map(|n| n.parse::<usize>().map_err(|_| ApiError::invalid("n", "n 应为正整数（第几次督办）")))
        .transpose()?;
    let doc = s.app.document(&p, CaseId(id), kind, n).await?;
    Ok(respond(&doc, format, &format!("{}-{}", kind.key(), doc.case_number)))
}

/// A document as an HTML page or a DOCX download; `ascii_stem` is the plain file name.
pub(crate) fn respond(doc: &redress_app::documents::Document, format: &str, ascii_stem: &str) -> axum::response::Response {
    let (body, content_type, disposition) = if format == "docx" {
        (docx::to_docx(doc), DOCX_TYPE, "attachment")
    } else {
        (html::to_html(doc).into_bytes(), "text/html; charset=utf-8", "inline")
    };
    let filename = format!("{}.{format}", doc.file_stem);
    let ascii = format!("{ascii_stem}.{format}").replace(|c: char| !c.is_ascii() || c == '"', "_");
    let disposition = format!("{disposition}; filename=\"{ascii}\"; filename*=UTF-8''{}", rfc5987(&filename));
    let mut resp = body.into_response();
    let h = resp.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    h.insert(header::CONTENT_DISPOSITION, HeaderValue::from_str(&disposition).expect("ascii header"));
    // It names the petitioner: not to be kept by caches.
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    if format == "html" {
        // The page needs nothing but its own inline style; a report with charts also loads
        // ECharts and its drawing script from this server (no inline script).
        let charts = doc.blocks.iter().any(|b| matches!(b, redress_app::documents::Block::Chart { .. }));
        h.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(if charts {
                "default-src 'none'; script-src 'self'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'"
            } else {
                "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'"
            }),
        );
    }
    resp
}

#[derive(Debug, Default, Deserialize)]
pub struct ReportQuery {
    month: Option<String>,
    format: Option<String>,
}

/// `GET /api/v1/reports/monthly?month=yyyy-mm&format=html|docx|json`: the monthly analysis report.
pub async fn monthly(State(s): State<AppState>, Auth(p): Auth, Query(q): Query<ReportQuery>) -> ApiResult<axum::response::Response> {
    let format = q.format.as_deref().map(str::trim).filter(|f| !f.is_empty()).unwrap_or("html");
    if !matches!(format, "html" | "docx" | "json") {
        return Err(ApiError::invalid("format", format!("报告格式“{format}”无效，可用 html、docx 或 json")));
    }
    let doc = s.app.monthly_report(&p, q.month.as_deref().unwrap_or("")).await?;
    if format == "json" {
        return Ok(axum::Json(doc).into_response());
    }
    let stem = format!("analysis-report-{}", doc.file_stem.rsplit('-').take(2).collect::<Vec<_>>().into_iter().rev().collect::<Vec<_>>().join("-"));
    Ok(respond(&doc, format, &stem))
}

/// RFC 5987 `attr-char` percent-encoding of UTF-8.
fn rfc5987(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"!#$&+-.^_`|~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filenames_are_encoded_per_rfc_5987() {
        assert_eq!(rfc5987("受理告知书-XF2026-000123.docx"), "%E5%8F%97%E7%90%86%E5%91%8A%E7%9F%A5%E4%B9%A6-XF2026-000123.docx");
        assert_eq!(rfc5987("a b\"c'"), "a%20b%22c%27");
    }
}
