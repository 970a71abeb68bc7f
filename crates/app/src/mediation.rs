//! People's mediation (人民调解, issue 7) as use cases over the rules of
//! [`redress_domain::mediation`]: the registry of committees and mediators, and disputes from
//! registration through sessions to an agreement (written 协议书 or oral) or failure, then
//! judicial confirmation (司法确认, 30 days) and performance (履行), and the archive.
//!
//! Records are versioned JSON documents in the store (`dossiers`, migration 0009); every change
//! writes a note to the record's history. A dispute that came from a grievance case points at
//! the case, and the case page lists its disputes, so they are linked both ways without copying
//! the petitioner's personal data: parties are entered by the mediator. Risk-of-escalation flags
//! are about the matter and the referral made, never a rating of a person. Nothing charges:
//! mediation is free (Art. 4), and no field asks for a fee.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use redress_domain::mediation::{self as rules, Action, Committee, CommitteeMember, Gender, Source, Stage};
use redress_domain::{local_date, CaseId, OrgId, Role};
use redress_store::{AccessRecord, DossierQuery, DutyNote, DutyReminder, StoreError, StoredDossier};
use serde::{Deserialize, Serialize};

use crate::auth::Principal;
use crate::campaigns::{clean, corrupt, to_json};
use crate::error::{AppError, AppResult};
use crate::nil_reports::parse_date;
use crate::permissions::require_any;
use crate::App;

pub const KIND_COMMITTEE: &str = "committee";
pub const KIND_MEDIATOR: &str = "mediator";
pub const KIND_DISPUTE: &str = "dispute";

/// Roles that register disputes and record their mediation.
pub const MEDIATION_ROLES: &[Role] = &[Role::Admin, Role::IntakeClerk, Role::Handler, Role::UnitHead, Role::Supervisor];
/// Roles that keep the registry of committees and mediators.
pub const REGISTRY_ROLES: &[Role] = &[Role::Admin, Role::IntakeClerk];
/// Reminder kinds (stored with the routine duties' reminders; period = "dispute id:date").
pub const REMIND_CONFIRMATION: &str = "mediation_confirmation";
pub const REMIND_PERFORMANCE: &str = "mediation_performance";
/// Days before the confirmation window closes, and before a performance deadline, that remind.
pub const REMIND_DAYS: i64 = 7;

const TEXT_MAX: usize = 4000;
const NAME_MAX: usize = 60;
const LIST_MAX: u32 = 2000;

/// Dispute types (纠纷类型) as the judicial administration's statistics count them.
pub const DISPUTE_TYPES: &[(&str, &str)] = &[
    ("family", "婚姻家庭纠纷"),
    ("neighbour", "邻里纠纷"),
    ("housing_land", "房屋宅基地纠纷"),
    ("contract", "合同纠纷"),
    ("damages", "损害赔偿纠纷"),
    ("labour", "劳动争议纠纷"),
    ("land_contract", "土地承包经营纠纷"),
    ("land_acquisition", "征地拆迁纠纷"),
    ("property_mgmt", "物业纠纷"),
    ("medical", "医疗纠纷"),
    ("traffic", "道路交通事故纠纷"),
    ("environment", "环境污染纠纷"),
    ("other", "其他纠纷"),
];

pub fn dispute_type_label(key: &str) -> &'static str {
    DISPUTE_TYPES.iter().find(|(k, _)| *k == key).map_or("其他纠纷", |(_, l)| l)
}

pub fn source_label(s: &Source) -> &'static str {
    match s {
        Source::Application => "当事人申请",
        Source::Initiative => "主动调解",
        Source::Court => "人民法院委派委托",
        Source::Police => "公安机关移送",
        Source::Grievance { .. } => "信访事项转入",
    }
}

/// What the success rate and the other figures mean, written once (shown on hover).
pub const DEFINITIONS: &[(&str, &str)] = &[
    ("success_rate", "调解成功率 = 达成协议（书面或口头）的纠纷数 ÷ 调解已结束的纠纷数（含调解不成、终止调解）"),
    ("performed_rate", "协议履行率 = 已全部履行的书面协议数 ÷ 有履行事项的书面协议数"),
    ("confirmed", "司法确认 = 当事人共同申请、人民法院裁定确认有效的协议数"),
];

// ===================================================================== registry

/// A committee in the registry (人民调解委员会).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CommitteeRecord {
    #[serde(default)]
    pub id: i64,
    #[serde(default)]
    pub version: i64,
    /// The village, community, town or department it is set up in.
    pub org: OrgId,
    #[serde(flatten)]
    pub committee: Committee,
    /// 0 for a committee no longer in service.
    #[serde(default = "yes")]
    pub active: bool,
}

fn yes() -> bool {
    true
}

#[derive(Debug, Clone, Deserialize)]
pub struct CommitteeInput {
    pub org: OrgId,
    pub name: String,
    pub members: Vec<CommitteeMember>,
    pub term_from: String,
    pub term_to: String,
    #[serde(default = "yes")]
    pub active: bool,
    /// For an update: the version read.
    #[serde(default)]
    pub version: i64,
}

/// A mediator (人民调解员): a member of a committee or a person it appoints. Name, gender and
/// field only; no contact details are kept.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Mediator {
    #[serde(default)]
    pub id: i64,
    #[serde(default)]
    pub version: i64,
    pub committee: i64,
    pub name: String,
    pub gender: Gender,
    /// 擅长领域, e.g. 婚姻家庭、土地纠纷.
    #[serde(default)]
    pub specialty: String,
    /// 专职 or 兼职.
    #[serde(default)]
    pub full_time: bool,
    #[serde(default = "yes")]
    pub active: bool,
}

#[derive(Debug, Clone, Deserialize)]
pub struct MediatorInput {
    pub committee: i64,
    pub name: String,
    pub gender: Gender,
    #[serde(default)]
    pub specialty: String,
    #[serde(default)]
    pub full_time: bool,
    #[serde(default = "yes")]
    pub active: bool,
    #[serde(default)]
    pub version: i64,
}

// ===================================================================== disputes

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Party {
    pub name: String,
    /// `applicant` (申请人), `respondent` (被申请人) or `other` (其他当事人).
    pub role: String,
}

impl Party {
    pub fn role_label(&self) -> &'static str {
        match self.role.as_str() {
            "applicant" => "申请人",
            "respondent" => "被申请人",
            _ => "当事人",
        }
    }
}

/// Someone invited to take part with the parties' consent (Art. 20: relatives, neighbours,
/// colleagues, experts, …).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Invitee {
    pub name: String,
    pub relation: String,
    pub consented: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Session {
    pub no: u32,
    pub on: NaiveDate,
    /// Public (公开) or private (不公开) session (Art. 20).
    pub public: bool,
    pub place: String,
    /// Who took part.
    pub present: String,
    /// 调解笔录.
    pub record: String,
    pub by: String,
}

/// A risk that the dispute escalates (激化), and the referral made about the matter (Art. 25).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RiskFlag {
    pub at: DateTime<Utc>,
    pub description: String,
    /// To whom it was reported, e.g. 报告镇综治中心、通报派出所.
    pub referral: String,
    pub by: String,
}

/// The agreement (Art. 28–29): the 协议书's content, or the oral agreement recorded.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Agreement {
    pub written: bool,
    pub effective_on: NaiveDate,
    /// 纠纷的主要事实.
    pub facts: String,
    /// 争议事项.
    pub disputed: String,
    /// 各方当事人的责任.
    pub responsibilities: String,
    /// 协议内容: the parties' rights and duties.
    pub terms: String,
    /// 履行方式.
    pub manner: String,
    /// 履行期限 (last day), when there is one.
    pub perform_by: Option<NaiveDate>,
}

/// Judicial confirmation (Art. 33).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Confirmation {
    pub applied_on: NaiveDate,
    pub court: String,
    /// `pending`, `confirmed` (裁定有效) or `rejected` (驳回).
    pub result: String,
    pub decided_on: Option<NaiveDate>,
    #[serde(default)]
    pub note: String,
}

