//! The conformance suite: every `Store` implementation must pass all of it.
//!
//! Each check is an `async fn(Arc<dyn Store>)` run on a fresh, migrated, empty store; a
//! backend crate instantiates them all with [`conformance_tests!`], giving one named test
//! per check. Fixture helpers come first; they build cases through the domain
//! (`Case::register`, `decide`, `apply`), as the application does.
//!
//! Timestamps carry at most microseconds, the precision both backends keep.

use std::sync::{Arc, OnceLock};

use chrono::{DateTime, Duration, TimeZone, Utc};

use redress_domain::event::{Event, EventKind};
use redress_domain::transition::Ctx;
use redress_domain::{
    Actor, Calendar, Case, CaseId, Channel, ChannelDetails, Command, DeadlineRules, Location, MatterType, NewCase,
    Org, OrgId, OrgKind, Petitioner, Role, RoutingMode, Status, TrackingCode, UserId,
};

use crate::{
    event_hash, AccessRecord, ApiToken, AppendWrite, CaseQuery, CaseSort, Derived, NewCaseWrite, Session, Store,
    StoreError, StoredEvent, User, GENESIS_HASH,
};

/// Expands to one `#[tokio::test]` per conformance check. `$make` is an async expression
/// (an `async { ... }` block) yielding a fresh, migrated `Arc<dyn Store>`.
#[macro_export]
macro_rules! conformance_tests {
    ($make:expr) => {
        $crate::conformance_tests!(@each $make;
            migrate_is_idempotent,
            create_case_round_trips_by_id_and_code,
            missing_case_reads_as_none,
            case_ids_increase,
            create_case_with_history_stores_every_event,
            create_case_with_inconsistent_version_writes_nothing,
            duplicate_tracking_code_writes_nothing,
            append_stores_contiguous_events_and_chain_verifies,
            stale_append_conflicts_and_writes_nothing,
            append_with_wrong_version_arithmetic_writes_nothing,
            append_to_missing_case_is_not_found,
            concurrent_creates_get_unique_ids_and_contiguous_chain,
            concurrent_appends_at_same_version_have_one_winner,
            concurrent_appends_to_different_cases_all_succeed,
            events_after_pages_in_chain_order,
            events_in_case_range_orders_by_case_then_seq,
            cases_in_range_and_max_case_id,
            counts_by_status_and_satisfaction,
            list_cases_supervised_finds_open_cases_under_supervision,
            list_cases_skip_total_returns_the_page_without_counting,
            list_cases_visible_to_uses_case_orgs,
            list_cases_filters_status_unit_channel_demo,
            list_cases_category_matches_code_and_subcodes,
            list_cases_registered_range_and_due_before,
            list_cases_text_matches_subject_or_code_literally,
            list_cases_sorts,
            list_cases_pages_with_total,
            append_rewrites_listing_columns_and_orgs,
            personal_data_is_stored_and_purged_with_chain_intact,
            access_log_records_and_filters_by_case,
            orgs_save_update_list,
            users_save_get_update_and_reject_duplicate_names,
            sessions_save_get_delete_purge,
            api_tokens_save_get_list_revoke,
            settings_put_get_overwrite,
            blobs_put_get,
            leases_hold_expire_and_renew,
            job_run_slots_are_claimed_once_and_taken_over,
            concurrent_lease_takers_have_one_winner,
            reminders_are_recorded_once_per_case_kind_and_deadline,
            rate_windows_count_across_callers_and_purge,
            control_characters_in_case_text_round_trip,
            concurrent_creates_with_one_code_have_one_winner,
            fact_rollup_follows_case_writes_and_filters,
            fact_dims_within_towns_and_units_match_the_full_rollup,
            overdue_groups_count_open_cases_past_their_deadline,
            warnings_save_list_and_one_live_per_rule_and_key,
            // Routine duties (零报告, 矛盾纠纷排查), issue 6.
            nil_reports_append_and_filter_by_unit_and_period,
            duty_reminders_are_recorded_once_per_unit_kind_and_period,
            campaigns_and_returns_are_versioned_with_history,
            // Mediation and risk-assessment records, issue 7.
            dossiers_are_versioned_filtered_and_noted,
        );
    };
    (@each $make:expr; $($name:ident),* $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() {
                let store: std::sync::Arc<dyn $crate::Store> = $make.await;
                $crate::conformance::$name(store).await;
            }
        )*
    };
}

// ===================================================================== fixtures

/// An instant in March 2024 (UTC), whole seconds.
pub fn t(day: u32, hour: u32, min: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2024, 3, day, hour, min, 0).single().expect("valid fixture time")
}

/// A distinct, valid tracking code per `n`, the same on every run.
pub fn code(n: u64) -> TrackingCode {
    // Multiplying by an odd constant is a bijection on u128, and spreads small n over all digits.
    let x = u128::from(n + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15_F39C_C060_5CED_C835);
    TrackingCode::from_random(x.to_le_bytes())
}

pub fn clerk() -> Actor {
    Actor::User { id: UserId(7), name: "登记员甲".into() }
}

pub fn rules() -> &'static DeadlineRules {
    static RULES: OnceLock<DeadlineRules> = OnceLock::new();
    RULES.get_or_init(DeadlineRules::default)
}

pub fn calendar() -> &'static Calendar {
    static CALENDAR: OnceLock<Calendar> = OnceLock::new();
    CALENDAR.get_or_init(Calendar::china_default)
}

/// A plain letter about a local matter, registered by organisation `intake`.
pub fn matter(subject: &str, intake: i64) -> NewCase {
    NewCase {
        channel: Channel::Letter,
        matter_type: MatterType::Claim,
        category: Some("03.02".into()),
        subject: subject.into(),
        content: format!("{subject}，请有关部门尽快处理。"),
        location: Location::default(),
        people_count: 1,
        channel_details: ChannelDetails::default(),
        related: vec![],
        same_matter_as: None,
        intake_org: OrgId(intake),
        confidential: false,
        demo: false,
        suggested_categories: vec![],
    }
}

/// A matter using every optional field, to check that a case round-trips exactly.
pub fn rich_matter() -> NewCase {
    NewCase {
        channel: Channel::HigherTransfer,
        matter_type: MatterType::Accusation,
        category: Some("07.01".into()),
        subject: "反映某小区物业违规收费问题".into(),
        content: "多名业主反映：物业公司自2023年起加收“二次供水费”，未经业主大会同意。\n附：缴费凭证。".into(),
        location: Location {
            address: "示范县城关镇人民路88号".into(),
            division_code: Some("430121101".into()),
            lat: Some(28.228_125),
            lng: Some(112.938_5),
            org: Some(OrgId(12)),
        },
        people_count: 3,
        channel_details: ChannelDetails {
            transfer_office: Some("市信访局".into()),
            transfer_ref: Some("市信转〔2024〕15号".into()),
            representatives: Some(2),
            reception_leader: Some(UserId(3)),
            external_ref: Some("12345-0001".into()),
        },
        related: vec![CaseId(41)],
        same_matter_as: None,
        intake_org: OrgId(10),
        confidential: true,
        demo: false,
        suggested_categories: vec![],
    }
}

/// The organisations that may see a case, as the application derives them.
pub fn case_orgs(case: &Case) -> Vec<OrgId> {
    let mut orgs = vec![case.matter.intake_org];
    orgs.extend(case.unit);
    orgs.extend(case.co_units.iter().copied());
    orgs.extend(case.matter.location.org);
    orgs.sort();
    orgs.dedup();
    orgs
}

pub fn derived(case: &Case) -> Derived {
    let due_at = case.staff_deadline(rules(), calendar()).map(|d| d.due_at);
    // The fixtures' place stands for its town.
    let facts = crate::CaseFacts::of(case, case.matter.location.org, due_at, rules(), calendar());
    Derived { due_at, orgs: case_orgs(case), facts: Some(facts) }
}

/// The write that registers `matter` at `at` under tracking code `code(n)`.
pub fn registration(n: u64, matter: NewCase, at: DateTime<Utc>) -> NewCaseWrite {
    let (case, event) = Case::register(matter, code(n), None, true, clerk(), at).expect("valid fixture matter");
    NewCaseWrite { derived: derived(&case), case, events: vec![event], personal: None }
}

/// Registers a plain case numbered `n` (code and subject) and returns it as stored.
pub async fn create(store: &dyn Store, n: u64) -> Case {
    let w = registration(n, matter(&format!("第{n}号测试事项"), 10), t(1, 1, 0) + Duration::minutes(n as i64));
    store.create_case(w).await.expect("create_case").0
}

/// Applies `cmds` to `case` as the domain would, one second apart from `at`.
pub fn run(case: &Case, cmds: &[Command], at: DateTime<Utc>) -> (Case, Vec<Event>) {
    let mut case = case.clone();
    let mut events = Vec::new();
    for (i, cmd) in cmds.iter().enumerate() {
        let now = at + Duration::seconds(i as i64);
        let ctx = Ctx { now, rules: rules(), calendar: calendar(), same_matter_final: false, appeal_body: None };
        let kind = case.decide(cmd, &ctx).expect("command allowed by fixture");
        let event = Event { at: now, actor: clerk(), kind };
        case.apply(&event);
        events.push(event);
    }
    (case, events)
}

/// The append that runs `cmds` on the stored state `case`.
pub fn append_write(case: &Case, cmds: &[Command], at: DateTime<Utc>) -> AppendWrite {
    let (next, events) = run(case, cmds, at);
    AppendWrite { derived: derived(&next), expected_version: case.version, case: next, events, purge_personal: false }
}

pub fn accept() -> Command {
    Command::Accept { note: "符合受理条件".into() }
}

pub fn route(unit: i64) -> Command {
    Command::Route { unit: OrgId(unit), co_units: vec![], mode: RoutingMode::Assign, note: "请按期办理".into(), assign_days: None }
}

pub fn note(text: &str) -> Command {
    Command::AddNote { text: text.into() }
}

