//! People's mediation (人民调解) as the People's Mediation Law (人民调解法, 2011) sets it out: the
//! committees and the life of one dispute, as pure rules (time passed in). Storage, use cases,
//! pages and documents build on this (issue 7).
//!
//! - A committee has 3–9 members, one chair (主任), at least one woman, and serves three-year
//!   terms (Art. 8–9).
//! - Mediation starts on a party's application, the committee's own initiative, a referral by a
//!   court or the police, or a grievance case; if a party clearly refuses, it may not start
//!   (Art. 17–18), and a party may end it at any time (Art. 23).
//! - It ends in a written or an oral agreement (Art. 28–30) or in failure, and then the parties
//!   are told of arbitration, administrative and court routes (Art. 26). It is free (Art. 4).
//! - After a written agreement takes effect the parties may jointly apply to a court for
//!   judicial confirmation within 30 days (Art. 33); the committee follows performance (Art. 31).

use chrono::{Duration, NaiveDate};
use serde::{Deserialize, Serialize};

/// Days after a written agreement takes effect within which the parties may jointly apply
/// for judicial confirmation (Art. 33).
pub const CONFIRMATION_DAYS: i64 = 30;

/// A committee's term in years (Art. 9).
pub const TERM_YEARS: i32 = 3;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Gender {
    Female,
    Male,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MemberRole {
    /// 主任
    Chair,
    /// 副主任
    ViceChair,
    /// 委员
    Member,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommitteeMember {
    pub name: String,
    pub role: MemberRole,
    pub gender: Gender,
}

/// A people's mediation committee (人民调解委员会) and its members for one term.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Committee {
    pub name: String,
    pub members: Vec<CommitteeMember>,
    pub term_from: NaiveDate,
    pub term_to: NaiveDate,
}

/// A field and what is wrong with it.
pub type FieldError = (&'static str, String);

impl Committee {
    /// Checks the committee against Art. 8–9.
    pub fn validate(&self) -> Result<(), FieldError> {
        if self.name.trim().is_empty() {
            return Err(("name", "请填写调解委员会名称".into()));
        }
        let n = self.members.len();
        if !(3..=9).contains(&n) {
            return Err(("members", format!("人民调解委员会由委员三至九人组成，现为{n}人（《人民调解法》第八条）")));
        }
        if let Some(i) = self.members.iter().position(|m| m.name.trim().is_empty()) {
            return Err(("members", format!("第{}位委员未填写姓名", i + 1)));
        }
        let chairs = self.members.iter().filter(|m| m.role == MemberRole::Chair).count();
        if chairs != 1 {
            return Err(("members", format!("应设主任一人，现为{chairs}人（《人民调解法》第八条）")));
        }
        if !self.members.iter().any(|m| m.gender == Gender::Female) {
            return Err(("members", "人民调解委员会应当有妇女成员（《人民调解法》第八条）".into()));
        }
        if self.term_to <= self.term_from {
            return Err(("term_to", "任期结束日期应晚于开始日期".into()));
        }
        let longest = self.term_from.checked_add_signed(Duration::days(365 * TERM_YEARS as i64 + 1)).unwrap_or(self.term_to);
        if self.term_to > longest {
            return Err(("term_to", "委员每届任期三年（《人民调解法》第九条）".into()));
        }
        Ok(())
    }

    /// Whether the committee's term covers `day`.
    pub fn in_term(&self, day: NaiveDate) -> bool {
        self.term_from <= day && day <= self.term_to
    }
}

/// How a dispute came to the committee (Art. 17–18, and the grievance system).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Source {
    /// 当事人申请
    Application,
    /// 委员会主动调解
    Initiative,
    /// 人民法院委派或委托
    Court,
    /// 公安机关移送
    Police,
    /// 信访事项转入 (the case is linked both ways)
    Grievance { case_id: i64 },
}

/// Where a dispute stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    /// 已受理，待调解
    Accepted,
    /// 调解中
    Mediating,
    /// 达成书面协议
    WrittenAgreement,
    /// 达成口头协议
    OralAgreement,
    /// 调解不成，已告知其他途径
    Failed,
    /// 当事人拒绝或要求终止
    Stopped,
}

