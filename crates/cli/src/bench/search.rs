//! `redress bench search`: the full-text index on the cases of a database (see `bench gen`):
//!
//! 1. pure indexing: up to `--sample` cases read into memory first, then indexed (cases/s);
//! 2. rebuild from the store into `--index-dir`: reading and indexing overlapped (cases/s),
//!    then the wait for segment merges;
//! 3. queries of one to three words drawn from the shared messages, each with one filter
//!    (status, unit or a date range): the index alone (top 20 + total) and the whole use case
//!    as the API runs it (`App::search`: index, loading the 20 cases, rows, snippets), p50/p95/p99;
//! 4. memory of this process while it answers (it holds the index as a server does);
//! 5. the peer in the same run: SQLite FTS5 with the trigram tokenizer over the same texts,
//!    built from the same cases, the same queries with the same filter as a WHERE clause.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use redress_app::search::SearchQuery;
use redress_app::App;
use redress_domain::{CaseId, Status};
use redress_search::{follow, Options, SearchIndex, Segmenter};
use redress_store::Store;
use serde::Serialize;

use crate::db::Db;

#[derive(clap::Args, Debug)]
pub struct SearchArgs {
    /// 索引目录（会被清空重建）
    #[arg(long, default_value = "bench/out/search-index")]
    pub index_dir: PathBuf,
    /// 查询次数
    #[arg(long, default_value_t = 2000)]
    pub queries: usize,
    /// 纯索引速度的样本事项数（先读入内存）
    #[arg(long, default_value_t = 100_000)]
    pub sample: u64,
    /// 共享数据目录（查询词从中抽取）
    #[arg(long, default_value = "../shared/data")]
    pub vocab_dir: PathBuf,
    #[arg(long, value_parser = crate::index::parse_segmenter)]
    pub segmenter: Option<Segmenter>,
    /// 建索引线程数（默认 CPU 核数）
    #[arg(long)]
    pub threads: Option<usize>,
    #[arg(long, default_value_t = 256)]
    pub memory_mb: usize,
    /// 对照（SQLite FTS5 trigram）的查询次数；0 跳过对照
    #[arg(long, default_value_t = 300)]
    pub peer_queries: usize,
    /// 对照库最多收录的事项数（0：全部）
    #[arg(long, default_value_t = 0)]
    pub peer_cases: u64,
    /// 结果 JSON 与对照库所在目录
    #[arg(long, default_value = "bench/out")]
    pub out: PathBuf,
    #[arg(long, default_value_t = 7)]
    pub seed: u64,
    /// 不重建：用 --index-dir 中已有的索引只测查询和内存（进程只做服务会做的事）
    #[arg(long)]
    pub skip_build: bool,
    #[arg(from_global)]
    pub database: String,
}

#[derive(Debug, Serialize, Default, Clone, Copy)]
pub struct Latency {
    pub n: usize,
    pub p50_ms: f64,
    pub p95_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
    pub mean_hits: f64,
}

fn latency(mut ms: Vec<f64>, hits: &[u64]) -> Latency {
    if ms.is_empty() {
        return Latency::default();
    }
    ms.sort_by(|a, b| a.total_cmp(b));
    let p = |q: f64| ms[((ms.len() as f64 * q).ceil() as usize).clamp(1, ms.len()) - 1];
    Latency {
        n: ms.len(),
        p50_ms: p(0.50),
        p95_ms: p(0.95),
        p99_ms: p(0.99),
        max_ms: *ms.last().expect("non-empty"),
        mean_hits: hits.iter().sum::<u64>() as f64 / hits.len().max(1) as f64,
    }
}

#[derive(Debug, Serialize, Default)]
struct Report {
    started_at: String,
    database: String,
    cases: i64,
    segmenter: String,
    machine: String,
    pure_index_cases: u64,
    store_read_secs: f64,
    store_read_rate: f64,
    pure_index_secs: f64,
    pure_index_rate: f64,
    /// CPU seconds the pure indexing took (all threads): with `cores` this gives the rate an
    /// otherwise idle machine would reach, whatever else ran meanwhile.
    pure_index_cpu_secs: f64,
    rebuild_secs: f64,
    rebuild_rate: f64,
    rebuild_cpu_secs: f64,
    cores: usize,
    merge_secs: f64,
    index_bytes: u64,
    index_only: Latency,
    with_snippets: Latency,
    by_filter: Vec<(String, Latency)>,
    rss_mib: f64,
    rss_anon_mib: f64,
    rss_file_mib: f64,
    peak_rss_mib: f64,
    peer: Option<Peer>,
}

