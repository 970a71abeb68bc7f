//! The background jobs' work, on both backends: the deadline scan records one reminder per
//! case, kind and deadline however often it runs, the escalation one per overdue 督办, and the
//! jobs view is for system administrators only.

#[macro_use]
mod common;

use axum::http::{Method, StatusCode};
use chrono::Duration;
use common::{harness, Backend};
use redress_domain::CaseId;
use serde_json::json;

on_both_backends!(deadline_scan_reminds_once_per_case_and_deadline, overdue_supervision_is_escalated_once, jobs_view_is_for_administrators);

async fn deadline_scan_reminds_once_per_case_and_deadline(b: Backend) {
    let h = harness(b).await;
    let id = CaseId(h.register().await["id"].as_i64().unwrap());
    let store = h.app.store.clone();
    // Just registered: nothing due yet.
    h.app.scan_deadlines("deadline_scan", 1).await.unwrap();
    assert!(store.reminders(Some(id), 10).await.unwrap().is_empty());

    // Past the acceptance deadline: one 超期 reminder, however many scans follow.
    h.clock.advance(Duration::days(30));
    let out = h.app.scan_deadlines("deadline_scan", 2).await.unwrap();
    assert!(out.contains("超期 1 件") && out.contains("新提醒 1 条"), "{out}");
    let out = h.app.scan_deadlines("deadline_scan", 3).await.unwrap();
    assert!(out.contains("新提醒 0 条"), "{out}");
    let got = store.reminders(Some(id), 10).await.unwrap();
    assert_eq!(got.len(), 1, "{got:?}");
    assert_eq!((got[0].kind.as_str(), got[0].slot, got[0].job.as_str()), ("overdue", 2, "deadline_scan"));

    // Once accepted a new deadline runs; its own reminder comes when it is near or past.
    h.act_ok("clerk", id.0, json!({ "action": "accept" })).await;
    h.clock.advance(Duration::days(120));
    h.app.scan_deadlines("deadline_scan", 4).await.unwrap();
    h.app.scan_deadlines("deadline_scan", 5).await.unwrap();
    let got = store.reminders(Some(id), 10).await.unwrap();
    assert_eq!(got.len(), 2, "{got:?}");
    assert_eq!(got[0].slot, 4);
    assert_ne!(got[0].due_at, got[1].due_at);
}

async fn overdue_supervision_is_escalated_once(b: Backend) {
    let h = harness(b).await;
    let id = CaseId(h.register().await["id"].as_i64().unwrap());
    h.act_ok("supervisor", id.0, json!({ "action": "supervise", "due": "2026-03-05", "note": "请加快办理进度" })).await;
    // Due on 5 March (Beijing): not overdue on the 5th, overdue from the 6th.
    h.clock.set(common::start() + Duration::days(3));
    let out = h.app.escalate_overdue_supervision("supervision_escalation", 1).await.unwrap();
    assert!(out.contains("逾期督办 0 项"), "{out}");
    h.clock.set(common::start() + Duration::days(4));
    let out = h.app.escalate_overdue_supervision("supervision_escalation", 2).await.unwrap();
    assert!(out.contains("逾期督办 1 项，新升级 1 条"), "{out}");
    let out = h.app.escalate_overdue_supervision("supervision_escalation", 3).await.unwrap();
    assert!(out.contains("新升级 0 条"), "{out}");
    let got: Vec<_> = h.app.store.reminders(Some(id), 10).await.unwrap().into_iter().filter(|r| r.kind == "supervision_overdue").collect();
    assert_eq!(got.len(), 1, "{got:?}");
    assert_eq!(got[0].due_at, redress_domain::end_of_local_day(chrono::NaiveDate::from_ymd_opt(2026, 3, 5).unwrap()));
}

async fn jobs_view_is_for_administrators(b: Backend) {
    let h = harness(b).await;
    let (st, body) = h.as_user("admin", Method::GET, "/api/v1/admin/jobs", None).await;
    assert_eq!(st, StatusCode::OK, "{body}");
    let names: Vec<&str> = body["jobs"].as_array().unwrap().iter().map(|j| j["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["deadline_scan", "supervision_escalation", "routing_retrain", "housekeeping", "warning_scan", "nil_report_check", "mediation_reminders"]);
    let (st, _) = h.as_user("clerk", Method::GET, "/api/v1/admin/jobs", None).await;
    assert_eq!(st, StatusCode::FORBIDDEN);
}
