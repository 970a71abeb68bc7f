//! Routine duties in the console (issue 6): 零报告 (`/console/nil-reports`: a unit files and sees
//! its history and reminders; an office sees the period's coverage; administrators set the
//! frequencies at `/console/nil-reports/settings`), 矛盾纠纷排查 (`/console/campaigns`, one
//! campaign with its returns, findings and report at `/console/campaigns/:id`) and the monthly
//! scorecard (`/console/scorecards`, weights form for administrators).

use std::collections::BTreeMap;

use askama::Template;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use chrono::Duration;
use redress_app::campaigns::{CampaignView, FindingInput, NewCampaign, ReturnInput, OFFICE_ROLES};
use redress_app::nil_reports::{parse_date, Coverage, Filing, Frequency, UnitSetting};
use redress_app::scorecard::{Scorecard, Weights};
use redress_app::AppError;
use redress_domain::{local_date, OrgId, Role};
use redress_store::{DutyReminder, NilReport};
use serde::Deserialize;

use super::console::{app_error_page, category_options, cfg, csrf_ok, invalid_or_page, layout, staff, unit_options, Layout};
use super::forms::{local_time, place_options, Fields, Options};
use super::{render, see_other, text};
use crate::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/console/nil-reports", get(nil_page).post(nil_file))
        .route("/console/nil-reports/settings", get(nil_settings).post(nil_save_settings))
        .route("/console/campaigns", get(campaigns).post(campaign_create))
        .route("/console/campaigns/:id", get(campaign).post(campaign_act))
        .route("/console/scorecards", get(scorecards).post(save_weights))
        .route("/console/reports/annual", get(annual))
}

#[derive(Debug, Default, Deserialize)]
pub struct AnnualQuery {
    year: Option<String>,
    format: Option<String>,
}

/// The annual report as a print page or DOCX (the dashboard's form).
async fn annual(State(s): State<AppState>, headers: HeaderMap, Query(q): Query<AnnualQuery>) -> Response {
    let (p, _session) = or_return!(staff(&s, &headers, "/console/dashboard").await);
    let format = if q.format.as_deref() == Some("docx") { "docx" } else { "html" };
    match s.app.annual_report(&p, q.year.as_deref().unwrap_or("")).await {
        Ok(r) => crate::routes::documents::respond(&r.document, format, &format!("annual-report-{}", r.facts.year)),
        Err(e) => app_error_page(&e),
    }
}


// ----- 零报告 -----

#[derive(Template)]
#[template(path = "console/nil_reports.html")]
struct NilPage {
    layout: Layout,
    /// The person's own unit, when it reports.
    own: Option<UnitSetting>,
    own_history: Vec<NilReport>,
    reminders: Vec<DutyReminder>,
    /// Office view: the period's coverage.
    coverage: Option<Coverage>,
    date: String,
    today: String,
    form_status: String,
    form_details: String,
    form_date: String,
    is_admin: bool,
}

