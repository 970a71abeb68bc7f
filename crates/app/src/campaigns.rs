//! 矛盾纠纷排查: periodic screening campaigns. An office (county or town) starts a campaign —
//! title, scope, the period screened, the units assigned and a due date; each assigned unit
//! files a return: its findings, or "无" with a note on what it screened. A finding is about a
//! matter — place, category, description and how many people are involved — never about a
//! person. Each finding is then disposed of: 转为信访事项 registers a case through the ordinary
//! intake use case (linked both ways by the case's external reference and the finding), or
//! 转人民调解 records a mediation with a reference (the mediation module links it).
//!
//! The campaign report counts coverage (units returned of those assigned, on time) and findings
//! by category, place and disposition. Campaigns are not in the case event log; every change is
//! versioned in the store and noted in the campaign's history (who, when, what).

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use redress_domain::{end_of_local_day, local_date, Channel, ChannelDetails, Location, MatterType, NewCase, OrgId, Role};
use redress_store::{DutyNote, StoreError, StoredCampaign, StoredCampaignReturn};
use serde::{Deserialize, Serialize};

use crate::auth::Principal;
use crate::cases::Intake;
use crate::error::{AppError, AppResult};
use crate::nil_reports::parse_date;
use crate::permissions::require_any;
use crate::App;

/// Roles that start, close and dispose of campaign findings (the offices).
pub const OFFICE_ROLES: &[Role] = &[Role::Admin, Role::IntakeClerk, Role::Supervisor];
const TITLE_MAX: usize = 100;
const TEXT_MAX: usize = 2000;
const FINDINGS_MAX: usize = 200;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Campaign {
    #[serde(default)]
    pub id: i64,
    #[serde(default)]
    pub version: i64,
    pub title: String,
    /// What is screened (排查范围/重点), free text.
    pub scope: String,
    pub period_from: NaiveDate,
    pub period_to: NaiveDate,
    /// Returns are due by 24:00 (Beijing) of this day.
    pub due: NaiveDate,
    pub units: Vec<OrgId>,
    /// The office that started it.
    pub org: OrgId,
    /// `open` or `closed`.
    #[serde(default)]
    pub status: String,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    #[serde(default)]
    pub closed_at: Option<DateTime<Utc>>,
}

impl Campaign {
    pub fn status_label(&self) -> &'static str {
        if self.status == "closed" {
            "已结束"
        } else {
            "进行中"
        }
    }
    pub fn due_at(&self) -> DateTime<Utc> {
        end_of_local_day(self.due)
    }
}

/// A matter found in screening (matter-centred: no names, phone or ID numbers).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    /// 1, 2, … within the unit's return; stable.
    pub no: u32,
    /// Where (address or description of the place).
    pub place: String,
    /// The town, village or community it is in, when known.
    #[serde(default)]
    pub place_org: Option<OrgId>,
    /// Taxonomy code.
    pub category: String,
    pub description: String,
    pub people_count: u32,
    /// `pending` (待处置), `case` (转为信访事项) or `mediation` (转人民调解).
    #[serde(default = "pending")]
    pub disposition: String,
    #[serde(default)]
    pub case_id: Option<i64>,
    #[serde(default)]
    pub case_number: Option<String>,
    /// The mediation's reference (the mediation module links it).
    #[serde(default)]
    pub mediation_ref: Option<String>,
    #[serde(default)]
    pub disposed_by: Option<String>,
    #[serde(default)]
    pub disposed_at: Option<DateTime<Utc>>,
}

fn pending() -> String {
    "pending".into()
}

pub fn disposition_label(d: &str) -> &'static str {
    match d {
        "case" => "转为信访事项",
        "mediation" => "转人民调解",
        _ => "待处置",
    }
}

impl Finding {
    pub fn disposition_label(&self) -> &'static str {
        disposition_label(&self.disposition)
    }
}

/// One unit's return.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Return {
    #[serde(default)]
    pub campaign_id: i64,
    #[serde(default = "no_org")]
    pub unit: OrgId,
    #[serde(default)]
    pub version: i64,
    /// `found` (有矛盾纠纷) or `none` (无).
    pub status: String,
    /// What was screened and how; required for `none`.
    pub note: String,
    pub findings: Vec<Finding>,
    pub filed_by: String,
    pub filed_at: DateTime<Utc>,
    /// First filed after the due date.
    pub late: bool,
}

