//! Background jobs that run exactly once across all server instances on one database.
//!
//! Each job has a schedule (every N milliseconds, or daily at a Beijing time) that cuts time
//! into numbered run slots. Every instance runs a [`JobRunner`]; per job, once a tick, it
//! tries to take or renew the job's lease in the store (a few seconds long, with a fencing
//! epoch that grows when the lease changes hands). The holder claims the current slot with
//! [`Store::claim_job_run`], which records `(job, slot)` once: a slot that finished is never
//! run again, by this instance or another, before or after a restart. While a run works,
//! the holder renews the lease every [`JobOptions::renew_every`]; if it loses it, it abandons
//! the run. When the holder dies, its lease lapses after [`JobOptions::lease_ttl`] and the
//! next instance to tick takes the lease (epoch + 1) and the unfinished slot over. Slots
//! missed while nobody held the lease are not run afterwards: each job looks at the present
//! (which cases are due now), so its latest slot covers the ones before.
//!
//! The jobs' effects are idempotent as well (a reminder is recorded once per case, kind and
//! deadline), so even a run repeated after a takeover records nothing twice.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Datelike, NaiveDate, NaiveTime, TimeZone, Utc};
use redress_domain::{china_offset, end_of_local_day, local_date, Light, Role};
use redress_store::{CaseQuery, CaseSort, Claim, JobRun, Lease, Reminder};
use serde::Serialize;
use tokio::sync::watch;

use crate::auth::Principal;
use crate::error::AppResult;
use crate::permissions::require_any;
use crate::workbench::OPEN;
use crate::App;

pub const DEADLINE_SCAN: &str = "deadline_scan";
pub const SUPERVISION_ESCALATION: &str = "supervision_escalation";
pub const ROUTING_RETRAIN: &str = "routing_retrain";
pub const HOUSEKEEPING: &str = "housekeeping";
pub const WARNING_SCAN: &str = "warning_scan";
/// 零报告 reminders (issue 6 routine duties).
pub const NIL_REPORT_CHECK: &str = "nil_report_check";
/// 司法确认 and 履行 reminders of people's mediation (issue 7).
pub const MEDIATION_REMINDERS: &str = "mediation_reminders";

/// The most cases one deadline scan looks at (soonest deadline first).
const SCAN_LIMIT: u32 = 50_000;
const PAGE: u32 = 500;

/// When a job is due.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Schedule {
    /// Slot k starts at k × interval since the Unix epoch.
    Every(Duration),
    /// Once a day at this Beijing time; slot = the day's number.
    DailyAt { hour: u32, minute: u32 },
}

impl Schedule {
    /// The latest slot that is due at `now`: its number and when it became due.
    pub fn current_slot(&self, now: DateTime<Utc>) -> (i64, DateTime<Utc>) {
        match *self {
            Schedule::Every(every) => {
                let ms = (every.as_millis() as i64).max(1);
                let slot = now.timestamp_millis().div_euclid(ms);
                (slot, Utc.timestamp_millis_opt(slot * ms).single().expect("slot start in range"))
            }
            Schedule::DailyAt { hour, minute } => {
                let at = NaiveTime::from_hms_opt(hour, minute, 0).expect("valid time of day");
                let local = now.with_timezone(&china_offset());
                let day = if local.time() >= at { local.date_naive() } else { local.date_naive().pred_opt().expect("date in range") };
                (day.num_days_from_ce() as i64, daily_start(day, at))
            }
        }
    }

    pub fn label_zh(&self) -> String {
        match *self {
            Schedule::Every(d) if d.as_millis() % 60_000 == 0 => format!("每 {} 分钟", d.as_secs() / 60),
            Schedule::Every(d) if d.as_millis() % 1000 == 0 => format!("每 {} 秒", d.as_secs()),
            Schedule::Every(d) => format!("每 {} 毫秒", d.as_millis()),
            Schedule::DailyAt { hour, minute } => format!("每天 {hour:02}:{minute:02}（北京时间）"),
        }
    }
}

