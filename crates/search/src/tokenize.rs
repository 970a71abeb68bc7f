//! Chinese word segmentation as a tantivy tokenizer.
//!
//! Words come from jieba's dictionary (the process-wide `jieba-rs` instance of `redress-text`),
//! without HMM so that a query word is cut the same way as the text around it. The index
//! records which segmenter built it:
//!
//! - [`Segmenter::Jieba`] (the default): jieba's exact cut (dictionary DAG + max-probability
//!   route). The dictionary words of two and three characters inside a longer word ("电梯" in
//!   "电梯间", "长江" in "长江大桥") are not indexed but found at query time: the index lists,
//!   per segment, which of its words contain which ([`inner_words`]), and a query word also
//!   matches the words it is inside. Same hits as search mode, fewer tokens to index.
//! - [`Segmenter::Search`]: jieba's search mode, i.e. the exact cut plus those inner words
//!   indexed as tokens of their own (what the default finds at query time; 15 % more postings,
//!   6–11 % more indexing CPU).
//! - [`Segmenter::Fast`]: jieba's full mode, every dictionary word at every position (most
//!   recall, twice the tokens).
//! - [`Segmenter::Bigram`]: overlapping CJK bigrams, for comparison.
//!
//! Queries are cut in exact mode. Tantivy's indexing of the tokens and jieba's dictionary walk
//! set the build rate (numbers in bench/RESULTS.md).
//!
//! Non-CJK runs (Latin letters, digits) become one token each. Every token is normalised
//! (full-width ASCII to half-width, lower case); tokens without a letter or digit and a short
//! list of function words are dropped. Offsets always point into the original text, so
//! snippets highlight the text as written.

use std::sync::OnceLock;

use jieba_rs::Jieba;
use serde::{Deserialize, Serialize};
use tantivy::tokenizer::{Token, TokenStream, Tokenizer};

/// How text is cut into words.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Segmenter {
    /// jieba exact mode without HMM; the words inside longer words are matched at query time.
    #[default]
    Jieba,
    /// jieba full mode: every dictionary word at every position; lone characters where no
    /// word covers them.
    Fast,
    /// jieba's search mode without HMM (exact mode plus the dictionary words inside long words).
    Search,
    /// Overlapping character bigrams of CJK runs (a lone character stands for itself).
    Bigram,
}

impl Segmenter {
    pub fn parse(s: &str) -> Option<Segmenter> {
        match s {
            "jieba" => Some(Segmenter::Jieba),
            "fast" => Some(Segmenter::Fast),
            "bigram" => Some(Segmenter::Bigram),
            "search" => Some(Segmenter::Search),
            _ => None,
        }
    }
}

/// The jieba instance of the process (its dictionary takes a few tens of MB and a moment to load).
pub fn jieba() -> &'static Jieba {
    redress_text::tokenize::jieba()
}

/// `char::is_alphanumeric` without its slow table lookup for ASCII and the common CJK and
/// full-width punctuation.
fn is_alnum(c: char) -> bool {
    if c.is_ascii() {
        return c.is_ascii_alphanumeric();
    }
    !matches!(c as u32, 0x2000..=0x206F | 0x3000..=0x303F | 0xFF00..=0xFF0F | 0xFF1A..=0xFF20 | 0xFF3B..=0xFF40 | 0xFF5B..=0xFF65)
        && c.is_alphanumeric()
}

fn is_cjk(c: char) -> bool {
    matches!(c as u32, 0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xF900..=0xFAFF | 0x20000..=0x2FA1F)
}

/// Full-width ASCII forms become ASCII, ASCII letters lower case.
fn normalize_char(c: char) -> char {
    let c = match c {
        '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFF01 + 0x21).unwrap_or(c),
        _ => c,
    };
    c.to_ascii_lowercase()
}

