//! Group commit: one writer task per [`crate::PgStore`] takes case writes off a channel and
//! commits whatever is queued (up to `max_batch`) in ONE transaction, in two pipelined round
//! trips:
//!
//! 1. `BEGIN`; lock `chain_head`; lock the rows of the cases being appended to; draw ids for
//!    the new cases from the sequence.
//! 2. Bulk `INSERT ... SELECT FROM UNNEST(...)` of cases, events, case_orgs and personal data,
//!    bulk `UPDATE ... FROM UNNEST(...)` of appended cases, the new chain head, `COMMIT`
//!    (and, with overlapping commits, the flush wait of [`SQL_FLUSH`]).
//!
//! Because every appending transaction (of every instance sharing the database) locks the
//! single `chain_head` row first, the event log stays one chain with contiguous seqs.
//! Version conflicts are decided under the row locks, in request order, so one stale request
//! fails alone. If the bulk statements fail (a duplicate tracking code, say), the batch is
//! rolled back and each request is retried in its own transaction, so only the offender fails.
//!
//! With `in_flight > 1` and `overlap_commits`, a second batch may take the chain lock while
//! the first one's WAL is still being flushed; both then wait for the flush together. This
//! matters when fsync is slow (a busy or networked disk): the chain lock is otherwise held
//! through every fsync, one after another.

use std::collections::{BTreeSet, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use chrono::{DateTime, SubsecRound, Utc};
use deadpool_postgres::{Object, Pool};
use redress_domain::event::{Event, EventKind};
use redress_domain::{Case, CaseId};
use redress_store::{event_hash, AppendWrite, Derived, NewCaseWrite, Result, StoreError, StoredEvent};
use tokio::sync::{mpsc, oneshot};
use tokio_postgres::types::ToSql;
use tokio_postgres::Statement;

use crate::error::{is_connection_error, json_out, pg, pool as pool_err};

pub(crate) enum Op {
    Create(NewCaseWrite),
    Append(AppendWrite),
}

pub(crate) enum Done {
    Created(Box<Case>, Vec<StoredEvent>),
    Appended(Vec<StoredEvent>),
}

pub(crate) struct Pending {
    pub op: Op,
    pub reply: oneshot::Sender<Result<Done>>,
}

/// How the writer commits.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Config {
    pub max_batch: usize,
    /// Batches that may be committing at once (each on its own connection).
    pub in_flight: usize,
    /// While a batch is committing, another starts only with at least this many requests.
    pub min_overlap_batch: usize,
    /// Release the chain lock at COMMIT without waiting for the WAL flush, then wait for
    /// the flush before answering (see [`SQL_FLUSH`]).
    pub overlap_commits: bool,
}

/// Counters of the writer, for tests and metrics.
#[derive(Debug, Default)]
pub(crate) struct Stats {
    pub batches: AtomicU64,
    pub requests: AtomicU64,
    pub largest_batch: AtomicU64,
    /// Batches rolled back and retried one request at a time.
    pub fallbacks: AtomicU64,
}

/// Runs until every sender is gone. Up to `in_flight` batches commit at once; while all
/// slots are busy, requests queue and the next batch grows.
pub(crate) async fn run(pool: Pool, mut rx: mpsc::Receiver<Pending>, cfg: Config, stats: Arc<Stats>) {
    let in_flight = cfg.in_flight.max(1);
    let slots = Arc::new(tokio::sync::Semaphore::new(in_flight));
    let finished = Arc::new(tokio::sync::Notify::new());
    let mut last_size = 0;
    loop {
        let Ok(permit) = slots.clone().acquire_owned().await else { return };
        let Some(first) = rx.recv().await else { return };
        let mut batch: Vec<Pending> = Vec::with_capacity(cfg.max_batch.min(64));
        batch.push(first);
        drain(&mut rx, &mut batch, cfg.max_batch);
        // Another batch is committing: start one more only once about as many requests wait
        // as that one carries (at least `min_overlap_batch`); fewer wait for it to finish and
        // go together. Batches then alternate at an even size instead of one big and one
        // tiny, and stay large, which saves CPU when CPU is the limit.
        let threshold = last_size.max(cfg.min_overlap_batch).min(cfg.max_batch);
        while batch.len() < threshold && slots.available_permits() + 1 < in_flight {
            tokio::select! {
                biased;
                // Possibly a stale wake-up: the loop condition looks again.
                _ = finished.notified() => {}
                p = rx.recv() => match p {
                    Some(p) => {
                        batch.push(p);
                        drain(&mut rx, &mut batch, cfg.max_batch);
                    }
                    None => break,
                },
            }
        }
        let (ops, replies): (Vec<Op>, Vec<_>) = batch.into_iter().map(|p| (p.op, p.reply)).unzip();
        let n = ops.len();
        last_size = n;
        stats.batches.fetch_add(1, Ordering::Relaxed);
        stats.requests.fetch_add(n as u64, Ordering::Relaxed);
        stats.largest_batch.fetch_max(n as u64, Ordering::Relaxed);
        let (pool, stats, finished) = (pool.clone(), stats.clone(), finished.clone());
        tokio::spawn(async move {
            // Its own task, so that a bug that panics fails this batch, not the writer.
            let results = match tokio::spawn(async move { execute(&pool, &ops, cfg, &stats).await }).await {
                Ok(r) => r,
                Err(e) => {
                    tracing::error!(error = %e, "PostgreSQL writer batch panicked");
                    (0..n).map(|_| Err(StoreError::Other(format!("写入任务异常：{e}")))).collect()
                }
            };
            drop(permit);
            finished.notify_one();
            for (reply, result) in replies.into_iter().zip(results) {
                let _ = reply.send(result);
            }
        });
    }
}

