//! Full-text search as a use case: the query, the answer, and the small [`SearchBackend`] trait
//! that `redress-search` (tantivy) implements, so this crate stays free of the index engine.
//!
//! Authorization is decided here as everywhere: the backend is always told which organisations'
//! cases the person may see, and every hit is checked again against the case as stored (the
//! index may lag the log by up to a second).

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use redress_domain::{Case, CaseId, Channel, OrgId, Status};
use serde::Serialize;

use crate::auth::{case_orgs, Principal};
use crate::error::{AppError, AppResult};
use crate::views::{self, CaseRow};
use crate::App;

/// What to look for and where.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SearchQuery {
    /// Words as a person typed them; cut into words by the backend.
    pub text: String,
    /// Any of these statuses (empty: any).
    pub statuses: Vec<Status>,
    pub unit: Option<OrgId>,
    pub channel: Option<Channel>,
    /// Category code or its prefix ("03" matches "03.02").
    pub category: Option<String>,
    /// Cases that involve any of these organisations (intake office, unit, co-units, place).
    /// [`App::search`] widens each to its subtree, so a town finds its villages' cases.
    pub orgs: Option<Vec<OrgId>>,
    pub registered_from: Option<DateTime<Utc>>,
    /// Registered before this instant.
    pub registered_to: Option<DateTime<Utc>>,
    pub demo: Option<bool>,
    /// Only cases any of these organisations may see; `None` means no restriction. Set by
    /// [`App::search`] from the person, never from the request.
    pub visible_to: Option<Vec<OrgId>>,
    pub limit: u32,
    pub offset: u32,
}

/// One case the backend found, best first.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SearchHit {
    pub case_id: CaseId,
    pub score: f32,
}

/// Marks the query's words in a case's text.
pub trait Highlighter: Send + Sync {
    /// Field name (`subject`, `content`, `replies`, `address`) → an HTML-escaped fragment with
    /// `<mark>…</mark>` around the matched words; fields without a match are left out.
    fn snippets(&self, case: &Case) -> BTreeMap<&'static str, String>;
}

pub struct SearchPage {
    pub hits: Vec<SearchHit>,
    /// All matching cases, not only this page.
    pub total: u64,
    pub highlighter: Box<dyn Highlighter>,
}

/// How far the index has followed the event log.
#[derive(Debug, Clone, Serialize)]
pub struct SearchStatus {
    pub docs: u64,
    pub last_seq: i64,
    pub segmenter: String,
}

/// A full-text index of cases.
pub trait SearchBackend: Send + Sync + 'static {
    /// Blocking (CPU-bound); [`App::search`] calls it on a blocking thread.
    fn search(&self, q: &SearchQuery) -> Result<SearchPage, String>;
    fn status(&self) -> Result<SearchStatus, String>;
}

/// A found case as staff see it in a list, with its score and marked fragments.
#[derive(Debug, Clone, Serialize)]
pub struct SearchItem {
    pub case: CaseRow,
    pub score: f32,
    pub snippets: BTreeMap<&'static str, String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct SearchResults {
    pub items: Vec<SearchItem>,
    pub total: u64,
}

/// Longest query accepted, in characters.
pub const QUERY_MAX: usize = 200;

impl App {
    /// Attaches the full-text index (once, at start-up).
    pub fn set_search(&self, backend: Arc<dyn SearchBackend>) {
        if self.search.set(backend).is_err() {
            tracing::warn!("search backend already set; keeping the first");
        }
    }

    pub fn search_backend(&self) -> Option<&Arc<dyn SearchBackend>> {
        self.search.get()
    }

    /// Full-text search within what `p` may see.
    pub async fn search(&self, p: &Principal, mut q: SearchQuery) -> AppResult<SearchResults> {
        let backend = self.search.get().cloned().ok_or_else(|| {
            AppError::Unavailable("全文检索索引未启用或正在建立，请稍后再试，或使用事项列表的标题筛选".into())
        })?;
        q.text = q.text.trim().to_string();
        if q.text.is_empty() {
            return Err(AppError::invalid("q", "请输入检索词"));
        }
        if q.text.chars().count() > QUERY_MAX {
            return Err(AppError::invalid("q", format!("检索词不能超过{QUERY_MAX}字")));
        }
        if q.limit == 0 || q.limit > 100 {
            return Err(AppError::invalid("limit", "每页条数应在1至100之间"));
        }
        if q.offset > 10_000 {
            return Err(AppError::invalid("offset", "最多翻到第10000条，请增加筛选条件"));
        }
        q.visible_to = p.visible.clone();
        let cfg = self.cfg().await?;
        if let Some(orgs) = q.orgs.take() {
            let mut all: Vec<OrgId> = orgs.iter().flat_map(|o| cfg.tree.subtree(*o)).collect();
            all.sort();
            all.dedup();
            q.orgs = Some(all);
        }
        let page = tokio::task::spawn_blocking(move || backend.search(&q))
            .await
            .map_err(|e| AppError::Unavailable(format!("全文检索失败：{e}")))?
            .map_err(|e| AppError::Unavailable(format!("全文检索失败：{e}")))?;
        let now = self.now();
        let mut items = Vec::with_capacity(page.hits.len());
        let mut hidden = 0;
        for hit in &page.hits {
            // The index may be a moment behind: the case as stored decides.
            match self.store.get_case(hit.case_id).await? {
                Some(case) if p.may_see(&case_orgs(&case)) => items.push(SearchItem {
                    case: views::row(&cfg, &case, now),
                    score: hit.score,
                    snippets: page.highlighter.snippets(&case),
                }),
                _ => hidden += 1,
            }
        }
        Ok(SearchResults { items, total: page.total.saturating_sub(hidden) })
    }
}