/// One performance item of an agreement (履行事项) and when it was done.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Performance {
    pub no: u32,
    pub item: String,
    pub due: NaiveDate,
    pub done_on: Option<NaiveDate>,
    #[serde(default)]
    pub note: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Dispute {
    #[serde(default)]
    pub id: i64,
    #[serde(default)]
    pub version: i64,
    /// 调解案号, e.g. 城关调〔2026〕3号.
    pub number: String,
    pub committee: i64,
    pub committee_name: String,
    /// The committee's organisation (visibility).
    pub org: OrgId,
    pub source: Source,
    /// A referral's document or note (委派函号、移送单).
    #[serde(default)]
    pub source_note: String,
    pub dispute_type: String,
    /// 纠纷简要情况.
    pub summary: String,
    pub place: String,
    pub parties: Vec<Party>,
    /// Mediator ids and names, and whether the parties chose them (Art. 19).
    pub mediators: Vec<(i64, String)>,
    #[serde(default)]
    pub chosen_by_parties: bool,
    pub invited: Vec<Invitee>,
    pub sessions: Vec<Session>,
    pub risks: Vec<RiskFlag>,
    pub stage: Stage,
    pub agreement: Option<Agreement>,
    /// Why it failed or was stopped.
    #[serde(default)]
    pub end_reason: String,
    pub confirmation: Option<Confirmation>,
    pub performance: Vec<Performance>,
    pub archived_at: Option<DateTime<Utc>>,
    pub registered_by: String,
    pub registered_at: DateTime<Utc>,
    /// The names of parties and invitees were deleted at the end of the retention period.
    #[serde(default)]
    pub personal_data_purged: bool,
}

impl Dispute {
    pub fn stage_label(&self) -> &'static str {
        if self.archived_at.is_some() {
            "已归档"
        } else {
            self.stage.label_zh()
        }
    }
    pub fn type_label(&self) -> &'static str {
        dispute_type_label(&self.dispute_type)
    }
    pub fn source_label(&self) -> &'static str {
        source_label(&self.source)
    }
    pub fn case_id(&self) -> Option<i64> {
        match self.source {
            Source::Grievance { case_id } => Some(case_id),
            _ => None,
        }
    }
    /// The last day to apply jointly for judicial confirmation, for a written agreement.
    pub fn confirmation_deadline(&self) -> Option<NaiveDate> {
        self.agreement.as_ref().filter(|a| a.written).map(|a| rules::confirmation_deadline(a.effective_on))
    }
    /// `none`, `pending` (not all done, none overdue), `overdue` or `performed`.
    pub fn performance_state(&self, today: NaiveDate) -> &'static str {
        if self.performance.is_empty() {
            "none"
        } else if self.performance.iter().all(|p| p.done_on.is_some()) {
            "performed"
        } else if self.performance.iter().any(|p| p.done_on.is_none() && p.due < today) {
            "overdue"
        } else {
            "pending"
        }
    }
    pub fn is_agreed(&self) -> bool {
        matches!(self.stage, Stage::WrittenAgreement | Stage::OralAgreement)
    }
}

pub fn performance_label(state: &str) -> &'static str {
    match state {
        "performed" => "已履行",
        "overdue" => "逾期未履行",
        "pending" => "履行中",
        _ => "—",
    }
}

/// What registers a dispute.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct NewDispute {
    pub committee: i64,
    /// `application`, `initiative`, `court`, `police` (a grievance comes through
    /// [`App::refer_case_to_mediation`]).
    pub source: String,
    #[serde(default)]
    pub source_note: String,
    pub dispute_type: String,
    pub summary: String,
    #[serde(default)]
    pub place: String,
    #[serde(default)]
    pub parties: Vec<Party>,
    /// A party clearly refuses mediation (Art. 17): recorded, and mediation does not start.
    #[serde(default)]
    pub refused: String,
}

