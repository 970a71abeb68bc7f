//! Statutory deadlines, computed from a case's events, the rules (data) and the calendar.
//! Nothing here is entered by hand.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::calendar::{Calendar, DayUnit};
use crate::case::{Case, Channel, Status};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeadlineKind {
    /// Art. 23: tell the petitioner within 15 days whether the matter is accepted.
    AcceptDecision,
    /// Art. 34: finish within 60 days of acceptance.
    Handle,
    /// Art. 34: one extension of at most 30 days.
    ExtensionMax,
    /// Art. 23: a body without competence objects within 5 working days.
    ReturnObjection,
    /// Art. 35: 复查 requested within 30 days of the written reply.
    ReviewRequest,
    /// Art. 35: 复查 decided within 30 days.
    ReviewDecide,
    /// Art. 36: 复核 requested within 30 days of the 复查 decision.
    RecheckRequest,
    /// Art. 36: 复核 decided within 30 days.
    RecheckDecide,
    /// Follow-up call (回访) after the reply.
    FollowUp,
}

impl DeadlineKind {
    pub const ALL: [DeadlineKind; 9] = [
        DeadlineKind::AcceptDecision,
        DeadlineKind::Handle,
        DeadlineKind::ExtensionMax,
        DeadlineKind::ReturnObjection,
        DeadlineKind::ReviewRequest,
        DeadlineKind::ReviewDecide,
        DeadlineKind::RecheckRequest,
        DeadlineKind::RecheckDecide,
        DeadlineKind::FollowUp,
    ];

    pub fn label_zh(self) -> &'static str {
        match self {
            DeadlineKind::AcceptDecision => "受理告知期限",
            DeadlineKind::Handle => "办理期限",
            DeadlineKind::ExtensionMax => "延期上限",
            DeadlineKind::ReturnObjection => "退回异议期限",
            DeadlineKind::ReviewRequest => "申请复查期限",
            DeadlineKind::ReviewDecide => "复查办理期限",
            DeadlineKind::RecheckRequest => "申请复核期限",
            DeadlineKind::RecheckDecide => "复核办理期限",
            DeadlineKind::FollowUp => "回访期限",
        }
    }
}

/// One rule: a period in calendar or working days, optionally for one channel only.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeadlineRule {
    pub kind: DeadlineKind,
    pub days: u32,
    pub unit: DayUnit,
    #[serde(default)]
    pub channel: Option<Channel>,
    /// Where the number comes from.
    #[serde(default)]
    pub basis: String,
}

/// The rule set a county runs with; shipped as a default, editable as data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeadlineRules {
    pub rules: Vec<DeadlineRule>,
    /// A deadline this many calendar days away or closer shows 临期.
    pub warn_days: u32,
}

impl Default for DeadlineRules {
    fn default() -> Self {
        serde_json::from_str(include_str!("../data/deadline-rules.json")).expect("shipped deadline rules parse")
    }
}

impl DeadlineRules {
    /// The channel's own rule if there is one, else the general rule.
    pub fn get(&self, kind: DeadlineKind, channel: Channel) -> DeadlineRule {
        self.rules
            .iter()
            .find(|r| r.kind == kind && r.channel == Some(channel))
            .or_else(|| self.rules.iter().find(|r| r.kind == kind && r.channel.is_none()))
            .cloned()
            .unwrap_or(DeadlineRule { kind, days: 30, unit: DayUnit::Calendar, channel: None, basis: String::new() })
    }

    /// Every kind must have a general rule; periods must be positive.
    pub fn validate(&self) -> Result<(), String> {
        for kind in DeadlineKind::ALL {
            if !self.rules.iter().any(|r| r.kind == kind && r.channel.is_none()) {
                return Err(format!("缺少“{}”的通用规则", kind.label_zh()));
            }
        }
        if let Some(r) = self.rules.iter().find(|r| r.days == 0 || r.days > 365) {
            return Err(format!("“{}”的天数应在1至365之间", r.kind.label_zh()));
        }
        Ok(())
    }
}

/// 正常 / 临期 / 超期.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Light {
    Normal,
    DueSoon,
    Overdue,
}

