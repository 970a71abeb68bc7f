//! Three-level early warning (三级预警) on matters and places.
//!
//! Rules are data (setting `warning_rules`, edited by an administrator): each has a kind, a
//! level (蓝/黄/红), a recipient organisation, its thresholds and the hours after which an
//! unacknowledged warning rises one level. A rule's fields name places, categories, units and
//! numbers of cases or people, never a person: the JSON refuses unknown fields, and what a
//! warning is about (its key) is a town, a category, a unit or a case.
//!
//! [`App::scan_warnings`] evaluates every rule at an instant and is idempotent: a finding whose
//! rule and key already have a live warning only adds cases to it; one whose cases were all
//! covered by a disposed warning raises nothing; the store keeps one live warning per rule and
//! key. The same scan escalates unacknowledged warnings. `serve` runs it every few minutes.
//! A warning lands in the workbench of everyone whose scope holds its recipient, who
//! acknowledges it and records a disposition with notes.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Duration, Utc};
use redress_domain::{CaseId, OrgId, Role, Status};
use redress_store::{FactQuery, StoreError, StoredWarning, WarningQuery};
use serde::{Deserialize, Serialize};

use crate::auth::Principal;
use crate::error::{AppError, AppResult};
use crate::App;

const RULES_KEY: &str = "warning_rules";

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    Blue,
    Yellow,
    Red,
}

impl Level {
    pub fn label_zh(self) -> &'static str {
        match self {
            Level::Blue => "蓝色预警",
            Level::Yellow => "黄色预警",
            Level::Red => "红色预警",
        }
    }
    pub fn key(self) -> &'static str {
        match self {
            Level::Blue => "blue",
            Level::Yellow => "yellow",
            Level::Red => "red",
        }
    }
    /// One level up (red stays red).
    pub fn up(self) -> Level {
        match self {
            Level::Blue => Level::Yellow,
            _ => Level::Red,
        }
    }
}

/// What a rule looks for. Every kind is about matters or places.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RuleKind {
    /// At least `threshold` cases of one category in one town within `window_days`.
    SimilarInPlace,
    /// A joint or collective matter (联名/集体) of at least `threshold` people within `window_days`.
    Collective,
    /// A matter registered again (同一事项) within `window_days` after the earlier one concluded.
    RepeatAfterClose,
    /// A unit with at least `threshold` cases past their deadline now.
    Overdue,
    /// A unit with at least `threshold` cases whose deadline passes within `window_days`.
    DueSoon,
    /// A category or a town whose count in the last `window_days` is unusually high against
    /// the `history_windows` windows before (the hotspot detector of `redress_text::hotspot`,
    /// at least `threshold` cases). Written `{"hotspot": {"history_windows": 8}}`.
    Hotspot {
        #[serde(default = "eight")]
        history_windows: u32,
    },
    /// At least `threshold` complaints within `window_days` about one project of the register
    /// under social stability risk assessment (稳评): cases in its towns, of its categories,
    /// since its assessment began ([`crate::assessment`]).
    ProjectComplaints,
}

fn eight() -> u32 {
    8
}

impl RuleKind {
    pub fn label_zh(self) -> &'static str {
        match self {
            RuleKind::SimilarInPlace => "同一地点同类事项集中",
            RuleKind::Collective => "联名或集体事项",
            RuleKind::RepeatAfterClose => "办结后重复反映",
            RuleKind::Overdue => "单位超期事项",
            RuleKind::DueSoon => "单位临期事项",
            RuleKind::Hotspot { .. } => "类别或地点热点突增",
            RuleKind::ProjectComplaints => "稳评项目相关诉求",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WarningRule {
    /// Stable id, e.g. `similar-town-7d`.
    pub id: String,
    pub name: String,
    pub kind: RuleKind,
    pub level: Level,
    /// The organisation whose people receive the warning.
    pub recipient: OrgId,
    #[serde(default = "yes")]
    pub enabled: bool,
    #[serde(default)]
    pub threshold: u32,
    #[serde(default)]
    pub window_days: u32,
    /// An unacknowledged warning rises one level after this many hours (0: never).
    #[serde(default)]
    pub escalate_after_hours: u32,
}

fn yes() -> bool {
    true
}

/// A warning as the application keeps it (`StoredWarning::data`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Warning {
    #[serde(default)]
    pub id: i64,
    pub rule_id: String,
    pub rule_name: String,
    pub kind: RuleKind,
    pub key: String,
    pub level: Level,
    /// When the level was last set (raised or escalated).
    pub level_at: DateTime<Utc>,
    pub recipient: OrgId,
    pub title: String,
    pub detail: String,
    pub cases: Vec<CaseId>,
    pub raised_at: DateTime<Utc>,
    pub status: String,
    pub acknowledged_at: Option<DateTime<Utc>>,
    pub acknowledged_by: Option<String>,
    pub disposition: Option<String>,
    pub notes: Option<String>,
    pub disposed_at: Option<DateTime<Utc>>,
    pub disposed_by: Option<String>,
    /// What happened to it, in order (raised, escalated, acknowledged, disposed), in Chinese.
    pub history: Vec<(DateTime<Utc>, String)>,
}

impl Warning {
    pub fn level_label(&self) -> &'static str {
        self.level.label_zh()
    }
    pub fn status_label(&self) -> &'static str {
        match self.status.as_str() {
            "open" => "待签收",
            "acknowledged" => "已签收待处置",
            _ => "已处置",
        }
    }
}

