//! The index: one tantivy document per case, replaced whole on every change.

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::ops::Bound;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use redress_app::auth::orgs_of;
use redress_app::search::{Highlighter, SearchHit, SearchPage, SearchQuery, SearchStatus};
use redress_domain::view::CaseView;
use redress_domain::{Case, CaseId, OrgId};
use serde::{Deserialize, Serialize};
use tantivy::collector::{Count, TopDocs};
use tantivy::query::{BooleanQuery, BoostQuery, ConstScoreQuery, Occur, Query, RangeQuery, RegexQuery, TermQuery, TermSetQuery};
use tantivy::schema::{
    DateOptions, DateTimePrecision, Field, IndexRecordOption, NumericOptions, Schema, TextFieldIndexing, TextOptions, STRING,
};
use tantivy::snippet::SnippetGenerator;
use tantivy::index::SegmentId;
use tantivy::{DateTime, Index, IndexReader, IndexWriter, ReloadPolicy, Searcher, SegmentReader, TantivyDocument, Term};

use crate::tokenize::{inner_words, query_words, ChineseTokenizer, Segmenter};
use crate::{Result, SearchError};

/// Bumped whenever the schema or what goes into a document changes; an index of another
/// version is rebuilt from the store.
pub const SCHEMA_VERSION: u32 = 2;

/// Tokenizers: all words, or without lone CJK characters (long texts).
const TOKENIZER: &str = "zh";
const TOKENIZER_WORDS: &str = "zh_words";

/// The weight of a match inside a longer word ("电梯" in "电梯间") against the word itself.
const INSIDE_WEIGHT: f32 = 0.5;

/// Of one segment of an index in exact mode: for each inner word, the segment's words that
/// contain it (see [`inner_words`]).
type Inside = HashMap<Box<str>, Vec<Box<str>>>;

/// Characters (UTF-8 bytes, as tantivy counts them) of a snippet: about 80 Chinese characters.
const SNIPPET_BYTES: usize = 240;

/// The text fields, their weight in the score and how snippets name them.
const TEXT_FIELDS: [(&str, f32); 4] = [("subject", 3.0), ("content", 1.0), ("replies", 0.7), ("address", 1.5)];

/// Whether a text field indexes lone CJK characters (the short ones do; see
/// [`ChineseTokenizer`]). A query word of one character is looked for only there.
const KEEPS_LONE: [bool; 4] = [true, false, false, true];

/// What is kept in the commit payload: which log position the index reflects.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
struct Payload {
    v: u32,
    segmenter: Segmenter,
    last_seq: i64,
}

#[derive(Clone, Copy)]
struct Fields {
    id: Field,
    text: [Field; 4],
    status: Field,
    unit: Field,
    channel: Field,
    category: Field,
    orgs: Field,
    registered_at: Field,
    demo: Field,
}

fn schema() -> (Schema, Fields) {
    let mut b = Schema::builder();
    let text_opts = |tokenizer: &str| {
        TextOptions::default()
            .set_indexing_options(TextFieldIndexing::default().set_tokenizer(tokenizer).set_index_option(IndexRecordOption::WithFreqs))
    };
    let id = b.add_u64_field("id", NumericOptions::default().set_indexed().set_fast());
    let mut i = 0;
    let text = TEXT_FIELDS.map(|(name, _)| {
        let tokenizer = if KEEPS_LONE[i] { TOKENIZER } else { TOKENIZER_WORDS };
        i += 1;
        b.add_text_field(name, text_opts(tokenizer))
    });
    let status = b.add_text_field("status", STRING);
    let unit = b.add_u64_field("unit", NumericOptions::default().set_indexed());
    let channel = b.add_text_field("channel", STRING);
    let category = b.add_text_field("category", STRING);
    let orgs = b.add_u64_field("orgs", NumericOptions::default().set_indexed());
    let registered_at = b.add_date_field(
        "registered_at",
        DateOptions::default().set_indexed().set_fast().set_precision(DateTimePrecision::Seconds),
    );
    let demo = b.add_bool_field("demo", NumericOptions::default().set_indexed());
    (b.build(), Fields { id, text, status, unit, channel, category, orgs, registered_at, demo })
}