/// What a unit sends as its return.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ReturnInput {
    /// The returning unit; left out, the person's own.
    #[serde(default)]
    pub unit: Option<OrgId>,
    /// `found` or `none`.
    pub status: String,
    #[serde(default)]
    pub note: String,
    #[serde(default)]
    pub findings: Vec<FindingInput>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FindingInput {
    pub place: String,
    #[serde(default)]
    pub place_org: Option<OrgId>,
    pub category: String,
    pub description: String,
    #[serde(default = "one")]
    pub people_count: u32,
}

fn no_org() -> OrgId {
    OrgId(0)
}

fn one() -> u32 {
    1
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct NewCampaign {
    pub title: String,
    #[serde(default)]
    pub scope: String,
    pub period_from: String,
    pub period_to: String,
    pub due: String,
    pub units: Vec<OrgId>,
}

/// How to dispose of a finding.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct DisposeInput {
    /// `case` or `mediation`.
    pub disposition: String,
    /// For `mediation`: the mediation's reference (调解案号), if already known.
    #[serde(default)]
    pub reference: String,
    /// For `mediation`: the committee to register the dispute with (人民调解 module); the
    /// dispute's number becomes the reference and its source note names the finding.
    #[serde(default)]
    pub committee: Option<i64>,
}

/// A campaign with its returns, as pages and the API show it.
#[derive(Debug, Clone, Serialize)]
pub struct CampaignView {
    pub campaign: Campaign,
    pub units: Vec<UnitReturn>,
    pub history: Vec<DutyNote>,
    pub report: CampaignReport,
}

#[derive(Debug, Clone, Serialize)]
pub struct UnitReturn {
    pub unit: OrgId,
    pub unit_name: String,
    pub ret: Option<Return>,
    /// `on_time`, `late`, `missing` (past due) or `pending`.
    pub state: String,
    pub state_label: &'static str,
}

/// Coverage and findings of a campaign.
#[derive(Debug, Clone, Default, Serialize)]
pub struct CampaignReport {
    pub assigned: usize,
    pub returned: usize,
    pub on_time: usize,
    pub late: usize,
    pub missing: usize,
    /// Returned ÷ assigned, percent, one decimal.
    pub coverage_rate: Option<f64>,
    pub units_with_findings: usize,
    pub findings: usize,
    pub people: u64,
    pub by_category: Vec<(String, usize)>,
    pub by_place: Vec<(String, usize)>,
    pub by_disposition: Vec<(String, usize)>,
}

pub(crate) fn clean(field: &str, s: &str, max: usize, required: &str) -> AppResult<String> {
    let s = s.trim();
    if s.is_empty() && !required.is_empty() {
        return Err(AppError::invalid(field, required));
    }
    if s.chars().count() > max {
        return Err(AppError::invalid(field, format!("不超过{max}字")));
    }
    Ok(s.to_string())
}

pub(crate) fn corrupt(what: &str, e: serde_json::Error) -> AppError {
    AppError::Store(StoreError::Corrupt(format!("{what}数据损坏：{e}")))
}

pub(crate) fn to_json<T: Serialize>(v: &T) -> AppResult<String> {
    serde_json::to_string(v).map_err(|e| AppError::Store(StoreError::Other(e.to_string())))
}

fn decode(sc: &StoredCampaign) -> AppResult<Campaign> {
    let mut c: Campaign = serde_json::from_str(&sc.data).map_err(|e| corrupt("排查活动", e))?;
    c.id = sc.id;
    c.version = sc.version;
    c.status = sc.status.clone();
    Ok(c)
}

fn decode_return(sr: &StoredCampaignReturn) -> AppResult<Return> {
    let mut r: Return = serde_json::from_str(&sr.data).map_err(|e| corrupt("排查反馈", e))?;
    r.campaign_id = sr.campaign_id;
    r.unit = sr.unit;
    r.version = sr.version;
    Ok(r)
}

fn conflict(e: AppError) -> AppError {
    match e {
        AppError::Store(StoreError::Conflict { .. }) => AppError::Store(StoreError::Other("该排查活动刚被他人更新，请刷新后重试".into())),
        e => e,
    }
}

