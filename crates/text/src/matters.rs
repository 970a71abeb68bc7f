//! Matters on a public message board (留言板): messages that raise the same matter grouped
//! together, and the matters that are hot now, for an office's weekly analysis (研判).
//!
//! - **Messages** ([`read_messages`]): CSV with `id,user,subject,time,content,against,support`.
//! - **Places** ([`extract_places`]): districts like "A3区" and named places ending in 小区, 路,
//!   街道, 新城, 苑, 村 … found by a simple rule on the text (no gazetteer).
//! - **Matters** ([`group`]): TF-IDF vectors (jieba words and character 2–3-grams of the subject,
//!   counted twice, and the start of the content); two messages are the same matter when their
//!   cosine similarity is high, or moderately high and they name the same place, and they were
//!   left within `max_days_apart` of each other; matters are the connected groups.
//! - **Hot matters** ([`hot`]): per matter the recent window against its own history with the
//!   [`SpikeRule`], and a heat that adds up its messages with a weight halving every two windows into
//!   the past and growing with the support votes.

use std::collections::HashMap;
use std::path::Path;

use crate::cluster::{by_frequency, UnionFind};
use crate::features::{FeatureOptions, SparseVec, Vectorizer};
use crate::hotspot::{Spike, SpikeRule};
use crate::tokenize::{words, Doc, InputKind};
use crate::Error;

/// One message of the board.
#[derive(Debug, Clone, PartialEq)]
pub struct Message {
    pub id: String,
    pub user: String,
    pub subject: String,
    pub content: String,
    /// The time as written in the file.
    pub time: String,
    /// Its date, days since 1970-01-01.
    pub day: i32,
    pub against: u32,
    pub support: u32,
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
pub fn days_from_civil(y: i32, m: u32, d: u32) -> i32 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m as i32 + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d as i32 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The date (year, month, day) of a day number.
pub fn civil_from_days(z: i32) -> (i32, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i32::from(m <= 2), m, d)
}

/// "2019-08-19".
pub fn format_day(day: i32) -> String {
    let (y, m, d) = civil_from_days(day);
    format!("{y:04}-{m:02}-{d:02}")
}

/// The date of "2019/2/28 11:25:05", "2017-06-08 17:31:20", "2019年2月28日" or "2019-02-28".
pub fn parse_day(s: &str) -> Option<i32> {
    let s = s.trim();
    let date = s.split([' ', 'T']).next()?;
    let parts: Vec<&str> = date.split(['/', '-', '.', '年', '月', '日']).filter(|p| !p.is_empty()).collect();
    let [y, m, d] = parts[..] else { return None };
    let (y, m, d): (i32, u32, u32) = (y.parse().ok()?, m.parse().ok()?, d.parse().ok()?);
    if !(1900..=2200).contains(&y) || !(1..=12).contains(&m) || !(1..=31).contains(&d) {
        return None;
    }
    let day = days_from_civil(y, m, d);
    (civil_from_days(day) == (y, m, d)).then_some(day)
}

fn column(headers: &csv::StringRecord, name: &str) -> Option<usize> {
    headers.iter().position(|h| h.trim_start_matches('\u{feff}').trim().eq_ignore_ascii_case(name))
}

