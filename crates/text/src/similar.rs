//! An in-memory index of cases for "does this matter already exist?": near-duplicate text by
//! MinHash with LSH, weighted by place, category and time, and the clusters of the same matter.
//!
//! Per case it keeps a one-byte-per-position MinHash signature ([`Compact`], 64 bytes) and a few
//! facts (day, place, town, category, intake office, unit), about 100 bytes, plus 4 bytes per LSH
//! band and 12 for the union-find: about 190 bytes a case, 190 MB for a million.
//!
//! Candidates for a query come from three places:
//! - **LSH**: the first 2·[`BANDS`] signature bytes form [`BANDS`] bands of two bytes; a case
//!   whose band equals the query's band is a candidate. Two texts with Jaccard index J share at
//!   least one band with probability 1 − (1 − J²)^20: 0.85 at J = 0.3, 0.99 at J = 0.5. A band
//!   is a 16-bit key, so each band also brings about n/65536 unrelated cases, which the
//!   signature comparison then drops. Postings are rebuilt (counting sort) when the cases added
//!   since the last build exceed 1/128 of the index (at least 2,048); until then those are compared one by one.
//! - **Context**: cases at the same place registered within `context_days`, whatever their
//!   wording (residents describe the same broken lift differently).
//! - The cases added since the last build, compared directly.
//!
//! Each candidate is scored `0.7·text + place + category + recency` (see [`Weights`]) and
//! explained in Chinese.

use std::collections::HashMap;

use crate::cluster::{by_frequency, weekly_timeline, ClusterRule, UnionFind};
use crate::minhash::{Compact, NUM_HASHES};

/// LSH bands of two signature bytes each.
pub const BANDS: usize = 20;
const KEYS: usize = 1 << 16;
const _: () = assert!(2 * BANDS <= NUM_HASHES);

const MERGED: u8 = 1;
const EMPTY: u8 = 2;

/// A case as the index learns it.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    pub case_id: u64,
    pub signature: Compact,
    /// The text had no letters or digits at all.
    pub empty: bool,
    /// Local date of registration, days since 1970-01-01.
    pub day: i32,
    /// The village, community or grid where the matter is.
    pub place: Option<u32>,
    /// The town (or county) of the place.
    pub area: Option<u32>,
    /// Category code, e.g. "01.02".
    pub category: Option<String>,
    pub intake: u32,
    pub unit: Option<u32>,
    pub co_units: Vec<u32>,
    /// Merged into another case: not suggested itself (its main case is).
    pub merged: bool,
    /// Cases a clerk linked or merged this one with, or named as the same matter at intake.
    pub links: Vec<u64>,
}

/// What a new matter looks like to the index.
#[derive(Debug, Clone, PartialEq)]
pub struct Query<'a> {
    pub signature: Compact,
    pub day: i32,
    pub place: Option<u32>,
    pub area: Option<u32>,
    pub category: Option<&'a str>,
    /// Leave this case out (when asking about a case already in the index).
    pub exclude: Option<u64>,
}

/// Score = `text`·similarity + the bonuses that apply (one of place/area, one of
/// category/category group, one of the recency steps), at most 1.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Weights {
    pub text: f64,
    pub same_place: f64,
    pub same_area: f64,
    pub same_category: f64,
    pub same_category_group: f64,
    pub within_7_days: f64,
    pub within_30_days: f64,
}

