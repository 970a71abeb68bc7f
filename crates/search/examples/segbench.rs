//! Measures the segmenters on real messages (../shared/data): tokenizing speed on one thread,
//! tokens per character, and tantivy indexing rate with two threads.
//!
//! cargo run --release -p redress-search --example segbench -- ../shared/data [docs]

use std::time::Instant;

use redress_search::tokenize::{spans, ChineseTokenizer, Segmenter, Span};
use tantivy::schema::{IndexRecordOption, Schema, TextFieldIndexing, TextOptions};
use tantivy::{doc, Index, IndexWriter};

fn main() {
    let mut args = std::env::args().skip(1);
    let dir = args.next().unwrap_or_else(|| "../shared/data".into());
    let ndocs: usize = args.next().and_then(|s| s.parse().ok()).unwrap_or(100_000);
    let mut texts: Vec<(String, String, String)> = vec![];
    for (file, reply) in [("messages-replies.csv", true), ("messages-hot.csv", false)] {
        let mut r = csv::Reader::from_path(format!("{dir}/{file}")).expect("csv");
        for row in r.records() {
            let row = row.expect("row");
            let subject = row.get(2).unwrap_or("").to_string();
            let content = row.get(4).unwrap_or("").to_string();
            let reply = if reply { row.get(5).unwrap_or("").to_string() } else { String::new() };
            texts.push((subject, content, reply));
        }
    }
    let chars: usize = texts.iter().map(|t| t.0.chars().count() + t.1.chars().count() + t.2.chars().count()).sum();
    let bytes: usize = texts.iter().map(|t| t.0.len() + t.1.len() + t.2.len()).sum();
    println!("{} messages, {:.0} chars/message, {:.1} MB", texts.len(), chars as f64 / texts.len() as f64, bytes as f64 / 1e6);
    for seg in [Segmenter::Jieba, Segmenter::Search, Segmenter::Fast, Segmenter::Bigram] {
        redress_search::tokenize::warm_up(seg);
        let mut out: Vec<Span> = vec![];
        let mut tokens = 0usize;
        let t = Instant::now();
        let rounds = 3;
        for _ in 0..rounds {
            for (s, c, r) in &texts {
                for x in [s, c, r] {
                    out.clear();
                    spans(seg, x, &mut out);
                    tokens += out.len();
                }
            }
        }
        let secs = t.elapsed().as_secs_f64() / rounds as f64;
        println!(
            "{seg:?}: {:.1} MB/s, {:.0} messages/s on one thread, {:.2} tokens/char",
            bytes as f64 / secs / 1e6,
            texts.len() as f64 / secs,
            tokens as f64 / rounds as f64 / chars as f64
        );
    }
    for seg in [Segmenter::Jieba, Segmenter::Fast, Segmenter::Bigram] {
        let mut sb = Schema::builder();
        let opts = TextOptions::default()
            .set_indexing_options(TextFieldIndexing::default().set_tokenizer("zh").set_index_option(IndexRecordOption::WithFreqs));
        let subject = sb.add_text_field("subject", opts.clone());
        let content = sb.add_text_field("content", opts.clone());
        let replies = sb.add_text_field("replies", opts);
        let schema = sb.build();
        let tmp = tempfile::tempdir().unwrap();
        let index = Index::create_in_dir(tmp.path(), schema).unwrap();
        index.tokenizers().register("zh", ChineseTokenizer::new(seg, false));
        let mut w: IndexWriter = index.writer_with_num_threads(2, 256 << 20).unwrap();
        let t = Instant::now();
        for i in 0..ndocs {
            let (s, c, r) = &texts[i % texts.len()];
            w.add_document(doc!(subject => s.as_str(), content => c.as_str(), replies => r.as_str())).unwrap();
        }
        w.commit().unwrap();
        let secs = t.elapsed().as_secs_f64();
        let size: u64 = std::fs::read_dir(tmp.path()).unwrap().filter_map(|e| e.ok()?.metadata().ok()).map(|m| m.len()).sum();
        println!("{seg:?}: indexed {ndocs} docs in {secs:.1}s = {:.0} docs/s (2 threads), index {:.0} MB", ndocs as f64 / secs, size as f64 / 1e6);
    }
}