fn drain(rx: &mut mpsc::Receiver<Pending>, batch: &mut Vec<Pending>, max: usize) {
    while batch.len() < max {
        match rx.try_recv() {
            Ok(p) => batch.push(p),
            Err(_) => break,
        }
    }
}

/// Commits a batch; falls back to one transaction per request if the bulk one is rejected.
async fn execute(pool: &Pool, ops: &[Op], cfg: Config, stats: &Stats) -> Vec<Result<Done>> {
    let refs: Vec<&Op> = ops.iter().collect();
    match attempt_with_retry(pool, &refs, cfg).await {
        Ok(results) => results,
        Err(Failure::Rejected(e)) if refs.len() > 1 => {
            tracing::debug!(error = %e, size = refs.len(), "bulk commit rejected; retrying one by one");
            stats.fallbacks.fetch_add(1, Ordering::Relaxed);
            let mut out = Vec::with_capacity(refs.len());
            for op in &refs {
                out.push(match attempt_with_retry(pool, std::slice::from_ref(op), cfg).await {
                    Ok(mut r) => r.pop().unwrap_or_else(|| Err(StoreError::Other("empty result".into()))),
                    Err(Failure::Rejected(e)) => Err(pg(e)),
                    Err(Failure::Unavailable(e)) => Err(e),
                });
            }
            out
        }
        Err(Failure::Rejected(e)) => vec![Err(pg(e))],
        Err(Failure::Unavailable(e)) => refs.iter().map(|_| Err(e.clone())).collect(),
    }
}

enum Failure {
    /// The database refused a statement; the transaction was rolled back.
    Rejected(tokio_postgres::Error),
    /// No connection, or it broke; nothing (known to be) committed.
    Unavailable(StoreError),
}

/// Where an attempt failed: before anything could have been committed, or possibly after.
enum AttemptError {
    Before(Failure),
    /// The connection broke while `COMMIT` was in flight: the outcome is unknown. Carries the
    /// last event's seq and hash, to look for after reconnecting, and the results to return
    /// if it is there.
    Ambiguous { error: StoreError, last: Option<(i64, String)>, results: Vec<Result<Done>> },
}

async fn attempt_with_retry(pool: &Pool, ops: &[&Op], cfg: Config) -> Result<Vec<Result<Done>>, Failure> {
    let mut tries = 0;
    loop {
        tries += 1;
        match attempt(pool, ops, cfg).await {
            Ok(r) => return Ok(r),
            // A stale pooled connection (server restarted): one more try on a fresh one.
            Err(AttemptError::Before(Failure::Unavailable(e))) if tries < 2 => {
                tracing::debug!(error = %e, "writer connection unavailable; retrying once");
            }
            Err(AttemptError::Before(f)) => return Err(f),
            Err(AttemptError::Ambiguous { error, last, results }) => {
                if let Some((seq, hash)) = last {
                    if committed(pool, seq, &hash).await == Some(true) {
                        tracing::warn!(error = %error, seq, "connection lost during COMMIT, but the batch is in the log");
                        return Ok(results);
                    }
                }
                return Err(Failure::Unavailable(error));
            }
        }
    }
}

/// After a connection broke during COMMIT: is our last event there? If so, wait for the WAL
/// to be flushed past it before saying yes.
async fn committed(pool: &Pool, seq: i64, hash: &str) -> Option<bool> {
    let client = pool.get().await.ok()?;
    let row = client.query_opt("SELECT hash FROM events WHERE seq = $1", &[&seq]).await.ok()?;
    let present = row.is_some_and(|r| r.get::<_, String>(0) == hash);
    if present {
        client.batch_execute(SQL_FLUSH).await.ok()?;
    }
    Some(present)
}

/// With `overlap_commits`, a batch commits with `synchronous_commit = off`, which releases the
/// chain lock as soon as the commit record is in the WAL buffers, so the next batch can run
/// while this one's WAL is being flushed. Before answering, the batch then runs this tiny
/// write in its own synchronously committed transaction: its commit waits for the WAL to be
/// flushed (and replicated, with synchronous standbys) up to its own commit record, which
/// lies after the batch's. So every `Ok` is durable, exactly as with a synchronous commit,
/// and concurrent batches share flushes. One row per backend, so these never wait on each
/// other's row locks. (Readers may see a batch for the moment between its COMMIT and that
/// flush; a crash in that moment loses the batch, whose writers were never told `Ok`.)
pub(crate) const SQL_FLUSH: &str = "INSERT INTO commit_marks (pid, n) VALUES (pg_backend_pid(), 1) \
     ON CONFLICT (pid) DO UPDATE SET n = commit_marks.n + 1";

const SQL_LOCK_HEAD: &str = "SELECT seq, hash FROM chain_head WHERE id = 1 FOR UPDATE";
const SQL_LOCK_CASES: &str = "SELECT id, version, orgs FROM cases WHERE id = ANY($1::int8[]) FOR UPDATE";
const SQL_NEXT_IDS: &str = "SELECT nextval('cases_id_seq') FROM generate_series(1, $1::int4)";
const SQL_INSERT_CASES: &str = "INSERT INTO cases (id, tracking_code, version, status, channel, matter_type, category, subject, \
     unit_id, intake_org_id, registered_at, updated_at, due_at, demo, orgs, data) \
     SELECT u.id, u.code, u.version, u.status, u.channel, u.matter_type, u.category, u.subject, u.unit_id, \
     u.intake_org_id, u.registered_at, u.updated_at, u.due_at, u.demo, \
     COALESCE(string_to_array(u.orgs, ',')::int8[], '{}'), u.data \
     FROM UNNEST($1::int8[], $2::text[], $3::int4[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], \
     $9::int8[], $10::int8[], $11::timestamptz[], $12::timestamptz[], $13::timestamptz[], $14::bool[], \
     $15::text[], $16::text[]) \
     AS u(id, code, version, status, channel, matter_type, category, subject, unit_id, intake_org_id, \
     registered_at, updated_at, due_at, demo, orgs, data)";