/// Walks the whole chain from genesis with `events_after`, recomputing every hash, and
/// checks the head; returns the events.
pub async fn verify_chain(store: &dyn Store) -> Vec<StoredEvent> {
    let mut all: Vec<StoredEvent> = Vec::new();
    let mut prev = GENESIS_HASH.to_string();
    loop {
        let page = store.events_after(all.len() as i64, 7).await.expect("events_after");
        if page.is_empty() {
            break;
        }
        for e in page {
            assert_eq!(e.seq, all.len() as i64 + 1, "seq must be contiguous");
            assert_eq!(e.prev_hash, prev, "prev_hash of seq {}", e.seq);
            assert_eq!(e.hash, event_hash(&prev, e.seq, e.case_id, e.case_version, &e.payload), "hash of seq {}", e.seq);
            let event = e.event().expect("payload is an Event");
            assert_eq!(e.kind, event.kind.type_key());
            prev = e.hash.clone();
            all.push(e);
        }
    }
    assert_eq!(store.chain_head().await.expect("chain_head"), (all.len() as i64, prev), "head matches the last event");
    all
}

/// Everything a failed write must leave untouched.
#[derive(Debug, PartialEq)]
pub struct Snapshot {
    pub count: i64,
    pub max_id: CaseId,
    pub head: (i64, String),
    pub cases: Vec<Case>,
    pub events: Vec<StoredEvent>,
}

pub async fn snapshot(store: &dyn Store) -> Snapshot {
    Snapshot {
        count: store.count_cases().await.unwrap(),
        max_id: store.max_case_id().await.unwrap(),
        head: store.chain_head().await.unwrap(),
        cases: store.cases_in_range(CaseId(0), CaseId(i64::MAX)).await.unwrap(),
        events: store.events_after(0, 10_000).await.unwrap(),
    }
}

/// The five cases the listing checks query (see [`seed_list`]).
pub struct Seeded {
    pub c: [Case; 5],
}

impl Seeded {
    pub fn ids(&self, which: &[usize]) -> Vec<CaseId> {
        which.iter().map(|&i| self.c[i - 1].id).collect()
    }
}

async fn seed_one(store: &dyn Store, n: u64, m: NewCase, at: DateTime<Utc>, due: Option<DateTime<Utc>>) -> Case {
    let mut w = registration(n, m, at);
    w.derived.due_at = due;
    store.create_case(w).await.expect("seed create").0
}

async fn seed_append(store: &dyn Store, case: &Case, cmds: &[Command], at: DateTime<Utc>, due: Option<DateTime<Utc>>) -> Case {
    let mut w = append_write(case, cmds, at);
    w.derived.due_at = due;
    let next = w.case.clone();
    store.append(w).await.expect("seed append");
    next
}

/// Five cases with distinct channels, categories, organisations, times and deadlines:
///
/// | # | channel | category | subject            | orgs   | registered | due        | status        |
/// |---|---------|----------|--------------------|--------|------------|------------|---------------|
/// | 1 | letter  | 03.02    | 道路积水严重        | 10     | 03-01      | 04-10      | registered    |
/// | 2 | phone   | 03       | 建议增设公交站      | 10, 20 | 03-02      | 03-20      | routed (unit 20), updated 03-10 |
/// | 3 | online  | 05.01    | 社保咨询 (demo)     | 11     | 03-03      | none       | not_accepted, updated 03-06 |
/// | 4 | hotline | 030      | 夜间噪音扰民        | 11     | 03-04      | 03-24      | registered    |
/// | 5 | letter  | none     | 物业费多收100%_问题 | 12     | 03-05      | 05-01      | registered    |
pub async fn seed_list(store: &dyn Store) -> Seeded {
    let due = |m: u32, d: u32| Some(Utc.with_ymd_and_hms(2024, m, d, 16, 0, 0).unwrap());
    let c1 = seed_one(store, 101, matter("道路积水严重", 10), t(1, 1, 0), due(4, 10)).await;

    let mut m2 = matter("建议增设公交站", 10);
    (m2.channel, m2.matter_type, m2.category) = (Channel::Phone, MatterType::Suggestion, Some("03".into()));
    let c2 = seed_one(store, 102, m2, t(2, 1, 0), due(3, 17)).await;
    let c2 = seed_append(store, &c2, &[accept(), route(20)], t(10, 2, 0), due(3, 20)).await;

    let mut m3 = matter("社保咨询", 11);
    (m3.channel, m3.matter_type, m3.category, m3.demo) =
        (Channel::Online, MatterType::Consultation, Some("05.01".into()), true);
    let c3 = seed_one(store, 103, m3, t(3, 1, 0), due(3, 18)).await;
    let not_accept = Command::NotAccept { reason: "不属于信访事项".into() };
    let c3 = seed_append(store, &c3, &[not_accept], t(6, 2, 0), None).await;

    let mut m4 = matter("夜间噪音扰民", 11);
    (m4.channel, m4.category) = (Channel::Hotline, Some("030".into()));
    let c4 = seed_one(store, 104, m4, t(4, 1, 0), due(3, 24)).await;

    let mut m5 = matter("物业费多收100%_问题", 12);
    m5.category = None;
    let c5 = seed_one(store, 105, m5, t(5, 1, 0), due(5, 1)).await;
    Seeded { c: [c1, c2, c3, c4, c5] }
}

/// Ids of the matching cases, checking that an unpaged result's total is its length.
pub async fn list_ids(store: &dyn Store, q: CaseQuery) -> Vec<CaseId> {
    let page = store.list_cases(&q).await.expect("list_cases");
    assert_eq!(page.total, page.items.len() as i64, "total of {q:?}");
    page.items.iter().map(|c| c.id).collect()
}

fn sorted(mut ids: Vec<CaseId>) -> Vec<CaseId> {
    ids.sort();
    ids
}

pub fn user(name: &str, org: OrgId) -> User {
    User {
        id: UserId(0),
        username: name.into(),
        display_name: format!("{name}（测试）"),
        org_id: org,
        roles: vec![Role::IntakeClerk, Role::Admin],
        password_hash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA".into(),
        disabled: false,
        created_at: t(1, 0, 0) + Duration::microseconds(250_001),
    }
}

pub async fn save_org(store: &dyn Store, parent: Option<OrgId>, name: &str, kind: OrgKind) -> OrgId {
    let org = Org { id: OrgId(0), parent, name: name.into(), kind, division_code: None };
    store.save_org(&org).await.expect("save_org")
}

/// A user (and the organisation it belongs to) for checks that need one.
pub async fn some_user(store: &dyn Store, name: &str) -> User {
    let org = save_org(store, None, "示范县", OrgKind::County).await;
    let mut u = user(name, org);
    u.id = store.save_user(&u).await.expect("save_user");
    u
}

// ===================================================================== cases and the log

pub async fn migrate_is_idempotent(store: Arc<dyn Store>) {
    store.migrate().await.expect("second migrate");
    store.migrate().await.expect("third migrate");
    assert_eq!(store.count_cases().await.unwrap(), 0);
    assert_eq!(store.max_case_id().await.unwrap(), CaseId(0));
    assert_eq!(store.chain_head().await.unwrap(), (0, GENESIS_HASH.to_string()));
    assert!(store.events_after(0, 10).await.unwrap().is_empty());
    assert!(!store.backend().is_empty());
}

pub async fn create_case_round_trips_by_id_and_code(store: Arc<dyn Store>) {
    let at = t(1, 8, 30) + Duration::microseconds(123_456);
    let (case, event) = Case::register(rich_matter(), code(1), Some("ab".repeat(32)), false, clerk(), at).unwrap();
    let personal = Petitioner {
        name: Some("张三".into()),
        phone: Some("13812345678".into()),
        id_number: Some("11010519491231002X".into()),
        address: Some("城关镇人民路88号".into()),
        salt: Some("00ff".into()),
    };
    let write = NewCaseWrite { derived: derived(&case), case: case.clone(), events: vec![event.clone()], personal: Some(personal) };
    let (stored, events) = store.create_case(write).await.expect("create");

    assert!(stored.id.0 > 0, "an id is assigned");
    assert_eq!(stored, Case { id: stored.id, ..case }, "only the id differs from what was written");
    assert_eq!(store.get_case(stored.id).await.unwrap().as_ref(), Some(&stored));
    assert_eq!(store.get_case_by_code(&stored.tracking_code).await.unwrap().as_ref(), Some(&stored));

    assert_eq!(events.len(), 1);
    let e = &events[0];
    assert_eq!((e.seq, e.case_id, e.case_version, e.at), (1, stored.id, 1, at));
    assert_eq!(e.kind, "registered");
    assert_eq!(e.prev_hash, GENESIS_HASH);
    assert_eq!(e.event().unwrap(), event, "the payload is the event, exactly");
    assert_eq!(store.case_events(stored.id).await.unwrap(), events, "read back as returned");
    assert_eq!(verify_chain(&*store).await, events);
    assert_eq!(store.count_cases().await.unwrap(), 1);
}

pub async fn missing_case_reads_as_none(store: Arc<dyn Store>) {
    create(&*store, 1).await;
    assert_eq!(store.get_case(CaseId(999_999)).await.unwrap(), None);
    assert_eq!(store.get_case_by_code(&code(2)).await.unwrap(), None);
    assert!(store.case_events(CaseId(999_999)).await.unwrap().is_empty());
    assert_eq!(store.personal_data(CaseId(999_999)).await.unwrap(), None);
}

pub async fn case_ids_increase(store: Arc<dyn Store>) {
    let mut last = CaseId(0);
    for n in 1..=5 {
        let c = create(&*store, n).await;
        assert!(c.id > last, "{:?} after {:?}", c.id, last);
        last = c.id;
    }
    assert_eq!(store.max_case_id().await.unwrap(), last);
    assert_eq!(store.count_cases().await.unwrap(), 5);
}

pub async fn create_case_with_history_stores_every_event(store: Arc<dyn Store>) {
    let first = create(&*store, 1).await;
    let mut w = registration(2, matter("历史台账事项", 10), t(2, 1, 0));
    let (case, more) = run(&w.case, &[accept(), route(20), Command::StartHandling], t(2, 3, 0));
    w.events.extend(more);
    w.derived = derived(&case);
    w.case = case.clone();
    let (stored, events) = store.create_case(w.clone()).await.expect("create with history");

    assert_eq!(stored, Case { id: stored.id, ..case });
    assert_eq!(stored.version, 4);
    assert_eq!(events.iter().map(|e| (e.seq, e.case_version)).collect::<Vec<_>>(), [(2, 1), (3, 2), (4, 3), (5, 4)]);
    for (e, original) in events.iter().zip(&w.events) {
        assert_eq!((e.case_id, e.at), (stored.id, original.at));
        assert_eq!(&e.event().unwrap(), original);
    }
    assert_eq!(store.get_case(stored.id).await.unwrap(), Some(stored.clone()));
    assert_eq!(store.case_events(stored.id).await.unwrap(), events);
    assert_eq!(verify_chain(&*store).await.len(), 5);
    assert_eq!(store.get_case(first.id).await.unwrap(), Some(first));
}

