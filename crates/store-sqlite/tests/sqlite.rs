//! Behaviour specific to the SQLite backend: pragmas, group commit, storage failures, backup.

mod common;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use redress_store::conformance::{self, append_write, create, registration, verify_chain};
use redress_store::{Store, StoreError};
use redress_store_sqlite::SqliteStore;

use common::{fresh, fresh_kept, temp_db};

#[tokio::test]
async fn write_connection_runs_wal_with_full_sync() {
    let store = fresh("pragmas").await;
    let p = store.pragmas().await.unwrap();
    assert_eq!(p.journal_mode, "wal");
    assert_eq!(p.synchronous, 2, "FULL: every commit is fsync'd");
    assert!(p.foreign_keys);
    assert_eq!(p.busy_timeout_ms, 5000);
    assert_eq!(store.backend(), "sqlite");
}

#[tokio::test]
async fn open_url_accepts_both_spellings() {
    let path = temp_db("url");
    let abs = path.to_str().unwrap();
    let a = SqliteStore::open_url(&format!("sqlite://{abs}")).unwrap();
    assert_eq!(a.path(), path);
    drop(a);
    let b = SqliteStore::open_url(&format!("sqlite:{abs}?mode=rwc")).unwrap().delete_files_on_drop();
    assert_eq!(b.path(), path);
    assert!(matches!(SqliteStore::open_url("postgres://x/y"), Err(StoreError::Other(_))));
    assert!(matches!(SqliteStore::open_url("sqlite://"), Err(StoreError::Other(_))));
}

#[tokio::test]
async fn migrate_records_its_version_and_reopening_keeps_everything() {
    let store = fresh_kept("reopen").await;
    let path = store.path().to_path_buf();
    let c = create(&store, 1).await;
    store.append(append_write(&c, &[conformance::accept()], conformance::t(2, 1, 0))).await.unwrap();
    let head = store.chain_head().await.unwrap();
    drop(store);

    let reopened = SqliteStore::open(&path).unwrap().delete_files_on_drop();
    reopened.migrate().await.unwrap();
    assert_eq!(reopened.chain_head().await.unwrap(), head);
    assert_eq!(reopened.get_case(c.id).await.unwrap().unwrap().version, 2);
    verify_chain(&reopened).await;
    let raw = rusqlite::Connection::open(&path).unwrap();
    let versions: Vec<i64> =
        raw.prepare("SELECT version FROM schema_migrations").unwrap().query_map([], |r| r.get(0)).unwrap().map(Result::unwrap).collect();
    assert!(versions.starts_with(&[1, 2, 3, 4, 5, 6, 7, 8]), "{versions:?}");
    assert!(versions.contains(&11), "routine duties (issue 6): {versions:?}");
    assert!(versions.contains(&13), "sums within towns and units (issue 6): {versions:?}");
}

