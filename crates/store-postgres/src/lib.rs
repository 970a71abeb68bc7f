//! PostgreSQL implementation of [`redress_store::Store`].
//!
//! * Case writes go through a group-commit writer task ([`writer`]): many requests, one
//!   transaction, two pipelined round trips. Every transaction that appends events locks the
//!   single `chain_head` row first, so several server instances can share one database and
//!   the event log stays one chain with contiguous seqs.
//! * Reads and the small writes (users, sessions, settings, ...) go straight through a
//!   deadpool connection pool, which replaces broken connections by itself after a restart.
//! * Lost connections, a server shutting down or starting up, and pool timeouts are
//!   [`StoreError::Unavailable`]; unique violations are [`StoreError::Duplicate`].

// Routine duties (零报告, 矛盾纠纷排查), issue 6.
mod dossiers;
mod duties;
mod error;
mod facts;
mod list;
mod migrate;
pub mod testing;
mod writer;

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use deadpool_postgres::{Manager, ManagerConfig, Object, Pool, RecyclingMethod, Runtime};
use redress_domain::{Case, CaseId, Org, OrgId, OrgKind, Role, TrackingCode, UserId};
use redress_store::{
    AccessRecord, AppendWrite, ApiToken, CasePage, CaseQuery, NewCaseWrite, PersonalRecord, Result, Session, Store,
    StoreError, StoredEvent, User,
};
use tokio::sync::{mpsc, oneshot};
use tokio_postgres::types::ToSql;
use tokio_postgres::Row;

use crate::error::{json_in, json_out, pg, pool as pool_err};
use crate::writer::{Done, Op, Pending};

/// Tuning knobs; [`PgOptions::default`] suits a small deployment.
#[derive(Debug, Clone)]
pub struct PgOptions {
    /// Connections in the pool (shared by readers and the writer).
    pub pool_size: usize,
    /// Most requests the writer commits in one transaction.
    pub max_batch: usize,
    /// Batches that may commit at once, each on its own connection. 1 (the default): strictly
    /// one after another, which gives the largest batches and the least CPU per case. 2 with
    /// `overlap_commits` pays off when fsync is slow (a busy or networked disk) and clients
    /// are few: the next batch runs during this one's flush.
    pub in_flight: usize,
    /// While a batch is committing, a further one starts only once this many requests wait;
    /// fewer wait for the running batch, so that batches stay large when CPU is the limit.
    pub min_overlap_batch: usize,
    /// Commit batches with `synchronous_commit = off` and then wait for the WAL flush in a
    /// separate tiny synchronous transaction, so the chain lock is not held through the
    /// fsync. Every `Ok` is still durable (see the writer module); readers may see a batch a
    /// moment before it is. Off (the default): plain synchronous commits.
    pub overlap_commits: bool,
    /// How long a request waits for a free connection before `Unavailable`.
    pub wait_timeout: Duration,
    /// How long opening a connection may take.
    pub connect_timeout: Duration,
}

impl Default for PgOptions {
    fn default() -> Self {
        PgOptions {
            pool_size: 8,
            max_batch: 500,
            in_flight: 1,
            min_overlap_batch: 16,
            overlap_commits: false,
            wait_timeout: Duration::from_secs(10),
            connect_timeout: Duration::from_secs(5),
        }
    }
}

/// Counters of the group-commit writer.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WriterStats {
    /// Transactions attempted (one per batch).
    pub batches: u64,
    /// Case writes received.
    pub requests: u64,
    pub largest_batch: u64,
    /// Batches the database rejected, then retried one request per transaction.
    pub fallbacks: u64,
}

/// A redress store in a PostgreSQL database.
pub struct PgStore {
    pool: Pool,
    writer: mpsc::Sender<Pending>,
    stats: Arc<writer::Stats>,
    database: Option<String>,
    /// Test databases drop themselves with the store (declared last: dropped last).
    drop_db: Option<testing::DropDatabase>,
}

impl PgStore {
    /// Connects to `postgres://user[:password]@host[:port]/db[?options]` (key=value strings
    /// work too) and checks that the server answers. Call [`Store::migrate`] before use.
    pub async fn connect(url: &str) -> Result<PgStore> {
        PgStore::connect_with(url, PgOptions::default()).await
    }

    pub async fn connect_with(url: &str, opts: PgOptions) -> Result<PgStore> {
        let mut cfg: tokio_postgres::Config =
            url.parse().map_err(|e| StoreError::Other(format!("数据库地址无效：{e}")))?;
        if cfg.get_application_name().is_none() {
            cfg.application_name("redress");
        }
        if cfg.get_connect_timeout().is_none() {
            cfg.connect_timeout(opts.connect_timeout);
        }
        cfg.keepalives(true).keepalives_idle(Duration::from_secs(30));
        let database = cfg.get_dbname().map(str::to_string);
        let manager =
            Manager::from_config(cfg, tokio_postgres::NoTls, ManagerConfig { recycling_method: RecyclingMethod::Fast });
        let pool = Pool::builder(manager)
            .max_size(opts.pool_size.max(2))
            .wait_timeout(Some(opts.wait_timeout))
            .create_timeout(Some(opts.connect_timeout))
            .recycle_timeout(Some(opts.connect_timeout))
            .runtime(Runtime::Tokio1)
            .build()
            .map_err(|e| StoreError::Other(format!("连接池配置错误：{e}")))?;
        // Fail early when the server cannot be reached at all.
        drop(pool.get().await.map_err(pool_err)?);
        let (tx, rx) = mpsc::channel(opts.max_batch.max(1) * 8);
        let stats = Arc::new(writer::Stats::default());
        let cfg = writer::Config {
            max_batch: opts.max_batch.max(1),
            in_flight: opts.in_flight.clamp(1, opts.pool_size.max(2) - 1),
            min_overlap_batch: opts.min_overlap_batch.max(1),
            overlap_commits: opts.overlap_commits,
        };
        tokio::spawn(writer::run(pool.clone(), rx, cfg, stats.clone()));
        Ok(PgStore { pool, writer: tx, stats, database, drop_db: None })
    }

