//! `redress token add`: API bearer tokens. Only the token's hash is stored.

use std::process::ExitCode;

use anyhow::Context;
use clap::Subcommand;

use crate::db::Db;

#[derive(Debug, Subcommand)]
pub enum TokenCmd {
    /// 为某个用户签发 API 令牌（令牌只显示这一次）
    Add {
        /// 令牌名称（用途），如 “12345 对接”
        #[arg(long)]
        name: String,
        /// 令牌代表的用户
        #[arg(long, value_name = "USERNAME")]
        user: String,
    },
}

pub async fn run(db: &Db, cmd: TokenCmd) -> anyhow::Result<ExitCode> {
    match cmd {
        TokenCmd::Add { name, user } => {
            let app = db.open_app(false).await?;
            let u = app.store.get_user_by_name(user.trim()).await?.with_context(|| format!("用户“{user}”不存在"))?;
            if u.disabled {
                anyhow::bail!("用户“{}”已停用，不能为其签发令牌", u.username);
            }
            let token = app.issue_token(&name, Some(u.id), "api").await?;
            eprintln!("已为用户 {}（{}）签发令牌“{}”。令牌只显示这一次，请妥善保存；请求时使用 Authorization: Bearer <令牌>", u.username, u.display_name, name.trim());
            println!("{token}");
        }
    }
    Ok(ExitCode::SUCCESS)
}
