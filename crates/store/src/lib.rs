//! The storage boundary: one [`Store`] trait, implemented by SQLite and PostgreSQL, both held to
//! the same [`conformance`] suite. Also the hash-chain rules of the event log.

pub mod chain;
pub mod conformance;
mod types;
// Routine duties (零报告, 矛盾纠纷排查), issue 6.
mod dossiers;
mod duties;
pub use dossiers::*;
pub use duties::*;

pub use chain::{event_hash, GENESIS_HASH};
pub use types::*;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use redress_domain::{Case, CaseId, Org, OrgId, TrackingCode, UserId};

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StoreError {
    #[error("记录不存在")]
    NotFound,
    /// Optimistic concurrency: someone else changed the case first.
    #[error("该事项已被他人更新（当前版本 {current}），请刷新后重试")]
    Conflict { current: u32 },
    /// A unique value is taken (username, tracking code, ...).
    #[error("“{field}”已存在")]
    Duplicate { field: String },
    /// The database cannot be reached or is restarting: worth retrying.
    #[error("数据库暂时不可用：{0}")]
    Unavailable(String),
    /// Disk full, I/O errors, permissions: needs an operator.
    #[error("数据库无法写入：{0}")]
    Storage(String),
    /// The database file (or its disk) is read-only: reads work, writes wait for an operator.
    #[error("数据库当前只读，暂不能保存：{0}")]
    ReadOnly(String),
    #[error("数据损坏：{0}")]
    Corrupt(String),
    #[error("数据库错误：{0}")]
    Other(String),
}

