//! Group commit. One thread owns the only write connection. It takes whatever requests are
//! queued, runs them in one transaction, each in its own savepoint so a failing request is
//! undone alone, and commits once: one fsync for the whole batch.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;

use rusqlite::Connection;
use tokio::sync::{mpsc, oneshot};

use redress_store::{Result, StoreError};

use crate::codec::map_err;

/// Upper bound on requests per transaction, so one batch cannot hold replies back for long.
const MAX_BATCH: usize = 512;
/// Requests waiting for the writer; senders wait when it is full (back-pressure).
const QUEUE: usize = 8192;

/// A request as the writer thread sees it, whatever its result type.
trait WriteJob: Send {
    /// Runs inside the batch transaction; the error, if any, is also kept for the reply.
    fn run(&mut self, conn: &Connection) -> Result<()>;
    /// Replies once the batch's fate is known: a commit failure overrides success.
    fn finish(self: Box<Self>, commit: Result<()>);
}

struct Job<T, F> {
    op: Option<F>,
    out: Option<Result<T>>,
    reply: oneshot::Sender<Result<T>>,
}

impl<T, F> WriteJob for Job<T, F>
where
    T: Send,
    F: FnOnce(&Connection) -> Result<T> + Send,
{
    fn run(&mut self, conn: &Connection) -> Result<()> {
        let op = self.op.take().expect("a write job runs once");
        let out = op(conn);
        let status = out.as_ref().map(|_| ()).map_err(Clone::clone);
        self.out = Some(out);
        status
    }

    fn finish(self: Box<Self>, commit: Result<()>) {
        let out = match (self.out, commit) {
            (Some(Err(e)), _) => Err(e),
            (Some(Ok(_)), Err(e)) | (None, Err(e)) => Err(e),
            (Some(Ok(v)), Ok(())) => Ok(v),
            (None, Ok(())) => Err(StoreError::Other("写入请求未执行".into())),
        };
        // The caller may have gone away (request cancelled); the write stands regardless.
        let _ = self.reply.send(out);
    }
}

/// Counters for monitoring and tests.
#[derive(Debug, Default)]
pub(crate) struct Stats {
    pub batches: AtomicU64,
    pub requests: AtomicU64,
}

pub(crate) struct Writer {
    tx: Option<mpsc::Sender<Box<dyn WriteJob>>>,
    thread: Option<JoinHandle<()>>,
    pub stats: Arc<Stats>,
}

impl Writer {
    pub fn start(conn: Connection) -> Result<Writer> {
        let (tx, rx) = mpsc::channel(QUEUE);
        let stats = Arc::new(Stats::default());
        let thread_stats = stats.clone();
        let thread = std::thread::Builder::new()
            .name("redress-sqlite-writer".into())
            .spawn(move || run(conn, rx, &thread_stats))
            .map_err(|e| StoreError::Other(format!("无法启动写入线程：{e}")))?;
        Ok(Writer { tx: Some(tx), thread: Some(thread), stats })
    }

