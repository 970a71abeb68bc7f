//! `redress verify`: recompute the hash chain and every case's state from its events.

use std::process::ExitCode;

use crate::db::Db;
use crate::progress::Progress;

pub async fn run(db: &Db) -> anyhow::Result<ExitCode> {
    let store = db.open_store(false).await?;
    let progress = Progress::new();
    let unit = |stage: &str| if stage.contains("事项") { "件" } else { "条" };
    let on_progress = |stage: &str, done: u64, total: u64| progress.update(stage, done, total, unit(stage));
    let result = redress_app::verify::verify(store.as_ref(), &on_progress).await;
    progress.finish();
    let report = result?;
    match report.problem {
        None => {
            println!("哈希链完整：{} 条事件，{} 件事项状态与事件一致", report.events, report.cases);
            Ok(ExitCode::SUCCESS)
        }
        Some(problem) => {
            println!("校验失败：{problem}");
            println!("（此前已核对 {} 条事件、{} 件事项）", report.events, report.cases);
            Ok(ExitCode::FAILURE)
        }
    }
}
