//! Mapping PostgreSQL and pool errors onto [`StoreError`].

use deadpool_postgres::PoolError;
use redress_store::StoreError;
use tokio_postgres::error::SqlState;

/// Maps a driver error. Unique violations name the field; lost connections and a server that
/// is shutting down or starting up are `Unavailable` (worth retrying).
pub(crate) fn pg(e: tokio_postgres::Error) -> StoreError {
    if let Some(db) = e.as_db_error() {
        let code = db.code();
        if *code == SqlState::UNIQUE_VIOLATION {
            return StoreError::Duplicate { field: field_of_constraint(db.constraint().unwrap_or("")) };
        }
        return classify_code(code, &e.to_string());
    }
    // No server error: I/O, closed connection, connect timeout, or a client-side problem.
    if lost_connection(&e) {
        StoreError::Unavailable(e.to_string())
    } else {
        StoreError::Other(e.to_string())
    }
}

/// A driver error without a server error that means the server could not be reached.
fn lost_connection(e: &tokio_postgres::Error) -> bool {
    if e.is_closed() || is_io(e) {
        return true;
    }
    // The driver's error kinds are private; these are its fixed messages.
    let msg = e.to_string();
    msg.starts_with("error connecting to server") || msg.starts_with("timeout waiting for server")
}

fn is_io(e: &tokio_postgres::Error) -> bool {
    let mut src: Option<&(dyn std::error::Error + 'static)> = std::error::Error::source(e);
    while let Some(s) = src {
        if s.is::<std::io::Error>() {
            return true;
        }
        src = s.source();
    }
    false
}

fn classify_code(code: &SqlState, msg: &str) -> StoreError {
    let c = code.code();
    if c.starts_with("08") // connection exception
        || c.starts_with("57P") // admin_shutdown, crash_shutdown, cannot_connect_now, database_dropped
        || *code == SqlState::TOO_MANY_CONNECTIONS
        || *code == SqlState::READ_ONLY_SQL_TRANSACTION // a standby during failover
        || *code == SqlState::T_R_SERIALIZATION_FAILURE
        || *code == SqlState::T_R_DEADLOCK_DETECTED
        || *code == SqlState::LOCK_NOT_AVAILABLE
        || *code == SqlState::QUERY_CANCELED
    {
        StoreError::Unavailable(msg.to_string())
    } else if *code == SqlState::DISK_FULL
        || *code == SqlState::INSUFFICIENT_PRIVILEGE
        || *code == SqlState::OUT_OF_MEMORY
        || c.starts_with("58") // system error (I/O)
    {
        StoreError::Storage(msg.to_string())
    } else if c.starts_with("XX") {
        StoreError::Corrupt(msg.to_string())
    } else {
        StoreError::Other(msg.to_string())
    }
}

fn field_of_constraint(constraint: &str) -> String {
    match constraint {
        "cases_tracking_code_key" => "tracking_code".into(),
        "users_username_key" => "username".into(),
        "cases_pkey" => "id".into(),
        "orgs_pkey" | "users_pkey" => "id".into(),
        "sessions_pkey" | "api_tokens_pkey" => "token_hash".into(),
        "events_pkey" => "seq".into(),
        "warnings_live_key" => "key".into(),
        other => other.strip_suffix("_key").or_else(|| other.strip_suffix("_pkey")).unwrap_or(other).to_string(),
    }
}

pub(crate) fn pool(e: PoolError) -> StoreError {
    match e {
        PoolError::Backend(e) => pg(e),
        PoolError::Timeout(t) => StoreError::Unavailable(format!("连接池超时（{t:?}）")),
        PoolError::Closed => StoreError::Unavailable("连接池已关闭".into()),
        PoolError::NoRuntimeSpecified => StoreError::Other("连接池未指定运行时".into()),
        PoolError::PostCreateHook(e) => StoreError::Unavailable(e.to_string()),
    }
}

pub(crate) fn json_out(e: serde_json::Error) -> StoreError {
    StoreError::Other(format!("序列化失败：{e}"))
}

pub(crate) fn json_in(what: &str, e: serde_json::Error) -> StoreError {
    StoreError::Corrupt(format!("{what}：{e}"))
}

/// True when an error means the connection (not the statement) failed: the server went away,
/// is shutting down, or the socket broke.
pub(crate) fn is_connection_error(e: &tokio_postgres::Error) -> bool {
    match e.as_db_error() {
        Some(db) => {
            let c = db.code().code();
            c.starts_with("57P") || c.starts_with("08")
        }
        None => lost_connection(e),
    }
}
