//! Repeat and joint matters (重复件、联名/集体): at intake, the existing cases that raise the
//! same matter; clusters of the same matter; the repeat rate; and hotspots.
//!
//! The [`SimilarIndex`] (redress-text) lives in memory behind a lock. It is loaded from the
//! store (cases in id order) and then follows the event log: a new case is added and clustered
//! with the cases the rule calls the same matter; routing changes its unit; a link or merge by a
//! clerk joins clusters. A background task ([`start_follower`], started by `redress serve`
//! unless `--no-index`, or by the first request that needs the index) loads it and then polls the log every
//! 200 ms. A request waits at most 10 s for a load (then answers 503 with the progress) and first
//! applies up to [`FOLLOW_BATCH`] pending events itself, so a case registered a moment ago is
//! found.
//!
//! Per new case the follower does no store read (the `Registered` event carries the matter):
//! a signature (about 20 µs for 500 characters) and an insert that clusters it (tens of µs at a
//! million cases), in groups of [`FOLLOW_BATCH`] under the write lock. The LSH postings are
//! rebuilt under a read lock, so queries go on meanwhile, and swapped in.
//!
//! Visibility is decided here as everywhere: suggestions, clusters, counts and hotspots only
//! include cases the person may see (by the organisations the index holds for each case:
//! intake office, unit, co-units, place), and each suggested case is checked again against the
//! case as stored.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicUsize, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use chrono::{DateTime, NaiveDate, Utc};
use redress_domain::view::CaseView;
use redress_domain::{local_date, Case, CaseId, EventKind, OrgId};
use redress_text::hotspot::SpikeRule;
use redress_text::minhash::Signature;
use redress_text::similar::{ClusterInfo, Entry, Facts, Names, Options, Query, SimilarIndex};
use serde::Serialize;

use crate::auth::{case_orgs, Principal};
use crate::config::Config;
use crate::error::{AppError, AppResult};
use crate::views::{self, CaseRow};
use crate::App;

/// 重复信访率的定义（写在一处，接口和报表都引用它）。
pub const REPEAT_RATE_DEFINITION: &str = crate::figures::REPEAT_RATE.definition;

/// Cases read from the store per round trip while loading.
const LOAD_CHUNK: i64 = 2000;
/// Events applied per round trip (and per hold of the write lock) while following the log.
pub const FOLLOW_BATCH: u32 = 64;
/// How long a request waits for the index to load before answering 503.
const LOAD_WAIT: Duration = Duration::from_secs(10);

/// The index and how far it has followed the event log.
#[derive(Default)]
pub struct SimilarState {
    index: Arc<RwLock<SimilarIndex>>,
    /// Seq of the last event applied.
    seq: AtomicI64,
    loaded: AtomicBool,
    /// The background loader and follower has been started.
    started: AtomicBool,
    /// Cases read so far by a load in progress.
    loading: AtomicUsize,
    /// One loader or follower at a time.
    writer: tokio::sync::Mutex<()>,
}

/// What a suggestion is asked for: the matter as the clerk typed it so far.
#[derive(Debug, Clone, Default)]
pub struct SimilarRequest {
    pub subject: String,
    pub content: String,
    pub place: Option<OrgId>,
    pub category: Option<String>,
    pub limit: usize,
}

/// A suggested existing case.
#[derive(Debug, Clone, Serialize)]
pub struct SimilarView {
    pub case: CaseRow,
    pub score: f64,
    pub text_similarity: f64,
    /// Chinese: "内容相似度 0.82", "同一地点：幸福社区", "同一类别：城乡建设/物业管理", "7天内（相隔3天）".
    pub reasons: Vec<String>,
    /// Already in one cluster with the case asked about (linked, merged or a near-duplicate).
    pub same_cluster: bool,
    /// The cluster the suggestion belongs to (its earliest case), for "link or merge".
    pub cluster_id: CaseId,
}

#[derive(Debug, Clone, Serialize)]
pub struct Named {
    pub id: OrgId,
    pub name: String,
    pub cases: u32,
}

#[derive(Debug, Clone, Serialize)]
pub struct CategoryCount {
    pub code: String,
    pub label: Option<String>,
    pub cases: u32,
}