impl Default for Weights {
    fn default() -> Self {
        Weights {
            text: 0.7,
            same_place: 0.15,
            same_area: 0.05,
            same_category: 0.08,
            same_category_group: 0.03,
            within_7_days: 0.07,
            within_30_days: 0.04,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Options {
    pub weights: Weights,
    /// Suggestions scoring below this are not shown.
    pub min_score: f64,
    /// Cases at the same place this many days apart or less are candidates whatever their text.
    pub context_days: u32,
    /// LSH buckets larger than this (a band shared by very many texts) are skipped.
    pub max_bucket: usize,
    /// At most this many cases at the same place are compared, those nearest in time (where a
    /// place has more than this many cases within the days, as a town-level place of a large
    /// county may): bounds the work of a lookup and of clustering a new case.
    pub max_context: usize,
    /// The same bound when clustering a case (the rule's shorter span needs fewer).
    pub max_cluster_context: usize,
    /// LSH buckets larger than this are skipped when clustering a case: a band value shared by
    /// that many texts marks boilerplate, and the candidates of every bucket are sorted to
    /// find those sharing two bands.
    pub max_cluster_bucket: usize,
    pub rule: ClusterRule,
}

impl Default for Options {
    fn default() -> Self {
        Options { weights: Weights::default(), min_score: 0.3, context_days: 90, max_bucket: 20_000, max_context: 3000, max_cluster_context: 600, max_cluster_bucket: 256, rule: ClusterRule::default() }
    }
}

/// The facts the index holds about one case, for visibility checks and summaries.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Facts<'a> {
    pub case_id: u64,
    pub day: i32,
    pub place: Option<u32>,
    pub area: Option<u32>,
    pub category: Option<&'a str>,
    pub intake: u32,
    pub unit: Option<u32>,
    pub co_units: &'a [u32],
    pub merged: bool,
}

/// Names for the reasons ("同一地点：幸福社区"); without them the reasons leave the name out.
pub trait Names {
    fn place(&self, _id: u32) -> Option<String> {
        None
    }
    fn category(&self, _code: &str) -> Option<String> {
        None
    }
}

impl Names for () {}

/// A suggested existing case.
#[derive(Debug, Clone, PartialEq)]
pub struct Similar {
    pub case_id: u64,
    pub score: f64,
    /// Estimated Jaccard index of the texts' character 3-grams.
    pub text_similarity: f64,
    /// In Chinese: "内容相似度 0.82", "同一地点：幸福社区", "同一类别：…", "7天内".
    pub reasons: Vec<String>,
}

/// A cluster of cases of the same matter, as far as the caller may see it.
#[derive(Debug, Clone, PartialEq)]
pub struct ClusterInfo {
    /// The earliest case (by registration day, then id): the cluster's name.
    pub id: u64,
    /// All cases of the cluster, visible or not.
    pub size: u32,
    /// Visible cases, earliest first.
    pub cases: Vec<u64>,
    pub first_day: i32,
    pub last_day: i32,
    /// (place, number of visible cases), most frequent first; likewise units and categories.
    pub places: Vec<(u32, u32)>,
    pub units: Vec<(u32, u32)>,
    pub categories: Vec<(String, u32)>,
    /// (Monday, cases registered that week).
    pub timeline: Vec<(i32, u32)>,
}

/// Cases registered in a span, and how many of them repeat a matter registered before them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RepeatStats {
    pub cases: u64,
    pub repeats: u64,
}

#[derive(Default)]
pub struct SimilarIndex {
    opts: Options,
    ids: Vec<u32>,
    /// Case id → slot (`u32::MAX`: absent); case ids are dense.
    slot_of: Vec<u32>,
    sigs: Vec<Compact>,
    day: Vec<i32>,
    place: Vec<u32>,
    area: Vec<u32>,
    cat: Vec<u16>,
    intake: Vec<u32>,
    unit: Vec<u32>,
    flags: Vec<u8>,
    co_units: HashMap<u32, Vec<u32>>,
    categories: Vec<String>,
    category_group: Vec<u16>,
    category_ids: HashMap<String, u16>,
    uf: UnionFind,
    /// Links to cases not yet in the index.
    pending_links: Vec<(u64, u64)>,
    /// Whether new cases are clustered as they come (after [`SimilarIndex::finish_bulk`]).
    live: bool,
    post: Postings,
}

/// The LSH and place postings over the first `indexed` cases. Built apart from the index
/// ([`SimilarIndex::build_postings`], under a read lock, while queries go on) and then put in
/// ([`SimilarIndex::install_postings`]); cases added in between are compared one by one.
#[derive(Default)]
pub struct Postings {
    /// Slots below this are in the postings.
    indexed: usize,
    /// Per band, KEYS + 1 offsets into that band's part of `band_slots`.
    band_dir: Vec<u32>,
    band_slots: Vec<u32>,
    /// (place, first offset in `place_slots`), sorted by place; slots of a place by day.
    place_dir: Vec<(u32, u32)>,
    place_slots: Vec<u32>,
}

impl Postings {
    fn memory_bytes(&self) -> usize {
        self.band_dir.capacity() * 4 + self.band_slots.capacity() * 4 + self.place_dir.capacity() * 8 + self.place_slots.capacity() * 4
    }
}

const NONE: u32 = u32::MAX;

/// Where clustering puts what it finds: the index's own union-find (a case inserted live) or a
/// clustering thread's [`Recorder`].
trait Join {
    /// Already known to be one matter: no need to compare.
    fn joined(&self, a: u32, b: u32) -> bool;
    fn join(&mut self, a: u32, b: u32);
}

impl Join for UnionFind {
    fn joined(&self, a: u32, b: u32) -> bool {
        self.find(a) == self.find(b)
    }
    fn join(&mut self, a: u32, b: u32) {
        self.union(a, b);
    }
}

/// A thread's own union-find and the joins that merged two of its sets.
struct Recorder {
    uf: UnionFind,
    joins: Vec<(u32, u32)>,
}

impl Join for Recorder {
    fn joined(&self, a: u32, b: u32) -> bool {
        self.uf.joined(a, b)
    }
    fn join(&mut self, a: u32, b: u32) {
        if self.uf.union(a, b) {
            self.joins.push((a, b));
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Source {
    Lsh,
    Context,
    Tail,
}

fn band_key(sig: &Compact, band: usize) -> usize {
    sig.0[2 * band] as usize | (sig.0[2 * band + 1] as usize) << 8
}

impl SimilarIndex {
    pub fn new(opts: Options) -> SimilarIndex {
        SimilarIndex { opts, ..Default::default() }
    }

    pub fn options(&self) -> &Options {
        &self.opts
    }

    pub fn len(&self) -> usize {
        self.ids.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    pub fn contains(&self, case_id: u64) -> bool {
        self.slot(case_id).is_some()
    }

    fn slot(&self, case_id: u64) -> Option<u32> {
        self.slot_of.get(usize::try_from(case_id).ok()?).copied().filter(|s| *s != NONE)
    }

    fn category_id(&mut self, code: Option<&str>) -> u16 {
        match code.map(str::trim).filter(|c| !c.is_empty()) {
            Some(code) => self.intern_category(code),
            None => 0,
        }
    }

    /// Interns a category code and its first-level group ("01" of "01.02"); 0 is "none" (also
    /// for codes beyond the 65 535th, which nothing realistic reaches).
    fn intern_category(&mut self, code: &str) -> u16 {
        if let Some(id) = self.category_ids.get(code) {
            return *id;
        }
        if self.categories.is_empty() {
            self.categories.push(String::new());
            self.category_group.push(0);
        }
        let Ok(id) = u16::try_from(self.categories.len()) else { return 0 };
        if id == u16::MAX {
            return 0;
        }
        self.categories.push(code.to_string());
        self.category_group.push(id);
        self.category_ids.insert(code.to_string(), id);
        let group = code.split('.').next().unwrap_or(code);
        if group != code {
            let g = self.intern_category(group);
            self.category_group[id as usize] = if g == 0 { id } else { g };
        }
        id
    }

    fn category_of(&self, id: u16) -> Option<&str> {
        (id != 0).then(|| self.categories[id as usize].as_str())
    }

    /// Adds a case, or updates its unit, co-units, merged flag and links if it is already in.
    /// Once [`SimilarIndex::finish_bulk`] has run, a new case joins the cluster of every
    /// candidate the [`ClusterRule`] calls the same matter.
    pub fn insert(&mut self, e: Entry) {
        if let Some(slot) = self.slot(e.case_id) {
            self.update(slot, e.unit, &e.co_units, e.merged);
            for l in &e.links {
                self.link(e.case_id, *l);
            }
            return;
        }
        let Ok(id32) = u32::try_from(e.case_id) else { return };
        let slot = self.ids.len() as u32;
        let cat = self.category_id(e.category.as_deref());
        self.ids.push(id32);
        if self.slot_of.len() <= id32 as usize {
            let grow = (id32 as usize + 1).max(self.slot_of.len() * 5 / 4);
            self.slot_of.resize(grow, NONE);
        }
        self.slot_of[id32 as usize] = slot;
        self.sigs.push(e.signature);
        self.day.push(e.day);
        self.place.push(e.place.unwrap_or(0));
        self.area.push(e.area.unwrap_or(0));
        self.cat.push(cat);
        self.intake.push(e.intake);
        self.unit.push(e.unit.unwrap_or(0));
        self.flags.push(if e.merged { MERGED } else { 0 } | if e.empty { EMPTY } else { 0 });
        if !e.co_units.is_empty() {
            self.co_units.insert(slot, e.co_units.clone());
        }
        self.uf.push();
        if self.live {
            let mut uf = std::mem::take(&mut self.uf);
            self.same_matter_candidates(&self.query_of(slot), slot, &mut uf);
            self.uf = uf;
        }
        for l in &e.links {
            self.link(e.case_id, *l);
        }
        self.retry_pending(e.case_id);
    }

    fn update(&mut self, slot: u32, unit: Option<u32>, co_units: &[u32], merged: bool) {
        let s = slot as usize;
        self.unit[s] = unit.unwrap_or(0);
        if co_units.is_empty() {
            self.co_units.remove(&slot);
        } else {
            self.co_units.insert(slot, co_units.to_vec());
        }
        if merged {
            self.flags[s] |= MERGED;
        } else {
            self.flags[s] &= !MERGED;
        }
    }

    /// Records that a case was routed (unit and co-units) or merged.
    pub fn set_state(&mut self, case_id: u64, unit: Option<u32>, co_units: &[u32], merged: bool) {
        if let Some(slot) = self.slot(case_id) {
            self.update(slot, unit, co_units, merged);
        }
    }

    /// A clerk linked or merged two cases: they are one matter from now on.
    pub fn link(&mut self, a: u64, b: u64) {
        match (self.slot(a), self.slot(b)) {
            (Some(x), Some(y)) => {
                self.uf.union(x, y);
            }
            _ => self.pending_links.push((a, b)),
        }
    }

    fn retry_pending(&mut self, case_id: u64) {
        if self.pending_links.is_empty() {
            return;
        }
        let (ready, wait): (Vec<_>, Vec<_>) = std::mem::take(&mut self.pending_links)
            .into_iter()
            .partition(|(a, b)| (*a == case_id || *b == case_id) && self.slot(*a).is_some() && self.slot(*b).is_some());
        self.pending_links = wait;
        for (a, b) in ready {
            self.link(a, b);
        }
    }

    /// Whether the cases added since the postings were built (compared one by one by every
    /// insert and lookup) exceed 1/128 of the index (at least 2048): at a million cases a
    /// rebuild (0.3 s, off the write lock) every 7,800 cases against a tail compare of at most
    /// that many signatures.
    pub fn needs_rebuild(&self) -> bool {
        self.live && self.len() - self.post.indexed > (self.len() / 128).max(2048)
    }

    /// [`SimilarIndex::rebuild`] if [`SimilarIndex::needs_rebuild`].
    pub fn maybe_rebuild(&mut self) {
        if self.needs_rebuild() {
            self.rebuild();
        }
    }

    /// Builds the LSH postings over every case and clusters all cases (on all cores), then
    /// clusters each later case as it is inserted.
    pub fn finish_bulk(&mut self) {
        self.rebuild();
        let n = self.len();
        let threads = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1).clamp(1, 16);
        let chunk = n.div_ceil(threads).max(1);
        let this = &*self;
        // Each thread keeps its own union-find: a candidate already in the slot's set needs no
        // comparison, and only the joins that merged two sets are handed back (fewer than n per
        // thread, however many pairs are alike).
        let pairs: Vec<(u32, u32)> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..n)
                .step_by(chunk)
                .map(|start| {
                    s.spawn(move || {
                        let mut local = Recorder { uf: UnionFind::with_len(n), joins: vec![] };
                        for slot in start..(start + chunk).min(n) {
                            this.same_matter_candidates(&this.query_of(slot as u32), slot as u32, &mut local);
                        }
                        local.joins
                    })
                })
                .collect();
            handles.into_iter().flat_map(|h| h.join().expect("cluster thread")).collect()
        });
        for (a, b) in pairs {
            self.uf.union(a, b);
        }
        for (a, b) in std::mem::take(&mut self.pending_links) {
            self.link(a, b);
        }
        self.live = true;
    }

