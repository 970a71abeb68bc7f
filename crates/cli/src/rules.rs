//! `redress rules show|set`: the deadline rules, kept as data in the database.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::Subcommand;
use redress_domain::DeadlineRules;

use crate::db::Db;

#[derive(Debug, Subcommand)]
pub enum RulesCmd {
    /// 以 JSON 输出当前的办理期限规则
    Show,
    /// 从 JSON 文件设置办理期限规则（先校验，格式同 rules show）
    Set {
        /// 规则 JSON 文件
        #[arg(long, value_name = "FILE")]
        json: PathBuf,
    },
}

pub async fn run(db: &Db, cmd: RulesCmd) -> anyhow::Result<ExitCode> {
    match cmd {
        RulesCmd::Show => {
            let app = db.open_app(false).await?;
            println!("{}", serde_json::to_string_pretty(&app.cfg().await?.rules)?);
        }
        RulesCmd::Set { json } => {
            let text = std::fs::read_to_string(&json).with_context(|| format!("无法读取 {}", json.display()))?;
            let rules: DeadlineRules =
                serde_json::from_str(&text).with_context(|| format!("{} 不是有效的期限规则 JSON（可先用 redress rules show 导出再修改）", json.display()))?;
            let app = db.open_app(true).await?;
            app.set_rules(&rules).await?;
            println!("已更新办理期限规则：{} 条，临期提醒 {} 天；新的期限在事项下次变动时生效", rules.rules.len(), rules.warn_days);
        }
    }
    Ok(ExitCode::SUCCESS)
}