/// What one scan did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ScanReport {
    pub raised: u32,
    pub updated: u32,
    pub escalated: u32,
}

/// One thing a rule found.
struct Finding {
    key: String,
    title: String,
    detail: String,
    cases: Vec<CaseId>,
}

/// The defaults an administrator starts from.
pub fn default_rules(county: OrgId) -> Vec<WarningRule> {
    let r = |id: &str, name: &str, kind, level, threshold, window_days, hours| WarningRule {
        id: id.into(),
        name: name.into(),
        kind,
        level,
        recipient: county,
        enabled: true,
        threshold,
        window_days,
        escalate_after_hours: hours,
    };
    vec![
        r("similar-town-7d", "同一乡镇7日内同类事项5件以上", RuleKind::SimilarInPlace, Level::Blue, 5, 7, 24),
        r("collective-20", "20人以上联名或集体事项", RuleKind::Collective, Level::Yellow, 20, 7, 12),
        r("repeat-after-close", "办结后90日内重复反映", RuleKind::RepeatAfterClose, Level::Blue, 1, 90, 48),
        r("unit-overdue-5", "单位超期事项5件以上", RuleKind::Overdue, Level::Yellow, 5, 0, 24),
        r("unit-due-soon-10", "单位3日内到期事项10件以上", RuleKind::DueSoon, Level::Blue, 10, 3, 24),
        r("project-complaints-7d", "稳评项目7日内相关诉求3件以上", RuleKind::ProjectComplaints, Level::Yellow, 3, 7, 24),
    ]
}

pub fn validate_rules(rules: &[WarningRule], tree: &redress_domain::org::OrgTree) -> AppResult<()> {
    let mut ids = BTreeSet::new();
    for (i, r) in rules.iter().enumerate() {
        let field = |f: &str| format!("[{i}].{f}");
        if r.id.trim().is_empty() || !ids.insert(r.id.clone()) {
            return Err(AppError::invalid(&field("id"), "规则编号不能为空且不能重复"));
        }
        if r.name.trim().is_empty() {
            return Err(AppError::invalid(&field("name"), "请填写规则名称"));
        }
        if tree.get(r.recipient).is_none() {
            return Err(AppError::invalid(&field("recipient"), "接收单位不存在"));
        }
        let needs_window = !matches!(r.kind, RuleKind::Overdue);
        if needs_window && !(1..=366).contains(&r.window_days) {
            return Err(AppError::invalid(&field("window_days"), "统计天数应在1至366之间"));
        }
        if r.threshold == 0 && r.kind != RuleKind::RepeatAfterClose {
            return Err(AppError::invalid(&field("threshold"), "阈值应大于0"));
        }
    }
    Ok(())
}

impl App {
    pub async fn warning_rules(&self) -> AppResult<Vec<WarningRule>> {
        match self.store.get_setting(RULES_KEY).await? {
            Some(s) => serde_json::from_str(&s).map_err(|e| AppError::Store(StoreError::Corrupt(format!("预警规则数据损坏：{e}")))),
            None => {
                let cfg = self.cfg().await?;
                let county = cfg.tree.all().find(|o| o.parent.is_none()).map_or(OrgId(1), |o| o.id);
                Ok(default_rules(county))
            }
        }
    }