pub async fn create_case_with_inconsistent_version_writes_nothing(store: Arc<dyn Store>) {
    create(&*store, 1).await;
    let before = snapshot(&*store).await;
    let mut w = registration(2, matter("版本不符", 10), t(2, 1, 0));
    w.case.version = 2;
    assert!(store.create_case(w).await.is_err(), "version must equal the number of events");
    assert_eq!(snapshot(&*store).await, before);
}

pub async fn duplicate_tracking_code_writes_nothing(store: Arc<dyn Store>) {
    let original = create(&*store, 1).await;
    let before = snapshot(&*store).await;
    let mut w = registration(1, matter("另一事项，查询码相同", 11), t(3, 1, 0));
    w.personal = Some(Petitioner { name: Some("李四".into()), ..Default::default() });
    let err = store.create_case(w).await.expect_err("code is taken");
    assert_eq!(err, StoreError::Duplicate { field: "tracking_code".into() });
    assert_eq!(snapshot(&*store).await, before, "nothing written");
    assert_eq!(store.get_case_by_code(&code(1)).await.unwrap(), Some(original));

    let next = create(&*store, 2).await;
    assert!(next.id > before.max_id, "the store still works after the failure");
    verify_chain(&*store).await;
}

pub async fn append_stores_contiguous_events_and_chain_verifies(store: Arc<dyn Store>) {
    let c1 = create(&*store, 1).await;
    let c2 = create(&*store, 2).await;
    let at = t(5, 9, 0) + Duration::microseconds(1);
    let w = append_write(&c1, &[accept(), route(20)], at);
    let events = store.append(w.clone()).await.expect("append");

    assert_eq!(events.iter().map(|e| (e.seq, e.case_version)).collect::<Vec<_>>(), [(3, 2), (4, 3)]);
    for (e, original) in events.iter().zip(&w.events) {
        assert_eq!((e.case_id, e.at), (c1.id, original.at));
        assert_eq!(e.kind, original.kind.type_key());
        assert_eq!(&e.event().unwrap(), original);
    }
    assert_eq!(store.get_case(c1.id).await.unwrap(), Some(w.case.clone()));
    let history = store.case_events(c1.id).await.unwrap();
    assert_eq!(history.iter().map(|e| e.case_version).collect::<Vec<_>>(), [1, 2, 3]);
    assert_eq!(&history[1..], &events[..]);
    assert_eq!(store.get_case(c2.id).await.unwrap(), Some(c2), "other cases untouched");

    let more = store.append(append_write(&w.case, &[Command::StartHandling], at + Duration::hours(1))).await.unwrap();
    assert_eq!((more[0].seq, more[0].case_version), (5, 4));
    assert_eq!(verify_chain(&*store).await.len(), 5);
}

pub async fn stale_append_conflicts_and_writes_nothing(store: Arc<dyn Store>) {
    let c = create(&*store, 1).await;
    store.append(append_write(&c, &[accept()], t(5, 9, 0))).await.expect("first append");
    let before = snapshot(&*store).await;
    let stale = append_write(&c, &[Command::NotAccept { reason: "重复信访".into() }], t(5, 10, 0));
    let err = store.append(stale).await.expect_err("version moved");
    assert_eq!(err, StoreError::Conflict { current: 2 });
    assert_eq!(snapshot(&*store).await, before, "nothing written");
    verify_chain(&*store).await;
}

pub async fn append_with_wrong_version_arithmetic_writes_nothing(store: Arc<dyn Store>) {
    let c = create(&*store, 1).await;
    let before = snapshot(&*store).await;
    let mut w = append_write(&c, &[accept()], t(5, 9, 0));
    w.case.version += 1;
    let err = store.append(w).await.expect_err("case.version must be expected + events");
    assert!(matches!(err, StoreError::Other(_)), "{err:?}");
    assert_eq!(snapshot(&*store).await, before);
}

pub async fn append_to_missing_case_is_not_found(store: Arc<dyn Store>) {
    let c = create(&*store, 1).await;
    let before = snapshot(&*store).await;
    let mut w = append_write(&c, &[accept()], t(5, 9, 0));
    w.case.id = CaseId(c.id.0 + 1000);
    assert_eq!(store.append(w).await.expect_err("no such case"), StoreError::NotFound);
    assert_eq!(snapshot(&*store).await, before);
}

pub async fn concurrent_creates_get_unique_ids_and_contiguous_chain(store: Arc<dyn Store>) {
    const N: u64 = 200;
    let tasks: Vec<_> = (1..=N)
        .map(|n| {
            let store = store.clone();
            tokio::spawn(async move {
                let w = registration(n, matter(&format!("并发登记{n}"), 10), t(1, 2, 0) + Duration::seconds(n as i64));
                store.create_case(w).await
            })
        })
        .collect();
    let mut ids = Vec::new();
    for task in tasks {
        let (case, events) = task.await.expect("task").expect("concurrent create");
        assert_eq!(events[0].case_id, case.id);
        ids.push(case.id);
    }
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len() as u64, N, "ids are unique");
    let chain = verify_chain(&*store).await;
    assert_eq!(chain.len() as u64, N);
    assert_eq!(store.count_cases().await.unwrap(), N as i64);
    assert_eq!(sorted(chain.iter().map(|e| e.case_id).collect()), ids, "one Registered event per case");
}

pub async fn concurrent_appends_at_same_version_have_one_winner(store: Arc<dyn Store>) {
    let c = create(&*store, 1).await;
    let tasks: Vec<_> = (0..16)
        .map(|i| {
            let (store, w) = (store.clone(), append_write(&c, &[note(&format!("备注{i}"))], t(5, 9, i)));
            tokio::spawn(async move { store.append(w).await })
        })
        .collect();
    let mut wins = 0;
    for task in tasks {
        match task.await.expect("task") {
            Ok(events) => {
                wins += 1;
                assert_eq!(events[0].case_version, 2);
            }
            Err(e) => assert_eq!(e, StoreError::Conflict { current: 2 }),
        }
    }
    assert_eq!(wins, 1, "exactly one append wins");
    assert_eq!(store.get_case(c.id).await.unwrap().unwrap().version, 2);
    assert_eq!(store.case_events(c.id).await.unwrap().len(), 2);
    assert_eq!(verify_chain(&*store).await.len(), 2);
}

pub async fn concurrent_appends_to_different_cases_all_succeed(store: Arc<dyn Store>) {
    let mut cases = Vec::new();
    for n in 1..=40 {
        cases.push(create(&*store, n).await);
    }
    let tasks: Vec<_> = cases
        .iter()
        .map(|c| {
            let (store, w) = (store.clone(), append_write(c, &[accept(), route(20)], t(6, 9, 0)));
            tokio::spawn(async move { (w.case.clone(), store.append(w).await) })
        })
        .collect();
    for task in tasks {
        let (expected, result) = task.await.expect("task");
        assert_eq!(result.expect("append").len(), 2);
        assert_eq!(store.get_case(expected.id).await.unwrap(), Some(expected));
    }
    assert_eq!(verify_chain(&*store).await.len(), 120);
}

pub async fn events_after_pages_in_chain_order(store: Arc<dyn Store>) {
    for n in 1..=5 {
        create(&*store, n).await;
    }
    let seqs = |v: Vec<StoredEvent>| v.iter().map(|e| e.seq).collect::<Vec<_>>();
    assert_eq!(seqs(store.events_after(0, 2).await.unwrap()), [1, 2]);
    assert_eq!(seqs(store.events_after(2, 2).await.unwrap()), [3, 4]);
    assert_eq!(seqs(store.events_after(4, 10).await.unwrap()), [5]);
    assert!(store.events_after(5, 10).await.unwrap().is_empty());
}

pub async fn events_in_case_range_orders_by_case_then_seq(store: Arc<dyn Store>) {
    let c1 = create(&*store, 1).await;
    let c2 = create(&*store, 2).await;
    let c3 = create(&*store, 3).await;
    store.append(append_write(&c1, &[accept()], t(5, 9, 0))).await.unwrap();
    let key = |v: Vec<StoredEvent>| v.iter().map(|e| (e.case_id, e.seq)).collect::<Vec<_>>();
    assert_eq!(key(store.events_in_case_range(c1.id, c3.id).await.unwrap()), [(c1.id, 1), (c1.id, 4), (c2.id, 2)]);
    assert_eq!(key(store.events_in_case_range(c3.id, CaseId(c3.id.0 + 1)).await.unwrap()), [(c3.id, 3)]);
    assert!(store.events_in_case_range(c1.id, c1.id).await.unwrap().is_empty());
    let all = store.events_in_case_range(CaseId(0), CaseId(i64::MAX)).await.unwrap();
    assert_eq!(all.len(), 4);
    assert_eq!(sorted_by_seq(all), store.events_after(0, 100).await.unwrap(), "same rows as the chain");
}

fn sorted_by_seq(mut v: Vec<StoredEvent>) -> Vec<StoredEvent> {
    v.sort_by_key(|e| e.seq);
    v
}

pub async fn cases_in_range_and_max_case_id(store: Arc<dyn Store>) {
    assert_eq!(store.max_case_id().await.unwrap(), CaseId(0));
    let cases: Vec<Case> = {
        let mut v = Vec::new();
        for n in 1..=4 {
            v.push(create(&*store, n).await);
        }
        v
    };
    let got = store.cases_in_range(cases[1].id, cases[3].id).await.unwrap();
    assert_eq!(got, cases[1..3].to_vec(), "[from, to), ordered by id");
    assert_eq!(store.cases_in_range(CaseId(0), CaseId(i64::MAX)).await.unwrap(), cases);
    assert!(store.cases_in_range(cases[3].id, cases[3].id).await.unwrap().is_empty());
    assert_eq!(store.max_case_id().await.unwrap(), cases[3].id);
    // The stored form reads back as the same cases, in the same order.
    let json = store.case_json_in_range(cases[1].id, cases[3].id).await.unwrap();
    let parsed: Vec<Case> = json.iter().map(|j| serde_json::from_str(j).expect("the JSON of a Case")).collect();
    assert_eq!(parsed, cases[1..3].to_vec(), "[from, to), ordered by id");
    assert_eq!(store.case_json_in_range(CaseId(0), CaseId(i64::MAX)).await.unwrap().len(), 4);
    assert!(store.case_json_in_range(cases[3].id, cases[3].id).await.unwrap().is_empty());
}

