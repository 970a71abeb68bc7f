use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use redress_domain::event::Event;
use redress_domain::{Case, CaseId, Channel, OrgId, Petitioner, Role, Status, UserId};

/// An event as stored: its place in the chain and its exact payload text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredEvent {
    pub seq: i64,
    pub case_id: CaseId,
    /// The case's version after this event (1 for `Registered`).
    pub case_version: u32,
    pub at: DateTime<Utc>,
    /// The snake_case event type, for queries.
    pub kind: String,
    /// `serde_json` of [`Event`]; hashed as stored, byte for byte.
    pub payload: String,
    pub prev_hash: String,
    pub hash: String,
}

impl StoredEvent {
    pub fn event(&self) -> Result<Event, serde_json::Error> {
        serde_json::from_str(&self.payload)
    }
}

/// Derived columns kept beside the state for listing; recomputed by the app on every write.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Derived {
    /// The staff deadline now running (from rules and calendar), if any.
    pub due_at: Option<DateTime<Utc>>,
    /// Organisations that may see the case: intake office, unit, co-units, place.
    pub orgs: Vec<OrgId>,
    /// The case's statistical record (dashboard); `None` leaves the stored one as it is.
    pub facts: Option<CaseFacts>,
}

#[derive(Debug, Clone)]
pub struct NewCaseWrite {
    /// The state after all `events`; its `version` is `events.len()`.
    pub case: Case,
    /// `Registered` first; a historical import adds the rest of the case's history, so the
    /// whole row lands in one transaction or not at all.
    pub events: Vec<Event>,
    pub derived: Derived,
    pub personal: Option<Petitioner>,
}

#[derive(Debug, Clone)]
pub struct AppendWrite {
    /// The state after `events`; its `version` is `expected_version + events.len()`.
    pub case: Case,
    pub expected_version: u32,
    pub events: Vec<Event>,
    pub derived: Derived,
    /// Delete the case's personal data in the same transaction (retention limit).
    pub purge_personal: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PersonalRecord {
    pub case_id: CaseId,
    pub petitioner: Petitioner,
}

/// A staff member looked at personal data: who, what, when, why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessRecord {
    pub at: DateTime<Utc>,
    pub user_id: UserId,
    pub username: String,
    pub case_id: CaseId,
    pub fields: Vec<String>,
    pub purpose: String,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CaseSort {
    /// Nearest deadline first; cases without one last.
    #[default]
    DueAsc,
    RegisteredDesc,
    RegisteredAsc,
    UpdatedDesc,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CaseQuery {
    /// Only cases any of these organisations may see; `None` means no restriction.
    pub visible_to: Option<Vec<OrgId>>,
    pub statuses: Vec<Status>,
    pub unit: Option<OrgId>,
    pub channel: Option<Channel>,
    /// Category code or its prefix ("03" matches "03.02").
    pub category: Option<String>,
    pub registered_from: Option<DateTime<Utc>>,
    pub registered_to: Option<DateTime<Utc>>,
    /// Deadline before this instant (overdue when it is "now").
    pub due_before: Option<DateTime<Utc>>,
    /// Substring of subject or tracking code.
    pub text: Option<String>,
    pub demo: Option<bool>,
    /// Only open cases under supervision (督办): few, found through a partial index.
    pub supervised: bool,
    /// Skip counting all matches (`CasePage::total` is then the page's length), when the caller
    /// knows the total already.
    pub skip_total: bool,
    pub sort: CaseSort,
    pub limit: u32,
    pub offset: u32,
}

#[derive(Debug, Clone)]
pub struct CasePage {
    pub items: Vec<Case>,
    pub total: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    pub id: UserId,
    pub username: String,
    pub display_name: String,
    pub org_id: OrgId,
    pub roles: Vec<Role>,
    /// argon2 PHC string.
    pub password_hash: String,
    pub disabled: bool,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Session {
    pub token_hash: String,
    pub user_id: UserId,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub csrf_token: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiToken {
    pub token_hash: String,
    pub name: String,
    /// The staff account the token acts as; `None` for Open311 clients.
    pub user_id: Option<UserId>,
    /// "api" or "open311".
    pub scope: String,
    pub created_at: DateTime<Utc>,
    pub revoked: bool,
}

/// Statuses a case can only have reached through a follow-up (回访) or later; counting
/// satisfaction looks only at these.
/// The condition that marks an open case under supervision. The inner LIKE is the predicate of
/// a partial index on both backends (keep them identical); as a subquery it makes the planner
/// use that index instead of scanning the deadline index and reading every open case's JSON.
pub const SUPERVISED_SQL: &str =
    "id IN (SELECT id FROM cases WHERE data LIKE '%\"supervisions\":[{%') AND due_at IS NOT NULL";

pub const FOLLOWED_UP_STATUSES: &[redress_domain::Status] = &[
    redress_domain::Status::FollowedUp,
    redress_domain::Status::Closed,
    redress_domain::Status::Archived,
    redress_domain::Status::UnderReview,
    redress_domain::Status::Reviewed,
    redress_domain::Status::UnderRecheck,
    redress_domain::Status::Final,
];

/// Who holds a background job's lease, and until when. `epoch` is the fencing token: it grows
/// by one each time the lease passes to another holder, so a holder that lost it (paused,
/// partitioned) cannot claim or finish runs any more.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Lease {
    pub job: String,
    pub holder: String,
    pub epoch: i64,
    pub expires_at: DateTime<Utc>,
}

/// The answer to [`crate::Store::claim_job_run`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Claim {
    /// This holder runs the slot now; `attempt` is 1 unless an earlier holder died mid-run.
    Claimed { attempt: i32 },
    /// The slot already ran to the end: nothing to do.
    Done,
    /// The caller does not hold the job's lease (any more) under this epoch.
    NotHolder,
}

/// One run slot of a scheduled job: recorded once per `(job, slot)`, whoever ran it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobRun {
    pub job: String,
    /// Interval jobs: the slot's number (start ÷ interval); daily jobs: the day's number.
    pub slot: i64,
    /// When the slot became due.
    pub slot_at: DateTime<Utc>,
    /// The instance that ran (or is running) it, and its lease epoch.
    pub holder: String,
    pub epoch: i64,
    /// More than 1 when a holder died mid-run and another took the slot over.
    pub attempts: i32,
    pub started_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
    /// What the run did ("3 条提醒"), or the error it ended with.
    pub outcome: Option<String>,
}

/// A deadline reminder recorded by the deadline scan: once per case, kind and deadline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reminder {
    pub case_id: CaseId,
    /// `due_soon` (临期), `overdue` (超期) or `supervision_overdue` (督办逾期, escalated).
    pub kind: String,
    /// The deadline the reminder is about.
    pub due_at: DateTime<Utc>,
    /// The responsible unit when it was recorded.
    pub unit: Option<OrgId>,
    pub created_at: DateTime<Utc>,
    /// The job and run slot that recorded it.
    pub job: String,
    pub slot: i64,
}

