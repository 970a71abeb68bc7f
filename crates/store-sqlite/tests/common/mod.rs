//! Shared by the integration tests: fresh database files under the system temp directory.

use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};

use redress_store::Store;
use redress_store_sqlite::SqliteStore;

/// A path no other test (or test run) uses.
pub fn temp_db(tag: &str) -> PathBuf {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let dir = std::env::temp_dir().join("redress-sqlite-tests");
    std::fs::create_dir_all(&dir).expect("temp dir");
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().subsec_nanos();
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    dir.join(format!("{tag}-{}-{nanos}-{n}.db", std::process::id()))
}

/// A migrated store on a new file, deleted again when the store is dropped.
pub async fn fresh(tag: &str) -> SqliteStore {
    fresh_kept(tag).await.delete_files_on_drop()
}

/// A migrated store on a new file that outlives the store, for tests that reopen it.
pub async fn fresh_kept(tag: &str) -> SqliteStore {
    let store = SqliteStore::open(temp_db(tag)).expect("open");
    store.migrate().await.expect("migrate");
    store
}
