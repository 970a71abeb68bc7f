//! Shared by the PostgreSQL integration tests: a throw-away database per test, and builders
//! for cases and writes.
#![allow(dead_code)]

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use chrono::{DateTime, SubsecRound, Utc};
use redress_domain::case::*;
use redress_domain::event::{Actor, Event, EventKind};
use redress_domain::*;
use redress_store::{AppendWrite, Derived, NewCaseWrite, Store};
use redress_store_postgres::{testing, PgOptions, PgStore};
use tokio::sync::OnceCell;

pub const DEFAULT_ADMIN_URL: &str = "postgres://postgres@127.0.0.1:5432/test";

/// `REDRESS_TEST_PG_URL`, or the local default. Any database the user may `CREATE DATABASE` from.
pub fn admin_url() -> String {
    std::env::var("REDRESS_TEST_PG_URL").unwrap_or_else(|_| DEFAULT_ADMIN_URL.to_string())
}

static CLEANUP: OnceCell<()> = OnceCell::const_new();

/// A fresh, migrated store on its own database, dropped with the store. PostgreSQL being
/// unreachable fails the test (in CI and everywhere else): these tests never skip.
pub async fn fresh_pg() -> PgStore {
    fresh_pg_with(PgOptions::default()).await
}

/// [`fresh_pg`] with writer options.
pub async fn fresh_pg_with(opts: PgOptions) -> PgStore {
    let admin = admin_url();
    CLEANUP
        .get_or_init(|| async {
            // Leftovers of killed runs.
            let _ = testing::cleanup_stale_test_databases(&admin_url(), 3600).await;
        })
        .await;
    let (url, name) = testing::create_test_database(&admin).await.unwrap_or_else(|e| {
        panic!(
            "PostgreSQL is not reachable at {admin} ({e}); start it or set REDRESS_TEST_PG_URL{}",
            if std::env::var("CI").as_deref() == Ok("true") { " (CI=true: PostgreSQL tests must not be skipped)" } else { "" }
        )
    });
    let store =
        PgStore::connect_with(&url, opts).await.expect("connect to test database").drop_database_on_drop(&admin, &name);
    store.migrate().await.expect("migrate");
    store
}

pub async fn fresh_store() -> Arc<dyn Store> {
    Arc::new(fresh_pg().await)
}

/// A second store (own pool, own writer) on the same database as `url`.
pub async fn second_store(url: &str) -> PgStore {
    let s = PgStore::connect(url).await.expect("connect second store");
    s.migrate().await.expect("migrate second store");
    s
}

static SEED: AtomicU64 = AtomicU64::new(1);

pub fn random_code() -> TrackingCode {
    use std::collections::hash_map::RandomState;
    use std::hash::{BuildHasher, Hasher};
    let mut h = RandomState::new().build_hasher();
    h.write_u64(SEED.fetch_add(1, Ordering::Relaxed));
    let a = h.finish();
    h.write_u64(a);
    let b = h.finish();
    let mut bytes = [0u8; 16];
    bytes[..8].copy_from_slice(&a.to_le_bytes());
    bytes[8..].copy_from_slice(&b.to_le_bytes());
    TrackingCode::from_random(bytes)
}

pub fn now() -> DateTime<Utc> {
    Utc::now().trunc_subsecs(6)
}

pub fn clerk() -> Actor {
    Actor::User { id: UserId(1), name: "登记员".into() }
}

pub fn matter(subject: &str) -> NewCase {
    NewCase {
        channel: Channel::Letter,
        matter_type: MatterType::Claim,
        category: Some("01.02".into()),
        subject: subject.into(),
        content: "电梯停运三个月，物业不予维修。".into(),
        location: Location { address: "城关镇幸福路8号".into(), ..Default::default() },
        people_count: 1,
        channel_details: ChannelDetails::default(),
        related: vec![],
        same_matter_as: None,
        intake_org: OrgId(1),
        confidential: false,
        demo: false,
        suggested_categories: vec![],
    }
}

pub fn new_case_with_code(subject: &str, code: TrackingCode) -> NewCaseWrite {
    let (case, event) = Case::register(matter(subject), code, None, true, clerk(), now()).unwrap();
    NewCaseWrite {
        case,
        events: vec![event],
        derived: Derived { due_at: None, orgs: vec![OrgId(1)], facts: None },
        personal: Some(Petitioner { name: Some("张三".into()), phone: Some("13812345678".into()), ..Default::default() }),
    }
}

pub fn new_case(subject: &str) -> NewCaseWrite {
    new_case_with_code(subject, random_code())
}

/// A note appended to `case` (which must be the stored state).
pub fn note(case: &Case, text: &str) -> AppendWrite {
    let event = Event { at: now(), actor: clerk(), kind: EventKind::Noted { text: text.into() } };
    let mut next = case.clone();
    next.apply(&event);
    AppendWrite {
        expected_version: case.version,
        case: next,
        events: vec![event],
        derived: Derived { due_at: None, orgs: vec![OrgId(1)], facts: None },
        purge_personal: false,
    }
}