#[derive(Debug, Clone, Serialize)]
pub struct WeekCount {
    /// Monday of the week.
    pub week: NaiveDate,
    pub cases: u32,
}

/// A cluster as a list shows it: only the cases the person may see are counted.
#[derive(Debug, Clone, Serialize)]
pub struct ClusterView {
    /// The earliest case of the cluster.
    pub id: CaseId,
    /// Subject of the earliest visible case.
    pub subject: String,
    pub cases: usize,
    pub first_registered: NaiveDate,
    pub last_registered: NaiveDate,
    pub places: Vec<Named>,
    pub units: Vec<Named>,
    pub categories: Vec<CategoryCount>,
}

/// A cluster page: its cases, units, places and timeline.
#[derive(Debug, Clone, Serialize)]
pub struct ClusterDetail {
    #[serde(flatten)]
    pub summary: ClusterView,
    pub case_rows: Vec<CaseRow>,
    pub timeline: Vec<WeekCount>,
}

#[derive(Debug, Clone, Serialize)]
pub struct RepeatRate {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub cases: u64,
    pub repeats: u64,
    /// repeats / cases, 0 when there are no cases.
    pub rate: f64,
    pub definition: &'static str,
}

/// A key whose recent count is unusually high against its own history.
#[derive(Debug, Clone, Serialize)]
pub struct Hotspot {
    /// "category", "place" or "cluster".
    pub kind: &'static str,
    pub kind_label: &'static str,
    /// Category code, organisation id or cluster id.
    pub key: String,
    pub label: String,
    pub recent: u32,
    /// Counts of the earlier windows, most recent first.
    pub history: Vec<u32>,
    pub mean: f64,
    pub ratio: f64,
    pub p_value: f64,
    pub score: f64,
    /// "近7天12件，此前8周平均每周2.1件，约为平时的5.7倍（泊松检验 p<0.001）".
    pub explanation: String,
    /// Up to five of the recent cases, newest first.
    pub recent_cases: Vec<CaseId>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Hotspots {
    pub as_of: NaiveDate,
    pub window_days: u32,
    pub history_windows: u32,
    pub rule: String,
    pub items: Vec<Hotspot>,
}

/// Days since 1970-01-01 of a local date.
pub fn day_number(d: NaiveDate) -> i32 {
    (d - NaiveDate::from_ymd_opt(1970, 1, 1).expect("epoch")).num_days() as i32
}

pub fn day_date(n: i32) -> NaiveDate {
    NaiveDate::from_ymd_opt(1970, 1, 1).expect("epoch") + chrono::Duration::days(n as i64)
}

fn day_of(t: DateTime<Utc>) -> i32 {
    day_number(local_date(t))
}

/// The text the index compares: subject and content.
pub fn signature(subject: &str, content: &str) -> (redress_text::minhash::Compact, bool) {
    let text = format!("{subject}\n{content}");
    let shingles = redress_text::minhash::shingles(&text);
    (Signature::of_shingles(&shingles).compact(), shingles.is_empty())
}

fn entry_of(cfg: &Config, case: &Case) -> Entry {
    entry_of_view(cfg, &CaseView::of(case))
}

fn entry_of_view(cfg: &Config, case: &CaseView<'_>) -> Entry {
    let m = &case.matter;
    let (sig, empty) = signature(&m.subject, &m.content);
    let place = m.location.org;
    let links = case.links.iter().chain(&m.same_matter_as).chain(&case.merged_into);
    Entry {
        case_id: case.id.0 as u64,
        signature: sig,
        empty,
        day: day_of(case.registered_at),
        place: place.map(|o| o.0 as u32),
        area: place.and_then(|o| cfg.tree.town_of(o)).map(|o| o.0 as u32),
        category: m.category.as_deref().map(str::to_string),
        intake: m.intake_org.0 as u32,
        unit: case.unit.map(|u| u.0 as u32),
        co_units: case.co_units.iter().map(|u| u.0 as u32).collect(),
        merged: case.merged_into.is_some(),
        links: links.map(|l| l.0 as u64).collect(),
    }
}

/// The entries of cases in their stored form (one chunk of a load).
fn entries_of_json(cfg: &Config, cases: &[String]) -> AppResult<Vec<Entry>> {
    cases
        .iter()
        .map(|j| {
            CaseView::from_json(j)
                .map(|c| entry_of_view(cfg, &c))
                .map_err(|e| AppError::Unavailable(format!("相似事项索引加载失败：事项数据无法读取（{e}）")))
        })
        .collect()
}

/// The entry of a case just registered, from its `Registered` event (no store read).
fn entry_of_event(cfg: &Config, id: CaseId, at: DateTime<Utc>, matter: &redress_domain::NewCase) -> Entry {
    let (sig, empty) = signature(&matter.subject, &matter.content);
    let place = matter.location.org;
    let mut links: Vec<u64> = matter.related.iter().map(|l| l.0 as u64).collect();
    links.extend(matter.same_matter_as.map(|l| l.0 as u64));
    Entry {
        case_id: id.0 as u64,
        signature: sig,
        empty,
        day: day_of(at),
        place: place.map(|o| o.0 as u32),
        area: place.and_then(|o| cfg.tree.town_of(o)).map(|o| o.0 as u32),
        category: matter.category.clone(),
        intake: matter.intake_org.0 as u32,
        unit: None,
        co_units: vec![],
        merged: false,
        links,
    }
}

/// What the index may show this person: the case involves an organisation they see.
fn may_see(p: &Principal) -> impl Fn(&Facts) -> bool + '_ {
    move |f: &Facts| match &p.visible {
        None => true,
        Some(v) => {
            let sees = |o: u32| o != 0 && v.binary_search(&OrgId(o as i64)).is_ok();
            sees(f.intake) || f.unit.is_some_and(sees) || f.place.is_some_and(sees) || f.co_units.iter().any(|o| sees(*o))
        }
    }
}