/// The narrow statistical record of one case (事项统计要素), written in the same transaction as
/// the case and folded by the database into `case_rollup`: one row per month × category ×
/// status × unit × town × channel × demo with sums, so the dashboard reads thousands of groups
/// instead of millions of cases. Computed from the case by [`CaseFacts::of`]; the definitions
/// the figures give these measures are in `redress_app::figures`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaseFacts {
    /// Month of registration in Beijing time as `yyyymm` (202403).
    pub month: i32,
    /// Category code, "" when none.
    pub category: String,
    pub status: Status,
    /// Responsible unit, 0 when none.
    pub unit: i64,
    /// Town (乡镇/街道) of the matter's place, 0 when unknown.
    pub town: i64,
    pub channel: Channel,
    pub demo: bool,
    /// The handling period applied (accepted and replied): counted for 按期办结率.
    pub timed: bool,
    /// Replied within its handling period.
    pub on_time: bool,
    pub rated: bool,
    /// Rated 满意 or 基本满意.
    pub satisfied: bool,
    /// Whole days from registration to the approved reply, for concluded cases.
    pub handling_days: Option<i32>,
    /// The running staff deadline (copied from [`Derived::due_at`]), for "overdue now".
    pub due_at: Option<DateTime<Utc>>,
}

impl CaseFacts {
    /// The facts of `case` as it stands; `town` is the town of its place (from the org tree).
    pub fn of(
        case: &redress_domain::Case,
        town: Option<OrgId>,
        due_at: Option<DateTime<Utc>>,
        rules: &redress_domain::DeadlineRules,
        calendar: &redress_domain::Calendar,
    ) -> CaseFacts {
        use chrono::Datelike;
        let local = redress_domain::local_date(case.registered_at);
        let on_time = case.concluded_on_time(rules, calendar);
        let handling_days = if case.status.is_concluded() {
            case.reply_date().map(|r| (r - case.registered_at).num_days().max(0) as i32)
        } else {
            None
        };
        let rating = case.follow_up.as_ref().map(|f| f.satisfaction);
        CaseFacts {
            month: local.year() * 100 + local.month() as i32,
            category: case.matter.category.clone().unwrap_or_default(),
            status: case.status,
            unit: case.unit.map_or(0, |u| u.0),
            town: town.map_or(0, |t| t.0),
            channel: case.matter.channel,
            demo: case.matter.demo,
            timed: on_time.is_some(),
            on_time: on_time == Some(true),
            rated: rating.is_some(),
            satisfied: rating.is_some_and(|s| s != redress_domain::case::Satisfaction::Unsatisfied),
            handling_days,
            due_at,
        }
    }
}