/// Reads a message board export with columns `id,user,subject,time,content,against,support`
/// (`user`, `against` and `support` may be missing).
pub fn read_messages(path: impl AsRef<Path>) -> Result<Vec<Message>, Error> {
    let path = path.as_ref();
    let csv_error = |message: String| Error::Csv { path: path.to_owned(), message };
    let mut reader = csv::ReaderBuilder::new().flexible(true).from_path(path).map_err(|e| match e.into_kind() {
        csv::ErrorKind::Io(io) => Error::io(path, io),
        other => csv_error(format!("{other:?}")),
    })?;
    let headers = reader.headers().map_err(|e| csv_error(e.to_string()))?.clone();
    let need = |name: &str| column(&headers, name).ok_or_else(|| csv_error(format!("缺少 {name} 列（需要 id,user,subject,time,content,against,support）")));
    let (id, subject, time, content) = (need("id")?, need("subject")?, need("time")?, need("content")?);
    let (user, against, support) = (column(&headers, "user"), column(&headers, "against"), column(&headers, "support"));
    let mut out = vec![];
    for (i, record) in reader.records().enumerate() {
        let line = i + 2;
        let record = record.map_err(|e| csv_error(format!("第 {line} 行：{e}")))?;
        let field = |c: usize| record.get(c).unwrap_or("").trim().to_string();
        let count = |c: Option<usize>| c.and_then(|c| record.get(c)).and_then(|v| v.trim().parse::<u32>().ok()).unwrap_or(0);
        let t = field(time);
        let day = parse_day(&t).ok_or_else(|| csv_error(format!("第 {line} 行：时间“{t}”无法识别")))?;
        out.push(Message {
            id: field(id),
            user: user.map(field).unwrap_or_default(),
            subject: field(subject),
            content: field(content),
            time: t,
            day,
            against: count(against),
            support: count(support),
        });
    }
    Ok(out)
}

/// Places named in a text.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Places {
    /// Districts and counties: "A3区", "A7县", "西湖区".
    pub districts: Vec<String>,
    /// Named places: "丽发新城", "万家丽南路", "暮云街道", "金鼎村".
    pub places: Vec<String>,
}

/// Endings of place names, longest first where one ends another.
const PLACE_SUFFIXES: &[&str] = &[
    "小区", "花园", "新城", "家园", "公寓", "广场", "大厦", "雅苑", "华庭", "山庄", "大院", "商城", "国际", "社区",
    "街道", "大道", "中学", "小学", "幼儿园", "学校", "医院", "市场", "公园", "苑", "府", "湾", "村", "镇", "乡",
    "路", "街", "城",
];

/// Characters that never belong to a place name: they end the name to their left.
const BREAK_CHARS: &str = "的在和与及了是对于把被从到向我你他她们有个这那为就都也还又很太请求问关于反映投诉举报建议咨询希望要求侧原栋\
    市区县省处附近旁边周边内外里前后上下该此各每其等、，。！？；：（）()“”\"' ";

/// Names that end like a place but name none in particular.
const GENERIC: &[&str] = &[
    "小区", "新城", "道路", "马路", "公路", "街道", "社区", "农村", "城市", "县城", "进城", "全城", "本村", "该村",
    "村村", "乡镇", "城镇", "全镇", "本镇", "老小区", "居民小区", "商品房小区", "学校", "中学", "小学", "医院", "市场",
    "公园", "广场", "花园", "家园", "门路", "出路", "思路", "线路", "路路", "铁路", "高速公路", "城乡", "一路", "沿路",
    "修路", "走路", "过路", "国际", "大道", "当街", "上街", "满街", "沿街", "临街", "学府", "官府", "开发区",
    "农贸市场", "菜市场", "人民医院", "幼儿园", "卫生院", "公交线路", "断头路", "安置小区", "住宅小区", "居民住宅小区",
];

/// Words inside a would-be name that show it began later: the name starts after them.
const BREAK_WORDS: &[&str] = &[
    "加快", "开展", "建设", "提升", "打造", "影响", "导致", "可以", "什么", "同时", "以来", "增强", "减轻", "倡导",
    "全面", "不能", "不如", "一些", "一条", "一段", "未经", "严重", "违规", "违法", "非法", "通过", "经过", "购买", "破坏",
    "危害", "侵占", "联系", "大家", "尝试",
    "买", "去", "到", "让", "给", "被", "走", "住", "自", "而", "且", "但", "或", "即", "已", "将", "再", "才",
];