/// Frequent function words that carry no meaning for search. Kept short on purpose: a word
/// dropped here can never be searched for.
const STOPWORDS: &[&str] = &[
    "的", "了", "是", "在", "和", "与", "及", "或", "也", "就", "都", "而", "着", "之", "其", "把", "被", "让", "给", "对",
    "向", "从", "为", "以", "于", "将", "这", "那", "个", "我", "你", "他", "她", "它", "们", "我们", "你们", "他们", "吗",
    "呢", "吧", "啊", "呀", "哦", "嗯", "有", "又", "还", "并", "等", "及其", "以及", "并且", "但是", "因为", "所以",
    "如果", "可以", "没有", "一个", "这个", "那个", "什么", "怎么", "已经", "进行", "要求", "问题", "情况", "相关",
];

fn is_stopword(w: &str) -> bool {
    // Called for every token, so most words must be turned away cheaply: by length (every
    // stopword is one or two characters of three UTF-8 bytes), then by a bitmap of the low 12
    // bits of the first characters; the rest are compared with the two or three stopwords of
    // the same first character.
    struct Table {
        bits: [u64; 64],
        by_first: Vec<(char, Vec<&'static str>)>,
    }
    static TABLE: OnceLock<Table> = OnceLock::new();
    let t = TABLE.get_or_init(|| {
        let mut t = Table { bits: [0; 64], by_first: vec![] };
        for w in STOPWORDS {
            debug_assert!(w.len() == 3 || w.len() == 6, "{w}: the length test below assumes 1–2 CJK characters");
            let c = w.chars().next().expect("stopwords are not empty");
            t.bits[(c as usize >> 6) & 63] |= 1 << (c as u32 & 63);
            match t.by_first.iter_mut().find(|(d, _)| *d == c) {
                Some((_, ws)) => ws.push(w),
                None => t.by_first.push((c, vec![w])),
            }
        }
        t.by_first.sort_unstable_by_key(|(c, _)| *c);
        t
    });
    if w.len() != 3 && w.len() != 6 {
        return false;
    }
    let Some(c) = w.chars().next() else { return false };
    if t.bits[(c as usize >> 6) & 63] & (1 << (c as u32 & 63)) == 0 {
        return false;
    }
    match t.by_first.binary_search_by_key(&c, |(d, _)| *d) {
        Ok(i) => t.by_first[i].1.iter().any(|s| s.len() == w.len() && *s == w),
        Err(_) => false,
    }
}

/// Loads the dictionary now rather than at the first text.
pub fn warm_up(seg: Segmenter) {
    match seg {
        Segmenter::Jieba => {
            jieba();
        }
        Segmenter::Fast | Segmenter::Search => {
            jieba();
        }
        Segmenter::Bigram => {}
    }
}

/// A token before normalisation: byte range in the text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    pub from: usize,
    pub to: usize,
}

/// Cuts `text` into word spans (before normalisation and filtering), in order of their start.
pub fn spans(seg: Segmenter, text: &str, out: &mut Vec<Span>) {
    match seg {
        Segmenter::Jieba => exact_spans(text, out),
        Segmenter::Fast => fast_spans(text, out),
        Segmenter::Search => search_spans(text, out),
        Segmenter::Bigram => bigram_spans(text, out),
    }
}

/// Splits `text` into runs: CJK runs are handed to `cjk`, alphanumeric runs become one span
/// each, everything else (punctuation, spaces) is skipped.
fn runs(text: &str, out: &mut Vec<Span>, mut cjk: impl FnMut(&str, usize, &mut Vec<Span>)) {
    let mut chars = text.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        if is_cjk(c) {
            let mut end = i + c.len_utf8();
            while let Some(&(j, d)) = chars.peek() {
                if !is_cjk(d) {
                    break;
                }
                end = j + d.len_utf8();
                chars.next();
            }
            cjk(&text[i..end], i, out);
        } else if is_alnum(c) {
            let mut end = i + c.len_utf8();
            while let Some(&(j, d)) = chars.peek() {
                if is_cjk(d) || !(is_alnum(d) || d == '.' && chars.clone().nth(1).is_some_and(|(_, e)| e.is_ascii_digit())) {
                    break;
                }
                end = j + d.len_utf8();
                chars.next();
            }
            out.push(Span { from: i, to: end });
        }
    }
}

