//! Stored records of the routine duties (issue 6, migration 0011): 零报告 filings, reminders
//! about missing ones, and 矛盾纠纷排查 campaigns with each unit's return. None of these go in
//! the case event log; each change is a row (filings are append-only, campaign changes carry a
//! [`DutyNote`] written in the same transaction).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use redress_domain::OrgId;

/// One filing of a unit's 零报告 for one period. Filing again for the same period adds a row;
/// the newest row (highest id) is the report, the older ones its history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NilReport {
    /// 0 to insert.
    pub id: i64,
    pub unit: OrgId,
    /// `daily` or `weekly`.
    pub frequency: String,
    /// The period's first day (Beijing), `yyyy-mm-dd` (a Monday for weekly reports).
    pub period: String,
    /// `nil` (无情况) or `found` (有情况).
    pub status: String,
    pub details: String,
    pub filed_by: String,
    pub filed_at: DateTime<Utc>,
    /// Filed after the period's deadline.
    pub late: bool,
}

/// Which filings to list: ordered by period, unit, then id (oldest filing first).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NilReportQuery {
    /// Only these units; `None`: all.
    pub units: Option<Vec<OrgId>>,
    /// Periods from..=to (`yyyy-mm-dd`); empty: unbounded.
    pub period_from: String,
    pub period_to: String,
    pub limit: u32,
}

/// A reminder to a unit about a duty it has not done (a 零报告 missing for a period): one per
/// unit, kind and period, however many times the job runs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DutyReminder {
    pub unit: OrgId,
    /// `nil_report_missing`.
    pub kind: String,
    pub period: String,
    pub created_at: DateTime<Utc>,
    pub job: String,
    pub slot: i64,
}

/// A 矛盾纠纷排查 campaign; the application keeps the record as JSON in `data`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredCampaign {
    /// 0 to insert.
    pub id: i64,
    /// The stored version this write expects (0 for an insert); the store keeps `version + 1`.
    pub version: i64,
    /// `open` or `closed`.
    pub status: String,
    pub created_at: DateTime<Utc>,
    pub data: String,
}

/// One unit's return (反馈) to a campaign, with its findings, as JSON in `data`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredCampaignReturn {
    pub campaign_id: i64,
    pub unit: OrgId,
    /// The stored version this write expects (0: the first return of this unit).
    pub version: i64,
    pub updated_at: DateTime<Utc>,
    pub data: String,
}

/// Who changed a campaign, when and how (in Chinese), written with the change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DutyNote {
    pub at: DateTime<Utc>,
    pub actor: String,
    pub what: String,
}
