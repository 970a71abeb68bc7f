//! What a case looks like to staff (masked) and to the public (nothing personal).

use chrono::{DateTime, NaiveDate, Utc};
use redress_domain::case::*;
use redress_domain::{Deadline, Light, OrgId, Petitioner, TrackingCode};
use serde::Serialize;

use crate::config::Config;

#[derive(Debug, Clone, Serialize)]
pub struct DeadlineView {
    pub kind: redress_domain::DeadlineKind,
    pub label: String,
    pub start: NaiveDate,
    pub days: u32,
    pub unit_label: &'static str,
    pub due: NaiveDate,
    pub due_at: DateTime<Utc>,
    pub days_left: i64,
    pub light: Light,
    pub light_label: &'static str,
}

impl DeadlineView {
    pub fn new(d: Deadline, now: DateTime<Utc>, warn_days: u32) -> DeadlineView {
        let light = d.light(now, warn_days);
        DeadlineView {
            kind: d.kind,
            label: d.label.clone(),
            start: d.start,
            days: d.days,
            unit_label: d.unit.label_zh(),
            due: d.due,
            due_at: d.due_at,
            days_left: d.days_left(now),
            light,
            light_label: light.label_zh(),
        }
    }
}

/// A case as staff see it: petitioner masked; unmasking is a separate, recorded request.
#[derive(Debug, Clone, Serialize)]
pub struct CaseView {
    pub id: redress_domain::CaseId,
    pub number: String,
    pub tracking_code: String,
    pub status: Status,
    pub status_label: &'static str,
    pub channel_label: &'static str,
    pub matter_type_label: &'static str,
    pub category_label: Option<String>,
    pub unit_name: Option<String>,
    pub intake_org_name: Option<String>,
    pub petitioner_masked: Option<Petitioner>,
    pub deadline: Option<DeadlineView>,
    pub appeal_window: Option<DeadlineView>,
    pub return_window: Option<DeadlineView>,
    pub allowed_actions: Vec<ActionView>,
    pub case: Case,
}

#[derive(Debug, Clone, Serialize)]
pub struct ActionView {
    pub action: &'static str,
    pub label: &'static str,
}

/// A short row for lists.
#[derive(Debug, Clone, Serialize)]
pub struct CaseRow {
    pub id: redress_domain::CaseId,
    pub number: String,
    pub tracking_code: String,
    pub subject: String,
    pub status: Status,
    pub status_label: &'static str,
    pub channel_label: &'static str,
    pub category_label: Option<String>,
    pub unit: Option<OrgId>,
    pub unit_name: Option<String>,
    pub registered_at: DateTime<Utc>,
    pub deadline: Option<DeadlineView>,
    pub demo: bool,
}

pub fn org_name(cfg: &Config, id: Option<OrgId>) -> Option<String> {
    id.and_then(|i| cfg.tree.get(i)).map(|o| o.name.clone())
}

pub fn row(cfg: &Config, case: &Case, now: DateTime<Utc>) -> CaseRow {
    CaseRow {
        id: case.id,
        number: case.number(),
        tracking_code: case.tracking_code.display(),
        subject: case.matter.subject.clone(),
        status: case.status,
        status_label: case.status.label_zh(),
        channel_label: case.matter.channel.label_zh(),
        category_label: case.matter.category.as_deref().and_then(|c| cfg.taxonomy.label(c)),
        unit: case.unit,
        unit_name: org_name(cfg, case.unit),
        registered_at: case.registered_at,
        deadline: case
            .staff_deadline(&cfg.rules, &cfg.calendar)
            .map(|d| DeadlineView::new(d, now, cfg.rules.warn_days)),
        demo: case.matter.demo,
    }
}

/// What anyone holding the tracking code may see: status, dates, the reply. Nothing personal,
/// no internal notes, no names of staff.
#[derive(Debug, Clone, Serialize)]
pub struct PublicView {
    pub tracking_code: String,
    pub subject: Option<String>,
    pub status: Status,
    pub status_label: &'static str,
    pub channel_label: &'static str,
    pub registered_on: NaiveDate,
    pub accepted_on: Option<NaiveDate>,
    pub not_accepted_reason: Option<String>,
    pub unit_name: Option<String>,
    pub deadline: Option<NaiveDate>,
    pub replied_on: Option<NaiveDate>,
    pub reply: Option<PublicReply>,
    pub satisfaction_label: Option<&'static str>,
    pub appeal_deadline: Option<NaiveDate>,
    pub appeal_body: Option<String>,
    pub closed_on: Option<NaiveDate>,
    pub steps: Vec<PublicStep>,
}

#[derive(Debug, Clone, Serialize)]
pub struct PublicReply {
    pub decision_label: &'static str,
    pub facts: String,
    pub opinion: String,
    pub legal_basis: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct PublicStep {
    pub on: NaiveDate,
    pub label: &'static str,
}

pub fn public_view(cfg: &Config, case: &Case, events: &[redress_domain::event::Event], with_subject: bool) -> PublicView {
    use redress_domain::local_date;
    let reply = case.reply.as_ref().filter(|r| r.approved_at.is_some());
    let appeal = case.appeal_window(&cfg.rules, &cfg.calendar);
    PublicView {
        tracking_code: case.tracking_code.display(),
        subject: with_subject.then(|| case.matter.subject.clone()),
        status: case.status,
        status_label: case.status.label_zh(),
        channel_label: case.matter.channel.label_zh(),
        registered_on: local_date(case.registered_at),
        accepted_on: case.accepted_at.map(local_date),
        not_accepted_reason: case.not_accepted_reason.clone(),
        unit_name: org_name(cfg, case.unit),
        deadline: case.staff_deadline(&cfg.rules, &cfg.calendar).map(|d| d.due),
        replied_on: reply.and_then(|r| r.approved_at).map(local_date),
        reply: reply.map(|r| PublicReply {
            decision_label: r.decision.label_zh(),
            facts: r.facts.clone(),
            opinion: r.opinion.clone(),
            legal_basis: r.legal_basis.clone(),
        }),
        satisfaction_label: case.follow_up.as_ref().map(|f| f.satisfaction.label_zh()),
        appeal_deadline: appeal.map(|d| d.due),
        appeal_body: case.review.as_ref().map(|r| r.body_name.clone()),
        closed_on: case.closed_at.map(local_date),
        steps: events.iter().filter(|e| public_step(&e.kind)).map(|e| PublicStep { on: local_date(e.at), label: e.kind.label_zh() }).collect(),
    }
}

/// Milestones a petitioner is told about; internal steps (notes, approvals, supervision) are not.
fn public_step(kind: &redress_domain::EventKind) -> bool {
    use redress_domain::EventKind::*;
    matches!(
        kind,
        Registered { .. } | Accepted { .. } | NotAccepted { .. } | Routed { .. } | HandlingStarted | ExtensionApproved
            | ReplyApproved | FollowedUp { .. } | Closed { .. } | Withdrawn { .. } | MergedInto { .. }
            | ReviewRequested { .. } | ReviewDecided { .. } | RecheckRequested { .. } | RecheckDecided { .. }
    )
}

pub fn code_display(c: &TrackingCode) -> String {
    c.display()
}
