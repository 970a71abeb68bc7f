//! What residents do without an account: submit a matter, rate the reply, ask for 复查, and
//! read the reception schedule and the county's open statistics.
//!
//! A resident proves they are the petitioner with the tracking code plus the last four digits
//! of the phone they gave (an anonymous case has no phone: the code alone). Nothing here
//! returns personal data.

use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::{DateTime, NaiveDate, Utc};
use redress_domain::case::{Channel, Location, MatterType, NewCase, Satisfaction};
use redress_domain::org::OrgKind;
use redress_domain::{Actor, Case, Command, OrgId, Petitioner, Status, TrackingCode};
use serde::{Deserialize, Serialize};

use crate::cases::Intake;
use crate::error::{AppError, AppResult};
use crate::App;

/// What a resident fills in on the portal.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct Submission {
    pub matter_type: Option<MatterType>,
    pub category: Option<String>,
    pub subject: String,
    pub content: String,
    pub place: Option<OrgId>,
    pub address: String,
    pub anonymous: bool,
    pub name: String,
    pub phone: String,
}

/// One entry of the leaders' reception-day schedule (领导接待日), published on the portal.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Reception {
    pub date: NaiveDate,
    /// e.g. "上午 9:00—12:00".
    pub time: String,
    pub leader_name: String,
    pub leader_title: String,
    pub place: String,
    #[serde(default)]
    pub topics: String,
}

/// The county's open statistics on the portal's front page.
#[derive(Debug, Clone, Default, Serialize)]
pub struct PublicStats {
    pub received: i64,
    pub accepted: i64,
    pub closed: i64,
    pub in_progress: i64,
    /// 办结率 in percent (closed of accepted), one decimal.
    pub closed_rate: Option<f64>,
    pub rated: i64,
    pub satisfied: i64,
    /// 满意率 in percent (满意 + 基本满意 of rated), one decimal.
    pub satisfied_rate: Option<f64>,
    pub as_of: Option<DateTime<Utc>>,
}

pub const CLOSED_RATE_DEFINITION: &str = crate::figures::CLOSED_RATE.definition;
pub const SATISFIED_RATE_DEFINITION: &str = crate::figures::SATISFIED_RATE.definition;

const SCHEDULE_KEY: &str = "reception_schedule";
/// Open statistics are recomputed at most this often.
const STATS_TTL: Duration = Duration::from_secs(300);
/// How long the first visitor waits for the first figures before the page shows none yet.
const STATS_WAIT: Duration = Duration::from_secs(2);

/// Cached open statistics, and whether a refresh is running.
#[derive(Default)]
pub struct StatsCache(Mutex<Option<(Instant, PublicStats)>>, std::sync::atomic::AtomicBool);

use crate::figures::percent;

/// The statistics from counts by status and by satisfaction (pure; tested below).
pub fn stats_from(by_status: &[(Status, i64)], by_satisfaction: &[(Satisfaction, i64)], now: DateTime<Utc>) -> PublicStats {
    use Status::*;
    let count = |set: &[Status]| by_status.iter().filter(|(s, _)| set.contains(s)).map(|(_, n)| n).sum::<i64>();
    let received = by_status.iter().map(|(_, n)| n).sum();
    let closed = count(crate::figures::CLOSED_STATUSES);
    let accepted = received - count(crate::figures::NOT_ACCEPTED);
    let in_progress = count(&[Accepted, Routed, InProgress, ExtensionPending, ReplyPending, Replied, UnderReview, UnderRecheck]);
    let rated: i64 = by_satisfaction.iter().map(|(_, n)| n).sum();
    let satisfied = by_satisfaction.iter().filter(|(s, _)| *s != Satisfaction::Unsatisfied).map(|(_, n)| n).sum();
    PublicStats {
        received,
        accepted,
        closed,
        in_progress,
        closed_rate: percent(closed, accepted),
        rated,
        satisfied,
        satisfied_rate: percent(satisfied, rated),
        as_of: Some(now),
    }
}