struct CfgNames<'a>(&'a Config);

impl Names for CfgNames<'_> {
    fn place(&self, id: u32) -> Option<String> {
        self.0.tree.get(OrgId(id as i64)).map(|o| o.name.clone())
    }
    fn category(&self, code: &str) -> Option<String> {
        self.0.taxonomy.label(code)
    }
}

impl App {
    fn similar_state(&self) -> &SimilarState {
        &self.similar
    }

    /// Reads every case into a fresh index, then follows the log from where the read began.
    async fn load_similar(&self) -> AppResult<()> {
        let st = self.similar_state();
        let _w = st.writer.lock().await;
        if st.loaded.load(Ordering::Acquire) {
            return Ok(());
        }
        let started = std::time::Instant::now();
        let cfg = self.cfg().await?;
        // Events after this seq are applied afterwards; applying one twice is harmless.
        let (seq, _) = self.store.chain_head().await?;
        let max = self.store.max_case_id().await?.0;
        let mut ix = SimilarIndex::new(Options::default());
        st.loading.store(0, Ordering::Relaxed);
        // The stages overlap: a task reads the cases in their stored form a chunk or two
        // ahead, blocking threads (one per core) make the entries of the next chunks (JSON and
        // signatures) while this task inserts the earliest one's, in id order.
        let (tx, mut rx) = tokio::sync::mpsc::channel::<AppResult<Vec<String>>>(2);
        let store = self.store.clone();
        let reader = tokio::spawn(async move {
            let mut from = 1;
            while from <= max {
                let to = (from + LOAD_CHUNK).min(max + 1);
                let chunk = store.case_json_in_range(CaseId(from), CaseId(to)).await.map_err(AppError::from);
                let failed = chunk.is_err();
                if tx.send(chunk).await.is_err() || failed {
                    break;
                }
                from = to;
            }
        });
        let failed = |e: tokio::task::JoinError| AppError::Unavailable(format!("相似事项索引加载失败：{e}"));
        let insert = |ix: &mut SimilarIndex, entries: Vec<Entry>| {
            st.loading.fetch_add(entries.len(), Ordering::Relaxed);
            for e in entries {
                ix.insert(e);
            }
        };
        let width = std::thread::available_parallelism().map_or(2, |n| n.get()).clamp(1, 4);
        let mut making = std::collections::VecDeque::with_capacity(width);
        while let Some(chunk) = rx.recv().await {
            let (chunk, cfg) = (chunk?, cfg.clone());
            making.push_back(tokio::task::spawn_blocking(move || entries_of_json(&cfg, &chunk)));
            if making.len() == width {
                let made = making.pop_front().expect("a chunk in the making");
                insert(&mut ix, made.await.map_err(failed)??);
            }
        }
        for made in making {
            insert(&mut ix, made.await.map_err(failed)??);
        }
        reader.await.map_err(failed)?;
        let read_secs = started.elapsed().as_secs_f64();
        let ix = tokio::task::spawn_blocking(move || {
            ix.finish_bulk();
            crate::os::release_free_heap();
            ix
        })
        .await
        .map_err(|e| AppError::Unavailable(format!("相似事项索引加载失败：{e}")))?;
        let n = ix.len();
        let bytes = ix.memory_bytes();
        *st.index.write().expect("similar index lock") = ix;
        st.seq.store(seq, Ordering::Release);
        st.loaded.store(true, Ordering::Release);
        tracing::info!(
            cases = n,
            mib = bytes >> 20,
            secs = format!("{:.1}", started.elapsed().as_secs_f64()),
            // Reading the cases and making their signatures; the rest of `secs` is clustering.
            read_secs = format!("{read_secs:.1}"),
            "similar-case index loaded"
        );
        Ok(())
    }

