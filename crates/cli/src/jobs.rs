//! `redress jobs list`: the background jobs, who holds each one's lease, and the latest runs.

use std::process::ExitCode;

use clap::Subcommand;
use redress_domain::china_offset;

use crate::db::Db;
use crate::table;

#[derive(Debug, Subcommand)]
pub enum JobsCmd {
    /// 后台任务：周期、租约持有实例、最近运行
    List {
        /// 显示的最近运行条数
        #[arg(long, default_value_t = 20, value_name = "N")]
        runs: u32,
        /// 以 JSON 输出
        #[arg(long)]
        json: bool,
    },
}

fn time(t: chrono::DateTime<chrono::Utc>) -> String {
    t.with_timezone(&china_offset()).format("%Y-%m-%d %H:%M:%S%.3f").to_string()
}

pub async fn run(db: &Db, cmd: JobsCmd) -> anyhow::Result<ExitCode> {
    let JobsCmd::List { runs, json } = cmd;
    let app = db.open_app(false).await?;
    let o = app.jobs_overview_unchecked(runs).await?;
    if json {
        println!("{}", serde_json::to_string_pretty(&o)?);
        return Ok(ExitCode::SUCCESS);
    }
    let rows: Vec<Vec<String>> = o
        .jobs
        .iter()
        .map(|j| {
            let holder = match &j.lease {
                Some(l) if j.lease_live => format!("{}（第 {} 任，至 {}）", l.holder, l.epoch, time(l.expires_at)),
                Some(l) => format!("无（{} 的租约已过期）", l.holder),
                None => "无".into(),
            };
            let last = j.last_run.as_ref().map_or("—".into(), |r| {
                format!("{} {}", time(r.started_at), r.outcome.clone().unwrap_or_else(|| "运行中".into()))
            });
            vec![j.name.clone(), j.label.clone(), j.schedule.clone(), holder, last]
        })
        .collect();
    print!("{}", table::render(&["任务", "说明", "周期", "租约持有实例", "最近一次运行"], &rows));
    if !o.runs.is_empty() {
        println!();
        let rows: Vec<Vec<String>> = o
            .runs
            .iter()
            .map(|r| {
                vec![
                    r.job.clone(),
                    r.slot.to_string(),
                    time(r.slot_at),
                    r.holder.clone(),
                    r.attempts.to_string(),
                    r.finished_at.map_or("运行中".into(), time),
                    r.outcome.clone().unwrap_or_default(),
                ]
            })
            .collect();
        print!("{}", table::render(&["任务", "时段", "应运行于", "实例", "尝试", "完成于", "结果"], &rows));
    }
    Ok(ExitCode::SUCCESS)
}