impl Light {
    pub fn label_zh(self) -> &'static str {
        match self {
            Light::Normal => "正常",
            Light::DueSoon => "临期",
            Light::Overdue => "超期",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Deadline {
    pub kind: DeadlineKind,
    pub label: String,
    /// The day the period starts from (not counted).
    pub start: NaiveDate,
    pub days: u32,
    pub unit: DayUnit,
    /// The last day; the period ends at 24:00 Beijing time.
    pub due: NaiveDate,
    pub due_at: DateTime<Utc>,
}

impl Deadline {
    pub fn light(&self, now: DateTime<Utc>, warn_days: u32) -> Light {
        if now > self.due_at {
            Light::Overdue
        } else if (self.due - crate::local_date(now)).num_days() <= warn_days as i64 {
            Light::DueSoon
        } else {
            Light::Normal
        }
    }

    /// Whole calendar days left (negative when overdue).
    pub fn days_left(&self, now: DateTime<Utc>) -> i64 {
        (self.due - crate::local_date(now)).num_days()
    }
}

fn deadline(cal: &Calendar, rule: &DeadlineRule, from: DateTime<Utc>, extra_days: u32) -> Deadline {
    let start = crate::local_date(from);
    let mut due = cal.due(start, rule.days, rule.unit);
    if extra_days > 0 {
        // The extension runs on from the original last day (Art. 34).
        due = cal.due(due, extra_days, DayUnit::Calendar);
    }
    Deadline {
        kind: rule.kind,
        label: rule.kind.label_zh().to_string(),
        start,
        days: rule.days + extra_days,
        unit: rule.unit,
        due,
        due_at: crate::end_of_local_day(due),
    }
}

impl Case {
    /// The deadline the office or unit must meet now, if any.
    pub fn staff_deadline(&self, rules: &DeadlineRules, cal: &Calendar) -> Option<Deadline> {
        let ch = self.matter.channel;
        let rule = |k| rules.get(k, ch);
        match self.status {
            Status::Registered => Some(deadline(cal, &rule(crate::DeadlineKind::AcceptDecision), self.registered_at, 0)),
            Status::Accepted | Status::Routed | Status::InProgress | Status::ExtensionPending | Status::ReplyPending => {
                let accepted = self.accepted_at?;
                let extra = self.extension.as_ref().filter(|e| e.approved_at.is_some()).map_or(0, |e| e.days);
                let mut handle = deadline(cal, &rule(DeadlineKind::Handle), accepted, extra);
                // 交办 with a shorter deadline of its own: the earlier one binds the unit.
                if let (Some(days), Some(routed)) = (self.assign_days, self.routed_at) {
                    let assign_rule = DeadlineRule { days, unit: DayUnit::Calendar, ..rule(DeadlineKind::Handle) };
                    let assigned = deadline(cal, &assign_rule, routed, extra);
                    if assigned.due < handle.due {
                        handle = assigned;
                    }
                }
                Some(handle)
            }
            Status::Replied => Some(deadline(cal, &rule(DeadlineKind::FollowUp), self.reply_date()?, 0)),
            Status::UnderReview => Some(deadline(cal, &rule(DeadlineKind::ReviewDecide), self.review.as_ref()?.requested_at, 0)),
            Status::UnderRecheck => {
                Some(deadline(cal, &rule(DeadlineKind::RecheckDecide), self.recheck.as_ref()?.requested_at, 0))
            }
            _ => None,
        }
    }

    /// The window in which the petitioner may still appeal, if one is open or has been open.
    pub fn appeal_window(&self, rules: &DeadlineRules, cal: &Calendar) -> Option<Deadline> {
        let ch = self.matter.channel;
        match (&self.review, &self.recheck) {
            (None, _) => Some(deadline(cal, &rules.get(DeadlineKind::ReviewRequest, ch), self.reply_date()?, 0)),
            (Some(r), None) => Some(deadline(cal, &rules.get(DeadlineKind::RecheckRequest, ch), r.decided_at?, 0)),
            _ => None,
        }
    }

    /// The window in which a routed unit may return a matter outside its competence.
    pub fn return_window(&self, rules: &DeadlineRules, cal: &Calendar) -> Option<Deadline> {
        Some(deadline(cal, &rules.get(DeadlineKind::ReturnObjection, self.matter.channel), self.routed_at?, 0))
    }

    /// Handled within the period? (for 按期办结率). None while not concluded.
    pub fn concluded_on_time(&self, rules: &DeadlineRules, cal: &Calendar) -> Option<bool> {
        let reply_at = self.reply_date()?;
        let accepted = self.accepted_at?;
        let extra = self.extension.as_ref().filter(|e| e.approved_at.is_some()).map_or(0, |e| e.days);
        let d = deadline(cal, &rules.get(DeadlineKind::Handle, self.matter.channel), accepted, extra);
        Some(reply_at <= d.due_at)
    }
}