const SQL_UPDATE_CASES: &str = "UPDATE cases c SET version = u.version, status = u.status, channel = u.channel, \
     matter_type = u.matter_type, category = u.category, subject = u.subject, unit_id = u.unit_id, \
     intake_org_id = u.intake_org_id, registered_at = u.registered_at, updated_at = u.updated_at, \
     due_at = u.due_at, demo = u.demo, orgs = COALESCE(string_to_array(u.orgs, ',')::int8[], '{}'), data = u.data \
     FROM UNNEST($1::int8[], $2::text[], $3::int4[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], \
     $9::int8[], $10::int8[], $11::timestamptz[], $12::timestamptz[], $13::timestamptz[], $14::bool[], \
     $15::text[], $16::text[]) \
     AS u(id, code, version, status, channel, matter_type, category, subject, unit_id, intake_org_id, \
     registered_at, updated_at, due_at, demo, orgs, data) \
     WHERE c.id = u.id";
const SQL_INSERT_EVENTS: &str = "INSERT INTO events (seq, case_id, case_version, at, kind, payload, prev_hash, hash) \
     SELECT * FROM UNNEST($1::int8[], $2::int8[], $3::int4[], $4::timestamptz[], $5::text[], $6::text[], \
     $7::text[], $8::text[])";
const SQL_DELETE_ORGS: &str = "DELETE FROM case_orgs co USING UNNEST($1::int8[], $2::int8[]) AS d(org_id, case_id) \
     WHERE co.org_id = d.org_id AND co.case_id = d.case_id";
const SQL_INSERT_ORGS: &str = "INSERT INTO case_orgs (org_id, case_id) SELECT * FROM UNNEST($1::int8[], $2::int8[]) \
     ON CONFLICT DO NOTHING";
const SQL_UPSERT_PERSONAL: &str = "INSERT INTO personal_data (case_id, data) SELECT * FROM UNNEST($1::int8[], $2::text[]) \
     ON CONFLICT (case_id) DO UPDATE SET data = EXCLUDED.data";
const SQL_DELETE_PERSONAL: &str = "DELETE FROM personal_data WHERE case_id = ANY($1::int8[])";
const SQL_UPDATE_HEAD: &str = "UPDATE chain_head SET seq = $1, hash = $2 WHERE id = 1";

/// Case facts (dashboard statistics, migration 0006); the table's trigger keeps `case_rollup`.
pub(crate) const SQL_UPSERT_FACTS: &str = "INSERT INTO case_facts (case_id, month, category, status, unit_id, town_id, channel, demo, \
 timed, on_time, rated, satisfied, handling_days, due_at) \
 SELECT * FROM UNNEST($1::int8[], $2::int4[], $3::text[], $4::text[], $5::int8[], $6::int8[], $7::text[], $8::int4[], \
 $9::int4[], $10::int4[], $11::int4[], $12::int4[], $13::int4[], $14::timestamptz[]) \
 ON CONFLICT (case_id) DO UPDATE SET month = excluded.month, category = excluded.category, status = excluded.status, \
 unit_id = excluded.unit_id, town_id = excluded.town_id, channel = excluded.channel, demo = excluded.demo, \
 timed = excluded.timed, on_time = excluded.on_time, rated = excluded.rated, satisfied = excluded.satisfied, \
 handling_days = excluded.handling_days, due_at = excluded.due_at";

/// Column vectors for [`SQL_UPSERT_FACTS`].
#[derive(Default)]
pub(crate) struct FactCols {
    case_id: Vec<i64>,
    month: Vec<i32>,
    category: Vec<String>,
    status: Vec<&'static str>,
    unit: Vec<i64>,
    town: Vec<i64>,
    channel: Vec<&'static str>,
    demo: Vec<i32>,
    timed: Vec<i32>,
    on_time: Vec<i32>,
    rated: Vec<i32>,
    satisfied: Vec<i32>,
    handling_days: Vec<Option<i32>>,
    due_at: Vec<Option<DateTime<Utc>>>,
}

impl FactCols {
    pub(crate) fn push(&mut self, id: i64, f: &redress_store::CaseFacts) {
        self.case_id.push(id);
        self.month.push(f.month);
        self.category.push(f.category.clone());
        self.status.push(f.status.key());
        self.unit.push(f.unit);
        self.town.push(f.town);
        self.channel.push(f.channel.key());
        self.demo.push(f.demo.into());
        self.timed.push(f.timed.into());
        self.on_time.push(f.on_time.into());
        self.rated.push(f.rated.into());
        self.satisfied.push(f.satisfied.into());
        self.handling_days.push(f.handling_days);
        self.due_at.push(f.due_at);
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.case_id.is_empty()
    }