    /// Drops database `dbname` (via `admin_url`) when this store is dropped. For tests.
    pub fn drop_database_on_drop(mut self, admin_url: &str, dbname: &str) -> PgStore {
        self.drop_db = Some(testing::DropDatabase { admin_url: admin_url.to_string(), dbname: dbname.to_string() });
        self
    }

    /// What the group-commit writer has done so far.
    pub fn writer_stats(&self) -> WriterStats {
        let s = &self.stats;
        WriterStats {
            batches: s.batches.load(Ordering::Relaxed),
            requests: s.requests.load(Ordering::Relaxed),
            largest_batch: s.largest_batch.load(Ordering::Relaxed),
            fallbacks: s.fallbacks.load(Ordering::Relaxed),
        }
    }

    /// The database name from the URL, if it named one.
    pub fn database_name(&self) -> Option<&str> {
        self.database.as_deref()
    }

    /// The connection pool, for tests and tools.
    pub fn pool(&self) -> &Pool {
        &self.pool
    }

    async fn client(&self) -> Result<Object> {
        self.pool.get().await.map_err(pool_err)
    }

    async fn write(&self, op: Op) -> Result<Done> {
        let (reply, rx) = oneshot::channel();
        self.writer
            .send(Pending { op, reply })
            .await
            .map_err(|_| StoreError::Other("写入任务已停止".into()))?;
        rx.await.map_err(|_| StoreError::Other("写入任务已停止".into()))?
    }

    async fn query(&self, sql: &str, params: &[&(dyn ToSql + Sync)]) -> Result<Vec<Row>> {
        let client = self.client().await?;
        let st = client.prepare_cached(sql).await.map_err(pg)?;
        client.query(&st, params).await.map_err(pg)
    }

    async fn query_opt(&self, sql: &str, params: &[&(dyn ToSql + Sync)]) -> Result<Option<Row>> {
        let client = self.client().await?;
        let st = client.prepare_cached(sql).await.map_err(pg)?;
        client.query_opt(&st, params).await.map_err(pg)
    }

    async fn warnings_where(&self, q: &redress_store::WarningQuery, id: Option<i64>) -> Result<Vec<redress_store::StoredWarning>> {
        let mut w = vec!["TRUE".to_string()];
        let mut bind: Vec<&(dyn ToSql + Sync)> = vec![];
        if let Some(id) = id {
            w.push(format!("id = {id}"));
        }
        if let Some(r) = &q.recipients {
            let ids: Vec<String> = r.iter().map(|o| o.0.to_string()).collect();
            w.push(if ids.is_empty() { "FALSE".into() } else { format!("recipient IN ({})", ids.join(",")) });
        }
        if !q.statuses.is_empty() {
            bind.push(&q.statuses);
            w.push(format!("status = ANY(${})", bind.len()));
        }
        if let Some(r) = &q.rule_id {
            bind.push(r);
            w.push(format!("rule_id = ${}", bind.len()));
        }
        if let Some(k) = &q.key {
            bind.push(k);
            w.push(format!("key = ${}", bind.len()));
        }
        let sql = format!(
            "SELECT id, rule_id, key, recipient, status, raised_at, data FROM warnings WHERE {} ORDER BY id DESC LIMIT {}",
            w.join(" AND "),
            q.limit.max(1)
        );
        Ok(self
            .query(&sql, &bind)
            .await?
            .iter()
            .map(|r| redress_store::StoredWarning {
                id: r.get(0),
                rule_id: r.get(1),
                key: r.get(2),
                recipient: OrgId(r.get(3)),
                status: r.get(4),
                raised_at: r.get(5),
                data: r.get(6),
            })
            .collect())
    }

    async fn execute(&self, sql: &str, params: &[&(dyn ToSql + Sync)]) -> Result<u64> {
        let client = self.client().await?;
        let st = client.prepare_cached(sql).await.map_err(pg)?;
        client.execute(&st, params).await.map_err(pg)
    }
}

pub(crate) fn case_from_data(data: &str) -> Result<Case> {
    serde_json::from_str(data).map_err(|e| json_in("事项数据", e))
}

const CASES_IN_RANGE: &str = "SELECT data FROM cases WHERE id >= $1 AND id < $2 ORDER BY id";

const EVENT_COLS: &str = "seq, case_id, case_version, at, kind, payload, prev_hash, hash";

fn event_from_row(r: &Row) -> StoredEvent {
    StoredEvent {
        seq: r.get(0),
        case_id: CaseId(r.get(1)),
        case_version: r.get::<_, i32>(2) as u32,
        at: r.get(3),
        kind: r.get(4),
        payload: r.get(5),
        prev_hash: r.get(6),
        hash: r.get(7),
    }
}

