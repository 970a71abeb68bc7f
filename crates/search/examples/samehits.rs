//! Compares two indexes of the same cases (say one in exact mode, one in search mode): the
//! number of hits of each one-word query, for words of the shared messages.
//!
//! cargo run -p redress-search --example samehits -- DIR_A DIR_B ../shared/data/messages-train.csv [N]

use std::collections::BTreeSet;

use redress_search::{SearchIndex, SearchQuery};

fn main() {
    let mut args = std::env::args().skip(1);
    let (a, b, csv_path) = (
        args.next().expect("DIR_A"),
        args.next().expect("DIR_B"),
        args.next().expect("CSV"),
    );
    let n: usize = args.next().and_then(|s| s.parse().ok()).unwrap_or(3000);
    let mut words = BTreeSet::new();
    let mut rd = csv::Reader::from_path(&csv_path).expect("csv");
    for row in rd.records() {
        for w in row.expect("row")[0].split_whitespace() {
            words.insert(w.to_string());
        }
    }
    let t = std::time::Instant::now();
    let a = SearchIndex::open(a.as_ref()).expect("index A");
    let opened_a = t.elapsed();
    let b = SearchIndex::open(b.as_ref()).expect("index B");
    println!(
        "opened A in {opened_a:.2?}, B in {:.2?}",
        t.elapsed() - opened_a
    );
    let step = (words.len() / n).max(1);
    let (mut asked, mut differ) = (0, 0);
    for w in words.iter().step_by(step) {
        let q = SearchQuery {
            text: w.clone(),
            limit: 1,
            ..Default::default()
        };
        let (ta, tb) = (
            a.search(&q).expect("A").total,
            b.search(&q).expect("B").total,
        );
        asked += 1;
        if ta != tb {
            differ += 1;
            if differ <= 20 {
                println!("{w}: {ta} vs {tb}");
            }
        }
    }
    println!(
        "{asked} words, {differ} with another number of hits ({:?} vs {:?})",
        a.segmenter(),
        b.segmenter()
    );
}
