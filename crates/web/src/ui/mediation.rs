//! People's mediation in the console (issue 7): the list of disputes with the statistics, the
//! reminders and the registration form (`/console/mediation`), one dispute with its record and
//! a form for each next step (`/console/mediation/:id`), and the registry of committees and
//! mediators (`/console/mediation/registry`). A form with an error is shown again with what was
//! typed and the message; nothing typed is lost.


use askama::Template;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use redress_app::mediation::{
    self, CommitteeInput, CommitteeRecord, Dispute, DisputeAction, DisputeStats, DisputeStep, DisputeView, Mediator, MediatorInput, NewDispute, Party,
    PerformanceInput, DISPUTE_TYPES, MEDIATION_ROLES, REGISTRY_ROLES,
};
use redress_app::AppError;
use redress_domain::mediation::{CommitteeMember, Gender, MemberRole};
use redress_domain::{local_date, OrgId};
use serde::Deserialize;

use super::console::{app_error_page, cfg, csrf_ok, invalid_or_page, layout, staff, Layout};
use super::forms::{local_time, place_options, Fields, Options};
use super::{render, see_other, text};
use crate::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/console/mediation", get(list).post(register))
        .route("/console/mediation/registry", get(registry).post(registry_save))
        .route("/console/mediation/:id", get(dispute).post(dispute_act))
        .route("/console/cases/:id/mediation", axum::routing::post(refer))
}

/// 转人民调解 from the case page; back to the case with the error if it cannot be done.
async fn refer(State(s): State<AppState>, headers: HeaderMap, Path(case): Path<i64>, body: Bytes) -> Response {
    let (p, session) = or_return!(staff(&s, &headers, &format!("/console/cases/{case}")).await);
    let f = Fields::parse(&body);
    if let Err(r) = csrf_ok(&session, &f) {
        return r;
    }
    let committee = f.get("committee").parse().unwrap_or(0);
    match s.app.refer_case_to_mediation(&p, redress_domain::CaseId(case), committee, f.get("dispute_type")).await {
        Ok(d) => see_other(&format!("/console/mediation/{}", d.id), HeaderMap::new()),
        Err(e) => app_error_page(&e),
    }
}

/// What was typed into a form, to fill it again after an error.
type Form = super::forms::FormEcho;


/// "申请人：张三" lines (or "张三") into parties; a line without a role is a party of the
/// role the line's position suggests (first applicant, then respondent).
fn parse_parties(s: &str) -> Vec<Party> {
    s.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .enumerate()
        .map(|(i, l)| {
            let (role, name) = match l.split_once(['：', ':']) {
                Some((r, n)) => (
                    match r.trim() {
                        "申请人" => "applicant",
                        "被申请人" => "respondent",
                        _ => "other",
                    },
                    n.trim(),
                ),
                None => (if i == 0 { "applicant" } else { "respondent" }, l),
            };
            Party { name: name.to_string(), role: role.to_string() }
        })
        .collect()
}

fn parties_text(parties: &[Party]) -> String {
    parties.iter().map(|p| format!("{}：{}", p.role_label(), p.name)).collect::<Vec<_>>().join("\n")
}

fn opts(v: &[(&str, &str)]) -> Options {
    v.iter().map(|(k, l)| (k.to_string(), l.to_string())).collect()
}

fn type_options() -> Options {
    DISPUTE_TYPES.iter().map(|(k, l)| (k.to_string(), l.to_string())).collect()
}

// ----- the list -----

#[derive(Template)]
#[template(path = "console/mediation.html")]
struct ListPage {
    layout: Layout,
    disputes: Vec<Dispute>,
    stats: DisputeStats,
    definitions: Vec<(&'static str, &'static str)>,
    reminders: Vec<String>,
    committees: Options,
    types: Options,
    stages: Options,
    sources: Options,
    status: String,
    may_register: bool,
    form: Form,
}