fn fast_spans(text: &str, out: &mut Vec<Span>) {
    // jieba's "full mode": every dictionary word at every position, a lone character only
    // where no word starts or covers it. Its trie walk enumerates all of them in one pass.
    runs(text, out, |run, base, out| {
        for t in jieba().cut_all(run) {
            out.push(Span { from: base + t.byte_start, to: base + t.byte_end });
        }
    });
}

fn search_spans(text: &str, out: &mut Vec<Span>) {
    runs(text, out, |run, base, out| {
        for t in jieba().cut_for_search(run, false) {
            out.push(Span { from: base + t.byte_start, to: base + t.byte_end });
        }
    });
}

fn exact_spans(text: &str, out: &mut Vec<Span>) {
    runs(text, out, |run, base, out| {
        for t in jieba().cut(run, false) {
            out.push(Span { from: base + t.byte_start, to: base + t.byte_end });
        }
    });
}

fn bigram_spans(text: &str, out: &mut Vec<Span>) {
    runs(text, out, |run, base, out| {
        let starts = char_starts(run);
        let n = starts.len() - 1;
        if n == 1 {
            out.push(Span { from: base, to: base + run.len() });
        }
        for i in 0..n.saturating_sub(1) {
            out.push(Span { from: base + starts[i], to: base + starts[i + 2] });
        }
    });
}

/// The byte offset of each character of `s`, then `s.len()`: character `i` is
/// `s[starts[i]..starts[i + 1]]`.
fn char_starts(s: &str) -> Vec<usize> {
    s.char_indices().map(|(i, _)| i).chain(std::iter::once(s.len())).collect()
}

/// Puts the normalised text of a span in `buf`; false if the span is to be dropped.
pub fn term_of(text: &str, span: Span, buf: &mut String) -> bool {
    let w = &text[span.from..span.to];
    buf.clear();
    // The common case, a CJK word: nothing to normalise (full-width forms are U+FF01–FF5E,
    // encoded EF BC xx / EF BD xx; ASCII is below 0x80) and certainly a word.
    let b = w.as_bytes();
    let plain_cjk = w.chars().next().is_some_and(is_cjk) && b.iter().all(|&x| x >= 0x80) && !b.windows(2).any(|p| p[0] == 0xEF && (p[1] == 0xBC || p[1] == 0xBD));
    if plain_cjk {
        buf.push_str(w);
        return !is_stopword(buf);
    }
    let mut alnum = false;
    for c in w.chars() {
        let c = normalize_char(c);
        alnum |= is_cjk(c) || c.is_alphanumeric();
        buf.push(c);
    }
    alnum && !is_stopword(buf)
}

/// The words jieba's search mode adds for `word`, a word of its exact cut: the dictionary words
/// of two characters inside it when it has more than two, then those of three when it has more
/// than three (the rule of `Jieba::cut_for_search`), less stopwords. Nothing for a word that
/// is not all CJK (jieba never sees those: [`spans`] keeps Latin and digit runs whole).
pub fn inner_words(word: &str) -> Vec<&str> {
    let mut out = vec![];
    if word.len() < 9 {
        return out; // fewer than three CJK characters (three bytes each)
    }
    let starts = char_starts(word);
    let n = starts.len() - 1;
    if n < 3 || !word.chars().all(is_cjk) {
        return out;
    }
    for len in [2, 3] {
        if n <= len {
            break;
        }
        for i in 0..=n - len {
            let g = &word[starts[i]..starts[i + len]];
            if jieba().has_word(g) && !is_stopword(g) {
                out.push(g);
            }
        }
    }
    out
}

