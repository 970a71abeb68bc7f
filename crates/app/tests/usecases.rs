//! Use cases on both backends: demo data, historical import, retention, merging, verification.

use std::collections::BTreeSet;
use std::sync::Arc;

use chrono::{Duration, TimeZone, Utc};
use redress_app::{App, ManualClock};
use redress_domain::{Command, Status};
use redress_store::{CaseQuery, Store};

const PG_ADMIN: &str = "postgres://postgres@127.0.0.1:5432/test";

async fn app(pg: bool) -> (Arc<App>, Arc<ManualClock>) {
    let store: Arc<dyn Store> = if pg {
        let (url, db) = redress_store_postgres::testing::create_test_database(PG_ADMIN)
            .await
            .expect("PostgreSQL at 127.0.0.1:5432 must be reachable");
        Arc::new(redress_store_postgres::PgStore::connect(&url).await.unwrap().drop_database_on_drop(PG_ADMIN, &db))
    } else {
        let path = std::env::temp_dir().join(format!("redress-app-{}-{}.db", std::process::id(), rand::random::<u64>()));
        Arc::new(redress_store_sqlite::SqliteStore::open(&path).unwrap())
    };
    store.migrate().await.unwrap();
    let clock = Arc::new(ManualClock::new(Utc.with_ymd_and_hms(2026, 11, 2, 2, 0, 0).unwrap()));
    (Arc::new(App::with_clock(store, clock.clone())), clock)
}

macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {
        $(
            mod $name {
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn sqlite() { super::$name(false).await }
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn postgres() { super::$name(true).await }
            }
        )*
    };
}

on_both_backends!(
    demo_data_covers_the_states_of_a_case_and_verifies,
    ledger_import_stores_good_rows_whole_and_reports_bad_rows_by_line,
    personal_data_past_retention_is_purged_and_the_chain_still_verifies,
    merging_a_duplicate_links_both_cases,
);

async fn demo_data_covers_the_states_of_a_case_and_verifies(pg: bool) {
    let (app, _) = app(pg).await;
    let logins = app.seed_demo_if_empty(300).await.unwrap().expect("seeded");
    let roles: BTreeSet<&str> = logins.iter().map(|l| l.role).collect();
    assert_eq!(roles.len(), 7, "one account per role: {roles:?}");
    assert!(app.seed_demo_if_empty(300).await.unwrap().is_none(), "seeds only an empty database");
    assert_eq!(app.store.count_cases().await.unwrap(), 300);
    let mut seen = BTreeSet::new();
    for s in Status::ALL {
        let page = app.store.list_cases(&CaseQuery { statuses: vec![*s], limit: 1, ..Default::default() }).await.unwrap();
        if page.total > 0 {
            seen.insert(s.key());
        }
    }
    for s in ["registered", "accepted", "not_accepted", "in_progress", "replied", "closed", "archived", "withdrawn", "merged", "reviewed"] {
        assert!(seen.contains(s), "no demo case is {s}: {seen:?}");
    }
    let not_demo = app.store.list_cases(&CaseQuery { demo: Some(false), limit: 1, ..Default::default() }).await.unwrap();
    assert_eq!(not_demo.total, 0, "every demo case is marked as demo");
    let report = redress_app::verify::verify(app.store.as_ref(), &|_, _, _| {}).await.unwrap();
    assert!(report.ok(), "{report:?}");
    assert_eq!(report.cases, 300);
    assert!(report.events > 1000, "{} events", report.events);
}

fn rows(lines: &[&str]) -> Vec<(usize, Vec<String>)> {
    lines.iter().enumerate().map(|(i, l)| (i + 2, l.split(',').map(str::to_string).collect())).collect()
}