impl ListPage {
    fn at(&self, t: &chrono::DateTime<chrono::Utc>) -> String {
        local_time(*t)
    }
    fn def(&self, key: &str) -> &'static str {
        self.definitions.iter().find(|(k, _)| *k == key).map_or("", |(_, d)| d)
    }
    fn rate(&self, v: &Option<f64>) -> String {
        v.map_or_else(|| "—".to_string(), |x| format!("{x}%"))
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct ListQuery {
    status: Option<String>,
}

async fn list_render(s: &AppState, headers: &HeaderMap, status: Option<String>, form: Form, flash: Option<String>, error: Option<String>) -> Response {
    let (p, session) = or_return!(staff(s, headers, "/console/mediation").await);
    let cfg = or_return!(cfg(s).await);
    let status = status.unwrap_or_default();
    let disputes = match s.app.disputes(&p, Some(&status)).await {
        Ok(v) => v,
        Err(e) => return app_error_page(&e),
    };
    let all = match s.app.disputes(&p, None).await {
        Ok(v) => v,
        Err(e) => return app_error_page(&e),
    };
    let stats = mediation::stats(&all, local_date(s.app.now()));
    let may_register = p.has_any(MEDIATION_ROLES);
    // A reminder names the dispute by its number where the list has it.
    let reminders = if may_register {
        s.app
            .mediation_reminders(&p)
            .await
            .unwrap_or_default()
            .iter()
            .take(20)
            .map(|r| {
                let text = mediation::reminder_text(r);
                let id = r.period.split(':').next().unwrap_or("");
                match all.iter().find(|d| d.id.to_string() == id) {
                    Some(d) => text.replacen(&format!("纠纷{id}"), &d.number, 1),
                    None => text,
                }
            })
            .collect()
    } else {
        vec![]
    };
    let committees = s.app.committees(&p).await.unwrap_or_default().into_iter().filter(|c| c.active).map(|c| (c.id.to_string(), c.committee.name)).collect();
    render(&ListPage {
        layout: Layout { flash, error, ..layout(&cfg, &p, &session) },
        disputes,
        stats,
        definitions: mediation::DEFINITIONS.to_vec(),
        reminders,
        committees,
        types: type_options(),
        stages: opts(&[
            ("accepted", "已受理"),
            ("mediating", "调解中"),
            ("written_agreement", "达成书面协议"),
            ("oral_agreement", "达成口头协议"),
            ("failed", "调解不成"),
            ("stopped", "终止调解"),
            ("archived", "已归档"),
        ]),
        sources: opts(&[("application", "当事人申请"), ("initiative", "主动调解"), ("court", "人民法院委派委托"), ("police", "公安机关移送")]),
        status,
        may_register,
        form,
    })
}

async fn list(State(s): State<AppState>, headers: HeaderMap, Query(q): Query<ListQuery>) -> Response {
    list_render(&s, &headers, q.status, Form::default(), None, None).await
}

async fn register(State(s): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let (p, session) = or_return!(staff(&s, &headers, "/console/mediation").await);
    let f = Fields::parse(&body);
    if let Err(r) = csrf_ok(&session, &f) {
        return r;
    }
    let n = NewDispute {
        committee: f.get("committee").parse().unwrap_or(0),
        source: f.get("source").to_string(),
        source_note: f.get("source_note").to_string(),
        dispute_type: f.get("dispute_type").to_string(),
        summary: f.get("summary").to_string(),
        place: f.get("place").to_string(),
        parties: parse_parties(f.get("parties")),
        refused: if f.checked("refuses") { f.get("refused").to_string() } else { String::new() },
    };
    if f.checked("refuses") && n.refused.trim().is_empty() {
        return list_render(&s, &headers, None, Form::of(&f), None, Some(text::MEDIATION_REFUSAL_REASON.into())).await;
    }
    match s.app.register_dispute(&p, &n).await {
        Ok(d) => see_other(&format!("/console/mediation/{}", d.id), HeaderMap::new()),
        Err(e) => {
            let msg = or_return!(invalid_or_page(e));
            list_render(&s, &headers, None, Form::of(&f), None, Some(msg)).await
        }
    }
}

// ----- one dispute -----

#[derive(Template)]
#[template(path = "console/dispute.html")]
struct DisputePage {
    layout: Layout,
    v: DisputeView,
    mediators: Vec<Mediator>,
    today: String,
    parties_text: String,
    form: Form,
}

impl DisputePage {
    fn at(&self, t: &chrono::DateTime<chrono::Utc>) -> String {
        local_time(*t)
    }
    fn can(&self, step: &str) -> bool {
        self.v.next.contains(&step)
    }
    fn chosen(&self, id: &i64) -> bool {
        self.v.dispute.mediators.iter().any(|(m, _)| m == id)
    }
    /// The typed value, else the default.
    fn val<'a>(&'a self, k: &str, default: &'a str) -> &'a str {
        let v = self.form.get(k);
        if v.is_empty() {
            default
        } else {
            v
        }
    }
}

async fn dispute_render(s: &AppState, headers: &HeaderMap, id: i64, form: Form, flash: Option<String>, error: Option<String>) -> Response {
    let (p, session) = or_return!(staff(s, headers, &format!("/console/mediation/{id}")).await);
    let cfg = or_return!(cfg(s).await);
    let v = match s.app.dispute(&p, id).await {
        Ok(v) => v,
        Err(e) => return app_error_page(&e),
    };
    let mediators = if v.may_act { s.app.mediators(&p, Some(v.dispute.committee)).await.unwrap_or_default().into_iter().filter(|m| m.active).collect() } else { vec![] };
    render(&DisputePage {
        layout: Layout { flash, error, ..layout(&cfg, &p, &session) },
        parties_text: parties_text(&v.dispute.parties),
        v,
        mediators,
        today: local_date(s.app.now()).to_string(),
        form,
    })
}

async fn dispute(State(s): State<AppState>, headers: HeaderMap, Path(id): Path<i64>) -> Response {
    dispute_render(&s, &headers, id, Form::default(), None, None).await
}

/// The form's step as the use case takes it.
fn step_of(f: &Fields) -> Result<DisputeStep, &'static str> {
    let s = |k: &str| f.get(k).to_string();
    Ok(match f.get("op") {
        "prepare" => DisputeStep::Prepare {
            parties: parse_parties(f.get("parties")),
            mediators: f.all("mediators").iter().filter_map(|m| m.parse().ok()).collect(),
            chosen_by_parties: f.get("chosen") == "parties",
        },
        "invite" => DisputeStep::Invite { name: s("name"), relation: s("relation"), consented: f.checked("consented") },
        "session" => DisputeStep::Session { on: s("on"), public: f.get("public") == "1", place: s("place"), present: s("present"), record: s("record") },
        "flag_risk" => DisputeStep::FlagRisk { description: s("description"), referral: s("referral") },
        "refuse" => DisputeStep::Refuse { reason: s("reason") },
        "agree" => DisputeStep::Agree {
            written: f.get("written") == "1",
            effective_on: s("effective_on"),
            facts: s("facts"),
            disputed: s("disputed"),
            responsibilities: s("responsibilities"),
            terms: s("terms"),
            manner: s("manner"),
            perform_by: s("perform_by"),
            items: f
                .get("items")
                .lines()
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .map(|l| {
                    let (due, item) = l.split_once([' ', '　']).unwrap_or((l, ""));
                    PerformanceInput { item: item.trim().to_string(), due: due.to_string() }
                })
                .collect(),
        },
        "fail" => DisputeStep::Fail { reason: s("reason") },
        "apply_confirmation" => DisputeStep::ApplyConfirmation { applied_on: s("applied_on"), court: s("court") },
        "confirmation_result" => DisputeStep::ConfirmationResult { result: s("result"), decided_on: s("decided_on"), note: s("note") },
        "perform" => DisputeStep::Perform { no: f.get("no").parse().unwrap_or(0), done_on: s("done_on"), note: s("note") },
        "archive" => DisputeStep::Archive,
        _ => return Err(text::MEDIATION_UNKNOWN_STEP),
    })
}

