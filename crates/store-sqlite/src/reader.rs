//! A small pool of read-only connections. WAL lets them read while the writer writes.
//! Queries run on the blocking pool so they never stall the async workers; lookups by key,
//! cheaper than the hand-off, run in place ([`Readers::quick`]).

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use rusqlite::{Connection, OpenFlags};
use tokio::sync::Semaphore;

use redress_store::{Result, StoreError};

use crate::codec::map_err;

/// Queries running at once on the blocking pool.
const POOL_SIZE: usize = 4;
/// Connections kept open: the blocking pool's plus one per async worker doing a quick lookup.
const MAX_IDLE: usize = 8;

pub(crate) struct Readers {
    path: PathBuf,
    idle: Arc<Mutex<Vec<Connection>>>,
    permits: Semaphore,
}

impl Readers {
    pub fn new(path: &Path) -> Result<Readers> {
        let first = open_reader(path)?;
        Ok(Readers { path: path.to_path_buf(), idle: Arc::new(Mutex::new(vec![first])), permits: Semaphore::new(POOL_SIZE) })
    }

    pub async fn call<T, F>(&self, op: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T> + Send + 'static,
    {
        let _permit = self.permits.acquire().await.map_err(|_| StoreError::Unavailable("读取连接池已关闭".into()))?;
        let idle = self.idle.clone();
        let path = self.path.clone();
        tokio::task::spawn_blocking(move || {
            let conn = match take(&idle) {
                Some(c) => c,
                None => open_reader(&path)?,
            };
            let out = op(&conn);
            give_back(&idle, conn);
            out
        })
        .await
        .map_err(|e| StoreError::Other(format!("读取任务失败：{e}")))?
    }

    /// For lookups by key, which take microseconds: runs on the calling thread when a
    /// connection is idle, sparing two thread switches through the blocking pool; otherwise
    /// goes the way of [`Readers::call`]. At most one such lookup runs per async worker
    /// thread, so connections stay few.
    pub async fn quick<T, F>(&self, op: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T> + Send + 'static,
    {
        let Some(conn) = take(&self.idle) else {
            return self.call(op).await;
        };
        let out = op(&conn);
        give_back(&self.idle, conn);
        out
    }

    /// A connection of its own, outside the pool, for long jobs such as backup.
    pub fn open_one(&self) -> Result<Connection> {
        open_reader(&self.path)
    }
}

fn take(idle: &Mutex<Vec<Connection>>) -> Option<Connection> {
    idle.lock().unwrap_or_else(|p| p.into_inner()).pop()
}

fn give_back(idle: &Mutex<Vec<Connection>>, conn: Connection) {
    let mut idle = idle.lock().unwrap_or_else(|p| p.into_inner());
    if idle.len() < MAX_IDLE {
        idle.push(conn);
    }
}

pub(crate) fn open_reader(path: &Path) -> Result<Connection> {
    let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = Connection::open_with_flags(path, flags).map_err(map_err)?;
    conn.busy_timeout(std::time::Duration::from_millis(5000)).map_err(map_err)?;
    conn.pragma_update(None, "cache_size", -16_384).map_err(map_err)?;
    conn.set_prepared_statement_cache_capacity(64);
    Ok(conn)
}