/// The normalised terms of `text`, in order (for queries and tests).
pub fn terms(seg: Segmenter, text: &str) -> Vec<String> {
    let mut spans_ = vec![];
    spans(seg, text, &mut spans_);
    let mut buf = String::new();
    let mut out = vec![];
    for s in spans_ {
        if term_of(text, s, &mut buf) {
            out.push(buf.clone());
        }
    }
    out
}

/// The words of a query as a person typed it, for an index built with `seg`: jieba's exact
/// cut for the dictionary segmenters (a dictionary word of the query is then a word of every
/// text that contains it: [`Segmenter::Fast`] indexes all of them), bigrams for
/// [`Segmenter::Bigram`]. Each word comes with whether it is a lone CJK character.
pub fn query_words(seg: Segmenter, text: &str) -> Vec<(String, bool)> {
    let seg = match seg {
        Segmenter::Bigram => Segmenter::Bigram,
        _ => Segmenter::Jieba,
    };
    let mut out: Vec<(String, bool)> = vec![];
    for w in terms(seg, text) {
        let mut chars = w.chars();
        let lone = matches!((chars.next(), chars.next()), (Some(c), None) if is_cjk(c));
        if !out.iter().any(|(x, _)| *x == w) {
            out.push((w, lone));
        }
    }
    out
}

/// Whether a span is one CJK character.
fn is_lone_cjk(text: &str, span: Span) -> bool {
    let w = &text[span.from..span.to];
    let mut chars = w.chars();
    matches!((chars.next(), chars.next()), (Some(c), None) if is_cjk(c))
}

/// The tantivy tokenizer. `lone == false` drops single CJK characters (function words and
/// characters outside the dictionary): in long texts they are four tokens in ten, cost
/// indexing time in proportion, and carry little meaning; short fields keep them.
#[derive(Clone)]
pub struct ChineseTokenizer {
    seg: Segmenter,
    lone: bool,
    /// Reused between texts (each indexing thread has its own clone).
    spans: Vec<Span>,
}

impl ChineseTokenizer {
    pub fn new(seg: Segmenter, lone: bool) -> ChineseTokenizer {
        warm_up(seg);
        ChineseTokenizer { seg, lone, spans: Vec::new() }
    }
}

pub struct ChineseTokenStream<'a> {
    text: &'a str,
    spans: &'a [Span],
    lone: bool,
    next: usize,
    token: Token,
}

impl Tokenizer for ChineseTokenizer {
    type TokenStream<'a> = ChineseTokenStream<'a>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> ChineseTokenStream<'a> {
        self.spans.clear();
        spans(self.seg, text, &mut self.spans);
        ChineseTokenStream { text, spans: &self.spans, lone: self.lone, next: 0, token: Token::default() }
    }
}