fn org_kind_key(kind: OrgKind) -> Result<String> {
    serde_json::to_value(kind)
        .map_err(json_out)?
        .as_str()
        .map(str::to_string)
        .ok_or_else(|| StoreError::Other("机构类型无法序列化".into()))
}

fn org_from_row(r: &Row) -> Result<Org> {
    let kind: String = r.get(3);
    Ok(Org {
        id: OrgId(r.get(0)),
        parent: r.get::<_, Option<i64>>(1).map(OrgId),
        name: r.get(2),
        kind: serde_json::from_value(serde_json::Value::String(kind)).map_err(|e| json_in("机构类型", e))?,
        division_code: r.get(4),
    })
}

const USER_COLS: &str = "id, username, display_name, org_id, roles, password_hash, disabled, created_at";

fn user_from_row(r: &Row) -> Result<User> {
    let roles: String = r.get(4);
    Ok(User {
        id: UserId(r.get(0)),
        username: r.get(1),
        display_name: r.get(2),
        org_id: OrgId(r.get(3)),
        roles: serde_json::from_str::<Vec<Role>>(&roles).map_err(|e| json_in("用户角色", e))?,
        password_hash: r.get(5),
        disabled: r.get(6),
        created_at: r.get(7),
    })
}

fn token_from_row(r: &Row) -> ApiToken {
    ApiToken {
        token_hash: r.get(0),
        name: r.get(1),
        user_id: r.get::<_, Option<i64>>(2).map(UserId),
        scope: r.get(3),
        created_at: r.get(4),
        revoked: r.get(5),
    }
}

fn session_from_row(r: &Row) -> Session {
    Session {
        token_hash: r.get(0),
        user_id: UserId(r.get(1)),
        created_at: r.get(2),
        expires_at: r.get(3),
        csrf_token: r.get(4),
    }
}