impl NilPage {
    fn at(&self, t: &chrono::DateTime<chrono::Utc>) -> String {
        local_time(*t)
    }
    fn status_label(&self, s: &str) -> &'static str {
        redress_app::nil_reports::status_label(s)
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct DateQuery {
    date: Option<String>,
}

struct NilForm {
    status: String,
    details: String,
    date: String,
}

async fn nil_render(s: &AppState, headers: &HeaderMap, date: Option<String>, form: Option<NilForm>, flash: Option<String>, error: Option<String>) -> Response {
    let (p, session) = or_return!(staff(s, headers, "/console/nil-reports").await);
    let cfg = or_return!(cfg(s).await);
    let today = local_date(s.app.now());
    let (date, mut error) = match date.as_deref().filter(|d| !d.trim().is_empty()).map(|d| parse_date("date", d)) {
        Some(Ok(d)) => (d, error),
        Some(Err(e)) => (today, Some(e.to_string())),
        None => (today, error),
    };
    let settings = match s.app.nil_report_settings().await {
        Ok(v) => v,
        Err(e) => return app_error_page(&e),
    };
    let own = settings.into_iter().find(|u| u.unit == p.user.org_id && u.frequency != Frequency::None);
    let (mut own_history, mut reminders) = (vec![], vec![]);
    if let Some(u) = &own {
        own_history = match s.app.nil_report_history(&p, Some(u.unit), today - Duration::days(60), today).await {
            Ok(v) => v,
            Err(e) => return app_error_page(&e),
        };
        reminders = s.app.nil_report_reminders(&p, u.unit).await.unwrap_or_default();
    }
    let office = p.has_any(&[Role::Admin, Role::IntakeClerk, Role::Supervisor, Role::Leader, Role::Auditor]);
    let coverage = if office {
        match s.app.nil_report_coverage(&p, date).await {
            Ok(c) => Some(c),
            Err(e) => {
                error = Some(e.to_string());
                None
            }
        }
    } else {
        None
    };
    let form = form.unwrap_or(NilForm { status: String::new(), details: String::new(), date: today.to_string() });
    render(&NilPage {
        layout: Layout { flash, error, ..layout(&cfg, &p, &session) },
        own,
        own_history,
        reminders,
        coverage,
        date: date.to_string(),
        today: today.to_string(),
        form_status: form.status,
        form_details: form.details,
        form_date: form.date,
        is_admin: p.has(Role::Admin),
    })
}

async fn nil_page(State(s): State<AppState>, headers: HeaderMap, Query(q): Query<DateQuery>) -> Response {
    nil_render(&s, &headers, q.date, None, None, None).await
}

async fn nil_file(State(s): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let (p, session) = or_return!(staff(&s, &headers, "/console/nil-reports").await);
    let f = Fields::parse(&body);
    if let Err(r) = csrf_ok(&session, &f) {
        return r;
    }
    let filing = Filing { unit: None, date: f.opt("date").map(str::to_string), status: f.get("status").into(), details: f.get("details").into() };
    match s.app.file_nil_report(&p, &filing).await {
        Ok(r) => {
            let msg = format!("{}：{}（{}）", text::NIL_FILED, redress_app::nil_reports::status_label(&r.status), r.period);
            nil_render(&s, &headers, None, None, Some(msg), None).await
        }
        Err(e) => {
            let msg = or_return!(invalid_or_page(e));
            let form = NilForm { status: f.get("status").into(), details: f.get("details").into(), date: f.get("date").into() };
            nil_render(&s, &headers, None, Some(form), None, Some(msg)).await
        }
    }
}

impl NilSettingsPage {
    fn at(&self, t: &chrono::DateTime<chrono::Utc>) -> String {
        local_time(*t)
    }
}

#[derive(Template)]
#[template(path = "console/nil_settings.html")]
struct NilSettingsPage {
    layout: Layout,
    units: Vec<UnitSetting>,
    changes: Vec<redress_app::nil_reports::FrequencyChange>,
    choices: Vec<(&'static str, &'static str)>,
}

async fn nil_settings_render(s: &AppState, headers: &HeaderMap, flash: Option<String>, error: Option<String>) -> Response {
    let (p, session) = or_return!(staff(s, headers, "/console/nil-reports/settings").await);
    let cfg = or_return!(cfg(s).await);
    if !p.has(Role::Admin) {
        return app_error_page(&AppError::forbidden(text::NIL_SETTINGS_ADMIN_ONLY));
    }
    match s.app.nil_report_settings().await {
        Ok(units) => render(&NilSettingsPage {
            layout: Layout { flash, error, ..layout(&cfg, &p, &session) },
            units,
            changes: s.app.nil_report_setting_changes().await.unwrap_or_default(),
            choices: [Frequency::Daily, Frequency::Weekly, Frequency::None].iter().map(|f| (f.key(), f.label_zh())).collect(),
        }),
        Err(e) => app_error_page(&e),
    }
}

async fn nil_settings(State(s): State<AppState>, headers: HeaderMap) -> Response {
    nil_settings_render(&s, &headers, None, None).await
}

async fn nil_save_settings(State(s): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let (p, session) = or_return!(staff(&s, &headers, "/console/nil-reports/settings").await);
    let f = Fields::parse(&body);
    if let Err(r) = csrf_ok(&session, &f) {
        return r;
    }
    let mut changes = BTreeMap::new();
    for (k, v) in &f.0 {
        let Some(id) = k.strip_prefix("unit_").and_then(|x| x.parse::<i64>().ok()) else { continue };
        match Frequency::parse(v) {
            Some(freq) => {
                changes.insert(id, freq);
            }
            None => return nil_settings_render(&s, &headers, None, Some(text::NIL_FREQUENCY_INVALID.into())).await,
        }
    }
    match s.app.set_nil_report_settings(&p, &changes).await {
        Ok(_) => nil_settings_render(&s, &headers, Some(text::SAVED.into()), None).await,
        Err(e) => {
            let msg = or_return!(invalid_or_page(e));
            nil_settings_render(&s, &headers, None, Some(msg)).await
        }
    }
}

// ----- 矛盾纠纷排查 -----

#[derive(Template)]
#[template(path = "console/campaigns.html")]
struct CampaignsPage {
    layout: Layout,
    items: Vec<redress_app::campaigns::Campaign>,
    may_create: bool,
    units: Options,
    form: BTreeMap<String, String>,
    chosen: Vec<String>,
}

impl CampaignsPage {
    fn val(&self, k: &str) -> String {
        self.form.get(k).cloned().unwrap_or_default()
    }
}

async fn campaigns_render(s: &AppState, headers: &HeaderMap, form: Option<(BTreeMap<String, String>, Vec<String>)>, error: Option<String>) -> Response {
    let (p, session) = or_return!(staff(s, headers, "/console/campaigns").await);
    let cfg = or_return!(cfg(s).await);
    let items = match s.app.campaigns(&p).await {
        Ok(v) => v,
        Err(e) => return app_error_page(&e),
    };
    let today = local_date(s.app.now());
    let (form, chosen) = form.unwrap_or_else(|| {
        let mut m = BTreeMap::new();
        m.insert("period_from".into(), today.to_string());
        m.insert("period_to".into(), (today + Duration::days(14)).to_string());
        m.insert("due".into(), (today + Duration::days(15)).to_string());
        (m, vec![])
    });
    // A county office assigns towns and departments; a town office its villages and communities.
    let units: Options = if p.visible.is_none() {
        unit_options(&cfg)
    } else {
        let mut seen = std::collections::BTreeSet::new();
        place_options(&cfg)
            .into_iter()
            .chain(unit_options(&cfg))
            .filter(|(id, _)| id.parse::<i64>().is_ok_and(|i| p.may_see(&[OrgId(i)])) && seen.insert(id.clone()))
            .collect()
    };
    render(&CampaignsPage { layout: Layout { error, ..layout(&cfg, &p, &session) }, items, may_create: p.has_any(OFFICE_ROLES), units, form, chosen })
}

async fn campaigns(State(s): State<AppState>, headers: HeaderMap) -> Response {
    campaigns_render(&s, &headers, None, None).await
}

async fn campaign_create(State(s): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let (p, session) = or_return!(staff(&s, &headers, "/console/campaigns").await);
    let f = Fields::parse(&body);
    if let Err(r) = csrf_ok(&session, &f) {
        return r;
    }
    let chosen: Vec<String> = f.all("units").into_iter().map(str::to_string).collect();
    let n = NewCampaign {
        title: f.get("title").into(),
        scope: f.get("scope").into(),
        period_from: f.get("period_from").into(),
        period_to: f.get("period_to").into(),
        due: f.get("due").into(),
        units: chosen.iter().filter_map(|u| u.parse().ok()).map(OrgId).collect(),
    };
    match s.app.create_campaign(&p, &n).await {
        Ok(c) => see_other(&format!("/console/campaigns/{}", c.id), HeaderMap::new()),
        Err(e) => {
            let msg = or_return!(invalid_or_page(e));
            let form: BTreeMap<String, String> = ["title", "scope", "period_from", "period_to", "due"].iter().map(|k| (k.to_string(), f.get(k).to_string())).collect();
            campaigns_render(&s, &headers, Some((form, chosen)), Some(msg)).await
        }
    }
}

/// An empty or prefilled row of the return form.
struct FindingRow {
    place: String,
    place_org: String,
    category: String,
    description: String,
    people: String,
}

#[derive(Template)]
#[template(path = "console/campaign.html")]
struct CampaignPage {
    layout: Layout,
    v: CampaignView,
    manage: bool,
    /// The person's own unit is assigned and the campaign is open: the return form.
    may_return: bool,
    rows: Vec<FindingRow>,
    return_status: String,
    return_note: String,
    categories: Options,
    places: Options,
    category_label: BTreeMap<String, String>,
    /// Mediation committees a finding can be handed to (人民调解, issue 7).
    committees: Options,
}

impl CampaignPage {
    fn at(&self, t: &chrono::DateTime<chrono::Utc>) -> String {
        local_time(*t)
    }
    fn cat(&self, code: &str) -> String {
        self.category_label.get(code).cloned().unwrap_or_else(|| code.to_string())
    }
}

async fn campaign_render(s: &AppState, headers: &HeaderMap, id: i64, form: Option<(String, String, Vec<FindingRow>)>, flash: Option<String>, error: Option<String>) -> Response {
    let (p, session) = or_return!(staff(s, headers, &format!("/console/campaigns/{id}")).await);
    let cfg = or_return!(cfg(s).await);
    let v = match s.app.campaign(&p, id).await {
        Ok(v) => v,
        Err(e) => return app_error_page(&e),
    };
    let manage = p.has_any(OFFICE_ROLES) && p.may_see(&[v.campaign.org]);
    let may_return = v.campaign.status == "open" && v.campaign.units.contains(&p.user.org_id) && !(p.has(Role::Auditor) && p.user.roles.len() == 1);
    let own = v.units.iter().find(|u| u.unit == p.user.org_id).and_then(|u| u.ret.clone());
    let (status, note, mut rows) = form.unwrap_or_else(|| {
        let rows = own
            .as_ref()
            .map(|r| {
                r.findings
                    .iter()
                    .filter(|f| f.disposition == "pending")
                    .map(|f| FindingRow {
                        place: f.place.clone(),
                        place_org: f.place_org.map(|o| o.0.to_string()).unwrap_or_default(),
                        category: f.category.clone(),
                        description: f.description.clone(),
                        people: f.people_count.to_string(),
                    })
                    .collect()
            })
            .unwrap_or_default();
        (own.as_ref().map(|r| r.status.clone()).unwrap_or_default(), own.as_ref().map(|r| r.note.clone()).unwrap_or_default(), rows)
    });
    while rows.len() < 3 || rows.iter().rev().take(2).any(|r| !r.place.is_empty() || !r.description.is_empty()) {
        rows.push(FindingRow { place: String::new(), place_org: String::new(), category: String::new(), description: String::new(), people: "1".into() });
        if rows.len() >= 60 {
            break;
        }
    }
    let categories = category_options(&cfg);
    let category_label = categories.iter().cloned().collect();
    let committees = if manage { s.app.committees(&p).await.unwrap_or_default().into_iter().filter(|c| c.active).map(|c| (c.id.to_string(), c.committee.name)).collect() } else { vec![] };
    render(&CampaignPage {
        committees,
        layout: Layout { flash, error, ..layout(&cfg, &p, &session) },
        v,
        manage,
        may_return,
        rows,
        return_status: status,
        return_note: note,
        places: place_options(&cfg),
        categories,
        category_label,
    })
}

async fn campaign(State(s): State<AppState>, headers: HeaderMap, Path(id): Path<i64>) -> Response {
    campaign_render(&s, &headers, id, None, None, None).await
}

/// `op=return` (the unit's return), `op=dispose` (a finding: unit, no, disposition,
/// reference) or `op=close`.
async fn campaign_act(State(s): State<AppState>, headers: HeaderMap, Path(id): Path<i64>, body: Bytes) -> Response {
    let (p, session) = or_return!(staff(&s, &headers, &format!("/console/campaigns/{id}")).await);
    let f = Fields::parse(&body);
    if let Err(r) = csrf_ok(&session, &f) {
        return r;
    }
    match f.get("op") {
        "return" => {
            let (places, orgs, cats, descs, people) = (f.all("place"), f.all("place_org"), f.all("category"), f.all("description"), f.all("people_count"));
            let mut rows = vec![];
            let mut findings = vec![];
            let mut bad_people = false;
            for (i, place) in places.iter().enumerate() {
                let row = FindingRow {
                    place: place.to_string(),
                    place_org: orgs.get(i).copied().unwrap_or("").to_string(),
                    category: cats.get(i).copied().unwrap_or("").to_string(),
                    description: descs.get(i).copied().unwrap_or("").to_string(),
                    people: people.get(i).copied().unwrap_or("1").to_string(),
                };
                if !row.place.trim().is_empty() || !row.description.trim().is_empty() {
                    let n = row.people.trim().parse::<u32>();
                    bad_people |= n.is_err();
                    findings.push(FindingInput {
                        place: row.place.clone(),
                        place_org: row.place_org.parse().ok().map(OrgId),
                        category: row.category.clone(),
                        description: row.description.clone(),
                        people_count: n.unwrap_or(0),
                    });
                }
                rows.push(row);
            }
            let status = f.get("status").to_string();
            let note = f.get("note").to_string();
            let result = if bad_people {
                Err(AppError::invalid("people_count", text::PEOPLE_COUNT_INVALID))
            } else {
                let findings = if status == "none" { vec![] } else { findings };
                s.app.file_campaign_return(&p, id, &ReturnInput { unit: None, status: status.clone(), note: note.clone(), findings }).await.map(|_| ())
            };
            match result {
                Ok(()) => campaign_render(&s, &headers, id, None, Some(text::CAMPAIGN_RETURN_FILED.into()), None).await,
                Err(e) => {
                    let msg = or_return!(invalid_or_page(e));
                    campaign_render(&s, &headers, id, Some((status, note, rows)), None, Some(msg)).await
                }
            }
        }
        "dispose" => {
            let unit = f.get("unit").parse::<i64>().unwrap_or(0);
            let no = f.get("no").parse::<u32>().unwrap_or(0);
            let d = redress_app::campaigns::DisposeInput { disposition: f.get("disposition").into(), reference: f.get("reference").into(), committee: f.get("committee").parse().ok() };
            match s.app.dispose_campaign_finding(&p, id, OrgId(unit), no, &d).await {
                Ok(done) => {
                    let msg = match done.case_number {
                        Some(n) => format!("{}{n}", text::FINDING_TO_CASE),
                        None => text::FINDING_TO_MEDIATION.to_string(),
                    };
                    campaign_render(&s, &headers, id, None, Some(msg), None).await
                }
                Err(e) => {
                    let msg = or_return!(invalid_or_page(e));
                    campaign_render(&s, &headers, id, None, None, Some(msg)).await
                }
            }
        }
        "close" => match s.app.close_campaign(&p, id).await {
            Ok(_) => campaign_render(&s, &headers, id, None, Some(text::CAMPAIGN_CLOSED.into()), None).await,
            Err(e) => {
                let msg = or_return!(invalid_or_page(e));
                campaign_render(&s, &headers, id, None, None, Some(msg)).await
            }
        },
        _ => campaign_render(&s, &headers, id, None, None, Some(text::UNKNOWN_OP.into())).await,
    }
}

// ----- 考核 -----

#[derive(Template)]
#[template(path = "console/scorecards.html")]
struct ScorePage {
    layout: Layout,
    card: Scorecard,
    month: String,
    is_admin: bool,
    weights: Weights,
}

impl ScorePage {
    fn pct(&self, v: &Option<f64>) -> String {
        v.map(|x| format!("{x}%")).unwrap_or_else(|| "—".into())
    }
    fn score(&self, v: &Option<f64>) -> String {
        v.map(|x| format!("{x}")).unwrap_or_else(|| "—".into())
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct MonthQuery {
    month: Option<String>,
}

async fn score_render(s: &AppState, headers: &HeaderMap, month: String, weights_form: Option<Weights>, flash: Option<String>, error: Option<String>) -> Response {
    let (p, session) = or_return!(staff(s, headers, "/console/scorecards").await);
    let cfg = or_return!(cfg(s).await);
    let (card, mut error) = match s.app.scorecard(&p, &month).await {
        Ok(c) => (c, error),
        Err(e) => {
            let msg = or_return!(invalid_or_page(e));
            match s.app.scorecard(&p, "").await {
                Ok(c) => (c, Some(msg)),
                Err(e) => return app_error_page(&e),
            }
        }
    };
    if error.is_none() && card.rows.is_empty() {
        error = None;
    }
    let weights = weights_form.unwrap_or(card.weights);
    render(&ScorePage { layout: Layout { flash, error, ..layout(&cfg, &p, &session) }, month: card.month.clone(), card, is_admin: p.has(Role::Admin), weights })
}

async fn scorecards(State(s): State<AppState>, headers: HeaderMap, Query(q): Query<MonthQuery>) -> Response {
    score_render(&s, &headers, q.month.unwrap_or_default(), None, None, None).await
}

async fn save_weights(State(s): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let (p, session) = or_return!(staff(&s, &headers, "/console/scorecards").await);
    let f = Fields::parse(&body);
    if let Err(r) = csrf_ok(&session, &f) {
        return r;
    }
    let month = f.get("month").to_string();
    let mut w = Weights::default();
    let mut bad = None;
    for (field, slot) in [("closed_rate", &mut w.closed_rate), ("on_time_rate", &mut w.on_time_rate), ("satisfied_rate", &mut w.satisfied_rate), ("overdue_penalty", &mut w.overdue_penalty)] {
        match f.get(field).trim().parse::<f64>() {
            Ok(v) => *slot = v,
            Err(_) => bad = bad.or(Some(field)),
        }
    }
    let result = match bad {
        Some(field) => Err(AppError::invalid(field, text::WEIGHT_NOT_A_NUMBER)),
        None => s.app.set_scorecard_weights(&p, w).await,
    };
    match result {
        Ok(()) => score_render(&s, &headers, month, None, Some(text::SAVED.into()), None).await,
        Err(e) => {
            let msg = or_return!(invalid_or_page(e));
            score_render(&s, &headers, month, Some(w), None, Some(msg)).await
        }
    }
}