/// Endings that are the start of a longer common word rather than the end of a name:
/// 城市, 村民, 镇政府, 路线 ….
fn continues_word(suffix: &str, next: Option<char>) -> bool {
    let Some(c) = next else { return false };
    let followers = match suffix {
        "城" => "市管乡区镇建际",
        "村" => "民委干级集",
        "镇" => "政级",
        "乡" => "镇村政级",
        "路" => "线费灯面边段况子径由",
        "街" => "道头边面",
        "府" => "",
        "湾" => "区",
        "国际" => "金融消费化标合",
        "市场" => "监化主经",
        _ => "",
    };
    followers.contains(c)
}

fn is_han(c: char) -> bool {
    ('\u{4E00}'..='\u{9FFF}').contains(&c)
}

/// Districts ("A3区": a capital letter, digits, then 区/县/市) and named places (up to six
/// characters before one of the place endings, cut at words that cannot be part of a name).
pub fn extract_places(text: &str) -> Places {
    let chars: Vec<char> = text.chars().collect();
    let mut out = Places::default();
    let push = |v: &mut Vec<String>, s: String| {
        if !v.contains(&s) {
            v.push(s);
        }
    };
    // Districts.
    let mut i = 0;
    while i < chars.len() {
        if chars[i].is_ascii_uppercase() {
            let mut j = i + 1;
            while j < chars.len() && chars[j].is_ascii_digit() {
                j += 1;
            }
            if j > i + 1 && j < chars.len() && matches!(chars[j], '区' | '县') {
                push(&mut out.districts, chars[i..=j].iter().collect());
                i = j + 1;
                continue;
            }
        }
        i += 1;
    }
    // Named places.
    let mut end_taken = 0; // do not report a name inside a longer one just found
    let mut i = 0;
    while i < chars.len() {
        let Some(suffix) = PLACE_SUFFIXES.iter().find(|s| {
            let s: Vec<char> = s.chars().collect();
            chars[i..].starts_with(&s)
        }) else {
            i += 1;
            continue;
        };
        let slen = suffix.chars().count();
        let end = i + slen;
        // Walk left over name characters.
        let mut start = i;
        while start > end_taken && i - start < 6 {
            let c = chars[start - 1];
            let name_char = is_han(c) || c.is_ascii_alphanumeric();
            if !name_char || BREAK_CHARS.contains(c) {
                break;
            }
            // "A3区" or "A市" before the name belongs to the district, not the name.
            if c.is_ascii_uppercase() || c.is_ascii_digit() {
                break;
            }
            start -= 1;
        }
        // Cut after the last word that cannot be inside a name.
        let prefix: String = chars[start..i].iter().collect();
        let cut = BREAK_WORDS.iter().filter_map(|w| prefix.rfind(w).map(|at| at + w.len())).max().unwrap_or(0);
        let start = start + prefix[..cut].chars().count();
        let name: String = chars[start..end].iter().collect();
        let generic = GENERIC.contains(&name.as_str())
            || name.ends_with("政府")
            || continues_word(suffix, chars.get(end).copied())
            || GENERIC.iter().any(|g| name.ends_with(g) && name.chars().count() <= g.chars().count() + 1);
        // A name needs two characters before its ending.
        if i - start >= 2 && !generic {
            push(&mut out.places, name);
            end_taken = end;
        }
        i = end;
    }
    out
}

/// How messages are grouped into matters.
#[derive(Debug, Clone, PartialEq)]
pub struct MatterOptions {
    /// Cosine similarity at or above which two messages are the same matter.
    pub similar: f32,
    /// A lower similarity that suffices when they name the same place.
    pub similar_with_place: f32,
    /// Similarity of the subjects alone at or above which two messages are the same matter
    /// (short titles about one case or company, with different letters under them).
    pub similar_subject: f32,
    /// Messages further apart than this are never linked directly.
    pub max_days_apart: u32,
    /// Characters of the content used (the start says what the matter is).
    pub content_chars: usize,
    /// Features shared by more messages than this are too common to suggest a pair (the
    /// similarity itself still counts them).
    pub max_posting: usize,
    pub threads: usize,
}

