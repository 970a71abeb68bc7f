//! Social stability risk assessment (社会稳定风险评估, issue 7) of a project in the register
//! ([`crate::assessment`]) as a guided workflow of the six steps, each with its records and a
//! checklist:
//!
//! 1. 制定评估方案 — scope, methods, schedule, team;
//! 2. 广泛征求意见 — a public notice and a questionnaire residents fill in on the portal
//!    (anonymous: an affected group, a town and a position, never a name), hearings and meetings
//!    with attendance and positions; tallies of support and opposition by group and place;
//! 3. 分析预测风险 — a risk register across legality, reasonableness, feasibility and
//!    controllability, each scored likelihood × impact with its evidence;
//! 4. 形成评估结论 — high / medium / low from [`redress_domain::assessment::conclude`], which
//!    the assessor may override with a written reason;
//! 5. 制定维稳方案 — measures with owner, deadline and status;
//! 6. 全程跟踪督查 — after the decision: measure follow-up, and the grievances whose place and
//!    category match the project (linked automatically, [`App::assessment_project_cases`]).
//!
//! The report is filed (报备) to the higher level, which accepts it or sends it back with a note;
//! the 评估报告 follows the standard outline (DOCX and HTML). Everything is about the project and
//! the places it touches; no person is scored. Records are dossiers of kind `assessment` (one per
//! project) and `response` (one per questionnaire answer, parent = the assessment).

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use redress_domain::assessment::{Conclusion, Dimension, Level, Project, ProjectStage, Risk, Tally};
use redress_domain::{local_date, OrgId, Role};
use redress_store::{DossierQuery, DutyNote, StoreError, StoredDossier};
use serde::{Deserialize, Serialize};

use crate::auth::Principal;
use crate::campaigns::{clean, corrupt, to_json};
use crate::error::{AppError, AppResult};
use crate::nil_reports::parse_date;
use crate::permissions::require_any;
use crate::App;

pub const KIND_ASSESSMENT: &str = "assessment";
pub const KIND_RESPONSE: &str = "response";
/// Who carries out an assessment (the responsible unit's staff and the offices).
pub const ASSESSOR_ROLES: &[Role] = &[Role::Admin, Role::IntakeClerk, Role::Handler, Role::UnitHead, Role::Supervisor];
/// The higher level that receives the filing (报备) and accepts it or sends it back.
pub const REVIEWER_ROLES: &[Role] = &[Role::Admin, Role::Leader];

const TEXT_MAX: usize = 4000;

/// The six steps and their checklists.
pub const STEPS: [(&str, &[&str]); 6] = [
    ("制定评估方案", &["确定评估主体和评估小组", "明确评估范围和重点", "确定评估方法（问卷、座谈、听证、走访）", "制定工作时间表"]),
    ("广泛征求意见", &["发布评估公告", "开展问卷调查", "召开座谈会或听证会", "走访受影响群众", "汇总分析各方意见"]),
    ("分析预测风险", &["合法性分析", "合理性分析", "可行性分析", "可控性分析", "逐项评定可能性和影响程度"]),
    ("形成评估结论", &["确定风险等级", "提出是否实施的建议", "评估小组集体研究"]),
    ("制定维稳方案", &["制定风险防范化解措施", "明确责任单位和完成时限", "制定应急处置预案"]),
    ("全程跟踪督查", &["跟踪措施落实", "关注决策实施后的群众诉求", "及时调整完善措施"]),
];

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Plan {
    pub scope: String,
    pub methods: String,
    pub schedule: String,
    #[serde(default)]
    pub team: String,
}

/// The public notice (评估公告), shown on the portal until `until`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Notice {
    pub text: String,
    pub from: NaiveDate,
    pub until: NaiveDate,
}

/// A hearing, forum or visit with its attendance and the positions heard.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Meeting {
    pub no: u32,
    /// `hearing` (听证会), `forum` (座谈会) or `visit` (走访).
    pub kind: String,
    pub on: NaiveDate,
    pub place: String,
    pub attendance: u32,
    /// The affected group the positions come from.
    pub group: String,
    pub town: Option<OrgId>,
    pub tally: Tally,
    pub summary: String,
}

impl Meeting {
    pub fn kind_label(&self) -> &'static str {
        match self.kind.as_str() {
            "hearing" => "听证会",
            "forum" => "座谈会",
            _ => "走访",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Measure {
    pub no: u32,
    pub text: String,
    pub owner: String,
    pub deadline: NaiveDate,
    /// `planned` or `done`.
    pub status: String,
    pub done_on: Option<NaiveDate>,
}

impl Measure {
    pub fn on_time(&self) -> bool {
        self.done_on.is_some_and(|d| d <= self.deadline)
    }
    pub fn status_label(&self, today: NaiveDate) -> &'static str {
        match self.done_on {
            Some(d) if d <= self.deadline => "按期完成",
            Some(_) => "逾期完成",
            None if today > self.deadline => "逾期未完成",
            None => "落实中",
        }
    }
}

/// 报备: filed to the higher level, which accepts or sends back.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Filing {
    pub filed_on: NaiveDate,
    pub to: String,
    /// `pending`, `accepted` or `returned`.
    pub result: String,
    pub note: String,
    pub decided_on: Option<NaiveDate>,
    pub by: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FollowUp {
    pub on: NaiveDate,
    pub note: String,
    pub by: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Assessment {
    #[serde(default)]
    pub id: i64,
    #[serde(default)]
    pub version: i64,
    pub project_id: String,
    pub project_name: String,
    pub org: OrgId,
    pub plan: Option<Plan>,
    /// Checked items: "step.item" (1-based) → who ticked it.
    pub checked: BTreeMap<String, String>,
    pub notice: Option<Notice>,
    /// The questionnaire's questions (free-text answers), and whether the portal takes answers.
    pub questions: Vec<String>,
    pub questionnaire_open: bool,
    /// The affected groups residents choose from (被征收户、周边居民、商户……).
    pub groups: Vec<String>,
    pub meetings: Vec<Meeting>,
    pub risks: Vec<Risk>,
    pub conclusion: Option<Conclusion>,
    pub measures: Vec<Measure>,
    pub filing: Option<Filing>,
    pub follow_ups: Vec<FollowUp>,
    pub started_by: String,
    pub started_at: DateTime<Utc>,
}

impl Assessment {
    /// A new assessment of `project`, with nothing recorded yet (id and version 0).
    pub fn new(project: &Project, by: &str, at: DateTime<Utc>) -> Assessment {
        Assessment {
            id: 0,
            version: 0,
            project_id: project.id.clone(),
            project_name: project.name.clone(),
            org: project.responsible_unit,
            plan: None,
            checked: BTreeMap::new(),
            notice: None,
            questions: vec![],
            questionnaire_open: false,
            groups: vec![],
            meetings: vec![],
            risks: vec![],
            conclusion: None,
            measures: vec![],
            filing: None,
            follow_ups: vec![],
            started_by: by.to_string(),
            started_at: at,
        }
    }
}

/// One resident's answer from the portal (anonymous).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Response {
    pub group: String,
    pub town: Option<OrgId>,
    /// `support`, `oppose` or `neutral`.
    pub position: String,
    pub answers: Vec<String>,
    pub comment: String,
    pub at: DateTime<Utc>,
}

/// What a resident sends.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ResponseInput {
    pub group: String,
    #[serde(default)]
    pub town: Option<OrgId>,
    pub position: String,
    #[serde(default)]
    pub answers: Vec<String>,
    #[serde(default)]
    pub comment: String,
}