#[async_trait]
impl Store for PgStore {
    fn backend(&self) -> &'static str {
        "postgres"
    }

    fn runtime_stats(&self) -> Vec<redress_store::StoreStat> {
        use std::sync::atomic::Ordering::Relaxed;
        let pool = self.pool.status();
        let queued = self.writer.max_capacity().saturating_sub(self.writer.capacity());
        let stat = |name, help, counter, value: f64| redress_store::StoreStat { name, help, counter, value };
        vec![
            stat("pool_connections", "Connections open in the pool.", false, pool.size as f64),
            stat("pool_max_connections", "Largest size of the pool.", false, pool.max_size as f64),
            stat("pool_idle_connections", "Open connections not in use.", false, pool.available as f64),
            stat("pool_waiting", "Tasks waiting for a connection.", false, pool.waiting as f64),
            stat("write_queue_depth", "Write requests waiting for the group-commit writer.", false, queued as f64),
            stat("write_batches_total", "Transactions committed by the group-commit writer.", true, self.stats.batches.load(Relaxed) as f64),
            stat("write_requests_total", "Write requests received by the group-commit writer.", true, self.stats.requests.load(Relaxed) as f64),
        ]
    }

    async fn migrate(&self) -> Result<()> {
        let mut client = self.client().await?;
        migrate::migrate(&mut client).await
    }

    async fn create_case(&self, new: NewCaseWrite) -> Result<(Case, Vec<StoredEvent>)> {
        match self.write(Op::Create(new)).await? {
            Done::Created(case, events) => Ok((*case, events)),
            Done::Appended(_) => Err(StoreError::Other("写入任务返回了错误的结果".into())),
        }
    }

    async fn append(&self, write: AppendWrite) -> Result<Vec<StoredEvent>> {
        match self.write(Op::Append(write)).await? {
            Done::Appended(events) => Ok(events),
            Done::Created(..) => Err(StoreError::Other("写入任务返回了错误的结果".into())),
        }
    }

    async fn get_case(&self, id: CaseId) -> Result<Option<Case>> {
        self.query_opt("SELECT data FROM cases WHERE id = $1", &[&id.0])
            .await?
            .map(|r| case_from_data(r.get(0)))
            .transpose()
    }

    async fn get_case_by_code(&self, code: &TrackingCode) -> Result<Option<Case>> {
        self.query_opt("SELECT data FROM cases WHERE tracking_code = $1", &[&code.as_str()])
            .await?
            .map(|r| case_from_data(r.get(0)))
            .transpose()
    }

    async fn list_cases(&self, query: &CaseQuery) -> Result<CasePage> {
        let client = self.client().await?;
        list::list_cases(&client, query).await
    }

    async fn count_cases(&self) -> Result<i64> {
        Ok(self.query("SELECT count(*) FROM cases", &[]).await?[0].get(0))
    }

    async fn count_by_status(&self) -> Result<Vec<(redress_domain::Status, i64)>> {
        let rows = self.query("SELECT status, count(*) FROM cases GROUP BY status", &[]).await?;
        Ok(rows.iter().filter_map(|r| Some((redress_domain::Status::parse(r.get(0))?, r.get::<_, i64>(1)))).collect())
    }

    async fn count_by_satisfaction(&self) -> Result<Vec<(redress_domain::case::Satisfaction, i64)>> {
        // Only statuses a follow-up can have reached are parsed.
        let sql = format!(
            "SELECT s, count(*) FROM (SELECT (data::jsonb)->'follow_up'->>'satisfaction' AS s FROM cases WHERE status IN ({})) t
             WHERE s IS NOT NULL GROUP BY s",
            redress_store::FOLLOWED_UP_STATUSES.iter().map(|s| format!("'{}'", s.key())).collect::<Vec<_>>().join(",")
        );
        let rows = self.query(&sql, &[]).await?;
        Ok(rows.iter().filter_map(|r| Some((redress_domain::case::Satisfaction::parse(r.get(0))?, r.get::<_, i64>(1)))).collect())
    }

    async fn fact_groups(&self, q: &redress_store::FactQuery) -> Result<Vec<redress_store::FactGroup>> {
        let sql = facts::groups_sql(q);
        let rows = match &q.category {
            Some(c) => self.query(&sql, &[c]).await?,
            None => self.query(&sql, &[]).await?,
        };
        Ok(rows.iter().map(facts::group).collect())
    }

    async fn fact_dims(&self, q: &redress_store::FactQuery) -> Result<Vec<redress_store::DimGroup>> {
        let sql = format!(
            "SELECT dim, value, month, status, SUM(cases)::int8, SUM(timed)::int8, SUM(on_time)::int8, SUM(rated)::int8,
                    SUM(satisfied)::int8, SUM(handled)::int8, SUM(handling_days)::int8
             FROM case_rollup_dim WHERE {} GROUP BY month, dim, value, status",
            q.dims_where()
        );
        let mut out = Vec::new();
        for r in self.query(&sql, &[]).await?.iter() {
            let sums = [r.get(4), r.get(5), r.get(6), r.get(7), r.get(8), r.get(9), r.get(10)];
            redress_store::DimGroup::from_row(r.get(0), r.get(1), r.get(2), r.get(3), sums, &mut out);
        }
        Ok(out)
    }

    async fn overdue_groups(&self, q: &redress_store::FactQuery, now: DateTime<Utc>) -> Result<Vec<redress_store::FactGroup>> {
        let sql = facts::overdue_sql(q);
        let rows = match &q.category {
            Some(c) => self.query(&sql, &[c, &now]).await?,
            None => self.query(&sql, &[&now]).await?,
        };
        Ok(rows.iter().map(facts::overdue_group).collect())
    }

    async fn fact_case_ids(&self, q: &redress_store::FactQuery, overdue_at: Option<DateTime<Utc>>, limit: u32, offset: u32) -> Result<(Vec<CaseId>, i64)> {
        let w = facts::case_ids_where(q, overdue_at.is_some());
        let mut params: Vec<&(dyn ToSql + Sync)> = vec![];
        if let Some(c) = &q.category {
            params.push(c);
        }
        if let Some(t) = &overdue_at {
            params.push(t);
        }
        let total: i64 = self.query(&format!("SELECT count(*) FROM case_facts WHERE {w}"), &params).await?[0].get(0);
        let sql = format!("SELECT case_id FROM case_facts WHERE {w} ORDER BY case_id DESC LIMIT {limit} OFFSET {offset}");
        let ids = self.query(&sql, &params).await?.iter().map(|r| CaseId(r.get(0))).collect();
        Ok((ids, total))
    }

    async fn put_facts(&self, all: Vec<(CaseId, redress_store::CaseFacts)>) -> Result<()> {
        let mut cols = writer::FactCols::default();
        for (id, f) in &all {
            cols.push(id.0, f);
        }
        if cols.is_empty() {
            return Ok(());
        }
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(pg)?;
        // Behind the chain head, as every case write is: the rollup rows are then updated by
        // one transaction at a time and never deadlock.
        tx.execute("SELECT seq FROM chain_head WHERE id = 1 FOR UPDATE", &[]).await.map_err(pg)?;
        tx.execute(writer::SQL_UPSERT_FACTS, &cols.params()).await.map_err(pg)?;
        tx.commit().await.map_err(pg)
    }

    async fn facts_after(&self, after: CaseId, limit: u32) -> Result<Vec<(CaseId, redress_store::CaseFacts)>> {
        let sql = format!("SELECT {} FROM case_facts WHERE case_id > $1 ORDER BY case_id LIMIT {limit}", facts::COLUMNS);
        let rows = self.query(&sql, &[&after.0]).await?;
        rows.iter().map(facts::from_row).collect()
    }

    async fn count_facts(&self) -> Result<i64> {
        Ok(self.query("SELECT count(*) FROM case_facts", &[]).await?[0].get(0))
    }

    async fn save_warning(&self, w: &redress_store::StoredWarning) -> Result<i64> {
        if w.id == 0 {
            let row = self
                .query_opt(
                    "INSERT INTO warnings (rule_id, key, recipient, status, raised_at, data) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
                    &[&w.rule_id, &w.key, &w.recipient.0, &w.status, &w.raised_at, &w.data],
                )
                .await?;
            Ok(row.map(|r| r.get(0)).unwrap_or(0))
        } else {
            let n = self
                .execute(
                    "UPDATE warnings SET rule_id = $2, key = $3, recipient = $4, status = $5, raised_at = $6, data = $7 WHERE id = $1",
                    &[&w.id, &w.rule_id, &w.key, &w.recipient.0, &w.status, &w.raised_at, &w.data],
                )
                .await?;
            if n == 0 {
                return Err(StoreError::NotFound);
            }
            Ok(w.id)
        }
    }

    async fn get_warning(&self, id: i64) -> Result<Option<redress_store::StoredWarning>> {
        let q = redress_store::WarningQuery { limit: 1, ..Default::default() };
        Ok(self.warnings_where(&q, Some(id)).await?.pop())
    }

    async fn list_warnings(&self, q: &redress_store::WarningQuery) -> Result<Vec<redress_store::StoredWarning>> {
        self.warnings_where(q, None).await
    }

    async fn cases_in_range(&self, from: CaseId, to: CaseId) -> Result<Vec<Case>> {
        self.query(CASES_IN_RANGE, &[&from.0, &to.0]).await?.iter().map(|r| case_from_data(r.get(0))).collect()
    }

    async fn case_json_in_range(&self, from: CaseId, to: CaseId) -> Result<Vec<String>> {
        let rows = self.query(CASES_IN_RANGE, &[&from.0, &to.0]).await?;
        Ok(rows.iter().map(|r| r.get(0)).collect())
    }

    async fn max_case_id(&self) -> Result<CaseId> {
        Ok(CaseId(self.query("SELECT COALESCE(max(id), 0)::int8 FROM cases", &[]).await?[0].get(0)))
    }

    async fn case_events(&self, id: CaseId) -> Result<Vec<StoredEvent>> {
        let sql = format!("SELECT {EVENT_COLS} FROM events WHERE case_id = $1 ORDER BY case_version");
        Ok(self.query(&sql, &[&id.0]).await?.iter().map(event_from_row).collect())
    }

    async fn events_after(&self, after: i64, limit: u32) -> Result<Vec<StoredEvent>> {
        let sql = format!("SELECT {EVENT_COLS} FROM events WHERE seq > $1 ORDER BY seq LIMIT $2");
        Ok(self.query(&sql, &[&after, &(limit as i64)]).await?.iter().map(event_from_row).collect())
    }

    async fn events_in_case_range(&self, from: CaseId, to: CaseId) -> Result<Vec<StoredEvent>> {
        let sql =
            format!("SELECT {EVENT_COLS} FROM events WHERE case_id >= $1 AND case_id < $2 ORDER BY case_id, case_version");
        Ok(self.query(&sql, &[&from.0, &to.0]).await?.iter().map(event_from_row).collect())
    }

    async fn chain_head(&self) -> Result<(i64, String)> {
        let rows = self.query("SELECT seq, hash FROM chain_head WHERE id = 1", &[]).await?;
        let r = rows.first().ok_or_else(|| StoreError::Corrupt("chain_head 缺失".into()))?;
        Ok((r.get(0), r.get(1)))
    }

    async fn personal_data(&self, id: CaseId) -> Result<Option<PersonalRecord>> {
        match self.query_opt("SELECT data FROM personal_data WHERE case_id = $1", &[&id.0]).await? {
            None => Ok(None),
            Some(r) => {
                let petitioner = serde_json::from_str(r.get(0)).map_err(|e| json_in("个人信息", e))?;
                Ok(Some(PersonalRecord { case_id: id, petitioner }))
            }
        }
    }

    async fn record_access(&self, rec: AccessRecord) -> Result<()> {
        let fields = serde_json::to_string(&rec.fields).map_err(json_out)?;
        self.execute(
            "INSERT INTO pii_access (at, user_id, username, case_id, fields, purpose) VALUES ($1, $2, $3, $4, $5, $6)",
            &[&rec.at, &rec.user_id.0, &rec.username, &rec.case_id.0, &fields, &rec.purpose],
        )
        .await?;
        Ok(())
    }

    async fn access_log(&self, case: Option<CaseId>, limit: u32) -> Result<Vec<AccessRecord>> {
        let rows = self
            .query(
                "SELECT at, user_id, username, case_id, fields, purpose FROM pii_access \
                 WHERE ($1::int8 IS NULL OR case_id = $1) ORDER BY id DESC LIMIT $2",
                &[&case.map(|c| c.0), &(limit as i64)],
            )
            .await?;
        rows.iter()
            .map(|r| {
                Ok(AccessRecord {
                    at: r.get(0),
                    user_id: UserId(r.get(1)),
                    username: r.get(2),
                    case_id: CaseId(r.get(3)),
                    fields: serde_json::from_str(r.get(4)).map_err(|e| json_in("访问记录", e))?,
                    purpose: r.get(5),
                })
            })
            .collect()
    }

    async fn save_org(&self, org: &Org) -> Result<OrgId> {
        let kind = org_kind_key(org.kind)?;
        let parent = org.parent.map(|p| p.0);
        if org.id.0 == 0 {
            let rows = self
                .query(
                    "INSERT INTO orgs (parent, name, kind, division_code) VALUES ($1, $2, $3, $4) RETURNING id",
                    &[&parent, &org.name, &kind, &org.division_code],
                )
                .await?;
            return Ok(OrgId(rows[0].get(0)));
        }
        // An explicit id (seed data, import): insert or update, then keep the sequence ahead.
        self.execute(
            "WITH up AS (INSERT INTO orgs (id, parent, name, kind, division_code) VALUES ($1, $2, $3, $4, $5) \
               ON CONFLICT (id) DO UPDATE SET parent = EXCLUDED.parent, name = EXCLUDED.name, \
               kind = EXCLUDED.kind, division_code = EXCLUDED.division_code RETURNING id) \
             SELECT setval('orgs_id_seq', GREATEST((SELECT max(id) FROM up), (SELECT last_value FROM orgs_id_seq)))",
            &[&org.id.0, &parent, &org.name, &kind, &org.division_code],
        )
        .await?;
        Ok(org.id)
    }

    async fn list_orgs(&self) -> Result<Vec<Org>> {
        self.query("SELECT id, parent, name, kind, division_code FROM orgs ORDER BY id", &[])
            .await?
            .iter()
            .map(org_from_row)
            .collect()
    }

    async fn save_user(&self, user: &User) -> Result<UserId> {
        let roles = serde_json::to_string(&user.roles).map_err(json_out)?;
        if user.id.0 == 0 {
            let rows = self
                .query(
                    "INSERT INTO users (username, display_name, org_id, roles, password_hash, disabled, created_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
                    &[
                        &user.username,
                        &user.display_name,
                        &user.org_id.0,
                        &roles,
                        &user.password_hash,
                        &user.disabled,
                        &user.created_at,
                    ],
                )
                .await?;
            return Ok(UserId(rows[0].get(0)));
        }
        self.execute(
            "WITH up AS (INSERT INTO users (id, username, display_name, org_id, roles, password_hash, disabled, created_at) \
               VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
               ON CONFLICT (id) DO UPDATE SET username = EXCLUDED.username, display_name = EXCLUDED.display_name, \
               org_id = EXCLUDED.org_id, roles = EXCLUDED.roles, password_hash = EXCLUDED.password_hash, \
               disabled = EXCLUDED.disabled, created_at = EXCLUDED.created_at RETURNING id) \
             SELECT setval('users_id_seq', GREATEST((SELECT max(id) FROM up), (SELECT last_value FROM users_id_seq)))",
            &[
                &user.id.0,
                &user.username,
                &user.display_name,
                &user.org_id.0,
                &roles,
                &user.password_hash,
                &user.disabled,
                &user.created_at,
            ],
        )
        .await?;
        Ok(user.id)
    }

    async fn get_user(&self, id: UserId) -> Result<Option<User>> {
        let sql = format!("SELECT {USER_COLS} FROM users WHERE id = $1");
        self.query_opt(&sql, &[&id.0]).await?.as_ref().map(user_from_row).transpose()
    }

    async fn get_user_by_name(&self, username: &str) -> Result<Option<User>> {
        let sql = format!("SELECT {USER_COLS} FROM users WHERE username = $1");
        self.query_opt(&sql, &[&username]).await?.as_ref().map(user_from_row).transpose()
    }

    async fn list_users(&self) -> Result<Vec<User>> {
        let sql = format!("SELECT {USER_COLS} FROM users ORDER BY id");
        self.query(&sql, &[]).await?.iter().map(user_from_row).collect()
    }

    async fn save_session(&self, s: &Session) -> Result<()> {
        self.execute(
            "INSERT INTO sessions (token_hash, user_id, created_at, expires_at, csrf_token) VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (token_hash) DO UPDATE SET user_id = EXCLUDED.user_id, created_at = EXCLUDED.created_at, \
             expires_at = EXCLUDED.expires_at, csrf_token = EXCLUDED.csrf_token",
            &[&s.token_hash, &s.user_id.0, &s.created_at, &s.expires_at, &s.csrf_token],
        )
        .await?;
        Ok(())
    }

    async fn get_session(&self, token_hash: &str) -> Result<Option<Session>> {
        Ok(self
            .query_opt(
                "SELECT token_hash, user_id, created_at, expires_at, csrf_token FROM sessions WHERE token_hash = $1",
                &[&token_hash],
            )
            .await?
            .as_ref()
            .map(session_from_row))
    }

    async fn delete_session(&self, token_hash: &str) -> Result<()> {
        self.execute("DELETE FROM sessions WHERE token_hash = $1", &[&token_hash]).await?;
        Ok(())
    }

    async fn purge_sessions(&self, now: DateTime<Utc>) -> Result<u64> {
        self.execute("DELETE FROM sessions WHERE expires_at < $1", &[&now]).await
    }

    async fn save_api_token(&self, t: &ApiToken) -> Result<()> {
        self.execute(
            "INSERT INTO api_tokens (token_hash, name, user_id, scope, created_at, revoked) VALUES ($1, $2, $3, $4, $5, $6) \
             ON CONFLICT (token_hash) DO UPDATE SET name = EXCLUDED.name, user_id = EXCLUDED.user_id, \
             scope = EXCLUDED.scope, created_at = EXCLUDED.created_at, revoked = EXCLUDED.revoked",
            &[&t.token_hash, &t.name, &t.user_id.map(|u| u.0), &t.scope, &t.created_at, &t.revoked],
        )
        .await?;
        Ok(())
    }

    async fn get_api_token(&self, token_hash: &str) -> Result<Option<ApiToken>> {
        Ok(self
            .query_opt(
                "SELECT token_hash, name, user_id, scope, created_at, revoked FROM api_tokens WHERE token_hash = $1",
                &[&token_hash],
            )
            .await?
            .as_ref()
            .map(token_from_row))
    }

    async fn list_api_tokens(&self) -> Result<Vec<ApiToken>> {
        Ok(self
            .query(
                "SELECT token_hash, name, user_id, scope, created_at, revoked FROM api_tokens ORDER BY created_at, token_hash",
                &[],
            )
            .await?
            .iter()
            .map(token_from_row)
            .collect())
    }

    async fn get_setting(&self, key: &str) -> Result<Option<String>> {
        Ok(self.query_opt("SELECT value FROM settings WHERE key = $1", &[&key]).await?.map(|r| r.get(0)))
    }

    async fn put_setting(&self, key: &str, value: &str) -> Result<()> {
        self.execute(
            "INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value",
            &[&key, &value],
        )
        .await?;
        Ok(())
    }

    async fn put_blob(&self, sha256: &str, mime: &str, bytes: Vec<u8>) -> Result<()> {
        // Content-addressed: a second put of the same hash is the same content.
        self.execute(
            "INSERT INTO blobs (sha256, mime, bytes) VALUES ($1, $2, $3) ON CONFLICT (sha256) DO NOTHING",
            &[&sha256, &mime, &bytes],
        )
        .await?;
        Ok(())
    }

    async fn get_blob(&self, sha256: &str) -> Result<Option<(String, Vec<u8>)>> {
        Ok(self
            .query_opt("SELECT mime, bytes FROM blobs WHERE sha256 = $1", &[&sha256])
            .await?
            .map(|r| (r.get(0), r.get(1))))
    }

    async fn try_lease(&self, job: &str, holder: &str, now: DateTime<Utc>, ttl_secs: i64) -> Result<Option<i64>> {
        let expires = now + chrono::Duration::seconds(ttl_secs);
        // Taken when free, lapsed, or already ours (the row lock orders concurrent takers); the
        // epoch grows only when the lease changes hands.
        Ok(self
            .query_opt(
                "INSERT INTO leases (job, holder, expires_at, epoch) VALUES ($1, $2, $3, 1) \
                 ON CONFLICT (job) DO UPDATE SET holder = EXCLUDED.holder, expires_at = EXCLUDED.expires_at, \
                     epoch = CASE WHEN leases.holder = EXCLUDED.holder THEN leases.epoch ELSE leases.epoch + 1 END \
                 WHERE leases.expires_at <= $4 OR leases.holder = EXCLUDED.holder \
                 RETURNING epoch",
                &[&job, &holder, &expires, &now],
            )
            .await?
            .map(|r| r.get(0)))
    }

    async fn release_lease(&self, job: &str, holder: &str) -> Result<()> {
        self.execute(
            "UPDATE leases SET expires_at = now() WHERE job = $1 AND holder = $2 AND expires_at > now()",
            &[&job, &holder],
        )
        .await?;
        Ok(())
    }

    async fn leases(&self) -> Result<Vec<redress_store::Lease>> {
        Ok(self
            .query("SELECT job, holder, epoch, expires_at FROM leases ORDER BY job", &[])
            .await?
            .iter()
            .map(|r| redress_store::Lease { job: r.get(0), holder: r.get(1), epoch: r.get(2), expires_at: r.get(3) })
            .collect())
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
        use redress_store::Claim;
        // One statement: the lease is checked under a share lock, so it cannot change hands
        // between the check and the claim.
        let claimed = self
            .query_opt(
                "WITH l AS (SELECT 1 FROM leases WHERE job = $1 AND holder = $4 AND epoch = $5 AND expires_at > $6 FOR SHARE) \
                 INSERT INTO job_runs (job, slot, slot_at, holder, epoch, attempts, started_at) \
                 SELECT $1, $2, $3, $4, $5, 1, $6 FROM l \
                 ON CONFLICT (job, slot) DO UPDATE SET holder = EXCLUDED.holder, epoch = EXCLUDED.epoch, \
                     attempts = job_runs.attempts + 1, started_at = EXCLUDED.started_at \
                 WHERE job_runs.finished_at IS NULL \
                   AND (job_runs.epoch < EXCLUDED.epoch OR (job_runs.holder = EXCLUDED.holder AND job_runs.epoch = EXCLUDED.epoch)) \
                 RETURNING attempts",
                &[&job, &slot, &slot_at, &holder, &epoch, &now],
            )
            .await?;
        if let Some(r) = claimed {
            return Ok(Claim::Claimed { attempt: r.get(0) });
        }
        let finished = self
            .query_opt("SELECT finished_at IS NOT NULL FROM job_runs WHERE job = $1 AND slot = $2", &[&job, &slot])
            .await?
            .map(|r| r.get::<_, bool>(0));
        Ok(if finished == Some(true) { Claim::Done } else { Claim::NotHolder })
    }

    async fn finish_job_run(&self, job: &str, slot: i64, holder: &str, epoch: i64, now: DateTime<Utc>, outcome: &str) -> Result<bool> {
        let n = self
            .execute(
                "UPDATE job_runs SET finished_at = $5, outcome = $6 \
                 WHERE job = $1 AND slot = $2 AND holder = $3 AND epoch = $4 AND finished_at IS NULL",
                &[&job, &slot, &holder, &epoch, &now, &outcome],
            )
            .await?;
        Ok(n > 0)
    }

    async fn job_runs(&self, job: Option<&str>, limit: u32) -> Result<Vec<redress_store::JobRun>> {
        let limit = limit as i64;
        Ok(self
            .query(
                "SELECT job, slot, slot_at, holder, epoch, attempts, started_at, finished_at, outcome FROM job_runs \
                 WHERE $1::text IS NULL OR job = $1 ORDER BY slot_at DESC, job LIMIT $2",
                &[&job, &limit],
            )
            .await?
            .iter()
            .map(|r| redress_store::JobRun {
                job: r.get(0),
                slot: r.get(1),
                slot_at: r.get(2),
                holder: r.get(3),
                epoch: r.get(4),
                attempts: r.get(5),
                started_at: r.get(6),
                finished_at: r.get(7),
                outcome: r.get(8),
            })
            .collect())
    }

    async fn add_reminders(&self, reminders: &[redress_store::Reminder]) -> Result<u64> {
        if reminders.is_empty() {
            return Ok(0);
        }
        let ids: Vec<i64> = reminders.iter().map(|r| r.case_id.0).collect();
        let kinds: Vec<&str> = reminders.iter().map(|r| r.kind.as_str()).collect();
        let dues: Vec<DateTime<Utc>> = reminders.iter().map(|r| r.due_at).collect();
        let units: Vec<Option<i64>> = reminders.iter().map(|r| r.unit.map(|u| u.0)).collect();
        let created: Vec<DateTime<Utc>> = reminders.iter().map(|r| r.created_at).collect();
        let jobs: Vec<&str> = reminders.iter().map(|r| r.job.as_str()).collect();
        let slots: Vec<i64> = reminders.iter().map(|r| r.slot).collect();
        self.execute(
            "INSERT INTO reminders (case_id, kind, due_at, unit_id, created_at, job, slot) \
             SELECT * FROM UNNEST($1::bigint[], $2::text[], $3::timestamptz[], $4::bigint[], $5::timestamptz[], $6::text[], $7::bigint[]) \
             ON CONFLICT (case_id, kind, due_at) DO NOTHING",
            &[&ids, &kinds, &dues, &units, &created, &jobs, &slots],
        )
        .await
    }

    async fn reminders(&self, case: Option<CaseId>, limit: u32) -> Result<Vec<redress_store::Reminder>> {
        let (case, limit) = (case.map(|c| c.0), limit as i64);
        Ok(self
            .query(
                "SELECT case_id, kind, due_at, unit_id, created_at, job, slot FROM reminders \
                 WHERE $1::bigint IS NULL OR case_id = $1 ORDER BY created_at DESC, case_id, kind LIMIT $2",
                &[&case, &limit],
            )
            .await?
            .iter()
            .map(|r| redress_store::Reminder {
                case_id: CaseId(r.get(0)),
                kind: r.get(1),
                due_at: r.get(2),
                unit: r.get::<_, Option<i64>>(3).map(OrgId),
                created_at: r.get(4),
                job: r.get(5),
                slot: r.get(6),
            })
            .collect())
    }

    async fn rate_hit(&self, key: &str, window_start: DateTime<Utc>, add: i64) -> Result<i64> {
        Ok(self
            .query_opt(
                "INSERT INTO rate_windows (key, window_start, hits) VALUES ($1, $2, GREATEST($3::bigint, 0)) \
                 ON CONFLICT (key, window_start) DO UPDATE SET hits = GREATEST(rate_windows.hits + $3::bigint, 0) RETURNING hits",
                &[&key, &window_start, &add],
            )
            .await?
            .map_or(0, |r| r.get(0)))
    }

    async fn purge_rate_windows(&self, before: DateTime<Utc>) -> Result<u64> {
        self.execute("DELETE FROM rate_windows WHERE window_start < $1", &[&before]).await
    }

    // ----- routine duties (issue 6, migration 0011; queries in duties.rs) -----

    async fn add_nil_report(&self, r: &redress_store::NilReport) -> Result<i64> {
        self.duty_add_nil_report(r).await
    }

    async fn nil_reports(&self, q: &redress_store::NilReportQuery) -> Result<Vec<redress_store::NilReport>> {
        self.duty_nil_reports(q).await
    }

    async fn add_duty_reminders(&self, reminders: &[redress_store::DutyReminder]) -> Result<u64> {
        self.duty_add_reminders(reminders).await
    }

    async fn duty_reminders(&self, unit: Option<OrgId>, limit: u32) -> Result<Vec<redress_store::DutyReminder>> {
        self.duty_list_reminders(unit, limit).await
    }

    async fn save_campaign(&self, c: &redress_store::StoredCampaign, note: &redress_store::DutyNote) -> Result<i64> {
        self.duty_save_campaign(c, note).await
    }

    async fn get_campaign(&self, id: i64) -> Result<Option<redress_store::StoredCampaign>> {
        self.duty_get_campaign(id).await
    }

    async fn list_campaigns(&self, limit: u32) -> Result<Vec<redress_store::StoredCampaign>> {
        self.duty_list_campaigns(limit).await
    }

    async fn save_campaign_return(&self, r: &redress_store::StoredCampaignReturn, note: &redress_store::DutyNote) -> Result<i64> {
        self.duty_save_return(r, note).await
    }

    async fn campaign_returns(&self, campaign: i64) -> Result<Vec<redress_store::StoredCampaignReturn>> {
        self.duty_returns(campaign).await
    }

    async fn campaign_history(&self, campaign: i64) -> Result<Vec<redress_store::DutyNote>> {
        self.duty_history(campaign).await
    }

    async fn save_dossier(&self, d: &redress_store::StoredDossier, note: &redress_store::DutyNote) -> Result<i64> {
        self.dossier_save(d, note).await
    }

    async fn get_dossier(&self, id: i64) -> Result<Option<redress_store::StoredDossier>> {
        self.dossier_get(id).await
    }

    async fn list_dossiers(&self, q: &redress_store::DossierQuery) -> Result<Vec<redress_store::StoredDossier>> {
        self.dossier_list(q).await
    }

    async fn dossier_history(&self, id: i64) -> Result<Vec<redress_store::DutyNote>> {
        self.dossier_notes(id).await
    }
}