    /// Applies up to `max` events logged since the index last looked; returns how many.
    pub async fn follow_similar(&self, max: u32) -> AppResult<usize> {
        let st = self.similar_state();
        if !st.loaded.load(Ordering::Acquire) {
            return Ok(0);
        }
        let _w = st.writer.lock().await;
        let after = st.seq.load(Ordering::Acquire);
        let events = self.store.events_after(after, max).await?;
        let Some(last) = events.last().map(|e| e.seq) else { return Ok(0) };
        let cfg = self.cfg().await?;
        // Entries (signatures) are made before taking the lock.
        let mut work: Vec<(CaseId, Option<Entry>, EventKind)> = Vec::with_capacity(events.len());
        for e in &events {
            let Ok(ev) = e.event() else {
                tracing::warn!(seq = e.seq, "similar-case index: unreadable event skipped");
                continue;
            };
            let entry = match &ev.kind {
                EventKind::Registered { matter, .. } => Some(entry_of_event(&cfg, e.case_id, e.at, matter)),
                _ => None,
            };
            work.push((e.case_id, entry, ev.kind));
        }
        let rebuild = {
            let mut ix = st.index.write().expect("similar index lock");
            for (id, entry, kind) in work {
                let cid = id.0 as u64;
                match kind {
                    EventKind::Registered { .. } => {
                        if let Some(e) = entry {
                            ix.insert(e);
                        }
                    }
                    EventKind::Routed { unit, co_units, .. } => {
                        let merged = ix.facts_of(cid).is_some_and(|f| f.merged);
                        let co: Vec<u32> = co_units.iter().map(|u| u.0 as u32).collect();
                        ix.set_state(cid, Some(unit.0 as u32), &co, merged);
                    }
                    EventKind::Returned { .. } => {
                        let merged = ix.facts_of(cid).is_some_and(|f| f.merged);
                        ix.set_state(cid, None, &[], merged);
                    }
                    EventKind::MergedInto { target, .. } => {
                        if let Some(f) = ix.facts_of(cid) {
                            let (unit, co) = (f.unit, f.co_units.to_vec());
                            ix.set_state(cid, unit, &co, true);
                        }
                        ix.link(cid, target.0 as u64);
                    }
                    EventKind::Linked { other, .. } => ix.link(cid, other.0 as u64),
                    _ => {}
                }
            }
            ix.needs_rebuild()
        };
        st.seq.store(last, Ordering::Release);
        if rebuild {
            // Built under a read lock (queries go on), swapped in under the write lock.
            let index = st.index.clone();
            let postings = tokio::task::spawn_blocking(move || index.read().expect("similar index lock").build_postings())
                .await
                .map_err(|e| AppError::Unavailable(format!("相似事项索引重建失败：{e}")))?;
            st.index.write().expect("similar index lock").install_postings(postings);
        }
        Ok(events.len())
    }

    /// Applies every pending event, [`FOLLOW_BATCH`] at a time.
    pub async fn follow_similar_all(&self) -> AppResult<usize> {
        let mut n = 0;
        loop {
            let k = self.follow_similar(FOLLOW_BATCH).await?;
            n += k;
            if k < FOLLOW_BATCH as usize {
                return Ok(n);
            }
        }
    }