    /// Replaces the rules (administrators only).
    pub async fn set_warning_rules(&self, p: &Principal, rules: Vec<WarningRule>) -> AppResult<()> {
        crate::permissions::require_any(p, &[Role::Admin])?;
        let cfg = self.cfg().await?;
        validate_rules(&rules, &cfg.tree)?;
        let json = serde_json::to_string(&rules).map_err(|e| AppError::Store(StoreError::Other(e.to_string())))?;
        self.store.put_setting(RULES_KEY, &json).await?;
        Ok(())
    }

    /// Evaluates every enabled rule at `now`, raises or updates warnings, and escalates the
    /// unacknowledged ones whose time has come. Idempotent; safe to run from several places.
    pub async fn scan_warnings(&self, now: DateTime<Utc>) -> AppResult<ScanReport> {
        let rules = self.warning_rules().await?;
        let mut report = ScanReport::default();
        for rule in rules.iter().filter(|r| r.enabled) {
            for f in self.evaluate(rule, now).await? {
                self.record(rule, f, now, &mut report).await?;
            }
        }
        // Escalation of unacknowledged warnings.
        let open = self.store.list_warnings(&WarningQuery { statuses: vec!["open".into()], limit: 10_000, ..Default::default() }).await?;
        for sw in open {
            let mut w = decode(&sw)?;
            let Some(rule) = rules.iter().find(|r| r.id == w.rule_id) else { continue };
            if rule.escalate_after_hours == 0 || w.level == Level::Red {
                continue;
            }
            if now - w.level_at >= Duration::hours(rule.escalate_after_hours as i64) {
                let from = w.level;
                w.level = w.level.up();
                w.level_at = now;
                w.history.push((now, format!("超过{}小时未签收，由{}升为{}", rule.escalate_after_hours, from.label_zh(), w.level.label_zh())));
                self.save(&w).await?;
                report.escalated += 1;
            }
        }
        Ok(report)
    }

    async fn record(&self, rule: &WarningRule, mut f: Finding, now: DateTime<Utc>, report: &mut ScanReport) -> AppResult<()> {
        f.cases.sort();
        let q = WarningQuery { rule_id: Some(rule.id.clone()), key: Some(f.key.clone()), limit: 20, ..Default::default() };
        let existing = self.store.list_warnings(&q).await?;
        if let Some(live) = existing.iter().find(|w| w.status != "disposed") {
            let mut w = decode(live)?;
            let before: BTreeSet<CaseId> = w.cases.iter().copied().collect();
            let new: Vec<CaseId> = f.cases.iter().copied().filter(|c| !before.contains(c)).collect();
            if !new.is_empty() || w.detail != f.detail || w.title != f.title {
                w.cases.extend(new);
                w.cases.sort();
                w.detail = f.detail;
                w.title = f.title;
                self.save(&w).await?;
                report.updated += 1;
            }
            return Ok(());
        }
        // Everything already dealt with in a disposed warning: nothing new to say.
        let covered: BTreeSet<CaseId> = existing.iter().filter_map(|w| decode(w).ok()).flat_map(|w| w.cases).collect();
        if !existing.is_empty() && f.cases.iter().all(|c| covered.contains(c)) {
            return Ok(());
        }
        let w = Warning {
            id: 0,
            rule_id: rule.id.clone(),
            rule_name: rule.name.clone(),
            kind: rule.kind,
            key: f.key,
            level: rule.level,
            level_at: now,
            recipient: rule.recipient,
            title: f.title,
            detail: f.detail,
            cases: f.cases,
            raised_at: now,
            status: "open".into(),
            acknowledged_at: None,
            acknowledged_by: None,
            disposition: None,
            notes: None,
            disposed_at: None,
            disposed_by: None,
            history: vec![(now, format!("按规则“{}”发出{}", rule.name, rule.level.label_zh()))],
        };
        match self.save(&w).await {
            Ok(_) => report.raised += 1,
            // Another scan raised it a moment ago: the same warning, nothing to add.
            Err(AppError::Store(StoreError::Duplicate { .. })) => {}
            Err(e) => return Err(e),
        }
        Ok(())
    }

