//! Social stability risk assessment in the console (issue 7): the register with the
//! assessments and their figures (`/console/assessments`), one assessment as the six-step guide
//! with its checklists and a form per record (`/console/assessments/:id`); and on the portal, the
//! consultations with their notice and questionnaire (`/consultations`). A form with an error is
//! shown again with what was typed.

use std::net::SocketAddr;

use askama::Template;
use axum::body::Bytes;
use axum::extract::{ConnectInfo, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use redress_app::assessment_flow::{AssessmentAction, AssessmentStats, AssessmentStep, AssessmentView, PublicConsultation, ResponseInput, ASSESSOR_ROLES, STEPS};
use redress_app::AppError;
use redress_domain::assessment::{Dimension, Level, Project};
use redress_domain::{local_date, OrgId};

use super::console::{app_error_page, cfg, csrf_ok, invalid_or_page, layout, staff, town_options, unit_options, Layout};
use super::forms::Options;
use super::forms::{self, local_time, Fields};
use super::{client_of, render, render_status, see_other, text};
use crate::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/console/assessments", get(list).post(start))
        .route("/console/assessments/register", axum::routing::post(save_project))
        .route("/console/assessments/:id", get(show).post(act))
        .route("/consultations", get(consultations))
        .route("/consultations/:id", axum::routing::post(respond))
}

type Form = super::forms::FormEcho;


// ----- the register and the list -----

