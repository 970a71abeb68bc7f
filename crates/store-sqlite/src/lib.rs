//! Embedded SQLite implementation of [`redress_store::Store`].
//!
//! One writer thread owns the only write connection and commits requests in groups (see
//! `writer.rs`): an `Ok` from a write means its batch was committed with `synchronous=FULL`,
//! i.e. fsync'd. Reads go to a small pool of read-only connections, which WAL lets run
//! alongside the writer. Schema changes are the SQL files under `migrations/`.

mod admin;
mod cases;
mod codec;
// Routine duties (零报告, 矛盾纠纷排查), issue 6.
mod dossiers;
mod duties;
mod facts;
mod migrate;
mod query;
mod reader;
mod writer;

use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use rusqlite::{params, Connection, OpenFlags};
use tokio::sync::oneshot;

use redress_domain::{Case, CaseId, Org, OrgId, TrackingCode, UserId};
use redress_store::{
    AccessRecord, ApiToken, AppendWrite, CasePage, CaseQuery, NewCaseWrite, PersonalRecord, Result, Session,
    Store, StoreError, StoredEvent, User,
};

use crate::cases::{AppendReq, CaseRow, CreateReq, EventRow};
use crate::codec::{map_err, to_json, ts};
use crate::reader::Readers;
use crate::writer::Writer;

pub struct SqliteStore {
    path: PathBuf,
    // Readers are dropped before the writer, so the writer's connection is the last to
    // close and checkpoints the WAL into the main file.
    readers: Readers,
    writer: Writer,
    // Last, so it runs after every connection has closed.
    cleanup: Option<RemoveFiles>,
}

/// Deletes a database file and its companions when dropped (throw-away test databases).
struct RemoveFiles(PathBuf);

impl Drop for RemoveFiles {
    fn drop(&mut self) {
        for suffix in ["", "-wal", "-shm", "-journal"] {
            let mut p = self.0.as_os_str().to_owned();
            p.push(suffix);
            let _ = std::fs::remove_file(p);
        }
    }
}

/// Group-commit counters since the store was opened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WriteStats {
    /// Transactions committed (or attempted).
    pub batches: u64,
    /// Write requests received.
    pub requests: u64,
    /// Requests waiting for the writer right now.
    pub queued: u64,
}

/// The settings the write connection actually runs with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pragmas {
    pub journal_mode: String,
    /// 2 is FULL.
    pub synchronous: i64,
    pub foreign_keys: bool,
    pub busy_timeout_ms: i64,
}

impl SqliteStore {
    /// Opens (creating if missing) the database file at `path`. Does not migrate.
    pub fn open(path: impl AsRef<Path>) -> Result<SqliteStore> {
        let path = path.as_ref().to_path_buf();
        let conn = open_writer(&path)?;
        let readers = Readers::new(&path)?;
        let writer = Writer::start(conn)?;
        Ok(SqliteStore { path, readers, writer, cleanup: None })
    }

