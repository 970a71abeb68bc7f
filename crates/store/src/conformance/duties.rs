//! Conformance checks of the routine duties (零报告, 矛盾纠纷排查; migration 0011).

use std::sync::Arc;

use redress_domain::OrgId;

use super::t;
use crate::{DutyNote, DutyReminder, NilReport, NilReportQuery, Store, StoreError, StoredCampaign, StoredCampaignReturn};

fn filing(unit: i64, period: &str, status: &str, at_day: u32) -> NilReport {
    NilReport {
        id: 0,
        unit: OrgId(unit),
        frequency: "daily".into(),
        period: period.into(),
        status: status.into(),
        details: if status == "found" { "村口道路积水，群众反映强烈".into() } else { String::new() },
        filed_by: "王五".into(),
        filed_at: t(at_day, 9, 0),
        late: false,
    }
}

/// 零报告: filings are appended (a refiling keeps the earlier one), listed by period, unit and
/// id, filtered by unit and period range.
pub async fn nil_reports_append_and_filter_by_unit_and_period(store: Arc<dyn Store>) {
    let a = store.add_nil_report(&filing(3, "2024-03-04", "nil", 4)).await.expect("file");
    let b = store.add_nil_report(&filing(3, "2024-03-04", "found", 4)).await.expect("refile");
    assert!(b > a, "ids grow");
    let late = NilReport { late: true, filed_at: t(6, 8, 30), ..filing(4, "2024-03-05", "nil", 6) };
    store.add_nil_report(&late).await.expect("late");
    store.add_nil_report(&filing(3, "2024-03-06", "nil", 6)).await.expect("file");
    let all = store.nil_reports(&NilReportQuery { limit: 100, ..Default::default() }).await.expect("list");
    assert_eq!(all.len(), 4);
    assert_eq!(all.iter().map(|r| (r.period.as_str(), r.unit.0)).collect::<Vec<_>>(), vec![("2024-03-04", 3), ("2024-03-04", 3), ("2024-03-05", 4), ("2024-03-06", 3)]);
    assert_eq!(all[0].id, a);
    assert_eq!(all[1], NilReport { id: b, ..filing(3, "2024-03-04", "found", 4) }, "round trip");
    assert!(all[2].late);
    let q = NilReportQuery { units: Some(vec![OrgId(3)]), period_from: "2024-03-05".into(), period_to: "2024-03-06".into(), limit: 100 };
    let mine = store.nil_reports(&q).await.expect("list");
    assert_eq!(mine.len(), 1);
    assert_eq!(mine[0].period, "2024-03-06");
    let none = store.nil_reports(&NilReportQuery { units: Some(vec![]), limit: 100, ..Default::default() }).await.expect("list");
    assert!(none.is_empty());
    let limited = store.nil_reports(&NilReportQuery { limit: 2, ..Default::default() }).await.expect("list");
    assert_eq!(limited.len(), 2);
}

/// Reminders about missing duties are recorded once per unit, kind and period.
pub async fn duty_reminders_are_recorded_once_per_unit_kind_and_period(store: Arc<dyn Store>) {
    let r = |unit: i64, period: &str, slot: i64| DutyReminder {
        unit: OrgId(unit),
        kind: "nil_report_missing".into(),
        period: period.into(),
        created_at: t(5, 1, slot as u32),
        job: "nil_report_check".into(),
        slot,
    };
    assert_eq!(store.add_duty_reminders(&[r(3, "2024-03-04", 1), r(4, "2024-03-04", 1)]).await.expect("add"), 2);
    assert_eq!(store.add_duty_reminders(&[r(3, "2024-03-04", 2), r(3, "2024-03-05", 2)]).await.expect("add"), 1, "the same unit and period again is skipped");
    let all = store.duty_reminders(None, 10).await.expect("list");
    assert_eq!(all.len(), 3);
    assert_eq!(all[0], r(3, "2024-03-05", 2), "newest first");
    let mine = store.duty_reminders(Some(OrgId(3)), 10).await.expect("list");
    assert_eq!(mine.iter().map(|x| x.period.as_str()).collect::<Vec<_>>(), vec!["2024-03-05", "2024-03-04"]);
    assert_eq!(mine[1].slot, 1, "the first record stays");
}

