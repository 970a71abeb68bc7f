//! `redress serve`: open and migrate the database, seed the demo county on first start, serve
//! HTTP until SIGTERM or Ctrl-C, then finish in-flight requests and exit 0.

use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use clap::Args;
use redress_app::demo::DEMO_PASSWORD;
use redress_app::App;

use crate::db::Db;
use crate::table;

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// 监听地址（端口 0 表示自动选择空闲端口）
    #[arg(long, default_value = "127.0.0.1:8080", value_name = "ADDR")]
    listen: SocketAddr,
    /// 空数据库首次启动时生成的演示事项数
    #[arg(long, default_value_t = 300, value_name = "N")]
    demo_cases: usize,
    /// 不生成演示数据
    #[arg(long)]
    no_demo: bool,
    /// 分类推荐模型（`redress model train` 生成）；不指定时用本库已有事项训练
    #[arg(long, value_name = "FILE")]
    category_model: Option<std::path::PathBuf>,
    /// 全文检索索引目录（每个服务实例一个；默认：SQLite 为“数据库文件.index”，PostgreSQL 为 ./redress-index-库名）
    #[arg(long, value_name = "DIR")]
    index_dir: Option<std::path::PathBuf>,
    /// 不启用全文检索索引和相似件/热点的内存索引（默认启用；不启用时检索页按标题查找，相似件与热点不可用）
    #[arg(long)]
    no_index: bool,
    /// 启用全文检索与相似件索引（已默认启用，保留此选项以兼容旧的启动脚本）
    #[arg(long, hide = true)]
    search: bool,
    /// 以 JSON 输出日志（日志级别由环境变量 REDRESS_LOG 控制，默认 info）
    #[arg(long)]
    pub log_json: bool,
    /// 后台任务（期限扫描、督办升级、清理）的间隔毫秒数（默认：扫描 5 分钟、清理 10 分钟；测试和压测用较短间隔）
    #[arg(long, value_name = "MS", env = "REDRESS_JOB_INTERVAL_MS")]
    job_interval_ms: Option<u64>,
    /// 本实例在任务租约中的名称（默认：主机名-进程号-随机后缀）
    #[arg(long, value_name = "ID")]
    instance_id: Option<String>,
}

/// The demo accounts, in the order they are shown.
const DEMO_USERS: [&str; 8] = ["clerk", "handler", "head", "supervisor", "leader", "admin", "auditor", "town_clerk"];

pub async fn run(db: &Db, args: ServeArgs) -> anyhow::Result<ExitCode> {
    let app = db.open_app(true).await?;
    tracing::info!(database = %db.display(), backend = app.store.backend(), "database ready");
    if !args.no_demo && app.store.list_orgs().await?.is_empty() {
        eprintln!("数据库为空，正在生成演示数据（{} 件事项）…", args.demo_cases);
        app.seed_demo_if_empty(args.demo_cases).await.context("生成演示数据失败")?;
    }
    if let Some(path) = &args.category_model {
        let model = redress_text::Model::load(path).with_context(|| format!("无法读取分类模型 {}", path.display()))?;
        app.set_category_model(model);
    }
    let indexes = !args.no_index;
    if indexes {
        app.hold_training();
    }
    // Background jobs (deadline scans, supervision escalation, early warnings, routing
    // retraining, housekeeping): each runs once across all instances on the database (leases in
    // the store).
    let opts = match args.job_interval_ms {
        Some(ms) => redress_app::jobs::JobOptions::with_interval(std::time::Duration::from_millis(ms.max(50))),
        None => redress_app::jobs::JobOptions::default(),
    };
    let instance = args.instance_id.clone().unwrap_or_else(redress_app::jobs::new_instance_id);
    tracing::info!(instance = %instance, "background jobs start");
    let (stop_jobs, stop_rx) = tokio::sync::watch::channel(false);
    let job_tasks = redress_app::jobs::JobRunner::new(app.clone(), instance, opts).start(stop_rx);
    // A database from before the dashboard gets its case facts once, in the background.
    let backfill = app.clone();
    tokio::spawn(async move {
        if let Err(e) = backfill.backfill_facts().await {
            tracing::warn!(error = %e, "case facts backfill failed");
        }
    });
    // The indexes load one after the other, and the routing training (a job) waits for them,
    // so that their memory peaks do not add up (bench/RESULTS.md, "Memory of the server");
    // requests are served meanwhile.
    if indexes {
        redress_app::similar::start_follower(app.clone(), std::time::Duration::from_millis(200));
        crate::index::start_for_server(db, &app, args.index_dir.clone(), indexes_wait(app.clone(), false)).await?;
        tokio::spawn({
            let app = app.clone();
            async move {
                indexes_wait(app.clone(), true).await;
                app.release_training();
            }
        });
    }
    let listener = tokio::net::TcpListener::bind(args.listen).await.with_context(|| format!("无法监听 {}", args.listen))?;
    let addr = listener.local_addr().context("无法取得监听地址")?;
    println!("redress 已启动：http://{addr}/");
    println!("工作人员工作台：http://{addr}/console   群众端：http://{addr}/");
    println!("数据库：{}（{}）", db.display(), app.store.backend());
    let logins = demo_logins(&app).await?;
    if !logins.is_empty() {
        println!("演示账号（密码均为 {DEMO_PASSWORD}）：");
        print!("{}", table::render(&["用户名", "角色", "单位"], &logins));
    }
    println!("按 Ctrl-C 停止");
    use std::io::Write;
    let _ = std::io::stdout().flush();
    let shutdown = async move {
        shutdown_signal().await;
        let _ = stop_jobs.send(true);
    };
    redress_web::serve(app, listener, shutdown).await.context("服务异常退出")?;
    // Give the leases up so that another instance takes the jobs over at once.
    let _ = tokio::time::timeout(std::time::Duration::from_secs(5), futures_join_all(job_tasks)).await;
    eprintln!("redress 已停止");
    Ok(ExitCode::SUCCESS)
}

/// Waits until the similar-case index is loaded and, with `search`, until the full-text index
/// is attached too (at most an hour: a failing index build must not keep the models untrained).
async fn indexes_wait(app: Arc<App>, search: bool) {
    let started = std::time::Instant::now();
    while started.elapsed() < std::time::Duration::from_secs(3600) {
        if app.similar_status().1 && (!search || app.search_backend().is_some()) {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
    }
}

async fn futures_join_all(tasks: Vec<tokio::task::JoinHandle<()>>) {
    for t in tasks {
        let _ = t.await;
    }
}

/// Demo accounts that exist and still have the demo password (a changed password is not
/// advertised).
async fn demo_logins(app: &Arc<App>) -> anyhow::Result<Vec<Vec<String>>> {
    let cfg = app.cfg().await?;
    let mut rows = vec![];
    for name in DEMO_USERS {
        let Some(u) = app.store.get_user_by_name(name).await? else { continue };
        let hash = u.password_hash.clone();
        let still_demo = tokio::task::spawn_blocking(move || redress_app::auth::verify_password(DEMO_PASSWORD, &hash)).await.unwrap_or(false);
        if u.disabled || !still_demo {
            continue;
        }
        let roles: Vec<&str> = u.roles.iter().map(|r| r.label_zh()).collect();
        let org = cfg.tree.get(u.org_id).map(|o| o.name.clone()).unwrap_or_default();
        rows.push(vec![u.username.clone(), roles.join("、"), org]);
    }
    Ok(rows)
}

/// Resolves on SIGTERM or SIGINT (Ctrl-C).
async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => tracing::info!("SIGINT received, shutting down"),
        _ = term => tracing::info!("SIGTERM received, shutting down"),
    }
}