impl App {
    /// The office that receives matters submitted online: the county's 信访 office if there is
    /// one, else the county itself.
    pub async fn public_intake_org(&self) -> AppResult<OrgId> {
        let cfg = self.cfg().await?;
        let mut orgs: Vec<_> = cfg.tree.all().collect();
        orgs.sort_by_key(|o| o.id);
        orgs.iter()
            .find(|o| o.kind == OrgKind::Department && o.name.contains("信访"))
            .or_else(|| orgs.iter().find(|o| o.kind == OrgKind::County))
            .map(|o| o.id)
            .ok_or_else(|| AppError::Unavailable("尚未配置受理机关，暂不能在线提交".into()))
    }

    /// A resident submits a matter on the portal (网上信访).
    pub async fn public_submit(&self, s: Submission) -> AppResult<Case> {
        let name = s.name.trim().to_string();
        let phone = s.phone.trim().to_string();
        if !s.anonymous {
            if name.is_empty() {
                return Err(AppError::invalid("name", "请填写姓名，或选择匿名提交"));
            }
            if phone.is_empty() {
                return Err(AppError::invalid("phone", "请填写联系电话，以便告知办理结果和核实身份"));
            }
        }
        let matter = NewCase {
            channel: Channel::Online,
            matter_type: s.matter_type.unwrap_or(MatterType::Claim),
            category: s.category.filter(|c| !c.trim().is_empty()),
            subject: s.subject.trim().to_string(),
            content: s.content.trim().to_string(),
            location: Location { address: s.address.trim().to_string(), org: s.place, ..Location::default() },
            people_count: 1,
            channel_details: Default::default(),
            related: vec![],
            same_matter_as: None,
            intake_org: self.public_intake_org().await?,
            confidential: false,
            demo: false,
            suggested_categories: vec![],
        };
        let petitioner = if s.anonymous {
            Petitioner::default()
        } else {
            Petitioner { name: Some(name), phone: Some(phone), ..Petitioner::default() }
        };
        self.register(None, Actor::Public, Intake { matter, petitioner }).await
    }

    /// The case behind a tracking code, if the resident also knows the phone's last four digits
    /// (not asked for an anonymous case or one whose personal data was purged).
    async fn petitioner_case(&self, code: &str, phone_last4: &str) -> AppResult<Case> {
        let code = TrackingCode::parse(code).map_err(|e| AppError::invalid("code", e.to_string()))?;
        let case = self.store.get_case_by_code(&code).await?.ok_or(AppError::NotFound("该查询码对应的事项"))?;
        if case.anonymous || case.personal_data_purged {
            return Ok(case);
        }
        let phone = self.store.personal_data(case.id).await?.and_then(|r| r.petitioner.phone_last4());
        match phone {
            Some(p) if p == phone_last4.trim() => Ok(case),
            None => Ok(case),
            _ => Err(AppError::invalid("phone4", "手机号后四位与登记信息不符")),
        }
    }

    /// True if the case behind `code` has no phone to check (anonymous, purged or none given),
    /// so its code alone identifies the petitioner.
    pub async fn public_case_without_phone(&self, code: &str) -> AppResult<bool> {
        let code = TrackingCode::parse(code).map_err(|e| AppError::invalid("code", e.to_string()))?;
        let case = self.store.get_case_by_code(&code).await?.ok_or(AppError::NotFound("该查询码对应的事项"))?;
        if case.anonymous || case.personal_data_purged {
            return Ok(true);
        }
        Ok(self.store.personal_data(case.id).await?.and_then(|r| r.petitioner.phone_last4()).is_none())
    }

    /// The petitioner rates the reply (回访评价 on the portal).
    pub async fn public_rate(&self, code: &str, phone_last4: &str, satisfaction: Satisfaction, note: &str) -> AppResult<Case> {
        let case = self.petitioner_case(code, phone_last4).await?;
        let cfg = self.cfg().await?;
        let cmd = Command::FollowUp { satisfaction, note: format!("群众在线评价。{}", note.trim()).trim().to_string() };
        self.apply(&cfg, case, &cmd, Actor::Public, self.now(), false).await
    }

    /// The petitioner asks for 复查 within the window (信访工作条例 Art. 35).
    pub async fn public_request_review(&self, code: &str, phone_last4: &str, reason: &str) -> AppResult<Case> {
        let case = self.petitioner_case(code, phone_last4).await?;
        let cfg = self.cfg().await?;
        let cmd = Command::RequestReview { reason: reason.trim().to_string() };
        self.apply(&cfg, case, &cmd, Actor::Public, self.now(), false).await
    }