async fn dispute_act(State(s): State<AppState>, headers: HeaderMap, Path(id): Path<i64>, body: Bytes) -> Response {
    let (p, session) = or_return!(staff(&s, &headers, &format!("/console/mediation/{id}")).await);
    let f = Fields::parse(&body);
    if let Err(r) = csrf_ok(&session, &f) {
        return r;
    }
    let action = match step_of(&f) {
        Ok(a) => a,
        Err(m) => return dispute_render(&s, &headers, id, Form::of(&f), None, Some(m.into())).await,
    };
    let a = DisputeAction { version: f.get("version").parse().unwrap_or(-1), action };
    match s.app.act_on_dispute(&p, id, &a).await {
        Ok(_) => dispute_render(&s, &headers, id, Form::default(), Some(text::MEDIATION_SAVED.into()), None).await,
        Err(e) => {
            let msg = or_return!(invalid_or_page(e));
            dispute_render(&s, &headers, id, Form::of(&f), None, Some(msg)).await
        }
    }
}

// ----- the registry -----

#[derive(Template)]
#[template(path = "console/mediation_registry.html")]
struct RegistryPage {
    layout: Layout,
    committees: Vec<CommitteeRecord>,
    mediators: Vec<Mediator>,
    places: Options,
    may_edit: bool,
    form: Form,
}

