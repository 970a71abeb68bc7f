//! The trained classifier: training, prediction with confidence, and the model file.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::features::{FeatureOptions, SparseVec, Vectorizer, MAX_TERM_BYTES};
use crate::svm::{train_ovr, Csr, Linear, Rng, SvmParams};
use crate::tokenize::Doc;
use crate::{Error, Example, InputKind};

/// Version of the model file format written by [`Model::save`]; [`Model::load`] reads this
/// version and refuses others.
pub const FORMAT_VERSION: u32 = 1;

const MAGIC: &[u8; 8] = b"RDRSTXT\n";

/// How to train.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct TrainOptions {
    pub features: FeatureOptions,
    /// SVM cost of margin violations (inverse regularisation strength).
    pub c: f64,
    /// Weight each class's violations by `n / (classes × n_class)`, as if classes were equally
    /// frequent: raises recall (and macro-F1) for small classes.
    pub balanced: bool,
    /// Solver stopping tolerance on the projected gradient's spread.
    pub tolerance: f64,
    /// Solver passes over the data at most.
    pub max_epochs: usize,
    /// Folds for fitting the confidence temperature on out-of-fold margins; below 2, no fit
    /// (temperature 1).
    pub calibration_folds: usize,
    pub seed: u64,
    /// Keep at most this many features: after a first fit, those with the largest weight for
    /// some class, then fit again on them alone. Makes the model file smaller.
    pub max_features: Option<usize>,
    /// Worker threads; 0 for as many as the machine has. Does not change the model, and is not
    /// stored with it.
    #[serde(skip)]
    pub threads: usize,
}

impl Default for TrainOptions {
    fn default() -> Self {
        TrainOptions {
            features: FeatureOptions::default(),
            c: 1.0,
            balanced: true,
            tolerance: 0.01,
            max_epochs: 1000,
            calibration_folds: 3,
            seed: 20_240_601,
            max_features: Some(200_000),
            threads: 0,
        }
    }
}

/// What a model file says about the model, besides its weights.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ModelInfo {
    pub format_version: u32,
    /// Class labels, sorted.
    pub labels: Vec<String>,
    /// Training examples per label.
    pub class_counts: Vec<usize>,
    /// How the training texts were written.
    pub input: InputKind,
    pub options: TrainOptions,
    /// Softmax temperature applied to the margins.
    pub temperature: f32,
    /// Accuracy of the out-of-fold predictions used for calibration, if any.
    pub cv_accuracy: Option<f64>,
    pub n_word_features: usize,
    pub n_char_features: usize,
    /// Per-class bias of the linear functions.
    bias: Vec<f32>,
}

/// A trained routing classifier.
#[derive(Debug, Clone)]
pub struct Model {
    info: ModelInfo,
    vectorizer: Vectorizer,
    linear: Linear,
}

impl std::fmt::Debug for Linear {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Linear").field("classes", &self.k).field("weights", &self.w.len()).finish()
    }
}

impl Clone for Linear {
    fn clone(&self) -> Self {
        Linear { k: self.k, w: self.w.clone(), b: self.b.clone() }
    }
}

/// Runs `f` over `items` on `threads` threads, keeping the order.
pub(crate) fn par_map<T: Sync, U: Send>(items: &[T], threads: usize, f: impl Fn(&T) -> U + Sync) -> Vec<U> {
    let chunk = items.len().div_ceil(threads.max(1)).max(1);
    std::thread::scope(|scope| {
        let handles: Vec<_> = items.chunks(chunk).map(|part| scope.spawn(|| part.iter().map(&f).collect::<Vec<U>>())).collect();
        handles.into_iter().flat_map(|h| h.join().expect("worker thread panicked")).collect()
    })
}

fn softmax(margins: &[f32], temperature: f32) -> Vec<f32> {
    let max = margins.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let exp: Vec<f64> = margins.iter().map(|&m| (f64::from(temperature) * f64::from(m - max)).exp()).collect();
    let sum: f64 = exp.iter().sum();
    // Floor at the smallest normal f32 so that every confidence is positive.
    exp.iter().map(|&e| ((e / sum) as f32).max(f32::MIN_POSITIVE)).collect()
}