    /// Opens `sqlite://PATH` or `sqlite:PATH` (`sqlite:///abs/path.db` for an absolute path).
    /// A `?query` suffix, as other tools write, is ignored.
    pub fn open_url(url: &str) -> Result<SqliteStore> {
        let rest = url
            .strip_prefix("sqlite://")
            .or_else(|| url.strip_prefix("sqlite:"))
            .ok_or_else(|| StoreError::Other(format!("不是 SQLite 数据库地址：{url}（应为 sqlite://文件路径）")))?;
        let path = rest.split('?').next().unwrap_or_default();
        if path.is_empty() {
            return Err(StoreError::Other(format!("数据库地址缺少文件路径：{url}")));
        }
        SqliteStore::open(path)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Copies a consistent snapshot of the database to `dest` with SQLite's online backup,
    /// while writes go on. The copy is written beside `dest` and renamed into place, so
    /// `dest` never holds half a backup. Blocking: call from `spawn_blocking` in async code.
    pub fn backup_to(&self, dest: impl AsRef<Path>) -> Result<()> {
        let src = self.readers.open_one()?;
        backup_from(&src, dest.as_ref(), &mut |_, _| {})
    }

    pub fn write_stats(&self) -> WriteStats {
        WriteStats {
            batches: self.writer.stats.batches.load(Ordering::Relaxed),
            requests: self.writer.stats.requests.load(Ordering::Relaxed),
            queued: self.writer.queued() as u64,
        }
    }

    /// The pragmas in effect on the write connection, for diagnostics.
    pub async fn pragmas(&self) -> Result<Pragmas> {
        self.writer
            .call(|c| {
                let q = |name: &str| c.pragma_query_value(None, name, |r| r.get::<_, rusqlite::types::Value>(0));
                let int = |name: &str| c.pragma_query_value(None, name, |r| r.get::<_, i64>(0));
                Ok(Pragmas {
                    journal_mode: match q("journal_mode") {
                        Ok(rusqlite::types::Value::Text(s)) => s,
                        other => format!("{other:?}"),
                    },
                    synchronous: int("synchronous").map_err(map_err)?,
                    foreign_keys: int("foreign_keys").map_err(map_err)? == 1,
                    busy_timeout_ms: int("busy_timeout").map_err(map_err)?,
                })
            })
            .await
    }

    /// Test support: blocks the writer thread until the returned guard is dropped, so that
    /// requests sent meanwhile are committed together as one batch. Drop the guard before
    /// the store: dropping the store waits for the writer.
    #[doc(hidden)]
    pub async fn hold_writer(&self) -> Result<WriterHold> {
        let (started_tx, started_rx) = oneshot::channel();
        let (release, released) = std::sync::mpsc::channel::<()>();
        let _reply = self
            .writer
            .submit(move |_| {
                let _ = started_tx.send(());
                let _ = released.recv();
                Ok(())
            })
            .await?;
        started_rx.await.map_err(|_| StoreError::Other("写入线程未响应".into()))?;
        Ok(WriterHold { _release: release })
    }

    /// Test support: the database files are deleted when the store is dropped.
    #[doc(hidden)]
    pub fn delete_files_on_drop(mut self) -> SqliteStore {
        self.cleanup = Some(RemoveFiles(self.path.clone()));
        self
    }

    /// Test support: runs SQL on the write connection inside the next batch (used to
    /// simulate a full disk with `max_page_count`, or a read-only file with `query_only`).
    #[doc(hidden)]
    pub async fn execute_on_writer(&self, sql: &str) -> Result<()> {
        let sql = sql.to_string();
        self.writer.call(move |c| c.execute_batch(&sql).map_err(map_err)).await
    }
}

/// Keeps the writer blocked while alive; see [`SqliteStore::hold_writer`].
#[doc(hidden)]
pub struct WriterHold {
    _release: std::sync::mpsc::Sender<()>,
}

fn open_writer(path: &Path) -> Result<Connection> {
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_CREATE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = Connection::open_with_flags(path, flags).map_err(map_err)?;
    conn.busy_timeout(std::time::Duration::from_millis(5000)).map_err(map_err)?;
    let mode: String = conn.pragma_update_and_check(None, "journal_mode", "WAL", |r| r.get(0)).map_err(map_err)?;
    if !mode.eq_ignore_ascii_case("wal") {
        return Err(StoreError::Storage(format!("无法将 {} 切换到 WAL 模式（当前为 {mode}）", path.display())));
    }
    // FULL: the WAL is fsync'd at every commit, so a returned Ok survives power loss.
    conn.pragma_update(None, "synchronous", "FULL").map_err(map_err)?;
    conn.pragma_update(None, "foreign_keys", "ON").map_err(map_err)?;
    conn.pragma_update(None, "cache_size", -65_536).map_err(map_err)?;
    // Each request runs in a savepoint; keep its undo journal in memory, not in a temp file.
    conn.pragma_update(None, "temp_store", "MEMORY").map_err(map_err)?;
    conn.pragma_update(None, "journal_size_limit", 64 * 1024 * 1024).map_err(map_err)?;
    conn.set_prepared_statement_cache_capacity(64);
    Ok(conn)
}

/// Pages copied per backup step (4 MiB at the default page size).
const BACKUP_STEP_PAGES: i32 = 1024;

/// Online backup of the SQLite database file at `src` (which a running server may be writing)
/// to `dest`, without opening a store: for `redress backup`. `progress(done, total)` is
/// called in pages after each step. Blocking.
pub fn backup_file(src: &Path, dest: &Path, progress: &mut dyn FnMut(u64, u64)) -> Result<()> {
    if !src.exists() {
        return Err(StoreError::Other(format!("数据库文件 {} 不存在", src.display())));
    }
    let conn = reader::open_reader(src)?;
    backup_from(&conn, dest, progress)
}

/// Copies the database behind `src` into `dest` (written as `dest.partial`, then renamed).
fn backup_from(src: &Connection, dest: &Path, progress: &mut dyn FnMut(u64, u64)) -> Result<()> {
    let mut partial = dest.as_os_str().to_owned();
    partial.push(".partial");
    let partial = PathBuf::from(partial);
    let storage = |e: std::io::Error| StoreError::Storage(format!("无法写入备份文件 {}：{e}", dest.display()));
    if partial.exists() {
        std::fs::remove_file(&partial).map_err(storage)?;
    }
    if let Err(e) = copy_database(src, &partial, progress) {
        let _ = std::fs::remove_file(&partial);
        return Err(e);
    }
    std::fs::rename(&partial, dest).map_err(storage)?;
    // The rename is durable only once the directory entry is.
    let dir = dest.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
    std::fs::File::open(dir).and_then(|d| d.sync_all()).map_err(storage)
}

/// Copies page by page inside one read transaction on `src`. The open read transaction pins a
/// WAL snapshot: writers go on committing to the WAL meanwhile (they are never blocked), and
/// their commits cannot restart the copy, so the result is the database as of the start.
fn copy_database(src: &Connection, dest: &Path, progress: &mut dyn FnMut(u64, u64)) -> Result<()> {
    use rusqlite::backup::{Backup, StepResult};
    src.execute_batch("BEGIN DEFERRED").map_err(map_err)?;
    let copied = (|| {
        // The first read starts the snapshot.
        src.query_row("SELECT count(*) FROM sqlite_master", [], |r| r.get::<_, i64>(0)).map_err(map_err)?;
        let mut dst = Connection::open(dest).map_err(map_err)?;
        {
            let backup = Backup::new(src, &mut dst).map_err(map_err)?;
            loop {
                let step = backup.step(BACKUP_STEP_PAGES).map_err(map_err)?;
                let p = backup.progress();
                let total = p.pagecount.max(0) as u64;
                progress(total.saturating_sub(p.remaining.max(0) as u64), total);
                match step {
                    StepResult::Done => break,
                    StepResult::More => {}
                    // The destination is ours alone; the source only needs a shared lock
                    // that WAL readers always get. Wait a little on anything else.
                    StepResult::Busy | StepResult::Locked => std::thread::sleep(std::time::Duration::from_millis(20)),
                    other => return Err(StoreError::Unavailable(format!("备份未完成：{other:?}"))),
                }
            }
        }
        // A single self-contained file, with nothing left in a -wal beside it.
        dst.pragma_update(None, "journal_mode", "DELETE").map_err(map_err)?;
        dst.close().map_err(|(_, e)| map_err(e))
    })();
    let _ = src.execute_batch("COMMIT");
    copied
}

/// Restores the database file `backup` (made by [`backup_file`]) into `dest` through SQLite's
/// backup API, so a stale `-wal` beside `dest` cannot mix with the restored pages. Refuses
/// a `dest` that already holds tables unless `force`. Blocking; no server may be running on
/// `dest`.
pub fn restore_file(backup: &Path, dest: &Path, force: bool, progress: &mut dyn FnMut(u64, u64)) -> Result<()> {
    use rusqlite::backup::{Backup, StepResult};
    if !backup.exists() {
        return Err(StoreError::Other(format!("备份文件 {} 不存在", backup.display())));
    }
    let src = Connection::open_with_flags(backup, OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX).map_err(map_err)?;
    let check: String = src.query_row("PRAGMA quick_check", [], |r| r.get(0)).map_err(map_err)?;
    if check != "ok" {
        return Err(StoreError::Storage(format!("备份文件 {} 已损坏：{check}", backup.display())));
    }
    let has_chain: i64 = src
        .query_row("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'events'", [], |r| r.get(0))
        .map_err(map_err)?;
    if has_chain == 0 {
        return Err(StoreError::Other(format!("{} 不是 redress 的 SQLite 备份（没有事件表）", backup.display())));
    }
    let mut dst = open_writer(dest)?;
    let tables: i64 = dst.query_row("SELECT count(*) FROM sqlite_master WHERE type = 'table'", [], |r| r.get(0)).map_err(map_err)?;
    if tables > 0 && !force {
        return Err(StoreError::Other(format!(
            "目标数据库 {} 已有数据，未恢复；确认要覆盖时加 --force（请先停止使用该数据库的服务）",
            dest.display()
        )));
    }
    {
        let restore = Backup::new(&src, &mut dst).map_err(map_err)?;
        loop {
            let step = restore.step(BACKUP_STEP_PAGES).map_err(map_err)?;
            let p = restore.progress();
            let total = p.pagecount.max(0) as u64;
            progress(total.saturating_sub(p.remaining.max(0) as u64), total);
            match step {
                StepResult::Done => break,
                StepResult::More => {}
                StepResult::Busy | StepResult::Locked => {
                    return Err(StoreError::Unavailable(format!("目标数据库 {} 正被使用，请先停止服务", dest.display())))
                }
                other => return Err(StoreError::Unavailable(format!("恢复未完成：{other:?}"))),
            }
        }
    }
    // Back to WAL for the server, and everything checkpointed into the main file.
    dst.pragma_update(None, "journal_mode", "WAL").map_err(map_err)?;
    dst.execute_batch("PRAGMA wal_checkpoint(TRUNCATE)").map_err(map_err)?;
    dst.close().map_err(|(_, e)| map_err(e))
}

#[async_trait]
impl Store for SqliteStore {
    fn backend(&self) -> &'static str {
        "sqlite"
    }