fn daily_start(day: NaiveDate, at: NaiveTime) -> DateTime<Utc> {
    day.and_time(at).and_local_timezone(china_offset()).single().expect("fixed offset").with_timezone(&Utc)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JobSpec {
    pub name: &'static str,
    pub label: &'static str,
    pub schedule: Schedule,
}

/// Timing of the runner and the jobs' schedules.
#[derive(Debug, Clone)]
pub struct JobOptions {
    /// How long a lease lasts without renewal: the longest a dead holder blocks a job.
    pub lease_ttl: Duration,
    /// How often a holder renews while a run works, and how often idle instances tick.
    pub renew_every: Duration,
    /// The deadline scan, the supervision escalation and the early-warning scan.
    pub scan_every: Duration,
    /// Purging expired sessions and old rate-limit windows.
    pub housekeeping_every: Duration,
    /// Daily routing retraining (Beijing time).
    pub retrain_at: (u32, u32),
    /// How often every instance checks for newly trained routing models.
    pub model_poll_every: Duration,
}

impl Default for JobOptions {
    fn default() -> Self {
        JobOptions {
            lease_ttl: Duration::from_secs(5),
            renew_every: Duration::from_secs(1),
            scan_every: Duration::from_secs(300),
            housekeeping_every: Duration::from_secs(600),
            retrain_at: (3, 0),
            model_poll_every: Duration::from_secs(30),
        }
    }
}

impl JobOptions {
    /// Every scheduled job at `interval` (tests and benchmarks: `serve --job-interval-ms`).
    pub fn with_interval(interval: Duration) -> JobOptions {
        JobOptions {
            scan_every: interval,
            housekeeping_every: interval,
            // Tick at least twice a slot, so the holder runs every slot.
            renew_every: (interval / 2).clamp(Duration::from_millis(25), Duration::from_secs(1)),
            model_poll_every: interval.max(Duration::from_millis(200)),
            ..Default::default()
        }
    }

    pub fn specs(&self) -> Vec<JobSpec> {
        vec![
            JobSpec { name: DEADLINE_SCAN, label: "期限扫描（临期、超期提醒）", schedule: Schedule::Every(self.scan_every) },
            JobSpec { name: SUPERVISION_ESCALATION, label: "督办逾期升级", schedule: Schedule::Every(self.scan_every) },
            JobSpec {
                name: ROUTING_RETRAIN,
                label: "分流推荐模型重新训练",
                schedule: Schedule::DailyAt { hour: self.retrain_at.0, minute: self.retrain_at.1 },
            },
            JobSpec { name: HOUSEKEEPING, label: "清理过期会话和限流计数", schedule: Schedule::Every(self.housekeeping_every) },
            JobSpec { name: WARNING_SCAN, label: "三级预警扫描", schedule: Schedule::Every(self.scan_every) },
            JobSpec { name: NIL_REPORT_CHECK, label: "零报告漏报提醒", schedule: Schedule::Every(self.scan_every) },
            JobSpec { name: MEDIATION_REMINDERS, label: "人民调解司法确认、协议履行提醒", schedule: Schedule::Every(self.scan_every) },
        ]
    }
}

/// What this instance knows about the jobs, for `/metrics` and the admin view.
#[derive(Default)]
pub struct JobState {
    inner: Mutex<StateInner>,
}

#[derive(Default)]
struct StateInner {
    instance: String,
    specs: Vec<JobSpec>,
    per_job: HashMap<&'static str, JobCounters>,
}

/// This instance's counters for one job.
#[derive(Debug, Clone, Default, Serialize)]
pub struct JobCounters {
    pub held: bool,
    pub runs: u64,
    pub failures: u64,
    pub takeovers: u64,
    pub last_finished_at: Option<DateTime<Utc>>,
}

impl JobState {
    fn update(&self, job: &'static str, f: impl FnOnce(&mut JobCounters)) {
        f(self.inner.lock().expect("job state lock").per_job.entry(job).or_default());
    }

    /// This instance's id and the counters of every job, in schedule order.
    pub fn snapshot(&self) -> (String, Vec<(JobSpec, JobCounters)>) {
        let g = self.inner.lock().expect("job state lock");
        let rows = g.specs.iter().map(|s| (*s, g.per_job.get(s.name).cloned().unwrap_or_default())).collect();
        (g.instance.clone(), rows)
    }
}

/// One job as the admin view shows it.
#[derive(Debug, Clone, Serialize)]
pub struct JobView {
    pub name: String,
    pub label: String,
    pub schedule: String,
    pub lease: Option<Lease>,
    pub lease_live: bool,
    pub last_run: Option<JobRun>,
}

#[derive(Debug, Clone, Serialize)]
pub struct JobsOverview {
    /// The instance answering.
    pub instance: String,
    pub jobs: Vec<JobView>,
    /// The latest runs of all jobs, newest first.
    pub runs: Vec<JobRun>,
}

/// A new instance id: host, process and a random suffix (a restarted process is a new holder).
pub fn new_instance_id() -> String {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname").map(|h| h.trim().to_string()).unwrap_or_else(|_| "host".into());
    let (_, secret) = crate::auth::new_secret();
    format!("{host}-{}-{}", std::process::id(), &secret[..6])
}

impl App {
    /// Jobs, their leases and their latest runs (system administrators only).
    pub async fn jobs_overview(&self, p: &Principal) -> AppResult<JobsOverview> {
        require_any(p, &[Role::Admin])?;
        self.jobs_overview_unchecked(50).await
    }

    /// The same for the command line (`redress jobs list`), which has no principal.
    pub async fn jobs_overview_unchecked(&self, runs: u32) -> AppResult<JobsOverview> {
        let (instance, mut specs) = {
            let (i, rows) = self.jobs.snapshot();
            (i, rows.into_iter().map(|(s, _)| s).collect::<Vec<_>>())
        };
        if specs.is_empty() {
            specs = JobOptions::default().specs();
        }
        let leases = self.store.leases().await?;
        let runs = self.store.job_runs(None, runs).await?;
        let now = self.now();
        let mut jobs = vec![];
        for s in &specs {
            let lease = leases.iter().find(|l| l.job == s.name).cloned();
            let last_run = match runs.iter().find(|r| r.job == s.name) {
                Some(r) => Some(r.clone()),
                None => self.store.job_runs(Some(s.name), 1).await?.pop(),
            };
            // The interval the instances actually use (`--job-interval-ms`) shows in the slots:
            // slot k starts at k × interval.
            let schedule = match (s.schedule, &last_run) {
                (Schedule::Every(_), Some(r)) if r.slot > 0 => {
                    Schedule::Every(Duration::from_millis((r.slot_at.timestamp_millis() / r.slot).max(1) as u64))
                }
                (other, _) => other,
            };
            jobs.push(JobView {
                name: s.name.into(),
                label: s.label.into(),
                schedule: schedule.label_zh(),
                lease_live: lease.as_ref().is_some_and(|l| l.expires_at > now),
                lease,
                last_run,
            });
        }
        Ok(JobsOverview { instance, jobs, runs })
    }

    /// Runs one slot of a job; returns what it did, in Chinese.
    async fn run_job(&self, job: &'static str, slot: i64) -> AppResult<String> {
        match job {
            DEADLINE_SCAN => self.scan_deadlines(job, slot).await,
            SUPERVISION_ESCALATION => self.escalate_overdue_supervision(job, slot).await,
            ROUTING_RETRAIN => {
                let s = self.train_routing_models().await?;
                Ok(format!(
                    "承办单位模型 {} 例 {} 类，类别模型 {} 例 {} 类",
                    s.unit_examples, s.unit_classes, s.category_examples, s.category_classes
                ))
            }
            WARNING_SCAN => {
                let r = self.scan_warnings(self.now()).await?;
                Ok(format!("新预警 {} 条、更新 {} 条、升级 {} 条", r.raised, r.updated, r.escalated))
            }
            HOUSEKEEPING => {
                let now = self.now();
                let sessions = self.store.purge_sessions(now).await?;
                let windows = self.store.purge_rate_windows(now - chrono::Duration::hours(1)).await?;
                let retention = match self.purge_personal_data_daily().await? {
                    Some((cases, disputes)) => format!("；个人信息到期删除：事项 {cases} 件、调解纠纷 {disputes} 件"),
                    None => String::new(),
                };
                Ok(format!("清理过期会话 {sessions} 个、限流计数 {windows} 条{retention}"))
            }
            NIL_REPORT_CHECK => self.check_nil_reports(job, slot).await,
            MEDIATION_REMINDERS => self.remind_mediation(job, slot).await,
            other => Ok(format!("未知任务 {other}")),
        }
    }

    /// 临期/超期: records one reminder per open case and deadline that is due soon or overdue.
    pub async fn scan_deadlines(&self, job: &str, slot: i64) -> AppResult<String> {
        let cfg = self.cfg().await?;
        let now = self.now();
        let warn = cfg.rules.warn_days;
        let horizon = now + chrono::Duration::days(warn as i64 + 1);
        let (mut soon, mut over, mut new, mut offset) = (0u64, 0u64, 0u64, 0u32);
        while offset < SCAN_LIMIT {
            let q = CaseQuery {
                statuses: OPEN.to_vec(),
                due_before: Some(horizon),
                sort: CaseSort::DueAsc,
                skip_total: true,
                limit: PAGE,
                offset,
                ..Default::default()
            };
            let page = self.store.list_cases(&q).await?.items;
            let mut batch = vec![];
            for case in &page {
                let Some(d) = case.staff_deadline(&cfg.rules, &cfg.calendar) else { continue };
                let kind = match d.light(now, warn) {
                    Light::Overdue => {
                        over += 1;
                        "overdue"
                    }
                    Light::DueSoon => {
                        soon += 1;
                        "due_soon"
                    }
                    Light::Normal => continue,
                };
                batch.push(Reminder {
                    case_id: case.id,
                    kind: kind.into(),
                    due_at: d.due_at,
                    unit: case.unit,
                    created_at: now,
                    job: job.into(),
                    slot,
                });
            }
            new += self.store.add_reminders(&batch).await?;
            if (page.len() as u32) < PAGE {
                break;
            }
            offset += PAGE;
        }
        Ok(format!("临期 {soon} 件、超期 {over} 件，新提醒 {new} 条"))
    }

    /// 督办 past its due date: escalated once per case and due date (to the leaders' workbench,
    /// which lists it, and as a recorded reminder for the unit).
    pub async fn escalate_overdue_supervision(&self, job: &str, slot: i64) -> AppResult<String> {
        let now = self.now();
        let today = local_date(now);
        let (mut overdue, mut offset) = (0u64, 0u32);
        let mut batch = vec![];
        loop {
            let q = CaseQuery { supervised: true, sort: CaseSort::DueAsc, skip_total: true, limit: PAGE, offset, ..Default::default() };
            let page = self.store.list_cases(&q).await?.items;
            for case in &page {
                for s in case.supervisions.iter().filter(|s| s.due < today) {
                    overdue += 1;
                    batch.push(Reminder {
                        case_id: case.id,
                        kind: "supervision_overdue".into(),
                        due_at: end_of_local_day(s.due),
                        unit: s.target_unit.or(case.unit),
                        created_at: now,
                        job: job.into(),
                        slot,
                    });
                }
            }
            if (page.len() as u32) < PAGE || offset >= SCAN_LIMIT {
                break;
            }
            offset += PAGE;
        }
        let new = self.store.add_reminders(&batch).await?;
        Ok(format!("逾期督办 {overdue} 项，新升级 {new} 条"))
    }
}

/// Runs every job on this instance: lease, claim, run, renew, finish.
pub struct JobRunner {
    app: Arc<App>,
    instance: String,
    opts: JobOptions,
}

impl JobRunner {
    pub fn new(app: Arc<App>, instance: String, opts: JobOptions) -> JobRunner {
        {
            let mut g = app.jobs.inner.lock().expect("job state lock");
            g.instance = instance.clone();
            g.specs = opts.specs();
        }
        JobRunner { app, instance, opts }
    }

    /// Starts one task per job and the model follower; they stop, giving up their leases,
    /// when `stop` turns true. Returns the tasks to await.
    pub fn start(self, stop: watch::Receiver<bool>) -> Vec<tokio::task::JoinHandle<()>> {
        let this = Arc::new(self);
        let mut tasks = vec![];
        for spec in this.opts.specs() {
            let (this, stop) = (this.clone(), stop.clone());
            tasks.push(tokio::spawn(async move { this.job_loop(spec, stop).await }));
        }
        let (app, every, mut stop2) = (this.app.clone(), this.opts.model_poll_every, stop.clone());
        tasks.push(tokio::spawn(async move {
            loop {
                if let Err(e) = app.load_stored_routing_models().await {
                    tracing::debug!(error = %e, "stored routing models not loaded");
                }
                tokio::select! {
                    _ = tokio::time::sleep(every) => {}
                    _ = stop2.changed() => return,
                }
            }
        }));
        tasks
    }

    async fn job_loop(&self, spec: JobSpec, mut stop: watch::Receiver<bool>) {
        let store = self.app.store.clone();
        let ttl = self.opts.lease_ttl.as_secs().max(1) as i64;
        let mut held: Option<i64> = None;
        let mut last_done: Option<i64> = None;
        loop {
            if *stop.borrow() {
                break;
            }
            let now = self.app.now();
            match store.try_lease(spec.name, &self.instance, now, ttl).await {
                Ok(Some(epoch)) => {
                    if held != Some(epoch) {
                        tracing::info!(job = spec.name, instance = %self.instance, epoch, "job lease taken");
                        self.app.jobs.update(spec.name, |c| {
                            c.held = true;
                            c.takeovers += 1;
                        });
                    }
                    held = Some(epoch);
                    let (slot, slot_at) = spec.schedule.current_slot(now);
                    if last_done != Some(slot) {
                        match store.claim_job_run(spec.name, slot, slot_at, &self.instance, epoch, now).await {
                            Ok(Claim::Claimed { attempt }) => {
                                if self.run_slot(spec, slot, epoch, attempt, &mut stop).await {
                                    last_done = Some(slot);
                                }
                            }
                            Ok(Claim::Done) => last_done = Some(slot),
                            Ok(Claim::NotHolder) => {}
                            Err(e) => tracing::warn!(job = spec.name, error = %e, "job run not claimed"),
                        }
                    }
                }
                Ok(None) => {
                    if held.take().is_some() {
                        tracing::info!(job = spec.name, "job lease held by another instance");
                        self.app.jobs.update(spec.name, |c| c.held = false);
                    }
                }
                Err(e) => {
                    tracing::warn!(job = spec.name, error = %e, "job lease not renewed");
                    if held.take().is_some() {
                        self.app.jobs.update(spec.name, |c| c.held = false);
                    }
                }
            }
            tokio::select! {
                _ = tokio::time::sleep(self.opts.renew_every) => {}
                _ = stop.changed() => {}
            }
        }
        if held.is_some() {
            let _ = store.release_lease(spec.name, &self.instance).await;
            self.app.jobs.update(spec.name, |c| c.held = false);
        }
    }

    /// Runs a claimed slot while renewing the lease; true when the run was recorded finished.
    async fn run_slot(&self, spec: JobSpec, slot: i64, epoch: i64, attempt: i32, stop: &mut watch::Receiver<bool>) -> bool {
        let store = self.app.store.clone();
        let ttl = self.opts.lease_ttl.as_secs().max(1) as i64;
        tracing::info!(job = spec.name, slot, attempt, "job run started");
        let work = self.app.run_job(spec.name, slot);
        tokio::pin!(work);
        let mut renew = tokio::time::interval(self.opts.renew_every);
        renew.tick().await;
        let result = loop {
            tokio::select! {
                r = &mut work => break Some(r),
                _ = renew.tick() => match store.try_lease(spec.name, &self.instance, self.app.now(), ttl).await {
                    Ok(Some(e)) if e == epoch => {}
                    other => {
                        tracing::warn!(job = spec.name, slot, ?other, "job lease lost during the run; abandoning it");
                        break None;
                    }
                },
                _ = stop.changed() => break None,
            }
        };
        let Some(result) = result else { return false };
        let (outcome, ok) = match result {
            Ok(s) => (s, true),
            Err(e) => (format!("失败：{e}"), false),
        };
        match store.finish_job_run(spec.name, slot, &self.instance, epoch, self.app.now(), &outcome).await {
            Ok(true) => {
                tracing::info!(job = spec.name, slot, outcome = %outcome, "job run finished");
                let at = self.app.now();
                self.app.jobs.update(spec.name, |c| {
                    c.runs += 1;
                    c.failures += u64::from(!ok);
                    c.last_finished_at = Some(at);
                });
                true
            }
            Ok(false) => {
                tracing::warn!(job = spec.name, slot, "job run fenced off (another instance holds the lease)");
                false
            }
            Err(e) => {
                tracing::warn!(job = spec.name, slot, error = %e, "job run not recorded; it will be retried");
                false
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interval_slots_number_the_intervals_since_the_epoch() {
        let s = Schedule::Every(Duration::from_secs(60));
        let t = Utc.with_ymd_and_hms(2026, 11, 23, 20, 41, 30).unwrap();
        let (slot, at) = s.current_slot(t);
        assert_eq!(at, Utc.with_ymd_and_hms(2026, 11, 23, 20, 41, 0).unwrap());
        assert_eq!(slot, t.timestamp() / 60);
        assert_eq!(s.current_slot(t + chrono::Duration::seconds(29)).0, slot);
        assert_eq!(s.current_slot(t + chrono::Duration::seconds(30)).0, slot + 1);
    }

    #[test]
    fn daily_slots_start_at_the_beijing_time() {
        let s = Schedule::DailyAt { hour: 3, minute: 0 };
        // 18:59 UTC = 02:59 Beijing on the 24th: still the 23rd's slot.
        let before = Utc.with_ymd_and_hms(2026, 11, 23, 18, 59, 0).unwrap();
        let after = Utc.with_ymd_and_hms(2026, 11, 23, 19, 0, 0).unwrap();
        let (a, a_at) = s.current_slot(before);
        let (b, b_at) = s.current_slot(after);
        assert_eq!(b, a + 1);
        assert_eq!(b_at, after);
        assert_eq!(a_at, after - chrono::Duration::days(1));
        assert_eq!(s.label_zh(), "每天 03:00（北京时间）");
    }
}
