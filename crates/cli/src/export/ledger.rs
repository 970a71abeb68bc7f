//! `redress export ledger`: the ledger (台账) of a period as XLSX or CSV, as a county
//! administrator would see it. Names are masked unless `--with-names` is given; then every
//! name read is recorded in the personal-data access log as user "cli" (purpose 导出台账).

use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context};
use clap::{Args, ValueEnum};
use redress_app::ledger::{CsvLedger, LedgerParams, XlsxLedger};
use redress_app::{App, Principal};
use redress_domain::{Role, UserId};
use redress_store::User;

use crate::db::Db;
use crate::progress::Progress;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LedgerFormat {
    Xlsx,
    Csv,
}

#[derive(Debug, Args)]
pub struct LedgerArgs {
    /// 格式：xlsx 或 csv（带 BOM 的 UTF-8）
    #[arg(long, value_enum, default_value = "xlsx")]
    format: LedgerFormat,
    /// 登记日期起（北京时间，含），如 2026-03-01
    #[arg(long, value_name = "DATE")]
    from: String,
    /// 登记日期止（含），如 2026-03-31
    #[arg(long, value_name = "DATE")]
    to: String,
    /// 只导出该责任单位（含下级单位）的事项：单位编号或全称，如 县住房和城乡建设局
    #[arg(long, value_name = "ID")]
    unit: Option<String>,
    /// 输出文件
    #[arg(long, value_name = "FILE")]
    out: PathBuf,
    /// 导出信访人姓名原文（每件记入个人信息查看记录，查看人为 cli）
    #[arg(long)]
    with_names: bool,
}

/// The command line acts as the county's administrator, recorded in the access log as "cli".
fn cli_principal(app_root: redress_domain::OrgId) -> Principal {
    Principal {
        user: User {
            id: UserId(0),
            username: "cli".to_string(),
            display_name: "命令行".to_string(),
            org_id: app_root,
            roles: vec![Role::Admin],
            password_hash: String::new(),
            disabled: false,
            created_at: chrono::Utc::now(),
        },
        visible: None,
        via: "cli",
    }
}

pub async fn run(db: &Db, args: LedgerArgs) -> anyhow::Result<ExitCode> {
    // Dates are checked before the database is opened.
    LedgerParams::parse(&args.from, &args.to, None, args.with_names)?;
    let app = db.open_app(false).await?;
    let cfg = app.cfg().await?;
    // A unit by its number or its exact name.
    let unit = match args.unit.as_deref().map(str::trim).filter(|u| !u.is_empty()) {
        Some(u) if u.parse::<i64>().is_err() => match cfg.tree.all().find(|o| o.name == u) {
            Some(o) => Some(o.id.0.to_string()),
            None => bail!("没有名为“{u}”的单位（可填单位编号或全称，见 redress org list）"),
        },
        other => other.map(str::to_string),
    };
    let params = LedgerParams::parse(&args.from, &args.to, unit.as_deref(), args.with_names)?;
    let Some(root) = cfg.tree.all().find(|o| o.parent.is_none()).map(|o| o.id) else {
        bail!("数据库中还没有组织机构（请先运行 redress org import 或 redress serve）");
    };
    let p = cli_principal(root);
    let mut ledger = app.ledger(&p, params).await?;
    let part = part_path(&args.out);
    let result = write(&app, &p, &mut ledger, args.format, &part).await;
    let n = match result {
        Ok(n) => n,
        Err(e) => {
            let _ = std::fs::remove_file(&part);
            return Err(e);
        }
    };
    std::fs::rename(&part, &args.out).with_context(|| format!("无法写入 {}", args.out.display()))?;
    let names = if args.with_names { "，姓名为原文（已记入个人信息查看记录）" } else { "，姓名已脱敏" };
    eprintln!("{}：已导出 {n} 件事项到 {}{names}", ledger.title, args.out.display());
    Ok(ExitCode::SUCCESS)
}

/// "台账.xlsx" → "台账.xlsx.part": written there, renamed when complete.
fn part_path(out: &Path) -> PathBuf {
    let mut s = out.as_os_str().to_os_string();
    s.push(".part");
    PathBuf::from(s)
}

async fn write(app: &App, p: &Principal, ledger: &mut redress_app::ledger::Ledger, format: LedgerFormat, path: &Path) -> anyhow::Result<u64> {
    let file = std::fs::File::create(path).with_context(|| format!("无法创建 {}", path.display()))?;
    let progress = Progress::new();
    let total = ledger.total;
    let mut n = 0u64;
    match format {
        LedgerFormat::Csv => {
            let mut w = CsvLedger::new(BufWriter::new(file)).context("写入台账失败")?;
            while let Some(rows) = app.ledger_page(p, ledger).await? {
                for r in &rows {
                    w.row(r).context("写入台账失败")?;
                }
                n += rows.len() as u64;
                progress.update("导出台账", n, total, "件");
            }
            w.finish().context("写入台账失败")?.flush().context("写入台账失败")?;
        }
        LedgerFormat::Xlsx => {
            let mut w = XlsxLedger::new(&ledger.title)?;
            while let Some(rows) = app.ledger_page(p, ledger).await? {
                for r in &rows {
                    w.row(r)?;
                }
                n += rows.len() as u64;
                progress.update("导出台账", n, total, "件");
            }
            let bytes = w.finish()?;
            let mut out = BufWriter::new(file);
            out.write_all(&bytes).context("写入台账失败")?;
            out.flush().context("写入台账失败")?;
        }
    }
    progress.finish();
    Ok(n)
}
