//! 零报告: every reporting unit files a daily or weekly report — "有情况" with the details, or
//! "无情况" — and the county sees which units filed, filed late or did not file.
//!
//! Who reports how often is a setting (`nil_report_frequency`, administrators): by default
//! towns (乡镇街道) report daily and departments weekly; an administrator may set any unit to
//! daily, weekly or none. A daily report is due by 24:00 (Beijing) of its day, a weekly report
//! by 24:00 of the week's Friday; the period of a weekly report starts on its Monday. Filing
//! again within or after a period adds a filing: the newest is the report, the earlier ones its
//! history (nothing is overwritten). A filing after the deadline is marked late (补报).
//!
//! The `nil_report_check` job ([`App::check_nil_reports`]) records one reminder per unit and
//! missed period for the unit head (`duty_reminders`); the dashboard lists the same missing
//! reports. Reports are about matters in the unit's area, never about people.

use std::collections::BTreeMap;

use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc, Weekday};
use redress_domain::org::{OrgKind, OrgTree};
use redress_domain::{end_of_local_day, local_date, OrgId, Role};
use redress_store::{DutyReminder, NilReport, NilReportQuery, StoreError};
use serde::{Deserialize, Serialize};

use crate::auth::Principal;
use crate::error::{AppError, AppResult};
use crate::permissions::require_any;
use crate::App;

const SETTING_KEY: &str = "nil_report_frequency";
pub const REMINDER_KIND: &str = "nil_report_missing";
pub const DETAILS_MAX: usize = 2000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Frequency {
    Daily,
    Weekly,
    /// The unit does not report.
    None,
}

impl Frequency {
    pub fn key(self) -> &'static str {
        match self {
            Frequency::Daily => "daily",
            Frequency::Weekly => "weekly",
            Frequency::None => "none",
        }
    }
    pub fn label_zh(self) -> &'static str {
        match self {
            Frequency::Daily => "每日报送",
            Frequency::Weekly => "每周报送",
            Frequency::None => "不报送",
        }
    }
    pub fn parse(s: &str) -> Option<Frequency> {
        [Frequency::Daily, Frequency::Weekly, Frequency::None].into_iter().find(|f| f.key() == s || f.label_zh() == s)
    }
    /// The default for a kind of organisation: towns daily, departments weekly, others none.
    pub fn default_for(kind: OrgKind) -> Frequency {
        match kind {
            OrgKind::Town => Frequency::Daily,
            OrgKind::Department => Frequency::Weekly,
            _ => Frequency::None,
        }
    }
}

/// A reporting period: its first day and its deadline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Period {
    pub frequency: Frequency,
    pub start: NaiveDate,
    pub due: DateTime<Utc>,
}

impl Period {
    /// The period of `frequency` that holds the local date `day`.
    pub fn containing(frequency: Frequency, day: NaiveDate) -> Period {
        match frequency {
            Frequency::Weekly => {
                let monday = day - Duration::days(day.weekday().num_days_from_monday() as i64);
                let friday = monday + Duration::days(4);
                Period { frequency, start: monday, due: end_of_local_day(friday) }
            }
            _ => Period { frequency, start: day, due: end_of_local_day(day) },
        }
    }
    /// The latest period whose deadline passed before `now`.
    pub fn last_due(frequency: Frequency, now: DateTime<Utc>) -> Period {
        let this = Period::containing(frequency, local_date(now));
        if this.due <= now {
            return this;
        }
        let step = if frequency == Frequency::Weekly { 7 } else { 1 };
        Period::containing(frequency, this.start - Duration::days(step))
    }
    pub fn key(&self) -> String {
        self.start.format("%Y-%m-%d").to_string()
    }
    /// `2024-03-04` or `2024-03-04至03-10（第10周）`.
    pub fn label(&self) -> String {
        match self.frequency {
            Frequency::Weekly => {
                let end = self.start + Duration::days(6);
                format!("{}至{}（第{}周）", self.start.format("%Y-%m-%d"), end.format("%m-%d"), self.start.iso_week().week())
            }
            _ => format!("{}（{}）", self.start.format("%Y-%m-%d"), weekday_zh(self.start.weekday())),
        }
    }
}

fn weekday_zh(w: Weekday) -> &'static str {
    ["周一", "周二", "周三", "周四", "周五", "周六", "周日"][w.num_days_from_monday() as usize]
}

