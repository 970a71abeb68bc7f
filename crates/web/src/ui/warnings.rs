//! Early warnings in the console: the list (`/console/warnings`), one warning with its cases,
//! acknowledge and dispose forms (`/console/warnings/:id`), and the rules, which an
//! administrator edits as JSON (`/console/warning-rules`).

use askama::Template;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::Response;
use redress_app::warnings::{Warning, WarningRule};
use redress_domain::{CaseId, Role};

use super::console::{app_error_page, cfg, csrf_ok, layout, staff, Layout};
use super::forms::{rows, Fields, RowUi};
use super::{render, see_other};
use crate::AppState;

#[derive(Template)]
#[template(path = "console/warnings.html")]
struct ListPage {
    layout: Layout,
    items: Vec<Warning>,
    may_edit_rules: bool,
}

impl ListPage {
    fn at(t: &chrono::DateTime<chrono::Utc>) -> String {
        local(t)
    }
}

pub async fn list(State(s): State<AppState>, headers: HeaderMap) -> Response {
    let (p, session) = or_return!(staff(&s, &headers, "/console/warnings").await);
    let cfg = or_return!(cfg(&s).await);
    match s.app.warnings_for(&p, false, 200).await {
        Ok(items) => render(&ListPage { layout: layout(&cfg, &p, &session), items, may_edit_rules: p.has(Role::Admin) }),
        Err(e) => app_error_page(&e),
    }
}

#[derive(Template)]
#[template(path = "console/warning.html")]
struct WarningPage {
    layout: Layout,
    w: Warning,
    recipient: String,
    cases: Vec<RowUi>,
}

fn local(t: &chrono::DateTime<chrono::Utc>) -> String {
    t.with_timezone(&redress_domain::china_offset()).format("%Y-%m-%d %H:%M").to_string()
}

impl WarningPage {
    fn at(&self, t: &chrono::DateTime<chrono::Utc>) -> String {
        local(t)
    }
}

async fn warning_page(s: &AppState, headers: &HeaderMap, id: i64, flash: Option<String>, error: Option<String>) -> Response {
    let (p, session) = or_return!(staff(s, headers, &format!("/console/warnings/{id}")).await);
    let cfg = or_return!(cfg(s).await);
    let w = match s.app.warning(&p, id).await {
        Ok(w) => w,
        Err(e) => return app_error_page(&e),
    };
    let now = s.app.now();
    let mut found = vec![];
    for c in &w.cases {
        if let Ok(Some(case)) = s.app.store.get_case(CaseId(c.0)).await {
            if redress_app::permissions::may_view(&p, &case).is_ok() {
                found.push(redress_app::views::row(&cfg, &case, now));
            }
        }
    }
    render(&WarningPage {
        layout: Layout { flash, error, ..layout(&cfg, &p, &session) },
        recipient: cfg.tree.get(w.recipient).map(|o| o.name.clone()).unwrap_or_default(),
        cases: rows(&found),
        w,
    })
}

pub async fn show(State(s): State<AppState>, headers: HeaderMap, Path(id): Path<i64>) -> Response {
    warning_page(&s, &headers, id, None, None).await
}

/// Acknowledge (`op=acknowledge`) or dispose (`op=dispose`, with disposition and notes).
pub async fn act(State(s): State<AppState>, headers: HeaderMap, Path(id): Path<i64>, body: Bytes) -> Response {
    let (p, session) = or_return!(staff(&s, &headers, &format!("/console/warnings/{id}")).await);
    let f = Fields::parse(&body);
    if let Err(r) = csrf_ok(&session, &f) {
        return r;
    }
    let result = match f.get("op") {
        "acknowledge" => s.app.acknowledge_warning(&p, id).await.map(|_| "已签收"),
        "dispose" => s.app.dispose_warning(&p, id, f.get("disposition"), f.get("notes")).await.map(|_| "已处置"),
        _ => Err(redress_app::AppError::invalid("op", "未知操作")),
    };
    match result {
        Ok(done) => warning_page(&s, &headers, id, Some(format!("预警{done}。")), None).await,
        Err(e @ redress_app::AppError::Invalid { .. }) => warning_page(&s, &headers, id, None, Some(e.to_string())).await,
        Err(e) => app_error_page(&e),
    }
}

#[derive(Template)]
#[template(path = "console/warning_rules.html")]
struct RulesPage {
    layout: Layout,
    rules: Vec<WarningRule>,
    json: String,
}

async fn rules_page(s: &AppState, headers: &HeaderMap, json: Option<String>, flash: Option<String>, error: Option<String>) -> Response {
    let (p, session) = or_return!(staff(s, headers, "/console/warning-rules").await);
    let cfg = or_return!(cfg(s).await);
    if !p.has(Role::Admin) {
        return app_error_page(&redress_app::AppError::forbidden("预警规则仅限系统管理员维护"));
    }
    let rules = match s.app.warning_rules().await {
        Ok(r) => r,
        Err(e) => return app_error_page(&e),
    };
    let json = json.unwrap_or_else(|| serde_json::to_string_pretty(&rules).unwrap_or_default());
    render(&RulesPage { layout: Layout { flash, error, ..layout(&cfg, &p, &session) }, rules, json })
}

pub async fn rules(State(s): State<AppState>, headers: HeaderMap) -> Response {
    rules_page(&s, &headers, None, None, None).await
}

pub async fn save_rules(State(s): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let (p, session) = or_return!(staff(&s, &headers, "/console/warning-rules").await);
    let f = Fields::parse(&body);
    if let Err(r) = csrf_ok(&session, &f) {
        return r;
    }
    let text = f.get("rules").to_string();
    let parsed: Result<Vec<WarningRule>, _> = serde_json::from_str(&text);
    let result = match parsed {
        Ok(rules) => s.app.set_warning_rules(&p, rules).await,
        Err(e) => Err(redress_app::AppError::invalid("rules", format!("规则格式有误：{e}"))),
    };
    match result {
        Ok(()) => see_other("/console/warning-rules", HeaderMap::new()),
        Err(e @ redress_app::AppError::Invalid { .. }) => rules_page(&s, &headers, Some(text), None, Some(e.to_string())).await,
        Err(e) => app_error_page(&e),
    }
}