// ===================================================================== listing

pub async fn list_cases_visible_to_uses_case_orgs(store: Arc<dyn Store>) {
    let s = seed_list(&*store).await;
    let visible = |orgs: &[i64]| CaseQuery { visible_to: Some(orgs.iter().map(|&o| OrgId(o)).collect()), ..Default::default() };
    assert_eq!(sorted(list_ids(&*store, visible(&[20])).await), s.ids(&[2]));
    assert_eq!(sorted(list_ids(&*store, visible(&[10])).await), s.ids(&[1, 2]));
    assert_eq!(sorted(list_ids(&*store, visible(&[11, 12])).await), s.ids(&[3, 4, 5]));
    assert_eq!(sorted(list_ids(&*store, visible(&[10, 20])).await), s.ids(&[1, 2]), "no duplicates");
    assert!(list_ids(&*store, visible(&[])).await.is_empty(), "no organisation sees nothing");
    assert!(list_ids(&*store, visible(&[99])).await.is_empty());
    assert_eq!(list_ids(&*store, CaseQuery::default()).await.len(), 5, "None means unrestricted");
}

pub async fn list_cases_filters_status_unit_channel_demo(store: Arc<dyn Store>) {
    let s = seed_list(&*store).await;
    let q = |f: fn(&mut CaseQuery)| {
        let mut q = CaseQuery::default();
        f(&mut q);
        q
    };
    assert_eq!(sorted(list_ids(&*store, q(|q| q.statuses = vec![Status::Registered])).await), s.ids(&[1, 4, 5]));
    assert_eq!(
        sorted(list_ids(&*store, q(|q| q.statuses = vec![Status::Routed, Status::NotAccepted])).await),
        s.ids(&[2, 3])
    );
    assert!(list_ids(&*store, q(|q| q.statuses = vec![Status::Closed])).await.is_empty());
    assert_eq!(list_ids(&*store, q(|q| q.unit = Some(OrgId(20)))).await, s.ids(&[2]));
    assert_eq!(sorted(list_ids(&*store, q(|q| q.channel = Some(Channel::Letter))).await), s.ids(&[1, 5]));
    assert_eq!(list_ids(&*store, q(|q| q.demo = Some(true))).await, s.ids(&[3]));
    assert_eq!(sorted(list_ids(&*store, q(|q| q.demo = Some(false))).await), s.ids(&[1, 2, 4, 5]));
    let combined = q(|q| {
        q.channel = Some(Channel::Letter);
        q.visible_to = Some(vec![OrgId(12)]);
        q.statuses = vec![Status::Registered];
    });
    assert_eq!(list_ids(&*store, combined).await, s.ids(&[5]), "filters combine with AND");
}

pub async fn list_cases_category_matches_code_and_subcodes(store: Arc<dyn Store>) {
    let s = seed_list(&*store).await;
    let cat = |c: &str| CaseQuery { category: Some(c.into()), ..Default::default() };
    assert_eq!(sorted(list_ids(&*store, cat("03")).await), s.ids(&[1, 2]), "\"03\" matches 03 and 03.02, not 030");
    assert_eq!(list_ids(&*store, cat("03.02")).await, s.ids(&[1]));
    assert_eq!(list_ids(&*store, cat("030")).await, s.ids(&[4]));
    assert_eq!(list_ids(&*store, cat("05")).await, s.ids(&[3]));
    assert!(list_ids(&*store, cat("0")).await.is_empty(), "a prefix stops at a dot");
    assert!(list_ids(&*store, cat("03.0")).await.is_empty());
}

pub async fn list_cases_registered_range_and_due_before(store: Arc<dyn Store>) {
    let s = seed_list(&*store).await;
    let range = CaseQuery {
        registered_from: Some(s.c[1].registered_at),
        registered_to: Some(s.c[3].registered_at),
        ..Default::default()
    };
    assert_eq!(sorted(list_ids(&*store, range).await), s.ids(&[2, 3]), "from inclusive, to exclusive");
    let from = CaseQuery { registered_from: Some(t(4, 0, 0)), ..Default::default() };
    assert_eq!(sorted(list_ids(&*store, from).await), s.ids(&[4, 5]));

    let c4_due = Utc.with_ymd_and_hms(2024, 3, 24, 16, 0, 0).unwrap();
    let before = |at| CaseQuery { due_before: Some(at), ..Default::default() };
    assert_eq!(list_ids(&*store, before(c4_due)).await, s.ids(&[2]), "strictly before; no deadline never matches");
    assert_eq!(sorted(list_ids(&*store, before(c4_due + Duration::seconds(1))).await), s.ids(&[2, 4]));
    assert_eq!(sorted(list_ids(&*store, before(t(31, 0, 0) + Duration::days(60))).await), s.ids(&[1, 2, 4, 5]));
}

pub async fn list_cases_text_matches_subject_or_code_literally(store: Arc<dyn Store>) {
    let s = seed_list(&*store).await;
    let text = |t: &str| CaseQuery { text: Some(t.into()), ..Default::default() };
    assert_eq!(list_ids(&*store, text("积水")).await, s.ids(&[1]));
    assert_eq!(list_ids(&*store, text("公交")).await, s.ids(&[2]));
    let part = &s.c[2].tracking_code.as_str()[3..9];
    assert_eq!(list_ids(&*store, text(part)).await, s.ids(&[3]), "substring of the tracking code");
    assert_eq!(list_ids(&*store, text(s.c[3].tracking_code.as_str())).await, s.ids(&[4]));
    assert_eq!(list_ids(&*store, text("%")).await, s.ids(&[5]), "% is literal");
    assert_eq!(list_ids(&*store, text("_")).await, s.ids(&[5]), "_ is literal");
    assert_eq!(list_ids(&*store, text("100%_")).await, s.ids(&[5]));
    assert!(list_ids(&*store, text("不存在的内容")).await.is_empty());
    assert!(list_ids(&*store, text("' OR 1=1 --")).await.is_empty());
}

pub async fn list_cases_sorts(store: Arc<dyn Store>) {
    let s = seed_list(&*store).await;
    let by = |sort| CaseQuery { sort, ..Default::default() };
    assert_eq!(list_ids(&*store, by(CaseSort::DueAsc)).await, s.ids(&[2, 4, 1, 5, 3]), "no deadline last");
    assert_eq!(list_ids(&*store, by(CaseSort::RegisteredAsc)).await, s.ids(&[1, 2, 3, 4, 5]));
    assert_eq!(list_ids(&*store, by(CaseSort::RegisteredDesc)).await, s.ids(&[5, 4, 3, 2, 1]));
    assert_eq!(list_ids(&*store, by(CaseSort::UpdatedDesc)).await, s.ids(&[2, 3, 5, 4, 1]));
    assert_eq!(CaseSort::default(), CaseSort::DueAsc);
}

pub async fn list_cases_pages_with_total(store: Arc<dyn Store>) {
    let s = seed_list(&*store).await;
    let page = |limit, offset| CaseQuery { sort: CaseSort::RegisteredAsc, limit, offset, ..Default::default() };
    let p1 = store.list_cases(&page(2, 0)).await.unwrap();
    assert_eq!(p1.total, 5, "total counts every match, not the page");
    assert_eq!(p1.items, s.c[0..2].to_vec(), "items are the stored cases, whole");
    assert_eq!(store.list_cases(&page(2, 2)).await.unwrap().items, s.c[2..4].to_vec());
    let last = store.list_cases(&page(2, 4)).await.unwrap();
    assert_eq!((last.items, last.total), (s.c[4..5].to_vec(), 5));
    let past = store.list_cases(&page(2, 10)).await.unwrap();
    assert!(past.items.is_empty());
    assert_eq!(past.total, 5);
    assert_eq!(store.list_cases(&page(0, 0)).await.unwrap().items.len(), 5, "limit 0 means the default page size");

    let filtered = CaseQuery { channel: Some(Channel::Letter), limit: 1, ..page(1, 1) };
    let p = store.list_cases(&filtered).await.unwrap();
    assert_eq!((p.items.iter().map(|c| c.id).collect::<Vec<_>>(), p.total), (s.ids(&[5]), 2));
}

pub async fn append_rewrites_listing_columns_and_orgs(store: Arc<dyn Store>) {
    let c = create(&*store, 1).await;
    let routed = append_write(&c, &[accept(), route(20)], t(2, 9, 0));
    store.append(routed.clone()).await.unwrap();
    let seen_by = |o: i64| CaseQuery { visible_to: Some(vec![OrgId(o)]), ..Default::default() };
    assert_eq!(list_ids(&*store, seen_by(20)).await, [c.id]);
    assert_eq!(list_ids(&*store, CaseQuery { unit: Some(OrgId(20)), ..Default::default() }).await, [c.id]);
    let status = |st| CaseQuery { statuses: vec![st], ..Default::default() };
    assert_eq!(list_ids(&*store, status(Status::Routed)).await, [c.id]);
    assert!(list_ids(&*store, status(Status::Registered)).await.is_empty());

    let returned = append_write(&routed.case, &[Command::Return { reason: "不属于本单位职责".into() }], t(2, 10, 0));
    assert_eq!(returned.derived.orgs, vec![OrgId(10)]);
    store.append(returned.clone()).await.unwrap();
    assert!(list_ids(&*store, seen_by(20)).await.is_empty(), "the unit no longer sees it");
    assert_eq!(list_ids(&*store, seen_by(10)).await, [c.id]);
    assert!(list_ids(&*store, CaseQuery { unit: Some(OrgId(20)), ..Default::default() }).await.is_empty());

    let mut due_moved = append_write(&returned.case, &[note("期限调整")], t(2, 11, 0));
    due_moved.derived.due_at = Some(t(3, 0, 0));
    store.append(due_moved).await.unwrap();
    let overdue = CaseQuery { due_before: Some(t(3, 0, 1)), ..Default::default() };
    assert_eq!(list_ids(&*store, overdue).await, [c.id]);
    let updated = CaseQuery { sort: CaseSort::UpdatedDesc, ..Default::default() };
    assert_eq!(store.list_cases(&updated).await.unwrap().items[0].updated_at, t(2, 11, 0));
}

