//! Rate limits shared by every instance on one PostgreSQL database: fixed-window counters in
//! the store ([`Store::rate_hit`]). With SQLite there is one instance, and the in-process
//! limiters (the web layer's token buckets, [`crate::auth::LoginThrottle`]) are used instead.
//! A fixed window lets a client spend up to twice the limit across a window boundary; it
//! never lets N instances multiply it.
//!
//! [`Store::rate_hit`]: redress_store::Store::rate_hit

use chrono::{DateTime, Duration, Utc};

use crate::auth::{MAX_FAILURES, THROTTLE_MINUTES};
use crate::error::{AppError, AppResult};
use crate::App;

/// The start of the fixed window of `secs` seconds holding `now`.
pub fn window_start(now: DateTime<Utc>, secs: i64) -> DateTime<Utc> {
    let secs = secs.max(1);
    let start = now.timestamp().div_euclid(secs) * secs;
    DateTime::from_timestamp(start, 0).expect("window start in range")
}

fn retry_after(now: DateTime<Utc>, start: DateTime<Utc>, secs: i64) -> u64 {
    (start + Duration::seconds(secs) - now).num_seconds().max(1) as u64
}

impl App {
    /// Whether limits are counted in the database (several instances may share it).
    pub fn shares_limits(&self) -> bool {
        self.store.backend() == "postgres"
    }

    /// Counts one hit on `key`; `Err(seconds)` when it is over `hits` in its window of
    /// `window_secs`. Store errors are returned as such (the caller may fall back).
    pub async fn shared_hit(&self, key: &str, hits: i64, window_secs: i64) -> AppResult<Result<(), u64>> {
        let now = self.now();
        let start = window_start(now, window_secs);
        let n = self.store.rate_hit(key, start, 1).await?;
        Ok(if n > hits { Err(retry_after(now, start, window_secs)) } else { Ok(()) })
    }

    /// Refuses a sign-in while `key` (account or client) has too many recent failures.
    pub(crate) async fn throttle_check(&self, key: &str, now: DateTime<Utc>) -> AppResult<()> {
        if !self.shares_limits() {
            return self.throttle.check(key, now);
        }
        let secs = THROTTLE_MINUTES * 60;
        let start = window_start(now, secs);
        if self.store.rate_hit(&format!("login:{key}"), start, 0).await? >= MAX_FAILURES as i64 {
            return Err(AppError::RateLimited { retry_after_secs: retry_after(now, start, secs) });
        }
        Ok(())
    }

    pub(crate) async fn throttle_fail(&self, key: &str, now: DateTime<Utc>) -> AppResult<()> {
        if !self.shares_limits() {
            self.throttle.fail(key, now);
            return Ok(());
        }
        self.store.rate_hit(&format!("login:{key}"), window_start(now, THROTTLE_MINUTES * 60), 1).await?;
        Ok(())
    }

    pub(crate) async fn throttle_succeed(&self, key: &str, now: DateTime<Utc>) -> AppResult<()> {
        if !self.shares_limits() {
            self.throttle.succeed(key);
            return Ok(());
        }
        let (k, start) = (format!("login:{key}"), window_start(now, THROTTLE_MINUTES * 60));
        let n = self.store.rate_hit(&k, start, 0).await?;
        if n > 0 {
            self.store.rate_hit(&k, start, -n).await?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn windows_are_aligned_and_retry_after_counts_to_their_end() {
        let now = Utc.with_ymd_and_hms(2026, 11, 23, 21, 7, 50).unwrap();
        let start = window_start(now, 20);
        assert_eq!(start, Utc.with_ymd_and_hms(2026, 11, 23, 21, 7, 40).unwrap());
        assert_eq!(retry_after(now, start, 20), 10);
        assert_eq!(window_start(now, 900), Utc.with_ymd_and_hms(2026, 11, 23, 21, 0, 0).unwrap());
    }
}
