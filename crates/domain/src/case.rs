//! The case: one matter a resident brought, from any channel, and its current state.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::error::DomainError;
use crate::ids::{CaseId, OrgId, TrackingCode, UserId};

macro_rules! labelled_enum {
    ($(#[$m:meta])* $name:ident { $($variant:ident => $key:literal, $zh:literal),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        pub enum $name { $(#[serde(rename = $key)] $variant),+ }
        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];
            pub fn key(self) -> &'static str { match self { $($name::$variant => $key),+ } }
            pub fn label_zh(self) -> &'static str { match self { $($name::$variant => $zh),+ } }
            /// Accepts the key or the Chinese label.
            pub fn parse(s: &str) -> Option<$name> {
                let s = s.trim();
                Self::ALL.iter().copied().find(|v| v.key() == s || v.label_zh() == s)
            }
        }
        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result { f.write_str(self.key()) }
        }
    };
}

labelled_enum!(
    /// Where a matter came in (信访工作条例 Art. 17; 12345; grid; higher-level transfer).
    Channel {
        Letter => "letter", "来信",
        Visit => "visit", "来访",
        Phone => "phone", "电话",
        Online => "online", "网上信访",
        Hotline => "hotline_12345", "12345热线",
        HigherTransfer => "higher_transfer", "上级转办",
        Grid => "grid", "网格上报",
        LeaderReception => "leader_reception", "领导接待",
        Other => "other", "其他",
    }
);

labelled_enum!(
    /// The matter's type (信访工作条例 Art. 29–32).
    MatterType {
        Claim => "claim", "申诉求决",
        Suggestion => "suggestion", "建议意见",
        Accusation => "accusation", "检举控告",
        Consultation => "consultation", "咨询",
    }
);

labelled_enum!(
    /// Where a case stands. Changes only through [`crate::transition`].
    Status {
        Registered => "registered", "待受理",
        Accepted => "accepted", "已受理待转交",
        NotAccepted => "not_accepted", "不予受理",
        Routed => "routed", "已转交待签收",
        InProgress => "in_progress", "办理中",
        ExtensionPending => "extension_pending", "延期待审批",
        ReplyPending => "reply_pending", "答复待审核",
        Replied => "replied", "已答复",
        FollowedUp => "followed_up", "已回访",
        Closed => "closed", "已办结",
        Archived => "archived", "已归档",
        Withdrawn => "withdrawn", "已撤回",
        Merged => "merged", "已合并",
        UnderReview => "under_review", "复查中",
        Reviewed => "reviewed", "复查已决定",
        UnderRecheck => "under_recheck", "复核中",
        Final => "final", "复核终结",
    }
);

labelled_enum!(
    /// 处理意见 (Art. 32).
    Decision {
        Support => "support", "支持",
        Explain => "explain", "解释说明",
        NotSupport => "not_support", "不予支持",
    }
);

labelled_enum!(
    Satisfaction {
        Satisfied => "satisfied", "满意",
        Basic => "basic", "基本满意",
        Unsatisfied => "unsatisfied", "不满意",
    }
);

labelled_enum!(
    /// 转送 (to the competent body) or 交办 (with a deadline and a required report back), Art. 22.
    RoutingMode {
        Forward => "forward", "转办",
        Assign => "assign", "交办",
    }
);

labelled_enum!(
    /// Outcome of 复查 or 复核.
    AppealOutcome {
        Upheld => "upheld", "维持原处理意见",
        Changed => "changed", "变更原处理意见",
        Revoked => "revoked", "撤销并责成重新办理",
    }
);

impl Status {
    /// No further handling happens (appeals aside).
    pub fn is_terminal(self) -> bool {
        matches!(self, Status::NotAccepted | Status::Archived | Status::Withdrawn | Status::Merged | Status::Final)
    }

