//! Routing suggestions: the category and the responsible unit for a new case, top 3 with
//! confidence, learned from the county's own handled cases. The clerk decides; the server
//! records what it suggested beside the choice (in the hash-chained events), so the
//! suggestions' accuracy can be measured in production.

use std::sync::{Arc, RwLock};

use redress_domain::{Case, CaseId, OrgId, Status};
use redress_text::{InputKind, Model, TrainOptions};
use serde::Serialize;

use crate::error::{AppError, AppResult};
use crate::App;

/// Fewer handled cases than this and no unit model is trained: it would be guessing.
/// The setting naming the stored models' blobs.
pub const KEY_ROUTING_MODELS: &str = "routing_models";

pub const MIN_TRAINING_CASES: usize = 50;
/// Classes with fewer examples are left out of training.
const MIN_PER_CLASS: usize = 3;
/// Training reads at most this many of the most recent handled cases, and
/// [`ROUTING_TEXT_CHARS`] of each: together they bound the memory and time a retraining
/// takes inside a serving process (measured in bench/RESULTS.md, "Memory of the server").
const MAX_TRAINING_CASES: usize = 8_000;
/// Characters of a matter (subject, then content) the routing models read, in training and in
/// prediction alike. The subject and the opening sentences name the matter and the place; the
/// rest of a long letter adds features (memory) more than it adds accuracy.
pub const ROUTING_TEXT_CHARS: usize = 300;

#[derive(Default)]
pub struct Routing {
    /// The stored models last loaded (the `routing_models` setting), to load each once.
    loaded: RwLock<Option<String>>,
    units: RwLock<Option<Arc<Model>>>,
    categories: RwLock<Option<Arc<Model>>>,
    /// A category model given from outside is kept; the store's cases then train units only.
    external_categories: std::sync::atomic::AtomicBool,
    /// Training waits while this is set: the server's start-up loads its indexes first, so that
    /// their memory peaks and the training's do not add up.
    held: std::sync::atomic::AtomicBool,
}

/// The longest a training waits for [`App::hold_training`] to be lifted.
const HOLD_MAX: std::time::Duration = std::time::Duration::from_secs(3600);

#[derive(Debug, Clone, Serialize)]
pub struct CategorySuggestion {
    /// Taxonomy code when the label is one (models trained here), else the model's label.
    pub code: Option<String>,
    pub label: String,
    pub confidence: f32,
}

#[derive(Debug, Clone, Serialize)]
pub struct UnitSuggestion {
    pub unit: OrgId,
    pub name: String,
    pub confidence: f32,
}