    async fn save(&self, w: &Warning) -> AppResult<i64> {
        let data = serde_json::to_string(w).map_err(|e| AppError::Store(StoreError::Other(e.to_string())))?;
        let sw = StoredWarning {
            id: w.id,
            rule_id: w.rule_id.clone(),
            key: w.key.clone(),
            recipient: w.recipient,
            status: w.status.clone(),
            raised_at: w.raised_at,
            data,
        };
        Ok(self.store.save_warning(&sw).await?)
    }

    /// Cases registered in the last `days` (at most 20,000, newest first).
    async fn recent_cases(&self, now: DateTime<Utc>, days: u32) -> AppResult<Vec<redress_domain::Case>> {
        self.cases_since(now - Duration::days(days as i64)).await
    }

    async fn evaluate(&self, rule: &WarningRule, now: DateTime<Utc>) -> AppResult<Vec<Finding>> {
        let cfg = self.cfg().await?;
        let name = |o: OrgId| cfg.tree.get(o).map(|x| x.name.clone()).unwrap_or_else(|| format!("#{}", o.0));
        let mut out = vec![];
        match rule.kind {
            RuleKind::SimilarInPlace => {
                let mut groups: BTreeMap<(OrgId, String), Vec<CaseId>> = BTreeMap::new();
                for c in self.recent_cases(now, rule.window_days).await? {
                    let (Some(town), Some(cat)) = (c.matter.location.org.and_then(|o| cfg.tree.town_of(o)), c.matter.category.clone()) else { continue };
                    if matches!(c.status, Status::Merged | Status::Withdrawn) {
                        continue;
                    }
                    groups.entry((town, cat)).or_default().push(c.id);
                }
                for ((town, cat), ids) in groups.into_iter().filter(|(_, v)| v.len() as u32 >= rule.threshold) {
                    let label = cfg.taxonomy.label(&cat).unwrap_or_else(|| cat.clone());
                    out.push(Finding {
                        key: format!("town:{}|cat:{cat}", town.0),
                        title: format!("{}近{}日“{}”类事项{}件", name(town), rule.window_days, label, ids.len()),
                        detail: format!("{}在{}日内登记{}件“{}”类事项，达到{}件的预警线。", name(town), rule.window_days, ids.len(), label, rule.threshold),
                        cases: ids,
                    });
                }
            }
            RuleKind::Collective => {
                for c in self.recent_cases(now, rule.window_days).await? {
                    if c.matter.people_count >= rule.threshold {
                        out.push(Finding {
                            key: format!("case:{}", c.id.0),
                            title: format!("{}人联名或集体事项：{}", c.matter.people_count, c.matter.subject),
                            detail: format!("{}（{}人）达到{}人的预警线。", c.number(), c.matter.people_count, rule.threshold),
                            cases: vec![c.id],
                        });
                    }
                }
            }
            RuleKind::RepeatAfterClose => {
                for c in self.recent_cases(now, rule.window_days).await? {
                    let Some(earlier) = c.matter.same_matter_as else { continue };
                    let Some(prev) = self.store.get_case(earlier).await? else { continue };
                    if prev.status.is_concluded() && prev.registered_at < c.registered_at {
                        out.push(Finding {
                            key: format!("case:{}", c.id.0),
                            title: format!("办结后重复反映：{}", c.matter.subject),
                            detail: format!("{}与已办结的{}为同一事项，办结后再次反映。", c.number(), prev.number()),
                            cases: vec![prev.id, c.id],
                        });
                    }
                }
            }
            RuleKind::Overdue | RuleKind::DueSoon => {
                let at = match rule.kind {
                    RuleKind::Overdue => now,
                    _ => now + Duration::days(rule.window_days as i64),
                };
                let all = FactQuery::default();
                let mut by_unit: BTreeMap<i64, i64> = BTreeMap::new();
                for g in self.store.overdue_groups(&all, at).await? {
                    *by_unit.entry(g.unit).or_default() += g.cases;
                }
                let overdue_now: BTreeMap<i64, i64> = if rule.kind == RuleKind::DueSoon {
                    let mut m = BTreeMap::new();
                    for g in self.store.overdue_groups(&all, now).await? {
                        *m.entry(g.unit).or_default() += g.cases;
                    }
                    m
                } else {
                    BTreeMap::new()
                };
                for (unit, n) in by_unit {
                    let n = n - overdue_now.get(&unit).copied().unwrap_or(0);
                    if unit == 0 || n < rule.threshold as i64 {
                        continue;
                    }
                    let q = FactQuery { units: Some(vec![unit]), ..Default::default() };
                    let (ids, _) = self.store.fact_case_ids(&q, Some(at), 50, 0).await?;
                    let what = if rule.kind == RuleKind::Overdue { "已超期".to_string() } else { format!("将在{}日内到期", rule.window_days) };
                    out.push(Finding {
                        key: format!("unit:{unit}"),
                        title: format!("{}有{}件事项{}", name(OrgId(unit)), n, what),
                        detail: format!("{}当前有{}件事项{}，达到{}件的预警线（清单列出最近登记的至多50件）。", name(OrgId(unit)), n, what, rule.threshold),
                        cases: ids,
                    });
                }
            }
            RuleKind::Hotspot { history_windows } => out = self.hotspot_findings(rule, history_windows, now).await?,
            RuleKind::ProjectComplaints => {
                let projects = self.assessment_projects().await?;
                let recent = if projects.is_empty() { vec![] } else { self.recent_cases(now, rule.window_days).await? };
                for pr in projects {
                    let ids: Vec<CaseId> = recent.iter().filter(|c| self.concerns(&cfg.tree, &pr, c)).map(|c| c.id).collect();
                    if ids.is_empty() || (ids.len() as u32) < rule.threshold {
                        continue;
                    }
                    out.push(Finding {
                        key: format!("project:{}", pr.id),
                        title: format!("稳评事项“{}”近{}日相关诉求{}件", pr.name, rule.window_days, ids.len()),
                        detail: format!(
                            "“{}”（{}，{}）涉及的乡镇和类别在{}日内登记诉求{}件，达到{}件的预警线。",
                            pr.name,
                            pr.kind.label_zh(),
                            pr.stage.label_zh(),
                            rule.window_days,
                            ids.len(),
                            rule.threshold
                        ),
                        cases: ids,
                    });
                }
            }
        }
        Ok(out)
    }

