//! Groups the shared board messages into matters and prints the largest and the hottest, for
//! tuning `redress_text::matters`: `cargo run --release -p redress-text --example matters -- [similar] [with_place] [as_of]`
use std::time::Instant;

use redress_text::hotspot::SpikeRule;
use redress_text::matters::{self, format_day, MatterOptions};

fn main() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/data");
    let a: Vec<String> = std::env::args().skip(1).collect();
    let mut o = MatterOptions::default();
    if let Some(x) = a.first() { o.similar = x.parse().unwrap(); }
    if let Some(x) = a.get(1) { o.similar_with_place = x.parse().unwrap(); }
    let msgs = matters::read_messages(format!("{dir}/messages-hot.csv")).unwrap();
    let t = Instant::now();
    let ms = matters::group(&msgs, &o);
    println!("{} messages, {} matters, {:.2}s", msgs.len(), ms.len(), t.elapsed().as_secs_f64());
    let mut big: Vec<_> = ms.iter().filter(|m| m.messages.len() >= 2).collect();
    big.sort_by_key(|m| std::cmp::Reverse(m.messages.len()));
    println!("matters with ≥2: {}, messages in them: {}", big.len(), big.iter().map(|m| m.messages.len()).sum::<usize>());
    for m in big.iter().take(40) {
        println!("== {} msgs, places {:?}", m.messages.len(), &m.places[..m.places.len().min(4)]);
        for &i in m.typical.iter().take(6) {
            println!("   {} {}", format_day(msgs[i].day), msgs[i].subject);
        }
    }
    let as_of = a.get(2).and_then(|d| matters::parse_day(d)).unwrap_or_else(|| msgs.iter().map(|m| m.day).max().unwrap());
    println!("\nhot as of {}", format_day(as_of));
    for h in matters::hot(&msgs, &ms, as_of, &SpikeRule::default(), 10) {
        println!("{:.1} [{}] {} {}..{} {}: {}", h.heat, h.messages, h.title, format_day(h.first_day), format_day(h.last_day), h.matter.places.iter().take(3).map(|p| p.0.as_str()).collect::<Vec<_>>().join("、"), h.why);
    }
}
