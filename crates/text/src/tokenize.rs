//! From text to words, the same way for both input styles.
//!
//! Pre-segmented text (the `text` column of the labelled files: jieba output joined by spaces,
//! stopwords removed) is split on whitespace; raw text is cut with jieba. Either way every word is
//! normalised (full-width ASCII to half-width, ASCII lower case) and then dropped if it is
//! punctuation or a symbol, a single ASCII letter or digit, or a stopword.

use std::collections::HashSet;
use std::sync::OnceLock;

use jieba_rs::Jieba;
use serde::{Deserialize, Serialize};

use crate::stopwords::STOPWORDS;

/// How a text given to the model is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InputKind {
    /// Already segmented into words separated by whitespace (the `text` column).
    Segmented,
    /// Ordinary unsegmented text as a resident wrote it (`subject` + `content`).
    Raw,
}

/// The process-wide jieba instance with the default dictionary (loaded once; shared with
/// `redress-search`, whose index tokenizer cuts with the same dictionary).
pub fn jieba() -> &'static Jieba {
    static JIEBA: OnceLock<Jieba> = OnceLock::new();
    JIEBA.get_or_init(Jieba::new)
}

fn stopwords() -> &'static HashSet<&'static str> {
    static SET: OnceLock<HashSet<&'static str>> = OnceLock::new();
    SET.get_or_init(|| STOPWORDS.iter().copied().collect())
}

/// Loads the segmentation dictionary now rather than on the first raw text (it takes a moment).
pub fn warm_up() {
    jieba();
}

/// Full-width ASCII forms become ASCII, the ideographic space a space, ASCII letters lower case.
fn normalize_char(c: char) -> char {
    let c = match c {
        '\u{3000}' => ' ',
        '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFF01 + 0x21).unwrap_or(c),
        _ => c,
    };
    c.to_ascii_lowercase()
}

fn normalize(text: &str) -> String {
    text.chars().map(normalize_char).collect()
}

/// Whether a normalised word carries meaning for classification.
fn keep(word: &str) -> bool {
    if !word.chars().any(char::is_alphanumeric) {
        return false; // punctuation, symbols, whitespace
    }
    let mut chars = word.chars();
    if let (Some(c), None) = (chars.next(), chars.next()) {
        if c.is_ascii_alphanumeric() {
            return false; // "a" of "A市", lone digits
        }
    }
    !stopwords().contains(word)
}

/// The meaningful words of `text`, in order.
pub fn words(text: &str, input: InputKind) -> Vec<String> {
    match input {
        InputKind::Segmented => text.split_whitespace().map(normalize).filter(|w| keep(w)).collect(),
        InputKind::Raw => {
            let text = normalize(text);
            jieba()
                .cut(&text, true)
                .into_iter()
                .map(|t| t.word.trim())
                .filter(|w| keep(w))
                .map(str::to_owned)
                .collect()
        }
    }
}

/// A text prepared for feature extraction: its words joined by single spaces (so that a word
/// n-gram is a slice of it) and concatenated without spaces (for character n-grams).
pub(crate) struct Doc {
    joined: String,
    /// Byte range of each word in `joined`.
    spans: Vec<(usize, usize)>,
    concat: String,
    /// Byte offset of each character of `concat`, plus its length.
    char_starts: Vec<usize>,
}

impl Doc {
    pub(crate) fn new(text: &str, input: InputKind) -> Doc {
        Doc::from_words(&words(text, input))
    }

    pub(crate) fn from_words(words: &[String]) -> Doc {
        let mut joined = String::with_capacity(words.iter().map(|w| w.len() + 1).sum());
        let mut spans = Vec::with_capacity(words.len());
        for w in words {
            if !joined.is_empty() {
                joined.push(' ');
            }
            let start = joined.len();
            joined.push_str(w);
            spans.push((start, joined.len()));
        }
        let concat: String = words.concat();
        let mut char_starts: Vec<usize> = concat.char_indices().map(|(i, _)| i).collect();
        char_starts.push(concat.len());
        Doc { joined, spans, concat, char_starts }
    }

    /// The words separated by single spaces.
    pub(crate) fn joined(&self) -> &str {
        &self.joined
    }

    /// The words written together.
    pub(crate) fn concat(&self) -> &str {
        &self.concat
    }

    /// Byte range in [`Doc::joined`] of every word n-gram with `lo <= n <= hi`.
    pub(crate) fn word_ngram_ranges(&self, (lo, hi): (usize, usize), mut f: impl FnMut(usize, usize)) {
        for n in lo.max(1)..=hi {
            for i in 0..self.spans.len().saturating_sub(n - 1) {
                f(self.spans[i].0, self.spans[i + n - 1].1);
            }
        }
    }

    /// Byte range in [`Doc::concat`] of every character n-gram with `lo <= n <= hi`.
    pub(crate) fn char_ngram_ranges(&self, (lo, hi): (usize, usize), mut f: impl FnMut(usize, usize)) {
        let chars = self.char_starts.len() - 1;
        for n in lo.max(1)..=hi {
            for i in 0..chars.saturating_sub(n - 1) {
                f(self.char_starts[i], self.char_starts[i + n]);
            }
        }
    }

    /// Every word n-gram with `lo <= n <= hi`, words separated by one space.
    pub(crate) fn word_ngrams<'a>(&'a self, range: (usize, usize), mut f: impl FnMut(&'a str)) {
        self.word_ngram_ranges(range, |a, b| f(&self.joined[a..b]));
    }

    /// Every character n-gram with `lo <= n <= hi` of the words written together.
    pub(crate) fn char_ngrams<'a>(&'a self, range: (usize, usize), mut f: impl FnMut(&'a str)) {
        self.char_ngram_ranges(range, |a, b| f(&self.concat[a..b]));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segmented_text_is_split_normalised_and_filtered() {
        let w = words("孩子 学校 的 　 ＡＢＣ A 3 2019 ， 老师", InputKind::Segmented);
        assert_eq!(w, ["孩子", "学校", "abc", "2019", "老师"]);
    }

    #[test]
    fn raw_text_is_cut_and_filtered() {
        let w = words("小区的电梯坏了，物业不管！", InputKind::Raw);
        assert!(w.contains(&"电梯".to_string()), "{w:?}");
        assert!(!w.iter().any(|x| x == "的" || x == "，" || x == "了"), "{w:?}");
    }

    #[test]
    fn ngrams_are_slices_of_the_words() {
        let doc = Doc::from_words(&["电梯".into(), "漏水".into()]);
        let mut words = vec![];
        doc.word_ngrams((1, 2), |g| words.push(g.to_string()));
        assert_eq!(words, ["电梯", "漏水", "电梯 漏水"]);
        let mut chars = vec![];
        doc.char_ngrams((2, 3), |g| chars.push(g.to_string()));
        assert_eq!(chars, ["电梯", "梯漏", "漏水", "电梯漏", "梯漏水"]);
    }
}