    /// Counted as 办结 in statistics.
    pub fn is_concluded(self) -> bool {
        matches!(
            self,
            Status::Replied
                | Status::FollowedUp
                | Status::Closed
                | Status::Archived
                | Status::UnderReview
                | Status::Reviewed
                | Status::UnderRecheck
                | Status::Final
        )
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Location {
    #[serde(default)]
    pub address: String,
    /// 行政区划代码.
    #[serde(default)]
    pub division_code: Option<String>,
    #[serde(default)]
    pub lat: Option<f64>,
    #[serde(default)]
    pub lng: Option<f64>,
    /// The town, village or grid where the matter is, when known.
    #[serde(default)]
    pub org: Option<OrgId>,
}

/// What a channel records beyond the common fields.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChannelDetails {
    /// 上级转办: the transferring office and its reference number.
    #[serde(default)]
    pub transfer_office: Option<String>,
    #[serde(default)]
    pub transfer_ref: Option<String>,
    /// 来访: the number of representatives a group visit elected (at most 5, Art. 20).
    #[serde(default)]
    pub representatives: Option<u32>,
    /// 领导接待: the receiving leader.
    #[serde(default)]
    pub reception_leader: Option<UserId>,
    /// 12345: the hotline's own work-order number.
    #[serde(default)]
    pub external_ref: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attachment {
    /// SHA-256 of the content, hex.
    pub sha256: String,
    pub name: String,
    pub mime: String,
    pub size: u64,
}

/// The matter as registered: validated with [`NewCase::validate`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewCase {
    pub channel: Channel,
    pub matter_type: MatterType,
    #[serde(default)]
    pub category: Option<String>,
    pub subject: String,
    pub content: String,
    #[serde(default)]
    pub location: Location,
    #[serde(default = "one")]
    pub people_count: u32,
    #[serde(default)]
    pub channel_details: ChannelDetails,
    #[serde(default)]
    pub related: Vec<CaseId>,
    /// The case this one repeats (same matter, same facts), if known at intake.
    #[serde(default)]
    pub same_matter_as: Option<CaseId>,
    /// The office that registered it; left out, it is the registering clerk's own office.
    #[serde(default = "unset_org")]
    pub intake_org: OrgId,
    /// 检举控告: the petitioner's identity is never shown to the unit complained about (Art. 30).
    #[serde(default)]
    pub confidential: bool,
    #[serde(default)]
    pub demo: bool,
    /// Categories the classifier suggested at intake, best first (filled in by the server,
    /// whatever the client sends), so its accuracy can be measured against the clerk's choice.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub suggested_categories: Vec<String>,
}

/// `NewCase::intake_org` when left out (also the default of readers of the stored JSON).
pub fn unset_org() -> OrgId {
    OrgId(0)
}

fn one() -> u32 {
    1
}

pub const SUBJECT_MAX: usize = 200;
pub const CONTENT_MAX: usize = 20_000;
pub const ADDRESS_MAX: usize = 500;

impl NewCase {
    /// Rejects what a clerk must fix, naming the field.
    pub fn validate(&self) -> Result<(), DomainError> {
        let subject = self.subject.trim();
        if subject.is_empty() {
            return Err(DomainError::invalid("subject", "请填写诉求标题"));
        }
        if subject.chars().count() > SUBJECT_MAX {
            return Err(DomainError::invalid("subject", format!("标题不能超过{SUBJECT_MAX}字")));
        }
        if self.content.trim().is_empty() {
            return Err(DomainError::invalid("content", "请填写诉求内容"));
        }
        if self.content.chars().count() > CONTENT_MAX {
            return Err(DomainError::invalid("content", format!("内容不能超过{CONTENT_MAX}字")));
        }
        if self.location.address.chars().count() > ADDRESS_MAX {
            return Err(DomainError::invalid("location.address", format!("地址不能超过{ADDRESS_MAX}字")));
        }
        if let (Some(lat), Some(lng)) = (self.location.lat, self.location.lng) {
            if !(-90.0..=90.0).contains(&lat) || !(-180.0..=180.0).contains(&lng) {
                return Err(DomainError::invalid("location", "坐标超出范围"));
            }
        }
        if self.location.lat.is_some() != self.location.lng.is_some() {
            return Err(DomainError::invalid("location", "经度和纬度需同时填写"));
        }
        if self.people_count == 0 {
            return Err(DomainError::invalid("people_count", "人数至少为1"));
        }
        if self.people_count > 100_000 {
            return Err(DomainError::invalid("people_count", "人数不合理，请核对"));
        }
        if let Some(r) = self.channel_details.representatives {
            if r > 5 {
                return Err(DomainError::invalid(
                    "channel_details.representatives",
                    "多人走访应推选代表，代表人数不超过5人（《信访工作条例》第二十条）",
                ));
            }
            if r > self.people_count {
                return Err(DomainError::invalid("channel_details.representatives", "代表人数不能多于来访人数"));
            }
        }
        if self.channel == Channel::HigherTransfer
            && self.channel_details.transfer_office.as_deref().is_none_or(|s| s.trim().is_empty())
        {
            return Err(DomainError::invalid("channel_details.transfer_office", "上级转办件请填写转办机关"));
        }
        Ok(())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Extension {
    pub days: u32,
    pub reason: String,
    pub requested_at: DateTime<Utc>,
    #[serde(default)]
    pub approved_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub rejected: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reply {
    pub decision: Decision,
    /// 事实和理由
    pub facts: String,
    /// 处理意见
    pub opinion: String,
    /// 法律依据
    pub legal_basis: String,
    pub submitted_at: DateTime<Utc>,
    pub submitted_by: Option<UserId>,
    #[serde(default)]
    pub approved_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub approved_by: Option<UserId>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FollowUp {
    pub satisfaction: Satisfaction,
    pub note: String,
    pub at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Appeal {
    pub reason: String,
    pub requested_at: DateTime<Utc>,
    /// The deciding body: the next level up.
    pub body: Option<OrgId>,
    pub body_name: String,
    #[serde(default)]
    pub outcome: Option<AppealOutcome>,
    #[serde(default)]
    pub opinion: Option<String>,
    #[serde(default)]
    pub decided_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Supervision {
    pub by: Option<UserId>,
    pub at: DateTime<Utc>,
    pub due: NaiveDate,
    pub note: String,
    pub target_unit: Option<OrgId>,
}

/// A case's current state: the fold of its events ([`Case::apply`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Case {
    pub id: CaseId,
    pub tracking_code: TrackingCode,
    /// Number of events applied; the store's optimistic-concurrency token.
    pub version: u32,
    pub status: Status,
    pub matter: NewCase,
    pub anonymous: bool,
    /// SHA-256 commitment to the petitioner's personal data kept outside the log.
    pub petitioner_digest: Option<String>,
    pub registered_at: DateTime<Utc>,
    pub registered_by: Option<UserId>,
    pub accepted_at: Option<DateTime<Utc>>,
    pub not_accepted_reason: Option<String>,
    pub unit: Option<OrgId>,
    pub co_units: Vec<OrgId>,
    pub routing_mode: Option<RoutingMode>,
    pub routed_at: Option<DateTime<Utc>>,
    /// 交办 with its own deadline in days (the assigning office's).
    pub assign_days: Option<u32>,
    pub returns: Vec<String>,
    pub handling_started_at: Option<DateTime<Utc>>,
    pub extension: Option<Extension>,
    pub reply: Option<Reply>,
    pub follow_up: Option<FollowUp>,
    pub closed_at: Option<DateTime<Utc>>,
    pub archived_at: Option<DateTime<Utc>>,
    pub withdrawn_reason: Option<String>,
    pub merged_into: Option<CaseId>,
    pub links: Vec<CaseId>,
    /// Units suggested at the latest routing, best first.
    #[serde(default)]
    pub suggested_units: Vec<OrgId>,
    pub review: Option<Appeal>,
    pub recheck: Option<Appeal>,
    pub leader: Option<UserId>,
    pub supervisions: Vec<Supervision>,
    pub attachments: Vec<Attachment>,
    pub personal_data_purged: bool,
    pub updated_at: DateTime<Utc>,
    /// A 建议意见 the handling body adopted (采纳), counted by the annual report (Art. 41).
    #[serde(default)]
    pub suggestion_adopted: Option<Adoption>,
}

/// That a suggestion was adopted: when, by whom and what was taken up.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Adoption {
    pub at: DateTime<Utc>,
    pub by: Option<UserId>,
    pub note: String,
}

impl Case {
    /// 编号 shown to staff: year of registration and the internal id.
    pub fn number(&self) -> String {
        format!("XF{}-{:06}", crate::local_date(self.registered_at).format("%Y"), self.id.0)
    }

    /// The date of the approved written reply, which opens the 复查 window.
    pub fn reply_date(&self) -> Option<DateTime<Utc>> {
        self.reply.as_ref().and_then(|r| r.approved_at)
    }
}