    /// Hotspot rule: the county's cases of the last `window_days × (history_windows + 1)` days
    /// by category and by town, each key tested by [`redress_text::hotspot::SpikeRule`] with
    /// `min_count` = the rule's threshold; one finding per flagged key, with its recent cases.
    async fn hotspot_findings(&self, rule: &WarningRule, history_windows: u32, now: DateTime<Utc>) -> AppResult<Vec<Finding>> {
        let cfg = self.cfg().await?;
        let spike = redress_text::hotspot::SpikeRule {
            window_days: rule.window_days.max(1),
            history_windows: history_windows.clamp(1, 52),
            min_count: rule.threshold.max(1),
            ..Default::default()
        };
        let span = spike.window_days * (spike.history_windows + 1);
        let as_of = crate::similar::day_number(redress_domain::local_date(now));
        // key → (label, days of its cases, its cases in the recent window)
        let mut keys: BTreeMap<String, (String, Vec<i32>, Vec<CaseId>)> = BTreeMap::new();
        for c in self.recent_cases(now, span).await? {
            if matches!(c.status, Status::Merged | Status::Withdrawn) || c.matter.demo {
                continue;
            }
            let day = crate::similar::day_number(redress_domain::local_date(c.registered_at));
            let recent = as_of - day < spike.window_days as i32;
            let mut add = |key: String, label: String| {
                let e = keys.entry(key).or_insert_with(|| (label, vec![], vec![]));
                e.1.push(day);
                if recent {
                    e.2.push(c.id);
                }
            };
            if let Some(cat) = &c.matter.category {
                add(format!("hotspot:cat:{cat}"), format!("“{}”类事项", cfg.taxonomy.label(cat).unwrap_or_else(|| cat.clone())));
            }
            if let Some(town) = c.matter.location.org.and_then(|o| cfg.tree.town_of(o)) {
                add(format!("hotspot:town:{}", town.0), cfg.tree.get(town).map_or_else(|| format!("#{}", town.0), |o| o.name.clone()));
            }
        }
        let mut out = vec![];
        for (key, (label, days, cases)) in keys {
            let s = spike.test_days(days, as_of);
            if !s.flagged {
                continue;
            }
            out.push(Finding {
                key,
                title: format!("热点：{label}近{}日{}件，明显高于平时", spike.window_days, s.recent),
                detail: format!("{label}{}。", s.explanation),
                cases,
            });
        }
        Ok(out)
    }