    pub(crate) fn params(&self) -> [&(dyn ToSql + Sync); 14] {
        [
            &self.case_id,
            &self.month,
            &self.category,
            &self.status,
            &self.unit,
            &self.town,
            &self.channel,
            &self.demo,
            &self.timed,
            &self.on_time,
            &self.rated,
            &self.satisfied,
            &self.handling_days,
            &self.due_at,
        ]
    }
}

/// A batch of new cases only: cases, events, case_orgs, personal data and the chain head in
/// one statement (the parts touch disjoint rows; empty arrays insert nothing).
const SQL_WRITE_NEW: &str = "WITH c AS (INSERT INTO cases (id, tracking_code, version, status, channel, matter_type, category, subject, \
     unit_id, intake_org_id, registered_at, updated_at, due_at, demo, orgs, data) \
     SELECT u.id, u.code, u.version, u.status, u.channel, u.matter_type, u.category, u.subject, u.unit_id, \
     u.intake_org_id, u.registered_at, u.updated_at, u.due_at, u.demo, \
     COALESCE(string_to_array(u.orgs, ',')::int8[], '{}'), u.data \
     FROM UNNEST($1::int8[], $2::text[], $3::int4[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], \
     $9::int8[], $10::int8[], $11::timestamptz[], $12::timestamptz[], $13::timestamptz[], $14::bool[], \
     $15::text[], $16::text[]) \
     AS u(id, code, version, status, channel, matter_type, category, subject, unit_id, intake_org_id, \
     registered_at, updated_at, due_at, demo, orgs, data)), \
 e AS (INSERT INTO events (seq, case_id, case_version, at, kind, payload, prev_hash, hash) \
     SELECT * FROM UNNEST($17::int8[], $18::int8[], $19::int4[], $20::timestamptz[], $21::text[], $22::text[], \
     $23::text[], $24::text[])), \
 o AS (INSERT INTO case_orgs (org_id, case_id) SELECT * FROM UNNEST($25::int8[], $26::int8[]) \
     ON CONFLICT DO NOTHING), \
 p AS (INSERT INTO personal_data (case_id, data) SELECT * FROM UNNEST($27::int8[], $28::text[]) \
     ON CONFLICT (case_id) DO UPDATE SET data = EXCLUDED.data), \
 h AS (UPDATE chain_head SET seq = $29, hash = $30 WHERE id = 1) \
 SELECT 1";

struct Statements {
    lock_head: Statement,
    lock_cases: Statement,
    next_ids: Statement,
    insert_cases: Statement,
    update_cases: Statement,
    insert_events: Statement,
    delete_orgs: Statement,
    insert_orgs: Statement,
    upsert_personal: Statement,
    delete_personal: Statement,
    update_head: Statement,
    write_new: Statement,
    upsert_facts: Statement,
}

async fn statements(client: &Object) -> Result<Statements, tokio_postgres::Error> {
    Ok(Statements {
        lock_head: client.prepare_cached(SQL_LOCK_HEAD).await?,
        lock_cases: client.prepare_cached(SQL_LOCK_CASES).await?,
        next_ids: client.prepare_cached(SQL_NEXT_IDS).await?,
        insert_cases: client.prepare_cached(SQL_INSERT_CASES).await?,
        update_cases: client.prepare_cached(SQL_UPDATE_CASES).await?,
        insert_events: client.prepare_cached(SQL_INSERT_EVENTS).await?,
        delete_orgs: client.prepare_cached(SQL_DELETE_ORGS).await?,
        insert_orgs: client.prepare_cached(SQL_INSERT_ORGS).await?,
        upsert_personal: client.prepare_cached(SQL_UPSERT_PERSONAL).await?,
        delete_personal: client.prepare_cached(SQL_DELETE_PERSONAL).await?,
        update_head: client.prepare_cached(SQL_UPDATE_HEAD).await?,
        write_new: client.prepare_cached(SQL_WRITE_NEW).await?,
        upsert_facts: client.prepare_cached(SQL_UPSERT_FACTS).await?,
    })
}

fn before(e: tokio_postgres::Error) -> AttemptError {
    if is_connection_error(&e) {
        AttemptError::Before(Failure::Unavailable(pg(e)))
    } else {
        AttemptError::Before(Failure::Rejected(e))
    }
}

/// Column vectors for the cases `INSERT`/`UPDATE`.
#[derive(Default)]
struct CaseCols {
    id: Vec<i64>,
    code: Vec<String>,
    version: Vec<i32>,
    status: Vec<&'static str>,
    channel: Vec<&'static str>,
    matter_type: Vec<&'static str>,
    category: Vec<Option<String>>,
    subject: Vec<String>,
    unit_id: Vec<Option<i64>>,
    intake_org_id: Vec<i64>,
    registered_at: Vec<DateTime<Utc>>,
    updated_at: Vec<DateTime<Utc>>,
    due_at: Vec<Option<DateTime<Utc>>>,
    demo: Vec<bool>,
    /// Comma-separated (arrays of arrays do not UNNEST row-wise); `None` for none.
    orgs: Vec<Option<String>>,
    data: Vec<String>,
}

impl CaseCols {
    fn push(&mut self, case: &Case, due_at: Option<DateTime<Utc>>, orgs: &BTreeSet<i64>, data: String) {
        self.id.push(case.id.0);
        self.code.push(case.tracking_code.as_str().to_string());
        self.version.push(case.version as i32);
        self.status.push(case.status.key());
        self.channel.push(case.matter.channel.key());
        self.matter_type.push(case.matter.matter_type.key());
        self.category.push(case.matter.category.as_deref().map(listing_text));
        self.subject.push(listing_text(&case.matter.subject));
        self.unit_id.push(case.unit.map(|o| o.0));
        self.intake_org_id.push(case.matter.intake_org.0);
        self.registered_at.push(case.registered_at);
        self.updated_at.push(case.updated_at);
        self.due_at.push(due_at);
        self.demo.push(case.matter.demo);
        self.orgs.push(if orgs.is_empty() {
            None
        } else {
            Some(orgs.iter().map(i64::to_string).collect::<Vec<_>>().join(","))
        });
        self.data.push(data);
    }