/// Campaigns and returns: versioned writes (a stale write conflicts and writes nothing), each
/// write's note in the campaign's history.
pub async fn campaigns_and_returns_are_versioned_with_history(store: Arc<dyn Store>) {
    let note = |what: &str| DutyNote { at: t(4, 10, 0), actor: "李四".into(), what: what.into() };
    let c = StoredCampaign { id: 0, version: 0, status: "open".into(), created_at: t(4, 10, 0), data: r#"{"title":"春节前排查"}"#.into() };
    let id = store.save_campaign(&c, &note("发起")).await.expect("insert");
    let got = store.get_campaign(id).await.expect("get").expect("exists");
    assert_eq!(got, StoredCampaign { id, version: 1, ..c.clone() });
    store.save_campaign(&StoredCampaign { status: "closed".into(), ..got.clone() }, &note("结束")).await.expect("update");
    let stale = store.save_campaign(&StoredCampaign { data: "{}".into(), ..got.clone() }, &note("过期的修改")).await;
    assert_eq!(stale, Err(StoreError::Conflict { current: 2 }));
    let after = store.get_campaign(id).await.expect("get").expect("exists");
    assert_eq!((after.version, after.status.as_str(), after.data.as_str()), (2, "closed", c.data.as_str()));
    assert_eq!(store.save_campaign(&StoredCampaign { id: 9999, version: 1, ..c.clone() }, &note("x")).await, Err(StoreError::NotFound));
    let other = store.save_campaign(&c, &note("发起")).await.expect("second");
    assert_eq!(store.list_campaigns(10).await.expect("list").iter().map(|x| x.id).collect::<Vec<_>>(), vec![other, id]);
    assert_eq!(store.list_campaigns(1).await.expect("list").len(), 1);

    let ret = StoredCampaignReturn { campaign_id: id, unit: OrgId(3), version: 0, updated_at: t(5, 9, 0), data: r#"{"findings":[]}"#.into() };
    assert_eq!(store.save_campaign_return(&ret, &note("反馈")).await.expect("insert"), 1);
    assert_eq!(store.save_campaign_return(&ret, &note("再次首报")).await, Err(StoreError::Conflict { current: 1 }), "a second first return conflicts");
    let v2 = StoredCampaignReturn { version: 1, data: r#"{"findings":[1]}"#.into(), ..ret.clone() };
    assert_eq!(store.save_campaign_return(&v2, &note("更正")).await.expect("update"), 2);
    assert_eq!(store.save_campaign_return(&v2, &note("过期")).await, Err(StoreError::Conflict { current: 2 }));
    store.save_campaign_return(&StoredCampaignReturn { unit: OrgId(4), ..ret.clone() }, &note("反馈")).await.expect("unit 4");
    let missing = StoredCampaignReturn { campaign_id: 9999, ..ret.clone() };
    assert_eq!(store.save_campaign_return(&missing, &note("x")).await, Err(StoreError::NotFound));
    let returns = store.campaign_returns(id).await.expect("returns");
    assert_eq!(returns.iter().map(|r| (r.unit.0, r.version)).collect::<Vec<_>>(), vec![(3, 2), (4, 1)]);
    assert_eq!(returns[0].data, r#"{"findings":[1]}"#);
    assert!(store.campaign_returns(other).await.expect("returns").is_empty());
    let history: Vec<String> = store.campaign_history(id).await.expect("history").into_iter().map(|n| n.what).collect();
    assert_eq!(history, vec!["发起", "结束", "反馈", "更正", "反馈"], "failed writes leave no note");
    assert_eq!(store.campaign_history(other).await.expect("history").len(), 1);
}