struct ProjectRow {
    project: Project,
    unit: String,
    /// The assessment, when started: (id, step, step name, level label).
    assessment: Option<(i64, usize, &'static str, String)>,
}

#[derive(Template)]
#[template(path = "console/assessments.html")]
struct ListPage {
    layout: Layout,
    rows: Vec<ProjectRow>,
    stats: AssessmentStats,
    may_start: bool,
    /// Administrators keep the register: the form, its options and what was typed.
    may_edit: bool,
    units: Options,
    towns: Options,
    form: Form,
}

impl ListPage {
    fn town_chosen(&self, id: &str) -> bool {
        self.form.get("towns").lines().any(|t| t == id)
    }
}

async fn list_render(s: &AppState, headers: &HeaderMap, form: Form, flash: Option<String>, error: Option<String>) -> Response {
    let (p, session) = or_return!(staff(s, headers, "/console/assessments").await);
    let cfg = or_return!(cfg(s).await);
    let projects = match s.app.assessment_projects().await {
        Ok(v) => v,
        Err(e) => return app_error_page(&e),
    };
    let list = match s.app.assessments(&p).await {
        Ok(v) => v,
        Err(e) => return app_error_page(&e),
    };
    let stats = match s.app.assessment_stats(&p).await {
        Ok(v) => v,
        Err(e) => return app_error_page(&e),
    };
    let rows = projects
        .into_iter()
        .map(|project| {
            let assessment = list.iter().find(|a| a.project_id == project.id).map(|a| {
                let step = redress_app::assessment_flow::current_step(a);
                (a.id, step, STEPS[step - 1].0, a.conclusion.as_ref().map_or_else(|| "—".to_string(), |c| c.level.label_zh().to_string()))
            });
            ProjectRow { unit: cfg.tree.get(project.responsible_unit).map_or_else(String::new, |o| o.name.clone()), project, assessment }
        })
        .collect();
    render(&ListPage {
        layout: Layout { flash, error, ..layout(&cfg, &p, &session) },
        rows,
        stats,
        may_start: p.has_any(ASSESSOR_ROLES),
        may_edit: p.has(redress_domain::Role::Admin),
        units: unit_options(&cfg),
        towns: town_options(&cfg),
        form,
    })
}

async fn list(State(s): State<AppState>, headers: HeaderMap) -> Response {
    list_render(&s, &headers, Form::default(), None, None).await
}

/// Adds a project to the register, or replaces the entry with the same 编号 (administrators).
async fn save_project(State(s): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let (p, session) = or_return!(staff(&s, &headers, "/console/assessments").await);
    let f = Fields::parse(&body);
    if let Err(r) = csrf_ok(&session, &f) {
        return r;
    }
    let parsed = project_of(&f);
    let result = match parsed {
        Ok(project) => match s.app.assessment_projects().await {
            Ok(mut list) => {
                let name = project.name.clone();
                match list.iter_mut().find(|x| x.id == project.id) {
                    Some(x) => *x = project,
                    None => list.push(project),
                }
                s.app.set_assessment_projects(&p, list).await.map(|_| name)
            }
            Err(e) => Err(e),
        },
        Err(e) => Err(e),
    };
    match result {
        Ok(name) => list_render(&s, &headers, Form::default(), Some(format!("{}{name}", text::ASSESSMENT_PROJECT_SAVED)), None).await,
        Err(e) => {
            let msg = or_return!(invalid_or_page(e));
            list_render(&s, &headers, Form::of(&f), None, Some(msg.trim_start_matches("[0].").to_string())).await
        }
    }
}

fn project_of(f: &Fields) -> Result<Project, AppError> {
    use redress_domain::assessment::{ProjectKind, ProjectStage};
    let date = |k: &str| redress_app::nil_reports::parse_date(k, f.get(k));
    Ok(Project {
        id: f.get("id").trim().to_string(),
        name: f.get("name").trim().to_string(),
        kind: match f.get("kind") {
            "decision" => ProjectKind::Decision,
            "reform" => ProjectKind::Reform,
            "event" => ProjectKind::Event,
            _ => ProjectKind::Project,
        },
        deciding_body: f.get("deciding_body").trim().to_string(),
        responsible_unit: OrgId(f.get("responsible_unit").parse().unwrap_or(0)),
        assessing_body: f.get("assessing_body").trim().to_string(),
        assessment_required: f.get("required") != "0",
        required_reason: f.get("required_reason").trim().to_string(),
        towns: f.all("towns").iter().filter_map(|t| t.parse().ok()).map(OrgId).collect(),
        categories: f.get("categories").split([',', '，', '、', ' ']).map(str::trim).filter(|c| !c.is_empty()).map(str::to_string).collect(),
        assessment_from: date("assessment_from")?,
        decided_on: if f.get("decided_on").trim().is_empty() { None } else { Some(date("decided_on")?) },
        stage: match f.get("stage") {
            "decided" => ProjectStage::Decided,
            "stopped" => ProjectStage::Stopped,
            _ => ProjectStage::Assessing,
        },
    })
}

async fn start(State(s): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let (p, session) = or_return!(staff(&s, &headers, "/console/assessments").await);
    let f = Fields::parse(&body);
    if let Err(r) = csrf_ok(&session, &f) {
        return r;
    }
    match s.app.start_assessment(&p, f.get("project")).await {
        Ok(v) => see_other(&format!("/console/assessments/{}", v.assessment.id), HeaderMap::new()),
        Err(e) => {
            let msg = or_return!(invalid_or_page(e));
            list_render(&s, &headers, Form::default(), None, Some(msg)).await
        }
    }
}

// ----- one assessment -----

/// A row of the risk matrix: impact, then per likelihood the risk numbers in the cell and the
/// cell's band (`low`, `medium`, `high`).
type MatrixRow = (u8, Vec<(u8, String, &'static str)>);
/// A step of the guide: number, name, and its checklist (item number, label, ticked).
type StepChecklist = (usize, &'static str, Vec<(usize, &'static str, bool)>);

#[derive(Template)]
#[template(path = "console/assessment.html")]
struct AssessmentPage {
    layout: Layout,
    v: AssessmentView,
    towns: Vec<(String, String)>,
    today: String,
    /// The 5×5 matrix: rows impact 5..1, columns likelihood 1..5, each cell's risk numbers.
    grid: Vec<MatrixRow>,
    form: Form,
}

impl AssessmentPage {
    fn at(&self, t: &chrono::DateTime<chrono::Utc>) -> String {
        local_time(*t)
    }
    fn steps(&self) -> Vec<StepChecklist> {
        STEPS
            .iter()
            .enumerate()
            .map(|(i, (name, items))| (i + 1, *name, items.iter().enumerate().map(|(j, l)| (j + 1, *l, self.v.assessment.checked.contains_key(&format!("{}.{}", i + 1, j + 1)))).collect()))
            .collect()
    }
    fn val<'a>(&'a self, k: &str, default: &'a str) -> &'a str {
        let v = self.form.get(k);
        if v.is_empty() {
            default
        } else {
            v
        }
    }
    fn today_str(&self) -> &str {
        &self.today
    }
    fn dim(&self, d: &Dimension) -> &'static str {
        d.label_zh()
    }
    fn level(&self, l: &Level) -> &'static str {
        l.label_zh()
    }
    fn pct(&self, t: &redress_domain::assessment::Tally) -> String {
        format!("{:.0}%", t.opposition() * 100.0)
    }
    fn open_measures(&self) -> bool {
        self.v.assessment.measures.iter().any(|m| m.done_on.is_none())
    }
    fn may_file(&self) -> bool {
        let a = &self.v.assessment;
        a.conclusion.is_some() && !a.measures.is_empty() && a.filing.as_ref().is_none_or(|f| f.result == "returned")
    }
    fn review_pending(&self) -> bool {
        self.v.assessment.filing.as_ref().is_some_and(|f| f.result == "pending")
    }
    fn measure_state(&self, m: &redress_app::assessment_flow::Measure) -> &'static str {
        m.status_label(chrono::NaiveDate::parse_from_str(&self.today, "%Y-%m-%d").unwrap_or_default())
    }
}

