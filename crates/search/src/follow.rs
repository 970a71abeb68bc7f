//! Keeping the index in step with the event log: a bulk build from the cases, and a follower
//! that tails the log (`events_after`) and reindexes every case an event touched.
//!
//! The index's commit payload records the last event seq it reflects, so a restarted server
//! resumes where it stopped; reindexing a case is idempotent, so replaying events that were
//! already applied is harmless. On PostgreSQL every instance runs its own follower into its own
//! directory, all tailing the one shared log.

use std::sync::Arc;
use std::time::{Duration, Instant};

use redress_domain::CaseId;
use redress_store::Store;

use crate::index::SearchIndex;
use crate::{Result, SearchError};

/// How often the follower asks the log for news.
pub const POLL: Duration = Duration::from_millis(200);
/// Commits (each makes a small segment and an fsync) are at least this far apart.
pub const COMMIT_EVERY: Duration = Duration::from_millis(500);
/// Events read per call.
pub const EVENT_BATCH: u32 = 1000;
/// A follower this many events behind rebuilds from the cases rather than replaying events.
pub const REBUILD_LAG: i64 = 200_000;

/// Counts of a bulk build.
#[derive(Debug, Clone, Copy, Default)]
pub struct BuildStats {
    pub cases: u64,
    /// Reading cases from the store (summed over batches, overlapping indexing).
    pub read_secs: f64,
    /// Until the last case was handed to the writer.
    pub feed_secs: f64,
    /// Until the commit returned: the index is searchable.
    pub total_secs: f64,
    pub last_seq: i64,
}

/// Cases read from the store per batch.
pub const BUILD_BATCH: i64 = 2000;

/// Replaces the index's content with every case in the store. The log position is taken
/// before reading, so changes made during the build are replayed by the follower afterwards.
/// `progress(done, total)` is called after each batch.
pub async fn build_from_store(index: Arc<SearchIndex>, store: Arc<dyn Store>, progress: &(dyn Fn(u64, u64) + Send + Sync)) -> Result<BuildStats> {
    let started = Instant::now();
    let (head, _) = store.chain_head().await.map_err(SearchError::Store)?;
    let total = store.count_cases().await.map_err(SearchError::Store)?.max(0) as u64;
    let max_id = store.max_case_id().await.map_err(SearchError::Store)?.0;
    index.clear()?;
    // Cases travel in their stored form: the index reads only its part of each, without
    // building whole cases.
    let (tx, mut rx) = tokio::sync::mpsc::channel::<Vec<String>>(4);
    let writer_index = index.clone();
    // The writer's own threads tokenize; this thread builds documents and feeds them.
    let feeder = tokio::task::spawn_blocking(move || -> Result<u64> {
        let mut n = 0;
        while let Some(batch) = rx.blocking_recv() {
            writer_index.add_new_case_json(&batch)?;
            n += batch.len() as u64;
        }
        Ok(n)
    });
    let mut read_secs = 0.0;
    let mut done = 0u64;
    let mut from = 1i64;
    progress(0, total);
    while from <= max_id {
        let t = Instant::now();
        let batch = store.case_json_in_range(CaseId(from), CaseId(from + BUILD_BATCH)).await.map_err(SearchError::Store)?;
        read_secs += t.elapsed().as_secs_f64();
        from += BUILD_BATCH;
        done += batch.len() as u64;
        if !batch.is_empty() && tx.send(batch).await.is_err() {
            break; // the feeder failed; its error is returned below
        }
        progress(done, total);
    }
    drop(tx);
    let cases = feeder.await.map_err(|e| SearchError::Index(e.to_string()))??;
    let feed_secs = started.elapsed().as_secs_f64();
    let commit_index = index.clone();
    tokio::task::spawn_blocking(move || commit_index.commit(head)).await.map_err(|e| SearchError::Index(e.to_string()))??;
    Ok(BuildStats { cases, read_secs, feed_secs, total_secs: started.elapsed().as_secs_f64(), last_seq: head })
}

/// Applies the events after `after` (at most [`EVENT_BATCH`]): reindexes each case they touch.
/// Returns the seq of the last event read (or `after`) and how many events there were.
pub async fn apply_events(index: &Arc<SearchIndex>, store: &dyn Store, after: i64) -> Result<(i64, usize)> {
    let events = store.events_after(after, EVENT_BATCH).await.map_err(SearchError::Store)?;
    let Some(last) = events.last().map(|e| e.seq) else { return Ok((after, 0)) };
    let mut ids: Vec<CaseId> = events.iter().map(|e| e.case_id).collect();
    ids.sort();
    ids.dedup();
    let mut cases = Vec::with_capacity(ids.len());
    for id in ids {
        cases.push((id, store.get_case(id).await.map_err(SearchError::Store)?));
    }
    let index = index.clone();
    tokio::task::spawn_blocking(move || -> Result<()> {
        for (id, case) in cases {
            match case {
                Some(c) => index.index_case(&c)?,
                None => index.delete_case(id),
            }
        }
        Ok(())
    })
    .await
    .map_err(|e| SearchError::Index(e.to_string()))??;
    Ok((last, events.len()))
}

