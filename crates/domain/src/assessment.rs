//! The register of major decisions and projects under social stability risk assessment
//! (社会稳定风险评估): what each is, who decides, who is responsible, who assesses, where it
//! applies and which kinds of matters it may raise. Grievances about such a project — cases
//! registered in its towns, of its categories, after its assessment began — are linked to it and
//! feed the early warning. Everything here is about the project and the places it touches; no
//! person is scored.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::OrgId;

/// What is assessed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProjectKind {
    /// 重大决策
    Decision,
    /// 重大改革
    Reform,
    /// 重大项目
    Project,
    /// 重大活动
    Event,
}

impl ProjectKind {
    pub fn label_zh(self) -> &'static str {
        match self {
            ProjectKind::Decision => "重大决策",
            ProjectKind::Reform => "重大改革",
            ProjectKind::Project => "重大项目",
            ProjectKind::Event => "重大活动",
        }
    }
}

/// Where the project stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProjectStage {
    /// 评估中
    Assessing,
    /// 已决策实施（全程跟踪）
    Decided,
    /// 已终止或暂缓
    Stopped,
}

impl ProjectStage {
    pub fn label_zh(self) -> &'static str {
        match self {
            ProjectStage::Assessing => "评估中",
            ProjectStage::Decided => "已决策实施",
            ProjectStage::Stopped => "已终止或暂缓",
        }
    }
}

/// One entry of the register.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Project {
    /// Stable id, e.g. `2026-001`.
    pub id: String,
    pub name: String,
    pub kind: ProjectKind,
    /// 决策机关
    pub deciding_body: String,
    /// 责任单位
    pub responsible_unit: OrgId,
    /// 评估主体
    pub assessing_body: String,
    /// Whether assessment is required (应评尽评), and why or why not.
    pub assessment_required: bool,
    #[serde(default)]
    pub required_reason: String,
    /// The towns (乡镇/街道) where it applies.
    pub towns: Vec<OrgId>,
    /// Category codes (or prefixes: "02" covers "02.05") of the matters it may raise.
    pub categories: Vec<String>,
    /// When the assessment began: complaints from this day on are linked.
    pub assessment_from: NaiveDate,
    /// When the decision was taken (after which follow-up runs).
    #[serde(default)]
    pub decided_on: Option<NaiveDate>,
    pub stage: ProjectStage,
}

/// A field and what is wrong with it.
pub type FieldError = (&'static str, String);

impl Project {
    /// Checks the entry on its own (the caller checks that the organisations exist).
    pub fn validate(&self) -> Result<(), FieldError> {
        let id_ok = !self.id.is_empty() && self.id.len() <= 40 && self.id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
        if !id_ok {
            return Err(("id", "编号只能由字母、数字、“-”“_”组成，最长40个字符".into()));
        }
        if self.name.trim().is_empty() {
            return Err(("name", "请填写事项名称".into()));
        }
        if self.deciding_body.trim().is_empty() {
            return Err(("deciding_body", "请填写决策机关".into()));
        }
        if self.assessing_body.trim().is_empty() {
            return Err(("assessing_body", "请填写评估主体".into()));
        }
        if !self.assessment_required && self.required_reason.trim().is_empty() {
            return Err(("required_reason", "不需评估的，请写明理由".into()));
        }
        if self.towns.is_empty() {
            return Err(("towns", "请至少选择一个涉及的乡镇（街道）".into()));
        }
        if self.categories.is_empty() || self.categories.iter().any(|c| c.trim().is_empty()) {
            return Err(("categories", "请至少填写一个可能引发的诉求类别".into()));
        }
        if let Some(d) = self.decided_on {
            if d < self.assessment_from {
                return Err(("decided_on", "决策日期不能早于评估开始日期".into()));
            }
        }
        if self.stage == ProjectStage::Decided && self.decided_on.is_none() {
            return Err(("decided_on", "已决策实施的事项请填写决策日期".into()));
        }
        Ok(())
    }

    /// Whether a grievance is about this project: registered in one of its towns (`town` is the
    /// case's town, if it has a place), of one of its categories, on or after the day its
    /// assessment began (Beijing time), while the project is not stopped.
    pub fn concerns(&self, town: Option<OrgId>, category: Option<&str>, registered_at: DateTime<Utc>) -> bool {
        if self.stage == ProjectStage::Stopped {
            return false;
        }
        let (Some(town), Some(category)) = (town, category) else { return false };
        self.towns.contains(&town)
            && self.categories.iter().any(|c| category == c || category.strip_prefix(c.as_str()).is_some_and(|rest| rest.starts_with('.')))
            && crate::local_date(registered_at) >= self.assessment_from
    }
}

/// The four aspects a risk is assessed under (合法性、合理性、可行性、可控性).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Dimension {
    Legality,
    Reasonableness,
    Feasibility,
    Controllability,
}

impl Dimension {
    pub fn label_zh(self) -> &'static str {
        match self {
            Dimension::Legality => "合法性",
            Dimension::Reasonableness => "合理性",
            Dimension::Feasibility => "可行性",
            Dimension::Controllability => "可控性",
        }
    }
}