/// How to open an index.
#[derive(Debug, Clone)]
pub struct Options {
    /// The segmenter for a new index; an existing index built with another one is cleared
    /// (and must be rebuilt). `None`: keep the index's own, or the default for a new one.
    pub segmenter: Option<Segmenter>,
    /// Indexing threads of the writer.
    pub writer_threads: usize,
    /// Memory the writer may buffer before it writes a segment, over all threads.
    pub writer_memory: usize,
    /// Index at a lower CPU priority than the process's other work (a server following the
    /// log: intake and queries come first, the index catches up when they slow).
    pub background: bool,
    /// A bulk build: no segment merges while it runs; [`SearchIndex::finish`] merges all
    /// segments into one at the end (each document is merged once, and queries then see one
    /// segment). Otherwise tantivy's log merge policy merges as segments come.
    pub bulk: bool,
}

/// The nice value of a server's indexing threads.
const BACKGROUND_NICE: i32 = 10;

/// The writer's indexing threads (named by tantivy) yield to requests under load.
fn lower_indexing_priority() {
    redress_app::os::lower_thread_priority("thrd-tantivy-index", BACKGROUND_NICE);
}

impl Default for Options {
    /// For a server following the log: one thread, 64 MB.
    fn default() -> Options {
        Options { segmenter: None, writer_threads: 1, writer_memory: 64 << 20, background: true, bulk: false }
    }
}

impl Options {
    /// For a bulk build: every core (at most 4), 256 MB.
    pub fn bulk() -> Options {
        let threads = std::thread::available_parallelism().map_or(2, |n| n.get()).clamp(1, 4);
        Options { segmenter: None, writer_threads: threads, writer_memory: 256 << 20, background: false, bulk: true }
    }
}

/// A full-text index of cases in one directory. Only one process may write to a directory
/// at a time (tantivy's lock file); each server instance keeps its own.
pub struct SearchIndex {
    dir: PathBuf,
    index: Index,
    reader: IndexReader,
    writer: Mutex<IndexWriter>,
    fields: Fields,
    segmenter: Segmenter,
    /// What the last commit recorded.
    committed_seq: Mutex<i64>,
    /// Whether documents were added or deleted since the last commit.
    dirty: std::sync::atomic::AtomicBool,
    /// Indexing threads run at a lower priority ([`Options::background`]).
    background: bool,
    /// [`Inside`] of each segment, for an index in exact mode (segments never change, so it
    /// is made once per segment: at the commit or open that brings it).
    inside: Mutex<HashMap<SegmentId, Arc<Inside>>>,
    /// [`Options::bulk`].
    bulk: bool,
    /// Held by whoever applies the log to this index (the follower, a catch-up, a rebuild),
    /// so that a bulk build's adds never interleave with a follower's replacements.
    pub(crate) applying: tokio::sync::Mutex<()>,
}

impl SearchIndex {
    /// Opens the index in `dir`, creating it if absent, for a server following the log.
    pub fn open(dir: &Path) -> Result<SearchIndex> {
        SearchIndex::open_with(dir, Options::default())
    }

    pub fn open_with(dir: &Path, opts: Options) -> Result<SearchIndex> {
        let (schema, fields) = schema();
        std::fs::create_dir_all(dir).map_err(|e| SearchError::Io(dir.to_path_buf(), e))?;
        let existing = if dir.join("meta.json").exists() {
            let index = Index::open_in_dir(dir).map_err(|e| SearchError::Index(format!("{}：{e}", dir.display())))?;
            let payload = read_payload(&index);
            let compatible = index.schema() == schema
                && payload.as_ref().is_some_and(|p| p.v == SCHEMA_VERSION && opts.segmenter.is_none_or(|s| s == p.segmenter));
            if compatible {
                Some((index, payload.expect("checked")))
            } else {
                tracing::warn!(dir = %dir.display(), "search index is of another version or segmenter; it will be rebuilt");
                drop(index);
                clear_dir(dir)?;
                None
            }
        } else if std::fs::read_dir(dir).map_err(|e| SearchError::Io(dir.to_path_buf(), e))?.next().is_some() {
            return Err(SearchError::NotAnIndex(dir.to_path_buf()));
        } else {
            None
        };
        let (index, payload) = match existing {
            Some(x) => x,
            None => {
                let index = Index::create_in_dir(dir, schema).map_err(|e| SearchError::Index(e.to_string()))?;
                let seg = opts.segmenter.unwrap_or_default();
                (index, Payload { v: SCHEMA_VERSION, segmenter: seg, last_seq: 0 })
            }
        };
        let segmenter = payload.segmenter;
        index.tokenizers().register(TOKENIZER, ChineseTokenizer::new(segmenter, true));
        index.tokenizers().register(TOKENIZER_WORDS, ChineseTokenizer::new(segmenter, false));
        let writer = index.writer_with_num_threads(opts.writer_threads.max(1), opts.writer_memory.max(16 << 20)).map_err(|e| match e {
            tantivy::TantivyError::LockFailure(..) => SearchError::Locked(dir.to_path_buf()),
            e => SearchError::Index(e.to_string()),
        })?;
        if opts.background {
            lower_indexing_priority();
        }
        set_merge_policy(&writer, opts.bulk);
        let reader = index.reader_builder().reload_policy(ReloadPolicy::Manual).try_into().map_err(|e| SearchError::Index(e.to_string()))?;
        let me = SearchIndex {
            dir: dir.to_path_buf(),
            index,
            reader,
            writer: Mutex::new(writer),
            fields,
            segmenter,
            committed_seq: Mutex::new(payload.last_seq),
            dirty: Default::default(),
            background: opts.background,
            inside: Mutex::default(),
            bulk: opts.bulk,
            applying: tokio::sync::Mutex::new(()),
        };
        if read_payload(&me.index).is_none() {
            // A new index: commit once so the payload (segmenter, seq 0) is on disk.
            me.dirty.store(true, std::sync::atomic::Ordering::Relaxed);
            me.commit(0)?;
        }
        me.inside_of(&me.reader.searcher(), true)?;
        Ok(me)
    }