    /// The warnings `p` receives: those addressed to an organisation in their scope.
    pub async fn warnings_for(&self, p: &Principal, live_only: bool, limit: u32) -> AppResult<Vec<Warning>> {
        let recipients = p.visible.clone();
        let statuses = if live_only { vec!["open".into(), "acknowledged".into()] } else { vec![] };
        let q = WarningQuery { recipients, statuses, limit, ..Default::default() };
        self.store.list_warnings(&q).await?.iter().map(decode).collect()
    }

    pub async fn warning(&self, p: &Principal, id: i64) -> AppResult<Warning> {
        let sw = self.store.get_warning(id).await?.ok_or(AppError::NotFound("该预警"))?;
        if !p.may_see(&[sw.recipient]) {
            return Err(AppError::NotFound("该预警"));
        }
        decode(&sw)
    }

    /// The recipient acknowledges (签收) a warning.
    pub async fn acknowledge_warning(&self, p: &Principal, id: i64) -> AppResult<Warning> {
        let mut w = self.warning(p, id).await?;
        require_handler(p)?;
        if w.status != "open" {
            return Err(AppError::invalid("status", "该预警已签收"));
        }
        let now = self.now();
        w.status = "acknowledged".into();
        w.acknowledged_at = Some(now);
        w.acknowledged_by = Some(p.user.display_name.clone());
        w.history.push((now, format!("{}签收", p.user.display_name)));
        self.save(&w).await?;
        Ok(w)
    }

    /// The recipient records what was done (处置) with notes; an unacknowledged warning is
    /// acknowledged by the same act.
    pub async fn dispose_warning(&self, p: &Principal, id: i64, disposition: &str, notes: &str) -> AppResult<Warning> {
        let mut w = self.warning(p, id).await?;
        require_handler(p)?;
        if w.status == "disposed" {
            return Err(AppError::invalid("status", "该预警已处置"));
        }
        let disposition = disposition.trim();
        if disposition.is_empty() {
            return Err(AppError::invalid("disposition", "请填写处置情况"));
        }
        if disposition.chars().count() > 2000 || notes.chars().count() > 5000 {
            return Err(AppError::invalid("notes", "处置情况不超过2000字，备注不超过5000字"));
        }
        let now = self.now();
        if w.acknowledged_at.is_none() {
            w.acknowledged_at = Some(now);
            w.acknowledged_by = Some(p.user.display_name.clone());
        }
        w.status = "disposed".into();
        w.disposition = Some(disposition.to_string());
        w.notes = Some(notes.trim().to_string()).filter(|n| !n.is_empty());
        w.disposed_at = Some(now);
        w.disposed_by = Some(p.user.display_name.clone());
        w.history.push((now, format!("{}处置：{}", p.user.display_name, disposition)));
        self.save(&w).await?;
        Ok(w)
    }
}

fn require_handler(p: &Principal) -> AppResult<()> {
    if p.has(Role::Auditor) && p.user.roles.len() == 1 {
        return Err(AppError::forbidden("审计员只能查看预警"));
    }
    Ok(())
}

fn decode(sw: &StoredWarning) -> AppResult<Warning> {
    let mut w: Warning = serde_json::from_str(&sw.data).map_err(|e| AppError::Store(StoreError::Corrupt(format!("预警 {} 数据损坏：{e}", sw.id))))?;
    w.id = sw.id;
    w.status = sw.status.clone();
    Ok(w)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_rise_one_step_and_stop_at_red() {
        assert_eq!(Level::Blue.up(), Level::Yellow);
        assert_eq!(Level::Yellow.up(), Level::Red);
        assert_eq!(Level::Red.up(), Level::Red);
    }

    #[test]
    fn a_rule_cannot_name_a_person() {
        let json = r#"[{"id":"x","name":"盯人","kind":"collective","level":"red","recipient":1,"threshold":1,"window_days":7,"petitioner":"张三"}]"#;
        let err = serde_json::from_str::<Vec<WarningRule>>(json).unwrap_err().to_string();
        assert!(err.contains("unknown field `petitioner`"), "{err}");
        let kind = r#"[{"id":"x","name":"盯人","kind":"person","level":"red","recipient":1}]"#;
        assert!(serde_json::from_str::<Vec<WarningRule>>(kind).is_err(), "no rule kind is about a person");
    }
}
