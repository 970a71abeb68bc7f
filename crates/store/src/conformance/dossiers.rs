//! Conformance checks of the mediation and risk-assessment records (migration 0009).

use std::sync::Arc;

use redress_domain::OrgId;

use super::t;
use crate::{DossierQuery, DutyNote, Store, StoreError, StoredDossier};

fn rec(kind: &str, org: i64, case_id: Option<i64>, parent: Option<i64>) -> StoredDossier {
    StoredDossier {
        id: 0,
        kind: kind.into(),
        version: 0,
        status: "open".into(),
        org: Some(OrgId(org)),
        case_id,
        parent,
        created_at: t(2, 9, 0),
        updated_at: t(2, 9, 0),
        data: format!("{{\"kind\":\"{kind}\",\"text\":\"邻里纠纷\\u0007\"}}"),
    }
}

fn note(what: &str) -> DutyNote {
    DutyNote { at: t(2, 9, 0), actor: "调解员甲".into(), what: what.into() }
}

/// Records round-trip, are versioned (a stale write is refused and leaves no history), listed
/// newest first by kind, organisation, case, parent and status, with their history.
pub async fn dossiers_are_versioned_filtered_and_noted(store: Arc<dyn Store>) {
    let a = store.save_dossier(&rec("dispute", 30, Some(7), None), &note("登记纠纷")).await.expect("insert");
    let b = store.save_dossier(&rec("dispute", 31, None, None), &note("登记纠纷")).await.expect("insert");
    let m = store.save_dossier(&rec("mediator", 30, None, Some(a)), &note("登记调解员")).await.expect("insert");
    assert!(b > a && m > b);
    let got = store.get_dossier(a).await.expect("get").expect("exists");
    assert_eq!(got, StoredDossier { id: a, version: 1, ..rec("dispute", 30, Some(7), None) }, "round trip");
    assert_eq!(store.get_dossier(9_999_999).await.expect("get"), None);

    let mut upd = got.clone();
    upd.status = "mediating".into();
    upd.updated_at = t(3, 10, 0);
    upd.data = "{\"v\":2}".into();
    assert_eq!(store.save_dossier(&upd, &note("调解")).await.expect("update"), a);
    let now = store.get_dossier(a).await.expect("get").expect("exists");
    assert_eq!((now.version, now.status.as_str(), now.data.as_str(), now.updated_at, now.created_at), (2, "mediating", "{\"v\":2}", t(3, 10, 0), t(2, 9, 0)));
    // The same stale version again, and the wrong kind.
    match store.save_dossier(&upd, &note("过期写入")).await {
        Err(StoreError::Conflict { current }) => assert_eq!(current, 2),
        other => panic!("expected a conflict, got {other:?}"),
    }
    let wrong_kind = StoredDossier { kind: "assessment".into(), version: 2, ..upd.clone() };
    assert!(matches!(store.save_dossier(&wrong_kind, &note("x")).await, Err(StoreError::NotFound)));
    let missing = StoredDossier { id: 9_999_999, version: 1, ..upd.clone() };
    assert!(matches!(store.save_dossier(&missing, &note("x")).await, Err(StoreError::NotFound)));
    let history = store.dossier_history(a).await.expect("history");
    assert_eq!(history.iter().map(|n| n.what.as_str()).collect::<Vec<_>>(), ["登记纠纷", "调解"], "refused writes leave no note");
    assert_eq!(history[0].actor, "调解员甲");

    let q = |f: &dyn Fn(&mut DossierQuery)| {
        let mut q = DossierQuery { kind: "dispute".into(), limit: 100, ..Default::default() };
        f(&mut q);
        q
    };
    let ids = |v: Vec<StoredDossier>| v.iter().map(|d| d.id).collect::<Vec<_>>();
    assert_eq!(ids(store.list_dossiers(&q(&|_| {})).await.expect("list")), [b, a], "newest first, one kind");
    assert_eq!(ids(store.list_dossiers(&q(&|q| q.orgs = Some(vec![OrgId(30)]))).await.expect("list")), [a]);
    assert!(store.list_dossiers(&q(&|q| q.orgs = Some(vec![]))).await.expect("list").is_empty());
    assert_eq!(ids(store.list_dossiers(&q(&|q| q.case_id = Some(7))).await.expect("list")), [a]);
    assert_eq!(ids(store.list_dossiers(&q(&|q| q.status = Some("open".into()))).await.expect("list")), [b]);
    assert_eq!(ids(store.list_dossiers(&q(&|q| q.limit = 1)).await.expect("list")), [b]);
    let mediators = DossierQuery { kind: "mediator".into(), parent: Some(a), limit: 10, ..Default::default() };
    assert_eq!(ids(store.list_dossiers(&mediators).await.expect("list")), [m]);
}