    fn runtime_stats(&self) -> Vec<redress_store::StoreStat> {
        let w = self.write_stats();
        let stat = |name, help, counter, value: u64| redress_store::StoreStat { name, help, counter, value: value as f64 };
        vec![
            stat("write_queue_depth", "Write requests waiting for the group-commit writer.", false, w.queued),
            stat("write_batches_total", "Transactions committed by the group-commit writer.", true, w.batches),
            stat("write_requests_total", "Write requests received by the group-commit writer.", true, w.requests),
        ]
    }

    async fn migrate(&self) -> Result<()> {
        self.writer.call(migrate::apply).await
    }

    async fn create_case(&self, new: NewCaseWrite) -> Result<(Case, Vec<StoredEvent>)> {
        if new.events.is_empty() || new.case.version as usize != new.events.len() {
            return Err(StoreError::Other(format!(
                "新事项的版本应等于事件数 {}，实为 {}",
                new.events.len(),
                new.case.version
            )));
        }
        let req = CreateReq {
            events: new.events.iter().map(EventRow::new).collect::<Result<_>>()?,
            personal: new.personal.as_ref().map(to_json).transpose()?,
            case: new.case,
            derived: new.derived,
        };
        self.writer.call(move |c| cases::create(c, req)).await
    }

    async fn append(&self, w: AppendWrite) -> Result<Vec<StoredEvent>> {
        let expected_after = w.expected_version as usize + w.events.len();
        if w.case.version as usize != expected_after {
            return Err(StoreError::Other(format!(
                "事项版本不符：预期版本 {} 加 {} 个事件应为 {expected_after}，实为 {}",
                w.expected_version,
                w.events.len(),
                w.case.version
            )));
        }
        let req = AppendReq {
            id: w.case.id,
            row: CaseRow::new(&w.case, &w.derived)?,
            expected: w.expected_version,
            events: w.events.iter().map(EventRow::new).collect::<Result<_>>()?,
            orgs: cases::org_ids(&w.derived),
            facts: w.derived.facts.clone(),
            purge_personal: w.purge_personal,
        };
        self.writer.call(move |c| cases::append(c, req)).await
    }

