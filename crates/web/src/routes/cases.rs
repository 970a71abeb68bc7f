use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::IntoResponse;
use axum::Json;
use chrono::NaiveDate;
use redress_app::cases::Intake;
use redress_domain::{end_of_local_day, CaseId, Channel, Command, OrgId, Status};
use redress_store::{CaseQuery, CaseSort};
use serde::Deserialize;
use serde_json::json;

use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiJson, Auth};
use crate::AppState;

#[derive(Debug, Default, Deserialize)]
pub struct ListParams {
    /// Comma-separated status keys or labels.
    pub(crate) status: Option<String>,
    pub(crate) unit: Option<i64>,
    pub(crate) org: Option<i64>,
    pub(crate) channel: Option<String>,
    pub(crate) category: Option<String>,
    pub(crate) from: Option<String>,
    pub(crate) to: Option<String>,
    pub(crate) overdue: Option<bool>,
    pub(crate) q: Option<String>,
    pub(crate) demo: Option<bool>,
    pub(crate) sort: Option<String>,
    pub(crate) limit: Option<u32>,
    pub(crate) offset: Option<u32>,
    pub(crate) supervised: Option<bool>,
}

impl ListParams {
    /// Whether the request named a page size (search has a smaller default than the list).
    pub fn limit_given(&self) -> bool {
        self.limit.is_some()
    }
}

fn date(field: &str, s: &Option<String>) -> ApiResult<Option<NaiveDate>> {
    s.as_deref()
        .filter(|v| !v.is_empty())
        .map(|v| NaiveDate::parse_from_str(v, "%Y-%m-%d").map_err(|_| ApiError::invalid(field, format!("日期“{v}”应为 YYYY-MM-DD 格式"))))
        .transpose()
}

pub fn to_query(p: &ListParams, now: chrono::DateTime<chrono::Utc>) -> ApiResult<CaseQuery> {
    let mut statuses = vec![];
    for s in p.status.as_deref().unwrap_or("").split(',').map(str::trim).filter(|s| !s.is_empty()) {
        statuses.push(Status::parse(s).ok_or_else(|| ApiError::invalid("status", format!("状态“{s}”无效")))?);
    }
    let channel = p
        .channel
        .as_deref()
        .filter(|s| !s.is_empty())
        .map(|c| Channel::parse(c).ok_or_else(|| ApiError::invalid("channel", format!("渠道“{c}”无效"))))
        .transpose()?;
    let sort = match p.sort.as_deref().unwrap_or("due") {
        "due" => CaseSort::DueAsc,
        "newest" => CaseSort::RegisteredDesc,
        "oldest" => CaseSort::RegisteredAsc,
        "updated" => CaseSort::UpdatedDesc,
        other => return Err(ApiError::invalid("sort", format!("排序方式“{other}”无效，可用 due、newest、oldest、updated"))),
    };
    let limit = p.limit.unwrap_or(50);
    if limit == 0 || limit > 500 {
        return Err(ApiError::invalid("limit", "每页条数应在1至500之间"));
    }
    let from = date("from", &p.from)?;
    let to = date("to", &p.to)?;
    Ok(CaseQuery {
        visible_to: p.org.map(|o| vec![OrgId(o)]),
        statuses,
        unit: p.unit.map(OrgId),
        channel,
        category: p.category.clone().filter(|s| !s.is_empty()),
        registered_from: from.and_then(|d| d.pred_opt()).map(end_of_local_day),
        registered_to: to.map(end_of_local_day),
        due_before: p.overdue.unwrap_or(false).then_some(now),
        text: p.q.clone().filter(|s| !s.trim().is_empty()),
        demo: p.demo,
        supervised: p.supervised.unwrap_or(false),
        skip_total: false,
        sort,
        limit,
        offset: p.offset.unwrap_or(0),
    })
}

pub async fn list(State(s): State<AppState>, Auth(p): Auth, Query(params): Query<ListParams>) -> ApiResult<impl IntoResponse> {
    let q = to_query(&params, s.app.now())?;
    let (items, total) = s.app.list_cases(&p, q.clone()).await?;
    Ok(Json(json!({ "items": items, "total": total, "limit": q.limit, "offset": q.offset })))
}

pub async fn create(State(s): State<AppState>, Auth(p): Auth, ApiJson(body): ApiJson<serde_json::Value>) -> ApiResult<impl IntoResponse> {
    let intake = parse_intake(body)?;
    let masked = (!intake.petitioner.is_anonymous()).then(|| intake.petitioner.masked());
    let actor = p.actor();
    let case = s.app.register(Some(&p), actor, intake).await?;
    let location = HeaderValue::from_str(&format!("/api/v1/cases/{}", case.id)).expect("ascii");
    let view = s.app.view_of(&p, case, masked).await?;
    Ok((StatusCode::CREATED, [(header::LOCATION, location)], Json(view)))
}