    fn is_empty(&self) -> bool {
        self.id.is_empty()
    }

    fn params(&self) -> [&(dyn ToSql + Sync); 16] {
        [
            &self.id,
            &self.code,
            &self.version,
            &self.status,
            &self.channel,
            &self.matter_type,
            &self.category,
            &self.subject,
            &self.unit_id,
            &self.intake_org_id,
            &self.registered_at,
            &self.updated_at,
            &self.due_at,
            &self.demo,
            &self.orgs,
            &self.data,
        ]
    }
}

/// PostgreSQL text cannot hold NUL; the listing columns drop it (the JSON in `data` and
/// `payload` escapes it as `\u0000`, so the case itself is stored exactly).
fn listing_text(s: &str) -> String {
    if s.contains('\0') {
        s.replace('\0', "")
    } else {
        s.to_string()
    }
}

#[derive(Default)]
struct EventCols {
    seq: Vec<i64>,
    case_id: Vec<i64>,
    case_version: Vec<i32>,
    at: Vec<DateTime<Utc>>,
    kind: Vec<String>,
    payload: Vec<String>,
    prev_hash: Vec<String>,
    hash: Vec<String>,
}

/// Assigns seqs and hashes, extending the chain.
struct Chain<'a> {
    seq: i64,
    hash: String,
    cols: &'a mut EventCols,
}

impl Chain<'_> {
    fn push(&mut self, case_id: i64, case_version: u32, event: &Event) -> Result<StoredEvent> {
        let payload = serde_json::to_string(event).map_err(json_out)?;
        let kind = match &event.kind {
            // Skip type_key()'s round trip through a Value for the big one.
            EventKind::Registered { .. } => "registered".to_string(),
            k => k.type_key(),
        };
        let seq = self.seq + 1;
        let hash = event_hash(&self.hash, seq, CaseId(case_id), case_version, &payload);
        let stored = StoredEvent {
            seq,
            case_id: CaseId(case_id),
            case_version,
            // What the TIMESTAMPTZ column gives back: microseconds.
            at: event.at.trunc_subsecs(6),
            kind: kind.clone(),
            payload: payload.clone(),
            prev_hash: std::mem::replace(&mut self.hash, hash.clone()),
            hash,
        };
        self.seq = seq;
        let c = &mut *self.cols;
        c.seq.push(seq);
        c.case_id.push(case_id);
        c.case_version.push(case_version as i32);
        c.at.push(event.at);
        c.kind.push(kind);
        c.payload.push(payload);
        c.prev_hash.push(stored.prev_hash.clone());
        c.hash.push(stored.hash.clone());
        Ok(stored)
    }
}

fn org_set(derived: &Derived) -> BTreeSet<i64> {
    derived.orgs.iter().map(|o| o.0).collect()
}

/// A locked case row as it stands during the batch.
struct Row {
    version: u32,
    /// case_orgs as stored before the batch.
    stored_orgs: BTreeSet<i64>,
    /// Index into the update vectors once a request in this batch changed it.
    update: Option<usize>,
}

/// Appended case states, one per case (a later request in the batch replaces an earlier one's).
struct Update {
    id: i64,
    case: Case,
    due_at: Option<DateTime<Utc>>,
    orgs: BTreeSet<i64>,
    facts: Option<redress_store::CaseFacts>,
    data: String,
}