/// Which facts the dashboard counts: a month range and optional filters. Units are given as
/// a list (a unit and its subtree, resolved by the caller).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FactQuery {
    /// First and last month (`yyyymm`), both included.
    pub month_from: i32,
    pub month_to: i32,
    pub units: Option<Vec<i64>>,
    pub towns: Option<Vec<i64>>,
    /// Category code or its prefix ("03" matches "03.02").
    pub category: Option<String>,
    pub channel: Option<Channel>,
    pub demo: Option<bool>,
    /// Only these statuses (drill-down to the cases behind a count).
    pub statuses: Option<Vec<Status>>,
}

impl FactQuery {
    /// The WHERE clause both backends use over their facts and rollup tables: ids and keys are
    /// written into the SQL (integers and fixed status/channel keys only); the category, when
    /// given, is the bound parameter `param` (`$1` on PostgreSQL, `?1` on SQLite). `months`
    /// adds the registration-month range.
    pub fn where_sql(&self, months: bool, param: &str) -> String {
        let mut w = vec!["1 = 1".to_string()];
        if months {
            w.push(format!("month BETWEEN {} AND {}", self.month_from, self.month_to));
        }
        let list = |ids: &[i64]| if ids.is_empty() { "NULL".to_string() } else { ids.iter().map(i64::to_string).collect::<Vec<_>>().join(",") };
        if let Some(u) = &self.units {
            w.push(format!("unit_id IN ({})", list(u)));
        }
        if let Some(t) = &self.towns {
            w.push(format!("town_id IN ({})", list(t)));
        }
        if self.category.is_some() {
            w.push(format!("(category = {param} OR substr(category, 1, length({param}) + 1) = {param} || '.')"));
        }
        if let Some(c) = self.channel {
            w.push(format!("channel = '{}'", c.key()));
        }
        if let Some(st) = &self.statuses {
            let keys: Vec<String> = st.iter().map(|s| format!("'{}'", s.key())).collect();
            w.push(if keys.is_empty() { "FALSE".into() } else { format!("status IN ({})", keys.join(",")) });
        }
        if let Some(d) = self.demo {
            w.push(format!("demo = {}", i32::from(d)));
        }
        w.join(" AND ")
    }

    /// Whether `Store::fact_dims` can answer this query from `case_rollup_dim`: the whole county
    /// (only months and demo), or one or more towns, or one or more units (a subtree), with no
    /// other filter.
    pub fn dims_apply(&self) -> bool {
        let plain = self.category.is_none() && self.channel.is_none() && self.statuses.is_none();
        plain && !(self.units.is_some() && self.towns.is_some())
    }

    /// The WHERE clause of `fact_dims` over `case_rollup_dim` (both backends): the months, the
    /// demo flag, and which `dim` rows hold the sums — the county's own ('unit', 'town',
    /// 'category', 'channel') or those kept within each town ('t12.category', …) or unit
    /// ('u7.town', …; migration 0013). Only integers and fixed names are written into it.
    pub fn dims_where(&self) -> String {
        // Each month named, so that the index on (month, dim, …) seeks each month × dim rather
        // than reading every dim of the months (the rows kept within towns and units outnumber
        // the county's own).
        let mut months = Vec::new();
        let mut m = self.month_from;
        while m <= self.month_to && months.len() < 1200 {
            months.push(m.to_string());
            m = if m % 100 >= 12 { (m / 100 + 1) * 100 + 1 } else { m + 1 };
        }
        let mut w = if months.is_empty() || m <= self.month_to {
            format!("month BETWEEN {} AND {}", self.month_from, self.month_to)
        } else {
            format!("month IN ({})", months.join(","))
        };
        if let Some(d) = self.demo {
            w.push_str(&format!(" AND demo = {}", i32::from(d)));
        }
        let scoped = |prefix: char, ids: &[i64], subs: [&str; 3]| -> Vec<String> {
            ids.iter().flat_map(|id| subs.iter().map(move |sub| format!("'{prefix}{id}.{sub}'"))).collect()
        };
        let dims: Vec<String> = match (&self.towns, &self.units) {
            (Some(t), _) => scoped('t', t, ["unit", "category", "channel"]),
            (None, Some(u)) => scoped('u', u, ["town", "category", "channel"]),
            (None, None) => ["'unit'", "'town'", "'category'", "'channel'"].map(String::from).to_vec(),
        };
        if dims.is_empty() {
            w.push_str(" AND FALSE");
        } else {
            w.push_str(&format!(" AND dim IN ({})", dims.join(",")));
        }
        w
    }
}

