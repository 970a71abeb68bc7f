//! Conversions between Rust values and SQLite columns, and SQLite errors to `StoreError`.

use chrono::{DateTime, Datelike, NaiveDateTime, SubsecRound, Timelike, Utc};
use rusqlite::ErrorCode;
use serde::de::DeserializeOwned;

use redress_store::StoreError;

/// Fixed width, so text order is time order; six digits, as PostgreSQL keeps.
const TIME_FORMAT: &str = "%Y-%m-%dT%H:%M:%S%.6fZ";

pub(crate) fn ts(t: DateTime<Utc>) -> String {
    // Written out by hand: chrono's formatter shows in profiles of the writer thread.
    let (year, nanos) = (t.year(), t.nanosecond());
    if !(0..=9999).contains(&year) || nanos >= 1_000_000_000 {
        return t.format(TIME_FORMAT).to_string();
    }
    format!(
        "{year:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:06}Z",
        t.month(),
        t.day(),
        t.hour(),
        t.minute(),
        t.second(),
        nanos / 1000
    )
}

pub(crate) fn opt_ts(t: Option<DateTime<Utc>>) -> Option<String> {
    t.map(ts)
}

/// What a timestamp reads back as after a round trip through a column.
pub(crate) fn stored_ts(t: DateTime<Utc>) -> DateTime<Utc> {
    t.trunc_subsecs(6)
}

pub(crate) fn parse_ts(s: &str) -> rusqlite::Result<DateTime<Utc>> {
    NaiveDateTime::parse_from_str(s, TIME_FORMAT)
        .map(|n| n.and_utc())
        .map_err(|e| rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, Box::new(e)))
}

pub(crate) fn from_json<T: DeserializeOwned>(s: &str) -> rusqlite::Result<T> {
    serde_json::from_str(s)
        .map_err(|e| rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, Box::new(e)))
}

pub(crate) fn to_json<T: serde::Serialize>(v: &T) -> Result<String, StoreError> {
    serde_json::to_string(v).map_err(|e| StoreError::Other(format!("序列化失败：{e}")))
}

/// The serde name of a unit-like enum value (`"letter"`, `"town"`...).
pub(crate) fn key_of<T: serde::Serialize>(v: &T) -> Result<String, StoreError> {
    match serde_json::to_value(v) {
        Ok(serde_json::Value::String(s)) => Ok(s),
        _ => Err(StoreError::Other("无法取得枚举值的名称".into())),
    }
}

pub(crate) fn from_key<T: DeserializeOwned>(s: &str) -> rusqlite::Result<T> {
    from_json(&serde_json::Value::String(s.to_string()).to_string())
}

/// Maps SQLite failures to the error kinds callers act on: operators fix `Storage`,
/// clients retry `Unavailable`, users pick another value on `Duplicate`.
pub(crate) fn map_err(e: rusqlite::Error) -> StoreError {
    let rusqlite::Error::SqliteFailure(code, msg) = &e else {
        return match e {
            rusqlite::Error::FromSqlConversionFailure(..) | rusqlite::Error::InvalidColumnType(..) => {
                StoreError::Corrupt(e.to_string())
            }
            _ => StoreError::Other(e.to_string()),
        };
    };
    let detail = msg.clone().unwrap_or_else(|| code.to_string());
    match code.code {
        ErrorCode::DiskFull => StoreError::Storage(format!("磁盘空间已满（SQLITE_FULL）：{detail}")),
        ErrorCode::SystemIoFailure => StoreError::Storage(format!("磁盘读写错误（SQLITE_IOERR）：{detail}")),
        ErrorCode::ReadOnly => StoreError::ReadOnly(format!("数据库文件只读，请检查文件权限和磁盘挂载（SQLITE_READONLY）：{detail}")),
        ErrorCode::CannotOpen => StoreError::Storage(format!("无法打开数据库文件，请检查路径和权限（SQLITE_CANTOPEN）：{detail}")),
        ErrorCode::PermissionDenied => StoreError::Storage(format!("没有访问数据库文件的权限（SQLITE_PERM）：{detail}")),
        ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked => {
            StoreError::Unavailable(format!("数据库正忙，请稍后重试（{}）：{detail}", code.code as i32))
        }
        ErrorCode::DatabaseCorrupt | ErrorCode::NotADatabase => StoreError::Corrupt(detail),
        ErrorCode::ConstraintViolation => constraint(code.extended_code, detail),
        _ => StoreError::Other(detail),
    }
}

fn constraint(extended: i32, detail: String) -> StoreError {
    const UNIQUE: i32 = rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE;
    const PRIMARY_KEY: i32 = rusqlite::ffi::SQLITE_CONSTRAINT_PRIMARYKEY;
    if extended == UNIQUE || extended == PRIMARY_KEY {
        // "UNIQUE constraint failed: users.username": name the column, as the trait promises.
        if let Some(field) = detail.rsplit(['.', ' ']).next().filter(|f| !f.is_empty()) {
            return StoreError::Duplicate { field: field.to_string() };
        }
    }
    StoreError::Other(detail)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn timestamps_sort_as_text_and_round_trip() {
        let a = Utc.with_ymd_and_hms(2024, 3, 1, 8, 0, 0).unwrap();
        let b = a + chrono::Duration::microseconds(1);
        assert!(ts(a) < ts(b));
        assert_eq!(ts(a), "2024-03-01T08:00:00.000000Z");
        assert_eq!(parse_ts(&ts(b)).unwrap(), b);
    }

    #[test]
    fn hand_written_format_matches_chrono() {
        let base = Utc.with_ymd_and_hms(2024, 12, 31, 23, 59, 59).unwrap();
        for extra_ns in [0, 1, 999, 1_000, 123_456_789, 999_999_999] {
            let t = base + chrono::Duration::nanoseconds(extra_ns);
            assert_eq!(ts(t), t.format(TIME_FORMAT).to_string());
        }
        let ancient = Utc.with_ymd_and_hms(5, 1, 2, 3, 4, 5).unwrap();
        assert_eq!(ts(ancient), "0005-01-02T03:04:05.000000Z");
    }

    #[test]
    fn unique_violation_names_the_column() {
        let e = constraint(rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE, "UNIQUE constraint failed: users.username".into());
        assert_eq!(e, StoreError::Duplicate { field: "username".into() });
    }
}
