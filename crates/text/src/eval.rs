//! Measuring a model on labelled examples.

use std::fmt;

use crate::model::par_map;
use crate::{Example, InputKind, Model};

/// Precision, recall and F1 of one label.
#[derive(Debug, Clone, PartialEq)]
pub struct ClassStats {
    pub label: String,
    pub precision: f64,
    pub recall: f64,
    pub f1: f64,
    /// Examples whose true label this is.
    pub support: usize,
}

/// The result of [`eval`]. Its `Display` prints accuracy, the confusion matrix, per-label
/// precision/recall/F1 and, as the last line, `macro-F1: 0.xxxx`.
#[derive(Debug, Clone)]
pub struct EvalReport {
    pub examples: usize,
    /// Share of examples whose most likely label is the true one.
    pub accuracy: f64,
    /// Share of examples whose true label is among the three most likely.
    pub top3_accuracy: f64,
    /// Mean confidence of the most likely label (close to `accuracy` when calibrated).
    pub mean_confidence: f64,
    /// Expected calibration error of the most likely label's confidence: the mean, weighted by
    /// examples, of |accuracy − mean confidence| over ten equal-width confidence bins.
    pub calibration_error: f64,
    /// Mean F1 over the labels that occur as true or predicted labels (as scikit-learn's).
    pub macro_f1: f64,
    /// Per label, in the order of `labels`, for the labels that occur as true or predicted.
    pub per_class: Vec<ClassStats>,
    /// Row and column labels of `confusion`.
    pub labels: Vec<String>,
    /// `confusion[true][predicted]` counts.
    pub confusion: Vec<Vec<usize>>,
}

/// Predicts every example (written as `input` says) and compares with its label.
pub fn eval(model: &Model, examples: &[Example], input: InputKind) -> EvalReport {
    let mut labels: Vec<String> = model.labels().to_vec();
    let mut extra: Vec<String> = examples.iter().map(|(_, l)| l.clone()).filter(|l| !labels.contains(l)).collect();
    extra.sort();
    extra.dedup();
    labels.extend(extra);
    let index = |l: &str| labels.iter().position(|x| x == l).expect("label is listed");

    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let predictions = par_map(examples, threads, |(text, _)| model.predict_top(text, input, 3));
    let k = labels.len();
    let mut confusion = vec![vec![0usize; k]; k];
    let (mut top3, mut confidence) = (0usize, 0f64);
    // Per confidence bin: examples, correct ones, sum of confidences.
    let mut bins = [(0usize, 0usize, 0f64); 10];
    for ((_, truth), top) in examples.iter().zip(&predictions) {
        let t = index(truth);
        if let Some((best, p)) = top.first() {
            confusion[t][index(best)] += 1;
            confidence += f64::from(*p);
            let bin = &mut bins[((*p * 10.0) as usize).min(9)];
            bin.0 += 1;
            bin.1 += usize::from(best == truth);
            bin.2 += f64::from(*p);
        }
        top3 += usize::from(top.iter().any(|(l, _)| l == truth));
    }
    let n = examples.len();
    let correct: usize = (0..k).map(|i| confusion[i][i]).sum();
    let ratio = |a: usize, b: usize| if b == 0 { 0.0 } else { a as f64 / b as f64 };

    let mut per_class = vec![];
    for (i, label) in labels.iter().enumerate() {
        let support: usize = confusion[i].iter().sum();
        let predicted: usize = confusion.iter().map(|row| row[i]).sum();
        if support == 0 && predicted == 0 {
            continue;
        }
        let precision = ratio(confusion[i][i], predicted);
        let recall = ratio(confusion[i][i], support);
        let f1 = if precision + recall == 0.0 { 0.0 } else { 2.0 * precision * recall / (precision + recall) };
        per_class.push(ClassStats { label: label.clone(), precision, recall, f1, support });
    }
    let calibration_error = bins.iter().map(|&(_, c, p)| (c as f64 - p).abs()).sum::<f64>() / n.max(1) as f64;
    let macro_f1 = per_class.iter().map(|c| c.f1).sum::<f64>() / per_class.len().max(1) as f64;
    EvalReport {
        examples: n,
        accuracy: ratio(correct, n),
        top3_accuracy: ratio(top3, n),
        mean_confidence: if n == 0 { 0.0 } else { confidence / n as f64 },
        calibration_error,
        macro_f1,
        per_class,
        labels,
        confusion,
    }
}

/// Columns a string takes in a terminal: East Asian wide and full-width characters take two.
fn width(s: &str) -> usize {
    s.chars()
        .map(|c| match c as u32 {
            0x1100..=0x115F | 0x2E80..=0x303E | 0x3041..=0x33FF | 0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xA000..=0xA4CF
            | 0xAC00..=0xD7A3 | 0xF900..=0xFAFF | 0xFE30..=0xFE4F | 0xFF00..=0xFF60 | 0xFFE0..=0xFFE6 | 0x20000..=0x3FFFD => 2,
            _ => 1,
        })
        .sum()
}

/// `s` padded with spaces on the right to `columns` terminal columns.
fn pad(s: &str, columns: usize) -> String {
    format!("{s}{}", " ".repeat(columns.saturating_sub(width(s))))
}

impl fmt::Display for EvalReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "样本数: {}", self.examples)?;
        writeln!(
            f,
            "accuracy: {:.4}    top-3 accuracy: {:.4}    平均置信度: {:.4}    校准误差 (ECE): {:.4}",
            self.accuracy, self.top3_accuracy, self.mean_confidence, self.calibration_error
        )?;
        writeln!(f)?;
        writeln!(f, "混淆矩阵（行：实际类别，列：预测类别，列号同行号）")?;
        let numbered: Vec<String> = self.labels.iter().enumerate().map(|(i, l)| format!("{:>2} {l}", i + 1)).collect();
        let label_w = numbered.iter().map(|l| width(l)).max().unwrap_or(0).max(4);
        let max_count = self.confusion.iter().flatten().copied().max().unwrap_or(0);
        let cell = max_count.to_string().len().max(self.labels.len().to_string().len()) + 2;
        write!(f, "{}", pad("", label_w))?;
        for i in 0..self.labels.len() {
            write!(f, "{:>cell$}", i + 1)?;
        }
        writeln!(f)?;
        for (name, row) in numbered.iter().zip(&self.confusion) {
            write!(f, "{}", pad(name, label_w))?;
            for v in row {
                write!(f, "{v:>cell$}")?;
            }
            writeln!(f)?;
        }
        writeln!(f)?;
        let name_w = self.per_class.iter().map(|c| width(&c.label)).max().unwrap_or(0).max(4) + 2;
        writeln!(f, "{}{:>10}{:>10}{:>10}{:>9}", pad("类别", name_w), "precision", "recall", "F1", "support")?;
        for c in &self.per_class {
            writeln!(f, "{}{:>10.4}{:>10.4}{:>10.4}{:>9}", pad(&c.label, name_w), c.precision, c.recall, c.f1, c.support)?;
        }
        write!(f, "macro-F1: {:.4}", self.macro_f1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chinese_labels_take_two_columns() {
        assert_eq!(width("城乡建设"), 8);
        assert_eq!(width("a城"), 3);
        assert_eq!(pad("交通", 6), "交通  ");
    }
}