    async fn get_case(&self, id: CaseId) -> Result<Option<Case>> {
        self.readers.quick(move |c| cases::get(c, id)).await
    }

    async fn get_case_by_code(&self, code: &TrackingCode) -> Result<Option<Case>> {
        let code = code.clone();
        self.readers.quick(move |c| cases::get_by_code(c, &code)).await
    }

    async fn list_cases(&self, query: &CaseQuery) -> Result<CasePage> {
        let query = query.clone();
        self.readers.call(move |c| query::list(c, &query)).await
    }

    async fn count_cases(&self) -> Result<i64> {
        self.readers.call(|c| cases::scalar(c, "SELECT COUNT(*) FROM cases")).await
    }

    async fn count_by_status(&self) -> Result<Vec<(redress_domain::Status, i64)>> {
        self.readers.call(|c| cases::count_by_status(c)).await
    }

    async fn count_by_satisfaction(&self) -> Result<Vec<(redress_domain::case::Satisfaction, i64)>> {
        self.readers.call(|c| cases::count_by_satisfaction(c)).await
    }

    async fn fact_groups(&self, q: &redress_store::FactQuery) -> Result<Vec<redress_store::FactGroup>> {
        let q = q.clone();
        self.readers.call(move |c| facts::groups(c, &q)).await
    }