impl RegistryPage {
    fn members(&self, c: &CommitteeRecord) -> String {
        c.committee
            .members
            .iter()
            .map(|m| {
                let role = match m.role {
                    MemberRole::Chair => "主任",
                    MemberRole::ViceChair => "副主任",
                    MemberRole::Member => "委员",
                };
                format!("{}（{}，{}）", m.name, role, if m.gender == Gender::Female { "女" } else { "男" })
            })
            .collect::<Vec<_>>()
            .join("、")
    }
    fn committee_name(&self, id: &i64) -> &str {
        self.committees.iter().find(|c| c.id == *id).map_or("", |c| c.committee.name.as_str())
    }
    fn org_name(&self, id: &OrgId) -> &str {
        let key = id.0.to_string();
        self.places.iter().find(|(k, _)| *k == key).map_or("", |(_, v)| v.as_str())
    }
}

async fn registry_render(s: &AppState, headers: &HeaderMap, form: Form, flash: Option<String>, error: Option<String>) -> Response {
    let (p, session) = or_return!(staff(s, headers, "/console/mediation/registry").await);
    let cfg = or_return!(cfg(s).await);
    let committees = match s.app.committees(&p).await {
        Ok(v) => v,
        Err(e) => return app_error_page(&e),
    };
    let mediators = s.app.mediators(&p, None).await.unwrap_or_default();
    let mut places = place_options(&cfg);
    for o in cfg.tree.all().filter(|o| matches!(o.kind, redress_domain::org::OrgKind::County | redress_domain::org::OrgKind::Department)) {
        places.push((o.id.0.to_string(), o.name.clone()));
    }
    render(&RegistryPage { layout: Layout { flash, error, ..layout(&cfg, &p, &session) }, committees, mediators, places, may_edit: p.has_any(REGISTRY_ROLES), form })
}

async fn registry(State(s): State<AppState>, headers: HeaderMap) -> Response {
    registry_render(&s, &headers, Form::default(), None, None).await
}

/// "姓名 主任 女" lines into members: the role (主任/副主任/委员) and the gender (男/女) in any order.
fn parse_members(s: &str) -> Vec<CommitteeMember> {
    s.lines()
        .map(|l| l.split([' ', '　', ',', '，', '、']).map(str::trim).filter(|w| !w.is_empty()).collect::<Vec<_>>())
        .filter(|w| !w.is_empty())
        .map(|w| CommitteeMember {
            name: w[0].to_string(),
            role: if w.contains(&"主任") {
                MemberRole::Chair
            } else if w.contains(&"副主任") {
                MemberRole::ViceChair
            } else {
                MemberRole::Member
            },
            gender: if w.contains(&"女") { Gender::Female } else { Gender::Male },
        })
        .collect()
}

