//! Trains on the shared messages and reports dev figures, for tuning:
//! `cargo run -p redress-text --example experiment -- [C] [char_lo char_hi|none] [min_df] [char_weight] [tol]`
//! Environment: CV=k (k-fold macro-F1 on the training file first), FOLDS=n (calibration folds),
//! MAXF=n (features kept), THREADS=n, UNBALANCED=1, RAW=1 (also evaluate the dev text with its
//! spaces removed, as raw input), SHOW=1 (print the whole report).
use std::time::Instant;

use redress_text::{eval, read_csv, InputKind, Model, TrainOptions};

fn main() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/data");
    let a: Vec<String> = std::env::args().skip(1).collect();
    let mut o = TrainOptions::default();
    if let Some(c) = a.first() { o.c = c.parse().unwrap(); }
    if let Some(x) = a.get(1) { o.features.char_ngrams = if x == "none" { None } else { Some((x.parse().unwrap(), a[2].parse().unwrap())) }; }
    if let Some(x) = a.get(3) { o.features.min_df = x.parse().unwrap(); }
    if let Some(x) = a.get(4) { o.features.char_weight = x.parse().unwrap(); }
    if let Some(x) = a.get(5) { o.tolerance = x.parse().unwrap(); }
    if let Ok(x) = std::env::var("FOLDS") { o.calibration_folds = x.parse().unwrap(); }
    if let Ok(x) = std::env::var("THREADS") { o.threads = x.parse().unwrap(); }
    if let Ok(x) = std::env::var("MAXF") { o.max_features = Some(x.parse().unwrap()); }
    if std::env::var("UNBALANCED").is_ok() { o.balanced = false; }
    let (train, kind) = read_csv(format!("{dir}/messages-train.csv")).unwrap();
    let (dev, _) = read_csv(format!("{dir}/messages-dev.csv")).unwrap();
    if let Ok(folds) = std::env::var("CV") {
        let folds: usize = folds.parse().unwrap();
        let mut f1 = vec![];
        for f in 0..folds {
            let tr: Vec<_> = train.iter().enumerate().filter(|(i, _)| i % folds != f).map(|(_, e)| e.clone()).collect();
            let te: Vec<_> = train.iter().enumerate().filter(|(i, _)| i % folds == f).map(|(_, e)| e.clone()).collect();
            let m = Model::train(&tr, kind, &o).unwrap();
            f1.push(eval(&m, &te, kind).macro_f1);
        }
        println!("cv macro-F1 {:.4} {:?}", f1.iter().sum::<f64>() / folds as f64, f1.iter().map(|x| format!("{x:.3}")).collect::<Vec<_>>());
    }
    let t = Instant::now();
    let m = Model::train(&train, kind, &o).unwrap();
    let secs = t.elapsed().as_secs_f64();
    let r = eval(&m, &dev, InputKind::Segmented);
    println!("{o:?}");
    println!("train {secs:.1}s features {}+{} T {:.2} cv-acc {:?} size {:.1} MB", m.info().n_word_features, m.info().n_char_features, m.info().temperature, m.info().cv_accuracy, m.to_bytes().len() as f64 / 1e6);
    println!("dev acc {:.4} top3 {:.4} conf {:.4} ece {:.4} macro-F1 {:.4}", r.accuracy, r.top3_accuracy, r.mean_confidence, r.calibration_error, r.macro_f1);
    if std::env::var("RAW").is_ok() {
        let raw: Vec<(String, String)> = dev.iter().map(|(t, l)| (t.split_whitespace().collect::<String>(), l.clone())).collect();
        let t = Instant::now();
        let r = eval(&m, &raw, InputKind::Raw);
        println!("raw dev acc {:.4} macro-F1 {:.4} ({:.1}s)", r.accuracy, r.macro_f1, t.elapsed().as_secs_f64());
    }
    if std::env::var("SHOW").is_ok() { println!("{r}"); }
}
