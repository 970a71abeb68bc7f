//! `redress case import`: historical ledgers (台账) from CSV. Good rows are imported, each bad
//! row is reported with its line and written to `FILE.errors.csv` beside the input.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context};
use clap::Subcommand;
use redress_app::import::{ImportReport, RowError};

use crate::db::Db;
use crate::orgs::{default_intake_org, find_org};
use crate::progress::Progress;

#[derive(Debug, Subcommand)]
pub enum CaseCmd {
    /// 导入历史台账 CSV（UTF-8）；有错误的行写入 FILE.errors.csv，部分失败时退出码为 3（2 留给参数错误）
    Import {
        /// 台账 CSV 文件（UTF-8，首行为表头，如 登记日期,标题,联系电话,状态…）
        #[arg(long, value_name = "FILE")]
        csv: PathBuf,
        /// 登记机关：编号或全称；默认为名称含“信访”的第一个部门，否则为最高层级单位
        #[arg(long, value_name = "ID_OR_NAME")]
        intake_org: Option<String>,
        /// 只检查，不写入
        #[arg(long)]
        dry_run: bool,
    },
}

/// Exit code when some rows were rejected.
pub const PARTIAL: u8 = 3;

pub async fn run(db: &Db, cmd: CaseCmd) -> anyhow::Result<ExitCode> {
    match cmd {
        CaseCmd::Import { csv, intake_org, dry_run } => import(db, &csv, intake_org.as_deref(), dry_run).await,
    }
}

/// A CSV reading error in words, naming the line; undecodable text is asked to be UTF-8.
pub fn csv_error(path: &Path, e: csv::Error) -> anyhow::Error {
    let line = e.position().map(|p| p.line());
    let at = line.map(|l| format!("第 {l} 行")).unwrap_or_default();
    match e.kind() {
        csv::ErrorKind::Utf8 { .. } => anyhow::anyhow!(
            "{}{at}不是有效的 UTF-8 文本：请将文件另存为 UTF-8 编码（Excel 中选择“CSV UTF-8（逗号分隔）”）后再导入",
            path.display()
        ),
        csv::ErrorKind::Io(err) => anyhow::anyhow!("无法读取 {}：{err}", path.display()),
        _ => anyhow::anyhow!("{}{at}格式有误：{e}", path.display()),
    }
}

struct Input {
    header: Vec<String>,
    rows: Vec<(usize, Vec<String>)>,
}

fn read_input(path: &Path) -> anyhow::Result<Input> {
    let mut rdr = csv::ReaderBuilder::new()
        .flexible(true)
        .from_path(path)
        .with_context(|| format!("无法打开 {}", path.display()))?;
    let header: Vec<String> =
        rdr.headers().map_err(|e| csv_error(path, e))?.iter().map(|h| h.trim_start_matches('\u{feff}').trim().to_string()).collect();
    let mut rows = vec![];
    for rec in rdr.records() {
        let rec = rec.map_err(|e| csv_error(path, e))?;
        if rec.iter().all(|f| f.trim().is_empty()) {
            continue;
        }
        let line = rec.position().map_or(0, |p| p.line()) as usize;
        rows.push((line, rec.iter().map(str::to_string).collect()));
    }
    Ok(Input { header, rows })
}

/// `ledger.csv` → `ledger.csv.errors.csv`.
pub fn errors_path(input: &Path) -> PathBuf {
    let mut name = input.as_os_str().to_owned();
    name.push(".errors.csv");
    PathBuf::from(name)
}

/// The field as a person reads it: `petitioner.phone` → `phone`.
fn field_name(e: &RowError) -> &str {
    e.field.strip_prefix("petitioner.").unwrap_or(&e.field)
}

/// The error report: line, field, message, then the row as it was, so that the file can be
/// corrected and imported again (the extra columns are ignored on import).
fn write_error_report(path: &Path, input: &Input, report: &ImportReport) -> anyhow::Result<()> {
    let mut w = csv::Writer::from_path(path).with_context(|| format!("无法写入错误报告 {}", path.display()))?;
    let mut header = vec!["错误行号".to_string(), "错误字段".to_string(), "错误原因".to_string()];
    header.extend(input.header.iter().cloned());
    w.write_record(&header)?;
    for e in &report.errors {
        let mut rec = vec![e.line.to_string(), field_name(e).to_string(), e.message.clone()];
        if let Some((_, fields)) = input.rows.iter().find(|(l, _)| *l == e.line) {
            rec.extend(fields.iter().cloned());
        }
        rec.resize(header.len().max(rec.len()), String::new());
        w.write_record(&rec)?;
    }
    w.flush().with_context(|| format!("无法写入错误报告 {}", path.display()))?;
    Ok(())
}

async fn import(db: &Db, path: &Path, intake_org: Option<&str>, dry_run: bool) -> anyhow::Result<ExitCode> {
    let input = read_input(path)?;
    if input.rows.is_empty() {
        bail!("{} 中没有数据行", path.display());
    }
    let app = db.open_app(!dry_run).await?;
    let orgs = app.store.list_orgs().await?;
    let intake = match intake_org {
        Some(key) => find_org(&orgs, key)?,
        None => default_intake_org(&orgs).context("尚无组织机构：请先用 redress org import 导入组织机构")?,
    };
    let total = input.rows.len();
    eprintln!("{}：{total} 行，登记机关：{}{}", path.display(), intake.name, if dry_run { "（试导入，不写入）" } else { "" });
    let progress = Progress::new();
    let on_progress = |done: usize, total: usize| progress.update("", done as u64, total as u64, "行");
    let result = app.import_rows(&input.header, input.rows.clone(), intake.id, dry_run, &on_progress).await;
    progress.finish();
    let report = result?;
    let verb = if dry_run { "可导入" } else { "导入" };
    println!("{verb} {} 行，失败 {} 行", report.imported, report.errors.len());
    for e in &report.errors {
        println!("第 {} 行 [{}] {}", e.line, field_name(e), e.message);
    }
    let report_path = errors_path(path);
    if report.errors.is_empty() {
        if report_path.exists() {
            std::fs::remove_file(&report_path).with_context(|| format!("无法删除过期的错误报告 {}", report_path.display()))?;
            eprintln!("已删除上次的错误报告 {}", report_path.display());
        }
        return Ok(ExitCode::SUCCESS);
    }
    write_error_report(&report_path, &input, &report)?;
    eprintln!("错误报告已写入 {}（改正后可直接用它重新导入失败的行）", report_path.display());
    Ok(ExitCode::from(PARTIAL))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_report_sits_beside_the_input() {
        assert_eq!(errors_path(Path::new("data/台账.csv")), PathBuf::from("data/台账.csv.errors.csv"));
    }
}