    async fn fact_dims(&self, q: &redress_store::FactQuery) -> Result<Vec<redress_store::DimGroup>> {
        let q = q.clone();
        self.readers.call(move |c| facts::dims(c, &q)).await
    }

    async fn overdue_groups(&self, q: &redress_store::FactQuery, now: DateTime<Utc>) -> Result<Vec<redress_store::FactGroup>> {
        let q = q.clone();
        self.readers.call(move |c| facts::overdue(c, &q, now)).await
    }

    async fn fact_case_ids(&self, q: &redress_store::FactQuery, overdue_at: Option<DateTime<Utc>>, limit: u32, offset: u32) -> Result<(Vec<CaseId>, i64)> {
        let q = q.clone();
        self.readers.call(move |c| facts::case_ids(c, &q, overdue_at, limit, offset)).await
    }

    async fn put_facts(&self, all: Vec<(CaseId, redress_store::CaseFacts)>) -> Result<()> {
        // A few hundred per write: within one savepoint SQLite's cost per triggered statement
        // grows with the pages the transaction has dirtied (5,000 facts in one write ran at
        // 800/s, 200 at 8,000/s).
        for chunk in all.chunks(200) {
            let chunk = chunk.to_vec();
            self.writer.call(move |c| chunk.iter().try_for_each(|(id, f)| facts::upsert(c, *id, f))).await?;
        }
        Ok(())
    }

    async fn facts_after(&self, after: CaseId, limit: u32) -> Result<Vec<(CaseId, redress_store::CaseFacts)>> {
        self.readers.call(move |c| facts::after(c, after, limit)).await
    }

    async fn count_facts(&self) -> Result<i64> {
        self.readers.call(|c| cases::scalar(c, "SELECT COUNT(*) FROM case_facts")).await
    }

    async fn save_warning(&self, w: &redress_store::StoredWarning) -> Result<i64> {
        let w = w.clone();
        self.writer.call(move |c| facts::save_warning(c, &w)).await
    }

    async fn get_warning(&self, id: i64) -> Result<Option<redress_store::StoredWarning>> {
        let q = redress_store::WarningQuery { limit: 1, ..Default::default() };
        self.readers.call(move |c| facts::list_warnings(c, &q, Some(id))).await.map(|mut v| v.pop())
    }

    async fn list_warnings(&self, q: &redress_store::WarningQuery) -> Result<Vec<redress_store::StoredWarning>> {
        let q = q.clone();
        self.readers.call(move |c| facts::list_warnings(c, &q, None)).await
    }

    async fn cases_in_range(&self, from: CaseId, to: CaseId) -> Result<Vec<Case>> {
        self.readers.call(move |c| cases::in_range(c, from, to)).await
    }

