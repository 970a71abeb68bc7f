//! Per-client limits for unauthenticated endpoints (public lookup, portal submission,
//! Open311 reads). With one instance (SQLite) a token bucket in this process; on PostgreSQL a
//! fixed-window counter in the database (`App::shared_hit`) with the same long-run rate and
//! burst, so that any number of instances share one limit. Should the database not answer,
//! the local bucket decides (the request will mostly fail for the same reason anyway).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Instant;

pub struct RateLimiter {
    name: &'static str,
    per_minute: f64,
    burst: f64,
    buckets: Mutex<HashMap<String, (f64, Instant)>>,
}

impl RateLimiter {
    pub fn new(per_minute: u32, burst: u32) -> RateLimiter {
        RateLimiter::named("limit", per_minute, burst)
    }

    /// `name` keeps the shared counters of different limits apart.
    pub fn named(name: &'static str, per_minute: u32, burst: u32) -> RateLimiter {
        RateLimiter { name, per_minute: per_minute as f64, burst: burst as f64, buckets: Mutex::new(HashMap::new()) }
    }

    /// Takes one hit for `key`, in the database when the app shares limits across instances;
    /// on refusal returns the seconds until the client may try again.
    pub async fn check(&self, app: &redress_app::App, key: &str) -> Result<(), u64> {
        if app.shares_limits() {
            // `burst` hits per window of `burst` minutes-worth of the rate.
            let window = (self.burst * 60.0 / self.per_minute).ceil().max(1.0) as i64;
            match app.shared_hit(&format!("{}:{key}", self.name), self.burst as i64, window).await {
                Ok(verdict) => return verdict,
                Err(e) => tracing::warn!(error = %e, limit = self.name, "shared rate limit unavailable; limiting in this process"),
            }
        }
        self.take(key)
    }

    /// Takes one token for `key`; on refusal returns the seconds until one is available.
    pub fn take(&self, key: &str) -> Result<(), u64> {
        let now = Instant::now();
        let mut map = self.buckets.lock().expect("rate limiter lock");
        if map.len() > 50_000 {
            map.retain(|_, (_, t)| now.duration_since(*t).as_secs() < 120);
        }
        let (tokens, last) = map.entry(key.to_string()).or_insert((self.burst, now));
        let refill = now.duration_since(*last).as_secs_f64() * self.per_minute / 60.0;
        *tokens = (*tokens + refill).min(self.burst);
        *last = now;
        if *tokens >= 1.0 {
            *tokens -= 1.0;
            Ok(())
        } else {
            Err(((1.0 - *tokens) * 60.0 / self.per_minute).ceil().max(1.0) as u64)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn burst_is_allowed_then_refused_per_client() {
        let r = RateLimiter::new(60, 3);
        for _ in 0..3 {
            r.take("a").unwrap();
        }
        assert!(r.take("a").unwrap_err() >= 1);
        r.take("b").unwrap();
    }
}
