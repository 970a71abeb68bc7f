use axum::extract::{Query, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::IntoResponse;
use axum::Json;
use chrono::NaiveDate;
use redress_app::permissions::require_any;
use redress_domain::org::{Org, OrgKind};
use redress_domain::taxonomy::Taxonomy;
use redress_domain::{CaseId, DayUnit, DeadlineRules, OrgId, Role};
use serde::Deserialize;
use serde_json::json;

use crate::error::{ApiError, ApiResult};
use crate::extract::{cookie_header, ApiJson, Auth, SESSION_COOKIE};
use crate::AppState;

#[derive(Deserialize)]
pub struct LoginBody {
    username: String,
    password: String,
}

pub async fn login(
    State(s): State<AppState>,
    connect: Option<axum::extract::ConnectInfo<std::net::SocketAddr>>,
    ApiJson(b): ApiJson<LoginBody>,
) -> ApiResult<impl IntoResponse> {
    let client = connect.map(|c| c.0.ip().to_string()).unwrap_or_else(|| "local".into());
    let r = s.app.login(&b.username, &b.password, &client).await?;
    let max_age = (r.expires_at - s.app.now()).num_seconds().max(0);
    let cookie = cookie_header(SESSION_COOKIE, &r.token, max_age, s.secure_cookies);
    Ok(([(header::SET_COOKIE, HeaderValue::from_str(&cookie).expect("ascii cookie"))], Json(r)))
}

pub async fn logout(State(s): State<AppState>, headers: axum::http::HeaderMap) -> ApiResult<impl IntoResponse> {
    if let Some(t) = crate::extract::bearer(&headers).map(str::to_string).or_else(|| crate::extract::cookie(&headers, SESSION_COOKIE)) {
        s.app.logout(&t).await?;
    }
    let cookie = cookie_header(SESSION_COOKIE, "", 0, s.secure_cookies);
    Ok((StatusCode::NO_CONTENT, [(header::SET_COOKIE, HeaderValue::from_str(&cookie).expect("ascii cookie"))]))
}

pub async fn me(State(s): State<AppState>, Auth(p): Auth) -> ApiResult<impl IntoResponse> {
    Ok(Json(s.app.user_view(&p.user).await?))
}

pub async fn orgs(State(s): State<AppState>, Auth(_p): Auth) -> ApiResult<impl IntoResponse> {
    let cfg = s.app.cfg().await?;
    let mut items: Vec<serde_json::Value> = cfg
        .tree
        .all()
        .map(|o| json!({ "id": o.id, "parent": o.parent, "name": o.name, "kind": o.kind, "kind_label": o.kind.label_zh(), "division_code": o.division_code }))
        .collect();
    items.sort_by_key(|v| v["id"].as_i64());
    Ok(Json(json!({ "items": items })))
}

#[derive(Deserialize)]
pub struct OrgBody {
    #[serde(default)]
    id: Option<i64>,
    name: String,
    #[serde(default)]
    parent: Option<i64>,
    kind: OrgKind,
    #[serde(default)]
    division_code: Option<String>,
}

pub async fn save_org(State(s): State<AppState>, Auth(p): Auth, ApiJson(b): ApiJson<OrgBody>) -> ApiResult<impl IntoResponse> {
    require_any(&p, &[Role::Admin])?;
    let org = Org { id: OrgId(b.id.unwrap_or(0)), parent: b.parent.map(OrgId), name: b.name.trim().to_string(), kind: b.kind, division_code: b.division_code };
    let id = s.app.save_org(org).await?;
    Ok((StatusCode::CREATED, Json(json!({ "id": id }))))
}

pub async fn users(State(s): State<AppState>, Auth(p): Auth) -> ApiResult<impl IntoResponse> {
    require_any(&p, &[Role::Admin, Role::Auditor])?;
    let mut items = vec![];
    for u in s.app.store.list_users().await? {
        items.push(s.app.user_view(&u).await?);
    }
    Ok(Json(json!({ "items": items })))
}

#[derive(Deserialize)]
pub struct UserBody {
    username: String,
    #[serde(default)]
    display_name: String,
    org_id: i64,
    roles: Vec<Role>,
    password: String,
}

pub async fn add_user(State(s): State<AppState>, Auth(p): Auth, ApiJson(b): ApiJson<UserBody>) -> ApiResult<impl IntoResponse> {
    require_any(&p, &[Role::Admin])?;
    let u = s.app.add_user(&b.username, &b.display_name, OrgId(b.org_id), b.roles, &b.password).await?;
    Ok((StatusCode::CREATED, Json(s.app.user_view(&u).await?)))
}

pub async fn taxonomy(State(s): State<AppState>) -> ApiResult<impl IntoResponse> {
    Ok(Json(s.app.cfg().await?.taxonomy.clone()))
}

pub async fn set_taxonomy(State(s): State<AppState>, Auth(p): Auth, ApiJson(t): ApiJson<Taxonomy>) -> ApiResult<impl IntoResponse> {
    require_any(&p, &[Role::Admin])?;
    s.app.set_taxonomy(&t).await?;
    Ok(Json(t))
}

pub async fn rules(State(s): State<AppState>, Auth(_p): Auth) -> ApiResult<impl IntoResponse> {
    Ok(Json(s.app.cfg().await?.rules.clone()))
}

pub async fn set_rules(State(s): State<AppState>, Auth(p): Auth, ApiJson(r): ApiJson<DeadlineRules>) -> ApiResult<impl IntoResponse> {
    require_any(&p, &[Role::Admin])?;
    s.app.set_rules(&r).await?;
    Ok(Json(r))
}

#[derive(Deserialize)]
pub struct DueParams {
    from: String,
    days: u32,
    #[serde(default)]
    working: bool,
}

pub async fn calendar_due(State(s): State<AppState>, Auth(_p): Auth, Query(q): Query<DueParams>) -> ApiResult<impl IntoResponse> {
    let from = NaiveDate::parse_from_str(&q.from, "%Y-%m-%d").map_err(|_| ApiError::invalid("from", "日期应为 YYYY-MM-DD 格式"))?;
    if q.days > 3650 {
        return Err(ApiError::invalid("days", "天数不能超过3650"));
    }
    let unit = if q.working { DayUnit::Working } else { DayUnit::Calendar };
    let cfg = s.app.cfg().await?;
    let due = cfg.calendar.due(from, q.days, unit);
    Ok(Json(json!({ "from": from, "days": q.days, "unit": unit, "unit_label": unit.label_zh(), "due": due })))
}

#[derive(Deserialize)]
pub struct AccessParams {
    case_id: Option<i64>,
    limit: Option<u32>,
}

pub async fn access_log(State(s): State<AppState>, Auth(p): Auth, Query(q): Query<AccessParams>) -> ApiResult<impl IntoResponse> {
    require_any(&p, &[Role::Auditor, Role::Admin])?;
    let items = s.app.store.access_log(q.case_id.map(CaseId), q.limit.unwrap_or(100).min(1000)).await?;
    Ok(Json(json!({ "items": items })))
}

/// Background jobs: schedule, lease holder, latest runs (system administrators).
pub async fn jobs(State(s): State<AppState>, Auth(p): Auth) -> ApiResult<impl IntoResponse> {
    Ok(Json(s.app.jobs_overview(&p).await?))
}

pub async fn verify(State(s): State<AppState>, Auth(p): Auth) -> ApiResult<impl IntoResponse> {
    require_any(&p, &[Role::Auditor, Role::Admin])?;
    let report = redress_app::verify::verify(s.app.store.as_ref(), &|_, _, _| {}).await?;
    let status = if report.ok() { StatusCode::OK } else { StatusCode::CONFLICT };
    Ok((status, Json(report)))
}

/// The leaders' reception schedule (领导接待日), all entries.
pub async fn receptions(State(s): State<AppState>, Auth(_p): Auth) -> ApiResult<impl IntoResponse> {
    Ok(Json(json!({ "items": s.app.reception_schedule().await? })))
}

pub async fn set_receptions(
    State(s): State<AppState>,
    Auth(p): Auth,
    ApiJson(items): ApiJson<Vec<redress_app::portal::Reception>>,
) -> ApiResult<impl IntoResponse> {
    s.app.set_reception_schedule(&p, items.clone()).await?;
    Ok(Json(json!({ "items": items })))
}

/// Upcoming receptions, as the portal publishes them.
pub async fn public_receptions(State(s): State<AppState>) -> ApiResult<impl IntoResponse> {
    let today = redress_domain::local_date(s.app.now());
    Ok(Json(json!({ "items": s.app.upcoming_receptions(today).await? })))
}

/// The county's open statistics, with each rate's definition.
pub async fn public_stats(State(s): State<AppState>) -> ApiResult<impl IntoResponse> {
    let stats = s.app.public_stats().await?;
    Ok(Json(json!({
        "stats": stats,
        "definitions": {
            "closed_rate": redress_app::portal::CLOSED_RATE_DEFINITION,
            "satisfied_rate": redress_app::portal::SATISFIED_RATE_DEFINITION,
        }
    })))
}
