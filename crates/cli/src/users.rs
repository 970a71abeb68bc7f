//! `redress user add|list|disable|enable`: staff accounts.

use std::process::ExitCode;

use anyhow::bail;
use clap::Subcommand;
use rand::Rng;
use redress_domain::Role;

use crate::db::Db;
use crate::orgs::find_org;
use crate::table;

#[derive(Debug, Subcommand)]
pub enum UserCmd {
    /// 新增用户；不给 --password 时生成随机密码并只显示这一次
    Add {
        #[arg(long)]
        username: String,
        /// 显示名（姓名）
        #[arg(long)]
        name: String,
        /// 所属单位：编号或全称
        #[arg(long, value_name = "ORG_ID_OR_NAME")]
        org: String,
        /// 角色：英文键或中文名，多个用逗号分隔（如 handler,unit_head 或 承办人,单位负责人）
        #[arg(long = "role", value_name = "ROLE[,ROLE]", required = true)]
        roles: Vec<String>,
        /// 初始密码（至少 8 位）
        #[arg(long)]
        password: Option<String>,
    },
    /// 列出所有用户
    List,
    /// 停用用户（不能再登录）
    Disable { username: String },
    /// 重新启用用户
    Enable { username: String },
}

pub async fn run(db: &Db, cmd: UserCmd) -> anyhow::Result<ExitCode> {
    match cmd {
        UserCmd::Add { username, name, org, roles, password } => add(db, &username, &name, &org, &roles, password).await,
        UserCmd::List => list(db).await,
        UserCmd::Disable { username } => set_disabled(db, &username, true).await,
        UserCmd::Enable { username } => set_disabled(db, &username, false).await,
    }
}

/// Roles from `--role a,b --role 承办人`; Chinese commas work too.
pub fn parse_roles(values: &[String]) -> anyhow::Result<Vec<Role>> {
    let mut roles = vec![];
    for part in values.iter().flat_map(|v| v.split([',', '，', '、'])).map(str::trim).filter(|s| !s.is_empty()) {
        let Some(role) = Role::parse(part) else {
            let valid: Vec<String> = Role::ALL.iter().map(|r| format!("{}（{}）", r.key(), r.label_zh())).collect();
            bail!("角色“{part}”无法识别，可选：{}", valid.join("、"));
        };
        if !roles.contains(&role) {
            roles.push(role);
        }
    }
    if roles.is_empty() {
        bail!("至少指定一个角色（--role）");
    }
    Ok(roles)
}

/// 16 characters without look-alikes (no 0/O, 1/l/I).
pub fn random_password() -> String {
    const ALPHABET: &[u8] = b"23456789abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ";
    let mut rng = rand::thread_rng();
    (0..16).map(|_| ALPHABET[rng.gen_range(0..ALPHABET.len())] as char).collect()
}

async fn add(db: &Db, username: &str, name: &str, org: &str, roles: &[String], password: Option<String>) -> anyhow::Result<ExitCode> {
    let roles = parse_roles(roles)?;
    let app = db.open_app(true).await?;
    let orgs = app.store.list_orgs().await?;
    let org = find_org(&orgs, org)?;
    let generated = password.is_none();
    let password = password.unwrap_or_else(random_password);
    let user = app.add_user(username, name, org.id, roles.clone(), &password).await?;
    let labels: Vec<&str> = roles.iter().map(|r| r.label_zh()).collect();
    println!("已添加用户 {}（{}，{}，{}），编号 {}", user.username, user.display_name, org.name, labels.join("、"), user.id);
    if generated {
        println!("初始密码（只显示这一次，请转交本人并提醒修改）：{password}");
    }
    Ok(ExitCode::SUCCESS)
}

async fn list(db: &Db) -> anyhow::Result<ExitCode> {
    let app = db.open_app(false).await?;
    let mut users = app.store.list_users().await?;
    users.sort_by_key(|u| u.id);
    let orgs = app.store.list_orgs().await?;
    let rows: Vec<Vec<String>> = users
        .iter()
        .map(|u| {
            let org = orgs.iter().find(|o| o.id == u.org_id).map_or_else(|| format!("（单位 {} 不存在）", u.org_id), |o| o.name.clone());
            let roles: Vec<&str> = u.roles.iter().map(|r| r.label_zh()).collect();
            vec![u.id.to_string(), u.username.clone(), u.display_name.clone(), org, roles.join("、"), if u.disabled { "已停用" } else { "" }.into()]
        })
        .collect();
    if rows.is_empty() {
        println!("尚无用户。可用 redress user add 添加。");
    } else {
        print!("{}", table::render(&["编号", "用户名", "姓名", "单位", "角色", "状态"], &rows));
    }
    Ok(ExitCode::SUCCESS)
}

async fn set_disabled(db: &Db, username: &str, disabled: bool) -> anyhow::Result<ExitCode> {
    let app = db.open_app(false).await?;
    let user = app.set_user_disabled(username.trim(), disabled).await?;
    if disabled {
        println!("已停用用户 {}（{}）；其已登录的会话将无法继续使用", user.username, user.display_name);
    } else {
        println!("已启用用户 {}（{}）", user.username, user.display_name);
    }
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_parse_from_keys_labels_and_lists() {
        let r = parse_roles(&["handler,单位负责人".into(), "登记员，handler".into()]).unwrap();
        assert_eq!(r, vec![Role::Handler, Role::UnitHead, Role::IntakeClerk]);
        assert!(parse_roles(&["boss".into()]).unwrap_err().to_string().contains("boss"));
    }

    #[test]
    fn generated_passwords_are_sixteen_unambiguous_characters() {
        let p = random_password();
        assert_eq!(p.len(), 16);
        assert!(!p.contains(['0', 'O', '1', 'l', 'I']));
        assert_ne!(p, random_password());
    }
}