    /// Runs `op` on the write connection inside the next batch; resolves after the commit.
    pub async fn call<T, F>(&self, op: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T> + Send + 'static,
    {
        self.submit(op).await?.await.map_err(|_| stopped())?
    }

    pub fn queued(&self) -> usize {
        self.tx.as_ref().map_or(0, |tx| tx.max_capacity() - tx.capacity())
    }

    /// Queues `op` and returns where its result will arrive.
    pub async fn submit<T, F>(&self, op: F) -> Result<oneshot::Receiver<Result<T>>>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T> + Send + 'static,
    {
        let (reply, rx) = oneshot::channel();
        let job: Box<dyn WriteJob> = Box::new(Job { op: Some(op), out: None, reply });
        let tx = self.tx.as_ref().ok_or_else(stopped)?;
        tx.send(job).await.map_err(|_| stopped())?;
        Ok(rx)
    }
}

impl Drop for Writer {
    /// Lets the thread finish what is queued and close the connection (which checkpoints
    /// the WAL), so the file is complete once the store is dropped.
    fn drop(&mut self) {
        self.tx.take();
        if let Some(t) = self.thread.take() {
            if t.join().is_err() {
                tracing::error!("SQLite writer thread panicked");
            }
        }
    }
}

fn stopped() -> StoreError {
    StoreError::Unavailable("数据库写入线程已停止".into())
}

fn run(conn: Connection, mut rx: mpsc::Receiver<Box<dyn WriteJob>>, stats: &Stats) {
    while let Some(first) = rx.blocking_recv() {
        let mut batch = Vec::with_capacity(16);
        batch.push(first);
        while batch.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        stats.requests.fetch_add(batch.len() as u64, Ordering::Relaxed);
        stats.batches.fetch_add(1, Ordering::Relaxed);
        run_batch(&conn, batch);
    }
}

fn run_batch(conn: &Connection, batch: Vec<Box<dyn WriteJob>>) {
    // Jobs that ran inside the currently open transaction, awaiting its commit.
    let mut pending: Vec<Box<dyn WriteJob>> = Vec::with_capacity(batch.len());
    let mut in_tx = false;
    for mut job in batch {
        if !in_tx {
            if let Err(e) = exec(conn, "BEGIN IMMEDIATE") {
                job.finish(Err(e));
                continue;
            }
            in_tx = true;
        }
        match run_in_savepoint(conn, job.as_mut()) {
            Outcome::Done => pending.push(job),
            // Undone alone; failures need no commit, so they are answered at once.
            Outcome::Failed(e) => job.finish(Err(e)),
            Outcome::Aborted(e) => {
                // The transaction is gone (disk full, I/O error): the earlier jobs of this
                // batch went with it and must hear so.
                for p in pending.drain(..) {
                    p.finish(Err(e.clone()));
                }
                job.finish(Err(e));
                in_tx = false;
            }
        }
    }
    let commit = if in_tx { commit(conn) } else { Ok(()) };
    for p in pending {
        p.finish(commit.clone());
    }
}

enum Outcome {
    Done,
    /// The job failed and its savepoint was rolled back; the transaction goes on.
    Failed(StoreError),
    /// The transaction was rolled back as a whole.
    Aborted(StoreError),
}

fn run_in_savepoint(conn: &Connection, job: &mut dyn WriteJob) -> Outcome {
    if let Err(e) = exec(conn, "SAVEPOINT job") {
        return abort(conn, e);
    }
    // A panicking request must not take the only writer down with it.
    let ran = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| job.run(conn)))
        .unwrap_or_else(|_| Err(StoreError::Other("写入请求内部错误".into())));
    let err = match ran.and_then(|()| exec(conn, "RELEASE job")) {
        Ok(()) => return Outcome::Done,
        Err(e) => e,
    };
    if conn.is_autocommit() {
        return Outcome::Aborted(err);
    }
    match exec(conn, "ROLLBACK TO job").and_then(|()| exec(conn, "RELEASE job")) {
        Ok(()) => Outcome::Failed(err),
        Err(undo) => {
            // Half a request must never be committed: give up the whole transaction.
            tracing::error!(error = %undo, "rolling back a failed write request failed");
            abort(conn, err)
        }
    }
}

fn abort(conn: &Connection, e: StoreError) -> Outcome {
    if !conn.is_autocommit() {
        if let Err(r) = exec(conn, "ROLLBACK") {
            tracing::error!(error = %r, "rollback of a write batch failed");
        }
    }
    Outcome::Aborted(e)
}

fn commit(conn: &Connection) -> Result<()> {
    let r = exec(conn, "COMMIT");
    if r.is_err() && !conn.is_autocommit() {
        // COMMIT can fail and leave the transaction open (busy); nothing of it may stay.
        if let Err(e) = exec(conn, "ROLLBACK") {
            tracing::error!(error = %e, "rollback after failed commit failed");
        }
    }
    r
}

fn exec(conn: &Connection, sql: &str) -> Result<()> {
    conn.prepare_cached(sql).and_then(|mut s| s.execute([])).map(drop).map_err(map_err)
}