fn grid(v: &AssessmentView) -> Vec<MatrixRow> {
    (1..=5u8)
        .rev()
        .map(|impact| {
            let cells = (1..=5u8)
                .map(|likelihood| {
                    let nos: Vec<String> = v.assessment.risks.iter().enumerate().filter(|(_, r)| r.impact == impact && r.likelihood == likelihood).map(|(i, _)| (i + 1).to_string()).collect();
                    let band = match likelihood * impact {
                        15.. => "high",
                        8.. => "medium",
                        _ => "low",
                    };
                    (likelihood, nos.join("、"), band)
                })
                .collect();
            (impact, cells)
        })
        .collect()
}

async fn show_render(s: &AppState, headers: &HeaderMap, id: i64, form: Form, flash: Option<String>, error: Option<String>) -> Response {
    let (p, session) = or_return!(staff(s, headers, &format!("/console/assessments/{id}")).await);
    let cfg = or_return!(cfg(s).await);
    let v = match s.app.assessment(&p, id).await {
        Ok(v) => v,
        Err(e) => return app_error_page(&e),
    };
    let towns = v.project.as_ref().map_or_else(Vec::new, |pr| pr.towns.iter().map(|t| (t.0.to_string(), cfg.tree.get(*t).map_or_else(String::new, |o| o.name.clone()))).collect());
    render(&AssessmentPage {
        layout: Layout { flash, error, ..layout(&cfg, &p, &session) },
        grid: grid(&v),
        v,
        towns,
        today: local_date(s.app.now()).to_string(),
        form,
    })
}

async fn show(State(s): State<AppState>, headers: HeaderMap, Path(id): Path<i64>) -> Response {
    show_render(&s, &headers, id, Form::default(), None, None).await
}

fn list_lines(s: &str) -> Vec<String> {
    s.lines().map(str::trim).filter(|l| !l.is_empty()).map(str::to_string).collect()
}

fn num(f: &Fields, k: &str) -> Result<u32, AppError> {
    let v = f.get(k).trim();
    if v.is_empty() {
        return Ok(0);
    }
    v.parse().map_err(|_| AppError::invalid(k, text::ASSESSMENT_NUMBER))
}

/// The form's step as the use case takes it.
fn step_of(f: &Fields) -> Result<AssessmentStep, AppError> {
    let s = |k: &str| f.get(k).to_string();
    Ok(match f.get("op") {
        "plan" => AssessmentStep::Plan { scope: s("scope"), methods: s("methods"), schedule: s("schedule"), team: s("team") },
        "check" => AssessmentStep::Check { step: f.get("step").parse().unwrap_or(0), item: f.get("item").parse().unwrap_or(0), done: f.get("done") == "1" },
        "notice" => AssessmentStep::Notice { text: s("text"), from: s("from"), until: s("until") },
        "questionnaire" => AssessmentStep::Questionnaire { questions: list_lines(f.get("questions")), groups: list_lines(f.get("groups")), open: f.get("open") == "1" },
        "meeting" => AssessmentStep::Meeting {
            kind: s("kind"),
            on: s("on"),
            place: s("place"),
            attendance: num(f, "attendance")?,
            group: s("group"),
            town: f.get("town").parse().ok().map(OrgId),
            support: num(f, "support")?,
            oppose: num(f, "oppose")?,
            neutral: num(f, "neutral")?,
            summary: s("summary"),
        },
        "risk" => AssessmentStep::Risk {
            dimension: match f.get("dimension") {
                "legality" => Dimension::Legality,
                "reasonableness" => Dimension::Reasonableness,
                "feasibility" => Dimension::Feasibility,
                _ => Dimension::Controllability,
            },
            description: s("description"),
            likelihood: f.get("likelihood").parse().unwrap_or(0),
            impact: f.get("impact").parse().unwrap_or(0),
            evidence: s("evidence"),
        },
        "remove_risk" => AssessmentStep::RemoveRisk { no: f.get("no").parse().unwrap_or(0) },
        "conclude" => AssessmentStep::Conclude {
            level: match f.get("level") {
                "low" => Some(Level::Low),
                "medium" => Some(Level::Medium),
                "high" => Some(Level::High),
                _ => None,
            },
            override_reason: s("override_reason"),
        },
        "measure" => AssessmentStep::Measure { text: s("text"), owner: s("owner"), deadline: s("deadline") },
        "measure_done" => AssessmentStep::MeasureDone { no: f.get("no").parse().unwrap_or(0), done_on: s("done_on") },
        "file" => AssessmentStep::File { to: s("to") },
        "review" => AssessmentStep::Review { result: s("result"), note: s("note") },
        "follow_up" => AssessmentStep::FollowUp { note: s("note") },
        _ => return Err(AppError::invalid("op", text::MEDIATION_UNKNOWN_STEP)),
    })
}