/// What the mediator records next; `version` is the one read.
#[derive(Debug, Clone, Deserialize)]
pub struct DisputeAction {
    pub version: i64,
    #[serde(flatten)]
    pub action: DisputeStep,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum DisputeStep {
    /// Parties, and the mediators chosen by the parties or assigned by the committee.
    Prepare {
        #[serde(default)]
        parties: Vec<Party>,
        #[serde(default)]
        mediators: Vec<i64>,
        #[serde(default)]
        chosen_by_parties: bool,
    },
    Invite { name: String, relation: String, consented: bool },
    Session { on: String, public: bool, #[serde(default)] place: String, #[serde(default)] present: String, record: String },
    FlagRisk { description: String, referral: String },
    Refuse { reason: String },
    Agree {
        written: bool,
        effective_on: String,
        #[serde(default)]
        facts: String,
        #[serde(default)]
        disputed: String,
        #[serde(default)]
        responsibilities: String,
        terms: String,
        #[serde(default)]
        manner: String,
        #[serde(default)]
        perform_by: String,
        /// Performance items, one per line: "yyyy-mm-dd 事项".
        #[serde(default)]
        items: Vec<PerformanceInput>,
    },
    Fail { reason: String },
    ApplyConfirmation { applied_on: String, court: String },
    ConfirmationResult { result: String, decided_on: String, #[serde(default)] note: String },
    Perform { no: u32, done_on: String, #[serde(default)] note: String },
    Archive,
}

#[derive(Debug, Clone, Deserialize)]
pub struct PerformanceInput {
    pub item: String,
    pub due: String,
}

/// Disputes, for the list and the statistics.
#[derive(Debug, Clone, Serialize)]
pub struct DisputeStats {
    pub total: usize,
    pub by_type: Vec<(String, usize)>,
    pub by_source: Vec<(String, usize)>,
    pub by_stage: Vec<(String, usize)>,
    pub concluded: usize,
    pub agreed: usize,
    pub written: usize,
    pub oral: usize,
    pub failed: usize,
    pub stopped: usize,
    /// Percent, one decimal; `None` before any dispute concluded.
    pub success_rate: Option<f64>,
    pub with_performance: usize,
    pub performed: usize,
    pub performed_rate: Option<f64>,
    pub confirmation_applied: usize,
    pub confirmed: usize,
    pub from_cases: usize,
    pub risk_flagged: usize,
}

fn pct(n: usize, d: usize) -> Option<f64> {
    (d > 0).then(|| (n as f64 * 1000.0 / d as f64).round() / 10.0)
}

fn count<'a>(it: impl Iterator<Item = &'a str>) -> Vec<(String, usize)> {
    let mut m: BTreeMap<&str, usize> = BTreeMap::new();
    for k in it {
        *m.entry(k).or_default() += 1;
    }
    let mut v: Vec<(String, usize)> = m.into_iter().map(|(k, n)| (k.to_string(), n)).collect();
    v.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    v
}

/// Figures over disputes (pure).
pub fn stats(disputes: &[Dispute], today: NaiveDate) -> DisputeStats {
    let concluded = disputes.iter().filter(|d| d.stage.is_concluded()).count();
    let agreed = disputes.iter().filter(|d| d.is_agreed()).count();
    let with_performance = disputes.iter().filter(|d| !d.performance.is_empty()).count();
    let performed = disputes.iter().filter(|d| d.performance_state(today) == "performed").count();
    DisputeStats {
        total: disputes.len(),
        by_type: count(disputes.iter().map(|d| d.type_label())),
        by_source: count(disputes.iter().map(|d| d.source_label())),
        by_stage: count(disputes.iter().map(|d| d.stage_label())),
        concluded,
        agreed,
        written: disputes.iter().filter(|d| d.stage == Stage::WrittenAgreement).count(),
        oral: disputes.iter().filter(|d| d.stage == Stage::OralAgreement).count(),
        failed: disputes.iter().filter(|d| d.stage == Stage::Failed).count(),
        stopped: disputes.iter().filter(|d| d.stage == Stage::Stopped).count(),
        success_rate: pct(agreed, concluded),
        with_performance,
        performed,
        performed_rate: pct(performed, with_performance),
        confirmation_applied: disputes.iter().filter(|d| d.confirmation.is_some()).count(),
        confirmed: disputes.iter().filter(|d| d.confirmation.as_ref().is_some_and(|c| c.result == "confirmed")).count(),
        from_cases: disputes.iter().filter(|d| d.case_id().is_some()).count(),
        risk_flagged: disputes.iter().filter(|d| !d.risks.is_empty()).count(),
    }
}

/// A dispute with what the page shows beside it.
#[derive(Debug, Clone, Serialize)]
pub struct DisputeView {
    pub dispute: Dispute,
    pub history: Vec<DutyNote>,
    pub confirmation_deadline: Option<NaiveDate>,
    pub performance_state: &'static str,
    pub performance_label: &'static str,
    /// The linked case's number, when the viewer may see it.
    pub case_number: Option<String>,
    pub may_act: bool,
    /// What may be done next, for the page's forms.
    pub next: Vec<&'static str>,
    pub other_routes: &'static str,
}


fn decode<T: for<'de> Deserialize<'de>>(d: &StoredDossier, what: &str) -> AppResult<T> {
    serde_json::from_str(&d.data).map_err(|e| corrupt(what, e))
}

fn decode_committee(d: &StoredDossier) -> AppResult<CommitteeRecord> {
    let mut c: CommitteeRecord = decode(d, "调解委员会")?;
    (c.id, c.version) = (d.id, d.version);
    Ok(c)
}

fn decode_mediator(d: &StoredDossier) -> AppResult<Mediator> {
    let mut m: Mediator = decode(d, "调解员")?;
    (m.id, m.version) = (d.id, d.version);
    Ok(m)
}

fn decode_dispute(d: &StoredDossier) -> AppResult<Dispute> {
    let mut x: Dispute = decode(d, "纠纷")?;
    (x.id, x.version) = (d.id, d.version);
    Ok(x)
}

fn stage_key(s: Stage) -> &'static str {
    match s {
        Stage::Accepted => "accepted",
        Stage::Mediating => "mediating",
        Stage::WrittenAgreement => "written_agreement",
        Stage::OralAgreement => "oral_agreement",
        Stage::Failed => "failed",
        Stage::Stopped => "stopped",
    }
}

fn status_of(d: &Dispute) -> String {
    if d.archived_at.is_some() {
        "archived".into()
    } else {
        stage_key(d.stage).into()
    }
}

fn opt_date(field: &str, s: &str) -> AppResult<Option<NaiveDate>> {
    if s.trim().is_empty() {
        Ok(None)
    } else {
        parse_date(field, s).map(Some)
    }
}

/// What may be done next with a dispute (pure), for the page's forms.
pub fn next_steps(d: &Dispute) -> Vec<&'static str> {
    if d.archived_at.is_some() {
        return vec![];
    }
    let mut v = vec![];
    if !d.stage.is_concluded() {
        v.extend(["prepare", "invite", "session", "flag_risk", "refuse"]);
        if d.stage == Stage::Mediating {
            v.extend(["agree", "fail"]);
        }
    } else {
        v.push("flag_risk");
        if d.stage == Stage::WrittenAgreement {
            match &d.confirmation {
                None => v.push("apply_confirmation"),
                Some(c) if c.result == "pending" => v.push("confirmation_result"),
                _ => {}
            }
        }
        if d.performance.iter().any(|p| p.done_on.is_none()) {
            v.push("perform");
        }
        v.push("archive");
    }
    v
}

/// Applies one step to a dispute (pure): checks it against the rules and the dispute's state,
/// and returns the changed dispute and the history note.
pub fn apply_step(mut d: Dispute, step: &DisputeStep, mediators: &[Mediator], by: &str, now: DateTime<Utc>) -> AppResult<(Dispute, String)> {
    if d.archived_at.is_some() {
        return Err(AppError::invalid("action", "该纠纷已归档，不能再操作"));
    }
    let today = local_date(now);
    let note = match step {
        DisputeStep::Prepare { parties, mediators: ids, chosen_by_parties } => {
            if d.stage.is_concluded() {
                return Err(AppError::invalid("action", format!("调解已结束（{}），不能再更改当事人和调解员", d.stage.label_zh())));
            }
            let parties = check_parties(parties)?;
            let mut chosen = vec![];
            for id in ids {
                let m = mediators.iter().find(|m| m.id == *id).ok_or_else(|| AppError::invalid("mediators", format!("调解员 {id} 不存在")))?;
                if m.committee != d.committee || !m.active {
                    return Err(AppError::invalid("mediators", format!("“{}”不是本调解委员会在册的调解员", m.name)));
                }
                chosen.push((m.id, m.name.clone()));
            }
            if chosen.is_empty() {
                return Err(AppError::invalid("mediators", "请至少指定一名调解员"));
            }
            let names: Vec<&str> = chosen.iter().map(|(_, n)| n.as_str()).collect();
            let how = if *chosen_by_parties { "当事人选择" } else { "调解委员会指定" };
            let note = format!("当事人{}人；调解员：{}（{how}）", parties.len(), names.join("、"));
            d.parties = parties;
            d.mediators = chosen;
            d.chosen_by_parties = *chosen_by_parties;
            note
        }
        DisputeStep::Invite { name, relation, consented } => {
            if d.stage.is_concluded() {
                return Err(AppError::invalid("action", "调解已结束，不能再邀请参与人员"));
            }
            if !consented {
                return Err(AppError::invalid("consented", "邀请当事人的亲属、邻里、同事或专业人员参与调解，须经当事人同意（《人民调解法》第二十条）"));
            }
            let name = clean("name", name, NAME_MAX, "请填写受邀人员姓名")?;
            let relation = clean("relation", relation, NAME_MAX, "请填写受邀人员身份（如亲属、邻居、专业人员）")?;
            let note = format!("经当事人同意，邀请{relation}{name}参与调解");
            d.invited.push(Invitee { name, relation, consented: true });
            note
        }
        DisputeStep::Session { on, public, place, present, record } => {
            if d.mediators.is_empty() {
                return Err(AppError::invalid("mediators", "请先确定当事人和调解员"));
            }
            let on = parse_date("on", on)?;
            if on > today {
                return Err(AppError::invalid("on", "调解日期不能晚于今天"));
            }
            rules::decide(d.stage, &Action::Session { on, public: *public, record: record.clone() }).map_err(|(f, m)| AppError::invalid(f, m))?;
            let record = clean("record", record, TEXT_MAX, "请填写调解笔录")?;
            let no = d.sessions.len() as u32 + 1;
            d.sessions.push(Session {
                no,
                on,
                public: *public,
                place: clean("place", place, 200, "")?,
                present: clean("present", present, 500, "")?,
                record,
                by: by.to_string(),
            });
            d.stage = Stage::Mediating;
            format!("第{no}次调解（{}，{}）", if *public { "公开" } else { "不公开" }, on)
        }
        DisputeStep::FlagRisk { description, referral } => {
            let description = clean("description", description, 1000, "请写明纠纷可能激化的情况")?;
            let referral = clean("referral", referral, 200, "请写明已采取的措施（如报告镇综治中心、通报派出所）")?;
            let note = format!("纠纷有激化可能：{description}；已{referral}");
            d.risks.push(RiskFlag { at: now, description, referral, by: by.to_string() });
            note
        }
        DisputeStep::Refuse { reason } => {
            let stage = rules::decide(d.stage, &Action::PartyRefuses { reason: reason.clone() }).map_err(|(f, m)| AppError::invalid(f, m))?;
            d.end_reason = clean("reason", reason, 1000, "请写明当事人拒绝或要求终止调解的情况")?;
            d.stage = stage;
            format!("当事人拒绝或要求终止调解，终止调解：{}", d.end_reason)
        }
        DisputeStep::Agree { written, effective_on, facts, disputed, responsibilities, terms, manner, perform_by, items } => {
            let effective_on = parse_date("effective_on", effective_on)?;
            let perform_by = opt_date("perform_by", perform_by)?;
            rules::decide(d.stage, &Action::Agree { written: *written, effective_on, terms: terms.clone(), perform_by })
                .map_err(|(f, m)| AppError::invalid(f, m))?;
            if d.parties.len() < 2 {
                return Err(AppError::invalid("parties", "协议须载明双方当事人，请先补充当事人"));
            }
            let required = |field: &str, s: &str, msg: &str| if *written { clean(field, s, TEXT_MAX, msg) } else { clean(field, s, TEXT_MAX, "") };
            let agreement = Agreement {
                written: *written,
                effective_on,
                facts: required("facts", facts, "请填写纠纷的主要事实")?,
                disputed: required("disputed", disputed, "请填写争议事项")?,
                responsibilities: required("responsibilities", responsibilities, "请填写各方当事人的责任")?,
                terms: clean("terms", terms, TEXT_MAX, "请填写协议内容")?,
                manner: required("manner", manner, "请填写履行方式")?,
                perform_by,
            };
            let mut perf = vec![];
            for (i, it) in items.iter().enumerate() {
                let due = parse_date("items", &it.due)?;
                if due < effective_on {
                    return Err(AppError::invalid("items", format!("第{}项的履行期限早于协议生效日期", i + 1)));
                }
                perf.push(Performance { no: i as u32 + 1, item: clean("items", &it.item, 500, "请填写履行事项")?, due, done_on: None, note: String::new() });
            }
            if perf.is_empty() {
                if let Some(by) = perform_by {
                    perf.push(Performance { no: 1, item: "按协议约定履行".into(), due: by, done_on: None, note: String::new() });
                }
            }
            d.stage = if *written { Stage::WrittenAgreement } else { Stage::OralAgreement };
            d.performance = perf;
            let note = if *written {
                format!("达成书面调解协议，{}生效；可于{}前共同申请司法确认", effective_on, rules::confirmation_deadline(effective_on))
            } else {
                "达成口头调解协议，已记录协议内容".to_string()
            };
            d.agreement = Some(agreement);
            note
        }
        DisputeStep::Fail { reason } => {
            let stage = rules::decide(d.stage, &Action::Fail { reason: reason.clone() }).map_err(|(f, m)| AppError::invalid(f, m))?;
            d.end_reason = clean("reason", reason, 1000, "请写明调解不成的原因")?;
            d.stage = stage;
            format!("调解不成：{}；已告知当事人：{}", d.end_reason, rules::OTHER_ROUTES)
        }
        DisputeStep::ApplyConfirmation { applied_on, court } => {
            let deadline = d.confirmation_deadline().ok_or_else(|| AppError::invalid("action", "只有书面调解协议可以申请司法确认"))?;
            if d.confirmation.is_some() {
                return Err(AppError::invalid("action", "已登记司法确认申请"));
            }
            let applied_on = parse_date("applied_on", applied_on)?;
            let effective = d.agreement.as_ref().map(|a| a.effective_on).unwrap_or(applied_on);
            if applied_on < effective {
                return Err(AppError::invalid("applied_on", "申请日期不能早于协议生效日期"));
            }
            if applied_on > deadline {
                return Err(AppError::invalid("applied_on", format!("应自协议生效之日起三十日内（{deadline}前）共同申请司法确认（《人民调解法》第三十三条）")));
            }
            if applied_on > today {
                return Err(AppError::invalid("applied_on", "申请日期不能晚于今天"));
            }
            let court = clean("court", court, 100, "请填写受理申请的人民法院")?;
            let note = format!("双方当事人于{applied_on}共同向{court}申请司法确认");
            d.confirmation = Some(Confirmation { applied_on, court, result: "pending".into(), decided_on: None, note: String::new() });
            note
        }
        DisputeStep::ConfirmationResult { result, decided_on, note } => {
            let Some(c) = d.confirmation.as_mut().filter(|c| c.result == "pending") else {
                return Err(AppError::invalid("action", "没有待法院裁定的司法确认申请"));
            };
            if !matches!(result.as_str(), "confirmed" | "rejected") {
                return Err(AppError::invalid("result", "请选择法院的裁定结果"));
            }
            let decided_on = parse_date("decided_on", decided_on)?;
            if decided_on < c.applied_on {
                return Err(AppError::invalid("decided_on", "裁定日期不能早于申请日期"));
            }
            c.result = result.clone();
            c.decided_on = Some(decided_on);
            c.note = clean("note", note, 500, "")?;
            if result == "confirmed" {
                format!("{}裁定确认调解协议有效（{decided_on}）", c.court)
            } else {
                format!("{}裁定驳回司法确认申请（{decided_on}）；当事人可以通过调解方式变更原协议或达成新协议，也可以向人民法院提起诉讼", c.court)
            }
        }
        DisputeStep::Perform { no, done_on, note } => {
            let done_on = parse_date("done_on", done_on)?;
            if done_on > today {
                return Err(AppError::invalid("done_on", "履行日期不能晚于今天"));
            }
            let p = d.performance.iter_mut().find(|p| p.no == *no).ok_or_else(|| AppError::invalid("no", format!("没有第{no}项履行事项")))?;
            if p.done_on.is_some() {
                return Err(AppError::invalid("no", "该事项已登记履行"));
            }
            p.done_on = Some(done_on);
            p.note = clean("note", note, 500, "")?;
            let late = if done_on > p.due { "（逾期）" } else { "" };
            format!("第{no}项“{}”已于{done_on}履行{late}", p.item)
        }
        DisputeStep::Archive => {
            if !d.stage.is_concluded() {
                return Err(AppError::invalid("action", "调解尚未结束，不能归档"));
            }
            if d.confirmation.as_ref().is_some_and(|c| c.result == "pending") {
                return Err(AppError::invalid("action", "司法确认尚待法院裁定，裁定后再归档"));
            }
            d.archived_at = Some(now);
            format!("立卷归档（登记表、调解笔录{}份{}）", d.sessions.len(), if d.agreement.as_ref().is_some_and(|a| a.written) { "、调解协议书" } else { "" })
        }
    };
    Ok((d, note))
}

fn check_parties(parties: &[Party]) -> AppResult<Vec<Party>> {
    let mut out = vec![];
    for (i, p) in parties.iter().enumerate() {
        let name = clean("parties", &p.name, NAME_MAX, "")?;
        if name.is_empty() {
            continue;
        }
        if !matches!(p.role.as_str(), "applicant" | "respondent" | "other") {
            return Err(AppError::invalid("parties", format!("第{}位当事人的身份不正确", i + 1)));
        }
        out.push(Party { name, role: p.role.clone() });
    }
    if out.len() > 50 {
        return Err(AppError::invalid("parties", "当事人不超过50人"));
    }
    Ok(out)
}

// ===================================================================== use cases

/// The dispute with the names of parties and invitees masked (lists, linked cases, readers who
/// only read).
fn masked(mut d: Dispute) -> Dispute {
    for x in &mut d.parties {
        x.name = redress_domain::personal::mask_name(&x.name);
    }
    for x in &mut d.invited {
        x.name = redress_domain::personal::mask_name(&x.name);
    }
    d
}

/// Written in place of deleted names.
pub const PURGED_NAME: &str = "（已按保存期限删除）";

impl App {
    /// Records that `p` read the names of a dispute's parties (the personal-data access log,
    /// under the linked case or 0), for `what`.
    async fn log_parties_read(&self, p: &Principal, d: &Dispute, what: &str) -> AppResult<()> {
        if d.parties.is_empty() && d.invited.is_empty() || d.personal_data_purged {
            return Ok(());
        }
        self.store
            .record_access(AccessRecord {
                at: self.now(),
                user_id: p.user.id,
                username: p.user.username.clone(),
                case_id: CaseId(d.case_id().unwrap_or(0)),
                fields: vec!["parties".into()],
                purpose: format!("人民调解{}：{}", d.number, what),
            })
            .await?;
        Ok(())
    }