impl Stage {
    pub fn label_zh(self) -> &'static str {
        match self {
            Stage::Accepted => "已受理",
            Stage::Mediating => "调解中",
            Stage::WrittenAgreement => "达成书面协议",
            Stage::OralAgreement => "达成口头协议",
            Stage::Failed => "调解不成",
            Stage::Stopped => "终止调解",
        }
    }

    /// Whether mediation has ended (with or without agreement).
    pub fn is_concluded(self) -> bool {
        !matches!(self, Stage::Accepted | Stage::Mediating)
    }
}

/// What a mediator asks to do with a dispute.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "action")]
pub enum Action {
    /// Holds a session (调解), public or private, with a record.
    Session { on: NaiveDate, public: bool, record: String },
    /// A party clearly refuses or asks to end it (Art. 17, 23).
    PartyRefuses { reason: String },
    /// Agreement reached: written (协议书, effective on `effective_on`) or oral (recorded).
    Agree { written: bool, effective_on: NaiveDate, terms: String, perform_by: Option<NaiveDate> },
    /// Mediation failed; the parties are told of the other routes (Art. 26).
    Fail { reason: String },
}

/// Outcome of a valid action: the new stage.
pub fn decide(stage: Stage, action: &Action) -> Result<Stage, FieldError> {
    match (stage, action) {
        (s, _) if s.is_concluded() => Err(("action", format!("调解已结束（{}），不能再操作", s.label_zh()))),
        (_, Action::Session { record, .. }) if record.trim().is_empty() => Err(("record", "请填写调解笔录".into())),
        (_, Action::Session { .. }) => Ok(Stage::Mediating),
        (_, Action::PartyRefuses { reason }) if reason.trim().is_empty() => Err(("reason", "请写明当事人拒绝或要求终止调解的情况".into())),
        (_, Action::PartyRefuses { .. }) => Ok(Stage::Stopped),
        (Stage::Accepted, Action::Agree { .. } | Action::Fail { .. }) => Err(("action", "尚未进行调解，不能直接结案".into())),
        (_, Action::Agree { terms, .. }) if terms.trim().is_empty() => Err(("terms", "请填写协议内容（当事人的权利义务、履行方式和期限）".into())),
        (_, Action::Agree { effective_on, perform_by: Some(by), .. }) if by < effective_on => Err(("perform_by", "履行期限不能早于协议生效日期".into())),
        (_, Action::Agree { written, .. }) => Ok(if *written { Stage::WrittenAgreement } else { Stage::OralAgreement }),
        (_, Action::Fail { reason }) if reason.trim().is_empty() => Err(("reason", "请写明调解不成的原因".into())),
        (_, Action::Fail { .. }) => Ok(Stage::Failed),
    }
}

/// The last day on which the parties may jointly apply for judicial confirmation of a written
/// agreement that took effect on `effective_on` (Art. 33: within 30 days).
pub fn confirmation_deadline(effective_on: NaiveDate) -> NaiveDate {
    effective_on + Duration::days(CONFIRMATION_DAYS)
}