/// Mean cross-entropy of a softmax with `temperature` against smoothed targets: the true class
/// weighs `1 − ε` and the others share `ε`, with ε = 1/(n + 2) as in Platt's scaling, so that
/// perfectly separated out-of-fold margins (small or easy training sets) do not drive the
/// temperature, and every confidence, to the extreme.
fn nll(oof: &[(Vec<f32>, usize)], temperature: f64) -> f64 {
    let eps = 1.0 / (oof.len() as f64 + 2.0);
    let total: f64 = oof
        .iter()
        .map(|(m, y)| {
            let max = m.iter().copied().fold(f32::NEG_INFINITY, f32::max) as f64;
            let lse = m.iter().map(|&v| (temperature * (f64::from(v) - max)).exp()).sum::<f64>().ln();
            let others = (m.len() - 1).max(1) as f64;
            m.iter()
                .enumerate()
                .map(|(c, &v)| {
                    let target = if c == *y { 1.0 - eps } else { eps / others };
                    target * (lse - temperature * (f64::from(v) - max))
                })
                .sum::<f64>()
        })
        .sum();
    total / oof.len().max(1) as f64
}

/// The temperature minimising the negative log-likelihood (convex in it), by golden-section
/// search over its logarithm.
fn fit_temperature(oof: &[(Vec<f32>, usize)]) -> f64 {
    let (mut lo, mut hi) = (0.01f64.ln(), 1000f64.ln());
    let phi = (5f64.sqrt() - 1.0) / 2.0;
    let f = |t: f64| nll(oof, t.exp());
    let mut a = hi - phi * (hi - lo);
    let mut b = lo + phi * (hi - lo);
    let (mut fa, mut fb) = (f(a), f(b));
    for _ in 0..60 {
        if fa < fb {
            hi = b;
            b = a;
            fb = fa;
            a = hi - phi * (hi - lo);
            fa = f(a);
        } else {
            lo = a;
            a = b;
            fa = fb;
            b = lo + phi * (hi - lo);
            fb = f(b);
        }
    }
    ((lo + hi) / 2.0).exp()
}

fn argmax(v: &[f32]) -> usize {
    let mut best = 0;
    for (i, &x) in v.iter().enumerate() {
        if x > v[best] {
            best = i;
        }
    }
    best
}

/// Fits the vocabulary and the SVMs on `docs` of classes `class` (in `0..k`), with the optional
/// feature selection and refit.
fn fit(docs: &[&Doc], class: &[usize], k: usize, opts: &TrainOptions, threads: usize) -> (Vectorizer, Linear) {
    let mut counts = vec![0usize; k];
    for &c in class {
        counts[c] += 1;
    }
    let n = docs.len() as f64;
    let class_cost: Vec<f64> = counts
        .iter()
        .map(|&nc| if opts.balanced && nc > 0 { opts.c * n / (k as f64 * nc as f64) } else { opts.c })
        .collect();
    let params = SvmParams { c_pos: opts.c, c_neg: opts.c, tolerance: opts.tolerance, max_epochs: opts.max_epochs, seed: opts.seed };
    let all: Vec<usize> = (0..docs.len()).collect();
    let vectorize = |v: &Vectorizer| {
        let rows: Vec<SparseVec> = par_map(docs, threads, |d| v.transform(d));
        Csr::from_rows(&rows, v.len())
    };
    let vectorizer = Vectorizer::fit(docs, &opts.features, threads);
    let linear = train_ovr(&vectorize(&vectorizer), &all, class, k, &class_cost, &params, threads);
    match opts.max_features {
        Some(max) if max < vectorizer.len() => {
            // Keep the features that weigh most for some class, and train again on them alone.
            let strength: Vec<f32> = linear.w.chunks(k).map(|r| r.iter().fold(0f32, |a, &b| a.max(b.abs()))).collect();
            let mut keep: Vec<usize> = (0..strength.len()).collect();
            keep.sort_by(|&a, &b| strength[b].total_cmp(&strength[a]).then(a.cmp(&b)));
            keep.truncate(max);
            keep.sort_unstable();
            let vectorizer = vectorizer.subset(&keep);
            let linear = train_ovr(&vectorize(&vectorizer), &all, class, k, &class_cost, &params, threads);
            (vectorizer, linear)
        }
        _ => (vectorizer, linear),
    }
}