#[derive(Debug, Serialize, Default)]
struct Peer {
    name: String,
    cases: u64,
    build_secs: f64,
    build_rate: f64,
    db_bytes: u64,
    /// Queries whose words all have three or more characters (FTS5 MATCH can use the index).
    matched: Latency,
    /// Queries with a one- or two-character word: the trigram index cannot answer those (nor
    /// LIKE '%电梯%', which FTS5 also sends to the index), so they are instr() scans.
    like: Latency,
    all: Latency,
    /// Same queries on our index, for the ratio.
    ours_all: Latency,
}

/// One query: words and a filter.
#[derive(Debug, Clone)]
struct Q {
    words: Vec<String>,
    filter: Filter,
}

#[derive(Debug, Clone)]
enum Filter {
    Status(Vec<Status>),
    Unit(i64),
    Dates(chrono::DateTime<chrono::Utc>, chrono::DateTime<chrono::Utc>),
}

impl Filter {
    fn name(&self) -> &'static str {
        match self {
            Filter::Status(_) => "status",
            Filter::Unit(_) => "unit",
            Filter::Dates(..) => "dates",
        }
    }
}

/// CPU seconds this process has used (user + system), from /proc/self/stat.
fn cpu_secs() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let after = stat.rsplit(')').next().unwrap_or("");
    let f: Vec<&str> = after.split_whitespace().collect();
    let ticks = |i: usize| f.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    // Fields 14 and 15 of the line (utime, stime), counted after the command name.
    (ticks(11) + ticks(12)) / 100.0
}

fn proc_status_mib(field: &str) -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with(field)).and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok()))
        .map_or(0.0, |kib| kib / 1024.0)
}

fn dir_bytes(dir: &Path) -> u64 {
    std::fs::read_dir(dir).map_or(0, |rd| rd.filter_map(|e| e.ok()?.metadata().ok()).filter(|m| m.is_file()).map(|m| m.len()).sum())
}

/// Words for queries: nouns and verbs of two or more characters from real subjects and
/// messages, kept with the message they came from so multi-word queries co-occur.
fn query_words(dir: &Path) -> Vec<Vec<String>> {
    let mut docs = vec![];
    for file in ["messages-hot.csv", "messages-replies.csv"] {
        let Ok(mut r) = csv::Reader::from_path(dir.join(file)) else { continue };
        for row in r.records().flatten() {
            let text = format!("{} {}", row.get(2).unwrap_or(""), row.get(4).unwrap_or("").chars().take(120).collect::<String>());
            let words: Vec<String> = redress_search::tokenize::query_words(Segmenter::Jieba, &text)
                .into_iter()
                .filter(|(w, lone)| !lone && w.chars().count() >= 2 && w.chars().all(|c| !c.is_ascii()))
                .map(|(w, _)| w)
                .collect();
            if words.len() >= 3 {
                docs.push(words);
            }
        }
    }
    if docs.is_empty() {
        docs = vec![vec!["电梯".into(), "故障".into(), "物业".into()], vec!["工资".into(), "拖欠".into(), "工地".into()], vec!["噪音".into(), "施工".into(), "夜间".into()]];
    }
    docs
}

async fn make_queries(a: &SearchArgs, app: &App) -> anyhow::Result<Vec<Q>> {
    let docs = query_words(&a.vocab_dir);
    let cfg = app.cfg().await?;
    let units: Vec<i64> = cfg.tree.all().filter(|o| o.kind == redress_domain::org::OrgKind::Department).map(|o| o.id.0).collect();
    let mut rng = StdRng::seed_from_u64(a.seed);
    let now = app.now();
    let statuses = [
        vec![Status::InProgress],
        vec![Status::Closed],
        vec![Status::Registered, Status::Accepted],
        vec![Status::Replied, Status::FollowedUp],
        vec![Status::Routed],
    ];
    let mut out = vec![];
    for i in 0..a.queries + 100 {
        let doc = &docs[rng.gen_range(0..docs.len())];
        let n = [1, 1, 2, 2, 3][rng.gen_range(0..5)].min(doc.len());
        let mut words: Vec<String> = vec![];
        while words.len() < n {
            let w = doc[rng.gen_range(0..doc.len())].clone();
            if !words.contains(&w) {
                words.push(w);
            }
        }
        let filter = match i % 3 {
            0 => Filter::Status(statuses[rng.gen_range(0..statuses.len())].clone()),
            1 => Filter::Unit(units[rng.gen_range(0..units.len())]),
            _ => {
                let from = now - chrono::Duration::days(rng.gen_range(30..730));
                Filter::Dates(from, from + chrono::Duration::days(90))
            }
        };
        out.push(Q { words, filter });
    }
    Ok(out)
}