    /// Makes sure the index is loaded (starting the background loader and follower if nobody
    /// has; waiting up to 10 s, else 503 with the progress), then applies a batch of pending
    /// events so that what was just registered is found.
    async fn similar_ready(self: &Arc<Self>) -> AppResult<()> {
        let st = self.similar_state();
        if !st.loaded.load(Ordering::Acquire) {
            start_follower(self.clone(), Duration::from_millis(200));
            let waited = std::time::Instant::now();
            while !st.loaded.load(Ordering::Acquire) {
                if waited.elapsed() > LOAD_WAIT {
                    return Err(AppError::Unavailable(format!(
                        "相似事项索引正在加载（已读入 {} 件），请稍后再试",
                        st.loading.load(Ordering::Relaxed)
                    )));
                }
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        }
        self.follow_similar(FOLLOW_BATCH).await?;
        Ok(())
    }

    /// Number of cases in the similar-case index, and whether it is loaded.
    pub fn similar_status(&self) -> (usize, bool) {
        let st = self.similar_state();
        (st.index.read().expect("similar index lock").len(), st.loaded.load(Ordering::Acquire))
    }

    /// Existing cases that may raise the same matter as the one being registered, best first,
    /// among the cases `p` may see.
    pub async fn similar_for_intake(self: &Arc<Self>, p: &Principal, req: SimilarRequest) -> AppResult<Vec<SimilarView>> {
        let subject = req.subject.trim();
        let content = req.content.trim();
        if subject.is_empty() && content.is_empty() {
            return Err(AppError::invalid("content", "请填写诉求标题或内容"));
        }
        if subject.chars().count() > redress_domain::case::SUBJECT_MAX {
            return Err(AppError::invalid("subject", format!("标题不能超过{}字", redress_domain::case::SUBJECT_MAX)));
        }
        if content.chars().count() > redress_domain::case::CONTENT_MAX {
            return Err(AppError::invalid("content", format!("内容不能超过{}字", redress_domain::case::CONTENT_MAX)));
        }
        let cfg = self.cfg().await?;
        if let Some(o) = req.place {
            if cfg.tree.get(o).is_none() {
                return Err(AppError::invalid("location.org", "所在地不存在"));
            }
        }
        if let Some(c) = req.category.as_deref() {
            if cfg.taxonomy.find(c).is_none() {
                return Err(AppError::invalid("category", format!("分类“{c}”不存在，请从分类目录中选择")));
            }
        }
        self.similar_ready().await?;
        let (sig, _) = signature(subject, content);
        let q = Query {
            signature: sig,
            day: day_of(self.now()),
            place: req.place.map(|o| o.0 as u32),
            area: req.place.and_then(|o| cfg.tree.town_of(o)).map(|o| o.0 as u32),
            category: req.category.as_deref(),
            exclude: None,
        };
        self.similar_suggestions(p, &cfg, &q, None, limit(req.limit)?).await
    }

    /// Existing cases like case `id` (itself left out), among those `p` may see.
    pub async fn similar_to_case(self: &Arc<Self>, p: &Principal, id: CaseId, lim: usize) -> AppResult<Vec<SimilarView>> {
        let case = self.store.get_case(id).await?.ok_or(AppError::NotFound("事项"))?;
        crate::permissions::may_view(p, &case)?;
        let cfg = self.cfg().await?;
        self.similar_ready().await?;
        let e = entry_of(&cfg, &case);
        let q = Query {
            signature: e.signature,
            day: e.day,
            place: e.place,
            area: e.area,
            category: case.matter.category.as_deref(),
            exclude: Some(id.0 as u64),
        };
        self.similar_suggestions(p, &cfg, &q, Some(id), limit(lim)?).await
    }

    async fn similar_suggestions(&self, p: &Principal, cfg: &Config, q: &Query<'_>, of: Option<CaseId>, k: usize) -> AppResult<Vec<SimilarView>> {
        let found: Vec<(redress_text::similar::Similar, bool, u64)> = {
            let ix = self.similar_state().index.read().expect("similar index lock");
            // A few more than asked: the stored case has the last word on visibility.
            ix.query(q, k + 5, &CfgNames(cfg), may_see(p))
                .into_iter()
                .map(|s| {
                    let same = of.is_some_and(|o| ix.same_cluster(o.0 as u64, s.case_id));
                    let cluster = ix.cluster_id(s.case_id).unwrap_or(s.case_id);
                    (s, same, cluster)
                })
                .collect()
        };
        let now = self.now();
        let mut out = vec![];
        for (s, same_cluster, cluster) in found {
            if out.len() >= k {
                break;
            }
            match self.store.get_case(CaseId(s.case_id as i64)).await? {
                Some(case) if p.may_see(&case_orgs(&case)) => out.push(SimilarView {
                    case: views::row(cfg, &case, now),
                    score: s.score,
                    text_similarity: s.text_similarity,
                    reasons: s.reasons,
                    same_cluster,
                    cluster_id: CaseId(cluster as i64),
                }),
                _ => {}
            }
        }
        Ok(out)
    }

    async fn cluster_view(&self, cfg: &Config, c: &ClusterInfo) -> AppResult<ClusterView> {
        let first = CaseId(c.cases[0] as i64);
        let subject = self.store.get_case(first).await?.map(|x| x.matter.subject).unwrap_or_default();
        let named = |list: &[(u32, u32)]| {
            list.iter()
                .map(|(id, n)| Named { id: OrgId(*id as i64), name: views::org_name(cfg, Some(OrgId(*id as i64))).unwrap_or_default(), cases: *n })
                .collect()
        };
        Ok(ClusterView {
            id: CaseId(c.id as i64),
            subject,
            cases: c.cases.len(),
            first_registered: day_date(c.first_day),
            last_registered: day_date(c.last_day),
            places: named(&c.places),
            units: named(&c.units),
            categories: c.categories.iter().map(|(code, n)| CategoryCount { label: cfg.taxonomy.label(code), code: code.clone(), cases: *n }).collect(),
        })
    }

    /// Clusters of at least `min_cases` cases `p` may see, most recently active first.
    pub async fn clusters(self: &Arc<Self>, p: &Principal, since: Option<NaiveDate>, min_cases: usize, lim: usize) -> AppResult<Vec<ClusterView>> {
        let cfg = self.cfg().await?;
        self.similar_ready().await?;
        let since = since.map_or(i32::MIN, day_number);
        let infos = {
            let ix = self.similar_state().index.read().expect("similar index lock");
            ix.clusters(min_cases.max(2), since, limit(lim)?, may_see(p))
        };
        let mut out = Vec::with_capacity(infos.len());
        for c in &infos {
            out.push(self.cluster_view(&cfg, c).await?);
        }
        Ok(out)
    }

    /// The cluster of case `id` (any of its cases names it): its cases `p` may see as rows, with
    /// units, places and a weekly timeline.
    pub async fn cluster(self: &Arc<Self>, p: &Principal, id: CaseId) -> AppResult<ClusterDetail> {
        let case = self.store.get_case(id).await?.ok_or(AppError::NotFound("事项"))?;
        crate::permissions::may_view(p, &case)?;
        let cfg = self.cfg().await?;
        self.similar_ready().await?;
        let info = {
            let ix = self.similar_state().index.read().expect("similar index lock");
            ix.cluster(id.0 as u64, may_see(p))
        }
        .filter(|c| !c.cases.is_empty())
        .ok_or(AppError::NotFound("事项簇"))?;
        let now = self.now();
        let mut rows = vec![];
        for cid in &info.cases {
            if let Some(c) = self.store.get_case(CaseId(*cid as i64)).await? {
                if p.may_see(&case_orgs(&c)) {
                    rows.push(views::row(&cfg, &c, now));
                }
            }
        }
        Ok(ClusterDetail {
            summary: self.cluster_view(&cfg, &info).await?,
            case_rows: rows,
            timeline: info.timeline.iter().map(|(d, n)| WeekCount { week: day_date(*d), cases: *n }).collect(),
        })
    }

    /// 重复信访率 over cases registered on local dates `from..=to` that `p` may see
    /// ([`REPEAT_RATE_DEFINITION`]).
    pub async fn repeat_rate(self: &Arc<Self>, p: &Principal, from: NaiveDate, to: NaiveDate) -> AppResult<RepeatRate> {
        if to < from {
            return Err(AppError::invalid("to", "结束日期不能早于开始日期"));
        }
        self.similar_ready().await?;
        let st = {
            let ix = self.similar_state().index.read().expect("similar index lock");
            ix.repeat_stats(day_number(from), day_number(to) + 1, may_see(p))
        };
        let rate = if st.cases == 0 { 0.0 } else { ((st.repeats as f64 / st.cases as f64) * 10_000.0).round() / 10_000.0 };
        Ok(RepeatRate { from, to, cases: st.cases, repeats: st.repeats, rate, definition: REPEAT_RATE_DEFINITION })
    }

    /// Cases and repeats (as [`repeat_rate`](Self::repeat_rate)) among those `p` may see that
    /// `keep` accepts, without waiting: `None` unless the server runs the index (`serve
    /// --search`) and it has loaded. For the dashboard, whose page must not wait for it.
    pub fn repeat_counts_now(self: &Arc<Self>, p: &Principal, from: NaiveDate, to: NaiveDate, keep: impl Fn(&Facts) -> bool) -> Option<(u64, u64)> {
        let st = self.similar_state();
        if !st.loaded.load(Ordering::Acquire) {
            return None;
        }
        let ix = st.index.read().expect("similar index lock");
        let sees = may_see(p);
        let r = ix.repeat_stats(day_number(from), day_number(to) + 1, |f| sees(f) && keep(f));
        Some((r.cases, r.repeats))
    }

    /// Categories, places and clusters whose count in the `window_days` up to `now` is unusually
    /// high against the `history_windows` before ([`SpikeRule`]), among the cases `p` may see;
    /// strongest first. For the early warning of the oversight work and the hotspot API.
    pub async fn hotspots(self: &Arc<Self>, p: &Principal, now: DateTime<Utc>, window_days: u32, history_windows: u32) -> AppResult<Hotspots> {
        if !(1..=90).contains(&window_days) {
            return Err(AppError::invalid("window_days", "窗口天数应在1至90之间"));
        }
        if !(1..=52).contains(&history_windows) {
            return Err(AppError::invalid("history_windows", "对照窗口数应在1至52之间"));
        }
        let cfg = self.cfg().await?;
        self.similar_ready().await?;
        let rule = SpikeRule { window_days, history_windows, ..SpikeRule::default() };
        let as_of = day_of(now);
        let oldest = as_of - (window_days * (history_windows + 1)) as i32;
        // (kind, key) → days of its cases and its recent cases; clusters keyed by their root.
        let mut keys: HashMap<(u8, u64), KeyCases> = HashMap::new();
        let flagged = {
            let ix = self.similar_state().index.read().expect("similar index lock");
            let visible = may_see(p);
            let mut cluster_size: HashMap<u32, u32> = HashMap::new();
            let in_span = |f: &Facts| f.day > oldest && f.day <= as_of && visible(f);
            ix.for_each(|f, root| {
                if in_span(&f) {
                    *cluster_size.entry(root).or_default() += 1;
                }
            });
            let mut categories: Vec<String> = vec![];
            ix.for_each(|f, root| {
                if !in_span(&f) {
                    return;
                }
                let mut add = |kind: u8, key: u64| {
                    let slot = keys.entry((kind, key)).or_insert_with(|| (vec![], vec![], f.case_id));
                    slot.0.push(f.day);
                    if as_of - f.day < window_days as i32 {
                        slot.1.push((f.day, f.case_id));
                    }
                };
                if let Some(c) = f.category {
                    let i = categories.iter().position(|x| x == c).unwrap_or_else(|| {
                        categories.push(c.to_string());
                        categories.len() - 1
                    });
                    add(0, i as u64);
                }
                if let Some(pl) = f.place {
                    add(1, pl as u64);
                }
                if cluster_size.get(&root).is_some_and(|n| *n >= 2) {
                    add(2, root as u64);
                }
            });
            let mut flagged = vec![];
            for ((kind, key), (ds, mut recent, any)) in keys {
                let spike = rule.test_days(ds, as_of);
                if !spike.flagged {
                    continue;
                }
                recent.sort_by(|a, b| b.cmp(a));
                let key = match kind {
                    0 => categories[key as usize].clone(),
                    1 => key.to_string(),
                    _ => ix.cluster_id(any).unwrap_or(any).to_string(),
                };
                flagged.push((kind, key, spike, recent));
            }
            flagged
        };
        let mut items = vec![];
        for (kind, key, spike, recent) in flagged {
            let (kind_s, kind_label, label) = match kind {
                0 => ("category", "类别", cfg.taxonomy.label(&key).unwrap_or_else(|| key.clone())),
                1 => ("place", "地点", key.parse::<i64>().ok().and_then(|o| views::org_name(&cfg, Some(OrgId(o)))).unwrap_or_else(|| key.clone())),
                _ => {
                    let subject = match key.parse::<i64>() {
                        Ok(id) => self.store.get_case(CaseId(id)).await?.map(|c| c.matter.subject).unwrap_or_default(),
                        Err(_) => String::new(),
                    };
                    ("cluster", "同一事项", subject)
                }
            };
            items.push(Hotspot {
                kind: kind_s,
                kind_label,
                key,
                label,
                recent: spike.recent,
                history: spike.history.clone(),
                mean: (spike.mean * 100.0).round() / 100.0,
                ratio: (spike.ratio * 100.0).round() / 100.0,
                p_value: spike.p_value,
                score: (spike.score * 100.0).round() / 100.0,
                explanation: spike.explanation,
                recent_cases: recent.iter().take(5).map(|(_, id)| CaseId(*id as i64)).collect(),
            });
        }
        items.sort_by(|a, b| b.score.total_cmp(&a.score).then_with(|| a.kind.cmp(b.kind)).then_with(|| a.key.cmp(&b.key)));
        items.truncate(50);
        Ok(Hotspots {
            as_of: day_date(as_of),
            window_days,
            history_windows,
            rule: format!(
                "近{window_days}天的件数与此前{history_windows}个同样长度窗口的平均件数比较：至少{}件、至少为平时的{}倍、且泊松检验 p<{} 时列为热点",
                rule.min_count, rule.min_ratio, rule.max_p
            ),
            items,
        })
    }
}

/// A hotspot key's cases: the days of all of them in the span, (day, id) of the recent ones, and
/// one case id (to name a cluster).
type KeyCases = (Vec<i32>, Vec<(i32, u64)>, u64);

fn limit(k: usize) -> AppResult<usize> {
    match k {
        0 => Ok(10),
        1..=100 => Ok(k),
        _ => Err(AppError::invalid("limit", "条数应在1至100之间")),
    }
}

/// Loads the index in the background and then follows the event log every `every` until the
/// process ends (once per process: later calls do nothing). Errors (database restarting) are
/// logged and retried.
pub fn start_follower(app: Arc<App>, every: Duration) {
    if app.similar.started.swap(true, Ordering::AcqRel) {
        return;
    }
    tokio::spawn(async move {
        loop {
            match app.load_similar().await {
                Ok(()) => break,
                Err(e) => {
                    tracing::warn!(error = %e, "similar-case index: load failed; retrying in 5 s");
                    tokio::time::sleep(Duration::from_secs(5)).await;
                }
            }
        }
        loop {
            if let Err(e) = app.follow_similar_all().await {
                tracing::warn!(error = %e, "similar-case index: following the event log failed");
            }
            tokio::time::sleep(every).await;
        }
    });
}

#[cfg(test)]
mod tests {
    use redress_domain::view::sample_cases;

    use super::*;

    #[test]
    fn stored_json_gives_the_same_entry() {
        let cfg = crate::documents::tests::config();
        let [full, bare] = sample_cases();
        let e = entry_of(&cfg, &full);
        assert_eq!((e.place, e.area, e.unit, e.intake, e.merged), (Some(31), None, Some(20), 10, true));
        assert_eq!(e.links, [4, 6, 5, 5], "links, the same matter named at intake, the case it was merged into");
        assert_eq!(e.category.as_deref(), Some("03.01"));
        let read = entries_of_json(&cfg, &[serde_json::to_string(&full).unwrap(), serde_json::to_string(&bare).unwrap()]).unwrap();
        assert_eq!(read, [entry_of(&cfg, &full), entry_of(&cfg, &bare)]);
        // A broken row fails the load rather than leaving the case out of the index.
        assert!(entries_of_json(&cfg, &[serde_json::to_string(&bare).unwrap(), "{\"id\": 9}".into()]).is_err());
    }
}
