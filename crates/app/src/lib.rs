//! Use cases of redress, above the store: intake, routing, handling, replies, appeals,
//! personal-data access, administration, verification, import and demo data.
//! Authorization is decided here, never in the HTTP layer alone.

pub mod admin;
pub mod auth;
pub mod cases;
pub mod clock;
pub mod config;
pub mod demo;
pub mod documents;
pub mod error;
pub mod figures;
pub mod dashboard;
pub mod import;
pub mod jobs;
pub mod ledger;
pub mod limits;
pub mod os;
pub mod open311;
pub mod permissions;
pub mod portal;
pub mod reports;
pub mod routing;
pub mod scorecard;
pub mod search;
pub mod similar;
pub mod verify;
pub mod views;
pub mod warnings;
pub mod workbench;
// Routine duties and reports of issue 6 (零报告, 矛盾纠纷排查, annual report).
pub mod annual;
pub mod assessment;
pub mod assessment_flow;
pub mod campaigns;
pub mod mediation;
pub mod mediation_demo;
pub mod duties_demo;
pub mod nil_reports;

use std::sync::Arc;

use redress_store::Store;

pub use auth::Principal;
pub use clock::{Clock, ManualClock, SystemClock};
pub use error::{AppError, AppResult};

/// The application: a store, a clock and cached configuration.
pub struct App {
    pub store: Arc<dyn Store>,
    pub clock: Arc<dyn Clock>,
    pub config: config::ConfigCache,
    pub throttle: auth::LoginThrottle,
    pub routing: routing::Routing,
    /// The full-text index, when the server has one ([`App::set_search`]).
    search: std::sync::OnceLock<Arc<dyn search::SearchBackend>>,
    /// Similar cases, clusters of the same matter, repeat rate, hotspots ([`similar`]).
    similar: similar::SimilarState,
    /// The portal's open statistics ([`portal`]).
    stats_cache: portal::StatsCache,
    /// Background jobs as this instance sees them ([`jobs`]).
    pub jobs: jobs::JobState,
}

impl App {
    pub fn new(store: Arc<dyn Store>) -> App {
        App::with_clock(store, Arc::new(SystemClock))
    }

    pub fn with_clock(store: Arc<dyn Store>, clock: Arc<dyn Clock>) -> App {
        App { store, clock, config: config::ConfigCache::default(), throttle: auth::LoginThrottle::default(), search: Default::default(), routing: Default::default(), similar: Default::default(), stats_cache: Default::default(), jobs: Default::default() }
    }

    pub fn now(&self) -> chrono::DateTime<chrono::Utc> {
        self.clock.now()
    }

    pub async fn cfg(&self) -> AppResult<Arc<config::Config>> {
        self.config.get(self.store.as_ref()).await
    }
}

/// Opens a store from a URL: `sqlite://PATH` (the default) or `postgres://...`.
pub async fn open_store(url: &str) -> AppResult<Arc<dyn Store>> {
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Ok(Arc::new(redress_store_postgres::PgStore::connect(url).await?))
    } else if url.starts_with("sqlite:") {
        Ok(Arc::new(redress_store_sqlite::SqliteStore::open_url(url)?))
    } else {
        Err(AppError::invalid("database", format!("不支持的数据库地址“{url}”，应以 sqlite:// 或 postgres:// 开头")))
    }
}

/// Opens and migrates.
pub async fn open_and_migrate(url: &str) -> AppResult<Arc<dyn Store>> {
    let store = open_store(url).await?;
    store.migrate().await?;
    Ok(store)
}