/// Sums over the facts of one group (month × category × status × unit × town × channel).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct FactGroup {
    pub month: i32,
    pub category: String,
    pub status: Option<Status>,
    pub unit: i64,
    pub town: i64,
    pub channel: Option<Channel>,
    pub cases: i64,
    pub timed: i64,
    pub on_time: i64,
    pub rated: i64,
    pub satisfied: i64,
    pub handled: i64,
    pub handling_days: i64,
}

/// An early warning (预警) as stored: the columns the store filters on, and the whole record
/// as the application's JSON (`data`). Warnings are about matters and places, never people.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredWarning {
    /// 0 to insert.
    pub id: i64,
    pub rule_id: String,
    /// What the warning is about (e.g. `town:12|cat:03.02`): one open warning per rule and key.
    pub key: String,
    /// The organisation whose workbench receives it.
    pub recipient: OrgId,
    /// `open`, `acknowledged` or `disposed`.
    pub status: String,
    pub raised_at: DateTime<Utc>,
    pub data: String,
}

/// Which warnings to list, newest first.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WarningQuery {
    /// Only those addressed to these organisations; `None`: all.
    pub recipients: Option<Vec<OrgId>>,
    /// Only these statuses; empty: all.
    pub statuses: Vec<String>,
    pub rule_id: Option<String>,
    pub key: Option<String>,
    pub limit: u32,
}

/// Sums for one value of one dimension (`unit`, `town`, `category` or `channel`) in a month and
/// status: `g` has that dimension's field set and the others empty.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct DimGroup {
    pub dim: String,
    pub g: FactGroup,
}

impl DimGroup {
    /// Builds the group from a stored row.
    #[allow(clippy::too_many_arguments)]
    pub fn from_parts(dim: String, value: String, month: i32, status: &str, sums: [i64; 7]) -> DimGroup {
        let mut g = FactGroup {
            month,
            status: Status::parse(status),
            cases: sums[0],
            timed: sums[1],
            on_time: sums[2],
            rated: sums[3],
            satisfied: sums[4],
            handled: sums[5],
            handling_days: sums[6],
            ..FactGroup::default()
        };
        match dim.as_str() {
            "unit" => g.unit = value.parse().unwrap_or(0),
            "town" => g.town = value.parse().unwrap_or(0),
            "category" => g.category = value,
            _ => g.channel = Channel::parse(&value),
        }
        DimGroup { dim, g }
    }

    /// Builds the groups of a stored row of any `dim` ([`FactQuery::dims_where`]): a row kept
    /// within a town or unit ('t12.category') gives its plain dimension ('category'); its
    /// channel rows also give the town's (or unit's) own totals, as a 'town' ('unit') row, since
    /// every case has exactly one channel.
    pub fn from_row(dim: String, value: String, month: i32, status: &str, sums: [i64; 7], out: &mut Vec<DimGroup>) {
        let scoped = dim.split_once('.').and_then(|(scope, sub)| {
            let kind = match scope.chars().next()? {
                't' => "town",
                'u' => "unit",
                _ => return None,
            };
            Some((kind, scope[1..].to_string(), sub.to_string()))
        });
        match scoped {
            None => out.push(DimGroup::from_parts(dim, value, month, status, sums)),
            Some((kind, id, sub)) => {
                if sub == "channel" {
                    out.push(DimGroup::from_parts(kind.to_string(), id, month, status, sums));
                }
                out.push(DimGroup::from_parts(sub, value, month, status, sums));
            }
        }
    }
}