impl Model {
    /// Learns a classifier from labelled texts written as `input` says.
    pub fn train(examples: &[Example], input: InputKind, opts: &TrainOptions) -> Result<Model, Error> {
        if examples.is_empty() {
            return Err(Error::NoExamples);
        }
        let threads = if opts.threads == 0 { std::thread::available_parallelism().map_or(1, |n| n.get()) } else { opts.threads };
        let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
        for (_, label) in examples {
            *counts.entry(label.as_str()).or_default() += 1;
        }
        let labels: Vec<String> = counts.keys().map(|l| l.to_string()).collect();
        let class_counts: Vec<usize> = counts.values().copied().collect();
        let class: Vec<usize> = examples.iter().map(|(_, l)| labels.binary_search(l).expect("label was counted")).collect();
        let k = labels.len();

        let docs = par_map(examples, threads, |(text, _)| Doc::new(text, input));
        let all: Vec<&Doc> = docs.iter().collect();
        let (vectorizer, linear) = fit(&all, &class, k, opts, threads);

        // Confidence temperature from out-of-fold margins: stratified folds, each predicted by the
        // whole pipeline (vocabulary, feature selection, SVMs) fitted on the other folds.
        let (temperature, cv_accuracy) = if opts.calibration_folds >= 2 && examples.len() >= opts.calibration_folds {
            let folds = opts.calibration_folds;
            let mut fold_of = vec![0usize; examples.len()];
            let mut rng = Rng::new(opts.seed ^ 0x5EED);
            for c in 0..k {
                let mut members: Vec<usize> = (0..examples.len()).filter(|&i| class[i] == c).collect();
                rng.shuffle(&mut members);
                for (j, &i) in members.iter().enumerate() {
                    fold_of[i] = j % folds;
                }
            }
            let mut oof: Vec<(Vec<f32>, usize)> = Vec::with_capacity(examples.len());
            for f in 0..folds {
                let (train, held_out): (Vec<usize>, Vec<usize>) = (0..examples.len()).partition(|&i| fold_of[i] != f);
                let train_docs: Vec<&Doc> = train.iter().map(|&i| &docs[i]).collect();
                let train_class: Vec<usize> = train.iter().map(|&i| class[i]).collect();
                let (v, l) = fit(&train_docs, &train_class, k, opts, threads);
                oof.extend(par_map(&held_out, threads, |&i| (l.margins(&v.transform(&docs[i])), class[i])));
            }
            let correct = oof.iter().filter(|(m, y)| argmax(m) == *y).count();
            (fit_temperature(&oof) as f32, Some(correct as f64 / oof.len() as f64))
        } else {
            (1.0, None)
        };

        let info = ModelInfo {
            format_version: FORMAT_VERSION,
            labels,
            class_counts,
            input,
            options: opts.clone(),
            temperature,
            cv_accuracy,
            n_word_features: vectorizer.n_word,
            n_char_features: vectorizer.len() - vectorizer.n_word,
            bias: linear.b.clone(),
        };
        Ok(Model { info, vectorizer, linear })
    }

    pub fn info(&self) -> &ModelInfo {
        &self.info
    }

    /// The labels the model knows, sorted.
    pub fn labels(&self) -> &[String] {
        &self.info.labels
    }

    /// Confidence for every label (in [`Model::labels`] order); they sum to 1.
    pub fn confidences(&self, text: &str, input: InputKind) -> Vec<f32> {
        let x = self.vectorizer.transform(&Doc::new(text, input));
        softmax(&self.linear.margins(&x), self.info.temperature)
    }

    /// The `k` most likely labels with their confidence, most likely first.
    pub fn predict_top(&self, text: &str, input: InputKind, k: usize) -> Vec<(String, f32)> {
        let p = self.confidences(text, input);
        let mut order: Vec<usize> = (0..p.len()).collect();
        order.sort_by(|&a, &b| p[b].total_cmp(&p[a]).then(a.cmp(&b)));
        order.into_iter().take(k).map(|i| (self.info.labels[i].clone(), p[i])).collect()
    }

    /// The model file's bytes: magic, format version, JSON header, then feature names
    /// (length-prefixed UTF-8), idf and the feature-major weights as little-endian f32, and an
    /// FNV-1a checksum of everything before it.
    pub fn to_bytes(&self) -> Vec<u8> {
        let header = serde_json::to_vec(&self.info).expect("model info serialises");
        let n = self.vectorizer.len();
        let mut out = Vec::with_capacity(64 + header.len() + n * (12 + 4 * (1 + self.linear.k)));
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
        out.extend_from_slice(&(header.len() as u64).to_le_bytes());
        out.extend_from_slice(&header);
        out.extend_from_slice(&(n as u64).to_le_bytes());
        for name in &self.vectorizer.names {
            out.push(name.len() as u8); // at most MAX_TERM_BYTES
            out.extend_from_slice(name.as_bytes());
        }
        for v in self.vectorizer.idf.iter().chain(&self.linear.w) {
            out.extend_from_slice(&v.to_le_bytes());
        }
        let sum = fnv1a(&out);
        out.extend_from_slice(&sum.to_le_bytes());
        out
    }

