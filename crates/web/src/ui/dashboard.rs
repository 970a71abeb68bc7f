//! The dashboard page (指挥中心, `/console/dashboard`) and the cases behind a figure
//! (`/console/dashboard/cases`). Figures and breakdowns come from `App::dashboard`; the charts
//! are drawn by the vendored ECharts from a JSON data block (`assets/dashboard.js`), so the page
//! has no inline script and its tables work without JavaScript.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::response::Response;
use redress_app::dashboard::{Dashboard, DashboardFilter, FigureValue, Row};
use redress_app::AppError;
use redress_domain::Channel;
use serde::Deserialize;

use super::console::{app_error_page, category_options, cfg, layout, staff, town_options, unit_options, Layout};
use super::forms::{enum_options, rows, Options, RowUi};
use super::render;
use crate::AppState;

/// The query of the page and of the API: every value a string, so an empty select is "all".
#[derive(Debug, Default, Deserialize)]
pub struct DashQuery {
    pub from: Option<String>,
    pub to: Option<String>,
    pub unit: Option<String>,
    pub town: Option<String>,
    pub category: Option<String>,
    pub channel: Option<String>,
    pub figure: Option<String>,
    pub page: Option<String>,
}

fn id(field: &str, v: &Option<String>) -> Result<Option<i64>, AppError> {
    match v.as_deref().map(str::trim).filter(|v| !v.is_empty()) {
        None => Ok(None),
        Some(v) => v.parse().map(Some).map_err(|_| AppError::invalid(field, "应为机构编号")),
    }
}

impl DashQuery {
    pub fn filter(&self) -> Result<DashboardFilter, AppError> {
        let s = |v: &Option<String>| v.clone().unwrap_or_default().trim().to_string();
        Ok(DashboardFilter {
            from: s(&self.from),
            to: s(&self.to),
            unit: id("unit", &self.unit)?,
            town: id("town", &self.town)?,
            category: Some(s(&self.category)).filter(|c| !c.is_empty()),
            channel: Some(s(&self.channel)).filter(|c| !c.is_empty()),
        })
    }

    pub fn page(&self) -> Result<u32, AppError> {
        match self.page.as_deref().map(str::trim).filter(|v| !v.is_empty()) {
            None => Ok(1),
            Some(v) => v.parse::<u32>().ok().filter(|p| (1..=10_000).contains(p)).ok_or_else(|| AppError::invalid("page", "页码应为1至10000")),
        }
    }
}

#[derive(Template)]
#[template(path = "console/dashboard.html")]
struct DashboardPage {
    layout: Layout,
    d: Dashboard,
    figures: Vec<FigureValue>,
    top_categories: Vec<Row>,
    /// For the charts: `assets/dashboard.js` reads it from a `type="application/json"` block.
    chart_json: String,
    unit_options: Options,
    town_options: Options,
    category_options: Options,
    channel_options: Options,
    unit: String,
    town: String,
    category: String,
    channel: String,
    /// 零报告 missing for each unit's latest period past its deadline (routine duties, issue 6).
    missing_nil: Vec<redress_app::nil_reports::CoverageRow>,
}

impl DashboardPage {
    fn fmt(v: &Option<f64>) -> String {
        v.map(|x| format!("{x}")).unwrap_or_else(|| "—".into())
    }
}

/// The chart data: trend by month, top categories, towns and channels, each with drill links.
fn chart_json(d: &Dashboard) -> String {
    let series = |rows: &[Row], n: usize| {
        serde_json::json!(rows.iter().take(n).map(|r| serde_json::json!({
            "label": r.label, "received": r.m.received, "closed": r.m.closed, "overdue": r.m.overdue,
            "closed_rate": r.closed_rate, "on_time_rate": r.on_time_rate, "satisfied_rate": r.satisfied_rate,
            "href": format!("/console/dashboard/cases?{}", r.drill),
        })).collect::<Vec<_>>())
    };
    // `<` escaped so the block can never close its script element.
    serde_json::json!({
        "months": series(&d.months, 120),
        "categories": series(&d.by_category, 10),
        "towns": series(&d.by_town, 20),
        "channels": series(&d.by_channel, 20),
    })
    .to_string()
    .replace('<', "\\u003c")
}

