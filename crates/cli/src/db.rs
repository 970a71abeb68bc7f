//! Opening the database named by `--database`.

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::{bail, Context};
use redress_app::App;
use redress_store::Store;

pub struct Db {
    url: String,
}

impl Db {
    pub fn new(url: String) -> Db {
        Db { url: url.trim().to_string() }
    }

    /// The SQLite file the URL names, if it is a SQLite URL.
    pub fn sqlite_path(&self) -> Option<PathBuf> {
        let rest = self.url.strip_prefix("sqlite://").or_else(|| self.url.strip_prefix("sqlite:"))?;
        let path = rest.split('?').next().unwrap_or_default();
        (!path.is_empty() && path != ":memory:").then(|| PathBuf::from(path))
    }

    /// The URL as given (with any password): for tools such as pg_dump.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Where a server keeps its full-text index unless told: beside a SQLite file
    /// (`redress.db.index`), or `./redress-index-<dbname>` for PostgreSQL.
    pub fn default_index_dir(&self) -> PathBuf {
        if let Some(path) = self.sqlite_path() {
            let mut s = path.into_os_string();
            s.push(".index");
            return PathBuf::from(s);
        }
        let name = self.url.rsplit('/').next().unwrap_or("").split('?').next().unwrap_or("");
        let name: String = name.chars().filter(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '-').collect();
        PathBuf::from(format!("redress-index-{}", if name.is_empty() { "default" } else { &name }))
    }

    /// The URL as shown to people: a PostgreSQL password is hidden.
    pub fn display(&self) -> String {
        if let Some(path) = self.sqlite_path() {
            return path.display().to_string();
        }
        match (self.url.find("://"), self.url.find('@')) {
            (Some(s), Some(at)) if at > s => {
                let creds = &self.url[s + 3..at];
                match creds.split_once(':') {
                    Some((user, _)) => format!("{}{user}:***{}", &self.url[..s + 3], &self.url[at..]),
                    None => self.url.clone(),
                }
            }
            _ => self.url.clone(),
        }
    }

    /// Opens and migrates the store. With `create == false` a SQLite file must already exist,
    /// so that a mistyped path in a read-only command is an error, not an empty database.
    pub async fn open_store(&self, create: bool) -> anyhow::Result<Arc<dyn Store>> {
        if !create {
            if let Some(path) = self.sqlite_path() {
                if !path.exists() {
                    bail!("数据库文件 {} 不存在（请检查 --database，或先运行 redress migrate / redress serve）", path.display());
                }
            }
        }
        redress_app::open_and_migrate(&self.url).await.with_context(|| format!("无法打开数据库 {}", self.display()))
    }

    pub async fn open_app(&self, create: bool) -> anyhow::Result<Arc<App>> {
        Ok(Arc::new(App::new(self.open_store(create).await?)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn postgres_password_is_hidden_when_displayed() {
        assert_eq!(Db::new("postgres://u:secret@h:5432/db".into()).display(), "postgres://u:***@h:5432/db");
        assert_eq!(Db::new("postgres://u@h/db".into()).display(), "postgres://u@h/db");
        assert_eq!(Db::new("sqlite://data/redress.db?mode=rwc".into()).display(), "data/redress.db");
    }

    #[test]
    fn each_database_has_its_own_default_index_directory() {
        assert_eq!(Db::new("sqlite://data/redress.db".into()).default_index_dir(), PathBuf::from("data/redress.db.index"));
        assert_eq!(Db::new("postgres://u:p@h:5432/county?sslmode=disable".into()).default_index_dir(), PathBuf::from("redress-index-county"));
    }
}