/// Reads the matter and the petitioner separately so an error names its exact field
/// (serde's `flatten` would lose the path).
pub fn parse_intake(mut body: serde_json::Value) -> ApiResult<Intake> {
    let petitioner = body.as_object_mut().and_then(|o| o.remove("petitioner")).unwrap_or(serde_json::Value::Null);
    let matter = crate::extract::parse_json(body.to_string().as_bytes())?;
    let petitioner = if petitioner.is_null() {
        Default::default()
    } else {
        crate::extract::parse_json(petitioner.to_string().as_bytes()).map_err(|ApiError(e)| match e {
            redress_app::AppError::Invalid { field, message } => ApiError::invalid(&format!("petitioner.{field}"), message),
            other => ApiError(other),
        })?
    };
    Ok(Intake { matter, petitioner })
}

pub async fn show(State(s): State<AppState>, Auth(p): Auth, Path(id): Path<i64>) -> ApiResult<impl IntoResponse> {
    Ok(Json(s.app.case_view(&p, CaseId(id)).await?))
}

pub async fn events(State(s): State<AppState>, Auth(p): Auth, Path(id): Path<i64>) -> ApiResult<impl IntoResponse> {
    Ok(Json(json!({ "items": s.app.case_history(&p, CaseId(id)).await? })))
}

pub async fn act(State(s): State<AppState>, Auth(p): Auth, Path(id): Path<i64>, ApiJson(cmd): ApiJson<Command>) -> ApiResult<impl IntoResponse> {
    let case = s.app.act(&p, CaseId(id), cmd).await?;
    match s.app.case_view(&p, CaseId(id)).await {
        Ok(view) => Ok(Json(serde_json::to_value(view).expect("view serializes"))),
        // Returning a case takes it out of the unit's sight: say what happened instead.
        Err(redress_app::AppError::NotFound(_)) => Ok(Json(json!({
            "id": case.id, "status": case.status, "status_label": case.status.label_zh(),
            "message": "操作已完成，该事项已不在本单位办理范围内"
        }))),
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize)]
pub struct RevealBody {
    purpose: String,
}

pub async fn reveal(State(s): State<AppState>, Auth(p): Auth, Path(id): Path<i64>, ApiJson(b): ApiJson<RevealBody>) -> ApiResult<impl IntoResponse> {
    Ok(Json(s.app.reveal_personal(&p, CaseId(id), &b.purpose).await?))
}

/// Raw upload: the body is the file; `Content-Type` its type; `X-Filename` its name
/// (percent-encoded UTF-8 allowed).
pub async fn upload(
    State(s): State<AppState>,
    Auth(p): Auth,
    Path(id): Path<i64>,
    headers: HeaderMap,
    body: Result<Bytes, axum::extract::rejection::BytesRejection>,
) -> ApiResult<impl IntoResponse> {
    let body = crate::extract::read_body(body, crate::ATTACHMENT_LIMIT)?;
    let mime = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    let raw_name = headers.get("x-filename").and_then(|v| v.to_str().ok()).unwrap_or("");
    let name = percent_decode(raw_name);
    s.app.add_attachment(&p, CaseId(id), &name, mime, body.to_vec()).await?;
    Ok((StatusCode::CREATED, Json(s.app.case_view(&p, CaseId(id)).await?)))
}

pub async fn download(State(s): State<AppState>, Auth(p): Auth, Path((id, sha)): Path<(i64, String)>) -> ApiResult<impl IntoResponse> {
    let (name, mime, bytes) = s.app.attachment(&p, CaseId(id), &sha).await?;
    let disposition = format!("attachment; filename*=UTF-8''{}", percent_encode(&name));
    Ok((
        [
            (header::CONTENT_TYPE, HeaderValue::from_str(&mime).unwrap_or(HeaderValue::from_static("application/octet-stream"))),
            (header::CONTENT_DISPOSITION, HeaderValue::from_str(&disposition).unwrap_or(HeaderValue::from_static("attachment"))),
            (header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff")),
        ],
        bytes,
    ))
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let hex = |c: u8| (c as char).to_digit(16).map(|d| d as u8);
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            if let (Some(h), Some(l)) = (hex(b[i + 1]), hex(b[i + 2])) {
                out.push(h * 16 + l);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn percent_encode(s: &str) -> String {
    s.bytes()
        .map(|b| if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) { (b as char).to_string() } else { format!("%{b:02X}") })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filenames_round_trip_through_percent_encoding() {
        let name = "现场照片 1.jpg";
        assert_eq!(percent_decode(&percent_encode(name)), name);
        assert_eq!(percent_decode("plain.txt"), "plain.txt");
    }

    #[test]
    fn list_parameters_are_validated_with_the_field_named() {
        let p = ListParams { status: Some("registered,办理中".into()), ..Default::default() };
        let q = to_query(&p, chrono::Utc::now()).unwrap();
        assert_eq!(q.statuses, vec![Status::Registered, Status::InProgress]);
        let bad = ListParams { status: Some("nope".into()), ..Default::default() };
        assert_eq!(to_query(&bad, chrono::Utc::now()).err().unwrap().0.field(), Some("status"));
        let bad = ListParams { from: Some("2026/1/1".into()), ..Default::default() };
        assert_eq!(to_query(&bad, chrono::Utc::now()).err().unwrap().0.field(), Some("from"));
    }
}