/// Everything redress keeps. All writes to cases go through a group-commit writer, so a
/// returned `Ok` means the change is durable (fsync'd).
#[async_trait]
pub trait Store: Send + Sync + 'static {
    /// "sqlite" or "postgres".
    fn backend(&self) -> &'static str;

    /// The store's connection pool and write queue right now, for `GET /metrics`. Empty unless
    /// the backend has something to report.
    fn runtime_stats(&self) -> Vec<StoreStat> {
        Vec::new()
    }

    /// Creates or upgrades the schema. Idempotent.
    async fn migrate(&self) -> Result<()>;

    // ----- cases and the event log -----

    /// Stores a new case with its events (`Registered` first) in one transaction; assigns and
    /// returns the id (the `id` field of `new.case` is ignored). Fails with
    /// `Duplicate { field: "tracking_code" }` when the code is taken, so the caller can draw another.
    async fn create_case(&self, new: NewCaseWrite) -> Result<(Case, Vec<StoredEvent>)>;

    /// Appends events to a case whose stored version is `expected_version`, storing `case`
    /// (the state after the events) in the same transaction. `Conflict` if the version moved.
    async fn append(&self, write: AppendWrite) -> Result<Vec<StoredEvent>>;

    async fn get_case(&self, id: CaseId) -> Result<Option<Case>>;
    async fn get_case_by_code(&self, code: &TrackingCode) -> Result<Option<Case>>;
    async fn list_cases(&self, query: &CaseQuery) -> Result<CasePage>;
    async fn count_cases(&self) -> Result<i64>;
    /// Number of cases in each status (statuses with none are left out).
    async fn count_by_status(&self) -> Result<Vec<(redress_domain::Status, i64)>>;
    /// Number of cases whose latest follow-up (回访) gave each satisfaction.
    async fn count_by_satisfaction(&self) -> Result<Vec<(redress_domain::case::Satisfaction, i64)>>;
    /// Cases with ids in `[from, to)`, ordered by id, for verification and export.
    async fn cases_in_range(&self, from: CaseId, to: CaseId) -> Result<Vec<Case>>;
    /// The same cases as [`Store::cases_in_range`] in their stored form, the JSON of `Case`, for
    /// bulk readers that need only part of each case (the full-text build) and so skip building it.
    async fn case_json_in_range(&self, from: CaseId, to: CaseId) -> Result<Vec<String>>;
    async fn max_case_id(&self) -> Result<CaseId>;

    async fn case_events(&self, id: CaseId) -> Result<Vec<StoredEvent>>;
    /// Events in chain order with `seq > after`, at most `limit`.
    async fn events_after(&self, after: i64, limit: u32) -> Result<Vec<StoredEvent>>;
    /// Events of cases with ids in `[from, to)`, ordered by case id then seq.
    async fn events_in_case_range(&self, from: CaseId, to: CaseId) -> Result<Vec<StoredEvent>>;
    /// The last event's seq and hash (0 and [`GENESIS_HASH`] when empty).
    async fn chain_head(&self) -> Result<(i64, String)>;

    // ----- statistics (dashboard) -----

    /// Sums of the case facts matching `q`, one row per month × category × status × unit ×
    /// town × channel (demo folded in). Read from the rollup the database keeps in the same
    /// transaction as every case write, so the cost follows the number of groups, not cases.
    async fn fact_groups(&self, q: &FactQuery) -> Result<Vec<FactGroup>>;
    /// The same sums one dimension at a time (unit, town, category, channel) per month and
    /// status, for the whole county or, when `q` names towns or units (not both) and nothing
    /// else, within them ([`FactQuery::dims_apply`]); otherwise only `q`'s months and demo flag
    /// apply. A few thousand rows where `fact_groups` may return hundreds of thousands.
    async fn fact_dims(&self, q: &FactQuery) -> Result<Vec<DimGroup>>;
    /// Cases matching `q` (by registration month) whose running deadline passed before `now`,
    /// counted per category × unit × town × channel (`cases` only; status left empty).
    async fn overdue_groups(&self, q: &FactQuery, now: DateTime<Utc>) -> Result<Vec<FactGroup>>;
    /// The cases behind a figure, newest first: those matching `q`, or with `overdue_at` those
    /// whose running deadline passed before it (months then ignored, as in `overdue_groups`).
    /// Returns a page of ids and the total.
    async fn fact_case_ids(&self, q: &FactQuery, overdue_at: Option<DateTime<Utc>>, limit: u32, offset: u32) -> Result<(Vec<CaseId>, i64)>;
    /// Writes the facts of existing cases (upgrade backfill), folding them into the rollup.
    async fn put_facts(&self, facts: Vec<(CaseId, CaseFacts)>) -> Result<()>;
    /// Stored facts with case ids above `after`, in id order, at most `limit` (export, benchmarks).
    async fn facts_after(&self, after: CaseId, limit: u32) -> Result<Vec<(CaseId, CaseFacts)>>;
    /// How many cases have facts stored.
    async fn count_facts(&self) -> Result<i64>;

    // ----- early warnings (预警) -----

    /// Inserts (id 0) or updates a warning; returns its id. An insert while a warning with the
    /// same rule and key is not yet disposed fails with `Duplicate { field: "key" }`.
    async fn save_warning(&self, w: &StoredWarning) -> Result<i64>;
    async fn get_warning(&self, id: i64) -> Result<Option<StoredWarning>>;
    async fn list_warnings(&self, q: &WarningQuery) -> Result<Vec<StoredWarning>>;

    // ----- personal data (outside the log, purgeable) -----

    async fn personal_data(&self, id: CaseId) -> Result<Option<PersonalRecord>>;
    async fn record_access(&self, rec: AccessRecord) -> Result<()>;
    async fn access_log(&self, case: Option<CaseId>, limit: u32) -> Result<Vec<AccessRecord>>;

    // ----- organisations and people -----

    /// Inserts (id 0) or updates an organisation; returns its id.
    async fn save_org(&self, org: &Org) -> Result<OrgId>;
    async fn list_orgs(&self) -> Result<Vec<Org>>;
    /// Inserts (id 0) or updates a user; `Duplicate { field: "username" }` on a taken name.
    async fn save_user(&self, user: &User) -> Result<UserId>;
    async fn get_user(&self, id: UserId) -> Result<Option<User>>;
    async fn get_user_by_name(&self, username: &str) -> Result<Option<User>>;
    async fn list_users(&self) -> Result<Vec<User>>;

    // ----- sessions and API tokens (only hashes are stored) -----

    async fn save_session(&self, s: &Session) -> Result<()>;
    async fn get_session(&self, token_hash: &str) -> Result<Option<Session>>;
    async fn delete_session(&self, token_hash: &str) -> Result<()>;
    /// Removes sessions that expired before `now`; returns how many.
    async fn purge_sessions(&self, now: DateTime<Utc>) -> Result<u64>;
    async fn save_api_token(&self, t: &ApiToken) -> Result<()>;
    async fn get_api_token(&self, token_hash: &str) -> Result<Option<ApiToken>>;
    async fn list_api_tokens(&self) -> Result<Vec<ApiToken>>;

    // ----- settings (JSON documents: taxonomy, deadline rules, calendar) -----

    async fn get_setting(&self, key: &str) -> Result<Option<String>>;
    async fn put_setting(&self, key: &str, value: &str) -> Result<()>;

    // ----- attachment contents, addressed by SHA-256 -----

    async fn put_blob(&self, sha256: &str, mime: &str, bytes: Vec<u8>) -> Result<()>;
    async fn get_blob(&self, sha256: &str) -> Result<Option<(String, Vec<u8>)>>;

    // ----- background jobs -----

    /// Takes or renews the lease on a named job for `ttl_secs`; `Some(epoch)` if `holder` has
    /// it. A lease that lapsed (holder died) can be taken by anyone, and then its epoch (the
    /// fencing token) grows by one; a holder renewing keeps its epoch.
    async fn try_lease(&self, job: &str, holder: &str, now: DateTime<Utc>, ttl_secs: i64) -> Result<Option<i64>>;
    /// Gives the lease up (graceful shutdown), so another instance takes over at once.
    async fn release_lease(&self, job: &str, holder: &str) -> Result<()>;
    /// Every job's lease, by job name.
    async fn leases(&self) -> Result<Vec<Lease>>;
    /// Claims run slot `slot` of `job` for `holder`, atomically and only while `holder` holds
    /// the job's lease under `epoch` at `now`. A slot that finished is `Done`; a slot whose run
    /// was started under an older epoch (its holder died) is taken over (`attempt` + 1).
    async fn claim_job_run(
        &self,
        job: &str,
        slot: i64,
        slot_at: DateTime<Utc>,
        holder: &str,
        epoch: i64,
        now: DateTime<Utc>,
    ) -> Result<Claim>;
    /// Marks the run finished with `outcome`; false (nothing written) unless `holder` still
    /// owns the run under `epoch` and it was not finished yet.
    async fn finish_job_run(&self, job: &str, slot: i64, holder: &str, epoch: i64, now: DateTime<Utc>, outcome: &str) -> Result<bool>;
    /// Runs, newest slot first, of one job or all.
    async fn job_runs(&self, job: Option<&str>, limit: u32) -> Result<Vec<JobRun>>;

    /// Records reminders, skipping any already recorded for the same case, kind and deadline;
    /// returns how many were new.
    async fn add_reminders(&self, reminders: &[Reminder]) -> Result<u64>;
    /// Reminders, newest first, of one case or all.
    async fn reminders(&self, case: Option<CaseId>, limit: u32) -> Result<Vec<Reminder>>;

    // ----- shared rate limits -----

    /// Adds `add` hits (1 to count one, 0 to read, minus the count to reset) to `key` in the
    /// fixed window starting at `window_start` and returns the window's count after it.
    /// Shared by every instance on the database.
    async fn rate_hit(&self, key: &str, window_start: DateTime<Utc>, add: i64) -> Result<i64>;
    /// Deletes the counters of windows that started before `before`; returns how many.
    async fn purge_rate_windows(&self, before: DateTime<Utc>) -> Result<u64>;
    // ----- routine duties: 零报告 and 矛盾纠纷排查 campaigns (issue 6, migration 0011) -----

    /// Appends one 零报告 filing; returns its id.
    async fn add_nil_report(&self, r: &NilReport) -> Result<i64>;
    /// Filings matching `q` (every filing, not only the newest per period).
    async fn nil_reports(&self, q: &NilReportQuery) -> Result<Vec<NilReport>>;
    /// Records reminders, skipping any already recorded for the same unit, kind and period;
    /// returns how many were new.
    async fn add_duty_reminders(&self, reminders: &[DutyReminder]) -> Result<u64>;
    /// Reminders, newest first, of one unit or all.
    async fn duty_reminders(&self, unit: Option<OrgId>, limit: u32) -> Result<Vec<DutyReminder>>;
    /// Inserts (id 0) or updates a campaign whose stored version is `c.version`, writing `note`
    /// to its history in the same transaction; returns the id. `Conflict` if the version moved.
    async fn save_campaign(&self, c: &StoredCampaign, note: &DutyNote) -> Result<i64>;
    async fn get_campaign(&self, id: i64) -> Result<Option<StoredCampaign>>;
    /// Campaigns, newest first.
    async fn list_campaigns(&self, limit: u32) -> Result<Vec<StoredCampaign>>;
    /// Inserts (version 0) or updates a unit's return, writing `note` to the campaign's history
    /// in the same transaction; returns the new version. `Conflict` if the version moved.
    async fn save_campaign_return(&self, r: &StoredCampaignReturn, note: &DutyNote) -> Result<i64>;
    /// The returns of a campaign, by unit.
    async fn campaign_returns(&self, campaign: i64) -> Result<Vec<StoredCampaignReturn>>;
    /// A campaign's history, oldest first.
    async fn campaign_history(&self, campaign: i64) -> Result<Vec<DutyNote>>;

    // ----- mediation and risk assessment records (issue 7, migration 0009) -----

    /// Inserts (id 0) or updates a record whose stored version is `d.version` (the kind, org,
    /// case and parent given on insert stay), writing `note` to its history in the same
    /// transaction; returns the id. `Conflict` if the version moved, `NotFound` if there is no
    /// such record of that kind.
    async fn save_dossier(&self, d: &StoredDossier, note: &DutyNote) -> Result<i64>;
    async fn get_dossier(&self, id: i64) -> Result<Option<StoredDossier>>;
    /// Records matching `q`, newest (highest id) first.
    async fn list_dossiers(&self, q: &DossierQuery) -> Result<Vec<StoredDossier>>;
    /// A record's history, oldest first.
    async fn dossier_history(&self, id: i64) -> Result<Vec<DutyNote>>;
}

/// One gauge or counter of a store's runtime state (see [`Store::runtime_stats`]).
#[derive(Debug, Clone, PartialEq)]
pub struct StoreStat {
    /// Metric name without the `redress_store_` prefix, e.g. `write_queue_depth`.
    pub name: &'static str,
    pub help: &'static str,
    /// A counter (only grows) rather than a gauge.
    pub counter: bool,
    pub value: f64,
}