    pub async fn reception_schedule(&self) -> AppResult<Vec<Reception>> {
        Ok(match self.store.get_setting(SCHEDULE_KEY).await? {
            Some(s) => serde_json::from_str(&s).map_err(|e| AppError::Store(redress_store::StoreError::Corrupt(format!("接待日安排数据损坏：{e}"))))?,
            None => vec![],
        })
    }

    /// Upcoming receptions (today and later), soonest first.
    pub async fn upcoming_receptions(&self, today: NaiveDate) -> AppResult<Vec<Reception>> {
        let mut all: Vec<Reception> = self.reception_schedule().await?.into_iter().filter(|r| r.date >= today).collect();
        all.sort_by(|a, b| a.date.cmp(&b.date).then(a.time.cmp(&b.time)));
        Ok(all)
    }

    pub async fn set_reception_schedule(&self, p: &crate::Principal, items: Vec<Reception>) -> AppResult<()> {
        crate::permissions::require_any(p, &[redress_domain::Role::Admin, redress_domain::Role::Supervisor, redress_domain::Role::Leader])?;
        for (i, r) in items.iter().enumerate() {
            if r.leader_name.trim().is_empty() {
                return Err(AppError::invalid(&format!("[{i}].leader_name"), "请填写接待领导"));
            }
            if r.place.trim().is_empty() {
                return Err(AppError::invalid(&format!("[{i}].place"), "请填写接待地点"));
            }
        }
        let json = serde_json::to_string(&items).map_err(|e| AppError::Store(redress_store::StoreError::Other(e.to_string())))?;
        self.store.put_setting(SCHEDULE_KEY, &json).await?;
        Ok(())
    }

    /// Open statistics, recomputed at most every five minutes and never while a visitor waits
    /// longer than [`STATS_WAIT`]: the counts run in the background (on a large PostgreSQL
    /// database they read every finished case), and meanwhile the last figures are served, or
    /// none (`as_of` empty) before the first are ready.
    pub async fn public_stats(self: &Arc<Self>) -> AppResult<PublicStats> {
        let cached = self.stats_cache.0.lock().expect("stats cache").clone();
        if let Some((at, s)) = &cached {
            if at.elapsed() < STATS_TTL {
                return Ok(s.clone());
            }
        }
        if !self.stats_cache.1.swap(true, Ordering::AcqRel) {
            let app = self.clone();
            let job = tokio::spawn(async move {
                let result = app.compute_public_stats().await;
                app.stats_cache.1.store(false, Ordering::Release);
                result
            });
            if cached.is_none() {
                if let Ok(Ok(done)) = tokio::time::timeout(STATS_WAIT, job).await {
                    return done;
                }
            }
        }
        Ok(cached.map(|(_, s)| s).unwrap_or_default())
    }

    async fn compute_public_stats(&self) -> AppResult<PublicStats> {
        let by_status = self.store.count_by_status().await?;
        let by_satisfaction = self.store.count_by_satisfaction().await?;
        let stats = stats_from(&by_status, &by_satisfaction, self.now());
        *self.stats_cache.0.lock().expect("stats cache") = Some((Instant::now(), stats.clone()));
        Ok(stats)
    }

    /// Forgets cached statistics (tests, and after bulk imports).
    pub fn refresh_public_stats(&self) {
        *self.stats_cache.0.lock().expect("stats cache") = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_count_closed_of_accepted_and_satisfied_of_rated() {
        use Status::*;
        let by_status = [(Registered, 5), (NotAccepted, 5), (InProgress, 10), (Closed, 25), (FollowedUp, 5)];
        let by_sat = [(Satisfaction::Satisfied, 20), (Satisfaction::Basic, 4), (Satisfaction::Unsatisfied, 6)];
        let s = stats_from(&by_status, &by_sat, Utc::now());
        assert_eq!(s.received, 50);
        assert_eq!(s.accepted, 40);
        assert_eq!(s.closed, 30);
        assert_eq!(s.in_progress, 10);
        assert_eq!(s.closed_rate, Some(75.0));
        assert_eq!(s.satisfied_rate, Some(80.0));
    }

    #[test]
    fn no_cases_means_no_rate_rather_than_zero() {
        let s = stats_from(&[], &[], Utc::now());
        assert_eq!(s.closed_rate, None);
        assert_eq!(s.satisfied_rate, None);
    }
}