/// A risk level (风险等级).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    Low,
    Medium,
    High,
}

impl Level {
    pub fn label_zh(self) -> &'static str {
        match self {
            Level::Low => "低风险",
            Level::Medium => "中风险",
            Level::High => "高风险",
        }
    }

    /// What the assessment recommends at this level.
    pub fn recommendation_zh(self) -> &'static str {
        match self {
            Level::High => "建议不实施或暂缓实施，待风险化解后重新评估。",
            Level::Medium => "在落实风险防范化解措施、风险降至可控后实施。",
            Level::Low => "可以实施，同时做好少数群众的解释疏导工作。",
        }
    }
}

/// One risk of the register: scored by likelihood × impact (each 1–5) on the 5 × 5 matrix,
/// with the evidence behind the score. About the project and the groups it affects, never
/// about a person.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Risk {
    pub dimension: Dimension,
    pub description: String,
    pub likelihood: u8,
    pub impact: u8,
    pub evidence: String,
}

impl Risk {
    pub fn validate(&self) -> Result<(), FieldError> {
        if self.description.trim().is_empty() {
            return Err(("description", "请描述风险".into()));
        }
        if !(1..=5).contains(&self.likelihood) || !(1..=5).contains(&self.impact) {
            return Err(("likelihood", "可能性和影响程度均按1至5分评定".into()));
        }
        if self.evidence.trim().is_empty() {
            return Err(("evidence", "请写明评分依据（调查、座谈、问卷等）".into()));
        }
        Ok(())
    }

    pub fn score(&self) -> u8 {
        self.likelihood * self.impact
    }

    /// The band of its matrix cell: 15 and above high, 8–12 medium, up to 6 low.
    pub fn band(&self) -> Level {
        match self.score() {
            15.. => Level::High,
            8.. => Level::Medium,
            _ => Level::Low,
        }
    }
}

/// How the people consulted stand (问卷、座谈、听证 tallied).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tally {
    pub support: u32,
    pub oppose: u32,
    pub neutral: u32,
}

impl Tally {
    /// Share of those who expressed a view that oppose (0 when nobody was heard).
    pub fn opposition(&self) -> f64 {
        let all = self.support + self.oppose + self.neutral;
        if all == 0 { 0.0 } else { self.oppose as f64 / all as f64 }
    }
}

/// The computed conclusion and why: **high** when most of those consulted object and a risk
/// sits in the matrix's high band (a strong reaction, a large incident possible); **medium**
/// when most object without such a risk, when at least a fifth object, or when any single risk
/// is in the high band (a severe factor lifts the level to at least medium); **low** otherwise
/// (most support, few object).
pub fn conclude(risks: &[Risk], tally: Tally) -> (Level, String) {
    let share = tally.opposition();
    let worst = risks.iter().map(Risk::band).max().unwrap_or(Level::Low);
    let pct = (share * 100.0).round();
    if share > 0.5 && worst == Level::High {
        (Level::High, format!("反对意见占{pct}%，超过半数，且存在高风险因素，可能引发较大规模群体性事件。"))
    } else if share > 0.5 {
        (Level::Medium, format!("反对意见占{pct}%，超过半数，但未识别出高风险因素。"))
    } else if worst == Level::High {
        (Level::Medium, format!("反对意见占{pct}%，但存在高风险因素，单项高风险使总体等级至少为中风险。"))
    } else if share >= 0.2 {
        (Level::Medium, format!("反对意见占{pct}%，部分群众有意见，反应较强烈。"))
    } else {
        (Level::Low, format!("反对意见占{pct}%，多数群众理解支持，未识别出高风险因素。"))
    }
}

/// The assessor's conclusion: the computed level kept beside the final one; a different final
/// level needs a written reason.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Conclusion {
    pub computed: Level,
    pub computed_reason: String,
    pub level: Level,
    #[serde(default)]
    pub override_reason: String,
}