    async fn case_json_in_range(&self, from: CaseId, to: CaseId) -> Result<Vec<String>> {
        self.readers.call(move |c| cases::json_in_range(c, from, to)).await
    }

    async fn max_case_id(&self) -> Result<CaseId> {
        self.readers.call(|c| cases::scalar(c, "SELECT COALESCE(MAX(id), 0) FROM cases").map(CaseId)).await
    }

    async fn case_events(&self, id: CaseId) -> Result<Vec<StoredEvent>> {
        self.readers.call(move |c| cases::case_events(c, id)).await
    }

    async fn events_after(&self, after: i64, limit: u32) -> Result<Vec<StoredEvent>> {
        self.readers.call(move |c| cases::events_after(c, after, limit)).await
    }

    async fn events_in_case_range(&self, from: CaseId, to: CaseId) -> Result<Vec<StoredEvent>> {
        self.readers.call(move |c| cases::events_in_case_range(c, from, to)).await
    }

    async fn chain_head(&self) -> Result<(i64, String)> {
        self.readers.quick(cases::head).await
    }

    async fn personal_data(&self, id: CaseId) -> Result<Option<PersonalRecord>> {
        self.readers.quick(move |c| cases::personal(c, id)).await
    }

    async fn record_access(&self, rec: AccessRecord) -> Result<()> {
        let fields = to_json(&rec.fields)?;
        self.writer.call(move |c| admin::record_access(c, &rec, &fields)).await
    }

    async fn access_log(&self, case: Option<CaseId>, limit: u32) -> Result<Vec<AccessRecord>> {
        self.readers.call(move |c| admin::access_log(c, case, limit)).await
    }

    async fn save_org(&self, org: &Org) -> Result<OrgId> {
        let kind = admin::org_kind(org)?;
        let org = org.clone();
        self.writer.call(move |c| admin::save_org(c, &org, &kind)).await
    }

    async fn list_orgs(&self) -> Result<Vec<Org>> {
        self.readers.call(admin::list_orgs).await
    }

    async fn save_user(&self, user: &User) -> Result<UserId> {
        let roles = admin::user_roles(user)?;
        let user = user.clone();
        self.writer.call(move |c| admin::save_user(c, &user, &roles)).await
    }

    async fn get_user(&self, id: UserId) -> Result<Option<User>> {
        self.readers.quick(move |c| Ok(admin::users(c, "WHERE id = ?1", [id.0])?.pop())).await
    }

    async fn get_user_by_name(&self, username: &str) -> Result<Option<User>> {
        let name = username.to_string();
        self.readers.quick(move |c| Ok(admin::users(c, "WHERE username = ?1", [name])?.pop())).await
    }

    async fn list_users(&self) -> Result<Vec<User>> {
        self.readers.call(|c| admin::users(c, "ORDER BY id", [])).await
    }

    async fn save_session(&self, s: &Session) -> Result<()> {
        let s = s.clone();
        self.writer.call(move |c| admin::save_session(c, &s)).await
    }

    async fn get_session(&self, token_hash: &str) -> Result<Option<Session>> {
        let h = token_hash.to_string();
        self.readers.quick(move |c| admin::get_session(c, &h)).await
    }

    async fn delete_session(&self, token_hash: &str) -> Result<()> {
        let h = token_hash.to_string();
        self.writer.call(move |c| admin::change(c, "DELETE FROM sessions WHERE token_hash = ?1", [h]).map(drop)).await
    }

    async fn purge_sessions(&self, now: DateTime<Utc>) -> Result<u64> {
        self.writer.call(move |c| admin::change(c, "DELETE FROM sessions WHERE expires_at < ?1", [ts(now)])).await
    }

    async fn save_api_token(&self, t: &ApiToken) -> Result<()> {
        let t = t.clone();
        self.writer.call(move |c| admin::save_api_token(c, &t)).await
    }

    async fn get_api_token(&self, token_hash: &str) -> Result<Option<ApiToken>> {
        let h = token_hash.to_string();
        self.readers.quick(move |c| Ok(admin::api_tokens(c, "WHERE token_hash = ?1", [h])?.pop())).await
    }

