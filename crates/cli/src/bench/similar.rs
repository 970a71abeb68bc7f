//! `redress bench similar`: the in-memory similar-case index at a given size: build time,
//! memory (accounted and RSS), lookup latency for a new case (text to signature to top 10),
//! and, on a sample, recall and speed against a brute-force exact Jaccard scan.
//!
//! Texts are composed at run time from the shared message data (`--vocab-dir`, read, never
//! copied; the same [`Vocab`] as `bench gen`): a real subject and a body stitched from real
//! sentences to 150–450 characters. A share of the cases (`--repeat-share`) repeat an earlier
//! case with small edits (a sentence dropped or replaced, words added), as repeat petitions do.
//! Texts are never all held at once: case `i`'s text is a function of the seed and `i`.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use redress_text::minhash::{self, Signature};
use redress_text::similar::{Entry, Options, Query, SimilarIndex, Weights};
use serde::Serialize;

use super::gen::Vocab;

#[derive(clap::Args, Debug)]
pub struct SimilarArgs {
    /// 索引中的事项数
    #[arg(long, default_value_t = 1_000_000)]
    pub cases: usize,
    /// 查询次数（新事项）
    #[arg(long, default_value_t = 2000)]
    pub queries: usize,
    /// 与暴力扫描（精确 Jaccard）对比的样本事项数（0：不对比）
    #[arg(long, default_value_t = 100_000)]
    pub sample: usize,
    /// 暴力扫描对比的查询次数
    #[arg(long, default_value_t = 200)]
    pub sample_queries: usize,
    /// 重复件（改写自此前某件）所占比例
    #[arg(long, default_value_t = 0.05)]
    pub repeat_share: f64,
    /// 共享数据目录（messages-*.csv），用于词汇
    #[arg(long, default_value = "../shared/data")]
    pub vocab_dir: PathBuf,
    #[arg(long, default_value_t = 20261123)]
    pub seed: u64,
    /// 结果另存为 JSON
    #[arg(long, value_name = "FILE")]
    pub json: Option<PathBuf>,
}

/// Places, towns, categories, offices and units of a large county, and the span of days.
const PLACES: u32 = 1200;
const CATEGORIES: u32 = 80;
const DAYS: i32 = 5 * 365;
const FIRST_DAY: i32 = 19_000; // 2022-01-08

struct Gen<'a> {
    v: &'a Vocab,
    seed: u64,
    repeat_share: f64,
}

/// A case as generated: its text and facts.
struct Synth {
    text: String,
    place: u32,
    category: u32,
    day: i32,
    unit: u32,
}