    /// Deletes the names of parties and invitees of disputes archived more than `years` ago
    /// (the retention period of personal data); returns how many disputes.
    pub async fn purge_expired_dispute_names(&self, years: i64) -> AppResult<u64> {
        let cutoff = self.now() - chrono::Duration::days(365 * years);
        let q = DossierQuery { kind: KIND_DISPUTE.into(), status: Some("archived".into()), limit: LIST_MAX * 50, ..Default::default() };
        let mut n = 0;
        for sd in self.store.list_dossiers(&q).await? {
            let mut d = decode_dispute(&sd)?;
            if d.personal_data_purged || d.archived_at.is_none_or(|a| a > cutoff) {
                continue;
            }
            for x in &mut d.parties {
                x.name = PURGED_NAME.into();
            }
            for x in &mut d.invited {
                x.name = PURGED_NAME.into();
            }
            d.personal_data_purged = true;
            let now = self.now();
            let stored = StoredDossier { updated_at: now, data: to_json(&d)?, ..sd };
            self.store.save_dossier(&stored, &DutyNote { at: now, actor: "系统".into(), what: format!("归档满{years}年，按保存期限删除当事人和受邀人员姓名") }).await?;
            n += 1;
        }
        Ok(n)
    }

    fn may_read_mediation(&self, p: &Principal, org: OrgId) -> bool {
        p.may_see(&[org]) && (p.has_any(MEDIATION_ROLES) || p.has_any(&[Role::Leader, Role::Auditor]))
    }

    /// Committees `p` may see (all of them for a county office), active first.
    pub async fn committees(&self, p: &Principal) -> AppResult<Vec<CommitteeRecord>> {
        let mut out = vec![];
        for d in self.store.list_dossiers(&DossierQuery { kind: KIND_COMMITTEE.into(), limit: LIST_MAX, ..Default::default() }).await? {
            let c = decode_committee(&d)?;
            if self.may_read_mediation(p, c.org) {
                out.push(c);
            }
        }
        out.sort_by_key(|c| (!c.active, c.id));
        Ok(out)
    }

    async fn committee_raw(&self, p: &Principal, id: i64) -> AppResult<CommitteeRecord> {
        let d = self.store.get_dossier(id).await?.filter(|d| d.kind == KIND_COMMITTEE).ok_or(AppError::NotFound("该调解委员会"))?;
        let c = decode_committee(&d)?;
        if !self.may_read_mediation(p, c.org) {
            return Err(AppError::NotFound("该调解委员会"));
        }
        Ok(c)
    }

