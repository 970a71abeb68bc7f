//! The status machine: commands are checked against the current state ([`Case::decide`]) and
//! turn into events; events are folded into state ([`Case::apply`]). Nothing else changes a case.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::calendar::Calendar;
use crate::case::*;
use crate::deadline::{DeadlineKind, DeadlineRules};
use crate::error::DomainError;
use crate::event::{Actor, Event, EventKind};
use crate::ids::{CaseId, OrgId, TrackingCode, UserId};

/// What a person asks to do to a case.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum Command {
    Accept { #[serde(default)] note: String },
    NotAccept { reason: String },
    Route { unit: OrgId, #[serde(default)] co_units: Vec<OrgId>, mode: RoutingMode, #[serde(default)] note: String, #[serde(default)] assign_days: Option<u32> },
    Return { reason: String },
    StartHandling,
    RequestExtension { days: u32, reason: String },
    ApproveExtension,
    RejectExtension { reason: String },
    SubmitReply { decision: Decision, facts: String, opinion: String, legal_basis: String },
    ApproveReply,
    RejectReply { reason: String },
    FollowUp { satisfaction: Satisfaction, #[serde(default)] note: String },
    Reopen { reason: String },
    Close { #[serde(default)] note: String },
    Archive,
    Withdraw { reason: String },
    Merge { target: CaseId, #[serde(default)] reason: String },
    Link { other: CaseId, #[serde(default)] note: String },
    RequestReview { reason: String },
    DecideReview { outcome: AppealOutcome, opinion: String },
    RequestRecheck { reason: String },
    DecideRecheck { outcome: AppealOutcome, opinion: String },
    Supervise { due: NaiveDate, note: String, #[serde(default)] target_unit: Option<OrgId> },
    AssignLeader { leader: UserId, #[serde(default)] leader_name: String },
    AddNote { text: String },
    /// 建议意见 adopted (issue 6, annual report): what was taken up.
    AdoptSuggestion { note: String },
}

impl Command {
    pub fn key(&self) -> String {
        serde_json::to_value(self)
            .ok()
            .and_then(|v| v.get("action").and_then(|t| t.as_str()).map(str::to_string))
            .unwrap_or_default()
    }

    pub fn label_zh(&self) -> &'static str {
        action_label(&self.key())
    }
}

/// Chinese name of an action key.
pub fn action_label(key: &str) -> &'static str {
    match key {
        "accept" => "受理",
        "not_accept" => "不予受理",
        "route" => "转办/交办",
        "return" => "退回",
        "start_handling" => "签收办理",
        "request_extension" => "申请延期",
        "approve_extension" => "批准延期",
        "reject_extension" => "不批准延期",
        "submit_reply" => "提交处理意见",
        "approve_reply" => "审核答复",
        "reject_reply" => "退回修改答复",
        "follow_up" => "回访",
        "reopen" => "重新办理",
        "close" => "办结",
        "archive" => "归档",
        "withdraw" => "撤回",
        "merge" => "合并",
        "link" => "关联",
        "request_review" => "申请复查",
        "decide_review" => "复查决定",
        "request_recheck" => "申请复核",
        "decide_recheck" => "复核决定",
        "supervise" => "督办",
        "assign_leader" => "领导包案",
        "add_note" => "备注",
        "adopt_suggestion" => "建议采纳",
        _ => "未知操作",
    }
}

/// Every action key, in workflow order.
pub const ACTIONS: &[&str] = &[
    "accept", "not_accept", "route", "return", "start_handling", "request_extension", "approve_extension",
    "reject_extension", "submit_reply", "approve_reply", "reject_reply", "follow_up", "reopen", "close", "archive",
    "withdraw", "merge", "link", "request_review", "decide_review", "request_recheck", "decide_recheck",
    "supervise", "assign_leader", "add_note", "adopt_suggestion",
];

/// Facts from outside the case that a decision needs; time is always passed in.
pub struct Ctx<'a> {
    pub now: DateTime<Utc>,
    pub rules: &'a DeadlineRules,
    pub calendar: &'a Calendar,
    /// The case named as the same matter has finished 复核 (Art. 36: not accepted again).
    pub same_matter_final: bool,
    /// Name of the body one level above the handling unit, for appeals.
    pub appeal_body: Option<(Option<OrgId>, String)>,
}

/// Statuses from which an action is allowed. Guards on content are in [`Case::decide`].
pub fn allowed_from(action: &str) -> &'static [Status] {
    use Status::*;
    match action {
        "accept" | "not_accept" => &[Registered],
        "route" => &[Accepted, Routed],
        "return" => &[Routed, InProgress],
        "start_handling" => &[Routed],
        "request_extension" | "submit_reply" => &[InProgress],
        "approve_extension" | "reject_extension" => &[ExtensionPending],
        "approve_reply" | "reject_reply" => &[ReplyPending],
        "follow_up" => &[Replied],
        "reopen" => &[FollowedUp],
        "close" => &[FollowedUp, Reviewed, Final],
        "archive" => &[Closed, NotAccepted, Withdrawn, Merged],
        "withdraw" => &[Registered, Accepted, Routed, InProgress, ExtensionPending, ReplyPending],
        "merge" => &[Registered, Accepted, Routed, InProgress],
        "request_review" => &[Replied, FollowedUp, Closed],
        "decide_review" => &[UnderReview],
        "request_recheck" => &[Reviewed, Closed],
        "decide_recheck" => &[UnderRecheck],
        "supervise" => &[Registered, Accepted, Routed, InProgress, ExtensionPending, ReplyPending, UnderReview, UnderRecheck],
        "assign_leader" => &[Registered, Accepted, Routed, InProgress, ExtensionPending, ReplyPending, Replied, FollowedUp, UnderReview, Reviewed, UnderRecheck],
        "adopt_suggestion" => &[Replied, FollowedUp, Closed, Archived],
        "link" | "add_note" => &[
            Registered, Accepted, NotAccepted, Routed, InProgress, ExtensionPending, ReplyPending, Replied, FollowedUp,
            Closed, Withdrawn, Merged, UnderReview, Reviewed, UnderRecheck, Final,
        ],
        _ => &[],
    }
}

fn required(field: &str, value: &str, message: &str) -> Result<(), DomainError> {
    if value.trim().is_empty() {
        Err(DomainError::invalid(field, message))
    } else {
        Ok(())
    }
}

impl Case {
    /// Registers a new matter: the first event of every case.
    pub fn register(
        matter: NewCase,
        tracking_code: TrackingCode,
        petitioner_digest: Option<String>,
        anonymous: bool,
        actor: Actor,
        now: DateTime<Utc>,
    ) -> Result<(Case, Event), DomainError> {
        matter.validate()?;
        let event = Event {
            at: now,
            actor,
            kind: EventKind::Registered { tracking_code, matter, anonymous, petitioner_digest },
        };
        let case = Case::from_first_event(CaseId(0), &event).expect("registered event");
        Ok((case, event))
    }

    /// Builds the initial state from a `Registered` event.
    pub fn from_first_event(id: CaseId, event: &Event) -> Option<Case> {
        let EventKind::Registered { tracking_code, matter, anonymous, petitioner_digest } = &event.kind else {
            return None;
        };
        Some(Case {
            id,
            tracking_code: tracking_code.clone(),
            version: 1,
            status: Status::Registered,
            matter: matter.clone(),
            anonymous: *anonymous,
            petitioner_digest: petitioner_digest.clone(),
            registered_at: event.at,
            registered_by: event.actor.user_id(),
            accepted_at: None,
            not_accepted_reason: None,
            unit: None,
            co_units: vec![],
            routing_mode: None,
            routed_at: None,
            assign_days: None,
            returns: vec![],
            handling_started_at: None,
            extension: None,
            reply: None,
            follow_up: None,
            closed_at: None,
            archived_at: None,
            withdrawn_reason: None,
            merged_into: None,
            links: matter.related.clone(),
            suggested_units: vec![],
            review: None,
            recheck: None,
            leader: None,
            supervisions: vec![],
            attachments: vec![],
            personal_data_purged: false,
            updated_at: event.at,
            suggestion_adopted: None,
        })
    }

    /// Rebuilds a case from its whole history.
    pub fn replay(id: CaseId, events: &[Event]) -> Option<Case> {
        let (first, rest) = events.split_first()?;
        let mut case = Case::from_first_event(id, first)?;
        for e in rest {
            case.apply(e);
        }
        Some(case)
    }

    /// The actions the current status allows, whoever asks.
    pub fn allowed_actions(&self) -> Vec<&'static str> {
        crate::transition::ACTIONS
            .iter()
            .copied()
            .filter(|a| allowed_from(a).contains(&self.status))
            // Only an unadopted 建议意见 can be adopted.
            .filter(|a| *a != "adopt_suggestion" || (self.matter.matter_type == MatterType::Suggestion && self.suggestion_adopted.is_none()))
            .collect()
    }

    fn check_status(&self, action: &str) -> Result<(), DomainError> {
        if allowed_from(action).contains(&self.status) {
            Ok(())
        } else {
            Err(DomainError::IllegalTransition {
                action: action_label(action).to_string(),
                current: self.status,
                allowed: self.allowed_actions().into_iter().map(|a| action_label(a).to_string()).collect(),
            })
        }
    }

    /// Checks a command against the case and the rules and returns the event it produces.
    pub fn decide(&self, cmd: &Command, ctx: &Ctx) -> Result<EventKind, DomainError> {
        self.check_status(&cmd.key())?;
        let today = crate::local_date(ctx.now);
        Ok(match cmd.clone() {
            Command::Accept { note } => {
                if ctx.same_matter_final {
                    return Err(DomainError::Rule(
                        "同一事项已经复核终结，对同一事实和理由提出的信访不再受理（《信访工作条例》第三十六条），请作不予受理处理".into(),
                    ));
                }
                EventKind::Accepted { note }
            }
            Command::NotAccept { reason } => {
                required("reason", &reason, "不予受理须写明理由")?;
                EventKind::NotAccepted { reason }
            }
            Command::Route { unit, co_units, mode, note, assign_days } => {
                if co_units.contains(&unit) {
                    return Err(DomainError::invalid("co_units", "协办单位不能与主办单位相同"));
                }
                if self.status == Status::Routed && self.unit == Some(unit) {
                    return Err(DomainError::invalid("unit", "已转交该单位，改派请选择其他单位"));
                }
                if let Some(d) = assign_days {
                    if d == 0 || d > 90 {
                        return Err(DomainError::invalid("assign_days", "交办期限应在1至90日之间"));
                    }
                }
                EventKind::Routed { unit, co_units, mode, note, assign_days, suggested: vec![] }
            }
            Command::Return { reason } => {
                required("reason", &reason, "退回须说明理由")?;
                let routed = self.routed_at.expect("routed case has a routing time");
                let rule = ctx.rules.get(DeadlineKind::ReturnObjection, self.matter.channel);
                let closes = ctx.calendar.due(crate::local_date(routed), rule.days, rule.unit);
                if today > closes {
                    return Err(DomainError::WindowClosed { what: "退回异议".into(), closed_on: closes });
                }
                EventKind::Returned { reason }
            }
            Command::StartHandling => EventKind::HandlingStarted,
            Command::RequestExtension { days, reason } => {
                required("reason", &reason, "申请延期须说明理由，理由将告知信访人")?;
                if self.extension.as_ref().is_some_and(|e| e.approved_at.is_some()) {
                    return Err(DomainError::Rule("办理期限只能延长一次（《信访工作条例》第三十四条）".into()));
                }
                let max = ctx.rules.get(DeadlineKind::ExtensionMax, self.matter.channel).days;
                if days == 0 || days > max {
                    return Err(DomainError::invalid("days", format!("延长期限应在1至{max}日之间")));
                }
                EventKind::ExtensionRequested { days, reason }
            }
            Command::ApproveExtension => EventKind::ExtensionApproved,
            Command::RejectExtension { reason } => {
                required("reason", &reason, "请写明不批准延期的理由")?;
                EventKind::ExtensionRejected { reason }
            }
            Command::SubmitReply { decision, facts, opinion, legal_basis } => {
                required("facts", &facts, "请写明查明的事实和理由")?;
                required("opinion", &opinion, "请写明处理意见")?;
                if decision != Decision::Explain || self.matter.matter_type == MatterType::Claim {
                    required("legal_basis", &legal_basis, "请写明处理意见所依据的法律、法规或政策")?;
                }
                EventKind::ReplySubmitted { decision, facts, opinion, legal_basis }
            }
            Command::ApproveReply => EventKind::ReplyApproved,
            Command::RejectReply { reason } => {
                required("reason", &reason, "请写明退回修改的意见")?;
                EventKind::ReplyRejected { reason }
            }
            Command::FollowUp { satisfaction, note } => EventKind::FollowedUp { satisfaction, note },
            Command::Reopen { reason } => {
                required("reason", &reason, "请写明重新办理的原因")?;
                if self.follow_up.as_ref().map(|f| f.satisfaction) != Some(Satisfaction::Unsatisfied) {
                    return Err(DomainError::Rule("只有回访不满意的事项才能重新办理".into()));
                }
                EventKind::Reopened { reason }
            }
            Command::Close { note } => {
                if self.status == Status::FollowedUp
                    && self.follow_up.as_ref().map(|f| f.satisfaction) == Some(Satisfaction::Unsatisfied)
                    && note.trim().is_empty()
                {
                    return Err(DomainError::invalid("note", "回访不满意的事项办结时须写明说明"));
                }
                EventKind::Closed { note }
            }
            Command::Archive => EventKind::Archived,
            Command::Withdraw { reason } => {
                required("reason", &reason, "请记录信访人撤回的意思表示")?;
                EventKind::Withdrawn { reason }
            }
            Command::Merge { target, reason } => {
                if target == self.id {
                    return Err(DomainError::invalid("target", "不能合并到本件"));
                }
                EventKind::MergedInto { target, reason }
            }
            Command::Link { other, note } => {
                if other == self.id {
                    return Err(DomainError::invalid("other", "不能关联本件"));
                }
                if self.links.contains(&other) {
                    return Err(DomainError::invalid("other", "已关联该件"));
                }
                EventKind::Linked { other, note }
            }
            Command::RequestReview { reason } => {
                required("reason", &reason, "请写明申请复查的理由")?;
                if self.review.is_some() {
                    return Err(DomainError::Rule("已申请过复查；对复查意见不服的，可申请复核".into()));
                }
                let reply_at = self.reply_date().ok_or_else(|| DomainError::Rule("尚未出具书面处理意见".into()))?;
                let rule = ctx.rules.get(DeadlineKind::ReviewRequest, self.matter.channel);
                let closes = ctx.calendar.due(crate::local_date(reply_at), rule.days, rule.unit);
                if today > closes {
                    return Err(DomainError::WindowClosed { what: "申请复查".into(), closed_on: closes });
                }
                let (body, body_name) = ctx.appeal_body.clone().unwrap_or((None, "上一级行政机关".into()));
                EventKind::ReviewRequested { reason, body, body_name }
            }
            Command::DecideReview { outcome, opinion } => {
                required("opinion", &opinion, "请写明复查意见")?;
                EventKind::ReviewDecided { outcome, opinion }
            }
            Command::RequestRecheck { reason } => {
                required("reason", &reason, "请写明申请复核的理由")?;
                let decided = self.review.as_ref().and_then(|r| r.decided_at).ok_or_else(|| {
                    DomainError::Rule("复核须在复查决定作出后申请；请先申请复查".into())
                })?;
                if self.recheck.is_some() {
                    return Err(DomainError::Rule("已申请过复核".into()));
                }
                let rule = ctx.rules.get(DeadlineKind::RecheckRequest, self.matter.channel);
                let closes = ctx.calendar.due(crate::local_date(decided), rule.days, rule.unit);
                if today > closes {
                    return Err(DomainError::WindowClosed { what: "申请复核".into(), closed_on: closes });
                }
                let (body, body_name) = ctx.appeal_body.clone().unwrap_or((None, "上一级行政机关".into()));
                EventKind::RecheckRequested { reason, body, body_name }
            }
            Command::DecideRecheck { outcome, opinion } => {
                required("opinion", &opinion, "请写明复核意见")?;
                EventKind::RecheckDecided { outcome, opinion }
            }
            Command::Supervise { due, note, target_unit } => {
                required("note", &note, "请写明督办事项和要求")?;
                if due < today {
                    return Err(DomainError::invalid("due", "督办期限不能早于今天"));
                }
                EventKind::SupervisionIssued { due, note, target_unit: target_unit.or(self.unit) }
            }
            Command::AssignLeader { leader, leader_name } => {
                if self.leader == Some(leader) {
                    return Err(DomainError::invalid("leader", "该领导已包案"));
                }
                EventKind::LeaderAssigned { leader, leader_name }
            }
            Command::AddNote { text } => {
                required("text", &text, "备注不能为空")?;
                EventKind::Noted { text }
            }
            Command::AdoptSuggestion { note } => {
                if self.matter.matter_type != MatterType::Suggestion {
                    return Err(DomainError::invalid("action", "只有建议意见类事项可以记录采纳"));
                }
                if self.suggestion_adopted.is_some() {
                    return Err(DomainError::invalid("action", "该建议已记录采纳"));
                }
                required("note", &note, "请写明采纳的内容和措施")?;
                EventKind::SuggestionAdopted { note }
            }
        })
    }

    /// Folds one event into the state. Total: the log is the truth, so every event applies.
    pub fn apply(&mut self, event: &Event) {
        let at = event.at;
        let by = event.actor.user_id();
        self.version += 1;
        self.updated_at = at;
        match &event.kind {
            EventKind::Registered { .. } => {}
            EventKind::Accepted { .. } => {
                self.status = Status::Accepted;
                self.accepted_at = Some(at);
            }
            EventKind::NotAccepted { reason } => {
                self.status = Status::NotAccepted;
                self.not_accepted_reason = Some(reason.clone());
            }
            EventKind::Routed { unit, co_units, mode, assign_days, suggested, .. } => {
                self.status = Status::Routed;
                self.suggested_units = suggested.clone();
                self.unit = Some(*unit);
                self.co_units = co_units.clone();
                self.routing_mode = Some(*mode);
                self.routed_at = Some(at);
                self.assign_days = *assign_days;
            }
            EventKind::Returned { reason } => {
                self.status = Status::Accepted;
                self.returns.push(reason.clone());
                self.unit = None;
                self.co_units.clear();
                self.routed_at = None;
                self.handling_started_at = None;
            }
            EventKind::HandlingStarted => {
                self.status = Status::InProgress;
                self.handling_started_at = Some(at);
            }
            EventKind::ExtensionRequested { days, reason } => {
                self.status = Status::ExtensionPending;
                self.extension =
                    Some(Extension { days: *days, reason: reason.clone(), requested_at: at, approved_at: None, rejected: None });
            }
            EventKind::ExtensionApproved => {
                self.status = Status::InProgress;
                if let Some(e) = &mut self.extension {
                    e.approved_at = Some(at);
                }
            }
            EventKind::ExtensionRejected { reason } => {
                self.status = Status::InProgress;
                if let Some(e) = &mut self.extension {
                    e.rejected = Some(reason.clone());
                }
            }
            EventKind::ReplySubmitted { decision, facts, opinion, legal_basis } => {
                self.status = Status::ReplyPending;
                self.reply = Some(Reply {
                    decision: *decision,
                    facts: facts.clone(),
                    opinion: opinion.clone(),
                    legal_basis: legal_basis.clone(),
                    submitted_at: at,
                    submitted_by: by,
                    approved_at: None,
                    approved_by: None,
                });
            }
            EventKind::ReplyApproved => {
                self.status = Status::Replied;
                if let Some(r) = &mut self.reply {
                    r.approved_at = Some(at);
                    r.approved_by = by;
                }
            }
            EventKind::ReplyRejected { .. } => self.status = Status::InProgress,
            EventKind::FollowedUp { satisfaction, note } => {
                self.status = Status::FollowedUp;
                self.follow_up = Some(FollowUp { satisfaction: *satisfaction, note: note.clone(), at });
            }
            EventKind::Reopened { .. } => {
                self.status = Status::InProgress;
                self.reply = None;
                self.follow_up = None;
            }
            EventKind::Closed { .. } => {
                self.status = Status::Closed;
                self.closed_at = Some(at);
            }
            EventKind::Archived => {
                self.status = Status::Archived;
                self.archived_at = Some(at);
            }
            EventKind::Withdrawn { reason } => {
                self.status = Status::Withdrawn;
                self.withdrawn_reason = Some(reason.clone());
            }
            EventKind::MergedInto { target, .. } => {
                self.status = Status::Merged;
                self.merged_into = Some(*target);
                if !self.links.contains(target) {
                    self.links.push(*target);
                }
            }
            EventKind::Linked { other, .. } => {
                if !self.links.contains(other) {
                    self.links.push(*other);
                }
            }
            EventKind::ReviewRequested { reason, body, body_name } => {
                self.status = Status::UnderReview;
                self.review = Some(appeal(reason, at, *body, body_name));
            }
            EventKind::ReviewDecided { outcome, opinion } => {
                self.status = Status::Reviewed;
                if let Some(r) = &mut self.review {
                    r.outcome = Some(*outcome);
                    r.opinion = Some(opinion.clone());
                    r.decided_at = Some(at);
                }
            }
            EventKind::RecheckRequested { reason, body, body_name } => {
                self.status = Status::UnderRecheck;
                self.recheck = Some(appeal(reason, at, *body, body_name));
            }
            EventKind::RecheckDecided { outcome, opinion } => {
                self.status = Status::Final;
                if let Some(r) = &mut self.recheck {
                    r.outcome = Some(*outcome);
                    r.opinion = Some(opinion.clone());
                    r.decided_at = Some(at);
                }
            }
            EventKind::SupervisionIssued { due, note, target_unit } => self.supervisions.push(Supervision {
                by,
                at,
                due: *due,
                note: note.clone(),
                target_unit: *target_unit,
            }),
            EventKind::LeaderAssigned { leader, .. } => self.leader = Some(*leader),
            EventKind::AttachmentAdded { attachment } => self.attachments.push(attachment.clone()),
            EventKind::Noted { .. } => {}
            EventKind::PersonalDataPurged => self.personal_data_purged = true,
            EventKind::SuggestionAdopted { note } => self.suggestion_adopted = Some(Adoption { at, by, note: note.clone() }),
        }
    }
}

fn appeal(reason: &str, at: DateTime<Utc>, body: Option<OrgId>, body_name: &str) -> Appeal {
    Appeal {
        reason: reason.to_string(),
        requested_at: at,
        body,
        body_name: body_name.to_string(),
        outcome: None,
        opinion: None,
        decided_at: None,
    }
}
