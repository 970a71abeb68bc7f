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
    /// 不启用全文检索（默认即不启用；保留此选项以兼容）
    #[arg(long)]
    no_index: bool,
    /// 启用全文检索索引和相似件/热点的内存索引（试用：在100万件规模下尚未达到内存和吞吐要求，默认关闭）
    #[arg(long)]
    search: bool,
    /// 以 JSON 输出日志（日志级别由环境变量 REDRESS_LOG 控制，默认 info）
    #[arg(long)]
    pub log_json: bool,
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
    tokio::spawn(train_routing_models(app.clone()));
    // Early warnings: the idempotent scan every five minutes (to be moved onto the leased job
    // runner; running it in several instances at once is harmless, only wasteful).
    let scanner = app.clone();
    tokio::spawn(async move {
        let mut every = tokio::time::interval(std::time::Duration::from_secs(300));
        every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            every.tick().await;
            match scanner.scan_warnings(scanner.now()).await {
                Ok(r) if r != Default::default() => tracing::info!(raised = r.raised, updated = r.updated, escalated = r.escalated, "warning scan"),
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "warning scan failed"),
            }
        }
    });
    // A database from before the dashboard gets its case facts once, in the background.
    let backfill = app.clone();
    tokio::spawn(async move {
        if let Err(e) = backfill.backfill_facts().await {
            tracing::warn!(error = %e, "case facts backfill failed");
        }
    });
    // Full-text search and similar cases follow the log in this process. Opt-in until they
    // meet their budgets at 1 million cases (see bench/RESULTS.md): on by default they tripled
    // the CPU per intake and grew memory without bound on a large database.
    if args.search && !args.no_index {
        redress_app::similar::start_follower(app.clone(), std::time::Duration::from_millis(200));
        crate::index::start_for_server(db, &app, args.index_dir.clone()).await?;
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
    redress_web::serve(app, listener, shutdown_signal()).await.context("服务异常退出")?;
    eprintln!("redress 已停止");
    Ok(ExitCode::SUCCESS)
}

/// Learns routing suggestions from the county's own cases now and once a day after that,
/// in the background so the server answers meanwhile.
async fn train_routing_models(app: Arc<App>) {
    loop {
        match app.train_routing_models().await {
            Ok(s) => tracing::info!(
                unit_examples = s.unit_examples,
                units = s.unit_classes,
                category_examples = s.category_examples,
                categories = s.category_classes,
                "routing suggestions trained"
            ),
            Err(e) => tracing::warn!(error = %e, "routing suggestions not trained"),
        }
        tokio::time::sleep(std::time::Duration::from_secs(24 * 3600)).await;
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