    /// Rebuilds the LSH and place postings over all cases, in place.
    pub fn rebuild(&mut self) {
        self.post = Postings::default();
        let p = self.build_postings();
        self.install_postings(p);
    }

    /// Puts in postings built by [`SimilarIndex::build_postings`] (on this index, earlier).
    pub fn install_postings(&mut self, p: Postings) {
        if p.indexed <= self.len() {
            self.post = p;
        }
    }

    /// LSH and place postings over all cases now in the index (counting sort by band key, a
    /// sort by place and day): about half a second for a million cases.
    pub fn build_postings(&self) -> Postings {
        let n = self.len();
        let stride = KEYS + 1;
        let mut dir = vec![0u32; BANDS * stride];
        for sig in &self.sigs {
            for b in 0..BANDS {
                dir[b * stride + band_key(sig, b) + 1] += 1;
            }
        }
        for b in 0..BANDS {
            let d = &mut dir[b * stride..(b + 1) * stride];
            for k in 1..stride {
                d[k] += d[k - 1];
            }
        }
        let mut cursor = dir.clone();
        let mut slots = vec![0u32; BANDS * n];
        for (s, sig) in self.sigs.iter().enumerate() {
            for b in 0..BANDS {
                let c = &mut cursor[b * stride + band_key(sig, b)];
                slots[b * n + *c as usize] = s as u32;
                *c += 1;
            }
        }
        // Place postings ordered by (place, day), so a time window is a binary search away.
        let mut by_place: Vec<(u32, i32, u32)> =
            self.place.iter().enumerate().filter(|(_, p)| **p != 0).map(|(s, p)| (*p, self.day[s], s as u32)).collect();
        by_place.sort_unstable();
        let mut place_dir = vec![];
        let mut place_slots = Vec::with_capacity(by_place.len());
        for (p, _, slot) in by_place {
            if place_dir.last().is_none_or(|(q, _)| *q != p) {
                place_dir.push((p, place_slots.len() as u32));
            }
            place_slots.push(slot);
        }
        Postings { indexed: n, band_dir: dir, band_slots: slots, place_dir, place_slots }
    }