pub fn status_label(status: &str) -> &'static str {
    if status == "found" {
        "有情况"
    } else {
        "无情况"
    }
}

/// One unit's reporting setting as shown and edited.
#[derive(Debug, Clone, Serialize)]
pub struct UnitSetting {
    pub unit: OrgId,
    pub unit_name: String,
    pub kind: String,
    pub frequency: Frequency,
    /// Differs from the default for its kind (set by an administrator).
    pub explicit: bool,
}

/// How one unit stands for one period.
#[derive(Debug, Clone, Serialize)]
pub struct CoverageRow {
    pub unit: OrgId,
    pub unit_name: String,
    pub frequency: Frequency,
    pub period: String,
    pub period_label: String,
    pub due: DateTime<Utc>,
    /// `on_time` (按时报送), `late` (补报), `missing` (未报, deadline passed) or `pending` (待报).
    pub state: String,
    pub state_label: &'static str,
    /// The current report, if any.
    pub report: Option<NilReport>,
    /// How many times it was filed (corrections included).
    pub filings: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct Coverage {
    /// The local date the periods hold.
    pub date: NaiveDate,
    pub rows: Vec<CoverageRow>,
    pub filed: usize,
    pub late: usize,
    pub missing: usize,
    pub pending: usize,
    pub found: usize,
}

/// What a unit files.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct Filing {
    /// The reporting unit; left out, the person's own unit.
    #[serde(default)]
    pub unit: Option<OrgId>,
    /// A day in the period (Beijing, `yyyy-mm-dd`); left out, today.
    #[serde(default)]
    pub date: Option<String>,
    /// `nil` (无情况) or `found` (有情况).
    pub status: String,
    #[serde(default)]
    pub details: String,
}

fn state_label(state: &str) -> &'static str {
    match state {
        "on_time" => "按时报送",
        "late" => "补报",
        "missing" => "未报送",
        _ => "待报送",
    }
}

pub fn parse_date(field: &str, s: &str) -> AppResult<NaiveDate> {
    NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").map_err(|_| AppError::invalid(field, "日期格式应为“年-月-日”，如 2024-03-04"))
}

/// The stored setting: the units that differ from their kind's default, and every change.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct StoredSettings {
    #[serde(default)]
    overrides: BTreeMap<i64, Frequency>,
    #[serde(default)]
    changes: Vec<FrequencyChange>,
}

/// One change of a unit's frequency: who, when, from what to what.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FrequencyChange {
    pub at: DateTime<Utc>,
    pub by: String,
    pub unit: OrgId,
    pub unit_name: String,
    pub from: Frequency,
    pub to: Frequency,
}

impl App {
    async fn nil_stored_settings(&self) -> AppResult<StoredSettings> {
        match self.store.get_setting(SETTING_KEY).await? {
            Some(s) => serde_json::from_str(&s).map_err(|e| AppError::Store(StoreError::Corrupt(format!("零报告设置数据损坏：{e}")))),
            None => Ok(StoredSettings::default()),
        }
    }

    async fn nil_frequency_overrides(&self) -> AppResult<BTreeMap<i64, Frequency>> {
        Ok(self.nil_stored_settings().await?.overrides)
    }

    /// Changes of the reporting frequencies, newest first.
    pub async fn nil_report_setting_changes(&self) -> AppResult<Vec<FrequencyChange>> {
        let mut v = self.nil_stored_settings().await?.changes;
        v.reverse();
        Ok(v)
    }

    /// Every organisation that could report, with its frequency (defaults filled in), in tree order.
    pub async fn nil_report_settings(&self) -> AppResult<Vec<UnitSetting>> {
        let cfg = self.cfg().await?;
        let over = self.nil_frequency_overrides().await?;
        Ok(reporting_candidates(&cfg.tree)
            .into_iter()
            .map(|o| {
                let explicit = over.get(&o.id.0).copied();
                UnitSetting {
                    unit: o.id,
                    unit_name: o.name.clone(),
                    kind: o.kind.label_zh().into(),
                    frequency: explicit.unwrap_or(Frequency::default_for(o.kind)),
                    explicit: explicit.is_some(),
                }
            })
            .collect())
    }