fn to_search(q: &Q) -> SearchQuery {
    let mut s = SearchQuery { text: q.words.join(" "), limit: 20, ..Default::default() };
    match &q.filter {
        Filter::Status(v) => s.statuses = v.clone(),
        Filter::Unit(u) => s.unit = Some(redress_domain::OrgId(*u)),
        Filter::Dates(f, t) => {
            s.registered_from = Some(*f);
            s.registered_to = Some(*t);
        }
    }
    s
}

pub async fn run(a: SearchArgs) -> anyhow::Result<()> {
    let db = Db::new(a.database.clone());
    let store = db.open_store(false).await?;
    let app = Arc::new(App::new(store.clone()));
    std::fs::create_dir_all(&a.out).with_context(|| format!("无法建立 {}", a.out.display()))?;
    let cases = store.count_cases().await?;
    anyhow::ensure!(cases > 0, "数据库中没有事项，请先运行 redress bench gen");
    let seg = a.segmenter.unwrap_or_default();
    let mut r = Report {
        started_at: chrono::Utc::now().to_rfc3339(),
        database: db.display(),
        cases,
        segmenter: format!("{seg:?}").to_lowercase(),
        cores: std::thread::available_parallelism().map_or(1, |n| n.get()),
        machine: format!(
            "{} cores, {:.0} GiB, load {}",
            std::thread::available_parallelism().map_or(0, |n| n.get()),
            proc_meminfo_gib(),
            std::fs::read_to_string("/proc/loadavg").unwrap_or_default().trim()
        ),
        ..Default::default()
    };
    let mut opts = Options::bulk();
    opts.segmenter = Some(seg);
    if let Some(t) = a.threads {
        opts.writer_threads = t.max(1);
    }
    opts.writer_memory = a.memory_mb << 20;

    // 1. Pure indexing of a sample held in memory.
    if !a.skip_build {
        let n = a.sample.min(cases as u64);
        let t = Instant::now();
        let mut sample = Vec::with_capacity(n as usize);
        let mut from = 1;
        let max = store.max_case_id().await?.0;
        while (sample.len() as u64) < n && from <= max {
            let mut batch = store.cases_in_range(CaseId(from), CaseId(from + follow::BUILD_BATCH)).await?;
            batch.truncate((n - sample.len() as u64) as usize);
            sample.extend(batch);
            from += follow::BUILD_BATCH;
        }
        r.store_read_secs = t.elapsed().as_secs_f64();
        r.pure_index_cases = sample.len() as u64;
        r.store_read_rate = sample.len() as f64 / r.store_read_secs;
        let tmp = a.out.join("search-sample-index");
        let _ = std::fs::remove_dir_all(&tmp);
        let o = opts.clone();
        let (secs, cpu) = tokio::task::spawn_blocking(move || -> anyhow::Result<(f64, f64)> {
            let index = SearchIndex::open_with(&tmp, o)?;
            let t = Instant::now();
            let cpu = cpu_secs();
            for chunk in sample.chunks(1000) {
                index.add_new_cases(chunk)?;
            }
            index.commit(1)?;
            let secs = t.elapsed().as_secs_f64();
            let cpu = cpu_secs() - cpu;
            drop(sample);
            index.finish()?;
            let _ = std::fs::remove_dir_all(&tmp);
            Ok((secs, cpu))
        })
        .await??;
        r.pure_index_secs = secs;
        r.pure_index_rate = r.pure_index_cases as f64 / secs;
        r.pure_index_cpu_secs = cpu;
        eprintln!(
            "纯索引：{} 件，读库 {:.1} 秒（{:.0} 件/秒），索引 {:.1} 秒（{:.0} 件/秒；CPU {:.1} 秒，{} 核满载相当于 {:.0} 件/秒）",
            r.pure_index_cases,
            r.store_read_secs,
            r.store_read_rate,
            secs,
            r.pure_index_rate,
            cpu,
            r.cores,
            r.pure_index_cases as f64 * r.cores as f64 / cpu.max(1e-9)
        );
    }

    // 2. Rebuild from the store.
    if !a.skip_build {
        let _ = std::fs::remove_dir_all(&a.index_dir);
        let d = a.index_dir.clone();
        let o = opts.clone();
        let index = Arc::new(tokio::task::spawn_blocking(move || SearchIndex::open_with(&d, o)).await??);
        let cpu = cpu_secs();
        let stats = follow::build_from_store(index.clone(), store.clone(), &|_, _| {}).await?;
        r.rebuild_cpu_secs = cpu_secs() - cpu;
        r.rebuild_secs = stats.total_secs;
        r.rebuild_rate = stats.cases as f64 / stats.total_secs;
        let index = Arc::try_unwrap(index).map_err(|_| anyhow::anyhow!("索引仍被占用"))?;
        let t = Instant::now();
        tokio::task::spawn_blocking(move || index.finish()).await??;
        r.merge_secs = t.elapsed().as_secs_f64();
        r.index_bytes = dir_bytes(&a.index_dir);
        eprintln!(
            "重建（读库+索引）：{} 件，{:.1} 秒（{:.0} 件/秒；CPU {:.1} 秒，满载相当于 {:.0} 件/秒）；段合并 {:.1} 秒；索引 {:.0} MB",
            stats.cases,
            r.rebuild_secs,
            r.rebuild_rate,
            r.rebuild_cpu_secs,
            stats.cases as f64 * r.cores as f64 / r.rebuild_cpu_secs.max(1e-9),
            r.merge_secs,
            r.index_bytes as f64 / 1e6
        );
    }

    // 3. Queries, on the index opened as a server opens it.
    let d = a.index_dir.clone();
    let index = Arc::new(tokio::task::spawn_blocking(move || SearchIndex::open(&d)).await??);
    r.segmenter = format!("{:?}", index.segmenter()).to_lowercase(); // that of the index queried (--skip-build)
    app.set_search(index.clone());
    let queries = make_queries(&a, &app).await?;
    let admin = principal(&app, "clerk").await?;
    for q in &queries[..100] {
        let _ = index.search(&to_search(q))?;
        let _ = app.search(&admin, to_search(q)).await;
    }
    let queries = &queries[100..];
    let mut idx_ms = vec![];
    let mut idx_hits = vec![];
    let mut app_ms = vec![];
    let mut app_hits = vec![];
    let mut per_filter: std::collections::BTreeMap<&'static str, (Vec<f64>, Vec<u64>)> = Default::default();
    for q in queries {
        let sq = to_search(q);
        let t = Instant::now();
        let page = index.search(&sq)?;
        idx_ms.push(t.elapsed().as_secs_f64() * 1e3);
        idx_hits.push(page.total);
        let t = Instant::now();
        let res = app.search(&admin, sq).await?;
        let ms = t.elapsed().as_secs_f64() * 1e3;
        app_ms.push(ms);
        app_hits.push(res.total);
        let e = per_filter.entry(q.filter.name()).or_default();
        e.0.push(ms);
        e.1.push(res.total);
    }
    r.index_only = latency(idx_ms.clone(), &idx_hits);
    r.with_snippets = latency(app_ms, &app_hits);
    r.by_filter = per_filter.into_iter().map(|(k, (ms, h))| (k.to_string(), latency(ms, &h))).collect();
    r.rss_mib = proc_status_mib("VmRSS:");
    r.rss_anon_mib = proc_status_mib("RssAnon:");
    r.rss_file_mib = proc_status_mib("RssFile:");
    r.peak_rss_mib = proc_status_mib("VmHWM:");
    eprintln!(
        "查询（仅索引）：p50 {:.2} ms，p95 {:.2} ms，p99 {:.2} ms；整个用例（含取事项与摘要）：p50 {:.2} ms，p95 {:.2} ms，p99 {:.2} ms；平均命中 {:.0}",
        r.index_only.p50_ms, r.index_only.p95_ms, r.index_only.p99_ms, r.with_snippets.p50_ms, r.with_snippets.p95_ms, r.with_snippets.p99_ms, r.with_snippets.mean_hits
    );
    eprintln!("内存：RSS {:.0} MiB（匿名 {:.0}，文件映射 {:.0}），峰值 {:.0} MiB", r.rss_mib, r.rss_anon_mib, r.rss_file_mib, r.peak_rss_mib);

    // 5. The peer.
    if a.peer_queries > 0 {
        let peer = fts5_peer(&a, store.clone(), &queries[..a.peer_queries.min(queries.len())], &idx_ms[..a.peer_queries.min(queries.len())], &idx_hits).await?;
        eprintln!(
            "对照 {}：建库 {:.1} 秒（{:.0} 件/秒），{:.0} MB；查询 p50 {:.2} ms，p99 {:.2} ms（其中 {} 个含一两字词须全表扫描：p50 {:.1} ms）；本索引同批查询 p50 {:.2} ms，p99 {:.2} ms",
            peer.name,
            peer.build_secs,
            peer.build_rate,
            peer.db_bytes as f64 / 1e6,
            peer.all.p50_ms,
            peer.all.p99_ms,
            peer.like.n,
            peer.like.p50_ms,
            peer.ours_all.p50_ms,
            peer.ours_all.p99_ms
        );
        if r.rebuild_rate > 0.0 {
            eprintln!("建库速度：本索引 {:.0} 件/秒，对照 {:.0} 件/秒，本索引为对照的 {:.1} 倍", r.rebuild_rate, peer.build_rate, r.rebuild_rate / peer.build_rate);
        }
        eprintln!(
            "查询延迟比（对照/本索引，同一批查询）：p50 {:.0}×，p99 {:.0}×",
            peer.all.p50_ms / peer.ours_all.p50_ms.max(1e-6),
            peer.all.p99_ms / peer.ours_all.p99_ms.max(1e-6)
        );
        r.peer = Some(peer);
    }
    let path = a.out.join(format!("search-{}.json", chrono::Utc::now().format("%Y%m%d-%H%M%S")));
    std::fs::write(&path, serde_json::to_string_pretty(&r)?)?;
    println!("{}", serde_json::to_string_pretty(&r)?);
    eprintln!("结果：{}", path.display());
    Ok(())
}