impl TokenStream for ChineseTokenStream<'_> {
    fn advance(&mut self) -> bool {
        while let Some(&s) = self.spans.get(self.next) {
            self.next += 1;
            if !self.lone && is_lone_cjk(self.text, s) {
                continue;
            }
            if term_of(self.text, s, &mut self.token.text) {
                self.token.offset_from = s.from;
                self.token.offset_to = s.to;
                self.token.position = self.token.position.wrapping_add(1);
                self.token.position_length = 1;
                return true;
            }
        }
        false
    }

    fn token(&self) -> &Token {
        &self.token
    }

    fn token_mut(&mut self) -> &mut Token {
        &mut self.token
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Search mode's terms, sorted, and the exact cut's terms plus the [`inner_words`] of each.
    fn search_terms_from_exact(text: &str) -> (Vec<String>, Vec<String>) {
        let mut search = terms(Segmenter::Search, text);
        let mut rebuilt = vec![];
        for w in terms(Segmenter::Jieba, text) {
            rebuilt.extend(inner_words(&w).into_iter().map(String::from));
            rebuilt.push(w);
        }
        search.sort();
        rebuilt.sort();
        (search, rebuilt)
    }

    #[test]
    fn inner_words_are_what_search_mode_adds_to_the_exact_cut() {
        assert_eq!(inner_words("电梯间"), ["电梯"]);
        assert_eq!(inner_words("长江大桥"), ["长江", "大桥"]);
        assert!(inner_words("电梯").is_empty() && inner_words("abc工程").is_empty() && inner_words("").is_empty());
        for text in [
            "南京市长江大桥于1968年建成，中华人民共和国成立以来最大的工程之一。",
            "我们小区的电梯间漏水，物业管理公司和城市管理综合执法局互相推诿，最低生活保障也没有落实。",
            "农村集体经济组织成员资格认定、不动产登记中心办证难，ABC栋３号楼住户反映噪音扰民。",
        ] {
            let (search, rebuilt) = search_terms_from_exact(text);
            assert!(search.len() > terms(Segmenter::Jieba, text).len(), "the text has words inside words: {text}");
            assert_eq!(search, rebuilt, "{text}");
        }
    }

    /// The same on real messages (subject, content and reply of the first 400 replied ones in
    /// ../shared/data; required under CI=true).
    #[test]
    fn inner_words_match_search_mode_on_real_messages() {
        let path = std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/data/messages-replies.csv"));
        if !path.exists() {
            assert!(std::env::var("CI").as_deref() != Ok("true"), "CI=true but {} is missing", path.display());
            eprintln!("note: {} is missing; skipping the real-data check", path.display());
            return;
        }
        let mut rd = csv::Reader::from_path(path).unwrap();
        let headers = rd.headers().unwrap().clone();
        let col = |name: &str| headers.iter().position(|h| h == name).unwrap();
        let cols = [col("subject"), col("content"), col("reply")];
        let (mut texts, mut added) = (0, 0);
        for row in rd.records().take(400) {
            let row = row.unwrap();
            for c in cols {
                let (search, rebuilt) = search_terms_from_exact(&row[c]);
                assert_eq!(search, rebuilt, "{}", &row[c]);
                added += search.len() - terms(Segmenter::Jieba, &row[c]).len();
                texts += 1;
            }
        }
        assert_eq!(texts, 1200);
        assert!(added > 1000, "only {added} inner words in 400 messages");
    }

    #[test]
    fn every_segmenter_finds_the_lift_in_a_complaint() {
        for seg in [Segmenter::Jieba, Segmenter::Fast, Segmenter::Bigram] {
            let t = terms(seg, "小区电梯坏了");
            assert!(t.contains(&"电梯".to_string()), "{seg:?}: {t:?}");
        }
    }

    #[test]
    fn fast_mode_finds_dictionary_words_whatever_the_neighbours() {
        let t = terms(Segmenter::Fast, "南京市长江大桥");
        assert!(t.contains(&"长江".to_string()) && t.contains(&"南京".to_string()) && t.contains(&"大桥".to_string()), "{t:?}");
    }

    #[test]
    fn stopwords_are_dropped_and_their_neighbours_kept() {
        for w in STOPWORDS {
            assert!(is_stopword(w), "{w}");
        }
        // Every word of a complaint is a stopword exactly when the list has it.
        for w in terms(Segmenter::Fast, "我们小区的电梯已经坏了三个月，物业说没有钱修，相关部门也没有回复。ABC楼一单元") {
            assert!(!STOPWORDS.contains(&w.as_str()), "{w} came through");
        }
        for w in ["电梯", "问", "我国", "以", "相关部门", ""] {
            assert_eq!(is_stopword(w), STOPWORDS.contains(&w), "{w}");
        }
        assert!(is_stopword("以"), "以 is a stopword of one character");
        assert!(!is_stopword("我国") && !is_stopword("相关部门") && !is_stopword(""));
    }

    #[test]
    fn latin_and_digits_are_normalised_and_kept_whole() {
        let t = terms(Segmenter::Fast, "３号楼 ABC栋，电话12345");
        assert!(t.contains(&"3".to_string()) && t.contains(&"abc".to_string()) && t.contains(&"12345".to_string()), "{t:?}");
    }
}