/// Tallies of positions: all, by group and by town.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Tallies {
    pub all: Tally,
    pub by_group: Vec<(String, Tally)>,
    pub by_town: Vec<(String, Tally)>,
    pub responses: usize,
    pub meeting_attendance: u32,
}

fn add(t: &mut Tally, position: &str, n: u32) {
    match position {
        "support" => t.support += n,
        "oppose" => t.oppose += n,
        _ => t.neutral += n,
    }
}

fn sum(a: &mut Tally, b: &Tally) {
    a.support += b.support;
    a.oppose += b.oppose;
    a.neutral += b.neutral;
}

/// The tallies over the portal's responses and the meetings' positions (pure).
pub fn tallies(a: &Assessment, responses: &[Response], town_name: &dyn Fn(OrgId) -> String) -> Tallies {
    let mut all = Tally::default();
    let mut by_group: BTreeMap<String, Tally> = BTreeMap::new();
    let mut by_town: BTreeMap<String, Tally> = BTreeMap::new();
    let town = |t: Option<OrgId>| t.map_or_else(|| "未注明".to_string(), town_name);
    for r in responses {
        add(&mut all, &r.position, 1);
        add(by_group.entry(r.group.clone()).or_default(), &r.position, 1);
        add(by_town.entry(town(r.town)).or_default(), &r.position, 1);
    }
    for m in &a.meetings {
        sum(&mut all, &m.tally);
        sum(by_group.entry(m.group.clone()).or_default(), &m.tally);
        sum(by_town.entry(town(m.town)).or_default(), &m.tally);
    }
    Tallies {
        all,
        by_group: by_group.into_iter().collect(),
        by_town: by_town.into_iter().collect(),
        responses: responses.len(),
        meeting_attendance: a.meetings.iter().map(|m| m.attendance).sum(),
    }
}

/// The step the assessment is at (1–6), from what it holds (pure): a step is done when its
/// records are there.
pub fn current_step(a: &Assessment) -> usize {
    let dims = [Dimension::Legality, Dimension::Reasonableness, Dimension::Feasibility, Dimension::Controllability];
    if a.plan.is_none() {
        1
    } else if a.notice.is_none() || (a.meetings.is_empty() && !a.questionnaire_open && a.questions.is_empty()) {
        2
    } else if !dims.iter().all(|d| a.risks.iter().any(|r| r.dimension == *d)) {
        3
    } else if a.conclusion.is_none() {
        4
    } else if a.measures.is_empty() || a.filing.as_ref().is_none_or(|f| f.result != "accepted") {
        5
    } else {
        6
    }
}

/// What a step still lacks, in Chinese (pure), for the page's guide.
pub fn missing(a: &Assessment, step: usize) -> Vec<String> {
    let mut v = vec![];
    match step {
        1 if a.plan.is_none() => v.push("填写评估方案（范围、方法、时间安排）".into()),
        2 => {
            if a.notice.is_none() {
                v.push("发布评估公告".into());
            }
            if a.meetings.is_empty() && a.questions.is_empty() {
                v.push("开展问卷调查或召开座谈会、听证会".into());
            }
        }
        3 => {
            for d in [Dimension::Legality, Dimension::Reasonableness, Dimension::Feasibility, Dimension::Controllability] {
                if !a.risks.iter().any(|r| r.dimension == d) {
                    v.push(format!("{}分析（至少登记一项，无明显风险的按1分登记并写明依据）", d.label_zh()));
                }
            }
        }
        4 if a.conclusion.is_none() => v.push("形成评估结论".into()),
        5 => {
            if a.measures.is_empty() {
                v.push("制定风险防范化解措施".into());
            }
            match &a.filing {
                None => v.push("向上级报备评估报告".into()),
                Some(f) if f.result == "pending" => v.push("等待上级审核报备".into()),
                Some(f) if f.result == "returned" => v.push(format!("上级退回：{}，修改后重新报备", f.note)),
                _ => {}
            }
        }
        _ => {}
    }
    v
}

