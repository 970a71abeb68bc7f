//! PostgreSQL-specific behaviour: group commit, several instances on one database, error
//! mapping, recovery after the server drops connections.

mod common;

use std::collections::HashSet;
use std::sync::Arc;

use common::*;
use redress_domain::{Case, CaseId, OrgId, Status, UserId};
use redress_store::{event_hash, CaseQuery, Store, StoreError, User, GENESIS_HASH};
use redress_store_postgres::{testing, PgOptions, PgStore};

/// Reads the whole log and checks it is one chain: seqs 1..=n, each hash over the previous.
async fn assert_one_chain(store: &dyn Store) -> usize {
    let mut prev = GENESIS_HASH.to_string();
    let mut expected_seq = 1;
    loop {
        let page = store.events_after(expected_seq - 1, 1000).await.unwrap();
        if page.is_empty() {
            break;
        }
        for e in page {
            assert_eq!(e.seq, expected_seq, "seqs must be contiguous");
            assert_eq!(e.prev_hash, prev, "seq {} does not link to its predecessor", e.seq);
            assert_eq!(e.hash, event_hash(&prev, e.seq, e.case_id, e.case_version, &e.payload), "seq {}", e.seq);
            prev = e.hash.clone();
            expected_seq += 1;
        }
    }
    let head = store.chain_head().await.unwrap();
    assert_eq!(head, (expected_seq - 1, prev));
    (expected_seq - 1) as usize
}

fn dbname_of(store: &PgStore) -> String {
    store.database_name().expect("dbname").to_string()
}