/// Brings a freshly opened index up to the head of the log: a bulk build when it is empty or
/// far behind, else replaying the events it missed. Logs progress.
pub async fn catch_up(index: &Arc<SearchIndex>, store: &Arc<dyn Store>) -> Result<i64> {
    let _applying = index.applying.lock().await;
    let (head, _) = store.chain_head().await.map_err(SearchError::Store)?;
    let mut last = index.last_seq();
    if last > head {
        // The index is ahead of the log: another database, or a restored backup.
        tracing::warn!(index_seq = last, log_seq = head, dir = %index.dir().display(), "search index is ahead of the event log; rebuilding");
        last = 0;
    }
    if head - last > REBUILD_LAG || (last == 0 && head > 0) {
        tracing::info!(dir = %index.dir().display(), events = head - last, "building the search index from the cases");
        let logged = std::sync::Mutex::new(Instant::now());
        let stats = build_from_store(index.clone(), store.clone(), &|done, total| {
            let mut t = logged.lock().unwrap_or_else(|e| e.into_inner());
            if t.elapsed() >= Duration::from_secs(5) || done == total {
                *t = Instant::now();
                tracing::info!(done, total, "indexing cases");
            }
        })
        .await?;
        tracing::info!(cases = stats.cases, secs = format!("{:.1}", stats.total_secs), "search index built");
        last = stats.last_seq;
    }
    let behind = head - last;
    if behind > 0 {
        tracing::info!(events = behind, "search index catching up with the event log");
    }
    while last < head {
        let (next, n) = apply_events(index, store.as_ref(), last).await?;
        if n == 0 {
            break;
        }
        last = next;
    }
    let commit_index = index.clone();
    tokio::task::spawn_blocking(move || commit_index.commit(last)).await.map_err(|e| SearchError::Index(e.to_string()))??;
    Ok(last)
}

/// Follows the log until the process ends: polls every [`POLL`], commits at most every
/// [`COMMIT_EVERY`], so a new or changed case is searchable within a second. Errors (the
/// database restarting, a full disk) are logged and retried.
pub async fn follow(index: Arc<SearchIndex>, store: Arc<dyn Store>) {
    let mut last = index.last_seq();
    let mut last_commit = Instant::now();
    let mut failures = 0u32;
    loop {
        let applying = index.applying.lock().await;
        // A catch-up may have run meanwhile: start from what the index has recorded.
        last = last.max(index.last_seq());
        let applied = apply_events(&index, store.as_ref(), last).await;
        match applied {
            Ok((next, n)) => {
                failures = 0;
                last = next;
                if (index.is_dirty() || index.last_seq() != last) && last_commit.elapsed() >= COMMIT_EVERY {
                    let i = index.clone();
                    match tokio::task::spawn_blocking(move || i.commit(last)).await {
                        Ok(Ok(())) => last_commit = Instant::now(),
                        Ok(Err(e)) => tracing::error!(error = %e, "search index commit failed"),
                        Err(e) => tracing::error!(error = %e, "search index commit panicked"),
                    }
                }
                drop(applying);
                if n as u32 == EVENT_BATCH {
                    continue; // more waiting
                }
                let pending = index.is_dirty() || index.last_seq() != last;
                let wait = if pending { COMMIT_EVERY.saturating_sub(last_commit.elapsed()).min(POLL) } else { POLL };
                tokio::time::sleep(wait.max(Duration::from_millis(10))).await;
            }
            Err(e) => {
                drop(applying);
                failures += 1;
                if failures == 1 || failures.is_multiple_of(60) {
                    tracing::warn!(error = %e, failures, "search index cannot follow the event log; retrying");
                }
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        }
    }
}

/// Opens (or creates) the index, catches up and starts following in the background.
pub async fn start(dir: &std::path::Path, store: Arc<dyn Store>) -> Result<Arc<SearchIndex>> {
    let d = dir.to_path_buf();
    let index = Arc::new(tokio::task::spawn_blocking(move || SearchIndex::open(&d)).await.map_err(|e| SearchError::Index(e.to_string()))??);
    let last = catch_up(&index, &store).await?;
    tracing::info!(dir = %dir.display(), docs = index.num_docs(), last_seq = last, segmenter = ?index.segmenter(), "search index ready");
    tokio::spawn(follow(index.clone(), store));
    Ok(index)
}