    /// Reads an index's state without taking the writer lock (for `redress index status`).
    pub fn status_of(dir: &Path) -> Result<Option<SearchStatus>> {
        if !dir.join("meta.json").exists() {
            return Ok(None);
        }
        let index = Index::open_in_dir(dir).map_err(|e| SearchError::Index(e.to_string()))?;
        let payload = read_payload(&index);
        let docs = index.searchable_segment_metas().map_err(|e| SearchError::Index(e.to_string()))?.iter().map(|m| m.num_docs() as u64).sum();
        Ok(Some(SearchStatus {
            docs,
            last_seq: payload.as_ref().map_or(0, |p| p.last_seq),
            segmenter: payload.map_or_else(|| "unknown".into(), |p| format!("{:?}", p.segmenter).to_lowercase()),
        }))
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    pub fn segmenter(&self) -> Segmenter {
        self.segmenter
    }

    /// The last event seq whose effect is committed.
    pub fn last_seq(&self) -> i64 {
        *self.committed_seq.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Searchable documents (as of the last commit).
    pub fn num_docs(&self) -> u64 {
        self.reader.searcher().num_docs()
    }

    fn document(&self, case: &CaseView<'_>) -> TantivyDocument {
        let f = &self.fields;
        let mut d = TantivyDocument::new();
        d.add_u64(f.id, case.id.0 as u64);
        for (field, text) in f.text.iter().zip(view_texts(case)) {
            if !text.is_empty() {
                d.add_text(*field, &text);
            }
        }
        d.add_text(f.status, case.status.key());
        if let Some(u) = case.unit {
            d.add_u64(f.unit, u.0 as u64);
        }
        d.add_text(f.channel, case.matter.channel.key());
        if let Some(c) = &case.matter.category {
            d.add_text(f.category, c);
        }
        for o in view_orgs(case) {
            d.add_u64(f.orgs, o.0 as u64);
        }
        d.add_date(f.registered_at, DateTime::from_timestamp_secs(case.registered_at.timestamp()));
        d.add_bool(f.demo, case.matter.demo);
        d
    }

    /// Adds or replaces a case (visible after the next [`SearchIndex::commit`]).
    pub fn index_case(&self, case: &Case) -> Result<()> {
        let doc = self.document(&CaseView::of(case));
        let w = self.writer.lock().unwrap_or_else(|e| e.into_inner());
        w.delete_term(Term::from_field_u64(self.fields.id, case.id.0 as u64));
        w.add_document(doc).map_err(|e| SearchError::Index(e.to_string()))?;
        self.dirty.store(true, std::sync::atomic::Ordering::Relaxed);
        Ok(())
    }

    /// Adds many new cases (a bulk build into an empty index: no deletes).
    pub fn add_new_cases(&self, cases: &[Case]) -> Result<()> {
        self.add_new(cases.iter().map(CaseView::of))
    }

    /// [`SearchIndex::add_new_cases`] from cases in their stored form (the JSON of `Case`),
    /// reading only what the index takes: the bulk build's path.
    pub fn add_new_case_json(&self, cases: &[String]) -> Result<()> {
        let parsed = cases
            .iter()
            .map(|j| CaseView::from_json(j).map_err(|e| SearchError::Index(format!("事项数据无法读取：{e}"))))
            .collect::<Result<Vec<_>>>()?;
        self.add_new(parsed.into_iter())
    }

    fn add_new<'a>(&self, cases: impl Iterator<Item = CaseView<'a>>) -> Result<()> {
        let w = self.writer.lock().unwrap_or_else(|e| e.into_inner());
        for case in cases {
            w.add_document(self.document(&case)).map_err(|e| SearchError::Index(e.to_string()))?;
        }
        self.dirty.store(true, std::sync::atomic::Ordering::Relaxed);
        Ok(())
    }

    pub fn delete_case(&self, id: CaseId) {
        let w = self.writer.lock().unwrap_or_else(|e| e.into_inner());
        w.delete_term(Term::from_field_u64(self.fields.id, id.0 as u64));
        self.dirty.store(true, std::sync::atomic::Ordering::Relaxed);
    }

    /// Removes every document (before a rebuild); takes effect at the next commit.
    ///
    /// tantivy's `delete_all_documents` drops the segments but not documents still in the
    /// indexing threads' memory (a follower's uncommitted adds), which would come back as
    /// duplicates beside the rebuild's; rolling back first discards those too.
    pub fn clear(&self) -> Result<()> {
        let mut w = self.writer.lock().unwrap_or_else(|e| e.into_inner());
        w.rollback().map_err(|e| SearchError::Index(e.to_string()))?;
        // A rollback starts a new writer with tantivy's default merge policy.
        set_merge_policy(&w, self.bulk);
        w.delete_all_documents().map_err(|e| SearchError::Index(e.to_string()))?;
        self.dirty.store(true, std::sync::atomic::Ordering::Relaxed);
        Ok(())
    }

    /// Whether anything was added or deleted since the last commit.
    pub fn is_dirty(&self) -> bool {
        self.dirty.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Makes the changes durable and searchable, recording that the index now reflects the
    /// event log up to `last_seq`.
    pub fn commit(&self, last_seq: i64) -> Result<()> {
        let mut committed = self.committed_seq.lock().unwrap_or_else(|e| e.into_inner());
        if !self.is_dirty() && *committed == last_seq {
            return Ok(());
        }
        let payload = serde_json::to_string(&Payload { v: SCHEMA_VERSION, segmenter: self.segmenter, last_seq }).expect("payload");
        {
            let mut w = self.writer.lock().unwrap_or_else(|e| e.into_inner());
            self.dirty.store(false, std::sync::atomic::Ordering::Relaxed);
            let mut prepared = w.prepare_commit().map_err(|e| SearchError::Index(e.to_string()))?;
            prepared.set_payload(&payload);
            prepared.commit().map_err(|e| SearchError::Index(e.to_string()))?;
        }
        if self.background {
            // tantivy starts new indexing threads at every commit.
            lower_indexing_priority();
        }
        *committed = last_seq;
        self.reader.reload().map_err(|e| SearchError::Index(e.to_string()))?;
        self.inside_of(&self.reader.searcher(), true)?;
        Ok(())
    }

    /// The [`Inside`] of each segment of `searcher` (none unless the index is in exact mode),
    /// making those not yet made; `forget_others` drops those of segments `searcher` no longer
    /// has (after a reload).
    fn inside_of(&self, searcher: &Searcher, forget_others: bool) -> Result<Vec<Arc<Inside>>> {
        if self.segmenter != Segmenter::Jieba {
            return Ok(vec![]);
        }
        let readers = searcher.segment_readers();
        // Made without holding the lock, so queries on the segments already listed are not
        // held up by a large new segment (a query that needs it too makes its own copy).
        let missing: Vec<&SegmentReader> = {
            let made = self.inside.lock().unwrap_or_else(|e| e.into_inner());
            readers
                .iter()
                .filter(|seg| !made.contains_key(&seg.segment_id()))
                .collect()
        };
        let mut fresh = vec![];
        if !missing.is_empty() {
            // After a bulk build's commit there are several segments: one thread per core.
            let started = std::time::Instant::now();
            let threads = std::thread::available_parallelism()
                .map_or(1, |n| n.get())
                .min(missing.len());
            let next = std::sync::atomic::AtomicUsize::new(0);
            let results: Vec<Vec<(SegmentId, Result<Inside>)>> = std::thread::scope(|scope| {
                let workers: Vec<_> = (0..threads)
                    .map(|_| {
                        scope.spawn(|| {
                            let mut mine = vec![];
                            loop {
                                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                                let Some(seg) = missing.get(i) else {
                                    break mine;
                                };
                                mine.push((seg.segment_id(), self.inside_segment(seg)));
                            }
                        })
                    })
                    .collect();
                workers
                    .into_iter()
                    .map(|w| w.join().expect("inner-word thread"))
                    .collect()
            });
            for (id, inside) in results.into_iter().flatten() {
                fresh.push((id, Arc::new(inside?)));
            }
            let ms = started.elapsed().as_secs_f64() * 1e3;
            if ms >= 100.0 {
                tracing::info!(
                    segments = missing.len(),
                    ms = ms.round(),
                    "listed the words inside words of new index segments"
                );
            }
        }
        let mut made = self.inside.lock().unwrap_or_else(|e| e.into_inner());
        for (id, inside) in &fresh {
            made.entry(*id).or_insert_with(|| inside.clone());
        }
        let mut out = Vec::with_capacity(readers.len());
        for seg in readers {
            let inside = match made.get(&seg.segment_id()) {
                Some(inside) => inside.clone(),
                // Forgotten by a commit since (this searcher is older than the reader's).
                None => Arc::new(self.inside_segment(seg)?),
            };
            out.push(inside);
        }
        if forget_others {
            let ids: HashSet<SegmentId> = readers.iter().map(SegmentReader::segment_id).collect();
            made.retain(|id, _| ids.contains(id));
        }
        Ok(out)
    }

    /// Reads the words of one segment's text fields and lists, for each of their inner words,
    /// the words that contain it.
    fn inside_segment(&self, seg: &SegmentReader) -> Result<Inside> {
        let err = |e: tantivy::TantivyError| SearchError::Index(e.to_string());
        let mut seen: HashSet<Box<str>> = HashSet::new();
        let mut inside = Inside::new();
        for field in self.fields.text {
            let inverted = seg.inverted_index(field).map_err(err)?;
            let mut terms = inverted
                .terms()
                .stream()
                .map_err(|e| SearchError::Index(e.to_string()))?;
            while terms.advance() {
                let Ok(word) = std::str::from_utf8(terms.key()) else {
                    continue;
                };
                // A word of several fields is looked at once.
                if seen.contains(word) {
                    continue;
                }
                let inner = inner_words(word);
                if inner.is_empty() {
                    continue;
                }
                let word: Box<str> = word.into();
                for w in inner {
                    inside.entry(w.into()).or_default().push(word.clone());
                }
                seen.insert(word);
            }
        }
        Ok(inside)
    }

    /// Ends a bulk build: merges the committed segments into one (see [`Options::bulk`]) and
    /// waits for segment merges to finish; the index can no longer be written to afterwards.
    pub fn finish(self) -> Result<()> {
        let err = |e: tantivy::TantivyError| SearchError::Index(e.to_string());
        let mut w = self.writer.into_inner().unwrap_or_else(|e| e.into_inner());
        if self.bulk {
            let segments = self.index.searchable_segment_ids().map_err(err)?;
            if segments.len() > 1 {
                w.merge(&segments).wait().map_err(err)?;
            }
        }
        w.wait_merging_threads().map_err(err)
    }

    /// `word` in every text field (only those keeping lone characters if it is one), and,
    /// weighed less, the indexed words it is inside of (`inside`, exact mode).
    fn term_query(&self, word: &str, lone: bool, inside: &BTreeSet<&str>) -> Box<dyn Query> {
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = vec![];
        for ((field, (_, boost)), keeps_lone) in
            self.fields.text.iter().zip(TEXT_FIELDS).zip(KEEPS_LONE)
        {
            if lone && !keeps_lone {
                continue;
            }
            let words = std::iter::once((word, boost))
                .chain(inside.iter().map(|w| (*w, boost * INSIDE_WEIGHT)));
            for (w, boost) in words {
                let q: Box<dyn Query> = Box::new(TermQuery::new(
                    Term::from_field_text(*field, w),
                    IndexRecordOption::WithFreqs,
                ));
                clauses.push((Occur::Should, Box::new(BoostQuery::new(q, boost))));
            }
        }
        Box::new(BooleanQuery::new(clauses))
    }

    /// The query for `q`, or `None` when it can match nothing.
    fn build_query(&self, q: &SearchQuery, inside: &[Arc<Inside>]) -> Result<Option<Box<dyn Query>>> {
        let f = &self.fields;
        let words = query_words(self.segmenter, &q.text);
        let has_word = words.iter().any(|(_, lone)| !lone);
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = vec![];
        for (w, lone) in &words {
            // A lone character next to real words only ranks; alone it must match.
            let occur = if *lone && has_word { Occur::Should } else { Occur::Must };
            let outer: BTreeSet<&str> = inside.iter().filter_map(|i| i.get(w.as_str())).flatten().map(|w| &**w).collect();
            clauses.push((occur, self.term_query(w, *lone, &outer)));
        }
        if words.is_empty() {
            return Ok(None);
        }
        let mut filter = |query: Box<dyn Query>| clauses.push((Occur::Must, Box::new(ConstScoreQuery::new(query, 0.0))));
        let any_org = |orgs: &[redress_domain::OrgId]| -> Box<dyn Query> {
            Box::new(TermSetQuery::new(orgs.iter().map(|o| Term::from_field_u64(f.orgs, o.0 as u64))))
        };
        if let Some(v) = &q.visible_to {
            if v.is_empty() {
                return Ok(None);
            }
            filter(any_org(v));
        }
        if let Some(v) = &q.orgs {
            if v.is_empty() {
                return Ok(None);
            }
            filter(any_org(v));
        }
        if !q.statuses.is_empty() {
            filter(Box::new(TermSetQuery::new(q.statuses.iter().map(|s| Term::from_field_text(f.status, s.key())))));
        }
        if let Some(u) = q.unit {
            filter(Box::new(TermQuery::new(Term::from_field_u64(f.unit, u.0 as u64), IndexRecordOption::Basic)));
        }
        if let Some(c) = q.channel {
            filter(Box::new(TermQuery::new(Term::from_field_text(f.channel, c.key()), IndexRecordOption::Basic)));
        }
        if let Some(prefix) = q.category.as_deref().map(str::trim).filter(|c| !c.is_empty()) {
            let pattern = format!("{}.*", regex_escape(prefix));
            let rq = RegexQuery::from_pattern(&pattern, f.category).map_err(|e| SearchError::Index(e.to_string()))?;
            filter(Box::new(rq));
        }
        if q.registered_from.is_some() || q.registered_to.is_some() {
            let bound = |t: Option<chrono::DateTime<chrono::Utc>>, incl: bool| match t {
                None => Bound::Unbounded,
                Some(t) => {
                    let term = Term::from_field_date(f.registered_at, DateTime::from_timestamp_secs(t.timestamp()));
                    if incl {
                        Bound::Included(term)
                    } else {
                        Bound::Excluded(term)
                    }
                }
            };
            filter(Box::new(RangeQuery::new(bound(q.registered_from, false), bound(q.registered_to, true))));
        }
        if let Some(demo) = q.demo {
            filter(Box::new(TermQuery::new(Term::from_field_bool(f.demo, demo), IndexRecordOption::Basic)));
        }
        Ok(Some(Box::new(BooleanQuery::new(clauses))))
    }

    /// Runs a query: the page of hits asked for, best first, the total, and a highlighter for
    /// the cases' text (the index keeps no text: the caller loads the cases anyway).
    pub fn search(&self, q: &SearchQuery) -> Result<SearchPage> {
        let searcher = self.reader.searcher();
        let inside = self.inside_of(&searcher, false)?;
        let Some(query) = self.build_query(q, &inside)? else {
            return Ok(SearchPage { hits: vec![], total: 0, highlighter: Box::new(NoHighlight) });
        };
        let limit = (q.limit as usize).max(1);
        let collector = (TopDocs::with_limit(limit).and_offset(q.offset as usize).order_by_score(), Count);
        let (top, total) = searcher.search(&*query, &collector).map_err(|e| SearchError::Index(e.to_string()))?;
        let mut hits = Vec::with_capacity(top.len());
        let mut columns: BTreeMap<u32, tantivy::columnar::Column<u64>> = BTreeMap::new();
        for (score, addr) in top {
            let col = match columns.entry(addr.segment_ord) {
                std::collections::btree_map::Entry::Occupied(e) => e.into_mut(),
                std::collections::btree_map::Entry::Vacant(e) => e.insert(
                    searcher.segment_reader(addr.segment_ord).fast_fields().u64("id").map_err(|e| SearchError::Index(e.to_string()))?,
                ),
            };
            if let Some(id) = col.first(addr.doc_id) {
                hits.push(SearchHit { case_id: CaseId(id as i64), score });
            }
        }
        let mut generators = vec![];
        for (field, (name, _)) in self.fields.text.iter().zip(TEXT_FIELDS) {
            let mut g = SnippetGenerator::create(&searcher, &*query, *field).map_err(|e| SearchError::Index(e.to_string()))?;
            g.set_max_num_chars(SNIPPET_BYTES);
            generators.push((name, g));
        }
        Ok(SearchPage { hits, total: total as u64, highlighter: Box::new(Snippets { generators }) })
    }

    pub fn status(&self) -> SearchStatus {
        SearchStatus { docs: self.num_docs(), last_seq: self.last_seq(), segmenter: format!("{:?}", self.segmenter).to_lowercase() }
    }
}

impl redress_app::search::SearchBackend for SearchIndex {
    fn search(&self, q: &SearchQuery) -> std::result::Result<SearchPage, String> {
        SearchIndex::search(self, q).map_err(|e| e.to_string())
    }

    fn status(&self) -> std::result::Result<SearchStatus, String> {
        Ok(SearchIndex::status(self))
    }
}

/// The four texts of a case's view, in the order of [`TEXT_FIELDS`].
fn view_texts<'v>(case: &'v CaseView<'_>) -> [Cow<'v, str>; 4] {
    let m = &case.matter;
    text_fields(&m.subject, &m.content, case.reply.as_ref().map(|r| (&*r.opinion, &*r.facts)), &m.location.address)
}

/// The organisations that see the case, as [`redress_app::auth::case_orgs`] gives them.
fn view_orgs(case: &CaseView<'_>) -> Vec<OrgId> {
    orgs_of(case.matter.intake_org, case.unit, &case.co_units, case.matter.location.org)
}

/// The texts of a case in the order of [`TEXT_FIELDS`]: subject, content, reply (opinion
/// and facts), address.
fn texts(case: &Case) -> [Cow<'_, str>; 4] {
    let m = &case.matter;
    text_fields(&m.subject, &m.content, case.reply.as_ref().map(|r| (&*r.opinion, &*r.facts)), &m.location.address)
}

/// The four texts in the order of [`TEXT_FIELDS`], the reply's opinion and facts joined: what
/// is indexed and what snippets are cut from.
fn text_fields<'a>(subject: &'a str, content: &'a str, reply: Option<(&str, &str)>, address: &'a str) -> [Cow<'a, str>; 4] {
    let reply = reply.map_or(Cow::Borrowed(""), |(opinion, facts)| Cow::Owned(format!("{opinion}\n{facts}")));
    [Cow::Borrowed(subject), Cow::Borrowed(content), reply, Cow::Borrowed(address)]
}

