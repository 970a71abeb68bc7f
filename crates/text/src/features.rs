//! TF-IDF features: word n-grams and character n-grams, each block weighted with sublinear term
//! frequency and smoothed inverse document frequency, L2-normalised, then joined and normalised
//! again (as scikit-learn's `TfidfVectorizer` blocks stacked and normalised would be).

use rustc_hash::FxHashMap as HashMap;

use serde::{Deserialize, Serialize};

use crate::tokenize::Doc;

/// Longer n-grams (URLs, runs of digits) are ignored: they are noise and would bloat the model.
pub(crate) const MAX_TERM_BYTES: usize = 255;

/// Which features the model uses.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FeatureOptions {
    /// Word n-gram lengths, inclusive.
    pub word_ngrams: (usize, usize),
    /// Character n-gram lengths over the words written together, inclusive; `None` for none.
    pub char_ngrams: Option<(usize, usize)>,
    /// A term must occur in at least this many training texts.
    pub min_df: u32,
    /// Weight of the character block relative to the word block before the final normalisation.
    pub char_weight: f32,
}

impl Default for FeatureOptions {
    fn default() -> Self {
        FeatureOptions { word_ngrams: (1, 2), char_ngrams: Some((2, 3)), min_df: 2, char_weight: 1.0 }
    }
}

/// A sparse vector: (feature index, value), indices ascending.
pub(crate) type SparseVec = Vec<(u32, f32)>;

#[derive(Clone)]
pub(crate) struct Vectorizer {
    pub(crate) options: FeatureOptions,
    word_index: HashMap<u64, u32>,
    char_index: HashMap<u64, u32>,
    /// Feature names in index order: the word block, then the character block.
    pub(crate) names: Vec<String>,
    pub(crate) n_word: usize,
    pub(crate) idf: Vec<f32>,
}

impl std::fmt::Debug for Vectorizer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Vectorizer")
            .field("options", &self.options)
            .field("word_features", &self.n_word)
            .field("char_features", &(self.names.len() - self.n_word))
            .finish()
    }
}

fn smooth_idf(n_docs: usize, df: u32) -> f32 {
    (((1 + n_docs) as f64 / (1 + df) as f64).ln() + 1.0) as f32
}

/// Key of a term in the vocabulary maps: a 64-bit hash, so that counting and looking up terms
/// needs no allocation or string comparison. Among a few hundred thousand terms a collision is
/// vanishingly unlikely, and would only merge two terms into one feature.
fn term_hash(term: &str) -> u64 {
    use std::hash::BuildHasher;
    rustc_hash::FxBuildHasher.hash_one(term)
}

/// How often a term occurs and where it first does (document, byte range), to recover its text.
#[derive(Clone, Copy)]
struct Seen {
    df: u32,
    doc: u32,
    start: u32,
    end: u32,
}

type DfMap = HashMap<u64, Seen>;

/// Document frequencies of the word and character n-grams of `docs`, the first of which is
/// document number `first`.
fn count_df(docs: &[&Doc], first: usize, options: &FeatureOptions) -> (DfMap, DfMap) {
    let mut word_df = DfMap::default();
    let mut char_df = DfMap::default();
    let mut terms: Vec<(u64, u32, u32)> = vec![];
    let count = |df: &mut DfMap, terms: &mut Vec<(u64, u32, u32)>, doc: usize| {
        terms.sort_unstable_by_key(|t| t.0);
        terms.dedup_by_key(|t| t.0);
        for &(h, start, end) in terms.iter() {
            df.entry(h).and_modify(|s| s.df += 1).or_insert(Seen { df: 1, doc: doc as u32, start, end });
        }
        terms.clear();
    };
    for (i, doc) in docs.iter().enumerate() {
        let joined = doc.joined();
        doc.word_ngram_ranges(options.word_ngrams, |a, b| {
            if b - a <= MAX_TERM_BYTES {
                terms.push((term_hash(&joined[a..b]), a as u32, b as u32));
            }
        });
        count(&mut word_df, &mut terms, first + i);
        if let Some(range) = options.char_ngrams {
            let concat = doc.concat();
            doc.char_ngram_ranges(range, |a, b| {
                if b - a <= MAX_TERM_BYTES {
                    terms.push((term_hash(&concat[a..b]), a as u32, b as u32));
                }
            });
            count(&mut char_df, &mut terms, first + i);
        }
    }
    (word_df, char_df)
}

/// The terms kept by `min_df` with their document frequency, sorted so that the model file does
/// not depend on hash order.
fn frequent(df: DfMap, min_df: u32, text: impl Fn(&Seen) -> String) -> Vec<(String, u32)> {
    let mut kept: Vec<(String, u32)> = df.values().filter(|s| s.df >= min_df).map(|s| (text(s), s.df)).collect();
    kept.sort_unstable();
    kept
}

