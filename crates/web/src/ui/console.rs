//! The staff console (工作台): login, workbench, case lists, intake, the case page with its
//! actions, supervision and batch routing.

use std::collections::HashMap;
use std::net::SocketAddr;

use askama::Template;
use axum::body::Bytes;
use axum::extract::{ConnectInfo, Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::NaiveDate;
use redress_app::cases::Intake;
use redress_app::config::Config;
use redress_app::similar::SimilarRequest;
use redress_app::workbench::{Workbench, OPEN};
use redress_app::{AppError, Principal};
use redress_domain::case::{AppealOutcome, Channel, ChannelDetails, Decision, Location, MatterType, NewCase, RoutingMode, Satisfaction};
use redress_domain::org::OrgKind;
use redress_domain::{CaseId, Command, OrgId, Petitioner, Role, Status};
use redress_store::{CaseSort, Session};
use serde::Deserialize;
use serde_json::{json, Map, Value};

use super::forms::{self, enum_options, local_time, rows, split_error, token_matches, DeadlineUi, Fields, Options, RowUi};
use super::text::{self, Kind};
use super::{error_page, render, render_status, see_other};
use crate::extract::{cookie, cookie_header, SESSION_COOKIE};
use crate::AppState;

/// What every console page shows around its content.
#[derive(Clone)]
pub struct Layout {
    pub user_name: String,
    pub org_name: String,
    pub roles: String,
    pub csrf: String,
    pub may_register: bool,
    pub flash: Option<String>,
    pub error: Option<String>,
}

pub(super) fn layout(cfg: &Config, p: &Principal, session: &Session) -> Layout {
    Layout {
        user_name: p.user.display_name.clone(),
        org_name: cfg.tree.get(p.user.org_id).map(|o| o.name.clone()).unwrap_or_default(),
        roles: p.user.roles.iter().map(|r| r.label_zh()).collect::<Vec<_>>().join("、"),
        csrf: session.csrf_token.clone(),
        may_register: p.has_any(&[Role::IntakeClerk, Role::Admin]),
        flash: None,
        error: None,
    }
}

/// The signed-in staff member, or a redirect to the login page (or its error page).
pub(super) async fn staff(s: &AppState, headers: &HeaderMap, back_to: &str) -> Result<(Principal, Session), Response> {
    let token = cookie(headers, SESSION_COOKIE).ok_or_else(|| to_login(back_to))?;
    match s.app.session_principal(&token).await {
        Ok(ps) => Ok(ps),
        Err(AppError::Unauthenticated) => Err(to_login(back_to)),
        Err(e) => Err(app_error_page(&e)),
    }
}

fn to_login(back_to: &str) -> Response {
    let next: String = url_encode(back_to);
    see_other(&format!("/console/login?next={next}"), HeaderMap::new())
}

fn url_encode(s: &str) -> String {
    serde_urlencoded::to_string([("x", s)]).map(|v| v[2..].to_string()).unwrap_or_default()
}

/// A failure that is not about one form field, as a page.
/// A field error or a concurrent change, as the message to show above the form again; any
/// other error as its error page.
#[allow(clippy::result_large_err)] // the Err is the response the handler returns at once
pub(super) fn invalid_or_page(e: AppError) -> Result<String, Response> {
    match e {
        e @ (AppError::Invalid { .. } | AppError::Store(redress_store::StoreError::Conflict { .. })) => Ok(e.to_string()),
        e => Err(app_error_page(&e)),
    }
}

pub(super) fn app_error_page(e: &AppError) -> Response {
    let status = crate::error::ApiError(clone_error(e)).status();
    let title = match status {
        StatusCode::NOT_FOUND => "未找到",
        StatusCode::FORBIDDEN => "无权操作",
        StatusCode::TOO_MANY_REQUESTS => "操作过于频繁",
        StatusCode::SERVICE_UNAVAILABLE => "暂时无法访问",
        _ => "操作未完成",
    };
    error_page(status, title, &e.to_string(), "/console")
}

/// AppError is not Clone; the page only needs its kind and message.
fn clone_error(e: &AppError) -> AppError {
    match e {
        AppError::NotFound(what) => AppError::NotFound(what),
        AppError::Forbidden(m) => AppError::Forbidden(m.clone()),
        AppError::Unauthenticated => AppError::Unauthenticated,
        AppError::RateLimited { retry_after_secs } => AppError::RateLimited { retry_after_secs: *retry_after_secs },
        AppError::Unavailable(m) => AppError::Unavailable(m.clone()),
        AppError::Invalid { field, message } => AppError::invalid(field, message.clone()),
        AppError::Store(redress_store::StoreError::Unavailable(m)) => AppError::Unavailable(m.clone()),
        AppError::Domain(redress_domain::DomainError::IllegalTransition { .. }) => AppError::Store(redress_store::StoreError::Conflict { current: 0 }),
        AppError::Domain(_) => AppError::invalid("", e.to_string()),
        _ => AppError::Store(redress_store::StoreError::Other(e.to_string())),
    }
}

pub(super) fn csrf_ok(session: &Session, f: &Fields) -> Result<(), Response> {
    if token_matches(f.get("csrf"), &session.csrf_token) {
        Ok(())
    } else {
        Err(error_page(StatusCode::FORBIDDEN, "请求被拒绝", text::CSRF_FAILED, "/console"))
    }
}

pub(super) async fn cfg(s: &AppState) -> Result<std::sync::Arc<Config>, Response> {
    s.app.cfg().await.map_err(|e| app_error_page(&e))
}

// ----- login -----

#[derive(Template)]
#[template(path = "console/login.html")]
struct LoginPage {
    csrf: String,
    next: String,
    username: String,
    error: Option<String>,
}

#[derive(Deserialize)]
pub struct NextQuery {
    next: Option<String>,
}

/// Only paths on this site, so a login link cannot send anyone elsewhere.
fn safe_next(next: &str) -> String {
    if next.starts_with("/console") && !next.starts_with("//") && !next.contains("://") {
        next.to_string()
    } else {
        "/console".to_string()
    }
}

pub async fn login_form(State(s): State<AppState>, headers: HeaderMap, Query(q): Query<NextQuery>) -> Response {
    let (csrf, set) = forms::form_token(&headers, s.secure_cookies);
    let page = LoginPage { csrf, next: safe_next(q.next.as_deref().unwrap_or("")), username: String::new(), error: None };
    (set, render(&page)).into_response()
}

pub async fn login(State(s): State<AppState>, connect: Option<ConnectInfo<SocketAddr>>, headers: HeaderMap, body: Bytes) -> Response {
    let f = Fields::parse(&body);
    let (csrf, set) = forms::form_token(&headers, s.secure_cookies);
    let again = |error: String, status: StatusCode| {
        let page = LoginPage { csrf: csrf.clone(), next: safe_next(f.get("next")), username: f.get("username").to_string(), error: Some(error) };
        (set.clone(), render_status(status, &page)).into_response()
    };
    if !forms::form_token_ok(&headers, &f) {
        return again("页面已过期，请重新输入后登录".into(), StatusCode::FORBIDDEN);
    }
    let client = super::client_of(&connect);
    match s.app.login(f.get("username"), f.get("password"), &client).await {
        Ok(r) => {
            let max_age = (r.expires_at - s.app.now()).num_seconds().max(0);
            let mut h = HeaderMap::new();
            if let Ok(v) = HeaderValue::from_str(&cookie_header(SESSION_COOKIE, &r.token, max_age, s.secure_cookies)) {
                h.insert(header::SET_COOKIE, v);
            }
            see_other(&safe_next(f.get("next")), h)
        }
        Err(e @ AppError::RateLimited { .. }) => again(e.to_string(), StatusCode::TOO_MANY_REQUESTS),
        Err(AppError::Unauthenticated) | Err(AppError::Forbidden(_)) => again("用户名或密码错误，或账号已停用".into(), StatusCode::UNAUTHORIZED),
        Err(e) => again(e.to_string(), StatusCode::SERVICE_UNAVAILABLE),
    }
}

pub async fn logout(State(s): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let f = Fields::parse(&body);
    if let Some(token) = cookie(&headers, SESSION_COOKIE) {
        if let Ok((_, session)) = s.app.session_principal(&token).await {
            or_return!(csrf_ok(&session, &f));
        }
        let _ = s.app.logout(&token).await;
    }
    let mut h = HeaderMap::new();
    if let Ok(v) = HeaderValue::from_str(&cookie_header(SESSION_COOKIE, "", 0, s.secure_cookies)) {
        h.insert(header::SET_COOKIE, v);
    }
    see_other("/console/login", h)
}

// ----- workbench and supervision -----

#[derive(Template)]
#[template(path = "console/workbench.html")]
struct WorkbenchPage {
    layout: Layout,
    wb: Workbench,
    inbox: Vec<RowUi>,
    mine: Vec<RowUi>,
    approvals: Vec<RowUi>,
    show_approvals: bool,
    /// 零报告 the person's unit still owes (routine duties, issue 6).
    nil_todo: Vec<redress_app::nil_reports::CoverageRow>,
    /// Mediation reminders of the last week: (dispute id, text) (issue 7).
    mediation_todo: Vec<(String, String)>,
    /// Risk assessments filed and waiting for this leader's review: (id, project name).
    reviews: Vec<(i64, String)>,
}

#[derive(Template)]
#[template(path = "console/supervision.html")]
struct SupervisionPage {
    layout: Layout,
    wb: Workbench,
}

#[derive(Deserialize)]
pub struct WorkbenchQuery {
    done: Option<String>,
    case: Option<String>,
}

pub async fn workbench(State(s): State<AppState>, headers: HeaderMap, Query(q): Query<WorkbenchQuery>) -> Response {
    let (p, session) = or_return!(staff(&s, &headers, "/console").await);
    let cfg = or_return!(cfg(&s).await);
    match s.app.workbench(&p).await {
        Ok(wb) => render(&WorkbenchPage {
            layout: Layout {
                flash: q.done.as_deref().map(|d| {
                    format!("{}“{}”已完成。", q.case.as_deref().map(|c| format!("{c}：")).unwrap_or_default(), redress_domain::transition::action_label(d))
                }),
                ..layout(&cfg, &p, &session)
            },
            inbox: rows(&wb.inbox),
            mine: rows(&wb.mine),
            approvals: rows(&wb.approvals),
            show_approvals: p.has_any(&[Role::UnitHead, Role::Leader]),
            nil_todo: s.app.nil_report_todo(&p).await.unwrap_or_default(),
            mediation_todo: mediation_todo(&s, &p).await,
            reviews: if p.has_any(redress_app::assessment_flow::REVIEWER_ROLES) {
                s.app
                    .assessments(&p)
                    .await
                    .unwrap_or_default()
                    .into_iter()
                    .filter(|a| a.filing.as_ref().is_some_and(|f| f.result == "pending"))
                    .map(|a| (a.id, a.project_name))
                    .collect()
            } else {
                vec![]
            },
            wb,
        }),
        Err(e) => app_error_page(&e),
    }
}

/// The mediation reminders of the last seven days for the workbench (none for roles that do
/// not mediate).
async fn mediation_todo(s: &AppState, p: &Principal) -> Vec<(String, String)> {
    if !p.has_any(redress_app::mediation::MEDIATION_ROLES) {
        return vec![];
    }
    let since = s.app.now() - chrono::Duration::days(7);
    s.app
        .mediation_reminders(p)
        .await
        .unwrap_or_default()
        .iter()
        .filter(|r| r.created_at >= since)
        .take(5)
        .map(|r| (r.period.split(':').next().unwrap_or("").to_string(), redress_app::mediation::reminder_text(r)))
        .collect()
}

pub async fn supervision(State(s): State<AppState>, headers: HeaderMap) -> Response {
    let (p, session) = or_return!(staff(&s, &headers, "/console/supervision").await);
    let cfg = or_return!(cfg(&s).await);
    match s.app.workbench(&p).await {
        Ok(wb) => render(&SupervisionPage { layout: layout(&cfg, &p, &session), wb }),
        Err(e) => app_error_page(&e),
    }
}

// ----- lists -----

#[derive(Default)]
struct Filters {
    q: String,
    status: String,
    unit: String,
    org: String,
    channel: String,
    category: String,
    from: String,
    to: String,
    sort: String,
    overdue: bool,
}

#[derive(Template)]
#[template(path = "console/cases.html")]
struct CasesPage {
    layout: Layout,
    f: Filters,
    rows: Vec<RowUi>,
    total: i64,
    first: i64,
    last: i64,
    page: u32,
    prev_link: Option<String>,
    next_link: Option<String>,
    may_route: bool,
    may_supervise: bool,
    status_options: Options,
    unit_options: Options,
    town_options: Options,
    channel_options: Options,
    category_options: Options,
    sort_options: Options,
}

const PAGE_SIZE: u32 = 30;

pub(super) fn unit_options(cfg: &Config) -> Options {
    let mut v: Vec<_> = cfg.tree.all().filter(|o| matches!(o.kind, OrgKind::Department | OrgKind::Town)).map(|o| (o.id.0, o.name.clone())).collect();
    v.sort();
    v.into_iter().map(|(id, n)| (id.to_string(), n)).collect()
}

pub(super) fn town_options(cfg: &Config) -> Options {
    let mut v: Vec<_> = cfg.tree.all().filter(|o| o.kind == OrgKind::Town).map(|o| (o.id.0, o.name.clone())).collect();
    v.sort();
    v.into_iter().map(|(id, n)| (id.to_string(), n)).collect()
}


pub(super) fn category_options(cfg: &Config) -> Options {
    let mut v = vec![];
    for top in &cfg.taxonomy.categories {
        v.push((top.code.clone(), top.name.clone()));
        for c in &top.children {
            v.push((c.code.clone(), format!("{}/{}", top.name, c.name)));
        }
    }
    v
}

fn status_options() -> Options {
    let mut v = vec![("".to_string(), "全部".to_string()), ("open".to_string(), "在办（全部未办结）".to_string())];
    v.extend(enum_options(Status::ALL, Status::key, Status::label_zh));
    v
}

#[derive(Deserialize, Default)]
pub struct ListQuery {
    q: Option<String>,
    status: Option<String>,
    unit: Option<String>,
    org: Option<String>,
    channel: Option<String>,
    category: Option<String>,
    from: Option<String>,
    to: Option<String>,
    sort: Option<String>,
    overdue: Option<String>,
    page: Option<u32>,
}

fn parse_date(field: &str, v: &str) -> Result<Option<NaiveDate>, AppError> {
    if v.is_empty() {
        return Ok(None);
    }
    NaiveDate::parse_from_str(v, "%Y-%m-%d").map(Some).map_err(|_| AppError::invalid(field, format!("日期“{v}”应为 YYYY-MM-DD 格式")))
}

fn parse_id(field: &str, v: &str) -> Result<Option<i64>, AppError> {
    if v.is_empty() {
        return Ok(None);
    }
    v.parse().map(Some).map_err(|_| AppError::invalid(field, format!("“{v}”不是有效的编号")))
}

fn list_query(q: &ListQuery, now: chrono::DateTime<chrono::Utc>) -> Result<(redress_store::CaseQuery, Filters, u32), AppError> {
    let s = |o: &Option<String>| o.as_deref().unwrap_or("").trim().to_string();
    let f = Filters {
        q: s(&q.q),
        // Open cases unless the person chose otherwise ("" is 全部): what staff work on, and
        // the cheap query on a large database.
        status: q.status.as_deref().map(str::trim).unwrap_or("open").to_string(),
        unit: s(&q.unit),
        org: s(&q.org),
        channel: s(&q.channel),
        category: s(&q.category),
        from: s(&q.from),
        to: s(&q.to),
        sort: if s(&q.sort).is_empty() { "due".into() } else { s(&q.sort) },
        overdue: matches!(q.overdue.as_deref(), Some("true" | "on" | "1")),
    };
    let statuses = match f.status.as_str() {
        "" => vec![],
        "open" => OPEN.to_vec(),
        k => vec![Status::parse(k).ok_or_else(|| AppError::invalid("status", format!("状态“{k}”无效")))?],
    };
    let channel = match f.channel.as_str() {
        "" => None,
        k => Some(Channel::parse(k).ok_or_else(|| AppError::invalid("channel", format!("渠道“{k}”无效")))?),
    };
    let sort = match f.sort.as_str() {
        "due" => CaseSort::DueAsc,
        "newest" => CaseSort::RegisteredDesc,
        "oldest" => CaseSort::RegisteredAsc,
        "updated" => CaseSort::UpdatedDesc,
        k => return Err(AppError::invalid("sort", format!("排序方式“{k}”无效"))),
    };
    let page = q.page.unwrap_or(1).clamp(1, 10_000);
    let query = redress_store::CaseQuery {
        visible_to: parse_id("org", &f.org)?.map(|o| vec![OrgId(o)]),
        statuses,
        unit: parse_id("unit", &f.unit)?.map(OrgId),
        channel,
        category: Some(f.category.clone()).filter(|c| !c.is_empty()),
        registered_from: parse_date("from", &f.from)?.and_then(|d| d.pred_opt()).map(redress_domain::end_of_local_day),
        registered_to: parse_date("to", &f.to)?.map(redress_domain::end_of_local_day),
        due_before: f.overdue.then_some(now),
        text: Some(f.q.clone()).filter(|t| !t.is_empty()),
        sort,
        limit: PAGE_SIZE,
        offset: (page - 1) * PAGE_SIZE,
        ..Default::default()
    };
    Ok((query, f, page))
}

fn page_link(f: &Filters, page: u32) -> String {
    let pairs = [
        ("q", f.q.as_str()),
        ("status", &f.status),
        ("unit", &f.unit),
        ("org", &f.org),
        ("channel", &f.channel),
        ("category", &f.category),
        ("from", &f.from),
        ("to", &f.to),
        ("sort", &f.sort),
        ("overdue", if f.overdue { "true" } else { "" }),
    ];
    let mut q: Vec<(&str, String)> = pairs.iter().filter(|(_, v)| !v.is_empty()).map(|(k, v)| (*k, v.to_string())).collect();
    q.push(("page", page.to_string()));
    format!("/console/cases?{}", serde_urlencoded::to_string(q).unwrap_or_default())
}

pub async fn cases(State(s): State<AppState>, headers: HeaderMap, Query(q): Query<ListQuery>) -> Response {
    let (p, session) = or_return!(staff(&s, &headers, "/console/cases").await);
    let cfg = or_return!(cfg(&s).await);
    let mut lay = layout(&cfg, &p, &session);
    let (query, f, page) = match list_query(&q, s.app.now()) {
        Ok(x) => x,
        Err(e) => {
            lay.error = Some(e.to_string());
            (redress_store::CaseQuery { limit: PAGE_SIZE, ..Default::default() }, Filters { sort: "due".into(), ..Default::default() }, 1)
        }
    };
    let (items, total) = match s.app.list_cases(&p, query).await {
        Ok(x) => x,
        Err(e) => return app_error_page(&e),
    };
    let first = ((page - 1) * PAGE_SIZE) as i64 + 1;
    let last = first + items.len() as i64 - 1;
    render(&CasesPage {
        layout: lay,
        rows: rows(&items),
        total,
        first,
        last,
        page,
        prev_link: (page > 1).then(|| page_link(&f, page - 1)),
        next_link: (last < total).then(|| page_link(&f, page + 1)),
        may_route: p.has_any(&[Role::IntakeClerk, Role::Admin]),
        may_supervise: p.has_any(&[Role::Supervisor, Role::Leader, Role::Admin]),
        f,
        status_options: status_options(),
        unit_options: unit_options(&cfg),
        town_options: town_options(&cfg),
        channel_options: enum_options(Channel::ALL, Channel::key, Channel::label_zh),
        category_options: category_options(&cfg),
        sort_options: vec![
            ("due".into(), "期限最近".into()),
            ("newest".into(), "最新登记".into()),
            ("oldest".into(), "最早登记".into()),
            ("updated".into(), "最近更新".into()),
        ],
    })
}

#[derive(Template)]
#[template(path = "console/batch.html")]
struct BatchPage {
    layout: Layout,
    ok: usize,
    failed: usize,
    results: Vec<(i64, String, String)>,
}

/// Routes (or supervises) the selected cases, each on its own (one failure stops nothing).
/// Supervising all of a unit's selected cases is how a unit is supervised: the matters stay
/// the subject, each with its own record.
pub async fn route_batch(State(s): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let (p, session) = or_return!(staff(&s, &headers, "/console/cases").await);
    let f = Fields::parse(&body);
    or_return!(csrf_ok(&session, &f));
    let cfg = or_return!(cfg(&s).await);
    let mut lay = layout(&cfg, &p, &session);
    let ids: Vec<i64> = f.all("ids").iter().filter_map(|v| v.parse().ok()).collect();
    let unit = f.get("unit").parse::<i64>().ok();
    let mode = RoutingMode::parse(f.get("mode")).unwrap_or(RoutingMode::Forward);
    let mut results = vec![];
    if f.get("op") == "supervise" {
        let due = NaiveDate::parse_from_str(f.get("due"), "%Y-%m-%d").ok();
        match (ids.is_empty(), due) {
            (true, _) => lay.error = Some("请先勾选要督办的事项".into()),
            (_, None) => lay.error = Some("请填写督办期限（YYYY-MM-DD）".into()),
            (false, Some(due)) => {
                for id in ids {
                    let cmd = Command::Supervise { due, note: f.get("supervise_note").to_string(), target_unit: None };
                    let r = s.app.act(&p, CaseId(id), cmd).await;
                    results.push(match r {
                        Ok(c) => (id, c.number(), format!("已督办{}", redress_app::views::org_name(&cfg, c.unit).map(|u| format!("（{u}）")).unwrap_or_default())),
                        Err(e) => (id, format!("事项 {id}"), format!("未成功：{e}")),
                    });
                }
            }
        }
        let ok = results.iter().filter(|r| !r.2.starts_with("未成功")).count();
        let failed = results.len() - ok;
        return render(&BatchPage { layout: lay, ok, failed, results });
    }
    match (ids.is_empty(), unit) {
        (true, _) => lay.error = Some("请先勾选要转办的事项".into()),
        (_, None) => lay.error = Some("请选择责任单位".into()),
        (false, Some(unit)) => {
            for id in ids {
                let cmd = Command::Route { unit: OrgId(unit), co_units: vec![], mode, note: f.get("note").to_string(), assign_days: None };
                let r = s.app.act(&p, CaseId(id), cmd).await;
                let number = match &r {
                    Ok(c) => c.number(),
                    Err(_) => format!("事项 {id}"),
                };
                results.push((id, number, match r {
                    Ok(c) => format!("已{}至{}", mode.label_zh(), redress_app::views::org_name(&cfg, c.unit).unwrap_or_default()),
                    Err(e) => format!("未成功：{e}"),
                }));
            }
        }
    }
    let ok = results.iter().filter(|r| !r.2.starts_with("未成功")).count();
    let failed = results.len() - ok;
    render(&BatchPage { layout: lay, ok, failed, results })
}

// ----- intake -----

#[derive(Template)]
#[template(path = "console/intake.html")]
struct IntakePage {
    layout: Layout,
    values: HashMap<String, String>,
    errors: HashMap<String, String>,
    channel_options: Options,
    matter_type_options: Options,
    category_options: Options,
    place_options: Options,
    leader_options: Options,
}

impl IntakePage {
    fn err(&self, name: &str) -> Option<&String> {
        self.errors.get(name)
    }

    fn val(&self, name: &str) -> &str {
        self.values.get(name).map(String::as_str).unwrap_or("")
    }

    fn val_or<'a>(&'a self, name: &str, default: &'a str) -> &'a str {
        Some(self.val(name)).filter(|v| !v.is_empty()).unwrap_or(default)
    }
}

async fn intake_page(s: &AppState, cfg: &Config, lay: Layout, values: HashMap<String, String>, errors: HashMap<String, String>) -> IntakePage {
    let leaders = s.app.store.list_users().await.unwrap_or_default();
    IntakePage {
        layout: lay,
        values,
        errors,
        channel_options: enum_options(Channel::ALL, Channel::key, Channel::label_zh),
        matter_type_options: enum_options(MatterType::ALL, MatterType::key, MatterType::label_zh),
        category_options: category_options(cfg),
        place_options: forms::place_options(cfg),
        leader_options: leaders.iter().filter(|u| u.roles.contains(&Role::Leader) && !u.disabled).map(|u| (u.id.0.to_string(), u.display_name.clone())).collect(),
    }
}

#[derive(Deserialize)]
pub struct ChannelQuery {
    channel: Option<String>,
}

pub async fn intake_form(State(s): State<AppState>, headers: HeaderMap, Query(q): Query<ChannelQuery>) -> Response {
    let (p, session) = or_return!(staff(&s, &headers, "/console/cases/new").await);
    let cfg = or_return!(cfg(&s).await);
    if !p.has_any(&[Role::IntakeClerk, Role::Admin]) {
        return error_page(StatusCode::FORBIDDEN, "无权操作", "登记须由登记员办理", "/console");
    }
    let mut values = HashMap::new();
    values.insert("channel".to_string(), q.channel.unwrap_or_else(|| "visit".into()));
    let lay = layout(&cfg, &p, &session);
    render(&intake_page(&s, &cfg, lay, values, HashMap::new()).await)
}

fn intake_from(f: &Fields) -> Result<Intake, AppError> {
    let channel = Channel::parse(f.get("channel")).ok_or_else(|| AppError::invalid("channel", "请选择来源渠道"))?;
    let num = |name: &str, field: &str| -> Result<Option<i64>, AppError> { parse_id(field, f.get(name)) };
    let people = num("people_count", "people_count")?.unwrap_or(1);
    if people < 1 {
        return Err(AppError::invalid("people_count", "来访人数至少为1"));
    }
    let details = ChannelDetails {
        transfer_office: f.opt("transfer_office").map(str::to_string).filter(|_| channel == Channel::HigherTransfer),
        transfer_ref: f.opt("transfer_ref").map(str::to_string).filter(|_| channel == Channel::HigherTransfer),
        representatives: num("representatives", "channel_details.representatives")?.map(|n| n as u32),
        reception_leader: num("reception_leader", "channel_details.reception_leader")?.map(redress_domain::UserId).filter(|_| channel == Channel::LeaderReception),
        external_ref: f.opt("external_ref").map(str::to_string).filter(|_| matches!(channel, Channel::Hotline | Channel::Grid)),
        ..Default::default()
    };
    let matter = NewCase {
        channel,
        matter_type: MatterType::parse(f.get("matter_type")).unwrap_or(MatterType::Claim),
        category: f.opt("category").map(str::to_string),
        subject: f.get("subject").to_string(),
        content: f.get("content").to_string(),
        location: Location { address: f.get("address").to_string(), org: num("place", "location.org")?.map(OrgId), ..Default::default() },
        people_count: if matches!(channel, Channel::Visit | Channel::LeaderReception) { people as u32 } else { 1 },
        channel_details: details,
        related: vec![],
        same_matter_as: None,
        intake_org: OrgId(0),
        confidential: f.checked("confidential"),
        demo: false,
        suggested_categories: vec![],
    };
    let petitioner = if f.checked("anonymous") {
        Petitioner::default()
    } else {
        Petitioner {
            name: f.opt("p_name").map(str::to_string),
            phone: f.opt("p_phone").map(str::to_string),
            id_number: f.opt("p_id").map(str::to_string),
            address: f.opt("p_address").map(str::to_string),
            salt: None,
        }
    };
    Ok(Intake { matter, petitioner })
}

pub async fn intake(State(s): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let (p, session) = or_return!(staff(&s, &headers, "/console/cases/new").await);
    let f = Fields::parse(&body);
    or_return!(csrf_ok(&session, &f));
    let cfg = or_return!(cfg(&s).await);
    let result = match intake_from(&f) {
        Ok(intake) => s.app.register(Some(&p), p.actor(), intake).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(case) => see_other(&format!("/console/cases/{}?done=register", case.id.0), HeaderMap::new()),
        Err(e) => {
            let (errors, general) = split_error(&e);
            let mut lay = layout(&cfg, &p, &session);
            lay.error = Some(general.unwrap_or_else(|| "登记未完成，请按提示修改后重新提交".into()));
            let status = if errors.is_empty() { crate::error::ApiError(clone_error(&e)).status() } else { StatusCode::UNPROCESSABLE_ENTITY };
            render_status(status, &intake_page(&s, &cfg, lay, f.values(), errors).await)
        }
    }
}

#[derive(Template)]
#[template(path = "console/similar.html")]
struct SimilarFragment {
    note: Option<String>,
    items: Vec<SimilarUi>,
    /// Suggested categories and units (label, percent), learned from handled cases.
    categories: Vec<(String, u32)>,
    units: Vec<(String, u32)>,
}

struct SimilarUi {
    id: i64,
    number: String,
    subject: String,
    status_label: &'static str,
    reason: Option<String>,
}

impl From<redress_app::similar::SimilarView> for SimilarUi {
    fn from(v: redress_app::similar::SimilarView) -> Self {
        SimilarUi { id: v.case.id.0, number: v.case.number, subject: v.case.subject, status_label: v.case.status_label, reason: Some(v.reasons.join("，")) }
    }
}

/// Existing cases like the one being typed: the similar-case index when it is ready,
/// otherwise a plain subject match.
pub async fn intake_similar(State(s): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let (p, session) = or_return!(staff(&s, &headers, "/console/cases/new").await);
    let f = Fields::parse(&body);
    or_return!(csrf_ok(&session, &f));
    let subject = f.get("subject").to_string();
    let content = f.get("content").to_string();
    if subject.chars().count() + content.chars().count() < 4 {
        return render(&SimilarFragment { note: Some("请再多输入几个字。".into()), items: vec![], categories: vec![], units: vec![] });
    }
    let (categories, units) = match s.app.suggest(&subject, &content).await {
        Ok(sg) => (
            sg.categories.iter().map(|c| (c.label.clone(), (c.confidence * 100.0).round() as u32)).collect(),
            sg.units.iter().map(|u| (u.name.clone(), (u.confidence * 100.0).round() as u32)).collect(),
        ),
        Err(_) => (vec![], vec![]),
    };
    let req = SimilarRequest { subject: subject.clone(), content, place: f.get("place").parse().ok().map(OrgId), category: f.opt("category").map(str::to_string), limit: 5 };
    let quick = tokio::time::timeout(std::time::Duration::from_millis(1500), s.app.similar_for_intake(&p, req)).await;
    match quick {
        Ok(Ok(found)) => render(&SimilarFragment {
            note: None,
            items: found
                .into_iter()
                .map(SimilarUi::from)
                .collect(),
            categories,
            units,
        }),
        _ => {
            let q = redress_store::CaseQuery { text: Some(subject.chars().take(12).collect()), sort: CaseSort::RegisteredDesc, limit: 5, ..Default::default() };
            let items = match s.app.list_cases(&p, q).await {
                Ok((rows, _)) => rows.into_iter().map(|r| SimilarUi { id: r.id.0, number: r.number, subject: r.subject, status_label: r.status_label, reason: Some("标题相同".into()) }).collect(),
                Err(_) => vec![],
            };
            render(&SimilarFragment { note: Some("相似事项索引尚未就绪，以下为标题匹配结果。".into()), items, categories, units })
        }
    }
}

pub async fn case_similar(State(s): State<AppState>, headers: HeaderMap, Path(id): Path<i64>) -> Response {
    let (p, _) = or_return!(staff(&s, &headers, &format!("/console/cases/{id}")).await);
    let quick = tokio::time::timeout(std::time::Duration::from_millis(1500), s.app.similar_to_case(&p, CaseId(id), 5)).await;
    match quick {
        Ok(Ok(found)) => render(&SimilarFragment {
            note: None,
            items: found
                .into_iter()
                .map(SimilarUi::from)
                .collect(),
            categories: vec![],
            units: vec![],
        }),
        Ok(Err(e @ AppError::NotFound(_))) => app_error_page(&e),
        _ => render(&SimilarFragment { note: Some("相似事项索引正在准备，请稍后刷新。".into()), items: vec![], categories: vec![], units: vec![] }),
    }
}

// ----- the case page -----

struct FieldUi {
    name: &'static str,
    label: &'static str,
    kind: &'static str,
    required: bool,
    hint: String,
    value: String,
    options: Options,
}

struct ActionUi {
    key: &'static str,
    label: &'static str,
    open: bool,
    fields: Vec<FieldUi>,
    errors: HashMap<String, String>,
}

impl ActionUi {
    fn err(&self, name: &str) -> Option<&String> {
        self.errors.get(name)
    }
}

struct TimelineUi {
    seq: i64,
    at: String,
    label: &'static str,
    actor: String,
    detail: String,
    hash: String,
}

struct CaseUi {
    id: i64,
    version: u32,
    number: String,
    subject: String,
    content: String,
    tracking_code: String,
    status_label: &'static str,
    deadline: Option<DeadlineUi>,
    facts: Vec<(String, String)>,
    petitioner: Vec<(String, String)>,
    petitioner_note: String,
    may_reveal: bool,
    revealed: Option<Vec<(String, String)>>,
    reply: Vec<(String, String)>,
    actions: Vec<ActionUi>,
    documents: Vec<(String, String)>,
    attachments: Vec<(String, String, String)>,
    may_attach: bool,
    timeline: Vec<TimelineUi>,
    /// Disputes referred from this case (人民调解, issue 7): id, number, stage.
    disputes: Vec<(i64, String, &'static str)>,
    /// Committees to refer the case to, when the person may and no mediation is open.
    refer_committees: Options,
    dispute_types: Options,
}

#[derive(Template)]
#[template(path = "console/case.html")]
struct CasePage {
    layout: Layout,
    c: CaseUi,
}

fn petitioner_rows(p: &Petitioner) -> Vec<(String, String)> {
    let mut v = vec![];
    for (label, value) in [("姓名", &p.name), ("联系电话", &p.phone), ("身份证号", &p.id_number), ("住址", &p.address)] {
        if let Some(x) = value.as_deref().filter(|x| !x.is_empty()) {
            v.push((label.to_string(), x.to_string()));
        }
    }
    v
}

fn options_for(name: &str, cfg: &Config, leaders: &Options) -> Options {
    match name {
        "units" => unit_options(cfg),
        "modes" => enum_options(RoutingMode::ALL, RoutingMode::key, RoutingMode::label_zh),
        "decisions" => enum_options(Decision::ALL, Decision::key, Decision::label_zh),
        "satisfactions" => enum_options(Satisfaction::ALL, Satisfaction::key, Satisfaction::label_zh),
        "outcomes" => enum_options(AppealOutcome::ALL, AppealOutcome::key, AppealOutcome::label_zh),
        "leaders" => leaders.clone(),
        _ => vec![],
    }
}

/// A history entry's details in Chinese, one per line; ids become names.
fn detail_text(cfg: &Config, kind: &str, detail: &Value) -> String {
    let Some(o) = detail.as_object() else { return String::new() };
    if kind == "registered" {
        return o.get("matter").and_then(|m| m.get("subject")).and_then(Value::as_str).map(|s| format!("标题：{s}")).unwrap_or_default();
    }
    if kind == "attachment_added" {
        return o.get("attachment").and_then(|a| a.get("name")).and_then(Value::as_str).map(|s| format!("附件：{s}")).unwrap_or_default();
    }
    let mut lines = vec![];
    for (k, v) in o {
        let Some(label) = text::detail_label(k) else { continue };
        let shown = match (k.as_str(), v) {
            ("unit" | "target_unit", Value::Number(n)) => redress_app::views::org_name(cfg, n.as_i64().map(OrgId)).unwrap_or_else(|| n.to_string()),
            ("co_units", Value::Array(a)) => a.iter().filter_map(|x| redress_app::views::org_name(cfg, x.as_i64().map(OrgId))).collect::<Vec<_>>().join("、"),
            ("decision", Value::String(s)) => Decision::parse(s).map(|d| d.label_zh().to_string()).unwrap_or_else(|| s.clone()),
            ("satisfaction", Value::String(s)) => Satisfaction::parse(s).map(|d| d.label_zh().to_string()).unwrap_or_else(|| s.clone()),
            ("outcome", Value::String(s)) => AppealOutcome::parse(s).map(|d| d.label_zh().to_string()).unwrap_or_else(|| s.clone()),
            ("mode", Value::String(s)) => RoutingMode::parse(s).map(|d| d.label_zh().to_string()).unwrap_or_else(|| s.clone()),
            (_, Value::String(s)) => s.clone(),
            (_, Value::Number(n)) => n.to_string(),
            (_, Value::Null) => continue,
            (_, other) => other.to_string(),
        };
        if !shown.is_empty() {
            lines.push(format!("{label}：{shown}"));
        }
    }
    lines.join("\n")
}

struct Pending<'a> {
    action: &'a str,
    fields: &'a Fields,
    errors: HashMap<String, String>,
}

async fn case_page_response(
    s: &AppState,
    p: &Principal,
    session: &Session,
    id: i64,
    revealed: Option<Petitioner>,
    pending: Option<Pending<'_>>,
    flash: Option<String>,
    error: Option<String>,
) -> Response {
    let cfg = or_return!(cfg(s).await);
    let v = match s.app.case_view(p, CaseId(id)).await {
        Ok(v) => v,
        Err(e) => return app_error_page(&e),
    };
    let history = match s.app.case_history(p, CaseId(id)).await {
        Ok(h) => h,
        Err(e) => return app_error_page(&e),
    };
    let leaders: Options = if v.allowed_actions.iter().any(|a| a.action == "assign_leader") {
        s.app.store.list_users().await.unwrap_or_default().iter().filter(|u| u.roles.contains(&Role::Leader) && !u.disabled).map(|u| (u.id.0.to_string(), u.display_name.clone())).collect()
    } else {
        vec![]
    };
    let c = &v.case;
    let m = &c.matter;
    // The routing suggestion, beside the unit the clerk chooses.
    let unit_hint = if v.allowed_actions.iter().any(|a| a.action == "route") {
        match s.app.suggest(&m.subject, &m.content).await {
            Ok(sg) if !sg.units.is_empty() => format!(
                "推荐（由已办结事项学习，仅供参考）：{}",
                sg.units.iter().map(|u| format!("{}（{:.0}%）", u.name, u.confidence * 100.0)).collect::<Vec<_>>().join("、")
            ),
            _ => String::new(),
        }
    } else {
        String::new()
    };
    let mut facts = vec![
        ("查询码".to_string(), v.tracking_code.clone()),
        ("来源".to_string(), v.channel_label.to_string()),
        ("类型".to_string(), v.matter_type_label.to_string()),
        ("类别".to_string(), v.category_label.clone().unwrap_or_else(|| "未分类".into())),
        ("登记时间".to_string(), local_time(c.registered_at)),
        ("登记机关".to_string(), v.intake_org_name.clone().unwrap_or_default()),
        ("责任单位".to_string(), v.unit_name.clone().unwrap_or_else(|| "未转交".into())),
    ];
    if let Some(place) = redress_app::views::org_name(&cfg, m.location.org) {
        facts.push(("发生地".into(), place));
    }
    if !m.location.address.is_empty() {
        facts.push(("详细地点".into(), m.location.address.clone()));
    }
    if m.people_count > 1 {
        facts.push(("人数".into(), format!("{}人{}", m.people_count, m.channel_details.representatives.map(|r| format!("（代表{r}人）")).unwrap_or_default())));
    }
    if let Some(o) = &m.channel_details.transfer_office {
        facts.push(("转办机关".into(), o.clone()));
    }
    if let Some(r) = &m.channel_details.transfer_ref {
        facts.push(("转办文号".into(), r.clone()));
    }
    if let Some(r) = &m.channel_details.external_ref {
        facts.push(("工单编号".into(), r.clone()));
    }
    if let Some(l) = c.leader {
        let name = s.app.store.get_user(l).await.ok().flatten().map(|u| u.display_name).unwrap_or_else(|| format!("用户{}", l.0));
        facts.push(("包案领导".into(), name));
    }
    if let Some(w) = &v.appeal_window {
        facts.push(("复查申请期限".into(), format!("{}（{}）", w.due, w.light_label)));
    }
    if let Some(w) = &v.return_window {
        facts.push(("退回期限".into(), format!("{}前可退回", w.due)));
    }
    if m.confidential {
        facts.push(("保密".into(), "检举控告，信访人身份保密".into()));
    }
    let mut reply = vec![];
    if let Some(r) = &c.reply {
        reply.push(("处理结论".into(), r.decision.label_zh().to_string()));
        reply.push(("查明事实".into(), r.facts.clone()));
        reply.push(("处理意见".into(), r.opinion.clone()));
        reply.push(("依据".into(), r.legal_basis.clone()));
        reply.push(("审核".into(), r.approved_at.map(|t| format!("已审核（{}）", local_time(t))).unwrap_or_else(|| "待审核".into())));
    }
    if let Some(fu) = &c.follow_up {
        reply.push(("回访".into(), format!("{}　{}", fu.satisfaction.label_zh(), fu.note)));
    }
    let actions = v
        .allowed_actions
        .iter()
        .map(|a| {
            let is_pending = pending.as_ref().is_some_and(|p| p.action == a.action);
            let fields = text::action_fields(a.action)
                .iter()
                .map(|spec| {
                    let (kind, options) = match spec.kind {
                        Kind::Text => ("text", vec![]),
                        Kind::TextArea => ("textarea", vec![]),
                        Kind::Number => ("number", vec![]),
                        Kind::Date => ("date", vec![]),
                        Kind::Select(src) => ("select", options_for(src, &cfg, &leaders)),
                        Kind::MultiSelect(src) => ("multiselect", options_for(src, &cfg, &leaders)),
                    };
                    let value = match &pending {
                        Some(pd) if is_pending => pd.fields.get(spec.name).to_string(),
                        _ => spec.default.to_string(),
                    };
                    let hint = if a.action == "route" && spec.name == "unit" && !unit_hint.is_empty() { unit_hint.clone() } else { spec.hint.to_string() };
                    FieldUi { name: spec.name, label: spec.label, kind, required: spec.required, hint, value, options }
                })
                .collect();
            let errors = match &pending {
                Some(pd) if is_pending => pd.errors.clone(),
                _ => HashMap::new(),
            };
            ActionUi { key: a.action, label: a.label, open: is_pending, fields, errors }
        })
        .collect();
    let (petitioner, petitioner_note) = match &v.petitioner_masked {
        Some(pm) => (petitioner_rows(pm), String::new()),
        None if c.anonymous => (vec![], "匿名".into()),
        None if c.personal_data_purged => (vec![], "个人信息已按保存期限删除".into()),
        None => (vec![], "未登记个人信息".into()),
    };
    let documents = s
        .app
        .available_documents(p, CaseId(id))
        .await
        .unwrap_or_default()
        .into_iter()
        .filter(|d| d.available)
        .map(|d| (d.kind.key().to_string(), d.title.to_string()))
        .collect();
    let linked = s.app.disputes_of_case(p, CaseId(id)).await.unwrap_or_default();
    let may_refer = p.has_any(redress_app::mediation::MEDIATION_ROLES) && !linked.iter().any(|d| !d.stage.is_concluded());
    let refer_committees: Options = if may_refer {
        s.app.committees(p).await.unwrap_or_default().into_iter().filter(|c| c.active).map(|c| (c.id.to_string(), c.committee.name)).collect()
    } else {
        vec![]
    };
    let ui = CaseUi {
        disputes: linked.iter().map(|d| (d.id, d.number.clone(), d.stage_label())).collect(),
        refer_committees,
        dispute_types: redress_app::mediation::DISPUTE_TYPES.iter().map(|(k, l)| (k.to_string(), l.to_string())).collect(),
        id,
        version: c.version,
        number: v.number.clone(),
        subject: m.subject.clone(),
        content: m.content.clone(),
        tracking_code: v.tracking_code.clone(),
        status_label: v.status_label,
        deadline: v.deadline.as_ref().map(DeadlineUi::from),
        facts,
        may_reveal: p.may_unmask() && !petitioner.is_empty(),
        petitioner,
        petitioner_note,
        revealed: revealed.as_ref().map(petitioner_rows),
        reply,
        actions,
        documents,
        may_attach: v.allowed_actions.iter().any(|a| a.action == "add_note"),
        attachments: c.attachments.iter().map(|a| (a.sha256.clone(), a.name.clone(), format!("{:.1} KB", a.size as f64 / 1024.0))).collect(),
        timeline: history
            .iter()
            .map(|h| TimelineUi { seq: h.seq, at: local_time(h.at), label: h.label, actor: h.actor.clone(), detail: detail_text(&cfg, &h.kind, &h.detail), hash: h.hash.chars().take(16).collect() })
            .collect(),
    };
    let mut lay = layout(&cfg, p, session);
    lay.flash = flash;
    lay.error = error;
    let status = if pending.is_some() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    render_status(status, &CasePage { layout: lay, c: ui })
}

#[derive(Deserialize)]
pub struct DoneQuery {
    done: Option<String>,
}

pub async fn case_page(State(s): State<AppState>, headers: HeaderMap, Path(id): Path<i64>, Query(q): Query<DoneQuery>) -> Response {
    let (p, session) = or_return!(staff(&s, &headers, &format!("/console/cases/{id}")).await);
    let flash = q.done.as_deref().map(|d| match d {
        "register" => "登记成功。".to_string(),
        "attach" => "附件已上传。".to_string(),
        k => format!("“{}”已完成。", redress_domain::transition::action_label(k)),
    });
    case_page_response(&s, &p, &session, id, None, None, flash, None).await
}

/// The command an action form describes, as the JSON API would receive it.
fn command_from(f: &Fields, action: &str, s_leader_name: Option<String>) -> Result<Command, AppError> {
    let specs = text::action_fields(action);
    let mut o = Map::new();
    o.insert("action".into(), json!(action));
    for spec in specs {
        let raw = f.get(spec.name);
        if spec.required && raw.is_empty() {
            return Err(AppError::invalid(spec.name, format!("请填写“{}”", spec.label)));
        }
        match spec.kind {
            Kind::MultiSelect(_) => {
                let ids: Result<Vec<i64>, _> = f.all(spec.name).iter().map(|v| v.parse::<i64>()).collect();
                o.insert(spec.name.into(), json!(ids.map_err(|_| AppError::invalid(spec.name, "选择有误"))?));
            }
            _ if raw.is_empty() => {}
            _ if text::numeric(spec.name) => {
                let n: i64 = raw.parse().map_err(|_| AppError::invalid(spec.name, format!("“{}”应为数字", spec.label)))?;
                o.insert(spec.name.into(), json!(n));
            }
            _ => {
                o.insert(spec.name.into(), json!(raw));
            }
        }
    }
    if action == "assign_leader" {
        o.insert("leader_name".into(), json!(s_leader_name.unwrap_or_default()));
    }
    serde_json::from_value(Value::Object(o)).map_err(|e| AppError::invalid("action", format!("表单内容有误：{e}")))
}

pub async fn act(State(s): State<AppState>, headers: HeaderMap, Path(id): Path<i64>, body: Bytes) -> Response {
    let (p, session) = or_return!(staff(&s, &headers, &format!("/console/cases/{id}")).await);
    let f = Fields::parse(&body);
    or_return!(csrf_ok(&session, &f));
    let action = f.get("action").to_string();
    // Acting on a page older than the case: say so rather than apply to a state not seen.
    if let (Ok(seen), Ok(Some(case))) = (f.get("version").parse::<u32>(), s.app.store.get_case(CaseId(id)).await) {
        if case.version != seen && redress_app::permissions::may_view(&p, &case).is_ok() {
            return case_page_response(&s, &p, &session, id, None, None, None, Some("该事项已被他人更新，请核对最新情况后重新操作。".into())).await;
        }
    }
    let leader_name = match f.get("leader").parse::<i64>() {
        Ok(l) => s.app.store.get_user(redress_domain::UserId(l)).await.ok().flatten().map(|u| u.display_name),
        Err(_) => None,
    };
    let result = match command_from(&f, &action, leader_name) {
        Ok(cmd) => s.app.act(&p, CaseId(id), cmd).await,
        Err(e) => Err(e),
    };
    match result {
        // A unit that returned a case no longer sees it: back to its workbench.
        Ok(case) if redress_app::permissions::may_view(&p, &case).is_err() => {
            see_other(&format!("/console?done={}&case={}", url_encode(&action), url_encode(&case.number())), HeaderMap::new())
        }
        Ok(_) => see_other(&format!("/console/cases/{id}?done={}", url_encode(&action)), HeaderMap::new()),
        Err(e @ (AppError::NotFound(_) | AppError::Unauthenticated)) => app_error_page(&e),
        Err(e) => {
            let (errors, general) = split_error(&e);
            let pending = Pending { action: &action, fields: &f, errors };
            let msg = general.unwrap_or_else(|| format!("“{}”未完成，请按提示修改。", redress_domain::transition::action_label(&action)));
            let mut r = case_page_response(&s, &p, &session, id, None, Some(pending), None, Some(msg)).await;
            if matches!(e, AppError::Forbidden(_)) {
                *r.status_mut() = StatusCode::FORBIDDEN;
            } else if matches!(e, AppError::Domain(redress_domain::DomainError::IllegalTransition { .. })) {
                *r.status_mut() = StatusCode::CONFLICT;
            }
            r
        }
    }
}

/// Shows the petitioner unmasked; the access is recorded before anything is shown.
pub async fn reveal(State(s): State<AppState>, headers: HeaderMap, Path(id): Path<i64>, body: Bytes) -> Response {
    let (p, session) = or_return!(staff(&s, &headers, &format!("/console/cases/{id}")).await);
    let f = Fields::parse(&body);
    or_return!(csrf_ok(&session, &f));
    match s.app.reveal_personal(&p, CaseId(id), f.get("purpose")).await {
        Ok(pet) => case_page_response(&s, &p, &session, id, Some(pet), None, None, None).await,
        Err(e @ (AppError::NotFound(_) | AppError::Forbidden(_))) => app_error_page(&e),
        Err(e) => case_page_response(&s, &p, &session, id, None, None, None, Some(e.to_string())).await,
    }
}

// ----- full-text search -----

struct HitUi {
    id: i64,
    number: String,
    subject: String,
    status_label: &'static str,
    unit_name: Option<String>,
    score: Option<String>,
    /// (field label, [(text, highlighted)]).
    snippets: Vec<(&'static str, Vec<(String, bool)>)>,
}

#[derive(Template)]
#[template(path = "console/search.html")]
struct SearchPage {
    layout: Layout,
    f: Filters,
    note: Option<String>,
    searched: bool,
    items: Vec<HitUi>,
    total: u64,
    first: u64,
    last: u64,
    prev_link: Option<String>,
    next_link: Option<String>,
    status_options: Options,
    unit_options: Options,
    town_options: Options,
    channel_options: Options,
    category_options: Options,
}

/// Undoes the five escapes an HTML-escaped fragment uses.
fn unescape(s: &str) -> String {
    s.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", "\"").replace("&#39;", "'").replace("&#x27;", "'").replace("&amp;", "&")
}

/// A fragment with `<mark>` around matches, as text parts; the template escapes them again,
/// so nothing in a case's text can become markup whatever the highlighter did.
pub(crate) fn marked_parts(fragment: &str) -> Vec<(String, bool)> {
    let mut out = vec![];
    let mut rest = fragment;
    while let Some(i) = rest.find("<mark>") {
        if i > 0 {
            out.push((unescape(&rest[..i]), false));
        }
        let after = &rest[i + 6..];
        let j = after.find("</mark>").unwrap_or(after.len());
        out.push((unescape(&after[..j]), true));
        rest = after.get(j + 7..).unwrap_or("");
    }
    if !rest.is_empty() {
        out.push((unescape(rest), false));
    }
    out
}

fn field_label(f: &str) -> &'static str {
    match f {
        "subject" => "标题",
        "content" => "内容",
        "replies" => "答复",
        "address" => "地点",
        _ => "其他",
    }
}