    /// Reads a model from the bytes [`Model::to_bytes`] wrote; `path` only names it in errors.
    pub fn from_bytes(bytes: &[u8], path: &Path) -> Result<Model, Error> {
        let bad = |message: &str| Error::Format { path: path.to_owned(), message: message.to_owned() };
        if bytes.len() < MAGIC.len() + 4 + 8 || &bytes[..MAGIC.len()] != MAGIC {
            return Err(bad("不是 redress 分流模型文件"));
        }
        let mut r = Reader { bytes, pos: MAGIC.len() };
        let version = u32::from_le_bytes(r.take(4).ok_or_else(|| bad("文件不完整"))?.try_into().expect("4 bytes"));
        if version != FORMAT_VERSION {
            return Err(bad(&format!("格式版本 {version}，本程序只读版本 {FORMAT_VERSION}；请重新训练")));
        }
        let (body, tail) = bytes.split_at(bytes.len().saturating_sub(8));
        if tail.len() != 8 || fnv1a(body) != u64::from_le_bytes(tail.try_into().expect("8 bytes")) {
            return Err(bad("校验和不符（文件不完整或已损坏）"));
        }
        let r = &mut Reader { bytes: body, pos: r.pos };
        let truncated = || bad("文件不完整");
        let header_len = r.u64().ok_or_else(truncated)? as usize;
        let header = r.take(header_len).ok_or_else(truncated)?;
        let info: ModelInfo = serde_json::from_slice(header).map_err(|e| bad(&format!("文件头：{e}")))?;
        let n = r.u64().ok_or_else(truncated)? as usize;
        let k = info.labels.len();
        if info.n_word_features + info.n_char_features != n || info.bias.len() != k || k == 0 {
            return Err(bad("文件头与内容不一致"));
        }
        let mut names = Vec::with_capacity(n);
        for _ in 0..n {
            let len = *r.take(1).ok_or_else(truncated)?.first().expect("1 byte") as usize;
            let name = std::str::from_utf8(r.take(len).ok_or_else(truncated)?).map_err(|_| bad("特征名不是 UTF-8"))?;
            names.push(name.to_owned());
        }
        let idf = r.f32s(n).ok_or_else(truncated)?;
        let w = r.f32s(n.checked_mul(k).ok_or_else(truncated)?).ok_or_else(truncated)?;
        if r.pos != body.len() {
            return Err(bad("文件末尾有多余数据"));
        }
        let vectorizer = Vectorizer::from_parts(info.options.features.clone(), names, info.n_word_features, idf);
        let linear = Linear { k, w, b: info.bias.clone() };
        Ok(Model { info, vectorizer, linear })
    }

    /// Writes the model file (to a temporary file first, then renamed into place).
    pub fn save(&self, path: impl AsRef<Path>) -> Result<(), Error> {
        let path = path.as_ref();
        let mut tmp = path.as_os_str().to_owned();
        tmp.push(".tmp");
        let tmp = std::path::PathBuf::from(tmp);
        let write = || -> std::io::Result<()> {
            let mut file = std::fs::File::create(&tmp)?;
            file.write_all(&self.to_bytes())?;
            file.sync_all()?;
            std::fs::rename(&tmp, path)
        };
        write().map_err(|e| {
            let _ = std::fs::remove_file(&tmp);
            Error::io(path, e)
        })
    }

    pub fn load(path: impl AsRef<Path>) -> Result<Model, Error> {
        let path = path.as_ref();
        let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
        Model::from_bytes(&bytes, path)
    }
}

fn fnv1a(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let end = self.pos.checked_add(n)?;
        let s = self.bytes.get(self.pos..end)?;
        self.pos = end;
        Some(s)
    }

    fn u64(&mut self) -> Option<u64> {
        Some(u64::from_le_bytes(self.take(8)?.try_into().ok()?))
    }

    fn f32s(&mut self, n: usize) -> Option<Vec<f32>> {
        let raw = self.take(n.checked_mul(4)?)?;
        Some(raw.chunks_exact(4).map(|c| f32::from_le_bytes(c.try_into().expect("4 bytes"))).collect())
    }
}

const _: () = assert!(MAX_TERM_BYTES <= u8::MAX as usize);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn temperature_fit_prefers_sharper_scores_when_margins_are_reliable() {
        let reliable: Vec<(Vec<f32>, usize)> = (0..50).map(|_| (vec![1.0, -1.0], 0)).collect();
        let t = fit_temperature(&reliable);
        // Every example right: the confidence goes to 1 − 1/(n + 2), not to 1.
        let p = softmax(&[1.0, -1.0], t as f32)[0];
        assert!((p - (1.0 - 1.0 / 52.0)).abs() < 1e-3, "{t} {p}");
        let noisy: Vec<(Vec<f32>, usize)> = (0..50).map(|i| (vec![1.0, -1.0], usize::from(i % 2 == 0))).collect();
        let t = fit_temperature(&noisy);
        assert!(t < 0.1, "{t}");
    }
}