async fn act(State(s): State<AppState>, headers: HeaderMap, Path(id): Path<i64>, body: Bytes) -> Response {
    let (p, session) = or_return!(staff(&s, &headers, &format!("/console/assessments/{id}")).await);
    let f = Fields::parse(&body);
    if let Err(r) = csrf_ok(&session, &f) {
        return r;
    }
    let result = match step_of(&f) {
        Ok(action) => s.app.act_on_assessment(&p, id, &AssessmentAction { version: f.get("version").parse().unwrap_or(-1), action }).await.map(|_| ()),
        Err(e) => Err(e),
    };
    match result {
        Ok(()) => show_render(&s, &headers, id, Form::default(), Some(text::MEDIATION_SAVED.into()), None).await,
        Err(e) => {
            let msg = or_return!(invalid_or_page(e));
            show_render(&s, &headers, id, Form::of(&f), None, Some(msg)).await
        }
    }
}

// ----- the portal -----

#[derive(Template)]
#[template(path = "portal/consultations.html")]
struct ConsultationsPage {
    csrf: String,
    items: Vec<PublicConsultation>,
    message: Option<String>,
    error: Option<String>,
    /// The consultation the message or error is about, and what was typed.
    at: i64,
    form: Form,
    answers: Vec<String>,
}

impl ConsultationsPage {
    fn answer(&self, i: &usize) -> &str {
        self.answers.get(*i).map_or("", String::as_str)
    }
    fn town_chosen(&self, id: &i64) -> bool {
        self.form.get("town") == id.to_string()
    }
}

async fn consultations_page(s: &AppState, headers: &HeaderMap, status: StatusCode, at: i64, f: Option<&Fields>, message: Option<String>, error: Option<String>) -> Response {
    let form = f.map(Form::of).unwrap_or_default();
    let answers = f.map(|f| f.all("answer").iter().map(|a| a.to_string()).collect()).unwrap_or_default();
    let (csrf, set) = forms::form_token(headers, s.secure_cookies);
    let items = match s.app.public_consultations().await {
        Ok(v) => v,
        Err(e) => {
            tracing::warn!(error = %e, "consultations unavailable");
            vec![]
        }
    };
    (set, render_status(status, &ConsultationsPage { csrf, items, message, error, at, form, answers })).into_response()
}

async fn consultations(State(s): State<AppState>, headers: HeaderMap) -> Response {
    consultations_page(&s, &headers, StatusCode::OK, 0, None, None, None).await
}

async fn respond(State(s): State<AppState>, connect: Option<ConnectInfo<SocketAddr>>, headers: HeaderMap, Path(id): Path<i64>, body: Bytes) -> Response {
    let f = Fields::parse(&body);
    if !forms::form_token_ok(&headers, &f) {
        return consultations_page(&s, &headers, StatusCode::FORBIDDEN, id, Some(&f), None, Some(text::CSRF_FAILED.into())).await;
    }
    if let Err(secs) = s.submit_limiter.check(&s.app, &client_of(&connect)).await {
        return consultations_page(&s, &headers, StatusCode::TOO_MANY_REQUESTS, id, Some(&f), None, Some(format!("提交过于频繁，请{secs}秒后再试。您填写的内容已保留。"))).await;
    }
    let input = ResponseInput {
        group: f.get("group").to_string(),
        town: f.get("town").parse().ok().map(OrgId),
        position: f.get("position").to_string(),
        answers: f.all("answer").iter().map(|a| a.to_string()).collect(),
        comment: f.get("comment").to_string(),
    };
    match s.app.submit_response(id, &input).await {
        Ok(()) => consultations_page(&s, &headers, StatusCode::OK, id, None, Some(text::CONSULTATION_THANKS.into()), None).await,
        Err(e) => {
            let msg = e.to_string();
            consultations_page(&s, &headers, crate::error::ApiError(e).status(), id, Some(&f), None, Some(msg)).await
        }
    }
}