/// Holds the writer while `n` requests queue up, so they all land in the next batch.
async fn queue_behind_hold<T: Send + 'static>(
    store: &Arc<SqliteStore>,
    requests: Vec<tokio::task::JoinHandle<T>>,
    hold: redress_store_sqlite::WriterHold,
) -> (Vec<T>, u64) {
    let expected = requests.len() as u64;
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while store.write_stats().queued < expected {
        assert!(std::time::Instant::now() < deadline, "requests never queued");
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    let before = store.write_stats().batches;
    drop(hold);
    let mut out = Vec::new();
    for r in requests {
        out.push(r.await.expect("task"));
    }
    (out, store.write_stats().batches - before)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failing_requests_in_a_batch_do_not_affect_the_others() {
    let store = Arc::new(fresh("batch").await);
    let mut cases = Vec::new();
    for n in 1..=4 {
        cases.push(create(&*store, n).await);
    }
    let moved = append_write(&cases[0], &[conformance::accept()], conformance::t(2, 1, 0));
    store.append(moved).await.unwrap();
    let head_before = store.chain_head().await.unwrap();

    let hold = store.hold_writer().await.unwrap();
    let spawn_append = |w| {
        let s = store.clone();
        tokio::spawn(async move { s.append(w).await.map(|e| e.len()) })
    };
    let spawn_create = |n: u64| {
        let s = store.clone();
        tokio::spawn(async move { s.create_case(registration(n, conformance::matter("批内登记", 10), conformance::t(3, 1, 0))).await.map(|r| r.1.len()) })
    };
    let at = conformance::t(4, 1, 0);
    let tasks = vec![
        spawn_append(append_write(&cases[1], &[conformance::accept()], at)),
        spawn_append(append_write(&cases[0], &[conformance::note("过时版本")], at)), // stale: version is 2
        spawn_create(3),                                                            // code taken
        spawn_append(append_write(&cases[2], &[conformance::accept(), conformance::route(20)], at)),
        spawn_create(50),
        spawn_append(append_write(&cases[3], &[conformance::accept()], at)),
    ];
    let (results, batches) = queue_behind_hold(&store, tasks, hold).await;
    assert_eq!(batches, 1, "all six were committed as one batch");
    assert_eq!(
        results,
        [
            Ok(1),
            Err(StoreError::Conflict { current: 2 }),
            Err(StoreError::Duplicate { field: "tracking_code".into() }),
            Ok(2),
            Ok(1),
            Ok(1)
        ]
    );
    let chain = verify_chain(&*store).await;
    assert_eq!(chain.len() as i64, head_before.0 + 5, "exactly the successful requests' events");
    assert_eq!(store.count_cases().await.unwrap(), 5);
    assert_eq!(store.get_case(cases[0].id).await.unwrap().unwrap().version, 2, "the stale append left nothing");
    assert_eq!(store.get_case(cases[2].id).await.unwrap().unwrap().version, 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_creates_are_grouped_into_few_commits() {
    let store = Arc::new(fresh("group").await);
    let hold = store.hold_writer().await.unwrap();
    let tasks: Vec<_> = (1..=300u64)
        .map(|n| {
            let s = store.clone();
            tokio::spawn(async move {
                s.create_case(registration(n, conformance::matter("成组提交", 10), conformance::t(1, 1, 0))).await.is_ok()
            })
        })
        .collect();
    let (ok, batches) = queue_behind_hold(&store, tasks, hold).await;
    assert!(ok.iter().all(|&x| x));
    assert_eq!(batches, 1, "300 queued creates, one commit");
    assert_eq!(verify_chain(&*store).await.len(), 300);
}

/// Makes the database file unwritable for as long as it lives, by whatever this machine
/// allows: permissions, or the immutable attribute when running as root. `None` when neither
/// works (then the test falls back to SQLite's own query_only switch).
struct ReadOnlyFile {
    path: PathBuf,
    immutable: bool,
}

impl ReadOnlyFile {
    fn make(path: &Path) -> Option<ReadOnlyFile> {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o444)).ok()?;
        let mut guard = ReadOnlyFile { path: path.to_path_buf(), immutable: false };
        if std::fs::OpenOptions::new().write(true).open(path).is_ok() {
            let status = std::process::Command::new("chattr").arg("+i").arg(path).output().ok()?.status;
            guard.immutable = status.success();
            if !guard.immutable || std::fs::OpenOptions::new().write(true).open(path).is_ok() {
                return None;
            }
        }
        Some(guard)
    }
}

impl Drop for ReadOnlyFile {
    fn drop(&mut self) {
        use std::os::unix::fs::PermissionsExt;
        if self.immutable {
            let _ = std::process::Command::new("chattr").arg("-i").arg(&self.path).status();
        }
        let _ = std::fs::set_permissions(&self.path, std::fs::Permissions::from_mode(0o644));
    }
}

#[tokio::test]
async fn read_only_database_gives_storage_error_and_keeps_data() {
    let store = fresh_kept("readonly").await;
    let path = store.path().to_path_buf();
    let c = create(&store, 1).await;
    let head = store.chain_head().await.unwrap();
    drop(store);

    let guard = ReadOnlyFile::make(&path);
    let store = SqliteStore::open(&path).expect("a read-only file still opens for reading");
    if guard.is_none() {
        eprintln!("cannot make the file read-only here; simulating with PRAGMA query_only");
        store.execute_on_writer("PRAGMA query_only = 1").await.unwrap();
    }
    let err = store.create_case(registration(2, conformance::matter("只读", 10), conformance::t(2, 1, 0))).await;
    assert!(matches!(err, Err(StoreError::ReadOnly(_))), "{err:?}");
    let err = store.put_setting("k", "v").await;
    assert!(matches!(err, Err(StoreError::ReadOnly(ref m)) if m.contains("只读")), "{err:?}");
    assert_eq!(store.get_case(c.id).await.unwrap(), Some(c.clone()), "reads still work");
    drop(store);
    drop(guard);

    let store = SqliteStore::open(&path).unwrap().delete_files_on_drop();
    assert_eq!(store.chain_head().await.unwrap(), head);
    assert_eq!(store.count_cases().await.unwrap(), 1);
    verify_chain(&store).await;
    create(&store, 3).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn full_disk_gives_storage_error_and_writes_nothing() {
    let store = Arc::new(fresh("full").await);
    create(&*store, 1).await;
    let before = conformance::snapshot(&*store).await;
    let pages: i64 = rusqlite::Connection::open(store.path()).unwrap().query_row("PRAGMA page_count", [], |r| r.get(0)).unwrap();
    store.execute_on_writer(&format!("PRAGMA max_page_count = {pages}")).await.unwrap();

    let mut big = conformance::matter("超大事项", 10);
    big.content = "很长的内容。".repeat(3000);
    // A small write ahead of it in the same batch: SQLite may roll the whole transaction
    // back on SQLITE_FULL, and then that write must report failure too, not success.
    let hold = store.hold_writer().await.unwrap();
    let s = store.clone();
    let small = tokio::spawn(async move { s.put_setting("small", "v").await });
    let s = store.clone();
    let large = tokio::spawn(async move { s.create_case(registration(2, big, conformance::t(2, 1, 0))).await.map(drop) });
    let (results, batches) = queue_behind_hold(&store, vec![small, large], hold).await;
    assert_eq!(batches, 1);
    assert!(matches!(results[1], Err(StoreError::Storage(ref m)) if m.contains("SQLITE_FULL")), "{results:?}");
    let stored = store.get_setting("small").await.unwrap();
    assert_eq!(results[0].is_ok(), stored.is_some(), "the reply tells the truth: {results:?}");
    assert_eq!(conformance::snapshot(&*store).await, before, "nothing half-written");

    store.execute_on_writer("PRAGMA max_page_count = 1073741823").await.unwrap();
    create(&*store, 3).await;
    assert_eq!(verify_chain(&*store).await.len(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backup_copy_has_the_same_chain_head() {
    let store = Arc::new(fresh("backup-src").await);
    for n in 1..=20 {
        let c = create(&*store, n).await;
        store.append(append_write(&c, &[conformance::accept()], conformance::t(3, 1, 0))).await.unwrap();
    }
    store.put_blob("sha", "text/plain", b"hello".to_vec()).await.unwrap();
    let dest = temp_db("backup-dest");
    let (s, d) = (store.clone(), dest.clone());
    tokio::task::spawn_blocking(move || s.backup_to(&d)).await.unwrap().expect("backup");
    assert!(!Path::new(&format!("{}.partial", dest.display())).exists());
    assert!(!Path::new(&format!("{}-wal", dest.display())).exists(), "one self-contained file");

    let copy = SqliteStore::open(&dest).unwrap().delete_files_on_drop();
    copy.migrate().await.unwrap();
    assert_eq!(copy.chain_head().await.unwrap(), store.chain_head().await.unwrap());
    assert_eq!(copy.count_cases().await.unwrap(), 20);
    assert_eq!(copy.get_blob("sha").await.unwrap().unwrap().1, b"hello");
    assert_eq!(verify_chain(&copy).await.len(), 40);
}