impl App {
    /// Starts a campaign (county or town office).
    pub async fn create_campaign(&self, p: &Principal, n: &NewCampaign) -> AppResult<Campaign> {
        require_any(p, OFFICE_ROLES)?;
        let cfg = self.cfg().await?;
        let title = clean("title", &n.title, TITLE_MAX, "请填写排查活动名称")?;
        let scope = clean("scope", &n.scope, TEXT_MAX, "请填写排查范围和重点")?;
        let from = parse_date("period_from", &n.period_from)?;
        let to = parse_date("period_to", &n.period_to)?;
        let due = parse_date("due", &n.due)?;
        if to < from {
            return Err(AppError::invalid("period_to", "排查结束日期不能早于开始日期"));
        }
        if due < from {
            return Err(AppError::invalid("due", "反馈截止日期不能早于排查开始日期"));
        }
        if (to - from).num_days() > 366 {
            return Err(AppError::invalid("period_to", "排查期间不超过一年"));
        }
        let mut units = n.units.clone();
        units.sort();
        units.dedup();
        if units.is_empty() {
            return Err(AppError::invalid("units", "请至少选择一个排查单位"));
        }
        for u in &units {
            match cfg.tree.get(*u) {
                None => return Err(AppError::invalid("units", format!("单位 {} 不存在", u.0))),
                Some(o) if matches!(o.kind, redress_domain::org::OrgKind::External) => {
                    return Err(AppError::invalid("units", format!("“{}”是外部机关，不能布置排查", o.name)))
                }
                Some(o) if !p.may_see(&[*u]) => return Err(AppError::invalid("units", format!("“{}”不在本机关范围内", o.name))),
                _ => {}
            }
        }
        let now = self.now();
        let mut c = Campaign {
            id: 0,
            version: 0,
            title,
            scope,
            period_from: from,
            period_to: to,
            due,
            units,
            org: p.user.org_id,
            status: "open".into(),
            created_by: p.user.display_name.clone(),
            created_at: now,
            closed_at: None,
        };
        let sc = StoredCampaign { id: 0, version: 0, status: c.status.clone(), created_at: now, data: to_json(&c)? };
        let note = DutyNote { at: now, actor: p.user.display_name.clone(), what: format!("发起排查活动“{}”，布置{}个单位，{}前反馈", c.title, c.units.len(), c.due) };
        c.id = self.store.save_campaign(&sc, &note).await?;
        c.version = 1;
        Ok(c)
    }

    /// Campaigns `p` takes part in (started in their area or assigned to a unit they see), newest first.
    pub async fn campaigns(&self, p: &Principal) -> AppResult<Vec<Campaign>> {
        let mut out = vec![];
        for sc in self.store.list_campaigns(500).await? {
            let c = decode(&sc)?;
            if may_see_campaign(p, &c) {
                out.push(c);
            }
        }
        Ok(out)
    }

    async fn campaign_raw(&self, p: &Principal, id: i64) -> AppResult<Campaign> {
        let sc = self.store.get_campaign(id).await?.ok_or(AppError::NotFound("该排查活动"))?;
        let c = decode(&sc)?;
        if !may_see_campaign(p, &c) {
            return Err(AppError::NotFound("该排查活动"));
        }
        Ok(c)
    }

    /// A campaign with the returns of the units `p` may see, its history and its report.
    pub async fn campaign(&self, p: &Principal, id: i64) -> AppResult<CampaignView> {
        let c = self.campaign_raw(p, id).await?;
        let cfg = self.cfg().await?;
        let now = self.now();
        let mut returns: BTreeMap<OrgId, Return> = BTreeMap::new();
        for sr in self.store.campaign_returns(id).await? {
            returns.insert(sr.unit, decode_return(&sr)?);
        }
        let office = may_manage(p, &c);
        let mut units = vec![];
        for u in &c.units {
            if !office && !p.may_see(&[*u]) {
                continue;
            }
            let ret = returns.remove(u);
            let state = match &ret {
                Some(r) if r.late => "late",
                Some(_) => "on_time",
                None if c.due_at() <= now => "missing",
                None => "pending",
            };
            units.push(UnitReturn {
                unit: *u,
                unit_name: cfg.tree.get(*u).map_or_else(|| format!("#{}", u.0), |o| o.name.clone()),
                ret,
                state: state.into(),
                state_label: match state {
                    "late" => "逾期反馈",
                    "on_time" => "按时反馈",
                    "missing" => "逾期未反馈",
                    _ => "待反馈",
                },
            });
        }
        let report = report(&cfg, &units);
        let oversight = p.has_any(&[Role::Leader, Role::Auditor]) && p.may_see(&[c.org]);
        let history = if office || oversight { self.store.campaign_history(id).await? } else { vec![] };
        Ok(CampaignView { campaign: c, units, history, report })
    }