impl Gen<'_> {
    fn rng(&self, i: usize, salt: u64) -> StdRng {
        StdRng::seed_from_u64(minhash::mix64(self.seed ^ salt ^ (i as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15)))
    }

    fn fresh_text(&self, rng: &mut StdRng) -> String {
        let v = self.v;
        let mut s = v.subjects[rng.gen_range(0..v.subjects.len())].clone();
        s.push('\n');
        let target = rng.gen_range(150..450);
        let mut n = 0;
        while n < target {
            let sentence = &v.sentences[rng.gen_range(0..v.sentences.len())];
            n += sentence.chars().count();
            s.push_str(sentence);
        }
        s
    }

    /// The same matter told again: a sentence dropped or replaced, a few words added.
    fn edit(&self, text: &str, rng: &mut StdRng) -> String {
        let mut parts: Vec<String> = text.split_inclusive(['。', '！', '？', '\n']).map(str::to_string).collect();
        if parts.len() > 3 && rng.gen_bool(0.5) {
            let i = rng.gen_range(1..parts.len());
            parts.remove(i);
        }
        if parts.len() > 3 && rng.gen_bool(0.5) {
            let i = rng.gen_range(1..parts.len());
            parts[i] = self.v.sentences[rng.gen_range(0..self.v.sentences.len())].clone();
        }
        const ADDED: &[&str] = &["再次反映！", "此事已反映多次，至今没有答复。", "请领导高度重视。", "恳请尽快解决！"];
        parts.push(ADDED[rng.gen_range(0..ADDED.len())].to_string());
        parts.concat()
    }

    /// Case `i` (cases are in registration order: day grows with `i`).
    fn case(&self, i: usize, n: usize) -> Synth {
        let mut rng = self.rng(i, 1);
        let day = FIRST_DAY + (i as i64 * DAYS as i64 / n.max(1) as i64) as i32;
        let repeats = (i > 100 && rng.gen_bool(self.repeat_share)).then(|| {
            // Mostly a recent case, sometimes an old one.
            let back = if rng.gen_bool(0.8) { rng.gen_range(1..(n / 100).clamp(2, 20_000)) } else { rng.gen_range(1..i) };
            i.saturating_sub(back)
        });
        match repeats {
            Some(j) => {
                let orig = self.case(j, n);
                let text = self.edit(&orig.text, &mut rng);
                Synth { text, place: orig.place, category: orig.category, day, unit: orig.unit }
            }
            None => {
                // Places skewed: a few busy communities, many quiet villages.
                let r: f64 = rng.gen();
                let place = 1 + (r * r * PLACES as f64) as u32;
                Synth {
                    text: self.fresh_text(&mut rng),
                    place,
                    category: rng.gen_range(0..CATEGORIES),
                    day,
                    unit: 5000 + rng.gen_range(0..100),
                }
            }
        }
    }

    fn entry(&self, id: usize, s: &Synth) -> Entry {
        let shingles = minhash::shingles(&s.text);
        Entry {
            case_id: id as u64,
            signature: Signature::of_shingles(&shingles).compact(),
            empty: shingles.is_empty(),
            day: s.day,
            place: Some(s.place),
            area: Some(10_000 + s.place / 10),
            category: Some(format!("{:02}.{:02}", 1 + s.category / 8, 1 + s.category % 8)),
            intake: 1 + (s.place % 30),
            unit: Some(s.unit),
            co_units: vec![],
            merged: false,
            links: vec![],
        }
    }
}

/// CPU model and count, memory, and the load average when the run started.
fn machine() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with("model name")).and_then(|l| l.split(':').nth(1)).map(|m| m.trim().to_string()))
        .unwrap_or_default();
    let mem_gib = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with("MemTotal:")).and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok()))
        .map_or(0.0, |kb| kb / 1048576.0);
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    let cpus = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0);
    format!("{cpus} × {cpu}, {mem_gib:.0} GiB RAM, loadavg at start {}", load.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
}

fn rss_bytes() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|kb| kb.parse::<u64>().ok())
        .map_or(0, |kb| kb * 1024)
}

fn ratio(a: usize, b: usize) -> f64 {
    if b == 0 {
        1.0
    } else {
        a as f64 / b as f64
    }
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len()) - 1;
    sorted[i].as_secs_f64() * 1000.0
}

#[derive(Debug, Default, Serialize)]
struct Report {
    date: String,
    machine: String,
    command: String,
    vocab_from_data: bool,
    cases: usize,
    repeat_share: f64,
    signature_s: f64,
    insert_s: f64,
    finish_bulk_s: f64,
    build_total_s: f64,
    index_mib_accounted: f64,
    rss_mib_before: f64,
    rss_mib_after: f64,
    rss_mib_delta: f64,
    clusters_2plus: usize,
    cases_in_clusters: usize,
    queries: usize,
    lookup_ms_p50: f64,
    lookup_ms_p90: f64,
    lookup_ms_p99: f64,
    lookup_ms_max: f64,
    lookup_filtered_ms_p99: f64,
    repeat_queries_found_first: f64,
    live_insert_us_p50: f64,
    live_insert_us_p99: f64,
    rebuild_postings_s: f64,
    sample: Option<SampleReport>,
}