async fn attempt(pool: &Pool, ops: &[&Op], cfg: Config) -> Result<Vec<Result<Done>>, AttemptError> {
    let client = pool.get().await.map_err(|e| AttemptError::Before(Failure::Unavailable(pool_err(e))))?;
    let st = statements(&client).await.map_err(before)?;

    let append_ids: Vec<i64> = {
        let mut v: Vec<i64> = ops
            .iter()
            .filter_map(|op| match op {
                Op::Append(a) => Some(a.case.id.0),
                _ => None,
            })
            .collect();
        v.sort_unstable();
        v.dedup();
        v
    };
    let creates = ops.iter().filter(|op| matches!(op, Op::Create(_))).count() as i32;

    // ---- round trip 1: begin, lock the chain head and the appended cases, draw ids ----
    let begin_sql = if cfg.overlap_commits { "BEGIN; SET LOCAL synchronous_commit TO off" } else { "BEGIN" };
    let (begin, head, locked, ids) = tokio::join!(
        biased;
        client.batch_execute(begin_sql),
        client.query_one(&st.lock_head, &[]),
        async {
            if append_ids.is_empty() {
                Ok(Vec::new())
            } else {
                client.query(&st.lock_cases, &[&append_ids]).await
            }
        },
        async {
            if creates == 0 {
                Ok(Vec::new())
            } else {
                client.query(&st.next_ids, &[&creates]).await
            }
        },
    );
    let rt1 = (|| -> Result<_, tokio_postgres::Error> { Ok((begin?, head?, locked?, ids?)) })();
    let ((), head, locked, ids) = match rt1 {
        Ok(v) => v,
        Err(e) => {
            let _ = client.batch_execute("ROLLBACK").await;
            return Err(before(e));
        }
    };

    let mut rows: HashMap<i64, Row> = locked
        .iter()
        .map(|r| {
            let id: i64 = r.get(0);
            let version: i32 = r.get(1);
            let orgs: Vec<i64> = r.get(2);
            (id, Row { version: version as u32, stored_orgs: orgs.into_iter().collect(), update: None })
        })
        .collect();
    let mut ids = ids.iter().map(|r| r.get::<_, i64>(0)).collect::<Vec<_>>().into_iter();

    // ---- in memory: conflicts, ids, payloads, hashes ----
    let mut events = EventCols::default();
    let mut chain = Chain { seq: head.get(0), hash: head.get(1), cols: &mut events };
    let mut inserts = CaseCols::default();
    let (mut org_add_org, mut org_add_case) = (Vec::<i64>::new(), Vec::<i64>::new());
    let (mut personal_ids, mut personal_data) = (Vec::<i64>::new(), Vec::<String>::new());
    let mut purge_ids: Vec<i64> = Vec::new();
    let mut updates: Vec<Update> = Vec::new();
    let mut facts = FactCols::default();
    let mut results: Vec<Result<Done>> = Vec::with_capacity(ops.len());

    for op in ops {
        match op {
            Op::Create(w) => {
                let Some(id) = ids.next() else {
                    results.push(Err(StoreError::Other("序列未返回足够的编号".into())));
                    continue;
                };
                if w.events.is_empty() || w.case.version as usize != w.events.len() {
                    results.push(Err(StoreError::Other(format!(
                        "新事项应带至少一个事件且版本等于事件数（版本 {}，事件 {} 个）",
                        w.case.version,
                        w.events.len()
                    ))));
                    continue;
                }
                let mut case = w.case.clone();
                case.id = CaseId(id);
                let prepared = (|| -> Result<(String, Option<String>)> {
                    let data = serde_json::to_string(&case).map_err(json_out)?;
                    let personal = match &w.personal {
                        Some(p) => Some(serde_json::to_string(p).map_err(json_out)?),
                        None => None,
                    };
                    Ok((data, personal))
                })();
                let (data, personal) = match prepared {
                    Ok(v) => v,
                    Err(e) => {
                        results.push(Err(e));
                        continue;
                    }
                };
                let mut stored = Vec::with_capacity(w.events.len());
                for (i, ev) in w.events.iter().enumerate() {
                    match chain.push(id, 1 + i as u32, ev) {
                        Ok(s) => stored.push(s),
                        Err(e) => {
                            let _ = client.batch_execute("ROLLBACK").await;
                            return Err(AttemptError::Before(Failure::Unavailable(e)));
                        }
                    }
                }
                let orgs = org_set(&w.derived);
                for o in &orgs {
                    org_add_org.push(*o);
                    org_add_case.push(id);
                }
                if let Some(p) = personal {
                    personal_ids.push(id);
                    personal_data.push(p);
                }
                if let Some(f) = &w.derived.facts {
                    facts.push(id, f);
                }
                inserts.push(&case, w.derived.due_at, &orgs, data);
                let r = Ok(Done::Created(Box::new(case), stored));
                results.push(r);
            }
            Op::Append(w) => {
                let id = w.case.id.0;
                let Some(row) = rows.get_mut(&id) else {
                    results.push(Err(StoreError::NotFound));
                    continue;
                };
                if row.version != w.expected_version {
                    results.push(Err(StoreError::Conflict { current: row.version }));
                    continue;
                }
                let new_version = w.expected_version as u64 + w.events.len() as u64;
                if w.case.version as u64 != new_version {
                    results.push(Err(StoreError::Other(format!(
                        "事项版本不一致：预期 {} 加 {} 个事件，状态却为版本 {}",
                        w.expected_version,
                        w.events.len(),
                        w.case.version
                    ))));
                    continue;
                }
                let data = match serde_json::to_string(&w.case) {
                    Ok(d) => d,
                    Err(e) => {
                        results.push(Err(json_out(e)));
                        continue;
                    }
                };
                let mut stored = Vec::with_capacity(w.events.len());
                let mut failed = None;
                for (i, ev) in w.events.iter().enumerate() {
                    match chain.push(id, w.expected_version + 1 + i as u32, ev) {
                        Ok(s) => stored.push(s),
                        Err(e) => {
                            failed = Some(e);
                            break;
                        }
                    }
                }
                if let Some(e) = failed {
                    // Serialisation cannot fail for these types; if it did, stop here rather
                    // than leave a hole in the chain.
                    let _ = client.batch_execute("ROLLBACK").await;
                    return Err(AttemptError::Before(Failure::Unavailable(e)));
                }
                row.version = w.case.version;
                let upd = Update {
                    id,
                    case: w.case.clone(),
                    due_at: w.derived.due_at,
                    orgs: org_set(&w.derived),
                    facts: w.derived.facts.clone(),
                    data,
                };
                match row.update {
                    Some(i) => updates[i] = upd,
                    None => {
                        row.update = Some(updates.len());
                        updates.push(upd);
                    }
                }
                if w.purge_personal {
                    purge_ids.push(id);
                }
                results.push(Ok(Done::Appended(stored)));
            }
        }
    }
    let (head_seq, head_hash) = (chain.seq, chain.hash.clone());
    drop(chain);

    let mut upd_cols = CaseCols::default();
    let (mut org_del_org, mut org_del_case) = (Vec::<i64>::new(), Vec::<i64>::new());
    for u in updates {
        let row = &rows[&u.id];
        for o in row.stored_orgs.difference(&u.orgs) {
            org_del_org.push(*o);
            org_del_case.push(u.id);
        }
        for o in u.orgs.difference(&row.stored_orgs) {
            org_add_org.push(*o);
            org_add_case.push(u.id);
        }
        if let Some(f) = &u.facts {
            facts.push(u.id, f);
        }
        upd_cols.push(&u.case, u.due_at, &u.orgs, u.data);
    }

    if inserts.is_empty() && upd_cols.is_empty() {
        // Every request failed its checks: nothing to write.
        let _ = client.batch_execute("ROLLBACK").await;
        return Ok(results);
    }

    // ---- round trip 2: write everything, move the head, commit, wait for the flush ----
    let ins = inserts.params();
    let upd = upd_cols.params();
    let ev: [&(dyn ToSql + Sync); 8] = [
        &events.seq,
        &events.case_id,
        &events.case_version,
        &events.at,
        &events.kind,
        &events.payload,
        &events.prev_hash,
        &events.hash,
    ];
    let odel: [&(dyn ToSql + Sync); 2] = [&org_del_org, &org_del_case];
    let oadd: [&(dyn ToSql + Sync); 2] = [&org_add_org, &org_add_case];
    let pers: [&(dyn ToSql + Sync); 2] = [&personal_ids, &personal_data];
    let purge: [&(dyn ToSql + Sync); 1] = [&purge_ids];
    let head: [&(dyn ToSql + Sync); 2] = [&head_seq, &head_hash];
    let fact_params = facts.params();
    // Only new cases (the intake hot path): all five inserts in one statement, which saves
    // the server a few percent of CPU per case over five statements.
    let creates_only = upd_cols.is_empty() && org_del_org.is_empty() && purge_ids.is_empty();
    let all_new: Vec<&(dyn ToSql + Sync)> =
        ins.iter().chain(ev.iter()).chain(oadd.iter()).chain(pers.iter()).chain(head.iter()).copied().collect();
    // Polled in order, so sent in order, all before the first answer comes back.
    let (r_new, r_ins, r_upd, r_ev, r_odel, r_oadd, r_pers, r_purge, r_head, r_facts, r_commit, r_flush) = tokio::join!(
        biased;
        exec_if(&client, creates_only, &st.write_new, &all_new),
        exec_if(&client, !creates_only && !inserts.is_empty(), &st.insert_cases, &ins),
        exec_if(&client, !creates_only && !upd_cols.is_empty(), &st.update_cases, &upd),
        exec_if(&client, !creates_only && !events.seq.is_empty(), &st.insert_events, &ev),
        exec_if(&client, !creates_only && !org_del_org.is_empty(), &st.delete_orgs, &odel),
        exec_if(&client, !creates_only && !org_add_org.is_empty(), &st.insert_orgs, &oadd),
        exec_if(&client, !creates_only && !personal_ids.is_empty(), &st.upsert_personal, &pers),
        exec_if(&client, !creates_only && !purge_ids.is_empty(), &st.delete_personal, &purge),
        exec_if(&client, !creates_only && !events.seq.is_empty(), &st.update_head, &head),
        exec_if(&client, !facts.is_empty(), &st.upsert_facts, &fact_params),
        client.batch_execute("COMMIT"),
        async {
            if cfg.overlap_commits {
                client.batch_execute(SQL_FLUSH).await
            } else {
                Ok(())
            }
        },
    );
    let mut errors: Vec<tokio_postgres::Error> =
        [r_new, r_ins, r_upd, r_ev, r_odel, r_oadd, r_pers, r_purge, r_head, r_facts].into_iter().filter_map(Result::err).collect();
    let commit_failed = r_commit.is_err();
    errors.extend(r_commit.err());
    if errors.is_empty() {
        return match r_flush {
            Ok(()) => Ok(results),
            // Committed, but not known to be durable: the same question as a lost COMMIT.
            Err(e) => {
                let last = events.seq.last().map(|&s| (s, head_hash.clone()));
                Err(AttemptError::Ambiguous { error: pg(e), last, results })
            }
        };
    }
    if errors.iter().any(is_connection_error) {
        // The server may have run COMMIT before the connection broke.
        let e = errors.into_iter().find(is_connection_error).map(pg).unwrap_or_else(|| StoreError::Unavailable(String::new()));
        let last = events.seq.last().map(|&s| (s, head_hash.clone()));
        return Err(AttemptError::Ambiguous { error: e, last, results });
    }
    // A statement failed, so COMMIT ended the aborted transaction with a rollback.
    if commit_failed {
        let _ = client.batch_execute("ROLLBACK").await;
    }
    Err(AttemptError::Before(Failure::Rejected(errors.swap_remove(0))))
}