// ===================================================================== personal data

pub async fn personal_data_is_stored_and_purged_with_chain_intact(store: Arc<dyn Store>) {
    let petitioner = Petitioner {
        name: Some("王五".into()),
        phone: Some("13900001111".into()),
        id_number: None,
        address: Some("城关镇幸福村3组".into()),
        salt: None,
    };
    let mut w = registration(1, matter("个人信息测试", 10), t(1, 1, 0));
    w.personal = Some(petitioner.clone());
    let (case, _) = store.create_case(w).await.unwrap();
    let other = create(&*store, 2).await;

    let record = store.personal_data(case.id).await.unwrap().expect("stored");
    assert_eq!((record.case_id, record.petitioner), (case.id, petitioner));
    assert_eq!(store.personal_data(other.id).await.unwrap(), None, "none given, none stored");

    let purge_event = Event { at: t(9, 0, 0), actor: Actor::System, kind: EventKind::PersonalDataPurged };
    let mut next = case.clone();
    next.apply(&purge_event);
    let write = AppendWrite {
        derived: derived(&next),
        expected_version: case.version,
        case: next.clone(),
        events: vec![purge_event],
        purge_personal: true,
    };
    let events = store.append(write).await.unwrap();
    assert_eq!(events[0].kind, "personal_data_purged");
    assert_eq!(store.personal_data(case.id).await.unwrap(), None, "purged in the same write");
    assert!(store.get_case(case.id).await.unwrap().unwrap().personal_data_purged);
    assert_eq!(verify_chain(&*store).await.len(), 3, "the chain never held the data");
}

pub async fn access_log_records_and_filters_by_case(store: Arc<dyn Store>) {
    let c1 = create(&*store, 1).await;
    let c2 = create(&*store, 2).await;
    let rec = |n: u32, case: CaseId| AccessRecord {
        at: t(2, 9, n) + Duration::microseconds(7),
        user_id: UserId(7),
        username: "clerk".into(),
        case_id: case,
        fields: vec!["name".into(), "phone".into()],
        purpose: format!("回访核实{n}"),
    };
    let (r1, r2, r3) = (rec(1, c1.id), rec(2, c2.id), rec(3, c1.id));
    for r in [&r1, &r2, &r3] {
        store.record_access(r.clone()).await.expect("record_access");
    }
    assert_eq!(store.access_log(Some(c1.id), 10).await.unwrap(), [r3.clone(), r1.clone()], "newest first");
    assert_eq!(store.access_log(Some(c2.id), 10).await.unwrap(), std::slice::from_ref(&r2));
    assert_eq!(store.access_log(None, 10).await.unwrap(), [r3.clone(), r2.clone(), r1]);
    assert_eq!(store.access_log(None, 2).await.unwrap(), [r3, r2], "limited");
    assert!(store.access_log(Some(CaseId(c2.id.0 + 100)), 10).await.unwrap().is_empty());
}

// ===================================================================== organisations and people

pub async fn orgs_save_update_list(store: Arc<dyn Store>) {
    assert!(store.list_orgs().await.unwrap().is_empty());
    let mut county = Org { id: OrgId(0), parent: None, name: "示范县".into(), kind: OrgKind::County, division_code: Some("430121".into()) };
    county.id = store.save_org(&county).await.unwrap();
    let mut town = Org { id: OrgId(0), parent: Some(county.id), name: "城关镇".into(), kind: OrgKind::Town, division_code: None };
    town.id = store.save_org(&town).await.unwrap();
    let mut grid = Org { id: OrgId(0), parent: Some(town.id), name: "人民路网格".into(), kind: OrgKind::Grid, division_code: None };
    grid.id = store.save_org(&grid).await.unwrap();
    assert!(county.id.0 > 0 && county.id < town.id && town.id < grid.id);
    assert_eq!(store.list_orgs().await.unwrap(), [county.clone(), town.clone(), grid.clone()], "ordered by id");

    town.name = "城关街道".into();
    town.division_code = Some("430121001".into());
    assert_eq!(store.save_org(&town).await.unwrap(), town.id, "update keeps the id");
    grid.parent = Some(county.id);
    grid.kind = OrgKind::Community;
    store.save_org(&grid).await.unwrap();
    assert_eq!(store.list_orgs().await.unwrap(), [county, town, grid]);
}

pub async fn users_save_get_update_and_reject_duplicate_names(store: Arc<dyn Store>) {
    let org = save_org(&*store, None, "示范县", OrgKind::County).await;
    let mut alice = user("alice", org);
    alice.id = store.save_user(&alice).await.unwrap();
    assert!(alice.id.0 > 0);
    assert_eq!(store.get_user(alice.id).await.unwrap(), Some(alice.clone()));
    assert_eq!(store.get_user_by_name("alice").await.unwrap(), Some(alice.clone()));
    assert_eq!(store.get_user_by_name("nobody").await.unwrap(), None);
    assert_eq!(store.get_user(UserId(alice.id.0 + 100)).await.unwrap(), None);

    let err = store.save_user(&user("alice", org)).await.expect_err("name taken");
    assert_eq!(err, StoreError::Duplicate { field: "username".into() });
    assert_eq!(store.list_users().await.unwrap(), [alice.clone()], "nothing written");

    alice.disabled = true;
    alice.roles = vec![Role::Auditor];
    alice.password_hash = "$argon2id$v=19$changed".into();
    assert_eq!(store.save_user(&alice).await.unwrap(), alice.id, "update keeps the id");
    assert_eq!(store.get_user(alice.id).await.unwrap(), Some(alice.clone()));

    let mut bob = user("bob", org);
    bob.id = store.save_user(&bob).await.unwrap();
    assert!(bob.id > alice.id);
    let mut renamed = bob.clone();
    renamed.username = "alice".into();
    assert_eq!(store.save_user(&renamed).await.unwrap_err(), StoreError::Duplicate { field: "username".into() });
    assert_eq!(store.list_users().await.unwrap(), [alice, bob], "ordered by id, bob unchanged");
}

pub async fn sessions_save_get_delete_purge(store: Arc<dyn Store>) {
    let u = some_user(&*store, "alice").await;
    let now = t(10, 12, 0);
    let session = |hash: &str, expires| Session {
        token_hash: hash.into(),
        user_id: u.id,
        created_at: now - Duration::hours(2),
        expires_at: expires,
        csrf_token: format!("csrf-{hash}"),
    };
    let live = session("live", now + Duration::hours(8) + Duration::microseconds(5));
    let expired = session("expired", now - Duration::seconds(1));
    let edge = session("edge", now);
    for s in [&live, &expired, &edge] {
        store.save_session(s).await.unwrap();
    }
    assert_eq!(store.get_session("live").await.unwrap(), Some(live.clone()));
    assert_eq!(store.get_session("missing").await.unwrap(), None);

    assert_eq!(store.purge_sessions(now).await.unwrap(), 1, "only sessions that expired before now");
    assert_eq!(store.get_session("expired").await.unwrap(), None);
    assert_eq!(store.get_session("edge").await.unwrap(), Some(edge));

    store.delete_session("live").await.unwrap();
    assert_eq!(store.get_session("live").await.unwrap(), None);
    store.delete_session("live").await.expect("deleting twice is fine");
}

pub async fn api_tokens_save_get_list_revoke(store: Arc<dyn Store>) {
    let u = some_user(&*store, "alice").await;
    let mut staff = ApiToken {
        token_hash: "h-staff".into(),
        name: "区12345对接".into(),
        user_id: Some(u.id),
        scope: "api".into(),
        created_at: t(3, 8, 0),
        revoked: false,
    };
    let open311 = ApiToken {
        token_hash: "h-open311".into(),
        name: "Open311 客户端".into(),
        user_id: None,
        scope: "open311".into(),
        created_at: t(4, 8, 0) + Duration::microseconds(999_999),
        revoked: false,
    };
    store.save_api_token(&staff).await.unwrap();
    store.save_api_token(&open311).await.unwrap();
    assert_eq!(store.get_api_token("h-staff").await.unwrap(), Some(staff.clone()));
    assert_eq!(store.get_api_token("h-open311").await.unwrap(), Some(open311.clone()));
    assert_eq!(store.get_api_token("nope").await.unwrap(), None);

    staff.revoked = true;
    store.save_api_token(&staff).await.expect("saving again updates");
    assert_eq!(store.get_api_token("h-staff").await.unwrap(), Some(staff.clone()));
    assert_eq!(store.list_api_tokens().await.unwrap(), [staff, open311], "oldest first");
}

// ===================================================================== settings, blobs, leases

pub async fn settings_put_get_overwrite(store: Arc<dyn Store>) {
    assert_eq!(store.get_setting("deadline_rules").await.unwrap(), None);
    let doc = r#"{"warn_days":3,"名称":"默认规则"}"#;
    store.put_setting("deadline_rules", doc).await.unwrap();
    store.put_setting("calendar", "{}").await.unwrap();
    assert_eq!(store.get_setting("deadline_rules").await.unwrap().as_deref(), Some(doc));
    store.put_setting("deadline_rules", "{\"warn_days\":5}").await.unwrap();
    assert_eq!(store.get_setting("deadline_rules").await.unwrap().as_deref(), Some("{\"warn_days\":5}"));
    assert_eq!(store.get_setting("calendar").await.unwrap().as_deref(), Some("{}"), "other keys untouched");
}

pub async fn blobs_put_get(store: Arc<dyn Store>) {
    let sha = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";
    assert_eq!(store.get_blob(sha).await.unwrap(), None);
    let bytes: Vec<u8> = (0..=255u8).chain([0, 0, 255]).collect();
    store.put_blob(sha, "image/png", bytes.clone()).await.unwrap();
    store.put_blob(sha, "image/png", bytes.clone()).await.expect("same content again is fine");
    assert_eq!(store.get_blob(sha).await.unwrap(), Some(("image/png".to_string(), bytes)));
    let big = vec![7u8; 3 * 1024 * 1024];
    store.put_blob("big", "application/pdf", big.clone()).await.unwrap();
    assert_eq!(store.get_blob("big").await.unwrap().unwrap().1, big);
}