pub async fn page(State(s): State<AppState>, headers: HeaderMap, Query(q): Query<DashQuery>) -> Response {
    let (p, session) = or_return!(staff(&s, &headers, "/console/dashboard").await);
    let cfg = or_return!(cfg(&s).await);
    let result = match q.filter() {
        Ok(f) => s.app.dashboard(&p, &f).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(d) => render(&DashboardPage {
            layout: layout(&cfg, &p, &session),
            figures: d.figures.clone(),
            top_categories: d.by_category.iter().take(10).cloned().collect(),
            chart_json: chart_json(&d),
            unit_options: unit_options(&cfg),
            town_options: town_options(&cfg),
            category_options: category_options(&cfg),
            channel_options: enum_options(Channel::ALL, Channel::key, Channel::label_zh),
            unit: d.filter.unit.map(|u| u.to_string()).unwrap_or_default(),
            town: d.filter.town.map(|u| u.to_string()).unwrap_or_default(),
            category: d.filter.category.clone().unwrap_or_default(),
            channel: d.filter.channel.clone().unwrap_or_default(),
            missing_nil: s.app.missing_nil_reports(Some(&p), s.app.now()).await.unwrap_or_default(),
            d,
        }),
        Err(e) => app_error_page(&e),
    }
}

#[derive(Template)]
#[template(path = "console/dashboard_cases.html")]
struct CasesPage {
    layout: Layout,
    title: String,
    definition: String,
    scope: String,
    rows: Vec<RowUi>,
    total: i64,
    page: u32,
    prev_link: Option<String>,
    next_link: Option<String>,
    back: String,
}

pub async fn cases(State(s): State<AppState>, headers: HeaderMap, Query(q): Query<DashQuery>) -> Response {
    let (p, session) = or_return!(staff(&s, &headers, "/console/dashboard").await);
    let cfg = or_return!(cfg(&s).await);
    let figure = q.figure.clone().unwrap_or_else(|| "received".into());
    let fig = redress_app::figures::by_key(&figure).unwrap_or(redress_app::figures::RECEIVED);
    let (f, page) = match q.filter().and_then(|f| Ok((f, q.page()?))) {
        Ok(v) => v,
        Err(e) => return app_error_page(&e),
    };
    let resolved = match s.app.resolve_dashboard(&cfg, &p, &f) {
        Ok(r) => r,
        Err(e) => return app_error_page(&e),
    };
    match s.app.dashboard_cases(&p, &f, &figure, page).await {
        Ok((found, total)) => {
            let mut scope = vec![format!("{} 至 {}", resolved.filter.from, resolved.filter.to)];
            let name = |id: i64| cfg.tree.get(redress_domain::OrgId(id)).map(|o| o.name.clone()).unwrap_or_default();
            if let Some(u) = f.unit {
                scope.push(format!("责任单位：{}", name(u)));
            }
            if let Some(t) = f.town {
                scope.push(format!("乡镇：{}", name(t)));
            }
            if let Some(c) = &f.category {
                scope.push(format!("类别：{}", cfg.taxonomy.label(c).unwrap_or_else(|| c.clone())));
            }
            if let Some(c) = f.channel.as_deref().and_then(Channel::parse) {
                scope.push(format!("渠道：{}", c.label_zh()));
            }
            let base = {
                let mut r = resolved.filter.clone();
                r.unit = f.unit;
                r.town = f.town;
                serde_urlencoded::to_string(&r).unwrap_or_default()
            };
            let link = |n: u32| format!("/console/dashboard/cases?{base}&figure={figure}&page={n}");
            render(&CasesPage {
                layout: layout(&cfg, &p, &session),
                title: fig.label.to_string(),
                definition: fig.definition.to_string(),
                scope: scope.join("；"),
                rows: rows(&found),
                total,
                page,
                prev_link: (page > 1).then(|| link(page - 1)),
                next_link: (i64::from(page) * 50 < total).then(|| link(page + 1)),
                back: format!("/console/dashboard?{base}"),
            })
        }
        Err(e) => app_error_page(&e),
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct ReportQuery {
    month: Option<String>,
    format: Option<String>,
}

/// `/console/reports/monthly`: the monthly analysis report from the dashboard's form.
pub async fn report(State(s): State<AppState>, headers: HeaderMap, Query(q): Query<ReportQuery>) -> Response {
    let (p, _session) = or_return!(staff(&s, &headers, "/console/dashboard").await);
    let format = match q.format.as_deref() {
        Some("docx") => "docx",
        _ => "html",
    };
    match s.app.monthly_report(&p, q.month.as_deref().unwrap_or("")).await {
        Ok(doc) => crate::routes::documents::respond(&doc, format, "analysis-report"),
        Err(e) => app_error_page(&e),
    }
}