struct NoHighlight;

impl Highlighter for NoHighlight {
    fn snippets(&self, _: &Case) -> BTreeMap<&'static str, String> {
        BTreeMap::new()
    }
}

struct Snippets {
    generators: Vec<(&'static str, SnippetGenerator)>,
}

impl Highlighter for Snippets {
    fn snippets(&self, case: &Case) -> BTreeMap<&'static str, String> {
        let mut out = BTreeMap::new();
        for ((name, g), text) in self.generators.iter().zip(texts(case)) {
            if text.is_empty() {
                continue;
            }
            let s = g.snippet(&text);
            if s.is_empty() {
                continue;
            }
            out.insert(*name, render(&text, s.fragment_range(), s.highlighted()));
        }
        out
    }
}

/// The fragment tantivy chose, widened to the whole text when that is short and else by up
/// to a third of the snippet length on each side (tantivy's stops at the last word, cutting
/// off punctuation), HTML-escaped, with `<mark>` around the matched words and `…` where text
/// was left out.
fn render(text: &str, fragment: std::ops::Range<usize>, highlighted: &[std::ops::Range<usize>]) -> String {
    let floor = |mut i: usize| {
        while !text.is_char_boundary(i) {
            i -= 1;
        }
        i
    };
    let (start, end) = if text.len() <= SNIPPET_BYTES + SNIPPET_BYTES / 3 {
        (0, text.len())
    } else {
        let room = SNIPPET_BYTES.saturating_sub(fragment.len()) / 2 + SNIPPET_BYTES / 6;
        (floor(fragment.start.saturating_sub(room)), floor((fragment.end + room).min(text.len())))
    };
    let mut html = String::with_capacity((end - start) * 2);
    if start > 0 {
        html.push('…');
    }
    let mut at = start;
    let mut marks: Vec<std::ops::Range<usize>> = highlighted.iter().map(|r| r.start + fragment.start..r.end + fragment.start).collect();
    marks.sort_by_key(|r| r.start);
    for m in marks {
        if m.start < at || m.end > end {
            continue; // overlapping or outside the window
        }
        escape_into(&mut html, &text[at..m.start]);
        html.push_str("<mark>");
        escape_into(&mut html, &text[m.clone()]);
        html.push_str("</mark>");
        at = m.end;
    }
    escape_into(&mut html, &text[at..end]);
    if end < text.len() {
        html.push('…');
    }
    html
}