/// The routes the parties are told of when mediation fails (Art. 26).
pub const OTHER_ROUTES: &str = "调解不成的，当事人可以依法通过仲裁、行政、司法等途径维护自己的权利。";

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    fn member(name: &str, role: MemberRole, gender: Gender) -> CommitteeMember {
        CommitteeMember { name: name.into(), role, gender }
    }

    fn committee() -> Committee {
        Committee {
            name: "城关镇人民调解委员会".into(),
            members: vec![
                member("张主任", MemberRole::Chair, Gender::Male),
                member("李委员", MemberRole::Member, Gender::Female),
                member("王委员", MemberRole::Member, Gender::Male),
            ],
            term_from: d(2026, 1, 1),
            term_to: d(2028, 12, 31),
        }
    }

    #[test]
    fn a_committee_has_three_to_nine_members_one_chair_and_a_woman() {
        assert_eq!(committee().validate(), Ok(()));
        let mut two = committee();
        two.members.pop();
        assert!(two.validate().unwrap_err().1.contains("三至九人"));
        let mut ten = committee();
        for i in 0..7 {
            ten.members.push(member(&format!("委员{i}"), MemberRole::Member, Gender::Male));
        }
        assert_eq!(ten.members.len(), 10);
        assert!(ten.validate().unwrap_err().1.contains("现为10人"));
        ten.members.pop();
        assert_eq!(ten.validate(), Ok(()), "nine is allowed");
        let mut no_woman = committee();
        no_woman.members[1].gender = Gender::Male;
        assert!(no_woman.validate().unwrap_err().1.contains("妇女成员"));
        let mut two_chairs = committee();
        two_chairs.members[2].role = MemberRole::Chair;
        assert!(two_chairs.validate().unwrap_err().1.contains("主任一人"));
        let mut long = committee();
        long.term_to = d(2029, 6, 30);
        assert_eq!(long.validate().unwrap_err().0, "term_to");
        assert!(committee().in_term(d(2027, 5, 1)) && !committee().in_term(d(2029, 1, 1)));
    }

    #[test]
    fn a_dispute_is_mediated_then_agreed_or_failed_and_a_refusal_stops_it() {
        let session = Action::Session { on: d(2026, 3, 2), public: false, record: "双方陈述，调解员释法".into() };
        assert_eq!(decide(Stage::Accepted, &session), Ok(Stage::Mediating));
        let agree = Action::Agree { written: true, effective_on: d(2026, 3, 5), terms: "甲方于3月31日前赔偿乙方2000元".into(), perform_by: Some(d(2026, 3, 31)) };
        assert_eq!(decide(Stage::Accepted, &agree).unwrap_err().0, "action", "no agreement without mediation");
        assert_eq!(decide(Stage::Mediating, &agree), Ok(Stage::WrittenAgreement));
        let oral = Action::Agree { written: false, effective_on: d(2026, 3, 5), terms: "当场道歉".into(), perform_by: None };
        assert_eq!(decide(Stage::Mediating, &oral), Ok(Stage::OralAgreement));
        let early = Action::Agree { written: true, effective_on: d(2026, 3, 5), terms: "x".into(), perform_by: Some(d(2026, 3, 1)) };
        assert_eq!(decide(Stage::Mediating, &early).unwrap_err().0, "perform_by");
        assert_eq!(decide(Stage::Mediating, &Action::Fail { reason: "分歧过大".into() }), Ok(Stage::Failed));
        assert_eq!(decide(Stage::Mediating, &Action::Fail { reason: " ".into() }).unwrap_err().0, "reason");
        // A party's clear refusal: it may not start, and a party may end it at any time.
        let refuse = Action::PartyRefuses { reason: "被申请人明确拒绝调解".into() };
        assert_eq!(decide(Stage::Accepted, &refuse), Ok(Stage::Stopped));
        assert_eq!(decide(Stage::Mediating, &refuse), Ok(Stage::Stopped));
        for done in [Stage::WrittenAgreement, Stage::OralAgreement, Stage::Failed, Stage::Stopped] {
            assert_eq!(decide(done, &session).unwrap_err().0, "action", "{done:?} is final");
        }
    }

    #[test]
    fn judicial_confirmation_is_applied_for_within_thirty_days() {
        assert_eq!(confirmation_deadline(d(2026, 3, 5)), d(2026, 4, 4));
        assert_eq!(confirmation_deadline(d(2026, 12, 15)), d(2027, 1, 14));
        assert!(OTHER_ROUTES.contains("仲裁") && OTHER_ROUTES.contains("行政") && OTHER_ROUTES.contains("司法"));
    }
}
