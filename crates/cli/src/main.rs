//! The `redress` binary. Each subcommand group lives in its own module; this file only parses
//! the command line, sets up logging and maps errors to exit codes.

mod backup;
mod bench;
mod calendar;
mod db;
mod export;
mod hotspots;
mod import;
mod index;
mod jobs;
mod model;
mod open311;
mod orgs;
mod progress;
mod rules;
mod serve;
mod table;
mod tokens;
mod users;
mod verify;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::db::Db;

#[derive(Debug, Parser)]
#[command(name = "redress", version, about = "redress：县级信访与 12345 诉求办理平台", propagate_version = true)]
struct Cli {
    /// 数据库地址：sqlite://文件路径 或 postgres://用户@主机:端口/库名
    #[arg(long, global = true, env = "REDRESS_DATABASE", default_value = "sqlite://redress.db", value_name = "URL")]
    database: String,

    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// 启动 Web 服务（空数据库首次启动时生成演示数据）
    Serve(serve::ServeArgs),
    /// 创建或升级数据库结构
    Migrate,
    /// 用户账号管理
    #[command(subcommand)]
    User(users::UserCmd),
    /// 组织机构管理
    #[command(subcommand)]
    Org(orgs::OrgCmd),
    /// 事项管理（历史台账导入）
    #[command(subcommand)]
    Case(import::CaseCmd),
    /// 导出事项为 JSON Lines（不含个人信息）；export ledger 导出台账（XLSX 或 CSV）
    Export(export::ExportArgs),
    /// 校验事件哈希链和每件事项的状态
    Verify,
    /// 在线备份（服务运行时也可）：SQLite 用在线备份接口；PostgreSQL 调用 pg_dump -Fc
    Backup(backup::BackupArgs),
    /// 从备份恢复到 --database 指定的数据库（已有数据时需 --force）
    Restore(backup::RestoreArgs),
    /// 工作日历：期限计算、节假日与调休
    #[command(subcommand)]
    Calendar(calendar::CalendarCmd),
    /// 办理期限规则
    #[command(subcommand)]
    Rules(rules::RulesCmd),
    /// API 访问令牌
    #[command(subcommand)]
    Token(tokens::TokenCmd),
    /// Open311 GeoReport v2 接口：客户端密钥
    #[command(subcommand)]
    Open311(open311::Open311Cmd),
    /// 全文检索索引：重建、状态
    #[command(subcommand)]
    Index(index::IndexCmd),
    /// 后台任务（期限扫描、督办升级、模型训练、清理）：各实例间只运行一次
    #[command(subcommand)]
    Jobs(jobs::JobsCmd),
    /// 性能测试
    Bench(bench::BenchArgs),
    /// 分流模型：训练与评估（类别、承办单位建议）
    Model { #[command(subcommand)] cmd: model::ModelCmd },
    /// 留言热点研判：归并同一事项，按近期增长和点赞排出热点（CSV：id,user,subject,time,content,against,support）
    Hotspots(hotspots::HotspotsArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let serve_logs = match &cli.command {
        Command::Serve(a) => Some(a.log_json),
        _ => None,
    };
    init_logging(serve_logs);
    if serve_logs.is_some() {
        redress_app::os::limit_heap_arenas();
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("错误：无法启动运行时：{e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("错误：{}", error_text(&e));
            ExitCode::FAILURE
        }
    }
}

/// The error and its causes, joined, skipping a cause whose text its parent already shows
/// (our error types often display their source).
fn error_text(e: &anyhow::Error) -> String {
    let mut parts: Vec<String> = vec![];
    for cause in e.chain() {
        let text = cause.to_string();
        if !parts.last().is_some_and(|p| p.contains(&text)) {
            parts.push(text);
        }
    }
    parts.join("：")
}

async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let db = Db::new(cli.database);
    match cli.command {
        Command::Serve(args) => serve::run(&db, args).await,
        Command::Migrate => {
            let store = db.open_store(true).await?;
            println!("数据库结构已是最新（{}：{}）", store.backend(), db.display());
            Ok(ExitCode::SUCCESS)
        }
        Command::User(cmd) => users::run(&db, cmd).await,
        Command::Org(cmd) => orgs::run(&db, cmd).await,
        Command::Case(cmd) => import::run(&db, cmd).await,
        Command::Export(args) => export::run(&db, args).await,
        Command::Verify => verify::run(&db).await,
        Command::Backup(args) => backup::backup(&db, args).await,
        Command::Restore(args) => backup::restore(&db, args).await,
        Command::Calendar(cmd) => calendar::run(&db, cmd).await,
        Command::Rules(cmd) => rules::run(&db, cmd).await,
        Command::Token(cmd) => tokens::run(&db, cmd).await,
        Command::Index(cmd) => index::run(&db, cmd).await,
        Command::Open311(cmd) => open311::run(&db, cmd).await,
        Command::Jobs(cmd) => jobs::run(&db, cmd).await,
        Command::Bench(args) => bench::run(args).await.map(|()| ExitCode::SUCCESS),
        Command::Model { cmd } => model::run(cmd).await.map(|()| ExitCode::SUCCESS),
        Command::Hotspots(args) => hotspots::run(args).await.map(|()| ExitCode::SUCCESS),
    }
}

/// Logs go to stderr. `serve` logs at info by default (JSON with `--log-json`); the other
/// commands only show warnings unless `REDRESS_LOG` says otherwise.
fn init_logging(serve_json: Option<bool>) {
    use tracing_subscriber::EnvFilter;
    let default = if serve_json.is_some() { "info" } else { "warn" };
    let filter = EnvFilter::try_from_env("REDRESS_LOG").unwrap_or_else(|_| EnvFilter::new(default));
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    if serve_json == Some(true) {
        builder.json().init();
    } else {
        builder.with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr())).init();
    }
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    #[test]
    fn repeated_causes_are_shown_once() {
        let inner = anyhow::anyhow!("代表人数不能多于来访人数");
        let e = inner.context("代表人数不能多于来访人数").context("生成演示数据失败");
        assert_eq!(super::error_text(&e), "生成演示数据失败：代表人数不能多于来访人数");
    }

    #[test]
    fn command_line_definition_is_consistent() {
        super::Cli::command().debug_assert();
    }
}
