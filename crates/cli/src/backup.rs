//! `redress backup` and `redress restore`: an online copy of a SQLite database while the
//! server runs (SQLite's backup API), and its restore into a new or, with `--force`, an
//! existing database file. PostgreSQL is backed up with its own tools (`pg_dump -Fc`,
//! `pg_restore`), run for the user when they are on PATH.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{bail, Context};
use clap::Args;

use crate::db::Db;
use crate::progress::Progress;

#[derive(Debug, Args)]
pub struct BackupArgs {
    /// 备份文件（SQLite：一个完整的数据库文件；PostgreSQL：pg_dump 自定义格式）
    #[arg(long, value_name = "FILE")]
    out: PathBuf,
}

#[derive(Debug, Args)]
pub struct RestoreArgs {
    /// `redress backup` 生成的备份文件
    #[arg(value_name = "FILE")]
    file: PathBuf,
    /// 目标数据库已有数据时仍然覆盖（请先停止使用该数据库的服务）
    #[arg(long)]
    force: bool,
}

/// What to tell a PostgreSQL user when pg_dump / pg_restore is not installed.
const PG_BACKUP_HINT: &str = "PostgreSQL 数据库请用 PostgreSQL 自带的工具备份：\n  pg_dump -Fc -f 备份文件 \"数据库地址\"\n恢复到一个新建的空库：\n  pg_restore --no-owner -d \"新库地址\" 备份文件\n然后运行 redress --database 新库地址 verify 校验。持续归档（时间点恢复）请用 pg_basebackup 和 WAL 归档，见 docs/DEPLOYMENT.md。";

pub async fn backup(db: &Db, args: BackupArgs) -> anyhow::Result<ExitCode> {
    let Some(src) = db.sqlite_path() else { return pg_tool(db, "pg_dump", &["-Fc", "-f"], &args.out, "备份") };
    let out = args.out.clone();
    let t0 = Instant::now();
    let progress = Progress::new();
    let result = tokio::task::spawn_blocking(move || {
        let mut last = (0, 0);
        let r = redress_store_sqlite::backup_file(&src, &out, &mut |done, total| {
            last = (done, total);
            progress.update("备份", done, total, "页");
        });
        progress.finish();
        r.map(|()| last)
    })
    .await
    .context("备份线程异常退出")?;
    let (pages, _) = result.with_context(|| format!("备份 {} 失败", db.display()))?;
    let bytes = std::fs::metadata(&args.out).map(|m| m.len()).unwrap_or(0);
    eprintln!("已复制 {pages} 页，用时 {:.1} 秒", t0.elapsed().as_secs_f64());
    println!("备份完成：{} → {}（{}）", db.display(), args.out.display(), human_size(bytes));
    println!("恢复：redress --database sqlite://新文件路径 restore {}", args.out.display());
    Ok(ExitCode::SUCCESS)
}

pub async fn restore(db: &Db, args: RestoreArgs) -> anyhow::Result<ExitCode> {
    let Some(dest) = db.sqlite_path() else {
        if !args.force {
            bail!("恢复 PostgreSQL 备份会写入 {}；请恢复到一个新建的空库，确认后加 --force 运行（将执行 pg_restore --no-owner）", db.display());
        }
        return pg_tool(db, "pg_restore", &["--no-owner", "--exit-on-error", "-d"], &args.file, "恢复");
    };
    let (file, force) = (args.file.clone(), args.force);
    let t0 = Instant::now();
    let progress = Progress::new();
    let dest2 = dest.clone();
    tokio::task::spawn_blocking(move || {
        let r = redress_store_sqlite::restore_file(&file, &dest2, force, &mut |done, total| progress.update("恢复", done, total, "页"));
        progress.finish();
        r
    })
    .await
    .context("恢复线程异常退出")?
    .with_context(|| format!("恢复到 {} 失败", dest.display()))?;
    eprintln!("用时 {:.1} 秒", t0.elapsed().as_secs_f64());
    // Bring the schema up to date in case the backup is from an older version.
    let store = db.open_store(false).await?;
    let cases = store.count_cases().await?;
    println!("已恢复：{} → {}（{cases} 件事项）", args.file.display(), db.display());
    println!("请运行 redress --database {} verify 校验哈希链", db_arg(&dest));
    Ok(ExitCode::SUCCESS)
}

fn db_arg(path: &Path) -> String {
    format!("sqlite://{}", path.display())
}

/// Runs pg_dump or pg_restore with the database URL, or explains how to when it is missing.
fn pg_tool(db: &Db, tool: &str, flags: &[&str], file: &Path, what: &str) -> anyhow::Result<ExitCode> {
    if !db.url().starts_with("postgres") {
        bail!("不支持的数据库地址：{}", db.display());
    }
    let mut cmd = std::process::Command::new(tool);
    cmd.args(flags);
    // pg_dump: -f FILE URL; pg_restore: -d URL FILE.
    if tool == "pg_dump" {
        cmd.arg(file).arg(db.url());
    } else {
        cmd.arg(db.url()).arg(file);
    }
    match cmd.status() {
        Ok(s) if s.success() => {
            println!("{what}完成（{tool}）：{} ↔ {}", db.display(), file.display());
            println!("请运行 redress --database 数据库地址 verify 校验哈希链");
            Ok(ExitCode::SUCCESS)
        }
        Ok(s) => bail!("{tool} 失败（{s}）"),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            eprintln!("未找到 {tool}（PostgreSQL 客户端工具）。\n{PG_BACKUP_HINT}");
            Ok(ExitCode::FAILURE)
        }
        Err(e) => bail!("无法运行 {tool}：{e}"),
    }
}

fn human_size(bytes: u64) -> String {
    match bytes {
        b if b >= 1 << 30 => format!("{:.1} GiB", b as f64 / (1u64 << 30) as f64),
        b if b >= 1 << 20 => format!("{:.1} MiB", b as f64 / (1u64 << 20) as f64),
        b => format!("{:.1} KiB", b as f64 / 1024.0),
    }
}