pub async fn leases_hold_expire_and_renew(store: Arc<dyn Store>) {
    let now = t(10, 0, 0);
    let at = |secs: i64| now + Duration::seconds(secs);
    assert_eq!(store.try_lease("deadline_scan", "a", at(0), 60).await.unwrap(), Some(1), "free lease is taken");
    assert_eq!(store.try_lease("deadline_scan", "b", at(30), 60).await.unwrap(), None, "held by a");
    assert_eq!(store.try_lease("retention", "b", at(30), 60).await.unwrap(), Some(1), "jobs are independent");
    assert_eq!(store.try_lease("deadline_scan", "a", at(30), 60).await.unwrap(), Some(1), "holder renews (until 90)");
    assert_eq!(store.try_lease("deadline_scan", "b", at(61), 60).await.unwrap(), None, "renewal moved the expiry");
    assert_eq!(store.try_lease("deadline_scan", "b", at(91), 60).await.unwrap(), Some(2), "lapsed lease is taken over, epoch grows");
    assert_eq!(store.try_lease("deadline_scan", "a", at(92), 60).await.unwrap(), None, "a lost it");
    assert_eq!(store.try_lease("deadline_scan", "b", at(200), 60).await.unwrap(), Some(2), "b may renew even after lapse");
    let leases = store.leases().await.unwrap();
    assert_eq!(leases.iter().map(|l| (l.job.as_str(), l.holder.as_str(), l.epoch)).collect::<Vec<_>>(), vec![("deadline_scan", "b", 2), ("retention", "b", 1)]);
    assert_eq!(leases[0].expires_at, at(260));
    // Giving a lease up lets another take it at once (release uses the database's clock).
    let real = Utc::now();
    assert_eq!(store.try_lease("retention", "b", real, 60).await.unwrap(), Some(1));
    store.release_lease("retention", "a").await.unwrap();
    assert_eq!(store.try_lease("retention", "a", real + Duration::seconds(2), 60).await.unwrap(), None, "only the holder releases");
    store.release_lease("retention", "b").await.unwrap();
    assert_eq!(store.try_lease("retention", "a", real + Duration::seconds(2), 60).await.unwrap(), Some(2));
}

/// A run slot is claimed once: by the lease holder under its epoch, finished once; a slot whose
/// holder died mid-run is taken over by the next holder, and the stale holder can no longer
/// finish it.
pub async fn job_run_slots_are_claimed_once_and_taken_over(store: Arc<dyn Store>) {
    use crate::Claim;
    let now = t(10, 0, 0);
    let at = |secs: i64| now + Duration::seconds(secs);
    let ea = store.try_lease("scan", "a", at(0), 5).await.unwrap().unwrap();
    assert_eq!(store.claim_job_run("scan", 7, at(0), "b", 1, at(0)).await.unwrap(), Claim::NotHolder, "b holds no lease");
    assert_eq!(store.claim_job_run("scan", 7, at(0), "a", ea + 1, at(0)).await.unwrap(), Claim::NotHolder, "wrong epoch");
    assert_eq!(store.claim_job_run("scan", 7, at(0), "a", ea, at(1)).await.unwrap(), Claim::Claimed { attempt: 1 });
    assert!(store.finish_job_run("scan", 7, "a", ea, at(2), "2 条提醒").await.unwrap());
    assert!(!store.finish_job_run("scan", 7, "a", ea, at(2), "again").await.unwrap(), "finished once");
    assert_eq!(store.claim_job_run("scan", 7, at(0), "a", ea, at(3)).await.unwrap(), Claim::Done, "a slot runs once");
    assert_eq!(store.claim_job_run("scan", 9, at(6), "a", ea, at(6)).await.unwrap(), Claim::NotHolder, "lease lapsed at 5");

    // a claims slot 8 and dies; b takes the lease after it lapses and takes the slot over.
    store.try_lease("scan", "a", at(10), 5).await.unwrap().unwrap();
    assert_eq!(store.claim_job_run("scan", 8, at(10), "a", ea, at(10)).await.unwrap(), Claim::Claimed { attempt: 1 });
    assert_eq!(store.try_lease("scan", "b", at(12), 5).await.unwrap(), None);
    let eb = store.try_lease("scan", "b", at(16), 5).await.unwrap().unwrap();
    assert_eq!(eb, ea + 1);
    assert_eq!(store.claim_job_run("scan", 8, at(10), "b", eb, at(16)).await.unwrap(), Claim::Claimed { attempt: 2 });
    assert!(!store.finish_job_run("scan", 8, "a", ea, at(17), "stale").await.unwrap(), "fenced off");
    assert!(store.finish_job_run("scan", 8, "b", eb, at(17), "0 条提醒").await.unwrap());

    let runs = store.job_runs(Some("scan"), 10).await.unwrap();
    assert_eq!(runs.len(), 2);
    assert_eq!((runs[0].slot, runs[0].holder.as_str(), runs[0].attempts, runs[0].outcome.as_deref()), (8, "b", 2, Some("0 条提醒")));
    assert_eq!(runs[0].finished_at, Some(at(17)));
    assert_eq!((runs[1].slot, runs[1].holder.as_str(), runs[1].epoch, runs[1].slot_at), (7, "a", ea, at(0)));
    assert!(store.job_runs(Some("other"), 10).await.unwrap().is_empty());
    assert_eq!(store.job_runs(None, 1).await.unwrap().len(), 1);
}

/// Instances racing for one job: exactly one holds the lease and claims the slot.
pub async fn concurrent_lease_takers_have_one_winner(store: Arc<dyn Store>) {
    let now = t(10, 0, 0);
    let mut tasks = vec![];
    for i in 0..8 {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            let holder = format!("i{i}");
            match store.try_lease("scan", &holder, now, 5).await.unwrap() {
                Some(epoch) => Some(store.claim_job_run("scan", 1, now, &holder, epoch, now).await.unwrap()),
                None => None,
            }
        }));
    }
    let mut claims = vec![];
    for t in tasks {
        claims.extend(t.await.unwrap());
    }
    assert_eq!(claims, vec![crate::Claim::Claimed { attempt: 1 }]);
    assert_eq!(store.job_runs(None, 10).await.unwrap().len(), 1);
}

pub async fn reminders_are_recorded_once_per_case_kind_and_deadline(store: Arc<dyn Store>) {
    let c1 = create(store.as_ref(), 1).await;
    let c2 = create(store.as_ref(), 2).await;
    let due = t(20, 16, 0);
    let r = |case: &Case, kind: &str, due_at, slot| crate::Reminder {
        case_id: case.id,
        kind: kind.into(),
        due_at,
        unit: Some(OrgId(20)),
        created_at: t(19, 1, 0) + Duration::seconds(slot),
        job: "deadline_scan".into(),
        slot,
    };
    assert_eq!(store.add_reminders(&[]).await.unwrap(), 0);
    assert_eq!(store.add_reminders(&[r(&c1, "due_soon", due, 1), r(&c2, "due_soon", due, 1)]).await.unwrap(), 2);
    assert_eq!(store.add_reminders(&[r(&c1, "due_soon", due, 2), r(&c1, "overdue", due, 2)]).await.unwrap(), 1, "due_soon already recorded");
    assert_eq!(store.add_reminders(&[r(&c1, "due_soon", due + Duration::days(3), 3)]).await.unwrap(), 1, "a new deadline (extension) reminds again");
    let mine = store.reminders(Some(c1.id), 10).await.unwrap();
    assert_eq!(mine.iter().map(|r| (r.kind.as_str(), r.slot)).collect::<Vec<_>>(), vec![("due_soon", 3), ("overdue", 2), ("due_soon", 1)]);
    assert_eq!(mine[2], r(&c1, "due_soon", due, 1));
    assert_eq!(store.reminders(None, 10).await.unwrap().len(), 4);
}

pub async fn rate_windows_count_across_callers_and_purge(store: Arc<dyn Store>) {
    let w1 = t(10, 0, 0);
    let w2 = t(10, 0, 1);
    let mut tasks = vec![];
    for _ in 0..10 {
        let store = store.clone();
        tasks.push(tokio::spawn(async move { store.rate_hit("lookup:1.2.3.4", w1, 1).await.unwrap() }));
    }
    let mut counts = vec![];
    for t in tasks {
        counts.push(t.await.unwrap());
    }
    counts.sort();
    assert_eq!(counts, (1..=10).collect::<Vec<i64>>(), "every hit counted once");
    assert_eq!(store.rate_hit("lookup:5.6.7.8", w1, 1).await.unwrap(), 1, "keys are separate");
    assert_eq!(store.rate_hit("lookup:1.2.3.4", w2, 1).await.unwrap(), 1, "a new window starts at 1");
    assert_eq!(store.rate_hit("lookup:1.2.3.4", w2, 0).await.unwrap(), 1, "0 reads");
    assert_eq!(store.rate_hit("login:x", w2, 0).await.unwrap(), 0, "reading a new key counts nothing");
    assert_eq!(store.purge_rate_windows(w2).await.unwrap(), 2);
    assert_eq!(store.rate_hit("lookup:1.2.3.4", w2, 1).await.unwrap(), 2, "the current window stays");
    assert_eq!(store.rate_hit("lookup:1.2.3.4", w2, -2).await.unwrap(), 0, "reset");
    assert_eq!(store.rate_hit("lookup:1.2.3.4", w2, -5).await.unwrap(), 0, "never below 0");
}

// ---- postgres additions ----
// Checks added by the PostgreSQL backend go below; add each name to `conformance_tests!` too.

/// PostgreSQL `text` cannot hold NUL and `jsonb` would rewrite a payload: a case whose text
/// holds NUL and other control characters still round-trips exactly, is listed, and its
/// events hash as stored.
pub async fn control_characters_in_case_text_round_trip(store: Arc<dyn Store>) {
    let mut m = matter("道路积水\u{0}严重\u{7}", 10);
    m.content = "第一行\u{0}\r\n第二行\t\u{1b}[0m \u{2028} 😀 \"引号\" \\反斜杠 \u{fffd}".into();
    m.location.address = "城关镇\u{0}人民路".into();
    let mut w = registration(1, m, t(1, 1, 0));
    w.personal = Some(Petitioner { name: Some("张\u{0}三".into()), ..Default::default() });
    let (stored, events) = store.create_case(w.clone()).await.expect("create with control characters");
    assert_eq!(stored, Case { id: stored.id, ..w.case.clone() });
    assert_eq!(store.get_case(stored.id).await.unwrap(), Some(stored.clone()));
    assert_eq!(events[0].event().unwrap(), w.events[0]);
    assert_eq!(store.personal_data(stored.id).await.unwrap().unwrap().petitioner, w.personal.unwrap());
    assert_eq!(list_ids(&*store, CaseQuery { text: Some("积水".into()), ..Default::default() }).await, [stored.id]);

    let a = append_write(&stored, &[note("备注\u{0}结束")], t(2, 1, 0));
    store.append(a.clone()).await.expect("append with NUL");
    assert_eq!(store.get_case(stored.id).await.unwrap(), Some(a.case));
    assert_eq!(verify_chain(&*store).await.len(), 2);
}