async fn registry_save(State(s): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let (p, session) = or_return!(staff(&s, &headers, "/console/mediation/registry").await);
    let f = Fields::parse(&body);
    if let Err(r) = csrf_ok(&session, &f) {
        return r;
    }
    let result = match f.get("op") {
        "committee" => {
            let input = CommitteeInput {
                org: OrgId(f.get("org").parse().unwrap_or(0)),
                name: f.get("name").to_string(),
                members: parse_members(f.get("members")),
                term_from: f.get("term_from").to_string(),
                term_to: f.get("term_to").to_string(),
                active: true,
                version: 0,
            };
            s.app.save_committee(&p, None, &input).await.map(|c| format!("{}{}", text::MEDIATION_COMMITTEE_SAVED, c.committee.name))
        }
        "mediator" => {
            let input = MediatorInput {
                committee: f.get("committee").parse().unwrap_or(0),
                name: f.get("name").to_string(),
                gender: if f.get("gender") == "female" { Gender::Female } else { Gender::Male },
                specialty: f.get("specialty").to_string(),
                full_time: f.get("full_time") == "1",
                active: true,
                version: 0,
            };
            s.app.save_mediator(&p, None, &input).await.map(|m| format!("{}{}", text::MEDIATION_MEDIATOR_SAVED, m.name))
        }
        // 停用/启用 an entry as it stands (the version read guards against a concurrent change).
        "toggle_committee" => {
            let id: i64 = f.get("id").parse().unwrap_or(0);
            match s.app.committees(&p).await.map(|v| v.into_iter().find(|c| c.id == id)) {
                Ok(Some(c)) => {
                    let input = CommitteeInput {
                        org: c.org,
                        name: c.committee.name.clone(),
                        members: c.committee.members.clone(),
                        term_from: c.committee.term_from.to_string(),
                        term_to: c.committee.term_to.to_string(),
                        active: !c.active,
                        version: f.get("version").parse().unwrap_or(0),
                    };
                    s.app.save_committee(&p, Some(id), &input).await.map(|c| format!("{}{}", if c.active { text::MEDIATION_ENABLED } else { text::MEDIATION_DISABLED }, c.committee.name))
                }
                Ok(None) => Err(AppError::NotFound("该调解委员会")),
                Err(e) => Err(e),
            }
        }
        "toggle_mediator" => {
            let id: i64 = f.get("id").parse().unwrap_or(0);
            match s.app.mediators(&p, None).await.map(|v| v.into_iter().find(|m| m.id == id)) {
                Ok(Some(m)) => {
                    let input = MediatorInput {
                        committee: m.committee,
                        name: m.name.clone(),
                        gender: m.gender,
                        specialty: m.specialty.clone(),
                        full_time: m.full_time,
                        active: !m.active,
                        version: f.get("version").parse().unwrap_or(0),
                    };
                    s.app.save_mediator(&p, Some(id), &input).await.map(|m| format!("{}{}", if m.active { text::MEDIATION_ENABLED } else { text::MEDIATION_DISABLED }, m.name))
                }
                Ok(None) => Err(AppError::NotFound("该调解员")),
                Err(e) => Err(e),
            }
        }
        _ => Err(AppError::invalid("op", text::MEDIATION_UNKNOWN_STEP)),
    };
    match result {
        Ok(msg) => registry_render(&s, &headers, Form::default(), Some(msg), None).await,
        Err(e) => {
            let msg = or_return!(invalid_or_page(e));
            registry_render(&s, &headers, Form::of(&f), None, Some(msg)).await
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parties_and_members_are_read_from_lines() {
        let p = parse_parties("申请人：张甲\n被申请人: 王乙\n\n李丙");
        assert_eq!(p.iter().map(|x| (x.role.as_str(), x.name.as_str())).collect::<Vec<_>>(), [("applicant", "张甲"), ("respondent", "王乙"), ("respondent", "李丙")]);
        assert_eq!(parties_text(&p[..2]), "申请人：张甲\n被申请人：王乙");
        let m = parse_members("赵一 主任 男\n钱二，女\n孙三 副主任");
        assert_eq!(m.len(), 3);
        assert_eq!((m[0].role, m[0].gender), (MemberRole::Chair, Gender::Male));
        assert_eq!((m[1].role, m[1].gender), (MemberRole::Member, Gender::Female));
        assert_eq!(m[2].role, MemberRole::ViceChair);
    }
}