    /// Adds (`id` None) or changes a committee; checked against Art. 8–9.
    pub async fn save_committee(&self, p: &Principal, id: Option<i64>, input: &CommitteeInput) -> AppResult<CommitteeRecord> {
        require_any(p, REGISTRY_ROLES)?;
        let cfg = self.cfg().await?;
        let org = cfg.tree.get(input.org).ok_or_else(|| AppError::invalid("org", "所在单位不存在"))?;
        if !p.may_see(&[input.org]) {
            return Err(AppError::invalid("org", format!("“{}”不在本机关范围内", org.name)));
        }
        let members: Vec<CommitteeMember> =
            input.members.iter().filter(|m| !m.name.trim().is_empty()).map(|m| CommitteeMember { name: m.name.trim().to_string(), ..m.clone() }).collect();
        if members.iter().any(|m| m.name.chars().count() > NAME_MAX) {
            return Err(AppError::invalid("members", format!("委员姓名不超过{NAME_MAX}字")));
        }
        let committee = Committee {
            name: clean("name", &input.name, 100, "请填写调解委员会名称")?,
            members,
            term_from: parse_date("term_from", &input.term_from)?,
            term_to: parse_date("term_to", &input.term_to)?,
        };
        committee.validate().map_err(|(f, m)| AppError::invalid(f, m))?;
        let now = self.now();
        let mut rec = CommitteeRecord { id: 0, version: 0, org: input.org, committee, active: input.active };
        let (what, created_at) = match id {
            None => (format!("登记{}，委员{}人", rec.committee.name, rec.committee.members.len()), now),
            Some(id) => {
                let old = self.committee_raw(p, id).await?;
                if old.org != input.org {
                    return Err(AppError::invalid("org", "调解委员会的所在单位不能更改"));
                }
                rec.id = id;
                rec.version = input.version;
                (format!("更新{}（委员{}人，任期至{}{}）", rec.committee.name, rec.committee.members.len(), rec.committee.term_to, if rec.active { "" } else { "，已停用" }), now)
            }
        };
        let stored = StoredDossier {
            id: rec.id,
            kind: KIND_COMMITTEE.into(),
            version: rec.version,
            status: if rec.active { "active".into() } else { "inactive".into() },
            org: Some(rec.org),
            case_id: None,
            parent: None,
            created_at,
            updated_at: now,
            data: to_json(&rec)?,
        };
        let note = DutyNote { at: now, actor: p.user.display_name.clone(), what };
        rec.id = self.store.save_dossier(&stored, &note).await?;
        self.committee_raw(p, rec.id).await
    }

    /// Mediators of the committees `p` may see (of one committee when given).
    pub async fn mediators(&self, p: &Principal, committee: Option<i64>) -> AppResult<Vec<Mediator>> {
        let visible: Vec<i64> = self.committees(p).await?.iter().map(|c| c.id).collect();
        let q = DossierQuery { kind: KIND_MEDIATOR.into(), parent: committee, limit: LIST_MAX, ..Default::default() };
        let mut out = vec![];
        for d in self.store.list_dossiers(&q).await? {
            let m = decode_mediator(&d)?;
            if visible.contains(&m.committee) {
                out.push(m);
            }
        }
        out.sort_by_key(|m| (m.committee, !m.active, m.id));
        Ok(out)
    }

    pub async fn save_mediator(&self, p: &Principal, id: Option<i64>, input: &MediatorInput) -> AppResult<Mediator> {
        require_any(p, REGISTRY_ROLES)?;
        let c = self.committee_raw(p, input.committee).await.map_err(|_| AppError::invalid("committee", "调解委员会不存在"))?;
        let mut m = Mediator {
            id: id.unwrap_or(0),
            version: input.version,
            committee: c.id,
            name: clean("name", &input.name, NAME_MAX, "请填写调解员姓名")?,
            gender: input.gender,
            specialty: clean("specialty", &input.specialty, 200, "")?,
            full_time: input.full_time,
            active: input.active,
        };
        if let Some(id) = id {
            let old = self.store.get_dossier(id).await?.filter(|d| d.kind == KIND_MEDIATOR).ok_or(AppError::NotFound("该调解员"))?;
            if decode_mediator(&old)?.committee != c.id {
                return Err(AppError::invalid("committee", "调解员所属的调解委员会不能更改，请在新委员会重新登记"));
            }
        }
        let now = self.now();
        let what = match id {
            None => format!("登记调解员{}（{}）", m.name, if m.full_time { "专职" } else { "兼职" }),
            Some(_) => format!("更新调解员{}{}", m.name, if m.active { "" } else { "，已停用" }),
        };
        let stored = StoredDossier {
            id: m.id,
            kind: KIND_MEDIATOR.into(),
            version: m.version,
            status: if m.active { "active".into() } else { "inactive".into() },
            org: Some(c.org),
            case_id: None,
            parent: Some(c.id),
            created_at: now,
            updated_at: now,
            data: to_json(&m)?,
        };
        m.id = self.store.save_dossier(&stored, &DutyNote { at: now, actor: p.user.display_name.clone(), what }).await?;
        m.version += 1;
        Ok(m)
    }

    /// Registers a dispute. A party's clear refusal is recorded and mediation does not start.
    pub async fn register_dispute(&self, p: &Principal, n: &NewDispute) -> AppResult<Dispute> {
        require_any(p, MEDIATION_ROLES)?;
        let source = match n.source.as_str() {
            "application" => Source::Application,
            "initiative" => Source::Initiative,
            "court" => Source::Court,
            "police" => Source::Police,
            _ => return Err(AppError::invalid("source", "请选择纠纷来源（当事人申请、主动调解、法院委派委托、公安移送）")),
        };
        self.create_dispute(p, n, source).await
    }

    async fn create_dispute(&self, p: &Principal, n: &NewDispute, source: Source) -> AppResult<Dispute> {
        let c = self.committee_raw(p, n.committee).await.map_err(|_| AppError::invalid("committee", "请选择调解委员会"))?;
        if !c.active {
            return Err(AppError::invalid("committee", format!("“{}”已停用", c.committee.name)));
        }
        let now = self.now();
        if !c.committee.in_term(local_date(now)) {
            return Err(AppError::invalid("committee", format!("“{}”的任期已届满（{}），请先更新委员会换届信息", c.committee.name, c.committee.term_to)));
        }
        if !DISPUTE_TYPES.iter().any(|(k, _)| *k == n.dispute_type) {
            return Err(AppError::invalid("dispute_type", "请选择纠纷类型"));
        }
        let refused = clean("refused", &n.refused, 1000, "")?;
        let mut d = Dispute {
            id: 0,
            version: 0,
            number: String::new(),
            committee: c.id,
            committee_name: c.committee.name.clone(),
            org: c.org,
            source,
            source_note: clean("source_note", &n.source_note, 200, "")?,
            dispute_type: n.dispute_type.clone(),
            summary: clean("summary", &n.summary, TEXT_MAX, "请填写纠纷简要情况")?,
            place: clean("place", &n.place, 200, "")?,
            parties: check_parties(&n.parties)?,
            mediators: vec![],
            chosen_by_parties: false,
            invited: vec![],
            sessions: vec![],
            risks: vec![],
            stage: Stage::Accepted,
            agreement: None,
            end_reason: String::new(),
            confirmation: None,
            performance: vec![],
            archived_at: None,
            registered_by: p.user.display_name.clone(),
            registered_at: now,
            personal_data_purged: false,
        };
        let mut what = format!("登记纠纷（{}，{}）", d.source_label(), d.type_label());
        if !refused.is_empty() {
            d.stage = rules::decide(Stage::Accepted, &Action::PartyRefuses { reason: refused.clone() }).map_err(|(f, m)| AppError::invalid(f, m))?;
            d.end_reason = refused;
            what.push_str(&format!("；当事人明确拒绝调解，不予调解：{}", d.end_reason));
        }
        let stored = StoredDossier {
            id: 0,
            kind: KIND_DISPUTE.into(),
            version: 0,
            status: status_of(&d),
            org: Some(d.org),
            case_id: d.case_id(),
            parent: Some(c.id),
            created_at: now,
            updated_at: now,
            data: to_json(&d)?,
        };
        let note = DutyNote { at: now, actor: p.user.display_name.clone(), what };
        let id = self.store.save_dossier(&stored, &note).await?;
        // The number needs the id: a second write, noted.
        d.id = id;
        d.version = 1;
        let short = c.committee.name.trim_end_matches("人民调解委员会");
        d.number = format!("{}调〔{}〕{}号", short.chars().take(6).collect::<String>(), local_date(now).format("%Y"), id);
        self.store_dispute(&d, &format!("编号{}", d.number), p, now).await?;
        self.dispute_raw(p, id).await
    }