    async fn list_api_tokens(&self) -> Result<Vec<ApiToken>> {
        self.readers.call(|c| admin::api_tokens(c, "ORDER BY created_at, token_hash", [])).await
    }

    async fn get_setting(&self, key: &str) -> Result<Option<String>> {
        let key = key.to_string();
        self.readers.quick(move |c| admin::get_setting(c, &key)).await
    }

    async fn put_setting(&self, key: &str, value: &str) -> Result<()> {
        let (key, value) = (key.to_string(), value.to_string());
        let sql = "INSERT INTO settings (key, value) VALUES (?1, ?2)
                   ON CONFLICT (key) DO UPDATE SET value = excluded.value";
        self.writer.call(move |c| admin::change(c, sql, params![key, value]).map(drop)).await
    }

    async fn put_blob(&self, sha256: &str, mime: &str, bytes: Vec<u8>) -> Result<()> {
        let (sha256, mime) = (sha256.to_string(), mime.to_string());
        // Content-addressed: an existing row already holds these bytes.
        let sql = "INSERT INTO blobs (sha256, mime, bytes) VALUES (?1, ?2, ?3) ON CONFLICT (sha256) DO NOTHING";
        self.writer.call(move |c| admin::change(c, sql, params![sha256, mime, bytes]).map(drop)).await
    }

    async fn get_blob(&self, sha256: &str) -> Result<Option<(String, Vec<u8>)>> {
        let sha256 = sha256.to_string();
        self.readers.call(move |c| admin::get_blob(c, &sha256)).await
    }

    async fn try_lease(&self, job: &str, holder: &str, now: DateTime<Utc>, ttl_secs: i64) -> Result<Option<i64>> {
        let (job, holder) = (job.to_string(), holder.to_string());
        self.writer.call(move |c| admin::try_lease(c, &job, &holder, now, ttl_secs)).await
    }

    async fn release_lease(&self, job: &str, holder: &str) -> Result<()> {
        let (job, holder) = (job.to_string(), holder.to_string());
        let now = ts(Utc::now());
        let sql = "UPDATE leases SET expires_at = ?3 WHERE job = ?1 AND holder = ?2 AND expires_at > ?3";
        self.writer.call(move |c| admin::change(c, sql, params![job, holder, now]).map(drop)).await
    }

    async fn leases(&self) -> Result<Vec<redress_store::Lease>> {
        self.readers.call(admin::leases).await
    }

    async fn claim_job_run(
        &self,
        job: &str,
        slot: i64,
        slot_at: DateTime<Utc>,
        holder: &str,
        epoch: i64,
        now: DateTime<Utc>,
    ) -> Result<redress_store::Claim> {
        let (job, holder) = (job.to_string(), holder.to_string());
        self.writer.call(move |c| admin::claim_job_run(c, &job, slot, slot_at, &holder, epoch, now)).await
    }

    async fn finish_job_run(&self, job: &str, slot: i64, holder: &str, epoch: i64, now: DateTime<Utc>, outcome: &str) -> Result<bool> {
        let (job, holder, outcome) = (job.to_string(), holder.to_string(), outcome.to_string());
        self.writer.call(move |c| admin::finish_job_run(c, &job, slot, &holder, epoch, now, &outcome)).await
    }

    async fn job_runs(&self, job: Option<&str>, limit: u32) -> Result<Vec<redress_store::JobRun>> {
        let job = job.map(str::to_string);
        self.readers.call(move |c| admin::job_runs(c, job.as_deref(), limit)).await
    }

    async fn add_reminders(&self, reminders: &[redress_store::Reminder]) -> Result<u64> {
        let reminders = reminders.to_vec();
        self.writer.call(move |c| admin::add_reminders(c, &reminders)).await
    }

    async fn reminders(&self, case: Option<CaseId>, limit: u32) -> Result<Vec<redress_store::Reminder>> {
        self.readers.call(move |c| admin::reminders(c, case, limit)).await
    }