async fn ledger_import_stores_good_rows_whole_and_reports_bad_rows_by_line(pg: bool) {
    let (app, _) = app(pg).await;
    app.seed_demo_if_empty(0).await.unwrap();
    let cfg = app.cfg().await.unwrap();
    let office = cfg.tree.all().find(|o| o.name == "县信访局").unwrap().id;
    let header: Vec<String> = "登记日期,来源,标题,内容,类别,姓名,电话,状态,责任单位,处理意见,答复日期,满意度,办结日期".split(',').map(str::to_string).collect();
    let data = rows(&[
        "2025-03-05,来信,楼道堆放杂物,楼道长期堆放杂物存在消防隐患,城乡建设/物业管理,张三,13800001111,已办结,县住房和城乡建设局,已督促物业清理,2025-03-20,满意,2025-03-25",
        "2025/4/1 10:30,12345热线,路灯不亮,幸福路路灯不亮,,,,办理中,县住房和城乡建设局,,,,",
        "2025-13-01,来信,日期错误,内容,,,,待受理,,,,,",
        "2025-05-01,来信,单位不存在,内容,,,,办理中,不存在的局,,,,",
        "2025-05-02,来访,电话错误,内容,,李四,12ab,待受理,,,,,",
        "2025-05-03,来信,已答复,内容,,,,已答复,县住房和城乡建设局,已答复说明,2025-05-10,,",
    ]);
    let progress_calls = std::sync::atomic::AtomicUsize::new(0);
    let report = app
        .import_rows(&header, data, office, false, &|_, _| {
            progress_calls.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        })
        .await
        .unwrap();
    assert_eq!(report.imported, 3, "{:?}", report.errors);
    let bad: Vec<(usize, &str)> = report.errors.iter().map(|e| (e.line, e.field.as_str())).collect();
    assert_eq!(bad, vec![(4, "registered_at"), (5, "unit"), (6, "petitioner.phone")]);
    assert!(progress_calls.load(std::sync::atomic::Ordering::Relaxed) >= 1);
    let closed = app.store.list_cases(&CaseQuery { statuses: vec![Status::Closed], limit: 10, ..Default::default() }).await.unwrap();
    assert_eq!(closed.total, 1);
    let c = &closed.items[0];
    assert_eq!(c.follow_up.as_ref().unwrap().satisfaction, redress_domain::Satisfaction::Satisfied);
    assert_eq!(redress_domain::local_date(c.registered_at).to_string(), "2025-03-05");
    // Bad rows left nothing behind; the chain covers exactly the good rows.
    assert_eq!(app.store.count_cases().await.unwrap(), 3);
    assert!(redress_app::verify::verify(app.store.as_ref(), &|_, _, _| {}).await.unwrap().ok());
    // A dry run writes nothing.
    let again = app.import_rows(&header, rows(&["2025-03-05,来信,再来一次,内容,,,,待受理,,,,,"]), office, true, &|_, _| {}).await.unwrap();
    assert_eq!(again.imported, 1);
    assert_eq!(app.store.count_cases().await.unwrap(), 3);
}

async fn personal_data_past_retention_is_purged_and_the_chain_still_verifies(pg: bool) {
    let (app, clock) = app(pg).await;
    app.seed_demo_if_empty(0).await.unwrap();
    let cfg = app.cfg().await.unwrap();
    let office = cfg.tree.all().find(|o| o.name == "县信访局").unwrap().id;
    let header: Vec<String> = "登记日期,标题,姓名,电话,状态,责任单位,处理意见,满意度".split(',').map(str::to_string).collect();
    let data = rows(&[
        "2020-01-06,旧事项,赵六,13700002222,已归档,县民政局,已解决,满意",
        "2025-06-01,新事项,钱七,13700003333,已归档,县民政局,已解决,满意",
    ]);
    assert_eq!(app.import_rows(&header, data, office, false, &|_, _| {}).await.unwrap().imported, 2);
    clock.set(Utc.with_ymd_and_hms(2026, 11, 2, 2, 0, 0).unwrap());
    let purged = app.purge_expired_personal_data(5).await.unwrap();
    assert_eq!(purged, 1);
    let all = app.store.list_cases(&CaseQuery { limit: 10, sort: redress_store::CaseSort::RegisteredAsc, ..Default::default() }).await.unwrap();
    let (old, new) = (&all.items[0], &all.items[1]);
    assert!(old.personal_data_purged);
    assert!(app.store.personal_data(old.id).await.unwrap().is_none());
    assert!(app.store.personal_data(new.id).await.unwrap().is_some());
    assert!(redress_app::verify::verify(app.store.as_ref(), &|_, _, _| {}).await.unwrap().ok());
    assert_eq!(app.purge_expired_personal_data(5).await.unwrap(), 0, "purging twice does nothing");
    clock.advance(Duration::days(1));
}

async fn merging_a_duplicate_links_both_cases(pg: bool) {
    let (app, _) = app(pg).await;
    app.seed_demo_if_empty(0).await.unwrap();
    let clerk = app.store.get_user_by_name("clerk").await.unwrap().unwrap();
    let cfg = app.cfg().await.unwrap();
    let p = redress_app::Principal::new(clerk, &cfg.tree, "token");
    let matter = |subject: &str| redress_app::cases::Intake {
        matter: redress_domain::NewCase {
            channel: redress_domain::Channel::Phone,
            matter_type: redress_domain::MatterType::Claim,
            category: None,
            subject: subject.into(),
            content: "路灯不亮".into(),
            location: Default::default(),
            people_count: 1,
            channel_details: Default::default(),
            related: vec![],
            same_matter_as: None,
            intake_org: redress_domain::OrgId(0),
            confidential: false,
            demo: false,
            suggested_categories: vec![],
        },
        petitioner: Default::default(),
    };
    let main = app.register(Some(&p), p.actor(), matter("幸福路路灯不亮")).await.unwrap();
    let dup = app.register(Some(&p), p.actor(), matter("幸福路路灯又不亮")).await.unwrap();
    let merged = app.act(&p, dup.id, Command::Merge { target: main.id, reason: "同一事项".into() }).await.unwrap();
    assert_eq!(merged.status, Status::Merged);
    assert_eq!(merged.merged_into, Some(main.id));
    let main = app.store.get_case(main.id).await.unwrap().unwrap();
    assert!(main.links.contains(&dup.id));
    let again = app.act(&p, dup.id, Command::Merge { target: main.id, reason: String::new() }).await;
    assert!(matches!(again, Err(redress_app::AppError::Domain(redress_domain::DomainError::IllegalTransition { .. }))));
}