/// Creates racing for one tracking code (a group commit may put several in one batch):
/// exactly one wins, the rest are `Duplicate`, and the creates around them all succeed.
pub async fn concurrent_creates_with_one_code_have_one_winner(store: Arc<dyn Store>) {
    let tasks: Vec<_> = (0..24u64)
        .map(|i| {
            let store = store.clone();
            // Even tasks all use code(1000); odd ones their own.
            let n = if i % 2 == 0 { 1000 } else { i };
            let w = registration(n, matter(&format!("抢号{i}"), 10), t(1, 2, 0) + Duration::seconds(i as i64));
            tokio::spawn(async move { store.create_case(w).await })
        })
        .collect();
    let mut winners = Vec::new();
    for (i, task) in tasks.into_iter().enumerate() {
        match (i % 2, task.await.expect("task")) {
            (0, Ok((case, _))) => winners.push(case),
            (0, Err(e)) => assert_eq!(e, StoreError::Duplicate { field: "tracking_code".into() }),
            (_, r) => {
                r.expect("a create with its own code succeeds");
            }
        }
    }
    assert_eq!(winners.len(), 1, "exactly one create gets the shared code");
    assert_eq!(store.get_case_by_code(&code(1000)).await.unwrap(), Some(winners[0].clone()));
    assert_eq!(store.count_cases().await.unwrap(), 13);
    assert_eq!(verify_chain(&*store).await.len(), 13);
}

/// Open statistics count cases by status and by the satisfaction of their follow-up.
pub async fn counts_by_status_and_satisfaction(store: Arc<dyn Store>) {
    assert!(store.count_by_status().await.expect("count_by_status").is_empty());
    let a = create(store.as_ref(), 1).await;
    let b = create(store.as_ref(), 2).await;
    let _c = create(store.as_ref(), 3).await;
    store.append(append_write(&a, &[accept()], t(2, 9, 0))).await.expect("accept");
    let handled = [
        accept(),
        route(20),
        Command::StartHandling,
        Command::SubmitReply {
            decision: redress_domain::case::Decision::Support,
            facts: "经核实".into(),
            opinion: "予以支持".into(),
            legal_basis: "《信访工作条例》第三十二条".into(),
        },
        Command::ApproveReply,
        Command::FollowUp { satisfaction: redress_domain::case::Satisfaction::Basic, note: String::new() },
    ];
    store.append(append_write(&b, &handled, t(2, 9, 0))).await.expect("handle");
    let mut by_status = store.count_by_status().await.expect("count_by_status");
    by_status.sort();
    assert_eq!(by_status, vec![(Status::Registered, 1), (Status::Accepted, 1), (Status::FollowedUp, 1)]);
    let by_sat = store.count_by_satisfaction().await.expect("count_by_satisfaction");
    assert_eq!(by_sat, vec![(redress_domain::case::Satisfaction::Basic, 1)]);
}

/// The supervised filter finds open cases with a supervision, and not closed or plain ones.
pub async fn list_cases_supervised_finds_open_cases_under_supervision(store: Arc<dyn Store>) {
    let plain = create(store.as_ref(), 1).await;
    let watched = create(store.as_ref(), 2).await;
    store.append(append_write(&plain, &[accept()], t(2, 9, 0))).await.expect("accept");
    let sup = Command::Supervise { due: t(20, 0, 0).date_naive(), note: "请加快办理".into(), target_unit: None };
    store.append(append_write(&watched, &[accept(), sup], t(2, 9, 0))).await.expect("supervise");
    let q = CaseQuery { supervised: true, ..Default::default() };
    assert_eq!(list_ids(&*store, q.clone()).await, vec![watched.id]);
    // Closed by withdrawal: no deadline runs, so it is no longer an open supervision item.
    let current = store.get_case(watched.id).await.expect("get").expect("case");
    store.append(append_write(&current, &[Command::Withdraw { reason: "信访人撤回".into() }], t(3, 9, 0))).await.expect("withdraw");
    assert!(list_ids(&*store, q).await.is_empty());
}

/// With `skip_total` the page is the same and the total is only the page's length.
pub async fn list_cases_skip_total_returns_the_page_without_counting(store: Arc<dyn Store>) {
    for n in 1..=5 {
        create(store.as_ref(), n).await;
    }
    let counted = store.list_cases(&CaseQuery { limit: 2, ..Default::default() }).await.expect("list");
    let skipped = store.list_cases(&CaseQuery { limit: 2, skip_total: true, ..Default::default() }).await.expect("list");
    assert_eq!(counted.total, 5);
    assert_eq!(skipped.total, 2);
    assert_eq!(counted.items.iter().map(|c| c.id).collect::<Vec<_>>(), skipped.items.iter().map(|c| c.id).collect::<Vec<_>>());
}


// ===================================================================== statistics (dashboard)

fn total(groups: &[crate::FactGroup]) -> i64 {
    groups.iter().map(|g| g.cases).sum()
}

fn march() -> crate::FactQuery {
    crate::FactQuery { month_from: 202403, month_to: 202403, ..Default::default() }
}

/// The rollup moves a case from its old group to its new one on every write, sums its
/// measures, and answers the filters; backfilled facts fold in the same way.
pub async fn fact_rollup_follows_case_writes_and_filters(store: Arc<dyn Store>) {
    let a = create(store.as_ref(), 1).await;
    let b = create(store.as_ref(), 2).await;
    let mut other = matter("第3号测试事项", 10);
    other.category = Some("05.01".into());
    other.channel = Channel::Visit;
    other.location.org = Some(OrgId(12));
    store.create_case(registration(3, other, t(3, 1, 0))).await.expect("create 3");
    let mut april = matter("四月的事项", 10);
    april.category = Some("030".into());
    store.create_case(registration(4, april, t(31, 20, 0))).await.expect("create 4"); // 1 April in Beijing
    let handled = [
        accept(),
        route(20),
        Command::StartHandling,
        Command::SubmitReply {
            decision: redress_domain::case::Decision::Support,
            facts: "经核实".into(),
            opinion: "予以支持".into(),
            legal_basis: "《信访工作条例》第三十二条".into(),
        },
        Command::ApproveReply,
        Command::FollowUp { satisfaction: redress_domain::case::Satisfaction::Basic, note: String::new() },
    ];
    store.append(append_write(&b, &handled, t(5, 9, 0))).await.expect("handle");
    assert_eq!(store.count_facts().await.expect("count_facts"), 4);

    let groups = store.fact_groups(&march()).await.expect("fact_groups");
    assert_eq!(total(&groups), 3, "April's case is outside March: {groups:?}");
    let done: Vec<_> = groups.iter().filter(|g| g.status == Some(Status::FollowedUp)).collect();
    assert_eq!(done.len(), 1);
    let g = done[0];
    assert_eq!((g.cases, g.unit, g.category.as_str(), g.channel), (1, 20, "03.02", Some(Channel::Letter)));
    assert_eq!((g.timed, g.on_time, g.rated, g.satisfied, g.handled), (1, 1, 1, 1, 1));
    assert_eq!(g.handling_days, 4, "registered on the 1st, replied on the 5th");
    // b left the registered group: only a remains there among the letters.
    let registered: i64 = groups
        .iter()
        .filter(|g| g.status == Some(Status::Registered) && g.channel == Some(Channel::Letter))
        .map(|g| g.cases)
        .sum();
    assert_eq!(registered, 1);

    let q = |f: fn(&mut crate::FactQuery)| {
        let mut q = march();
        f(&mut q);
        q
    };
    let by = |q: crate::FactQuery| {
        let store = store.clone();
        async move { total(&store.fact_groups(&q).await.expect("fact_groups")) }
    };
    assert_eq!(by(q(|q| q.category = Some("03".into()))).await, 2, "03 covers 03.02, not 05.01");
    assert_eq!(by(q(|q| q.category = Some("05.01".into()))).await, 1);
    assert_eq!(by(q(|q| q.channel = Some(Channel::Visit))).await, 1);
    assert_eq!(by(q(|q| q.units = Some(vec![20, 21]))).await, 1);
    assert_eq!(by(q(|q| q.units = Some(vec![]))).await, 0);
    assert_eq!(by(q(|q| q.towns = Some(vec![12]))).await, 1);
    assert_eq!(by(q(|q| q.demo = Some(true))).await, 0);
    // The cases behind a count: the same filter, newest first, paged.
    let closed = q(|q| q.statuses = Some(vec![Status::FollowedUp, Status::Closed]));
    assert_eq!(store.fact_case_ids(&closed, None, 10, 0).await.expect("ids"), (vec![b.id], 1));
    let (page, n) = store.fact_case_ids(&march(), None, 2, 1).await.expect("ids");
    assert_eq!(n, 3);
    assert_eq!(page, vec![b.id, a.id], "ids 3, 2, 1 newest first; the second page of two starts at 2");
    let april = crate::FactQuery { month_from: 202404, month_to: 202404, category: Some("03".into()), ..Default::default() };
    assert_eq!(by(april).await, 0, "030 is not under 03");

    // Backfill: rewriting a's facts moves it, and never counts it twice.
    let mut f = derived(&a).facts.expect("facts");
    f.category = "05.01".into();
    store.put_facts(vec![(a.id, f)]).await.expect("put_facts");
    assert_eq!(by(q(|q| q.category = Some("05.01".into()))).await, 2);
    assert_eq!(by(march()).await, 3);
    // One dimension at a time: each dimension sums to the same totals as the full rollup.
    let dims = store.fact_dims(&march()).await.expect("fact_dims");
    for dim in ["unit", "town", "category", "channel"] {
        let n: i64 = dims.iter().filter(|d| d.dim == dim).map(|d| d.g.cases).sum();
        assert_eq!(n, 3, "{dim}: {dims:?}");
    }
    let cat = |code: &str| dims.iter().filter(|d| d.dim == "category" && d.g.category == code).map(|d| d.g.cases).sum::<i64>();
    assert_eq!((cat("03.02"), cat("05.01")), (1, 2), "a's backfilled facts moved it in this rollup too");
    let done = dims.iter().find(|d| d.dim == "unit" && d.g.unit == 20).expect("unit 20");
    assert_eq!((done.g.status, done.g.satisfied, done.g.handling_days), (Some(Status::FollowedUp), 1, 4));
    // Export pages by id and gives back what was written.
    let page = store.facts_after(CaseId(0), 2).await.expect("facts_after");
    assert_eq!(page.iter().map(|(id, _)| *id).collect::<Vec<_>>(), vec![a.id, b.id]);
    assert_eq!(page[0].1.category, "05.01");
    let b_now = store.get_case(b.id).await.expect("get").expect("b");
    assert_eq!(page[1].1, derived(&b_now).facts.expect("facts"));
    assert_eq!(store.facts_after(b.id, 10).await.expect("facts_after").len(), 2);
}

