//! Rules kept as data in the store (deadline rules, calendar, taxonomy) and the org tree,
//! cached for a few seconds so several instances pick up each other's edits.

use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use redress_domain::org::OrgTree;
use redress_domain::taxonomy::Taxonomy;
use redress_domain::{Calendar, DeadlineRules};
use redress_store::Store;

use crate::error::{AppError, AppResult};

pub const KEY_RULES: &str = "deadline_rules";
pub const KEY_CALENDAR: &str = "calendar";
pub const KEY_TAXONOMY: &str = "taxonomy";

const TTL: Duration = Duration::from_secs(5);

pub struct Config {
    pub rules: DeadlineRules,
    pub calendar: Calendar,
    pub taxonomy: Taxonomy,
    pub tree: OrgTree,
}

#[derive(Default)]
pub struct ConfigCache {
    slot: RwLock<Option<(Instant, Arc<Config>)>>,
}

impl ConfigCache {
    pub async fn get(&self, store: &dyn Store) -> AppResult<Arc<Config>> {
        if let Some((at, cfg)) = self.slot.read().expect("config lock").as_ref() {
            if at.elapsed() < TTL {
                return Ok(cfg.clone());
            }
        }
        let cfg = Arc::new(load(store).await?);
        *self.slot.write().expect("config lock") = Some((Instant::now(), cfg.clone()));
        Ok(cfg)
    }

    pub fn invalidate(&self) {
        *self.slot.write().expect("config lock") = None;
    }
}

async fn load(store: &dyn Store) -> AppResult<Config> {
    let rules = match store.get_setting(KEY_RULES).await? {
        Some(s) => serde_json::from_str(&s).map_err(|e| corrupt(KEY_RULES, e))?,
        None => DeadlineRules::default(),
    };
    let calendar = match store.get_setting(KEY_CALENDAR).await? {
        Some(s) => Calendar::from_json(&s).map_err(|e| corrupt(KEY_CALENDAR, e))?,
        None => Calendar::china_default(),
    };
    let taxonomy = match store.get_setting(KEY_TAXONOMY).await? {
        Some(s) => serde_json::from_str(&s).map_err(|e| corrupt(KEY_TAXONOMY, e))?,
        None => Taxonomy::default(),
    };
    let tree = OrgTree::new(store.list_orgs().await?);
    Ok(Config { rules, calendar, taxonomy, tree })
}

fn corrupt(key: &str, e: impl std::fmt::Display) -> AppError {
    AppError::Store(redress_store::StoreError::Corrupt(format!("设置“{key}”无法解析：{e}")))
}