impl Default for MatterOptions {
    fn default() -> Self {
        MatterOptions {
            similar: 0.5,
            similar_with_place: 0.3,
            similar_subject: 0.6,
            max_days_apart: 120,
            content_chars: 300,
            max_posting: 60,
            threads: std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1),
        }
    }
}

/// Messages raising the same matter.
#[derive(Debug, Clone, PartialEq)]
pub struct Matter {
    /// Indices into the messages, oldest first.
    pub messages: Vec<usize>,
    /// The same, most typical first (closest to the matter's centroid).
    pub typical: Vec<usize>,
    /// Named places and districts with the number of messages naming them, most frequent first.
    pub places: Vec<(String, u32)>,
    pub districts: Vec<(String, u32)>,
}

fn cosine(a: &SparseVec, b: &SparseVec) -> f32 {
    let (mut i, mut j, mut dot) = (0, 0, 0.0);
    while i < a.len() && j < b.len() {
        match a[i].0.cmp(&b[j].0) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                dot += a[i].1 * b[j].1;
                i += 1;
                j += 1;
            }
        }
    }
    dot
}

fn text_for_grouping(m: &Message, content_chars: usize) -> String {
    let content: String = m.content.chars().take(content_chars).collect();
    format!("{}\n{}\n{}", m.subject, m.subject, content)
}