    fn query_of(&self, slot: u32) -> Query<'_> {
        let s = slot as usize;
        Query {
            signature: self.sigs[s],
            day: self.day[s],
            place: (self.place[s] != 0).then_some(self.place[s]),
            area: (self.area[s] != 0).then_some(self.area[s]),
            category: self.category_of(self.cat[s]),
            exclude: Some(self.ids[s] as u64),
        }
    }

    /// Joins `slot` with each earlier slot the rule calls the same matter, skipping candidates
    /// `sets` already has in its set. Text alone must reach [`ClusterRule::near_duplicate`]
    /// (0.5), so an LSH candidate must share at least two bands (97.6% of pairs at J = 0.5 do,
    /// more above; a chance collision of a 16-bit key almost never repeats), which spares most
    /// signature comparisons; cases at the same place within the rule's days (at most
    /// [`Options::max_context`], nearest in time) and unindexed cases are all compared.
    fn same_matter_candidates(&self, q: &Query, slot: u32, sets: &mut dyn Join) {
        if self.flags[slot as usize] & EMPTY != 0 {
            return;
        }
        let rule = self.opts.rule;
        let consider = |c: u32, sets: &mut dyn Join| {
            if self.flags[c as usize] & EMPTY != 0 || sets.joined(slot, c) {
                return;
            }
            let text = q.signature.similarity(&self.sigs[c as usize]);
            let same_place = q.place.is_some_and(|p| p == self.place[c as usize]);
            let apart = (q.day - self.day[c as usize]).unsigned_abs();
            if rule.same_matter(text, same_place, apart) {
                sets.join(slot, c);
            }
        };
        // Cases at the same place and the unindexed tail are compared as they come (each comes
        // once; one also found by LSH is then already joined or costs one more comparison).
        let mut lsh = vec![];
        let limits = (self.opts.max_cluster_context, self.opts.max_cluster_bucket);
        self.candidates_within(q, rule.context_days, limits, |c, from| {
            if c < slot {
                if from == Source::Lsh {
                    lsh.push(c);
                } else {
                    consider(c, sets);
                }
            }
        });
        lsh.sort_unstable();
        let mut i = 0;
        while i < lsh.len() {
            let c = lsh[i];
            let j = i + lsh[i..].iter().take_while(|x| **x == c).count();
            if j - i >= 2 {
                consider(c, sets);
            }
            i = j;
        }
    }

    fn candidates(&self, q: &Query, context_days: u32, mut f: impl FnMut(u32)) {
        self.candidates_from(q, context_days, |s, _| f(s));
    }

    /// Calls `f` for every candidate slot (with repeats, once per band it shares) and where it
    /// came from: LSH buckets, cases at the same place within `context_days`, the unindexed tail.
    fn candidates_from(&self, q: &Query, context_days: u32, f: impl FnMut(u32, Source)) {
        self.candidates_within(q, context_days, (self.opts.max_context, self.opts.max_bucket), f)
    }

    /// [`SimilarIndex::candidates_from`] with at most `max_context` cases from the same place
    /// and LSH buckets of at most `max_bucket` cases.
    fn candidates_within(&self, q: &Query, context_days: u32, (max_context, max_bucket): (usize, usize), mut f: impl FnMut(u32, Source)) {
        let post = &self.post;
        if post.indexed > 0 {
            let stride = KEYS + 1;
            let n = post.indexed;
            for b in 0..BANDS {
                let k = band_key(&q.signature, b);
                let (lo, hi) = (post.band_dir[b * stride + k] as usize, post.band_dir[b * stride + k + 1] as usize);
                if hi - lo > max_bucket {
                    continue;
                }
                for &s in &post.band_slots[b * n + lo..b * n + hi] {
                    f(s, Source::Lsh);
                }
            }
            if let Some(p) = q.place {
                if let Ok(i) = post.place_dir.binary_search_by_key(&p, |(pl, _)| *pl) {
                    let lo = post.place_dir[i].1 as usize;
                    let hi = post.place_dir.get(i + 1).map_or(post.place_slots.len(), |(_, o)| *o as usize);
                    let at = &post.place_slots[lo..hi];
                    let day = |i: usize| self.day[at[i] as usize];
                    let first = at.partition_point(|&s| self.day[s as usize] < q.day.saturating_sub(context_days as i32));
                    let end = at.partition_point(|&s| self.day[s as usize] <= q.day.saturating_add(context_days as i32));
                    // Grow [l, r) from the query's day outwards, nearest day first.
                    let (mut l, mut r) = {
                        let mid = at.partition_point(|&s| self.day[s as usize] < q.day).clamp(first, end);
                        (mid, mid)
                    };
                    while r - l < max_context && (l > first || r < end) {
                        let left = r == end || (l > first && q.day - day(l - 1) <= day(r) - q.day);
                        if left {
                            l -= 1;
                        } else {
                            r += 1;
                        }
                    }
                    for &s in &at[l..r] {
                        f(s, Source::Context);
                    }
                }
            }
        }
        for s in post.indexed..self.len() {
            f(s as u32, Source::Tail);
        }
    }