#[derive(Debug, Clone, Serialize)]
pub struct Suggestion {
    pub categories: Vec<CategorySuggestion>,
    pub units: Vec<UnitSuggestion>,
    /// Why a list may be empty, in Chinese.
    pub notes: Vec<String>,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct TrainSummary {
    pub unit_examples: usize,
    pub unit_classes: usize,
    pub category_examples: usize,
    pub category_classes: usize,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct SuggestionStats {
    /// Routings made while a suggestion was shown.
    pub routed_with_suggestion: u64,
    pub unit_top1: u64,
    pub unit_top3: u64,
    pub registered_with_suggestion: u64,
    pub category_top1: u64,
    pub category_top3: u64,
    pub unit_top1_rate: Option<f64>,
    pub category_top1_rate: Option<f64>,
    pub definition: &'static str,
}

fn text_of(subject: &str, content: &str) -> String {
    let mut t = String::with_capacity(subject.len() + 1 + content.len().min(ROUTING_TEXT_CHARS * 3));
    t.push_str(subject);
    t.push('\n');
    t.extend(content.chars().take(ROUTING_TEXT_CHARS.saturating_sub(subject.chars().count())));
    t
}

/// A case whose unit is known to be right: the unit signed for it and went on handling it.
fn handled_by_unit(c: &Case) -> Option<OrgId> {
    use Status::*;
    let accepted = matches!(
        c.status,
        InProgress | ExtensionPending | ReplyPending | Replied | FollowedUp | Closed | Archived | UnderReview | Reviewed | UnderRecheck | Final
    );
    c.unit.filter(|_| accepted)
}

fn keep_frequent(mut examples: Vec<(String, String)>) -> Vec<(String, String)> {
    let mut counts = std::collections::HashMap::<String, usize>::new();
    for (_, l) in &examples {
        *counts.entry(l.clone()).or_default() += 1;
    }
    examples.retain(|(_, l)| counts[l] >= MIN_PER_CLASS);
    examples
}

fn train(examples: Vec<(String, String)>) -> Option<Model> {
    let classes: std::collections::HashSet<&String> = examples.iter().map(|(_, l)| l).collect();
    if examples.len() < MIN_TRAINING_CASES || classes.len() < 2 {
        return None;
    }
    // One thread: the serving process keeps the other core for requests.
    let opts = TrainOptions { calibration_folds: if examples.len() >= 200 { 3 } else { 0 }, threads: 1, ..TrainOptions::default() };
    match Model::train(&examples, InputKind::Raw, &opts) {
        Ok(m) => Some(m),
        Err(e) => {
            tracing::warn!(error = %e, "routing model training failed");
            None
        }
    }
}

impl App {
    /// Trains the unit and category models from the store's own cases (most recent first).
    pub async fn train_routing_models(&self) -> AppResult<TrainSummary> {
        let waited = std::time::Instant::now();
        while self.routing.held.load(std::sync::atomic::Ordering::Acquire) && waited.elapsed() < HOLD_MAX {
            tokio::time::sleep(std::time::Duration::from_millis(250)).await;
        }
        let (units, cats) = self.training_examples().await?;
        let units = keep_frequent(units);
        let cats = keep_frequent(cats);
        let mut summary = TrainSummary {
            unit_examples: units.len(),
            unit_classes: units.iter().map(|(_, l)| l).collect::<std::collections::HashSet<_>>().len(),
            category_examples: cats.len(),
            category_classes: cats.iter().map(|(_, l)| l).collect::<std::collections::HashSet<_>>().len(),
        };
        let (unit_model, cat_model) = tokio::task::spawn_blocking(move || {
            let models = (train(units), train(cats));
            crate::os::release_free_heap();
            models
        })
        .await
            .map_err(|e| AppError::invalid("model", format!("训练中断：{e}")))?;
        if unit_model.is_none() {
            summary.unit_classes = 0;
        }
        if cat_model.is_none() {
            summary.category_classes = 0;
        }
        // Stored for the other instances, which load them within a poll (see `jobs`).
        let key = self.store_routing_models(unit_model.as_ref(), cat_model.as_ref()).await?;
        *self.routing.units.write().expect("routing lock") = unit_model.map(Arc::new);
        if !self.routing.external_categories.load(std::sync::atomic::Ordering::Relaxed) {
            *self.routing.categories.write().expect("routing lock") = cat_model.map(Arc::new);
        }
        *self.routing.loaded.write().expect("routing lock") = Some(key);
        Ok(summary)
    }

    async fn store_routing_models(&self, units: Option<&Model>, cats: Option<&Model>) -> AppResult<String> {
        let mut doc = serde_json::Map::new();
        for (name, model) in [("units", units), ("categories", cats)] {
            let Some(m) = model else { continue };
            let bytes = m.to_bytes();
            let sha = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(&bytes));
            self.store.put_blob(&sha, "application/x-redress-model", bytes).await?;
            doc.insert(name.into(), serde_json::Value::String(sha));
        }
        let key = serde_json::Value::Object(doc).to_string();
        self.store.put_setting(KEY_ROUTING_MODELS, &key).await?;
        Ok(key)
    }

    /// Loads the routing models another instance trained and stored, when they changed since
    /// the last load; true if it loaded.
    pub async fn load_stored_routing_models(&self) -> AppResult<bool> {
        let Some(key) = self.store.get_setting(KEY_ROUTING_MODELS).await? else { return Ok(false) };
        if self.routing.loaded.read().expect("routing lock").as_deref() == Some(key.as_str()) {
            return Ok(false);
        }
        let doc: serde_json::Value = serde_json::from_str(&key).unwrap_or_default();
        let load = |name: &str| {
            let sha = doc.get(name).and_then(|v| v.as_str()).map(str::to_string);
            async move {
                let Some(sha) = sha else { return Ok::<_, AppError>(None) };
                let Some((_, bytes)) = self.store.get_blob(&sha).await? else { return Ok(None) };
                Model::from_bytes(&bytes, std::path::Path::new(&sha))
                    .map(|m| Some(Arc::new(m)))
                    .map_err(|e| AppError::invalid("model", e.to_string()))
            }
        };
        let units = load("units").await?;
        let cats = load("categories").await?;
        *self.routing.units.write().expect("routing lock") = units;
        if !self.routing.external_categories.load(std::sync::atomic::Ordering::Relaxed) {
            *self.routing.categories.write().expect("routing lock") = cats;
        }
        *self.routing.loaded.write().expect("routing lock") = Some(key);
        tracing::info!("routing suggestions loaded from the database");
        Ok(true)
    }

    async fn training_examples(&self) -> AppResult<(Vec<(String, String)>, Vec<(String, String)>)> {
        let mut units = vec![];
        let mut cats = vec![];
        let mut hi = self.store.max_case_id().await?.0 + 1;
        while hi > 1 && units.len().max(cats.len()) < MAX_TRAINING_CASES {
            let lo = (hi - 2000).max(1);
            for c in self.store.cases_in_range(CaseId(lo), CaseId(hi)).await?.into_iter().rev() {
                let text = text_of(&c.matter.subject, &c.matter.content);
                // Only handled cases teach: their unit signed for them, so unit and category
                // were confirmed by the people doing the work.
                let Some(u) = handled_by_unit(&c) else { continue };
                units.push((text.clone(), u.0.to_string()));
                if let Some(cat) = &c.matter.category {
                    cats.push((text, cat.clone()));
                }
            }
            hi = lo;
        }
        Ok((units, cats))
    }

    /// Makes trainings wait (at most an hour) until [`App::release_training`].
    pub fn hold_training(&self) {
        self.routing.held.store(true, std::sync::atomic::Ordering::Release);
    }

    pub fn release_training(&self) {
        self.routing.held.store(false, std::sync::atomic::Ordering::Release);
    }

    /// Uses a category model trained elsewhere (e.g. `redress model train` on a labelled set).
    pub fn set_category_model(&self, model: Model) {
        self.routing.external_categories.store(true, std::sync::atomic::Ordering::Relaxed);
        *self.routing.categories.write().expect("routing lock") = Some(Arc::new(model));
    }

    /// Top-3 categories and units for a matter's text.
    pub async fn suggest(&self, subject: &str, content: &str) -> AppResult<Suggestion> {
        if subject.trim().is_empty() && content.trim().is_empty() {
            return Err(AppError::invalid("content", "请先填写标题或内容"));
        }
        let cfg = self.cfg().await?;
        let text = text_of(subject, content);
        let unit_model = self.routing.units.read().expect("routing lock").clone();
        let cat_model = self.routing.categories.read().expect("routing lock").clone();
        let (units, cats) = if unit_model.is_none() && cat_model.is_none() {
            (None, None)
        } else {
            tokio::task::spawn_blocking(move || {
            let u = unit_model.map(|m| m.predict_top(&text, InputKind::Raw, 3));
            let c = cat_model.map(|m| m.predict_top(&text, InputKind::Raw, 3));
                (u, c)
            })
            .await
            .map_err(|e| AppError::invalid("model", e.to_string()))?
        };
        let mut notes = vec![];
        let units = match units {
            None => {
                notes.push(format!("已办结事项不足{MIN_TRAINING_CASES}件或只涉及一个单位，暂不推荐责任单位"));
                vec![]
            }
            Some(top) => top
                .into_iter()
                .filter_map(|(label, confidence)| {
                    let unit = OrgId(label.parse().ok()?);
                    let name = cfg.tree.get(unit)?.name.clone();
                    Some(UnitSuggestion { unit, name, confidence })
                })
                .collect(),
        };
        let categories = match cats {
            None => {
                notes.push("暂无可用的分类模型".to_string());
                vec![]
            }
            Some(top) => top
                .into_iter()
                .map(|(label, confidence)| {
                    let found = cfg.taxonomy.find(&label);
                    let code = found.map(|(t, s)| s.unwrap_or(t).code.clone());
                    let label = code.as_deref().and_then(|c| cfg.taxonomy.label(c)).unwrap_or(label);
                    CategorySuggestion { code, label, confidence }
                })
                .collect(),
        };
        Ok(Suggestion { categories, units, notes })
    }

    /// The units to record with a routing of `case` (empty when no model is trained).
    pub(crate) async fn suggested_units_for(&self, case: &Case) -> Vec<OrgId> {
        match self.suggest(&case.matter.subject, &case.matter.content).await {
            Ok(s) => s.units.into_iter().map(|u| u.unit).collect(),
            Err(_) => vec![],
        }
    }

    pub(crate) async fn suggested_categories_for(&self, subject: &str, content: &str) -> Vec<String> {
        match self.suggest(subject, content).await {
            Ok(s) => s.categories.into_iter().filter_map(|c| c.code).collect(),
            Err(_) => vec![],
        }
    }

    /// How often the clerk's choice was the first (or among the three) suggestions.
    pub async fn suggestion_stats(&self) -> AppResult<SuggestionStats> {
        let mut st = SuggestionStats {
            definition: "推荐准确率 = 登记或转办时所作推荐中，第一推荐与工作人员最终选择一致的比例；只统计作出了推荐的事项",
            ..Default::default()
        };
        let max = self.store.max_case_id().await?.0;
        let mut lo = 1;
        while lo <= max {
            for c in self.store.cases_in_range(CaseId(lo), CaseId(lo + 2000)).await? {
                if let Some(unit) = c.unit.filter(|_| !c.suggested_units.is_empty()) {
                    st.routed_with_suggestion += 1;
                    st.unit_top1 += u64::from(c.suggested_units[0] == unit);
                    st.unit_top3 += u64::from(c.suggested_units.iter().take(3).any(|u| *u == unit));
                }
                if let Some(cat) = c.matter.category.as_ref().filter(|_| !c.matter.suggested_categories.is_empty()) {
                    st.registered_with_suggestion += 1;
                    st.category_top1 += u64::from(&c.matter.suggested_categories[0] == cat);
                    st.category_top3 += u64::from(c.matter.suggested_categories.iter().take(3).any(|x| x == cat));
                }
            }
            lo += 2000;
        }
        let rate = |a: u64, n: u64| (n > 0).then(|| a as f64 / n as f64);
        st.unit_top1_rate = rate(st.unit_top1, st.routed_with_suggestion);
        st.category_top1_rate = rate(st.category_top1, st.registered_with_suggestion);
        Ok(st)
    }
}