    /// Sets units' frequencies (administrators). Units left out keep theirs.
    pub async fn set_nil_report_settings(&self, p: &Principal, changes: &BTreeMap<i64, Frequency>) -> AppResult<Vec<UnitSetting>> {
        require_any(p, &[Role::Admin])?;
        let cfg = self.cfg().await?;
        let mut stored = self.nil_stored_settings().await?;
        let before = self.nil_report_settings().await?;
        let now = self.now();
        let over = &mut stored.overrides;
        for (unit, f) in changes {
            let Some(org) = cfg.tree.get(OrgId(*unit)) else {
                return Err(AppError::invalid(&format!("units.{unit}"), format!("单位 {unit} 不存在")));
            };
            if matches!(org.kind, OrgKind::External) {
                return Err(AppError::invalid(&format!("units.{unit}"), format!("“{}”是外部机关，不能设置零报告", org.name)));
            }
            let from = before.iter().find(|u| u.unit.0 == *unit).map_or(Frequency::default_for(org.kind), |u| u.frequency);
            if from != *f {
                stored.changes.push(FrequencyChange { at: now, by: p.user.display_name.clone(), unit: org.id, unit_name: org.name.clone(), from, to: *f });
            }
            // A unit set back to its kind's default follows the default again.
            if *f == Frequency::default_for(org.kind) {
                over.remove(unit);
            } else {
                over.insert(*unit, *f);
            }
        }
        let json = serde_json::to_string(&stored).map_err(|e| AppError::Store(StoreError::Other(e.to_string())))?;
        self.store.put_setting(SETTING_KEY, &json).await?;
        self.nil_report_settings().await
    }

    /// The units that report (frequency not none), with their frequency.
    pub async fn reporting_units(&self) -> AppResult<Vec<UnitSetting>> {
        Ok(self.nil_report_settings().await?.into_iter().filter(|u| u.frequency != Frequency::None).collect())
    }

    /// Files a 零报告 for the period holding `f.date` (default today). Unit staff file for their
    /// own unit; administrators may file for any unit.
    pub async fn file_nil_report(&self, p: &Principal, f: &Filing) -> AppResult<NilReport> {
        let cfg = self.cfg().await?;
        if p.has(Role::Auditor) && p.user.roles.len() == 1 {
            return Err(AppError::forbidden("审计员不能报送零报告"));
        }
        let unit = f.unit.unwrap_or(p.user.org_id);
        if unit != p.user.org_id && !p.has(Role::Admin) {
            return Err(AppError::forbidden("只能报送本单位的零报告"));
        }
        let setting = self.nil_report_settings().await?.into_iter().find(|s| s.unit == unit);
        let frequency = match setting {
            Some(s) if s.frequency != Frequency::None => s.frequency,
            _ => return Err(AppError::invalid("unit", format!("“{}”不需要报送零报告", cfg.tree.get(unit).map_or("该单位", |o| o.name.as_str())))),
        };
        let now = self.now();
        let today = local_date(now);
        let day = match f.date.as_deref().filter(|d| !d.trim().is_empty()) {
            Some(d) => parse_date("date", d)?,
            None => today,
        };
        let period = Period::containing(frequency, day);
        if period.start > today {
            return Err(AppError::invalid("date", "不能报送尚未开始的周期"));
        }
        if today - period.start > Duration::days(92) {
            return Err(AppError::invalid("date", "只能补报三个月以内的周期"));
        }
        let status = match f.status.trim() {
            "nil" | "无情况" => "nil",
            "found" | "有情况" => "found",
            "" => return Err(AppError::invalid("status", "请选择“有情况”或“无情况”")),
            _ => return Err(AppError::invalid("status", "报送情况应为“有情况”或“无情况”")),
        };
        let details = f.details.trim();
        if status == "found" && details.is_empty() {
            return Err(AppError::invalid("details", "有情况时请填写具体情况（地点、类别、涉及人数、已采取的措施）"));
        }
        if details.chars().count() > DETAILS_MAX {
            return Err(AppError::invalid("details", format!("情况说明不超过{DETAILS_MAX}字")));
        }
        let mut r = NilReport {
            id: 0,
            unit,
            frequency: frequency.key().into(),
            period: period.key(),
            status: status.into(),
            details: details.into(),
            filed_by: p.user.display_name.clone(),
            filed_at: now,
            late: now > period.due,
        };
        r.id = self.store.add_nil_report(&r).await?;
        Ok(r)
    }