impl Conclusion {
    pub fn new(risks: &[Risk], tally: Tally, level: Option<Level>, override_reason: &str) -> Result<Conclusion, FieldError> {
        let (computed, computed_reason) = conclude(risks, tally);
        let level = level.unwrap_or(computed);
        if level != computed && override_reason.trim().is_empty() {
            return Err(("override_reason", format!("评估等级与测算结果（{}）不同，请写明理由", computed.label_zh())));
        }
        Ok(Conclusion { computed, computed_reason, level, override_reason: override_reason.trim().to_string() })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn project() -> Project {
        Project {
            id: "2026-001".into(),
            name: "城南片区旧城改造".into(),
            kind: ProjectKind::Project,
            deciding_body: "县人民政府".into(),
            responsible_unit: OrgId(3),
            assessing_body: "县住房和城乡建设局".into(),
            assessment_required: true,
            required_reason: String::new(),
            towns: vec![OrgId(12)],
            categories: vec!["01".into(), "04.01".into()],
            assessment_from: NaiveDate::from_ymd_opt(2026, 3, 1).unwrap(),
            decided_on: None,
            stage: ProjectStage::Assessing,
        }
    }

    #[test]
    fn a_complaint_in_its_town_and_category_after_the_start_concerns_it() {
        let p = project();
        // 1 March 00:30 in Beijing is still 28 February in UTC.
        let start = Utc.with_ymd_and_hms(2026, 2, 28, 16, 30, 0).unwrap();
        assert!(p.concerns(Some(OrgId(12)), Some("01.03"), start));
        assert!(p.concerns(Some(OrgId(12)), Some("04.01"), start));
        assert!(p.concerns(Some(OrgId(12)), Some("01"), start));
        assert!(!p.concerns(Some(OrgId(12)), Some("010.1"), start), "01 is not a prefix of 010");
        assert!(!p.concerns(Some(OrgId(12)), Some("04.02"), start));
        assert!(!p.concerns(Some(OrgId(13)), Some("01.03"), start), "another town");
        assert!(!p.concerns(None, Some("01.03"), start), "no place");
        assert!(!p.concerns(Some(OrgId(12)), None, start), "no category");
        let before = Utc.with_ymd_and_hms(2026, 2, 28, 15, 59, 0).unwrap();
        assert!(!p.concerns(Some(OrgId(12)), Some("01.03"), before), "before the assessment began (Beijing time)");
        let stopped = Project { stage: ProjectStage::Stopped, ..p };
        assert!(!stopped.concerns(Some(OrgId(12)), Some("01.03"), start));
    }

    #[test]
    fn the_register_entry_is_checked() {
        assert_eq!(project().validate(), Ok(()));
        let bad = |f: fn(&mut Project)| {
            let mut p = project();
            f(&mut p);
            p.validate().unwrap_err().0
        };
        assert_eq!(bad(|p| p.id = "含中文".into()), "id");
        assert_eq!(bad(|p| p.name = " ".into()), "name");
        assert_eq!(bad(|p| p.towns.clear()), "towns");
        assert_eq!(bad(|p| p.categories = vec!["".into()]), "categories");
        assert_eq!(bad(|p| p.assessment_required = false), "required_reason");
        assert_eq!(bad(|p| p.stage = ProjectStage::Decided), "decided_on");
        assert_eq!(bad(|p| p.decided_on = NaiveDate::from_ymd_opt(2026, 2, 1)), "decided_on");
    }

    fn risk(l: u8, i: u8) -> Risk {
        Risk { dimension: Dimension::Controllability, description: "补偿标准争议".into(), likelihood: l, impact: i, evidence: "入户走访32户".into() }
    }

    #[test]
    fn risks_fall_in_the_matrix_bands() {
        assert_eq!((risk(5, 5).band(), risk(3, 5).band(), risk(4, 4).band()), (Level::High, Level::High, Level::High));
        assert_eq!((risk(2, 4).band(), risk(3, 4).band(), risk(2, 5).band()), (Level::Medium, Level::Medium, Level::Medium));
        assert_eq!((risk(2, 3).band(), risk(1, 5).band(), risk(1, 1).band()), (Level::Low, Level::Low, Level::Low));
        assert_eq!(risk(0, 3).validate().unwrap_err().0, "likelihood");
        assert_eq!(Risk { evidence: " ".into(), ..risk(2, 2) }.validate().unwrap_err().0, "evidence");
    }

    #[test]
    fn the_conclusion_follows_opposition_and_the_worst_risk_and_an_override_needs_a_reason() {
        let t = |support, oppose| Tally { support, oppose, neutral: 0 };
        assert_eq!(conclude(&[risk(4, 4)], t(40, 60)).0, Level::High);
        assert_eq!(conclude(&[risk(2, 4)], t(40, 60)).0, Level::Medium, "most object, no high-band risk");
        assert_eq!(conclude(&[risk(4, 4)], t(95, 5)).0, Level::Medium, "one severe factor lifts the level");
        assert_eq!(conclude(&[risk(2, 2)], t(75, 25)).0, Level::Medium, "a quarter object");
        assert_eq!(conclude(&[risk(2, 2)], t(90, 10)).0, Level::Low);
        assert_eq!(conclude(&[], Tally::default()).0, Level::Low);
        assert!(conclude(&[risk(4, 4)], t(40, 60)).1.contains("60%"));
        let c = Conclusion::new(&[risk(4, 4)], t(95, 5), None, "").unwrap();
        assert_eq!((c.computed, c.level), (Level::Medium, Level::Medium));
        assert_eq!(Conclusion::new(&[risk(4, 4)], t(95, 5), Some(Level::Low), " ").unwrap_err().0, "override_reason");
        let o = Conclusion::new(&[risk(4, 4)], t(95, 5), Some(Level::Low), "已签订全部补偿协议，风险已化解").unwrap();
        assert_eq!((o.computed, o.level), (Level::Medium, Level::Low), "both kept");
        assert_eq!(Level::High.recommendation_zh(), "建议不实施或暂缓实施，待风险化解后重新评估。");
    }
}
