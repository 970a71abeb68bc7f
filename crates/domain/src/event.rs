//! Events: every change to a case is one of these, appended to the hash-chained log.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::case::*;
use crate::ids::{CaseId, OrgId, TrackingCode, UserId};

/// Who caused an event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Actor {
    User { id: UserId, name: String },
    /// A resident through the public portal or lookup.
    Public,
    /// Background jobs (deadline scans, retention).
    System,
    /// Historical ledger import.
    Import,
    /// An Open311 or other machine client.
    Client { name: String },
}

impl Actor {
    pub fn user_id(&self) -> Option<UserId> {
        match self {
            Actor::User { id, .. } => Some(*id),
            _ => None,
        }
    }

    pub fn label(&self) -> String {
        match self {
            Actor::User { name, .. } => name.clone(),
            Actor::Public => "群众".into(),
            Actor::System => "系统".into(),
            Actor::Import => "历史数据导入".into(),
            Actor::Client { name } => format!("接口：{name}"),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum EventKind {
    Registered {
        tracking_code: TrackingCode,
        matter: NewCase,
        anonymous: bool,
        petitioner_digest: Option<String>,
    },
    Accepted { note: String },
    NotAccepted { reason: String },
    Routed {
        unit: OrgId,
        co_units: Vec<OrgId>,
        mode: RoutingMode,
        note: String,
        assign_days: Option<u32>,
        /// The units the routing model suggested when this choice was made, best first; kept
        /// so that the suggestions' accuracy can be measured from the log.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        suggested: Vec<OrgId>,
    },
    Returned { reason: String },
    HandlingStarted,
    ExtensionRequested { days: u32, reason: String },
    ExtensionApproved,
    ExtensionRejected { reason: String },
    ReplySubmitted { decision: Decision, facts: String, opinion: String, legal_basis: String },
    ReplyApproved,
    ReplyRejected { reason: String },
    FollowedUp { satisfaction: Satisfaction, note: String },
    Reopened { reason: String },
    Closed { note: String },
    Archived,
    Withdrawn { reason: String },
    MergedInto { target: CaseId, reason: String },
    Linked { other: CaseId, note: String },
    ReviewRequested { reason: String, body: Option<OrgId>, body_name: String },
    ReviewDecided { outcome: AppealOutcome, opinion: String },
    RecheckRequested { reason: String, body: Option<OrgId>, body_name: String },
    RecheckDecided { outcome: AppealOutcome, opinion: String },
    SupervisionIssued { due: NaiveDate, note: String, target_unit: Option<OrgId> },
    LeaderAssigned { leader: UserId, leader_name: String },
    AttachmentAdded { attachment: Attachment },
    Noted { text: String },
    PersonalDataPurged,
    /// 建议意见 adopted (issue 6, annual report).
    SuggestionAdopted { note: String },
}

impl EventKind {
    pub fn label_zh(&self) -> &'static str {
        match self {
            EventKind::Registered { .. } => "登记",
            EventKind::Accepted { .. } => "受理",
            EventKind::NotAccepted { .. } => "不予受理",
            EventKind::Routed { mode: RoutingMode::Assign, .. } => "交办",
            EventKind::Routed { .. } => "转办",
            EventKind::Returned { .. } => "退回",
            EventKind::HandlingStarted => "签收办理",
            EventKind::ExtensionRequested { .. } => "申请延期",
            EventKind::ExtensionApproved => "批准延期",
            EventKind::ExtensionRejected { .. } => "不批准延期",
            EventKind::ReplySubmitted { .. } => "提交处理意见",
            EventKind::ReplyApproved => "审核通过并答复",
            EventKind::ReplyRejected { .. } => "处理意见退回修改",
            EventKind::FollowedUp { .. } => "回访",
            EventKind::Reopened { .. } => "重新办理",
            EventKind::Closed { .. } => "办结",
            EventKind::Archived => "归档",
            EventKind::Withdrawn { .. } => "撤回",
            EventKind::MergedInto { .. } => "合并",
            EventKind::Linked { .. } => "关联",
            EventKind::ReviewRequested { .. } => "申请复查",
            EventKind::ReviewDecided { .. } => "复查决定",
            EventKind::RecheckRequested { .. } => "申请复核",
            EventKind::RecheckDecided { .. } => "复核决定",
            EventKind::SupervisionIssued { .. } => "督办",
            EventKind::LeaderAssigned { .. } => "领导包案",
            EventKind::AttachmentAdded { .. } => "添加附件",
            EventKind::Noted { .. } => "备注",
            EventKind::PersonalDataPurged => "个人信息到期清除",
            EventKind::SuggestionAdopted { .. } => "建议采纳",
        }
    }

    /// The snake_case type tag, as stored.
    pub fn type_key(&self) -> String {
        serde_json::to_value(self)
            .ok()
            .and_then(|v| v.get("type").and_then(|t| t.as_str()).map(str::to_string))
            .unwrap_or_default()
    }
}

/// An event as the domain sees it; the store adds sequence number and hashes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    pub at: DateTime<Utc>,
    pub actor: Actor,
    pub kind: EventKind,
}