    /// Filings of the units `p` may see (one unit or all), periods from..=to, newest first.
    pub async fn nil_report_history(&self, p: &Principal, unit: Option<OrgId>, from: NaiveDate, to: NaiveDate) -> AppResult<Vec<NilReport>> {
        let units: Option<Vec<OrgId>> = match (unit, &p.visible) {
            (Some(u), _) if !p.may_see(&[u]) => return Err(AppError::NotFound("该单位")),
            (Some(u), _) => Some(vec![u]),
            (None, v) => v.clone(),
        };
        let q = NilReportQuery { units, period_from: from.format("%Y-%m-%d").to_string(), period_to: to.format("%Y-%m-%d").to_string(), limit: 5000 };
        let mut v = self.store.nil_reports(&q).await?;
        v.reverse();
        Ok(v)
    }

    /// Coverage of the periods holding local date `date`: every reporting unit `p` may see.
    pub async fn nil_report_coverage(&self, p: &Principal, date: NaiveDate) -> AppResult<Coverage> {
        let units: Vec<UnitSetting> = self.reporting_units().await?.into_iter().filter(|u| p.may_see(&[u.unit])).collect();
        let periods: Vec<(UnitSetting, Period)> = units.into_iter().map(|u| {
            let per = Period::containing(u.frequency, date);
            (u, per)
        }).collect();
        self.coverage_of(date, periods).await
    }

    /// The reports missing for each unit's latest period past its deadline at `now`, within
    /// what `p` may see (`None`: everything, for the job).
    pub async fn missing_nil_reports(&self, p: Option<&Principal>, now: DateTime<Utc>) -> AppResult<Vec<CoverageRow>> {
        let units: Vec<(UnitSetting, Period)> = self
            .reporting_units()
            .await?
            .into_iter()
            .filter(|u| p.is_none_or(|p| p.may_see(&[u.unit])))
            .map(|u| {
                let per = Period::last_due(u.frequency, now);
                (u, per)
            })
            .collect();
        let c = self.coverage_of(local_date(now), units).await?;
        Ok(c.rows.into_iter().filter(|r| r.state == "missing").collect())
    }

    async fn coverage_of(&self, date: NaiveDate, periods: Vec<(UnitSetting, Period)>) -> AppResult<Coverage> {
        let now = self.now();
        let mut c = Coverage { date, rows: vec![], filed: 0, late: 0, missing: 0, pending: 0, found: 0 };
        if periods.is_empty() {
            return Ok(c);
        }
        let from = periods.iter().map(|(_, p)| p.start).min().expect("not empty");
        let to = periods.iter().map(|(_, p)| p.start).max().expect("not empty");
        let q = NilReportQuery {
            units: Some(periods.iter().map(|(u, _)| u.unit).collect()),
            period_from: from.format("%Y-%m-%d").to_string(),
            period_to: to.format("%Y-%m-%d").to_string(),
            limit: 100_000,
        };
        let mut by: BTreeMap<(i64, String, String), Vec<NilReport>> = BTreeMap::new();
        for r in self.store.nil_reports(&q).await? {
            by.entry((r.unit.0, r.frequency.clone(), r.period.clone())).or_default().push(r);
        }
        for (u, per) in periods {
            let filings = by.remove(&(u.unit.0, u.frequency.key().to_string(), per.key())).unwrap_or_default();
            let report = filings.last().cloned();
            // A correction after the deadline does not make an on-time report late.
            let state = match filings.first() {
                Some(first) if !first.late => "on_time",
                Some(_) => "late",
                None if per.due <= now => "missing",
                None => "pending",
            };
            match state {
                "on_time" => c.filed += 1,
                "late" => {
                    c.filed += 1;
                    c.late += 1
                }
                "missing" => c.missing += 1,
                _ => c.pending += 1,
            }
            if report.as_ref().is_some_and(|r| r.status == "found") {
                c.found += 1;
            }
            c.rows.push(CoverageRow {
                unit: u.unit,
                unit_name: u.unit_name,
                frequency: u.frequency,
                period: per.key(),
                period_label: per.label(),
                due: per.due,
                state: state.into(),
                state_label: state_label(state),
                filings: filings.len(),
                report,
            });
        }
        Ok(c)
    }