const SEARCH_PAGE: u32 = 20;

pub async fn search(State(s): State<AppState>, headers: HeaderMap, Query(mut q): Query<ListQuery>) -> Response {
    // Search looks at every case unless a status is chosen.
    q.status.get_or_insert_with(String::new);
    let (p, session) = or_return!(staff(&s, &headers, "/console/search").await);
    let cfg = or_return!(cfg(&s).await);
    let mut lay = layout(&cfg, &p, &session);
    let mut page = SearchPage {
        layout: lay.clone(),
        f: Filters::default(),
        note: None,
        searched: false,
        items: vec![],
        total: 0,
        first: 0,
        last: 0,
        prev_link: None,
        next_link: None,
        status_options: status_options(),
        unit_options: unit_options(&cfg),
        town_options: town_options(&cfg),
        channel_options: enum_options(Channel::ALL, Channel::key, Channel::label_zh),
        category_options: category_options(&cfg),
    };
    let (list, f, pg) = match list_query(&q, s.app.now()) {
        Ok(x) => x,
        Err(e) => {
            lay.error = Some(e.to_string());
            page.layout = lay;
            return render_status(StatusCode::UNPROCESSABLE_ENTITY, &page);
        }
    };
    if f.q.is_empty() {
        page.f = f;
        page.layout = lay;
        return render(&page);
    }
    let sq = redress_app::search::SearchQuery {
        text: f.q.clone(),
        statuses: list.statuses.clone(),
        unit: list.unit,
        channel: list.channel,
        category: list.category.clone(),
        orgs: list.visible_to.clone(),
        registered_from: list.registered_from,
        registered_to: list.registered_to,
        limit: SEARCH_PAGE,
        offset: (pg - 1) * SEARCH_PAGE,
        ..Default::default()
    };
    page.searched = true;
    match s.app.search(&p, sq).await {
        Ok(r) => {
            page.total = r.total;
            page.items = r
                .items
                .into_iter()
                .map(|it| HitUi {
                    id: it.case.id.0,
                    number: it.case.number,
                    subject: it.case.subject,
                    status_label: it.case.status_label,
                    unit_name: it.case.unit_name,
                    score: Some(format!("{:.2}", it.score)),
                    snippets: it.snippets.iter().map(|(k, v)| (field_label(k), marked_parts(v))).collect(),
                })
                .collect();
        }
        Err(AppError::Unavailable(msg)) => {
            // No index in this server: the list's title match, newest first.
            page.note = Some(format!("{msg}。以下为标题和查询码匹配的结果。"));
            let fallback = redress_store::CaseQuery { text: Some(f.q.clone()), sort: CaseSort::RegisteredDesc, limit: SEARCH_PAGE, offset: (pg - 1) * SEARCH_PAGE, ..list };
            match s.app.list_cases(&p, fallback).await {
                Ok((rows, total)) => {
                    page.total = total as u64;
                    page.items = rows
                        .into_iter()
                        .map(|r| HitUi { id: r.id.0, number: r.number, subject: r.subject, status_label: r.status_label, unit_name: r.unit_name, score: None, snippets: vec![] })
                        .collect();
                }
                Err(e) => return app_error_page(&e),
            }
        }
        Err(e) => {
            let (errors, general) = split_error(&e);
            lay.error = Some(general.unwrap_or_else(|| errors.into_values().collect::<Vec<_>>().join("；")));
        }
    }
    page.first = ((pg - 1) * SEARCH_PAGE) as u64 + 1;
    page.last = page.first + page.items.len() as u64 - 1;
    let link = |n: u32| page_link(&f, n).replacen("/console/cases?", "/console/search?", 1);
    page.prev_link = (pg > 1).then(|| link(pg - 1));
    page.next_link = (page.last < page.total).then(|| link(pg + 1));
    page.f = f;
    page.layout = lay;
    render(&page)
}