    /// The facts of the case in `slot`.
    fn facts(&self, slot: u32) -> Facts<'_> {
        let s = slot as usize;
        Facts {
            case_id: self.ids[s] as u64,
            day: self.day[s],
            place: (self.place[s] != 0).then_some(self.place[s]),
            area: (self.area[s] != 0).then_some(self.area[s]),
            category: self.category_of(self.cat[s]),
            intake: self.intake[s],
            unit: (self.unit[s] != 0).then_some(self.unit[s]),
            co_units: self.co_units.get(&slot).map_or(&[], Vec::as_slice),
            merged: self.flags[s] & MERGED != 0,
        }
    }

    /// The facts the index holds about a case.
    pub fn facts_of(&self, case_id: u64) -> Option<Facts<'_>> {
        self.slot(case_id).map(|s| self.facts(s))
    }

    /// Calls `f` with the facts and the cluster (its earliest-slot root) of every case.
    pub fn for_each(&self, mut f: impl FnMut(Facts<'_>, u32)) {
        for s in 0..self.len() as u32 {
            f(self.facts(s), self.uf.find(s));
        }
    }

    /// The existing cases most like `q` that `visible` lets through, best first, at most `k`,
    /// none below [`Options::min_score`]. Merged cases are left out (their main case stands
    /// for them).
    pub fn query(&self, q: &Query, k: usize, names: &dyn Names, visible: impl Fn(&Facts) -> bool) -> Vec<Similar> {
        let mut cands: Vec<u32> = Vec::with_capacity(1024);
        self.candidates(q, self.opts.context_days, |s| cands.push(s));
        cands.sort_unstable();
        cands.dedup();
        let exclude = q.exclude.and_then(|id| self.slot(id));
        let qcat = q.category.and_then(|c| self.category_ids.get(c).copied());
        let qgroup = q.category.map(|c| c.split('.').next().unwrap_or(c));
        let mut scored: Vec<(f64, f64, u32)> = vec![];
        for s in cands {
            let i = s as usize;
            if Some(s) == exclude || self.flags[i] & MERGED != 0 {
                continue;
            }
            let text = if self.flags[i] & EMPTY != 0 { 0.0 } else { q.signature.similarity(&self.sigs[i]) };
            let score = self.score(q, qcat, qgroup, text, i);
            if score >= self.opts.min_score {
                scored.push((score, text, s));
            }
        }
        scored.sort_by(|a, b| b.0.total_cmp(&a.0).then(b.1.total_cmp(&a.1)).then(b.2.cmp(&a.2)));
        scored
            .into_iter()
            .filter(|(_, _, s)| visible(&self.facts(*s)))
            .take(k)
            .map(|(score, text, s)| Similar {
                case_id: self.ids[s as usize] as u64,
                score: (score * 1000.0).round() / 1000.0,
                text_similarity: (text * 100.0).round() / 100.0,
                reasons: self.reasons(q, qcat, qgroup, text, s as usize, names),
            })
            .collect()
    }

    fn score(&self, q: &Query, qcat: Option<u16>, qgroup: Option<&str>, text: f64, i: usize) -> f64 {
        let w = &self.opts.weights;
        let mut score = w.text * text;
        if q.place.is_some_and(|p| p == self.place[i]) {
            score += w.same_place;
        } else if q.area.is_some_and(|a| a == self.area[i]) {
            score += w.same_area;
        }
        if qcat.is_some_and(|c| c == self.cat[i]) {
            score += w.same_category;
        } else if self.cat[i] != 0 && qgroup.is_some_and(|g| self.categories[self.category_group[self.cat[i] as usize] as usize] == g) {
            score += w.same_category_group;
        }
        let apart = (q.day - self.day[i]).unsigned_abs();
        if apart <= 7 {
            score += w.within_7_days;
        } else if apart <= 30 {
            score += w.within_30_days;
        }
        score.min(1.0)
    }

    fn reasons(&self, q: &Query, qcat: Option<u16>, qgroup: Option<&str>, text: f64, i: usize, names: &dyn Names) -> Vec<String> {
        let mut r = vec![format!("内容相似度 {text:.2}")];
        let named = |prefix: &str, name: Option<String>| match name {
            Some(n) => format!("{prefix}：{n}"),
            None => prefix.to_string(),
        };
        if q.place.is_some_and(|p| p == self.place[i]) {
            r.push(named("同一地点", names.place(self.place[i])));
        } else if q.area.is_some_and(|a| a == self.area[i]) {
            r.push(named("同一乡镇", names.place(self.area[i])));
        }
        if let Some(code) = self.category_of(self.cat[i]) {
            if qcat.is_some_and(|c| c as usize == self.cat[i] as usize) {
                r.push(named("同一类别", names.category(code)));
            } else {
                let group = &self.categories[self.category_group[self.cat[i] as usize] as usize];
                if qgroup.is_some_and(|g| g == group) {
                    r.push(named("同一大类", names.category(group)));
                }
            }
        }
        let apart = (q.day - self.day[i]).unsigned_abs();
        if apart <= 7 {
            r.push(if apart == 0 { "同一天".into() } else { format!("7天内（相隔{apart}天）") });
        } else if apart <= 30 {
            r.push(format!("30天内（相隔{apart}天）"));
        }
        r
    }

    /// Whether two cases are in one cluster.
    pub fn same_cluster(&self, a: u64, b: u64) -> bool {
        matches!((self.slot(a), self.slot(b)), (Some(x), Some(y)) if self.uf.find(x) == self.uf.find(y))
    }

    /// The name of `case_id`'s cluster: its earliest case (by day, then id).
    pub fn cluster_id(&self, case_id: u64) -> Option<u64> {
        let slot = self.slot(case_id)?;
        let first = self.uf.members(slot).min_by_key(|s| (self.day[*s as usize], self.ids[*s as usize]))?;
        Some(self.ids[first as usize] as u64)
    }

    /// The cluster of `case_id` as far as `visible` lets through; `None` if the case is not in
    /// the index.
    pub fn cluster(&self, case_id: u64, visible: impl Fn(&Facts) -> bool) -> Option<ClusterInfo> {
        let slot = self.slot(case_id)?;
        Some(self.cluster_info(self.uf.find(slot), &visible))
    }

    fn cluster_info(&self, root: u32, visible: &impl Fn(&Facts) -> bool) -> ClusterInfo {
        let mut members: Vec<u32> = self.uf.members(root).collect();
        members.sort_by_key(|s| (self.day[*s as usize], self.ids[*s as usize]));
        let size = members.len() as u32;
        let id = self.ids[members[0] as usize] as u64;
        let facts: Vec<Facts> = members.iter().map(|s| self.facts(*s)).filter(|f| visible(f)).collect();
        ClusterInfo {
            id,
            size,
            cases: facts.iter().map(|f| f.case_id).collect(),
            first_day: facts.first().map_or(0, |f| f.day),
            last_day: facts.last().map_or(0, |f| f.day),
            places: by_frequency(facts.iter().filter_map(|f| f.place)),
            units: by_frequency(facts.iter().filter_map(|f| f.unit)),
            categories: by_frequency(facts.iter().filter_map(|f| f.category.map(str::to_string))),
            timeline: weekly_timeline(facts.iter().map(|f| f.day)),
        }
    }

    /// Clusters with at least `min_cases` visible cases and a visible case registered on or
    /// after `since_day`, most recently active first; at most `limit`.
    pub fn clusters(&self, min_cases: usize, since_day: i32, limit: usize, visible: impl Fn(&Facts) -> bool) -> Vec<ClusterInfo> {
        let mut roots: Vec<(i32, u32)> = vec![];
        for s in 0..self.len() as u32 {
            if self.uf.is_root(s) && self.uf.size_of(s) as usize >= min_cases.max(2) {
                let last = self.uf.members(s).map(|m| self.day[m as usize]).max().unwrap_or(i32::MIN);
                if last >= since_day {
                    roots.push((last, s));
                }
            }
        }
        roots.sort_by(|a, b| b.cmp(a));
        let mut out = vec![];
        for (_, root) in roots {
            let info = self.cluster_info(root, &visible);
            if info.cases.len() >= min_cases.max(2) && info.last_day >= since_day {
                out.push(info);
                if out.len() >= limit {
                    break;
                }
            }
        }
        out
    }

    /// Of the visible cases registered on days `from..to`, how many belong to a cluster with a
    /// case registered before them (earlier day, or the same day and a smaller id).
    pub fn repeat_stats(&self, from: i32, to: i32, visible: impl Fn(&Facts) -> bool) -> RepeatStats {
        let mut first: HashMap<u32, (i32, u32)> = HashMap::new();
        for s in 0..self.len() as u32 {
            let root = self.uf.find(s);
            if self.uf.size_of(root) < 2 {
                continue;
            }
            let key = (self.day[s as usize], self.ids[s as usize]);
            first.entry(root).and_modify(|k| *k = (*k).min(key)).or_insert(key);
        }
        let mut st = RepeatStats::default();
        for s in 0..self.len() as u32 {
            let day = self.day[s as usize];
            if day < from || day >= to || !visible(&self.facts(s)) {
                continue;
            }
            st.cases += 1;
            let key = (day, self.ids[s as usize]);
            if first.get(&self.uf.find(s)).is_some_and(|f| *f < key) {
                st.repeats += 1;
            }
        }
        st
    }

    /// Bytes held by the index (capacities, not counting allocator overhead).
    pub fn memory_bytes(&self) -> usize {
        use std::mem::size_of;
        self.ids.capacity() * 4
            + self.slot_of.capacity() * 4
            + self.sigs.capacity() * size_of::<Compact>()
            + self.day.capacity() * 4
            + self.place.capacity() * 4
            + self.area.capacity() * 4
            + self.cat.capacity() * 2
            + self.intake.capacity() * 4
            + self.unit.capacity() * 4
            + self.flags.capacity()
            + self.co_units.capacity() * (size_of::<(u32, Vec<u32>)>() + 1)
            + self.co_units.values().map(|v| v.capacity() * 4).sum::<usize>()
            + self.uf.memory_bytes()
            + self.post.memory_bytes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::minhash::Signature;

    struct TestNames;
    impl Names for TestNames {
        fn place(&self, id: u32) -> Option<String> {
            Some(match id {
                1 => "幸福社区".into(),
                2 => "解放社区".into(),
                10 => "城关镇".into(),
                _ => return None,
            })
        }
        fn category(&self, code: &str) -> Option<String> {
            Some(match code {
                "01.02" => "城乡建设/物业管理".into(),
                "01" => "城乡建设".into(),
                _ => return None,
            })
        }
    }

    fn entry(id: u64, text: &str, day: i32, place: Option<u32>, category: Option<&str>) -> Entry {
        let sig = Signature::of_text(text);
        Entry {
            case_id: id,
            signature: sig.compact(),
            empty: text.trim().is_empty(),
            day,
            place,
            area: place.map(|_| 10),
            category: category.map(str::to_string),
            intake: 100,
            unit: None,
            co_units: vec![],
            merged: false,
            links: vec![],
        }
    }

    fn query<'a>(text: &str, day: i32, place: Option<u32>, category: Option<&'a str>) -> Query<'a> {
        Query { signature: Signature::of_text(text).compact(), day, place, area: place.map(|_| 10), category, exclude: None }
    }

    const LIFT: &str = "小区电梯停运三个月。幸福社区3号楼电梯停运三个月，物业一直不修，老人上下楼十分困难。";

    /// An unrelated text: six words drawn by `i` from forty, no template in common.
    fn filler(i: u64) -> String {
        const WORDS: &[&str] = &[
            "道路", "积水", "噪音", "工资", "入学", "低保", "养殖", "公交", "路灯", "垃圾", "占道", "医保", "拆迁", "供暖",
            "停车", "物业", "油烟", "漏水", "燃气", "宅基地", "补贴", "户口", "网吧", "农药", "林地", "广场舞", "渣土车",
            "违建", "培训", "彩礼", "水库", "堤坝", "学费", "药店", "快递", "充电桩", "化粪池", "桥梁", "山林", "墓地",
        ];
        let mut x = i.wrapping_mul(0x9E37_79B9_7F4A_7C15);
        (0..6)
            .map(|_| {
                x = crate::minhash::mix64(x);
                WORDS[(x % WORDS.len() as u64) as usize]
            })
            .collect::<Vec<_>>()
            .join("")
    }

    fn index_with(entries: Vec<Entry>) -> SimilarIndex {
        let mut ix = SimilarIndex::new(Options::default());
        for e in entries {
            ix.insert(e);
        }
        ix.finish_bulk();
        ix
    }

    #[test]
    fn near_duplicate_text_is_found_with_its_similarity() {
        let mut entries: Vec<Entry> = (1..=300).map(|i| entry(i, &filler(i), 100, Some(2), Some("05.03"))).collect();
        entries.push(entry(301, LIFT, 10, None, None));
        let ix = index_with(entries);
        let q = query("小区电梯停运三个月了！幸福社区3号楼电梯停运快三个月，物业一直不修，老人上下楼困难", 400, None, None);
        let r = ix.query(&q, 5, &(), |_| true);
        assert_eq!(r[0].case_id, 301, "{r:?}");
        assert!(r[0].text_similarity > 0.5 && r[0].text_similarity < 1.0, "{r:?}");
        assert_eq!(r[0].reasons.len(), 1, "old, elsewhere: only the text: {r:?}");
        assert!(r[0].reasons[0].starts_with("内容相似度 0."), "{r:?}");
    }

    #[test]
    fn place_category_and_time_raise_the_same_text_and_bring_in_other_wordings() {
        let entries = vec![
            entry(1, LIFT, 100, Some(1), Some("01.02")),
            // The same text a year earlier, in another community and category.
            entry(2, LIFT, -265, Some(2), Some("05.03")),
            // Other words about the same lift, three weeks earlier at the same place.
            entry(3, "幸福社区3号楼电梯坏了好几个月，物业说没钱修", 80, Some(1), Some("01.02")),
        ];
        let ix = index_with(entries);
        let q = query("小区电梯停运三个月了。幸福社区3号楼电梯停运三个月，物业一直不修，老人上下楼很困难。", 103, Some(1), Some("01.02"));
        let r = ix.query(&q, 5, &TestNames, |_| true);
        let pos = |id| r.iter().position(|s| s.case_id == id).unwrap_or_else(|| panic!("{id} missing: {r:?}"));
        assert_eq!(r[0].case_id, 1, "{r:?}");
        assert!(r[0].reasons[0].starts_with("内容相似度 0."), "{r:?}");
        assert_eq!(&r[0].reasons[1..], ["同一地点：幸福社区", "同一类别：城乡建设/物业管理", "7天内（相隔3天）"], "{r:?}");
        let two = &r[pos(2)].reasons;
        assert!(pos(2) > 0 && two.contains(&"同一乡镇：城关镇".to_string()), "same text, same town only: {r:?}");
        assert!(!two.iter().any(|x| x.starts_with("同一地点") || x.starts_with("同一类别") || x.contains("天内")), "{r:?}");
        assert_eq!(r[pos(2)].text_similarity, r[0].text_similarity);
        assert!(r[pos(3)].reasons.contains(&"30天内（相隔23天）".to_string()), "{r:?}");
        for w in r.windows(2) {
            assert!(w[0].score >= w[1].score);
        }
    }

    #[test]
    fn the_visibility_filter_and_exclusions_apply() {
        let mut a = entry(1, LIFT, 100, Some(1), Some("01.02"));
        a.unit = Some(7);
        let mut b = entry(2, LIFT, 100, Some(1), Some("01.02"));
        b.unit = Some(8);
        let mut c = entry(3, LIFT, 100, Some(1), Some("01.02"));
        c.merged = true;
        let ix = index_with(vec![a, b, c]);
        let q = query(LIFT, 101, Some(1), Some("01.02"));
        let r = ix.query(&q, 5, &(), |f| f.unit == Some(8));
        assert_eq!(r.iter().map(|s| s.case_id).collect::<Vec<_>>(), [2], "merged and other units' cases left out");
        let mut q2 = q.clone();
        q2.exclude = Some(2);
        assert!(ix.query(&q2, 5, &(), |f| f.unit == Some(8)).is_empty());
    }

    #[test]
    fn clusters_join_near_duplicates_and_links_and_count_repeats() {
        let mut entries: Vec<Entry> = (1..=50).map(|i| entry(i, &filler(i), 100 + i as i32, Some(2), None)).collect();
        entries.push(entry(51, LIFT, 200, Some(1), None));
        entries.push(entry(52, &format!("{LIFT}再次反映！"), 210, None, None));
        let mut linked = entry(53, "楼道灯不亮", 220, Some(1), None);
        linked.links = vec![51];
        entries.push(linked);
        let mut ix = index_with(entries);
        assert!(ix.same_cluster(51, 52));
        assert!(ix.same_cluster(51, 53));
        assert!(!ix.same_cluster(1, 51));
        let c = ix.cluster(53, |_| true).unwrap();
        assert_eq!((c.id, c.size, c.cases.clone()), (51, 3, vec![51, 52, 53]));
        assert_eq!((c.first_day, c.last_day), (200, 220));
        assert_eq!(c.places, vec![(1, 2)]);
        assert_eq!(c.timeline.iter().map(|t| t.1).sum::<u32>(), 3);
        // Live: a later near-duplicate joins at once; a link given later too.
        ix.insert(entry(54, &format!("{LIFT}第三次反映"), 230, Some(1), None));
        assert!(ix.same_cluster(54, 51));
        ix.insert(entry(55, "门口路灯坏了", 231, Some(3), None));
        assert!(!ix.same_cluster(55, 51));
        ix.link(55, 51);
        assert!(ix.same_cluster(55, 54));
        let all = ix.clusters(2, 0, 10, |_| true);
        assert_eq!(all.len(), 1, "{all:?}");
        assert_eq!(all[0].size, 5);
        // Repeat rate: in days 200..=231, 5 cases of which 4 repeat the first.
        assert_eq!(ix.repeat_stats(200, 232, |_| true), RepeatStats { cases: 5, repeats: 4 });
        // Only days 215..: cases 53, 54, 55 — all repeats of case 51 (outside the span).
        assert_eq!(ix.repeat_stats(215, 232, |_| true), RepeatStats { cases: 3, repeats: 3 });
        // The visible part only.
        let c = ix.cluster(51, |f| f.case_id != 52).unwrap();
        assert_eq!((c.size, c.cases.len()), (5, 4));
    }

    #[test]
    fn a_crowded_place_is_compared_nearest_in_time_first_up_to_the_cap() {
        // 400 cases at one place over 40 days, ten a day; the cap lets 50 through.
        let entries: Vec<Entry> = (1..=400).map(|i| entry(i, &filler(i), (i as i32 - 1) / 10, Some(1), None)).collect();
        let mut ix = SimilarIndex::new(Options { max_context: 50, ..Options::default() });
        for e in entries {
            ix.insert(e);
        }
        ix.finish_bulk();
        let q = query("完全无关的内容", 20, Some(1), None);
        let mut days = vec![];
        ix.candidates_from(&q, 90, |s, from| {
            if from == Source::Context {
                days.push(ix.day[s as usize]);
            }
        });
        assert_eq!(days.len(), 50, "{days:?}");
        // Days 18..=22 hold the 50 nearest (ten a day), and nothing farther came in.
        days.sort_unstable();
        assert_eq!((days[0], days[49]), (18, 22), "{days:?}");
        // At the edge of the span the window grows to one side only.
        let mut edge = vec![];
        ix.candidates_from(&query("无关", 39, Some(1), None), 90, |s, from| {
            if from == Source::Context {
                edge.push(ix.day[s as usize]);
            }
        });
        edge.sort_unstable();
        assert_eq!((edge.len(), edge[0], edge[49]), (50, 35, 39), "{edge:?}");
        // Without the cap every case within the days is a candidate.
        let mut all = 0;
        let open = SimilarIndex { opts: Options::default(), ..ix };
        open.candidates_from(&q, 5, |_, from| all += usize::from(from == Source::Context));
        assert_eq!(all, 110, "days 15..=25");
    }

    #[test]
    fn bulk_clustering_joins_a_large_group_of_alike_cases_into_one_cluster() {
        // 2,000 near-duplicates of one matter among fillers: one cluster, found with few joins.
        let mut entries: Vec<Entry> = (1..=2000).map(|i| entry(i, &format!("{LIFT}第{i}次"), (i % 300) as i32, Some((i % 7) as u32 + 1), None)).collect();
        entries.extend((2001..=2500).map(|i| entry(i, &filler(i), 5, Some(9), None)));
        let ix = index_with(entries);
        assert_eq!(ix.cluster(1, |_| true).unwrap().size, 2000);
        assert!(!ix.same_cluster(1, 2001));
    }

    #[test]
    fn postings_are_rebuilt_and_still_find_everything() {
        let mut ix = SimilarIndex::new(Options::default());
        ix.finish_bulk();
        for i in 1..=9000 {
            ix.insert(entry(i, &filler(i), (i % 500) as i32, Some((i % 40) as u32 + 1), None));
            ix.maybe_rebuild();
        }
        assert!(ix.post.indexed > 2048, "a rebuild happened");
        // Built apart (as under a read lock) while more cases come, then put in.
        let built = ix.build_postings();
        ix.insert(entry(9002, "门口路灯坏了半年没人修", 10, None, None));
        ix.install_postings(built);
        assert_eq!(ix.query(&query("门口路灯坏了半年没人修", 10, None, None), 1, &(), |_| true)[0].case_id, 9002, "the tail is still searched");
        ix.insert(entry(9001, LIFT, 10, None, None));
        let r = ix.query(&query(LIFT, 10, None, None), 3, &(), |_| true);
        assert_eq!(r[0].case_id, 9001);
        let some = filler(1234);
        let r = ix.query(&query(&some, 0, None, None), 3, &(), |_| true);
        assert_eq!(r[0].case_id, 1234, "{r:?}");
        assert!(ix.memory_bytes() > 9000 * 64);
    }
}
