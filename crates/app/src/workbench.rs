//! The workbench (工作台): what is waiting for this person, by role, soonest deadline first.
//!
//! Every list is a bounded, indexed query (status + unit or status + deadline), and the
//! 正常/临期/超期 counts are three range counts on the deadline index, so the page stays fast
//! with a million cases. Supervision items (督办) come from the few open supervised cases.

use chrono::{Duration, NaiveDate};
use redress_domain::{local_date, Case, CaseId, OrgId, Role, Status, UserId};
use redress_store::{CaseQuery, CaseSort};
use serde::Serialize;

use crate::auth::Principal;
use crate::error::AppResult;
use crate::views::{self, CaseRow};
use crate::App;

/// Statuses in which a deadline runs (a case is "open").
pub const OPEN: &[Status] = &[
    Status::Registered,
    Status::Accepted,
    Status::Routed,
    Status::InProgress,
    Status::ExtensionPending,
    Status::ReplyPending,
    Status::Replied,
    Status::UnderReview,
    Status::UnderRecheck,
];

const LIST_LEN: u32 = 15;

#[derive(Debug, Clone, Default, Serialize)]
pub struct LightCounts {
    pub open: i64,
    pub normal: i64,
    pub near: i64,
    pub overdue: i64,
}

/// One 督办 as a workbench shows it.
#[derive(Debug, Clone, Serialize)]
pub struct SupervisionItem {
    pub case_id: CaseId,
    pub number: String,
    pub subject: String,
    pub status_label: &'static str,
    pub note: String,
    pub due: NaiveDate,
    pub issued_on: NaiveDate,
    pub issued_by: Option<UserId>,
    pub target_unit: Option<OrgId>,
    pub target_unit_name: Option<String>,
    pub overdue: bool,
    pub days_left: i64,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Workbench {
    /// What "my cases" means for this person, in Chinese.
    pub scope_label: String,
    pub counts: LightCounts,
    pub mine: Vec<CaseRow>,
    pub mine_total: i64,
    pub inbox_label: String,
    pub inbox: Vec<CaseRow>,
    pub inbox_total: i64,
    pub approvals: Vec<CaseRow>,
    pub approvals_total: i64,
    pub supervision_received: Vec<SupervisionItem>,
    pub supervision_issued: Vec<SupervisionItem>,
    /// Overdue supervision, escalated to leaders.
    pub supervision_escalated: Vec<SupervisionItem>,
    /// Early warnings (预警) addressed to this person's scope, not yet disposed.
    pub warnings: Vec<crate::warnings::Warning>,
}

/// Which cases are "mine" for a person: a unit's (unit roles) or everything they may see.
fn scope(p: &Principal) -> (Option<OrgId>, String) {
    if p.user.roles.iter().any(|r| r.is_unit_role()) && !p.has_any(&[Role::IntakeClerk, Role::Admin, Role::Supervisor, Role::Leader]) {
        (Some(p.user.org_id), "本单位承办的事项".to_string())
    } else {
        (None, "本人可见范围内的事项".to_string())
    }
}

impl App {
    pub async fn workbench(&self, p: &Principal) -> AppResult<Workbench> {
        let cfg = self.cfg().await?;
        let now = self.now();
        let (unit, scope_label) = scope(p);
        let base = CaseQuery { unit, visible_to: None, sort: CaseSort::DueAsc, ..Default::default() };
        let q = |statuses: &[Status], limit: u32| CaseQuery { statuses: statuses.to_vec(), limit, ..base.clone() };

        // 正常/临期/超期 over open cases in scope.
        let open = self.list_cases(p, q(OPEN, 1)).await?.1;
        let overdue = self.list_cases(p, CaseQuery { due_before: Some(now), ..q(OPEN, 1) }).await?.1;
        let near_or_over = self
            .list_cases(p, CaseQuery { due_before: Some(now + Duration::days(cfg.rules.warn_days as i64)), ..q(OPEN, 1) })
            .await?
            .1;
        let counts = LightCounts { open, normal: open - near_or_over, near: near_or_over - overdue, overdue };

        let mut wb = Workbench { scope_label, counts, ..Default::default() };
        if unit.is_some() {
            (wb.mine, wb.mine_total) = self.list_cases(p, q(&[Status::InProgress, Status::ExtensionPending, Status::ReplyPending, Status::Replied], LIST_LEN)).await?;
            wb.inbox_label = "待签收（已转交本单位）".into();
            (wb.inbox, wb.inbox_total) = self.list_cases(p, q(&[Status::Routed], LIST_LEN)).await?;
            if p.has(Role::UnitHead) {
                (wb.approvals, wb.approvals_total) = self.list_cases(p, q(&[Status::ExtensionPending, Status::ReplyPending], LIST_LEN)).await?;
            }
        } else {
            if p.has_any(&[Role::IntakeClerk, Role::Admin]) {
                wb.inbox_label = "待受理".into();
                (wb.inbox, wb.inbox_total) = self.list_cases(p, q(&[Status::Registered], LIST_LEN)).await?;
                (wb.mine, wb.mine_total) = self.list_cases(p, q(&[Status::Accepted, Status::Replied], LIST_LEN)).await?;
            } else {
                // Leaders and supervisors: what is overdue; the totals are the counts above.
                wb.inbox_label = "已超期".into();
                wb.inbox = self.list_cases(p, CaseQuery { due_before: Some(now), skip_total: true, ..q(OPEN, LIST_LEN) }).await?.0;
                wb.inbox_total = wb.counts.overdue;
                wb.mine = self.list_cases(p, CaseQuery { skip_total: true, ..q(OPEN, LIST_LEN) }).await?.0;
                wb.mine_total = wb.counts.open;
            }
            if p.has_any(&[Role::Leader, Role::Admin]) {
                (wb.approvals, wb.approvals_total) = self.list_cases(p, q(&[Status::UnderReview, Status::UnderRecheck], LIST_LEN)).await?;
            }
        }

        // Supervision: the open supervised cases this person may see.
        let (supervised, _) = self.store_cases(p, CaseQuery { supervised: true, sort: CaseSort::DueAsc, limit: 500, ..Default::default() }).await?;
        let today = local_date(now);
        for case in &supervised {
            for s in &case.supervisions {
                let item = SupervisionItem {
                    case_id: case.id,
                    number: case.number(),
                    subject: case.matter.subject.clone(),
                    status_label: case.status.label_zh(),
                    note: s.note.clone(),
                    due: s.due,
                    issued_on: local_date(s.at),
                    issued_by: s.by,
                    target_unit: s.target_unit,
                    target_unit_name: views::org_name(&cfg, s.target_unit),
                    overdue: s.due < today,
                    days_left: (s.due - today).num_days(),
                };
                let to_me = match unit {
                    Some(u) => s.target_unit.is_some_and(|t| cfg.tree.is_within(t, u)),
                    None => p.has_any(&[Role::IntakeClerk, Role::Admin]),
                };
                if s.by == Some(p.user.id) {
                    wb.supervision_issued.push(item.clone());
                }
                if item.overdue && (p.has_any(&[Role::Leader, Role::Admin]) || case.leader == Some(p.user.id)) {
                    wb.supervision_escalated.push(item.clone());
                }
                if to_me {
                    wb.supervision_received.push(item);
                }
            }
        }
        wb.warnings = self.warnings_for(p, true, 10).await?;
        for v in [&mut wb.supervision_received, &mut wb.supervision_issued, &mut wb.supervision_escalated] {
            v.sort_by_key(|i| (i.due, i.case_id));
        }
        Ok(wb)
    }

    /// Cases (not rows) for a query, limited to what `p` may see.
    pub async fn store_cases(&self, p: &Principal, mut q: CaseQuery) -> AppResult<(Vec<Case>, i64)> {
        // A case routed to a unit involves that unit: asking for a unit the person sees needs no
        // further visibility check (which would cost a lookup per case).
        let unit_visible = matches!((&p.visible, q.unit), (Some(mine), Some(u)) if mine.binary_search(&u).is_ok());
        q.visible_to = match (&p.visible, q.visible_to.take()) {
            (Some(_), None) if unit_visible => None,
            (None, asked) => asked,
            (Some(mine), None) => Some(mine.clone()),
            (Some(mine), Some(asked)) => Some(asked.into_iter().filter(|o| mine.binary_search(o).is_ok()).collect()),
        };
        let page = self.store.list_cases(&q).await?;
        Ok((page.items, page.total))
    }
}
