//! `redress export`: every case as one JSON line, read in id ranges so that memory stays flat.
//! Personal data is kept outside cases and events and is never read here.
//! `redress export ledger` writes the ledger (台账) as XLSX or CSV ([`ledger`]).

mod ledger;

use std::collections::BTreeMap;
use std::io::{BufWriter, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::Args;
use redress_domain::{Case, CaseId};
use redress_store::{Store, StoredEvent};
use serde::Serialize;

use crate::db::Db;
use crate::progress::Progress;

#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct ExportArgs {
    #[command(subcommand)]
    cmd: Option<ExportCmd>,
    /// 输出文件（默认输出到标准输出）
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
    /// 每行为 {"case": …, "events": […]}，附带全部事件（含哈希，可独立校验）
    #[arg(long)]
    with_events: bool,
}

#[derive(Debug, clap::Subcommand)]
enum ExportCmd {
    /// 导出台账（XLSX 或 CSV）：登记日期在期间内的事项，可限一个单位（含下级）；姓名默认脱敏
    Ledger(ledger::LedgerArgs),
}

/// Cases read per round trip.
const BATCH: i64 = 1_000;

#[derive(Serialize)]
struct WithEvents<'a> {
    case: &'a Case,
    events: &'a [StoredEvent],
}

pub async fn run(db: &Db, args: ExportArgs) -> anyhow::Result<ExitCode> {
    if let Some(ExportCmd::Ledger(a)) = args.cmd {
        return ledger::run(db, a).await;
    }
    let app = db.open_app(false).await?;
    let out: Box<dyn Write> = match &args.out {
        Some(p) => Box::new(std::fs::File::create(p).with_context(|| format!("无法创建 {}", p.display()))?),
        None => Box::new(std::io::stdout().lock()),
    };
    let mut out = BufWriter::new(out);
    let n = write_all(app.store.as_ref(), &mut out, args.with_events).await?;
    out.flush().context("写入导出文件失败")?;
    let dest = args.out.as_ref().map(|p| format!("到 {}", p.display())).unwrap_or_default();
    eprintln!("已导出 {n} 件事项{dest}{}", if args.with_events { "（含事件）" } else { "" });
    Ok(ExitCode::SUCCESS)
}

async fn write_all(store: &dyn Store, out: &mut impl Write, with_events: bool) -> anyhow::Result<u64> {
    let max = store.max_case_id().await?.0;
    let total = store.count_cases().await?.max(0) as u64;
    let progress = Progress::new();
    let mut n = 0u64;
    let mut lo = 1;
    while lo <= max {
        let hi = lo + BATCH;
        let cases = store.cases_in_range(CaseId(lo), CaseId(hi)).await?;
        let mut events: BTreeMap<CaseId, Vec<StoredEvent>> = BTreeMap::new();
        if with_events {
            for e in store.events_in_case_range(CaseId(lo), CaseId(hi)).await? {
                events.entry(e.case_id).or_default().push(e);
            }
        }
        for case in &cases {
            if with_events {
                let evs = events.remove(&case.id).unwrap_or_default();
                serde_json::to_writer(&mut *out, &WithEvents { case, events: &evs })?;
            } else {
                serde_json::to_writer(&mut *out, case)?;
            }
            out.write_all(b"\n").context("写入导出文件失败")?;
            n += 1;
        }
        progress.update("导出", n, total, "件");
        lo = hi;
    }
    progress.finish();
    Ok(n)
}