/// Groups messages into matters; every message is in exactly one (possibly alone).
pub fn group(messages: &[Message], opts: &MatterOptions) -> Vec<Matter> {
    let n = messages.len();
    let threads = opts.threads.max(1);
    let chunk = n.div_ceil(threads).max(1);
    // Words (jieba) and places, in parallel.
    let prepared: Vec<(Doc, Doc, Places)> = std::thread::scope(|s| {
        let handles: Vec<_> = messages
            .chunks(chunk)
            .map(|part| {
                s.spawn(move || {
                    part.iter()
                        .map(|m| {
                            let text = text_for_grouping(m, opts.content_chars);
                            let places = extract_places(&format!("{}\n{}", m.subject, m.content));
                            let subject = Doc::from_words(&words(&m.subject, InputKind::Raw));
                            (Doc::from_words(&words(&text, InputKind::Raw)), subject, places)
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles.into_iter().flat_map(|h| h.join().expect("worker thread")).collect()
    });
    let docs: Vec<&Doc> = prepared.iter().map(|(d, _, _)| d).collect();
    let features = FeatureOptions { word_ngrams: (1, 1), char_ngrams: Some((2, 3)), min_df: 2, char_weight: 1.0 };
    let vectorizer = Vectorizer::fit(&docs, &features, threads);
    let vectors: Vec<SparseVec> = docs.iter().map(|d| vectorizer.transform(d)).collect();
    let subjects: Vec<SparseVec> = prepared.iter().map(|(_, s, _)| vectorizer.transform(s)).collect();
    // Inverted index over features rare enough to propose pairs.
    let mut postings: Vec<Vec<u32>> = vec![vec![]; vectorizer.len()];
    for (i, v) in vectors.iter().enumerate() {
        for &(f, _) in v {
            postings[f as usize].push(i as u32);
        }
    }
    let places: Vec<&Vec<String>> = prepared.iter().map(|(_, _, p)| &p.places).collect();
    let pairs: Vec<(u32, u32)> = std::thread::scope(|s| {
        let (vectors, subjects, postings, places) = (&vectors, &subjects, &postings, &places);
        let handles: Vec<_> = (0..n)
            .step_by(chunk)
            .map(|start| {
                s.spawn(move || {
                    let mut out = vec![];
                    let mut seen = vec![u32::MAX; n];
                    for i in start..(start + chunk).min(n) {
                        for &(f, _) in &vectors[i] {
                            let p = &postings[f as usize];
                            if p.len() > opts.max_posting {
                                continue;
                            }
                            for &j in p {
                                let j = j as usize;
                                if j >= i || seen[j] == i as u32 {
                                    continue;
                                }
                                seen[j] = i as u32;
                                if messages[i].day.abs_diff(messages[j].day) > opts.max_days_apart {
                                    continue;
                                }
                                let c = cosine(&vectors[i], &vectors[j]);
                                let same_place = c >= opts.similar_with_place && places[i].iter().any(|p| places[j].contains(p));
                                if c >= opts.similar || same_place || cosine(&subjects[i], &subjects[j]) >= opts.similar_subject {
                                    out.push((i as u32, j as u32));
                                }
                            }
                        }
                    }
                    out
                })
            })
            .collect();
        handles.into_iter().flat_map(|h| h.join().expect("worker thread")).collect()
    });
    let mut uf = UnionFind::with_len(n);
    for (a, b) in pairs {
        uf.union(a, b);
    }
    let mut out = vec![];
    for root in 0..n as u32 {
        if !uf.is_root(root) {
            continue;
        }
        let mut members: Vec<usize> = uf.members(root).map(|m| m as usize).collect();
        members.sort_by_key(|&m| (messages[m].day, m));
        // Centroid and closeness to it.
        let mut centroid: HashMap<u32, f32> = HashMap::new();
        for &m in &members {
            for &(f, v) in &vectors[m] {
                *centroid.entry(f).or_default() += v;
            }
        }
        let mut typical = members.clone();
        let closeness = |m: usize| vectors[m].iter().map(|(f, v)| v * centroid.get(f).copied().unwrap_or(0.0)).sum::<f32>();
        typical.sort_by(|&a, &b| closeness(b).total_cmp(&closeness(a)).then(a.cmp(&b)));
        let places = by_frequency(members.iter().flat_map(|&m| prepared[m].2.places.iter().cloned()));
        let districts = by_frequency(members.iter().flat_map(|&m| prepared[m].2.districts.iter().cloned()));
        out.push(Matter { messages: members, typical, places, districts });
    }
    out
}

/// A matter ranked for the weekly analysis.
#[derive(Debug, Clone, PartialEq)]
pub struct HotMatter {
    pub matter: Matter,
    /// The subject of its most typical message.
    pub title: String,
    pub first_day: i32,
    pub last_day: i32,
    /// Messages up to the analysis day, and how many different people left them (0 when the
    /// export does not say who).
    pub messages: usize,
    pub users: usize,
    pub support: u64,
    pub against: u64,
    /// The recent window against the matter's own history.
    pub spike: Spike,
    pub heat: f64,
    /// Two or three messages to read: the most typical, then the most supported.
    pub representative: Vec<usize>,
    /// Why it is hot, in Chinese.
    pub why: String,
}

/// The `top` hottest matters on `as_of` (a day number): matters with a message in the recent
/// window or the earlier windows of `rule`, ranked by heat = Σ over their messages in that span
/// of 0.5^(age / two windows) × (1 + ln(1 + support)), plus the spike score of the recent window when
/// the rule flags it. Messages after `as_of` are ignored.
pub fn hot(messages: &[Message], matters: &[Matter], as_of: i32, rule: &SpikeRule, top: usize) -> Vec<HotMatter> {
    let w = rule.window_days.max(1) as f64;
    let span = rule.window_days as i32 * (rule.history_windows as i32 + 1);
    let mut ranked: Vec<HotMatter> = vec![];
    for matter in matters {
        let upto: Vec<usize> = matter.messages.iter().copied().filter(|&m| messages[m].day <= as_of).collect();
        let Some(&last) = upto.last() else { continue };
        if as_of - messages[last].day >= span {
            continue;
        }
        let spike = rule.test_days(upto.iter().map(|&m| messages[m].day), as_of);
        let mut heat: f64 = upto
            .iter()
            .filter(|&&m| as_of - messages[m].day < span)
            .map(|&m| 0.5f64.powf((as_of - messages[m].day) as f64 / (2.0 * w)) * (1.0 + (1.0 + messages[m].support as f64).ln()))
            .sum();
        if spike.flagged {
            heat += spike.score;
        }
        let support: u64 = upto.iter().map(|&m| messages[m].support as u64).sum();
        let against: u64 = upto.iter().map(|&m| messages[m].against as u64).sum();
        let mut users: Vec<&str> = upto.iter().map(|&m| messages[m].user.as_str()).filter(|u| !u.is_empty()).collect();
        users.sort_unstable();
        users.dedup();
        let typical: Vec<usize> = matter.typical.iter().copied().filter(|&m| messages[m].day <= as_of).collect();
        let mut representative = vec![typical[0]];
        let mut by_support = upto.clone();
        by_support.sort_by_key(|&m| (std::cmp::Reverse(messages[m].support), std::cmp::Reverse(messages[m].day)));
        for m in typical.iter().skip(1).take(1).chain(by_support.iter().take(2)) {
            if representative.len() < 3 && !representative.contains(m) && messages[*m].subject != messages[representative[0]].subject {
                representative.push(*m);
            }
        }
        // 0 when the export has no user column.
        let users_n = users.len();
        let mut why = vec![];
        let window = rule.window_days;
        if spike.flagged {
            why.push(format!("近期明显增多：{}", spike.explanation));
        } else if spike.recent > 0 {
            why.push(format!("近{window}天仍有{}条新留言", spike.recent));
        } else {
            why.push(format!("已{}天无新留言", as_of - messages[last].day));
        }
        if upto.len() >= 2 {
            why.push(if users_n > 0 { format!("共{}条留言、{}人反映", upto.len(), users_n) } else { format!("共{}条留言", upto.len()) });
        }
        let lasted = messages[last].day - messages[upto[0]].day;
        if lasted >= 14 {
            why.push(format!("自{}起持续{}天", format_day(messages[upto[0]].day), lasted + 1));
        }
        match (support, against) {
            (0, 0) => {}
            (s, 0) => why.push(format!("点赞{s}")),
            (s, a) => why.push(format!("点赞{s}、反对{a}")),
        }
        ranked.push(HotMatter {
            title: messages[typical[0]].subject.clone(),
            first_day: messages[upto[0]].day,
            last_day: messages[last].day,
            messages: upto.len(),
            users: users_n,
            support,
            against,
            spike,
            heat,
            representative,
            why: why.join("；"),
            matter: matter.clone(),
        });
    }
    ranked.sort_by(|a, b| b.heat.total_cmp(&a.heat).then(b.messages.cmp(&a.messages)).then(a.first_day.cmp(&b.first_day)));
    ranked.truncate(top);
    ranked
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_read_in_the_board_formats() {
        assert_eq!(parse_day("1970-01-01 00:00:00"), Some(0));
        assert_eq!(parse_day("2019/2/28 11:25:05"), Some(days_from_civil(2019, 2, 28)));
        assert_eq!(parse_day("2017-06-08 17:31:20").map(format_day).as_deref(), Some("2017-06-08"));
        assert_eq!(parse_day("2020年1月26日"), Some(days_from_civil(2020, 1, 26)));
        assert_eq!(parse_day("2019/2/30"), None);
        assert_eq!(parse_day("yesterday"), None);
        for d in [-1000, 0, 18_000, 18_287, 20_000] {
            let (y, m, dd) = civil_from_days(d);
            assert_eq!(days_from_civil(y, m, dd), d);
        }
    }

    fn msg(id: usize, day: i32, subject: &str, content: &str, support: u32) -> Message {
        Message {
            id: id.to_string(),
            user: format!("u{id}"),
            subject: subject.into(),
            content: content.into(),
            time: format_day(day),
            day,
            against: 0,
            support,
        }
    }

    #[test]
    fn messages_of_one_matter_are_grouped_and_a_recent_rise_is_hot() {
        let base = days_from_civil(2019, 11, 1);
        let mut m = vec![];
        // The same plant, told in three ways, mostly in the last week.
        let plant = [
            ("丽景花园旁边搅拌站噪音扰民", "丽景花园小区旁边的搅拌站每天夜里施工，噪音和粉尘太大，无法入睡。"),
            ("投诉丽景花园附近搅拌站粉尘污染", "丽景花园附近的搅拌站粉尘很大，噪音扰民，家里窗台每天一层灰。"),
            ("丽景花园小区附近违建搅拌站", "丽景花园小区附近的搅拌站有没有环评手续？噪音和粉尘严重影响居民生活。"),
        ];
        for k in 0..9 {
            let (s, c) = plant[k % 3];
            m.push(msg(k, base + 60 - (k as i32 % 5), s, c, k as u32));
        }
        // Unrelated matters, spread out.
        let other = [
            ("建议增开公交线路", "希望增加通往火车站的公交班次，早晚高峰等车时间太长。"),
            ("咨询社保转移手续", "从外省调回本地工作，养老保险关系如何转移接续？"),
            ("菜市场卫生差", "菜市场垃圾清运不及时，夏天气味难闻。"),
            ("学校周边交通拥堵", "放学时段学校门口车辆乱停，学生过马路很危险。"),
            ("路灯损坏无人维修", "小区门口的路灯坏了两个月，晚上出行不便。"),
            ("公积金贷款额度", "想咨询公积金贷款的额度怎么计算，需要哪些材料。"),
            ("医院挂号难", "儿童医院周末挂号排队时间很长，建议增加窗口。"),
            ("燃气费计费疑问", "燃气表更换后用量翻倍，怀疑计量不准。"),
            ("广场舞噪音", "晚上十点以后广场舞音响声音仍然很大，影响休息。"),
            ("小区停车位不足", "小区车位严重不足，消防通道被占用。"),
        ];
        for (k, (s, c)) in other.iter().enumerate() {
            m.push(msg(100 + k, base + 7 * k as i32, s, c, 0));
            m.push(msg(200 + k, base + 7 * k as i32 + 30, s, c, 0));
        }
        let matters = group(&m, &MatterOptions { threads: 2, ..Default::default() });
        let plant_matter = matters.iter().find(|x| x.messages.contains(&0)).unwrap();
        assert_eq!(plant_matter.messages.len(), 9, "{matters:?}");
        assert_eq!(plant_matter.places[0], ("丽景花园".to_string(), 9));
        assert_eq!(matters.len(), 11, "the plant and ten others: {matters:?}");
        let hot = hot(&m, &matters, base + 60, &SpikeRule::default(), 3);
        assert!(hot[0].matter.messages.contains(&0), "{hot:?}");
        assert!(hot[0].spike.flagged, "{:?}", hot[0].spike);
        assert!(hot[0].why.starts_with("近期明显增多：近7天9件，此前8周没有（新出现）"), "{}", hot[0].why);
        assert_eq!((hot[0].messages, hot[0].users, hot[0].support), (9, 9, 36));
        assert!(hot[0].representative.len() >= 2 && hot[0].representative.len() <= 3);
        assert!(hot.iter().skip(1).all(|h| !h.spike.flagged));
    }

    #[test]
    fn places_are_extracted_with_simple_rules() {
        let p = extract_places("A2区丽发新城小区附近修建搅拌站，污染环境");
        assert_eq!(p.districts, ["A2区"]);
        assert!(p.places.contains(&"丽发新城小区".to_string()) || p.places.contains(&"丽发新城".to_string()), "{p:?}");
        let p = extract_places("座落在A市A3区联丰路米兰春天G2栋320，暮云街道月塘路增设限时停车位");
        assert_eq!(p.districts, ["A3区"]);
        for name in ["联丰路", "暮云街道", "月塘路"] {
            assert!(p.places.contains(&name.to_string()), "{name}: {p:?}");
        }
        let p = extract_places("反映A7县春华镇金鼎村水泥路、自来水到户的问题");
        assert!(p.places.contains(&"春华镇".to_string()) && p.places.contains(&"金鼎村".to_string()), "{p:?}");
        let p = extract_places("小区道路坑洼，老小区没有电梯");
        assert!(p.places.is_empty(), "generic words are no places: {p:?}");
    }
}