    /// The job: one reminder per unit and missed period (idempotent).
    pub async fn check_nil_reports(&self, job: &str, slot: i64) -> AppResult<String> {
        let now = self.now();
        let missing = self.missing_nil_reports(None, now).await?;
        let batch: Vec<DutyReminder> = missing
            .iter()
            .map(|r| DutyReminder { unit: r.unit, kind: REMINDER_KIND.into(), period: r.period.clone(), created_at: now, job: job.into(), slot })
            .collect();
        let new = self.store.add_duty_reminders(&batch).await?;
        Ok(format!("未报送零报告 {} 个单位，新提醒 {new} 条", missing.len()))
    }

    /// What the person's own unit still owes (for the workbench): the current period when not yet
    /// filed, and the last period past its deadline when it was missed. Empty when the unit does
    /// not report.
    pub async fn nil_report_todo(&self, p: &Principal) -> AppResult<Vec<CoverageRow>> {
        let Some(u) = self.reporting_units().await?.into_iter().find(|u| u.unit == p.user.org_id) else { return Ok(vec![]) };
        let now = self.now();
        let current = Period::containing(u.frequency, local_date(now));
        let last = Period::last_due(u.frequency, now);
        let c = self.coverage_of(local_date(now), vec![(u.clone(), last), (u, current)]).await?;
        Ok(c.rows.into_iter().filter(|r| matches!(r.state.as_str(), "missing" | "pending")).collect())
    }

    /// Reminders about missing reports addressed to `unit`, newest first.
    pub async fn nil_report_reminders(&self, p: &Principal, unit: OrgId) -> AppResult<Vec<DutyReminder>> {
        if !p.may_see(&[unit]) {
            return Err(AppError::NotFound("该单位"));
        }
        Ok(self.store.duty_reminders(Some(unit), 50).await?.into_iter().filter(|r| r.kind == REMINDER_KIND).collect())
    }
}

/// Organisations that may be set to report: towns, departments, villages and communities.
fn reporting_candidates(tree: &OrgTree) -> Vec<&redress_domain::Org> {
    let mut v: Vec<&redress_domain::Org> =
        tree.all().filter(|o| matches!(o.kind, OrgKind::Town | OrgKind::Department | OrgKind::Village | OrgKind::Community)).collect();
    v.sort_by_key(|o| (o.kind != OrgKind::Town, o.kind != OrgKind::Department, o.id));
    v
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn periods_start_on_the_day_or_monday_and_fall_due_at_midnight_or_friday() {
        let daily = Period::containing(Frequency::Daily, d("2024-03-06"));
        assert_eq!(daily.key(), "2024-03-06");
        assert_eq!(daily.due, Utc.with_ymd_and_hms(2024, 3, 6, 16, 0, 0).unwrap(), "24:00 Beijing");
        let weekly = Period::containing(Frequency::Weekly, d("2024-03-09"));
        assert_eq!(weekly.key(), "2024-03-04", "the Monday");
        assert_eq!(weekly.due, Utc.with_ymd_and_hms(2024, 3, 8, 16, 0, 0).unwrap(), "Friday 24:00 Beijing");
        assert_eq!(weekly.label(), "2024-03-04至03-10（第10周）");
        // 2024-03-07 10:00 Beijing: yesterday's daily report is the last one due; last week's weekly one.
        let now = Utc.with_ymd_and_hms(2024, 3, 7, 2, 0, 0).unwrap();
        assert_eq!(Period::last_due(Frequency::Daily, now).key(), "2024-03-06");
        assert_eq!(Period::last_due(Frequency::Weekly, now).key(), "2024-02-26");
        // Saturday: this week's weekly report is past due.
        let sat = Utc.with_ymd_and_hms(2024, 3, 9, 2, 0, 0).unwrap();
        assert_eq!(Period::last_due(Frequency::Weekly, sat).key(), "2024-03-04");
    }

    #[test]
    fn towns_report_daily_and_departments_weekly_by_default() {
        assert_eq!(Frequency::default_for(OrgKind::Town), Frequency::Daily);
        assert_eq!(Frequency::default_for(OrgKind::Department), Frequency::Weekly);
        assert_eq!(Frequency::default_for(OrgKind::County), Frequency::None);
        assert_eq!(Frequency::parse("每周报送"), Some(Frequency::Weekly));
    }
}