    /// A unit files (or corrects) its return while the campaign is open. Disposed findings stay
    /// as they were; the pending ones are replaced by those sent.
    pub async fn file_campaign_return(&self, p: &Principal, id: i64, input: &ReturnInput) -> AppResult<Return> {
        let c = self.campaign_raw(p, id).await?;
        let cfg = self.cfg().await?;
        if p.has(Role::Auditor) && p.user.roles.len() == 1 {
            return Err(AppError::forbidden("审计员不能填报排查反馈"));
        }
        let unit = input.unit.unwrap_or(p.user.org_id);
        if unit != p.user.org_id && !p.has(Role::Admin) {
            return Err(AppError::forbidden("只能填报本单位的排查反馈"));
        }
        if !c.units.contains(&unit) {
            return Err(AppError::invalid("unit", "本单位不在该排查活动的布置范围内"));
        }
        if c.status == "closed" {
            return Err(AppError::invalid("status", "该排查活动已结束，不能再填报"));
        }
        let status = match input.status.trim() {
            "found" | "有" => "found",
            "none" | "无" => "none",
            _ => return Err(AppError::invalid("status", "请选择“发现矛盾纠纷”或“无”")),
        };
        let note = clean("note", &input.note, TEXT_MAX, if status == "none" { "报“无”时请说明排查了哪些地方、方式和范围" } else { "" })?;
        if status == "none" && !input.findings.is_empty() {
            return Err(AppError::invalid("findings", "报“无”时不应填写排查发现"));
        }
        if status == "found" && input.findings.is_empty() {
            return Err(AppError::invalid("findings", "请至少填写一条排查发现"));
        }
        if input.findings.len() > FINDINGS_MAX {
            return Err(AppError::invalid("findings", format!("一次至多填写{FINDINGS_MAX}条")));
        }
        let now = self.now();
        for attempt in 0..3 {
            let existing = self.store.campaign_returns(id).await?.into_iter().find(|r| r.unit == unit);
            let old = existing.as_ref().map(decode_return).transpose()?;
            let kept: Vec<Finding> = old.as_ref().map(|r| r.findings.iter().filter(|f| f.disposition != "pending").cloned().collect()).unwrap_or_default();
            if status == "none" && !kept.is_empty() {
                return Err(AppError::invalid("status", "已有排查发现处置完毕，不能改报“无”"));
            }
            let first_new = kept.iter().map(|f| f.no).max().unwrap_or(0) + 1;
            let mut findings = kept;
            for (no, (i, f)) in (first_new..).zip(input.findings.iter().enumerate()) {
                let field = |x: &str| format!("findings[{i}].{x}");
                let place = clean(&field("place"), &f.place, 200, "请填写地点")?;
                let description = clean(&field("description"), &f.description, TEXT_MAX, "请填写矛盾纠纷的简要情况")?;
                let category = f.category.trim().to_string();
                if cfg.taxonomy.find(&category).is_none() {
                    return Err(AppError::invalid(&field("category"), "请从分类目录中选择类别"));
                }
                if let Some(o) = f.place_org {
                    if cfg.tree.get(o).is_none() {
                        return Err(AppError::invalid(&field("place_org"), "所在地不存在"));
                    }
                }
                if f.people_count == 0 || f.people_count > 100_000 {
                    return Err(AppError::invalid(&field("people_count"), "涉及人数应在1至100000之间"));
                }
                findings.push(Finding {
                    no,
                    place,
                    place_org: f.place_org,
                    category,
                    description,
                    people_count: f.people_count,
                    disposition: pending(),
                    case_id: None,
                    case_number: None,
                    mediation_ref: None,
                    disposed_by: None,
                    disposed_at: None,
                });
            }
            let r = Return {
                campaign_id: id,
                unit,
                version: 0,
                status: status.into(),
                note: note.clone(),
                findings,
                filed_by: p.user.display_name.clone(),
                filed_at: now,
                late: old.as_ref().map_or(now > c.due_at(), |o| o.late),
            };
            let unit_name = cfg.tree.get(unit).map_or("", |o| o.name.as_str());
            let what = match (&old, status) {
                (None, "none") => format!("{unit_name}反馈：无"),
                (None, _) => format!("{unit_name}反馈：发现{}条", r.findings.len()),
                (Some(_), _) => format!("{unit_name}更正反馈：{}", if status == "none" { "无".to_string() } else { format!("发现{}条", r.findings.len()) }),
            };
            let sr = StoredCampaignReturn { campaign_id: id, unit, version: existing.as_ref().map_or(0, |e| e.version), updated_at: now, data: to_json(&r)? };
            match self.store.save_campaign_return(&sr, &DutyNote { at: now, actor: p.user.display_name.clone(), what }).await {
                Ok(v) => return Ok(Return { version: v, ..r }),
                Err(StoreError::Conflict { .. }) if attempt < 2 => continue,
                Err(e) => return Err(conflict(e.into())),
            }
        }
        Err(conflict(AppError::Store(StoreError::Conflict { current: 0 })))
    }

