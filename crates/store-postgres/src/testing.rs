//! Throw-away databases for tests: each test gets its own, named
//! `redress_test_<unix secs>_<pid>_<counter>_<random>`, dropped when the store is dropped;
//! [`cleanup_stale_test_databases`] removes leftovers older than an hour.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use redress_store::{Result, StoreError};

use crate::error::pg;

static COUNTER: AtomicU64 = AtomicU64::new(0);

/// Replaces the database name of a `postgres://user@host:port/db?params` URL.
pub fn url_with_database(url: &str, dbname: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let scheme_end = base.find("://").map(|i| i + 3).unwrap_or(0);
    let host_part_end = base[scheme_end..].find('/').map(|i| scheme_end + i).unwrap_or(base.len());
    let mut out = format!("{}/{}", &base[..host_part_end], dbname);
    if let Some(q) = query {
        out.push('?');
        out.push_str(q);
    }
    out
}

fn random_u32() -> u32 {
    use std::collections::hash_map::RandomState;
    use std::hash::{BuildHasher, Hasher};
    let mut h = RandomState::new().build_hasher();
    h.write_u128(SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0));
    h.finish() as u32
}

async fn admin_connect(admin_url: &str) -> Result<tokio_postgres::Client> {
    let (client, conn) = tokio_postgres::connect(admin_url, tokio_postgres::NoTls).await.map_err(pg)?;
    tokio::spawn(async move {
        let _ = conn.await;
    });
    Ok(client)
}

/// Creates an empty database with a unique name; returns its URL and name.
pub async fn create_test_database(admin_url: &str) -> Result<(String, String)> {
    let secs = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
    let name = format!(
        "redress_test_{secs}_{}_{}_{:08x}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed),
        random_u32()
    );
    let client = admin_connect(admin_url).await?;
    client.batch_execute(&format!("CREATE DATABASE \"{name}\"")).await.map_err(pg)?;
    Ok((url_with_database(admin_url, &name), name))
}

/// Drops a database, disconnecting anyone still using it.
pub async fn drop_database(admin_url: &str, dbname: &str) -> Result<()> {
    if dbname.contains('"') {
        return Err(StoreError::Other(format!("bad database name {dbname}")));
    }
    let client = admin_connect(admin_url).await?;
    client.batch_execute(&format!("DROP DATABASE IF EXISTS \"{dbname}\" WITH (FORCE)")).await.map_err(pg)
}

/// Drops `redress_test_*` databases created more than `max_age_secs` ago (by the time in
/// their name). Returns how many.
pub async fn cleanup_stale_test_databases(admin_url: &str, max_age_secs: u64) -> Result<usize> {
    let now = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
    let client = admin_connect(admin_url).await?;
    let rows = client
        .query("SELECT datname FROM pg_database WHERE datname LIKE 'redress\\_test\\_%'", &[])
        .await
        .map_err(pg)?;
    let mut dropped = 0;
    for row in rows {
        let name: String = row.get(0);
        let created: Option<u64> = name.strip_prefix("redress_test_").and_then(|r| r.split('_').next()).and_then(|s| s.parse().ok());
        if created.is_some_and(|c| c + max_age_secs < now) {
            match client.batch_execute(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)")).await {
                Ok(()) => dropped += 1,
                Err(e) => tracing::warn!(%name, error = %e, "could not drop stale test database"),
            }
        }
    }
    Ok(dropped)
}

/// Drops a database when dropped itself (from a helper thread, so it works inside or outside
/// a runtime). Attach one to a store with [`crate::PgStore::drop_database_on_drop`].
pub(crate) struct DropDatabase {
    pub admin_url: String,
    pub dbname: String,
}

impl Drop for DropDatabase {
    fn drop(&mut self) {
        let admin = std::mem::take(&mut self.admin_url);
        let name = std::mem::take(&mut self.dbname);
        let handle = std::thread::spawn(move || {
            let rt = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
                Ok(rt) => rt,
                Err(_) => return,
            };
            if let Err(e) = rt.block_on(drop_database(&admin, &name)) {
                tracing::warn!(%name, error = %e, "could not drop test database");
            }
        });
        let _ = handle.join();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_database_is_replaced() {
        assert_eq!(url_with_database("postgres://u@h:5432/test", "x"), "postgres://u@h:5432/x");
        assert_eq!(url_with_database("postgres://u@h:5432", "x"), "postgres://u@h:5432/x");
        assert_eq!(url_with_database("postgres://u@h/test?sslmode=disable", "x"), "postgres://u@h/x?sslmode=disable");
    }
}
