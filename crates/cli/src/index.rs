//! `redress index`: rebuild the full-text index from the cases, show how far it has followed
//! the event log; and the server's start-up of the index (open, catch up in the background,
//! follow the log).

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use clap::{Args, Subcommand};
use redress_app::App;
use redress_search::{follow, Options, SearchIndex, Segmenter};

use crate::db::Db;
use crate::progress::Progress;

#[derive(Debug, Subcommand)]
pub enum IndexCmd {
    /// 从全部事项重建全文检索索引（须先停止使用该索引目录的服务）
    Rebuild(RebuildArgs),
    /// 索引状态：文档数、已跟进到的事件序号、与事件日志的差距
    Status(DirArg),
}

#[derive(Debug, Args)]
pub struct DirArg {
    /// 索引目录（默认：SQLite 为“数据库文件.index”，PostgreSQL 为 ./redress-index-库名）
    #[arg(long, value_name = "DIR")]
    pub index_dir: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct RebuildArgs {
    #[command(flatten)]
    pub dir: DirArg,
    /// 分词方式：jieba（精确模式，默认；长词中的词在检索时匹配）、search（搜索引擎模式：长词中的词也写入索引）、fast（全部词典词）、bigram（二元切分）
    #[arg(long, value_parser = parse_segmenter, value_name = "MODE")]
    pub segmenter: Option<Segmenter>,
    /// 建索引线程数（默认：CPU 核数，至多 4）
    #[arg(long, value_name = "N")]
    pub threads: Option<usize>,
    /// 索引缓冲内存（MB）
    #[arg(long, default_value_t = 256, value_name = "MB")]
    pub memory_mb: usize,
}

pub fn parse_segmenter(s: &str) -> Result<Segmenter, String> {
    Segmenter::parse(s).ok_or_else(|| format!("分词方式“{s}”无效，可用 jieba、search、fast、bigram"))
}

pub async fn run(db: &Db, cmd: IndexCmd) -> anyhow::Result<ExitCode> {
    match cmd {
        IndexCmd::Rebuild(a) => rebuild(db, a).await,
        IndexCmd::Status(a) => status(db, a).await,
    }
}

async fn rebuild(db: &Db, a: RebuildArgs) -> anyhow::Result<ExitCode> {
    let store = db.open_store(false).await?;
    let dir = a.dir.index_dir.unwrap_or_else(|| db.default_index_dir());
    let mut opts = Options::bulk();
    opts.segmenter = Some(a.segmenter.unwrap_or_default());
    if let Some(t) = a.threads {
        opts.writer_threads = t.max(1);
    }
    opts.writer_memory = a.memory_mb.max(32) << 20;
    let d = dir.clone();
    let index = tokio::task::spawn_blocking(move || SearchIndex::open_with(&d, opts)).await??;
    let index = Arc::new(index);
    eprintln!("正在重建全文检索索引 {}（分词：{:?}）…", dir.display(), index.segmenter());
    let progress = Progress::new();
    let stats = follow::build_from_store(index.clone(), store, &|done, total| progress.update("建立索引", done, total, "件")).await?;
    progress.finish();
    let index = Arc::try_unwrap(index).map_err(|_| anyhow::anyhow!("索引仍被占用"))?;
    let merge = std::time::Instant::now();
    tokio::task::spawn_blocking(move || index.finish()).await??;
    let rate = stats.cases as f64 / stats.total_secs.max(1e-9);
    eprintln!(
        "已建立索引：{} 件事项，用时 {:.1} 秒（{:.0} 件/秒），段合并 {:.1} 秒；已跟进到事件 {}",
        stats.cases,
        stats.total_secs,
        rate,
        merge.elapsed().as_secs_f64(),
        stats.last_seq
    );
    println!("{}", serde_json::json!({ "dir": dir, "cases": stats.cases, "secs": stats.total_secs, "last_seq": stats.last_seq }));
    Ok(ExitCode::SUCCESS)
}

async fn status(db: &Db, a: DirArg) -> anyhow::Result<ExitCode> {
    let dir = a.index_dir.unwrap_or_else(|| db.default_index_dir());
    let Some(st) = SearchIndex::status_of(&dir)? else {
        eprintln!("{} 没有全文检索索引（运行 redress index rebuild 建立，或启动服务时自动建立）", dir.display());
        return Ok(ExitCode::from(1));
    };
    let store = db.open_store(false).await?;
    let (head, _) = store.chain_head().await?;
    println!(
        "{}",
        serde_json::json!({ "dir": dir, "docs": st.docs, "last_seq": st.last_seq, "log_head": head, "behind": head - st.last_seq, "segmenter": st.segmenter })
    );
    Ok(ExitCode::SUCCESS)
}

/// Opens the server's index (refusing a directory another process writes to), then catches up
/// with the log in the background and attaches the index to the app when it is current;
/// search answers 503 until then.
/// The catch-up starts once `after` is done (the server's earlier start-up jobs).
pub async fn start_for_server(db: &Db, app: &Arc<App>, dir: Option<PathBuf>, after: impl std::future::Future<Output = ()> + Send + 'static) -> anyhow::Result<()> {
    let dir = dir.unwrap_or_else(|| db.default_index_dir());
    let d = dir.clone();
    let index = tokio::task::spawn_blocking(move || SearchIndex::open(&d))
        .await?
        .with_context(|| format!("无法打开全文检索索引 {}", dir.display()))?;
    let index = Arc::new(index);
    eprintln!("全文检索索引：{}（已跟进到事件 {}）", dir.display(), index.last_seq());
    let app = app.clone();
    tokio::spawn(async move {
        after.await;
        let store = app.store.clone();
        loop {
            match follow::catch_up(&index, &store).await {
                Ok(seq) => {
                    redress_app::os::release_free_heap();
                    tracing::info!(dir = %index.dir().display(), docs = index.num_docs(), last_seq = seq, "search index ready");
                    app.set_search(index.clone());
                    follow::follow(index, store).await;
                    return;
                }
                Err(e) => {
                    tracing::error!(error = %e, "search index cannot catch up; retrying in 5 s");
                    tokio::time::sleep(std::time::Duration::from_secs(5)).await;
                }
            }
        }
    });
    Ok(())
}
