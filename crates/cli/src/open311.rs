//! `redress open311 key add|list|revoke`: keys of Open311 GeoReport v2 clients. They are API
//! tokens with the scope "open311" and no staff account: they can submit requests at
//! `/open311/v2/requests.{json,xml}` and nothing else (the staff API refuses them). Only the
//! key's hash is stored; the key itself is printed once.

use std::process::ExitCode;

use clap::Subcommand;

use crate::db::Db;
use crate::table;

#[derive(Debug, Subcommand)]
pub enum Open311Cmd {
    /// Open311 客户端密钥（api_key）
    #[command(subcommand)]
    Key(KeyCmd),
}

#[derive(Debug, Subcommand)]
pub enum KeyCmd {
    /// 为 Open311 客户端签发密钥（密钥只显示这一次）
    Add {
        /// 客户端名称，如 “市民热线 App”；有效密钥的名称不能重复
        name: String,
    },
    /// 列出 Open311 客户端密钥（不显示密钥本身）
    List,
    /// 吊销某客户端的密钥
    Revoke {
        /// 客户端名称
        name: String,
    },
}

pub async fn run(db: &Db, cmd: Open311Cmd) -> anyhow::Result<ExitCode> {
    let Open311Cmd::Key(cmd) = cmd;
    match cmd {
        KeyCmd::Add { name } => {
            let app = db.open_app(false).await?;
            let key = app.add_open311_key(&name).await?;
            eprintln!(
                "已为 Open311 客户端“{}”签发密钥。密钥只显示这一次，请妥善保存；提交诉求时作为 api_key 参数发送（POST /open311/v2/requests.json）",
                name.trim()
            );
            println!("{key}");
        }
        KeyCmd::List => {
            let app = db.open_app(false).await?;
            let keys = app.open311_keys().await?;
            if keys.is_empty() {
                println!("尚无 Open311 客户端密钥（redress open311 key add 名称）");
                return Ok(ExitCode::SUCCESS);
            }
            let rows: Vec<Vec<String>> = keys
                .iter()
                .map(|k| {
                    vec![
                        k.name.clone(),
                        k.created_at.with_timezone(&redress_domain::china_offset()).format("%Y-%m-%d %H:%M").to_string(),
                        if k.revoked { "已吊销" } else { "有效" }.to_string(),
                        k.token_hash[..8].to_string(),
                    ]
                })
                .collect();
            print!("{}", table::render(&["名称", "签发时间", "状态", "指纹"], &rows));
        }
        KeyCmd::Revoke { name } => {
            let app = db.open_app(false).await?;
            let n = app.revoke_open311_key(&name).await?;
            println!("已吊销 Open311 客户端“{}”的 {n} 个密钥；该客户端不能再提交诉求", name.trim());
        }
    }
    Ok(ExitCode::SUCCESS)
}