/// The sums kept within each town and each unit (a town office's and a unit's dashboard) agree
/// with the full rollup under the same filter, after facts are written, moved between towns and
/// units, and changed.
pub async fn fact_dims_within_towns_and_units_match_the_full_rollup(store: Arc<dyn Store>) {
    let statuses = [Status::Registered, Status::Routed, Status::InProgress, Status::Closed, Status::FollowedUp];
    let channels = [Channel::Letter, Channel::Visit, Channel::Hotline];
    let fact = |i: i64, shift: i64| crate::CaseFacts {
        month: if (i + shift) % 4 == 0 { 202402 } else { 202403 },
        category: ["03.02", "05.01", "07.03"][((i + shift) % 3) as usize].into(),
        status: statuses[((i * 7 + shift) % 5) as usize],
        unit: [0, 20, 21, 22][((i + 2 * shift) % 4) as usize],
        town: [11, 12, 13][((i * 5 + shift) % 3) as usize],
        channel: channels[((i + shift) % 3) as usize],
        demo: i % 11 == 0,
        timed: i % 2 == 0,
        on_time: i % 4 == 0,
        rated: i % 3 == 0,
        satisfied: i % 6 == 0,
        handling_days: (i % 5 != 0).then_some((i % 17) as i32),
        due_at: None,
    };
    store.put_facts((1..=60).map(|i| (CaseId(i), fact(i, 0))).collect()).await.expect("put_facts");
    // Move a third of them: other town, unit, status and month; the old sums must go.
    store.put_facts((1..=60).filter(|i| i % 3 == 0).map(|i| (CaseId(i), fact(i, 1))).collect()).await.expect("put_facts again");
    let span = crate::FactQuery { month_from: 202402, month_to: 202403, ..Default::default() };
    type Key = (String, String, i32, Option<Status>);
    let fold_groups = |groups: &[crate::FactGroup]| {
        let mut m: std::collections::BTreeMap<Key, [i64; 7]> = Default::default();
        for g in groups {
            let keys = [
                ("unit", g.unit.to_string()),
                ("town", g.town.to_string()),
                ("category", g.category.clone()),
                ("channel", g.channel.map_or(String::new(), |c| c.key().to_string())),
            ];
            for (d, v) in keys {
                let e = m.entry((d.to_string(), v, g.month, g.status)).or_default();
                for (x, y) in e.iter_mut().zip([g.cases, g.timed, g.on_time, g.rated, g.satisfied, g.handled, g.handling_days]) {
                    *x += y;
                }
            }
        }
        m
    };
    let fold_dims = |dims: &[crate::DimGroup]| {
        let mut m: std::collections::BTreeMap<Key, [i64; 7]> = Default::default();
        for d in dims {
            let g = &d.g;
            let v = match d.dim.as_str() {
                "unit" => g.unit.to_string(),
                "town" => g.town.to_string(),
                "category" => g.category.clone(),
                _ => g.channel.map_or(String::new(), |c| c.key().to_string()),
            };
            let e = m.entry((d.dim.clone(), v, g.month, g.status)).or_default();
            for (x, y) in e.iter_mut().zip([g.cases, g.timed, g.on_time, g.rated, g.satisfied, g.handled, g.handling_days]) {
                *x += y;
            }
        }
        m
    };
    let mut views = vec![span.clone()];
    for t in [vec![11], vec![12], vec![13], vec![11, 13], vec![99]] {
        views.push(crate::FactQuery { towns: Some(t), ..span.clone() });
    }
    for u in [vec![0], vec![20], vec![21, 22], vec![20, 21, 22], vec![]] {
        views.push(crate::FactQuery { units: Some(u), ..span.clone() });
    }
    views.push(crate::FactQuery { towns: Some(vec![12]), demo: Some(false), ..span.clone() });
    for q in &views {
        assert!(q.dims_apply());
        let want = fold_groups(&store.fact_groups(q).await.expect("fact_groups"));
        let got = fold_dims(&store.fact_dims(q).await.expect("fact_dims"));
        assert_eq!(got, want, "view {:?} / {:?}", q.towns, q.units);
    }
    let whole = fold_groups(&store.fact_groups(&span).await.expect("fact_groups"));
    assert_eq!(whole.iter().filter(|(k, _)| k.0 == "town").map(|(_, v)| v[0]).sum::<i64>(), 60, "every fact counted once");
    // Town and unit together, or a category, are not answered from the per-dimension rows.
    assert!(!crate::FactQuery { towns: Some(vec![12]), units: Some(vec![20]), ..span.clone() }.dims_apply());
    assert!(!crate::FactQuery { towns: Some(vec![12]), category: Some("03".into()), ..span.clone() }.dims_apply());
}

/// Overdue now: open cases whose running deadline passed, by unit, town and category; the
/// registration month does not limit it.
pub async fn overdue_groups_count_open_cases_past_their_deadline(store: Arc<dyn Store>) {
    let a = create(store.as_ref(), 1).await;
    let b = create(store.as_ref(), 2).await;
    create(store.as_ref(), 3).await;
    store.append(append_write(&a, &[accept(), route(20)], t(2, 9, 0))).await.expect("route");
    store.append(append_write(&b, &[Command::Withdraw { reason: "信访人撤回".into() }], t(2, 9, 0))).await.expect("withdraw");
    let all = crate::FactQuery { month_from: 0, month_to: 0, ..Default::default() };
    // Before any deadline: nothing overdue.
    assert_eq!(total(&store.overdue_groups(&all, t(2, 10, 0)).await.expect("overdue")), 0);
    let later = t(2, 10, 0) + Duration::days(200);
    let groups = store.overdue_groups(&all, later).await.expect("overdue");
    assert_eq!(total(&groups), 2, "the routed case and the registered one; not the withdrawn: {groups:?}");
    let unit_20 = crate::FactQuery { units: Some(vec![20]), ..all.clone() };
    assert_eq!(total(&store.overdue_groups(&unit_20, later).await.expect("overdue")), 1);
    let letters = crate::FactQuery { category: Some("03".into()), ..all };
    assert_eq!(total(&store.overdue_groups(&letters, later).await.expect("overdue")), 2);
    let (ids, n) = store.fact_case_ids(&letters, Some(later), 10, 0).await.expect("ids");
    assert_eq!(n, 2);
    assert!(ids.contains(&a.id) && !ids.contains(&b.id), "{ids:?}");
}

/// Warnings: insert, update, filters, and at most one not-yet-disposed warning per rule and key.
pub async fn warnings_save_list_and_one_live_per_rule_and_key(store: Arc<dyn Store>) {
    let w = crate::StoredWarning {
        id: 0,
        rule_id: "similar_in_place".into(),
        key: "town:12|cat:03.02".into(),
        recipient: OrgId(1),
        status: "open".into(),
        raised_at: t(2, 9, 0),
        data: "{\"level\":\"blue\"}".into(),
    };
    let id = store.save_warning(&w).await.expect("insert");
    assert!(id > 0);
    assert_eq!(store.get_warning(id).await.expect("get"), Some(crate::StoredWarning { id, ..w.clone() }));
    let again = store.save_warning(&w).await;
    assert_eq!(again, Err(StoreError::Duplicate { field: "key".into() }), "one live warning per rule and key");
    let other = store.save_warning(&crate::StoredWarning { key: "town:13|cat:03.02".into(), recipient: OrgId(5), ..w.clone() }).await.expect("other key");
    // Disposed: a new warning for the same key may be raised.
    store.save_warning(&crate::StoredWarning { id, status: "disposed".into(), ..w.clone() }).await.expect("dispose");
    let third = store.save_warning(&w).await.expect("same key after disposal");
    let all = store.list_warnings(&crate::WarningQuery { limit: 10, ..Default::default() }).await.expect("list");
    assert_eq!(all.iter().map(|x| x.id).collect::<Vec<_>>(), vec![third, other, id], "newest first");
    let live = crate::WarningQuery { statuses: vec!["open".into(), "acknowledged".into()], limit: 10, ..Default::default() };
    assert_eq!(store.list_warnings(&live).await.expect("list").len(), 2);
    let mine = crate::WarningQuery { recipients: Some(vec![OrgId(5)]), ..live.clone() };
    assert_eq!(store.list_warnings(&mine).await.expect("list").iter().map(|x| x.id).collect::<Vec<_>>(), vec![other]);
    let keyed = crate::WarningQuery { rule_id: Some("similar_in_place".into()), key: Some(w.key.clone()), limit: 10, ..Default::default() };
    assert_eq!(store.list_warnings(&keyed).await.expect("list").len(), 2);
    assert_eq!(store.list_warnings(&crate::WarningQuery { recipients: Some(vec![]), limit: 10, ..Default::default() }).await.expect("list").len(), 0);
    assert_eq!(store.get_warning(9999).await.expect("get"), None);
    let missing = store.save_warning(&crate::StoredWarning { id: 9999, ..w }).await;
    assert_eq!(missing, Err(StoreError::NotFound));
}

// Routine duties (零报告, 矛盾纠纷排查), issue 6.
mod dossiers;
mod duties;
pub use duties::*;
pub use dossiers::*;