fn url_of(store: &PgStore) -> String {
    testing::url_with_database(&admin_url(), &dbname_of(store))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn create_read_append_round_trip() {
    let store = fresh_pg().await;
    let (case, events) = store.create_case(new_case("小区电梯长期故障")).await.unwrap();
    assert!(case.id.0 > 0);
    assert_eq!(events.len(), 1);
    assert_eq!((events[0].seq, events[0].case_version, events[0].kind.as_str()), (1, 1, "registered"));
    assert_eq!(store.get_case(case.id).await.unwrap().as_ref(), Some(&case));
    assert_eq!(store.get_case_by_code(&case.tracking_code).await.unwrap().as_ref(), Some(&case));
    assert_eq!(store.case_events(case.id).await.unwrap(), events);
    let personal = store.personal_data(case.id).await.unwrap().expect("personal data");
    assert_eq!(personal.petitioner.name.as_deref(), Some("张三"));

    let w = note(&case, "第一次备注");
    let next = w.case.clone();
    let appended = store.append(w).await.unwrap();
    assert_eq!((appended[0].seq, appended[0].case_version, appended[0].kind.as_str()), (2, 2, "noted"));
    assert_eq!(store.get_case(case.id).await.unwrap().unwrap().version, 2);

    // The same stale write again: a conflict naming the current version.
    let err = store.append(note(&case, "过时的备注")).await.unwrap_err();
    assert_eq!(err, StoreError::Conflict { current: 2 });
    // Unknown case.
    let mut ghost = note(&next, "不存在");
    ghost.case.id = CaseId(999_999);
    assert_eq!(store.append(ghost).await.unwrap_err(), StoreError::NotFound);

    // Purging personal data in the same transaction as an event.
    let mut purge = note(&next, "清除个人信息");
    purge.purge_personal = true;
    store.append(purge).await.unwrap();
    assert!(store.personal_data(case.id).await.unwrap().is_none());
    assert_eq!(assert_one_chain(&store).await, 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_share_one_chain() {
    let a = Arc::new(fresh_pg().await);
    // The second instance overlaps its batches' flushes (the first commits strictly one after
    // another, the default): both modes must share the chain.
    let overlapping = PgOptions { in_flight: 2, overlap_commits: true, min_overlap_batch: 4, ..PgOptions::default() };
    let b = Arc::new(PgStore::connect_with(&url_of(&a), overlapping).await.unwrap());
    b.migrate().await.unwrap();
    const PER_INSTANCE: usize = 300;

    // Concurrent creates from both instances.
    let mut tasks = Vec::new();
    for (i, store) in [a.clone(), b.clone()].into_iter().enumerate() {
        for j in 0..PER_INSTANCE {
            let store = store.clone();
            tasks.push(tokio::spawn(async move { store.create_case(new_case(&format!("实例{i}事项{j}"))).await }));
        }
    }
    let mut cases: Vec<Case> = Vec::new();
    for t in tasks {
        cases.push(t.await.unwrap().expect("create").0);
    }
    let ids: HashSet<CaseId> = cases.iter().map(|c| c.id).collect();
    assert_eq!(ids.len(), 2 * PER_INSTANCE, "ids are unique");

    // Concurrent appends: each case once from each instance, with the same expected
    // version, so exactly one of the two wins.
    let mut tasks = Vec::new();
    for c in &cases {
        for store in [a.clone(), b.clone()] {
            let w = note(c, "并发备注");
            tasks.push(tokio::spawn(async move { store.append(w).await }));
        }
    }
    let (mut ok, mut conflicts) = (0, 0);
    for t in tasks {
        match t.await.unwrap() {
            Ok(_) => ok += 1,
            Err(StoreError::Conflict { current: 2 }) => conflicts += 1,
            Err(e) => panic!("unexpected {e:?}"),
        }
    }
    assert_eq!((ok, conflicts), (2 * PER_INSTANCE, 2 * PER_INSTANCE));

    assert_eq!(a.count_cases().await.unwrap(), (2 * PER_INSTANCE) as i64);
    assert_eq!(assert_one_chain(&*a).await, 4 * PER_INSTANCE);
    for c in &cases {
        let stored = b.get_case(c.id).await.unwrap().expect("present");
        assert_eq!(stored.version, 2);
        let events = a.case_events(c.id).await.unwrap();
        assert_eq!(events.iter().map(|e| e.case_version).collect::<Vec<_>>(), vec![1, 2]);
    }
    let (sa, sb) = (a.writer_stats(), b.writer_stats());
    eprintln!("writers: {sa:?} {sb:?}");
    assert!(sa.largest_batch > 1 || sb.largest_batch > 1, "group commit batched nothing: {sa:?} {sb:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_conflict_in_a_batch_fails_only_that_request() {
    let store = Arc::new(fresh_pg().await);
    let (target, _) = store.create_case(new_case("争抢的事项")).await.unwrap();
    let before = store.writer_stats();
    // Many writes at once so they share batches: 40 appends to one case with the same
    // expected version, interleaved with 40 creates.
    let mut tasks = Vec::new();
    for i in 0..40 {
        let s = store.clone();
        let w = note(&target, &format!("备注{i}"));
        tasks.push(tokio::spawn(async move { s.append(w).await.map(|_| ()) }));
        let s = store.clone();
        tasks.push(tokio::spawn(async move { s.create_case(new_case(&format!("新事项{i}"))).await.map(|_| ()) }));
    }
    let results: Vec<_> = futures_join(tasks).await;
    let appends: Vec<_> = results.iter().step_by(2).collect();
    let creates: Vec<_> = results.iter().skip(1).step_by(2).collect();
    assert_eq!(appends.iter().filter(|r| r.is_ok()).count(), 1);
    assert!(appends.iter().filter(|r| r.is_err()).all(|r| **r == Err(StoreError::Conflict { current: 2 })));
    assert!(creates.iter().all(|r| r.is_ok()), "{creates:?}");
    let after = store.writer_stats();
    assert!(after.largest_batch > 1, "nothing was batched: {after:?}");
    assert_eq!(after.fallbacks, before.fallbacks, "conflicts are decided in memory, without a rollback");
    assert_eq!(store.count_cases().await.unwrap(), 41);
    assert_eq!(assert_one_chain(&*store).await, 1 + 1 + 40);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_duplicate_tracking_code_in_a_batch_fails_only_that_request() {
    let store = Arc::new(fresh_pg().await);
    let taken = random_code();
    store.create_case(new_case_with_code("已有的事项", taken.clone())).await.unwrap();
    let twin = random_code();
    let mut tasks = Vec::new();
    for i in 0..60 {
        let s = store.clone();
        let code = match i {
            17 => taken.clone(),
            30 | 31 => twin.clone(),
            _ => random_code(),
        };
        tasks.push(tokio::spawn(async move { s.create_case(new_case_with_code(&format!("事项{i}"), code)).await }));
    }
    let results = futures_join(tasks).await;
    eprintln!("writer: {:?}", store.writer_stats());
    let dup = StoreError::Duplicate { field: "tracking_code".into() };
    assert_eq!(results[17].as_ref().unwrap_err(), &dup);
    let twins: Vec<_> = results[30..32].iter().collect();
    assert_eq!(twins.iter().filter(|r| r.is_ok()).count(), 1, "one of two equal codes wins");
    assert_eq!(twins.iter().filter(|r| r.as_ref().err() == Some(&dup)).count(), 1);
    let ok = results.iter().filter(|r| r.is_ok()).count();
    assert_eq!(ok, 58);
    assert_eq!(store.count_cases().await.unwrap(), 59);
    assert_eq!(assert_one_chain(&*store).await, 59);
    // Every successful create is readable under its code.
    for r in results.iter().flatten() {
        assert_eq!(store.get_case_by_code(&r.0.tracking_code).await.unwrap().unwrap().id, r.0.id);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn case_orgs_follow_derived_orgs() {
    let store = fresh_pg().await;
    let (case, _) = store.create_case(new_case("可见范围")).await.unwrap();
    let visible = |orgs: Vec<i64>| CaseQuery { visible_to: Some(orgs.into_iter().map(OrgId).collect()), ..Default::default() };
    assert_eq!(store.list_cases(&visible(vec![1])).await.unwrap().total, 1);
    assert_eq!(store.list_cases(&visible(vec![7])).await.unwrap().total, 0);
    let mut w = note(&case, "转办");
    w.derived.orgs = vec![OrgId(7), OrgId(8), OrgId(7)];
    store.append(w).await.unwrap();
    assert_eq!(store.list_cases(&visible(vec![1])).await.unwrap().total, 0);
    assert_eq!(store.list_cases(&visible(vec![7])).await.unwrap().total, 1);
    assert_eq!(store.list_cases(&visible(vec![8, 9])).await.unwrap().total, 1);
    assert_eq!(store.list_cases(&visible(vec![])).await.unwrap().total, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn list_filters_escape_like_and_match_codes_as_typed() {
    let store = fresh_pg().await;
    let (a, _) = store.create_case(new_case("100%_满意度")).await.unwrap();
    store.create_case(new_case("100元补贴")).await.unwrap();
    let q = |t: &str| CaseQuery { text: Some(t.into()), ..Default::default() };
    let page = store.list_cases(&q("100%_")).await.unwrap();
    assert_eq!((page.total, page.items[0].id), (1, a.id));
    assert_eq!(store.list_cases(&q("100")).await.unwrap().total, 2);
    let typed = a.tracking_code.display().to_lowercase();
    assert_eq!(store.list_cases(&q(&typed[..9])).await.unwrap().items[0].id, a.id);
    let st = CaseQuery { statuses: vec![Status::Registered], category: Some("01".into()), ..Default::default() };
    assert_eq!(store.list_cases(&st).await.unwrap().total, 2);
    let st = CaseQuery { category: Some("01.0".into()), ..Default::default() };
    assert_eq!(store.list_cases(&st).await.unwrap().total, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_migrations_take_turns() {
    let admin = admin_url();
    let (url, name) = testing::create_test_database(&admin).await.expect("PostgreSQL reachable");
    let a = PgStore::connect(&url).await.unwrap().drop_database_on_drop(&admin, &name);
    let b = PgStore::connect(&url).await.unwrap();
    let c = PgStore::connect(&url).await.unwrap();
    let (ra, rb, rc) = tokio::join!(a.migrate(), b.migrate(), c.migrate());
    ra.unwrap();
    rb.unwrap();
    rc.unwrap();
    assert_eq!(a.chain_head().await.unwrap(), (0, GENESIS_HASH.to_string()));
    drop((b, c));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn duplicate_username_is_reported_by_field() {
    let store = fresh_pg().await;
    let user = User {
        id: UserId(0),
        username: "zhangsan".into(),
        display_name: "张三".into(),
        org_id: OrgId(1),
        roles: vec![redress_domain::Role::IntakeClerk],
        password_hash: "$argon2id$x".into(),
        disabled: false,
        created_at: now(),
    };
    let id = store.save_user(&user).await.unwrap();
    let err = store.save_user(&user).await.unwrap_err();
    assert_eq!(err, StoreError::Duplicate { field: "username".into() });
    // Explicit ids keep the sequence ahead of them.
    store.save_user(&User { id: UserId(id.0 + 10), username: "lisi".into(), ..user.clone() }).await.unwrap();
    let next = store.save_user(&User { username: "wangwu".into(), ..user.clone() }).await.unwrap();
    assert!(next.0 > id.0 + 10);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn recovers_after_the_server_drops_its_connections() {
    let store = Arc::new(fresh_pg().await);
    let (case, _) = store.create_case(new_case("重启之前")).await.unwrap();
    // Warm several pooled connections.
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let s = store.clone();
        tasks.push(tokio::spawn(async move { s.count_cases().await }));
    }
    futures_join(tasks).await;

    // What a restart (or an operator) does to every session: 57P01 admin_shutdown.
    let admin = tokio_postgres::connect(&admin_url(), tokio_postgres::NoTls).await.unwrap();
    tokio::spawn(admin.1);
    let killed = admin
        .0
        .query(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()",
            &[&dbname_of(&store)],
        )
        .await
        .unwrap();
    assert!(!killed.is_empty());
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;

    // Reads and writes work again without any help; a request that raced the kill may see
    // Unavailable (which the HTTP layer turns into 503 + Retry-After), never anything else.
    for round in 0..3 {
        let r = store.get_case(case.id).await;
        match r {
            Ok(c) => {
                assert_eq!(c.unwrap().id, case.id);
                break;
            }
            Err(StoreError::Unavailable(e)) if round < 2 => {
                eprintln!("read round {round}: unavailable: {e}");
                continue;
            }
            Err(e) => panic!("read after termination: {e:?}"),
        }
    }
    let mut created = None;
    for round in 0..3 {
        match store.create_case(new_case("重启之后")).await {
            Ok(c) => {
                created = Some(c);
                break;
            }
            Err(StoreError::Unavailable(e)) if round < 2 => {
                eprintln!("write round {round}: unavailable: {e}");
                continue;
            }
            Err(e) => panic!("write after termination: {e:?}"),
        }
    }
    assert!(created.is_some());
    assert_eq!(assert_one_chain(&*store).await, 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unreachable_server_is_unavailable() {
    // Nothing listens on port 1.
    let err = PgStore::connect("postgres://postgres@127.0.0.1:1/none").await.err().expect("no server");
    assert!(matches!(err, StoreError::Unavailable(_)), "{err:?}");
}

async fn futures_join<T: Send + 'static>(tasks: Vec<tokio::task::JoinHandle<T>>) -> Vec<T> {
    let mut out = Vec::with_capacity(tasks.len());
    for t in tasks {
        out.push(t.await.expect("task"));
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_database_at_an_older_migration_is_upgraded() {
    let admin = admin_url();
    let (url, name) = testing::create_test_database(&admin).await.expect("PostgreSQL reachable");
    {
        // The schema as the first release left it.
        let (client, conn) = tokio_postgres::connect(&url, tokio_postgres::NoTls).await.unwrap();
        tokio::spawn(conn);
        client.batch_execute(include_str!("../migrations/0001_init.sql")).await.unwrap();
        client
            .batch_execute(
                "CREATE TABLE schema_migrations (version INT PRIMARY KEY, name TEXT NOT NULL, \
                 applied_at TIMESTAMPTZ NOT NULL DEFAULT now()); \
                 INSERT INTO schema_migrations (version, name) VALUES (1, '0001_init')",
            )
            .await
            .unwrap();
    }
    let store = PgStore::connect(&url).await.unwrap().drop_database_on_drop(&admin, &name);
    store.migrate().await.expect("upgrade");
    store.migrate().await.expect("idempotent");
    let (case, _) = store.create_case(new_case("升级之后")).await.expect("writes work after the upgrade");
    store.append(note(&case, "备注")).await.unwrap();
    assert_eq!(assert_one_chain(&store).await, 2);
}