fn escape_into(out: &mut String, s: &str) {
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
}

/// No merges while a bulk build runs ([`Options::bulk`]); tantivy's default otherwise.
fn set_merge_policy(w: &IndexWriter, bulk: bool) {
    if bulk {
        w.set_merge_policy(Box::new(tantivy::indexer::NoMergePolicy));
    }
}

fn read_payload(index: &Index) -> Option<Payload> {
    index.load_metas().ok()?.payload.and_then(|p| serde_json::from_str(&p).ok())
}

/// Removes a tantivy index's files (only called on a directory holding `meta.json`).
fn clear_dir(dir: &Path) -> Result<()> {
    for entry in std::fs::read_dir(dir).map_err(|e| SearchError::Io(dir.to_path_buf(), e))? {
        let path = entry.map_err(|e| SearchError::Io(dir.to_path_buf(), e))?.path();
        if path.is_file() {
            std::fs::remove_file(&path).map_err(|e| SearchError::Io(path.clone(), e))?;
        }
    }
    Ok(())
}

fn regex_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 4);
    for c in s.chars() {
        if "\\.+*?()|[]{}^$#&-~\"".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use redress_domain::view::sample_cases;
    use tantivy::Document;

    use super::*;

    #[test]
    fn a_bulk_build_merges_nothing_until_it_finishes_even_after_a_clear() {
        let dir = tempfile::tempdir().unwrap();
        let policy =
            |index: &SearchIndex| format!("{:?}", index.writer.lock().unwrap().get_merge_policy());
        let bulk = SearchIndex::open_with(dir.path(), Options::bulk()).unwrap();
        assert_eq!(policy(&bulk), "NoMergePolicy");
        bulk.clear().unwrap(); // a rollback: tantivy's new writer has its default policy
        assert_eq!(policy(&bulk), "NoMergePolicy");
        drop(bulk);
        let follower = SearchIndex::open(dir.path()).unwrap();
        assert!(
            policy(&follower).starts_with("LogMergePolicy"),
            "{}",
            policy(&follower)
        );
    }

    #[test]
    fn stored_json_gives_the_same_document() {
        let dir = tempfile::tempdir().unwrap();
        let index = SearchIndex::open(dir.path()).unwrap();
        let [full, bare] = sample_cases();
        let schema = index.index.schema();
        for c in [&full, &bare] {
            let json = serde_json::to_string(c).unwrap();
            let read = CaseView::from_json(&json).unwrap();
            assert_eq!(view_orgs(&read), redress_app::auth::case_orgs(c));
            assert_eq!(
                index.document(&read).to_json(&schema),
                index.document(&CaseView::of(c)).to_json(&schema),
                "case {}",
                c.id
            );
        }
        // Both paths index the same; a broken row is an error, not a skipped case.
        index.add_new_case_json(&[serde_json::to_string(&full).unwrap()]).unwrap();
        index.add_new_cases(std::slice::from_ref(&bare)).unwrap();
        assert!(index.add_new_case_json(&["{\"id\": 9}".into()]).is_err());
        index.commit(2).unwrap();
        let hits = |text: &str| {
            let q = SearchQuery { text: text.into(), limit: 10, ..Default::default() };
            let mut v: Vec<i64> = index.search(&q).unwrap().hits.iter().map(|h| h.case_id.0).collect();
            v.sort();
            v
        };
        assert_eq!(hits("积水"), [7]);
        assert_eq!(hits("疏通"), [7], "the reply is indexed");
        assert_eq!(hits("路灯"), [8]);
    }
}