    async fn store_dispute(&self, d: &Dispute, what: &str, p: &Principal, now: DateTime<Utc>) -> AppResult<()> {
        let stored = StoredDossier {
            id: d.id,
            kind: KIND_DISPUTE.into(),
            version: d.version,
            status: status_of(d),
            org: Some(d.org),
            case_id: d.case_id(),
            parent: Some(d.committee),
            created_at: d.registered_at,
            updated_at: now,
            data: to_json(d)?,
        };
        self.store.save_dossier(&stored, &DutyNote { at: now, actor: p.user.display_name.clone(), what: what.to_string() }).await?;
        Ok(())
    }

    /// 转人民调解 from a grievance case: the case and the dispute point at each other (the
    /// dispute by its source, the case page by listing the disputes of the case). The parties
    /// are entered by the mediator; the petitioner's personal data is not copied.
    pub async fn refer_case_to_mediation(&self, p: &Principal, case: CaseId, committee: i64, dispute_type: &str) -> AppResult<Dispute> {
        require_any(p, MEDIATION_ROLES)?;
        let c = self.store.get_case(case).await?.ok_or(AppError::NotFound("事项"))?;
        crate::permissions::may_view(p, &c)?;
        let existing = self.disputes_of_case(p, case).await?;
        if let Some(open) = existing.iter().find(|d| !d.stage.is_concluded()) {
            return Err(AppError::invalid("case", format!("该信访事项已转人民调解（{}），调解尚未结束", open.number)));
        }
        let n = NewDispute {
            committee,
            source: "grievance".into(),
            source_note: format!("信访事项{}", c.number()),
            dispute_type: dispute_type.to_string(),
            summary: format!("{}：{}", c.matter.subject, c.matter.content.chars().take(1500).collect::<String>()),
            place: c.matter.location.address.clone(),
            parties: vec![],
            refused: String::new(),
        };
        self.create_dispute(p, &n, Source::Grievance { case_id: case.0 }).await
    }

    /// Disputes linked to a case (for the case page).
    pub async fn disputes_of_case(&self, p: &Principal, case: CaseId) -> AppResult<Vec<Dispute>> {
        let q = DossierQuery { kind: KIND_DISPUTE.into(), case_id: Some(case.0), limit: 100, ..Default::default() };
        let mut out = vec![];
        for d in self.store.list_dossiers(&q).await? {
            let x = decode_dispute(&d)?;
            if self.may_read_mediation(p, x.org) || p.has_any(MEDIATION_ROLES) {
                out.push(masked(x));
            }
        }
        Ok(out)
    }

    async fn dispute_raw(&self, p: &Principal, id: i64) -> AppResult<Dispute> {
        let d = self.store.get_dossier(id).await?.filter(|d| d.kind == KIND_DISPUTE).ok_or(AppError::NotFound("该纠纷"))?;
        let x = decode_dispute(&d)?;
        if !self.may_read_mediation(p, x.org) {
            return Err(AppError::NotFound("该纠纷"));
        }
        Ok(x)
    }

    /// Disputes `p` may see, newest first, the names masked (a list is not where they are
    /// read); `status` filters by status key.
    pub async fn disputes(&self, p: &Principal, status: Option<&str>) -> AppResult<Vec<Dispute>> {
        Ok(self.disputes_raw(p, status).await?.into_iter().map(masked).collect())
    }

    async fn disputes_raw(&self, p: &Principal, status: Option<&str>) -> AppResult<Vec<Dispute>> {
        let q = DossierQuery {
            kind: KIND_DISPUTE.into(),
            orgs: p.visible.clone(),
            status: status.filter(|s| !s.is_empty()).map(str::to_string),
            limit: LIST_MAX * 5,
            ..Default::default()
        };
        if !(p.has_any(MEDIATION_ROLES) || p.has_any(&[Role::Leader, Role::Auditor])) {
            return Err(AppError::forbidden("无权查看人民调解"));
        }
        self.store.list_dossiers(&q).await?.iter().map(decode_dispute).collect()
    }

    /// A dispute with its history and what may be done next. The parties' names are personal
    /// data: an auditor sees the record without them.
    pub async fn dispute(&self, p: &Principal, id: i64) -> AppResult<DisputeView> {
        let mut d = self.dispute_raw(p, id).await?;
        let history = self.store.dossier_history(id).await?;
        let today = local_date(self.now());
        let may_act = p.has_any(MEDIATION_ROLES);
        if may_act {
            self.log_parties_read(p, &d, "查看纠纷").await?;
        } else {
            d = masked(d);
        }
        let case_number = match d.case_id() {
            Some(c) => match self.store.get_case(CaseId(c)).await? {
                Some(case) if crate::permissions::may_view(p, &case).is_ok() => Some(case.number()),
                _ => None,
            },
            None => None,
        };
        let next = if may_act { next_steps(&d) } else { vec![] };
        Ok(DisputeView {
            confirmation_deadline: d.confirmation_deadline(),
            performance_state: d.performance_state(today),
            performance_label: performance_label(d.performance_state(today)),
            case_number,
            may_act,
            next,
            other_routes: rules::OTHER_ROUTES,
            history,
            dispute: d,
        })
    }

    /// Records the next step of a dispute.
    pub async fn act_on_dispute(&self, p: &Principal, id: i64, a: &DisputeAction) -> AppResult<DisputeView> {
        require_any(p, MEDIATION_ROLES)?;
        let d = self.dispute_raw(p, id).await?;
        if d.version != a.version {
            return Err(AppError::Store(StoreError::Conflict { current: d.version as u32 }));
        }
        let mediators = match &a.action {
            DisputeStep::Prepare { .. } => self.mediators(p, Some(d.committee)).await?,
            _ => vec![],
        };
        let now = self.now();
        let (d, what) = apply_step(d, &a.action, &mediators, &p.user.display_name, now)?;
        self.store_dispute(&d, &what, p, now).await?;
        self.dispute(p, id).await
    }

    /// Figures over the disputes `p` may see.
    pub async fn mediation_stats(&self, p: &Principal) -> AppResult<DisputeStats> {
        let all = self.disputes_raw(p, None).await?;
        Ok(stats(&all, local_date(self.now())))
    }

    /// For the dashboard's 调处成功率: (agreed, concluded) over the disputes `p` may see that were
    /// registered from `first` to `last` (Beijing dates) in organisations `within` accepts.
    pub async fn mediation_counts(&self, p: &Principal, first: NaiveDate, last: NaiveDate, within: impl Fn(OrgId) -> bool) -> AppResult<(usize, usize)> {
        let q = DossierQuery { kind: KIND_DISPUTE.into(), orgs: p.visible.clone(), limit: LIST_MAX * 50, ..Default::default() };
        let (mut agreed, mut concluded) = (0, 0);
        for sd in self.store.list_dossiers(&q).await? {
            let day = local_date(sd.created_at);
            if day < first || day > last || !sd.org.is_some_and(&within) {
                continue;
            }
            let d = decode_dispute(&sd)?;
            agreed += usize::from(d.is_agreed());
            concluded += usize::from(d.stage.is_concluded());
        }
        Ok((agreed, concluded))
    }

    /// The leased daily job: reminders for the judicial-confirmation window about to close
    /// without an application, and for performance due soon or overdue; once per dispute,
    /// kind and date.
    pub async fn remind_mediation(&self, job: &str, slot: i64) -> AppResult<String> {
        let now = self.now();
        let today = local_date(now);
        let q = DossierQuery { kind: KIND_DISPUTE.into(), limit: LIST_MAX * 50, ..Default::default() };
        let mut batch = vec![];
        for sd in self.store.list_dossiers(&q).await? {
            if sd.status == "archived" {
                continue;
            }
            let d = decode_dispute(&sd)?;
            batch.extend(reminders_for(&d, today, now, job, slot));
        }
        let n = batch.len();
        let new = self.store.add_duty_reminders(&batch).await?;
        Ok(format!("人民调解提醒 {n} 条，其中新提醒 {new} 条"))
    }

    /// Mediation reminders addressed to the organisations `p` sees, newest first.
    pub async fn mediation_reminders(&self, p: &Principal) -> AppResult<Vec<DutyReminder>> {
        require_any(p, MEDIATION_ROLES)?;
        Ok(self
            .store
            .duty_reminders(None, 5000)
            .await?
            .into_iter()
            .filter(|r| (r.kind == REMIND_CONFIRMATION || r.kind == REMIND_PERFORMANCE) && p.may_see(&[r.unit]))
            .collect())
    }

    /// The dispute's file (卷宗) with its history.
    pub async fn archive_file(&self, p: &Principal, id: i64) -> AppResult<crate::documents::Document> {
        require_any(p, MEDIATION_ROLES)?;
        let d = self.dispute_raw(p, id).await?;
        let history = self.store.dossier_history(id).await?;
        self.log_parties_read(p, &d, "生成卷宗").await?;
        Ok(archive_document(&d, &history))
    }