impl Vectorizer {
    pub(crate) fn fit(docs: &[&Doc], options: &FeatureOptions, threads: usize) -> Vectorizer {
        // Document frequencies, counted over chunks of the texts in parallel, then merged in order.
        let chunk = docs.len().div_ceil(threads.max(1)).max(1);
        let partial: Vec<(DfMap, DfMap)> = std::thread::scope(|scope| {
            let handles: Vec<_> = docs
                .chunks(chunk)
                .enumerate()
                .map(|(c, part)| scope.spawn(move || count_df(part, c * chunk, options)))
                .collect();
            handles.into_iter().map(|h| h.join().expect("worker thread panicked")).collect()
        });
        let mut partial = partial.into_iter();
        let (mut word_df, mut char_df) = partial.next().unwrap_or_default();
        for (words, chars) in partial {
            for (df, more) in [(&mut word_df, words), (&mut char_df, chars)] {
                for (h, seen) in more {
                    df.entry(h).and_modify(|s| s.df += seen.df).or_insert(seen);
                }
            }
        }
        let text = |s: &Seen, of: fn(&Doc) -> &str| of(docs[s.doc as usize])[s.start as usize..s.end as usize].to_owned();
        let words = frequent(word_df, options.min_df, |s| text(s, Doc::joined));
        let chars = frequent(char_df, options.min_df, |s| text(s, Doc::concat));
        let n_word = words.len();
        let mut names = Vec::with_capacity(n_word + chars.len());
        let mut idf = Vec::with_capacity(n_word + chars.len());
        for (name, df) in words.into_iter().chain(chars) {
            idf.push(smooth_idf(docs.len(), df));
            names.push(name);
        }
        Vectorizer::from_parts(options.clone(), names, n_word, idf)
    }

    pub(crate) fn from_parts(options: FeatureOptions, names: Vec<String>, n_word: usize, idf: Vec<f32>) -> Vectorizer {
        let index = |range: std::ops::Range<usize>| -> HashMap<u64, u32> {
            range.map(|i| (term_hash(&names[i]), i as u32)).collect()
        };
        let word_index = index(0..n_word);
        let char_index = index(n_word..names.len());
        Vectorizer { options, word_index, char_index, names, n_word, idf }
    }

    /// The same vectorizer restricted to the features `keep` (ascending indices).
    pub(crate) fn subset(&self, keep: &[usize]) -> Vectorizer {
        let names = keep.iter().map(|&i| self.names[i].clone()).collect();
        let idf = keep.iter().map(|&i| self.idf[i]).collect();
        let n_word = keep.iter().filter(|&&i| i < self.n_word).count();
        Vectorizer::from_parts(self.options.clone(), names, n_word, idf)
    }

    pub(crate) fn len(&self) -> usize {
        self.names.len()
    }

    /// One block: sublinear tf × idf, L2-normalised, scaled by `weight`.
    fn block(&self, mut hits: Vec<u32>, weight: f32, out: &mut SparseVec) {
        if hits.is_empty() {
            return;
        }
        hits.sort_unstable();
        let start = out.len();
        let mut i = 0;
        while i < hits.len() {
            let j = hits[i..].iter().position(|&h| h != hits[i]).map_or(hits.len(), |p| i + p);
            let tf = 1.0 + ((j - i) as f32).ln();
            out.push((hits[i], tf * self.idf[hits[i] as usize]));
            i = j;
        }
        let norm = out[start..].iter().map(|&(_, v)| v * v).sum::<f32>().sqrt();
        for (_, v) in &mut out[start..] {
            *v *= weight / norm;
        }
    }

    pub(crate) fn transform(&self, doc: &Doc) -> SparseVec {
        let mut out = SparseVec::new();
        let mut hits = vec![];
        doc.word_ngrams(self.options.word_ngrams, |g| {
            if let Some(&i) = self.word_index.get(&term_hash(g)) {
                hits.push(i);
            }
        });
        self.block(hits, 1.0, &mut out);
        if let Some(range) = self.options.char_ngrams {
            let mut hits = vec![];
            doc.char_ngrams(range, |g| {
                if let Some(&i) = self.char_index.get(&term_hash(g)) {
                    hits.push(i);
                }
            });
            self.block(hits, self.options.char_weight, &mut out);
        }
        let norm = out.iter().map(|&(_, v)| v * v).sum::<f32>().sqrt();
        if norm > 0.0 {
            for (_, v) in &mut out {
                *v /= norm;
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(words: &[&str]) -> Doc {
        Doc::from_words(&words.iter().map(|w| w.to_string()).collect::<Vec<_>>())
    }

    #[test]
    fn vectors_are_unit_length_and_rare_terms_weigh_more() {
        let docs = [doc(&["电梯", "漏水"]), doc(&["电梯", "停运"]), doc(&["电梯", "漏水", "停运"])];
        let v = Vectorizer::fit(&docs.iter().collect::<Vec<_>>(), &FeatureOptions { char_ngrams: None, min_df: 1, ..Default::default() }, 1);
        let x = v.transform(&docs[0]);
        let norm: f32 = x.iter().map(|&(_, v)| v * v).sum();
        assert!((norm - 1.0).abs() < 1e-5);
        let value = |name: &str| x.iter().find(|&&(i, _)| v.names[i as usize] == name).unwrap().1;
        assert!(value("漏水") > value("电梯"));
        assert!(x.windows(2).all(|w| w[0].0 < w[1].0));
    }

    #[test]
    fn min_df_drops_rare_terms() {
        let docs = [doc(&["电梯", "漏水"]), doc(&["电梯", "停运"])];
        let v = Vectorizer::fit(&docs.iter().collect::<Vec<_>>(), &FeatureOptions { min_df: 2, ..Default::default() }, 2);
        assert!(v.names.contains(&"电梯".to_string()));
        assert!(!v.names.contains(&"漏水".to_string()));
    }
}