#[cfg(test)]
mod tests {
    use super::marked_parts;

    #[test]
    fn marked_fragments_become_text_parts() {
        let parts = marked_parts("小区<mark>电梯</mark>停运 &lt;script&gt; <mark>a&amp;b</mark>");
        assert_eq!(
            parts,
            vec![
                ("小区".to_string(), false),
                ("电梯".to_string(), true),
                ("停运 <script> ".to_string(), false),
                ("a&b".to_string(), true),
            ]
        );
        assert_eq!(marked_parts("无匹配"), vec![("无匹配".to_string(), false)]);
    }
}

/// Uploads an attachment from the case page (multipart: `csrf`, `file`).
pub async fn attach(State(s): State<AppState>, headers: HeaderMap, Path(id): Path<i64>, mut mp: axum::extract::Multipart) -> Response {
    let (p, session) = or_return!(staff(&s, &headers, &format!("/console/cases/{id}")).await);
    let mut f = Fields::default();
    let mut file: Option<(String, String, Vec<u8>)> = None;
    loop {
        match mp.next_field().await {
            Ok(Some(field)) => {
                let name = field.name().unwrap_or("").to_string();
                if name == "file" {
                    let file_name = field.file_name().unwrap_or("").to_string();
                    let mime = field.content_type().unwrap_or("application/octet-stream").to_string();
                    match field.bytes().await {
                        Ok(b) => file = Some((file_name, mime, b.to_vec())),
                        Err(_) => return error_page(StatusCode::PAYLOAD_TOO_LARGE, "上传未成功", "附件不能超过10MB", &format!("/console/cases/{id}")),
                    }
                } else {
                    let v = field.text().await.unwrap_or_default();
                    f.0.push((name, v));
                }
            }
            Ok(None) => break,
            Err(_) => return error_page(StatusCode::PAYLOAD_TOO_LARGE, "上传未成功", "附件不能超过10MB，或表单无法读取", &format!("/console/cases/{id}")),
        }
    }
    or_return!(csrf_ok(&session, &f));
    let Some((name, mime, bytes)) = file.filter(|(n, _, b)| !n.is_empty() || !b.is_empty()) else {
        return case_page_response(&s, &p, &session, id, None, None, None, Some("请选择要上传的文件".into())).await;
    };
    match s.app.add_attachment(&p, CaseId(id), &name, &mime, bytes).await {
        Ok(_) => see_other(&format!("/console/cases/{id}?done=attach"), HeaderMap::new()),
        Err(e @ (AppError::NotFound(_) | AppError::Forbidden(_))) => app_error_page(&e),
        Err(e) => {
            let mut r = case_page_response(&s, &p, &session, id, None, None, None, Some(format!("附件“{name}”未能上传：{e}"))).await;
            *r.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
            r
        }
    }
}