    /// The 人民调解协议书 of a dispute with a written agreement.
    pub async fn agreement_document(&self, p: &Principal, id: i64) -> AppResult<crate::documents::Document> {
        require_any(p, MEDIATION_ROLES)?;
        let d = self.dispute_raw(p, id).await?;
        let doc = agreement_document(&d).ok_or_else(|| AppError::invalid("document", "该纠纷没有书面调解协议"))?;
        self.log_parties_read(p, &d, "生成人民调解协议书").await?;
        Ok(doc)
    }
}

/// The reminders a dispute calls for on `today` (pure). Period: "dispute id:date".
pub fn reminders_for(d: &Dispute, today: NaiveDate, now: DateTime<Utc>, job: &str, slot: i64) -> Vec<DutyReminder> {
    let mut v = vec![];
    let r = |kind: &str, date: NaiveDate| DutyReminder { unit: d.org, kind: kind.into(), period: format!("{}:{date}", d.id), created_at: now, job: job.into(), slot };
    if let (Some(deadline), None) = (d.confirmation_deadline(), &d.confirmation) {
        if today <= deadline && (deadline - today).num_days() <= REMIND_DAYS {
            v.push(r(REMIND_CONFIRMATION, deadline));
        }
    }
    for p in d.performance.iter().filter(|p| p.done_on.is_none()) {
        if (p.due - today).num_days() <= REMIND_DAYS {
            v.push(r(REMIND_PERFORMANCE, p.due));
        }
    }
    v
}

/// What a reminder says, in Chinese.
pub fn reminder_text(r: &DutyReminder) -> String {
    let (id, date) = r.period.split_once(':').unwrap_or(("", ""));
    match r.kind.as_str() {
        REMIND_CONFIRMATION => format!("纠纷{id}：书面调解协议的司法确认申请期限于{date}届满，尚未登记申请"),
        REMIND_PERFORMANCE => format!("纠纷{id}：调解协议约定{date}前履行的事项尚未登记履行"),
        _ => r.kind.clone(),
    }
}

/// The dispute's file (人民调解卷宗, pure): the registration, every session record, the outcome, judicial
/// confirmation and performance, and the history; archived per dispute.
pub fn archive_document(d: &Dispute, history: &[DutyNote]) -> crate::documents::Document {
    use crate::documents::{date_zh, Block, DocKind, Document};
    let h = |s: &str| Block::Heading { text: s.to_string() };
    let f = |l: &str, v: String| Block::Field { label: l.to_string(), value: v };
    let mut b = vec![h("一、纠纷登记")];
    b.push(f("编号", d.number.clone()));
    b.push(f("来源", if d.source_note.is_empty() { d.source_label().to_string() } else { format!("{}（{}）", d.source_label(), d.source_note) }));
    b.push(f("纠纷类型", d.type_label().to_string()));
    b.push(f("登记", format!("{}，{}", d.registered_by, date_zh(local_date(d.registered_at)))));
    for p in &d.parties {
        b.push(f(p.role_label(), p.name.clone()));
    }
    b.push(f("纠纷简要情况", d.summary.clone()));
    if !d.place.is_empty() {
        b.push(f("发生地", d.place.clone()));
    }
    let names: Vec<&str> = d.mediators.iter().map(|(_, n)| n.as_str()).collect();
    b.push(f("调解员", format!("{}（{}）", names.join("、"), if d.chosen_by_parties { "当事人选择" } else { "调解委员会指定" })));
    for i in &d.invited {
        b.push(f("受邀参与", format!("{}{}（经当事人同意）", i.relation, i.name)));
    }
    b.push(h("二、调解笔录"));
    if d.sessions.is_empty() {
        b.push(Block::Text { text: "未进行调解。".into() });
    }
    for s in &d.sessions {
        b.push(f(
            &format!("第{}次调解", s.no),
            format!("{}，{}{}{}。{}", date_zh(s.on), if s.public { "公开" } else { "不公开" }, if s.place.is_empty() { String::new() } else { format!("，{}", s.place) }, if s.present.is_empty() { String::new() } else { format!("，参加：{}", s.present) }, s.record),
        ));
    }
    for r in &d.risks {
        b.push(f("激化风险", format!("{}；已{}", r.description, r.referral)));
    }
    b.push(h("三、调解结果"));
    b.push(f("结果", d.stage.label_zh().to_string()));
    if let Some(a) = &d.agreement {
        b.push(f(if a.written { "书面协议" } else { "口头协议" }, format!("{}生效。{}", date_zh(a.effective_on), a.terms)));
    }
    if !d.end_reason.is_empty() {
        b.push(f("情况", d.end_reason.clone()));
    }
    if d.stage == Stage::Failed {
        b.push(Block::Text { text: format!("已告知当事人：{}", rules::OTHER_ROUTES) });
    }
    if d.confirmation.is_some() || !d.performance.is_empty() {
        b.push(h("四、司法确认和履行"));
    }
    if let Some(c) = &d.confirmation {
        let result = match c.result.as_str() {
            "confirmed" => "裁定确认有效",
            "rejected" => "裁定驳回",
            _ => "待裁定",
        };
        b.push(f("司法确认", format!("{}向{}申请，{}{}", date_zh(c.applied_on), c.court, result, c.decided_on.map(|x| format!("（{}）", date_zh(x))).unwrap_or_default())));
    }
    for p in &d.performance {
        b.push(f(&format!("履行事项{}", p.no), format!("{}，{}前；{}", p.item, date_zh(p.due), p.done_on.map_or_else(|| "未履行".to_string(), |x| format!("{}已履行", date_zh(x))))));
    }
    b.push(h("五、卷内记录"));
    for n in history {
        b.push(f(&crate::documents::date_zh(local_date(n.at)), format!("{}：{}", n.actor, n.what)));
    }
    Document {
        kind: DocKind::MediationArchive,
        title: "人民调解卷宗".into(),
        number: d.number.clone(),
        addressee: String::new(),
        blocks: b,
        issuer: d.committee_name.clone(),
        date: d.archived_at.map_or_else(|| local_date(d.registered_at), local_date),
        case_number: d.number.clone(),
        footer: format!("{}；{}", d.number, if d.archived_at.is_some() { "已归档" } else { "未归档" }),
        file_stem: format!("人民调解卷宗-{}", d.id),
    }
}

/// The 人民调解协议书 (Art. 29) of a written agreement (pure).
pub fn agreement_document(d: &Dispute) -> Option<crate::documents::Document> {
    use crate::documents::{date_zh, Block, DocKind, Document};
    let a = d.agreement.as_ref().filter(|a| a.written)?;
    let field = |label: &str, value: String| Block::Field { label: label.into(), value };
    let mut b = vec![];
    for p in &d.parties {
        b.push(field(p.role_label(), p.name.clone()));
    }
    b.push(Block::Heading { text: "一、纠纷的主要事实".into() });
    b.push(Block::Text { text: a.facts.clone() });
    b.push(Block::Heading { text: "二、争议事项".into() });
    b.push(Block::Text { text: a.disputed.clone() });
    b.push(Block::Heading { text: "三、各方当事人的责任".into() });
    b.push(Block::Text { text: a.responsibilities.clone() });
    b.push(Block::Heading { text: "四、协议内容".into() });
    b.push(Block::Text { text: format!("经人民调解委员会调解，当事人自愿达成如下协议：\n{}", a.terms) });
    b.push(Block::Heading { text: "五、履行方式和期限".into() });
    let mut how = a.manner.clone();
    if let Some(by) = a.perform_by {
        how.push_str(&format!("；履行期限：{}前", date_zh(by)));
    }
    for p in &d.performance {
        how.push_str(&format!("\n{}．{}（{}前）", p.no, p.item, date_zh(p.due)));
    }
    b.push(Block::Text { text: how });
    b.push(Block::Text {
        text: format!(
            "本协议自各方当事人签名（盖章）、人民调解员签名并加盖人民调解委员会印章之日起生效，当事人应当按照约定履行。本协议一式{}份，当事人、人民调解委员会各执一份。经人民调解委员会调解达成调解协议后，双方当事人认为有必要的，可以自调解协议生效之日起三十日内共同向人民法院申请司法确认。人民调解不收取任何费用。",
            d.parties.len() + 1
        ),
    });
    let names: Vec<String> = d.parties.iter().map(|p| format!("{}：{}（签名）", p.role_label(), p.name)).collect();
    b.push(field("当事人签名", names.join("    ")));
    let mediators: Vec<&str> = d.mediators.iter().map(|(_, n)| n.as_str()).collect();
    b.push(field("人民调解员", format!("{}（签名）", mediators.join("、"))));
    Some(Document {
        kind: DocKind::MediationAgreement,
        title: "人民调解协议书".into(),
        number: d.number.clone(),
        addressee: String::new(),
        blocks: b,
        issuer: format!("{}（印章）", d.committee_name),
        date: a.effective_on,
        case_number: d.number.clone(),
        footer: format!("{}；纠纷类型：{}", d.number, d.type_label()),
        file_stem: format!("人民调解协议书-{}", d.id),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, 10, 2, 0, 0).unwrap()
    }

    fn mediator(id: i64, committee: i64) -> Mediator {
        Mediator { id, version: 1, committee, name: format!("调解员{id}"), gender: Gender::Female, specialty: String::new(), full_time: false, active: true }
    }

    fn dispute() -> Dispute {
        Dispute {
            id: 5,
            version: 1,
            number: "城关调〔2026〕5号".into(),
            committee: 1,
            committee_name: "城关镇人民调解委员会".into(),
            org: OrgId(30),
            source: Source::Application,
            source_note: String::new(),
            dispute_type: "neighbour".into(),
            summary: "相邻通行纠纷".into(),
            place: "幸福村".into(),
            parties: vec![],
            mediators: vec![],
            chosen_by_parties: false,
            invited: vec![],
            sessions: vec![],
            risks: vec![],
            stage: Stage::Accepted,
            agreement: None,
            end_reason: String::new(),
            confirmation: None,
            performance: vec![],
            archived_at: None,
            registered_by: "李登记".into(),
            registered_at: now(),
            personal_data_purged: false,
        }
    }

    fn step(d: Dispute, s: DisputeStep) -> AppResult<Dispute> {
        apply_step(d, &s, &[mediator(7, 1), mediator(8, 2)], "调解员7", now()).map(|(d, _)| d)
    }

    fn party(name: &str, role: &str) -> Party {
        Party { name: name.into(), role: role.into() }
    }

    fn agree(written: bool) -> DisputeStep {
        DisputeStep::Agree {
            written,
            effective_on: "2026-03-10".into(),
            facts: "甲乙两家因通道使用发生争执".into(),
            disputed: "通道通行权".into(),
            responsibilities: "双方均有过错".into(),
            terms: "甲方拆除围挡，乙方赔偿损失500元".into(),
            manner: "当面交付".into(),
            perform_by: "2026-03-31".into(),
            items: vec![PerformanceInput { item: "甲方拆除围挡".into(), due: "2026-03-15".into() }, PerformanceInput { item: "乙方赔偿500元".into(), due: "2026-03-31".into() }],
        }
    }

    fn mediated() -> Dispute {
        let x = step(dispute(), DisputeStep::Prepare { parties: vec![party("张甲", "applicant"), party("王乙", "respondent")], mediators: vec![7], chosen_by_parties: true }).unwrap();
        step(x, DisputeStep::Session { on: "2026-03-09".into(), public: false, place: "村委会".into(), present: "双方当事人".into(), record: "双方陈述".into() }).unwrap()
    }

    #[test]
    fn a_dispute_goes_from_session_to_a_written_agreement_confirmation_and_performance() {
        // Mediators come from the dispute's own committee.
        let other = step(dispute(), DisputeStep::Prepare { parties: vec![], mediators: vec![8], chosen_by_parties: false });
        assert!(other.unwrap_err().to_string().contains("不是本调解委员会"));
        let no_session = step(dispute(), DisputeStep::Session { on: "2026-03-09".into(), public: true, place: String::new(), present: String::new(), record: "x".into() });
        assert!(no_session.unwrap_err().to_string().contains("调解员"));
        let x = mediated();
        assert_eq!(x.stage, Stage::Mediating);
        assert_eq!(x.sessions.len(), 1);
        let not_consented = step(x.clone(), DisputeStep::Invite { name: "刘丙".into(), relation: "邻居".into(), consented: false });
        assert!(not_consented.unwrap_err().to_string().contains("当事人同意"));
        let x = step(x, agree(true)).unwrap();
        assert_eq!(x.stage, Stage::WrittenAgreement);
        assert_eq!(x.performance.len(), 2);
        assert_eq!(x.confirmation_deadline(), Some(d("2026-04-09")));
        assert_eq!(next_steps(&x), ["flag_risk", "apply_confirmation", "perform", "archive"]);
        let late = step(x.clone(), DisputeStep::ApplyConfirmation { applied_on: "2026-04-10".into(), court: "县人民法院".into() });
        assert!(late.unwrap_err().to_string().contains("三十日内"));
        let x = step(x, DisputeStep::ApplyConfirmation { applied_on: "2026-03-10".into(), court: "县人民法院".into() }).unwrap();
        let pending_archive = step(x.clone(), DisputeStep::Archive);
        assert!(pending_archive.unwrap_err().to_string().contains("裁定后"));
        let x = step(x, DisputeStep::ConfirmationResult { result: "confirmed".into(), decided_on: "2026-03-10".into(), note: String::new() }).unwrap();
        assert_eq!(x.confirmation.as_ref().unwrap().result, "confirmed");
        assert_eq!(x.performance_state(d("2026-03-16")), "overdue");
        let x = step(x, DisputeStep::Perform { no: 1, done_on: "2026-03-10".into(), note: String::new() }).unwrap();
        assert_eq!(x.performance_state(d("2026-03-16")), "pending");
        let again = step(x.clone(), DisputeStep::Perform { no: 1, done_on: "2026-03-10".into(), note: String::new() });
        assert!(again.is_err());
        let x = step(x, DisputeStep::Archive).unwrap();
        assert!(x.archived_at.is_some());
        assert!(step(x, DisputeStep::FlagRisk { description: "x".into(), referral: "y".into() }).is_err(), "archived is final");
    }

    #[test]
    fn refusal_failure_and_the_figures() {
        let stopped = step(dispute(), DisputeStep::Refuse { reason: "被申请人明确拒绝".into() }).unwrap();
        assert_eq!(stopped.stage, Stage::Stopped);
        let agree_first = step(dispute(), agree(false));
        assert!(agree_first.is_err(), "no agreement before a session");
        let failed = step(mediated(), DisputeStep::Fail { reason: "分歧过大".into() }).unwrap();
        assert_eq!(failed.stage, Stage::Failed);
        let oral = step(mediated(), agree(false)).unwrap();
        assert_eq!(oral.stage, Stage::OralAgreement);
        assert_eq!(oral.confirmation_deadline(), None, "oral agreements are not confirmed by courts");
        let written = step(mediated(), agree(true)).unwrap();
        let open = mediated();
        let s = stats(&[stopped, failed, oral, written.clone(), open], d("2026-03-12"));
        assert_eq!((s.total, s.concluded, s.agreed, s.written, s.oral, s.failed, s.stopped), (5, 4, 2, 1, 1, 1, 1));
        assert_eq!(s.success_rate, Some(50.0));
        assert_eq!((s.with_performance, s.performed), (2, 0));
        assert_eq!(s.by_type, vec![("邻里纠纷".to_string(), 5)]);
        // Reminders: the confirmation window within 7 days of closing, performance within 7 days.
        let r = reminders_for(&written, d("2026-04-03"), now(), "j", 1);
        let kinds: Vec<(&str, &str)> = r.iter().map(|r| (r.kind.as_str(), r.period.as_str())).collect();
        assert_eq!(kinds, vec![(REMIND_CONFIRMATION, "5:2026-04-09"), (REMIND_PERFORMANCE, "5:2026-03-15"), (REMIND_PERFORMANCE, "5:2026-03-31")]);
        assert!(reminders_for(&written, d("2026-03-01"), now(), "j", 1).is_empty());
        assert!(reminder_text(&r[0]).contains("司法确认"));
    }

    #[test]
    fn the_agreement_document_names_the_parties_terms_and_the_thirty_days() {
        let x = step(mediated(), agree(true)).unwrap();
        let doc = agreement_document(&x).unwrap();
        assert_eq!(doc.title, "人民调解协议书");
        let text = format!("{doc:?}");
        for want in ["张甲", "王乙", "通道通行权", "乙方赔偿损失500元", "三十日内", "不收取任何费用", "调解员7", "城关镇人民调解委员会"] {
            assert!(text.contains(want), "{want}");
        }
        assert!(agreement_document(&step(mediated(), agree(false)).unwrap()).is_none());
        let file = format!("{:?}", archive_document(&x, &[DutyNote { at: now(), actor: "调解员7".into(), what: "达成书面调解协议".into() }]));
        for want in ["人民调解卷宗", "第1次调解", "双方陈述", "书面协议", "卷内记录", "达成书面调解协议"] {
            assert!(file.contains(want), "{want}");
        }
    }
}