#[derive(Debug, Default, Serialize)]
struct SampleReport {
    cases: usize,
    queries: usize,
    brute_force_ms_p50: f64,
    brute_force_ms_p99: f64,
    index_ms_p50: f64,
    index_ms_p99: f64,
    speedup_p50: f64,
    /// Pairs with exact Jaccard ≥ 0.3 the scan finds, and the share the index (text only) finds
    /// and scores at 0.15 or more.
    true_pairs: usize,
    recall: f64,
    /// Of the scan's ten best (J ≥ 0.3), the share among the index's ten best (estimates are
    /// noisy, so near-ties swap places).
    top10_overlap: f64,
    /// The same for pairs with J ≥ 0.5 and with 0.3 ≤ J < 0.5.
    pairs_j_ge_0_5: usize,
    recall_j_ge_0_5: f64,
    pairs_j_0_3_to_0_5: usize,
    recall_j_0_3_to_0_5: f64,
}

pub fn run(a: SimilarArgs) -> anyhow::Result<()> {
    let v = Vocab::load(&a.vocab_dir);
    let g = Gen { v: &v, seed: a.seed, repeat_share: a.repeat_share };
    let threads = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
    let mut r = Report {
        date: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        machine: machine(),
        command: std::env::args().collect::<Vec<_>>().join(" "),
        vocab_from_data: v.from_data,
        cases: a.cases,
        repeat_share: a.repeat_share,
        ..Default::default()
    };
    eprintln!("词汇：{} 个标题、{} 个句子（{}）", v.subjects.len(), v.sentences.len(), if v.from_data { "来自共享数据" } else { "内置模板" });

    // Build: signatures on all cores (as the server's loader does per chunk), then insert in id
    // order and cluster.
    let rss0 = rss_bytes();
    let started = Instant::now();
    let mut ix = SimilarIndex::new(Options::default());
    let chunk = 50_000;
    let mut sig_time = Duration::ZERO;
    let mut insert_time = Duration::ZERO;
    for start in (0..a.cases).step_by(chunk) {
        let end = (start + chunk).min(a.cases);
        let t = Instant::now();
        let per = (end - start).div_ceil(threads);
        let entries: Vec<Entry> = std::thread::scope(|s| {
            let hs: Vec<_> = (start..end)
                .step_by(per.max(1))
                .map(|lo| {
                    let g = &g;
                    s.spawn(move || (lo..(lo + per).min(end)).map(|i| g.entry(i + 1, &g.case(i, a.cases))).collect::<Vec<_>>())
                })
                .collect();
            hs.into_iter().flat_map(|h| h.join().expect("generator thread")).collect()
        });
        sig_time += t.elapsed();
        let t = Instant::now();
        for e in entries {
            ix.insert(e);
        }
        insert_time += t.elapsed();
        eprint!("\r建索引：{end}/{} 件", a.cases);
    }
    eprintln!();
    let t = Instant::now();
    ix.finish_bulk();
    r.finish_bulk_s = t.elapsed().as_secs_f64();
    r.signature_s = sig_time.as_secs_f64();
    r.insert_s = insert_time.as_secs_f64();
    r.build_total_s = started.elapsed().as_secs_f64();
    let rss1 = rss_bytes();
    r.index_mib_accounted = ix.memory_bytes() as f64 / 1048576.0;
    r.rss_mib_before = rss0 as f64 / 1048576.0;
    r.rss_mib_after = rss1 as f64 / 1048576.0;
    r.rss_mib_delta = (rss1.saturating_sub(rss0)) as f64 / 1048576.0;
    let clusters = ix.clusters(2, i32::MIN, usize::MAX, |_| true);
    r.clusters_2plus = clusters.len();
    r.cases_in_clusters = clusters.iter().map(|c| c.cases.len()).sum();
    drop(clusters);
    eprintln!(
        "建索引 {:.1} s（签名 {:.1} s，插入 {:.1} s，LSH 与聚类 {:.1} s）；索引 {:.0} MiB，RSS 增加 {:.0} MiB",
        r.build_total_s, r.signature_s, r.insert_s, r.finish_bulk_s, r.index_mib_accounted, r.rss_mib_delta
    );

    // Lookups: a new case's text → signature → top 10, half of them repeats of an existing case.
    let mut rng = StdRng::seed_from_u64(a.seed ^ 0xABCD);
    let mut times = Vec::with_capacity(a.queries);
    let mut filtered = Vec::with_capacity(a.queries);
    let (mut repeat_q, mut repeat_hit) = (0usize, 0usize);
    let last_day = FIRST_DAY + DAYS;
    for q in 0..a.queries {
        let (text, place, category, want) = if q % 2 == 0 {
            let j = rng.gen_range(0..a.cases);
            let orig = g.case(j, a.cases);
            (g.edit(&orig.text, &mut rng), orig.place, orig.category, Some(j + 1))
        } else {
            let s = g.case(a.cases + q, a.cases + a.queries);
            (s.text, s.place, s.category, None)
        };
        let cat = format!("{:02}.{:02}", 1 + category / 8, 1 + category % 8);
        let t = Instant::now();
        let query = Query { signature: Signature::of_text(&text).compact(), day: last_day, place: Some(place), area: Some(10_000 + place / 10), category: Some(&cat), exclude: None };
        let found = ix.query(&query, 10, &(), |_| true);
        times.push(t.elapsed());
        if let Some(j) = want {
            repeat_q += 1;
            // The original, or a case of its cluster (an earlier repeat of the same matter).
            if found.first().is_some_and(|f| f.case_id == j as u64 || ix.same_cluster(f.case_id, j as u64)) {
                repeat_hit += 1;
            }
        }
        // A unit's handler: only cases routed to one unit are visible.
        let unit = 5000 + (q as u32 % 100);
        let t = Instant::now();
        let _ = ix.query(&query, 10, &(), |f| f.unit == Some(unit));
        filtered.push(t.elapsed());
    }
    times.sort();
    filtered.sort();
    r.queries = a.queries;
    r.lookup_ms_p50 = percentile(&times, 0.50);
    r.lookup_ms_p90 = percentile(&times, 0.90);
    r.lookup_ms_p99 = percentile(&times, 0.99);
    r.lookup_ms_max = percentile(&times, 1.0);
    r.lookup_filtered_ms_p99 = percentile(&filtered, 0.99);
    r.repeat_queries_found_first = if repeat_q == 0 { 0.0 } else { repeat_hit as f64 / repeat_q as f64 };

    // Live intake: a new case's signature and its insert, which clusters it at once (what the
    // server's follower does per case), one at a time; then one rebuild of the postings.
    let live = a.queries.max(1);
    let mut per_case = Vec::with_capacity(live);
    for q in 0..live {
        let s = g.case(a.cases + q, a.cases + live);
        let t = Instant::now();
        let mut e = g.entry(a.cases + q + 1, &s);
        e.day = last_day;
        ix.insert(e);
        per_case.push(t.elapsed());
    }
    per_case.sort();
    r.live_insert_us_p50 = percentile(&per_case, 0.5) * 1000.0;
    r.live_insert_us_p99 = percentile(&per_case, 0.99) * 1000.0;
    let t = Instant::now();
    let postings = ix.build_postings();
    r.rebuild_postings_s = t.elapsed().as_secs_f64();
    ix.install_postings(postings);
    eprintln!("新事项入索引（签名、插入并聚类）：p50 {:.0} µs，p99 {:.0} µs；重建 LSH 倒排 {:.2} s（读锁下进行，查询不停）", r.live_insert_us_p50, r.live_insert_us_p99, r.rebuild_postings_s);
    eprintln!(
        "查询 {} 次：p50 {:.2} ms，p90 {:.2} ms，p99 {:.2} ms，最长 {:.2} ms（限本单位可见：p99 {:.2} ms）；重复件查询首位命中 {:.1}%",
        a.queries, r.lookup_ms_p50, r.lookup_ms_p90, r.lookup_ms_p99, r.lookup_ms_max, r.lookup_filtered_ms_p99, 100.0 * r.repeat_queries_found_first
    );
    drop(ix);

    if a.sample > 0 {
        r.sample = Some(sample_baseline(&g, &a));
    }
    let text = serde_json::to_string_pretty(&r)?;
    println!("{text}");
    if let Some(path) = &a.json {
        std::fs::write(path, &text)?;
    }
    Ok(())
}