    async fn rate_hit(&self, key: &str, window_start: DateTime<Utc>, add: i64) -> Result<i64> {
        let key = key.to_string();
        let sql = "INSERT INTO rate_windows (key, window_start, hits) VALUES (?1, ?2, max(?3, 0))
                   ON CONFLICT (key, window_start) DO UPDATE SET hits = max(rate_windows.hits + ?3, 0) RETURNING hits";
        self.writer
            .call(move |c| {
                c.prepare_cached(sql)
                    .and_then(|mut s| s.query_row(params![key, ts(window_start), add], |r| r.get(0)))
                    .map_err(crate::codec::map_err)
            })
            .await
    }

    async fn purge_rate_windows(&self, before: DateTime<Utc>) -> Result<u64> {
        self.writer.call(move |c| admin::change(c, "DELETE FROM rate_windows WHERE window_start < ?1", [ts(before)])).await
    }

    // ----- routine duties (issue 6, migration 0011) -----

    async fn add_nil_report(&self, r: &redress_store::NilReport) -> Result<i64> {
        let r = r.clone();
        self.writer.call(move |c| duties::add_nil_report(c, &r)).await
    }

    async fn nil_reports(&self, q: &redress_store::NilReportQuery) -> Result<Vec<redress_store::NilReport>> {
        let q = q.clone();
        self.readers.call(move |c| duties::nil_reports(c, &q)).await
    }

    async fn add_duty_reminders(&self, reminders: &[redress_store::DutyReminder]) -> Result<u64> {
        let reminders = reminders.to_vec();
        self.writer.call(move |c| duties::add_duty_reminders(c, &reminders)).await
    }

    async fn duty_reminders(&self, unit: Option<OrgId>, limit: u32) -> Result<Vec<redress_store::DutyReminder>> {
        self.readers.call(move |c| duties::duty_reminders(c, unit, limit)).await
    }

    async fn save_campaign(&self, camp: &redress_store::StoredCampaign, note: &redress_store::DutyNote) -> Result<i64> {
        let (camp, note) = (camp.clone(), note.clone());
        self.writer.call(move |c| duties::save_campaign(c, &camp, &note)).await
    }

    async fn get_campaign(&self, id: i64) -> Result<Option<redress_store::StoredCampaign>> {
        self.readers.call(move |c| duties::get_campaign(c, id)).await
    }

    async fn list_campaigns(&self, limit: u32) -> Result<Vec<redress_store::StoredCampaign>> {
        self.readers.call(move |c| duties::list_campaigns(c, limit)).await
    }

    async fn save_campaign_return(&self, r: &redress_store::StoredCampaignReturn, note: &redress_store::DutyNote) -> Result<i64> {
        let (r, note) = (r.clone(), note.clone());
        self.writer.call(move |c| duties::save_campaign_return(c, &r, &note)).await
    }

    async fn campaign_returns(&self, campaign: i64) -> Result<Vec<redress_store::StoredCampaignReturn>> {
        self.readers.call(move |c| duties::campaign_returns(c, campaign)).await
    }

    async fn campaign_history(&self, campaign: i64) -> Result<Vec<redress_store::DutyNote>> {
        self.readers.call(move |c| duties::campaign_history(c, campaign)).await
    }

    async fn save_dossier(&self, d: &redress_store::StoredDossier, note: &redress_store::DutyNote) -> Result<i64> {
        let (d, note) = (d.clone(), note.clone());
        self.writer.call(move |c| dossiers::save_dossier(c, &d, &note)).await
    }

    async fn get_dossier(&self, id: i64) -> Result<Option<redress_store::StoredDossier>> {
        self.readers.call(move |c| dossiers::get_dossier(c, id)).await
    }

    async fn list_dossiers(&self, q: &redress_store::DossierQuery) -> Result<Vec<redress_store::StoredDossier>> {
        let q = q.clone();
        self.readers.call(move |c| dossiers::list_dossiers(c, &q)).await
    }

    async fn dossier_history(&self, id: i64) -> Result<Vec<redress_store::DutyNote>> {
        self.readers.call(move |c| dossiers::dossier_history(c, id)).await
    }
}