fn proc_meminfo_gib() -> f64 {
    std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|s| s.lines().next().and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok()))
        .map_or(0.0, |kib| kib / 1024.0 / 1024.0)
}

async fn principal(app: &App, username: &str) -> anyhow::Result<redress_app::Principal> {
    let user = app.store.get_user_by_name(username).await?.with_context(|| format!("没有用户 {username}"))?;
    let cfg = app.cfg().await?;
    Ok(redress_app::Principal::new(user, &cfg.tree, "token"))
}

/// SQLite FTS5 with `tokenize='trigram'` over the same four texts; filter columns unindexed
/// in the same virtual table, so a filter is a WHERE clause on the match.
async fn fts5_peer(a: &SearchArgs, store: Arc<dyn Store>, queries: &[Q], ours_ms: &[f64], ours_hits: &[u64]) -> anyhow::Result<Peer> {
    let path = a.out.join("search-peer-fts5.db");
    for ext in ["", "-wal", "-shm", "-journal"] {
        let _ = std::fs::remove_file(format!("{}{ext}", path.display()));
    }
    let conn = rusqlite::Connection::open(&path)?;
    conn.execute_batch(
        "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;
         CREATE VIRTUAL TABLE docs USING fts5(subject, content, replies, address, status UNINDEXED, unit UNINDEXED, registered_at UNINDEXED, tokenize='trigram');",
    )?;
    let max = store.max_case_id().await?.0;
    let limit = if a.peer_cases == 0 { u64::MAX } else { a.peer_cases };
    let t = Instant::now();
    let mut n = 0u64;
    let mut from = 1;
    let conn = Arc::new(std::sync::Mutex::new(conn));
    while from <= max && n < limit {
        let batch = store.cases_in_range(CaseId(from), CaseId(from + follow::BUILD_BATCH)).await?;
        from += follow::BUILD_BATCH;
        let c = conn.clone();
        let take = (limit - n).min(batch.len() as u64) as usize;
        n += take as u64;
        tokio::task::spawn_blocking(move || -> anyhow::Result<()> {
            let mut conn = c.lock().unwrap_or_else(|e| e.into_inner());
            let tx = conn.transaction()?;
            {
                let mut ins = tx.prepare_cached(
                    "INSERT INTO docs(rowid, subject, content, replies, address, status, unit, registered_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                )?;
                for case in &batch[..take] {
                    let replies = case.reply.as_ref().map(|r| format!("{}\n{}", r.opinion, r.facts)).unwrap_or_default();
                    ins.execute(rusqlite::params![
                        case.id.0,
                        case.matter.subject,
                        case.matter.content,
                        replies,
                        case.matter.location.address,
                        case.status.key(),
                        case.unit.map(|u| u.0),
                        case.registered_at.timestamp()
                    ])?;
                }
            }
            tx.commit()?;
            Ok(())
        })
        .await??;
    }
    let c = conn.clone();
    tokio::task::spawn_blocking(move || c.lock().unwrap_or_else(|e| e.into_inner()).execute_batch("INSERT INTO docs(docs) VALUES('optimize');")).await??;
    let build_secs = t.elapsed().as_secs_f64();
    let db_bytes = std::fs::metadata(&path).map_or(0, |m| m.len()) + std::fs::metadata(format!("{}-wal", path.display())).map_or(0, |m| m.len());
    let qs = queries.to_vec();
    let (matched, like, all) = tokio::task::spawn_blocking(move || -> anyhow::Result<(Latency, Latency, Latency)> {
        let conn = conn.lock().unwrap_or_else(|e| e.into_inner());
        let (mut m_ms, mut m_h, mut l_ms, mut l_h, mut all_ms, mut all_h) = (vec![], vec![], vec![], vec![], vec![], vec![]);
        for q in &qs {
            let (sql_filter, fp): (String, Vec<rusqlite::types::Value>) = match &q.filter {
                Filter::Status(v) => (
                    format!("status IN ({})", v.iter().map(|_| "?").collect::<Vec<_>>().join(",")),
                    v.iter().map(|s| rusqlite::types::Value::Text(s.key().to_string())).collect(),
                ),
                Filter::Unit(u) => ("unit = ?".into(), vec![rusqlite::types::Value::Integer(*u)]),
                Filter::Dates(f, t) => (
                    "registered_at >= ? AND registered_at <= ?".into(),
                    vec![rusqlite::types::Value::Integer(f.timestamp()), rusqlite::types::Value::Integer(t.timestamp())],
                ),
            };
            let long: Vec<&String> = q.words.iter().filter(|w| w.chars().count() >= 3).collect();
            let short: Vec<&String> = q.words.iter().filter(|w| w.chars().count() < 3).collect();
            // Conditions and their parameters in the same order: match, short words, filter.
            let mut where_: Vec<String> = vec![];
            let mut params: Vec<rusqlite::types::Value> = vec![];
            if !long.is_empty() {
                where_.push("docs MATCH ?".into());
                params.push(rusqlite::types::Value::Text(long.iter().map(|w| format!("\"{w}\"")).collect::<Vec<_>>().join(" AND ")));
            }
            // A trigram index cannot look up fewer than three characters, and FTS5 answers
            // LIKE '%电梯%' from the index too (finding nothing), so short words are a scan.
            for w in &short {
                where_.push("(instr(subject, ?) > 0 OR instr(content, ?) > 0 OR instr(replies, ?) > 0 OR instr(address, ?) > 0)".into());
                for _ in 0..4 {
                    params.push(rusqlite::types::Value::Text(w.to_string()));
                }
            }
            where_.push(sql_filter);
            params.extend(fp);
            let cond = where_.join(" AND ");
            let order = if long.is_empty() { "rowid DESC" } else { "rank" };
            let t = Instant::now();
            let top: Vec<i64> = {
                let mut st = conn.prepare_cached(&format!("SELECT rowid FROM docs WHERE {cond} ORDER BY {order} LIMIT 20"))?;
                let rows = st.query_map(rusqlite::params_from_iter(params.iter()), |r| r.get(0))?;
                rows.collect::<Result<_, _>>()?
            };
            let total: i64 = conn.prepare_cached(&format!("SELECT count(*) FROM docs WHERE {cond}"))?.query_row(rusqlite::params_from_iter(params.iter()), |r| r.get(0))?;
            let ms = t.elapsed().as_secs_f64() * 1e3;
            let _ = top;
            all_ms.push(ms);
            all_h.push(total as u64);
            if short.is_empty() {
                m_ms.push(ms);
                m_h.push(total as u64);
            } else {
                l_ms.push(ms);
                l_h.push(total as u64);
            }
        }
        Ok((latency(m_ms, &m_h), latency(l_ms, &l_h), latency(all_ms, &all_h)))
    })
    .await??;
    let _ = Duration::ZERO;
    Ok(Peer {
        name: "SQLite FTS5 trigram".into(),
        cases: n,
        build_secs,
        build_rate: n as f64 / build_secs,
        db_bytes,
        matched,
        like,
        all,
        ours_all: latency(ours_ms.to_vec(), &ours_hits[..ours_ms.len()]),
    })
}