    /// Disposes of a pending finding: `case` registers it as a case (by the ordinary intake,
    /// so only 登记员 and administrators), `mediation` records the hand-over to 人民调解.
    pub async fn dispose_campaign_finding(&self, p: &Principal, id: i64, unit: OrgId, no: u32, d: &DisposeInput) -> AppResult<Finding> {
        let c = self.campaign_raw(p, id).await?;
        if !may_manage(p, &c) {
            return Err(AppError::forbidden("排查发现由发起活动的信访工作机构处置"));
        }
        let cfg = self.cfg().await?;
        let load = || async {
            let sr = self.store.campaign_returns(id).await?.into_iter().find(|r| r.unit == unit).ok_or(AppError::NotFound("该单位的排查反馈"))?;
            let r = decode_return(&sr)?;
            let f = r.findings.iter().find(|f| f.no == no).cloned().ok_or(AppError::NotFound("该排查发现"))?;
            if f.disposition != "pending" {
                return Err(AppError::invalid("disposition", format!("该排查发现已{}", f.disposition_label())));
            }
            Ok::<_, AppError>((sr, r, f))
        };
        let (_, _, finding) = load().await?;
        let now = self.now();
        let mut done = finding.clone();
        done.disposed_by = Some(p.user.display_name.clone());
        done.disposed_at = Some(now);
        let unit_name = cfg.tree.get(unit).map_or_else(String::new, |o| o.name.clone());
        let what = match d.disposition.trim() {
            "case" => {
                let subject: String = format!("排查发现：{}{}", finding.place, cfg.taxonomy.label(&finding.category).map(|l| format!("（{l}）")).unwrap_or_default());
                let subject: String = subject.chars().take(redress_domain::case::SUBJECT_MAX).collect();
                let intake = Intake {
                    matter: NewCase {
                        channel: Channel::Other,
                        matter_type: MatterType::Claim,
                        category: Some(finding.category.clone()),
                        subject,
                        content: format!("{}（“{}”矛盾纠纷排查，{}第{}条发现，涉及{}人）", finding.description, c.title, unit_name, finding.no, finding.people_count),
                        location: Location { address: finding.place.clone(), org: finding.place_org.or(Some(unit)), ..Default::default() },
                        people_count: finding.people_count,
                        channel_details: ChannelDetails { external_ref: Some(format!("排查{}-{}-{}", id, unit.0, finding.no)), ..Default::default() },
                        related: vec![],
                        same_matter_as: None,
                        intake_org: OrgId(0),
                        confidential: false,
                        demo: false,
                        suggested_categories: vec![],
                    },
                    petitioner: Default::default(),
                };
                let case = self.register(Some(p), p.actor(), intake).await?;
                done.disposition = "case".into();
                done.case_id = Some(case.id.0);
                done.case_number = Some(case.number());
                format!("{unit_name}第{}条发现转为信访事项 {}", finding.no, case.number())
            }
            "mediation" => {
                let mut reference = clean("reference", &d.reference, 100, "")?;
                if let Some(committee) = d.committee {
                    let n = crate::mediation::NewDispute {
                        committee,
                        source: "initiative".into(),
                        source_note: format!("排查{}-{}-{}（“{}”{}第{}条发现）", id, unit.0, finding.no, c.title, unit_name, finding.no),
                        dispute_type: "other".into(),
                        summary: format!("{}（涉及{}人）", finding.description, finding.people_count),
                        place: finding.place.clone(),
                        parties: vec![],
                        refused: String::new(),
                    };
                    reference = self.register_dispute(p, &n).await?.number;
                }
                done.disposition = "mediation".into();
                done.mediation_ref = Some(reference.clone()).filter(|r| !r.is_empty());
                format!("{unit_name}第{}条发现转人民调解{}", finding.no, if reference.is_empty() { String::new() } else { format!("（{reference}）") })
            }
            _ => return Err(AppError::invalid("disposition", "处置方式应为“转为信访事项”或“转人民调解”")),
        };
        // The case (if any) exists now: record the disposition, retrying on a concurrent change.
        for _ in 0..5 {
            let (sr, mut r, f) = match load().await {
                Ok(x) => x,
                Err(e) => return Err(e),
            };
            let _ = f;
            if let Some(slot) = r.findings.iter_mut().find(|f| f.no == no) {
                *slot = done.clone();
            }
            let write = StoredCampaignReturn { data: to_json(&r)?, updated_at: now, ..sr };
            match self.store.save_campaign_return(&write, &DutyNote { at: now, actor: p.user.display_name.clone(), what: what.clone() }).await {
                Ok(_) => return Ok(done),
                Err(StoreError::Conflict { .. }) => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Err(conflict(AppError::Store(StoreError::Conflict { current: 0 })))
    }

    /// Closes a campaign (no more returns); its report stays.
    pub async fn close_campaign(&self, p: &Principal, id: i64) -> AppResult<Campaign> {
        let mut c = self.campaign_raw(p, id).await?;
        if !may_manage(p, &c) {
            return Err(AppError::forbidden("排查活动由发起的信访工作机构结束"));
        }
        if c.status == "closed" {
            return Err(AppError::invalid("status", "该排查活动已结束"));
        }
        let now = self.now();
        c.status = "closed".into();
        c.closed_at = Some(now);
        let sc = StoredCampaign { id, version: c.version, status: c.status.clone(), created_at: c.created_at, data: to_json(&c)? };
        self.store.save_campaign(&sc, &DutyNote { at: now, actor: p.user.display_name.clone(), what: "结束排查活动".into() }).await.map_err(|e| conflict(e.into()))?;
        c.version += 1;
        Ok(c)
    }
}

/// Offices with the area where it was started manage it; units see it when assigned.
fn may_manage(p: &Principal, c: &Campaign) -> bool {
    p.has_any(OFFICE_ROLES) && p.may_see(&[c.org])
}

fn may_see_campaign(p: &Principal, c: &Campaign) -> bool {
    may_manage(p, c) || p.has(Role::Auditor) && p.may_see(&[c.org]) || c.units.iter().any(|u| p.may_see(&[*u]))
}

/// Counts for the campaign report (pure).
pub fn report(cfg: &crate::config::Config, units: &[UnitReturn]) -> CampaignReport {
    let mut r = CampaignReport { assigned: units.len(), ..Default::default() };
    let (mut cat, mut place, mut disp): (BTreeMap<String, usize>, BTreeMap<String, usize>, BTreeMap<String, usize>) = Default::default();
    for u in units {
        match u.state.as_str() {
            "on_time" => r.on_time += 1,
            "late" => r.late += 1,
            "missing" => r.missing += 1,
            _ => {}
        }
        let Some(ret) = &u.ret else { continue };
        r.returned += 1;
        if !ret.findings.is_empty() {
            r.units_with_findings += 1;
        }
        for f in &ret.findings {
            r.findings += 1;
            r.people += f.people_count as u64;
            *cat.entry(cfg.taxonomy.label(&f.category).unwrap_or_else(|| f.category.clone())).or_default() += 1;
            let town = f.place_org.or(Some(u.unit)).and_then(|o| cfg.tree.town_of(o).or(Some(o))).and_then(|o| cfg.tree.get(o)).map_or_else(|| "未注明".to_string(), |o| o.name.clone());
            *place.entry(town).or_default() += 1;
            *disp.entry(f.disposition_label().to_string()).or_default() += 1;
        }
    }
    r.coverage_rate = (r.assigned > 0).then(|| (r.returned as f64 * 1000.0 / r.assigned as f64).round() / 10.0);
    let sorted = |m: BTreeMap<String, usize>| {
        let mut v: Vec<(String, usize)> = m.into_iter().collect();
        v.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        v
    };
    r.by_category = sorted(cat);
    r.by_place = sorted(place);
    r.by_disposition = sorted(disp);
    r
}

/// The local date today for forms' defaults.
pub fn today(now: DateTime<Utc>) -> NaiveDate {
    local_date(now)
}

/// The campaign report (矛盾纠纷排查情况报告) as a document: coverage, findings by category,
/// place and disposition, units that did not return (pure).
pub fn report_document(v: &CampaignView, issuer: &str, today: NaiveDate) -> crate::documents::Document {
    use crate::documents::{Block, DocKind, Document};
    let c = &v.campaign;
    let r = &v.report;
    let text = |s: String| Block::Text { text: s };
    let heading = |s: &str| Block::Heading { text: s.to_string() };
    let join = |rows: &[(String, usize)]| rows.iter().map(|(k, n)| format!("{k}{n}条")).collect::<Vec<_>>().join("、");
    let mut b = vec![heading("一、排查安排")];
    b.push(text(format!(
        "{}至{}，组织开展“{}”，排查范围和重点：{}。共布置{}个单位，要求于{}前反馈。",
        crate::documents::date_zh(c.period_from),
        crate::documents::date_zh(c.period_to),
        c.title,
        c.scope,
        r.assigned,
        crate::documents::date_zh(c.due)
    )));
    b.push(heading("二、反馈情况"));
    b.push(text(format!(
        "已反馈{}个单位，反馈率{}；其中按时反馈{}个，逾期反馈{}个，逾期未反馈{}个。",
        r.returned,
        r.coverage_rate.map_or_else(|| "—".to_string(), |x| format!("{x}%")),
        r.on_time,
        r.late,
        r.missing
    )));
    let missing: Vec<&str> = v.units.iter().filter(|u| u.ret.is_none()).map(|u| u.unit_name.as_str()).collect();
    if !missing.is_empty() {
        b.push(Block::Field { label: "尚未反馈".into(), value: missing.join("、") });
    }
    b.push(heading("三、排查发现"));
    if r.findings == 0 {
        b.push(text("各单位反馈均未发现矛盾纠纷。".into()));
    } else {
        b.push(text(format!("{}个单位共排查发现矛盾纠纷{}条，涉及{}人。", r.units_with_findings, r.findings, r.people)));
        b.push(Block::Field { label: "按类别".into(), value: join(&r.by_category) });
        b.push(Block::Field { label: "按地点".into(), value: join(&r.by_place) });
        b.push(Block::Field { label: "按处置方式".into(), value: join(&r.by_disposition) });
    }
    b.push(heading("四、排查发现清单"));
    let mut any = false;
    for u in &v.units {
        let Some(ret) = &u.ret else { continue };
        if ret.findings.is_empty() {
            b.push(Block::Field { label: u.unit_name.clone(), value: format!("无。{}", ret.note) });
        }
        for f in &ret.findings {
            any = true;
            let how = match f.disposition.as_str() {
                "case" => format!("转为信访事项{}", f.case_number.clone().unwrap_or_default()),
                "mediation" => format!("转人民调解{}", f.mediation_ref.as_ref().map(|x| format!("（{x}）")).unwrap_or_default()),
                _ => "待处置".into(),
            };
            b.push(Block::Field { label: format!("{}第{}条", u.unit_name, f.no), value: format!("{}，{}，涉及{}人；{}", f.place, f.description, f.people_count, how) });
        }
    }
    if !any && v.units.iter().all(|u| u.ret.is_none()) {
        b.push(text("暂无单位反馈。".into()));
    }
    Document {
        kind: DocKind::AnalysisReport,
        title: format!("“{}”矛盾纠纷排查情况报告", c.title),
        number: format!("排字〔{}〕第{}号", c.created_at.with_timezone(&redress_domain::china_offset()).format("%Y"), c.id),
        addressee: "县委、县政府".into(),
        blocks: b,
        issuer: issuer.to_string(),
        date: today,
        case_number: format!("排查活动{}", c.id),
        footer: format!("统计时间：{}；反馈率 = 已反馈单位数 ÷ 布置单位数", crate::documents::date_zh(today)),
        file_stem: format!("矛盾纠纷排查情况报告-{}", c.id),
    }
}

impl App {
    /// The campaign report document (for HTML and DOCX).
    pub async fn campaign_report(&self, p: &Principal, id: i64) -> AppResult<crate::documents::Document> {
        let v = self.campaign(p, id).await?;
        let cfg = self.cfg().await?;
        let issuer = cfg.tree.get(v.campaign.org).map(|o| o.name.clone()).unwrap_or_default();
        Ok(report_document(&v, &issuer, local_date(self.now())))
    }
}