/// On `a.sample` cases: the index (text-only weights) against an exact Jaccard scan of every
/// case, for the same queries.
fn sample_baseline(g: &Gen, a: &SimilarArgs) -> SampleReport {
    let n = a.sample;
    let cases: Vec<Synth> = (0..n).map(|i| g.case(i, n)).collect();
    let shingles: Vec<Vec<u64>> = cases.iter().map(|c| minhash::shingles(&c.text)).collect();
    let text_only = Options { weights: Weights { text: 1.0, same_place: 0.0, same_area: 0.0, same_category: 0.0, same_category_group: 0.0, within_7_days: 0.0, within_30_days: 0.0 }, min_score: 0.15, ..Options::default() };
    let mut ix = SimilarIndex::new(text_only);
    for (i, c) in cases.iter().enumerate() {
        ix.insert(g.entry(i + 1, c));
    }
    ix.finish_bulk();
    let mut rng = StdRng::seed_from_u64(a.seed ^ 0x5A5A);
    let (mut brute, mut fast) = (vec![], vec![]);
    let (mut truth, mut found) = (0usize, 0usize);
    let (mut hi_truth, mut hi_found) = (0usize, 0usize);
    let (mut top10_truth, mut top10_same) = (0usize, 0usize);
    for _ in 0..a.sample_queries {
        let j = rng.gen_range(0..n);
        let text = g.edit(&cases[j].text, &mut rng);
        let t = Instant::now();
        let qs = minhash::shingles(&text);
        let mut best: Vec<(f64, usize)> = shingles.iter().enumerate().map(|(i, s)| (minhash::jaccard(&qs, s), i)).filter(|(jac, _)| *jac >= 0.3).collect();
        best.sort_by(|x, y| y.0.total_cmp(&x.0));
        brute.push(t.elapsed());
        let t = Instant::now();
        let q = Query { signature: Signature::of_shingles(&qs).compact(), day: FIRST_DAY + DAYS, place: None, area: None, category: None, exclude: None };
        let top10 = ix.query(&q, 10, &(), |_| true);
        fast.push(t.elapsed());
        // Every case the index scores at 0.15 or more, to tell finding from ranking.
        let got = ix.query(&q, usize::MAX, &(), |_| true);
        let want: Vec<usize> = best.iter().take(10).map(|(_, i)| *i).collect();
        top10_truth += want.len();
        top10_same += want.iter().filter(|i| top10.iter().any(|s| s.case_id == **i as u64 + 1)).count();
        for (jac, i) in &best {
            let hit = got.iter().any(|s| s.case_id == *i as u64 + 1);
            truth += 1;
            found += usize::from(hit);
            if *jac >= 0.5 {
                hi_truth += 1;
                hi_found += usize::from(hit);
            }
        }
    }
    brute.sort();
    fast.sort();
    let r = SampleReport {
        cases: n,
        queries: a.sample_queries,
        brute_force_ms_p50: percentile(&brute, 0.5),
        brute_force_ms_p99: percentile(&brute, 0.99),
        index_ms_p50: percentile(&fast, 0.5),
        index_ms_p99: percentile(&fast, 0.99),
        speedup_p50: percentile(&brute, 0.5) / percentile(&fast, 0.5).max(1e-9),
        true_pairs: truth,
        recall: ratio(found, truth),
        top10_overlap: ratio(top10_same, top10_truth),
        pairs_j_ge_0_5: hi_truth,
        recall_j_ge_0_5: ratio(hi_found, hi_truth),
        pairs_j_0_3_to_0_5: truth - hi_truth,
        recall_j_0_3_to_0_5: ratio(found - hi_found, truth - hi_truth),
    };
    eprintln!(
        "样本 {} 件对比：暴力扫描 p50 {:.1} ms，索引 p50 {:.3} ms（快 {:.0} 倍）；Jaccard≥0.3 的 {} 对中索引找到 {:.1}%（J≥0.5：{:.1}%，0.3≤J<0.5：{:.1}%），前10名重合 {:.1}%",
        n, r.brute_force_ms_p50, r.index_ms_p50, r.speedup_p50, r.true_pairs, 100.0 * r.recall, 100.0 * r.recall_j_ge_0_5, 100.0 * r.recall_j_0_3_to_0_5, 100.0 * r.top10_overlap
    );
    r
}