/// A step of the workflow; `version` is the one read.
#[derive(Debug, Clone, Deserialize)]
pub struct AssessmentAction {
    pub version: i64,
    #[serde(flatten)]
    pub action: AssessmentStep,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum AssessmentStep {
    Plan { scope: String, methods: String, schedule: String, #[serde(default)] team: String },
    Check { step: usize, item: usize, done: bool },
    Notice { text: String, from: String, until: String },
    Questionnaire { questions: Vec<String>, groups: Vec<String>, open: bool },
    Meeting {
        kind: String,
        on: String,
        #[serde(default)]
        place: String,
        attendance: u32,
        group: String,
        #[serde(default)]
        town: Option<OrgId>,
        support: u32,
        oppose: u32,
        #[serde(default)]
        neutral: u32,
        summary: String,
    },
    Risk { dimension: Dimension, description: String, likelihood: u8, impact: u8, evidence: String },
    RemoveRisk { no: usize },
    Conclude {
        #[serde(default)]
        level: Option<Level>,
        #[serde(default)]
        override_reason: String,
    },
    Measure { text: String, owner: String, deadline: String },
    MeasureDone { no: u32, done_on: String },
    File { to: String },
    Review { result: String, #[serde(default)] note: String },
    FollowUp { note: String },
}

/// An assessment with what the page shows beside it.
#[derive(Debug, Clone, Serialize)]
pub struct AssessmentView {
    pub assessment: Assessment,
    pub project: Option<Project>,
    pub step: usize,
    pub step_name: &'static str,
    pub missing: Vec<String>,
    pub tallies: Tallies,
    /// The computed level and its reason, before any override.
    pub computed: (Level, String),
    /// Risks with their score and band: (index, score, band label).
    pub matrix: Vec<(usize, u8, &'static str)>,
    pub history: Vec<DutyNote>,
    pub may_act: bool,
    pub may_review: bool,
    /// Grievances linked to the project after the decision (全程跟踪), and in all.
    pub complaints_after_decision: usize,
    pub complaints: usize,
}

fn decode(d: &StoredDossier) -> AppResult<Assessment> {
    let mut a: Assessment = serde_json::from_str(&d.data).map_err(|e| corrupt("稳评", e))?;
    (a.id, a.version) = (d.id, d.version);
    Ok(a)
}

/// The assessment as the store keeps it (an insert when its id is 0).
fn stored(a: &Assessment, now: DateTime<Utc>) -> AppResult<StoredDossier> {
    Ok(StoredDossier {
        id: a.id,
        kind: KIND_ASSESSMENT.into(),
        version: a.version,
        status: status_of(a),
        org: Some(a.org),
        case_id: None,
        parent: None,
        created_at: a.started_at,
        updated_at: now,
        data: to_json(a)?,
    })
}

fn status_of(a: &Assessment) -> String {
    match &a.filing {
        Some(f) => format!("filed_{}", f.result),
        None => format!("step{}", current_step(a)),
    }
}

fn lines(v: &[String], max: usize, field: &str) -> AppResult<Vec<String>> {
    let out: Vec<String> = v.iter().map(|s| s.trim().to_string()).filter(|s| !s.is_empty()).collect();
    if out.len() > max {
        return Err(AppError::invalid(field, format!("不超过{max}项")));
    }
    if out.iter().any(|s| s.chars().count() > 500) {
        return Err(AppError::invalid(field, "每项不超过500字"));
    }
    Ok(out)
}

/// Applies one step (pure); returns the changed assessment and the history note.
pub fn apply(mut a: Assessment, step: &AssessmentStep, project: Option<&Project>, tally: Tally, by: &str, today: NaiveDate) -> AppResult<(Assessment, String)> {
    let filed_pending = a.filing.as_ref().is_some_and(|f| f.result == "pending");
    let editing = !matches!(step, AssessmentStep::Review { .. } | AssessmentStep::FollowUp { .. } | AssessmentStep::MeasureDone { .. } | AssessmentStep::Check { .. });
    if filed_pending && editing {
        return Err(AppError::invalid("action", "评估报告已报备，待上级审核期间不能修改"));
    }
    let note = match step {
        AssessmentStep::Plan { scope, methods, schedule, team } => {
            a.plan = Some(Plan {
                scope: clean("scope", scope, TEXT_MAX, "请填写评估范围和重点")?,
                methods: clean("methods", methods, TEXT_MAX, "请填写评估方法")?,
                schedule: clean("schedule", schedule, TEXT_MAX, "请填写时间安排")?,
                team: clean("team", team, 1000, "")?,
            });
            "制定评估方案".to_string()
        }
        AssessmentStep::Check { step, item, done } => {
            let (name, items) = STEPS.get(step.wrapping_sub(1)).ok_or_else(|| AppError::invalid("step", "步骤不存在"))?;
            let label = items.get(item.wrapping_sub(1)).ok_or_else(|| AppError::invalid("item", "检查项不存在"))?;
            let key = format!("{step}.{item}");
            if *done {
                a.checked.insert(key, by.to_string());
                format!("{name}：完成“{label}”")
            } else {
                a.checked.remove(&key);
                format!("{name}：取消“{label}”")
            }
        }
        AssessmentStep::Notice { text, from, until } => {
            let (from, until) = (parse_date("from", from)?, parse_date("until", until)?);
            if until < from {
                return Err(AppError::invalid("until", "公告截止日期不能早于开始日期"));
            }
            a.notice = Some(Notice { text: clean("text", text, TEXT_MAX, "请填写公告内容")?, from, until });
            format!("发布评估公告（{from}至{until}）")
        }
        AssessmentStep::Questionnaire { questions, groups, open } => {
            let questions = lines(questions, 20, "questions")?;
            let groups = lines(groups, 20, "groups")?;
            if *open && groups.is_empty() {
                return Err(AppError::invalid("groups", "请填写受影响群体（如被征收户、周边居民），供群众填写问卷时选择"));
            }
            a.questions = questions;
            a.groups = groups;
            a.questionnaire_open = *open;
            format!("问卷{}（{}个问题）", if *open { "开放填写" } else { "停止填写" }, a.questions.len())
        }
        AssessmentStep::Meeting { kind, on, place, attendance, group, town, support, oppose, neutral, summary } => {
            if !matches!(kind.as_str(), "hearing" | "forum" | "visit") {
                return Err(AppError::invalid("kind", "请选择听证会、座谈会或走访"));
            }
            let on = parse_date("on", on)?;
            if on > today {
                return Err(AppError::invalid("on", "日期不能晚于今天"));
            }
            if support + oppose + neutral > *attendance {
                return Err(AppError::invalid("support", "表态人数之和不能超过参加人数"));
            }
            if let (Some(t), Some(p)) = (town, project) {
                if !p.towns.contains(t) {
                    return Err(AppError::invalid("town", "该乡镇不在评估事项涉及范围内"));
                }
            }
            let m = Meeting {
                no: a.meetings.len() as u32 + 1,
                kind: kind.clone(),
                on,
                place: clean("place", place, 200, "")?,
                attendance: *attendance,
                group: clean("group", group, 100, "请填写参加人员所属群体")?,
                town: *town,
                tally: Tally { support: *support, oppose: *oppose, neutral: *neutral },
                summary: clean("summary", summary, TEXT_MAX, "请填写会议或走访情况")?,
            };
            let note = format!("{}（{}，{}人参加，支持{} 反对{} 中立{}）", m.kind_label(), m.on, m.attendance, support, oppose, neutral);
            a.meetings.push(m);
            note
        }
        AssessmentStep::Risk { dimension, description, likelihood, impact, evidence } => {
            let r = Risk { dimension: *dimension, description: description.trim().to_string(), likelihood: *likelihood, impact: *impact, evidence: evidence.trim().to_string() };
            r.validate().map_err(|(f, m)| AppError::invalid(f, m))?;
            let note = format!("登记{}风险：{}（可能性{}×影响{}={}，{}）", dimension.label_zh(), r.description, likelihood, impact, r.score(), r.band().label_zh());
            a.risks.push(r);
            a.conclusion = None; // a new risk asks for the conclusion again
            note
        }
        AssessmentStep::RemoveRisk { no } => {
            if *no == 0 || *no > a.risks.len() {
                return Err(AppError::invalid("no", "风险不存在"));
            }
            let r = a.risks.remove(no - 1);
            a.conclusion = None;
            format!("删除风险：{}", r.description)
        }
        AssessmentStep::Conclude { level, override_reason } => {
            if current_step(&a) < 4 {
                return Err(AppError::invalid("action", "请先完成风险分析（合法性、合理性、可行性、可控性）"));
            }
            let c = Conclusion::new(&a.risks, tally, *level, override_reason).map_err(|(f, m)| AppError::invalid(f, m))?;
            let note = if c.level == c.computed {
                format!("形成评估结论：{}。{}", c.level.label_zh(), c.computed_reason)
            } else {
                format!("形成评估结论：{}（测算为{}，调整理由：{}）", c.level.label_zh(), c.computed.label_zh(), c.override_reason)
            };
            a.conclusion = Some(c);
            note
        }
        AssessmentStep::Measure { text, owner, deadline } => {
            if a.conclusion.is_none() {
                return Err(AppError::invalid("action", "请先形成评估结论"));
            }
            let m = Measure {
                no: a.measures.iter().map(|m| m.no).max().unwrap_or(0) + 1,
                text: clean("text", text, 1000, "请填写措施内容")?,
                owner: clean("owner", owner, 100, "请填写责任单位")?,
                deadline: parse_date("deadline", deadline)?,
                status: "planned".into(),
                done_on: None,
            };
            let note = format!("制定措施{}：{}（{}，{}前）", m.no, m.text, m.owner, m.deadline);
            a.measures.push(m);
            note
        }
        AssessmentStep::MeasureDone { no, done_on } => {
            let done_on = parse_date("done_on", done_on)?;
            if done_on > today {
                return Err(AppError::invalid("done_on", "完成日期不能晚于今天"));
            }
            let m = a.measures.iter_mut().find(|m| m.no == *no).ok_or_else(|| AppError::invalid("no", "措施不存在"))?;
            if m.done_on.is_some() {
                return Err(AppError::invalid("no", "该措施已登记完成"));
            }
            m.done_on = Some(done_on);
            m.status = "done".into();
            format!("措施{}已完成（{}，{}）", m.no, done_on, if m.on_time() { "按期" } else { "逾期" })
        }
        AssessmentStep::File { to } => {
            if a.conclusion.is_none() || a.measures.is_empty() {
                return Err(AppError::invalid("action", "形成评估结论并制定维稳方案后方可报备"));
            }
            if a.filing.as_ref().is_some_and(|f| f.result == "accepted") {
                return Err(AppError::invalid("action", "评估报告已经上级审核通过"));
            }
            let to = clean("to", to, 100, "请填写报备的上级机关")?;
            a.filing = Some(Filing { filed_on: today, to: to.clone(), result: "pending".into(), note: String::new(), decided_on: None, by: by.to_string() });
            format!("向{to}报备评估报告")
        }
        AssessmentStep::Review { result, note } => {
            let Some(f) = a.filing.as_mut().filter(|f| f.result == "pending") else {
                return Err(AppError::invalid("action", "没有待审核的报备"));
            };
            let note = clean("note", note, 1000, "")?;
            match result.as_str() {
                "accepted" => {}
                "returned" if note.is_empty() => return Err(AppError::invalid("note", "退回时请写明修改意见")),
                "returned" => {}
                _ => return Err(AppError::invalid("result", "请选择审核结果")),
            }
            f.result = result.clone();
            f.note = note.clone();
            f.decided_on = Some(today);
            if result == "accepted" {
                "上级审核通过报备".to_string()
            } else {
                format!("上级退回报备：{note}")
            }
        }
        AssessmentStep::FollowUp { note } => {
            let note = clean("note", note, TEXT_MAX, "请填写跟踪督查情况")?;
            a.follow_ups.push(FollowUp { on: today, note: note.clone(), by: by.to_string() });
            format!("跟踪督查：{note}")
        }
    };
    Ok((a, note))
}

/// Figures of the assessments (统计).
#[derive(Debug, Clone, Default, Serialize)]
pub struct AssessmentStats {
    /// Entries of the register, and of them those that require assessment.
    pub projects: usize,
    pub required: usize,
    /// Assessments started, and concluded (with a level).
    pub started: usize,
    pub assessed: usize,
    pub by_level: Vec<(String, usize)>,
    pub filed: usize,
    pub accepted: usize,
    pub measures: usize,
    pub measures_done: usize,
    pub measures_on_time: usize,
    /// Measures done on time ÷ measures whose deadline has passed or that are done, percent.
    pub on_time_rate: Option<f64>,
    /// Grievances about decided projects registered after the decision.
    pub complaints_after_decision: usize,
}

/// A consultation open on the portal.
#[derive(Debug, Clone, Serialize)]
pub struct PublicConsultation {
    pub id: i64,
    pub project_name: String,
    pub notice: Option<Notice>,
    pub questions: Vec<String>,
    pub groups: Vec<String>,
    /// The project's towns, for the form: (id, name).
    pub towns: Vec<(OrgId, String)>,
    pub open: bool,
}

impl App {
    fn may_read_assessment(&self, p: &Principal, org: OrgId) -> bool {
        p.may_see(&[org]) || p.has_any(REVIEWER_ROLES) || p.has(Role::Auditor)
    }

    /// Starts the assessment of a project in the register (one per project).
    pub async fn start_assessment(&self, p: &Principal, project_id: &str) -> AppResult<AssessmentView> {
        require_any(p, ASSESSOR_ROLES)?;
        let project = self.assessment_projects().await?.into_iter().find(|x| x.id == project_id).ok_or_else(|| AppError::invalid("project", "稳评事项登记中没有该事项"))?;
        if !project.assessment_required {
            return Err(AppError::invalid("project", format!("该事项登记为不需评估：{}", project.required_reason)));
        }
        if project.stage == ProjectStage::Stopped {
            return Err(AppError::invalid("project", "该事项已终止或暂缓"));
        }
        if !p.may_see(&[project.responsible_unit]) && !p.has(Role::Admin) {
            return Err(AppError::forbidden("只有责任单位或信访工作机构可以开展该事项的评估"));
        }
        if let Some(existing) = self.assessment_of_project(project_id).await? {
            return Err(AppError::invalid("project", format!("该事项已开展评估（编号{}）", existing.id)));
        }
        let now = self.now();
        let a = Assessment::new(&project, &p.user.display_name, now);
        let id = self.store.save_dossier(&stored(&a, now)?, &DutyNote { at: now, actor: p.user.display_name.clone(), what: format!("启动“{}”社会稳定风险评估", a.project_name) }).await?;
        self.assessment(p, id).await
    }

    async fn assessment_of_project(&self, project_id: &str) -> AppResult<Option<Assessment>> {
        for d in self.store.list_dossiers(&DossierQuery { kind: KIND_ASSESSMENT.into(), limit: 10_000, ..Default::default() }).await? {
            let a = decode(&d)?;
            if a.project_id == project_id {
                return Ok(Some(a));
            }
        }
        Ok(None)
    }

    /// Assessments `p` may see, newest first.
    pub async fn assessments(&self, p: &Principal) -> AppResult<Vec<Assessment>> {
        let mut out = vec![];
        for d in self.store.list_dossiers(&DossierQuery { kind: KIND_ASSESSMENT.into(), limit: 10_000, ..Default::default() }).await? {
            let a = decode(&d)?;
            if self.may_read_assessment(p, a.org) {
                out.push(a);
            }
        }
        Ok(out)
    }

    async fn assessment_raw(&self, p: &Principal, id: i64) -> AppResult<Assessment> {
        let d = self.store.get_dossier(id).await?.filter(|d| d.kind == KIND_ASSESSMENT).ok_or(AppError::NotFound("该评估"))?;
        let a = decode(&d)?;
        if !self.may_read_assessment(p, a.org) {
            return Err(AppError::NotFound("该评估"));
        }
        Ok(a)
    }

    async fn responses(&self, id: i64) -> AppResult<Vec<Response>> {
        let q = DossierQuery { kind: KIND_RESPONSE.into(), parent: Some(id), limit: 100_000, ..Default::default() };
        self.store.list_dossiers(&q).await?.iter().map(|d| serde_json::from_str(&d.data).map_err(|e| corrupt("问卷", e))).collect()
    }

    async fn tallies_of(&self, a: &Assessment) -> AppResult<Tallies> {
        let cfg = self.cfg().await?;
        let responses = self.responses(a.id).await?;
        Ok(tallies(a, &responses, &|o| cfg.tree.get(o).map_or_else(|| format!("#{}", o.0), |x| x.name.clone())))
    }

    /// An assessment with its step, what is missing, tallies, matrix and linked grievances.
    pub async fn assessment(&self, p: &Principal, id: i64) -> AppResult<AssessmentView> {
        let a = self.assessment_raw(p, id).await?;
        let project = self.assessment_projects().await?.into_iter().find(|x| x.id == a.project_id);
        let t = self.tallies_of(&a).await?;
        let step = current_step(&a);
        let (complaints, complaints_after_decision) = match &project {
            Some(_) => {
                let pc = self.assessment_project_cases(p, &a.project_id).await?;
                (pc.total, pc.after_decision)
            }
            None => (0, 0),
        };
        Ok(AssessmentView {
            step,
            step_name: STEPS[step - 1].0,
            missing: missing(&a, step),
            computed: redress_domain::assessment::conclude(&a.risks, t.all),
            matrix: a.risks.iter().enumerate().map(|(i, r)| (i + 1, r.score(), r.band().label_zh())).collect(),
            tallies: t,
            history: self.store.dossier_history(id).await?,
            may_act: p.has_any(ASSESSOR_ROLES) && (p.may_see(&[a.org]) || p.has(Role::Admin)),
            may_review: p.has_any(REVIEWER_ROLES),
            complaints,
            complaints_after_decision,
            project,
            assessment: a,
        })
    }

    /// Records one step of the workflow. 报备 review is for the higher level only.
    pub async fn act_on_assessment(&self, p: &Principal, id: i64, act: &AssessmentAction) -> AppResult<AssessmentView> {
        let a = self.assessment_raw(p, id).await?;
        match act.action {
            AssessmentStep::Review { .. } => require_any(p, REVIEWER_ROLES)?,
            _ => {
                require_any(p, ASSESSOR_ROLES)?;
                if !p.may_see(&[a.org]) && !p.has(Role::Admin) {
                    return Err(AppError::forbidden("只有责任单位或信访工作机构可以开展该事项的评估"));
                }
            }
        }
        if a.version != act.version {
            return Err(AppError::Store(StoreError::Conflict { current: a.version as u32 }));
        }
        let project = self.assessment_projects().await?.into_iter().find(|x| x.id == a.project_id);
        let t = self.tallies_of(&a).await?;
        let now = self.now();
        let (a, what) = apply(a, &act.action, project.as_ref(), t.all, &p.user.display_name, local_date(now))?;
        self.store.save_dossier(&stored(&a, now)?, &DutyNote { at: now, actor: p.user.display_name.clone(), what }).await?;
        self.assessment(p, id).await
    }

    /// Consultations shown on the portal: a notice within its dates or an open questionnaire.
    pub async fn public_consultations(&self) -> AppResult<Vec<PublicConsultation>> {
        let today = local_date(self.now());
        let cfg = self.cfg().await?;
        let projects = self.assessment_projects().await?;
        let mut out = vec![];
        for d in self.store.list_dossiers(&DossierQuery { kind: KIND_ASSESSMENT.into(), limit: 10_000, ..Default::default() }).await? {
            let a = decode(&d)?;
            let notice = a.notice.clone().filter(|n| n.from <= today && today <= n.until);
            if notice.is_none() && !a.questionnaire_open {
                continue;
            }
            let towns = projects
                .iter()
                .find(|x| x.id == a.project_id)
                .map(|x| x.towns.iter().map(|t| (*t, cfg.tree.get(*t).map_or_else(String::new, |o| o.name.clone()))).collect())
                .unwrap_or_default();
            out.push(PublicConsultation { id: a.id, project_name: a.project_name, notice, questions: a.questions, groups: a.groups, towns, open: a.questionnaire_open });
        }
        Ok(out)
    }

    /// A resident's questionnaire answer (anonymous; the caller limits the rate).
    pub async fn submit_response(&self, id: i64, input: &ResponseInput) -> AppResult<()> {
        let c = self.public_consultations().await?.into_iter().find(|c| c.id == id && c.open).ok_or(AppError::NotFound("该问卷"))?;
        if !c.groups.contains(&input.group) {
            return Err(AppError::invalid("group", "请选择您所属的群体"));
        }
        if let Some(t) = input.town {
            if !c.towns.iter().any(|(x, _)| *x == t) {
                return Err(AppError::invalid("town", "请选择评估事项涉及的乡镇（街道）"));
            }
        }
        if !matches!(input.position.as_str(), "support" | "oppose" | "neutral") {
            return Err(AppError::invalid("position", "请选择您的态度：支持、反对或无所谓"));
        }
        if input.answers.len() > c.questions.len() {
            return Err(AppError::invalid("answers", "回答数量多于问题数量"));
        }
        let answers = input.answers.iter().map(|s| clean("answers", s, 1000, "")).collect::<AppResult<Vec<_>>>()?;
        let now = self.now();
        let r = Response { group: input.group.clone(), town: input.town, position: input.position.clone(), answers, comment: clean("comment", &input.comment, 2000, "")?, at: now };
        let stored = StoredDossier {
            id: 0,
            kind: KIND_RESPONSE.into(),
            version: 0,
            status: r.position.clone(),
            org: input.town,
            case_id: None,
            parent: Some(id),
            created_at: now,
            updated_at: now,
            data: to_json(&r)?,
        };
        self.store.save_dossier(&stored, &DutyNote { at: now, actor: "群众（问卷）".into(), what: "提交问卷".into() }).await?;
        Ok(())
    }

    /// Figures over the register and the assessments `p` may see.
    pub async fn assessment_stats(&self, p: &Principal) -> AppResult<AssessmentStats> {
        let projects = self.assessment_projects().await?;
        let list = self.assessments(p).await?;
        let today = local_date(self.now());
        let mut by_level: BTreeMap<&str, usize> = BTreeMap::new();
        let mut s = AssessmentStats { projects: projects.len(), required: projects.iter().filter(|x| x.assessment_required).count(), started: list.len(), ..Default::default() };
        let mut due = 0;
        for a in &list {
            if let Some(c) = &a.conclusion {
                s.assessed += 1;
                *by_level.entry(c.level.label_zh()).or_default() += 1;
            }
            if let Some(f) = &a.filing {
                s.filed += 1;
                s.accepted += usize::from(f.result == "accepted");
            }
            for m in &a.measures {
                s.measures += 1;
                s.measures_done += usize::from(m.done_on.is_some());
                s.measures_on_time += usize::from(m.on_time());
                due += usize::from(m.done_on.is_some() || m.deadline < today);
            }
        }
        s.by_level = by_level.into_iter().map(|(k, n)| (k.to_string(), n)).collect();
        s.on_time_rate = (due > 0).then(|| (s.measures_on_time as f64 * 1000.0 / due as f64).round() / 10.0);
        for x in projects.iter().filter(|x| x.decided_on.is_some()) {
            s.complaints_after_decision += self.assessment_project_cases(p, &x.id).await?.after_decision;
        }
        Ok(s)
    }

    /// The 社会稳定风险评估报告 in the standard outline.
    pub async fn assessment_report(&self, p: &Principal, id: i64) -> AppResult<crate::documents::Document> {
        let v = self.assessment(p, id).await?;
        if v.assessment.conclusion.is_none() {
            return Err(AppError::invalid("document", "形成评估结论后方可生成评估报告"));
        }
        let cfg = self.cfg().await?;
        Ok(report_document(&v, &|o| cfg.tree.get(o).map_or_else(String::new, |x| x.name.clone()), local_date(self.now())))
    }
}

fn tally_text(t: &Tally) -> String {
    let all = t.support + t.oppose + t.neutral;
    format!("支持{}、反对{}、中立{}（共{}，反对占{:.0}%）", t.support, t.oppose, t.neutral, all, t.opposition() * 100.0)
}

/// The 评估报告 (pure): 一、评估事项 二、评估工作开展情况 三、各方意见 四、风险识别和分析
/// 五、风险等级和评估结论 六、风险防范化解措施 七、报备和跟踪.
pub fn report_document(v: &AssessmentView, org_name: &dyn Fn(OrgId) -> String, today: NaiveDate) -> crate::documents::Document {
    use crate::documents::{date_zh, Block, DocKind, Document};
    let a = &v.assessment;
    let h = |s: &str| Block::Heading { text: s.to_string() };
    let t = |s: String| Block::Text { text: s };
    let f = |l: &str, v: String| Block::Field { label: l.to_string(), value: v };
    let mut b = vec![h("一、评估事项基本情况")];
    if let Some(p) = &v.project {
        b.push(f("事项名称", format!("{}（{}）", p.name, p.kind.label_zh())));
        b.push(f("决策机关", p.deciding_body.clone()));
        b.push(f("责任单位", org_name(p.responsible_unit)));
        b.push(f("评估主体", p.assessing_body.clone()));
        b.push(f("涉及范围", p.towns.iter().map(|t| org_name(*t)).collect::<Vec<_>>().join("、")));
    } else {
        b.push(f("事项名称", a.project_name.clone()));
    }
    b.push(h("二、评估工作开展情况"));
    if let Some(plan) = &a.plan {
        b.push(f("评估范围和重点", plan.scope.clone()));
        b.push(f("评估方法", plan.methods.clone()));
        b.push(f("时间安排", plan.schedule.clone()));
        if !plan.team.is_empty() {
            b.push(f("评估小组", plan.team.clone()));
        }
    }
    if let Some(n) = &a.notice {
        b.push(t(format!("{}至{}发布评估公告，公开征求意见。", date_zh(n.from), date_zh(n.until))));
    }
    b.push(t(format!(
        "共收回群众问卷{}份；召开听证会、座谈会和走访{}次，参加{}人次。",
        v.tallies.responses,
        a.meetings.len(),
        v.tallies.meeting_attendance
    )));
    for m in &a.meetings {
        b.push(f(&format!("{}（{}）", m.kind_label(), date_zh(m.on)), format!("{}，{}人参加（{}）；{}", m.place, m.attendance, m.group, m.summary)));
    }
    b.push(h("三、各方意见"));
    b.push(f("总体", tally_text(&v.tallies.all)));
    for (g, x) in &v.tallies.by_group {
        b.push(f(&format!("按群体：{g}"), tally_text(x)));
    }
    for (g, x) in &v.tallies.by_town {
        b.push(f(&format!("按地区：{g}"), tally_text(x)));
    }
    b.push(h("四、风险识别和分析"));
    for (i, r) in a.risks.iter().enumerate() {
        b.push(f(
            &format!("风险{}（{}）", i + 1, r.dimension.label_zh()),
            format!("{}。可能性{}分×影响程度{}分={}分，{}。依据：{}", r.description, r.likelihood, r.impact, r.score(), r.band().label_zh(), r.evidence),
        ));
    }
    b.push(h("五、风险等级和评估结论"));
    if let Some(c) = &a.conclusion {
        b.push(t(format!("综合各方意见和风险分析，{}", c.computed_reason)));
        if c.level != c.computed {
            b.push(t(format!("测算等级为{}，评估主体研究后确定为{}，理由：{}", c.computed.label_zh(), c.level.label_zh(), c.override_reason)));
        }
        b.push(f("风险等级", c.level.label_zh().to_string()));
        b.push(f("评估建议", c.level.recommendation_zh().to_string()));
    }
    b.push(h("六、风险防范化解措施"));
    if a.measures.is_empty() {
        b.push(t("（尚未制定）".into()));
    }
    for m in &a.measures {
        let state = m.status_label(today);
        b.push(f(&format!("措施{}", m.no), format!("{}。责任单位：{}；完成时限：{}；{}", m.text, m.owner, date_zh(m.deadline), state)));
    }
    b.push(h("七、报备和跟踪督查"));
    match &a.filing {
        Some(x) => b.push(t(format!(
            "{}向{}报备；{}",
            date_zh(x.filed_on),
            x.to,
            match x.result.as_str() {
                "accepted" => "上级已审核通过。".to_string(),
                "returned" => format!("上级退回修改：{}", x.note),
                _ => "待上级审核。".to_string(),
            }
        ))),
        None => b.push(t("尚未报备。".into())),
    }
    if v.project.as_ref().is_some_and(|p| p.decided_on.is_some()) {
        b.push(t(format!("决策实施后，涉及本事项的群众诉求{}件（累计关联{}件）。", v.complaints_after_decision, v.complaints)));
    }
    for x in &a.follow_ups {
        b.push(f(&format!("跟踪（{}）", date_zh(x.on)), x.note.clone()));
    }
    let assessing = v.project.as_ref().map_or_else(|| org_name(a.org), |p| p.assessing_body.clone());
    Document {
        kind: DocKind::AssessmentReport,
        title: format!("关于“{}”的社会稳定风险评估报告", a.project_name),
        number: format!("稳评〔{}〕{}号", a.started_at.with_timezone(&redress_domain::china_offset()).format("%Y"), a.id),
        addressee: v.project.as_ref().map_or_else(String::new, |p| p.deciding_body.clone()),
        blocks: b,
        issuer: assessing,
        date: today,
        case_number: a.project_id.clone(),
        footer: format!("评估事项编号：{}；风险等级按可能性×影响程度评定（15分及以上为高，8至12分为中，其余为低）", a.project_id),
        file_stem: format!("社会稳定风险评估报告-{}", a.project_id),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn fresh() -> Assessment {
        let project = Project {
            id: "2026-007".into(),
            name: "垃圾中转站".into(),
            kind: redress_domain::assessment::ProjectKind::Project,
            deciding_body: "县人民政府".into(),
            responsible_unit: OrgId(5),
            assessing_body: "县住建局".into(),
            assessment_required: true,
            required_reason: String::new(),
            towns: vec![OrgId(30)],
            categories: vec!["01".into()],
            assessment_from: d("2026-01-01"),
            decided_on: None,
            stage: ProjectStage::Assessing,
        };
        Assessment { id: 3, version: 1, ..Assessment::new(&project, "赵局长", Utc.with_ymd_and_hms(2026, 3, 1, 2, 0, 0).unwrap()) }
    }

    fn run(a: Assessment, s: AssessmentStep, tally: Tally) -> AppResult<Assessment> {
        apply(a, &s, None, tally, "赵局长", d("2026-03-10")).map(|(a, _)| a)
    }

    fn risk(dimension: Dimension, l: u8, i: u8) -> AssessmentStep {
        AssessmentStep::Risk { dimension, description: "风险".into(), likelihood: l, impact: i, evidence: "座谈".into() }
    }

    #[test]
    fn the_step_follows_the_records_and_says_what_is_missing() {
        let t = Tally::default();
        let mut a = fresh();
        assert_eq!((current_step(&a), missing(&a, 1).len()), (1, 1));
        a = run(a, AssessmentStep::Plan { scope: "s".into(), methods: "m".into(), schedule: "t".into(), team: String::new() }, t).unwrap();
        assert_eq!(current_step(&a), 2);
        assert_eq!(missing(&a, 2).len(), 2);
        a = run(a, AssessmentStep::Notice { text: "公告".into(), from: "2026-03-01".into(), until: "2026-03-20".into() }, t).unwrap();
        a = run(a, AssessmentStep::Questionnaire { questions: vec!["问题".into()], groups: vec!["居民".into()], open: true }, t).unwrap();
        assert_eq!(current_step(&a), 3);
        a = run(a, risk(Dimension::Legality, 1, 1), t).unwrap();
        assert_eq!(missing(&a, 3).len(), 3, "three dimensions still to analyse");
        assert!(run(a.clone(), AssessmentStep::Conclude { level: None, override_reason: String::new() }, t).is_err());
        for dim in [Dimension::Reasonableness, Dimension::Feasibility, Dimension::Controllability] {
            a = run(a, risk(dim, 3, 5), t).unwrap();
        }
        assert_eq!(current_step(&a), 4);
        let most_object = Tally { support: 2, oppose: 8, neutral: 0 };
        a = run(a, AssessmentStep::Conclude { level: None, override_reason: String::new() }, most_object).unwrap();
        assert_eq!(a.conclusion.as_ref().map(|c| c.level), Some(Level::High), "most object and a 15-point risk");
        // A new risk asks for the conclusion again.
        let again = run(a.clone(), risk(Dimension::Legality, 1, 1), t).unwrap();
        assert!(again.conclusion.is_none());
        assert!(run(a.clone(), AssessmentStep::File { to: "县委政法委".into() }, t).is_err(), "no filing without measures");
        a = run(a, AssessmentStep::Measure { text: "措施".into(), owner: "城关镇".into(), deadline: "2026-03-05".into() }, t).unwrap();
        a = run(a, AssessmentStep::File { to: "县委政法委".into() }, t).unwrap();
        assert!(run(a.clone(), risk(Dimension::Legality, 1, 1), t).is_err(), "frozen while reviewed");
        assert_eq!(current_step(&a), 5);
        a = run(a, AssessmentStep::Review { result: "accepted".into(), note: String::new() }, t).unwrap();
        assert_eq!(current_step(&a), 6);
        a = run(a, AssessmentStep::MeasureDone { no: 1, done_on: "2026-03-08".into() }, t).unwrap();
        assert!(!a.measures[0].on_time());
        assert_eq!(a.measures[0].status_label(d("2026-03-10")), "逾期完成");
    }

    #[test]
    fn tallies_add_the_portal_and_the_meetings_by_group_and_place() {
        let mut a = fresh();
        a.meetings.push(Meeting { no: 1, kind: "forum".into(), on: d("2026-03-02"), place: String::new(), attendance: 10, group: "居民".into(), town: Some(OrgId(30)), tally: Tally { support: 1, oppose: 6, neutral: 3 }, summary: String::new() });
        let r = |group: &str, position: &str, town: Option<OrgId>| Response { group: group.into(), town, position: position.into(), answers: vec![], comment: String::new(), at: a.started_at };
        let t = tallies(&a, &[r("居民", "oppose", Some(OrgId(30))), r("商户", "support", None)], &|o| format!("镇{}", o.0));
        assert_eq!(t.all, Tally { support: 2, oppose: 7, neutral: 3 });
        assert_eq!(t.by_group, vec![("商户".to_string(), Tally { support: 1, oppose: 0, neutral: 0 }), ("居民".to_string(), Tally { support: 1, oppose: 7, neutral: 3 })]);
        assert_eq!(t.by_town.iter().map(|(k, _)| k.as_str()).collect::<Vec<_>>(), ["未注明", "镇30"]);
        assert_eq!((t.responses, t.meeting_attendance), (2, 10));
    }
}