async fn exec_if(
    client: &Object,
    cond: bool,
    st: &Statement,
    params: &[&(dyn ToSql + Sync)],
) -> Result<u64, tokio_postgres::Error> {
    if cond {
        client.execute(st, params).await
    } else {
        Ok(0)
    }
}

#[cfg(test)]
mod tests {
    //! Batches put together by hand, so what shares a transaction is certain.
    use super::*;
    use crate::testing;
    use crate::PgStore;
    use chrono::TimeZone;
    use redress_domain::case::*;
    use redress_domain::event::Actor;
    use redress_domain::{OrgId, TrackingCode, UserId};
    use redress_store::Store;

    fn at(min: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2024, 3, 1, 8, min, 0).unwrap()
    }

    fn code(n: u8) -> TrackingCode {
        TrackingCode::from_random([n; 16])
    }

    fn clerk() -> Actor {
        Actor::User { id: UserId(1), name: "登记员".into() }
    }

    fn create(n: u8) -> NewCaseWrite {
        let matter = NewCase {
            channel: Channel::Letter,
            matter_type: MatterType::Claim,
            category: None,
            subject: format!("事项{n}"),
            content: "内容".into(),
            location: Location::default(),
            people_count: 1,
            channel_details: ChannelDetails::default(),
            related: vec![],
            same_matter_as: None,
            intake_org: OrgId(1),
            confidential: false,
            demo: false,
            suggested_categories: vec![],
        };
        let (case, event) = Case::register(matter, code(n), None, true, clerk(), at(0)).unwrap();
        NewCaseWrite { case, events: vec![event], derived: Derived { due_at: None, orgs: vec![OrgId(1)], facts: None }, personal: None }
    }

    fn note(case: &Case, min: u32) -> AppendWrite {
        let event = Event { at: at(min), actor: clerk(), kind: EventKind::Noted { text: format!("备注{min}") } };
        let mut next = case.clone();
        next.apply(&event);
        AppendWrite {
            expected_version: case.version,
            case: next,
            events: vec![event],
            derived: Derived { due_at: None, orgs: vec![OrgId(1), OrgId(min as i64)], facts: None },
            purge_personal: false,
        }
    }

    async fn store() -> PgStore {
        let admin =
            std::env::var("REDRESS_TEST_PG_URL").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into());
        let (url, name) = testing::create_test_database(&admin).await.expect("PostgreSQL reachable");
        let s = PgStore::connect(&url).await.unwrap().drop_database_on_drop(&admin, &name);
        s.migrate().await.unwrap();
        s
    }

    fn appended(r: &Result<Done>) -> Vec<(i64, u32)> {
        match r {
            Ok(Done::Appended(evs)) => evs.iter().map(|e| (e.seq, e.case_version)).collect(),
            _ => panic!("expected an append, got {}", if r.is_ok() { "a create".into() } else { format!("{:?}", r.as_ref().err()) }),
        }
    }

    const MODES: [Config; 2] = [
        Config { max_batch: 500, in_flight: 1, min_overlap_batch: 1, overlap_commits: true },
        Config { max_batch: 500, in_flight: 1, min_overlap_batch: 1, overlap_commits: false },
    ];

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn one_batch_orders_appends_and_fails_only_the_stale_ones() {
        for cfg in MODES {
            one_batch_orders_appends(cfg).await;
        }
    }

    async fn one_batch_orders_appends(cfg: Config) {
        let store = store().await;
        let (a, _) = store.create_case(create(1)).await.unwrap();
        let w2 = note(&a, 2);
        let w3 = note(&w2.case, 3);
        let mut missing = note(&a, 4);
        missing.case.id = CaseId(a.id.0 + 100);
        let ops = vec![
            Op::Append(w2.clone()),
            Op::Create(create(2)),
            Op::Append(w3.clone()),
            Op::Append(note(&a, 5)), // stale: expects version 1
            Op::Append(missing),
            Op::Create(create(3)),
        ];
        let stats = Stats::default();
        let results = execute(store.pool(), &ops, cfg, &stats).await;
        assert_eq!(appended(&results[0]), [(2, 2)]);
        assert!(matches!(&results[1], Ok(Done::Created(c, e)) if e[0].seq == 3 && c.id.0 > a.id.0));
        assert_eq!(appended(&results[2]), [(4, 3)]);
        assert_eq!(results[3].as_ref().err(), Some(&StoreError::Conflict { current: 3 }));
        assert_eq!(results[4].as_ref().err(), Some(&StoreError::NotFound));
        assert!(matches!(&results[5], Ok(Done::Created(_, e)) if e[0].seq == 5));
        assert_eq!(stats.fallbacks.load(Ordering::Relaxed), 0);
        assert_eq!(store.get_case(a.id).await.unwrap(), Some(w3.case.clone()));
        assert_eq!(store.chain_head().await.unwrap().0, 5);
        // case_orgs hold the last state's orgs: 1 and 3.
        let visible = |o: i64| redress_store::CaseQuery { visible_to: Some(vec![OrgId(o)]), ..Default::default() };
        assert_eq!(store.list_cases(&visible(3)).await.unwrap().total, 1);
        assert_eq!(store.list_cases(&visible(2)).await.unwrap().total, 0);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_rejected_batch_is_retried_one_by_one() {
        for cfg in MODES {
            rejected_batch_retried(cfg).await;
        }
    }

    async fn rejected_batch_retried(cfg: Config) {
        let store = store().await;
        let (a, _) = store.create_case(create(1)).await.unwrap();
        let ops = vec![Op::Create(create(2)), Op::Create(create(1)), Op::Append(note(&a, 2)), Op::Create(create(2))];
        let stats = Stats::default();
        let results = execute(store.pool(), &ops, cfg, &stats).await;
        let dup = StoreError::Duplicate { field: "tracking_code".into() };
        assert!(matches!(&results[0], Ok(Done::Created(..))));
        assert_eq!(results[1].as_ref().err(), Some(&dup));
        assert_eq!(appended(&results[2]), [(3, 2)]);
        assert_eq!(results[3].as_ref().err(), Some(&dup), "same code as an earlier request of the batch");
        assert_eq!(stats.fallbacks.load(Ordering::Relaxed), 1);
        assert_eq!(store.count_cases().await.unwrap(), 2);
        assert_eq!(store.chain_head().await.unwrap().0, 3);
    }
}
